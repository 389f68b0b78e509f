/* `tengen analysis`: KataGo's JSON-lines analysis engine over stdin/stdout (KataGo's docs/Analysis_Engine.md). */
#ifndef TENGEN_FRONT_ANALYSIS_ENGINE_H
#define TENGEN_FRONT_ANALYSIS_ENGINE_H

#include <stdio.h>

#include "config.h"
#include "nn/evaluator.h"

/* Fills in the analysis engine's own defaults (numSearchThreadsPerAnalysisThread as numSearchThreads, a
 * finite maxVisits, conservativePass, a batch size for every search thread); call before making the
 * evaluator, which reads some of them. */
void tg_analysis_prepare_config(tg_config *cfg);

/* Answers queries from in on out until in ends and every queued query is done. Returns the exit status
 * (0, or 1 when the config holds a bad value, reported on stderr). */
int tg_analysis_run(tg_config *cfg, tg_nn_evaluator *nn, const char *model_path, FILE *in, FILE *out);

#endif
