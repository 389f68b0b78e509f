/* Monte-Carlo tree search with KataGo's PUCT (cpp/search/): one network evaluation per new node,
 * utilities combining win/loss and KataGo's score utility, first-play urgency, virtual losses across
 * threads, LCB move selection and per-move analysis data, tree reuse between moves.
 *
 * Threading: tg_search_run starts params->num_threads worker threads and returns when they are done.
 * The tree is guarded by one mutex held for selection and backup, never across a network evaluation,
 * so the evaluator (which may batch across threads) is where the threads overlap. Query functions
 * (best move, analysis, root info) take that mutex and may be called from the progress callback or from
 * another thread while a search runs. All other calls must not overlap a tg_search_run.
 *
 * Perspective: values reported in tg_move_info and tg_root_info are from the root player's side
 * (the player to move at the root) unless named white_*. */
#ifndef TENGEN_SEARCH_SEARCH_H
#define TENGEN_SEARCH_SEARCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "game/board.h"
#include "game/history.h"
#include "nn/evaluator.h"
#include "search/searchparams.h"

typedef struct tg_search tg_search;

/* Limits for one tg_search_run; a value <= 0 means "use the params' value". */
typedef struct tg_search_limits {
    int64_t max_visits;    /* root visits, those reused from earlier searches included */
    int64_t max_playouts;  /* playouts in this run */
    double max_time;       /* seconds */
} tg_search_limits;

#define TG_SEARCH_MAX_PV 64

/* One root move, as KataGo's AnalysisData. */
typedef struct tg_move_info {
    tg_loc move;
    int64_t visits;        /* child visits */
    double weight;         /* child weight sum */
    double utility;        /* mean utility, root player's side */
    double winrate;        /* 0.5 * (1 + win - loss), root player's side */
    double score_mean;     /* mean of the score estimate (KataGo's scoreSelfplay), root player's side */
    double score_stdev;
    double score_lead;     /* root player's side */
    double prior;          /* policy prior at the root (after rootPolicyTemperature) */
    double utility_lcb;    /* KataGo's lcb of the utility (root player's side) */
    double lcb;            /* KataGo's hacked winrate LCB: winrate minus the utility radius scaled to winrate units */
    double play_selection_value; /* KataGo's play selection value (weight, LCB-adjusted) */
    double no_result_value; /* mean no-result probability (KataGo's noResultValue) */
    int order;             /* 0 = the move the search would play */
    int pv_len;
    tg_loc pv[TG_SEARCH_MAX_PV]; /* pv[0] == move */
    int64_t pv_visits[TG_SEARCH_MAX_PV]; /* visits of the node each PV move leads to (KataGo's pvVisits) */
} tg_move_info;

typedef struct tg_root_info {
    tg_color pla;          /* player to move at the root */
    int64_t visits;
    double utility, winrate, score_mean, score_stdev, score_lead; /* root player's side */
    double raw_winrate, raw_score_lead; /* the root's own network evaluation, root player's side */
    double weight;         /* the root's weight sum */
    bool has_raw;          /* the root has a network evaluation: the three below are set */
    double raw_st_wr_error, raw_st_score_error, raw_var_time_left; /* its short-term error heads (-1 before model 9) */
} tg_root_info;

/* params is copied; ev must outlive the search. The seed drives symmetries and move choice
 * (pass params->seed when params->has_seed, as KataGo's searchRandSeed). */
tg_search *tg_search_new(const tg_search_params *params, tg_nn_evaluator *ev, uint64_t seed);
void tg_search_free(tg_search *s);
/* Replaces the parameters (kata-set-param); the tree is kept. */
void tg_search_set_params(tg_search *s, const tg_search_params *params);
const tg_search_params *tg_search_get_params(const tg_search *s);

/* Sets the root position (copied) and clears the tree. When next_pla is not hist's presumed next player, the
 * copied history is restarted from board with next_pla to move (KataGo's setPlayerAndClearHistory). */
