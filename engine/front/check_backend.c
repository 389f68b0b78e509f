/* `tengen check-backend`: evaluates a set of positions with the configured backend and with blas-cpu as
 * the FP32 reference, and reports the error distribution of every output; see check_backend.h.
 *
 * The quantities and the gate follow KataGo's testgpuerror: per position, the winrate error is
 * |half the win-loss difference| plus |no-result difference|; the top-policy error is how much the
 * tested side moves the probability of the reference's favourite move; the policy KL divergence is
 * reference || tested over the points the reference gives any probability; ownership errors are per
 * point. A percentile is the sorted errors' element at floor((n - 1) * p / 100), as KataGo takes it,
 * so the figures can be compared with what testgpuerror prints. */
#include "front/check_backend.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "front/config.h"
#include "front/log.h"
#include "front/refpos.h"
#include "game/sgf.h"
#include "nn/evaluator.h"
#include "util/errmsg.h"
#include "util/numparse.h"

#ifndef TENGEN_SYSCONFDIR
#define TENGEN_SYSCONFDIR "/etc/tengen"
#endif
#ifndef TENGEN_SHARED_DIR
#define TENGEN_SHARED_DIR ""
#endif

#define CB_REFERENCE_BACKEND "blas-cpu"
#define CB_DEFAULT_EVERY 10
#define CB_MAX_THREADS 256

/* ------------------------------------------------------------------ limits */

/* The gated quantities; each metric's limit is one of these times a factor (KataGo's scaling). */
enum { LIM_WINRATE, LIM_SCORE, LIM_POLICY, LIM_KL, LIM_COUNT };

typedef struct cb_limits {
    double at99[LIM_COUNT];
    double at_max[LIM_COUNT];
} cb_limits;

static const char *const limit_keys[LIM_COUNT] = {"winrate", "score", "policy", "kl"};

/* KataGo's gate for an FP16 configuration against FP32. */
static const cb_limits default_limits = {
    .at99 = {2.0, 1.0, 2.5, 0.002},
    .at_max = {5.0, 3.0, 6.0, 0.004},
};

/* "key=value,..." with key one of limit_keys, optionally suffixed "-max" for the maximum's limit. */
static bool parse_limits(const char *text, cb_limits *lim, char *err, size_t errlen) {
    char *copy = strdup(text);
    if (!copy) {
        tg_set_err(err, errlen, "out of memory");
        return false;
    }
    bool ok = true;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item && ok; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            tg_set_err(err, errlen, "-limits: '%s' is not KEY=VALUE", item);
            ok = false;
            break;
        }
        *eq = '\0';
        const char *key = item, *value = eq + 1;
        size_t klen = strlen(key);
        bool is_max = klen > 4 && !strcmp(key + klen - 4, "-max");
        int which = -1;
        for (int k = 0; k < LIM_COUNT; k++)
            if (strlen(limit_keys[k]) == (is_max ? klen - 4 : klen) && !strncmp(key, limit_keys[k], strlen(limit_keys[k])))
                which = k;
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (which < 0) {
            tg_set_err(err, errlen, "-limits: unknown key '%s' (known: winrate, score, policy, kl, each also with -max)",
                       key);
            ok = false;
        } else if (end == value || *end || errno || !(v >= 0) || isinf(v)) {
            tg_set_err(err, errlen, "-limits: %s wants a non-negative number, not '%s'", key, value);
            ok = false;
        } else if (is_max) {
            lim->at_max[which] = v;
        } else {
            lim->at99[which] = v;
        }
    }
    free(copy);
    return ok;
}

/* ------------------------------------------------------------------ metrics */

enum {
    M_WINRATE, M_LEAD, M_SCORE_MEAN, M_SCORE_STDEV, M_TOP_POLICY, M_POLICY_KL,
    M_SHORTTERM_WINLOSS, M_SHORTTERM_SCORE, M_OWNERSHIP, M_COUNT
};

