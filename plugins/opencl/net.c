/* The forward pass of the opencl backend: walks a KataGo network (tengen/model.h) layer by layer and
 * enqueues one kernel per step, in the same order and with the same semantics as blas-cpu's
 * forward.c (the reference), which states the rules this follows: zero padding at the tensor edge,
 * norms zero off-board points, pooling divides by the on-board count, attention ignores off-board keys.
 *
 * The same walk runs twice: once "dry" at create() (no device work; validates layers, registers
 * weights, sizes the arena: see opencl_internal.h) and then for every evaluate(). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opencl_internal.h"

#define MAX_NESTING 16

typedef struct run {
    tg_backend_context *cx;
    tg_backend_handle *h; /* NULL in the dry run */
    bool dry;
    int batch, hw, nx, ny;
    size_t used, peak, cap;
    int mask, msum; /* arena offsets */
    bool failed;
    char *err;
    size_t errlen;
} run;

static const char *name_or(const char *name) { return name ? name : "(unnamed)"; }

static bool fail(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first error only: later ones are usually its consequences. */
static bool fail(run *r, const char *fmt, ...) {
    if (!r->failed && r->err && r->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    r->failed = true;
    return false;
}

/* ------------------------------------------------------------------ arena and weights */

static int take(run *r, size_t n) {
    const size_t off = r->used;
    r->used += n;
    if (r->used > r->peak)
        r->peak = r->used;
    if (!r->dry && r->used > r->cap)
        fail(r, "opencl: internal error: arena too small for model '%s'", name_or(r->cx->model->name));
    return (int)off;
}

static int cmp_weight(const void *a, const void *b) {
    const uintptr_t x = (uintptr_t)((const tg_ocl_weight *)a)->host, y = (uintptr_t)((const tg_ocl_weight *)b)->host;
    return x < y ? -1 : x > y;
}

/* The offset of a weight array in W; the dry run places it there first. */
static int wt(run *r, const float *host, size_t count, const char *layer) {
    tg_backend_context *cx = r->cx;
    if (!host) {
        fail(r, "opencl: model layer '%s' has no weights", name_or(layer));
        return 0;
    }
    if (r->dry) {
        for (size_t i = 0; i < cx->num_weights; i++)
            if (cx->weights[i].host == host)
                return (int)cx->weights[i].offset;
        if (cx->num_weights == cx->cap_weights) {
            const size_t cap = cx->cap_weights ? 2 * cx->cap_weights : 64;
            tg_ocl_weight *grown = realloc(cx->weights, cap * sizeof *grown);
            if (!grown) {
                fail(r, "opencl: out of memory listing the model's weights");
                return 0;
            }
            cx->weights = grown;
            cx->cap_weights = cap;
        }
        cx->weights[cx->num_weights++] = (tg_ocl_weight){host, count, cx->weight_floats};
        cx->weight_floats += count;
        return (int)(cx->weight_floats - count);
    }
    const tg_ocl_weight key = {.host = host};
    const tg_ocl_weight *w = bsearch(&key, cx->weights, cx->num_weights, sizeof key, cmp_weight);
    if (!w) {
        fail(r, "opencl: internal error: layer '%s' was not uploaded", name_or(layer));
        return 0;
    }
    return (int)w->offset;
}

/* ------------------------------------------------------------------ kernel launches */

typedef struct karg {
    bool is_float;
    int i;
    float f;
} karg;
#define KI(x) ((karg){false, (int)(x), 0.0f})
#define KF(x) ((karg){true, 0, (float)(x)})
#define LAUNCH(r, k, g0, g1, g2, ...) \
    launch(r, k, g0, g1, g2, (const karg[]){__VA_ARGS__}, sizeof((const karg[]){__VA_ARGS__}) / sizeof(karg))

static void launch_local(run *r, int k, const size_t global[3], const size_t *local, const karg *args,
                         size_t nargs) {
    if (r->dry || r->failed)
        return;
    cl_kernel kern = r->h->kernels[k];
    cl_int st = clSetKernelArg(kern, 0, sizeof(cl_mem), &r->cx->weights_mem);
    if (st == CL_SUCCESS)
        st = clSetKernelArg(kern, 1, sizeof(cl_mem), &r->h->arena);
    for (size_t i = 0; i < nargs && st == CL_SUCCESS; i++)
        st = args[i].is_float ? clSetKernelArg(kern, (cl_uint)(i + 2), sizeof(float), &args[i].f)
                              : clSetKernelArg(kern, (cl_uint)(i + 2), sizeof(int), &args[i].i);
    if (st != CL_SUCCESS) {
        fail(r, "opencl: setting the arguments of kernel %s failed (%s)", tg_ocl_kernel_names[k],
             tg_ocl_status_name(st));
        return;
    }
    st = clEnqueueNDRangeKernel(r->h->queue, kern, 3, NULL, global, local, 0, NULL, NULL);
    if (st != CL_SUCCESS)
        fail(r, "opencl: running kernel %s on %s failed (%s)%s", tg_ocl_kernel_names[k], r->cx->device_name,
             tg_ocl_status_name(st),
             st == CL_OUT_OF_RESOURCES || st == CL_MEM_OBJECT_ALLOCATION_FAILURE ? ": out of device memory" : "");
}

static void launch(run *r, int k, size_t g0, size_t g1, size_t g2, const karg *args, size_t nargs) {
    const size_t global[3] = {g0, g1, g2};
    launch_local(r, k, global, NULL, args, nargs);
}

/* What gemm does with its sums (the mode argument of kernels.c's gemm). */
enum epilogue { EPI_STORE = 0, EPI_ADD = 1, EPI_NORM_ACT = 2, EPI_ADD_MASKED = 3 };

/* out[n] (epi) a x b[n]: a is M x K at W offset a with strides (a_sm, a_sk), b[n] K x hw in A. */
/* The dry run lists each shape once, with its count, for tuning. */
static void note_shape(run *r, int M, int K) {
    tg_backend_context *cx = r->cx;
    for (size_t i = 0; i < cx->num_shapes; i++)
        if (cx->shapes[i].m == M && cx->shapes[i].k == K) {
            cx->shapes[i].count++;
            return;
        }
    if (cx->num_shapes == cx->cap_shapes) {
        const size_t cap = cx->cap_shapes ? 2 * cx->cap_shapes : 16;
        tg_ocl_shape *grown = realloc(cx->shapes, cap * sizeof *grown);
        if (!grown) {
            fail(r, "opencl: out of memory listing the model's layer shapes");
            return;
        }
        cx->shapes = grown;
        cx->cap_shapes = cap;
    }
    cx->shapes[cx->num_shapes++] = (tg_ocl_shape){M, K, 1};
}

static void gemm(run *r, int a, int a_sm, int a_sk, int b, int out, int M, int K, enum epilogue epi, int scale,
                 int bias, int act) {
    if (r->dry) {
        note_shape(r, M, K);
        return;
    }
    size_t global[3], local[3];
    tg_ocl_gemm_range(&r->cx->tiles, M, r->hw, r->batch, global, local);
    const karg args[] = {KI(a),  KI(a_sm), KI(a_sk),  KI(b),     KI(out),  KI(M),       KI(K),
                         KI(r->hw), KI(epi), KI(scale), KI(bias), KI(act), KI(r->mask)};
    launch_local(r, K_GEMM, global, r->cx->tiles.vw ? NULL : local, args, sizeof args / sizeof *args);
}

/* ------------------------------------------------------------------ layers */

static bool check_act(run *r, const tg_act_layer *a) {
    if (!r->dry)
        return true;
    if (a->kind == TG_ACT_IDENTITY || a->kind == TG_ACT_RELU || a->kind == TG_ACT_MISH || a->kind == TG_ACT_SILU ||
        a->kind == TG_ACT_MISH_SCALE8)
        return true;
    return fail(r, "opencl: model layer '%s' of kind activation %d is not supported", name_or(a->name),
                (int)a->kind);
}

static bool check_bn(run *r, const tg_bn_layer *bn, const tg_act_layer *act, int channels) {
    if (r->dry && bn->channels != channels)
        return fail(r, "opencl: model layer '%s' has %d channels where the network has %d", name_or(bn->name),
                    (int)bn->channels, channels);
    return check_act(r, act);
}

static void bn_act(run *r, const tg_bn_layer *bn, const tg_act_layer *act, int channels, int in, int out);

/* out (epi) conv(in); the input must have cin channels. With in_bn, the input is first normalized and
 * activated (in_bn, in_act), which a KxK convolution does while unrolling its input; with out_bn the
 * result is (epi must be EPI_NORM_ACT). */
static void conv_fused(run *r, const tg_conv_layer *c, int cin, int in, int out, enum epilogue epi,
                       const tg_bn_layer *in_bn, const tg_act_layer *in_act, const tg_bn_layer *out_bn,
                       const tg_act_layer *out_act) {
    if (r->dry) {
        if (c->kernel_y < 1 || c->kernel_x < 1 || c->kernel_y % 2 == 0 || c->kernel_x % 2 == 0 ||
            c->dilation_y < 1 || c->dilation_x < 1 || c->out_channels < 1) {
            fail(r, "opencl: model layer '%s' of kind convolution %dx%d dilation %dx%d is not supported",
                 name_or(c->name), (int)c->kernel_y, (int)c->kernel_x, (int)c->dilation_y, (int)c->dilation_x);
            return;
        }
        if (c->in_channels != cin) {
            fail(r, "opencl: model layer '%s' takes %d channels where the network has %d", name_or(c->name),
                 (int)c->in_channels, cin);
            return;
        }
    }
    if (in_bn && !check_bn(r, in_bn, in_act, cin))
        return;
    if (out_bn && !check_bn(r, out_bn, out_act, c->out_channels))
        return;
    const int taps = c->kernel_y * c->kernel_x, K = cin * taps;
    const int w = wt(r, c->weights, (size_t)c->out_channels * K, c->name);
    const size_t mark = r->used;
    int b = in;
    if (taps > 1) {
        b = take(r, (size_t)r->batch * K * r->hw);
        const int s = in_bn ? wt(r, in_bn->merged_scale, (size_t)cin, in_bn->name) : -1;
        const int bb = in_bn ? wt(r, in_bn->merged_bias, (size_t)cin, in_bn->name) : -1;
        LAUNCH(r, K_IM2COL, (size_t)r->hw, (size_t)K, (size_t)r->batch, KI(in), KI(b), KI(cin), KI(r->ny), KI(r->nx),
               KI(c->kernel_y), KI(c->kernel_x), KI(c->dilation_y), KI(c->dilation_x), KI(s), KI(bb),
               KI(in_act ? in_act->kind : 0), KI(r->mask));
    } else if (in_bn) {
        b = take(r, (size_t)r->batch * cin * r->hw);
        bn_act(r, in_bn, in_act, cin, in, b);
    }
    const int s = out_bn ? wt(r, out_bn->merged_scale, (size_t)c->out_channels, out_bn->name) : -1;
    const int bb = out_bn ? wt(r, out_bn->merged_bias, (size_t)c->out_channels, out_bn->name) : -1;
    gemm(r, w, K, 1, b, out, c->out_channels, K, epi, s, bb, out_act ? out_act->kind : 0);
    r->used = mark;
}

static void conv(run *r, const tg_conv_layer *c, int cin, int in, int out, bool acc) {
    conv_fused(r, c, cin, in, out, acc ? EPI_ADD : EPI_STORE, NULL, NULL, NULL, NULL);
}

static void bn_act(run *r, const tg_bn_layer *bn, const tg_act_layer *act, int channels, int in, int out) {
    if (!check_bn(r, bn, act, channels))
        return;
    const int s = wt(r, bn->merged_scale, (size_t)channels, bn->name);
    const int b = wt(r, bn->merged_bias, (size_t)channels, bn->name);
    LAUNCH(r, K_NORM_ACT, (size_t)r->hw, (size_t)channels, (size_t)r->batch, KI(s), KI(b), KI(act->kind),
           KI(channels), KI(r->hw), KI(r->mask), KI(in), KI(out));
}

static void gpool(run *r, int channels, int in, int out, bool value) {
    LAUNCH(r, K_GPOOL, (size_t)channels, (size_t)r->batch, 1, KI(channels), KI(r->hw), KI(in), KI(r->mask),
           KI(r->msum), KI(out), KI(value));
}

/* out [rows][out] = act(in [rows][in] x W + bias); bias may be NULL */
static void matmul_rows(run *r, const tg_matmul_layer *mm, int cin, int rows, int in, int out,
                        const tg_matbias_layer *bias, int act) {
    if (r->dry && mm->in_channels != cin) {
        fail(r, "opencl: model layer '%s' takes %d channels where the network has %d", name_or(mm->name),
             (int)mm->in_channels, cin);
        return;
    }
    if (r->dry && bias && bias->channels != mm->out_channels) {
        fail(r, "opencl: model layer '%s' has %d channels where %d are expected", name_or(bias->name),
             (int)bias->channels, (int)mm->out_channels);
        return;
    }
    const int w = wt(r, mm->weights, (size_t)mm->in_channels * mm->out_channels, mm->name);
    const int b = bias ? wt(r, bias->weights, (size_t)bias->channels, bias->name) : -1;
    LAUNCH(r, K_MATMUL_ROWS, (size_t)mm->out_channels, (size_t)rows, 1, KI(in), KI(w), KI(out), KI(mm->in_channels),
           KI(mm->out_channels), KI(b), KI(act));
}

static void add_channel_bias(run *r, int channels, int bias, int x) {
    LAUNCH(r, K_ADD_CHANNEL_BIAS, (size_t)r->hw, (size_t)channels, (size_t)r->batch, KI(channels), KI(r->hw),
           KI(bias), KI(x));
}

/* per-point matmul on NCHW: out (epi) W^T in, W stored [in][out] */
static void matmul_points(run *r, const tg_matmul_layer *mm, int cin, int in, int out, enum epilogue epi) {
    if (r->dry && mm->in_channels != cin) {
        fail(r, "opencl: model layer '%s' takes %d channels where the network has %d", name_or(mm->name),
             (int)mm->in_channels, cin);
        return;
    }
    const int w = wt(r, mm->weights, (size_t)mm->in_channels * mm->out_channels, mm->name);
    gemm(r, w, 1, mm->out_channels, in, out, mm->out_channels, mm->in_channels, epi, -1, -1, 0);
}

static void tf_norm(run *r, const tg_tf_norm_layer *n, int channels, int in, int out) {
    if (r->dry && (n->channels != channels || !(n->epsilon > 0.0f))) {
        fail(r, "opencl: model layer '%s' does not fit the trunk (%d channels, trunk %d)", name_or(n->name),
             (int)n->channels, channels);
        return;
    }
    const int g = wt(r, n->weight, (size_t)channels, n->name);
    LAUNCH(r, K_RMS_POINTS, (size_t)r->hw, (size_t)r->batch, 1, KI(channels), KI(r->hw), KF(n->epsilon), KI(g), KI(-1),
           KI(TG_ACT_IDENTITY), KI(r->mask), KI(in), KI(out));
}

/* ------------------------------------------------------------------ blocks */

static void stack_run(run *r, const tg_block *blocks, int n, int channels, int x, int t, int depth);

static void ordinary_run(run *r, const tg_residual_block *b, int channels, int x, int t) {
    const int mid_c = b->regular_conv.out_channels;
    const int mid_t = take(r, (size_t)r->batch * mid_c * r->hw);
    (void)t;
    conv_fused(r, &b->regular_conv, channels, x, mid_t, EPI_NORM_ACT, &b->pre_bn, &b->pre_act, &b->mid_bn,
               &b->mid_act);
    if (r->dry && b->final_conv.out_channels != channels)
        fail(r, "opencl: model layer '%s' makes %d channels where %d are expected", name_or(b->final_conv.name),
             (int)b->final_conv.out_channels, channels);
    conv(r, &b->final_conv, mid_c, mid_t, x, true);
}

static void gpool_run(run *r, const tg_gpool_block *b, int channels, int x, int t) {
    const int mid_c = b->regular_conv.out_channels, gp_c = b->gpool_conv.out_channels;
    const size_t batch = (size_t)r->batch, hw = (size_t)r->hw;
    const int mid = take(r, batch * mid_c * hw), mid_t = take(r, batch * mid_c * hw);
    const int gp = take(r, batch * gp_c * hw), pooled = take(r, batch * 3 * gp_c), bias = take(r, batch * mid_c);
    bn_act(r, &b->pre_bn, &b->pre_act, channels, x, t);
    conv(r, &b->regular_conv, channels, t, mid, false);
    conv(r, &b->gpool_conv, channels, t, gp, false);
    bn_act(r, &b->gpool_bn, &b->gpool_act, gp_c, gp, gp);
    gpool(r, gp_c, gp, pooled, false);
    if (r->dry && b->gpool_to_bias_mul.out_channels != mid_c)
        fail(r, "opencl: model layer '%s' makes %d channels where %d are expected",
             name_or(b->gpool_to_bias_mul.name), (int)b->gpool_to_bias_mul.out_channels, mid_c);
    matmul_rows(r, &b->gpool_to_bias_mul, 3 * gp_c, r->batch, pooled, bias, NULL, TG_ACT_IDENTITY);
    add_channel_bias(r, mid_c, bias, mid);
    bn_act(r, &b->mid_bn, &b->mid_act, mid_c, mid, mid_t);
    if (r->dry && b->final_conv.out_channels != channels)
        fail(r, "opencl: model layer '%s' makes %d channels where %d are expected", name_or(b->final_conv.name),
             (int)b->final_conv.out_channels, channels);
    conv(r, &b->final_conv, mid_c, mid_t, x, true);
}

static void nested_run(run *r, const tg_nested_block *b, int channels, int x, int t, int depth) {
    if (r->dry && depth >= MAX_NESTING) {
        fail(r, "opencl: model block '%s' nests deeper than %d levels", name_or(b->name), MAX_NESTING);
        return;
    }
    const int mid_c = b->pre_conv.out_channels;
    const int mid = take(r, (size_t)r->batch * mid_c * r->hw), mid_t = take(r, (size_t)r->batch * mid_c * r->hw);
    bn_act(r, &b->pre_bn, &b->pre_act, channels, x, t);
    conv(r, &b->pre_conv, channels, t, mid, false);
    stack_run(r, b->blocks, b->num_blocks, mid_c, mid, mid_t, depth + 1);
    bn_act(r, &b->post_bn, &b->post_act, mid_c, mid, mid_t);
    if (r->dry && b->post_conv.out_channels != channels)
        fail(r, "opencl: model layer '%s' makes %d channels where %d are expected", name_or(b->post_conv.name),
             (int)b->post_conv.out_channels, channels);
    conv(r, &b->post_conv, mid_c, mid_t, x, true);
}

/* Computes the block's cos/sin tables for the board tensor (dry run only) and registers them as weights. */
static tg_ocl_rope *rope_tables(run *r, const tg_attention_block *a) {
    tg_backend_context *cx = r->cx;
    for (size_t i = 0; i < cx->num_ropes; i++)
        if (cx->ropes[i].block == a)
            return &cx->ropes[i];
    if (!r->dry) {
        fail(r, "opencl: internal error: no RoPE tables for '%s'", name_or(a->name));
        return NULL;
    }
    const int pairs = a->q_head_dim / 2, rows = a->learnable_rope ? a->num_kv_heads * pairs : pairs;
    const size_t count = (size_t)rows * r->hw;
    tg_ocl_rope *grown = realloc(cx->ropes, (cx->num_ropes + 1) * sizeof *grown);
    float **owned = grown ? realloc(cx->owned, (cx->num_owned + 2) * sizeof *owned) : NULL;
    if (grown)
        cx->ropes = grown;
    if (owned)
        cx->owned = owned;
    float *cs = owned ? malloc(sizeof(float) * count) : NULL, *sn = cs ? malloc(sizeof(float) * count) : NULL;
    if (!sn) {
        free(cs);
        fail(r, "opencl: out of memory for the RoPE tables of '%s'", name_or(a->name));
        return NULL;
    }
    cx->owned[cx->num_owned++] = cs;
    cx->owned[cx->num_owned++] = sn;
    for (int row = 0; row < rows; row++)
        for (int y = 0; y < r->ny; y++)
            for (int x = 0; x < r->nx; x++) {
                float angle;
                if (a->learnable_rope) {
                    angle = (float)x * a->rope_freqs[(size_t)row * 2] + (float)y * a->rope_freqs[(size_t)row * 2 + 1];
                } else { /* the first half of the pairs encode the row, the second the column */
                    const int half = pairs / 2, k = row < half ? row : row - half;
                    angle = (float)(row < half ? y : x) / powf(a->rope_theta, (float)(2 * k) / (float)pairs);
                }
                const size_t i = (size_t)row * r->hw + (size_t)y * r->nx + x;
                cs[i] = cosf(angle);
                sn[i] = sinf(angle);
            }
    tg_ocl_rope *rp = &cx->ropes[cx->num_ropes++];
    *rp = (tg_ocl_rope){a, cs, sn};
    wt(r, cs, count, a->name);
    wt(r, sn, count, a->name);
    return rp;
}

static void attention_run(run *r, const tg_attention_block *a, int channels, int x, int t) {
    const size_t batch = (size_t)r->batch, hw = (size_t)r->hw;
    const int heads = a->num_heads, kvh = a->num_kv_heads, dq = a->q_head_dim, dv = a->v_head_dim;
    if (r->dry) {
        if (!(heads > 0 && kvh > 0 && heads % kvh == 0 && dq > 0 && dv > 0)) {
            fail(r, "opencl: model layer '%s' has inconsistent head counts (%d heads, %d kv heads, dims %d/%d)",
                 name_or(a->name), heads, kvh, dq, dv);
            return;
        }
        if (a->use_rope && dq % 2 != 0) {
            fail(r, "opencl: model layer '%s' of kind transformer_attention with RoPE and an odd head size is not "
                    "supported", name_or(a->name));
            return;
        }
        if (a->use_rope && a->learnable_rope &&
            !(a->rope_freqs && a->rope_num_kv_heads == kvh && a->rope_num_pairs == dq / 2)) {
            fail(r, "opencl: model layer '%s' has learnable RoPE frequencies of the wrong shape", name_or(a->name));
            return;
        }
        if (a->use_rope && !a->learnable_rope && !(a->rope_theta > 0.0f && isfinite(a->rope_theta))) {
            fail(r, "opencl: model layer '%s' has a RoPE theta that is not positive", name_or(a->name));
            return;
        }
        if (a->q_proj.out_channels != heads * dq || a->k_proj.out_channels != kvh * dq ||
            a->v_proj.out_channels != kvh * dv || a->out_proj.out_channels != channels) {
            fail(r, "opencl: model layer '%s' has projections that do not match its head counts", name_or(a->name));
            return;
        }
    }
    const int q = take(r, batch * heads * dq * hw), k = take(r, batch * kvh * dq * hw);
    const int v = take(r, batch * kvh * dv * hw), o = take(r, batch * heads * dv * hw);
    const int scores = take(r, batch * heads * hw * hw);
    tf_norm(r, &a->pre_norm, channels, x, t);
    matmul_points(r, &a->q_proj, channels, t, q, EPI_STORE);
    matmul_points(r, &a->k_proj, channels, t, k, EPI_STORE);
    matmul_points(r, &a->v_proj, channels, t, v, EPI_STORE);
    if (a->use_rope) {
        const tg_ocl_rope *rp = rope_tables(r, a);
        if (!rp)
            return;
        const size_t rows = (size_t)(a->learnable_rope ? kvh * (dq / 2) : dq / 2);
        const int cs = wt(r, rp->cos_table, rows * hw, a->name), sn = wt(r, rp->sin_table, rows * hw, a->name);
        LAUNCH(r, K_ROPE, hw, (size_t)heads * (dq / 2), batch, KI(q), KI(heads), KI(kvh), KI(dq), KI(a->learnable_rope),
               KI(cs), KI(sn), KI(hw));
        LAUNCH(r, K_ROPE, hw, (size_t)kvh * (dq / 2), batch, KI(k), KI(kvh), KI(kvh), KI(dq), KI(a->learnable_rope),
               KI(cs), KI(sn), KI(hw));
    }
    LAUNCH(r, K_ATTN_SCORES, hw, hw, batch * heads, KI(q), KI(k), KI(scores), KI(heads), KI(kvh), KI(dq), KI(hw));
    LAUNCH(r, K_ATTN_SOFTMAX, hw, batch * heads, 1, KI(scores), KI(r->mask), KI(heads), KI(hw),
           KF(1.0f / sqrtf((float)dq)));
    LAUNCH(r, K_ATTN_VALUES, hw, (size_t)dv, batch * heads, KI(v), KI(scores), KI(o), KI(heads), KI(kvh), KI(dv),
           KI(hw));
    matmul_points(r, &a->out_proj, heads * dv, o, x, EPI_ADD_MASKED);
}

static void ffn_run(run *r, const tg_ffn_block *f, int channels, int x, int t) {
    if (r->dry && !f->use_swiglu) {
        /* KataGo's files do not say which activation a plain FFN uses, and no KataGo backend runs one */
        fail(r, "opencl: model layer '%s' of kind transformer_ffn without SwiGLU is not supported", name_or(f->name));
        return;
    }
    const size_t count = (size_t)r->batch * f->ffn_channels * r->hw;
    const int a = take(r, count), g = take(r, count);
    tf_norm(r, &f->pre_norm, channels, x, t);
    matmul_points(r, &f->linear1, channels, t, a, EPI_STORE);
    matmul_points(r, &f->linear_gate, channels, t, g, EPI_STORE);
    LAUNCH(r, K_SWIGLU, count, 1, 1, KI(a), KI(g));
    if (r->dry && (f->linear1.out_channels != f->ffn_channels || f->linear_gate.out_channels != f->ffn_channels ||
                   f->linear2.out_channels != channels))
        fail(r, "opencl: model layer '%s' has layers that do not match its width", name_or(f->name));
    matmul_points(r, &f->linear2, f->ffn_channels, a, x, EPI_ADD_MASKED);
}

static void stack_run(run *r, const tg_block *blocks, int n, int channels, int x, int t, int depth) {
    if (r->dry && n > 0 && !blocks) {
        fail(r, "opencl: a block stack of the model has no blocks");
        return;
    }
    for (int i = 0; i < n && !r->failed; i++) {
        const tg_block *b = &blocks[i];
        const size_t mark = r->used;
        if (!b->u.any) {
            fail(r, "opencl: model block %d has no data", i);
            return;
        }
        switch (b->kind) {
        case TG_BLOCK_ORDINARY: ordinary_run(r, b->u.ordinary, channels, x, t); break;
        case TG_BLOCK_GPOOL: gpool_run(r, b->u.gpool, channels, x, t); break;
        case TG_BLOCK_NESTED_BOTTLENECK: nested_run(r, b->u.nested, channels, x, t, depth); break;
        case TG_BLOCK_TRANSFORMER_ATTENTION: attention_run(r, b->u.attention, channels, x, t); break;
        case TG_BLOCK_TRANSFORMER_FFN: ffn_run(r, b->u.ffn, channels, x, t); break;
        default:
            fail(r, "opencl: model block %d of kind %d (%s) is not supported", i, (int)b->kind,
                 tg_block_kind_name(b->kind));
            return;
        }
        r->used = mark;
    }
}

/* ------------------------------------------------------------------ the whole pass */

/* Arena offsets of the tensors that cross the host boundary. */
typedef struct io {
    int spatial, global, meta;
    int policy, pass, value, score, own;
} io;

static void net_run(run *r, io *t) {
    const tg_model *m = r->cx->model;
    const tg_trunk *tr = &m->trunk;
    const size_t batch = (size_t)r->batch, hw = (size_t)r->hw;
    const int C = tr->channels;
    r->mask = take(r, batch * hw);
    r->msum = take(r, batch);
    t->spatial = take(r, batch * m->num_input_channels * hw);
    t->global = take(r, batch * m->num_input_global_channels);
    t->meta = tr->has_meta_encoder ? take(r, batch * m->num_input_meta_channels) : -1;
    t->policy = take(r, batch * m->num_policy_channels * hw);
    t->pass = take(r, batch * m->num_policy_channels);
    t->value = take(r, batch * m->num_value_channels);
    t->score = take(r, batch * m->num_score_value_channels);
    t->own = take(r, batch * m->num_ownership_channels * hw);
    const int x = take(r, batch * C * hw), tt = take(r, batch * C * hw);
    if (r->dry && C <= 0)
        fail(r, "opencl: model '%s' has an empty trunk", name_or(m->name));
    size_t mark = r->used;

    /* stem */
    const int bias = take(r, batch * C);
    conv(r, &tr->initial_conv, m->num_input_channels, t->spatial, x, false);
    matmul_rows(r, &tr->initial_matmul, m->num_input_global_channels, r->batch, t->global, bias, NULL,
                TG_ACT_IDENTITY);
    add_channel_bias(r, C, bias, x);
    if (tr->has_meta_encoder) {
        const tg_meta_encoder *e = &tr->meta_encoder;
        const int h1 = take(r, batch * e->mul1.out_channels), h2 = take(r, batch * e->mul2.out_channels);
        check_act(r, &e->act1);
        check_act(r, &e->act2);
        matmul_rows(r, &e->mul1, m->num_input_meta_channels, r->batch, t->meta, h1, &e->bias1, e->act1.kind);
        matmul_rows(r, &e->mul2, e->mul1.out_channels, r->batch, h1, h2, &e->bias2, e->act2.kind);
        matmul_rows(r, &e->mul3, e->mul2.out_channels, r->batch, h2, bias, NULL, TG_ACT_IDENTITY);
        add_channel_bias(r, C, bias, x);
    }
    r->used = mark;

    stack_run(r, tr->blocks, tr->num_blocks, C, x, tt, 0);

    /* trunk tip into tt */
    check_act(r, &tr->tip_act);
    if (tr->norm_kind == TG_TRUNK_NORM_BATCHNORM) {
        bn_act(r, &tr->tip_bn, &tr->tip_act, C, x, tt);
    } else if (tr->norm_kind == TG_TRUNK_NORM_RMSNORM) {
        const tg_rmsnorm_layer *rn = &tr->tip_rmsnorm;
        if (r->dry && (rn->group_size != 0 || rn->channels != C || !(rn->epsilon > 0.0f)))
            fail(r, "opencl: model layer '%s' (rmsnorm, %d channels, group size %d) does not fit the trunk of %d",
                 name_or(rn->name), (int)rn->channels, (int)rn->group_size, C);
        const int g = wt(r, rn->gamma, (size_t)C, rn->name), b = wt(r, rn->beta, (size_t)C, rn->name);
        if (rn->spatial)
            LAUNCH(r, K_RMS_BOARD, batch, 1, 1, KI(C), KI(hw), KF(rn->epsilon), KI(g), KI(b), KI(tr->tip_act.kind),
                   KI(r->mask), KI(x), KI(tt));
        else
            LAUNCH(r, K_RMS_POINTS, hw, batch, 1, KI(C), KI(hw), KF(rn->epsilon), KI(g), KI(b), KI(tr->tip_act.kind),
                   KI(r->mask), KI(x), KI(tt));
    } else {
        fail(r, "opencl: model '%s' has trunk norm %d, which is not supported", name_or(m->name), (int)tr->norm_kind);
    }
    r->used = mark;

    /* policy head */
    const tg_policy_head *p = &m->policy;
    const int p1_c = p->p1_conv.out_channels, g1_c = p->g1_conv.out_channels;
    const int p1 = take(r, batch * p1_c * hw), g1 = take(r, batch * g1_c * hw);
    const int pooled = take(r, batch * 3 * g1_c), pbias = take(r, batch * p1_c);
    conv(r, &p->p1_conv, C, tt, p1, false);
    conv_fused(r, &p->g1_conv, C, tt, g1, EPI_NORM_ACT, NULL, NULL, &p->g1_bn, &p->g1_act);
    gpool(r, g1_c, g1, pooled, false);
    matmul_rows(r, &p->gpool_to_bias_mul, 3 * g1_c, r->batch, pooled, pbias, NULL, TG_ACT_IDENTITY);
    add_channel_bias(r, p1_c, pbias, p1);
    bn_act(r, &p->p1_bn, &p->p1_act, p1_c, p1, p1);
    if (r->dry && (p->p2_conv.out_channels != m->num_policy_channels ||
                   (p->has_pass_mlp ? p->gpool_to_pass_mul2.out_channels : p->gpool_to_pass_mul.out_channels) !=
                       m->num_policy_channels))
        fail(r, "opencl: model '%s' has policy layers that do not make its %d policy channels", name_or(m->name),
             (int)m->num_policy_channels);
    conv(r, &p->p2_conv, p1_c, p1, t->policy, false);
    if (p->has_pass_mlp) {
        const int hidden = take(r, batch * p->gpool_to_pass_mul.out_channels);
        check_act(r, &p->pass_act);
        matmul_rows(r, &p->gpool_to_pass_mul, 3 * g1_c, r->batch, pooled, hidden, &p->gpool_to_pass_bias,
                    p->pass_act.kind);
        matmul_rows(r, &p->gpool_to_pass_mul2, p->gpool_to_pass_mul.out_channels, r->batch, hidden, t->pass, NULL,
                    TG_ACT_IDENTITY);
    } else {
        matmul_rows(r, &p->gpool_to_pass_mul, 3 * g1_c, r->batch, pooled, t->pass, NULL, TG_ACT_IDENTITY);
    }
    r->used = mark;

    /* value head */
    const tg_value_head *v = &m->value;
    const int v1_c = v->v1_conv.out_channels;
    const int v1 = take(r, batch * v1_c * hw), vpooled = take(r, batch * 3 * v1_c);
    const int hidden = take(r, batch * v->v2_mul.out_channels);
    conv_fused(r, &v->v1_conv, C, tt, v1, EPI_NORM_ACT, NULL, NULL, &v->v1_bn, &v->v1_act);
    gpool(r, v1_c, v1, vpooled, true);
    check_act(r, &v->v2_act);
    if (r->dry && (v->v3_mul.out_channels != m->num_value_channels ||
                   v->sv3_mul.out_channels != m->num_score_value_channels ||
                   v->ownership_conv.out_channels != m->num_ownership_channels))
        fail(r, "opencl: model '%s' has value layers that do not make its declared outputs", name_or(m->name));
    matmul_rows(r, &v->v2_mul, 3 * v1_c, r->batch, vpooled, hidden, &v->v2_bias, v->v2_act.kind);
    matmul_rows(r, &v->v3_mul, v->v2_mul.out_channels, r->batch, hidden, t->value, &v->v3_bias, TG_ACT_IDENTITY);
    matmul_rows(r, &v->sv3_mul, v->v2_mul.out_channels, r->batch, hidden, t->score, &v->sv3_bias, TG_ACT_IDENTITY);
    conv(r, &v->ownership_conv, v1_c, v1, t->own, false);
    r->used = mark;
}

bool tg_ocl_plan(tg_backend_context *cx, char *err, size_t errlen) {
    const tg_model *m = cx->model;
    if (m->num_input_channels < 1 || m->num_input_global_channels < 1 || m->num_policy_channels < 1 ||
        m->num_value_channels < 1 || m->num_score_value_channels < 1 || m->num_ownership_channels < 1 ||
        (m->trunk.has_meta_encoder && m->num_input_meta_channels < 1)) {
        tg_set_err(err, errlen, "opencl: model '%s' declares an empty input or output", name_or(m->name));
        return false;
    }
    run r = {.cx = cx, .dry = true, .batch = cx->max_batch, .hw = cx->hw, .nx = cx->nn_x, .ny = cx->nn_y,
             .err = err, .errlen = errlen};
    io t;
    net_run(&r, &t);
    if (r.failed)
        return false;
    cx->arena_floats = r.peak;
    qsort(cx->weights, cx->num_weights, sizeof *cx->weights, cmp_weight);
    /* offsets travel as OpenCL ints */
    if (cx->arena_floats > INT32_MAX || cx->weight_floats > INT32_MAX) {
        tg_set_err(err, errlen, "opencl: model '%s' needs more than 2^31 floats of %s at batch size %d",
                       name_or(m->name), cx->arena_floats > INT32_MAX ? "activations" : "weights", cx->max_batch);
        return false;
    }
    return true;
}

size_t tg_ocl_io_max_floats(const tg_backend_context *cx) {
    const tg_model *m = cx->model;
    const size_t hw = (size_t)cx->hw;
    const size_t per[] = {hw + 1,
                          (size_t)m->num_input_channels * hw,
                          (size_t)m->num_input_global_channels,
                          (size_t)(m->trunk.has_meta_encoder ? m->num_input_meta_channels : 0),
                          (size_t)m->num_policy_channels * hw,
                          (size_t)m->num_value_channels,
                          (size_t)m->num_score_value_channels,
                          (size_t)m->num_ownership_channels * hw};
    size_t most = 1;
    for (size_t i = 0; i < sizeof per / sizeof *per; i++)
        if (per[i] > most)
            most = per[i];
    return most * (size_t)cx->max_batch;
}

/* Blocking, so the caller's buffer (or the staging) is free again on return. */
static bool write_region(run *r, int offset, const float *src, size_t count) {
    if (r->failed || count == 0)
        return !r->failed;
    const void *data = src;
    if (r->cx->half_storage) {
        tg_ocl_floats_to_halves(src, r->h->staging, count);
        data = r->h->staging;
    }
    const size_t es = r->cx->elem_size;
    cl_int st = clEnqueueWriteBuffer(r->h->queue, r->h->arena, CL_TRUE, es * (size_t)offset, es * count, data, 0,
                                     NULL, NULL);
    if (st != CL_SUCCESS)
        return fail(r, "opencl: uploading inputs to %s failed (%s)", r->cx->device_name, tg_ocl_status_name(st));
    return true;
}

static bool read_region(run *r, int offset, float *dst, size_t count) {
    if (r->failed)
        return false;
    const size_t es = r->cx->elem_size;
    void *data = r->cx->half_storage ? r->h->staging : (void *)dst;
    cl_int st = clEnqueueReadBuffer(r->h->queue, r->h->arena, CL_TRUE, es * (size_t)offset, es * count, data, 0,
                                    NULL, NULL);
    if (st == CL_SUCCESS && r->cx->half_storage)
        tg_ocl_halves_to_floats(r->h->staging, dst, count);
    if (st != CL_SUCCESS)
        return fail(r, "opencl: reading results from %s failed (%s)%s", r->cx->device_name, tg_ocl_status_name(st),
                    st == CL_OUT_OF_RESOURCES || st == CL_MEM_OBJECT_ALLOCATION_FAILURE ? ": out of device memory"
                                                                                         : "");
    return true;
}

bool tg_ocl_forward(tg_backend_handle *h, const tg_nn_inputs *in, tg_nn_outputs *out, char *err, size_t errlen) {
    tg_backend_context *cx = h->context;
    const tg_model *m = cx->model;
    if (!in || !out || in->struct_size < offsetof(tg_nn_inputs, meta) + sizeof(in->meta) ||
        out->struct_size < offsetof(tg_nn_outputs, ownership) + sizeof(out->ownership)) {
        tg_set_err(err, errlen, "opencl: evaluate() got missing or too-old input/output structs");
        return false;
    }
    const int batch = in->batch_size;
    if (batch < 1 || batch > cx->max_batch) {
        tg_set_err(err, errlen, "opencl: batch size %d is outside 1..%d", batch, cx->max_batch);
        return false;
    }
    if (!in->spatial || !in->global || !out->policy || !out->policy_pass || !out->value || !out->score_value ||
        !out->ownership) {
        tg_set_err(err, errlen, "opencl: evaluate() got a NULL input or output buffer");
        return false;
    }
    if (m->trunk.has_meta_encoder && !in->meta) {
        tg_set_err(err, errlen,
                       "opencl: model '%s' needs SGF metadata inputs (set humanSLProfile) but the batch has none",
                       name_or(m->name));
        return false;
    }
    const size_t hw = (size_t)cx->hw;
    float *mask = h->host_mask, *msum = h->host_mask + (size_t)batch * hw;
    for (int n = 0; n < batch; n++) {
        const float *ch0 = in->spatial + (size_t)n * m->num_input_channels * hw;
        float sum = 0.0f;
        for (size_t p = 0; p < hw; p++) {
            mask[(size_t)n * hw + p] = ch0[p];
            sum += ch0[p];
        }
        if (!(sum >= 1.0f)) {
            tg_set_err(err, errlen, "opencl: batch entry %d has no on-board point (input channel 0 is all zero)", n);
            return false;
        }
        msum[n] = sum;
    }

    run r = {.cx = cx, .h = h, .batch = batch, .hw = cx->hw, .nx = cx->nn_x, .ny = cx->nn_y,
             .cap = cx->arena_floats, .err = err, .errlen = errlen};
    /* the first regions net_run takes are the mask, its sums and the inputs: place them the same way */
    io t;
    const size_t b = (size_t)batch;
    const int mask_off = 0, msum_off = (int)(b * hw);
    const int spatial_off = msum_off + batch, global_off = spatial_off + (int)(b * m->num_input_channels * hw);
    const int meta_off = global_off + (int)(b * m->num_input_global_channels);
    write_region(&r, mask_off, mask, b * hw + b);
    write_region(&r, spatial_off, in->spatial, b * m->num_input_channels * hw);
    write_region(&r, global_off, in->global, b * m->num_input_global_channels);
    if (m->trunk.has_meta_encoder)
        write_region(&r, meta_off, in->meta, b * m->num_input_meta_channels);
    net_run(&r, &t);
    if (!r.failed && (t.spatial != spatial_off || t.global != global_off || r.msum != msum_off ||
                      (m->trunk.has_meta_encoder && t.meta != meta_off)))
        fail(&r, "opencl: internal error: input layout mismatch");
    read_region(&r, t.policy, out->policy, b * m->num_policy_channels * hw);
    read_region(&r, t.pass, out->policy_pass, b * m->num_policy_channels);
    read_region(&r, t.value, out->value, b * m->num_value_channels);
    read_region(&r, t.score, out->score_value, b * m->num_score_value_channels);
    read_region(&r, t.own, out->ownership, b * m->num_ownership_channels * hw);
    if (r.failed)
        clFinish(h->queue); /* nothing may still read the caller's buffers after we return */
    return !r.failed;
}
