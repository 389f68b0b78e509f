/* KataGo-format model writer and random test-network builder: see model_writer.h.
 *
 * The layout written mirrors what KataGo's exporter produces: one token per line for names and
 * sizes, and each weight block as "@BIN@" + little-endian float32s + newline (binary) or decimal
 * numbers printed with enough digits to round-trip exactly (text). */
#include "nn/model_writer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nn/model_reader.h"

/* ------------------------------------------------------------------ output buffer */

typedef struct wbuf {
    unsigned char *data;
    size_t len, cap;
    bool text;
    bool failed;
    char *err;
    size_t errlen;
} wbuf;

static void wfail(wbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wfail(wbuf *w, const char *fmt, ...) {
    if (w->failed)
        return;  /* keep the first problem: later ones are usually its consequences */
    w->failed = true;
    if (w->err && w->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err, w->errlen, fmt, ap);
        va_end(ap);
    }
}

static void put(wbuf *w, const void *p, size_t n) {
    if (w->failed)
        return;
    if (w->cap - w->len < n) {
        size_t ncap = w->cap ? w->cap : 4096;
        while (ncap - w->len < n) {
            if (ncap > SIZE_MAX / 2) {
                wfail(w, "model too large to serialise");
                return;
            }
            ncap *= 2;
        }
        unsigned char *nd = realloc(w->data, ncap);
        if (!nd) {
            wfail(w, "out of memory");
            return;
        }
        w->data = nd;
        w->cap = ncap;
    }
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

static void put_line(wbuf *w, const char *s) {
    put(w, s, strlen(s));
    put(w, "\n", 1);
}

static void put_int(wbuf *w, long long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    put_line(w, buf);
}

static void put_real(wbuf *w, double v) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    put_line(w, buf);
}

static void put_float(wbuf *w, float v) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.9g", (double)v);
    put_line(w, buf);
}

/* Names are single tokens in the format, so whitespace inside one would corrupt the file. */
static void put_name(wbuf *w, const char *name) {
    if (!name || !*name) {
        wfail(w, "a layer has no name");
        return;
    }
    for (const char *c = name; *c; c++) {
        if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r' || *c == '\v' || *c == '\f') {
            wfail(w, "layer name '%s' contains whitespace", name);
            return;
        }
    }
    put_line(w, name);
}

static void put_floats(wbuf *w, const char *layer, const float *a, size_t n) {
    if (w->failed)
        return;
    if (n > 0 && !a) {
        wfail(w, "layer '%s' has no weights", layer ? layer : "?");
        return;
    }
    if (!w->text) {
        put(w, "@BIN@", 5);
        unsigned char chunk[4096];
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, &a[i], sizeof u);
            chunk[k++] = (unsigned char)(u & 0xff);
            chunk[k++] = (unsigned char)(u >> 8 & 0xff);
            chunk[k++] = (unsigned char)(u >> 16 & 0xff);
            chunk[k++] = (unsigned char)(u >> 24 & 0xff);
            if (k == sizeof chunk) {
                put(w, chunk, k);
                k = 0;
            }
        }
        put(w, chunk, k);
        put(w, "\n", 1);
        return;
    }
    char buf[40];
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof buf, (i + 1) % 16 == 0 || i + 1 == n ? "%.9g\n" : "%.9g ", (double)a[i]);
        put(w, buf, (size_t)len);
    }
}

/* ------------------------------------------------------------------ layers */

static void w_conv(wbuf *w, const tg_conv_layer *c) {
    put_name(w, c->name);
    put_int(w, c->kernel_y);
    put_int(w, c->kernel_x);
    put_int(w, c->in_channels);
    put_int(w, c->out_channels);
    put_int(w, c->dilation_y);
    put_int(w, c->dilation_x);
    if (w->failed)
        return;
    if (c->kernel_y <= 0 || c->kernel_x <= 0 || c->in_channels <= 0 || c->out_channels <= 0) {
        /* Nothing sensible to write, and the reader rejects the sizes before any weights. */
        put_floats(w, c->name, NULL, 0);
        return;
    }
    size_t ky = (size_t)c->kernel_y, kx = (size_t)c->kernel_x;
    size_t ci = (size_t)c->in_channels, co = (size_t)c->out_channels, n = ky * kx * ci * co;
    float *tmp = malloc(n * sizeof(float));
    if (!tmp) {
        wfail(w, "out of memory");
        return;
    }
    /* ours: [out][in][ky][kx]; the file's: [ky][kx][in][out] */
    size_t k = 0;
    for (size_t y = 0; y < ky; y++)
        for (size_t x = 0; x < kx; x++)
            for (size_t i = 0; i < ci; i++)
                for (size_t o = 0; o < co; o++)
                    tmp[k++] = c->weights[((o * ci + i) * ky + y) * kx + x];
    put_floats(w, c->name, tmp, n);
    free(tmp);
}

