/* SGF reading, loadsgf-style setup and writing.
 *
 * The game records in tests/data are GNU Go self-play games written out as ordinary SGF, plus
 * hand-made records for rectangles, setup, variations and quirks. The *.expect files hold the
 * positions GNU Go itself reached replaying those records, so the positions checked here were not
 * computed by the code under test. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "../engine/game/sgf.h"
#include "check.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

static char path_buf[4096];

static const char *data_path(const char *name) {
    const char *dir = getenv("TENGEN_TEST_DATA");
    if (!dir || !*dir) dir = "tests/data";
    snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
    return path_buf;
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) { free(buf); buf = NULL; break; }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[n < cap ? n : cap - 1] = '\0';
    *len = n;
    return buf;
}

static bool parse_str(const char *s, tg_sgf_game *g, char *err, size_t errlen) {
    return tg_sgf_parse(s, strlen(s), g, err, errlen);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The stones of one colour as a sorted, space-separated list of GTP vertices. */
static void stones_of(const tg_board *b, tg_color c, char *out, size_t outlen) {
    char *names[TG_MAX_PLAY_SIZE];
    char bufs[TG_MAX_PLAY_SIZE][8];
    int n = 0;
    for (int y = 0; y < b->ysize; y++)
        for (int x = 0; x < b->xsize; x++) {
            tg_loc loc = tg_loc_of(x, y, b->xsize);
            if (b->color[loc] == c) {
                tg_loc_str(loc, b->xsize, b->ysize, bufs[n]);
                names[n] = bufs[n];
                n++;
            }
        }
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    out[0] = '\0';
    size_t o = 0;
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? " " : "", names[i]);
}

/* Sorts a space-separated vertex list in place (upper-casing it) so it compares with stones_of. */
static void normalise_list(char *s) {
    char *names[TG_MAX_PLAY_SIZE];
    int n = 0;
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", s);
    for (char *p = copy; *p; p++)
        if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \t", &save); tok && n < TG_MAX_PLAY_SIZE; tok = strtok_r(NULL, " \t", &save))
        names[n++] = tok;
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    size_t o = 0;
    s[0] = '\0';
    for (int i = 0; i < n; i++) o += (size_t)sprintf(s + o, "%s%s", i ? " " : "", names[i]);
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

typedef struct position {
    tg_board board;
    tg_history hist;
    tg_color next;
} position;

static bool setup(const tg_sgf_game *g, int move_number, position *p, char *err, size_t errlen) {
    tg_rules def = tg_rules_default();
    tg_board_init(&p->board, g->xsize, g->ysize);
    tg_history_init(&p->hist, &p->board, TG_BLACK, &def, 0);
    return tg_sgf_setup_position(g, move_number, &def, &p->board, &p->hist, &p->next, err, errlen);
}

/* Checks every line of an .expect file against our setup of the record. */
static void check_against_expect(const char *sgf_name, const char *expect_name) {
    tg_sgf_game g;
    char err[512];
    bool ok = tg_sgf_load_file(data_path(sgf_name), &g, err, sizeof err);
    CHECKF(ok, "%s: %s", sgf_name, err);
    if (!ok) return;
    FILE *f = fopen(data_path(expect_name), "r");
    CHECKF(f != NULL, "cannot open %s", expect_name);
    if (!f) { tg_sgf_free(&g); return; }
    char line[8192];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *fields[4];
        int nf = 0;
        char *save = NULL;
        for (char *p = line; nf < 4; p = NULL) {
            char *tok = strtok_r(p, ";", &save);
            if (!tok) break;
            fields[nf++] = tok;
        }
        /* Empty stone lists leave fewer fields. */
        while (nf < 4) fields[nf++] = (char *)"";
        int n = atoi(trim(fields[0]));
        const char *to_move = trim(fields[1]);
        char want_b[4096], want_w[4096], got_b[4096], got_w[4096];
        snprintf(want_b, sizeof want_b, "%s", trim(fields[2]));
        snprintf(want_w, sizeof want_w, "%s", trim(fields[3]));
        normalise_list(want_b);
        normalise_list(want_w);
        position p;
        ok = setup(&g, n, &p, err, sizeof err);
        CHECKF(ok, "%s move %d: %s", sgf_name, n, err);
        if (ok) {
            stones_of(&p.board, TG_BLACK, got_b, sizeof got_b);
            stones_of(&p.board, TG_WHITE, got_w, sizeof got_w);
            CHECKF(strcmp(got_b, want_b) == 0, "%s move %d black:\n got  %s\n want %s", sgf_name, n, got_b, want_b);
            CHECKF(strcmp(got_w, want_w) == 0, "%s move %d white:\n got  %s\n want %s", sgf_name, n, got_w, want_w);
            CHECKF(strcmp(p.next == TG_BLACK ? "black" : "white", to_move) == 0, "%s move %d: next player", sgf_name, n);
            CHECK(tg_board_check_consistency(&p.board));
        }
        tg_history_free(&p.hist);
        lines++;
    }
    fclose(f);
    CHECKF(lines >= 4, "%s has too few positions", expect_name);
    tg_sgf_free(&g);
}

