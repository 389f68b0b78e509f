/* The GTP engine: reads GTP v2 commands (plus KataGo's extensions) line by line and answers them. */
#ifndef TENGEN_FRONT_GTP_H
#define TENGEN_FRONT_GTP_H

#include <stddef.h>
#include <stdio.h>
#include "config.h"
#include "nn/evaluator.h"

typedef struct tg_gtp tg_gtp;

/* Builds the engine from a loaded config and an evaluator (both kept, not owned; the evaluator may be
 * NULL: then the rules commands work and the network commands answer an error). On a bad config
 * value returns NULL with a one-line message in err. */
tg_gtp *tg_gtp_new(tg_config *cfg, tg_nn_evaluator *nn, char *err, size_t errlen);
void tg_gtp_free(tg_gtp *g);
/* What the version command answers from now on (katago's -override-version); copied. */
void tg_gtp_set_version(tg_gtp *g, const char *version);

/* Serves commands from in until quit or end of input; responses go to out, nothing else does.
 * Returns the process exit status. */
int tg_gtp_run(tg_gtp *g, FILE *in, FILE *out);

/* The position the engine holds now: the board, a copy of its history (into a zeroed or initialised
 * hist; release it with tg_history_free) and the player to move. */
void tg_gtp_position(const tg_gtp *g, tg_board *board, tg_history *hist, tg_color *next_pla);

#endif
