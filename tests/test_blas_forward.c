/* The blas-cpu forward pass (plugins/blas-cpu/forward.c).
 *
 * 1. Each kernel (convolution, batch norm + activation, both poolings, matmul) against naive loops.
 * 2. Tiny networks built in memory, covering every block kind and head variant, against a naive
 *    reimplementation of the whole forward pass written here from model.h's definitions: plain
 *    loops in double precision, no BLAS, RoPE angles computed from the frequencies directly.
 * 3. The shipped networks (TENGEN_SHARED_DIR/models): finite outputs, a batch of 8 equal to 8
 *    single evaluations, boards smaller than the tensor equal to the same boards on an exact-size
 *    tensor, and concurrent evaluation on two handles equal to serial evaluation. Also prints the
 *    time of one 19x19 evaluation.
 * 4. Error paths: unsupported layers, missing metadata, bad batch sizes.
 * 5. End to end against KataGo: the first positions of each shared/reference/rawnn-*.jsonl rebuilt,
 *    featurized, evaluated and post-processed by the core, compared with kata-raw-nn's answers at the
 *    tolerances of shared/tools/rawnn_check.py.
 * 6. Every layout the test-network writer (nn/model_writer.h) builds, for model versions 8 to 17 and
 *    ReLU/Mish: written to a .bin.gz, read back with tg_model_load, run on positions featurized
 *    from random legal games (9x9 and 7x5): finite, bounded, non-degenerate outputs, a batch equal
 *    to one-by-one evaluation, and the loaded model equal to the one written.
 * Parts 1, 2, 4 and 6 need no data; parts 3 and 5 are skipped (exit 77 at the end) without
 * TENGEN_SHARED_DIR. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../plugins/blas-cpu/forward.h"
#include "../plugins/blas-cpu/winograd.h"
#include "check.h"
#include "nn/featurize.h"
#include "nn/model_reader.h"
#include "nn/model_writer.h"
#include "nn/postprocess.h"
#include "refpos.h"
#include "nn/symmetry.h"

/* ------------------------------------------------------------------ helpers */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static double rnd(void) { /* uniform in [0, 1), xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static float rnd_sym(double amp) { return (float)((2.0 * rnd() - 1.0) * amp); }

/* Every allocation of the in-memory models, freed at the end so the sanitizers see no leak. */
static void **allocs;
static size_t num_allocs, cap_allocs;

static void *talloc(size_t bytes) {
    if (num_allocs == cap_allocs) {
        cap_allocs = cap_allocs ? 2 * cap_allocs : 256;
        allocs = realloc(allocs, cap_allocs * sizeof *allocs);
        if (!allocs)
            abort();
    }
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p)
        abort();
    allocs[num_allocs++] = p;
    return p;
}

static void free_all(void) {
    for (size_t i = 0; i < num_allocs; i++)
        free(allocs[i]);
    free(allocs);
    allocs = NULL;
    num_allocs = cap_allocs = 0;
}

static float *rand_array(size_t n, double amp) {
    float *a = talloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        a[i] = rnd_sym(amp);
    return a;
}

/* Largest |a - b| / max(1, |b|) over n values. */
static double max_rel_diff(const float *a, const float *b, size_t n) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        double s = fabs((double)b[i]) > 1.0 ? fabs((double)b[i]) : 1.0;
        if (!(d / s <= worst)) /* also catches NaN */
            worst = isnan(d) ? INFINITY : d / s;
    }
    return worst;
}

/* ------------------------------------------------------------------ naive reference ops (double) */

static double nact(int kind, double x) {
    switch (kind) {
    case TG_ACT_RELU: return x > 0 ? x : 0;
    case TG_ACT_MISH: return x * tanh(log1p(exp(x)));
    case TG_ACT_MISH_SCALE8: return x * tanh(log1p(exp(8 * x)));
    case TG_ACT_SILU: return x / (1 + exp(-x));
    default: return x;
    }
}

/* Same-padded convolution, zero outside the h x w tensor. */
static void nconv(const tg_conv_layer *c, int batch, int h, int w, const double *in, double *out, int accumulate) {
    const int py = c->dilation_y * (c->kernel_y - 1) / 2, px = c->dilation_x * (c->kernel_x - 1) / 2;
    for (int n = 0; n < batch; n++)
        for (int o = 0; o < c->out_channels; o++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int i = 0; i < c->in_channels; i++)
                        for (int ky = 0; ky < c->kernel_y; ky++)
                            for (int kx = 0; kx < c->kernel_x; kx++) {
                                int sy = y + ky * c->dilation_y - py, sx = x + kx * c->dilation_x - px;
                                if (sy < 0 || sy >= h || sx < 0 || sx >= w)
                                    continue;
                                double wgt = c->weights[((o * c->in_channels + i) * c->kernel_y + ky) * c->kernel_x + kx];
                                s += wgt * in[((size_t)(n * c->in_channels + i) * h + sy) * w + sx];
                            }
                    double *dst = &out[((size_t)(n * c->out_channels + o) * h + y) * w + x];
                    *dst = accumulate ? *dst + s : s;
                }
}

/* Batch norm from its raw statistics (not the merged arrays), then act, zero off the board. */
static void nbn(const tg_bn_layer *b, int act, int batch, int hw, const float *mask, const double *in, double *out) {
    for (int n = 0; n < batch; n++)
        for (int c = 0; c < b->channels; c++)
            for (int p = 0; p < hw; p++) {
                size_t i = ((size_t)n * b->channels + c) * hw + p;
                double v = (in[i] - b->mean[c]) / sqrt((double)b->variance[c] + b->epsilon) * b->scale[c] + b->bias[c];
                out[i] = mask[n * hw + p] != 0 ? nact(act, v) : 0;
            }
}

/* mean, mean * (sqrt(area) - 14) / 10, then max (trunk) or the quadratic term (value head), over
 * the on-board points only. */
static void npool(int value_head, int batch, int channels, int hw, const float *mask, const double *in, double *out) {
    for (int n = 0; n < batch; n++) {
        double area = 0;
        for (int p = 0; p < hw; p++)
            area += mask[n * hw + p];
        double d = sqrt(area) - 14;
        for (int c = 0; c < channels; c++) {
            double s = 0, m = -INFINITY;
            for (int p = 0; p < hw; p++)
                if (mask[n * hw + p] != 0) {
                    double v = in[((size_t)n * channels + c) * hw + p];
                    s += v;
                    if (v > m)
                        m = v;
                }
            double mean = s / area;
            double *o = out + (size_t)n * 3 * channels;
            o[c] = mean;
            o[channels + c] = mean * d / 10;
            /* KataGo's max never goes below -1 (its off-board points count as -1) */
            o[2 * channels + c] = value_head ? mean * (d * d / 100 - 0.1) : (m > -1 ? m : -1);
        }
    }
}

static void nmatmul(const tg_matmul_layer *m, int rows, const double *in, double *out) {
    for (int r = 0; r < rows; r++)
        for (int o = 0; o < m->out_channels; o++) {
            double s = 0;
            for (int i = 0; i < m->in_channels; i++)
                s += in[(size_t)r * m->in_channels + i] * m->weights[(size_t)i * m->out_channels + o];
            out[(size_t)r * m->out_channels + o] = s;
        }
}

static void nbias(const tg_matbias_layer *b, int rows, double *x) {
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < b->channels; c++)
            x[(size_t)r * b->channels + c] += b->weights[c];
}

static double *dalloc(size_t n) { return talloc(n * sizeof(double)); }

/* Gathers point p of image n of x [batch][c][hw] into a row. */
static void gather(const double *x, int n, int channels, int hw, int p, double *row) {
    for (int c = 0; c < channels; c++)
        row[c] = x[((size_t)n * channels + c) * hw + p];
}

/* Per-point RMS norm, zero off the board. */
static void nrms_points(int batch, int channels, int hw, double eps, const float *gain, const float *shift, int act,
                        const float *mask, const double *in, double *out) {
    for (int n = 0; n < batch; n++)
        for (int p = 0; p < hw; p++) {
            double ss = 0;
            for (int c = 0; c < channels; c++) {
                double v = in[((size_t)n * channels + c) * hw + p];
                ss += v * v;
            }
            double r = 1 / sqrt(ss / channels + eps);
            for (int c = 0; c < channels; c++) {
                size_t i = ((size_t)n * channels + c) * hw + p;
                out[i] = mask[n * hw + p] != 0 ? nact(act, in[i] * r * gain[c] + (shift ? shift[c] : 0)) : 0;
            }
        }
}

static void nrms_board(int batch, int channels, int hw, double eps, const float *gain, const float *shift, int act,
                       const float *mask, const double *in, double *out) {
    for (int n = 0; n < batch; n++) {
        double ss = 0, count = 0;
        for (int p = 0; p < hw; p++)
            if (mask[n * hw + p] != 0) {
                count++;
                for (int c = 0; c < channels; c++) {
                    double v = in[((size_t)n * channels + c) * hw + p];
                    ss += v * v;
                }
            }
        double r = 1 / sqrt(ss / (count * channels) + eps);
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < hw; p++) {
                size_t i = ((size_t)n * channels + c) * hw + p;
                out[i] = mask[n * hw + p] != 0 ? nact(act, in[i] * r * gain[c] + shift[c]) : 0;
            }
    }
}

/* Rotates pairs of one head's vector (dim values) at point (x, y) as model.h defines RoPE. */
static void nrope(const tg_attention_block *a, int kv_head, int x, int y, double *vec) {
    const int pairs = a->q_head_dim / 2;
    for (int p = 0; p < pairs; p++) {
        double angle;
        if (a->learnable_rope) {
            const float *f = a->rope_freqs + ((size_t)kv_head * pairs + p) * 2;
            angle = x * (double)f[0] + y * (double)f[1];
        } else {
            int half = pairs / 2;
            angle = p < half ? y * pow(a->rope_theta, -2.0 * p / pairs) : x * pow(a->rope_theta, -2.0 * (p - half) / pairs);
        }
        double u = vec[2 * p], v = vec[2 * p + 1];
        vec[2 * p] = u * cos(angle) - v * sin(angle);
        vec[2 * p + 1] = u * sin(angle) + v * cos(angle);
    }
}

static void nattention(const tg_attention_block *a, int batch, int channels, int nx, int ny, const float *mask,
                       double *x) {
    const int hw = nx * ny, H = a->num_heads, KV = a->num_kv_heads, dq = a->q_head_dim, dv = a->v_head_dim;
    double *h = dalloc((size_t)batch * channels * hw);
    nrms_points(batch, channels, hw, a->pre_norm.epsilon, a->pre_norm.weight, NULL, TG_ACT_IDENTITY, mask, x, h);
    double *q = dalloc((size_t)hw * H * dq), *k = dalloc((size_t)hw * KV * dq), *v = dalloc((size_t)hw * KV * dv);
    double *row = dalloc(channels), *att = dalloc((size_t)H * dv), *delta = dalloc(channels), *w = dalloc(hw);
    for (int n = 0; n < batch; n++) {
        for (int p = 0; p < hw; p++) {
            gather(h, n, channels, hw, p, row);
            nmatmul(&a->q_proj, 1, row, q + (size_t)p * H * dq);
            nmatmul(&a->k_proj, 1, row, k + (size_t)p * KV * dq);
            nmatmul(&a->v_proj, 1, row, v + (size_t)p * KV * dv);
            if (a->use_rope) {
                for (int hd = 0; hd < H; hd++)
                    nrope(a, hd / (H / KV), p % nx, p / nx, q + (size_t)p * H * dq + hd * dq);
                for (int kv = 0; kv < KV; kv++)
                    nrope(a, kv, p % nx, p / nx, k + (size_t)p * KV * dq + kv * dq);
            }
        }
        for (int p = 0; p < hw; p++) {
            if (mask[n * hw + p] == 0)
                continue; /* the residual add is masked, so off-board queries do not matter */
            for (int hd = 0; hd < H; hd++) {
                int kv = hd / (H / KV);
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < hw; j++) {
                    if (mask[n * hw + j] == 0)
                        continue;
                    double s = 0;
                    for (int d = 0; d < dq; d++)
                        s += q[(size_t)p * H * dq + hd * dq + d] * k[(size_t)j * KV * dq + kv * dq + d];
                    w[j] = s / sqrt((double)dq);
                    if (w[j] > mx)
                        mx = w[j];
                }
                for (int j = 0; j < hw; j++)
                    if (mask[n * hw + j] != 0) {
                        w[j] = exp(w[j] - mx);
                        sum += w[j];
                    }
                for (int d = 0; d < dv; d++) {
                    double s = 0;
                    for (int j = 0; j < hw; j++)
                        if (mask[n * hw + j] != 0)
                            s += w[j] / sum * v[(size_t)j * KV * dv + kv * dv + d];
                    att[hd * dv + d] = s;
                }
            }
            nmatmul(&a->out_proj, 1, att, delta);
            for (int c = 0; c < channels; c++)
                x[((size_t)n * channels + c) * hw + p] += delta[c];
        }
    }
}

