/* Network input features (version 7), board symmetries, ladders and the GTP setup replayer.
 *
 * Expected planes are worked out by hand from the definitions in KataGo's fillRowV7 and Board
 * (liberty counts, ladder readings, area rules); diagrams list rows top (y=0) to bottom, X black,
 * O white. In expected planes 'x' marks a 1 and '.' a 0, over the whole nn grid.
 * With TENGEN_SHARED_DIR set, every reference position is also replayed and checked for consistency
 * (legal moves against the NaNs of KataGo's policy, and plane invariants). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "diagram.h"
#include "featurize.h"
#include "history.h"
#include "ladder.h"
#include "postprocess.h"
#include "refpos.h"
#include "symmetry.h"

static float g_spatial[TG_NN_NUM_SPATIAL_V7 * TG_NN_MAX_AREA];
static float g_global[TG_NN_NUM_GLOBAL_V7];
static int g_nnx, g_nny;

static void fill(const tg_board *b, const tg_history *h, tg_color pla, const tg_nn_input_params *params, int nnx,
                 int nny) {
    tg_nn_input_params def;
    tg_nn_input_params_default(&def);
    g_nnx = nnx;
    g_nny = nny;
    /* Poison the buffers: the fill must write every entry. */
    for (size_t i = 0; i < sizeof g_spatial / sizeof g_spatial[0]; i++) g_spatial[i] = 99.0f;
    for (int i = 0; i < TG_NN_NUM_GLOBAL_V7; i++) g_global[i] = 99.0f;
    tg_nn_fill_inputs_v7(b, h, pla, params ? params : &def, nnx, nny, g_spatial, g_global);
}

static float F(int feature, int x, int y) { return g_spatial[feature * g_nnx * g_nny + y * g_nnx + x]; }

static int plane_count(int feature) {
    int n = 0;
    for (int i = 0; i < g_nnx * g_nny; i++) n += g_spatial[feature * g_nnx * g_nny + i] != 0.0f;
    return n;
}

/* Compares a whole plane with a diagram of 'x' (1) and '.' (0). */
static void check_plane(int line, int feature, const char *const *rows) {
    for (int y = 0; y < g_nny; y++) {
        for (int x = 0; x < g_nnx; x++) {
            float want = rows[y][x] == 'x' ? 1.0f : 0.0f;
            check_count++;
            if (F(feature, x, y) != want) {
                check_failures++;
                fprintf(stderr, "test_features.c:%d: plane %d at (%d,%d) is %g, expected %g\n", line, feature, x, y,
                        (double)F(feature, x, y), (double)want);
            }
        }
    }
}
#define CHECK_PLANE(f, ...) check_plane(__LINE__, f, (const char *const[]){__VA_ARGS__})

static void check_plane_empty(int line, int feature) {
    check_count++;
    if (plane_count(feature) != 0) {
        check_failures++;
        fprintf(stderr, "test_features.c:%d: plane %d should be empty, has %d ones\n", line, feature,
                plane_count(feature));
    }
}
#define CHECK_EMPTY(f) check_plane_empty(__LINE__, f)

static bool near(double a, double b) { return fabs(a - b) < 1e-6; }
#define CHECK_GLOBAL(i, v) CHECKF(near(g_global[i], (v)), "global %d is %g, expected %g", i, (double)g_global[i], (double)(v))

/* ---- stones, liberties, on-board mask ------------------------------------------------------- */

static void test_stones_and_liberties(void) {
    /* X(0,0): 1 liberty. O(1,0): 2. X chain (2,2)-(2,3): 5. O(3,3): 3. */
    tg_board b;
    setup(&b, 5, 5, (const char *const[]){"XO...", ".....", "..X..", "..XO.", "....."});
    tg_rules tt = named("tromp-taylor");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);

    fill(&b, &h, TG_BLACK, NULL, 5, 5);
    CHECK_PLANE(0, "xxxxx", "xxxxx", "xxxxx", "xxxxx", "xxxxx");
    CHECK_PLANE(1, "x....", ".....", "..x..", "..x..", ".....");
    CHECK_PLANE(2, ".x...", ".....", ".....", "...x.", ".....");
    CHECK_PLANE(3, "x....", ".....", ".....", ".....", ".....");
    CHECK_PLANE(4, ".x...", ".....", ".....", ".....", ".....");
    CHECK_PLANE(5, ".....", ".....", ".....", "...x.", ".....");
    for (int f = 6; f <= 13; f++) CHECK_EMPTY(f);
    for (int f = 20; f <= 21; f++) CHECK_EMPTY(f);

    /* White to move: own and opponent planes swap, liberties do not. */
    fill(&b, &h, TG_WHITE, NULL, 5, 5);
    CHECK_PLANE(1, ".x...", ".....", ".....", "...x.", ".....");
    CHECK_PLANE(2, "x....", ".....", "..x..", "..x..", ".....");
    CHECK_PLANE(3, "x....", ".....", ".....", ".....", ".....");

    /* A larger nn grid: the board sits top-left, everything else stays zero. */
    fill(&b, &h, TG_BLACK, NULL, 7, 6);
    CHECK_PLANE(0, "xxxxx..", "xxxxx..", "xxxxx..", "xxxxx..", "xxxxx..", ".......");
    CHECK_PLANE(1, "x......", ".......", "..x....", "..x....", ".......", ".......");
    CHECK_PLANE(5, ".......", ".......", ".......", "...x...", ".......", ".......");
    tg_history_free(&h);
}

