/* The Go board. See board.h for the contract; the layout and the meaning of every query mirror
 * KataGo's Board so that anything computed from a tg_board (features, scores, hashes of positions
 * seen) agrees with what KataGo would compute on the same stones. */
#include "board.h"

#include <pthread.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------------
 * Zobrist keys
 *
 * The tables are filled once per process from a fixed-seed splitmix64 stream, so hashes are
 * reproducible between runs and between threads. pthread_once makes the lazy fill safe when the
 * first boards are created concurrently. */

static uint64_t zob_stone[TG_MAX_ARR_SIZE][4];
static uint64_t zob_ko[TG_MAX_ARR_SIZE];
static uint64_t zob_player[4];
static uint64_t zob_width[TG_MAX_LEN + 1];
static uint64_t zob_height[TG_MAX_LEN + 1];
static pthread_once_t zob_once = PTHREAD_ONCE_INIT;

static uint64_t splitmix_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void zob_fill(void) {
    uint64_t st = 0x74656E67656E2D31ULL; /* "tengen-1" */
    for (int i = 0; i < 4; i++) zob_player[i] = splitmix_next(&st);
    for (int loc = 0; loc < TG_MAX_ARR_SIZE; loc++) {
        /* Empty and wall contribute nothing, so removing a stone is one XOR with its own key. */
        zob_stone[loc][TG_EMPTY] = 0;
        zob_stone[loc][TG_WALL] = 0;
        zob_stone[loc][TG_BLACK] = splitmix_next(&st);
        zob_stone[loc][TG_WHITE] = splitmix_next(&st);
        zob_ko[loc] = splitmix_next(&st);
    }
    for (int i = 0; i <= TG_MAX_LEN; i++) {
        zob_width[i] = splitmix_next(&st);
        zob_height[i] = splitmix_next(&st);
    }
}

static inline void zob_ready(void) { pthread_once(&zob_once, zob_fill); }

uint64_t tg_zobrist_stone(tg_loc loc, tg_color color) {
    zob_ready();
    if (loc < 0 || loc >= TG_MAX_ARR_SIZE || color > 3) return 0;
    return zob_stone[loc][color];
}

uint64_t tg_zobrist_player(tg_color pla) {
    zob_ready();
    return pla < 4 ? zob_player[pla] : 0;
}

uint64_t tg_zobrist_ko_loc(tg_loc loc) {
    zob_ready();
    if (loc < 0 || loc >= TG_MAX_ARR_SIZE) return 0;
    return zob_ko[loc];
}

uint64_t tg_zobrist_size(int xsize, int ysize) {
    zob_ready();
    if (xsize < 0 || xsize > TG_MAX_LEN || ysize < 0 || ysize > TG_MAX_LEN) return 0;
    return zob_width[xsize] ^ zob_height[ysize];
}

/* ------------------------------------------------------------------------------------------------
 * Construction and simple queries */

void tg_board_init(tg_board *b, int xsize, int ysize) {
    zob_ready();
    if (xsize < 1) xsize = 1;
    if (ysize < 1) ysize = 1;
    if (xsize > TG_MAX_LEN) xsize = TG_MAX_LEN;
    if (ysize > TG_MAX_LEN) ysize = TG_MAX_LEN;
    memset(b, 0, sizeof *b);
    b->xsize = xsize;
    b->ysize = ysize;
    memset(b->color, TG_WALL, sizeof b->color);
    for (int y = 0; y < ysize; y++)
        for (int x = 0; x < xsize; x++) b->color[tg_loc_of(x, y, xsize)] = TG_EMPTY;
    b->ko_loc = TG_NULL_LOC;
    /* The board dimensions are part of every position's identity, as in KataGo. */
    b->pos_hash = zob_width[xsize] ^ zob_height[ysize];
    b->adj[0] = -(xsize + 1);
    b->adj[1] = -1;
    b->adj[2] = 1;
    b->adj[3] = xsize + 1;
}

bool tg_board_on_board(const tg_board *b, tg_loc loc) {
    return loc >= 0 && loc < TG_MAX_ARR_SIZE && b->color[loc] != TG_WALL;
}

bool tg_board_is_empty(const tg_board *b) { return tg_board_num_stones(b) == 0; }

int tg_board_num_stones(const tg_board *b) {
    return tg_board_num_stones_of(b, TG_BLACK) + tg_board_num_stones_of(b, TG_WHITE);
}

int tg_board_num_stones_of(const tg_board *b, tg_color pla) {
    int n = 0;
    for (int y = 0; y < b->ysize; y++)
        for (int x = 0; x < b->xsize; x++) n += b->color[tg_loc_of(x, y, b->xsize)] == pla;
    return n;
}

int tg_board_chain_size(const tg_board *b, tg_loc loc) { return b->chain_size[b->chain_head[loc]]; }

