/* Host-side data conversions of the CUDA plugins: weight layouts, IEEE half precision, batch-norm
 * folding and input packing. Plain C with no CUDA header, so the unit tests run them on any machine. */
#ifndef TENGEN_CUDA_LAYOUT_H
#define TENGEN_CUDA_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tengen/model.h"

/* IEEE 754 binary16 from float, rounded to nearest even (overflow gives infinity, NaN stays NaN). */
uint16_t tg_cuda_half_from_float(float f);
float tg_cuda_half_to_float(uint16_t h);
void tg_cuda_floats_to_halves(const float *src, uint16_t *dst, size_t count);

/* The conv's OIHW weights as OHWI ([out][ky][kx][in]), the row order tg_cuda_im2col writes, so that
 * a convolution over NHWC activations is one GEMM. out_scale, when not NULL, multiplies every weight
 * of output channel o by out_scale[o] (a following batch norm's scale folded in). out holds
 * out_channels * kernel_y * kernel_x * in_channels floats. */
void tg_cuda_conv_to_ohwi(const tg_conv_layer *conv, const float *out_scale, float *out);

/* A batch norm as y = x * scale + bias, the model's merged (KataGo-exact) figures copied out. */
void tg_cuda_bn_scale_bias(const tg_bn_layer *bn, float *scale, float *bias);

/* Whether folding bn's scale into the weights of the conv before it is exact enough: only a finite
 * scale qualifies (a zero scale would be fine too, but an infinite or NaN one would poison weights
 * that the unfolded form never multiplies). */
bool tg_cuda_bn_foldable(const tg_bn_layer *bn);

/* NCHW ([batch][channels][hw]) to NHWC ([batch][hw][channels]), float. */
void tg_cuda_nchw_to_nhwc(const float *src, int batch, int channels, int hw, float *dst);

/* The on-board mask (spatial input channel 0) and its per-entry sums, from the core's NCHW input.
 * Returns -1 when every entry has an on-board point, else the first entry that has none. */
int tg_cuda_board_mask(const float *spatial, int batch, int channels, int hw, float *mask, float *mask_sum);

#endif
