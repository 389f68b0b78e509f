/* The FP32 forward pass of the blas-cpu backend; see forward.h for the layout and threading rules.
 *
 * This is the reference other backends are checked against, so the code follows the order of
 * operations of KataGo's own CPU backend (the one that produced the reference outputs in
 * shared/reference) wherever that decides rounding: float sums in the same order, the attention
 * scale applied to the finished dot products, the -1 floor of the max pooling. The exceptions are
 * speed's: 3x3 and 5x5 convolutions run as Winograd F(4x4, 3x3) (winograd.c), and activations as
 * vector code (vecmath.h); both round differently from a direct sum or libm by amounts far below the
 * reference tolerances. tg_blas_net_set_winograd turns Winograd off. */
#include "forward.h"
#include "vecmath.h"
#include "winograd.h"

#include <cblas.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nested blocks recurse; no real net nests deeper than 2, so a small bound only stops a corrupt
 * in-memory model from exhausting the stack. */
#define MAX_NESTING 16

static const char *name_or(const char *name) { return name ? name : "(unnamed)"; }

/* ------------------------------------------------------------------ kernels */

static bool activation_known(int kind) {
    return kind == TG_ACT_IDENTITY || kind == TG_ACT_RELU || kind == TG_ACT_MISH || kind == TG_ACT_SILU ||
           kind == TG_ACT_MISH_SCALE8;
}

/* Loads n <= TG_VW floats into a vector's first lanes (zeros after), and stores them back. */
TG_VINLINE tg_vf load_part(const float *p, size_t n) {
    tg_vf v = {0};
    memcpy(&v, p, n * sizeof(float));
    return v;
}
TG_VINLINE void store_part(float *p, tg_vf v, size_t n) { memcpy(p, &v, n * sizeof(float)); }

TG_MULTIVERSION
void tg_blas_activate(int kind, float *x, size_t n) {
    if (kind == TG_ACT_IDENTITY)
        return;
    size_t i = 0;
    for (; i + TG_VW <= n; i += TG_VW)
        store_part(x + i, tg_vactivate(kind, load_part(x + i, TG_VW)), TG_VW);
    if (i < n)
        store_part(x + i, tg_vactivate(kind, load_part(x + i, n - i)), n - i);
}

size_t tg_blas_conv_workspace(const tg_conv_layer *conv, int height, int width) {
    if (conv->kernel_y == 1 && conv->kernel_x == 1)
        return 0;
    return (size_t)conv->in_channels * conv->kernel_y * conv->kernel_x * (size_t)height * width;
}

/* Unrolls one image [channels][height][width] into rows (c, ky, kx) of height*width columns, each
 * row the input shifted by that tap's offset, zero where the tap falls outside the tensor. */
static void im2col(const tg_conv_layer *conv, int height, int width, const float *in, float *col) {
    const int ky_n = conv->kernel_y, kx_n = conv->kernel_x;
    const int pad_y = conv->dilation_y * (ky_n - 1) / 2, pad_x = conv->dilation_x * (kx_n - 1) / 2;
    const size_t hw = (size_t)height * width;
    float *row = col;
    for (int c = 0; c < conv->in_channels; c++) {
        const float *plane = in + (size_t)c * hw;
        for (int ky = 0; ky < ky_n; ky++) {
            const int dy = ky * conv->dilation_y - pad_y;
            for (int kx = 0; kx < kx_n; kx++, row += hw) {
                const int dx = kx * conv->dilation_x - pad_x;
                for (int y = 0; y < height; y++) {
                    float *dst = row + (size_t)y * width;
                    const int sy = y + dy;
                    if (sy < 0 || sy >= height) {
                        memset(dst, 0, sizeof(float) * (size_t)width);
                        continue;
                    }
                    const float *src = plane + (size_t)sy * width;
                    for (int x = 0; x < width; x++) {
                        const int sx = x + dx;
                        dst[x] = (sx >= 0 && sx < width) ? src[sx] : 0.0f;
                    }
                }
            }
        }
    }
}

void tg_blas_conv(const tg_conv_layer *conv, int batch, int height, int width, const float *in, float *out,
                  float *workspace, bool accumulate) {
    const int hw = height * width;
    const int k = conv->in_channels * conv->kernel_y * conv->kernel_x;
    const bool pointwise = conv->kernel_y == 1 && conv->kernel_x == 1;
    for (int n = 0; n < batch; n++) {
        const float *img = in + (size_t)n * conv->in_channels * hw;
        const float *cols = img; /* a 1x1 kernel needs no unrolling: the image already is [in][hw] */
        if (!pointwise) {
            im2col(conv, height, width, img, workspace);
            cols = workspace;
        }
        /* weights are OIHW, i.e. an [out][in*ky*kx] matrix matching the rows of cols */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, conv->out_channels, hw, k, 1.0f, conv->weights, k,
                    cols, hw, accumulate ? 1.0f : 0.0f, out + (size_t)n * conv->out_channels * hw, hw);
    }
}

TG_MULTIVERSION
void tg_blas_norm_act(const float *scale, const float *bias, int act, int batch, int channels, int hw,
                      const float *mask, const float *in, float *out) {
    for (int n = 0; n < batch; n++) {
        const float *m = mask + (size_t)n * hw;
        for (int c = 0; c < channels; c++) {
            const size_t off = ((size_t)n * channels + c) * hw;
            const float s = scale[c], b = bias[c];
            for (int p = 0; p < hw; p += TG_VW) {
                const size_t len = hw - p < TG_VW ? (size_t)(hw - p) : TG_VW;
                const tg_vf v = tg_vactivate(act, load_part(in + off + p, len) * s + b);
                store_part(out + off + p, (tg_vf)((tg_vi)v & (load_part(m + p, len) != 0.0f)), len);
            }
        }
    }
}

void tg_blas_gpool(int batch, int channels, int hw, const float *in, const float *mask, const float *mask_sum,
                   float *out) {
    for (int n = 0; n < batch; n++) {
        const float *m = mask + (size_t)n * hw;
        const float area = mask_sum[n];
        const float sqrt_area = sqrtf(area);
        float *o = out + (size_t)n * 3 * channels;
        for (int c = 0; c < channels; c++) {
            const float *v = in + ((size_t)n * channels + c) * hw;
            float sum = 0.0f;
            /* KataGo starts the max at -1 and sees off-board points (which are 0) as -1: the max
             * therefore never drops below -1, which matters only for activations that go below it. */
            float max = -1.0f;
            for (int p = 0; p < hw; p++) {
                sum += v[p];
                max = fmaxf(max, v[p] + (m[p] - 1.0f));
            }
            const float mean = sum / area;
            o[c] = mean;
            o[channels + c] = mean * (sqrt_area - 14.0f) * 0.1f;
            o[2 * channels + c] = max;
        }
    }
}

void tg_blas_value_pool(int batch, int channels, int hw, const float *in, const float *mask_sum, float *out) {
    for (int n = 0; n < batch; n++) {
        const float area = mask_sum[n];
        const float d = sqrtf(area) - 14.0f;
        float *o = out + (size_t)n * 3 * channels;
        for (int c = 0; c < channels; c++) {
            const float *v = in + ((size_t)n * channels + c) * hw;
            float sum = 0.0f;
            for (int p = 0; p < hw; p++)
                sum += v[p];
            const float mean = sum / area;
            o[c] = mean;
            o[channels + c] = mean * d * 0.1f;
            o[2 * channels + c] = mean * (d * d * 0.01f - 0.1f);
        }
    }
}

void tg_blas_matmul(const tg_matmul_layer *mm, int rows, const float *in, float *out) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, mm->out_channels, mm->in_channels, 1.0f, in,
                mm->in_channels, mm->weights, mm->out_channels, 0.0f, out, mm->out_channels);
}

static void add_bias_rows(const tg_matbias_layer *b, int rows, float *x) {
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < b->channels; c++)
            x[(size_t)r * b->channels + c] += b->weights[c];
}

/* x[n][c][p] += bias[n][c] at every point, off-board ones included, as KataGo does (they are
 * masked away by the next norm). */
static void add_channel_bias(int batch, int channels, int hw, const float *bias, float *x) {
    for (int n = 0; n < batch; n++)
        for (int c = 0; c < channels; c++) {
            const float b = bias[(size_t)n * channels + c];
            float *v = x + ((size_t)n * channels + c) * hw;
            for (int p = 0; p < hw; p++)
                v[p] += b;
        }
}

/* The same per-point matmul as tg_blas_matmul, for NCHW data: out[n] [out][hw] = W^T in[n] [in][hw]. */
static void matmul_points(const tg_matmul_layer *mm, int batch, int hw, const float *in, float *out) {
    for (int n = 0; n < batch; n++)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, mm->out_channels, hw, mm->in_channels, 1.0f,
                    mm->weights, mm->out_channels, in + (size_t)n * mm->in_channels * hw, hw, 0.0f,
                    out + (size_t)n * mm->out_channels * hw, hw);
}

/* x += delta on the board; off-board points keep their value (they are never read unmasked). */
static void add_masked(int batch, int channels, int hw, const float *mask, const float *delta, float *x) {
    for (int n = 0; n < batch; n++) {
        const float *m = mask + (size_t)n * hw;
        for (int c = 0; c < channels; c++) {
            const size_t off = ((size_t)n * channels + c) * hw;
            for (int p = 0; p < hw; p++)
                x[off + p] += delta[off + p] * m[p];
        }
    }
}

