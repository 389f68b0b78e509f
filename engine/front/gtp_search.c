/* GTP commands that search: genmove and its analysing variants, and kata-analyze / lz-analyze, which
 * search until the next input line arrives. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

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
    bool ownership, ownership_stdev, moves_ownership, moves_ownership_stdev, pv_visits, pv_edge_visits;
    bool no_result_value;
    /* avoid / allow, as KataGo's avoidMoveUntilByLoc: [colour - 1][loc] = plies below the root until which
     * that move may not be tried for that colour. */
    bool has_avoid;
    int avoid_until[2][TG_MAX_ARR_SIZE];
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

/* The comma-separated vertices of avoid / allow into until[loc] (KataGo: allow sets every point to depth
 * and the listed ones to 0; avoid sets the listed ones to depth). Empty pieces are skipped. */
static bool parse_avoid_moves(const tg_gtp *g, const char *list, bool allow, int depth, int *until) {
    int locs[TG_MAX_ARR_SIZE];
    int n = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char piece[16];
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 0) {
            tg_loc loc;
            if (len >= sizeof piece)
                return false;
            memcpy(piece, p, len);
            piece[len] = 0;
            if (!tg_loc_parse(piece, g->board.xsize, g->board.ysize, &loc) || loc < 0 || loc >= TG_MAX_ARR_SIZE)
                return false;
            if (n < TG_MAX_ARR_SIZE)
                locs[n++] = loc;
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (allow)
        for (int k = 0; k < TG_MAX_ARR_SIZE; k++)
            until[k] = depth;
    for (int k = 0; k < n; k++)
        until[locs[k]] = allow ? 0 : depth;
    return true;
}

/* [player] [interval] {key value}: kata-only keys are refused except for kata- commands (lz- and Sabaki's
 * analyze alike, as KataGo's isKata), and any unknown key
 * fails the whole command, as in KataGo. */
