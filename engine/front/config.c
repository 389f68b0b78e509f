/* KataGo-style configuration files.
 *
 * KataGo's format is line based: "key = value", '#' starts a comment anywhere outside a quoted value,
 * values may be double-quoted (backslash escapes inside), "@include FILE" pulls in another file, and
 * there are no [sections]. inih drives the reading: our line reader hands it each physical line after
 * applying KataGo's rules (which inih alone would get wrong: it knows ';' comments, sections,
 * "key: value" and indented continuation lines), and inih's handler records the pair with its file
 * and line for later error messages. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../util/errmsg.h"

typedef struct cfg_entry {
    char *key;
    char *value;
    char *source;      /* file path, or "command line" */
    int line;          /* 0 for the command line */
    bool used;
    bool warned;
    char *canon;       /* spelling from the allowed list of the last successful tg_config_get_enum */
} cfg_entry;

struct tg_config {
    cfg_entry *e;
    int n, cap;
    /* Getters take a const config but record which keys were read; the lock keeps that safe when
     * several threads read settings at once. */
    pthread_mutex_t lock;
};

static const char command_line_source[] = "command line";

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static char *dup_n(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_key_char(char c) {
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* Trims in place; returns the start. */
static char *trim(char *s) {
    while (is_space(*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1])) s[--n] = '\0';
    return s;
}

static void entry_free(cfg_entry *e) {
    free(e->key);
    free(e->value);
    free(e->source);
    free(e->canon);
}

/* ------------------------------------------------------------------------------------------------
 * Entry lists */

typedef struct entry_list { cfg_entry *e; int n, cap; } entry_list;

static int list_find(const cfg_entry *e, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].key, key) == 0) return i;
    return -1;
}

/* Adds or replaces key; takes ownership of nothing (copies everything). */
static bool list_set(cfg_entry **arr, int *n, int *cap, const char *key, const char *value, const char *source,
                     int line) {
    char *k = dup_str(key), *v = dup_str(value), *s = dup_str(source);
    if (!k || !v || !s) { free(k); free(v); free(s); return false; }
    int i = list_find(*arr, *n, key);
    if (i >= 0) {
        entry_free(&(*arr)[i]);
    } else {
        if (*n == *cap) {
            int nc = *cap ? *cap * 2 : 32;
            cfg_entry *p = realloc(*arr, (size_t)nc * sizeof *p);
            if (!p) { free(k); free(v); free(s); return false; }
            *arr = p;
            *cap = nc;
        }
        i = (*n)++;
    }
    cfg_entry *e = &(*arr)[i];
    memset(e, 0, sizeof *e);
    e->key = k;
    e->value = v;
    e->source = s;
    e->line = line;
    return true;
}

static void list_remove(cfg_entry *arr, int *n, int i) {
    entry_free(&arr[i]);
    memmove(&arr[i], &arr[i + 1], (size_t)(*n - i - 1) * sizeof *arr);
    (*n)--;
}

/* ------------------------------------------------------------------------------------------------
 * Reading files */

#define MAX_INCLUDE_DEPTH 16

typedef struct load_state {
    entry_list pending;               /* everything read so far in this load, later keys replacing earlier */
    char **included; int nincluded;   /* every file opened in this load, to refuse repeats and cycles */
    char *err; size_t errlen;
    bool failed;
} load_state;

typedef struct file_ctx {
    load_state *st;
    FILE *f;
    const char *path;
    int depth;
    int lineno;
    char *line; size_t cap;
    /* The pair parsed from the current line, waiting for inih's handler call. */
    char *cur_key, *cur_value;
    /* Keys seen in this file (not its includes) and their lines, to refuse a key given twice. */
    entry_list seen;
} file_ctx;

static bool load_one(load_state *st, const char *path, int depth, const char *from, int from_line);

/* Reads one physical line of any length: 1 for a line, 0 at end of file, -1 when memory runs out. */
static int read_physical_line(file_ctx *c) {
    size_t n = 0;
    int ch;
    bool any = false;
    if (!c->line) {
        c->line = malloc(256);
        if (!c->line) return -1;
        c->cap = 256;
    }
    while ((ch = fgetc(c->f)) != EOF) {
        any = true;
        if (ch == '\n') break;
        if (n + 2 > c->cap) {
            char *p = realloc(c->line, c->cap * 2);
            if (!p) return -1;
            c->line = p;
            c->cap *= 2;
        }
        c->line[n++] = (char)ch;
    }
    c->line[n] = '\0';
    return any ? 1 : 0;
}

static void fail_at(file_ctx *c, const char *fmt, ...) {
    if (c->st->failed) return;
    c->st->failed = true;
    if (!c->st->err || c->st->errlen == 0) return;
    int k = snprintf(c->st->err, c->st->errlen, "%s:%d: ", c->path, c->lineno);
    if (k < 0 || (size_t)k >= c->st->errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->st->err + k, c->st->errlen - (size_t)k, fmt, ap);
    va_end(ap);
}