/* RMS over the channels of each point: out = in * rsqrt(mean_c(in^2) + eps) * gain[c] (+ shift[c]),
 * then act; 0 off the board. shift may be NULL. */
static void rms_norm_points(int batch, int channels, int hw, float eps, const float *gain, const float *shift,
                            int act, const float *mask, const float *in, float *out) {
    for (int n = 0; n < batch; n++) {
        const float *m = mask + (size_t)n * hw;
        const float *src = in + (size_t)n * channels * hw;
        float *dst = out + (size_t)n * channels * hw;
        for (int p = 0; p < hw; p++) {
            if (m[p] == 0.0f) {
                for (int c = 0; c < channels; c++)
                    dst[(size_t)c * hw + p] = 0.0f;
                continue;
            }
            float sum_sq = 0.0f;
            for (int c = 0; c < channels; c++) {
                const float v = src[(size_t)c * hw + p];
                sum_sq += v * v;
            }
            const float r = 1.0f / sqrtf(sum_sq / (float)channels + eps);
            for (int c = 0; c < channels; c++) {
                float v = src[(size_t)c * hw + p] * r * gain[c];
                if (shift)
                    v += shift[c];
                dst[(size_t)c * hw + p] = tg_blas_activate1(act, v);
            }
        }
    }
}

/* RMS over the channels and on-board points of each position in the batch (the v17 "spatial"
 * trunk-tip norm). The sum runs point by point, channels inner, as in KataGo. */
static void rms_norm_board(int batch, int channels, int hw, float eps, const float *gain, const float *shift,
                           int act, const float *mask, const float *in, float *out) {
    for (int n = 0; n < batch; n++) {
        const float *m = mask + (size_t)n * hw;
        const float *src = in + (size_t)n * channels * hw;
        float *dst = out + (size_t)n * channels * hw;
        float sum_sq = 0.0f;
        int count = 0;
        for (int p = 0; p < hw; p++) {
            if (m[p] == 0.0f)
                continue;
            for (int c = 0; c < channels; c++) {
                const float v = src[(size_t)c * hw + p];
                sum_sq += v * v;
            }
            count++;
        }
        const float r = 1.0f / sqrtf(sum_sq / ((float)count * (float)channels) + eps);
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < hw; p++) {
                const size_t i = (size_t)c * hw + p;
                dst[i] = m[p] != 0.0f ? tg_blas_activate1(act, src[i] * r * gain[c] + shift[c]) : 0.0f;
            }
    }
}

/* ------------------------------------------------------------------ the prepared network */

/* A block as the forward pass runs it: the model's block plus what was precomputed for it. */
typedef struct blas_block {
    const tg_block *src;
    /* attention with RoPE: cos/sin per (table row, point); a row is a pair, or a (kv head, pair)
     * when the frequencies are learned per kv head */
    float *rope_cos, *rope_sin;
    /* nested bottleneck: the inner stack */
    struct blas_block *inner;
    int num_inner;
} blas_block;

struct tg_blas_net {
    const tg_model *model;
    int nn_x, nn_y, hw, max_batch;
    blas_block *blocks; /* trunk.num_blocks */
    /* every 3x3 convolution's weights in the Winograd domain, looked up by layer */
    tg_wino_weights *wino;
    int num_wino, cap_wino;
    bool use_wino;
    bool stem_cl; /* the first layer can write the channel-last trunk: the first block runs channel-last */
    bool oom;     /* preparing the Winograd weights ran out of memory */
    size_t workspace_floats; /* im2col or Winograd, the largest conv's */
    size_t arena_floats;     /* intermediate tensors, the peak over the pass */
};

struct tg_blas_scratch {
    float *mask;      /* [batch][hw] */
    float *mask_sum;  /* [batch] */
    float *x;         /* [batch][trunk][hw]: the residual stream */
    float *t;         /* [batch][trunk][hw]: normalized copies of it */
    float *x_cl;      /* the residual stream channel-last, as the first layer writes it (stem_cl) */
    float *workspace; /* im2col or Winograd */
    float *arena;     /* stack-allocated intermediates */
    size_t arena_floats;
};

/* A bump allocator over the scratch arena. Sizes were computed by the *_need functions below, which
 * mirror the takes of each *_run function one for one; take() still checks, so a mismatch between
 * the two becomes an error message instead of memory corruption. */
typedef struct arena {
    float *base;
    size_t cap, used;
} arena;

static float *take(arena *a, size_t n) {
    if (n > a->cap - a->used)
        return NULL;
    float *p = a->base + a->used;
    a->used += n;
    return p;
}

static void free_blocks(blas_block *blocks, int n) {
    if (!blocks)
        return;
    for (int i = 0; i < n; i++) {
        free(blocks[i].rope_cos);
        free(blocks[i].rope_sin);
        free_blocks(blocks[i].inner, blocks[i].num_inner);
    }
    free(blocks);
}

void tg_blas_net_destroy(tg_blas_net *net) {
    if (!net)
        return;
    free_blocks(net->blocks, net->model->trunk.num_blocks);
    for (int i = 0; i < net->num_wino; i++)
        tg_wino_free(&net->wino[i]);
    free(net->wino);
    free(net);
}

/* ---- validation: everything forward() relies on, so that no model can make it read out of bounds */

#define REQUIRE(cond, ...)                                                                                          \
    do {                                                                                                            \
        if (!(cond)) {                                                                                              \
            tg_set_err(err, errlen, __VA_ARGS__);                                                                      \
            return false;                                                                                           \
        }                                                                                                           \
    } while (0)

static bool unsupported(char *err, size_t errlen, const char *layer, const char *kind) {
    tg_set_err(err, errlen, "blas-cpu: model layer '%s' of kind %s is not supported", name_or(layer), kind);
    return false;
}

static bool check_act(const tg_act_layer *a, char *err, size_t errlen) {
    if (activation_known(a->kind))
        return true;
    char kind[48];
    snprintf(kind, sizeof kind, "activation %d", (int)a->kind);
    return unsupported(err, errlen, a->name, kind);
}

static bool check_conv(const tg_conv_layer *c, int in_channels, int out_channels, char *err, size_t errlen) {
    REQUIRE(c->weights, "blas-cpu: model layer '%s' has no weights", name_or(c->name));
    if (c->kernel_y < 1 || c->kernel_x < 1 || c->kernel_y % 2 == 0 || c->kernel_x % 2 == 0 || c->dilation_y < 1 ||
        c->dilation_x < 1) {
        char kind[96];
        snprintf(kind, sizeof kind, "convolution %dx%d dilation %dx%d", (int)c->kernel_y, (int)c->kernel_x,
                 (int)c->dilation_y, (int)c->dilation_x);
        return unsupported(err, errlen, c->name, kind);
    }
    REQUIRE(c->in_channels == in_channels, "blas-cpu: model layer '%s' takes %d channels where the network has %d",
            name_or(c->name), (int)c->in_channels, in_channels);
    REQUIRE(out_channels < 0 || c->out_channels == out_channels,
            "blas-cpu: model layer '%s' makes %d channels where %d are expected", name_or(c->name),
            (int)c->out_channels, out_channels);
    REQUIRE(c->out_channels > 0, "blas-cpu: model layer '%s' has no output channels", name_or(c->name));
    return true;
}

static bool check_bn(const tg_bn_layer *b, int channels, char *err, size_t errlen) {
    REQUIRE(b->merged_scale && b->merged_bias, "blas-cpu: model layer '%s' has no weights", name_or(b->name));
    REQUIRE(b->channels == channels, "blas-cpu: model layer '%s' has %d channels where the network has %d",
            name_or(b->name), (int)b->channels, channels);
    return true;
}

static bool check_matmul(const tg_matmul_layer *m, int in_channels, int out_channels, char *err, size_t errlen) {
    REQUIRE(m->weights, "blas-cpu: model layer '%s' has no weights", name_or(m->name));
    REQUIRE(m->in_channels == in_channels, "blas-cpu: model layer '%s' takes %d channels where the network has %d",
            name_or(m->name), (int)m->in_channels, in_channels);
    REQUIRE(out_channels < 0 || m->out_channels == out_channels,
            "blas-cpu: model layer '%s' makes %d channels where %d are expected", name_or(m->name),
            (int)m->out_channels, out_channels);
    REQUIRE(m->out_channels > 0, "blas-cpu: model layer '%s' has no output channels", name_or(m->name));
    return true;
}

static bool check_matbias(const tg_matbias_layer *b, int channels, char *err, size_t errlen) {
    REQUIRE(b->weights, "blas-cpu: model layer '%s' has no weights", name_or(b->name));
    REQUIRE(b->channels == channels, "blas-cpu: model layer '%s' has %d channels where the network has %d",
            name_or(b->name), (int)b->channels, channels);
    return true;
}

static bool check_tf_norm(const tg_tf_norm_layer *n, int channels, char *err, size_t errlen) {
    REQUIRE(n->weight, "blas-cpu: model layer '%s' has no weights", name_or(n->name));
    REQUIRE(n->channels == channels, "blas-cpu: model layer '%s' has %d channels where the network has %d",
            name_or(n->name), (int)n->channels, channels);
    REQUIRE(n->epsilon > 0.0f, "blas-cpu: model layer '%s' has a non-positive epsilon", name_or(n->name));
    return true;
}

