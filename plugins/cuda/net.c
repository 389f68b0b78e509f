/* The CUDA plugin's device side in C: uploading the model (layout conversion on the host, layout.c)
 * and running the forward pass as a sequence of cuBLAS GEMMs and kernels.h launches on one stream.
 *
 * Convolutions are GEMMs over NHWC activations: a 1x1 conv multiplies the activations directly, a
 * wider one first expands them with im2col (cuDNN or an implicit GEMM would save that memory and
 * time: later work). All GEMMs accumulate in float (CUBLAS_COMPUTE_32F) whatever the storage type,
 * and the value, score and pass logits are written by the GEMM straight into float buffers.
 *
 * Buffers come from the handle's arena in the order plan.c counts them; each stage gives its buffers
 * back when done (arena marks), so the peak is what plan.c computed. Nothing here has run on a GPU. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_internal.h"
#include "layout.h"

/* ------------------------------------------------------------------ upload */

static void *device_copy(tg_backend_context *cx, const void *host, size_t bytes, const char *what, char *err,
                         size_t errlen) {
    if (cx->num_owned == cx->cap_owned) {
        size_t cap = cx->cap_owned ? 2 * cx->cap_owned : 64;
        void **grown = realloc(cx->owned, cap * sizeof *grown);
        if (!grown) {
            tg_set_err(err, errlen, TG_CUDA_NAME ": out of host memory uploading the weights");
            return NULL;
        }
        cx->owned = grown;
        cx->cap_owned = cap;
    }
    void *dev = NULL;
    cudaError_t st = cudaMalloc(&dev, bytes ? bytes : 1);
    if (st == cudaSuccess)
        st = cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice);
    if (st != cudaSuccess) {
        if (dev)
            cudaFree(dev);
        tg_set_err(err, errlen, TG_CUDA_NAME ": uploading %s to device %d (%s) failed: %s", what, cx->device,
                        cx->device_name, cudaGetErrorString(st));
        return NULL;
    }
    cx->owned[cx->num_owned++] = dev;
    return dev;
}

/* count floats as the compute type on the device */
static void *upload_as_dtype(tg_backend_context *cx, const float *host, size_t count, const char *what, char *err,
                             size_t errlen) {
    if (cx->dtype == TG_CUDA_F32)
        return device_copy(cx, host, count * sizeof(float), what, err, errlen);
    uint16_t *halves = malloc((count ? count : 1) * sizeof *halves);
    if (!halves) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": out of host memory converting %s to FP16", what);
        return NULL;
    }
    tg_cuda_floats_to_halves(host, halves, count);
    void *dev = device_copy(cx, halves, count * sizeof *halves, what, err, errlen);
    free(halves);
    return dev;
}

static bool up_conv(tg_backend_context *cx, const tg_conv_layer *c, const float *fold_scale, tg_cuda_conv *out,
                    char *err, size_t errlen) {
    const size_t n = (size_t)c->out_channels * (size_t)c->in_channels * (size_t)c->kernel_y * (size_t)c->kernel_x;
    float *ohwi = malloc((n ? n : 1) * sizeof *ohwi);
    if (!ohwi) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": out of host memory converting conv %s", c->name ? c->name : "");
        return false;
    }
    tg_cuda_conv_to_ohwi(c, fold_scale, ohwi);
    out->src = c;
    out->w = upload_as_dtype(cx, ohwi, n, c->name ? c->name : "a conv layer", err, errlen);
    free(ohwi);
    return out->w != NULL;
}

static bool up_mat(tg_backend_context *cx, const tg_matmul_layer *m, tg_cuda_mat *out, char *err, size_t errlen) {
    out->src = m;
    out->w = upload_as_dtype(cx, m->weights, (size_t)m->in_channels * (size_t)m->out_channels,
                             m->name ? m->name : "a matmul layer", err, errlen);
    return out->w != NULL;
}

static bool up_floats(tg_backend_context *cx, const float *host, int count, const char *what, const float **out,
                      char *err, size_t errlen) {
    *out = device_copy(cx, host, (size_t)count * sizeof(float), what ? what : "a bias", err, errlen);
    return *out != NULL;
}

