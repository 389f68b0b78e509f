/* Chooses the gemm kernel's tile sizes for one device and one network: times a handful of candidate
 * tilings on the network's own matrix shapes, and keeps the winner in a small file per device and
 * shape set so later runs skip the timing. Asked to (useFP16 = auto on a GPU with cl_khr_fp16), it
 * times every candidate in FP32 and in FP16 arithmetic alike and chooses the arithmetic too.
 *
 * The file is a cache, never trusted: it names its format version and the full key it was made for
 * (device, driver, storage type, arithmetic asked, shapes), and ends with a checksum of everything above it. A file that
 * fails any check, or names tiles outside the candidate list, is reported, re-tuned and rewritten.
 * Writes go to a temporary file renamed into place, so a crash leaves the old file or the new one. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "opencl_internal.h"
#include "../common/host.h"

/* 3: tuned at a fixed size (19x19, batch 4) whatever the board, so the key no longer names it.
 * 4: the key names the arithmetic asked for, and a "compute" line holds the one chosen. */
#define TUNING_FORMAT "tengen-opencl-tuning 4"
#define MAX_TIMED_SHAPES 4
/* The batch tuning runs at: big enough to fill a device a little, small enough to take milliseconds.
 * Fixed, not the context's largest batch, so one file serves every batch size. */
#define TUNING_BATCH 4
/* Board points tuning runs at: the best tiles hardly change between board sizes, and tuning (seconds
 * on a CPU device) once per device and network rather than once per board size saves that each time. */
#define TUNING_POINTS (19 * 19)
/* Timed rounds over all candidates: at least TUNING_MIN_ROUNDS, then more while the timing so far has
 * taken under TUNING_SECONDS. */
#define TUNING_ROUNDS 8
#define TUNING_MIN_ROUNDS 3
#define TUNING_SECONDS 2.0
/* useFP16 = auto takes FP16 arithmetic only when its best pass is at least this much faster than the
 * FP32 one: FP16 costs accuracy, so a tie within timing noise goes to FP32. */
#define HALF_MUST_BEAT 0.95

/* Vector forms (fast on CPUs), then tiled forms (GPUs). Removing an entry needs a new TUNING_FORMAT
 * (a file naming it would be rejected anyway, but as stale rather than quietly). */
static const tg_ocl_tiles candidates[] = {
    {0, 0, 0, 4, 0, 8},    {0, 0, 0, 8, 0, 8},    {0, 0, 0, 4, 0, 16},   {0, 0, 0, 8, 0, 16},
    {0, 0, 0, 12, 0, 16},  {0, 0, 0, 16, 0, 8},   {32, 32, 8, 4, 4, 0},  {64, 64, 8, 8, 8, 0},
    {32, 64, 8, 4, 8, 0},  {64, 64, 16, 4, 4, 0}, {32, 32, 16, 2, 2, 0},
};
#define NUM_CANDIDATES (sizeof candidates / sizeof *candidates)

void tg_ocl_build_options(const tg_ocl_tiles *t, bool half_storage, bool half_compute, char *buf, size_t buflen) {
    const char *precision = half_compute ? " -DTG_HALF -DTG_HALF_COMPUTE" : half_storage ? " -DTG_HALF" : "";
    if (t->vw)
        snprintf(buf, buflen, "-cl-std=CL1.2 -DVW=%d -DRM=%d%s", t->vw, t->rm, precision);
    else
        snprintf(buf, buflen, "-cl-std=CL1.2 -DTM=%d -DTN=%d -DTK=%d -DRM=%d -DRN=%d%s", t->tm, t->tn, t->tk, t->rm,
                 t->rn, precision);
}

void tg_ocl_gemm_range(const tg_ocl_tiles *t, int M, int hw, int batch, size_t global[3], size_t local[3]) {
    if (t->vw) {
        global[0] = (size_t)((hw + t->vw - 1) / t->vw);
        global[1] = (size_t)((M + t->rm - 1) / t->rm);
        local[0] = local[1] = 1;
    } else {
        local[0] = (size_t)(t->tn / t->rn);
        local[1] = (size_t)(t->tm / t->rm);
        global[0] = (size_t)((hw + t->tn - 1) / t->tn) * local[0];
        global[1] = (size_t)((M + t->tm - 1) / t->tm) * local[1];
    }
    global[2] = (size_t)batch;
    local[2] = 1;
}