void tg_search_set_position(tg_search *s, const tg_board *board, const tg_history *hist, tg_color next_pla);
/* Plays loc for pla at the root as KataGo's Search::makeMove does (tolerant legality, restarting the history
 * when pla is not the expected player; prevent_encore as in tg_history_play) and keeps that child's subtree
 * when there is one. false (nothing changed) when the move is not even tolerantly legal. */
bool tg_search_make_move(tg_search *s, tg_loc loc, tg_color pla, bool prevent_encore);
/* Drops the tree, keeping the position. */
void tg_search_clear_tree(tg_search *s);
const tg_board *tg_search_root_board(const tg_search *s);
const tg_history *tg_search_root_history(const tg_search *s);
tg_color tg_search_root_pla(const tg_search *s);

/* Searches with pla to move (when pla differs from the root's player, the history is restarted with pla to
 * move, as KataGo's setPlayerAndClearHistory, and the tree dropped). Stops at the limits, when *stop becomes
 * true (stop may be NULL), or on a network error (false with the message in err). callback, when not NULL,
 * is called from the calling thread about every callback_interval_s seconds while the search runs. */
bool tg_search_run(tg_search *s, tg_color pla, const tg_search_limits *limits,
                   void (*callback)(const tg_search *s, void *ctx), double callback_interval_s, void *ctx,
                   atomic_bool *stop, char *err, size_t errlen);

/* The move with the highest play selection value (LCB-adjusted weight), without temperature; with no
 * visited child, the legal move with the highest prior; TG_NULL_LOC when the root was never evaluated
 * (no tg_search_run since the tree was last cleared). */
tg_loc tg_search_best_move(tg_search *s);
/* KataGo's getChosenMoveLoc: the play selection values with chosenMoveTemperature (interpolated from
 * chosenMoveTemperatureEarly by chosenMoveTemperatureHalflife), sampled with the search's generator. */
tg_loc tg_search_chosen_move(tg_search *s);
/* Fills out with up to max root moves that have visits, in KataGo's analysis order (play selection value,
 * then visits, then prior), each with a principal variation of at most pv_len moves, then, while fewer than
 * min_moves are listed, unvisited moves in policy order (visits 0, first-play-urgency values), as KataGo's
 * minmoves does. Returns the count. */
int tg_search_analysis(const tg_search *s, tg_move_info *out, int max, int pv_len, int min_moves);
void tg_search_root_info(const tg_search *s, tg_root_info *out);
/* Root visits so far (reused ones included) and playouts of the last or current run. */
int64_t tg_search_root_visits(const tg_search *s);
int64_t tg_search_num_playouts(const tg_search *s);

/* KataGo's getAverageTreeOwnership / getAverageAndStandardDeviationTreeOwnership: the network ownership
 * (White's side, +1 White) averaged over the tree, each node's evaluation weighted against its children's
 * subtrees (these by squared weight), stopping where a node's share falls under 0.5 / visits^0.75.
 * own (and stdev, when not NULL) get xsize * ysize values, y * xsize + x. false (all zero) when the root
 * has no ownership yet. */
bool tg_search_tree_ownership(const tg_search *s, double *own, double *stdev);
/* The same for the subtree of root move `move` (movesOwnership); the root's when that move has no
 * evaluated subtree, as KataGo does for unvisited moves. */
bool tg_search_move_ownership(const tg_search *s, tg_loc move, double *own, double *stdev);
/* KataGo's avoidMoveUntilByLoc (analysis avoid / allow): arrays of TG_MAX_ARR_SIZE entries indexed by
 * tg_loc (pass included), or NULL for none. A move whose entry is d is never tried first at fewer than d
 * plies below the root for that colour. Changing the restrictions drops the tree, as in KataGo. */
void tg_search_set_avoid(tg_search *s, const int *black_until, const int *white_until);

/* KataGo's ScoreValue::expectedWhiteScoreValue (normal-distributed score through the atan score value,
 * from a precomputed table), exposed for tests. */
double tg_expected_white_score_value(double white_score_mean, double white_score_stdev, double center,
                                     double scale, double sqrt_board_area);

#endif
