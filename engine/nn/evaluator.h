/* The network evaluator: one loaded model on one backend plugin, turning positions into
 * post-processed network outputs (features -> symmetry -> plugin forward pass -> post-processing).
 *
 * The search issue adds batching across threads and the result cache in front of this; today each
 * call evaluates one position, serialised by a lock. */
#ifndef TENGEN_NN_EVALUATOR_H
#define TENGEN_NN_EVALUATOR_H

#include <stdbool.h>
#include <stddef.h>

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
void tg_nn_evaluator_free(tg_nn_evaluator *ev);

const tg_model *tg_nn_evaluator_model(const tg_nn_evaluator *ev);
const char *tg_nn_evaluator_backend_name(const tg_nn_evaluator *ev);

/* Evaluates next_pla to move in (board, hist) under one symmetry (0-7), with the network tensor the
 * size of the board, as KataGo's GTP does. Thread-safe. */
bool tg_nn_evaluate(tg_nn_evaluator *ev, const tg_board *board, const tg_history *hist, tg_color next_pla,
                    int symmetry, const tg_nn_input_params *params, tg_nn_result *out, char *err, size_t errlen);

/* The default network: the installed $(pkgdatadir)/default_model.bin.gz, or, when tengen runs from
 * its build tree, the file given to configure --with-default-model. NULL when there is none. */
const char *tg_nn_default_model_path(void);

#endif
