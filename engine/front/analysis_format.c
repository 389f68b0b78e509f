/* The text of GTP analysis output; see analysis_format.h. */
#include "analysis_format.h"

#include <math.h>

/* +1 when the root player's numbers are reported as they are, -1 when they are turned to the other side. */
static double side_sign(const tg_analysis_format *fmt, tg_color root_pla) {
    if (fmt->perspective == TG_PERSPECTIVE_BLACK)
        return root_pla == TG_BLACK ? 1.0 : -1.0;
    if (fmt->perspective == TG_PERSPECTIVE_WHITE)
        return root_pla == TG_WHITE ? 1.0 : -1.0;
    return 1.0;
}

/* A probability seen from the side the sign picks. */
static double prob_for(double p, double sign) { return sign > 0 ? p : 1.0 - p; }

/* KataGo prints doubles through a C++ stream: precision 6, shortest of fixed and scientific, which is
 * %g; Sabaki's `analyze` adds std::showpoint (%#g) so a value never lacks a decimal point. */
static void put_number(tg_strbuf *out, const tg_analysis_format *fmt, const char *key, double v) {
    tg_strbuf_appendf(out, fmt->style == TG_ANALYSIS_SABAKI ? " %s %#g" : " %s %g", key, v);
}

static void put_pv(tg_strbuf *out, const tg_move_info *m, const tg_board *board) {
    char vertex[8];
    tg_strbuf_append(out, " pv");
    for (int i = 0; i < m->pv_len; i++)
        tg_strbuf_appendf(out, " %s", tg_loc_str(m->pv[i], board->xsize, board->ysize, vertex));
}

static void put_lz_move(tg_strbuf *out, const tg_move_info *m, double sign, const tg_board *board) {
    char vertex[8];
    tg_strbuf_appendf(out, "info move %s visits %lld winrate %.0f prior %.0f lcb %.0f order %d",
                      tg_loc_str(m->move, board->xsize, board->ysize, vertex), (long long)m->visits,
                      round(prob_for(m->winrate, sign) * 10000.0), round(m->prior * 10000.0),
                      round(prob_for(m->lcb, sign) * 10000.0), m->order);
    put_pv(out, m, board);
}

static void put_kata_move(tg_strbuf *out, const tg_analysis_format *fmt, const tg_move_info *m, double sign,
                          const tg_board *board) {
    char vertex[8];
    tg_strbuf_appendf(out, "info move %s visits %lld edgeVisits %lld",
                      tg_loc_str(m->move, board->xsize, board->ysize, vertex), (long long)m->visits,
                      (long long)m->visits);
    put_number(out, fmt, "utility", sign * m->utility);
    put_number(out, fmt, "winrate", prob_for(m->winrate, sign));
    /* scoreMean repeats the lead on purpose: older tools read scoreMean and lead is what users want. */
    put_number(out, fmt, "scoreMean", sign * m->score_lead);
    put_number(out, fmt, "scoreStdev", m->score_stdev);
    put_number(out, fmt, "scoreLead", sign * m->score_lead);
    put_number(out, fmt, "scoreSelfplay", sign * m->score_mean);
    if (fmt->no_result_value)
        put_number(out, fmt, "noResultValue", m->no_result_value);
    put_number(out, fmt, "prior", m->prior);
    put_number(out, fmt, "lcb", prob_for(m->lcb, sign));
    put_number(out, fmt, "utilityLcb", sign * m->utility_lcb);
    put_number(out, fmt, "weight", m->weight);
    tg_strbuf_appendf(out, " order %d", m->order);
    put_pv(out, m, board);
}

static void put_pv_visits(tg_strbuf *out, const char *key, const tg_move_info *m) {
    tg_strbuf_appendf(out, " %s", key);
    for (int i = 0; i < m->pv_len; i++)
        tg_strbuf_appendf(out, " %lld", (long long)m->pv_visits[i]);
}

/* Ownership is White's in the tree; KataGo turns it to Black's for reportAnalysisWinratesAs BLACK, and for
 * SIDETOMOVE when Black is to move at the root. */
