/* Rules parsing and output. Expected values come from KataGo's rules documentation (docs/rules.html),
 * GTP_Extensions.md and the kata-get-rules transcripts in KataGo's GTP regression outputs. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "rules.h"

static tg_rules mk(int ko, int sc, int tax, bool sui, bool button, int whb, bool fpok, float komi) {
    tg_rules r = tg_rules_default();
    r.ko_rule = ko;
    r.scoring_rule = sc;
    r.tax_rule = tax;
    r.multi_stone_suicide_legal = sui;
    r.has_button = button;
    r.white_handicap_bonus_rule = whb;
    r.friendly_pass_ok = fpok;
    r.komi = komi;
    return r;
}

static bool parses_to(const char *text, tg_rules want) {
    tg_rules got;
    char err[256] = "";
    if (!tg_rules_parse_with_default_komi(text, &got, err, sizeof err)) {
        fprintf(stderr, "  '%s' failed: %s\n", text, err);
        return false;
    }
    if (!tg_rules_equal(&got, &want)) {
        char a[256], b[256];
        tg_rules_to_json(&got, true, a, sizeof a);
        tg_rules_to_json(&want, true, b, sizeof b);
        fprintf(stderr, "  '%s' gave %s, wanted %s\n", text, a, b);
        return false;
    }
    return true;
}

/* Fails to parse without komi, with exactly this error text. */
static bool fails_with(const char *text, const char *want_err) {
    tg_rules got = tg_rules_default();
    tg_rules before = got;
    char err[512] = "";
    bool ok = tg_rules_parse_without_komi(text, 7.5f, &got, err, sizeof err);
    if (ok) {
        fprintf(stderr, "  '%s' unexpectedly parsed\n", text);
        return false;
    }
    if (!tg_rules_equal(&got, &before)) {
        fprintf(stderr, "  '%s' modified output on failure\n", text);
        return false;
    }
    if (want_err && strcmp(err, want_err) != 0) {
        fprintf(stderr, "  '%s' error '%s', wanted '%s'\n", text, err, want_err);
        return false;
    }
    return true;
}