static bool prepare_stack(tg_blas_net *net, const tg_block *src, int n, int channels, int depth,
                          blas_block **out, char *err, size_t errlen);

/* Fills the cos/sin tables of one attention block for the net's board tensor (positions are tensor
 * coordinates, so a smaller board in the corner sees the same angles as on an exact-size tensor). */
static bool prepare_rope(tg_blas_net *net, const tg_attention_block *a, blas_block *bb, char *err, size_t errlen) {
    const int pairs = a->q_head_dim / 2;
    const int rows = a->learnable_rope ? a->num_kv_heads * pairs : pairs;
    const size_t count = (size_t)rows * net->hw;
    bb->rope_cos = malloc(sizeof(float) * count);
    bb->rope_sin = malloc(sizeof(float) * count);
    REQUIRE(bb->rope_cos && bb->rope_sin, "blas-cpu: out of memory for the RoPE tables of '%s'", name_or(a->name));
    for (int row = 0; row < rows; row++) {
        for (int y = 0; y < net->nn_y; y++)
            for (int x = 0; x < net->nn_x; x++) {
                float angle;
                if (a->learnable_rope) {
                    const float fx = a->rope_freqs[(size_t)row * 2 + 0], fy = a->rope_freqs[(size_t)row * 2 + 1];
                    angle = (float)x * fx + (float)y * fy;
                } else {
                    /* the first half of the pairs encode the row, the second half the column */
                    const int half = pairs / 2;
                    const int k = row < half ? row : row - half;
                    const float freq = 1.0f / powf(a->rope_theta, (float)(2 * k) / (float)pairs);
                    angle = (float)(row < half ? y : x) * freq;
                }
                const size_t i = (size_t)row * net->hw + (size_t)y * net->nn_x + x;
                bb->rope_cos[i] = cosf(angle);
                bb->rope_sin[i] = sinf(angle);
            }
    }
    return true;
}

static bool prepare_block(tg_blas_net *net, const tg_block *b, int index, int channels, int depth,
                          blas_block *bb, char *err, size_t errlen) {
    bb->src = b;
    REQUIRE(b->u.any, "blas-cpu: model block %d has no data", index);
    switch (b->kind) {
    case TG_BLOCK_ORDINARY: {
        const tg_residual_block *r = b->u.ordinary;
        const int mid = r->regular_conv.out_channels;
        return check_bn(&r->pre_bn, channels, err, errlen) && check_act(&r->pre_act, err, errlen) &&
               check_conv(&r->regular_conv, channels, -1, err, errlen) && check_bn(&r->mid_bn, mid, err, errlen) &&
               check_act(&r->mid_act, err, errlen) && check_conv(&r->final_conv, mid, channels, err, errlen);
    }
    case TG_BLOCK_GPOOL: {
        const tg_gpool_block *g = b->u.gpool;
        const int mid = g->regular_conv.out_channels, gp = g->gpool_conv.out_channels;
        return check_bn(&g->pre_bn, channels, err, errlen) && check_act(&g->pre_act, err, errlen) &&
               check_conv(&g->regular_conv, channels, -1, err, errlen) &&
               check_conv(&g->gpool_conv, channels, -1, err, errlen) && check_bn(&g->gpool_bn, gp, err, errlen) &&
               check_act(&g->gpool_act, err, errlen) &&
               check_matmul(&g->gpool_to_bias_mul, 3 * gp, mid, err, errlen) &&
               check_bn(&g->mid_bn, mid, err, errlen) && check_act(&g->mid_act, err, errlen) &&
               check_conv(&g->final_conv, mid, channels, err, errlen);
    }
    case TG_BLOCK_NESTED_BOTTLENECK: {
        const tg_nested_block *nb = b->u.nested;
        REQUIRE(depth < MAX_NESTING, "blas-cpu: model block '%s' nests deeper than %d levels", name_or(nb->name),
                MAX_NESTING);
        const int mid = nb->pre_conv.out_channels;
        if (!(check_bn(&nb->pre_bn, channels, err, errlen) && check_act(&nb->pre_act, err, errlen) &&
              check_conv(&nb->pre_conv, channels, -1, err, errlen) && check_bn(&nb->post_bn, mid, err, errlen) &&
              check_act(&nb->post_act, err, errlen) && check_conv(&nb->post_conv, mid, channels, err, errlen)))
            return false;
        REQUIRE(nb->num_blocks >= 0 && (nb->num_blocks == 0 || nb->blocks),
                "blas-cpu: model block '%s' has no inner blocks", name_or(nb->name));
        bb->num_inner = nb->num_blocks;
        return prepare_stack(net, nb->blocks, nb->num_blocks, mid, depth + 1, &bb->inner, err, errlen);
    }
    case TG_BLOCK_TRANSFORMER_ATTENTION: {
        const tg_attention_block *a = b->u.attention;
        REQUIRE(a->num_heads > 0 && a->num_kv_heads > 0 && a->num_heads % a->num_kv_heads == 0 &&
                    a->q_head_dim > 0 && a->v_head_dim > 0,
                "blas-cpu: model layer '%s' has inconsistent head counts (%d heads, %d kv heads, dims %d/%d)",
                name_or(a->name), (int)a->num_heads, (int)a->num_kv_heads, (int)a->q_head_dim, (int)a->v_head_dim);
        if (!(check_tf_norm(&a->pre_norm, channels, err, errlen) &&
              check_matmul(&a->q_proj, channels, a->num_heads * a->q_head_dim, err, errlen) &&
              check_matmul(&a->k_proj, channels, a->num_kv_heads * a->q_head_dim, err, errlen) &&
              check_matmul(&a->v_proj, channels, a->num_kv_heads * a->v_head_dim, err, errlen) &&
              check_matmul(&a->out_proj, a->num_heads * a->v_head_dim, channels, err, errlen)))
            return false;
        if (!a->use_rope)
            return true;
        if (a->q_head_dim % 2 != 0)
            return unsupported(err, errlen, a->name, "transformer_attention with RoPE and an odd head size");
        if (a->learnable_rope) {
            REQUIRE(a->rope_freqs && a->rope_num_kv_heads == a->num_kv_heads && a->rope_num_pairs == a->q_head_dim / 2,
                    "blas-cpu: model layer '%s' has learnable RoPE frequencies of the wrong shape", name_or(a->name));
        } else {
            REQUIRE(a->rope_theta > 0.0f && isfinite(a->rope_theta),
                    "blas-cpu: model layer '%s' has a RoPE theta that is not positive", name_or(a->name));
        }
        return prepare_rope(net, a, bb, err, errlen);
    }
    case TG_BLOCK_TRANSFORMER_FFN: {
        const tg_ffn_block *f = b->u.ffn;
        /* KataGo's files do not say which activation a plain FFN uses, and no KataGo backend runs one */
        if (!f->use_swiglu)
            return unsupported(err, errlen, f->name, "transformer_ffn without SwiGLU");
        return check_tf_norm(&f->pre_norm, channels, err, errlen) &&
               check_matmul(&f->linear1, channels, f->ffn_channels, err, errlen) &&
               check_matmul(&f->linear_gate, channels, f->ffn_channels, err, errlen) &&
               check_matmul(&f->linear2, f->ffn_channels, channels, err, errlen);
    }
    default:
        tg_set_err(err, errlen, "blas-cpu: model block %d of kind %d (%s) is not supported", index, (int)b->kind,
                tg_block_kind_name(b->kind));
        return false;
    }
}

static bool prepare_stack(tg_blas_net *net, const tg_block *src, int n, int channels, int depth,
                          blas_block **out, char *err, size_t errlen) {
    *out = NULL;
    if (n == 0)
        return true;
    blas_block *blocks = calloc((size_t)n, sizeof *blocks);
    REQUIRE(blocks, "blas-cpu: out of memory preparing the network");
    *out = blocks; /* owned by the caller from here on, even on failure, so one free covers it */
    for (int i = 0; i < n; i++)
        if (!prepare_block(net, &src[i], i, channels, depth, &blocks[i], err, errlen))
            return false;
    return true;
}

static bool check_heads(const tg_model *m, char *err, size_t errlen) {
    const int c = m->trunk.channels;
    const tg_policy_head *p = &m->policy;
    const int p1 = p->p1_conv.out_channels, g1 = p->g1_conv.out_channels;
    if (!(check_conv(&p->p1_conv, c, -1, err, errlen) && check_conv(&p->g1_conv, c, -1, err, errlen) &&
          check_bn(&p->g1_bn, g1, err, errlen) && check_act(&p->g1_act, err, errlen) &&
          check_matmul(&p->gpool_to_bias_mul, 3 * g1, p1, err, errlen) && check_bn(&p->p1_bn, p1, err, errlen) &&
          check_act(&p->p1_act, err, errlen) && check_conv(&p->p2_conv, p1, m->num_policy_channels, err, errlen)))
        return false;
    if (p->has_pass_mlp) {
        const int hidden = p->gpool_to_pass_mul.out_channels;
        if (!(check_matmul(&p->gpool_to_pass_mul, 3 * g1, -1, err, errlen) &&
              check_matbias(&p->gpool_to_pass_bias, hidden, err, errlen) && check_act(&p->pass_act, err, errlen) &&
              check_matmul(&p->gpool_to_pass_mul2, hidden, m->num_policy_channels, err, errlen)))
            return false;
    } else if (!check_matmul(&p->gpool_to_pass_mul, 3 * g1, m->num_policy_channels, err, errlen)) {
        return false;
    }
    const tg_value_head *v = &m->value;
    const int v1 = v->v1_conv.out_channels, v2 = v->v2_mul.out_channels;
    return check_conv(&v->v1_conv, c, -1, err, errlen) && check_bn(&v->v1_bn, v1, err, errlen) &&
           check_act(&v->v1_act, err, errlen) && check_matmul(&v->v2_mul, 3 * v1, -1, err, errlen) &&
           check_matbias(&v->v2_bias, v2, err, errlen) && check_act(&v->v2_act, err, errlen) &&
           check_matmul(&v->v3_mul, v2, m->num_value_channels, err, errlen) &&
           check_matbias(&v->v3_bias, m->num_value_channels, err, errlen) &&
           check_matmul(&v->sv3_mul, v2, m->num_score_value_channels, err, errlen) &&
           check_matbias(&v->sv3_bias, m->num_score_value_channels, err, errlen) &&
           check_conv(&v->ownership_conv, v1, m->num_ownership_channels, err, errlen);
}

