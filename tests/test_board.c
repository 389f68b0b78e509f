/* Board rules, hashing, vertices, Benson area and handicap placement. Expected values are worked
 * out by hand from the rules of Go and the GTP specification. */
#include <stdint.h>
#include <string.h>

#include "../engine/game/board.h"
#include "../engine/game/handicap.h"
#include "check.h"

/* Builds a position from rows given top row first: 'X' black, 'O' white, '.' empty. */
static void setup(tg_board *b, int xs, int ys, const char *const *rows) {
    tg_board_init(b, xs, ys);
    for (int y = 0; y < ys; y++)
        for (int x = 0; x < xs; x++) {
            char c = rows[y][x];
            if (c == 'X') CHECK(tg_board_set_stone(b, tg_loc_of(x, y, xs), TG_BLACK));
            if (c == 'O') CHECK(tg_board_set_stone(b, tg_loc_of(x, y, xs), TG_WHITE));
        }
}

static tg_loc V(const tg_board *b, const char *s) {
    tg_loc loc = TG_NULL_LOC;
    if (!tg_loc_parse(s, b->xsize, b->ysize, &loc)) {
        fprintf(stderr, "bad vertex in test: %s\n", s);
        check_failures++;
    }
    return loc;
}

/* Renders an area map the same way setup() reads positions, for comparison with expected rows. */
static bool area_is(const tg_board *b, const tg_color *area, const char *const *rows) {
    bool ok = true;
    for (int y = 0; y < b->ysize; y++)
        for (int x = 0; x < b->xsize; x++) {
            tg_color c = area[tg_loc_of(x, y, b->xsize)];
            char want = rows[y][x];
            tg_color wc = want == 'X' ? TG_BLACK : want == 'O' ? TG_WHITE : TG_EMPTY;
            if (c != wc) ok = false;
        }
    /* Nothing off the board may be marked. */
    for (int i = 0; i < TG_MAX_ARR_SIZE; i++)
        if (!tg_board_on_board(b, i) && area[i] != TG_EMPTY) ok = false;
    return ok;
}

/* The position hash recomputed from the stones through the public key functions. */
static uint64_t scratch_hash(const tg_board *b) {
    uint64_t h = tg_zobrist_size(b->xsize, b->ysize);
    for (int y = 0; y < b->ysize; y++)
        for (int x = 0; x < b->xsize; x++) {
            tg_loc p = tg_loc_of(x, y, b->xsize);
            h ^= tg_zobrist_stone(p, b->color[p]);
        }
    return h;
}

static void test_vertices(void) {
    tg_loc loc;
    char buf[8];
    CHECK(tg_loc_parse("A1", 19, 19, &loc) && loc == tg_loc_of(0, 18, 19));
    CHECK(tg_loc_parse("D4", 19, 19, &loc) && loc == tg_loc_of(3, 15, 19));
    CHECK(tg_loc_parse("d4", 19, 19, &loc) && loc == tg_loc_of(3, 15, 19));
    CHECK(tg_loc_parse("T19", 19, 19, &loc) && loc == tg_loc_of(18, 0, 19));
    CHECK(tg_loc_parse("H8", 19, 19, &loc) && loc == tg_loc_of(7, 11, 19));
    CHECK(tg_loc_parse("J8", 19, 19, &loc) && loc == tg_loc_of(8, 11, 19));
    CHECK(tg_loc_parse("k10", 19, 19, &loc) && loc == tg_loc_of(9, 9, 19));
    CHECK(tg_loc_parse("pass", 19, 19, &loc) && loc == TG_PASS_LOC);
    CHECK(tg_loc_parse("PASS", 9, 9, &loc) && loc == TG_PASS_LOC);
    CHECK(tg_loc_parse("Pass", 9, 9, &loc) && loc == TG_PASS_LOC);
    CHECK(!tg_loc_parse("I5", 19, 19, &loc));
    CHECK(!tg_loc_parse("i5", 19, 19, &loc));
    CHECK(!tg_loc_parse("Z1", 19, 19, &loc));
    CHECK(!tg_loc_parse("U1", 19, 19, &loc));
    CHECK(!tg_loc_parse("A0", 19, 19, &loc));
    CHECK(!tg_loc_parse("A20", 19, 19, &loc));
    CHECK(!tg_loc_parse("A-1", 19, 19, &loc));
    CHECK(!tg_loc_parse("", 19, 19, &loc));
    CHECK(!tg_loc_parse("A", 19, 19, &loc));
    CHECK(!tg_loc_parse("4", 19, 19, &loc));
    CHECK(!tg_loc_parse("D4x", 19, 19, &loc));
    CHECK(!tg_loc_parse("passs", 19, 19, &loc));
    CHECK(!tg_loc_parse("K10", 9, 9, &loc));
    CHECK(!tg_loc_parse("J10", 9, 9, &loc));
    CHECK(tg_loc_parse("J9", 9, 9, &loc) && loc == tg_loc_of(8, 0, 9));

    /* Rectangular: 5 columns (A..E), 7 rows. */
    CHECK(tg_loc_parse("E7", 5, 7, &loc) && loc == tg_loc_of(4, 0, 5));
    CHECK(tg_loc_parse("A1", 5, 7, &loc) && loc == tg_loc_of(0, 6, 5));
    CHECK(!tg_loc_parse("F1", 5, 7, &loc));
    CHECK(!tg_loc_parse("A8", 5, 7, &loc));
    /* 7 columns (A..G), 5 rows. */
    CHECK(tg_loc_parse("G5", 7, 5, &loc) && loc == tg_loc_of(6, 0, 7));
    CHECK(!tg_loc_parse("G6", 7, 5, &loc));
    CHECK(!tg_loc_parse("H1", 7, 5, &loc));

    CHECK(strcmp(tg_loc_str(tg_loc_of(3, 15, 19), 19, 19, buf), "D4") == 0);
    CHECK(strcmp(tg_loc_str(tg_loc_of(8, 0, 19), 19, 19, buf), "J19") == 0);
    CHECK(strcmp(tg_loc_str(tg_loc_of(18, 18, 19), 19, 19, buf), "T1") == 0);
    CHECK(strcmp(tg_loc_str(TG_PASS_LOC, 19, 19, buf), "pass") == 0);
    CHECK(strcmp(tg_loc_str(tg_loc_of(4, 0, 5), 5, 7, buf), "E7") == 0);
    CHECK(strcmp(tg_loc_str(tg_loc_of(6, 4, 7), 7, 5, buf), "G1") == 0);

    /* Every point of many shapes prints and parses back to itself. */
    int shapes[][2] = {{2, 2}, {9, 9}, {13, 13}, {19, 19}, {5, 7}, {7, 5}, {19, 2}, {1, 19}, {11, 4}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int xs = shapes[s][0], ys = shapes[s][1];
        int bad = 0;
        for (int y = 0; y < ys; y++)
            for (int x = 0; x < xs; x++) {
                tg_loc p = tg_loc_of(x, y, xs), q = TG_NULL_LOC;
                if (!tg_loc_parse(tg_loc_str(p, xs, ys, buf), xs, ys, &q) || q != p) bad++;
            }
        CHECKF(bad == 0, "%dx%d: %d round-trip failures", xs, ys, bad);
    }
}

