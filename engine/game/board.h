/* The Go board: stones, chains, captures, simple ko, legality and Benson pass-alive area.
 *
 * Semantics follow KataGo's Board (cpp/game/board.h): the same padded one-dimensional layout,
 * the same meaning of every query, so that featurization and scoring built on top agree with it.
 * A tg_board holds no pointers: copying it by value (assignment, memcpy) gives an independent board. */
#ifndef TENGEN_GAME_BOARD_H
#define TENGEN_GAME_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#define TG_MAX_LEN 19
#define TG_MAX_PLAY_SIZE (TG_MAX_LEN * TG_MAX_LEN)
/* Padded layout: one wall column on the left (shared with the right edge of the row above),
 * one wall row above and below. */
#define TG_MAX_ARR_SIZE ((TG_MAX_LEN + 1) * (TG_MAX_LEN + 2) + 1)

typedef uint8_t tg_color;
enum { TG_EMPTY = 0, TG_BLACK = 1, TG_WHITE = 2, TG_WALL = 3 };
static inline tg_color tg_opp(tg_color c) { return (tg_color)(3 - c); } /* only for BLACK/WHITE */

typedef int tg_loc;
enum { TG_NULL_LOC = 0, TG_PASS_LOC = 1 };

static inline tg_loc tg_loc_of(int x, int y, int xsize) { return (x + 1) + (y + 1) * (xsize + 1); }
static inline int tg_loc_x(tg_loc loc, int xsize) { return (loc % (xsize + 1)) - 1; }
static inline int tg_loc_y(tg_loc loc, int xsize) { return (loc / (xsize + 1)) - 1; }

typedef struct tg_board {
    int xsize, ysize;
    tg_color color[TG_MAX_ARR_SIZE];
    /* Chains: circular linked lists through next_in_chain, liberty and stone counts kept at the head. */
    tg_loc chain_head[TG_MAX_ARR_SIZE];
    tg_loc next_in_chain[TG_MAX_ARR_SIZE];
    int16_t chain_libs[TG_MAX_ARR_SIZE];   /* valid at the head only */
    int16_t chain_size[TG_MAX_ARR_SIZE];   /* valid at the head only */
    tg_loc ko_loc;          /* point the player to move may not retake now (simple ko), or TG_NULL_LOC */
    uint64_t pos_hash;      /* Zobrist hash of the stones alone (not ko, not player to move) */
    int num_black_captures; /* black stones captured so far */
    int num_white_captures; /* white stones captured so far */
    int adj[4];             /* offsets to the four neighbours for this size */
} tg_board;

/* Zobrist keys, fixed for the life of the process (seeded deterministically).
 * As in KataGo, pos_hash of an empty board is tg_zobrist_size(xsize, ysize), and each stone XORs in
 * tg_zobrist_stone(loc, color) (zero for TG_EMPTY); ko and player keys are for callers to combine. */
uint64_t tg_zobrist_stone(tg_loc loc, tg_color color);
uint64_t tg_zobrist_player(tg_color pla);
uint64_t tg_zobrist_ko_loc(tg_loc loc);
uint64_t tg_zobrist_size(int xsize, int ysize);

/* Sizes from 1x1 to TG_MAX_LEN on each side are representable; callers enforce policy (GTP allows 2..19). */
void tg_board_init(tg_board *b, int xsize, int ysize);

bool tg_board_on_board(const tg_board *b, tg_loc loc);
bool tg_board_is_empty(const tg_board *b);
int tg_board_num_stones(const tg_board *b);
int tg_board_num_stones_of(const tg_board *b, tg_color pla);

int tg_board_chain_size(const tg_board *b, tg_loc loc);
int tg_board_liberties(const tg_board *b, tg_loc loc);
bool tg_board_is_adjacent_to(const tg_board *b, tg_loc loc, tg_color pla);

bool tg_board_is_suicide(const tg_board *b, tg_loc loc, tg_color pla);
/* Single-stone suicide is illegal under every ruleset; multi-stone suicide only when not allowed. */
bool tg_board_is_illegal_suicide(const tg_board *b, tg_loc loc, tg_color pla, bool multi_stone_suicide_legal);
bool tg_board_is_ko_banned(const tg_board *b, tg_loc loc);
bool tg_board_is_legal_ignoring_ko(const tg_board *b, tg_loc loc, tg_color pla, bool multi_stone_suicide_legal);
/* Pass is always legal. On board: empty, not ko-banned, not illegal suicide. */
bool tg_board_is_legal(const tg_board *b, tg_loc loc, tg_color pla, bool multi_stone_suicide_legal);
bool tg_board_would_be_capture(const tg_board *b, tg_loc loc, tg_color pla);
bool tg_board_would_be_ko_capture(const tg_board *b, tg_loc loc, tg_color pla);
/* Where the single stone captured by a ko capture at loc lies, or TG_NULL_LOC. */
tg_loc tg_board_ko_capture_loc(const tg_board *b, tg_loc loc, tg_color pla);
bool tg_board_is_simple_eye(const tg_board *b, tg_loc loc, tg_color pla);
/* Hash of the stones after pla plays loc (pseudolegal move), without playing it. */
uint64_t tg_board_pos_hash_after(const tg_board *b, tg_loc loc, tg_color pla);

/* Plays a pseudolegal move (pass, or an empty on-board point; ko and multi-stone suicide allowed):
 * removes captured chains, removes the played chain on suicide, updates ko_loc, hash, captures. */
void tg_board_play(tg_board *b, tg_loc loc, tg_color pla);
/* Checks tg_board_is_legal first; returns false and leaves the board untouched when illegal. */
bool tg_board_play_checked(tg_board *b, tg_loc loc, tg_color pla, bool multi_stone_suicide_legal);

void tg_board_clear_simple_ko(tg_board *b);
void tg_board_set_simple_ko(tg_board *b, tg_loc loc);

/* Puts (or with TG_EMPTY removes) a stone without captures, as setup properties do; rebuilds chains.
 * Returns false, leaving the board untouched, if that would leave any chain without liberties. */
bool tg_board_set_stone(tg_board *b, tg_loc loc, tg_color color);

/* KataGo's calculateArea: for each point, the colour owning it as pass-alive stone or pass-alive
 * territory (Benson), else TG_EMPTY. non_pass_alive_stones also marks remaining stones as their own colour;
 * safe_big_territories marks empty regions bordered by one colour only whose border is pass-alive;
 * unsafe_big_territories marks every empty region bordered by one colour only. result is TG_MAX_ARR_SIZE long. */
void tg_board_calculate_area(const tg_board *b, tg_color *result, bool non_pass_alive_stones,
                             bool safe_big_territories, bool unsafe_big_territories,
                             bool multi_stone_suicide_legal);

/* KataGo's calculateIndependentLifeArea: area that counts under territory scoring with seki tax,
 * and the count of independent-life regions (White minus Black) used by the tax. */
void tg_board_calculate_independent_life_area(const tg_board *b, tg_color *result,
                                              int *white_minus_black_independent_life_regions,
                                              bool keep_territories, bool keep_stones,
                                              bool multi_stone_suicide_legal);

/* GTP vertex text ("D4", "pass"; column letters skip I) <-> loc. Returns false on a bad or off-board vertex. */
bool tg_loc_parse(const char *s, int xsize, int ysize, tg_loc *out);
/* Writes "D4" or "pass" into buf (at least 8 bytes). */
const char *tg_loc_str(tg_loc loc, int xsize, int ysize, char *buf);

/* Checks internal invariants (chains, liberties, hash); for tests. Returns false on corruption. */
bool tg_board_check_consistency(const tg_board *b);

#endif
