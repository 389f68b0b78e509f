/* SGF reading and writing for loadsgf/printsgf.
 *
 * Reading happens in two passes. The first turns the text into a flat, index-linked tree of
 * sequences, nodes, properties and decoded values, without knowing the board size (SZ may come after
 * AB in the root). The second picks the main line the way KataGo's loadsgf does and interprets it:
 * board size, komi, rules text, setup stones and moves, each checked against the board.
 * Everything is iterative, so hostile nesting depth cannot exhaust the C stack. */
#include "sgf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../util/errmsg.h"

/* ------------------------------------------------------------------------------------------------
 * Small helpers */

/* Grows *arr (element size elem) so that index need-1 fits. Returns false when memory runs out. */
static bool grow(void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap) return true;
    int nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > INT32_MAX / 2) return false;
        nc *= 2;
    }
    void *p = realloc(*arr, (size_t)nc * elem);
    if (!p) return false;
    *arr = p;
    *cap = nc;
    return true;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static bool is_sgf_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* SGF coordinate letter: 'a'..'z' are 0..25, 'A'..'Z' are 26..51 (FF[4] for boards beyond 26). */
static int coord_of(char c) {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 26;
    return -1;
}

/* Copies a value for an error message, replacing control bytes and shortening long ones, so that
 * an error text stays one readable line whatever the file holds. */
static const char *quote_for_msg(const char *s, size_t n, char *buf, size_t buflen) {
    size_t o = 0;
    /* Room for "..." and the terminator when the value is cut short. */
    size_t lim = buflen > 4 ? buflen - 4 : 0;
    for (size_t i = 0; i < n && o < lim; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c < 32 || c == 127) ? '?' : (char)c;
    }
    if (o < n && buflen > 4) { buf[o++] = '.'; buf[o++] = '.'; buf[o++] = '.'; }
    if (buflen) buf[o < buflen ? o : buflen - 1] = '\0';
    return buf;
}

/* Integer the way KataGo's tryStringToInt reads it: surrounding whitespace allowed, optional sign,
 * decimal digits, nothing else. */
static bool parse_int_strict(const char *s, size_t n, long *out) {
    size_t a = 0, b = n;
    while (a < b && is_sgf_space(s[a])) a++;
    while (b > a && is_sgf_space(s[b - 1])) b--;
    if (a == b) return false;
    size_t i = a;
    bool neg = false;
    if (s[i] == '+' || s[i] == '-') { neg = s[i] == '-'; i++; }
    if (i == b) return false;
    long v = 0;
    for (; i < b; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        if (v > (INT32_MAX - (s[i] - '0')) / 10) return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return true;
}

/* Decimal float as a C++ stream would accept it (no inf, nan or hex): [+-]digits[.digits][e[+-]digits]. */
static bool parse_float_strict(const char *s, size_t n, double *out) {
    size_t a = 0, b = n;
    while (a < b && is_sgf_space(s[a])) a++;
    while (b > a && is_sgf_space(s[b - 1])) b--;
    if (a == b || b - a > 64) return false;
    char buf[80];
    memcpy(buf, s + a, b - a);
    buf[b - a] = '\0';
    size_t i = 0, len = b - a;
    if (buf[i] == '+' || buf[i] == '-') i++;
    size_t digits = 0;
    while (i < len && isdigit((unsigned char)buf[i])) { i++; digits++; }
    if (i < len && buf[i] == '.') {
        i++;
        while (i < len && isdigit((unsigned char)buf[i])) { i++; digits++; }
    }
    if (digits == 0) return false;
    if (i < len && (buf[i] == 'e' || buf[i] == 'E')) {
        i++;
        if (i < len && (buf[i] == '+' || buf[i] == '-')) i++;
        size_t ed = 0;
        while (i < len && isdigit((unsigned char)buf[i])) { i++; ed++; }
        if (ed == 0) return false;
    }
    if (i != len) return false;
    errno = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v)) return false;
    *out = v;
    return true;
}

/* ------------------------------------------------------------------------------------------------
 * Pass 1: raw tree */

typedef struct raw_val { size_t at; size_t dec_off, dec_len; } raw_val;      /* at = offset of '[' */
typedef struct raw_prop { size_t key_off, key_len; int first_val, num_vals; } raw_prop;
typedef struct raw_node { size_t at; int first_prop, num_props; } raw_node;
typedef struct raw_seq {
    int first_node, num_nodes;
    int parent, first_child, last_child, next_sibling;
    long long best_depth;   /* nodes on the longest path through this sequence and below */
} raw_seq;

typedef struct raw_tree {
    const char *text; size_t len;
    raw_seq *seqs; int nseq, cseq;
    raw_node *nodes; int nnode, cnode;
    raw_prop *props; int nprop, cprop;
    raw_val *vals; int nval, cval;
    char *dec; size_t ndec, cdec;          /* decoded value bytes, each value NUL-terminated */
} raw_tree;

static void raw_free(raw_tree *t) {
    free(t->seqs); free(t->nodes); free(t->props); free(t->vals); free(t->dec);
    memset(t, 0, sizeof *t);
}

static bool dec_push(raw_tree *t, char c) {
    if (t->ndec + 1 > t->cdec) {
        size_t nc = t->cdec ? t->cdec * 2 : 256;
        char *p = realloc(t->dec, nc);
        if (!p) return false;
        t->dec = p;
        t->cdec = nc;
    }
    t->dec[t->ndec++] = c;
    return true;
}

static const char *val_str(const raw_tree *t, int v) { return t->dec + t->vals[v].dec_off; }
static size_t val_len(const raw_tree *t, int v) { return t->vals[v].dec_len; }