/* "@include FILE": the path is relative to the including file; KataGo refuses absolute ones. */
static bool handle_directive(file_ctx *c, char *line) {
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    line = trim(line);
    size_t klen = strcspn(line, " \t\v\f=");
    if (klen != 8 || strncmp(line, "@include", 8) != 0) {
        fail_at(c, "unsupported directive '%.*s' (only @include FILE is allowed)", (int)klen, line);
        return false;
    }
    char *v = line + klen;
    while (*v && strchr(" \t\v\f=", *v)) v++;
    v = trim(v);
    size_t vl = strlen(v);
    while (vl > 0 && (v[0] == '\'' || v[0] == '"')) { v++; vl--; }
    while (vl > 0 && (v[vl - 1] == '\'' || v[vl - 1] == '"')) v[--vl] = '\0';
    if (vl == 0) {
        fail_at(c, "@include without a file name");
        return false;
    }
    if (v[0] == '/' || v[0] == '\\') {
        fail_at(c, "@include '%s': absolute paths are not supported, name the file relative to this one", v);
        return false;
    }
    const char *slash = strrchr(c->path, '/');
    size_t dirlen = slash ? (size_t)(slash - c->path) + 1 : 0;
    char *full = malloc(dirlen + vl + 1);
    if (!full) {
        fail_at(c, "out of memory");
        return false;
    }
    memcpy(full, c->path, dirlen);
    memcpy(full + dirlen, v, vl + 1);
    bool ok = load_one(c->st, full, c->depth + 1, c->path, c->lineno);
    free(full);
    return ok;
}

/* Splits one trimmed, non-comment line into key and value by KataGo's rules. */
static bool parse_pair(file_ctx *c, const char *line, char **key_out, char **value_out) {
    size_t i = 0, n = strlen(line);
    while (i < n && is_key_char(line[i])) i++;
    size_t key_len = i;
    if (key_len == 0) {
        fail_at(c, "cannot parse '%s': expected 'key = value' (keys are letters, digits, '_' and '-')", line);
        return false;
    }
    while (i < n && is_space(line[i])) i++;
    if (i >= n || line[i] != '=') {
        if (i < n && line[i] != '#')
            fail_at(c, "cannot parse '%s': expected 'key = value' (keys are letters, digits, '_' and '-')", line);
        else
            fail_at(c, "key '%.*s' has no '= value'", (int)key_len, line);
        return false;
    }
    i++;
    while (i < n && is_space(line[i])) i++;
    char *value;
    if (i < n && line[i] == '"') {
        i++;
        value = malloc(n - i + 1);
        if (!value) { fail_at(c, "out of memory"); return false; }
        size_t o = 0;
        bool closed = false;
        while (i < n) {
            char ch = line[i++];
            if (ch == '\\') {
                if (i >= n) break;
                value[o++] = line[i++];
            } else if (ch == '"') {
                closed = true;
                break;
            } else {
                value[o++] = ch;
            }
        }
        value[o] = '\0';
        if (!closed) {
            free(value);
            fail_at(c, "the quoted value of key '%.*s' has no closing '\"'", (int)key_len, line);
            return false;
        }
        while (i < n && is_space(line[i])) i++;
        if (i < n && line[i] != '#') {
            free(value);
            fail_at(c, "unexpected text after the quoted value of key '%.*s'", (int)key_len, line);
            return false;
        }
        if (o == 0) {
            free(value);
            fail_at(c, "key '%.*s' has an empty value", (int)key_len, line);
            return false;
        }
    } else {
        size_t end = i;
        while (end < n && line[end] != '#') end++;
        while (end > i && is_space(line[end - 1])) end--;
        if (end == i) {
            fail_at(c, "key '%.*s' has no value", (int)key_len, line);
            return false;
        }
        value = dup_n(line + i, end - i);
        if (!value) { fail_at(c, "out of memory"); return false; }
    }
    *key_out = dup_n(line, key_len);
    if (!*key_out) {
        free(value);
        fail_at(c, "out of memory");
        return false;
    }
    *value_out = value;
    return true;
}

/* inih's reader: returns one line at a time, already reduced to what inih should see. Blank lines,
 * comments and directives become "\n"; a key/value line becomes "key=" with the real value kept
 * aside (so that long values, '#', ';' and quotes never reach inih's fixed-size buffer and comment
 * rules). Returning NULL ends the parse, which is how errors stop it. */
static char *reader(char *str, int num, void *stream) {
    file_ctx *c = stream;
    if (c->st->failed || num < 4) return NULL;
    free(c->cur_key);
    free(c->cur_value);
    c->cur_key = c->cur_value = NULL;
    errno = 0;
    int got = read_physical_line(c);
    if (got <= 0) {
        if (got < 0 || ferror(c->f)) {
            c->lineno++;
            fail_at(c, got < 0 ? "out of memory" : "read error: %s", strerror(errno ? errno : EIO));
        }
        return NULL;
    }
    c->lineno++;
    char *line = c->line;
    if (c->lineno == 1 && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
        (unsigned char)line[2] == 0xBF)
        line += 3;
    line = trim(line);
    if (line[0] == '\0' || line[0] == '#') {
        strcpy(str, "\n");
        return str;
    }
    if (line[0] == '[') {
        fail_at(c, "section line '%s' is not allowed: KataGo config files have no [sections]", line);
        return NULL;
    }
    if (line[0] == '@') {
        if (!handle_directive(c, line)) return NULL;
        strcpy(str, "\n");
        return str;
    }
    char *key, *value;
    if (!parse_pair(c, line, &key, &value)) return NULL;
    if (strlen(key) + 3 > (size_t)num) {
        fail_at(c, "key '%.40s...' is too long", key);
        free(key);
        free(value);
        return NULL;
    }
    c->cur_key = key;
    c->cur_value = value;
    snprintf(str, (size_t)num, "%s=\n", key);
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value) {
    file_ctx *c = user;
    (void)value;
    if (c->st->failed) return 0;
    if (!c->cur_key || strcmp(name, c->cur_key) != 0 || (section && section[0])) {
        fail_at(c, "internal error reading this line");
        return 0;
    }
    int prev = list_find(c->seen.e, c->seen.n, name);
    if (prev >= 0) {
        /* KataGo refuses a key given twice in one file: one of them is almost surely a mistake. */
        fail_at(c, "key '%s' is already set on line %d of this file; delete one of them", name, c->seen.e[prev].line);
        return 0;
    }
    if (!list_set(&c->seen.e, &c->seen.n, &c->seen.cap, name, "", c->path, c->lineno) ||
        !list_set(&c->st->pending.e, &c->st->pending.n, &c->st->pending.cap, name, c->cur_value, c->path,
                  c->lineno)) {
        fail_at(c, "out of memory");
        return 0;
    }
    return 1;
}

