/* KataGo model file reader: see model_reader.h for the contract.
 *
 * A model file is a text header of whitespace-separated tokens, one entry per layer (name, sizes),
 * each followed by that layer's weights: in .bin files "@BIN@" and raw little-endian float32s, in
 * .txt files decimal numbers. We read the whole (decompressed) file into memory first, as KataGo
 * does, so every size can be checked against the bytes actually left before anything is allocated:
 * a corrupt channel count then fails cleanly instead of asking for gigabytes. */
#include "nn/model_reader.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Sanity caps, far above any real network (KataGo's largest use 1024 channels and 3x3/5x5
 * kernels) but low enough that products of them fit comfortably in 64 bits. */
#define MAX_CHANNELS (1 << 20)
#define MAX_KERNEL 63
#define MAX_DILATION 63
#define MAX_HEADS 4096
#define MAX_HEAD_DIM 65536
#define MAX_BLOCKS 65536
#define MAX_NESTING 16  /* bounds recursion on hostile files; real nets nest once */
#define MAX_NAME_LEN 4096
#define MAX_MODEL_NAME_LEN 96  /* KataGo's limit: the name ends up in cache file names */
#define MIN_BLOCK_BYTES 32      /* a lower bound on the file bytes any one block takes */
#define BIN_MARKER_SLACK 100   /* KataGo tolerates this many stray bytes before "@BIN@" */

#define V7_SPATIAL_FEATURES 22
#define V7_GLOBAL_FEATURES 19
#define META_V1_FEATURES 192

/* ------------------------------------------------------------------ ownership of allocations */

/* Every allocation behind a model hangs off one list, so freeing a model (complete, or half-built
 * when a file turns out bad) is a single walk. */
typedef struct mem_node {
    struct mem_node *next;
    max_align_t data[];
} mem_node;

typedef struct model_priv {
    mem_node *head;
} model_priv;

tg_model *tg_model_new(void) {
    tg_model *m = calloc(1, sizeof *m);
    model_priv *p = calloc(1, sizeof *p);
    if (!m || !p) {
        free(m);
        free(p);
        return NULL;
    }
    m->abi_version = TG_MODEL_ABI_VERSION;
    m->struct_size = (uint32_t)sizeof *m;
    m->priv = p;
    m->file_name = "";
    m->sha256 = "";
    m->inputs_version = 7;
    tg_postprocess_default(&m->postprocess);
    return m;
}

void *tg_model_alloc(tg_model *model, size_t size) {
    if (!model || !model->priv || size == 0 || size > SIZE_MAX - sizeof(mem_node))
        return NULL;
    mem_node *n = calloc(1, sizeof(mem_node) + size);
    if (!n)
        return NULL;
    model_priv *p = model->priv;
    n->next = p->head;
    p->head = n;
    return n->data;
}

char *tg_model_strdup(tg_model *model, const char *s) {
    size_t n = strlen(s);
    char *d = tg_model_alloc(model, n + 1);
    if (d)
        memcpy(d, s, n);
    return d;
}

void tg_model_free(tg_model *model) {
    if (!model)
        return;
    model_priv *p = model->priv;
    if (p) {
        mem_node *n = p->head;
        while (n) {
            mem_node *next = n->next;
            free(n);
            n = next;
        }
        free(p);
    }
    free(model);
}

/* ------------------------------------------------------------------ derived fields */

typedef struct tally {
    int64_t params;  /* as KataGo counts: learned values, not batch-norm running statistics */
    int64_t floats;  /* every float in the file */
    bool transformer;
    bool oom;
} tally;

static void tally_conv(tally *t, const tg_conv_layer *c) {
    int64_t n = (int64_t)c->kernel_y * c->kernel_x * c->in_channels * c->out_channels;
    t->params += n;
    t->floats += n;
}

static void tally_matmul(tally *t, const tg_matmul_layer *l) {
    int64_t n = (int64_t)l->in_channels * l->out_channels;
    t->params += n;
    t->floats += n;
}

static void tally_matbias(tally *t, const tg_matbias_layer *l) {
    t->params += l->channels;
    t->floats += l->channels;
}

/* Recomputes merged_scale/merged_bias when absent, in float arithmetic like KataGo. */
static void tally_bn(tally *t, tg_model *m, tg_bn_layer *b) {
    int64_t c = b->channels;
    t->params += (b->has_scale ? c : 0) + (b->has_bias ? c : 0);
    t->floats += 2 * c + (b->has_scale ? c : 0) + (b->has_bias ? c : 0);
    if (c > 0 && (!b->merged_scale || !b->merged_bias) && b->mean && b->variance && b->scale && b->bias) {
        float *ms = tg_model_alloc(m, (size_t)c * sizeof(float));
        float *mb = tg_model_alloc(m, (size_t)c * sizeof(float));
        if (!ms || !mb) {
            t->oom = true;
            return;
        }
        for (int64_t i = 0; i < c; i++) {
            ms[i] = b->scale[i] / sqrtf(b->variance[i] + b->epsilon);
            mb[i] = b->bias[i] - ms[i] * b->mean[i];
        }
        b->merged_scale = ms;
        b->merged_bias = mb;
    }
}

static void tally_rmsnorm(tally *t, const tg_rmsnorm_layer *n) {
    t->params += 2 * (int64_t)n->channels;
    t->floats += 2 * (int64_t)n->channels;
}

static void tally_tf_norm(tally *t, const tg_tf_norm_layer *n) {
    t->params += n->channels;
    t->floats += n->channels;
}

static void tally_blocks(tally *t, tg_model *m, const tg_block *blocks, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        const tg_block *b = &blocks[i];
        switch (b->kind) {
        case TG_BLOCK_ORDINARY: {
            tg_residual_block *r = (tg_residual_block *)b->u.ordinary;
            tally_bn(t, m, &r->pre_bn);
            tally_conv(t, &r->regular_conv);
            tally_bn(t, m, &r->mid_bn);
            tally_conv(t, &r->final_conv);
            break;
        }
        case TG_BLOCK_GPOOL: {
            tg_gpool_block *g = (tg_gpool_block *)b->u.gpool;
            tally_bn(t, m, &g->pre_bn);
            tally_conv(t, &g->regular_conv);
            tally_conv(t, &g->gpool_conv);
            tally_bn(t, m, &g->gpool_bn);
            tally_matmul(t, &g->gpool_to_bias_mul);
            tally_bn(t, m, &g->mid_bn);
            tally_conv(t, &g->final_conv);
            break;
        }
        case TG_BLOCK_NESTED_BOTTLENECK: {
            tg_nested_block *nb = (tg_nested_block *)b->u.nested;
            tally_bn(t, m, &nb->pre_bn);
            tally_conv(t, &nb->pre_conv);
            tally_blocks(t, m, nb->blocks, nb->num_blocks);
            tally_bn(t, m, &nb->post_bn);
            tally_conv(t, &nb->post_conv);
            break;
        }
        case TG_BLOCK_TRANSFORMER_ATTENTION: {
            const tg_attention_block *a = b->u.attention;
            t->transformer = true;
            tally_tf_norm(t, &a->pre_norm);
            tally_matmul(t, &a->q_proj);
            tally_matmul(t, &a->k_proj);
            tally_matmul(t, &a->v_proj);
            tally_matmul(t, &a->out_proj);
            if (a->use_rope && a->learnable_rope) {
                int64_t r = 2 * (int64_t)a->rope_num_kv_heads * a->rope_num_pairs;
                t->params += r;
                t->floats += r;
            }
            break;
        }
        case TG_BLOCK_TRANSFORMER_FFN: {
            const tg_ffn_block *f = b->u.ffn;
            t->transformer = true;
            tally_tf_norm(t, &f->pre_norm);
            tally_matmul(t, &f->linear1);
            if (f->use_swiglu)
                tally_matmul(t, &f->linear_gate);
            tally_matmul(t, &f->linear2);
            break;
        }
        default:
            break;
        }
    }
}

