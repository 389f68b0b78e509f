/* The opencl plugin's FP16 arithmetic (useFP16 = true), measured: `tengen check-backend` (run in this
 * process) compares it on the shared reference positions of each of the three shared networks with
 * blas-cpu at FP32, against KataGo's FP16 gate (winrate 99th percentile <= 2 points, score lead <= 1,
 * top policy <= 2.5 points, policy KL <= 0.002, and the maxima).
 *
 * PoCL, the OpenCL here, cannot compile half arithmetic, so the plugin runs as tests/opencl-half.la:
 * its own sources with the build seam of tests/opencl_half_module.c, which compiles the FP16 kernels to
 * SPIR with clang-15 and reports cl_khr_fp16. Skips without the shared networks, clang-15 or an OpenCL
 * device. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "front/check_backend.h"
#include "front/config.h"
#include "nn/plugins.h"

#ifndef TEST_MODULE_DIR
#error "TEST_MODULE_DIR (where opencl-half.la is built) must be defined"
#endif

/* PoCL and the LLVM inside it keep compiler state alive to process exit; see test_reference.c. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libpocl.so\nleak:libLLVM\n"; }

static const char *const nets[] = {
    "g170-b6c96-s175395328-d26788732.bin.gz",
    "b7c96h3tfrs-test5-cnorm.bin.gz",
    "b7c96h6kv3qk32v16tflrs-fson-bnh.bin.gz",
};

/* Whether the test build of the plugin loads and sees a device; says why not when it does not. */
static bool module_usable(void) {
    tg_config *cfg = tg_config_new();
    tg_config_set(cfg, "pluginDir", TEST_MODULE_DIR);
    char why[512] = "";
    const tg_backend *be = tg_plugin_load(cfg, "opencl-half", NULL, why, sizeof why);
    bool usable = be && be->probe(tg_plugin_host(cfg), why, sizeof why);
    if (!usable)
        fprintf(stderr, "test_opencl_half: SKIP: %s\n", why);
    tg_config_free(cfg);
    return usable;
}

/* Runs check-backend with stderr (the engine's log) caught in log_path, then echoed. */
static int check_backend(char **argv, int argc, const char *log_path) {
    fflush(stdout);
    fflush(stderr);
    const int saved = dup(2), fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (saved < 0 || fd < 0 || dup2(fd, 2) < 0)
        return -1;
    close(fd);
    const int status = tg_check_backend_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return status;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    for (int c; f && (c = fgetc(f)) != EOF;)
        fputc(c, mem);
    fclose(mem);
    if (f)
        fclose(f);
    return buf;
}

int main(void) {
    const char *shared = check_shared_dir();
    if (!shared) {
        fprintf(stderr, "test_opencl_half: SKIP: TENGEN_SHARED_DIR is not set (configure --with-shared-dir)\n");
        return 77;
    }
    if (system("clang-15 --version > /dev/null 2>&1") != 0) {
        fprintf(stderr, "test_opencl_half: SKIP: clang-15 is not installed (it compiles the FP16 kernels)\n");
        return 77;
    }
    if (!module_usable())
        return 77;
    char tmp[] = "/tmp/test_opencl_half.XXXXXX";
    if (!mkdtemp(tmp))
        return 99;
    char log_path[128], overrides[1024];
    snprintf(log_path, sizeof log_path, "%s/log", tmp);
    /* a fresh tuning cache: the FP16 gemm is tuned too */
    snprintf(overrides, sizeof overrides, "backend=opencl-half,pluginDir=%s,useFP16=true,openclTuningDir=%s/cache",
             TEST_MODULE_DIR, tmp);
    for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
        char model[1024];
        snprintf(model, sizeof model, "%s/models/%s", shared, nets[i]);
        char *argv[] = {"-model", model, "-override-config", overrides, "-max-positions", "24", NULL};
        printf("== %s, FP16 arithmetic\n", nets[i]);
        const int status = check_backend(argv, 6, log_path);
        char *log = slurp(log_path);
        fputs(log, stderr);
        CHECKF(strstr(log, "opencl: FP16 arithmetic with FP16 storage (useFP16 = true)") != NULL,
               "%s: the plugin does not say it computes in FP16", nets[i]);
        CHECKF(strstr(log, "FP16 arithmetic\n") != NULL, "%s: the FP16 gemm was not tuned", nets[i]);
        CHECKF(status == 0, "%s: FP16 arithmetic fails the FP16 gate (check-backend exit %d)", nets[i], status);
        free(log);
    }
    remove(log_path);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "test_opencl_half: could not remove %s\n", tmp);
    return check_finish("test_opencl_half");
}
