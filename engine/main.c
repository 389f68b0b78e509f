/* tengen's command line: picks the subcommand, loads the config, starts the front end. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "front/analysis_engine.h"
#include "front/benchmark.h"
#include "front/check_backend.h"
#include "front/config.h"
#include "front/gtp.h"
#include "front/log.h"
#include "front/review.h"
#include "nn/evaluator.h"
#include "nn/plugins.h"

#ifndef TENGEN_SYSCONFDIR
#define TENGEN_SYSCONFDIR "/etc/tengen"
#endif

static const char usage_text[] =
    "Usage: tengen COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  gtp            play and analyse over GTP (for Sabaki, Lizzie, KaTrain, GoGui...)\n"
    "  analysis       KataGo's JSON analysis engine: one JSON query per stdin line, JSON results on stdout\n"
    "  benchmark      search speed at several numSearchThreads (-t 1,2,4 -v VISITS -n POSITIONS -sgf FILE)\n"
    "  review         review game records: annotated SGF and winrate graph per game (FILE.sgf... | DIR)\n"
    "  check-backend  compare a backend's network outputs with blas-cpu FP32 (-model FILE -limits K=V,...)\n"
    "  list-backends  list the backend plugins found, and whether each can run here\n"
    "  version        print tengen's version and the KataGo protocol version it follows\n"
    "  help           print this text\n"
    "\n"
    "Options (the same flags as katago):\n"
    "  -config FILE               KataGo-style .cfg file (default: " TENGEN_SYSCONFDIR "/gtp.cfg, or for\n"
    "                             analysis " TENGEN_SYSCONFDIR "/analysis.cfg, if present)\n"
    "  -model FILE                KataGo network (.bin.gz, .txt.gz)\n"
    "  -override-config K=V,...   set config keys, overriding the file\n"
    "  -override-version TEXT     (gtp) answer the version command with TEXT, for GUIs that check it\n"
    "\n"
    "See tengen(1) and tengen.cfg(5).\n";

typedef struct options {
    const char *config_path;
    const char *model_path;
    const char *overrides;
    const char *override_version;
} options;

/* Accepts katago's single-dash flags and the GNU double-dash spelling. */
static bool parse_options(int argc, char **argv, options *o) {
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-')
            a++;
        const char **slot = !strcmp(a, "-config") ? &o->config_path
                            : !strcmp(a, "-model") ? &o->model_path
                            : !strcmp(a, "-override-config") ? &o->overrides
                            : !strcmp(a, "-override-version") ? &o->override_version
                            : NULL;
        if (!slot) {
            fprintf(stderr, "tengen: unknown option '%s'; run 'tengen help' for the list\n", argv[i]);
            return false;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "tengen: option '%s' needs a value\n", argv[i]);
            return false;
        }
        *slot = argv[++i];
    }
    return true;
}

static void warn_to_log(const char *msg, void *ctx) {
    (void)ctx;
    tg_log_warn("%s", msg);
}

/* Opens logFile, or a new dated file in logDir (or logDirDated), as KataGo does; logs also go to stderr unless
 * logToStderr = false. */
static bool open_log(const tg_config *cfg, char *err, size_t errlen) {
    bool to_stderr;
    if (!tg_config_get_bool(cfg, "logToStderr", true, &to_stderr, err, errlen))
        return false;
    const char *file = tg_config_get(cfg, "logFile");
    const char *dir = tg_config_get(cfg, "logDir");
    const char *dated_dir = tg_config_get(cfg, "logDirDated");
    if ((file != NULL) + (dir != NULL) + (dated_dir != NULL) > 1) {
        snprintf(err, errlen, "config sets more than one of logFile, logDir and logDirDated; keep one of them");
        return false;
    }
    char path[4096];
    if (!dir)
        dir = dated_dir; /* every log file name is dated already */
    if (dir) {
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create logDir %s: %s", dir, strerror(errno));
            return false;
        }
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(path, sizeof path, "%s/%s-%d.log", dir, stamp, (int)getpid());
        file = path;
    }
    return tg_log_open(file, to_stderr, err, (unsigned)errlen);
}

static tg_config *load_config_default(const options *o, const char *default_path) {
    char err[1024];
    tg_config *cfg = tg_config_new();
    if (!tg_config_load_file_or_default(cfg, o->config_path, default_path, err, sizeof err)) {
        fprintf(stderr, "tengen: %s\n", err);
        tg_config_free(cfg);
        return NULL;
    }
    if (o->overrides && !tg_config_apply_overrides(cfg, o->overrides, err, sizeof err)) {
        fprintf(stderr, "tengen: -override-config: %s\n", err);
        tg_config_free(cfg);
        return NULL;
    }
    return cfg;
}

static tg_config *load_config(const options *o) { return load_config_default(o, TENGEN_SYSCONFDIR "/gtp.cfg"); }

