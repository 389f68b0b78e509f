/* Model reader/writer tests: the shipped networks' known shapes, write/read round trips of random
 * networks of every version and block layout, hand-made corruptions with the error text they must
 * produce, and a fuzz pass (truncations and byte flips) over the shipped networks that must only
 * ever give clean errors or valid models. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "nn/model_reader.h"
#include "nn/model_writer.h"

static char tmpdir[256];

/* ------------------------------------------------------------------ deep comparison */

static char diff_at[512];

static bool same_str(const char *a, const char *b, const char *what) {
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0)) {
        snprintf(diff_at, sizeof diff_at, "%s: '%s' vs '%s'", what, a ? a : "(null)", b ? b : "(null)");
        return false;
    }
    return true;
}

static bool same_int(int64_t a, int64_t b, const char *what, const char *layer) {
    if (a != b) {
        snprintf(diff_at, sizeof diff_at, "%s %s: %lld vs %lld", layer ? layer : "", what, (long long)a,
                 (long long)b);
        return false;
    }
    return true;
}

static bool same_floats(const float *a, const float *b, size_t n, const char *what, const char *layer) {
    if (n == 0)
        return true;
    if (!a || !b) {
        snprintf(diff_at, sizeof diff_at, "%s %s: missing array", layer ? layer : "", what);
        return false;
    }
    if (memcmp(a, b, n * sizeof(float)) != 0) {
        for (size_t i = 0; i < n; i++)
            if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
                snprintf(diff_at, sizeof diff_at, "%s %s[%zu]: %.9g vs %.9g", layer ? layer : "", what, i,
                         (double)a[i], (double)b[i]);
                break;
            }
        return false;
    }
    return true;
}

/* Derived values may differ in the last bit if a compiler contracts one computation into an FMA. */
static bool close_floats(const float *a, const float *b, size_t n, const char *what, const char *layer) {
    for (size_t i = 0; i < n; i++)
        if (fabsf(a[i] - b[i]) > 1e-6f * (1.0f + fabsf(a[i]))) {
            snprintf(diff_at, sizeof diff_at, "%s %s[%zu]: %.9g vs %.9g", layer, what, i, (double)a[i], (double)b[i]);
            return false;
        }
    return true;
}

static bool same_conv(const tg_conv_layer *a, const tg_conv_layer *b) {
    return same_str(a->name, b->name, "conv name") && same_int(a->kernel_y, b->kernel_y, "ky", a->name) &&
           same_int(a->kernel_x, b->kernel_x, "kx", a->name) &&
           same_int(a->in_channels, b->in_channels, "in", a->name) &&
           same_int(a->out_channels, b->out_channels, "out", a->name) &&
           same_int(a->dilation_y, b->dilation_y, "dy", a->name) &&
           same_int(a->dilation_x, b->dilation_x, "dx", a->name) &&
           same_floats(a->weights, b->weights,
                       (size_t)a->kernel_y * a->kernel_x * a->in_channels * a->out_channels, "weights", a->name);
}

static bool same_bn(const tg_bn_layer *a, const tg_bn_layer *b) {
    size_t n = (size_t)a->channels;
    return same_str(a->name, b->name, "bn name") && same_int(a->channels, b->channels, "channels", a->name) &&
           same_int(a->has_scale, b->has_scale, "has_scale", a->name) &&
           same_int(a->has_bias, b->has_bias, "has_bias", a->name) &&
           same_floats(&a->epsilon, &b->epsilon, 1, "epsilon", a->name) &&
           same_floats(a->mean, b->mean, n, "mean", a->name) &&
           same_floats(a->variance, b->variance, n, "variance", a->name) &&
           same_floats(a->scale, b->scale, n, "scale", a->name) && same_floats(a->bias, b->bias, n, "bias", a->name) &&
           close_floats(a->merged_scale, b->merged_scale, n, "merged_scale", a->name) &&
           close_floats(a->merged_bias, b->merged_bias, n, "merged_bias", a->name);
}

static bool same_act(const tg_act_layer *a, const tg_act_layer *b) {
    return same_str(a->name, b->name, "act name") && same_int(a->kind, b->kind, "activation", a->name);
}

static bool same_matmul(const tg_matmul_layer *a, const tg_matmul_layer *b) {
    return same_str(a->name, b->name, "matmul name") && same_int(a->in_channels, b->in_channels, "in", a->name) &&
           same_int(a->out_channels, b->out_channels, "out", a->name) &&
           same_floats(a->weights, b->weights, (size_t)a->in_channels * a->out_channels, "weights", a->name);
}

static bool same_matbias(const tg_matbias_layer *a, const tg_matbias_layer *b) {
    return same_str(a->name, b->name, "matbias name") && same_int(a->channels, b->channels, "channels", a->name) &&
           same_floats(a->weights, b->weights, (size_t)a->channels, "weights", a->name);
}

static bool same_tf_norm(const tg_tf_norm_layer *a, const tg_tf_norm_layer *b) {
    return same_str(a->name, b->name, "norm name") && same_int(a->channels, b->channels, "channels", a->name) &&
           same_floats(&a->epsilon, &b->epsilon, 1, "epsilon", a->name) &&
           same_floats(a->weight, b->weight, (size_t)a->channels, "weight", a->name);
}

static bool same_blocks(const tg_block *a, const tg_block *b, int32_t n);

