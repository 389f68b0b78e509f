/* A growable string; see strbuf.h. Allocation failure aborts: there is no sane way to answer GTP without memory. */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reserve(tg_strbuf *s, size_t extra) {
    if (s->len + extra + 1 <= s->cap)
        return;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < s->len + extra + 1)
        cap *= 2;
    char *p = realloc(s->data, cap);
    if (!p) {
        fputs("tengen: out of memory\n", stderr);
        abort();
    }
    s->data = p;
    s->cap = cap;
}

void tg_strbuf_init(tg_strbuf *s) {
    s->data = NULL;
    s->len = s->cap = 0;
    reserve(s, 0);
    s->data[0] = '\0';
}

void tg_strbuf_free(tg_strbuf *s) {
    free(s->data);
    s->data = NULL;
    s->len = s->cap = 0;
}

void tg_strbuf_clear(tg_strbuf *s) {
    s->len = 0;
    s->data[0] = '\0';
}

void tg_strbuf_append_n(tg_strbuf *s, const char *text, size_t n) {
    reserve(s, n);
    memcpy(s->data + s->len, text, n);
    s->len += n;
    s->data[s->len] = '\0';
}

void tg_strbuf_append(tg_strbuf *s, const char *text) { tg_strbuf_append_n(s, text, strlen(text)); }

void tg_strbuf_vappendf(tg_strbuf *s, const char *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    char probe;
    int n = vsnprintf(&probe, 1, fmt, copy); /* measures; a NULL buffer trips gcc's -Wformat-truncation */
    va_end(copy);
    if (n < 0)
        return;
    reserve(s, (size_t)n);
    vsnprintf(s->data + s->len, (size_t)n + 1, fmt, ap);
    s->len += (size_t)n;
}

void tg_strbuf_appendf(tg_strbuf *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tg_strbuf_vappendf(s, fmt, ap);
    va_end(ap);
}
