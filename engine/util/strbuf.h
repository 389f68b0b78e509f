/* A growable, always NUL-terminated string for building protocol responses. */
#ifndef TENGEN_UTIL_STRBUF_H
#define TENGEN_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct tg_strbuf {
    char *data;   /* never NULL after tg_strbuf_init */
    size_t len, cap;
} tg_strbuf;

void tg_strbuf_init(tg_strbuf *s);
void tg_strbuf_free(tg_strbuf *s);
void tg_strbuf_clear(tg_strbuf *s);
void tg_strbuf_append(tg_strbuf *s, const char *text);
void tg_strbuf_append_n(tg_strbuf *s, const char *text, size_t n);
void tg_strbuf_appendf(tg_strbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tg_strbuf_vappendf(tg_strbuf *s, const char *fmt, va_list ap);

#endif