static bool same_block(const tg_block *a, const tg_block *b) {
    if (!same_int(a->kind, b->kind, "block kind", ""))
        return false;
    switch (a->kind) {
    case TG_BLOCK_ORDINARY: {
        const tg_residual_block *x = a->u.ordinary, *y = b->u.ordinary;
        return same_str(x->name, y->name, "block name") && same_bn(&x->pre_bn, &y->pre_bn) &&
               same_act(&x->pre_act, &y->pre_act) && same_conv(&x->regular_conv, &y->regular_conv) &&
               same_bn(&x->mid_bn, &y->mid_bn) && same_act(&x->mid_act, &y->mid_act) &&
               same_conv(&x->final_conv, &y->final_conv);
    }
    case TG_BLOCK_GPOOL: {
        const tg_gpool_block *x = a->u.gpool, *y = b->u.gpool;
        return same_str(x->name, y->name, "block name") && same_bn(&x->pre_bn, &y->pre_bn) &&
               same_act(&x->pre_act, &y->pre_act) && same_conv(&x->regular_conv, &y->regular_conv) &&
               same_conv(&x->gpool_conv, &y->gpool_conv) && same_bn(&x->gpool_bn, &y->gpool_bn) &&
               same_act(&x->gpool_act, &y->gpool_act) && same_matmul(&x->gpool_to_bias_mul, &y->gpool_to_bias_mul) &&
               same_bn(&x->mid_bn, &y->mid_bn) && same_act(&x->mid_act, &y->mid_act) &&
               same_conv(&x->final_conv, &y->final_conv);
    }
    case TG_BLOCK_NESTED_BOTTLENECK: {
        const tg_nested_block *x = a->u.nested, *y = b->u.nested;
        return same_str(x->name, y->name, "block name") && same_int(x->num_blocks, y->num_blocks, "inner", x->name) &&
               same_bn(&x->pre_bn, &y->pre_bn) && same_act(&x->pre_act, &y->pre_act) &&
               same_conv(&x->pre_conv, &y->pre_conv) && same_blocks(x->blocks, y->blocks, x->num_blocks) &&
               same_bn(&x->post_bn, &y->post_bn) && same_act(&x->post_act, &y->post_act) &&
               same_conv(&x->post_conv, &y->post_conv);
    }
    case TG_BLOCK_TRANSFORMER_ATTENTION: {
        const tg_attention_block *x = a->u.attention, *y = b->u.attention;
        return same_str(x->name, y->name, "block name") && same_int(x->num_heads, y->num_heads, "heads", x->name) &&
               same_int(x->num_kv_heads, y->num_kv_heads, "kv heads", x->name) &&
               same_int(x->q_head_dim, y->q_head_dim, "q dim", x->name) &&
               same_int(x->v_head_dim, y->v_head_dim, "v dim", x->name) &&
               same_int(x->use_rope, y->use_rope, "rope", x->name) &&
               same_int(x->learnable_rope, y->learnable_rope, "learnable", x->name) &&
               same_tf_norm(&x->pre_norm, &y->pre_norm) && same_matmul(&x->q_proj, &y->q_proj) &&
               same_matmul(&x->k_proj, &y->k_proj) && same_matmul(&x->v_proj, &y->v_proj) &&
               same_matmul(&x->out_proj, &y->out_proj) && same_str(x->rope_name, y->rope_name, "rope name") &&
               same_int(x->rope_num_kv_heads, y->rope_num_kv_heads, "rope kv", x->name) &&
               same_int(x->rope_num_pairs, y->rope_num_pairs, "rope pairs", x->name) &&
               same_floats(x->rope_freqs, y->rope_freqs, (size_t)x->rope_num_kv_heads * x->rope_num_pairs * 2,
                           "rope freqs", x->name) &&
               same_floats(&x->rope_theta, &y->rope_theta, 1, "rope theta", x->name);
    }
    case TG_BLOCK_TRANSFORMER_FFN: {
        const tg_ffn_block *x = a->u.ffn, *y = b->u.ffn;
        return same_str(x->name, y->name, "block name") && same_int(x->channels, y->channels, "ch", x->name) &&
               same_int(x->ffn_channels, y->ffn_channels, "ffn ch", x->name) &&
               same_int(x->use_swiglu, y->use_swiglu, "swiglu", x->name) &&
               same_tf_norm(&x->pre_norm, &y->pre_norm) && same_matmul(&x->linear1, &y->linear1) &&
               same_matmul(&x->linear_gate, &y->linear_gate) && same_matmul(&x->linear2, &y->linear2);
    }
    default:
        snprintf(diff_at, sizeof diff_at, "unknown block kind %d", (int)a->kind);
        return false;
    }
}

static bool same_blocks(const tg_block *a, const tg_block *b, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        if (!same_block(&a[i], &b[i]))
            return false;
    return true;
}

