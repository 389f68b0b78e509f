/* Time allocation: tg_time_get_time and tg_time_round_up_limit against values worked out by hand from
 * KataGo's TimeControls::getTime / roundUpTimeLimitIfNeeded formulas. Each case's comment shows the
 * arithmetic; "lag" is the lag buffer, taken off a time t as t - lag, or t/2 when t < 2*lag.
 *
 * Moves left for a board of area A with S stones (halved: we play half the moves):
 *   absolute  = max(0.95A + 20 - S, 0.15A + 30) / 2
 *   increment = max(0.75A + 15 - S, 0.10A + 20) / 2
 *   byo-yomi  = max(0.50A + 10 - S, 0.02A + 4) / 2
 * 19x19 empty: 181.475, 142.875, 95.25.   9x9 empty: 48.475, 37.875, 25.25. */
#include <math.h>

#include "check.h"
#include "board.h"
#include "history.h"
#include "search/timecontrols.h"

#define E 2.718281828459045

static tg_board board_with_stones(int size, int n) {
    /* Black stones everywhere but where (x + 2y) % 5 == 0; every point has such a neighbour or is one,
     * so each stone keeps a liberty. */
    tg_board b;
    tg_board_init(&b, size, size);
    int placed = 0;
    for (int y = 0; y < size && placed < n; y++)
        for (int x = 0; x < size && placed < n; x++)
            if ((x + 2 * y) % 5 != 0 && tg_board_set_stone(&b, tg_loc_of(x, y, size), TG_BLACK))
                placed++;
    if (tg_board_num_stones(&b) != n) {
        fprintf(stderr, "could not place %d stones\n", n);
        exit(2);
    }
    return b;
}

static bool near(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)); }

/* Checks min, recommended and max for one clock, board and lag. */
static void expect(int line, const tg_time_controls *tc, const tg_board *b, double lag, double lo, double rec,
                   double hi) {
    double got_lo, got_rec, got_hi;
    tg_time_get_time(tc, b, NULL, lag, &got_lo, &got_rec, &got_hi);
    CHECKF(near(got_lo, lo) && near(got_rec, rec) && near(got_hi, hi),
           "line %d: got min/rec/max %.9g %.9g %.9g, want %.9g %.9g %.9g", line, got_lo, got_rec, got_hi, lo, rec,
           hi);
}
#define EXPECT(tc, b, lag, lo, rec, hi) expect(__LINE__, tc, b, lag, lo, rec, hi)

static void expect_round(int line, const tg_time_controls *tc, double lag, double used, double limit, double want) {
    double got = tg_time_round_up_limit(tc, lag, used, limit);
    CHECKF(near(got, want), "line %d: round_up(lag %g, used %g, limit %g) = %.9g, want %.9g", line, lag, used, limit,
           got, want);
}
#define EXPECT_ROUND(tc, lag, used, limit, want) expect_round(__LINE__, tc, lag, used, limit, want)

static tg_time_controls left(tg_time_controls tc, double seconds, int stones) {
    const char *err = NULL;
    if (!tg_time_set_left(&tc, seconds, stones, &err)) {
        fprintf(stderr, "time_left refused: %s\n", err);
        exit(2);
    }
    return tc;
}

static void test_unlimited(const tg_board *b19) {
    tg_time_controls tc = tg_time_unlimited();
    CHECK(tg_time_is_unlimited(&tc));
    CHECK(tg_time_check(&tc, NULL));
    double lo, rec, hi;
    tg_time_get_time(&tc, b19, NULL, 1.0, &lo, &rec, &hi);
    /* spare = 1e30 - 1; rec = spare / 181.475 - 1; max = spare / 5 - 1: both far past any real limit. */
    CHECK(lo == 0.0);
    CHECK(near(rec, 1e30 / 181.475));
    CHECK(near(hi, 1e30 / 5.0));
    CHECK(rec > TG_UNLIMITED_TIME_THRESHOLD && hi > TG_UNLIMITED_TIME_THRESHOLD);
    EXPECT_ROUND(&tc, 1.0, 3.0, 4.0, 4.0);

    tg_time_controls abs600 = tg_time_absolute(600);
    CHECK(!tg_time_is_unlimited(&abs600));
    /* A huge clock with a per-move cap is limited. */
    tg_time_controls capped = tg_time_fischer_capped(1e25, 0, 1e25, 20);
    CHECK(!tg_time_is_unlimited(&capped));
    tg_time_controls byo = tg_time_byoyomi(0, 30, 5, 1);
    CHECK(!tg_time_is_unlimited(&byo));
}

