/* opencl: the backend plugin that runs KataGo networks on any OpenCL 1.2 device (GPUs, or PoCL on a
 * CPU). This file is the plugin's face: the entry table, device discovery and choice, the context
 * (program, weights on the device) and the handles (queue, kernels, arena). The pass itself is net.c,
 * the kernels kernels.c.
 *
 * Devices are numbered the way KataGo numbers them: every device of every platform, platforms in the
 * order the ICD loader reports them. openclDeviceToUseThread<N> picks the device of server thread N,
 * falling back to openclDeviceToUse; with neither, the first GPU, else the first device. For now one
 * context runs on one device: every thread must resolve to the device of thread 0.
 *
 * Threads. The context is read-only after create(); each handle has its own queue and cl_kernel
 * objects (kernel arguments are per-object state), so handles evaluate concurrently.
 *
 * Config keys read: openclDeviceToUse, openclDeviceToUseThread<N> (0..1023), useFP16Storage, useFP16,
 * openclTuningDir (see choose_precision, choose_tuning_dir and tuning.c). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opencl_internal.h"
#include "../common/host.h"

#define MAX_DEVICES 64
#define MAX_PLATFORMS 16

const char *tg_ocl_status_name(cl_int status) {
    switch (status) {
    case CL_SUCCESS: return "CL_SUCCESS";
    case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND";
    case CL_DEVICE_NOT_AVAILABLE: return "CL_DEVICE_NOT_AVAILABLE";
    case CL_COMPILER_NOT_AVAILABLE: return "CL_COMPILER_NOT_AVAILABLE";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
    case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE";
    case CL_INVALID_VALUE: return "CL_INVALID_VALUE";
    case CL_INVALID_DEVICE: return "CL_INVALID_DEVICE";
    case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE";
    case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS";
    case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE";
    case CL_INVALID_GLOBAL_WORK_SIZE: return "CL_INVALID_GLOBAL_WORK_SIZE";
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "an unnamed OpenCL error";
    }
}

/* ------------------------------------------------------------------ half storage */

static uint16_t half_from_float(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    const uint32_t sign = (x >> 16) & 0x8000u, mag = x & 0x7fffffffu;
    if (mag >= 0x7f800000u) /* infinity stays one, NaN stays a (quiet) NaN */
        return (uint16_t)(sign | 0x7c00u | (mag > 0x7f800000u ? 0x200u : 0u));
    if (mag < 0x38800000u) { /* below the smallest normal half: a multiple of 2^-24, rounded by lrintf */
        float v;
        memcpy(&v, &mag, sizeof v);
        return (uint16_t)(sign | (uint32_t)lrintf(v * 16777216.0f));
    }
    /* rebias the exponent, keep 10 mantissa bits, round the 13 dropped ones to nearest even; a carry
     * out of the mantissa bumps the exponent, up to infinity, as it should */
    uint32_t h = ((((mag >> 23) - 127u + 15u) << 10) | ((mag & 0x7fffffu) >> 13));
    const uint32_t rest = mag & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
        h++;
    return (uint16_t)(sign | h);
}

