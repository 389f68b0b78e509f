/* Rebuilding a position from the GTP commands that set it up, as KataGo's GTP engine would hold it
 * after receiving them: replays the reference positions of the shared reference files
 * (rawnn-*.jsonl, `setup` field) for `tengen check-backend` and for the tests that compare with
 * KataGo's kata-raw-nn answers. */
#ifndef TENGEN_FRONT_REFPOS_H
#define TENGEN_FRONT_REFPOS_H

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

/* One line of a reference file, replayed. */
typedef struct tg_refpos {
    char id[128];
    int symmetry; /* the symmetry KataGo was asked for (0-7) */
    tg_board board;
    tg_history hist; /* release with tg_history_free */
    tg_color next_pla;
} tg_refpos;

/* Parses one JSON line of a reference file (fields id, setup, symmetry; the `ref` answers are not read,
 * and the bare NaN tokens Python writes there are tolerated) and replays its setup. On failure returns
 * false with the reason in err and out->hist released. */
bool tg_refpos_parse_line(const char *line, tg_refpos *out, char *err, size_t errlen);

#endif
