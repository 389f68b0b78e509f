/* The GTP engine: input framing, the command table, and protocol-level commands (name, version, ...).
 *
 * Behaviour follows KataGo's gtp.cpp, which GUIs are written against (see shared/docs/clients.md):
 * the same input cleaning, the same tolerant `play`, the same rule and handicap handling. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include "gtp_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "analysis_format.h"
#include "config.h"
#include "log.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.0.0"
#endif
#ifndef TENGEN_KATAGO_PROTOCOL_VERSION
#define TENGEN_KATAGO_PROTOCOL_VERSION "1.17.2"
#endif

#define MAX_ARGS 1024

/* ------------------------------------------------------------------ argument parsing */

bool gtp_parse_int(const char *s, long long min, long long max, long long *out) {
    if (!*s)
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool gtp_parse_double(const char *s, double *out) {
    if (!*s)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

bool gtp_parse_color(const char *s, tg_color *out) {
    if (!strcasecmp(s, "b") || !strcasecmp(s, "black")) {
        *out = TG_BLACK;
        return true;
    }
    if (!strcasecmp(s, "w") || !strcasecmp(s, "white")) {
        *out = TG_WHITE;
        return true;
    }
    return false;
}

void gtp_join_args(tg_strbuf *s, int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (i)
            tg_strbuf_append(s, " ");
        tg_strbuf_append(s, argv[i]);
    }
}

/* ------------------------------------------------------------------ commands */

void gtp_fail(reply *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tg_strbuf_clear(&r->text);
    tg_strbuf_vappendf(&r->text, fmt, ap);
    va_end(ap);
    r->error = true;
}

void gtp_fail_args(reply *r, const char *expected, int argc, char **argv) {
    tg_strbuf got;
    tg_strbuf_init(&got);
    gtp_join_args(&got, argc, argv);
    gtp_fail(r, "syntax error: expected %s but got '%s'", expected, got.data);
    tg_strbuf_free(&got);
}

typedef struct command {
    const char *name;
    command_fn fn;
    bool listed; /* hidden commands are accepted but not advertised (see clients.md on `analyze`) */
} command;

static const command *find_command(const char *name);
static void list_commands(reply *r);

static void cmd_protocol_version(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g, (void)argc, (void)argv;
    tg_strbuf_append(&r->text, "2");
}

static void cmd_name(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    tg_strbuf_append(&r->text, g->identify_as_tengen ? "tengen" : "KataGo");
}

static void cmd_version(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)argc, (void)argv;
    if (g->override_version)
        tg_strbuf_append(&r->text, g->override_version);
    else if (g->identify_as_tengen)
        tg_strbuf_append(&r->text, PACKAGE_VERSION);
    else
        tg_strbuf_append(&r->text, TENGEN_KATAGO_PROTOCOL_VERSION "+tengen-" PACKAGE_VERSION);
}

static void cmd_known_command(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g;
    if (argc != 1)
        return gtp_fail_args(r, "one command name", argc, argv);
    const command *c = find_command(argv[0]);
    tg_strbuf_append(&r->text, c && c->listed ? "true" : "false");
}

static void cmd_list_commands(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g, (void)argc, (void)argv;
    list_commands(r);
}

static void cmd_quit(tg_gtp *g, int argc, char **argv, reply *r) {
    (void)g, (void)argc, (void)argv;
    r->quit = true;
}

