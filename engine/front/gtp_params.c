/* KataGo's parameter commands: kata-list-params, kata-get-param, kata-get-params, kata-set-param and
 * kata-set-params. Only parameters tengen has are listed and accepted: the search parameters of
 * tg_search_params under their config key names, allowResignation, and two that GUIs send which the
 * search does not honour yet (analysisWideRootNoise, playoutDoublingAdvantage).
 *
 * As in KataGo, a change is written into the engine's config (an empty value removes the key, so the
 * built-in default applies again) and the search parameters are then re-read from the whole config, so
 * that defaults following other keys (rootPolicyOptimism after policyOptimism, rootFpuReductionMax after
 * rootNoiseEnabled...) follow the change too. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gtp_internal.h"
#include "log.h"

enum { T_DOUBLE, T_INT64, T_INT, T_BOOL };

/* Where a parameter lives. */
enum {
    W_SEARCH,   /* a field of tg_search_params (offset) */
    W_CONFIG,   /* only in the config: accepted and reported, ignored by the search for now */
    W_RESIGN,   /* g->allow_resignation */
};

typedef struct param_def {
    const char *key;
    int type;
    int where;
    size_t offset; /* W_SEARCH */
    double min, max;
    double def;       /* W_CONFIG: the default when the config lacks the key */
    bool gtp_special; /* KataGo's GTP-level parameters: listed first, reported as strings in kata-get-params */
} param_def;

/* The GTP-level parameters (cpp/command/gtp.cpp) come first, then every search key with the field and
 * range searchparams.c defines for it, in the order the search reads them (the first failing key is the
 * one reported), then the stored-only ones. */
static const param_def GTP_LEVEL_PARAMS[] = {
    /* Stored and reported but ignored by the search until wide root noise is implemented. */
    { "analysisWideRootNoise", T_DOUBLE, W_CONFIG, 0, 0.0, 5.0, 0.04, true },
    { "allowResignation", T_BOOL, W_RESIGN, 0, 0, 0, 0, true },
};
static const param_def STORED_ONLY_PARAMS[] = {
    /* Stored and reported, ignored by the search until playout doubling advantage is implemented. */
    { "playoutDoublingAdvantage", T_DOUBLE, W_CONFIG, 0, -3.0, 3.0, 0.0, false },
};

#define MAX_PARAMS 128
static param_def PARAMS[MAX_PARAMS];
static size_t NUM_PARAMS;
static pthread_once_t params_once = PTHREAD_ONCE_INIT;

static void append_params(const param_def *defs, size_t n) {
    for (size_t i = 0; i < n && NUM_PARAMS < MAX_PARAMS; i++)
        PARAMS[NUM_PARAMS++] = defs[i];
}

static void build_params(void) {
    append_params(GTP_LEVEL_PARAMS, sizeof GTP_LEVEL_PARAMS / sizeof GTP_LEVEL_PARAMS[0]);
    size_t n;
    const tg_search_param_spec *specs = tg_search_param_specs(&n);
    for (size_t i = 0; i < n && NUM_PARAMS < MAX_PARAMS; i++) {
        static const int types[] = {[TG_PARAM_DOUBLE] = T_DOUBLE, [TG_PARAM_INT64] = T_INT64,
                                    [TG_PARAM_INT] = T_INT, [TG_PARAM_BOOL] = T_BOOL};
        PARAMS[NUM_PARAMS++] = (param_def){specs[i].key, types[specs[i].type], W_SEARCH, specs[i].offset,
                                           specs[i].min, specs[i].max, 0, false};
    }
    append_params(STORED_ONLY_PARAMS, sizeof STORED_ONLY_PARAMS / sizeof STORED_ONLY_PARAMS[0]);
}

static void ensure_params(void) { pthread_once(&params_once, build_params); }

/* KataGo validates the new keys in a config holding only them, whose name reads this way. */
#define CLEAN_CONFIG_NAME " and/or command-line and query overrides"

static const param_def *find_param(const char *key) {
    ensure_params();
    for (size_t i = 0; i < NUM_PARAMS; i++)
        if (!strcmp(PARAMS[i].key, key))
            return &PARAMS[i];
    return NULL;
}

/* ------------------------------------------------------------------ value formatting */

/* C++ ostream's default output of a double (Global::doubleToString): %g with 6 significant digits. */
static void append_ostream_double(tg_strbuf *out, double x) {
    tg_strbuf_appendf(out, "%g", x);
}

