/* Winograd F(4x4, 3x3) and F(4x4, 5x5) convolutions of the blas-cpu backend; see winograd.h for
 * the data flow.
 *
 * Both are Toom-Cook constructions (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2015) over the points a_j listed, plus the point at infinity, with r the kernel side,
 * alpha = 4 + r - 1 and M(x) the product of (x - a_j) over the finite points:
 *   A^T[i][j] = a_j^i (last column: 1 in the last row only);
 *   G[j][k]   = a_j^k / prod over l != j of (a_j - a_l) (last row: 1 in the last column only);
 *   B^T row j = the coefficients of M(x) / (x - a_j), lowest power first (last row: those of M(x)).
 * F(4, 3), points 0, +-1, +-2:
 *   input  B^T d B,   B^T rows: [4 0 -5 0 1 0] [0 -4 -4 1 1 0] [0 4 -4 -1 1 0]
 *                               [0 -2 -1 2 1 0] [0 2 -1 -2 1 0] [0 4 0 -5 0 1]
 *   weight G g G^T,   G rows:   [1/4 0 0] [-1/6 -1/6 -1/6] [-1/6 1/6 -1/6]
 *                               [1/24 1/12 1/6] [1/24 -1/12 1/6] [0 0 1]
 *   output A^T m A,   A^T rows: [1 1 1 1 1 0] [0 1 -1 2 -2 0] [0 1 1 4 4 0] [0 1 -1 8 -8 1]
 * F(4, 5), points 0, +-1, +-2, +-1/2 (the first layer of most KataGo networks is 5x5):
 *   B^T rows: [-1 0 21/4 0 -21/4 0 1 0]  [0 1 1 -17/4 -17/4 1 1 0]  [0 -1 1 17/4 -17/4 -1 1 0]
 *             [0 1/2 1/4 -5/2 -5/4 2 1 0]  [0 -1/2 1/4 5/2 -5/4 -2 1 0]  [0 2 4 -5/2 -5 1/2 1 0]
 *             [0 -2 4 5/2 -5 -1/2 1 0]  [0 -1 0 21/4 0 -21/4 0 1]
 *   G rows:   [-1 0 0 0 0]  [-2/9 -2/9 -2/9 -2/9 -2/9]  [-2/9 2/9 -2/9 2/9 -2/9]
 *             [1/90 1/45 2/45 4/45 8/45]  [1/90 -1/45 2/45 -4/45 8/45]
 *             [32/45 16/45 8/45 4/45 2/45]  [32/45 -16/45 8/45 -4/45 2/45]  [0 0 0 0 1]
 *   A^T rows: [1 1 1 1 1 1 1 0]  [0 1 -1 2 -2 1/2 -1/2 0]  [0 1 1 4 4 1/4 1/4 0]
 *             [0 1 -1 8 -8 1/8 -1/8 1]
 * Every entry of B^T and A^T is exact in binary; G is applied in double when the weights are
 * prepared. The transforms run with channels as vector lanes (VW floats, vecmath.h). */
#include "winograd.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "vecmath.h"

#define VW TG_VW  /* vector width in floats: one AVX-512 register, two AVX2 ones */
#define TILE 4    /* output tile side */
#define PATCH 6   /* input tile side of F(4x4, 3x3): TILE + 3 - 1 */
#define POINTS 36
#define PATCH5 8  /* input tile side of F(4x4, 5x5): TILE + 5 - 1 */
#define POINTS5 64

/* Tiles per chunk: a chunk's transform-domain input and output (36 x TILES_PER_CHUNK x channels
 * each) fit the 1 MiB L2 of the machines measured for 96 channels; also the batch size at which
 * the per-point sgemm has enough rows to run near its peak. */
#define TILES_PER_CHUNK 64

/* The tiles of one chunk: total split into equal chunks of at most TILES_PER_CHUNK. Equal chunks
 * matter: a batch of three 19x19 boards (75 tiles) cut as 64 + 11 runs its second round of sgemms on
 * 11 rows, far below their peak, and was slower per position than a batch of two. */
static int chunk_tiles(int total) {
    const int chunks = (total + TILES_PER_CHUNK - 1) / TILES_PER_CHUNK;
    return (total + chunks - 1) / chunks;
}

static int points_of(int kernel) { return kernel == 5 ? POINTS5 : POINTS; }

typedef tg_vf vf;
typedef tg_vi vi;
#define MULTIVERSION TG_MULTIVERSION

static int round_up(int n) { return (n + VW - 1) / VW * VW; }

bool tg_wino_applies(const tg_conv_layer *conv) {
    return conv->kernel_y == conv->kernel_x && (conv->kernel_y == 3 || conv->kernel_y == 5) &&
           conv->dilation_y == 1 && conv->dilation_x == 1;
}

