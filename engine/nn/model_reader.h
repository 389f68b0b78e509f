/* Reading KataGo model files (.bin.gz, .txt.gz, .bin, .txt) into a tg_model (tengen/model.h).
 *
 * Core-only: plugins receive the parsed model and never call these (they cannot link against the
 * executable). Every fallible function returns NULL/false and writes one line into err naming the
 * file, the layer and what was expected, e.g.
 *   "nets/g170.bin.gz: layer 'rconv3/w': expected 96 input channels, found 95". */
#ifndef TENGEN_NN_MODEL_READER_H
#define TENGEN_NN_MODEL_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "tengen/model.h"

/* How the weights are stored. The header is text in both. */
enum {
    TG_MODEL_FORMAT_AUTO = 0,   /* by file name: .txt/.txt.gz text, .bin/.bin.gz binary, else sniff */
    TG_MODEL_FORMAT_BINARY = 1, /* "@BIN@" then little-endian float32s per weight block */
    TG_MODEL_FORMAT_TEXT = 2    /* whitespace-separated decimal floats */
};

/* Loads a model file, gzipped or not (zlib reads plain files transparently). */
tg_model *tg_model_load(const char *path, char *err, size_t errlen);

/* Parses an uncompressed model image already in memory. display_name stands for the file in error
 * messages and becomes model->file_name; with TG_MODEL_FORMAT_AUTO it also picks the format the way
 * tg_model_load does from a path. The data is not kept. */
tg_model *tg_model_load_buffer(const void *data, size_t len, int format, const char *display_name, char *err,
                               size_t errlen);

/* Reads a whole file into a malloc'd buffer, decompressing gzip when present. *data must be
 * freed by the caller. */
bool tg_model_read_file(const char *path, unsigned char **data, size_t *len, char *err, size_t errlen);

/* Frees a model and everything it points to. NULL is fine. */
void tg_model_free(tg_model *model);

/* One line: name, version, kind, blocks by kind, trunk width, heads, parameter count.
 * Returns what snprintf returns. */
int tg_model_describe(const tg_model *model, char *buf, size_t n);

/* ---- building models in memory (model_writer.c, tests) ---- */

/* An empty model (abi_version and struct_size set, everything else zero) whose allocations
 * tg_model_alloc ties to it. NULL when out of memory. */
tg_model *tg_model_new(void);

/* Zeroed memory freed together with the model. NULL when out of memory (or size 0). */
void *tg_model_alloc(tg_model *model, size_t size);

/* A copy of s owned by the model. */
char *tg_model_strdup(tg_model *model, const char *s);

/* Fills the derived fields from the layers: merged batch-norm arrays (where missing), channel
 * counts, has_transformer, num_parameters. The reader calls it too. false only when out of memory. */
bool tg_model_finalize(tg_model *model);

#endif
