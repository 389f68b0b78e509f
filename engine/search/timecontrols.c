/* Clock state for one player; see timecontrols.h. */
#include "timecontrols.h"

#include <math.h>
#include <stddef.h>

tg_time_controls tg_time_unlimited(void) {
    tg_time_controls tc = {0};
    tc.original_main_time = TG_UNLIMITED_TIME;
    tc.main_time_limit = TG_UNLIMITED_TIME;
    tc.max_time_per_move = TG_UNLIMITED_TIME;
    tc.main_time_left = TG_UNLIMITED_TIME;
    return tc;
}

tg_time_controls tg_time_absolute(double main_time) {
    tg_time_controls tc = tg_time_unlimited();
    tc.original_main_time = main_time;
    tc.main_time_left = main_time;
    return tc;
}

tg_time_controls tg_time_fischer(double main_time, double increment) {
    tg_time_controls tc = tg_time_absolute(main_time);
    tc.increment = increment;
    return tc;
}

tg_time_controls tg_time_fischer_capped(double main_time, double increment, double main_time_limit,
                                        double max_time_per_move) {
    tg_time_controls tc = tg_time_fischer(main_time, increment);
    tc.main_time_limit = main_time_limit;
    tc.max_time_per_move = max_time_per_move;
    return tc;
}

tg_time_controls tg_time_byoyomi(double main_time, double period_time, int periods, int stones_per_period) {
    tg_time_controls tc = tg_time_absolute(main_time);
    tc.original_num_periods = periods;
    tc.num_stones_per_period = stones_per_period;
    tc.per_period_time = period_time;
    tc.num_periods_left_including_current = periods;
    tc.num_stones_left_in_period = 0;
    tc.time_left_in_period = 0;
    return tc;
}

bool tg_time_is_unlimited(const tg_time_controls *tc) {
    bool clock_unlimited = tc->main_time_left > TG_UNLIMITED_TIME_THRESHOLD ||
                           (tc->in_overtime && tc->time_left_in_period > TG_UNLIMITED_TIME_THRESHOLD);
    return clock_unlimited && tc->max_time_per_move > TG_UNLIMITED_TIME_THRESHOLD;
}

bool tg_time_set_left(tg_time_controls *tc, double seconds, int stones, const char **err) {
    if (stones > 0 && tc->original_num_periods <= 0) {
        *err = "stones left in period is > 0 but the time control used does not have any overtime periods";
        return false;
    }
    if (stones == 0) {
        tc->main_time_left = seconds;
        tc->in_overtime = false;
        tc->num_periods_left_including_current = tc->original_num_periods;
        tc->num_stones_left_in_period = 0;
        tc->time_left_in_period = 0;
        return true;
    }
    tc->main_time_left = 0;
    tc->in_overtime = true;
    tc->time_left_in_period = seconds;
    if (tc->original_num_periods > 1 && tc->num_stones_per_period == 1) {
        /* KGS sends Japanese byo-yomi as the number of periods left in the "stones" field. */
        tc->num_periods_left_including_current = stones < tc->original_num_periods ? stones : tc->original_num_periods;
        tc->num_stones_left_in_period = 1;
    } else {
        tc->num_periods_left_including_current = 1;
        tc->num_stones_left_in_period = stones < tc->num_stones_per_period ? stones : tc->num_stones_per_period;
    }
    return true;
}

/* ------------------------------------------------------------------ time allocation (KataGo's getTime) */

/* Periods beyond this many are spent as if they were main time. */
enum { RESERVED_PERIODS = 5 };

static double dmin(double a, double b) { return b < a ? b : a; }
static double dmax(double a, double b) { return a < b ? b : a; }

/* Keep lag back from a positive time: all of it when there is plenty, half the time when there is not. */
static double minus_lag(double t, double lag) {
    if (t < 0)
        return t;
    return t < 2.0 * lag ? t * 0.5 : t - lag;
}

/* Absolute and Fischer clocks, told apart from the byo-yomi shapes the way KataGo does. */
static bool has_no_periods(const tg_time_controls *tc) {
    return tc->increment > 0 || tc->num_periods_left_including_current <= 0;
}

/* Where a byo-yomi clock stands once time spent past zero is carried into the periods. */
typedef struct clock_pos {
    double main_left;
    bool overtime;
    int periods;
    double period_left;
    int stones;
} clock_pos;

