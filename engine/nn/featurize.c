/* Network input features, version 7. See featurize.h for the plane list; the comments below say why
 * each feature is computed the way it is, following KataGo's fillRowV7 point for point. */
#include "featurize.h"

#include <math.h>
#include <string.h>

#include "../game/ladder.h"

/* Komi beyond the board area plus this margin tells the network nothing more; KataGo clips it. */
#define KOMI_CLIP_RADIUS 20.0f

void tg_nn_input_params_default(tg_nn_input_params *p) {
    memset(p, 0, sizeof *p);
    p->draw_equivalent_wins_for_white = 0.5;
    p->conservative_pass_and_is_root = false;
    p->enable_passing_hacks = false;
    p->playout_doubling_advantage = 0.0;
    p->nn_policy_temperature = 1.0f;
    p->avoid_myt_dagger_hack = false;
    p->policy_optimism = 0.0;
    p->max_history = 1000;
    p->pass_alive_suicide_override = -1;
}

bool tg_nn_suicide_legal_for_pass_alive(const tg_history *hist, const tg_nn_input_params *params) {
    bool always = params->pass_alive_suicide_override >= 0 ? params->pass_alive_suicide_override != 0
                                                           : hist->always_pass_alive_under_suicide;
    return hist->rules.multi_stone_suicide_legal || always;
}

int tg_nn_inputs_version(int model_version) { return model_version >= 8 && model_version <= 17 ? 7 : -1; }

typedef struct planes {
    float *data;
    int nn_x_len, area;
    int xsize;
} planes;

static inline void set_xy(const planes *p, int feature, int x, int y) {
    p->data[feature * p->area + y * p->nn_x_len + x] = 1.0f;
}

static inline void set_loc(const planes *p, int feature, tg_loc loc) {
    set_xy(p, feature, tg_loc_x(loc, p->xsize), tg_loc_y(loc, p->xsize));
}

typedef struct ladder_marks {
    const planes *p;
    const tg_board *board;
    int feature;
    tg_color opp;      /* only for the current board: whose two-liberty chains get working moves marked */
    bool mark_working;
} ladder_marks;

static void on_ladder(void *ctx, tg_loc loc, const tg_loc *working, int num_working) {
    ladder_marks *m = ctx;
    set_loc(m->p, m->feature, loc);
    /* Working attacks only matter for the side to move: they are its chances to ladder the opponent. */
    if (m->mark_working && m->board->color[loc] == m->opp &&
        m->board->chain_libs[m->board->chain_head[loc]] > 1) {
        for (int i = 0; i < num_working; i++) set_loc(m->p, 17, working[i]);
    }
}

static void mark_ladders(const planes *p, const tg_board *b, int feature, bool mark_working, tg_color opp,
                         tg_ladder_work *w) {
    ladder_marks m = {.p = p, .board = b, .feature = feature, .opp = opp, .mark_working = mark_working};
    tg_ladder_iterate(b, w, on_ladder, &m);
}

/* The triangle wave of global feature 18: komi is worth most just above a value that allows a draw
 * (where half a point turns draws into wins) and least just above one that does not. */
static float komi_parity_wave(float self_komi, int xsize, int ysize) {
    bool even_area = (xsize * ysize) % 2 == 0;
    /* Drawable komis share the board area's parity. */
    float below = even_area ? floorf(self_komi / 2.0f) * 2.0f : floorf((self_komi - 1.0f) / 2.0f) * 2.0f + 1.0f;
    float delta = self_komi - below;
    if (delta < 0.0f) delta = 0.0f;
    if (delta > 2.0f) delta = 2.0f;
    if (delta < 0.5f) return delta;
    if (delta < 1.5f) return 1.0f - delta;
    return delta - 2.0f;
}

