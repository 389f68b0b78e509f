/* Whole-word number parsing for command-line options: the entire text must be the number. */
#ifndef TENGEN_UTIL_NUMPARSE_H
#define TENGEN_UTIL_NUMPARSE_H

#include <stdbool.h>

/* A decimal integer in [lo, hi] with nothing before or after it; false (out untouched) otherwise. */
bool tg_parse_long(const char *s, long lo, long hi, long *out);

/* A finite decimal number in (lo, hi] with nothing before or after it; false (out untouched) otherwise. */
bool tg_parse_double(const char *s, double lo, double hi, double *out);

#endif