static bool load_one(load_state *st, const char *path, int depth, const char *from, int from_line) {
    file_ctx fc;
    memset(&fc, 0, sizeof fc);
    fc.st = st;
    fc.path = path;
    fc.depth = depth;
    for (int i = 0; i < st->nincluded; i++) {
        if (strcmp(st->included[i], path) == 0) {
            st->failed = true;
            tg_set_err(st->err, st->errlen, "%s:%d: '%s' is included more than once or includes itself", from, from_line,
                    path);
            return false;
        }
    }
    if (depth > MAX_INCLUDE_DEPTH) {
        st->failed = true;
        tg_set_err(st->err, st->errlen, "%s:%d: @include nested more than %d deep", from, from_line, MAX_INCLUDE_DEPTH);
        return false;
    }
    char **inc = realloc(st->included, (size_t)(st->nincluded + 1) * sizeof *inc);
    if (!inc || !(inc[st->nincluded] = dup_str(path))) {
        if (inc) st->included = inc;
        st->failed = true;
        tg_set_err(st->err, st->errlen, "%s: out of memory", path);
        return false;
    }
    st->included = inc;
    st->nincluded++;

    fc.f = fopen(path, "r");
    if (!fc.f) {
        st->failed = true;
        if (from)
            tg_set_err(st->err, st->errlen, "%s:%d: cannot open included file %s: %s", from, from_line, path, strerror(errno));
        else
            tg_set_err(st->err, st->errlen, "%s: cannot open config file: %s", path, strerror(errno));
        return false;
    }
    int r = ini_parse_stream(reader, &fc, handler, &fc);
    if (r != 0 && !st->failed) {
        /* inih refused a line our reader let through; name the line inih reports. */
        fc.lineno = r > 0 ? r : fc.lineno;
        fail_at(&fc, r == -2 ? "out of memory" : "cannot parse this line");
    }
    fclose(fc.f);
    free(fc.line);
    free(fc.cur_key);
    free(fc.cur_value);
    for (int i = 0; i < fc.seen.n; i++) entry_free(&fc.seen.e[i]);
    free(fc.seen.e);
    return !st->failed;
}

/* ------------------------------------------------------------------------------------------------
 * Public API */

tg_config *tg_config_new(void) {
    tg_config *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void tg_config_free(tg_config *cfg) {
    if (!cfg) return;
    for (int i = 0; i < cfg->n; i++) entry_free(&cfg->e[i]);
    free(cfg->e);
    pthread_mutex_destroy(&cfg->lock);
    free(cfg);
}

tg_config *tg_config_copy(const tg_config *cfg) {
    tg_config *c = tg_config_new();
    if (!c) return NULL;
    tg_config *src = (tg_config *)cfg;
    bool ok = true;
    pthread_mutex_lock(&src->lock);
    for (int i = 0; i < src->n && ok; i++)
        ok = list_set(&c->e, &c->n, &c->cap, src->e[i].key, src->e[i].value, src->e[i].source, src->e[i].line);
    pthread_mutex_unlock(&src->lock);
    if (!ok) {
        tg_config_free(c);
        return NULL;
    }
    return c;
}

bool tg_config_load_file(tg_config *cfg, const char *path, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    load_state st;
    memset(&st, 0, sizeof st);
    st.err = err;
    st.errlen = errlen;
    bool ok = load_one(&st, path, 0, NULL, 0);
    /* All or nothing: a file with an error leaves the config as it was. */
    if (ok) {
        for (int i = 0; i < st.pending.n && ok; i++) {
            cfg_entry *p = &st.pending.e[i];
            if (!list_set(&cfg->e, &cfg->n, &cfg->cap, p->key, p->value, p->source, p->line)) {
                tg_set_err(err, errlen, "%s: out of memory", path);
                ok = false;
            }
        }
    }
    for (int i = 0; i < st.pending.n; i++) entry_free(&st.pending.e[i]);
    free(st.pending.e);
    for (int i = 0; i < st.nincluded; i++) free(st.included[i]);
    free(st.included);
    return ok;
}

void tg_config_set(tg_config *cfg, const char *key, const char *value) {
    if (!cfg || !key) return;
    pthread_mutex_lock(&cfg->lock);
    /* As KataGo's overrides: an empty value removes the key, restoring the built-in default. */
    if (!value || value[0] == '\0') {
        int i = list_find(cfg->e, cfg->n, key);
        if (i >= 0) list_remove(cfg->e, &cfg->n, i);
    } else {
        list_set(&cfg->e, &cfg->n, &cfg->cap, key, value, command_line_source, 0);
    }
    pthread_mutex_unlock(&cfg->lock);
}

/* Setting the whole-ruleset key and a single rule dimension together would be ambiguous; as in
 * KataGo, whichever side an override names wins and the other side is dropped. */
static const char *const rules_whole[] = {"rules"};
static const char *const rules_parts[] = {"koRule", "scoringRule", "multiStoneSuicideLegal", "taxRule", "hasButton",
                                          "whiteBonusPerHandicapStone", "friendlyPassOk", "whiteHandicapBonus"};

static bool in_set(const char *key, const char *const *set, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, set[i]) == 0) return true;
    return false;
}

