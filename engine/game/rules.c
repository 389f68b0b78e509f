/* Rulesets: named presets, the JSON and compact text forms, and their output.
 *
 * Every accepted spelling, default and error text mirrors KataGo 1.17.2 (cpp/game/rules.cpp), because
 * GTP clients see them verbatim in kata-get-rules / kata-set-rules answers and SGF RU properties. */
#include "rules.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/errmsg.h"

static const char k_space_chars[] = " \t\r\n\v\f";

static bool is_space_char(char c) { return c != '\0' && strchr(k_space_chars, c) != NULL; }
static bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* ---- basic rule values ---------------------------------------------------------------------- */

tg_rules tg_rules_default(void) {
    tg_rules r;
    memset(&r, 0, sizeof r);
    r.ko_rule = TG_KO_POSITIONAL;
    r.scoring_rule = TG_SCORING_AREA;
    r.tax_rule = TG_TAX_NONE;
    r.multi_stone_suicide_legal = true;
    r.has_button = false;
    r.white_handicap_bonus_rule = TG_WHB_ZERO;
    r.friendly_pass_ok = false;
    r.komi = 7.5f;
    return r;
}

bool tg_rules_equal_ignoring_komi(const tg_rules *a, const tg_rules *b) {
    return a->ko_rule == b->ko_rule && a->scoring_rule == b->scoring_rule && a->tax_rule == b->tax_rule &&
           a->multi_stone_suicide_legal == b->multi_stone_suicide_legal && a->has_button == b->has_button &&
           a->white_handicap_bonus_rule == b->white_handicap_bonus_rule &&
           a->friendly_pass_ok == b->friendly_pass_ok;
}

bool tg_rules_equal(const tg_rules *a, const tg_rules *b) {
    return tg_rules_equal_ignoring_komi(a, b) && a->komi == b->komi;
}

static bool float_is_integer_like_katago(float v) {
    /* KataGo compares v with its truncation to int; out-of-range values never match there. */
    if (!isfinite(v) || v >= 2147483648.0f || v < -2147483648.0f)
        return false;
    return v == (float)(int)v;
}

bool tg_rules_game_result_will_be_integer(const tg_rules *rules) {
    return float_is_integer_like_katago(rules->komi) != rules->has_button;
}

bool tg_komi_is_int_or_half_int(float komi) {
    return isfinite(komi) && float_is_integer_like_katago(komi * 2);
}

/* ---- rule words ----------------------------------------------------------------------------- */

static const char *const k_ko_words[] = {"SIMPLE", "POSITIONAL", "SITUATIONAL", "SPIGHT"};
static const char *const k_scoring_words[] = {"AREA", "TERRITORY"};
static const char *const k_tax_words[] = {"NONE", "SEKI", "ALL"};
static const char *const k_whb_words[] = {"0", "N", "N-1"};

static int word_index(const char *s, const char *const *words, int n) {
    if (!s)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(s, words[i]) == 0)
            return i;
    return -1;
}

int tg_ko_rule_parse(const char *s) { return word_index(s, k_ko_words, 4); }
int tg_scoring_rule_parse(const char *s) { return word_index(s, k_scoring_words, 2); }
int tg_tax_rule_parse(const char *s) { return word_index(s, k_tax_words, 3); }
int tg_whb_rule_parse(const char *s) { return word_index(s, k_whb_words, 3); }

const char *tg_ko_rule_str(int v) { return (v >= 0 && v < 4) ? k_ko_words[v] : "UNKNOWN"; }
const char *tg_scoring_rule_str(int v) { return (v >= 0 && v < 2) ? k_scoring_words[v] : "UNKNOWN"; }
const char *tg_tax_rule_str(int v) { return (v >= 0 && v < 3) ? k_tax_words[v] : "UNKNOWN"; }
const char *tg_whb_rule_str(int v) { return (v >= 0 && v < 3) ? k_whb_words[v] : "UNKNOWN"; }