typedef struct metric_info {
    const char *name, *unit;
    double unit_scale; /* printed value = error * unit_scale */
    int limit;         /* LIM_* */
    double factor99, factor_max; /* limit = factor * the LIM_* value */
} metric_info;

/* KataGo's testgpuerror gates the secondary outputs through the four main limits with these factors. */
static const metric_info metrics[M_COUNT] = {
    [M_WINRATE] = {"winrate", "pp", 100, LIM_WINRATE, 1, 1},
    [M_LEAD] = {"score lead", "points", 1, LIM_SCORE, 1, 1},
    [M_SCORE_MEAN] = {"selfplay score mean", "points", 1, LIM_SCORE, 1, 1},
    [M_SCORE_STDEV] = {"selfplay score stdev", "points", 1, LIM_SCORE, 0.6, 0.6},
    [M_TOP_POLICY] = {"top policy", "pp", 100, LIM_POLICY, 1, 1},
    [M_POLICY_KL] = {"policy KL (ref||tested)", "nats", 1, LIM_KL, 1, 1},
    [M_SHORTTERM_WINLOSS] = {"shortterm winloss error", "pp", 100, LIM_WINRATE, 1.8, 1.8},
    [M_SHORTTERM_SCORE] = {"shortterm score error", "points", 1, LIM_SCORE, 0.75, 0.75},
    /* Ownership's maximum runs over every point of every position, hence KataGo's wider factor. */
    [M_OWNERSHIP] = {"ownership (per point)", "pp", 100, LIM_WINRATE, 1.75, 4.0},
};

typedef struct error_list {
    double *v;
    size_t n, cap;
} error_list;

static bool push_error(error_list *l, double x) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        double *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return true;
}

/* NaN sorts last so that a broken output shows as the maximum and fails every limit. */
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

static double stdev_of(const tg_nn_result *r) {
    double var = (double)r->white_score_mean_sq - (double)r->white_score_mean * r->white_score_mean;
    return sqrt(var > 0 ? var : 0);
}

/* Appends one position's errors (tested against reference) to every list. */
static bool add_position(error_list *lists, const tg_nn_result *ref, const tg_nn_result *got) {
    double ref_wl = 0.5 * ((double)ref->white_win_prob - ref->white_loss_prob);
    double got_wl = 0.5 * ((double)got->white_win_prob - got->white_loss_prob);
    double e[M_OWNERSHIP];
    e[M_WINRATE] = fabs(ref_wl - got_wl) + fabs((double)ref->white_no_result_prob - got->white_no_result_prob);
    e[M_LEAD] = fabs((double)ref->white_lead - got->white_lead);
    e[M_SCORE_MEAN] = fabs((double)ref->white_score_mean - got->white_score_mean);
    e[M_SCORE_STDEV] = fabs(stdev_of(ref) - stdev_of(got));
    e[M_SHORTTERM_WINLOSS] = fabs((double)ref->shortterm_winloss_error - got->shortterm_winloss_error);
    e[M_SHORTTERM_SCORE] = fabs((double)ref->shortterm_score_error - got->shortterm_score_error);

    int policy_size = ref->nn_x_len * ref->nn_y_len + 1;
    int top = 0;
    for (int i = 1; i < policy_size; i++)
        if (ref->policy_probs[i] > ref->policy_probs[top])
            top = i;
    e[M_TOP_POLICY] = fabs((double)ref->policy_probs[top] - got->policy_probs[top]);
    double kl = 0;
    for (int i = 0; i < policy_size; i++) {
        double p = ref->policy_probs[i];
        /* A point the tested side calls illegal (-1) or impossible (0) while the reference does not gives
         * an infinite divergence: the tested backend is wrong there, and must fail. */
        if (p > 1e-30)
            kl += p * (log(p) - log(got->policy_probs[i] > 0 ? (double)got->policy_probs[i] : 0.0));
    }
    e[M_POLICY_KL] = kl;
    for (int m = 0; m < M_OWNERSHIP; m++)
        if (!push_error(&lists[m], e[m]))
            return false;
    int area = ref->nn_x_len * ref->nn_y_len;
    for (int i = 0; i < area; i++)
        if (!push_error(&lists[M_OWNERSHIP], fabs((double)ref->white_ownership[i] - got->white_ownership[i])))
            return false;
    return true;
}

