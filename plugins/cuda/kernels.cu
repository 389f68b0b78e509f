// The CUDA plugins' device kernels (interface and conventions: kernels.h). Each kernel is a template
// over the storage type (__half or float) and computes in float; the extern "C" launchers pick the
// instance from the dtype argument. Written for clarity over speed: one thread per output element
// except the pooling, which reduces in shared memory. Nothing here has run on a GPU yet.
#include "kernels.h"

#include <cuda_fp16.h>

namespace {

// Activation numbering of tengen/model.h (TG_ACT_*), repeated here because that header is C and the
// values are part of its ABI, so they cannot change under us.
enum { ACT_IDENTITY = 0, ACT_RELU = 1, ACT_MISH = 2, ACT_SILU = 3, ACT_MISH_SCALE8 = 12 };

__device__ __forceinline__ float load(const float *p, size_t i) { return p[i]; }
__device__ __forceinline__ float load(const __half *p, size_t i) { return __half2float(p[i]); }
__device__ __forceinline__ void store(float *p, size_t i, float v) { p[i] = v; }
__device__ __forceinline__ void store(__half *p, size_t i, float v) { p[i] = __float2half_rn(v); }

__device__ __forceinline__ float softplus(float x) { return x < 20.0f ? log1pf(expf(x)) : x; }

__device__ __forceinline__ float activate(int act, float x) {
    switch (act) {
    case ACT_RELU: return x > 0.0f ? x : 0.0f;
    case ACT_MISH: return x * tanhf(softplus(x));
    case ACT_MISH_SCALE8: return x * tanhf(softplus(8.0f * x));
    case ACT_SILU: return x / (1.0f + expf(-x));
    default: return x;
    }
}

constexpr int kThreads = 256;

unsigned blocks_for(size_t n) { return (unsigned)((n + kThreads - 1) / kThreads); }

template <typename T> __global__ void from_float_k(const float *src, T *dst, size_t n) {
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        store(dst, i, src[i]);
}

template <typename T>
__global__ void im2col_k(const T *in, int batch, int height, int width, int channels, int kh, int kw, int dy, int dx,
                         T *col) {
    const size_t row_len = (size_t)kh * kw * channels;
    const size_t total = (size_t)batch * height * width * row_len;
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total)
        return;
    const size_t point = i / row_len;
    size_t r = i % row_len;
    const int c = (int)(r % channels);
    r /= channels;
    const int kx = (int)(r % kw), ky = (int)(r / kw);
    const int x = (int)(point % width), y = (int)((point / width) % height);
    const size_t n = point / ((size_t)width * height);
    const int sy = y + (ky - kh / 2) * dy, sx = x + (kx - kw / 2) * dx;
    float v = 0.0f;
    if (sy >= 0 && sy < height && sx >= 0 && sx < width)
        v = load(in, ((n * height + sy) * width + sx) * channels + c);
    store(col, i, v);
}

template <typename T>
__global__ void norm_act_k(const T *in, T *out, int batch, int hw, int channels, const T *entry_bias,
                           const float *scale, const float *bias, int act, const float *mask) {
    const size_t total = (size_t)batch * hw * channels;
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total)
        return;
    const int c = (int)(i % channels);
    const size_t point = i / channels, n = point / hw;
    if (mask && mask[point] == 0.0f) {
        store(out, i, 0.0f);
        return;
    }
    float v = load(in, i);
    if (entry_bias)
        v += load(entry_bias, n * channels + c);
    if (scale)
        v *= scale[c];
    if (bias)
        v += bias[c];
    store(out, i, activate(act, v));
}

// One block per (entry, 32 channels): threadIdx.x walks channels (adjacent in NHWC, so loads
// coalesce), threadIdx.y strides over points; partial sums and maxima meet in shared memory.
constexpr int kPoolX = 32, kPoolY = 8;

template <typename T>
__global__ void gpool_k(const T *in, int hw, int channels, const float *mask, const float *mask_sum, int value_head,
                        T *out) {
    __shared__ float sums[kPoolY][kPoolX];
    __shared__ float maxes[kPoolY][kPoolX];
    const int n = blockIdx.x, c = blockIdx.y * kPoolX + threadIdx.x;
    float sum = 0.0f, max = -1.0f; // KataGo's max starts at -1: off-board points count as -1
    if (c < channels) {
        for (int p = threadIdx.y; p < hw; p += kPoolY) {
            const float v = load(in, ((size_t)n * hw + p) * channels + c);
            sum += v;
            if (!value_head)
                max = fmaxf(max, v + (mask[(size_t)n * hw + p] - 1.0f));
        }
    }
    sums[threadIdx.y][threadIdx.x] = sum;
    maxes[threadIdx.y][threadIdx.x] = max;
    __syncthreads();
    if (threadIdx.y != 0 || c >= channels)
        return;
    for (int k = 1; k < kPoolY; k++) {
        sum += sums[k][threadIdx.x];
        max = fmaxf(max, maxes[k][threadIdx.x]);
    }
    const float area = mask_sum[n], d = sqrtf(area) - 14.0f, mean = sum / area;
    T *o = out + (size_t)n * 3 * channels;
    store(o, c, mean);
    store(o, channels + c, mean * d * 0.1f);
    store(o, 2 * channels + c, value_head ? mean * (d * d * 0.01f - 0.1f) : max);
}

template <typename T> __global__ void rows_bias_act_k(T *x, int rows, int channels, const float *bias, int act) {
    const size_t total = (size_t)rows * channels;
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total)
        return;
    float v = load(x, i);
    if (bias)
        v += bias[i % channels];
    store(x, i, activate(act, v));
}

