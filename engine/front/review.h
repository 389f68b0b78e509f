/* `tengen review`: batch review of game records, and the data its SGF annotator (review_sgf.c) and its
 * graph writer (review_svg.c) share with the driver (review.c). */
#ifndef TENGEN_FRONT_REVIEW_H
#define TENGEN_FRONT_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "game/board.h"

/* argv holds the options after the subcommand name. Returns the exit status: 0 every game reviewed,
 * 1 some game or the setup failed, 2 bad command line. */
int tg_review_main(int argc, char **argv);

/* Point losses at or above these (in points, for the player who moved) classify a move, as the
 * review's comments and graph name them. */
#define TG_REVIEW_INACCURACY 1.0
#define TG_REVIEW_MISTAKE 3.0
#define TG_REVIEW_BLUNDER 6.0

typedef enum { TG_SEV_NONE = 0, TG_SEV_INACCURACY, TG_SEV_MISTAKE, TG_SEV_BLUNDER } tg_review_severity;

/* The search's verdict on the position after `index` moves (index 0: before the first move). */
typedef struct tg_review_position {
    double black_winrate; /* 0..1 */
    double black_lead;    /* points, positive when Black leads */
    tg_loc best;          /* the search's move for the player to move, TG_NULL_LOC when none */
    int64_t visits;
} tg_review_position;

/* One move of the main line, judged by the positions before and after it. */
typedef struct tg_review_move {
    int node;             /* index of its node on the main line (0 = root) */
    tg_color pla;
    tg_loc loc;
    double point_loss;    /* for pla; negative when the move did better than the search expected */
    double winrate_loss;  /* for pla, 0..1 units */
    tg_review_severity severity;
} tg_review_move;

/* A reviewed game: positions[0..num_moves], moves[0..num_moves-1] (move i leads from position i to i+1). */
typedef struct tg_review_game {
    int xsize, ysize;
    int num_moves;
    const tg_review_position *positions;
    const tg_review_move *moves;
    int64_t visits_per_position; /* the -visits asked for */
    const char *model_name;      /* file name of the network, for the root comment */
} tg_review_game;

/* Game information from the root node (PB, PW, BR, WR, RE, DT, GN, EV), each malloc'd or NULL. */
typedef struct tg_review_info {
    char *black, *white, *black_rank, *white_rank, *result, *date, *name, *event;
} tg_review_info;

/* Reads the root's game information from SGF text that tg_sgf_parse accepted. */
void tg_review_read_info(const char *text, size_t len, tg_review_info *info);
void tg_review_info_free(tg_review_info *info);

/* Number of nodes on text's main line, as tg_sgf_parse picks it; -1 when the text cannot be scanned. */
int tg_review_count_main_line(const char *text, size_t len);

/* The original text with, on every main-line move node, a comment (Black's winrate, the score lead,
 * for a mistake the point loss and the better move), SBKV (Black's winrate in percent), the better move
 * as a TR triangle, and DO / BM[1] / BM[2] for inaccuracies, mistakes and blunders; and on the root the
 * marker property TGRV saying the review is complete. Everything else is kept byte for byte. NULL with
 * a message in err when the main line does not match game->moves. The result is malloc'd. */
char *tg_review_annotate(const char *text, size_t len, const tg_review_game *game, char *err, size_t errlen);

/* Whether text is a finished review (written by tg_review_annotate: the root holds TGRV). */
bool tg_review_is_complete(const char *text, size_t len);

/* An SVG picture of Black's winrate and the score lead over the moves, mistakes marked, titled with
 * the players and result. malloc'd. */
char *tg_review_svg(const tg_review_game *game, const tg_review_info *info);

#endif