static void test_absolute(const tg_board *b19, const tg_board *b19_mid, const tg_board *b19_late,
                          const tg_board *b9, const tg_board *b9_mid, const tg_board *b9_late) {
    /* 1h, 19x19 empty, lag 1: spare = 3599; rec = min(3599/142.875, 3599/181.475 + 0) - 1 = 3599/181.475 - 1
     * = 18.83193...; max = min(3600, 3599/5) - 1 = 718.8; min = min(1800, max(0, 3600 - limit)) = 0. */
    tg_time_controls tc = tg_time_absolute(3600);
    EXPECT(&tc, b19, 1.0, 0.0, 3599.0 / 181.475 - 1.0, 718.8);
    CHECK(fabs((3599.0 / 181.475 - 1.0) - 18.831932) < 1e-6);
    /* Absolute clocks are never rounded up. */
    EXPECT_ROUND(&tc, 1.0, 17.0, 18.0, 18.0);

    /* 10 minutes left, 200 stones on 19x19: moves left absolute (362.95-200)/2 = 81.475, increment
     * (285.75-200)/2 = 42.875; spare 599; rec = 599/81.475 - 1 = 6.35195...; max = 119.8 - 1 = 118.8. */
    tc = left(tg_time_absolute(3600), 600, 0);
    EXPECT(&tc, b19_mid, 1.0, 0.0, 599.0 / 81.475 - 1.0, 118.8);
    CHECK(fabs((599.0 / 81.475 - 1.0) - 6.351948) < 1e-6);
    /* 280 stones: 362.95-280 = 82.95 is below the floor 0.15*361+30 = 84.15, so 42.075 moves left;
     * rec = 599/42.075 - 1 = 13.23648... */
    EXPECT(&tc, b19_late, 1.0, 0.0, 599.0 / 42.075 - 1.0, 118.8);
    CHECK(fabs((599.0 / 42.075 - 1.0) - 13.236482) < 1e-6);

    /* 5 minutes on 9x9, empty: spare 299; rec = 299/48.475 - 1 = 5.16813...; max = min(300, 59.8) - 1 = 58.8. */
    tc = tg_time_absolute(300);
    EXPECT(&tc, b9, 1.0, 0.0, 299.0 / 48.475 - 1.0, 58.8);
    CHECK(fabs((299.0 / 48.475 - 1.0) - 5.168128) < 1e-6);
    /* 50 stones: absolute max(96.95-50, 42.15)/2 = 23.475; increment max(75.75-50, 28.1)/2 = 14.05;
     * rec = min(299/14.05, 299/23.475) - 1 = 11.73695... */
    EXPECT(&tc, b9_mid, 1.0, 0.0, 299.0 / 23.475 - 1.0, 58.8);
    CHECK(fabs((299.0 / 23.475 - 1.0) - 11.736954) < 1e-6);
    /* 60 stones: 96.95-60 = 36.95 < floor 42.15, so 21.075; rec = 299/21.075 - 1 = 13.18743... */
    EXPECT(&tc, b9_late, 1.0, 0.0, 299.0 / 21.075 - 1.0, 58.8);

    /* Lag larger than what is left: 1.5 s, lag 1: spare = 1.5/2 = 0.75; rec = 0.75/181.475 = 0.0041328,
     * halved again by the final lag (< 2): 0.0020664; max = min(1.5, 0.75/5) = 0.15, halved: 0.075. */
    tc = left(tg_time_absolute(3600), 1.5, 0);
    EXPECT(&tc, b19, 1.0, 0.0, 0.75 / 181.475 * 0.5, 0.075);

    /* A controller reporting negative time: everything clamps to zero. */
    tc = left(tg_time_absolute(3600), -2, 0);
    EXPECT(&tc, b19, 1.0, 0.0, 0.0, 0.0);
    /* No lag: 600 s, 19x19 empty: rec = 600/181.475, max = 120. */
    tc = left(tg_time_absolute(3600), 600, 0);
    EXPECT(&tc, b19, 0.0, 0.0, 600.0 / 181.475, 120.0);
}

