/* The FP32 forward pass of the blas-cpu backend: a KataGo network (tengen/model.h) evaluated on the
 * CPU with OpenBLAS doing the matrix products.
 *
 * Layout. Spatial tensors are NCHW float32 over the whole nn_y_len x nn_x_len board tensor, the same
 * layout the core hands in and expects back, so no transposes happen at the edges. The exception is
 * inside the trunk: a run of residual and global-pooling blocks made of 3x3 convolutions keeps the
 * residual stream channel-last between them (winograd.h), converted once at each end of the run. A board
 * smaller than the tensor sits in its top-left corner and is described by the on-board mask (input
 * channel 0). As in KataGo, convolutions pad with zeros at the tensor edge, every norm+activation
 * zeroes off-board points, pooling divides by the number of on-board points, and attention never
 * looks at off-board keys. Values at off-board points of the policy and ownership outputs are left
 * as computed (the core never reads them), exactly like KataGo's backends.
 *
 * Split. tg_blas_net is built once per model and board size and is read-only afterwards;
 * tg_blas_scratch holds all per-thread memory, sized for the largest batch, so one evaluation
 * allocates nothing. Any number of threads may evaluate one net at once, each with its own scratch.
 *
 * The layer kernels are exported too, for the unit test that checks them against naive loops. */
#ifndef TENGEN_BLAS_CPU_FORWARD_H
#define TENGEN_BLAS_CPU_FORWARD_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "tengen/backend.h"
#include "tengen/model.h"
#include "util/errmsg.h" /* compiled into the plugin, not linked from the core */

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ kernels
 * hw is height * width; "mask" is [batch][hw] with 1 on the board and 0 off it. */

static inline float tg_blas_softplus(float x) {
    /* Above 20, log1p(exp(x)) equals x in float; the cut also keeps expf from overflowing. */
    return x < 20.0f ? log1pf(expf(x)) : x;
}

/* One activation (TG_ACT_*); inline because the convolution epilogues call it per element. */
static inline float tg_blas_activate1(int kind, float x) {
    switch (kind) {
    case TG_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case TG_ACT_MISH: return x * tanhf(tg_blas_softplus(x));
    case TG_ACT_MISH_SCALE8: return x * tanhf(tg_blas_softplus(8.0f * x));
    case TG_ACT_SILU: return x / (1.0f + expf(-x));
    default: return x; /* TG_ACT_IDENTITY; create() rejects unknown kinds */
    }
}

/* Floats of im2col workspace tg_blas_conv needs for this layer (0 for a 1x1 kernel). */
size_t tg_blas_conv_workspace(const tg_conv_layer *conv, int height, int width);

/* out[n] (=, or += when accumulate) conv(in[n]) for each of batch images of [in][height][width]
 * into [out][height][width], zero padding at the tensor edge. workspace holds at least
 * tg_blas_conv_workspace() floats. */
void tg_blas_conv(const tg_conv_layer *conv, int batch, int height, int width, const float *in, float *out,
                  float *workspace, bool accumulate);

/* Elementwise activation (TG_ACT_*), in place. */
void tg_blas_activate(int kind, float *x, size_t n);

/* out = act(in * scale[c] + bias[c]) on the board, 0 off it. in and out may be the same buffer. */
void tg_blas_norm_act(const float *scale, const float *bias, int act, int batch, int channels, int hw,
                      const float *mask, const float *in, float *out);

/* KataGo's trunk/policy global pooling of in [batch][channels][hw] (zero off the board) into
 * out [batch][3 * channels]: mean, mean * (sqrt(area) - 14) / 10, and max (floored at -1 like KataGo,
 * whose off-board points count as -1). area = mask_sum[n], the on-board point count. */
void tg_blas_gpool(int batch, int channels, int hw, const float *in, const float *mask, const float *mask_sum,
                   float *out);

/* The value head's pooling: mean, mean * (sqrt(area) - 14) / 10,
 * mean * ((sqrt(area) - 14)^2 / 100 - 0.1). */
void tg_blas_value_pool(int batch, int channels, int hw, const float *in, const float *mask_sum, float *out);

/* out [rows][out_channels] = in [rows][in_channels] x weights. */
void tg_blas_matmul(const tg_matmul_layer *mm, int rows, const float *in, float *out);

/* ------------------------------------------------------------------ the network */

typedef struct tg_blas_net tg_blas_net;
typedef struct tg_blas_scratch tg_blas_scratch;

/* Checks that every layer is one this backend runs and that the shapes fit together, and
 * precomputes what depends on the board size (RoPE tables). The model must outlive the net.
 * Returns NULL with err set ("blas-cpu: ..."). */
tg_blas_net *tg_blas_net_create(const tg_model *model, int nn_x_len, int nn_y_len, int max_batch_size, char *err,
                                size_t errlen);
void tg_blas_net_destroy(tg_blas_net *net);

/* Whether 3x3 convolutions use the Winograd path (the default) or im2col, for comparing the two;
 * not to be called while the net is evaluating. */
void tg_blas_net_set_winograd(tg_blas_net *net, bool on);

/* Per-thread buffers for net; NULL with err set when memory runs out. */
tg_blas_scratch *tg_blas_scratch_create(const tg_blas_net *net, char *err, size_t errlen);
void tg_blas_scratch_destroy(tg_blas_scratch *scratch);

/* Bytes one scratch takes, for logging. */
size_t tg_blas_scratch_bytes(const tg_blas_net *net);

/* Runs one batch as backend.h's evaluate() describes. Returns false with err set on bad arguments
 * (batch size out of range, a missing buffer, metadata missing for a model that needs it). */
bool tg_blas_forward(const tg_blas_net *net, tg_blas_scratch *scratch, const tg_nn_inputs *inputs,
                     tg_nn_outputs *outputs, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
