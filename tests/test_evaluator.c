/* The shared network evaluator: batching across caller threads, the result cache, context rebuilds
 * for another board size, clean shutdown and config errors. Uses the g170 b6c96 network and the
 * blas-cpu plugin; skipped (77) without the shared directory. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "front/config.h"
#include "front/log.h"
#include "game/board.h"
#include "game/history.h"
#include "game/rules.h"
#include "nn/evaluator.h"

#define NUM_CALLERS 4
#define PER_CALLER 25
#define NUM_POS (NUM_CALLERS * PER_CALLER)
#define NUM_SMALL 6 /* 9x9 positions for the mixed-size run */
#define TOL 1e-5

typedef struct position {
    tg_board board;
    tg_history hist;
    tg_color pla;
    int symmetry;
    tg_nn_result ref; /* one at a time, cache off */
    tg_nn_result got;
    bool ok;
    char err[256];
} position;

static position *positions;
static position *small_positions;
static tg_nn_input_params params;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A random legal game of up to max_moves moves (passes rare) on a size x size board. */
static void make_position(position *p, int size, int max_moves, int symmetry) {
    tg_rules rules = tg_rules_default();
    tg_board_init(&p->board, size, size);
    memset(&p->hist, 0, sizeof p->hist);
    tg_history_init(&p->hist, &p->board, TG_BLACK, &rules, 0);
    tg_color pla = TG_BLACK;
    int n = (int)(rng() % (uint64_t)(max_moves + 1));
    for (int i = 0; i < n; i++) {
        tg_loc loc = TG_PASS_LOC;
        for (int tries = 0; tries < 50; tries++) {
            int x = (int)(rng() % (uint64_t)size), y = (int)(rng() % (uint64_t)size);
            tg_loc l = tg_loc_of(x, y, size);
            if (tg_history_is_legal(&p->hist, &p->board, l, pla)) {
                loc = l;
                break;
            }
        }
        if (rng() % 40 == 0)
            loc = TG_PASS_LOC;
        if (loc == TG_PASS_LOC && tg_history_pass_would_end_game(&p->hist, &p->board, pla))
            break;
        tg_history_play(&p->hist, &p->board, loc, pla, false);
        pla = tg_opp(pla);
    }
    p->pla = p->hist.presumed_next_pla;
    p->symmetry = symmetry;
}

static double result_diff(const tg_nn_result *a, const tg_nn_result *b) {
    if (a->nn_x_len != b->nn_x_len || a->nn_y_len != b->nn_y_len || a->has_ownership != b->has_ownership)
        return INFINITY;
    double d = 0.0;
    const float sa[] = {a->white_win_prob, a->white_loss_prob, a->white_no_result_prob, a->white_score_mean,
                        a->white_score_mean_sq, a->white_lead, a->var_time_left, a->shortterm_winloss_error,
                        a->shortterm_score_error, a->policy_optimism_used};
    const float sb[] = {b->white_win_prob, b->white_loss_prob, b->white_no_result_prob, b->white_score_mean,
                        b->white_score_mean_sq, b->white_lead, b->var_time_left, b->shortterm_winloss_error,
                        b->shortterm_score_error, b->policy_optimism_used};
    for (size_t i = 0; i < sizeof sa / sizeof sa[0]; i++)
        d = fmax(d, fabs((double)sa[i] - (double)sb[i]));
    for (int i = 0; i < TG_NN_MAX_POLICY_SIZE; i++)
        d = fmax(d, fabs((double)a->policy_probs[i] - (double)b->policy_probs[i]));
    for (int i = 0; i < TG_NN_MAX_AREA; i++)
        d = fmax(d, fabs((double)a->white_ownership[i] - (double)b->white_ownership[i]));
    return isnan(d) ? INFINITY : d;
}

static bool results_identical(const tg_nn_result *a, const tg_nn_result *b) { return result_diff(a, b) == 0.0; }

