/* Pieces shared by the JSON analysis engine's files: one analysis request (a query's position at one turn),
 * the settings every query starts from, and the functions that parse queries and build responses. */
#ifndef TENGEN_FRONT_ANALYSIS_INTERNAL_H
#define TENGEN_FRONT_ANALYSIS_INTERNAL_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "analysis_format.h"
#include "config.h"
#include "game/board.h"
#include "game/history.h"
#include "search/search.h"

/* Where a request is in its life; a terminate turns any of them into TERMINATED. */
enum { TG_AREQ_QUEUED, TG_AREQ_RUNNING, TG_AREQ_TERMINATED };

typedef struct tg_analysis_request {
    char *id;
    int turn_number;
    int64_t priority;
    uint64_t seq; /* arrival order, breaking priority ties first come first served */
    tg_board board;
    tg_history hist;
    tg_color next_pla;
    tg_search_params params;
    int perspective; /* tg_perspective */
    int pv_len;      /* moves after the first */
    bool ownership, ownership_stdev, moves_ownership, moves_ownership_stdev;
    bool policy, pv_visits, no_result_value;
    double report_every_s; /* 0: only the final response */
    double first_report_after_s;
    bool has_avoid;
    int avoid_until[2][TG_MAX_ARR_SIZE]; /* [colour - 1][loc], as tg_search_set_avoid takes them */
    atomic_int status;
    atomic_bool stop;
} tg_analysis_request;

/* What every query starts from: the config's search settings and analysis keys. */
typedef struct tg_analysis_defaults {
    const tg_config *cfg;
    tg_search_params params;
    int perspective;
    int pv_len;
    bool warn_unused_fields;
    bool assume_multiple_starting_black_moves_are_handicap;
    bool prevent_encore;
} tg_analysis_defaults;

/* Writes one line of JSON (the object is consumed). Thread-safe; implemented by the engine. */
typedef void (*tg_analysis_emit_fn)(json_t *obj, void *ctx);

/* Turns one query object (not an action) into requests, one per analysed turn, in turn order. Errors and
 * warnings go out through emit as KataGo words them; on an error *count is 0 and NULL is returned. */
tg_analysis_request **tg_analysis_parse_query(json_t *query, const char *id, const tg_analysis_defaults *d,
                                              tg_analysis_emit_fn emit, void *emit_ctx, int *count);
void tg_analysis_request_free(tg_analysis_request *r);

/* Error and warning objects, KataGo's shapes: {"error":...}, {"id","field","error"|"warning"}. */
json_t *tg_analysis_error(const char *id, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
json_t *tg_analysis_warning(const char *id, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The response for a request from the search's current state; NULL when the root has no visits yet.
 * raw is the root position's own network evaluation (NULL when there is none). */
json_t *tg_analysis_response(const tg_analysis_request *r, const tg_search *s, const tg_nn_result *raw,
                             bool during_search);
/* {"id","turnNumber","isDuringSearch":false,"noResults":true}: a request ended before any visit. */
json_t *tg_analysis_no_results(const tg_analysis_request *r);

#endif
