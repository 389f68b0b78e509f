/* The network evaluator; see evaluator.h. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include "evaluator.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front/log.h"
#include "nn/model_reader.h"
#include "nn/nncache.h"
#include "nn/plugins.h"
#include "nn/symmetry.h"
#include "util/errmsg.h"

#ifndef TENGEN_BUILD_DEFAULT_MODEL
#define TENGEN_BUILD_DEFAULT_MODEL ""
#endif
#ifndef TENGEN_DEFAULT_MODEL_NAME
#define TENGEN_DEFAULT_MODEL_NAME "default_model.bin.gz"
#endif
#ifndef TENGEN_PKGDATADIR
#define TENGEN_PKGDATADIR "/usr/local/share/tengen"
#endif

#define REQUEST_ERR_LEN 512

/* One position waiting for the network. Lives on its caller's stack; the caller sleeps on cv (with
 * the evaluator's mutex) until a server thread sets done. */
typedef struct nn_request {
    struct nn_request *next;
    int w, h, symmetry;
    const float *spatial; /* [channels][h][w], symmetry already applied */
    const float *global;
    const bool *legal;    /* tg_nn_legal_policy_mask for nn lengths w x h */
    const tg_board *board;
    const tg_history *hist;
    tg_color next_pla;
    const tg_nn_input_params *params;
    tg_nn_result *out;
    bool done, ok;
    char err[REQUEST_ERR_LEN];
    pthread_cond_t cv;
} nn_request;

typedef struct nn_server {
    struct tg_nn_evaluator *ev;
    int index;
    pthread_t thread;
    bool thread_started;
    tg_backend_handle *handle; /* for ev->context; NULL until needed */
    /* Batch tensors, sized for max_batch positions of TG_MAX_LEN x TG_MAX_LEN. */
    float *spatial, *global, *policy, *policy_pass, *value, *score_value, *ownership;
    nn_request **batch;
} nn_server;

struct tg_nn_evaluator {
    const tg_config *cfg;
    tg_model *model;
    const tg_backend *backend;
    const tg_host *host;

    int max_batch;
    int num_servers;
    int search_threads; /* numSearchThreads, for the server-count default */
    int cache_pow2;
    tg_nncache *cache; /* NULL when nnCacheSizePowerOfTwo = -1 */

    /* Everything below is guarded by mutex. */
    pthread_mutex_t mutex;
    pthread_cond_t server_cv; /* server threads wait here for work, for a rebuild, for in-flight batches */
    bool mutex_ready;
    nn_request *queue_head, *queue_tail;
    /* One context at a time, for ctx_w x ctx_h tensors (0 x 0: none). */
    tg_backend_context *context;
    int ctx_w, ctx_h;
    bool rebuild_pending; /* a server thread waits for every handle to go before replacing the context */
    int live_handles;     /* handles of the current context */
    int in_flight;        /* batches being evaluated outside the mutex */
    int started;          /* server threads that finished starting */
    bool stopping;
    char startup_err[REQUEST_ERR_LEN];
    nn_server *servers;

    uint64_t evals, batches, max_batch_seen, context_builds;
    _Atomic uint64_t requests, cache_hits;
};

/* ---- Server side (called with ev->mutex held unless said otherwise) ---- */

static void release_handle(tg_nn_evaluator *ev, nn_server *s) {
    if (!s->handle)
        return;
    ev->backend->handle_destroy(s->handle);
    s->handle = NULL;
    ev->live_handles--;
    pthread_cond_broadcast(&ev->server_cv);
}

static void finish_request(nn_request *r) {
    r->done = true;
    pthread_cond_signal(&r->cv);
}

