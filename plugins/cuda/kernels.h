/* The CUDA plugins' device kernels behind a C interface: net.c (C11) launches them, kernels.cu (the
 * only CUDA C++ in the plugin) implements them. Every tensor is NHWC ([batch][point][channel]) in the
 * compute type, FP16 or FP32 (the dtype argument); per-channel scales and biases, masks and the
 * plugin's outputs are always float, and every kernel computes in float. Each function enqueues on
 * stream and returns the launch status (cudaSuccess, or why the launch failed). */
#ifndef TENGEN_CUDA_KERNELS_H
#define TENGEN_CUDA_KERNELS_H

#include <stddef.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tg_cuda_dtype { TG_CUDA_F32 = 0, TG_CUDA_F16 = 1 } tg_cuda_dtype;

/* cudaSuccess when this build's kernels have code the current device runs (SASS for its architecture,
 * or PTX it can compile), else the runtime's error (cudaErrorNoKernelImageForDevice, usually). */
cudaError_t tg_cuda_kernels_check(void);

/* dst[i] = src[i] in the compute type. */
cudaError_t tg_cuda_from_float(tg_cuda_dtype dt, cudaStream_t stream, const float *src, void *dst, size_t count);

/* col[n][y][x][ky][kx][c] = in[n][y + (ky - kh/2) * dil_y][x + (kx - kw/2) * dil_x][c], zero outside
 * the board tensor: the rows of a convolution GEMM against OHWI weights. */
cudaError_t tg_cuda_im2col(tg_cuda_dtype dt, cudaStream_t stream, const void *in, int batch, int height, int width,
                           int channels, int kernel_y, int kernel_x, int dilation_y, int dilation_x, void *col);

/* out[n][p][c] = mask[n][p] == 0 ? 0 : act((in[n][p][c] + entry_bias[n][c]) * scale[c] + bias[c]).
 * entry_bias (compute type), scale and bias may be NULL (0, 1 and 0); mask NULL means every point is
 * on the board. act is a TG_ACT_*. in and out may be the same buffer. */
cudaError_t tg_cuda_norm_act(tg_cuda_dtype dt, cudaStream_t stream, const void *in, void *out, int batch, int hw,
                             int channels, const void *entry_bias, const float *scale, const float *bias, int act,
                             const float *mask);

/* KataGo's global pooling of in over the board, float sums: out[n] = [mean, mean * (sqrt(area) - 14)
 * / 10, max] per channel (3 * channels), or for the value head (value_head 1) the third part is
 * mean * ((sqrt(area) - 14)^2 / 100 - 0.1). area is mask_sum[n]. */
cudaError_t tg_cuda_gpool(tg_cuda_dtype dt, cudaStream_t stream, const void *in, int batch, int hw, int channels,
                          const float *mask, const float *mask_sum, int value_head, void *out);

/* x[r][c] = act(x[r][c] + bias[c]); bias may be NULL. */
cudaError_t tg_cuda_rows_bias_act(tg_cuda_dtype dt, cudaStream_t stream, void *x, int rows, int channels,
                                  const float *bias, int act);

/* out[n][c][p] = in[n][p][c] as float: NHWC compute type to the core's NCHW float (hw 1 for rows). */
cudaError_t tg_cuda_to_float_nchw(tg_cuda_dtype dt, cudaStream_t stream, const void *in, int batch, int hw,
                                  int channels, float *out);

#ifdef __cplusplus
}
#endif

#endif
