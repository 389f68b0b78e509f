/* Writing KataGo-format model files, chiefly test networks with random weights.
 *
 * tg_model_build_random builds a tg_model from a compact layout description; tg_model_write
 * serialises any tg_model (so tests can build one, damage a field, and write it out); the file the
 * writer produces reads back, through model_reader, into exactly the same model. */
#ifndef TENGEN_NN_MODEL_WRITER_H
#define TENGEN_NN_MODEL_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tengen/model.h"

/* RoPE choices for attention blocks in a spec. */
enum { TG_SPEC_ROPE_NONE = 0, TG_SPEC_ROPE_FIXED = 1, TG_SPEC_ROPE_LEARNABLE = 2 };

/* One block of a test network. Zero fields take the default in brackets. */
typedef struct tg_model_spec_block {
    int32_t kind;           /* TG_BLOCK_* */
    /* ordinary, gpool, nested */
    int32_t kernel;         /* odd conv kernel size [3] */
    int32_t mid_channels;   /* ordinary/gpool: regular conv outputs [the block's width] */
    int32_t gpool_channels; /* gpool: pooling branch width [8] */
    int32_t inner_channels; /* nested: bottleneck width [half the block's width, at least 1] */
    int32_t num_inner;      /* nested: number of inner blocks (at least 1) */
    const struct tg_model_spec_block *inner; /* nested: the inner blocks */
    /* transformer attention */
    int32_t num_heads;      /* [4] */
    int32_t num_kv_heads;   /* [num_heads] */
    int32_t q_head_dim;     /* [8] */
    int32_t v_head_dim;     /* [q_head_dim] */
    int32_t rope;           /* TG_SPEC_ROPE_* */
    /* transformer FFN */
    int32_t ffn_channels;   /* [2 x the block's width] */
    int32_t no_swiglu;      /* 1: plain FFN (KataGo's backends refuse it, but the format has it) */
} tg_model_spec_block;

/* The whole test network. Zero fields take the default in brackets. */
typedef struct tg_model_spec {
    const char *name;          /* model name [tengen-random-v<version>] */
    int32_t version;           /* KataGo model version, 8..17 (required) */
    int32_t trunk_channels;    /* [32] */
    int32_t num_blocks;        /* at least 1 */
    const tg_model_spec_block *blocks;
    int32_t activation;        /* TG_ACT_* for every activation layer [relu]; v11+ only, older files are relu */
    int32_t initial_kernel;    /* first conv's odd kernel size [5] */
    int32_t trunk_norm;        /* TG_TRUNK_NORM_*; RMS norm needs v15+ */
    int32_t tip_rmsnorm_spatial;
    int32_t meta_encoder;      /* 1: include an SGF metadata encoder (v15+) */
    int32_t meta_hidden;       /* metadata encoder hidden width [16] */
    int32_t policy_channels;   /* v17: 2 or 4 [2]; ignored before (the version decides) */
    int32_t head_channels;     /* policy p1/g1 and value v1 widths [16] */
    int32_t value_hidden;      /* value head hidden width [24] */
    int32_t bn_without_scale;  /* 1: batch norms with no scale vector (has_scale 0) */
    int32_t prefer_pass_alive; /* v15+ header flag */
} tg_model_spec;

/* A model with the spec's layout and random weights drawn from seed, scaled so activations stay of
 * order one through the network (He-style conv/matmul scaling, batch-norm variances near 1, smaller
 * residual-branch outputs). Every derived field is filled (tg_model_finalize). Free with
 * tg_model_free. NULL with err set for an invalid spec. */
tg_model *tg_model_build_random(const tg_model_spec *spec, uint64_t seed, char *err, size_t errlen);

/* Serialises a model in KataGo's format into a malloc'd buffer (*out, *len; free it). text selects
 * decimal weights (.txt) instead of "@BIN@" blocks (.bin). The arrays must hold as many floats as
 * the struct's sizes say; sizes themselves are written as they are, so a test may set a wrong
 * channel count (smaller than the array) to produce a file the reader must reject. */
bool tg_model_write_buffer(const tg_model *model, bool text, unsigned char **out, size_t *len, char *err,
                           size_t errlen);

/* Writes a model file: gzip-compressed when path ends in ".gz", text weights when the name ends in
 * ".txt" or ".txt.gz", binary otherwise. */
bool tg_model_write(const char *path, const tg_model *model, char *err, size_t errlen);

/* tg_model_build_random followed by tg_model_write. */
bool tg_model_write_random(const char *path, const tg_model_spec *spec, uint64_t seed, char *err, size_t errlen);

#endif
