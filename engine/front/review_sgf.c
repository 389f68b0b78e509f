/* The review's SGF side: finds the main line's nodes in the original text and writes the review into it
 * as insertions, so that everything the review does not touch (comments, variations, unknown properties,
 * the author's formatting) comes out byte for byte. The text has already passed tg_sgf_parse, so this
 * scanner only needs to find node and property boundaries, and picks the main line by the same rule
 * (the variation with the longest path, the first on ties). */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include "front/review.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

typedef struct scan_prop {
    char ident[8];        /* upper-case letters of the identifier (FF[3] allowed lower case in between) */
    size_t first_val;     /* offset of the first value's text (after '[') */
    size_t first_val_end; /* offset of that value's closing ']' */
    size_t end;           /* offset just after the last value's ']' */
} scan_prop;

typedef struct scan_node {
    size_t end;           /* offset just after the node's last property */
    int first_prop, num_props;
} scan_node;

typedef struct scan_seq {
    int first_node, num_nodes;
    int first_child, last_child, next_sibling;
    long long best_depth;
} scan_seq;

typedef struct scan {
    scan_prop *props; int nprops, cap_props;
    scan_node *nodes; int nnodes, cap_nodes;
    scan_seq *seqs; int nseqs, cap_seqs;
    int *main_line; int main_len; /* node indices, root first */
} scan;

static bool grow(void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap)
        return true;
    int nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *p = realloc(*arr, (size_t)nc * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = nc;
    return true;
}