static bool prop_is(const raw_tree *t, const raw_prop *p, const char *key) {
    size_t n = strlen(key);
    return p->key_len == n && memcmp(t->text + p->key_off, key, n) == 0;
}

/* Skips whitespace (and a UTF-8 byte-order mark at the very start, which editors on Windows add). */
static size_t skip_ws(const raw_tree *t, size_t pos) {
    if (pos == 0 && t->len >= 3 && (unsigned char)t->text[0] == 0xEF && (unsigned char)t->text[1] == 0xBB &&
        (unsigned char)t->text[2] == 0xBF)
        pos = 3;
    while (pos < t->len && is_sgf_space(t->text[pos])) pos++;
    return pos;
}

static int new_seq(raw_tree *t, int parent) {
    if (!grow((void **)&t->seqs, &t->cseq, t->nseq + 1, sizeof *t->seqs)) return -1;
    raw_seq *s = &t->seqs[t->nseq];
    s->first_node = t->nnode; s->num_nodes = 0;
    s->parent = parent; s->first_child = s->last_child = s->next_sibling = -1;
    s->best_depth = 0;
    if (parent >= 0) {
        raw_seq *p = &t->seqs[parent];
        if (p->last_child >= 0) t->seqs[p->last_child].next_sibling = t->nseq;
        else p->first_child = t->nseq;
        p->last_child = t->nseq;
    }
    return t->nseq++;
}

/* Decodes one value starting just after '['. Escapes take the next byte literally; an escaped line
 * break disappears (SGF's soft line break); other line breaks become '\n'; remaining whitespace
 * controls become spaces. Returns false on unterminated input (*pos at the end) or out of memory. */
static bool read_value(raw_tree *t, size_t *pos, bool *oom) {
    size_t p = *pos;
    while (p < t->len) {
        char c = t->text[p];
        if (c == ']') {
            if (!dec_push(t, '\0')) { *oom = true; return false; }
            *pos = p + 1;
            return true;
        }
        if (c == '\\') {
            p++;
            if (p >= t->len) break;
            c = t->text[p];
            if (c == '\n' || c == '\r') {
                char first = c;
                p++;
                if (p < t->len && (t->text[p] == '\n' || t->text[p] == '\r') && t->text[p] != first) p++;
                continue;
            }
            if (!dec_push(t, c)) { *oom = true; return false; }
            p++;
            continue;
        }
        if (c == '\n' || c == '\r') {
            char first = c;
            p++;
            if (p < t->len && (t->text[p] == '\n' || t->text[p] == '\r') && t->text[p] != first) p++;
            if (!dec_push(t, '\n')) { *oom = true; return false; }
            continue;
        }
        if (c == '\t' || c == '\v' || c == '\f') c = ' ';
        if (!dec_push(t, c)) { *oom = true; return false; }
        p++;
    }
    *pos = t->len;
    return false;
}

/* A move value must be empty (pass) or two coordinate letters; KataGo rejects anything else in any
 * node of the file, not only on the main line. */
static bool move_value_syntax_ok(const char *s, size_t n) {
    if (n == 0) return true;
    return n == 2 && coord_of(s[0]) >= 0 && coord_of(s[1]) >= 0;
}

static bool parse_node(raw_tree *t, size_t *pos, char *err, size_t errlen) {
    size_t p = *pos;
    while (true) {
        p = skip_ws(t, p);
        if (p >= t->len || !is_letter(t->text[p])) break;
        size_t key_off = p;
        while (p < t->len && is_letter(t->text[p])) p++;
        size_t key_len = p - key_off;
        char keybuf[40];
        quote_for_msg(t->text + key_off, key_len, keybuf, sizeof keybuf);
        if (!grow((void **)&t->props, &t->cprop, t->nprop + 1, sizeof *t->props)) goto oom;
        raw_prop *pr = &t->props[t->nprop];
        pr->key_off = key_off; pr->key_len = key_len;
        pr->first_val = t->nval; pr->num_vals = 0;
        int prop_idx = t->nprop++;
        t->nodes[t->nnode - 1].num_props++;
        while (true) {
            p = skip_ws(t, p);
            if (p >= t->len || t->text[p] != '[') break;
            size_t at = p;
            p++;
            if (!grow((void **)&t->vals, &t->cval, t->nval + 1, sizeof *t->vals)) goto oom;
            raw_val *v = &t->vals[t->nval];
            v->at = at;
            v->dec_off = t->ndec;
            bool oom = false;
            if (!read_value(t, &p, &oom)) {
                if (oom) goto oom;
                tg_set_err(err, errlen, "byte %zu: value of property '%s' is not closed with ']'", at, keybuf);
                return false;
            }
            v->dec_len = t->ndec - 1 - v->dec_off;
            t->nval++;
            t->props[prop_idx].num_vals++;
            if ((prop_is(t, &t->props[prop_idx], "B") || prop_is(t, &t->props[prop_idx], "W")) &&
                !move_value_syntax_ok(val_str(t, t->nval - 1), val_len(t, t->nval - 1))) {
                char vb[40];
                tg_set_err(err, errlen, "byte %zu: bad move '%s' for %s (expected two letters, or [] for a pass)", at,
                        quote_for_msg(val_str(t, t->nval - 1), val_len(t, t->nval - 1), vb, sizeof vb), keybuf);
                return false;
            }
        }
        if (t->props[prop_idx].num_vals == 0) {
            tg_set_err(err, errlen, "byte %zu: property '%s' has no value", p < t->len ? p : t->len, keybuf);
            return false;
        }
    }
    *pos = p;
    return true;
oom:
    tg_set_err(err, errlen, "byte %zu: out of memory", p);
    return false;
}

