/* The network evaluator; see evaluator.h. */
#ifdef HAVE_CONFIG_H
#include "tengen-build.h"
#endif

#include "evaluator.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front/log.h"
#include "nn/model_reader.h"
#include "nn/plugins.h"
#include "nn/symmetry.h"
#include "util/errmsg.h"

#ifndef TENGEN_BUILD_DEFAULT_MODEL
#define TENGEN_BUILD_DEFAULT_MODEL ""
#endif
#ifndef TENGEN_DEFAULT_MODEL_NAME
#define TENGEN_DEFAULT_MODEL_NAME "default_model.bin.gz"
#endif
#ifndef TENGEN_PKGDATADIR
#define TENGEN_PKGDATADIR "/usr/local/share/tengen"
#endif

struct tg_nn_evaluator {
    const tg_config *cfg;
    tg_model *model;
    const tg_backend *backend;
    const tg_host *host;

    pthread_mutex_t lock;
    /* Built for one tensor size at a time: KataGo's GTP also sizes the network to the board. */
    tg_backend_context *context;
    tg_backend_handle *handle;
    int nn_x_len, nn_y_len;

    /* Scratch for one position. */
    float *spatial, *spatial_sym, *global, *policy, *policy_pass, *value, *score_value, *ownership;
};

static void release_context(tg_nn_evaluator *ev) {
    if (ev->handle)
        ev->backend->handle_destroy(ev->handle);
    if (ev->context)
        ev->backend->destroy(ev->context);
    ev->handle = NULL;
    ev->context = NULL;
    ev->nn_x_len = ev->nn_y_len = 0;
}

static bool prepare_context(tg_nn_evaluator *ev, int nn_x_len, int nn_y_len, char *err, size_t errlen) {
    if (ev->context && ev->nn_x_len == nn_x_len && ev->nn_y_len == nn_y_len)
        return true;
    release_context(ev);
    tg_backend_options opt;
    memset(&opt, 0, sizeof opt);
    opt.struct_size = sizeof opt;
    opt.nn_x_len = nn_x_len;
    opt.nn_y_len = nn_y_len;
    opt.max_batch_size = 1;
    opt.num_handles = 1;
    ev->context = ev->backend->create(ev->host, ev->model, &opt, err, errlen);
    if (!ev->context)
        return false;
    ev->handle = ev->backend->handle_create(ev->context, 0, err, errlen);
    if (!ev->handle) {
        release_context(ev);
        return false;
    }
    ev->nn_x_len = nn_x_len;
    ev->nn_y_len = nn_y_len;
    return true;
}

