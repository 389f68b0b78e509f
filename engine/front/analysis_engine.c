/* `tengen analysis`: KataGo's JSON-lines analysis engine. Reads one query per input line, queues one
 * request per analysed turn by priority, and lets numAnalysisThreads workers search them at once, all
 * sharing one network evaluator so the backend sees large batches. Responses are single JSON lines. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "analysis_engine.h"
#include "analysis_internal.h"
#include "linequeue.h"
#include "log.h"

/* KataGo's analysis example config visits: a finite search even when nothing sets a limit. */
#define DEFAULT_MAX_VISITS "500"

typedef struct engine {
    tg_analysis_defaults d;
    tg_nn_evaluator *nn;
    const char *model_path;
    FILE *out;
    pthread_mutex_t out_mu;
    /* Open requests (queued or running), guarded by mu; workers wait on cv for a queued one. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    tg_analysis_request **open;
    size_t num_open, cap_open;
    uint64_t next_seq;
    bool closing;
    int num_threads;
    uint64_t seed;
} engine;

static void emit(json_t *obj, void *ctx) {
    engine *e = ctx;
    if (!obj)
        return;
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
    json_decref(obj);
    if (!text)
        return;
    pthread_mutex_lock(&e->out_mu);
    fputs(text, e->out);
    fputc('\n', e->out);
    fflush(e->out);
    pthread_mutex_unlock(&e->out_mu);
    free(text);
}

/* Drops r from the open list; mu held. */
static void remove_open(engine *e, tg_analysis_request *r) {
    for (size_t i = 0; i < e->num_open; i++)
        if (e->open[i] == r) {
            memmove(&e->open[i], &e->open[i + 1], (e->num_open - i - 1) * sizeof *e->open);
            e->num_open--;
            return;
        }
}

/* The queued request with the highest priority, the earliest among equals; mu held. */
static tg_analysis_request *best_queued(engine *e) {
    tg_analysis_request *best = NULL;
    for (size_t i = 0; i < e->num_open; i++) {
        tg_analysis_request *r = e->open[i];
        if (atomic_load(&r->status) != TG_AREQ_QUEUED)
            continue;
        if (!best || r->priority > best->priority || (r->priority == best->priority && r->seq < best->seq))
            best = r;
    }
    return best;
}

typedef struct progress {
    engine *e;
    const tg_analysis_request *r;
    const tg_nn_result *raw;
    double started, next_report;
} progress;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void report_during(const tg_search *s, void *ctx) {
    progress *p = ctx;
    double t = now_s();
    if (t < p->next_report)
        return;
    p->next_report = t + p->r->report_every_s;
    emit(tg_analysis_response(p->r, s, p->raw, true), p->e);
}

static void analyze(engine *e, tg_search *s, tg_analysis_request *r, tg_nn_result *raw) {
    tg_search_set_params(s, &r->params);
    tg_search_set_position(s, &r->board, &r->hist, r->next_pla);
    tg_search_set_avoid(s, r->has_avoid ? r->avoid_until[0] : NULL, r->has_avoid ? r->avoid_until[1] : NULL);
    char err[512];
    /* The root's own evaluation under the identity symmetry gives the policy and raw values to report. */
    tg_nn_input_params ip;
    tg_nn_input_params_default(&ip);
    ip.draw_equivalent_wins_for_white = r->params.draw_equivalent_wins_for_white;
    ip.conservative_pass_and_is_root = r->params.conservative_pass;
    ip.enable_passing_hacks = r->params.enable_passing_hacks;
    ip.nn_policy_temperature = (float)r->params.nn_policy_temperature;
    ip.policy_optimism = r->params.root_policy_optimism;
    bool have_raw = tg_nn_evaluate(e->nn, &r->board, &r->hist, r->next_pla, 0, &ip, raw, err, sizeof err);
    if (!have_raw) {
        emit(tg_analysis_error(r->id, NULL, "Network evaluation failed: %s", err), e);
        return;
    }
    progress p = {.e = e, .r = r, .raw = raw};
    p.started = now_s();
    p.next_report = p.started + r->first_report_after_s;
    tg_search_limits limits = {0};
    bool reporting = r->report_every_s > 0;
    double interval = reporting ? (r->report_every_s < r->first_report_after_s ? r->report_every_s
                                                                                : r->first_report_after_s)
                                : 0;
    if (interval > 0.05)
        interval = 0.05; /* the callback itself keeps the schedule; polling finer keeps it punctual */
    if (!tg_search_run(s, r->next_pla, &limits, reporting ? report_during : NULL, interval, &p, &r->stop, err,
                       sizeof err)) {
        emit(tg_analysis_error(r->id, NULL, "Search failed: %s", err), e);
        return;
    }
    json_t *resp = tg_analysis_response(r, s, raw, false);
    emit(resp ? resp : tg_analysis_no_results(r), e);
}

typedef struct worker_arg {
    engine *e;
    int index;
} worker_arg;

static void *worker(void *arg) {
    worker_arg *w = arg;
    engine *e = w->e;
    tg_search *s = tg_search_new(&e->d.params, e->nn, e->seed + 0x9E3779B97F4A7C15ULL * (uint64_t)(w->index + 1));
    tg_nn_result *raw = malloc(sizeof *raw);
    for (;;) {
        pthread_mutex_lock(&e->mu);
        tg_analysis_request *r;
        while (!(r = best_queued(e)) && !e->closing)
            pthread_cond_wait(&e->cv, &e->mu);
        if (!r) {
            pthread_mutex_unlock(&e->mu);
            break;
        }
        atomic_store(&r->status, TG_AREQ_RUNNING);
        pthread_mutex_unlock(&e->mu);
        if (s && raw)
            analyze(e, s, r, raw);
        else
            emit(tg_analysis_error(r->id, NULL, "Out of memory"), e);
        pthread_mutex_lock(&e->mu);
        remove_open(e, r);
        pthread_mutex_unlock(&e->mu);
        tg_analysis_request_free(r);
    }
    free(raw);
    tg_search_free(s);
    return NULL;
}

static bool terminate_matches(const tg_analysis_request *r, const char *id, const int64_t *turns, size_t nturns,
                              bool has_turns) {
    if (id && strcmp(r->id, id) != 0)
        return false;
    if (!has_turns)
        return true;
    for (size_t k = 0; k < nturns; k++)
        if (turns[k] == r->turn_number)
            return true;
    return false;
}

/* terminate / terminate_all: queued requests answer noResults at once, then ack (the action echoed) goes
 * out, then running ones stop and report what they have, so a client always reads the acknowledgement
 * before the results it cut short. id NULL matches every request. */
static void terminate(engine *e, const char *id, const int64_t *turns, size_t nturns, bool has_turns, json_t *ack) {
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->num_open;) {
        tg_analysis_request *r = e->open[i];
        if (terminate_matches(r, id, turns, nturns, has_turns) && atomic_load(&r->status) == TG_AREQ_QUEUED) {
            /* a worker takes a queued request only under mu, so it is still queued here */
            atomic_store(&r->status, TG_AREQ_TERMINATED);
            emit(tg_analysis_no_results(r), e);
            remove_open(e, r);
            tg_analysis_request_free(r);
            continue;
        }
        i++;
    }
    emit(ack, e);
    for (size_t i = 0; i < e->num_open; i++) {
        tg_analysis_request *r = e->open[i];
        if (terminate_matches(r, id, turns, nturns, has_turns)) {
            atomic_store(&r->status, TG_AREQ_TERMINATED);
            atomic_store(&r->stop, true);
        }
    }
    pthread_mutex_unlock(&e->mu);
}

