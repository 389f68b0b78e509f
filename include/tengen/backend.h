/* tengen's plugin ABI: the one contract between the core and a neural-network backend.
 *
 * A backend is a libtool module (blas-cpu.so, opencl.so, ...) exporting one function,
 * tg_backend_v1, that returns a constant table. The core owns everything about Go and about KataGo's
 * file formats: it parses the model (model.h), builds input tensors, and post-processes outputs.
 * A backend only runs forward passes: tensors in, raw network outputs (logits) out.
 *
 * Versioning. TG_BACKEND_ABI_VERSION changes only when an existing field changes meaning or
 * position. New fields are appended to the end of a struct and announced by its struct_size, so
 * an old plugin keeps working with a new core and the other way round: each side reads a field
 * only if the other side's struct_size covers it. Every struct here starts with struct_size.
 *
 * Threads. One context per loaded model per process; one handle per server thread. A handle is
 * used by one thread at a time; different handles of one context are used concurrently, so
 * create() must leave the context read-only for evaluate().
 *
 * Errors. Every fallible function returns a status and writes one line into err (no trailing
 * newline) saying what is wrong and, where it can, what to do. A backend never prints to stdout
 * and never calls exit() or abort() on bad input. */
#ifndef TENGEN_BACKEND_H
#define TENGEN_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_BACKEND_ABI_VERSION 1
/* The symbol a plugin exports; the number is the ABI version it implements. */
#define TG_BACKEND_ENTRY_SYMBOL "tg_backend_v1"

enum tg_log_level { TG_LOG_DEBUG = 0, TG_LOG_INFO = 1, TG_LOG_WARNING = 2, TG_LOG_ERROR = 3 };

/* What the core offers a plugin: logging and the configuration, read through typed getters so
 * plugins never parse config files. Keys are KataGo's (cudaDeviceToUseThread0, openclDeviceToUse,
 * useFP16, ...). A getter returns false only for a present but invalid value, with err set. */
typedef struct tg_host {
    uint32_t struct_size;
    uint32_t abi_version;
    void *ctx; /* passed back to every callback */
    void (*log)(void *ctx, int level, const char *message);
    bool (*config_has)(void *ctx, const char *key);
    const char *(*config_string)(void *ctx, const char *key); /* NULL when absent */
    bool (*config_bool)(void *ctx, const char *key, bool def, bool *out, char *err, size_t errlen);
    bool (*config_int)(void *ctx, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out, char *err,
                       size_t errlen);
    bool (*config_double)(void *ctx, const char *key, double def, double min, double max, double *out, char *err,
                          size_t errlen);
    /* One of the '|'-separated choices in allowed, e.g. "auto|true|false"; *out points at the choice. */
    bool (*config_enum)(void *ctx, const char *key, const char *def, const char *allowed, const char **out, char *err,
                        size_t errlen);
    void *reserved[8];
} tg_host;

/* How the core wants the network run. Sizes are fixed for the life of a context. */
typedef struct tg_backend_options {
    uint32_t struct_size;
    int32_t nn_x_len;        /* board tensor width: inputs and outputs are nn_y_len x nn_x_len */
    int32_t nn_y_len;
    int32_t max_batch_size;  /* evaluate() never gets more positions than this */
    int32_t num_handles;     /* how many server threads will call handle_create */
    int32_t reserved_int[8];
    void *reserved[8];
} tg_backend_options;

/* One batch of positions, float32, C order (NCHW for spatial tensors). The core fills every
 * plane, off-board points included (zero there; spatial channel 0 is the on-board mask). */
typedef struct tg_nn_inputs {
    uint32_t struct_size;
    int32_t batch_size;
    const float *spatial;      /* [batch][model->num_input_channels][nn_y_len][nn_x_len] */
    const float *global;       /* [batch][model->num_input_global_channels] */
    const float *meta;         /* [batch][model->num_input_meta_channels], NULL when the model has none */
    void *reserved[4];
} tg_nn_inputs;

/* The raw network outputs for one batch, written by evaluate() into buffers the core allocated.
 * Nothing is post-processed: logits stay logits, no softmax, no scaling, no symmetry undone. */
typedef struct tg_nn_outputs {
    uint32_t struct_size;
    int32_t batch_size;
    float *policy;       /* [batch][model->num_policy_channels][nn_y_len][nn_x_len] */
    float *policy_pass;  /* [batch][model->num_policy_channels] */
    float *value;        /* [batch][model->num_value_channels]: win, loss, no-result logits */
    float *score_value;  /* [batch][model->num_score_value_channels] */
    float *ownership;    /* [batch][model->num_ownership_channels][nn_y_len][nn_x_len] */
    void *reserved[4];
} tg_nn_outputs;

typedef struct tg_backend_context tg_backend_context; /* the model prepared for this backend */
typedef struct tg_backend_handle tg_backend_handle;   /* per-thread scratch and device state */

enum tg_backend_capability {
    TG_BACKEND_CAP_FP32 = 1u << 0,
    TG_BACKEND_CAP_FP16 = 1u << 1,
    TG_BACKEND_CAP_INT8 = 1u << 2,
    TG_BACKEND_CAP_GPU = 1u << 3,
};

typedef struct tg_backend {
    uint32_t struct_size;
    uint32_t abi_version;       /* TG_BACKEND_ABI_VERSION the plugin was built against */
    const char *name;           /* "blas-cpu": what `backend = ...` in the config names */
    const char *description;    /* one line for `tengen list-backends` */
    uint32_t capabilities;      /* tg_backend_capability bits */

    /* Is this backend usable on this machine (library present, device found)? Returns false with
     * the reason in why. Cheap: list-backends calls it for every plugin. */
    bool (*probe)(const tg_host *host, char *why, size_t whylen);

    /* Describes the devices the backend sees, one per line ("0: NVIDIA H100 80GB"), into buf.
     * May be NULL. Returns the number of devices, or -1 with the reason in buf. */
    int (*list_devices)(const tg_host *host, char *buf, size_t buflen);

    /* Prepares the model (weight layout, device upload). The model outlives the context. Returns
     * NULL with err set when the model has a layer the backend cannot run, memory runs out,
     * or a configured device does not exist. */
    tg_backend_context *(*create)(const tg_host *host, const tg_model *model, const tg_backend_options *options,
                                  char *err, size_t errlen);
    void (*destroy)(tg_backend_context *context);

    /* thread_index is the server thread's number (0-based), for per-thread device keys. */
    tg_backend_handle *(*handle_create)(tg_backend_context *context, int thread_index, char *err, size_t errlen);
    void (*handle_destroy)(tg_backend_handle *handle);

    /* Runs one batch (1 <= batch_size <= max_batch_size). */
    bool (*evaluate)(tg_backend_handle *handle, const tg_nn_inputs *inputs, tg_nn_outputs *outputs, char *err,
                     size_t errlen);

    void *reserved[8];
} tg_backend;

/* The plugin's entry point. host is valid for the life of the process. */
typedef const tg_backend *(*tg_backend_entry_fn)(const tg_host *host);

#ifdef __cplusplus
}
#endif

#endif