static bool parse_analyze_args(tg_gtp *g, int argc, char **argv, bool kata, analyze_args *a, reply *r) {
    a->pla = g->next_pla;
    a->interval_s = 0;
    a->min_moves = 0;
    a->max_moves = 10000000;
    a->root_info = false;
    a->ownership = a->ownership_stdev = a->moves_ownership = a->moves_ownership_stdev = false;
    a->pv_visits = a->pv_edge_visits = a->no_result_value = false;
    a->has_avoid = false;
    memset(a->avoid_until, 0, sizeof a->avoid_until);
    bool got_avoid[2] = {false, false}, got_allow[2] = {false, false};
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
        if (!strcmp(key, "avoid") || !strcmp(key, "allow")) {
            /* avoid|allow COLOUR v1,v2,... UNTILDEPTH */
            if (i + 3 >= argc)
                goto bad;
            bool allow = !strcmp(key, "allow");
            tg_color c;
            long long until;
            if (!gtp_parse_int(argv[i + 3], 1, 1000000000, &until) || !gtp_parse_color(value, &c))
                goto bad;
            int ci = c - 1;
            if ((allow && (got_avoid[ci] || got_allow[ci])) || (!allow && got_allow[ci]))
                goto bad;
            if (!parse_avoid_moves(g, argv[i + 2], allow, (int)until, a->avoid_until[ci]))
                goto bad;
            got_avoid[ci] |= !allow;
            got_allow[ci] |= allow;
            a->has_avoid = true;
            i += 2;
        } else if (!strcmp(key, "interval") && gtp_parse_double(value, &centis) && centis >= 0 && centis <= 1e25) {
            a->interval_s = centis / 100.0;
        } else if (!strcmp(key, "minmoves") && gtp_parse_int(value, 0, 1000000000, &n)) {
            a->min_moves = (int)n;
        } else if (!strcmp(key, "maxmoves") && gtp_parse_int(value, 0, 1000000000, &n)) {
            a->max_moves = (int)n;
        } else if (kata && !strcmp(key, "rootInfo") && parse_bool_word(value, &flag)) {
            a->root_info = flag;
        } else if (kata && !strcmp(key, "ownership") && parse_bool_word(value, &flag)) {
            a->ownership = flag;
        } else if (kata && !strcmp(key, "ownershipStdev") && parse_bool_word(value, &flag)) {
            a->ownership_stdev = flag;
        } else if (kata && !strcmp(key, "movesOwnership") && parse_bool_word(value, &flag)) {
            a->moves_ownership = flag;
        } else if (kata && !strcmp(key, "movesOwnershipStdev") && parse_bool_word(value, &flag)) {
            a->moves_ownership_stdev = flag;
        } else if (kata && !strcmp(key, "pvVisits") && parse_bool_word(value, &flag)) {
            a->pv_visits = flag;
        } else if (kata && !strcmp(key, "pvEdgeVisits") && parse_bool_word(value, &flag)) {
            a->pv_edge_visits = flag;
        } else if (kata && !strcmp(key, "noResultValue") && parse_bool_word(value, &flag)) {
            a->no_result_value = flag;
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
    double *own, *own_stdev, *moves_own, *moves_own_stdev; /* ownership buffers, when asked for */
} analysis_stream;

/* One info line from the search's current state; nothing while no move has visits. */
static void print_analysis(const tg_search *s, void *ctx) {
    analysis_stream *st = ctx;
    int n = tg_search_analysis(s, st->moves, TG_MAX_PLAY_SIZE + 1, 15, st->args.min_moves);
    int shown = n < st->args.max_moves ? n : st->args.max_moves;
    if (shown == 0)
        return;
    tg_root_info root;
    tg_search_root_info(s, &root);
    const tg_board *board = tg_search_root_board(s);
    size_t area = (size_t)board->xsize * (size_t)board->ysize;
    tg_analysis_ownership own = {0};
    if (st->own) {
        tg_search_tree_ownership(s, st->own, st->args.ownership_stdev ? st->own_stdev : NULL);
        own.root = st->own;
        own.root_stdev = st->own_stdev;
    }
    if (st->moves_own) {
        for (int i = 0; i < shown; i++)
            tg_search_move_ownership(s, st->moves[i].move, st->moves_own + (size_t)i * area,
                                     st->args.moves_ownership_stdev ? st->moves_own_stdev + (size_t)i * area : NULL);
        own.moves = st->moves_own;
        own.moves_stdev = st->moves_own_stdev;
    }
    tg_strbuf_clear(&st->line);
    tg_format_analysis_line(&st->line, &st->fmt, st->moves, shown, &root, board, &own);
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
    st->fmt.pv_visits = a->pv_visits;
    st->fmt.pv_edge_visits = a->pv_edge_visits;
    st->fmt.ownership = a->ownership;
    st->fmt.ownership_stdev = a->ownership_stdev;
    st->fmt.moves_ownership = a->moves_ownership;
    st->fmt.moves_ownership_stdev = a->moves_ownership_stdev;
    st->fmt.no_result_value = a->no_result_value;
    st->moves = malloc(sizeof(tg_move_info) * (TG_MAX_PLAY_SIZE + 1));
    st->own = st->own_stdev = st->moves_own = st->moves_own_stdev = NULL;
    tg_strbuf_init(&st->line);
    bool ok = st->moves != NULL;
    const size_t area = TG_MAX_PLAY_SIZE;
    /* KataGo computes the root map when either root block is asked for, and the per-move maps likewise. */
    if (a->ownership || a->ownership_stdev) {
        st->own = calloc(area, sizeof(double));
        st->own_stdev = calloc(area, sizeof(double));
        ok = ok && st->own && st->own_stdev;
    }
    if (a->moves_ownership || a->moves_ownership_stdev) {
        st->moves_own = calloc(area * (TG_MAX_PLAY_SIZE + 1), sizeof(double));
        st->moves_own_stdev = calloc(area * (TG_MAX_PLAY_SIZE + 1), sizeof(double));
        ok = ok && st->moves_own && st->moves_own_stdev;
    }
    return ok;
}

static void stream_free(analysis_stream *st) {
    free(st->moves);
    free(st->own);
    free(st->own_stdev);
    free(st->moves_own);
    free(st->moves_own_stdev);
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
    if (!require_search(g, r) || !parse_analyze_args(g, argc, argv, style == TG_ANALYSIS_KATA, &a, r))
        return;
    analysis_stream st;
    if (!stream_init(&st, g, style, &a)) {
        stream_free(&st);
        return gtp_fail(r, "out of memory");
    }
    sync_search(g);
    tg_search_set_avoid(g->search, a.has_avoid ? a.avoid_until[0] : NULL, a.has_avoid ? a.avoid_until[1] : NULL);
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

bool gtp_search_setup(tg_gtp *g, tg_nn_evaluator *nn, char *err, size_t errlen) {
    if (!tg_search_params_load(&g->search_params, g->cfg, err, errlen))
        return false;
    /* KataGo reads resignThreshold only when allowResignation is set, and then requires it. */
    int64_t consec = 3;
    bool ok = tg_config_get_bool(g->cfg, "allowResignation", false, &g->allow_resignation, err, errlen) &&
              tg_config_get_int(g->cfg, "resignConsecTurns", 3, 1, 100, &consec, err, errlen) &&
              tg_config_get_double(g->cfg, "resignMinScoreDifference", -1e10, 0.0, 1000.0, &g->resign_min_score_difference,
                                   err, errlen) &&
              tg_config_get_double(g->cfg, "resignMinMovesPerBoardArea", 0.0, 0.0, 1.0,
                                   &g->resign_min_moves_per_board_area, err, errlen);
    ok = ok && tg_config_get_double(g->cfg, "lagBuffer", 1.0, 0.0, 3600.0, &g->lag_buffer, err, errlen) &&
         tg_config_get_double(g->cfg, "searchFactorWhenWinning", 1.0, 0.01, 1.0, &g->search_factor_when_winning, err,
                              errlen) &&
         tg_config_get_double(g->cfg, "searchFactorWhenWinningThreshold", 1.0, 0.0, 1.0,
                              &g->search_factor_when_winning_threshold, err, errlen);
    g->resign_threshold = -1.0;
    if (ok && tg_config_has(g->cfg, "allowResignation"))
        ok = tg_config_get_double(g->cfg, "resignThreshold", -1.0, -1.0, 0.0, &g->resign_threshold, err, errlen);
    if (!ok)
        return false;
    g->resign_consec_turns = (int)consec;
    int64_t ponder_visits, ponder_playouts;
    double ponder_time;
    if (!tg_config_get_bool(g->cfg, "ponderingEnabled", false, &g->pondering_enabled, err, errlen) ||
        !tg_config_get_int(g->cfg, "maxVisitsPondering", (int64_t)1 << 50, 1, (int64_t)1 << 50, &ponder_visits, err,
                           errlen) ||
        !tg_config_get_int(g->cfg, "maxPlayoutsPondering", (int64_t)1 << 50, 1, (int64_t)1 << 50, &ponder_playouts, err,
                           errlen) ||
        !tg_config_get_double(g->cfg, "maxTimePondering", 1e20, 0.0, 1e20, &ponder_time, err, errlen))
        return false;
    g->ponder_limits = (tg_search_limits){.max_visits = ponder_visits, .max_playouts = ponder_playouts,
                                          .max_time = ponder_time};
    /* Without searchRandSeed every run differs, as in KataGo. */
    uint64_t seed = g->search_params.has_seed ? g->search_params.seed
                                              : ((uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL) ^ (uint64_t)getpid();
    g->search = tg_search_new(&g->search_params, nn, seed);
    if (!g->search) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

/* Points Black is ahead at the start (handicap stones worth 15 points under area scoring, 14 under
 * territory, komi 7 taken as fair), as KataGo estimates it for resignation. */
static double initial_black_advantage(const tg_history *hist) {
    tg_history copy = {0};
    tg_history_copy(&copy, hist);
    tg_history_set_assume_multiple_starting_black_moves_are_handicap(&copy, true);
    int stones = tg_history_compute_num_handicap_stones(&copy);
    tg_history_free(&copy);
    double komi = hist->rules.komi;
    if (stones <= 1)
        return 7.0 - komi;
    double stone_value = hist->rules.scoring_rule == TG_SCORING_AREA ? 15.0 : 14.0;
    double bonus = hist->rules.white_handicap_bonus_rule == TG_WHB_N           ? stones
                   : hist->rules.white_handicap_bonus_rule == TG_WHB_N_MINUS_ONE ? stones - 1
                                                                                 : 0;
    return stone_value * (stones - 1) + (7.0 - komi - bonus);
}

/* KataGo's resignation rule: the last resignConsecTurns evaluations all below resignThreshold for pla,
 * never before a minimum number of moves, never in a close game, and in a handicap game only when White
 * is well behind the catching-up schedule. lead is White's. */
static bool should_resign(const tg_gtp *g, const tg_board *board, const tg_history *hist, tg_color pla, double lead) {
    double advantage = initial_black_advantage(hist);
    int area = board->xsize * board->ysize;
    int min_turn = 0;
    double no_resign_when_white_above = area;
    if (advantage > 0.9 && pla == TG_WHITE) {
        min_turn = 1 + area / 5;
        double to_catch_up = 0.60 * area - min_turn, spent = (double)hist->num_moves - min_turn;
        if (to_catch_up <= 1.0)
            to_catch_up = 1.0;
        if (spent < 0.0)
            spent = 0.0;
        if (spent > to_catch_up)
            spent = to_catch_up;
        no_resign_when_white_above =
            -advantage * ((to_catch_up - spent) / to_catch_up) - 5.0 - advantage * 0.15;
    }
    if (min_turn < g->resign_min_moves_per_board_area * area)
        min_turn = (int)(g->resign_min_moves_per_board_area * area);
    if (hist->num_moves < min_turn)
        return false;
    if (pla == TG_WHITE && lead > no_resign_when_white_above)
        return false;
    if (g->resign_consec_turns > g->num_recent_winloss)
        return false;
    if ((pla == TG_WHITE && lead > -g->resign_min_score_difference) ||
        (pla == TG_BLACK && lead < g->resign_min_score_difference))
        return false;
    for (int i = 0; i < g->resign_consec_turns; i++) {
        double v = g->recent_winloss[g->num_recent_winloss - 1 - i];
        tg_color loser = v < g->resign_threshold ? TG_WHITE : v > -g->resign_threshold ? TG_BLACK : TG_EMPTY;
        if (loser != pla)
            return false;
    }
    return true;
}

/* Records the root's value after a genmove search; true when pla should resign now. */
static bool record_and_check_resign(tg_gtp *g, tg_color pla) {
    tg_root_info root;
    tg_search_root_info(g->search, &root);
    double sign = root.pla == TG_WHITE ? 1.0 : -1.0;
    double white_winloss = sign * (2.0 * root.winrate - 1.0);
    double white_lead = sign * root.score_lead;
    if (g->num_recent_winloss == g->cap_recent_winloss) {
        int cap = g->cap_recent_winloss ? 2 * g->cap_recent_winloss : 64;
        double *p = realloc(g->recent_winloss, sizeof(double) * (size_t)cap);
        if (!p)
            return false;
        g->recent_winloss = p;
        g->cap_recent_winloss = cap;
    }
    g->recent_winloss[g->num_recent_winloss++] = white_winloss;
    return g->allow_resignation && should_resign(g, tg_search_root_board(g->search), tg_search_root_history(g->search),
                                                 pla, white_lead);
}

/* ------------------------------------------------------------------ pondering */

struct gtp_ponder {
    pthread_t thread;
    tg_search *search;
    tg_color pla;
    tg_search_limits limits;
    atomic_bool stop;
};

static void *run_ponder(void *arg) {
    struct gtp_ponder *p = arg;
    char err[256];
    if (!tg_search_run(p->search, p->pla, &p->limits, NULL, 0, NULL, &p->stop, err, sizeof err))
        tg_log_warn("pondering stopped: %s", err);
    return NULL;
}

void gtp_maybe_start_pondering(tg_gtp *g) {
    bool wanted = g->ponder_requested;
    g->ponder_requested = false;
    if (!wanted || !g->pondering_enabled || !g->search || g->ponder || g->hist.is_game_finished)
        return;
    struct gtp_ponder *p = calloc(1, sizeof *p);
    if (!p)
        return;
    sync_search(g);
    p->search = g->search;
    p->pla = g->next_pla;
    p->limits = g->ponder_limits;
    atomic_init(&p->stop, false);
    if (pthread_create(&p->thread, NULL, run_ponder, p) != 0) {
        free(p);
        return;
    }
    g->ponder = p;
}

void gtp_stop_pondering(tg_gtp *g) {
    struct gtp_ponder *p = g->ponder;
    if (!p)
        return;
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    free(p);
    g->ponder = NULL;
}

/* clear_cache: forget cached network results and the search tree, so the next search starts afresh. */
void cmd_clear_cache(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv, (void)r;
    if (g->nn)
        tg_nn_evaluator_clear_cache(g->nn);
    if (g->search)
        tg_search_clear_tree(g->search);
}

/* How much of its limits a genmove search uses: KataGo's getSearchFactor (searchFactorWhenWinning once the last
 * three genmoves all saw pla winning beyond the threshold) times searchFactorAfterOnePass / AfterTwoPass
 * when the root follows a pass (two passes: this player's previous move was one too). */
static double search_factor(const tg_gtp *g, tg_color pla) {
    double factor = 1.0;
    double wluf = g->search_params.win_loss_utility_factor, threshold = g->search_factor_when_winning_threshold;
    if (g->num_recent_winloss >= 3 && wluf - threshold > 1e-10) {
        double least_winning = pla == TG_BLACK ? -wluf : wluf;
        for (int i = g->num_recent_winloss - 3; i < g->num_recent_winloss; i++) {
            double v = g->recent_winloss[i];
            if ((pla == TG_BLACK && v > least_winning) || (pla == TG_WHITE && v < least_winning))
                least_winning = v;
        }
        double excess = pla == TG_BLACK ? -threshold - least_winning : least_winning - threshold;
        if (excess > 0)
            factor = 1.0 + excess / (wluf - threshold) * (g->search_factor_when_winning - 1.0);
    }
    const tg_history *h = tg_search_root_history(g->search);
    if (h->num_moves >= 1 && h->moves[h->num_moves - 1].loc == TG_PASS_LOC)
        factor *= h->num_moves >= 3 && h->moves[h->num_moves - 3].loc == TG_PASS_LOC
                      ? g->search_params.search_factor_after_two_pass
                      : g->search_params.search_factor_after_one_pass;
    return factor;
}

/* Runs the configured search for pla and returns the move to play: KataGo's chosen move, or *resign, or the
 * chosen move changed by the passing hacks. */
static bool search_for_move(tg_gtp *g, tg_color pla, analysis_stream *stream, tg_loc *move, bool *resign,
                            reply *r) {
    sync_search(g);
    /* genmove runs without avoid / allow; the genmove_analyze variants with theirs. */
    bool avoid = stream && stream->args.has_avoid;
    tg_search_set_avoid(g->search, avoid ? stream->args.avoid_until[0] : NULL, avoid ? stream->args.avoid_until[1] : NULL);
    double factor = search_factor(g, pla);
    const double cap = (double)((int64_t)1 << 62);
    tg_search_limits limits = {
        .max_visits = (int64_t)ceil(fmin(cap, (double)g->search_params.max_visits * factor)),
        .max_playouts = (int64_t)ceil(fmin(cap, (double)g->search_params.max_playouts * factor)),
        .max_time = g->search_params.max_time * factor,
    };
    /* Under a clock, think for the time KataGo's allocation recommends (scaled by the factor even below the
     * minimum, never past the maximum), never past maxTime. */
    const tg_time_controls *clock = pla == TG_BLACK ? &g->time_black : &g->time_white;
    if (!tg_time_is_unlimited(clock)) {
        double min_time, recommended, max_time;
        tg_time_get_time(clock, &g->board, &g->hist, g->lag_buffer, &min_time, &recommended, &max_time);
        recommended = fmin(recommended * factor, max_time);
        limits.max_time = fmin(limits.max_time, recommended);
    }
    if (limits.max_visits < 1)
        limits.max_visits = 1;
    if (limits.max_playouts < 1)
        limits.max_playouts = 1;
    if (limits.max_time <= 0)
        limits.max_time = 0.001;
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
    *resign = record_and_check_resign(g, pla);
    if (!*resign)
        *move = gtp_apply_passing_hacks(g, pla, *move);
    return true;
}

static void genmove_common(tg_gtp *g, int argc, char **argv, reply *r, bool play) {
    tg_color pla;
    if (argc != 1 || !gtp_parse_color(argv[0], &pla))
        return gtp_fail_args(r, "one colour", argc, argv);
    if (!require_search(g, r))
        return;
    tg_loc move;
    bool resign;
    if (!search_for_move(g, pla, NULL, &move, &resign, r))
        return;
    if (resign) {
        tg_strbuf_append(&r->text, "resign");
        return;
    }
    if (play && !gtp_play_move(g, move, pla))
        return gtp_fail(r, "the search chose an illegal move");
    g->ponder_requested = play;
    char vertex[8];
    tg_strbuf_append(&r->text, tg_loc_str(move, g->board.xsize, g->board.ysize, vertex));
}

void cmd_genmove(tg_gtp *g, int argc, char **argv, reply *r) { genmove_common(g, argc, argv, r, true); }
void cmd_reg_genmove(tg_gtp *g, int argc, char **argv, reply *r) { genmove_common(g, argc, argv, r, false); }

/* *-genmove_analyze: a normal genmove that reports as it goes and ends with "play MOVE"; not stopped by input. */
static void genmove_analyze(tg_gtp *g, int argc, char **argv, reply *r, int style) {
    analyze_args a;
    if (!require_search(g, r) || !parse_analyze_args(g, argc, argv, style == TG_ANALYSIS_KATA, &a, r))
        return;
    analysis_stream st;
    if (!stream_init(&st, g, style, &a)) {
        stream_free(&st);
        return gtp_fail(r, "out of memory");
    }
    write_header(g);
    r->streamed = true;
    tg_loc move;
    bool resign = false;
    reply inner = {.error = false};
    tg_strbuf_init(&inner.text);
    if (search_for_move(g, a.pla, &st, &move, &resign, &inner) && resign) {
        fputs("play resign\n\n", g->out);
    } else if (!inner.error && gtp_play_move(g, move, a.pla)) {
        char vertex[8];
        fprintf(g->out, "play %s\n\n", tg_loc_str(move, g->board.xsize, g->board.ysize, vertex));
        g->ponder_requested = true;
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
