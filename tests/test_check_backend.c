/* `tengen check-backend` end to end: blas-cpu against itself reports exactly zero error and passes; a
 * network with its value and policy output layers scaled (written with the model writer) fails; the
 * opencl plugin at FP32, where built and given a device, passes with small errors; loose -limits turn
 * the perturbed network's failure into a pass; bad arguments give one line and exit 2.
 * Runs the tengen binary ($TENGEN) on a few dozen reference positions so the test stays quick under
 * the sanitizers. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "nn/model_reader.h"
#include "nn/model_writer.h"

#define G170 "g170-b6c96-s175395328-d26788732.bin.gz"
#define POSITIONS "24"

static char tmpdir[256];

typedef struct run_result {
    int status;
    char *out, *err;
} run_result;

static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, mem);
    fclose(mem);
    fclose(f);
    return buf;
}

/* Runs "$TENGEN check-backend ARGS" through the shell (args are quoted by the caller) with stdout and
 * stderr kept apart. */
static run_result run(const char *args) {
    char cmd[8192], out_path[512], err_path[512];
    snprintf(out_path, sizeof out_path, "%s/out", tmpdir);
    snprintf(err_path, sizeof err_path, "%s/err", tmpdir);
    snprintf(cmd, sizeof cmd, "\"$TENGEN\" check-backend %s >'%s' 2>'%s'", args, out_path, err_path);
    int raw = system(cmd);
    run_result r = {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out_path), slurp(err_path)};
    return r;
}

static void free_result(run_result *r) {
    free(r->out);
    free(r->err);
}

/* The 99th-percentile and max columns of the row named name, or false when there is no such row. */
static bool row_values(const char *out, const char *name, double *p99, double *max) {
    for (const char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, name, strlen(name)) || line[strlen(name)] != ' ')
            continue;
        const char *p = line + strlen(name);
        char unit[32];
        return sscanf(p, " %31s %lf %lf", unit, p99, max) == 3;
    }
    return false;
}

static const char *const rows[] = {"winrate", "score lead", "selfplay score mean", "selfplay score stdev",
                                   "top policy", "policy KL (ref||tested)", "ownership (per point)"};

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void expect_usage_error(const char *what, const char *args) {
    run_result r = run(args);
    CHECKF(r.status == 2, "%s: exit %d", what, r.status);
    CHECKF(count_lines(r.err) == 1 && !strncmp(r.err, "tengen check-backend: ", 22), "%s: stderr '%s'", what, r.err);
    CHECKF(r.out[0] == '\0', "%s: stdout '%s'", what, r.out);
    free_result(&r);
}

/* A copy of layer weights scaled by factor, owned by the model. */
static const float *scaled(tg_model *m, const float *w, size_t n, float factor) {
    float *copy = tg_model_alloc(m, n * sizeof *copy);
    if (!copy)
        abort();
    for (size_t i = 0; i < n; i++)
        copy[i] = w[i] * factor;
    return copy;
}

static bool write_perturbed(const char *src, const char *dst) {
    char err[512];
    tg_model *m = tg_model_load(src, err, sizeof err);
    CHECKF(m != NULL, "%s", err);
    if (!m)
        return false;
    tg_matmul_layer *v3 = &m->value.v3_mul;
    v3->weights = scaled(m, v3->weights, (size_t)v3->in_channels * (size_t)v3->out_channels, 1.5f);
    tg_conv_layer *p2 = &m->policy.p2_conv;
    p2->weights = scaled(m, p2->weights,
                         (size_t)p2->out_channels * (size_t)p2->in_channels * (size_t)p2->kernel_y * (size_t)p2->kernel_x,
                         1.5f);
    bool ok = tg_model_write(dst, m, err, sizeof err);
    CHECKF(ok, "%s", err);
    tg_model_free(m);
    return ok;
}

static bool opencl_usable(void) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "\"$TENGEN\" list-backends 2>/dev/null | sed -n '/^opencl$/,/usable:/p' | grep -q 'usable: yes'");
    return system(cmd) == 0;
}

