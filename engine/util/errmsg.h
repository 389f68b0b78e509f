/* Error messages into caller-supplied buffers: the convention every fallible core function follows
 * (return false, describe the problem in err). */
#ifndef TENGEN_UTIL_ERRMSG_H
#define TENGEN_UTIL_ERRMSG_H

#include <stddef.h>

/* printf into err; does nothing when err is NULL or errlen is 0, so callers may pass NULL. */
void tg_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
