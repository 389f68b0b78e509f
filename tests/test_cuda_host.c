/* Unit tests of the CUDA plugins' host-side code, which needs no GPU: IEEE half conversion, the OHWI
 * weight layout with batch norms folded in (checked by running one conv both ways), NHWC packing, the
 * board mask, and batch planning on the shipped networks (skipped when TENGEN_SHARED_DIR has none). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "layout.h"
#include "model_reader.h"
#include "plan.h"

static float bits_to_float(uint32_t x) {
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

static void test_half_known_values(void) {
    CHECK(tg_cuda_half_from_float(0.0f) == 0x0000);
    CHECK(tg_cuda_half_from_float(-0.0f) == 0x8000);
    CHECK(tg_cuda_half_from_float(1.0f) == 0x3c00);
    CHECK(tg_cuda_half_from_float(-2.0f) == 0xc000);
    CHECK(tg_cuda_half_from_float(65504.0f) == 0x7bff);
    CHECK(tg_cuda_half_from_float(65519.0f) == 0x7bff);  /* just below the halfway point to 65536 */
    CHECK(tg_cuda_half_from_float(65520.0f) == 0x7c00);  /* the tie goes to even: infinity */
    CHECK(tg_cuda_half_from_float(1e30f) == 0x7c00);
    CHECK(tg_cuda_half_from_float(-INFINITY) == 0xfc00);
    uint16_t nan = tg_cuda_half_from_float(NAN);
    CHECK((nan & 0x7c00) == 0x7c00 && (nan & 0x3ff) != 0);
    CHECK(tg_cuda_half_from_float(ldexpf(1.0f, -14)) == 0x0400); /* smallest normal */
    CHECK(tg_cuda_half_from_float(ldexpf(1.0f, -24)) == 0x0001); /* smallest subnormal */
    CHECK(tg_cuda_half_from_float(ldexpf(1.0f, -25)) == 0x0000); /* tie between 0 and 2^-24: even is 0 */
    CHECK(tg_cuda_half_from_float(ldexpf(1.5f, -25)) == 0x0001);
    CHECK(tg_cuda_half_from_float(ldexpf(3.0f, -25)) == 0x0002); /* 1.5 * 2^-24 ties to 2 * 2^-24 */
    CHECK(tg_cuda_half_from_float(ldexpf(5.0f, -25)) == 0x0002); /* 2.5 * 2^-24 ties to 2 * 2^-24 */
    CHECK(tg_cuda_half_from_float(1e-9f) == 0x0000);
    CHECK(tg_cuda_half_from_float(1.0f + ldexpf(1.0f, -11)) == 0x3c00); /* tie to even, down */
    CHECK(tg_cuda_half_from_float(1.0f + ldexpf(3.0f, -11)) == 0x3c02); /* tie to even, up */
    CHECK(tg_cuda_half_from_float(ldexpf(2047.0f, -25)) == 0x0400);     /* subnormal rounds up to normal */
    CHECK(tg_cuda_half_to_float(0x3555) == bits_to_float(0x3eaaa000u));  /* 0.333251953125 */
    CHECK(isinf(tg_cuda_half_to_float(0x7c00)) && isnan(tg_cuda_half_to_float(0x7e00)));
}

/* Every finite half survives a round trip, and random floats land on a nearest half. */
static void test_half_exhaustive(void) {
    int bad_round_trip = 0;
    for (uint32_t h = 0; h < 0x10000u; h++) {
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu))
            continue;
        if (tg_cuda_half_from_float(tg_cuda_half_to_float((uint16_t)h)) != h)
            bad_round_trip++;
    }
    CHECKF(bad_round_trip == 0, "%d halves do not survive a round trip", bad_round_trip);

    uint32_t state = 12345u;
    int not_nearest = 0;
    for (int i = 0; i < 200000; i++) {
        state = state * 1664525u + 1013904223u;
        /* exponents around the half range: 2^-28 .. 2^17 */
        const float f = bits_to_float((state & 0x807fffffu) | ((99u + (state >> 8) % 46u) << 23));
        const uint16_t h = tg_cuda_half_from_float(f);
        const double err = fabs((double)f - (double)tg_cuda_half_to_float(h));
        const uint16_t up = (uint16_t)(h + 1), down = (uint16_t)(h - 1);
        if ((h & 0x7fffu) >= 0x7c00u)
            continue; /* infinity: checked by the known values */
        if (((up & 0x7c00u) != 0x7c00u && fabs((double)f - (double)tg_cuda_half_to_float(up)) < err) ||
            ((h & 0x7fffu) != 0 && fabs((double)f - (double)tg_cuda_half_to_float(down)) < err))
            not_nearest++;
    }
    CHECKF(not_nearest == 0, "%d floats were not rounded to a nearest half", not_nearest);
}