bool tg_config_load_file_or_default(tg_config *cfg, const char *path, const char *default_path, char *err,
                                    size_t errlen) {
    if (!path && access(default_path, R_OK) == 0)
        path = default_path;
    return !path || tg_config_load_file(cfg, path, err, errlen);
}

bool tg_config_apply_overrides(tg_config *cfg, const char *overrides, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!overrides) return true;
    char *copy = dup_str(overrides);
    if (!copy) {
        tg_set_err(err, errlen, "command line: out of memory");
        return false;
    }
    /* Parse everything first so that a bad piece changes nothing. */
    entry_list kv = {0};
    bool ok = true;
    char *save = NULL;
    for (char *piece = strtok_r(copy, ",", &save); piece && ok; piece = strtok_r(NULL, ",", &save)) {
        char *p = trim(piece);
        if (p[0] == '\0') continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            tg_set_err(err, errlen, "command line: cannot parse '%s' in -override-config: expected key=value", p);
            ok = false;
            break;
        }
        *eq = '\0';
        char *k = trim(p), *v = trim(eq + 1);
        if (k[0] == '\0') {
            tg_set_err(err, errlen, "command line: missing key before '=%s' in -override-config", v);
            ok = false;
            break;
        }
        if (!list_set(&kv.e, &kv.n, &kv.cap, k, v, command_line_source, 0)) {
            tg_set_err(err, errlen, "command line: out of memory");
            ok = false;
        }
    }
    if (ok) {
        bool names_whole = false, names_part = false;
        for (int i = 0; i < kv.n; i++) {
            names_whole |= in_set(kv.e[i].key, rules_whole, sizeof rules_whole / sizeof *rules_whole);
            names_part |= in_set(kv.e[i].key, rules_parts, sizeof rules_parts / sizeof *rules_parts);
        }
        pthread_mutex_lock(&cfg->lock);
        for (int i = cfg->n - 1; i >= 0; i--) {
            if ((names_whole && in_set(cfg->e[i].key, rules_parts, sizeof rules_parts / sizeof *rules_parts)) ||
                (names_part && in_set(cfg->e[i].key, rules_whole, sizeof rules_whole / sizeof *rules_whole)))
                list_remove(cfg->e, &cfg->n, i);
        }
        pthread_mutex_unlock(&cfg->lock);
        for (int i = 0; i < kv.n; i++) tg_config_set(cfg, kv.e[i].key, kv.e[i].value);
    }
    for (int i = 0; i < kv.n; i++) entry_free(&kv.e[i]);
    free(kv.e);
    free(copy);
    return ok;
}

bool tg_config_has(const tg_config *cfg, const char *key) {
    tg_config *c = (tg_config *)cfg;
    pthread_mutex_lock(&c->lock);
    bool has = list_find(c->e, c->n, key) >= 0;
    pthread_mutex_unlock(&c->lock);
    return has;
}

/* Finds key and marks it used; returns its index or -1. Caller holds the lock. */
static int find_used(tg_config *c, const char *key) {
    int i = list_find(c->e, c->n, key);
    if (i >= 0) c->e[i].used = true;
    return i;
}

const char *tg_config_get(const tg_config *cfg, const char *key) {
    tg_config *c = (tg_config *)cfg;
    pthread_mutex_lock(&c->lock);
    int i = find_used(c, key);
    const char *v = i >= 0 ? c->e[i].value : NULL;
    pthread_mutex_unlock(&c->lock);
    return v;
}

static void bad_value(const cfg_entry *e, char *err, size_t errlen, const char *expected_fmt, ...) {
    char expected[256];
    va_list ap;
    va_start(ap, expected_fmt);
    vsnprintf(expected, sizeof expected, expected_fmt, ap);
    va_end(ap);
    if (e->line > 0)
        tg_set_err(err, errlen, "%s:%d: key '%s' has value '%s'; expected %s", e->source, e->line, e->key, e->value,
                expected);
    else
        tg_set_err(err, errlen, "%s: key '%s' has value '%s'; expected %s", e->source, e->key, e->value, expected);
}

/* Copies value without surrounding whitespace into buf; false if it does not fit. */
static bool trimmed_copy(const char *value, char *buf, size_t buflen) {
    while (is_space(*value)) value++;
    size_t n = strlen(value);
    while (n > 0 && is_space(value[n - 1])) n--;
    if (n >= buflen) return false;
    memcpy(buf, value, n);
    buf[n] = '\0';
    return true;
}

