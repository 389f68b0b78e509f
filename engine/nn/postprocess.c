/* Post-processing of raw network outputs. See postprocess.h.
 *
 * Precision matters for agreement with KataGo's printed numbers: the policy is computed in float
 * (KataGo's exp/sum there are single precision), the value and score statistics in double from
 * float products, and ownership with a float tanh. */
#include "postprocess.h"

#include <math.h>
#include <string.h>

#include "../util/errmsg.h"
#include "symmetry.h"

/* ---------------------------------------------------------------------------------------------- */
/* The "MYT dagger" hack: a joseki shape in which KataGo can be told never to play one particular
 * move. The shape, in the top-left corner, rows top to bottom: X = the player to move, O = the opponent,
 * '.' = empty, '*' = the banned point (any content). It is matched in eight orientations. */

static const char *const k_dagger_rows[9] = {
    "........", "........", "..OX....", "..OX....", "........", ".OX.....", ".*......", "........", "........",
};

/* Orientation bits for the dagger scan (its own convention, not the tensor symmetries): bit 0 swaps the
 * pattern's axes, bit 1 mirrors x, bit 2 mirrors y. Returns the banned point, or TG_NULL_LOC. */
static tg_loc dagger_ban(const tg_board *b, tg_color pla, int orient) {
    tg_loc banned = TG_NULL_LOC;
    for (int py = 0; py < 9; py++) {
        for (int px = 0; px < 8; px++) {
            int x = px, y = py;
            if (orient & 1) {
                x = py;
                y = px;
            }
            if (orient & 2) x = b->xsize - 1 - x;
            if (orient & 4) y = b->ysize - 1 - y;
            tg_loc loc = tg_loc_of(x, y, b->xsize);
            tg_color c = b->color[loc];
            switch (k_dagger_rows[py][px]) {
            case '.':
                if (c != TG_EMPTY) return TG_NULL_LOC;
                break;
            case 'X':
                if (c != pla) return TG_NULL_LOC;
                break;
            case 'O':
                if (c != tg_opp(pla)) return TG_NULL_LOC;
                break;
            default:
                banned = loc;
                break;
            }
        }
    }
    return banned;
}