static void describe(const tg_ocl_tiles *t, char *buf, size_t buflen) {
    if (t->vw)
        snprintf(buf, buflen, "vector form, %d rows x %d points per work-item", t->rm, t->vw);
    else
        snprintf(buf, buflen, "tiled form, %dx%dx%d tiles, %dx%d per work-item", t->tm, t->tn, t->tk, t->rm, t->rn);
}

/* FNV-1a, 64 bits: enough to catch a damaged file; this is not about adversaries. */
static uint64_t fnv1a(const char *s, size_t n) {
    uint64_t x = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        x ^= (unsigned char)s[i];
        x *= 1099511628211ull;
    }
    return x;
}

static bool same_tiles(const tg_ocl_tiles *a, const tg_ocl_tiles *b) {
    return a->tm == b->tm && a->tn == b->tn && a->tk == b->tk && a->rm == b->rm && a->rn == b->rn && a->vw == b->vw;
}

static bool is_candidate(const tg_ocl_tiles *t) {
    for (size_t i = 0; i < NUM_CANDIDATES; i++)
        if (same_tiles(t, &candidates[i]))
            return true;
    return false;
}

/* TUNING_POINTS, or more for a board larger than 19x19 (rare; those get a file of their own). */
static int tuning_points(const tg_backend_context *cx) { return cx->hw > TUNING_POINTS ? cx->hw : TUNING_POINTS; }

static const char *precision_name(enum tg_ocl_precision p) {
    return p == TG_OCL_HALF ? "half" : p == TG_OCL_HALF_AUTO ? "auto" : "float";
}

/* Everything the best tiles depend on, as one line. */
static void tuning_key(const tg_backend_context *cx, char *buf, size_t buflen) {
    char driver[128] = "";
    clGetDeviceInfo(cx->device, CL_DRIVER_VERSION, sizeof driver - 1, driver, NULL);
    size_t used = (size_t)snprintf(buf, buflen, "device=%s;driver=%s;storage=%s;compute=%s;hw=%d;batch=%d;shapes=",
                                   cx->device_name, driver, cx->half_storage ? "half" : "float",
                                   precision_name(cx->precision_asked), tuning_points(cx), TUNING_BATCH);
    for (size_t i = 0; i < cx->num_shapes && used < buflen; i++)
        used += (size_t)snprintf(buf + used, buflen - used, "%s%dx%d*%d", i ? "," : "", cx->shapes[i].m,
                                 cx->shapes[i].k, cx->shapes[i].count);
    for (char *c = buf; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
}

/* dir/<device>-<hash of key>.txt, the device name reduced to [A-Za-z0-9_-]. */
static void tuning_path(const tg_backend_context *cx, const char *dir, const char *key, char *buf, size_t buflen) {
    char dev[64];
    size_t n = 0;
    for (const char *c = cx->device_name; *c && n < sizeof dev - 1; c++) {
        const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-';
        if (ok || (n > 0 && dev[n - 1] != '_'))
            dev[n++] = ok ? *c : '_';
    }
    dev[n] = '\0';
    snprintf(buf, buflen, "%s/%s-%016llx.txt", dir, dev, (unsigned long long)fnv1a(key, strlen(key)));
}

/* What a tuning file holds: the tiles, the arithmetic, and the best passes that chose it (in
 * milliseconds, negative for an arithmetic not timed). */
typedef struct tuning_result {
    tg_ocl_tiles tiles;
    bool half_compute;
    double float_ms, half_ms;
} tuning_result;

/* Reads a result from path; false with why set when the file is missing, damaged or for something else.
 * asked: the arithmetic the key names, which the file's must agree with. */
static bool read_cache(const char *path, const char *key, enum tg_ocl_precision asked, tuning_result *res, char *why,
                       size_t whylen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, whylen, "%s", strerror(errno));
        return false;
    }
    char text[16384];
    const size_t n = fread(text, 1, sizeof text - 1, f);
    const bool too_long = !feof(f);
    fclose(f);
    text[n] = '\0';
    if (too_long || strlen(text) != n) {
        snprintf(why, whylen, "not a tuning file (too long or binary)");
        return false;
    }
    /* the checksum line is the last one; everything before it is what it covers */
    char *sum_line = strstr(text, "checksum ");
    while (sum_line && sum_line != text && sum_line[-1] != '\n')
        sum_line = strstr(sum_line + 1, "checksum ");
    unsigned long long sum = 0;
    char tail[4];
    if (!sum_line || sscanf(sum_line, "checksum %16llx%3s", &sum, tail) != 1 ||
        sum != fnv1a(text, (size_t)(sum_line - text))) {
        snprintf(why, whylen, "checksum missing or wrong (damaged)");
        return false;
    }
    if (strncmp(text, TUNING_FORMAT "\n", strlen(TUNING_FORMAT) + 1) != 0) {
        snprintf(why, whylen, "written by another format version (stale)");
        return false;
    }
    const char *k = text + strlen(TUNING_FORMAT) + 1;
    const size_t keylen = strlen(key);
    if (strncmp(k, "key ", 4) != 0 || strncmp(k + 4, key, keylen) != 0 || k[4 + keylen] != '\n') {
        snprintf(why, whylen, "made for another device, driver or network (stale)");
        return false;
    }
    tg_ocl_tiles *t = &res->tiles;
    const char *line = k + 4 + keylen + 1;
    if (sscanf(line, "tiles %d %d %d %d %d %d", &t->tm, &t->tn, &t->tk, &t->rm, &t->rn, &t->vw) != 6 ||
        !is_candidate(t)) {
        snprintf(why, whylen, "names tiles this version does not use (stale)");
        return false;
    }
    char compute[8] = "";
    line = strchr(line, '\n');
    if (!line || sscanf(line + 1, "compute %7s %lf %lf", compute, &res->float_ms, &res->half_ms) != 3 ||
        (strcmp(compute, "half") != 0 && strcmp(compute, "float") != 0)) {
        snprintf(why, whylen, "has no valid compute line (damaged)");
        return false;
    }
    res->half_compute = strcmp(compute, "half") == 0;
    if (asked != TG_OCL_HALF_AUTO && res->half_compute != (asked == TG_OCL_HALF)) {
        snprintf(why, whylen, "names %s arithmetic where %s was asked (damaged)", compute, precision_name(asked));
        return false;
    }
    return true;
}