/* nlohmann::json's dump of a double: the shortest digits that read back as x, written as a decimal
 * with ".0" when integral and the decimal point within 15 digits, in scientific form ("1e+20") otherwise. */
static void append_json_double(tg_strbuf *out, double x) {
    if (!isfinite(x)) {
        tg_strbuf_append(out, "null");
        return;
    }
    if (x == 0.0) {
        tg_strbuf_append(out, signbit(x) ? "-0.0" : "0.0");
        return;
    }
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    /* buf: [-]d[.ddd]e(+|-)XX */
    const char *p = buf;
    if (*p == '-') {
        tg_strbuf_append(out, "-");
        p++;
    }
    char digits[32];
    int k = 0;
    while (*p && *p != 'e') {
        if (isdigit((unsigned char)*p) && k < (int)sizeof digits - 1)
            digits[k++] = *p;
        p++;
    }
    while (k > 1 && digits[k - 1] == '0') /* %e may pad the single-digit case */
        k--;
    digits[k] = '\0';
    int e10 = *p == 'e' ? atoi(p + 1) : 0;
    int n = e10 + 1; /* x = 0.digits * 10^n */
    const int min_exp = -4, max_exp = 15;
    if (k <= n && n <= max_exp) {
        tg_strbuf_append(out, digits);
        for (int i = k; i < n; i++)
            tg_strbuf_append(out, "0");
        tg_strbuf_append(out, ".0");
    } else if (0 < n && n <= max_exp) {
        tg_strbuf_append_n(out, digits, (size_t)n);
        tg_strbuf_append(out, ".");
        tg_strbuf_append(out, digits + n);
    } else if (min_exp < n && n <= 0) {
        tg_strbuf_append(out, "0.");
        for (int i = 0; i < -n; i++)
            tg_strbuf_append(out, "0");
        tg_strbuf_append(out, digits);
    } else {
        tg_strbuf_append_n(out, digits, 1);
        if (k > 1) {
            tg_strbuf_append(out, ".");
            tg_strbuf_append(out, digits + 1);
        }
        int e = n - 1;
        tg_strbuf_appendf(out, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
}

/* The current parameters: the search's, or without a network those the config gives. */
static void current_params(const tg_gtp *g, tg_search_params *p) {
    if (g->search) {
        *p = g->search_params;
        return;
    }
    char err[256];
    if (!tg_search_params_load(p, g->cfg, err, sizeof err))
        tg_search_params_default(p);
}

static double config_double(const tg_gtp *g, const param_def *d) {
    double v = d->def;
    char err[256];
    if (!tg_config_get_double(g->cfg, d->key, d->def, d->min, d->max, &v, err, sizeof err))
        v = d->def;
    return v;
}

/* The value as kata-get-param prints it: nlohmann's dump for search parameters, KataGo's
 * doubleToString / boolToString for the GTP-level ones. */
static void append_value(const tg_gtp *g, const tg_search_params *p, const param_def *d, tg_strbuf *out) {
    if (d->where == W_RESIGN) {
        tg_strbuf_append(out, g->allow_resignation ? "true" : "false");
        return;
    }
    if (d->where == W_CONFIG) {
        double v = config_double(g, d);
        if (d->gtp_special)
            append_ostream_double(out, v);
        else
            append_json_double(out, v);
        return;
    }
    const char *base = (const char *)p + d->offset;
    switch (d->type) {
    case T_DOUBLE:
        append_json_double(out, *(const double *)(const void *)base);
        break;
    case T_INT64:
        tg_strbuf_appendf(out, "%lld", (long long)*(const int64_t *)(const void *)base);
        break;
    case T_INT:
        tg_strbuf_appendf(out, "%d", *(const int *)(const void *)base);
        break;
    default:
        tg_strbuf_append(out, *(const bool *)(const void *)base ? "true" : "false");
        break;
    }
}

static int cmp_param_key(const void *a, const void *b) {
    return strcmp((*(const param_def *const *)a)->key, (*(const param_def *const *)b)->key);
}

/* The search parameters in nlohmann's key order (std::map: byte order). */
static size_t sorted_params(const param_def **out, bool include_special) {
    ensure_params();
    size_t n = 0;
    for (size_t i = 0; i < NUM_PARAMS; i++)
        if (include_special || !PARAMS[i].gtp_special)
            out[n++] = &PARAMS[i];
    qsort(out, n, sizeof *out, cmp_param_key);
    return n;
}

/* ------------------------------------------------------------------ list and get */

void cmd_kata_list_params(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g;
    (void)argc;
    (void)argv;
    /* KataGo: the GTP-level parameters first, then the search's in key order. */
    ensure_params();
    for (size_t i = 0; i < NUM_PARAMS; i++) {
        if (!PARAMS[i].gtp_special)
            continue;
        if (r->text.len)
            tg_strbuf_append(&r->text, " ");
        tg_strbuf_append(&r->text, PARAMS[i].key);
    }
    const param_def *sorted[MAX_PARAMS];
    size_t n = sorted_params(sorted, false);
    for (size_t i = 0; i < n; i++) {
        if (r->text.len)
            tg_strbuf_append(&r->text, " ");
        tg_strbuf_append(&r->text, sorted[i]->key);
    }
}

void cmd_kata_get_param(tg_gtp *g, int argc, char **argv, reply *r) {
    if (argc != 1) {
        tg_strbuf got;
        tg_strbuf_init(&got);
        gtp_join_args(&got, argc, argv);
        gtp_fail(r, "Expected one arguments for kata-get-param but got '%s'", got.len ? got.data : "");
        tg_strbuf_free(&got);
        return;
    }
    const param_def *d = find_param(argv[0]);
    if (!d) {
        gtp_fail(r, "Invalid parameter: %s", argv[0]);
        return;
    }
    tg_search_params p;
    current_params(g, &p);
    append_value(g, &p, d, &r->text);
}

void cmd_kata_get_params(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc;
    (void)argv;
    tg_search_params p;
    current_params(g, &p);
    const param_def *sorted[MAX_PARAMS];
    size_t n = sorted_params(sorted, true);
    tg_strbuf_append(&r->text, "{");
    for (size_t i = 0; i < n; i++) {
        tg_strbuf_appendf(&r->text, "%s\"%s\":", i ? "," : "", sorted[i]->key);
        /* KataGo puts the GTP-level values in as strings. */
        if (sorted[i]->gtp_special)
            tg_strbuf_append(&r->text, "\"");
        append_value(g, &p, sorted[i], &r->text);
        if (sorted[i]->gtp_special)
            tg_strbuf_append(&r->text, "\"");
    }
    tg_strbuf_append(&r->text, "}");
}

/* ------------------------------------------------------------------ set */

typedef struct setting {
    char *key;
    char *value; /* "" removes the key */
} setting;

typedef struct settings {
    setting *e;
    int n, cap;
} settings;

static void settings_free(settings *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->e[i].key);
        free(s->e[i].value);
    }
    free(s->e);
    s->e = NULL;
    s->n = s->cap = 0;
}

