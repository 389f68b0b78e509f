/* Board symmetries. See symmetry.h for the numbering and the tensor conventions. */
#include "symmetry.h"

static int make_sym(bool flip_y, bool flip_x, bool transpose) {
    return (flip_y ? 1 : 0) | (flip_x ? 2 : 0) | (transpose ? 4 : 0);
}

int tg_sym_invert(int sym) {
    /* Undoing "flip, then transpose" means "transpose, then flip", and a flip done before a transpose
     * acts on the other axis: so a transposing symmetry's inverse has its two flip bits exchanged. */
    if (!tg_sym_transposes(sym)) return sym;
    return make_sym(tg_sym_flips_x(sym), tg_sym_flips_y(sym), true);
}

int tg_sym_compose(int first, int next) {
    /* Flips of `next` act on axes that `first` may already have exchanged by transposing. */
    bool t = tg_sym_transposes(first);
    bool next_fy = t ? tg_sym_flips_x(next) : tg_sym_flips_y(next);
    bool next_fx = t ? tg_sym_flips_y(next) : tg_sym_flips_x(next);
    return make_sym(tg_sym_flips_y(first) != next_fy, tg_sym_flips_x(first) != next_fx,
                    tg_sym_transposes(first) != tg_sym_transposes(next));
}

int tg_sym_effective(int sym, int h, int w) { return h == w ? sym : (sym & 3); }

void tg_sym_xy(int x, int y, int xsize, int ysize, int sym, int *out_x, int *out_y) {
    if (tg_sym_flips_x(sym)) x = xsize - 1 - x;
    if (tg_sym_flips_y(sym)) y = ysize - 1 - y;
    if (tg_sym_transposes(sym)) {
        *out_x = y;
        *out_y = x;
    } else {
        *out_x = x;
        *out_y = y;
    }
}

tg_loc tg_sym_loc(tg_loc loc, int xsize, int ysize, int sym) {
    if (loc == TG_NULL_LOC || loc == TG_PASS_LOC) return loc;
    int sx, sy;
    tg_sym_xy(tg_loc_x(loc, xsize), tg_loc_y(loc, xsize), xsize, ysize, sym, &sx, &sy);
    return tg_loc_of(sx, sy, tg_sym_transposes(sym) ? ysize : xsize);
}

/* index_map[r*w+c] = index in the transformed plane of point (row r, col c). */
static void build_map(int h, int w, int sym, int *index_map) {
    sym = tg_sym_effective(sym, h, w);
    int out_w = tg_sym_transposes(sym) ? h : w;
    for (int r = 0; r < h; r++) {
        for (int c = 0; c < w; c++) {
            int sx, sy;
            tg_sym_xy(c, r, w, h, sym, &sx, &sy);
            index_map[r * w + c] = sy * out_w + sx;
        }
    }
}

void tg_sym_apply_planes(const float *src, float *dst, int channels, int h, int w, int sym) {
    int map[TG_MAX_PLAY_SIZE];
    int area = h * w;
    build_map(h, w, sym, map);
    for (int ch = 0; ch < channels; ch++) {
        const float *s = src + (long)ch * area;
        float *d = dst + (long)ch * area;
        for (int i = 0; i < area; i++) d[map[i]] = s[i];
    }
}

void tg_sym_undo_planes(const float *src, float *dst, int channels, int h, int w, int sym) {
    /* The network saw board point i at map[i]; reading it back from there is the inverse. */
    int map[TG_MAX_PLAY_SIZE];
    int area = h * w;
    build_map(h, w, sym, map);
    for (int ch = 0; ch < channels; ch++) {
        const float *s = src + (long)ch * area;
        float *d = dst + (long)ch * area;
        for (int i = 0; i < area; i++) d[i] = s[map[i]];
    }
}
