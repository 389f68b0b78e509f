/* tengen/model.h: a parsed KataGo network (model versions 8 to 17) as plain C data.
 *
 * The core reads a model file (engine/nn/model_reader.c) into a tg_model and hands backends a
 * `const tg_model *`. Backends only read it; it stays valid until the core frees it, which happens
 * after every backend context built from it is destroyed. The structs are part of the versioned
 * plugin ABI, so this header uses nothing but C99/C11 types and depends on no engine header.
 *
 * Conventions, stated once for every struct below:
 *   - Counts and sizes are int32_t; flags are int32_t holding 0 or 1 (a C bool has no fixed size).
 *   - Every weight array is const float, owned by the model, never NULL when the layer is present.
 *   - Every layer keeps the name the file gives it, for error messages and debugging.
 *   - A layer that a model version lacks (e.g. the v15 pass MLP in a v12 net) is all zero: name NULL,
 *     sizes 0, arrays NULL. Each such optional part has a flag or a version rule that says so.
 *
 * ABI rules. TG_MODEL_ABI_VERSION changes whenever a field moves or changes meaning. Within one ABI
 * version, new fields are only ever appended to tg_model (its `reserved` slots come first), so a
 * plugin may check `model->struct_size` before reading a field newer than itself. The layer and
 * block structs are fixed for the life of an ABI version; blocks are reached through pointers so
 * that arrays of tg_block never change stride.
 */
#ifndef TENGEN_MODEL_H
#define TENGEN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TG_MODEL_ABI_VERSION 1

/* Model versions the reader accepts. All of them take KataGo's V7 input features. */
#define TG_MODEL_VERSION_MIN 8
#define TG_MODEL_VERSION_MAX 17

/* ------------------------------------------------------------------ activations */

/* Values match KataGo's ACTIVATION_* numbering so logs and tools agree. Files before version 11
 * name no activation; those layers are TG_ACT_RELU. TG_ACT_MISH_SCALE8 never comes from a file:
 * it exists for backends that rescale activations by 1/8 (fp16) and rewrite mish into it. */
enum {
    TG_ACT_IDENTITY = 0,    /* x */
    TG_ACT_RELU = 1,        /* max(x, 0) */
    TG_ACT_MISH = 2,        /* x * tanh(softplus(x)) */
    TG_ACT_SILU = 3,        /* x * sigmoid(x) */
    TG_ACT_MISH_SCALE8 = 12 /* x * tanh(softplus(8x)) */
};

/* ------------------------------------------------------------------ layers */

/* A 2-D convolution without bias, "same" padding (pad = dilation * (kernel - 1) / 2 per axis).
 * weights: OIHW, i.e. [out_channels][in_channels][kernel_y][kernel_x], kx fastest. The file stores
 * [ky][kx][in][out]; the reader transposes. Kernel sizes are odd. */
typedef struct tg_conv_layer {
    const char *name;
    int32_t kernel_y, kernel_x;
    int32_t in_channels, out_channels;
    int32_t dilation_y, dilation_x;
    const float *weights;
} tg_conv_layer;

/* Inference-mode batch norm: y = (x - mean) / sqrt(variance + epsilon) * scale + bias, per channel.
 * When the file has no scale (has_scale 0) `scale` is all ones; with no bias `bias` is all zeros,
 * so a backend never needs to branch on the flags. merged_scale/merged_bias fold it into
 * y = x * merged_scale + merged_bias, computed in float exactly as KataGo does
 * (merged_scale = scale / sqrtf(variance + epsilon), merged_bias = bias - merged_scale * mean).
 * Recent KataGo nets write "bias masks" and fixed-scale norms in this same form. */
typedef struct tg_bn_layer {
    const char *name;
    int32_t channels;
    float epsilon;
    int32_t has_scale, has_bias;
    const float *mean, *variance, *scale, *bias;  /* [channels] each */
    const float *merged_scale, *merged_bias;      /* [channels] each */
} tg_bn_layer;

typedef struct tg_act_layer {
    const char *name;
    int32_t kind;  /* TG_ACT_* */
} tg_act_layer;

/* y = x W with x a row of in_channels. weights: [in_channels][out_channels] row-major (out fastest),
 * the file's order unchanged. */
typedef struct tg_matmul_layer {
    const char *name;
    int32_t in_channels, out_channels;
    const float *weights;
} tg_matmul_layer;

/* y = x + b, per channel. */
typedef struct tg_matbias_layer {
    const char *name;
    int32_t channels;
    const float *weights;  /* [channels] */
} tg_matbias_layer;