bool tg_model_finalize(tg_model *m) {
    tally t = {0, 0, false, false};
    tg_trunk *tr = &m->trunk;
    tally_conv(&t, &tr->initial_conv);
    tally_matmul(&t, &tr->initial_matmul);
    if (tr->has_meta_encoder) {
        tg_meta_encoder *e = &tr->meta_encoder;
        tally_matmul(&t, &e->mul1);
        tally_matbias(&t, &e->bias1);
        tally_matmul(&t, &e->mul2);
        tally_matbias(&t, &e->bias2);
        tally_matmul(&t, &e->mul3);
    }
    tally_blocks(&t, m, tr->blocks, tr->num_blocks);
    if (tr->norm_kind == TG_TRUNK_NORM_RMSNORM)
        tally_rmsnorm(&t, &tr->tip_rmsnorm);
    else
        tally_bn(&t, m, &tr->tip_bn);

    tg_policy_head *p = &m->policy;
    tally_conv(&t, &p->p1_conv);
    tally_conv(&t, &p->g1_conv);
    tally_bn(&t, m, &p->g1_bn);
    tally_matmul(&t, &p->gpool_to_bias_mul);
    tally_bn(&t, m, &p->p1_bn);
    tally_conv(&t, &p->p2_conv);
    tally_matmul(&t, &p->gpool_to_pass_mul);
    if (p->has_pass_mlp) {
        tally_matbias(&t, &p->gpool_to_pass_bias);
        tally_matmul(&t, &p->gpool_to_pass_mul2);
    }

    tg_value_head *v = &m->value;
    tally_conv(&t, &v->v1_conv);
    tally_bn(&t, m, &v->v1_bn);
    tally_matmul(&t, &v->v2_mul);
    tally_matbias(&t, &v->v2_bias);
    tally_matmul(&t, &v->v3_mul);
    tally_matbias(&t, &v->v3_bias);
    tally_matmul(&t, &v->sv3_mul);
    tally_matbias(&t, &v->sv3_bias);
    tally_conv(&t, &v->ownership_conv);

    m->num_parameters = t.params;
    m->num_floats = t.floats;
    m->has_transformer = t.transformer;
    m->num_input_meta_channels = tr->has_meta_encoder ? tr->meta_encoder.in_channels : 0;
    m->meta_encoder_version = tr->has_meta_encoder ? tr->meta_encoder.version : 0;
    m->num_policy_channels = p->out_channels;
    m->num_value_channels = v->v3_mul.out_channels;
    m->num_score_value_channels = v->sv3_mul.out_channels;
    m->num_ownership_channels = v->ownership_conv.out_channels;
    return !t.oom;
}

/* ------------------------------------------------------------------ the parser state */

typedef struct reader {
    const char *file;             /* for messages */
    const unsigned char *p, *end; /* cursor into the uncompressed file */
    bool binary;
    int version;
    tg_model *m;
    char *err;
    size_t errlen;
    const char *layer;   /* the layer being read (or last read), for messages */
    const char *section; /* used instead when no layer has been named yet */
    int depth;           /* nested-bottleneck depth */
    float *scratch;      /* conv weights in file order before transposing */
    size_t scratch_cap;
} reader;

