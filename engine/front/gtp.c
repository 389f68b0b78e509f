/* The GTP engine: command parsing, framing and the game-state commands.
 *
 * Behaviour follows KataGo's gtp.cpp, which GUIs are written against (see shared/docs/clients.md):
 * the same input cleaning, the same tolerant `play`, the same rule and handicap handling. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include "gtp.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "analysis_format.h"
#include "linequeue.h"
#include "log.h"
#include "../game/board.h"
#include "../game/handicap.h"
#include "../game/history.h"
#include "../game/rules.h"
#include "../game/sgf.h"
#include "../search/timecontrols.h"
#include "../util/strbuf.h"
#include "nn/symmetry.h"
#include "search/search.h"
#include "search/searchparams.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.0.0"
#endif
#ifndef TENGEN_KATAGO_PROTOCOL_VERSION
#define TENGEN_KATAGO_PROTOCOL_VERSION "1.17.2"
#endif

#define MAX_ARGS 1024

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
    bool prevent_encore;
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
};

/* ------------------------------------------------------------------ position management */

static void set_position(tg_gtp *g, const tg_board *start, tg_color pla) {
    g->game_start = *start;
    g->game_start_pla = pla;
    g->num_game_moves = 0;
    g->board = *start;
    /* A fresh history, as KataGo builds a new one: clearing would carry the button state over. */
    tg_history_free(&g->hist);
    tg_history_init(&g->hist, start, pla, &g->rules, 0);
    tg_history_set_assume_multiple_starting_black_moves_are_handicap(&g->hist, g->assume_handicap);
    tg_history_set_initial_turn_number(&g->hist, tg_board_num_stones(start));
    g->next_pla = pla;
    g->search_stale = true;
}

static void remember_move(tg_gtp *g, tg_loc loc, tg_color pla) {
    if (g->num_game_moves == g->cap_game_moves) {
        int cap = g->cap_game_moves ? 2 * g->cap_game_moves : 256;
        tg_move *p = realloc(g->game_moves, (size_t)cap * sizeof *p);
        if (!p) {
            fputs("tengen: out of memory\n", stderr);
            abort();
        }
        g->game_moves = p;
        g->cap_game_moves = cap;
    }
    g->game_moves[g->num_game_moves++] = (tg_move){loc, pla};
}

/* KataGo's tolerant play: a move out of turn restarts the rules history from the current board. */
static bool play_move(tg_gtp *g, tg_loc loc, tg_color pla) {
    if (!tg_history_play_as_root(&g->hist, &g->board, loc, pla, g->prevent_encore))
        return false;
    /* The tree follows the move, keeping the subtree searched below it. */
    if (g->search && !g->search_stale && !tg_search_make_move(g->search, loc, pla, g->prevent_encore))
        g->search_stale = true;
    g->next_pla = tg_opp(pla);
    remember_move(g, loc, pla);
    return true;
}

/* Rebuilds the position from the game start with the first n remembered moves (undo, rule changes). */
static bool replay_game(tg_gtp *g, int n) {
    int count = n;
    tg_move *moves = malloc(sizeof(tg_move) * (size_t)(count > 0 ? count : 1));
    if (!moves)
        abort();
    if (count > 0)
        memcpy(moves, g->game_moves, sizeof(tg_move) * (size_t)count);
    long long turn = g->hist.initial_turn_number;
    tg_board start = g->game_start;
    set_position(g, &start, g->game_start_pla);
    tg_history_set_initial_turn_number(&g->hist, turn);
    bool ok = true;
    for (int i = 0; i < count && ok; i++)
        ok = play_move(g, moves[i].loc, moves[i].pla);
    free(moves);
    return ok;
}

static void reset_board(tg_gtp *g, int xsize, int ysize) {
    tg_board b;
    tg_board_init(&b, xsize, ysize);
    set_position(g, &b, TG_BLACK);
}

/* ------------------------------------------------------------------ argument parsing */

static bool parse_int(const char *s, long long min, long long max, long long *out) {
    if (!*s)
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out) {
    if (!*s)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

static bool parse_color(const char *s, tg_color *out) {
    if (!strcasecmp(s, "b") || !strcasecmp(s, "black")) {
        *out = TG_BLACK;
        return true;
    }
    if (!strcasecmp(s, "w") || !strcasecmp(s, "white")) {
        *out = TG_WHITE;
        return true;
    }
    return false;
}

static const char *color_name(tg_color c) { return c == TG_BLACK ? "Black" : c == TG_WHITE ? "White" : "Empty"; }

static void join_args(tg_strbuf *s, int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (i)
            tg_strbuf_append(s, " ");
        tg_strbuf_append(s, argv[i]);
    }
}

/* ------------------------------------------------------------------ commands */

typedef struct reply {
    tg_strbuf text;
    bool error;
    bool quit;
    bool streamed; /* the command wrote its whole response itself (analysis) */
} reply;