/* turnNumbers of a terminate action; false (error sent) when present but not an array of integers. */
static bool terminate_turns(engine *e, json_t *q, const char *id, int64_t **turns, size_t *n, bool *has) {
    json_t *v = json_object_get(q, "turnNumbers");
    *turns = NULL;
    *n = 0;
    *has = v != NULL;
    if (!v)
        return true;
    bool ok = json_is_array(v);
    if (ok) {
        *n = json_array_size(v);
        *turns = malloc((*n ? *n : 1) * sizeof **turns);
        ok = *turns != NULL;
        for (size_t i = 0; ok && i < *n; i++) {
            json_t *t = json_array_get(v, i);
            ok = json_is_integer(t);
            if (ok)
                (*turns)[i] = json_integer_value(t);
        }
    }
    if (!ok) {
        free(*turns);
        *turns = NULL;
        emit(tg_analysis_error(id, "turnNumbers", "If provided, must be an array of integers indicating turns to terminate"),
             e);
    }
    return ok;
}

static void handle_action(engine *e, json_t *q, const char *id, const char *action) {
    if (!strcmp(action, "query_version")) {
        json_object_set_new(q, "version", json_string(TENGEN_KATAGO_PROTOCOL_VERSION));
        json_object_set_new(q, "git_hash", json_string("<omitted>"));
        emit(json_incref(q), e);
    } else if (!strcmp(action, "query_models")) {
        const tg_model *m = tg_nn_evaluator_model(e->nn);
        json_t *info = json_object();
        const char *base = strrchr(e->model_path, '/');
        json_object_set_new(info, "name", json_string(base ? base + 1 : e->model_path));
        json_object_set_new(info, "internalName", json_string(m->name ? m->name : ""));
        json_object_set_new(info, "maxBatchSize", json_integer(tg_nn_evaluator_max_batch_size(e->nn)));
        json_object_set_new(info, "usesHumanSLProfile", json_false());
        json_object_set_new(info, "version", json_integer(m->version));
        json_object_set_new(info, "usingFP16", json_string("false"));
        json_t *models = json_array();
        json_array_append_new(models, info);
        json_object_set_new(q, "models", models);
        emit(json_incref(q), e);
    } else if (!strcmp(action, "clear_cache")) {
        tg_nn_evaluator_clear_cache(e->nn);
        emit(json_incref(q), e);
    } else if (!strcmp(action, "terminate") || !strcmp(action, "terminate_all")) {
        bool all = !strcmp(action, "terminate_all");
        json_t *tid = json_object_get(q, "terminateId");
        if (!all && !json_is_string(tid)) {
            emit(tg_analysis_error(id, "terminateId", "Requests for a terminate action must have a string \"terminateId\" field"),
                 e);
            return;
        }
        int64_t *turns;
        size_t n;
        bool has;
        if (!terminate_turns(e, q, id, &turns, &n, &has))
            return;
        terminate(e, all ? NULL : json_string_value(tid), turns, n, has, json_incref(q));
        free(turns);
    } else {
        emit(tg_analysis_error(NULL, NULL, "'action' field must be 'query_version' or 'query_models' or 'clear_cache' "
                                           "or 'terminate' or 'terminate_all'"),
             e);
    }
}

