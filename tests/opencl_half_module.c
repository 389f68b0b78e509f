/* The opencl plugin as tests/test_opencl_half runs it (tests/opencl-half.la, built for make check, never
 * installed): the plugin's own sources plus this file, which swaps the plugin's program builder and
 * extension query (the seam in opencl_internal.h) so that its FP16-arithmetic kernels run on PoCL.
 *
 * PoCL (the OpenCL here, on the CPU) lists no cl_khr_fp16 and its compiler rejects half arithmetic, but
 * it runs SPIR: so a program built with -DTG_HALF_COMPUTE is compiled here by clang-15 to SPIR bitcode
 * with cl_khr_fp16 on and loaded as a binary. On x86 LLVM then does each half operation in float and
 * rounds the result to half, which is what half arithmetic computes. Every other program is built the
 * plugin's ordinary way. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opencl_internal.h"

/* Appends the -D options of options (the plugin's own, "-cl-std=CL1.2 -DVW=8 ...") to cmd; false if one
 * has a character that would need quoting, which the plugin never writes. */
static bool append_defines(const char *options, char *cmd, size_t cmdlen) {
    for (const char *at = strstr(options, "-D"); at; at = strstr(at + 2, "-D")) {
        const size_t n = strcspn(at, " ");
        if (strspn(at, "-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_=") < n)
            return false;
        const size_t used = strlen(cmd);
        if (used + n + 2 >= cmdlen)
            return false;
        snprintf(cmd + used, cmdlen - used, " %.*s", (int)n, at);
    }
    return true;
}

static bool write_all(const char *path, cl_uint count, const char *const *sources) {
    FILE *f = fopen(path, "w");
    bool ok = f != NULL;
    for (cl_uint i = 0; ok && i < count; i++)
        ok = fputs(sources[i], f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    return ok;
}

static unsigned char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            unsigned char *grown = realloc(buf, cap = cap ? 2 * cap : 65536);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        const size_t got = fread(buf + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    return buf;
}

/* The plugin's builder with FP16 arithmetic compiled offline; the compiler's messages go to stderr. */
static cl_int build_via_spir(cl_context cl, cl_device_id device, cl_uint count, const char *const *sources,
                             const char *options, cl_program *program) {
    if (!strstr(options, "-DTG_HALF_COMPUTE"))
        return tg_ocl_build_from_source(cl, device, count, sources, options, program);
    *program = NULL;
    const char *tmp = getenv("TMPDIR");
    char dir[512], src[600], bin[600], cmd[2048];
    snprintf(dir, sizeof dir, "%s/tengen-half-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return CL_BUILD_PROGRAM_FAILURE;
    snprintf(src, sizeof src, "%s/kernels.cl", dir);
    snprintf(bin, sizeof bin, "%s/kernels.bc", dir);
    snprintf(cmd, sizeof cmd,
             "clang-15 -cc1 -triple spir64-unknown-unknown -cl-std=CL1.2 -finclude-default-header "
             "-cl-ext=+cl_khr_fp16 -emit-llvm-bc -O2");
    cl_int st = CL_BUILD_PROGRAM_FAILURE;
    size_t len = 0;
    unsigned char *code = NULL;
    if (append_defines(options, cmd, sizeof cmd) && write_all(src, count, sources)) {
        const size_t used = strlen(cmd);
        snprintf(cmd + used, sizeof cmd - used, " '%s' -o '%s'", src, bin);
        if (system(cmd) == 0)
            code = read_all(bin, &len);
    }
    remove(src);
    remove(bin);
    rmdir(dir);
    if (!code) {
        fprintf(stderr, "opencl_half_module: clang-15 failed on the FP16 kernels (%s)\n", options);
        return st;
    }
    const unsigned char *codes[1] = {code};
    cl_int bin_st = CL_SUCCESS;
    *program = clCreateProgramWithBinary(cl, 1, &device, &len, codes, &bin_st, &st);
    free(code);
    if (!*program)
        return st != CL_SUCCESS ? st : bin_st;
    return clBuildProgram(*program, 1, &device, "-x spir -spir-std=1.2", NULL, NULL);
}

static bool claims_fp16(cl_device_id device, const char *name) {
    return strcmp(name, "cl_khr_fp16") == 0 || tg_ocl_device_has_extension(device, name);
}

/* Runs when the core loads the module, before it calls anything in it. */
__attribute__((constructor)) static void install_seam(void) {
    tg_ocl_build_program = build_via_spir;
    tg_ocl_has_extension = claims_fp16;
}
