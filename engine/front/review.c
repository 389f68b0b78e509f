/* `tengen review`: searches every position of every game given, then writes per game an annotated copy
 * of the record (review_sgf.c) and a winrate/score graph (review_svg.c).
 *
 * Several positions are searched at once (-parallel, each by its own tg_search on one shared evaluator):
 * independent searches fill the evaluator's batches without the virtual-loss dilution that many threads
 * in one tree bring, and neighbouring positions of a game share network results through the cache.
 * Positions are handed out in game order, so games finish one after another and an interruption loses
 * little: each search result is appended to OUTDIR/NAME.review.state as it arrives, outputs are written
 * to a temporary file and renamed, and the annotated SGF (written last, carrying the TGRV marker) is
 * what says a game is done. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include "front/review.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "front/config.h"
#include "front/log.h"
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

enum { REVIEW_DEFAULT_VISITS = 500, REVIEW_MAX_PARALLEL = 256 };

typedef struct review_options {
    const char *config_path, *model_path, *overrides, *outdir;
    long visits;    /* 0: maxVisits from the config, else REVIEW_DEFAULT_VISITS */
    long parallel;  /* 0: one per CPU core */
    char **inputs;
    int num_inputs;
} review_options;

/* One game: its record, what the search found so far, and where that is kept. */
typedef struct review_job {
    char *path, *name;
    char *text;
    size_t len;
    uint64_t hash;          /* of text, so a state file of another version of the file is not reused */
    tg_sgf_game sgf;
    int num_moves;
    tg_review_move *moves;
    tg_review_position *positions; /* num_moves + 1 */
    bool *done;
    int num_done, next;     /* positions finished, next position to hand out */
    FILE *state;
    bool ends_finished;     /* the record ends with the game over (both passed): nothing left to judge there */
    bool active;            /* to be searched in this run */
    bool failed;
} review_job;