/* Copies s for display: printable ASCII kept, anything else shown as '?', long input cut. */
static void show(char *out, size_t outlen, const char *s, size_t len) {
    size_t k = 0;
    for (size_t i = 0; i < len && k + 4 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (k + 4 >= outlen && len > k) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

static void context(const reader *r, char *buf, size_t n) {
    if (r->layer) {
        char name[96];
        show(name, sizeof name, r->layer, strlen(r->layer));
        snprintf(buf, n, "layer '%s'", name);
    } else {
        snprintf(buf, n, "%s", r->section ? r->section : "header");
    }
}

/* Reports a problem with the current layer. Always returns false. */
static bool failf(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool failf(reader *r, const char *fmt, ...) {
    char msg[384], ctx[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    context(r, ctx, sizeof ctx);
    if (r->err && r->errlen)
        snprintf(r->err, r->errlen, "%s: %s: %s", r->file, ctx, msg);
    return false;
}

/* The file ended while a layer or header still needed data. */
static bool truncated(reader *r) {
    char ctx[128];
    context(r, ctx, sizeof ctx);
    if (r->err && r->errlen)
        snprintf(r->err, r->errlen, "%s: file ends inside %s (truncated?)", r->file, ctx);
    return false;
}

/* The file ended where the next layer should start. */
static bool ended_before(reader *r, const char *what) {
    if (r->err && r->errlen) {
        if (r->layer) {
            char name[96];
            show(name, sizeof name, r->layer, strlen(r->layer));
            snprintf(r->err, r->errlen, "%s: file ends after layer '%s', where %s should follow (truncated?)", r->file,
                     name, what);
        } else {
            snprintf(r->err, r->errlen, "%s: file ends before %s (truncated?)", r->file, what);
        }
    }
    return false;
}

static bool oom(reader *r) {
    return failf(r, "out of memory");
}

static bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The next whitespace-delimited token, as C++'s `stream >> string` would read it. */
static bool next_token(reader *r, const char **tok, size_t *len) {
    while (r->p < r->end && is_space(*r->p))
        r->p++;
    if (r->p == r->end)
        return false;
    const unsigned char *s = r->p;
    while (r->p < r->end && !is_space(*r->p))
        r->p++;
    *tok = (const char *)s;
    *len = (size_t)(r->p - s);
    return true;
}

/* Reads a name token into the model. `what` describes the entry for the end-of-file message. */
static bool read_name(reader *r, const char *what, const char **out) {
    const char *t;
    size_t n;
    if (!next_token(r, &t, &n))
        return ended_before(r, what);
    if (n > MAX_NAME_LEN) {
        char shown[40];
        show(shown, sizeof shown, t, n);
        return failf(r, "expected the name of %s, found a %zu-byte token '%s' (corrupt file?)", what, n, shown);
    }
    char *d = tg_model_alloc(r->m, n + 1);
    if (!d)
        return oom(r);
    memcpy(d, t, n);
    *out = d;
    return true;
}

/* Names a new layer: reads its name and makes it the context of later messages. */
static bool begin_layer(reader *r, const char *what, const char **name) {
    if (!read_name(r, what, name))
        return false;
    r->layer = *name;
    return true;
}

static bool read_int(reader *r, const char *what, int32_t lo, int32_t hi, int32_t *out) {
    const char *t;
    size_t n;
    if (!next_token(r, &t, &n))
        return truncated(r);
    char buf[32], shown[40];
    bool ok = n < sizeof buf;
    long v = 0;
    if (ok) {
        memcpy(buf, t, n);
        buf[n] = '\0';
        char *endp;
        errno = 0;
        v = strtol(buf, &endp, 10);
        ok = endp == buf + n && errno == 0 && v >= INT32_MIN && v <= INT32_MAX;
    }
    if (!ok) {
        show(shown, sizeof shown, t, n);
        return failf(r, "expected an integer (%s), found '%s'", what, shown);
    }
    if (v < lo || v > hi) {
        if (lo == hi)
            return failf(r, "expected %d %s, found %ld", (int)lo, what, v);
        if (hi == INT32_MAX)
            return failf(r, "%s must be at least %d, found %ld", what, (int)lo, v);
        return failf(r, "%s must be between %d and %d, found %ld", what, (int)lo, (int)hi, v);
    }
    *out = (int32_t)v;
    return true;
}

/* KataGo reads flags such as use_rope as ints where any nonzero value means yes. */
static bool read_flag_any(reader *r, const char *what, int32_t *out) {
    int32_t v;
    if (!read_int(r, what, INT32_MIN, INT32_MAX, &v))
        return false;
    *out = v != 0;
    return true;
}

/* Slots KataGo reserves for future options must hold 0. */
static bool read_reserved_zeros(reader *r, int count) {
    for (int i = 0; i < count; i++) {
        int32_t v;
        if (!read_int(r, "reserved option", INT32_MIN, INT32_MAX, &v))
            return false;
        if (v != 0)
            return failf(r, "reserved option %d is %d, not 0: this file needs a newer engine", i + 1, (int)v);
    }
    return true;
}

static bool read_real(reader *r, const char *what, double *out) {
    const char *t;
    size_t n;
    if (!next_token(r, &t, &n))
        return truncated(r);
    char buf[64], shown[40];
    bool ok = n < sizeof buf;
    if (ok) {
        memcpy(buf, t, n);
        buf[n] = '\0';
        char *endp;
        *out = strtod(buf, &endp);
        ok = endp == buf + n;
    }
    if (!ok) {
        show(shown, sizeof shown, t, n);
        return failf(r, "expected a number (%s), found '%s'", what, shown);
    }
    return true;
}

/* A positive finite float that fits a float, such as a norm's epsilon. */
static bool read_epsilon(reader *r, double max, float *out) {
    double d;
    if (!read_real(r, "epsilon", &d))
        return false;
    if (!(d > 0) || !isfinite(d) || d > max || !((float)d > 0) || !isfinite((float)d)) {
        if (isfinite(max))
            return failf(r, "epsilon must be positive and at most %g, found %g", max, d);
        return failf(r, "epsilon must be positive and finite as a float, found %g", d);
    }
    *out = (float)d;
    return true;
}

static float decode_le_float(const unsigned char *b) {
    uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Checks that n weights can still be in the file before anything that big is allocated. */
static bool check_room(reader *r, uint64_t n) {
    size_t avail = (size_t)(r->end - r->p);
    /* binary: 4 bytes each; text: at least one digit and one separator each, bar the last */
    uint64_t need = r->binary ? n * 4 : (n ? 2 * n - 1 : 0);
    if (need > avail) {
        char ctx[128];
        context(r, ctx, sizeof ctx);
        if (r->err && r->errlen)
            snprintf(r->err, r->errlen,
                     "%s: file ends inside %s (truncated?): its %llu weights need %s%llu bytes, %zu remain",
                     r->file, ctx, (unsigned long long)n, r->binary ? "" : "at least ",
                     (unsigned long long)need, avail);
        return false;
    }
    return true;
}

/* Reads one weight block of n floats into out. */
static bool read_floats(reader *r, size_t n, float *out) {
    if (r->binary) {
        size_t skipped = 0;
        while (r->p < r->end && *r->p != '@') {
            if (++skipped > BIN_MARKER_SLACK)
                return failf(r, "no '@BIN@' marker before the weights (is this a text .txt model named .bin?)");
            r->p++;
        }
        if ((size_t)(r->end - r->p) < 5)
            return truncated(r);
        if (memcmp(r->p, "@BIN@", 5) != 0)
            return failf(r, "malformed '@BIN@' marker before the weights");
        r->p += 5;
        if (!check_room(r, n))
            return false;
        for (size_t i = 0; i < n; i++) {
            out[i] = decode_le_float(r->p + 4 * i);
            if (!isfinite(out[i]))
                return failf(r, "weight %zu of %zu is not finite (NaN or infinity)", i, n);
        }
        r->p += 4 * n;
        return true;
    }
    if (!check_room(r, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *t;
        size_t len;
        if (!next_token(r, &t, &len))
            return truncated(r);
        char buf[64], shown[40];
        bool ok = len < sizeof buf;
        if (ok) {
            memcpy(buf, t, len);
            buf[len] = '\0';
            char *endp;
            out[i] = strtof(buf, &endp);
            ok = endp == buf + len;
        }
        if (!ok) {
            show(shown, sizeof shown, t, len);
            if (len >= 5 && memcmp(t, "@BIN@", 5) == 0)
                return failf(r, "found binary weights in a text model (is this a .bin model named .txt?)");
            return failf(r, "weight %zu of %zu: expected a number, found '%s'", i, n, shown);
        }
        if (!isfinite(out[i]))
            return failf(r, "weight %zu of %zu is not finite (NaN or infinity)", i, n);
    }
    return true;
}

/* Allocates and reads a weight block. */
static bool read_array(reader *r, size_t n, const float **out) {
    /* Checking room first keeps a corrupt size from allocating; read_floats re-checks after the
     * binary marker. */
    if (!check_room(r, n))
        return false;
    float *a = tg_model_alloc(r->m, n * sizeof(float));
    if (!a)
        return oom(r);
    if (!read_floats(r, n, a))
        return false;
    *out = a;
    return true;
}

/* ------------------------------------------------------------------ layers
 * want_* arguments name the size the surrounding network requires (-1: anything). Checking them
 * as soon as the header is read, before the weights, makes errors point at the offending layer. */

static bool check_size(reader *r, const char *what, int32_t found, int64_t want) {
    if (want >= 0 && found != want)
        return failf(r, "expected %lld %s, found %d", (long long)want, what, (int)found);
    return true;
}

static bool read_conv(reader *r, tg_conv_layer *c, int64_t want_in, int64_t want_out) {
    if (!begin_layer(r, "a convolution layer", &c->name))
        return false;
    if (!read_int(r, "kernel height", 1, MAX_KERNEL, &c->kernel_y) ||
        !read_int(r, "kernel width", 1, MAX_KERNEL, &c->kernel_x) ||
        !read_int(r, "input channels", 1, MAX_CHANNELS, &c->in_channels) ||
        !read_int(r, "output channels", 1, MAX_CHANNELS, &c->out_channels) ||
        !read_int(r, "vertical dilation", 1, MAX_DILATION, &c->dilation_y) ||
        !read_int(r, "horizontal dilation", 1, MAX_DILATION, &c->dilation_x))
        return false;
    if (c->kernel_y % 2 != 1 || c->kernel_x % 2 != 1)
        return failf(r, "convolution kernel sizes must be odd, found %dx%d", (int)c->kernel_y, (int)c->kernel_x);
    if (!check_size(r, "input channels", c->in_channels, want_in) ||
        !check_size(r, "output channels", c->out_channels, want_out))
        return false;

    const size_t ky = (size_t)c->kernel_y, kx = (size_t)c->kernel_x;
    const size_t ci = (size_t)c->in_channels, co = (size_t)c->out_channels;
    uint64_t n64 = (uint64_t)ky * kx * ci * co;
    if (!check_room(r, n64))
        return false;
    size_t n = (size_t)n64;
    if (n > r->scratch_cap) {
        float *s = realloc(r->scratch, n * sizeof(float));
        if (!s)
            return oom(r);
        r->scratch = s;
        r->scratch_cap = n;
    }
    float *w = tg_model_alloc(r->m, n * sizeof(float));
    if (!w)
        return oom(r);
    if (!read_floats(r, n, r->scratch))
        return false;
    /* File order is [ky][kx][in][out]; we store [out][in][ky][kx]. */
    const float *src = r->scratch;
    for (size_t y = 0; y < ky; y++)
        for (size_t x = 0; x < kx; x++)
            for (size_t i = 0; i < ci; i++)
                for (size_t o = 0; o < co; o++)
                    w[((o * ci + i) * ky + y) * kx + x] = *src++;
    c->weights = w;
    return true;
}

static bool read_bn(reader *r, tg_bn_layer *b, int64_t want) {
    if (!begin_layer(r, "a batch-norm layer", &b->name))
        return false;
    if (!read_int(r, "channels", 1, MAX_CHANNELS, &b->channels) || !read_epsilon(r, HUGE_VAL, &b->epsilon) ||
        !read_int(r, "has-scale flag", 0, 1, &b->has_scale) || !read_int(r, "has-bias flag", 0, 1, &b->has_bias))
        return false;
    if (!check_size(r, "channels", b->channels, want))
        return false;
    size_t n = (size_t)b->channels;
    if (!check_room(r, (uint64_t)n * (2 + (uint64_t)b->has_scale + (uint64_t)b->has_bias)))
        return false;
    if (!read_array(r, n, &b->mean) || !read_array(r, n, &b->variance))
        return false;
    for (size_t i = 0; i < n; i++)
        if (b->variance[i] < 0)
            return failf(r, "variance of channel %zu is negative (%g)", i, (double)b->variance[i]);
    float *scale = NULL, *bias = NULL;
    if (b->has_scale) {
        if (!read_array(r, n, &b->scale))
            return false;
    } else {
        if (!(scale = tg_model_alloc(r->m, n * sizeof(float))))
            return oom(r);
        for (size_t i = 0; i < n; i++)
            scale[i] = 1.0f;
        b->scale = scale;
    }
    if (b->has_bias) {
        if (!read_array(r, n, &b->bias))
            return false;
    } else {
        if (!(bias = tg_model_alloc(r->m, n * sizeof(float))))
            return oom(r);
        b->bias = bias;
    }
    float *ms = tg_model_alloc(r->m, n * sizeof(float)), *mb = tg_model_alloc(r->m, n * sizeof(float));
    if (!ms || !mb)
        return oom(r);
    for (size_t i = 0; i < n; i++) {
        ms[i] = b->scale[i] / sqrtf(b->variance[i] + b->epsilon);
        mb[i] = b->bias[i] - ms[i] * b->mean[i];
        if (!isfinite(ms[i]) || !isfinite(mb[i]))
            return failf(r, "channel %zu does not fold into a finite scale and bias", i);
    }
    b->merged_scale = ms;
    b->merged_bias = mb;
    return true;
}

static bool read_act(reader *r, tg_act_layer *a) {
    if (!begin_layer(r, "an activation layer", &a->name))
        return false;
    if (r->version < 11) {
        /* Before version 11 the file names the layer but not the function: always ReLU. */
        a->kind = TG_ACT_RELU;
        return true;
    }
    static const struct {
        const char *token;
        int32_t kind;
    } kinds[] = {
        {"ACTIVATION_IDENTITY", TG_ACT_IDENTITY},
        {"ACTIVATION_RELU", TG_ACT_RELU},
        {"ACTIVATION_MISH", TG_ACT_MISH},
        {"ACTIVATION_SILU", TG_ACT_SILU},
    };
    const char *t;
    size_t n;
    if (!next_token(r, &t, &n))
        return truncated(r);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strlen(kinds[i].token) == n && memcmp(kinds[i].token, t, n) == 0) {
            a->kind = kinds[i].kind;
            return true;
        }
    }
    char shown[40];
    show(shown, sizeof shown, t, n);
    return failf(r, "unknown activation '%s' (expected ACTIVATION_RELU, ACTIVATION_MISH, ACTIVATION_SILU or "
                    "ACTIVATION_IDENTITY)", shown);
}

static bool read_matmul(reader *r, tg_matmul_layer *l, int64_t want_in, int64_t want_out) {
    if (!begin_layer(r, "a matmul layer", &l->name))
        return false;
    if (!read_int(r, "input channels", 1, MAX_CHANNELS, &l->in_channels) ||
        !read_int(r, "output channels", 1, MAX_CHANNELS, &l->out_channels))
        return false;
    if (!check_size(r, "input channels", l->in_channels, want_in) ||
        !check_size(r, "output channels", l->out_channels, want_out))
        return false;
    /* [in][out] in the file and in memory alike. */
    return read_array(r, (size_t)l->in_channels * (size_t)l->out_channels, &l->weights);
}

static bool read_matbias(reader *r, tg_matbias_layer *l, int64_t want) {
    if (!begin_layer(r, "a bias layer", &l->name))
        return false;
    if (!read_int(r, "channels", 1, MAX_CHANNELS, &l->channels) || !check_size(r, "channels", l->channels, want))
        return false;
    return read_array(r, (size_t)l->channels, &l->weights);
}

static bool read_rmsnorm(reader *r, tg_rmsnorm_layer *l, int64_t want) {
    if (!begin_layer(r, "an RMS norm layer", &l->name))
        return false;
    if (!read_int(r, "channels", 1, MAX_CHANNELS, &l->channels) || !read_epsilon(r, 1.0, &l->epsilon) ||
        !read_flag_any(r, "spatial flag", &l->spatial) ||
        !read_int(r, "channel group size (grouped RMS norm is unsupported)", 0, 0, &l->group_size))
        return false;
    if (!check_size(r, "channels", l->channels, want))
        return false;
    return read_array(r, (size_t)l->channels, &l->gamma) && read_array(r, (size_t)l->channels, &l->beta);
}

static bool read_tf_norm(reader *r, tg_tf_norm_layer *l, int64_t want) {
    if (!begin_layer(r, "a transformer norm layer", &l->name))
        return false;
    if (!read_int(r, "channels", 1, MAX_CHANNELS, &l->channels) || !read_epsilon(r, 1.0, &l->epsilon) ||
        !check_size(r, "channels", l->channels, want))
        return false;
    return read_array(r, (size_t)l->channels, &l->weight);
}

/* ------------------------------------------------------------------ blocks */

static bool read_block_stack(reader *r, const char *owner, int32_t count, int32_t width, const tg_block **out);

static bool read_ordinary_block(reader *r, tg_residual_block *b, int32_t width) {
    return begin_layer(r, "a residual block", &b->name) && read_bn(r, &b->pre_bn, width) &&
           read_act(r, &b->pre_act) && read_conv(r, &b->regular_conv, width, -1) &&
           read_bn(r, &b->mid_bn, b->regular_conv.out_channels) && read_act(r, &b->mid_act) &&
           read_conv(r, &b->final_conv, b->regular_conv.out_channels, width);
}

static bool read_gpool_block(reader *r, tg_gpool_block *b, int32_t width) {
    if (!begin_layer(r, "a global-pooling block", &b->name) || !read_bn(r, &b->pre_bn, width) ||
        !read_act(r, &b->pre_act) || !read_conv(r, &b->regular_conv, width, -1) ||
        !read_conv(r, &b->gpool_conv, width, -1) || !read_bn(r, &b->gpool_bn, b->gpool_conv.out_channels) ||
        !read_act(r, &b->gpool_act))
        return false;
    int32_t mid = b->regular_conv.out_channels;
    return read_matmul(r, &b->gpool_to_bias_mul, 3 * (int64_t)b->gpool_conv.out_channels, mid) &&
           read_bn(r, &b->mid_bn, mid) && read_act(r, &b->mid_act) && read_conv(r, &b->final_conv, mid, width);
}

static bool read_nested_block(reader *r, tg_nested_block *b, int32_t width) {
    if (!begin_layer(r, "a nested bottleneck block", &b->name) ||
        !read_int(r, "number of inner blocks", 1, MAX_BLOCKS, &b->num_blocks))
        return false;
    if (r->depth >= MAX_NESTING)
        return failf(r, "nested bottleneck blocks nest more than %d deep", MAX_NESTING);
    if (!read_bn(r, &b->pre_bn, width) || !read_act(r, &b->pre_act) || !read_conv(r, &b->pre_conv, width, -1))
        return false;
    int32_t inner = b->pre_conv.out_channels;
    r->depth++;
    bool ok = read_block_stack(r, b->name, b->num_blocks, inner, &b->blocks);
    r->depth--;
    return ok && read_bn(r, &b->post_bn, inner) && read_act(r, &b->post_act) &&
           read_conv(r, &b->post_conv, inner, width);
}

static bool read_attention_block(reader *r, tg_attention_block *b, int32_t width) {
    if (!begin_layer(r, "a transformer attention block", &b->name) ||
        !read_int(r, "number of heads", 1, MAX_HEADS, &b->num_heads) ||
        !read_int(r, "number of key/value heads", 1, MAX_HEADS, &b->num_kv_heads) ||
        !read_int(r, "query head size", 1, MAX_HEAD_DIM, &b->q_head_dim) ||
        !read_int(r, "value head size", 1, MAX_HEAD_DIM, &b->v_head_dim) ||
        !read_flag_any(r, "RoPE flag", &b->use_rope) || !read_flag_any(r, "learnable-RoPE flag", &b->learnable_rope))
        return false;
    if (b->num_heads % b->num_kv_heads != 0)
        return failf(r, "%d heads cannot share %d key/value heads evenly", (int)b->num_heads, (int)b->num_kv_heads);
    if (b->use_rope && b->q_head_dim % 2 != 0)
        return failf(r, "query head size %d must be even with RoPE", (int)b->q_head_dim);
    int64_t q_out = (int64_t)b->num_heads * b->q_head_dim, k_out = (int64_t)b->num_kv_heads * b->q_head_dim;
    int64_t v_out = (int64_t)b->num_kv_heads * b->v_head_dim, o_in = (int64_t)b->num_heads * b->v_head_dim;
    if (q_out > MAX_CHANNELS || o_in > MAX_CHANNELS)
        return failf(r, "heads times head size exceeds %d channels", MAX_CHANNELS);
    if (!read_tf_norm(r, &b->pre_norm, width) || !read_matmul(r, &b->q_proj, width, q_out) ||
        !read_matmul(r, &b->k_proj, width, k_out) || !read_matmul(r, &b->v_proj, width, v_out) ||
        !read_matmul(r, &b->out_proj, o_in, width))
        return false;
    if (!b->use_rope) {
        b->learnable_rope = 0;  /* meaningless without RoPE; normalised so backends can test one flag */
        return true;
    }
    if (!begin_layer(r, "the RoPE parameters", &b->rope_name))
        return false;
    if (b->learnable_rope) {
        int32_t dim2;
        if (!read_int(r, "RoPE key/value heads", b->num_kv_heads, b->num_kv_heads, &b->rope_num_kv_heads) ||
            !read_int(r, "RoPE pairs (query head size / 2)", b->q_head_dim / 2, b->q_head_dim / 2,
                      &b->rope_num_pairs) ||
            !read_int(r, "RoPE frequencies per pair", 2, 2, &dim2))
            return false;
        return read_array(r, (size_t)b->rope_num_kv_heads * (size_t)b->rope_num_pairs * 2, &b->rope_freqs);
    }
    double theta;
    if (!read_real(r, "RoPE theta", &theta))
        return false;
    if (!(theta > 0) || !isfinite((float)theta))
        return failf(r, "RoPE theta must be positive and finite, found %g", theta);
    b->rope_theta = (float)theta;
    return true;
}

static bool read_ffn_block(reader *r, tg_ffn_block *b, int32_t width) {
    if (!begin_layer(r, "a transformer feed-forward block", &b->name) ||
        !read_int(r, "channels", 1, MAX_CHANNELS, &b->channels) ||
        !read_int(r, "hidden channels", 1, MAX_CHANNELS, &b->ffn_channels) ||
        !read_flag_any(r, "SwiGLU flag", &b->use_swiglu))
        return false;
    if (!check_size(r, "channels (the width of the blocks around it)", b->channels, width))
        return false;
    int32_t h = b->ffn_channels;
    if (!read_tf_norm(r, &b->pre_norm, width) || !read_matmul(r, &b->linear1, width, h))
        return false;
    if (b->use_swiglu && !read_matmul(r, &b->linear_gate, width, h))
        return false;
    return read_matmul(r, &b->linear2, h, width);
}

static bool read_block_stack(reader *r, const char *owner, int32_t count, int32_t width, const tg_block **out) {
    /* Even the smallest block spends far more than MIN_BLOCK_BYTES of file on its kind, name and
     * layers, so a count the remaining bytes cannot hold is corrupt; refusing it keeps the array
     * allocated below no larger than the rest of the file. */
    if ((uint64_t)count * MIN_BLOCK_BYTES > (uint64_t)(r->end - r->p)) {
        const char *layer = r->layer;
        r->layer = owner;
        failf(r, "%d blocks cannot fit in the %zu bytes left (truncated or corrupt file?)", (int)count,
              (size_t)(r->end - r->p));
        r->layer = layer;
        return false;
    }
    tg_block *blocks = tg_model_alloc(r->m, (size_t)count * sizeof *blocks);
    if (!blocks)
        return oom(r);
    *out = blocks;
    for (int32_t i = 0; i < count; i++) {
        const char *t;
        size_t n;
        if (!next_token(r, &t, &n)) {
            char what[64];
            snprintf(what, sizeof what, "block %d of %d", (int)i + 1, (int)count);
            return ended_before(r, what);
        }
#define IS(word) (n == sizeof(word) - 1 && memcmp(t, word, n) == 0)
        bool ok;
        if (IS("ordinary_block")) {
            tg_residual_block *b = tg_model_alloc(r->m, sizeof *b);
            blocks[i].kind = TG_BLOCK_ORDINARY;
            blocks[i].u.ordinary = b;
            ok = b ? read_ordinary_block(r, b, width) : oom(r);
        } else if (IS("gpool_block")) {
            tg_gpool_block *b = tg_model_alloc(r->m, sizeof *b);
            blocks[i].kind = TG_BLOCK_GPOOL;
            blocks[i].u.gpool = b;
            ok = b ? read_gpool_block(r, b, width) : oom(r);
        } else if (IS("nested_bottleneck_block")) {
            tg_nested_block *b = tg_model_alloc(r->m, sizeof *b);
            blocks[i].kind = TG_BLOCK_NESTED_BOTTLENECK;
            blocks[i].u.nested = b;
            ok = b ? read_nested_block(r, b, width) : oom(r);
        } else if (IS("transformer_attention_block")) {
            tg_attention_block *b = tg_model_alloc(r->m, sizeof *b);
            blocks[i].kind = TG_BLOCK_TRANSFORMER_ATTENTION;
            blocks[i].u.attention = b;
            ok = b ? read_attention_block(r, b, width) : oom(r);
        } else if (IS("transformer_ffn_block")) {
            tg_ffn_block *b = tg_model_alloc(r->m, sizeof *b);
            blocks[i].kind = TG_BLOCK_TRANSFORMER_FFN;
            blocks[i].u.ffn = b;
            ok = b ? read_ffn_block(r, b, width) : oom(r);
        } else {
            char shown[40];
            show(shown, sizeof shown, t, n);
            r->layer = owner;
            return failf(r, "block %d of %d: unknown block kind '%s'", (int)i + 1, (int)count, shown);
        }
#undef IS
        if (!ok)
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ trunk, heads, header */

static bool read_meta_encoder(reader *r, tg_meta_encoder *e, int32_t version, int32_t width) {
    e->version = version;
    if (!begin_layer(r, "the SGF metadata encoder", &e->name) ||
        !read_int(r, "metadata input channels", META_V1_FEATURES, META_V1_FEATURES, &e->in_channels))
        return false;
    if (!read_matmul(r, &e->mul1, e->in_channels, -1) || !read_matbias(r, &e->bias1, e->mul1.out_channels) ||
        !read_act(r, &e->act1) || !read_matmul(r, &e->mul2, e->mul1.out_channels, -1) ||
        !read_matbias(r, &e->bias2, e->mul2.out_channels) || !read_act(r, &e->act2))
        return false;
    return read_matmul(r, &e->mul3, e->mul2.out_channels, width);
}

static bool read_trunk(reader *r, tg_trunk *t, int32_t meta_version) {
    r->section = "trunk header";
    r->layer = NULL;
    if (!begin_layer(r, "the trunk", &t->name) ||
        !read_int(r, "number of blocks", 1, MAX_BLOCKS, &t->num_blocks) ||
        !read_int(r, "trunk channels", 1, MAX_CHANNELS, &t->channels) ||
        !read_int(r, "mid channels", 1, MAX_CHANNELS, &t->mid_channels) ||
        !read_int(r, "regular channels", 1, MAX_CHANNELS, &t->regular_channels) ||
        !read_int(r, "dilated channels", INT32_MIN, INT32_MAX, &t->dilated_channels) ||
        !read_int(r, "global pooling channels", 1, MAX_CHANNELS, &t->gpool_channels))
        return false;
    t->norm_kind = TG_TRUNK_NORM_BATCHNORM;
    if (r->version >= 15) {
        if (!read_int(r, "trunk norm kind (0 batch norm, 1 RMS norm)", 0, 1, &t->norm_kind) ||
            !read_reserved_zeros(r, 5))
            return false;
    }
    int32_t c = t->channels;
    if (!read_conv(r, &t->initial_conv, V7_SPATIAL_FEATURES, c) ||
        !read_matmul(r, &t->initial_matmul, V7_GLOBAL_FEATURES, c))
        return false;
    if (meta_version > 0) {
        t->has_meta_encoder = 1;
        if (!read_meta_encoder(r, &t->meta_encoder, meta_version, c))
            return false;
    }
    if (!read_block_stack(r, t->name, t->num_blocks, c, &t->blocks))
        return false;
    if (t->norm_kind == TG_TRUNK_NORM_RMSNORM) {
        if (!read_rmsnorm(r, &t->tip_rmsnorm, c))
            return false;
    } else if (!read_bn(r, &t->tip_bn, c)) {
        return false;
    }
    return read_act(r, &t->tip_act);
}

static bool read_policy_head(reader *r, tg_policy_head *p, int32_t width) {
    r->section = "policy head header";
    if (!begin_layer(r, "the policy head", &p->name))
        return false;
    if (r->version >= 17) {
        if (!read_int(r, "policy output channels", 2, 4, &p->out_channels))
            return false;
        if (p->out_channels == 3)
            return failf(r, "policy output channels must be 2 or 4, found 3");
        if (!read_reserved_zeros(r, 3))
            return false;
    } else {
        p->out_channels = r->version == 16 ? 4 : r->version >= 12 ? 2 : 1;
    }
    if (!read_conv(r, &p->p1_conv, width, -1) || !read_conv(r, &p->g1_conv, width, -1) ||
        !read_bn(r, &p->g1_bn, p->g1_conv.out_channels) || !read_act(r, &p->g1_act))
        return false;
    int64_t pooled = 3 * (int64_t)p->g1_conv.out_channels;
    int32_t p1 = p->p1_conv.out_channels;
    if (!read_matmul(r, &p->gpool_to_bias_mul, pooled, p1) || !read_bn(r, &p->p1_bn, p1) ||
        !read_act(r, &p->p1_act) || !read_conv(r, &p->p2_conv, p1, p->out_channels))
        return false;
    if (r->version < 15)
        return read_matmul(r, &p->gpool_to_pass_mul, pooled, p->out_channels);
    p->has_pass_mlp = 1;
    return read_matmul(r, &p->gpool_to_pass_mul, pooled, p1) && read_matbias(r, &p->gpool_to_pass_bias, p1) &&
           read_act(r, &p->pass_act) && read_matmul(r, &p->gpool_to_pass_mul2, p1, p->out_channels);
}

static bool read_value_head(reader *r, tg_value_head *v, int32_t width) {
    r->section = "value head header";
    if (!begin_layer(r, "the value head", &v->name))
        return false;
    if (r->version >= 17 && !read_reserved_zeros(r, 3))
        return false;
    if (!read_conv(r, &v->v1_conv, width, -1) || !read_bn(r, &v->v1_bn, v->v1_conv.out_channels) ||
        !read_act(r, &v->v1_act) || !read_matmul(r, &v->v2_mul, 3 * (int64_t)v->v1_conv.out_channels, -1))
        return false;
    int32_t h = v->v2_mul.out_channels;
    int32_t score_channels = r->version >= 9 ? 6 : 4;
    return read_matbias(r, &v->v2_bias, h) && read_act(r, &v->v2_act) && read_matmul(r, &v->v3_mul, h, 3) &&
           read_matbias(r, &v->v3_bias, 3) && read_matmul(r, &v->sv3_mul, h, score_channels) &&
           read_matbias(r, &v->sv3_bias, score_channels) &&
           read_conv(r, &v->ownership_conv, v->v1_conv.out_channels, 1);
}

static bool read_model(reader *r) {
    tg_model *m = r->m;
    r->section = "model header";
    const char *t;
    size_t n;
    if (!next_token(r, &t, &n)) {
        if (r->err && r->errlen)
            snprintf(r->err, r->errlen, "%s: the file is empty%s", r->file, r->end > r->p ? " (only whitespace)" : "");
        return false;
    }
    if (n > MAX_NAME_LEN)
        return failf(r, "not a KataGo model (the first token is %zu bytes long)", n);
    char *name = tg_model_alloc(m, n + 1);
    if (!name)
        return oom(r);
    memcpy(name, t, n);
    m->name = name;

    if (!next_token(r, &t, &n))
        return failf(r, "not a KataGo model (no model version after the name)");
    char buf[16];
    long v = -1;
    if (n < sizeof buf) {
        memcpy(buf, t, n);
        buf[n] = '\0';
        char *endp;
        errno = 0;
        v = strtol(buf, &endp, 10);
        if (endp != buf + n || errno)
            v = -1;
    }
    if (v < 0)
        return failf(r, "not a KataGo model (the second token is not a model version)");
    if (v < TG_MODEL_VERSION_MIN)
        return failf(r, "model version %ld is too old: tengen reads versions %d to %d (KataGo 1.9 and later nets)",
                     v, TG_MODEL_VERSION_MIN, TG_MODEL_VERSION_MAX);
    if (v > TG_MODEL_VERSION_MAX)
        return failf(r, "model version %ld is newer than this tengen understands (versions %d to %d)", v,
                     TG_MODEL_VERSION_MIN, TG_MODEL_VERSION_MAX);
    m->version = r->version = (int)v;

    size_t name_len = strlen(m->name);
    bool name_ok = name_len <= MAX_MODEL_NAME_LEN;
    for (size_t i = 0; name_ok && i < name_len; i++)
        name_ok = isalnum((unsigned char)m->name[i]) || m->name[i] == '_' || m->name[i] == '-';
    if (!name_ok) {
        char shown[120];
        show(shown, sizeof shown, m->name, name_len);
        return failf(r, "model name '%s' must be at most %d characters of A-Z, a-z, 0-9, '_' and '-'", shown,
                     MAX_MODEL_NAME_LEN);
    }

    if (!read_int(r, "spatial input channels (KataGo's V7 features)", V7_SPATIAL_FEATURES, V7_SPATIAL_FEATURES,
                  &m->num_input_channels) ||
        !read_int(r, "global input channels (KataGo's V7 features)", V7_GLOBAL_FEATURES, V7_GLOBAL_FEATURES,
                  &m->num_input_global_channels))
        return false;

    if (m->version >= 13) {
        static const char *const names[7] = {
            "tdScoreMultiplier", "scoreMeanMultiplier", "scoreStdevMultiplier", "leadMultiplier",
            "varianceTimeMultiplier", "shorttermValueErrorMultiplier", "shorttermScoreErrorMultiplier",
        };
        tg_postprocess *pp = &m->postprocess;
        double *dst[7] = {
            &pp->td_score_multiplier, &pp->score_mean_multiplier, &pp->score_stdev_multiplier,
            &pp->lead_multiplier, &pp->variance_time_multiplier, &pp->shortterm_value_error_multiplier,
            &pp->shortterm_score_error_multiplier,
        };
        for (int i = 0; i < 7; i++) {
            if (!read_real(r, names[i], dst[i]))
                return false;
            if (!(*dst[i] > 0) || !isfinite(*dst[i]))
                return failf(r, "%s must be positive and finite, found %g", names[i], *dst[i]);
        }
    }
    int32_t meta_version = 0;
    if (m->version >= 15) {
        int32_t prefer;
        if (!read_int(r, "metadata encoder version", 0, 1, &meta_version) ||
            !read_int(r, "pass-alive-under-suicide flag", 0, 1, &prefer) || !read_reserved_zeros(r, 6))
            return false;
        m->prefer_pass_alive_under_suicide_rules = prefer;
    }

    if (!read_trunk(r, &m->trunk, meta_version) || !read_policy_head(r, &m->policy, m->trunk.channels) ||
        !read_value_head(r, &m->value, m->trunk.channels))
        return false;
    /* Anything after the value head is ignored, as KataGo ignores it. */
    if (!tg_model_finalize(m))
        return oom(r);
    return true;
}

/* ------------------------------------------------------------------ entry points */

static bool has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[n - k + i]) != suffix[i])
            return false;
    return true;
}

static bool looks_binary(const unsigned char *data, size_t len) {
    /* The first weight block follows the header within a few hundred bytes. */
    size_t lim = len < (1u << 20) ? len : (1u << 20);
    for (size_t i = 0; i + 5 <= lim; i++)
        if (data[i] == '@' && memcmp(data + i, "@BIN@", 5) == 0)
            return true;
    return false;
}

tg_model *tg_model_load_buffer(const void *data, size_t len, int format, const char *display_name, char *err,
                               size_t errlen) {
    const char *file = display_name ? display_name : "(model)";
    if (format == TG_MODEL_FORMAT_AUTO) {
        if (has_suffix(file, ".txt") || has_suffix(file, ".txt.gz"))
            format = TG_MODEL_FORMAT_TEXT;
        else if (has_suffix(file, ".bin") || has_suffix(file, ".bin.gz"))
            format = TG_MODEL_FORMAT_BINARY;
        else
            format = looks_binary(data, len) ? TG_MODEL_FORMAT_BINARY : TG_MODEL_FORMAT_TEXT;
    }
    tg_model *m = tg_model_new();
    if (!m) {
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", file);
        return NULL;
    }
    reader r;
    memset(&r, 0, sizeof r);
    r.file = file;
    r.p = data;
    r.end = r.p + len;
    r.binary = format == TG_MODEL_FORMAT_BINARY;
    r.m = m;
    r.err = err;
    r.errlen = errlen;
    r.section = "model header";
    bool ok = read_model(&r);
    free(r.scratch);
    if (ok && !(m->file_name = tg_model_strdup(m, file))) {
        ok = oom(&r);
    }
    if (!ok) {
        tg_model_free(m);
        return NULL;
    }
    return m;
}

bool tg_model_read_file(const char *path, unsigned char **data, size_t *len, char *err, size_t errlen) {
    *data = NULL;
    *len = 0;
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
        return false;
    }
    gzbuffer(f, 1u << 17);
    size_t cap = 1u << 20, n = 0;
    unsigned char *buf = malloc(cap);
    bool ok = buf != NULL;
    const char *why = "out of memory";
    while (ok) {
        if (cap - n < (1u << 16)) {
            size_t ncap = cap * 2;
            unsigned char *nb = ncap > cap ? realloc(buf, ncap) : NULL;
            if (!nb) {
                ok = false;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t want = cap - n;
        if (want > (1u << 30))
            want = 1u << 30;
        int got = gzread(f, buf + n, (unsigned)want);
        if (got < 0) {
            int code;
            why = gzerror(f, &code);
            ok = false;
        } else if (got == 0) {
            int code;
            const char *msg = gzerror(f, &code);
            if (code == Z_BUF_ERROR) {
                /* zlib's way of saying the compressed stream stopped mid-way */
                why = "compressed data ends early (truncated file?)";
                ok = false;
            } else if (code != Z_OK) {
                why = msg;
                ok = false;
            }
            break;
        } else {
            n += (size_t)got;
        }
    }
    /* zlib owns the text gzerror returns and frees it on close. */
    char why_copy[256];
    snprintf(why_copy, sizeof why_copy, "%s", why && *why ? why : "read error");
    int close_rc = gzclose_r(f);
    if (ok && close_rc != Z_OK && close_rc != Z_BUF_ERROR) {
        snprintf(why_copy, sizeof why_copy, "read error");
        ok = false;
    }
    if (!ok) {
        free(buf);
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, why_copy);
        return false;
    }
    *data = buf;
    *len = n;
    return true;
}

tg_model *tg_model_load(const char *path, char *err, size_t errlen) {
    unsigned char *data;
    size_t len;
    if (!tg_model_read_file(path, &data, &len, err, errlen))
        return NULL;
    tg_model *m = tg_model_load_buffer(data, len, TG_MODEL_FORMAT_AUTO, path, err, errlen);
    free(data);
    return m;
}

/* ------------------------------------------------------------------ description */

static void count_kinds(const tg_block *blocks, int32_t n, int32_t counts[6], int32_t *nested_inner) {
    for (int32_t i = 0; i < n; i++) {
        if (blocks[i].kind >= 0 && blocks[i].kind < 6)
            counts[blocks[i].kind]++;
        if (blocks[i].kind == TG_BLOCK_NESTED_BOTTLENECK) {
            const tg_nested_block *nb = blocks[i].u.nested;
            *nested_inner += nb->num_blocks;
        }
    }
}

int tg_model_describe(const tg_model *m, char *buf, size_t n) {
    if (!m)
        return snprintf(buf, n, "(no model)");
    int32_t counts[6] = {0, 0, 0, 0, 0, 0}, inner = 0;
    count_kinds(m->trunk.blocks, m->trunk.num_blocks, counts, &inner);
    bool nested = counts[TG_BLOCK_NESTED_BOTTLENECK] > 0;
    const char *kind = nested ? (m->has_transformer ? "nbt transformer" : "nbt convnet")
                              : (m->has_transformer ? "transformer" : "convnet");
    char blocks[192];
    size_t k = 0;
    static const char *const short_names[6] = {"ordinary", "?", "gpool", "nested", "attention", "ffn"};
    for (int i = 0; i < 6; i++) {
        if (!counts[i])
            continue;
        int w = snprintf(blocks + k, sizeof blocks - k, "%s%d %s", k ? ", " : "", (int)counts[i], short_names[i]);
        if (w < 0 || (size_t)w >= sizeof blocks - k)
            break;
        k += (size_t)w;
    }
    if (k == 0)
        snprintf(blocks, sizeof blocks, "none");
    char inner_text[48] = "";
    if (inner)
        snprintf(inner_text, sizeof inner_text, " holding %d inner", (int)inner);
    const char *norm = m->trunk.norm_kind == TG_TRUNK_NORM_RMSNORM ? ", RMS-norm tip" : "";
    const char *meta = m->trunk.has_meta_encoder ? ", SGF metadata encoder" : "";
    return snprintf(buf, n,
                    "%s: KataGo model v%d, %s, %d blocks (%s%s), %d channels, inputs %d+%d, "
                    "policy %d ch%s%s, %lld params",
                    m->name ? m->name : "?", (int)m->version, kind, (int)m->trunk.num_blocks, blocks, inner_text,
                    (int)m->trunk.channels, (int)m->num_input_channels, (int)m->num_input_global_channels,
                    (int)m->num_policy_channels, norm, meta, (long long)m->num_parameters);
}