/* Unlinks and fails every queued request for w x h tensors. */
static void fail_queued(tg_nn_evaluator *ev, int w, int h, const char *msg) {
    nn_request **link = &ev->queue_head;
    ev->queue_tail = NULL;
    while (*link) {
        nn_request *r = *link;
        if (w < 0 || (r->w == w && r->h == h)) {
            *link = r->next;
            r->ok = false;
            tg_set_err(r->err, sizeof r->err, "%s", msg);
            finish_request(r);
        } else {
            ev->queue_tail = r;
            link = &r->next;
        }
    }
}

static bool create_context(tg_nn_evaluator *ev, int w, int h, char *err, size_t errlen) {
    tg_backend_options opt;
    memset(&opt, 0, sizeof opt);
    opt.struct_size = sizeof opt;
    opt.nn_x_len = w;
    opt.nn_y_len = h;
    opt.max_batch_size = ev->max_batch;
    opt.num_handles = ev->num_servers;
    ev->context = ev->backend->create(ev->host, ev->model, &opt, err, errlen);
    if (!ev->context)
        return false;
    ev->ctx_w = w;
    ev->ctx_h = h;
    ev->context_builds++;
    return true;
}

/* Replaces the context with one for w x h once every server thread has let go of its handle. */
static void rebuild_context(tg_nn_evaluator *ev, nn_server *s, int w, int h) {
    ev->rebuild_pending = true;
    pthread_cond_broadcast(&ev->server_cv);
    release_handle(ev, s);
    while (ev->live_handles > 0)
        pthread_cond_wait(&ev->server_cv, &ev->mutex);
    if (ev->context)
        ev->backend->destroy(ev->context);
    ev->context = NULL;
    ev->ctx_w = ev->ctx_h = 0;
    char err[REQUEST_ERR_LEN];
    bool ok = create_context(ev, w, h, err, sizeof err);
    ev->rebuild_pending = false;
    pthread_cond_broadcast(&ev->server_cv);
    if (!ok)
        fail_queued(ev, w, h, err);
}

/* Unlinks up to max_batch queued requests for the current tensor size into s->batch. */
static int take_batch(tg_nn_evaluator *ev, nn_server *s) {
    int n = 0;
    nn_request **link = &ev->queue_head;
    ev->queue_tail = NULL;
    while (*link) {
        nn_request *r = *link;
        if (n < ev->max_batch && r->w == ev->ctx_w && r->h == ev->ctx_h) {
            *link = r->next;
            s->batch[n++] = r;
        } else {
            ev->queue_tail = r;
            link = &r->next;
        }
    }
    return n;
}

static bool queue_has_size(const tg_nn_evaluator *ev, int w, int h) {
    for (const nn_request *r = ev->queue_head; r; r = r->next)
        if (r->w == w && r->h == h)
            return true;
    return false;
}

/* Runs s->batch[0..n) through the network and post-processes each row. Called without the mutex. */
static void run_batch(tg_nn_evaluator *ev, nn_server *s, int n) {
    const tg_model *m = ev->model;
    const int w = s->batch[0]->w, h = s->batch[0]->h;
    const size_t area = (size_t)w * (size_t)h;
    const size_t in_row = area * (size_t)m->num_input_channels;
    const size_t glob_row = (size_t)m->num_input_global_channels;
    for (int i = 0; i < n; i++) {
        memcpy(s->spatial + (size_t)i * in_row, s->batch[i]->spatial, sizeof(float) * in_row);
        if (glob_row)
            memcpy(s->global + (size_t)i * glob_row, s->batch[i]->global, sizeof(float) * glob_row);
    }
    tg_nn_inputs in = {.struct_size = sizeof in, .batch_size = n, .spatial = s->spatial, .global = s->global,
                       .meta = NULL};
    tg_nn_outputs o = {.struct_size = sizeof o, .batch_size = n, .policy = s->policy,
                       .policy_pass = s->policy_pass, .value = s->value, .score_value = s->score_value,
                       .ownership = s->ownership};
    char err[REQUEST_ERR_LEN];
    if (!ev->backend->evaluate(s->handle, &in, &o, err, sizeof err)) {
        for (int i = 0; i < n; i++) {
            s->batch[i]->ok = false;
            tg_set_err(s->batch[i]->err, sizeof s->batch[i]->err, "%s", err);
        }
        return;
    }
    const size_t pc = (size_t)m->num_policy_channels;
    for (int i = 0; i < n; i++) {
        nn_request *r = s->batch[i];
        tg_nn_raw_output raw = {.nn_x_len = w, .nn_y_len = h, .symmetry = r->symmetry,
                                .policy = s->policy + (size_t)i * pc * area, .policy_pass = s->policy_pass + (size_t)i * pc,
                                .policy_channels = m->num_policy_channels,
                                .value = s->value + (size_t)i * (size_t)m->num_value_channels,
                                .score_value = s->score_value + (size_t)i * (size_t)m->num_score_value_channels,
                                .num_score_value = m->num_score_value_channels,
                                .ownership = s->ownership + (size_t)i * (size_t)m->num_ownership_channels * area};
        r->ok = tg_nn_postprocess(&raw, &m->postprocess, m->version, r->board, r->hist, r->next_pla, r->params,
                                  r->legal, r->out, r->err, sizeof r->err);
    }
}

