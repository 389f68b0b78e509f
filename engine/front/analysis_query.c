/* Analysis engine queries: checks one JSON query field by field, in the order and with the wording KataGo's
 * analysis engine uses, and turns it into one request per analysed turn by replaying the moves. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis_internal.h"
#include "game/rules.h"

/* A real game never comes near this; the cap keeps a hostile query from costing minutes of replay. */
#define MAX_QUERY_MOVES 100000

static json_t *vreport(const char *id, const char *field, const char *kind, const char *fmt, va_list ap) {
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    json_t *o = json_object();
    if (id)
        json_object_set_new(o, "id", json_string(id));
    if (field)
        json_object_set_new(o, "field", json_string(field));
    json_t *text = json_string(msg);
    /* A message quoting the client's bytes may not be valid UTF-8; say so rather than drop the line. */
    json_object_set_new(o, kind, text ? text : json_string("(message not valid UTF-8)"));
    return o;
}

json_t *tg_analysis_error(const char *id, const char *field, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    json_t *o = vreport(id, field, "error", fmt, ap);
    va_end(ap);
    return o;
}

json_t *tg_analysis_warning(const char *id, const char *field, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    json_t *o = vreport(id, field, "warning", fmt, ap);
    va_end(ap);
    return o;
}

void tg_analysis_request_free(tg_analysis_request *r) {
    if (!r)
        return;
    free(r->id);
    tg_history_free(&r->hist);
    free(r);
}

typedef struct parser {
    json_t *q;
    const char *id;
    tg_analysis_emit_fn emit;
    void *ctx;
    int xsize, ysize;
} parser;

static bool fail(parser *p, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(parser *p, const char *field, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->emit(tg_analysis_error(p->id, field, "%s", msg), p->ctx);
    return false;
}

/* Integers may arrive as 5 or 5.0, as KataGo's JSON reader allows. */
static bool json_to_int(const json_t *v, int64_t *out) {
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == floor(d) && fabs(d) < 9e18) {
            *out = (int64_t)d;
            return true;
        }
    }
    return false;
}

static bool get_int(parser *p, const json_t *dict, const char *field, int64_t min, int64_t max, const char *msg,
                    int64_t *out) {
    int64_t v;
    if (!json_to_int(json_object_get(dict, field), &v) || v < min || v > max)
        return fail(p, field, "%s", msg);
    *out = v;
    return true;
}

static bool get_double(parser *p, const char *field, double min, double max, const char *msg, double *out) {
    const json_t *v = json_object_get(p->q, field);
    if (!json_is_number(v) || !(json_number_value(v) >= min && json_number_value(v) <= max))
        return fail(p, field, "%s", msg);
    *out = json_number_value(v);
    return true;
}

static bool get_bool(parser *p, const char *field, bool *out) {
    const json_t *v = json_object_get(p->q, field);
    if (!v)
        return true;
    if (!json_is_boolean(v))
        return fail(p, field, "Must be a boolean");
    *out = json_is_true(v);
    return true;
}

static bool parse_player_text(const char *s, tg_color *out) {
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

/* KataGo also takes "(x,y)" with explicit coordinates, y counted from the top. */
static bool parse_loc(const parser *p, const char *s, tg_loc *out) {
    int x, y;
    char tail;
    if (sscanf(s, " (%d ,%d )%c", &x, &y, &tail) == 2) {
        if (x < 0 || y < 0 || x >= p->xsize || y >= p->ysize)
            return false;
        *out = tg_loc_of(x, y, p->xsize);
        return true;
    }
    return tg_loc_parse(s, p->xsize, p->ysize, out);
}

typedef struct placed {
    tg_color pla;
    tg_loc loc;
} placed;

/* An array of [player, vertex] pairs. */
static bool parse_moves(parser *p, const char *field, bool allow_pass, placed **out, size_t *n) {
    static const char shape[] = "Must be an array of pairs of the form: [\"b\" or \"w\", GTP board vertex]";
    *out = NULL;
    *n = 0;
    const json_t *arr = json_object_get(p->q, field);
    if (!json_is_array(arr))
        return fail(p, field, shape);
    size_t len = json_array_size(arr);
    if (len > MAX_QUERY_MOVES)
        return fail(p, field, "Too many entries: %zu, tengen takes at most %d", len, MAX_QUERY_MOVES);
    placed *m = malloc((len ? len : 1) * sizeof *m);
    if (!m)
        return fail(p, field, "Out of memory");
    for (size_t i = 0; i < len; i++) {
        const json_t *pair = json_array_get(arr, i);
        const json_t *a = json_array_get(pair, 0), *b = json_array_get(pair, 1);
        if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_string(a) || !json_is_string(b)) {
            free(m);
            return fail(p, field, shape);
        }
        if (!parse_player_text(json_string_value(a), &m[i].pla)) {
            fail(p, field, "Could not parse player: %.100s", json_string_value(a));
            free(m);
            return false;
        }
        if (!parse_loc(p, json_string_value(b), &m[i].loc) || (!allow_pass && m[i].loc == TG_PASS_LOC)) {
            fail(p, field, "Could not parse board location: %.100s", json_string_value(b));
            free(m);
            return false;
        }
    }
    *out = m;
    *n = len;
    return true;
}

