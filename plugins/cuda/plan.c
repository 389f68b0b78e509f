/* Batch planning for the CUDA plugins (see plan.h): a walk over the model that mirrors the order in
 * which net.c takes activation buffers, so the arena it sizes is the one the pass uses. */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>

static bool fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

static const char *name_or(const char *name) { return name ? name : "(unnamed)"; }

static size_t max_z(size_t a, size_t b) { return a > b ? a : b; }

static tg_cuda_need need_max(tg_cuda_need a, tg_cuda_need b) {
    /* Stages run one after another, so each figure's peak is the larger stage's; taking the maxima
     * separately can only overestimate, which is safe. */
    return (tg_cuda_need){max_z(a.spatial, b.spatial), max_z(a.vector, b.vector), max_z(a.takes, b.takes)};
}

static tg_cuda_need need_add(tg_cuda_need a, tg_cuda_need b) {
    return (tg_cuda_need){a.spatial + b.spatial, a.vector + b.vector, a.takes + b.takes};
}

typedef struct walker {
    tg_cuda_plan *plan;
    const char *prefix;
    char *err;
    size_t errlen;
} walker;

static bool act_ok(walker *w, const tg_act_layer *a) {
    if (a->kind == TG_ACT_IDENTITY || a->kind == TG_ACT_RELU || a->kind == TG_ACT_MISH || a->kind == TG_ACT_SILU ||
        a->kind == TG_ACT_MISH_SCALE8)
        return true;
    return fail(w->err, w->errlen, "%s: activation layer %s has unknown kind %d", w->prefix, name_or(a->name),
                (int)a->kind);
}

static bool conv_ok(walker *w, const tg_conv_layer *c, int in_channels) {
    if (!c->weights || c->in_channels <= 0 || c->out_channels <= 0 || c->kernel_y <= 0 || c->kernel_x <= 0 ||
        c->kernel_y % 2 == 0 || c->kernel_x % 2 == 0 || c->dilation_y <= 0 || c->dilation_x <= 0)
        return fail(w->err, w->errlen, "%s: conv layer %s has a shape the CUDA pass cannot run", w->prefix,
                    name_or(c->name));
    if (in_channels >= 0 && c->in_channels != in_channels)
        return fail(w->err, w->errlen, "%s: conv layer %s takes %d channels but gets %d", w->prefix,
                    name_or(c->name), (int)c->in_channels, in_channels);
    w->plan->weight_elems += (size_t)c->out_channels * (size_t)c->in_channels * (size_t)c->kernel_y *
                             (size_t)c->kernel_x;
    if (c->kernel_y > 1 || c->kernel_x > 1)
        w->plan->col_per_point =
            max_z(w->plan->col_per_point, (size_t)c->in_channels * (size_t)c->kernel_y * (size_t)c->kernel_x);
    return true;
}

static bool bn_ok(walker *w, const tg_bn_layer *b, int channels) {
    if (!b->merged_scale || !b->merged_bias || b->channels != channels)
        return fail(w->err, w->errlen, "%s: norm layer %s has %d channels, expected %d", w->prefix, name_or(b->name),
                    (int)b->channels, channels);
    w->plan->vector_floats += 2 * (size_t)channels;
    return true;
}

static bool matmul_ok(walker *w, const tg_matmul_layer *m, int in_channels, int out_channels) {
    if (!m->weights || m->in_channels != in_channels || (out_channels >= 0 && m->out_channels != out_channels) ||
        m->out_channels <= 0)
        return fail(w->err, w->errlen, "%s: matmul layer %s is %dx%d, expected %dx%d", w->prefix, name_or(m->name),
                    (int)m->in_channels, (int)m->out_channels, in_channels, out_channels);
    w->plan->weight_elems += (size_t)m->in_channels * (size_t)m->out_channels;
    return true;
}

static bool matbias_ok(walker *w, const tg_matbias_layer *b, int channels) {
    if (!b->weights || b->channels != channels)
        return fail(w->err, w->errlen, "%s: bias layer %s has %d channels, expected %d", w->prefix, name_or(b->name),
                    (int)b->channels, channels);
    w->plan->vector_floats += (size_t)channels;
    return true;
}

static bool stack_walk(walker *w, const tg_block *blocks, int n, int channels, tg_cuda_need *need);

