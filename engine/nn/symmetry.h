/* The eight symmetries of the board, numbered as KataGo numbers them (SymmetryHelpers in
 * cpp/neuralnet/nninputs.h), so that "kata-raw-nn 5" means the same transformation in both engines.
 *
 * A symmetry is three bits applied in this order: bit 0 flips y (top <-> bottom), bit 1 flips x
 * (left <-> right), bit 2 transposes (x <-> y). Symmetries 0-3 never transpose.
 *
 * Tensors: spatial planes are [channels][h][w] with h = nn_y_len rows and w = nn_x_len columns. When
 * h != w a transpose cannot be applied in place, and KataGo simply drops the transpose bit there:
 * symmetries 4-7 then act as 0-3 (see tg_sym_effective). Board points always sit at the top-left of
 * the tensor, so with nn lengths larger than the board a flip moves them to the far edge; the
 * evaluator normally uses nn lengths equal to the board size, as KataGo's GTP does. */
#ifndef TENGEN_NN_SYMMETRY_H
#define TENGEN_NN_SYMMETRY_H

#include <stdbool.h>

#include "../game/board.h"

#define TG_NUM_SYMMETRIES 8
#define TG_NUM_SYMMETRIES_WITHOUT_TRANSPOSE 4

static inline bool tg_sym_flips_y(int sym) { return (sym & 1) != 0; }
static inline bool tg_sym_flips_x(int sym) { return (sym & 2) != 0; }
static inline bool tg_sym_transposes(int sym) { return (sym & 4) != 0; }

/* The symmetry undoing sym: every symmetry is its own inverse except 5 and 6, inverses of each other. */
int tg_sym_invert(int sym);
/* The single symmetry equal to applying first, then next. */
int tg_sym_compose(int first, int next);
/* The symmetry actually applied to an h x w tensor: sym without its transpose bit when h != w. */
int tg_sym_effective(int sym, int h, int w);

/* Where sym sends point (x, y) of an xsize x ysize board (KataGo's getSymLoc). With a transpose, the
 * result lives on the transposed ysize x xsize board. */
void tg_sym_xy(int x, int y, int xsize, int ysize, int sym, int *out_x, int *out_y);
/* The same on locations of board-sized layouts; pass and null are left alone. The result is a location
 * on the transposed board when sym transposes. */
tg_loc tg_sym_loc(tg_loc loc, int xsize, int ysize, int sym);

/* Network inputs: dst = src transformed by sym (KataGo's copyInputsWithSymmetry, NCHW):
 * the value at (row, col) of each plane moves to the point sym sends it to. src and dst must not overlap. */
void tg_sym_apply_planes(const float *src, float *dst, int channels, int h, int w, int sym);
/* Network outputs: brings planes computed on sym-transformed inputs back to the board's orientation
 * (KataGo's copyOutputsWithSymmetry), i.e. the inverse of tg_sym_apply_planes with the same sym. */
void tg_sym_undo_planes(const float *src, float *dst, int channels, int h, int w, int sym);

#endif