static double percentile(const error_list *l, int pct) { return l->n ? l->v[(l->n - 1) * (size_t)pct / 100] : 0; }

/* ------------------------------------------------------------------ positions */

typedef struct cb_position {
    char label[192];
    int order; /* place in the files, to keep it among positions of one board size */
    int symmetry;
    tg_board board;
    tg_history hist;
    tg_color next_pla;
} cb_position;

typedef struct cb_positions {
    cb_position *v;
    int n, cap;
} cb_positions;

static cb_position *new_position(cb_positions *ps) {
    if (ps->n == ps->cap) {
        int cap = ps->cap ? ps->cap * 2 : 256;
        cb_position *v = realloc(ps->v, (size_t)cap * sizeof *v);
        if (!v)
            return NULL;
        ps->v = v;
        ps->cap = cap;
    }
    cb_position *p = &ps->v[ps->n];
    memset(p, 0, sizeof *p);
    return p;
}

static void free_positions(cb_positions *ps) {
    for (int i = 0; i < ps->n; i++)
        tg_history_free(&ps->v[i].hist);
    free(ps->v);
    ps->v = NULL;
    ps->n = ps->cap = 0;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* A reference file: one JSON position per line, each with the symmetry KataGo was asked for. */
static bool load_jsonl(const char *path, cb_positions *ps, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        tg_set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    bool ok = true;
    int lineno = 0;
    while (ok && getline(&line, &cap, f) > 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        cb_position *p = new_position(ps);
        if (!p) {
            tg_set_err(err, errlen, "out of memory");
            ok = false;
            break;
        }
        tg_refpos rp;
        char why[512];
        if (!tg_refpos_parse_line(line, &rp, why, sizeof why)) {
            tg_set_err(err, errlen, "%s:%d: %s", path, lineno, why);
            ok = false;
            break;
        }
        snprintf(p->label, sizeof p->label, "%s", rp.id);
        p->symmetry = rp.symmetry;
        p->board = rp.board;
        p->hist = rp.hist;
        p->next_pla = rp.next_pla;
        ps->n++;
    }
    free(line);
    fclose(f);
    return ok;
}

/* Every every-th position of a game's main line, the empty board first, under the game's rules when
 * KataGo can read them (Tromp-Taylor otherwise). The symmetry cycles through 0-7 over the sample, so
 * that every symmetry's transform is exercised. */
static bool load_sgf(const char *path, int every, cb_positions *ps, char *err, size_t errlen) {
    tg_sgf_game game;
    char why[512];
    if (!tg_sgf_load_file(path, &game, why, sizeof why)) {
        tg_set_err(err, errlen, "%s: %s", path, why);
        return false;
    }
    tg_rules rules;
    bool ok = tg_rules_parse("tromp-taylor", game.has_komi ? game.komi : 7.5f, &rules, why, sizeof why);
    int nmoves = tg_sgf_num_moves(&game);
    for (int moves = 0; ok && moves <= nmoves; moves += every) {
        cb_position *p = new_position(ps);
        if (!p) {
            tg_set_err(err, errlen, "out of memory");
            ok = false;
            break;
        }
        tg_board_init(&p->board, game.xsize, game.ysize);
        tg_history_init(&p->hist, &p->board, TG_BLACK, &rules, 0);
        /* tg_sgf_setup_position counts 1-based "before move k". */
        if (!tg_sgf_setup_position(&game, moves + 1, &rules, &p->board, &p->hist, &p->next_pla, why, sizeof why)) {
            tg_history_free(&p->hist);
            tg_set_err(err, errlen, "%s: %s", path, why);
            ok = false;
            break;
        }
        const char *base = strrchr(path, '/');
        snprintf(p->label, sizeof p->label, "%s after %d moves", base ? base + 1 : path, moves);
        p->symmetry = ps->n % 8;
        ps->n++;
    }
    tg_sgf_free(&game);
    return ok;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every .sgf and .jsonl file in a folder (not its subfolders), in name order so runs are reproducible;
 * only the names starting with prefix when it is not NULL. */
static bool load_dir(const char *dir, const char *prefix, int every, cb_positions *ps, int *files, char *err,
                     size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) {
        tg_set_err(err, errlen, "cannot open folder %s: %s", dir, strerror(errno));
        return false;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    for (struct dirent *e; ok && (e = readdir(d));) {
        if (!ends_with(e->d_name, ".sgf") && !ends_with(e->d_name, ".jsonl"))
            continue;
        if (prefix && strncmp(e->d_name, prefix, strlen(prefix)))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) {
                ok = false;
                break;
            }
            names = grown;
        }
        names[n] = strdup(e->d_name);
        ok = names[n++] != NULL;
    }
    closedir(d);
    if (!ok)
        tg_set_err(err, errlen, "out of memory");
    if (ok)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (ok) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            ok = ends_with(path, ".jsonl") ? load_jsonl(path, ps, err, errlen)
                                           : load_sgf(path, every, ps, err, errlen);
            (*files)++;
        }
        free(names[i]);
    }
    free(names);
    return ok;
}