/* A naive NCHW conv over OIHW weights, and a naive NHWC conv over OHWI rows: the same numbers. */
static void conv_nchw(const tg_conv_layer *c, int h, int w, const float *in, float *out) {
    for (int o = 0; o < c->out_channels; o++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int i = 0; i < c->in_channels; i++)
                    for (int ky = 0; ky < c->kernel_y; ky++)
                        for (int kx = 0; kx < c->kernel_x; kx++) {
                            int sy = y + (ky - c->kernel_y / 2) * c->dilation_y;
                            int sx = x + (kx - c->kernel_x / 2) * c->dilation_x;
                            if (sy < 0 || sy >= h || sx < 0 || sx >= w)
                                continue;
                            s += (double)c->weights[((o * c->in_channels + i) * c->kernel_y + ky) * c->kernel_x + kx] *
                                 in[(i * h + sy) * w + sx];
                        }
                out[(o * h + y) * w + x] = (float)s;
            }
}

static void conv_nhwc(const tg_conv_layer *c, const float *ohwi, int h, int w, const float *in, float *out) {
    const int ci = c->in_channels, k = c->kernel_y * c->kernel_x * ci;
    float *row = malloc(sizeof(float) * (size_t)k);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            /* the im2col row of point (y, x): [ky][kx][in], zeros off the tensor */
            for (int ky = 0; ky < c->kernel_y; ky++)
                for (int kx = 0; kx < c->kernel_x; kx++) {
                    int sy = y + (ky - c->kernel_y / 2) * c->dilation_y;
                    int sx = x + (kx - c->kernel_x / 2) * c->dilation_x;
                    for (int i = 0; i < ci; i++)
                        row[(ky * c->kernel_x + kx) * ci + i] =
                            (sy < 0 || sy >= h || sx < 0 || sx >= w) ? 0.0f : in[(sy * w + sx) * ci + i];
                }
            for (int o = 0; o < c->out_channels; o++) {
                double s = 0;
                for (int j = 0; j < k; j++)
                    s += (double)ohwi[(size_t)o * k + j] * row[j];
                out[(y * w + x) * c->out_channels + o] = (float)s;
            }
        }
    free(row);
}