static void test_fischer(const tg_board *b19) {
    /* 600 s left, +10 s, lag 1: spare = (600-10) - 1 = 589; rec = 10 + min(589/142.875, 589/181.475 + 20)
     * = 10 + 4.12248... = 14.12248, minus lag 13.12248; max = min(600, 10 + 589/5 = 127.8) - 1 = 126.8. */
    tg_time_controls tc = left(tg_time_fischer(3600, 10), 600, 0);
    EXPECT(&tc, b19, 1.0, 0.0, 10.0 + 589.0 / 142.875 - 1.0, 126.8);
    CHECK(fabs((10.0 + 589.0 / 142.875 - 1.0) - 13.122484) < 1e-6);
    EXPECT_ROUND(&tc, 1.0, 13.0, 13.12, 13.12);

    /* Lag 5: spare 585; rec = 10 + 585/142.875 - 5 = 9.09449...; max = 10 + 117 - 5 = 122. */
    EXPECT(&tc, b19, 5.0, 0.0, 10.0 + 585.0 / 142.875 - 5.0, 122.0);

    /* Tiny increment 0.1: spare = 599.9 - 1 = 598.9; 598.9/142.875 = 4.1918 exceeds the absolute pace
     * 598.9/181.475 + 0.2 = 3.5002, which wins; rec = 0.1 + 3.5002 - 1 = 2.60018...;
     * max = min(600, 0.1 + 119.78) - 1 = 118.88. */
    tc = left(tg_time_fischer(3600, 0.1), 600, 0);
    EXPECT(&tc, b19, 1.0, 0.0, 0.1 + (598.9 / 181.475 + 0.2) - 1.0, 118.88);

    /* Less left than the increment: 8 s, +10: rec = (8 - 1) - 1 = 6 (lag twice), max = 8 - 1 = 7, min = 0. */
    tc = left(tg_time_fischer(3600, 10), 8, 0);
    EXPECT(&tc, b19, 1.0, 0.0, 6.0, 7.0);

    /* Capped: main 600, +10, main time limit 600, at most 20 s a move. min = min(600/2, 600 + 10 - 600) = 10,
     * minus lag 9; rec as above 13.12248; max = min(127.8, 20) - 1 = 19. */
    tc = tg_time_fischer_capped(600, 10, 600, 20);
    CHECK(tg_time_check(&tc, NULL));
    EXPECT(&tc, b19, 1.0, 9.0, 10.0 + 589.0 / 142.875 - 1.0, 19.0);
    /* A cap below the recommendation pulls it down: at most 5 s a move gives 4, 4, 4 (min 9 > max 4). */
    tc = tg_time_fischer_capped(600, 10, 600, 5);
    EXPECT(&tc, b19, 1.0, 4.0, 4.0, 4.0);

    const char *err = NULL;
    tc = tg_time_fischer_capped(600, 10, 500, 20);
    CHECK(!tg_time_check(&tc, &err) && err != NULL);
}