static void fail(reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(reply *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tg_strbuf_clear(&r->text);
    tg_strbuf_vappendf(&r->text, fmt, ap);
    va_end(ap);
    r->error = true;
}

static void fail_args(reply *r, const char *expected, int argc, char **argv) {
    tg_strbuf got;
    tg_strbuf_init(&got);
    join_args(&got, argc, argv);
    fail(r, "syntax error: expected %s but got '%s'", expected, got.data);
    tg_strbuf_free(&got);
}

typedef void (*command_fn)(tg_gtp *g, int argc, char **argv, reply *r);

typedef struct command {
    const char *name;
    command_fn fn;
    bool listed; /* hidden commands are accepted but not advertised (see clients.md on `analyze`) */
} command;

static const command *find_command(const char *name);
static void list_commands(reply *r);

static void cmd_protocol_version(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g, (void)argc, (void)argv;
    tg_strbuf_append(&r->text, "2");
}

static void cmd_name(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    tg_strbuf_append(&r->text, g->identify_as_tengen ? "tengen" : "KataGo");
}

static void cmd_version(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    if (g->identify_as_tengen)
        tg_strbuf_append(&r->text, PACKAGE_VERSION);
    else
        tg_strbuf_append(&r->text, TENGEN_KATAGO_PROTOCOL_VERSION "+tengen-" PACKAGE_VERSION);
}

static void cmd_known_command(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g;
    if (argc != 1)
        return fail_args(r, "one command name", argc, argv);
    const command *c = find_command(argv[0]);
    tg_strbuf_append(&r->text, c && c->listed ? "true" : "false");
}

static void cmd_list_commands(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g, (void)argc, (void)argv;
    list_commands(r);
}

static void cmd_quit(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g, (void)argc, (void)argv;
    r->quit = true;
}

static void cmd_boardsize(tg_gtp *g, int argc, char **argv, reply *r) {
    long long x = 0, y = 0;
    bool ok = false;
    if (argc == 1) {
        char *colon = strchr(argv[0], ':');
        if (colon) {
            *colon = '\0';
            ok = parse_int(argv[0], LLONG_MIN, LLONG_MAX, &x) && parse_int(colon + 1, LLONG_MIN, LLONG_MAX, &y);
            *colon = ':';
        } else {
            ok = parse_int(argv[0], LLONG_MIN, LLONG_MAX, &x);
            y = x;
        }
    } else if (argc == 2) {
        ok = parse_int(argv[0], LLONG_MIN, LLONG_MAX, &x) && parse_int(argv[1], LLONG_MIN, LLONG_MAX, &y);
    }
    if (!ok)
        return fail_args(r, "a board size N, N:M or N M", argc, argv);
    if (x < 2 || y < 2 || x > TG_MAX_LEN || y > TG_MAX_LEN)
        return fail(r, "unacceptable size");
    reset_board(g, (int)x, (int)y);
}

static void cmd_clear_board(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv, (void)r;
    reset_board(g, g->board.xsize, g->board.ysize);
}

static void cmd_komi(tg_gtp *g, int argc, char **argv, reply *r) {
    double k;
    if (argc != 1 || !parse_double(argv[0], &k))
        return fail_args(r, "one number for komi", argc, argv);
    if (isnan(k) || k < TG_MIN_USER_KOMI || k > TG_MAX_USER_KOMI)
        return fail(r, "unacceptable komi");
    if (!tg_komi_is_int_or_half_int((float)k))
        return fail(r, "komi must be an integer or half-integer");
    float komi = g->force_komi ? g->forced_komi : (float)k;
    if (komi != g->rules.komi)
        g->search_stale = true;
    g->rules.komi = komi;
    tg_history_set_komi(&g->hist, komi);
}

static void cmd_get_komi(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    tg_strbuf_appendf(&r->text, "%g", (double)g->rules.komi);
}

/* The "COLOR VERTEX" arguments of play and is_legal. */
static bool parse_move_args(const tg_gtp *g, int argc, char **argv, reply *r, tg_color *pla, tg_loc *loc) {
    if (argc != 2)
        fail_args(r, "a colour and a vertex", argc, argv);
    else if (!parse_color(argv[0], pla))
        fail(r, "syntax error: invalid color '%s'", argv[0]);
    else if (!tg_loc_parse(argv[1], g->board.xsize, g->board.ysize, loc))
        fail(r, "syntax error: invalid vertex '%s'", argv[1]);
    else
        return true;
    return false;
}

static void cmd_play(tg_gtp *g, int argc, char **argv, reply *r) {
    tg_color pla;
    tg_loc loc;
    if (!parse_move_args(g, argc, argv, r, &pla, &loc))
        return;
    if (!play_move(g, loc, pla))
        return fail(r, "illegal move");
}

/* Strict legality (GNU Go's is_legal): what the engine itself would be allowed to play. */
static void cmd_is_legal(tg_gtp *g, int argc, char **argv, reply *r) {
    tg_color pla;
    tg_loc loc;
    if (!parse_move_args(g, argc, argv, r, &pla, &loc))
        return;
    bool legal;
    if (pla == g->next_pla) {
        legal = tg_history_is_legal(&g->hist, &g->board, loc, pla);
    } else {
        /* Playing out of turn would restart the history from this board (see play_move). */
        tg_board b = g->board;
        tg_history h = {0};
        tg_history_copy(&h, &g->hist);
        tg_history_set_player_and_clear(&h, &b, pla);
        legal = tg_history_is_legal(&h, &b, loc, pla);
        tg_history_free(&h);
    }
    tg_strbuf_append(&r->text, legal ? "1" : "0");
}

static void cmd_undo(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    if (g->num_game_moves <= 0)
        return fail(r, "cannot undo");
    replay_game(g, g->num_game_moves - 1);
}

static void print_board(tg_strbuf *s, const tg_gtp *g) {
    static const char columns[] = "ABCDEFGHJKLMNOPQRSTUVWXYZ";
    const tg_board *b = &g->board;
    const tg_history *h = &g->hist;
    tg_strbuf_appendf(s, "MoveNum: %d HASH: %016llX\n", h->num_moves, (unsigned long long)b->pos_hash);
    tg_strbuf_append(s, "  ");
    for (int x = 0; x < b->xsize; x++)
        tg_strbuf_appendf(s, " %c", columns[x]);
    tg_strbuf_append(s, "\n");
    int first_marked = h->num_moves >= 3 ? h->num_moves - 3 : 0;
    for (int y = 0; y < b->ysize; y++) {
        tg_strbuf_appendf(s, "%2d ", b->ysize - y);
        for (int x = 0; x < b->xsize; x++) {
            tg_loc loc = tg_loc_of(x, y, b->xsize);
            tg_color c = b->color[loc];
            tg_strbuf_append_n(s, c == TG_BLACK ? "X" : c == TG_WHITE ? "O" : ".", 1);
            /* The last three moves carry their order (1 = oldest), as KataGo marks them. */
            bool marked = false;
            for (int i = first_marked; i < h->num_moves; i++) {
                if (h->moves[i].loc == loc) {
                    tg_strbuf_appendf(s, "%d", i - first_marked + 1);
                    marked = true;
                    break;
                }
            }
            if (x < b->xsize - 1 && !marked)
                tg_strbuf_append(s, " ");
        }
        tg_strbuf_append(s, "\n");
    }
    char rules_json[512];
    tg_rules_to_json(&g->rules, true, rules_json, sizeof rules_json);
    tg_strbuf_appendf(s, "Next player: %s\n", color_name(g->next_pla));
    if (h->encore_phase > 0)
        tg_strbuf_appendf(s, "Game phase: %d\n", h->encore_phase);
    tg_strbuf_appendf(s, "Rules: %s\n", rules_json);
    if (h->white_handicap_bonus_score != 0)
        tg_strbuf_appendf(s, "Handicap bonus score: %g\n", (double)h->white_handicap_bonus_score);
    tg_strbuf_appendf(s, "B stones captured: %d\n", b->num_black_captures);
    tg_strbuf_appendf(s, "W stones captured: %d", b->num_white_captures);
}

static void cmd_showboard(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    print_board(&r->text, g);
}

static void append_stone_list(tg_strbuf *s, const tg_board *b) {
    char buf[8];
    for (int y = 0; y < b->ysize; y++)
        for (int x = 0; x < b->xsize; x++) {
            tg_loc loc = tg_loc_of(x, y, b->xsize);
            if (b->color[loc] != TG_EMPTY) {
                if (s->len)
                    tg_strbuf_append(s, " ");
                tg_strbuf_append(s, tg_loc_str(loc, b->xsize, b->ysize, buf));
            }
        }
}

static void cmd_set_position(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc % 2 != 0)
        return fail_args(r, "pairs of colour and vertex", argc, argv);
    tg_board b;
    tg_board_init(&b, g->board.xsize, g->board.ysize);
    for (int i = 0; i < argc; i += 2) {
        tg_color pla;
        tg_loc loc;
        if (!parse_color(argv[i], &pla))
            return fail(r, "syntax error: invalid color '%s'", argv[i]);
        if (!tg_loc_parse(argv[i + 1], b.xsize, b.ysize, &loc) || loc == TG_PASS_LOC)
            return fail(r, "syntax error: invalid vertex '%s'", argv[i + 1]);
        if (b.color[loc] != TG_EMPTY || !tg_board_set_stone(&b, loc, pla))
            return fail(r, "Illegal stone placements - overlapping stones or stones with no liberties?");
    }
    set_position(g, &b, TG_BLACK);
}

/* Handicap stones are a fresh start with White to move (KataGo's placeFixedHandicap). */
static void place_handicap(tg_gtp *g, const tg_loc *locs, int n, reply *r) {
    tg_board b;
    tg_board_init(&b, g->board.xsize, g->board.ysize);
    for (int i = 0; i < n; i++)
        tg_board_set_stone(&b, locs[i], TG_BLACK);
    set_position(g, &b, TG_WHITE);
    if (r)
        append_stone_list(&r->text, &b);
}