static void nffn(const tg_ffn_block *f, int batch, int channels, int hw, const float *mask, double *x) {
    double *h = dalloc((size_t)batch * channels * hw);
    nrms_points(batch, channels, hw, f->pre_norm.epsilon, f->pre_norm.weight, NULL, TG_ACT_IDENTITY, mask, x, h);
    double *row = dalloc(channels), *a = dalloc(f->ffn_channels), *g = dalloc(f->ffn_channels), *o = dalloc(channels);
    for (int n = 0; n < batch; n++)
        for (int p = 0; p < hw; p++) {
            if (mask[n * hw + p] == 0)
                continue;
            gather(h, n, channels, hw, p, row);
            nmatmul(&f->linear1, 1, row, a);
            nmatmul(&f->linear_gate, 1, row, g);
            for (int i = 0; i < f->ffn_channels; i++)
                a[i] = nact(TG_ACT_SILU, a[i]) * g[i];
            nmatmul(&f->linear2, 1, a, o);
            for (int c = 0; c < channels; c++)
                x[((size_t)n * channels + c) * hw + p] += o[c];
        }
}

static void add_bias_points(int batch, int channels, int hw, const double *bias, double *x) {
    for (int n = 0; n < batch; n++)
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < hw; p++)
                x[((size_t)n * channels + c) * hw + p] += bias[(size_t)n * channels + c];
}

static void nstack(const tg_block *blocks, int num, int channels, int batch, int nx, int ny, const float *mask,
                   double *x) {
    const int hw = nx * ny;
    for (int i = 0; i < num; i++) {
        const tg_block *b = &blocks[i];
        if (b->kind == TG_BLOCK_ORDINARY) {
            const tg_residual_block *r = b->u.ordinary;
            int mid = r->regular_conv.out_channels;
            double *t = dalloc((size_t)batch * channels * hw), *m = dalloc((size_t)batch * mid * hw);
            nbn(&r->pre_bn, r->pre_act.kind, batch, hw, mask, x, t);
            nconv(&r->regular_conv, batch, ny, nx, t, m, 0);
            nbn(&r->mid_bn, r->mid_act.kind, batch, hw, mask, m, m);
            nconv(&r->final_conv, batch, ny, nx, m, x, 1);
        } else if (b->kind == TG_BLOCK_GPOOL) {
            const tg_gpool_block *g = b->u.gpool;
            int mid = g->regular_conv.out_channels, gc = g->gpool_conv.out_channels;
            double *t = dalloc((size_t)batch * channels * hw), *m = dalloc((size_t)batch * mid * hw);
            double *gp = dalloc((size_t)batch * gc * hw), *pooled = dalloc((size_t)batch * 3 * gc);
            double *bias = dalloc((size_t)batch * mid);
            nbn(&g->pre_bn, g->pre_act.kind, batch, hw, mask, x, t);
            nconv(&g->regular_conv, batch, ny, nx, t, m, 0);
            nconv(&g->gpool_conv, batch, ny, nx, t, gp, 0);
            nbn(&g->gpool_bn, g->gpool_act.kind, batch, hw, mask, gp, gp);
            npool(0, batch, gc, hw, mask, gp, pooled);
            nmatmul(&g->gpool_to_bias_mul, batch, pooled, bias);
            add_bias_points(batch, mid, hw, bias, m);
            nbn(&g->mid_bn, g->mid_act.kind, batch, hw, mask, m, m);
            nconv(&g->final_conv, batch, ny, nx, m, x, 1);
        } else if (b->kind == TG_BLOCK_NESTED_BOTTLENECK) {
            const tg_nested_block *nb = b->u.nested;
            int mid = nb->pre_conv.out_channels;
            double *t = dalloc((size_t)batch * channels * hw), *m = dalloc((size_t)batch * mid * hw);
            double *mt = dalloc((size_t)batch * mid * hw);
            nbn(&nb->pre_bn, nb->pre_act.kind, batch, hw, mask, x, t);
            nconv(&nb->pre_conv, batch, ny, nx, t, m, 0);
            nstack(nb->blocks, nb->num_blocks, mid, batch, nx, ny, mask, m);
            nbn(&nb->post_bn, nb->post_act.kind, batch, hw, mask, m, mt);
            nconv(&nb->post_conv, batch, ny, nx, mt, x, 1);
        } else if (b->kind == TG_BLOCK_TRANSFORMER_ATTENTION) {
            nattention(b->u.attention, batch, channels, nx, ny, mask, x);
        } else if (b->kind == TG_BLOCK_TRANSFORMER_FFN) {
            nffn(b->u.ffn, batch, channels, hw, mask, x);
        }
    }
}

/* The whole network, naively. Outputs as tg_nn_outputs lays them out, in double. */
typedef struct naive_out {
    double *policy, *pass, *value, *score, *own;
} naive_out;

static naive_out nforward(const tg_model *m, int batch, int nx, int ny, const float *spatial, const float *global,
                          const float *meta) {
    const int hw = nx * ny, C = m->trunk.channels;
    float *mask = talloc((size_t)batch * hw * sizeof(float));
    for (int n = 0; n < batch; n++)
        for (int p = 0; p < hw; p++)
            mask[n * hw + p] = spatial[(size_t)n * m->num_input_channels * hw + p];
    double *in = dalloc((size_t)batch * m->num_input_channels * hw), *g = dalloc((size_t)batch * m->num_input_global_channels);
    for (size_t i = 0; i < (size_t)batch * m->num_input_channels * hw; i++)
        in[i] = spatial[i];
    for (size_t i = 0; i < (size_t)batch * m->num_input_global_channels; i++)
        g[i] = global[i];

    double *x = dalloc((size_t)batch * C * hw), *bias = dalloc((size_t)batch * C);
    nconv(&m->trunk.initial_conv, batch, ny, nx, in, x, 0);
    nmatmul(&m->trunk.initial_matmul, batch, g, bias);
    add_bias_points(batch, C, hw, bias, x);
    if (m->trunk.has_meta_encoder) {
        const tg_meta_encoder *e = &m->trunk.meta_encoder;
        double *mi = dalloc((size_t)batch * e->mul1.in_channels), *h1 = dalloc((size_t)batch * e->mul1.out_channels);
        double *h2 = dalloc((size_t)batch * e->mul2.out_channels);
        for (size_t i = 0; i < (size_t)batch * e->mul1.in_channels; i++)
            mi[i] = meta[i];
        nmatmul(&e->mul1, batch, mi, h1);
        nbias(&e->bias1, batch, h1);
        for (size_t i = 0; i < (size_t)batch * e->mul1.out_channels; i++)
            h1[i] = nact(e->act1.kind, h1[i]);
        nmatmul(&e->mul2, batch, h1, h2);
        nbias(&e->bias2, batch, h2);
        for (size_t i = 0; i < (size_t)batch * e->mul2.out_channels; i++)
            h2[i] = nact(e->act2.kind, h2[i]);
        nmatmul(&e->mul3, batch, h2, bias);
        add_bias_points(batch, C, hw, bias, x);
    }
    nstack(m->trunk.blocks, m->trunk.num_blocks, C, batch, nx, ny, mask, x);
    double *t = dalloc((size_t)batch * C * hw);
    if (m->trunk.norm_kind == TG_TRUNK_NORM_BATCHNORM) {
        nbn(&m->trunk.tip_bn, m->trunk.tip_act.kind, batch, hw, mask, x, t);
    } else {
        const tg_rmsnorm_layer *r = &m->trunk.tip_rmsnorm;
        (r->spatial ? nrms_board : nrms_points)(batch, C, hw, r->epsilon, r->gamma, r->beta, m->trunk.tip_act.kind,
                                                 mask, x, t);
    }

    naive_out o;
    const tg_policy_head *ph = &m->policy;
    int p1c = ph->p1_conv.out_channels, g1c = ph->g1_conv.out_channels;
    double *p1 = dalloc((size_t)batch * p1c * hw), *g1 = dalloc((size_t)batch * g1c * hw);
    double *pooled = dalloc((size_t)batch * 3 * g1c), *pb = dalloc((size_t)batch * p1c);
    nconv(&ph->p1_conv, batch, ny, nx, t, p1, 0);
    nconv(&ph->g1_conv, batch, ny, nx, t, g1, 0);
    nbn(&ph->g1_bn, ph->g1_act.kind, batch, hw, mask, g1, g1);
    npool(0, batch, g1c, hw, mask, g1, pooled);
    nmatmul(&ph->gpool_to_bias_mul, batch, pooled, pb);
    add_bias_points(batch, p1c, hw, pb, p1);
    nbn(&ph->p1_bn, ph->p1_act.kind, batch, hw, mask, p1, p1);
    o.policy = dalloc((size_t)batch * m->num_policy_channels * hw);
    nconv(&ph->p2_conv, batch, ny, nx, p1, o.policy, 0);
    o.pass = dalloc((size_t)batch * m->num_policy_channels);
    if (ph->has_pass_mlp) {
        int hid = ph->gpool_to_pass_mul.out_channels;
        double *hb = dalloc((size_t)batch * hid);
        nmatmul(&ph->gpool_to_pass_mul, batch, pooled, hb);
        nbias(&ph->gpool_to_pass_bias, batch, hb);
        for (int i = 0; i < batch * hid; i++)
            hb[i] = nact(ph->pass_act.kind, hb[i]);
        nmatmul(&ph->gpool_to_pass_mul2, batch, hb, o.pass);
    } else {
        nmatmul(&ph->gpool_to_pass_mul, batch, pooled, o.pass);
    }

    const tg_value_head *vh = &m->value;
    int v1c = vh->v1_conv.out_channels, v2c = vh->v2_mul.out_channels;
    double *v1 = dalloc((size_t)batch * v1c * hw), *vp = dalloc((size_t)batch * 3 * v1c), *v2 = dalloc((size_t)batch * v2c);
    nconv(&vh->v1_conv, batch, ny, nx, t, v1, 0);
    nbn(&vh->v1_bn, vh->v1_act.kind, batch, hw, mask, v1, v1);
    npool(1, batch, v1c, hw, mask, v1, vp);
    nmatmul(&vh->v2_mul, batch, vp, v2);
    nbias(&vh->v2_bias, batch, v2);
    for (int i = 0; i < batch * v2c; i++)
        v2[i] = nact(vh->v2_act.kind, v2[i]);
    o.value = dalloc((size_t)batch * m->num_value_channels);
    nmatmul(&vh->v3_mul, batch, v2, o.value);
    nbias(&vh->v3_bias, batch, o.value);
    o.score = dalloc((size_t)batch * m->num_score_value_channels);
    nmatmul(&vh->sv3_mul, batch, v2, o.score);
    nbias(&vh->sv3_bias, batch, o.score);
    o.own = dalloc((size_t)batch * hw);
    nconv(&vh->ownership_conv, batch, ny, nx, v1, o.own, 0);
    return o;
}