static void test_rectangular(void) {
    /* 7 wide, 3 high. X(6,2) in the corner has 2 liberties; O(0,0) has 2 as well. */
    tg_board b;
    setup(&b, 7, 3, (const char *const[]){"O......", "...X...", "......X"});
    tg_rules tt = named("tromp-taylor");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    fill(&b, &h, TG_BLACK, NULL, 7, 3);
    CHECK_PLANE(0, "xxxxxxx", "xxxxxxx", "xxxxxxx");
    CHECK_PLANE(1, ".......", "...x...", "......x");
    CHECK_PLANE(2, "x......", ".......", ".......");
    CHECK_PLANE(4, "x......", ".......", "......x");
    CHECK_EMPTY(3);
    CHECK_EMPTY(5); /* X(3,1) has four liberties */
    /* Area under Tromp-Taylor: every empty point touches both colours or reaches both, so only stones. */
    CHECK_PLANE(18, ".......", "...x...", "......x");
    CHECK_PLANE(19, "x......", ".......", ".......");
    /* 21 points, odd: komi 7.5 for Black is -7.5, the drawable komi below is -9, delta 1.5: wave -0.5. */
    CHECK_GLOBAL(18, -0.5);

    /* The same board in a 9x9 nn grid. */
    fill(&b, &h, TG_BLACK, NULL, 9, 9);
    CHECKF(plane_count(0) == 21, "on-board count %d", plane_count(0));
    CHECK(F(0, 6, 2) == 1.0f && F(0, 7, 2) == 0.0f && F(0, 6, 3) == 0.0f);
    CHECK(F(1, 6, 2) == 1.0f && F(4, 6, 2) == 1.0f);
    tg_history_free(&h);
}

/* ---- ko ----------------------------------------------------------------------------------------- */

static void test_ko(void) {
    /* Black takes the white stone at (1,1) by playing (2,1): a ko, White may not retake at (1,1). */
    tg_board b;
    setup(&b, 5, 5, (const char *const[]){".XO..", "XO.O.", ".XO..", ".....", "....."});
    tg_rules jp = named("japanese");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &jp, 0);
    tg_history_play(&h, &b, L(&b, 2, 1), TG_BLACK, false);
    CHECK(b.ko_loc == L(&b, 1, 1));
    fill(&b, &h, TG_WHITE, NULL, 5, 5);
    CHECK_PLANE(6, ".....", ".x...", ".....", ".....", ".....");
    CHECK_EMPTY(7);
    /* The last move (Black's, the opponent of White) is shown. */
    CHECK_PLANE(9, ".....", "..x..", ".....", ".....", ".....");
    /* The legal-move mask agrees: the ko point and occupied points are illegal, pass is legal. */
    bool legal[TG_NN_MAX_POLICY_SIZE];
    tg_nn_input_params params;
    tg_nn_input_params_default(&params);
    tg_nn_legal_policy_mask(&b, &h, TG_WHITE, &params, 5, 5, legal);
    CHECK(!legal[1 * 5 + 1] && !legal[0 * 5 + 1] && legal[0 * 5 + 4] && legal[25]);
    CHECK(!legal[0 * 5 + 0]); /* suicide for White */

    /* White plays elsewhere, the ko ban is gone. */
    tg_history_play(&h, &b, L(&b, 4, 4), TG_WHITE, false);
    fill(&b, &h, TG_BLACK, NULL, 5, 5);
    CHECK_EMPTY(6);
    tg_history_free(&h);
}

/* ---- move history -------------------------------------------------------------------------------- */

static void test_move_history(void) {
    tg_board b;
    tg_board_init(&b, 9, 9);
    tg_rules tt = named("tromp-taylor");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    /* B(2,2) W(3,3) B pass W(4,4) B(5,5) W(6,6): Black to move sees the last five. */
    tg_history_play(&h, &b, L(&b, 2, 2), TG_BLACK, false);
    tg_history_play(&h, &b, L(&b, 3, 3), TG_WHITE, false);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_BLACK, false);
    tg_history_play(&h, &b, L(&b, 4, 4), TG_WHITE, false);
    tg_history_play(&h, &b, L(&b, 5, 5), TG_BLACK, false);
    tg_history_play(&h, &b, L(&b, 6, 6), TG_WHITE, false);
    fill(&b, &h, TG_BLACK, NULL, 9, 9);
    CHECK(F(9, 6, 6) == 1.0f && plane_count(9) == 1);
    CHECK(F(10, 5, 5) == 1.0f && plane_count(10) == 1);
    CHECK(F(11, 4, 4) == 1.0f && plane_count(11) == 1);
    CHECK_EMPTY(12); /* the pass */
    CHECK(F(13, 3, 3) == 1.0f && plane_count(13) == 1);
    CHECK_GLOBAL(0, 0);
    CHECK_GLOBAL(1, 0);
    CHECK_GLOBAL(2, 0);
    CHECK_GLOBAL(3, 1);
    CHECK_GLOBAL(4, 0);

    /* max_history caps what is shown. */
    tg_nn_input_params params;
    tg_nn_input_params_default(&params);
    params.max_history = 2;
    fill(&b, &h, TG_BLACK, &params, 9, 9);
    CHECK(plane_count(9) == 1 && plane_count(10) == 1 && plane_count(11) == 0 && plane_count(13) == 0);

    /* Asked for White (not the side to move): the last move is White's own, so nothing is shown. */
    fill(&b, &h, TG_WHITE, NULL, 9, 9);
    for (int f = 9; f <= 13; f++) CHECK_EMPTY(f);
    tg_history_free(&h);

    /* Two White moves in a row: the run stops at the break. */
    tg_board_init(&b, 9, 9);
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    tg_history_play(&h, &b, L(&b, 0, 0), TG_BLACK, false);
    tg_history_play(&h, &b, L(&b, 1, 1), TG_WHITE, false);
    tg_history_play(&h, &b, L(&b, 2, 2), TG_WHITE, false);
    fill(&b, &h, TG_BLACK, NULL, 9, 9);
    CHECK(F(9, 2, 2) == 1.0f && plane_count(9) == 1);
    for (int f = 10; f <= 13; f++) CHECK_EMPTY(f);
    tg_history_free(&h);

    /* Passes: White passed last. Under area rules a Black pass would end the game. */
    tg_board_init(&b, 9, 9);
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    tg_history_play(&h, &b, L(&b, 4, 4), TG_BLACK, false);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, false);
    fill(&b, &h, TG_BLACK, NULL, 9, 9);
    CHECK_GLOBAL(0, 1);
    CHECK(F(10, 4, 4) == 1.0f);
    CHECK_GLOBAL(14, 1);
    /* At a root that assumes passing does not end the game, the history is hidden and so is [14]. */
    tg_nn_input_params_default(&params);
    params.conservative_pass_and_is_root = true;
    fill(&b, &h, TG_BLACK, &params, 9, 9);
    CHECK_GLOBAL(0, 0);
    CHECK_GLOBAL(14, 0);
    CHECK_EMPTY(10);
    tg_history_free(&h);
}

