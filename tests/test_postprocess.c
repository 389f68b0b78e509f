/* Post-processing of raw network outputs into KataGo's NNOutput / kata-raw-nn values.
 * Expected numbers are computed by hand (softmax, softplus, tanh of small round inputs) from the
 * formulas in KataGo's NNEvaluator::evaluate; see the comment at each check. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "diagram.h"
#include "featurize.h"
#include "history.h"
#include "postprocess.h"

static bool close_to(double a, double b, double tol) { return fabs(a - b) <= tol; }
#define CHECK_NEAR(a, b) CHECKF(close_to((a), (b), 2e-6), "%s = %.9g, expected %.9g", #a, (double)(a), (double)(b))

/* ln 2 = softplus(0) */
#define LN2 0.69314718055994531

typedef struct fixture {
    tg_board b;
    tg_history h;
    tg_postprocess pp;
    tg_nn_input_params params;
    float policy[2 * 4];
    float pass[2];
    float value[3];
    float score[6];
    float own[4];
    tg_nn_raw_output raw;
    tg_nn_result out;
} fixture;

/* A 2x2 board, model-17 shaped outputs (two policy channels, six score values). */
static void init_fixture(fixture *f, const char *rules, tg_color pla) {
    memset(f, 0, sizeof *f);
    tg_board_init(&f->b, 2, 2);
    tg_rules r = named(rules);
    tg_history_init(&f->h, &f->b, pla, &r, 0);
    tg_postprocess_default(&f->pp);
    tg_nn_input_params_default(&f->params);
    f->raw = (tg_nn_raw_output){.nn_x_len = 2, .nn_y_len = 2, .symmetry = 0, .policy = f->policy,
                                .policy_pass = f->pass, .policy_channels = 2, .value = f->value,
                                .score_value = f->score, .num_score_value = 6, .ownership = f->own};
}

static bool run(fixture *f, int model_version, tg_color pla) {
    char err[256] = "";
    bool ok = tg_nn_postprocess(&f->raw, &f->pp, model_version, &f->b, &f->h, pla, &f->params, NULL, &f->out, err,
                                sizeof err);
    if (!ok) fprintf(stderr, "postprocess: %s\n", err);
    return ok;
}

static void test_defaults(void) {
    tg_postprocess pp;
    tg_postprocess_default(&pp);
    CHECK(pp.score_mean_multiplier == 20.0 && pp.score_stdev_multiplier == 20.0 && pp.lead_multiplier == 20.0);
    CHECK(pp.variance_time_multiplier == 40.0 && pp.shortterm_value_error_multiplier == 0.25);
    CHECK(pp.shortterm_score_error_multiplier == 30.0 && pp.output_scale_multiplier == 1.0f);
    tg_nn_input_params p;
    tg_nn_input_params_default(&p);
    CHECK(p.draw_equivalent_wins_for_white == 0.5 && p.nn_policy_temperature == 1.0f && p.max_history == 1000);
    CHECK(p.pass_alive_suicide_override == -1 && p.policy_optimism == 0.0 && !p.conservative_pass_and_is_root);
    CHECK(tg_nn_inputs_version(8) == 7 && tg_nn_inputs_version(17) == 7 && tg_nn_inputs_version(7) == -1);
}

/* Black to move on an empty 2x2 board under Tromp-Taylor. */
static void set_basic_outputs(fixture *f) {
    /* Policy: plain head [1,0,0,0] pass 0, optimistic head [3,0,0,0] pass 2; with optimism 0.5 the logits
     * are the midpoints [2,0,0,0] and pass 1. */
    const float pol[8] = {1, 0, 0, 0, 3, 0, 0, 0};
    memcpy(f->policy, pol, sizeof pol);
    f->pass[0] = 0;
    f->pass[1] = 2;
    f->params.policy_optimism = 0.5;
    /* Value logits for the player to move: win 1, loss 0, no result -1. */
    f->value[0] = 1;
    f->value[1] = 0;
    f->value[2] = -1;
    /* Score: mean 0.5 (x20 = 10 points), stdev pre-softplus 0, lead 0.25 (x20 = 5), variance time 0,
     * short-term errors 0. */
    const float sc[6] = {0.5f, 0, 0.25f, 0, 0, 0};
    memcpy(f->score, sc, sizeof sc);
    const float own[4] = {0.5f, -0.5f, 0, 2};
    memcpy(f->own, own, sizeof own);
}

