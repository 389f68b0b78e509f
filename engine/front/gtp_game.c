/* GTP commands about the game: board and handicap setup, moves and undo, rules, komi, clocks, SGF,
 * and the network's raw view of the position (kata-raw-nn). */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gtp_internal.h"
#include "log.h"
#include "game/handicap.h"
#include "game/sgf.h"
#include "nn/symmetry.h"

/* ------------------------------------------------------------------ position management */

static const char *color_name(tg_color c) { return c == TG_BLACK ? "Black" : c == TG_WHITE ? "White" : "Empty"; }

void gtp_set_position(tg_gtp *g, const tg_board *start, tg_color pla) {
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
    g->num_recent_winloss = 0; /* a new game: earlier evaluations say nothing about resigning this one */
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
bool gtp_play_move(tg_gtp *g, tg_loc loc, tg_color pla) {
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
    gtp_set_position(g, &start, g->game_start_pla);
    tg_history_set_initial_turn_number(&g->hist, turn);
    bool ok = true;
    for (int i = 0; i < count && ok; i++)
        ok = gtp_play_move(g, moves[i].loc, moves[i].pla);
    free(moves);
    return ok;
}

static void reset_board(tg_gtp *g, int xsize, int ysize) {
    tg_board b;
    tg_board_init(&b, xsize, ysize);
    gtp_set_position(g, &b, TG_BLACK);
}

void cmd_boardsize(tg_gtp *g, int argc, char **argv, reply *r) {
    long long x = 0, y = 0;
    bool ok = false;
    if (argc == 1) {
        char *colon = strchr(argv[0], ':');
        if (colon) {
            *colon = '\0';
            ok = gtp_parse_int(argv[0], LLONG_MIN, LLONG_MAX, &x) && gtp_parse_int(colon + 1, LLONG_MIN, LLONG_MAX, &y);
            *colon = ':';
        } else {
            ok = gtp_parse_int(argv[0], LLONG_MIN, LLONG_MAX, &x);
            y = x;
        }
    } else if (argc == 2) {
        ok = gtp_parse_int(argv[0], LLONG_MIN, LLONG_MAX, &x) && gtp_parse_int(argv[1], LLONG_MIN, LLONG_MAX, &y);
    }
    if (!ok)
        return gtp_fail_args(r, "a board size N, N:M or N M", argc, argv);
    if (x < 2 || y < 2 || x > TG_MAX_LEN || y > TG_MAX_LEN)
        return gtp_fail(r, "unacceptable size");
    reset_board(g, (int)x, (int)y);
}

void cmd_clear_board(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv, (void)r;
    reset_board(g, g->board.xsize, g->board.ysize);
}

void cmd_komi(tg_gtp *g, int argc, char **argv, reply *r) {
    double k;
    if (argc != 1 || !gtp_parse_double(argv[0], &k))
        return gtp_fail_args(r, "one number for komi", argc, argv);
    if (isnan(k) || k < TG_MIN_USER_KOMI || k > TG_MAX_USER_KOMI)
        return gtp_fail(r, "unacceptable komi");
    if (!tg_komi_is_int_or_half_int((float)k))
        return gtp_fail(r, "komi must be an integer or half-integer");
    float komi = g->force_komi ? g->forced_komi : (float)k;
    if (komi != g->rules.komi)
        g->search_stale = true;
    g->rules.komi = komi;
    tg_history_set_komi(&g->hist, komi);
}

void cmd_get_komi(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    tg_strbuf_appendf(&r->text, "%g", (double)g->rules.komi);
}

/* The "COLOR VERTEX" arguments of play and is_legal. */
static bool parse_move_args(const tg_gtp *g, int argc, char **argv, reply *r, tg_color *pla, tg_loc *loc) {
    if (argc != 2)
        gtp_fail_args(r, "a colour and a vertex", argc, argv);
    else if (!gtp_parse_color(argv[0], pla))
        gtp_fail(r, "syntax error: invalid color '%s'", argv[0]);
    else if (!tg_loc_parse(argv[1], g->board.xsize, g->board.ysize, loc))
        gtp_fail(r, "syntax error: invalid vertex '%s'", argv[1]);
    else
        return true;
    return false;
}

void cmd_play(tg_gtp *g, int argc, char **argv, reply *r) {
    tg_color pla;
    tg_loc loc;
    if (!parse_move_args(g, argc, argv, r, &pla, &loc))
        return;
    if (!gtp_play_move(g, loc, pla))
        return gtp_fail(r, "illegal move");
    g->ponder_requested = true;
}

/* Strict legality (GNU Go's is_legal): what the engine itself would be allowed to play. */
void cmd_is_legal(tg_gtp *g, int argc, char **argv, reply *r) {
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

void cmd_undo(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    if (g->num_game_moves <= 0)
        return gtp_fail(r, "cannot undo");
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

void cmd_showboard(tg_gtp *g, int argc, char **argv, reply *r) {
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

void cmd_set_position(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc % 2 != 0)
        return gtp_fail_args(r, "pairs of colour and vertex", argc, argv);
    tg_board b;
    tg_board_init(&b, g->board.xsize, g->board.ysize);
    for (int i = 0; i < argc; i += 2) {
        tg_color pla;
        tg_loc loc;
        if (!gtp_parse_color(argv[i], &pla))
            return gtp_fail(r, "syntax error: invalid color '%s'", argv[i]);
        if (!tg_loc_parse(argv[i + 1], b.xsize, b.ysize, &loc) || loc == TG_PASS_LOC)
            return gtp_fail(r, "syntax error: invalid vertex '%s'", argv[i + 1]);
        if (b.color[loc] != TG_EMPTY || !tg_board_set_stone(&b, loc, pla))
            return gtp_fail(r, "Illegal stone placements - overlapping stones or stones with no liberties?");
    }
    gtp_set_position(g, &b, TG_BLACK);
}

/* Handicap stones are a fresh start with White to move (KataGo's placeFixedHandicap). */
static void place_handicap(tg_gtp *g, const tg_loc *locs, int n, reply *r) {
    tg_board b;
    tg_board_init(&b, g->board.xsize, g->board.ysize);
    for (int i = 0; i < n; i++)
        tg_board_set_stone(&b, locs[i], TG_BLACK);
    gtp_set_position(g, &b, TG_WHITE);
    if (r)
        append_stone_list(&r->text, &b);
}

static bool parse_handicap_count(int argc, char **argv, reply *r, int *n) {
    long long v;
    if (argc != 1 || !gtp_parse_int(argv[0], LLONG_MIN, LLONG_MAX, &v)) {
        gtp_fail_args(r, "one number of handicap stones", argc, argv);
        return false;
    }
    if (v < 2) {
        gtp_fail(r, "invalid number of stones: %s (at least 2)", argv[0]);
        return false;
    }
    *n = v > TG_MAX_PLAY_SIZE ? TG_MAX_PLAY_SIZE : (int)v;
    return true;
}

void cmd_fixed_handicap(tg_gtp *g, int argc, char **argv, reply *r) {
    int n;
    if (!parse_handicap_count(argc, argv, r, &n))
        return;
    if (!tg_board_is_empty(&g->board))
        return gtp_fail(r, "board not empty");
    tg_loc locs[TG_MAX_PLAY_SIZE];
    int placed = tg_handicap_fixed(g->board.xsize, g->board.ysize, n, locs);
    if (placed < 0)
        return gtp_fail(r, "invalid number of stones: %s, try place_free_handicap",
                    tg_handicap_fixed_error(g->board.xsize, g->board.ysize, n));
    place_handicap(g, locs, placed, r);
}

void cmd_place_free_handicap(tg_gtp *g, int argc, char **argv, reply *r) {
    int n;
    if (!parse_handicap_count(argc, argv, r, &n))
        return;
    if (!tg_board_is_empty(&g->board))
        return gtp_fail(r, "board not empty");
    tg_loc locs[TG_MAX_PLAY_SIZE];
    int placed = tg_handicap_free(&g->board, n, locs);
    place_handicap(g, locs, placed, r);
}

void cmd_set_free_handicap(tg_gtp *g, int argc, char **argv, reply *r) {
    if (!tg_board_is_empty(&g->board))
        return gtp_fail(r, "board not empty");
    tg_board b;
    tg_board_init(&b, g->board.xsize, g->board.ysize);
    for (int i = 0; i < argc; i++) {
        tg_loc loc;
        if (!tg_loc_parse(argv[i], b.xsize, b.ysize, &loc) || loc == TG_PASS_LOC)
            return gtp_fail(r, "syntax error: invalid handicap vertex '%s'", argv[i]);
        if (b.color[loc] != TG_EMPTY || !tg_board_set_stone(&b, loc, TG_BLACK))
            return gtp_fail(r, "bad vertex list: %s repeats a point or leaves stones without liberties", argv[i]);
    }
    gtp_set_position(g, &b, TG_WHITE);
}

static bool parse_time_arg(int argc, char **argv, int idx, const char *what, bool allow_negative, double *out,
                           reply *r) {
    double t;
    if (idx >= argc || !gtp_parse_double(argv[idx], &t)) {
        gtp_fail(r, "syntax error: expected a number of seconds for %s as argument %d", what, idx);
        return false;
    }
    double lo = allow_negative ? -TG_MAX_USER_INPUT_TIME : 0.0;
    if (isnan(t) || t < lo || t > TG_MAX_USER_INPUT_TIME) {
        gtp_fail(r, "%s is an invalid value: %s", what, argv[idx]);
        return false;
    }
    *out = t;
    return true;
}

static bool parse_count_arg(int argc, char **argv, int idx, const char *what, int *out, reply *r) {
    long long v;
    if (idx >= argc || !gtp_parse_int(argv[idx], LLONG_MIN, LLONG_MAX, &v)) {
        gtp_fail(r, "syntax error: expected an integer for %s as argument %d", what, idx);
        return false;
    }
    if (v < 0 || v > 1000000) {
        gtp_fail(r, "%s is an invalid value: %s", what, argv[idx]);
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

void cmd_time_settings(tg_gtp *g, int argc, char **argv, reply *r) {
    double main_time, period;
    int stones;
    if (argc != 3)
        return gtp_fail_args(r, "main time, byo-yomi time and byo-yomi stones", argc, argv);
    if (!parse_time_arg(argc, argv, 0, "main time", false, &main_time, r) ||
        !parse_time_arg(argc, argv, 1, "byo-yomi time", false, &period, r) ||
        !parse_count_arg(argc, argv, 2, "byo-yomi stones", &stones, r))
        return;
    set_both_clocks(g, canadian_clock(main_time, period, stones));
}

void cmd_kata_list_time_settings(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g, (void)argc, (void)argv;
    tg_strbuf_append(&r->text, "none absolute byoyomi canadian fischer fischer-capped");
}

static void time_settings_family(tg_gtp *g, int argc, char **argv, reply *r, bool kata) {
    const char *usage = kata ? "expected 'none', 'absolute', 'byoyomi', 'canadian', 'fischer' or 'fischer-capped' "
                               "as first argument"
                             : "expected 'none', 'absolute', 'byoyomi' or 'canadian' as first argument";
    if (argc < 1)
        return gtp_fail(r, "syntax error: %s", usage);
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
        gtp_fail(r, "syntax error: %s", usage);
    }
}

void cmd_kgs_time_settings(tg_gtp *g, int argc, char **argv, reply *r) {
    time_settings_family(g, argc, argv, r, false);
}

void cmd_kata_time_settings(tg_gtp *g, int argc, char **argv, reply *r) {
    time_settings_family(g, argc, argv, r, true);
}

void cmd_time_left(tg_gtp *g, int argc, char **argv, reply *r) {
    tg_color pla;
    double seconds;
    long long stones;
    if (argc != 3 || !gtp_parse_color(argv[0], &pla) || !gtp_parse_double(argv[1], &seconds) ||
        !gtp_parse_int(argv[2], LLONG_MIN, LLONG_MAX, &stones))
        return gtp_fail_args(r, "a colour, seconds and stones", argc, argv);
    /* Controllers' clocks run slightly past zero; a little negative time is not an error. */
    if (isnan(seconds) || seconds < -10.0 || seconds > TG_MAX_USER_INPUT_TIME)
        return gtp_fail(r, "invalid time");
    if (stones < 0 || stones > 100000)
        return gtp_fail(r, "invalid stones");
    tg_time_controls *tc = pla == TG_BLACK ? &g->time_black : &g->time_white;
    tg_time_controls updated = *tc;
    const char *err;
    if (!tg_time_set_left(&updated, seconds, (int)stones, &err))
        return gtp_fail(r, "%s", err);
    *tc = updated;
}

void cmd_kata_get_rules(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc != 0)
        return gtp_fail_args(r, "no arguments", argc, argv);
    char json[512];
    tg_rules_to_json(&g->rules, false, json, sizeof json);
    tg_strbuf_append(&r->text, json);
}

/* Rules apply to the whole game, so the game is replayed under them (KataGo does the same). */
static void change_rules(tg_gtp *g, tg_rules rules, reply *r) {
    rules.komi = g->rules.komi;
    g->rules = rules;
    if (!replay_game(g, g->num_game_moves))
        gtp_fail(r, "Could not make the rules change, some earlier moves in the game would now become illegal.");
    const char *name = tg_rules_name(&rules);
    char json[512];
    tg_rules_to_json(&rules, false, json, sizeof json);
    tg_log("Changed rules to %s", name ? name : json);
}

void cmd_kata_set_rules(tg_gtp *g, int argc, char **argv, reply *r) {
    tg_strbuf text;
    tg_strbuf_init(&text);
    gtp_join_args(&text, argc, argv);
    tg_rules rules;
    char err[256];
    if (!tg_rules_parse_without_komi(text.data, g->rules.komi, &rules, err, sizeof err))
        gtp_fail(r, "Unknown rules '%s', %s", text.data, err);
    else
        change_rules(g, rules, r);
    tg_strbuf_free(&text);
}

void cmd_kata_set_rule(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc != 2)
        return gtp_fail_args(r, "a rule name and a value", argc, argv);
    tg_rules rules = g->rules;
    char err[256];
    if (!tg_rules_update(&rules, argv[0], argv[1], err, sizeof err))
        return gtp_fail(r, "%s", err);
    change_rules(g, rules, r);
}

void cmd_kgs_rules(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc < 1)
        return gtp_fail(r, "syntax error: expected one argument for kgs-rules");
    /* KGS names its rulesets differently from KataGo; "chinese" on KGS means positional superko. */
    static const char *const names[][2] = {
        {"chinese", "chinese-kgs"}, {"aga", "aga"}, {"new_zealand", "new-zealand"}, {"japanese", "japanese"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcasecmp(argv[0], names[i][0])) {
            tg_rules rules;
            char err[256];
            if (!tg_rules_parse_without_komi(names[i][1], g->rules.komi, &rules, err, sizeof err))
                return gtp_fail(r, "%s", err);
            return change_rules(g, rules, r);
        }
    }
    gtp_fail(r, "Unknown rules '%s'", argv[0]);
}

void cmd_loadsgf(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc != 1 && argc != 2)
        return gtp_fail_args(r, "a file name and an optional move number", argc, argv);
    long long move_number = 0;
    if (argc == 2 && !gtp_parse_int(argv[1], 1, 10000001, &move_number))
        return gtp_fail(r, "syntax error: invalid move number '%s'", argv[1]);
    tg_sgf_game game;
    char err[512];
    if (!tg_sgf_load_file(argv[0], &game, err, sizeof err))
        return gtp_fail(r, "cannot load file: %s", err);
    tg_board board;
    tg_history hist;
    tg_color next;
    tg_board_init(&board, game.xsize, game.ysize);
    tg_history_init(&hist, &board, TG_BLACK, &g->rules, 0);
    if (!tg_sgf_setup_position_ex(&game, (int)move_number, &g->rules, g->prevent_encore, &board, &hist, &next, err,
                                   sizeof err)) {
        gtp_fail(r, "cannot load file: %s", err);
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
        gtp_set_position(g, &start, start_pla);
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

void cmd_printsgf(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc > 1)
        return gtp_fail_args(r, "an optional file name", argc, argv);
    char *sgf = tg_sgf_write(&g->hist);
    if (argc == 0 || !strcmp(argv[0], "-")) {
        tg_strbuf_append(&r->text, sgf);
    } else {
        FILE *f = fopen(argv[0], "w");
        if (!f || fputs(sgf, f) == EOF || fclose(f) != 0)
            gtp_fail(r, "cannot write file %s: %s", argv[0], strerror(errno));
    }
    free(sgf);
}

void cmd_nothing_to_do(tg_gtp *g, int argc, char **argv, reply *r) {
    /* stop: analysis already ended when this line arrived (any input stops it), and nothing ponders. */
    (void)g, (void)argc, (void)argv, (void)r;
}

/* kata-raw-nn [COLOR] SYMMETRY|all [OPTIMISM]: the network's raw view of the position. */
void cmd_kata_raw_nn(tg_gtp *g, int argc, char **argv, reply *r) {
    static const char usage[] =
        " for kata-raw-nn (expected an optional color, a symmetry 'all' or index [0-7], and an optional optimism [0-1])";
    tg_color pla = g->next_pla;
    int i = 0;
    if (i < argc && gtp_parse_color(argv[i], &pla))
        i++;
    if (i >= argc)
        return gtp_fail(r, "Expected a symmetry argument 'all' or index [0-7]%s", usage);
    int which = -1;
    long long sym;
    if (!strcasecmp(argv[i], "all"))
        which = -1;
    else if (gtp_parse_int(argv[i], 0, TG_NUM_SYMMETRIES - 1, &sym))
        which = (int)sym;
    else
        return gtp_fail(r, "Expected a symmetry argument 'all' or index [0-7] but got '%s'%s", argv[i], usage);
    i++;
    double optimism = g->root_policy_optimism;
    if (i < argc) {
        if (!gtp_parse_double(argv[i], &optimism) || !(optimism >= 0.0 && optimism <= 1.0))
            return gtp_fail(r, "Expected an optimism value in [0,1] but got '%s'%s", argv[i], usage);
        i++;
    }
    if (i < argc)
        return gtp_fail_args(r, "an optional color, a symmetry and an optional optimism", argc, argv);
    if (!g->nn)
        return gtp_fail(r, "no neural network loaded: start tengen with -model FILE");

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
        /* Never from the cache, as KataGo's kata-raw-nn: it shows what the network says now. */
        if (!tg_nn_evaluate_ex(g->nn, &board, &hist, pla, s, &params, TG_NN_EVAL_SKIP_CACHE, res, err, sizeof err)) {
            gtp_fail(r, "network evaluation failed: %s", err);
            break;
        }
        tg_nn_format_raw_nn(res, s, board.xsize, board.ysize, &r->text);
    }
    free(res);
    tg_history_free(&hist);
}