static const command commands[] = {
    {"protocol_version", cmd_protocol_version, true},
    {"name", cmd_name, true},
    {"version", cmd_version, true},
    {"known_command", cmd_known_command, true},
    {"list_commands", cmd_list_commands, true},
    {"quit", cmd_quit, true},
    {"boardsize", cmd_boardsize, true},
    {"rectangular_boardsize", cmd_boardsize, true},
    {"clear_board", cmd_clear_board, true},
    {"komi", cmd_komi, true},
    {"get_komi", cmd_get_komi, true},
    {"play", cmd_play, true},
    {"undo", cmd_undo, true},
    {"showboard", cmd_showboard, true},
    {"set_position", cmd_set_position, true},
    {"fixed_handicap", cmd_fixed_handicap, true},
    {"place_free_handicap", cmd_place_free_handicap, true},
    {"set_free_handicap", cmd_set_free_handicap, true},
    {"loadsgf", cmd_loadsgf, true},
    {"printsgf", cmd_printsgf, true},
    {"time_settings", cmd_time_settings, true},
    {"kgs-time_settings", cmd_kgs_time_settings, true},
    {"kata-time_settings", cmd_kata_time_settings, true},
    {"kata-list_time_settings", cmd_kata_list_time_settings, true},
    {"time_left", cmd_time_left, true},
    {"kata-get-rules", cmd_kata_get_rules, true},
    {"kata-set-rules", cmd_kata_set_rules, true},
    {"kata-set-rule", cmd_kata_set_rule, true},
    {"kgs-rules", cmd_kgs_rules, true},
    {"final_score", cmd_final_score, true},
    {"final_status_list", cmd_final_status_list, true},
    {"is_legal", cmd_is_legal, true},
    {"kata-raw-nn", cmd_kata_raw_nn, true},
    {"kata-list-params", cmd_kata_list_params, true},
    {"kata-get-param", cmd_kata_get_param, true},
    {"kata-get-params", cmd_kata_get_params, true},
    {"kata-set-param", cmd_kata_set_param, true},
    {"kata-set-params", cmd_kata_set_params, true},
    {"clear_cache", cmd_clear_cache, true},
    {"stop", cmd_nothing_to_do, true},
    /* Accepted so that controllers get a clear answer, not listed until the search exists. */
    {"genmove", cmd_genmove, true},
    {"reg_genmove", cmd_reg_genmove, true},
    {"kata-analyze", cmd_kata_analyze, true},
    {"lz-analyze", cmd_lz_analyze, true},
    {"kata-genmove_analyze", cmd_kata_genmove_analyze, true},
    {"lz-genmove_analyze", cmd_lz_genmove_analyze, true},
    /* Sabaki's names: accepted but not listed, as KataGo does (Sabaki would read their winrates as integers). */
    {"analyze", cmd_sabaki_analyze, false},
    {"genmove_analyze", cmd_sabaki_genmove_analyze, false},
};

static const command *find_command(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void list_commands(reply *r) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!commands[i].listed)
            continue;
        if (r->text.len)
            tg_strbuf_append(&r->text, "\n");
        tg_strbuf_append(&r->text, commands[i].name);
    }
}

/* ------------------------------------------------------------------ framing */

/* KataGo's cleaning: printable ASCII and tabs only (NUL bytes too are dropped, not line ends),
 * '#' starts a comment, tabs become spaces. */
static void clean_line(char *line, size_t len) {
    char *w = line;
    for (char *p = line; p < line + len; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '#')
            break;
        if (c == '\t')
            *w++ = ' ';
        else if (c >= 32 && c < 127)
            *w++ = (char)c;
    }
    *w = '\0';
}

static void write_response(FILE *out, bool has_id, long long id, const reply *r) {
    /* A blank line ends a GTP response, so none may appear inside one. */
    const char *text = r->text.data;
    size_t n = r->text.len;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
        n--;
    fputc(r->error ? '?' : '=', out);
    if (has_id)
        fprintf(out, "%lld", id);
    fputc(' ', out);
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n' && i > 0 && text[i - 1] == '\n')
            continue;
        fputc(text[i], out);
    }
    fputs("\n\n", out);
    fflush(out);
}

