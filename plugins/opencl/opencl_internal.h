/* What the opencl plugin's files share: the context and handle structs, the kernel table and the
 * forward-pass entry points (net.c), the device plumbing (opencl.c) and the kernel source (kernels.c).
 *
 * Memory model. The context owns one read-only weight buffer W on its device; each handle owns a
 * command queue, its own cl_kernel objects (clSetKernelArg is not thread-safe on a shared kernel) and
 * one arena buffer A for every tensor of a pass. Tensors are float offsets into W or A (see kernels.c).
 * The layout of both is found by a dry run of the forward pass at create(): the same code that
 * enqueues kernels, with enqueueing switched off, registers every weight array and measures the
 * arena's peak, so sizes can never drift from what the pass uses. */
#ifndef TENGEN_OPENCL_INTERNAL_H
#define TENGEN_OPENCL_INTERNAL_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tengen/backend.h"
#include "util/errmsg.h" /* compiled into the plugin, not linked from the core */

enum tg_ocl_kernel {
    K_GEMM,
    K_IM2COL,
    K_NORM_ACT,
    K_GPOOL,
    K_MATMUL_ROWS,
    K_ADD_CHANNEL_BIAS,
    K_RMS_POINTS,
    K_RMS_BOARD,
    K_ROPE,
    K_ATTN_SCORES,
    K_ATTN_SOFTMAX,
    K_ATTN_VALUES,
    K_SWIGLU,
    TG_OCL_NUM_KERNELS
};

/* The program is the prelude (storage type, activations), the gemm kernel (built with -DTM=.. etc.)
 * and the rest; tuning builds prelude + gemm alone. */
extern const char tg_ocl_prelude_source[];
extern const char tg_ocl_gemm_source[];
extern const char tg_ocl_kernel_source[];
extern const char *const tg_ocl_kernel_names[TG_OCL_NUM_KERNELS];

/* The gemm kernel's shape. vw == 0: the tiled form, TM x TN outputs per work-group staged TK deep in
 * local memory, RM x RN per work-item. vw > 0: the vector form, RM rows x vw points per work-item
 * (tm, tn, tk, rn unused). */
typedef struct tg_ocl_tiles {
    int tm, tn, tk, rm, rn, vw;
} tg_ocl_tiles;

/* The arithmetic of the gemm (storage is the context's half_storage; half arithmetic implies it). */
enum tg_ocl_precision {
    TG_OCL_FLOAT,     /* FP32 arithmetic */
    TG_OCL_HALF,      /* FP16 arithmetic in the gemm (cl_khr_fp16) */
    TG_OCL_HALF_AUTO, /* asked of the tuner: FP16 where its gemm times faster than the FP32 one */
};

/* The -D options that build the program for tiles, storage and arithmetic (half_compute: FP16). */
void tg_ocl_build_options(const tg_ocl_tiles *tiles, bool half_storage, bool half_compute, char *buf, size_t buflen);

/* Creates and builds a program from sources for one device, as clCreateProgramWithSource and
 * clBuildProgram do; *program is set whenever it was created (the caller releases it, and reads its
 * build log on failure). Returns the first failing status. */
typedef cl_int (*tg_ocl_builder_fn)(cl_context cl, cl_device_id device, cl_uint count, const char *const *sources,
                                    const char *options, cl_program *program);
/* Whether the device lists the extension (a whole word of CL_DEVICE_EXTENSIONS). */
typedef bool (*tg_ocl_extension_fn)(cl_device_id device, const char *name);

/* Every build and extension query of the plugin goes through these. They are pointers, set once before
 * the plugin runs, for tests/opencl_half_module.c: it builds the plugin with a builder that compiles
 * FP16 kernels offline (to SPIR, with clang) and an extension query that reports cl_khr_fp16, so that
 * half arithmetic is tested on a driver (PoCL on a CPU) whose own compiler has no half support.
 * Nothing in the plugin changes them. */
extern tg_ocl_builder_fn tg_ocl_build_program;
extern tg_ocl_extension_fn tg_ocl_has_extension;
/* Their defaults, for a replacement that handles only some cases. */
cl_int tg_ocl_build_from_source(cl_context cl, cl_device_id device, cl_uint count, const char *const *sources,
                                const char *options, cl_program *program);