/* Adds or replaces (a std::map in KataGo: the last value of a key wins). Takes ownership. */
static bool settings_put(settings *s, char *key, char *value) {
    if (!key || !value) {
        free(key);
        free(value);
        return false;
    }
    for (int i = 0; i < s->n; i++) {
        if (!strcmp(s->e[i].key, key)) {
            free(key);
            free(s->e[i].value);
            s->e[i].value = value;
            return true;
        }
    }
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        setting *e = realloc(s->e, (size_t)cap * sizeof *e);
        if (!e) {
            free(key);
            free(value);
            return false;
        }
        s->e = e;
        s->cap = cap;
    }
    s->e[s->n].key = key;
    s->e[s->n].value = value;
    s->n++;
    return true;
}

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* --- a small JSON reader for kata-set-params' object */

typedef struct json_in {
    const char *p;
    char err[160];
} json_in;

static void json_ws(json_in *j) {
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static void put_utf8(tg_strbuf *b, unsigned cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    tg_strbuf_append_n(b, u, n);
}

/* A JSON string at j->p (on the opening quote); its decoded text into out. */
static bool json_string(json_in *j, tg_strbuf *out) {
    j->p++;
    for (;;) {
        char c = *j->p;
        if (c == '\0') {
            snprintf(j->err, sizeof j->err, "unterminated string");
            return false;
        }
        j->p++;
        if (c == '"')
            return true;
        if (c != '\\') {
            tg_strbuf_append_n(out, &c, 1);
            continue;
        }
        char e = *j->p++;
        switch (e) {
        case '"': tg_strbuf_append(out, "\""); break;
        case '\\': tg_strbuf_append(out, "\\"); break;
        case '/': tg_strbuf_append(out, "/"); break;
        case 'b': tg_strbuf_append(out, "\b"); break;
        case 'f': tg_strbuf_append(out, "\f"); break;
        case 'n': tg_strbuf_append(out, "\n"); break;
        case 'r': tg_strbuf_append(out, "\r"); break;
        case 't': tg_strbuf_append(out, "\t"); break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 0; i < 4; i++) {
                char h = *j->p;
                if (!isxdigit((unsigned char)h)) {
                    snprintf(j->err, sizeof j->err, "invalid \\u escape in string");
                    return false;
                }
                cp = cp * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
                j->p++;
            }
            put_utf8(out, cp);
            break;
        }
        default:
            snprintf(j->err, sizeof j->err, "invalid escape in string");
            return false;
        }
    }
}