static void test_captures(void) {
    tg_board b;
    /* Single stone in the centre: white C3 in atari, black C4 takes it. */
    static const char *const one[] = {".....", ".....", ".XOX.", "..X..", "....."};
    setup(&b, 5, 5, one);
    CHECK(tg_board_liberties(&b, V(&b, "C3")) == 1);
    CHECK(tg_board_would_be_capture(&b, V(&b, "C4"), TG_BLACK));
    CHECK(!tg_board_would_be_capture(&b, V(&b, "B4"), TG_BLACK));
    CHECK(tg_board_play_checked(&b, V(&b, "C4"), TG_BLACK, false));
    CHECK(b.color[V(&b, "C3")] == TG_EMPTY);
    CHECK(b.num_white_captures == 1 && b.num_black_captures == 0);
    CHECK(b.ko_loc == TG_NULL_LOC); /* C4 has four liberties, not a ko */
    CHECK(tg_board_liberties(&b, V(&b, "C4")) == 4);
    CHECK(tg_board_liberties(&b, V(&b, "B3")) == 4);
    CHECK(tg_board_check_consistency(&b));

    /* Corner: white A1 with black A2, black B1 takes it. */
    static const char *const corner[] = {".....", ".....", ".....", "X....", "O...."};
    setup(&b, 5, 5, corner);
    CHECK(tg_board_liberties(&b, V(&b, "A1")) == 1);
    tg_board_play(&b, V(&b, "B1"), TG_BLACK);
    CHECK(b.color[V(&b, "A1")] == TG_EMPTY && b.num_white_captures == 1);
    CHECK(b.ko_loc == TG_NULL_LOC);
    CHECK(tg_board_liberties(&b, V(&b, "B1")) == 3);

    /* Edge: a white two-stone chain on the bottom edge. */
    static const char *const edge[] = {".....", ".....", ".....", ".XX..", "XOO.."};
    setup(&b, 5, 5, edge);
    CHECK(tg_board_chain_size(&b, V(&b, "B1")) == 2 && tg_board_liberties(&b, V(&b, "B1")) == 1);
    tg_board_play(&b, V(&b, "D1"), TG_BLACK);
    CHECK(b.color[V(&b, "B1")] == TG_EMPTY && b.color[V(&b, "C1")] == TG_EMPTY);
    CHECK(b.num_white_captures == 2);
    CHECK(tg_board_check_consistency(&b));

    /* One move takes two separate chains: white B3 and D3 share their last liberty C3. */
    static const char *const two[] = {".....", ".X.X.", "XO.OX", ".X.X.", "....."};
    setup(&b, 5, 5, two);
    tg_board_play(&b, V(&b, "C3"), TG_BLACK);
    CHECK(b.color[V(&b, "B3")] == TG_EMPTY && b.color[V(&b, "D3")] == TG_EMPTY);
    CHECK(b.num_white_captures == 2);
    CHECK(b.ko_loc == TG_NULL_LOC); /* two stones taken: never a ko */
    CHECK(tg_board_liberties(&b, V(&b, "C3")) == 4);
    CHECK(tg_board_num_stones_of(&b, TG_BLACK) == 7 && tg_board_num_stones_of(&b, TG_WHITE) == 0);

    /* A capture that also joins the capturer to a friendly chain: B4 connects to A4-A3 and takes
     * white B3, whose point becomes a liberty of the joined chain. */
    static const char *const joinc[] = {".....", "X....", "XO...", "OX...", "....."};
    setup(&b, 5, 5, joinc);
    tg_board_play(&b, V(&b, "C3"), TG_BLACK);
    CHECK(tg_board_liberties(&b, V(&b, "B3")) == 1);
    tg_board_play(&b, V(&b, "B4"), TG_BLACK);
    CHECK(b.color[V(&b, "B3")] == TG_EMPTY && b.num_white_captures == 1);
    CHECK(tg_board_chain_size(&b, V(&b, "B4")) == 3);
    CHECK(tg_board_liberties(&b, V(&b, "A3")) == 4); /* A5, B5, C4, B3 */
    CHECK(tg_board_chain_size(&b, V(&b, "C3")) == 1);
    CHECK(tg_board_check_consistency(&b));
}