/* The start of a rejected line for the error message: printable ASCII only, so the message is valid JSON
 * whatever bytes came in. */
static void quote_line(const char *line, size_t len, char *buf, size_t buflen) {
    size_t j = 0;
    for (size_t i = 0; i < len && j + 4 < buflen; i++) {
        unsigned char c = (unsigned char)line[i];
        buf[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (len > 0 && j + 4 >= buflen) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j] = 0;
}

static void handle_line(engine *e, const char *line, size_t len) {
    size_t start = 0;
    while (start < len && (line[start] == ' ' || line[start] == '\t' || line[start] == '\r' || line[start] == '\n'))
        start++;
    while (len > start && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    if (len == start)
        return; /* blank lines are skipped, as KataGo does */
    json_error_t jerr;
    json_t *q = json_loadb(line + start, len - start, JSON_REJECT_DUPLICATES, &jerr);
    char quoted[256];
    if (!q) {
        quote_line(line + start, len - start, quoted, sizeof quoted);
        emit(tg_analysis_error(NULL, NULL, "%s at column %d - could not parse input line as json request: %s", jerr.text,
                               jerr.column, quoted),
             e);
        return;
    }
    if (!json_is_object(q)) {
        quote_line(line + start, len - start, quoted, sizeof quoted);
        emit(tg_analysis_error(NULL, NULL, "Request line was valid json but was not an object, ignoring: %s", quoted), e);
        json_decref(q);
        return;
    }
    json_t *idv = json_object_get(q, "id");
    if (!json_is_string(idv)) {
        emit(tg_analysis_error(NULL, NULL, "Request must have a string \"id\" field"), e);
        json_decref(q);
        return;
    }
    const char *id = json_string_value(idv);
    json_t *action = json_object_get(q, "action");
    if (json_is_string(action)) {
        handle_action(e, q, id, json_string_value(action));
        json_decref(q);
        return;
    }
    int n = 0;
    tg_analysis_request **reqs = tg_analysis_parse_query(q, id, &e->d, emit, e, &n);
    json_decref(q);
    if (!reqs)
        return;
    pthread_mutex_lock(&e->mu);
    if (e->num_open + (size_t)n > e->cap_open) {
        size_t cap = (e->num_open + (size_t)n) * 2;
        tg_analysis_request **grown = realloc(e->open, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&e->mu);
            emit(tg_analysis_error(id, NULL, "Out of memory"), e);
            for (int i = 0; i < n; i++)
                tg_analysis_request_free(reqs[i]);
            free(reqs);
            return;
        }
        e->open = grown;
        e->cap_open = cap;
    }
    for (int i = 0; i < n; i++) {
        reqs[i]->seq = e->next_seq++;
        e->open[e->num_open++] = reqs[i];
    }
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    free(reqs);
}

void tg_analysis_prepare_config(tg_config *cfg) {
    /* KataGo's name for the per-position search threads; numSearchThreads (KaTrain's) is its alias. */
    const char *per = tg_config_get(cfg, "numSearchThreadsPerAnalysisThread");
    if (per)
        tg_config_set(cfg, "numSearchThreads", per);
    if (!tg_config_has(cfg, "maxVisits") && !tg_config_has(cfg, "maxPlayouts") && !tg_config_has(cfg, "maxTime"))
        tg_config_set(cfg, "maxVisits", DEFAULT_MAX_VISITS);
    /* KataGo's analysis engine hides game-ending passes at the root unless told otherwise. */
    if (!tg_config_has(cfg, "conservativePass"))
        tg_config_set(cfg, "conservativePass", "true");
    /* Room in one batch for every search thread of every position. */
    if (!tg_config_has(cfg, "nnMaxBatchSize")) {
        int64_t positions = 1, threads = 1;
        char err[256];
        if (tg_config_get_int(cfg, "numAnalysisThreads", 1, 1, 16384, &positions, err, sizeof err) &&
            tg_config_get_int(cfg, "numSearchThreads", 1, 1, 4096, &threads, err, sizeof err)) {
            int64_t total = positions * threads;
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", (long long)(total < 8 ? 8 : total > 65536 ? 65536 : total));
            tg_config_set(cfg, "nnMaxBatchSize", buf);
        }
    }
}

int tg_analysis_run(tg_config *cfg, tg_nn_evaluator *nn, const char *model_path, FILE *in, FILE *out) {
    engine e = {.nn = nn, .model_path = model_path, .out = out};
    char err[512];
    int64_t threads = 1, pv_len = 15;
    const char *persp = NULL;
    e.d.cfg = cfg;
    if (!tg_search_params_load(&e.d.params, cfg, err, sizeof err) ||
        !tg_config_get_int(cfg, "numAnalysisThreads", 1, 1, 16384, &threads, err, sizeof err) ||
        !tg_config_get_int(cfg, "analysisPVLen", 15, 1, 100, &pv_len, err, sizeof err) ||
        !tg_config_get_enum(cfg, "reportAnalysisWinratesAs", "SIDETOMOVE", "BLACK|WHITE|SIDETOMOVE", &persp, err,
                            sizeof err) ||
        !tg_config_get_bool(cfg, "warnUnusedFields", true, &e.d.warn_unused_fields, err, sizeof err) ||
        !tg_config_get_bool(cfg, "assumeMultipleStartingBlackMovesAreHandicap", true,
                            &e.d.assume_multiple_starting_black_moves_are_handicap, err, sizeof err) ||
        !tg_config_get_bool(cfg, "preventCleanupPhase", true, &e.d.prevent_encore, err, sizeof err)) {
        fprintf(stderr, "tengen: %s\n", err);
        return 1;
    }
    e.d.pv_len = (int)pv_len;
    e.d.perspective = !strcasecmp(persp, "BLACK")   ? TG_PERSPECTIVE_BLACK
                      : !strcasecmp(persp, "WHITE") ? TG_PERSPECTIVE_WHITE
                                                    : TG_PERSPECTIVE_SIDE_TO_MOVE;
    e.num_threads = (int)threads;
    e.seed = e.d.params.has_seed ? e.d.params.seed : ((uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL) ^ (uint64_t)getpid();
    pthread_mutex_init(&e.out_mu, NULL);
    pthread_mutex_init(&e.mu, NULL);
    pthread_cond_init(&e.cv, NULL);
    int status = 0;
    pthread_t *tids = calloc((size_t)e.num_threads, sizeof *tids);
    worker_arg *args = calloc((size_t)e.num_threads, sizeof *args);
    tg_line_queue *lines = tids && args ? tg_line_queue_start(in) : NULL;
    int started = 0;
    if (!lines) {
        fprintf(stderr, "tengen: out of memory or threads\n");
        status = 1;
        goto done;
    }
    for (; started < e.num_threads; started++) {
        args[started] = (worker_arg){.e = &e, .index = started};
        if (pthread_create(&tids[started], NULL, worker, &args[started]) != 0)
            break;
    }
    if (started == 0) {
        fprintf(stderr, "tengen: cannot start analysis threads\n");
        status = 1;
        goto done;
    }
    tg_log("Analyzing up to %d positions at a time in parallel, %d search threads each", started,
           e.d.params.num_threads);
    tg_log("Started, ready to begin handling requests");
    char *line;
    size_t len;
    while ((line = tg_line_queue_pop(lines, &len)) != NULL) {
        handle_line(&e, line, len);
        free(line);
    }
done:
    /* End of input: what is queued still gets analysed, then the workers leave. */
    pthread_mutex_lock(&e.mu);
    e.closing = true;
    pthread_cond_broadcast(&e.cv);
    pthread_mutex_unlock(&e.mu);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    if (lines)
        tg_line_queue_stop(lines);
    for (size_t i = 0; i < e.num_open; i++)
        tg_analysis_request_free(e.open[i]);
    free(e.open);
    free(tids);
    free(args);
    pthread_cond_destroy(&e.cv);
    pthread_mutex_destroy(&e.mu);
    pthread_mutex_destroy(&e.out_mu);
    return status;
}