static void test_game_records(void) {
    tg_sgf_game g;
    char err[512];
    CHECKF(tg_sgf_load_file(data_path("game19.sgf"), &g, err, sizeof err), "%s", err);
    CHECK(g.xsize == 19 && g.ysize == 19);
    CHECK(g.has_komi && g.komi == 6.5f);
    CHECK(g.handicap == 0);
    CHECK(g.rules && strcmp(g.rules, "Japanese") == 0);
    CHECK(tg_sgf_num_moves(&g) == 232);
    CHECK(g.num_nodes == 233);
    CHECK(!g.nodes[0].has_move && g.nodes[0].num_setup == 0);
    CHECK(g.nodes[1].has_move && g.nodes[1].move.pla == TG_BLACK);
    /* The record ends B[] then W[tt]: both passes. */
    CHECK(g.nodes[231].move.loc == TG_PASS_LOC && g.nodes[231].move.pla == TG_BLACK);
    CHECK(g.nodes[232].move.loc == TG_PASS_LOC && g.nodes[232].move.pla == TG_WHITE);
    tg_sgf_free(&g);

    CHECKF(tg_sgf_load_file(data_path("handicap19.sgf"), &g, err, sizeof err), "%s", err);
    CHECK(g.handicap == 4 && g.has_komi && g.komi == 0.5f);
    CHECK(g.nodes[0].num_setup == 4);
    for (int i = 0; i < g.nodes[0].num_setup; i++) CHECK(g.nodes[0].setup[i].pla == TG_BLACK);
    CHECK(g.nodes[1].move.pla == TG_WHITE);
    position p;
    CHECKF(setup(&g, 1, &p, err, sizeof err), "%s", err);
    CHECK(p.next == TG_WHITE);
    CHECK(tg_board_num_stones_of(&p.board, TG_BLACK) == 4);
    /* loadsgf counts setup stones as turns already played. */
    CHECK(p.hist.initial_turn_number == 4);
    CHECK(p.hist.rules.komi == 0.5f);
    tg_rules aga;
    CHECK(tg_rules_parse_with_default_komi("AGA", &aga, NULL, 0) && tg_rules_equal_ignoring_komi(&aga, &p.hist.rules));
    tg_history_free(&p.hist);
    tg_sgf_free(&g);

    check_against_expect("game19.sgf", "game19.expect");
    check_against_expect("game9.sgf", "game9.expect");
    check_against_expect("handicap19.sgf", "handicap19.expect");
}

static void test_rectangle(void) {
    tg_sgf_game g;
    char err[512];
    CHECKF(tg_sgf_load_file(data_path("rect19x13.sgf"), &g, err, sizeof err), "%s", err);
    CHECK(g.xsize == 19 && g.ysize == 13);
    CHECK(tg_sgf_num_moves(&g) == 7);
    CHECK(g.nodes[6].move.loc == TG_PASS_LOC && g.nodes[6].move.pla == TG_WHITE);
    position p;
    char b[2048], w[2048];
    CHECKF(setup(&g, 3, &p, err, sizeof err), "%s", err);
    stones_of(&p.board, TG_BLACK, b, sizeof b);
    stones_of(&p.board, TG_WHITE, w, sizeof w);
    CHECK(strcmp(b, "A12") == 0 && strcmp(w, "A13") == 0 && p.next == TG_BLACK);
    tg_history_free(&p.hist);
    CHECKF(setup(&g, 0, &p, err, sizeof err), "%s", err);
    stones_of(&p.board, TG_BLACK, b, sizeof b);
    stones_of(&p.board, TG_WHITE, w, sizeof w);
    CHECKF(strcmp(b, "A12 B13 K7 S1") == 0, "%s", b);
    CHECKF(strcmp(w, "T1") == 0, "%s", w);
    CHECK(p.next == TG_WHITE);
    CHECK(p.board.num_white_captures == 1);
    tg_rules tt;
    CHECK(tg_rules_parse_with_default_komi("tromp-taylor", &tt, NULL, 0) && tg_rules_equal_ignoring_komi(&tt, &p.hist.rules));
    tg_history_free(&p.hist);
    tg_sgf_free(&g);
}