/* ------------------------------------------------------------------ building tiny models */

static tg_conv_layer mk_conv(const char *name, int k, int in, int out) {
    tg_conv_layer c = {.name = name, .kernel_y = k, .kernel_x = k, .in_channels = in, .out_channels = out,
                       .dilation_y = 1, .dilation_x = 1};
    c.weights = rand_array((size_t)k * k * in * out, 1.5 / sqrt((double)k * k * in));
    return c;
}

static tg_bn_layer mk_bn(const char *name, int channels) {
    tg_bn_layer b = {.name = name, .channels = channels, .epsilon = 1e-3f, .has_scale = 1, .has_bias = 1};
    float *mean = rand_array(channels, 0.3), *var = talloc(channels * sizeof(float)), *scale = talloc(channels * sizeof(float));
    float *bias = rand_array(channels, 0.3), *ms = talloc(channels * sizeof(float)), *mb = talloc(channels * sizeof(float));
    for (int c = 0; c < channels; c++) {
        var[c] = 0.5f + (float)rnd();
        scale[c] = 0.6f + (float)rnd();
        ms[c] = scale[c] / sqrtf(var[c] + b.epsilon);
        mb[c] = bias[c] - ms[c] * mean[c];
    }
    b.mean = mean;
    b.variance = var;
    b.scale = scale;
    b.bias = bias;
    b.merged_scale = ms;
    b.merged_bias = mb;
    return b;
}

static tg_act_layer mk_act(int kind) { return (tg_act_layer){.name = "act", .kind = kind}; }

static tg_matmul_layer mk_mm(const char *name, int in, int out) {
    return (tg_matmul_layer){.name = name, .in_channels = in, .out_channels = out,
                             .weights = rand_array((size_t)in * out, 1.5 / sqrt((double)in))};
}

static tg_matbias_layer mk_bias(const char *name, int channels) {
    return (tg_matbias_layer){.name = name, .channels = channels, .weights = rand_array(channels, 0.3)};
}

static tg_tf_norm_layer mk_tfnorm(int channels) {
    float *w = talloc(channels * sizeof(float));
    for (int c = 0; c < channels; c++)
        w[c] = 0.5f + (float)rnd();
    return (tg_tf_norm_layer){.name = "ln", .channels = channels, .epsilon = 1e-6f, .weight = w};
}

static tg_block blk_ordinary(int channels, int mid, int k, int act) {
    tg_residual_block *r = talloc(sizeof *r);
    r->name = "res";
    r->pre_bn = mk_bn("res/pre_bn", channels);
    r->pre_act = mk_act(act);
    r->regular_conv = mk_conv("res/conv1", k, channels, mid);
    r->mid_bn = mk_bn("res/mid_bn", mid);
    r->mid_act = mk_act(act);
    r->final_conv = mk_conv("res/conv2", k, mid, channels);
    return (tg_block){.kind = TG_BLOCK_ORDINARY, .u.ordinary = r};
}

static tg_block blk_gpool(int channels, int mid, int gp, int act) {
    tg_gpool_block *g = talloc(sizeof *g);
    g->name = "gpool";
    g->pre_bn = mk_bn("gpool/pre_bn", channels);
    g->pre_act = mk_act(act);
    g->regular_conv = mk_conv("gpool/conv1", 3, channels, mid);
    g->gpool_conv = mk_conv("gpool/gconv", 3, channels, gp);
    g->gpool_bn = mk_bn("gpool/gbn", gp);
    g->gpool_act = mk_act(act);
    g->gpool_to_bias_mul = mk_mm("gpool/mul", 3 * gp, mid);
    g->mid_bn = mk_bn("gpool/mid_bn", mid);
    g->mid_act = mk_act(act);
    g->final_conv = mk_conv("gpool/conv2", 3, mid, channels);
    return (tg_block){.kind = TG_BLOCK_GPOOL, .u.gpool = g};
}

static tg_block blk_nested(int channels, int mid, int act, const tg_block *inner, int num_inner) {
    tg_nested_block *nb = talloc(sizeof *nb);
    tg_block *copy = talloc(num_inner * sizeof *copy);
    memcpy(copy, inner, num_inner * sizeof *copy);
    nb->name = "nested";
    nb->pre_bn = mk_bn("nested/pre_bn", channels);
    nb->pre_act = mk_act(act);
    nb->pre_conv = mk_conv("nested/pre", 1, channels, mid);
    nb->num_blocks = num_inner;
    nb->blocks = copy;
    nb->post_bn = mk_bn("nested/post_bn", mid);
    nb->post_act = mk_act(act);
    nb->post_conv = mk_conv("nested/post", 1, mid, channels);
    return (tg_block){.kind = TG_BLOCK_NESTED_BOTTLENECK, .u.nested = nb};
}

static tg_block blk_attention(int channels, int heads, int kv, int dq, int dv, int rope, int learnable) {
    tg_attention_block *a = talloc(sizeof *a);
    a->name = "attn";
    a->num_heads = heads;
    a->num_kv_heads = kv;
    a->q_head_dim = dq;
    a->v_head_dim = dv;
    a->use_rope = rope;
    a->learnable_rope = learnable;
    a->pre_norm = mk_tfnorm(channels);
    a->q_proj = mk_mm("attn/q", channels, heads * dq);
    a->k_proj = mk_mm("attn/k", channels, kv * dq);
    a->v_proj = mk_mm("attn/v", channels, kv * dv);
    a->out_proj = mk_mm("attn/out", heads * dv, channels);
    if (rope && learnable) {
        a->rope_name = "attn/rope";
        a->rope_num_kv_heads = kv;
        a->rope_num_pairs = dq / 2;
        a->rope_freqs = rand_array((size_t)kv * (dq / 2) * 2, 1.2);
    } else if (rope) {
        a->rope_name = "attn/theta";
        a->rope_theta = 100.0f;
    }
    return (tg_block){.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .u.attention = a};
}

static tg_block blk_ffn(int channels, int ffn, int swiglu) {
    tg_ffn_block *f = talloc(sizeof *f);
    f->name = "ffn";
    f->channels = channels;
    f->ffn_channels = ffn;
    f->use_swiglu = swiglu;
    f->pre_norm = mk_tfnorm(channels);
    f->linear1 = mk_mm("ffn/l1", channels, ffn);
    if (swiglu)
        f->linear_gate = mk_mm("ffn/gate", channels, ffn);
    f->linear2 = mk_mm("ffn/l2", ffn, channels);
    return (tg_block){.kind = TG_BLOCK_TRANSFORMER_FFN, .u.ffn = f};
}

enum { TINY_V8, TINY_V15, TINY_V17, TINY_V17_SPATIAL };

static tg_model *tiny_model(int variant) {
    const int C = 8, act = variant == TINY_V8 ? TG_ACT_RELU : TG_ACT_MISH;
    tg_model *m = talloc(sizeof *m);
    m->abi_version = TG_MODEL_ABI_VERSION;
    m->struct_size = sizeof *m;
    m->name = "tiny";
    m->file_name = "";
    m->sha256 = "";
    m->version = variant == TINY_V8 ? 8 : variant == TINY_V15 ? 15 : 17;
    m->inputs_version = 7;
    m->num_input_channels = 5;
    m->num_input_global_channels = 3;
    m->num_policy_channels = variant == TINY_V8 ? 1 : variant == TINY_V15 ? 2 : 4;
    m->num_value_channels = 3;
    m->num_score_value_channels = variant == TINY_V8 ? 4 : 6;
    m->num_ownership_channels = 1;

    tg_trunk *t = &m->trunk;
    t->name = "trunk";
    t->channels = C;
    t->initial_conv = mk_conv("conv1", variant == TINY_V8 ? 5 : 3, m->num_input_channels, C);
    t->initial_matmul = mk_mm("ginput", m->num_input_global_channels, C);
    tg_block blocks[8];
    int nb = 0;
    if (variant == TINY_V8) {
        blocks[nb++] = blk_ordinary(C, 6, 3, act);
        blocks[nb++] = blk_gpool(C, 5, 3, act);
        blocks[nb++] = blk_ordinary(C, 4, 1, act);
    } else if (variant == TINY_V15) {
        tg_block inner[2] = {blk_ordinary(6, 6, 3, act), blk_gpool(6, 4, 2, TG_ACT_SILU)};
        blocks[nb++] = blk_ordinary(C, 8, 3, act);
        blocks[nb++] = blk_nested(C, 6, act, inner, 2);
        blocks[nb++] = blk_gpool(C, 6, 3, act);
        m->num_input_meta_channels = 7;
        m->meta_encoder_version = 1;
        t->has_meta_encoder = 1;
        t->meta_encoder = (tg_meta_encoder){.name = "meta", .version = 1, .in_channels = 7,
                                            .mul1 = mk_mm("meta/mul1", 7, 5), .bias1 = mk_bias("meta/bias1", 5),
                                            .act1 = mk_act(act), .mul2 = mk_mm("meta/mul2", 5, 4),
                                            .bias2 = mk_bias("meta/bias2", 4), .act2 = mk_act(act),
                                            .mul3 = mk_mm("meta/mul3", 4, C)};
    } else {
        const int spatial = variant == TINY_V17_SPATIAL;
        tg_block inner[3] = {blk_ordinary(6, 6, 3, act), blk_attention(6, 2, 2, 4, 3, !spatial, 0), blk_ffn(6, 10, 1)};
        blocks[nb++] = blk_ordinary(C, 8, 3, act);
        blocks[nb++] = blk_attention(C, 4, 2, 4, 2, 1, !spatial);
        blocks[nb++] = blk_ffn(C, 12, 1);
        blocks[nb++] = blk_nested(C, 6, act, inner, 3);
        blocks[nb++] = blk_attention(C, 2, 1, 6, 4, spatial, 0);
        m->has_transformer = 1;
    }
    tg_block *bl = talloc(nb * sizeof *bl);
    memcpy(bl, blocks, nb * sizeof *bl);
    t->num_blocks = nb;
    t->blocks = bl;
    if (variant == TINY_V17 || variant == TINY_V17_SPATIAL) {
        t->norm_kind = TG_TRUNK_NORM_RMSNORM;
        float *gamma = talloc(C * sizeof(float));
        for (int c = 0; c < C; c++)
            gamma[c] = 0.5f + (float)rnd();
        t->tip_rmsnorm = (tg_rmsnorm_layer){.name = "tip", .channels = C, .epsilon = 1e-5f,
                                            .spatial = variant == TINY_V17_SPATIAL, .gamma = gamma,
                                            .beta = rand_array(C, 0.3)};
    } else {
        t->norm_kind = TG_TRUNK_NORM_BATCHNORM;
        t->tip_bn = mk_bn("tip", C);
    }
    t->tip_act = mk_act(act);

    tg_policy_head *p = &m->policy;
    p->name = "policy";
    p->out_channels = m->num_policy_channels;
    p->p1_conv = mk_conv("p1", 1, C, 6);
    p->g1_conv = mk_conv("g1", 1, C, 4);
    p->g1_bn = mk_bn("g1_bn", 4);
    p->g1_act = mk_act(act);
    p->gpool_to_bias_mul = mk_mm("g1_mul", 12, 6);
    p->p1_bn = mk_bn("p1_bn", 6);
    p->p1_act = mk_act(act);
    p->p2_conv = mk_conv("p2", 1, 6, m->num_policy_channels);
    if (variant == TINY_V8) {
        p->gpool_to_pass_mul = mk_mm("pass", 12, m->num_policy_channels);
    } else {
        p->has_pass_mlp = 1;
        p->gpool_to_pass_mul = mk_mm("pass", 12, 6);
        p->gpool_to_pass_bias = mk_bias("pass_bias", 6);
        p->pass_act = mk_act(act);
        p->gpool_to_pass_mul2 = mk_mm("pass2", 6, m->num_policy_channels);
    }

    tg_value_head *v = &m->value;
    v->name = "value";
    v->v1_conv = mk_conv("v1", 1, C, 5);
    v->v1_bn = mk_bn("v1_bn", 5);
    v->v1_act = mk_act(act);
    v->v2_mul = mk_mm("v2", 15, 7);
    v->v2_bias = mk_bias("v2_bias", 7);
    v->v2_act = mk_act(act);
    v->v3_mul = mk_mm("v3", 7, 3);
    v->v3_bias = mk_bias("v3_bias", 3);
    v->sv3_mul = mk_mm("sv3", 7, m->num_score_value_channels);
    v->sv3_bias = mk_bias("sv3_bias", m->num_score_value_channels);
    v->ownership_conv = mk_conv("own", 1, 5, 1);
    return m;
}