/* What one block takes from the arena beyond the x and t it is given. */
static bool block_walk(walker *w, const tg_block *b, int channels, tg_cuda_need *need) {
    switch (b->kind) {
    case TG_BLOCK_ORDINARY: {
        const tg_residual_block *r = b->u.ordinary;
        const int mid = r->regular_conv.out_channels;
        *need = (tg_cuda_need){2 * (size_t)mid, 0, 2};
        return bn_ok(w, &r->pre_bn, channels) && act_ok(w, &r->pre_act) && conv_ok(w, &r->regular_conv, channels) &&
               bn_ok(w, &r->mid_bn, mid) && act_ok(w, &r->mid_act) && conv_ok(w, &r->final_conv, mid) &&
               (r->final_conv.out_channels == channels ||
                fail(w->err, w->errlen, "%s: block %s ends with %d channels, not the trunk's %d", w->prefix,
                     name_or(r->name), (int)r->final_conv.out_channels, channels));
    }
    case TG_BLOCK_GPOOL: {
        const tg_gpool_block *g = b->u.gpool;
        const int mid = g->regular_conv.out_channels, gp = g->gpool_conv.out_channels;
        *need = (tg_cuda_need){2 * (size_t)mid + (size_t)gp, 3 * (size_t)gp + (size_t)mid, 5};
        return bn_ok(w, &g->pre_bn, channels) && act_ok(w, &g->pre_act) && conv_ok(w, &g->regular_conv, channels) &&
               conv_ok(w, &g->gpool_conv, channels) && bn_ok(w, &g->gpool_bn, gp) && act_ok(w, &g->gpool_act) &&
               matmul_ok(w, &g->gpool_to_bias_mul, 3 * gp, mid) && bn_ok(w, &g->mid_bn, mid) &&
               act_ok(w, &g->mid_act) && conv_ok(w, &g->final_conv, mid) &&
               (g->final_conv.out_channels == channels ||
                fail(w->err, w->errlen, "%s: block %s ends with %d channels, not the trunk's %d", w->prefix,
                     name_or(g->name), (int)g->final_conv.out_channels, channels));
    }
    case TG_BLOCK_NESTED_BOTTLENECK: {
        const tg_nested_block *nb = b->u.nested;
        const int mid = nb->pre_conv.out_channels;
        tg_cuda_need inner = {0, 0, 0};
        if (!(bn_ok(w, &nb->pre_bn, channels) && act_ok(w, &nb->pre_act) && conv_ok(w, &nb->pre_conv, channels) &&
              stack_walk(w, nb->blocks, nb->num_blocks, mid, &inner) && bn_ok(w, &nb->post_bn, mid) &&
              act_ok(w, &nb->post_act) && conv_ok(w, &nb->post_conv, mid)))
            return false;
        if (nb->post_conv.out_channels != channels)
            return fail(w->err, w->errlen, "%s: block %s ends with %d channels, not the trunk's %d", w->prefix,
                        name_or(nb->name), (int)nb->post_conv.out_channels, channels);
        /* the inner stack runs on mid (its x) and mid_t (its t), both held while it runs */
        *need = need_add((tg_cuda_need){2 * (size_t)mid, 0, 2}, inner);
        return true;
    }
    case TG_BLOCK_TRANSFORMER_ATTENTION:
    case TG_BLOCK_TRANSFORMER_FFN:
        return fail(w->err, w->errlen,
                    "%s: model has transformer blocks (%s), which the CUDA pass does not run yet; use the blas-cpu "
                    "or opencl backend for this model",
                    w->prefix, tg_block_kind_name(b->kind));
    default:
        return fail(w->err, w->errlen, "%s: block kind %d (%s) is not supported", w->prefix, (int)b->kind,
                    tg_block_kind_name(b->kind));
    }
}

static bool stack_walk(walker *w, const tg_block *blocks, int n, int channels, tg_cuda_need *need) {
    *need = (tg_cuda_need){0, 0, 0};
    for (int i = 0; i < n; i++) {
        tg_cuda_need one = {0, 0, 0};
        if (!block_walk(w, &blocks[i], channels, &one))
            return false;
        *need = need_max(*need, one);
    }
    return true;
}