/* Keeps at most max positions, spread evenly over the whole set so every file and size stays represented. */
static void thin_positions(cb_positions *ps, int max) {
    if (max <= 0 || ps->n <= max)
        return;
    int kept = 0;
    for (int i = 0, next = 0; i < ps->n; i++) {
        bool keep = kept < max && i == (int)((long long)next * ps->n / max);
        if (keep) {
            ps->v[kept++] = ps->v[i];
            next++;
        } else {
            tg_history_free(&ps->v[i].hist);
        }
    }
    ps->n = kept;
}

/* Groups the positions by board size, keeping file order within a size: the evaluator rebuilds the
 * backend context at every size change, which would otherwise happen at almost every position. */
static int cmp_by_size(const void *a, const void *b) {
    const cb_position *p = a, *q = b;
    if (p->board.xsize != q->board.xsize)
        return p->board.xsize - q->board.xsize;
    if (p->board.ysize != q->board.ysize)
        return p->board.ysize - q->board.ysize;
    return p->order - q->order;
}

static void sort_by_size(cb_positions *ps) {
    for (int i = 0; i < ps->n; i++)
        ps->v[i].order = i;
    qsort(ps->v, (size_t)ps->n, sizeof *ps->v, cmp_by_size);
}

/* ------------------------------------------------------------------ evaluation */

typedef struct eval_job {
    tg_nn_evaluator *ev;
    const cb_positions *ps;
    tg_nn_result *out;
    int stride, first;
    pthread_mutex_t *lock;
    bool *failed;
    char *err;
    size_t errlen;
} eval_job;

static void *eval_thread(void *arg) {
    eval_job *j = arg;
    tg_nn_input_params params;
    tg_nn_input_params_default(&params);
    for (int i = j->first; i < j->ps->n; i += j->stride) {
        const cb_position *p = &j->ps->v[i];
        char why[512];
        /* The cache is skipped, as in kata-raw-nn: a hit would hide the backend being measured. */
        if (!tg_nn_evaluate_ex(j->ev, &p->board, &p->hist, p->next_pla, p->symmetry, &params,
                               TG_NN_EVAL_SKIP_CACHE, &j->out[i], why, sizeof why)) {
            pthread_mutex_lock(j->lock);
            if (!*j->failed)
                tg_set_err(j->err, j->errlen, "%s: %s: %s", tg_nn_evaluator_backend_name(j->ev), p->label, why);
            *j->failed = true;
            pthread_mutex_unlock(j->lock);
            break;
        }
        pthread_mutex_lock(j->lock);
        bool stop = *j->failed;
        pthread_mutex_unlock(j->lock);
        if (stop)
            break;
    }
    return NULL;
}

