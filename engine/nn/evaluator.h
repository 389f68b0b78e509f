/* The network evaluator: one loaded model on one backend plugin, turning positions into
 * post-processed network outputs (features -> symmetry -> plugin forward pass -> post-processing).
 *
 * Shared by every search thread, as KataGo's NNEvaluator is: a caller featurizes its position in
 * its own thread, looks it up in the result cache (nncache.h), and on a miss queues it and sleeps;
 * numNNServerThreadsPerModel server threads, each with its own backend handle, take up to
 * nnMaxBatchSize queued positions at a time, run them as one batch, post-process each row and
 * wake their callers. The backend context is sized to the board (KataGo's GTP does the same); a
 * position of another size waits until the queue holds no position of the current size, then the
 * context is rebuilt for it.
 *
 * Config keys (KataGo's, with KataGo's GTP defaults):
 *   nnMaxBatchSize             1..65536, default max(8, ((numSearchThreads + 3) / 4) * 4)
 *   numSearchThreads           only read for that default, 1..4096, default 6
 *   numNNServerThreadsPerModel 1..1024, default 1
 *   nnCacheSizePowerOfTwo      -1..48, default 20 (-1: no cache)
 *   nnMutexPoolSizePowerOfTwo  -1..24, default 16 (clamped to the cache size)
 * A bad value makes tg_nn_evaluator_new fail with an error naming the key.
 *
 * The cache key is a 128-bit hash of the featurized inputs (stones, ko and superko bans, encore state,
 * recent moves, ladders, komi, rules: everything the network sees), the legal-move mask, the player
 * to move, the symmetry, the tensor size and every tg_nn_input_params field, so a hit returns exactly
 * what evaluating would. Unlike KataGo's Zobrist key it costs a featurization per lookup (about 0.1 ms
 * at 19x19), small next to a forward pass. */
#ifndef TENGEN_NN_EVALUATOR_H
#define TENGEN_NN_EVALUATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "front/config.h"
#include "game/board.h"
#include "game/history.h"
#include "nn/featurize.h"
#include "nn/postprocess.h"
#include "tengen/backend.h"

typedef struct tg_nn_evaluator tg_nn_evaluator;

/* Loads model_path and the backend the config names (`backend`, default blas-cpu). Every failure
 * (unreadable model, missing or broken plugin, backend refusing the model) returns NULL with one
 * line in err. cfg must outlive the evaluator. */
tg_nn_evaluator *tg_nn_evaluator_new(const tg_config *cfg, const char *model_path, char *err, size_t errlen);
/* Stops and joins the server threads (idle or not) and releases everything. No evaluation may be in
 * progress or start during the call. */
void tg_nn_evaluator_free(tg_nn_evaluator *ev);

const tg_model *tg_nn_evaluator_model(const tg_nn_evaluator *ev);
const char *tg_nn_evaluator_backend_name(const tg_nn_evaluator *ev);

/* Evaluates next_pla to move in (board, hist) under one symmetry (0-7), with the network tensor the
 * size of the board, as KataGo's GTP does. Thread-safe; blocks until the result is ready. Results
 * go through the cache: tg_nn_evaluate_ex(..., 0, ...). */
bool tg_nn_evaluate(tg_nn_evaluator *ev, const tg_board *board, const tg_history *hist, tg_color next_pla,
                    int symmetry, const tg_nn_input_params *params, tg_nn_result *out, char *err, size_t errlen);

/* Flags for tg_nn_evaluate_ex. */
enum {
    /* Neither read nor write the cache: always run the network (kata-raw-nn, like KataGo's). */
    TG_NN_EVAL_SKIP_CACHE = 1u << 0,
    /* Key the cache on the situation, as KataGo's NN cache does for its search: the stones, ko bans,
     * rules, player to move and whether a pass would end the phase, but neither the symmetry nor the
     * recent moves. A transposition reached by another move order, or the same position drawn under
     * another symmetry, then reuses the stored result instead of running the network again, which
     * is what lets KataGo count roughly one visit in ten (19x19) to one in three (9x9) without an
     * evaluation. Without the flag the key is every input the network sees plus the symmetry. */
    TG_NN_EVAL_SITUATION_KEY = 1u << 1,
};

/* tg_nn_evaluate with flags (TG_NN_EVAL_*). */
bool tg_nn_evaluate_ex(tg_nn_evaluator *ev, const tg_board *board, const tg_history *hist, tg_color next_pla,
                       int symmetry, const tg_nn_input_params *params, unsigned flags, tg_nn_result *out, char *err,
                       size_t errlen);

/* Empties the result cache (GTP clear_cache). */
void tg_nn_evaluator_clear_cache(tg_nn_evaluator *ev);

/* Counters since the evaluator was made (or last reset), for benchmarks and tests. */
typedef struct tg_nn_evaluator_stats {
    uint64_t requests;       /* tg_nn_evaluate(_ex) calls that got as far as the cache or the queue */
    uint64_t cache_hits;     /* requests answered from the cache */
    uint64_t evals;          /* positions run through the network */
    uint64_t batches;        /* backend evaluate() calls */
    uint64_t max_batch;      /* largest batch run */
    uint64_t context_builds; /* backend contexts created (one per board size change, plus the first) */
} tg_nn_evaluator_stats;

void tg_nn_evaluator_get_stats(tg_nn_evaluator *ev, tg_nn_evaluator_stats *out);
void tg_nn_evaluator_reset_stats(tg_nn_evaluator *ev);

/* The settings in force. cache_size_pow2 is -1 when there is no cache. */
int tg_nn_evaluator_max_batch_size(const tg_nn_evaluator *ev);
int tg_nn_evaluator_num_server_threads(const tg_nn_evaluator *ev);
int tg_nn_evaluator_cache_size_pow2(const tg_nn_evaluator *ev);

/* The default network: the installed $(pkgdatadir)/default_model.bin.gz, or, when tengen runs from
 * its build tree, the file given to configure --with-default-model. NULL when there is none. */
const char *tg_nn_default_model_path(void);

#endif