static void *server_main(void *arg) {
    nn_server *s = arg;
    tg_nn_evaluator *ev = s->ev;
    pthread_mutex_lock(&ev->mutex);
    /* The first handle is made at startup, so that a backend refusing it stops tengen there. */
    char err[REQUEST_ERR_LEN];
    s->handle = ev->backend->handle_create(ev->context, s->index, err, sizeof err);
    if (s->handle)
        ev->live_handles++;
    else if (!ev->startup_err[0])
        tg_set_err(ev->startup_err, sizeof ev->startup_err, "%s", err);
    ev->started++;
    pthread_cond_broadcast(&ev->server_cv);

    for (;;) {
        if (ev->stopping)
            break;
        if (ev->rebuild_pending) {
            release_handle(ev, s);
            pthread_cond_wait(&ev->server_cv, &ev->mutex);
            continue;
        }
        if (!ev->queue_head) {
            pthread_cond_wait(&ev->server_cv, &ev->mutex);
            continue;
        }
        if (!ev->context || !queue_has_size(ev, ev->ctx_w, ev->ctx_h)) {
            /* Only other sizes are waiting: once no batch of the current size is running, rebuild. */
            if (ev->in_flight > 0) {
                pthread_cond_wait(&ev->server_cv, &ev->mutex);
                continue;
            }
            rebuild_context(ev, s, ev->queue_head->w, ev->queue_head->h);
            continue;
        }
        if (!s->handle) {
            s->handle = ev->backend->handle_create(ev->context, s->index, err, sizeof err);
            if (!s->handle) {
                fail_queued(ev, ev->ctx_w, ev->ctx_h, err);
                continue;
            }
            ev->live_handles++;
        }
        int n = take_batch(ev, s);
        ev->in_flight++;
        pthread_mutex_unlock(&ev->mutex);
        run_batch(ev, s, n);
        pthread_mutex_lock(&ev->mutex);
        ev->in_flight--;
        ev->evals += (uint64_t)n;
        ev->batches++;
        if ((uint64_t)n > ev->max_batch_seen)
            ev->max_batch_seen = (uint64_t)n;
        for (int i = 0; i < n; i++)
            finish_request(s->batch[i]);
        if (ev->in_flight == 0 && ev->queue_head)
            pthread_cond_broadcast(&ev->server_cv); /* a thread may be waiting to rebuild */
    }
    release_handle(ev, s);
    pthread_mutex_unlock(&ev->mutex);
    return NULL;
}

/* ---- Creation and destruction ---- */