static bool same_model(const tg_model *a, const tg_model *b) {
    const tg_trunk *ta = &a->trunk, *tb = &b->trunk;
    const tg_policy_head *pa = &a->policy, *pb = &b->policy;
    const tg_value_head *va = &a->value, *vb = &b->value;
    const tg_postprocess *qa = &a->postprocess, *qb = &b->postprocess;
    bool ok = same_str(a->name, b->name, "model name") && same_int(a->version, b->version, "version", "model") &&
              same_int(a->num_input_channels, b->num_input_channels, "inputs", "model") &&
              same_int(a->num_input_global_channels, b->num_input_global_channels, "global inputs", "model") &&
              same_int(a->num_input_meta_channels, b->num_input_meta_channels, "meta inputs", "model") &&
              same_int(a->num_policy_channels, b->num_policy_channels, "policy ch", "model") &&
              same_int(a->num_score_value_channels, b->num_score_value_channels, "score ch", "model") &&
              same_int(a->prefer_pass_alive_under_suicide_rules, b->prefer_pass_alive_under_suicide_rules,
                       "pass-alive flag", "model") &&
              same_int(a->has_transformer, b->has_transformer, "has_transformer", "model") &&
              same_int(a->num_parameters, b->num_parameters, "params", "model") &&
              same_int(a->num_floats, b->num_floats, "floats", "model");
    ok = ok && qa->td_score_multiplier == qb->td_score_multiplier &&
         qa->score_mean_multiplier == qb->score_mean_multiplier &&
         qa->score_stdev_multiplier == qb->score_stdev_multiplier && qa->lead_multiplier == qb->lead_multiplier &&
         qa->variance_time_multiplier == qb->variance_time_multiplier &&
         qa->shortterm_value_error_multiplier == qb->shortterm_value_error_multiplier &&
         qa->shortterm_score_error_multiplier == qb->shortterm_score_error_multiplier &&
         qa->output_scale_multiplier == qb->output_scale_multiplier;
    if (!ok && !diff_at[0])
        snprintf(diff_at, sizeof diff_at, "post-process multipliers");
    ok = ok && same_str(ta->name, tb->name, "trunk name") && same_int(ta->num_blocks, tb->num_blocks, "blocks", "") &&
         same_int(ta->channels, tb->channels, "trunk ch", "") && same_int(ta->mid_channels, tb->mid_channels, "mid", "") &&
         same_int(ta->regular_channels, tb->regular_channels, "regular", "") &&
         same_int(ta->dilated_channels, tb->dilated_channels, "dilated", "") &&
         same_int(ta->gpool_channels, tb->gpool_channels, "gpool", "") &&
         same_int(ta->norm_kind, tb->norm_kind, "norm kind", "") &&
         same_conv(&ta->initial_conv, &tb->initial_conv) && same_matmul(&ta->initial_matmul, &tb->initial_matmul) &&
         same_int(ta->has_meta_encoder, tb->has_meta_encoder, "meta", "");
    if (ok && ta->has_meta_encoder) {
        const tg_meta_encoder *x = &ta->meta_encoder, *y = &tb->meta_encoder;
        ok = same_str(x->name, y->name, "meta name") && same_int(x->version, y->version, "meta version", "") &&
             same_int(x->in_channels, y->in_channels, "meta in", "") && same_matmul(&x->mul1, &y->mul1) &&
             same_matbias(&x->bias1, &y->bias1) && same_act(&x->act1, &y->act1) && same_matmul(&x->mul2, &y->mul2) &&
             same_matbias(&x->bias2, &y->bias2) && same_act(&x->act2, &y->act2) && same_matmul(&x->mul3, &y->mul3);
    }
    ok = ok && same_blocks(ta->blocks, tb->blocks, ta->num_blocks);
    if (ok && ta->norm_kind == TG_TRUNK_NORM_RMSNORM) {
        const tg_rmsnorm_layer *x = &ta->tip_rmsnorm, *y = &tb->tip_rmsnorm;
        ok = same_str(x->name, y->name, "rms name") && same_int(x->channels, y->channels, "rms ch", "") &&
             same_int(x->spatial, y->spatial, "rms spatial", "") &&
             same_floats(&x->epsilon, &y->epsilon, 1, "rms eps", x->name) &&
             same_floats(x->gamma, y->gamma, (size_t)x->channels, "gamma", x->name) &&
             same_floats(x->beta, y->beta, (size_t)x->channels, "beta", x->name);
    } else if (ok) {
        ok = same_bn(&ta->tip_bn, &tb->tip_bn);
    }
    ok = ok && same_act(&ta->tip_act, &tb->tip_act);
    ok = ok && same_str(pa->name, pb->name, "policy name") &&
         same_int(pa->out_channels, pb->out_channels, "policy out", "") && same_conv(&pa->p1_conv, &pb->p1_conv) &&
         same_conv(&pa->g1_conv, &pb->g1_conv) && same_bn(&pa->g1_bn, &pb->g1_bn) &&
         same_act(&pa->g1_act, &pb->g1_act) && same_matmul(&pa->gpool_to_bias_mul, &pb->gpool_to_bias_mul) &&
         same_bn(&pa->p1_bn, &pb->p1_bn) && same_act(&pa->p1_act, &pb->p1_act) &&
         same_conv(&pa->p2_conv, &pb->p2_conv) && same_matmul(&pa->gpool_to_pass_mul, &pb->gpool_to_pass_mul) &&
         same_int(pa->has_pass_mlp, pb->has_pass_mlp, "pass mlp", "");
    if (ok && pa->has_pass_mlp)
        ok = same_matbias(&pa->gpool_to_pass_bias, &pb->gpool_to_pass_bias) && same_act(&pa->pass_act, &pb->pass_act) &&
             same_matmul(&pa->gpool_to_pass_mul2, &pb->gpool_to_pass_mul2);
    ok = ok && same_str(va->name, vb->name, "value name") && same_conv(&va->v1_conv, &vb->v1_conv) &&
         same_bn(&va->v1_bn, &vb->v1_bn) && same_act(&va->v1_act, &vb->v1_act) && same_matmul(&va->v2_mul, &vb->v2_mul) &&
         same_matbias(&va->v2_bias, &vb->v2_bias) && same_act(&va->v2_act, &vb->v2_act) &&
         same_matmul(&va->v3_mul, &vb->v3_mul) && same_matbias(&va->v3_bias, &vb->v3_bias) &&
         same_matmul(&va->sv3_mul, &vb->sv3_mul) && same_matbias(&va->sv3_bias, &vb->sv3_bias) &&
         same_conv(&va->ownership_conv, &vb->ownership_conv);
    return ok;
}

/* ------------------------------------------------------------------ helpers */

static tg_model *load_mem(const unsigned char *data, size_t len, int format, const char *name, char *err,
                          size_t errlen) {
    err[0] = '\0';
    return tg_model_load_buffer(data, len, format, name, err, errlen);
}

/* Writes m to memory in the given format and reads it back, checking the copy is identical. */
static void check_round_trip(const tg_model *m, bool text, const char *label) {
    unsigned char *buf;
    size_t len;
    char err[512];
    bool wrote = tg_model_write_buffer(m, text, &buf, &len, err, sizeof err);
    CHECKF(wrote, "%s: write failed: %s", label, err);
    if (!wrote)
        return;
    tg_model *back = load_mem(buf, len, text ? TG_MODEL_FORMAT_TEXT : TG_MODEL_FORMAT_BINARY, label, err, sizeof err);
    CHECKF(back != NULL, "%s (%s): read back failed: %s", label, text ? "text" : "binary", err);
    if (back) {
        diff_at[0] = '\0';
        CHECKF(same_model(m, back), "%s (%s): read back differs at %s", label, text ? "text" : "binary", diff_at);
        tg_model_free(back);
    }
    free(buf);
}

static bool contains(const char *haystack, const char *needle) {
    return strstr(haystack, needle) != NULL;
}

/* A malloc'd copy of buf with the first occurrence of `from` replaced by `to`, or NULL if absent. */
static unsigned char *splice(const unsigned char *buf, size_t len, const char *from, const char *to,
                             size_t *out_len) {
    size_t n = strlen(from), k = strlen(to);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, from, n) == 0) {
            unsigned char *out = malloc(len - n + k);
            memcpy(out, buf, i);
            memcpy(out + i, to, k);
            memcpy(out + i + k, buf + i + n, len - i - n);
            *out_len = len - n + k;
            return out;
        }
    return NULL;
}

/* Finds the offset just past the first occurrence of s. */
static size_t find_after(const unsigned char *buf, size_t len, const char *s) {
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, s, n) == 0)
            return i + n;
    return 0;
}

static uint64_t rng_state = 0x1234567887654321ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ------------------------------------------------------------------ random network round trips */