static void test_ko(void) {
    tg_board b;
    /* Black C4 takes white B4 in a ko mouth. */
    static const char *const ko[] = {".XO..", "XO.O.", ".XO..", ".....", "....."};
    setup(&b, 5, 5, ko);
    tg_loc c4 = V(&b, "C4"), b4 = V(&b, "B4");
    CHECK(tg_board_would_be_ko_capture(&b, c4, TG_BLACK));
    CHECK(tg_board_ko_capture_loc(&b, c4, TG_BLACK) == b4);
    CHECK(!tg_board_would_be_ko_capture(&b, V(&b, "E1"), TG_BLACK));
    CHECK(tg_board_play_checked(&b, c4, TG_BLACK, false));
    CHECK(b.num_white_captures == 1);
    CHECK(b.ko_loc == b4);
    CHECK(tg_board_is_ko_banned(&b, b4));
    CHECK(!tg_board_is_legal(&b, b4, TG_WHITE, false));
    CHECK(!tg_board_is_legal(&b, b4, TG_WHITE, true));
    CHECK(tg_board_is_legal_ignoring_ko(&b, b4, TG_WHITE, false));
    CHECK(tg_board_would_be_ko_capture(&b, b4, TG_WHITE));
    CHECK(tg_board_ko_capture_loc(&b, b4, TG_WHITE) == c4);
    CHECK(!tg_board_play_checked(&b, b4, TG_WHITE, false));
    CHECK(b.color[b4] == TG_EMPTY);
    CHECK(tg_board_check_consistency(&b));

    /* A threat elsewhere lifts the ban; then white retakes and black is banned at C4. */
    tg_board_play(&b, V(&b, "E1"), TG_WHITE);
    CHECK(b.ko_loc == TG_NULL_LOC);
    tg_board_play(&b, V(&b, "D1"), TG_BLACK);
    CHECK(tg_board_play_checked(&b, b4, TG_WHITE, false));
    CHECK(b.color[c4] == TG_EMPTY && b.num_black_captures == 1);
    CHECK(b.ko_loc == c4);
    CHECK(!tg_board_is_legal(&b, c4, TG_BLACK, false));

    /* A pass also ends the ban. */
    tg_board_play(&b, TG_PASS_LOC, TG_BLACK);
    CHECK(b.ko_loc == TG_NULL_LOC);
    CHECK(tg_board_is_legal(&b, c4, TG_BLACK, false));

    /* Explicit setting and clearing. */
    tg_board_set_simple_ko(&b, c4);
    CHECK(tg_board_is_ko_banned(&b, c4));
    tg_board_clear_simple_ko(&b);
    CHECK(!tg_board_is_ko_banned(&b, c4));

    /* Taking one stone with a stone left with two liberties (A4 and B5) is no ko. */
    static const char *const snap[] = {".....", "XO...", "O.O..", ".O...", "....."};
    setup(&b, 5, 5, snap);
    tg_board_play(&b, V(&b, "A5"), TG_WHITE);
    CHECK(b.color[V(&b, "A4")] == TG_EMPTY && b.num_black_captures == 1);
    CHECK(b.ko_loc == TG_NULL_LOC);
}

