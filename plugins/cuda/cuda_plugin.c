/* cuda-fp16: the backend plugin that runs KataGo networks on NVIDIA GPUs through the CUDA runtime and
 * cuBLAS, in FP16 storage with FP32 accumulation (useFP16 = false: FP32 throughout, same module).
 * This file is the plugin's face: the entry table, device discovery and choice, the context (weights
 * on the device, net.c) and the handles (stream, cuBLAS handle, buffers).
 *
 * Without a usable GPU nothing here may crash: probe() and create() ask the runtime for its device
 * count first and turn every failure (no driver, no device, too old a device) into one line. A
 * missing libcudart.so itself is reported by the core's loader, which names the library.
 *
 * Config keys read: cudaDeviceToUse, cudaDeviceToUseThread<N>, useFP16 (auto|true|false). The batch
 * size comes from the core (nnMaxBatchSize). One context runs on one device: every server thread
 * must resolve to the device of thread 0 (per-device weight copies are later work), as must the
 * handles. CUDA graphs per batch size and pinned staging buffers are later work too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_internal.h"
#include "../common/host.h"

/* ------------------------------------------------------------------ devices */

/* The device count, or -1 with why set: the runtime's own words plus what usually fixes it. The
 * backend's name leads the message except in probe(), whose caller names the backend already. */
static int device_count(bool named, char *why, size_t whylen) {
    const char *prefix = named ? TG_CUDA_NAME ": " : "";
    int count = 0;
    cudaError_t st = cudaGetDeviceCount(&count);
    if (st != cudaSuccess) {
        const char *hint = (st == cudaErrorInsufficientDriver || st == cudaErrorNoDevice)
                               ? "; is the NVIDIA driver (libcuda.so.1) installed and a GPU present?"
                               : "";
        tg_set_err(why, whylen, "%sno usable CUDA device: cudaGetDeviceCount failed: %s (%s)%s", prefix,
                        cudaGetErrorString(st), cudaGetErrorName(st), hint);
        return -1;
    }
    if (count <= 0) {
        tg_set_err(why, whylen, "%sthe CUDA runtime sees no device", prefix);
        return -1;
    }
    return count;
}

static bool device_props(int index, struct cudaDeviceProp *prop, char *why, size_t whylen) {
    cudaError_t st = cudaGetDeviceProperties(prop, index);
    if (st != cudaSuccess) {
        tg_set_err(why, whylen, TG_CUDA_NAME ": cannot query CUDA device %d: %s", index, cudaGetErrorString(st));
        return false;
    }
    return true;
}

static bool too_old(const struct cudaDeviceProp *prop) { return prop->major < TG_CUDA_MIN_MAJOR; }

static bool cu_probe(const tg_host *host, char *why, size_t whylen) {
    (void)host;
    int count = device_count(false, why, whylen);
    if (count < 0)
        return false;
    struct cudaDeviceProp prop;
    for (int i = 0; i < count; i++)
        if (device_props(i, &prop, NULL, 0) && !too_old(&prop))
            return true;
    if (device_props(0, &prop, why, whylen))
        tg_set_err(why, whylen,
                        "no CUDA device is new enough: device 0 (%s) has compute capability %d.%d, "
                                     "the kernels need %d.0 or newer",
                        prop.name, prop.major, prop.minor, TG_CUDA_MIN_MAJOR);
    return false;
}

static int cu_list_devices(const tg_host *host, char *buf, size_t buflen) {
    (void)host;
    int count = device_count(false, buf, buflen);
    if (count < 0 || !buf || buflen == 0)
        return count;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < count && used < buflen; i++) {
        struct cudaDeviceProp prop;
        int n = device_props(i, &prop, NULL, 0)
                    ? snprintf(buf + used, buflen - used, "%d: %s, compute capability %d.%d, %.0f MiB%s\n", i,
                               prop.name, prop.major, prop.minor, (double)prop.totalGlobalMem / 1048576.0,
                               too_old(&prop) ? " (too old for " TG_CUDA_NAME ")" : "")
                    : snprintf(buf + used, buflen - used, "%d: (cannot be queried)\n", i);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return count;
}