/* Builds the raw tree of the first game tree in the text. */
static bool parse_raw(raw_tree *t, char *err, size_t errlen) {
    size_t pos = skip_ws(t, 0);
    if (pos >= t->len) {
        tg_set_err(err, errlen, "byte %zu: no game tree (the input is empty)", pos);
        return false;
    }
    if (t->text[pos] != '(') {
        tg_set_err(err, errlen, "byte %zu: expected '(' to begin the game tree", pos);
        return false;
    }
    pos++;
    int cur = new_seq(t, -1);
    if (cur < 0) goto oom;
    while (true) {
        pos = skip_ws(t, pos);
        if (pos >= t->len) {
            tg_set_err(err, errlen, "byte %zu: unexpected end of input: a game tree is not closed with ')'", pos);
            return false;
        }
        char c = t->text[pos];
        raw_seq *s = &t->seqs[cur];
        if (c == ';') {
            if (s->first_child >= 0) {
                tg_set_err(err, errlen, "byte %zu: node after a variation (nodes must come before the variations)", pos);
                return false;
            }
            if (!grow((void **)&t->nodes, &t->cnode, t->nnode + 1, sizeof *t->nodes)) goto oom;
            raw_node *n = &t->nodes[t->nnode++];
            n->at = pos; n->first_prop = t->nprop; n->num_props = 0;
            t->seqs[cur].num_nodes++;
            pos++;
            if (!parse_node(t, &pos, err, errlen)) return false;
        } else if (c == '(') {
            if (s->num_nodes == 0) {
                tg_set_err(err, errlen, "byte %zu: expected ';' to begin a node", pos);
                return false;
            }
            cur = new_seq(t, cur);
            if (cur < 0) goto oom;
            pos++;
        } else if (c == ')') {
            if (s->num_nodes == 0) {
                tg_set_err(err, errlen, "byte %zu: empty game tree '()'", pos);
                return false;
            }
            pos++;
            cur = s->parent;
            if (cur < 0) return true;
        } else if (s->num_nodes == 0) {
            tg_set_err(err, errlen, "byte %zu: expected ';' to begin a node", pos);
            return false;
        } else {
            char b[8];
            tg_set_err(err, errlen, "byte %zu: unexpected '%s' (expected a property, ';', '(' or ')')", pos,
                    quote_for_msg(&t->text[pos], 1, b, sizeof b));
            return false;
        }
    }
oom:
    tg_set_err(err, errlen, "byte %zu: out of memory", pos);
    return false;
}

/* ------------------------------------------------------------------------------------------------
 * Pass 2: the main line */

/* Values of every occurrence of key in a node, in file order (repeated properties merge, as in
 * KataGo). Returns how many; fills idx up to max. */
static int node_values(const raw_tree *t, int node, const char *key, int *idx, int max) {
    const raw_node *n = &t->nodes[node];
    int count = 0;
    for (int i = 0; i < n->num_props; i++) {
        const raw_prop *p = &t->props[n->first_prop + i];
        if (!prop_is(t, p, key)) continue;
        for (int j = 0; j < p->num_vals; j++) {
            if (count < max) idx[count] = p->first_val + j;
            count++;
        }
    }
    return count;
}

static bool node_has(const raw_tree *t, int node, const char *key) {
    int dummy;
    return node_values(t, node, key, &dummy, 1) > 0;
}

/* The single value of key, or NULL when absent or given more than once. */
static const char *node_single(const raw_tree *t, int node, const char *key, int *vidx) {
    int v[2];
    if (node_values(t, node, key, v, 2) != 1) return NULL;
    if (vidx) *vidx = v[0];
    return val_str(t, v[0]);
}

static bool node_value_equals(const raw_tree *t, int node, const char *key, const char *want) {
    const raw_node *n = &t->nodes[node];
    for (int i = 0; i < n->num_props; i++) {
        const raw_prop *p = &t->props[n->first_prop + i];
        if (!prop_is(t, p, key)) continue;
        for (int j = 0; j < p->num_vals; j++)
            if (strcmp(val_str(t, p->first_val + j), want) == 0) return true;
    }
    return false;
}

/* KataGo's main line: at each branch the variation holding the most nodes on its longest path,
 * the first such on ties. Children are always created after their parent, so walking the sequences
 * backwards sees every child before its parent. */
static void compute_depths(raw_tree *t) {
    for (int i = t->nseq - 1; i >= 0; i--) {
        raw_seq *s = &t->seqs[i];
        long long best = 0;
        for (int c = s->first_child; c >= 0; c = t->seqs[c].next_sibling)
            if (t->seqs[c].best_depth > best) best = t->seqs[c].best_depth;
        s->best_depth = s->num_nodes + best;
    }
}

/* Komi from KM with KataGo's tolerance: must be an integer or half-integer, except two known quirks
 * (quarter komi in GoGoD Chinese records, scaled komi from Fox and SGFC). False means "unusable",
 * which loadsgf treats as absent. */