/* ------------------------------------------------------------------ inputs and outputs */

typedef struct batch_io {
    int batch, nx, ny;
    float *spatial, *global, *meta;
    float *policy, *pass, *value, *score, *own;
    tg_nn_inputs in;
    tg_nn_outputs out;
} batch_io;

static void io_init(batch_io *io, const tg_model *m, int batch, int nx, int ny) {
    const size_t hw = (size_t)nx * ny;
    memset(io, 0, sizeof *io);
    io->batch = batch;
    io->nx = nx;
    io->ny = ny;
    io->spatial = talloc((size_t)batch * m->num_input_channels * hw * sizeof(float));
    io->global = talloc((size_t)batch * m->num_input_global_channels * sizeof(float));
    if (m->num_input_meta_channels > 0)
        io->meta = talloc((size_t)batch * m->num_input_meta_channels * sizeof(float));
    io->policy = talloc((size_t)batch * m->num_policy_channels * hw * sizeof(float));
    io->pass = talloc((size_t)batch * m->num_policy_channels * sizeof(float));
    io->value = talloc((size_t)batch * m->num_value_channels * sizeof(float));
    io->score = talloc((size_t)batch * m->num_score_value_channels * sizeof(float));
    io->own = talloc((size_t)batch * m->num_ownership_channels * hw * sizeof(float));
    io->in = (tg_nn_inputs){.struct_size = sizeof(tg_nn_inputs), .batch_size = batch, .spatial = io->spatial,
                            .global = io->global, .meta = io->meta};
    io->out = (tg_nn_outputs){.struct_size = sizeof(tg_nn_outputs), .batch_size = batch, .policy = io->policy,
                              .policy_pass = io->pass, .value = io->value, .score_value = io->score,
                              .ownership = io->own};
}

/* A random position of bx x by on the top-left of entry n: mask, sparse 0/1 planes, globals. */
static void fill_position(const tg_model *m, batch_io *io, int n, int bx, int by) {
    const size_t hw = (size_t)io->nx * io->ny;
    float *sp = io->spatial + (size_t)n * m->num_input_channels * hw;
    memset(sp, 0, m->num_input_channels * hw * sizeof(float));
    for (int y = 0; y < by; y++)
        for (int x = 0; x < bx; x++) {
            size_t p = (size_t)y * io->nx + x;
            sp[p] = 1.0f;
            for (int c = 1; c < m->num_input_channels; c++)
                sp[c * hw + p] = rnd() < 0.2 ? 1.0f : 0.0f;
        }
    float *g = io->global + (size_t)n * m->num_input_global_channels;
    for (int c = 0; c < m->num_input_global_channels; c++)
        g[c] = rnd() < 0.3 ? 1.0f : 0.0f;
    if (m->num_input_global_channels > 5)
        g[5] = rnd_sym(0.5); /* komi / 20 */
    if (io->meta)
        for (int c = 0; c < m->num_input_meta_channels; c++)
            io->meta[(size_t)n * m->num_input_meta_channels + c] = rnd() < 0.3 ? 1.0f : 0.0f;
}

/* Copies entry src_n of a into entry dst_n of b (same tensor size) */
static void copy_position(const tg_model *m, const batch_io *a, int src_n, batch_io *b, int dst_n) {
    const size_t hw = (size_t)a->nx * a->ny, sc = m->num_input_channels * hw;
    memcpy(b->spatial + dst_n * sc, a->spatial + src_n * sc, sc * sizeof(float));
    memcpy(b->global + (size_t)dst_n * m->num_input_global_channels,
           a->global + (size_t)src_n * m->num_input_global_channels, m->num_input_global_channels * sizeof(float));
    if (a->meta)
        memcpy(b->meta + (size_t)dst_n * m->num_input_meta_channels, a->meta + (size_t)src_n * m->num_input_meta_channels,
               m->num_input_meta_channels * sizeof(float));
}

/* Largest relative difference between entry an of a and entry bn of b over the outputs; spatial
 * outputs only at the bx x by board points (the two may differ in tensor size). */
static double compare_outputs(const tg_model *m, const batch_io *a, int an, const batch_io *b, int bn, int bx, int by) {
    double worst = 0;
    const size_t ahw = (size_t)a->nx * a->ny, bhw = (size_t)b->nx * b->ny;
    for (int c = 0; c < m->num_policy_channels; c++)
        for (int y = 0; y < by; y++)
            for (int x = 0; x < bx; x++) {
                float va = a->policy[((size_t)an * m->num_policy_channels + c) * ahw + (size_t)y * a->nx + x];
                float vb = b->policy[((size_t)bn * m->num_policy_channels + c) * bhw + (size_t)y * b->nx + x];
                double d = max_rel_diff(&va, &vb, 1);
                worst = d > worst ? d : worst;
            }
    for (int y = 0; y < by; y++)
        for (int x = 0; x < bx; x++) {
            float va = a->own[(size_t)an * ahw + (size_t)y * a->nx + x];
            float vb = b->own[(size_t)bn * bhw + (size_t)y * b->nx + x];
            double d = max_rel_diff(&va, &vb, 1);
            worst = d > worst ? d : worst;
        }
    double d = max_rel_diff(a->pass + (size_t)an * m->num_policy_channels, b->pass + (size_t)bn * m->num_policy_channels,
                            m->num_policy_channels);
    worst = d > worst ? d : worst;
    d = max_rel_diff(a->value + (size_t)an * m->num_value_channels, b->value + (size_t)bn * m->num_value_channels,
                     m->num_value_channels);
    worst = d > worst ? d : worst;
    d = max_rel_diff(a->score + (size_t)an * m->num_score_value_channels,
                     b->score + (size_t)bn * m->num_score_value_channels, m->num_score_value_channels);
    return d > worst ? d : worst;
}

static bool all_finite(const tg_model *m, const batch_io *io) {
    const size_t hw = (size_t)io->nx * io->ny, B = (size_t)io->batch;
    const float *arrays[] = {io->policy, io->pass, io->value, io->score, io->own};
    const size_t sizes[] = {B * m->num_policy_channels * hw, B * m->num_policy_channels, B * m->num_value_channels,
                            B * m->num_score_value_channels, B * hw};
    for (int a = 0; a < 5; a++)
        for (size_t i = 0; i < sizes[a]; i++)
            if (!isfinite(arrays[a][i]))
                return false;
    return true;
}

/* Evaluates io with a fresh net and scratch for its tensor size. */
static bool evaluate(const tg_model *m, batch_io *io, int max_batch, char *err, size_t errlen) {
    tg_blas_net *net = tg_blas_net_create(m, io->nx, io->ny, max_batch, err, errlen);
    if (!net)
        return false;
    tg_blas_scratch *s = tg_blas_scratch_create(net, err, errlen);
    bool ok = s && tg_blas_forward(net, s, &io->in, &io->out, err, errlen);
    tg_blas_scratch_destroy(s);
    tg_blas_net_destroy(net);
    return ok;
}

/* ------------------------------------------------------------------ 1. kernels */