static void test_byoyomi(const tg_board *b19, const tg_board *b9) {
    /* Japanese 10 min + 5 x 30 s, in main time, 19x19 empty, lag 1. 30 s a move in byo-yomi.
     * Optimal pace (600/30)/e = 7.3576 moves, below 95.25 so stretched to min(95.25, 1.75 * 7.3576) = 35/e;
     * share = min(600 e/35 = 46.5991, 600/181.475 + 90) = 46.5991 >= 30; rec = 600e/35 - 1 = 45.59912.
     * max = 30/(0.75+0.25) + max(min(52.5, 600), 120) = 150, minus lag 149. */
    tg_time_controls tc = tg_time_byoyomi(600, 30, 5, 1);
    CHECK(tg_time_check(&tc, NULL));
    EXPECT(&tc, b19, 1.0, 0.0, 600.0 * E / 35.0 - 1.0, 149.0);
    CHECK(fabs((600.0 * E / 35.0 - 1.0) - 45.599117) < 1e-6);
    /* Plenty of main time: no rounding. */
    EXPECT_ROUND(&tc, 1.0, 10.0, 45.6, 45.6);

    /* 7 periods of 20 s: the 2 beyond the 5 reserved count as main time, 640 s. Optimal 32/e, stretched to
     * 56/e; share = 640e/56 = 31.0661 (>= 20, < 640/181.475 + 60); rec 30.0661;
     * max = 20 + max(35, 128) = 148, minus lag 147. */
    tc = tg_time_byoyomi(600, 20, 7, 1);
    EXPECT(&tc, b19, 1.0, 0.0, 640.0 * E / 56.0 - 1.0, 147.0);

    /* 9x9, 1 min + 5 x 10 s: optimal 6/e = 2.207 moves, stretched to min(25.25, 10.5/e = 3.8627);
     * share = 60e/10.5 = 15.5330 (not < 15); rec 14.5330; max = 10 + max(min(17.5, 60), 12) - 1 = 26.5. */
    tc = tg_time_byoyomi(60, 10, 5, 1);
    EXPECT(&tc, b9, 1.0, 0.0, 60.0 * E / 10.5 - 1.0, 26.5);

    /* Only 20 s of main time left (5 x 30 s): pace gives < 1 move, so share = min(20, ...) = 20, raised to
     * the 30 s byo-yomi time, and since that is < 45 with 20 < 45 it becomes 20 + 30 = 50; rec 49.
     * max = 30 + max(min(52.5, 20), 4) = 50 (not < 20 + 30, so kept), minus lag 49. */
    tc = left(tg_time_byoyomi(600, 30, 5, 1), 20, 0);
    EXPECT(&tc, b19, 1.0, 0.0, 49.0, 49.0);
    /* After 10 s only 10 s of main time remain (< 15): use them and the period less lag: 10 + 10 + 29 = 49. */
    EXPECT_ROUND(&tc, 1.0, 10.0, 40.0, 49.0);
    EXPECT_ROUND(&tc, 1.0, 0.0, 40.0, 40.0); /* 20 s left is not < 15 */
    /* The same with a single period: entering it is fatal to overrun, so lag doubles: 50 - 2 = 48. */
    tc = left(tg_time_byoyomi(600, 30, 1, 1), 20, 0);
    EXPECT(&tc, b19, 1.0, 0.0, 48.0, 48.0);

    /* Main time reported slightly negative (-3): 27 s into the first of 5 periods. Giving up the period
     * needs 27 - 1 = 26 < (15 - 1) * 4/4 = 14: no. min = rec = max = 27 (1 stone), minus lag 26. */
    tc = left(tg_time_byoyomi(600, 30, 5, 1), -3, 0);
    EXPECT(&tc, b19, 1.0, 26.0, 26.0, 26.0);

    /* In overtime, KGS style (stones = periods left): 25 s in the current period, 3 periods.
     * 24 < 14 * 2/4 = 7? no. All three are 25, minus lag 24. */
    tc = left(tg_time_byoyomi(600, 30, 5, 1), 25, 3);
    CHECK(tg_time_check(&tc, NULL));
    EXPECT(&tc, b19, 1.0, 24.0, 24.0, 24.0);
    /* Last stone of the period: the rest would be wasted, so the limit is raised to 25 - 1 = 24. */
    EXPECT_ROUND(&tc, 1.0, 0.0, 10.0, 24.0);
    EXPECT_ROUND(&tc, 1.0, 10.0, 12.0, 24.0); /* (10 + 15) - 1 */
    EXPECT_ROUND(&tc, 1.0, 0.0, 30.0, 30.0);  /* never lowered */
    /* Only 5 s left in the period with 3 periods: 4 < 7, so spend this period: 35 s, minus lag 34. */
    tc = left(tg_time_byoyomi(600, 30, 5, 1), 5, 3);
    EXPECT(&tc, b19, 1.0, 34.0, 34.0, 34.0);
    /* Negative time in a period rolls into the next: -5 with 3 periods is 25 s of the second. */
    tc = left(tg_time_byoyomi(600, 30, 5, 1), -5, 3);
    EXPECT(&tc, b19, 1.0, 24.0, 24.0, 24.0);
    /* Last period: 10 s, lag doubled: 8. */
    tc = left(tg_time_byoyomi(600, 30, 5, 1), 10, 1);
    EXPECT(&tc, b19, 1.0, 8.0, 8.0, 8.0);
    /* The period ran out: probably lost on time, limit unchanged. */
    EXPECT_ROUND(&tc, 1.0, 12.0, 11.0, 11.0);
}