static bool root_komi(const raw_tree *t, int root, float *out) {
    int kv;
    const char *km = node_single(t, root, "KM", &kv);
    if (!km) return false;
    double d;
    if (!parse_float_strict(km, val_len(t, kv), &d)) return false;
    if (d < -1e30 || d > 1e30) return false;
    float k = (float)d;
    if (!tg_komi_is_int_or_half_int(k)) {
        const char *us = node_single(t, root, "US", NULL);
        const char *ru = node_single(t, root, "RU", NULL);
        bool chinese = false;
        if (ru) {
            char low[32];
            size_t n = strlen(ru);
            if (n < sizeof low) {
                for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)ru[i]);
                chinese = strcmp(low, "chinese") == 0 || strcmp(low, "chinese, pair go") == 0;
            }
        }
        if (tg_komi_is_int_or_half_int(k * 2.0f) && us && strncmp(us, "GoGoD", 5) == 0 && chinese)
            k *= 2.0f;
        else
            return false;
    }
    if (node_value_equals(t, root, "AP", "foxwq") || node_value_equals(t, root, "AP", "SGFC:2.0")) {
        if (k == 550 || k == 275) k = 5.5f;
        else if (k == 325 || k == 650) k = 6.5f;
        else if (k == 375 || k == 750) k = 7.5f;
        else if (k == 350 || k == 700) k = 7.0f;
        else if (k == 0 || k == 6.5f || k == 7.5f || k == 7.0f) {}
        else return false;
    }
    /* KataGo would take any magnitude; beyond what GTP's komi accepts nothing sensible follows. */
    if (k < TG_MIN_USER_KOMI || k > TG_MAX_USER_KOMI) return false;
    *out = k;
    return true;
}

static bool parse_iso_date_before_2018(const char *s, bool *before) {
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i])) return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return false;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
    *before = y < 2018;
    return true;
}

typedef struct setup_buf { tg_move *a; int n, cap; } setup_buf;

static bool setup_push(setup_buf *b, tg_loc loc, tg_color c) {
    if (!grow((void **)&b->a, &b->cap, b->n + 1, sizeof *b->a)) return false;
    b->a[b->n].loc = loc;
    b->a[b->n].pla = c;
    b->n++;
    return true;
}

/* Fox's servers omit the handicap stones from some records: a root without setup, HA 2..9 on 19x19
 * and White moving first. KataGo puts the standard stones back; so do we, to load the same games. */
static bool fox_handicap_fix(const raw_tree *t, int root_seq, setup_buf *sb) {
    const raw_seq *rs = &t->seqs[root_seq];
    if (rs->num_nodes < 2) return true;
    int root = rs->first_node, second = root + 1;
    bool fox = node_value_equals(t, root, "AP", "foxwq");
    if (!fox && node_value_equals(t, root, "AP", "GNU Go:3.8")) {
        const char *gn = node_single(t, root, "GN", NULL);
        fox = gn && gn[0] == '\0';
    }
    if (!fox) return true;
    const char *sz = node_single(t, root, "SZ", NULL);
    if (!sz || strcmp(sz, "19") != 0) return true;
    if (node_has(t, root, "AB") || node_has(t, root, "AW") || node_has(t, root, "AE")) return true;
    if (node_has(t, root, "B") || node_has(t, root, "W")) return true;
    /* The first move property of the second node must be White's. */
    const raw_node *n2 = &t->nodes[second];
    bool white_first = false;
    for (int i = 0; i < n2->num_props; i++) {
        const raw_prop *p = &t->props[n2->first_prop + i];
        if (prop_is(t, p, "B")) break;
        if (prop_is(t, p, "W")) { white_first = true; break; }
    }
    if (!white_first) return true;
    int hv;
    const char *ha = node_single(t, root, "HA", &hv);
    long h;
    if (!ha || !parse_int_strict(ha, val_len(t, hv), &h) || h < 2 || h > 9) return true;

    bool transpose = false;
    if (h == 6 || h == 7) {
        const char *dt = node_single(t, root, "DT", NULL);
        bool before;
        if (dt && parse_iso_date_before_2018(dt, &before)) transpose = before;
    }
    /* Star points: corners at 3 and 15, sides at 9 (0-based). */
    bool stone[19][19];
    memset(stone, 0, sizeof stone);
    const int lo = 3, hi = 15, mid = 9;
    stone[hi][lo] = stone[lo][hi] = true;                /* [y][x]: 2 stones */
    if (h >= 3) stone[lo][lo] = true;
    if (h >= 4) stone[hi][hi] = true;
    if (h == 5 || h == 7 || h == 9) stone[mid][mid] = true;
    if (h >= 6) { stone[mid][lo] = true; stone[mid][hi] = true; }
    if (h >= 8) { stone[lo][mid] = true; stone[hi][mid] = true; }
    if (transpose) {
        bool tmp[19][19];
        for (int y = 0; y < 19; y++)
            for (int x = 0; x < 19; x++) tmp[y][x] = stone[x][y];
        memcpy(stone, tmp, sizeof stone);
    }
    for (int y = 0; y < 19; y++)
        for (int x = 0; x < 19; x++)
            if (stone[y][x] && !setup_push(sb, tg_loc_of(x, y, 19), TG_BLACK)) return false;
    return true;
}

/* Board size from SZ: "N" or "X:Y", each from 2 to TG_MAX_LEN. */
static bool root_size(const raw_tree *t, int root, int *xs, int *ys, char *err, size_t errlen) {
    int v[2];
    int n = node_values(t, root, "SZ", v, 2);
    *xs = *ys = 19;
    if (n == 0) return true;
    if (n > 1) {
        tg_set_err(err, errlen, "byte %zu: SZ is given more than once", t->vals[v[1]].at);
        return false;
    }
    const char *s = val_str(t, v[0]);
    size_t len = val_len(t, v[0]);
    char q[40];
    quote_for_msg(s, len, q, sizeof q);
    const char *colon = memchr(s, ':', len);
    long x, y;
    bool ok;
    if (colon) {
        size_t a = (size_t)(colon - s);
        ok = memchr(colon + 1, ':', len - a - 1) == NULL && parse_int_strict(s, a, &x) &&
             parse_int_strict(colon + 1, len - a - 1, &y);
    } else {
        ok = parse_int_strict(s, len, &x);
        y = x;
    }
    if (!ok) {
        tg_set_err(err, errlen, "byte %zu: bad board size SZ[%s]", t->vals[v[0]].at, q);
        return false;
    }
    if (x < 2 || y < 2 || x > TG_MAX_LEN || y > TG_MAX_LEN) {
        tg_set_err(err, errlen, "byte %zu: board size SZ[%s] is not supported (each side must be 2 to %d)",
                t->vals[v[0]].at, q, TG_MAX_LEN);
        return false;
    }
    *xs = (int)x;
    *ys = (int)y;
    return true;
}

