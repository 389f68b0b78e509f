/* The search: tactical positions (a capture, a capturing race, a ladder) found within a few hundred visits,
 * determinism with one thread and a fixed seed, exact visit limits with two threads, tree reuse, stopping,
 * parameters from a config, and KataGo's expected score value. Needs the g170 6-block net under $TENGEN_SHARED_DIR (77 without). */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "front/config.h"
#include "nn/evaluator.h"
#include "search/search.h"
#include "search/searchparams.h"

#define MODEL "g170-b6c96-s175395328-d26788732.bin.gz"

/* Rows from the top; 'X' black, 'O' white, anything else empty. */
static void setup(tg_board *b, tg_history *h, const char *const *rows, int size, float komi, tg_color pla) {
    tg_board_init(b, size, size);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            char c = rows[y][x];
            if (c == 'X' || c == 'O') {
                bool ok = tg_board_set_stone(b, tg_loc_of(x, y, size), c == 'X' ? TG_BLACK : TG_WHITE);
                CHECK(ok);
            }
        }
    tg_rules r = tg_rules_default();
    r.komi = komi;
    tg_history_init(h, b, pla, &r, 0);
}

static tg_loc loc_of(const char *s, int size) {
    tg_loc l = TG_NULL_LOC;
    CHECK(tg_loc_parse(s, size, size, &l));
    return l;
}

static const char *name(tg_loc l, int size, char *buf) { return tg_loc_str(l, size, size, buf); }

static tg_search_params base_params(void) {
    tg_search_params p;
    tg_search_params_default(&p);
    p.num_threads = 1;
    return p;
}

static void test_params(void) {
    tg_search_params p;
    tg_search_params_default(&p);
    CHECK(p.cpuct_exploration == 1.0 && p.cpuct_exploration_log == 0.45 && p.cpuct_exploration_base == 500.0);
    CHECK(p.fpu_reduction_max == 0.2 && p.root_fpu_reduction_max == 0.1);
    CHECK(p.lcb_stdevs == 5.0 && p.min_visit_prop_for_lcb == 0.15 && p.use_lcb_for_selection);
    CHECK(p.static_score_utility_factor == 0.1 && p.dynamic_score_utility_factor == 0.3);
    CHECK(p.root_policy_optimism == 0.2 && p.policy_optimism == 1.0);
    tg_config *cfg = tg_config_new();
    char err[256];
    tg_config_set(cfg, "maxVisits", "123");
    tg_config_set(cfg, "numSearchThreads", "3");
    tg_config_set(cfg, "policyOptimism", "0.1");
    tg_config_set(cfg, "rootNoiseEnabled", "true");
    tg_config_set(cfg, "searchRandSeed", "abc");
    CHECK(tg_search_params_load(&p, cfg, err, sizeof err));
    CHECK(p.max_visits == 123 && p.num_threads == 3);
    CHECK(fabs(p.root_policy_optimism - 0.1) < 1e-12);
    CHECK(p.root_fpu_reduction_max == 0.0);
    CHECK(p.has_seed);
    tg_config_set(cfg, "lcbStdevs", "50");
    CHECK(!tg_search_params_load(&p, cfg, err, sizeof err));
    CHECK(strstr(err, "lcbStdevs") != NULL);
    tg_config_free(cfg);
}

static void test_score_value(void) {
    CHECK(fabs(tg_expected_white_score_value(0, 0, 0, 1.0, 19)) < 1e-9);
    double a = tg_expected_white_score_value(10, 0, 0, 1.0, 19);
    CHECK(fabs(a - atan(10.0 / 19.0) * 2 / 3.14159265358979323846) < 0.01);
    double b = tg_expected_white_score_value(10, 20, 0, 1.0, 19);
    CHECK(b > 0 && b < a); /* uncertainty pulls the value toward 0 */
    CHECK(fabs(tg_expected_white_score_value(-7, 3, 0, 2.0, 9) + tg_expected_white_score_value(7, 3, 0, 2.0, 9)) < 1e-9);
    CHECK(tg_expected_white_score_value(1e6, 0, 0, 1.0, 19) > 0.95); /* the table saturates, as KataGo's */
}