/* The JSON analysis engine: the network is required, as there is nothing to answer without it. */
static int run_analysis(int argc, char **argv) {
    options o = {0};
    if (!parse_options(argc, argv, &o))
        return 2;
    if (o.override_version) {
        fprintf(stderr, "tengen: -override-version is for gtp only\n");
        return 2;
    }
    tg_config *cfg = load_config_default(&o, TENGEN_SYSCONFDIR "/analysis.cfg");
    if (!cfg)
        return 1;
    char err[1024];
    tg_nn_evaluator *nn = NULL;
    int status = 1;
    if (!open_log(cfg, err, sizeof err))
        goto fail;
    tg_analysis_prepare_config(cfg);
    const char *model_path = o.model_path ? o.model_path : tg_nn_default_model_path();
    if (!model_path) {
        snprintf(err, sizeof err, "analysis needs a network: -model FILE");
        goto fail;
    }
    nn = tg_nn_evaluator_new(cfg, model_path, err, sizeof err);
    if (!nn)
        goto fail;
    tg_config_warn_unknown(cfg, warn_to_log, NULL);
    status = tg_analysis_run(cfg, nn, model_path, stdin, stdout);
    goto done;
fail:
    fprintf(stderr, "tengen: %s\n", err);
done:
    tg_nn_evaluator_free(nn);
    tg_config_free(cfg);
    tg_log_close();
    return status;
}

static int run_gtp(int argc, char **argv) {
    options o = {0};
    if (!parse_options(argc, argv, &o))
        return 2;
    if (o.override_version && strpbrk(o.override_version, "\r\n\t")) {
        fprintf(stderr, "tengen: -override-version must be one word of text, without line breaks or tabs\n");
        return 2;
    }
    tg_config *cfg = load_config(&o);
    if (!cfg)
        return 1;
    char err[1024];
    tg_nn_evaluator *nn = NULL;
    tg_gtp *g = NULL;
    int status = 1;
    if (!open_log(cfg, err, sizeof err))
        goto fail;
    const char *model_path = o.model_path ? o.model_path : tg_nn_default_model_path();
    if (model_path) {
        nn = tg_nn_evaluator_new(cfg, model_path, err, sizeof err);
        if (!nn)
            goto fail;
    } else {
        tg_log_warn("no network given (-model FILE) and no default network installed: "
                    "the rules commands work, kata-raw-nn and the search do not");
    }
    g = tg_gtp_new(cfg, nn, err, sizeof err);
    if (!g)
        goto fail;
    if (o.override_version)
        tg_gtp_set_version(g, o.override_version);
    tg_config_warn_unknown(cfg, warn_to_log, NULL);
    tg_log("GTP ready, beginning main protocol loop");
    status = tg_gtp_run(g, stdin, stdout);
    goto done;
fail:
    fprintf(stderr, "tengen: %s\n", err);
done:
    tg_gtp_free(g);
    tg_nn_evaluator_free(nn);
    tg_config_free(cfg);
    tg_log_close();
    return status;
}

/* Every plugin in the search path: name, file, ABI, and whether it can run on this machine. */
static int run_list_backends(int argc, char **argv) {
    options o = {0};
    if (!parse_options(argc, argv, &o))
        return 2;
    tg_config *cfg = load_config(&o);
    if (!cfg)
        return 1;
    enum { MAX_PLUGINS = 64 };
    tg_plugin_info *infos = calloc(MAX_PLUGINS, sizeof *infos);
    if (!infos) {
        tg_config_free(cfg);
        return 1;
    }
    int n = tg_plugin_scan(cfg, infos, MAX_PLUGINS);
    if (n == 0)
        printf("no backend plugins found (set pluginDir in the config or TENGEN_PLUGIN_PATH, or reinstall tengen)\n");
    for (int i = 0; i < n; i++) {
        const tg_plugin_info *p = &infos[i];
        printf("%s\n  file: %s\n", p->name, p->path);
        if (p->backend) {
            printf("  abi: %u\n  description: %s\n", (unsigned)p->backend->abi_version,
                   p->backend->description ? p->backend->description : "");
            if (p->usable && p->backend->list_devices) {
                char devices[4096];
                int count = p->backend->list_devices(tg_plugin_host(cfg), devices, sizeof devices);
                if (count > 0) {
                    printf("  devices:\n");
                    for (char *line = strtok(devices, "\n"); line; line = strtok(NULL, "\n"))
                        printf("    %s\n", line);
                }
            }
        }
        printf("  usable: %s%s%s\n", p->usable ? "yes" : "no", p->usable ? "" : ": ", p->usable ? "" : p->why);
    }
    free(infos);
    tg_config_free(cfg);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "gtp"))
        return run_gtp(argc - 2, argv + 2);
    if (!strcmp(cmd, "analysis"))
        return run_analysis(argc - 2, argv + 2);
    if (!strcmp(cmd, "benchmark"))
        return tg_benchmark_main(argc - 2, argv + 2);
    if (!strcmp(cmd, "review"))
        return tg_review_main(argc - 2, argv + 2);
    if (!strcmp(cmd, "check-backend"))
        return tg_check_backend_main(argc - 2, argv + 2);
    if (!strcmp(cmd, "list-backends"))
        return run_list_backends(argc - 2, argv + 2);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("tengen %s (follows the KataGo %s protocol)\n", PACKAGE_VERSION, TENGEN_KATAGO_PROTOCOL_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(usage_text, stdout);
        return 0;
    }
    fprintf(stderr, "tengen: unknown command '%s'; run 'tengen help' for the list\n", cmd);
    return 2;
}