static void test_named(void) {
    enum { P = TG_KO_POSITIONAL, S = TG_KO_SIMPLE, SIT = TG_KO_SITUATIONAL };
    enum { AREA = TG_SCORING_AREA, TERR = TG_SCORING_TERRITORY };
    const tg_rules tt = mk(P, AREA, TG_TAX_NONE, true, false, TG_WHB_ZERO, false, 7.5f);
    const tg_rules jp = mk(S, TERR, TG_TAX_SEKI, false, false, TG_WHB_ZERO, false, 6.5f);
    const tg_rules cn = mk(S, AREA, TG_TAX_NONE, false, false, TG_WHB_N, true, 7.5f);
    const tg_rules ogs = mk(P, AREA, TG_TAX_NONE, false, false, TG_WHB_N, true, 7.5f);
    const tg_rules stone = mk(S, AREA, TG_TAX_ALL, false, false, TG_WHB_ZERO, true, 7.5f);
    const tg_rules anc_terr = mk(S, TERR, TG_TAX_ALL, false, false, TG_WHB_ZERO, false, 6.5f);
    const tg_rules aga_button = mk(SIT, AREA, TG_TAX_NONE, false, true, TG_WHB_N_MINUS_ONE, true, 7.0f);
    const tg_rules aga = mk(SIT, AREA, TG_TAX_NONE, false, false, TG_WHB_N_MINUS_ONE, true, 7.5f);
    const tg_rules nz = mk(SIT, AREA, TG_TAX_NONE, true, false, TG_WHB_ZERO, true, 7.0f);
    const tg_rules goe = mk(P, AREA, TG_TAX_NONE, true, false, TG_WHB_ZERO, true, 7.5f);

    const struct { const char *name; const tg_rules *r; } cases[] = {
        {"tromp-taylor", &tt}, {"tromp_taylor", &tt}, {"tromp taylor", &tt}, {"tromptaylor", &tt},
        {"TrompTaylor", &tt}, {"  Tromp-Taylor \t", &tt},
        {"japanese", &jp}, {"korean", &jp}, {"Japanese", &jp}, {"KOREAN", &jp},
        {"chinese", &cn}, {"Chinese", &cn},
        {"chineseogs", &ogs}, {"chinese_ogs", &ogs}, {"chinese-ogs", &ogs},
        {"chinesekgs", &ogs}, {"chinese_kgs", &ogs}, {"chinese-kgs", &ogs}, {"Chinese-OGS", &ogs},
        {"ancientarea", &stone}, {"ancient-area", &stone}, {"ancient_area", &stone}, {"ancient area", &stone},
        {"stonescoring", &stone}, {"stone-scoring", &stone}, {"stone_scoring", &stone}, {"stone scoring", &stone},
        {"ancientterritory", &anc_terr}, {"ancient-territory", &anc_terr}, {"ancient_territory", &anc_terr},
        {"ancient territory", &anc_terr},
        {"agabutton", &aga_button}, {"aga-button", &aga_button}, {"aga_button", &aga_button},
        {"aga button", &aga_button},
        {"aga", &aga}, {"bga", &aga}, {"french", &aga}, {"AGA", &aga},
        {"nz", &nz}, {"newzealand", &nz}, {"new zealand", &nz}, {"new-zealand", &nz}, {"new_zealand", &nz},
        {"NewZealand", &nz},
        {"goe", &goe}, {"ing", &goe},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECKF(parses_to(cases[i].name, *cases[i].r), "%s", cases[i].name);

    /* tg_rules_parse: komi from the caller when the text has none */
    tg_rules r;
    CHECK(tg_rules_parse("japanese", 0.5f, &r, NULL, 0));
    CHECK(r.komi == 0.5f && r.scoring_rule == TG_SCORING_TERRITORY);
    /* and the without-komi form the same for names */
    CHECK(tg_rules_parse_without_komi("aga-button", -3.0f, &r, NULL, 0));
    CHECK(r.komi == -3.0f && r.has_button);

    /* default rules are Tromp-Taylor-like with komi 7.5 */
    tg_rules d = tg_rules_default();
    CHECK(tg_rules_equal(&d, &tt));

    /* not names */
    CHECK(fails_with("japan", "Could not parse rules: japan"));
    CHECK(fails_with("chinese ogs", "Could not parse rules: chinese ogs"));
    CHECK(fails_with("", "Could not parse rules: "));
    CHECK(fails_with("   ", "Could not parse rules:    "));

    /* display names */
    CHECK(tg_rules_name(&tt) && strcmp(tg_rules_name(&tt), "TrompTaylor") == 0);
    CHECK(tg_rules_name(&jp) && strcmp(tg_rules_name(&jp), "Japanese") == 0);
    CHECK(tg_rules_name(&cn) && strcmp(tg_rules_name(&cn), "Chinese") == 0);
    CHECK(tg_rules_name(&ogs) && strcmp(tg_rules_name(&ogs), "Chinese-OGS") == 0);
    CHECK(tg_rules_name(&aga) && strcmp(tg_rules_name(&aga), "AGA") == 0);
    CHECK(tg_rules_name(&stone) && strcmp(tg_rules_name(&stone), "StoneScoring") == 0);
    CHECK(tg_rules_name(&nz) && strcmp(tg_rules_name(&nz), "NewZealand") == 0);
    CHECK(tg_rules_name(&anc_terr) == NULL);
    CHECK(tg_rules_name(&aga_button) == NULL);
    CHECK(tg_rules_name(&goe) == NULL);
    tg_rules jp_komi = jp;
    jp_komi.komi = 0.0f;
    CHECK(tg_rules_name(&jp_komi) && strcmp(tg_rules_name(&jp_komi), "Japanese") == 0);

    char buf[256];
    tg_rules_to_string_nice(&jp, buf, sizeof buf);
    CHECK(strcmp(buf, "Japanese") == 0);
    tg_rules_to_string_nice(&aga_button, buf, sizeof buf);
    CHECK(strcmp(buf, "koSITUATIONALscoreAREAtaxNONEsui0button1whbN-1fpok1") == 0);
}

static void test_json_output(void) {
    char buf[512];
    tg_rules r;
    /* The kata-get-rules answers in KataGo's rules.txt GTP transcript. */
    r = tg_rules_default();
    tg_rules_to_json(&r, false, buf, sizeof buf);
    CHECK(strcmp(buf, "{\"friendlyPassOk\":false,\"hasButton\":false,\"ko\":\"POSITIONAL\",\"scoring\":\"AREA\","
                      "\"suicide\":true,\"tax\":\"NONE\",\"whiteHandicapBonus\":\"0\"}") == 0);
    CHECK(tg_rules_parse_without_komi("japanese", 7.5f, &r, NULL, 0));
    tg_rules_to_json(&r, false, buf, sizeof buf);
    CHECK(strcmp(buf, "{\"friendlyPassOk\":false,\"hasButton\":false,\"ko\":\"SIMPLE\",\"scoring\":\"TERRITORY\","
                      "\"suicide\":false,\"tax\":\"SEKI\",\"whiteHandicapBonus\":\"0\"}") == 0);
    CHECK(tg_rules_parse_without_komi("chinese", 7.5f, &r, NULL, 0));
    tg_rules_to_json(&r, false, buf, sizeof buf);
    CHECK(strcmp(buf, "{\"friendlyPassOk\":true,\"hasButton\":false,\"ko\":\"SIMPLE\",\"scoring\":\"AREA\","
                      "\"suicide\":false,\"tax\":\"NONE\",\"whiteHandicapBonus\":\"N\"}") == 0);
    CHECK(tg_rules_parse_without_komi("chinese-kgs", 7.5f, &r, NULL, 0));
    tg_rules_to_json(&r, false, buf, sizeof buf);
    CHECK(strcmp(buf, "{\"friendlyPassOk\":true,\"hasButton\":false,\"ko\":\"POSITIONAL\",\"scoring\":\"AREA\","
                      "\"suicide\":false,\"tax\":\"NONE\",\"whiteHandicapBonus\":\"N\"}") == 0);
    CHECK(tg_rules_parse_without_komi("new_zealand", 7.5f, &r, NULL, 0));
    tg_rules_to_json(&r, false, buf, sizeof buf);
    CHECK(strcmp(buf, "{\"friendlyPassOk\":true,\"hasButton\":false,\"ko\":\"SITUATIONAL\",\"scoring\":\"AREA\","
                      "\"suicide\":true,\"tax\":\"NONE\",\"whiteHandicapBonus\":\"0\"}") == 0);

    /* With komi: the key sorts between "ko" and "scoring"; whole numbers keep a ".0" (as in KataGo's
     * printed "komi":5.0 and "komi":8.0). */
    r = tg_rules_default();
    tg_rules_to_json(&r, true, buf, sizeof buf);
    CHECK(strcmp(buf, "{\"friendlyPassOk\":false,\"hasButton\":false,\"ko\":\"POSITIONAL\",\"komi\":7.5,"
                      "\"scoring\":\"AREA\",\"suicide\":true,\"tax\":\"NONE\",\"whiteHandicapBonus\":\"0\"}") == 0);
    const struct { float komi; const char *text; } nums[] = {
        {5.0f, "\"komi\":5.0,"}, {8.0f, "\"komi\":8.0,"}, {-0.5f, "\"komi\":-0.5,"}, {0.0f, "\"komi\":0.0,"},
        {100.0f, "\"komi\":100.0,"}, {-400.0f, "\"komi\":-400.0,"}, {0.5f, "\"komi\":0.5,"},
        {7.3f, "\"komi\":7.300000190734863,"}, {1e20f, "\"komi\":1.0000000200408773e+20,"},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        r.komi = nums[i].komi;
        tg_rules_to_json(&r, true, buf, sizeof buf);
        CHECKF(strstr(buf, nums[i].text) != NULL, "%s lacks %s", buf, nums[i].text);
    }

    /* omit-defaults form */
    r = tg_rules_default();
    tg_rules_to_json_ex(&r, false, true, buf, sizeof buf);
    CHECK(strcmp(buf, "{\"ko\":\"POSITIONAL\",\"scoring\":\"AREA\",\"suicide\":true,\"tax\":\"NONE\"}") == 0);
    CHECK(tg_rules_parse_without_komi("aga-button", 7.0f, &r, NULL, 0));
    tg_rules_to_json_ex(&r, false, true, buf, sizeof buf);
    CHECK(strcmp(buf, "{\"friendlyPassOk\":true,\"hasButton\":true,\"ko\":\"SITUATIONAL\",\"scoring\":\"AREA\","
                      "\"suicide\":false,\"tax\":\"NONE\",\"whiteHandicapBonus\":\"N-1\"}") == 0);

    /* snprintf-style truncation */
    r = tg_rules_default();
    int full = tg_rules_to_json(&r, false, buf, sizeof buf);
    char small[10];
    int n = tg_rules_to_json(&r, false, small, sizeof small);
    CHECK(n == full && n == (int)strlen(buf));
    CHECK(strlen(small) == sizeof small - 1 && strncmp(small, buf, sizeof small - 1) == 0);
    CHECK(tg_rules_to_json(&r, false, NULL, 0) == full);
}

static void test_json_input(void) {
    tg_rules r;
    char err[512];
    /* Unstated tax follows the scoring rule; unstated komi is 6.5 for territory, 7.0 with a button. */
    CHECK(parses_to("{\"ko\":\"SIMPLE\",\"scoring\":\"TERRITORY\"}",
                    mk(TG_KO_SIMPLE, TG_SCORING_TERRITORY, TG_TAX_SEKI, true, false, TG_WHB_ZERO, false, 6.5f)));
    CHECK(parses_to("{\"hasButton\":true}",
                    mk(TG_KO_POSITIONAL, TG_SCORING_AREA, TG_TAX_NONE, true, true, TG_WHB_ZERO, false, 7.0f)));
    CHECK(parses_to("{}", tg_rules_default()));
    CHECK(parses_to("{\"score\":\"TERRITORY\",\"tax\":\"NONE\",\"komi\":0}",
                    mk(TG_KO_POSITIONAL, TG_SCORING_TERRITORY, TG_TAX_NONE, true, false, TG_WHB_ZERO, false, 0.0f)));
    CHECK(parses_to("{\"ko\":\"SPIGHT\",\"suicide\":false,\"whiteHandicapBonus\":\"N-1\",\"friendlyPassOk\":true,"
                    "\"komi\":-12.5}",
                    mk(TG_KO_SPIGHT, TG_SCORING_AREA, TG_TAX_NONE, false, false, TG_WHB_N_MINUS_ONE, true, -12.5f)));
    /* The example in GTP_Extensions.md/KataGo's passalivemode test. */
    CHECK(parses_to("{\"ko\":\"SIMPLE\",\"scoring\":\"AREA\",\"tax\":\"NONE\",\"suicide\":false,\"hasButton\":false,"
                    "\"friendlyPassOk\":false,\"whiteHandicapBonus\":\"0\"}",
                    mk(TG_KO_SIMPLE, TG_SCORING_AREA, TG_TAX_NONE, false, false, TG_WHB_ZERO, false, 7.5f)));
    /* komi given explicitly wins over the caller's komi in tg_rules_parse */
    CHECK(tg_rules_parse("{\"komi\":6}", 1.5f, &r, NULL, 0) && r.komi == 6.0f);
    CHECK(tg_rules_parse("{\"scoring\":\"TERRITORY\"}", 1.5f, &r, NULL, 0) && r.komi == 1.5f);
    /* JSON booleans read as 1/0 where a number is expected */
    CHECK(tg_rules_parse_with_default_komi("{\"komi\":true}", &r, NULL, 0) && r.komi == 1.0f);
    /* KataGo's JSON objects are key-sorted: with both "score" and "scoring", "scoring" is applied last */
    CHECK(tg_rules_parse_with_default_komi("{\"scoring\":\"TERRITORY\",\"score\":\"AREA\"}", &r, NULL, 0) &&
          r.scoring_rule == TG_SCORING_TERRITORY);
    CHECK(tg_rules_parse_with_default_komi("{\"score\":\"TERRITORY\",\"scoring\":\"AREA\"}", &r, NULL, 0) &&
          r.scoring_rule == TG_SCORING_AREA);
    /* duplicate keys: the last one counts */
    CHECK(tg_rules_parse_with_default_komi("{\"ko\":\"BAD\",\"ko\":\"SIMPLE\"}", &r, NULL, 0) &&
          r.ko_rule == TG_KO_SIMPLE);

    /* errors, with KataGo's messages */
    CHECK(fails_with("{\"komi\":7.5}", "Unknown rules option: komi"));
    CHECK(fails_with("{\"foo\":1}", "Unknown rules option: foo"));
    CHECK(fails_with("{\"Ko\":\"SIMPLE\"}", "Unknown rules option: Ko"));
    CHECK(fails_with("{\"ko\":\"simple\"}", "Rules::parseKoRule: Invalid ko rule: simple"));
    CHECK(fails_with("{\"scoring\":\"STONES\"}", "Rules::parseScoringRule: Invalid scoring rule: STONES"));
    CHECK(fails_with("{\"tax\":\"SOME\"}", "Rules::parseTaxRule: Invalid tax rule: SOME"));
    CHECK(fails_with("{\"whiteHandicapBonus\":\"N+1\"}",
                     "Rules::parseWhiteHandicapBonusRule: Invalid whiteHandicapBonus rule: N+1"));
    CHECK(fails_with("{\"whiteHandicapBonus\":0}", "Could not parse rules: {\"whiteHandicapBonus\":0}"));
    CHECK(fails_with("{\"ko\":1}", "Could not parse rules: {\"ko\":1}"));
    CHECK(fails_with("{\"suicide\":\"true\"}", "Could not parse rules: {\"suicide\":\"true\"}"));
    CHECK(fails_with("{\"suicide\":1}", "Could not parse rules: {\"suicide\":1}"));
    CHECK(fails_with("{\"ko\":\"SIMPLE\"", "Could not parse rules: {\"ko\":\"SIMPLE\""));
    CHECK(fails_with("{\"ko\":\"SIMPLE\"} x", "Could not parse rules: {\"ko\":\"SIMPLE\"} x"));
    CHECK(fails_with("{bad}", "Could not parse rules: {bad}"));
    /* keys are handled in sorted order, so the first bad one alphabetically is reported */
    CHECK(fails_with("{\"tax\":\"X\",\"ko\":\"Y\"}", "Rules::parseKoRule: Invalid ko rule: Y"));
    /* JSON only when '{' is the very first character */
    CHECK(fails_with(" {\"ko\":\"SIMPLE\"}", "Could not parse rules:  {\"ko\":\"SIMPLE\"}"));

    tg_rules keep = tg_rules_default();
    r = keep;
    CHECK(!tg_rules_parse_with_default_komi("{\"komi\":7.25}", &r, err, sizeof err));
    CHECK(strcmp(err, "Komi value is not a half-integer or is too extreme") == 0);
    CHECK(!tg_rules_parse_with_default_komi("{\"komi\":400.5}", &r, err, sizeof err));
    CHECK(strcmp(err, "Komi value is not a half-integer or is too extreme") == 0);
    CHECK(tg_rules_parse_with_default_komi("{\"komi\":-400}", &r, err, sizeof err) && r.komi == -400.0f);
    CHECK(!tg_rules_parse_with_default_komi("{\"komi\":\"7.5\"}", &r, err, sizeof err));
    CHECK(strcmp(err, "Could not parse rules: {\"komi\":\"7.5\"}") == 0);
    CHECK(tg_rules_equal(&r, &r)); /* untouched value still sane */
}

static void test_compact(void) {
    tg_rules r;
    char buf[256];
    CHECK(parses_to("koPOSITIONALscoreAREAtaxNONEsui1komi7.5", tg_rules_default()));
    CHECK(parses_to("koSIMPLEscoreTERRITORYtaxSEKIsui0komi6.5",
                    mk(TG_KO_SIMPLE, TG_SCORING_TERRITORY, TG_TAX_SEKI, false, false, TG_WHB_ZERO, false, 6.5f)));
    CHECK(parses_to("koSITUATIONALscoreAREAtaxNONEsui0button1whbN-1fpok1komi7",
                    mk(TG_KO_SITUATIONAL, TG_SCORING_AREA, TG_TAX_NONE, false, true, TG_WHB_N_MINUS_ONE, true, 7.0f)));
    /* defaults for what is left out */
    CHECK(parses_to("koSIMPLEscoringTERRITORY",
                    mk(TG_KO_SIMPLE, TG_SCORING_TERRITORY, TG_TAX_SEKI, true, false, TG_WHB_ZERO, false, 6.5f)));
    CHECK(parses_to("scoreAREA button1",
                    mk(TG_KO_POSITIONAL, TG_SCORING_AREA, TG_TAX_NONE, true, true, TG_WHB_ZERO, false, 7.0f)));
    CHECK(parses_to(" ko SIMPLE  score AREA whbN tax ALL komi -3 ",
                    mk(TG_KO_SIMPLE, TG_SCORING_AREA, TG_TAX_ALL, true, false, TG_WHB_N, false, -3.0f)));
    CHECK(parses_to("komi.5", mk(TG_KO_POSITIONAL, TG_SCORING_AREA, TG_TAX_NONE, true, false, TG_WHB_ZERO, false, 0.5f)));
    /* the compact form does not insist on half-integers, only on |komi| <= 1e5 */
    CHECK(tg_rules_parse_with_default_komi("komi7.3", &r, NULL, 0) && r.komi == 7.3f);
    CHECK(tg_rules_parse_with_default_komi("komi100000", &r, NULL, 0) && r.komi == 100000.0f);
    CHECK(!tg_rules_parse_with_default_komi("komi100001", &r, NULL, 0));
    CHECK(fails_with("koSIMPLEkomi7", "Could not parse rules: koSIMPLEkomi7"));
    CHECK(fails_with("koFOO", "Could not parse rules: koFOO"));
    CHECK(fails_with("kosimple", "Could not parse rules: kosimple"));
    CHECK(fails_with("suiX", "Could not parse rules: suiX"));
    CHECK(!tg_rules_parse_with_default_komi("komi", &r, NULL, 0));
    CHECK(!tg_rules_parse_with_default_komi("komi7.5.1", &r, NULL, 0));
    CHECK(!tg_rules_parse_with_default_komi("komi1e3", &r, NULL, 0));
    CHECK(!tg_rules_parse_with_default_komi("komi7%", &r, NULL, 0));
    CHECK(!tg_rules_parse_with_default_komi("KOSIMPLE", &r, NULL, 0));

    /* toString forms */
    CHECK(tg_rules_parse_with_default_komi("japanese", &r, NULL, 0));
    tg_rules_to_string(&r, true, buf, sizeof buf);
    CHECK(strcmp(buf, "koSIMPLEscoreTERRITORYtaxSEKIsui0komi6.5") == 0);
    tg_rules_to_string(&r, false, buf, sizeof buf);
    CHECK(strcmp(buf, "koSIMPLEscoreTERRITORYtaxSEKIsui0") == 0);
    CHECK(tg_rules_parse_with_default_komi("chinese", &r, NULL, 0));
    tg_rules_to_string(&r, true, buf, sizeof buf);
    CHECK(strcmp(buf, "koSIMPLEscoreAREAtaxNONEsui0whbNfpok1komi7.5") == 0);
    CHECK(tg_rules_parse_with_default_komi("aga-button", &r, NULL, 0));
    tg_rules_to_string(&r, true, buf, sizeof buf);
    CHECK(strcmp(buf, "koSITUATIONALscoreAREAtaxNONEsui0button1whbN-1fpok1komi7") == 0);
    r = tg_rules_default();
    tg_rules_to_string(&r, true, buf, sizeof buf);
    CHECK(strcmp(buf, "koPOSITIONALscoreAREAtaxNONEsui1komi7.5") == 0);
}

static void test_round_trips(void) {
    const char *names[] = {"tromp-taylor", "japanese", "chinese", "chinese-ogs", "stone-scoring", "ancient-territory",
                           "aga-button", "aga", "nz", "goe"};
    const float komis[] = {7.5f, 6.5f, 0.0f, -2.5f, 150.0f, 7.0f};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        for (size_t k = 0; k < sizeof komis / sizeof komis[0]; k++) {
            tg_rules r, back;
            CHECK(tg_rules_parse(names[i], komis[k], &r, NULL, 0));
            char json[512], compact[256];
            tg_rules_to_json(&r, true, json, sizeof json);
            CHECKF(tg_rules_parse_with_default_komi(json, &back, NULL, 0) && tg_rules_equal(&r, &back), "%s", json);
            tg_rules_to_json(&r, false, json, sizeof json);
            CHECKF(tg_rules_parse_without_komi(json, r.komi, &back, NULL, 0) && tg_rules_equal(&r, &back), "%s", json);
            tg_rules_to_string(&r, true, compact, sizeof compact);
            CHECKF(tg_rules_parse_with_default_komi(compact, &back, NULL, 0) && tg_rules_equal(&r, &back), "%s",
                   compact);
            tg_rules_to_string(&r, false, compact, sizeof compact);
            CHECKF(tg_rules_parse_without_komi(compact, r.komi, &back, NULL, 0) && tg_rules_equal(&r, &back), "%s",
                   compact);
            tg_rules_to_string_nice(&r, compact, sizeof compact);
            CHECKF(tg_rules_parse_without_komi(compact, r.komi, &back, NULL, 0) && tg_rules_equal(&r, &back), "%s",
                   compact);
        }
    }
}