/* A 19x19 position from moves given as (x, y) pairs, colours alternating from Black; x < 0 is a pass. */
static void play_sequence(position *p, const int (*moves)[2], int n) {
    tg_rules rules = tg_rules_default();
    tg_board_init(&p->board, 19, 19);
    memset(&p->hist, 0, sizeof p->hist);
    tg_history_init(&p->hist, &p->board, TG_BLACK, &rules, 0);
    tg_color pla = TG_BLACK;
    for (int i = 0; i < n; i++) {
        tg_loc loc = moves[i][0] < 0 ? TG_PASS_LOC : tg_loc_of(moves[i][0], moves[i][1], 19);
        tg_history_play(&p->hist, &p->board, loc, pla, false);
        pla = tg_opp(pla);
    }
    p->pla = pla;
}

/* The search's key: the situation, not the symmetry or the move order. Two orders of the same four
 * moves share one network run under TG_NN_EVAL_SITUATION_KEY but not under the exact key, and the
 * same stones with a pass just played (so that passing again would end the game) do not. */
static void test_situation_key(tg_nn_evaluator *ev) {
    static const int order_a[][2] = {{3, 3}, {15, 15}, {15, 3}, {3, 15}};
    static const int order_b[][2] = {{15, 3}, {3, 15}, {3, 3}, {15, 15}};
    static const int earlier_pass[][2] = {{3, 3}, {-1, -1}, {15, 3}, {15, 15}};
    static const int last_pass[][2] = {{3, 3}, {15, 15}, {15, 3}, {-1, -1}};
    position *a = calloc(4, sizeof *a);
    if (!a) abort();
    play_sequence(&a[0], order_a, 4);
    play_sequence(&a[1], order_b, 4);
    play_sequence(&a[2], earlier_pass, 4);
    play_sequence(&a[3], last_pass, 4);
    char err[256];
    tg_nn_evaluator_stats st, before;
    tg_nn_result r0, r1, r2;
    tg_nn_evaluator_clear_cache(ev);

    tg_nn_evaluator_get_stats(ev, &before);
    CHECK(tg_nn_evaluate_ex(ev, &a[0].board, &a[0].hist, a[0].pla, 0, &params, TG_NN_EVAL_SITUATION_KEY, &r0, err,
                            sizeof err));
    CHECK(tg_nn_evaluate_ex(ev, &a[1].board, &a[1].hist, a[1].pla, 5, &params, TG_NN_EVAL_SITUATION_KEY, &r1, err,
                            sizeof err));
    tg_nn_evaluator_get_stats(ev, &st);
    CHECKF(st.evals == before.evals + 1 && st.cache_hits == before.cache_hits + 1,
           "transposition under another symmetry: %llu evals, %llu hits, want 1 and 1",
           (unsigned long long)(st.evals - before.evals), (unsigned long long)(st.cache_hits - before.cache_hits));
    CHECK(results_identical(&r0, &r1));

    /* The exact key sees the move order and the symmetry. */
    CHECK(tg_nn_evaluate(ev, &a[1].board, &a[1].hist, a[1].pla, 5, &params, &r2, err, sizeof err));
    tg_nn_evaluator_get_stats(ev, &before);
    CHECK(before.evals == st.evals + 1 && before.cache_hits == st.cache_hits);
    /* It ran the network with the other history: not bit for bit the stored answer, but the same
     * judgement of the position (which is why sharing it is harmless). */
    CHECK(!results_identical(&r0, &r2));
    CHECKF(fabs(r0.white_win_prob - r2.white_win_prob) < 0.05, "white wins %.3f after order a, %.3f after order b",
           r0.white_win_prob, r2.white_win_prob);

    /* A pass two moves back is history; a pass just played is part of the situation. */
    CHECK(tg_nn_evaluate_ex(ev, &a[2].board, &a[2].hist, a[2].pla, 2, &params, TG_NN_EVAL_SITUATION_KEY, &r1, err,
                            sizeof err));
    CHECK(tg_nn_evaluate_ex(ev, &a[3].board, &a[3].hist, a[3].pla, 2, &params, TG_NN_EVAL_SITUATION_KEY, &r2, err,
                            sizeof err));
    tg_nn_evaluator_get_stats(ev, &st);
    CHECKF(st.evals == before.evals + 2 && st.cache_hits == before.cache_hits,
           "earlier pass then last pass: %llu evals, %llu hits, want 2 and 0",
           (unsigned long long)(st.evals - before.evals), (unsigned long long)(st.cache_hits - before.cache_hits));
    CHECK(!results_identical(&r1, &r2));
    for (int i = 0; i < 4; i++) tg_history_free(&a[i].hist);
    free(a);
}