static void test_round_trips(void) {
    static const tg_model_spec_block inner_conv[] = {{.kind = TG_BLOCK_ORDINARY}, {.kind = TG_BLOCK_GPOOL}};
    static const tg_model_spec_block inner_deep[] = {
        {.kind = TG_BLOCK_NESTED_BOTTLENECK, .num_inner = 2, .inner = inner_conv, .inner_channels = 6},
        {.kind = TG_BLOCK_ORDINARY, .kernel = 1},
    };
    static const tg_model_spec_block inner_tf[] = {
        {.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .num_heads = 2, .q_head_dim = 4, .rope = TG_SPEC_ROPE_FIXED},
        {.kind = TG_BLOCK_TRANSFORMER_FFN},
    };
    static const tg_model_spec_block classic[] = {
        {.kind = TG_BLOCK_ORDINARY},
        {.kind = TG_BLOCK_GPOOL, .gpool_channels = 5, .mid_channels = 12},
        {.kind = TG_BLOCK_ORDINARY, .mid_channels = 7, .kernel = 5},
    };
    static const tg_model_spec_block nested[] = {
        {.kind = TG_BLOCK_NESTED_BOTTLENECK, .num_inner = 2, .inner = inner_conv},
        {.kind = TG_BLOCK_NESTED_BOTTLENECK, .num_inner = 2, .inner = inner_deep, .inner_channels = 10},
        {.kind = TG_BLOCK_GPOOL},
    };
    static const tg_model_spec_block transformer[] = {
        {.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .num_heads = 4, .num_kv_heads = 2, .q_head_dim = 8,
         .v_head_dim = 6, .rope = TG_SPEC_ROPE_LEARNABLE},
        {.kind = TG_BLOCK_TRANSFORMER_FFN, .ffn_channels = 20},
        {.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .num_heads = 2, .q_head_dim = 5, .rope = TG_SPEC_ROPE_NONE},
        {.kind = TG_BLOCK_TRANSFORMER_FFN, .no_swiglu = 1},
        {.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .num_heads = 3, .num_kv_heads = 1, .rope = TG_SPEC_ROPE_FIXED},
    };
    static const tg_model_spec_block hybrid[] = {
        {.kind = TG_BLOCK_ORDINARY},
        {.kind = TG_BLOCK_NESTED_BOTTLENECK, .num_inner = 2, .inner = inner_tf, .inner_channels = 8},
        {.kind = TG_BLOCK_TRANSFORMER_FFN},
    };
    struct layout {
        const char *name;
        const tg_model_spec_block *blocks;
        int n;
    } layouts[] = {
        {"classic", classic, 3},
        {"nested", nested, 3},
        {"transformer", transformer, 5},
        {"hybrid", hybrid, 3},
    };
    static const int32_t acts[] = {TG_ACT_RELU, TG_ACT_MISH, TG_ACT_SILU, TG_ACT_IDENTITY};
    int built = 0;
    for (int v = TG_MODEL_VERSION_MIN; v <= TG_MODEL_VERSION_MAX; v++) {
        for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
            tg_model_spec spec = {0};
            spec.version = v;
            spec.trunk_channels = 12 + (int32_t)l;
            spec.num_blocks = layouts[l].n;
            spec.blocks = layouts[l].blocks;
            spec.activation = acts[(v + (int)l) % 4];
            spec.initial_kernel = l % 2 ? 3 : 5;
            spec.bn_without_scale = (v + (int)l) % 3 == 0;
            if (v >= 15) {
                spec.meta_encoder = l % 2 == 0;
                spec.trunk_norm = l >= 2 ? TG_TRUNK_NORM_RMSNORM : TG_TRUNK_NORM_BATCHNORM;
                spec.tip_rmsnorm_spatial = l == 3;
                spec.prefer_pass_alive = l == 1;
            }
            if (v == 17)
                spec.policy_channels = l % 2 ? 4 : 2;
            char label[96], err[512];
            snprintf(label, sizeof label, "random-v%d-%s", v, layouts[l].name);
            tg_model *m = tg_model_build_random(&spec, (uint64_t)(v * 100 + (int)l), err, sizeof err);
            CHECKF(m != NULL, "%s: build failed: %s", label, err);
            if (!m)
                continue;
            built++;
            CHECK(m->version == v);
            CHECK(m->num_policy_channels == (v >= 17 ? (l % 2 ? 4 : 2) : v == 16 ? 4 : v >= 12 ? 2 : 1));
            CHECK(m->num_score_value_channels == (v >= 9 ? 6 : 4));
            CHECK(m->num_input_meta_channels == (spec.meta_encoder ? 192 : 0));
            CHECK(m->has_transformer == (l >= 2));
            check_round_trip(m, false, label);
            check_round_trip(m, true, label);
            tg_model_free(m);
        }
    }
    CHECK(built == 4 * (TG_MODEL_VERSION_MAX - TG_MODEL_VERSION_MIN + 1));

    /* Through real files: .bin.gz, .txt.gz and uncompressed .bin, via tg_model_write_random. */
    static const char *const suffixes[] = {".bin.gz", ".txt.gz", ".bin", ".txt"};
    for (int i = 0; i < 4; i++) {
        tg_model_spec spec = {.version = 8 + 3 * i, .num_blocks = 3, .blocks = i % 2 ? nested : hybrid};
        char path[400], err[512];
        snprintf(path, sizeof path, "%s/rt%d%s", tmpdir, i, suffixes[i]);
        CHECKF(tg_model_write_random(path, &spec, 7 + (uint64_t)i, err, sizeof err), "%s", err);
        tg_model *want = tg_model_build_random(&spec, 7 + (uint64_t)i, err, sizeof err);
        tg_model *got = tg_model_load(path, err, sizeof err);
        CHECKF(got != NULL, "%s: %s", path, err);
        if (want && got) {
            diff_at[0] = '\0';
            CHECKF(same_model(want, got), "%s: differs at %s", path, diff_at);
            CHECK(strcmp(got->file_name, path) == 0);
        }
        tg_model_free(want);
        tg_model_free(got);
        unlink(path);
    }

    /* Bad specs are refused with a message, not built. */
    {
        char err[256] = "";
        tg_model_spec spec = {.version = 7, .num_blocks = 1, .blocks = classic};
        CHECK(tg_model_build_random(&spec, 1, err, sizeof err) == NULL && contains(err, "version"));
        spec.version = 12;
        spec.meta_encoder = 1;
        CHECK(tg_model_build_random(&spec, 1, err, sizeof err) == NULL && contains(err, "15"));
        static const tg_model_spec_block empty_nest[] = {{.kind = TG_BLOCK_NESTED_BOTTLENECK}};
        tg_model_spec spec2 = {.version = 10, .num_blocks = 1, .blocks = empty_nest};
        CHECK(tg_model_build_random(&spec2, 1, err, sizeof err) == NULL && contains(err, "inner"));
    }
}

/* ------------------------------------------------------------------ hand-made corruptions */

/* Builds a small v-version network, lets `damage` alter it, writes it (binary) and returns the
 * reader's error, or "" when it loaded. */
typedef void (*damage_fn)(tg_model *m);

static void load_damaged(int version, const tg_model_spec_block *blocks, int n, damage_fn damage, char *err,
                         size_t errlen) {
    tg_model_spec spec = {.version = version, .trunk_channels = 32, .num_blocks = n, .blocks = blocks};
    tg_model *m = tg_model_build_random(&spec, 99, err, errlen);
    if (!m)
        return;
    damage(m);
    unsigned char *buf;
    size_t len;
    if (!tg_model_write_buffer(m, false, &buf, &len, err, errlen)) {
        tg_model_free(m);
        return;
    }
    tg_model_free(m);
    tg_model *back = load_mem(buf, len, TG_MODEL_FORMAT_BINARY, "bad.bin.gz", err, errlen);
    if (back)
        err[0] = '\0';
    tg_model_free(back);
    free(buf);
}

