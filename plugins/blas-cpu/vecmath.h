/* 16-lane float vectors (GCC vector extensions) and the activations on them, for the blas-cpu
 * kernels that keep values in vectors: one AVX-512 register, two AVX2 ones, four SSE ones.
 *
 * Mish, the activation of KataGo's newer networks, would otherwise cost three libm calls per
 * element (expf, log1pf, tanhf) and take half the time of a mish network's evaluation. With
 * n = e^x (e^x + 2), tanh(log(1 + e^x)) = n / (n + 2), so one vector exp suffices; no term cancels
 * for negative x, where n / (n + 2) tends to e^x. */
#ifndef TENGEN_BLAS_CPU_VECMATH_H
#define TENGEN_BLAS_CPU_VECMATH_H

#include "forward.h"

#define TG_VW 16

typedef float tg_vf __attribute__((vector_size(TG_VW * sizeof(float)), aligned(sizeof(float))));
typedef int tg_vi __attribute__((vector_size(TG_VW * sizeof(int)), aligned(sizeof(int))));

/* Functions holding their hot loops in tg_vf are compiled for each instruction set level and
 * picked at load time: the plugin is built for a generic x86-64 but mostly runs on AVX2 or
 * AVX-512 machines. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define TG_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TG_MULTIVERSION
#endif

/* Every helper taking or returning vectors is always inlined: an out-of-line copy would be compiled
 * for the default target, and a caller compiled for AVX-512 (TG_MULTIVERSION) passes 64-byte vectors
 * in registers where such a copy expects them in memory. */
#define TG_VINLINE static inline __attribute__((always_inline))

/* Lane by lane: mask (all ones or zero per lane) ? a : b. */
TG_VINLINE tg_vf tg_vselect(tg_vi mask, tg_vf a, tg_vf b) {
    return (tg_vf)(((tg_vi)a & mask) | ((tg_vi)b & ~mask));
}
TG_VINLINE tg_vf tg_vmax(tg_vf a, tg_vf b) { return tg_vselect(a > b, a, b); }
TG_VINLINE tg_vf tg_vmin(tg_vf a, tg_vf b) { return tg_vselect(a < b, a, b); }

/* e^x with a relative error below 3e-7 on [-87, 88]; 0 below, e^88 above. Range reduction to
 * x = k ln2 + r with |r| <= ln2 / 2 (ln2 split in two so k ln2 is exact), a degree-6 Taylor
 * polynomial for e^r, and 2^k built in the exponent bits. */
TG_VINLINE tg_vf tg_vexp(tg_vf x) {
    const tg_vf zero = {0};
    const tg_vi underflow = x < -87.0f;
    x = tg_vmin(tg_vmax(x, zero - 87.0f), zero + 88.0f);
    /* round to nearest by the 1.5 * 2^23 trick: exact for |x log2 e| < 2^22 */
    const tg_vf k = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
    const tg_vf r = (x - k * 0.693359375f) + k * 2.12194440e-4f;
    tg_vf p = zero + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const tg_vi bits = (__builtin_convertvector(k, tg_vi) + 127) << 23;
    return (tg_vf)((tg_vi)(p * (tg_vf)bits) & ~underflow);
}

/* x tanh(softplus(s x)) for s = 1 (mish) or 8 (KataGo's scaled mish); above s x = 20 it is x in
 * float, and the cut keeps n finite. */
TG_VINLINE tg_vf tg_vmish(tg_vf x, float s) {
    const tg_vf sx = x * s;
    const tg_vf e = tg_vexp(tg_vmin(sx, (tg_vf){0} + 20.0f));
    const tg_vf n = e * (e + 2.0f);
    return tg_vselect(sx > 20.0f, x, x * n / (n + 2.0f));
}

/* tg_blas_activate1 on 16 lanes. */
TG_VINLINE tg_vf tg_vactivate(int kind, tg_vf x) {
    switch (kind) {
    case TG_ACT_RELU: return (tg_vf)((tg_vi)x & (tg_vi)(x > 0.0f));
    case TG_ACT_MISH: return tg_vmish(x, 1.0f);
    case TG_ACT_MISH_SCALE8: return tg_vmish(x, 8.0f);
    case TG_ACT_SILU: return x / (1.0f + tg_vexp(-x));
    default: return x;
    }
}

#endif