/* ---- ladders -------------------------------------------------------------------------------------- */

/* O(2,2) in atari, its only liberty (2,3). After O(2,3) the liberties are (1,3) and (2,4); (2,4) has three
 * empty neighbours so Black must take it; O(1,3) leaves (0,3),(1,4); X(1,4) O(0,3) leaves (0,2),(0,4);
 * X(0,4) O(0,2) has one liberty left: captured against the left edge. */
static const char *const k_ladder[] = {
    ".........", "..X......", ".XOX.....", "...X.....", ".........", ".........", ".........", ".........", ".........",
};
/* The same with a white stone at (1,4): after O(2,3), either black atari lets White connect to it
 * with three liberties, so the ladder fails. */
static const char *const k_ladder_broken[] = {
    ".........", "..X......", ".XOX.....", "...X.....", ".O.......", ".........", ".........", ".........", ".........",
};
/* Without X(3,2): O(2,2) has two liberties, (3,2) and (2,3). Black at (3,2) gives k_ladder; Black at (2,3)
 * drives White up: O(3,2), X(4,2) forced (three empty neighbours), O(3,1), X(3,0), O(4,1), X(5,1) forced,
 * and O(4,0) would have one liberty. So both first ataris work. */
static const char *const k_ladder_2libs[] = {
    ".........", "..X......", ".XO......", "...X.....", ".........", ".........", ".........", ".........", ".........",
};

static void test_ladder_search(void) {
    tg_board b;
    tg_ladder_work w = {0};
    setup(&b, 9, 9, k_ladder);
    CHECK(tg_ladder_is_captured(&b, L(&b, 2, 2), true, &w));
    CHECK(!tg_ladder_is_captured(&b, L(&b, 2, 1), true, &w)); /* three liberties: not a candidate */
    setup(&b, 9, 9, k_ladder_broken);
    CHECK(!tg_ladder_is_captured(&b, L(&b, 2, 2), true, &w));

    setup(&b, 9, 9, k_ladder_2libs);
    tg_loc working[2];
    int nw = -1;
    CHECK(tg_ladder_is_captured_attacker_first_2libs(&b, L(&b, 2, 2), working, &nw, &w));
    CHECK(nw == 2);
    bool has32 = false, has23 = false;
    for (int i = 0; i < nw && i < 2; i++) {
        has32 |= working[i] == L(&b, 3, 2);
        has23 |= working[i] == L(&b, 2, 3);
    }
    CHECK(has32 && has23);
    /* With defender_first the two-liberty chain is not a candidate; attacker first (plain search) it is. */
    CHECK(!tg_ladder_is_captured(&b, L(&b, 2, 2), true, &w));
    CHECK(tg_ladder_is_captured(&b, L(&b, 2, 2), false, &w));

    /* The board is never modified. */
    tg_board copy = b;
    tg_ladder_is_captured(&b, L(&b, 2, 2), false, &w);
    CHECK(memcmp(&copy, &b, sizeof b) == 0);

    /* A long ladder on 19x19: O(16,2) in atari (X above, left, right, and below-right) is chased
     * diagonally down and to the left across the board and dies at the edge. Any white stone on that
     * diagonal breaks it; white stones far from the path do not. */
    tg_board_init(&b, 19, 19);
    const int chasers[4][2] = {{16, 1}, {15, 2}, {17, 2}, {17, 3}};
    for (int i = 0; i < 4; i++) tg_board_set_stone(&b, L(&b, chasers[i][0], chasers[i][1]), TG_BLACK);
    tg_board_set_stone(&b, L(&b, 16, 2), TG_WHITE);
    CHECK(tg_ladder_is_captured(&b, L(&b, 16, 2), true, &w));
    for (int k = 2; k < 17; k += 3) {
        tg_board c = b;
        tg_board_set_stone(&c, L(&c, 16 - k, 2 + k), TG_WHITE);
        CHECKF(!tg_ladder_is_captured(&c, L(&c, 16, 2), true, &w), "breaker at (%d,%d)", 16 - k, 2 + k);
        c = b;
        tg_board_set_stone(&c, L(&c, 16 - k, 2 + k), TG_BLACK); /* a black stone there only helps Black */
        CHECKF(tg_ladder_is_captured(&c, L(&c, 16, 2), true, &w), "black stone at (%d,%d)", 16 - k, 2 + k);
    }
    {
        tg_board c = b;
        tg_board_set_stone(&c, L(&c, 2, 2), TG_WHITE);
        tg_board_set_stone(&c, L(&c, 17, 17), TG_WHITE);
        CHECK(tg_ladder_is_captured(&c, L(&c, 16, 2), true, &w));
    }

    /* A lone stone in atari in the middle of nowhere escapes by extending. */
    setup(&b, 9, 9, (const char *const[]){".........", ".........", ".........", "....X....", "...XOX...", ".........",
                                          ".........", ".........", "........."});
    CHECK(!tg_ladder_is_captured(&b, L(&b, 4, 4), true, &w));
    /* Liberties after play: O at (4,5) joins (4,4), liberties (3,5),(5,5),(4,6). */
    CHECK(tg_board_num_liberties_after_play(&b, L(&b, 4, 5), TG_WHITE, 10) == 3);
    CHECK(tg_board_num_liberties_after_play(&b, L(&b, 4, 5), TG_WHITE, 2) == 2);
    /* X at (4,5) captures O(4,4): liberties (3,5),(5,5),(4,6) and the captured stone's point. */
    CHECK(tg_board_num_liberties_after_play(&b, L(&b, 4, 5), TG_BLACK, 10) == 4);
    tg_ladder_work_free(&w);
}