static void test_setup_and_pl(void) {
    tg_sgf_game g;
    char err[512];
    position p;
    CHECKF(tg_sgf_load_file(data_path("setup_pl.sgf"), &g, err, sizeof err), "%s", err);
    CHECK(g.nodes[0].num_setup == 19);
    CHECK(g.nodes[0].player_to_move == TG_BLACK);
    CHECK(g.nodes[0].setup[18].pla == TG_EMPTY);
    CHECK(g.nodes[0].setup[0].pla == TG_BLACK && g.nodes[0].setup[9].pla == TG_WHITE);
    CHECKF(setup(&g, 1, &p, err, sizeof err), "%s", err);
    /* PL says Black, but loadsgf lets the first move's colour decide. */
    CHECK(p.next == TG_WHITE);
    char b[2048], w[2048];
    stones_of(&p.board, TG_BLACK, b, sizeof b);
    stones_of(&p.board, TG_WHITE, w, sizeof w);
    CHECKF(strcmp(b, "A7 A8 A9 B7 B8 B9 C7 C8 C9") == 0, "%s", b);
    CHECKF(strcmp(w, "G7 G8 G9 H7 H8 H9 J7 J8 J9") == 0, "%s", w);
    CHECK(p.hist.initial_turn_number == 18);
    CHECK(p.hist.rules.komi == 5.5f);
    tg_history_free(&p.hist);
    CHECKF(setup(&g, 0, &p, err, sizeof err), "%s", err);
    CHECK(p.next == TG_BLACK && tg_board_num_stones(&p.board) == 21);
    tg_history_free(&p.hist);
    tg_sgf_free(&g);

    /* Who moves first without moves: PL, else White after Black-only setup, else Black. */
    const struct { const char *sgf; tg_color next; } who[] = {
        {"(;SZ[9]AB[cc][gg])", TG_WHITE},
        {"(;SZ[9]AB[cc]AW[gg])", TG_BLACK},
        {"(;SZ[9]AB[cc]PL[B])", TG_BLACK},
        {"(;SZ[9]PL[white])", TG_WHITE},
        {"(;SZ[9]AB[cc]AE[dd])", TG_BLACK},
        {"(;SZ[9])", TG_BLACK},
    };
    for (size_t i = 0; i < sizeof who / sizeof *who; i++) {
        CHECKF(parse_str(who[i].sgf, &g, err, sizeof err), "%s: %s", who[i].sgf, err);
        CHECKF(setup(&g, 0, &p, err, sizeof err), "%s: %s", who[i].sgf, err);
        CHECKF(p.next == who[i].next, "%s", who[i].sgf);
        tg_history_free(&p.hist);
        tg_sgf_free(&g);
    }

    const struct { const char *file; const char *msg; } refused[] = {
        {"setup_ae_after_root.sgf", "node 3 adds or removes stones (AB/AW/AE) after the root; only ordinary play is "
                                    "supported after the root node"},
        {"setup_twice.sgf", "setup names point B8 more than once"},
        {"setup_nolibs.sgf", "setup stone at A9 would leave a group without liberties"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        CHECKF(tg_sgf_load_file(data_path(refused[i].file), &g, err, sizeof err), "%s: %s", refused[i].file, err);
        tg_rules def = tg_rules_default();
        tg_board_init(&p.board, 9, 9);
        tg_history_init(&p.hist, &p.board, TG_BLACK, &def, 0);
        tg_board before = p.board;
        bool ok = tg_sgf_setup_position(&g, 0, &def, &p.board, &p.hist, &p.next, err, sizeof err);
        CHECKF(!ok, "%s was accepted", refused[i].file);
        CHECKF(strcmp(err, refused[i].msg) == 0, "%s: got '%s'", refused[i].file, err);
        CHECK(memcmp(&before, &p.board, sizeof before) == 0 && p.hist.num_moves == 0);
        tg_history_free(&p.hist);
        tg_sgf_free(&g);
    }
    CHECKF(tg_sgf_load_file(data_path("setup_ae_after_root.sgf"), &g, err, sizeof err), "%s", err);
    CHECK(g.num_nodes == 4 && g.nodes[2].num_setup == 1 && g.nodes[2].setup[0].pla == TG_EMPTY);
    CHECK(g.nodes[2].player_to_move == TG_BLACK && !g.nodes[2].has_move);
    tg_sgf_free(&g);
}

static void expect_moves(const char *file, const char *want) {
    tg_sgf_game g;
    char err[512];
    CHECKF(tg_sgf_load_file(data_path(file), &g, err, sizeof err), "%s: %s", file, err);
    char got[1024];
    size_t o = 0;
    got[0] = '\0';
    for (int i = 0; i < g.num_nodes; i++) {
        if (!g.nodes[i].has_move) continue;
        char v[8];
        o += (size_t)snprintf(got + o, sizeof got - o, "%s%s%s", o ? " " : "", g.nodes[i].move.pla == TG_BLACK ? "B" : "W",
                              tg_loc_str(g.nodes[i].move.loc, g.xsize, g.ysize, v));
    }
    CHECKF(strcmp(got, want) == 0, "%s main line:\n got  %s\n want %s", file, got, want);
    tg_sgf_free(&g);
}

static void test_variations(void) {
    /* KataGo follows the variation with the most nodes (here the second, and inside it the deeper one). */
    expect_moves("variations.sgf", "BE5 WG7 BC3 WG5 BC5 WE7 BE1");
    /* On a tie the first variation wins. */
    expect_moves("variations_tie.sgf", "BE5 WC7 BG3");
}

static void test_quirks(void) {
    tg_sgf_game g;
    char err[512];
    position p;
    /* Fox omits handicap stones; 6 stones in a record dated before 2018 had the side stones north and south. */
    CHECKF(tg_sgf_load_file(data_path("fox_handicap.sgf"), &g, err, sizeof err), "%s", err);
    CHECKF(setup(&g, 0, &p, err, sizeof err), "%s", err);
    char b[2048];
    stones_of(&p.board, TG_BLACK, b, sizeof b);
    CHECKF(strcmp(b, "C15 D16 D4 K16 K4 Q16 Q4") == 0, "%s", b);
    CHECK(p.hist.rules.komi == 0.0f);
    tg_history_free(&p.hist);
    tg_sgf_free(&g);
    CHECK(parse_str("(;GM[1]FF[4]SZ[19]AP[foxwq]HA[6]DT[2019-03-02];W[qf])", &g, err, sizeof err));
    CHECK(setup(&g, 1, &p, err, sizeof err));
    stones_of(&p.board, TG_BLACK, b, sizeof b);
    CHECKF(strcmp(b, "D10 D16 D4 Q10 Q16 Q4") == 0, "%s", b);
    tg_history_free(&p.hist);
    tg_sgf_free(&g);

    CHECKF(tg_sgf_load_file(data_path("komi_quirks.sgf"), &g, err, sizeof err), "%s", err);
    CHECK(g.has_komi && g.komi == 7.5f);
    tg_sgf_free(&g);
    const struct { const char *sgf; bool has; float komi; } komis[] = {
        {"(;KM[6.5])", true, 6.5f}, {"(;KM[ -7 ])", true, -7.0f}, {"(;KM[0])", true, 0.0f},
        {"(;KM[6.25])", false, 0}, {"(;KM[abc])", false, 0}, {"(;KM[inf])", false, 0},
        {"(;KM[7.5][6.5])", false, 0}, {"(;KM[1e9])", false, 0},
        {"(;US[GoGoD95]RU[Chinese]KM[3.75])", true, 7.5f},
        {"(;AP[SGFC:2.0]KM[650])", true, 6.5f},
    };
    for (size_t i = 0; i < sizeof komis / sizeof *komis; i++) {
        CHECKF(parse_str(komis[i].sgf, &g, err, sizeof err), "%s: %s", komis[i].sgf, err);
        CHECKF(g.has_komi == komis[i].has && (!g.has_komi || g.komi == komis[i].komi), "%s: %d %g", komis[i].sgf,
               g.has_komi, (double)g.komi);
        tg_sgf_free(&g);
    }
    /* Without usable komi loadsgf keeps the default rules' komi; RU without KM uses the ruleset's komi. */
    CHECK(parse_str("(;KM[x];B[aa])", &g, err, sizeof err));
    CHECK(setup(&g, 0, &p, err, sizeof err) && p.hist.rules.komi == tg_rules_default().komi);
    tg_history_free(&p.hist);
    tg_sgf_free(&g);
    CHECK(parse_str("(;RU[Japanese];B[aa])", &g, err, sizeof err));
    CHECK(setup(&g, 0, &p, err, sizeof err) && p.hist.rules.komi == 6.5f);
    tg_history_free(&p.hist);
    tg_sgf_free(&g);
    /* Rules KataGo cannot read fall back to the defaults, keeping the SGF's komi. */
    CHECK(parse_str("(;RU[Ing-ish house rules]KM[2.5];B[aa])", &g, err, sizeof err));
    tg_rules def = tg_rules_default();
    CHECK(setup(&g, 0, &p, err, sizeof err) && tg_rules_equal_ignoring_komi(&def, &p.hist.rules) &&
          p.hist.rules.komi == 2.5f);
    tg_history_free(&p.hist);
    tg_sgf_free(&g);

    CHECK(parse_str("(;HA[x])", &g, err, sizeof err) && g.handicap == 0);
    tg_sgf_free(&g);
    CHECK(parse_str("(;HA[ 3 ])", &g, err, sizeof err) && g.handicap == 3);
    tg_sgf_free(&g);
    CHECK(parse_str("(;SZ[ 13 ])", &g, err, sizeof err) && g.xsize == 13 && g.ysize == 13);
    tg_sgf_free(&g);
    CHECK(parse_str("(;SZ[7:5])", &g, err, sizeof err) && g.xsize == 7 && g.ysize == 5);
    tg_sgf_free(&g);
    CHECK(parse_str("(;FF[4])", &g, err, sizeof err) && g.xsize == 19 && !g.has_komi && !g.rules && g.num_nodes == 1);
    tg_sgf_free(&g);
}

static void test_syntax(void) {
    tg_sgf_game g;
    char err[512];
    /* Escapes, whitespace between values, several values, compressed lists, BOM, trailing text. */
    CHECKF(parse_str("\xEF\xBB\xBF  (\n;SZ[9] RU [ko\\]SIMPLE\\\\x\\\ny]\n AB[aa] \n [bb:cc]AW[ee];B[dd]W[ff];W[]B[tt]) junk", &g,
                     err, sizeof err), "%s", err);
    CHECK(g.rules && strcmp(g.rules, "ko]SIMPLE\\xy") == 0);
    CHECK(g.nodes[0].num_setup == 6);
    CHECK(tg_sgf_num_moves(&g) == 4);
    /* B and W in one node give two moves, Black's first; so do B then W in another order. */
    CHECK(g.num_nodes == 5);
    CHECK(g.nodes[1].move.pla == TG_BLACK && g.nodes[2].move.pla == TG_WHITE);
    CHECK(g.nodes[3].move.pla == TG_BLACK && g.nodes[3].move.loc == TG_PASS_LOC);
    CHECK(g.nodes[4].move.pla == TG_WHITE && g.nodes[4].move.loc == TG_PASS_LOC);
    tg_sgf_free(&g);
    /* Several values in one move property are several moves. */
    CHECK(parse_str("(;SZ[9];B[aa][bb][cc])", &g, err, sizeof err) && tg_sgf_num_moves(&g) == 3);
    tg_sgf_free(&g);
    /* Upper-case coordinates are FF[4]'s 27..52, off any board we support. */
    CHECK(!parse_str("(;SZ[19];B[Aa])", &g, err, sizeof err));
    CHECKF(strcmp(err, "byte 10: move 'Aa' for B is off the 19x19 board") == 0, "%s", err);
    /* "tt" is a point on nothing we support, so it is always a pass; "ss" is the 19x19 corner. */
    CHECK(parse_str("(;SZ[19];B[ss])", &g, err, sizeof err) && g.nodes[1].move.loc == tg_loc_of(18, 18, 19));
    tg_sgf_free(&g);
    CHECK(!parse_str("(;SZ[9];B[tt]PL[B][W])", &g, err, sizeof err));
    CHECKF(strcmp(err, "byte 18: PL is given more than once") == 0, "%s", err);

    const struct { const char *file; const char *msg; } bad[] = {
        {"bad_unterminated.sgf", "byte 50: value of property 'C' is not closed with ']'"},
        {"bad_no_paren.sgf", "byte 0: expected '(' to begin the game tree"},
        {"bad_no_semicolon.sgf", "byte 1: expected ';' to begin a node"},
        {"bad_coordinate.sgf", "byte 26: bad move 'd4' for W (expected two letters, or [] for a pass)"},
        {"bad_offboard.sgf", "byte 25: move 'jj' for W is off the 9x9 board"},
        {"bad_size_big.sgf", "byte 14: board size SZ[25] is not supported (each side must be 2 to 19)"},
        {"bad_size_small.sgf", "byte 14: board size SZ[1] is not supported (each side must be 2 to 19)"},
        {"bad_size_text.sgf", "byte 14: bad board size SZ[19:abc]"},
        {"bad_missing_close.sgf", "byte 31: unexpected end of input: a game tree is not closed with ')'"},
        {"bad_garbage.sgf", "byte 0: expected '(' to begin the game tree"},
        {"bad_setup_offboard.sgf", "byte 29: point 'na' for AB is off the 13x19 board"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&g, 0x5a, sizeof g);
        bool ok = tg_sgf_load_file(data_path(bad[i].file), &g, err, sizeof err);
        CHECKF(!ok, "%s was accepted", bad[i].file);
        CHECKF(strcmp(err, bad[i].msg) == 0, "%s: got '%s'", bad[i].file, err);
        CHECK(g.nodes == NULL && g.num_nodes == 0 && g.rules == NULL);
    }
    const struct { const char *sgf; const char *msg; } bad_inline[] = {
        {"", "byte 0: no game tree (the input is empty)"},
        {"  \n ", "byte 4: no game tree (the input is empty)"},
        {"()", "byte 1: empty game tree '()'"},
        {"(;B[aa]", "byte 7: unexpected end of input: a game tree is not closed with ')'"},
        {"(;B[aa](;W[bb]);B[cc])", "byte 15: node after a variation (nodes must come before the variations)"},
        {"(;B[aa]((;W[bb])))", "byte 8: expected ';' to begin a node"},
        {"(;B[aa]C)", "byte 8: property 'C' has no value"},
        {"(;B[aa]}", "byte 7: unexpected '}' (expected a property, ';', '(' or ')')"},
        {"(;B[abc])", "byte 3: bad move 'abc' for B (expected two letters, or [] for a pass)"},
        {"(;SZ[9];B[a])", "byte 9: bad move 'a' for B (expected two letters, or [] for a pass)"},
        {"(;SZ[9]AB[cc:aa])", "byte 9: rectangle 'cc:aa' for AB must name its upper left corner first"},
        {"(;SZ[9]AW[])", "byte 9: bad point '' for AW (expected two letters or a rectangle like aa:cc)"},
        {"(;SZ[9]AE[a1])", "byte 9: bad point 'a1' for AE (expected two letters or a rectangle like aa:cc)"},
        {"(;SZ[20])", "byte 4: board size SZ[20] is not supported (each side must be 2 to 19)"},
        {"(;SZ[19:1])", "byte 4: board size SZ[19:1] is not supported (each side must be 2 to 19)"},
        {"(;SZ[19:13:2])", "byte 4: bad board size SZ[19:13:2]"},
        {"(;SZ[19]SZ[19])", "byte 10: SZ is given more than once"},
        {"(;SZ[9](;B[aa])(;W[bb];B[jj]))", "byte 24: move 'jj' for B is off the 9x9 board"},
        {"(;C[x\\", "byte 3: value of property 'C' is not closed with ']'"},
    };
    for (size_t i = 0; i < sizeof bad_inline / sizeof *bad_inline; i++) {
        bool ok = parse_str(bad_inline[i].sgf, &g, err, sizeof err);
        CHECKF(!ok, "'%s' was accepted", bad_inline[i].sgf);
        CHECKF(strcmp(err, bad_inline[i].msg) == 0, "'%s': got '%s'", bad_inline[i].sgf, err);
    }
    /* A move off the main line is only checked for syntax, as KataGo does. */
    CHECK(parse_str("(;SZ[9](;B[aa];W[bb])(;W[jj]))", &g, err, sizeof err));
    tg_sgf_free(&g);
    CHECK(!tg_sgf_load_file(data_path("no_such_file.sgf"), &g, err, sizeof err));
    CHECKF(strstr(err, "cannot open") && strstr(err, "no_such_file.sgf"), "%s", err);
}

static void test_move_numbers_and_illegal(void) {
    tg_sgf_game g;
    char err[512];
    position p;
    CHECKF(tg_sgf_load_file(data_path("bad_illegal_move.sgf"), &g, err, sizeof err), "%s", err);
    /* Only the moves before move_number are played, so the illegal second move is not reached. */
    CHECKF(setup(&g, 2, &p, err, sizeof err), "%s", err);
    CHECK(p.hist.num_moves == 1 && p.next == TG_WHITE);
    tg_history_free(&p.hist);
    CHECK(!setup(&g, 0, &p, err, sizeof err));
    CHECKF(strcmp(err, "move 2 (W E5) is illegal: the point is occupied or the move is single-stone suicide") == 0,
           "%s", err);
    tg_history_free(&p.hist);
    CHECK(!setup(&g, 3, &p, err, sizeof err));
    tg_history_free(&p.hist);
    /* Numbers past the end play everything. */
    CHECK(!setup(&g, 1000, &p, err, sizeof err));
    tg_history_free(&p.hist);
    tg_sgf_free(&g);

    /* Tolerant replay: an immediate ko recapture is accepted. */
    const char *ko = "(;SZ[9]RU[Japanese]AB[ba][ab][bc]AW[ca][db][cc][bb];B[cb];W[bb];B[ee])";
    CHECK(parse_str(ko, &g, err, sizeof err));
    CHECKF(setup(&g, 0, &p, err, sizeof err), "%s", err);
    CHECK(p.hist.num_moves == 3 && p.board.color[tg_loc_of(1, 1, 9)] == TG_WHITE &&
          p.board.color[tg_loc_of(2, 1, 9)] == TG_EMPTY);
    tg_history_free(&p.hist);
    tg_sgf_free(&g);
}

/* Runs GNU Go on an SGF file; returns false when GNU Go is not installed. */
static bool gnugo_stones(const char *file, char *black, char *white, size_t len) {
    const char *gnugo = access("/usr/games/gnugo", X_OK) == 0 ? "/usr/games/gnugo" : "gnugo";
    char cmd[4608];
    snprintf(cmd, sizeof cmd,
             "printf 'loadsgf %s\\nlist_stones black\\nlist_stones white\\nquit\\n' | %s --mode gtp 2>/dev/null", file,
             gnugo);
    FILE *f = popen(cmd, "r");
    if (!f) return false;
    char line[4096];
    int answers = 0;
    bool ok = true;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '?') ok = false;
        if (line[0] != '=') continue;
        answers++;
        char *v = trim(line + 1);
        if (answers == 2) snprintf(black, len, "%s", v);
        if (answers == 3) snprintf(white, len, "%s", v);
    }
    int status = pclose(f);
    return ok && status == 0 && answers >= 3;
}