static float half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) {
        const float v = (float)m * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    const uint32_t x = sign | (e == 31 ? 0x7f800000u : (e - 15u + 127u) << 23) | (m << 13);
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

void tg_ocl_floats_to_halves(const float *src, uint16_t *dst, size_t count) {
    for (size_t i = 0; i < count; i++)
        dst[i] = half_from_float(src[i]);
}

void tg_ocl_halves_to_floats(const uint16_t *src, float *dst, size_t count) {
    for (size_t i = 0; i < count; i++)
        dst[i] = half_to_float(src[i]);
}

/* ------------------------------------------------------------------ devices */

typedef struct device_info {
    cl_device_id id;
    char name[256];     /* "Portable Computing Language: pthread-skylake (CPU)" */
    cl_ulong global_mem, max_alloc;
    bool is_gpu;
} device_info;

/* Lists every device of every platform. Returns the count, or -1 with why set. */
static int enumerate_devices(device_info *out, int max, char *why, size_t whylen) {
    cl_platform_id platforms[MAX_PLATFORMS];
    cl_uint num_platforms = 0;
    cl_int st = clGetPlatformIDs(MAX_PLATFORMS, platforms, &num_platforms);
    if (st != CL_SUCCESS || num_platforms == 0) {
        tg_set_err(why, whylen,
                       "no OpenCL platform found (%s); install an OpenCL driver (ICD), e.g. your GPU vendor's or "
                       "pocl-opencl-icd for the CPU",
                       st == CL_SUCCESS ? "the ICD loader lists none" : tg_ocl_status_name(st));
        return -1;
    }
    if (num_platforms > MAX_PLATFORMS)
        num_platforms = MAX_PLATFORMS;
    int count = 0;
    for (cl_uint p = 0; p < num_platforms && count < max; p++) {
        char pname[128] = "";
        clGetPlatformInfo(platforms[p], CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
        cl_device_id ids[MAX_DEVICES];
        cl_uint n = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES, ids, &n) != CL_SUCCESS)
            continue;
        for (cl_uint d = 0; d < n && d < MAX_DEVICES && count < max; d++) {
            device_info *di = &out[count++];
            char dname[160] = "";
            cl_device_type type = 0;
            di->id = ids[d];
            clGetDeviceInfo(ids[d], CL_DEVICE_NAME, sizeof dname - 1, dname, NULL);
            clGetDeviceInfo(ids[d], CL_DEVICE_TYPE, sizeof type, &type, NULL);
            clGetDeviceInfo(ids[d], CL_DEVICE_GLOBAL_MEM_SIZE, sizeof di->global_mem, &di->global_mem, NULL);
            clGetDeviceInfo(ids[d], CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof di->max_alloc, &di->max_alloc, NULL);
            di->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
            snprintf(di->name, sizeof di->name, "%.90s: %.120s (%s)", pname, dname,
                     di->is_gpu ? "GPU" : (type & CL_DEVICE_TYPE_CPU) ? "CPU" : "accelerator");
        }
    }
    if (count == 0) {
        tg_set_err(why, whylen, "%u OpenCL platform%s found but no device on any of them", (unsigned)num_platforms,
                       num_platforms == 1 ? "" : "s");
        return -1;
    }
    return count;
}

/* The device index for a server thread, from the config, or the default (-1 when none is set). */
static bool configured_device(const tg_host *host, int thread, int *index, char *key, size_t keylen, char *err,
                              size_t errlen) {
    *index = -1;
    snprintf(key, keylen, "openclDeviceToUseThread%d", thread);
    if (!TG_HOST_HAS(host, config_has) || !TG_HOST_HAS(host, config_int))
        return true;
    if (!host->config_has(host->ctx, key)) {
        snprintf(key, keylen, "openclDeviceToUse");
        if (!host->config_has(host->ctx, key))
            return true;
    }
    int64_t v = 0;
    char why[256] = "";
    if (!host->config_int(host->ctx, key, 0, 0, 1023, &v, why, sizeof why)) {
        tg_set_err(err, errlen, "opencl: %s", why);
        return false;
    }
    *index = (int)v;
    return true;
}

/* Resolves thread's device among devs; err names the valid range when the config is out of it. */
static int choose_device(const tg_host *host, int thread, const device_info *devs, int count, char *err,
                         size_t errlen) {
    char key[64];
    int index;
    if (!configured_device(host, thread, &index, key, sizeof key, err, errlen))
        return -1;
    if (index < 0) {
        for (int i = 0; i < count; i++)
            if (devs[i].is_gpu)
                return i;
        return 0;
    }
    if (index >= count) {
        tg_set_err(err, errlen,
                       "opencl: %s = %d, but this machine has %d OpenCL device%s (valid: 0..%d); see `tengen "
                       "list-backends`",
                       key, index, count, count == 1 ? "" : "s", count - 1);
        return -1;
    }
    return index;
}

/* Lists the devices into devs and resolves thread's among them; -1 with err set when there are none
 * or the config names one out of range. */