static void test_update(void) {
    tg_rules r = tg_rules_default();
    char err[256];
    /* values are upper-cased and trimmed, keys are trimmed but case-sensitive */
    CHECK(tg_rules_update(&r, "ko", "simple", err, sizeof err) && r.ko_rule == TG_KO_SIMPLE);
    CHECK(tg_rules_update(&r, "score", "territory", err, sizeof err) && r.scoring_rule == TG_SCORING_TERRITORY);
    CHECK(tg_rules_update(&r, " scoring ", " Area ", err, sizeof err) && r.scoring_rule == TG_SCORING_AREA);
    CHECK(tg_rules_update(&r, "tax", "all", err, sizeof err) && r.tax_rule == TG_TAX_ALL);
    CHECK(tg_rules_update(&r, "suicide", "false", err, sizeof err) && !r.multi_stone_suicide_legal);
    CHECK(tg_rules_update(&r, "suicide", "TRUE", err, sizeof err) && r.multi_stone_suicide_legal);
    CHECK(tg_rules_update(&r, "hasButton", "True", err, sizeof err) && r.has_button);
    CHECK(tg_rules_update(&r, "whiteHandicapBonus", "n-1", err, sizeof err) &&
          r.white_handicap_bonus_rule == TG_WHB_N_MINUS_ONE);
    CHECK(tg_rules_update(&r, "whiteHandicapBonus", "0", err, sizeof err) && r.white_handicap_bonus_rule == TG_WHB_ZERO);
    CHECK(tg_rules_update(&r, "friendlyPassOk", "true", err, sizeof err) && r.friendly_pass_ok);
    CHECK(tg_rules_update(&r, "ko", "spight", err, sizeof err) && r.ko_rule == TG_KO_SPIGHT);
    /* the tax is not re-derived and komi is untouched */
    CHECK(r.tax_rule == TG_TAX_ALL && r.komi == 7.5f);

    tg_rules before = r;
    CHECK(!tg_rules_update(&r, "Ko", "SIMPLE", err, sizeof err) && strcmp(err, "Unknown rules option: Ko") == 0);
    CHECK(!tg_rules_update(&r, "komi", "7", err, sizeof err) && strcmp(err, "Unknown rules option: komi") == 0);
    CHECK(!tg_rules_update(&r, "ko", "foo", err, sizeof err) &&
          strcmp(err, "Rules::parseKoRule: Invalid ko rule: FOO") == 0);
    CHECK(!tg_rules_update(&r, "scoring", "x", err, sizeof err) &&
          strcmp(err, "Rules::parseScoringRule: Invalid scoring rule: X") == 0);
    CHECK(!tg_rules_update(&r, "tax", "most", err, sizeof err) &&
          strcmp(err, "Rules::parseTaxRule: Invalid tax rule: MOST") == 0);
    CHECK(!tg_rules_update(&r, "whiteHandicapBonus", "2", err, sizeof err) &&
          strcmp(err, "Rules::parseWhiteHandicapBonusRule: Invalid whiteHandicapBonus rule: 2") == 0);
    CHECK(!tg_rules_update(&r, "suicide", "yes", err, sizeof err) && strcmp(err, "could not parse bool: YES") == 0);
    CHECK(!tg_rules_update(&r, "friendlyPassOk", "1", err, sizeof err) && strcmp(err, "could not parse bool: 1") == 0);
    CHECK(tg_rules_equal(&r, &before));
}