static void round_trip(const char *file, bool try_gnugo) {
    tg_sgf_game g, g2;
    char err[512];
    position p, p2;
    CHECKF(tg_sgf_load_file(data_path(file), &g, err, sizeof err), "%s: %s", file, err);
    CHECKF(setup(&g, 0, &p, err, sizeof err), "%s: %s", file, err);
    char *text = tg_sgf_write(&p.hist);
    CHECK(text != NULL);
    if (!text) return;
    CHECKF(strstr(text, "\n\n") == NULL && strstr(text, "\r") == NULL && text[0] != '\n', "%s: blank line", file);
    CHECKF(parse_str(text, &g2, err, sizeof err), "%s rewritten: %s\n%s", file, err, text);
    CHECK(g2.xsize == g.xsize && g2.ysize == g.ysize);
    CHECK(g2.has_komi && g2.komi == p.hist.rules.komi);
    CHECK(tg_sgf_num_moves(&g2) == tg_sgf_num_moves(&g));
    CHECKF(setup(&g2, 0, &p2, err, sizeof err), "%s rewritten: %s", file, err);
    CHECK(memcmp(p.board.color, p2.board.color, sizeof p.board.color) == 0);
    CHECK(p.next == p2.next);
    CHECK(tg_rules_equal(&p.hist.rules, &p2.hist.rules));
    CHECK(memcmp(p.hist.initial_board.color, p2.hist.initial_board.color, sizeof p.board.color) == 0);
    CHECK(p.hist.num_moves == p2.hist.num_moves);
    for (int i = 0; i < p.hist.num_moves && i < p2.hist.num_moves; i++)
        CHECK(p.hist.moves[i].loc == p2.hist.moves[i].loc && p.hist.moves[i].pla == p2.hist.moves[i].pla);
    if (g.handicap > 0) CHECKF(strstr(text, "HA[") != NULL, "%s: no HA", file);
    /* Writing the re-read game gives the same text. */
    char *text2 = tg_sgf_write(&p2.hist);
    CHECKF(text2 && strcmp(text, text2) == 0, "%s: second write differs", file);
    free(text2);

    if (try_gnugo) {
        char tmp[] = "/tmp/tengen_test_sgf_XXXXXX";
        int fd = mkstemp(tmp);
        CHECK(fd >= 0);
        if (fd >= 0) {
            FILE *f = fdopen(fd, "w");
            fputs(text, f);
            fclose(f);
            char gb[4096], gw[4096], ob[4096], ow[4096];
            if (gnugo_stones(tmp, gb, gw, sizeof gb)) {
                normalise_list(gb);
                normalise_list(gw);
                stones_of(&p.board, TG_BLACK, ob, sizeof ob);
                stones_of(&p.board, TG_WHITE, ow, sizeof ow);
                CHECKF(strcmp(gb, ob) == 0 && strcmp(gw, ow) == 0, "%s: GNU Go reads our SGF differently", file);
            } else {
                fprintf(stderr, "test_sgf: GNU Go not available, skipping its reading of %s\n", file);
            }
            unlink(tmp);
        }
    }
    free(text);
    tg_history_free(&p.hist);
    tg_history_free(&p2.hist);
    tg_sgf_free(&g);
    tg_sgf_free(&g2);
}