static void test_ladder_features(void) {
    tg_board b;
    setup(&b, 9, 9, k_ladder_2libs);
    tg_rules tt = named("tromp-taylor");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);

    /* Black to move: O(2,2) can be laddered, both liberties work. */
    fill(&b, &h, TG_BLACK, NULL, 9, 9);
    CHECK(F(14, 2, 2) == 1.0f && plane_count(14) == 1);
    CHECK(F(17, 3, 2) == 1.0f && F(17, 2, 3) == 1.0f && plane_count(17) == 2);
    /* No history: the previous-board planes show the current board. */
    CHECK(F(15, 2, 2) == 1.0f && plane_count(15) == 1);
    CHECK(F(16, 2, 2) == 1.0f && plane_count(16) == 1);
    /* White to move: its own chain is marked, but working moves are only for laddering the opponent. */
    fill(&b, &h, TG_WHITE, NULL, 9, 9);
    CHECK(F(14, 2, 2) == 1.0f && plane_count(14) == 1);
    CHECK_EMPTY(17);

    /* Black ataris at (3,2), White extends to (2,3). Now (2,4) works for Black, (1,3) does not
     * (O(2,4) would have (3,4),(2,5),(1,4)). */
    tg_history_play(&h, &b, L(&b, 3, 2), TG_BLACK, false);
    tg_history_play(&h, &b, L(&b, 2, 3), TG_WHITE, false);
    fill(&b, &h, TG_BLACK, NULL, 9, 9);
    CHECK(F(14, 2, 2) == 1.0f && F(14, 2, 3) == 1.0f && plane_count(14) == 2);
    CHECK(F(17, 2, 4) == 1.0f && plane_count(17) == 1);
    /* One move ago (k_ladder): O(2,2) in atari, captured. Two moves ago: the starting position. */
    CHECK(F(15, 2, 2) == 1.0f && plane_count(15) == 1);
    CHECK(F(16, 2, 2) == 1.0f && plane_count(16) == 1);
    CHECK(F(9, 2, 3) == 1.0f && F(10, 3, 2) == 1.0f);

    /* With the history hidden, the previous boards are the current one. */
    tg_nn_input_params params;
    tg_nn_input_params_default(&params);
    params.max_history = 0;
    fill(&b, &h, TG_BLACK, &params, 9, 9);
    CHECK(F(15, 2, 3) == 1.0f && F(16, 2, 3) == 1.0f && plane_count(15) == 2);
    tg_history_free(&h);
}

/* ---- area features -------------------------------------------------------------------------------- */

static const char *const k_walls[] = {".XO..", ".XO..", ".XO..", ".XO..", ".XO.."};
static const char *const k_dame[] = {".X.O.", ".X.O.", ".X.O.", ".X.O.", ".X.O."};
/* A black group with three one-point regions, one holding a white stone: pass-alive, so the white
 * stone is dead and the rest of the board black territory. */
static const char *const k_alive[] = {".XO.X", "XXXXX", ".....", ".....", "....."};
/* A black group with a single eye and a lone white stone: nothing is pass-alive. */
static const char *const k_one_eye[] = {"X.X..", "XXX..", ".....", ".....", "....O"};