static bool parse_handicap_count(int argc, char **argv, reply *r, int *n) {
    long long v;
    if (argc != 1 || !parse_int(argv[0], LLONG_MIN, LLONG_MAX, &v)) {
        fail_args(r, "one number of handicap stones", argc, argv);
        return false;
    }
    if (v < 2) {
        fail(r, "invalid number of stones: %s (at least 2)", argv[0]);
        return false;
    }
    *n = v > TG_MAX_PLAY_SIZE ? TG_MAX_PLAY_SIZE : (int)v;
    return true;
}

static void cmd_fixed_handicap(tg_gtp *g, int argc, char **argv, reply *r) {
    int n;
    if (!parse_handicap_count(argc, argv, r, &n))
        return;
    if (!tg_board_is_empty(&g->board))
        return fail(r, "board not empty");
    tg_loc locs[TG_MAX_PLAY_SIZE];
    int placed = tg_handicap_fixed(g->board.xsize, g->board.ysize, n, locs);
    if (placed < 0)
        return fail(r, "invalid number of stones: %s, try place_free_handicap",
                    tg_handicap_fixed_error(g->board.xsize, g->board.ysize, n));
    place_handicap(g, locs, placed, r);
}

static void cmd_place_free_handicap(tg_gtp *g, int argc, char **argv, reply *r) {
    int n;
    if (!parse_handicap_count(argc, argv, r, &n))
        return;
    if (!tg_board_is_empty(&g->board))
        return fail(r, "board not empty");
    tg_loc locs[TG_MAX_PLAY_SIZE];
    int placed = tg_handicap_free(&g->board, n, locs);
    place_handicap(g, locs, placed, r);
}

static void cmd_set_free_handicap(tg_gtp *g, int argc, char **argv, reply *r) {
    if (!tg_board_is_empty(&g->board))
        return fail(r, "board not empty");
    tg_board b;
    tg_board_init(&b, g->board.xsize, g->board.ysize);
    for (int i = 0; i < argc; i++) {
        tg_loc loc;
        if (!tg_loc_parse(argv[i], b.xsize, b.ysize, &loc) || loc == TG_PASS_LOC)
            return fail(r, "syntax error: invalid handicap vertex '%s'", argv[i]);
        if (b.color[loc] != TG_EMPTY || !tg_board_set_stone(&b, loc, TG_BLACK))
            return fail(r, "bad vertex list: %s repeats a point or leaves stones without liberties", argv[i]);
    }
    set_position(g, &b, TG_WHITE);
}

static bool parse_time_arg(int argc, char **argv, int idx, const char *what, bool allow_negative, double *out,
                           reply *r) {
    double t;
    if (idx >= argc || !parse_double(argv[idx], &t)) {
        fail(r, "syntax error: expected a number of seconds for %s as argument %d", what, idx);
        return false;
    }
    double lo = allow_negative ? -TG_MAX_USER_INPUT_TIME : 0.0;
    if (isnan(t) || t < lo || t > TG_MAX_USER_INPUT_TIME) {
        fail(r, "%s is an invalid value: %s", what, argv[idx]);
        return false;
    }
    *out = t;
    return true;
}

static bool parse_count_arg(int argc, char **argv, int idx, const char *what, int *out, reply *r) {
    long long v;
    if (idx >= argc || !parse_int(argv[idx], LLONG_MIN, LLONG_MAX, &v)) {
        fail(r, "syntax error: expected an integer for %s as argument %d", what, idx);
        return false;
    }
    if (v < 0 || v > 1000000) {
        fail(r, "%s is an invalid value: %s", what, argv[idx]);
        return false;
    }
    *out = (int)v;
    return true;
}

static void set_both_clocks(tg_gtp *g, tg_time_controls tc) {
    g->time_black = tc;
    g->time_white = tc;
}

/* GTP's own rule: overtime with zero stones means no time limit at all. */
static tg_time_controls canadian_clock(double main_time, double period, int stones) {
    if (stones == 0 && period > 0)
        return tg_time_unlimited();
    if (stones == 0)
        return tg_time_absolute(main_time);
    return tg_time_byoyomi(main_time, period, 1, stones);
}

static void cmd_time_settings(tg_gtp *g, int argc, char **argv, reply *r) {
    double main_time, period;
    int stones;
    if (argc != 3)
        return fail_args(r, "main time, byo-yomi time and byo-yomi stones", argc, argv);
    if (!parse_time_arg(argc, argv, 0, "main time", false, &main_time, r) ||
        !parse_time_arg(argc, argv, 1, "byo-yomi time", false, &period, r) ||
        !parse_count_arg(argc, argv, 2, "byo-yomi stones", &stones, r))
        return;
    set_both_clocks(g, canadian_clock(main_time, period, stones));
}

static void cmd_kata_list_time_settings(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g, (void)argc, (void)argv;
    tg_strbuf_append(&r->text, "none absolute byoyomi canadian fischer fischer-capped");
}

static void time_settings_family(tg_gtp *g, int argc, char **argv, reply *r, bool kata) {
    const char *usage = kata ? "expected 'none', 'absolute', 'byoyomi', 'canadian', 'fischer' or 'fischer-capped' "
                               "as first argument"
                             : "expected 'none', 'absolute', 'byoyomi' or 'canadian' as first argument";
    if (argc < 1)
        return fail(r, "syntax error: %s", usage);
    const char *kind = argv[0];
    double main_time, period, increment, limit, max_per_move;
    int count;
    if (!strcasecmp(kind, "none")) {
        set_both_clocks(g, tg_time_unlimited());
    } else if (!strcasecmp(kind, "absolute")) {
        if (parse_time_arg(argc, argv, 1, "main time", false, &main_time, r))
            set_both_clocks(g, tg_time_absolute(main_time));
    } else if (!strcasecmp(kind, "canadian")) {
        if (parse_time_arg(argc, argv, 1, "main time", false, &main_time, r) &&
            parse_time_arg(argc, argv, 2, "byo-yomi period time", false, &period, r) &&
            parse_count_arg(argc, argv, 3, "byo-yomi stones", &count, r))
            set_both_clocks(g, canadian_clock(main_time, period, count));
    } else if (!strcasecmp(kind, "byoyomi")) {
        if (parse_time_arg(argc, argv, 1, "main time", false, &main_time, r) &&
            parse_time_arg(argc, argv, 2, "byo-yomi period time", false, &period, r) &&
            parse_count_arg(argc, argv, 3, "byo-yomi periods", &count, r))
            set_both_clocks(g, count == 0 ? tg_time_absolute(main_time) : tg_time_byoyomi(main_time, period, count, 1));
    } else if (kata && !strcasecmp(kind, "fischer")) {
        if (parse_time_arg(argc, argv, 1, "main time", false, &main_time, r) &&
            parse_time_arg(argc, argv, 2, "increment", false, &increment, r))
            set_both_clocks(g, tg_time_fischer(main_time, increment));
    } else if (kata && !strcasecmp(kind, "fischer-capped")) {
        if (parse_time_arg(argc, argv, 1, "main time", false, &main_time, r) &&
            parse_time_arg(argc, argv, 2, "increment", false, &increment, r) &&
            parse_time_arg(argc, argv, 3, "main time limit", true, &limit, r) &&
            parse_time_arg(argc, argv, 4, "max time per move", true, &max_per_move, r)) {
            /* A negative cap means "no cap". */
            set_both_clocks(g, tg_time_fischer_capped(main_time, increment, limit < 0 ? TG_MAX_USER_INPUT_TIME : limit,
                                                      max_per_move < 0 ? TG_MAX_USER_INPUT_TIME : max_per_move));
        }
    } else {
        fail(r, "syntax error: %s", usage);
    }
}