/* mkdir -p, for the cache directory. */
static bool make_dirs(const char *dir) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return false;
    for (char *c = path + 1; *c; c++)
        if (*c == '/') {
            *c = '\0';
            if (mkdir(path, 0755) != 0 && errno != EEXIST)
                return false;
            *c = '/';
        }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

static void write_cache(const tg_backend_context *cx, const char *dir, const char *path, const char *key,
                        const tuning_result *res) {
    char text[16384];
    const tg_ocl_tiles *t = &res->tiles;
    int n = snprintf(text, sizeof text, TUNING_FORMAT "\nkey %s\ntiles %d %d %d %d %d %d\ncompute %s %.6f %.6f\n", key,
                     t->tm, t->tn, t->tk, t->rm, t->rn, t->vw, res->half_compute ? "half" : "float", res->float_ms,
                     res->half_ms);
    if (n < 0 || (size_t)n >= sizeof text - 40)
        return;
    snprintf(text + n, sizeof text - (size_t)n, "checksum %016llx\n", (unsigned long long)fnv1a(text, (size_t)n));
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = make_dirs(dir) ? fopen(tmp, "wb") : NULL;
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) == 0)
        return;
    remove(tmp);
    tg_host_log(cx->host, TG_LOG_WARNING, "opencl: could not write the tuning file %s (%s); tuning again next time", path,
             strerror(errno));
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The shapes timed: those with the most multiply-adds per pass. */
static size_t pick_shapes(const tg_backend_context *cx, tg_ocl_shape *out) {
    bool taken[64] = {false};
    const size_t total = cx->num_shapes < 64 ? cx->num_shapes : 64;
    size_t n = 0;
    for (; n < MAX_TIMED_SHAPES; n++) {
        size_t best = total;
        for (size_t i = 0; i < total; i++) {
            const tg_ocl_shape *s = &cx->shapes[i], *b = best < total ? &cx->shapes[best] : NULL;
            if (!taken[i] && (!b || (double)s->m * s->k * s->count > (double)b->m * b->k * b->count))
                best = i;
        }
        if (best == total)
            break;
        taken[best] = true;
        out[n] = cx->shapes[best];
    }
    return n;
}