template <typename T> __global__ void to_float_nchw_k(const T *in, int batch, int hw, int channels, float *out) {
    const size_t total = (size_t)batch * hw * channels;
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; // index into out, so writes coalesce
    if (i >= total)
        return;
    const int p = (int)(i % hw);
    const size_t nc = i / hw;
    const int c = (int)(nc % channels);
    const size_t n = nc / channels;
    out[i] = load(in, (n * hw + p) * channels + c);
}

} // namespace

extern "C" cudaError_t tg_cuda_kernels_check(void) {
    cudaFuncAttributes attr;
    return cudaFuncGetAttributes(&attr, from_float_k<__half>);
}

extern "C" cudaError_t tg_cuda_from_float(tg_cuda_dtype dt, cudaStream_t stream, const float *src, void *dst,
                                          size_t count) {
    if (count == 0)
        return cudaSuccess;
    if (dt == TG_CUDA_F16)
        from_float_k<<<blocks_for(count), kThreads, 0, stream>>>(src, static_cast<__half *>(dst), count);
    else
        from_float_k<<<blocks_for(count), kThreads, 0, stream>>>(src, static_cast<float *>(dst), count);
    return cudaGetLastError();
}

extern "C" cudaError_t tg_cuda_im2col(tg_cuda_dtype dt, cudaStream_t stream, const void *in, int batch, int height,
                                      int width, int channels, int kernel_y, int kernel_x, int dilation_y,
                                      int dilation_x, void *col) {
    const size_t total = (size_t)batch * height * width * kernel_y * kernel_x * channels;
    if (total == 0)
        return cudaSuccess;
    if (dt == TG_CUDA_F16)
        im2col_k<<<blocks_for(total), kThreads, 0, stream>>>(static_cast<const __half *>(in), batch, height, width,
                                                             channels, kernel_y, kernel_x, dilation_y, dilation_x,
                                                             static_cast<__half *>(col));
    else
        im2col_k<<<blocks_for(total), kThreads, 0, stream>>>(static_cast<const float *>(in), batch, height, width,
                                                             channels, kernel_y, kernel_x, dilation_y, dilation_x,
                                                             static_cast<float *>(col));
    return cudaGetLastError();
}

extern "C" cudaError_t tg_cuda_norm_act(tg_cuda_dtype dt, cudaStream_t stream, const void *in, void *out, int batch,
                                        int hw, int channels, const void *entry_bias, const float *scale,
                                        const float *bias, int act, const float *mask) {
    const size_t total = (size_t)batch * hw * channels;
    if (total == 0)
        return cudaSuccess;
    if (dt == TG_CUDA_F16)
        norm_act_k<<<blocks_for(total), kThreads, 0, stream>>>(
            static_cast<const __half *>(in), static_cast<__half *>(out), batch, hw, channels,
            static_cast<const __half *>(entry_bias), scale, bias, act, mask);
    else
        norm_act_k<<<blocks_for(total), kThreads, 0, stream>>>(
            static_cast<const float *>(in), static_cast<float *>(out), batch, hw, channels,
            static_cast<const float *>(entry_bias), scale, bias, act, mask);
    return cudaGetLastError();
}

extern "C" cudaError_t tg_cuda_gpool(tg_cuda_dtype dt, cudaStream_t stream, const void *in, int batch, int hw,
                                     int channels, const float *mask, const float *mask_sum, int value_head,
                                     void *out) {
    if (batch == 0 || channels == 0)
        return cudaSuccess;
    const dim3 grid((unsigned)batch, (unsigned)((channels + kPoolX - 1) / kPoolX)), block(kPoolX, kPoolY);
    if (dt == TG_CUDA_F16)
        gpool_k<<<grid, block, 0, stream>>>(static_cast<const __half *>(in), hw, channels, mask, mask_sum, value_head,
                                            static_cast<__half *>(out));
    else
        gpool_k<<<grid, block, 0, stream>>>(static_cast<const float *>(in), hw, channels, mask, mask_sum, value_head,
                                            static_cast<float *>(out));
    return cudaGetLastError();
}

extern "C" cudaError_t tg_cuda_rows_bias_act(tg_cuda_dtype dt, cudaStream_t stream, void *x, int rows, int channels,
                                             const float *bias, int act) {
    const size_t total = (size_t)rows * channels;
    if (total == 0)
        return cudaSuccess;
    if (dt == TG_CUDA_F16)
        rows_bias_act_k<<<blocks_for(total), kThreads, 0, stream>>>(static_cast<__half *>(x), rows, channels, bias,
                                                                    act);
    else
        rows_bias_act_k<<<blocks_for(total), kThreads, 0, stream>>>(static_cast<float *>(x), rows, channels, bias,
                                                                    act);
    return cudaGetLastError();
}

extern "C" cudaError_t tg_cuda_to_float_nchw(tg_cuda_dtype dt, cudaStream_t stream, const void *in, int batch, int hw,
                                             int channels, float *out) {
    const size_t total = (size_t)batch * hw * channels;
    if (total == 0)
        return cudaSuccess;
    if (dt == TG_CUDA_F16)
        to_float_nchw_k<<<blocks_for(total), kThreads, 0, stream>>>(static_cast<const __half *>(in), batch, hw,
                                                                    channels, out);
    else
        to_float_nchw_k<<<blocks_for(total), kThreads, 0, stream>>>(static_cast<const float *>(in), batch, hw,
                                                                    channels, out);
    return cudaGetLastError();
}
