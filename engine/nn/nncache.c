/* The neural-network result cache; see nncache.h. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include "nncache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One stored result: the scalars of tg_nn_result, then policy (area + 1 floats) and, when the
 * result has one, the ownership (area floats), area being the result's nn_x_len * nn_y_len. */
typedef struct cache_entry {
    tg_nncache_key key;
    int nn_x_len, nn_y_len;
    float scalars[9];
    float policy_optimism_used;
    bool has_ownership;
    float data[];
} cache_entry;

struct tg_nncache {
    cache_entry **slots;
    uint64_t slot_mask;
    pthread_mutex_t *mutexes;
    uint64_t mutex_mask;
};

tg_nncache *tg_nncache_new(int size_pow2, int mutex_pow2) {
    if (size_pow2 < 0 || size_pow2 > 48)
        return NULL;
    if (mutex_pow2 < 0)
        mutex_pow2 = 0;
    if (mutex_pow2 > size_pow2)
        mutex_pow2 = size_pow2;
    if (mutex_pow2 > 24)
        mutex_pow2 = 24;
    tg_nncache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    uint64_t nslots = (uint64_t)1 << size_pow2, nmutex = (uint64_t)1 << mutex_pow2;
    if (nslots > SIZE_MAX / sizeof(cache_entry *)) {
        free(c);
        return NULL;
    }
    c->slots = calloc((size_t)nslots, sizeof *c->slots);
    c->mutexes = malloc((size_t)nmutex * sizeof *c->mutexes);
    if (!c->slots || !c->mutexes) {
        free(c->slots);
        free(c->mutexes);
        free(c);
        return NULL;
    }
    for (uint64_t i = 0; i < nmutex; i++)
        pthread_mutex_init(&c->mutexes[i], NULL);
    c->slot_mask = nslots - 1;
    c->mutex_mask = nmutex - 1;
    return c;
}

void tg_nncache_free(tg_nncache *c) {
    if (!c)
        return;
    for (uint64_t i = 0; i <= c->slot_mask; i++)
        free(c->slots[i]);
    for (uint64_t i = 0; i <= c->mutex_mask; i++)
        pthread_mutex_destroy(&c->mutexes[i]);
    free(c->slots);
    free(c->mutexes);
    free(c);
}

static void unpack(const cache_entry *e, tg_nn_result *out) {
    const int area = e->nn_x_len * e->nn_y_len;
    out->nn_x_len = e->nn_x_len;
    out->nn_y_len = e->nn_y_len;
    out->white_win_prob = e->scalars[0];
    out->white_loss_prob = e->scalars[1];
    out->white_no_result_prob = e->scalars[2];
    out->white_score_mean = e->scalars[3];
    out->white_score_mean_sq = e->scalars[4];
    out->white_lead = e->scalars[5];
    out->var_time_left = e->scalars[6];
    out->shortterm_winloss_error = e->scalars[7];
    out->shortterm_score_error = e->scalars[8];
    out->policy_optimism_used = e->policy_optimism_used;
    out->has_ownership = e->has_ownership;
    memcpy(out->policy_probs, e->data, sizeof(float) * (size_t)(area + 1));
    for (int i = area + 1; i < TG_NN_MAX_POLICY_SIZE; i++)
        out->policy_probs[i] = -1.0f;
    memset(out->white_ownership, 0, sizeof out->white_ownership);
    if (e->has_ownership)
        memcpy(out->white_ownership, e->data + area + 1, sizeof(float) * (size_t)area);
}

bool tg_nncache_get(tg_nncache *c, tg_nncache_key key, tg_nn_result *out) {
    uint64_t idx = key.hash0 & c->slot_mask;
    pthread_mutex_t *m = &c->mutexes[idx & c->mutex_mask];
    bool hit = false;
    pthread_mutex_lock(m);
    const cache_entry *e = c->slots[idx];
    if (e && e->key.hash0 == key.hash0 && e->key.hash1 == key.hash1) {
        unpack(e, out);
        hit = true;
    }
    pthread_mutex_unlock(m);
    return hit;
}

void tg_nncache_put(tg_nncache *c, tg_nncache_key key, const tg_nn_result *r) {
    if (r->nn_x_len < 1 || r->nn_y_len < 1 || r->nn_x_len * r->nn_y_len > TG_NN_MAX_AREA)
        return;
    const int area = r->nn_x_len * r->nn_y_len;
    /* Only what unpack() can restore exactly is stored; anything else is not cached. */
    for (int i = area + 1; i < TG_NN_MAX_POLICY_SIZE; i++)
        if (r->policy_probs[i] != -1.0f)
            return;
    for (int i = r->has_ownership ? area : 0; i < TG_NN_MAX_AREA; i++)
        if (r->white_ownership[i] != 0.0f)
            return;
    size_t nfloats = (size_t)(area + 1) + (r->has_ownership ? (size_t)area : 0);
    cache_entry *e = malloc(sizeof *e + sizeof(float) * nfloats);
    if (!e)
        return;
    e->key = key;
    e->nn_x_len = r->nn_x_len;
    e->nn_y_len = r->nn_y_len;
    e->scalars[0] = r->white_win_prob;
    e->scalars[1] = r->white_loss_prob;
    e->scalars[2] = r->white_no_result_prob;
    e->scalars[3] = r->white_score_mean;
    e->scalars[4] = r->white_score_mean_sq;
    e->scalars[5] = r->white_lead;
    e->scalars[6] = r->var_time_left;
    e->scalars[7] = r->shortterm_winloss_error;
    e->scalars[8] = r->shortterm_score_error;
    e->policy_optimism_used = r->policy_optimism_used;
    e->has_ownership = r->has_ownership;
    memcpy(e->data, r->policy_probs, sizeof(float) * (size_t)(area + 1));
    if (r->has_ownership)
        memcpy(e->data + area + 1, r->white_ownership, sizeof(float) * (size_t)area);

    uint64_t idx = key.hash0 & c->slot_mask;
    pthread_mutex_t *m = &c->mutexes[idx & c->mutex_mask];
    pthread_mutex_lock(m);
    cache_entry *old = c->slots[idx];
    c->slots[idx] = e;
    pthread_mutex_unlock(m);
    free(old);
}

void tg_nncache_clear(tg_nncache *c) {
    for (uint64_t i = 0; i <= c->slot_mask; i++) {
        pthread_mutex_t *m = &c->mutexes[i & c->mutex_mask];
        pthread_mutex_lock(m);
        cache_entry *old = c->slots[i];
        c->slots[i] = NULL;
        pthread_mutex_unlock(m);
        free(old);
    }
}

uint64_t tg_nncache_count(tg_nncache *c) {
    uint64_t n = 0;
    for (uint64_t i = 0; i <= c->slot_mask; i++) {
        pthread_mutex_t *m = &c->mutexes[i & c->mutex_mask];
        pthread_mutex_lock(m);
        n += c->slots[i] != NULL;
        pthread_mutex_unlock(m);
    }
    return n;
}