typedef struct review_run {
    review_job *jobs;
    int num_jobs;
    const char *outdir;
    const char *model_name;
    tg_search_params params;
    tg_rules default_rules;
    tg_nn_evaluator *ev;
    int64_t visits;

    pthread_mutex_t mu;
    pthread_cond_t changed;
    int cur_job;            /* first job that may still have positions to hand out */
    int workers_running;
    int games_total, games_done, games_failed;
    long positions_total, positions_done, positions_done_here;
    int64_t visits_here;
    double start;
    bool tty;
    bool progress_shown;    /* a \r progress line is on the terminal and must be cleared before other output */
} review_run;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One line on stderr; run->mu held (or no worker running). Clears a terminal progress line first. */
static void say_locked(review_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say_locked(review_run *run, const char *fmt, ...) {
    if (run->progress_shown) {
        fputs("\r\033[K", stderr);
        run->progress_shown = false;
    }
    va_list ap;
    va_start(ap, fmt);
    fputs("tengen review: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
}

static void format_duration(double s, char *buf, size_t len) {
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, len, "%lds", t);
}

static void show_progress_locked(review_run *run) {
    double elapsed = now_seconds() - run->start;
    char eta[32] = "?";
    long left = run->positions_total - run->positions_done;
    if (run->positions_done_here > 0)
        format_duration(left * elapsed / run->positions_done_here, eta, sizeof eta);
    else if (left == 0)
        snprintf(eta, sizeof eta, "0s");
    double vps = elapsed > 0 ? run->visits_here / elapsed : 0;
    double pct = run->positions_total ? 100.0 * run->positions_done / run->positions_total : 100.0;
    fprintf(stderr, "%sreview: games %d/%d, positions %ld/%ld (%.1f%%), %.1f visits/s, about %s left%s",
            run->tty ? "\r" : "", run->games_done + run->games_failed, run->games_total, run->positions_done,
            run->positions_total, pct, vps, eta, run->tty ? "\033[K" : "\n");
    fflush(stderr);
    run->progress_shown = run->tty;
}

static uint64_t fnv1a(const char *p, size_t n) {
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static char *path_join(const char *dir, const char *name, const char *suffix) {
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", dir, name, suffix);
    return p;
}

static bool read_file(const char *path, char **text, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read: %s", strerror(errno));
        return false;
    }
    tg_strbuf sb;
    tg_strbuf_init(&sb);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        tg_strbuf_append_n(&sb, buf, n);
    bool ok = !ferror(f);
    if (!ok)
        snprintf(err, errlen, "cannot read: %s", strerror(errno));
    fclose(f);
    if (!ok) {
        tg_strbuf_free(&sb);
        return false;
    }
    *text = sb.data;
    *len = sb.len;
    return true;
}

/* Writes data to path through path.tmp and a rename, so a reader (or a resumed run) never sees half a file. */
static bool write_atomically(const char *path, const char *data, char *err, size_t errlen) {
    size_t n = strlen(path) + 8;
    char *tmp = malloc(n);
    if (!tmp) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(data, 1, strlen(data), f) == strlen(data);
    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok;
}

/* ------------------------------------------------------------------------------------------------
 * Per-game state file: a header naming the game text's hash, the position count and the visits, then one
 * line per searched position. A header that does not match means the file is stale and is started over. */

static void state_write_header(review_run *run, review_job *j) {
    fprintf(j->state, "tengen-review-state 1 %016" PRIx64 " %d %" PRId64 "\n", j->hash, j->num_moves + 1, run->visits);
}

static void state_write_position(review_job *j, int k) {
    const tg_review_position *p = &j->positions[k];
    fprintf(j->state, "%d %.6f %.4f %d %" PRId64 "\n", k, p->black_winrate, p->black_lead, (int)p->best, p->visits);
    fflush(j->state);
}

/* Loads what an interrupted run left, then rewrites the file clean (a kill can leave half a line). */
static void state_open(review_run *run, review_job *j) {
    char *path = path_join(run->outdir, j->name, ".review.state");
    if (!path)
        return;
    FILE *f = fopen(path, "r");
    if (f) {
        char line[256];
        unsigned long long hash;
        int npos;
        long long visits;
        if (fgets(line, sizeof line, f) &&
            sscanf(line, "tengen-review-state 1 %llx %d %lld", &hash, &npos, &visits) == 3 && hash == j->hash &&
            npos == j->num_moves + 1 && visits == run->visits) {
            while (fgets(line, sizeof line, f)) {
                int k, best;
                double wr, lead;
                long long v;
                if (!strchr(line, '\n') || sscanf(line, "%d %lf %lf %d %lld", &k, &wr, &lead, &best, &v) != 5 || k < 0 ||
                    k > j->num_moves || j->done[k] || !(wr >= 0 && wr <= 1) || !isfinite(lead))
                    continue;
                j->positions[k] = (tg_review_position){.black_winrate = wr, .black_lead = lead, .best = best, .visits = v};
                j->done[k] = true;
                j->num_done++;
            }
        }
        fclose(f);
    }
    j->state = fopen(path, "w");
    if (j->state) {
        state_write_header(run, j);
        for (int k = 0; k <= j->num_moves; k++)
            if (j->done[k])
                state_write_position(j, k);
        fflush(j->state);
    }
    free(path);
}

/* ------------------------------------------------------------------------------------------------
 * Finishing a game */

static void judge_moves(review_job *j) {
    /* The search of a finished game scores a board nobody plays on any more; the passes that ended it
     * change nothing, so the final position keeps the verdict of the one before. */
    if (j->ends_finished && j->num_moves > 0) {
        tg_review_position *last = &j->positions[j->num_moves];
        last->black_winrate = j->positions[j->num_moves - 1].black_winrate;
        last->black_lead = j->positions[j->num_moves - 1].black_lead;
        last->best = TG_NULL_LOC;
    }
    for (int m = 0; m < j->num_moves; m++) {
        tg_review_move *mv = &j->moves[m];
        const tg_review_position *before = &j->positions[m], *after = &j->positions[m + 1];
        double sign = mv->pla == TG_BLACK ? 1.0 : -1.0;
        mv->point_loss = sign * (before->black_lead - after->black_lead);
        mv->winrate_loss = sign * (before->black_winrate - after->black_winrate);
        mv->severity = mv->point_loss >= TG_REVIEW_BLUNDER    ? TG_SEV_BLUNDER
                       : mv->point_loss >= TG_REVIEW_MISTAKE   ? TG_SEV_MISTAKE
                       : mv->point_loss >= TG_REVIEW_INACCURACY ? TG_SEV_INACCURACY
                                                                : TG_SEV_NONE;
    }
}

/* Called by the worker that finished the game's last position, without the lock. */
static bool finish_game(review_run *run, review_job *j, char *summary, size_t slen, char *err, size_t errlen) {
    judge_moves(j);
    tg_review_game g = {.xsize = j->sgf.xsize, .ysize = j->sgf.ysize, .num_moves = j->num_moves,
                        .positions = j->positions, .moves = j->moves, .visits_per_position = run->visits,
                        .model_name = run->model_name};
    tg_review_info info;
    tg_review_read_info(j->text, j->len, &info);
    char *svg = tg_review_svg(&g, &info);
    tg_review_info_free(&info);
    char *sgf = tg_review_annotate(j->text, j->len, &g, err, errlen);
    char *svg_path = path_join(run->outdir, j->name, ".review.svg");
    char *sgf_path = path_join(run->outdir, j->name, ".review.sgf");
    char *state_path = path_join(run->outdir, j->name, ".review.state");
    bool ok = false;
    if (!svg || !svg_path || !sgf_path || !state_path)
        snprintf(err, errlen, "out of memory");
    /* The SGF last: its presence is what marks the game as done. */
    else if (sgf && write_atomically(svg_path, svg, err, errlen) && write_atomically(sgf_path, sgf, err, errlen))
        ok = true;
    if (ok) {
        if (j->state) {
            fclose(j->state);
            j->state = NULL;
        }
        remove(state_path);
        int count[4] = {0};
        for (int m = 0; m < j->num_moves; m++)
            count[j->moves[m].severity]++;
        snprintf(summary, slen, "%s: %d moves, %d blunders, %d mistakes, %d inaccuracies -> %s", j->name, j->num_moves,
                 count[TG_SEV_BLUNDER], count[TG_SEV_MISTAKE], count[TG_SEV_INACCURACY], sgf_path);
    }
    free(svg);
    free(sgf);
    free(svg_path);
    free(sgf_path);
    free(state_path);
    return ok;
}

/* ------------------------------------------------------------------------------------------------
 * Workers */

/* Next (job, position) to search, or false when none is left; run->mu held. */
static bool take_position(review_run *run, int *job, int *k) {
    while (run->cur_job < run->num_jobs) {
        review_job *j = &run->jobs[run->cur_job];
        if (j->active && !j->failed) {
            while (j->next <= j->num_moves && j->done[j->next])
                j->next++;
            if (j->next <= j->num_moves) {
                *job = run->cur_job;
                *k = j->next++;
                return true;
            }
        }
        run->cur_job++;
    }
    return false;
}

static bool search_position(review_run *run, tg_search *s, review_job *j, int k, tg_review_position *out, char *err,
                            size_t errlen) {
    tg_board board;
    tg_history hist;
    tg_color pla;
    tg_board_init(&board, j->sgf.xsize, j->sgf.ysize);
    tg_history_init(&hist, &board, TG_BLACK, &run->default_rules, 0);
    bool ok = tg_sgf_setup_position(&j->sgf, k == j->num_moves ? 0 : k + 1, &run->default_rules, &board, &hist, &pla,
                                    err, errlen);
    if (ok) {
        tg_search_set_position(s, &board, &hist, pla);
        tg_search_limits limits = {.max_visits = run->visits, .max_playouts = run->visits, .max_time = 1e20};
        ok = tg_search_run(s, pla, &limits, NULL, 0.0, NULL, NULL, err, errlen);
    }
    tg_history_free(&hist);
    if (!ok)
        return false;
    tg_root_info ri;
    tg_search_root_info(s, &ri);
    tg_move_info best;
    int n = tg_search_analysis(s, &best, 1, 1, 0);
    double sign = ri.pla == TG_BLACK ? 1.0 : -1.0;
    out->black_winrate = ri.pla == TG_BLACK ? ri.winrate : 1.0 - ri.winrate;
    if (out->black_winrate < 0)
        out->black_winrate = 0;
    if (out->black_winrate > 1)
        out->black_winrate = 1;
    out->black_lead = sign * ri.score_lead;
    out->best = n > 0 ? best.move : TG_NULL_LOC;
    out->visits = ri.visits;
    return true;
}

static void *worker(void *arg) {
    review_run *run = arg;
    char err[1024];
    tg_search *s = tg_search_new(&run->params, run->ev, run->params.has_seed ? run->params.seed : UINT64_C(0x726576696577));
    pthread_mutex_lock(&run->mu);
    if (!s)
        say_locked(run, "cannot create a search (out of memory)");
    int ji, k;
    while (s && take_position(run, &ji, &k)) {
        review_job *j = &run->jobs[ji];
        pthread_mutex_unlock(&run->mu);
        tg_review_position pos;
        bool ok = search_position(run, s, j, k, &pos, err, sizeof err);
        pthread_mutex_lock(&run->mu);
        if (!ok) {
            if (!j->failed) {
                j->failed = true;
                run->games_failed++;
                say_locked(run, "%s: position after %d moves: %s", j->path, k, err);
            }
            continue;
        }
        if (j->failed)
            continue;
        j->positions[k] = pos;
        j->done[k] = true;
        j->num_done++;
        if (j->state)
            state_write_position(j, k);
        run->positions_done++;
        run->positions_done_here++;
        run->visits_here += pos.visits;
        if (j->num_done == j->num_moves + 1) {
            pthread_mutex_unlock(&run->mu);
            char summary[2048];
            ok = finish_game(run, j, summary, sizeof summary, err, sizeof err);
            pthread_mutex_lock(&run->mu);
            if (ok) {
                run->games_done++;
                say_locked(run, "reviewed %s", summary);
            } else {
                run->games_failed++;
                j->failed = true;
                say_locked(run, "%s: %s", j->path, err);
            }
        }
        pthread_cond_broadcast(&run->changed);
    }
    run->workers_running--;
    pthread_cond_broadcast(&run->changed);
    pthread_mutex_unlock(&run->mu);
    tg_search_free(s);
    return NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Command line and inputs */

static void review_usage(FILE *f) {
    fprintf(f, "Usage: tengen review [-config FILE] [-model FILE] [-override-config K=V,...] [-visits N]\n"
               "                     [-parallel N] [-o OUTDIR] FILE.sgf... | DIR...\n"
               "  -visits N     visits per position (default: maxVisits from the config, else %d)\n"
               "  -parallel N   positions searched at once (default: one per CPU core)\n"
               "  -o OUTDIR     where NAME.review.sgf and NAME.review.svg go (default: the current directory)\n"
               "A folder stands for every .sgf file in it. Finished games are skipped, so an interrupted\n"
               "run picks up where it stopped when started again with the same arguments.\n",
            REVIEW_DEFAULT_VISITS);
}

static bool review_parse_options(int argc, char **argv, review_options *o) {
    o->inputs = calloc((size_t)argc + 1, sizeof *o->inputs);
    if (!o->inputs)
        return false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            o->inputs[o->num_inputs++] = argv[i];
            continue;
        }
        if (a[1] == '-')
            a++;
        if (!strcmp(a, "-h") || !strcmp(a, "-help")) {
            review_usage(stdout);
            exit(0);
        }
        const char **slot = !strcmp(a, "-config") ? &o->config_path
                            : !strcmp(a, "-model") ? &o->model_path
                            : !strcmp(a, "-override-config") ? &o->overrides
                            : !strcmp(a, "-o") ? &o->outdir
                            : NULL;
        bool numeric = !strcmp(a, "-visits") || !strcmp(a, "-v") || !strcmp(a, "-parallel");
        if (!slot && !numeric) {
            fprintf(stderr, "tengen review: unknown option '%s'; run 'tengen review -h' for the list\n", argv[i]);
            return false;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "tengen review: option '%s' needs a value\n", argv[i]);
            return false;
        }
        const char *val = argv[++i];
        if (slot) {
            *slot = val;
        } else if (!strcmp(a, "-parallel")) {
            if (!tg_parse_long(val, 1, REVIEW_MAX_PARALLEL, &o->parallel)) {
                fprintf(stderr, "tengen review: -parallel wants a count from 1 to %d, not '%s'\n", REVIEW_MAX_PARALLEL, val);
                return false;
            }
        } else if (!tg_parse_long(val, 1, 100000000L, &o->visits)) {
            fprintf(stderr, "tengen review: -visits wants a visit count from 1 to 100000000, not '%s'\n", val);
            return false;
        }
    }
    if (o->num_inputs == 0) {
        fprintf(stderr, "tengen review: no game records given (FILE.sgf or a folder of them)\n");
        review_usage(stderr);
        return false;
    }
    return true;
}

