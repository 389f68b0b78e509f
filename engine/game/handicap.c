/* Handicap placement.
 *
 * Fixed handicap follows KataGo's rules exactly (which boards and counts are refused, and the points
 * chosen, also on rectangular boards), since GTP controllers compare the reply with what they expect.
 *
 * Free handicap is where we cannot follow KataGo: it lets its network choose each stone, sampling the
 * policy at a temperature, so its choice is neither reproducible nor available without a net. We keep
 * its cap on the count and its reply format, and choose the points deterministically instead:
 *   - start from the fixed placement for the same count when that is allowed (up to 9 stones), or
 *     from the fixed 4 (or 9) corner/star points when more are asked for than the board's fixed
 *     handicap allows;
 *   - add each further stone greedily at the point farthest from the stones already placed, where
 *     the distance also counts the edge as an obstacle so stones keep off the first lines; ties go
 *     to the point farther from the edge, then to the first in board order (top row first).
 * Any caller that needs the engine's own opinion can instead ask the search for moves. */
#include "handicap.h"

#include <stddef.h>

const char *tg_handicap_fixed_error(int xsize, int ysize, int n) {
    if (xsize < 7 || ysize < 7) return "Board is too small for fixed handicap";
    if ((xsize % 2 == 0 || ysize % 2 == 0) && n > 4)
        return "Fixed handicap > 4 is not allowed on boards with even dimensions";
    if ((xsize <= 7 || ysize <= 7) && n > 4) return "Fixed handicap > 4 is not allowed on boards with size 7";
    if (n < 2) return "Fixed handicap < 2 is not allowed";
    if (n > 9) return "Fixed handicap > 9 is not allowed";
    return NULL;
}

/* Star-point line index on one axis: 0 = near the low edge, 1 = near the high edge, 2 = middle.
 * The corner points sit on the third line up to 12 wide, on the fourth line beyond. */
static int star_line(int size, int which) {
    int inset = size <= 12 ? 2 : 3;
    if (which == 0) return inset;
    if (which == 1) return size - 1 - inset;
    return size / 2;
}

/* Copies the points marked in taken[] to out in board order; returns how many. */
static int collect(const bool *taken, int xsize, int ysize, tg_loc *out) {
    int k = 0;
    for (int y = 0; y < ysize; y++)
        for (int x = 0; x < xsize; x++)
            if (taken[tg_loc_of(x, y, xsize)]) out[k++] = tg_loc_of(x, y, xsize);
    return k;
}

/* Marks the fixed placement for n stones (already validated) in taken[]. */
static void mark_fixed(int xsize, int ysize, int n, bool *taken) {
    /* Each entry is (x line, y line) in the order stones are added as n grows: the two corners of
     * one diagonal, the other two corners, then side points in pairs, with the centre for odd n. */
    static const int corners[4][2] = {{0, 1}, {1, 0}, {0, 0}, {1, 1}};
    static const int sides[4][2] = {{0, 2}, {1, 2}, {2, 0}, {2, 1}};
    int ncorner = n < 4 ? n : 4;
    int nside = n >= 8 ? 4 : (n >= 6 ? 2 : 0);
    bool centre = n >= 5 && (n % 2 == 1);
    for (int i = 0; i < ncorner; i++)
        taken[tg_loc_of(star_line(xsize, corners[i][0]), star_line(ysize, corners[i][1]), xsize)] = true;
    for (int i = 0; i < nside; i++)
        taken[tg_loc_of(star_line(xsize, sides[i][0]), star_line(ysize, sides[i][1]), xsize)] = true;
    if (centre) taken[tg_loc_of(star_line(xsize, 2), star_line(ysize, 2), xsize)] = true;
}

int tg_handicap_fixed(int xsize, int ysize, int n, tg_loc *out) {
    if (xsize > TG_MAX_LEN || ysize > TG_MAX_LEN || tg_handicap_fixed_error(xsize, ysize, n)) return -1;
    bool taken[TG_MAX_ARR_SIZE] = {false};
    mark_fixed(xsize, ysize, n, taken);
    return collect(taken, xsize, ysize, out);
}

int tg_handicap_free(const tg_board *b, int n, tg_loc *out) {
    int xsize = b->xsize, ysize = b->ysize;
    int cap = xsize * ysize / 4;
    if (cap > TG_MAX_FREE_HANDICAP) cap = TG_MAX_FREE_HANDICAP;
    if (n > cap) n = cap;
    if (n < 1) return 0;

    tg_board work = *b;
    bool taken[TG_MAX_ARR_SIZE] = {false};
    int placed = 0;

    int base = n < TG_MAX_FIXED_HANDICAP ? n : TG_MAX_FIXED_HANDICAP;
    if (tg_handicap_fixed_error(xsize, ysize, base) != NULL)
        base = (n >= 4 && tg_handicap_fixed_error(xsize, ysize, 4) == NULL) ? 4 : 0;
    if (base > 0) {
        bool fixed[TG_MAX_ARR_SIZE] = {false};
        mark_fixed(xsize, ysize, base, fixed);
        for (tg_loc p = 0; p < TG_MAX_ARR_SIZE; p++) {
            if (fixed[p] && work.color[p] == TG_EMPTY && tg_board_set_stone(&work, p, TG_BLACK)) {
                taken[p] = true;
                placed++;
            }
        }
    }

    while (placed < n) {
        tg_loc best = TG_NULL_LOC;
        long best_score = -1;
        int best_edge = -1;
        for (int y = 0; y < ysize; y++) {
            for (int x = 0; x < xsize; x++) {
                tg_loc p = tg_loc_of(x, y, xsize);
                if (work.color[p] != TG_EMPTY) continue;
                /* The edge counts as if a stone stood half a line beyond it, doubled so it stays integral. */
                int e = x;
                if (y < e) e = y;
                if (xsize - 1 - x < e) e = xsize - 1 - x;
                if (ysize - 1 - y < e) e = ysize - 1 - y;
                long score = (long)(2 * e + 1) * (2 * e + 1);
                for (int qy = 0; qy < ysize; qy++) {
                    for (int qx = 0; qx < xsize; qx++) {
                        if (!taken[tg_loc_of(qx, qy, xsize)]) continue;
                        long d = (long)(4 * ((qx - x) * (qx - x) + (qy - y) * (qy - y)));
                        if (d < score) score = d;
                    }
                }
                if (score < best_score || (score == best_score && e <= best_edge)) continue;
                tg_board trial = work;
                if (!tg_board_set_stone(&trial, p, TG_BLACK)) continue;
                best_score = score;
                best_edge = e;
                best = p;
            }
        }
        if (best == TG_NULL_LOC) break;
        tg_board_set_stone(&work, best, TG_BLACK);
        taken[best] = true;
        placed++;
    }
    return collect(taken, xsize, ysize, out);
}
