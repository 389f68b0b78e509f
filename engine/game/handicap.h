/* Handicap stone placement for GTP's fixed_handicap and place_free_handicap. */
#ifndef TENGEN_GAME_HANDICAP_H
#define TENGEN_GAME_HANDICAP_H

#include "board.h"

#define TG_MAX_FIXED_HANDICAP 9
/* KataGo never places more than this many free handicap stones, nor more than a quarter of the board. */
#define TG_MAX_FREE_HANDICAP 30

/* Why n fixed handicap stones cannot be placed on an xsize x ysize board, in KataGo's words
 * (a GTP front end appends ", try place_free_handicap"), or NULL when they can. */
const char *tg_handicap_fixed_error(int xsize, int ysize, int n);

/* The standard placement (GTP v2 section 4.1.1, extended to rectangular boards as KataGo does):
 * writes the n points into out (room for TG_MAX_FIXED_HANDICAP) in board order, top row first and
 * left to right, which is the order KataGo lists them in its reply. Returns n, or -1 when
 * tg_handicap_fixed_error gives a reason. */
int tg_handicap_fixed(int xsize, int ysize, int n, tg_loc *out);

/* The free placement: n is first capped at min(TG_MAX_FREE_HANDICAP, xsize*ysize/4) as KataGo caps it.
 * Writes the points (room for TG_MAX_FREE_HANDICAP) in board order and returns how many were placed;
 * 0 when n < 1. Deterministic; see handicap.c for how it differs from KataGo. */
int tg_handicap_free(const tg_board *b, int n, tg_loc *out);

#endif