/* An int array with every entry in [min, max]; false when v is not one. */
static bool int_array(const json_t *v, int64_t min, int64_t max, int64_t **out, size_t *n) {
    if (!json_is_array(v))
        return false;
    size_t len = json_array_size(v);
    int64_t *a = malloc((len ? len : 1) * sizeof *a);
    if (!a)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!json_to_int(json_array_get(v, i), &a[i]) || a[i] < min || a[i] > max) {
            free(a);
            return false;
        }
    *out = a;
    *n = len;
    return true;
}

static const char *const query_keys[] = {
    "id", "moves", "initialStones", "initialPlayer", "rules", "komi", "whiteHandicapBonus", "boardXSize",
    "boardYSize", "analyzeTurns", "maxVisits", "analysisPVLen", "rootFpuReductionMax", "rootPolicyTemperature",
    "includeOwnership", "includeOwnershipStdev", "includeMovesOwnership", "includeMovesOwnershipStdev",
    "includePolicy", "includePVVisits", "includeNoResultValue", "avoidMoves", "allowMoves", "overrideSettings",
    "reportDuringSearchEvery", "firstReportDuringSearchAfter", "priority", "priorities", "action",
};

static bool is_query_key(const char *k) {
    for (size_t i = 0; i < sizeof query_keys / sizeof *query_keys; i++)
        if (!strcmp(k, query_keys[i]))
            return true;
    return false;
}

/* Config keys a query may override that are not search parameters but the engine reads. */
static bool is_analysis_setting(const char *k) {
    return !strcmp(k, "reportAnalysisWinratesAs") || !strcmp(k, "analysisPVLen");
}

static bool is_search_key(const char *k) {
    size_t n;
    const tg_search_param_spec *specs = tg_search_param_specs(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(specs[i].key, k))
            return true;
    return !strcmp(k, "numSearchThreads") || !strcmp(k, "searchRandSeed");
}

static int parse_perspective(const char *s) {
    if (!strcasecmp(s, "BLACK") || !strcasecmp(s, "B"))
        return TG_PERSPECTIVE_BLACK;
    if (!strcasecmp(s, "WHITE") || !strcasecmp(s, "W"))
        return TG_PERSPECTIVE_WHITE;
    if (!strcasecmp(s, "SIDETOMOVE"))
        return TG_PERSPECTIVE_SIDE_TO_MOVE;
    return -1;
}

/* overrideSettings: the config with these keys laid over it, reloaded as KataGo does. Keys tengen's search
 * does not implement are accepted with a warning. */