/* The device index configured for a server thread, or 0 when none is (KataGo's default). */
static bool configured_device(const tg_host *host, int thread, int *index, char *key, size_t keylen, char *err,
                              size_t errlen) {
    *index = 0;
    snprintf(key, keylen, "cudaDeviceToUseThread%d", thread);
    if (!TG_HOST_HAS(host, config_has) || !TG_HOST_HAS(host, config_int))
        return true;
    if (!host->config_has(host->ctx, key)) {
        snprintf(key, keylen, "cudaDeviceToUse");
        if (!host->config_has(host->ctx, key))
            return true;
    }
    int64_t v = 0;
    char why[256] = "";
    if (!host->config_int(host->ctx, key, 0, 0, 1023, &v, why, sizeof why)) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": %s", why);
        return false;
    }
    *index = (int)v;
    return true;
}

/* useFP16: auto and true mean FP16 storage (every sm_70+ GPU runs it at speed), false means FP32. */
static bool choose_dtype(const tg_host *host, tg_cuda_dtype *dt, char *err, size_t errlen) {
    *dt = TG_CUDA_F16;
    if (!TG_HOST_HAS(host, config_enum))
        return true;
    const char *choice = NULL;
    char why[256] = "";
    if (!host->config_enum(host->ctx, "useFP16", "auto", "auto|true|false", &choice, why, sizeof why)) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": %s", why);
        return false;
    }
    if (choice && !strcmp(choice, "false"))
        *dt = TG_CUDA_F32;
    return true;
}

/* ------------------------------------------------------------------ context */

static void cu_destroy(tg_backend_context *cx) {
    if (!cx)
        return;
    if (cx->num_owned)
        cudaSetDevice(cx->device);
    tg_cuda_free_weights(cx);
    free(cx);
}

