/* Ladder reading: is a chain in atari (or with two liberties) caught in a ladder?
 *
 * The answers are the ones KataGo's Board::searchIsLadderCaptured and
 * searchIsLadderCapturedAttackerFirst2Libs give (cpp/game/board.cpp), move generation, pruning
 * rules, the node budget and the depth limit included, because the network's ladder input planes
 * are built from them. Searches run on a private copy: the board passed in is never modified.
 *
 * KataGo's answers depend on the order of stones in each chain's list (tg_board's next_in_chain), which
 * decides the order moves are tried in; they agree with KataGo's when the board's lists are in the
 * order KataGo's Board would have them after the same moves. */
#ifndef TENGEN_GAME_LADDER_H
#define TENGEN_GAME_LADDER_H

#include <stdbool.h>

#include "board.h"

/* Scratch space for searches (the move lists of all levels). Reusing one across many searches saves
 * allocations; a zeroed struct is ready to use; pass NULL to use a temporary one. Not shared between
 * threads. */
typedef struct tg_ladder_work {
    tg_loc *moves;
    int cap_moves;
} tg_ladder_work;

void tg_ladder_work_free(tg_ladder_work *w);

/* KataGo's searchIsLadderCaptured: can the chain at loc be captured by a continuous sequence of
 * ataris? With defender_first, the chain must have exactly one liberty and its owner moves first
 * (any simple ko on the board is ignored for that first move: kos are assumed to favour the defender);
 * otherwise the chain must have at most two liberties and the attacker moves first.
 * Returns false for anything that is not such a chain, and when the search runs out of its node budget. */
bool tg_ladder_is_captured(const tg_board *b, tg_loc loc, bool defender_first, tg_ladder_work *w);

/* KataGo's searchIsLadderCapturedAttackerFirst2Libs: for a chain with exactly two liberties,
 * does an attacker move on one of them lead to a ladder capture? The liberties that work are written
 * to working (room for 2) and counted in *num_working. */
bool tg_ladder_is_captured_attacker_first_2libs(const tg_board *b, tg_loc loc, tg_loc working[2], int *num_working,
                                                tg_ladder_work *w);

/* KataGo's iterLadders as the network features use it: scans the board row by row and calls fn once
 * for every stone whose chain has one liberty and is ladder captured, or two liberties and can be
 * ladder captured by an attacker moving first. For the first stone seen of a two-liberty chain,
 * working lists the attacker's successful first moves; later stones of the same chain get none.
 * All searches of one scan share one scratch board, as KataGo's do (which matters for move order). */
typedef void (*tg_ladder_fn)(void *ctx, tg_loc loc, const tg_loc *working, int num_working);
void tg_ladder_iterate(const tg_board *b, tg_ladder_work *w, tg_ladder_fn fn, void *ctx);

/* Small board queries the ladder search relies on, exposed for tests. */
int tg_board_num_liberties_after_play(const tg_board *b, tg_loc loc, tg_color pla, int max);

#endif