/* The v17 trunk-tip RMS norm: y = x / sqrt(mean(x^2) + epsilon) * gamma + beta. When `spatial` is 0
 * the mean runs over the channels of each board point; when 1 it runs over channels and the points
 * of the board (masked). group_size is always 0 (KataGo rejects grouped norms; so does the reader). */
typedef struct tg_rmsnorm_layer {
    const char *name;
    int32_t channels;
    float epsilon;
    int32_t spatial;
    int32_t group_size;
    const float *gamma, *beta;  /* [channels] each */
} tg_rmsnorm_layer;

/* The per-point RMS norm inside transformer blocks: y = x / sqrt(mean_c(x^2) + epsilon) * weight. */
typedef struct tg_tf_norm_layer {
    const char *name;
    int32_t channels;
    float epsilon;
    const float *weight;  /* [channels] */
} tg_tf_norm_layer;

/* ------------------------------------------------------------------ blocks */

/* Block kinds, numbered as KataGo numbers them (1 was the retired dilated block). */
enum {
    TG_BLOCK_ORDINARY = 0,
    TG_BLOCK_GPOOL = 2,
    TG_BLOCK_NESTED_BOTTLENECK = 3,
    TG_BLOCK_TRANSFORMER_ATTENTION = 4,
    TG_BLOCK_TRANSFORMER_FFN = 5
};

/* out = x + final_conv(mid_act(mid_bn(regular_conv(pre_act(pre_bn(x)))))) */
typedef struct tg_residual_block {
    const char *name;
    tg_bn_layer pre_bn;
    tg_act_layer pre_act;
    tg_conv_layer regular_conv;
    tg_bn_layer mid_bn;
    tg_act_layer mid_act;
    tg_conv_layer final_conv;
} tg_residual_block;

/* Like the ordinary block, but after pre_act the input also goes through gpool_conv, gpool_bn and
 * gpool_act, is pooled over the board (3 * gpool channels: KataGo's mean / scaled-mean / max
 * pooling), and gpool_to_bias_mul turns that into a per-channel bias added to regular_conv's output
 * before mid_bn. */
typedef struct tg_gpool_block {
    const char *name;
    tg_bn_layer pre_bn;
    tg_act_layer pre_act;
    tg_conv_layer regular_conv;
    tg_conv_layer gpool_conv;
    tg_bn_layer gpool_bn;
    tg_act_layer gpool_act;
    tg_matmul_layer gpool_to_bias_mul;  /* in = 3 * gpool_conv.out_channels, out = regular_conv.out */
    tg_bn_layer mid_bn;
    tg_act_layer mid_act;
    tg_conv_layer final_conv;
} tg_gpool_block;

struct tg_block;

/* out = x + post_conv(post_act(post_bn(stack(pre_conv(pre_act(pre_bn(x))))))), where `stack` runs
 * the inner blocks in order at pre_conv.out_channels width. Inner blocks may themselves be nested. */
typedef struct tg_nested_block {
    const char *name;
    tg_bn_layer pre_bn;
    tg_act_layer pre_act;
    tg_conv_layer pre_conv;
    int32_t num_blocks;
    const struct tg_block *blocks;  /* [num_blocks] */
    tg_bn_layer post_bn;
    tg_act_layer post_act;
    tg_conv_layer post_conv;
} tg_nested_block;

/* Pre-norm self-attention over the board points, with grouped-query attention:
 *   h = pre_norm(x); q = h q_proj, k = h k_proj, v = h v_proj (per point);
 *   query head i uses key/value head i / (num_heads / num_kv_heads);
 *   RoPE (if use_rope) rotates q and k in interleaved pairs (2p, 2p+1), p < q_head_dim / 2;
 *   out = x + concat_heads(softmax(q k^T / sqrt(q_head_dim)) v) out_proj, off-board keys masked.
 * RoPE angle for point (x, y) and pair p:
 *   learnable_rope: x * f[h][p][0] + y * f[h][p][1], f = rope_freqs [rope_num_kv_heads][rope_num_pairs][2]
 *                   (h the kv head; a query head uses its kv head's table);
 *   fixed: with P = q_head_dim / 2 pairs and D = P/2 (integer), pairs p < D use
 *          y * rope_theta^(-2p / P) and pairs p >= D use x * rope_theta^(-2(p - D) / P).
 * Projections carry no bias. rope_freqs is NULL and rope_theta 0 when they do not apply. */