/* G6 is the vital point: Black to play captures the four white stones there, White to play saves them there
 * (connecting to G7 and G5); any other move loses them, or Black's cutting stones. */
static const char *const CAPTURE[9] = {
    ".........",
    "...O.....",
    "..XXXXO..",
    ".XOOOO.X.",
    "..XXXXO..",
    "...O.....",
    "..O...O..",
    ".........",
    ".........",
};

static void run_to(tg_search *s, int64_t visits) {
    tg_search_limits lim = {visits, 0, 0};
    char err[256] = "";
    bool ok = tg_search_run(s, tg_search_root_pla(s), &lim, NULL, 0, NULL, NULL, err, sizeof err);
    CHECKF(ok, "%s", err);
}

static void test_tactics(tg_nn_evaluator *ev) {
    char buf[8], buf2[8];
    tg_board b;
    tg_history h;
    memset(&h, 0, sizeof h);
    setup(&b, &h, CAPTURE, 9, 7.0f, TG_BLACK);
    tg_search_params p = base_params();
    tg_search *s = tg_search_new(&p, ev, 1);
    tg_search_set_position(s, &b, &h, TG_BLACK);
    run_to(s, 200);
    tg_loc best = tg_search_best_move(s);
    CHECKF(best == loc_of("G6", 9), "capture: search played %s", name(best, 9, buf));
    CHECK(tg_search_root_visits(s) == 200);
    tg_move_info info[8];
    int n = tg_search_analysis(s, info, 8, 10, 0);
    CHECK(n >= 1 && info[0].move == best && info[0].order == 0);
    CHECK(n >= 1 && info[0].pv_len >= 2 && info[0].pv[0] == best);
    for (int i = 1; i < n; i++) CHECK(info[i].play_selection_value <= info[i - 1].play_selection_value);
    tg_root_info ri;
    tg_search_root_info(s, &ri);
    CHECK(ri.visits == 200 && ri.pla == TG_BLACK && ri.winrate > 0.5);
    fprintf(stderr, "capture: %s, %lld visits, winrate %.3f, lead %.1f (raw %.3f)\n", name(best, 9, buf2),
            (long long)info[0].visits, ri.winrate, ri.score_lead, ri.raw_winrate);
    tg_search_free(s);
    tg_history_free(&h);

    memset(&h, 0, sizeof h);
    setup(&b, &h, CAPTURE, 9, 7.0f, TG_WHITE);
    s = tg_search_new(&p, ev, 2);
    tg_search_set_position(s, &b, &h, TG_WHITE);
    run_to(s, 200);
    best = tg_search_best_move(s);
    CHECKF(best == loc_of("G6", 9), "save: search played %s", name(best, 9, buf));
    n = tg_search_analysis(s, info, 8, 10, 0);
    for (int i = 0; i < n && i < 3; i++)
        fprintf(stderr, "save: %s visits %lld winrate %.3f prior %.3f lcb %.3f\n", name(info[i].move, 9, buf),
                (long long)info[i].visits, info[i].winrate, info[i].prior, info[i].lcb);
    tg_search_free(s);
    tg_history_free(&h);
}

/* A capturing race in the lower left: White's three stones A2-C2 (liberties A1, B1, C1) against Black's A3-C3
 * (liberties A4, B4, C4), no eyes, nothing shared, every other group settled. Whoever moves first wins by
 * filling the other's liberties from outside: Black at B1 or C1 (A1 is a self-atari White takes), White at
 * A4, B4 or C4 (each connected to the wall above). Anything else loses the race. */