static clock_pos clock_pos_after(const tg_time_controls *tc, double used) {
    clock_pos c = {tc->main_time_left, tc->in_overtime, tc->num_periods_left_including_current,
                   tc->time_left_in_period, tc->num_stones_left_in_period};
    if (c.overtime)
        c.period_left -= used;
    else
        c.main_left -= used;
    if (!c.overtime && c.main_left < 0) {
        c.overtime = true;
        c.period_left = tc->per_period_time + c.main_left;
        c.stones = tc->num_stones_per_period;
    }
    for (; c.overtime && c.period_left < 0 && c.periods > 1; c.periods--)
        c.period_left += tc->per_period_time;
    return c;
}

/* Rough number of our own moves still to come, for the three ways of spreading main time. */
typedef struct moves_left {
    double absolute, increment, byoyomi;
} moves_left;

static moves_left estimate_moves_left(const tg_board *board) {
    double area = (double)(board->xsize * board->ysize);
    double stones = (double)tg_board_num_stones(board);
    moves_left m;
    /* Game length to plan for minus stones already played, but never below a floor; halved for our share. */
    m.absolute = 0.5 * dmax(0.95 * area + 20.0 - stones, 0.15 * area + 30.0);
    m.increment = 0.5 * dmax(0.75 * area + 15.0 - stones, 0.10 * area + 20.0);
    m.byoyomi = 0.5 * dmax(0.50 * area + 10.0 - stones, 0.02 * area + 4.0);
    return m;
}

/* Share of main time (Fischer: the part above one increment) for this move on a Fischer or absolute clock. */
static double share_with_increment(const tg_time_controls *tc, const moves_left *m, double t) {
    if (t <= 0)
        return t;
    /* A tiny increment must not make us much faster than plain absolute time would. */
    return dmin(t / m->increment, t / m->absolute + 2.0 * tc->increment);
}

/* Share of main time for this move when byo-yomi follows. Spending e times the byo-yomi time per move
 * and so running out after 1/e of the moves is optimal if strength grows with log(time); stretch that
 * somewhat towards the expected game length, but never beyond absolute-time pacing. */
static double share_before_byoyomi(const tg_time_controls *tc, const moves_left *m, double t) {
    double absolute_share = t / m->absolute;
    if (tc->per_period_time <= 0 || tc->num_stones_per_period <= 0)
        return absolute_share;
    double per_move = tc->per_period_time / tc->num_stones_per_period;
    double optimal_moves = (t / per_move) * exp(-1.0);
    double moves = optimal_moves;
    if (m->byoyomi > optimal_moves)
        moves = dmin(m->byoyomi, 1.75 * optimal_moves);
    if (moves > m->absolute)
        moves = m->absolute;
    if (moves < 1)
        moves = 1;
    double share = dmin(t / moves, absolute_share + 3.0 * per_move);
    if (share < per_move)
        share = per_move;
    /* Nearly out of main time anyway: use it up and take a move's worth of byo-yomi with it. */
    if (share < 1.5 * per_move && t < 1.5 * per_move)
        share = t + per_move;
    return share;
}

bool tg_time_check(const tg_time_controls *tc, const char **err) {
    const char *msg = NULL;
    if (has_no_periods(tc)) {
        if (tc->in_overtime)
            msg = "in overtime on a Fischer or absolute clock";
        else if (tc->num_periods_left_including_current != 0)
            msg = "periods left on a Fischer or absolute clock";
        else if (tc->main_time_limit < tc->original_main_time)
            msg = "main time limit is smaller than the main time";
    } else {
        if (tc->main_time_limit < TG_UNLIMITED_TIME_THRESHOLD)
            msg = "main time limit with byo-yomi periods";
        else if (tc->num_stones_per_period <= 0)
            msg = "byo-yomi periods without stones";
        else if (!tc->in_overtime && tc->num_periods_left_including_current != tc->original_num_periods)
            msg = "periods used up while still in main time";
        else if (tc->in_overtime && tc->num_stones_left_in_period < 1)
            msg = "no stones left in the current period";
    }
    if (msg && err)
        *err = msg;
    return msg == NULL;
}

