/* Clock state for one player: absolute, Fischer (optionally capped), Canadian and Japanese byo-yomi.
 * The fields mean what KataGo's TimeControls fields mean; the search (issue 4) turns them into a
 * time budget per move. */
#ifndef TENGEN_SEARCH_TIMECONTROLS_H
#define TENGEN_SEARCH_TIMECONTROLS_H

#include <stdbool.h>

/* Largest time a user may type, in seconds (KataGo's MAX_USER_INPUT_TIME). */
#define TG_MAX_USER_INPUT_TIME 1e25
/* Unset limits: large enough that arithmetic on them stays far from infinity. */
#define TG_UNLIMITED_TIME 1e30

typedef struct tg_time_controls {
    double original_main_time;
    double increment;
    double main_time_limit;
    double max_time_per_move;
    int original_num_periods;
    int num_stones_per_period;
    double per_period_time;

    double main_time_left;
    bool in_overtime;
    int num_periods_left_including_current;
    int num_stones_left_in_period;
    double time_left_in_period;
} tg_time_controls;

tg_time_controls tg_time_unlimited(void);
tg_time_controls tg_time_absolute(double main_time);
tg_time_controls tg_time_fischer(double main_time, double increment);
tg_time_controls tg_time_fischer_capped(double main_time, double increment, double main_time_limit,
                                        double max_time_per_move);
/* Canadian (periods = 1, stones > 1) and Japanese byo-yomi (periods > 1, stones = 1) are one shape. */
tg_time_controls tg_time_byoyomi(double main_time, double period_time, int periods, int stones_per_period);

bool tg_time_is_unlimited(const tg_time_controls *tc);

/* GTP time_left: seconds left and stones left in the period (0 = main time), read the way KGS and
 * KataGo read them. Returns false with a message when stones > 0 but the clock has no overtime. */
bool tg_time_set_left(tg_time_controls *tc, double seconds, int stones, const char **err);

#endif
