/* Clock state for one player; see timecontrols.h. */
#include "timecontrols.h"

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
    const double threshold = 1e20;
    return tc->main_time_left > threshold || tc->increment > threshold ||
           (tc->original_num_periods > 0 && tc->per_period_time > threshold);
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