static const char *const SEMEAI[9] = {
    ".O.O.OX.X",
    "OOOOOOXXX",
    "O.O.OOX.X",
    "OOOOOOXXX",
    "OOOOOOX.X",
    "...OXXXXX",
    "XXXOX.X.X",
    "OOOXXXXXX",
    "...X.X.X.",
};

/* A ladder: White's cutting stone C6 has two liberties, C5 and D6. Black at C5 drives it up and right into
 * Black's wall and captures it; Black at D6 drives it down and left, where White's B4 breaks the ladder and
 * the stone escapes (GNU Go 3.8's attack/defend reading agrees on both). Black's moves are limited to the
 * two ataris: the search must read which ladder works. */
static const char *const LADDER[9] = {
    ".....XO.O",
    ".....XOOO",
    "..X..XO.O",
    ".XO..XOOO",
    "...X.XO.O",
    ".O...XOOO",
    ".....XO.O",
    ".....XOOO",
    ".....XO.O",
};

static tg_loc search_position(tg_nn_evaluator *ev, const char *const *rows, tg_color pla, int64_t visits,
                              uint64_t seed, const int *black_until) {
    tg_board b;
    tg_history h;
    memset(&h, 0, sizeof h);
    setup(&b, &h, rows, 9, 7.0f, pla);
    tg_search_params p = base_params();
    tg_search *s = tg_search_new(&p, ev, seed);
    tg_search_set_position(s, &b, &h, pla);
    tg_search_set_avoid(s, black_until, NULL);
    run_to(s, visits);
    tg_loc best = tg_search_chosen_move(s);
    tg_search_free(s);
    tg_history_free(&h);
    return best;
}

static void test_race_and_ladder(tg_nn_evaluator *ev) {
    char buf[8];
    for (uint64_t seed = 1; seed <= 3; seed++) {
        tg_loc b = search_position(ev, SEMEAI, TG_BLACK, 100, seed, NULL);
        CHECKF(b == loc_of("B1", 9) || b == loc_of("C1", 9), "race, Black to play: search played %s",
               name(b, 9, buf));
        tg_loc w = search_position(ev, SEMEAI, TG_WHITE, 100, seed, NULL);
        CHECKF(w == loc_of("A4", 9) || w == loc_of("B4", 9) || w == loc_of("C4", 9),
               "race, White to play: search played %s", name(w, 9, buf));
    }
    int only_ataris[TG_MAX_ARR_SIZE];
    for (int i = 0; i < TG_MAX_ARR_SIZE; i++) only_ataris[i] = 1;
    only_ataris[loc_of("C5", 9)] = 0;
    only_ataris[loc_of("D6", 9)] = 0;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        tg_loc m = search_position(ev, LADDER, TG_BLACK, 50, seed, only_ataris);
        CHECKF(m == loc_of("C5", 9), "ladder: search played %s, want C5 (D6 lets the stone escape)",
               name(m, 9, buf));
    }
}

