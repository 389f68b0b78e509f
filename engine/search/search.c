/* MCTS with KataGo's PUCT selection, FPU, utilities, virtual losses and LCB move choice; see search.h.
 *
 * Values kept in the tree are White's (KataGo's convention); selection and reports turn them to the
 * side that chooses. A node's statistics are weighted sums of the leaf values backed up through it,
 * each leaf weighted as KataGo weighs it (uncertainty weighting from the short-term error heads, or 1).
 * KataGo's noise pruning, valueWeightExponent and subtree value bias are not implemented; without them
 * its recomputation of a node from its children reduces to these sums. */
#include "search/search.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- score value table */

/* KataGo's expected score value: E[atan((S - center) / (scale * sqrtArea)) * 2/pi] for S normal with the
 * given mean and stdev, precomputed for a 19x19 scale and looked up with bilinear interpolation. */
#define SV_BOARD_LEN 19
#define SV_EXTRA_RADIUS 60
#define SV_MEAN_RADIUS (SV_BOARD_LEN * SV_BOARD_LEN + SV_EXTRA_RADIUS)
#define SV_MEAN_LEN (2 * SV_MEAN_RADIUS)
#define SV_STDEV_LEN (SV_BOARD_LEN * SV_BOARD_LEN + SV_EXTRA_RADIUS)
#define SV_STEPS 10      /* sub-steps per point and per stdev */
#define SV_BOUND_STDEVS 5

static double *sv_table;
static pthread_once_t sv_once = PTHREAD_ONCE_INIT;

static void sv_init(void) {
    const int nk = 2 * SV_BOUND_STDEVS * SV_STEPS + 1;
    double pdf[2 * SV_BOUND_STDEVS * SV_STEPS + 1];
    for (int k = 0; k < nk; k++) {
        double x = (double)(k - SV_BOUND_STDEVS * SV_STEPS) / SV_STEPS;
        pdf[k] = exp(-0.5 * x * x);
    }
    /* atan score value on a grid of 1/SV_STEPS points, wide enough for every table entry. */
    const int half = SV_MEAN_RADIUS * SV_STEPS + SV_STEPS / 2 + SV_BOUND_STDEVS * SV_STDEV_LEN * SV_STEPS;
    double *grid = malloc(sizeof(double) * (size_t)(2 * half + 1));
    sv_table = malloc(sizeof(double) * (size_t)SV_MEAN_LEN * SV_STDEV_LEN);
    if (!grid || !sv_table) abort();
    for (int i = -half; i <= half; i++)
        grid[i + half] = atan(((double)i / SV_STEPS) / SV_BOARD_LEN) * (2.0 / 3.14159265358979323846);
    for (int m = 0; m < SV_MEAN_LEN; m++) {
        int mean_steps = (m - SV_MEAN_RADIUS) * SV_STEPS - SV_STEPS / 2;
        for (int sd = 0; sd < SV_STDEV_LEN; sd++) {
            double ws = 0, wv = 0;
            for (int k = 0; k < nk; k++) {
                int x = mean_steps + sd * (k - SV_BOUND_STDEVS * SV_STEPS);
                ws += pdf[k];
                wv += pdf[k] * grid[x + half];
            }
            sv_table[(size_t)m * SV_STDEV_LEN + sd] = wv / ws;
        }
    }
    free(grid);
}

double tg_expected_white_score_value(double mean, double stdev, double center, double scale, double sqrt_area) {
    pthread_once(&sv_once, sv_init);
    double f = (double)SV_BOARD_LEN / (scale * sqrt_area);
    double ms = (mean - center) * f, ss = stdev * f;
    double mr = round(ms), sf = floor(ss);
    int m0 = (int)fmax(fmin(mr, 1e9), -1e9) + SV_MEAN_RADIUS, m1 = m0 + 1;
    int s0 = (int)fmin(sf, 1e9), s1 = s0 + 1;
    if (m0 < 0) m0 = m1 = 0;
    if (m1 >= SV_MEAN_LEN) m0 = m1 = SV_MEAN_LEN - 1;
    if (s0 < 0) s0 = s1 = 0;
    if (s1 >= SV_STDEV_LEN) s0 = s1 = SV_STDEV_LEN - 1;
    double lm = ms - mr + 0.5, ls = ss - sf;
    const double *t = sv_table;
    double a00 = t[(size_t)m0 * SV_STDEV_LEN + s0], a01 = t[(size_t)m0 * SV_STDEV_LEN + s1];
    double a10 = t[(size_t)m1 * SV_STDEV_LEN + s0], a11 = t[(size_t)m1 * SV_STDEV_LEN + s1];
    double b0 = a00 + ls * (a01 - a00), b1 = a10 + ls * (a11 - a10);
    return b0 + lm * (b1 - b0);
}

/* ---------------------------------------------------------------- tree */

enum { NODE_NEW = 0, NODE_EVALUATING = 1, NODE_EXPANDED = 2 };

typedef struct node {
    struct node **children; /* parallel to moves; NULL until first selected */
    tg_loc *moves;          /* legal moves, by decreasing prior at expansion */
    float *priors;
    int num_moves;
    tg_color pla;           /* to move here */
    tg_loc move;            /* the move that led here */
    bool terminal;          /* game over here (never for the root) */
    bool root_eval;         /* the network output was computed with root parameters */
    int state;
    int virtual_losses;
    int64_t visits;
    /* Weighted sums of leaf values, White's side. */
    double w, w2, u, u2, wl, nr, sm, sm2, lead;
    /* The node's own network evaluation. */
    double nn_utility, nn_wl, nn_lead;
    double nn_weight;       /* the weight KataGo gives that evaluation (computeWeightFromNNOutput) */
    float nn_st_wr_error, nn_st_score_error, nn_var_time_left; /* its short-term error heads */
    float *own;             /* its ownership, White's side, y * xsize + x; NULL when it has none */
} node;

typedef struct leaf_value {
    double wl, nr, sm, sm2, lead, util, weight;
} leaf_value;

