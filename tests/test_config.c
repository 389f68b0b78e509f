/* KataGo-style config files: syntax, includes, overrides, typed getters and their messages,
 * unknown-key warnings. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "../engine/front/config.h"
#include "check.h"

#include <string.h>
#include <unistd.h>

static const char *data_dir(void) {
    const char *dir = getenv("TENGEN_TEST_DATA");
    return (dir && *dir) ? dir : "tests/data";
}

static char path_buf[1024];
static const char *data_path(const char *name) {
    snprintf(path_buf, sizeof path_buf, "%s/%s", data_dir(), name);
    return path_buf;
}

/* Writes text to a fresh temporary file; the caller unlinks it. */
static char *temp_cfg(const char *text) {
    static char name[64];
    snprintf(name, sizeof name, "/tmp/tengen_test_cfg_XXXXXX");
    int fd = mkstemp(name);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return name;
}

typedef struct warnings { int n; char msg[16][512]; } warnings;

static void collect(const char *msg, void *ctx) {
    warnings *w = ctx;
    if (w->n < 16) snprintf(w->msg[w->n], sizeof w->msg[0], "%s", msg);
    w->n++;
}

static void test_basic_file(void) {
    char err[1024];
    tg_config *cfg = tg_config_new();
    char basic[1024];
    snprintf(basic, sizeof basic, "%s", data_path("config_basic.cfg"));
    bool ok = tg_config_load_file(cfg, basic, err, sizeof err);
    CHECKF(ok, "%s", err);

    bool b;
    int64_t i;
    double d;
    const char *s;
    CHECK(tg_config_get_bool(cfg, "logToStderr", true, &b, err, sizeof err) && b == false);
    CHECK(tg_config_get_bool(cfg, "ponderingEnabled", false, &b, err, sizeof err) && b == true);
    /* The include came after line 4, so its value wins; maxTime is set again after the include. */
    CHECK(tg_config_get_int(cfg, "numSearchThreads", 1, 1, 1024, &i, err, sizeof err) && i == 4);
    CHECK(tg_config_get_double(cfg, "maxTime", 0, 0, 1e20, &d, err, sizeof err) && d == 7.0);
    CHECK(tg_config_get_int(cfg, "maxVisits", 1, 1, INT64_MAX, &i, err, sizeof err) && i == 500);
    CHECK(tg_config_get_double(cfg, "lagBuffer", 0, 0, 3600, &d, err, sizeof err) && d == 1.5);
    s = tg_config_get(cfg, "homeDataDir");
    CHECKF(s && strcmp(s, "/some/dir # not a comment") == 0, "%s", s ? s : "(null)");
    s = tg_config_get(cfg, "gtpIdentity");
    CHECKF(s && strcmp(s, "quoted \"name\" and a back\\slash") == 0, "%s", s ? s : "(null)");
    CHECK((s = tg_config_get(cfg, "rules")) && strcmp(s, "tromp-taylor") == 0);
    /* Enum choices compare case-insensitively and come back spelled as allowed lists them. */
    CHECK(tg_config_get_enum(cfg, "reportAnalysisWinratesAs", "BLACK", "BLACK|WHITE|SIDETOMOVE", &s, err, sizeof err) &&
          strcmp(s, "SIDETOMOVE") == 0);
    CHECK(tg_config_has(cfg, "cudaDeviceToUseThread3"));
    CHECK(!tg_config_has(cfg, "nnCacheSizePowerOfTwo"));
    CHECK(tg_config_get(cfg, "nnCacheSizePowerOfTwo") == NULL);
    /* Absent keys give the default. */
    CHECK(tg_config_get_int(cfg, "nnCacheSizePowerOfTwo", 20, -1, 48, &i, err, sizeof err) && i == 20);
    CHECK(tg_config_get_double(cfg, "winLossUtilityFactor", 1.0, 0, 1, &d, err, sizeof err) && d == 1.0);
    CHECK(tg_config_get_bool(cfg, "antiMirror", true, &b, err, sizeof err) && b);
    CHECK(tg_config_get_enum(cfg, "friendlyPass", "auto", "auto|true|false", &s, err, sizeof err) && !strcmp(s, "auto"));

    /* Out of range values name file, line, key and the range. */
    CHECK(!tg_config_get_int(cfg, "maxVisits", 1, 1, 100, &i, err, sizeof err));
    char want[2048];
    snprintf(want, sizeof want, "%s:5: key 'maxVisits' has value '500'; expected an integer from 1 to 100", basic);
    CHECKF(strcmp(err, want) == 0, "%s", err);
    CHECK(!tg_config_get_int(cfg, "numSearchThreads", 1, 8, 1024, &i, err, sizeof err));
    snprintf(want, sizeof want, "%s: key 'numSearchThreads' has value '4'; expected an integer from 8 to 1024",
             data_path("config_include.cfg"));
    CHECKF(strstr(err, ":2: key 'numSearchThreads'") && strstr(err, "config_include.cfg"), "%s", err);

    /* Only mysteryKey is unknown, reported once with its file and line. */
    warnings w = {0};
    tg_config_warn_unknown(cfg, collect, &w);
    CHECKF(w.n == 1, "%d warnings", w.n);
    snprintf(want, sizeof want, "%s:4: unknown key 'mysteryKey' (neither KataGo nor tengen uses it; a typo?)",
             data_path("config_include.cfg"));
    CHECKF(w.n >= 1 && strcmp(w.msg[0], want) == 0, "%s", w.msg[0]);
    tg_config_warn_unknown(cfg, collect, &w);
    CHECK(w.n == 1);
    tg_config_free(cfg);
}