static void test_determinism_and_threads(tg_nn_evaluator *ev) {
    tg_board b;
    tg_history h;
    memset(&h, 0, sizeof h);
    setup(&b, &h, CAPTURE, 9, 7.0f, TG_BLACK);
    tg_search_params p = base_params();
    int64_t visits[2][16];
    int counts[2];
    for (int k = 0; k < 2; k++) {
        tg_search *s = tg_search_new(&p, ev, 42);
        tg_search_set_position(s, &b, &h, TG_BLACK);
        run_to(s, 120);
        tg_move_info info[16];
        counts[k] = tg_search_analysis(s, info, 16, 1, 0);
        for (int i = 0; i < counts[k]; i++) visits[k][i] = info[i].visits * 1000 + info[i].move;
        tg_search_free(s);
    }
    CHECK(counts[0] == counts[1]);
    for (int i = 0; i < counts[0] && i < counts[1]; i++) CHECK(visits[0][i] == visits[1][i]);

    p.num_threads = 2;
    tg_search *s = tg_search_new(&p, ev, 7);
    tg_search_set_position(s, &b, &h, TG_BLACK);
    run_to(s, 150);
    CHECK(tg_search_root_visits(s) == 150);
    tg_loc best = tg_search_best_move(s);
    CHECK(best != TG_NULL_LOC && tg_history_is_legal(&h, &b, best, TG_BLACK));
    tg_loc chosen = tg_search_chosen_move(s);
    CHECK(chosen != TG_NULL_LOC && tg_history_is_legal(&h, &b, chosen, TG_BLACK));

    /* Tree reuse: the chosen child's visits become the new root's. */
    tg_move_info info[4];
    int n = tg_search_analysis(s, info, 4, 1, 0);
    CHECK(n >= 1);
    int64_t child_visits = n >= 1 ? info[0].visits : 0;
    CHECK(tg_search_make_move(s, info[0].move, TG_BLACK, false));
    CHECK(tg_search_root_pla(s) == TG_WHITE);
    CHECK(tg_search_root_visits(s) == child_visits);
    run_to(s, child_visits + 40);
    CHECK(tg_search_root_visits(s) == child_visits + 40);
    CHECK(tg_search_num_playouts(s) == 40);
    tg_loc wbest = tg_search_best_move(s);
    CHECK(wbest != TG_NULL_LOC && tg_history_is_legal(tg_search_root_history(s), tg_search_root_board(s), wbest, TG_WHITE));
    /* An illegal move is refused and changes nothing. */
    CHECK(!tg_search_make_move(s, info[0].move, TG_WHITE, false));
    CHECK(tg_search_root_visits(s) == child_visits + 40);
    tg_search_free(s);
    tg_history_free(&h);
}

/* Terminal nodes: White has passed on a finished board that Black wins by area; Black's pass ends the game
 * and is scored from the history (a certain win), not by the network. */
static const char *const FINISHED[9] = {
    "....XO...", "....XO...", "....XO...", "....XO...", "....XO...",
    "....XO...", "....XO...", "....XO...", "....XO...",
};

static void test_terminal(tg_nn_evaluator *ev) {
    tg_board b;
    tg_history h;
    memset(&h, 0, sizeof h);
    setup(&b, &h, FINISHED, 9, 7.5f, TG_WHITE);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, false);
    CHECK(tg_history_pass_would_end_game(&h, &b, TG_BLACK));
    tg_search_params p = base_params();
    tg_search *s = tg_search_new(&p, ev, 5);
    tg_search_set_position(s, &b, &h, TG_BLACK);
    run_to(s, 100);
    tg_move_info info[64];
    int n = tg_search_analysis(s, info, 64, 3, 0);
    bool found_pass = false;
    for (int i = 0; i < n; i++)
        if (info[i].move == TG_PASS_LOC) {
            found_pass = true;
            CHECK(info[i].winrate == 1.0);
            CHECK(fabs(info[i].score_mean - 1.5) < 1e-9 && info[i].score_stdev == 0.0);
            CHECK(info[i].pv_len == 1); /* nothing follows the end of the game */
        }
    CHECK(found_pass);
    CHECK(tg_search_best_move(s) == TG_PASS_LOC);
    tg_search_free(s);

    /* conservativePass: passing from the root does not end the game, so it is searched further. */
    p.conservative_pass = true;
    s = tg_search_new(&p, ev, 5);
    tg_search_set_position(s, &b, &h, TG_BLACK);
    run_to(s, 60);
    n = tg_search_analysis(s, info, 64, 3, 0);
    for (int i = 0; i < n; i++)
        if (info[i].move == TG_PASS_LOC && info[i].visits > 1) CHECK(info[i].pv_len > 1);
    tg_search_free(s);
    tg_history_free(&h);
}