struct tg_search {
    tg_search_params p;
    tg_nn_evaluator *ev;
    pthread_mutex_t mu;
    pthread_cond_t eval_cv;  /* a node finished evaluating */
    pthread_cond_t done_cv;  /* a worker finished */
    tg_board board;
    tg_history hist;
    tg_color pla;
    bool has_position;
    node *root;
    double score_center;
    double sqrt_area;
    bool has_shortterm;      /* the network has short-term error heads (model >= 9) */
    uint64_t seed, rng, run_count;
    /* State of the current run. */
    int64_t max_visits, max_playouts;
    double deadline;
    int64_t playouts, pending;
    atomic_bool *stop;
    bool failed;
    char err[256];
    int workers_done;
    /* avoid / allow: a move loc for colour c may not be tried first at depth d (0 at the root) while
     * d < avoid_until[c - 1][loc]; has_avoid says whether any entry is nonzero. */
    bool has_avoid;
    int avoid_until[2][TG_MAX_ARR_SIZE];
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *x) { /* splitmix64 */
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rng_double(uint64_t *x) { return (double)(rng_next(x) >> 11) * (1.0 / 9007199254740992.0); }

static node *node_new(tg_color pla, tg_loc move) {
    node *n = calloc(1, sizeof *n);
    if (!n) abort();
    n->pla = pla;
    n->move = move;
    return n;
}

static void node_free(node *n) {
    if (!n) return;
    for (int i = 0; i < n->num_moves; i++) node_free(n->children[i]);
    free(n->children);
    free(n->moves);
    free(n->priors);
    free(n->own);
    free(n);
}

static double utility_radius(const tg_search_params *p) {
    return p->win_loss_utility_factor + p->static_score_utility_factor + p->dynamic_score_utility_factor;
}

static double score_utility(const tg_search *s, double sm, double sm2) {
    double var = sm2 - sm * sm;
    double sd = var > 0 ? sqrt(var) : 0.0;
    double st = tg_expected_white_score_value(sm, sd, 0.0, 2.0, s->sqrt_area);
    double dy = tg_expected_white_score_value(sm, sd, s->score_center, s->p.dynamic_score_center_scale, s->sqrt_area);
    return st * s->p.static_score_utility_factor + dy * s->p.dynamic_score_utility_factor;
}

static double result_utility(const tg_search *s, double wl, double nr) {
    return wl * s->p.win_loss_utility_factor + nr * s->p.no_result_utility_for_white;
}

/* KataGo's computeWeightFromNNOutput: confident evaluations weigh more (up to uncertaintyMaxWeight). */
static double nn_weight(const tg_search *s, const tg_nn_result *r) {
    const tg_search_params *p = &s->p;
    if (!p->use_uncertainty || !s->has_shortterm || r->shortterm_winloss_error < 0) return 1.0;
    /* getApproxScoreUtilityDerivative: derivative of the static and dynamic atan score values. */
    double sm = r->white_score_mean, two_over_pi = 0.63661977236758134308;
    double fs = 2.0 * s->sqrt_area, fd = p->dynamic_score_center_scale * s->sqrt_area, ad = sm - s->score_center;
    double deriv = p->static_score_utility_factor * fs / (fs * fs + sm * sm) * two_over_pi +
                   p->dynamic_score_utility_factor * fd / (fd * fd + ad * ad) * two_over_pi;
    double u = p->win_loss_utility_factor * r->shortterm_winloss_error + deriv * r->shortterm_score_error;
    double pu = p->uncertainty_exponent == 1.0 ? u : p->uncertainty_exponent == 0.5 ? sqrt(u) : pow(u, p->uncertainty_exponent);
    return p->uncertainty_coeff / (pu + p->uncertainty_coeff / p->uncertainty_max_weight);
}

static leaf_value nn_leaf_value(const tg_search *s, const tg_nn_result *r) {
    leaf_value v;
    v.weight = nn_weight(s, r);
    v.wl = (double)r->white_win_prob - (double)r->white_loss_prob;
    v.nr = r->white_no_result_prob;
    v.sm = r->white_score_mean;
    v.sm2 = r->white_score_mean_sq;
    v.lead = r->white_lead;
    v.util = result_utility(s, v.wl, v.nr) + score_utility(s, v.sm, v.sm2);
    return v;
}

/* KataGo's value of a finished game (Search::playoutDescend on a terminal node). */
static leaf_value terminal_leaf_value(const tg_search *s, const tg_history *h) {
    leaf_value v = {0, 0, 0, 0, 0, 0, 1.0};
    if (s->p.use_uncertainty && s->has_shortterm) v.weight = s->p.uncertainty_max_weight;
    if (h->is_no_result) {
        v.nr = 1.0;
    } else {
        double dew = s->p.draw_equivalent_wins_for_white;
        double wins = h->winner == TG_WHITE ? 1.0 : h->winner == TG_BLACK ? 0.0 : dew;
        double f = h->final_white_minus_black_score;
        v.wl = 2.0 * wins - 1.0;
        v.sm = f + tg_history_white_komi_adjustment_for_draws(h, dew);
        if (f * 2 == floor(f * 2) && f == floor(f)) { /* integer score: a draw is possible */
            double lo = (f - 0.5) * (f - 0.5), hi = (f + 0.5) * (f + 0.5);
            v.sm2 = lo + (hi - lo) * dew;
        } else {
            v.sm2 = f * f;
        }
        v.lead = v.sm;
    }
    v.util = result_utility(s, v.wl, v.nr) + score_utility(s, v.sm, v.sm2);
    return v;
}

static void add_value(node *n, const leaf_value *v) {
    double w = v->weight;
    n->visits++;
    n->w += w;
    n->w2 += w * w;
    n->u += w * v->util;
    n->u2 += w * v->util * v->util;
    n->wl += w * v->wl;
    n->nr += w * v->nr;
    n->sm += w * v->sm;
    n->sm2 += w * v->sm2;
    n->lead += w * v->lead;
}

/* KataGo's interpolateEarly: from early_value toward value with the turn number in half-lives
 * scaled to a 19x19 board. */
static double interpolate_early(const tg_search *s, double halflife, double early_value, double value) {
    double raw = (double)tg_history_current_turn_number(&s->hist) / halflife;
    double hl = raw * 19.0 / sqrt((double)s->board.xsize * s->board.ysize);
    return value + (early_value - value) * pow(0.5, hl);
}

static bool nn_eval(tg_search *s, const tg_board *b, const tg_history *h, tg_color pla, bool is_root, uint64_t *rng,
                    tg_nn_result *out, char *err, size_t errlen) {
    tg_nn_input_params ip;
    tg_nn_input_params_default(&ip);
    ip.draw_equivalent_wins_for_white = s->p.draw_equivalent_wins_for_white;
    ip.conservative_pass_and_is_root = s->p.conservative_pass && is_root;
    ip.enable_passing_hacks = s->p.enable_passing_hacks;
    ip.nn_policy_temperature = (float)s->p.nn_policy_temperature;
    ip.policy_optimism = is_root ? s->p.root_policy_optimism : s->p.policy_optimism;
    int sym = (int)(rng_next(rng) & 7);
    /* Any symmetry and any move order reaching this situation will do, as in KataGo's search. */
    return tg_nn_evaluate_ex(s->ev, b, h, pla, sym, &ip, TG_NN_EVAL_SITUATION_KEY, out, err, errlen);
}

/* The root's evaluation: KataGo's averageMultipleSymmetries when rootNumSymmetriesToSample > 1 (distinct
 * symmetries drawn at random, policy and values averaged), else one random symmetry. */
static bool nn_eval_root(tg_search *s, uint64_t *rng, tg_nn_result *out, char *err, size_t errlen) {
    int k = s->p.root_num_symmetries_to_sample;
    if (k <= 1) return nn_eval(s, &s->board, &s->hist, s->pla, true, rng, out, err, errlen);
    if (k > 8) k = 8;
    int syms[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int i = 0; i < k; i++) { /* partial Fisher-Yates */
        int j = i + (int)(rng_next(rng) % (uint64_t)(8 - i));
        int t = syms[i];
        syms[i] = syms[j];
        syms[j] = t;
    }
    tg_nn_input_params ip;
    tg_nn_input_params_default(&ip);
    ip.draw_equivalent_wins_for_white = s->p.draw_equivalent_wins_for_white;
    ip.conservative_pass_and_is_root = s->p.conservative_pass;
    ip.enable_passing_hacks = s->p.enable_passing_hacks;
    ip.nn_policy_temperature = (float)s->p.nn_policy_temperature;
    ip.policy_optimism = s->p.root_policy_optimism;
    tg_nn_result *tmp = malloc(sizeof *tmp);
    if (!tmp) abort();
    bool ok = true;
    for (int i = 0; i < k && ok; i++) {
        tg_nn_result *r = i == 0 ? out : tmp;
        ok = tg_nn_evaluate(s->ev, &s->board, &s->hist, s->pla, syms[i], &ip, r, err, errlen);
        if (!ok || i == 0) continue;
        out->white_win_prob += r->white_win_prob;
        out->white_loss_prob += r->white_loss_prob;
        out->white_no_result_prob += r->white_no_result_prob;
        out->white_score_mean += r->white_score_mean;
        out->white_score_mean_sq += r->white_score_mean_sq;
        out->white_lead += r->white_lead;
        for (int j = 0; j < TG_NN_MAX_POLICY_SIZE; j++)
            if (out->policy_probs[j] >= 0) out->policy_probs[j] += r->policy_probs[j];
        if (out->has_ownership && r->has_ownership)
            for (int j = 0; j < TG_NN_MAX_AREA; j++) out->white_ownership[j] += r->white_ownership[j];
    }
    free(tmp);
    if (!ok) return false;
    float inv = 1.0f / (float)k;
    out->white_win_prob *= inv;
    out->white_loss_prob *= inv;
    out->white_no_result_prob *= inv;
    out->white_score_mean *= inv;
    out->white_score_mean_sq *= inv;
    out->white_lead *= inv;
    for (int j = 0; j < TG_NN_MAX_POLICY_SIZE; j++)
        if (out->policy_probs[j] >= 0) out->policy_probs[j] *= inv;
    if (out->has_ownership)
        for (int j = 0; j < TG_NN_MAX_AREA; j++) out->white_ownership[j] *= inv;
    return true;
}

typedef struct move_prior {
    tg_loc loc;
    float prior;
    int pos;
} move_prior;

static int cmp_prior_desc(const void *a, const void *b) {
    const move_prior *x = a, *y = b;
    if (x->prior != y->prior) return x->prior > y->prior ? -1 : 1;
    return x->pos - y->pos;
}

/* Stores a network evaluation in n: its legal moves and priors (new nodes), or updated priors (the root
 * re-evaluated with root parameters). Tree mutex held. */
static void node_set_eval(tg_search *s, node *n, const tg_nn_result *r, bool is_root) {
    int xs = s->board.xsize, ys = s->board.ysize, nx = r->nn_x_len;
    move_prior mp[TG_NN_MAX_POLICY_SIZE];
    int cnt = 0;
    for (int y = 0; y < ys; y++)
        for (int x = 0; x < xs; x++) {
            float p = r->policy_probs[y * nx + x];
            if (p >= 0) mp[cnt++] = (move_prior){tg_loc_of(x, y, xs), p, y * nx + x};
        }
    {
        int pp = nx * r->nn_y_len;
        float p = r->policy_probs[pp];
        if (p >= 0) mp[cnt++] = (move_prior){TG_PASS_LOC, p, pp};
    }
    if (is_root) {
        double temp = interpolate_early(s, s->p.chosen_move_temperature_halflife, s->p.root_policy_temperature_early,
                                        s->p.root_policy_temperature);
        if (temp != 1.0 && cnt > 0) {
            double mx = 0, sum = 0;
            for (int i = 0; i < cnt; i++) mx = fmax(mx, mp[i].prior);
            for (int i = 0; i < cnt; i++) {
                double v = mp[i].prior > 0 && mx > 0 ? exp((log(mp[i].prior) - log(mx)) / temp) : 0.0;
                mp[i].prior = (float)v;
                sum += v;
            }
            if (sum > 0)
                for (int i = 0; i < cnt; i++) mp[i].prior = (float)(mp[i].prior / sum);
        }
    }
    if (n->moves) {
        /* Same position, same legal moves: take the new priors. */
        for (int i = 0; i < n->num_moves; i++) {
            n->priors[i] = 0;
            for (int j = 0; j < cnt; j++)
                if (mp[j].loc == n->moves[i]) n->priors[i] = mp[j].prior;
        }
    } else {
        qsort(mp, (size_t)cnt, sizeof mp[0], cmp_prior_desc);
        n->num_moves = cnt;
        n->moves = malloc(sizeof(tg_loc) * (size_t)(cnt ? cnt : 1));
        n->priors = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
        n->children = calloc((size_t)(cnt ? cnt : 1), sizeof(node *));
        if (!n->moves || !n->priors || !n->children) abort();
        for (int i = 0; i < cnt; i++) {
            n->moves[i] = mp[i].loc;
            n->priors[i] = mp[i].prior;
        }
    }
    leaf_value v = nn_leaf_value(s, r);
    n->nn_utility = v.util;
    n->nn_wl = v.wl;
    n->nn_lead = v.lead;
    n->nn_weight = v.weight;
    n->nn_st_wr_error = r->shortterm_winloss_error;
    n->nn_st_score_error = r->shortterm_score_error;
    n->nn_var_time_left = r->var_time_left;
    if (r->has_ownership) {
        if (!n->own) {
            n->own = malloc(sizeof(float) * (size_t)(xs * ys));
            if (!n->own) abort();
        }
        for (int y = 0; y < ys; y++)
            for (int x = 0; x < xs; x++) n->own[y * xs + x] = r->white_ownership[y * nx + x];
    }
    n->root_eval = is_root;
    n->state = NODE_EXPANDED;
}

/* ---------------------------------------------------------------- selection */

/* KataGo's getFpuValueForChildrenAssumeVisited, also giving the cpuct utility-stdev factor. */
static double fpu_value(const tg_search *s, const node *n, bool is_root, double mass, double *stdev_factor) {
    const tg_search_params *p = &s->p;
    double uavg = n->u / n->w, u2avg = n->u2 / n->w;
    double prior_sd = p->cpuct_utility_stdev_prior, prior_w = p->cpuct_utility_stdev_prior_weight;
    double sd;
    if (n->visits <= 0 || n->w <= 1) {
        sd = prior_sd;
    } else {
        double usq = uavg * uavg;
        if (u2avg < usq) u2avg = usq;
        sd = sqrt(fmax(0.0, ((usq + prior_sd * prior_sd) * prior_w + u2avg * n->w) / (prior_w + n->w - 1.0) - usq));
    }
    *stdev_factor = 1.0 + p->cpuct_utility_stdev_scale * (sd / prior_sd - 1.0);
    double parent = uavg;
    if (p->fpu_parent_weight_by_visited_policy) {
        double a = fmin(1.0, pow(mass, p->fpu_parent_weight_by_visited_policy_pow));
        parent = a * uavg + (1.0 - a) * n->nn_utility;
    } else if (p->fpu_parent_weight > 0) {
        parent = p->fpu_parent_weight * n->nn_utility + (1.0 - p->fpu_parent_weight) * uavg;
    }
    double red = (is_root ? p->root_fpu_reduction_max : p->fpu_reduction_max) * sqrt(mass);
    double loss_prop = is_root ? p->root_fpu_loss_prop : p->fpu_loss_prop;
    double radius = utility_radius(p);
    double fpu = n->pla == TG_WHITE ? parent - red : parent + red;
    double loss = n->pla == TG_WHITE ? -radius : radius;
    return fpu + (loss - fpu) * loss_prop;
}

static double explore_scaling(const tg_search_params *p, double total_w, double stdev_factor) {
    double cpuct = p->cpuct_exploration +
                   p->cpuct_exploration_log * log((total_w + p->cpuct_exploration_base) / p->cpuct_exploration_base);
    return cpuct * sqrt(total_w + 0.01) * stdev_factor;
}

/* The index of the move to descend (PUCT over created children plus the best uncreated move). */
static bool avoided(const tg_search *s, tg_color pla, tg_loc loc, int depth) {
    return s->has_avoid && loc >= 0 && loc < TG_MAX_ARR_SIZE && depth < s->avoid_until[pla - 1][loc];
}

static int select_child(const tg_search *s, const node *n, bool is_root, int depth) {
    const tg_search_params *p = &s->p;
    double mass = 0, total_w = 0;
    for (int i = 0; i < n->num_moves; i++)
        if (n->children[i]) {
            mass += n->priors[i];
            total_w += n->children[i]->w;
        }
    double sdf;
    double fpu = fpu_value(s, n, is_root, mass, &sdf);
    double scale = explore_scaling(p, total_w, sdf);
    double radius = utility_radius(p);
    double sign = n->pla == TG_WHITE ? 1.0 : -1.0;
    int best = -1, best_new = -1;
    double best_val = -1e300;
    for (int i = 0; i < n->num_moves; i++) {
        const node *c = n->children[i];
        if (!c) {
            if ((best_new < 0 || n->priors[i] > n->priors[best_new]) && !avoided(s, n->pla, n->moves[i], depth))
                best_new = i;
            continue;
        }
        double cw = c->w;
        double cu = (c->visits > 0 && cw > 0) ? c->u / cw : fpu;
        if (c->virtual_losses > 0) {
            double vlw = c->virtual_losses * p->num_virtual_losses_per_thread;
            double vlu = -sign * radius;
            cu += (vlu - cu) * (vlw / (vlw + fmax(0.25, cw)));
            cw += vlw;
        }
        double val = scale * n->priors[i] / (1.0 + cw) + sign * cu;
        if (val > best_val) {
            best_val = val;
            best = i;
        }
    }
    if (best_new >= 0) {
        double val = scale * n->priors[best_new] + sign * fpu;
        if (val > best_val) best = best_new;
    }
    return best;
}

/* ---------------------------------------------------------------- playouts */

enum { PLAYOUT_DONE, PLAYOUT_RETRY, PLAYOUT_STOP, PLAYOUT_ERROR };

typedef struct worker {
    tg_search *s;
    int index;
    uint64_t rng;
    tg_board board;
    tg_history hist;
    node **path;
    int path_cap;
    tg_nn_result *res;
} worker;

static bool should_stop_locked(const tg_search *s) {
    if (s->failed) return true;
    if (s->stop && atomic_load(s->stop)) return true;
    if (s->root->visits + s->pending >= s->max_visits) return true;
    if (s->playouts + s->pending >= s->max_playouts) return true;
    if (now_s() >= s->deadline) return true;
    return false;
}

static void undo_virtual_losses(node **path, int len) {
    for (int i = 1; i < len; i++) path[i]->virtual_losses--;
}

static int playout(worker *w) {
    tg_search *s = w->s;
    /* The root position does not change during a run: copy it outside the lock. */
    w->board = s->board;
    tg_history_copy(&w->hist, &s->hist);
    pthread_mutex_lock(&s->mu);
    if (should_stop_locked(s)) {
        pthread_mutex_unlock(&s->mu);
        return PLAYOUT_STOP;
    }
    s->pending++;
    node *n = s->root;
    int len = 0;
    w->path[len++] = n;
    leaf_value v;
    for (;;) {
        bool is_root = n == s->root;
        if (!is_root && n->terminal) {
            v = terminal_leaf_value(s, &w->hist);
            break;
        }
        if (n->state == NODE_NEW) {
            n->state = NODE_EVALUATING;
            pthread_mutex_unlock(&s->mu);
            char err[200];
            bool ok = nn_eval(s, &w->board, &w->hist, n->pla, is_root, &w->rng, w->res, err, sizeof err);
            pthread_mutex_lock(&s->mu);
            if (!ok) {
                n->state = NODE_NEW;
                undo_virtual_losses(w->path, len);
                s->pending--;
                if (!s->failed) {
                    s->failed = true;
                    snprintf(s->err, sizeof s->err, "%s", err);
                }
                pthread_cond_broadcast(&s->eval_cv);
                pthread_mutex_unlock(&s->mu);
                return PLAYOUT_ERROR;
            }
            node_set_eval(s, n, w->res, is_root);
            pthread_cond_broadcast(&s->eval_cv);
            v = nn_leaf_value(s, w->res);
            break;
        }
        if (n->state == NODE_EVALUATING) {
            /* Another thread is evaluating this node: give back the path and wait for it. */
            undo_virtual_losses(w->path, len);
            s->pending--;
            pthread_cond_wait(&s->eval_cv, &s->mu);
            pthread_mutex_unlock(&s->mu);
            return PLAYOUT_RETRY;
        }
        int i = select_child(s, n, is_root, len - 1);
        if (i < 0) { /* cannot happen (pass is always legal): back up the node's own average */
            v = (leaf_value){n->wl / n->w, n->nr / n->w, n->sm / n->w, n->sm2 / n->w, n->lead / n->w, n->u / n->w, 1.0};
            break;
        }
        tg_loc loc = n->moves[i];
        bool friendly = loc == TG_PASS_LOC &&
                        tg_history_should_suppress_end_game_from_friendly_pass(&w->hist, &w->board, n->pla);
        tg_history_play(&w->hist, &w->board, loc, n->pla, false);
        node *c = n->children[i];
        if (!c) {
            c = node_new(tg_opp(n->pla), loc);
            bool force_non_terminal =
                loc == TG_PASS_LOC && ((s->p.conservative_pass && is_root) || friendly);
            c->terminal = w->hist.is_game_finished && !force_non_terminal;
            n->children[i] = c;
        }
        c->virtual_losses++;
        if (len == w->path_cap) {
            w->path_cap *= 2;
            w->path = realloc(w->path, sizeof(node *) * (size_t)w->path_cap);
            if (!w->path) abort();
        }
        w->path[len++] = c;
        n = c;
    }
    for (int k = 0; k < len; k++) {
        add_value(w->path[k], &v);
        if (k > 0) w->path[k]->virtual_losses--;
    }
    s->pending--;
    s->playouts++;
    pthread_mutex_unlock(&s->mu);
    return PLAYOUT_DONE;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    tg_search *s = w->s;
    for (;;) {
        int r = playout(w);
        if (r == PLAYOUT_STOP || r == PLAYOUT_ERROR) break;
    }
    pthread_mutex_lock(&s->mu);
    s->workers_done++;
    pthread_cond_broadcast(&s->done_cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---------------------------------------------------------------- public: lifecycle and position */

tg_search *tg_search_new(const tg_search_params *params, tg_nn_evaluator *ev, uint64_t seed) {
    tg_search *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->p = *params;
    s->ev = ev;
    s->seed = seed;
    s->rng = seed ^ 0x5DEECE66DULL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->eval_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    tg_board_init(&s->board, 19, 19);
    tg_rules rules = tg_rules_default();
    tg_history_init(&s->hist, &s->board, TG_BLACK, &rules, 0);
    s->pla = TG_BLACK;
    s->sqrt_area = 19.0;
    return s;
}

void tg_search_free(tg_search *s) {
    if (!s) return;
    node_free(s->root);
    tg_history_free(&s->hist);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->eval_cv);
    pthread_cond_destroy(&s->done_cv);
    free(s);
}

void tg_search_set_params(tg_search *s, const tg_search_params *params) { s->p = *params; }
const tg_search_params *tg_search_get_params(const tg_search *s) { return &s->p; }

void tg_search_clear_tree(tg_search *s) {
    node_free(s->root);
    s->root = NULL;
}

void tg_search_set_position(tg_search *s, const tg_board *board, const tg_history *hist, tg_color next_pla) {
    tg_search_clear_tree(s);
    s->board = *board;
    tg_history_copy(&s->hist, hist);
    if (next_pla != s->hist.presumed_next_pla) /* KataGo's setPlayerAndClearHistory */
        tg_history_set_player_and_clear(&s->hist, &s->board, next_pla);
    s->pla = next_pla;
    s->sqrt_area = sqrt((double)board->xsize * board->ysize);
}

const tg_board *tg_search_root_board(const tg_search *s) { return &s->board; }
const tg_history *tg_search_root_history(const tg_search *s) { return &s->hist; }
tg_color tg_search_root_pla(const tg_search *s) { return s->pla; }

bool tg_search_make_move(tg_search *s, tg_loc loc, tg_color pla, bool prevent_encore) {
    if (!tg_history_is_legal_tolerant(&s->hist, &s->board, loc, pla)) return false;
    node *keep = NULL;
    if (s->root && pla == s->pla && s->root->moves) {
        for (int i = 0; i < s->root->num_moves; i++)
            if (s->root->moves[i] == loc && s->root->children[i] && !s->root->children[i]->terminal &&
                s->root->children[i]->state == NODE_EXPANDED) {
                keep = s->root->children[i];
                s->root->children[i] = NULL;
            }
    }
    if (!tg_history_play_as_root(&s->hist, &s->board, loc, pla, prevent_encore)) {
        if (keep) node_free(keep);
        tg_search_clear_tree(s);
        return false;
    }
    node_free(s->root);
    s->root = keep;
    s->pla = tg_opp(pla);
    if (keep) keep->root_eval = false;
    /* As KataGo: a pass that now ends the game from the root means something else under conservativePass,
     * and a pass ending the phase under preventEncore means something else too. */
    if ((s->p.conservative_pass && tg_history_pass_would_end_game(&s->hist, &s->board, s->pla)) ||
        (prevent_encore && tg_history_pass_would_end_phase(&s->hist, &s->board, s->pla)))
        tg_search_clear_tree(s);
    return true;
}

/* ---------------------------------------------------------------- public: running */

/* KataGo's recentScoreCenter: the expected score shrunk toward 0 by dynamicScoreCenterZeroWeight, within
 * dynamicScoreCenterScale * sqrt(area) of it. */
static void set_score_center(tg_search *s, double expected) {
    double e = expected * (1.0 - s->p.dynamic_score_center_zero_weight);
    double cap = s->sqrt_area * s->p.dynamic_score_center_scale;
    if (e > expected + cap) e = expected + cap;
    if (e < expected - cap) e = expected - cap;
    s->score_center = e;
}

bool tg_search_run(tg_search *s, tg_color pla, const tg_search_limits *limits,
                   void (*callback)(const tg_search *s, void *ctx), double callback_interval_s, void *ctx,
                   atomic_bool *stop, char *err, size_t errlen) {
    if (pla != s->pla) {
        tg_history_set_player_and_clear(&s->hist, &s->board, pla);
        s->pla = pla;
        tg_search_clear_tree(s);
    }
    if (!s->root) s->root = node_new(pla, TG_NULL_LOC);
    node *root = s->root;
    s->has_shortterm = tg_nn_evaluator_model(s->ev)->version >= 9;
    s->run_count++;
    uint64_t run_seed = s->seed ^ (s->run_count * 0xD1B54A32D192ED03ULL);

    /* The root's evaluation with root parameters (KataGo re-evaluates a reused root for them too). */
    if (root->state != NODE_EXPANDED || !root->root_eval) {
        tg_nn_result *r = malloc(sizeof *r);
        if (!r) abort();
        uint64_t rng = run_seed;
        if (!nn_eval_root(s, &rng, r, err, errlen)) {
            free(r);
            return false;
        }
        /* KataGo centers the dynamic score utility on the tree's score, or the root evaluation's with no tree. */
        set_score_center(s, root->visits <= 0 ? r->white_score_mean : root->sm / root->w);
        node_set_eval(s, root, r, true);
        if (root->visits <= 0) {
            leaf_value v = nn_leaf_value(s, r);
            add_value(root, &v);
        }
        free(r);
    } else {
        set_score_center(s, root->sm / root->w);
    }

    double start = now_s();
    s->max_visits = limits && limits->max_visits > 0 ? limits->max_visits : s->p.max_visits;
    s->max_playouts = limits && limits->max_playouts > 0 ? limits->max_playouts : s->p.max_playouts;
    double max_time = limits && limits->max_time > 0 ? limits->max_time : s->p.max_time;
    s->deadline = start + fmin(max_time, 1e15);
    s->playouts = 0;
    s->pending = 0;
    s->stop = stop;
    s->failed = false;
    s->err[0] = 0;
    s->workers_done = 0;

    int nt = s->p.num_threads > 0 ? s->p.num_threads : 1;
    worker *ws = calloc((size_t)nt, sizeof *ws);
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    if (!ws || !th) abort();
    for (int i = 0; i < nt; i++) {
        ws[i].s = s;
        ws[i].index = i;
        ws[i].rng = run_seed + 0x632BE59BD9B4E019ULL * (uint64_t)(i + 1);
        ws[i].path_cap = 64;
        ws[i].path = malloc(sizeof(node *) * 64);
        ws[i].res = malloc(sizeof(tg_nn_result));
        if (!ws[i].path || !ws[i].res) abort();
        memset(&ws[i].hist, 0, sizeof ws[i].hist);
        tg_history_copy(&ws[i].hist, &s->hist);
    }
    int started = 0;
    for (int i = 0; i < nt; i++) {
        if (pthread_create(&th[i], NULL, worker_main, &ws[i]) != 0) break;
        started++;
    }
    if (started == 0) { /* no thread could start: search on this one */
        worker_main(&ws[0]);
    }

    pthread_mutex_lock(&s->mu);
    double next_cb = start + callback_interval_s;
    while (s->workers_done < (started ? started : 1)) {
        if (callback && callback_interval_s > 0) {
            double t = now_s();
            if (t >= next_cb) {
                pthread_mutex_unlock(&s->mu);
                callback(s, ctx);
                pthread_mutex_lock(&s->mu);
                next_cb = now_s() + callback_interval_s;
                continue;
            }
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            double wait = fmin(next_cb - t, 3600.0);
            ts.tv_sec += (time_t)wait;
            ts.tv_nsec += (long)((wait - floor(wait)) * 1e9);
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->done_cv, &s->mu, &ts);
        } else {
            pthread_cond_wait(&s->done_cv, &s->mu);
        }
    }
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < nt; i++) {
        free(ws[i].path);
        free(ws[i].res);
        tg_history_free(&ws[i].hist);
    }
    free(ws);
    free(th);
    s->stop = NULL;
    if (s->failed) {
        snprintf(err, errlen, "%s", s->err);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- public: results */

int64_t tg_search_root_visits(const tg_search *s) {
    tg_search *ms = (tg_search *)s; /* the mutex only */
    pthread_mutex_lock(&ms->mu);
    int64_t v = s->root ? s->root->visits : 0;
    pthread_mutex_unlock(&ms->mu);
    return v;
}

int64_t tg_search_num_playouts(const tg_search *s) {
    tg_search *ms = (tg_search *)s;
    pthread_mutex_lock(&ms->mu);
    int64_t v = s->playouts;
    pthread_mutex_unlock(&ms->mu);
    return v;
}

/* KataGo's getSelfUtilityLCBAndRadius for a root child, from the root player's side. */
static void child_lcb(const tg_search *s, const node *c, tg_color pla, double *lcb, double *radius) {
    double rr = utility_radius(&s->p);
    *radius = 2.0 * rr * s->p.lcb_stdevs;
    *lcb = -*radius;
    if (c->visits <= 0 || c->w <= 0 || c->w2 <= 0) return;
    double ws = c->w, ws2 = c->w2;
    double uavg = c->u / ws, u2avg = c->u2 / ws;
    double ess = ws * ws / ws2;
    double prior_w = ws / (ess * ess * ess);
    u2avg = fmax(u2avg, uavg * uavg + 1e-8);
    u2avg = (u2avg * ws + (u2avg + rr * rr) * prior_w) / (ws + prior_w);
    ws += prior_w;
    ws2 += prior_w * prior_w;
    ess = ws * ws / ws2;
    double self = pla == TG_WHITE ? uavg : -uavg;
    double sd = sqrt((u2avg - uavg * uavg) / ess);
    *radius = sd * s->p.lcb_stdevs;
    *lcb = self - *radius;
}

/* KataGo's getPlaySelectionValues for node r (the retrospective reduction only at the root):
 * vals[i] per move of r, lcb and radius too. Tree mutex held. Returns false when no child has visits. */
static bool play_selection_values(const tg_search *s, const node *r, double *vals, double *lcbs, double *radii) {
    int n = r->num_moves;
    int best_idx = -1;
    double best_w = -1e30, best_g = -1e30;
    for (int i = 0; i < n; i++) {
        const node *c = r->children[i];
        vals[i] = (c && c->visits > 0) ? c->w : 0.0;
        lcbs[i] = -1e30;
        radii[i] = 0;
        if (c && c->visits > 0) {
            double ev = (double)c->visits;
            double g = vals[i] * fmax(0.0, ev - 1.0) / fmax(1.0, ev) + 2.0 * r->priors[i];
            if (g > best_g) {
                best_g = g;
                best_w = vals[i];
                best_idx = i;
            }
        }
    }
    if (best_idx < 0) return false;
    /* KataGo's getReducedPlaySelectionWeight: a child gets no more weight than PUCT would have given it,
     * in retrospect, to stay behind the most-visited child. */
    if (r == s->root) {
        double total_w = 0, sdf, sign = r->pla == TG_WHITE ? 1.0 : -1.0;
        for (int i = 0; i < n; i++)
            if (r->children[i]) total_w += r->children[i]->w;
        (void)fpu_value(s, r, true, 1.0, &sdf);
        double scale = explore_scaling(&s->p, total_w, sdf);
        const node *bc = r->children[best_idx];
        double best_sel = scale * r->priors[best_idx] / (1.0 + bc->w) + sign * bc->u / bc->w;
        for (int i = 0; i < n; i++) {
            const node *c = r->children[i];
            if (i == best_idx || !c || c->visits <= 0) continue;
            double explore = best_sel - sign * c->u / c->w;
            double wanted = explore <= 0 ? 1e100 : fmax(0.0, scale * r->priors[i] / explore - 1.0);
            vals[i] = ceil(fmin(c->w, wanted));
        }
    }
    int lcb_idx = -1;
    double best_lcb = -1e10;
    for (int i = 0; i < n; i++) {
        const node *c = r->children[i];
        if (!c || c->visits <= 0) continue;
        child_lcb(s, c, r->pla, &lcbs[i], &radii[i]);
        if (vals[i] > 0 && vals[i] >= s->p.min_visit_prop_for_lcb * best_w && lcbs[i] > best_lcb) {
            best_lcb = lcbs[i];
            lcb_idx = i;
        }
    }
    if (s->p.use_lcb_for_selection && (s->p.use_non_buggy_lcb ? lcb_idx >= 0 : lcb_idx > 0)) {
        double adjusted = vals[lcb_idx];
        for (int i = 0; i < n; i++) {
            if (i == lcb_idx || vals[i] <= 0) continue;
            double excess = best_lcb - lcbs[i];
            if (excess < 0) continue;
            double f = (radii[i] + excess) / (radii[i] + 0.20 * excess);
            double lb = f * f * vals[i];
            if (lb > adjusted) adjusted = lb;
        }
        vals[lcb_idx] = adjusted;
    }
    return true;
}

static int highest_prior(const tg_search *s, const node *r) {
    int best = -1;
    for (int i = 0; i < r->num_moves; i++)
        if ((best < 0 || r->priors[i] > r->priors[best]) && !avoided(s, r->pla, r->moves[i], 0)) best = i;
    if (best < 0) /* everything avoided: the policy's choice */
        for (int i = 0; i < r->num_moves; i++)
            if (best < 0 || r->priors[i] > r->priors[best]) best = i;
    return best;
}

static tg_loc pick_move(tg_search *s, bool with_temperature) {
    pthread_mutex_lock(&s->mu);
    const node *r = s->root;
    tg_loc result = TG_NULL_LOC;
    if (!r || r->state != NODE_EXPANDED || r->num_moves == 0) {
        pthread_mutex_unlock(&s->mu);
        return TG_NULL_LOC;
    }
    int n = r->num_moves;
    double *vals = malloc(sizeof(double) * 3 * (size_t)n);
    if (!vals) abort();
    if (!play_selection_values(s, r, vals, vals + n, vals + 2 * n)) {
        int i = highest_prior(s, r);
        result = r->moves[i];
    } else {
        int best = 0;
        for (int i = 1; i < n; i++)
            if (vals[i] > vals[best]) best = i;
        double temp = with_temperature ? interpolate_early(s, s->p.chosen_move_temperature_halflife,
                                                           s->p.chosen_move_temperature_early,
                                                           s->p.chosen_move_temperature)
                                       : 0.0;
        if (temp > 1e-4) {
            /* chosenMovePrune (1): drop moves with less than one visit's weight unless that drops all. */
            double mx = vals[best], sum = 0;
            for (int i = 0; i < n; i++) {
                double v = vals[i] >= 1.0 || i == best ? vals[i] : 0.0;
                vals[i] = v > 0 ? exp((log(v) - log(mx)) / temp) : 0.0;
                sum += vals[i];
            }
            double x = rng_double(&s->rng) * sum;
            for (int i = 0; i < n; i++) {
                if (vals[i] <= 0) continue;
                best = i;
                x -= vals[i];
                if (x < 0) break;
            }
        }
        result = r->moves[best];
    }
    free(vals);
    pthread_mutex_unlock(&s->mu);
    return result;
}

tg_loc tg_search_best_move(tg_search *s) { return pick_move(s, false); }
tg_loc tg_search_chosen_move(tg_search *s) { return pick_move(s, true); }

/* KataGo's getPVFromNode: from node c on, the child with the highest play selection value at each step. */
static void fill_pv(const tg_search *s, const node *c, tg_move_info *mi, int pv_len) {
    double *vals = NULL;
    int cap = 0;
    while (mi->pv_len < pv_len && c->state == NODE_EXPANDED && !c->terminal && c->num_moves > 0) {
        int n = c->num_moves;
        if (n > cap) {
            free(vals);
            cap = n;
            vals = malloc(sizeof(double) * 3 * (size_t)n);
            if (!vals) abort();
        }
        if (!play_selection_values(s, c, vals, vals + n, vals + 2 * n)) break;
        int best = -1;
        for (int i = 0; i < n; i++)
            if (c->children[i] && c->children[i]->visits > 0 && (best < 0 || vals[i] > vals[best])) best = i;
        if (best < 0) break;
        c = c->children[best];
        mi->pv_visits[mi->pv_len] = c->visits;
        mi->pv[mi->pv_len++] = c->move;
    }
    free(vals);
}

typedef struct order_entry {
    int idx;
    double val;
    int64_t visits;
    double prior;
} order_entry;

static int cmp_order(const void *a, const void *b) {
    const order_entry *x = a, *y = b;
    if (x->val != y->val) return x->val > y->val ? -1 : 1;
    if (x->visits != y->visits) return x->visits > y->visits ? -1 : 1;
    if (x->prior != y->prior) return x->prior > y->prior ? -1 : 1;
    return x->idx - y->idx;
}

static void fill_stats(const node *c, tg_color pla, double *utility, double *winrate, double *sm, double *sd,
                       double *lead) {
    double sign = pla == TG_WHITE ? 1.0 : -1.0;
    double w = c->w > 0 ? c->w : 1.0;
    double m = c->sm / w;
    *utility = sign * c->u / w;
    *winrate = 0.5 * (1.0 + sign * c->wl / w);
    *sm = sign * m;
    *sd = sqrt(fmax(0.0, c->sm2 / w - m * m));
    *lead = sign * c->lead / w;
}

/* KataGo's analysis fills up to minmoves with unvisited moves in policy order, valued as the search would
 * value them before a first visit: first-play urgency for the utility, the parent's score statistics.
 * Their lower bounds are the worst utility, since nothing is known about them yet. */
static int fill_unvisited(const tg_search *s, const node *r, tg_move_info *out, int count, int want) {
    if (count >= want || r->w <= 0)
        return count;
    double mass = 0;
    for (int i = 0; i < r->num_moves; i++)
        if (r->children[i])
            mass += r->priors[i];
    double sdf;
    double fpu = fpu_value(s, r, true, mass, &sdf); /* White's side */
    double parent_u = r->u / r->w, parent_wl = r->wl / r->w;
    double white_wl = s->p.win_loss_utility_factor == 1.0 ? parent_wl + (fpu - parent_u) : 0.0;
    white_wl = fmax(-1.0, fmin(1.0, white_wl));
    double sign = r->pla == TG_WHITE ? 1.0 : -1.0;
    double radius = utility_radius(&s->p);
    double hack = 0.5 * s->p.win_loss_utility_factor / (radius + 1e-20);
    double utility, winrate, score_mean, score_stdev, score_lead;
    fill_stats(r, r->pla, &utility, &winrate, &score_mean, &score_stdev, &score_lead);
    /* moves[] is sorted by decreasing prior, so the first unvisited ones are the ones policy likes best. */
    for (int i = 0; i < r->num_moves && count < want; i++) {
        if ((r->children[i] && r->children[i]->visits > 0) || avoided(s, r->pla, r->moves[i], 0))
            continue;
        tg_move_info *mi = &out[count];
        memset(mi, 0, sizeof *mi);
        mi->move = r->moves[i];
        mi->utility = sign * fpu;
        mi->winrate = 0.5 * (1.0 + sign * white_wl);
        mi->score_mean = score_mean;
        mi->score_stdev = score_stdev;
        mi->score_lead = score_lead;
        mi->prior = r->priors[i];
        mi->utility_lcb = -radius;
        mi->lcb = mi->winrate - (mi->utility - mi->utility_lcb) * hack;
        mi->order = count;
        mi->pv[mi->pv_len++] = r->moves[i];
        count++;
    }
    return count;
}

int tg_search_analysis(const tg_search *s, tg_move_info *out, int max, int pv_len, int min_moves) {
    tg_search *ms = (tg_search *)s; /* the mutex only */
    pthread_mutex_lock(&ms->mu);
    const node *r = s->root;
    int count = 0;
    if (r && r->state == NODE_EXPANDED && r->num_moves > 0 && max > 0) {
        int n = r->num_moves;
        double *vals = malloc(sizeof(double) * 3 * (size_t)n);
        order_entry *ord = malloc(sizeof(order_entry) * (size_t)n);
        if (!vals || !ord) abort();
        if (play_selection_values(s, r, vals, vals + n, vals + 2 * n)) {
            int m = 0;
            for (int i = 0; i < n; i++)
                if (r->children[i] && r->children[i]->visits > 0)
                    ord[m++] = (order_entry){i, vals[i], r->children[i]->visits, r->priors[i]};
            qsort(ord, (size_t)m, sizeof ord[0], cmp_order);
            if (pv_len > TG_SEARCH_MAX_PV) pv_len = TG_SEARCH_MAX_PV;
            if (pv_len < 1) pv_len = 1;
            for (int k = 0; k < m && count < max; k++) {
                int i = ord[k].idx;
                const node *c = r->children[i];
                tg_move_info *mi = &out[count];
                memset(mi, 0, sizeof *mi);
                mi->move = r->moves[i];
                mi->visits = c->visits;
                mi->weight = c->w;
                fill_stats(c, r->pla, &mi->utility, &mi->winrate, &mi->score_mean, &mi->score_stdev, &mi->score_lead);
                mi->prior = r->priors[i];
                mi->utility_lcb = vals[n + i];
                /* PlayUtils::getHackedLCBForWinrate: the utility radius scaled to winrate units. */
                const tg_search_params *sp = &s->p;
                double hack = 0.5 * sp->win_loss_utility_factor / (utility_radius(sp) + 1e-20);
                mi->lcb = mi->winrate - (mi->utility - mi->utility_lcb) * hack;
                mi->play_selection_value = vals[i];
                mi->no_result_value = c->w > 0 ? c->nr / c->w : 0.0;
                mi->order = count;
                mi->pv_visits[mi->pv_len] = c->visits;
                mi->pv[mi->pv_len++] = c->move;
                fill_pv(s, c, mi, pv_len);
                count++;
            }
            count = fill_unvisited(s, r, out, count, max < min_moves ? max : min_moves);
        }
        free(vals);
        free(ord);
    }
    pthread_mutex_unlock(&ms->mu);
    return count;
}

void tg_search_root_info(const tg_search *s, tg_root_info *out) {
    tg_search *ms = (tg_search *)s;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&ms->mu);
    out->pla = s->pla;
    const node *r = s->root;
    if (r && r->visits > 0) {
        out->visits = r->visits;
        fill_stats(r, s->pla, &out->utility, &out->winrate, &out->score_mean, &out->score_stdev, &out->score_lead);
        double sign = s->pla == TG_WHITE ? 1.0 : -1.0;
        out->raw_winrate = 0.5 * (1.0 + sign * r->nn_wl);
        out->raw_score_lead = sign * r->nn_lead;
        out->weight = r->w;
        out->has_raw = r->state == NODE_EXPANDED;
        out->raw_st_wr_error = r->nn_st_wr_error;
        out->raw_st_score_error = r->nn_st_score_error;
        out->raw_var_time_left = r->nn_var_time_left;
    }
    pthread_mutex_unlock(&ms->mu);
}

/* ---------------------------------------------------------------- public: ownership and avoid */

typedef struct own_acc {
    int area;
    double *sum, *sum2; /* sum2 may be NULL */
} own_acc;

static void own_add(own_acc *a, const float *own, double prop) {
    for (int i = 0; i < a->area; i++) {
        double v = own[i];
        a->sum[i] += prop * v;
        if (a->sum2) a->sum2[i] += prop * v * v;
    }
}

/* KataGo's traverseTreeForOwnership: the node's own ownership weighted by its evaluation's weight, its
 * children's averages by their squared weights, down to nodes whose share falls under min_prop; children
 * under prune_prop count as the node itself. False when the node has no ownership (not evaluated, or a
 * finished game). Tree mutex held. */
static bool own_traverse(const node *n, double min_prop, double prune_prop, double desired, own_acc *a) {
    if (!n || !n->own || n->state != NODE_EXPANDED) return false;
    if (desired < min_prop || n->num_moves == 0) {
        own_add(a, n->own, desired);
        return true;
    }
    double rel_sum = 0, w_sum = 0;
    for (int i = 0; i < n->num_moves; i++) {
        const node *c = n->children[i];
        if (!c) continue;
        rel_sum += c->w * c->w;
        w_sum += c->w;
    }
    double parent_w = fmax(n->nn_weight, 1e-10);
    double from_children = desired * w_sum / (w_sum + parent_w);
    double self = desired * parent_w / (w_sum + parent_w);
    if (from_children <= 0 || rel_sum <= 0) {
        self += from_children;
    } else {
        for (int i = 0; i < n->num_moves; i++) {
            const node *c = n->children[i];
            if (!c) continue;
            double prop = c->w * c->w / rel_sum * from_children;
            if (prop < prune_prop || !own_traverse(c, min_prop, prune_prop, prop, a)) self += prop;
        }
    }
    own_add(a, n->own, self);
    return true;
}

/* Tree mutex held. */
static bool node_ownership(const tg_search *s, const node *n, double *own, double *stdev) {
    int area = s->board.xsize * s->board.ysize;
    for (int i = 0; i < area; i++) {
        own[i] = 0;
        if (stdev) stdev[i] = 0;
    }
    if (!n || !n->own) return false;
    double min_prop = 0.5 / pow(fmax(1.0, (double)n->visits), 0.75);
    own_acc a = {area, own, stdev};
    if (!own_traverse(n, min_prop, min_prop * 0.01, 1.0, &a)) return false;
    if (stdev)
        for (int i = 0; i < area; i++) stdev[i] = sqrt(fmax(stdev[i] - own[i] * own[i], 0.0));
    return true;
}

bool tg_search_tree_ownership(const tg_search *s, double *own, double *stdev) {
    tg_search *ms = (tg_search *)s; /* the mutex only */
    pthread_mutex_lock(&ms->mu);
    bool ok = node_ownership(s, s->root, own, stdev);
    pthread_mutex_unlock(&ms->mu);
    return ok;
}

bool tg_search_move_ownership(const tg_search *s, tg_loc move, double *own, double *stdev) {
    tg_search *ms = (tg_search *)s;
    pthread_mutex_lock(&ms->mu);
    const node *r = s->root, *n = r;
    if (r && r->state == NODE_EXPANDED)
        for (int i = 0; i < r->num_moves; i++)
            if (r->moves[i] == move && r->children[i] && r->children[i]->own && r->children[i]->visits > 0)
                n = r->children[i];
    bool ok = node_ownership(s, n, own, stdev);
    pthread_mutex_unlock(&ms->mu);
    return ok;
}

void tg_search_set_avoid(tg_search *s, const int *black_until, const int *white_until) {
    bool any = false, changed = false;
    for (int c = 0; c < 2; c++) {
        const int *src = c == 0 ? black_until : white_until;
        for (int i = 0; i < TG_MAX_ARR_SIZE; i++) {
            int v = src ? src[i] : 0;
            if (v < 0) v = 0;
            if (v != s->avoid_until[c][i]) changed = true;
            s->avoid_until[c][i] = v;
            if (v) any = true;
        }
    }
    s->has_avoid = any;
    /* As KataGo's setAvoidMoveUntilByLoc: a tree grown under other restrictions is dropped. */
    if (changed) tg_search_clear_tree(s);
}