static void test_kernels(void) {
    const int B = 2, H = 5, W = 7, hw = H * W;
    float *mask = talloc(B * hw * sizeof(float)), mask_sum[2] = {0, 0};
    for (int n = 0; n < B; n++)
        for (int p = 0; p < hw; p++) {
            /* entry 0: the full tensor; entry 1: a 4x3 board in the corner */
            mask[n * hw + p] = (n == 0 || (p % W < 4 && p / W < 3)) ? 1.0f : 0.0f;
            mask_sum[n] += mask[n * hw + p];
        }

    /* convolution: several shapes, with and without accumulation */
    const int shapes[][6] = {{3, 3, 4, 6, 1, 1}, {1, 1, 5, 3, 1, 1}, {5, 5, 3, 4, 1, 1},
                             {3, 3, 2, 3, 2, 2}, {1, 3, 3, 2, 1, 1}, {3, 1, 2, 2, 1, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        tg_conv_layer c = {.name = "c", .kernel_y = shapes[s][0], .kernel_x = shapes[s][1], .in_channels = shapes[s][2],
                           .out_channels = shapes[s][3], .dilation_y = shapes[s][4], .dilation_x = shapes[s][5]};
        c.weights = rand_array((size_t)c.kernel_y * c.kernel_x * c.in_channels * c.out_channels, 1.0);
        float *in = rand_array((size_t)B * c.in_channels * hw, 1.0);
        float *out = rand_array((size_t)B * c.out_channels * hw, 1.0);
        double *din = dalloc((size_t)B * c.in_channels * hw), *dout = dalloc((size_t)B * c.out_channels * hw);
        for (size_t i = 0; i < (size_t)B * c.in_channels * hw; i++)
            din[i] = in[i];
        for (size_t i = 0; i < (size_t)B * c.out_channels * hw; i++)
            dout[i] = out[i];
        float *ws = talloc((tg_blas_conv_workspace(&c, H, W) + 1) * sizeof(float));
        for (int acc = 0; acc < 2; acc++) {
            tg_blas_conv(&c, B, H, W, in, out, ws, acc);
            nconv(&c, B, H, W, din, dout, acc);
            float *expect = talloc((size_t)B * c.out_channels * hw * sizeof(float));
            for (size_t i = 0; i < (size_t)B * c.out_channels * hw; i++)
                expect[i] = (float)dout[i];
            double d = max_rel_diff(out, expect, (size_t)B * c.out_channels * hw);
            CHECKF(d < 1e-5, "conv %dx%d dil %dx%d accumulate %d: diff %g", c.kernel_y, c.kernel_x, c.dilation_y,
                   c.dilation_x, acc, d);
        }
    }

    /* Winograd F(4x4, 3x3) and F(4x4, 5x5): channel counts off the vector width, sides off the tile
     * size, each epilogue, with and without the norm prologue; against the naive convolution (and
     * norm) */
    {
        const int wshapes[][5] = {{3, 5, 5, 7, 3},   {17, 20, 9, 6, 3}, {32, 16, 19, 19, 3}, {1, 1, 1, 1, 3},
                                  {22, 16, 19, 19, 5}, {3, 5, 5, 7, 5},  {17, 20, 9, 6, 5},   {1, 1, 1, 1, 5},
                                  {2, 3, 2, 3, 5}};
        double worst_wino[2] = {0, 0}; /* 3x3, 5x5 */
        for (size_t s = 0; s < sizeof wshapes / sizeof wshapes[0]; s++) {
            const int ci = wshapes[s][0], co = wshapes[s][1], h = wshapes[s][2], w = wshapes[s][3], whw = h * w;
            const int k = wshapes[s][4];
            tg_conv_layer c = {.name = "w", .kernel_y = k, .kernel_x = k, .in_channels = ci, .out_channels = co,
                               .dilation_y = 1, .dilation_x = 1};
            c.weights = rand_array((size_t)k * k * ci * co, 1.0);
            tg_wino_weights ww;
            CHECK(tg_wino_applies(&c) && tg_wino_prepare(&c, &ww));
            tg_bn_layer pre_bn = mk_bn("pre", ci), post_bn = mk_bn("post", co);
            float *wmask = talloc((size_t)B * whw * sizeof(float));
            for (int n = 0; n < B; n++) /* entry 1: a board one smaller each way, in the corner */
                for (int p = 0; p < whw; p++)
                    wmask[n * whw + p] = (n == 0 || (p % w < w - 1 && p / w < h - 1) || whw == 1) ? 1.0f : 0.0f;
            float *in = rand_array((size_t)B * ci * whw, 1.0);
            double *din = dalloc((size_t)B * ci * whw), *dout = dalloc((size_t)B * co * whw);
            float *ws = talloc(tg_wino_workspace(&c, B, h, w) * sizeof(float));
            /* per-image norm bias rows for mode 4, as a global-pooling block folds them */
            float *row_bias = rand_array((size_t)B * co, 1.0);
            /* store, accumulate, norm+relu, prologue+norm+mish, then norm+relu with per-image bias
             * reading the bordered input mode 3 left in the workspace (in == NULL) */
            for (int mode = 0; mode < 5; mode++) {
                const bool prologue = mode >= 3;
                const int act = mode == 3 ? TG_ACT_MISH : TG_ACT_RELU;
                const int epi = mode == 0 ? TG_WINO_STORE : mode == 1 ? TG_WINO_ACCUMULATE : TG_WINO_NORM_ACT;
                for (size_t i = 0; i < (size_t)B * ci * whw; i++)
                    din[i] = in[i];
                if (prologue)
                    nbn(&pre_bn, TG_ACT_RELU, B, whw, wmask, din, din);
                float *out = rand_array((size_t)B * co * whw, 1.0);
                for (size_t i = 0; i < (size_t)B * co * whw; i++)
                    dout[i] = out[i];
                nconv(&c, B, h, w, din, dout, epi == TG_WINO_ACCUMULATE);
                if (mode == 4) {
                    for (int n = 0; n < B; n++)
                        for (int o = 0; o < co; o++)
                            for (int p = 0; p < whw; p++) {
                                double *v = &dout[((size_t)n * co + o) * whw + p];
                                const double x = (double)post_bn.merged_scale[o] * *v + row_bias[n * co + o];
                                *v = wmask[n * whw + p] != 0 ? nact(act, x) : 0;
                            }
                } else if (epi == TG_WINO_NORM_ACT) {
                    nbn(&post_bn, act, B, whw, wmask, dout, dout);
                }
                const tg_wino_norm pre = {pre_bn.merged_scale, pre_bn.merged_bias, TG_ACT_RELU, wmask, 0};
                const tg_wino_norm post = {post_bn.merged_scale, mode == 4 ? row_bias : post_bn.merged_bias, act,
                                           wmask, mode == 4 ? (size_t)co : 0};
                tg_wino_conv(&ww, B, h, w, mode == 4 ? NULL : in, out, ws, prologue ? &pre : NULL, epi, &post);
                float *expect = talloc((size_t)B * co * whw * sizeof(float));
                for (size_t i = 0; i < (size_t)B * co * whw; i++)
                    expect[i] = (float)dout[i];
                double d = max_rel_diff(out, expect, (size_t)B * co * whw);
                /* F(4x4, 3x3) rounds worse than a direct sum (the transforms scale by up to 8 and
                 * cancel), growing with the channel count: ~7e-5 at 32 channels; a wrong transform
                 * or tile edge is off by O(1) */
                CHECKF(d < 3e-4, "winograd %dx%d %d->%d on %dx%d, mode %d: diff %g", k, k, ci, co, h, w, mode, d);
                worst_wino[k == 5] = d > worst_wino[k == 5] ? d : worst_wino[k == 5];
            }
            tg_wino_free(&ww);
        }
        fprintf(stderr, "winograd kernel: max relative difference to the naive convolution %.2g (3x3), %.2g (5x5)\n",
                worst_wino[0], worst_wino[1]);
    }

    /* The first layer straight into the channel-last trunk (tg_wino_conv_to_cl): conv + per-image bias
     * against the naive convolution, read back through tg_wino_from_cl, and the border it must zero */
    {
        const int shapes[][5] = {
            {22, 96, 19, 19, 5}, {22, 32, 9, 9, 5}, {5, 16, 7, 6, 5}, {3, 16, 5, 7, 3}, {1, 16, 1, 1, 5}};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            const int ci = shapes[s][0], co = shapes[s][1], h = shapes[s][2], w = shapes[s][3], k = shapes[s][4];
            const int whw = h * w, pad_h = (h + 3) / 4 * 4 + 2, pad_w = (w + 3) / 4 * 4 + 2;
            tg_conv_layer c = {.name = "stem", .kernel_y = k, .kernel_x = k, .in_channels = ci, .out_channels = co,
                               .dilation_y = 1, .dilation_x = 1};
            c.weights = rand_array((size_t)k * k * ci * co, 1.0);
            tg_wino_weights ww;
            CHECK(tg_wino_applies(&c) && tg_wino_prepare(&c, &ww));
            float *in = rand_array((size_t)B * ci * whw, 1.0), *bias = rand_array((size_t)B * co, 1.0);
            double *din = dalloc((size_t)B * ci * whw), *dout = dalloc((size_t)B * co * whw);
            for (size_t i = 0; i < (size_t)B * ci * whw; i++)
                din[i] = in[i];
            nconv(&c, B, h, w, din, dout, 0);
            float *expect = talloc((size_t)B * co * whw * sizeof(float));
            for (int n = 0; n < B; n++)
                for (int o = 0; o < co; o++)
                    for (int p = 0; p < whw; p++)
                        expect[((size_t)n * co + o) * whw + p] =
                            (float)(dout[((size_t)n * co + o) * whw + p] + bias[n * co + o]);
            const size_t cl_floats = tg_wino_cl_floats(B, h, w, co);
            CHECK(cl_floats == (size_t)B * pad_h * pad_w * co);
            float *cl = talloc(cl_floats * sizeof(float)), *out = talloc((size_t)B * co * whw * sizeof(float));
            for (size_t i = 0; i < cl_floats; i++)
                cl[i] = 7.0f; /* whatever was there before */
            float *ws = talloc(tg_wino_workspace(&c, B, h, w) * sizeof(float));
            tg_wino_conv_to_cl(&ww, B, h, w, in, cl, ws, bias, (size_t)co);
            tg_wino_from_cl(B, h, w, co, cl, out, NULL);
            const double d = max_rel_diff(out, expect, (size_t)B * co * whw);
            CHECKF(d < 3e-4, "conv_to_cl %dx%d %d->%d on %dx%d: diff %g", k, k, ci, co, h, w, d);
            int border_bad = 0;
            for (int n = 0; n < B; n++)
                for (int y = 0; y < pad_h; y++)
                    for (int x = 0; x < pad_w; x++)
                        if (y < 1 || y > h || x < 1 || x > w)
                            for (int o = 0; o < co; o++)
                                border_bad += cl[(((size_t)n * pad_h + y) * pad_w + x) * co + o] != 0.0f;
            CHECKF(border_bad == 0, "conv_to_cl %dx%d on %dx%d: %d border values not zero", k, k, h, w, border_bad);
            tg_wino_free(&ww);
        }
    }

    /* batch norm + each activation, masked */
    const int acts[] = {TG_ACT_IDENTITY, TG_ACT_RELU, TG_ACT_MISH, TG_ACT_SILU, TG_ACT_MISH_SCALE8};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        const int C = 3;
        tg_bn_layer bn = mk_bn("bn", C);
        float *in = rand_array((size_t)B * C * hw, 25.0), *out = talloc((size_t)B * C * hw * sizeof(float));
        double *din = dalloc((size_t)B * C * hw), *dout = dalloc((size_t)B * C * hw);
        for (size_t i = 0; i < (size_t)B * C * hw; i++)
            din[i] = in[i];
        tg_blas_norm_act(bn.merged_scale, bn.merged_bias, acts[a], B, C, hw, mask, in, out);
        nbn(&bn, acts[a], B, hw, mask, din, dout);
        float *expect = talloc((size_t)B * C * hw * sizeof(float));
        for (size_t i = 0; i < (size_t)B * C * hw; i++)
            expect[i] = (float)dout[i];
        double d = max_rel_diff(out, expect, (size_t)B * C * hw);
        CHECKF(d < 1e-5, "batch norm + %s: diff %g", tg_activation_name(acts[a]), d);
        int zero_off_board = 1;
        for (int c = 0; c < C; c++)
            for (int p = 0; p < hw; p++)
                if (mask[hw + p] == 0 && out[((size_t)1 * C + c) * hw + p] != 0.0f)
                    zero_off_board = 0;
        CHECKF(zero_off_board, "batch norm + %s leaves off-board values", tg_activation_name(acts[a]));
    }

    /* both poolings, on masked data; one channel entirely below -1 exercises the max floor */
    {
        const int C = 4;
        float *in = rand_array((size_t)B * C * hw, 3.0);
        for (int p = 0; p < hw; p++)
            in[(size_t)2 * hw + p] = -2.0f - (float)rnd();
        for (int n = 0; n < B; n++)
            for (int c = 0; c < C; c++)
                for (int p = 0; p < hw; p++)
                    if (mask[n * hw + p] == 0)
                        in[((size_t)n * C + c) * hw + p] = 0.0f;
        double *din = dalloc((size_t)B * C * hw), *dout = dalloc((size_t)B * 3 * C);
        for (size_t i = 0; i < (size_t)B * C * hw; i++)
            din[i] = in[i];
        float *out = talloc((size_t)B * 3 * C * sizeof(float)), *expect = talloc((size_t)B * 3 * C * sizeof(float));
        for (int value_head = 0; value_head < 2; value_head++) {
            if (value_head)
                tg_blas_value_pool(B, C, hw, in, mask_sum, out);
            else
                tg_blas_gpool(B, C, hw, in, mask, mask_sum, out);
            npool(value_head, B, C, hw, mask, din, dout);
            for (int i = 0; i < B * 3 * C; i++)
                expect[i] = (float)dout[i];
            double d = max_rel_diff(out, expect, (size_t)B * 3 * C);
            CHECKF(d < 1e-5, "%s pooling: diff %g", value_head ? "value head" : "global", d);
            if (!value_head)
                CHECKF(out[2 * C + 2] == -1.0f, "global pooling max of an all-negative channel: %g", out[2 * C + 2]);
        }
    }

    /* matmul */
    {
        tg_matmul_layer mm = mk_mm("mm", 9, 5);
        float *in = rand_array(4 * 9, 1.0), *out = talloc(4 * 5 * sizeof(float)), *expect = talloc(4 * 5 * sizeof(float));
        double *din = dalloc(4 * 9), *dout = dalloc(4 * 5);
        for (int i = 0; i < 36; i++)
            din[i] = in[i];
        tg_blas_matmul(&mm, 4, in, out);
        nmatmul(&mm, 4, din, dout);
        for (int i = 0; i < 20; i++)
            expect[i] = (float)dout[i];
        double d = max_rel_diff(out, expect, 20);
        CHECKF(d < 1e-5, "matmul: diff %g", d);
    }
}

/* ------------------------------------------------------------------ 2. tiny networks */

