/* What the CUDA plugin's C files share: the context (the model's weights on one device), the handle
 * (a stream, a cuBLAS handle, the activation arena, staging buffers), the device mirror of the model,
 * and the entry points of net.c (weight upload and forward pass) used by cuda_plugin.c.
 *
 * Variants. One set of sources builds each CUDA module; TG_CUDA_NAME ("cuda-fp16", later
 * "cuda-int8") is the backend name the build gives it and the prefix of every error message. */
#ifndef TENGEN_CUDA_INTERNAL_H
#define TENGEN_CUDA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "kernels.h"
#include "plan.h"
#include "tengen/backend.h"
#include "util/errmsg.h" /* compiled into the plugin, not linked from the core */

#ifndef TG_CUDA_NAME
#define TG_CUDA_NAME "cuda-fp16"
#endif

/* The oldest GPU generation the kernels are built for (Volta, sm_70). A CUDA 13 toolkit builds sm_75 and
 * up only; create() finds that out through tg_cuda_kernels_check and says so. */
#define TG_CUDA_MIN_MAJOR 7

/* A conv's OHWI weights on the device, in the compute type. */
typedef struct tg_cuda_conv {
    const tg_conv_layer *src;
    void *w;
} tg_cuda_conv;

/* A batch norm as device float scale and bias; scale is NULL when folded into the conv before it. */
typedef struct tg_cuda_norm {
    const float *scale, *bias;
} tg_cuda_norm;

/* A matmul's [in][out] weights on the device, in the compute type. */
typedef struct tg_cuda_mat {
    const tg_matmul_layer *src;
    void *w;
} tg_cuda_mat;

/* One trunk block on the device. conv1/conv2 are regular/final (ordinary, gpool) or pre/post
 * (nested); norms pre/mid/post likewise; gconv, gnorm, gmul belong to gpool blocks. */
typedef struct tg_cuda_block {
    int kind;
    const tg_act_layer *pre_act, *mid_act, *gpool_act;
    tg_cuda_norm pre, mid, gnorm;
    tg_cuda_conv conv1, conv2, gconv;
    tg_cuda_mat gmul;
    struct tg_cuda_block *inner;
    int num_inner;
} tg_cuda_block;

typedef struct tg_cuda_net {
    tg_cuda_conv init_conv;
    tg_cuda_mat init_mat;
    tg_cuda_mat meta1, meta2, meta3;
    const float *meta_b1, *meta_b2;
    tg_cuda_block *blocks;
    tg_cuda_norm tip;
    tg_cuda_conv p1, g1, p2;
    tg_cuda_norm g1_norm, p1_norm;
    tg_cuda_mat p_bias, pass1, pass2;
    const float *pass_b;
    tg_cuda_conv v1, own;
    tg_cuda_norm v1_norm;
    tg_cuda_mat v2, v3, sv3;
    const float *v2_b, *v3_b, *sv3_b;
} tg_cuda_net;

struct tg_backend_context {
    const tg_host *host;
    const tg_model *model;
    int device;
    char device_name[256];
    tg_cuda_dtype dtype;
    size_t elem_size;
    tg_cuda_plan plan;
    tg_cuda_net net;
    void **owned; /* every device allocation of the weights, freed with the context */
    size_t num_owned, cap_owned;
    void **host_owned; /* host mirror blocks (tg_cuda_block arrays) */
    size_t num_host_owned, cap_host_owned;
};

struct tg_backend_handle {
    tg_backend_context *context;
    cudaStream_t stream;
    cublasHandle_t blas;
    void *arena;     /* activations, plan.arena for max_batch */
    size_t arena_bytes;
    void *col;       /* im2col rows of the widest k > 1 conv */
    float *io;       /* device float inputs, mask and outputs (staging's twin) */
    float *staging;  /* host float inputs and outputs; pinned memory is later work */
};

/* Builds context->net on the context's device (current on the calling thread). False with err set. */
bool tg_cuda_upload(tg_backend_context *context, char *err, size_t errlen);

/* Frees every device allocation of the weights. */
void tg_cuda_free_weights(tg_backend_context *context);

/* Runs one batch on handle as backend.h's evaluate() describes. */
bool tg_cuda_forward(tg_backend_handle *handle, const tg_nn_inputs *inputs, tg_nn_outputs *outputs, char *err,
                     size_t errlen);

#endif