static void test_bad_values(void) {
    char err[1024];
    tg_config *cfg = tg_config_new();
    char file[1024];
    snprintf(file, sizeof file, "%s", data_path("config_bad_values.cfg"));
    CHECKF(tg_config_load_file(cfg, file, err, sizeof err), "%s", err);
    bool b;
    int64_t i;
    double d;
    const char *s;
    char want[2048];
    struct { bool ok; } cases[8];
    int n = 0;
    cases[n].ok = tg_config_get_int(cfg, "numSearchThreads", 1, 1, 1024, &i, err, sizeof err);
    snprintf(want, sizeof want, "%s:1: key 'numSearchThreads' has value 'abc'; expected an integer from 1 to 1024", file);
    CHECKF(!cases[n].ok && strcmp(err, want) == 0, "%s", err);
    n++;
    cases[n].ok = tg_config_get_int(cfg, "maxVisits", 1, 1, 1000000, &i, err, sizeof err);
    snprintf(want, sizeof want, "%s:2: key 'maxVisits' has value '10x'; expected an integer from 1 to 1000000", file);
    CHECKF(!cases[n].ok && strcmp(err, want) == 0, "%s", err);
    n++;
    cases[n].ok = tg_config_get_double(cfg, "lagBuffer", 1, 0, 3600, &d, err, sizeof err);
    snprintf(want, sizeof want, "%s:3: key 'lagBuffer' has value 'nan'; expected a number from 0 to 3600", file);
    CHECKF(!cases[n].ok && strcmp(err, want) == 0, "%s", err);
    n++;
    cases[n].ok = tg_config_get_bool(cfg, "ponderingEnabled", false, &b, err, sizeof err);
    snprintf(want, sizeof want, "%s:4: key 'ponderingEnabled' has value 'yes'; expected true or false", file);
    CHECKF(!cases[n].ok && strcmp(err, want) == 0, "%s", err);
    n++;
    /* KataGo reads booleans only as true/false. */
    cases[n].ok = tg_config_get_bool(cfg, "logToStderr", false, &b, err, sizeof err);
    CHECK(!cases[n].ok);
    n++;
    cases[n].ok = tg_config_get_enum(cfg, "reportAnalysisWinratesAs", "BLACK", "BLACK|SIDETOMOVE", &s, err, sizeof err);
    snprintf(want, sizeof want,
             "%s:6: key 'reportAnalysisWinratesAs' has value 'WHITE'; expected one of BLACK, SIDETOMOVE", file);
    CHECKF(!cases[n].ok && strcmp(err, want) == 0, "%s", err);
    n++;
    cases[n].ok = tg_config_get_double(cfg, "cpuctExploration", 1, 0, 10, &d, err, sizeof err);
    CHECKF(!cases[n].ok && strstr(err, ":7: key 'cpuctExploration' has value '1e999'"), "%s", err);
    n++;
    cases[n].ok = tg_config_get_int(cfg, "nnMaxBatchSize", 1, INT64_MIN, INT64_MAX, &i, err, sizeof err);
    CHECKF(!cases[n].ok && strstr(err, ":8: key 'nnMaxBatchSize'"), "%s", err);
    tg_config_free(cfg);

    /* Strict number parsing, straight from the command line. */
    cfg = tg_config_new();
    const struct { const char *v; bool ok; int64_t want; } ints[] = {
        {"42", true, 42}, {" -7 ", true, -7}, {"+3", true, 3}, {"9223372036854775807", true, INT64_MAX},
        {"-9223372036854775808", true, INT64_MIN}, {"9223372036854775808", false, 0}, {"4.0", false, 0},
        {"0x10", false, 0}, {"12 3", false, 0}, {"", false, 0}, {"-", false, 0}, {"1e3", false, 0},
    };
    for (size_t k = 0; k < sizeof ints / sizeof *ints; k++) {
        tg_config_set(cfg, "maxVisits", ints[k].v);
        if (!ints[k].v[0]) tg_config_set(cfg, "maxVisits", "\t");
        bool ok = tg_config_get_int(cfg, "maxVisits", 5, INT64_MIN, INT64_MAX, &i, err, sizeof err);
        CHECKF(ok == ints[k].ok && (!ok || i == ints[k].want), "'%s'", ints[k].v);
    }
    const struct { const char *v; bool ok; double want; } dbls[] = {
        {"0.5", true, 0.5}, {"-1e-3", true, -1e-3}, {".25", true, 0.25}, {"3.", true, 3.0}, {"1E2", true, 100},
        {"inf", false, 0}, {"nan", false, 0}, {"0x1p3", false, 0}, {"1.5.2", false, 0}, {"e5", false, 0},
        {"1e", false, 0}, {"2,5", false, 0}, {"1e400", false, 0},
    };
    for (size_t k = 0; k < sizeof dbls / sizeof *dbls; k++) {
        tg_config_set(cfg, "lagBuffer", dbls[k].v);
        bool ok = tg_config_get_double(cfg, "lagBuffer", 5, -1e300, 1e300, &d, err, sizeof err);
        CHECKF(ok == dbls[k].ok && (!ok || d == dbls[k].want), "'%s'", dbls[k].v);
    }
    const struct { const char *v; bool ok; bool want; } bools[] = {
        {"true", true, true}, {"FALSE", true, false}, {" True ", true, true}, {"yes", false, 0}, {"1", false, 0},
        {"truex", false, 0},
    };
    for (size_t k = 0; k < sizeof bools / sizeof *bools; k++) {
        tg_config_set(cfg, "antiMirror", bools[k].v);
        bool ok = tg_config_get_bool(cfg, "antiMirror", false, &b, err, sizeof err);
        CHECKF(ok == bools[k].ok && (!ok || b == bools[k].want), "'%s'", bools[k].v);
    }
    tg_config_set(cfg, "maxVisits", "abc");
    CHECK(!tg_config_get_int(cfg, "maxVisits", 5, 1, 10, &i, err, sizeof err));
    CHECKF(strcmp(err, "command line: key 'maxVisits' has value 'abc'; expected an integer from 1 to 10") == 0, "%s", err);
    tg_config_free(cfg);
}

