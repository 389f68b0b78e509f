/* Replaying GTP setup commands into a board and history, through the engine's own GTP front end so
 * that tests see exactly the position `tengen gtp` would hold. See refpos.h. */
#include "front/refpos.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front/config.h"
#include "front/gtp.h"
#include "util/errmsg.h"

/* Runs one command line through g; true when it answered '='. The reply goes into reply. */
static bool run_command(tg_gtp *g, const char *command, char *reply, size_t replylen) {
    char *line = NULL, *out = NULL;
    size_t line_len = 0, out_len = 0;
    FILE *in = open_memstream(&line, &line_len);
    fprintf(in, "%s\n", command);
    fclose(in);
    FILE *cmd = fmemopen(line, line_len, "r");
    FILE *answer = open_memstream(&out, &out_len);
    tg_gtp_run(g, cmd, answer);
    fclose(cmd);
    fclose(answer);
    bool ok = out_len > 0 && out[0] == '=';
    snprintf(reply, replylen, "%.*s", (int)strcspn(out, "\n"), out);
    free(line);
    free(out);
    return ok;
}

bool tg_position_from_gtp_setup(const char *const *commands, int n, tg_board *board, tg_history *hist,
                                tg_color *next_pla, char *err, size_t errlen) {
    memset(hist, 0, sizeof *hist);
    tg_config *cfg = tg_config_new();
    tg_gtp *g = cfg ? tg_gtp_new(cfg, NULL, err, errlen) : NULL;
    bool ok = g != NULL;
    for (int i = 0; ok && i < n; i++) {
        char reply[512];
        ok = run_command(g, commands[i], reply, sizeof reply);
        if (!ok)
            tg_set_err(err, errlen, "'%s' failed: %s", commands[i], reply);
    }
    if (ok)
        tg_gtp_position(g, board, hist, next_pla);
    tg_gtp_free(g);
    tg_config_free(cfg);
    return ok;
}

/* Python writes NaN as a bare token, which is not JSON: each becomes null. The fields read here
 * never hold NaN, so the substitution cannot change them. */
static char *nan_to_null(const char *text) {
    size_t n = strlen(text);
    char *out = malloc(n / 3 * 4 + 5); /* each 3-byte token grows to 4 */
    if (!out)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (!strncmp(text + i, "NaN", 3)) {
            memcpy(out + k, "null", 4);
            k += 4;
            i += 3;
        } else {
            out[k++] = text[i++];
        }
    }
    out[k] = '\0';
    return out;
}

bool tg_refpos_parse_line(const char *line, tg_refpos *out, char *err, size_t errlen) {
    memset(&out->hist, 0, sizeof out->hist);
    char *clean = nan_to_null(line);
    if (!clean) {
        tg_set_err(err, errlen, "out of memory");
        return false;
    }
    json_error_t jerr;
    json_t *root = json_loads(clean, 0, &jerr);
    free(clean);
    if (!root) {
        tg_set_err(err, errlen, "not JSON: %s", jerr.text);
        return false;
    }
    bool ok = false;
    const char *id = json_string_value(json_object_get(root, "id"));
    json_t *setup = json_object_get(root, "setup");
    json_t *sym = json_object_get(root, "symmetry");
    if (!json_is_array(setup) || !json_is_integer(sym) || json_integer_value(sym) < 0 || json_integer_value(sym) > 7) {
        tg_set_err(err, errlen, "%s: needs a setup array and a symmetry from 0 to 7", id ? id : "position");
        goto done;
    }
    snprintf(out->id, sizeof out->id, "%s", id ? id : "?");
    out->symmetry = (int)json_integer_value(sym);
    int n = (int)json_array_size(setup);
    const char **cmds = malloc(sizeof *cmds * (size_t)(n ? n : 1));
    if (!cmds) {
        tg_set_err(err, errlen, "out of memory");
        goto done;
    }
    bool strings = true;
    for (int i = 0; i < n; i++) {
        cmds[i] = json_string_value(json_array_get(setup, (size_t)i));
        strings = strings && cmds[i];
    }
    if (!strings)
        tg_set_err(err, errlen, "%s: setup holds something other than strings", out->id);
    else {
        char why[512];
        ok = tg_position_from_gtp_setup(cmds, n, &out->board, &out->hist, &out->next_pla, why, sizeof why);
        if (!ok)
            tg_set_err(err, errlen, "%s: %s", out->id, why);
    }
    free(cmds);
done:
    json_decref(root);
    return ok;
}