static void test_write(void) {
    round_trip("game19.sgf", true);
    round_trip("game9.sgf", true);
    round_trip("handicap19.sgf", true);
    round_trip("setup_pl.sgf", true);
    round_trip("fox_handicap.sgf", true);
    round_trip("rect19x13.sgf", false);   /* GNU Go has no rectangular boards */

    /* A White-first game with no moves must say so; a Black-only setup where Black starts, too. */
    tg_sgf_game g;
    char err[512];
    position p;
    CHECK(parse_str("(;SZ[9]AB[cc]PL[B])", &g, err, sizeof err) && setup(&g, 0, &p, err, sizeof err));
    char *text = tg_sgf_write(&p.hist);
    CHECKF(text && strstr(text, "PL[B]") && strstr(text, "AB[cc]") && strstr(text, "SZ[9]"), "%s", text);
    free(text);
    tg_history_free(&p.hist);
    tg_sgf_free(&g);
    CHECK(parse_str("(;SZ[9]PL[W]RU[Chinese]KM[7.5])", &g, err, sizeof err) && setup(&g, 0, &p, err, sizeof err));
    text = tg_sgf_write(&p.hist);
    CHECKF(text && strstr(text, "PL[W]") && strstr(text, "RU[Chinese]") && strstr(text, "KM[7.5]") &&
           !strstr(text, "HA["), "%s", text);
    free(text);
    tg_history_free(&p.hist);
    tg_sgf_free(&g);
}

