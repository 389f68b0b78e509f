/* Replaying GTP setup commands into a board and history. See refpos.h. */
#include "refpos.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../game/handicap.h"
#include "../game/rules.h"
#include "../util/errmsg.h"

#define MAX_WORDS 512

/* The engine state the commands act on: like the GTP front end, the game is kept as a start position
 * plus its moves, so that a rules change can replay it. */
typedef struct state {
    tg_rules rules;
    tg_board start;
    tg_color start_pla;
    tg_move *moves;
    int num_moves, cap_moves;
    tg_board board;
    tg_history hist;
    tg_color next_pla;
} state;

static const bool k_prevent_encore = true;
static const bool k_assume_handicap = true;

static void restart(state *s, const tg_board *start, tg_color pla) {
    s->start = *start;
    s->start_pla = pla;
    s->num_moves = 0;
    s->board = *start;
    tg_history_free(&s->hist);
    tg_history_init(&s->hist, start, pla, &s->rules, 0);
    tg_history_set_assume_multiple_starting_black_moves_are_handicap(&s->hist, k_assume_handicap);
    tg_history_set_initial_turn_number(&s->hist, tg_board_num_stones(start));
    s->next_pla = pla;
}

static bool play(state *s, tg_loc loc, tg_color pla) {
    if (!tg_history_play_as_root(&s->hist, &s->board, loc, pla, k_prevent_encore)) return false;
    s->next_pla = tg_opp(pla);
    if (s->num_moves == s->cap_moves) {
        int cap = s->cap_moves ? 2 * s->cap_moves : 64;
        tg_move *p = realloc(s->moves, (size_t)cap * sizeof *p);
        if (!p) abort();
        s->moves = p;
        s->cap_moves = cap;
    }
    s->moves[s->num_moves++] = (tg_move){loc, pla};
    return true;
}

/* Replays the whole game from its start (after a rules change). */
static bool replay(state *s) {
    int n = s->num_moves;
    tg_move *moves = NULL;
    if (n > 0) {
        moves = malloc(sizeof *moves * (size_t)n);
        if (!moves) abort();
        memcpy(moves, s->moves, sizeof *moves * (size_t)n);
    }
    long long turn = s->hist.initial_turn_number;
    tg_board start = s->start;
    restart(s, &start, s->start_pla);
    tg_history_set_initial_turn_number(&s->hist, turn);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) ok = play(s, moves[i].loc, moves[i].pla);
    free(moves);
    return ok;
}

static bool parse_long(const char *t, long long *out) {
    if (!*t) return false;
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (*end || errno) return false;
    *out = v;
    return true;
}

static bool parse_color(const char *t, tg_color *out) {
    if (!strcasecmp(t, "b") || !strcasecmp(t, "black")) *out = TG_BLACK;
    else if (!strcasecmp(t, "w") || !strcasecmp(t, "white")) *out = TG_WHITE;
    else return false;
    return true;
}

static void join(char *dst, size_t cap, int argc, char **argv) {
    size_t len = 0;
    dst[0] = '\0';
    for (int i = 0; i < argc; i++) {
        int w = snprintf(dst + len, cap - len, "%s%s", i ? " " : "", argv[i]);
        if (w < 0 || (size_t)w >= cap - len) return;
        len += (size_t)w;
    }
}