/* Skips any JSON value (for nested arrays and objects, kept as their text). */
static bool json_skip_value(json_in *j, int depth) {
    json_ws(j);
    if (depth > 64) {
        snprintf(j->err, sizeof j->err, "nesting too deep");
        return false;
    }
    char c = *j->p;
    if (c == '"') {
        tg_strbuf tmp;
        tg_strbuf_init(&tmp);
        bool ok = json_string(j, &tmp);
        tg_strbuf_free(&tmp);
        return ok;
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        json_ws(j);
        if (*j->p == close) {
            j->p++;
            return true;
        }
        for (;;) {
            if (c == '{') {
                json_ws(j);
                if (*j->p != '"') {
                    snprintf(j->err, sizeof j->err, "expected a string key");
                    return false;
                }
                if (!json_skip_value(j, depth + 1))
                    return false;
                json_ws(j);
                if (*j->p != ':') {
                    snprintf(j->err, sizeof j->err, "expected ':'");
                    return false;
                }
                j->p++;
            }
            if (!json_skip_value(j, depth + 1))
                return false;
            json_ws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == close) {
                j->p++;
                return true;
            }
            snprintf(j->err, sizeof j->err, "expected ',' or '%c'", close);
            return false;
        }
    }
    const char *start = j->p;
    while (*j->p && (isalnum((unsigned char)*j->p) || *j->p == '-' || *j->p == '+' || *j->p == '.'))
        j->p++;
    size_t len = (size_t)(j->p - start);
    if (len == 0) {
        snprintf(j->err, sizeof j->err, "unexpected character '%c'", c ? c : ' ');
        return false;
    }
    if ((len == 4 && !strncmp(start, "true", 4)) || (len == 5 && !strncmp(start, "false", 5)) ||
        (len == 4 && !strncmp(start, "null", 4)))
        return true;
    char *end;
    char *num = dup_n(start, len);
    if (!num) {
        snprintf(j->err, sizeof j->err, "out of memory");
        return false;
    }
    bool ok = (isdigit((unsigned char)num[0]) || (num[0] == '-' && isdigit((unsigned char)num[1]))) &&
              (strtod(num, &end), *end == '\0');
    free(num);
    if (!ok)
        snprintf(j->err, sizeof j->err, "invalid literal '%.*s'", (int)(len > 40 ? 40 : len), start);
    return ok;
}

/* Reads {"key": value, ...}: strings give their text, anything else its JSON text (KataGo: dump()). */
static bool json_object(const char *text, settings *out, char *err, size_t errlen) {
    json_in j = { text, "" };
    json_ws(&j);
    if (*j.p != '{') {
        /* KataGo parses first: other valid JSON is "not an object", anything else a parse error. */
        if (json_skip_value(&j, 0) && (json_ws(&j), *j.p == '\0'))
            snprintf(err, errlen, "Argument to kata-set-params must be a json object");
        else
            snprintf(err, errlen, "cannot parse JSON: %s", j.err[0] ? j.err : "trailing characters");
        return false;
    }
    j.p++;
    json_ws(&j);
    if (*j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            json_ws(&j);
            if (*j.p != '"') {
                snprintf(j.err, sizeof j.err, "expected a string key");
                goto bad;
            }
            tg_strbuf key;
            tg_strbuf_init(&key);
            if (!json_string(&j, &key)) {
                tg_strbuf_free(&key);
                goto bad;
            }
            json_ws(&j);
            if (*j.p != ':') {
                tg_strbuf_free(&key);
                snprintf(j.err, sizeof j.err, "expected ':'");
                goto bad;
            }
            j.p++;
            json_ws(&j);
            char *value;
            if (*j.p == '"') {
                tg_strbuf v;
                tg_strbuf_init(&v);
                if (!json_string(&j, &v)) {
                    tg_strbuf_free(&v);
                    tg_strbuf_free(&key);
                    goto bad;
                }
                value = dup_n(v.len ? v.data : "", v.len);
                tg_strbuf_free(&v);
            } else {
                const char *start = j.p;
                if (!json_skip_value(&j, 1)) {
                    tg_strbuf_free(&key);
                    goto bad;
                }
                value = dup_n(start, (size_t)(j.p - start));
            }
            if (!settings_put(out, dup_n(key.len ? key.data : "", key.len), value)) {
                tg_strbuf_free(&key);
                snprintf(j.err, sizeof j.err, "out of memory");
                goto bad;
            }
            tg_strbuf_free(&key);
            json_ws(&j);
            if (*j.p == ',') {
                j.p++;
                continue;
            }
            if (*j.p == '}') {
                j.p++;
                break;
            }
            snprintf(j.err, sizeof j.err, "expected ',' or '}'");
            goto bad;
        }
    }
    json_ws(&j);
    if (*j.p == '\0')
        return true;
    snprintf(j.err, sizeof j.err, "trailing characters");
