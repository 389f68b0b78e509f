/* blas-cpu: tengen's reference backend. FP32 on the CPU, matrix products through OpenBLAS.
 *
 * It runs every layer kind a KataGo model of versions 8 to 17 can contain (ordinary, global-pooling
 * and nested-bottleneck residual blocks, transformer attention with grouped KV heads and fixed or
 * learned RoPE, SwiGLU feed-forward blocks, batch-norm or RMS-norm trunk tips, the SGF metadata
 * encoder) and is what the other backends are compared against; its 3x3 and 5x5 convolutions run
 * as Winograd transforms (winograd.c).
 *
 * Threads. The context holds only the model (read-only, owned by the core) and tables derived from
 * it; each handle owns all the memory an evaluation writes, so handles of one context run in
 * parallel without locks. tengen runs one handle per NN server thread, the way KataGo's Eigen
 * backend runs one single-threaded evaluator per server thread. OpenBLAS's thread count is one
 * setting for the whole process: blasCpuThreads = N when the config has it, else OPENBLAS_NUM_THREADS
 * when the environment has it, else the cores divided among the server threads (1 each when there
 * are as many servers as cores; all of them for a single server's big batches).
 *
 * Config keys read: blasCpuThreads (optional, 1..1024). */
#include <cblas.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forward.h"
#include "tengen/backend.h"
#include "../common/host.h"

#define THREADS_KEY "blasCpuThreads"

struct tg_backend_context {
    const tg_host *host;
    tg_blas_net *net;
};

struct tg_backend_handle {
    tg_backend_context *context;
    tg_blas_scratch *scratch;
};

static bool blas_probe(const tg_host *host, char *why, size_t whylen) {
    (void)host;
    (void)why;
    (void)whylen;
    /* the plugin links OpenBLAS directly: if it loaded, the library is there, and a CPU always is */
    return true;
}

static int blas_list_devices(const tg_host *host, char *buf, size_t buflen) {
    (void)host;
    /* openblas_get_config() reads "OpenBLAS 0.3.21 DYNAMIC_ARCH ... MAX_THREADS=64" */
    tg_set_err(buf, buflen, "0: CPU (%s, using %d threads)", openblas_get_config(), openblas_get_num_threads());
    return 1;
}

/* Sets OpenBLAS's thread count (see the top of the file): the default shares the cores out among
 * the num_handles server threads, at least one each, so that several servers do not each start a
 * thread per core and fight over them. */
static bool apply_thread_setting(const tg_host *host, int num_handles, char *err, size_t errlen) {
    int64_t threads = 0;
    if (TG_HOST_HAS(host, config_has) && TG_HOST_HAS(host, config_int) && host->config_has(host->ctx, THREADS_KEY)) {
        char why[256] = "";
        if (!host->config_int(host->ctx, THREADS_KEY, 0, 1, 1024, &threads, why, sizeof why)) {
            tg_set_err(err, errlen, "blas-cpu: %s", why);
            return false;
        }
    } else if (getenv("OPENBLAS_NUM_THREADS")) {
        return true; /* the user's choice, which OpenBLAS read when it loaded */
    } else {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores / (num_handles > 0 ? num_handles : 1);
        if (threads < 1)
            threads = 1;
    }
    openblas_set_num_threads((int)threads);
    return true;
}

static tg_backend_context *blas_create(const tg_host *host, const tg_model *model, const tg_backend_options *options,
                                       char *err, size_t errlen) {
    if (!options || options->struct_size < offsetof(tg_backend_options, num_handles) + sizeof(options->num_handles)) {
        tg_set_err(err, errlen, "blas-cpu: create() got no options, or options from an older core");
        return NULL;
    }
    if (!model) {
        tg_set_err(err, errlen, "blas-cpu: create() got no model");
        return NULL;
    }
    if (!apply_thread_setting(host, options->num_handles, err, errlen))
        return NULL;

    tg_backend_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        tg_set_err(err, errlen, "blas-cpu: out of memory creating the context");
        return NULL;
    }
    ctx->host = host;
    ctx->net = tg_blas_net_create(model, options->nn_x_len, options->nn_y_len, options->max_batch_size, err, errlen);
    if (!ctx->net) {
        free(ctx);
        return NULL;
    }
    /* an A/B switch for measuring, not a tuning knob: Winograd is faster wherever it applies */
    const char *wino = getenv("TENGEN_BLAS_CPU_WINOGRAD");
    if (wino && strcmp(wino, "0") == 0)
        tg_blas_net_set_winograd(ctx->net, false);
    tg_host_log(host, TG_LOG_INFO,
             "blas-cpu: model %s (version %d, %d trunk blocks x %d channels%s), board tensor %dx%d, batch up to %d, "
             "%.1f MiB scratch per thread; %s, using %d threads",
             model->name ? model->name : "?", (int)model->version, (int)model->trunk.num_blocks,
             (int)model->trunk.channels, model->has_transformer ? ", transformer" : "", options->nn_x_len,
             options->nn_y_len, options->max_batch_size,
             (double)tg_blas_scratch_bytes(ctx->net) / (1024.0 * 1024.0), openblas_get_config(),
             openblas_get_num_threads());
    return ctx;
}

static void blas_destroy(tg_backend_context *context) {
    if (!context)
        return;
    tg_blas_net_destroy(context->net);
    free(context);
}

static tg_backend_handle *blas_handle_create(tg_backend_context *context, int thread_index, char *err,
                                             size_t errlen) {
    (void)thread_index; /* every thread gets the same CPU; nothing is per-device */
    if (!context) {
        tg_set_err(err, errlen, "blas-cpu: handle_create() got no context");
        return NULL;
    }
    tg_backend_handle *h = calloc(1, sizeof *h);
    if (!h) {
        tg_set_err(err, errlen, "blas-cpu: out of memory creating a handle");
        return NULL;
    }
    h->context = context;
    h->scratch = tg_blas_scratch_create(context->net, err, errlen);
    if (!h->scratch) {
        free(h);
        return NULL;
    }
    return h;
}

static void blas_handle_destroy(tg_backend_handle *handle) {
    if (!handle)
        return;
    tg_blas_scratch_destroy(handle->scratch);
    free(handle);
}

static bool blas_evaluate(tg_backend_handle *handle, const tg_nn_inputs *inputs, tg_nn_outputs *outputs, char *err,
                          size_t errlen) {
    if (!handle) {
        tg_set_err(err, errlen, "blas-cpu: evaluate() got no handle");
        return false;
    }
    return tg_blas_forward(handle->context->net, handle->scratch, inputs, outputs, err, errlen);
}

static const tg_backend blas_backend = {
    .struct_size = sizeof(tg_backend),
    .abi_version = TG_BACKEND_ABI_VERSION,
    .name = "blas-cpu",
    .description = "FP32 reference backend on the CPU (OpenBLAS)",
    .capabilities = TG_BACKEND_CAP_FP32,
    .probe = blas_probe,
    .list_devices = blas_list_devices,
    .create = blas_create,
    .destroy = blas_destroy,
    .handle_create = blas_handle_create,
    .handle_destroy = blas_handle_destroy,
    .evaluate = blas_evaluate,
};

/* The entry point the core looks up (TG_BACKEND_ENTRY_SYMBOL). */
const tg_backend *tg_backend_v1(const tg_host *host);

__attribute__((visibility("default"))) const tg_backend *tg_backend_v1(const tg_host *host) {
    (void)host;
    return &blas_backend;
}
