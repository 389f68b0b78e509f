/* Game history: ko and superko, passes and game end, the territory-scoring cleanup (encore) phases,
 * button, handicap bonus, scoring and undo. Expected scores are counted by hand from the rules text
 * in KataGo's docs/rules.html; diagrams list rows top (y=0) to bottom, X black, O white. */
#include <string.h>

#include "check.h"
#include "diagram.h"
#include "history.h"

/* Plays a move that must be strictly legal. */
static void must_play(tg_history *h, tg_board *b, tg_loc loc, tg_color pla) {
    CHECKF(tg_history_is_legal(h, b, loc, pla), "move %d by %d should be legal", loc, pla);
    tg_history_play(h, b, loc, pla, false);
}

/* Black wall on column 1, white wall on column 2: Black owns 5 points, White 10, nothing else. */
static const char *const k_walls[] = {
    ".XO..",
    ".XO..",
    ".XO..",
    ".XO..",
    ".XO..",
};

/* ---- passes and game end -------------------------------------------------------------------- */

static void test_area_two_passes(void) {
    tg_board b;
    setup(&b, 5, 5, k_walls);
    tg_rules tt = named("tromp-taylor");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    CHECK(!tg_history_pass_would_end_game(&h, &b, TG_BLACK));
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    CHECK(!h.is_game_finished && h.consecutive_ending_passes == 1);
    CHECK(tg_history_pass_would_end_phase(&h, &b, TG_WHITE));
    CHECK(tg_history_pass_would_end_game(&h, &b, TG_WHITE));
    must_play(&h, &b, TG_PASS_LOC, TG_WHITE);
    /* area: Black 5 stones + 5 empty = 10, White 5 + 10 = 15, komi 7.5 */
    CHECK(h.is_game_finished && h.is_scored && !h.is_no_result && !h.is_resignation);
    CHECK(h.final_white_minus_black_score == 12.5f);
    CHECK(h.winner == TG_WHITE);

    /* changing komi rescores a finished game */
    tg_history_set_komi(&h, -5.0f);
    CHECK(h.final_white_minus_black_score == 0.0f && h.winner == TG_EMPTY);
    tg_history_set_komi(&h, -5.5f);
    CHECK(h.final_white_minus_black_score == -0.5f && h.winner == TG_BLACK);

    /* a move after the end reopens the game */
    tg_history_play(&h, &b, L(&b, 4, 4), TG_BLACK, false);
    CHECK(!h.is_game_finished && !h.is_scored && h.winner == TG_EMPTY);
    CHECK(h.num_approx_valid_turns_this_phase == 2 && h.num_consec_valid_turns_this_game == 2);
    tg_history_free(&h);

    /* passes separated by a move do not end the game */
    setup(&b, 5, 5, k_walls);
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    must_play(&h, &b, L(&b, 4, 0), TG_WHITE);
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    CHECK(!h.is_game_finished && h.consecutive_ending_passes == 1);
    must_play(&h, &b, TG_PASS_LOC, TG_WHITE);
    CHECK(h.is_game_finished && h.final_white_minus_black_score == 12.5f);
    CHECK(tg_history_current_turn_number(&h) == 4);
    tg_history_free(&h);
}

static void test_spight_ko_rule_ending(void) {
    /* Under spight ko, a pass count never ends the game; a player passing again from a position
     * (stones only, under this ko rule) they already passed from does. */
    tg_board b;
    setup(&b, 5, 5, k_walls);
    tg_rules r = named("{\"ko\":\"SPIGHT\"}");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &r, 0);
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    CHECK(!tg_history_pass_would_end_game(&h, &b, TG_WHITE));
    must_play(&h, &b, TG_PASS_LOC, TG_WHITE);
    CHECK(!h.is_game_finished && h.consecutive_ending_passes == 0);
    CHECK(tg_history_pass_would_end_game(&h, &b, TG_BLACK));
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    CHECK(h.is_game_finished && h.final_white_minus_black_score == 12.5f);
    tg_history_free(&h);
}

static void test_territory_encore(void) {
    tg_board b;
    tg_history h;
    tg_rules jp = named("japanese");

    /* prevent_encore: two passes leave the game in the main phase, flagged as past its end */
    setup(&b, 5, 5, k_walls);
    tg_history_init(&h, &b, TG_BLACK, &jp, 0);
    CHECK(h.white_bonus_score == 0.0f); /* 5 black and 5 white stones chill each other out */
    tg_history_play(&h, &b, TG_PASS_LOC, TG_BLACK, true);
    CHECK(tg_history_pass_would_end_phase(&h, &b, TG_WHITE));
    CHECK(!tg_history_pass_would_end_game(&h, &b, TG_WHITE));
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, true);
    CHECK(!h.is_game_finished && h.is_past_normal_phase_end && h.encore_phase == 0);
    CHECK(h.num_approx_valid_turns_this_phase == 1 && h.num_consec_valid_turns_this_game == 1);
    /* territory: Black 5, White 10, komi 6.5 */
    tg_color area[TG_MAX_ARR_SIZE];
    tg_history_end_and_score_now(&h, &b, area);
    CHECK(h.is_game_finished && h.final_white_minus_black_score == 11.5f && h.winner == TG_WHITE);
    CHECK(area[L(&b, 0, 0)] == TG_BLACK && area[L(&b, 1, 3)] == TG_BLACK && area[L(&b, 4, 2)] == TG_WHITE);
    tg_history_free(&h);

    /* without prevent_encore: two cleanup phases, each ended by two passes, then scoring */
    setup(&b, 5, 5, k_walls);
    tg_history_init(&h, &b, TG_BLACK, &jp, 0);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_BLACK, false);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, false);
    CHECK(!h.is_game_finished && !h.is_past_normal_phase_end && h.encore_phase == 1);
    CHECK(h.num_turns_this_phase == 0 && h.consecutive_ending_passes == 0);
    CHECK(h.num_ko_hashes == 1 && h.first_turn_with_ko_history == 2);
    CHECK(!tg_history_is_final_phase(&h));
    tg_history_play(&h, &b, TG_PASS_LOC, TG_BLACK, false);
    CHECK(!tg_history_pass_would_end_game(&h, &b, TG_WHITE));
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, false);
    CHECK(!h.is_game_finished && h.encore_phase == 2 && tg_history_is_final_phase(&h));
    CHECK(h.second_encore_start_colors[L(&b, 1, 0)] == TG_BLACK && h.second_encore_start_colors[L(&b, 0, 0)] == TG_EMPTY);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_BLACK, false);
    CHECK(tg_history_pass_would_end_game(&h, &b, TG_WHITE));
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, false);
    CHECK(h.is_game_finished && h.final_white_minus_black_score == 11.5f);
    CHECK(h.num_moves == 6 && h.encore_phase == 2);
    tg_history_free(&h);
}

