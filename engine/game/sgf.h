/* SGF (FF[4]) reading of a game's main line and writing of a game, for loadsgf/printsgf. */
#ifndef TENGEN_GAME_SGF_H
#define TENGEN_GAME_SGF_H

#include <stdbool.h>
#include <stddef.h>
#include "history.h"

/* One node of the main line: setup placements (AB/AW/AE, colour TG_EMPTY for AE), then an optional move. */
typedef struct tg_sgf_node {
    tg_move *setup; int num_setup;
    bool has_move; tg_move move;      /* pass as TG_PASS_LOC ("[]", or "[tt]" on boards up to 19x19) */
    tg_color player_to_move;          /* from PL, or TG_EMPTY */
} tg_sgf_node;

typedef struct tg_sgf_game {
    int xsize, ysize;                 /* SZ (19 when absent); "19:13" gives a rectangle */
    bool has_komi; float komi;        /* KM */
    int handicap;                     /* HA, 0 when absent */
    char *rules;                      /* RU text as written, or NULL */
    tg_sgf_node *nodes; int num_nodes; /* the main line, root first */
} tg_sgf_game;

/* Parses the first game tree of text. On failure returns false, leaves *out zeroed, and writes
 * "byte OFFSET: what is wrong" into err. Moves and setup are checked against the board size. */
bool tg_sgf_parse(const char *text, size_t len, tg_sgf_game *out, char *err, size_t errlen);
bool tg_sgf_load_file(const char *path, tg_sgf_game *out, char *err, size_t errlen);
void tg_sgf_free(tg_sgf_game *g);
/* Number of moves on the main line. */
int tg_sgf_num_moves(const tg_sgf_game *g);

/* Builds the position before move number move_number (1-based, as GTP's loadsgf: move_number-1 moves
 * played; <= 0 means the whole main line). Rules come from RU when KataGo can parse it, else *default_rules;
 * komi from KM when present, else default_rules->komi. Moves are played tolerantly; a move that is not
 * even tolerantly legal is an error naming its number. On failure board/hist are untouched. hist must be
 * initialised; board receives the position, *next_pla the player to move. */
bool tg_sgf_setup_position(const tg_sgf_game *g, int move_number, const tg_rules *default_rules,
                           tg_board *board, tg_history *hist, tg_color *next_pla, char *err, size_t errlen);

/* As tg_sgf_setup_position, with the replay's encore prevention chosen by the caller (KataGo's GTP
 * engine passes its preventCleanupPhase setting, true by default, which tg_sgf_setup_position uses). */
bool tg_sgf_setup_position_ex(const tg_sgf_game *g, int move_number, const tg_rules *default_rules,
                              bool prevent_encore, tg_board *board, tg_history *hist, tg_color *next_pla,
                              char *err, size_t errlen);

/* Writes the game held in hist (initial stones as AB/AW, then every move) as one SGF text, with
 * SZ, KM, RU (KataGo's rules text), HA when handicap stones are present, PL when White starts.
 * The result is malloc'd and never contains a blank line. */
char *tg_sgf_write(const tg_history *hist);

#endif