typedef struct tg_attention_block {
    const char *name;
    int32_t num_heads, num_kv_heads;
    int32_t q_head_dim, v_head_dim;
    int32_t use_rope, learnable_rope;
    tg_tf_norm_layer pre_norm;
    tg_matmul_layer q_proj;    /* [C][num_heads * q_head_dim] */
    tg_matmul_layer k_proj;    /* [C][num_kv_heads * q_head_dim] */
    tg_matmul_layer v_proj;    /* [C][num_kv_heads * v_head_dim] */
    tg_matmul_layer out_proj;  /* [num_heads * v_head_dim][C] */
    const char *rope_name;     /* the file's name for the RoPE entry, NULL without RoPE */
    int32_t rope_num_kv_heads, rope_num_pairs;
    const float *rope_freqs;
    float rope_theta;
} tg_attention_block;

/* Pre-norm feed-forward per point: h = pre_norm(x);
 *   use_swiglu: out = x + (silu(h linear1) * (h linear_gate)) linear2
 *   otherwise:  out = x + act(h linear1) linear2, where the file does not record `act` (it is the
 *               training config's activation); every KataGo backend refuses such blocks, and
 *               tengen's backends may do the same. linear_gate is all zero when use_swiglu is 0. */
typedef struct tg_ffn_block {
    const char *name;
    int32_t channels, ffn_channels;
    int32_t use_swiglu;
    tg_tf_norm_layer pre_norm;
    tg_matmul_layer linear1;      /* [channels][ffn_channels] */
    tg_matmul_layer linear_gate;  /* [channels][ffn_channels] */
    tg_matmul_layer linear2;      /* [ffn_channels][channels] */
} tg_ffn_block;

/* A tagged block: `kind` says which union member is valid. */
typedef struct tg_block {
    int32_t kind;  /* TG_BLOCK_* */
    union {
        const tg_residual_block *ordinary;
        const tg_gpool_block *gpool;
        const tg_nested_block *nested;
        const tg_attention_block *attention;
        const tg_ffn_block *ffn;
        const void *any;
    } u;
} tg_block;

/* ------------------------------------------------------------------ trunk and heads */

/* SGF metadata encoder (v15+, meta_encoder_version 1): an MLP from num_input_meta_channels (192)
 * features to the trunk width, added to the trunk input at every point:
 *   mul3(act2(bias2(mul2(act1(bias1(mul1(meta))))))) */
typedef struct tg_meta_encoder {
    const char *name;
    int32_t version;
    int32_t in_channels;
    tg_matmul_layer mul1;
    tg_matbias_layer bias1;
    tg_act_layer act1;
    tg_matmul_layer mul2;
    tg_matbias_layer bias2;
    tg_act_layer act2;
    tg_matmul_layer mul3;
} tg_meta_encoder;

enum {
    TG_TRUNK_NORM_BATCHNORM = 0,  /* tip_bn is valid (KataGo's "standard": batch norm or bias mask) */
    TG_TRUNK_NORM_RMSNORM = 1     /* tip_rmsnorm is valid (v17) */
};

/* trunk = blocks(initial_conv(spatial) + initial_matmul(global) broadcast [+ meta_encoder(meta)]),
 * then tip norm and tip_act. mid/regular/dilated/gpool_channels are the header's informational
 * figures (KataGo checks only that they are positive); the layers carry the real sizes. */
typedef struct tg_trunk {
    const char *name;
    int32_t num_blocks;
    int32_t channels;          /* trunk width */
    int32_t mid_channels;
    int32_t regular_channels;
    int32_t dilated_channels;
    int32_t gpool_channels;
    int32_t norm_kind;         /* TG_TRUNK_NORM_* */
    tg_conv_layer initial_conv;
    tg_matmul_layer initial_matmul;
    int32_t has_meta_encoder;
    tg_meta_encoder meta_encoder;  /* all zero unless has_meta_encoder */
    const tg_block *blocks;        /* [num_blocks] */
    tg_bn_layer tip_bn;            /* norm_kind == TG_TRUNK_NORM_BATCHNORM */
    tg_rmsnorm_layer tip_rmsnorm;  /* norm_kind == TG_TRUNK_NORM_RMSNORM */
    tg_act_layer tip_act;
} tg_trunk;

