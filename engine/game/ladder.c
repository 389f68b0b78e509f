/* Ladder reading for the network's ladder features. See ladder.h for the contract.
 *
 * The search is a depth-first alternation of defender and attacker moves, played and taken back in
 * place on a private scratch copy of the caller's board. The answer depends on the order in which
 * moves are tried (through the node budget and through a pruning bound KataGo computes on whichever
 * move it generated last), and that order follows the stone order of each chain's circular list. So
 * the scratch board is updated exactly the way KataGo's Board updates its lists when playing and
 * undoing (which chain absorbs which, where stones are spliced in, how undone captures are refilled
 * and split chains rebuilt), and, as in KataGo, one scratch board serves all the searches of a scan. */
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

void tg_ladder_work_free(tg_ladder_work *w) {
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
 * Playing and undoing on the scratch board
 *
 * Colours, chain heads, chain lists, liberty and stone counts, the simple ko and the position hash are
 * kept exact; capture counters are not used by the search and are left alone. */

typedef struct undo_record {
    tg_loc loc;
    tg_color pla;
    tg_loc ko_before;
    uint8_t captured_dirs; /* bit d: the neighbour in direction d was captured; 0x10: the move was suicide */
} undo_record;

#define SUICIDE_MARK 0x10

/* Adds delta to the liberties of each distinct chain of colour c next to p. */
static void adjust_adjacent_libs(tg_board *b, tg_loc p, tg_color c, int delta) {
    tg_loc done[4];
    int ndone = 0;
    for (int d = 0; d < 4; d++) {
        tg_loc n = p + b->adj[d];
        if (b->color[n] != c) continue;
        tg_loc h = b->chain_head[n];
        bool dup = false;
        for (int i = 0; i < ndone && !dup; i++) dup = done[i] == h;
        if (dup) continue;
        done[ndone++] = h;
        b->chain_libs[h] = (int16_t)(b->chain_libs[h] + delta);
    }
}

/* Whether the empty point p touches a stone of the chain headed by head. */
static bool is_liberty_of(const tg_board *b, tg_loc p, tg_loc head) {
    for (int d = 0; d < 4; d++) {
        tg_loc n = p + b->adj[d];
        if (b->color[n] == b->color[head] && b->chain_head[n] == head) return true;
    }
    return false;
}

/* Joins the chain of `into` and the chain of `from`. The chain of `into` survives unless it is the smaller
 * one; the other chain's stones are spliced in right after the survivor's head. */
static void join(tg_board *b, tg_loc into, tg_loc from) {
    tg_loc keep = b->chain_head[into], gone = b->chain_head[from];
    if (b->chain_size[keep] < b->chain_size[gone]) {
        tg_loc t = keep;
        keep = gone;
        gone = t;
    }
    int gained = 0;
    tg_loc s = gone, last;
    for (;;) {
        for (int d = 0; d < 4; d++) {
            tg_loc n = s + b->adj[d];
            if (b->color[n] == TG_EMPTY && !is_liberty_of(b, n, keep)) gained++;
        }
        b->chain_head[s] = keep;
        last = s;
        if (b->next_in_chain[s] == gone) break;
        s = b->next_in_chain[s];
    }
    b->chain_size[keep] = (int16_t)(b->chain_size[keep] + b->chain_size[gone]);
    b->chain_libs[keep] = (int16_t)(b->chain_libs[keep] + gained);
    b->next_in_chain[last] = b->next_in_chain[keep];
    b->next_in_chain[keep] = gone;
}

/* Lifts the chain through loc off the board, giving its neighbours their liberties back. */
static int lift(tg_board *b, tg_loc loc) {
    tg_color c = b->color[loc];
    int n = 0;
    tg_loc s = loc;
    do {
        b->pos_hash ^= tg_zobrist_stone(s, c);
        b->color[s] = TG_EMPTY;
        adjust_adjacent_libs(b, s, tg_opp(c), +1);
        n++;
        s = b->next_in_chain[s];
    } while (s != loc);
    return n;
}

/* Plays a pseudolegal move (the list bookkeeping of KataGo's playMoveAssumeLegal). */
static void play_in_place(tg_board *b, tg_loc loc, tg_color pla) {
    if (loc == TG_PASS_LOC) {
        b->ko_loc = TG_NULL_LOC;
        return;
    }
    tg_color opp = tg_opp(pla);
    b->color[loc] = pla;
    b->pos_hash ^= tg_zobrist_stone(loc, pla);
    b->chain_head[loc] = loc;
    b->next_in_chain[loc] = loc;
    b->chain_size[loc] = 1;
    b->chain_libs[loc] = (int16_t)empty_neighbours(b, loc);

    int captured = 0;
    tg_loc ko_candidate = TG_NULL_LOC;
    tg_loc seen[4];
    int nseen = 0;
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        if (b->color[n] == pla) {
            if (b->chain_head[n] == b->chain_head[loc]) continue;
            b->chain_libs[b->chain_head[n]]--;
            join(b, n, loc);
        } else if (b->color[n] == opp) {
            tg_loc h = b->chain_head[n];
            bool dup = false;
            for (int i = 0; i < nseen && !dup; i++) dup = seen[i] == h;
            if (dup) continue;
            seen[nseen++] = h;
            if (--b->chain_libs[h] == 0) {
                captured += lift(b, n);
                ko_candidate = n;
            }
        }
    }
    tg_loc mine = b->chain_head[loc];
    b->ko_loc = captured == 1 && b->chain_size[mine] == 1 && b->chain_libs[mine] == 1 ? ko_candidate : TG_NULL_LOC;
    if (b->chain_libs[mine] == 0) lift(b, loc);
}

