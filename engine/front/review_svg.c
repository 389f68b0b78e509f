/* The review's graph: one self-contained SVG file with Black's winrate (left axis, 0-100%) and the score
 * lead (right axis, symmetric around an even game so both curves cross the middle together) over the
 * move numbers, mistakes and blunders marked on the winrate curve, the players and result in the title.
 * Only plain SVG 1.1 elements and attributes, so browsers, rsvg and image viewers all draw it alike. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include "front/review.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

enum { WIDTH = 960, HEIGHT = 500, LEFT = 70, RIGHT = 80, TOP = 70, BOTTOM = 60 };
#define PLOT_W ((double)(WIDTH - LEFT - RIGHT))
#define PLOT_H ((double)(HEIGHT - TOP - BOTTOM))

static void append_xml(tg_strbuf *sb, const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '&': tg_strbuf_append(sb, "&amp;"); break;
        case '<': tg_strbuf_append(sb, "&lt;"); break;
        case '>': tg_strbuf_append(sb, "&gt;"); break;
        case '"': tg_strbuf_append(sb, "&quot;"); break;
        default:
            /* Control characters are not allowed in XML 1.0; names with them are garbage anyway. */
            if (*p < 0x20)
                tg_strbuf_append(sb, " ");
            else
                tg_strbuf_append_n(sb, (const char *)p, 1);
        }
    }
}

static double x_of(const tg_review_game *g, int k) {
    return LEFT + (g->num_moves > 0 ? PLOT_W * k / g->num_moves : 0.0);
}
static double y_of_winrate(double wr) { return TOP + (1.0 - wr) * PLOT_H; }
static double y_of_lead(double lead, double range) { return TOP + (0.5 - lead / (2 * range)) * PLOT_H; }

/* The smallest of 5, 10, 20, 30, 50, 100, ... points covering every lead. */
static double lead_range(const tg_review_game *g) {
    double most = 0;
    for (int k = 0; k <= g->num_moves; k++)
        if (fabs(g->positions[k].black_lead) > most)
            most = fabs(g->positions[k].black_lead);
    static const double steps[] = {5, 10, 20, 30, 50, 100, 150, 200, 300, 400};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (most <= steps[i])
            return steps[i];
    return ceil(most / 100) * 100;
}

static int tick_step(int num_moves) {
    static const int steps[] = {1, 2, 5, 10, 20, 25, 50, 100, 200, 500};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (num_moves / steps[i] <= 12)
            return steps[i];
    return 1000;
}

static void player_text(tg_strbuf *sb, const char *name, const char *rank, const char *fallback) {
    append_xml(sb, name ? name : fallback);
    if (rank) {
        tg_strbuf_append(sb, " ");
        append_xml(sb, rank);
    }
}

static void lead_label(char *buf, size_t len, double lead) {
    if (lead == 0)
        snprintf(buf, len, "0");
    else
        snprintf(buf, len, "%c+%g", lead > 0 ? 'B' : 'W', fabs(lead));
}

