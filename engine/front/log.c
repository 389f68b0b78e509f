/* Logging to stderr and a log file; see log.h. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static FILE *log_file;
static bool log_stderr = true;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

bool tg_log_open(const char *path, bool to_stderr, char *err, unsigned errlen) {
    log_stderr = to_stderr;
    if (!path)
        return true;
    FILE *f = fopen(path, "a");
    if (!f) {
        snprintf(err, errlen, "cannot open log file %s: %s", path, strerror(errno));
        return false;
    }
    log_file = f;
    return true;
}

void tg_log_close(void) {
    if (log_file)
        fclose(log_file);
    log_file = NULL;
}

bool tg_log_to_stderr(void) { return log_stderr; }

static void emit(bool force_stderr, const char *fmt, va_list ap) {
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* Guard the protocol readers of GUIs that merge stderr into stdout. */
    const char *prefix = (msg[0] == '=' || msg[0] == '?' || strncmp(msg, "info", 4) == 0 ||
                          strncmp(msg, "play", 4) == 0) ? "tengen: " : "";
    pthread_mutex_lock(&log_lock);
    if (log_file) {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(log_file, "%s: %s%s\n", stamp, prefix, msg);
        fflush(log_file);
    }
    if (log_stderr || force_stderr) {
        fprintf(stderr, "%s%s\n", prefix, msg);
        fflush(stderr);
    }
    pthread_mutex_unlock(&log_lock);
}

void tg_log(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit(false, fmt, ap);
    va_end(ap);
}

void tg_log_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit(true, fmt, ap);
    va_end(ap);
}