void tg_time_get_time(const tg_time_controls *tc, const tg_board *board, const tg_history *hist, double lag_buffer,
                      double *min_time, double *recommended_time, double *max_time) {
    (void)hist;
    moves_left m = estimate_moves_left(board);
    double lag = lag_buffer;
    double lo, rec, hi;

    if (has_no_periods(tc)) {
        /* Controllers may report a little negative time; that is tolerated. */
        double main = tc->main_time_left, inc = tc->increment;
        lo = dmin(dmax(0.0, 0.5 * main), dmax(0.0, main + inc - tc->main_time_limit));
        if (main <= inc) {
            rec = minus_lag(main, lag); /* lag is taken again below: a double margin */
            hi = main;
        } else {
            double spare = minus_lag(main - inc, lag);
            rec = inc + share_with_increment(tc, &m, spare);
            hi = dmin(main, inc + spare / 5.0);
        }
    } else {
        int stones_per_period = tc->num_stones_per_period > 0 ? tc->num_stones_per_period : 1;
        double period = tc->per_period_time;
        clock_pos c = clock_pos_after(tc, 0.0);
        if (c.periods > RESERVED_PERIODS) {
            /* Periods beyond the reserve are budgeted like main time. */
            int extra = c.periods - RESERVED_PERIODS;
            c.main_left += tc->in_overtime ? c.period_left + period * (extra - 1) : period * extra;
            c.overtime = false;
        }
        if (!c.overtime) {
            double generous_per_move = period / (0.75 * stones_per_period + 0.25);
            lo = 0.0;
            rec = share_before_byoyomi(tc, &m, c.main_left);
            hi = generous_per_move + dmax(dmin(1.75 * generous_per_move, c.main_left), c.main_left / 5.0);
            /* About to enter byo-yomi: the whole first period may as well be usable. */
            if (hi > c.main_left && hi < c.main_left + generous_per_move)
                hi = c.main_left + generous_per_move;
            /* Entering the last Japanese period, where running out loses: keep twice the margin. */
            if (hi > c.main_left && c.periods <= 1 && tc->num_stones_per_period <= 1)
                lag *= 2.0;
        } else {
            int stones = c.stones > 0 ? c.stones : 1;
            /* Far into a period (lag, reconnect) with periods to spare: give this one up for more time. */
            if (c.periods > 1 && minus_lag(c.period_left, lag) <
                                     minus_lag(0.5 * period, lag) * (c.periods - 1) / (RESERVED_PERIODS - 1)) {
                c.periods--;
                c.period_left += period;
            }
            lo = stones <= 1 ? c.period_left : 0.0;
            rec = c.period_left / stones;
            hi = c.period_left / (0.75 * stones + 0.25);
            if (c.periods <= 1 && stones <= 1)
                lag *= 2.0;
        }
    }

    hi = dmin(hi, tc->max_time_per_move);
    lo = dmax(0.0, minus_lag(lo, lag));
    rec = dmax(0.0, minus_lag(rec, lag));
    hi = dmax(0.0, minus_lag(hi, lag));
    *min_time = dmin(lo, hi);
    *recommended_time = dmin(rec, hi);
    *max_time = hi;
}

double tg_time_round_up_limit(const tg_time_controls *tc, double lag_buffer, double time_used, double time_limit) {
    if (has_no_periods(tc))
        return time_limit;
    int stones_per_period = tc->num_stones_per_period > 0 ? tc->num_stones_per_period : 1;
    double period = tc->per_period_time;
    clock_pos c = clock_pos_after(tc, time_used);

    double per_move = period / stones_per_period;
    double per_move_net = minus_lag(per_move, lag_buffer);
    /* A lag buffer's worth, at least 1% of a move's byo-yomi time, at most all of it. */
    double sliver = dmin(dmax(lag_buffer, 0.01 * per_move_net), per_move_net);
    double spend;

    if (!c.overtime) {
        if (c.main_left >= 0.5 * per_move)
            return time_limit;
        /* The last scraps of main time are lost otherwise: use them, and with Japanese byo-yomi also the
         * period (which is renewed anyway); with Canadian, just enough to count a stone in the new period. */
        spend = time_used + c.main_left + (tc->num_stones_per_period <= 1 ? per_move_net : sliver);
    } else if (c.period_left <= 0) {
        return time_limit; /* probably lost on time already */
    } else if (c.stones > 1) {
        /* Canadian: only worth waiting when this move just crossed into overtime, so that it is counted. */
        double into_period = period - c.period_left;
        if (tc->in_overtime || into_period >= sliver)
            return time_limit;
        spend = time_used + sliver - into_period;
    } else {
        /* Last stone of the period: what is left of it would be wasted. */
        spend = minus_lag(time_used + c.period_left, lag_buffer);
    }
    if (spend < time_used)
        return time_limit;
    return dmax(time_limit, spend);
}