int tg_board_liberties(const tg_board *b, tg_loc loc) { return b->chain_libs[b->chain_head[loc]]; }

bool tg_board_is_adjacent_to(const tg_board *b, tg_loc loc, tg_color pla) {
    if (!tg_board_on_board(b, loc)) return false;
    for (int d = 0; d < 4; d++)
        if (b->color[loc + b->adj[d]] == pla) return true;
    return false;
}

static inline int libs_at(const tg_board *b, tg_loc loc) { return b->chain_libs[b->chain_head[loc]]; }

/* ------------------------------------------------------------------------------------------------
 * Legality */

bool tg_board_is_suicide(const tg_board *b, tg_loc loc, tg_color pla) {
    if (loc == TG_PASS_LOC) return false;
    return tg_board_is_illegal_suicide(b, loc, pla, false);
}

bool tg_board_is_illegal_suicide(const tg_board *b, tg_loc loc, tg_color pla, bool multi_stone_suicide_legal) {
    if (loc == TG_PASS_LOC) return false;
    tg_color opp = tg_opp(pla);
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        tg_color c = b->color[n];
        if (c == TG_EMPTY) return false;
        /* A friendly neighbour makes this at worst a multi-stone suicide, which the rules may permit;
         * with two or more liberties it keeps the new stone alive anyway. */
        if (c == pla && (multi_stone_suicide_legal || libs_at(b, n) > 1)) return false;
        if (c == opp && libs_at(b, n) == 1) return false;
    }
    return true;
}

bool tg_board_is_ko_banned(const tg_board *b, tg_loc loc) { return loc == b->ko_loc; }

static bool placeable(const tg_board *b, tg_loc loc, tg_color pla) {
    return (pla == TG_BLACK || pla == TG_WHITE) &&
           (loc == TG_PASS_LOC || (loc >= 0 && loc < TG_MAX_ARR_SIZE && b->color[loc] == TG_EMPTY));
}

bool tg_board_is_legal_ignoring_ko(const tg_board *b, tg_loc loc, tg_color pla, bool multi_stone_suicide_legal) {
    if (!placeable(b, loc, pla)) return false;
    return loc == TG_PASS_LOC || !tg_board_is_illegal_suicide(b, loc, pla, multi_stone_suicide_legal);
}

bool tg_board_is_legal(const tg_board *b, tg_loc loc, tg_color pla, bool multi_stone_suicide_legal) {
    if (!placeable(b, loc, pla)) return false;
    if (loc == TG_PASS_LOC) return true;
    return !tg_board_is_ko_banned(b, loc) && !tg_board_is_illegal_suicide(b, loc, pla, multi_stone_suicide_legal);
}

bool tg_board_would_be_capture(const tg_board *b, tg_loc loc, tg_color pla) {
    if (b->color[loc] != TG_EMPTY) return false;
    tg_color opp = tg_opp(pla);
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        if (b->color[n] == opp && libs_at(b, n) == 1) return true;
    }
    return false;
}

tg_loc tg_board_ko_capture_loc(const tg_board *b, tg_loc loc, tg_color pla) {
    if (b->color[loc] != TG_EMPTY) return TG_NULL_LOC;
    /* A ko mouth: every neighbour is the opponent's or the edge, and exactly one neighbour chain,
     * a lone stone, is in atari. */
    tg_color opp = tg_opp(pla);
    tg_loc victim = TG_NULL_LOC;
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        tg_color c = b->color[n];
        if (c == TG_WALL) continue;
        if (c != opp) return TG_NULL_LOC;
        if (libs_at(b, n) == 1) {
            if (victim != TG_NULL_LOC) return TG_NULL_LOC;
            victim = n;
        }
    }
    if (victim == TG_NULL_LOC || b->chain_size[b->chain_head[victim]] != 1) return TG_NULL_LOC;
    return victim;
}

bool tg_board_would_be_ko_capture(const tg_board *b, tg_loc loc, tg_color pla) {
    return tg_board_ko_capture_loc(b, loc, pla) != TG_NULL_LOC;
}

bool tg_board_is_simple_eye(const tg_board *b, tg_loc loc, tg_color pla) {
    if (b->color[loc] != TG_EMPTY) return false;
    bool on_edge = false;
    for (int d = 0; d < 4; d++) {
        tg_color c = b->color[loc + b->adj[d]];
        if (c == TG_WALL) on_edge = true;
        else if (c != pla) return false;
    }
    /* Diagonals: the opponent may hold one of four in the centre, none on the edge or in a corner. */
    tg_color opp = tg_opp(pla);
    int vert = b->adj[3], horiz = b->adj[2];
    int bad = (b->color[loc - vert - horiz] == opp) + (b->color[loc - vert + horiz] == opp) +
              (b->color[loc + vert - horiz] == opp) + (b->color[loc + vert + horiz] == opp);
    return on_edge ? bad == 0 : bad < 2;
}