static void check_basic_black(const tg_nn_result *r) {
    /* softmax over [2,0,0,0,1]: e^2 / (e^2 + 3 + e) etc. */
    CHECK_NEAR(r->policy_probs[0], 0.56373431);
    CHECK_NEAR(r->policy_probs[1], 0.07629314);
    CHECK_NEAR(r->policy_probs[2], 0.07629314);
    CHECK_NEAR(r->policy_probs[3], 0.07629314);
    CHECK_NEAR(r->policy_probs[4], 0.20738626);
    CHECK(r->policy_probs[5] == -1.0f && r->policy_probs[TG_NN_MAX_POLICY_SIZE - 1] == -1.0f);
    /* Black wins with e/(1+e) (no result impossible under positional superko + area): White's view flips. */
    CHECK_NEAR(r->white_win_prob, 0.26894142);
    CHECK_NEAR(r->white_loss_prob, 0.73105858);
    CHECK(r->white_no_result_prob == 0.0f);
    /* Mean 10 for Black is -10 for White; mean square 10^2 + (20 ln 2)^2 keeps its sign. */
    CHECK_NEAR(r->white_score_mean, -10.0);
    CHECKF(close_to(r->white_score_mean_sq, 292.18120557, 1e-4), "%g", (double)r->white_score_mean_sq);
    CHECK_NEAR(r->white_lead, -5.0);
    CHECKF(close_to(r->var_time_left, 27.72588722, 1e-5), "%g", (double)r->var_time_left); /* 40 ln 2 */
    /* Model >= 14: sqrt(softplus(0/2)^2 * multiplier) = ln2 * sqrt(multiplier). */
    CHECK_NEAR(r->shortterm_winloss_error, LN2 * 0.5);
    CHECK_NEAR(r->shortterm_score_error, LN2 * sqrt(30.0));
    /* Ownership for the player to move, negated for White: -tanh. */
    CHECK(r->has_ownership);
    CHECK_NEAR(r->white_ownership[0], -0.46211716);
    CHECK_NEAR(r->white_ownership[1], 0.46211716);
    CHECK_NEAR(r->white_ownership[2], 0.0);
    CHECK_NEAR(r->white_ownership[3], -0.96402758);
    CHECK_NEAR(r->policy_optimism_used, 0.5);
}

static void test_basic(void) {
    fixture f;
    init_fixture(&f, "tromp-taylor", TG_BLACK);
    set_basic_outputs(&f);
    CHECK(run(&f, 17, TG_BLACK));
    check_basic_black(&f.out);
    tg_history_free(&f.h);
}

static void test_symmetry_undone(void) {
    /* Symmetry 1 flips rows: board point (x,y) was fed to the network at (x,1-y), so the outputs for
     * board index 0 sit at network index 2, and so on. */
    fixture f;
    init_fixture(&f, "tromp-taylor", TG_BLACK);
    set_basic_outputs(&f);
    const float pol1[8] = {0, 0, 1, 0, 0, 0, 3, 0};
    memcpy(f.policy, pol1, sizeof pol1);
    const float own1[4] = {0, 2, 0.5f, -0.5f};
    memcpy(f.own, own1, sizeof own1);
    f.raw.symmetry = 1;
    CHECK(run(&f, 17, TG_BLACK));
    check_basic_black(&f.out);

    /* Symmetry 5 (flip y, then transpose): board (x,y) went to (1-y, x): board 0 -> net 1, 1 -> 3, 2 -> 0, 3 -> 2. */
    const float pol5[8] = {0, 1, 0, 0, 0, 3, 0, 0};
    memcpy(f.policy, pol5, sizeof pol5);
    const float own5[4] = {0, 0.5f, 2, -0.5f};
    memcpy(f.own, own5, sizeof own5);
    f.raw.symmetry = 5;
    CHECK(run(&f, 17, TG_BLACK));
    check_basic_black(&f.out);
    tg_history_free(&f.h);
}