static bool apply_overrides(parser *p, const tg_analysis_defaults *d, tg_search_params *params, int *perspective,
                            int *pv_len) {
    json_t *settings = json_object_get(p->q, "overrideSettings");
    if (!settings)
        return true;
    if (!json_is_object(settings))
        return fail(p, "overrideSettings", "Must be an object");
    if (json_object_size(settings) == 0)
        return true;
    tg_config *cfg = tg_config_copy(d->cfg);
    if (!cfg)
        return fail(p, "overrideSettings", "Out of memory");
    char unknown[1024] = "", unimplemented[1024] = "";
    const char *key;
    json_t *value;
    bool ok = true;
    json_object_foreach(settings, key, value) {
        char *text = json_is_string(value) ? strdup(json_string_value(value))
                                           : json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!text) {
            ok = fail(p, "overrideSettings", "Could not set settings: value of %s is not representable", key);
            break;
        }
        if (is_search_key(key) || is_analysis_setting(key)) {
            tg_config_set(cfg, key, text);
        } else {
            char *list = tg_config_key_is_known(key) ? unimplemented : unknown;
            size_t used = strlen(list);
            snprintf(list + used, 1024 - used, "%s%s", used ? "," : "", key);
        }
        free(text);
    }
    char err[512];
    if (ok && !tg_search_params_load(params, cfg, err, sizeof err))
        ok = fail(p, "overrideSettings", "Could not set settings: %s", err);
    if (ok && tg_config_has(cfg, "reportAnalysisWinratesAs")) {
        *perspective = parse_perspective(tg_config_get(cfg, "reportAnalysisWinratesAs"));
        if (*perspective < 0)
            ok = fail(p, "overrideSettings",
                      "Could not set settings: reportAnalysisWinratesAs must be BLACK, WHITE or SIDETOMOVE");
    }
    int64_t len = *pv_len;
    if (ok && !tg_config_get_int(cfg, "analysisPVLen", *pv_len, 1, 1000, &len, err, sizeof err))
        ok = fail(p, "overrideSettings", "Could not set settings: %s", err);
    *pv_len = (int)len;
    tg_config_free(cfg);
    if (!ok)
        return false;
    if (unknown[0])
        p->emit(tg_analysis_warning(p->id, "overrideSettings", "Unknown config params: %s", unknown), p->ctx);
    if (unimplemented[0])
        p->emit(tg_analysis_warning(p->id, "overrideSettings",
                                    "Config params not implemented by tengen, ignored: %s", unimplemented),
                p->ctx);
    return true;
}

/* avoidMoves / allowMoves into until[colour - 1][loc]. */
static bool parse_avoid(parser *p, tg_analysis_request *base) {
    bool has_allow = json_object_get(p->q, "allowMoves") != NULL;
    bool has_avoid = json_object_get(p->q, "avoidMoves") != NULL;
    if (!has_allow && !has_avoid)
        return true;
    if (has_allow && has_avoid)
        return fail(p, "allowMoves", "Cannot specify both allowMoves and avoidMoves");
    const char *field = has_allow ? "allowMoves" : "avoidMoves";
    static const char shape[] = "Must be a list of dicts with subfields 'player', 'moves', 'untilDepth'";
    const json_t *list = json_object_get(p->q, field);
    if (!json_is_array(list))
        return fail(p, field, shape);
    if (has_allow && json_array_size(list) > 2)
        return fail(p, field, "Currently allowMoves only allows at most one entry per player");
    bool got_allow[2] = {false, false};
    size_t i;
    const json_t *entry;
    json_array_foreach(list, i, entry) {
        const json_t *pl = json_object_get(entry, "player"), *mv = json_object_get(entry, "moves");
        if (!json_is_object(entry) || !pl || !mv || !json_object_get(entry, "untilDepth"))
            return fail(p, field, shape);
        tg_color pla;
        if (!json_is_string(pl) || !parse_player_text(json_string_value(pl), &pla))
            return fail(p, "player", "Must be \"b\" or \"w\"");
        if (!json_is_array(mv))
            return fail(p, "moves", "Must be an array of GTP board vertices");
        if (json_array_size(mv) > TG_MAX_ARR_SIZE * 4)
            return fail(p, "moves", "Too many entries: %zu", json_array_size(mv));
        int64_t depth = 0;
        if (!get_int(p, entry, "untilDepth", 1, 1000000000, "Must be a positive integer", &depth))
            return false;
        int *until = base->avoid_until[pla - 1];
        if (has_allow) {
            if (got_allow[pla - 1])
                return fail(p, field, "Cannot specify allowMoves more than once for the same player");
            got_allow[pla - 1] = true;
            for (int k = 0; k < TG_MAX_ARR_SIZE; k++)
                until[k] = (int)depth;
        }
        size_t j;
        const json_t *v;
        json_array_foreach(mv, j, v) {
            tg_loc loc;
            if (!json_is_string(v))
                return fail(p, "moves", "Must be an array of GTP board vertices");
            if (!parse_loc(p, json_string_value(v), &loc))
                return fail(p, "moves", "Could not parse board location: %.100s", json_string_value(v));
            until[loc] = has_allow ? 0 : (int)depth;
        }
    }
    base->has_avoid = true;
    return true;
}