bool tg_config_get_bool(const tg_config *cfg, const char *key, bool def, bool *out, char *err, size_t errlen) {
    tg_config *c = (tg_config *)cfg;
    pthread_mutex_lock(&c->lock);
    int i = find_used(c, key);
    bool ok = true;
    if (i < 0) {
        *out = def;
    } else {
        /* KataGo reads booleans as "true" or "false" in any letter case, nothing else. */
        char buf[8];
        bool fits = trimmed_copy(c->e[i].value, buf, sizeof buf);
        for (char *p = buf; fits && *p; p++) *p = (char)tolower((unsigned char)*p);
        if (fits && strcmp(buf, "true") == 0) *out = true;
        else if (fits && strcmp(buf, "false") == 0) *out = false;
        else {
            bad_value(&c->e[i], err, errlen, "true or false");
            ok = false;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return ok;
}

static bool parse_int64(const char *s, int64_t *out) {
    char buf[40];
    if (!trimmed_copy(s, buf, sizeof buf)) return false;
    const char *p = buf;
    bool neg = false;
    if (*p == '+' || *p == '-') { neg = *p == '-'; p++; }
    if (!*p) return false;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        unsigned d = (unsigned)(*p - '0');
        if (v > (limit - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = neg ? (v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return true;
}

bool tg_config_get_int(const tg_config *cfg, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out,
                       char *err, size_t errlen) {
    tg_config *c = (tg_config *)cfg;
    pthread_mutex_lock(&c->lock);
    int i = find_used(c, key);
    bool ok = true;
    if (i < 0) {
        *out = def;
    } else {
        int64_t v;
        if (!parse_int64(c->e[i].value, &v) || v < min || v > max) {
            bad_value(&c->e[i], err, errlen, "an integer from %lld to %lld", (long long)min, (long long)max);
            ok = false;
        } else {
            *out = v;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return ok;
}

/* Decimal numbers only, as a C++ stream reads them: no inf, nan or hex, nothing trailing. */
static bool parse_double_strict(const char *s, double *out) {
    char buf[80];
    if (!trimmed_copy(s, buf, sizeof buf)) return false;
    size_t i = 0, digits = 0;
    if (buf[i] == '+' || buf[i] == '-') i++;
    while (isdigit((unsigned char)buf[i])) { i++; digits++; }
    if (buf[i] == '.') {
        i++;
        while (isdigit((unsigned char)buf[i])) { i++; digits++; }
    }
    if (digits == 0) return false;
    if (buf[i] == 'e' || buf[i] == 'E') {
        i++;
        if (buf[i] == '+' || buf[i] == '-') i++;
        size_t ed = 0;
        while (isdigit((unsigned char)buf[i])) { i++; ed++; }
        if (ed == 0) return false;
    }
    if (buf[i] != '\0') return false;
    double v = strtod(buf, NULL);
    if (!isfinite(v)) return false;
    *out = v;
    return true;
}

bool tg_config_get_double(const tg_config *cfg, const char *key, double def, double min, double max, double *out,
                          char *err, size_t errlen) {
    tg_config *c = (tg_config *)cfg;
    pthread_mutex_lock(&c->lock);
    int i = find_used(c, key);
    bool ok = true;
    if (i < 0) {
        *out = def;
    } else {
        double v;
        if (!parse_double_strict(c->e[i].value, &v) || !(v >= min && v <= max)) {
            bad_value(&c->e[i], err, errlen, "a number from %g to %g", min, max);
            ok = false;
        } else {
            *out = v;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return ok;
}

bool tg_config_get_enum(const tg_config *cfg, const char *key, const char *def, const char *allowed,
                        const char **out, char *err, size_t errlen) {
    tg_config *c = (tg_config *)cfg;
    pthread_mutex_lock(&c->lock);
    int i = find_used(c, key);
    bool ok = true;
    if (i < 0) {
        *out = def;
    } else {
        char val[128];
        bool fits = trimmed_copy(c->e[i].value, val, sizeof val);
        size_t vlen = strlen(val);
        const char *match = NULL;
        size_t match_len = 0;
        for (const char *p = allowed; fits && p && *p;) {
            const char *bar = strchr(p, '|');
            size_t len = bar ? (size_t)(bar - p) : strlen(p);
            if (len == vlen) {
                size_t k = 0;
                while (k < len && tolower((unsigned char)p[k]) == tolower((unsigned char)val[k])) k++;
                if (k == len) { match = p; match_len = len; break; }
            }
            p = bar ? bar + 1 : NULL;
        }
        if (match) {
            /* Hand back the spelling from the allowed list, so callers can compare with strcmp. */
            char *canon = dup_n(match, match_len);
            if (canon) {
                free(c->e[i].canon);
                c->e[i].canon = canon;
                *out = canon;
            } else {
                *out = c->e[i].value;
            }
        } else {
            char choices[200];
            size_t o = 0;
            for (const char *p = allowed; p && *p && o + 3 < sizeof choices; p++) {
                if (*p == '|') { choices[o++] = ','; choices[o++] = ' '; }
                else choices[o++] = *p;
            }
            choices[o] = '\0';
            bad_value(&c->e[i], err, errlen, "one of %s", choices);
            ok = false;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return ok;
}

/* ------------------------------------------------------------------------------------------------
 * Known keys */

/* Every key KataGo 1.17's example configs mention (commented-out ones too) or its GTP, analysis and
 * setup code reads, plus tengen's own; sorted for bsearch. Per-device, per-model and per-thread keys
 * that carry numbers are matched by known_numbered_key instead. */
static const char *const known_keys[] = {
    "allowRectangleProb", "allowResignation", "allowedBoardSizes", "alwaysComputePassAliveUnderSuicideRules",
    "analysisIgnorePreRootHistory", "analysisPVLen", "analysisWideRootNoise", "antiMirror",
    "assumeMultipleStartingBlackMovesAreHandicap", "autoAvoidRepeatDir", "autoAvoidRepeatLambda",
    "autoAvoidRepeatMaxPoses", "autoAvoidRepeatMaxTurnNumber", "autoAvoidRepeatMinTurnNumber",
    "autoAvoidRepeatSaveChunkSize", "autoAvoidRepeatUtility", "avoidMYTDaggerHack",
    "avoidRepeatedPatternUtility", "avoidSgf2PatternAllowedNames", "avoidSgf2PatternDirs",
    "avoidSgf2PatternLambda", "avoidSgf2PatternMaxFiles", "avoidSgf2PatternMinTurnNumber",
    "avoidSgf2PatternUtility", "avoidSgfPatternAllowedNames", "avoidSgfPatternDirs", "avoidSgfPatternLambda",
    "avoidSgfPatternMaxFiles", "avoidSgfPatternMinTurnNumber", "avoidSgfPatternUtility", "bSizeRelProbs",
    "bSizes", "bSizesXY", "backend", "blasCpuThreads", "boardSizeX", "boardSizeY", "bonusFileScale", "bonusForBiggestWLCost",
    "bonusForWLPV1", "bonusForWLPV2", "bonusPerExcessUnexpandedPolicy", "bonusPerScoreError",
    "bonusPerSharpScoreDiscrepancy", "bonusPerUnexpandedBestWinLoss", "bonusPerWinLossError", "botName",
    "botName0", "botName1", "botName2", "cheapSearchProb", "cheapSearchTargetWeight", "cheapSearchVisits",
    "chosenMovePrune", "chosenMoveSubtract", "chosenMoveTemperature", "chosenMoveTemperatureEarly",
    "chosenMoveTemperatureHalflife", "chosenMoveTemperatureOnlyBelowProb", "cleanupBeforePass",
    "clearBotBeforeSearch", "compensateAfterPolicyInitProb", "compensateKomiVisits", "conservativePass",
    "costPerLogPolicy", "costPerMove", "costPerMovesExpanded", "costPerSquaredMovesExpanded",
    "costPerUCBScoreLoss", "costPerUCBWinLossLoss", "costPerUCBWinLossLossPow3", "costPerUCBWinLossLossPow7",
    "costWhenPassFavored", "cpuctExploration", "cpuctExploration0", "cpuctExploration1",
    "cpuctExplorationBase", "cpuctExplorationLog", "cpuctExplorationLogBookExplore", "cpuctUtilityStdevPrior",
    "cpuctUtilityStdevPriorWeight", "cpuctUtilityStdevScale", "cudaDisableGraphSDPA", "cudaDisableWarmup",
    "cudaUse1x1Matmul", "cudaUseFP16", "cudaUseNHWC", "dataBoardLen", "debugSkipNeuralNet",
    "defaultBoardSize", "defaultBoardXSize", "defaultBoardYSize", "delayMoveMax", "delayMoveScale",
    "disablePredownloadLoop", "drawEquivalentWinsForWhite", "drawRandRadius",
    "dynamicPlayoutDoublingAdvantageCapPerOppLead", "dynamicScoreCenterScale", "dynamicScoreCenterZeroWeight",
    "dynamicScoreUtilityFactor", "dynamicSelfKomiBonusMax", "dynamicSelfKomiBonusMin",
    "dynamicSelfKomiWinLossMax", "dynamicSelfKomiWinLossMin", "earlyBookCostReductionFactor",
    "earlyBookCostReductionLambda", "earlyForkGameExpectedMoveProp", "earlyForkGameMaxChoices",
    "earlyForkGameProb", "enableMorePassingHacks", "enablePassingHacks", "endgameTurnTimeDecay",
    "errorFactor", "estimateLeadProb", "estimateLeadVisits", "evalCacheMinVisits", "extraPairs",
    "extraPairsAreOneSidedBW", "fancyKomiVarying", "fillDameBeforePass", "firstFileRandMinProp",
    "flipKomiProbWhenNoCompensate", "forDeterministicTesting", "forkCompensateKomiProb", "forkGameMaxChoices",
    "forkGameMinChoices", "forkGameProb", "forkSidePositionProb", "fpuLossProp", "fpuParentWeight",
    "fpuParentWeightByVisitedPolicy", "fpuParentWeightByVisitedPolicyPow", "fpuReductionMax", "friendlyPass",
    "friendlyPassOk", "futileVisitsThreshold", "genmoveAntiMirror", "graphSearchCatchUpLeakProb",
    "graphSearchCatchUpProp", "graphSearchRepBound", "gtpForceMaxNNSize", "gtpIdentity",
    "handicapAsymmetricPlayoutProb", "handicapCompensateKomiProb", "handicapKomiInterpZeroProb",
    "handicapProb", "handicapTemperature", "hasButton", "hasButtons", "hintPosesDir", "hintPosesProb",
    "homeDataDir", "humanSLChosenMoveIgnorePass", "humanSLChosenMovePiklLambda", "humanSLChosenMoveProp",
    "humanSLCpuctExploration", "humanSLCpuctPermanent", "humanSLOppExploreProbWeightful",
    "humanSLOppExploreProbWeightless", "humanSLPlaExploreProbWeightful", "humanSLPlaExploreProbWeightless",
    "humanSLProfile", "humanSLRootExploreProbWeightful", "humanSLRootExploreProbWeightless",
    "ignoreAllHistory", "ignoreGTPAndForceKomi", "ignorePreRootHistory", "includeBots", "initGamesWithPolicy",
    "inputsUseNHWC", "inputsVersion", "koRule", "koRules", "komi", "komiAllowIntegerProb", "komiAuto",
    "komiBigStdev", "komiBigStdevProb", "komiBiggerStdev", "komiBiggerStdevProb", "komiMean", "komiStdev",
    "lagBuffer", "lcbStdevs", "logAllGTPCommunication", "logAllRequests", "logAllResponses",
    "logConfigContents", "logDir", "logDirDated", "logErrorsAndWarnings", "logFile", "logGamesEvery",
    "logMoves", "logSearchInfo", "logSearchInfoForChosenMove", "logTimeStamp", "logToStderr", "logToStdout",
    "maxApproxRowsPerTrainFile", "maxAsymmetricRatio", "maxBoardSizeForNNBuffer", "maxBoardXSizeForNNBuffer",
    "maxBoardYSizeForNNBuffer", "maxDataQueueSize", "maxDepthToRecord", "maxMovesPerGame", "maxPlayouts",
    "maxPlayoutsPondering", "maxRatingMatches", "maxRowsPerTrainFile", "maxSimultaneousGames", "maxTime",
    "maxTimePondering", "maxVisits", "maxVisits0", "maxVisits1", "maxVisits2", "maxVisitsForLeaves",
    "maxVisitsForReExpansion", "maxVisitsPondering", "metalUseFP16", "midgameTimeFactor",
    "midgameTurnPeakTime", "minAsymmetricCompensateKomiProb", "minPlayoutsPerThread", "minTreeVisitsToRecord",
    "minVisitPropForLCB", "multiStoneSuicideLegal", "multiStoneSuicideLegals", "nnCacheSizePowerOfTwo",
    "nnForcedSymmetry", "nnMaxBatchSize", "nnModelFile", "nnModelFile0", "nnModelFile1",
    "nnMutexPoolSizePowerOfTwo", "nnPolicyTemperature", "nnRandSeed", "nnRandomize", "noResultStdev",
    "noResultUtilityForWhite", "nodeTableShardsPowerOfTwo", "noisePruneUtilityScale", "noisePruningCap",
    "normalAsymmetricPlayoutProb", "numAnalysisThreads", "numBots", "numEigenThreadsPerModel",
    "numExtraBlackFixed", "numGameThreads", "numGamesPerGating", "numGamesTotal",
    "numNNServerThreadsPerModel", "numSearchThreads", "numSearchThreadsPerAnalysisThread",
    "numToExpandPerIteration", "numVirtualLossesPerThread", "obviousMovesPolicyEntropyTolerance",
    "obviousMovesPolicySurpriseTolerance", "obviousMovesTimeFactor", "ogsChatToStderr",
    "onlyPlayRatingMatches", "openclReTunePerBoardSize", "openclTunerFile", "openclTuningDir", "openclUseFP16",
    "overallocateTimeFactor", "password", "playoutDoublingAdvantage", "playoutDoublingAdvantagePla",
    "pluginDir", "policyBoostSoftUtilityScale", "policyInitAreaProp", "policyInitAreaTemperature",
    "policyInitGammaShape", "policyOptimism", "policySurpriseDataWeight", "ponderingEnabled",
    "preventCleanupPhase", "proxyHost", "proxyPort", "randomizeParamsStdev", "reanalyzePolicySurpriseWeight",
    "reanalyzeProp", "reanalyzeSurpriseExponent", "reanalyzeUseOutcomeTargets",
    "reanalyzeValueSurpriseWeight", "reduceVisits", "reduceVisitsThreshold", "reduceVisitsThresholdLookback",
    "reducedVisitsMin", "reducedVisitsWeight", "repBound", "reportAnalysisWinratesAs", "requireMaxBoardSize",
    "resignConsecTurns", "resignMinMovesPerBoardArea", "resignMinScoreDifference", "resignThreshold",
    "rootDesiredPerChildVisitsCoeff", "rootDirichletNoiseTotalConcentration", "rootDirichletNoiseWeight",
    "rootEndingBonusPoints", "rootFpuLossProp", "rootFpuReductionMax", "rootNoiseEnabled",
    "rootNumSymmetriesToSample", "rootPolicyOptimism", "rootPolicyTemperature", "rootPolicyTemperatureEarly",
    "rootPruneUselessMoves", "rootSymmetryPruning", "rules", "rulesLabel", "rulesLink", "scaleDataWeight",
    "scoreLossCap", "scoringRule", "scoringRules", "searchFactorAfterOnePass", "searchFactorAfterTwoPass",
    "searchFactorWhenWinning", "searchFactorWhenWinningThreshold", "searchRandSeed", "secondaryBots",
    "sekiForkHackProb", "serverUrl", "sgfCompensateKomiProb", "sgfKomiInterpZeroProb", "sharedDir",
    "sharpScoreOutlierCap", "sidePositionProb", "startPosesFromSgfDir", "startPosesLoadProb",
    "startPosesPolicyInitAreaProp", "startPosesProb", "startPosesSgfExcludes", "startPosesTurnWeightLambda",
    "startupPrintMessageToStderr", "staticScoreUtilityFactor", "subtreeValueBiasFactor",
    "subtreeValueBiasFreeProp", "subtreeValueBiasWeightExponent", "switchNetsMidGame", "taxRule", "taxRules",
    "treeReuseCarryOverTimeFactor", "trtDisableOnnx", "trtDumpDebugPlanToDir", "trtTransformerNHWC",
    "uncertaintyCoeff", "uncertaintyExponent", "uncertaintyMaxWeight", "useEvalCache", "useFP16", "useFP16Storage",
    "useGraphSearch", "useLcbForSelection", "useNoisePruning", "useNonBuggyLcb", "useReanalyze",
    "useSearchValueSurprise", "useUncertainty", "username", "utilityPerPolicyForSorting", "utilityPerScore",
    "valueSurpriseDataWeight", "valueWeightExponent", "warnTaskUnusedKeys", "warnUnusedFields",
    "watchOngoingGameInFile", "watchOngoingGameInFileName", "whiteBonusPerHandicapStone",
    "whiteHandicapBonus", "wideRootNoise", "wideRootNoiseBookExplore", "winLossUtilityFactor",
};

static int cmp_key(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Consumes a literal prefix; returns the rest or NULL. */
static const char *eat(const char *s, const char *prefix) {
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* Consumes one or more digits; returns the rest or NULL. */
static const char *eat_digits(const char *s) {
    if (!isdigit((unsigned char)*s)) return NULL;
    while (isdigit((unsigned char)*s)) s++;
    return s;
}

static const char *const backends[] = {"cuda", "trt", "metal", "opencl", "eigen", "dummybackend"};

/* Strips a backend prefix followed by capitalised stem, or matches the bare lower-case stem.
 * stem_cap is e.g. "DeviceToUse", stem_low "deviceToUse". Returns the rest or NULL. */
static const char *eat_backend_stem(const char *key, const char *stem_cap, const char *stem_low) {
    const char *r = eat(key, stem_low);
    if (r) return r;
    for (size_t i = 0; i < sizeof backends / sizeof *backends; i++) {
        const char *p = eat(key, backends[i]);
        if (p && (r = eat(p, stem_cap))) return r;
    }
    return NULL;
}

static bool known_numbered_key(const char *key) {
    const char *r;
    /* GPU selection: [backend]DeviceToUse / GpuToUse, optionally Model<N>, optionally Thread<N>. */
    if ((r = eat_backend_stem(key, "DeviceToUse", "deviceToUse")) || (r = eat_backend_stem(key, "GpuToUse", "gpuToUse"))) {
        const char *m = eat(r, "Model");
        if (m) {
            if (!(r = eat_digits(m))) return false;
        }
        const char *t = eat(r, "Thread");
        if (t) {
            if (!(r = eat_digits(t))) return false;
        }
        return *r == '\0';
    }
    /* FP16 per model: [backend]UseFP16[-N]. */
    if ((r = eat_backend_stem(key, "UseFP16", "useFP16"))) {
        if (*r == '\0') return true;
        return r[0] == '-' && (r = eat_digits(r + 1)) && *r == '\0';
    }
    if ((r = eat_backend_stem(key, "InputsUseNHWC", "inputsUseNHWC"))) {
        return *r == '\0' || ((r = eat_digits(r)) && *r == '\0');
    }
    /* Per-model buffers and seeds: name<N>. */
    static const char *const per_model[] = {"maxBoardXSizeForNNBuffer", "maxBoardYSizeForNNBuffer",
                                            "maxBoardSizeForNNBuffer", "requireMaxBoardSize", "nnRandSeed"};
    for (size_t i = 0; i < sizeof per_model / sizeof *per_model; i++)
        if ((r = eat(key, per_model[i])) && (r = eat_digits(r)) && *r == '\0') return true;
    /* Pattern-avoidance sets: avoidSgf[N]Pattern<Field>[botIndex]. */
    if ((r = eat(key, "avoidSgf"))) {
        const char *d = eat_digits(r);
        if (d) r = d;
        if (!(r = eat(r, "Pattern"))) return false;
        static const char *const fields[] = {"Utility", "Lambda", "MinTurnNumber", "MaxFiles", "AllowedNames", "Dirs"};
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
            const char *f = eat(r, fields[i]);
            if (f && (*f == '\0' || ((f = eat_digits(f)) && *f == '\0'))) return true;
        }
        return false;
    }
    /* KataGo treats every key starting with this old name as used. */
    if (eat(key, "mutexPoolSize")) return true;
    return false;
}

bool tg_config_key_is_known(const char *key) {
    if (!key) return false;
    if (bsearch(&key, known_keys, sizeof known_keys / sizeof *known_keys, sizeof *known_keys, cmp_key)) return true;
    return known_numbered_key(key);
}

void tg_config_warn_unknown(const tg_config *cfg, void (*warn)(const char *msg, void *ctx), void *ctx) {
    tg_config *c = (tg_config *)cfg;
    pthread_mutex_lock(&c->lock);
    int n = c->n;
    char **msgs = calloc((size_t)(n ? n : 1), sizeof *msgs);
    int nm = 0;
    for (int i = 0; msgs && i < n; i++) {
        cfg_entry *e = &c->e[i];
        if (e->warned || tg_config_key_is_known(e->key)) continue;
        e->warned = true;
        char buf[512];
        if (e->line > 0)
            snprintf(buf, sizeof buf, "%s:%d: unknown key '%s' (neither KataGo nor tengen uses it; a typo?)", e->source,
                     e->line, e->key);
        else
            snprintf(buf, sizeof buf, "%s: unknown key '%s' (neither KataGo nor tengen uses it; a typo?)", e->source,
                     e->key);
        msgs[nm++] = dup_str(buf);
    }
    pthread_mutex_unlock(&c->lock);
    /* The callback runs without the lock, so it may itself read the config. */
    for (int i = 0; i < nm; i++) {
        if (msgs[i] && warn) warn(msgs[i], ctx);
        free(msgs[i]);
    }
    free(msgs);
}
