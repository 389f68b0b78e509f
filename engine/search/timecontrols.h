/* Clock state for one player: absolute, Fischer (optionally capped), Canadian and Japanese byo-yomi.
 * The fields mean what KataGo's TimeControls fields mean; the search (issue 4) turns them into a
 * time budget per move. */
#ifndef TENGEN_SEARCH_TIMECONTROLS_H
#define TENGEN_SEARCH_TIMECONTROLS_H

#include <stdbool.h>

#include "game/board.h"
#include "game/history.h"

/* Largest time a user may type, in seconds (KataGo's MAX_USER_INPUT_TIME). */
#define TG_MAX_USER_INPUT_TIME 1e25
/* Unset limits: large enough that arithmetic on them stays far from infinity. */
#define TG_UNLIMITED_TIME 1e30
/* Any time above this counts as no limit (KataGo's UNLIMITED_TIME_THRESHOLD). */
#define TG_UNLIMITED_TIME_THRESHOLD 1e20

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

/* KataGo's isEffectivelyUnlimitedTime: no real clock on the time left and no per-move cap. */
bool tg_time_is_unlimited(const tg_time_controls *tc);

/* GTP time_left: seconds left and stones left in the period (0 = main time), read the way KGS and
 * KataGo read them. Returns false with a message when stones > 0 but the clock has no overtime. */
bool tg_time_set_left(tg_time_controls *tc, double seconds, int stones, const char **err);

/* The consistency checks KataGo's getTime throws on (e.g. a main time limit below the main time, overtime
 * state on a Fischer clock, periods with no stones). Returns false with a message for such a clock.
 * The constructors above and tg_time_set_left only build consistent clocks, except
 * tg_time_fischer_capped with main_time_limit < main_time, which KataGo refuses when it is set. */
bool tg_time_check(const tg_time_controls *tc, const char **err);

/* KataGo's TimeControls::getTime: the least, recommended and most seconds to think about the next move
 * for the player whose clock this is, on this board (only its size and stone count matter; hist is
 * unused, as in KataGo). lag_buffer seconds are kept back for the network and the controller; all three
 * results are >= 0 and min_time <= recommended_time <= max_time. On a clock tg_time_check rejects the
 * results are still finite and ordered, but not KataGo's (which raises an error instead). */
void tg_time_get_time(const tg_time_controls *tc, const tg_board *board, const tg_history *hist, double lag_buffer,
                      double *min_time, double *recommended_time, double *max_time);

/* KataGo's TimeControls::roundUpTimeLimitIfNeeded: with time_used seconds already spent on this move and
 * a limit of time_limit, the limit raised where stopping earlier would waste clock time that cannot be
 * carried over (the rest of the main time just before byo-yomi, the rest of a Japanese period, the first
 * stone of a new Canadian period). Absolute and Fischer clocks return time_limit unchanged. */
double tg_time_round_up_limit(const tg_time_controls *tc, double lag_buffer, double time_used, double time_limit);

#endif