static int find_device(const tg_host *host, int thread, device_info devs[MAX_DEVICES], char *err, size_t errlen) {
    char why[512];
    const int count = enumerate_devices(devs, MAX_DEVICES, why, sizeof why);
    if (count < 0) {
        tg_set_err(err, errlen, "opencl: %s", why);
        return -1;
    }
    return choose_device(host, thread, devs, count, err, errlen);
}

static bool ocl_probe(const tg_host *host, char *why, size_t whylen) {
    (void)host;
    device_info devs[MAX_DEVICES];
    return enumerate_devices(devs, MAX_DEVICES, why, whylen) > 0;
}

static int ocl_list_devices(const tg_host *host, char *buf, size_t buflen) {
    (void)host;
    device_info devs[MAX_DEVICES];
    int count = enumerate_devices(devs, MAX_DEVICES, buf, buflen);
    if (count < 0 || !buf || buflen == 0)
        return count;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < count && used < buflen; i++) {
        int n = snprintf(buf + used, buflen - used, "%d: %s, %.0f MiB\n", i, devs[i].name,
                         (double)devs[i].global_mem / (1024.0 * 1024.0));
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return count;
}

/* ------------------------------------------------------------------ context */

static bool is_oom(cl_int st) {
    return st == CL_MEM_OBJECT_ALLOCATION_FAILURE || st == CL_OUT_OF_RESOURCES || st == CL_INVALID_BUFFER_SIZE;
}

/* Allocates a device buffer of bytes, with an error that names the device when it does not fit. */
static cl_mem device_buffer(tg_backend_context *cx, cl_mem_flags flags, size_t bytes, const char *what, char *err,
                            size_t errlen, cl_ulong max_alloc) {
    if (max_alloc && bytes > max_alloc) {
        tg_set_err(err, errlen,
                       "opencl: out of device memory: %.1f MiB for %s is more than the %.1f MiB device %d (%s) "
                       "allocates at once; lower nnMaxBatchSize or use a smaller network",
                       (double)bytes / 1048576.0, what, (double)max_alloc / 1048576.0, cx->device_index,
                       cx->device_name);
        return NULL;
    }
    cl_int st = CL_SUCCESS;
    cl_mem mem = clCreateBuffer(cx->cl, flags, bytes, NULL, &st);
    if (!mem || st != CL_SUCCESS) {
        tg_set_err(err, errlen, "opencl: %s allocating %.1f MiB for %s on device %d (%s)",
                       is_oom(st) ? "out of device memory" : tg_ocl_status_name(st), (double)bytes / 1048576.0, what,
                       cx->device_index, cx->device_name);
        return NULL;
    }
    return mem;
}

static void ocl_destroy(tg_backend_context *cx) {
    if (!cx)
        return;
    if (cx->weights_mem)
        clReleaseMemObject(cx->weights_mem);
    if (cx->program)
        clReleaseProgram(cx->program);
    if (cx->cl)
        clReleaseContext(cx->cl);
    for (size_t i = 0; i < cx->num_owned; i++)
        free(cx->owned[i]);
    free(cx->owned);
    free(cx->ropes);
    free(cx->shapes);
    free(cx->weights);
    free(cx);
}

cl_int tg_ocl_build_from_source(cl_context cl, cl_device_id device, cl_uint count, const char *const *sources,
                                const char *options, cl_program *program) {
    cl_int st = CL_SUCCESS;
    *program = clCreateProgramWithSource(cl, count, (const char **)sources, NULL, &st);
    if (!*program)
        return st != CL_SUCCESS ? st : CL_OUT_OF_HOST_MEMORY;
    return clBuildProgram(*program, 1, &device, options, NULL, NULL);
}

tg_ocl_builder_fn tg_ocl_build_program = tg_ocl_build_from_source;

