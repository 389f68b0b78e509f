/* Ladder reading for the network's ladder features. See ladder.h for the contract.
 *
 * The search is a depth-first alternation of defender and attacker moves. Each level plays its move
 * on a fresh copy of the level above (tg_board has no pointers, so a struct copy is a complete
 * snapshot), which replaces KataGo's play/undo records and keeps the caller's board untouched. */
#include "ladder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KataGo gives up (answering "not captured") after this many moves played in one search. */
#define LADDER_NODE_BUDGET 25000

static inline int libs_of(const tg_board *b, tg_loc loc) { return b->chain_libs[b->chain_head[loc]]; }

static void *grow(void *p, int *cap, int need, size_t elem) {
    if (need <= *cap) return p;
    int c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(p, (size_t)c * elem);
    if (!q) {
        fputs("tengen: out of memory in ladder search\n", stderr);
        abort();
    }
    *cap = c;
    return q;
}

static void ensure_moves(tg_ladder_work *w, int need) {
    w->moves = grow(w->moves, &w->cap_moves, need, sizeof *w->moves);
}

static void ensure_boards(tg_ladder_work *w, int need) {
    w->boards = grow(w->boards, &w->cap_boards, need, sizeof *w->boards);
}

void tg_ladder_work_free(tg_ladder_work *w) {
    free(w->boards);
    free(w->moves);
    memset(w, 0, sizeof *w);
}

/* ------------------------------------------------------------------------------------------------
 * Board queries used by the search */

/* Appends p to w->moves[start..*len) unless already there. */
static void add_unique(tg_ladder_work *w, int start, int *len, tg_loc p) {
    for (int i = start; i < *len; i++)
        if (w->moves[i] == p) return;
    ensure_moves(w, *len + 1);
    w->moves[(*len)++] = p;
}

/* The liberties of loc's chain, in chain order, appended without duplicates (checked from start). */
static void add_liberties(const tg_board *b, tg_loc loc, tg_ladder_work *w, int start, int *len) {
    tg_loc s = loc;
    do {
        for (int d = 0; d < 4; d++) {
            tg_loc n = s + b->adj[d];
            if (b->color[n] == TG_EMPTY) add_unique(w, start, len, n);
        }
        s = b->next_in_chain[s];
    } while (s != loc);
}

/* Moves that capture an opposing chain in atari next to loc's chain: those chains' liberties. */
static void add_capturing_moves(const tg_board *b, tg_loc loc, tg_ladder_work *w, int start, int *len) {
    tg_color opp = tg_opp(b->color[loc]);
    tg_loc seen[TG_MAX_PLAY_SIZE];
    int nseen = 0;
    tg_loc s = loc;
    do {
        for (int d = 0; d < 4; d++) {
            tg_loc n = s + b->adj[d];
            if (b->color[n] != opp || libs_of(b, n) != 1) continue;
            tg_loc head = b->chain_head[n];
            bool dup = false;
            for (int i = 0; i < nseen && !dup; i++) dup = seen[i] == head;
            if (dup) continue;
            seen[nseen++] = head;
            add_liberties(b, n, w, start, len);
        }
        s = b->next_in_chain[s];
    } while (s != loc);
}

static bool touches_chain_in_atari(const tg_board *b, tg_loc loc) {
    tg_color opp = tg_opp(b->color[loc]);
    tg_loc s = loc;
    do {
        for (int d = 0; d < 4; d++) {
            tg_loc n = s + b->adj[d];
            if (b->color[n] == opp && libs_of(b, n) == 1) return true;
        }
        s = b->next_in_chain[s];
    } while (s != loc);
    return false;
}

static int empty_neighbours(const tg_board *b, tg_loc loc) {
    int n = 0;
    for (int d = 0; d < 4; d++) n += b->color[loc + b->adj[d]] == TG_EMPTY;
    return n;
}

/* Cheap bounds on the liberties pla's stone at loc would have. Neighbour chains are counted once per
 * side they touch, exactly as KataGo counts them: the bounds steer pruning, so they must agree. */