static void cmd_kgs_time_settings(tg_gtp *g, int argc, char **argv, reply *r) {
    time_settings_family(g, argc, argv, r, false);
}

static void cmd_kata_time_settings(tg_gtp *g, int argc, char **argv, reply *r) {
    time_settings_family(g, argc, argv, r, true);
}

static void cmd_time_left(tg_gtp *g, int argc, char **argv, reply *r) {
    tg_color pla;
    double seconds;
    long long stones;
    if (argc != 3 || !parse_color(argv[0], &pla) || !parse_double(argv[1], &seconds) ||
        !parse_int(argv[2], LLONG_MIN, LLONG_MAX, &stones))
        return fail_args(r, "a colour, seconds and stones", argc, argv);
    /* Controllers' clocks run slightly past zero; a little negative time is not an error. */
    if (isnan(seconds) || seconds < -10.0 || seconds > TG_MAX_USER_INPUT_TIME)
        return fail(r, "invalid time");
    if (stones < 0 || stones > 100000)
        return fail(r, "invalid stones");
    tg_time_controls *tc = pla == TG_BLACK ? &g->time_black : &g->time_white;
    tg_time_controls updated = *tc;
    const char *err;
    if (!tg_time_set_left(&updated, seconds, (int)stones, &err))
        return fail(r, "%s", err);
    *tc = updated;
}

static void cmd_kata_get_rules(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc != 0)
        return fail_args(r, "no arguments", argc, argv);
    char json[512];
    tg_rules_to_json(&g->rules, false, json, sizeof json);
    tg_strbuf_append(&r->text, json);
}

/* Rules apply to the whole game, so the game is replayed under them (KataGo does the same). */
static void change_rules(tg_gtp *g, tg_rules rules, reply *r) {
    rules.komi = g->rules.komi;
    g->rules = rules;
    if (!replay_game(g, g->num_game_moves))
        fail(r, "Could not make the rules change, some earlier moves in the game would now become illegal.");
    const char *name = tg_rules_name(&rules);
    char json[512];
    tg_rules_to_json(&rules, false, json, sizeof json);
    tg_log("Changed rules to %s", name ? name : json);
}

static void cmd_kata_set_rules(tg_gtp *g, int argc, char **argv, reply *r) {
    tg_strbuf text;
    tg_strbuf_init(&text);
    join_args(&text, argc, argv);
    tg_rules rules;
    char err[256];
    if (!tg_rules_parse_without_komi(text.data, g->rules.komi, &rules, err, sizeof err))
        fail(r, "Unknown rules '%s', %s", text.data, err);
    else
        change_rules(g, rules, r);
    tg_strbuf_free(&text);
}

static void cmd_kata_set_rule(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc != 2)
        return fail_args(r, "a rule name and a value", argc, argv);
    tg_rules rules = g->rules;
    char err[256];
    if (!tg_rules_update(&rules, argv[0], argv[1], err, sizeof err))
        return fail(r, "%s", err);
    change_rules(g, rules, r);
}

static void cmd_kgs_rules(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc < 1)
        return fail(r, "syntax error: expected one argument for kgs-rules");
    /* KGS names its rulesets differently from KataGo; "chinese" on KGS means positional superko. */
    static const char *const names[][2] = {
        {"chinese", "chinese-kgs"}, {"aga", "aga"}, {"new_zealand", "new-zealand"}, {"japanese", "japanese"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcasecmp(argv[0], names[i][0])) {
            tg_rules rules;
            char err[256];
            if (!tg_rules_parse_without_komi(names[i][1], g->rules.komi, &rules, err, sizeof err))
                return fail(r, "%s", err);
            return change_rules(g, rules, r);
        }
    }
    fail(r, "Unknown rules '%s'", argv[0]);
}

static void cmd_final_score(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    const tg_history *h = &g->hist;
    double white_minus_black;
    tg_color winner;
    bool game_result_stands = h->is_game_finished &&
                              ((h->rules.scoring_rule == TG_SCORING_AREA && !h->rules.friendly_pass_ok) ||
                               h->rules.scoring_rule == TG_SCORING_TERRITORY);
    if (game_result_stands) {
        winner = h->winner;
        white_minus_black = h->final_white_minus_black_score;
    } else {
        /* Until the network judges dead stones: Tromp-Taylor area, every stone on the board alive. */
        tg_color area[TG_MAX_ARR_SIZE];
        tg_board_calculate_area(&g->board, area, true, true, true, g->rules.multi_stone_suicide_legal);
        int score = 0;
        for (int y = 0; y < g->board.ysize; y++)
            for (int x = 0; x < g->board.xsize; x++) {
                tg_color c = area[tg_loc_of(x, y, g->board.xsize)];
                score += c == TG_WHITE ? 1 : c == TG_BLACK ? -1 : 0;
            }
        white_minus_black = score + h->rules.komi + h->white_bonus_score + h->white_handicap_bonus_score;
        winner = white_minus_black > 0 ? TG_WHITE : white_minus_black < 0 ? TG_BLACK : TG_EMPTY;
    }
    if (winner == TG_WHITE)
        tg_strbuf_appendf(&r->text, "W+%.1f", white_minus_black);
    else if (winner == TG_BLACK)
        tg_strbuf_appendf(&r->text, "B+%.1f", -white_minus_black);
    else
        tg_strbuf_append(&r->text, "0");
}

static void cmd_loadsgf(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc != 1 && argc != 2)
        return fail_args(r, "a file name and an optional move number", argc, argv);
    long long move_number = 0;
    if (argc == 2 && !parse_int(argv[1], 1, 10000001, &move_number))
        return fail(r, "syntax error: invalid move number '%s'", argv[1]);
    tg_sgf_game game;
    char err[512];
    if (!tg_sgf_load_file(argv[0], &game, err, sizeof err))
        return fail(r, "cannot load file: %s", err);
    tg_board board;
    tg_history hist;
    tg_color next;
    tg_board_init(&board, game.xsize, game.ysize);
    tg_history_init(&hist, &board, TG_BLACK, &g->rules, 0);
    if (!tg_sgf_setup_position_ex(&game, (int)move_number, &g->rules, g->prevent_encore, &board, &hist, &next, err,
                                   sizeof err)) {
        fail(r, "cannot load file: %s", err);
    } else {
        /* The game restarts from the SGF's setup; its moves become the undo history. */
        g->rules = hist.rules;
        tg_board start = hist.initial_board;
        tg_color start_pla = hist.initial_pla;
        int n = hist.num_moves;
        tg_move *moves = malloc(sizeof(tg_move) * (size_t)(n ? n : 1));
        if (!moves)
            abort();
        if (n > 0)
            memcpy(moves, hist.moves, sizeof(tg_move) * (size_t)n);
        set_position(g, &start, start_pla);
        g->num_game_moves = 0;
        for (int i = 0; i < n; i++)
            remember_move(g, moves[i].loc, moves[i].pla);
        free(moves);
        tg_history_copy(&g->hist, &hist);
        tg_history_set_assume_multiple_starting_black_moves_are_handicap(&g->hist, g->assume_handicap);
        g->board = board;
        g->next_pla = next;
        if (g->force_komi) {
            g->rules.komi = g->forced_komi;
            tg_history_set_komi(&g->hist, g->forced_komi);
        }
        g->search_stale = true;
    }
    tg_history_free(&hist);
    tg_sgf_free(&game);
}

