/* Finding and loading backend plugins; see plugins.h. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include "plugins.h"

#include <dirent.h>
#include <dlfcn.h>
#include <ltdl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "front/log.h"
#include "util/errmsg.h"

#ifndef TENGEN_PKGLIBDIR
#define TENGEN_PKGLIBDIR "/usr/local/lib/tengen"
#endif

/* ------------------------------------------------------------------ the host table */

static void host_log(void *ctx, int level, const char *message) {
    (void)ctx;
    if (level >= TG_LOG_WARNING)
        tg_log_warn("%s", message);
    else
        tg_log("%s", message);
}

static bool host_has(void *ctx, const char *key) { return ctx && tg_config_has(ctx, key); }
static const char *host_string(void *ctx, const char *key) { return ctx ? tg_config_get(ctx, key) : NULL; }

static bool host_bool(void *ctx, const char *key, bool def, bool *out, char *err, size_t errlen) {
    if (!ctx) {
        *out = def;
        return true;
    }
    return tg_config_get_bool(ctx, key, def, out, err, errlen);
}

static bool host_int(void *ctx, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out, char *err,
                     size_t errlen) {
    if (!ctx) {
        *out = def;
        return true;
    }
    return tg_config_get_int(ctx, key, def, min, max, out, err, errlen);
}

static bool host_double(void *ctx, const char *key, double def, double min, double max, double *out, char *err,
                        size_t errlen) {
    if (!ctx) {
        *out = def;
        return true;
    }
    return tg_config_get_double(ctx, key, def, min, max, out, err, errlen);
}

static bool host_enum(void *ctx, const char *key, const char *def, const char *allowed, const char **out, char *err,
                      size_t errlen) {
    if (!ctx) {
        *out = def;
        return true;
    }
    return tg_config_get_enum(ctx, key, def, allowed, out, err, errlen);
}

/* One host per config, kept for the life of the process: plugins may hold on to the pointer. */
#define MAX_HOSTS 16
static tg_host hosts[MAX_HOSTS];
static int num_hosts;
static pthread_mutex_t hosts_lock = PTHREAD_MUTEX_INITIALIZER;

const tg_host *tg_plugin_host(const tg_config *cfg) {
    tg_host *h = NULL;
    pthread_mutex_lock(&hosts_lock);
    for (int i = 0; i < num_hosts && !h; i++)
        if (hosts[i].ctx == (void *)cfg)
            h = &hosts[i];
    if (!h && num_hosts < MAX_HOSTS)
        h = &hosts[num_hosts++];
    pthread_mutex_unlock(&hosts_lock);
    if (!h)
        return NULL;
    h->struct_size = sizeof *h;
    h->abi_version = TG_BACKEND_ABI_VERSION;
    h->ctx = (void *)cfg;
    h->log = host_log;
    h->config_has = host_has;
    h->config_string = host_string;
    h->config_bool = host_bool;
    h->config_int = host_int;
    h->config_double = host_double;
    h->config_enum = host_enum;
    return h;
}

/* ------------------------------------------------------------------ search path */

#define MAX_DIRS 32

typedef struct search_path {
    char *dirs[MAX_DIRS];
    bool nested[MAX_DIRS]; /* build tree layout: DIR/NAME/NAME.la */
    int n;
} search_path;

static void add_dir(search_path *sp, const char *dir, size_t len, bool nested) {
    if (len == 0 || sp->n == MAX_DIRS)
        return;
    char *d = strndup(dir, len);
    if (!d)
        return;
    sp->dirs[sp->n] = d;
    sp->nested[sp->n] = nested;
    sp->n++;
}

static void add_dir_list(search_path *sp, const char *list) {
    while (list && *list) {
        const char *colon = strchr(list, ':');
        size_t len = colon ? (size_t)(colon - list) : strlen(list);
        add_dir(sp, list, len, false);
        list = colon ? colon + 1 : NULL;
    }
}

/* The build tree's plugins/, when this executable is the one make built there (so `make check`
 * and `./tengen` in the build directory need no install). */