static void liberty_bounds_after_play(const tg_board *b, tg_loc loc, tg_color pla, int *lower, int *upper) {
    tg_color opp = tg_opp(pla);
    int empties = 0, captures = 0, captured_stones = 0, joined_libs = 0, best_joined = 0;
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        tg_color c = b->color[n];
        if (c == TG_EMPTY) {
            empties++;
        } else if (c == opp) {
            if (libs_of(b, n) == 1) {
                captures++;
                captured_stones += b->chain_size[b->chain_head[n]];
            }
        } else if (c == pla) {
            int extra = libs_of(b, n) - 1;
            joined_libs += extra;
            if (extra > best_joined) best_joined = extra;
        }
    }
    *lower = captures + (best_joined > empties ? best_joined : empties);
    *upper = empties + captured_stones + joined_libs;
}

/* Move-ordering score (doubled to stay integral): friendly chains next to loc that could be joined,
 * each worth its liberties minus one and a half. */
static int joinable_liberties_x2(const tg_board *b, tg_loc loc, tg_color pla) {
    int total = 0;
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        if (b->color[n] != pla) continue;
        int l = libs_of(b, n);
        if (l > 1) total += 2 * l - 3;
    }
    return total;
}

int tg_board_num_liberties_after_play(const tg_board *b, tg_loc loc, tg_color pla, int max) {
    /* The set of points that would be liberties: empty neighbours, neighbouring opposing stones that
     * would be captured (only those stones themselves), and the liberties of joined chains counting
     * points freed by the capture. */
    tg_color opp = tg_opp(pla);
    bool mark[TG_MAX_ARR_SIZE];
    memset(mark, 0, sizeof mark);
    tg_loc dead[4];
    int ndead = 0, count = 0;
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        tg_color c = b->color[n];
        bool lib = c == TG_EMPTY;
        if (c == opp && libs_of(b, n) == 1) {
            lib = true;
            tg_loc h = b->chain_head[n];
            bool dup = false;
            for (int i = 0; i < ndead && !dup; i++) dup = dead[i] == h;
            if (!dup) dead[ndead++] = h;
        }
        if (lib && !mark[n]) {
            mark[n] = true;
            if (++count >= max) return max;
        }
    }
    tg_loc joined[4];
    int njoined = 0;
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        if (b->color[n] != pla) continue;
        tg_loc h = b->chain_head[n];
        bool dup = false;
        for (int i = 0; i < njoined && !dup; i++) dup = joined[i] == h;
        if (dup) continue;
        joined[njoined++] = h;
        tg_loc s = n;
        do {
            for (int e = 0; e < 4; e++) {
                tg_loc p = s + b->adj[e];
                if (p == loc || mark[p]) continue;
                bool freed = b->color[p] == TG_EMPTY;
                if (!freed && b->color[p] == opp) {
                    for (int i = 0; i < ndead && !freed; i++) freed = b->chain_head[p] == dead[i];
                }
                if (!freed) continue;
                mark[p] = true;
                if (++count >= max) return max;
            }
            s = b->next_in_chain[s];
        } while (s != n);
    }
    return count;
}

static bool adjacent(const tg_board *b, tg_loc p, tg_loc q) {
    for (int d = 0; d < 4; d++)
        if (p + b->adj[d] == q) return true;
    return false;
}

/* ------------------------------------------------------------------------------------------------
 * The search */

typedef struct search {
    tg_ladder_work *w;
    tg_loc target;          /* a stone of the chain being chased */
    tg_color defender, attacker;
    bool defender_first;
    int depth_limit;        /* reaching this depth counts as a capture, as in KataGo */
    int nodes;
    bool aborted;
} search;

/* Fills the move list of this level into w->moves from start; returns its length, or -1 / -2 when a
 * shortcut already decides the level (-1: defender escapes, -2: defender is captured). */
