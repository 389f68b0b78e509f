/* Judging the end of the game: final_score and final_status_list from the network's view, and the two
 * passing hacks KataGo applies to a genmove (friendly pass and cleanup before pass), all resting on short
 * noiseless searches of the position. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gtp_internal.h"
#include "log.h"

/* A search's values at its root, from White's side (KataGo's ReportedSearchValues). */
typedef struct white_values {
    double utility, score_mean, lead, win_loss;
} white_values;

/* KataGo's noiseless search (PlayUtils::computeOwnership and friends): `visits` visits from board / hist with
 * pla to move, with conservativePass (a pass at the root never ends the game), plain root policy and FPU,
 * one symmetry, no avoid / allow. Gives White's tree ownership (xsize * ysize, when own is not NULL) and the
 * root's values (when v is not NULL). The parameters are restored and the tree dropped afterwards. */
static bool noiseless_search(tg_gtp *g, const tg_board *board, const tg_history *hist, tg_color pla,
                             int64_t visits, double *own, white_values *v, char *err, size_t errlen) {
    tg_search_params old = *tg_search_get_params(g->search), p = old;
    p.max_visits = visits;
    p.max_playouts = visits;
    p.conservative_pass = true;
    p.root_policy_temperature = 1.0;
    p.root_policy_temperature_early = 1.0;
    p.root_fpu_reduction_max = p.fpu_reduction_max;
    p.root_fpu_loss_prop = p.fpu_loss_prop;
    p.root_num_symmetries_to_sample = 1;
    if (p.num_threads > (visits + 7) / 8)
        p.num_threads = (int)((visits + 7) / 8);
    tg_search_set_params(g->search, &p);
    tg_search_set_avoid(g->search, NULL, NULL);
    tg_search_set_position(g->search, board, hist, pla);
    tg_search_limits limits = {.max_visits = visits, .max_playouts = visits, .max_time = 1e30};
    bool ok = tg_search_run(g->search, pla, &limits, NULL, 0, NULL, NULL, err, errlen);
    if (ok && own && !tg_search_tree_ownership(g->search, own, NULL)) {
        ok = false;
        snprintf(err, errlen, "the network gave no ownership");
    }
    if (ok && v) {
        tg_root_info root;
        tg_search_root_info(g->search, &root);
        double sign = root.pla == TG_WHITE ? 1.0 : -1.0;
        v->utility = sign * root.utility;
        v->score_mean = sign * root.score_mean;
        v->lead = sign * root.score_lead;
        v->win_loss = sign * (2.0 * root.winrate - 1.0);
    }
    tg_search_set_params(g->search, &old);
    tg_search_clear_tree(g->search);
    g->search_stale = true;
    return ok;
}

/* KataGo's computeAnticipatedStatusesWithOwnership: a chain is alive when its mean ownership for its colour
 * exceeds 0.2 and no stone of it is below -0.6 (ownership from a noiseless search). alive gets an entry per
 * tg_loc; own (when not NULL) the ownership used. */
static bool anticipated_statuses(tg_gtp *g, const tg_board *b, const tg_history *hist, tg_color pla,
                                 int64_t visits, bool *alive, double *own, char *err, size_t errlen) {
    double own_buf[TG_MAX_PLAY_SIZE];
    if (!own)
        own = own_buf;
    if (!noiseless_search(g, b, hist, pla, visits, own, NULL, err, errlen))
        return false;
    bool solved[TG_MAX_ARR_SIZE];
    memset(solved, 0, sizeof solved);
    memset(alive, 0, sizeof(bool) * TG_MAX_ARR_SIZE);
    for (int y = 0; y < b->ysize; y++)
        for (int x = 0; x < b->xsize; x++) {
            tg_loc loc = tg_loc_of(x, y, b->xsize);
            tg_color c = b->color[loc];
            if (solved[loc] || (c != TG_BLACK && c != TG_WHITE))
                continue;
            double sum = 0, lo = 1e9, hi = -1e9;
            int count = 0;
            tg_loc cur = loc;
            do {
                double o = own[tg_loc_y(cur, b->xsize) * b->xsize + tg_loc_x(cur, b->xsize)];
                sum += o;
                lo = o < lo ? o : lo;
                hi = o > hi ? o : hi;
                count++;
                cur = b->next_in_chain[cur];
            } while (cur != loc);
            double avg = sum / count;
            bool is_alive = c == TG_WHITE ? avg > 0.2 && lo > -0.6 : avg < -0.2 && hi < 0.6;
            cur = loc;
            do {
                alive[cur] = is_alive;
                solved[cur] = true;
                cur = b->next_in_chain[cur];
            } while (cur != loc);
        }
    return true;
}