static void test_misc(void) {
    CHECK(tg_komi_is_int_or_half_int(7.5f));
    CHECK(tg_komi_is_int_or_half_int(7.0f));
    CHECK(tg_komi_is_int_or_half_int(-0.5f));
    CHECK(tg_komi_is_int_or_half_int(0.0f));
    CHECK(!tg_komi_is_int_or_half_int(7.25f));
    CHECK(!tg_komi_is_int_or_half_int(NAN));
    CHECK(!tg_komi_is_int_or_half_int(INFINITY));
    CHECK(!tg_komi_is_int_or_half_int(1e30f));

    tg_rules r = tg_rules_default();
    r.komi = 7.0f;
    CHECK(tg_rules_game_result_will_be_integer(&r));
    r.komi = 7.5f;
    CHECK(!tg_rules_game_result_will_be_integer(&r));
    r.has_button = true;
    CHECK(tg_rules_game_result_will_be_integer(&r));
    r.komi = 7.0f;
    CHECK(!tg_rules_game_result_will_be_integer(&r));

    tg_rules a = tg_rules_default(), b = tg_rules_default();
    b.komi = 6.5f;
    CHECK(!tg_rules_equal(&a, &b) && tg_rules_equal_ignoring_komi(&a, &b));
    b.friendly_pass_ok = true;
    CHECK(!tg_rules_equal_ignoring_komi(&a, &b));

    CHECK(strcmp(tg_ko_rule_str(TG_KO_SPIGHT), "SPIGHT") == 0);
    CHECK(strcmp(tg_scoring_rule_str(TG_SCORING_TERRITORY), "TERRITORY") == 0);
    CHECK(strcmp(tg_tax_rule_str(TG_TAX_SEKI), "SEKI") == 0);
    CHECK(strcmp(tg_whb_rule_str(TG_WHB_N_MINUS_ONE), "N-1") == 0);
    CHECK(strcmp(tg_ko_rule_str(9), "UNKNOWN") == 0);
    CHECK(tg_ko_rule_parse("SITUATIONAL") == TG_KO_SITUATIONAL && tg_ko_rule_parse("situational") == -1);
    CHECK(tg_scoring_rule_parse("AREA") == TG_SCORING_AREA && tg_scoring_rule_parse("") == -1);
    CHECK(tg_tax_rule_parse("ALL") == TG_TAX_ALL);
    CHECK(tg_whb_rule_parse("N") == TG_WHB_N && tg_whb_rule_parse(NULL) == -1);

    tg_rules out = tg_rules_default();
    CHECK(!tg_rules_parse(NULL, 7.5f, &out, NULL, 0));
}

int main(void) {
    test_named();
    test_json_output();
    test_json_input();
    test_compact();
    test_round_trips();
    test_update();
    test_misc();
    return check_finish("test_rules");
}