static tg_backend_context *cu_create(const tg_host *host, const tg_model *model, const tg_backend_options *options,
                                     char *err, size_t errlen) {
    if (!model || !options || options->struct_size < offsetof(tg_backend_options, num_handles) + sizeof(int32_t)) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": create() got no model or too old an options struct");
        return NULL;
    }
    tg_backend_context *cx = calloc(1, sizeof *cx);
    if (!cx) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": out of host memory");
        return NULL;
    }
    cx->host = host;
    cx->model = model;
    if (!choose_dtype(host, &cx->dtype, err, errlen) ||
        !tg_cuda_plan_build(model, options->nn_x_len, options->nn_y_len, options->max_batch_size, TG_CUDA_NAME,
                            &cx->plan, err, errlen))
        goto fail;
    cx->elem_size = cx->dtype == TG_CUDA_F16 ? 2 : 4;

    /* the device: every thread's choice must agree with thread 0's */
    char key[64], key0[64];
    if (!configured_device(host, 0, &cx->device, key0, sizeof key0, err, errlen))
        goto fail;
    for (int t = 1; t < options->num_handles; t++) {
        int index;
        if (!configured_device(host, t, &index, key, sizeof key, err, errlen))
            goto fail;
        if (index != cx->device) {
            tg_set_err(err, errlen,
                            TG_CUDA_NAME ": %s = %d but %s = %d; one model runs on one GPU for now (load it once per "
                                         "GPU instead, or use the same device for every thread)",
                            key, index, key0, cx->device);
            goto fail;
        }
    }
    int count = device_count(true, err, errlen);
    if (count < 0)
        goto fail;
    if (cx->device >= count) {
        tg_set_err(err, errlen,
                        TG_CUDA_NAME ": %s = %d, but this machine has %d CUDA device%s (valid: 0..%d); see `tengen "
                                     "list-backends`",
                        key0, cx->device, count, count == 1 ? "" : "s", count - 1);
        goto fail;
    }
    struct cudaDeviceProp prop;
    if (!device_props(cx->device, &prop, err, errlen))
        goto fail;
    snprintf(cx->device_name, sizeof cx->device_name, "%s", prop.name);
    if (too_old(&prop)) {
        tg_set_err(err, errlen,
                        TG_CUDA_NAME ": CUDA device %d (%s) has compute capability %d.%d; the kernels need %d.0 or "
                                     "newer (use the opencl backend on this GPU)",
                        cx->device, prop.name, prop.major, prop.minor, TG_CUDA_MIN_MAJOR);
        goto fail;
    }
    cudaError_t st = cudaSetDevice(cx->device);
    size_t free_bytes = 0, total_bytes = 0;
    if (st == cudaSuccess)
        st = cudaMemGetInfo(&free_bytes, &total_bytes);
    if (st != cudaSuccess) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": cannot use CUDA device %d (%s): %s", cx->device, prop.name,
                        cudaGetErrorString(st));
        goto fail;
    }
    st = tg_cuda_kernels_check();
    if (st != cudaSuccess) {
        tg_set_err(err, errlen,
                        TG_CUDA_NAME ": this build's kernels cannot run on CUDA device %d (%s, compute capability "
                                     "%d.%d): %s; rebuild with a CUDA toolkit that supports this GPU",
                        cx->device, prop.name, prop.major, prop.minor, cudaGetErrorString(st));
        goto fail;
    }
    const int handles = options->num_handles > 0 ? options->num_handles : 1;
    const size_t need = tg_cuda_plan_weight_bytes(&cx->plan, cx->elem_size) +
                        (size_t)handles * tg_cuda_plan_handle_bytes(&cx->plan, cx->plan.max_batch, cx->elem_size);
    if (need > free_bytes) {
        const int fits = tg_cuda_plan_fit(&cx->plan, free_bytes, handles, cx->elem_size);
        tg_set_err(err, errlen,
                        TG_CUDA_NAME ": out of device memory: %.0f MiB needed for nnMaxBatchSize %d and %d thread%s, "
                                     "device %d (%s) has %.0f MiB free; %s",
                        (double)need / 1048576.0, cx->plan.max_batch, handles, handles == 1 ? "" : "s", cx->device,
                        prop.name, (double)free_bytes / 1048576.0,
                        fits > 0 ? "lower nnMaxBatchSize (it fits up to about that)" : "use a smaller network");
        goto fail;
    }
    if (!tg_cuda_upload(cx, err, errlen))
        goto fail;
    tg_host_log(host, TG_LOG_INFO, "%s: device %d (%s, compute capability %d.%d), %s, %.0f MiB of weights",
             TG_CUDA_NAME, cx->device, prop.name, prop.major, prop.minor,
             cx->dtype == TG_CUDA_F16 ? "FP16 storage, FP32 accumulation" : "FP32",
             (double)tg_cuda_plan_weight_bytes(&cx->plan, cx->elem_size) / 1048576.0);
    return cx;
fail:
    cu_destroy(cx);
    return NULL;
}

/* ------------------------------------------------------------------ handles */

static void cu_handle_destroy(tg_backend_handle *h) {
    if (!h)
        return;
    if (h->context)
        cudaSetDevice(h->context->device);
    if (h->blas)
        cublasDestroy(h->blas);
    if (h->stream)
        cudaStreamDestroy(h->stream);
    cudaFree(h->arena);
    cudaFree(h->col);
    cudaFree(h->io);
    free(h->staging);
    free(h);
}