int tg_gtp_run(tg_gtp *g, FILE *in, FILE *out) {
    /* Lines are read on their own thread so that commands that run until the next input (analysis)
     * can see it arrive; commands themselves are still executed here, one at a time, in order. */
    tg_line_queue *input = tg_line_queue_start(in);
    if (!input) {
        tg_log_warn("cannot start the input reader thread");
        return 1;
    }
    g->input = input;
    g->out = out;
    char *line;
    size_t got;
    char *argv[MAX_ARGS];
    reply r;
    tg_strbuf_init(&r.text);
    for (; (line = tg_line_queue_pop(input, &got)) != NULL; free(line)) {
        /* Any input ends pondering, as it ends analysis; the line is then handled as usual. */
        gtp_stop_pondering(g);
        clean_line(line, got);
        char *p = line;
        while (*p == ' ')
            p++;
        if (!*p)
            continue;
        bool has_id = false;
        long long id = 0;
        r.error = false;
        r.quit = false;
        r.streamed = false;
        tg_strbuf_clear(&r.text);
        if (isdigit((unsigned char)*p)) {
            has_id = true;
            char *end = p;
            while (isdigit((unsigned char)*end))
                end++;
            char saved = *end;
            *end = '\0';
            if (!gtp_parse_int(p, 0, LLONG_MAX, &id)) {
                gtp_fail(&r, "GTP id '%s' could not be parsed", p);
                *end = saved;
                write_response(out, false, 0, &r);
                continue;
            }
            *end = saved;
            p = end;
        }
        int argc = 0;
        char *save = NULL;
        for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            if (argc == MAX_ARGS) {
                argc = -1;
                break;
            }
            argv[argc++] = tok;
        }
        g->has_id = has_id;
        g->id = id;
        if (argc == 0) {
            gtp_fail(&r, "empty command");
        } else if (argc < 0) {
            gtp_fail(&r, "syntax error: more than %d arguments", MAX_ARGS - 1);
        } else {
            const command *c = find_command(argv[0]);
            if (!c)
                gtp_fail(&r, "unknown command");
            else
                c->fn(g, argc - 1, argv + 1, &r);
        }
        if (!r.streamed)
            write_response(out, has_id, id, &r);
        if (!r.quit)
            gtp_maybe_start_pondering(g);
        if (r.quit) {
            free(line);
            break;
        }
    }
    gtp_stop_pondering(g);
    g->input = NULL;
    tg_line_queue_stop(input);
    tg_strbuf_free(&r.text);
    return 0;
}

void tg_gtp_position(const tg_gtp *g, tg_board *board, tg_history *hist, tg_color *next_pla) {
    *board = g->board;
    tg_history_copy(hist, &g->hist);
    *next_pla = g->next_pla;
}

/* ------------------------------------------------------------------ setup */

/* The starting rules from the config, as KataGo's loadSingleRules reads them: `rules`, or the individual
 * keys (koRule, scoringRule and multiStoneSuicideLegal then required), never both. No config at all
 * means Tromp-Taylor. The starting komi is the ruleset's; GUIs send their own. */