/* ------------------------------------------------------------------------------------------------
 * Hash prediction */

uint64_t tg_board_pos_hash_after(const tg_board *b, tg_loc loc, tg_color pla) {
    if (!tg_board_on_board(b, loc)) return b->pos_hash; /* pass, or nothing sensible to predict */
    tg_color opp = tg_opp(pla);
    uint64_t h = b->pos_hash ^ zob_stone[loc][pla];
    tg_loc taken[4];
    int ntaken = 0;
    bool survives = false;
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        tg_color c = b->color[n];
        if (c == TG_EMPTY || (c == pla && libs_at(b, n) > 1)) {
            survives = true;
        } else if (c == opp && libs_at(b, n) == 1) {
            tg_loc head = b->chain_head[n];
            bool dup = false;
            for (int i = 0; i < ntaken; i++) dup |= taken[i] == head;
            if (dup) continue;
            taken[ntaken++] = head;
            survives = true;
            tg_loc s = head;
            do { h ^= zob_stone[s][opp]; s = b->next_in_chain[s]; } while (s != head);
        }
    }
    if (survives) return h;

    /* Suicide: every friendly neighbour chain was in atari and dies together with the new stone. */
    h ^= zob_stone[loc][pla];
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        if (b->color[n] != pla) continue;
        tg_loc head = b->chain_head[n];
        bool dup = false;
        for (int i = 0; i < ntaken; i++) dup |= taken[i] == head;
        if (dup) continue;
        taken[ntaken++] = head;
        tg_loc s = head;
        do { h ^= zob_stone[s][pla]; s = b->next_in_chain[s]; } while (s != head);
    }
    return h;
}

/* ------------------------------------------------------------------------------------------------
 * Chain maintenance */

/* Gives one liberty (delta +1) or takes one (delta -1) to each distinct chain of colour c touching loc. */
static void touch_neighbour_chains(tg_board *b, tg_loc loc, tg_color c, int delta) {
    tg_loc seen[4];
    int nseen = 0;
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        if (b->color[n] != c) continue;
        tg_loc head = b->chain_head[n];
        bool dup = false;
        for (int i = 0; i < nseen; i++) dup |= seen[i] == head;
        if (dup) continue;
        seen[nseen++] = head;
        b->chain_libs[head] = (int16_t)(b->chain_libs[head] + delta);
    }
}

/* Whether the empty point p touches a stone whose chain head is head. */
static inline bool touches_chain(const tg_board *b, tg_loc p, tg_loc head, tg_color c) {
    for (int d = 0; d < 4; d++) {
        tg_loc n = p + b->adj[d];
        if (b->color[n] == c && b->chain_head[n] == head) return true;
    }
    return false;
}

/* Joins the chains headed by ha and hb (same colour, distinct); returns the surviving head.
 * Stones of the smaller chain are relabelled one at a time; a liberty of theirs is new to the
 * union only if, at the moment it is examined, no already-relabelled stone touches it, which both
 * skips the bigger chain's liberties and counts each shared liberty of the smaller chain once. */
static tg_loc join_chains(tg_board *b, tg_loc ha, tg_loc hb) {
    if (b->chain_size[ha] < b->chain_size[hb]) { tg_loc t = ha; ha = hb; hb = t; }
    tg_color c = b->color[ha];
    int gained = 0;
    tg_loc s = hb;
    tg_loc last;
    do {
        for (int d = 0; d < 4; d++) {
            tg_loc n = s + b->adj[d];
            if (b->color[n] == TG_EMPTY && !touches_chain(b, n, ha, c)) gained++;
        }
        b->chain_head[s] = ha;
        last = s;
        s = b->next_in_chain[s];
    } while (s != hb);
    /* Splice hb's ring in right after ha. */
    b->next_in_chain[last] = b->next_in_chain[ha];
    b->next_in_chain[ha] = hb;
    b->chain_size[ha] = (int16_t)(b->chain_size[ha] + b->chain_size[hb]);
    b->chain_libs[ha] = (int16_t)(b->chain_libs[ha] + gained);
    return ha;
}

/* Takes a whole chain off the board; returns how many stones it had. */
static int lift_chain(tg_board *b, tg_loc head) {
    tg_color c = b->color[head];
    tg_color other = tg_opp(c);
    int n = 0;
    tg_loc s = head;
    do {
        b->pos_hash ^= zob_stone[s][c];
        b->color[s] = TG_EMPTY;
        touch_neighbour_chains(b, s, other, +1);
        n++;
        s = b->next_in_chain[s];
    } while (s != head);
    return n;
}