static void scan_free(scan *s) {
    free(s->props);
    free(s->nodes);
    free(s->seqs);
    free(s->main_line);
    memset(s, 0, sizeof *s);
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

/* Skips a property value starting at '['; returns the offset of its closing ']' or len. */
static size_t skip_value(const char *t, size_t len, size_t i) {
    for (i++; i < len; i++) {
        if (t[i] == '\\')
            i++;
        else if (t[i] == ']')
            return i;
    }
    return len;
}

/* Scans the first game tree; walks iteratively so deep nesting costs heap, not stack. */
static bool scan_text(const char *t, size_t len, scan *s) {
    memset(s, 0, sizeof *s);
    size_t i = 0;
    while (i < len && t[i] != '(')
        i++;
    int *stack = NULL, depth = 0, cap_stack = 0;
    int cur = -1; /* sequence being filled */
    bool ok = false;
    for (; i < len; i++) {
        char c = t[i];
        if (c == '(') {
            if (!grow((void **)&s->seqs, &s->cap_seqs, s->nseqs + 1, sizeof *s->seqs) ||
                !grow((void **)&stack, &cap_stack, depth + 1, sizeof *stack))
                goto out;
            int id = s->nseqs++;
            s->seqs[id] = (scan_seq){.first_node = s->nnodes, .first_child = -1, .last_child = -1, .next_sibling = -1};
            if (cur >= 0) {
                scan_seq *p = &s->seqs[cur];
                if (p->last_child >= 0)
                    s->seqs[p->last_child].next_sibling = id;
                else
                    p->first_child = id;
                p->last_child = id;
            }
            stack[depth++] = id;
            cur = id;
        } else if (c == ')') {
            if (depth == 0)
                goto out;
            depth--;
            if (depth == 0) {
                ok = true;
                goto out;
            }
            cur = stack[depth - 1];
        } else if (c == ';') {
            if (cur < 0 || s->seqs[cur].first_child >= 0) /* a node after a variation: not an SGF we parsed */
                goto out;
            if (!grow((void **)&s->nodes, &s->cap_nodes, s->nnodes + 1, sizeof *s->nodes))
                goto out;
            s->nodes[s->nnodes] = (scan_node){.end = i + 1, .first_prop = s->nprops};
            s->nnodes++;
            s->seqs[cur].num_nodes++;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
            if (s->nnodes == 0)
                goto out;
            scan_prop p = {0};
            size_t n = 0;
            while (i < len && ((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z'))) {
                if (t[i] >= 'A' && t[i] <= 'Z' && n + 1 < sizeof p.ident)
                    p.ident[n++] = t[i];
                i++;
            }
            bool first = true;
            for (;;) {
                while (i < len && is_space(t[i]))
                    i++;
                if (i >= len || t[i] != '[')
                    break;
                size_t close = skip_value(t, len, i);
                if (close >= len)
                    goto out;
                if (first) {
                    p.first_val = i + 1;
                    p.first_val_end = close;
                    first = false;
                }
                p.end = close + 1;
                i = close + 1;
            }
            if (first)
                goto out;
            if (!grow((void **)&s->props, &s->cap_props, s->nprops + 1, sizeof *s->props))
                goto out;
            s->props[s->nprops++] = p;
            scan_node *node = &s->nodes[s->nnodes - 1];
            node->num_props++;
            node->end = p.end;
            i--; /* the loop's i++ lands on the character after the property */
        }
    }
out:
    free(stack);
    if (!ok || s->nseqs == 0)
        return false;
    for (int q = s->nseqs - 1; q >= 0; q--) {
        long long best = 0;
        for (int c = s->seqs[q].first_child; c >= 0; c = s->seqs[c].next_sibling)
            if (s->seqs[c].best_depth > best)
                best = s->seqs[c].best_depth;
        s->seqs[q].best_depth = s->seqs[q].num_nodes + best;
    }
    s->main_line = malloc((size_t)(s->nnodes > 0 ? s->nnodes : 1) * sizeof *s->main_line);
    if (!s->main_line)
        return false;
    for (int q = 0; q >= 0;) {
        for (int k = 0; k < s->seqs[q].num_nodes; k++)
            s->main_line[s->main_len++] = s->seqs[q].first_node + k;
        int next = -1;
        for (int c = s->seqs[q].first_child; c >= 0; c = s->seqs[c].next_sibling)
            if (next < 0 || s->seqs[c].best_depth > s->seqs[next].best_depth)
                next = c;
        q = next;
    }
    return s->main_len > 0;
}

static const scan_prop *find_prop(const scan *s, int node, const char *ident) {
    const scan_node *n = &s->nodes[node];
    for (int i = 0; i < n->num_props; i++)
        if (!strcmp(s->props[n->first_prop + i].ident, ident))
            return &s->props[n->first_prop + i];
    return NULL;
}

/* A value's text with SGF escapes removed and soft line breaks (backslash-newline) dropped. */
static char *unescape(const char *t, size_t from, size_t to) {
    char *out = malloc(to - from + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = from; i < to; i++) {
        if (t[i] == '\\' && i + 1 < to) {
            i++;
            if (t[i] == '\n' || t[i] == '\r')
                continue;
        }
        out[n++] = t[i];
    }
    out[n] = '\0';
    return out;
}

int tg_review_count_main_line(const char *text, size_t len) {
    scan s;
    int n = scan_text(text, len, &s) ? s.main_len : -1;
    scan_free(&s);
    return n;
}

void tg_review_read_info(const char *text, size_t len, tg_review_info *info) {
    memset(info, 0, sizeof *info);
    scan s;
    if (scan_text(text, len, &s)) {
        static const char *const idents[] = {"PB", "PW", "BR", "WR", "RE", "DT", "GN", "EV"};
        char **slots[] = {&info->black, &info->white, &info->black_rank, &info->white_rank,
                          &info->result, &info->date, &info->name, &info->event};
        for (size_t k = 0; k < sizeof idents / sizeof *idents; k++) {
            const scan_prop *p = find_prop(&s, s.main_line[0], idents[k]);
            if (p && p->first_val_end > p->first_val)
                *slots[k] = unescape(text, p->first_val, p->first_val_end);
        }
    }
    scan_free(&s);
}

void tg_review_info_free(tg_review_info *info) {
    char *all[] = {info->black, info->white, info->black_rank, info->white_rank,
                   info->result, info->date, info->name, info->event};
    for (size_t k = 0; k < sizeof all / sizeof *all; k++)
        free(all[k]);
    memset(info, 0, sizeof *info);
}

bool tg_review_is_complete(const char *text, size_t len) {
    scan s;
    bool done = scan_text(text, len, &s) && find_prop(&s, s.main_line[0], "TGRV") != NULL;
    scan_free(&s);
    return done;
}

/* One change to the original: at offset `at`, drop `drop` bytes and insert `text`. */
typedef struct edit {
    size_t at, drop;
    bool extends; /* adds a value to the property ending here, so goes before new properties at the same offset */
    int seq;      /* insertion order, to keep edits at the same offset in the order made */
    char *text;
} edit;

typedef struct edits {
    edit *e;
    int n, cap;
    bool oom;
} edits;

static void add_edit_ex(edits *ed, size_t at, size_t drop, const char *text, bool extends) {
    char *copy = strdup(text);
    if (!copy || !grow((void **)&ed->e, &ed->cap, ed->n + 1, sizeof *ed->e)) {
        free(copy);
        ed->oom = true;
        return;
    }
    ed->e[ed->n] = (edit){.at = at, .drop = drop, .extends = extends, .seq = ed->n, .text = copy};
    ed->n++;
}

static void add_edit(edits *ed, size_t at, size_t drop, const char *text) { add_edit_ex(ed, at, drop, text, false); }

static int edit_cmp(const void *a, const void *b) {
    const edit *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->extends != y->extends)
        return x->extends ? -1 : 1;
    return x->seq - y->seq;
}

/* Appends text to sb with ']' and '\' escaped, as SGF values need. */
static void append_escaped(tg_strbuf *sb, const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == ']' || *p == '\\')
            tg_strbuf_append_n(sb, "\\", 1);
        tg_strbuf_append_n(sb, p, 1);
    }
}

