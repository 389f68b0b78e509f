/* Game history under a ruleset, following KataGo 1.17.2's BoardHistory (cpp/game/boardhistory.cpp)
 * field for field: the neural-net features and the GTP engine read these values directly. */
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers -------------------------------------------------------------------------- */

static void *grow_array(void *ptr, int *cap, int needed, size_t elem) {
    if (needed <= *cap)
        return ptr;
    int newcap = *cap > 0 ? *cap : 16;
    while (newcap < needed)
        newcap *= 2;
    void *p = realloc(ptr, (size_t)newcap * elem);
    if (!p) {
        fprintf(stderr, "tengen: out of memory growing game history\n");
        abort();
    }
    *cap = newcap;
    return p;
}

static void *dup_array(const void *src, int count, size_t elem, int *cap_out) {
    int cap = count > 0 ? count : 1;
    void *p = malloc((size_t)cap * elem);
    if (!p) {
        fprintf(stderr, "tengen: out of memory copying game history\n");
        abort();
    }
    if (count > 0)
        memcpy(p, src, (size_t)count * elem);
    *cap_out = cap;
    return p;
}

static void push_hash(uint64_t **arr, int *n, int *cap, uint64_t v) {
    *arr = grow_array(*arr, cap, *n + 1, sizeof **arr);
    (*arr)[(*n)++] = v;
}

/* moves and prevent_encore are parallel arrays sharing cap_moves. */
static void reserve_moves(tg_history *h, int needed) {
    if (needed <= h->cap_moves)
        return;
    int cap = h->cap_moves;
    h->moves = grow_array(h->moves, &cap, needed, sizeof *h->moves);
    bool *pe = realloc(h->prevent_encore, (size_t)cap * sizeof *pe);
    if (!pe) {
        fprintf(stderr, "tengen: out of memory growing game history\n");
        abort();
    }
    h->prevent_encore = pe;
    h->cap_moves = cap;
}

static bool hash_listed(const uint64_t *arr, int n, uint64_t v) {
    for (int i = 0; i < n; i++)
        if (arr[i] == v)
            return true;
    return false;
}

/* Each ko-recapture mark needs a key of its own, independent of the stone, player and ko-point keys
 * already mixed into position hashes, so derive one by scrambling the ko-point key. */