static int generate(search *s, const tg_board *b, bool defender_turn, int start) {
    tg_ladder_work *w = s->w;
    int len = start;
    if (defender_turn) {
        add_capturing_moves(b, s->target, w, start, &len);
        add_liberties(b, s->target, w, start, &len);
        /* KataGo judges the defender's prospects from the last move generated (normally the lone
         * liberty): clearly enough liberties there means escape, and a single hopeless move means capture. */
        int lower, upper;
        liberty_bounds_after_play(b, w->moves[len - 1], s->defender, &lower, &upper);
        if (lower >= 3) return -1;
        if (len - start == 1 && upper <= 1) return -2;
        return len - start;
    }

    add_liberties(b, s->target, w, start, &len);
    tg_loc m0 = w->moves[start], m1 = w->moves[start + 1];
    int libs0 = empty_neighbours(b, m0), libs1 = empty_neighbours(b, m1);

    /* Both liberties are ko mouths the attacker could take, filling either does not help the
     * defender, and the defender has nothing to capture: treat it as dead (double ko). */
    if (libs0 == 0 && libs1 == 0 && tg_board_would_be_ko_capture(b, m0, s->attacker) &&
        tg_board_would_be_ko_capture(b, m1, s->attacker) &&
        tg_board_num_liberties_after_play(b, m0, s->defender, 3) <= 2 &&
        tg_board_num_liberties_after_play(b, m1, s->defender, 3) <= 2 && !touches_chain_in_atari(b, s->target))
        return -2;

    int n = 2;
    if (!adjacent(b, m0, m1)) {
        /* The attacker must take the liberty whose other side would give the defender three. */
        if (libs0 >= 3 && libs1 >= 3) return -1;
        if (libs0 >= 3) {
            n = 1;
        } else if (libs1 >= 3) {
            w->moves[start] = m1;
            n = 1;
        }
    }
    if (n == 2) {
        int score0 = libs0 * 2 + joinable_liberties_x2(b, m0, s->defender);
        int score1 = libs1 * 2 + joinable_liberties_x2(b, m1, s->defender);
        if (score1 > score0) {
            w->moves[start] = m1;
            w->moves[start + 1] = m0;
        }
    }
    return n;
}

/* The value of the position at this depth: true when the target is captured. */
static bool visit(search *s, int depth, int start) {
    if (depth >= s->depth_limit - 1) return true;

    bool defender_turn = ((depth % 2) == 0) == s->defender_first;
    const tg_board *b = &s->w->boards[depth];
    int libs = libs_of(b, s->target);
    if (!defender_turn && libs <= 1) return true;
    if (!defender_turn && libs >= 3) return false;
    if (defender_turn && libs >= 2) return false;
    /* A ko left by the attacker: do not count ladders that depend on kos (this also stops cycles). */
    if (defender_turn && b->ko_loc != TG_NULL_LOC) return false;

    int n = generate(s, b, defender_turn, start);
    if (n == -1) return false;
    if (n == -2) return true;

    tg_color mover = defender_turn ? s->defender : s->attacker;
    ensure_boards(s->w, depth + 2);
    for (int i = 0; i < n; i++) {
        tg_ladder_work *w = s->w;
        tg_loc move = w->moves[start + i];
        const tg_board *cur = &w->boards[depth];
        /* An illegal move simply fails for whoever wanted it. Multi-stone suicide never helps either side. */
        if (!tg_board_is_legal(cur, move, mover, false)) continue;
        w->boards[depth + 1] = *cur;
        tg_board_play(&w->boards[depth + 1], move, mover);
        if (++s->nodes >= LADDER_NODE_BUDGET) {
            s->aborted = true;
            return false;
        }
        bool captured = visit(s, depth + 1, start + n);
        if (s->aborted) return false;
        if (defender_turn && !captured) return false;
        if (!defender_turn && captured) return true;
    }
    /* Out of moves: the defender found no escape, or the attacker found no capture. */
    return defender_turn;
}