static void test_white_to_move(void) {
    fixture f;
    init_fixture(&f, "tromp-taylor", TG_WHITE);
    set_basic_outputs(&f);
    CHECK(run(&f, 17, TG_WHITE));
    CHECK_NEAR(f.out.white_win_prob, 0.73105858);
    CHECK_NEAR(f.out.white_loss_prob, 0.26894142);
    CHECK_NEAR(f.out.white_score_mean, 10.0);
    CHECK_NEAR(f.out.white_lead, 5.0);
    CHECK_NEAR(f.out.white_ownership[0], 0.46211716);
    CHECK_NEAR(f.out.white_ownership[3], 0.96402758);
    CHECK_NEAR(f.out.policy_probs[0], 0.56373431);
    tg_history_free(&f.h);
}

static void test_no_result_possible(void) {
    /* Japanese: simple ko and territory, so a no-result is possible. Equal logits: a third each,
     * and score statistics scaled by the two thirds that have a result. */
    fixture f;
    init_fixture(&f, "japanese", TG_BLACK);
    set_basic_outputs(&f);
    f.value[0] = f.value[1] = f.value[2] = 0;
    CHECK(run(&f, 17, TG_BLACK));
    CHECK_NEAR(f.out.white_win_prob, 1.0 / 3.0);
    CHECK_NEAR(f.out.white_loss_prob, 1.0 / 3.0);
    CHECK_NEAR(f.out.white_no_result_prob, 1.0 / 3.0);
    CHECKF(close_to(f.out.white_score_mean, -20.0 / 3.0, 1e-5), "%g", (double)f.out.white_score_mean);
    CHECKF(close_to(f.out.white_score_mean_sq, 194.78747038, 1e-4), "%g", (double)f.out.white_score_mean_sq);
    CHECKF(close_to(f.out.white_lead, -10.0 / 3.0, 1e-5), "%g", (double)f.out.white_lead);
    tg_history_free(&f.h);

    /* Chinese (simple ko, area) also allows it; AGA (situational superko, area) does not. */
    init_fixture(&f, "chinese", TG_BLACK);
    set_basic_outputs(&f);
    f.value[0] = f.value[1] = f.value[2] = 0;
    CHECK(run(&f, 17, TG_BLACK));
    CHECK_NEAR(f.out.white_no_result_prob, 1.0 / 3.0);
    tg_history_free(&f.h);
    init_fixture(&f, "aga", TG_BLACK);
    set_basic_outputs(&f);
    f.value[0] = f.value[1] = f.value[2] = 0;
    CHECK(run(&f, 17, TG_BLACK));
    CHECK_NEAR(f.out.white_no_result_prob, 0.0);
    CHECK_NEAR(f.out.white_win_prob, 0.5);
    tg_history_free(&f.h);
}

