/* `tengen benchmark`: for each thread count asked for, searches the same fixed positions to a fixed number
 * of visits and reports the speed (visits, network evaluations and batches per second, mean batch size),
 * each as a ratio to the first thread count of the run, then names the fastest thread count.
 *
 * Follows what `katago benchmark -t LIST` measures: Tromp-Taylor rules with the game's komi, the network
 * cache emptied before every position so every visit costs an evaluation, the evaluator's counters reset
 * per thread count, wall time summed over the searches only. Positions come from a game record: the
 * built-in one below, or -sgf FILE. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include "front/benchmark.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "front/config.h"
#include "front/log.h"
#include "game/board.h"
#include "game/history.h"
#include "game/rules.h"
#include "game/sgf.h"
#include "nn/evaluator.h"
#include "search/search.h"
#include "search/searchparams.h"
#include "util/numparse.h"

#ifndef TENGEN_SYSCONFDIR
#define TENGEN_SYSCONFDIR "/etc/tengen"
#endif

enum { BENCH_DEFAULT_VISITS = 200, BENCH_DEFAULT_POSITIONS = 10, BENCH_MAX_THREAD_COUNTS = 32 };
static const char bench_default_threads[] = "1,2,4,8";
#define BENCH_DEFAULT_SECONDS_PER_MOVE 5.0

/* A 19x19 opening and early middle game (66 moves: corner approaches and enclosures, a few
 * exchanges on the sides), written for this benchmark. Black to play at every even move count. */
static const char bench_builtin_game[] =
    "(;GM[1]FF[4]SZ[19]KM[7.5]"
    ";B[pd];W[dd];B[pq];W[dp];B[fc];W[cf];B[qk];W[nq];B[pn];W[jq]"
    ";B[cn];W[fp];B[dj];W[hc];B[ec];W[dc];B[ed];W[ce];B[gd];W[qf]"
    ";B[rd];W[qc];B[qd];W[pc];B[oc];W[ob];B[nc];W[rc];B[rb];W[sd]"
    ";B[re];W[nb];B[mb];W[qb];B[pf];W[qg];B[pg];W[qh];B[ph];W[rk]"
    ";B[rl];W[qj];B[pk];W[rj];B[ql];W[kd];B[ic];W[hd];B[kf];W[lc]"
    ";B[md];W[ck];B[cj];W[bj];B[bi];W[bk];B[dl];W[ci];B[di];W[ch]"
    ";B[dh];W[dg];B[eg];W[df];B[ef];W[bh])";

typedef struct bench_options {
    const char *config_path;
    const char *model_path;
    const char *overrides;
    const char *threads;
    const char *sgf_path;
    double seconds_per_move;
    long visits;
    long positions;
} bench_options;

typedef struct bench_result {
    int threads;
    int positions;
    int64_t visits;
    int64_t playouts;
    double seconds;
    uint64_t evals;
    uint64_t batches;
    uint64_t cache_hits;
} bench_result;

static void bench_usage(FILE *f) {
    fprintf(f, "Usage: tengen benchmark -model FILE [-config FILE] [-override-config K=V,...]\n"
               "                        [-t THREADS] [-v VISITS] [-n POSITIONS] [-sgf FILE]\n"
               "  -t THREADS    comma-separated numSearchThreads values to try (default %s)\n"
               "  -v VISITS     visits per search (default %d)\n"
               "  -n POSITIONS  positions taken from the game, spread evenly over it (default %d)\n"
               "  -sgf FILE     take the positions from this game (default: a built-in 19x19 game)\n"
               "  -time SECONDS the time per move you play with, for the recommendation (default %g)\n",
            bench_default_threads, BENCH_DEFAULT_VISITS, BENCH_DEFAULT_POSITIONS, BENCH_DEFAULT_SECONDS_PER_MOVE);
}