static void test_territory_with_capture(void) {
    /* A black stone dead in White's corner is captured by White during the game. Territory count:
     * Black 5; White 10 - 2 stones in it + 1 prisoner = 9; komi 6.5: W+10.5. Area count (chinese):
     * Black 10, White 15, komi 7.5: W+12.5. */
    const char *const rows[] = {
        ".XO..",
        ".XO..",
        ".XO..",
        ".XO..",
        ".XOOX",
    };
    tg_board b;
    tg_history h;
    tg_rules jp = named("japanese");
    setup(&b, 5, 5, rows);
    tg_history_init(&h, &b, TG_WHITE, &jp, 0);
    must_play(&h, &b, L(&b, 4, 3), TG_WHITE);
    CHECK(b.color[L(&b, 4, 4)] == TG_EMPTY && h.white_bonus_score == -1.0f);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_BLACK, true);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, true);
    tg_history_end_and_score_now(&h, &b, NULL);
    CHECK(h.final_white_minus_black_score == 10.5f);
    tg_history_free(&h);

    /* Starting from a position reached by play: every stone played so far counts as a point for the
     * other side, including a white stone that Black already captured. Black played 2, White 1. */
    tg_board_init(&b, 5, 5);
    tg_board_play(&b, L(&b, 0, 0), TG_WHITE);
    tg_board_play(&b, L(&b, 1, 0), TG_BLACK);
    tg_board_play(&b, L(&b, 0, 1), TG_BLACK);
    CHECK(b.num_white_captures == 1);
    tg_history_init(&h, &b, TG_WHITE, &jp, 0);
    CHECK(h.white_bonus_score == 1.0f);
    tg_history_free(&h);

    tg_rules cn = named("chinese");
    setup(&b, 5, 5, rows);
    tg_history_init(&h, &b, TG_WHITE, &cn, 0);
    must_play(&h, &b, L(&b, 4, 3), TG_WHITE);
    CHECK(h.white_bonus_score == 0.0f);
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    must_play(&h, &b, TG_PASS_LOC, TG_WHITE);
    CHECK(h.is_game_finished && h.final_white_minus_black_score == 12.5f);
    tg_history_free(&h);
}

/* ---- scoring: seki and group tax ------------------------------------------------------------ */

static float score_now(const char *rules_name, int xsize, int ysize, const char *const *rows) {
    tg_board b;
    setup(&b, xsize, ysize, rows);
    tg_rules r = named(rules_name);
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &r, 0);
    tg_history_end_and_score_now(&h, &b, NULL);
    float s = h.final_white_minus_black_score;
    CHECK(h.is_game_finished && h.is_scored);
    tg_history_free(&h);
    return s;
}

static void test_seki_and_tax(void) {
    /* Both groups share the dame column, so both are in seki: Black has 4 points of eyes, White 1.
     * chinese (area, no tax): B 6+4 = 10, W 9+1 = 10, komi 7.5 -> W+7.5.
     * japanese (territory, seki tax): no points in seki, no captures -> komi 6.5.
     * stone-scoring (area, all tax): eyes in seki do not count; stones B 6, W 9 -> 3 + 7.5 = 10.5. */
    const char *const seki[] = {
        ".X.O.",
        ".X.OO",
        "XX.OO",
        ".X.OO",
        ".X.OO",
    };
    CHECK(score_now("chinese", 5, 5, seki) == 7.5f);
    CHECK(score_now("japanese", 5, 5, seki) == 6.5f);
    CHECK(score_now("stone-scoring", 5, 5, seki) == 10.5f);
    CHECK(score_now("tromp-taylor", 5, 5, seki) == 7.5f);

    /* No dame: Black one living group (10 stones, 7 empty), White two (5 stones and 4 empty each).
     * area, no tax: B 17, W 18 -> 1 + 7.5 = 8.5.
     * stone-scoring: each region is taxed 2: B 17-2 = 15, W 18-4 = 14 -> -1 + 7.5 = 6.5.
     * japanese: territory B 7, W 8 -> 1 + 6.5 = 7.5.
     * ancient-territory (territory, all tax): B 7-2, W 8-4 -> -1 + 6.5 = 5.5. */
    const char *const tax[] = {
        ".XO..",
        ".XO..",
        ".XOOO",
        ".XXXX",
        ".XOOO",
        ".XO..",
        ".XO..",
    };
    CHECK(score_now("chinese", 5, 7, tax) == 8.5f);
    CHECK(score_now("stone-scoring", 5, 7, tax) == 6.5f);
    CHECK(score_now("japanese", 5, 7, tax) == 7.5f);
    CHECK(score_now("ancient-territory", 5, 7, tax) == 5.5f);

    /* area under the rules' counting, without ending the game */
    tg_board b;
    setup(&b, 5, 5, seki);
    tg_rules jp = named("japanese");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &jp, 0);
    tg_color area[TG_MAX_ARR_SIZE];
    tg_history_get_area_now(&h, &b, area);
    CHECK(!h.is_game_finished);
    CHECK(area[L(&b, 0, 0)] == TG_EMPTY && area[L(&b, 1, 0)] == TG_BLACK && area[L(&b, 4, 0)] == TG_EMPTY);
    CHECK(area[L(&b, 2, 2)] == TG_EMPTY && area[L(&b, 3, 3)] == TG_WHITE);
    tg_history_free(&h);
}