static bool check_trunk(const tg_model *m, char *err, size_t errlen) {
    const tg_trunk *t = &m->trunk;
    const int c = t->channels;
    REQUIRE(c > 0 && t->num_blocks >= 0 && (t->num_blocks == 0 || t->blocks),
            "blas-cpu: model '%s' has an empty trunk", name_or(m->name));
    if (!(check_conv(&t->initial_conv, m->num_input_channels, c, err, errlen) &&
          check_matmul(&t->initial_matmul, m->num_input_global_channels, c, err, errlen)))
        return false;
    if (t->has_meta_encoder) {
        const tg_meta_encoder *e = &t->meta_encoder;
        const int h1 = e->mul1.out_channels, h2 = e->mul2.out_channels;
        if (!(check_matmul(&e->mul1, m->num_input_meta_channels, -1, err, errlen) &&
              check_matbias(&e->bias1, h1, err, errlen) && check_act(&e->act1, err, errlen) &&
              check_matmul(&e->mul2, h1, -1, err, errlen) && check_matbias(&e->bias2, h2, err, errlen) &&
              check_act(&e->act2, err, errlen) && check_matmul(&e->mul3, h2, c, err, errlen)))
            return false;
    }
    if (t->norm_kind == TG_TRUNK_NORM_BATCHNORM) {
        if (!check_bn(&t->tip_bn, c, err, errlen))
            return false;
    } else if (t->norm_kind == TG_TRUNK_NORM_RMSNORM) {
        const tg_rmsnorm_layer *r = &t->tip_rmsnorm;
        if (r->group_size != 0)
            return unsupported(err, errlen, r->name, "grouped rmsnorm");
        REQUIRE(r->gamma && r->beta && r->channels == c && r->epsilon > 0.0f,
                "blas-cpu: model layer '%s' does not fit the trunk (%d channels, trunk %d)", name_or(r->name),
                (int)r->channels, c);
    } else {
        char kind[48];
        snprintf(kind, sizeof kind, "trunk norm %d", (int)t->norm_kind);
        return unsupported(err, errlen, t->name, kind);
    }
    return check_act(&t->tip_act, err, errlen);
}

/* ---- scratch sizing: each *_need mirrors the takes of the matching *_run */

static size_t stack_need(const tg_block *blocks, int n, size_t batch, size_t hw, int nn_y, int nn_x);

/* The channel-last path's takes for block b on a trunk of `channels`, counting the run's own copy of
 * x; 0 when the block is not one the path can take. An upper bound: the path also requires Winograd
 * weights and multiples of 16 channels, which are decided later. */
static size_t block_cl_need(const tg_block *b, size_t batch, int nn_y, int nn_x) {
    size_t (*cl)(int, int, int, int) = tg_wino_cl_floats;
    const int n = (int)batch;
    if (b->kind == TG_BLOCK_ORDINARY) {
        const tg_residual_block *o = b->u.ordinary;
        const int c = o->final_conv.out_channels;
        return cl(n, nn_y, nn_x, c) + cl(n, nn_y, nn_x, o->regular_conv.out_channels);
    }
    if (b->kind == TG_BLOCK_GPOOL) {
        const tg_gpool_block *g = b->u.gpool;
        const int c = g->final_conv.out_channels, mid = g->regular_conv.out_channels, gp = g->gpool_conv.out_channels;
        return cl(n, nn_y, nn_x, c) + cl(n, nn_y, nn_x, mid) + cl(n, nn_y, nn_x, gp) + batch * (3 * (size_t)gp + mid);
    }
    return 0;
}

static size_t block_need(const tg_block *b, size_t batch, size_t hw, int nn_y, int nn_x) {
    const size_t cl = block_cl_need(b, batch, nn_y, nn_x);
    size_t need = 0;
    switch (b->kind) {
    case TG_BLOCK_ORDINARY:
        need = 2 * batch * (size_t)b->u.ordinary->regular_conv.out_channels * hw;
        break;
    case TG_BLOCK_GPOOL: {
        const tg_gpool_block *g = b->u.gpool;
        const size_t mid = (size_t)g->regular_conv.out_channels, gp = (size_t)g->gpool_conv.out_channels;
        need = batch * (2 * mid * hw + gp * hw + 3 * gp + mid);
        break;
    }
    case TG_BLOCK_NESTED_BOTTLENECK: {
        const tg_nested_block *nb = b->u.nested;
        need = 2 * batch * (size_t)nb->pre_conv.out_channels * hw +
               stack_need(nb->blocks, nb->num_blocks, batch, hw, nn_y, nn_x);
        break;
    }
    case TG_BLOCK_TRANSFORMER_ATTENTION: {
        const tg_attention_block *a = b->u.attention;
        const size_t per_point = (size_t)a->num_heads * a->q_head_dim + (size_t)a->num_kv_heads * a->q_head_dim +
                                 (size_t)a->num_kv_heads * a->v_head_dim + (size_t)a->num_heads * a->v_head_dim;
        need = batch * per_point * hw + hw * hw;
        break;
    }
    case TG_BLOCK_TRANSFORMER_FFN:
        need = 2 * batch * (size_t)b->u.ffn->ffn_channels * hw;
        break;
    default:
        break;
    }
    return need > cl ? need : cl;
}