/* The failure texts of KataGo's individual field parsers, which kata-set-rule reports as is. */
static bool field_from_word(const char *field, const char *value, int *out, char *err, size_t errlen) {
    int v = -1;
    if (strcmp(field, "ko") == 0) {
        v = tg_ko_rule_parse(value);
        if (v < 0) tg_set_err(err, errlen, "Rules::parseKoRule: Invalid ko rule: %s", value);
    } else if (strcmp(field, "scoring") == 0) {
        v = tg_scoring_rule_parse(value);
        if (v < 0) tg_set_err(err, errlen, "Rules::parseScoringRule: Invalid scoring rule: %s", value);
    } else if (strcmp(field, "tax") == 0) {
        v = tg_tax_rule_parse(value);
        if (v < 0) tg_set_err(err, errlen, "Rules::parseTaxRule: Invalid tax rule: %s", value);
    } else {
        v = tg_whb_rule_parse(value);
        if (v < 0) tg_set_err(err, errlen, "Rules::parseWhiteHandicapBonusRule: Invalid whiteHandicapBonus rule: %s", value);
    }
    if (v < 0)
        return false;
    *out = v;
    return true;
}

/* ---- named rulesets ------------------------------------------------------------------------- */

typedef struct named_ruleset {
    const char *spellings; /* lower case, '|' between alternatives */
    const char *nice;      /* KataGo's display name, for those it has one */
    tg_rules rules;
} named_ruleset;

#define RS(ko, sc, tax, sui, button, whb, fpok, komi) {ko, sc, tax, sui, button, whb, fpok, komi}

static const named_ruleset k_named[] = {
    {"tromp-taylor|tromp_taylor|tromp taylor|tromptaylor", "TrompTaylor",
     RS(TG_KO_POSITIONAL, TG_SCORING_AREA, TG_TAX_NONE, true, false, TG_WHB_ZERO, false, 7.5f)},
    {"japanese|korean", "Japanese",
     RS(TG_KO_SIMPLE, TG_SCORING_TERRITORY, TG_TAX_SEKI, false, false, TG_WHB_ZERO, false, 6.5f)},
    {"chinese", "Chinese",
     RS(TG_KO_SIMPLE, TG_SCORING_AREA, TG_TAX_NONE, false, false, TG_WHB_N, true, 7.5f)},
    {"chineseogs|chinese_ogs|chinese-ogs|chinesekgs|chinese_kgs|chinese-kgs", "Chinese-OGS",
     RS(TG_KO_POSITIONAL, TG_SCORING_AREA, TG_TAX_NONE, false, false, TG_WHB_N, true, 7.5f)},
    {"aga|bga|french", "AGA",
     RS(TG_KO_SITUATIONAL, TG_SCORING_AREA, TG_TAX_NONE, false, false, TG_WHB_N_MINUS_ONE, true, 7.5f)},
    {"ancientarea|ancient-area|ancient_area|ancient area|stonescoring|stone-scoring|stone_scoring|stone scoring",
     "StoneScoring",
     RS(TG_KO_SIMPLE, TG_SCORING_AREA, TG_TAX_ALL, false, false, TG_WHB_ZERO, true, 7.5f)},
    {"nz|newzealand|new zealand|new-zealand|new_zealand", "NewZealand",
     RS(TG_KO_SITUATIONAL, TG_SCORING_AREA, TG_TAX_NONE, true, false, TG_WHB_ZERO, true, 7.0f)},
    {"ancientterritory|ancient-territory|ancient_territory|ancient territory", NULL,
     RS(TG_KO_SIMPLE, TG_SCORING_TERRITORY, TG_TAX_ALL, false, false, TG_WHB_ZERO, false, 6.5f)},
    {"agabutton|aga-button|aga_button|aga button", NULL,
     RS(TG_KO_SITUATIONAL, TG_SCORING_AREA, TG_TAX_NONE, false, true, TG_WHB_N_MINUS_ONE, true, 7.0f)},
    {"goe|ing", NULL,
     RS(TG_KO_POSITIONAL, TG_SCORING_AREA, TG_TAX_NONE, true, false, TG_WHB_ZERO, true, 7.5f)},
};

#undef RS

