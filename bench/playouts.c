/* Random-playout benchmark for the board code.
 *
 * Plays games of uniformly random legal moves that do not fill the mover's own simple eyes, from
 * the empty board until both players pass in a row or 1000 moves are made, and reports moves and
 * playouts per second. This measures tg_board_play and the legality checks, the inner loop of any
 * rollout or ownership estimate, and nothing of the search or the network.
 *
 *   playouts [-t SECONDS] [-n GAMES] [-s SIZE] [-r SEED]
 *
 * With -n the run stops after that many games; otherwise after -t seconds (default 5). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/game/board.h"

#define MOVE_CAP 1000

static uint64_t rng;

static uint64_t next_random(void) {
    /* xorshift64*: fast, and more than random enough for choosing moves. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Empty points kept in an array so a random one is picked in O(1); pos[] locates each in it. */
typedef struct empties {
    tg_loc at[TG_MAX_PLAY_SIZE];
    int pos[TG_MAX_ARR_SIZE];
    int n;
} empties;

static void empties_rebuild(empties *e, const tg_board *b) {
    e->n = 0;
    for (int y = 0; y < b->ysize; y++)
        for (int x = 0; x < b->xsize; x++) {
            tg_loc p = tg_loc_of(x, y, b->xsize);
            if (b->color[p] == TG_EMPTY) { e->pos[p] = e->n; e->at[e->n++] = p; }
        }
}

static void empties_remove(empties *e, tg_loc p) {
    int i = e->pos[p];
    tg_loc last = e->at[--e->n];
    e->at[i] = last;
    e->pos[last] = i;
}

static void empties_swap(empties *e, int i, int j) {
    tg_loc a = e->at[i], c = e->at[j];
    e->at[i] = c; e->pos[c] = i;
    e->at[j] = a; e->pos[a] = j;
}

/* Picks a random acceptable move: tries candidates in random order, moving rejected ones out of the
 * way so each is tried at most once. */
static tg_loc choose_move(const tg_board *b, empties *e, tg_color pla) {
    int untried = e->n;
    while (untried > 0) {
        int i = (int)(next_random() % (uint64_t)untried);
        tg_loc p = e->at[i];
        if (tg_board_is_legal(b, p, pla, false) && !tg_board_is_simple_eye(b, p, pla)) return p;
        empties_swap(e, i, --untried);
    }
    return TG_PASS_LOC;
}

static int play_game(int size) {
    tg_board b;
    empties e;
    tg_board_init(&b, size, size);
    empties_rebuild(&e, &b);
    tg_color pla = TG_BLACK;
    int passes = 0, moves = 0;
    while (passes < 2 && moves < MOVE_CAP) {
        tg_loc p = choose_move(&b, &e, pla);
        int caps = b.num_black_captures + b.num_white_captures;
        tg_board_play(&b, p, pla);
        moves++;
        if (p == TG_PASS_LOC) {
            passes++;
        } else {
            passes = 0;
            if (b.num_black_captures + b.num_white_captures != caps) empties_rebuild(&e, &b);
            else empties_remove(&e, p);
        }
        pla = tg_opp(pla);
    }
    return moves;
}

static void usage(const char *prog) {
    fprintf(stderr, "usage: %s [-t SECONDS] [-n GAMES] [-s SIZE] [-r SEED]\n", prog);
    exit(2);
}

int main(int argc, char **argv) {
    double seconds = 5.0;
    long games_wanted = 0;
    int size = 19;
    rng = 0x5EED5EED5EED5EEDULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage(argv[0]);
        const char *v = argv[++i];
        if (strcmp(argv[i - 1], "-t") == 0) seconds = atof(v);
        else if (strcmp(argv[i - 1], "-n") == 0) games_wanted = atol(v);
        else if (strcmp(argv[i - 1], "-s") == 0) size = atoi(v);
        else if (strcmp(argv[i - 1], "-r") == 0) rng = strtoull(v, NULL, 0) | 1;
        else usage(argv[0]);
    }
    if (size < 2 || size > TG_MAX_LEN || (games_wanted <= 0 && seconds <= 0)) usage(argv[0]);

    long games = 0, moves = 0;
    double start = now_seconds(), elapsed = 0;
    for (;;) {
        moves += play_game(size);
        games++;
        elapsed = now_seconds() - start;
        if (games_wanted > 0 ? games >= games_wanted : elapsed >= seconds) break;
    }
    if (elapsed <= 0) elapsed = 1e-9;
    printf("board %dx%d: %ld playouts, %ld moves (%.1f per playout) in %.2f s\n", size, size, games, moves,
           (double)moves / (double)games, elapsed);
    printf("%.0f moves/s\n%.1f playouts/s\n", (double)moves / elapsed, (double)games / elapsed);
    return 0;
}
