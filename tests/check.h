/* Minimal assertions for the C unit tests: each test program counts failures and exits 1 if any,
 * 77 (automake's "skipped") when data it needs is absent. */
#ifndef TENGEN_TESTS_CHECK_H
#define TENGEN_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond) do { \
    check_count++; \
    if (!(cond)) { check_failures++; fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECKF(cond, ...) do { \
    check_count++; \
    if (!(cond)) { check_failures++; fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
                   fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

static inline int check_finish(const char *name) {
    fprintf(stderr, "%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

/* The directory holding models/ and reference/ (configure's --with-shared-dir), or NULL when it is not
 * set or has no models/ (as in `make distcheck`, built from a tarball away from ../shared): tests that
 * need it then skip. */
static inline const char *check_shared_dir(void) {
    const char *d = getenv("TENGEN_SHARED_DIR");
    if (!d || !*d)
        return NULL;
    char models[4096];
    snprintf(models, sizeof models, "%s/models", d);
    struct stat st;
    return stat(models, &st) == 0 && S_ISDIR(st.st_mode) ? d : NULL;
}

#endif
