/* Network evaluations per second through a backend plugin, at several batch sizes and thread counts.
 *
 *   bench/nneval -model FILE [-backend blas-cpu] [-size 19] [-batches 1,8,32] [-threads 1,2]
 *                [-seconds 5] [-override-config k=v,...]
 *
 * Each thread owns one backend handle and evaluates full batches of real positions (random legal
 * games, featurized as the engine does) for the given time. Speeds are printed as evaluations per
 * second and as a ratio to the first configuration measured in the same run, since absolute figures
 * on a shared machine drift. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "front/config.h"
#include "front/log.h"
#include "game/board.h"
#include "game/history.h"
#include "nn/featurize.h"
#include "nn/model_reader.h"
#include "nn/plugins.h"
#include "tengen/backend.h"

#define NUM_POSITIONS 64
#define MAX_LIST 16

typedef struct bench {
    const tg_backend *backend;
    tg_backend_context *context;
    const tg_model *model;
    int size, batch;
    double seconds;
    const float *spatial, *global; /* NUM_POSITIONS positions */
} bench;

typedef struct worker {
    bench *b;
    int index;
    long long evals;
    bool ok;
    char err[512];
} worker;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *run_worker(void *arg) {
    worker *w = arg;
    bench *b = w->b;
    const tg_model *m = b->model;
    size_t area = (size_t)b->size * (size_t)b->size;
    size_t sp = area * (size_t)m->num_input_channels, gl = (size_t)m->num_input_global_channels;
    tg_backend_handle *h = b->backend->handle_create(b->context, w->index, w->err, sizeof w->err);
    float *spatial = malloc(sizeof(float) * sp * (size_t)b->batch);
    float *global = malloc(sizeof(float) * (gl ? gl : 1) * (size_t)b->batch);
    float *policy = malloc(sizeof(float) * area * (size_t)m->num_policy_channels * (size_t)b->batch);
    float *pass = malloc(sizeof(float) * (size_t)m->num_policy_channels * (size_t)b->batch);
    float *value = malloc(sizeof(float) * (size_t)m->num_value_channels * (size_t)b->batch);
    float *score = malloc(sizeof(float) * (size_t)m->num_score_value_channels * (size_t)b->batch);
    float *own = malloc(sizeof(float) * area * (size_t)m->num_ownership_channels * (size_t)b->batch);
    w->ok = h && spatial && global && policy && pass && value && score && own;
    if (w->ok) {
        for (int i = 0; i < b->batch; i++) {
            int p = (w->index * 7 + i) % NUM_POSITIONS;
            memcpy(spatial + sp * (size_t)i, b->spatial + sp * (size_t)p, sizeof(float) * sp);
            memcpy(global + gl * (size_t)i, b->global + gl * (size_t)p, sizeof(float) * gl);
        }
        tg_nn_inputs in = {.struct_size = sizeof in, .batch_size = b->batch, .spatial = spatial, .global = global};
        tg_nn_outputs out = {.struct_size = sizeof out, .batch_size = b->batch, .policy = policy,
                             .policy_pass = pass, .value = value, .score_value = score, .ownership = own};
        double end = now() + b->seconds;
        while (w->ok && now() < end) {
            w->ok = b->backend->evaluate(h, &in, &out, w->err, sizeof w->err);
            w->evals += b->batch;
        }
    }
    if (h)
        b->backend->handle_destroy(h);
    free(spatial), free(global), free(policy), free(pass), free(value), free(score), free(own);
    return NULL;
}

/* Positions from random legal games, so the inputs look like real ones (stones, liberties, history). */
static void make_positions(const tg_model *m, int size, float *spatial, float *global) {
    size_t sp = (size_t)size * size * (size_t)m->num_input_channels;
    tg_rules rules = tg_rules_default();
    tg_nn_input_params params;
    tg_nn_input_params_default(&params);
    unsigned long long seed = 12345;
    for (int p = 0; p < NUM_POSITIONS; p++) {
        tg_board board;
        tg_board_init(&board, size, size);
        tg_history hist;
        tg_history_init(&hist, &board, TG_BLACK, &rules, 0);
        tg_color pla = TG_BLACK;
        int moves = p * 4;
        for (int i = 0; i < moves; i++) {
            for (int tries = 0; tries < 50; tries++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                int x = (int)((seed >> 33) % (unsigned)size), y = (int)((seed >> 45) % (unsigned)size);
                tg_loc loc = tg_loc_of(x, y, size);
                if (tg_history_is_legal(&hist, &board, loc, pla) && !tg_board_is_simple_eye(&board, loc, pla)) {
                    tg_history_play(&hist, &board, loc, pla, true);
                    pla = tg_opp(pla);
                    break;
                }
            }
        }
        tg_nn_fill_inputs_v7(&board, &hist, pla, &params, size, size, spatial + sp * (size_t)p,
                             global + (size_t)m->num_input_global_channels * (size_t)p);
        tg_history_free(&hist);
    }
}