static void dmg_in_channels(tg_model *m) {
    ((tg_residual_block *)m->trunk.blocks[0].u.ordinary)->regular_conv.in_channels = 31;
}
static void dmg_nan(tg_model *m) {
    ((float *)m->value.v2_mul.weights)[5] = NAN;
}
static void dmg_heads(tg_model *m) {
    tg_attention_block *a = (tg_attention_block *)m->trunk.blocks[0].u.attention;
    a->num_kv_heads = 3;
}
static void dmg_variance(tg_model *m) {
    ((float *)m->policy.g1_bn.variance)[2] = -1.0f;
}
static void dmg_name(tg_model *m) {
    m->name = "bad/name";
}
static void dmg_sv3(tg_model *m) {
    m->value.sv3_mul.out_channels = 5;
}
static void dmg_kernel(tg_model *m) {
    /* 3x2 needs fewer floats than the 3x3 array holds, so the writer stays inside it */
    ((tg_residual_block *)m->trunk.blocks[0].u.ordinary)->regular_conv.kernel_x = 2;
}
static void dmg_nothing(tg_model *m) {
    (void)m;
}

/* Nests the single nested block of a model 20 levels deep (all widths equal). */
static void dmg_deep(tg_model *m) {
    tg_nested_block *orig = (tg_nested_block *)m->trunk.blocks[0].u.nested;
    const tg_block *inner = orig->blocks;
    for (int i = 0; i < 20; i++) {
        tg_nested_block *copy = tg_model_alloc(m, sizeof *copy);
        tg_block *holder = tg_model_alloc(m, sizeof *holder);
        *copy = *orig;
        copy->num_blocks = 1;
        copy->blocks = inner;
        holder->kind = TG_BLOCK_NESTED_BOTTLENECK;
        holder->u.nested = copy;
        inner = holder;
    }
    orig->num_blocks = 1;
    orig->blocks = inner;
}