void tg_board_play(tg_board *b, tg_loc loc, tg_color pla) {
    if (loc == TG_PASS_LOC) {
        b->ko_loc = TG_NULL_LOC;
        return;
    }
    tg_color opp = tg_opp(pla);
    int16_t own_libs = 0;
    for (int d = 0; d < 4; d++) own_libs += b->color[loc + b->adj[d]] == TG_EMPTY;
    b->color[loc] = pla;
    b->pos_hash ^= zob_stone[loc][pla];
    b->chain_head[loc] = loc;
    b->next_in_chain[loc] = loc;
    b->chain_size[loc] = 1;
    b->chain_libs[loc] = own_libs;

    /* Each opposing neighbour chain loses loc as a liberty exactly once; friendly ones lose it
     * when they join the new stone. */
    tg_loc hit[4];
    int nhit = 0;
    int captured = 0;
    tg_loc last_capture = TG_NULL_LOC;
    tg_loc my_head = loc;
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        tg_color c = b->color[n];
        if (c == pla) {
            tg_loc h = b->chain_head[n];
            if (h == my_head) continue;
            b->chain_libs[h]--;
            /* The neighbour's chain absorbs ours on ties, as in KataGo: ladder search visits stones in
             * chain order, so the order must match for the ladder features to match. */
            my_head = join_chains(b, h, my_head);
        } else if (c == opp) {
            tg_loc h = b->chain_head[n];
            bool dup = false;
            for (int i = 0; i < nhit; i++) dup |= hit[i] == h;
            if (dup) continue;
            hit[nhit++] = h;
            if (--b->chain_libs[h] == 0) {
                captured += lift_chain(b, h);
                last_capture = n;
            }
        }
    }

    /* Simple ko: a lone stone that took exactly one lone stone and sits in atari in its mouth. */
    if (captured == 1 && b->chain_size[my_head] == 1 && b->chain_libs[my_head] == 1)
        b->ko_loc = last_capture;
    else
        b->ko_loc = TG_NULL_LOC;

    if (pla == TG_BLACK) b->num_white_captures += captured;
    else b->num_black_captures += captured;

    if (b->chain_libs[my_head] == 0) {
        int lost = lift_chain(b, my_head);
        if (pla == TG_BLACK) b->num_black_captures += lost;
        else b->num_white_captures += lost;
    }
}

bool tg_board_play_checked(tg_board *b, tg_loc loc, tg_color pla, bool multi_stone_suicide_legal) {
    if (!tg_board_is_legal(b, loc, pla, multi_stone_suicide_legal)) return false;
    tg_board_play(b, loc, pla);
    return true;
}

void tg_board_clear_simple_ko(tg_board *b) { b->ko_loc = TG_NULL_LOC; }

void tg_board_set_simple_ko(tg_board *b, tg_loc loc) { b->ko_loc = loc; }

/* Rebuilds every chain, liberty count and the hash from the colours alone. */
static void rebuild_all(tg_board *b) {
    uint8_t seen[TG_MAX_ARR_SIZE];
    uint8_t lib_mark[TG_MAX_ARR_SIZE];
    tg_loc stack[TG_MAX_PLAY_SIZE];
    memset(seen, 0, sizeof seen);
    b->pos_hash = zob_width[b->xsize] ^ zob_height[b->ysize];
    for (int y = 0; y < b->ysize; y++) {
        for (int x = 0; x < b->xsize; x++) {
            tg_loc start = tg_loc_of(x, y, b->xsize);
            tg_color c = b->color[start];
            if (c != TG_BLACK && c != TG_WHITE) continue;
            b->pos_hash ^= zob_stone[start][c];
            if (seen[start]) continue;
            memset(lib_mark, 0, sizeof lib_mark);
            int top = 0, size = 0, libs = 0;
            tg_loc prev = start;
            seen[start] = 1;
            stack[top++] = start;
            while (top > 0) {
                tg_loc s = stack[--top];
                b->chain_head[s] = start;
                if (s != start) { b->next_in_chain[prev] = s; prev = s; }
                size++;
                for (int d = 0; d < 4; d++) {
                    tg_loc n = s + b->adj[d];
                    if (b->color[n] == TG_EMPTY && !lib_mark[n]) { lib_mark[n] = 1; libs++; }
                    else if (b->color[n] == c && !seen[n]) { seen[n] = 1; stack[top++] = n; }
                }
            }
            b->next_in_chain[prev] = start;
            b->chain_size[start] = (int16_t)size;
            b->chain_libs[start] = (int16_t)libs;
        }
    }
}