static int parse_list(const char *s, int *out) {
    int n = 0;
    while (s && *s && n < MAX_LIST) {
        out[n++] = atoi(s);
        s = strchr(s, ',');
        if (s)
            s++;
    }
    return n;
}

int main(int argc, char **argv) {
    const char *model_path = NULL, *backend_name = "blas-cpu", *overrides = NULL;
    const char *batches_arg = "1,8,32", *threads_arg = "1,2";
    int size = 19;
    double seconds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-model")) model_path = argv[i + 1];
        else if (!strcmp(argv[i], "-backend")) backend_name = argv[i + 1];
        else if (!strcmp(argv[i], "-size")) size = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-batches")) batches_arg = argv[i + 1];
        else if (!strcmp(argv[i], "-threads")) threads_arg = argv[i + 1];
        else if (!strcmp(argv[i], "-seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-override-config")) overrides = argv[i + 1];
        else {
            fprintf(stderr, "nneval: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!model_path || size < 2 || size > TG_MAX_LEN) {
        fprintf(stderr, "usage: nneval -model FILE [-backend NAME] [-size N] [-batches 1,8,32] [-threads 1,2] "
                        "[-seconds S] [-override-config k=v,...]\n");
        return 2;
    }
    char err[1024];
    tg_log_open(NULL, false, err, sizeof err);
    tg_config *cfg = tg_config_new();
    if (overrides && !tg_config_apply_overrides(cfg, overrides, err, sizeof err)) {
        fprintf(stderr, "nneval: %s\n", err);
        return 1;
    }
    tg_model *model = tg_model_load(model_path, err, sizeof err);
    const tg_backend *be = model ? tg_plugin_load(cfg, backend_name, NULL, err, sizeof err) : NULL;
    if (!be) {
        fprintf(stderr, "nneval: %s\n", err);
        return 1;
    }
    int batches[MAX_LIST], threads[MAX_LIST];
    int nb = parse_list(batches_arg, batches), nt = parse_list(threads_arg, threads);
    size_t sp = (size_t)size * size * (size_t)model->num_input_channels;
    float *spatial = malloc(sizeof(float) * sp * NUM_POSITIONS);
    float *global = malloc(sizeof(float) * (size_t)model->num_input_global_channels * NUM_POSITIONS);
    make_positions(model, size, spatial, global);
    char desc[512];
    tg_model_describe(model, desc, sizeof desc);
    printf("model: %s\nbackend: %s\nboard: %dx%d, %.0f s per configuration\n\n", desc, be->name, size, size, seconds);
    printf("%8s %8s %12s %14s\n", "threads", "batch", "evals/s", "vs first row");
    double baseline = 0;
    for (int t = 0; t < nt; t++) {
        for (int bi = 0; bi < nb; bi++) {
            bench b = {.backend = be, .model = model, .size = size, .batch = batches[bi], .seconds = seconds,
                       .spatial = spatial, .global = global};
            tg_backend_options opt = {.struct_size = sizeof opt, .nn_x_len = size, .nn_y_len = size,
                                      .max_batch_size = batches[bi], .num_handles = threads[t]};
            b.context = be->create(tg_plugin_host(cfg), model, &opt, err, sizeof err);
            if (!b.context) {
                fprintf(stderr, "nneval: %s\n", err);
                return 1;
            }
            worker w[MAX_LIST];
            pthread_t tid[MAX_LIST];
            double start = now();
            for (int i = 0; i < threads[t]; i++) {
                w[i] = (worker){.b = &b, .index = i};
                pthread_create(&tid[i], NULL, run_worker, &w[i]);
            }
            long long evals = 0;
            for (int i = 0; i < threads[t]; i++) {
                pthread_join(tid[i], NULL);
                if (!w[i].ok) {
                    fprintf(stderr, "nneval: %s\n", w[i].err);
                    return 1;
                }
                evals += w[i].evals;
            }
            double rate = evals / (now() - start);
            if (baseline == 0)
                baseline = rate;
            printf("%8d %8d %12.1f %13.2fx\n", threads[t], batches[bi], rate, rate / baseline);
            fflush(stdout);
            be->destroy(b.context);
        }
    }
    free(spatial);
    free(global);
    tg_model_free(model);
    tg_config_free(cfg);
    return 0;
}