static void test_area_rules(void) {
    tg_board b;
    tg_history h;
    tg_rules tt = named("tromp-taylor");
    tg_rules jp = named("japanese");

    /* Area scoring: each side's wall and the empty points only it reaches. */
    setup(&b, 5, 5, k_walls);
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    fill(&b, &h, TG_BLACK, NULL, 5, 5);
    CHECK_PLANE(18, "xx...", "xx...", "xx...", "xx...", "xx...");
    CHECK_PLANE(19, "..xxx", "..xxx", "..xxx", "..xxx", "..xxx");
    tg_history_free(&h);

    /* Territory scoring shows no area before the second encore phase. */
    tg_history_init(&h, &b, TG_BLACK, &jp, 0);
    fill(&b, &h, TG_BLACK, NULL, 5, 5);
    CHECK_EMPTY(18);
    CHECK_EMPTY(19);
    CHECK_EMPTY(20);
    CHECK_GLOBAL(18, 0); /* no parity wave either */
    tg_history_free(&h);
    /* In the second encore: the same areas (nothing touches dame), and the stones it started with. */
    tg_history_init(&h, &b, TG_BLACK, &jp, 2);
    fill(&b, &h, TG_BLACK, NULL, 5, 5);
    CHECK_PLANE(18, "xx...", "xx...", "xx...", "xx...", "xx...");
    CHECK_PLANE(19, "..xxx", "..xxx", "..xxx", "..xxx", "..xxx");
    CHECK_PLANE(20, ".x...", ".x...", ".x...", ".x...", ".x...");
    CHECK_PLANE(21, "..x..", "..x..", "..x..", "..x..", "..x..");
    CHECK_GLOBAL(12, 1);
    CHECK_GLOBAL(13, 1);
    tg_history_free(&h);

    /* A dame column: area scoring counts stones and sole territory, leaves the dame. */
    setup(&b, 5, 5, k_dame);
    tg_history_init(&h, &b, TG_WHITE, &tt, 0);
    fill(&b, &h, TG_WHITE, NULL, 5, 5);
    CHECK_PLANE(18, "...xx", "...xx", "...xx", "...xx", "...xx");
    CHECK_PLANE(19, "xx...", "xx...", "xx...", "xx...", "xx...");
    tg_history_free(&h);
    /* Territory with seki tax, second encore: both groups touch dame, which KataGo treats as seki, so
     * their territory does not count; the stones still do as second-encore starting stones. */
    tg_history_init(&h, &b, TG_WHITE, &jp, 2);
    fill(&b, &h, TG_WHITE, NULL, 5, 5);
    CHECK_PLANE(18, "...x.", "...x.", "...x.", "...x.", "...x.");
    CHECK_PLANE(19, ".x...", ".x...", ".x...", ".x...", ".x...");
    tg_history_free(&h);
    /* Area scoring with seki tax keeps the stones of seki groups but not their territory. */
    tg_rules area_seki = tt;
    area_seki.tax_rule = TG_TAX_SEKI;
    tg_history_init(&h, &b, TG_WHITE, &area_seki, 0);
    fill(&b, &h, TG_WHITE, NULL, 5, 5);
    CHECK_PLANE(18, "...x.", "...x.", "...x.", "...x.", "...x.");
    CHECK_PLANE(19, ".x...", ".x...", ".x...", ".x...", ".x...");
    CHECK_GLOBAL(10, 1);
    CHECK_GLOBAL(11, 0);
    tg_history_free(&h);
    /* Territory without tax keeps the territories of seki groups but not their stones. */
    tg_rules terr_none = jp;
    terr_none.tax_rule = TG_TAX_NONE;
    tg_history_init(&h, &b, TG_WHITE, &terr_none, 2);
    fill(&b, &h, TG_WHITE, NULL, 5, 5);
    /* Stones come back through the second-encore starting colours. */
    CHECK_PLANE(18, "...xx", "...xx", "...xx", "...xx", "...xx");
    CHECK_PLANE(19, "xx...", "xx...", "xx...", "xx...", "xx...");
    tg_history_free(&h);

    /* Pass-alive (two eyes, (0,0) and (2,0)-(3,0)): the white stone inside Black's eye counts for Black
     * under area scoring, and the open region bordered by the pass-alive group is Black's too... */
    setup(&b, 5, 5, k_alive);
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    fill(&b, &h, TG_BLACK, NULL, 5, 5);
    CHECK_PLANE(18, "xxxxx", "xxxxx", "xxxxx", "xxxxx", "xxxxx");
    CHECK_EMPTY(19);
    tg_history_free(&h);
    /* ...and under territory scoring in the second encore. */
    tg_history_init(&h, &b, TG_WHITE, &jp, 2);
    fill(&b, &h, TG_WHITE, NULL, 5, 5);
    CHECK_EMPTY(18);
    CHECK_PLANE(19, "xxxxx", "xxxxx", "xxxxx", "xxxxx", "xxxxx");
    /* The white stone started the second encore: plane 20 (own = White) shows it. */
    CHECK_PLANE(20, "..x..", ".....", ".....", ".....", ".....");
    tg_history_free(&h);
    /* One eye only: area scoring counts stones and the eye (bordered by Black alone); the big region
     * touches both colours. */
    setup(&b, 5, 5, k_one_eye);
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    fill(&b, &h, TG_BLACK, NULL, 5, 5);
    CHECK_PLANE(18, "xxx..", "xxx..", ".....", ".....", ".....");
    CHECK_PLANE(19, ".....", ".....", ".....", ".....", "....x");
    tg_history_free(&h);
    /* Territory scoring, second encore: both groups touch dame, so only their stones count. */
    tg_history_init(&h, &b, TG_BLACK, &jp, 2);
    fill(&b, &h, TG_BLACK, NULL, 5, 5);
    CHECK_PLANE(18, "x.x..", "xxx..", ".....", ".....", ".....");
    CHECK_PLANE(19, ".....", ".....", ".....", ".....", "....x");
    tg_history_free(&h);
}

/* ---- global features ----------------------------------------------------------------------------- */