static double ownership_sign(const tg_analysis_format *fmt, tg_color root_pla) {
    if (fmt->perspective == TG_PERSPECTIVE_BLACK)
        return -1.0;
    if (fmt->perspective == TG_PERSPECTIVE_WHITE)
        return 1.0;
    return root_pla == TG_BLACK ? -1.0 : 1.0;
}

/* key then one value per point, row-major from the top-left. KataGo rounds the per-move maps to 1e-6
 * before printing; the root's are printed as they are. +0.0 replaces -0.0 so that no "-0" appears. */
static void put_ownership(tg_strbuf *out, const tg_analysis_format *fmt, const char *key, const double *v,
                          int area, double sign, bool round6) {
    tg_strbuf_appendf(out, " %s", key);
    for (int i = 0; i < area; i++) {
        double x = sign * v[i];
        if (round6)
            x = round(x * 1000000.0) / 1000000.0;
        if (x == 0)
            x = 0;
        tg_strbuf_appendf(out, fmt->style == TG_ANALYSIS_SABAKI ? " %#g" : " %g", x);
    }
}

static void put_root_info(tg_strbuf *out, const tg_analysis_format *fmt, const tg_root_info *root, double sign) {
    tg_strbuf_appendf(out, " rootInfo visits %lld", (long long)root->visits);
    put_number(out, fmt, "utility", sign * root->utility);
    put_number(out, fmt, "winrate", prob_for(root->winrate, sign));
    put_number(out, fmt, "scoreMean", sign * root->score_lead);
    put_number(out, fmt, "scoreStdev", root->score_stdev);
    put_number(out, fmt, "scoreLead", sign * root->score_lead);
    put_number(out, fmt, "scoreSelfplay", sign * root->score_mean);
    put_number(out, fmt, "weight", root->weight);
    if (root->has_raw) {
        put_number(out, fmt, "rawStWrError", root->raw_st_wr_error);
        put_number(out, fmt, "rawStScoreError", root->raw_st_score_error);
        put_number(out, fmt, "rawVarTimeLeft", root->raw_var_time_left);
    }
}

void tg_format_analysis_line(tg_strbuf *out, const tg_analysis_format *fmt, const tg_move_info *moves, int n,
                             const tg_root_info *root, const tg_board *board, const tg_analysis_ownership *own) {
    if (n <= 0)
        return;
    double sign = side_sign(fmt, root->pla), osign = ownership_sign(fmt, root->pla);
    int area = board->xsize * board->ysize;
    for (int i = 0; i < n; i++) {
        if (i > 0)
            tg_strbuf_append(out, " ");
        if (fmt->style == TG_ANALYSIS_LZ) {
            put_lz_move(out, &moves[i], sign, board);
            continue;
        }
        put_kata_move(out, fmt, &moves[i], sign, board);
        if (fmt->pv_visits)
            put_pv_visits(out, "pvVisits", &moves[i]);
        if (fmt->pv_edge_visits) /* without graph search, edge visits are the nodes' visits */
            put_pv_visits(out, "pvEdgeVisits", &moves[i]);
        if (own && fmt->moves_ownership && own->moves)
            put_ownership(out, fmt, "movesOwnership", own->moves + (size_t)i * (size_t)area, area, osign, true);
        if (own && fmt->moves_ownership_stdev && own->moves_stdev)
            put_ownership(out, fmt, "movesOwnershipStdev", own->moves_stdev + (size_t)i * (size_t)area, area, 1.0,
                          true);
    }
    if (fmt->style == TG_ANALYSIS_LZ)
        return;
    if (fmt->root_info)
        put_root_info(out, fmt, root, sign);
    if (own && fmt->ownership && own->root)
        put_ownership(out, fmt, "ownership", own->root, area, osign, false);
    if (own && fmt->ownership_stdev && own->root_stdev)
        put_ownership(out, fmt, "ownershipStdev", own->root_stdev, area, 1.0, false);
}