static void test_corruptions(void) {
    static const tg_model_spec_block plain[] = {{.kind = TG_BLOCK_ORDINARY}, {.kind = TG_BLOCK_GPOOL}};
    static const tg_model_spec_block attn[] = {{.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .num_heads = 4}};
    static const tg_model_spec_block inner1[] = {{.kind = TG_BLOCK_ORDINARY}};
    static const tg_model_spec_block nest[] = {
        {.kind = TG_BLOCK_NESTED_BOTTLENECK, .num_inner = 1, .inner = inner1, .inner_channels = 32}};
    char err[512];

    load_damaged(8, plain, 2, dmg_nothing, err, sizeof err);
    CHECKF(err[0] == '\0', "undamaged model failed: %s", err);

    load_damaged(8, plain, 2, dmg_in_channels, err, sizeof err);
    CHECKF(strcmp(err, "bad.bin.gz: layer 'model.blocks.0.normactconv1.conv': expected 32 input channels, found 31") ==
               0, "got: %s", err);

    load_damaged(12, plain, 2, dmg_nan, err, sizeof err);
    CHECKF(contains(err, "layer 'model.value_head.linear2'") && contains(err, "not finite"), "got: %s", err);

    load_damaged(17, attn, 1, dmg_heads, err, sizeof err);
    CHECKF(contains(err, "layer 'model.blocks.0'") && contains(err, "key/value heads"), "got: %s", err);

    load_damaged(10, plain, 2, dmg_variance, err, sizeof err);
    CHECKF(contains(err, "layer 'model.policy_head.biasg'") && contains(err, "negative"), "got: %s", err);

    load_damaged(10, plain, 2, dmg_name, err, sizeof err);
    CHECKF(contains(err, "model name 'bad/name'"), "got: %s", err);

    load_damaged(9, plain, 2, dmg_sv3, err, sizeof err);
    CHECKF(contains(err, "layer 'model.value_head.linear_miscvaluehead': expected 6 output channels, found 5"),
           "got: %s", err);

    load_damaged(9, plain, 2, dmg_kernel, err, sizeof err);
    CHECKF(contains(err, "layer 'model.blocks.0.normactconv1.conv': convolution kernel sizes must be odd"),
           "got: %s", err);

    load_damaged(11, nest, 1, dmg_nothing, err, sizeof err);
    CHECKF(err[0] == '\0', "nested model failed: %s", err);
    load_damaged(11, nest, 1, dmg_deep, err, sizeof err);
    CHECKF(contains(err, "nest more than"), "got: %s", err);

    /* Byte-level edits of a written file. */
    tg_model_spec spec = {.version = 15, .num_blocks = 2, .blocks = plain, .meta_encoder = 1};
    tg_model *m = tg_model_build_random(&spec, 5, err, sizeof err);
    unsigned char *bin = NULL, *txt = NULL;
    size_t bin_len = 0, txt_len = 0;
    CHECK(m && tg_model_write_buffer(m, false, &bin, &bin_len, err, sizeof err));
    CHECK(m && tg_model_write_buffer(m, true, &txt, &txt_len, err, sizeof err));
    tg_model_free(m);
    if (!bin || !txt) {
        free(bin);
        free(txt);
        return;
    }
    unsigned char *copy;
    size_t copy_len;

    /* Truncated inside the value head's hidden layer weights. */
    size_t cut = find_after(bin, bin_len, "model.value_head.linear2\n48\n24\n@BIN@") + 100;
    CHECK(cut > 100);
    tg_model *r = load_mem(bin, cut, TG_MODEL_FORMAT_BINARY, "g170.bin.gz", err, sizeof err);
    CHECK(r == NULL);
    CHECKF(contains(err, "g170.bin.gz: file ends inside layer 'model.value_head.linear2' (truncated?)"), "got: %s",
           err);
    /* Truncated exactly between two layers. */
    cut = find_after(bin, bin_len, "model.value_head.act2\nACTIVATION_RELU\n");
    r = load_mem(bin, cut, TG_MODEL_FORMAT_BINARY, "x.bin", err, sizeof err);
    CHECKF(r == NULL && contains(err, "file ends after layer 'model.value_head.act2'"), "got: %s", err);

    static const struct {
        const char *from, *to, *expect;
    } edits[] = {
        {"tengen-random-v15\n15\n", "tengen-random-v15\n7\n", "model version 7 is too old"},
        {"tengen-random-v15\n15\n", "tengen-random-v15\n18\n", "newer than this tengen"},
        {"tengen-random-v15\n15\n22\n", "tengen-random-v15\n15\n23\n",
         "expected 22 spatial input channels (KataGo's V7 features), found 23"},
        {"ACTIVATION_RELU", "ACTIVATION_GELU", "unknown activation 'ACTIVATION_GELU'"},
        {"ordinary_block", "ordinary_blocc", "layer 'trunk': block 1 of 2: unknown block kind 'ordinary_blocc'"},
        {"@BIN@", "@BIM@", "malformed '@BIN@' marker"},
        {"\n1\n0\n0\n0\n0\n0\n0\n0\n", "\n1\n0\n0\n0\n3\n0\n0\n0\n", "reserved option 3 is 3"},
        {"\n1\n0\n0\n0\n0\n0\n0\n0\n", "\n2\n0\n0\n0\n0\n0\n0\n0\n", "metadata encoder version must be between 0 and 1"},
        {"model.policy_head.biasg\n16\n", "model.policy_head.biasg\n1x\n", "expected an integer (channels), found '1x'"},
        {"trunk\n2\n", "trunk\n60000\n", "layer 'trunk': 60000 blocks cannot fit"},
        {"model.policy_head.conv1p\n1\n1\n", "model.policy_head.conv1p\n1\n4\n", "kernel sizes must be odd, found 1x4"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        copy = splice(bin, bin_len, edits[i].from, edits[i].to, &copy_len);
        CHECKF(copy != NULL, "edit %zu: pattern not found", i);
        if (!copy)
            continue;
        r = load_mem(copy, copy_len, TG_MODEL_FORMAT_BINARY, "edit.bin", err, sizeof err);
        CHECKF(r == NULL && contains(err, edits[i].expect), "edit %zu: expected '%s', got '%s'", i, edits[i].expect,
               err);
        CHECKF(strncmp(err, "edit.bin: ", 10) == 0, "edit %zu: message does not name the file: %s", i, err);
        tg_model_free(r);
        free(copy);
    }

    /* A huge channel count must fail on size, before allocating. */
    copy = splice(bin, bin_len, "model.conv_spatial\n5\n5\n22\n32\n", "model.conv_spatial\n5\n5\n22\n999999\n",
                  &copy_len);
    CHECK(copy != NULL);
    r = copy ? load_mem(copy, copy_len, TG_MODEL_FORMAT_BINARY, "big.bin", err, sizeof err) : NULL;
    CHECKF(r == NULL && contains(err, "expected 32 output channels, found 999999"), "got: %s", err);
    free(copy);
    copy = splice(bin, bin_len, "model.policy_head.conv1p\n1\n1\n32\n16\n",
                  "model.policy_head.conv1p\n1\n1\n32\n999999\n", &copy_len);
    CHECK(copy != NULL);
    r = copy ? load_mem(copy, copy_len, TG_MODEL_FORMAT_BINARY, "big.bin", err, sizeof err) : NULL;
    CHECKF(r == NULL && contains(err, "(truncated?): its 31999968 weights need 127999872 bytes"), "got: %s", err);
    free(copy);

    /* Wrong format for the content. */
    r = load_mem(txt, txt_len, TG_MODEL_FORMAT_BINARY, "t.bin", err, sizeof err);
    CHECKF(r == NULL && contains(err, "@BIN@"), "got: %s", err);
    r = load_mem(bin, bin_len, TG_MODEL_FORMAT_TEXT, "b.txt", err, sizeof err);
    CHECKF(r == NULL && contains(err, "binary weights in a text model"), "got: %s", err);
    /* AUTO with an unhelpful name sniffs the content. */
    r = load_mem(txt, txt_len, TG_MODEL_FORMAT_AUTO, "model-file", err, sizeof err);
    CHECKF(r != NULL, "sniffed text: %s", err);
    tg_model_free(r);
    r = load_mem(bin, bin_len, TG_MODEL_FORMAT_AUTO, "model-file", err, sizeof err);
    CHECKF(r != NULL, "sniffed binary: %s", err);
    tg_model_free(r);
    /* Text-specific damage. */
    copy = splice(txt, txt_len, "\nmodel.value_head.conv_ownership\n1\n1\n16\n1\n1\n1\n",
                  "\nmodel.value_head.conv_ownership\n1\n1\n16\n1\n1\n1\nnan ", &copy_len);
    CHECK(copy != NULL);
    r = copy ? load_mem(copy, copy_len, TG_MODEL_FORMAT_TEXT, "t.txt", err, sizeof err) : NULL;
    CHECKF(r == NULL && contains(err, "layer 'model.value_head.conv_ownership'") && contains(err, "not finite"),
           "got: %s", err);
    free(copy);

    /* Not a model at all. */
    r = load_mem((const unsigned char *)"", 0, TG_MODEL_FORMAT_AUTO, "empty.bin.gz", err, sizeof err);
    CHECKF(r == NULL && contains(err, "empty.bin.gz") && contains(err, "empty"), "got: %s", err);
    r = load_mem((const unsigned char *)"hello world\n", 12, TG_MODEL_FORMAT_AUTO, "hello.txt", err, sizeof err);
    CHECKF(r == NULL && contains(err, "not a KataGo model"), "got: %s", err);

    /* Files: a missing one, a truncated gzip stream. */
    r = tg_model_load("/nonexistent/dir/net.bin.gz", err, sizeof err);
    CHECKF(r == NULL && contains(err, "/nonexistent/dir/net.bin.gz: cannot open"), "got: %s", err);
    r = tg_model_load(tmpdir, err, sizeof err);
    CHECKF(r == NULL && strncmp(err, tmpdir, strlen(tmpdir)) == 0, "directory: got: %s", err);
    char path[400];
    snprintf(path, sizeof path, "%s/cut.bin.gz", tmpdir);
    tg_model *small = tg_model_build_random(&spec, 5, err, sizeof err);
    CHECK(small && tg_model_write(path, small, err, sizeof err));
    tg_model_free(small);
    unsigned char *gz = NULL;
    size_t gz_len = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        gz_len = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        gz = malloc(gz_len);
        if (fread(gz, 1, gz_len, f) != gz_len)
            gz_len = 0;
        fclose(f);
    }
    CHECK(gz_len > 100);
    if (gz && gz_len > 100) {
        f = fopen(path, "wb");
        fwrite(gz, 1, gz_len / 2, f);
        fclose(f);
        r = tg_model_load(path, err, sizeof err);
        CHECKF(r == NULL && contains(err, "truncated"), "got: %s", err);
        tg_model_free(r);
    }
    free(gz);
    unlink(path);

    free(bin);
    free(txt);
}

/* ------------------------------------------------------------------ shipped networks */

typedef struct shipped {
    const char *file;
    int version;
    int blocks;
    int channels;
    int policy_channels;
    int norm_kind;
} shipped;

