/* KataGo's search parameters read from a config; see searchparams.h. */
#include "search/searchparams.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

void tg_search_params_default(tg_search_params *p) {
    memset(p, 0, sizeof *p);
    p->max_visits = (int64_t)1 << 50;
    p->max_playouts = (int64_t)1 << 50;
    p->max_time = 1e20;
    p->num_threads = 1;
    p->search_factor_after_one_pass = 1.0;
    p->search_factor_after_two_pass = 1.0;
    p->win_loss_utility_factor = 1.0;
    p->static_score_utility_factor = 0.1;
    p->dynamic_score_utility_factor = 0.3;
    p->dynamic_score_center_zero_weight = 0.2;
    p->dynamic_score_center_scale = 0.75;
    p->no_result_utility_for_white = 0.0;
    p->draw_equivalent_wins_for_white = 0.5;
    p->cpuct_exploration = 1.0;
    p->cpuct_exploration_log = 0.45;
    p->cpuct_exploration_base = 500.0;
    p->cpuct_utility_stdev_prior = 0.40;
    p->cpuct_utility_stdev_prior_weight = 2.0;
    p->cpuct_utility_stdev_scale = 0.85;
    p->fpu_reduction_max = 0.2;
    p->root_fpu_reduction_max = 0.1;
    p->fpu_loss_prop = 0.0;
    p->root_fpu_loss_prop = 0.0;
    p->fpu_parent_weight_by_visited_policy = true;
    p->fpu_parent_weight_by_visited_policy_pow = 2.0;
    p->fpu_parent_weight = 0.0;
    p->root_policy_temperature = 1.0;
    p->root_policy_temperature_early = 1.0;
    p->nn_policy_temperature = 1.0;
    p->policy_optimism = 1.0;
    p->root_policy_optimism = 0.2;
    p->root_num_symmetries_to_sample = 1;
    p->root_noise_enabled = false;
    p->num_virtual_losses_per_thread = 1.0;
    p->use_uncertainty = true;
    p->uncertainty_coeff = 0.25;
    p->uncertainty_exponent = 1.0;
    p->uncertainty_max_weight = 8.0;
    p->use_lcb_for_selection = true;
    p->lcb_stdevs = 5.0;
    p->min_visit_prop_for_lcb = 0.15;
    p->use_non_buggy_lcb = true;
    p->chosen_move_temperature = 0.1;
    p->chosen_move_temperature_early = 0.5;
    p->chosen_move_temperature_halflife = 19.0;
    p->conservative_pass = false;
    p->enable_passing_hacks = true;
    p->has_seed = false;
    p->seed = 0;
}

typedef tg_search_param_spec param_spec;

#define PD(key, field, lo, hi) { key, TG_PARAM_DOUBLE, offsetof(tg_search_params, field), lo, hi, false }
#define PL(key, field, lo, hi) { key, TG_PARAM_INT64, offsetof(tg_search_params, field), lo, hi, false }
#define PI(key, field, lo, hi) { key, TG_PARAM_INT, offsetof(tg_search_params, field), lo, hi, false }
#define PB(key, field) { key, TG_PARAM_BOOL, offsetof(tg_search_params, field), 0, 0, false }
#define PDERIVED(key, field, lo, hi) { key, TG_PARAM_DOUBLE, offsetof(tg_search_params, field), lo, hi, true }

/* Every key with KataGo's allowed range; the derived ones (last) are read after the others, since their
 * defaults follow them, as in setup.cpp. */