/* Setup points of one AB/AW/AE property list: "aa" or a rectangle "aa:cc" (upper left first). */
static bool add_setup_values(const raw_tree *t, int node, const char *key, tg_color color, int xs, int ys,
                             setup_buf *sb, char *err, size_t errlen) {
    const raw_node *n = &t->nodes[node];
    for (int i = 0; i < n->num_props; i++) {
        const raw_prop *p = &t->props[n->first_prop + i];
        if (!prop_is(t, p, key)) continue;
        for (int j = 0; j < p->num_vals; j++) {
            int v = p->first_val + j;
            const char *s = val_str(t, v);
            size_t len = val_len(t, v);
            int x1, y1, x2, y2;
            bool ok;
            if (len == 5 && s[2] == ':') {
                x1 = coord_of(s[0]); y1 = coord_of(s[1]); x2 = coord_of(s[3]); y2 = coord_of(s[4]);
                ok = true;
            } else if (len == 2) {
                x1 = x2 = coord_of(s[0]); y1 = y2 = coord_of(s[1]);
                ok = true;
            } else {
                x1 = y1 = x2 = y2 = -1;
                ok = false;
            }
            char q[40];
            if (!ok || x1 < 0 || y1 < 0 || x2 < 0 || y2 < 0) {
                tg_set_err(err, errlen, "byte %zu: bad point '%s' for %s (expected two letters or a rectangle like aa:cc)",
                        t->vals[v].at, quote_for_msg(s, len, q, sizeof q), key);
                return false;
            }
            if (x1 >= xs || x2 >= xs || y1 >= ys || y2 >= ys) {
                tg_set_err(err, errlen, "byte %zu: point '%s' for %s is off the %dx%d board", t->vals[v].at,
                        quote_for_msg(s, len, q, sizeof q), key, xs, ys);
                return false;
            }
            if (x1 > x2 || y1 > y2) {
                tg_set_err(err, errlen, "byte %zu: rectangle '%s' for %s must name its upper left corner first",
                        t->vals[v].at, quote_for_msg(s, len, q, sizeof q), key);
                return false;
            }
            for (int x = x1; x <= x2; x++)
                for (int y = y1; y <= y2; y++)
                    if (!setup_push(sb, tg_loc_of(x, y, xs), color)) {
                        tg_set_err(err, errlen, "byte %zu: out of memory", t->vals[v].at);
                        return false;
                    }
        }
    }
    return true;
}

static bool move_of_value(const raw_tree *t, int v, const char *key, int xs, int ys, tg_loc *loc, char *err,
                          size_t errlen) {
    const char *s = val_str(t, v);
    size_t len = val_len(t, v);
    if (len == 0) { *loc = TG_PASS_LOC; return true; }
    /* "tt" is the old pass spelling; it is only a point on boards wider and taller than 19. */
    if (len == 2 && s[0] == 't' && s[1] == 't' && (xs <= 19 || ys <= 19)) { *loc = TG_PASS_LOC; return true; }
    int x = coord_of(s[0]), y = coord_of(s[1]);
    if (x < 0 || y < 0 || x >= xs || y >= ys) {
        char q[40];
        tg_set_err(err, errlen, "byte %zu: move '%s' for %s is off the %dx%d board", t->vals[v].at,
                quote_for_msg(s, len, q, sizeof q), key, xs, ys);
        return false;
    }
    *loc = tg_loc_of(x, y, xs);
    return true;
}

typedef struct node_buf { tg_sgf_node *a; int n, cap; } node_buf;

static tg_sgf_node *node_push(node_buf *b) {
    if (!grow((void **)&b->a, &b->cap, b->n + 1, sizeof *b->a)) return NULL;
    tg_sgf_node *n = &b->a[b->n++];
    memset(n, 0, sizeof *n);
    n->player_to_move = TG_EMPTY;
    return n;
}

/* Appends the main-line node raw index ri. A node with several moves (B and W together, or a
 * property with several values) gives one output node per move, in the order KataGo plays them:
 * the node's first move property value if Black's, the other Black values, the first value if
 * White's, the other White values. */