bool tg_board_set_stone(tg_board *b, tg_loc loc, tg_color color) {
    if (!tg_board_on_board(b, loc)) return false;
    if (color != TG_EMPTY && color != TG_BLACK && color != TG_WHITE) return false;
    if (b->color[loc] != color) {
        /* Work on a copy so that a refused placement leaves *b exactly as it was. */
        tg_board t = *b;
        t.color[loc] = color;
        rebuild_all(&t);
        for (int y = 0; y < t.ysize; y++) {
            for (int x = 0; x < t.xsize; x++) {
                tg_loc p = tg_loc_of(x, y, t.xsize);
                if ((t.color[p] == TG_BLACK || t.color[p] == TG_WHITE) && t.chain_libs[t.chain_head[p]] == 0)
                    return false;
            }
        }
        *b = t;
    }
    b->ko_loc = TG_NULL_LOC;
    return true;
}

/* ------------------------------------------------------------------------------------------------
 * Benson pass-alive area
 *
 * For one player: split the non-player points into maximal connected regions of empty and opponent
 * points (only those containing at least one empty point count). A region is vital to a player chain
 * when every one of its points that matters touches that chain; which points matter depends on the
 * suicide rule: with multi-stone suicide legal the opponent stones inside must be touched too, since
 * the player could fill them after capturing them; otherwise only the empty points. Chains with fewer
 * than two vital regions are not pass-alive; regions touching such a chain stop being vital to anyone;
 * repeat until stable. Regions left touching only pass-alive chains, with at most one point not
 * adjacent to the player, are pass-alive territory. */

typedef struct area_scratch {
    int16_t region_of[TG_MAX_ARR_SIZE];
    tg_loc points[TG_MAX_PLAY_SIZE];     /* points of all regions, region by region */
    int start[TG_MAX_PLAY_SIZE], count[TG_MAX_PLAY_SIZE];
    tg_loc vital[TG_MAX_PLAY_SIZE][4];   /* chain heads each region is vital to */
    int nvital[TG_MAX_PLAY_SIZE];
    int far_points[TG_MAX_PLAY_SIZE];    /* points of the region not adjacent to the player */
    bool has_opp[TG_MAX_PLAY_SIZE];
    bool touches_dead[TG_MAX_PLAY_SIZE];
    int16_t vital_count[TG_MAX_ARR_SIZE]; /* by chain head */
    tg_loc heads[TG_MAX_PLAY_SIZE];
    bool dead[TG_MAX_PLAY_SIZE];
} area_scratch;

static void area_for_player(const tg_board *b, tg_color pla, bool safe_big, bool unsafe_big,
                            bool multi_stone_suicide_legal, tg_color *result, area_scratch *w) {
    tg_color opp = tg_opp(pla);
    int nregions = 0, npoints = 0, nheads = 0;
    bool has_pla = false;
    for (int i = 0; i < TG_MAX_ARR_SIZE; i++) w->region_of[i] = -1;

    for (int y = 0; y < b->ysize; y++) {
        for (int x = 0; x < b->xsize; x++) {
            tg_loc p = tg_loc_of(x, y, b->xsize);
            tg_color c = b->color[p];
            if (c == pla) {
                has_pla = true;
                if (b->chain_head[p] == p) {
                    w->heads[nheads] = p;
                    w->dead[nheads] = false;
                    w->vital_count[p] = 0;
                    nheads++;
                }
                continue;
            }
            if (c != TG_EMPTY || w->region_of[p] >= 0) continue;

            /* New region seeded at an empty point: breadth-first over empty and opponent points. */
            int r = nregions++;
            w->start[r] = npoints;
            w->has_opp[r] = false;
            w->touches_dead[r] = false;
            w->far_points[r] = 0;
            int nv = 0;
            for (int d = 0; d < 4; d++) {
                tg_loc n = p + b->adj[d];
                if (b->color[n] != pla) continue;
                tg_loc h = b->chain_head[n];
                bool dup = false;
                for (int i = 0; i < nv; i++) dup |= w->vital[r][i] == h;
                if (!dup) w->vital[r][nv++] = h;
            }
            w->region_of[p] = (int16_t)r;
            w->points[npoints++] = p;
            for (int qi = w->start[r]; qi < npoints; qi++) {
                tg_loc q = w->points[qi];
                tg_color qc = b->color[q];
                if (qc == opp) w->has_opp[r] = true;
                bool near_pla = false;
                for (int d = 0; d < 4; d++) near_pla |= b->color[q + b->adj[d]] == pla;
                if (!near_pla) w->far_points[r]++;
                if (nv > 0 && (multi_stone_suicide_legal || qc == TG_EMPTY)) {
                    int keep = 0;
                    for (int i = 0; i < nv; i++)
                        if (touches_chain(b, q, w->vital[r][i], pla)) w->vital[r][keep++] = w->vital[r][i];
                    nv = keep;
                }
                for (int d = 0; d < 4; d++) {
                    tg_loc n = q + b->adj[d];
                    tg_color nc = b->color[n];
                    if ((nc == TG_EMPTY || nc == opp) && w->region_of[n] < 0) {
                        w->region_of[n] = (int16_t)r;
                        w->points[npoints++] = n;
                    }
                }
            }
            w->count[r] = npoints - w->start[r];
            w->nvital[r] = nv;
        }
    }

    for (int r = 0; r < nregions; r++)
        for (int i = 0; i < w->nvital[r]; i++) w->vital_count[w->vital[r][i]]++;

    bool changed = true;
    while (changed) {
        changed = false;
        for (int k = 0; k < nheads; k++) {
            tg_loc h = w->heads[k];
            if (w->dead[k] || w->vital_count[h] >= 2) continue;
            w->dead[k] = true;
            changed = true;
            tg_loc s = h;
            do {
                for (int d = 0; d < 4; d++) {
                    int r = w->region_of[s + b->adj[d]];
                    if (r < 0 || w->touches_dead[r]) continue;
                    w->touches_dead[r] = true;
                    for (int i = 0; i < w->nvital[r]; i++) w->vital_count[w->vital[r][i]]--;
                }
                s = b->next_in_chain[s];
            } while (s != h);
        }
    }

    for (int k = 0; k < nheads; k++) {
        if (w->dead[k]) continue;
        tg_loc s = w->heads[k];
        do { result[s] = pla; s = b->next_in_chain[s]; } while (s != w->heads[k]);
    }

    if (!has_pla) return;
    for (int r = 0; r < nregions; r++) {
        const tg_loc *pts = w->points + w->start[r];
        bool sound = !w->touches_dead[r];
        if (sound && (w->far_points[r] <= 1 || (safe_big && !w->has_opp[r]))) {
            /* Overwrites unconditionally: the opponent's unsafe marking may have claimed these points. */
            for (int i = 0; i < w->count[r]; i++) result[pts[i]] = pla;
        } else if (unsafe_big && !w->has_opp[r]) {
            /* Only where nothing is claimed yet, so the opponent's pass-alive area is never overwritten. */
            for (int i = 0; i < w->count[r]; i++)
                if (result[pts[i]] == TG_EMPTY) result[pts[i]] = pla;
        }
    }
}

