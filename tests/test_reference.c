/* KataGo parity: replays reference positions (shared/reference/rawnn-*.jsonl, KataGo 1.17.2's own
 * kata-raw-nn answers) through the GTP engine in this process and one backend plugin, and checks every
 * output against the tolerances of shared/reference/README.md.
 *
 * The backend is TEST_BACKEND, set at compile time: this file builds test_reference (blas-cpu) and
 * test_reference_opencl. A backend that is not built or sees no device here makes the test skip.
 *
 * A subset is replayed so the test stays quick under the sanitizers: positions are picked until every
 * board size, ruleset and symmetry present in a file has been seen, then a few more. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "front/config.h"
#include "front/gtp.h"
#include "front/log.h"
#include "nn/evaluator.h"
#include "nn/plugins.h"

#ifndef TEST_BACKEND
#define TEST_BACKEND "blas-cpu"
#endif

#ifdef TEST_OPENCL_LSAN
/* PoCL and the LLVM inside it keep compiler state alive to process exit (about 2 MB in 3,700 blocks
 * per run, none reachable from our code), so a sanitizer build would fail on leaks that are not ours.
 * LeakSanitizer reads this hook at startup: it hides only leaks with a PoCL or LLVM frame on their
 * allocation stack; memory the core or the plugin allocates itself stays leak-checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libpocl.so\nleak:libLLVM\n"; }
#endif

#define EXTRA_POSITIONS 6

typedef struct tolerance {
    const char *key;
    double tol;
} tolerance;

/* shared/reference/README.md */
static const tolerance scalar_tols[] = {
    {"whiteWin", 2e-3},          {"whiteLoss", 2e-3},          {"noResult", 2e-3},
    {"whiteLead", 0.05},         {"whiteScoreSelfplay", 0.05}, {"whiteScoreSelfplaySq", 1.0},
    {"varTimeLeft", 0.05},       {"shorttermWinlossError", 2e-3}, {"shorttermScoreError", 0.05},
    {"policyPass", 1e-3},
};
static const double policy_tol = 1e-3, ownership_tol = 3e-3;

typedef struct worst {
    double ratio; /* error / tolerance */
    char where[160];
} worst;

static worst worst_seen;

static void note(double err, double tol, const char *id, const char *what) {
    double ratio = err / tol;
    if (ratio > worst_seen.ratio) {
        worst_seen.ratio = ratio;
        snprintf(worst_seen.where, sizeof worst_seen.where, "%s %s", id, what);
    }
}

/* Values after "key " on its own line of a kata-raw-nn response. */
static bool find_scalar(const char *text, const char *key, double *out) {
    size_t klen = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (!strncmp(p, key, klen) && p[klen] == ' ')
            return sscanf(p + klen + 1, "%lf", out) == 1;
    }
    return false;
}

/* The n numbers (NAN allowed) after the line that is exactly `header`. */
static bool find_grid(const char *text, const char *header, int n, double *out) {
    size_t hlen = strlen(header);
    const char *p = text;
    while (p && *p) {
        if (!strncmp(p, header, hlen) && (p[hlen] == '\n'))
            break;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p || !*p)
        return false;
    p += hlen + 1;
    for (int i = 0; i < n; i++) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (!strncmp(p, "NAN", 3)) {
            out[i] = NAN;
            p += 3;
        } else {
            char *end;
            out[i] = strtod(p, &end);
            if (end == p)
                return false;
            p = end;
        }
    }
    return true;
}

/* Runs the setup commands and kata-raw-nn through a fresh GTP engine; returns the response text. */
static char *run_gtp(tg_nn_evaluator *nn, json_t *setup, int symmetry) {
    char *input = NULL, *output = NULL;
    size_t input_len = 0, output_len = 0;
    FILE *in = open_memstream(&input, &input_len);
    size_t i;
    json_t *cmd;
    json_array_foreach(setup, i, cmd) fprintf(in, "%s\n", json_string_value(cmd));
    fprintf(in, "kata-raw-nn %d\n", symmetry);
    fclose(in);

    tg_config *cfg = tg_config_new();
    char err[512];
    tg_gtp *g = tg_gtp_new(cfg, nn, err, sizeof err);
    if (!g) {
        fprintf(stderr, "tg_gtp_new: %s\n", err);
        exit(1);
    }
    FILE *cmds = fmemopen(input, input_len, "r");
    FILE *out = open_memstream(&output, &output_len);
    tg_gtp_run(g, cmds, out);
    fclose(cmds);
    fclose(out);
    tg_gtp_free(g);
    tg_config_free(cfg);
    free(input);
    /* The last response is kata-raw-nn's; every earlier one must have succeeded. */
    char *last = output, *p;
    while ((p = strstr(last, "\n\n")) && p[2])
        last = p + 2;
    if (strstr(output, "\n?") || output[0] == '?') {
        fprintf(stderr, "setup failed:\n%s\n", output);
        CHECK(!"setup commands all succeed");
    }
    char *copy = strdup(last);
    free(output);
    return copy;
}