bool tg_wino_prepare(const tg_conv_layer *conv, tg_wino_weights *w) {
    static const double G3[PATCH][3] = {{1.0 / 4, 0, 0},
                                        {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                        {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                        {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                        {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                        {0, 0, 1}};
    static const double G5[PATCH5][5] = {{-1, 0, 0, 0, 0},
                                         {-2.0 / 9, -2.0 / 9, -2.0 / 9, -2.0 / 9, -2.0 / 9},
                                         {-2.0 / 9, 2.0 / 9, -2.0 / 9, 2.0 / 9, -2.0 / 9},
                                         {1.0 / 90, 1.0 / 45, 2.0 / 45, 4.0 / 45, 8.0 / 45},
                                         {1.0 / 90, -1.0 / 45, 2.0 / 45, -4.0 / 45, 8.0 / 45},
                                         {32.0 / 45, 16.0 / 45, 8.0 / 45, 4.0 / 45, 2.0 / 45},
                                         {32.0 / 45, -16.0 / 45, 8.0 / 45, -4.0 / 45, 2.0 / 45},
                                         {0, 0, 0, 0, 1}};
    memset(w, 0, sizeof *w);
    w->layer = conv;
    w->in_c = conv->in_channels;
    w->out_c = conv->out_channels;
    w->in_cp = round_up(w->in_c);
    w->out_cp = round_up(w->out_c);
    const int ks = conv->kernel_y, alpha = TILE + ks - 1;
    const double *G = ks == 5 ? &G5[0][0] : &G3[0][0]; /* [alpha][ks] */
    w->alpha = alpha;
    w->points = alpha * alpha;
    /* calloc: the padding columns o >= out_c stay zero, so the sgemm may read them harmlessly */
    w->u = calloc((size_t)w->points * w->in_c * w->out_cp, sizeof(float));
    if (!w->u)
        return false;
    for (int o = 0; o < w->out_c; o++)
        for (int c = 0; c < w->in_c; c++) {
            const float *g = conv->weights + ((size_t)o * w->in_c + c) * ks * ks;
            double gg[PATCH5][5]; /* G g, in double so the stored weights carry only one rounding */
            for (int i = 0; i < alpha; i++)
                for (int k = 0; k < ks; k++) {
                    double sum = 0;
                    for (int l = 0; l < ks; l++)
                        sum += G[i * ks + l] * g[l * ks + k];
                    gg[i][k] = sum;
                }
            for (int i = 0; i < alpha; i++)
                for (int j = 0; j < alpha; j++) {
                    double u = 0;
                    for (int k = 0; k < ks; k++)
                        u += gg[i][k] * G[j * ks + k];
                    w->u[((size_t)(i * alpha + j) * w->in_c + c) * w->out_cp + o] = (float)u;
                }
        }
    return true;
}

void tg_wino_free(tg_wino_weights *w) {
    if (w) {
        free(w->u);
        w->u = NULL;
    }
}

typedef struct geometry {
    int height, width, tiles_y, tiles_x, tiles; /* tiles per image */
    int border;                                  /* zero rows/columns before the board: kernel / 2 */
    int pad_h, pad_w;                            /* the bordered channel-last input */
} geometry;

/* The patch of the tile at (ty, tx) starts at bordered row 4 ty, column 4 tx, and is kernel + 3
 * wide: the last patches end at row 4 tiles_y + kernel - 2. */
static geometry geometry_of(int height, int width, int kernel) {
    geometry g;
    g.height = height;
    g.width = width;
    g.tiles_y = (height + TILE - 1) / TILE;
    g.tiles_x = (width + TILE - 1) / TILE;
    g.tiles = g.tiles_y * g.tiles_x;
    g.border = kernel / 2;
    g.pad_h = g.tiles_y * TILE + kernel - 1;
    g.pad_w = g.tiles_x * TILE + kernel - 1;
    return g;
}

/* Where tile number `tile` (counted over the whole batch) lies: its image, its output corner, and how
 * many of its 4 x 4 outputs fall on the board tensor (fewer in the last row and column). */
typedef struct tile_place {
    int n, y0, x0, rows, cols;
} tile_place;

static inline tile_place place_of(const geometry *g, int tile) {
    tile_place p;
    p.n = tile / g->tiles;
    p.y0 = tile % g->tiles / g->tiles_x * TILE;
    p.x0 = tile % g->tiles_x * TILE;
    p.rows = g->height - p.y0 < TILE ? g->height - p.y0 : TILE;
    p.cols = g->width - p.x0 < TILE ? g->width - p.x0 : TILE;
    return p;
}

size_t tg_wino_workspace(const tg_conv_layer *conv, int batch, int height, int width) {
    const geometry g = geometry_of(height, width, conv->kernel_y);
    const size_t in_cp = (size_t)round_up(conv->in_channels), out_cp = (size_t)round_up(conv->out_channels);
    const size_t padded = (size_t)batch * g.pad_h * g.pad_w * in_cp;
    return padded + (size_t)points_of(conv->kernel_y) * TILES_PER_CHUNK * (in_cp + out_cp);
}

/* Transposes a 16 x 16 block held as 16 vectors: r[i][j] <-> r[j][i]. Stage d swaps bit d of the row
 * index with bit d of the lane index by exchanging lanes between rows i and i + d; after the four
 * stages every bit has moved. Each exchange is one two-source permute on AVX-512. */
static inline void transpose16(vf r[VW]) {
    static const vi lo[4] = {{0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23},
                             {0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27},
                             {0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29},
                             {0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30}};
    static const vi hi[4] = {{8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31},
                             {4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31},
                             {2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31},
                             {1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31}};
#pragma GCC unroll 4
    for (int s = 0; s < 4; s++)
#pragma GCC unroll 16
        for (int i = 0; i < VW; i++) {
            const int d = 8 >> s;
            if (!(i & d)) {
                const vf a = r[i], b = r[i + d];
                r[i] = __builtin_shuffle(a, b, lo[s]);
                r[i + d] = __builtin_shuffle(a, b, hi[s]);
            }
        }
}

/* NCHW -> [n][pad_h][pad_w][cp] with a zero border (and zero padding lanes), through the prologue.
 * Blocks of 16 channels x 16 points are read as 16 point vectors (the prologue applied per channel),
 * transposed in registers and stored as 16 channel vectors, so every load and store is contiguous. */
MULTIVERSION
static void to_channel_last(const geometry *g, int batch, int channels, int cp, const float *in, float *pad,
                            const tg_wino_norm *pre) {
    const int hw = g->height * g->width;
    const size_t image = (size_t)g->pad_h * g->pad_w * cp;
    const vf zero = {0};
    for (int n = 0; n < batch; n++) {
        float *dst = pad + image * n;
        /* zero the border rows and columns; the blocks below fill the rest, padding lanes included */
        const size_t row_floats = (size_t)g->pad_w * cp;
        const int end = g->border + g->height, x_end = g->border + g->width;
        memset(dst, 0, sizeof(float) * row_floats * g->border);
        memset(dst + (size_t)end * row_floats, 0, sizeof(float) * (g->pad_h - end) * row_floats);
        for (int y = g->border; y < end; y++) {
            float *row = dst + (size_t)y * row_floats;
            memset(row, 0, sizeof(float) * cp * g->border);
            memset(row + (size_t)x_end * cp, 0, sizeof(float) * (size_t)(g->pad_w - x_end) * cp);
        }
        const float *src = in + (size_t)n * channels * hw;
        const float *mask = pre ? pre->mask + (size_t)n * hw : NULL;
        const float *bias = pre ? pre->bias + n * pre->bias_stride : NULL;
        /* blocks of 16 consecutive points of the flattened board; the last block is moved back to end
         * at the last point (overlapping its neighbour, which only rewrites equal values), so every
         * load is a whole vector inside the plane; only boards under 16 points take partial loads */
        for (int b = 0; b < hw; b += VW) {
            const int p0 = hw >= VW && b + VW > hw ? hw - VW : b;
            const int points = hw - p0 < VW ? hw - p0 : VW;
            vi on_board = (vi)zero; /* all ones on the board */
            if (mask)
                for (int j = 0; j < points; j++)
                    on_board[j] = mask[p0 + j] != 0.0f ? -1 : 0;
            size_t at[VW]; /* where each point goes in the bordered buffer */
            for (int j = 0; j < points; j++) {
                const int y = (p0 + j) / g->width, x = (p0 + j) % g->width;
                at[j] = ((size_t)(y + g->border) * g->pad_w + x + g->border) * cp;
            }
            for (int c0 = 0; c0 < cp; c0 += VW) {
                vf r[VW];
#pragma GCC unroll 16
                for (int l = 0; l < VW; l++) {
                    const int c = c0 + l;
                    r[l] = zero;
                    if (c >= channels)
                        continue;
                    const float *s = src + (size_t)c * hw + p0;
                    if (points == VW)
                        memcpy(&r[l], s, sizeof r[l]);
                    else
                        for (int j = 0; j < points; j++)
                            r[l][j] = s[j];
                    if (!pre)
                        continue;
                    r[l] = (vf)((vi)tg_vactivate(pre->act, r[l] * pre->scale[c] + bias[c]) & on_board);
                }
                transpose16(r);
                for (int j = 0; j < points; j++)
                    memcpy(dst + at[j] + c0, &r[j], sizeof r[j]);
            }
        }
    }
}

/* Transforms the 6x6 patches of tiles [first, first + count) (numbered over the whole batch) into
 * v [36][count][cp]. With pre, every value read goes through the norm first, and reads off the board
 * or on the border count as zero: the prologue of a convolution whose input is read where it lies,
 * channel-last. */
TG_VINLINE void input_transform_body(const geometry *g, int cp, const float *pad, int first, int count, float *v,
                                     const tg_wino_norm *pre) {
    const size_t image = (size_t)g->pad_h * g->pad_w * cp, point_stride = (size_t)count * cp;
    const int hw = g->height * g->width;
    for (int t = 0; t < count; t++) {
        const tile_place tp = place_of(g, first + t);
        const int n = tp.n;
        const size_t y0 = (size_t)tp.y0, x0 = (size_t)tp.x0;
        const float *base = pad + image * n + (y0 * g->pad_w + x0) * cp;
        float *out = v + (size_t)t * cp;
        int on[PATCH][PATCH]; /* with pre: all ones where the patch point is on the board, else 0 */
        const float *bias = NULL;
        if (pre) {
            const float *mask = pre->mask + (size_t)n * hw;
            bias = pre->bias + n * pre->bias_stride;
            for (int i = 0; i < PATCH; i++)
                for (int j = 0; j < PATCH; j++) {
                    const int y = (int)y0 + i - 1, x = (int)x0 + j - 1;
                    on[i][j] = y >= 0 && y < g->height && x >= 0 && x < g->width && mask[y * g->width + x] != 0.0f
                                   ? -1
                                   : 0;
                }
        }
        for (int c = 0; c < cp; c += VW) {
            /* d B row by row into r (six loads, six results at a time), then B^T (d B) column by
             * column straight to v: the patch is read once and never copied whole */
            vf r[PATCH][PATCH];
            vf scale = {0}, shift = {0};
            if (pre) {
                scale = *(const vf *)(pre->scale + c);
                shift = *(const vf *)(bias + c);
            }
            for (int i = 0; i < PATCH; i++) {
                const float *row = base + (size_t)i * g->pad_w * cp + c;
                vf d[PATCH];
                for (int j = 0; j < PATCH; j++) {
                    d[j] = *(const vf *)(row + (size_t)j * cp);
                    if (pre) /* branch-free: off-board lanes are cleared, not skipped */
                        d[j] = (vf)((vi)tg_vactivate(pre->act, d[j] * scale + shift) & ((vi){0} + on[i][j]));
                }
                const vf d0 = d[0], d1 = d[1], d2 = d[2], d3 = d[3], d4 = d[4], d5 = d[5];
                r[i][0] = 4.0f * d0 - 5.0f * d2 + d4;
                r[i][1] = -4.0f * (d1 + d2) + d3 + d4;
                r[i][2] = 4.0f * (d1 - d2) - d3 + d4;
                r[i][3] = 2.0f * (d3 - d1) - d2 + d4;
                r[i][4] = 2.0f * (d1 - d3) - d2 + d4;
                r[i][5] = 4.0f * d1 - 5.0f * d3 + d5;
            }
            for (int j = 0; j < PATCH; j++) {
                const vf t0 = r[0][j], t1 = r[1][j], t2 = r[2][j], t3 = r[3][j], t4 = r[4][j], t5 = r[5][j];
                float *o = out + (size_t)j * point_stride + c;
                *(vf *)(o + 0 * PATCH * point_stride) = 4.0f * t0 - 5.0f * t2 + t4;
                *(vf *)(o + 1 * PATCH * point_stride) = -4.0f * (t1 + t2) + t3 + t4;
                *(vf *)(o + 2 * PATCH * point_stride) = 4.0f * (t1 - t2) - t3 + t4;
                *(vf *)(o + 3 * PATCH * point_stride) = 2.0f * (t3 - t1) - t2 + t4;
                *(vf *)(o + 4 * PATCH * point_stride) = 2.0f * (t1 - t3) - t2 + t4;
                *(vf *)(o + 5 * PATCH * point_stride) = 4.0f * t1 - 5.0f * t3 + t5;
            }
        }
    }
}

MULTIVERSION
static void input_transform(const geometry *g, int cp, const float *pad, int first, int count, float *v) {
    input_transform_body(g, cp, pad, first, count, v, NULL);
}

MULTIVERSION
static void input_transform_pre(const geometry *g, int cp, const float *in, int first, int count, float *v,
                                const tg_wino_norm *pre) {
    input_transform_body(g, cp, in, first, count, v, pre);
}

/* B^T d for F(4x4, 5x5): one row or column of eight values (the B^T rows at the top of the file,
 * grouped into the sums and differences its symmetric row pairs share). */
TG_VINLINE void bt8(const vf d[PATCH5], vf r[PATCH5]) {
    const vf a = d[2] + d[6] - 4.25f * d[4], b = d[1] + d[5] - 4.25f * d[3];
    const vf c = 0.25f * d[2] - 1.25f * d[4] + d[6], e = 0.5f * d[1] - 2.5f * d[3] + 2.0f * d[5];
    const vf f = 4.0f * d[2] - 5.0f * d[4] + d[6], h = 2.0f * d[1] - 2.5f * d[3] + 0.5f * d[5];
    r[0] = d[6] - d[0] + 5.25f * (d[2] - d[4]);
    r[1] = a + b;
    r[2] = a - b;
    r[3] = c + e;
    r[4] = c - e;
    r[5] = f + h;
    r[6] = f - h;
    r[7] = d[7] - d[1] + 5.25f * (d[3] - d[5]);
}

/* The 8x8 patches of F(4x4, 5x5) into v [64][count][cp]; the bordered input holds no prologue. */
MULTIVERSION
static void input_transform5(const geometry *g, int cp, const float *pad, int first, int count, float *v) {
    const size_t image = (size_t)g->pad_h * g->pad_w * cp, point_stride = (size_t)count * cp;
    for (int t = 0; t < count; t++) {
        const tile_place tp = place_of(g, first + t);
        const float *base = pad + image * tp.n + ((size_t)tp.y0 * g->pad_w + tp.x0) * cp;
        float *out = v + (size_t)t * cp;
        for (int c = 0; c < cp; c += VW) {
            vf r[PATCH5][PATCH5]; /* (d B) row by row */
            for (int i = 0; i < PATCH5; i++) {
                const float *row = base + (size_t)i * g->pad_w * cp + c;
                vf d[PATCH5];
                for (int j = 0; j < PATCH5; j++)
                    d[j] = *(const vf *)(row + (size_t)j * cp);
                bt8(d, r[i]);
            }
            for (int j = 0; j < PATCH5; j++) {
                vf col[PATCH5], o[PATCH5];
                for (int i = 0; i < PATCH5; i++)
                    col[i] = r[i][j];
                bt8(col, o);
                for (int i = 0; i < PATCH5; i++)
                    *(vf *)(out + (size_t)(i * PATCH5 + j) * point_stride + c) = o[i];
            }
        }
    }
}

typedef float v4 __attribute__((vector_size(TILE * sizeof(float)), aligned(sizeof(float))));

/* Writes (or adds) a finished tile [TILE][TILE][VW] (channels in lanes) to NCHW, whose channel
 * planes lie plane floats apart, starting at dst (the tile's corner in the first lane's plane).
 * A row of the tile is transposed 4 columns x 16 lanes -> 16 lanes x 4 columns with shuffles that
 * stay within 128-bit blocks (one instruction each on AVX2 and AVX-512), so each channel's row
 * goes out as one 16-byte store instead of four scalar ones picked lane by lane. */
static inline void scatter_tile(float tile[TILE][TILE][VW], int rows, int cols, float *dst, size_t plane,
                                int width, bool accumulate) {
    /* block k of the result holds lane 4k + r of q[r]: r picks pairs, k is the 128-bit block */
    static const vi lo = {0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29};
    static const vi hi = {2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11, 27, 14, 30, 15, 31};
    static const vi lo2 = {0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29};
    static const vi hi2 = {2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31};
    for (int i = 0; i < rows; i++) {
        const vf a = *(vf *)tile[i][0], b = *(vf *)tile[i][1], c = *(vf *)tile[i][2], d = *(vf *)tile[i][3];
        const vf ab_lo = __builtin_shuffle(a, b, lo), ab_hi = __builtin_shuffle(a, b, hi);
        const vf cd_lo = __builtin_shuffle(c, d, lo), cd_hi = __builtin_shuffle(c, d, hi);
        float q[4][VW];
        *(vf *)q[0] = __builtin_shuffle(ab_lo, cd_lo, lo2);
        *(vf *)q[1] = __builtin_shuffle(ab_lo, cd_lo, hi2);
        *(vf *)q[2] = __builtin_shuffle(ab_hi, cd_hi, lo2);
        *(vf *)q[3] = __builtin_shuffle(ab_hi, cd_hi, hi2);
        float *row = dst + (size_t)i * width;
        for (int l = 0; l < VW; l++) {
            const float *src = q[l % 4] + l / 4 * 4;
            float *o = row + (size_t)l * plane;
            if (cols == TILE) {
                v4 v = *(const v4 *)src;
                if (accumulate)
                    v += *(const v4 *)o;
                *(v4 *)o = v;
            } else if (accumulate) {
                for (int j = 0; j < cols; j++)
                    o[j] += src[j];
            } else {
                for (int j = 0; j < cols; j++)
                    o[j] = src[j];
            }
        }
    }
}

/* A^T m for the VW channels at src (point p's values at src + p * point_stride), column by column. */
TG_VINLINE void untransform_columns(const float *src, size_t point_stride, vf r[TILE][PATCH]) {
    for (int j = 0; j < PATCH; j++) {
        vf a[PATCH];
        for (int i = 0; i < PATCH; i++)
            a[i] = *(const vf *)(src + (size_t)(i * PATCH + j) * point_stride);
        const vf s12 = a[1] + a[2], d12 = a[1] - a[2], s34 = a[3] + a[4], d34 = a[3] - a[4];
        r[0][j] = a[0] + s12 + s34;
        r[1][j] = d12 + 2.0f * d34;
        r[2][j] = s12 + 4.0f * s34;
        r[3][j] = d12 + 8.0f * d34 + a[5];
    }
}

/* One row of (A^T m) A from the matching row of A^T m. */
TG_VINLINE void untransform_row(const vf r[PATCH], vf o[TILE]) {
    const vf s12 = r[1] + r[2], d12 = r[1] - r[2], s34 = r[3] + r[4], d34 = r[3] - r[4];
    o[0] = r[0] + s12 + s34;
    o[1] = d12 + 2.0f * d34;
    o[2] = s12 + 4.0f * s34;
    o[3] = d12 + 8.0f * d34 + r[5];
}

/* A^T applied to eight values, for F(4x4, 5x5). */
TG_VINLINE void at8(const vf a[PATCH5], vf o[TILE]) {
    const vf s12 = a[1] + a[2], d12 = a[1] - a[2], s34 = a[3] + a[4], d34 = a[3] - a[4];
    const vf s56 = a[5] + a[6], d56 = a[5] - a[6];
    o[0] = a[0] + s12 + s34 + s56;
    o[1] = d12 + 2.0f * d34 + 0.5f * d56;
    o[2] = s12 + 4.0f * s34 + 0.25f * s56;
    o[3] = d12 + 8.0f * d34 + 0.125f * d56 + a[7];
}

/* One whole output tile, (A^T m) A, for the VW channels at src; alpha is the patch side (6 or 8). */
TG_VINLINE void untransform_tile(const float *src, size_t point_stride, int alpha, float tile_out[TILE][TILE][VW]) {
    if (alpha == PATCH5) {
        vf r[TILE][PATCH5];
        for (int j = 0; j < PATCH5; j++) {
            vf a[PATCH5], o[TILE];
            for (int i = 0; i < PATCH5; i++)
                a[i] = *(const vf *)(src + (size_t)(i * PATCH5 + j) * point_stride);
            at8(a, o);
            for (int i = 0; i < TILE; i++)
                r[i][j] = o[i];
        }
        for (int i = 0; i < TILE; i++) {
            vf o[TILE];
            at8(r[i], o);
            for (int j = 0; j < TILE; j++)
                *(vf *)tile_out[i][j] = o[j];
        }
        return;
    }
    vf r[TILE][PATCH];
    untransform_columns(src, point_stride, r);
    for (int i = 0; i < TILE; i++) {
        vf o[TILE];
        untransform_row(r[i], o);
        for (int j = 0; j < TILE; j++)
            *(vf *)tile_out[i][j] = o[j];
    }
}

/* Transforms m [alpha^2][count][cp] back to 4x4 output tiles and writes them through the epilogue. */
MULTIVERSION
static void output_transform(const geometry *g, int alpha, int out_c, int cp, const float *m, int first, int count,
                             float *out, int epilogue, const tg_wino_norm *post) {
    const size_t point_stride = (size_t)count * cp;
    const int hw = g->height * g->width;
    for (int t = 0; t < count; t++) {
        const tile_place tp = place_of(g, first + t);
        const int n = tp.n, y0 = tp.y0, x0 = tp.x0, rows = tp.rows, cols = tp.cols;
        const float *src = m + (size_t)t * cp;
        float *img = out + (size_t)n * out_c * hw;
        const float *mask = epilogue == TG_WINO_NORM_ACT ? post->mask + (size_t)n * hw : NULL;
        const float *bias = mask ? post->bias + n * post->bias_stride : NULL;
        for (int c = 0; c < cp && c < out_c; c += VW) {
            float tile_out[TILE][TILE][VW]; /* then scattered to NCHW lane by lane */
            untransform_tile(src + c, point_stride, alpha, tile_out);
            const int lanes = out_c - c < VW ? out_c - c : VW;
            const bool vector_norm = mask && lanes == VW;
            if (vector_norm) { /* the common case: the norm with the channels still in lanes */
                const vf s = *(const vf *)(post->scale + c), b = *(const vf *)(bias + c);
                const vf zero = {0};
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++) {
                        vf v = tg_vactivate(post->act, *(vf *)tile_out[i][j] * s + b);
                        if (mask[(size_t)(y0 + i) * g->width + x0 + j] == 0.0f)
                            v = zero;
                        *(vf *)tile_out[i][j] = v;
                    }
            }
            if (lanes == VW && (epilogue != TG_WINO_NORM_ACT || vector_norm)) {
                scatter_tile(tile_out, rows, cols, img + (size_t)c * hw + (size_t)y0 * g->width + x0, hw, g->width,
                             epilogue == TG_WINO_ACCUMULATE);
                continue;
            }
            for (int l = 0; l < lanes; l++) {
                float *plane = img + (size_t)(c + l) * hw;
                const float s = mask ? post->scale[c + l] : 0.0f, b = mask ? bias[c + l] : 0.0f;
                for (int i = 0; i < rows; i++) {
                    float *dst = plane + (size_t)(y0 + i) * g->width + x0;
                    if (epilogue == TG_WINO_STORE || vector_norm) {
                        for (int j = 0; j < cols; j++)
                            dst[j] = tile_out[i][j][l];
                    } else if (epilogue == TG_WINO_ACCUMULATE) {
                        for (int j = 0; j < cols; j++)
                            dst[j] += tile_out[i][j][l];
                    } else {
                        const float *mrow = mask + (size_t)(y0 + i) * g->width + x0;
                        for (int j = 0; j < cols; j++)
                            dst[j] = mrow[j] != 0.0f ? tg_blas_activate1(post->act, tile_out[i][j][l] * s + b) : 0.0f;
                    }
                }
            }
        }
    }
}

/* The matrix products of one chunk of count tiles: m [points][count][out_cp] from v [points][count][in_cp]. */
static void multiply_points(const tg_wino_weights *w, int count, const float *v, float *m) {
    const int in_cp = w->in_cp, out_cp = w->out_cp;
    for (int p = 0; p < w->points; p++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, count, out_cp, w->in_c, 1.0f,
                    v + (size_t)p * count * in_cp, in_cp, w->u + (size_t)p * w->in_c * out_cp, out_cp, 0.0f,
                    m + (size_t)p * count * out_cp, out_cp);
}

/* Input transform (3x3 or 5x5, no prologue) and products of tiles [first, first + count) of the
 * bordered input pad. */
static void transform_and_multiply(const tg_wino_weights *w, const geometry *g, const float *pad, int first,
                                   int count, float *v, float *m) {
    if (w->alpha == PATCH5)
        input_transform5(g, w->in_cp, pad, first, count, v);
    else
        input_transform(g, w->in_cp, pad, first, count, v);
    multiply_points(w, count, v, m);
}

void tg_wino_conv(const tg_wino_weights *w, int batch, int height, int width, const float *in, float *out,
                  float *workspace, const tg_wino_norm *pre, int epilogue, const tg_wino_norm *post) {
    const geometry g = geometry_of(height, width, w->layer->kernel_y);
    const int in_cp = w->in_cp, out_cp = w->out_cp;
    float *pad = workspace;
    const size_t padded = (size_t)batch * g.pad_h * g.pad_w * in_cp;
    float *v = pad + padded, *m = v + (size_t)w->points * TILES_PER_CHUNK * in_cp;
    if (in)
        to_channel_last(&g, batch, w->in_c, in_cp, in, pad, pre);
    const int total = batch * g.tiles;
    const int step = chunk_tiles(total);
    for (int first = 0; first < total; first += step) {
        const int count = total - first < step ? total - first : step;
        transform_and_multiply(w, &g, pad, first, count, v, m);
        output_transform(&g, w->alpha, w->out_c, out_cp, m, first, count, out, epilogue, post);
    }
}


/* ------------------------------------------------------------------ the channel-last trunk */

size_t tg_wino_cl_floats(int batch, int height, int width, int channels) {
    const geometry g = geometry_of(height, width, 3);
    return (size_t)batch * g.pad_h * g.pad_w * round_up(channels);
}

bool tg_wino_cl_applies(const tg_wino_weights *w) {
    return w->alpha == PATCH && w->in_c % VW == 0 && w->out_c % VW == 0;
}

/* Zeroes what lies outside the height x width rectangle: the border rows and columns. */
static void zero_cl_border(const geometry *g, int batch, int cp, float *cl) {
    const size_t row_floats = (size_t)g->pad_w * cp;
    const size_t image = (size_t)g->pad_h * row_floats;
    for (int n = 0; n < batch; n++) {
        float *dst = cl + image * n;
        memset(dst, 0, sizeof(float) * row_floats);
        memset(dst + (size_t)(g->height + 1) * row_floats, 0, sizeof(float) * (g->pad_h - g->height - 1) * row_floats);
        for (int y = 1; y <= g->height; y++) {
            float *row = dst + (size_t)y * row_floats;
            memset(row, 0, sizeof(float) * cp);
            memset(row + (size_t)(g->width + 1) * cp, 0, sizeof(float) * (size_t)(g->pad_w - g->width - 1) * cp);
        }
    }
}

void tg_wino_to_cl(int batch, int height, int width, int channels, const float *in, float *cl) {
    const geometry g = geometry_of(height, width, 3);
    to_channel_last(&g, batch, channels, round_up(channels), in, cl, NULL);
}

/* The inverse of to_channel_last without a prologue: 16 points x 16 channels at a time, read as
 * channel vectors, transposed in registers, stored as point vectors. */
MULTIVERSION
void tg_wino_from_cl(int batch, int height, int width, int channels, const float *cl, float *out,
                     const tg_wino_norm *norm) {
    const geometry g = geometry_of(height, width, 3);
    const int hw = height * width, cp = round_up(channels);
    const size_t image = (size_t)g.pad_h * g.pad_w * cp;
    for (int n = 0; n < batch; n++) {
        const float *src = cl + image * n;
        float *dst = out + (size_t)n * channels * hw;
        const float *mask = norm ? norm->mask + (size_t)n * hw : NULL;
        const float *bias = norm ? norm->bias + n * norm->bias_stride : NULL;
        for (int b = 0; b < hw; b += VW) {
            const int p0 = hw >= VW && b + VW > hw ? hw - VW : b;
            const int points = hw - p0 < VW ? hw - p0 : VW;
            size_t at[VW];
            vi on_board = {0}; /* all ones on the board */
            for (int j = 0; j < VW; j++) {
                const int p = p0 + (j < points ? j : 0);
                at[j] = ((size_t)(p / width + 1) * g.pad_w + p % width + 1) * cp;
                if (mask)
                    on_board[j] = mask[p] != 0.0f ? -1 : 0;
            }
            for (int c0 = 0; c0 < channels; c0 += VW) {
                vf r[VW];
#pragma GCC unroll 16
                for (int j = 0; j < VW; j++)
                    r[j] = *(const vf *)(src + at[j] + c0);
                transpose16(r);
                const int lanes = channels - c0 < VW ? channels - c0 : VW;
                for (int l = 0; l < lanes; l++) {
                    if (norm)
                        r[l] = (vf)((vi)tg_vactivate(norm->act, r[l] * norm->scale[c0 + l] + bias[c0 + l]) & on_board);
                    float *d = dst + (size_t)(c0 + l) * hw + p0;
                    if (points == VW)
                        memcpy(d, &r[l], sizeof r[l]);
                    else
                        for (int j = 0; j < points; j++)
                            d[j] = r[l][j];
                }
            }
        }
    }
}

MULTIVERSION
void tg_wino_gpool_cl(int batch, int height, int width, int channels, const float *in, const float *mask,
                      const float *mask_sum, float *out) {
    const geometry g = geometry_of(height, width, 3);
    const int cp = round_up(channels), hw = height * width;
    const size_t image = (size_t)g.pad_h * g.pad_w * cp;
    for (int n = 0; n < batch; n++) {
        const float *m = mask + (size_t)n * hw;
        const float area = mask_sum[n], sqrt_area = sqrtf(area);
        float *o = out + (size_t)n * 3 * channels;
        for (int c = 0; c < channels; c += VW) {
            /* as tg_blas_gpool: the max starts at -1 and sees off-board points as -1 */
            vf sum = {0}, max = (vf){0} - 1.0f;
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++) {
                    const vf v = *(const vf *)(in + image * n + ((size_t)(y + 1) * g.pad_w + x + 1) * cp + c);
                    sum += v;
                    max = tg_vmax(max, v + (m[y * width + x] - 1.0f));
                }
            const vf mean = sum / area;
            *(vf *)(o + c) = mean;
            *(vf *)(o + channels + c) = mean * ((sqrt_area - 14.0f) * 0.1f);
            *(vf *)(o + 2 * channels + c) = max;
        }
    }
}

/* One row of a finished output tile, o[0..cols), through the epilogue into the channel-last row
 * at dst (points cp floats apart). mrow is the row's board mask with NORM_ACT, else NULL. */
TG_VINLINE void store_row_cl(float *dst, const vf o[TILE], int cols, int cp, int epilogue, const float *mrow, vf s,
                             vf b, int act) {
    const vf zero = {0};
#pragma GCC unroll 4
    for (int j = 0; j < TILE; j++) {
        if (j >= cols)
            break;
        vf *d = (vf *)(dst + (size_t)j * cp);
        if (epilogue == TG_WINO_ACCUMULATE)
            *d += o[j];
        else if (epilogue == TG_WINO_BIAS)
            *d = o[j] + b;
        else if (!mrow)
            *d = o[j];
        else
            *d = mrow[j] != 0.0f ? tg_vactivate(act, o[j] * s + b) : zero;
    }
}

/* output_transform for a channel-last destination (g: its 3x3 geometry): every store is a whole
 * channel vector. alpha is the patch side of m: 6, or 8 for a 5x5 first layer. */
MULTIVERSION
static void output_transform_cl(const geometry *g, int alpha, int cp, const float *m, int first, int count,
                                float *out, int epilogue, const tg_wino_norm *post) {
    const size_t point_stride = (size_t)count * cp, image = (size_t)g->pad_h * g->pad_w * cp;
    const size_t row_floats = (size_t)g->pad_w * cp;
    const int hw = g->height * g->width;
    const vf zero = {0};
    for (int t = 0; t < count; t++) {
        const tile_place tp = place_of(g, first + t);
        const int n = tp.n, y0 = tp.y0, x0 = tp.x0, rows = tp.rows, cols = tp.cols;
        const float *mask = epilogue == TG_WINO_NORM_ACT ? post->mask + (size_t)n * hw : NULL;
        const float *bias = mask || epilogue == TG_WINO_BIAS ? post->bias + n * post->bias_stride : NULL;
        const int act = post ? post->act : TG_ACT_IDENTITY;
        float *corner = out + image * n + ((size_t)(y0 + 1) * g->pad_w + x0 + 1) * cp;
        for (int c = 0; c < cp; c += VW) {
            vf s = zero, b = zero;
            if (mask)
                s = *(const vf *)(post->scale + c);
            if (bias)
                b = *(const vf *)(bias + c);
            if (alpha == PATCH5) {
                float tile_out[TILE][TILE][VW];
                untransform_tile(m + (size_t)t * cp + c, point_stride, PATCH5, tile_out);
                for (int i = 0; i < rows; i++) {
                    vf o[TILE];
                    for (int j = 0; j < TILE; j++)
                        o[j] = *(vf *)tile_out[i][j];
                    store_row_cl(corner + (size_t)i * row_floats + c, o, cols, cp, epilogue,
                                 mask ? mask + (size_t)(y0 + i) * g->width + x0 : NULL, s, b, act);
                }
                continue;
            }
            /* A^T m column by column into r, then each row of (A^T m) A goes through the epilogue
             * from registers */
            vf r[TILE][PATCH];
            untransform_columns(m + (size_t)t * cp + c, point_stride, r);
#pragma GCC unroll 4
            for (int i = 0; i < TILE; i++) {
                if (i >= rows)
                    break;
                vf o[TILE];
                untransform_row(r[i], o);
                store_row_cl(corner + (size_t)i * row_floats + c, o, cols, cp, epilogue,
                             mask ? mask + (size_t)(y0 + i) * g->width + x0 : NULL, s, b, act);
            }
        }
    }
}

void tg_wino_conv_cl(const tg_wino_weights *w, int batch, int height, int width, const float *in, float *out,
                     float *workspace, const tg_wino_norm *pre, int epilogue, const tg_wino_norm *post) {
    const geometry g = geometry_of(height, width, 3);
    const int in_cp = w->in_cp, out_cp = w->out_cp;
    float *v = workspace, *m = v + (size_t)POINTS * TILES_PER_CHUNK * in_cp;
    if (epilogue != TG_WINO_ACCUMULATE)
        zero_cl_border(&g, batch, out_cp, out);
    const int total = batch * g.tiles;
    const int step = chunk_tiles(total);
    for (int first = 0; first < total; first += step) {
        const int count = total - first < step ? total - first : step;
        if (pre)
            input_transform_pre(&g, in_cp, in, first, count, v, pre);
        else
            input_transform(&g, in_cp, in, first, count, v);
        multiply_points(w, count, v, m);
        output_transform_cl(&g, PATCH, out_cp, m, first, count, out, epilogue, post);
    }
}

void tg_wino_conv_to_cl(const tg_wino_weights *w, int batch, int height, int width, const float *in, float *out,
                        float *workspace, const float *bias, size_t bias_stride) {
    const geometry g = geometry_of(height, width, w->layer->kernel_y), gout = geometry_of(height, width, 3);
    const int in_cp = w->in_cp, out_cp = w->out_cp;
    float *pad = workspace;
    float *v = pad + (size_t)batch * g.pad_h * g.pad_w * in_cp, *m = v + (size_t)w->points * TILES_PER_CHUNK * in_cp;
    const tg_wino_norm post = {NULL, bias, TG_ACT_IDENTITY, NULL, bias_stride};
    to_channel_last(&g, batch, w->in_c, in_cp, in, pad, NULL);
    zero_cl_border(&gout, batch, out_cp, out);
    const int total = batch * g.tiles;
    const int step = chunk_tiles(total);
    for (int first = 0; first < total; first += step) {
        const int count = total - first < step ? total - first : step;
        transform_and_multiply(w, &g, pad, first, count, v, m);
        output_transform_cl(&gout, w->alpha, out_cp, m, first, count, out, TG_WINO_BIAS, &post);
    }
}