static void stop_servers(tg_nn_evaluator *ev) {
    if (!ev->servers)
        return;
    pthread_mutex_lock(&ev->mutex);
    ev->stopping = true;
    fail_queued(ev, -1, -1, "the network evaluator is shutting down");
    pthread_cond_broadcast(&ev->server_cv);
    pthread_mutex_unlock(&ev->mutex);
    for (int i = 0; i < ev->num_servers; i++)
        if (ev->servers[i].thread_started)
            pthread_join(ev->servers[i].thread, NULL);
    for (int i = 0; i < ev->num_servers; i++) {
        nn_server *s = &ev->servers[i];
        free(s->spatial);
        free(s->global);
        free(s->policy);
        free(s->policy_pass);
        free(s->value);
        free(s->score_value);
        free(s->ownership);
        free(s->batch);
    }
    free(ev->servers);
    ev->servers = NULL;
}

static bool alloc_server(const tg_model *m, int max_batch, nn_server *s) {
    const size_t b = (size_t)max_batch, area = (size_t)TG_MAX_LEN * TG_MAX_LEN;
    s->spatial = malloc(sizeof(float) * b * area * (size_t)m->num_input_channels);
    s->global = malloc(sizeof(float) * b * (size_t)(m->num_input_global_channels > 0 ? m->num_input_global_channels : 1));
    s->policy = malloc(sizeof(float) * b * area * (size_t)m->num_policy_channels);
    s->policy_pass = malloc(sizeof(float) * b * (size_t)m->num_policy_channels);
    s->value = malloc(sizeof(float) * b * (size_t)m->num_value_channels);
    s->score_value = malloc(sizeof(float) * b * (size_t)m->num_score_value_channels);
    s->ownership = malloc(sizeof(float) * b * area * (size_t)m->num_ownership_channels);
    s->batch = malloc(sizeof(nn_request *) * b);
    return s->spatial && s->global && s->policy && s->policy_pass && s->value && s->score_value && s->ownership &&
           s->batch;
}

/* numNNServerThreadsPerModel when the config leaves it out. A GPU backend wants one server filling
 * large batches; a CPU backend gains nothing from batching, so each search thread gets a server of
 * its own, up to one per core (more only makes the servers take turns). */
static int default_servers(const tg_backend *backend, int search_threads) {
    if (backend->capabilities & TG_BACKEND_CAP_GPU)
        return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    return search_threads < cores ? search_threads : (int)cores;
}

static bool read_settings(tg_nn_evaluator *ev, const tg_config *cfg, char *err, size_t errlen) {
    int64_t search_threads, max_batch, servers, cache_pow2, mutex_pow2;
    if (!tg_config_get_int(cfg, "numSearchThreads", 1, 1, 4096, &search_threads, err, errlen))
        return false;
    int64_t def_batch = ((search_threads + 3) / 4) * 4;
    if (def_batch < 8)
        def_batch = 8;
    if (!tg_config_get_int(cfg, "nnMaxBatchSize", def_batch, 1, 65536, &max_batch, err, errlen) ||
        !tg_config_get_int(cfg, "numNNServerThreadsPerModel", 0, 1, 1024, &servers, err, errlen) ||
        !tg_config_get_int(cfg, "nnCacheSizePowerOfTwo", 20, -1, 48, &cache_pow2, err, errlen) ||
        !tg_config_get_int(cfg, "nnMutexPoolSizePowerOfTwo", 16, -1, 24, &mutex_pow2, err, errlen))
        return false;
    ev->max_batch = (int)max_batch;
    ev->num_servers = (int)servers; /* 0: chosen once the backend is known (default_servers) */
    ev->search_threads = (int)search_threads;
    ev->cache_pow2 = (int)cache_pow2;
    if (cache_pow2 >= 0) {
        ev->cache = tg_nncache_new((int)cache_pow2, (int)mutex_pow2);
        if (!ev->cache) {
            tg_set_err(err, errlen, "out of memory for the neural-network cache (nnCacheSizePowerOfTwo = %d)",
                       (int)cache_pow2);
            return false;
        }
    }
    return true;
}

