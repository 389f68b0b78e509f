/* Game history under a ruleset: legality with superko, passes and game end, encore phases for
 * territory scoring, handicap bonus, button, and final scoring.
 *
 * Semantics are KataGo's BoardHistory (cpp/game/boardhistory.cpp): the neural-network features
 * (issue 3) read these fields, so they must mean exactly what KataGo's do. */
#ifndef TENGEN_GAME_HISTORY_H
#define TENGEN_GAME_HISTORY_H

#include "board.h"
#include "rules.h"

typedef struct tg_move {
    tg_loc loc;
    tg_color pla;
} tg_move;

#define TG_NUM_RECENT_BOARDS 6

typedef struct tg_history {
    tg_rules rules;

    tg_move *moves;          /* chronological; owned */
    bool *prevent_encore;    /* per move, as passed to tg_history_play; owned */
    int num_moves, cap_moves;

    /* Ko hashes (those that decide "same position" under the ko rule; player included when situational),
     * index 0 = initial state, i+1 = after move i. Entries before first_turn_with_ko_history were cleared. */
    uint64_t *ko_hashes;
    int num_ko_hashes, cap_ko_hashes;
    int first_turn_with_ko_history;

    tg_board initial_board;
    tg_color initial_pla;
    int initial_encore_phase;
    long long initial_turn_number;
    bool assume_multiple_starting_black_moves_are_handicap;
    bool white_has_moved;
    int override_num_handicap_stones;  /* -1 when not overridden */

    tg_board recent_boards[TG_NUM_RECENT_BOARDS];
    int current_recent_board_idx;
    tg_color presumed_next_pla;

    bool was_ever_occupied_or_played[TG_MAX_ARR_SIZE];
    bool super_ko_banned[TG_MAX_ARR_SIZE];

    int consecutive_ending_passes;
    uint64_t *hashes_before_black_pass; int num_hbbp, cap_hbbp;
    uint64_t *hashes_before_white_pass; int num_hbwp, cap_hbwp;

    int encore_phase;
    int num_turns_this_phase;
    int num_approx_valid_turns_this_phase;
    int num_consec_valid_turns_this_game;

    bool ko_recap_blocked[TG_MAX_ARR_SIZE];
    uint64_t ko_recap_block_hash;
    struct tg_encore_ko_capture { uint64_t pos_hash_before; tg_loc loc; tg_color pla; } *ko_captures_in_encore;
    int num_ko_captures_in_encore, cap_ko_captures_in_encore;
    tg_color second_encore_start_colors[TG_MAX_ARR_SIZE];

    float white_bonus_score;
    float white_handicap_bonus_score;
    bool has_button;
    bool is_past_normal_phase_end;

    bool is_game_finished;
    tg_color winner;                 /* TG_EMPTY for a draw or no result */
    float final_white_minus_black_score;
    bool is_scored;
    bool is_no_result;
    bool is_resignation;

    /* Added: KataGo 1.17's alwaysComputePassAliveUnderSuicideRules. When set, every pass-alive
     * computation (game end, scoring) treats multi-stone suicide as legal whatever the rules say;
     * move legality is unaffected. Kept across tg_history_clear, false after tg_history_init. */
    bool always_pass_alive_under_suicide;
} tg_history;

/* A history must be initialised before use and freed after. The board passed is the initial position. */
void tg_history_init(tg_history *h, const tg_board *board, tg_color pla, const tg_rules *rules, int encore_phase);
void tg_history_free(tg_history *h);
/* Deep copy into an initialised or zeroed dst (dst's old contents are freed). */
void tg_history_copy(tg_history *dst, const tg_history *src);
/* Clears the history and restarts it from board/pla with these rules (KataGo's clear()). */
void tg_history_clear(tg_history *h, const tg_board *board, tg_color pla, const tg_rules *rules, int encore_phase);
void tg_history_set_komi(tg_history *h, float komi);
void tg_history_set_assume_multiple_starting_black_moves_are_handicap(tg_history *h, bool v);
void tg_history_set_override_num_handicap_stones(tg_history *h, int n);

/* 0 = current board, 1 = one move ago, ... (< TG_NUM_RECENT_BOARDS). */
const tg_board *tg_history_recent_board(const tg_history *h, int moves_ago);

/* Strict legality under the rules, superko and encore prohibitions included (KataGo's isLegal). */
bool tg_history_is_legal(const tg_history *h, const tg_board *board, tg_loc loc, tg_color pla);
/* What a GUI replaying a game may play (KataGo's isLegalTolerant): refuses only occupied, off-board
 * and single-stone-suicide points; ko, superko and multi-stone suicide are accepted. */