bool tg_cuda_plan_build(const tg_model *m, int nn_x, int nn_y, int max_batch, const char *prefix, tg_cuda_plan *plan,
                        char *err, size_t errlen) {
    *plan = (tg_cuda_plan){0};
    walker w = {plan, prefix ? prefix : "cuda", err, errlen};
    if (nn_x < 1 || nn_y < 1 || max_batch < 1)
        return fail(err, errlen, "%s: board tensor %dx%d and batch size %d must be positive", w.prefix, nn_x, nn_y,
                    max_batch);
    plan->nn_x = nn_x;
    plan->nn_y = nn_y;
    plan->hw = nn_x * nn_y;
    plan->max_batch = max_batch;
    const tg_trunk *tr = &m->trunk;
    const int c = tr->channels;
    if (tr->norm_kind != TG_TRUNK_NORM_BATCHNORM)
        return fail(err, errlen,
                    "%s: model's trunk ends in an RMS norm (v17), which the CUDA pass does not run yet; use the "
                    "blas-cpu or opencl backend for this model",
                    w.prefix);

    /* fixed for the whole pass: spatial and global (and meta) inputs, x and t */
    tg_cuda_need fixed = {(size_t)m->num_input_channels + 2 * (size_t)c, (size_t)m->num_input_global_channels, 4};
    if (tr->has_meta_encoder) {
        fixed.vector += (size_t)m->num_input_meta_channels;
        fixed.takes++;
    }

    /* stem: the global bias, and the meta encoder's hidden rows */
    tg_cuda_need stem = {0, (size_t)c, 1};
    if (!(conv_ok(&w, &tr->initial_conv, m->num_input_channels) &&
          matmul_ok(&w, &tr->initial_matmul, m->num_input_global_channels, c)))
        return false;
    if (tr->initial_conv.out_channels != c)
        return fail(err, errlen, "%s: initial conv %s gives %d channels, not the trunk's %d", w.prefix,
                    name_or(tr->initial_conv.name), (int)tr->initial_conv.out_channels, c);
    if (tr->has_meta_encoder) {
        const tg_meta_encoder *e = &tr->meta_encoder;
        const int h1 = e->mul1.out_channels, h2 = e->mul2.out_channels;
        if (!(matmul_ok(&w, &e->mul1, m->num_input_meta_channels, -1) && matbias_ok(&w, &e->bias1, h1) &&
              act_ok(&w, &e->act1) && matmul_ok(&w, &e->mul2, h1, -1) && matbias_ok(&w, &e->bias2, h2) &&
              act_ok(&w, &e->act2) && matmul_ok(&w, &e->mul3, h2, c)))
            return false;
        stem.vector += (size_t)h1 + (size_t)h2;
        stem.takes += 2;
    }

    tg_cuda_need stack;
    if (!stack_walk(&w, tr->blocks, tr->num_blocks, c, &stack))
        return false;
    if (!(bn_ok(&w, &tr->tip_bn, c) && act_ok(&w, &tr->tip_act)))
        return false;

    /* policy head: p1, g1, its NHWC output (spatial); pooled, bias, pass hidden, pass (vector) */
    const tg_policy_head *p = &m->policy;
    const int p1 = p->p1_conv.out_channels, g1 = p->g1_conv.out_channels, np = m->num_policy_channels;
    if (!(conv_ok(&w, &p->p1_conv, c) && conv_ok(&w, &p->g1_conv, c) && bn_ok(&w, &p->g1_bn, g1) &&
          act_ok(&w, &p->g1_act) && matmul_ok(&w, &p->gpool_to_bias_mul, 3 * g1, p1) && bn_ok(&w, &p->p1_bn, p1) &&
          act_ok(&w, &p->p1_act) && conv_ok(&w, &p->p2_conv, p1)))
        return false;
    if (p->p2_conv.out_channels != np)
        return fail(err, errlen, "%s: policy conv %s gives %d channels, the model says %d", w.prefix,
                    name_or(p->p2_conv.name), (int)p->p2_conv.out_channels, np);
    tg_cuda_need policy = {(size_t)p1 + (size_t)g1 + (size_t)np, 3 * (size_t)g1 + (size_t)p1 + (size_t)np, 6};
    if (p->has_pass_mlp) {
        const int hidden = p->gpool_to_pass_mul.out_channels;
        if (!(matmul_ok(&w, &p->gpool_to_pass_mul, 3 * g1, -1) && matbias_ok(&w, &p->gpool_to_pass_bias, hidden) &&
              act_ok(&w, &p->pass_act) && matmul_ok(&w, &p->gpool_to_pass_mul2, hidden, np)))
            return false;
        policy.vector += (size_t)hidden;
        policy.takes++;
    } else if (!matmul_ok(&w, &p->gpool_to_pass_mul, 3 * g1, np)) {
        return false;
    }

    /* value head: v1, ownership (spatial); pooled, hidden, value, score (vector) */
    const tg_value_head *v = &m->value;
    const int v1 = v->v1_conv.out_channels, v2 = v->v2_mul.out_channels;
    const int nv = m->num_value_channels, ns = m->num_score_value_channels, no = m->num_ownership_channels;
    if (!(conv_ok(&w, &v->v1_conv, c) && bn_ok(&w, &v->v1_bn, v1) && act_ok(&w, &v->v1_act) &&
          matmul_ok(&w, &v->v2_mul, 3 * v1, -1) && matbias_ok(&w, &v->v2_bias, v2) && act_ok(&w, &v->v2_act) &&
          matmul_ok(&w, &v->v3_mul, v2, nv) && matbias_ok(&w, &v->v3_bias, nv) &&
          matmul_ok(&w, &v->sv3_mul, v2, ns) && matbias_ok(&w, &v->sv3_bias, ns) &&
          conv_ok(&w, &v->ownership_conv, v1)))
        return false;
    if (v->ownership_conv.out_channels != no)
        return fail(err, errlen, "%s: ownership conv %s gives %d channels, the model says %d", w.prefix,
                    name_or(v->ownership_conv.name), (int)v->ownership_conv.out_channels, no);
    tg_cuda_need value = {(size_t)v1 + (size_t)no, 3 * (size_t)v1 + (size_t)v2 + (size_t)nv + (size_t)ns, 6};

    plan->arena = need_add(fixed, need_max(need_max(stem, stack), need_max(policy, value)));

    const size_t hw = (size_t)plan->hw;
    /* inputs as the core gives them, the mask and its sum, and every output, all float */
    plan->io_floats_per_entry = (size_t)m->num_input_channels * hw + (size_t)m->num_input_global_channels +
                                (size_t)(tr->has_meta_encoder ? m->num_input_meta_channels : 0) + hw + 1 +
                                (size_t)np * hw + (size_t)np + (size_t)nv + (size_t)ns + (size_t)no * hw;

    for (int b = 1; b < max_batch && plan->num_graph_batches < TG_CUDA_MAX_GRAPH_BATCHES - 1; b *= 2)
        plan->graph_batches[plan->num_graph_batches++] = b;
    plan->graph_batches[plan->num_graph_batches++] = max_batch;
    return true;
}