/* One candidate being timed: its kernel, and the fastest timed pass so far. */
typedef struct {
    cl_program prog;
    cl_kernel kernel;
    bool live;   /* builds, runs, and is not yet ruled out as far slower than the best */
    double best; /* seconds for one pass over the timed shapes; negative before the first timed pass */
} timed_candidate;

/* Builds candidate t's kernel (in FP16 arithmetic with half); false when it cannot run on this device
 * (too big a work-group or too much local memory, or the compiler refuses it). */
static bool build_candidate(tg_backend_context *cx, const tg_ocl_tiles *t, bool half, timed_candidate *tc) {
    size_t max_wg = 0;
    cl_ulong local_mem = 0;
    clGetDeviceInfo(cx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_wg, &max_wg, NULL);
    clGetDeviceInfo(cx->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local_mem, &local_mem, NULL);
    const size_t wgx = t->vw ? 1 : (size_t)(t->tn / t->rn), wgy = t->vw ? 1 : (size_t)(t->tm / t->rm);
    const size_t real_size = half ? sizeof(uint16_t) : sizeof(float);
    if ((max_wg && wgx * wgy > max_wg) || (local_mem && real_size * (size_t)t->tk * (t->tm + t->tn) > local_mem))
        return false;
    const char *const src[2] = {tg_ocl_prelude_source, tg_ocl_gemm_source};
    char options[256];
    tg_ocl_build_options(t, cx->half_storage, half, options, sizeof options);
    cl_int st = CL_SUCCESS;
    if (tg_ocl_build_program(cx->cl, cx->device, 2, src, options, &tc->prog) != CL_SUCCESS ||
        !(tc->kernel = clCreateKernel(tc->prog, "gemm", &st)))
        return false;
    size_t kernel_wg = 0;
    clGetKernelWorkGroupInfo(tc->kernel, cx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kernel_wg, &kernel_wg, NULL);
    return !kernel_wg || wgx * wgy <= kernel_wg;
}

/* Seconds one pass of candidate t takes over the timed shapes, each launched once and weighted by how
 * often the network runs it (timing every repeat would make a pass ~10x longer for the same ranking,
 * leaving fewer rounds to average out noise); negative when a launch fails. */
static double time_pass(const tg_ocl_tiles *t, cl_kernel k, cl_command_queue q, cl_mem w, cl_mem a,
                        const tg_ocl_shape *shapes, size_t num, int hw, int batch) {
    double spent = 0.0;
    for (size_t i = 0; i < num; i++) {
        const int M = shapes[i].m, K = shapes[i].k, zero = 0, sm = K, one = 1, none = -1;
        const int out = K * hw * batch, mask = out + M * hw * batch, mode = 0;
        size_t global[3], local[3];
        tg_ocl_gemm_range(t, M, hw, batch, global, local);
        const int iargs[] = {zero, sm, one, zero, out, M, K, hw, mode, none, none, zero, mask};
        cl_int st = clSetKernelArg(k, 0, sizeof(cl_mem), &w);
        if (st == CL_SUCCESS)
            st = clSetKernelArg(k, 1, sizeof(cl_mem), &a);
        for (cl_uint j = 0; j < sizeof iargs / sizeof *iargs && st == CL_SUCCESS; j++)
            st = clSetKernelArg(k, j + 2, sizeof(int), &iargs[j]);
        const double t0 = now_seconds();
        if (st == CL_SUCCESS)
            st = clEnqueueNDRangeKernel(q, k, 3, NULL, global, t->vw ? NULL : local, 0, NULL, NULL);
        if (st == CL_SUCCESS)
            st = clFinish(q);
        if (st != CL_SUCCESS)
            return -1.0;
        spent += (now_seconds() - t0) * shapes[i].count;
    }
    return spent;
}

/* Times every candidate (in each arithmetic asked: FP32, FP16 or both) and picks the fastest. On a
 * shared or busy machine (CPU devices especially) one timing can be off by 2x, so: every candidate
 * first runs one untimed pass (some drivers compile or page in on first launch), then the live
 * candidates are timed in rounds, one pass each per round and the starting candidate rotating, so a
 * burst of load lands on all of them alike rather than on whichever happened to be timed then; each
 * keeps its fastest pass (noise only ever adds time). After the first timed round, a candidate over 3x
 * the best is dropped to save time. Both arithmetics run in the same rounds, for the same reason. */