static void test_tiny(int variant) {
    static const char *names[] = {"v8 convnet", "v15 nested + meta", "v17 transformer", "v17 spatial rmsnorm"};
    tg_model *m = tiny_model(variant);
    const int nx = 6, ny = 5, B = 3, hw = nx * ny;
    const int boards[3][2] = {{6, 5}, {4, 3}, {5, 5}};
    batch_io io;
    io_init(&io, m, B, nx, ny);
    for (int n = 0; n < B; n++)
        fill_position(m, &io, n, boards[n][0], boards[n][1]);
    char err[512] = "";
    bool ok = evaluate(m, &io, 4, err, sizeof err);
    CHECKF(ok, "tiny %s: %s", names[variant], err);
    if (!ok)
        return;
    naive_out ref = nforward(m, B, nx, ny, io.spatial, io.global, io.meta);

    double worst = 0;
    for (int n = 0; n < B; n++) {
        for (int y = 0; y < boards[n][1]; y++)
            for (int x = 0; x < boards[n][0]; x++) {
                const int p = y * nx + x;
                for (int c = 0; c < m->num_policy_channels; c++) {
                    float e = (float)ref.policy[((size_t)n * m->num_policy_channels + c) * hw + p];
                    double d = max_rel_diff(&io.policy[((size_t)n * m->num_policy_channels + c) * hw + p], &e, 1);
                    worst = d > worst ? d : worst;
                }
                float e = (float)ref.own[(size_t)n * hw + p];
                double d = max_rel_diff(&io.own[(size_t)n * hw + p], &e, 1);
                worst = d > worst ? d : worst;
            }
    }
    float *flat = talloc(64 * sizeof(float));
    const struct {
        const float *got;
        const double *want;
        int count;
    } vecs[] = {{io.pass, ref.pass, B * m->num_policy_channels},
                {io.value, ref.value, B * m->num_value_channels},
                {io.score, ref.score, B * m->num_score_value_channels}};
    for (int v = 0; v < 3; v++) {
        for (int i = 0; i < vecs[v].count; i++)
            flat[i] = (float)vecs[v].want[i];
        double d = max_rel_diff(vecs[v].got, flat, vecs[v].count);
        worst = d > worst ? d : worst;
    }
    CHECKF(worst < 2e-4, "tiny %s: forward vs naive reference differs by %g", names[variant], worst);
    fprintf(stderr, "tiny %s: max relative difference to the naive reference %.2g\n", names[variant], worst);
    CHECKF(all_finite(m, &io), "tiny %s: non-finite output", names[variant]);
}

/* ------------------------------------------------------------------ 4. errors */

static void test_errors(void) {
    char err[512];
    /* a plain (non-SwiGLU) FFN: KataGo runs none, neither do we */
    tg_model *m = tiny_model(TINY_V17);
    tg_block *bl = (tg_block *)m->trunk.blocks;
    bl[2] = blk_ffn(8, 12, 0);
    tg_blas_net *net = tg_blas_net_create(m, 6, 5, 2, err, sizeof err);
    CHECK(net == NULL);
    CHECKF(strstr(err, "'ffn'") && strstr(err, "is not supported") && strstr(err, "blas-cpu: model layer "),
           "message: %s", err);
    tg_blas_net_destroy(net);

    /* an unknown activation */
    m = tiny_model(TINY_V8);
    ((tg_residual_block *)m->trunk.blocks[0].u.ordinary)->mid_act.kind = 7;
    net = tg_blas_net_create(m, 6, 5, 2, err, sizeof err);
    CHECK(net == NULL);
    CHECKF(strstr(err, "is not supported") && strstr(err, "activation 7"), "message: %s", err);

    /* a shape mismatch */
    m = tiny_model(TINY_V8);
    m->value.v2_mul.in_channels = 14;
    net = tg_blas_net_create(m, 6, 5, 2, err, sizeof err);
    CHECKF(net == NULL && strstr(err, "'v2'"), "message: %s", err);
    tg_blas_net_destroy(net);

    /* metadata missing, batch sizes out of range, a position without board */
    m = tiny_model(TINY_V15);
    net = tg_blas_net_create(m, 6, 5, 2, err, sizeof err);
    CHECKF(net != NULL, "%s", err);
    if (!net)
        return;
    tg_blas_scratch *s = tg_blas_scratch_create(net, err, sizeof err);
    CHECK(s != NULL);
    batch_io io;
    io_init(&io, m, 3, 6, 5);
    for (int n = 0; n < 3; n++)
        fill_position(m, &io, n, 6, 5);
    io.in.batch_size = 2;
    CHECKF(tg_blas_forward(net, s, &io.in, &io.out, err, sizeof err), "%s", err);
    io.in.meta = NULL;
    CHECK(!tg_blas_forward(net, s, &io.in, &io.out, err, sizeof err));
    CHECKF(strstr(err, "metadata"), "message: %s", err);
    io.in.meta = io.meta;
    io.in.batch_size = 3;
    CHECK(!tg_blas_forward(net, s, &io.in, &io.out, err, sizeof err));
    io.in.batch_size = 0;
    CHECK(!tg_blas_forward(net, s, &io.in, &io.out, err, sizeof err));
    io.in.batch_size = 1;
    memset(io.spatial, 0, 5 * 30 * sizeof(float));
    CHECK(!tg_blas_forward(net, s, &io.in, &io.out, err, sizeof err));
    CHECKF(strstr(err, "no on-board point"), "message: %s", err);
    tg_blas_scratch_destroy(s);
    tg_blas_net_destroy(net);
}

/* ------------------------------------------------------------------ 3. shipped networks */

typedef struct thread_job {
    const tg_blas_net *net;
    batch_io *io;
    int repeats;
    bool ok;
    char err[256];
} thread_job;