static void test_globals(void) {
    tg_board b;
    tg_history h;
    tg_board_init(&b, 19, 19);

    /* Tromp-Taylor, komi 7.5: positional superko, suicide, area. 361 points: drawable komis are odd. */
    tg_rules tt = named("tromp-taylor");
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    fill(&b, &h, TG_BLACK, NULL, 19, 19);
    CHECK_GLOBAL(5, -0.375);
    CHECK_GLOBAL(6, 1);
    CHECK_GLOBAL(7, 0.5);
    CHECK_GLOBAL(8, 1);
    for (int i = 9; i <= 17; i++) CHECK_GLOBAL(i, 0);
    CHECK_GLOBAL(18, -0.5); /* -7.5 is 1.5 above -9 */
    for (int i = 0; i <= 4; i++) CHECK_GLOBAL(i, 0);
    fill(&b, &h, TG_WHITE, NULL, 19, 19);
    CHECK_GLOBAL(5, 0.375);
    CHECK_GLOBAL(18, 0.5); /* 7.5 is 0.5 above 7 */
    tg_history_free(&h);

    /* Japanese, komi 6.5: simple ko, no suicide, territory, seki tax; no parity wave. */
    tg_rules jp = named("japanese");
    tg_history_init(&h, &b, TG_WHITE, &jp, 0);
    fill(&b, &h, TG_WHITE, NULL, 19, 19);
    CHECK_GLOBAL(5, 0.325);
    CHECK_GLOBAL(6, 0);
    CHECK_GLOBAL(7, 0);
    CHECK_GLOBAL(8, 0);
    CHECK_GLOBAL(9, 1);
    CHECK_GLOBAL(10, 1);
    CHECK_GLOBAL(11, 0);
    CHECK_GLOBAL(18, 0);
    tg_history_free(&h);

    /* AGA: situational superko. Stone scoring: tax all. */
    tg_rules aga = named("aga");
    tg_history_init(&h, &b, TG_BLACK, &aga, 0);
    fill(&b, &h, TG_BLACK, NULL, 19, 19);
    CHECK_GLOBAL(6, 1);
    CHECK_GLOBAL(7, -0.5);
    CHECK_GLOBAL(8, 0);
    tg_history_free(&h);
    tg_rules stones = named("stone-scoring");
    tg_history_init(&h, &b, TG_BLACK, &stones, 0);
    fill(&b, &h, TG_BLACK, NULL, 19, 19);
    CHECK_GLOBAL(6, 0);
    CHECK_GLOBAL(9, 0);
    CHECK_GLOBAL(10, 1);
    CHECK_GLOBAL(11, 1);
    tg_history_free(&h);

    /* Button (aga-button, komi 7): the integer komi with a button cannot draw, so no draw adjustment. */
    tg_rules button = named("aga-button");
    tg_history_init(&h, &b, TG_WHITE, &button, 0);
    fill(&b, &h, TG_WHITE, NULL, 19, 19);
    CHECK_GLOBAL(17, 1);
    CHECK_GLOBAL(5, 0.35);
    tg_history_free(&h);

    /* 9x9 (81, odd), integer komi 7: a draw is possible; with draws worth 0.75 to White, komi reads 7.25. */
    tg_board_init(&b, 9, 9);
    tg_rules chinese = named("chinese");
    chinese.komi = 7.0f;
    tg_history_init(&h, &b, TG_WHITE, &chinese, 0);
    fill(&b, &h, TG_WHITE, NULL, 9, 9);
    CHECK_GLOBAL(5, 0.35);
    CHECK_GLOBAL(18, 0); /* 7 is itself drawable */
    tg_nn_input_params params;
    tg_nn_input_params_default(&params);
    params.draw_equivalent_wins_for_white = 0.75;
    fill(&b, &h, TG_WHITE, &params, 9, 9);
    CHECK_GLOBAL(5, 0.3625);
    CHECK_GLOBAL(18, 0.25);
    fill(&b, &h, TG_BLACK, &params, 9, 9);
    CHECK_GLOBAL(5, -0.3625);
    CHECK_GLOBAL(18, -0.25); /* odd area: the drawable komi below -7.25 is -9, delta 1.75 past 1.5: 1.75 - 2 */
    tg_history_free(&h);

    /* 8x8 (64, even): komi 7.5 for White is 1.5 above 6: wave -0.5; 6.5 is 0.5 above 6: 0.5. */
    tg_board_init(&b, 8, 8);
    chinese.komi = 7.5f;
    tg_history_init(&h, &b, TG_WHITE, &chinese, 0);
    fill(&b, &h, TG_WHITE, NULL, 8, 8);
    CHECK_GLOBAL(18, -0.5);
    tg_history_set_komi(&h, 6.5f);
    fill(&b, &h, TG_WHITE, NULL, 8, 8);
    CHECK_GLOBAL(18, 0.5);
    /* Komi is clipped at the board area plus 20. */
    tg_history_set_komi(&h, 200.0f);
    fill(&b, &h, TG_WHITE, NULL, 8, 8);
    CHECK_GLOBAL(5, 84.0 / 20.0);
    fill(&b, &h, TG_BLACK, NULL, 8, 8);
    CHECK_GLOBAL(5, -84.0 / 20.0);
    /* Playout doubling advantage. */
    tg_nn_input_params_default(&params);
    params.playout_doubling_advantage = 1.5;
    fill(&b, &h, TG_BLACK, &params, 8, 8);
    CHECK_GLOBAL(15, 1);
    CHECK_GLOBAL(16, 0.75);
    tg_history_free(&h);
}

/* Handicap bonus through the GTP setup: Chinese rules give White one point per handicap stone. */
static void test_setup_replay(void) {
    const char *cmds[] = {"boardsize 9", "clear_board", "komi 7.5", "kata-set-rules chinese", "fixed_handicap 2"};
    tg_board b;
    tg_history h;
    tg_color pla = TG_EMPTY;
    char err[256] = "";
    CHECKF(tg_position_from_gtp_setup(cmds, 5, &b, &h, &pla, err, sizeof err), "%s", err);
    CHECK(pla == TG_WHITE && tg_board_num_stones_of(&b, TG_BLACK) == 2);
    fill(&b, &h, pla, NULL, 9, 9);
    CHECK_GLOBAL(5, 9.5 / 20.0);
    tg_history_free(&h);

    /* AGA: one point less. Moves follow; a rules change after moves replays them. */
    const char *cmds2[] = {"rectangular_boardsize 7 11", "clear_board", "komi 0.5", "fixed_handicap 3",
                           "play W D6", "play B pass", "kata-set-rules aga"};
    CHECKF(tg_position_from_gtp_setup(cmds2, 7, &b, &h, &pla, err, sizeof err), "%s", err);
    CHECK(pla == TG_WHITE && b.xsize == 7 && b.ysize == 11 && h.num_moves == 2);
    CHECK(h.rules.ko_rule == TG_KO_SITUATIONAL && near(h.white_handicap_bonus_score, 2.0));
    fill(&b, &h, pla, NULL, 7, 11);
    CHECK_GLOBAL(5, 2.5 / 20.0);
    /* AGA allows friendly passes: a White pass now would end the game, which search suppresses, so the
     * history (with Black's pass) is hidden from the network and [14] is off. */
    CHECK(h.rules.friendly_pass_ok);
    CHECK_GLOBAL(0, 0);
    CHECK_EMPTY(10);
    CHECK_GLOBAL(14, 0);
    tg_history_free(&h);
    /* Under Tromp-Taylor (no friendly passes) the same moves are shown and the pass would end the game. */
    cmds2[6] = "kata-set-rules tromp-taylor";
    CHECKF(tg_position_from_gtp_setup(cmds2, 7, &b, &h, &pla, err, sizeof err), "%s", err);
    fill(&b, &h, pla, NULL, 7, 11);
    CHECK_GLOBAL(0, 1);
    CHECK(F(10, 3, 5) == 1.0f && plane_count(10) == 1);
    CHECK_GLOBAL(14, 1);
    CHECK_GLOBAL(5, 0.5 / 20.0); /* no handicap bonus */
    tg_history_free(&h);

    /* Errors name the command. */
    const char *bad[] = {"boardsize 9", "play B Z9"};
    CHECK(!tg_position_from_gtp_setup(bad, 2, &b, &h, &pla, err, sizeof err));
    CHECKF(strstr(err, "play B Z9") != NULL, "%s", err);
    tg_history_free(&h); /* safe after failure */
    const char *illegal[] = {"boardsize 9", "play B E5", "play W E5"};
    CHECK(!tg_position_from_gtp_setup(illegal, 3, &b, &h, &pla, err, sizeof err));
}