/* folded: the scale went into the preceding conv's weights, only the bias is needed */
static bool up_norm(tg_backend_context *cx, const tg_bn_layer *bn, bool folded, tg_cuda_norm *out, char *err,
                    size_t errlen) {
    out->scale = NULL;
    return (folded || up_floats(cx, bn->merged_scale, bn->channels, bn->name, &out->scale, err, errlen)) &&
           up_floats(cx, bn->merged_bias, bn->channels, bn->name, &out->bias, err, errlen);
}

/* A conv whose only consumer is bn: the bn's scale is folded into the conv's weights when it can be. */
static bool up_conv_norm(tg_backend_context *cx, const tg_conv_layer *c, const tg_bn_layer *bn, tg_cuda_conv *conv,
                         tg_cuda_norm *norm, char *err, size_t errlen) {
    const bool fold = tg_cuda_bn_foldable(bn);
    return up_conv(cx, c, fold ? bn->merged_scale : NULL, conv, err, errlen) &&
           up_norm(cx, bn, fold, norm, err, errlen);
}

static bool up_stack(tg_backend_context *cx, const tg_block *src, int n, tg_cuda_block **out, char *err,
                     size_t errlen);

static bool up_block(tg_backend_context *cx, const tg_block *b, tg_cuda_block *d, char *err, size_t errlen) {
    d->kind = b->kind;
    switch (b->kind) {
    case TG_BLOCK_ORDINARY: {
        const tg_residual_block *r = b->u.ordinary;
        d->pre_act = &r->pre_act;
        d->mid_act = &r->mid_act;
        return up_norm(cx, &r->pre_bn, false, &d->pre, err, errlen) &&
               up_conv_norm(cx, &r->regular_conv, &r->mid_bn, &d->conv1, &d->mid, err, errlen) &&
               up_conv(cx, &r->final_conv, NULL, &d->conv2, err, errlen);
    }
    case TG_BLOCK_GPOOL: {
        const tg_gpool_block *g = b->u.gpool;
        d->pre_act = &g->pre_act;
        d->mid_act = &g->mid_act;
        d->gpool_act = &g->gpool_act;
        /* regular_conv is not folded: the pooled bias is added to its output before mid_bn */
        return up_norm(cx, &g->pre_bn, false, &d->pre, err, errlen) &&
               up_conv(cx, &g->regular_conv, NULL, &d->conv1, err, errlen) &&
               up_conv_norm(cx, &g->gpool_conv, &g->gpool_bn, &d->gconv, &d->gnorm, err, errlen) &&
               up_mat(cx, &g->gpool_to_bias_mul, &d->gmul, err, errlen) &&
               up_norm(cx, &g->mid_bn, false, &d->mid, err, errlen) &&
               up_conv(cx, &g->final_conv, NULL, &d->conv2, err, errlen);
    }
    case TG_BLOCK_NESTED_BOTTLENECK: {
        const tg_nested_block *nb = b->u.nested;
        d->pre_act = &nb->pre_act;
        d->mid_act = &nb->post_act;
        d->num_inner = nb->num_blocks;
        return up_norm(cx, &nb->pre_bn, false, &d->pre, err, errlen) &&
               up_conv(cx, &nb->pre_conv, NULL, &d->conv1, err, errlen) &&
               up_stack(cx, nb->blocks, nb->num_blocks, &d->inner, err, errlen) &&
               up_norm(cx, &nb->post_bn, false, &d->mid, err, errlen) &&
               up_conv(cx, &nb->post_conv, NULL, &d->conv2, err, errlen);
    }
    default: /* plan.c refused everything else already */
        tg_set_err(err, errlen, TG_CUDA_NAME ": internal error: block kind %d reached the upload", b->kind);
        return false;
    }
}

static bool up_stack(tg_backend_context *cx, const tg_block *src, int n, tg_cuda_block **out, char *err,
                     size_t errlen) {
    if (cx->num_host_owned == cx->cap_host_owned) {
        size_t cap = cx->cap_host_owned ? 2 * cx->cap_host_owned : 16;
        void **grown = realloc(cx->host_owned, cap * sizeof *grown);
        if (!grown) {
            tg_set_err(err, errlen, TG_CUDA_NAME ": out of host memory");
            return false;
        }
        cx->host_owned = grown;
        cx->cap_host_owned = cap;
    }
    *out = calloc((size_t)(n > 0 ? n : 1), sizeof **out);
    if (!*out) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": out of host memory");
        return false;
    }
    cx->host_owned[cx->num_host_owned++] = *out;
    for (int i = 0; i < n; i++)
        if (!up_block(cx, &src[i], &(*out)[i], err, errlen))
            return false;
    return true;
}

