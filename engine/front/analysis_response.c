/* Analysis engine responses: the JSON object for one analysed turn (moveInfos, rootInfo, ownership, policy)
 * built from the search's current state, with KataGo's field names and reportAnalysisWinratesAs perspective. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"

/* Eight significant digits are as many as the network's float outputs carry; more would be noise in the
 * output. Non-finite values (never expected) become null so the line stays valid JSON. */
static json_t *num(double v) {
    if (!isfinite(v))
        return json_null();
    if (v != 0) {
        double mag = pow(10.0, 7 - (int)floor(log10(fabs(v))));
        if (isfinite(mag) && isfinite(v * mag))
            v = round(v * mag) / mag;
    }
    return json_real(v);
}

static void set_num(json_t *o, const char *key, double v) { json_object_set_new(o, key, num(v)); }

/* The colour whose side numbers are reported from. */
static tg_color report_side(int perspective, tg_color root_pla) {
    return perspective == TG_PERSPECTIVE_BLACK   ? TG_BLACK
           : perspective == TG_PERSPECTIVE_WHITE ? TG_WHITE
                                                 : root_pla;
}

static json_t *ownership_array(const double *own, int area, double sign) {
    json_t *a = json_array();
    for (int i = 0; i < area; i++)
        json_array_append_new(a, num(sign * own[i]));
    return a;
}

/* Where (x, y) goes under symmetry sym (bit 0: flip y, bit 1: flip x, bit 2: transpose), as KataGo numbers them. */
static void sym_xy(int sym, int x, int y, int xs, int ys, int *ox, int *oy) {
    if (sym & 1)
        y = ys - 1 - y;
    if (sym & 2)
        x = xs - 1 - x;
    if (sym & 4) {
        int t = x;
        x = y;
        y = t;
    }
    *ox = x;
    *oy = y;
}

/* Position hash (stones, player, simple ko) under one symmetry; thisHash is symmetry 0, symHash the least. */
static uint64_t sym_hash(const tg_board *b, tg_color pla, int sym) {
    int xs = b->xsize, ys = b->ysize;
    int oxs = sym & 4 ? ys : xs, oys = sym & 4 ? xs : ys;
    uint64_t h = tg_zobrist_size(oxs, oys) ^ tg_zobrist_player(pla);
    for (int y = 0; y < ys; y++)
        for (int x = 0; x < xs; x++) {
            tg_color c = b->color[tg_loc_of(x, y, xs)];
            if (c == TG_BLACK || c == TG_WHITE) {
                int sx, sy;
                sym_xy(sym, x, y, xs, ys, &sx, &sy);
                h ^= tg_zobrist_stone(tg_loc_of(sx, sy, oxs), c);
            }
        }
    if (b->ko_loc != TG_NULL_LOC) {
        int sx, sy;
        sym_xy(sym, tg_loc_x(b->ko_loc, xs), tg_loc_y(b->ko_loc, xs), xs, ys, &sx, &sy);
        h ^= tg_zobrist_ko_loc(tg_loc_of(sx, sy, oxs));
    }
    return h;
}

static void add_hashes(json_t *root, const tg_board *b, tg_color pla) {
    uint64_t this_hash = sym_hash(b, pla, 0), least = this_hash;
    for (int sym = 1; sym < 8; sym++) {
        uint64_t h = sym_hash(b, pla, sym);
        if (h < least)
            least = h;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%016" PRIX64, this_hash);
    json_object_set_new(root, "thisHash", json_string(buf));
    snprintf(buf, sizeof buf, "%016" PRIX64, least);
    json_object_set_new(root, "symHash", json_string(buf));
}

json_t *tg_analysis_no_results(const tg_analysis_request *r) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "turnNumber", json_integer(r->turn_number));
    json_object_set_new(o, "isDuringSearch", json_false());
    json_object_set_new(o, "noResults", json_true());
    return o;
}