static bool bench_parse_options(int argc, char **argv, bench_options *o) {
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-')
            a++;
        if (!strcmp(a, "-h") || !strcmp(a, "-help")) {
            bench_usage(stdout);
            exit(0);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "tengen benchmark: option '%s' needs a value (or is unknown)\n", argv[i]);
            return false;
        }
        const char *val = argv[++i];
        if (!strcmp(a, "-config"))
            o->config_path = val;
        else if (!strcmp(a, "-model"))
            o->model_path = val;
        else if (!strcmp(a, "-override-config"))
            o->overrides = val;
        else if (!strcmp(a, "-t") || !strcmp(a, "-threads"))
            o->threads = val;
        else if (!strcmp(a, "-sgf"))
            o->sgf_path = val;
        else if (!strcmp(a, "-v") || !strcmp(a, "-visits")) {
            if (!tg_parse_long(val, 1, 100000000L, &o->visits)) {
                fprintf(stderr, "tengen benchmark: -v wants a visit count from 1 to 100000000, not '%s'\n", val);
                return false;
            }
        } else if (!strcmp(a, "-time") || !strcmp(a, "-i")) {
            if (!tg_parse_double(val, 0.0, 1e6, &o->seconds_per_move)) {
                fprintf(stderr, "tengen benchmark: -time wants seconds per move above 0 and up to 1000000, not '%s'\n",
                        val);
                return false;
            }
        } else if (!strcmp(a, "-n") || !strcmp(a, "-numpositions")) {
            if (!tg_parse_long(val, 1, 100000, &o->positions)) {
                fprintf(stderr, "tengen benchmark: -n wants a position count from 1 to 100000, not '%s'\n", val);
                return false;
            }
        } else {
            fprintf(stderr, "tengen benchmark: unknown option '%s'\n", argv[i - 1]);
            bench_usage(stderr);
            return false;
        }
    }
    return true;
}

/* "1,2,4" -> counts; false on anything else. */
static bool parse_thread_list(const char *s, int *out, int max, int *n) {
    *n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 4096 || *n >= max)
            return false;
        out[(*n)++] = (int)v;
        if (*end == ',')
            end++;
        else if (*end)
            return false;
        p = end;
    }
    return *n > 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double ratio(double x, double base) { return base > 0 ? x / base : 0.0; }

/* KataGo's rough model of what a thread count is worth in a game at seconds_per_move (its benchmark
 * recommends by it, from its author's test matches): each doubling of visits/s gains about 250 Elo,
 * and each search thread costs about 7 Elo at 800 visits per move, less with more visits, because
 * virtual losses make the search less selective. Only differences between counts mean anything. */
static double elo_effect(const bench_result *r, double seconds_per_move) {
    const double vps = r->visits / r->seconds;
    if (!(vps > 0))
        return -1e9;
    const double visits_per_move = vps * seconds_per_move;
    return 250.0 * log2(vps) - r->threads * 7.0 * pow(1600.0 / (800.0 + visits_per_move), 0.85);
}

static void print_result(const bench_result *r, const bench_result *base, double seconds_per_move) {
    double vps = r->visits / r->seconds;
    double eps = r->evals / r->seconds;
    double bps = r->batches / r->seconds;
    double avg = r->batches ? (double)r->evals / (double)r->batches : 0.0;
    double base_vps = base->visits / base->seconds;
    double base_eps = base->evals / base->seconds;
    double base_avg = base->batches ? (double)base->evals / (double)base->batches : 0.0;
    printf("numSearchThreads = %2d: %d positions, %.1f s: visits/s = %8.2f (%.2fx)  nnEvals/s = %8.2f (%.2fx)  "
           "nnBatches/s = %8.2f  avgBatchSize = %5.2f (%.2fx)",
           r->threads, r->positions, r->seconds, vps, ratio(vps, base_vps), eps, ratio(eps, base_eps), bps, avg,
           ratio(avg, base_avg));
    if (r == base)
        printf("  (EloDiff baseline)\n");
    else
        printf("  (EloDiff %+.0f)\n", elo_effect(r, seconds_per_move) - elo_effect(base, seconds_per_move));
    fflush(stdout);
}

