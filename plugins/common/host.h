/* What every backend plugin needs of the core's tg_host table: whether an older core's table has a
 * callback at all, and printf-style logging through it. Compiled into each plugin (its symbols stay
 * local to the plugin's shared object). */
#ifndef TENGEN_PLUGINS_COMMON_HOST_H
#define TENGEN_PLUGINS_COMMON_HOST_H

#include <stddef.h>

#include "tengen/backend.h"

/* A host field may be read only when the core's table is new enough to have it, and set. */
#define TG_HOST_HAS(host, field) \
    ((host) && (host)->struct_size >= offsetof(tg_host, field) + sizeof((host)->field) && (host)->field)

/* Formats one log line (at most 1023 bytes) and hands it to the core; nothing when the core has no log. */
void tg_host_log(const tg_host *host, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