static bool run(state *s, int argc, char **argv, char *err, size_t errlen) {
    const char *cmd = argv[0];
    argc--;
    argv++;
    if (!strcmp(cmd, "boardsize") || !strcmp(cmd, "rectangular_boardsize")) {
        long long x = 0, y = 0;
        bool ok = false;
        if (argc == 1) {
            char *colon = strchr(argv[0], ':');
            if (colon) {
                *colon = '\0';
                ok = parse_long(argv[0], &x) && parse_long(colon + 1, &y);
            } else {
                ok = parse_long(argv[0], &x);
                y = x;
            }
        } else if (argc == 2) {
            ok = parse_long(argv[0], &x) && parse_long(argv[1], &y);
        }
        if (!ok || x < 2 || y < 2 || x > TG_MAX_LEN || y > TG_MAX_LEN) {
            tg_set_err(err, errlen, "unacceptable size");
            return false;
        }
        tg_board b;
        tg_board_init(&b, (int)x, (int)y);
        restart(s, &b, TG_BLACK);
        return true;
    }
    if (!strcmp(cmd, "clear_board")) {
        tg_board b;
        tg_board_init(&b, s->board.xsize, s->board.ysize);
        restart(s, &b, TG_BLACK);
        return true;
    }
    if (!strcmp(cmd, "komi")) {
        char *end;
        double k = argc == 1 ? strtod(argv[0], &end) : NAN;
        if (argc != 1 || *end || isnan(k) || k < TG_MIN_USER_KOMI || k > TG_MAX_USER_KOMI ||
            !tg_komi_is_int_or_half_int((float)k)) {
            tg_set_err(err, errlen, "unacceptable komi");
            return false;
        }
        s->rules.komi = (float)k;
        tg_history_set_komi(&s->hist, (float)k);
        return true;
    }
    if (!strcmp(cmd, "kata-set-rules") || !strcmp(cmd, "kata-set-rule")) {
        tg_rules rules = s->rules;
        char why[256];
        bool ok;
        if (!strcmp(cmd, "kata-set-rules")) {
            char text[1024];
            join(text, sizeof text, argc, argv);
            ok = tg_rules_parse_without_komi(text, s->rules.komi, &rules, why, sizeof why);
        } else {
            ok = argc == 2 && tg_rules_update(&rules, argv[0], argv[1], why, sizeof why);
            if (argc != 2) snprintf(why, sizeof why, "expected a rule name and a value");
        }
        if (!ok) {
            tg_set_err(err, errlen, "%s", why);
            return false;
        }
        rules.komi = s->rules.komi;
        s->rules = rules;
        if (!replay(s)) {
            tg_set_err(err, errlen, "earlier moves are illegal under the new rules");
            return false;
        }
        return true;
    }
    if (!strcmp(cmd, "fixed_handicap") || !strcmp(cmd, "set_free_handicap")) {
        if (!tg_board_is_empty(&s->board)) {
            tg_set_err(err, errlen, "board not empty");
            return false;
        }
        tg_board b;
        tg_board_init(&b, s->board.xsize, s->board.ysize);
        if (!strcmp(cmd, "fixed_handicap")) {
            long long v;
            tg_loc locs[TG_MAX_FIXED_HANDICAP];
            int placed = argc == 1 && parse_long(argv[0], &v) && v >= 2 && v <= TG_MAX_FIXED_HANDICAP
                             ? tg_handicap_fixed(b.xsize, b.ysize, (int)v, locs)
                             : -1;
            if (placed < 0) {
                tg_set_err(err, errlen, "invalid number of handicap stones");
                return false;
            }
            for (int i = 0; i < placed; i++) tg_board_set_stone(&b, locs[i], TG_BLACK);
        } else {
            for (int i = 0; i < argc; i++) {
                tg_loc loc;
                if (!tg_loc_parse(argv[i], b.xsize, b.ysize, &loc) || loc == TG_PASS_LOC ||
                    b.color[loc] != TG_EMPTY || !tg_board_set_stone(&b, loc, TG_BLACK)) {
                    tg_set_err(err, errlen, "bad handicap vertex '%s'", argv[i]);
                    return false;
                }
            }
        }
        restart(s, &b, TG_WHITE);
        return true;
    }
    if (!strcmp(cmd, "play")) {
        tg_color pla;
        tg_loc loc;
        if (argc != 2 || !parse_color(argv[0], &pla) || !tg_loc_parse(argv[1], s->board.xsize, s->board.ysize, &loc)) {
            tg_set_err(err, errlen, "expected a colour and a vertex");
            return false;
        }
        if (!play(s, loc, pla)) {
            tg_set_err(err, errlen, "illegal move");
            return false;
        }
        return true;
    }
    tg_set_err(err, errlen, "unsupported command");
    return false;
}

bool tg_position_from_gtp_setup(const char *const *commands, int n, tg_board *board, tg_history *hist,
                                tg_color *next_pla, char *err, size_t errlen) {
    state s;
    memset(&s, 0, sizeof s);
    s.rules = tg_rules_default();
    tg_board b;
    tg_board_init(&b, 19, 19);
    tg_history_init(&s.hist, &b, TG_BLACK, &s.rules, 0);
    restart(&s, &b, TG_BLACK);

    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        size_t len = strlen(commands[i]);
        char *line = malloc(len + 1);
        if (!line) abort();
        memcpy(line, commands[i], len + 1);
        char *words[MAX_WORDS];
        int nwords = 0;
        char *save = NULL;
        for (char *tok = strtok_r(line, " \t\r\n", &save); tok && nwords < MAX_WORDS;
             tok = strtok_r(NULL, " \t\r\n", &save))
            words[nwords++] = tok;
        if (nwords > 0) {
            char why[512];
            ok = run(&s, nwords, words, why, sizeof why);
            if (!ok) tg_set_err(err, errlen, "setup command %d '%s': %s", i, commands[i], why);
        }
        free(line);
    }
    free(s.moves);
    if (!ok) {
        tg_history_free(&s.hist);
        memset(hist, 0, sizeof *hist);
        return false;
    }
    *board = s.board;
    *hist = s.hist;
    *next_pla = s.next_pla;
    return true;
}