bool tg_ladder_is_captured(const tg_board *b, tg_loc loc, bool defender_first, tg_ladder_work *w,
                           tg_ladder_info *info) {
    if (info) info->aborted = false;
    if (loc < 0 || loc >= TG_MAX_ARR_SIZE) return false;
    tg_color c = b->color[loc];
    if (c != TG_BLACK && c != TG_WHITE) return false;
    int libs = libs_of(b, loc);
    if (libs > 2 || (defender_first && libs > 1)) return false;

    tg_ladder_work local = {0};
    tg_ladder_work *work = w ? w : &local;
    search s = {
        .w = work,
        .target = loc,
        .defender = c,
        .attacker = tg_opp(c),
        .defender_first = defender_first,
        .depth_limit = b->xsize * b->ysize * 3 / 2 + 1,
    };
    ensure_boards(work, 2);
    ensure_moves(work, 8);
    work->boards[0] = *b;
    if (defender_first) work->boards[0].ko_loc = TG_NULL_LOC;
    bool result = visit(&s, 0, 0);
    if (info) info->aborted = s.aborted;
    if (!w) tg_ladder_work_free(&local);
    return result;
}

bool tg_ladder_is_captured_attacker_first_2libs(const tg_board *b, tg_loc loc, tg_loc working[2], int *num_working,
                                                tg_ladder_work *w) {
    *num_working = 0;
    if (loc < 0 || loc >= TG_MAX_ARR_SIZE) return false;
    tg_color c = b->color[loc];
    if (c != TG_BLACK && c != TG_WHITE) return false;
    if (libs_of(b, loc) != 2) return false;

    tg_ladder_work local = {0};
    tg_ladder_work *work = w ? w : &local;
    int len = 0;
    add_liberties(b, loc, work, 0, &len);
    tg_loc first[2] = {work->moves[0], work->moves[1]};
    tg_color attacker = tg_opp(c);
    for (int i = 0; i < 2; i++) {
        if (!tg_board_is_legal(b, first[i], attacker, false)) continue;
        tg_board after = *b;
        tg_board_play(&after, first[i], attacker);
        if (tg_ladder_is_captured(&after, loc, true, work, NULL)) working[(*num_working)++] = first[i];
    }
    if (!w) tg_ladder_work_free(&local);
    return *num_working > 0;
}

void tg_ladder_iterate(const tg_board *b, tg_ladder_work *w, tg_ladder_fn fn, void *ctx) {
    tg_ladder_work local = {0};
    tg_ladder_work *work = w ? w : &local;
    /* The board the searches read. KataGo searches one scratch copy in place, and a search that runs out
     * of budget leaves that copy's simple ko cleared for the searches after it; mirrored here. */
    tg_board scratch = *b;
    tg_loc solved_head[TG_MAX_PLAY_SIZE];
    bool solved_value[TG_MAX_PLAY_SIZE];
    int nsolved = 0;
    for (int y = 0; y < b->ysize; y++) {
        for (int x = 0; x < b->xsize; x++) {
            tg_loc loc = tg_loc_of(x, y, b->xsize);
            tg_color c = b->color[loc];
            if (c != TG_BLACK && c != TG_WHITE) continue;
            int libs = libs_of(b, loc);
            if (libs != 1 && libs != 2) continue;
            tg_loc head = b->chain_head[loc];
            int k = 0;
            while (k < nsolved && solved_head[k] != head) k++;
            if (k < nsolved) {
                if (solved_value[k]) fn(ctx, loc, NULL, 0);
                continue;
            }
            bool captured;
            tg_loc working[2];
            int nworking = 0;
            if (libs == 1) {
                tg_ladder_info info;
                captured = tg_ladder_is_captured(&scratch, loc, true, work, &info);
                if (info.aborted) scratch.ko_loc = TG_NULL_LOC;
            } else {
                captured = tg_ladder_is_captured_attacker_first_2libs(&scratch, loc, working, &nworking, work);
            }
            solved_head[nsolved] = head;
            solved_value[nsolved] = captured;
            nsolved++;
            if (captured) fn(ctx, loc, working, nworking);
        }
    }
    if (!w) tg_ladder_work_free(&local);
}