static size_t count_of(int32_t v) {
    return v > 0 ? (size_t)v : 0;
}

static void w_bn(wbuf *w, const tg_bn_layer *b) {
    put_name(w, b->name);
    put_int(w, b->channels);
    put_float(w, b->epsilon);
    put_int(w, b->has_scale);
    put_int(w, b->has_bias);
    size_t n = count_of(b->channels);
    put_floats(w, b->name, b->mean, n);
    put_floats(w, b->name, b->variance, n);
    if (b->has_scale)
        put_floats(w, b->name, b->scale, n);
    if (b->has_bias)
        put_floats(w, b->name, b->bias, n);
}

static void w_act(wbuf *w, const tg_act_layer *a, int version) {
    put_name(w, a->name);
    if (version < 11) {
        if (a->kind != TG_ACT_RELU)
            wfail(w, "layer '%s': model version %d can only hold ReLU activations", a->name, version);
        return;
    }
    switch (a->kind) {
    case TG_ACT_IDENTITY: put_line(w, "ACTIVATION_IDENTITY"); break;
    case TG_ACT_RELU: put_line(w, "ACTIVATION_RELU"); break;
    case TG_ACT_MISH: put_line(w, "ACTIVATION_MISH"); break;
    case TG_ACT_SILU: put_line(w, "ACTIVATION_SILU"); break;
    default: wfail(w, "layer '%s': activation %s cannot be stored in a file", a->name, tg_activation_name(a->kind));
    }
}

static void w_matmul(wbuf *w, const tg_matmul_layer *l) {
    put_name(w, l->name);
    put_int(w, l->in_channels);
    put_int(w, l->out_channels);
    put_floats(w, l->name, l->weights, count_of(l->in_channels) * count_of(l->out_channels));
}

static void w_matbias(wbuf *w, const tg_matbias_layer *l) {
    put_name(w, l->name);
    put_int(w, l->channels);
    put_floats(w, l->name, l->weights, count_of(l->channels));
}

static void w_rmsnorm(wbuf *w, const tg_rmsnorm_layer *l) {
    put_name(w, l->name);
    put_int(w, l->channels);
    put_float(w, l->epsilon);
    put_int(w, l->spatial);
    put_int(w, l->group_size);
    put_floats(w, l->name, l->gamma, count_of(l->channels));
    put_floats(w, l->name, l->beta, count_of(l->channels));
}

static void w_tf_norm(wbuf *w, const tg_tf_norm_layer *l) {
    put_name(w, l->name);
    put_int(w, l->channels);
    put_float(w, l->epsilon);
    put_floats(w, l->name, l->weight, count_of(l->channels));
}

static void w_blocks(wbuf *w, const tg_block *blocks, int32_t n, int version);

static void w_block(wbuf *w, const tg_block *blk, int version) {
    switch (blk->kind) {
    case TG_BLOCK_ORDINARY: {
        const tg_residual_block *b = blk->u.ordinary;
        put_line(w, "ordinary_block");
        put_name(w, b->name);
        w_bn(w, &b->pre_bn);
        w_act(w, &b->pre_act, version);
        w_conv(w, &b->regular_conv);
        w_bn(w, &b->mid_bn);
        w_act(w, &b->mid_act, version);
        w_conv(w, &b->final_conv);
        break;
    }
    case TG_BLOCK_GPOOL: {
        const tg_gpool_block *b = blk->u.gpool;
        put_line(w, "gpool_block");
        put_name(w, b->name);
        w_bn(w, &b->pre_bn);
        w_act(w, &b->pre_act, version);
        w_conv(w, &b->regular_conv);
        w_conv(w, &b->gpool_conv);
        w_bn(w, &b->gpool_bn);
        w_act(w, &b->gpool_act, version);
        w_matmul(w, &b->gpool_to_bias_mul);
        w_bn(w, &b->mid_bn);
        w_act(w, &b->mid_act, version);
        w_conv(w, &b->final_conv);
        break;
    }
    case TG_BLOCK_NESTED_BOTTLENECK: {
        const tg_nested_block *b = blk->u.nested;
        put_line(w, "nested_bottleneck_block");
        put_name(w, b->name);
        put_int(w, b->num_blocks);
        w_bn(w, &b->pre_bn);
        w_act(w, &b->pre_act, version);
        w_conv(w, &b->pre_conv);
        w_blocks(w, b->blocks, b->num_blocks, version);
        w_bn(w, &b->post_bn);
        w_act(w, &b->post_act, version);
        w_conv(w, &b->post_conv);
        break;
    }
    case TG_BLOCK_TRANSFORMER_ATTENTION: {
        const tg_attention_block *b = blk->u.attention;
        put_line(w, "transformer_attention_block");
        put_name(w, b->name);
        put_int(w, b->num_heads);
        put_int(w, b->num_kv_heads);
        put_int(w, b->q_head_dim);
        put_int(w, b->v_head_dim);
        put_int(w, b->use_rope);
        put_int(w, b->learnable_rope);
        w_tf_norm(w, &b->pre_norm);
        w_matmul(w, &b->q_proj);
        w_matmul(w, &b->k_proj);
        w_matmul(w, &b->v_proj);
        w_matmul(w, &b->out_proj);
        if (b->use_rope) {
            put_name(w, b->rope_name);
            if (b->learnable_rope) {
                put_int(w, b->rope_num_kv_heads);
                put_int(w, b->rope_num_pairs);
                put_int(w, 2);
                put_floats(w, b->rope_name, b->rope_freqs,
                           count_of(b->rope_num_kv_heads) * count_of(b->rope_num_pairs) * 2);
            } else {
                put_float(w, b->rope_theta);
            }
        }
        break;
    }
    case TG_BLOCK_TRANSFORMER_FFN: {
        const tg_ffn_block *b = blk->u.ffn;
        put_line(w, "transformer_ffn_block");
        put_name(w, b->name);
        put_int(w, b->channels);
        put_int(w, b->ffn_channels);
        put_int(w, b->use_swiglu);
        w_tf_norm(w, &b->pre_norm);
        w_matmul(w, &b->linear1);
        if (b->use_swiglu)
            w_matmul(w, &b->linear_gate);
        w_matmul(w, &b->linear2);
        break;
    }
    default:
        wfail(w, "block kind %d cannot be written", (int)blk->kind);
    }
}