static bool has_sgf_suffix(const char *name) {
    size_t n = strlen(name);
    return n > 4 && (!strcmp(name + n - 4, ".sgf") || !strcmp(name + n - 4, ".SGF"));
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Expands folders into their .sgf files (sorted, so runs and resumes go in the same order). */
static bool collect_inputs(const review_options *o, char ***paths, int *n) {
    int cap = 16;
    *n = 0;
    *paths = malloc((size_t)cap * sizeof **paths);
    if (!*paths)
        return false;
    for (int i = 0; i < o->num_inputs; i++) {
        struct stat st;
        const char *in = o->inputs[i];
        int first = *n;
        DIR *d = stat(in, &st) == 0 && S_ISDIR(st.st_mode) ? opendir(in) : NULL;
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!has_sgf_suffix(e->d_name) || strstr(e->d_name, ".review.sgf"))
                    continue;
                if (*n == cap) {
                    char **p = realloc(*paths, (size_t)(cap *= 2) * sizeof **paths);
                    if (!p) {
                        closedir(d);
                        return false;
                    }
                    *paths = p;
                }
                size_t len = strlen(in) + strlen(e->d_name) + 2;
                char *full = malloc(len);
                if (!full) {
                    closedir(d);
                    return false;
                }
                snprintf(full, len, "%s/%s", in, e->d_name);
                (*paths)[(*n)++] = full;
            }
            closedir(d);
            qsort(*paths + first, (size_t)(*n - first), sizeof **paths, cmp_str);
        } else {
            if (*n == cap) {
                char **p = realloc(*paths, (size_t)(cap *= 2) * sizeof **paths);
                if (!p)
                    return false;
                *paths = p;
            }
            (*paths)[(*n)++] = strdup(in);
            if (!(*paths)[*n - 1])
                return false;
        }
    }
    return true;
}