static void check_g170(const tg_model *m) {
    /* From the file's own header: "conv1 5 5 22 96 1 1", blocks ordinary x2, gpool, ordinary, gpool, ordinary. */
    CHECK(m->trunk.initial_conv.kernel_y == 5 && m->trunk.initial_conv.kernel_x == 5);
    static const int32_t kinds[6] = {TG_BLOCK_ORDINARY, TG_BLOCK_ORDINARY, TG_BLOCK_GPOOL,
                                     TG_BLOCK_ORDINARY, TG_BLOCK_GPOOL, TG_BLOCK_ORDINARY};
    for (int i = 0; i < 6 && i < m->trunk.num_blocks; i++)
        CHECKF(m->trunk.blocks[i].kind == kinds[i], "g170 block %d kind %d", i, (int)m->trunk.blocks[i].kind);
    const tg_gpool_block *g = m->trunk.blocks[2].u.gpool;
    CHECK(g->regular_conv.out_channels == 64 && g->gpool_conv.out_channels == 32);
    CHECK(g->gpool_to_bias_mul.in_channels == 96 && g->gpool_to_bias_mul.out_channels == 64);
    CHECK(m->num_score_value_channels == 4 && m->num_value_channels == 3 && m->num_ownership_channels == 1);
    CHECK(!m->policy.has_pass_mlp && m->policy.gpool_to_pass_mul.out_channels == 1);
    CHECK(m->trunk.tip_act.kind == TG_ACT_RELU);
    CHECK(m->postprocess.score_mean_multiplier == 20.0 && m->postprocess.variance_time_multiplier == 40.0 &&
          m->postprocess.shortterm_score_error_multiplier == 30.0);
    CHECK(tg_model_max_conv_channels(m, 3, 3) == 96);
    CHECK(tg_model_max_conv_channels(m, 5, 5) == 96);
    CHECK(tg_model_max_conv_channels(m, 7, 7) == 0);
}

static void check_transformer(const tg_model *m, bool learnable) {
    for (int i = 0; i < m->trunk.num_blocks; i++) {
        const tg_block *b = &m->trunk.blocks[i];
        CHECKF(b->kind == (i % 2 == 0 ? TG_BLOCK_TRANSFORMER_ATTENTION : TG_BLOCK_TRANSFORMER_FFN), "block %d", i);
        if (b->kind == TG_BLOCK_TRANSFORMER_ATTENTION) {
            const tg_attention_block *a = b->u.attention;
            if (learnable) /* "h6kv3qk32v16": 6 heads, 3 kv heads, q/k size 32, v size 16, learnable RoPE */
                CHECK(a->num_heads == 6 && a->num_kv_heads == 3 && a->q_head_dim == 32 && a->v_head_dim == 16 &&
                      a->use_rope && a->learnable_rope && a->rope_num_kv_heads == 3 && a->rope_num_pairs == 16 &&
                      a->rope_freqs != NULL);
            else /* "h3": 3 heads of 32, fixed RoPE with theta 100 */
                CHECK(a->num_heads == 3 && a->num_kv_heads == 3 && a->q_head_dim == 32 && a->v_head_dim == 32 &&
                      a->use_rope && !a->learnable_rope && a->rope_theta == 100.0f);
        } else if (b->kind == TG_BLOCK_TRANSFORMER_FFN) {
            const tg_ffn_block *f = b->u.ffn;
            CHECK(f->channels == 96 && f->ffn_channels == 256 && f->use_swiglu);
        }
    }
    CHECK(m->has_transformer);
    CHECK(m->policy.has_pass_mlp);
    CHECK(m->postprocess.shortterm_score_error_multiplier == 150.0 && m->postprocess.td_score_multiplier == 20.0 &&
          m->postprocess.shortterm_value_error_multiplier == 0.25);
    CHECK(m->num_input_meta_channels == 0 && !m->trunk.has_meta_encoder);
    if (learnable)
        CHECK(m->trunk.tip_bn.epsilon == 1e-20f && m->trunk.tip_bn.has_scale == 1);
    else
        CHECK(m->trunk.tip_rmsnorm.epsilon == 1e-6f && !m->trunk.tip_rmsnorm.spatial);
}

static int fuzz_valid, fuzz_errors, fuzz_trunc_msgs;

/* Any load of damaged data: either a clean error naming the file, or a model that describes itself. */
static void fuzz_one(const unsigned char *data, size_t len, int format, const char *label) {
    char err[512];
    tg_model *m = load_mem(data, len, format, "fuzz.bin.gz", err, sizeof err);
    if (m) {
        char d[512];
        tg_model_describe(m, d, sizeof d);
        CHECKF(m->version >= 8 && m->version <= 17 && m->trunk.num_blocks > 0, "%s: odd model", label);
        fuzz_valid++;
        tg_model_free(m);
        return;
    }
    fuzz_errors++;
    CHECKF(strncmp(err, "fuzz.bin.gz: ", 13) == 0 && strlen(err) > 20, "%s: bad error message '%s'", label, err);
    if (contains(err, "(truncated?)"))
        fuzz_trunc_msgs++;
}

static bool token_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '/' || c == '-';
}

/* Offsets of the text parts of a binary model: everything up to and including each "@BIN@", and
 * from the end of each weight block (found as a newline, a name-like token and a newline) on. */
static size_t *text_positions(const unsigned char *raw, size_t len, size_t *count) {
    size_t cap = 1024, n = 0;
    size_t *pos = malloc(cap * sizeof *pos);
    size_t p = 0;
    while (p < len && pos) {
        size_t q = p;
        while (q + 5 <= len && memcmp(raw + q, "@BIN@", 5) != 0)
            q++;
        size_t text_end = q + 5 <= len ? q + 5 : len;
        for (size_t t = p; t < text_end; t++) {
            if (n == cap) {
                size_t *np = realloc(pos, 2 * cap * sizeof *pos);
                if (!np)
                    break;
                pos = np;
                cap *= 2;
            }
            pos[n++] = t;
        }
        p = text_end;
        while (p < len) {
            if (raw[p] == '\n') {
                size_t k = p + 1;
                while (k < len && token_char(raw[k]))
                    k++;
                if (k - p - 1 >= 3 && k < len && raw[k] == '\n')
                    break;
            }
            p++;
        }
    }
    *count = n;
    return pos;
}