bool tg_cuda_upload(tg_backend_context *cx, char *err, size_t errlen) {
    const tg_model *m = cx->model;
    const tg_trunk *tr = &m->trunk;
    tg_cuda_net *d = &cx->net;
    if (!(up_conv(cx, &tr->initial_conv, NULL, &d->init_conv, err, errlen) &&
          up_mat(cx, &tr->initial_matmul, &d->init_mat, err, errlen)))
        return false;
    if (tr->has_meta_encoder) {
        const tg_meta_encoder *e = &tr->meta_encoder;
        if (!(up_mat(cx, &e->mul1, &d->meta1, err, errlen) &&
              up_floats(cx, e->bias1.weights, e->bias1.channels, e->bias1.name, &d->meta_b1, err, errlen) &&
              up_mat(cx, &e->mul2, &d->meta2, err, errlen) &&
              up_floats(cx, e->bias2.weights, e->bias2.channels, e->bias2.name, &d->meta_b2, err, errlen) &&
              up_mat(cx, &e->mul3, &d->meta3, err, errlen)))
            return false;
    }
    if (!(up_stack(cx, tr->blocks, tr->num_blocks, &d->blocks, err, errlen) &&
          up_norm(cx, &tr->tip_bn, false, &d->tip, err, errlen)))
        return false;
    const tg_policy_head *p = &m->policy;
    if (!(up_conv(cx, &p->p1_conv, NULL, &d->p1, err, errlen) &&
          up_conv_norm(cx, &p->g1_conv, &p->g1_bn, &d->g1, &d->g1_norm, err, errlen) &&
          up_mat(cx, &p->gpool_to_bias_mul, &d->p_bias, err, errlen) &&
          up_norm(cx, &p->p1_bn, false, &d->p1_norm, err, errlen) && up_conv(cx, &p->p2_conv, NULL, &d->p2, err, errlen) &&
          up_mat(cx, &p->gpool_to_pass_mul, &d->pass1, err, errlen)))
        return false;
    if (p->has_pass_mlp &&
        !(up_floats(cx, p->gpool_to_pass_bias.weights, p->gpool_to_pass_bias.channels, p->gpool_to_pass_bias.name,
                    &d->pass_b, err, errlen) &&
          up_mat(cx, &p->gpool_to_pass_mul2, &d->pass2, err, errlen)))
        return false;
    const tg_value_head *v = &m->value;
    return up_conv_norm(cx, &v->v1_conv, &v->v1_bn, &d->v1, &d->v1_norm, err, errlen) &&
           up_mat(cx, &v->v2_mul, &d->v2, err, errlen) &&
           up_floats(cx, v->v2_bias.weights, v->v2_bias.channels, v->v2_bias.name, &d->v2_b, err, errlen) &&
           up_mat(cx, &v->v3_mul, &d->v3, err, errlen) &&
           up_floats(cx, v->v3_bias.weights, v->v3_bias.channels, v->v3_bias.name, &d->v3_b, err, errlen) &&
           up_mat(cx, &v->sv3_mul, &d->sv3, err, errlen) &&
           up_floats(cx, v->sv3_bias.weights, v->sv3_bias.channels, v->sv3_bias.name, &d->sv3_b, err, errlen) &&
           up_conv(cx, &v->ownership_conv, NULL, &d->own, err, errlen);
}

void tg_cuda_free_weights(tg_backend_context *cx) {
    for (size_t i = 0; i < cx->num_owned; i++)
        cudaFree(cx->owned[i]);
    free(cx->owned);
    cx->owned = NULL;
    cx->num_owned = cx->cap_owned = 0;
    for (size_t i = 0; i < cx->num_host_owned; i++)
        free(cx->host_owned[i]);
    free(cx->host_owned);
    cx->host_owned = NULL;
    cx->num_host_owned = cx->cap_host_owned = 0;
}

/* ------------------------------------------------------------------ the pass */

/* One forward pass in flight: the first failure is kept in err and every later step is skipped. */
typedef struct pass {
    tg_backend_handle *h;
    const tg_backend_context *cx;
    tg_cuda_dtype dt;
    cudaDataType_t ctype; /* cuBLAS's name for dt */
    int batch, hw, nn_x, nn_y;
    const float *mask, *mask_sum; /* device */
    size_t used;                  /* arena bytes taken */
    bool ok;
    char *err;
    size_t errlen;
} pass;