bad:
    snprintf(err, errlen, "cannot parse JSON: %s", j.err);
    return false;
}

/* --- checking values as KataGo's ConfigParser does */

/* std::istream's reading of a number after trimming: an optional sign, then digits (and for doubles a
 * fraction and exponent), and nothing after. */
static bool looks_numeric(const char *s, bool allow_float) {
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return false;
    bool digit = false;
    for (; *p; p++) {
        if (isdigit((unsigned char)*p))
            digit = true;
        else if (!allow_float || !strchr(".eE+-", *p))
            return false;
    }
    return digit;
}

static char *trimmed(const char *s) {
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return dup_n(s, n);
}

/* Checks one value; on success *norm is the value to store (normalised so the config reads it back). */
static bool check_value(const param_def *d, const char *value, char **norm, char *err, size_t errlen) {
    char *v = trimmed(value);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    char buf[64];
    bool ok = true;
    switch (d->type) {
    case T_BOOL: {
        char low[8];
        size_t n = strlen(v);
        bool is_true = false, parsed = false;
        if (n < sizeof low) {
            for (size_t i = 0; i <= n; i++)
                low[i] = (char)tolower((unsigned char)v[i]);
            if (!strcmp(low, "true"))
                parsed = is_true = true;
            else if (!strcmp(low, "false"))
                parsed = true;
        }
        if (!parsed) {
            snprintf(err, errlen, "Could not parse '%s' as bool for key '%s' in config file " CLEAN_CONFIG_NAME, value,
                     d->key);
            ok = false;
        } else {
            snprintf(buf, sizeof buf, "%s", is_true ? "true" : "false");
        }
        break;
    }
    case T_INT:
    case T_INT64: {
        const char *tname = d->type == T_INT ? "int" : "int64_t";
        errno = 0;
        char *end;
        long long x = strtoll(v, &end, 10);
        if (!looks_numeric(v, false) || *end != '\0' || errno == ERANGE ||
            (d->type == T_INT && (x < INT32_MIN || x > INT32_MAX))) {
            snprintf(err, errlen, "Could not parse '%s' as %s for key '%s' in config file " CLEAN_CONFIG_NAME, value,
                     tname, d->key);
            ok = false;
        } else if ((double)x < d->min || (double)x > d->max) {
            snprintf(err, errlen, "Key '%s' must be in the range %lld to %lld in config file " CLEAN_CONFIG_NAME,
                     d->key, (long long)d->min, (long long)d->max);
            ok = false;
        } else {
            snprintf(buf, sizeof buf, "%lld", x);
        }
        break;
    }
    default: {
        char *end;
        double x = strtod(v, &end);
        if (!looks_numeric(v, true) || *end != '\0') {
            snprintf(err, errlen, "Could not parse '%s' as double for key '%s' in config file " CLEAN_CONFIG_NAME,
                     value, d->key);
            ok = false;
        } else if (isnan(x)) {
            snprintf(err, errlen, "Key '%s' is nan in config file " CLEAN_CONFIG_NAME, d->key);
            ok = false;
        } else if (x < d->min || x > d->max) {
            snprintf(err, errlen, "Key '%s' must be in the range %g to %g in config file " CLEAN_CONFIG_NAME, d->key,
                     d->min, d->max);
            ok = false;
        } else {
            snprintf(buf, sizeof buf, "%.17g", x);
        }
        break;
    }
    }
    free(v);
    if (ok) {
        *norm = dup_n(buf, strlen(buf));
        if (!*norm) {
            snprintf(err, errlen, "out of memory");
            ok = false;
        }
    }
    return ok;
}