static float frand(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return (float)((*state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void test_conv_layout_and_fold(int kernel, int dilation) {
    enum { CI = 3, CO = 4, H = 5, W = 6 };
    float weights[CO * CI * 5 * 5], in[CI * H * W], in_nhwc[CI * H * W];
    float ref[CO * H * W], got[CO * H * W], ohwi[CO * CI * 5 * 5];
    uint32_t st = 7u + (uint32_t)kernel;
    for (size_t i = 0; i < sizeof weights / sizeof weights[0]; i++)
        weights[i] = frand(&st);
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        in[i] = frand(&st);
    tg_conv_layer c = {.name = "c", .kernel_y = kernel, .kernel_x = kernel, .in_channels = CI, .out_channels = CO,
                       .dilation_y = dilation, .dilation_x = dilation, .weights = weights};
    const float mean[CO] = {0.1f, -0.2f, 0.3f, 0.0f}, var[CO] = {1.0f, 0.5f, 2.0f, 0.25f};
    const float gamma[CO] = {1.0f, -0.5f, 2.0f, 0.75f}, beta[CO] = {0.0f, 0.1f, -0.2f, 0.3f};
    float ms[CO], mb[CO], s[CO], b[CO];
    for (int o = 0; o < CO; o++) {
        ms[o] = gamma[o] / sqrtf(var[o] + 1e-5f);
        mb[o] = beta[o] - ms[o] * mean[o];
    }
    tg_bn_layer bn = {.name = "bn", .channels = CO, .epsilon = 1e-5f, .has_scale = 1, .has_bias = 1, .mean = mean,
                      .variance = var, .scale = gamma, .bias = beta, .merged_scale = ms, .merged_bias = mb};
    tg_cuda_bn_scale_bias(&bn, s, b);
    CHECK(memcmp(s, ms, sizeof s) == 0 && memcmp(b, mb, sizeof b) == 0);
    CHECK(tg_cuda_bn_foldable(&bn));

    conv_nchw(&c, H, W, in, ref);
    for (int o = 0; o < CO; o++)
        for (int p = 0; p < H * W; p++)
            ref[o * H * W + p] = ref[o * H * W + p] * s[o] + b[o];
    tg_cuda_nchw_to_nhwc(in, 1, CI, H * W, in_nhwc);
    tg_cuda_conv_to_ohwi(&c, s, ohwi);
    conv_nhwc(&c, ohwi, H, W, in_nhwc, got);
    double worst = 0;
    for (int o = 0; o < CO; o++)
        for (int p = 0; p < H * W; p++)
            worst = fmax(worst, fabs((double)(got[p * CO + o] + b[o]) - ref[o * H * W + p]));
    CHECKF(worst < 1e-5, "kernel %d dilation %d: folded NHWC conv differs by %g", kernel, dilation, worst);

    /* unscaled: every weight lands where the OHWI formula says */
    tg_cuda_conv_to_ohwi(&c, NULL, ohwi);
    const int ky = kernel / 2, kx = kernel - 1;
    CHECK(ohwi[((2 * kernel + ky) * kernel + kx) * CI + 2] == weights[((2 * CI + 2) * kernel + ky) * kernel + kx]);

    float inf_scale[CO] = {1.0f, INFINITY, 1.0f, 1.0f};
    tg_bn_layer bad = bn;
    bad.merged_scale = inf_scale;
    CHECK(!tg_cuda_bn_foldable(&bad));
}

static void test_mask(void) {
    enum { N = 2, C = 2, HW = 4 };
    float spatial[N * C * HW] = {1, 1, 0, 1, 9, 9, 9, 9, /* entry 1 has no board */ 0, 0, 0, 0, 5, 5, 5, 5};
    float mask[N * HW], sum[N];
    CHECK(tg_cuda_board_mask(spatial, N, C, HW, mask, sum) == 1);
    CHECK(sum[0] == 3.0f && mask[2] == 0.0f && mask[3] == 1.0f);
    CHECK(tg_cuda_board_mask(spatial, 1, C, HW, mask, sum) == -1);
    float nhwc[N * C * HW];
    tg_cuda_nchw_to_nhwc(spatial, N, C, HW, nhwc);
    CHECK(nhwc[0] == 1 && nhwc[1] == 9 && nhwc[2 * 2 + 1] == 9 && nhwc[C * HW + 1] == 5);
}

static tg_model *load_shared(const char *dir, const char *file) {
    char path[4096], err[512] = "";
    snprintf(path, sizeof path, "%s/models/%s", dir, file);
    struct stat st;
    if (stat(path, &st) != 0)
        return NULL;
    tg_model *m = tg_model_load(path, err, sizeof err);
    CHECKF(m != NULL, "%s: %s", path, err);
    return m;
}

static void test_plan(const char *dir) {
    tg_model *m = load_shared(dir, "g170-b6c96-s175395328-d26788732.bin.gz");
    if (m) {
        tg_cuda_plan plan;
        char err[512] = "";
        CHECKF(tg_cuda_plan_build(m, 19, 19, 12, "cuda-fp16", &plan, err, sizeof err), "%s", err);
        CHECK(plan.hw == 361 && plan.num_graph_batches == 5);
        const int expect[] = {1, 2, 4, 8, 12};
        for (int i = 0; i < 5 && i < plan.num_graph_batches; i++)
            CHECK(plan.graph_batches[i] == expect[i]);
        CHECK(tg_cuda_plan_graph_batch(&plan, 1) == 1 && tg_cuda_plan_graph_batch(&plan, 3) == 4 &&
              tg_cuda_plan_graph_batch(&plan, 9) == 12 && tg_cuda_plan_graph_batch(&plan, 12) == 12 &&
              tg_cuda_plan_graph_batch(&plan, 13) == 0 && tg_cuda_plan_graph_batch(&plan, 0) == 0);
        /* weights: every conv and matmul float of the file, none twice; the trunk is 96 wide, so the
         * fixed buffers alone are 22 inputs + x + t per point */
        CHECK(plan.weight_elems > 0 && (int64_t)plan.weight_elems < m->num_floats);
        CHECK(plan.arena.spatial >= (size_t)(22 + 2 * 96));
        /* the widest im2col row: the trunk's 3x3 convs (96 * 9) beat the 5x5 initial conv (22 * 25) */
        CHECK(plan.col_per_point == 96 * 9);
        size_t prev = 0;
        for (int b = 1; b <= 12; b++) {
            size_t bytes = tg_cuda_plan_handle_bytes(&plan, b, 2);
            CHECK(bytes > prev && tg_cuda_plan_handle_bytes(&plan, b, 4) > bytes);
            prev = bytes;
        }
        const size_t w2 = tg_cuda_plan_weight_bytes(&plan, 2);
        CHECK(tg_cuda_plan_fit(&plan, (size_t)1 << 40, 2, 2) == 12);
        CHECK(tg_cuda_plan_fit(&plan, w2, 1, 2) == 0);
        CHECK(tg_cuda_plan_fit(&plan, w2 + 2 * tg_cuda_plan_handle_bytes(&plan, 5, 2), 2, 2) == 5);
        CHECK(!tg_cuda_plan_build(m, 19, 19, 0, "cuda-fp16", &plan, err, sizeof err));
        tg_model_free(m);
    }
    m = load_shared(dir, "b7c96h6kv3qk32v16tflrs-fson-bnh.bin.gz");
    if (m) {
        tg_cuda_plan plan;
        char err[512] = "";
        CHECK(!tg_cuda_plan_build(m, 19, 19, 8, "cuda-fp16", &plan, err, sizeof err));
        CHECKF(strstr(err, "cuda-fp16: ") == err && strstr(err, "transformer"), "%s", err);
        tg_model_free(m);
    }
}

int main(void) {
    test_half_known_values();
    test_half_exhaustive();
    test_conv_layout_and_fold(1, 1);
    test_conv_layout_and_fold(3, 1);
    test_conv_layout_and_fold(5, 1);
    test_conv_layout_and_fold(3, 2);
    test_mask();
    const char *dir = check_shared_dir();
    if (dir)
        test_plan(dir);
    else
        fprintf(stderr, "test_cuda_host: TENGEN_SHARED_DIR is not set; skipping the planning checks\n");
    return check_finish("test_cuda_host");
}
