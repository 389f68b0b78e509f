/* What the GTP engine's source files share: the engine state, the reply being built, argument
 * parsing, and the command handlers the command table in gtp.c points at. Not installed; not for
 * anything outside engine/front/gtp*.c. */
#ifndef TENGEN_FRONT_GTP_INTERNAL_H
#define TENGEN_FRONT_GTP_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "gtp.h"
#include "linequeue.h"
#include "game/board.h"
#include "game/history.h"
#include "game/rules.h"
#include "nn/evaluator.h"
#include "search/search.h"
#include "search/searchparams.h"
#include "search/timecontrols.h"
#include "util/strbuf.h"

struct tg_gtp {
    tg_config *cfg;
    tg_line_queue *input; /* while tg_gtp_run runs */
    FILE *out;            /* while tg_gtp_run runs: streaming commands write here themselves */
    bool has_id;          /* the current command's GTP id */
    long long id;
    tg_search *search;    /* NULL without a network */
    tg_search_params search_params;
    bool search_stale;    /* the position changed other than by a move the tree can follow */
    int report_perspective; /* reportAnalysisWinratesAs */
    tg_nn_evaluator *nn;
    double root_policy_optimism; /* kata-raw-nn's default optimism */
    bool identify_as_tengen;
    char *override_version; /* -override-version, or NULL */
    bool prevent_encore;
    int friendly_pass;       /* friendlyPass: TG_SETTING_AUTO, _TRUE or _FALSE */
    int cleanup_before_pass; /* cleanupBeforePass */
    bool assume_handicap;
    bool force_komi;
    float forced_komi;

    tg_rules rules;
    /* The game as the controller gave it: undo and rule changes replay these moves from this start. */
    tg_board game_start;
    tg_color game_start_pla;
    tg_move *game_moves;
    int num_game_moves, cap_game_moves;

    /* The position the engine reasons about (KataGo's root board and history). */
    tg_board board;
    tg_history hist;
    tg_color next_pla;

    tg_time_controls time_black, time_white;
    double lag_buffer; /* lagBuffer: seconds kept back for communication lag */

    /* Resignation (KataGo's allowResignation and friends) and the root values it looks back on. */
    bool allow_resignation;
    double resign_threshold;          /* on White's win-loss value in [-1, 1] */
    int resign_consec_turns;
    double resign_min_score_difference;
    double resign_min_moves_per_board_area;
    double *recent_winloss;           /* White's win-loss value after each genmove of this game */
    double search_factor_when_winning;           /* searchFactorWhenWinning: limits scaled when far ahead */
    double search_factor_when_winning_threshold; /* searchFactorWhenWinningThreshold */
    int num_recent_winloss, cap_recent_winloss;

    /* Pondering (ponderingEnabled): searching on the opponent's time until the next command. */
    bool pondering_enabled;
    bool ponder_requested;            /* set by play and genmove: ponder once the reply is out */
    tg_search_limits ponder_limits;   /* maxVisitsPondering, maxPlayoutsPondering, maxTimePondering */
    struct gtp_ponder *ponder;        /* the running ponder search, or NULL */
};

/* A config setting that may be left to the rules (KataGo's enabled_t). */
enum { TG_SETTING_AUTO, TG_SETTING_TRUE, TG_SETTING_FALSE };

/* The response to one command, filled by its handler. */
typedef struct reply {
    tg_strbuf text;
    bool error;
    bool quit;
    bool streamed; /* the command wrote its whole response itself (analysis) */
} reply;

typedef void (*command_fn)(tg_gtp *g, int argc, char **argv, reply *r);

/* Makes the reply an error with this text. */
void gtp_fail(reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "syntax error: expected EXPECTED but got 'ARGS'". */
void gtp_fail_args(reply *r, const char *expected, int argc, char **argv);

/* Strict argument parsing: the whole word must be the value. */
bool gtp_parse_int(const char *s, long long min, long long max, long long *out);
bool gtp_parse_double(const char *s, double *out);
bool gtp_parse_color(const char *s, tg_color *out);
void gtp_join_args(tg_strbuf *s, int argc, char **argv);

/* Starts a new game from start with pla to move (gtp_game.c). */
void gtp_set_position(tg_gtp *g, const tg_board *start, tg_color pla);
/* KataGo's tolerant play of one move, remembered for undo (gtp_game.c). */
bool gtp_play_move(tg_gtp *g, tg_loc loc, tg_color pla);

/* Board, rules, clock, SGF and network commands (gtp_game.c). */
void cmd_boardsize(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_clear_board(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_komi(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_get_komi(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_play(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_is_legal(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_undo(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_showboard(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_set_position(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_fixed_handicap(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_place_free_handicap(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_set_free_handicap(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_time_settings(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_list_time_settings(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kgs_time_settings(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_time_settings(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_time_left(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_get_rules(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_set_rules(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_set_rule(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kgs_rules(tg_gtp *g, int argc, char **argv, reply *r);
/* Scoring and the end of the game (gtp_scoring.c). */
void cmd_final_score(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_final_status_list(tg_gtp *g, int argc, char **argv, reply *r);
/* KataGo's friendly-pass and cleanup-before-pass replacements of genmove's chosen move, judged at the
 * search's root position (which they leave cleared). */
tg_loc gtp_apply_passing_hacks(tg_gtp *g, tg_color pla, tg_loc move);
void cmd_loadsgf(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_printsgf(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_nothing_to_do(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_raw_nn(tg_gtp *g, int argc, char **argv, reply *r);

/* Creates the search and reads the search and resignation settings (gtp_search.c). */
bool gtp_search_setup(tg_gtp *g, tg_nn_evaluator *nn, char *err, size_t errlen);

/* Starts pondering if it is enabled and a play or genmove asked for it; stops it (waiting for the search
 * to end) before the next command runs (gtp_search.c). */
void gtp_maybe_start_pondering(tg_gtp *g);
void gtp_stop_pondering(tg_gtp *g);

/* Search commands: genmove and analysis (gtp_search.c). */
void cmd_clear_cache(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_analyze(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_lz_analyze(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_sabaki_analyze(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_genmove(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_reg_genmove(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_lz_genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_sabaki_genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r);

/* KataGo's parameter commands (gtp_params.c). */
void cmd_kata_list_params(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_get_param(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_get_params(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_set_param(tg_gtp *g, int argc, char **argv, reply *r);
void cmd_kata_set_params(tg_gtp *g, int argc, char **argv, reply *r);

#endif