/* Sets property ident on node to value (already escaped): replaces the first value when the node has
 * the property, else adds it at the node's end. */
static void set_prop(edits *ed, const scan *s, int node, const char *ident, const char *value) {
    const scan_prop *p = find_prop(s, node, ident);
    if (p) {
        add_edit(ed, p->first_val, p->first_val_end - p->first_val, value);
        return;
    }
    tg_strbuf sb;
    tg_strbuf_init(&sb);
    tg_strbuf_appendf(&sb, "%s[%s]", ident, value);
    add_edit(ed, s->nodes[node].end, 0, sb.data);
    tg_strbuf_free(&sb);
}

/* Puts comment (unescaped text) before any comment the node already has. */
static void add_comment(edits *ed, const scan *s, int node, const char *comment) {
    tg_strbuf sb;
    tg_strbuf_init(&sb);
    const scan_prop *p = find_prop(s, node, "C");
    if (!p)
        tg_strbuf_append(&sb, "C[");
    append_escaped(&sb, comment);
    if (p) {
        tg_strbuf_append(&sb, "\n\n");
        add_edit(ed, p->first_val, 0, sb.data);
    } else {
        tg_strbuf_append(&sb, "]");
        add_edit(ed, s->nodes[node].end, 0, sb.data);
    }
    tg_strbuf_free(&sb);
}

/* Adds point to the node's TR list unless it is there already. */
static void add_triangle(edits *ed, const char *text, const scan *s, int node, const char *point) {
    const scan_prop *p = find_prop(s, node, "TR");
    char value[8];
    snprintf(value, sizeof value, "[%s]", point);
    if (!p) {
        char prop[12];
        snprintf(prop, sizeof prop, "TR%s", value);
        add_edit(ed, s->nodes[node].end, 0, prop);
        return;
    }
    for (size_t i = p->first_val - 1; i + 4 <= p->end; i++)
        if (!strncmp(text + i, value, 4))
            return;
    add_edit_ex(ed, p->end, 0, value, true);
}

static const char *lead_text(double black_lead, char *buf, size_t len) {
    double r = round(black_lead * 10) / 10;
    if (r == 0)
        snprintf(buf, len, "even");
    else
        snprintf(buf, len, "%c+%.1f", r > 0 ? 'B' : 'W', fabs(r));
    return buf;
}

static const char *const severity_names[] = {"", "Inaccuracy", "Mistake", "Blunder"};

