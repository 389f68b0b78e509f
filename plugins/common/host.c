/* Logging through the core's tg_host table, shared by every plugin; see host.h. */
#include "host.h"

#include <stdarg.h>
#include <stdio.h>

void tg_host_log(const tg_host *host, int level, const char *fmt, ...) {
    if (!TG_HOST_HAS(host, log))
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    host->log(host->ctx, level, line);
}