static void w_blocks(wbuf *w, const tg_block *blocks, int32_t n, int version) {
    for (int32_t i = 0; i < n && !w->failed; i++)
        w_block(w, &blocks[i], version);
}

static void w_model(wbuf *w, const tg_model *m) {
    int v = m->version;
    put_name(w, m->name);
    put_int(w, v);
    put_int(w, m->num_input_channels);
    put_int(w, m->num_input_global_channels);
    if (v >= 13) {
        const tg_postprocess *pp = &m->postprocess;
        put_real(w, pp->td_score_multiplier);
        put_real(w, pp->score_mean_multiplier);
        put_real(w, pp->score_stdev_multiplier);
        put_real(w, pp->lead_multiplier);
        put_real(w, pp->variance_time_multiplier);
        put_real(w, pp->shortterm_value_error_multiplier);
        put_real(w, pp->shortterm_score_error_multiplier);
    }
    const tg_trunk *t = &m->trunk;
    if (v >= 15) {
        put_int(w, t->has_meta_encoder ? t->meta_encoder.version : 0);
        put_int(w, m->prefer_pass_alive_under_suicide_rules);
        for (int i = 0; i < 6; i++)
            put_int(w, 0);
    }

    put_name(w, t->name);
    put_int(w, t->num_blocks);
    put_int(w, t->channels);
    put_int(w, t->mid_channels);
    put_int(w, t->regular_channels);
    put_int(w, t->dilated_channels);
    put_int(w, t->gpool_channels);
    if (v >= 15) {
        put_int(w, t->norm_kind);
        for (int i = 0; i < 5; i++)
            put_int(w, 0);
    }
    w_conv(w, &t->initial_conv);
    w_matmul(w, &t->initial_matmul);
    if (t->has_meta_encoder) {
        const tg_meta_encoder *e = &t->meta_encoder;
        put_name(w, e->name);
        put_int(w, e->in_channels);
        w_matmul(w, &e->mul1);
        w_matbias(w, &e->bias1);
        w_act(w, &e->act1, v);
        w_matmul(w, &e->mul2);
        w_matbias(w, &e->bias2);
        w_act(w, &e->act2, v);
        w_matmul(w, &e->mul3);
    }
    w_blocks(w, t->blocks, t->num_blocks, v);
    if (t->norm_kind == TG_TRUNK_NORM_RMSNORM)
        w_rmsnorm(w, &t->tip_rmsnorm);
    else
        w_bn(w, &t->tip_bn);
    w_act(w, &t->tip_act, v);

    const tg_policy_head *p = &m->policy;
    put_name(w, p->name);
    if (v >= 17) {
        put_int(w, p->out_channels);
        for (int i = 0; i < 3; i++)
            put_int(w, 0);
    }
    w_conv(w, &p->p1_conv);
    w_conv(w, &p->g1_conv);
    w_bn(w, &p->g1_bn);
    w_act(w, &p->g1_act, v);
    w_matmul(w, &p->gpool_to_bias_mul);
    w_bn(w, &p->p1_bn);
    w_act(w, &p->p1_act, v);
    w_conv(w, &p->p2_conv);
    w_matmul(w, &p->gpool_to_pass_mul);
    if (v >= 15) {
        w_matbias(w, &p->gpool_to_pass_bias);
        w_act(w, &p->pass_act, v);
        w_matmul(w, &p->gpool_to_pass_mul2);
    }

    const tg_value_head *vh = &m->value;
    put_name(w, vh->name);
    if (v >= 17)
        for (int i = 0; i < 3; i++)
            put_int(w, 0);
    w_conv(w, &vh->v1_conv);
    w_bn(w, &vh->v1_bn);
    w_act(w, &vh->v1_act, v);
    w_matmul(w, &vh->v2_mul);
    w_matbias(w, &vh->v2_bias);
    w_act(w, &vh->v2_act, v);
    w_matmul(w, &vh->v3_mul);
    w_matbias(w, &vh->v3_bias);
    w_matmul(w, &vh->sv3_mul);
    w_matbias(w, &vh->sv3_bias);
    w_conv(w, &vh->ownership_conv);
}