static void test_suicide(void) {
    tg_board b;
    /* Single-stone suicide in the corner is illegal whatever the suicide rule. */
    static const char *const single[] = {".....", ".....", ".....", "O....", ".O..."};
    setup(&b, 5, 5, single);
    tg_loc a1 = V(&b, "A1");
    CHECK(tg_board_is_suicide(&b, a1, TG_BLACK));
    CHECK(tg_board_is_illegal_suicide(&b, a1, TG_BLACK, false));
    CHECK(tg_board_is_illegal_suicide(&b, a1, TG_BLACK, true));
    CHECK(!tg_board_is_legal(&b, a1, TG_BLACK, false));
    CHECK(!tg_board_is_legal(&b, a1, TG_BLACK, true));
    CHECK(!tg_board_is_legal_ignoring_ko(&b, a1, TG_BLACK, true));
    CHECK(!tg_board_is_suicide(&b, a1, TG_WHITE));
    CHECK(tg_board_is_legal(&b, a1, TG_WHITE, false));
    CHECK(!tg_board_is_suicide(&b, TG_PASS_LOC, TG_BLACK));
    CHECK(tg_board_is_legal(&b, TG_PASS_LOC, TG_BLACK, false));
    CHECK(!tg_board_is_legal(&b, V(&b, "A2"), TG_BLACK, false)); /* occupied */
    CHECK(!tg_board_is_legal(&b, TG_NULL_LOC, TG_BLACK, false));
    CHECK(!tg_board_is_legal(&b, V(&b, "C3"), TG_EMPTY, false));

    /* Multi-stone suicide: black B1 would join A1 and leave the pair without liberties. */
    static const char *const multi[] = {".....", ".....", ".....", "OO...", "X.O.."};
    setup(&b, 5, 5, multi);
    tg_loc b1 = V(&b, "B1");
    CHECK(tg_board_is_suicide(&b, b1, TG_BLACK));
    CHECK(tg_board_is_illegal_suicide(&b, b1, TG_BLACK, false));
    CHECK(!tg_board_is_illegal_suicide(&b, b1, TG_BLACK, true));
    CHECK(!tg_board_is_legal(&b, b1, TG_BLACK, false));
    CHECK(tg_board_is_legal(&b, b1, TG_BLACK, true));
    CHECK(!tg_board_play_checked(&b, b1, TG_BLACK, false));
    CHECK(b.color[b1] == TG_EMPTY && b.color[V(&b, "A1")] == TG_BLACK);

    /* White's stones after the suicide: A2-B2 gets A1 and B1 back, C1 gets B1. */
    static const char *const after[] = {".....", ".....", ".....", "OO...", "..O.."};
    tg_board expect;
    setup(&expect, 5, 5, after);
    uint64_t predicted = tg_board_pos_hash_after(&b, b1, TG_BLACK);
    CHECK(tg_board_play_checked(&b, b1, TG_BLACK, true));
    CHECK(b.color[b1] == TG_EMPTY && b.color[V(&b, "A1")] == TG_EMPTY);
    CHECK(b.num_black_captures == 2 && b.num_white_captures == 0);
    CHECK(b.ko_loc == TG_NULL_LOC);
    CHECK(b.pos_hash == expect.pos_hash);
    CHECK(predicted == b.pos_hash);
    CHECK(tg_board_liberties(&b, V(&b, "A2")) == 5); /* A1, B1, A3, B3, C2 */
    CHECK(tg_board_liberties(&b, V(&b, "C1")) == 3); /* B1, D1, C2 */
    CHECK(tg_board_check_consistency(&b));

    /* Filling the last liberty while capturing is not suicide. */
    static const char *const capt[] = {".....", ".....", ".....", "XO...", "O.X.."};
    setup(&b, 5, 5, capt);
    /* White A1's last liberty is B1; B1 has no empty neighbour but takes A1. */
    CHECK(!tg_board_is_suicide(&b, V(&b, "B1"), TG_BLACK));
    tg_board_play(&b, V(&b, "B1"), TG_BLACK);
    CHECK(b.color[V(&b, "A1")] == TG_EMPTY && b.num_white_captures == 1);
}

static void test_set_stone(void) {
    tg_board b, before;
    static const char *const pos[] = {".....", ".....", ".....", "O....", ".O..."};
    setup(&b, 5, 5, pos);
    tg_board_set_simple_ko(&b, V(&b, "A1")); /* arbitrary: a refused placement must keep it too */
    before = b;
    /* No liberties for the new stone. */
    CHECK(!tg_board_set_stone(&b, V(&b, "A1"), TG_BLACK));
    CHECK(memcmp(&b, &before, sizeof b) == 0);
    /* Bring white B1 down to one liberty (A1); a black stone there would capture, which setup refuses. */
    CHECK(tg_board_set_stone(&b, V(&b, "C1"), TG_BLACK));
    CHECK(b.ko_loc == TG_NULL_LOC); /* setup clears the ko */
    CHECK(tg_board_set_stone(&b, V(&b, "B2"), TG_BLACK));
    before = b;
    CHECK(tg_board_liberties(&b, V(&b, "B1")) == 1);
    CHECK(!tg_board_set_stone(&b, V(&b, "A1"), TG_BLACK)); /* would take B1 */
    CHECK(memcmp(&b, &before, sizeof b) == 0);
    /* Changing a stone's colour in place: white B2 joins A2 and B1 into one chain. */
    CHECK(tg_board_set_stone(&b, V(&b, "B2"), TG_WHITE));
    CHECK(tg_board_chain_size(&b, V(&b, "B1")) == 3 && tg_board_liberties(&b, V(&b, "B1")) == 4);
    CHECK(tg_board_set_stone(&b, V(&b, "C3"), TG_WHITE));
    CHECK(tg_board_set_stone(&b, V(&b, "C3"), TG_BLACK));
    CHECK(b.color[V(&b, "C3")] == TG_BLACK);
    CHECK(tg_board_set_stone(&b, V(&b, "C3"), TG_BLACK)); /* same colour: no change */
    CHECK(tg_board_set_stone(&b, V(&b, "C3"), TG_EMPTY));
    CHECK(b.color[V(&b, "C3")] == TG_EMPTY);
    CHECK(tg_board_check_consistency(&b));
    /* Off-board and bad colours. */
    CHECK(!tg_board_set_stone(&b, TG_PASS_LOC, TG_BLACK));
    CHECK(!tg_board_set_stone(&b, TG_NULL_LOC, TG_BLACK));
    CHECK(!tg_board_set_stone(&b, -3, TG_BLACK));
    CHECK(!tg_board_set_stone(&b, TG_MAX_ARR_SIZE, TG_BLACK));
    CHECK(!tg_board_set_stone(&b, V(&b, "C3"), TG_WALL));

    /* A colour change that would capture is refused: black at B1 would leave white B2 bare. */
    static const char *const turn[] = {".....", ".....", ".X...", "XOX..", "XO..."};
    setup(&b, 5, 5, turn);
    CHECK(tg_board_liberties(&b, V(&b, "B1")) == 1);
    before = b;
    CHECK(!tg_board_set_stone(&b, V(&b, "B1"), TG_BLACK));
    CHECK(memcmp(&b, &before, sizeof b) == 0);
    CHECK(tg_board_set_stone(&b, V(&b, "C1"), TG_WHITE)); /* fills C1, the chain's liberty moves to D1 */
    CHECK(tg_board_chain_size(&b, V(&b, "B1")) == 3 && tg_board_liberties(&b, V(&b, "B1")) == 1);
    CHECK(!tg_board_set_stone(&b, V(&b, "D1"), TG_BLACK)); /* now D1 would capture three stones */

    /* Removing a stone that splits a chain leaves two consistent chains. */
    static const char *const line[] = {".....", ".....", "XXXXX", ".....", "....."};
    setup(&b, 5, 5, line);
    CHECK(tg_board_chain_size(&b, V(&b, "A3")) == 5);
    CHECK(tg_board_set_stone(&b, V(&b, "C3"), TG_EMPTY));
    CHECK(tg_board_chain_size(&b, V(&b, "A3")) == 2 && tg_board_chain_size(&b, V(&b, "E3")) == 2);
    CHECK(tg_board_liberties(&b, V(&b, "A3")) == 5); /* A4 B4 A2 B2 C3 */
    CHECK(tg_board_check_consistency(&b));
    /* Emptying the board brings back the empty board's hash. */
    for (int x = 0; x < 5; x++) tg_board_set_stone(&b, tg_loc_of(x, 2, 5), TG_EMPTY);
    tg_board empty;
    tg_board_init(&empty, 5, 5);
    CHECK(b.pos_hash == empty.pos_hash);
    CHECK(tg_board_is_empty(&b));
}