static void test_shipped(const char *shared) {
    static const shipped nets[] = {
        {"g170-b6c96-s175395328-d26788732.bin.gz", 8, 6, 96, 1, TG_TRUNK_NORM_BATCHNORM},
        {"b7c96h3tfrs-test5-cnorm.bin.gz", 17, 14, 96, 2, TG_TRUNK_NORM_RMSNORM},
        {"b7c96h6kv3qk32v16tflrs-fson-bnh.bin.gz", 17, 14, 96, 2, TG_TRUNK_NORM_BATCHNORM},
    };
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/models/%s", shared, nets[i].file);
        tg_model *m = tg_model_load(path, err, sizeof err);
        CHECKF(m != NULL, "%s", err);
        if (!m)
            continue;
        char stem[128];
        snprintf(stem, sizeof stem, "%s", nets[i].file);
        *strstr(stem, ".bin.gz") = '\0';
        CHECKF(strcmp(m->name, stem) == 0, "name %s", m->name);
        CHECK(m->version == nets[i].version);
        CHECK(m->inputs_version == 7);
        CHECK(m->num_input_channels == 22 && m->num_input_global_channels == 19);
        CHECK(m->trunk.num_blocks == nets[i].blocks);
        CHECK(m->trunk.channels == nets[i].channels);
        CHECK(m->num_policy_channels == nets[i].policy_channels);
        CHECK(m->trunk.norm_kind == nets[i].norm_kind);
        CHECK(m->abi_version == TG_MODEL_ABI_VERSION && m->struct_size == sizeof(tg_model));
        char desc[512];
        tg_model_describe(m, desc, sizeof desc);
        CHECKF(contains(desc, stem) && contains(desc, nets[i].version == 8 ? "v8" : "v17"), "%s", desc);
        fprintf(stderr, "  %s\n", desc);
        if (i == 0)
            check_g170(m);
        else
            check_transformer(m, i == 2);

        unsigned char *raw;
        size_t raw_len;
        if (!tg_model_read_file(path, &raw, &raw_len, err, sizeof err)) {
            CHECKF(false, "%s", err);
            tg_model_free(m);
            continue;
        }
        /* Every float in the file is accounted for: the rest is the short text header. */
        CHECKF((size_t)m->num_floats * 4 < raw_len && (size_t)m->num_floats * 4 + 20000 > raw_len,
               "floats %lld vs %zu bytes", (long long)m->num_floats, raw_len);
        if (i == 0) {
            /* OIHW transpose, checked against the raw bytes: the first two floats after the first
             * marker are [y0][x0][in0][out0] and [y0][x0][in0][out1]. */
            size_t at = find_after(raw, raw_len, "@BIN@");
            float f0, f1;
            uint32_t u0 = (uint32_t)raw[at] | (uint32_t)raw[at + 1] << 8 | (uint32_t)raw[at + 2] << 16 |
                          (uint32_t)raw[at + 3] << 24;
            uint32_t u1 = (uint32_t)raw[at + 4] | (uint32_t)raw[at + 5] << 8 | (uint32_t)raw[at + 6] << 16 |
                          (uint32_t)raw[at + 7] << 24;
            memcpy(&f0, &u0, 4);
            memcpy(&f1, &u1, 4);
            const float *w = m->trunk.initial_conv.weights;
            CHECK(w[0] == f0);
            CHECK(w[22 * 5 * 5] == f1);
        }
        /* Uncompressed .bin reads the same; text re-encoding and binary re-encoding read back equal. */
        char bin_path[400];
        snprintf(bin_path, sizeof bin_path, "%s/plain%zu.bin", tmpdir, i);
        FILE *f = fopen(bin_path, "wb");
        if (f) {
            fwrite(raw, 1, raw_len, f);
            fclose(f);
            tg_model *plain = tg_model_load(bin_path, err, sizeof err);
            CHECKF(plain != NULL, "%s", err);
            diff_at[0] = '\0';
            if (plain)
                CHECKF(same_model(m, plain), "plain .bin differs at %s", diff_at);
            tg_model_free(plain);
            unlink(bin_path);
        }
        check_round_trip(m, true, nets[i].file);
        check_round_trip(m, false, nets[i].file);

        /* Fuzz: truncations, many inside the text header where parsing branches most. */
        int before_valid = fuzz_valid, before_err = fuzz_errors, before_trunc = fuzz_trunc_msgs;
        for (int k = 0; k < 200; k++) {
            size_t cut = k < 60 ? (size_t)k * 7 : k < 80 ? raw_len - (size_t)(k - 60) : (size_t)(rnd() % raw_len);
            char label[64];
            snprintf(label, sizeof label, "%s cut %zu", nets[i].file, cut);
            fuzz_one(raw, cut, TG_MODEL_FORMAT_BINARY, label);
        }
        int trunc_err = fuzz_errors - before_err;
        /* Byte flips: half aimed at the text parts (names, sizes, markers), half anywhere. */
        size_t ntext = 0;
        size_t *text_pos = text_positions(raw, raw_len, &ntext);
        unsigned char *copy = malloc(raw_len);
        for (int k = 0; k < 300 && copy; k++) {
            memcpy(copy, raw, raw_len);
            int flips = 1 + (int)(rnd() % 3);
            for (int j = 0; j < flips; j++) {
                size_t pos = (k % 2 == 0 && ntext > 0) ? text_pos[rnd() % ntext] : (size_t)(rnd() % raw_len);
                copy[pos] ^= (unsigned char)(1u << (rnd() % 8));
            }
            char label[64];
            snprintf(label, sizeof label, "%s flip #%d", nets[i].file, k);
            fuzz_one(copy, raw_len, TG_MODEL_FORMAT_BINARY, label);
        }
        free(copy);
        free(text_pos);
        fprintf(stderr, "  fuzz %s: 200 truncations (%d errors, %d say truncated), 300 flips: %d valid, %d errors\n",
                nets[i].file, trunc_err, fuzz_trunc_msgs - before_trunc, fuzz_valid - before_valid - (200 - trunc_err),
                fuzz_errors - before_err - trunc_err);
        /* Nearly every truncation must be reported as one (a cut in the middle of a number token can
         * instead read as a wrong size, and a cut of the final newline loses nothing). */
        CHECKF(fuzz_trunc_msgs - before_trunc >= 180, "only %d truncations reported as such",
               fuzz_trunc_msgs - before_trunc);
        free(raw);
        tg_model_free(m);
    }
}

int main(void) {
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/tengen-test-model-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "test_model: cannot create a temporary directory\n");
        return 1;
    }
    test_round_trips();
    test_corruptions();
    const char *shared = check_shared_dir();
    if (shared)
        test_shipped(shared);
    rmdir(tmpdir);
    int rc = check_finish("test_model");
    if (rc == 0 && !shared) {
        fprintf(stderr, "test_model: TENGEN_SHARED_DIR is not set; shipped-network and fuzz tests skipped\n");
        return 77;
    }
    return rc;
}