static void expect_load_error(const char *text, const char *want_after_path) {
    char *name = temp_cfg(text);
    CHECK(name != NULL);
    if (!name) return;
    char path[64];
    snprintf(path, sizeof path, "%s", name);
    tg_config *cfg = tg_config_new();
    tg_config_set(cfg, "maxVisits", "77");
    char err[1024];
    bool ok = tg_config_load_file(cfg, path, err, sizeof err);
    char want[1200];
    snprintf(want, sizeof want, "%s%s", path, want_after_path);
    CHECKF(!ok, "accepted: %s", text);
    CHECKF(strcmp(err, want) == 0, "\n got  %s\n want %s", err, want);
    /* A failed load changes nothing. */
    const char *v = tg_config_get(cfg, "maxVisits");
    CHECK(v && strcmp(v, "77") == 0);
    CHECK(!tg_config_has(cfg, "numSearchThreads"));
    tg_config_free(cfg);
    unlink(path);
}

static void test_syntax_errors(void) {
    char err[1024];
    tg_config *cfg = tg_config_new();
    char file[1024];
    snprintf(file, sizeof file, "%s", data_path("config_dup.cfg"));
    CHECK(!tg_config_load_file(cfg, file, err, sizeof err));
    char want[2048];
    snprintf(want, sizeof want, "%s:4: key 'numSearchThreads' is already set on line 2 of this file; delete one of them",
             file);
    CHECKF(strcmp(err, want) == 0, "%s", err);
    snprintf(file, sizeof file, "%s", data_path("config_section.cfg"));
    CHECK(!tg_config_load_file(cfg, file, err, sizeof err));
    snprintf(want, sizeof want,
             "%s:3: section line '[gtp]' is not allowed: KataGo config files have no [sections]", file);
    CHECKF(strcmp(err, want) == 0, "%s", err);
    CHECK(cfg != NULL && !tg_config_has(cfg, "numSearchThreads"));
    CHECK(!tg_config_load_file(cfg, "/nonexistent/dir/gtp.cfg", err, sizeof err));
    CHECKF(strcmp(err, "/nonexistent/dir/gtp.cfg: cannot open config file: No such file or directory") == 0, "%s", err);
    tg_config_free(cfg);

    expect_load_error("numSearchThreads = 8\nmaxVisits 100\n",
                      ":2: cannot parse 'maxVisits 100': expected 'key = value' (keys are letters, digits, '_' and '-')");
    expect_load_error("maxVisits =\n", ":1: key 'maxVisits' has no value");
    expect_load_error("maxVisits = # nothing\n", ":1: key 'maxVisits' has no value");
    expect_load_error("maxVisits\n", ":1: key 'maxVisits' has no '= value'");
    expect_load_error("maxVisits # comment\n", ":1: key 'maxVisits' has no '= value'");
    expect_load_error("; ini comment\n",
                      ":1: cannot parse '; ini comment': expected 'key = value' (keys are letters, digits, '_' and '-')");
    expect_load_error("max.Visits = 3\n",
                      ":1: cannot parse 'max.Visits = 3': expected 'key = value' (keys are letters, digits, '_' and '-')");
    expect_load_error("maxVisits: 3\n",
                      ":1: cannot parse 'maxVisits: 3': expected 'key = value' (keys are letters, digits, '_' and '-')");
    expect_load_error("\n\n  [section]  \n", ":3: section line '[section]' is not allowed: KataGo config files have no [sections]");
    expect_load_error("logDir = \"unterminated\n", ":1: the quoted value of key 'logDir' has no closing '\"'");
    expect_load_error("logDir = \"a\" b\n", ":1: unexpected text after the quoted value of key 'logDir'");
    expect_load_error("logDir = \"\"\n", ":1: key 'logDir' has an empty value");
    expect_load_error("@import other.cfg\n", ":1: unsupported directive '@import' (only @include FILE is allowed)");
    expect_load_error("@include /etc/passwd\n",
                      ":1: @include '/etc/passwd': absolute paths are not supported, name the file relative to this one");

    /* Blank lines, indentation, CRLF line ends, very long lines and a BOM are all fine. */
    char long_value[3000];
    memset(long_value, 'x', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    char text[8000];
    snprintf(text, sizeof text, "\xEF\xBB\xBFlogDir = %s\r\n\r\n\t  numSearchThreads\t=\t3 ; not a comment in KataGo\r\n"
             "# %s\n  \n", long_value, long_value);
    char *name = temp_cfg(text);
    cfg = tg_config_new();
    CHECKF(tg_config_load_file(cfg, name, err, sizeof err), "%s", err);
    const char *v = tg_config_get(cfg, "logDir");
    CHECK(v && strcmp(v, long_value) == 0);
    v = tg_config_get(cfg, "numSearchThreads");
    CHECKF(v && strcmp(v, "3 ; not a comment in KataGo") == 0, "%s", v ? v : "(null)");
    tg_config_free(cfg);
    unlink(name);

    /* A file including itself. */
    char self[64];
    snprintf(self, sizeof self, "%s", temp_cfg(""));
    const char *base = strrchr(self, '/') + 1;
    FILE *f = fopen(self, "w");
    fprintf(f, "maxVisits = 1\n@include %s\n", base);
    fclose(f);
    cfg = tg_config_new();
    CHECK(!tg_config_load_file(cfg, self, err, sizeof err));
    CHECKF(strstr(err, ":2: '") && strstr(err, "is included more than once or includes itself"), "%s", err);
    tg_config_free(cfg);
    unlink(self);
}

static void test_overrides(void) {
    char err[1024];
    tg_config *cfg = tg_config_new();
    CHECKF(tg_config_load_file(cfg, data_path("config_basic.cfg"), err, sizeof err), "%s", err);
    CHECK(tg_config_apply_overrides(cfg, " numSearchThreads = 8 ,, maxVisits=100, maxTime=  ,koRule=SIMPLE", err,
                                    sizeof err));
    int64_t i;
    CHECK(tg_config_get_int(cfg, "numSearchThreads", 1, 1, 1024, &i, err, sizeof err) && i == 8);
    CHECK(tg_config_get_int(cfg, "maxVisits", 1, 1, 1000, &i, err, sizeof err) && i == 100);
    /* An empty value removes the key; a single rule setting removes the whole-ruleset key. */
    CHECK(!tg_config_has(cfg, "maxTime"));
    CHECK(!tg_config_has(cfg, "rules"));
    CHECK(tg_config_has(cfg, "koRule"));
    CHECK(tg_config_apply_overrides(cfg, "rules=japanese", err, sizeof err));
    CHECK(!tg_config_has(cfg, "koRule") && tg_config_has(cfg, "rules"));
    CHECK(!tg_config_get_int(cfg, "maxVisits", 1, 1, 10, &i, err, sizeof err));
    CHECKF(strcmp(err, "command line: key 'maxVisits' has value '100'; expected an integer from 1 to 10") == 0, "%s", err);

    /* A bad piece rejects the whole override. */
    CHECK(!tg_config_apply_overrides(cfg, "maxVisits=5,numSearchThreads", err, sizeof err));
    CHECKF(strcmp(err, "command line: cannot parse 'numSearchThreads' in -override-config: expected key=value") == 0,
           "%s", err);
    CHECK(tg_config_get_int(cfg, "maxVisits", 1, 1, 1000, &i, err, sizeof err) && i == 100);
    CHECK(!tg_config_apply_overrides(cfg, "=5", err, sizeof err));
    CHECKF(strcmp(err, "command line: missing key before '=5' in -override-config") == 0, "%s", err);
    CHECK(tg_config_apply_overrides(cfg, "", err, sizeof err));

    /* Unknown override keys are warned about as coming from the command line. */
    CHECK(tg_config_apply_overrides(cfg, "numSearchThreadz=4", err, sizeof err));
    warnings w = {0};
    tg_config_warn_unknown(cfg, collect, &w);
    bool found = false;
    for (int k = 0; k < w.n && k < 16; k++)
        if (strcmp(w.msg[k], "command line: unknown key 'numSearchThreadz' (neither KataGo nor tengen uses it; a typo?)") == 0)
            found = true;
    CHECK(found && w.n == 2);
    tg_config_free(cfg);
}

static void test_known_keys(void) {
    static const char *const known[] = {
        "allowResignation", "analysisPVLen", "numSearchThreads", "maxVisits", "nnCacheSizePowerOfTwo", "logToStderr",
        "winLossUtilityFactor", "rules", "koRule", "friendlyPassOk", "whiteHandicapBonus", "humanSLProfile",
        "reportAnalysisWinratesAs", "numAnalysisThreads", "cudaUseFP16", "openclTunerFile", "trtDisableOnnx",
        "backend", "pluginDir", "gtpIdentity", "sharedDir", "useGraphSearch", "ignorePreRootHistory",
        "cudaDeviceToUseThread0", "cudaDeviceToUseThread17", "openclDeviceToUseThread2", "trtDeviceToUseThread7",
        "metalDeviceToUseThread1", "cudaGpuToUseThread1", "cudaDeviceToUseModel0Thread3", "deviceToUseThread4",
        "gpuToUse", "openclDeviceToUse", "useFP16-0", "cudaUseFP16-1", "inputsUseNHWC0", "cudaInputsUseNHWC",
        "maxBoardXSizeForNNBuffer0", "nnRandSeed1", "avoidSgfPatternUtility", "avoidSgf2PatternDirs",
        "avoidSgf3PatternLambda0", "winLossUtilityFactor", "graphSearchRepBound", "delayMoveScale",
        "wideRootNoise",
    };
    for (size_t k = 0; k < sizeof known / sizeof *known; k++)
        CHECKF(tg_config_key_is_known(known[k]), "%s", known[k]);
    static const char *const unknown[] = {
        "", "numSearchThread", "NumSearchThreads", "cudaDeviceToUseThread", "cudaDeviceToUseThreadX",
        "cudaDeviceToUseThread1x", "foo", "maxVisits ", "useFP16-", "avoidSgfPattern", "backends", "cudaFooBar",
        "cudaDeviceToUseModelThread1",
    };
    for (size_t k = 0; k < sizeof unknown / sizeof *unknown; k++)
        CHECKF(!tg_config_key_is_known(unknown[k]), "'%s'", unknown[k]);
}

int main(void) {
    test_basic_file();
    test_bad_values();
    test_syntax_errors();
    test_overrides();
    test_known_keys();
    return check_finish("test_config");
}