static void test_simple_eye(void) {
    tg_board b;
    static const char *const pos[] = {".X...", "X.X..", ".X.O.", "....O", "...O."};
    setup(&b, 5, 5, pos);
    CHECK(tg_board_is_simple_eye(&b, V(&b, "A5"), TG_BLACK));  /* corner eye, no enemy diagonal */
    CHECK(tg_board_is_simple_eye(&b, V(&b, "B4"), TG_BLACK));  /* centre eye, empty diagonals */
    CHECK(!tg_board_is_simple_eye(&b, V(&b, "B4"), TG_WHITE));
    CHECK(tg_board_is_simple_eye(&b, V(&b, "E1"), TG_WHITE));  /* corner eye */
    CHECK(!tg_board_is_simple_eye(&b, V(&b, "C3"), TG_BLACK)); /* not surrounded */
    CHECK(!tg_board_is_simple_eye(&b, V(&b, "B5"), TG_BLACK)); /* a stone */
    /* One enemy diagonal spoils an edge eye. */
    static const char *const edge[] = {".X.X.", "X.XO.", ".X...", ".....", "....."};
    setup(&b, 5, 5, edge);
    CHECK(!tg_board_is_simple_eye(&b, V(&b, "C5"), TG_BLACK)); /* D4 white */
    CHECK(tg_board_is_simple_eye(&b, V(&b, "B4"), TG_BLACK));
    CHECK(tg_board_is_simple_eye(&b, V(&b, "A5"), TG_BLACK));
    /* In the centre one enemy diagonal is tolerated, two are not. */
    static const char *const one_diag[] = {".....", ".OX..", ".X.X.", "..X..", "....."};
    setup(&b, 5, 5, one_diag);
    CHECK(tg_board_is_simple_eye(&b, V(&b, "C3"), TG_BLACK));
    static const char *const two_diag[] = {".....", ".OXO.", ".X.X.", "..X..", "....."};
    setup(&b, 5, 5, two_diag);
    CHECK(!tg_board_is_simple_eye(&b, V(&b, "C3"), TG_BLACK));
}

/* Uniformly random legal moves (with occasional passes) on many board shapes; checks invariants,
 * hash prediction and from-scratch hashes along the way. */