static tg_backend_handle *cu_handle_create(tg_backend_context *cx, int thread_index, char *err, size_t errlen) {
    tg_backend_handle *h = calloc(1, sizeof *h);
    if (!h) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": out of host memory");
        return NULL;
    }
    h->context = cx;
    const tg_cuda_plan *pl = &cx->plan;
    const size_t b = (size_t)pl->max_batch, hw = (size_t)pl->hw;
    h->arena_bytes = (b * hw * pl->arena.spatial + b * pl->arena.vector) * cx->elem_size +
                     pl->arena.takes * TG_CUDA_ALIGN;
    const size_t col_bytes = b * hw * pl->col_per_point * cx->elem_size + TG_CUDA_ALIGN;
    const size_t io_bytes = b * pl->io_floats_per_entry * sizeof(float);
    const char *step = "cudaSetDevice";
    cudaError_t st = cudaSetDevice(cx->device);
    if (st == cudaSuccess && (step = "cudaStreamCreate", st = cudaStreamCreateWithFlags(&h->stream, cudaStreamNonBlocking)) == cudaSuccess &&
        (step = "allocating the activations", st = cudaMalloc(&h->arena, h->arena_bytes)) == cudaSuccess &&
        (step = "allocating the im2col workspace", st = cudaMalloc(&h->col, col_bytes)) == cudaSuccess &&
        (step = "allocating the input/output buffers", st = cudaMalloc((void **)&h->io, io_bytes)) == cudaSuccess) {
        cublasStatus_t bs = cublasCreate(&h->blas);
        if (bs == CUBLAS_STATUS_SUCCESS)
            bs = cublasSetStream(h->blas, h->stream);
        if (bs != CUBLAS_STATUS_SUCCESS) {
            tg_set_err(err, errlen, TG_CUDA_NAME ": creating a cuBLAS handle for thread %d on device %d (%s) failed: %s",
                            thread_index, cx->device, cx->device_name, cublasGetStatusString(bs));
            cu_handle_destroy(h);
            return NULL;
        }
        h->staging = malloc(io_bytes ? io_bytes : 1);
        if (!h->staging) {
            tg_set_err(err, errlen, TG_CUDA_NAME ": out of host memory for thread %d's staging buffer",
                            thread_index);
            cu_handle_destroy(h);
            return NULL;
        }
        return h;
    }
    tg_set_err(err, errlen, TG_CUDA_NAME ": %s for thread %d on device %d (%s) failed: %s", step, thread_index,
                    cx->device, cx->device_name, cudaGetErrorString(st));
    cu_handle_destroy(h);
    return NULL;
}

static bool cu_evaluate(tg_backend_handle *h, const tg_nn_inputs *in, tg_nn_outputs *out, char *err, size_t errlen) {
    if (!h || !in || !out || in->struct_size < offsetof(tg_nn_inputs, meta) + sizeof(in->meta) ||
        out->struct_size < offsetof(tg_nn_outputs, ownership) + sizeof(out->ownership)) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": evaluate() got missing or too-old input/output structs");
        return false;
    }
    const tg_backend_context *cx = h->context;
    if (in->batch_size < 1 || in->batch_size > cx->plan.max_batch) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": batch size %d is outside 1..%d", in->batch_size,
                        cx->plan.max_batch);
        return false;
    }
    if (!in->spatial || !in->global || !out->policy || !out->policy_pass || !out->value || !out->score_value ||
        !out->ownership) {
        tg_set_err(err, errlen, TG_CUDA_NAME ": evaluate() got a NULL input or output buffer");
        return false;
    }
    if (cx->model->trunk.has_meta_encoder && !in->meta) {
        tg_set_err(err, errlen,
                        TG_CUDA_NAME ": model '%s' needs SGF metadata inputs (set humanSLProfile) but the batch has none",
                        cx->model->name ? cx->model->name : "");
        return false;
    }
    return tg_cuda_forward(h, in, out, err, errlen);
}

/* ------------------------------------------------------------------ entry */

static const tg_backend cuda_backend = {
    .struct_size = sizeof(tg_backend),
    .abi_version = TG_BACKEND_ABI_VERSION,
    .name = TG_CUDA_NAME,
    .description = "NVIDIA GPUs through CUDA and cuBLAS: FP16 storage with FP32 accumulation (useFP16 = false: FP32)",
    .capabilities = TG_BACKEND_CAP_FP32 | TG_BACKEND_CAP_FP16 | TG_BACKEND_CAP_GPU,
    .probe = cu_probe,
    .list_devices = cu_list_devices,
    .create = cu_create,
    .destroy = cu_destroy,
    .handle_create = cu_handle_create,
    .handle_destroy = cu_handle_destroy,
    .evaluate = cu_evaluate,
};

const tg_backend *tg_backend_v1(const tg_host *host);

const tg_backend *tg_backend_v1(const tg_host *host) {
    (void)host;
    return &cuda_backend;
}