/* Evaluates every position from threads callers at once, so that a backend sees batches of up to that many. */
static bool evaluate_all(tg_nn_evaluator *ev, const cb_positions *ps, int threads, tg_nn_result *out, char *err,
                         size_t errlen) {
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    bool failed = false;
    eval_job jobs[CB_MAX_THREADS];
    pthread_t tids[CB_MAX_THREADS];
    int started = 0;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (eval_job){ev, ps, out, threads, t, &lock, &failed, err, errlen};
        if (threads == 1) {
            eval_thread(&jobs[t]);
        } else if (pthread_create(&tids[t], NULL, eval_thread, &jobs[t]) == 0) {
            started++;
        } else {
            pthread_mutex_lock(&lock);
            if (!failed)
                tg_set_err(err, errlen, "cannot start an evaluation thread");
            failed = true;
            pthread_mutex_unlock(&lock);
            break;
        }
    }
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&lock);
    return !failed;
}

/* ------------------------------------------------------------------ command line */

typedef struct cb_options {
    const char *config_path, *model_path, *test_model_path, *overrides, *positions, *limits;
    long every, max_positions, threads;
} cb_options;

static void cb_usage(FILE *f) {
    fputs("Usage: tengen check-backend [-model FILE] [-config FILE] [-override-config K=V,...]\n"
          "                            [-test-model FILE] [-positions FILE|DIR] [-every N] [-max-positions N]\n"
          "                            [-threads N] [-limits K=V,...]\n"
          "Compares the configured backend's network outputs with blas-cpu's at FP32 on the same positions\n"
          "and symmetries, and checks them against KataGo's FP16 limits (see tengen(1)).\n",
          f);
}

static bool readable(const char *path) { return access(path, R_OK) == 0; }

static int cb_parse_options(int argc, char **argv, cb_options *o) {
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-')
            a++;
        if (!strcmp(a, "-help") || !strcmp(a, "-h")) {
            cb_usage(stdout);
            return 0;
        }
        const char **str = !strcmp(a, "-config")            ? &o->config_path
                           : !strcmp(a, "-model")           ? &o->model_path
                           : !strcmp(a, "-test-model")      ? &o->test_model_path
                           : !strcmp(a, "-override-config") ? &o->overrides
                           : !strcmp(a, "-positions")       ? &o->positions
                           : !strcmp(a, "-limits")          ? &o->limits
                                                            : NULL;
        long *num = !strcmp(a, "-every")           ? &o->every
                    : !strcmp(a, "-max-positions") ? &o->max_positions
                    : !strcmp(a, "-threads")       ? &o->threads
                                                   : NULL;
        if (!str && !num) {
            fprintf(stderr, "tengen check-backend: unknown option '%s'; run 'tengen check-backend -help'\n", argv[i]);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "tengen check-backend: option '%s' needs a value\n", argv[i]);
            return 2;
        }
        const char *val = argv[++i];
        if (str) {
            *str = val;
        } else if (!tg_parse_long(val, 1, num == &o->threads ? CB_MAX_THREADS : 100000000, num)) {
            fprintf(stderr, "tengen check-backend: %s wants a whole number from 1 to %d, not '%s'\n", a,
                    num == &o->threads ? CB_MAX_THREADS : 100000000, val);
            return 2;
        }
    }
    return -1;
}