/* Compiles the kernels; a failed build's log is flattened into the one-line error. */
static bool build_program(tg_backend_context *cx, char *err, size_t errlen) {
    const char *const src[3] = {tg_ocl_prelude_source, tg_ocl_gemm_source, tg_ocl_kernel_source};
    char options[256];
    tg_ocl_build_options(&cx->tiles, cx->half_storage, cx->half_compute, options, sizeof options);
    const cl_int st = tg_ocl_build_program(cx->cl, cx->device, 3, src, options, &cx->program);
    if (!cx->program) {
        tg_set_err(err, errlen, "opencl: creating the kernel program failed (%s)", tg_ocl_status_name(st));
        return false;
    }
    if (st != CL_SUCCESS) {
        char log[512] = "";
        clGetProgramBuildInfo(cx->program, cx->device, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, NULL);
        for (char *c = log; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        tg_set_err(err, errlen, "opencl: compiling the kernels for device %d (%s) failed (%s): %s",
                       cx->device_index, cx->device_name, tg_ocl_status_name(st), log);
        return false;
    }
    return true;
}

static bool upload_weights(tg_backend_context *cx, cl_ulong max_alloc, char *err, size_t errlen) {
    cx->weights_mem = device_buffer(cx, CL_MEM_READ_ONLY, cx->elem_size * cx->weight_floats, "the network's weights",
                                    err, errlen, max_alloc);
    if (!cx->weights_mem)
        return false;
    /* half storage converts everything into one host array first, written at once */
    uint16_t *halves = cx->half_storage ? malloc(sizeof(uint16_t) * (cx->weight_floats ? cx->weight_floats : 1)) : NULL;
    if (cx->half_storage && !halves) {
        tg_set_err(err, errlen, "opencl: out of host memory converting the weights to half precision");
        return false;
    }
    cl_int st = CL_SUCCESS;
    cl_command_queue q = clCreateCommandQueue(cx->cl, cx->device, 0, &st);
    if (!q) {
        free(halves);
        tg_set_err(err, errlen, "opencl: creating a command queue on device %d (%s) failed (%s)", cx->device_index,
                       cx->device_name, tg_ocl_status_name(st));
        return false;
    }
    for (size_t i = 0; i < cx->num_weights && st == CL_SUCCESS; i++) {
        const tg_ocl_weight *w = &cx->weights[i];
        if (halves)
            tg_ocl_floats_to_halves(w->host, halves + w->offset, w->count);
        else
            st = clEnqueueWriteBuffer(q, cx->weights_mem, CL_FALSE, sizeof(float) * w->offset,
                                      sizeof(float) * w->count, w->host, 0, NULL, NULL);
    }
    if (halves && st == CL_SUCCESS && cx->weight_floats)
        st = clEnqueueWriteBuffer(q, cx->weights_mem, CL_TRUE, 0, sizeof(uint16_t) * cx->weight_floats, halves, 0,
                                  NULL, NULL);
    const cl_int fin = clFinish(q);
    clReleaseCommandQueue(q);
    free(halves);
    if (st == CL_SUCCESS)
        st = fin;
    if (st != CL_SUCCESS) {
        tg_set_err(err, errlen, "opencl: %s uploading %.1f MiB of weights to device %d (%s)",
                       is_oom(st) ? "out of device memory" : tg_ocl_status_name(st),
                       (double)(cx->weight_floats * cx->elem_size) / 1048576.0, cx->device_index, cx->device_name);
        return false;
    }
    return true;
}

bool tg_ocl_device_has_extension(cl_device_id device, const char *name) {
    size_t size = 0;
    if (clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, 0, NULL, &size) != CL_SUCCESS || size == 0)
        return false;
    char *list = malloc(size + 1);
    bool found = false;
    if (list && clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, size, list, NULL) == CL_SUCCESS) {
        list[size] = '\0';
        const size_t n = strlen(name);
        for (const char *at = strstr(list, name); at && !found; at = strstr(at + 1, name))
            found = (at == list || at[-1] == ' ') && (at[n] == ' ' || at[n] == '\0');
    }
    free(list);
    return found;
}

tg_ocl_extension_fn tg_ocl_has_extension = tg_ocl_device_has_extension;

/* useFP16Storage and useFP16 (KataGo's keys, auto|true|false).
 * Storage: half storage halves the memory traffic, which GPUs are bound by, while CPUs (PoCL) pay for
 * the conversions: auto is half on GPUs only.
 * Arithmetic: useFP16 = true is half arithmetic in the gemm (kernels.c), which needs cl_khr_fp16 and
 * half storage (it overrides useFP16Storage = false: the half gemm reads halves). auto asks the tuner
 * on a GPU with cl_khr_fp16 and half storage (FP16 only where its gemm times faster; it costs some
 * accuracy, so it must pay for it), and is FP32 elsewhere: CPUs emulate half arithmetic, if at all. */