static void cmd_printsgf(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc > 1)
        return fail_args(r, "an optional file name", argc, argv);
    char *sgf = tg_sgf_write(&g->hist);
    if (argc == 0 || !strcmp(argv[0], "-")) {
        tg_strbuf_append(&r->text, sgf);
    } else {
        FILE *f = fopen(argv[0], "w");
        if (!f || fputs(sgf, f) == EOF || fclose(f) != 0)
            fail(r, "cannot write file %s: %s", argv[0], strerror(errno));
    }
    free(sgf);
}

static void cmd_nothing_to_do(tg_gtp *g, int argc, char **argv, reply *r) {
    /* clear_cache and stop: no network cache and no background search exist yet. */
    (void)g, (void)argc, (void)argv, (void)r;
}

/* kata-raw-nn [COLOR] SYMMETRY|all [OPTIMISM]: the network's raw view of the position. */
static void cmd_kata_raw_nn(tg_gtp *g, int argc, char **argv, reply *r) {
    static const char usage[] =
        " for kata-raw-nn (expected an optional color, a symmetry 'all' or index [0-7], and an optional optimism [0-1])";
    tg_color pla = g->next_pla;
    int i = 0;
    if (i < argc && parse_color(argv[i], &pla))
        i++;
    if (i >= argc)
        return fail(r, "Expected a symmetry argument 'all' or index [0-7]%s", usage);
    int which = -1;
    long long sym;
    if (!strcasecmp(argv[i], "all"))
        which = -1;
    else if (parse_int(argv[i], 0, TG_NUM_SYMMETRIES - 1, &sym))
        which = (int)sym;
    else
        return fail(r, "Expected a symmetry argument 'all' or index [0-7] but got '%s'%s", argv[i], usage);
    i++;
    double optimism = g->root_policy_optimism;
    if (i < argc) {
        if (!parse_double(argv[i], &optimism) || !(optimism >= 0.0 && optimism <= 1.0))
            return fail(r, "Expected an optimism value in [0,1] but got '%s'%s", argv[i], usage);
        i++;
    }
    if (i < argc)
        return fail_args(r, "an optional color, a symmetry and an optional optimism", argc, argv);
    if (!g->nn)
        return fail(r, "no neural network loaded: start tengen with -model FILE");

    /* Asking for the player not to move restarts the history with that player to move, as KataGo does. */
    tg_board board = g->board;
    tg_history hist = {0};
    tg_history_copy(&hist, &g->hist);
    if (pla != g->next_pla)
        tg_history_set_player_and_clear(&hist, &board, pla);
    tg_nn_input_params params;
    tg_nn_input_params_default(&params);
    params.policy_optimism = optimism;
    tg_nn_result *res = malloc(sizeof *res);
    if (!res)
        abort();
    char err[512];
    for (int s = 0; s < TG_NUM_SYMMETRIES; s++) {
        if (which >= 0 && s != which)
            continue;
        if (!tg_nn_evaluate(g->nn, &board, &hist, pla, s, &params, res, err, sizeof err)) {
            fail(r, "network evaluation failed: %s", err);
            break;
        }
        tg_nn_format_raw_nn(res, s, board.xsize, board.ysize, &r->text);
    }
    free(res);
    tg_history_free(&hist);
}

/* ------------------------------------------------------------------ search: genmove and analysis */

static bool require_search(tg_gtp *g, reply *r) {
    if (g->search)
        return true;
    fail(r, "no neural network loaded: start tengen with -model FILE");
    return false;
}

static void sync_search(tg_gtp *g) {
    if (g->search_stale) {
        tg_search_set_position(g->search, &g->board, &g->hist, g->next_pla);
        g->search_stale = false;
    }
}

/* Analysis arguments, as KataGo's parseAnalyzeCommand reads them. */
typedef struct analyze_args {
    tg_color pla;
    double interval_s;   /* 0: no periodic output */
    int min_moves, max_moves;
    bool root_info;
} analyze_args;

static bool parse_bool_word(const char *s, bool *out) {
    if (!strcasecmp(s, "true") || !strcmp(s, "1")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(s, "false") || !strcmp(s, "0")) {
        *out = false;
        return true;
    }
    return false;
}

/* [player] [interval] {key value}: kata-only keys are refused for lz- commands, and any unknown key
 * fails the whole command, as in KataGo. */
static bool parse_analyze_args(tg_gtp *g, int argc, char **argv, bool kata, analyze_args *a, reply *r) {
    a->pla = g->next_pla;
    a->interval_s = 0;
    a->min_moves = 0;
    a->max_moves = 10000000;
    a->root_info = false;
    int i = 0;
    if (i < argc && parse_color(argv[i], &a->pla))
        i++;
    double centis;
    if (i < argc && parse_double(argv[i], &centis)) {
        if (!(centis >= 0 && centis <= 1e25))
            goto bad;
        a->interval_s = centis / 100.0;
        i++;
    }
    for (; i < argc; i += 2) {
        if (i + 1 >= argc)
            goto bad;
        const char *key = argv[i], *value = argv[i + 1];
        long long n;
        bool flag;
        if (!strcmp(key, "interval") && parse_double(value, &centis) && centis >= 0 && centis <= 1e25) {
            a->interval_s = centis / 100.0;
        } else if (!strcmp(key, "minmoves") && parse_int(value, 0, 1000000000, &n)) {
            a->min_moves = (int)n;
        } else if (!strcmp(key, "maxmoves") && parse_int(value, 0, 1000000000, &n)) {
            a->max_moves = (int)n;
        } else if (kata && !strcmp(key, "rootInfo") && parse_bool_word(value, &flag)) {
            a->root_info = flag;
        } else if (kata && parse_bool_word(value, &flag) && !flag &&
                   (!strcmp(key, "ownership") || !strcmp(key, "ownershipStdev") || !strcmp(key, "movesOwnership") ||
                    !strcmp(key, "movesOwnershipStdev") || !strcmp(key, "pvVisits") ||
                    !strcmp(key, "pvEdgeVisits") || !strcmp(key, "noResultValue"))) {
            /* Asking for these to be off is what they already are. */
        } else if (!strcmp(key, "avoid") || !strcmp(key, "allow") || !strcmp(key, "ownership") ||
                   !strcmp(key, "ownershipStdev") || !strcmp(key, "movesOwnership") ||
                   !strcmp(key, "movesOwnershipStdev") || !strcmp(key, "pvVisits") || !strcmp(key, "pvEdgeVisits") ||
                   !strcmp(key, "noResultValue")) {
            fail(r, "analysis option '%s' is not supported by this version of tengen yet", key);
            return false;
        } else {
            goto bad;
        }
    }
    return true;
bad:;
    tg_strbuf got;
    tg_strbuf_init(&got);
    join_args(&got, argc, argv);
    fail(r, "Could not parse analyze arguments or arguments out of range: '%s'", got.data);
    tg_strbuf_free(&got);
    return false;
}

typedef struct analysis_stream {
    tg_gtp *g;
    tg_analysis_format fmt;
    analyze_args args;
    tg_move_info *moves;
    tg_strbuf line;
} analysis_stream;