static void compare_position(tg_nn_evaluator *nn, json_t *pos) {
    const char *id = json_string_value(json_object_get(pos, "id"));
    int xsize = (int)json_integer_value(json_object_get(pos, "xsize"));
    int ysize = (int)json_integer_value(json_object_get(pos, "ysize"));
    int symmetry = (int)json_integer_value(json_object_get(pos, "symmetry"));
    json_t *ref = json_object_get(pos, "ref");
    char *text = run_gtp(nn, json_object_get(pos, "setup"), symmetry);
    CHECKF(text[0] == '=', "%s: %s", id, text);

    for (size_t k = 0; k < sizeof scalar_tols / sizeof scalar_tols[0]; k++) {
        json_t *r = json_object_get(ref, scalar_tols[k].key);
        if (!r)
            continue;
        double got;
        bool found = find_scalar(text, scalar_tols[k].key, &got);
        CHECKF(found, "%s: no %s in response", id, scalar_tols[k].key);
        if (!found)
            continue;
        double err = fabs(got - json_number_value(r));
        note(err, scalar_tols[k].tol, id, scalar_tols[k].key);
        CHECKF(err <= scalar_tols[k].tol, "%s: %s %g vs KataGo %g", id, scalar_tols[k].key, got,
               json_number_value(r));
    }

    int n = xsize * ysize;
    double *grid = malloc(sizeof(double) * (size_t)n);
    struct {
        const char *header, *key;
        double tol;
    } grids[] = {{"policy", "policy", policy_tol}, {"whiteOwnership", "whiteOwnership", ownership_tol}};
    for (size_t g = 0; g < 2; g++) {
        json_t *r = json_object_get(ref, grids[g].key);
        if (!r)
            continue;
        bool found = find_grid(text, grids[g].header, n, grid);
        CHECKF(found, "%s: no %s grid", id, grids[g].header);
        if (!found)
            continue;
        for (int i = 0; i < n; i++) {
            json_t *v = json_array_get(r, (size_t)i);
            /* jansson reads KataGo's NaN (illegal point) as a non-number. */
            bool ref_nan = !json_is_number(v);
            if (ref_nan || isnan(grid[i])) {
                CHECKF(ref_nan && isnan(grid[i]), "%s: %s[%d] legality differs", id, grids[g].key, i);
                continue;
            }
            double err = fabs(grid[i] - json_number_value(v));
            char what[64];
            snprintf(what, sizeof what, "%s[%d]", grids[g].key, i);
            note(err, grids[g].tol, id, what);
            CHECKF(err <= grids[g].tol, "%s: %s %g vs KataGo %g", id, what, grid[i], json_number_value(v));
        }
    }
    free(grid);
    free(text);
}

/* The ruleset a position was set up with (its kata-set-rules argument). */
static const char *rules_of(json_t *pos) {
    size_t i;
    json_t *cmd;
    json_array_foreach(json_object_get(pos, "setup"), i, cmd) {
        const char *s = json_string_value(cmd);
        if (!strncmp(s, "kata-set-rules ", 15))
            return s + 15;
    }
    return "";
}

static bool seen_before(char seen[][64], int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (!strcmp(seen[i], key))
            return true;
    return false;
}