static bool choose_precision(const tg_host *host, tg_backend_context *cx, char *err, size_t errlen) {
    const char *storage = "auto", *compute = "auto";
    char why[256] = "";
    if (TG_HOST_HAS(host, config_enum) &&
        (!host->config_enum(host->ctx, "useFP16Storage", "auto", "auto|true|false", &storage, why, sizeof why) ||
         !host->config_enum(host->ctx, "useFP16", "auto", "auto|true|false", &compute, why, sizeof why))) {
        tg_set_err(err, errlen, "opencl: %s", why);
        return false;
    }
    cl_device_type type = 0;
    clGetDeviceInfo(cx->device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    const bool gpu = (type & CL_DEVICE_TYPE_GPU) != 0, fp16 = tg_ocl_has_extension(cx->device, "cl_khr_fp16");
    if (strcmp(compute, "true") == 0 && !fp16) {
        tg_set_err(err, errlen,
                       "opencl: useFP16 = true, but device %d (%s) has no cl_khr_fp16; set useFP16 = auto, or "
                       "useFP16Storage = true for half storage with FP32 arithmetic",
                       cx->device_index, cx->device_name);
        return false;
    }
    if (strcmp(storage, "auto") == 0)
        cx->half_storage = gpu;
    else
        cx->half_storage = strcmp(storage, "true") == 0;
    if (strcmp(compute, "true") == 0) {
        cx->precision_asked = TG_OCL_HALF;
        snprintf(cx->precision_why, sizeof cx->precision_why, "useFP16 = true%s",
                 strcmp(storage, "false") == 0 ? ", which stores halves whatever useFP16Storage says" : "");
        cx->half_storage = true;
    } else if (strcmp(compute, "false") == 0) {
        cx->precision_asked = TG_OCL_FLOAT;
        snprintf(cx->precision_why, sizeof cx->precision_why, "useFP16 = false");
    } else if (!gpu || !fp16 || !cx->half_storage) {
        cx->precision_asked = TG_OCL_FLOAT;
        snprintf(cx->precision_why, sizeof cx->precision_why, "useFP16 = auto, and %s",
                 !gpu    ? "the device is not a GPU"
                 : !fp16 ? "the device has no cl_khr_fp16"
                         : "useFP16Storage = false");
    } else {
        cx->precision_asked = TG_OCL_HALF_AUTO; /* tg_ocl_tune() decides and says why */
    }
    cx->half_compute = cx->precision_asked == TG_OCL_HALF;
    cx->elem_size = cx->half_storage ? sizeof(uint16_t) : sizeof(float);
    return true;
}

/* openclTuningDir, else $XDG_CACHE_HOME/tengen/opencl, else $HOME/.cache/tengen/opencl; empty: none. */
static bool choose_tuning_dir(const tg_host *host, char *buf, size_t buflen) {
    const char *dir = TG_HOST_HAS(host, config_string) ? host->config_string(host->ctx, "openclTuningDir") : NULL;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (dir)
        snprintf(buf, buflen, "%s", dir);
    else if (xdg && *xdg)
        snprintf(buf, buflen, "%s/tengen/opencl", xdg);
    else if (home && *home)
        snprintf(buf, buflen, "%s/.cache/tengen/opencl", home);
    else
        buf[0] = '\0';
    return true;
}

static tg_backend_context *ocl_create(const tg_host *host, const tg_model *model, const tg_backend_options *options,
                                      char *err, size_t errlen) {
    if (!options || options->struct_size < offsetof(tg_backend_options, num_handles) + sizeof(options->num_handles)) {
        tg_set_err(err, errlen, "opencl: create() got no options, or options from an older core");
        return NULL;
    }
    if (!model) {
        tg_set_err(err, errlen, "opencl: create() got no model");
        return NULL;
    }
    if (model->abi_version != TG_MODEL_ABI_VERSION) {
        tg_set_err(err, errlen,
                       "opencl: the core's model structs are ABI version %u, this plugin reads version %d; rebuild "
                       "the plugin against this tengen",
                       (unsigned)model->abi_version, TG_MODEL_ABI_VERSION);
        return NULL;
    }
    if (options->nn_x_len < 1 || options->nn_y_len < 1 || options->nn_x_len > 64 || options->nn_y_len > 64 ||
        options->max_batch_size < 1) {
        tg_set_err(err, errlen, "opencl: board tensor %dx%d with batch size %d is out of range", options->nn_x_len,
                       options->nn_y_len, options->max_batch_size);
        return NULL;
    }
    device_info devs[MAX_DEVICES];
    const int index = find_device(host, 0, devs, err, errlen);
    if (index < 0)
        return NULL;

    tg_backend_context *cx = calloc(1, sizeof *cx);
    if (!cx) {
        tg_set_err(err, errlen, "opencl: out of memory creating the context");
        return NULL;
    }
    cx->host = host;
    cx->model = model;
    cx->nn_x = options->nn_x_len;
    cx->nn_y = options->nn_y_len;
    cx->hw = cx->nn_x * cx->nn_y;
    cx->max_batch = options->max_batch_size;
    cx->device_index = index;
    cx->device = devs[index].id;
    snprintf(cx->device_name, sizeof cx->device_name, "%s", devs[index].name);

    if (!tg_ocl_plan(cx, err, errlen)) {
        ocl_destroy(cx);
        return NULL;
    }
    cl_int st = CL_SUCCESS;
    cx->cl = clCreateContext(NULL, 1, &cx->device, NULL, NULL, &st);
    if (!cx->cl) {
        tg_set_err(err, errlen, "opencl: creating a context on device %d (%s) failed (%s)", index, cx->device_name,
                       tg_ocl_status_name(st));
        ocl_destroy(cx);
        return NULL;
    }
    char tuning_dir[4096];
    if (!choose_precision(host, cx, err, errlen) || !choose_tuning_dir(host, tuning_dir, sizeof tuning_dir) ||
        !tg_ocl_tune(cx, tuning_dir[0] ? tuning_dir : NULL, err, errlen) || !build_program(cx, err, errlen) ||
        !upload_weights(cx, devs[index].max_alloc, err, errlen)) {
        ocl_destroy(cx);
        return NULL;
    }
    tg_host_log(host, TG_LOG_INFO, "opencl: %s arithmetic with %s storage (%s)", cx->half_compute ? "FP16" : "FP32",
                cx->half_storage ? "FP16" : "FP32", cx->precision_why);
    tg_host_log(host, TG_LOG_INFO,
             "opencl: model %s (version %d, %d trunk blocks x %d channels%s) on device %d (%s), board tensor %dx%d, "
             "batch up to %d, %s arithmetic, %s storage, %.1f MiB weights, %.1f MiB activations per thread",
             model->name ? model->name : "?", (int)model->version, (int)model->trunk.num_blocks,
             (int)model->trunk.channels, model->has_transformer ? ", transformer" : "", index, cx->device_name,
             cx->nn_x, cx->nn_y, cx->max_batch, cx->half_compute ? "FP16" : "FP32", cx->half_storage ? "FP16" : "FP32",
             (double)(cx->weight_floats * cx->elem_size) / 1048576.0,
             (double)(cx->arena_floats * cx->elem_size) / 1048576.0);
    return cx;
}

/* ------------------------------------------------------------------ handles */

static void ocl_handle_destroy(tg_backend_handle *h) {
    if (!h)
        return;
    for (int k = 0; k < TG_OCL_NUM_KERNELS; k++)
        if (h->kernels[k])
            clReleaseKernel(h->kernels[k]);
    if (h->arena)
        clReleaseMemObject(h->arena);
    if (h->queue) {
        clFinish(h->queue); /* PoCL aborts when a queue is released with work still in it */
        clReleaseCommandQueue(h->queue);
    }
    free(h->host_mask);
    free(h->staging);
    free(h);
}

static tg_backend_handle *ocl_handle_create(tg_backend_context *cx, int thread_index, char *err, size_t errlen) {
    if (!cx) {
        tg_set_err(err, errlen, "opencl: handle_create() got no context");
        return NULL;
    }
    device_info devs[MAX_DEVICES];
    const int index = find_device(cx->host, thread_index, devs, err, errlen);
    if (index < 0)
        return NULL;
    if (index != cx->device_index) {
        tg_set_err(err, errlen,
                       "opencl: server thread %d is set to device %d but the model was loaded on device %d; this "
                       "backend runs one model on one device for now (set the same openclDeviceToUseThread<N>)",
                       thread_index, index, cx->device_index);
        return NULL;
    }
    tg_backend_handle *h = calloc(1, sizeof *h);
    if (!h) {
        tg_set_err(err, errlen, "opencl: out of memory creating a handle");
        return NULL;
    }
    h->context = cx;
    h->host_mask = malloc(sizeof(float) * (size_t)cx->max_batch * (size_t)(cx->hw + 1));
    if (cx->half_storage && h->host_mask) {
        h->staging = malloc(sizeof(uint16_t) * tg_ocl_io_max_floats(cx));
        if (!h->staging) {
            free(h->host_mask);
            h->host_mask = NULL;
        }
    }
    cl_int st = CL_SUCCESS;
    h->queue = clCreateCommandQueue(cx->cl, cx->device, 0, &st);
    if (!h->host_mask || !h->queue) {
        tg_set_err(err, errlen, "opencl: creating a command queue on device %d (%s) failed (%s)", cx->device_index,
                       cx->device_name, h->host_mask ? tg_ocl_status_name(st) : "out of host memory");
        ocl_handle_destroy(h);
        return NULL;
    }
    for (int k = 0; k < TG_OCL_NUM_KERNELS; k++) {
        h->kernels[k] = clCreateKernel(cx->program, tg_ocl_kernel_names[k], &st);
        if (!h->kernels[k]) {
            tg_set_err(err, errlen, "opencl: kernel %s is missing from the program (%s)", tg_ocl_kernel_names[k],
                           tg_ocl_status_name(st));
            ocl_handle_destroy(h);
            return NULL;
        }
    }
    char what[64];
    snprintf(what, sizeof what, "the activations of server thread %d", thread_index);
    h->arena = device_buffer(cx, CL_MEM_READ_WRITE, cx->elem_size * cx->arena_floats, what, err, errlen,
                             devs[index].max_alloc);
    if (!h->arena) {
        ocl_handle_destroy(h);
        return NULL;
    }
    return h;
}

static bool ocl_evaluate(tg_backend_handle *h, const tg_nn_inputs *inputs, tg_nn_outputs *outputs, char *err,
                         size_t errlen) {
    if (!h) {
        tg_set_err(err, errlen, "opencl: evaluate() got no handle");
        return false;
    }
    return tg_ocl_forward(h, inputs, outputs, err, errlen);
}

static const tg_backend ocl_backend = {
    .struct_size = sizeof(tg_backend),
    .abi_version = TG_BACKEND_ABI_VERSION,
    .name = "opencl",
    .description = "FP32 or FP16 arithmetic (cl_khr_fp16), FP32 or FP16 storage, on any OpenCL 1.2 device (GPUs, "
                   "or PoCL on the CPU)",
    .capabilities = TG_BACKEND_CAP_FP32 | TG_BACKEND_CAP_FP16 | TG_BACKEND_CAP_GPU,
    .probe = ocl_probe,
    .list_devices = ocl_list_devices,
    .create = ocl_create,
    .destroy = ocl_destroy,
    .handle_create = ocl_handle_create,
    .handle_destroy = ocl_handle_destroy,
    .evaluate = ocl_evaluate,
};

/* The entry point the core looks up (TG_BACKEND_ENTRY_SYMBOL). */
const tg_backend *tg_backend_v1(const tg_host *host);

__attribute__((visibility("default"))) const tg_backend *tg_backend_v1(const tg_host *host) {
    (void)host;
    return &ocl_backend;
}