static bool rules_from_config(const tg_config *cfg, tg_rules *out, char *err, size_t errlen) {
    static const char *const individual[] = {"koRule", "scoringRule", "taxRule", "multiStoneSuicideLegal",
                                             "hasButton", "whiteHandicapBonus", "friendlyPassOk",
                                             "whiteBonusPerHandicapStone"};
    *out = tg_rules_default();
    bool any_individual = false;
    for (size_t i = 0; i < sizeof individual / sizeof individual[0]; i++)
        any_individual |= tg_config_has(cfg, individual[i]);
    if (tg_config_has(cfg, "rules")) {
        if (any_individual) {
            snprintf(err, errlen, "config sets both 'rules' and individual rule keys such as koRule; keep one of them");
            return false;
        }
        char perr[256];
        const char *text = tg_config_get(cfg, "rules");
        if (!tg_rules_parse_with_default_komi(text, out, perr, sizeof perr)) {
            snprintf(err, errlen, "config key 'rules' has value '%s': %s", text, perr);
            return false;
        }
        return true;
    }
    if (!any_individual)
        return true;
    static const char *const required[] = {"koRule", "scoringRule", "multiStoneSuicideLegal"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!tg_config_has(cfg, required[i])) {
            snprintf(err, errlen, "config sets individual rule keys but not '%s'; set koRule, scoringRule and "
                                  "multiStoneSuicideLegal, or use 'rules = NAME' instead", required[i]);
            return false;
        }
    }
    const char *ko, *scoring, *tax, *whb;
    int64_t bonus_per_stone = 0;
    bool ok = tg_config_get_enum(cfg, "koRule", "SIMPLE", "SIMPLE|POSITIONAL|SITUATIONAL|SPIGHT", &ko, err, errlen) &&
              tg_config_get_enum(cfg, "scoringRule", "AREA", "AREA|TERRITORY", &scoring, err, errlen) &&
              tg_config_get_bool(cfg, "multiStoneSuicideLegal", false, &out->multi_stone_suicide_legal, err, errlen) &&
              tg_config_get_bool(cfg, "hasButton", false, &out->has_button, err, errlen) &&
              tg_config_get_enum(cfg, "taxRule", "NONE", "NONE|SEKI|ALL", &tax, err, errlen) &&
              tg_config_get_enum(cfg, "whiteHandicapBonus", "0", "0|N|N-1", &whb, err, errlen) &&
              tg_config_get_int(cfg, "whiteBonusPerHandicapStone", 0, 0, 1, &bonus_per_stone, err, errlen) &&
              tg_config_get_bool(cfg, "friendlyPassOk", out->friendly_pass_ok, &out->friendly_pass_ok, err, errlen);
    if (!ok)
        return false;
    char perr[256];
    if (!tg_rules_update(out, "ko", ko, perr, sizeof perr) || !tg_rules_update(out, "scoring", scoring, perr, sizeof perr) ||
        !tg_rules_update(out, "whiteHandicapBonus", whb, perr, sizeof perr)) {
        snprintf(err, errlen, "config rule keys: %s", perr);
        return false;
    }
    if (tg_config_has(cfg, "taxRule")) {
        if (!tg_rules_update(out, "tax", tax, perr, sizeof perr)) {
            snprintf(err, errlen, "config key 'taxRule': %s", perr);
            return false;
        }
    } else {
        out->tax_rule = out->scoring_rule == TG_SCORING_TERRITORY ? TG_TAX_SEKI : TG_TAX_NONE;
    }
    if (out->has_button && out->scoring_rule != TG_SCORING_AREA) {
        snprintf(err, errlen, "config sets hasButton = true with a scoring rule other than AREA");
        return false;
    }
    if (tg_config_has(cfg, "whiteBonusPerHandicapStone")) {
        if (tg_config_has(cfg, "whiteHandicapBonus")) {
            snprintf(err, errlen, "config sets both whiteBonusPerHandicapStone and whiteHandicapBonus; keep one");
            return false;
        }
        out->white_handicap_bonus_rule = bonus_per_stone ? TG_WHB_N : TG_WHB_ZERO;
    }
    /* KataGo's customary komi for these scorings when the config names no ruleset. */
    out->komi = out->scoring_rule == TG_SCORING_TERRITORY ? 6.5f : out->has_button ? 7.0f : 7.5f;
    return true;
}

static int setting_of(const char *word) {
    return !strcasecmp(word, "true") ? TG_SETTING_TRUE : !strcasecmp(word, "false") ? TG_SETTING_FALSE : TG_SETTING_AUTO;
}