static int cmp_setting_key(const void *a, const void *b) {
    return strcmp(((const setting *)a)->key, ((const setting *)b)->key);
}

/* Validates every setting as KataGo does (bad values first, in loadParams' order; then unknown keys, in
 * key order; empty values remove keys and are not checked), then writes them into the config and
 * re-reads the parameters. On failure nothing changes. */
static bool apply_settings(tg_gtp *g, settings *s, char *err, size_t errlen) {
    char **norm = calloc((size_t)(s->n ? s->n : 1), sizeof *norm);
    char **old = calloc((size_t)(s->n ? s->n : 1), sizeof *old);
    bool *had = calloc((size_t)(s->n ? s->n : 1), sizeof *had);
    bool ok = norm && old && had;
    if (!ok)
        snprintf(err, errlen, "out of memory");
    qsort(s->e, (size_t)s->n, sizeof *s->e, cmp_setting_key);
    ensure_params();
    for (size_t i = 0; ok && i < NUM_PARAMS; i++) {
        for (int k = 0; k < s->n; k++) {
            if (strcmp(s->e[k].key, PARAMS[i].key) || s->e[k].value[0] == '\0')
                continue;
            if (!check_value(&PARAMS[i], s->e[k].value, &norm[k], err, errlen))
                ok = false;
            break;
        }
    }
    for (int k = 0; ok && k < s->n; k++) {
        if (s->e[k].value[0] != '\0' && !find_param(s->e[k].key)) {
            snprintf(err, errlen, "Unrecognized or non-overridable parameter in kata-set-params: %s", s->e[k].key);
            ok = false;
        }
    }
    if (ok) {
        /* Write into the config, remembering what was there to undo on a failed re-read. */
        for (int k = 0; k < s->n; k++) {
            had[k] = tg_config_has(g->cfg, s->e[k].key);
            if (had[k]) {
                const char *o = tg_config_get(g->cfg, s->e[k].key);
                old[k] = dup_n(o ? o : "", o ? strlen(o) : 0);
            }
            tg_config_set(g->cfg, s->e[k].key, norm[k] ? norm[k] : "");
        }
        tg_search_params np;
        bool allow_resignation = g->allow_resignation;
        ok = tg_search_params_load(&np, g->cfg, err, errlen) &&
             tg_config_get_bool(g->cfg, "allowResignation", false, &allow_resignation, err, errlen);
        if (ok) {
            g->search_params = np;
            g->root_policy_optimism = np.root_policy_optimism; /* kata-raw-nn's default follows too */
            g->allow_resignation = allow_resignation;
            if (g->search)
                tg_search_set_params(g->search, &g->search_params);
        } else {
            for (int k = s->n - 1; k >= 0; k--)
                tg_config_set(g->cfg, s->e[k].key, had[k] && old[k] ? old[k] : "");
        }
    }
    for (int k = 0; norm && k < s->n; k++)
        free(norm[k]);
    for (int k = 0; old && k < s->n; k++)
        free(old[k]);
    free(norm);
    free(old);
    free(had);
    return ok;
}

static void set_params(tg_gtp *g, bool json, int argc, char **argv, reply *r) {
    settings s = { NULL, 0, 0 };
    char err[512];
    tg_strbuf got;
    tg_strbuf_init(&got);
    gtp_join_args(&got, argc, argv);
    const char *args = got.len ? got.data : "";
    if (!json) {
        if (argc != 1 && argc != 2) {
            gtp_fail(r, "Expected one or two arguments for kata-set-param but got '%s'", args);
            goto done;
        }
        if (!settings_put(&s, dup_n(argv[0], strlen(argv[0])),
                          argc == 2 ? dup_n(argv[1], strlen(argv[1])) : dup_n("", 0))) {
            gtp_fail(r, "Could not set params: out of memory");
            goto done;
        }
    } else {
        if (argc < 1) {
            gtp_fail(r, "Expected argument for kata-set-param but got '%s'", args);
            goto done;
        }
        if (!json_object(args, &s, err, sizeof err)) {
            gtp_fail(r, "Could not set params: %s", err);
            goto done;
        }
    }
    if (!apply_settings(g, &s, err, sizeof err))
        gtp_fail(r, "Could not set params: %s", err);
done:
    settings_free(&s);
    tg_strbuf_free(&got);
}

void cmd_kata_set_param(tg_gtp *g, int argc, char **argv, reply *r) { set_params(g, false, argc, argv, r); }
void cmd_kata_set_params(tg_gtp *g, int argc, char **argv, reply *r) { set_params(g, true, argc, argv, r); }
