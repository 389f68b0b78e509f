/* Logging for the engine: stderr and/or a log file, never stdout (stdout carries protocol only). */
#ifndef TENGEN_FRONT_LOG_H
#define TENGEN_FRONT_LOG_H

#include <stdbool.h>

/* Opens path for appending (NULL: no file). to_stderr decides whether lines also go to stderr. */
bool tg_log_open(const char *path, bool to_stderr, char *err, unsigned errlen);
void tg_log_close(void);
bool tg_log_to_stderr(void);
/* One line; a timestamp is prepended in the file. Lines never start with '=', '?', "info" or "play"
 * because Lizzie merges stderr into its protocol stream. */
void tg_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Always to stderr (and the file): startup failures and warnings a user must see. */
void tg_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