static tg_nn_evaluator *make_evaluator(tg_config *cfg, const char *model) {
    char err[512];
    tg_nn_evaluator *ev = tg_nn_evaluator_new(cfg, model, err, sizeof err);
    CHECKF(ev != NULL, "tg_nn_evaluator_new: %s", err);
    return ev;
}

typedef struct caller_arg {
    tg_nn_evaluator *ev;
    position *list;
    int count, stride;
} caller_arg;

static void *caller_main(void *arg) {
    caller_arg *a = arg;
    for (int i = 0; i < a->count; i++) {
        position *p = &a->list[i * a->stride];
        p->ok = tg_nn_evaluate(a->ev, &p->board, &p->hist, p->pla, p->symmetry, &params, &p->got, p->err,
                               sizeof p->err);
    }
    return NULL;
}

/* Runs n callers over list (caller t takes list[t], list[t + n], ...) and waits for them. */
static void run_callers(tg_nn_evaluator *ev, position *list, int total, int n) {
    pthread_t threads[8];
    caller_arg args[8];
    for (int t = 0; t < n; t++) {
        args[t] = (caller_arg){.ev = ev, .list = list + t, .count = (total - t + n - 1) / n, .stride = n};
        CHECK(pthread_create(&threads[t], NULL, caller_main, &args[t]) == 0);
    }
    for (int t = 0; t < n; t++)
        pthread_join(threads[t], NULL);
}