/* ---- symmetries ----------------------------------------------------------------------------------- */

static void test_symmetry(void) {
    const float src[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    /* Each symmetry on a 3x3 plane, worked out by hand (rows top to bottom). */
    const float expect[8][9] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8}, /* 0 identity */
        {6, 7, 8, 3, 4, 5, 0, 1, 2}, /* 1 flip y */
        {2, 1, 0, 5, 4, 3, 8, 7, 6}, /* 2 flip x */
        {8, 7, 6, 5, 4, 3, 2, 1, 0}, /* 3 both: half turn */
        {0, 3, 6, 1, 4, 7, 2, 5, 8}, /* 4 transpose */
        {6, 3, 0, 7, 4, 1, 8, 5, 2}, /* 5 flip y then transpose: quarter turn clockwise */
        {2, 5, 8, 1, 4, 7, 0, 3, 6}, /* 6 flip x then transpose: quarter turn anticlockwise */
        {8, 5, 2, 7, 4, 1, 6, 3, 0}, /* 7 anti-transpose */
    };
    for (int s = 0; s < 8; s++) {
        float dst[9], back[9];
        tg_sym_apply_planes(src, dst, 1, 3, 3, s);
        CHECKF(memcmp(dst, expect[s], sizeof dst) == 0, "3x3 symmetry %d", s);
        tg_sym_undo_planes(dst, back, 1, 3, 3, s);
        CHECKF(memcmp(back, src, sizeof back) == 0, "3x3 round trip %d", s);
        /* Undoing s equals applying its inverse. */
        tg_sym_apply_planes(dst, back, 1, 3, 3, tg_sym_invert(s));
        CHECKF(memcmp(back, src, sizeof back) == 0, "3x3 inverse %d", s);
    }
    CHECK(tg_sym_invert(5) == 6 && tg_sym_invert(6) == 5 && tg_sym_invert(7) == 7 && tg_sym_invert(3) == 3);

    /* 2 rows x 3 columns: no transpose on a non-square tensor, so 4-7 act as 0-3. */
    const float r[6] = {0, 1, 2, 3, 4, 5};
    const float rexp[4][6] = {{0, 1, 2, 3, 4, 5}, {3, 4, 5, 0, 1, 2}, {2, 1, 0, 5, 4, 3}, {5, 4, 3, 2, 1, 0}};
    for (int s = 0; s < 8; s++) {
        float dst[6], back[6];
        tg_sym_apply_planes(r, dst, 1, 2, 3, s);
        CHECKF(memcmp(dst, rexp[s & 3], sizeof dst) == 0, "2x3 symmetry %d", s);
        tg_sym_undo_planes(dst, back, 1, 2, 3, s);
        CHECKF(memcmp(back, r, sizeof back) == 0, "2x3 round trip %d", s);
        CHECK(tg_sym_effective(s, 2, 3) == (s & 3) && tg_sym_effective(s, 3, 3) == s);
    }

    /* Points on a 3-wide, 2-high board: transposing symmetries land on the 2-wide, 3-high board. */
    int sx, sy;
    tg_sym_xy(0, 0, 3, 2, 5, &sx, &sy);
    CHECK(sx == 1 && sy == 0); /* flip y: (0,1), transpose: (1,0) */
    tg_sym_xy(2, 0, 3, 2, 6, &sx, &sy);
    CHECK(sx == 0 && sy == 0); /* flip x: (0,0) */
    tg_sym_xy(1, 1, 3, 2, 3, &sx, &sy);
    CHECK(sx == 1 && sy == 0);
    CHECK(tg_sym_loc(TG_PASS_LOC, 3, 2, 5) == TG_PASS_LOC);
    CHECK(tg_sym_loc(tg_loc_of(0, 0, 3), 3, 2, 5) == tg_loc_of(1, 0, 2));

    /* Round trips with several channels, square and not. */
    static float big[3 * 19 * 19], tmp[3 * 19 * 19], back[3 * 19 * 19];
    for (int i = 0; i < 3 * 19 * 19; i++) big[i] = (float)i;
    const int shapes[3][2] = {{19, 19}, {13, 19}, {5, 9}};
    for (int k = 0; k < 3; k++) {
        int hh = shapes[k][0], ww = shapes[k][1];
        for (int s = 0; s < 8; s++) {
            tg_sym_apply_planes(big, tmp, 3, hh, ww, s);
            tg_sym_undo_planes(tmp, back, 3, hh, ww, s);
            CHECKF(memcmp(back, big, sizeof(float) * 3 * (size_t)(hh * ww)) == 0, "round trip %dx%d sym %d", hh, ww, s);
        }
    }

    /* Composition agrees with applying one symmetry after the other, on a 4x4 point with no stabiliser. */
    for (int a = 0; a < 8; a++) {
        for (int c = 0; c < 8; c++) {
            int x1, y1, x2, y2, x3, y3;
            tg_sym_xy(0, 1, 4, 4, a, &x1, &y1);
            tg_sym_xy(x1, y1, 4, 4, c, &x2, &y2);
            tg_sym_xy(0, 1, 4, 4, tg_sym_compose(a, c), &x3, &y3);
            CHECKF(x2 == x3 && y2 == y3, "compose %d %d", a, c);
        }
        CHECK(tg_sym_compose(a, tg_sym_invert(a)) == 0);
    }
}

