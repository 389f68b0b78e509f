/* Whole-word number parsing for command-line options; see numparse.h. */
#include "util/numparse.h"

#include <errno.h>
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