static bool tune_now(tg_backend_context *cx, tuning_result *res) {
    tg_ocl_shape shapes[MAX_TIMED_SHAPES];
    const size_t num = pick_shapes(cx, shapes);
    const int batch = TUNING_BATCH, hw = tuning_points(cx);
    size_t w_elems = 1, a_elems = 1;
    for (size_t i = 0; i < num; i++) {
        const size_t mk = (size_t)shapes[i].m * shapes[i].k;
        const size_t a = ((size_t)shapes[i].k + shapes[i].m + 1) * hw * batch;
        w_elems = mk > w_elems ? mk : w_elems;
        a_elems = a > a_elems ? a : a_elems;
    }
    /* small, varied values: timing does not depend on them, but denormals or NaNs could */
    const size_t most = w_elems > a_elems ? w_elems : a_elems;
    float *fill = malloc(sizeof(float) * most);
    uint16_t *halves = cx->half_storage ? malloc(sizeof(uint16_t) * most) : NULL;
    if (!fill || (cx->half_storage && !halves)) {
        free(fill);
        free(halves);
        return false;
    }
    for (size_t i = 0; i < most; i++)
        fill[i] = (float)((int)(i % 17) - 8) * 0.0625f;
    if (halves)
        tg_ocl_floats_to_halves(fill, halves, most);
    const void *data = halves ? (const void *)halves : (const void *)fill;
    cl_int st = CL_SUCCESS;
    cl_mem w = clCreateBuffer(cx->cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, cx->elem_size * w_elems, (void *)data,
                              &st);
    cl_mem a = w ? clCreateBuffer(cx->cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, cx->elem_size * a_elems,
                                  (void *)data, &st)
                 : NULL;
    cl_command_queue q = a ? clCreateCommandQueue(cx->cl, cx->device, 0, &st) : NULL;
    free(fill);
    free(halves);
    /* entry e times candidate e % NUM_CANDIDATES in the arithmetic halfs[e / NUM_CANDIDATES] */
    const bool halfs[2] = {cx->precision_asked == TG_OCL_HALF, true};
    const size_t total = (cx->precision_asked == TG_OCL_HALF_AUTO ? 2 : 1) * NUM_CANDIDATES;
    timed_candidate tc[2 * NUM_CANDIDATES];
    memset(tc, 0, sizeof tc);
    bool found = false;
    if (q) {
        const double start = now_seconds();
        size_t live = 0;
        for (size_t e = 0; e < total; e++) {
            const tg_ocl_tiles *t = &candidates[e % NUM_CANDIDATES];
            tc[e].best = -1.0;
            tc[e].live = build_candidate(cx, t, halfs[e / NUM_CANDIDATES], &tc[e]) &&
                         time_pass(t, tc[e].kernel, q, w, a, shapes, num, hw, batch) >= 0.0;
            live += tc[e].live;
        }
        const double timing_start = now_seconds();
        double best = -1.0;
        for (int round = 0; round < TUNING_ROUNDS && live > 0; round++) {
            /* past the minimum rounds, stop once the time allowed is used up */
            if (round >= TUNING_MIN_ROUNDS && now_seconds() - timing_start > TUNING_SECONDS)
                break;
            for (size_t n = 0; n < total; n++) {
                const size_t e = (n + (size_t)round * 3) % total;
                if (!tc[e].live)
                    continue;
                const double s =
                    time_pass(&candidates[e % NUM_CANDIDATES], tc[e].kernel, q, w, a, shapes, num, hw, batch);
                if (s < 0.0) {
                    tc[e].live = false;
                    live--;
                    continue;
                }
                if (tc[e].best < 0.0 || s < tc[e].best)
                    tc[e].best = s;
                if (best < 0.0 || s < best)
                    best = s;
            }
            for (size_t e = 0; e < total && round == 0; e++)
                if (tc[e].live && tc[e].best > 3.0 * best) {
                    tc[e].live = false;
                    live--;
                }
        }
        /* the fastest entry of each arithmetic timed */
        size_t win[2] = {total, total};
        for (size_t e = 0; e < total; e++) {
            char what[128];
            const size_t p = e / NUM_CANDIDATES;
            describe(&candidates[e % NUM_CANDIDATES], what, sizeof what);
            tg_host_log(cx->host, TG_LOG_DEBUG, "opencl: matrix kernel %s, %s arithmetic: %.3f ms%s", what,
                        halfs[p] ? "FP16" : "FP32", tc[e].best * 1e3,
                        tc[e].best < 0.0 ? " (does not run)" : tc[e].live ? "" : " (dropped after one round)");
            if (tc[e].best > 0.0 && (win[p] == total || tc[e].best < tc[win[p]].best))
                win[p] = e;
        }
        /* in auto, entries 0.. are FP32 and NUM_CANDIDATES.. FP16; otherwise all are the one asked */
        size_t chosen = win[0];
        if (total > NUM_CANDIDATES) {
            res->float_ms = win[0] < total ? tc[win[0]].best * 1e3 : -1.0;
            res->half_ms = win[1] < total ? tc[win[1]].best * 1e3 : -1.0;
            if (win[1] < total && (win[0] == total || tc[win[1]].best < HALF_MUST_BEAT * tc[win[0]].best))
                chosen = win[1];
        } else {
            const double ms = win[0] < total ? tc[win[0]].best * 1e3 : -1.0;
            res->float_ms = halfs[0] ? -1.0 : ms;
            res->half_ms = halfs[0] ? ms : -1.0;
        }
        found = chosen < total;
        if (found) {
            res->tiles = candidates[chosen % NUM_CANDIDATES];
            res->half_compute = halfs[chosen / NUM_CANDIDATES];
            char what[128];
            describe(&res->tiles, what, sizeof what);
            tg_host_log(cx->host, TG_LOG_INFO,
                        "opencl: tuned the matrix kernel for %s in %.1f s (%.1f s timing): %s, %s arithmetic",
                        cx->device_name, now_seconds() - start, now_seconds() - timing_start, what,
                        res->half_compute ? "FP16" : "FP32");
        }
    }
    for (size_t e = 0; e < total; e++) {
        if (tc[e].kernel)
            clReleaseKernel(tc[e].kernel);
        if (tc[e].prog)
            clReleaseProgram(tc[e].prog);
    }
    if (q)
        clReleaseCommandQueue(q);
    if (a)
        clReleaseMemObject(a);
    if (w)
        clReleaseMemObject(w);
    return found;
}