/* The reference files write NaN (illegal points), which is not JSON; null is, and reads as "not a number". */
static char *nan_to_null(const char *line) {
    size_t n = strlen(line);
    char *out = malloc(n + n / 3 + 1), *w = out;
    for (const char *p = line; *p;) {
        if (!strncmp(p, "NaN", 3)) {
            memcpy(w, "null", 4);
            w += 4;
            p += 3;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    return out;
}

static void check_network(const char *shared, const char *model_file, const char *ref_file) {
    char model_path[1024], ref_path[1024], err[512];
    snprintf(model_path, sizeof model_path, "%s/models/%s", shared, model_file);
    snprintf(ref_path, sizeof ref_path, "%s/reference/%s", shared, ref_file);
    tg_config *cfg = tg_config_new();
    tg_config_set(cfg, "backend", TEST_BACKEND);
    tg_nn_evaluator *nn = tg_nn_evaluator_new(cfg, model_path, err, sizeof err);
    CHECKF(nn != NULL, "%s", err);
    FILE *f = fopen(ref_path, "r");
    CHECKF(f != NULL, "cannot open %s", ref_path);
    if (!nn || !f) {
        tg_nn_evaluator_free(nn);
        tg_config_free(cfg);
        if (f)
            fclose(f);
        return;
    }
    worst_seen.ratio = 0;
    worst_seen.where[0] = '\0';
    char seen[256][64];
    int num_seen = 0, replayed = 0, extra = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t jerr;
        char *clean = nan_to_null(line);
        json_t *pos = json_loads(clean, 0, &jerr);
        free(clean);
        CHECKF(pos != NULL, "%s: bad JSON line: %s", ref_path, jerr.text);
        if (!pos)
            continue;
        char keys[3][64];
        snprintf(keys[0], 64, "size %lldx%lld", (long long)json_integer_value(json_object_get(pos, "xsize")),
                 (long long)json_integer_value(json_object_get(pos, "ysize")));
        snprintf(keys[1], 64, "rules %.50s", rules_of(pos));
        snprintf(keys[2], 64, "symmetry %lld", (long long)json_integer_value(json_object_get(pos, "symmetry")));
        bool novel = false;
        for (int k = 0; k < 3; k++) {
            if (!seen_before(seen, num_seen, keys[k]) && num_seen < 256) {
                memcpy(seen[num_seen++], keys[k], sizeof keys[k]);
                novel = true;
            }
        }
        if (novel || extra++ < EXTRA_POSITIONS) {
            compare_position(nn, pos);
            replayed++;
        }
        json_decref(pos);
    }
    free(line);
    fclose(f);
    fprintf(stderr, "%s: %d positions replayed covering %d sizes/rulesets/symmetries; worst %.3f x tolerance (%s)\n",
            model_file, replayed, num_seen, worst_seen.ratio, worst_seen.where);
    tg_nn_evaluator_free(nn);
    tg_config_free(cfg);
}

/* Whether TEST_BACKEND's plugin is built and can run here; says why not when it cannot. */
static bool backend_usable(void) {
    tg_config *cfg = tg_config_new();
    tg_plugin_info *infos = calloc(64, sizeof *infos);
    int n = infos ? tg_plugin_scan(cfg, infos, 64) : 0;
    bool usable = false, found = false;
    for (int i = 0; i < n; i++) {
        if (strcmp(infos[i].name, TEST_BACKEND) != 0)
            continue;
        found = true;
        usable = infos[i].usable;
        if (!usable)
            fprintf(stderr, "test_reference: SKIP: backend %s cannot run here: %s\n", TEST_BACKEND, infos[i].why);
    }
    if (!found)
        fprintf(stderr, "test_reference: SKIP: backend plugin %s was not built\n", TEST_BACKEND);
    free(infos);
    tg_config_free(cfg);
    return usable;
}

int main(void) {
    const char *shared = check_shared_dir();
    if (!shared) {
        fprintf(stderr, "test_reference: SKIP: TENGEN_SHARED_DIR is not set (configure --with-shared-dir)\n");
        return 77;
    }
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/reference/rawnn-g170-b6c96.jsonl", shared);
    FILE *f = fopen(probe, "r");
    if (!f) {
        fprintf(stderr, "test_reference: SKIP: %s not found\n", probe);
        return 77;
    }
    fclose(f);
    if (!backend_usable())
        return 77;
    char err[256];
    tg_log_open(NULL, false, err, sizeof err);
    check_network(shared, "g170-b6c96-s175395328-d26788732.bin.gz", "rawnn-g170-b6c96.jsonl");
    check_network(shared, "b7c96h3tfrs-test5-cnorm.bin.gz", "rawnn-b7c96h3tfrs-test5-cnorm.jsonl");
    check_network(shared, "b7c96h6kv3qk32v16tflrs-fson-bnh.bin.gz", "rawnn-b7c96h6kv3qk32v16tflrs-fson-bnh.jsonl");
    return check_finish("test_reference");
}