/* One thread count: every chosen position searched from an empty tree and an empty cache. */
static bool bench_run_threads(const tg_search_params *base_params, tg_nn_evaluator *ev, const tg_sgf_game *game,
                              const tg_rules *rules, const int *move_numbers, int npos, int threads, long visits,
                              bench_result *out, char *err, size_t errlen) {
    tg_search_params params = *base_params;
    params.num_threads = threads;
    params.max_visits = visits;
    params.max_playouts = visits;
    params.max_time = 1e20;
    uint64_t seed = params.has_seed ? params.seed : UINT64_C(0x62656e63686d6172); /* fixed: reproducible runs */
    tg_search *s = tg_search_new(&params, ev, seed);
    if (!s) {
        snprintf(err, errlen, "cannot create the search (out of memory)");
        return false;
    }
    memset(out, 0, sizeof *out);
    out->threads = threads;
    tg_nn_evaluator_reset_stats(ev);
    bool ok = true;
    for (int i = 0; i < npos && ok; i++) {
        tg_board board;
        tg_history hist;
        tg_color pla;
        tg_board_init(&board, game->xsize, game->ysize);
        tg_history_init(&hist, &board, TG_BLACK, rules, 0);
        if (!tg_sgf_setup_position(game, move_numbers[i], rules, &board, &hist, &pla, err, errlen)) {
            tg_history_free(&hist);
            ok = false;
            break;
        }
        tg_search_set_position(s, &board, &hist, pla);
        tg_nn_evaluator_clear_cache(ev);
        tg_search_limits limits = {.max_visits = visits, .max_playouts = visits, .max_time = 1e20};
        double t0 = now_seconds();
        ok = tg_search_run(s, pla, &limits, NULL, 0.0, NULL, NULL, err, errlen);
        out->seconds += now_seconds() - t0;
        out->visits += tg_search_root_visits(s);
        out->playouts += tg_search_num_playouts(s);
        out->positions++;
        tg_history_free(&hist);
    }
    tg_nn_evaluator_stats st;
    tg_nn_evaluator_get_stats(ev, &st);
    out->evals = st.evals;
    out->batches = st.batches;
    out->cache_hits = st.cache_hits;
    tg_search_free(s);
    if (ok && out->seconds <= 0)
        out->seconds = 1e-9;
    return ok;
}