char *tg_review_svg(const tg_review_game *g, const tg_review_info *info) {
    tg_strbuf sb;
    tg_strbuf_init(&sb);
    double range = lead_range(g);
    tg_strbuf_appendf(&sb,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
                      "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
                      "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
                      WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH, HEIGHT);

    /* Title: players, result, date, event. */
    tg_strbuf_appendf(&sb, "<title>");
    player_text(&sb, info->black, info->black_rank, "Black");
    tg_strbuf_append(&sb, " (B) vs ");
    player_text(&sb, info->white, info->white_rank, "White");
    tg_strbuf_append(&sb, " (W)</title>\n");
    tg_strbuf_appendf(&sb, "<text x=\"%d\" y=\"24\" font-size=\"18\" font-weight=\"bold\" text-anchor=\"middle\">",
                      WIDTH / 2);
    player_text(&sb, info->black, info->black_rank, "Black");
    tg_strbuf_append(&sb, " (B) vs ");
    player_text(&sb, info->white, info->white_rank, "White");
    tg_strbuf_append(&sb, " (W)");
    if (info->result) {
        tg_strbuf_append(&sb, ", ");
        append_xml(&sb, info->result);
    }
    tg_strbuf_append(&sb, "</text>\n");
    tg_strbuf_appendf(&sb, "<text x=\"%d\" y=\"42\" font-size=\"12\" fill=\"#555555\" text-anchor=\"middle\">", WIDTH / 2);
    bool any = false;
    const char *extra[] = {info->event, info->name, info->date};
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++)
        if (extra[i]) {
            if (any)
                tg_strbuf_append(&sb, ", ");
            append_xml(&sb, extra[i]);
            any = true;
        }
    tg_strbuf_appendf(&sb, "%s%d moves, reviewed by tengen at %" PRId64 " visits a position</text>\n", any ? " \xe2\x80\x94 " : "",
                      g->num_moves, g->visits_per_position);

    /* Frame and grid: winrate quarters on the left, the lead scale on the right shares the middle line. */
    tg_strbuf_appendf(&sb, "<rect x=\"%d\" y=\"%d\" width=\"%g\" height=\"%g\" fill=\"#fafafa\" stroke=\"#888888\"/>\n",
                      LEFT, TOP, PLOT_W, PLOT_H);
    for (int q = 0; q <= 4; q++) {
        double y = y_of_winrate(q / 4.0);
        if (q > 0 && q < 4)
            tg_strbuf_appendf(&sb, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1\"%s/>\n",
                              LEFT, y, LEFT + PLOT_W, y, q == 2 ? "#999999" : "#dddddd",
                              q == 2 ? " stroke-dasharray=\"6,4\"" : "");
        tg_strbuf_appendf(&sb, "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%d%%</text>\n", LEFT - 6,
                          y + 4, q * 25);
        char label[32];
        lead_label(label, sizeof label, range * (q - 2) / 2.0);
        tg_strbuf_appendf(&sb, "<text x=\"%g\" y=\"%.1f\" font-size=\"12\" fill=\"#1f5fa8\">%s</text>\n", LEFT + PLOT_W + 6,
                          y_of_lead(range * (q - 2) / 2.0, range) + 4, label);
    }
    int step = tick_step(g->num_moves);
    for (int k = 0; k <= g->num_moves; k += step) {
        double x = x_of(g, k);
        tg_strbuf_appendf(&sb, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#888888\"/>\n", x, TOP + PLOT_H, x,
                          TOP + PLOT_H + 5);
        tg_strbuf_appendf(&sb, "<text x=\"%.1f\" y=\"%g\" font-size=\"12\" text-anchor=\"middle\">%d</text>\n", x,
                          TOP + PLOT_H + 19, k);
    }
    tg_strbuf_appendf(&sb, "<text x=\"%g\" y=\"%d\" font-size=\"13\" text-anchor=\"middle\">Move</text>\n",
                      LEFT + PLOT_W / 2, HEIGHT - 16);
    tg_strbuf_appendf(&sb, "<text x=\"18\" y=\"%g\" font-size=\"13\" text-anchor=\"middle\" "
                           "transform=\"rotate(-90 18 %g)\">Black's winrate</text>\n",
                      TOP + PLOT_H / 2, TOP + PLOT_H / 2);
    tg_strbuf_appendf(&sb, "<text x=\"%d\" y=\"%g\" font-size=\"13\" text-anchor=\"middle\" fill=\"#1f5fa8\" "
                           "transform=\"rotate(90 %d %g)\">Score lead (points)</text>\n",
                      WIDTH - 22, TOP + PLOT_H / 2, WIDTH - 22, TOP + PLOT_H / 2);

    /* Mistakes first, as faint vertical bands, so the curves are drawn over them. */
    for (int m = 0; m < g->num_moves; m++) {
        const tg_review_move *mv = &g->moves[m];
        if (mv->severity < TG_SEV_MISTAKE)
            continue;
        double x = x_of(g, m + 1);
        tg_strbuf_appendf(&sb, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%g\" stroke=\"%s\" stroke-opacity=\"0.35\"/>\n",
                          x, TOP, x, TOP + PLOT_H, mv->severity == TG_SEV_BLUNDER ? "#d62728" : "#f0a020");
    }

    /* The curves: one point per position, move 0 (the start) to the last move. */
    tg_strbuf_append(&sb, "<polyline id=\"scorelead\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1.5\" "
                          "stroke-linejoin=\"round\" points=\"");
    for (int k = 0; k <= g->num_moves; k++)
        tg_strbuf_appendf(&sb, "%s%.1f,%.1f", k ? " " : "", x_of(g, k), y_of_lead(g->positions[k].black_lead, range));
    tg_strbuf_append(&sb, "\"/>\n");
    tg_strbuf_append(&sb, "<polyline id=\"winrate\" fill=\"none\" stroke=\"#111111\" stroke-width=\"2\" "
                          "stroke-linejoin=\"round\" points=\"");
    for (int k = 0; k <= g->num_moves; k++)
        tg_strbuf_appendf(&sb, "%s%.1f,%.1f", k ? " " : "", x_of(g, k), y_of_winrate(g->positions[k].black_winrate));
    tg_strbuf_append(&sb, "\"/>\n");

    /* Mistake markers on the winrate curve, with a tooltip naming the move and the loss. */
    tg_strbuf_append(&sb, "<g id=\"mistakes\">\n");
    for (int m = 0; m < g->num_moves; m++) {
        const tg_review_move *mv = &g->moves[m];
        if (mv->severity < TG_SEV_MISTAKE)
            continue;
        char vertex[8];
        tg_strbuf_appendf(&sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"#ffffff\">"
                               "<title>Move %d %s %s: %s, loses %.1f points</title></circle>\n",
                          x_of(g, m + 1), y_of_winrate(g->positions[m + 1].black_winrate),
                          mv->severity == TG_SEV_BLUNDER ? 5 : 4,
                          mv->severity == TG_SEV_BLUNDER ? "#d62728" : "#f0a020", m + 1, mv->pla == TG_BLACK ? "B" : "W",
                          tg_loc_str(mv->loc, g->xsize, g->ysize, vertex),
                          mv->severity == TG_SEV_BLUNDER ? "blunder" : "mistake", mv->point_loss);
    }
    tg_strbuf_append(&sb, "</g>\n");

    /* Legend under the title, left to right. */
    double lx = LEFT, ly = TOP - 8;
    tg_strbuf_appendf(&sb, "<g font-size=\"12\">\n"
                           "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#111111\" stroke-width=\"2\"/>"
                           "<text x=\"%g\" y=\"%g\">Black's winrate</text>\n",
                      lx, ly - 4, lx + 22, ly - 4, lx + 27, ly);
    lx += 130;
    tg_strbuf_appendf(&sb, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#1f5fa8\" stroke-width=\"1.5\"/>"
                           "<text x=\"%g\" y=\"%g\">Score lead (B+ up, W+ down)</text>\n",
                      lx, ly - 4, lx + 22, ly - 4, lx + 27, ly);
    lx += 235;
    tg_strbuf_appendf(&sb, "<circle cx=\"%g\" cy=\"%g\" r=\"4\" fill=\"#f0a020\"/>"
                           "<text x=\"%g\" y=\"%g\">mistake (&#8805; %g points)</text>\n",
                      lx + 5, ly - 4, lx + 13, ly, TG_REVIEW_MISTAKE);
    lx += 175;
    tg_strbuf_appendf(&sb, "<circle cx=\"%g\" cy=\"%g\" r=\"5\" fill=\"#d62728\"/>"
                           "<text x=\"%g\" y=\"%g\">blunder (&#8805; %g points)</text>\n</g>\n",
                      lx + 5, ly - 4, lx + 13, ly, TG_REVIEW_BLUNDER);
    tg_strbuf_append(&sb, "</svg>\n");
    return sb.data;
}