static void add_build_tree(search_path *sp) {
#ifdef TENGEN_BUILDDIR
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0';
    /* tengen itself, or a test program one level below the build root. */
    size_t root_len = strlen(TENGEN_BUILDDIR);
    if (strncmp(exe, TENGEN_BUILDDIR, root_len) != 0 || (exe[root_len] != '\0' && exe[root_len] != '/'))
        return;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/plugins", TENGEN_BUILDDIR);
    add_dir(sp, dir, strlen(dir), true);
#else
    (void)sp;
#endif
}

static void search_path_build(search_path *sp, const tg_config *cfg) {
    sp->n = 0;
    const char *dir = cfg ? tg_config_get(cfg, "pluginDir") : NULL;
    if (dir)
        add_dir(sp, dir, strlen(dir), false);
    add_dir_list(sp, getenv("TENGEN_PLUGIN_PATH"));
    add_dir(sp, TENGEN_PKGLIBDIR, strlen(TENGEN_PKGLIBDIR), false);
    add_build_tree(sp);
}

static void search_path_free(search_path *sp) {
    for (int i = 0; i < sp->n; i++)
        free(sp->dirs[i]);
    sp->n = 0;
}

/* ------------------------------------------------------------------ loading */

static pthread_once_t ltdl_once = PTHREAD_ONCE_INIT;
static bool ltdl_ready;
static void ltdl_start(void) { ltdl_ready = lt_dlinit() == 0; }

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The plugin's file in dir (NAME.la, else NAME.so), or false. */
static bool find_in_dir(const char *dir, bool nested, const char *name, char *out, size_t outlen) {
    static const char *const exts[] = {".la", ".so"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        if (nested)
            snprintf(out, outlen, "%s/%s/%s%s", dir, name, name, exts[i]);
        else
            snprintf(out, outlen, "%s/%s%s", dir, name, exts[i]);
        if (file_exists(out))
            return true;
    }
    return false;
}

/* The shared object a .la file points at, for a second opinion from dlopen when ltdl only says
 * "file not found" (it says that too when a library the plugin needs is missing). */
static void real_object_path(const char *la_path, char *out, size_t outlen) {
    snprintf(out, outlen, "%s", la_path);
    size_t n = strlen(la_path);
    if (n < 3 || strcmp(la_path + n - 3, ".la") != 0)
        return;
    const char *slash = strrchr(la_path, '/');
    int dirlen = slash ? (int)(slash - la_path) : 0;
    const char *base = slash ? slash + 1 : la_path;
    char candidate[2048];
    snprintf(candidate, sizeof candidate, "%.*s/.libs/%.*s.so", dirlen, la_path, (int)strlen(base) - 3, base);
    if (!file_exists(candidate))
        snprintf(candidate, sizeof candidate, "%.*s/%.*s.so", dirlen, la_path, (int)strlen(base) - 3, base);
    snprintf(out, outlen, "%s", candidate);
}

static const tg_backend *load_file(const tg_config *cfg, const char *name, const char *path, char *err,
                                   size_t errlen) {
    pthread_once(&ltdl_once, ltdl_start);
    if (!ltdl_ready) {
        tg_set_err(err, errlen, "cannot initialise libltdl: %s", lt_dlerror());
        return NULL;
    }
    lt_dlhandle h = lt_dlopen(path);
    if (!h) {
        const char *why = lt_dlerror();
        char object[2048];
        real_object_path(path, object, sizeof object);
        void *probe = dlopen(object, RTLD_NOW | RTLD_LOCAL);
        if (probe) {
            dlclose(probe);
        } else if (dlerror() && file_exists(object)) {
            /* dlopen names the missing library, which is what the user needs to fix. */
            dlopen(object, RTLD_NOW | RTLD_LOCAL);
            const char *dl = dlerror();
            if (dl)
                why = dl;
        }
        tg_set_err(err, errlen, "cannot load backend plugin '%s' from %s: %s (check its libraries with: ldd %s)", name,
                   path, why ? why : "unknown error", object);
        return NULL;
    }
    tg_backend_entry_fn entry = (tg_backend_entry_fn)lt_dlsym(h, TG_BACKEND_ENTRY_SYMBOL);
    if (!entry) {
        tg_set_err(err, errlen, "%s is not a tengen backend plugin: it has no %s symbol", path, TG_BACKEND_ENTRY_SYMBOL);
        lt_dlclose(h);
        return NULL;
    }
    const tg_host *host = tg_plugin_host(cfg);
    const tg_backend *be = host ? entry(host) : NULL;
    if (!be) {
        tg_set_err(err, errlen, "backend plugin %s returned no backend table", path);
        lt_dlclose(h);
        return NULL;
    }
    if (be->abi_version != TG_BACKEND_ABI_VERSION || be->struct_size < offsetof(tg_backend, reserved)) {
        tg_set_err(err, errlen,
                   "backend plugin %s was built for plugin ABI %u, this tengen needs ABI %d; rebuild or reinstall it "
                   "with this tengen",
                   path, (unsigned)be->abi_version, TG_BACKEND_ABI_VERSION);
        lt_dlclose(h);
        return NULL;
    }
    if (!be->name || !be->create || !be->destroy || !be->handle_create || !be->handle_destroy || !be->evaluate ||
        !be->probe) {
        tg_set_err(err, errlen, "backend plugin %s is incomplete: a required function is missing", path);
        lt_dlclose(h);
        return NULL;
    }
    return be;
}