/* Applies a result to the context; for useFP16 = auto, says in precision_why what decided it. */
static void apply(tg_backend_context *cx, const tuning_result *res, bool from_file) {
    cx->tiles = res->tiles;
    cx->half_compute = res->half_compute;
    if (cx->precision_asked != TG_OCL_HALF_AUTO)
        return;
    const char *when = from_file ? " (tuning file)" : "";
    if (res->float_ms > 0.0 && res->half_ms > 0.0)
        snprintf(cx->precision_why, sizeof cx->precision_why,
                 "useFP16 = auto: the matrix kernel timed %.3f ms in FP16 against %.3f ms in FP32%s%s", res->half_ms,
                 res->float_ms, res->half_compute ? "" : ", not enough faster", when);
    else
        snprintf(cx->precision_why, sizeof cx->precision_why, "useFP16 = auto: only the %s matrix kernel runs here%s",
                 res->half_compute ? "FP16" : "FP32", when);
}

bool tg_ocl_tune(tg_backend_context *cx, const char *dir, char *err, size_t errlen) {
    char key[8192], path[4096] = "";
    tuning_key(cx, key, sizeof key);
    tuning_result res = {.float_ms = -1.0, .half_ms = -1.0};
    if (dir && *dir) {
        tuning_path(cx, dir, key, path, sizeof path);
        char why[256];
        if (read_cache(path, key, cx->precision_asked, &res, why, sizeof why)) {
            char what[128];
            describe(&res.tiles, what, sizeof what);
            tg_host_log(cx->host, TG_LOG_DEBUG, "opencl: matrix kernel %s, %s arithmetic, from %s", what,
                        res.half_compute ? "FP16" : "FP32", path);
            apply(cx, &res, true);
            return true;
        }
        if (access(path, F_OK) == 0)
            tg_host_log(cx->host, TG_LOG_WARNING, "opencl: ignoring the tuning file %s: %s; tuning again", path, why);
    }
    if (!tune_now(cx, &res)) {
        tg_set_err(err, errlen, "opencl: no matrix kernel configuration builds and runs on device %d (%s)%s",
                       cx->device_index, cx->device_name, cx->half_compute ? " in FP16 arithmetic" : "");
        return false;
    }
    apply(cx, &res, false);
    if (*path)
        write_cache(cx, dir, path, key, &res);
    return true;
}