/* One info line from the search's current state; nothing while no move has visits. */
static void print_analysis(const tg_search *s, void *ctx) {
    analysis_stream *st = ctx;
    int n = tg_search_analysis(s, st->moves, TG_MAX_PLAY_SIZE + 1, 15);
    int shown = 0;
    for (int i = 0; i < n && shown < st->args.max_moves; i++)
        if (st->moves[i].visits > 0 || shown < st->args.min_moves)
            st->moves[shown++] = st->moves[i];
    if (shown == 0)
        return;
    tg_root_info root;
    tg_search_root_info(s, &root);
    tg_strbuf_clear(&st->line);
    tg_format_analysis_line(&st->line, &st->fmt, st->moves, shown, &root, tg_search_root_board(s));
    fprintf(st->g->out, "%s\n", st->line.data);
    fflush(st->g->out);
}

static void write_header(tg_gtp *g) {
    if (g->has_id)
        fprintf(g->out, "=%lld\n", g->id);
    else
        fputs("=\n", g->out);
    fflush(g->out);
}

static bool stream_init(analysis_stream *st, tg_gtp *g, int style, const analyze_args *a) {
    st->g = g;
    st->args = *a;
    st->fmt.style = style;
    st->fmt.perspective = g->report_perspective;
    st->fmt.root_info = a->root_info;
    st->moves = malloc(sizeof(tg_move_info) * (TG_MAX_PLAY_SIZE + 1));
    tg_strbuf_init(&st->line);
    return st->moves != NULL;
}

static void stream_free(analysis_stream *st) {
    free(st->moves);
    tg_strbuf_free(&st->line);
}

typedef struct background_search {
    tg_gtp *g;
    analysis_stream *stream;
    atomic_bool stop;
    bool ok;
    char err[512];
} background_search;

static void *run_background_search(void *arg) {
    background_search *bg = arg;
    tg_search_limits unlimited = {.max_visits = INT64_MAX / 4, .max_playouts = INT64_MAX / 4, .max_time = 1e30};
    bg->ok = tg_search_run(bg->g->search, bg->stream->args.pla, &unlimited, bg->stream->args.interval_s > 0 ? print_analysis : NULL,
                           bg->stream->args.interval_s, bg->stream, &bg->stop, bg->err, sizeof bg->err);
    return NULL;
}

/* kata-analyze / lz-analyze / analyze: searches until the next input line, reporting every interval.
 * The response is the "=" header, the info lines, and the blank line written once the search stopped. */
static void analyze_until_input(tg_gtp *g, int argc, char **argv, reply *r, int style) {
    analyze_args a;
    if (!require_search(g, r) || !parse_analyze_args(g, argc, argv, style != TG_ANALYSIS_LZ, &a, r))
        return;
    analysis_stream st;
    if (!stream_init(&st, g, style, &a)) {
        stream_free(&st);
        return fail(r, "out of memory");
    }
    sync_search(g);
    write_header(g);
    r->streamed = true;
    background_search bg = {.g = g, .stream = &st};
    atomic_init(&bg.stop, false);
    pthread_t thread;
    if (pthread_create(&thread, NULL, run_background_search, &bg) != 0) {
        fputs("\n", g->out);
        fflush(g->out);
        stream_free(&st);
        return;
    }
    /* Any line stops the analysis, an empty one or a comment too; it is then handled as usual. */
    while (!tg_line_queue_wait(g->input, 1.0))
        ;
    atomic_store(&bg.stop, true);
    pthread_join(thread, NULL);
    if (!bg.ok)
        tg_log_warn("analysis stopped: %s", bg.err);
    fputs("\n", g->out);
    fflush(g->out);
    stream_free(&st);
}

static void cmd_kata_analyze(tg_gtp *g, int argc, char **argv, reply *r) { analyze_until_input(g, argc, argv, r, TG_ANALYSIS_KATA); }
static void cmd_lz_analyze(tg_gtp *g, int argc, char **argv, reply *r) { analyze_until_input(g, argc, argv, r, TG_ANALYSIS_LZ); }
static void cmd_sabaki_analyze(tg_gtp *g, int argc, char **argv, reply *r) { analyze_until_input(g, argc, argv, r, TG_ANALYSIS_SABAKI); }

/* Runs the configured search for pla and returns the move to play (KataGo's chosen move). */
static bool search_for_move(tg_gtp *g, tg_color pla, analysis_stream *stream, tg_loc *move, reply *r) {
    sync_search(g);
    tg_search_limits limits = {0};
    char err[512];
    bool ok = tg_search_run(g->search, pla, &limits, stream && stream->args.interval_s > 0 ? print_analysis : NULL,
                            stream ? stream->args.interval_s : 0, stream, NULL, err, sizeof err);
    if (!ok) {
        fail(r, "search failed: %s", err);
        return false;
    }
    /* tg_search_run restarts the history when pla is not the player to move, as KataGo does. */
    *move = tg_search_chosen_move(g->search);
    if (*move == TG_NULL_LOC) {
        fail(r, "search found no move");
        return false;
    }
    return true;
}

static void genmove_common(tg_gtp *g, int argc, char **argv, reply *r, bool play) {
    tg_color pla;
    if (argc != 1 || !parse_color(argv[0], &pla))
        return fail_args(r, "one colour", argc, argv);
    if (!require_search(g, r))
        return;
    tg_loc move;
    if (!search_for_move(g, pla, NULL, &move, r))
        return;
    if (play && !play_move(g, move, pla))
        return fail(r, "the search chose an illegal move");
    char vertex[8];
    tg_strbuf_append(&r->text, tg_loc_str(move, g->board.xsize, g->board.ysize, vertex));
}

static void cmd_genmove(tg_gtp *g, int argc, char **argv, reply *r) { genmove_common(g, argc, argv, r, true); }
static void cmd_reg_genmove(tg_gtp *g, int argc, char **argv, reply *r) { genmove_common(g, argc, argv, r, false); }

/* *-genmove_analyze: a normal genmove that reports as it goes and ends with "play MOVE"; not stopped by input. */
static void genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r, int style) {
    analyze_args a;
    if (!require_search(g, r) || !parse_analyze_args(g, argc, argv, style != TG_ANALYSIS_LZ, &a, r))
        return;
    analysis_stream st;
    if (!stream_init(&st, g, style, &a)) {
        stream_free(&st);
        return fail(r, "out of memory");
    }
    write_header(g);
    r->streamed = true;
    tg_loc move;
    reply inner = {.error = false};
    tg_strbuf_init(&inner.text);
    if (search_for_move(g, a.pla, &st, &move, &inner) && play_move(g, move, a.pla)) {
        char vertex[8];
        fprintf(g->out, "play %s\n\n", tg_loc_str(move, g->board.xsize, g->board.ysize, vertex));
    } else {
        tg_log_warn("genmove_analyze failed: %s", inner.text.data);
        fputs("\n", g->out);
    }
    fflush(g->out);
    tg_strbuf_free(&inner.text);
    stream_free(&st);
}

static void cmd_kata_genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r) { genmove_analyze(g, argc, argv, r, TG_ANALYSIS_KATA); }
static void cmd_lz_genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r) { genmove_analyze(g, argc, argv, r, TG_ANALYSIS_LZ); }
static void cmd_sabaki_genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r) { genmove_analyze(g, argc, argv, r, TG_ANALYSIS_SABAKI); }