static void test_all_pass_alive(void) {
    /* Black fills the board leaving three one-point eyes: everything is Black's, pass-alive. */
    const char *const rows[] = {
        ".X.X.",
        "XXXXX",
        "XXXXX",
        "XXXXX",
        "XXXXX",
    };
    tg_board b;
    setup(&b, 5, 5, rows);
    tg_rules tt = named("tromp-taylor");
    tg_history h;
    tg_history_init(&h, &b, TG_WHITE, &tt, 0);
    tg_history_end_game_if_all_pass_alive(&h, &b);
    CHECK(h.is_game_finished && h.is_scored && h.final_white_minus_black_score == -17.5f && h.winner == TG_BLACK);
    tg_history_free(&h);

    setup(&b, 5, 5, k_walls);
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    tg_history_end_game_if_all_pass_alive(&h, &b);
    CHECK(!h.is_game_finished);
    tg_history_set_winner_by_resignation(&h, TG_BLACK);
    CHECK(h.is_game_finished && h.is_resignation && !h.is_scored && h.winner == TG_BLACK);
    tg_history_free(&h);
}

/* ---- button --------------------------------------------------------------------------------- */

static void test_button(void) {
    tg_board b;
    setup(&b, 5, 5, k_walls);
    tg_rules ab = named("aga-button");
    CHECK(ab.komi == 7.0f);
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &ab, 0);
    CHECK(h.has_button);
    /* Black's first pass takes the button (+0.5 for Black) and does not count toward ending. */
    CHECK(!tg_history_pass_would_end_phase(&h, &b, TG_BLACK));
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    CHECK(!h.has_button && h.white_bonus_score == -0.5f && h.consecutive_ending_passes == 0);
    CHECK(h.num_ko_hashes == 1 && h.first_turn_with_ko_history == 1);
    must_play(&h, &b, TG_PASS_LOC, TG_WHITE);
    CHECK(!h.is_game_finished);
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    /* area 15 - 10 = 5, minus Black's half point, plus komi 7: W+11.5 */
    CHECK(h.is_game_finished && h.final_white_minus_black_score == 11.5f);
    tg_history_free(&h);

    /* White passes first */
    setup(&b, 5, 5, k_walls);
    tg_history_init(&h, &b, TG_WHITE, &ab, 0);
    must_play(&h, &b, TG_PASS_LOC, TG_WHITE);
    CHECK(h.white_bonus_score == 0.5f);
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    must_play(&h, &b, TG_PASS_LOC, TG_WHITE);
    CHECK(h.is_game_finished && h.final_white_minus_black_score == 12.5f);
    tg_history_free(&h);

    /* Ending the game before anyone passed gives the button to the player to move. */
    setup(&b, 5, 5, k_walls);
    tg_history_init(&h, &b, TG_BLACK, &ab, 0);
    tg_history_end_and_score_now(&h, &b, NULL);
    CHECK(h.final_white_minus_black_score == 11.5f && !h.has_button);
    tg_history_free(&h);
}

/* ---- handicap bonus ------------------------------------------------------------------------- */