/* The shared reference files: $TENGEN_SHARED_DIR, else the folder configure was given. */
static const char *default_reference_dir(char *buf, size_t len) {
    const char *candidates[] = {getenv("TENGEN_SHARED_DIR"), TENGEN_SHARED_DIR};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (!candidates[i] || !*candidates[i])
            continue;
        snprintf(buf, len, "%s/reference", candidates[i]);
        struct stat st;
        if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
            return buf;
    }
    return NULL;
}

static void print_report(const cb_limits *lim, error_list *lists, bool *pass) {
    printf("%-26s %-7s %12s %12s %12s %12s  %s\n", "output", "unit", "99th pct", "max", "limit 99th", "limit max",
           "");
    *pass = true;
    for (int m = 0; m < M_COUNT; m++) {
        const metric_info *mi = &metrics[m];
        error_list *l = &lists[m];
        qsort(l->v, l->n, sizeof *l->v, cmp_double);
        double p99 = percentile(l, 99) * mi->unit_scale;
        double mx = percentile(l, 100) * mi->unit_scale;
        double lim99 = lim->at99[mi->limit] * mi->factor99;
        double limmax = lim->at_max[mi->limit] * mi->factor_max;
        bool ok99 = p99 <= lim99, okmax = mx <= limmax;
        *pass = *pass && ok99 && okmax;
        printf("%-26s %-7s %12.6g %12.6g %12.6g %12.6g  %s\n", mi->name, mi->unit, p99, mx, lim99, limmax,
               ok99 && okmax ? "ok" : !ok99 && !okmax ? "FAIL (99th, max)" : !ok99 ? "FAIL (99th)" : "FAIL (max)");
    }
}