static uint64_t rng_state = 42;
static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void test_random_games(void) {
    int shapes[][2] = {{2, 2}, {3, 3}, {4, 4}, {5, 5}, {7, 7}, {9, 9}, {13, 13}, {19, 19},
                       {2, 7}, {7, 2}, {1, 9}, {9, 1}, {3, 17}, {19, 5}, {6, 11}};
    int inconsistent = 0, bad_predictions = 0, bad_scratch = 0, bad_ko = 0, moves = 0;
    for (int game = 0; game < 90; game++) {
        int xs = shapes[game % 15][0], ys = shapes[game % 15][1];
        bool multi = (game / 15) % 2 == 1;
        tg_board b;
        tg_board_init(&b, xs, ys);
        tg_color pla = TG_BLACK;
        tg_loc legal[TG_MAX_PLAY_SIZE];
        int limit = 3 * xs * ys + 30;
        for (int m = 0; m < limit; m++) {
            int n = 0;
            for (int y = 0; y < ys; y++)
                for (int x = 0; x < xs; x++) {
                    tg_loc p = tg_loc_of(x, y, xs);
                    if (tg_board_is_legal(&b, p, pla, multi)) legal[n++] = p;
                }
            tg_loc mv = (n == 0 || rng_next() % 40 == 0) ? TG_PASS_LOC : legal[rng_next() % (uint64_t)n];
            uint64_t predicted = tg_board_pos_hash_after(&b, mv, pla);
            int stones_before = tg_board_num_stones(&b);
            int caps_before = b.num_black_captures + b.num_white_captures;
            tg_board_play(&b, mv, pla);
            moves++;
            if (predicted != b.pos_hash) bad_predictions++;
            if (!tg_board_check_consistency(&b)) inconsistent++;
            /* Stone conservation: each move adds one stone minus everything captured. */
            int caps_after = b.num_black_captures + b.num_white_captures;
            int added = mv == TG_PASS_LOC ? 0 : 1;
            if (tg_board_num_stones(&b) != stones_before + added - (caps_after - caps_before)) inconsistent++;
            if (b.ko_loc != TG_NULL_LOC && (caps_after - caps_before != 1)) bad_ko++;
            if (m % 17 == 0 && scratch_hash(&b) != b.pos_hash) bad_scratch++;
            pla = tg_opp(pla);
        }
        /* A copy by value is independent of the original. */
        tg_board copy = b;
        uint64_t h = b.pos_hash;
        int stones = tg_board_num_stones(&b);
        for (int p = 0; p < TG_MAX_ARR_SIZE; p++)
            if (tg_board_is_legal(&copy, p, pla, multi) && p != TG_PASS_LOC) {
                tg_board_play(&copy, p, pla);
                break;
            }
        CHECK(b.pos_hash == h && tg_board_num_stones(&b) == stones);
        CHECK(tg_board_check_consistency(&b) && tg_board_check_consistency(&copy));
    }
    CHECKF(inconsistent == 0, "%d inconsistent states", inconsistent);
    CHECKF(bad_predictions == 0, "%d wrong pos_hash_after", bad_predictions);
    CHECKF(bad_scratch == 0, "%d hashes differ from scratch", bad_scratch);
    CHECKF(bad_ko == 0, "%d ko points without a single capture", bad_ko);
    CHECK(moves > 10000);

    /* The same stones reached in different orders hash the same; different stones do not. */
    tg_board a, c;
    tg_board_init(&a, 9, 9);
    tg_board_init(&c, 9, 9);
    tg_board_play(&a, V(&a, "C3"), TG_BLACK);
    tg_board_play(&a, V(&a, "G7"), TG_WHITE);
    tg_board_play(&c, V(&c, "G7"), TG_WHITE);
    tg_board_play(&c, V(&c, "C3"), TG_BLACK);
    CHECK(a.pos_hash == c.pos_hash);
    tg_board_play(&c, TG_PASS_LOC, TG_BLACK);
    CHECK(a.pos_hash == c.pos_hash); /* hash holds stones only */
    tg_board_init(&c, 9, 9);
    tg_board_play(&c, V(&c, "C3"), TG_WHITE);
    tg_board_play(&c, V(&c, "G7"), TG_BLACK);
    CHECK(a.pos_hash != c.pos_hash);
    /* Board size is part of the hash, as in KataGo. */
    tg_board e9, e13;
    tg_board_init(&e9, 9, 9);
    tg_board_init(&e13, 13, 13);
    CHECK(e9.pos_hash != e13.pos_hash);
    CHECK(e9.pos_hash == tg_zobrist_size(9, 9));
    CHECK(tg_zobrist_size(9, 13) != tg_zobrist_size(13, 9));
    CHECK(tg_zobrist_stone(V(&a, "C3"), TG_BLACK) != tg_zobrist_stone(V(&a, "C3"), TG_WHITE));
    CHECK(tg_zobrist_stone(V(&a, "C3"), TG_EMPTY) == 0);
    CHECK(tg_zobrist_player(TG_BLACK) != tg_zobrist_player(TG_WHITE));
    CHECK(tg_zobrist_ko_loc(V(&a, "C3")) != tg_zobrist_ko_loc(V(&a, "C4")));
}

