/* The OpenCL C source of every kernel the opencl backend runs (NCHW), kept as strings so the plugin is
 * a single file to install.
 *
 * Addressing. Every kernel gets two buffers: W, the context's read-only weights (plus tables derived
 * from them, like RoPE angles), and A, the handle's arena holding every activation tensor. Tensors are
 * named by element offsets into one of the two, so one allocation per handle serves the whole pass and
 * no sub-buffer alignment rules apply. A weight offset of -1 means "none".
 *
 * Storage. Both buffers hold store_t: float, or half when the program is built with -DTG_HALF
 * (useFP16Storage). Kernels touch them only through LD/ST, which go through vload_half/vstore_half
 * (OpenCL 1.2 core, no cl_khr_fp16 needed), and compute in float.
 *
 * Half arithmetic. Built with -DTG_HALF_COMPUTE as well (useFP16, on a device with cl_khr_fp16), the
 * gemm multiplies and accumulates in real_t = half: that is where a GPU gains (twice the FMA rate with
 * half2, half the local memory per tile). Everything else keeps float arithmetic on half storage: the
 * activations (exp, log), softmax, norms' statistics and pooling sums lose too much in half for the
 * little time they take. The gemm's half code uses operators and scalar half loads only, never half
 * vector builtins (vloadN on half, convert_halfN, mad on halfN), which some drivers' libraries lack.
 *
 * Speed. Convolutions and per-point matrix products are one tiled GEMM (gemm below: local-memory
 * tiles, a register block per work-item, tile sizes fixed at build time by -D so the compiler unrolls
 * them; tuning.c picks them per device); a KxK convolution first unrolls its input with im2col, which
 * also applies the preceding batch norm and activation. The remaining kernels are plain (one work-item
 * per output): they are a small share of the work. */
#include "opencl_internal.h"

const char tg_ocl_prelude_source[] =
    "#ifdef TG_HALF_COMPUTE\n"
    "#pragma OPENCL EXTENSION cl_khr_fp16 : enable\n"
    "#ifndef TG_HALF\n"
    "#define TG_HALF\n"
    "#endif\n"
    "#endif\n"
    "#ifdef TG_HALF\n"
    "typedef half store_t;\n"
    "#define LD(p, i) vload_half((size_t)(i), (p))\n"
    "#define ST(p, i, v) vstore_half((v), (size_t)(i), (p))\n"
    "#else\n"
    "typedef float store_t;\n"
    "#define LD(p, i) ((p)[i])\n"
    "#define ST(p, i, v) ((p)[i] = (v))\n"
    "#endif\n"
    "float act_apply(int kind, float x) {\n"
    "  if (kind == 1) return x > 0.0f ? x : 0.0f;\n"
    "  if (kind == 2) { float sp = x < 20.0f ? log1p(exp(x)) : x; return x * tanh(sp); }\n"
    "  if (kind == 12) { float y = 8.0f * x; float sp = y < 20.0f ? log1p(exp(y)) : y; return x * tanh(sp); }\n"
    "  if (kind == 3) return x / (1.0f + exp(-x));\n"
    "  return x;\n"
    "}\n";

/* out[n][m][p] (mode) sum_k a(m,k) b[n][k][p] with a(m,k) = W[a + m*a_sm + k*a_sk] and b a K x hw
 * matrix per batch entry in A. Modes: 0 store; 1 add to out (residual); 2 store the batch norm and
 * activation of the sum, zero off the board; 3 add the sum times the board mask (transformer residual).
 * The work-group is (TN/RN) x (TM/RM): work-item (tx, ty) owns rows ty + i*(TM/RM) and columns
 * tx + j*(TN/RN) of the TM x TN output tile, so neighbouring work-items touch neighbouring points. */