/* ------------------------------------------------------------------ the lead, as KataGo's computeLead */

/* Searches of one position at several komis, each komi searched once (KataGo's scoreWLCache). */
typedef struct komi_evaluator {
    tg_gtp *g;
    const tg_board *board;
    tg_history *hist;
    tg_color pla;
    int64_t visits;
    int count;
    float komi[64];
    double lead[64], win_loss[64];
    bool failed;
    char err[512];
} komi_evaluator;

/* KataGo's roundAndClipKomi: to the nearest half point, within the featurizer's komi range. */
static float round_and_clip_komi(double komi, const tg_board *board) {
    double range = 20.0 + board->xsize * board->ysize;
    komi = komi < -range ? -range : komi > range ? range : komi;
    return (float)(0.5 * round(2.0 * komi));
}

/* White's lead and win-loss value with the game's komi set to komi. */
static void eval_komi(komi_evaluator *e, float komi, double *lead, double *win_loss) {
    for (int i = 0; i < e->count; i++)
        if (e->komi[i] == komi) {
            *lead = e->lead[i], *win_loss = e->win_loss[i];
            return;
        }
    *lead = *win_loss = 0;
    if (e->failed)
        return;
    float old = e->hist->rules.komi;
    tg_history_set_komi(e->hist, komi);
    white_values v;
    e->failed = !noiseless_search(e->g, e->board, e->hist, e->pla, e->visits, NULL, &v, e->err, sizeof e->err);
    tg_history_set_komi(e->hist, old);
    if (e->failed)
        return;
    *lead = v.lead, *win_loss = v.win_loss;
    if (e->count < 64) {
        e->komi[e->count] = komi, e->lead[e->count] = v.lead, e->win_loss[e->count] = v.win_loss;
        e->count++;
    }
}

static double win_loss_at(komi_evaluator *e, double komi) {
    double lead, win_loss;
    eval_komi(e, round_and_clip_komi(komi, e->board), &lead, &win_loss);
    return win_loss;
}

/* KataGo's getNaiveEvenKomiHelper: shifts komi by the predicted lead (at most three times, never further than
 * the previous shift, stopping when the statistics disagree), then bisects on the win-loss value to the half
 * point and interpolates: the komi that would make the game even. */