static void check_cuda(pass *p, cudaError_t st, const char *what) {
    if (p->ok && st != cudaSuccess) {
        p->ok = false;
        tg_set_err(p->err, p->errlen, TG_CUDA_NAME ": %s failed on device %d (%s): %s", what, p->cx->device,
                        p->cx->device_name, cudaGetErrorString(st));
    }
}

static void *take(pass *p, size_t elems) {
    const size_t bytes = (elems * p->cx->elem_size + TG_CUDA_ALIGN - 1) / TG_CUDA_ALIGN * TG_CUDA_ALIGN;
    if (!p->ok)
        return NULL;
    if (p->used + bytes > p->h->arena_bytes) {
        p->ok = false;
        tg_set_err(p->err, p->errlen, TG_CUDA_NAME ": internal error: activation arena too small (plan.c and "
                                           "net.c disagree) for model '%s'", p->cx->model->name ? p->cx->model->name : "");
        return NULL;
    }
    void *ptr = (char *)p->h->arena + p->used;
    p->used += bytes;
    return ptr;
}

static void gemm(pass *p, cublasOperation_t op_a, int m, int n, int k, const void *a, int lda, const void *b, int ldb,
                 void *c, cudaDataType_t c_type, int ldc, float beta) {
    if (!p->ok)
        return;
    const float alpha = 1.0f;
    cublasStatus_t st = cublasGemmEx(p->h->blas, op_a, CUBLAS_OP_N, m, n, k, &alpha, a, p->ctype, lda, b, p->ctype, ldb,
                                     &beta, c, c_type, ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (st != CUBLAS_STATUS_SUCCESS) {
        p->ok = false;
        tg_set_err(p->err, p->errlen, TG_CUDA_NAME ": cublasGemmEx (%dx%dx%d) failed on device %d (%s): %s", m,
                        n, k, p->cx->device, p->cx->device_name, cublasGetStatusString(st));
    }
}

/* out[P][O] (+)= rows(in)[P][K] * W^T, W the OHWI [O][K] weights; rows(in) is in itself for 1x1. */
static void conv(pass *p, const tg_cuda_conv *c, const void *in, void *out, bool accumulate) {
    const tg_conv_layer *s = c->src;
    const int k = s->kernel_y * s->kernel_x * s->in_channels, points = p->batch * p->hw;
    const void *rows = in;
    if (s->kernel_y > 1 || s->kernel_x > 1) {
        if (!p->ok)
            return;
        check_cuda(p,
                   tg_cuda_im2col(p->dt, p->h->stream, in, p->batch, p->nn_y, p->nn_x, s->in_channels, s->kernel_y,
                                  s->kernel_x, s->dilation_y, s->dilation_x, p->h->col),
                   "im2col");
        rows = p->h->col;
    }
    gemm(p, CUBLAS_OP_T, s->out_channels, points, k, c->w, k, rows, k, out, p->ctype, s->out_channels,
         accumulate ? 1.0f : 0.0f);
}

/* out[rows][out] (+)= in[rows][in] * W, W row-major [in][out]; out may be float (c_type). */
static void matmul(pass *p, const tg_cuda_mat *m, int rows, const void *in, void *out, cudaDataType_t c_type,
                   bool accumulate) {
    const int ci = m->src->in_channels, co = m->src->out_channels;
    gemm(p, CUBLAS_OP_N, co, rows, ci, m->w, co, in, ci, out, c_type, co, accumulate ? 1.0f : 0.0f);
}

static void norm_act(pass *p, const void *in, void *out, int channels, const void *entry_bias, const tg_cuda_norm *n,
                     const tg_act_layer *act, bool masked) {
    if (!p->ok)
        return;
    check_cuda(p,
               tg_cuda_norm_act(p->dt, p->h->stream, in, out, p->batch, p->hw, channels, entry_bias,
                                n ? n->scale : NULL, n ? n->bias : NULL, act ? act->kind : TG_ACT_IDENTITY,
                                masked ? p->mask : NULL),
               "a norm/activation kernel");
}

static void gpool(pass *p, const void *in, int channels, bool value_head, void *out) {
    if (!p->ok)
        return;
    check_cuda(p,
               tg_cuda_gpool(p->dt, p->h->stream, in, p->batch, p->hw, channels, p->mask, p->mask_sum,
                             value_head ? 1 : 0, out),
               "a pooling kernel");
}

static void rows_bias_act(pass *p, tg_cuda_dtype dt, void *x, int channels, const float *bias, int act) {
    if (!p->ok)
        return;
    check_cuda(p, tg_cuda_rows_bias_act(dt, p->h->stream, x, p->batch, channels, bias, act), "a bias kernel");
}

static void stack(pass *p, const tg_cuda_block *blocks, int n, int channels, void *x, void *t);

static void block(pass *p, const tg_cuda_block *b, int channels, void *x, void *t) {
    const size_t mark = p->used, points = (size_t)p->batch * (size_t)p->hw;
    const int mid_c = b->conv1.src->out_channels;
    void *mid = take(p, points * (size_t)mid_c), *mid_t = take(p, points * (size_t)mid_c);
    norm_act(p, x, t, channels, NULL, &b->pre, b->pre_act, true);
    conv(p, &b->conv1, t, mid, false);
    if (b->kind == TG_BLOCK_ORDINARY) {
        norm_act(p, mid, mid_t, mid_c, NULL, &b->mid, b->mid_act, true);
    } else if (b->kind == TG_BLOCK_GPOOL) {
        const int gp_c = b->gconv.src->out_channels;
        void *gp = take(p, points * (size_t)gp_c);
        void *pooled = take(p, (size_t)p->batch * 3 * (size_t)gp_c), *bias = take(p, (size_t)p->batch * mid_c);
        conv(p, &b->gconv, t, gp, false);
        norm_act(p, gp, gp, gp_c, NULL, &b->gnorm, b->gpool_act, true);
        gpool(p, gp, gp_c, false, pooled);
        matmul(p, &b->gmul, p->batch, pooled, bias, p->ctype, false);
        norm_act(p, mid, mid_t, mid_c, bias, &b->mid, b->mid_act, true);
    } else { /* nested: the inner stack runs at mid_c on mid, with mid_t as its scratch */
        stack(p, b->inner, b->num_inner, mid_c, mid, mid_t);
        norm_act(p, mid, mid_t, mid_c, NULL, &b->mid, b->mid_act, true);
    }
    conv(p, &b->conv2, mid_t, x, true);
    p->used = mark;
}

static void stack(pass *p, const tg_cuda_block *blocks, int n, int channels, void *x, void *t) {
    for (int i = 0; i < n && p->ok; i++)
        block(p, &blocks[i], channels, x, t);
}

/* Where each input and output of a batch sits in the float staging (host) and io (device) buffers. */
typedef struct io_layout {
    size_t spatial, global, meta, mask, mask_sum, inputs_end;
    size_t policy, pass, value, score, own, end;
} io_layout;

static io_layout layout_io(const tg_model *m, int batch, int hw) {
    const size_t b = (size_t)batch, h = (size_t)hw;
    io_layout l;
    l.spatial = 0;
    l.global = l.spatial + b * h * (size_t)m->num_input_channels;
    l.meta = l.global + b * (size_t)m->num_input_global_channels;
    l.mask = l.meta + (m->trunk.has_meta_encoder ? b * (size_t)m->num_input_meta_channels : 0);
    l.mask_sum = l.mask + b * h;
    l.inputs_end = l.mask_sum + b;
    l.policy = l.inputs_end;
    l.pass = l.policy + b * h * (size_t)m->num_policy_channels;
    l.value = l.pass + b * (size_t)m->num_policy_channels;
    l.score = l.value + b * (size_t)m->num_value_channels;
    l.own = l.score + b * (size_t)m->num_score_value_channels;
    l.end = l.own + b * h * (size_t)m->num_ownership_channels;
    return l;
}

bool tg_cuda_forward(tg_backend_handle *h, const tg_nn_inputs *in, tg_nn_outputs *out, char *err, size_t errlen) {
    const tg_backend_context *cx = h->context;
    const tg_model *m = cx->model;
    const tg_cuda_net *d = &cx->net;
    const int batch = in->batch_size, hw = cx->plan.hw;
    const size_t b = (size_t)batch, hwz = (size_t)hw, points = b * hwz;
    const io_layout l = layout_io(m, batch, hw);

    /* host side: the mask (refusing entries with no board), NHWC spatial inputs, global and meta rows */
    float *s = h->staging;
    int bad = tg_cuda_board_mask(in->spatial, batch, m->num_input_channels, hw, s + l.mask, s + l.mask_sum);
    if (bad >= 0) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": batch entry %d has no on-board point (input channel 0 is all zero)",
                        bad);
        return false;
    }
    tg_cuda_nchw_to_nhwc(in->spatial, batch, m->num_input_channels, hw, s + l.spatial);
    memcpy(s + l.global, in->global, sizeof(float) * b * (size_t)m->num_input_global_channels);
    if (m->trunk.has_meta_encoder)
        memcpy(s + l.meta, in->meta, sizeof(float) * b * (size_t)m->num_input_meta_channels);

    pass p = {.h = h, .cx = cx, .dt = cx->dtype, .ctype = cx->dtype == TG_CUDA_F16 ? CUDA_R_16F : CUDA_R_32F,
              .batch = batch, .hw = hw, .nn_x = cx->plan.nn_x, .nn_y = cx->plan.nn_y, .mask = h->io + l.mask,
              .mask_sum = h->io + l.mask_sum, .used = 0, .ok = true, .err = err, .errlen = errlen};
    check_cuda(&p, cudaSetDevice(cx->device), "cudaSetDevice");
    check_cuda(&p,
               cudaMemcpyAsync(h->io, s, sizeof(float) * l.inputs_end, cudaMemcpyHostToDevice, h->stream),
               "uploading the inputs");

    /* fixed buffers: the inputs in the compute type, x and t */
    const int c = m->trunk.channels;
    void *x_in = take(&p, points * (size_t)m->num_input_channels);
    void *g_in = take(&p, b * (size_t)m->num_input_global_channels);
    void *meta_in = m->trunk.has_meta_encoder ? take(&p, b * (size_t)m->num_input_meta_channels) : NULL;
    void *x = take(&p, points * (size_t)c), *t = take(&p, points * (size_t)c);
    if (p.ok) {
        check_cuda(&p, tg_cuda_from_float(p.dt, h->stream, h->io + l.spatial, x_in, points * m->num_input_channels),
                   "converting the inputs");
        check_cuda(&p, tg_cuda_from_float(p.dt, h->stream, h->io + l.global, g_in, b * m->num_input_global_channels),
                   "converting the inputs");
        if (meta_in)
            check_cuda(&p, tg_cuda_from_float(p.dt, h->stream, h->io + l.meta, meta_in, b * m->num_input_meta_channels),
                       "converting the inputs");
    }
    const size_t fixed = p.used;

    /* stem: x = initial_conv(spatial) + (initial_matmul(global) [+ meta encoder]) at every point */
    void *bias = take(&p, b * (size_t)c);
    conv(&p, &d->init_conv, x_in, x, false);
    matmul(&p, &d->init_mat, batch, g_in, bias, p.ctype, false);
    if (meta_in) {
        const tg_meta_encoder *e = &m->trunk.meta_encoder;
        void *h1 = take(&p, b * (size_t)e->mul1.out_channels), *h2 = take(&p, b * (size_t)e->mul2.out_channels);
        matmul(&p, &d->meta1, batch, meta_in, h1, p.ctype, false);
        rows_bias_act(&p, p.dt, h1, e->mul1.out_channels, d->meta_b1, e->act1.kind);
        matmul(&p, &d->meta2, batch, h1, h2, p.ctype, false);
        rows_bias_act(&p, p.dt, h2, e->mul2.out_channels, d->meta_b2, e->act2.kind);
        matmul(&p, &d->meta3, batch, h2, bias, p.ctype, true);
    }
    norm_act(&p, x, x, c, bias, NULL, NULL, false);
    p.used = fixed;

    stack(&p, d->blocks, m->trunk.num_blocks, c, x, t);
    norm_act(&p, x, t, c, NULL, &d->tip, &m->trunk.tip_act, true);

    /* policy head */
    const tg_policy_head *ph = &m->policy;
    const int p1_c = ph->p1_conv.out_channels, g1_c = ph->g1_conv.out_channels, np = m->num_policy_channels;
    void *p1 = take(&p, points * (size_t)p1_c), *g1 = take(&p, points * (size_t)g1_c);
    void *pol = take(&p, points * (size_t)np), *pooled = take(&p, b * 3 * (size_t)g1_c);
    void *pbias = take(&p, b * (size_t)p1_c);
    conv(&p, &d->p1, t, p1, false);
    conv(&p, &d->g1, t, g1, false);
    norm_act(&p, g1, g1, g1_c, NULL, &d->g1_norm, &ph->g1_act, true);
    gpool(&p, g1, g1_c, false, pooled);
    matmul(&p, &d->p_bias, batch, pooled, pbias, p.ctype, false);
    norm_act(&p, p1, p1, p1_c, pbias, &d->p1_norm, &ph->p1_act, true);
    conv(&p, &d->p2, p1, pol, false);
    if (p.ok)
        check_cuda(&p, tg_cuda_to_float_nchw(p.dt, h->stream, pol, batch, hw, np, h->io + l.policy),
                   "converting the policy");
    if (ph->has_pass_mlp) {
        void *hidden = take(&p, b * (size_t)ph->gpool_to_pass_mul.out_channels);
        matmul(&p, &d->pass1, batch, pooled, hidden, p.ctype, false);
        rows_bias_act(&p, p.dt, hidden, ph->gpool_to_pass_mul.out_channels, d->pass_b, ph->pass_act.kind);
        matmul(&p, &d->pass2, batch, hidden, h->io + l.pass, CUDA_R_32F, false);
    } else {
        matmul(&p, &d->pass1, batch, pooled, h->io + l.pass, CUDA_R_32F, false);
    }
    p.used = fixed;

    /* value head: value and score logits straight into float */
    const tg_value_head *vh = &m->value;
    const int v1_c = vh->v1_conv.out_channels, v2_c = vh->v2_mul.out_channels;
    void *v1 = take(&p, points * (size_t)v1_c), *own = take(&p, points * (size_t)m->num_ownership_channels);
    void *vpooled = take(&p, b * 3 * (size_t)v1_c), *vhidden = take(&p, b * (size_t)v2_c);
    conv(&p, &d->v1, t, v1, false);
    norm_act(&p, v1, v1, v1_c, NULL, &d->v1_norm, &vh->v1_act, true);
    gpool(&p, v1, v1_c, true, vpooled);
    matmul(&p, &d->v2, batch, vpooled, vhidden, p.ctype, false);
    rows_bias_act(&p, p.dt, vhidden, v2_c, d->v2_b, vh->v2_act.kind);
    matmul(&p, &d->v3, batch, vhidden, h->io + l.value, CUDA_R_32F, false);
    rows_bias_act(&p, TG_CUDA_F32, h->io + l.value, m->num_value_channels, d->v3_b, TG_ACT_IDENTITY);
    matmul(&p, &d->sv3, batch, vhidden, h->io + l.score, CUDA_R_32F, false);
    rows_bias_act(&p, TG_CUDA_F32, h->io + l.score, m->num_score_value_channels, d->sv3_b, TG_ACT_IDENTITY);
    conv(&p, &d->own, v1, own, false);
    if (p.ok)
        check_cuda(&p,
                   tg_cuda_to_float_nchw(p.dt, h->stream, own, batch, hw, m->num_ownership_channels, h->io + l.own),
                   "converting the ownership");

    if (p.ok)
        check_cuda(&p,
                   cudaMemcpyAsync(s + l.policy, h->io + l.policy, sizeof(float) * (l.end - l.policy),
                                   cudaMemcpyDeviceToHost, h->stream),
                   "downloading the outputs");
    /* synchronize even after a failure, so no kernel still writes the buffers when evaluate returns */
    cudaError_t sync = cudaStreamSynchronize(h->stream);
    check_cuda(&p, sync, "the forward pass");
    if (!p.ok)
        return false;
    memcpy(out->policy, s + l.policy, sizeof(float) * b * hwz * (size_t)np);
    memcpy(out->policy_pass, s + l.pass, sizeof(float) * b * (size_t)np);
    memcpy(out->value, s + l.value, sizeof(float) * b * (size_t)m->num_value_channels);
    memcpy(out->score_value, s + l.score, sizeof(float) * b * (size_t)m->num_score_value_channels);
    memcpy(out->ownership, s + l.own, sizeof(float) * b * hwz * (size_t)m->num_ownership_channels);
    return true;
}