const char tg_ocl_gemm_source[] =
    "#define CAT2(a, b) a##b\n"
    "#define CAT(a, b) CAT2(a, b)\n"
    /* real_t (REAL): the type the gemm multiplies and adds in; LDR reads a stored element as one. MAD is
     * written out for half: an expression contracts to an FMA all the same (OpenCL's default
     * FP_CONTRACT), and needs no half builtin. */
    "#ifdef TG_HALF_COMPUTE\n"
    "#define REAL half\n"
    "#define LDR(p, i) ((p)[i])\n"
    "#define MAD(a, b, c) ((a) * (b) + (c))\n"
    "#else\n"
    "#define REAL float\n"
    "#define LDR(p, i) LD(p, i)\n"
    "#define MAD(a, b, c) mad(a, b, c)\n"
    "#endif\n"
    "typedef REAL real_t;\n"
    "#define EPILOGUE(s, m, p) {\\\n"
    "      size_t o = (size_t)out + ((size_t)n * M + (m)) * hw + (p);\\\n"
    "      if (mode == 1) s += LD(A, o);\\\n"
    "      else if (mode == 2) s = LD(A, mask + n * hw + (p)) != 0.0f ? act_apply(act, s * LD(W, scale + (m)) + LD(W, bias + (m))) : 0.0f;\\\n"
    "      else if (mode == 3) s = LD(A, o) + s * LD(A, mask + n * hw + (p));\\\n"
    "      ST(A, o, s); }\n"
    "#ifdef VW\n"
    /* The vector form, for CPUs: no local memory or barriers (a CPU's caches do that job, and a
     * barrier makes PoCL keep per-work-item state in memory); each work-item owns RM rows times VW
     * consecutive points, one vector register per row, and broadcasts each weight. */
    "typedef CAT(REAL, VW) vec_t;\n"
    /* a private array of VW reals seen as one vector (aligned as the vector type needs) */
    "#define LANES(name) __attribute__((aligned(sizeof(vec_t)))) real_t name[VW]\n"
    "#define AS_VEC(arr) (*(vec_t *)(arr))\n"
    "#ifdef TG_HALF_COMPUTE\n"
    "vec_t vld_real(__global const half *p) {\n"
    "  LANES(t);\n"
    "  for (int j = 0; j < VW; j++) t[j] = p[j];\n"
    "  return AS_VEC(t);\n"
    "}\n"
    "#define VLD(p, i) vld_real((p) + (i))\n"
    "#elif defined(TG_HALF)\n"
    "#define VLD(p, i) CAT(vload_half, VW)(0, (p) + (i))\n"
    "#else\n"
    "#define VLD(p, i) CAT(vload, VW)(0, (p) + (i))\n"
    "#endif\n"
    "__kernel void gemm(__global const store_t *W, __global store_t *A, int a, int a_sm, int a_sk, int b, int out,\n"
    "          int M, int K, int hw, int mode, int scale, int bias, int act, int mask) {\n"
    "  const int p0 = get_global_id(0) * VW, m0 = get_global_id(1) * RM, n = get_global_id(2);\n"
    "  const size_t bn = (size_t)b + (size_t)n * K * hw;\n"
    "  int arow[RM];\n"
    /* rows past M repeat the last one: computed, never stored */
    "  for (int i = 0; i < RM; i++) arow[i] = a + min(m0 + i, M - 1) * a_sm;\n"
    "  vec_t acc[RM];\n"
    "  for (int i = 0; i < RM; i++) acc[i] = (vec_t)((real_t)0.0f);\n"
    "  if (p0 + VW <= hw) {\n"
    "    for (int k = 0; k < K; k++) {\n"
    "      vec_t bv = VLD(A, bn + (size_t)k * hw + p0);\n"
    "      for (int i = 0; i < RM; i++) acc[i] = MAD((vec_t)(LDR(W, arow[i] + k * a_sk)), bv, acc[i]);\n"
    "    }\n"
    "  } else {\n"
    "    LANES(part);\n"
    "    for (int k = 0; k < K; k++) {\n"
    "      for (int j = 0; j < VW; j++) part[j] = p0 + j < hw ? LDR(A, bn + (size_t)k * hw + p0 + j) : (real_t)0.0f;\n"
    "      vec_t bv = AS_VEC(part);\n"
    "      for (int i = 0; i < RM; i++) acc[i] = MAD((vec_t)(LDR(W, arow[i] + k * a_sk)), bv, acc[i]);\n"
    "    }\n"
    "  }\n"
    "  for (int i = 0; i < RM && m0 + i < M; i++) {\n"
    "    LANES(sums);\n"
    "    AS_VEC(sums) = acc[i];\n"
    "    for (int j = 0; j < VW && p0 + j < hw; j++) { float s = (float)sums[j]; EPILOGUE(s, m0 + i, p0 + j) }\n"
    "  }\n"
    "}\n"
    "#else\n"
    "#define WGX (TN / RN)\n"
    "#define WGY (TM / RM)\n"
    "__kernel __attribute__((reqd_work_group_size(WGX, WGY, 1)))\n"
    "void gemm(__global const store_t *W, __global store_t *A, int a, int a_sm, int a_sk, int b, int out,\n"
    "          int M, int K, int hw, int mode, int scale, int bias, int act, int mask) {\n"
    "  __local real_t As[TK][TM];\n"
    "  __local real_t Bs[TK][TN];\n"
    "  const int tx = get_local_id(0), ty = get_local_id(1), n = get_global_id(2);\n"
    "  const int lid = ty * WGX + tx;\n"
    "  const int p0 = get_group_id(0) * TN, m0 = get_group_id(1) * TM;\n"
    "  const size_t bn = (size_t)b + (size_t)n * K * hw;\n"
    "  real_t acc[RM][RN];\n"
    "  for (int i = 0; i < RM; i++) for (int j = 0; j < RN; j++) acc[i][j] = (real_t)0.0f;\n"
    "  for (int k0 = 0; k0 < K; k0 += TK) {\n"
    "    for (int i = lid; i < TM * TK; i += WGX * WGY) {\n"
    "      int kk = i % TK, mm = i / TK, m = m0 + mm, k = k0 + kk;\n"
    "      As[kk][mm] = m < M && k < K ? LDR(W, a + m * a_sm + k * a_sk) : (real_t)0.0f;\n"
    "    }\n"
    "    for (int i = lid; i < TN * TK; i += WGX * WGY) {\n"
    "      int pp = i % TN, kk = i / TN, p = p0 + pp, k = k0 + kk;\n"
    "      Bs[kk][pp] = p < hw && k < K ? LDR(A, bn + (size_t)k * hw + p) : (real_t)0.0f;\n"
    "    }\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    for (int kk = 0; kk < TK; kk++) {\n"
    "      real_t av[RM], bv[RN];\n"
    "      for (int i = 0; i < RM; i++) av[i] = As[kk][ty + i * WGY];\n"
    "      for (int j = 0; j < RN; j++) bv[j] = Bs[kk][tx + j * WGX];\n"
    "      for (int i = 0; i < RM; i++) for (int j = 0; j < RN; j++) acc[i][j] = MAD(av[i], bv[j], acc[i][j]);\n"
    "    }\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "  }\n"
    "  for (int i = 0; i < RM; i++) {\n"
    "    int m = m0 + ty + i * WGY;\n"
    "    if (m >= M) continue;\n"
    "    for (int j = 0; j < RN; j++) {\n"
    "      int p = p0 + tx + j * WGX;\n"
    "      if (p >= hw) continue;\n"
    "      float s = (float)acc[i][j];\n"
    "      EPILOGUE(s, m, p)\n"
    "    }\n"
    "  }\n"
    "}\n"
    "#endif\n";