static void test_handicap(void) {
    tg_board b;
    tg_history h;
    const char *const three[] = {
        ".........", ".........", "......X..", ".........", "....X....",
        ".........", "..X......", ".........", ".........",
    };
    setup(&b, 9, 9, three);
    CHECK(tg_history_num_handicap_stones_on_board(&b) == 3);
    const struct { const char *rules; int bonus; } cases[] = {
        {"chinese", 3}, {"aga", 2}, {"japanese", 0}, {"tromp-taylor", 0}, {"chinese-ogs", 3}, {"aga-button", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tg_rules r = named(cases[i].rules);
        tg_history_init(&h, &b, TG_WHITE, &r, 0);
        CHECKF(h.white_handicap_bonus_score == (float)cases[i].bonus, "%s", cases[i].rules);
        CHECK(tg_history_compute_num_handicap_stones(&h) == 3);
        tg_history_free(&h);
    }

    /* one stone, or any white stone, is not a handicap */
    const char *const one[] = {
        ".........", ".........", ".........", ".........", "....X....",
        ".........", ".........", ".........", ".........",
    };
    setup(&b, 9, 9, one);
    CHECK(tg_history_num_handicap_stones_on_board(&b) == 0);
    const char *const mixed[] = {
        ".........", ".........", "......X..", ".........", "....X....",
        ".........", "..X......", ".........", "........O",
    };
    setup(&b, 9, 9, mixed);
    CHECK(tg_history_num_handicap_stones_on_board(&b) == 0);

    /* handicap placed as consecutive black moves counts only when assumed */
    tg_rules cn = named("chinese");
    tg_board_init(&b, 9, 9);
    tg_history_init(&h, &b, TG_BLACK, &cn, 0);
    tg_history_play(&h, &b, L(&b, 2, 2), TG_BLACK, false);
    tg_history_play(&h, &b, L(&b, 6, 6), TG_BLACK, false);
    tg_history_play(&h, &b, L(&b, 2, 6), TG_BLACK, false);
    CHECK(h.white_handicap_bonus_score == 0.0f);
    tg_history_set_assume_multiple_starting_black_moves_are_handicap(&h, true);
    CHECK(h.white_handicap_bonus_score == 3.0f);
    /* the out-of-turn black moves were not strictly legal */
    CHECK(h.num_consec_valid_turns_this_game == 0);
    tg_history_free(&h);

    /* white passes between black placements are ignored; the count updates as black moves */
    tg_board_init(&b, 9, 9);
    tg_history_init(&h, &b, TG_BLACK, &cn, 0);
    tg_history_set_assume_multiple_starting_black_moves_are_handicap(&h, true);
    tg_history_play(&h, &b, L(&b, 2, 2), TG_BLACK, false);
    CHECK(h.white_handicap_bonus_score == 0.0f);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, false);
    tg_history_play(&h, &b, L(&b, 6, 6), TG_BLACK, false);
    CHECK(h.white_handicap_bonus_score == 2.0f);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, false);
    tg_history_play(&h, &b, L(&b, 2, 6), TG_BLACK, false);
    CHECK(h.white_handicap_bonus_score == 3.0f);
    tg_history_play(&h, &b, L(&b, 4, 4), TG_WHITE, false);
    tg_history_play(&h, &b, L(&b, 6, 2), TG_BLACK, false);
    CHECK(h.white_handicap_bonus_score == 3.0f && h.white_has_moved);
    tg_history_set_override_num_handicap_stones(&h, 5);
    CHECK(h.white_handicap_bonus_score == 5.0f);
    tg_history_free(&h);

    /* GTP-style play: out-of-turn black moves restart the history on the current board */
    tg_board_init(&b, 9, 9);
    tg_rules aga = named("aga");
    tg_history_init(&h, &b, TG_BLACK, &aga, 0);
    tg_history_set_assume_multiple_starting_black_moves_are_handicap(&h, true);
    CHECK(tg_history_play_as_root(&h, &b, L(&b, 2, 2), TG_BLACK, true));
    CHECK(tg_history_play_as_root(&h, &b, L(&b, 6, 6), TG_BLACK, true));
    CHECK(tg_history_play_as_root(&h, &b, L(&b, 2, 6), TG_BLACK, true));
    CHECK(h.num_moves == 1 && tg_board_num_stones_of(&h.initial_board, TG_BLACK) == 2);
    CHECK(h.assume_multiple_starting_black_moves_are_handicap);
    CHECK(h.white_handicap_bonus_score == 2.0f); /* N-1 with 3 stones */
    CHECK(!tg_history_play_as_root(&h, &b, L(&b, 2, 6), TG_WHITE, true)); /* occupied */
    tg_history_free(&h);

    /* the bonus enters the final score: area 5 + bonus 3 + komi 7.5 */
    setup(&b, 5, 5, k_walls);
    tg_history_init(&h, &b, TG_BLACK, &cn, 0);
    CHECK(h.white_handicap_bonus_score == 0.0f);
    tg_history_set_override_num_handicap_stones(&h, 3);
    tg_history_end_and_score_now(&h, &b, NULL);
    CHECK(h.final_white_minus_black_score == 15.5f);
    tg_history_free(&h);
}

/* ---- ko, superko and legality --------------------------------------------------------------- */

/* Send two, return one: Black's three-move sequence restores the starting stones with White to move. */
static const char *const k_send_two[] = {
    ".X.O..",
    "XOO...",
    "......",
    "......",
    "......",
    "......",
};

static void send_two_return_one(const char *rules_name, bool third_legal) {
    tg_board b;
    setup(&b, 6, 6, k_send_two);
    tg_rules r = named(rules_name);
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &r, 0);
    uint64_t start_hash = b.pos_hash;
    /* Black sends a second stone, making a two-stone chain in atari */
    must_play(&h, &b, L(&b, 2, 0), TG_BLACK);
    must_play(&h, &b, L(&b, 0, 0), TG_WHITE); /* captures two, no simple ko */
    CHECK(b.color[L(&b, 1, 0)] == TG_EMPTY && b.color[L(&b, 2, 0)] == TG_EMPTY && b.ko_loc == TG_NULL_LOC);
    /* returning one stone captures the white stone and recreates the start with White to move */
    CHECKF(tg_history_is_legal(&h, &b, L(&b, 1, 0), TG_BLACK) == third_legal, "%s", rules_name);
    CHECKF(h.super_ko_banned[L(&b, 1, 0)] == !third_legal, "%s", rules_name);
    CHECK(tg_history_is_legal_tolerant(&h, &b, L(&b, 1, 0), TG_BLACK));
    tg_history_play(&h, &b, L(&b, 1, 0), TG_BLACK, false);
    CHECK(b.pos_hash == start_hash && b.color[L(&b, 0, 0)] == TG_EMPTY);
    CHECK(h.num_consec_valid_turns_this_game == (third_legal ? 3 : 0));
    tg_history_free(&h);
}

