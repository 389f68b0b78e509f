/* A plugin that claims a plugin ABI this tengen does not speak: loading it must fail cleanly. */
#include "tengen/backend.h"

static bool probe(const tg_host *host, char *why, size_t whylen) {
    (void)host, (void)why, (void)whylen;
    return true;
}

static const tg_backend table = {
    .struct_size = sizeof(tg_backend),
    .abi_version = TG_BACKEND_ABI_VERSION + 41,
    .name = "wrong-abi",
    .description = "test plugin built for another ABI",
    .probe = probe,
};

const tg_backend *tg_backend_v1(const tg_host *host) {
    (void)host;
    return &table;
}