static double naive_even_komi(komi_evaluator *e) {
    tg_history *hist = e->hist;
    double last_shift = 0, last_win_loss = 0, last_lead = 0;
    for (int i = 0; i < 3; i++) {
        double lead, win_loss;
        eval_komi(e, hist->rules.komi, &lead, &win_loss);
        if (i > 0 && ((last_lead > 0 && lead > last_lead + 5 && win_loss < 0.75) ||
                      (last_lead < 0 && lead < last_lead - 5 && win_loss > -0.75) ||
                      (last_win_loss > 0 && win_loss > last_win_loss + 0.1) ||
                      (last_win_loss < 0 && win_loss < last_win_loss - 0.1))) {
            tg_history_set_komi(hist, round_and_clip_komi(hist->rules.komi - last_shift * 0.5, e->board));
            break;
        }
        last_lead = lead;
        last_win_loss = win_loss;
        double shift = -lead;
        if (i > 0 && fabs(shift) > fabs(last_shift))
            shift = shift < 0 ? -fabs(last_shift) : fabs(last_shift);
        last_shift = shift;
        if ((shift > 0 && win_loss > 0) || (shift < 0 && lead < 0))
            break;
        tg_history_set_komi(hist, round_and_clip_komi(hist->rules.komi + shift, e->board));
        if (fabs(shift) < 16.0)
            break;
    }

    double base = hist->rules.komi;
    double lower_delta, upper_delta, lower_wl, upper_wl;
    double wl0 = win_loss_at(e, base);
    if (wl0 < 0) {
        lower_delta = 0, lower_wl = wl0;
        upper_delta = 1, upper_wl = wl0;
        for (int i = 0; i <= 5; i++) {
            upper_delta = round(pow(2.0, i));
            upper_wl = win_loss_at(e, base + upper_delta);
            if (upper_wl >= 0)
                break;
        }
    } else {
        upper_delta = 0, upper_wl = wl0;
        lower_delta = -1, lower_wl = wl0;
        for (int i = 0; i <= 5; i++) {
            lower_delta = -round(pow(2.0, i));
            lower_wl = win_loss_at(e, base + lower_delta);
            if (lower_wl <= 0)
                break;
        }
    }
    while (upper_delta - lower_delta > 0.50001 && !e->failed) {
        double mid = 0.5 * (lower_delta + upper_delta);
        double mid_wl = win_loss_at(e, base + mid);
        if (mid_wl < 0)
            lower_delta = mid, lower_wl = mid_wl;
        else
            upper_delta = mid, upper_wl = mid_wl;
    }
    double delta;
    if (lower_wl >= upper_wl - 1e-30)
        delta = 0.5 * (lower_delta + upper_delta); /* crossed by noise */
    else if (upper_wl <= 0)
        delta = upper_delta;
    else if (lower_wl >= 0)
        delta = lower_delta;
    else
        delta = lower_delta + (upper_delta - lower_delta) * (0 - lower_wl) / (upper_wl - lower_wl);
    return base + delta;
}

/* KataGo's PlayUtils::computeLead: White's lead as the komi change that would make the game even, with area
 * scoring's two-point granularity averaged out. */
static bool compute_lead(tg_gtp *g, const tg_board *board, const tg_history *hist, tg_color pla, int64_t visits,
                         double *white_lead, char *err, size_t errlen) {
    komi_evaluator *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    tg_history h = {0};
    tg_history_copy(&h, hist);
    *e = (komi_evaluator){.g = g, .board = board, .hist = &h, .pla = pla, .visits = visits};
    float old_komi = h.rules.komi;
    double naive = naive_even_komi(e);
    tg_history_set_komi(&h, old_komi);
    double result = naive;
    bool coarse = h.rules.scoring_rule == TG_SCORING_AREA && !h.rules.has_button;
    if (coarse && naive != round(naive)) {
        double lower = floor(naive * 2.0) * 0.5, upper = lower + 0.5;
        double lower_wl = 0.5 * (win_loss_at(e, upper) + win_loss_at(e, lower - 0.5));
        double upper_wl = 0.5 * (win_loss_at(e, upper + 0.5) + win_loss_at(e, lower));
        if (lower_wl >= upper_wl - 1e-30)
            result = 0.5 * (lower + upper);
        else {
            result = lower + (upper - lower) * (0 - lower_wl) / (upper_wl - lower_wl);
            result = result < lower - 0.5 ? lower - 0.5 : result > upper + 0.5 ? upper + 0.5 : result;
        }
    }
    *white_lead = old_komi - result;
    bool ok = !e->failed;
    if (!ok)
        snprintf(err, errlen, "%s", e->err);
    tg_history_free(&h);
    free(e);
    return ok;
}