static void test_send_two_return_one(void) {
    /* positional superko forbids the repeat; situational allows it (other player to move);
     * simple ko allows it */
    send_two_return_one("tromp-taylor", false);
    send_two_return_one("chinese-ogs", false);
    send_two_return_one("aga", true);
    send_two_return_one("new-zealand", true);
    send_two_return_one("chinese", true);
    send_two_return_one("japanese", true);

    /* Under simple ko the cycle is broken by Spight's rule: White passing a second time from the
     * same situation ends the game. */
    tg_board b;
    setup(&b, 6, 6, k_send_two);
    tg_rules cn = named("chinese");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &cn, 0);
    for (int cycle = 0; cycle < 2; cycle++) {
        must_play(&h, &b, L(&b, 2, 0), TG_BLACK);
        must_play(&h, &b, L(&b, 0, 0), TG_WHITE);
        must_play(&h, &b, L(&b, 1, 0), TG_BLACK);
        CHECK(!h.is_game_finished);
        CHECK(tg_history_pass_would_end_game(&h, &b, TG_WHITE) == (cycle == 1));
        must_play(&h, &b, TG_PASS_LOC, TG_WHITE);
        CHECK(h.consecutive_ending_passes == 1);
        CHECK(h.is_game_finished == (cycle == 1));
    }
    CHECK(h.is_scored && !h.is_no_result);
    tg_history_free(&h);
}

/* Three independent kos on a 9x9 board, each flipped by capturing in turn. */
static const char *const k_triple_ko[] = {
    "...XO....",
    "..XO.O...",
    "...XO....",
    "...XO....",
    "..XO.O...",
    "...XO....",
    "...XO....",
    "..X.XO...",
    "...XO....",
};

static const int k_triple_seq[6][3] = {
    /* x, y, player */
    {4, 1, TG_BLACK}, {3, 7, TG_WHITE}, {4, 4, TG_BLACK}, {3, 1, TG_WHITE}, {4, 7, TG_BLACK}, {3, 4, TG_WHITE},
};

static void test_triple_ko(void) {
    tg_board b;
    tg_history h;

    /* simple ko: every move is legal; the third occurrence of the position without a pass voids the game */
    tg_rules jp = named("japanese");
    setup(&b, 9, 9, k_triple_ko);
    uint64_t start = b.pos_hash;
    tg_history_init(&h, &b, TG_BLACK, &jp, 0);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 6; i++) {
            CHECK(!h.is_game_finished);
            tg_loc loc = L(&b, k_triple_seq[i][0], k_triple_seq[i][1]);
            tg_color pla = (tg_color)k_triple_seq[i][2];
            /* immediate recapture is the simple ko ban */
            if (i > 0) {
                CHECK(b.ko_loc != TG_NULL_LOC && !tg_history_is_legal(&h, &b, b.ko_loc, pla));
                CHECK(tg_history_is_legal_tolerant(&h, &b, b.ko_loc, pla));
            }
            must_play(&h, &b, loc, pla);
        }
        CHECK(b.pos_hash == start);
    }
    CHECK(h.is_game_finished && h.is_no_result && !h.is_scored && h.winner == TG_EMPTY);
    tg_history_free(&h);

    /* repetitions only count since the last pass */
    setup(&b, 9, 9, k_triple_ko);
    tg_history_init(&h, &b, TG_BLACK, &jp, 0);
    for (int i = 0; i < 6; i++)
        must_play(&h, &b, L(&b, k_triple_seq[i][0], k_triple_seq[i][1]), (tg_color)k_triple_seq[i][2]);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_BLACK, true);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, true);
    CHECK(h.is_past_normal_phase_end && h.encore_phase == 0 && h.num_ko_hashes == 1);
    for (int i = 0; i < 6; i++)
        tg_history_play(&h, &b, L(&b, k_triple_seq[i][0], k_triple_seq[i][1]), (tg_color)k_triple_seq[i][2], true);
    CHECK(!h.is_game_finished && !h.is_past_normal_phase_end);
    for (int i = 0; i < 6; i++)
        tg_history_play(&h, &b, L(&b, k_triple_seq[i][0], k_triple_seq[i][1]), (tg_color)k_triple_seq[i][2], true);
    CHECK(h.is_game_finished && h.is_no_result);
    tg_history_free(&h);

    /* superko (positional or situational): the sixth move would repeat the start */
    const char *superko_rules[] = {"tromp-taylor", "aga", "chinese-ogs", "new-zealand"};
    for (size_t k = 0; k < sizeof superko_rules / sizeof superko_rules[0]; k++) {
        tg_rules r = named(superko_rules[k]);
        setup(&b, 9, 9, k_triple_ko);
        tg_history_init(&h, &b, TG_BLACK, &r, 0);
        for (int i = 0; i < 5; i++)
            must_play(&h, &b, L(&b, k_triple_seq[i][0], k_triple_seq[i][1]), (tg_color)k_triple_seq[i][2]);
        tg_loc last = L(&b, k_triple_seq[5][0], k_triple_seq[5][1]);
        CHECKF(!tg_history_is_legal(&h, &b, last, TG_WHITE), "%s", superko_rules[k]);
        CHECKF(h.super_ko_banned[last], "%s", superko_rules[k]);
        CHECK(tg_history_play_tolerant(&h, &b, last, TG_WHITE, false));
        CHECK(b.pos_hash == start && h.num_consec_valid_turns_this_game == 0 && !h.is_game_finished);
        tg_history_free(&h);
    }
}