static void test_area(void) {
    tg_board b;
    tg_color area[TG_MAX_ARR_SIZE];
    int count = 99;

    /* Black wall with three one-point eyes on top: pass-alive, eyes are its territory; the open
     * bottom counts only as a safe big territory. */
    static const char *const alive[] = {".X.X.", "XXXXX", ".....", ".....", "....."};
    setup(&b, 5, 5, alive);
    static const char *const alive_plain[] = {"XXXXX", "XXXXX", ".....", ".....", "....."};
    static const char *const all_black[] = {"XXXXX", "XXXXX", "XXXXX", "XXXXX", "XXXXX"};
    for (int multi = 0; multi < 2; multi++) {
        tg_board_calculate_area(&b, area, false, false, false, multi);
        CHECK(area_is(&b, area, alive_plain));
        tg_board_calculate_area(&b, area, false, true, false, multi);
        CHECK(area_is(&b, area, all_black));
        tg_board_calculate_area(&b, area, true, false, true, multi);
        CHECK(area_is(&b, area, all_black));
    }
    tg_board_calculate_independent_life_area(&b, area, &count, false, false, false);
    CHECK(area_is(&b, area, all_black));
    CHECK(count == -1);

    /* Two eyes, one of them at the edge of a two-point eye space, still pass-alive: the two-point
     * region has no point away from black. */
    static const char *const alive2[] = {"..X.X", "XXXXX", ".....", ".....", "....."};
    setup(&b, 5, 5, alive2);
    tg_board_calculate_area(&b, area, false, false, false, false);
    CHECK(area_is(&b, area, alive_plain));

    /* A single eye is not enough: black is not pass-alive, nor white around it. */
    static const char *const one_eye[] = {".XO..", "XXO..", "OOO..", ".....", "....."};
    setup(&b, 5, 5, one_eye);
    static const char *const nothing[] = {".....", ".....", ".....", ".....", "....."};
    for (int multi = 0; multi < 2; multi++) {
        tg_board_calculate_area(&b, area, false, false, false, multi);
        CHECK(area_is(&b, area, nothing));
        tg_board_calculate_area(&b, area, false, true, false, multi);
        CHECK(area_is(&b, area, nothing));
    }
    /* Unsafe big territories: A5 is empty and bordered by black only; the rest of the empty points
     * are bordered by white only. Remaining stones then count as their own colour. */
    tg_board_calculate_area(&b, area, false, false, true, false);
    static const char *const one_eye_unsafe[] = {"X..OO", "...OO", "...OO", "OOOOO", "OOOOO"};
    CHECK(area_is(&b, area, one_eye_unsafe));
    tg_board_calculate_area(&b, area, true, false, true, false);
    static const char *const one_eye_all[] = {"XXOOO", "XXOOO", "OOOOO", "OOOOO", "OOOOO"};
    CHECK(area_is(&b, area, one_eye_all));

    /* Seki on a 5x2 board: each side has one eye and they share C2 and C1. Nothing is pass-alive. */
    static const char *const seki[] = {".X.O.", "XX.OO"};
    setup(&b, 5, 2, seki);
    static const char *const seki_none[] = {".....", "....."};
    for (int multi = 0; multi < 2; multi++) {
        tg_board_calculate_area(&b, area, false, true, false, multi);
        CHECK(area_is(&b, area, seki_none));
    }
    tg_board_calculate_area(&b, area, true, true, true, false);
    static const char *const seki_full[] = {"XX.OO", "XX.OO"};
    CHECK(area_is(&b, area, seki_full));
    /* Independent life: both areas touch the dame, so both are stripped, and no region counts. */
    tg_board_calculate_independent_life_area(&b, area, &count, false, false, false);
    CHECK(area_is(&b, area, seki_none));
    CHECK(count == 0);
    tg_board_calculate_independent_life_area(&b, area, &count, true, false, false);
    static const char *const seki_terr[] = {"X...O", "....."};
    CHECK(area_is(&b, area, seki_terr));
    tg_board_calculate_independent_life_area(&b, area, &count, false, true, false);
    static const char *const seki_stones[] = {".X.O.", "XX.OO"};
    CHECK(area_is(&b, area, seki_stones));

    /* A wall that is not pass-alive (one vital region only): its top row is territory only under
     * unsafe big territories. */
    static const char *const wall[] = {".....", "XXXXX", ".....", ".....", "....."};
    setup(&b, 5, 5, wall);
    tg_board_calculate_area(&b, area, false, false, false, false);
    CHECK(area_is(&b, area, nothing));
    tg_board_calculate_area(&b, area, false, true, false, false);
    CHECK(area_is(&b, area, nothing));
    tg_board_calculate_area(&b, area, false, true, true, false);
    static const char *const wall_unsafe[] = {"XXXXX", ".....", "XXXXX", "XXXXX", "XXXXX"};
    CHECK(area_is(&b, area, wall_unsafe));
    tg_board_calculate_area(&b, area, true, true, true, false);
    CHECK(area_is(&b, area, all_black));

    /* Pass-alive black with a dead white stone inside one of its eyes: the eye still counts
     * (the white stone is surrounded by black only, and the other eye is real). */
    static const char *const inside[] = {"O.X.X", "XXXXX", ".....", ".....", "....."};
    setup(&b, 5, 5, inside);
    for (int multi = 0; multi < 2; multi++) {
        tg_board_calculate_area(&b, area, false, false, false, multi);
        CHECK(area_is(&b, area, alive_plain));
    }

    /* Empty board: nothing for anyone, even with every flag. */
    tg_board_init(&b, 9, 9);
    tg_board_calculate_area(&b, area, true, true, true, true);
    bool any = false;
    for (int i = 0; i < TG_MAX_ARR_SIZE; i++) any |= area[i] != TG_EMPTY;
    CHECK(!any);
    tg_board_calculate_independent_life_area(&b, area, &count, true, true, false);
    CHECK(count == 0);
}

static bool same_set(const tg_loc *got, int n, const tg_board *b, const char *const *want, int nwant) {
    if (n != nwant) return false;
    for (int i = 0; i < nwant; i++) {
        bool found = false;
        tg_loc w = V(b, want[i]);
        for (int j = 0; j < n; j++) found |= got[j] == w;
        if (!found) return false;
    }
    return true;
}