bool tg_model_write_buffer(const tg_model *model, bool text, unsigned char **out, size_t *len, char *err,
                           size_t errlen) {
    wbuf w = {NULL, 0, 0, text, false, err, errlen};
    *out = NULL;
    *len = 0;
    w_model(&w, model);
    if (w.failed) {
        free(w.data);
        return false;
    }
    *out = w.data;
    *len = w.len;
    return true;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

bool tg_model_write(const char *path, const tg_model *model, char *err, size_t errlen) {
    bool text = ends_with(path, ".txt") || ends_with(path, ".txt.gz");
    unsigned char *data;
    size_t len;
    char why[256];
    if (!tg_model_write_buffer(model, text, &data, &len, why, sizeof why)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, why);
        return false;
    }
    /* "T" asks zlib for a plain, uncompressed file through the same interface. */
    gzFile f = gzopen(path, ends_with(path, ".gz") ? "wb6" : "wbT");
    bool ok = f != NULL;
    size_t off = 0;
    while (ok && off < len) {
        unsigned chunk = len - off > (1u << 30) ? (1u << 30) : (unsigned)(len - off);
        int put_n = gzwrite(f, data + off, chunk);
        ok = put_n > 0;
        off += ok ? (size_t)put_n : 0;
    }
    if (f && gzclose(f) != Z_OK)
        ok = false;
    free(data);
    if (!ok && err && errlen)
        snprintf(err, errlen, "%s: cannot write the model file", path);
    return ok;
}

/* ------------------------------------------------------------------ random test networks */

typedef struct builder {
    tg_model *m;
    uint64_t rng;
    int version;
    int32_t act;
    bool bn_no_scale;
    bool failed;
    char *err;
    size_t errlen;
} builder;

static void bfail(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bfail(builder *b, const char *fmt, ...) {
    if (b->failed)
        return;
    b->failed = true;
    if (b->err && b->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->err, b->errlen, fmt, ap);
        va_end(ap);
    }
}