/* Parsing must survive anything: every truncation of real records and random corruption. On
 * success the game must also set up (or refuse cleanly) and write. */
static void exercise(const char *buf, size_t len) {
    tg_sgf_game g;
    char err[256];
    if (!tg_sgf_parse(buf, len, &g, err, sizeof err)) {
        CHECKF(strncmp(err, "byte ", 5) == 0, "error without offset: %s", err);
        return;
    }
    position p;
    if (setup(&g, 0, &p, err, sizeof err)) {
        char *t = tg_sgf_write(&p.hist);
        CHECK(t != NULL);
        free(t);
    }
    tg_history_free(&p.hist);
    tg_sgf_free(&g);
}

static void test_fuzz(void) {
    static const char *const files[] = {"game19.sgf", "game9.sgf", "variations.sgf", "setup_pl.sgf", "rect19x13.sgf",
                                        "fox_handicap.sgf", "handicap19.sgf"};
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (size_t fi = 0; fi < sizeof files / sizeof *files; fi++) {
        size_t len;
        char *text = read_all(data_path(files[fi]), &len);
        CHECKF(text != NULL, "cannot read %s", files[fi]);
        if (!text) continue;
        for (size_t cut = 0; cut <= len; cut++) {
            /* An exact-length copy lets ASan catch any read past the end. */
            char *piece = malloc(cut ? cut : 1);
            memcpy(piece, text, cut);
            exercise(piece, cut);
            free(piece);
        }
        static const char interesting[] = "()[];\\:BWAEPLSZKMHTt ab19\n\0";
        for (int it = 0; it < 1500; it++) {
            char *m = malloc(len ? len : 1);
            memcpy(m, text, len);
            int flips = 1 + (int)((rng >> 60) & 3);
            for (int k = 0; k < flips && len; k++) {
                rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
                size_t at = (size_t)(rng % len);
                if (rng & (1ull << 40)) m[at] = interesting[(rng >> 20) % (sizeof interesting - 1)];
                else m[at] = (char)(rng >> 32);
            }
            exercise(m, len);
            free(m);
        }
        free(text);
    }
    exercise(NULL, 0);
    /* Deep nesting must not exhaust the stack. */
    size_t depth = 200000;
    char *deep = malloc(depth * 4 + 16);
    size_t o = 0;
    for (size_t i = 0; i < depth; i++) { deep[o++] = '('; deep[o++] = ';'; }
    for (size_t i = 0; i < depth; i++) deep[o++] = ')';
    exercise(deep, o);
    free(deep);
}

int main(void) {
    test_game_records();
    test_rectangle();
    test_setup_and_pl();
    test_variations();
    test_quirks();
    test_syntax();
    test_move_numbers_and_illegal();
    test_write();
    test_fuzz();
    return check_finish("test_sgf");
}