char *tg_review_annotate(const char *text, size_t len, const tg_review_game *game, char *err, size_t errlen) {
    scan s;
    if (!scan_text(text, len, &s)) {
        scan_free(&s);
        snprintf(err, errlen, "cannot find the game tree's nodes again");
        return NULL;
    }
    for (int m = 0; m < game->num_moves; m++)
        if (game->moves[m].node <= 0 || game->moves[m].node >= s.main_len) {
            scan_free(&s);
            snprintf(err, errlen, "move %d lies beyond the main line found in the text", m + 1);
            return NULL;
        }
    edits ed = {0};
    tg_strbuf sb;
    tg_strbuf_init(&sb);
    char buf[32], vertex[8];

    int root = s.main_line[0];
    const tg_review_position *p0 = &game->positions[0];
    tg_strbuf_appendf(&sb, "%" PRId64 " visits", game->visits_per_position);
    set_prop(&ed, &s, root, "TGRV", sb.data);
    tg_strbuf_clear(&sb);
    int count[4] = {0};
    for (int m = 0; m < game->num_moves; m++)
        count[game->moves[m].severity]++;
    tg_strbuf_appendf(&sb, "Reviewed by tengen (%s, %" PRId64 " visits a position). Before the first move: Black's winrate "
                      "%.1f%%, score %s.\nBlunders (loss >= %g points): %d, mistakes (>= %g): %d, inaccuracies (>= %g): %d.",
                      game->model_name ? game->model_name : "network", game->visits_per_position,
                      100 * p0->black_winrate, lead_text(p0->black_lead, buf, sizeof buf), TG_REVIEW_BLUNDER,
                      count[TG_SEV_BLUNDER], TG_REVIEW_MISTAKE, count[TG_SEV_MISTAKE], TG_REVIEW_INACCURACY,
                      count[TG_SEV_INACCURACY]);
    add_comment(&ed, &s, root, sb.data);

    for (int m = 0; m < game->num_moves; m++) {
        const tg_review_move *mv = &game->moves[m];
        const tg_review_position *after = &game->positions[m + 1], *before = &game->positions[m];
        int node = s.main_line[mv->node];
        tg_strbuf_clear(&sb);
        tg_strbuf_appendf(&sb, "Move %d: %s %s\nBlack's winrate %.1f%%, score %s", m + 1, mv->pla == TG_BLACK ? "B" : "W",
                          tg_loc_str(mv->loc, game->xsize, game->ysize, vertex), 100 * after->black_winrate,
                          lead_text(after->black_lead, buf, sizeof buf));
        bool better_exists = before->best != TG_NULL_LOC && before->best != mv->loc;
        if (mv->severity != TG_SEV_NONE) {
            tg_strbuf_appendf(&sb, "\n%s: %s loses %.1f points (winrate %.1f%%)", severity_names[mv->severity],
                              mv->pla == TG_BLACK ? "Black" : "White", mv->point_loss, -100 * mv->winrate_loss);
            if (better_exists)
                tg_strbuf_appendf(&sb, "; better: %s (marked with a triangle)",
                                  tg_loc_str(before->best, game->xsize, game->ysize, vertex));
        } else if (better_exists) {
            tg_strbuf_appendf(&sb, "\nThe search preferred %s (%.1f points)",
                              tg_loc_str(before->best, game->xsize, game->ysize, vertex), mv->point_loss);
        }
        add_comment(&ed, &s, node, sb.data);
        snprintf(buf, sizeof buf, "%.2f", 100 * after->black_winrate);
        set_prop(&ed, &s, node, "SBKV", buf);
        if (mv->severity != TG_SEV_NONE) {
            if (better_exists && before->best != TG_PASS_LOC) {
                int x = tg_loc_x(before->best, game->xsize), y = tg_loc_y(before->best, game->xsize);
                char point[3] = {(char)('a' + x), (char)('a' + y), '\0'};
                add_triangle(&ed, text, &s, node, point);
            }
            /* GUIs show BM (bad move) and DO (doubtful) as move annotations. */
            if (!find_prop(&s, node, "BM") && !find_prop(&s, node, "DO") && !find_prop(&s, node, "TE") &&
                !find_prop(&s, node, "IT"))
                add_edit(&ed, s.nodes[node].end, 0,
                         mv->severity == TG_SEV_BLUNDER ? "BM[2]" : mv->severity == TG_SEV_MISTAKE ? "BM[1]" : "DO[]");
        }
    }
    tg_strbuf_free(&sb);

    char *out = NULL;
    if (!ed.oom) {
        qsort(ed.e, (size_t)ed.n, sizeof *ed.e, edit_cmp);
        tg_strbuf o;
        tg_strbuf_init(&o);
        size_t pos = 0;
        for (int i = 0; i < ed.n; i++) {
            if (ed.e[i].at < pos)
                continue; /* overlaps a replaced value: cannot happen with one edit per property */
            tg_strbuf_append_n(&o, text + pos, ed.e[i].at - pos);
            tg_strbuf_append(&o, ed.e[i].text);
            pos = ed.e[i].at + ed.e[i].drop;
        }
        tg_strbuf_append_n(&o, text + pos, len - pos);
        if (o.len == 0 || o.data[o.len - 1] != '\n')
            tg_strbuf_append(&o, "\n");
        out = o.data;
    } else {
        snprintf(err, errlen, "out of memory");
    }
    for (int i = 0; i < ed.n; i++)
        free(ed.e[i].text);
    free(ed.e);
    scan_free(&s);
    return out;
}