tg_nn_evaluator *tg_nn_evaluator_new(const tg_config *cfg, const char *model_path, char *err, size_t errlen) {
    tg_nn_evaluator *ev = calloc(1, sizeof *ev);
    if (!ev) {
        tg_set_err(err, errlen, "out of memory");
        return NULL;
    }
    ev->cfg = cfg;
    pthread_mutex_init(&ev->lock, NULL);
    ev->model = tg_model_load(model_path, err, errlen);
    if (!ev->model) {
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    if (tg_nn_inputs_version(ev->model->version) != 7) {
        tg_set_err(err, errlen, "%s: model version %d is not supported", model_path, (int)ev->model->version);
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    const char *name = tg_config_get(cfg, "backend");
    if (!name)
        name = "blas-cpu";
    const char *path = NULL;
    ev->backend = tg_plugin_load(cfg, name, &path, err, errlen);
    if (!ev->backend) {
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    ev->host = tg_plugin_host(cfg);
    char why[512];
    if (!ev->backend->probe(ev->host, why, sizeof why)) {
        tg_set_err(err, errlen, "backend '%s' (%s) cannot run on this machine: %s", name, path, why);
        ev->backend = NULL;
        tg_nn_evaluator_free(ev);
        return NULL;
    }

    const tg_model *m = ev->model;
    size_t area = TG_MAX_LEN * TG_MAX_LEN;
    ev->spatial = malloc(sizeof(float) * area * (size_t)m->num_input_channels);
    ev->spatial_sym = malloc(sizeof(float) * area * (size_t)m->num_input_channels);
    ev->global = malloc(sizeof(float) * (size_t)(m->num_input_global_channels > 0 ? m->num_input_global_channels : 1));
    ev->policy = malloc(sizeof(float) * area * (size_t)m->num_policy_channels);
    ev->policy_pass = malloc(sizeof(float) * (size_t)m->num_policy_channels);
    ev->value = malloc(sizeof(float) * (size_t)m->num_value_channels);
    ev->score_value = malloc(sizeof(float) * (size_t)m->num_score_value_channels);
    ev->ownership = malloc(sizeof(float) * area * (size_t)m->num_ownership_channels);
    if (!ev->spatial || !ev->spatial_sym || !ev->global || !ev->policy || !ev->policy_pass || !ev->value ||
        !ev->score_value || !ev->ownership) {
        tg_set_err(err, errlen, "out of memory");
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    /* Built now rather than at the first evaluation, so that a backend setting the plugin rejects
     * (a bad blasCpuThreads, a missing device) stops tengen at startup. */
    if (!prepare_context(ev, TG_MAX_LEN, TG_MAX_LEN, err, errlen)) {
        tg_nn_evaluator_free(ev);
        return NULL;
    }
    char desc[512];
    tg_model_describe(m, desc, sizeof desc);
    tg_log("Loaded model %s: %s", model_path, desc);
    tg_log("Backend %s (%s)", ev->backend->name, path);
    return ev;
}

void tg_nn_evaluator_free(tg_nn_evaluator *ev) {
    if (!ev)
        return;
    if (ev->backend)
        release_context(ev);
    tg_model_free(ev->model);
    free(ev->spatial);
    free(ev->spatial_sym);
    free(ev->global);
    free(ev->policy);
    free(ev->policy_pass);
    free(ev->value);
    free(ev->score_value);
    free(ev->ownership);
    pthread_mutex_destroy(&ev->lock);
    free(ev);
}

const tg_model *tg_nn_evaluator_model(const tg_nn_evaluator *ev) { return ev->model; }
const char *tg_nn_evaluator_backend_name(const tg_nn_evaluator *ev) { return ev->backend->name; }

bool tg_nn_evaluate(tg_nn_evaluator *ev, const tg_board *board, const tg_history *hist, tg_color next_pla,
                    int symmetry, const tg_nn_input_params *params, tg_nn_result *out, char *err, size_t errlen) {
    const tg_model *m = ev->model;
    int w = board->xsize, h = board->ysize;
    pthread_mutex_lock(&ev->lock);
    bool ok = prepare_context(ev, w, h, err, errlen);
    if (ok) {
        tg_nn_fill_inputs_v7(board, hist, next_pla, params, w, h, ev->spatial, ev->global);
        tg_sym_apply_planes(ev->spatial, ev->spatial_sym, m->num_input_channels, h, w, symmetry);

        tg_nn_inputs in = {.struct_size = sizeof in, .batch_size = 1, .spatial = ev->spatial_sym,
                           .global = ev->global, .meta = NULL};
        tg_nn_outputs o = {.struct_size = sizeof o, .batch_size = 1, .policy = ev->policy,
                           .policy_pass = ev->policy_pass, .value = ev->value, .score_value = ev->score_value,
                           .ownership = ev->ownership};
        ok = ev->backend->evaluate(ev->handle, &in, &o, err, errlen);
        if (ok) {
            tg_nn_raw_output raw = {.nn_x_len = w, .nn_y_len = h, .symmetry = symmetry, .policy = ev->policy,
                                    .policy_pass = ev->policy_pass, .policy_channels = m->num_policy_channels,
                                    .value = ev->value, .score_value = ev->score_value,
                                    .num_score_value = m->num_score_value_channels, .ownership = ev->ownership};
            ok = tg_nn_postprocess(&raw, &m->postprocess, m->version, board, hist, next_pla, params, NULL, out, err,
                                   errlen);
        }
    }
    pthread_mutex_unlock(&ev->lock);
    return ok;
}

const char *tg_nn_default_model_path(void) {
#ifdef TENGEN_BUILDDIR
    /* Running from the build tree: the file configure was given, not yet installed. */
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        size_t root_len = strlen(TENGEN_BUILDDIR);
        if (strncmp(exe, TENGEN_BUILDDIR, root_len) == 0 && exe[root_len] == '/' && TENGEN_BUILD_DEFAULT_MODEL[0] &&
            access(TENGEN_BUILD_DEFAULT_MODEL, R_OK) == 0)
            return TENGEN_BUILD_DEFAULT_MODEL;
    }
#endif
    static const char installed[] = TENGEN_PKGDATADIR "/" TENGEN_DEFAULT_MODEL_NAME;
    return access(installed, R_OK) == 0 ? installed : NULL;
}