static bool emit_node(const raw_tree *t, int ri, bool is_root, int xs, int ys, const tg_move *extra_setup,
                      int n_extra, node_buf *out, char *err, size_t errlen) {
    tg_sgf_node *n = node_push(out);
    if (!n) goto oom;
    int out_idx = out->n - 1;

    setup_buf sb = {0};
    for (int i = 0; i < n_extra; i++)
        if (!setup_push(&sb, extra_setup[i].loc, extra_setup[i].pla)) { free(sb.a); goto oom; }
    if (!add_setup_values(t, ri, "AB", TG_BLACK, xs, ys, &sb, err, errlen) ||
        !add_setup_values(t, ri, "AW", TG_WHITE, xs, ys, &sb, err, errlen) ||
        !add_setup_values(t, ri, "AE", TG_EMPTY, xs, ys, &sb, err, errlen)) {
        free(sb.a);
        return false;
    }
    out->a[out_idx].setup = sb.a;
    out->a[out_idx].num_setup = sb.n;

    int pv[2];
    int npl = node_values(t, ri, "PL", pv, 2);
    if (npl > 1) {
        tg_set_err(err, errlen, "byte %zu: PL is given more than once", t->vals[pv[1]].at);
        return false;
    }
    if (npl == 1) {
        const char *s = val_str(t, pv[0]);
        char low[8];
        size_t len = val_len(t, pv[0]);
        if (len < sizeof low) {
            for (size_t i = 0; i <= len; i++) low[i] = (char)tolower((unsigned char)s[i]);
            if (strcmp(low, "b") == 0 || strcmp(low, "black") == 0) out->a[out_idx].player_to_move = TG_BLACK;
            else if (strcmp(low, "w") == 0 || strcmp(low, "white") == 0) out->a[out_idx].player_to_move = TG_WHITE;
        }
    }
    (void)is_root;

    /* Moves in KataGo's order. */
    const raw_node *rn = &t->nodes[ri];
    int first_val = -1;
    tg_color first_color = TG_EMPTY;
    for (int i = 0; i < rn->num_props && first_val < 0; i++) {
        const raw_prop *p = &t->props[rn->first_prop + i];
        if (prop_is(t, p, "B")) { first_val = p->first_val; first_color = TG_BLACK; }
        else if (prop_is(t, p, "W")) { first_val = p->first_val; first_color = TG_WHITE; }
    }
    if (first_val < 0) return true;
    bool placed_first_move = false;
    for (int pass = 0; pass < 4; pass++) {
        /* pass 0: first value if Black; 1: other Black values; 2: first value if White; 3: other White. */
        tg_color color = pass < 2 ? TG_BLACK : TG_WHITE;
        const char *key = color == TG_BLACK ? "B" : "W";
        for (int i = 0; i < rn->num_props; i++) {
            const raw_prop *p = &t->props[rn->first_prop + i];
            if (!prop_is(t, p, key)) continue;
            for (int j = 0; j < p->num_vals; j++) {
                int v = p->first_val + j;
                bool is_first = v == first_val;
                if ((pass % 2 == 0) != is_first) continue;
                if (is_first && first_color != color) continue;
                tg_loc loc;
                if (!move_of_value(t, v, key, xs, ys, &loc, err, errlen)) return false;
                tg_sgf_node *target;
                if (!placed_first_move) {
                    target = &out->a[out_idx];
                    placed_first_move = true;
                } else {
                    target = node_push(out);
                    if (!target) goto oom;
                }
                target->has_move = true;
                target->move.loc = loc;
                target->move.pla = color;
            }
        }
    }
    return true;
oom:
    tg_set_err(err, errlen, "byte %zu: out of memory", t->nodes[ri].at);
    return false;
}

void tg_sgf_free(tg_sgf_game *g) {
    if (!g) return;
    for (int i = 0; i < g->num_nodes; i++) free(g->nodes[i].setup);
    free(g->nodes);
    free(g->rules);
    memset(g, 0, sizeof *g);
}

bool tg_sgf_parse(const char *text, size_t len, tg_sgf_game *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = '\0';
    if (!text) len = 0;
    raw_tree t;
    memset(&t, 0, sizeof t);
    t.text = text ? text : "";
    t.len = len;
    if (!parse_raw(&t, err, errlen)) { raw_free(&t); return false; }
    compute_depths(&t);

    tg_sgf_game g;
    memset(&g, 0, sizeof g);
    node_buf nb = {0};
    const int root = t.seqs[0].first_node;
    int xs, ys;
    if (!root_size(&t, root, &xs, &ys, err, errlen)) goto fail;
    g.xsize = xs;
    g.ysize = ys;
    g.has_komi = root_komi(&t, root, &g.komi);
    {
        int hv;
        const char *ha = node_single(&t, root, "HA", &hv);
        long h;
        g.handicap = (ha && parse_int_strict(ha, val_len(&t, hv), &h) && h >= 0) ? (int)h : 0;
    }
    {
        /* A multi-valued RU cannot be parsed by KataGo either; treating it as absent gives the same
         * fallback to the default rules. */
        const char *ru = node_single(&t, root, "RU", NULL);
        if (ru) {
            g.rules = dup_str(ru);
            if (!g.rules) { tg_set_err(err, errlen, "byte 0: out of memory"); goto fail; }
        }
    }
    setup_buf fox = {0};
    if (!fox_handicap_fix(&t, 0, &fox)) { free(fox.a); tg_set_err(err, errlen, "byte 0: out of memory"); goto fail; }

    bool first = true;
    for (int s = 0; s >= 0;) {
        const raw_seq *sq = &t.seqs[s];
        for (int i = 0; i < sq->num_nodes; i++) {
            if (!emit_node(&t, sq->first_node + i, first, xs, ys, first ? fox.a : NULL, first ? fox.n : 0, &nb, err,
                           errlen)) {
                free(fox.a);
                goto fail;
            }
            first = false;
        }
        int best = -1;
        for (int c = sq->first_child; c >= 0; c = t.seqs[c].next_sibling)
            if (best < 0 || t.seqs[c].best_depth > t.seqs[best].best_depth) best = c;
        s = best;
    }
    free(fox.a);
    g.nodes = nb.a;
    g.num_nodes = nb.n;
    raw_free(&t);
    *out = g;
    return true;
fail:
    g.nodes = nb.a;
    g.num_nodes = nb.n;
    tg_sgf_free(&g);
    raw_free(&t);
    memset(out, 0, sizeof *out);
    return false;
}

