/* Network inputs: KataGo's input version 7 (NNInputs::fillRowV7 in cpp/neuralnet/nninputs.cpp), the
 * featurization of every model version from 8 to 17.
 *
 * Spatial planes, [TG_NN_NUM_SPATIAL_V7][nn_y_len][nn_x_len], 1 or 0, board at the top-left:
 *   0 on board | 1 own stone | 2 opponent stone | 3,4,5 stone whose chain has 1, 2, 3 liberties
 *   6 ko-banned point (simple ko or superko; in the encore: superko only)
 *   7 encore: ko recapture blocked | 8 always zero
 *   9-13 the last five moves (9 = the opponent's last move, 10 = own move before it, ...)
 *   14 stone in a ladder (chain in atari that cannot escape, or two-liberty chain an attacker can ladder)
 *   15, 16 the same on the board one and two moves ago
 *   17 for opponent chains with two liberties that can be laddered: the working first attacks
 *   18, 19 area (own, opponent) as the ruleset scores it | 20, 21 stones at the start of the second encore
 * Global features, [TG_NN_NUM_GLOBAL_V7]:
 *   0-4 which of the last five moves were passes | 5 own komi / 20 | 6,7 ko rule | 8 suicide legal
 *   9 territory scoring | 10,11 tax | 12,13 encore phase | 14 a pass would end the phase
 *   15,16 playout doubling advantage | 17 button | 18 komi parity wave (area scoring or second encore)
 * "Own" is next_pla's. */
#ifndef TENGEN_NN_FEATURIZE_H
#define TENGEN_NN_FEATURIZE_H

#include <stdbool.h>

#include "../game/board.h"
#include "../game/history.h"

#define TG_NN_NUM_SPATIAL_V7 22
#define TG_NN_NUM_GLOBAL_V7 19
#define TG_NN_MAX_AREA TG_MAX_PLAY_SIZE
#define TG_NN_MAX_POLICY_SIZE (TG_NN_MAX_AREA + 1)

/* KataGo's MiscNNInputParams: per-evaluation settings that change what the network is asked or how its
 * answer is read. Defaults (tg_nn_input_params_default) are KataGo's, which is what kata-raw-nn uses
 * except for policy_optimism (kata-raw-nn passes the engine's rootPolicyOptimism unless given one). */
typedef struct tg_nn_input_params {
    double draw_equivalent_wins_for_white; /* 0.5: folded into the komi input when draws are possible */
    bool conservative_pass_and_is_root;    /* false: hide game-ending passes at the search root */
    bool enable_passing_hacks;             /* false */
    double playout_doubling_advantage;     /* 0 */
    float nn_policy_temperature;           /* 1: policy logits are divided by it (post-processing) */
    bool avoid_myt_dagger_hack;            /* false: ban one joseki move (post-processing) */
    double policy_optimism;                /* 0: weight of the optimistic policy head (post-processing) */
    int max_history;                       /* 1000: cap on how many past moves the inputs show */
    /* -1: pass-alive areas follow hist->always_pass_alive_under_suicide; 0 or 1 overrides that flag. */
    int pass_alive_suicide_override;
} tg_nn_input_params;

void tg_nn_input_params_default(tg_nn_input_params *p);

/* The suicide rule pass-alive areas are computed with for these params (KataGo's
 * getSuicideLegalForPassAlive): the rules' own, or legal when always-pass-alive-under-suicide applies. */
bool tg_nn_suicide_legal_for_pass_alive(const tg_history *hist, const tg_nn_input_params *params);

/* The input version a model version uses (KataGo's getInputsVersion), or -1 when unsupported.
 * Only version 7 (models 8 to 17) is implemented here. */
int tg_nn_inputs_version(int model_version);

/* Fills spatial ([TG_NN_NUM_SPATIAL_V7][nn_y_len][nn_x_len], NCHW) and global ([TG_NN_NUM_GLOBAL_V7])
 * for next_pla to move, as KataGo's fillRowV7 does with NCHW layout. Board sizes must not exceed
 * nn_x_len x nn_y_len (at most TG_MAX_LEN each); off-board points are zero in every plane.
 * hist must be the history board was reached by (board is normally hist's current board), and
 * next_pla should be hist->presumed_next_pla, as KataGo asserts when evaluating. */
void tg_nn_fill_inputs_v7(const tg_board *board, const tg_history *hist, tg_color next_pla,
                          const tg_nn_input_params *params, int nn_x_len, int nn_y_len, float *spatial,
                          float *global);

#endif