int tg_check_backend_main(int argc, char **argv) {
    cb_options o = {.every = CB_DEFAULT_EVERY, .threads = 1};
    int parsed = cb_parse_options(argc, argv, &o);
    if (parsed >= 0)
        return parsed;
    cb_limits lim = default_limits;
    char err[1024];
    if (o.limits && !parse_limits(o.limits, &lim, err, sizeof err)) {
        fprintf(stderr, "tengen check-backend: %s\n", err);
        return 2;
    }
    const char *model_path = o.model_path ? o.model_path : tg_nn_default_model_path();
    if (!model_path) {
        fprintf(stderr, "tengen check-backend: no network given (-model FILE) and no default network installed\n");
        return 2;
    }
    const char *must_read[] = {model_path, o.test_model_path, o.config_path, o.positions};
    const char *what[] = {"-model", "-test-model", "-config", "-positions"};
    for (int i = 0; i < 4; i++) {
        if (must_read[i] && !readable(must_read[i])) {
            fprintf(stderr, "tengen check-backend: %s %s: %s\n", what[i], must_read[i], strerror(errno));
            return 2;
        }
    }
    char refdir_buf[4096];
    const char *refdir = o.positions ? NULL : default_reference_dir(refdir_buf, sizeof refdir_buf);
    if (!o.positions && !refdir) {
        fprintf(stderr, "tengen check-backend: the shared reference positions were not found "
                        "(set TENGEN_SHARED_DIR); give -positions FILE.sgf|FILE.jsonl|DIR\n");
        return 2;
    }

    int status = 1;
    tg_config *cfg = tg_config_new(), *ref_cfg = NULL;
    tg_nn_evaluator *tested = NULL, *ref = NULL;
    cb_positions ps = {0};
    tg_nn_result *ref_out = NULL, *got_out = NULL;
    error_list lists[M_COUNT] = {{0}};
    if (!cfg) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    if (!tg_config_load_file_or_default(cfg, o.config_path, TENGEN_SYSCONFDIR "/gtp.cfg", err, sizeof err))
        goto fail;
    if (o.overrides && !tg_config_apply_overrides(cfg, o.overrides, err, sizeof err))
        goto fail;
    /* Enough batch room for every evaluation thread, as KataGo sizes its batched run. */
    if (!tg_config_has(cfg, "nnMaxBatchSize")) {
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", o.threads);
        tg_config_set(cfg, "numSearchThreads", buf);
    }
    bool log_stderr = true;
    if (!tg_config_get_bool(cfg, "logToStderr", true, &log_stderr, err, sizeof err))
        goto fail;
    /* The reference: the same settings with the backend swapped for blas-cpu, which only computes in FP32. */
    ref_cfg = tg_config_copy(cfg);
    if (!ref_cfg) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    tg_config_set(ref_cfg, "backend", CB_REFERENCE_BACKEND);

    /* Replaying reference setups goes through a GTP engine, which logs every rules change: quiet while loading. */
    if (!tg_log_open(NULL, false, err, sizeof err))
        goto fail;
    int files = 0;
    struct stat st;
    bool ok;
    if (refdir)
        ok = load_dir(refdir, "rawnn-", (int)o.every, &ps, &files, err, sizeof err);
    else if (stat(o.positions, &st) == 0 && S_ISDIR(st.st_mode))
        ok = load_dir(o.positions, NULL, (int)o.every, &ps, &files, err, sizeof err);
    else {
        ok = ends_with(o.positions, ".jsonl") ? load_jsonl(o.positions, &ps, err, sizeof err)
                                              : load_sgf(o.positions, (int)o.every, &ps, err, sizeof err);
        files = 1;
    }
    if (!ok)
        goto fail;
    thin_positions(&ps, (int)o.max_positions);
    sort_by_size(&ps);
    if (!tg_log_open(NULL, log_stderr, err, sizeof err))
        goto fail;
    if (ps.n == 0) {
        tg_set_err(err, sizeof err, "no positions in %s", refdir ? refdir : o.positions);
        goto fail;
    }

    ref = tg_nn_evaluator_new(ref_cfg, model_path, err, sizeof err);
    if (!ref)
        goto fail;
    tested = tg_nn_evaluator_new(cfg, o.test_model_path ? o.test_model_path : model_path, err, sizeof err);
    if (!tested)
        goto fail;
    ref_out = calloc((size_t)ps.n, sizeof *ref_out);
    got_out = calloc((size_t)ps.n, sizeof *got_out);
    if (!ref_out || !got_out) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }

    printf("tengen check-backend\n");
    printf("  reference: %s (FP32), model %s\n", tg_nn_evaluator_backend_name(ref), model_path);
    printf("  tested:    %s, model %s%s%s\n", tg_nn_evaluator_backend_name(tested),
           o.test_model_path ? o.test_model_path : model_path, o.overrides ? ", -override-config " : "",
           o.overrides ? o.overrides : "");
    printf("  positions: %d from %d file(s) in %s, %ld evaluation thread(s)\n\n", ps.n, files,
           refdir ? refdir : o.positions, o.threads);
    fflush(stdout);

    /* The reference runs one position at a time, the way testgpuerror takes its unbatched FP32 answers. */
    if (!evaluate_all(ref, &ps, 1, ref_out, err, sizeof err))
        goto fail;
    if (!evaluate_all(tested, &ps, (int)o.threads, got_out, err, sizeof err))
        goto fail;
    for (int i = 0; i < ps.n; i++) {
        if (!add_position(lists, &ref_out[i], &got_out[i])) {
            snprintf(err, sizeof err, "out of memory");
            goto fail;
        }
    }
    bool pass;
    print_report(&lim, lists, &pass);
    printf("\n%s\n", pass ? "PASS" : "FAIL");
    status = pass ? 0 : 1;
    goto done;
fail:
    fprintf(stderr, "tengen check-backend: %s\n", err);
done:
    for (int m = 0; m < M_COUNT; m++)
        free(lists[m].v);
    free(ref_out);
    free(got_out);
    free_positions(&ps);
    tg_nn_evaluator_free(tested);
    tg_nn_evaluator_free(ref);
    tg_config_free(ref_cfg);
    tg_config_free(cfg);
    tg_log_close();
    return status;
}