/* rootNumSymmetriesToSample: the root evaluation averages several symmetries. */
static void test_root_symmetries(tg_nn_evaluator *ev) {
    tg_board b;
    tg_history h;
    memset(&h, 0, sizeof h);
    setup(&b, &h, CAPTURE, 9, 7.0f, TG_BLACK);
    tg_search_params p = base_params();
    p.root_num_symmetries_to_sample = 8;
    tg_search *s = tg_search_new(&p, ev, 9);
    tg_search_set_position(s, &b, &h, TG_BLACK);
    run_to(s, 1);
    tg_root_info a;
    tg_search_root_info(s, &a);
    CHECK(a.visits == 1 && a.raw_winrate > 0.5 && a.raw_winrate <= 1.0);
    CHECK(tg_search_best_move(s) == loc_of("G6", 9)); /* the highest prior with no child visited */
    tg_search_free(s);
    /* All eight symmetries, whatever the seed: the same averaged evaluation. */
    s = tg_search_new(&p, ev, 10);
    tg_search_set_position(s, &b, &h, TG_BLACK);
    run_to(s, 1);
    tg_root_info c;
    tg_search_root_info(s, &c);
    CHECK(fabs(a.raw_winrate - c.raw_winrate) < 1e-6 && fabs(a.raw_score_lead - c.raw_score_lead) < 1e-4);
    tg_search_free(s);
    tg_history_free(&h);
}

typedef struct cb_ctx {
    int calls;
    atomic_bool *stop;
} cb_ctx;

/* Two walls split the board: Black owns the columns left of D, White those right of E. */
static const char *const WALLS[9] = {
    "...XO....", "...XO....", "...XO....", "...XO....", "...XO....",
    "...XO....", "...XO....", "...XO....", "...XO....",
};

static void check_ownership_range(const double *own, const double *sd, int area, const char *what) {
    int bad = 0;
    for (int i = 0; i < area; i++)
        if (!(own[i] >= -1.0 && own[i] <= 1.0) || (sd && !(sd[i] >= 0.0 && sd[i] <= 1.0)))
            bad++;
    CHECKF(bad == 0, "%s: %d points outside [-1,1] (stdev [0,1])", what, bad);
}

/* Tree ownership (White's side) averages within [-1,1] with the right sign on owned areas, per move too;
 * pvVisits along the PV; avoid / allow keep moves out of the root's analysis. */