static void test_suicide(void) {
    /* Black (0,0) plus a move at (0,1) would be a two-stone group without liberties. */
    const char *const rows[] = {
        "XO...",
        ".O...",
        "O....",
        "....O",
        "...O.",
    };
    tg_board b;
    tg_history h;
    const struct { const char *rules; bool legal; } cases[] = {
        {"tromp-taylor", true}, {"new-zealand", true}, {"goe", true},
        {"chinese", false}, {"japanese", false}, {"aga", false}, {"stone-scoring", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tg_rules r = named(cases[i].rules);
        setup(&b, 5, 5, rows);
        tg_history_init(&h, &b, TG_BLACK, &r, 0);
        tg_loc m = L(&b, 0, 1);
        CHECKF(tg_history_is_legal(&h, &b, m, TG_BLACK) == cases[i].legal, "%s", cases[i].rules);
        CHECK(tg_history_is_legal_tolerant(&h, &b, m, TG_BLACK));
        CHECK(tg_history_play_tolerant(&h, &b, m, TG_BLACK, false));
        CHECK(b.color[L(&b, 0, 0)] == TG_EMPTY && b.color[m] == TG_EMPTY);
        CHECK(h.was_ever_occupied_or_played[m] && h.was_ever_occupied_or_played[L(&b, 0, 0)]);
        CHECK(h.num_consec_valid_turns_this_game == (cases[i].legal ? 1 : 0));
        /* single-stone suicide is never allowed, not even tolerantly */
        CHECK(!tg_history_is_legal_tolerant(&h, &b, L(&b, 4, 4), TG_BLACK));
        CHECK(!tg_history_play_tolerant(&h, &b, L(&b, 4, 4), TG_BLACK, false));
        CHECK(tg_history_is_legal(&h, &b, L(&b, 4, 4), TG_WHITE));
        CHECK(h.num_moves == 1);
        /* occupied and off-board points */
        CHECK(!tg_history_is_legal_tolerant(&h, &b, L(&b, 1, 0), TG_WHITE));
        CHECK(!tg_history_is_legal(&h, &b, L(&b, 1, 0), TG_WHITE));
        CHECK(!tg_history_is_legal_tolerant(&h, &b, TG_NULL_LOC, TG_WHITE));
        CHECK(!tg_history_is_legal_tolerant(&h, &b, L(&b, 1, 1), TG_EMPTY));
        /* out of turn is strictly illegal but tolerated */
        CHECK(!tg_history_is_legal(&h, &b, L(&b, 2, 3), TG_BLACK));
        CHECK(tg_history_is_legal(&h, &b, L(&b, 2, 3), TG_WHITE));
        CHECK(tg_history_is_legal_tolerant(&h, &b, L(&b, 2, 3), TG_BLACK));
        CHECK(tg_history_is_legal(&h, &b, TG_PASS_LOC, TG_WHITE));
        tg_history_free(&h);
    }
}

/* ---- encore ko rules ------------------------------------------------------------------------ */

static void test_encore_ko(void) {
    /* One ko on an otherwise empty 9x9 board, White's stone in it at (3,1). */
    const char *const rows[] = {
        "...XO....", "..XO.O...", "...XO....", ".........", ".........",
        ".........", ".........", ".........", ".........",
    };
    tg_board b;
    setup(&b, 9, 9, rows);
    tg_rules jp = named("japanese");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &jp, 0);
    uint64_t start = b.pos_hash;
    tg_loc left = L(&b, 3, 1), right = L(&b, 4, 1);
    float bonus0 = h.white_bonus_score;

    tg_history_play(&h, &b, TG_PASS_LOC, TG_BLACK, false);
    tg_history_play(&h, &b, TG_PASS_LOC, TG_WHITE, false);
    CHECK(h.encore_phase == 1);

    /* Black takes the ko: the capturing stone is marked recapture-blocked, the simple ko is dropped */
    must_play(&h, &b, right, TG_BLACK);
    CHECK(b.color[left] == TG_EMPTY && b.ko_loc == TG_NULL_LOC);
    CHECK(h.ko_recap_blocked[right] && h.ko_recap_block_hash != 0);
    CHECK(h.white_bonus_score == bonus0 + 1.0f);
    /* White's retake is an unblock action ("pass for ko"): legal, board unchanged */
    CHECK(tg_history_is_pass_for_ko(&h, &b, left, TG_WHITE));
    CHECK(tg_history_is_pass_for_ko(&h, &b, right, TG_WHITE));
    CHECK(!tg_history_is_pass_for_ko(&h, &b, L(&b, 7, 7), TG_WHITE));
    uint64_t before = b.pos_hash;
    must_play(&h, &b, left, TG_WHITE);
    CHECK(b.pos_hash == before && b.color[left] == TG_EMPTY);
    CHECK(!h.ko_recap_blocked[right] && h.ko_recap_block_hash == 0);
    CHECK(h.white_bonus_score == bonus0 + 1.0f);
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    /* now White really retakes, returning to the starting stones */
    CHECK(!tg_history_is_pass_for_ko(&h, &b, left, TG_WHITE));
    must_play(&h, &b, left, TG_WHITE);
    CHECK(b.pos_hash == start && h.ko_recap_blocked[left]);
    CHECK(h.white_bonus_score == bonus0);
    /* Black's answer at the ko is again only an unblock */
    CHECK(tg_history_is_pass_for_ko(&h, &b, right, TG_BLACK));
    must_play(&h, &b, right, TG_BLACK);
    CHECK(b.pos_hash == start && !h.ko_recap_blocked[left]);
    must_play(&h, &b, TG_PASS_LOC, TG_WHITE);
    /* Black already captured this ko from this very position in this phase: not again */
    CHECK(h.super_ko_banned[right]);
    CHECK(!tg_history_is_legal(&h, &b, right, TG_BLACK));
    CHECK(tg_history_is_legal_tolerant(&h, &b, right, TG_BLACK));
    CHECK(h.encore_phase == 1 && !h.is_game_finished);
    /* Black passes: second consecutive pass, phase 2 starts with the blocks and bans cleared */
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    CHECK(h.encore_phase == 2 && !h.super_ko_banned[right] && h.num_ko_captures_in_encore == 0);
    CHECK(h.presumed_next_pla == TG_WHITE && !tg_history_is_legal(&h, &b, right, TG_BLACK));
    CHECK(tg_history_is_legal(&h, &b, right, TG_WHITE));
    tg_history_free(&h);
}