/* A finished game whose recorded result stands (KataGo: area scoring without friendlyPassOk, or territory). */
static bool game_result_stands(const tg_history *h) {
    return h->is_game_finished && ((h->rules.scoring_rule == TG_SCORING_AREA && !h->rules.friendly_pass_ok) ||
                                   h->rules.scoring_rule == TG_SCORING_TERRITORY);
}

/* final_score as KataGo's computeAnticipatedWinnerAndScore: the recorded result of a finished game;
 * otherwise, with a network, the lead found by komi bisection (compute_lead) rounded to the game's result
 * granularity; without one, a Tromp-Taylor area count with every stone alive. */
void cmd_final_score(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    const tg_history *h = &g->hist;
    double white_minus_black;
    tg_color winner;
    if (game_result_stands(h)) {
        winner = h->winner;
        white_minus_black = h->final_white_minus_black_score;
    } else if (g->search) {
        int64_t visits = g->search_params.num_threads * 10 > 50 ? g->search_params.num_threads * 10 : 50;
        double lead;
        char err[512];
        if (!compute_lead(g, &g->board, &g->hist, g->next_pla, visits, &lead, err, sizeof err))
            return gtp_fail(r, "search failed: %s", err);
        if (tg_rules_game_result_will_be_integer(&h->rules))
            lead = round(lead);
        else
            lead = round(lead + 0.5) - 0.5;
        white_minus_black = lead;
        winner = lead > 0 ? TG_WHITE : lead < 0 ? TG_BLACK : TG_EMPTY;
    } else {
        tg_color area[TG_MAX_ARR_SIZE];
        tg_board_calculate_area(&g->board, area, true, true, true, g->rules.multi_stone_suicide_legal);
        int score = 0;
        for (int y = 0; y < g->board.ysize; y++)
            for (int x = 0; x < g->board.xsize; x++) {
                tg_color c = area[tg_loc_of(x, y, g->board.xsize)];
                score += c == TG_WHITE ? 1 : c == TG_BLACK ? -1 : 0;
            }
        white_minus_black = score + h->rules.komi + h->white_bonus_score + h->white_handicap_bonus_score;
        winner = white_minus_black > 0 ? TG_WHITE : white_minus_black < 0 ? TG_BLACK : TG_EMPTY;
    }
    if (winner == TG_WHITE)
        tg_strbuf_appendf(&r->text, "W+%.1f", white_minus_black);
    else if (winner == TG_BLACK)
        tg_strbuf_appendf(&r->text, "B+%.1f", -white_minus_black);
    else
        tg_strbuf_append(&r->text, "0");
}

/* final_status_list alive|seki|dead, as KataGo's computeAnticipatedStatuses. A finished game whose result
 * stands (and any position without a network) is judged as scored: a stone is alive when the area count
 * (pass-dead stones removed) gives its point to its colour; all alive under no result. Otherwise a short
 * search's tree ownership decides per chain: alive when its mean ownership for its colour exceeds 0.2 and
 * no stone of it is below -0.6. seki lists nothing, as in KataGo. */
