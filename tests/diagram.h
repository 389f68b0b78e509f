/* Test helpers shared by the rules and feature tests: positions from text diagrams, rulesets by name. */
#ifndef TENGEN_TESTS_DIAGRAM_H
#define TENGEN_TESTS_DIAGRAM_H

#include <stdio.h>
#include <stdlib.h>

#include "game/board.h"
#include "game/rules.h"

/* A named ruleset ("japanese", "tromp-taylor", ...) with its default komi; exits on a bad name. */
static inline tg_rules named(const char *name) {
    tg_rules r;
    char err[256];
    if (!tg_rules_parse_with_default_komi(name, &r, err, sizeof err)) {
        fprintf(stderr, "cannot parse rules %s: %s\n", name, err);
        exit(2);
    }
    return r;
}

/* A board from rows top first: 'X' black, 'O' white, anything else empty; exits on an impossible diagram. */
static inline void setup(tg_board *b, int xsize, int ysize, const char *const *rows) {
    tg_board_init(b, xsize, ysize);
    for (int y = 0; y < ysize; y++) {
        for (int x = 0; x < xsize; x++) {
            char c = rows[y][x];
            tg_color col = c == 'X' ? TG_BLACK : c == 'O' ? TG_WHITE : TG_EMPTY;
            if (col != TG_EMPTY && !tg_board_set_stone(b, tg_loc_of(x, y, xsize), col)) {
                fprintf(stderr, "bad diagram at %d,%d\n", x, y);
                exit(2);
            }
        }
    }
}

static inline tg_loc L(const tg_board *b, int x, int y) { return tg_loc_of(x, y, b->xsize); }

#endif
