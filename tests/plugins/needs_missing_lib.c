/* A plugin whose runtime library is missing when it is loaded, as a CUDA plugin is on a machine
 * without the CUDA runtime: the loader must name the missing library. */
#include "tengen/backend.h"

int tg_test_absent_function(void);

static bool probe(const tg_host *host, char *why, size_t whylen) {
    (void)host, (void)why, (void)whylen;
    return tg_test_absent_function() == 1;
}

static const tg_backend table = {
    .struct_size = sizeof(tg_backend),
    .abi_version = TG_BACKEND_ABI_VERSION,
    .name = "needs-missing-lib",
    .description = "test plugin whose library is absent",
    .probe = probe,
};

const tg_backend *tg_backend_v1(const tg_host *host) {
    (void)host;
    return &table;
}