const tg_backend *tg_plugin_load(const tg_config *cfg, const char *name, const char **path_out, char *err,
                                 size_t errlen) {
    search_path sp;
    search_path_build(&sp, cfg);
    static char found[2048];
    const tg_backend *be = NULL;
    bool located = false;
    for (int i = 0; i < sp.n && !located; i++)
        located = find_in_dir(sp.dirs[i], sp.nested[i], name, found, sizeof found);
    if (!located) {
        char dirs[2048] = "";
        for (int i = 0; i < sp.n; i++) {
            size_t used = strlen(dirs);
            snprintf(dirs + used, sizeof dirs - used, "%s%s", i ? ", " : "", sp.dirs[i]);
        }
        tg_set_err(err, errlen,
                   "backend plugin '%s' not found (looked in %s); run 'tengen list-backends' to see what is installed",
                   name, dirs);
    } else {
        be = load_file(cfg, name, found, err, errlen);
        if (be && path_out)
            *path_out = found;
    }
    search_path_free(&sp);
    return be;
}

/* ------------------------------------------------------------------ scanning */

static bool already_listed(const tg_plugin_info *out, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(out[i].name, name))
            return true;
    return false;
}

static void scan_one(const tg_config *cfg, const char *name, const char *path, tg_plugin_info *info) {
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "%s", name);
    size_t plen = strlen(path);
    if (plen >= sizeof info->path)
        plen = sizeof info->path - 1;
    memcpy(info->path, path, plen);
    info->path[plen] = '\0';
    info->backend = load_file(cfg, name, path, info->why, sizeof info->why);
    if (info->backend)
        info->usable = info->backend->probe(tg_plugin_host(cfg), info->why, sizeof info->why);
}

/* Plugin names in dir: NAME from NAME.la or NAME.so (flat), or subdirectory names (nested). */
static int scan_dir(const tg_config *cfg, const char *dir, bool nested, tg_plugin_info *out, int n, int max) {
    DIR *d = opendir(dir);
    if (!d)
        return n;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        char name[64];
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(e->d_name);
        if (nested) {
            if (len >= sizeof name)
                continue;
            memcpy(name, e->d_name, len + 1);
        } else if (len > 3 && (!strcmp(e->d_name + len - 3, ".la") || !strcmp(e->d_name + len - 3, ".so")) &&
                   len - 3 < sizeof name) {
            snprintf(name, sizeof name, "%.*s", (int)(len - 3), e->d_name);
        } else {
            continue;
        }
        char path[2048];
        if (already_listed(out, n, name) || !find_in_dir(dir, nested, name, path, sizeof path))
            continue;
        scan_one(cfg, name, path, &out[n++]);
    }
    closedir(d);
    return n;
}

int tg_plugin_scan(const tg_config *cfg, tg_plugin_info *out, int max) {
    search_path sp;
    search_path_build(&sp, cfg);
    int n = 0;
    for (int i = 0; i < sp.n; i++)
        n = scan_dir(cfg, sp.dirs[i], sp.nested[i], out, n, max);
    search_path_free(&sp);
    return n;
}