static void test_canadian(const tg_board *b19) {
    /* Canadian 10 min + 25 stones in 5 min: 12 s a stone, generous per move 300/(0.75*25 + 0.25) = 300/19.
     * In main time: optimal (600/12)/e = 50/e, stretched to 87.5/e; share = 600e/87.5 = 18.6397 (>= 12);
     * rec 17.6397. max = 300/19 + max(min(1.75 * 300/19, 600), 120) = 135.7895, minus lag 134.7895. */
    tg_time_controls tc = tg_time_byoyomi(600, 300, 1, 25);
    CHECK(tg_time_check(&tc, NULL));
    EXPECT(&tc, b19, 1.0, 0.0, 600.0 * E / 87.5 - 1.0, 300.0 / 19.0 + 120.0 - 1.0);

    /* 5 s of main time left: share 5 < 12 -> 12, < 18 with 5 < 18 -> 5 + 12 = 17; rec 16.
     * max = 300/19 + max(min(27.63, 5), 1) = 20.7895 (equal to 5 + 300/19, so unchanged; no lag doubling
     * with 25 stones a period), minus lag 19.7895. */
    tc = left(tg_time_byoyomi(600, 300, 1, 25), 5, 0);
    EXPECT(&tc, b19, 1.0, 0.0, 16.0, 300.0 / 19.0 + 5.0 - 1.0);
    /* 5 < 12/2: use up main time plus a bit of the period: bit = min(max(1, 0.01 * 11), 11) = 1 -> 0 + 5 + 1. */
    EXPECT_ROUND(&tc, 1.0, 0.0, 2.0, 6.0);
    /* 5.5 s used: 0.5 s into overtime, less than the bit, so wait until 1 s in: 5.5 + 1 - 0.5 = 6. */
    EXPECT_ROUND(&tc, 1.0, 5.5, 5.6, 6.0);
    /* 7 s used: 2 s in, counted already: unchanged. */
    EXPECT_ROUND(&tc, 1.0, 7.0, 7.5, 7.5);

    /* Overtime, 10 stones in 120 s: min 0, rec 12, max 120/7.75 = 15.4839; minus lag 11 and 14.4839. */
    tc = left(tg_time_byoyomi(600, 300, 1, 25), 120, 10);
    CHECK(tg_time_check(&tc, NULL));
    EXPECT(&tc, b19, 1.0, 0.0, 11.0, 120.0 / 7.75 - 1.0);
    /* Several stones to play: nothing to gain by waiting. */
    EXPECT_ROUND(&tc, 1.0, 0.0, 11.0, 11.0);
    /* Stones are capped at the period's 25. 120/25 = 4.8 - 1 = 3.8; max 120/19 - 1. */
    tc = left(tg_time_byoyomi(600, 300, 1, 25), 120, 40);
    EXPECT(&tc, b19, 1.0, 0.0, 3.8, 120.0 / 19.0 - 1.0);
    /* Last stone, 20 s: all 20, lag doubled (this period is the last): 18. */
    tc = left(tg_time_byoyomi(600, 300, 1, 25), 20, 1);
    EXPECT(&tc, b19, 1.0, 18.0, 18.0, 18.0);
    EXPECT_ROUND(&tc, 1.0, 5.0, 6.0, 19.0); /* (5 + 15) - 1 */
}

/* Whatever the clock, the three times are ordered, never negative, and rounding never lowers a limit. */
static void test_invariants(const tg_board *boards[], int nboards) {
    tg_time_controls shapes[] = {
        tg_time_absolute(3600),         tg_time_fischer(600, 10),      tg_time_fischer_capped(600, 5, 900, 15),
        tg_time_byoyomi(600, 30, 5, 1), tg_time_byoyomi(60, 10, 8, 1), tg_time_byoyomi(600, 300, 1, 25),
        tg_time_byoyomi(0, 30, 1, 1),
    };
    double lags[] = {0.0, 0.5, 1.0, 5.0};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int bi = 0; bi < nboards; bi++)
            for (size_t li = 0; li < sizeof lags / sizeof lags[0]; li++)
                for (double t = -9.5; t < 700; t += 3.7)
                    for (int stones = 0; stones <= (shapes[s].original_num_periods > 0 ? 30 : 0); stones += 3) {
                        tg_time_controls tc = left(shapes[s], t, stones);
                        double lo, rec, hi;
                        tg_time_get_time(&tc, boards[bi], NULL, lags[li], &lo, &rec, &hi);
                        bool ok = lo >= 0 && lo <= rec && rec <= hi && isfinite(hi);
                        double r = tg_time_round_up_limit(&tc, lags[li], rec * 0.5, rec);
                        ok = ok && r >= rec && isfinite(r);
                        if (!ok) {
                            CHECKF(false, "shape %zu board %d lag %g left %g stones %d: %g %g %g round %g", s, bi,
                                   lags[li], t, stones, lo, rec, hi, r);
                            return;
                        }
                    }
    CHECK(true);
}

int main(void) {
    tg_board b19 = board_with_stones(19, 0), b19_mid = board_with_stones(19, 200),
             b19_late = board_with_stones(19, 280);
    tg_board b9 = board_with_stones(9, 0), b9_mid = board_with_stones(9, 50), b9_late = board_with_stones(9, 60);
    test_unlimited(&b19);
    test_absolute(&b19, &b19_mid, &b19_late, &b9, &b9_mid, &b9_late);
    test_fischer(&b19);
    test_byoyomi(&b19, &b9);
    test_canadian(&b19);
    const tg_board *all[] = {&b19, &b19_mid, &b19_late, &b9, &b9_mid, &b9_late};
    test_invariants(all, 6);
    return check_finish("test_timecontrols");
}