static void basic_area(const tg_board *b, tg_color *result, bool safe_big, bool unsafe_big, bool multi_legal) {
    area_scratch w;
    memset(result, TG_EMPTY, TG_MAX_ARR_SIZE * sizeof *result);
    area_for_player(b, TG_BLACK, safe_big, unsafe_big, multi_legal, result, &w);
    area_for_player(b, TG_WHITE, safe_big, unsafe_big, multi_legal, result, &w);
}

void tg_board_calculate_area(const tg_board *b, tg_color *result, bool non_pass_alive_stones,
                             bool safe_big_territories, bool unsafe_big_territories,
                             bool multi_stone_suicide_legal) {
    basic_area(b, result, safe_big_territories, unsafe_big_territories, multi_stone_suicide_legal);
    if (!non_pass_alive_stones) return;
    for (int y = 0; y < b->ysize; y++) {
        for (int x = 0; x < b->xsize; x++) {
            tg_loc p = tg_loc_of(x, y, b->xsize);
            if (result[p] == TG_EMPTY) result[p] = b->color[p];
        }
    }
}

/* Flood-fills from p over points whose area owner is owner, setting mark[] on each; returns the
 * points visited through queue. */
static void flood_owner(const tg_board *b, const tg_color *area, tg_color owner, tg_loc p,
                        bool *mark, tg_loc *queue) {
    int qh = 0, qt = 0;
    mark[p] = true;
    queue[qt++] = p;
    while (qh < qt) {
        tg_loc q = queue[qh++];
        for (int d = 0; d < 4; d++) {
            tg_loc n = q + b->adj[d];
            if (area[n] == owner && !mark[n]) { mark[n] = true; queue[qt++] = n; }
        }
    }
}