static bool spelling_listed(const char *list, const char *s, size_t len) {
    while (*list) {
        const char *bar = strchr(list, '|');
        size_t n = bar ? (size_t)(bar - list) : strlen(list);
        if (n == len && memcmp(list, s, n) == 0)
            return true;
        if (!bar)
            break;
        list = bar + 1;
    }
    return false;
}

/* Named rulesets compare case-insensitively after trimming; the other forms are case-sensitive. */
static const named_ruleset *find_named(const char *text) {
    const char *b = text;
    const char *e = text + strlen(text);
    while (b < e && is_space_char(*b)) b++;
    while (e > b && is_space_char(e[-1])) e--;
    size_t len = (size_t)(e - b);
    if (len == 0 || len > 64)
        return NULL;
    char low[65];
    for (size_t i = 0; i < len; i++) {
        char c = b[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    low[len] = '\0';
    for (size_t i = 0; i < sizeof k_named / sizeof k_named[0]; i++)
        if (spelling_listed(k_named[i].spellings, low, len))
            return &k_named[i];
    return NULL;
}

const char *tg_rules_name(const tg_rules *rules) {
    for (size_t i = 0; i < sizeof k_named / sizeof k_named[0]; i++)
        if (k_named[i].nice && tg_rules_equal_ignoring_komi(rules, &k_named[i].rules))
            return k_named[i].nice;
    return NULL;
}

/* Neither explicit form states the tax or komi unless asked to; KataGo then derives both from the
 * scoring rule and the button. */
static void apply_unstated_defaults(tg_rules *r, bool tax_given, bool komi_given) {
    if (!tax_given)
        r->tax_rule = r->scoring_rule == TG_SCORING_TERRITORY ? TG_TAX_SEKI : TG_TAX_NONE;
    if (!komi_given) {
        if (r->scoring_rule == TG_SCORING_TERRITORY)
            r->komi = 6.5f;
        else if (r->has_button)
            r->komi = 7.0f;
    }
}

/* ---- JSON form ------------------------------------------------------------------------------ */

static int cmp_cstr_ptr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool parse_json_form(const char *text, bool allow_komi, tg_rules *out, bool *komi_given,
                            char *err, size_t errlen) {
    json_error_t jerr;
    /* Integers too large for an int64 still read as numbers in KataGo's parser. */
    json_t *root = json_loads(text, JSON_DECODE_INT_AS_REAL, &jerr);
    if (!root || !json_is_object(root)) {
        if (root) json_decref(root);
        tg_set_err(err, errlen, "Could not parse rules: %s", text);
        return false;
    }

    tg_rules r = tg_rules_default();
    bool tax_given = false;
    *komi_given = false;
    bool ok = true;

    /* KataGo's JSON objects keep keys sorted, so when two keys clash ("score" and "scoring") or
     * several are bad, the alphabetically later one decides or the earlier one is reported. */
    size_t nkeys = json_object_size(root);
    const char **keys = malloc((nkeys ? nkeys : 1) * sizeof *keys);
    if (!keys) {
        json_decref(root);
        tg_set_err(err, errlen, "Could not parse rules: %s", text);
        return false;
    }
    size_t k = 0;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) keys[k++] = key;
    qsort(keys, k, sizeof *keys, cmp_cstr_ptr);

    for (size_t i = 0; i < k && ok; i++) {
        key = keys[i];
        val = json_object_get(root, key);
        const char *word_field = NULL;
        int *word_target = NULL;
        bool *flag_target = NULL;
        if (strcmp(key, "ko") == 0) { word_field = "ko"; word_target = &r.ko_rule; }
        else if (strcmp(key, "score") == 0 || strcmp(key, "scoring") == 0) { word_field = "scoring"; word_target = &r.scoring_rule; }
        else if (strcmp(key, "tax") == 0) { word_field = "tax"; word_target = &r.tax_rule; tax_given = true; }
        else if (strcmp(key, "whiteHandicapBonus") == 0) { word_field = "whb"; word_target = &r.white_handicap_bonus_rule; }
        else if (strcmp(key, "suicide") == 0) flag_target = &r.multi_stone_suicide_legal;
        else if (strcmp(key, "hasButton") == 0) flag_target = &r.has_button;
        else if (strcmp(key, "friendlyPassOk") == 0) flag_target = &r.friendly_pass_ok;

        if (word_field) {
            if (!json_is_string(val)) {
                tg_set_err(err, errlen, "Could not parse rules: %s", text);
                ok = false;
            } else {
                ok = field_from_word(word_field, json_string_value(val), word_target, err, errlen);
            }
        } else if (flag_target) {
            if (!json_is_boolean(val)) {
                tg_set_err(err, errlen, "Could not parse rules: %s", text);
                ok = false;
            } else {
                *flag_target = json_is_true(val);
            }
        } else if (strcmp(key, "komi") == 0) {
            if (!allow_komi) {
                tg_set_err(err, errlen, "Unknown rules option: %s", key);
                ok = false;
            } else if (json_is_number(val) || json_is_boolean(val)) {
                /* A JSON true/false converts to 1/0 in KataGo's number read, so it is a komi too. */
                double d = json_is_number(val) ? json_number_value(val) : (json_is_true(val) ? 1.0 : 0.0);
                r.komi = (float)d;
                *komi_given = true;
                if (r.komi < TG_MIN_USER_KOMI || r.komi > TG_MAX_USER_KOMI || !tg_komi_is_int_or_half_int(r.komi)) {
                    tg_set_err(err, errlen, "Komi value is not a half-integer or is too extreme");
                    ok = false;
                }
            } else {
                tg_set_err(err, errlen, "Could not parse rules: %s", text);
                ok = false;
            }
        } else {
            tg_set_err(err, errlen, "Unknown rules option: %s", key);
            ok = false;
        }
    }
    free(keys);
    json_decref(root);
    if (!ok)
        return false;
    apply_unstated_defaults(&r, tax_given, *komi_given);
    *out = r;
    return true;
}

/* ---- compact form --------------------------------------------------------------------------- */

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && is_space_char(*c->p)) c->p++;
}