static void test_handicap(void) {
    /* GTP v2 section 4.1.1: the stones for n, each list extending the previous where it can. */
    static const char *const h19[10][9] = {
        {0}, {0},
        {"D4", "Q16"},
        {"D4", "Q16", "D16"},
        {"D4", "Q16", "D16", "Q4"},
        {"D4", "Q16", "D16", "Q4", "K10"},
        {"D4", "Q16", "D16", "Q4", "D10", "Q10"},
        {"D4", "Q16", "D16", "Q4", "D10", "Q10", "K10"},
        {"D4", "Q16", "D16", "Q4", "D10", "Q10", "K4", "K16"},
        {"D4", "Q16", "D16", "Q4", "D10", "Q10", "K4", "K16", "K10"},
    };
    static const char *const h13[10][9] = {
        {0}, {0},
        {"D4", "K10"},
        {"D4", "K10", "D10"},
        {"D4", "K10", "D10", "K4"},
        {"D4", "K10", "D10", "K4", "G7"},
        {"D4", "K10", "D10", "K4", "D7", "K7"},
        {"D4", "K10", "D10", "K4", "D7", "K7", "G7"},
        {"D4", "K10", "D10", "K4", "D7", "K7", "G4", "G10"},
        {"D4", "K10", "D10", "K4", "D7", "K7", "G4", "G10", "G7"},
    };
    static const char *const h9[10][9] = {
        {0}, {0},
        {"C3", "G7"},
        {"C3", "G7", "C7"},
        {"C3", "G7", "C7", "G3"},
        {"C3", "G7", "C7", "G3", "E5"},
        {"C3", "G7", "C7", "G3", "C5", "G5"},
        {"C3", "G7", "C7", "G3", "C5", "G5", "E5"},
        {"C3", "G7", "C7", "G3", "C5", "G5", "E3", "E7"},
        {"C3", "G7", "C7", "G3", "C5", "G5", "E3", "E7", "E5"},
    };
    struct { int size; const char *const (*table)[9]; } boards[] = {{19, h19}, {13, h13}, {9, h9}};
    for (int k = 0; k < 3; k++) {
        int size = boards[k].size;
        tg_board b;
        tg_board_init(&b, size, size);
        for (int n = 2; n <= 9; n++) {
            tg_loc out[TG_MAX_FIXED_HANDICAP];
            int got = tg_handicap_fixed(size, size, n, out);
            CHECKF(got == n && same_set(out, got, &b, boards[k].table[n], n), "%dx%d handicap %d", size, size, n);
            CHECK(tg_handicap_fixed_error(size, size, n) == NULL);
            /* Listed in board order: top row first, then left to right. */
            bool ordered = true;
            for (int i = 1; i < got; i++) ordered &= out[i - 1] < out[i];
            CHECK(ordered);
        }
        tg_loc out[TG_MAX_FIXED_HANDICAP];
        CHECK(tg_handicap_fixed(size, size, 1, out) == -1);
        CHECK(tg_handicap_fixed(size, size, 0, out) == -1);
        CHECK(tg_handicap_fixed(size, size, -3, out) == -1);
        CHECK(tg_handicap_fixed(size, size, 10, out) == -1);
        CHECK(tg_handicap_fixed_error(size, size, 10) != NULL);
        CHECK(tg_handicap_fixed_error(size, size, 1) != NULL);
    }
    tg_loc out[TG_MAX_FREE_HANDICAP];
    /* Even and 7-line boards take at most 4; smaller boards none. */
    CHECK(tg_handicap_fixed(8, 8, 4, out) == 4);
    CHECK(tg_handicap_fixed(8, 8, 5, out) == -1);
    CHECK(tg_handicap_fixed(10, 10, 5, out) == -1);
    CHECK(tg_handicap_fixed(7, 7, 5, out) == -1);
    CHECK(tg_handicap_fixed(6, 6, 2, out) == -1);
    CHECK(tg_handicap_fixed(2, 2, 2, out) == -1);
    CHECK(tg_handicap_fixed_error(6, 6, 2) != NULL);
    CHECK(tg_handicap_fixed_error(7, 9, 5) != NULL);
    CHECK(tg_handicap_fixed_error(9, 8, 5) != NULL);
    tg_board b7;
    tg_board_init(&b7, 7, 7);
    static const char *const h7[] = {"C3", "E5", "C5", "E3"};
    CHECK(tg_handicap_fixed(7, 7, 4, out) == 4 && same_set(out, 4, &b7, h7, 4));
    /* Rectangular 19x13: corners on the fourth line both ways, sides at the middle lines. */
    tg_board r;
    tg_board_init(&r, 19, 13);
    static const char *const hr[] = {"D4", "Q10", "D10", "Q4", "K7"};
    CHECK(tg_handicap_fixed(19, 13, 5, out) == 5 && same_set(out, 5, &r, hr, 5));

    /* Free handicap: capped at min(30, area/4), distinct legal points, deterministic, and the
     * fixed points when the count allows a fixed placement. */
    tg_board b;
    tg_board_init(&b, 19, 19);
    CHECK(tg_handicap_free(&b, 40, out) == 30);
    tg_board_init(&b, 9, 9);
    int n = tg_handicap_free(&b, 25, out);
    CHECK(n == 20);
    tg_board placed = b;
    bool all_set = true;
    for (int i = 0; i < n; i++) all_set &= tg_board_set_stone(&placed, out[i], TG_BLACK);
    CHECK(all_set && tg_board_num_stones_of(&placed, TG_BLACK) == 20);
    tg_loc again[TG_MAX_FREE_HANDICAP];
    CHECK(tg_handicap_free(&b, 25, again) == 20 && memcmp(out, again, sizeof(tg_loc) * 20) == 0);
    for (int k = 2; k <= 9; k++) {
        CHECK(tg_handicap_free(&b, k, out) == k && same_set(out, k, &b, h9[k], k));
    }
    tg_board_init(&b, 19, 19);
    CHECK(tg_handicap_free(&b, 4, out) == 4 && same_set(out, 4, &b, h19[4], 4));
    tg_board_init(&b, 5, 5);
    CHECK(tg_handicap_free(&b, 9, out) == 6);
    tg_board_init(&b, 2, 2);
    CHECK(tg_handicap_free(&b, 2, out) == 1);
}

int main(void) {
    test_vertices();
    test_captures();
    test_ko();
    test_suicide();
    test_set_stone();
    test_simple_eye();
    test_random_games();
    test_area();
    test_handicap();
    return check_finish("test_board");
}