/* splitmix64: tiny, seedable from any value, good enough for test weights. */
static uint64_t next_u64(builder *b) {
    uint64_t z = (b->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform01(builder *b) {
    return (double)(next_u64(b) >> 11) * (1.0 / 9007199254740992.0);
}

static double gaussian(builder *b) {
    double u1 = 1.0 - uniform01(b);  /* (0, 1], safe for log */
    double u2 = uniform01(b);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static const char *bname(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *bname(builder *b, const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *s = tg_model_strdup(b->m, buf);
    if (!s)
        bfail(b, "out of memory");
    return s;
}

static float *barray(builder *b, size_t n) {
    float *a = tg_model_alloc(b->m, n * sizeof(float));
    if (!a)
        bfail(b, "out of memory");
    return a;
}

static const float *normal_array(builder *b, size_t n, double mean, double std) {
    float *a = barray(b, n);
    for (size_t i = 0; a && i < n; i++)
        a[i] = (float)(mean + std * gaussian(b));
    return a;
}

static const float *uniform_array(builder *b, size_t n, double lo, double hi) {
    float *a = barray(b, n);
    for (size_t i = 0; a && i < n; i++)
        a[i] = (float)(lo + (hi - lo) * uniform01(b));
    return a;
}

/* gain scales He-style 1/sqrt(fan_in) weights: below 1 for layers that feed a residual sum. */
static void mk_conv(builder *b, tg_conv_layer *c, const char *name, int32_t k, int32_t in, int32_t out, double gain) {
    c->name = name;
    c->kernel_y = c->kernel_x = k;
    c->in_channels = in;
    c->out_channels = out;
    c->dilation_y = c->dilation_x = 1;
    c->weights = normal_array(b, (size_t)k * k * in * out, 0.0, gain / sqrt((double)k * k * in));
}

static void mk_bn(builder *b, tg_bn_layer *n, const char *name, int32_t ch) {
    n->name = name;
    n->channels = ch;
    n->epsilon = 1e-5f;
    n->has_scale = !b->bn_no_scale;
    n->has_bias = 1;
    n->mean = normal_array(b, (size_t)ch, 0.0, 0.1);
    n->variance = uniform_array(b, (size_t)ch, 0.6, 1.4);
    n->scale = b->bn_no_scale ? uniform_array(b, (size_t)ch, 1.0, 1.0) : uniform_array(b, (size_t)ch, 0.8, 1.2);
    n->bias = normal_array(b, (size_t)ch, 0.0, 0.1);
}

static void mk_act(builder *b, tg_act_layer *a, const char *name) {
    a->name = name;
    a->kind = b->act;
}

static void mk_matmul(builder *b, tg_matmul_layer *l, const char *name, int32_t in, int32_t out, double gain) {
    l->name = name;
    l->in_channels = in;
    l->out_channels = out;
    l->weights = normal_array(b, (size_t)in * out, 0.0, gain / sqrt((double)in));
}

static void mk_matbias(builder *b, tg_matbias_layer *l, const char *name, int32_t ch) {
    l->name = name;
    l->channels = ch;
    l->weights = normal_array(b, (size_t)ch, 0.0, 0.1);
}

static void mk_tf_norm(builder *b, tg_tf_norm_layer *l, const char *name, int32_t ch) {
    l->name = name;
    l->channels = ch;
    l->epsilon = 1e-6f;
    l->weight = uniform_array(b, (size_t)ch, 0.8, 1.2);
}

static int32_t dflt(int32_t v, int32_t d) {
    return v > 0 ? v : d;
}

static const tg_block *mk_blocks(builder *b, const char *prefix, const tg_model_spec_block *spec, int32_t n,
                                 int32_t width, int depth);

static void mk_block(builder *b, tg_block *out, const char *name, const tg_model_spec_block *s, int32_t width,
                     int depth) {
    int32_t k = dflt(s->kernel, 3);
    if (k % 2 != 1) {
        bfail(b, "spec: block %s: kernel size %d is not odd", name, (int)k);
        return;
    }
    out->kind = s->kind;
    switch (s->kind) {
    case TG_BLOCK_ORDINARY: {
        tg_residual_block *r = tg_model_alloc(b->m, sizeof *r);
        if (!r)
            break;
        int32_t mid = dflt(s->mid_channels, width);
        r->name = name;
        mk_bn(b, &r->pre_bn, bname(b, "%s.normactconv1.norm", name), width);
        mk_act(b, &r->pre_act, bname(b, "%s.normactconv1.act", name));
        mk_conv(b, &r->regular_conv, bname(b, "%s.normactconv1.conv", name), k, width, mid, 1.0);
        mk_bn(b, &r->mid_bn, bname(b, "%s.normactconv2.norm", name), mid);
        mk_act(b, &r->mid_act, bname(b, "%s.normactconv2.act", name));
        mk_conv(b, &r->final_conv, bname(b, "%s.normactconv2.conv", name), k, mid, width, 0.5);
        out->u.ordinary = r;
        return;
    }
    case TG_BLOCK_GPOOL: {
        tg_gpool_block *g = tg_model_alloc(b->m, sizeof *g);
        if (!g)
            break;
        int32_t mid = dflt(s->mid_channels, width), gp = dflt(s->gpool_channels, 8);
        g->name = name;
        mk_bn(b, &g->pre_bn, bname(b, "%s.normactconv1.norm", name), width);
        mk_act(b, &g->pre_act, bname(b, "%s.normactconv1.act", name));
        mk_conv(b, &g->regular_conv, bname(b, "%s.normactconv1.convpool.conv1r", name), k, width, mid, 1.0);
        mk_conv(b, &g->gpool_conv, bname(b, "%s.normactconv1.convpool.conv1g", name), k, width, gp, 1.0);
        mk_bn(b, &g->gpool_bn, bname(b, "%s.normactconv1.convpool.normg", name), gp);
        mk_act(b, &g->gpool_act, bname(b, "%s.normactconv1.convpool.actg", name));
        mk_matmul(b, &g->gpool_to_bias_mul, bname(b, "%s.normactconv1.convpool.linear_g", name), 3 * gp, mid, 0.5);
        mk_bn(b, &g->mid_bn, bname(b, "%s.normactconv2.norm", name), mid);
        mk_act(b, &g->mid_act, bname(b, "%s.normactconv2.act", name));
        mk_conv(b, &g->final_conv, bname(b, "%s.normactconv2.conv", name), k, mid, width, 0.5);
        out->u.gpool = g;
        return;
    }
    case TG_BLOCK_NESTED_BOTTLENECK: {
        if (s->num_inner < 1 || !s->inner) {
            bfail(b, "spec: nested block %s needs at least one inner block", name);
            return;
        }
        if (depth >= 8) {
            bfail(b, "spec: nested blocks nest too deep at %s", name);
            return;
        }
        tg_nested_block *nb = tg_model_alloc(b->m, sizeof *nb);
        if (!nb)
            break;
        int32_t inner = dflt(s->inner_channels, width / 2 > 0 ? width / 2 : 1);
        nb->name = name;
        mk_bn(b, &nb->pre_bn, bname(b, "%s.normactconvp.norm", name), width);
        mk_act(b, &nb->pre_act, bname(b, "%s.normactconvp.act", name));
        mk_conv(b, &nb->pre_conv, bname(b, "%s.normactconvp.conv", name), 1, width, inner, 1.0);
        nb->num_blocks = s->num_inner;
        nb->blocks = mk_blocks(b, bname(b, "%s.blockstack", name), s->inner, s->num_inner, inner, depth + 1);
        mk_bn(b, &nb->post_bn, bname(b, "%s.normactconvq.norm", name), inner);
        mk_act(b, &nb->post_act, bname(b, "%s.normactconvq.act", name));
        mk_conv(b, &nb->post_conv, bname(b, "%s.normactconvq.conv", name), 1, inner, width, 0.5);
        out->u.nested = nb;
        return;
    }
    case TG_BLOCK_TRANSFORMER_ATTENTION: {
        int32_t heads = dflt(s->num_heads, 4), kv = dflt(s->num_kv_heads, heads);
        int32_t qd = dflt(s->q_head_dim, 8), vd = dflt(s->v_head_dim, qd);
        if (heads % kv != 0 || (s->rope != TG_SPEC_ROPE_NONE && qd % 2 != 0)) {
            bfail(b, "spec: attention block %s: heads must divide evenly into kv heads, and RoPE needs an even "
                     "query head size", name);
            return;
        }
        tg_attention_block *a = tg_model_alloc(b->m, sizeof *a);
        if (!a)
            break;
        a->name = name;
        a->num_heads = heads;
        a->num_kv_heads = kv;
        a->q_head_dim = qd;
        a->v_head_dim = vd;
        a->use_rope = s->rope != TG_SPEC_ROPE_NONE;
        a->learnable_rope = s->rope == TG_SPEC_ROPE_LEARNABLE;
        mk_tf_norm(b, &a->pre_norm, bname(b, "%s.norm1", name), width);
        mk_matmul(b, &a->q_proj, bname(b, "%s.q_proj", name), width, heads * qd, 1.0);
        mk_matmul(b, &a->k_proj, bname(b, "%s.k_proj", name), width, kv * qd, 1.0);
        mk_matmul(b, &a->v_proj, bname(b, "%s.v_proj", name), width, kv * vd, 1.0);
        mk_matmul(b, &a->out_proj, bname(b, "%s.out_proj", name), heads * vd, width, 0.5);
        if (a->learnable_rope) {
            a->rope_name = bname(b, "%s.rope_freqs", name);
            a->rope_num_kv_heads = kv;
            a->rope_num_pairs = qd / 2;
            a->rope_freqs = uniform_array(b, (size_t)kv * (size_t)(qd / 2) * 2, -0.5, 0.5);
        } else if (a->use_rope) {
            a->rope_name = bname(b, "%s.rope_theta", name);
            a->rope_theta = 100.0f;
        }
        out->u.attention = a;
        return;
    }
    case TG_BLOCK_TRANSFORMER_FFN: {
        tg_ffn_block *f = tg_model_alloc(b->m, sizeof *f);
        if (!f)
            break;
        int32_t h = dflt(s->ffn_channels, 2 * width);
        f->name = name;
        f->channels = width;
        f->ffn_channels = h;
        f->use_swiglu = !s->no_swiglu;
        mk_tf_norm(b, &f->pre_norm, bname(b, "%s.norm", name), width);
        mk_matmul(b, &f->linear1, bname(b, "%s.ffn_linear1", name), width, h, 1.0);
        if (f->use_swiglu)
            mk_matmul(b, &f->linear_gate, bname(b, "%s.ffn_linear_gate", name), width, h, 1.0);
        mk_matmul(b, &f->linear2, bname(b, "%s.ffn_linear2", name), h, width, 0.5);
        out->u.ffn = f;
        return;
    }
    default:
        bfail(b, "spec: block %s has unknown kind %d", name, (int)s->kind);
        return;
    }
    bfail(b, "out of memory");
}

static const tg_block *mk_blocks(builder *b, const char *prefix, const tg_model_spec_block *spec, int32_t n,
                                 int32_t width, int depth) {
    if (b->failed)
        return NULL;
    tg_block *blocks = tg_model_alloc(b->m, (size_t)n * sizeof *blocks);
    if (!blocks) {
        bfail(b, "out of memory");
        return NULL;
    }
    for (int32_t i = 0; i < n && !b->failed; i++)
        mk_block(b, &blocks[i], bname(b, "%s.%d", prefix, (int)i), &spec[i], width, depth);
    return blocks;
}

tg_model *tg_model_build_random(const tg_model_spec *spec, uint64_t seed, char *err, size_t errlen) {
    builder b = {NULL, seed, spec->version, TG_ACT_RELU, spec->bn_without_scale != 0, false, err, errlen};
    int v = spec->version;
    int32_t c = dflt(spec->trunk_channels, 32);
    if (v < TG_MODEL_VERSION_MIN || v > TG_MODEL_VERSION_MAX) {
        bfail(&b, "spec: model version %d is outside %d..%d", v, TG_MODEL_VERSION_MIN, TG_MODEL_VERSION_MAX);
        return NULL;
    }
    if (spec->num_blocks < 1 || !spec->blocks) {
        bfail(&b, "spec: a model needs at least one block");
        return NULL;
    }
    if ((spec->meta_encoder || spec->trunk_norm == TG_TRUNK_NORM_RMSNORM || spec->prefer_pass_alive) && v < 15) {
        bfail(&b, "spec: metadata encoders, RMS trunk norms and the pass-alive flag need model version 15+");
        return NULL;
    }
    if (v >= 17 && spec->policy_channels != 0 && spec->policy_channels != 2 && spec->policy_channels != 4) {
        bfail(&b, "spec: policy channels must be 2 or 4");
        return NULL;
    }
    int32_t k0 = dflt(spec->initial_kernel, 5);
    if (k0 % 2 != 1) {
        bfail(&b, "spec: initial kernel %d is not odd", (int)k0);
        return NULL;
    }
    if (v >= 11 && spec->activation) {
        if (spec->activation != TG_ACT_RELU && spec->activation != TG_ACT_MISH && spec->activation != TG_ACT_SILU &&
            spec->activation != TG_ACT_IDENTITY) {
            bfail(&b, "spec: activation %d cannot be stored in a file", (int)spec->activation);
            return NULL;
        }
        b.act = spec->activation;
    }
    tg_model *m = b.m = tg_model_new();
    if (!m) {
        bfail(&b, "out of memory");
        return NULL;
    }
    char defname[48];
    snprintf(defname, sizeof defname, "tengen-random-v%d", v);
    m->name = bname(&b, "%s", spec->name ? spec->name : defname);
    m->version = v;
    m->num_input_channels = 22;
    m->num_input_global_channels = 19;
    m->prefer_pass_alive_under_suicide_rules = spec->prefer_pass_alive != 0;
    if (v >= 13) {
        /* Distinct from the defaults, so a reader that ignored them would be caught. */
        tg_postprocess *pp = &m->postprocess;
        pp->td_score_multiplier = 21.5;
        pp->score_mean_multiplier = 19.25;
        pp->score_stdev_multiplier = 18.0;
        pp->lead_multiplier = 22.0;
        pp->variance_time_multiplier = 41.0;
        pp->shortterm_value_error_multiplier = 0.3;
        pp->shortterm_score_error_multiplier = 150.0;
    }

    tg_trunk *t = &m->trunk;
    t->name = bname(&b, "trunk");
    t->num_blocks = spec->num_blocks;
    t->channels = c;
    t->mid_channels = c;
    t->regular_channels = c;
    t->dilated_channels = 0;
    t->gpool_channels = 8;
    t->norm_kind = spec->trunk_norm == TG_TRUNK_NORM_RMSNORM ? TG_TRUNK_NORM_RMSNORM : TG_TRUNK_NORM_BATCHNORM;
    mk_conv(&b, &t->initial_conv, bname(&b, "model.conv_spatial"), k0, 22, c, 1.0);
    mk_matmul(&b, &t->initial_matmul, bname(&b, "model.linear_global"), 19, c, 1.0);
    if (spec->meta_encoder) {
        tg_meta_encoder *e = &t->meta_encoder;
        int32_t h = dflt(spec->meta_hidden, 16);
        t->has_meta_encoder = 1;
        e->name = bname(&b, "model.sgf_metadata_encoder");
        e->version = 1;
        e->in_channels = 192;
        mk_matmul(&b, &e->mul1, bname(&b, "model.sgf_metadata_encoder.mul1"), 192, h, 1.0);
        mk_matbias(&b, &e->bias1, bname(&b, "model.sgf_metadata_encoder.bias1"), h);
        mk_act(&b, &e->act1, bname(&b, "model.sgf_metadata_encoder.act1"));
        mk_matmul(&b, &e->mul2, bname(&b, "model.sgf_metadata_encoder.mul2"), h, h, 1.0);
        mk_matbias(&b, &e->bias2, bname(&b, "model.sgf_metadata_encoder.bias2"), h);
        mk_act(&b, &e->act2, bname(&b, "model.sgf_metadata_encoder.act2"));
        mk_matmul(&b, &e->mul3, bname(&b, "model.sgf_metadata_encoder.mul3"), h, c, 0.5);
    }
    t->blocks = mk_blocks(&b, "model.blocks", spec->blocks, spec->num_blocks, c, 0);
    if (t->norm_kind == TG_TRUNK_NORM_RMSNORM) {
        tg_rmsnorm_layer *r = &t->tip_rmsnorm;
        r->name = bname(&b, "model.norm_trunkfinal");
        r->channels = c;
        r->epsilon = 1e-6f;
        r->spatial = spec->tip_rmsnorm_spatial != 0;
        r->gamma = uniform_array(&b, (size_t)c, 0.8, 1.2);
        r->beta = normal_array(&b, (size_t)c, 0.0, 0.1);
    } else {
        mk_bn(&b, &t->tip_bn, bname(&b, "model.norm_trunkfinal"), c);
    }
    mk_act(&b, &t->tip_act, bname(&b, "model.act_trunkfinal"));

    int32_t hc = dflt(spec->head_channels, 16);
    tg_policy_head *p = &m->policy;
    p->name = bname(&b, "model.policy_head");
    p->out_channels = v >= 17 ? dflt(spec->policy_channels, 2) : v == 16 ? 4 : v >= 12 ? 2 : 1;
    mk_conv(&b, &p->p1_conv, bname(&b, "model.policy_head.conv1p"), 1, c, hc, 1.0);
    mk_conv(&b, &p->g1_conv, bname(&b, "model.policy_head.conv1g"), 1, c, hc, 1.0);
    mk_bn(&b, &p->g1_bn, bname(&b, "model.policy_head.biasg"), hc);
    mk_act(&b, &p->g1_act, bname(&b, "model.policy_head.actg"));
    mk_matmul(&b, &p->gpool_to_bias_mul, bname(&b, "model.policy_head.linear_g"), 3 * hc, hc, 0.5);
    mk_bn(&b, &p->p1_bn, bname(&b, "model.policy_head.bias2"), hc);
    mk_act(&b, &p->p1_act, bname(&b, "model.policy_head.act2"));
    mk_conv(&b, &p->p2_conv, bname(&b, "model.policy_head.conv2p"), 1, hc, p->out_channels, 1.0);
    if (v >= 15) {
        p->has_pass_mlp = 1;
        mk_matmul(&b, &p->gpool_to_pass_mul, bname(&b, "model.policy_head.linear_pass"), 3 * hc, hc, 1.0);
        mk_matbias(&b, &p->gpool_to_pass_bias, bname(&b, "model.policy_head.linear_pass_bias"), hc);
        mk_act(&b, &p->pass_act, bname(&b, "model.policy_head.act_pass"));
        mk_matmul(&b, &p->gpool_to_pass_mul2, bname(&b, "model.policy_head.linear_pass2"), hc, p->out_channels,
                  1.0);
    } else {
        mk_matmul(&b, &p->gpool_to_pass_mul, bname(&b, "model.policy_head.linear_pass"), 3 * hc, p->out_channels,
                  1.0);
    }

    int32_t vh = dflt(spec->value_hidden, 24);
    tg_value_head *val = &m->value;
    val->name = bname(&b, "model.value_head");
    mk_conv(&b, &val->v1_conv, bname(&b, "model.value_head.conv1"), 1, c, hc, 1.0);
    mk_bn(&b, &val->v1_bn, bname(&b, "model.value_head.bias1"), hc);
    mk_act(&b, &val->v1_act, bname(&b, "model.value_head.act1"));
    mk_matmul(&b, &val->v2_mul, bname(&b, "model.value_head.linear2"), 3 * hc, vh, 1.0);
    mk_matbias(&b, &val->v2_bias, bname(&b, "model.value_head.bias2"), vh);
    mk_act(&b, &val->v2_act, bname(&b, "model.value_head.act2"));
    mk_matmul(&b, &val->v3_mul, bname(&b, "model.value_head.linear_valuehead"), vh, 3, 1.0);
    mk_matbias(&b, &val->v3_bias, bname(&b, "model.value_head.bias_valuehead"), 3);
    int32_t sv = v >= 9 ? 6 : 4;
    mk_matmul(&b, &val->sv3_mul, bname(&b, "model.value_head.linear_miscvaluehead"), vh, sv, 1.0);
    mk_matbias(&b, &val->sv3_bias, bname(&b, "model.value_head.bias_miscvaluehead"), sv);
    mk_conv(&b, &val->ownership_conv, bname(&b, "model.value_head.conv_ownership"), 1, hc, 1, 1.0);

    if (!b.failed && !tg_model_finalize(m))
        bfail(&b, "out of memory");
    if (b.failed) {
        tg_model_free(m);
        return NULL;
    }
    return m;
}

bool tg_model_write_random(const char *path, const tg_model_spec *spec, uint64_t seed, char *err, size_t errlen) {
    tg_model *m = tg_model_build_random(spec, seed, err, errlen);
    if (!m)
        return false;
    bool ok = tg_model_write(path, m, err, errlen);
    tg_model_free(m);
    return ok;
}