static void test_old_models(void) {
    fixture f;
    init_fixture(&f, "tromp-taylor", TG_BLACK);
    set_basic_outputs(&f);
    /* Model 10-13: sqrt(softplus(x) * multiplier). */
    CHECK(run(&f, 10, TG_BLACK));
    CHECK_NEAR(f.out.shortterm_winloss_error, sqrt(LN2 * 0.25));
    CHECK_NEAR(f.out.shortterm_score_error, sqrt(LN2 * 30.0));
    /* Model 9: softplus(x), and ten times that for the score. */
    CHECK(run(&f, 9, TG_BLACK));
    CHECK_NEAR(f.out.shortterm_winloss_error, LN2);
    CHECK_NEAR(f.out.shortterm_score_error, LN2 * 10.0);
    CHECKF(close_to(f.out.var_time_left, 27.72588722, 1e-5), "%g", (double)f.out.var_time_left);
    tg_history_free(&f.h);

    /* Model 8: one policy channel, four score values; no variance time or short-term errors (-1). */
    init_fixture(&f, "tromp-taylor", TG_WHITE);
    f.raw.policy_channels = 1;
    f.raw.num_score_value = 4;
    f.score[0] = 0.5f;
    f.score[2] = 0.25f;
    f.params.policy_optimism = 1.0; /* ignored without an optimistic head */
    f.policy[0] = 1; /* [1,0,0,0], pass 0 */
    f.policy[4] = 100;   /* would be channel 1: must not be read */
    f.pass[1] = 100;
    CHECK(run(&f, 8, TG_WHITE));
    double den = exp(1.0) + 4.0;
    CHECK_NEAR(f.out.policy_probs[0], exp(1.0) / den);
    CHECK_NEAR(f.out.policy_probs[4], 1.0 / den);
    CHECK_NEAR(f.out.white_score_mean, 10.0);
    CHECK_NEAR(f.out.white_lead, 5.0);
    CHECK(f.out.var_time_left == -1.0f && f.out.shortterm_winloss_error == -1.0f &&
          f.out.shortterm_score_error == -1.0f);
    /* Too few score values for the version is an error, not a crash. */
    f.raw.num_score_value = 2;
    char err[128];
    CHECK(!tg_nn_postprocess(&f.raw, &f.pp, 9, &f.b, &f.h, TG_WHITE, &f.params, NULL, &f.out, err, sizeof err));
    tg_history_free(&f.h);
}

static void test_illegal_and_format(void) {
    /* A black stone at (0,0), White to move: (0,0) is illegal; uniform logits give a quarter to each of
     * the three other points and pass. */
    fixture f;
    init_fixture(&f, "tromp-taylor", TG_WHITE);
    tg_board_init(&f.b, 2, 2);
    tg_board_set_stone(&f.b, tg_loc_of(0, 0, 2), TG_BLACK);
    tg_history_free(&f.h);
    tg_rules tt = named("tromp-taylor");
    tg_history_init(&f.h, &f.b, TG_WHITE, &tt, 0);
    f.raw.policy_channels = 1;
    f.raw.num_score_value = 4;
    f.policy[0] = 50; /* the illegal point's logit must not matter */
    CHECK(run(&f, 8, TG_WHITE));
    CHECK(f.out.policy_probs[0] == -1.0f);
    CHECK_NEAR(f.out.policy_probs[1], 0.25);
    CHECK_NEAR(f.out.policy_probs[3], 0.25);
    CHECK_NEAR(f.out.policy_probs[4], 0.25);
    /* Value logits all zero under area + positional superko: one half each. */
    CHECK_NEAR(f.out.white_win_prob, 0.5);

    tg_strbuf sb;
    tg_strbuf_init(&sb);
    tg_nn_format_raw_nn(&f.out, 3, 2, 2, &sb);
    const char *expect =
        "symmetry 3\n"
        "whiteWin 0.500000\n"
        "whiteLoss 0.500000\n"
        "noResult 0.000000\n"
        "whiteLead 0.000\n"
        "whiteScoreSelfplay 0.000\n"
        "whiteScoreSelfplaySq 192.181\n"
        "varTimeLeft -1.000\n"
        "shorttermWinlossError -1.000\n"
        "shorttermScoreError -1.000\n"
        "policy\n"
        "    NAN 0.250000 \n"
        "0.250000 0.250000 \n"
        "policyPass 0.250000 \n"
        "whiteOwnership\n"
        "0.0000000 0.0000000 \n"
        "0.0000000 0.0000000 \n"
        "\n";
    CHECKF(strcmp(sb.data, expect) == 0, "got:\n%s", sb.data);
    tg_strbuf_free(&sb);
    tg_history_free(&f.h);
}

