/* Input lines read on a thread of their own, so that a long-running GTP command (analysis, pondering)
 * can notice that a new line arrived and stop, as GUIs expect. Lines keep their order. */
#ifndef TENGEN_FRONT_LINEQUEUE_H
#define TENGEN_FRONT_LINEQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct tg_line_queue tg_line_queue;

/* Starts reading in on a background thread. NULL when out of memory or threads. */
tg_line_queue *tg_line_queue_start(FILE *in);

/* The next line (malloc'd, NUL-terminated, *len bytes, which may include NUL bytes), waiting for it;
 * NULL at the end of input. */
char *tg_line_queue_pop(tg_line_queue *q, size_t *len);

/* Waits up to timeout_s seconds for a line or the end of input; true when one is waiting. */
bool tg_line_queue_wait(tg_line_queue *q, double timeout_s);

/* Gives the queue up. The reader may still be blocked reading; it frees what is left when its read
 * returns, so the caller need not wait for more input. */
void tg_line_queue_stop(tg_line_queue *q);

#endif