static void *thread_main(void *arg) {
    thread_job *job = arg;
    tg_blas_scratch *s = tg_blas_scratch_create(job->net, job->err, sizeof job->err);
    job->ok = s != NULL;
    for (int i = 0; i < job->repeats && job->ok; i++)
        job->ok = tg_blas_forward(job->net, s, &job->io->in, &job->io->out, job->err, sizeof job->err);
    tg_blas_scratch_destroy(s);
    return NULL;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_shipped(const char *path) {
    char err[512] = "";
    tg_model *m = tg_model_load(path, err, sizeof err);
    CHECKF(m != NULL, "%s: %s", path, err);
    if (!m)
        return;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const int N = 19, B = 8;
    /* board sizes per entry, including rectangles and the full tensor */
    const int boards[8][2] = {{19, 19}, {9, 9}, {13, 13}, {7, 11}, {19, 19}, {5, 5}, {15, 8}, {12, 19}};

    tg_blas_net *net = tg_blas_net_create(m, N, N, B, err, sizeof err);
    CHECKF(net != NULL, "%s: %s", base, err);
    if (!net) {
        tg_model_free(m);
        return;
    }
    tg_blas_scratch *s = tg_blas_scratch_create(net, err, sizeof err);
    CHECKF(s != NULL, "%s: %s", base, err);

    batch_io all;
    io_init(&all, m, B, N, N);
    for (int n = 0; n < B; n++)
        fill_position(m, &all, n, boards[n][0], boards[n][1]);
    bool ok = s && tg_blas_forward(net, s, &all.in, &all.out, err, sizeof err);
    CHECKF(ok, "%s: batch of %d: %s", base, B, err);
    CHECKF(ok && all_finite(m, &all), "%s: non-finite outputs", base);

    /* one by one, same net and scratch */
    double worst_single = 0;
    batch_io one;
    io_init(&one, m, 1, N, N);
    for (int n = 0; n < B && ok; n++) {
        copy_position(m, &all, n, &one, 0);
        CHECKF(tg_blas_forward(net, s, &one.in, &one.out, err, sizeof err), "%s: single: %s", base, err);
        double d = compare_outputs(m, &one, 0, &all, n, N, N);
        worst_single = d > worst_single ? d : worst_single;
    }
    CHECKF(worst_single <= 1e-5, "%s: batch vs single evaluation differ by %g", base, worst_single);

    /* each smaller board on a tensor of exactly its size */
    double worst_mask = 0;
    for (int n = 0; n < B && ok; n++) {
        const int bx = boards[n][0], by = boards[n][1];
        if (bx == N && by == N)
            continue;
        batch_io exact;
        io_init(&exact, m, 1, bx, by);
        const size_t hw = (size_t)N * N, ehw = (size_t)bx * by;
        for (int c = 0; c < m->num_input_channels; c++)
            for (int y = 0; y < by; y++)
                for (int x = 0; x < bx; x++)
                    exact.spatial[c * ehw + (size_t)y * bx + x] = all.spatial[((size_t)n * m->num_input_channels + c) * hw + (size_t)y * N + x];
        memcpy(exact.global, all.global + (size_t)n * m->num_input_global_channels,
               m->num_input_global_channels * sizeof(float));
        if (all.meta)
            memcpy(exact.meta, all.meta + (size_t)n * m->num_input_meta_channels, m->num_input_meta_channels * sizeof(float));
        CHECKF(evaluate(m, &exact, 1, err, sizeof err), "%s: exact %dx%d: %s", base, bx, by, err);
        double d = compare_outputs(m, &exact, 0, &all, n, bx, by);
        worst_mask = d > worst_mask ? d : worst_mask;
    }
    CHECKF(worst_mask <= 1e-4, "%s: board in a larger tensor vs exact tensor differ by %g", base, worst_mask);

    /* two threads, each with its own scratch, on different batches of one net */
    if (ok) {
        batch_io copies[2];
        thread_job jobs[2];
        pthread_t threads[2];
        for (int t = 0; t < 2; t++) {
            io_init(&copies[t], m, 4, N, N);
            for (int n = 0; n < 4; n++)
                copy_position(m, &all, 4 * t + n, &copies[t], n);
            jobs[t] = (thread_job){.net = net, .io = &copies[t], .repeats = 3};
        }
        for (int t = 0; t < 2; t++)
            CHECK(pthread_create(&threads[t], NULL, thread_main, &jobs[t]) == 0);
        for (int t = 0; t < 2; t++)
            pthread_join(threads[t], NULL);
        double worst_thread = 0;
        for (int t = 0; t < 2; t++) {
            CHECKF(jobs[t].ok, "%s: thread %d: %s", base, t, jobs[t].err);
            for (int n = 0; n < 4; n++) {
                double d = compare_outputs(m, &copies[t], n, &all, 4 * t + n, N, N);
                worst_thread = d > worst_thread ? d : worst_thread;
            }
        }
        CHECKF(worst_thread <= 1e-5, "%s: concurrent evaluation differs by %g", base, worst_thread);
    }

    /* speed: one 19x19 position, and a batch of 8 */
    if (ok) {
        copy_position(m, &all, 0, &one, 0);
        tg_blas_forward(net, s, &one.in, &one.out, err, sizeof err);
        const int reps = 5;
        double t0 = now_ms();
        for (int i = 0; i < reps; i++)
            tg_blas_forward(net, s, &one.in, &one.out, err, sizeof err);
        double t1 = now_ms();
        for (int i = 0; i < reps; i++)
            tg_blas_forward(net, s, &all.in, &all.out, err, sizeof err);
        double t2 = now_ms();
        fprintf(stderr, "%s: v%d, %d blocks x %d ch: batch-vs-single %.2g, mask %.2g; 19x19: %.1f ms/position single, "
                        "%.1f ms/position in a batch of 8\n",
                base, (int)m->version, (int)m->trunk.num_blocks, (int)m->trunk.channels, worst_single, worst_mask,
                (t1 - t0) / reps, (t2 - t1) / reps / B);
    }
    tg_blas_scratch_destroy(s);
    tg_blas_net_destroy(net);
    tg_model_free(m);
}


/* ------------------------------------------------------------------ 6. random networks from the writer */

/* The layouts tg_model_build_random supports, each written to a .bin.gz, read back through
 * tg_model_load and run on featurized positions: the networks the other backends are checked on
 * must give sane outputs here first. */
enum {
    WL_CLASSIC,      /* ordinary + gpool + ordinary with a narrower middle */
    WL_NESTED,       /* nested bottleneck holding a nested bottleneck (two deep), BN without scale */
    WL_TRANSFORMER,  /* attention (GQA; RoPE fixed, learnable, none) + SwiGLU FFN */
    WL_NESTED_TF,    /* a nested block holding transformer blocks */
    WL_RMS_POINTS,   /* v15+: RMS-norm trunk tip, per point */
    WL_RMS_SPATIAL,  /* v15+: RMS-norm trunk tip over the whole board, metadata encoder */
    WL_POLICY4,      /* v17: four policy channels */
    WL_COUNT
};
static const char *const wl_names[WL_COUNT] = {"classic", "nested x2", "transformer", "nested transformer",
                                               "rms tip", "rms spatial tip + meta", "policy x4"};

static const tg_model_spec_block wl_classic[] = {
    {.kind = TG_BLOCK_ORDINARY},
    {.kind = TG_BLOCK_GPOOL, .gpool_channels = 8},
    {.kind = TG_BLOCK_ORDINARY, .mid_channels = 16}};
static const tg_model_spec_block wl_nest_deep[] = {{.kind = TG_BLOCK_ORDINARY}, {.kind = TG_BLOCK_GPOOL, .gpool_channels = 4}};
static const tg_model_spec_block wl_nest_mid[] = {
    {.kind = TG_BLOCK_ORDINARY},
    {.kind = TG_BLOCK_NESTED_BOTTLENECK, .inner_channels = 8, .num_inner = 2, .inner = wl_nest_deep}};
static const tg_model_spec_block wl_nested[] = {
    {.kind = TG_BLOCK_ORDINARY},
    {.kind = TG_BLOCK_NESTED_BOTTLENECK, .inner_channels = 16, .num_inner = 2, .inner = wl_nest_mid}};
static const tg_model_spec_block wl_transformer[] = {
    {.kind = TG_BLOCK_ORDINARY},
    {.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .num_heads = 4, .num_kv_heads = 2, .q_head_dim = 8, .rope = TG_SPEC_ROPE_FIXED},
    {.kind = TG_BLOCK_TRANSFORMER_FFN, .ffn_channels = 48},
    {.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .num_heads = 2, .num_kv_heads = 1, .q_head_dim = 8, .v_head_dim = 12,
     .rope = TG_SPEC_ROPE_LEARNABLE},
    {.kind = TG_BLOCK_TRANSFORMER_FFN},
    {.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .num_heads = 4, .q_head_dim = 6, .v_head_dim = 4, .rope = TG_SPEC_ROPE_NONE},
    {.kind = TG_BLOCK_TRANSFORMER_FFN, .ffn_channels = 32}};
static const tg_model_spec_block wl_tf_inner[] = {
    {.kind = TG_BLOCK_ORDINARY},
    {.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .num_heads = 2, .num_kv_heads = 1, .q_head_dim = 8, .rope = TG_SPEC_ROPE_LEARNABLE},
    {.kind = TG_BLOCK_TRANSFORMER_FFN}};
static const tg_model_spec_block wl_nested_tf[] = {
    {.kind = TG_BLOCK_GPOOL},
    {.kind = TG_BLOCK_NESTED_BOTTLENECK, .inner_channels = 16, .num_inner = 3, .inner = wl_tf_inner}};
static const tg_model_spec_block wl_rms[] = {
    {.kind = TG_BLOCK_GPOOL},
    {.kind = TG_BLOCK_TRANSFORMER_ATTENTION, .num_heads = 4, .num_kv_heads = 2, .q_head_dim = 8, .rope = TG_SPEC_ROPE_FIXED},
    {.kind = TG_BLOCK_TRANSFORMER_FFN}};

/* The spec of one layout; false when the layout needs a newer model version. */
static bool wl_spec(int layout, int version, int act, tg_model_spec *spec) {
    *spec = (tg_model_spec){.version = version, .trunk_channels = 32, .activation = act, .policy_channels = 2};
#define WL_BLOCKS(a) (spec->blocks = (a), spec->num_blocks = (int32_t)(sizeof(a) / sizeof(a)[0]))
    switch (layout) {
    case WL_CLASSIC: WL_BLOCKS(wl_classic); return true;
    case WL_NESTED: WL_BLOCKS(wl_nested); spec->bn_without_scale = 1; spec->initial_kernel = 3; return true;
    case WL_TRANSFORMER: WL_BLOCKS(wl_transformer); spec->trunk_channels = 24; return true;
    case WL_NESTED_TF: WL_BLOCKS(wl_nested_tf); return true;
    case WL_RMS_POINTS:
    case WL_RMS_SPATIAL:
        WL_BLOCKS(wl_rms);
        spec->trunk_norm = TG_TRUNK_NORM_RMSNORM;
        spec->tip_rmsnorm_spatial = layout == WL_RMS_SPATIAL;
        spec->meta_encoder = layout == WL_RMS_SPATIAL;
        return version >= 15;
    case WL_POLICY4: WL_BLOCKS(wl_classic); spec->policy_channels = 4; spec->head_channels = 12; return version >= 17;
    default: return false;
    }
#undef WL_BLOCKS
}

/* A position of bx x by reached by a few random legal moves (some passes), featurized into entry n
 * of io; metadata inputs, when the model takes them, sparse random 0/1. */
static void wl_position(const tg_model *m, batch_io *io, int n, int bx, int by) {
    tg_board board;
    tg_board_init(&board, bx, by);
    tg_rules rules = tg_rules_default();
    if (rnd() < 0.4) {
        char err[128];
        if (!tg_rules_parse_with_default_komi("japanese", &rules, err, sizeof err))
            rules = tg_rules_default();
    }
    rules.komi = (float)(0.5 * (int)(rnd() * 20) - 2.0);
    tg_history hist;
    tg_history_init(&hist, &board, TG_BLACK, &rules, 0);
    const int moves = 3 + (int)(rnd() * 2 * bx * by / 3);
    tg_loc legal[TG_MAX_ARR_SIZE];
    for (int i = 0; i < moves; i++) {
        tg_color pla = hist.presumed_next_pla;
        int count = 0;
        for (int y = 0; y < by; y++)
            for (int x = 0; x < bx; x++) {
                tg_loc loc = tg_loc_of(x, y, bx);
                if (board.color[loc] == TG_EMPTY && tg_history_is_legal(&hist, &board, loc, pla))
                    legal[count++] = loc;
            }
        tg_loc loc = count == 0 || rnd() < 0.03 ? (tg_loc)TG_PASS_LOC : legal[(int)(rnd() * count)];
        tg_history_play(&hist, &board, loc, pla, false);
        if (hist.is_game_finished)
            break;
    }
    tg_nn_input_params params;
    tg_nn_input_params_default(&params);
    const size_t hw = (size_t)io->nx * io->ny;
    tg_nn_fill_inputs_v7(&board, &hist, hist.presumed_next_pla, &params, io->nx, io->ny,
                         io->spatial + (size_t)n * m->num_input_channels * hw,
                         io->global + (size_t)n * m->num_input_global_channels);
    tg_history_free(&hist);
    if (io->meta)
        for (int c = 0; c < m->num_input_meta_channels; c++)
            io->meta[(size_t)n * m->num_input_meta_channels + c] = rnd() < 0.1 ? 1.0f : 0.0f;
}

/* Worst magnitudes seen, for the summary line. */
typedef struct wl_stats {
    double policy, value, score, own; /* largest magnitudes */
    double spread, value_diff;        /* smallest policy spread over a board, value change between positions */
} wl_stats;

static double max_abs(const float *a, size_t n) {
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = fabs((double)a[i]) > mx ? fabs((double)a[i]) : mx;
    return mx;
}

/* Output sanity of entry n (board bx x by at the tensor's top-left): bounded, and not degenerate. */
static void wl_check_entry(const tg_model *m, const batch_io *io, int n, int bx, int by, const char *what,
                           wl_stats *st) {
    const size_t hw = (size_t)io->nx * io->ny;
    const int P = m->num_policy_channels;
    double pol = 0, own = 0;
    for (int c = 0; c < P; c++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int y = 0; y < by; y++)
            for (int x = 0; x < bx; x++) {
                double v = io->policy[((size_t)n * P + c) * hw + (size_t)y * io->nx + x];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
                pol = fabs(v) > pol ? fabs(v) : pol;
            }
        CHECKF(hi - lo > 1e-3, "%s: policy channel %d is flat over the board (%g..%g)", what, c, lo, hi);
        st->spread = hi - lo < st->spread ? hi - lo : st->spread;
    }
    for (int y = 0; y < by; y++)
        for (int x = 0; x < bx; x++) {
            double v = fabs((double)io->own[(size_t)n * hw + (size_t)y * io->nx + x]);
            own = v > own ? v : own;
        }
    double pass = max_abs(io->pass + (size_t)n * P, P);
    double val = max_abs(io->value + (size_t)n * m->num_value_channels, m->num_value_channels);
    double sc = max_abs(io->score + (size_t)n * m->num_score_value_channels, m->num_score_value_channels);
    pol = pass > pol ? pass : pol;
    /* the writer's scaling gives O(1) (a few units at most, even 50 blocks deep); 1e3 leaves room */
    CHECKF(pol < 1e3 && val < 1e3 && sc < 1e3 && own < 1e3,
           "%s: outputs explode: |policy| %g, |value| %g, |score| %g, |ownership| %g", what, pol, val, sc, own);
    CHECKF(val > 1e-3 && sc > 1e-3, "%s: value or score outputs vanish: |value| %g, |score| %g", what, val, sc);
    const float *v = io->value + (size_t)n * m->num_value_channels;
    CHECKF(v[0] != v[1] || v[1] != v[2], "%s: value logits all equal (%g)", what, (double)v[0]);
    st->policy = pol > st->policy ? pol : st->policy;
    st->value = val > st->value ? val : st->value;
    st->score = sc > st->score ? sc : st->score;
    st->own = own > st->own ? own : st->own;
}

/* One tensor size: a batch of 3 through file-loaded model `m`, checked, then one by one, then the
 * same batch through the in-memory model it was written from. */
static void wl_evaluate(const tg_model *m, const tg_model *built, int nx, int ny, const int boards[3][2],
                        const char *what, wl_stats *st, double *worst_single) {
    char err[512] = "", label[256];
    const int B = 3;
    tg_blas_net *net = tg_blas_net_create(m, nx, ny, B, err, sizeof err);
    CHECKF(net != NULL, "%s: %s", what, err);
    tg_blas_scratch *s = net ? tg_blas_scratch_create(net, err, sizeof err) : NULL;
    CHECKF(!net || s != NULL, "%s: %s", what, err);
    batch_io all, one, mem;
    io_init(&all, m, B, nx, ny);
    for (int n = 0; n < B; n++)
        wl_position(m, &all, n, boards[n][0], boards[n][1]);
    bool ok = s && tg_blas_forward(net, s, &all.in, &all.out, err, sizeof err);
    CHECKF(!s || ok, "%s: batch: %s", what, err);
    if (ok) {
        CHECKF(all_finite(m, &all), "%s: non-finite outputs", what);
        for (int n = 0; n < B; n++) {
            snprintf(label, sizeof label, "%s, entry %d (%dx%d)", what, n, boards[n][0], boards[n][1]);
            wl_check_entry(m, &all, n, boards[n][0], boards[n][1], label, st);
        }
        /* the position reaches the heads: entries 0 and 2 (same board size, different games) differ */
        double dv = 0;
        for (int c = 0; c < m->num_value_channels; c++) {
            double d = fabs((double)all.value[c] - (double)all.value[2 * m->num_value_channels + c]);
            dv = d > dv ? d : dv;
        }
        CHECKF(dv > 1e-4, "%s: two different positions get the same value logits (differ by %g)", what, dv);
        st->value_diff = dv < st->value_diff ? dv : st->value_diff;
        io_init(&one, m, 1, nx, ny);
        for (int n = 0; n < B; n++) {
            copy_position(m, &all, n, &one, 0);
            bool ok1 = tg_blas_forward(net, s, &one.in, &one.out, err, sizeof err);
            CHECKF(ok1, "%s: single %d: %s", what, n, err);
            double d = ok1 ? compare_outputs(m, &one, 0, &all, n, boards[n][0], boards[n][1]) : 0;
            CHECKF(d <= 1e-5, "%s: entry %d alone differs from the batch by %g", what, n, d);
            *worst_single = d > *worst_single ? d : *worst_single;
        }
        /* the file holds exactly the model that was written */
        io_init(&mem, built, B, nx, ny);
        for (int n = 0; n < B; n++)
            copy_position(m, &all, n, &mem, n);
        bool okm = evaluate(built, &mem, B, err, sizeof err);
        CHECKF(okm, "%s: in-memory model: %s", what, err);
        double worst = 0;
        for (int n = 0; n < B && okm; n++) {
            double d = compare_outputs(m, &mem, n, &all, n, boards[n][0], boards[n][1]);
            worst = d > worst ? d : worst;
        }
        CHECKF(worst == 0, "%s: the loaded model differs from the one written by %g", what, worst);
    }
    tg_blas_scratch_destroy(s);
    tg_blas_net_destroy(net);
}

