/* Search parameters: KataGo's SearchParams (cpp/search/searchparams.h) under KataGo's config key names,
 * with the defaults KataGo's GTP engine uses when a key is absent (cpp/program/setup.cpp, loadParams with
 * SETUP_FOR_GTP). Only the parameters the search in search.c reads, plus a few the front end needs. */
#ifndef TENGEN_SEARCH_SEARCHPARAMS_H
#define TENGEN_SEARCH_SEARCHPARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "front/config.h"

typedef struct tg_search_params {
    /* Limits */
    int64_t max_visits;                  /* maxVisits: 1<<50 (root visits, reused ones included) */
    int64_t max_playouts;                /* maxPlayouts: 1<<50 (playouts of this search) */
    double max_time;                     /* maxTime: 1e20 seconds */
    int num_threads;                     /* numSearchThreads: 1 */
    double search_factor_after_one_pass; /* searchFactorAfterOnePass: 1.0 (limits scaled after a pass) */
    double search_factor_after_two_pass; /* searchFactorAfterTwoPass: 1.0 (after both players passed) */

    /* Utility */
    double win_loss_utility_factor;      /* winLossUtilityFactor: 1.0 */
    double static_score_utility_factor;  /* staticScoreUtilityFactor: 0.1 */
    double dynamic_score_utility_factor; /* dynamicScoreUtilityFactor: 0.3 */
    double dynamic_score_center_zero_weight; /* dynamicScoreCenterZeroWeight: 0.2 */
    double dynamic_score_center_scale;   /* dynamicScoreCenterScale: 0.75 */
    double no_result_utility_for_white;  /* noResultUtilityForWhite: 0.0 */
    double draw_equivalent_wins_for_white; /* drawEquivalentWinsForWhite: 0.5 */

    /* Exploration */
    double cpuct_exploration;            /* cpuctExploration: 1.0 */
    double cpuct_exploration_log;        /* cpuctExplorationLog: 0.45 */
    double cpuct_exploration_base;       /* cpuctExplorationBase: 500 */
    double cpuct_utility_stdev_prior;    /* cpuctUtilityStdevPrior: 0.40 */
    double cpuct_utility_stdev_prior_weight; /* cpuctUtilityStdevPriorWeight: 2.0 */
    double cpuct_utility_stdev_scale;    /* cpuctUtilityStdevScale: 0.85 */
    double fpu_reduction_max;            /* fpuReductionMax: 0.2 */
    double root_fpu_reduction_max;       /* rootFpuReductionMax: 0.1 (0 with rootNoiseEnabled) */
    double fpu_loss_prop;                /* fpuLossProp: 0.0 */
    double root_fpu_loss_prop;           /* rootFpuLossProp: fpuLossProp */
    bool fpu_parent_weight_by_visited_policy; /* fpuParentWeightByVisitedPolicy: true */
    double fpu_parent_weight_by_visited_policy_pow; /* fpuParentWeightByVisitedPolicyPow: 2.0 */
    double fpu_parent_weight;            /* fpuParentWeight: 0.0 */
    double root_policy_temperature;      /* rootPolicyTemperature: 1.0 */
    double root_policy_temperature_early; /* rootPolicyTemperatureEarly: rootPolicyTemperature */
    double nn_policy_temperature;        /* nnPolicyTemperature: 1.0 */
    double policy_optimism;              /* policyOptimism: 1.0 */
    double root_policy_optimism;         /* rootPolicyOptimism: min(policyOptimism, 0.2) */
    int root_num_symmetries_to_sample;   /* rootNumSymmetriesToSample: 1 (root evaluation averaged over this many) */
    bool root_noise_enabled;             /* rootNoiseEnabled: false (not implemented) */
    double num_virtual_losses_per_thread; /* numVirtualLossesPerThread: 1.0 */
    /* Leaf weights from the network's short-term error heads (models >= 9) */
    bool use_uncertainty;                /* useUncertainty: true */
    double uncertainty_coeff;            /* uncertaintyCoeff: 0.25 */
    double uncertainty_exponent;         /* uncertaintyExponent: 1.0 */
    double uncertainty_max_weight;       /* uncertaintyMaxWeight: 8.0 */

    /* Move choice */
    bool use_lcb_for_selection;          /* useLcbForSelection: true */
    double lcb_stdevs;                   /* lcbStdevs: 5.0 */
    double min_visit_prop_for_lcb;       /* minVisitPropForLCB: 0.15 */
    bool use_non_buggy_lcb;              /* useNonBuggyLcb: true */
    double chosen_move_temperature;      /* chosenMoveTemperature: 0.1 */
    double chosen_move_temperature_early; /* chosenMoveTemperatureEarly: 0.5 */
    double chosen_move_temperature_halflife; /* chosenMoveTemperatureHalflife: 19 */

    /* Passing and rules */
    bool conservative_pass;              /* conservativePass: false */
    bool enable_passing_hacks;           /* enablePassingHacks: true */

    /* Randomness: searchRandSeed (a string in KataGo; here hashed to 64 bits). has_seed false when absent. */
    bool has_seed;
    uint64_t seed;
} tg_search_params;

/* KataGo's GTP defaults. */
void tg_search_params_default(tg_search_params *p);

/* One search key: its tg_search_params field and KataGo's allowed range. */
enum { TG_PARAM_DOUBLE, TG_PARAM_INT64, TG_PARAM_INT, TG_PARAM_BOOL };
typedef struct tg_search_param_spec {
    const char *key;
    int type;
    size_t offset;
    double min, max;
    bool derived; /* its default follows other keys (rootPolicyOptimism after policyOptimism, ...) */
} tg_search_param_spec;

/* Every key tg_search_params_load reads, for kata-set-param and the docs; *count receives the length. */
const tg_search_param_spec *tg_search_param_specs(size_t *count);
/* Defaults, then every key present in cfg (range-checked as KataGo does). false with a message on a bad value. */
bool tg_search_params_load(tg_search_params *p, const tg_config *cfg, char *err, size_t errlen);

#endif