static json_t *move_infos(const tg_analysis_request *r, const tg_search *s, const tg_board *board, bool flip,
                          double own_sign) {
    tg_move_info *moves = malloc(sizeof *moves * (TG_MAX_PLAY_SIZE + 1));
    json_t *arr = json_array();
    if (!moves)
        return arr;
    int pv_len = r->pv_len + 1 < TG_SEARCH_MAX_PV ? r->pv_len + 1 : TG_SEARCH_MAX_PV;
    int n = tg_search_analysis(s, moves, TG_MAX_PLAY_SIZE + 1, pv_len, 0);
    int area = board->xsize * board->ysize;
    double *own = NULL, *stdev = NULL;
    if (r->moves_ownership || r->moves_ownership_stdev) {
        own = calloc((size_t)area, sizeof *own);
        stdev = calloc((size_t)area, sizeof *stdev);
    }
    double f = flip ? -1.0 : 1.0;
    for (int i = 0; i < n; i++) {
        const tg_move_info *m = &moves[i];
        json_t *o = json_object();
        char buf[16];
        json_object_set_new(o, "move", json_string(tg_loc_str(m->move, board->xsize, board->ysize, buf)));
        json_object_set_new(o, "visits", json_integer(m->visits));
        json_object_set_new(o, "edgeVisits", json_integer(m->visits));
        set_num(o, "weight", m->weight);
        set_num(o, "edgeWeight", m->weight);
        set_num(o, "utility", f * m->utility);
        set_num(o, "winrate", flip ? 1.0 - m->winrate : m->winrate);
        set_num(o, "scoreMean", f * m->score_lead);
        set_num(o, "scoreSelfplay", f * m->score_mean);
        set_num(o, "scoreLead", f * m->score_lead);
        set_num(o, "scoreStdev", m->score_stdev);
        if (r->no_result_value)
            set_num(o, "noResultValue", m->no_result_value);
        set_num(o, "prior", m->prior);
        set_num(o, "lcb", flip ? 1.0 - m->lcb : m->lcb);
        set_num(o, "utilityLcb", f * m->utility_lcb);
        json_object_set_new(o, "order", json_integer(m->order));
        set_num(o, "playSelectionValue", m->play_selection_value);
        json_t *pv = json_array();
        for (int j = 0; j < m->pv_len; j++)
            json_array_append_new(pv, json_string(tg_loc_str(m->pv[j], board->xsize, board->ysize, buf)));
        json_object_set_new(o, "pv", pv);
        if (r->pv_visits) {
            json_t *pvv = json_array(), *pve = json_array();
            for (int j = 0; j < m->pv_len; j++) {
                json_array_append_new(pvv, json_integer(m->pv_visits[j]));
                /* Without graph search every position in the tree has one way in: edge visits are node visits. */
                json_array_append_new(pve, json_integer(m->pv_visits[j]));
            }
            json_object_set_new(o, "pvVisits", pvv);
            json_object_set_new(o, "pvEdgeVisits", pve);
        }
        if (own && stdev) {
            tg_search_move_ownership(s, m->move, own, stdev);
            if (r->moves_ownership)
                json_object_set_new(o, "ownership", ownership_array(own, area, own_sign));
            if (r->moves_ownership_stdev)
                json_object_set_new(o, "ownershipStdev", ownership_array(stdev, area, 1.0));
        }
        json_array_append_new(arr, o);
    }
    free(own);
    free(stdev);
    free(moves);
    return arr;
}

json_t *tg_analysis_response(const tg_analysis_request *r, const tg_search *s, const tg_nn_result *raw,
                             bool during_search) {
    tg_root_info ri;
    tg_search_root_info(s, &ri);
    if (ri.visits <= 0)
        return NULL;
    const tg_board *board = tg_search_root_board(s);
    tg_color pla = ri.pla;
    tg_color side = report_side(r->perspective, pla);
    bool flip = side != pla;
    double f = flip ? -1.0 : 1.0;
    double white_sign = side == TG_WHITE ? 1.0 : -1.0; /* for White's-side values: ownership, raw outputs */
    int area = board->xsize * board->ysize;

    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "turnNumber", json_integer(r->turn_number));
    json_object_set_new(o, "isDuringSearch", json_boolean(during_search));
    json_object_set_new(o, "moveInfos", move_infos(r, s, board, flip, white_sign));

    json_t *root = json_object();
    json_object_set_new(root, "visits", json_integer(ri.visits));
    set_num(root, "weight", ri.weight);
    set_num(root, "winrate", flip ? 1.0 - ri.winrate : ri.winrate);
    set_num(root, "scoreSelfplay", f * ri.score_mean);
    set_num(root, "scoreLead", f * ri.score_lead);
    set_num(root, "scoreStdev", ri.score_stdev);
    set_num(root, "utility", f * ri.utility);
    if (raw) {
        set_num(root, "rawWinrate", 0.5 + 0.5 * white_sign * (raw->white_win_prob - raw->white_loss_prob));
        set_num(root, "rawLead", white_sign * raw->white_lead);
        set_num(root, "rawScoreSelfplay", white_sign * raw->white_score_mean);
        double m = raw->white_score_mean;
        set_num(root, "rawScoreSelfplayStdev", sqrt(fmax(0.0, raw->white_score_mean_sq - m * m)));
        set_num(root, "rawNoResultProb", raw->white_no_result_prob);
        set_num(root, "rawStWrError", raw->shortterm_winloss_error * 0.5);
        set_num(root, "rawStScoreError", raw->shortterm_score_error);
        set_num(root, "rawVarTimeLeft", raw->var_time_left);
    } else if (ri.has_raw) {
        set_num(root, "rawWinrate", flip ? 1.0 - ri.raw_winrate : ri.raw_winrate);
        set_num(root, "rawLead", f * ri.raw_score_lead);
    }
    add_hashes(root, board, pla);
    json_object_set_new(root, "currentPlayer", json_string(pla == TG_BLACK ? "B" : "W"));
    json_object_set_new(o, "rootInfo", root);

    if (r->ownership || r->ownership_stdev) {
        double *own = calloc((size_t)area, sizeof *own), *stdev = calloc((size_t)area, sizeof *stdev);
        if (own && stdev) {
            tg_search_tree_ownership(s, own, stdev);
            if (r->ownership)
                json_object_set_new(o, "ownership", ownership_array(own, area, white_sign));
            if (r->ownership_stdev)
                json_object_set_new(o, "ownershipStdev", ownership_array(stdev, area, 1.0));
        }
        free(own);
        free(stdev);
    }
    if (r->policy && raw) {
        json_t *policy = json_array();
        for (int y = 0; y < board->ysize; y++)
            for (int x = 0; x < board->xsize; x++)
                json_array_append_new(policy, num(raw->policy_probs[y * raw->nn_x_len + x]));
        json_array_append_new(policy, num(raw->policy_probs[raw->nn_x_len * raw->nn_y_len]));
        json_object_set_new(o, "policy", policy);
    }
    return o;
}