bool tg_sgf_load_file(const char *path, tg_sgf_game *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        tg_set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    while (true) {
        if (n + 65536 > cap) {
            size_t nc = cap ? cap * 2 : 65536;
            char *p = realloc(buf, nc);
            if (!p) {
                free(buf);
                fclose(f);
                tg_set_err(err, errlen, "cannot read %s: out of memory", path);
                return false;
            }
            buf = p;
            cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    bool bad = ferror(f) != 0;
    int read_errno = errno;
    fclose(f);
    if (bad) {
        free(buf);
        tg_set_err(err, errlen, "cannot read %s: %s", path, strerror(read_errno));
        return false;
    }
    bool ok = tg_sgf_parse(buf, n, out, err, errlen);
    free(buf);
    return ok;
}

int tg_sgf_num_moves(const tg_sgf_game *g) {
    int n = 0;
    for (int i = 0; i < g->num_nodes; i++)
        if (g->nodes[i].has_move) n++;
    return n;
}

/* ------------------------------------------------------------------------------------------------
 * Setting up a position (GTP loadsgf) */

static const char *color_letter(tg_color c) { return c == TG_BLACK ? "B" : c == TG_WHITE ? "W" : "?"; }

bool tg_sgf_setup_position_ex(const tg_sgf_game *g, int move_number, const tg_rules *default_rules,
                              bool prevent_encore, tg_board *board, tg_history *hist, tg_color *next_pla,
                              char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!g || g->num_nodes <= 0) {
        tg_set_err(err, errlen, "empty game record");
        return false;
    }
    /* loadsgf refuses records that edit the board after the root: they are not plain game records. */
    for (int i = 1; i < g->num_nodes; i++) {
        if (g->nodes[i].num_setup > 0) {
            tg_set_err(err, errlen, "node %d adds or removes stones (AB/AW/AE) after the root; only ordinary play "
                    "is supported after the root node", i + 1);
            return false;
        }
    }

    tg_rules rules = *default_rules;
    if (g->rules) {
        tg_rules parsed;
        /* RU without KM keeps the ruleset's own komi, as KataGo's tryParseRules gives it. */
        if (tg_rules_parse_with_default_komi(g->rules, &parsed, NULL, 0)) rules = parsed;
    }
    if (g->has_komi) rules.komi = g->komi;

    const tg_sgf_node *root = &g->nodes[0];
    tg_board b;
    tg_board_init(&b, g->xsize, g->ysize);
    {
        /* Every point may be named once; stones go down in order and none may be left without
         * liberties, the same checks as KataGo's setStonesFailIfNoLibs. */
        bool seen[TG_MAX_ARR_SIZE];
        memset(seen, 0, sizeof seen);
        char vb[8];
        for (int i = 0; i < root->num_setup; i++) {
            tg_loc loc = root->setup[i].loc;
            if (loc < 0 || loc >= TG_MAX_ARR_SIZE || !tg_board_on_board(&b, loc)) {
                tg_set_err(err, errlen, "setup point off the board");
                return false;
            }
            if (seen[loc]) {
                tg_set_err(err, errlen, "setup names point %s more than once", tg_loc_str(loc, b.xsize, b.ysize, vb));
                return false;
            }
            seen[loc] = true;
        }
        for (int i = 0; i < root->num_setup; i++) {
            if (!tg_board_set_stone(&b, root->setup[i].loc, root->setup[i].pla)) {
                tg_set_err(err, errlen, "setup stone at %s would leave a group without liberties",
                        tg_loc_str(root->setup[i].loc, b.xsize, b.ysize, vb));
                return false;
            }
        }
    }

    tg_color pla;
    if (root->player_to_move == TG_BLACK || root->player_to_move == TG_WHITE) {
        pla = root->player_to_move;
    } else {
        /* Only-black setup means handicap stones: White moves next. */
        bool has_black = false, all_black = true;
        for (int i = 0; i < root->num_setup; i++) {
            if (root->setup[i].pla == TG_BLACK) has_black = true;
            else all_black = false;
        }
        pla = (has_black && all_black) ? TG_WHITE : TG_BLACK;
    }
    int total = tg_sgf_num_moves(g);
    for (int i = 0; i < g->num_nodes; i++) {
        if (g->nodes[i].has_move) { pla = g->nodes[i].move.pla; break; }
    }

    int to_play = total;
    if (move_number >= 1 && move_number - 1 < total) to_play = move_number - 1;

    tg_history h;
    tg_history_init(&h, &b, pla, &rules, 0);
    /* Like loadsgf: the setup stones count as turns already taken, for time control and temperature. */
    h.initial_turn_number = tg_board_num_stones(&b);
    tg_color next = pla;
    int played = 0;
    for (int i = 0; i < g->num_nodes && played < to_play; i++) {
        if (!g->nodes[i].has_move) continue;
        tg_move m = g->nodes[i].move;
        if (!tg_history_play_tolerant(&h, &b, m.loc, m.pla, prevent_encore)) {
            char vb[8];
            tg_set_err(err, errlen, "move %d (%s %s) is illegal: the point is occupied or the move is single-stone suicide",
                    played + 1, color_letter(m.pla), tg_loc_str(m.loc, b.xsize, b.ysize, vb));
            tg_history_free(&h);
            return false;
        }
        next = tg_opp(m.pla);
        played++;
    }
    tg_history_copy(hist, &h);
    tg_history_free(&h);
    *board = b;
    *next_pla = next;
    return true;
}

bool tg_sgf_setup_position(const tg_sgf_game *g, int move_number, const tg_rules *default_rules,
                           tg_board *board, tg_history *hist, tg_color *next_pla, char *err, size_t errlen) {
    /* KataGo's GTP engine replays with the encore prevented unless preventCleanupPhase = false. */
    return tg_sgf_setup_position_ex(g, move_number, default_rules, true, board, hist, next_pla, err, errlen);
}

/* ------------------------------------------------------------------------------------------------
 * Writing */

typedef struct sbuf { char *s; size_t n, cap; bool oom; } sbuf;

static void sb_addf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) { va_end(ap2); b->oom = true; return; }
    if (b->n + (size_t)need + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + (size_t)need + 1) nc *= 2;
        char *p = realloc(b->s, nc);
        if (!p) { va_end(ap2); b->oom = true; return; }
        b->s = p;
        b->cap = nc;
    }
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap2);
    va_end(ap2);
    b->n += (size_t)need;
}