static uint64_t recap_mark_key(tg_loc loc) {
    uint64_t z = tg_zobrist_ko_loc(loc) ^ 0x6a09e667f3bcc909ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#define FOR_EACH_POINT(b, loc) \
    for (int y_ = 0; y_ < (b)->ysize; y_++) \
        for (int x_ = 0, loc = tg_loc_of(0, y_, (b)->xsize); x_ < (b)->xsize; x_++, loc = tg_loc_of(x_, y_, (b)->xsize))

/* The hash that decides "same position" for ko purposes. Simple and situational ko (and every encore
 * phase) distinguish the player to move; positional and spight do not. */
static uint64_t ko_hash_of(const tg_history *h, const tg_board *board, tg_color pla) {
    if (h->rules.ko_rule == TG_KO_SITUATIONAL || h->rules.ko_rule == TG_KO_SIMPLE || h->encore_phase > 0)
        return board->pos_hash ^ tg_zobrist_player(pla) ^ h->ko_recap_block_hash;
    return board->pos_hash ^ h->ko_recap_block_hash;
}

static uint64_t ko_hash_after_main_phase_move(const tg_rules *rules, uint64_t pos_hash_after, tg_color next_to_move) {
    if (rules->ko_rule == TG_KO_SITUATIONAL || rules->ko_rule == TG_KO_SIMPLE)
        return pos_hash_after ^ tg_zobrist_player(next_to_move);
    return pos_hash_after;
}

static int count_ko_hash(const tg_history *h, uint64_t v) {
    int n = 0;
    for (int i = 0; i < h->num_ko_hashes; i++)
        if (h->ko_hashes[i] == v)
            n++;
    return n;
}

static void set_recap_blocked(tg_history *h, tg_loc loc, bool blocked) {
    if (h->ko_recap_blocked[loc] != blocked) {
        h->ko_recap_blocked[loc] = blocked;
        h->ko_recap_block_hash ^= recap_mark_key(loc);
    }
}

/* ---- lifetime ------------------------------------------------------------------------------- */

void tg_history_init(tg_history *h, const tg_board *board, tg_color pla, const tg_rules *rules, int encore_phase) {
    memset(h, 0, sizeof *h);
    h->initial_pla = TG_BLACK;
    h->presumed_next_pla = pla;
    h->override_num_handicap_stones = -1;
    h->winner = TG_EMPTY;
    h->always_pass_alive_under_suicide = false;
    tg_history_clear(h, board, pla, rules, encore_phase);
}

void tg_history_free(tg_history *h) {
    free(h->moves);
    free(h->prevent_encore);
    free(h->ko_hashes);
    free(h->hashes_before_black_pass);
    free(h->hashes_before_white_pass);
    free(h->ko_captures_in_encore);
    h->moves = NULL;
    h->prevent_encore = NULL;
    h->ko_hashes = NULL;
    h->hashes_before_black_pass = NULL;
    h->hashes_before_white_pass = NULL;
    h->ko_captures_in_encore = NULL;
    h->num_moves = h->cap_moves = 0;
    h->num_ko_hashes = h->cap_ko_hashes = 0;
    h->num_hbbp = h->cap_hbbp = 0;
    h->num_hbwp = h->cap_hbwp = 0;
    h->num_ko_captures_in_encore = h->cap_ko_captures_in_encore = 0;
}

void tg_history_copy(tg_history *dst, const tg_history *src) {
    if (dst == src)
        return;
    tg_history_free(dst);
    *dst = *src;
    int cap_prevent;
    dst->moves = dup_array(src->moves, src->num_moves, sizeof *src->moves, &dst->cap_moves);
    dst->prevent_encore = dup_array(src->prevent_encore, src->num_moves, sizeof *src->prevent_encore, &cap_prevent);
    (void)cap_prevent; /* same count, so the same capacity as moves */
    dst->ko_hashes = dup_array(src->ko_hashes, src->num_ko_hashes, sizeof *src->ko_hashes, &dst->cap_ko_hashes);
    dst->hashes_before_black_pass =
        dup_array(src->hashes_before_black_pass, src->num_hbbp, sizeof *src->hashes_before_black_pass, &dst->cap_hbbp);
    dst->hashes_before_white_pass =
        dup_array(src->hashes_before_white_pass, src->num_hbwp, sizeof *src->hashes_before_white_pass, &dst->cap_hbwp);
    dst->ko_captures_in_encore = dup_array(src->ko_captures_in_encore, src->num_ko_captures_in_encore,
                                           sizeof *src->ko_captures_in_encore, &dst->cap_ko_captures_in_encore);
}

void tg_history_clear(tg_history *h, const tg_board *board, tg_color pla, const tg_rules *rules, int encore_phase) {
    h->rules = *rules;
    h->num_moves = 0;
    h->num_ko_hashes = 0;
    h->first_turn_with_ko_history = 0;

    h->initial_board = *board;
    h->initial_pla = pla;
    h->initial_encore_phase = encore_phase;
    h->initial_turn_number = 0;
    h->assume_multiple_starting_black_moves_are_handicap = false;
    h->white_has_moved = false;
    h->override_num_handicap_stones = -1;

    /* Looking further back than the history reaches shows the starting board. */
    for (int i = 0; i < TG_NUM_RECENT_BOARDS; i++)
        h->recent_boards[i] = *board;
    h->current_recent_board_idx = 0;
    h->presumed_next_pla = pla;

    memset(h->was_ever_occupied_or_played, 0, sizeof h->was_ever_occupied_or_played);
    FOR_EACH_POINT(board, loc) h->was_ever_occupied_or_played[loc] = board->color[loc] != TG_EMPTY;

    memset(h->super_ko_banned, 0, sizeof h->super_ko_banned);
    h->consecutive_ending_passes = 0;
    h->num_hbbp = 0;
    h->num_hbwp = 0;
    h->num_turns_this_phase = 0;
    h->num_approx_valid_turns_this_phase = 0;
    h->num_consec_valid_turns_this_game = 0;
    memset(h->ko_recap_blocked, 0, sizeof h->ko_recap_blocked);
    h->ko_recap_block_hash = 0;
    h->num_ko_captures_in_encore = 0;
    h->white_bonus_score = 0.0f;
    h->white_handicap_bonus_score = 0.0f;
    /* KataGo tests the phase the history was in before this clear, not the new one; reproduced as is
     * (a fresh history is in phase 0, so only reuse of an encore-phase history differs). */
    h->has_button = h->rules.has_button && h->encore_phase == 0;
    h->is_past_normal_phase_end = false;
    h->is_game_finished = false;
    h->winner = TG_EMPTY;
    h->final_white_minus_black_score = 0.0f;
    h->is_scored = false;
    h->is_no_result = false;
    h->is_resignation = false;

    h->encore_phase = encore_phase;
    if (encore_phase == 2)
        memcpy(h->second_encore_start_colors, board->color, sizeof h->second_encore_start_colors);
    else
        memset(h->second_encore_start_colors, TG_EMPTY, sizeof h->second_encore_start_colors);

    push_hash(&h->ko_hashes, &h->num_ko_hashes, &h->cap_ko_hashes, ko_hash_of(h, board, pla));

    if (h->rules.scoring_rule == TG_SCORING_TERRITORY) {
        /* Territory scoring counts as if every stone played cost a point: credit the other side one
         * point per stone already on the board, and per stone captured before the start. */
        FOR_EACH_POINT(board, loc) {
            if (board->color[loc] == TG_BLACK)
                h->white_bonus_score += 1.0f;
            else if (board->color[loc] == TG_WHITE)
                h->white_bonus_score -= 1.0f;
        }
        h->white_bonus_score -= (float)(board->num_white_captures - board->num_black_captures);
    }
    h->white_handicap_bonus_score = (float)tg_history_compute_white_handicap_bonus(h);
}

void tg_history_set_komi(tg_history *h, float komi) {
    float old = h->rules.komi;
    h->rules.komi = komi;
    if (h->is_game_finished && h->is_scored) {
        float s = h->final_white_minus_black_score - old + komi;
        h->final_white_minus_black_score = s;
        h->winner = s > 0.0f ? TG_WHITE : (s < 0.0f ? TG_BLACK : TG_EMPTY);
    }
}

void tg_history_set_initial_turn_number(tg_history *h, long long n) { h->initial_turn_number = n; }

void tg_history_set_assume_multiple_starting_black_moves_are_handicap(tg_history *h, bool v) {
    h->assume_multiple_starting_black_moves_are_handicap = v;
    h->white_handicap_bonus_score = (float)tg_history_compute_white_handicap_bonus(h);
}

void tg_history_set_override_num_handicap_stones(tg_history *h, int n) {
    h->override_num_handicap_stones = n;
    h->white_handicap_bonus_score = (float)tg_history_compute_white_handicap_bonus(h);
}

void tg_history_set_always_pass_alive_under_suicide(tg_history *h, bool v) { h->always_pass_alive_under_suicide = v; }

bool tg_history_suicide_legal_for_pass_alive(const tg_history *h) {
    return h->rules.multi_stone_suicide_legal || h->always_pass_alive_under_suicide;
}

const tg_board *tg_history_recent_board(const tg_history *h, int moves_ago) {
    if (moves_ago < 0) moves_ago = 0;
    if (moves_ago >= TG_NUM_RECENT_BOARDS) moves_ago = TG_NUM_RECENT_BOARDS - 1;
    int idx = (h->current_recent_board_idx - moves_ago + TG_NUM_RECENT_BOARDS) % TG_NUM_RECENT_BOARDS;
    return &h->recent_boards[idx];
}

long long tg_history_current_turn_number(const tg_history *h) {
    long long t = h->initial_turn_number + h->num_moves;
    return t > 0 ? t : 0;
}

/* ---- handicap ------------------------------------------------------------------------------- */

/* Handicap as KataGo infers it: only on a board without white stones, counting black stones plus any
 * leading black moves; a single black stone or move is an ordinary game. */
static int handicap_from(const tg_board *b, int extra_black_moves) {
    int blacks = 0, whites = 0;
    FOR_EACH_POINT(b, loc) {
        if (b->color[loc] == TG_BLACK) blacks++;
        else if (b->color[loc] == TG_WHITE) whites++;
    }
    if (whites != 0)
        return 0;
    int advantage = blacks + extra_black_moves;
    return advantage <= 1 ? 0 : advantage;
}

int tg_history_num_handicap_stones_on_board(const tg_board *board) { return handicap_from(board, 0); }

int tg_history_compute_num_handicap_stones(const tg_history *h) {
    if (h->override_num_handicap_stones >= 0)
        return h->override_num_handicap_stones;
    int leading_black = 0;
    if (h->assume_multiple_starting_black_moves_are_handicap) {
        for (int i = 0; i < h->num_moves; i++) {
            const tg_move *m = &h->moves[i];
            if (m->pla != TG_BLACK) {
                /* White moving twice running means a problem being set up, not handicap placement. */
                if (i + 1 < h->num_moves && h->moves[i + 1].pla != TG_BLACK) {
                    leading_black = 0;
                    break;
                }
                /* A lone white pass between black placements still reads as handicap. */
                if (m->loc == TG_PASS_LOC)
                    continue;
                break;
            }
            if (m->loc != TG_PASS_LOC && m->loc != TG_NULL_LOC)
                leading_black++;
        }
    }
    return handicap_from(&h->initial_board, leading_black);
}

int tg_history_compute_white_handicap_bonus(const tg_history *h) {
    switch (h->rules.white_handicap_bonus_rule) {
    case TG_WHB_N:
        return tg_history_compute_num_handicap_stones(h);
    case TG_WHB_N_MINUS_ONE: {
        int n = tg_history_compute_num_handicap_stones(h);
        return n > 1 ? n - 1 : 0;
    }
    default:
        return 0;
    }
}

/* ---- komi as seen by the net ---------------------------------------------------------------- */

float tg_history_white_komi_adjustment_for_draws(const tg_history *h, double draw_equivalent_wins_for_white) {
    /* When a draw is possible, spread its value as if the score were jittered by half a point. */
    return tg_rules_game_result_will_be_integer(&h->rules) ? (float)(draw_equivalent_wins_for_white - 0.5) : 0.0f;
}

float tg_history_current_self_komi(const tg_history *h, tg_color pla, double draw_equivalent_wins_for_white) {
    float w = h->white_bonus_score + h->white_handicap_bonus_score + h->rules.komi +
              tg_history_white_komi_adjustment_for_draws(h, draw_equivalent_wins_for_white);
    return pla == TG_WHITE ? w : -w;
}

/* ---- legality ------------------------------------------------------------------------------- */

/* In the encore, retaking a ko whose recapture is blocked is not a board move but a "pass for ko",
 * which lifts the block; either the stone that would be captured or the empty retaking point counts. */
bool tg_history_is_pass_for_ko(const tg_history *h, const tg_board *board, tg_loc loc, tg_color pla) {
    if (h->encore_phase <= 0 || loc == TG_PASS_LOC || !tg_board_on_board(board, loc))
        return false;
    tg_color opp = tg_opp(pla);
    if (board->color[loc] == opp && h->ko_recap_blocked[loc] && tg_board_chain_size(board, loc) == 1 &&
        tg_board_liberties(board, loc) == 1)
        return true;
    if (board->color[loc] == TG_EMPTY) {
        tg_loc cap = tg_board_ko_capture_loc(board, loc, pla);
        if (cap != TG_NULL_LOC && h->ko_recap_blocked[cap] && board->color[cap] == opp)
            return true;
    }
    return false;
}

bool tg_history_is_legal(const tg_history *h, const tg_board *board, tg_loc loc, tg_color pla) {
    if (pla != h->presumed_next_pla)
        return false;
    if (h->encore_phase > 0) {
        if (tg_history_is_pass_for_ko(h, board, loc, pla))
            return true;
        /* The encore replaces simple ko with recapture blocks, so board.ko_loc is not consulted. */
    } else if (loc != TG_PASS_LOC && tg_board_is_ko_banned(board, loc)) {
        return false;
    }
    if (!tg_board_is_legal_ignoring_ko(board, loc, pla, h->rules.multi_stone_suicide_legal))
        return false;
    if (loc >= 0 && loc < TG_MAX_ARR_SIZE && h->super_ko_banned[loc])
        return false;
    return true;
}

bool tg_history_is_legal_tolerant(const tg_history *h, const tg_board *board, tg_loc loc, tg_color pla) {
    if (pla != TG_BLACK && pla != TG_WHITE)
        return false;
    if (tg_history_is_pass_for_ko(h, board, loc, pla))
        return true;
    return tg_board_is_legal_ignoring_ko(board, loc, pla, true);
}

/* ---- passes and phase ends ------------------------------------------------------------------ */

static int ending_passes_after_pass(const tg_history *h) {
    if (h->encore_phase > 0)
        return h->consecutive_ending_passes + 1;
    /* Under spight ko only a repeated pass situation ends the phase, never a plain count. */
    if (h->rules.ko_rule == TG_KO_SPIGHT)
        return 0;
    return h->consecutive_ending_passes + 1;
}

/* Phases where a pass lifts ko bans (clearing ko history) and where passing again from a situation
 * one already passed from ends the phase. */
static bool phase_has_spightlike_ending(const tg_history *h) {
    return h->encore_phase > 0 || h->rules.ko_rule == TG_KO_SIMPLE || h->rules.ko_rule == TG_KO_SPIGHT;
}

static bool is_spightlike_ending_pass(const tg_history *h, tg_color pla, uint64_t ko_hash_before) {
    if (!phase_has_spightlike_ending(h))
        return false;
    if (pla == TG_BLACK)
        return hash_listed(h->hashes_before_black_pass, h->num_hbbp, ko_hash_before);
    if (pla == TG_WHITE)
        return hash_listed(h->hashes_before_white_pass, h->num_hbwp, ko_hash_before);
    return false;
}

bool tg_history_pass_would_end_phase(const tg_history *h, const tg_board *board, tg_color pla) {
    return ending_passes_after_pass(h) >= 2 || is_spightlike_ending_pass(h, pla, ko_hash_of(h, board, pla));
}

bool tg_history_is_final_phase(const tg_history *h) {
    return h->rules.scoring_rule == TG_SCORING_AREA ||
           (h->rules.scoring_rule == TG_SCORING_TERRITORY && h->encore_phase >= 2);
}

bool tg_history_pass_would_end_game(const tg_history *h, const tg_board *board, tg_color pla) {
    return tg_history_pass_would_end_phase(h, board, pla) && tg_history_is_final_phase(h);
}

bool tg_history_should_suppress_end_game_from_friendly_pass(const tg_history *h, const tg_board *board, tg_color pla) {
    return h->rules.friendly_pass_ok && h->rules.scoring_rule == TG_SCORING_AREA && ending_passes_after_pass(h) == 2 &&
           !is_spightlike_ending_pass(h, pla, ko_hash_of(h, board, pla));
}

/* ---- scoring -------------------------------------------------------------------------------- */

static int area_score_white_minus_black(const tg_history *h, const tg_board *board, tg_color *area) {
    int score = 0;
    bool sui = tg_history_suicide_legal_for_pass_alive(h);
    if (h->rules.tax_rule == TG_TAX_NONE) {
        tg_board_calculate_area(board, area, true, true, true, sui);
    } else {
        int regions = 0;
        tg_board_calculate_independent_life_area(board, area, &regions, false, true, sui);
        if (h->rules.tax_rule == TG_TAX_ALL)
            score -= 2 * regions;
    }
    FOR_EACH_POINT(board, loc) {
        if (area[loc] == TG_WHITE) score += 1;
        else if (area[loc] == TG_BLACK) score -= 1;
    }
    return score;
}

/* Also colours in area the stones that count without being pass-alive. */
static int territory_score_white_minus_black(const tg_history *h, const tg_board *board, tg_color *area) {
    int score = 0;
    bool keep_territories = h->rules.tax_rule == TG_TAX_NONE;
    int regions = 0;
    tg_board_calculate_independent_life_area(board, area, &regions, keep_territories, false,
                                             tg_history_suicide_legal_for_pass_alive(h));
    FOR_EACH_POINT(board, loc) {
        if (area[loc] == TG_WHITE) {
            score += 1;
        } else if (area[loc] == TG_BLACK) {
            score -= 1;
        } else {
            /* Stones count where they stood at the start of the second encore phase; before that
             * phase (a game cut short) every stone on the board counts. */
            tg_color c = board->color[loc];
            if (c == TG_WHITE && (h->encore_phase < 2 || h->second_encore_start_colors[loc] == TG_WHITE)) {
                score += 1;
                area[loc] = TG_WHITE;
            }
            if (c == TG_BLACK && (h->encore_phase < 2 || h->second_encore_start_colors[loc] == TG_BLACK)) {
                score -= 1;
                area[loc] = TG_BLACK;
            }
        }
    }
    if (h->rules.tax_rule == TG_TAX_ALL)
        score -= 2 * regions;
    return score;
}

static void set_final_score(tg_history *h, float score) {
    h->final_white_minus_black_score = score;
    h->winner = score > 0.0f ? TG_WHITE : (score < 0.0f ? TG_BLACK : TG_EMPTY);
}

/* Whoever is to move when the game ends has not passed first: the button went to the other side. */
static void settle_button(tg_history *h) {
    if (h->has_button) {
        h->has_button = false;
        h->white_bonus_score += h->presumed_next_pla == TG_WHITE ? 0.5f : -0.5f;
    }
}

static void mark_scored(tg_history *h, float board_score) {
    set_final_score(h, board_score + h->white_bonus_score + h->white_handicap_bonus_score + h->rules.komi);
    h->is_scored = true;
    h->is_no_result = false;
    h->is_resignation = false;
    h->is_game_finished = true;
    h->is_past_normal_phase_end = false;
}

void tg_history_get_area_now(const tg_history *h, const tg_board *board, tg_color *area) {
    tg_color local[TG_MAX_ARR_SIZE];
    if (!area) area = local;
    if (h->rules.scoring_rule == TG_SCORING_AREA)
        area_score_white_minus_black(h, board, area);
    else
        territory_score_white_minus_black(h, board, area);
}

void tg_history_end_and_score_now(tg_history *h, const tg_board *board, tg_color *area) {
    tg_color local[TG_MAX_ARR_SIZE];
    if (!area) area = local;
    int board_score = h->rules.scoring_rule == TG_SCORING_AREA ? area_score_white_minus_black(h, board, area)
                                                                : territory_score_white_minus_black(h, board, area);
    settle_button(h);
    mark_scored(h, (float)board_score);
}

void tg_history_end_game_if_all_pass_alive(tg_history *h, const tg_board *board) {
    tg_color area[TG_MAX_ARR_SIZE];
    tg_board_calculate_area(board, area, false, false, false, tg_history_suicide_legal_for_pass_alive(h));
    int board_score = 0;
    FOR_EACH_POINT(board, loc) {
        if (area[loc] == TG_WHITE) board_score += 1;
        else if (area[loc] == TG_BLACK) board_score -= 1;
        else return;
    }
    /* The group tax is not visible in the pass-alive count, so score properly in that case. */
    if (h->rules.tax_rule == TG_TAX_ALL) {
        tg_history_end_and_score_now(h, board, NULL);
        return;
    }
    settle_button(h);
    mark_scored(h, (float)board_score);
}

void tg_history_set_winner_by_resignation(tg_history *h, tg_color pla) {
    h->is_game_finished = true;
    h->is_past_normal_phase_end = false;
    h->is_scored = false;
    h->is_no_result = false;
    h->is_resignation = true;
    h->winner = pla;
    h->final_white_minus_black_score = 0.0f;
}

/* ---- making moves --------------------------------------------------------------------------- */

static void mark_super_ko_bans(tg_history *h, const tg_board *board, tg_color next) {
    if (h->encore_phase <= 0 && h->rules.ko_rule != TG_KO_SIMPLE) {
        FOR_EACH_POINT(board, loc) {
            bool banned = false;
            if (board->color[loc] != TG_EMPTY) {
                banned = false;
            } else if (!h->was_ever_occupied_or_played[loc] && !tg_board_is_suicide(board, loc, next)) {
                /* A stone appears where none ever stood, so the position is new. */
                banned = false;
            } else if (tg_board_is_illegal_suicide(board, loc, next, h->rules.multi_stone_suicide_legal) ||
                       loc == board->ko_loc) {
                /* Already illegal for other reasons. */
                banned = false;
            } else {
                uint64_t after = tg_board_pos_hash_after(board, loc, next);
                banned = count_ko_hash(h, ko_hash_after_main_phase_move(&h->rules, after, tg_opp(next))) > 0;
            }
            h->super_ko_banned[loc] = banned;
        }
    } else if (h->encore_phase > 0) {
        /* In the encore each ko may be captured only once per player from a given position. */
        memset(h->super_ko_banned, 0, sizeof h->super_ko_banned);
        for (int i = 0; i < h->num_ko_captures_in_encore; i++) {
            const struct tg_encore_ko_capture *c = &h->ko_captures_in_encore[i];
            if (c->pos_hash_before == board->pos_hash && c->pla == next)
                h->super_ko_banned[c->loc] = true;
        }
    }
}

static void advance_encore_phase(tg_history *h, const tg_board *board, tg_color just_moved) {
    h->encore_phase += 1;
    h->num_turns_this_phase = 0;
    h->num_approx_valid_turns_this_phase = 0;
    if (h->encore_phase == 2)
        memcpy(h->second_encore_start_colors, board->color, sizeof h->second_encore_start_colors);
    memset(h->super_ko_banned, 0, sizeof h->super_ko_banned);
    h->consecutive_ending_passes = 0;
    h->num_hbbp = 0;
    h->num_hbwp = 0;
    memset(h->ko_recap_blocked, 0, sizeof h->ko_recap_blocked);
    h->ko_recap_block_hash = 0;
    h->num_ko_captures_in_encore = 0;
    /* Ko history restarts with the position the phase-ending move produced. */
    h->num_ko_hashes = 0;
    push_hash(&h->ko_hashes, &h->num_ko_hashes, &h->cap_ko_hashes, ko_hash_of(h, board, tg_opp(just_moved)));
    h->first_turn_with_ko_history = h->num_moves;
}

void tg_history_play(tg_history *h, tg_board *board, tg_loc loc, tg_color pla, bool prevent_encore) {
    uint64_t pos_hash_before = board->pos_hash;

    /* Play continuing after an ended game or phase: only the newest move is trusted as valid. */
    if (h->is_game_finished || h->is_past_normal_phase_end) {
        if (h->num_approx_valid_turns_this_phase > 1) h->num_approx_valid_turns_this_phase = 1;
        if (h->num_consec_valid_turns_this_game > 1) h->num_consec_valid_turns_this_game = 1;
    }

    bool illegal = !tg_history_is_legal(h, board, loc, pla);

    h->is_game_finished = false;
    h->is_past_normal_phase_end = false;
    h->winner = TG_EMPTY;
    h->final_white_minus_black_score = 0.0f;
    h->is_scored = false;
    h->is_no_result = false;
    h->is_resignation = false;

    bool spightlike_end = false;
    if (loc != TG_PASS_LOC) {
        h->consecutive_ending_passes = 0;
    } else if (h->has_button) {
        /* Taking the button is a pass that does not count toward ending the game; the state after it
         * is a different situation from any before, so all ko and pass history is dropped. */
        h->has_button = false;
        h->white_bonus_score += pla == TG_WHITE ? 0.5f : -0.5f;
        h->consecutive_ending_passes = 0;
        h->num_hbbp = 0;
        h->num_hbwp = 0;
        h->num_ko_hashes = 0;
        h->first_turn_with_ko_history = h->num_moves + 1;
    } else {
        if (phase_has_spightlike_ending(h)) {
            /* A pass lifts ko bans here; the pass-situation lists survive, they detect the phase end. */
            h->num_ko_hashes = 0;
            h->first_turn_with_ko_history = h->num_moves + 1;
        }
        uint64_t before = ko_hash_of(h, board, pla);
        h->consecutive_ending_passes = ending_passes_after_pass(h);
        spightlike_end = is_spightlike_ending_pass(h, pla, before);
        if (pla == TG_BLACK)
            push_hash(&h->hashes_before_black_pass, &h->num_hbbp, &h->cap_hbbp, before);
        else
            push_hash(&h->hashes_before_white_pass, &h->num_hbwp, &h->cap_hbwp, before);
    }

    bool was_pass_for_ko = false;
    if (h->encore_phase > 0 && loc != TG_PASS_LOC && tg_board_on_board(board, loc)) {
        tg_loc lifted = TG_NULL_LOC;
        if (board->color[loc] == tg_opp(pla) && h->ko_recap_blocked[loc]) {
            lifted = loc;
        } else if (board->color[loc] == TG_EMPTY) {
            tg_loc cap = tg_board_ko_capture_loc(board, loc, pla);
            if (cap != TG_NULL_LOC && h->ko_recap_blocked[cap] && board->color[cap] == tg_opp(pla))
                lifted = cap;
        }
        if (lifted != TG_NULL_LOC) {
            set_recap_blocked(h, lifted, false);
            was_pass_for_ko = true;
            /* The board sees the same side move twice; a stale simple ko must not survive that. */
            tg_board_clear_simple_ko(board);
        }
    }
    if (!was_pass_for_ko) {
        tg_board_play(board, loc, pla);
        if (h->encore_phase > 0) {
            if (board->ko_loc != TG_NULL_LOC) {
                /* A ko capture in the encore blocks the recapture until the opponent passes for it. */
                set_recap_blocked(h, loc, true);
                h->ko_captures_in_encore = grow_array(h->ko_captures_in_encore, &h->cap_ko_captures_in_encore,
                                                      h->num_ko_captures_in_encore + 1,
                                                      sizeof *h->ko_captures_in_encore);
                struct tg_encore_ko_capture *c = &h->ko_captures_in_encore[h->num_ko_captures_in_encore++];
                c->pos_hash_before = pos_hash_before;
                c->loc = loc;
                c->pla = pla;
                tg_board_clear_simple_ko(board);
            }
            FOR_EACH_POINT(board, p) {
                if (board->color[p] == TG_EMPTY && h->ko_recap_blocked[p])
                    set_recap_blocked(h, p, false);
            }
        }
    }

    h->current_recent_board_idx = (h->current_recent_board_idx + 1) % TG_NUM_RECENT_BOARDS;
    h->recent_boards[h->current_recent_board_idx] = *board;

    push_hash(&h->ko_hashes, &h->num_ko_hashes, &h->cap_ko_hashes, ko_hash_of(h, board, tg_opp(pla)));
    reserve_moves(h, h->num_moves + 1);
    h->moves[h->num_moves].loc = loc;
    h->moves[h->num_moves].pla = pla;
    h->prevent_encore[h->num_moves] = prevent_encore;
    h->num_moves++;
    h->num_turns_this_phase += 1;
    h->num_approx_valid_turns_this_phase += 1;
    h->num_consec_valid_turns_this_game += 1;
    h->presumed_next_pla = tg_opp(pla);
    if (illegal)
        h->num_consec_valid_turns_this_game = 0;
    if (loc != TG_PASS_LOC && loc >= 0 && loc < TG_MAX_ARR_SIZE)
        h->was_ever_occupied_or_played[loc] = true;

    mark_super_ko_bans(h, board, tg_opp(pla));

    /* Territory scoring: each stone played in the main phase or first encore costs its player a point. */
    if (h->rules.scoring_rule == TG_SCORING_TERRITORY && h->encore_phase <= 1 && loc != TG_PASS_LOC && !was_pass_for_ko)
        h->white_bonus_score += pla == TG_BLACK ? 1.0f : -1.0f;

    if (pla == TG_WHITE && loc != TG_PASS_LOC)
        h->white_has_moved = true;
    if (h->assume_multiple_starting_black_moves_are_handicap && !h->white_has_moved && pla == TG_BLACK &&
        h->rules.white_handicap_bonus_rule != TG_WHB_ZERO)
        h->white_handicap_bonus_score = (float)tg_history_compute_white_handicap_bonus(h);

    if (h->consecutive_ending_passes >= 2 || spightlike_end) {
        if (h->rules.scoring_rule == TG_SCORING_AREA || h->encore_phase >= 2) {
            tg_history_end_and_score_now(h, board, NULL);
        } else if (prevent_encore) {
            /* Stay in this phase; the game went on past where it should have ended, so only the
             * latest pass on its own still counts as a valid continuation. */
            h->is_past_normal_phase_end = true;
            if (h->num_approx_valid_turns_this_phase > 1) h->num_approx_valid_turns_this_phase = 1;
            if (h->num_consec_valid_turns_this_game > 1) h->num_consec_valid_turns_this_game = 1;
        } else {
            advance_encore_phase(h, board, pla);
        }
    }

    /* Without superko, a position repeated three times since the last pass voids the game. */
    if (loc != TG_PASS_LOC && (h->encore_phase > 0 || h->rules.ko_rule == TG_KO_SIMPLE)) {
        if (count_ko_hash(h, h->ko_hashes[h->num_ko_hashes - 1]) >= 3) {
            h->is_no_result = true;
            h->is_game_finished = true;
        }
    }
}

bool tg_history_play_tolerant(tg_history *h, tg_board *board, tg_loc loc, tg_color pla, bool prevent_encore) {
    if (!tg_history_is_legal_tolerant(h, board, loc, pla))
        return false;
    tg_history_play(h, board, loc, pla, prevent_encore);
    return true;
}

void tg_history_set_player_and_clear(tg_history *h, tg_board *board, tg_color pla) {
    tg_board_clear_simple_ko(board);
    tg_rules rules = h->rules;
    bool assume = h->assume_multiple_starting_black_moves_are_handicap;
    tg_history_clear(h, board, pla, &rules, h->encore_phase);
    tg_history_set_assume_multiple_starting_black_moves_are_handicap(h, assume);
}

bool tg_history_play_as_root(tg_history *h, tg_board *board, tg_loc loc, tg_color pla, bool prevent_encore) {
    if (!tg_history_is_legal_tolerant(h, board, loc, pla))
        return false;
    if (pla != h->presumed_next_pla)
        tg_history_set_player_and_clear(h, board, pla);
    tg_history_play(h, board, loc, pla, prevent_encore);
    return true;
}

bool tg_history_undo(tg_history *h, tg_board *board, int n) {
    if (n < 0 || n > h->num_moves)
        return false;
    int keep = h->num_moves - n;
    tg_move *moves = NULL;
    bool *prevent = NULL;
    if (keep > 0) {
        moves = malloc((size_t)keep * sizeof *moves);
        prevent = malloc((size_t)keep * sizeof *prevent);
        if (!moves || !prevent) {
            fprintf(stderr, "tengen: out of memory in undo\n");
            abort();
        }
        memcpy(moves, h->moves, (size_t)keep * sizeof *moves);
        memcpy(prevent, h->prevent_encore, (size_t)keep * sizeof *prevent);
    }
    long long turn0 = h->initial_turn_number;
    bool assume = h->assume_multiple_starting_black_moves_are_handicap;
    int override_n = h->override_num_handicap_stones;
    tg_board start = h->initial_board;
    tg_rules rules = h->rules;
    tg_color start_pla = h->initial_pla;
    int start_phase = h->initial_encore_phase;

    /* As KataGo's GTP undo: a brand-new history (so phase 0 before its clear) replayed move by move
     * the way GTP play applies them. */
    h->encore_phase = 0;
    tg_history_clear(h, &start, start_pla, &rules, start_phase);
    h->initial_turn_number = turn0;
    tg_history_set_assume_multiple_starting_black_moves_are_handicap(h, assume);
    tg_history_set_override_num_handicap_stones(h, override_n);
    *board = start;

    bool ok = true;
    for (int i = 0; i < keep; i++)
        if (!tg_history_play_as_root(h, board, moves[i].loc, moves[i].pla, prevent[i]))
            ok = false;
    free(moves);
    free(prevent);
    return ok;
}