static void test_ownership(tg_nn_evaluator *ev) {
    tg_board b;
    tg_history h;
    memset(&h, 0, sizeof h);
    setup(&b, &h, WALLS, 9, 7.0f, TG_BLACK);
    for (int syms = 1; syms <= 4; syms += 3) {
        tg_search_params p = base_params();
        p.root_num_symmetries_to_sample = syms;
        tg_search *s = tg_search_new(&p, ev, 5);
        tg_search_set_position(s, &b, &h, TG_BLACK);
        double own[81], sd[81];
        CHECK(!tg_search_tree_ownership(s, own, sd)); /* nothing searched yet */
        run_to(s, 120);
        CHECK(tg_search_tree_ownership(s, own, sd));
        check_ownership_range(own, sd, 81, "root");
        for (int y = 0; y < 9; y++) {
            CHECKF(own[y * 9 + 0] < -0.5 && own[y * 9 + 1] < -0.5, "row %d: Black's side owned %.3f %.3f", y,
                   own[y * 9], own[y * 9 + 1]);
            CHECKF(own[y * 9 + 8] > 0.5 && own[y * 9 + 7] > 0.5, "row %d: White's side owned %.3f %.3f", y,
                   own[y * 9 + 8], own[y * 9 + 7]);
        }
        double own2[81];
        CHECK(tg_search_tree_ownership(s, own2, NULL));
        for (int i = 0; i < 81; i++) CHECK(fabs(own2[i] - own[i]) < 1e-12);
        tg_move_info info[8];
        int n = tg_search_analysis(s, info, 8, 10, 0);
        CHECK(n >= 1);
        for (int k = 0; k < n; k++) {
            double mo[81], ms[81];
            CHECK(tg_search_move_ownership(s, info[k].move, mo, ms));
            check_ownership_range(mo, ms, 81, "move");
            CHECK(info[k].pv_visits[0] == info[k].visits);
            for (int j = 1; j < info[k].pv_len; j++) CHECK(info[k].pv_visits[j] <= info[k].pv_visits[j - 1] && info[k].pv_visits[j] > 0);
        }
        /* avoid the best moves for Black at the root: they never come back as analysis moves. */
        int avoid_b[TG_MAX_ARR_SIZE] = {0};
        tg_loc avoided[3];
        int na = n < 3 ? n : 3;
        for (int k = 0; k < na; k++) {
            avoided[k] = info[k].move;
            avoid_b[avoided[k]] = 1;
        }
        tg_search_set_avoid(s, avoid_b, NULL);
        CHECK(tg_search_root_visits(s) == 0); /* new restrictions drop the tree */
        run_to(s, 80);
        n = tg_search_analysis(s, info, 8, 10, 20);
        CHECK(n >= 1);
        for (int k = 0; k < n; k++)
            for (int j = 0; j < na; j++) CHECK(info[k].move != avoided[j]);
        /* allow: only C5 and pass for Black until depth 2. */
        int allow_b[TG_MAX_ARR_SIZE];
        for (int i = 0; i < TG_MAX_ARR_SIZE; i++) allow_b[i] = 2;
        allow_b[loc_of("C5", 9)] = 0;
        allow_b[TG_PASS_LOC] = 0;
        tg_search_set_avoid(s, allow_b, NULL);
        run_to(s, 60);
        n = tg_search_analysis(s, info, 8, 10, 0);
        CHECK(n >= 1);
        for (int k = 0; k < n; k++) CHECK(info[k].move == loc_of("C5", 9) || info[k].move == TG_PASS_LOC);
        tg_loc best = tg_search_best_move(s);
        CHECK(best == loc_of("C5", 9) || best == TG_PASS_LOC);
        tg_search_set_avoid(s, NULL, NULL);
        run_to(s, 30);
        CHECK(tg_search_tree_ownership(s, own, NULL));
        check_ownership_range(own, NULL, 81, "after avoid");
        tg_search_free(s);
    }
    tg_history_free(&h);
}

static void progress(const tg_search *s, void *ctx) {
    cb_ctx *c = ctx;
    c->calls++;
    tg_move_info info[4];
    (void)tg_search_analysis(s, info, 4, 5, 0);
    if (c->calls >= 2) atomic_store(c->stop, true);
}

static void test_stop_and_callback(tg_nn_evaluator *ev) {
    tg_board b;
    tg_history h;
    memset(&h, 0, sizeof h);
    setup(&b, &h, CAPTURE, 9, 7.0f, TG_BLACK);
    tg_search_params p = base_params();
    p.num_threads = 2;
    tg_search *s = tg_search_new(&p, ev, 3);
    tg_search_set_position(s, &b, &h, TG_BLACK);
    atomic_bool stop;
    atomic_init(&stop, false);
    cb_ctx c = {0, &stop};
    tg_search_limits lim = {0, 0, 0}; /* unlimited: only the stop flag ends it */
    char err[256] = "";
    bool ok = tg_search_run(s, TG_BLACK, &lim, progress, 0.2, &c, &stop, err, sizeof err);
    CHECKF(ok, "%s", err);
    CHECK(c.calls >= 2);
    CHECK(tg_search_root_visits(s) > 1);
    fprintf(stderr, "stop: %d callbacks, %lld visits\n", c.calls, (long long)tg_search_root_visits(s));

    /* maxTime ends a search with no visit limit. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tg_search_limits timed = {0, 0, 0.3};
    ok = tg_search_run(s, TG_BLACK, &timed, NULL, 0, NULL, NULL, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    CHECKF(ok && dt >= 0.3 && dt < 10.0, "timed search took %.2f s", dt);

    /* A move the tree does not hold, then a move out of turn: the tree is dropped, the position follows. */
    tg_loc far = loc_of("A1", 9);
    tg_move_info all[82];
    int na = tg_search_analysis(s, all, 82, 1, 0);
    int64_t far_visits = 0;
    for (int i = 0; i < na; i++)
        if (all[i].move == far) far_visits = all[i].visits;
    CHECK(tg_search_make_move(s, far, TG_BLACK, false));
    CHECK(tg_search_root_visits(s) == far_visits && tg_search_root_pla(s) == TG_WHITE);
    CHECK(tg_search_make_move(s, loc_of("J1", 9), TG_BLACK, false)); /* Black again: history restarted */
    CHECK(tg_search_root_pla(s) == TG_WHITE && tg_search_root_visits(s) == 0);
    CHECK(tg_search_root_board(s)->color[far] == TG_BLACK);
    run_to(s, 5);
    CHECK(tg_search_root_visits(s) == 5);
    tg_search_free(s);
    tg_history_free(&h);
}