int tg_benchmark_main(int argc, char **argv) {
    bench_options o = {.threads = bench_default_threads, .visits = BENCH_DEFAULT_VISITS,
                       .positions = BENCH_DEFAULT_POSITIONS, .seconds_per_move = BENCH_DEFAULT_SECONDS_PER_MOVE};
    if (!bench_parse_options(argc, argv, &o))
        return 2;
    int thread_counts[BENCH_MAX_THREAD_COUNTS];
    int nthreads;
    if (!parse_thread_list(o.threads, thread_counts, BENCH_MAX_THREAD_COUNTS, &nthreads)) {
        fprintf(stderr, "tengen benchmark: -t wants thread counts from 1 to 4096 separated by commas "
                        "(at most %d), not '%s'\n", BENCH_MAX_THREAD_COUNTS, o.threads);
        return 2;
    }
    int max_threads = 1;
    for (int i = 0; i < nthreads; i++)
        if (thread_counts[i] > max_threads)
            max_threads = thread_counts[i];

    char err[1024];
    int status = 1;
    tg_config *cfg = tg_config_new();
    tg_nn_evaluator *ev = NULL;
    tg_sgf_game game;
    bool have_game = false;
    int *move_numbers = NULL;
    bench_result *results = NULL;
    memset(&game, 0, sizeof game);

    if (!tg_config_load_file_or_default(cfg, o.config_path, TENGEN_SYSCONFDIR "/gtp.cfg", err, sizeof err))
        goto fail;
    if (o.overrides && !tg_config_apply_overrides(cfg, o.overrides, err, sizeof err))
        goto fail;
    /* Like katago benchmark, size the evaluator's default batch for the most threads tried. */
    char buf[32];
    snprintf(buf, sizeof buf, "%d", max_threads);
    tg_config_set(cfg, "numSearchThreads", buf);
    /* Logs go to stderr only (the log file keys of a GTP config are for the GTP engine). */
    bool log_stderr = true;
    if (!tg_config_get_bool(cfg, "logToStderr", true, &log_stderr, err, sizeof err))
        goto fail;
    if (!tg_log_open(NULL, log_stderr, err, sizeof err))
        goto fail;

    tg_search_params params;
    if (!tg_search_params_load(&params, cfg, err, sizeof err))
        goto fail;

    if (o.sgf_path) {
        if (!tg_sgf_load_file(o.sgf_path, &game, err, sizeof err))
            goto fail;
    } else if (!tg_sgf_parse(bench_builtin_game, sizeof bench_builtin_game - 1, &game, err, sizeof err)) {
        goto fail;
    }
    have_game = true;
    /* As katago benchmark: Tromp-Taylor whatever the game says, only its komi kept. */
    free(game.rules);
    game.rules = NULL;
    tg_rules rules;
    if (!tg_rules_parse("tromp-taylor", game.has_komi ? game.komi : 7.5f, &rules, err, sizeof err))
        goto fail;

    int nmoves = tg_sgf_num_moves(&game);
    int npos = (int)o.positions;
    if (npos > nmoves + 1)
        npos = nmoves + 1;
    move_numbers = calloc((size_t)npos, sizeof *move_numbers);
    results = calloc((size_t)nthreads, sizeof *results);
    if (!move_numbers || !results) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    /* Position i is the one after floor(i * (nmoves + 1) / npos) moves: spread over the game, the
     * empty board first. tg_sgf_setup_position counts 1-based "before move k". */
    for (int i = 0; i < npos; i++)
        move_numbers[i] = (int)((int64_t)i * (nmoves + 1) / npos) + 1;

    const char *model_path = o.model_path ? o.model_path : tg_nn_default_model_path();
    if (!model_path) {
        snprintf(err, sizeof err, "no network given (-model FILE) and no default network installed");
        goto fail;
    }
    ev = tg_nn_evaluator_new(cfg, model_path, err, sizeof err);
    if (!ev)
        goto fail;

    long online = sysconf(_SC_NPROCESSORS_ONLN);
    printf("tengen benchmark: model %s, backend %s, nnMaxBatchSize %d, %d server thread(s), %ld CPU core(s) online\n",
           model_path, tg_nn_evaluator_backend_name(ev), tg_nn_evaluator_max_batch_size(ev),
           tg_nn_evaluator_num_server_threads(ev), online);
    printf("board %dx%d, %d positions from %s (%d moves), %ld visits per search, Tromp-Taylor rules, komi %g\n\n",
           game.xsize, game.ysize, npos, o.sgf_path ? o.sgf_path : "the built-in game", nmoves, o.visits,
           (double)rules.komi);
    fflush(stdout);

    /* Warm-up: the backend builds its context for the board size on the first evaluation. */
    {
        bench_result warm;
        int first = move_numbers[0];
        if (!bench_run_threads(&params, ev, &game, &rules, &first, 1, 1, o.visits < 16 ? o.visits : 16, &warm,
                               err, sizeof err))
            goto fail;
    }

    for (int i = 0; i < nthreads; i++) {
        if (!bench_run_threads(&params, ev, &game, &rules, move_numbers, npos, thread_counts[i], o.visits,
                               &results[i], err, sizeof err))
            goto fail;
        print_result(&results[i], &results[0], o.seconds_per_move);
    }

    int best = 0;
    for (int i = 1; i < nthreads; i++)
        if (results[i].visits / results[i].seconds > results[best].visits / results[best].seconds)
            best = i;
    printf("\nFastest: numSearchThreads = %d, at %.2f visits/s (%.2fx the %d-thread speed).\n", results[best].threads,
           results[best].visits / results[best].seconds,
           ratio(results[best].visits / results[best].seconds, results[0].visits / results[0].seconds),
           results[0].threads);
    /* the recommendation weighs speed against the search quality extra threads cost, as KataGo's does */
    int rec = 0;
    for (int i = 1; i < nthreads; i++)
        if (elo_effect(&results[i], o.seconds_per_move) > elo_effect(&results[rec], o.seconds_per_move))
            rec = i;
    printf("\nEach doubling of speed is worth roughly 250 Elo; each search thread costs roughly 7 Elo at 800\n"
           "visits per move and 2 at 5000 (virtual losses make the search less selective); KataGo's estimates.\n"
           "For a %g-second search per move (-time):\n",
           o.seconds_per_move);
    for (int i = 0; i < nthreads; i++) {
        printf("numSearchThreads = %2d: ", results[i].threads);
        if (i == 0)
            printf("baseline");
        else
            printf("%+5.0f Elo", elo_effect(&results[i], o.seconds_per_move) - elo_effect(&results[0], o.seconds_per_move));
        printf("%s\n", i == rec ? " (recommended)" : "");
    }
    printf("Recommendation: set numSearchThreads = %d in the config.\n", results[rec].threads);
    for (int i = 0; i < nthreads; i++)
        if (thread_counts[i] > online && online > 0) {
            printf("Note: counts above %ld oversubscribe this machine's cores; their figures show the cost of that.\n",
                   online);
            break;
        }
    status = 0;
    goto done;
fail:
    fprintf(stderr, "tengen benchmark: %s\n", err);
done:
    tg_nn_evaluator_free(ev);
    if (have_game)
        tg_sgf_free(&game);
    free(move_numbers);
    free(results);
    tg_config_free(cfg);
    tg_log_close();
    return status;
}
