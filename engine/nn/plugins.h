/* Finding and loading backend plugins (libtool modules, through libltdl). */
#ifndef TENGEN_NN_PLUGINS_H
#define TENGEN_NN_PLUGINS_H

#include <stdbool.h>
#include <stddef.h>

#include "tengen/backend.h"
#include "front/config.h"

/* The host table handed to plugins: logging and typed access to cfg (kept, not owned). */
const tg_host *tg_plugin_host(const tg_config *cfg);

/* Loads the plugin called name ("blas-cpu"), searching, in order: the config's pluginDir,
 * each directory of $TENGEN_PLUGIN_PATH (':'-separated), the installed plugin directory, and
 * the build tree's plugins/ when tengen runs from its build directory. Checks the entry symbol and
 * the ABI version. On failure returns NULL with one line in err naming the plugin, the file and
 * what to do. The module stays loaded for the life of the process. *path_out (may be NULL)
 * receives the file it came from. */
const tg_backend *tg_plugin_load(const tg_config *cfg, const char *name, const char **path_out, char *err,
                                 size_t errlen);

/* One plugin found by tg_plugin_scan. */
typedef struct tg_plugin_info {
    char name[64];
    char path[1024];
    const tg_backend *backend; /* NULL when it could not be loaded */
    bool usable;
    char why[512];             /* load error, or the probe's reason when not usable */
} tg_plugin_info;

/* Every plugin in the search path (first found wins for a name). Returns how many were written
 * into out (at most max). */
int tg_plugin_scan(const tg_config *cfg, tg_plugin_info *out, int max);

#endif