/* Policy head. With t the trunk output:
 *   p = p1_conv(t); g = g1_act(g1_bn(g1_conv(t))); pooled = gpool(g) (3 * g1 channels, trunk-style);
 *   p = p1_act(p1_bn(p + pooled gpool_to_bias_mul)); policy = p2_conv(p);
 *   pass = pooled gpool_to_pass_mul                                    (v8..14)
 *   pass = pass_act(pooled gpool_to_pass_mul + gpool_to_pass_bias) gpool_to_pass_mul2   (v15+)
 * Output channels (num_policy_channels): 1 before v12 (policy); 2 for v12..15 (policy, optimistic
 * policy); 4 for v16 (and v17 when the file says so: policy, optimistic, q-winloss, q-score). */
typedef struct tg_policy_head {
    const char *name;
    int32_t out_channels;
    tg_conv_layer p1_conv;
    tg_conv_layer g1_conv;
    tg_bn_layer g1_bn;
    tg_act_layer g1_act;
    tg_matmul_layer gpool_to_bias_mul;
    tg_bn_layer p1_bn;
    tg_act_layer p1_act;
    tg_conv_layer p2_conv;
    tg_matmul_layer gpool_to_pass_mul;
    int32_t has_pass_mlp;  /* v15+: the three layers below are valid */
    tg_matbias_layer gpool_to_pass_bias;
    tg_act_layer pass_act;
    tg_matmul_layer gpool_to_pass_mul2;
} tg_policy_head;

/* Value head:
 *   v = v1_act(v1_bn(v1_conv(t))); pooled = value-head gpool(v) (3 * v1 channels);
 *   h = v2_act(pooled v2_mul + v2_bias);
 *   value = h v3_mul + v3_bias (3: win, loss, no-result logits);
 *   score_value = h sv3_mul + sv3_bias (v8: 4, v9+: 6 channels);
 *   ownership = ownership_conv(v) (1 channel). */
typedef struct tg_value_head {
    const char *name;
    tg_conv_layer v1_conv;
    tg_bn_layer v1_bn;
    tg_act_layer v1_act;
    tg_matmul_layer v2_mul;
    tg_matbias_layer v2_bias;
    tg_act_layer v2_act;
    tg_matmul_layer v3_mul;
    tg_matbias_layer v3_bias;
    tg_matmul_layer sv3_mul;
    tg_matbias_layer sv3_bias;
    tg_conv_layer ownership_conv;
} tg_value_head;

/* Output scalings applied by the core after the forward pass. Files from v13 on carry the first seven;
 * older files get KataGo's defaults (20, 20, 20, 20, 40, 0.25, 30). output_scale_multiplier is never
 * in a file: it is 1 unless activations were rescaled (8 after a scale-by-1/8 rewrite). */
typedef struct tg_postprocess {
    double td_score_multiplier;
    double score_mean_multiplier;
    double score_stdev_multiplier;
    double lead_multiplier;
    double variance_time_multiplier;
    double shortterm_value_error_multiplier;
    double shortterm_score_error_multiplier;
    float output_scale_multiplier;
} tg_postprocess;

/* KataGo's values for models that carry none (versions before 13). */
static inline void tg_postprocess_default(tg_postprocess *pp) {
    pp->td_score_multiplier = 20.0;
    pp->score_mean_multiplier = 20.0;
    pp->score_stdev_multiplier = 20.0;
    pp->lead_multiplier = 20.0;
    pp->variance_time_multiplier = 40.0;
    pp->shortterm_value_error_multiplier = 0.25;
    pp->shortterm_score_error_multiplier = 30.0;
    pp->output_scale_multiplier = 1.0f;
}

/* ------------------------------------------------------------------ the model */

typedef struct tg_model {
    uint32_t abi_version;  /* TG_MODEL_ABI_VERSION of the core that built it */
    uint32_t struct_size;  /* sizeof(tg_model) in that core */

    const char *name;      /* the name inside the file */
    const char *file_name; /* the path it was loaded from (or "" when built in memory) */
    const char *sha256;    /* hex digest of the uncompressed file, or "" when not computed */

    int32_t version;                 /* KataGo model version, 8..17 */
    int32_t inputs_version;          /* KataGo input-feature version: 7 for every supported model */
    int32_t num_input_channels;      /* spatial input features (22 for V7) */
    int32_t num_input_global_channels; /* global input features (19 for V7) */
    int32_t num_input_meta_channels; /* 0, or 192 with an SGF metadata encoder */
    int32_t meta_encoder_version;    /* 0 or 1 */
    int32_t num_policy_channels;     /* policy.out_channels */
    int32_t num_value_channels;      /* 3 */
    int32_t num_score_value_channels;/* 4 (v8) or 6 */
    int32_t num_ownership_channels;  /* 1 */
    int32_t prefer_pass_alive_under_suicide_rules; /* v15+ header flag: compute pass-alive features as
                                                      if multi-stone suicide were legal */
    int32_t has_transformer;         /* any attention/FFN block, at any nesting depth */

    int64_t num_parameters;          /* learnable parameters, counted as KataGo counts them */
    int64_t num_floats;              /* floats read from the file */

    tg_postprocess postprocess;
    tg_trunk trunk;
    tg_policy_head policy;
    tg_value_head value;

    /* Room to grow within ABI version 1; always zero today. */
    const void *reserved_ptr[8];
    int64_t reserved_int[8];

    /* Core-private bookkeeping (the allocations behind every pointer above). Plugins: do not touch. */
    void *priv;
} tg_model;