static void test_writer_nets(void) {
    char dir[512], path[600], err[512] = "";
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/tengen-blas-forward-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        CHECKF(0, "cannot create a temporary directory under %s", base && *base ? base : "/tmp");
        return;
    }
    snprintf(path, sizeof path, "%s/random.bin.gz", dir);
    static const int boards9[3][2] = {{9, 9}, {7, 5}, {9, 9}}, boards75[3][2] = {{7, 5}, {7, 5}, {7, 5}};
    wl_stats st[WL_COUNT];
    for (int l = 0; l < WL_COUNT; l++)
        st[l] = (wl_stats){.spread = INFINITY, .value_diff = INFINITY};
    double worst_single[WL_COUNT] = {0};
    int nets[WL_COUNT] = {0};
    const double t0 = now_ms();
    for (int version = 8; version <= 17; version++)
        for (int layout = 0; layout < WL_COUNT; layout++)
            for (int a = 0; a < (version >= 11 ? 2 : 1); a++) {
                const int act = a ? TG_ACT_MISH : TG_ACT_RELU;
                tg_model_spec spec;
                if (!wl_spec(layout, version, act, &spec))
                    continue;
                char what[160];
                snprintf(what, sizeof what, "writer v%d %s %s", version, wl_names[layout], tg_activation_name(act));
                const uint64_t seed = 1000u * (uint64_t)version + 10u * (uint64_t)layout + (uint64_t)a;
                tg_model *built = tg_model_build_random(&spec, seed, err, sizeof err);
                CHECKF(built != NULL, "%s: build: %s", what, err);
                bool wrote = built && tg_model_write(path, built, err, sizeof err);
                CHECKF(!built || wrote, "%s: write: %s", what, err);
                tg_model *m = wrote ? tg_model_load(path, err, sizeof err) : NULL;
                CHECKF(!wrote || m != NULL, "%s: load: %s", what, err);
                if (m) {
                    CHECKF(m->version == version && m->num_policy_channels == (version >= 17 ? spec.policy_channels
                                                                                : version == 16 ? 4
                                                                                : version >= 12 ? 2 : 1),
                           "%s: loaded v%d with %d policy channels", what, (int)m->version, (int)m->num_policy_channels);
                    wl_evaluate(m, built, 9, 9, boards9, what, &st[layout], &worst_single[layout]);
                    wl_evaluate(m, built, 7, 5, boards75, what, &st[layout], &worst_single[layout]);
                    nets[layout]++;
                }
                tg_model_free(m);
                tg_model_free(built);
                free_all();
                remove(path);
            }
    rmdir(dir);
    for (int l = 0; l < WL_COUNT; l++)
        fprintf(stderr, "writer nets, %-22s: %2d nets; max |policy| %.3g, |value| %.3g, |score| %.3g, |ownership| %.3g; "
                        "min policy spread %.3g, min value change %.3g; batch vs single %.2g\n",
                wl_names[l], nets[l], st[l].policy, st[l].value, st[l].score, st[l].own, st[l].spread,
                st[l].value_diff, worst_single[l]);
    fprintf(stderr, "writer nets: %.0f ms in all\n", now_ms() - t0);
}

/* ------------------------------------------------------------------ 5. KataGo's reference outputs */

/* kata-raw-nn's root policy optimism with KataGo's default config (rootPolicyOptimism 0.2), which
 * the reference files were recorded with */
#define REF_POLICY_OPTIMISM 0.2

enum { REF_SCALARS = 10 };
static const char *const ref_keys[REF_SCALARS + 2] = {
    "whiteWin", "whiteLoss", "noResult", "whiteLead", "whiteScoreSelfplay", "whiteScoreSelfplaySq",
    "varTimeLeft", "shorttermWinlossError", "shorttermScoreError", "policyPass", "policy", "whiteOwnership"};
/* shared/tools/rawnn_check.py's tolerances for an FP32 backend, in ref_keys order */
static const double ref_tolerance[REF_SCALARS + 2] = {2e-3, 2e-3, 2e-3, 0.05, 0.05, 1.0, 0.05, 2e-3, 0.05, 1e-3, 1e-3, 3e-3};

/* Evaluates one reference line; accumulates the worst |difference| / tolerance per key. */
static bool ref_position(const tg_model *m, json_t *j, double *worst, char *err, size_t errlen) {
    const int xs = (int)json_integer_value(json_object_get(j, "xsize"));
    const int ys = (int)json_integer_value(json_object_get(j, "ysize"));
    const int sym_asked = (int)json_integer_value(json_object_get(j, "symmetry"));
    json_t *setup = json_object_get(j, "setup"), *ref = json_object_get(j, "ref");
    const int ncmd = (int)json_array_size(setup);
    if (xs < 1 || ys < 1 || !ref || ncmd < 1) {
        snprintf(err, errlen, "malformed reference line");
        return false;
    }
    const char **cmds = talloc(ncmd * sizeof *cmds);
    for (int i = 0; i < ncmd; i++)
        cmds[i] = json_string_value(json_array_get(setup, i));
    tg_board board;
    tg_history hist;
    tg_color pla;
    if (!tg_position_from_gtp_setup(cmds, ncmd, &board, &hist, &pla, err, errlen))
        return false;

    /* the tensor is the board, as tengen's evaluator sizes it */
    const int nx = xs, ny = ys, hw = nx * ny, sym = tg_sym_effective(sym_asked, ny, nx);
    tg_nn_input_params params;
    tg_nn_input_params_default(&params);
    params.policy_optimism = REF_POLICY_OPTIMISM;
    batch_io io;
    io_init(&io, m, 1, nx, ny);
    float *plain = talloc((size_t)m->num_input_channels * hw * sizeof(float));
    tg_nn_fill_inputs_v7(&board, &hist, pla, &params, nx, ny, plain, io.global);
    tg_sym_apply_planes(plain, io.spatial, m->num_input_channels, ny, nx, sym);
    bool ok = evaluate(m, &io, 1, err, errlen);

    static tg_nn_result res; /* large */
    tg_nn_raw_output raw = {.nn_x_len = nx, .nn_y_len = ny, .symmetry = sym, .policy = io.policy,
                            .policy_pass = io.pass, .policy_channels = m->num_policy_channels, .value = io.value,
                            .score_value = io.score, .num_score_value = m->num_score_value_channels,
                            .ownership = io.own};
    ok = ok && tg_nn_postprocess(&raw, &m->postprocess, m->version, &board, &hist, pla, &params, NULL, &res, err, errlen);
    tg_history_free(&hist);
    if (!ok)
        return false;

    const double got[REF_SCALARS] = {res.white_win_prob, res.white_loss_prob, res.white_no_result_prob,
                                     res.white_lead, res.white_score_mean, res.white_score_mean_sq,
                                     res.var_time_left, res.shortterm_winloss_error, res.shortterm_score_error,
                                     res.policy_probs[hw]};
    for (int k = 0; k < REF_SCALARS + 2; k++) {
        json_t *r = json_object_get(ref, ref_keys[k]);
        if (!r)
            continue;
        double d = 0;
        if (k < REF_SCALARS) {
            d = fabs(json_number_value(r) - got[k]);
        } else {
            for (int p = 0; p < hw; p++) {
                double want = json_number_value(json_array_get(r, p));
                double have = k == REF_SCALARS ? res.policy_probs[p] : res.white_ownership[p];
                /* illegal points: NaN in the file (rewritten to -1 before parsing), -1 from the core */
                if ((want < -0.5) != (have < -0.5))
                    d = INFINITY;
                else if (want >= -0.5 && fabs(want - have) > d)
                    d = fabs(want - have);
            }
        }
        if (d / ref_tolerance[k] > worst[k])
            worst[k] = d / ref_tolerance[k];
    }
    return true;
}

static void test_reference(const char *shared, const char *model_file, const char *ref_file, int limit) {
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/models/%s", shared, model_file);
    tg_model *m = tg_model_load(path, err, sizeof err);
    CHECKF(m != NULL, "%s: %s", path, err);
    snprintf(path, sizeof path, "%s/reference/%s", shared, ref_file);
    FILE *f = fopen(path, "r");
    CHECKF(f != NULL, "cannot open %s", path);
    if (!m || !f) {
        tg_model_free(m);
        if (f)
            fclose(f);
        return;
    }
    double worst[REF_SCALARS + 2] = {0};
    char *line = NULL;
    size_t cap = 0;
    int done = 0;
    while (done < limit && getline(&line, &cap, f) > 0) {
        /* JSON has no NaN, which the files use for illegal moves: make it a -1 of the same length */
        for (char *q = strstr(line, "NaN"); q; q = strstr(q, "NaN"))
            memcpy(q, "-1 ", 3);
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        CHECKF(j != NULL, "%s line %d: %s", ref_file, done + 1, jerr.text);
        if (!j)
            break;
        const char *id = json_string_value(json_object_get(j, "id"));
        CHECKF(ref_position(m, j, worst, err, sizeof err), "%s %s: %s", ref_file, id ? id : "?", err);
        json_decref(j);
        done++;
    }
    free(line);
    fclose(f);
    double overall = 0;
    int which = 0;
    for (int k = 0; k < REF_SCALARS + 2; k++)
        if (worst[k] > overall) {
            overall = worst[k];
            which = k;
        }
    CHECKF(overall <= 1.0, "%s: %s off by %.3g x tolerance", ref_file, ref_keys[which], overall);
    fprintf(stderr, "%s: %d positions vs KataGo, worst %.3g x tolerance (%s)\n", ref_file, done, overall,
            ref_keys[which]);
    tg_model_free(m);
}

int main(void) {
    test_kernels();
    for (int v = TINY_V8; v <= TINY_V17_SPATIAL; v++)
        test_tiny(v);
    test_errors();
    free_all();
    test_writer_nets();

    const char *shared = check_shared_dir();
    if (!shared) {
        check_finish("test_blas_forward");
        fprintf(stderr, "test_blas_forward: TENGEN_SHARED_DIR is not set; skipping the shipped networks\n");
        return check_failures ? 1 : 77;
    }
    static const char *const nets[][2] = {
        {"g170-b6c96-s175395328-d26788732.bin.gz", "rawnn-g170-b6c96.jsonl"},
        {"b7c96h3tfrs-test5-cnorm.bin.gz", "rawnn-b7c96h3tfrs-test5-cnorm.jsonl"},
        {"b7c96h6kv3qk32v16tflrs-fson-bnh.bin.gz", "rawnn-b7c96h6kv3qk32v16tflrs-fson-bnh.jsonl"}};
    /* TENGEN_REF_POSITIONS=N checks N positions per file (default 8: tests/test_reference covers the files through GTP; they hold 234) */
    const char *limit_env = getenv("TENGEN_REF_POSITIONS");
    const int limit = limit_env && atoi(limit_env) > 0 ? atoi(limit_env) : 8;
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/models/%s", shared, nets[i][0]);
        test_shipped(path);
        free_all();
        test_reference(shared, nets[i][0], nets[i][1], limit);
        free_all();
    }
    return check_finish("test_blas_forward");
}