void tg_board_calculate_independent_life_area(const tg_board *b, tg_color *result,
                                              int *white_minus_black_independent_life_regions,
                                              bool keep_territories, bool keep_stones,
                                              bool multi_stone_suicide_legal) {
    tg_color area[TG_MAX_ARR_SIZE];
    bool seki[TG_MAX_ARR_SIZE];
    bool done[TG_MAX_ARR_SIZE];
    tg_loc queue[TG_MAX_ARR_SIZE];
    basic_area(b, area, true, true, multi_stone_suicide_legal);
    for (int y = 0; y < b->ysize; y++) {
        for (int x = 0; x < b->xsize; x++) {
            tg_loc p = tg_loc_of(x, y, b->xsize);
            if (area[p] == TG_EMPTY) area[p] = b->color[p];
        }
    }

    /* A connected owned area is not independent life if it reaches a neutral empty point, or if one
     * of its owner's stones in it is in atari: both are the marks of seki. */
    memset(seki, 0, sizeof seki);
    for (int y = 0; y < b->ysize; y++) {
        for (int x = 0; x < b->xsize; x++) {
            tg_loc p = tg_loc_of(x, y, b->xsize);
            tg_color owner = area[p];
            if (owner == TG_EMPTY || seki[p]) continue;
            bool shared = b->color[p] == owner && libs_at(b, p) == 1;
            for (int d = 0; d < 4 && !shared; d++) {
                tg_loc n = p + b->adj[d];
                shared = b->color[n] == TG_EMPTY && area[n] == TG_EMPTY;
            }
            if (shared) flood_owner(b, area, owner, p, seki, queue);
        }
    }

    int diff = 0;
    memset(result, TG_EMPTY, TG_MAX_ARR_SIZE * sizeof *result);
    memcpy(done, seki, sizeof done);
    for (int y = 0; y < b->ysize; y++) {
        for (int x = 0; x < b->xsize; x++) {
            tg_loc p = tg_loc_of(x, y, b->xsize);
            tg_color owner = area[p];
            if (owner == TG_EMPTY || done[p]) continue;
            diff += owner == TG_WHITE ? 1 : -1;
            flood_owner(b, area, owner, p, done, queue);
        }
    }
    for (int y = 0; y < b->ysize; y++) {
        for (int x = 0; x < b->xsize; x++) {
            tg_loc p = tg_loc_of(x, y, b->xsize);
            if (area[p] == TG_EMPTY) continue;
            bool is_stone = area[p] == b->color[p];
            if (!seki[p] || (keep_territories && !is_stone) || (keep_stones && is_stone)) result[p] = area[p];
        }
    }
    *white_minus_black_independent_life_regions = diff;
}

/* ------------------------------------------------------------------------------------------------
 * Vertices */

static const char column_letters[] = "ABCDEFGHJKLMNOPQRSTUVWXYZ";

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

static int column_of(char c) {
    if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    if (c < 'A' || c > 'Z' || c == 'I') return -1;
    return c < 'I' ? c - 'A' : c - 'A' - 1;
}

/* An integer as C++ stream extraction reads it from a trimmed piece: optional sign, digits, nothing after. */
static bool parse_int(const char *s, const char *end, int *out) {
    while (s < end && is_space(*s)) s++;
    while (end > s && is_space(end[-1])) end--;
    bool neg = false;
    if (s < end && (*s == '+' || *s == '-')) { neg = *s == '-'; s++; }
    if (s == end) return false;
    long long v = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9') return false;
        v = v * 10 + (*s - '0');
        if (v > 2147483648LL) return false;
    }
    if (!neg && v > 2147483647LL) return false;
    *out = (int)(neg ? -v : v);
    return true;
}

static bool same_ci(const char *s, size_t n, const char *word) {
    if (strlen(word) != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return false;
    }
    return true;
}

bool tg_loc_parse(const char *str, int xsize, int ysize, tg_loc *out) {
    if (!str) return false;
    const char *s = str, *end = str + strlen(str);
    while (s < end && is_space(*s)) s++;
    while (end > s && is_space(end[-1])) end--;
    size_t n = (size_t)(end - s);
    if (n < 2) return false;
    /* KataGo also takes "pss" as a pass. */
    if (same_ci(s, n, "pass") || same_ci(s, n, "pss")) { *out = TG_PASS_LOC; return true; }

    int x, y;
    if (s[0] == '(') {
        /* Machine form "(x,y)" with y counted from the top, as KataGo prints off-board points. */
        if (end[-1] != ')') return false;
        const char *comma = NULL;
        for (const char *c = s + 1; c < end - 1; c++) {
            if (*c != ',') continue;
            if (comma) return false;
            comma = c;
        }
        if (!comma || !parse_int(s + 1, comma, &x) || !parse_int(comma + 1, end - 1, &y)) return false;
    } else {
        x = column_of(s[0]);
        if (x < 0) return false;
        const char *digits = s + 1;
        char c1 = s[1];
        if ((c1 >= 'A' && c1 <= 'Z') || (c1 >= 'a' && c1 <= 'z')) {
            /* Two-letter columns (beyond Z) exist in KataGo's notation; none fits on our boards,
             * but parse them so they are rejected as off-board rather than as garbage. */
            int x1 = column_of(c1);
            if (x1 < 0) return false;
            x = (x + 1) * 25 + x1;
            digits = s + 2;
        }
        int row;
        if (!parse_int(digits, end, &row)) return false;
        if (row < 1 || row > ysize) return false;
        y = ysize - row;
    }
    if (x < 0 || y < 0 || x >= xsize || y >= ysize) return false;
    *out = tg_loc_of(x, y, xsize);
    return true;
}