bool tg_history_is_legal_tolerant(const tg_history *h, const tg_board *board, tg_loc loc, tg_color pla);
bool tg_history_pass_would_end_phase(const tg_history *h, const tg_board *board, tg_color pla);
bool tg_history_pass_would_end_game(const tg_history *h, const tg_board *board, tg_color pla);
bool tg_history_is_final_phase(const tg_history *h);
bool tg_history_is_pass_for_ko(const tg_history *h, const tg_board *board, tg_loc loc, tg_color pla);
long long tg_history_current_turn_number(const tg_history *h);

/* Plays a move that is at least pseudolegal on board (KataGo's makeBoardMoveAssumeLegal) and records it.
 * prevent_encore keeps territory-scoring games from entering or advancing the encore. */
void tg_history_play(tg_history *h, tg_board *board, tg_loc loc, tg_color pla, bool prevent_encore);
/* Tolerant play: false (nothing changed) when not even tolerantly legal. */
bool tg_history_play_tolerant(tg_history *h, tg_board *board, tg_loc loc, tg_color pla, bool prevent_encore);

/* Ends the game now and scores the board as it stands (area, or territory with tax), setting winner
 * and final score; area (TG_MAX_ARR_SIZE, may be NULL) receives each point's owner. */
void tg_history_end_and_score_now(tg_history *h, const tg_board *board, tg_color *area);
/* Ends the game if every point is pass-alive stone or territory. */
void tg_history_end_game_if_all_pass_alive(tg_history *h, const tg_board *board);
void tg_history_set_winner_by_resignation(tg_history *h, tg_color pla);
/* Area as used for scoring under the current rules, without ending the game. */
void tg_history_get_area_now(const tg_history *h, const tg_board *board, tg_color *area);

int tg_history_num_handicap_stones_on_board(const tg_board *board);
int tg_history_compute_num_handicap_stones(const tg_history *h);
int tg_history_compute_white_handicap_bonus(const tg_history *h);

/* Rebuilds board and history from h's initial state replaying all but the last n moves (undo). */
bool tg_history_undo(tg_history *h, tg_board *board, int n);

/* ---- Additions ---- */

void tg_history_set_initial_turn_number(tg_history *h, long long n);
void tg_history_set_always_pass_alive_under_suicide(tg_history *h, bool v);
/* The suicide rule to use for pass-alive area: the rules' own, or legal when always_pass_alive_under_suicide. */
bool tg_history_suicide_legal_for_pass_alive(const tg_history *h);

/* KataGo's shouldSuppressEndGameFromFriendlyPass: with friendlyPassOk under area scoring, a second
 * consecutive pass that would end the game (not by the spight-like rule) should not end it in search. */
bool tg_history_should_suppress_end_game_from_friendly_pass(const tg_history *h, const tg_board *board, tg_color pla);

/* KataGo's whiteKomiAdjustmentForDraws / currentSelfKomi, as fed to the neural net:
 * komi + white bonus (button, territory chilling) + handicap bonus, from pla's side. */
float tg_history_white_komi_adjustment_for_draws(const tg_history *h, double draw_equivalent_wins_for_white);
float tg_history_current_self_komi(const tg_history *h, tg_color pla, double draw_equivalent_wins_for_white);

/* KataGo's Search::setPlayerAndClearHistory, done when a player other than the expected one is to move
 * (GTP play/genmove out of turn): clears board's simple ko, restarts the history from the current board
 * with pla to move, same rules and encore phase, keeping assume_multiple_starting_black_moves_are_handicap. */
void tg_history_set_player_and_clear(tg_history *h, tg_board *board, tg_color pla);
/* What KataGo's GTP "play" does to its root history (Search::makeMove): refuses what is not tolerantly
 * legal, restarts the history if pla is not the expected player, then plays. */
bool tg_history_play_as_root(tg_history *h, tg_board *board, tg_loc loc, tg_color pla, bool prevent_encore);

/* Notes on the declarations above:
 * - tg_history_undo behaves as KataGo's GTP undo: a fresh history from h's initial board, player, rules and
 *   encore phase (initial turn number, handicap assumption and override kept), then each remaining move
 *   through tg_history_play_as_root with the prevent_encore it was played with. It cannot reach back past a
 *   tg_history_set_player_and_clear, which restarts h; a GTP layer keeping its own move list should rebuild
 *   with tg_history_init/tg_history_clear and tg_history_play_as_root instead.
 * - tg_history_clear, like KataGo's clear(), resets initial_turn_number, the handicap assumption and the
 *   override, and takes has_button from the phase the history was in before the call. */

#endif