void cmd_final_status_list(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc != 1) {
        tg_strbuf joined;
        tg_strbuf_init(&joined);
        gtp_join_args(&joined, argc, argv);
        gtp_fail(r, "Expected one argument for final_status_list but got '%s'", joined.data);
        tg_strbuf_free(&joined);
        return;
    }
    int mode = !strcmp(argv[0], "alive") ? 0 : !strcmp(argv[0], "seki") ? 1 : !strcmp(argv[0], "dead") ? 2 : 3;
    if (mode == 3)
        return gtp_fail(r, "Argument to final_status_list must be 'alive' or 'seki' or 'dead'");
    const tg_board *b = &g->board;
    bool alive[TG_MAX_ARR_SIZE];
    memset(alive, 0, sizeof alive);
    if (game_result_stands(&g->hist) || !g->search) {
        if (g->hist.is_game_finished && g->hist.is_no_result) {
            for (int i = 0; i < TG_MAX_ARR_SIZE; i++)
                alive[i] = b->color[i] == TG_BLACK || b->color[i] == TG_WHITE;
        } else {
            tg_color area[TG_MAX_ARR_SIZE];
            tg_history copy = {0};
            tg_history_copy(&copy, &g->hist);
            tg_history_end_and_score_now(&copy, b, area);
            tg_history_free(&copy);
            for (int y = 0; y < b->ysize; y++)
                for (int x = 0; x < b->xsize; x++) {
                    tg_loc loc = tg_loc_of(x, y, b->xsize);
                    alive[loc] = b->color[loc] != TG_EMPTY && b->color[loc] == area[loc];
                }
        }
    } else {
        int64_t visits = g->search_params.num_threads * 20 > 100 ? g->search_params.num_threads * 20 : 100;
        char err[512];
        if (!anticipated_statuses(g, &g->board, &g->hist, g->next_pla, visits, alive, NULL, err, sizeof err))
            return gtp_fail(r, "search failed: %s", err);
    }
    bool first = true;
    for (int y = 0; y < b->ysize && mode != 1; y++)
        for (int x = 0; x < b->xsize; x++) {
            tg_loc loc = tg_loc_of(x, y, b->xsize);
            if (b->color[loc] == TG_EMPTY || alive[loc] != (mode == 0))
                continue;
            char vertex[8];
            tg_strbuf_appendf(&r->text, "%s%s", first ? "" : " ", tg_loc_str(loc, b->xsize, b->ysize, vertex));
            first = false;
        }
}


/* ------------------------------------------------------------------ genmove's passing hacks */

/* KataGo's friendly pass: under area scoring with friendlyPassOk (or friendlyPass = true), once the opponent
 * has passed and nothing is left to gain, answer the pass with a pass instead of filling a dame. The move is
 * replaced only when the board with the anticipated dead stones removed is fully enclosed wherever the
 * ownership is strong, the move is neither next to an opponent stone nor saving a stone from capture, and
 * searches after passing and after the move value them within 0.1 utility and 0.25 points. */