int main(void) {
    const char *shared = check_shared_dir();
    if (!shared || !getenv("TENGEN")) {
        fprintf(stderr, "test_check_backend: TENGEN_SHARED_DIR or TENGEN not set, skipped\n");
        return 77;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tengen-check-backend-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 99;
    }
    char model[1024], perturbed[600], args[4096];
    snprintf(model, sizeof model, "%s/models/" G170, shared);
    snprintf(perturbed, sizeof perturbed, "%s/perturbed.bin.gz", tmpdir);

    /* blas-cpu against itself: every figure exactly zero. */
    snprintf(args, sizeof args, "-model '%s' -max-positions " POSITIONS, model);
    run_result r = run(args);
    CHECKF(r.status == 0, "self-check exit %d: %s", r.status, r.err);
    CHECKF(strstr(r.out, "\nPASS\n") != NULL, "self-check: %s", r.out);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double p99 = -1, max = -1;
        CHECKF(row_values(r.out, rows[i], &p99, &max), "no row '%s' in: %s", rows[i], r.out);
        CHECKF(p99 == 0 && max == 0, "self-check %s: %g %g", rows[i], p99, max);
    }
    free_result(&r);

    /* A perturbed network as the tested side fails the gate, on the outputs it changed. */
    if (write_perturbed(model, perturbed)) {
        snprintf(args, sizeof args, "-model '%s' -test-model '%s' -max-positions " POSITIONS " -threads 3", model,
                 perturbed);
        r = run(args);
        CHECKF(r.status == 1, "perturbed exit %d: %s", r.status, r.err);
        CHECKF(strstr(r.out, "\nFAIL\n") != NULL, "perturbed: %s", r.out);
        double p99 = 0, max = 0;
        CHECK(row_values(r.out, "winrate", &p99, &max));
        CHECKF(p99 > 2.0 && max >= p99, "perturbed winrate %g %g", p99, max);
        CHECK(row_values(r.out, "top policy", &p99, &max));
        CHECKF(max > 0, "perturbed top policy %g", max);
        free_result(&r);

        /* ...and passes limits wide enough for it. */
        snprintf(args, sizeof args,
                 "-model '%s' -test-model '%s' -max-positions " POSITIONS " -limits winrate=100,winrate-max=100,"
                 "score=1000,score-max=1000,policy=100,policy-max=100,kl=1000,kl-max=1000",
                 model, perturbed);
        r = run(args);
        CHECKF(r.status == 0, "loose limits exit %d: %s", r.status, r.out);
        free_result(&r);
    }

    /* The opencl plugin at FP32: small errors, a pass. */
    if (opencl_usable()) {
        snprintf(args, sizeof args,
                 "-model '%s' -max-positions " POSITIONS " -threads 2 -override-config backend=opencl,useFP16=false,useFP16Storage=false",
                 model);
        r = run(args);
        CHECKF(r.status == 0, "opencl exit %d: %s%s", r.status, r.out, r.err);
        CHECKF(strstr(r.out, "tested:    opencl") != NULL, "opencl: %s", r.out);
        double p99 = 1, max = 1;
        CHECK(row_values(r.out, "winrate", &p99, &max));
        CHECKF(max < 0.05, "opencl winrate max %g pp", max);
        CHECK(row_values(r.out, "ownership (per point)", &p99, &max));
        CHECKF(max < 0.5, "opencl ownership max %g pp", max);
        free_result(&r);
    } else {
        fprintf(stderr, "test_check_backend: opencl not built or no device, its check skipped\n");
    }

    /* Bad command lines. */
    snprintf(args, sizeof args, "-model '%s' -bogus 1", model);
    expect_usage_error("unknown option", args);
    snprintf(args, sizeof args, "-model '%s' -limits winrate=abc", model);
    expect_usage_error("bad limit value", args);
    snprintf(args, sizeof args, "-model '%s' -limits speed=1", model);
    expect_usage_error("unknown limit", args);
    snprintf(args, sizeof args, "-model '%s' -limits winrate", model);
    expect_usage_error("limit without value", args);
    snprintf(args, sizeof args, "-model '%s/no-such-model.bin.gz'", tmpdir);
    expect_usage_error("missing model", args);
    snprintf(args, sizeof args, "-model '%s' -threads 0", model);
    expect_usage_error("bad thread count", args);
    snprintf(args, sizeof args, "-model");
    expect_usage_error("option without value", args);

    unlink(perturbed);
    char path[600];
    snprintf(path, sizeof path, "%s/out", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/err", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    return check_finish("test_check_backend");
}
