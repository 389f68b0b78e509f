/* The text of GTP analysis output: `kata-analyze`, `lz-analyze` and Sabaki's `analyze` info lines in
 * KataGo's exact format (shared/docs/clients.md, section 0 and 2). Pure formatting, no I/O. */
#ifndef TENGEN_FRONT_ANALYSIS_FORMAT_H
#define TENGEN_FRONT_ANALYSIS_FORMAT_H

#include <stdbool.h>

#include "search/search.h"
#include "util/strbuf.h"

enum tg_analysis_style {
    TG_ANALYSIS_KATA,   /* kata-analyze: floats as C++ streams print them (%g) */
    TG_ANALYSIS_SABAKI, /* analyze: the same keys, every float with a decimal point (%#g) */
    TG_ANALYSIS_LZ      /* lz-analyze: winrate, prior and lcb as integers in 1/10000 */
};

/* Whose side the numbers are from: KataGo's reportAnalysisWinratesAs. */
enum tg_perspective { TG_PERSPECTIVE_SIDE_TO_MOVE, TG_PERSPECTIVE_BLACK, TG_PERSPECTIVE_WHITE };

typedef struct tg_analysis_format {
    int style;         /* tg_analysis_style */
    int perspective;   /* tg_perspective */
    bool root_info;    /* kata: append rootInfo */
    /* kata: KataGo's pvVisits, pvEdgeVisits (after each PV), movesOwnership, movesOwnershipStdev (after
     * those), ownership and ownershipStdev (at the end of the line, after rootInfo). */
    bool pv_visits, pv_edge_visits;
    bool moves_ownership, moves_ownership_stdev;
    bool ownership, ownership_stdev;
    bool no_result_value; /* kata: noResultValue after scoreSelfplay */
} tg_analysis_format;

/* Tree ownership for the line, White's side (+1 White), board->xsize * board->ysize values each,
 * y * xsize + x: root (ownership), root_stdev, and per listed move moves[i * area ...] / moves_stdev.
 * Only those the format asks for are read. */
typedef struct tg_analysis_ownership {
    const double *root, *root_stdev;
    const double *moves, *moves_stdev;
} tg_analysis_ownership;

/* Appends one analysis line (no newline): "info move ... pv ..." for each of the n moves, separated
 * by spaces, then the requested trailing blocks. moves and root are from the root player's side, as
 * tg_search reports them; the board gives the vertex names. Nothing is appended when n == 0. */
void tg_format_analysis_line(tg_strbuf *out, const tg_analysis_format *fmt, const tg_move_info *moves, int n,
                             const tg_root_info *root, const tg_board *board, const tg_analysis_ownership *own);

#endif