static void test_config_errors(const char *model) {
    static const char *const bad[][2] = {
        {"nnMaxBatchSize", "0"},           {"nnMaxBatchSize", "many"},        {"numNNServerThreadsPerModel", "0"},
        {"nnCacheSizePowerOfTwo", "49"},   {"nnMutexPoolSizePowerOfTwo", "x"}, {"numSearchThreads", "0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tg_config *cfg = tg_config_new();
        tg_config_set(cfg, bad[i][0], bad[i][1]);
        char err[512] = "";
        tg_nn_evaluator *ev = tg_nn_evaluator_new(cfg, model, err, sizeof err);
        CHECKF(ev == NULL, "%s = %s accepted", bad[i][0], bad[i][1]);
        CHECKF(strstr(err, bad[i][0]) != NULL, "error for %s = %s does not name the key: %s", bad[i][0], bad[i][1],
               err);
        tg_nn_evaluator_free(ev);
        tg_config_free(cfg);
    }
}

static void test_defaults(const char *model) {
    tg_config *cfg = tg_config_new();
    tg_config_set(cfg, "nnCacheSizePowerOfTwo", "10");
    tg_nn_evaluator *ev = make_evaluator(cfg, model);
    if (ev) {
        /* numSearchThreads defaults to 1, as the search's own default: max(8, ((1 + 3) / 4) * 4) */
        CHECK(tg_nn_evaluator_max_batch_size(ev) == 8);
        /* blas-cpu is a CPU backend: one server per search thread, at most one per core */
        CHECKF(tg_nn_evaluator_num_server_threads(ev) == 1, "%d servers for 1 search thread",
               tg_nn_evaluator_num_server_threads(ev));
        CHECK(tg_nn_evaluator_cache_size_pow2(ev) == 10);
    }
    tg_nn_evaluator_free(ev);
    tg_config_set(cfg, "numSearchThreads", "13");
    tg_config_set(cfg, "nnCacheSizePowerOfTwo", "-1");
    ev = make_evaluator(cfg, model);
    if (ev) {
        CHECK(tg_nn_evaluator_max_batch_size(ev) == 16);
        CHECK(tg_nn_evaluator_cache_size_pow2(ev) == -1);
        const long cores = sysconf(_SC_NPROCESSORS_ONLN);
        CHECK(tg_nn_evaluator_num_server_threads(ev) == (cores < 13 ? cores : 13));
    }
    tg_nn_evaluator_free(ev);
    tg_config_free(cfg);
}

/* Several idle server threads must stop promptly (alarm() turns a hang into a failure). */
static void test_idle_shutdown(const char *model) {
    tg_config *cfg = tg_config_new();
    tg_config_set(cfg, "numNNServerThreadsPerModel", "3");
    tg_config_set(cfg, "nnCacheSizePowerOfTwo", "4");
    tg_config_set(cfg, "blasCpuThreads", "1");
    tg_nn_evaluator *ev = make_evaluator(cfg, model);
    if (ev) {
        CHECK(tg_nn_evaluator_num_server_threads(ev) == 3);
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    tg_nn_evaluator_free(ev);
    tg_config_free(cfg);
}

/* Callers over interleaved 19x19 and 9x9 positions (caller t takes every n-th). */
static void run_mixed(tg_nn_evaluator *ev, int callers) {
    tg_nn_evaluator_reset_stats(ev);
    position *mixed = calloc(2 * NUM_SMALL, sizeof *mixed);
    if (!mixed)
        return;
    for (int i = 0; i < NUM_SMALL; i++) {
        /* Shallow copies: they share history buffers with the originals and are only read. */
        mixed[2 * i] = positions[20 + i];
        mixed[2 * i + 1] = small_positions[i];
    }
    run_callers(ev, mixed, 2 * NUM_SMALL, callers);
    for (int i = 0; i < 2 * NUM_SMALL; i++) {
        CHECKF(mixed[i].ok, "mixed %d: %s", i, mixed[i].err);
        double d = result_diff(&mixed[i].got, &mixed[i].ref);
        CHECKF(d <= TOL, "mixed %d differs by %g", i, d);
    }
    tg_nn_evaluator_stats st;
    tg_nn_evaluator_get_stats(ev, &st);
    fprintf(stderr, "test_evaluator: mixed sizes, %d server thread(s), %d callers: %llu evals, %llu batches, "
                    "%llu context builds\n",
            tg_nn_evaluator_num_server_threads(ev), callers, (unsigned long long)st.evals,
            (unsigned long long)st.batches, (unsigned long long)st.context_builds);
    CHECK(st.evals == 2 * NUM_SMALL);
    CHECK(st.context_builds >= 1);
    free(mixed);
}

int main(void) {
    const char *shared = check_shared_dir();
    if (!shared) {
        fprintf(stderr, "test_evaluator: SKIP: TENGEN_SHARED_DIR is not set (configure --with-shared-dir)\n");
        return 77;
    }
    char model[1024];
    snprintf(model, sizeof model, "%s/models/g170-b6c96-s175395328-d26788732.bin.gz", shared);
    if (access(model, R_OK) != 0) {
        fprintf(stderr, "test_evaluator: SKIP: %s not found\n", model);
        return 77;
    }
    alarm(300);
    char err[512];
    tg_log_open(NULL, false, err, sizeof err);
    tg_nn_input_params_default(&params);

    positions = calloc(NUM_POS, sizeof *positions);
    small_positions = calloc(NUM_SMALL, sizeof *small_positions);
    if (!positions || !small_positions)
        return 1;
    for (int i = 0; i < NUM_POS; i++)
        make_position(&positions[i], 19, 120, i % 8);
    for (int i = 0; i < NUM_SMALL; i++)
        make_position(&small_positions[i], 9, 40, (i * 3) % 8);

    test_config_errors(model);
    test_defaults(model);
    test_idle_shutdown(model);

    /* Reference: one position at a time, batch size 1, no cache. */
    tg_config *ref_cfg = tg_config_new();
    tg_config_set(ref_cfg, "nnMaxBatchSize", "1");
    tg_config_set(ref_cfg, "nnCacheSizePowerOfTwo", "-1");
    tg_nn_evaluator *ref = make_evaluator(ref_cfg, model);
    if (!ref) {
        tg_config_free(ref_cfg);
        return check_finish("test_evaluator");
    }
    for (int i = 0; i < NUM_POS; i++) {
        position *p = &positions[i];
        CHECKF(tg_nn_evaluate(ref, &p->board, &p->hist, p->pla, p->symmetry, &params, &p->ref, err, sizeof err),
               "reference %d: %s", i, err);
    }
    for (int i = 0; i < NUM_SMALL; i++) {
        position *p = &small_positions[i];
        CHECKF(tg_nn_evaluate(ref, &p->board, &p->hist, p->pla, p->symmetry, &params, &p->ref, err, sizeof err),
               "reference 9x9 %d: %s", i, err);
    }
    tg_nn_evaluator_stats st;
    tg_nn_evaluator_get_stats(ref, &st);
    CHECK(st.cache_hits == 0 && st.evals == NUM_POS + NUM_SMALL && st.batches == st.evals && st.max_batch == 1);
    CHECK(st.context_builds == 2); /* 19x19 at startup, 9x9 once */
    /* The cache off, a repeat runs the network again and gives the same answer. */
    tg_nn_result again;
    CHECK(tg_nn_evaluate(ref, &positions[0].board, &positions[0].hist, positions[0].pla, positions[0].symmetry,
                         &params, &again, err, sizeof err));
    tg_nn_evaluator_get_stats(ref, &st);
    CHECK(st.evals == NUM_POS + NUM_SMALL + 1 && st.cache_hits == 0);
    CHECK(result_diff(&again, &positions[0].ref) <= TOL);
    /* A wrong player to move or symmetry is refused, as before. */
    CHECK(!tg_nn_evaluate(ref, &positions[0].board, &positions[0].hist, tg_opp(positions[0].pla), 0, &params, &again,
                          err, sizeof err));
    CHECK(strstr(err, "to move") != NULL);
    CHECK(!tg_nn_evaluate(ref, &positions[0].board, &positions[0].hist, positions[0].pla, 8, &params, &again, err,
                          sizeof err));
    tg_nn_evaluator_free(ref);
    tg_config_free(ref_cfg);

    /* Shared evaluator: 4 callers, batches of up to 8, cache on. */
    tg_config *cfg = tg_config_new();
    tg_config_set(cfg, "nnMaxBatchSize", "8");
    tg_config_set(cfg, "nnCacheSizePowerOfTwo", "16");
    tg_config_set(cfg, "nnMutexPoolSizePowerOfTwo", "4");
    tg_nn_evaluator *ev = make_evaluator(cfg, model);
    if (!ev) {
        tg_config_free(cfg);
        return check_finish("test_evaluator");
    }
    run_callers(ev, positions, NUM_POS, NUM_CALLERS);
    double worst = 0.0;
    for (int i = 0; i < NUM_POS; i++) {
        position *p = &positions[i];
        CHECKF(p->ok, "position %d: %s", i, p->err);
        double d = result_diff(&p->got, &p->ref);
        if (d > worst)
            worst = d;
        CHECKF(d <= TOL, "position %d (symmetry %d) differs from one-at-a-time evaluation by %g", i, p->symmetry, d);
    }
    tg_nn_evaluator_get_stats(ev, &st);
    double avg = st.batches ? (double)st.evals / (double)st.batches : 0.0;
    fprintf(stderr, "test_evaluator: %d callers: %llu requests, %llu evals in %llu batches (average %.2f, max %llu), "
                    "%llu cache hits; worst difference %.3g\n",
            NUM_CALLERS, (unsigned long long)st.requests, (unsigned long long)st.evals,
            (unsigned long long)st.batches, avg, (unsigned long long)st.max_batch, (unsigned long long)st.cache_hits,
            worst);
    CHECK(st.requests == NUM_POS);
    CHECK(st.evals + st.cache_hits == NUM_POS);
    CHECKF(avg > 1.0, "average batch size %.2f", avg);
    CHECK(st.max_batch <= 8);

    /* Every position again: cache hits, identical to the first answers. The table is direct-mapped,
     * so a position whose slot a later one took is evaluated again (and must still agree). */
    uint64_t evals_before = st.evals, hits_before = st.cache_hits;
    int hits = 0;
    for (int i = 0; i < NUM_POS; i++) {
        position *p = &positions[i];
        tg_nn_result r;
        tg_nn_evaluator_stats before;
        tg_nn_evaluator_get_stats(ev, &before);
        CHECK(tg_nn_evaluate(ev, &p->board, &p->hist, p->pla, p->symmetry, &params, &r, err, sizeof err));
        tg_nn_evaluator_get_stats(ev, &st);
        bool hit = st.cache_hits == before.cache_hits + 1;
        CHECK(hit == (st.evals == before.evals));
        if (hit) {
            hits++;
            CHECKF(results_identical(&r, &p->got), "cached result of position %d differs", i);
        } else {
            CHECKF(result_diff(&r, &p->ref) <= TOL, "re-evaluated position %d differs", i);
        }
    }
    tg_nn_evaluator_get_stats(ev, &st);
    fprintf(stderr, "test_evaluator: repeat: %d of %d from the cache\n", hits, NUM_POS);
    CHECKF(hits >= NUM_POS * 9 / 10, "only %d of %d repeats were cache hits", hits, NUM_POS);
    CHECK(st.cache_hits == hits_before + (uint64_t)hits);
    CHECK(st.evals == evals_before + (uint64_t)(NUM_POS - hits));
    evals_before = st.evals;
    hits_before = st.cache_hits;

    /* Another symmetry or other params are other keys. */
    {
        position *p = &positions[5];
        tg_nn_result r;
        CHECK(tg_nn_evaluate(ev, &p->board, &p->hist, p->pla, (p->symmetry + 1) % 8, &params, &r, err, sizeof err));
        tg_nn_input_params hot = params;
        hot.nn_policy_temperature = 2.0f;
        CHECK(tg_nn_evaluate(ev, &p->board, &p->hist, p->pla, p->symmetry, &hot, &r, err, sizeof err));
        tg_nn_evaluator_get_stats(ev, &st);
        CHECK(st.evals == evals_before + 2);
        evals_before = st.evals;
        hits_before = st.cache_hits;
    }

    /* Skipping the cache runs the network and leaves the hit count alone. */
    {
        position *p = &positions[7];
        tg_nn_result r;
        CHECK(tg_nn_evaluate_ex(ev, &p->board, &p->hist, p->pla, p->symmetry, &params, TG_NN_EVAL_SKIP_CACHE, &r, err,
                                sizeof err));
        tg_nn_evaluator_get_stats(ev, &st);
        CHECK(st.evals == evals_before + 1 && st.cache_hits == hits_before);
        CHECK(result_diff(&r, &p->ref) <= TOL);
    }

    /* clear_cache: the next request misses, then hits again. */
    tg_nn_evaluator_clear_cache(ev);
    {
        position *p = &positions[11];
        tg_nn_result r;
        tg_nn_evaluator_get_stats(ev, &st);
        evals_before = st.evals;
        hits_before = st.cache_hits;
        CHECK(tg_nn_evaluate(ev, &p->board, &p->hist, p->pla, p->symmetry, &params, &r, err, sizeof err));
        tg_nn_evaluator_get_stats(ev, &st);
        CHECK(st.evals == evals_before + 1 && st.cache_hits == hits_before);
        CHECK(result_diff(&r, &p->ref) <= TOL);
        CHECK(tg_nn_evaluate(ev, &p->board, &p->hist, p->pla, p->symmetry, &params, &r, err, sizeof err));
        tg_nn_evaluator_get_stats(ev, &st);
        CHECK(st.evals == evals_before + 1 && st.cache_hits == hits_before + 1);
    }

    test_situation_key(ev);

    /* Two board sizes at once: 19x19 and 9x9 callers share the evaluator; the context is rebuilt
     * between sizes and every answer still matches. */
    tg_nn_evaluator_clear_cache(ev);
    run_mixed(ev, 2);
    tg_nn_evaluator_free(ev);
    tg_config_free(cfg);

    /* The same with two server threads (each with its own backend handle) and four callers. */
    cfg = tg_config_new();
    tg_config_set(cfg, "numNNServerThreadsPerModel", "2");
    tg_config_set(cfg, "nnMaxBatchSize", "4");
    tg_config_set(cfg, "nnCacheSizePowerOfTwo", "8");
    tg_config_set(cfg, "blasCpuThreads", "1");
    ev = make_evaluator(cfg, model);
    if (ev)
        run_mixed(ev, 4);
    tg_nn_evaluator_free(ev);
    tg_config_free(cfg);
    for (int i = 0; i < NUM_POS; i++)
        tg_history_free(&positions[i].hist);
    for (int i = 0; i < NUM_SMALL; i++)
        tg_history_free(&small_positions[i].hist);
    free(positions);
    free(small_positions);
    tg_log_close();
    return check_finish("test_evaluator");
}