/* NAME for OUTDIR/NAME.review.*: the file name without its folder and .sgf. */
static char *output_name(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *name = strdup(base);
    if (name && has_sgf_suffix(name))
        name[strlen(name) - 4] = '\0';
    return name;
}

/* Reads, parses and checks one game; false with the reason in err (the SGF reader's "byte N: ..."). */
static bool prepare_job(review_run *run, review_job *j, char *err, size_t errlen) {
    if (!read_file(j->path, &j->text, &j->len, err, errlen))
        return false;
    if (!tg_sgf_parse(j->text, j->len, &j->sgf, err, errlen))
        return false;
    j->hash = fnv1a(j->text, j->len);
    int main_len = tg_review_count_main_line(j->text, j->len);
    if (main_len != j->sgf.num_nodes) {
        snprintf(err, errlen, "the game tree's main line could not be located in the text");
        return false;
    }
    j->num_moves = tg_sgf_num_moves(&j->sgf);
    j->moves = calloc((size_t)j->num_moves + 1, sizeof *j->moves);
    j->positions = calloc((size_t)j->num_moves + 1, sizeof *j->positions);
    j->done = calloc((size_t)j->num_moves + 1, sizeof *j->done);
    if (!j->moves || !j->positions || !j->done) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    int m = 0;
    for (int i = 0; i < j->sgf.num_nodes; i++)
        if (j->sgf.nodes[i].has_move)
            j->moves[m++] = (tg_review_move){.node = i, .pla = j->sgf.nodes[i].move.pla, .loc = j->sgf.nodes[i].move.loc};
    /* Replay the whole game once now, so an illegal move is reported before any search. */
    tg_board board;
    tg_history hist;
    tg_color pla;
    tg_board_init(&board, j->sgf.xsize, j->sgf.ysize);
    tg_history_init(&hist, &board, TG_BLACK, &run->default_rules, 0);
    bool ok = tg_sgf_setup_position(&j->sgf, 0, &run->default_rules, &board, &hist, &pla, err, errlen);
    j->ends_finished = ok && hist.is_game_finished;
    tg_history_free(&hist);
    return ok;
}