/* ---- reference positions ---------------------------------------------------------------------------- */

/* Python writes NaN as a bare token, which is not JSON: turn each into null. */
static char *nan_to_null(const char *text) {
    size_t n = strlen(text);
    char *out = malloc(n * 2 + 1);
    if (!out) abort();
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (strncmp(text + i, "NaN", 3) == 0) {
            memcpy(out + k, "null", 4);
            k += 4;
            i += 3;
        } else {
            out[k++] = text[i++];
        }
    }
    out[k] = '\0';
    return out;
}

/* Replays every reference position: the setup must be accepted, KataGo's NaN policy points must be
 * exactly our illegal moves, and the planes must satisfy basic invariants. */
static void test_reference_positions(void) {
    const char *dir = check_shared_dir();
    if (!dir) {
        fprintf(stderr, "test_features: TENGEN_SHARED_DIR not set, reference positions skipped\n");
        return;
    }
    const char *files[] = {"rawnn-g170-b6c96.jsonl", "rawnn-b7c96h3tfrs-test5-cnorm.jsonl",
                           "rawnn-b7c96h6kv3qk32v16tflrs-fson-bnh.jsonl"};
    int positions = 0, mismatches = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/reference/%s", dir, files[f]);
        FILE *fp = fopen(path, "r");
        if (!fp) {
            fprintf(stderr, "test_features: cannot open %s, skipped\n", path);
            continue;
        }
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, fp) > 0) {
            json_error_t jerr;
            char *clean = nan_to_null(line);
            json_t *root = json_loads(clean, 0, &jerr);
            free(clean);
            CHECKF(root != NULL, "%s: %s", path, jerr.text);
            if (!root) continue;
            const char *id = json_string_value(json_object_get(root, "id"));
            json_t *setup_cmds = json_object_get(root, "setup");
            int n = (int)json_array_size(setup_cmds);
            const char **cmds = malloc(sizeof *cmds * (size_t)(n ? n : 1));
            for (int i = 0; i < n; i++) cmds[i] = json_string_value(json_array_get(setup_cmds, i));
            tg_board b;
            tg_history h;
            tg_color pla;
            char err[512];
            bool ok = tg_position_from_gtp_setup(cmds, n, &b, &h, &pla, err, sizeof err);
            CHECKF(ok, "%s: %s", id, err);
            free(cmds);
            if (!ok) {
                json_decref(root);
                continue;
            }
            positions++;
            int xs = (int)json_integer_value(json_object_get(root, "xsize"));
            int ys = (int)json_integer_value(json_object_get(root, "ysize"));
            CHECKF(b.xsize == xs && b.ysize == ys, "%s: size", id);
            CHECKF(pla == h.presumed_next_pla, "%s: player", id);

            json_t *ref = json_object_get(root, "ref");
            json_t *policy = json_object_get(ref, "policy");
            bool legal[TG_NN_MAX_POLICY_SIZE];
            tg_nn_input_params params;
            tg_nn_input_params_default(&params);
            tg_nn_legal_policy_mask(&b, &h, pla, &params, xs, ys, legal);
            int bad = 0;
            for (int i = 0; i < xs * ys; i++) {
                json_t *v = json_array_get(policy, (size_t)i);
                bool is_nan = v == NULL || json_is_null(v);
                if (is_nan == legal[i]) bad++;
            }
            if (bad) mismatches++;
            CHECKF(bad == 0, "%s: %d points where legality disagrees with KataGo's policy", id, bad);

            fill(&b, &h, pla, &params, xs, ys);
            CHECKF(plane_count(0) == xs * ys, "%s: on-board plane", id);
            CHECKF(plane_count(1) == tg_board_num_stones_of(&b, pla), "%s: own stones", id);
            CHECKF(plane_count(2) == tg_board_num_stones_of(&b, tg_opp(pla)), "%s: opponent stones", id);
            CHECKF(plane_count(3) + plane_count(4) + plane_count(5) <= tg_board_num_stones(&b), "%s: liberties", id);
            CHECKF(near(g_global[5], tg_history_current_self_komi(&h, pla, 0.5) / 20.0f) ||
                       fabsf(tg_history_current_self_komi(&h, pla, 0.5)) > (float)(xs * ys) + 20.0f,
                   "%s: komi feature", id);
            tg_history_free(&h);
            json_decref(root);
        }
        free(line);
        fclose(fp);
    }
    fprintf(stderr, "test_features: %d reference positions replayed, %d with legality mismatches\n", positions,
            mismatches);
}

int main(void) {
    test_stones_and_liberties();
    test_rectangular();
    test_ko();
    test_move_history();
    test_ladder_search();
    test_ladder_features();
    test_area_rules();
    test_globals();
    test_setup_replay();
    test_symmetry();
    test_reference_positions();
    return check_finish("test_features");
}
