/* Rebuilding a position from the GTP commands that set it up, as KataGo's GTP engine would hold it
 * after receiving them: used to replay the reference positions of /work/shared/reference
 * (`setup` field) and by tests that compare with KataGo's kata-raw-nn answers. */
#ifndef TENGEN_NN_REFPOS_H
#define TENGEN_NN_REFPOS_H

#include <stdbool.h>
#include <stddef.h>

#include "game/board.h"
#include "game/history.h"

/* Applies commands[0..n) in order to a fresh engine state (19x19, Tromp-Taylor rules, komi 7.5, and
 * KataGo's GTP defaults preventCleanupPhase = true, assumeMultipleStartingBlackMovesAreHandicap = true).
 * Understood: boardsize N | boardsize X Y | rectangular_boardsize X Y, clear_board, komi K,
 * kata-set-rules NAME, kata-set-rule KEY VALUE, fixed_handicap N, set_free_handicap V..., play COLOR VERTEX.
 * Each maps onto the game API the way engine/front/gtp.c does (a rules change replays the game,
 * a move out of turn restarts the history as KataGo's root does).
 *
 * On success: *board is the current board, *hist an initialised history the caller must release with
 * tg_history_free (whatever *hist held before is overwritten, not freed), *next_pla the player to move.
 * On failure: returns false with the failing command and reason in err; *hist is then left released
 * (safe to pass to tg_history_free) and *board, *next_pla are unspecified. */
bool tg_position_from_gtp_setup(const char *const *commands, int n, tg_board *board, tg_history *hist,
                                tg_color *next_pla, char *err, size_t errlen);

#endif