static void free_job(review_job *j) {
    free(j->path);
    free(j->name);
    free(j->text);
    if (j->sgf.nodes || j->sgf.rules)
        tg_sgf_free(&j->sgf);
    free(j->moves);
    free(j->positions);
    free(j->done);
    if (j->state)
        fclose(j->state);
}

/* The starting rules when a record has no RU: the config's `rules`, else KataGo's default. */
static bool default_rules(const tg_config *cfg, tg_rules *out, char *err, size_t errlen) {
    *out = tg_rules_default();
    const char *text = tg_config_get(cfg, "rules");
    if (text && !tg_rules_parse_with_default_komi(text, out, err, errlen))
        return false;
    return true;
}

int tg_review_main(int argc, char **argv) {
    review_options o = {0};
    if (!review_parse_options(argc, argv, &o)) {
        free(o.inputs);
        return 2;
    }
    char err[1024];
    int status = 1;
    tg_config *cfg = tg_config_new();
    review_run run;
    memset(&run, 0, sizeof run);
    pthread_mutex_init(&run.mu, NULL);
    pthread_cond_init(&run.changed, NULL);
    char **paths = NULL;
    int npaths = 0;
    pthread_t *threads = NULL;
    int nthreads = 0;

    if (!tg_config_load_file_or_default(cfg, o.config_path, TENGEN_SYSCONFDIR "/gtp.cfg", err, sizeof err))
        goto fail;
    if (o.overrides && !tg_config_apply_overrides(cfg, o.overrides, err, sizeof err))
        goto fail;
    bool log_stderr = true;
    if (!tg_config_get_bool(cfg, "logToStderr", true, &log_stderr, err, sizeof err) ||
        !tg_log_open(NULL, log_stderr, err, sizeof err))
        goto fail;
    if (!tg_search_params_load(&run.params, cfg, err, sizeof err) || !default_rules(cfg, &run.default_rules, err, sizeof err))
        goto fail;
    run.visits = o.visits > 0 ? o.visits
                 : tg_config_has(cfg, "maxVisits") ? run.params.max_visits
                                                   : REVIEW_DEFAULT_VISITS;
    run.params.max_visits = run.params.max_playouts = run.visits;
    run.params.max_time = 1e20;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long parallel = o.parallel > 0 ? o.parallel : cores > 0 ? (cores < 16 ? cores : 16) : 1;
    /* The evaluator sizes its batches for every thread that may wait on it at once. */
    if (!tg_config_has(cfg, "nnMaxBatchSize")) {
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", parallel * run.params.num_threads);
        tg_config_set(cfg, "nnMaxBatchSize", buf);
    }
    run.outdir = o.outdir ? o.outdir : ".";
    if (mkdir(run.outdir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, sizeof err, "cannot create the output folder %s: %s", run.outdir, strerror(errno));
        goto fail;
    }

    if (!collect_inputs(&o, &paths, &npaths)) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    run.jobs = calloc((size_t)(npaths > 0 ? npaths : 1), sizeof *run.jobs);
    if (!run.jobs) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    run.num_jobs = npaths;
    run.start = now_seconds();
    run.tty = isatty(STDERR_FILENO);
    int skipped = 0;
    for (int i = 0; i < npaths; i++) {
        review_job *j = &run.jobs[i];
        j->path = paths[i];
        paths[i] = NULL;
        j->name = output_name(j->path);
        if (!j->name) {
            snprintf(err, sizeof err, "out of memory");
            goto fail;
        }
        bool clash = false;
        for (int q = 0; q < i && !clash; q++)
            clash = run.jobs[q].name && !strcmp(run.jobs[q].name, j->name);
        char jerr[1024];
        if (clash) {
            say_locked(&run, "%s: another input already writes %s/%s.review.sgf; skipped", j->path, run.outdir, j->name);
            run.games_failed++;
            j->failed = true;
            continue;
        }
        if (!prepare_job(&run, j, jerr, sizeof jerr)) {
            say_locked(&run, "%s: %s; skipped", j->path, jerr);
            run.games_failed++;
            j->failed = true;
            continue;
        }
        char *out_path = path_join(run.outdir, j->name, ".review.sgf");
        char *svg_path = path_join(run.outdir, j->name, ".review.svg");
        char *prev = NULL;
        size_t prev_len;
        bool finished = out_path && svg_path && access(svg_path, R_OK) == 0 &&
                        read_file(out_path, &prev, &prev_len, jerr, sizeof jerr) && tg_review_is_complete(prev, prev_len);
        free(prev);
        free(out_path);
        free(svg_path);
        if (finished) {
            say_locked(&run, "%s: already reviewed in %s, skipped", j->path, run.outdir);
            skipped++;
            continue;
        }
        j->active = true;
        run.games_total++;
        state_open(&run, j);
        run.positions_total += j->num_moves + 1;
        run.positions_done += j->num_done;
        if (j->num_done > 0)
            say_locked(&run, "%s: resuming, %d of %d positions kept from the last run", j->path, j->num_done,
                       j->num_moves + 1);
    }
    run.games_total += run.games_failed;

    if (run.games_total > run.games_failed) {
        const char *model_path = o.model_path ? o.model_path : tg_nn_default_model_path();
        if (!model_path) {
            snprintf(err, sizeof err, "no network given (-model FILE) and no default network installed");
            goto fail;
        }
        const char *slash = strrchr(model_path, '/');
        run.model_name = slash ? slash + 1 : model_path;
        run.ev = tg_nn_evaluator_new(cfg, model_path, err, sizeof err);
        if (!run.ev)
            goto fail;
        say_locked(&run, "%d game(s) to review, %ld positions, %" PRId64 " visits each, %ld at once x %d thread(s)",
                   run.games_total - run.games_failed, run.positions_total - run.positions_done, run.visits, parallel,
                   run.params.num_threads);
        threads = calloc((size_t)parallel, sizeof *threads);
        if (!threads) {
            snprintf(err, sizeof err, "out of memory");
            goto fail;
        }
        pthread_mutex_lock(&run.mu);
        run.start = now_seconds(); /* speed and time left from the searches only, not the model loading */
        for (long t = 0; t < parallel; t++) {
            if (pthread_create(&threads[nthreads], NULL, worker, &run) != 0)
                break;
            nthreads++;
            run.workers_running++;
        }
        /* Progress: every half second on a terminal (one line rewritten), every 10 s into a file or pipe. */
        double interval = run.tty ? 0.5 : 10.0, last_shown = now_seconds();
        while (run.workers_running > 0) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            double t = until.tv_sec + until.tv_nsec * 1e-9 + interval;
            until.tv_sec = (time_t)t;
            until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
            pthread_cond_timedwait(&run.changed, &run.mu, &until);
            if (run.workers_running > 0 && now_seconds() - last_shown >= (run.tty ? 0.2 : interval)) {
                show_progress_locked(&run);
                last_shown = now_seconds();
            }
        }
        show_progress_locked(&run);
        if (run.tty)
            fputc('\n', stderr);
        run.progress_shown = false;
        pthread_mutex_unlock(&run.mu);
        for (int t = 0; t < nthreads; t++)
            pthread_join(threads[t], NULL);
    }
    say_locked(&run, "done: %d reviewed, %d already reviewed, %d failed", run.games_done, skipped, run.games_failed);
    status = run.games_failed > 0 ? 1 : 0;
    goto done;
fail:
    fprintf(stderr, "tengen review: %s\n", err);
done:
    free(threads);
    tg_nn_evaluator_free(run.ev);
    for (int i = 0; i < run.num_jobs; i++)
        free_job(&run.jobs[i]);
    free(run.jobs);
    for (int i = 0; i < npaths; i++)
        free(paths ? paths[i] : NULL);
    free(paths);
    free(o.inputs);
    tg_config_free(cfg);
    pthread_mutex_destroy(&run.mu);
    pthread_cond_destroy(&run.changed);
    tg_log_close();
    return status;
}