/* ------------------------------------------------------------------ inline helpers
 * Static inline so a plugin can use them without linking against the core. */

static inline const char *tg_activation_name(int32_t kind) {
    switch (kind) {
    case TG_ACT_IDENTITY: return "identity";
    case TG_ACT_RELU: return "relu";
    case TG_ACT_MISH: return "mish";
    case TG_ACT_SILU: return "silu";
    case TG_ACT_MISH_SCALE8: return "mish_scale8";
    default: return "unknown";
    }
}

static inline const char *tg_block_kind_name(int32_t kind) {
    switch (kind) {
    case TG_BLOCK_ORDINARY: return "ordinary";
    case TG_BLOCK_GPOOL: return "gpool";
    case TG_BLOCK_NESTED_BOTTLENECK: return "nested_bottleneck";
    case TG_BLOCK_TRANSFORMER_ATTENTION: return "transformer_attention";
    case TG_BLOCK_TRANSFORMER_FFN: return "transformer_ffn";
    default: return "unknown";
    }
}

/* The largest channel count of any conv layer with the given kernel size in the whole network
 * (KataGo's maxConvChannels), for sizing scratch buffers. Returns 0 when there is none. */
static inline int32_t tg_conv_max_channels_(const tg_conv_layer *c, int32_t ky, int32_t kx, int32_t m) {
    if (c->weights && c->kernel_y == ky && c->kernel_x == kx) {
        if (c->in_channels > m) m = c->in_channels;
        if (c->out_channels > m) m = c->out_channels;
    }
    return m;
}

static inline int32_t tg_blocks_max_conv_channels(const tg_block *blocks, int32_t n, int32_t ky, int32_t kx) {
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        const tg_block *b = &blocks[i];
        if (b->kind == TG_BLOCK_ORDINARY) {
            m = tg_conv_max_channels_(&b->u.ordinary->regular_conv, ky, kx, m);
            m = tg_conv_max_channels_(&b->u.ordinary->final_conv, ky, kx, m);
        } else if (b->kind == TG_BLOCK_GPOOL) {
            m = tg_conv_max_channels_(&b->u.gpool->regular_conv, ky, kx, m);
            m = tg_conv_max_channels_(&b->u.gpool->gpool_conv, ky, kx, m);
            m = tg_conv_max_channels_(&b->u.gpool->final_conv, ky, kx, m);
        } else if (b->kind == TG_BLOCK_NESTED_BOTTLENECK) {
            const tg_nested_block *nb = b->u.nested;
            int32_t inner = tg_blocks_max_conv_channels(nb->blocks, nb->num_blocks, ky, kx);
            if (inner > m) m = inner;
            m = tg_conv_max_channels_(&nb->pre_conv, ky, kx, m);
            m = tg_conv_max_channels_(&nb->post_conv, ky, kx, m);
        }
    }
    return m;
}

static inline int32_t tg_model_max_conv_channels(const tg_model *model, int32_t ky, int32_t kx) {
    int32_t m = tg_blocks_max_conv_channels(model->trunk.blocks, model->trunk.num_blocks, ky, kx);
    m = tg_conv_max_channels_(&model->trunk.initial_conv, ky, kx, m);
    m = tg_conv_max_channels_(&model->policy.p1_conv, ky, kx, m);
    m = tg_conv_max_channels_(&model->policy.g1_conv, ky, kx, m);
    m = tg_conv_max_channels_(&model->policy.p2_conv, ky, kx, m);
    m = tg_conv_max_channels_(&model->value.v1_conv, ky, kx, m);
    m = tg_conv_max_channels_(&model->value.ownership_conv, ky, kx, m);
    return m;
}

#ifdef __cplusplus
}
#endif

#endif /* TENGEN_MODEL_H */