/* SGF text: ']' and '\' escaped; line breaks turned into spaces so the record stays on one line. */
static void sb_add_text(sbuf *b, const char *s) {
    for (; *s; s++) {
        char c = *s;
        if (c == '\n' || c == '\r') c = ' ';
        if (c == ']' || c == '\\') sb_addf(b, "\\%c", c);
        else sb_addf(b, "%c", c);
    }
}

static void sb_add_point(sbuf *b, tg_loc loc, int xsize) {
    if (loc == TG_PASS_LOC || loc == TG_NULL_LOC) return;
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    int x = tg_loc_x(loc, xsize), y = tg_loc_y(loc, xsize);
    if (x < 0 || y < 0 || x >= 52 || y >= 52) return;
    sb_addf(b, "%c%c", letters[x], letters[y]);
}

char *tg_sgf_write(const tg_history *hist) {
    sbuf b = {0};
    const tg_board *ib = &hist->initial_board;
    int xs = ib->xsize, ys = ib->ysize;
    sb_addf(&b, "(;FF[4]GM[1]CA[UTF-8]AP[tengen]");
    if (xs == ys) sb_addf(&b, "SZ[%d]", xs);
    else sb_addf(&b, "SZ[%d:%d]", xs, ys);

    {
        /* As KataGo's writer: a record's handicap counts leading Black moves as handicap too. */
        tg_history copy;
        memset(&copy, 0, sizeof copy);
        tg_history_copy(&copy, hist);
        tg_history_set_assume_multiple_starting_black_moves_are_handicap(&copy, true);
        int ha = tg_history_compute_num_handicap_stones(&copy);
        tg_history_free(&copy);
        if (ha > 0) sb_addf(&b, "HA[%d]", ha);
    }
    sb_addf(&b, "KM[%g]", (double)hist->rules.komi);
    {
        char ru[256];
        tg_rules_to_string_nice(&hist->rules, ru, sizeof ru);
        sb_addf(&b, "RU[");
        sb_add_text(&b, ru);
        sb_addf(&b, "]");
    }
    if (hist->is_game_finished) {
        char re[64];
        if (hist->is_no_result) snprintf(re, sizeof re, "Void");
        else if (hist->is_resignation && hist->winner == TG_BLACK) snprintf(re, sizeof re, "B+R");
        else if (hist->is_resignation && hist->winner == TG_WHITE) snprintf(re, sizeof re, "W+R");
        else if (hist->winner == TG_BLACK) snprintf(re, sizeof re, "B+%g", -(double)hist->final_white_minus_black_score);
        else if (hist->winner == TG_WHITE) snprintf(re, sizeof re, "W+%g", (double)hist->final_white_minus_black_score);
        else snprintf(re, sizeof re, "0");
        sb_addf(&b, "RE[");
        sb_add_text(&b, re);
        sb_addf(&b, "]");
    }
    for (int pass = 0; pass < 2; pass++) {
        tg_color want = pass == 0 ? TG_BLACK : TG_WHITE;
        bool any = false;
        for (int y = 0; y < ys; y++) {
            for (int x = 0; x < xs; x++) {
                tg_loc loc = tg_loc_of(x, y, xs);
                if (ib->color[loc] != want) continue;
                if (!any) sb_addf(&b, want == TG_BLACK ? "AB" : "AW");
                any = true;
                sb_addf(&b, "[");
                sb_add_point(&b, loc, xs);
                sb_addf(&b, "]");
            }
        }
    }
    /* PL when White starts, and when Black starts from Black-only setup (a reader would otherwise
     * take the stones for handicap and give White the move). */
    if (hist->initial_pla == TG_WHITE) sb_addf(&b, "PL[W]");
    else if (tg_board_num_stones_of(ib, TG_BLACK) > 0 && tg_board_num_stones_of(ib, TG_WHITE) == 0) sb_addf(&b, "PL[B]");

    /* Replay to spot passes-for-ko in the encore, which KataGo records as a pass marked with TR. */
    tg_board board = *ib;
    tg_history replay;
    memset(&replay, 0, sizeof replay);
    tg_history_init(&replay, &board, hist->initial_pla, &hist->rules, hist->initial_encore_phase);
    for (int i = 0; i < hist->num_moves; i++) {
        tg_move m = hist->moves[i];
        bool pass_for_ko = tg_history_is_pass_for_ko(&replay, &board, m.loc, m.pla);
        sb_addf(&b, ";%s[", m.pla == TG_WHITE ? "W" : "B");
        if (!pass_for_ko) sb_add_point(&b, m.loc, xs);
        sb_addf(&b, "]");
        if (pass_for_ko) {
            sb_addf(&b, "TR[");
            sb_add_point(&b, m.loc, xs);
            sb_addf(&b, "]C[Pass for ko]");
        }
        bool pe = hist->prevent_encore ? hist->prevent_encore[i] : false;
        tg_history_play(&replay, &board, m.loc, m.pla, pe);
    }
    tg_history_free(&replay);
    sb_addf(&b, ")");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