void tg_nn_legal_policy_mask(const tg_board *board, const tg_history *hist, tg_color next_pla,
                             const tg_nn_input_params *params, int nn_x_len, int nn_y_len, bool *legal) {
    int area = nn_x_len * nn_y_len;
    for (int pos = 0; pos < area; pos++) {
        int x = pos % nn_x_len, y = pos / nn_x_len;
        legal[pos] = x < board->xsize && y < board->ysize &&
                     tg_history_is_legal(hist, board, tg_loc_of(x, y, board->xsize), next_pla);
    }
    legal[area] = tg_history_is_legal(hist, board, TG_PASS_LOC, next_pla);

    if (params && params->avoid_myt_dagger_hack && board->xsize >= 13 && board->ysize >= 13) {
        for (int orient = 0; orient < 8; orient++) {
            tg_loc ban = dagger_ban(board, next_pla, orient);
            if (ban != TG_NULL_LOC)
                legal[tg_loc_y(ban, board->xsize) * nn_x_len + tg_loc_x(ban, board->xsize)] = false;
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */

/* log(1 + e^x), without overflow for large x. */
static double softplus(double x) { return x > 40.0 ? x : log(1.0 + exp(x)); }

static bool policy_probs(const tg_nn_raw_output *raw, const tg_postprocess *pp,
                         const tg_nn_input_params *params, const bool *legal, tg_nn_result *out, char *err,
                         size_t errlen) {
    const int area = raw->nn_x_len * raw->nn_y_len;
    const int size = area + 1;
    float *policy = out->policy_probs;

    /* Blend the ordinary and the optimistic policy heads in logit space, in the network's frame. */
    float mixed[TG_NN_MAX_AREA];
    float opt = (float)params->policy_optimism;
    bool has_opt = raw->policy_channels >= 2;
    for (int i = 0; i < area; i++) {
        float v = raw->policy[i];
        if (has_opt) v = v + (raw->policy[area + i] - v) * opt;
        mixed[i] = v;
    }
    tg_sym_undo_planes(mixed, policy, 1, raw->nn_y_len, raw->nn_x_len, raw->symmetry);
    float pass = raw->policy_pass[0];
    if (has_opt) pass = pass + (raw->policy_pass[1] - pass) * opt;
    policy[area] = pass;

    float scale = pp->output_scale_multiplier / params->nn_policy_temperature;
    float max_logit = -1e25f;
    int num_legal = 0;
    for (int i = 0; i < size; i++) {
        float v = -1e30f;
        if (legal[i]) {
            num_legal++;
            v = policy[i] * scale;
        }
        policy[i] = v;
        if (v > max_logit) max_logit = v;
    }
    if (num_legal == 0) {
        tg_set_err(err, errlen, "no legal move for the policy (not even pass)");
        return false;
    }

    float sum = 0.0f;
    if (params->enable_passing_hacks) {
        /* Passing may take at most 95% of the policy (19 times all other moves together). */
        for (int i = 0; i < area; i++) {
            policy[i] = expf(policy[i] - max_logit);
            sum += policy[i];
        }
        float p = expf(policy[area] - max_logit);
        if (p > sum * 19.0f) p = sum * 19.0f;
        if (p < 1e-20f) p = 1e-20f;
        policy[area] = p;
        sum += p;
    } else {
        for (int i = 0; i < size; i++) {
            policy[i] = expf(policy[i] - max_logit);
            sum += policy[i];
        }
    }
    if (!isfinite(sum)) {
        tg_set_err(err, errlen, "the network's policy is not finite");
        return false;
    }
    if (sum <= 0.0f) {
        /* Every legal move underflowed: fall back to uniform over them, as KataGo does. */
        float uniform = 1.0f / (float)num_legal;
        for (int i = 0; i < size; i++) policy[i] = legal[i] ? uniform : -1.0f;
    } else {
        for (int i = 0; i < size; i++) policy[i] = legal[i] ? policy[i] / sum : -1.0f;
    }
    for (int i = size; i < TG_NN_MAX_POLICY_SIZE; i++) policy[i] = -1.0f;
    out->policy_optimism_used = (float)params->policy_optimism;
    return true;
}

bool tg_nn_postprocess(const tg_nn_raw_output *raw, const tg_postprocess *pp, int model_version,
                       const tg_board *board, const tg_history *hist, tg_color next_pla,
                       const tg_nn_input_params *params, const bool *legal, tg_nn_result *out, char *err,
                       size_t errlen) {
    if (model_version < 4) {
        tg_set_err(err, errlen, "post-processing of model version %d is not supported", model_version);
        return false;
    }
    if (raw->nn_x_len < board->xsize || raw->nn_y_len < board->ysize || raw->nn_x_len > TG_MAX_LEN ||
        raw->nn_y_len > TG_MAX_LEN || raw->policy_channels < 1) {
        tg_set_err(err, errlen, "network output shape %dx%d (%d policy channels) does not fit a %dx%d board",
                   raw->nn_x_len, raw->nn_y_len, raw->policy_channels, board->xsize, board->ysize);
        return false;
    }
    if (raw->symmetry < 0 || raw->symmetry >= TG_NUM_SYMMETRIES) {
        tg_set_err(err, errlen, "symmetry %d is not one of 0-7", raw->symmetry);
        return false;
    }
    if (next_pla != hist->presumed_next_pla) {
        /* KataGo insists on this too: legality (and so the policy) is only defined for the player to move. */
        tg_set_err(err, errlen, "evaluating for %s but the history has %s to move",
                   next_pla == TG_BLACK ? "Black" : "White", hist->presumed_next_pla == TG_BLACK ? "Black" : "White");
        return false;
    }
    int need_score = model_version >= 9 ? 6 : model_version >= 8 ? 4 : 2;
    if (raw->num_score_value < need_score) {
        tg_set_err(err, errlen, "model version %d needs %d score-value outputs, got %d", model_version, need_score,
                   raw->num_score_value);
        return false;
    }

    const int area = raw->nn_x_len * raw->nn_y_len;
    out->nn_x_len = raw->nn_x_len;
    out->nn_y_len = raw->nn_y_len;

    bool own_mask[TG_NN_MAX_POLICY_SIZE];
    if (!legal) {
        tg_nn_legal_policy_mask(board, hist, next_pla, params, raw->nn_x_len, raw->nn_y_len, own_mask);
        legal = own_mask;
    }
    if (!policy_probs(raw, pp, params, legal, out, err, errlen)) return false;

    /* Values. The products with the output scale are taken in float, as KataGo multiplies two floats. */
    const float s = pp->output_scale_multiplier;
    const float *sv = raw->score_value;
    double win_logit = (double)(raw->value[0] * s);
    double loss_logit = (double)(raw->value[1] * s);
    double no_result_logit = (double)(raw->value[2] * s);
    double mean_pre = (double)(sv[0] * s);
    double stdev_pre = (double)(sv[1] * s);
    double lead_pre = model_version >= 8 ? (double)(sv[2] * s) : mean_pre;
    double var_time_pre = model_version >= 8 ? (double)(sv[3] * s) : 0.0;
    double st_wl_pre = model_version >= 9 ? (double)(sv[4] * s) : 0.0;
    double st_score_pre = model_version >= 9 ? (double)(sv[5] * s) : 0.0;

    /* Without simple ko and territory scoring, no-result (a long cycle) cannot happen. */
    bool no_result_possible = hist->rules.ko_rule == TG_KO_SIMPLE || hist->rules.scoring_rule == TG_SCORING_TERRITORY;
    if (!no_result_possible) no_result_logit -= 100000.0;
    double top = win_logit > loss_logit ? win_logit : loss_logit;
    if (no_result_logit > top) top = no_result_logit;
    double win = exp(win_logit - top), loss = exp(loss_logit - top), no_result = exp(no_result_logit - top);
    if (!no_result_possible) no_result = 0.0;
    double total = win + loss + no_result;
    win /= total;
    loss /= total;
    no_result /= total;

    double mean = mean_pre * pp->score_mean_multiplier;
    double stdev = softplus(stdev_pre) * pp->score_stdev_multiplier;
    double mean_sq = mean * mean + stdev * stdev;
    double lead = lead_pre * pp->lead_multiplier;
    double var_time = softplus(var_time_pre) * pp->variance_time_multiplier;
    /* The score heads predict conditionally on the game having a result; no-result counts as score 0. */
    mean *= 1.0 - no_result;
    mean_sq *= 1.0 - no_result;
    lead *= 1.0 - no_result;

    double st_wl, st_score;
    if (model_version >= 14) {
        double a = softplus(st_wl_pre * 0.5), b = softplus(st_score_pre * 0.5);
        st_wl = sqrt(a * a * pp->shortterm_value_error_multiplier);
        st_score = sqrt(b * b * pp->shortterm_score_error_multiplier);
    } else if (model_version >= 10) {
        st_wl = sqrt(softplus(st_wl_pre) * pp->shortterm_value_error_multiplier);
        st_score = sqrt(softplus(st_score_pre) * pp->shortterm_score_error_multiplier);
    } else {
        st_wl = softplus(st_wl_pre);
        st_score = softplus(st_score_pre) * 10.0;
    }
    if (!isfinite(total) || !isfinite(mean) || !isfinite(mean_sq) || !isfinite(lead) || !isfinite(var_time) ||
        !isfinite(st_wl) || !isfinite(st_score)) {
        tg_set_err(err, errlen, "the network's value or score outputs are not finite");
        return false;
    }

    /* The network speaks for the player to move; the result is White's view. */
    bool white = next_pla == TG_WHITE;
    out->white_win_prob = (float)(white ? win : loss);
    out->white_loss_prob = (float)(white ? loss : win);
    out->white_no_result_prob = (float)no_result;
    out->white_score_mean = white ? (float)mean : -(float)mean;
    out->white_score_mean_sq = (float)mean_sq;
    out->white_lead = white ? (float)lead : -(float)lead;
    if (model_version >= 9) {
        out->var_time_left = (float)var_time;
        out->shortterm_winloss_error = (float)st_wl;
        out->shortterm_score_error = (float)st_score;
    } else {
        out->var_time_left = -1.0f;
        out->shortterm_winloss_error = -1.0f;
        out->shortterm_score_error = -1.0f;
    }

    out->has_ownership = raw->ownership != NULL;
    memset(out->white_ownership, 0, sizeof out->white_ownership);
    if (raw->ownership) {
        float own[TG_NN_MAX_AREA];
        tg_sym_undo_planes(raw->ownership, own, 1, raw->nn_y_len, raw->nn_x_len, raw->symmetry);
        for (int pos = 0; pos < area; pos++) {
            int x = pos % raw->nn_x_len, y = pos / raw->nn_x_len;
            if (x >= board->xsize || y >= board->ysize) continue;
            float t = tanhf(own[pos] * s);
            out->white_ownership[pos] = white ? t : -t;
        }
    }
    return true;
}

/* ---------------------------------------------------------------------------------------------- */

void tg_nn_format_raw_nn(const tg_nn_result *r, int symmetry, int xsize, int ysize, tg_strbuf *out) {
    tg_strbuf_appendf(out, "symmetry %d\n", symmetry);
    tg_strbuf_appendf(out, "whiteWin %.6f\n", (double)r->white_win_prob);
    tg_strbuf_appendf(out, "whiteLoss %.6f\n", (double)r->white_loss_prob);
    tg_strbuf_appendf(out, "noResult %.6f\n", (double)r->white_no_result_prob);
    tg_strbuf_appendf(out, "whiteLead %.3f\n", (double)r->white_lead);
    tg_strbuf_appendf(out, "whiteScoreSelfplay %.3f\n", (double)r->white_score_mean);
    tg_strbuf_appendf(out, "whiteScoreSelfplaySq %.3f\n", (double)r->white_score_mean_sq);
    tg_strbuf_appendf(out, "varTimeLeft %.3f\n", (double)r->var_time_left);
    tg_strbuf_appendf(out, "shorttermWinlossError %.3f\n", (double)r->shortterm_winloss_error);
    tg_strbuf_appendf(out, "shorttermScoreError %.3f\n", (double)r->shortterm_score_error);
    tg_strbuf_append(out, "policy\n");
    for (int y = 0; y < ysize; y++) {
        for (int x = 0; x < xsize; x++) {
            float p = r->policy_probs[y * r->nn_x_len + x];
            if (p < 0.0f) tg_strbuf_append(out, "    NAN ");
            else tg_strbuf_appendf(out, "%8.6f ", (double)p);
        }
        tg_strbuf_append(out, "\n");
    }
    float pass = r->policy_probs[r->nn_x_len * r->nn_y_len];
    if (pass < 0.0f) tg_strbuf_append(out, "policyPass     NAN \n");
    else tg_strbuf_appendf(out, "policyPass %8.6f \n", (double)pass);
    tg_strbuf_append(out, "whiteOwnership\n");
    for (int y = 0; y < ysize; y++) {
        for (int x = 0; x < xsize; x++)
            tg_strbuf_appendf(out, "%9.7f ", (double)r->white_ownership[y * r->nn_x_len + x]);
        tg_strbuf_append(out, "\n");
    }
    tg_strbuf_append(out, "\n");
}