static size_t stack_need(const tg_block *blocks, int n, size_t batch, size_t hw, int nn_y, int nn_x) {
    size_t need = 0;
    for (int i = 0; i < n; i++) {
        const size_t b = block_need(&blocks[i], batch, hw, nn_y, nn_x);
        if (b > need)
            need = b;
    }
    return need;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static size_t stem_need(const tg_model *m, size_t batch) {
    size_t need = batch * (size_t)m->trunk.channels;
    if (m->trunk.has_meta_encoder)
        need += batch * (size_t)(m->trunk.meta_encoder.mul1.out_channels + m->trunk.meta_encoder.mul2.out_channels +
                                 m->trunk.channels);
    return need;
}

static size_t policy_need(const tg_model *m, size_t batch, size_t hw) {
    const tg_policy_head *p = &m->policy;
    const size_t p1 = (size_t)p->p1_conv.out_channels, g1 = (size_t)p->g1_conv.out_channels;
    size_t need = batch * (p1 * hw + g1 * hw + 3 * g1 + p1);
    if (p->has_pass_mlp)
        need += batch * (size_t)p->gpool_to_pass_mul.out_channels;
    return need;
}

static size_t value_need(const tg_model *m, size_t batch, size_t hw) {
    const tg_value_head *v = &m->value;
    const size_t v1 = (size_t)v->v1_conv.out_channels;
    return batch * (v1 * hw + 3 * v1 + (size_t)v->v2_mul.out_channels);
}

/* Prepares the Winograd weights of c when it is a 3x3 convolution; false when memory runs out. */
static bool add_wino(tg_blas_net *net, const tg_conv_layer *c) {
    if (!tg_wino_applies(c))
        return true;
    for (int i = 0; i < net->num_wino; i++)
        if (net->wino[i].layer == c)
            return true;
    if (net->num_wino == net->cap_wino) {
        const int cap = net->cap_wino ? 2 * net->cap_wino : 16;
        tg_wino_weights *grown = realloc(net->wino, sizeof *grown * (size_t)cap);
        if (!grown)
            return false;
        net->wino = grown;
        net->cap_wino = cap;
    }
    if (!tg_wino_prepare(c, &net->wino[net->num_wino]))
        return false;
    net->num_wino++;
    return true;
}

static const tg_wino_weights *find_wino(const tg_blas_net *net, const tg_conv_layer *c) {
    if (!net->use_wino)
        return NULL;
    for (int i = 0; i < net->num_wino; i++)
        if (net->wino[i].layer == c)
            return &net->wino[i];
    return NULL;
}

void tg_blas_net_set_winograd(tg_blas_net *net, bool on) { net->use_wino = on; }

/* The larger of the two paths' workspaces, so the Winograd path can be switched off at run time;
 * also prepares the layer's Winograd weights (net->oom records a failure). */
static size_t conv_ws(const tg_conv_layer *c, tg_blas_net *net) {
    size_t ws = tg_blas_conv_workspace(c, net->nn_y, net->nn_x);
    if (tg_wino_applies(c)) {
        if (!add_wino(net, c))
            net->oom = true;
        ws = max_size(ws, tg_wino_workspace(c, net->max_batch, net->nn_y, net->nn_x));
    }
    return ws;
}

static size_t stack_workspace(tg_blas_net *net, const tg_block *blocks, int n) {
    size_t ws = 0;
    for (int i = 0; i < n; i++) {
        const tg_block *b = &blocks[i];
        if (b->kind == TG_BLOCK_ORDINARY) {
            ws = max_size(ws, conv_ws(&b->u.ordinary->regular_conv, net));
            ws = max_size(ws, conv_ws(&b->u.ordinary->final_conv, net));
        } else if (b->kind == TG_BLOCK_GPOOL) {
            ws = max_size(ws, conv_ws(&b->u.gpool->regular_conv, net));
            ws = max_size(ws, conv_ws(&b->u.gpool->gpool_conv, net));
            ws = max_size(ws, conv_ws(&b->u.gpool->final_conv, net));
        } else if (b->kind == TG_BLOCK_NESTED_BOTTLENECK) {
            ws = max_size(ws, conv_ws(&b->u.nested->pre_conv, net));
            ws = max_size(ws, conv_ws(&b->u.nested->post_conv, net));
            ws = max_size(ws, stack_workspace(net, b->u.nested->blocks, b->u.nested->num_blocks));
        }
    }
    return ws;
}

static bool cl_block(const tg_blas_net *net, const tg_block *b);

tg_blas_net *tg_blas_net_create(const tg_model *model, int nn_x_len, int nn_y_len, int max_batch_size, char *err,
                                size_t errlen) {
    if (!model) {
        tg_set_err(err, errlen, "blas-cpu: no model given");
        return NULL;
    }
    if (model->abi_version != TG_MODEL_ABI_VERSION) {
        /* the layer structs change layout between model ABI versions: reading them would be garbage */
        tg_set_err(err, errlen, "blas-cpu: the core's model structs are ABI version %u, this plugin reads version %d; "
                "rebuild the plugin against this tengen", (unsigned)model->abi_version, TG_MODEL_ABI_VERSION);
        return NULL;
    }
    if (nn_x_len < 1 || nn_y_len < 1 || nn_x_len > 64 || nn_y_len > 64 || max_batch_size < 1) {
        tg_set_err(err, errlen, "blas-cpu: board tensor %dx%d with batch size %d is out of range", nn_x_len, nn_y_len,
                max_batch_size);
        return NULL;
    }
    if (model->num_input_channels < 1 || model->num_input_global_channels < 1 || model->num_policy_channels < 1 ||
        model->num_value_channels < 1 || model->num_score_value_channels < 1 || model->num_ownership_channels < 1) {
        tg_set_err(err, errlen, "blas-cpu: model '%s' declares an empty input or output", name_or(model->name));
        return NULL;
    }
    if (!check_trunk(model, err, errlen) || !check_heads(model, err, errlen))
        return NULL;

    tg_blas_net *net = calloc(1, sizeof *net);
    if (!net) {
        tg_set_err(err, errlen, "blas-cpu: out of memory preparing the network");
        return NULL;
    }
    net->model = model;
    net->nn_x = nn_x_len;
    net->nn_y = nn_y_len;
    net->hw = nn_x_len * nn_y_len;
    net->max_batch = max_batch_size;
    if (!prepare_stack(net, model->trunk.blocks, model->trunk.num_blocks, model->trunk.channels, 0, &net->blocks, err,
                       errlen)) {
        tg_blas_net_destroy(net);
        return NULL;
    }

    const size_t batch = (size_t)max_batch_size, hw = (size_t)net->hw;
    size_t arena_floats = stem_need(model, batch);
    arena_floats = max_size(arena_floats,
                            stack_need(model->trunk.blocks, model->trunk.num_blocks, batch, hw, nn_y_len, nn_x_len));
    arena_floats = max_size(arena_floats, policy_need(model, batch, hw));
    arena_floats = max_size(arena_floats, value_need(model, batch, hw));
    net->arena_floats = arena_floats;

    size_t ws = conv_ws(&model->trunk.initial_conv, net);
    ws = max_size(ws, stack_workspace(net, model->trunk.blocks, model->trunk.num_blocks));
    ws = max_size(ws, conv_ws(&model->policy.p1_conv, net));
    ws = max_size(ws, conv_ws(&model->policy.g1_conv, net));
    ws = max_size(ws, conv_ws(&model->policy.p2_conv, net));
    ws = max_size(ws, conv_ws(&model->value.v1_conv, net));
    ws = max_size(ws, conv_ws(&model->value.ownership_conv, net));
    net->workspace_floats = ws;
    net->use_wino = true;
    net->stem_cl = model->trunk.num_blocks > 0 && model->trunk.channels % TG_VW == 0 &&
                   find_wino(net, &model->trunk.initial_conv) && cl_block(net, &model->trunk.blocks[0]);
    if (net->oom) {
        tg_set_err(err, errlen, "blas-cpu: out of memory preparing the Winograd weights");
        tg_blas_net_destroy(net);
        return NULL;
    }
    return net;
}

/* ------------------------------------------------------------------ scratch */

static size_t x_cl_floats(const tg_blas_net *net) {
    return net->stem_cl ? tg_wino_cl_floats(net->max_batch, net->nn_y, net->nn_x, net->model->trunk.channels) : 0;
}

static size_t scratch_floats(const tg_blas_net *net, size_t *trunk_floats) {
    const size_t batch = (size_t)net->max_batch, hw = (size_t)net->hw;
    *trunk_floats = batch * (size_t)net->model->trunk.channels * hw;
    return batch * hw + batch + 2 * *trunk_floats + net->workspace_floats + net->arena_floats + x_cl_floats(net);
}

size_t tg_blas_scratch_bytes(const tg_blas_net *net) {
    size_t trunk;
    return sizeof(float) * scratch_floats(net, &trunk);
}

tg_blas_scratch *tg_blas_scratch_create(const tg_blas_net *net, char *err, size_t errlen) {
    size_t trunk;
    const size_t total = scratch_floats(net, &trunk);
    tg_blas_scratch *s = calloc(1, sizeof *s);
    /* one block for everything: 64-byte alignment keeps OpenBLAS on its aligned paths */
    float *mem = NULL;
    const size_t bytes = (sizeof(float) * total + 63) / 64 * 64;
    if (s)
        mem = aligned_alloc(64, bytes);
    if (!s || !mem) {
        free(s);
        tg_set_err(err, errlen, "blas-cpu: out of memory allocating %.1f MiB of scratch for batch size %d",
                (double)bytes / (1024.0 * 1024.0), net->max_batch);
        return NULL;
    }
    memset(mem, 0, bytes);
    const size_t batch = (size_t)net->max_batch, hw = (size_t)net->hw;
    s->mask = mem;
    s->mask_sum = s->mask + batch * hw;
    s->x = s->mask_sum + batch;
    s->t = s->x + trunk;
    s->workspace = s->t + trunk;
    s->arena = s->workspace + net->workspace_floats;
    s->arena_floats = net->arena_floats;
    s->x_cl = net->stem_cl ? s->arena + net->arena_floats : NULL;
    return s;
}

void tg_blas_scratch_destroy(tg_blas_scratch *scratch) {
    if (!scratch)
        return;
    free(scratch->mask); /* the start of the single block */
    free(scratch);
}

/* ------------------------------------------------------------------ the pass */

typedef struct run_ctx {
    const tg_blas_net *net;
    int batch, hw, nn_x, nn_y;
    const float *mask, *mask_sum;
    float *workspace;
    arena ar;
} run_ctx;

static void conv(run_ctx *r, const tg_conv_layer *c, const float *in, float *out, bool accumulate) {
    const tg_wino_weights *w = find_wino(r->net, c);
    if (w)
        tg_wino_conv(w, r->batch, r->nn_y, r->nn_x, in, out, r->workspace, NULL,
                     accumulate ? TG_WINO_ACCUMULATE : TG_WINO_STORE, NULL);
    else
        tg_blas_conv(c, r->batch, r->nn_y, r->nn_x, in, out, r->workspace, accumulate);
}

static void bn_act(run_ctx *r, const tg_bn_layer *bn, const tg_act_layer *act, const float *in, float *out) {
    tg_blas_norm_act(bn->merged_scale, bn->merged_bias, act->kind, r->batch, bn->channels, r->hw, r->mask, in, out);
}

static bool stack_run(run_ctx *r, const blas_block *blocks, int n, int channels, float *x, float *t, float *x_cl,
                      const tg_wino_norm *tip, bool *tip_done);

/* x += final(mid(regular(pre(x)))) */
static bool ordinary_run(run_ctx *r, const tg_residual_block *b, float *x, float *t) {
    const size_t mid_floats = (size_t)r->batch * b->regular_conv.out_channels * r->hw;
    float *mid = take(&r->ar, mid_floats), *mid_t = take(&r->ar, mid_floats);
    if (!mid || !mid_t)
        return false;
    const tg_wino_weights *w = find_wino(r->net, &b->regular_conv);
    if (w) {
        /* both norms ride along the convolution's own passes over the data: the same arithmetic
         * as the separate passes below, without writing and rereading t and mid */
        const tg_wino_norm pre = {b->pre_bn.merged_scale, b->pre_bn.merged_bias, b->pre_act.kind, r->mask, 0};
        const tg_wino_norm post = {b->mid_bn.merged_scale, b->mid_bn.merged_bias, b->mid_act.kind, r->mask, 0};
        tg_wino_conv(w, r->batch, r->nn_y, r->nn_x, x, mid_t, r->workspace, &pre, TG_WINO_NORM_ACT, &post);
    } else {
        bn_act(r, &b->pre_bn, &b->pre_act, x, t);
        conv(r, &b->regular_conv, t, mid, false);
        bn_act(r, &b->mid_bn, &b->mid_act, mid, mid_t);
    }
    conv(r, &b->final_conv, mid_t, x, true);
    return true;
}

/* A global-pooling block's per-image bias of mid, made the bias of mid's norm instead:
 * bn(mid + bias) = scale * mid + (scale * bias + bn_bias). bias is [batch][bn->channels]. */
static void fold_into_norm(const tg_bn_layer *bn, int batch, float *bias) {
    for (int n = 0; n < batch; n++)
        for (int c = 0; c < bn->channels; c++)
            bias[(size_t)n * bn->channels + c] = bn->merged_scale[c] * bias[(size_t)n * bn->channels + c] +
                                                 bn->merged_bias[c];
}

static bool gpool_run(run_ctx *r, const tg_gpool_block *b, float *x, float *t) {
    const int mid_c = b->regular_conv.out_channels, gp_c = b->gpool_conv.out_channels;
    const size_t batch = (size_t)r->batch, hw = (size_t)r->hw;
    float *mid = take(&r->ar, batch * mid_c * hw), *mid_t = take(&r->ar, batch * mid_c * hw);
    float *gp = take(&r->ar, batch * gp_c * hw), *pooled = take(&r->ar, batch * 3 * gp_c);
    float *bias = take(&r->ar, batch * mid_c);
    if (!mid || !mid_t || !gp || !pooled || !bias)
        return false;
    const tg_wino_weights *wr = find_wino(r->net, &b->regular_conv), *wg = find_wino(r->net, &b->gpool_conv);
    if (wr && wg) {
        /* As in ordinary_run, the norms ride along the convolutions' passes. The pooled branch
         * runs first because its output is a per-image bias of mid that the mid norm follows:
         * mid_bn(mid + bias) = scale * mid + (scale * bias + mid_bias), a per-image norm bias.
         * Both convolutions read the same pre-normed x, so the second reuses the first's copy. */
        const tg_wino_norm pre = {b->pre_bn.merged_scale, b->pre_bn.merged_bias, b->pre_act.kind, r->mask, 0};
        const tg_wino_norm gnorm = {b->gpool_bn.merged_scale, b->gpool_bn.merged_bias, b->gpool_act.kind, r->mask,
                                    0};
        tg_wino_conv(wg, r->batch, r->nn_y, r->nn_x, x, gp, r->workspace, &pre, TG_WINO_NORM_ACT, &gnorm);
        tg_blas_gpool(r->batch, gp_c, r->hw, gp, r->mask, r->mask_sum, pooled);
        tg_blas_matmul(&b->gpool_to_bias_mul, r->batch, pooled, bias);
        fold_into_norm(&b->mid_bn, r->batch, bias);
        const tg_wino_norm post = {b->mid_bn.merged_scale, bias, b->mid_act.kind, r->mask, (size_t)mid_c};
        tg_wino_conv(wr, r->batch, r->nn_y, r->nn_x, NULL, mid_t, r->workspace, NULL, TG_WINO_NORM_ACT, &post);
        conv(r, &b->final_conv, mid_t, x, true);
        return true;
    }
    bn_act(r, &b->pre_bn, &b->pre_act, x, t);
    conv(r, &b->regular_conv, t, mid, false);
    conv(r, &b->gpool_conv, t, gp, false);
    bn_act(r, &b->gpool_bn, &b->gpool_act, gp, gp);
    tg_blas_gpool(r->batch, gp_c, r->hw, gp, r->mask, r->mask_sum, pooled);
    tg_blas_matmul(&b->gpool_to_bias_mul, r->batch, pooled, bias);
    add_channel_bias(r->batch, mid_c, r->hw, bias, mid);
    bn_act(r, &b->mid_bn, &b->mid_act, mid, mid_t);
    conv(r, &b->final_conv, mid_t, x, true);
    return true;
}

static bool nested_run(run_ctx *r, const tg_nested_block *b, const blas_block *bb, float *x, float *t) {
    const int mid_c = b->pre_conv.out_channels;
    const size_t mid_floats = (size_t)r->batch * mid_c * r->hw;
    float *mid = take(&r->ar, mid_floats), *mid_t = take(&r->ar, mid_floats);
    if (!mid || !mid_t)
        return false;
    bn_act(r, &b->pre_bn, &b->pre_act, x, t);
    conv(r, &b->pre_conv, t, mid, false);
    if (!stack_run(r, bb->inner, bb->num_inner, mid_c, mid, mid_t, NULL, NULL, NULL))
        return false;
    bn_act(r, &b->post_bn, &b->post_act, mid, mid_t);
    conv(r, &b->post_conv, mid_t, x, true);
    return true;
}

/* Rotates channel pairs (2p, 2p+1) of every head of buf [batch][heads * head_dim][hw] by the
 * block's RoPE angles; with learned frequencies head h uses its kv head's table. */
static void apply_rope(run_ctx *r, const tg_attention_block *a, const blas_block *bb, float *buf, int heads) {
    const int pairs = a->q_head_dim / 2, hw = r->hw;
    for (int n = 0; n < r->batch; n++)
        for (int h = 0; h < heads; h++) {
            const int kv = h * a->num_kv_heads / heads;
            for (int p = 0; p < pairs; p++) {
                const size_t row = (size_t)(a->learnable_rope ? kv * pairs + p : p) * hw;
                const float *cs = bb->rope_cos + row, *sn = bb->rope_sin + row;
                float *c0 = buf + ((size_t)n * heads * a->q_head_dim + (size_t)h * a->q_head_dim + 2 * p) * hw;
                float *c1 = c0 + hw;
                for (int i = 0; i < hw; i++) {
                    const float u = c0[i], v = c1[i];
                    c0[i] = u * cs[i] - v * sn[i];
                    c1[i] = u * sn[i] + v * cs[i];
                }
            }
        }
}

/* Turns each on-board query row of scores [hw][hw] into softmax weights over the on-board keys;
 * rows of off-board queries become zero, so those points attend to nothing. */
static void masked_softmax(int hw, float scale, const float *mask, float *scores) {
    for (int q = 0; q < hw; q++) {
        float *row = scores + (size_t)q * hw;
        if (mask[q] == 0.0f) {
            memset(row, 0, sizeof(float) * (size_t)hw);
            continue;
        }
        float max = -1e30f;
        for (int k = 0; k < hw; k++) {
            row[k] *= scale;
            if (mask[k] != 0.0f && row[k] > max)
                max = row[k];
        }
        float sum = 0.0f;
        for (int k = 0; k < hw; k++) {
            const float e = mask[k] != 0.0f ? expf(row[k] - max) : 0.0f;
            row[k] = e;
            sum += e;
        }
        const float inv = 1.0f / sum;
        for (int k = 0; k < hw; k++)
            row[k] *= inv;
    }
}

static bool attention_run(run_ctx *r, const tg_attention_block *a, const blas_block *bb, int channels, float *x,
                          float *t) {
    const size_t batch = (size_t)r->batch, hw = (size_t)r->hw;
    const int heads = a->num_heads, kv_heads = a->num_kv_heads, dq = a->q_head_dim, dv = a->v_head_dim;
    float *q = take(&r->ar, batch * heads * dq * hw), *k = take(&r->ar, batch * kv_heads * dq * hw);
    float *v = take(&r->ar, batch * kv_heads * dv * hw), *o = take(&r->ar, batch * heads * dv * hw);
    float *scores = take(&r->ar, hw * hw);
    if (!q || !k || !v || !o || !scores)
        return false;

    rms_norm_points(r->batch, channels, r->hw, a->pre_norm.epsilon, a->pre_norm.weight, NULL, TG_ACT_IDENTITY,
                    r->mask, x, t);
    matmul_points(&a->q_proj, r->batch, r->hw, t, q);
    matmul_points(&a->k_proj, r->batch, r->hw, t, k);
    matmul_points(&a->v_proj, r->batch, r->hw, t, v);
    if (a->use_rope) {
        apply_rope(r, a, bb, q, heads);
        apply_rope(r, a, bb, k, kv_heads);
    }

    const float scale = 1.0f / sqrtf((float)dq);
    const int group = heads / kv_heads;
    for (int n = 0; n < r->batch; n++)
        for (int h = 0; h < heads; h++) {
            const int kvh = h / group;
            /* in NCHW a head's channels are one contiguous [head_dim][hw] matrix */
            const float *qh = q + ((size_t)n * heads + h) * dq * hw;
            const float *kh = k + ((size_t)n * kv_heads + kvh) * dq * hw;
            const float *vh = v + ((size_t)n * kv_heads + kvh) * dv * hw;
            float *oh = o + ((size_t)n * heads + h) * dv * hw;
            /* scores[i][j] = q_i . k_j */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r->hw, r->hw, dq, 1.0f, qh, r->hw, kh, r->hw, 0.0f,
                        scores, r->hw);
            masked_softmax(r->hw, scale, r->mask + (size_t)n * hw, scores);
            /* out[d][i] = sum_j v[d][j] * weights[i][j] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, dv, r->hw, r->hw, 1.0f, vh, r->hw, scores, r->hw,
                        0.0f, oh, r->hw);
        }
    matmul_points(&a->out_proj, r->batch, r->hw, o, t);
    add_masked(r->batch, channels, r->hw, r->mask, t, x);
    return true;
}

static bool ffn_run(run_ctx *r, const tg_ffn_block *f, int channels, float *x, float *t) {
    const size_t count = (size_t)r->batch * f->ffn_channels * r->hw;
    float *a = take(&r->ar, count), *g = take(&r->ar, count);
    if (!a || !g)
        return false;
    rms_norm_points(r->batch, channels, r->hw, f->pre_norm.epsilon, f->pre_norm.weight, NULL, TG_ACT_IDENTITY,
                    r->mask, x, t);
    matmul_points(&f->linear1, r->batch, r->hw, t, a);
    matmul_points(&f->linear_gate, r->batch, r->hw, t, g);
    for (size_t i = 0; i < count; i++) /* SwiGLU: silu(a) * gate */
        a[i] = a[i] / (1.0f + expf(-a[i])) * g[i];
    matmul_points(&f->linear2, r->batch, r->hw, a, t);
    add_masked(r->batch, channels, r->hw, r->mask, t, x);
    return true;
}

/* ---- the channel-last path (winograd.h): runs of ordinary and global-pooling blocks */

/* The channel-last weights of c, or NULL when c cannot take the channel-last path. */
static const tg_wino_weights *cl_wino(const tg_blas_net *net, const tg_conv_layer *c) {
    const tg_wino_weights *w = find_wino(net, c);
    return w && tg_wino_cl_applies(w) ? w : NULL;
}

static bool cl_block(const tg_blas_net *net, const tg_block *b) {
    if (b->kind == TG_BLOCK_ORDINARY)
        return cl_wino(net, &b->u.ordinary->regular_conv) && cl_wino(net, &b->u.ordinary->final_conv);
    if (b->kind == TG_BLOCK_GPOOL)
        return cl_wino(net, &b->u.gpool->regular_conv) && cl_wino(net, &b->u.gpool->gpool_conv) &&
               cl_wino(net, &b->u.gpool->final_conv);
    return false;
}

static float *take_cl(run_ctx *r, int channels) {
    return take(&r->ar, tg_wino_cl_floats(r->batch, r->nn_y, r->nn_x, channels));
}

/* ordinary_run on a channel-last x: x += final(mid(regular(pre(x)))) */
static bool ordinary_cl(run_ctx *r, const tg_residual_block *b, float *x) {
    float *mid = take_cl(r, b->regular_conv.out_channels);
    if (!mid)
        return false;
    const tg_wino_norm pre = {b->pre_bn.merged_scale, b->pre_bn.merged_bias, b->pre_act.kind, r->mask, 0};
    const tg_wino_norm post = {b->mid_bn.merged_scale, b->mid_bn.merged_bias, b->mid_act.kind, r->mask, 0};
    tg_wino_conv_cl(find_wino(r->net, &b->regular_conv), r->batch, r->nn_y, r->nn_x, x, mid, r->workspace, &pre,
                    TG_WINO_NORM_ACT, &post);
    tg_wino_conv_cl(find_wino(r->net, &b->final_conv), r->batch, r->nn_y, r->nn_x, mid, x, r->workspace, NULL,
                    TG_WINO_ACCUMULATE, NULL);
    return true;
}

/* gpool_run on a channel-last x, in the same order: the pooled branch first, its per-image bias
 * folded into the mid norm. */
static bool gpool_cl(run_ctx *r, const tg_gpool_block *b, float *x) {
    const int mid_c = b->regular_conv.out_channels, gp_c = b->gpool_conv.out_channels;
    const size_t batch = (size_t)r->batch;
    float *mid = take_cl(r, mid_c), *gp = take_cl(r, gp_c);
    float *pooled = take(&r->ar, batch * 3 * gp_c), *bias = take(&r->ar, batch * mid_c);
    if (!mid || !gp || !pooled || !bias)
        return false;
    const tg_wino_norm pre = {b->pre_bn.merged_scale, b->pre_bn.merged_bias, b->pre_act.kind, r->mask, 0};
    const tg_wino_norm gnorm = {b->gpool_bn.merged_scale, b->gpool_bn.merged_bias, b->gpool_act.kind, r->mask, 0};
    tg_wino_conv_cl(find_wino(r->net, &b->gpool_conv), r->batch, r->nn_y, r->nn_x, x, gp, r->workspace, &pre,
                    TG_WINO_NORM_ACT, &gnorm);
    tg_wino_gpool_cl(r->batch, r->nn_y, r->nn_x, gp_c, gp, r->mask, r->mask_sum, pooled);
    tg_blas_matmul(&b->gpool_to_bias_mul, r->batch, pooled, bias);
    fold_into_norm(&b->mid_bn, r->batch, bias);
    const tg_wino_norm post = {b->mid_bn.merged_scale, bias, b->mid_act.kind, r->mask, (size_t)mid_c};
    tg_wino_conv_cl(find_wino(r->net, &b->regular_conv), r->batch, r->nn_y, r->nn_x, x, mid, r->workspace, &pre,
                    TG_WINO_NORM_ACT, &post);
    tg_wino_conv_cl(find_wino(r->net, &b->final_conv), r->batch, r->nn_y, r->nn_x, mid, x, r->workspace, NULL,
                    TG_WINO_ACCUMULATE, NULL);
    return true;
}

/* Runs blocks over the residual stream x ([batch][channels][hw]), using t as the normalized copy.
 * Each block's intermediates are released when it ends. A run of blocks that can all take the
 * channel-last path converts x once at its start and once at its end. When tip is given and such a
 * run ends the stack, its conversion writes t = tip(x) instead of x (left stale) and sets *tip_done:
 * the trunk's final norm rides along the last transpose. */
/* Runs blocks[0..n) on the residual stream x (NCHW), t being room for its normalized copy. x_cl,
 * when not NULL, holds the stream already channel-last (the first layer wrote it there, and
 * blocks[0] runs channel-last); x is then not read. */
static bool stack_run(run_ctx *r, const blas_block *blocks, int n, int channels, float *x, float *t, float *x_cl,
                      const tg_wino_norm *tip, bool *tip_done) {
    for (int i = 0; i < n; i++) {
        const tg_block *b = blocks[i].src;
        const size_t mark = r->ar.used;
        bool ok = false;
        if (channels % TG_VW == 0 && cl_block(r->net, b)) {
            int end = i + 1;
            while (end < n && cl_block(r->net, blocks[end].src))
                end++;
            float *xcl = i == 0 && x_cl ? x_cl : take_cl(r, channels);
            ok = xcl != NULL;
            if (ok && xcl != x_cl)
                tg_wino_to_cl(r->batch, r->nn_y, r->nn_x, channels, x, xcl);
            for (; ok && i < end; i++) {
                const size_t block_mark = r->ar.used;
                b = blocks[i].src;
                ok = b->kind == TG_BLOCK_ORDINARY ? ordinary_cl(r, b->u.ordinary, xcl) : gpool_cl(r, b->u.gpool, xcl);
                r->ar.used = block_mark;
            }
            i = end - 1;
            if (ok && tip && end == n) {
                tg_wino_from_cl(r->batch, r->nn_y, r->nn_x, channels, xcl, t, tip);
                *tip_done = true;
            } else if (ok) {
                tg_wino_from_cl(r->batch, r->nn_y, r->nn_x, channels, xcl, x, NULL);
            }
            r->ar.used = mark;
            if (!ok)
                return false;
            continue;
        }
        switch (b->kind) {
        case TG_BLOCK_ORDINARY: ok = ordinary_run(r, b->u.ordinary, x, t); break;
        case TG_BLOCK_GPOOL: ok = gpool_run(r, b->u.gpool, x, t); break;
        case TG_BLOCK_NESTED_BOTTLENECK: ok = nested_run(r, b->u.nested, &blocks[i], x, t); break;
        case TG_BLOCK_TRANSFORMER_ATTENTION: ok = attention_run(r, b->u.attention, &blocks[i], channels, x, t); break;
        case TG_BLOCK_TRANSFORMER_FFN: ok = ffn_run(r, b->u.ffn, channels, x, t); break;
        default: break;
        }
        r->ar.used = mark;
        if (!ok)
            return false;
    }
    return true;
}

/* x = initial_conv(spatial) + initial_matmul(global) [+ meta encoder(meta)] at every point. */
/* The first layer: x = conv(spatial) + a per-image bias from the global inputs (and the SGF
 * metadata). When x_cl is not NULL and the first block runs channel-last, the result goes straight
 * to x_cl in that layout instead, and *x_cl_used says so. */
static bool stem_run(run_ctx *r, const tg_model *m, const tg_nn_inputs *in, float *x, float *x_cl, bool *x_cl_used) {
    const tg_trunk *tr = &m->trunk;
    const int batch = r->batch;
    const size_t c = (size_t)tr->channels;
    float *bias = take(&r->ar, (size_t)batch * c);
    if (!bias)
        return false;
    tg_blas_matmul(&tr->initial_matmul, batch, in->global, bias);
    if (tr->has_meta_encoder) {
        const tg_meta_encoder *e = &tr->meta_encoder;
        float *h1 = take(&r->ar, (size_t)batch * e->mul1.out_channels);
        float *h2 = take(&r->ar, (size_t)batch * e->mul2.out_channels);
        float *h3 = take(&r->ar, (size_t)batch * c);
        if (!h1 || !h2 || !h3)
            return false;
        tg_blas_matmul(&e->mul1, batch, in->meta, h1);
        add_bias_rows(&e->bias1, batch, h1);
        tg_blas_activate(e->act1.kind, h1, (size_t)batch * e->mul1.out_channels);
        tg_blas_matmul(&e->mul2, batch, h1, h2);
        add_bias_rows(&e->bias2, batch, h2);
        tg_blas_activate(e->act2.kind, h2, (size_t)batch * e->mul2.out_channels);
        tg_blas_matmul(&e->mul3, batch, h2, h3);
        for (size_t i = 0; i < (size_t)batch * c; i++)
            bias[i] += h3[i];
    }
    const tg_wino_weights *w = find_wino(r->net, &tr->initial_conv);
    *x_cl_used = x_cl && w && cl_block(r->net, &tr->blocks[0]);
    if (*x_cl_used) {
        tg_wino_conv_to_cl(w, batch, r->nn_y, r->nn_x, in->spatial, x_cl, r->workspace, bias, c);
    } else {
        conv(r, &tr->initial_conv, in->spatial, x, false);
        add_channel_bias(batch, tr->channels, r->hw, bias, x);
    }
    return true;
}

static bool policy_run(run_ctx *r, const tg_policy_head *p, const float *t, tg_nn_outputs *out) {
    const size_t batch = (size_t)r->batch, hw = (size_t)r->hw;
    const int p1_c = p->p1_conv.out_channels, g1_c = p->g1_conv.out_channels;
    float *p1 = take(&r->ar, batch * p1_c * hw), *g1 = take(&r->ar, batch * g1_c * hw);
    float *pooled = take(&r->ar, batch * 3 * g1_c), *bias = take(&r->ar, batch * p1_c);
    if (!p1 || !g1 || !pooled || !bias)
        return false;
    conv(r, &p->p1_conv, t, p1, false);
    conv(r, &p->g1_conv, t, g1, false);
    bn_act(r, &p->g1_bn, &p->g1_act, g1, g1);
    tg_blas_gpool(r->batch, g1_c, r->hw, g1, r->mask, r->mask_sum, pooled);
    tg_blas_matmul(&p->gpool_to_bias_mul, r->batch, pooled, bias);
    add_channel_bias(r->batch, p1_c, r->hw, bias, p1);
    bn_act(r, &p->p1_bn, &p->p1_act, p1, p1);
    conv(r, &p->p2_conv, p1, out->policy, false);

    if (p->has_pass_mlp) { /* v15+: a hidden layer between the pooled features and the pass logit */
        float *hidden = take(&r->ar, batch * p->gpool_to_pass_mul.out_channels);
        if (!hidden)
            return false;
        tg_blas_matmul(&p->gpool_to_pass_mul, r->batch, pooled, hidden);
        add_bias_rows(&p->gpool_to_pass_bias, r->batch, hidden);
        tg_blas_activate(p->pass_act.kind, hidden, batch * p->gpool_to_pass_mul.out_channels);
        tg_blas_matmul(&p->gpool_to_pass_mul2, r->batch, hidden, out->policy_pass);
    } else {
        tg_blas_matmul(&p->gpool_to_pass_mul, r->batch, pooled, out->policy_pass);
    }
    return true;
}

static bool value_run(run_ctx *r, const tg_value_head *v, const float *t, tg_nn_outputs *out) {
    const size_t batch = (size_t)r->batch, hw = (size_t)r->hw;
    const int v1_c = v->v1_conv.out_channels;
    float *v1 = take(&r->ar, batch * v1_c * hw), *pooled = take(&r->ar, batch * 3 * v1_c);
    float *hidden = take(&r->ar, batch * v->v2_mul.out_channels);
    if (!v1 || !pooled || !hidden)
        return false;
    conv(r, &v->v1_conv, t, v1, false);
    bn_act(r, &v->v1_bn, &v->v1_act, v1, v1);
    tg_blas_value_pool(r->batch, v1_c, r->hw, v1, r->mask_sum, pooled);
    tg_blas_matmul(&v->v2_mul, r->batch, pooled, hidden);
    add_bias_rows(&v->v2_bias, r->batch, hidden);
    tg_blas_activate(v->v2_act.kind, hidden, batch * v->v2_mul.out_channels);
    tg_blas_matmul(&v->v3_mul, r->batch, hidden, out->value);
    add_bias_rows(&v->v3_bias, r->batch, out->value);
    tg_blas_matmul(&v->sv3_mul, r->batch, hidden, out->score_value);
    add_bias_rows(&v->sv3_bias, r->batch, out->score_value);
    conv(r, &v->ownership_conv, v1, out->ownership, false);
    return true;
}

bool tg_blas_forward(const tg_blas_net *net, tg_blas_scratch *s, const tg_nn_inputs *in, tg_nn_outputs *out,
                     char *err, size_t errlen) {
    const tg_model *m = net->model;
    if (!in || !out || in->struct_size < offsetof(tg_nn_inputs, meta) + sizeof(in->meta) ||
        out->struct_size < offsetof(tg_nn_outputs, ownership) + sizeof(out->ownership)) {
        tg_set_err(err, errlen, "blas-cpu: evaluate() got missing or too-old input/output structs");
        return false;
    }
    const int batch = in->batch_size;
    if (batch < 1 || batch > net->max_batch) {
        tg_set_err(err, errlen, "blas-cpu: batch size %d is outside 1..%d", batch, net->max_batch);
        return false;
    }
    if (!in->spatial || !in->global || !out->policy || !out->policy_pass || !out->value || !out->score_value ||
        !out->ownership) {
        tg_set_err(err, errlen, "blas-cpu: evaluate() got a NULL input or output buffer");
        return false;
    }
    if (m->trunk.has_meta_encoder && !in->meta) {
        /* KataGo refuses to evaluate such a net without metadata (a human-SL net needs humanSLProfile);
         * making up a profile here would silently change what the net predicts. */
        tg_set_err(err, errlen,
                "blas-cpu: model '%s' needs SGF metadata inputs (set humanSLProfile) but the batch has none",
                name_or(m->name));
        return false;
    }

    run_ctx r = {
        .net = net,
        .batch = batch,
        .hw = net->hw,
        .nn_x = net->nn_x,
        .nn_y = net->nn_y,
        .mask = s->mask,
        .mask_sum = s->mask_sum,
        .workspace = s->workspace,
        .ar = {.base = s->arena, .cap = s->arena_floats, .used = 0},
    };
    const size_t hw = (size_t)net->hw;
    for (int n = 0; n < batch; n++) {
        const float *ch0 = in->spatial + (size_t)n * m->num_input_channels * hw;
        float sum = 0.0f;
        for (size_t p = 0; p < hw; p++) {
            s->mask[(size_t)n * hw + p] = ch0[p];
            sum += ch0[p];
        }
        if (!(sum >= 1.0f)) {
            tg_set_err(err, errlen, "blas-cpu: batch entry %d has no on-board point (input channel 0 is all zero)", n);
            return false;
        }
        s->mask_sum[n] = sum;
    }

    bool x_cl_used = false;
    bool ok = stem_run(&r, m, in, s->x, s->x_cl, &x_cl_used);
    r.ar.used = 0;
    /* the trunk tip: its output in t feeds both heads */
    const tg_trunk *tr = &m->trunk;
    const tg_wino_norm tip = {tr->tip_bn.merged_scale, tr->tip_bn.merged_bias, tr->tip_act.kind, s->mask, 0};
    const bool bn_tip = tr->norm_kind == TG_TRUNK_NORM_BATCHNORM;
    bool tip_done = false;
    ok = ok && stack_run(&r, net->blocks, m->trunk.num_blocks, m->trunk.channels, s->x, s->t,
                         x_cl_used ? s->x_cl : NULL, bn_tip ? &tip : NULL, &tip_done);
    if (ok && !tip_done) {
        if (bn_tip) {
            bn_act(&r, &tr->tip_bn, &tr->tip_act, s->x, s->t);
        } else {
            const tg_rmsnorm_layer *rn = &tr->tip_rmsnorm;
            if (rn->spatial)
                rms_norm_board(batch, tr->channels, net->hw, rn->epsilon, rn->gamma, rn->beta, tr->tip_act.kind,
                               s->mask, s->x, s->t);
            else
                rms_norm_points(batch, tr->channels, net->hw, rn->epsilon, rn->gamma, rn->beta, tr->tip_act.kind,
                                s->mask, s->x, s->t);
        }
    }
    r.ar.used = 0;
    ok = ok && policy_run(&r, &m->policy, s->t, out);
    r.ar.used = 0;
    ok = ok && value_run(&r, &m->value, s->t, out);
    if (!ok) {
        tg_set_err(err, errlen, "blas-cpu: internal error: scratch arena too small for model '%s'", name_or(m->name));
        return false;
    }
    return true;
}
