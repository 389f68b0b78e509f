/* Host-side data conversions of the CUDA plugins (see layout.h): done once per model at create(), or
 * once per batch for inputs, on the CPU, where they can be unit-tested without a GPU. */
#include "layout.h"

#include <math.h>
#include <string.h>

uint16_t tg_cuda_half_from_float(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    const uint32_t sign = (x >> 16) & 0x8000u, mag = x & 0x7fffffffu;
    if (mag >= 0x7f800000u) /* infinity, or NaN kept quiet with a payload bit so it stays a NaN */
        return (uint16_t)(sign | 0x7c00u | (mag > 0x7f800000u ? 0x200u : 0u));
    if (mag >= 0x477ff000u) /* rounds to above 65504, the largest finite half */
        return (uint16_t)(sign | 0x7c00u);
    if (mag < 0x38800000u) {
        /* Subnormal halves are multiples of 2^-24: scale up and round to nearest even in integers.
         * Below 2^-25 everything rounds to zero; the shift keeps 2^-25 itself a tie that goes to 0. */
        if (mag < 0x33000000u)
            return (uint16_t)sign;
        const uint32_t e = mag >> 23, m = (mag & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126u - e; /* bits dropped so that m's lsb weighs 2^-24 */
        uint32_t h = m >> shift;
        const uint32_t rest = m & ((1u << shift) - 1u), halfway = 1u << (shift - 1u);
        if (rest > halfway || (rest == halfway && (h & 1u)))
            h++;
        return (uint16_t)(sign | h); /* a carry into bit 10 is the smallest normal, as it should be */
    }
    /* Normal: rebias the exponent, keep 10 mantissa bits, round the 13 dropped bits to nearest even;
     * a mantissa carry bumps the exponent, which is still correct. */
    uint32_t h = (((mag >> 23) - 112u) << 10) | ((mag >> 13) & 0x3ffu);
    const uint32_t rest = mag & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
        h++;
    return (uint16_t)(sign | h);
}

float tg_cuda_half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) {
        const float v = (float)m * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    const uint32_t x = sign | (e == 31 ? 0x7f800000u | (m << 13) : ((e + 112u) << 23) | (m << 13));
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

void tg_cuda_floats_to_halves(const float *src, uint16_t *dst, size_t count) {
    for (size_t i = 0; i < count; i++)
        dst[i] = tg_cuda_half_from_float(src[i]);
}

void tg_cuda_conv_to_ohwi(const tg_conv_layer *conv, const float *out_scale, float *out) {
    const size_t ci = (size_t)conv->in_channels, ky = (size_t)conv->kernel_y, kx = (size_t)conv->kernel_x;
    for (size_t o = 0; o < (size_t)conv->out_channels; o++) {
        const float s = out_scale ? out_scale[o] : 1.0f;
        for (size_t y = 0; y < ky; y++)
            for (size_t x = 0; x < kx; x++)
                for (size_t i = 0; i < ci; i++)
                    out[((o * ky + y) * kx + x) * ci + i] = conv->weights[((o * ci + i) * ky + y) * kx + x] * s;
    }
}

void tg_cuda_bn_scale_bias(const tg_bn_layer *bn, float *scale, float *bias) {
    memcpy(scale, bn->merged_scale, sizeof(float) * (size_t)bn->channels);
    memcpy(bias, bn->merged_bias, sizeof(float) * (size_t)bn->channels);
}

bool tg_cuda_bn_foldable(const tg_bn_layer *bn) {
    for (int c = 0; c < bn->channels; c++)
        if (!isfinite(bn->merged_scale[c]))
            return false;
    return true;
}

void tg_cuda_nchw_to_nhwc(const float *src, int batch, int channels, int hw, float *dst) {
    const size_t c_n = (size_t)channels, hw_n = (size_t)hw;
    for (size_t n = 0; n < (size_t)batch; n++) {
        const float *s = src + n * c_n * hw_n;
        float *d = dst + n * c_n * hw_n;
        for (size_t c = 0; c < c_n; c++)
            for (size_t p = 0; p < hw_n; p++)
                d[p * c_n + c] = s[c * hw_n + p];
    }
}

int tg_cuda_board_mask(const float *spatial, int batch, int channels, int hw, float *mask, float *mask_sum) {
    int bad = -1;
    for (int n = 0; n < batch; n++) {
        const float *ch0 = spatial + (size_t)n * (size_t)channels * (size_t)hw;
        float sum = 0.0f;
        for (int p = 0; p < hw; p++) {
            mask[(size_t)n * (size_t)hw + (size_t)p] = ch0[p];
            sum += ch0[p];
        }
        mask_sum[n] = sum;
        if (!(sum >= 1.0f) && bad < 0)
            bad = n;
    }
    return bad;
}