size_t tg_cuda_plan_handle_bytes(const tg_cuda_plan *plan, int batch, size_t elem_size) {
    const size_t b = (size_t)(batch > 0 ? batch : 0), hw = (size_t)plan->hw;
    const size_t arena = (b * hw * plan->arena.spatial + b * plan->arena.vector) * elem_size +
                         plan->arena.takes * TG_CUDA_ALIGN;
    const size_t col = b * hw * plan->col_per_point * elem_size + TG_CUDA_ALIGN;
    const size_t io = b * plan->io_floats_per_entry * sizeof(float) + 8 * TG_CUDA_ALIGN;
    return arena + col + io;
}

size_t tg_cuda_plan_weight_bytes(const tg_cuda_plan *plan, size_t elem_size) {
    return plan->weight_elems * elem_size + plan->vector_floats * sizeof(float);
}

int tg_cuda_plan_graph_batch(const tg_cuda_plan *plan, int batch) {
    if (batch < 1 || batch > plan->max_batch)
        return 0;
    for (int i = 0; i < plan->num_graph_batches; i++)
        if (plan->graph_batches[i] >= batch)
            return plan->graph_batches[i];
    return 0;
}

int tg_cuda_plan_fit(const tg_cuda_plan *plan, size_t free_bytes, int num_handles, size_t elem_size) {
    const size_t weights = tg_cuda_plan_weight_bytes(plan, elem_size);
    const size_t handles = (size_t)(num_handles > 0 ? num_handles : 1);
    int best = 0;
    for (int b = 1; b <= plan->max_batch; b++) {
        if (weights + handles * tg_cuda_plan_handle_bytes(plan, b, elem_size) > free_bytes)
            break;
        best = b;
    }
    return best;
}
