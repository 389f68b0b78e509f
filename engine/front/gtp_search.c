/* GTP commands that search: genmove and its analysing variants, and kata-analyze / lz-analyze, which
 * search until the next input line arrives. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis_format.h"
#include "gtp_internal.h"
#include "log.h"

/* ------------------------------------------------------------------ search: genmove and analysis */

static bool require_search(tg_gtp *g, reply *r) {
    if (g->search)
        return true;
    gtp_fail(r, "no neural network loaded: start tengen with -model FILE");
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
    if (i < argc && gtp_parse_color(argv[i], &a->pla))
        i++;
    double centis;
    if (i < argc && gtp_parse_double(argv[i], &centis)) {
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
        if (!strcmp(key, "interval") && gtp_parse_double(value, &centis) && centis >= 0 && centis <= 1e25) {
            a->interval_s = centis / 100.0;
        } else if (!strcmp(key, "minmoves") && gtp_parse_int(value, 0, 1000000000, &n)) {
            a->min_moves = (int)n;
        } else if (!strcmp(key, "maxmoves") && gtp_parse_int(value, 0, 1000000000, &n)) {
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
            gtp_fail(r, "analysis option '%s' is not supported by this version of tengen yet", key);
            return false;
        } else {
            goto bad;
        }
    }
    return true;
bad:;
    tg_strbuf got;
    tg_strbuf_init(&got);
    gtp_join_args(&got, argc, argv);
    gtp_fail(r, "Could not parse analyze arguments or arguments out of range: '%s'", got.data);
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
        return gtp_fail(r, "out of memory");
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

void cmd_kata_analyze(tg_gtp *g, int argc, char **argv, reply *r) { analyze_until_input(g, argc, argv, r, TG_ANALYSIS_KATA); }
void cmd_lz_analyze(tg_gtp *g, int argc, char **argv, reply *r) { analyze_until_input(g, argc, argv, r, TG_ANALYSIS_LZ); }
void cmd_sabaki_analyze(tg_gtp *g, int argc, char **argv, reply *r) { analyze_until_input(g, argc, argv, r, TG_ANALYSIS_SABAKI); }

/* Runs the configured search for pla and returns the move to play (KataGo's chosen move). */
static bool search_for_move(tg_gtp *g, tg_color pla, analysis_stream *stream, tg_loc *move, reply *r) {
    sync_search(g);
    tg_search_limits limits = {0};
    char err[512];
    bool ok = tg_search_run(g->search, pla, &limits, stream && stream->args.interval_s > 0 ? print_analysis : NULL,
                            stream ? stream->args.interval_s : 0, stream, NULL, err, sizeof err);
    if (!ok) {
        gtp_fail(r, "search failed: %s", err);
        return false;
    }
    /* tg_search_run restarts the history when pla is not the player to move, as KataGo does. */
    *move = tg_search_chosen_move(g->search);
    if (*move == TG_NULL_LOC) {
        gtp_fail(r, "search found no move");
        return false;
    }
    return true;
}

static void genmove_common(tg_gtp *g, int argc, char **argv, reply *r, bool play) {
    tg_color pla;
    if (argc != 1 || !gtp_parse_color(argv[0], &pla))
        return gtp_fail_args(r, "one colour", argc, argv);
    if (!require_search(g, r))
        return;
    tg_loc move;
    if (!search_for_move(g, pla, NULL, &move, r))
        return;
    if (play && !gtp_play_move(g, move, pla))
        return gtp_fail(r, "the search chose an illegal move");
    char vertex[8];
    tg_strbuf_append(&r->text, tg_loc_str(move, g->board.xsize, g->board.ysize, vertex));
}

void cmd_genmove(tg_gtp *g, int argc, char **argv, reply *r) { genmove_common(g, argc, argv, r, true); }
void cmd_reg_genmove(tg_gtp *g, int argc, char **argv, reply *r) { genmove_common(g, argc, argv, r, false); }

/* *-genmove_analyze: a normal genmove that reports as it goes and ends with "play MOVE"; not stopped by input. */
static void genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r, int style) {
    analyze_args a;
    if (!require_search(g, r) || !parse_analyze_args(g, argc, argv, style != TG_ANALYSIS_LZ, &a, r))
        return;
    analysis_stream st;
    if (!stream_init(&st, g, style, &a)) {
        stream_free(&st);
        return gtp_fail(r, "out of memory");
    }
    write_header(g);
    r->streamed = true;
    tg_loc move;
    reply inner = {.error = false};
    tg_strbuf_init(&inner.text);
    if (search_for_move(g, a.pla, &st, &move, &inner) && gtp_play_move(g, move, a.pla)) {
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

void cmd_kata_genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r) { genmove_analyze(g, argc, argv, r, TG_ANALYSIS_KATA); }
void cmd_lz_genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r) { genmove_analyze(g, argc, argv, r, TG_ANALYSIS_LZ); }
void cmd_sabaki_genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r) { genmove_analyze(g, argc, argv, r, TG_ANALYSIS_SABAKI); }