static const param_spec SPECS[] = {
    PL("maxVisits", max_visits, 1, 1125899906842624.0),
    PL("maxPlayouts", max_playouts, 1, 1125899906842624.0),
    PD("maxTime", max_time, 0.0, 1e20),
    PI("numSearchThreads", num_threads, 1, 4096),
    PD("searchFactorAfterOnePass", search_factor_after_one_pass, 0.0, 1.0),
    PD("searchFactorAfterTwoPass", search_factor_after_two_pass, 0.0, 1.0),
    PD("winLossUtilityFactor", win_loss_utility_factor, 0.0, 1.0),
    PD("staticScoreUtilityFactor", static_score_utility_factor, 0.0, 1.0),
    PD("dynamicScoreUtilityFactor", dynamic_score_utility_factor, 0.0, 1.0),
    PD("dynamicScoreCenterZeroWeight", dynamic_score_center_zero_weight, 0.0, 1.0),
    PD("dynamicScoreCenterScale", dynamic_score_center_scale, 0.2, 5.0),
    PD("noResultUtilityForWhite", no_result_utility_for_white, -1.0, 1.0),
    PD("drawEquivalentWinsForWhite", draw_equivalent_wins_for_white, 0.0, 1.0),
    PD("cpuctExploration", cpuct_exploration, 0.0, 10.0),
    PD("cpuctExplorationLog", cpuct_exploration_log, 0.0, 10.0),
    PD("cpuctExplorationBase", cpuct_exploration_base, 10.0, 100000.0),
    PD("cpuctUtilityStdevPrior", cpuct_utility_stdev_prior, 1e-8, 10.0),
    PD("cpuctUtilityStdevPriorWeight", cpuct_utility_stdev_prior_weight, 0.0, 100.0),
    PD("cpuctUtilityStdevScale", cpuct_utility_stdev_scale, 0.0, 1.0),
    PD("fpuReductionMax", fpu_reduction_max, 0.0, 2.0),
    PD("fpuLossProp", fpu_loss_prop, 0.0, 1.0),
    PB("fpuParentWeightByVisitedPolicy", fpu_parent_weight_by_visited_policy),
    PD("fpuParentWeightByVisitedPolicyPow", fpu_parent_weight_by_visited_policy_pow, 0.0, 5.0),
    PD("fpuParentWeight", fpu_parent_weight, 0.0, 1.0),
    PB("rootNoiseEnabled", root_noise_enabled),
    PD("rootPolicyTemperature", root_policy_temperature, 0.01, 100.0),
    PD("nnPolicyTemperature", nn_policy_temperature, 0.01, 5.0),
    PD("policyOptimism", policy_optimism, 0.0, 1.0),
    PI("rootNumSymmetriesToSample", root_num_symmetries_to_sample, 1, 8),
    PD("numVirtualLossesPerThread", num_virtual_losses_per_thread, 0.01, 1000.0),
    PB("useUncertainty", use_uncertainty),
    PD("uncertaintyCoeff", uncertainty_coeff, 0.0001, 1.0),
    PD("uncertaintyExponent", uncertainty_exponent, 0.0, 2.0),
    PD("uncertaintyMaxWeight", uncertainty_max_weight, 1.0, 100.0),
    PB("useLcbForSelection", use_lcb_for_selection),
    PD("lcbStdevs", lcb_stdevs, 1.0, 12.0),
    PD("minVisitPropForLCB", min_visit_prop_for_lcb, 0.0, 1.0),
    PB("useNonBuggyLcb", use_non_buggy_lcb),
    PD("chosenMoveTemperature", chosen_move_temperature, 0.0, 5.0),
    PD("chosenMoveTemperatureEarly", chosen_move_temperature_early, 0.0, 5.0),
    PD("chosenMoveTemperatureHalflife", chosen_move_temperature_halflife, 0.1, 100000.0),
    PB("conservativePass", conservative_pass),
    PB("enablePassingHacks", enable_passing_hacks),
    PDERIVED("rootFpuReductionMax", root_fpu_reduction_max, 0.0, 2.0),
    PDERIVED("rootFpuLossProp", root_fpu_loss_prop, 0.0, 1.0),
    PDERIVED("rootPolicyTemperatureEarly", root_policy_temperature_early, 0.01, 100.0),
    PDERIVED("rootPolicyOptimism", root_policy_optimism, 0.0, 1.0),
};

const tg_search_param_spec *tg_search_param_specs(size_t *count) {
    *count = sizeof SPECS / sizeof SPECS[0];
    return SPECS;
}

static bool load_spec(tg_search_params *p, const tg_config *cfg, const param_spec *s, char *err, size_t errlen) {
    char *base = (char *)p + s->offset;
    switch (s->type) {
    case TG_PARAM_DOUBLE: {
        double *f = (double *)(void *)base;
        return tg_config_get_double(cfg, s->key, *f, s->min, s->max, f, err, errlen);
    }
    case TG_PARAM_INT64: {
        int64_t *f = (int64_t *)(void *)base;
        return tg_config_get_int(cfg, s->key, *f, (int64_t)s->min, (int64_t)s->max, f, err, errlen);
    }
    case TG_PARAM_INT: {
        int *f = (int *)(void *)base;
        int64_t v;
        if (!tg_config_get_int(cfg, s->key, *f, (int64_t)s->min, (int64_t)s->max, &v, err, errlen))
            return false;
        *f = (int)v;
        return true;
    }
    default: {
        bool *f = (bool *)(void *)base;
        return tg_config_get_bool(cfg, s->key, *f, f, err, errlen);
    }
    }
}

/* FNV-1a: KataGo seeds its generator from the seed string; any stable 64-bit digest serves here. */
static uint64_t hash_string(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

bool tg_search_params_load(tg_search_params *p, const tg_config *cfg, char *err, size_t errlen) {
    tg_search_params_default(p);
    for (size_t i = 0; i < sizeof SPECS / sizeof SPECS[0]; i++) {
        if (SPECS[i].derived)
            continue;
        if (!load_spec(p, cfg, &SPECS[i], err, errlen))
            return false;
    }
    /* Defaults that follow the keys just read, as in setup.cpp; load_spec keeps them unless set. */
    p->root_fpu_reduction_max = p->root_noise_enabled ? 0.0 : 0.1;
    p->root_fpu_loss_prop = p->fpu_loss_prop;
    p->root_policy_temperature_early = p->root_policy_temperature;
    p->root_policy_optimism = fmin(p->policy_optimism, 0.2);
    for (size_t i = 0; i < sizeof SPECS / sizeof SPECS[0]; i++)
        if (SPECS[i].derived && !load_spec(p, cfg, &SPECS[i], err, errlen))
            return false;
    const char *seed = tg_config_get(cfg, "searchRandSeed");
    if (seed) {
        p->has_seed = true;
        p->seed = hash_string(seed);
    }
    return true;
}
