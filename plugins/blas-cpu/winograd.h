/* Winograd convolutions for the blas-cpu backend. 3x3 convolutions (dilation 1, zero padding 1) run
 * as F(4x4, 3x3): 36 matrix products in the transform domain instead of one 9x larger im2col
 * product, which cuts the multiply work of a 19x19 board by about 3.6x. 5x5 convolutions (the first
 * layer of most KataGo networks) run as F(4x4, 5x5): 64 products over 8x8 input patches, about 5.6x
 * fewer multiplies than im2col on 19x19 (and 2.25x fewer than splitting the kernel into four 3x3
 * parts, which this backend did before).
 *
 * Data flow of one call: the NCHW input is copied once into a zero-bordered channel-last buffer
 * (optionally through a batch norm + activation, the "prologue"), 6x6 (8x8) input tiles with stride
 * 4 are transformed with the channels as the vector lanes, one sgemm per transform point multiplies
 * [tiles][in] by the pre-transformed weights [in][out], and the 4x4 output tiles are transformed
 * back and written to NCHW through an "epilogue" (store, accumulate, or batch norm + activation +
 * board mask). Tiles are processed in chunks so that a chunk's transform-domain data stays in L2.
 *
 * Rounding differs from a direct convolution (the transforms add and scale by up to 8, and F(4x4,
 * 5x5) by up to 21/4 in each direction, before the sums); the errors stay far inside the FP32
 * tolerances of the reference tests. */
#ifndef TENGEN_BLAS_CPU_WINOGRAD_H
#define TENGEN_BLAS_CPU_WINOGRAD_H

#include <stdbool.h>
#include <stddef.h>

#include "tengen/model.h"

/* One 3x3 or 5x5 convolution's weights in the transform domain. */
typedef struct tg_wino_weights {
    const tg_conv_layer *layer;
    int in_c, out_c;
    int in_cp, out_cp; /* channel counts rounded up to the vector width */
    int alpha;         /* input patch side: 6 for F(4x4, 3x3), 8 for F(4x4, 5x5) */
    int points;        /* alpha * alpha matrix products per chunk of tiles */
    float *u;          /* [points][in_c][out_cp] */
} tg_wino_weights;

/* A per-channel batch norm + activation applied to values going into or out of the convolution;
 * mask ([batch][hw], 1 on the board) zeroes off-board points, as tg_blas_norm_act does.
 * bias_stride is the distance in floats between consecutive images' bias rows: 0 when all images
 * share one bias, out_c when a global-pooling block folds its per-image bias into the norm. */
typedef struct tg_wino_norm {
    const float *scale, *bias;
    int act;
    const float *mask;
    size_t bias_stride;
} tg_wino_norm;

enum {
    TG_WINO_STORE,
    TG_WINO_ACCUMULATE,
    TG_WINO_NORM_ACT,
    TG_WINO_BIAS, /* store plus a per-image bias row (post bias and bias_stride only); tg_wino_conv_to_cl's */
};

/* True when conv can run through tg_wino_conv. */
bool tg_wino_applies(const tg_conv_layer *conv);

/* Transforms conv's OIHW weights; false when memory runs out. */
bool tg_wino_prepare(const tg_conv_layer *conv, tg_wino_weights *w);
void tg_wino_free(tg_wino_weights *w);

/* Floats of workspace tg_wino_conv needs for conv on batch images of height x width. */
size_t tg_wino_workspace(const tg_conv_layer *conv, int batch, int height, int width);

/* out[n] = epilogue(conv(prologue(in[n]))) for batch NCHW images. pre may be NULL (no prologue);
 * post is used only when epilogue is TG_WINO_NORM_ACT. in and out must not overlap.
 * in == NULL reuses the bordered input the previous call left at the start of workspace (pre is
 * then ignored): it lets two convolutions of one input, as in a global-pooling block, share the
 * copy and its prologue. The previous call must have had the same batch, board and in_c, and
 * nothing may have written the workspace since. */
void tg_wino_conv(const tg_wino_weights *w, int batch, int height, int width, const float *in, float *out,
                  float *workspace, const tg_wino_norm *pre, int epilogue, const tg_wino_norm *post);

/* The channel-last trunk. A run of residual blocks whose convolutions are all 3x3 and whose channel
 * counts are multiples of 16 keeps its tensors in the layout the transforms read, the "bordered
 * channel-last" one: [batch][pad_h][pad_w][channels], the board rectangle at row 1, column 1 and
 * zeros around it. A convolution then reads its input where it lies and writes whole channel vectors
 * straight into the next one's input, instead of transposing from and to NCHW on every call.
 * Values at off-board points inside the rectangle are zero wherever a norm wrote them. */
size_t tg_wino_cl_floats(int batch, int height, int width, int channels);
/* True when w can run through tg_wino_conv_cl. */
bool tg_wino_cl_applies(const tg_wino_weights *w);
/* NCHW -> channel-last (the border zeroed) and back; the way back may apply a norm (NULL: none). */
void tg_wino_to_cl(int batch, int height, int width, int channels, const float *in, float *cl);
void tg_wino_from_cl(int batch, int height, int width, int channels, const float *cl, float *out,
                     const tg_wino_norm *norm);
/* tg_blas_gpool of a channel-last tensor; out is [batch][3 * channels] as there. */
void tg_wino_gpool_cl(int batch, int height, int width, int channels, const float *in, const float *mask,
                      const float *mask_sum, float *out);
/* out = epilogue(conv(prologue(in))) with in and out channel-last. Without a prologue (pre NULL) in
 * must be zero off the board and on the border; with one, the norm is applied to each value as the
 * transform reads it and points off the board read as zero, so in is the raw residual stream.
 * STORE and NORM_ACT also zero out's border; ACCUMULATE adds inside the rectangle only. The
 * workspace is tg_wino_workspace's (only its transform buffers are used). */
void tg_wino_conv_cl(const tg_wino_weights *w, int batch, int height, int width, const float *in, float *out,
                     float *workspace, const tg_wino_norm *pre, int epilogue, const tg_wino_norm *post);
/* The first layer into the channel-last trunk: out = conv(in) + bias[n] for batch NCHW images, out
 * bordered channel-last (its border zeroed) with w's out_c a multiple of 16. bias holds one row of
 * out_c per image, bias_stride floats apart. w may be 3x3 or 5x5; the workspace is
 * tg_wino_workspace's. Off-board points inside the rectangle get conv + bias, as in NCHW. */
void tg_wino_conv_to_cl(const tg_wino_weights *w, int batch, int height, int width, const float *in, float *out,
                        float *workspace, const float *bias, size_t bias_stride);

#endif