static const command commands[] = {
    {"protocol_version", cmd_protocol_version, true},
    {"name", cmd_name, true},
    {"version", cmd_version, true},
    {"known_command", cmd_known_command, true},
    {"list_commands", cmd_list_commands, true},
    {"quit", cmd_quit, true},
    {"boardsize", cmd_boardsize, true},
    {"rectangular_boardsize", cmd_boardsize, true},
    {"clear_board", cmd_clear_board, true},
    {"komi", cmd_komi, true},
    {"get_komi", cmd_get_komi, true},
    {"play", cmd_play, true},
    {"undo", cmd_undo, true},
    {"showboard", cmd_showboard, true},
    {"set_position", cmd_set_position, true},
    {"fixed_handicap", cmd_fixed_handicap, true},
    {"place_free_handicap", cmd_place_free_handicap, true},
    {"set_free_handicap", cmd_set_free_handicap, true},
    {"loadsgf", cmd_loadsgf, true},
    {"printsgf", cmd_printsgf, true},
    {"time_settings", cmd_time_settings, true},
    {"kgs-time_settings", cmd_kgs_time_settings, true},
    {"kata-time_settings", cmd_kata_time_settings, true},
    {"kata-list_time_settings", cmd_kata_list_time_settings, true},
    {"time_left", cmd_time_left, true},
    {"kata-get-rules", cmd_kata_get_rules, true},
    {"kata-set-rules", cmd_kata_set_rules, true},
    {"kata-set-rule", cmd_kata_set_rule, true},
    {"kgs-rules", cmd_kgs_rules, true},
    {"final_score", cmd_final_score, true},
    {"is_legal", cmd_is_legal, true},
    {"kata-raw-nn", cmd_kata_raw_nn, true},
    {"clear_cache", cmd_nothing_to_do, true},
    {"stop", cmd_nothing_to_do, true},
    /* Accepted so that controllers get a clear answer, not listed until the search exists. */
    {"genmove", cmd_genmove, true},
    {"reg_genmove", cmd_reg_genmove, true},
    {"kata-analyze", cmd_kata_analyze, true},
    {"lz-analyze", cmd_lz_analyze, true},
    {"kata-genmove_analyze", cmd_kata_genmove_analyze, true},
    {"lz-genmove_analyze", cmd_lz_genmove_analyze, true},
    /* Sabaki's names: accepted but not listed, as KataGo does (Sabaki would read their winrates as integers). */
    {"analyze", cmd_sabaki_analyze, false},
    {"genmove_analyze", cmd_sabaki_genmove_analyze, false},
};

static const command *find_command(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void list_commands(reply *r) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!commands[i].listed)
            continue;
        if (r->text.len)
            tg_strbuf_append(&r->text, "\n");
        tg_strbuf_append(&r->text, commands[i].name);
    }
}

/* ------------------------------------------------------------------ framing */

/* KataGo's cleaning: printable ASCII and tabs only (NUL bytes too are dropped, not line ends),
 * '#' starts a comment, tabs become spaces. */
static void clean_line(char *line, size_t len) {
    char *w = line;
    for (char *p = line; p < line + len; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '#')
            break;
        if (c == '\t')
            *w++ = ' ';
        else if (c >= 32 && c < 127)
            *w++ = (char)c;
    }
    *w = '\0';
}

static void write_response(FILE *out, bool has_id, long long id, const reply *r) {
    /* A blank line ends a GTP response, so none may appear inside one. */
    const char *text = r->text.data;
    size_t n = r->text.len;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
        n--;
    fputc(r->error ? '?' : '=', out);
    if (has_id)
        fprintf(out, "%lld", id);
    fputc(' ', out);
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n' && i > 0 && text[i - 1] == '\n')
            continue;
        fputc(text[i], out);
    }
    fputs("\n\n", out);
    fflush(out);
}

int tg_gtp_run(tg_gtp *g, FILE *in, FILE *out) {
    /* Lines are read on their own thread so that commands that run until the next input (analysis)
     * can see it arrive; commands themselves are still executed here, one at a time, in order. */
    tg_line_queue *input = tg_line_queue_start(in);
    if (!input) {
        tg_log_warn("cannot start the input reader thread");
        return 1;
    }
    g->input = input;
    g->out = out;
    char *line;
    size_t got;
    char *argv[MAX_ARGS];
    reply r;
    tg_strbuf_init(&r.text);
    for (; (line = tg_line_queue_pop(input, &got)) != NULL; free(line)) {
        clean_line(line, got);
        char *p = line;
        while (*p == ' ')
            p++;
        if (!*p)
            continue;
        bool has_id = false;
        long long id = 0;
        r.error = false;
        r.quit = false;
        r.streamed = false;
        tg_strbuf_clear(&r.text);
        if (isdigit((unsigned char)*p)) {
            has_id = true;
            char *end = p;
            while (isdigit((unsigned char)*end))
                end++;
            char saved = *end;
            *end = '\0';
            if (!parse_int(p, 0, LLONG_MAX, &id)) {
                fail(&r, "GTP id '%s' could not be parsed", p);
                *end = saved;
                write_response(out, false, 0, &r);
                continue;
            }
            *end = saved;
            p = end;
        }
        int argc = 0;
        char *save = NULL;
        for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            if (argc == MAX_ARGS) {
                argc = -1;
                break;
            }
            argv[argc++] = tok;
        }
        g->has_id = has_id;
        g->id = id;
        if (argc == 0) {
            fail(&r, "empty command");
        } else if (argc < 0) {
            fail(&r, "syntax error: more than %d arguments", MAX_ARGS - 1);
        } else {
            const command *c = find_command(argv[0]);
            if (!c)
                fail(&r, "unknown command");
            else
                c->fn(g, argc - 1, argv + 1, &r);
        }
        if (!r.streamed)
            write_response(out, has_id, id, &r);
        if (r.quit) {
            free(line);
            break;
        }
    }
    g->input = NULL;
    tg_line_queue_stop(input);
    tg_strbuf_free(&r.text);
    return 0;
}

void tg_gtp_position(const tg_gtp *g, tg_board *board, tg_history *hist, tg_color *next_pla) {
    *board = g->board;
    tg_history_copy(hist, &g->hist);
    *next_pla = g->next_pla;
}

/* ------------------------------------------------------------------ setup */

/* The starting rules from the config, as KataGo's loadSingleRules reads them: `rules`, or the individual
 * keys (koRule, scoringRule and multiStoneSuicideLegal then required), never both. No config at all
 * means Tromp-Taylor. The starting komi is the ruleset's; GUIs send their own. */