/* Uncertainty weighting (useUncertainty): with a network that has short-term error heads (model >= 9)
 * leaves weigh uncertaintyCoeff / (uncertainty + uncertaintyCoeff / uncertaintyMaxWeight), not 1. */
static void test_uncertainty(const char *shared) {
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/models/%s", shared, "b7c96h3tfrs-test5-cnorm.bin.gz");
    tg_config *cfg = tg_config_new();
    tg_nn_evaluator *ev = tg_nn_evaluator_new(cfg, path, err, sizeof err);
    if (!ev || tg_nn_evaluator_model(ev)->version < 9) {
        fprintf(stderr, "test_search: uncertainty weighting not tested (%s)\n", ev ? "model < 9" : err);
        tg_nn_evaluator_free(ev);
        tg_config_free(cfg);
        return;
    }
    tg_board b;
    tg_history h;
    memset(&h, 0, sizeof h);
    setup(&b, &h, CAPTURE, 9, 7.0f, TG_BLACK);
    for (int k = 0; k < 2; k++) {
        tg_search_params p = base_params();
        p.use_uncertainty = k == 0;
        tg_search *s = tg_search_new(&p, ev, 4);
        tg_search_set_position(s, &b, &h, TG_BLACK);
        run_to(s, 30);
        tg_move_info info[16];
        int n = tg_search_analysis(s, info, 16, 1, 0);
        bool all_unit = true;
        for (int i = 0; i < n; i++) {
            CHECK(info[i].weight > 0 && info[i].weight <= p.uncertainty_max_weight * (double)info[i].visits + 1e-9);
            if (fabs(info[i].weight - (double)info[i].visits) > 1e-9) all_unit = false;
        }
        CHECK(n > 0 && all_unit == (k == 1));
        tg_search_free(s);
    }
    tg_history_free(&h);
    tg_nn_evaluator_free(ev);
    tg_config_free(cfg);
}

int main(void) {
    test_params();
    test_score_value();
    const char *shared = check_shared_dir();
    if (!shared) {
        fprintf(stderr, "test_search: TENGEN_SHARED_DIR not set, network tests skipped\n");
        return check_failures ? 1 : 77;
    }
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/models/%s", shared, MODEL);
    tg_config *cfg = tg_config_new();
    tg_nn_evaluator *ev = tg_nn_evaluator_new(cfg, path, err, sizeof err);
    if (!ev) {
        fprintf(stderr, "test_search: %s\n", err);
        tg_config_free(cfg);
        return 77;
    }
    test_tactics(ev);
    test_race_and_ladder(ev);
    test_determinism_and_threads(ev);
    test_terminal(ev);
    test_root_symmetries(ev);
    test_stop_and_callback(ev);
    test_ownership(ev);
    tg_nn_evaluator_free(ev);
    tg_config_free(cfg);
    test_uncertainty(shared);
    return check_finish("test_search");
}