static undo_record play_recorded(tg_board *b, tg_loc loc, tg_color pla) {
    undo_record r = {.loc = loc, .pla = pla, .ko_before = b->ko_loc, .captured_dirs = 0};
    if (loc != TG_PASS_LOC) {
        for (int d = 0; d < 4; d++) {
            tg_loc n = loc + b->adj[d];
            if (b->color[n] == tg_opp(pla) && libs_of(b, n) == 1) r.captured_dirs |= (uint8_t)(1u << d);
        }
        if (r.captured_dirs == 0 && tg_board_is_suicide(b, loc, pla)) r.captured_dirs = SUICIDE_MARK;
    }
    play_in_place(b, loc, pla);
    return r;
}

/* Refills a captured region of empty points with pla's stones as one chain headed by p, linking the
 * stones in flood-fill order (the list is built back to front and closed at the end). Returns the
 * stone the head must point to. */
static tg_loc refill(tg_board *b, tg_loc head, tg_loc tail, tg_loc p, tg_color pla) {
    b->color[p] = pla;
    b->pos_hash ^= tg_zobrist_stone(p, pla);
    b->chain_head[p] = head;
    b->chain_size[head]++;
    b->next_in_chain[p] = tail;
    adjust_adjacent_libs(b, p, tg_opp(pla), -1);
    tg_loc front = p;
    for (int d = 0; d < 4; d++) {
        tg_loc n = p + b->adj[d];
        if (b->color[n] == TG_EMPTY) front = refill(b, head, front, n, pla);
    }
    return front;
}

static void refill_chain(tg_board *b, tg_loc p, tg_color pla) {
    b->chain_libs[p] = 0; /* every neighbour is occupied until the capturing stone is lifted */
    b->chain_size[p] = 0;
    b->next_in_chain[p] = refill(b, p, p, p, pla);
}

/* Relinks the stones connected to p (already marked headless) into a chain headed by p, counting its
 * liberties, in depth-first order. */
static tg_loc relink(tg_board *b, tg_loc head, tg_loc tail, tg_loc p, tg_color pla) {
    int fresh = 0;
    for (int d = 0; d < 4; d++) {
        tg_loc n = p + b->adj[d];
        if (b->color[n] == TG_EMPTY && !is_liberty_of(b, n, head)) fresh++;
    }
    b->chain_libs[head] = (int16_t)(b->chain_libs[head] + fresh);
    b->chain_head[p] = head;
    b->chain_size[head]++;
    b->next_in_chain[p] = tail;
    tg_loc front = p;
    for (int d = 0; d < 4; d++) {
        tg_loc n = p + b->adj[d];
        if (b->color[n] == pla && b->chain_head[n] != head) front = relink(b, head, front, n, pla);
    }
    return front;
}