const char tg_ocl_kernel_source[] =
    /* col[n][c*ky*kx + tap][p] = the input under tap of point p, 0 past the tensor edge; with scale >= 0
     * the input is first normalized and activated, 0 off the board (a fused norm_act) */
    "__kernel void im2col(__global const store_t *W, __global store_t *A, int in, int col, int cin, int H,\n"
    "                     int Wd, int ky, int kx, int dy, int dx, int scale, int bias, int act, int mask) {\n"
    "  int p = get_global_id(0), k = get_global_id(1), n = get_global_id(2);\n"
    "  int hw = H * Wd, taps = ky * kx, c = k / taps, tap = k % taps;\n"
    "  int sy = p / Wd + (tap / kx) * dy - dy * (ky - 1) / 2, sx = p % Wd + (tap % kx) * dx - dx * (kx - 1) / 2;\n"
    "  float v = 0.0f;\n"
    "  if (sy >= 0 && sy < H && sx >= 0 && sx < Wd) {\n"
    "    int q = sy * Wd + sx;\n"
    "    v = LD(A, in + (size_t)(n * cin + c) * hw + q);\n"
    "    if (scale >= 0) v = LD(A, mask + n * hw + q) != 0.0f ? act_apply(act, v * LD(W, scale + c) + LD(W, bias + c)) : 0.0f;\n"
    "  }\n"
    "  ST(A, col + ((size_t)n * cin * taps + k) * hw + p, v);\n"
    "}\n"
    /* out = act(in * scale[c] + bias[c]) on the board, 0 off it */
    "__kernel void norm_act(__global const store_t *W, __global store_t *A, int scale, int bias, int act, int C,\n"
    "                       int hw, int mask, int in, int out) {\n"
    "  int p = get_global_id(0), c = get_global_id(1), n = get_global_id(2);\n"
    "  size_t i = (size_t)(n * C + c) * hw + p;\n"
    "  ST(A, out + i, LD(A, mask + n * hw + p) != 0.0f ? act_apply(act, LD(A, in + i) * LD(W, scale + c) + LD(W, bias + c)) : 0.0f);\n"
    "}\n"
    /* trunk pooling (value 0): mean, scaled mean, max floored at -1; value pooling (1): mean, two scalings */
    "__kernel void gpool(__global const store_t *W, __global store_t *A, int C, int hw, int in, int mask, int msum,\n"
    "                    int out, int value) {\n"
    "  int c = get_global_id(0), n = get_global_id(1);\n"
    "  size_t v = in + (size_t)(n * C + c) * hw, m = mask + n * hw;\n"
    "  float sum = 0.0f, mx = -1.0f;\n"
    "  for (int p = 0; p < hw; p++) { float x = LD(A, v + p); sum += x; mx = fmax(mx, x + (LD(A, m + p) - 1.0f)); }\n"
    "  float area = LD(A, msum + n), mean = sum / area, d = sqrt(area) - 14.0f;\n"
    "  size_t o = out + (size_t)n * 3 * C;\n"
    "  ST(A, o + c, mean);\n"
    "  ST(A, o + C + c, mean * d * 0.1f);\n"
    "  ST(A, o + 2 * C + c, value ? mean * (d * d * 0.01f - 0.1f) : mx);\n"
    "}\n"
    /* out[r][o] = act(sum_i in[r][i] w[i][o] + bias[o]) for row vectors */
    "__kernel void matmul_rows(__global const store_t *W, __global store_t *A, int in, int w, int out, int cin,\n"
    "                          int cout, int bias, int act) {\n"
    "  int o = get_global_id(0), r = get_global_id(1);\n"
    "  float s = 0.0f;\n"
    "  for (int i = 0; i < cin; i++) s += LD(A, in + r * cin + i) * LD(W, w + (size_t)i * cout + o);\n"
    "  if (bias >= 0) s += LD(W, bias + o);\n"
    "  ST(A, out + r * cout + o, act_apply(act, s));\n"
    "}\n"
    /* x[n][c][p] += b[n][c] everywhere, off-board points included */
    "__kernel void add_channel_bias(__global const store_t *W, __global store_t *A, int C, int hw, int b, int x) {\n"
    "  int p = get_global_id(0), c = get_global_id(1), n = get_global_id(2);\n"
    "  size_t i = x + (size_t)(n * C + c) * hw + p;\n"
    "  ST(A, i, LD(A, i) + LD(A, b + n * C + c));\n"
    "}\n"
    /* RMS norm over the channels of one point, then gain, shift (if any), activation; 0 off the board */
    "__kernel void rms_points(__global const store_t *W, __global store_t *A, int C, int hw, float eps, int gain,\n"
    "                         int shift, int act, int mask, int in, int out) {\n"
    "  int p = get_global_id(0), n = get_global_id(1);\n"
    "  size_t src = in + (size_t)n * C * hw + p, dst = out + (size_t)n * C * hw + p;\n"
    "  if (LD(A, mask + n * hw + p) == 0.0f) { for (int c = 0; c < C; c++) ST(A, dst + (size_t)c * hw, 0.0f); return; }\n"
    "  float ss = 0.0f;\n"
    "  for (int c = 0; c < C; c++) { float v = LD(A, src + (size_t)c * hw); ss += v * v; }\n"
    "  float r = 1.0f / sqrt(ss / (float)C + eps);\n"
    "  for (int c = 0; c < C; c++) {\n"
    "    float v = LD(A, src + (size_t)c * hw) * r * LD(W, gain + c);\n"
    "    if (shift >= 0) v += LD(W, shift + c);\n"
    "    ST(A, dst + (size_t)c * hw, act_apply(act, v));\n"
    "  }\n"
    "}\n"
    /* RMS over channels and on-board points of one position: one work-item per position */
    "__kernel void rms_board(__global const store_t *W, __global store_t *A, int C, int hw, float eps, int gain,\n"
    "                        int shift, int act, int mask, int in, int out) {\n"
    "  int n = get_global_id(0);\n"
    "  size_t src = in + (size_t)n * C * hw, dst = out + (size_t)n * C * hw, m = mask + n * hw;\n"
    "  float ss = 0.0f; int count = 0;\n"
    "  for (int p = 0; p < hw; p++) {\n"
    "    if (LD(A, m + p) == 0.0f) continue;\n"
    "    for (int c = 0; c < C; c++) { float v = LD(A, src + (size_t)c * hw + p); ss += v * v; }\n"
    "    count++;\n"
    "  }\n"
    "  float r = 1.0f / sqrt(ss / ((float)count * (float)C) + eps);\n"
    "  for (int c = 0; c < C; c++)\n"
    "    for (int p = 0; p < hw; p++) {\n"
    "      size_t i = (size_t)c * hw + p;\n"
    "      ST(A, dst + i, LD(A, m + p) != 0.0f ? act_apply(act, LD(A, src + i) * r * LD(W, gain + c) + LD(W, shift + c)) : 0.0f);\n"
    "    }\n"
    "}\n"
    /* rotates channel pairs of every head by the precomputed RoPE angles (tables in W) */
    "__kernel void rope(__global const store_t *W, __global store_t *A, int buf, int heads, int kv_heads, int dim,\n"
    "                   int learned, int cosv, int sinv, int hw) {\n"
    "  int i = get_global_id(0), hp = get_global_id(1), n = get_global_id(2);\n"
    "  int pairs = dim / 2, h = hp / pairs, p = hp % pairs;\n"
    "  int kv = h * kv_heads / heads;\n"
    "  size_t row = (size_t)(learned ? kv * pairs + p : p) * hw + i;\n"
    "  float cs = LD(W, cosv + row), sn = LD(W, sinv + row);\n"
    "  size_t c0 = buf + ((size_t)n * heads * dim + (size_t)h * dim + 2 * p) * hw + i;\n"
    "  float u = LD(A, c0), v = LD(A, c0 + hw);\n"
    "  ST(A, c0, u * cs - v * sn);\n"
    "  ST(A, c0 + hw, u * sn + v * cs);\n"
    "}\n"
    /* scores[n*heads+h][i][j] = q_i . k_j */
    "__kernel void attn_scores(__global const store_t *W, __global store_t *A, int q, int k, int scores, int heads,\n"
    "                          int kv_heads, int dim, int hw) {\n"
    "  int j = get_global_id(0), i = get_global_id(1), nh = get_global_id(2);\n"
    "  int n = nh / heads, h = nh % heads, kvh = h / (heads / kv_heads);\n"
    "  size_t qh = q + ((size_t)n * heads + h) * dim * hw + i;\n"
    "  size_t kh = k + ((size_t)n * kv_heads + kvh) * dim * hw + j;\n"
    "  float s = 0.0f;\n"
    "  for (int d = 0; d < dim; d++) s += LD(A, qh + (size_t)d * hw) * LD(A, kh + (size_t)d * hw);\n"
    "  ST(A, scores + ((size_t)nh * hw + i) * hw + j, s);\n"
    "}\n"
    /* one query row: scale, softmax over on-board keys; rows of off-board queries become zero */
    "__kernel void attn_softmax(__global const store_t *W, __global store_t *A, int scores, int mask, int heads,\n"
    "                           int hw, float scale) {\n"
    "  int i = get_global_id(0), nh = get_global_id(1), n = nh / heads;\n"
    "  size_t row = scores + ((size_t)nh * hw + i) * hw, m = mask + n * hw;\n"
    "  if (LD(A, m + i) == 0.0f) { for (int k = 0; k < hw; k++) ST(A, row + k, 0.0f); return; }\n"
    "  float mx = -1e30f;\n"
    "  for (int k = 0; k < hw; k++) { float s = LD(A, row + k) * scale; if (LD(A, m + k) != 0.0f && s > mx) mx = s; }\n"
    "  float sum = 0.0f;\n"
    "  for (int k = 0; k < hw; k++) sum += LD(A, m + k) != 0.0f ? exp(LD(A, row + k) * scale - mx) : 0.0f;\n"
    "  float inv = 1.0f / sum;\n"
    "  for (int k = 0; k < hw; k++)\n"
    "    ST(A, row + k, LD(A, m + k) != 0.0f ? exp(LD(A, row + k) * scale - mx) * inv : 0.0f);\n"
    "}\n"
    /* out[n][h][d][i] = sum_j v[d][j] weights[i][j] */
    "__kernel void attn_values(__global const store_t *W, __global store_t *A, int v, int scores, int out, int heads,\n"
    "                          int kv_heads, int dim, int hw) {\n"
    "  int i = get_global_id(0), d = get_global_id(1), nh = get_global_id(2);\n"
    "  int n = nh / heads, h = nh % heads, kvh = h / (heads / kv_heads);\n"
    "  size_t vh = v + (((size_t)n * kv_heads + kvh) * dim + d) * hw;\n"
    "  size_t row = scores + ((size_t)nh * hw + i) * hw;\n"
    "  float s = 0.0f;\n"
    "  for (int j = 0; j < hw; j++) s += LD(A, vh + j) * LD(A, row + j);\n"
    "  ST(A, out + (((size_t)n * heads + h) * dim + d) * hw + i, s);\n"
    "}\n"
    /* SwiGLU: a = silu(a) * g */
    "__kernel void swiglu(__global const store_t *W, __global store_t *A, int a, int g) {\n"
    "  size_t i = get_global_id(0);\n"
    "  float x = LD(A, a + i);\n"
    "  ST(A, a + i, x / (1.0f + exp(-x)) * LD(A, g + i));\n"
    "}\n";

/* Must list the kernels in the order of enum tg_ocl_kernel. */
const char *const tg_ocl_kernel_names[TG_OCL_NUM_KERNELS] = {
    "gemm", "im2col", "norm_act", "gpool", "matmul_rows", "add_channel_bias", "rms_points", "rms_board", "rope",
    "attn_scores", "attn_softmax", "attn_values", "swiglu",
};
