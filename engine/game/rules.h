/* Rulesets: KataGo's rule dimensions, its named rulesets, its short and JSON spellings. */
#ifndef TENGEN_GAME_RULES_H
#define TENGEN_GAME_RULES_H

#include <stdbool.h>
#include <stddef.h>

enum { TG_KO_SIMPLE = 0, TG_KO_POSITIONAL = 1, TG_KO_SITUATIONAL = 2, TG_KO_SPIGHT = 3 };
enum { TG_SCORING_AREA = 0, TG_SCORING_TERRITORY = 1 };
enum { TG_TAX_NONE = 0, TG_TAX_SEKI = 1, TG_TAX_ALL = 2 };
enum { TG_WHB_ZERO = 0, TG_WHB_N = 1, TG_WHB_N_MINUS_ONE = 2 };

#define TG_MIN_USER_KOMI (-400.0f)
#define TG_MAX_USER_KOMI 400.0f

typedef struct tg_rules {
    int ko_rule;
    int scoring_rule;
    int tax_rule;
    bool multi_stone_suicide_legal;
    bool has_button;
    int white_handicap_bonus_rule;
    bool friendly_pass_ok;
    float komi;
} tg_rules;

/* KataGo's default (Rules()): Tromp-Taylor-ish, komi 7.5. */
tg_rules tg_rules_default(void);
bool tg_rules_equal(const tg_rules *a, const tg_rules *b);
bool tg_rules_equal_ignoring_komi(const tg_rules *a, const tg_rules *b);
bool tg_komi_is_int_or_half_int(float komi);

/* Parses what KataGo's Rules::tryParseRules accepts: a ruleset name in any of KataGo's spellings
 * ("japanese", "new zealand", "stone_scoring", ...), a JSON object ({"ko":"SIMPLE","scoring":"AREA",...}),
 * or the compact "koPOSITIONALscoreAREAtaxNONEsui1..." form. When the text carries no komi, out->komi = komi.
 * Returns false and writes a message into err (if non-NULL) on failure; *out is untouched then. */
bool tg_rules_parse(const char *text, float komi, tg_rules *out, char *err, size_t errlen);

/* Applies one key/value the way KataGo's kata-set-rule does (keys ko, score/scoring, tax, suicide,
 * hasButton, whiteHandicapBonus, friendlyPassOk). Returns false with a message on a bad key or value. */
bool tg_rules_update(tg_rules *rules, const char *key, const char *value, char *err, size_t errlen);

/* JSON as KataGo's toJsonNoKomi / toJson write it (kata-get-rules). Returns bytes written (snprintf style). */
int tg_rules_to_json(const tg_rules *rules, bool with_komi, char *buf, size_t buflen);
/* The name of the named ruleset these rules equal (ignoring komi), or NULL. */
const char *tg_rules_name(const tg_rules *rules);

const char *tg_ko_rule_str(int ko_rule);
const char *tg_scoring_rule_str(int scoring_rule);
const char *tg_tax_rule_str(int tax_rule);
const char *tg_whb_rule_str(int whb_rule);

/* Additions for callers that need KataGo's other parsing entry points and text forms. */

/* KataGo's tryParseRules (config "rules", SGF RU): komi may be in the text; when it is not, the
 * ruleset's own default komi applies (7.5; 6.5 for territory scoring; 7.0 with a button and for
 * new zealand). err receives KataGo's exception text on failure. */
bool tg_rules_parse_with_default_komi(const char *text, tg_rules *out, char *err, size_t errlen);
/* KataGo's parseRulesWithoutKomi (kata-set-rules, kgs-rules): komi inside the text is an error,
 * out->komi = komi. On failure err holds KataGo's err.what(), so that GTP can answer
 * "Unknown rules '<text>', <err>". */
bool tg_rules_parse_without_komi(const char *text, float komi, tg_rules *out, char *err, size_t errlen);

/* Single fields as KataGo's parseKoRule etc. accept them (exact upper-case words); -1 when invalid. */
int tg_ko_rule_parse(const char *s);
int tg_scoring_rule_parse(const char *s);
int tg_tax_rule_parse(const char *s);
int tg_whb_rule_parse(const char *s);

/* KataGo's toJsonHelper with omitDefaults (toJsonNoKomiMaybeOmitStuff when with_komi is false). */
int tg_rules_to_json_ex(const tg_rules *rules, bool with_komi, bool omit_defaults, char *buf, size_t buflen);
/* KataGo's toString / toStringNoKomi ("koSIMPLEscoreTERRITORYtaxSEKIsui0komi6.5"). */
int tg_rules_to_string(const tg_rules *rules, bool with_komi, char *buf, size_t buflen);
/* KataGo's toStringNoKomiMaybeNice (SGF RU): tg_rules_name when it has one, else the compact form. */
int tg_rules_to_string_nice(const tg_rules *rules, char *buf, size_t buflen);
/* Note: tg_rules_name returns KataGo's display names ("TrompTaylor", "Japanese", "Chinese", "Chinese-OGS",
 * "AGA", "StoneScoring", "NewZealand"); tg_rules_parse accepts komi inside JSON/compact text (KataGo's
 * kata-set-rules does not: use tg_rules_parse_without_komi there). */
/* KataGo's gameResultWillBeInteger: integer komi without a button, or non-integer komi with one. */
bool tg_rules_game_result_will_be_integer(const tg_rules *rules);

#endif
