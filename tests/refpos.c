/* Replaying GTP setup commands into a board and history, through the engine's own GTP front end so
 * that tests see exactly the position `tengen gtp` would hold. See refpos.h. */
#include "refpos.h"

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