bool tg_ocl_device_has_extension(cl_device_id device, const char *name);

/* The global and local sizes of a gemm launch (local unused by the vector form). */
void tg_ocl_gemm_range(const tg_ocl_tiles *tiles, int M, int hw, int batch, size_t global[3], size_t local[3]);

/* One matrix product shape of the pass (M rows of weights, K deep), with how often a pass runs it. */
typedef struct tg_ocl_shape {
    int m, k, count;
} tg_ocl_shape;

/* One weight array placed in W. */
typedef struct tg_ocl_weight {
    const float *host;
    size_t count;
    size_t offset; /* floats into W */
} tg_ocl_weight;

/* The cos/sin tables (in W) of one attention block, for the board tensor of the context. */
typedef struct tg_ocl_rope {
    const tg_attention_block *block;
    const float *cos_table, *sin_table; /* host copies, keys into the weight registry */
} tg_ocl_rope;

struct tg_backend_context {
    const tg_host *host;
    const tg_model *model;
    int nn_x, nn_y, hw, max_batch;
    int device_index; /* in the flattened list of every platform's devices */
    char device_name[256];
    cl_device_id device;
    cl_context cl;
    cl_program program;
    cl_mem weights_mem;
    bool half_storage; /* useFP16Storage: W and A hold halves */
    enum tg_ocl_precision precision_asked; /* useFP16, resolved against the device by choose_precision */
    bool half_compute;                      /* the outcome (after tuning for TG_OCL_HALF_AUTO) */
    char precision_why[192];                /* why, for the log: "useFP16 = true" */
    size_t elem_size;  /* sizeof one stored element: 2 or 4 */
    tg_ocl_tiles tiles;
    tg_ocl_weight *weights; /* sorted by host pointer after create() */
    size_t num_weights, cap_weights, weight_floats;
    float **owned; /* tables computed here (RoPE), freed with the context */
    size_t num_owned;
    size_t arena_floats; /* the dry run's peak */
    tg_ocl_rope *ropes; /* one per attention block with RoPE */
    size_t num_ropes;
    tg_ocl_shape *shapes; /* every gemm shape of the pass, found by the dry run, for tuning */
    size_t num_shapes, cap_shapes;
};

struct tg_backend_handle {
    tg_backend_context *context;
    cl_command_queue queue;
    cl_kernel kernels[TG_OCL_NUM_KERNELS];
    cl_mem arena;
    float *host_mask; /* [max_batch][hw + 1]: the mask and its sums, built on the host */
    void *staging;    /* half storage: the host side of one upload or download, converted here */
};

/* IEEE half conversions (round to nearest even), for uploads and downloads in half storage. */
void tg_ocl_floats_to_halves(const float *src, uint16_t *dst, size_t count);
void tg_ocl_halves_to_floats(const uint16_t *src, float *dst, size_t count);

/* The most floats one input or output region of a batch holds (the size of a handle's staging). */
size_t tg_ocl_io_max_floats(const tg_backend_context *context);

/* OpenCL's name for a status code ("CL_OUT_OF_RESOURCES"). */
const char *tg_ocl_status_name(cl_int status);

/* Walks the model without running anything: checks every layer is one the backend runs, registers
 * every weight array in context->weights, computes the RoPE tables and context->arena_floats.
 * Returns false with err set ("opencl: ..."). */
bool tg_ocl_plan(tg_backend_context *context, char *err, size_t errlen);

/* Sets context->tiles for its device, model shapes and storage, and context->half_compute (for
 * TG_OCL_HALF_AUTO, whether the FP16 gemm timed faster; with precision_why saying so): from the file
 * for them in dir when that is intact and current, else by timing candidates on the device (then the
 * file is rewritten). dir NULL: no file. The context's cl context and device must exist. False only
 * when no candidate runs at all (err set). */
bool tg_ocl_tune(tg_backend_context *context, const char *dir, char *err, size_t errlen);

/* Runs one batch on handle as backend.h's evaluate() describes. */
bool tg_ocl_forward(tg_backend_handle *handle, const tg_nn_inputs *inputs, tg_nn_outputs *outputs, char *err,
                    size_t errlen);

#endif
