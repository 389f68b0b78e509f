/* Batch planning for the CUDA plugins: which layers the device pass runs, how much device memory a
 * batch size needs, and which batch sizes get their own buffers (and, later, CUDA graphs). Plain C
 * with no CUDA header, so the unit tests check the figures on any machine.
 *
 * Memory model. A handle owns one activation arena. The pass takes buffers from it in a fixed order
 * (net.c) and gives them back stage by stage; the figures here are the peak of that order, counted
 * per board point per batch entry ("spatial"), per batch entry ("vector") and in number of buffers
 * taken at once ("takes", each rounded up to TG_CUDA_ALIGN bytes). net.c checks every take against
 * the arena, so a planning mistake is an error message, never an overrun. */
#ifndef TENGEN_CUDA_PLAN_H
#define TENGEN_CUDA_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "tengen/model.h"

#define TG_CUDA_ALIGN 256
#define TG_CUDA_MAX_GRAPH_BATCHES 32

/* Elements needed at once, in the units the header comment names. */
typedef struct tg_cuda_need {
    size_t spatial, vector, takes;
} tg_cuda_need;

typedef struct tg_cuda_plan {
    int nn_x, nn_y, hw, max_batch;
    tg_cuda_need arena;        /* activations, in the compute type (2 or 4 bytes) */
    size_t col_per_point;      /* im2col workspace of the widest k > 1 conv, elements per point */
    size_t weight_elems;       /* conv and matmul weights, in the compute type */
    size_t vector_floats;      /* batch-norm scales and biases, matmul biases: always float */
    size_t io_floats_per_entry;/* float staging of one batch entry's inputs and outputs */
    /* Batch sizes with their own buffers (later: a CUDA graph each), ascending; a batch runs on the
     * smallest one that holds it. Powers of two up to max_batch, and max_batch itself. */
    int num_graph_batches;
    int graph_batches[TG_CUDA_MAX_GRAPH_BATCHES];
} tg_cuda_plan;

/* Checks that the model has only layers the device pass runs and fills plan. Returns false with err
 * set ("cuda-fp16: ..." with prefix) naming the first unsupported layer. */
bool tg_cuda_plan_build(const tg_model *model, int nn_x, int nn_y, int max_batch, const char *prefix,
                        tg_cuda_plan *plan, char *err, size_t errlen);

/* Device bytes of one handle's arena and im2col workspace at batch size batch. */
size_t tg_cuda_plan_handle_bytes(const tg_cuda_plan *plan, int batch, size_t elem_size);

/* Device bytes of the context's weights. */
size_t tg_cuda_plan_weight_bytes(const tg_cuda_plan *plan, size_t elem_size);

/* The graph batch size that runs batch (the smallest one >= batch), or 0 when batch is out of range. */
int tg_cuda_plan_graph_batch(const tg_cuda_plan *plan, int batch);

/* The largest batch size whose weights plus num_handles handles fit in free_bytes (0 when none). */
int tg_cuda_plan_fit(const tg_cuda_plan *plan, size_t free_bytes, int num_handles, size_t elem_size);

#endif