tg_gtp *tg_gtp_new(tg_config *cfg, tg_nn_evaluator *nn, char *err, size_t errlen) {
    tg_gtp *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->cfg = cfg;
    g->nn = nn;
    const char *identity, *friendly, *cleanup;
    bool ok = tg_config_get_enum(cfg, "gtpIdentity", "katago", "katago|tengen", &identity, err, errlen) &&
              tg_config_get_enum(cfg, "friendlyPass", "auto", "auto|true|false", &friendly, err, errlen) &&
              tg_config_get_enum(cfg, "cleanupBeforePass", "auto", "auto|true|false", &cleanup, err, errlen) &&
              tg_config_get_bool(cfg, "preventCleanupPhase", true, &g->prevent_encore, err, errlen) &&
              tg_config_get_bool(cfg, "assumeMultipleStartingBlackMovesAreHandicap", true, &g->assume_handicap, err,
                                 errlen);
    /* KataGo's GTP defaults: policyOptimism 1, rootPolicyOptimism min(policyOptimism, 0.2). */
    double policy_optimism = 1.0;
    ok = ok && tg_config_get_double(cfg, "policyOptimism", 1.0, 0.0, 1.0, &policy_optimism, err, errlen) &&
         tg_config_get_double(cfg, "rootPolicyOptimism", policy_optimism < 0.2 ? policy_optimism : 0.2, 0.0, 1.0,
                              &g->root_policy_optimism, err, errlen);
    double forced = 0;
    if (ok && tg_config_has(cfg, "ignoreGTPAndForceKomi")) {
        ok = tg_config_get_double(cfg, "ignoreGTPAndForceKomi", 7.5, TG_MIN_USER_KOMI, TG_MAX_USER_KOMI, &forced, err,
                                  errlen);
        g->force_komi = true;
        g->forced_komi = (float)forced;
    }
    int64_t xsize = 19, ysize = 19, size = 19;
    ok = ok && tg_config_get_int(cfg, "defaultBoardSize", 19, 2, TG_MAX_LEN, &size, err, errlen) &&
         tg_config_get_int(cfg, "defaultBoardXSize", size, 2, TG_MAX_LEN, &xsize, err, errlen) &&
         tg_config_get_int(cfg, "defaultBoardYSize", size, 2, TG_MAX_LEN, &ysize, err, errlen) &&
         rules_from_config(cfg, &g->rules, err, errlen);
    if (ok && !strcasecmp(friendly, "true") && !strcasecmp(cleanup, "true")) {
        snprintf(err, errlen, "config sets both cleanupBeforePass = true and friendlyPass = true; they contradict, "
                              "set at most one");
        ok = false;
    }
    if (!ok) {
        free(g);
        return NULL;
    }
    g->friendly_pass = setting_of(friendly);
    g->cleanup_before_pass = setting_of(cleanup);
    g->identify_as_tengen = !strcasecmp(identity, "tengen");
    if (g->force_komi)
        g->rules.komi = g->forced_komi;
    g->time_black = g->time_white = tg_time_unlimited();
    const char *perspective;
    if (!tg_config_get_enum(cfg, "reportAnalysisWinratesAs", "SIDETOMOVE", "SIDETOMOVE|BLACK|WHITE", &perspective, err,
                            errlen)) {
        free(g);
        return NULL;
    }
    g->report_perspective = !strcasecmp(perspective, "BLACK")   ? TG_PERSPECTIVE_BLACK
                            : !strcasecmp(perspective, "WHITE") ? TG_PERSPECTIVE_WHITE
                                                                : TG_PERSPECTIVE_SIDE_TO_MOVE;
    if (nn && !gtp_search_setup(g, nn, err, errlen)) {
        free(g);
        return NULL;
    }
    tg_board b;
    tg_board_init(&b, (int)xsize, (int)ysize);
    tg_history_init(&g->hist, &b, TG_BLACK, &g->rules, 0);
    gtp_set_position(g, &b, TG_BLACK);
    const char *name = tg_rules_name(&g->rules);
    char json[512];
    tg_rules_to_json(&g->rules, false, json, sizeof json);
    tg_log("Using %s rules initially, unless GTP/GUI overrides this", name ? name : json);
    return g;
}

void tg_gtp_set_version(tg_gtp *g, const char *version) {
    free(g->override_version);
    g->override_version = strdup(version);
}

void tg_gtp_free(tg_gtp *g) {
    if (!g)
        return;
    free(g->override_version);
    tg_search_free(g->search);
    free(g->recent_winloss);
    tg_history_free(&g->hist);
    free(g->game_moves);
    free(g);
}