static bool rules_from_config(const tg_config *cfg, tg_rules *out, char *err, size_t errlen) {
    static const char *const individual[] = {"koRule", "scoringRule", "taxRule", "multiStoneSuicideLegal",
                                             "hasButton", "whiteHandicapBonus", "friendlyPassOk",
                                             "whiteBonusPerHandicapStone"};
    *out = tg_rules_default();
    bool any_individual = false;
    for (size_t i = 0; i < sizeof individual / sizeof individual[0]; i++)
        any_individual |= tg_config_has(cfg, individual[i]);
    if (tg_config_has(cfg, "rules")) {
        if (any_individual) {
            snprintf(err, errlen, "config sets both 'rules' and individual rule keys such as koRule; keep one of them");
            return false;
        }
        char perr[256];
        const char *text = tg_config_get(cfg, "rules");
        if (!tg_rules_parse_with_default_komi(text, out, perr, sizeof perr)) {
            snprintf(err, errlen, "config key 'rules' has value '%s': %s", text, perr);
            return false;
        }
        return true;
    }
    if (!any_individual)
        return true;
    static const char *const required[] = {"koRule", "scoringRule", "multiStoneSuicideLegal"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!tg_config_has(cfg, required[i])) {
            snprintf(err, errlen, "config sets individual rule keys but not '%s'; set koRule, scoringRule and "
                                  "multiStoneSuicideLegal, or use 'rules = NAME' instead", required[i]);
            return false;
        }
    }
    const char *ko, *scoring, *tax, *whb;
    int64_t bonus_per_stone = 0;
    bool ok = tg_config_get_enum(cfg, "koRule", "SIMPLE", "SIMPLE|POSITIONAL|SITUATIONAL|SPIGHT", &ko, err, errlen) &&
              tg_config_get_enum(cfg, "scoringRule", "AREA", "AREA|TERRITORY", &scoring, err, errlen) &&
              tg_config_get_bool(cfg, "multiStoneSuicideLegal", false, &out->multi_stone_suicide_legal, err, errlen) &&
              tg_config_get_bool(cfg, "hasButton", false, &out->has_button, err, errlen) &&
              tg_config_get_enum(cfg, "taxRule", "NONE", "NONE|SEKI|ALL", &tax, err, errlen) &&
              tg_config_get_enum(cfg, "whiteHandicapBonus", "0", "0|N|N-1", &whb, err, errlen) &&
              tg_config_get_int(cfg, "whiteBonusPerHandicapStone", 0, 0, 1, &bonus_per_stone, err, errlen) &&
              tg_config_get_bool(cfg, "friendlyPassOk", out->friendly_pass_ok, &out->friendly_pass_ok, err, errlen);
    if (!ok)
        return false;
    char perr[256];
    if (!tg_rules_update(out, "ko", ko, perr, sizeof perr) || !tg_rules_update(out, "scoring", scoring, perr, sizeof perr) ||
        !tg_rules_update(out, "whiteHandicapBonus", whb, perr, sizeof perr)) {
        snprintf(err, errlen, "config rule keys: %s", perr);
        return false;
    }
    if (tg_config_has(cfg, "taxRule")) {
        if (!tg_rules_update(out, "tax", tax, perr, sizeof perr)) {
            snprintf(err, errlen, "config key 'taxRule': %s", perr);
            return false;
        }
    } else {
        out->tax_rule = out->scoring_rule == TG_SCORING_TERRITORY ? TG_TAX_SEKI : TG_TAX_NONE;
    }
    if (out->has_button && out->scoring_rule != TG_SCORING_AREA) {
        snprintf(err, errlen, "config sets hasButton = true with a scoring rule other than AREA");
        return false;
    }
    if (tg_config_has(cfg, "whiteBonusPerHandicapStone")) {
        if (tg_config_has(cfg, "whiteHandicapBonus")) {
            snprintf(err, errlen, "config sets both whiteBonusPerHandicapStone and whiteHandicapBonus; keep one");
            return false;
        }
        out->white_handicap_bonus_rule = bonus_per_stone ? TG_WHB_N : TG_WHB_ZERO;
    }
    /* KataGo's customary komi for these scorings when the config names no ruleset. */
    out->komi = out->scoring_rule == TG_SCORING_TERRITORY ? 6.5f : out->has_button ? 7.0f : 7.5f;
    return true;
}

tg_gtp *tg_gtp_new(tg_config *cfg, tg_nn_evaluator *nn, char *err, size_t errlen) {
    tg_gtp *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->cfg = cfg;
    g->nn = nn;
    const char *identity;
    bool ok = tg_config_get_enum(cfg, "gtpIdentity", "katago", "katago|tengen", &identity, err, errlen) &&
              tg_config_get_bool(cfg, "preventCleanupPhase", true, &g->prevent_encore, err, errlen) &&
              tg_config_get_bool(cfg, "assumeMultipleStartingBlackMovesAreHandicap", true, &g->assume_handicap, err,
                                 errlen);
    /* KataGo's GTP defaults: policyOptimism 1, rootPolicyOptimism min(policyOptimism, 0.2). */
    double policy_optimism = 1.0;
    ok = ok && tg_config_get_double(cfg, "policyOptimism", 1.0, 0.0, 1.0, &policy_optimism, err, errlen) &&
         tg_config_get_double(cfg, "rootPolicyOptimism", policy_optimism < 0.2 ? policy_optimism : 0.2, 0.0, 1.0,
                              &g->root_policy_optimism, err, errlen);
    double forced = 0;
    if (ok && tg_config_has(cfg, "ignoreGTPAndForceKomi")) {
        ok = tg_config_get_double(cfg, "ignoreGTPAndForceKomi", 7.5, TG_MIN_USER_KOMI, TG_MAX_USER_KOMI, &forced, err,
                                  errlen);
        g->force_komi = true;
        g->forced_komi = (float)forced;
    }
    int64_t xsize = 19, ysize = 19, size = 19;
    ok = ok && tg_config_get_int(cfg, "defaultBoardSize", 19, 2, TG_MAX_LEN, &size, err, errlen) &&
         tg_config_get_int(cfg, "defaultBoardXSize", size, 2, TG_MAX_LEN, &xsize, err, errlen) &&
         tg_config_get_int(cfg, "defaultBoardYSize", size, 2, TG_MAX_LEN, &ysize, err, errlen) &&
         rules_from_config(cfg, &g->rules, err, errlen);
    if (!ok) {
        free(g);
        return NULL;
    }
    g->identify_as_tengen = !strcasecmp(identity, "tengen");
    if (g->force_komi)
        g->rules.komi = g->forced_komi;
    g->time_black = g->time_white = tg_time_unlimited();
    const char *perspective;
    if (!tg_config_get_enum(cfg, "reportAnalysisWinratesAs", "SIDETOMOVE", "SIDETOMOVE|BLACK|WHITE", &perspective, err,
                            errlen)) {
        free(g);
        return NULL;
    }
    g->report_perspective = !strcasecmp(perspective, "BLACK")   ? TG_PERSPECTIVE_BLACK
                            : !strcasecmp(perspective, "WHITE") ? TG_PERSPECTIVE_WHITE
                                                                : TG_PERSPECTIVE_SIDE_TO_MOVE;
    if (nn) {
        if (!tg_search_params_load(&g->search_params, cfg, err, errlen)) {
            free(g);
            return NULL;
        }
        /* Without searchRandSeed every run differs, as in KataGo. */
        uint64_t seed = g->search_params.has_seed ? g->search_params.seed
                                                  : (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid();
        g->search = tg_search_new(&g->search_params, nn, seed);
        if (!g->search) {
            snprintf(err, errlen, "out of memory");
            free(g);
            return NULL;
        }
    }
    tg_board b;
    tg_board_init(&b, (int)xsize, (int)ysize);
    tg_history_init(&g->hist, &b, TG_BLACK, &g->rules, 0);
    set_position(g, &b, TG_BLACK);
    const char *name = tg_rules_name(&g->rules);
    char json[512];
    tg_rules_to_json(&g->rules, false, json, sizeof json);
    tg_log("Using %s rules initially, unless GTP/GUI overrides this", name ? name : json);
    return g;
}

void tg_gtp_free(tg_gtp *g) {
    if (!g)
        return;
    tg_search_free(g->search);
    tg_history_free(&g->hist);
    free(g->game_moves);
    free(g);
}