/* The komi KataGo guesses when a query gives none. */
static float default_komi(const tg_rules *r) {
    if (r->scoring_rule == TG_SCORING_TERRITORY)
        return 6.5f;
    return r->has_button ? 7.0f : 7.5f;
}

static tg_analysis_request *new_request(const tg_analysis_request *base, int turn, const tg_board *board,
                                        const tg_history *hist, tg_color pla, int64_t priority) {
    tg_analysis_request *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    memcpy(r, base, sizeof *r);
    r->id = strdup(base->id);
    memset(&r->hist, 0, sizeof r->hist);
    if (!r->id) {
        free(r);
        return NULL;
    }
    tg_history_copy(&r->hist, hist);
    r->board = *board;
    r->next_pla = pla;
    r->turn_number = turn;
    r->priority = priority;
    atomic_init(&r->status, TG_AREQ_QUEUED);
    atomic_init(&r->stop, false);
    return r;
}

tg_analysis_request **tg_analysis_parse_query(json_t *query, const char *id, const tg_analysis_defaults *d,
                                              tg_analysis_emit_fn emit, void *emit_ctx, int *count) {
    parser p = {.q = query, .id = id, .emit = emit, .ctx = emit_ctx};
    *count = 0;
    tg_analysis_request *base = calloc(1, sizeof *base);
    placed *stones = NULL, *moves = NULL;
    size_t nstones = 0, nmoves = 0;
    int64_t *turns = NULL, *prios = NULL;
    size_t nturns = 0, nprios = 0;
    bool *analyze = NULL;
    tg_analysis_request **out = NULL;
    tg_history hist = {0};
    bool hist_ready = false;
    int made = 0;
    if (!base) {
        emit(tg_analysis_error(id, NULL, "Out of memory"), emit_ctx);
        return NULL;
    }
    base->id = (char *)id;
    base->params = d->params;
    base->perspective = d->perspective;
    base->pv_len = d->pv_len;

    static const char size_msg[] = "Must provide an integer from 2 to 19";
    int64_t xs = 0, ys = 0;
    if (!json_object_get(query, "boardXSize")) {
        fail(&p, "boardXSize", size_msg);
        goto done;
    }
    if (!json_object_get(query, "boardYSize")) {
        fail(&p, "boardYSize", size_msg);
        goto done;
    }
    if (!get_int(&p, query, "boardXSize", 2, TG_MAX_LEN, size_msg, &xs) ||
        !get_int(&p, query, "boardYSize", 2, TG_MAX_LEN, size_msg, &ys))
        goto done;
    p.xsize = (int)xs;
    p.ysize = (int)ys;

    if (json_object_get(query, "initialStones") && !parse_moves(&p, "initialStones", false, &stones, &nstones))
        goto done;
    if (!json_object_get(query, "moves")) {
        fail(&p, "moves", "Must specify an array of [player,location] pairs");
        goto done;
    }
    if (!parse_moves(&p, "moves", true, &moves, &nmoves))
        goto done;
    tg_color initial_pla = TG_EMPTY;
    const json_t *ip = json_object_get(query, "initialPlayer");
    if (ip && (!json_is_string(ip) || !parse_player_text(json_string_value(ip), &initial_pla))) {
        fail(&p, "initialPlayer", "Must be \"b\" or \"w\"");
        goto done;
    }

    analyze = calloc(nmoves + 1, sizeof *analyze);
    if (!analyze) {
        fail(&p, NULL, "Out of memory");
        goto done;
    }
    const json_t *at = json_object_get(query, "analyzeTurns");
    if (at) {
        if (!int_array(at, INT32_MIN, INT32_MAX, &turns, &nturns)) {
            fail(&p, "analyzeTurns", "Must specify an array of integers indicating turns to analyze");
            goto done;
        }
        for (size_t i = 0; i < nturns; i++) {
            if (turns[i] < 0 || (size_t)turns[i] > nmoves) {
                fail(&p, "analyzeTurns", "Invalid turn number: %lld", (long long)turns[i]);
                goto done;
            }
            analyze[turns[i]] = true;
        }
    } else {
        analyze[nmoves] = true;
    }
    int64_t *prio_by_turn = NULL;
    if (json_object_get(query, "priorities")) {
        if (!int_array(json_object_get(query, "priorities"), INT64_MIN, INT64_MAX, &prios, &nprios)) {
            fail(&p, "priorities", "Must specify an array of integers indicating priorities");
            goto done;
        }
        if (!at) {
            fail(&p, "priorities", "Can only specify when also specifying analyzeTurns");
            goto done;
        }
        if (nprios != nturns) {
            fail(&p, "priorities", "Must be of matching length to analyzeTurns");
            goto done;
        }
        for (size_t i = 0; i < nprios; i++)
            if (prios[i] < -0x3FFFFFFFFFFFFFFFLL || prios[i] > 0x3FFFFFFFFFFFFFFFLL) {
                fail(&p, "priorities", "Invalid priority: %lld", (long long)prios[i]);
                goto done;
            }
    }

    static const char rules_msg[] = "Must specify rules string, such as \"chinese\" or \"tromp-taylor\", or a JSON "
                                    "object with detailed rules parameters.";
    const json_t *rj = json_object_get(query, "rules");
    tg_rules rules;
    {
        char err[256];
        if (json_is_string(rj)) {
            if (!tg_rules_parse(json_string_value(rj), NAN, &rules, err, sizeof err)) {
                fail(&p, "rules", "Could not parse rules: %.200s", json_string_value(rj));
                goto done;
            }
        } else if (json_is_object(rj)) {
            char *text = json_dumps(rj, JSON_COMPACT);
            bool ok = text && tg_rules_parse(text, NAN, &rules, err, sizeof err);
            if (!ok)
                fail(&p, "rules", "Could not parse rules: %.200s", text ? text : "");
            free(text);
            if (!ok)
                goto done;
        } else {
            fail(&p, "rules", rules_msg);
            goto done;
        }
    }
    if (isnan(rules.komi))
        rules.komi = default_komi(&rules);
    if (json_object_get(query, "komi")) {
        static const char komi_msg[] = "Must be a integer or half-integer from -400.0 to 400.0";
        double komi;
        if (!get_double(&p, "komi", TG_MIN_USER_KOMI, TG_MAX_USER_KOMI, komi_msg, &komi))
            goto done;
        if (!tg_komi_is_int_or_half_int((float)komi)) {
            fail(&p, "komi", komi_msg);
            goto done;
        }
        rules.komi = (float)komi;
    }
    const json_t *whb = json_object_get(query, "whiteHandicapBonus");
    if (whb) {
        char err[256];
        if (!json_is_string(whb)) {
            fail(&p, "whiteHandicapBonus", "Must be a string");
            goto done;
        }
        if (!tg_rules_update(&rules, "whiteHandicapBonus", json_string_value(whb), err, sizeof err)) {
            fail(&p, "whiteHandicapBonus", "%s", err);
            goto done;
        }
    }

    if (!apply_overrides(&p, d, &base->params, &base->perspective, &base->pv_len))
        goto done;
    if (json_object_get(query, "maxVisits") &&
        !get_int(&p, query, "maxVisits", 1, (int64_t)1 << 50, "Must be an integer from 1 to 2^50",
                 &base->params.max_visits))
        goto done;
    int64_t pv_len = base->pv_len;
    if (json_object_get(query, "analysisPVLen") &&
        !get_int(&p, query, "analysisPVLen", 1, 1000, "Must be an integer from 1 to 1000", &pv_len))
        goto done;
    base->pv_len = (int)pv_len;
    if (json_object_get(query, "rootFpuReductionMax") &&
        !get_double(&p, "rootFpuReductionMax", 0.0, 2.0, "Must be a number from 0.0 to 2.0",
                    &base->params.root_fpu_reduction_max))
        goto done;
    if (json_object_get(query, "rootPolicyTemperature")) {
        if (!get_double(&p, "rootPolicyTemperature", 0.01, 100.0, "Must be a number from 0.01 to 100.0",
                        &base->params.root_policy_temperature))
            goto done;
        base->params.root_policy_temperature_early = base->params.root_policy_temperature;
    }
    if (!get_bool(&p, "includeMovesOwnership", &base->moves_ownership) ||
        !get_bool(&p, "includeMovesOwnershipStdev", &base->moves_ownership_stdev) ||
        !get_bool(&p, "includeOwnership", &base->ownership) ||
        !get_bool(&p, "includeOwnershipStdev", &base->ownership_stdev) ||
        !get_bool(&p, "includePolicy", &base->policy) || !get_bool(&p, "includePVVisits", &base->pv_visits) ||
        !get_bool(&p, "includeNoResultValue", &base->no_result_value))
        goto done;
    static const char every_msg[] = "Must be number of seconds from 0.001 to 1000000.0";
    if (json_object_get(query, "reportDuringSearchEvery")) {
        if (!get_double(&p, "reportDuringSearchEvery", 0.001, 1000000.0, every_msg, &base->report_every_s))
            goto done;
        base->first_report_after_s = base->report_every_s;
    }
    if (json_object_get(query, "firstReportDuringSearchAfter")) {
        if (!get_double(&p, "firstReportDuringSearchAfter", 0.001, 1000000.0, every_msg,
                        &base->first_report_after_s))
            goto done;
        if (base->report_every_s <= 0)
            base->report_every_s = 1e30;
    }
    int64_t priority = 0;
    if (json_object_get(query, "priority")) {
        if (json_object_get(query, "priorities")) {
            fail(&p, "priority", "Cannot specify both priority and priorities");
            goto done;
        }
        if (!get_int(&p, query, "priority", -0x3FFFFFFFFFFFFFFFLL, 0x3FFFFFFFFFFFFFFFLL,
                     "Must be a number between -2^62 and 2^62", &priority))
            goto done;
    }
    if (nprios > 0) {
        prio_by_turn = calloc(nmoves + 1, sizeof *prio_by_turn);
        if (!prio_by_turn) {
            fail(&p, NULL, "Out of memory");
            goto done;
        }
        for (size_t i = 0; i < nturns; i++)
            prio_by_turn[turns[i]] = prios[i];
    }
    if (!parse_avoid(&p, base))
        goto prio_done;

    if (d->warn_unused_fields) {
        const char *key;
        json_t *value;
        json_object_foreach(query, key, value) {
            if (!is_query_key(key))
                emit(tg_analysis_warning(id, key,
                                         "Unexpected or unused field, do you have a typo? (set warnUnusedFields=false "
                                         "in the config to disable this warning)"),
                     emit_ctx);
        }
    }

    tg_board board;
    tg_board_init(&board, p.xsize, p.ysize);
    for (size_t i = 0; i < nstones; i++)
        tg_board_set_stone(&board, stones[i].loc, stones[i].pla);
    if (initial_pla == TG_EMPTY)
        initial_pla = nmoves > 0 ? moves[0].pla : tg_history_num_handicap_stones_on_board(&board) > 0 ? TG_WHITE : TG_BLACK;
    tg_color pla = initial_pla;
    tg_history_init(&hist, &board, pla, &rules, 0);
    hist_ready = true;
    tg_history_set_assume_multiple_starting_black_moves_are_handicap(&hist, d->assume_multiple_starting_black_moves_are_handicap);
    out = calloc(nmoves + 1, sizeof *out);
    if (!out) {
        fail(&p, NULL, "Out of memory");
        goto prio_done;
    }
    for (size_t t = 0; t <= nmoves; t++) {
        if (analyze[t]) {
            tg_analysis_request *r = new_request(base, (int)t, &board, &hist, pla, prio_by_turn ? prio_by_turn[t] : priority);
            if (!r) {
                fail(&p, NULL, "Out of memory");
                goto fail_made;
            }
            out[made++] = r;
        }
        if (t == nmoves)
            break;
        if (moves[t].pla != pla) {
            tg_board_clear_simple_ko(&board);
            tg_history_clear(&hist, &board, moves[t].pla, &rules, hist.encore_phase);
            tg_history_set_assume_multiple_starting_black_moves_are_handicap(
                &hist, d->assume_multiple_starting_black_moves_are_handicap);
        }
        if (!tg_history_play_tolerant(&hist, &board, moves[t].loc, moves[t].pla, d->prevent_encore)) {
            char buf[16];
            fail(&p, "moves", "Illegal move %zu: %s", t, tg_loc_str(moves[t].loc, p.xsize, p.ysize, buf));
            goto fail_made;
        }
        pla = tg_opp(moves[t].pla);
    }
    *count = made;
    goto prio_done;
fail_made:
    for (int i = 0; i < made; i++)
        tg_analysis_request_free(out[i]);
    free(out);
    out = NULL;
prio_done:
    free(prio_by_turn);
done:
    if (hist_ready)
        tg_history_free(&hist);
    free(stones);
    free(moves);
    free(turns);
    free(prios);
    free(analyze);
    free(base);
    return out;
}