/* Appends the decimal text of v at *pos, never past cap - 1 characters. */
static void put_int(char *buf, int *pos, int cap, int v) {
    char digits[12];
    int nd = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do { digits[nd++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0 && *pos < cap - 1) buf[(*pos)++] = '-';
    while (nd > 0 && *pos < cap - 1) buf[(*pos)++] = digits[--nd];
}

const char *tg_loc_str(tg_loc loc, int xsize, int ysize, char *buf) {
    if (loc == TG_PASS_LOC) { strcpy(buf, "pass"); return buf; }
    if (loc == TG_NULL_LOC) { strcpy(buf, "null"); return buf; }
    const int cap = 8; /* the documented minimum size of buf */
    int x = tg_loc_x(loc, xsize), y = tg_loc_y(loc, xsize);
    int pos = 0;
    if (x < 0 || y < 0 || x >= xsize || y >= ysize) {
        /* Not a point of this board: KataGo's machine notation, y counted from the top. */
        buf[pos++] = '(';
        put_int(buf, &pos, cap, x);
        if (pos < cap - 1) buf[pos++] = ',';
        put_int(buf, &pos, cap, y);
        if (pos < cap - 1) buf[pos++] = ')';
    } else {
        buf[pos++] = column_letters[x];
        put_int(buf, &pos, cap, ysize - y);
    }
    buf[pos] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------------------------------
 * Self-check */

bool tg_board_check_consistency(const tg_board *b) {
    if (b->xsize < 1 || b->ysize < 1 || b->xsize > TG_MAX_LEN || b->ysize > TG_MAX_LEN) return false;
    if (b->adj[0] != -(b->xsize + 1) || b->adj[1] != -1 || b->adj[2] != 1 || b->adj[3] != b->xsize + 1)
        return false;
    zob_ready();

    bool visited[TG_MAX_ARR_SIZE];
    uint8_t lib_mark[TG_MAX_ARR_SIZE];
    memset(visited, 0, sizeof visited);
    uint64_t h = zob_width[b->xsize] ^ zob_height[b->ysize];
    int black = 0, white = 0;
    for (tg_loc p = 0; p < TG_MAX_ARR_SIZE; p++) {
        int x = tg_loc_x(p, b->xsize), y = tg_loc_y(p, b->xsize);
        bool inside = x >= 0 && y >= 0 && x < b->xsize && y < b->ysize;
        tg_color c = b->color[p];
        if (!inside) { if (c != TG_WALL) return false; continue; }
        if (c == TG_EMPTY) continue;
        if (c != TG_BLACK && c != TG_WHITE) return false;
        h ^= zob_stone[p][c];
        if (c == TG_BLACK) black++; else white++;
        if (visited[p]) continue;

        /* Walk the ring from p: one colour, one head, the head on the ring, counts matching. */
        tg_loc head = b->chain_head[p];
        if (head < 0 || head >= TG_MAX_ARR_SIZE || b->color[head] != c || b->chain_head[head] != head) return false;
        memset(lib_mark, 0, sizeof lib_mark);
        int size = 0, libs = 0;
        bool head_seen = false;
        tg_loc s = p;
        do {
            if (s < 0 || s >= TG_MAX_ARR_SIZE || b->color[s] != c || b->chain_head[s] != head || visited[s]) return false;
            visited[s] = true;
            head_seen |= s == head;
            size++;
            for (int d = 0; d < 4; d++) {
                tg_loc n = s + b->adj[d];
                if (b->color[n] == TG_EMPTY && !lib_mark[n]) { lib_mark[n] = 1; libs++; }
            }
            s = b->next_in_chain[s];
        } while (s != p && size <= TG_MAX_PLAY_SIZE);
        if (s != p || !head_seen) return false;
        if (b->chain_size[head] != size || b->chain_libs[head] != libs || libs == 0) return false;
    }
    /* Every stone reachable by adjacency from a chain must be on that chain's ring. */
    for (tg_loc p = 0; p < TG_MAX_ARR_SIZE; p++) {
        tg_color c = b->color[p];
        if (c != TG_BLACK && c != TG_WHITE) continue;
        for (int d = 0; d < 4; d++) {
            tg_loc n = p + b->adj[d];
            if (b->color[n] == c && b->chain_head[n] != b->chain_head[p]) return false;
        }
    }
    if (h != b->pos_hash) return false;
    if (b->ko_loc != TG_NULL_LOC) {
        if (!tg_board_on_board(b, b->ko_loc) || b->color[b->ko_loc] != TG_EMPTY) return false;
        for (int d = 0; d < 4; d++)
            if (b->color[b->ko_loc + b->adj[d]] == TG_EMPTY) return false;
    }
    if (b->num_black_captures < 0 || b->num_white_captures < 0) return false;
    (void)black; (void)white;
    return true;
}