/* Consumes word when the text continues with it; spaces after the current point go either way. */
static bool take(cursor *c, const char *word) {
    size_t n = strlen(word);
    bool hit = (size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0;
    if (hit)
        c->p += n;
    skip_space(c);
    return hit;
}

/* What a C++ stream extraction of a float accepts when it must consume the whole token:
 * sign, digits, one decimal point, at least one digit (letters never reach here). */
static bool token_to_float(const char *s, size_t len, float *out) {
    if (len == 0 || len > 63)
        return false;
    char buf[64];
    memcpy(buf, s, len);
    buf[len] = '\0';
    size_t i = 0;
    if (buf[i] == '+' || buf[i] == '-') i++;
    size_t digits = 0, points = 0;
    for (; i < len; i++) {
        if (buf[i] >= '0' && buf[i] <= '9') digits++;
        else if (buf[i] == '.' && points == 0) points++;
        else return false;
    }
    if (digits == 0)
        return false;
    char *endp = NULL;
    float v = strtof(buf, &endp);
    if (endp != buf + len || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_compact_form(const char *text, bool allow_komi, tg_rules *out, bool *komi_given,
                               char *err, size_t errlen) {
    cursor c = {text, text + strlen(text)};
    skip_space(&c);
    while (c.end > c.p && is_space_char(c.end[-1])) c.end--;
    tg_rules r = tg_rules_default();
    bool tax_given = false;
    *komi_given = false;
    bool ok = c.p < c.end;

    while (ok && c.p < c.end) {
        if (take(&c, "komi")) {
            if (!allow_komi) { ok = false; break; }
            const char *num = c.p;
            while (c.p < c.end && !is_ascii_letter(*c.p) && !is_space_char(*c.p)) c.p++;
            float komi;
            if (!token_to_float(num, (size_t)(c.p - num), &komi) || komi > 1e5f || komi < -1e5f) { ok = false; break; }
            r.komi = komi;
            *komi_given = true;
            skip_space(&c);
        } else if (take(&c, "ko")) {
            if (take(&c, "SIMPLE")) r.ko_rule = TG_KO_SIMPLE;
            else if (take(&c, "POSITIONAL")) r.ko_rule = TG_KO_POSITIONAL;
            else if (take(&c, "SITUATIONAL")) r.ko_rule = TG_KO_SITUATIONAL;
            else if (take(&c, "SPIGHT")) r.ko_rule = TG_KO_SPIGHT;
            else ok = false;
        } else if (take(&c, "scoring") || take(&c, "score")) {
            if (take(&c, "AREA")) r.scoring_rule = TG_SCORING_AREA;
            else if (take(&c, "TERRITORY")) r.scoring_rule = TG_SCORING_TERRITORY;
            else ok = false;
        } else if (take(&c, "tax")) {
            if (take(&c, "NONE")) r.tax_rule = TG_TAX_NONE;
            else if (take(&c, "SEKI")) r.tax_rule = TG_TAX_SEKI;
            else if (take(&c, "ALL")) r.tax_rule = TG_TAX_ALL;
            else ok = false;
            tax_given = ok;
        } else if (take(&c, "sui")) {
            if (take(&c, "1")) r.multi_stone_suicide_legal = true;
            else if (take(&c, "0")) r.multi_stone_suicide_legal = false;
            else ok = false;
        } else if (take(&c, "button")) {
            if (take(&c, "1")) r.has_button = true;
            else if (take(&c, "0")) r.has_button = false;
            else ok = false;
        } else if (take(&c, "whb")) {
            /* "N-1" before "N": the shorter word is a prefix of the longer. */
            if (take(&c, "0")) r.white_handicap_bonus_rule = TG_WHB_ZERO;
            else if (take(&c, "N-1")) r.white_handicap_bonus_rule = TG_WHB_N_MINUS_ONE;
            else if (take(&c, "N")) r.white_handicap_bonus_rule = TG_WHB_N;
            else ok = false;
        } else if (take(&c, "fpok")) {
            if (take(&c, "1")) r.friendly_pass_ok = true;
            else if (take(&c, "0")) r.friendly_pass_ok = false;
            else ok = false;
        } else {
            ok = false;
        }
    }
    if (!ok) {
        tg_set_err(err, errlen, "Could not parse rules: %s", text);
        return false;
    }
    apply_unstated_defaults(&r, tax_given, *komi_given);
    *out = r;
    return true;
}

/* ---- parse entry points --------------------------------------------------------------------- */

/* komi_given tells whether the text fixed the komi; otherwise out->komi is the form's default. */
static bool parse_any(const char *text, bool allow_komi, tg_rules *out, bool *komi_given, char *err, size_t errlen) {
    *komi_given = false;
    if (!text) {
        tg_set_err(err, errlen, "Could not parse rules: ");
        return false;
    }
    const named_ruleset *named = find_named(text);
    if (named) {
        *out = named->rules;
        return true;
    }
    /* Only an opening brace in the very first byte selects JSON; leading blanks fall to the compact form. */
    if (text[0] == '{')
        return parse_json_form(text, allow_komi, out, komi_given, err, errlen);
    return parse_compact_form(text, allow_komi, out, komi_given, err, errlen);
}

bool tg_rules_parse(const char *text, float komi, tg_rules *out, char *err, size_t errlen) {
    tg_rules r;
    bool komi_given;
    if (!parse_any(text, true, &r, &komi_given, err, errlen))
        return false;
    if (!komi_given)
        r.komi = komi;
    *out = r;
    return true;
}

bool tg_rules_parse_with_default_komi(const char *text, tg_rules *out, char *err, size_t errlen) {
    tg_rules r;
    bool komi_given;
    if (!parse_any(text, true, &r, &komi_given, err, errlen))
        return false;
    *out = r;
    return true;
}

bool tg_rules_parse_without_komi(const char *text, float komi, tg_rules *out, char *err, size_t errlen) {
    tg_rules r;
    bool komi_given;
    if (!parse_any(text, false, &r, &komi_given, err, errlen))
        return false;
    r.komi = komi;
    *out = r;
    return true;
}

/* ---- kata-set-rule -------------------------------------------------------------------------- */

/* Copies s without surrounding blanks into buf (truncating to fit), optionally upper-cased. */
static void trimmed_copy(const char *s, bool upper, char *buf, size_t buflen) {
    const char *b = s, *e = s + strlen(s);
    while (b < e && is_space_char(*b)) b++;
    while (e > b && is_space_char(e[-1])) e--;
    size_t n = (size_t)(e - b);
    if (n >= buflen) n = buflen - 1;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        buf[i] = (upper && c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    buf[n] = '\0';
}

static bool parse_bool_word(const char *value, bool *out, char *err, size_t errlen) {
    /* value is already trimmed and upper-cased, as KataGo reports it. */
    if (strcmp(value, "TRUE") == 0) { *out = true; return true; }
    if (strcmp(value, "FALSE") == 0) { *out = false; return true; }
    tg_set_err(err, errlen, "could not parse bool: %s", value);
    return false;
}

bool tg_rules_update(tg_rules *rules, const char *key, const char *value, char *err, size_t errlen) {
    char k[256], v[256];
    trimmed_copy(key ? key : "", false, k, sizeof k);
    trimmed_copy(value ? value : "", true, v, sizeof v);
    tg_rules r = *rules;
    bool ok;
    if (strcmp(k, "ko") == 0) ok = field_from_word("ko", v, &r.ko_rule, err, errlen);
    else if (strcmp(k, "score") == 0 || strcmp(k, "scoring") == 0) ok = field_from_word("scoring", v, &r.scoring_rule, err, errlen);
    else if (strcmp(k, "tax") == 0) ok = field_from_word("tax", v, &r.tax_rule, err, errlen);
    else if (strcmp(k, "suicide") == 0) ok = parse_bool_word(v, &r.multi_stone_suicide_legal, err, errlen);
    else if (strcmp(k, "hasButton") == 0) ok = parse_bool_word(v, &r.has_button, err, errlen);
    else if (strcmp(k, "whiteHandicapBonus") == 0) ok = field_from_word("whb", v, &r.white_handicap_bonus_rule, err, errlen);
    else if (strcmp(k, "friendlyPassOk") == 0) ok = parse_bool_word(v, &r.friendly_pass_ok, err, errlen);
    else {
        tg_set_err(err, errlen, "Unknown rules option: %s", k);
        ok = false;
    }
    if (ok)
        *rules = r;
    return ok;
}

/* ---- output --------------------------------------------------------------------------------- */

/* Appends to a bounded buffer while counting the full length, snprintf style. */
typedef struct outbuf {
    char *buf;
    size_t cap;
    size_t len;
} outbuf;

static void out_add(outbuf *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static int out_done(outbuf *o) {
    if (o->cap > 0 && o->len >= o->cap)
        o->buf[o->cap - 1] = '\0';
    return (int)o->len;
}

/* A double written the way KataGo's JSON library writes one: the shortest digits that read back
 * exactly, always with a decimal point or exponent, plain notation for decimal exponents -4..15. */
static void format_json_double(double v, char *dst, size_t dstlen) {
    if (!isfinite(v)) {
        snprintf(dst, dstlen, "null");
        return;
    }
    if (v == 0.0) {
        snprintf(dst, dstlen, "%s", signbit(v) ? "-0.0" : "0.0");
        return;
    }
    char sci[40];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec - 1, v);
        if (strtod(sci, NULL) == v)
            break;
    }
    /* sci is "[-]d[.ddd]e[+-]XX": split into digit string and the decimal exponent. */
    const char *p = sci;
    bool neg = *p == '-';
    if (neg) p++;
    char digits[24];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < 23) digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = '\0';
    int exp10 = atoi(p + 1);
    int point = exp10 + 1; /* position of the decimal point after this many digits */

    char body[64];
    if (nd <= point && point <= 15) {
        int pos = snprintf(body, sizeof body, "%s", digits);
        for (int i = nd; i < point; i++) body[pos++] = '0';
        snprintf(body + pos, sizeof body - (size_t)pos, ".0");
    } else if (0 < point && point <= 15) {
        snprintf(body, sizeof body, "%.*s.%s", point, digits, digits + point);
    } else if (-4 < point && point <= 0) {
        int pos = snprintf(body, sizeof body, "0.");
        for (int i = 0; i < -point; i++) body[pos++] = '0';
        snprintf(body + pos, sizeof body - (size_t)pos, "%s", digits);
    } else {
        int e = point - 1;
        if (nd == 1)
            snprintf(body, sizeof body, "%se%c%02d", digits, e < 0 ? '-' : '+', e < 0 ? -e : e);
        else
            snprintf(body, sizeof body, "%c.%se%c%02d", digits[0], digits + 1, e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
    snprintf(dst, dstlen, "%s%s", neg ? "-" : "", body);
}

int tg_rules_to_json_ex(const tg_rules *rules, bool with_komi, bool omit_defaults, char *buf, size_t buflen) {
    outbuf o = {buf, buflen, 0};
    /* Keys in byte order, as KataGo's JSON objects store them. */
    out_add(&o, "{");
    bool first = true;
#define SEP() do { if (!first) out_add(&o, ","); first = false; } while (0)
    if (!omit_defaults || rules->friendly_pass_ok) {
        SEP(); out_add(&o, "\"friendlyPassOk\":%s", rules->friendly_pass_ok ? "true" : "false");
    }
    if (!omit_defaults || rules->has_button) {
        SEP(); out_add(&o, "\"hasButton\":%s", rules->has_button ? "true" : "false");
    }
    SEP(); out_add(&o, "\"ko\":\"%s\"", tg_ko_rule_str(rules->ko_rule));
    if (with_komi) {
        char num[80];
        format_json_double((double)rules->komi, num, sizeof num);
        SEP(); out_add(&o, "\"komi\":%s", num);
    }
    SEP(); out_add(&o, "\"scoring\":\"%s\"", tg_scoring_rule_str(rules->scoring_rule));
    SEP(); out_add(&o, "\"suicide\":%s", rules->multi_stone_suicide_legal ? "true" : "false");
    SEP(); out_add(&o, "\"tax\":\"%s\"", tg_tax_rule_str(rules->tax_rule));
    if (!omit_defaults || rules->white_handicap_bonus_rule != TG_WHB_ZERO) {
        SEP(); out_add(&o, "\"whiteHandicapBonus\":\"%s\"", tg_whb_rule_str(rules->white_handicap_bonus_rule));
    }
#undef SEP
    out_add(&o, "}");
    return out_done(&o);
}

int tg_rules_to_json(const tg_rules *rules, bool with_komi, char *buf, size_t buflen) {
    return tg_rules_to_json_ex(rules, with_komi, false, buf, buflen);
}

int tg_rules_to_string(const tg_rules *rules, bool with_komi, char *buf, size_t buflen) {
    outbuf o = {buf, buflen, 0};
    out_add(&o, "ko%sscore%stax%ssui%d", tg_ko_rule_str(rules->ko_rule), tg_scoring_rule_str(rules->scoring_rule),
            tg_tax_rule_str(rules->tax_rule), rules->multi_stone_suicide_legal ? 1 : 0);
    if (rules->has_button)
        out_add(&o, "button1");
    if (rules->white_handicap_bonus_rule != TG_WHB_ZERO)
        out_add(&o, "whb%s", tg_whb_rule_str(rules->white_handicap_bonus_rule));
    if (rules->friendly_pass_ok)
        out_add(&o, "fpok1");
    /* A C++ stream prints a float with six significant digits, %g style. */
    if (with_komi)
        out_add(&o, "komi%g", (double)rules->komi);
    return out_done(&o);
}

int tg_rules_to_string_nice(const tg_rules *rules, char *buf, size_t buflen) {
    const char *name = tg_rules_name(rules);
    if (name)
        return snprintf(buf, buflen, "%s", name);
    return tg_rules_to_string(rules, false, buf, buflen);
}