static void relink_chain(tg_board *b, tg_loc p, tg_color pla) {
    b->chain_libs[p] = 0;
    b->chain_size[p] = 0;
    b->next_in_chain[p] = relink(b, p, p, p, pla);
}

/* Takes back the move of record r; moves must be undone last first. */
static void undo_move(tg_board *b, const undo_record *r) {
    b->ko_loc = r->ko_before;
    tg_loc loc = r->loc;
    if (loc == TG_PASS_LOC) return;
    tg_color pla = r->pla;
    for (int d = 0; d < 4; d++) {
        tg_loc n = loc + b->adj[d];
        if ((r->captured_dirs & (1u << d)) && b->color[n] == TG_EMPTY) refill_chain(b, n, tg_opp(pla));
    }
    if (r->captured_dirs == SUICIDE_MARK) refill_chain(b, loc, pla);

    b->pos_hash ^= tg_zobrist_stone(loc, b->color[loc]);
    b->color[loc] = TG_EMPTY;
    adjust_adjacent_libs(b, loc, tg_opp(pla), +1);

    tg_loc head = b->chain_head[loc];
    if (b->chain_size[head] <= 1) return;
    int friends = 0;
    for (int d = 0; d < 4; d++) friends += b->color[loc + b->adj[d]] == pla;
    if (friends <= 1) {
        /* Removing a stone with one friendly neighbour cannot split its chain: unlink it. */
        if (head == loc) {
            tg_loc nh = b->next_in_chain[loc];
            tg_loc s = loc;
            do {
                b->chain_head[s] = nh;
                s = b->next_in_chain[s];
            } while (s != loc);
            b->chain_libs[nh] = b->chain_libs[loc];
            b->chain_size[nh] = b->chain_size[loc];
            head = nh;
        }
        tg_loc s = head;
        while (b->next_in_chain[s] != loc) s = b->next_in_chain[s];
        b->next_in_chain[s] = b->next_in_chain[loc];
        int delta = 1;
        for (int d = 0; d < 4; d++) {
            tg_loc n = loc + b->adj[d];
            if (b->color[n] == TG_EMPTY && !is_liberty_of(b, n, head)) delta--;
        }
        b->chain_libs[head] = (int16_t)(b->chain_libs[head] + delta);
        b->chain_size[head]--;
    } else {
        /* The chain may fall apart: forget it and rebuild whatever is attached to each neighbour. */
        tg_loc s = loc;
        do {
            b->chain_head[s] = TG_NULL_LOC;
            s = b->next_in_chain[s];
        } while (s != loc);
        for (int d = 0; d < 4; d++) {
            tg_loc n = loc + b->adj[d];
            if (b->color[n] == pla && b->chain_head[n] == TG_NULL_LOC) relink_chain(b, n, pla);
        }
    }
}

/* ------------------------------------------------------------------------------------------------
 * The search */