/* ---- recent boards, copy, undo -------------------------------------------------------------- */

static bool boards_equal(const tg_board *a, const tg_board *b) {
    if (a->xsize != b->xsize || a->ysize != b->ysize || a->pos_hash != b->pos_hash || a->ko_loc != b->ko_loc ||
        a->num_black_captures != b->num_black_captures || a->num_white_captures != b->num_white_captures)
        return false;
    for (int y = 0; y < a->ysize; y++)
        for (int x = 0; x < a->xsize; x++)
            if (a->color[tg_loc_of(x, y, a->xsize)] != b->color[tg_loc_of(x, y, a->xsize)])
                return false;
    return true;
}

static bool histories_equal(const tg_history *a, const tg_history *b) {
    bool same = tg_rules_equal(&a->rules, &b->rules) && a->num_moves == b->num_moves &&
                a->num_ko_hashes == b->num_ko_hashes && a->first_turn_with_ko_history == b->first_turn_with_ko_history &&
                boards_equal(&a->initial_board, &b->initial_board) && a->initial_pla == b->initial_pla &&
                a->presumed_next_pla == b->presumed_next_pla && a->consecutive_ending_passes == b->consecutive_ending_passes &&
                a->num_hbbp == b->num_hbbp && a->num_hbwp == b->num_hbwp && a->encore_phase == b->encore_phase &&
                a->num_turns_this_phase == b->num_turns_this_phase &&
                a->num_approx_valid_turns_this_phase == b->num_approx_valid_turns_this_phase &&
                a->num_consec_valid_turns_this_game == b->num_consec_valid_turns_this_game &&
                a->ko_recap_block_hash == b->ko_recap_block_hash &&
                a->num_ko_captures_in_encore == b->num_ko_captures_in_encore &&
                a->white_bonus_score == b->white_bonus_score &&
                a->white_handicap_bonus_score == b->white_handicap_bonus_score && a->has_button == b->has_button &&
                a->is_past_normal_phase_end == b->is_past_normal_phase_end && a->is_game_finished == b->is_game_finished &&
                a->winner == b->winner && a->final_white_minus_black_score == b->final_white_minus_black_score &&
                a->is_scored == b->is_scored && a->is_no_result == b->is_no_result &&
                a->white_has_moved == b->white_has_moved && a->initial_turn_number == b->initial_turn_number &&
                a->current_recent_board_idx == b->current_recent_board_idx;
    if (!same)
        return false;
    for (int i = 0; i < a->num_moves; i++)
        if (a->moves[i].loc != b->moves[i].loc || a->moves[i].pla != b->moves[i].pla ||
            a->prevent_encore[i] != b->prevent_encore[i])
            return false;
    for (int i = 0; i < a->num_ko_hashes; i++)
        if (a->ko_hashes[i] != b->ko_hashes[i])
            return false;
    if (memcmp(a->super_ko_banned, b->super_ko_banned, sizeof a->super_ko_banned) != 0 ||
        memcmp(a->was_ever_occupied_or_played, b->was_ever_occupied_or_played, sizeof a->was_ever_occupied_or_played) != 0 ||
        memcmp(a->ko_recap_blocked, b->ko_recap_blocked, sizeof a->ko_recap_blocked) != 0 ||
        memcmp(a->second_encore_start_colors, b->second_encore_start_colors, sizeof a->second_encore_start_colors) != 0)
        return false;
    for (int i = 0; i < TG_NUM_RECENT_BOARDS; i++)
        if (!boards_equal(tg_history_recent_board(a, i), tg_history_recent_board(b, i)))
            return false;
    return true;
}

static void test_recent_boards(void) {
    tg_board b;
    tg_board_init(&b, 9, 9);
    tg_board start = b;
    tg_rules tt = named("tromp-taylor");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    for (int i = 0; i < TG_NUM_RECENT_BOARDS; i++)
        CHECK(boards_equal(tg_history_recent_board(&h, i), &start));
    must_play(&h, &b, L(&b, 2, 2), TG_BLACK);
    tg_board after1 = b;
    must_play(&h, &b, L(&b, 6, 6), TG_WHITE);
    CHECK(boards_equal(tg_history_recent_board(&h, 0), &b));
    CHECK(boards_equal(tg_history_recent_board(&h, 1), &after1));
    CHECK(boards_equal(tg_history_recent_board(&h, 2), &start));
    CHECK(boards_equal(tg_history_recent_board(&h, 5), &start));
    CHECK(h.was_ever_occupied_or_played[L(&b, 2, 2)] && !h.was_ever_occupied_or_played[L(&b, 3, 3)]);
    CHECK(tg_history_current_turn_number(&h) == 2);
    tg_history_set_initial_turn_number(&h, 10);
    CHECK(tg_history_current_turn_number(&h) == 12);
    tg_history_free(&h);
}