static tg_loc maybe_friendly_pass(tg_gtp *g, const tg_board *board, const tg_history *hist, tg_color pla,
                                  tg_loc move) {
    const tg_rules *rules = &hist->rules;
    bool enabled = g->friendly_pass == TG_SETTING_AUTO
                       ? rules->friendly_pass_ok && rules->scoring_rule == TG_SCORING_AREA
                       : g->friendly_pass == TG_SETTING_TRUE;
    if (g->cleanup_before_pass == TG_SETTING_TRUE || !enabled || move == TG_PASS_LOC ||
        rules->scoring_rule != TG_SCORING_AREA || !tg_history_is_final_phase(hist) || hist->has_button ||
        !tg_history_pass_would_end_phase(hist, board, pla) || hist->num_moves == 0 ||
        hist->moves[hist->num_moves - 1].pla != tg_opp(pla) || hist->moves[hist->num_moves - 1].loc != TG_PASS_LOC ||
        !tg_history_is_legal(hist, board, move, pla))
        return move;

    int64_t limit = g->search_params.max_visits < g->search_params.max_playouts ? g->search_params.max_visits
                                                                                : g->search_params.max_playouts;
    int64_t visits = 8 + (limit / 10 < 1000 ? limit / 10 : 1000);
    bool alive[TG_MAX_ARR_SIZE];
    double own[TG_MAX_PLAY_SIZE];
    char err[512];
    if (!anticipated_statuses(g, board, hist, pla, visits, alive, own, err, sizeof err)) {
        tg_log_warn("friendly pass check failed: %s", err);
        return move;
    }
    tg_board clean = *board;
    for (int y = 0; y < board->ysize; y++)
        for (int x = 0; x < board->xsize; x++) {
            tg_loc loc = tg_loc_of(x, y, board->xsize);
            if (board->color[loc] != TG_EMPTY && !alive[loc])
                tg_board_set_stone(&clean, loc, TG_EMPTY);
        }
    tg_color area[TG_MAX_ARR_SIZE];
    tg_board_calculate_area(&clean, area, true, true, true, tg_history_suicide_legal_for_pass_alive(hist));
    for (int y = 0; y < board->ysize; y++)
        for (int x = 0; x < board->xsize; x++) {
            tg_loc loc = tg_loc_of(x, y, board->xsize);
            double o = own[y * board->xsize + x];
            if ((o > 0.75 && area[loc] != TG_WHITE) || (o < -0.75 && area[loc] != TG_BLACK))
                return move; /* a border is still open */
        }
    if (tg_board_is_adjacent_to(&clean, move, tg_opp(pla)) || tg_board_would_be_capture(&clean, move, tg_opp(pla)))
        return move;

    white_values after_pass, after_move;
    bool ok = true;
    for (int i = 0; i < 2 && ok; i++) {
        tg_board b = *board;
        tg_history h = {0};
        tg_history_copy(&h, hist);
        tg_history_play(&h, &b, i == 0 ? TG_PASS_LOC : move, pla, false);
        ok = noiseless_search(g, &b, &h, tg_opp(pla), visits, NULL, i == 0 ? &after_pass : &after_move, err,
                              sizeof err);
        tg_history_free(&h);
    }
    if (!ok) {
        tg_log_warn("friendly pass check failed: %s", err);
        return move;
    }
    double sign = pla == TG_WHITE ? 1.0 : -1.0; /* pla's side */
    if (sign * (after_pass.utility - after_move.utility) > -0.1 &&
        sign * (after_pass.score_mean - after_move.score_mean) > -0.25 &&
        sign * (after_pass.lead - after_move.lead) > -0.25)
        return TG_PASS_LOC;
    return move;
}

/* KataGo's cleanup before pass: under area scoring without friendlyPassOk (or cleanupBeforePass = true), in
 * the final phase, instead of passing, capture what is left: the first empty point of pla's pass-alive area
 * next to an opponent stone, so that dead stones are off the board before the game can end. */
static tg_loc maybe_cleanup_before_pass(const tg_gtp *g, const tg_board *board, const tg_history *hist,
                                        tg_color pla, tg_loc move) {
    const tg_rules *rules = &hist->rules;
    bool enabled = g->cleanup_before_pass == TG_SETTING_AUTO
                       ? !rules->friendly_pass_ok && rules->scoring_rule == TG_SCORING_AREA
                       : g->cleanup_before_pass == TG_SETTING_TRUE;
    if (g->friendly_pass == TG_SETTING_TRUE || !enabled || move != TG_PASS_LOC || !tg_history_is_final_phase(hist) ||
        hist->has_button)
        return move;
    tg_color safe[TG_MAX_ARR_SIZE];
    tg_board_calculate_area(board, safe, false, false, false, tg_history_suicide_legal_for_pass_alive(hist));
    for (int y = 0; y < board->ysize; y++)
        for (int x = 0; x < board->xsize; x++) {
            tg_loc loc = tg_loc_of(x, y, board->xsize);
            if (board->color[loc] == TG_EMPTY && safe[loc] == pla && tg_board_is_adjacent_to(board, loc, tg_opp(pla)) &&
                tg_history_is_legal(hist, board, loc, pla))
                return loc;
        }
    return move;
}

tg_loc gtp_apply_passing_hacks(tg_gtp *g, tg_color pla, tg_loc move) {
    tg_board board = *tg_search_root_board(g->search);
    tg_history hist = {0};
    tg_history_copy(&hist, tg_search_root_history(g->search));
    move = maybe_friendly_pass(g, &board, &hist, pla, move);
    move = maybe_cleanup_before_pass(g, &board, &hist, pla, move);
    tg_history_free(&hist);
    return move;
}