tg_nn_evaluator *tg_nn_evaluator_new(const tg_config *cfg, const char *model_path, char *err, size_t errlen) {
    tg_nn_evaluator *ev = calloc(1, sizeof *ev);
    if (!ev) {
        tg_set_err(err, errlen, "out of memory");
        return NULL;
    }
    ev->cfg = cfg;
    pthread_mutex_init(&ev->mutex, NULL);
    pthread_cond_init(&ev->server_cv, NULL);
    ev->mutex_ready = true;
    if (!read_settings(ev, cfg, err, errlen)) {
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    ev->model = tg_model_load(model_path, err, errlen);
    if (!ev->model) {
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    if (tg_nn_inputs_version(ev->model->version) != 7) {
        tg_set_err(err, errlen, "%s: model version %d is not supported", model_path, (int)ev->model->version);
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    const char *name = tg_config_get(cfg, "backend");
    if (!name)
        name = "blas-cpu";
    const char *path = NULL;
    ev->backend = tg_plugin_load(cfg, name, &path, err, errlen);
    if (!ev->backend) {
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    ev->host = tg_plugin_host(cfg);
    char why[512];
    if (!ev->backend->probe(ev->host, why, sizeof why)) {
        tg_set_err(err, errlen, "backend '%s' (%s) cannot run on this machine: %s", name, path, why);
        ev->backend = NULL;
        tg_nn_evaluator_free(ev);
        return NULL;
    }

    if (ev->num_servers == 0)
        ev->num_servers = default_servers(ev->backend, ev->search_threads);

    /* Built now rather than at the first evaluation, so that a backend setting the plugin rejects
     * (a bad blasCpuThreads, a missing device) stops tengen at startup. */
    if (!create_context(ev, TG_MAX_LEN, TG_MAX_LEN, err, errlen)) {
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    ev->servers = calloc((size_t)ev->num_servers, sizeof *ev->servers);
    if (!ev->servers) {
        tg_set_err(err, errlen, "out of memory");
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    for (int i = 0; i < ev->num_servers; i++) {
        nn_server *s = &ev->servers[i];
        s->ev = ev;
        s->index = i;
        if (!alloc_server(ev->model, ev->max_batch, s)) {
            tg_set_err(err, errlen, "out of memory for batches of %d positions (nnMaxBatchSize)", ev->max_batch);
            tg_nn_evaluator_free(ev);
            return NULL;
        }
    }
    int launched = 0;
    for (int i = 0; i < ev->num_servers; i++) {
        nn_server *s = &ev->servers[i];
        if (pthread_create(&s->thread, NULL, server_main, s) != 0) {
            tg_set_err(err, errlen, "cannot start neural-network server thread %d", i);
            break;
        }
        s->thread_started = true;
        launched++;
    }
    pthread_mutex_lock(&ev->mutex);
    while (ev->started < launched)
        pthread_cond_wait(&ev->server_cv, &ev->mutex);
    bool failed = launched < ev->num_servers || ev->startup_err[0];
    if (ev->startup_err[0])
        tg_set_err(err, errlen, "%s", ev->startup_err);
    pthread_mutex_unlock(&ev->mutex);
    if (failed) {
        tg_nn_evaluator_free(ev);
        return NULL;
    }

    char desc[512];
    tg_model_describe(ev->model, desc, sizeof desc);
    tg_log("Loaded model %s: %s", model_path, desc);
    tg_log("Backend %s (%s)", ev->backend->name, path);
    tg_log("NN evaluator: %d server thread(s), max batch size %d, cache %s%d entries", ev->num_servers, ev->max_batch,
           ev->cache ? "2^" : "off, ", ev->cache ? ev->cache_pow2 : 0);
    return ev;
}

void tg_nn_evaluator_free(tg_nn_evaluator *ev) {
    if (!ev)
        return;
    stop_servers(ev);
    if (ev->backend && ev->context)
        ev->backend->destroy(ev->context);
    tg_nncache_free(ev->cache);
    tg_model_free(ev->model);
    if (ev->mutex_ready) {
        pthread_cond_destroy(&ev->server_cv);
        pthread_mutex_destroy(&ev->mutex);
    }
    free(ev);
}

const tg_model *tg_nn_evaluator_model(const tg_nn_evaluator *ev) { return ev->model; }
const char *tg_nn_evaluator_backend_name(const tg_nn_evaluator *ev) { return ev->backend->name; }
int tg_nn_evaluator_max_batch_size(const tg_nn_evaluator *ev) { return ev->max_batch; }
int tg_nn_evaluator_num_server_threads(const tg_nn_evaluator *ev) { return ev->num_servers; }
int tg_nn_evaluator_cache_size_pow2(const tg_nn_evaluator *ev) { return ev->cache ? ev->cache_pow2 : -1; }

void tg_nn_evaluator_clear_cache(tg_nn_evaluator *ev) {
    if (ev->cache)
        tg_nncache_clear(ev->cache);
}

void tg_nn_evaluator_get_stats(tg_nn_evaluator *ev, tg_nn_evaluator_stats *out) {
    pthread_mutex_lock(&ev->mutex);
    out->evals = ev->evals;
    out->batches = ev->batches;
    out->max_batch = ev->max_batch_seen;
    out->context_builds = ev->context_builds;
    pthread_mutex_unlock(&ev->mutex);
    out->requests = atomic_load(&ev->requests);
    out->cache_hits = atomic_load(&ev->cache_hits);
}

void tg_nn_evaluator_reset_stats(tg_nn_evaluator *ev) {
    pthread_mutex_lock(&ev->mutex);
    ev->evals = ev->batches = ev->max_batch_seen = ev->context_builds = 0;
    pthread_mutex_unlock(&ev->mutex);
    atomic_store(&ev->requests, 0);
    atomic_store(&ev->cache_hits, 0);
}

/* ---- Callers ---- */

/* A 128-bit key over everything the result depends on: the network inputs themselves (stones, ko and
 * superko bans, encore state, recent moves, ladders, komi, rules: all of featurization), the legal-move
 * mask, the player to move (the result is turned to White's view), the symmetry, the tensor size,
 * the rules bits post-processing reads and every input parameter. Keying on the inputs rather than
 * on a Zobrist summary makes a hit return exactly what evaluating would, whatever history led here. */
typedef struct key_state {
    uint64_t a, b;
} key_state;

static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static inline void key_add(key_state *k, uint64_t v) {
    k->a = (k->a ^ v) * 0x9e3779b97f4a7c15ULL;
    k->a ^= k->a >> 29;
    k->b = (k->b + v) * 0xc2b2ae3d27d4eb4fULL;
    k->b ^= k->b >> 31;
}

static void key_add_bytes(key_state *k, const void *data, size_t len) {
    const unsigned char *p = data;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        key_add(k, v);
        p += 8;
        len -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, len);
    key_add(k, v ^ ((uint64_t)len << 56));
}

static void key_add_double(key_state *k, double d) {
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    key_add(k, v);
}

/* The v7 input planes and global features that show the recent moves (see featurize.c): the last five
 * move locations, the ladder planes of the two previous boards, and the last five moves' passes. */
enum { HISTORY_PLANES_FIRST = 9, HISTORY_PLANES_END = 14, PREV_LADDER_FIRST = 15, PREV_LADDER_END = 17 };
enum { HISTORY_GLOBALS_END = 5 };

static tg_nncache_key compute_key(const tg_model *m, int w, int h, int symmetry, tg_color next_pla,
                                  const tg_board *board, const tg_history *hist, const tg_nn_input_params *p, const float *spatial,
                                  const float *global, const bool *legal, bool situation_only) {
    key_state k = {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL};
    key_add(&k, ((uint64_t)w << 32) | ((uint64_t)h << 16) | ((uint64_t)(situation_only ? 0xff : symmetry) << 8) |
                    next_pla);
    key_add(&k, ((uint64_t)hist->rules.ko_rule << 8) | (uint64_t)hist->rules.scoring_rule);
    key_add_double(&k, p->draw_equivalent_wins_for_white);
    key_add_double(&k, p->playout_doubling_advantage);
    key_add_double(&k, (double)p->nn_policy_temperature);
    key_add_double(&k, p->policy_optimism);
    key_add(&k, ((uint64_t)p->conservative_pass_and_is_root << 3) | ((uint64_t)p->enable_passing_hacks << 2) |
                    ((uint64_t)p->avoid_myt_dagger_hack << 1));
    key_add(&k, ((uint64_t)(uint32_t)p->max_history << 32) | (uint32_t)p->pass_alive_suicide_override);
    const size_t area = (size_t)w * (size_t)h;
    const size_t nspatial = (size_t)m->num_input_channels, nglobal = (size_t)m->num_input_global_channels;
    if (situation_only && nspatial >= PREV_LADDER_END && nglobal >= HISTORY_GLOBALS_END) {
        /* What the recent moves decide beyond the planes left out, as KataGo's getHash has it: whether a
         * pass would end the phase (and whether that is then hidden from the network as a friendly pass),
         * and whether the game is already over. */
        bool pass_ends = tg_history_pass_would_end_phase(hist, board, next_pla);
        bool friendly = pass_ends && tg_history_should_suppress_end_game_from_friendly_pass(hist, board, next_pla);
        key_add(&k, ((uint64_t)pass_ends << 3) | ((uint64_t)friendly << 2) | ((uint64_t)hist->is_game_finished << 1) |
                        (uint64_t)hist->is_past_normal_phase_end);
        key_add_bytes(&k, spatial, sizeof(float) * area * HISTORY_PLANES_FIRST);
        key_add_bytes(&k, spatial + area * HISTORY_PLANES_END,
                      sizeof(float) * area * (PREV_LADDER_FIRST - HISTORY_PLANES_END));
        key_add_bytes(&k, spatial + area * PREV_LADDER_END, sizeof(float) * area * (nspatial - PREV_LADDER_END));
        key_add_bytes(&k, global + HISTORY_GLOBALS_END, sizeof(float) * (nglobal - HISTORY_GLOBALS_END));
    } else {
        key_add_bytes(&k, spatial, sizeof(float) * area * nspatial);
        key_add_bytes(&k, global, sizeof(float) * nglobal);
    }
    key_add_bytes(&k, legal, sizeof(bool) * (area + 1));
    tg_nncache_key key = {mix64(k.a ^ mix64(k.b)), mix64(k.b + 0x632be59bd9b4e019ULL) ^ k.a};
    return key;
}

bool tg_nn_evaluate(tg_nn_evaluator *ev, const tg_board *board, const tg_history *hist, tg_color next_pla,
                    int symmetry, const tg_nn_input_params *params, tg_nn_result *out, char *err, size_t errlen) {
    return tg_nn_evaluate_ex(ev, board, hist, next_pla, symmetry, params, 0, out, err, errlen);
}

bool tg_nn_evaluate_ex(tg_nn_evaluator *ev, const tg_board *board, const tg_history *hist, tg_color next_pla,
                       int symmetry, const tg_nn_input_params *params, unsigned flags, tg_nn_result *out, char *err,
                       size_t errlen) {
    const tg_model *m = ev->model;
    const int w = board->xsize, h = board->ysize;
    if (w < 1 || h < 1 || w > TG_MAX_LEN || h > TG_MAX_LEN) {
        tg_set_err(err, errlen, "board size %dx%d is not supported by the network evaluator", w, h);
        return false;
    }
    if (symmetry < 0 || symmetry >= TG_NUM_SYMMETRIES) {
        tg_set_err(err, errlen, "symmetry %d is not one of 0-7", symmetry);
        return false;
    }
    if (next_pla != hist->presumed_next_pla) {
        tg_set_err(err, errlen, "evaluating for %s but the history has %s to move",
                   next_pla == TG_BLACK ? "Black" : "White", hist->presumed_next_pla == TG_BLACK ? "Black" : "White");
        return false;
    }
    tg_nn_input_params default_params;
    if (!params) {
        tg_nn_input_params_default(&default_params);
        params = &default_params;
    }
    const size_t in_len = (size_t)w * (size_t)h * (size_t)m->num_input_channels;
    const size_t glob_len = (size_t)(m->num_input_global_channels > 0 ? m->num_input_global_channels : 1);
    float *buf = malloc(sizeof(float) * (2 * in_len + glob_len));
    if (!buf) {
        tg_set_err(err, errlen, "out of memory");
        return false;
    }
    float *spatial = buf, *spatial_sym = buf + in_len, *global = buf + 2 * in_len;
    bool legal[TG_NN_MAX_POLICY_SIZE];
    tg_nn_fill_inputs_v7(board, hist, next_pla, params, w, h, spatial, global);
    tg_nn_legal_policy_mask(board, hist, next_pla, params, w, h, legal);

    atomic_fetch_add_explicit(&ev->requests, 1, memory_order_relaxed);
    const bool use_cache = ev->cache && !(flags & TG_NN_EVAL_SKIP_CACHE);
    tg_nncache_key key = {0, 0};
    if (use_cache) {
        key = compute_key(m, w, h, symmetry, next_pla, board, hist, params, spatial, global, legal,
                          (flags & TG_NN_EVAL_SITUATION_KEY) != 0);
        if (tg_nncache_get(ev->cache, key, out)) {
            atomic_fetch_add_explicit(&ev->cache_hits, 1, memory_order_relaxed);
            free(buf);
            return true;
        }
    }
    tg_sym_apply_planes(spatial, spatial_sym, m->num_input_channels, h, w, symmetry);

    nn_request req;
    memset(&req, 0, sizeof req);
    req.w = w;
    req.h = h;
    req.symmetry = symmetry;
    req.spatial = spatial_sym;
    req.global = global;
    req.legal = legal;
    req.board = board;
    req.hist = hist;
    req.next_pla = next_pla;
    req.params = params;
    req.out = out;
    pthread_cond_init(&req.cv, NULL);

    pthread_mutex_lock(&ev->mutex);
    if (ev->stopping) {
        req.ok = false;
        tg_set_err(req.err, sizeof req.err, "the network evaluator is shutting down");
    } else {
        if (ev->queue_tail)
            ev->queue_tail->next = &req;
        else
            ev->queue_head = &req;
        ev->queue_tail = &req;
        pthread_cond_broadcast(&ev->server_cv);
        while (!req.done)
            pthread_cond_wait(&req.cv, &ev->mutex);
    }
    pthread_mutex_unlock(&ev->mutex);
    pthread_cond_destroy(&req.cv);
    free(buf);

    if (!req.ok) {
        tg_set_err(err, errlen, "%s", req.err);
        return false;
    }
    if (use_cache)
        tg_nncache_put(ev->cache, key, out);
    return true;
}

const char *tg_nn_default_model_path(void) {
#ifdef TENGEN_BUILDDIR
    /* Running from the build tree: the file configure was given, not yet installed. */
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        size_t root_len = strlen(TENGEN_BUILDDIR);
        if (strncmp(exe, TENGEN_BUILDDIR, root_len) == 0 && exe[root_len] == '/' && TENGEN_BUILD_DEFAULT_MODEL[0] &&
            access(TENGEN_BUILD_DEFAULT_MODEL, R_OK) == 0)
            return TENGEN_BUILD_DEFAULT_MODEL;
    }
#endif
    static const char installed[] = TENGEN_PKGDATADIR "/" TENGEN_DEFAULT_MODEL_NAME;
    return access(installed, R_OK) == 0 ? installed : NULL;
}