static void test_temperature_scale_hacks(void) {
    fixture f;
    init_fixture(&f, "tromp-taylor", TG_BLACK);
    set_basic_outputs(&f);
    /* Temperature 2 halves the logits: [1,0,0,0,0.5]. */
    f.params.nn_policy_temperature = 2.0f;
    CHECK(run(&f, 17, TG_BLACK));
    CHECK_NEAR(f.out.policy_probs[0], 0.36898068);
    CHECK_NEAR(f.out.policy_probs[1], 0.13574041);
    CHECK_NEAR(f.out.policy_probs[4], 0.22379810);
    f.params.nn_policy_temperature = 1.0f;

    /* An output scale of 2 doubles every logit: halved raw outputs give the basic results. */
    f.pp.output_scale_multiplier = 2.0f;
    for (int i = 0; i < 8; i++) f.policy[i] *= 0.5f;
    f.pass[0] *= 0.5f;
    f.pass[1] *= 0.5f;
    for (int i = 0; i < 3; i++) f.value[i] *= 0.5f;
    for (int i = 0; i < 6; i++) f.score[i] *= 0.5f;
    for (int i = 0; i < 4; i++) f.own[i] *= 0.5f;
    CHECK(run(&f, 17, TG_BLACK));
    check_basic_black(&f.out);
    f.pp.output_scale_multiplier = 1.0f;

    /* Passing hacks: pass logit 10, others 0: pass is capped at 19 times the rest, i.e. 95%. */
    set_basic_outputs(&f);
    memset(f.policy, 0, sizeof f.policy);
    f.pass[0] = f.pass[1] = 10;
    f.params.enable_passing_hacks = true;
    CHECK(run(&f, 17, TG_BLACK));
    CHECKF(close_to(f.out.policy_probs[4], 0.95, 1e-5), "%g", (double)f.out.policy_probs[4]);
    CHECKF(close_to(f.out.policy_probs[0], 0.0125, 1e-6), "%g", (double)f.out.policy_probs[0]);
    f.params.enable_passing_hacks = false;
    CHECK(run(&f, 17, TG_BLACK));
    CHECKF(f.out.policy_probs[4] > 0.9997f, "%g", (double)f.out.policy_probs[4]);

    /* Non-finite outputs are refused. */
    set_basic_outputs(&f);
    f.value[0] = NAN;
    char err[128] = "";
    CHECK(!tg_nn_postprocess(&f.raw, &f.pp, 17, &f.b, &f.h, TG_BLACK, &f.params, NULL, &f.out, err, sizeof err));
    CHECK(strstr(err, "finite") != NULL);
    set_basic_outputs(&f);
    f.policy[0] = INFINITY;
    CHECK(!tg_nn_postprocess(&f.raw, &f.pp, 17, &f.b, &f.h, TG_BLACK, &f.params, NULL, &f.out, err, sizeof err));
    tg_history_free(&f.h);
}