void tg_nn_fill_inputs_v7(const tg_board *board, const tg_history *hist, tg_color next_pla,
                          const tg_nn_input_params *params, int nn_x_len, int nn_y_len, float *spatial,
                          float *global) {
    const int area = nn_x_len * nn_y_len;
    memset(spatial, 0, sizeof(float) * (size_t)TG_NN_NUM_SPATIAL_V7 * (size_t)area);
    memset(global, 0, sizeof(float) * TG_NN_NUM_GLOBAL_V7);

    const tg_color pla = next_pla, opp = tg_opp(next_pla);
    const int xsize = board->xsize, ysize = board->ysize;
    const planes p = {.data = spatial, .nn_x_len = nn_x_len, .area = area, .xsize = xsize};
    const tg_rules *rules = &hist->rules;

    /* Stones and liberties. */
    for (int y = 0; y < ysize; y++) {
        for (int x = 0; x < xsize; x++) {
            tg_loc loc = tg_loc_of(x, y, xsize);
            set_xy(&p, 0, x, y);
            tg_color c = board->color[loc];
            if (c != pla && c != opp) continue;
            set_xy(&p, c == pla ? 1 : 2, x, y);
            int libs = tg_board_liberties(board, loc);
            if (libs >= 1 && libs <= 3) set_xy(&p, 2 + libs, x, y);
        }
    }

    /* Ko bans. In the encore, simple ko is replaced by the encore's own recapture rules. */
    if (hist->encore_phase == 0) {
        if (board->ko_loc != TG_NULL_LOC) set_loc(&p, 6, board->ko_loc);
        for (int y = 0; y < ysize; y++)
            for (int x = 0; x < xsize; x++)
                if (hist->super_ko_banned[tg_loc_of(x, y, xsize)]) set_xy(&p, 6, x, y);
    } else {
        for (int y = 0; y < ysize; y++) {
            for (int x = 0; x < xsize; x++) {
                tg_loc loc = tg_loc_of(x, y, xsize);
                if (hist->super_ko_banned[loc]) set_xy(&p, 6, x, y);
                if (hist->ko_recap_blocked[loc]) set_xy(&p, 7, x, y);
            }
        }
    }

    /* Area as the ruleset will count it. Territory rules show it only from the second encore on,
     * when the board is what gets scored. */
    tg_color owner[TG_MAX_ARR_SIZE];
    bool has_area = false;
    int tax_adjust_for_pla = 0;
    bool sui = tg_nn_suicide_legal_for_pass_alive(hist, params);
    if (rules->scoring_rule == TG_SCORING_AREA && rules->tax_rule == TG_TAX_NONE) {
        has_area = true;
        tg_board_calculate_area(board, owner, true, true, true, sui);
    } else {
        bool keep_territories = false, keep_stones = false;
        if (rules->scoring_rule == TG_SCORING_AREA) {
            has_area = true;
            keep_stones = true;
        } else if (hist->encore_phase >= 2) {
            has_area = true;
            keep_territories = rules->tax_rule == TG_TAX_NONE;
        }
        if (has_area) {
            int white_minus_black_regions = 0;
            tg_board_calculate_independent_life_area(board, owner, &white_minus_black_regions, keep_territories,
                                                     keep_stones, sui);
            if (rules->tax_rule == TG_TAX_ALL)
                tax_adjust_for_pla = 2 * (pla == TG_WHITE ? -white_minus_black_regions : white_minus_black_regions);
        }
    }

    bool ending_now_would_not_win = false;
    if (has_area) {
        int score_for_pla = tax_adjust_for_pla;
        for (int y = 0; y < ysize; y++) {
            for (int x = 0; x < xsize; x++) {
                tg_loc loc = tg_loc_of(x, y, xsize);
                tg_color o = owner[loc];
                /* Under territory scoring, stones standing since the second encore began count too. */
                if (o != pla && o != opp && rules->scoring_rule == TG_SCORING_TERRITORY &&
                    board->color[loc] == hist->second_encore_start_colors[loc])
                    o = board->color[loc];
                if (o == pla) {
                    set_xy(&p, 18, x, y);
                    score_for_pla++;
                } else if (o == opp) {
                    set_xy(&p, 19, x, y);
                    score_for_pla--;
                }
            }
        }
        float final_for_pla =
            (float)score_for_pla + tg_history_current_self_komi(hist, pla, params->draw_equivalent_wins_for_white);
        ending_now_would_not_win = final_for_pla <= 0.0f;
    }

    /* Recent moves. When a pass would end the game but the caller wants that ignored, the history is
     * hidden so the network does not see the passes that make it so; a finished game shows one move. */
    int max_turns = 5;
    bool hide_pass_ends_phase = false;
    if (tg_history_pass_would_end_game(hist, board, next_pla) &&
        (params->conservative_pass_and_is_root ||
         tg_history_should_suppress_end_game_from_friendly_pass(hist, board, next_pla) ||
         (params->enable_passing_hacks && ending_now_would_not_win))) {
        max_turns = 0;
        hide_pass_ends_phase = true;
    } else if (hist->is_game_finished || hist->is_past_normal_phase_end) {
        max_turns = 1;
    }
    if (max_turns > params->max_history) max_turns = params->max_history;
    /* Moves from before the current phase began do not count as history. */
    if (max_turns > hist->num_approx_valid_turns_this_phase) max_turns = hist->num_approx_valid_turns_this_phase;

    /* The moves shown must alternate, the most recent by the opponent; the first break ends the run. */
    int shown = 0;
    for (int k = 0; k < max_turns && k < hist->num_moves; k++) {
        const tg_move *m = &hist->moves[hist->num_moves - 1 - k];
        if (m->pla != (k % 2 == 0 ? opp : pla)) break;
        shown = k + 1;
        if (m->loc == TG_PASS_LOC) global[k] = 1.0f;
        else if (m->loc != TG_NULL_LOC) set_loc(&p, 9 + k, m->loc);
    }

    /* Ladders now, one move ago and two moves ago (each only if that move is shown). */
    tg_ladder_work work = {0};
    mark_ladders(&p, board, 14, true, opp, &work);
    const tg_board *prev = shown >= 1 ? tg_history_recent_board(hist, 1) : board;
    mark_ladders(&p, prev, 15, false, opp, &work);
    const tg_board *prev2 = shown >= 2 ? tg_history_recent_board(hist, 2) : prev;
    mark_ladders(&p, prev2, 16, false, opp, &work);
    tg_ladder_work_free(&work);

    /* Stones present when the second encore started. */
    if (hist->encore_phase >= 2) {
        for (int y = 0; y < ysize; y++) {
            for (int x = 0; x < xsize; x++) {
                tg_color c = hist->second_encore_start_colors[tg_loc_of(x, y, xsize)];
                if (c == pla) set_xy(&p, 20, x, y);
                else if (c == opp) set_xy(&p, 21, x, y);
            }
        }
    }

    /* Global features. */
    float self_komi = tg_history_current_self_komi(hist, pla, params->draw_equivalent_wins_for_white);
    float board_area = (float)(xsize * ysize);
    if (self_komi > board_area + KOMI_CLIP_RADIUS) self_komi = board_area + KOMI_CLIP_RADIUS;
    if (self_komi < -board_area - KOMI_CLIP_RADIUS) self_komi = -board_area - KOMI_CLIP_RADIUS;
    global[5] = self_komi / 20.0f;

    if (rules->ko_rule == TG_KO_POSITIONAL || rules->ko_rule == TG_KO_SPIGHT) {
        global[6] = 1.0f;
        global[7] = 0.5f;
    } else if (rules->ko_rule == TG_KO_SITUATIONAL) {
        global[6] = 1.0f;
        global[7] = -0.5f;
    }
    if (rules->multi_stone_suicide_legal) global[8] = 1.0f;
    if (rules->scoring_rule == TG_SCORING_TERRITORY) global[9] = 1.0f;
    if (rules->tax_rule == TG_TAX_SEKI || rules->tax_rule == TG_TAX_ALL) global[10] = 1.0f;
    if (rules->tax_rule == TG_TAX_ALL) global[11] = 1.0f;
    if (hist->encore_phase > 0) global[12] = 1.0f;
    if (hist->encore_phase > 1) global[13] = 1.0f;

    bool pass_ends_phase = !hide_pass_ends_phase && tg_history_pass_would_end_phase(hist, board, next_pla);
    global[14] = pass_ends_phase ? 1.0f : 0.0f;

    /* Any nonzero advantage, however small, switches the network to its asymmetric-playouts mode. */
    if (params->playout_doubling_advantage != 0.0) {
        global[15] = 1.0f;
        global[16] = (float)(0.5 * params->playout_doubling_advantage);
    }
    if (hist->has_button) global[17] = 1.0f;

    if (rules->scoring_rule == TG_SCORING_AREA || hist->encore_phase >= 2)
        global[18] = komi_parity_wave(self_komi, xsize, ysize);
}