typedef struct search {
    tg_board *b;            /* the scratch board, played on in place */
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
static int generate(search *s, bool defender_turn, int start) {
    const tg_board *b = s->b;
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

/* The value of the position at this depth: true when the target is captured. The board is back in
 * its entry state on return (up to list order), also when the search is aborted. */
static bool visit(search *s, int depth, int start) {
    if (depth >= s->depth_limit - 1) return true;

    bool defender_turn = ((depth % 2) == 0) == s->defender_first;
    tg_board *b = s->b;
    int libs = libs_of(b, s->target);
    if (!defender_turn && libs <= 1) return true;
    if (!defender_turn && libs >= 3) return false;
    if (defender_turn && libs >= 2) return false;
    /* A ko left by the attacker: do not count ladders that depend on kos (this also stops cycles). */
    if (defender_turn && b->ko_loc != TG_NULL_LOC) return false;

    int n = generate(s, defender_turn, start);
    if (n == -1) return false;
    if (n == -2) return true;

    tg_color mover = defender_turn ? s->defender : s->attacker;
    for (int i = 0; i < n; i++) {
        tg_loc move = s->w->moves[start + i];
        /* An illegal move simply fails for whoever wanted it. Multi-stone suicide never helps either side. */
        if (!tg_board_is_legal(b, move, mover, false)) continue;
        undo_record r = play_recorded(b, move, mover);
        if (++s->nodes >= LADDER_NODE_BUDGET) {
            s->aborted = true;
            undo_move(b, &r);
            return false;
        }
        bool captured = visit(s, depth + 1, start + n);
        undo_move(b, &r);
        if (s->aborted) return false;
        if (defender_turn && !captured) return false;
        if (!defender_turn && captured) return true;
    }
    /* Out of moves: the defender found no escape, or the attacker found no capture. */
    return defender_turn;
}

/* The search proper, on the scratch board b (modified only in its list order, and in its simple ko when
 * the budget runs out, exactly as KataGo's searches leave their board). */
static bool captured_in_place(tg_board *b, tg_loc loc, bool defender_first, tg_ladder_work *w) {
    if (loc < 0 || loc >= TG_MAX_ARR_SIZE) return false;
    tg_color c = b->color[loc];
    if (c != TG_BLACK && c != TG_WHITE) return false;
    int libs = libs_of(b, loc);
    if (libs > 2 || (defender_first && libs > 1)) return false;

    search s = {
        .b = b,
        .w = w,
        .target = loc,
        .defender = c,
        .attacker = tg_opp(c),
        .defender_first = defender_first,
        .depth_limit = b->xsize * b->ysize * 3 / 2 + 1,
    };
    ensure_moves(w, 8);
    tg_loc ko_saved = b->ko_loc;
    if (defender_first) b->ko_loc = TG_NULL_LOC;
    bool result = visit(&s, 0, 0);
    /* KataGo does not put the ko back when it gives up on the budget. */
    if (!s.aborted) b->ko_loc = ko_saved;
    return result;
}

static bool two_libs_in_place(tg_board *b, tg_loc loc, tg_loc working[2], int *num_working, tg_ladder_work *w) {
    *num_working = 0;
    if (loc < 0 || loc >= TG_MAX_ARR_SIZE) return false;
    tg_color c = b->color[loc];
    if (c != TG_BLACK && c != TG_WHITE) return false;
    if (libs_of(b, loc) != 2) return false;
    int len = 0;
    add_liberties(b, loc, w, 0, &len);
    tg_loc first[2] = {w->moves[0], w->moves[1]};
    tg_color attacker = tg_opp(c);
    for (int i = 0; i < 2; i++) {
        if (!tg_board_is_legal(b, first[i], attacker, false)) continue;
        undo_record r = play_recorded(b, first[i], attacker);
        bool works = captured_in_place(b, loc, true, w);
        undo_move(b, &r);
        if (works) working[(*num_working)++] = first[i];
    }
    return *num_working > 0;
}

bool tg_ladder_is_captured(const tg_board *b, tg_loc loc, bool defender_first, tg_ladder_work *w) {
    tg_ladder_work local = {0};
    tg_ladder_work *work = w ? w : &local;
    tg_board scratch = *b;
    bool result = captured_in_place(&scratch, loc, defender_first, work);
    if (!w) tg_ladder_work_free(&local);
    return result;
}

bool tg_ladder_is_captured_attacker_first_2libs(const tg_board *b, tg_loc loc, tg_loc working[2], int *num_working,
                                                tg_ladder_work *w) {
    tg_ladder_work local = {0};
    tg_ladder_work *work = w ? w : &local;
    tg_board scratch = *b;
    bool result = two_libs_in_place(&scratch, loc, working, num_working, work);
    if (!w) tg_ladder_work_free(&local);
    return result;
}

void tg_ladder_iterate(const tg_board *b, tg_ladder_work *w, tg_ladder_fn fn, void *ctx) {
    tg_ladder_work local = {0};
    tg_ladder_work *work = w ? w : &local;
    /* One scratch board for the whole scan, as in KataGo: what a search leaves behind (list order,
     * a ko cleared by a search that ran out of budget) carries over to the next. */
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
            tg_loc working[2];
            int nworking = 0;
            bool captured = libs == 1 ? captured_in_place(&scratch, loc, true, work)
                                      : two_libs_in_place(&scratch, loc, working, &nworking, work);
            solved_head[nsolved] = head;
            solved_value[nsolved] = captured;
            nsolved++;
            if (captured) fn(ctx, loc, working, nworking);
        }
    }
    if (!w) tg_ladder_work_free(&local);
}