static void test_copy_and_undo(void) {
    tg_board b, replay_board;
    tg_history h, replay, copy;
    tg_rules jp = named("japanese");

    /* A game with ko captures, passes into the encore and a pass-for-ko, under territory rules. */
    const char *const rows[] = {
        "...XO....", "..XO.O...", "...XO....", ".........", ".........",
        ".........", ".........", ".........", ".........",
    };
    struct { int x, y; tg_color pla; bool prevent; } seq[] = {
        {4, 1, TG_BLACK, false}, {6, 6, TG_WHITE, false}, {2, 6, TG_BLACK, false}, {3, 1, TG_WHITE, false},
        {-1, -1, TG_BLACK, false}, {-1, -1, TG_WHITE, false}, {4, 1, TG_BLACK, false}, {3, 1, TG_WHITE, false},
        {6, 2, TG_BLACK, false}, {3, 1, TG_WHITE, false}, {-1, -1, TG_BLACK, false},
    };
    int n = (int)(sizeof seq / sizeof seq[0]);
    setup(&b, 9, 9, rows);
    tg_history_init(&h, &b, TG_BLACK, &jp, 0);
    tg_history_set_initial_turn_number(&h, 7);
    for (int i = 0; i < n; i++) {
        tg_loc loc = seq[i].x < 0 ? TG_PASS_LOC : L(&b, seq[i].x, seq[i].y);
        CHECKF(tg_history_play_tolerant(&h, &b, loc, seq[i].pla, seq[i].prevent), "move %d", i);
    }
    CHECK(h.encore_phase == 1);

    memset(&copy, 0, sizeof copy);
    tg_history_copy(&copy, &h);
    CHECK(histories_equal(&copy, &h) && copy.moves != h.moves && copy.ko_hashes != h.ko_hashes);

    for (int undo = 1; undo <= n; undo += 3) {
        tg_history u;
        memset(&u, 0, sizeof u);
        tg_history_copy(&u, &h);
        tg_board ub = b;
        CHECK(tg_history_undo(&u, &ub, undo));
        /* fresh replay of all but the last `undo` moves */
        setup(&replay_board, 9, 9, rows);
        tg_history_init(&replay, &replay_board, TG_BLACK, &jp, 0);
        tg_history_set_initial_turn_number(&replay, 7);
        for (int i = 0; i < n - undo; i++) {
            tg_loc loc = seq[i].x < 0 ? TG_PASS_LOC : L(&replay_board, seq[i].x, seq[i].y);
            tg_history_play(&replay, &replay_board, loc, seq[i].pla, seq[i].prevent);
        }
        CHECKF(boards_equal(&ub, &replay_board), "undo %d", undo);
        CHECKF(histories_equal(&u, &replay), "undo %d", undo);
        CHECK(tg_history_current_turn_number(&u) == 7 + n - undo);
        tg_history_free(&replay);
        tg_history_free(&u);
    }
    /* undo 0 replays everything and changes nothing */
    tg_board before = b;
    CHECK(tg_history_undo(&h, &b, 0));
    CHECK(boards_equal(&b, &before) && histories_equal(&h, &copy));
    CHECK(!tg_history_undo(&h, &b, n + 1));
    CHECK(!tg_history_undo(&h, &b, -1));
    CHECK(histories_equal(&h, &copy));

    /* copies are independent */
    tg_history_play(&copy, &before, TG_PASS_LOC, TG_WHITE, false);
    CHECK(copy.num_moves == h.num_moves + 1);
    tg_history_copy(&copy, &copy);
    tg_history_copy(&copy, &h);
    CHECK(histories_equal(&copy, &h));
    tg_history_free(&copy);
    tg_history_free(&h);
    tg_history_free(&h); /* freeing twice is harmless */

    /* clear restarts completely */
    tg_board_init(&b, 7, 7);
    tg_rules tt = named("tromp-taylor");
    tg_history_init(&h, &b, TG_WHITE, &tt, 0);
    must_play(&h, &b, L(&b, 3, 3), TG_WHITE);
    tg_history_clear(&h, &b, TG_BLACK, &jp, 0);
    CHECK(h.num_moves == 0 && h.num_ko_hashes == 1 && h.presumed_next_pla == TG_BLACK);
    CHECK(h.was_ever_occupied_or_played[L(&b, 3, 3)] && h.white_bonus_score == -1.0f);
    CHECK(h.rules.scoring_rule == TG_SCORING_TERRITORY);
    tg_history_free(&h);
}

static void test_self_komi_and_friendly_pass(void) {
    tg_board b;
    setup(&b, 5, 5, k_walls);
    tg_rules cn = named("chinese");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &cn, 0);
    CHECK(tg_history_current_self_komi(&h, TG_WHITE, 0.5) == 7.5f);
    CHECK(tg_history_current_self_komi(&h, TG_BLACK, 0.5) == -7.5f);
    tg_history_set_komi(&h, 7.0f);
    /* integer komi: a draw is possible, its value shifts the komi */
    CHECK(tg_history_current_self_komi(&h, TG_WHITE, 0.75) == 7.25f);
    /* chinese has friendlyPassOk: a plain second pass is suppressed in search, not a spight-like one */
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    CHECK(tg_history_should_suppress_end_game_from_friendly_pass(&h, &b, TG_WHITE));
    tg_history_free(&h);

    tg_rules tt = named("tromp-taylor");
    setup(&b, 5, 5, k_walls);
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    must_play(&h, &b, TG_PASS_LOC, TG_BLACK);
    CHECK(!tg_history_should_suppress_end_game_from_friendly_pass(&h, &b, TG_WHITE));
    tg_history_free(&h);
}

int main(void) {
    test_area_two_passes();
    test_spight_ko_rule_ending();
    test_territory_encore();
    test_territory_with_capture();
    test_seki_and_tax();
    test_all_pass_alive();
    test_button();
    test_handicap();
    test_send_two_return_one();
    test_triple_ko();
    test_suicide();
    test_encore_ko();
    test_recent_boards();
    test_copy_and_undo();
    test_self_komi_and_friendly_pass();
    return check_finish("test_history");
}
