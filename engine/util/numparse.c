/* Whole-word number parsing for command-line options; see numparse.h. */
#include "util/numparse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

bool tg_parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool tg_parse_double(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || !(v > lo) || v > hi)
        return false;
    *out = v;
    return true;
}
