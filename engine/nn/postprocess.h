/* From raw network outputs to what KataGo's NNEvaluator hands the search and what kata-raw-nn prints:
 * masked policy softmax (with policy optimism and temperature), win/loss/no-result softmax, scaled
 * score statistics, ownership tanh, all turned to White's perspective (the network answers for the
 * player to move). Follows NNEvaluator::evaluate (cpp/neuralnet/nneval.cpp) and the backends' output
 * unpacking, including their float/double arithmetic, so results agree with KataGo's to rounding. */
#ifndef TENGEN_NN_POSTPROCESS_H
#define TENGEN_NN_POSTPROCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "../game/board.h"
#include "../game/history.h"
#include "../util/strbuf.h"
#include "featurize.h"
#include "tengen/model.h"

/* The model's output scalings are tg_postprocess (tengen/model.h); models before version 13 carry
 * none and use tg_postprocess_default. */

/* The raw outputs of one position, as a backend writes them (tg_nn_outputs in tengen/backend.h, one row):
 * all in the symmetry-transformed frame the inputs were given in. */
typedef struct tg_nn_raw_output {
    int nn_x_len, nn_y_len;
    int symmetry;               /* the symmetry applied to the inputs (0-7); undone here */
    const float *policy;        /* [policy_channels][nn_y_len][nn_x_len]; channel 1, when present, is optimistic */
    const float *policy_pass;   /* [policy_channels] */
    int policy_channels;        /* 1 (model <= 11), 2, or 4 (only the first two are read) */
    const float *value;         /* [3]: win, loss, no-result logits for the player to move */
    const float *score_value;   /* [num_score_value]: 6 for model >= 9, 4 for 8, 2 for 4-7 */
    int num_score_value;
    const float *ownership;     /* [nn_y_len][nn_x_len], or NULL when not wanted */
} tg_nn_raw_output;

/* KataGo's NNOutput. Values are from White's perspective. */
typedef struct tg_nn_result {
    int nn_x_len, nn_y_len;
    float white_win_prob, white_loss_prob, white_no_result_prob;
    float white_score_mean;      /* kata-raw-nn's whiteScoreSelfplay */
    float white_score_mean_sq;   /* whiteScoreSelfplaySq */
    float white_lead;
    float var_time_left;         /* -1 for models before 9 */
    float shortterm_winloss_error, shortterm_score_error; /* -1 for models before 9 */
    /* Indexed y * nn_x_len + x, pass at nn_x_len * nn_y_len. Illegal moves and everything past the pass
     * hold -1, as in KataGo, so that "< 0" means illegal; kata-raw-nn prints those as NAN. */
    float policy_probs[TG_NN_MAX_POLICY_SIZE];
    float policy_optimism_used;
    bool has_ownership;
    float white_ownership[TG_NN_MAX_AREA]; /* y * nn_x_len + x; 0 off the board */
} tg_nn_result;

/* Which policy entries are legal for next_pla (KataGo's history.isLegal per point, pass included,
 * plus the MYT dagger ban when params ask for it): legal[y * nn_x_len + x], legal[nn_x_len * nn_y_len] = pass. */
void tg_nn_legal_policy_mask(const tg_board *board, const tg_history *hist, tg_color next_pla,
                             const tg_nn_input_params *params, int nn_x_len, int nn_y_len, bool *legal);

/* Post-processes one evaluation. legal is tg_nn_legal_policy_mask's result for this position (pass NULL to
 * have it computed here). Returns false, with a message, when the network produced non-finite values
 * or the inputs are inconsistent (KataGo throws there). */
bool tg_nn_postprocess(const tg_nn_raw_output *raw, const tg_postprocess *pp, int model_version,
                       const tg_board *board, const tg_history *hist, tg_color next_pla,
                       const tg_nn_input_params *params, const bool *legal, tg_nn_result *out, char *err,
                       size_t errlen);

/* Appends what kata-raw-nn prints for one symmetry (the "symmetry N" line through the blank line after
 * the ownership rows), for a board of xsize x ysize. KataGo trims the whitespace around the whole
 * response: callers concatenating blocks should trim the final text. */
void tg_nn_format_raw_nn(const tg_nn_result *r, int symmetry, int xsize, int ysize, tg_strbuf *out);

#endif