static void test_masks(void) {
    /* A larger nn grid than the board: points off the board are never legal, and the ownership there is 0. */
    tg_board b;
    tg_board_init(&b, 2, 2);
    tg_rules tt = named("tromp-taylor");
    tg_history h;
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    tg_nn_input_params params;
    tg_nn_input_params_default(&params);
    bool legal[TG_NN_MAX_POLICY_SIZE];
    tg_nn_legal_policy_mask(&b, &h, TG_BLACK, &params, 3, 3, legal);
    CHECK(legal[0] && legal[1] && !legal[2] && legal[3] && legal[4] && !legal[5] && !legal[6] && !legal[8]);
    CHECK(legal[9]); /* pass */

    float pol[9] = {0}, pass = 0, value[3] = {0}, score[6] = {0}, own[9];
    for (int i = 0; i < 9; i++) own[i] = 1.0f;
    tg_nn_raw_output raw = {.nn_x_len = 3, .nn_y_len = 3, .policy = pol, .policy_pass = &pass, .policy_channels = 1,
                            .value = value, .score_value = score, .num_score_value = 6, .ownership = own};
    tg_postprocess pp;
    tg_postprocess_default(&pp);
    tg_nn_result out;
    char err[128];
    CHECK(tg_nn_postprocess(&raw, &pp, 17, &b, &h, TG_BLACK, &params, legal, &out, err, sizeof err));
    CHECK_NEAR(out.policy_probs[0], 0.2);
    CHECK(out.policy_probs[2] == -1.0f && out.policy_probs[8] == -1.0f);
    CHECK_NEAR(out.policy_probs[9], 0.2);
    CHECK_NEAR(out.white_ownership[0], -tanh(1.0));
    CHECK(out.white_ownership[2] == 0.0f && out.white_ownership[6] == 0.0f);
    tg_history_free(&h);

    /* The MYT dagger shape on 13x13 with Black to move (X Black, O White); the banned point is (1,6). */
    tg_board_init(&b, 13, 13);
    const int xs[][3] = {{2, 2, TG_WHITE}, {3, 2, TG_BLACK}, {2, 3, TG_WHITE}, {3, 3, TG_BLACK},
                         {1, 5, TG_WHITE}, {2, 5, TG_BLACK}};
    for (int i = 0; i < 6; i++) tg_board_set_stone(&b, tg_loc_of(xs[i][0], xs[i][1], 13), (tg_color)xs[i][2]);
    tg_history_init(&h, &b, TG_BLACK, &tt, 0);
    int banned = 6 * 13 + 1;
    tg_nn_legal_policy_mask(&b, &h, TG_BLACK, &params, 13, 13, legal);
    CHECK(legal[banned]);
    params.avoid_myt_dagger_hack = true;
    tg_nn_legal_policy_mask(&b, &h, TG_BLACK, &params, 13, 13, legal);
    CHECK(!legal[banned]);
    int nlegal = 0;
    for (int i = 0; i <= 169; i++) nlegal += legal[i];
    CHECK(nlegal == 169 - 6 - 1 + 1);
    /* For White to move the colours do not match the shape. (Legality is always for the history's
     * player to move, as in KataGo.) */
    tg_history_free(&h);
    tg_history_init(&h, &b, TG_WHITE, &tt, 0);
    tg_nn_legal_policy_mask(&b, &h, TG_WHITE, &params, 13, 13, legal);
    CHECK(legal[banned]);
    tg_nn_legal_policy_mask(&b, &h, TG_BLACK, &params, 13, 13, legal);
    CHECK(!legal[0] && !legal[169]); /* not Black's turn: nothing is legal, not even pass */
    /* Mirrored left-right (orientation "mirror x"), the ban follows. */
    tg_board m;
    tg_board_init(&m, 13, 13);
    for (int i = 0; i < 6; i++) tg_board_set_stone(&m, tg_loc_of(12 - xs[i][0], xs[i][1], 13), (tg_color)xs[i][2]);
    tg_history_free(&h);
    tg_history_init(&h, &m, TG_BLACK, &tt, 0);
    tg_nn_legal_policy_mask(&m, &h, TG_BLACK, &params, 13, 13, legal);
    CHECK(!legal[6 * 13 + 11]);
    tg_history_free(&h);
}

int main(void) {
    test_defaults();
    test_basic();
    test_symmetry_undone();
    test_white_to_move();
    test_no_result_possible();
    test_old_models();
    test_illegal_and_format();
    test_temperature_scale_hacks();
    test_masks();
    return check_finish("test_postprocess");
}
