/* KataGo-style .cfg files: "key = value" lines read with inih, '#' comments (inline too),
 * -override-config "k=v,k=v", typed getters that report file, line, key and what is allowed. */
#ifndef TENGEN_FRONT_CONFIG_H
#define TENGEN_FRONT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tg_config tg_config;

/* An empty config (built-in defaults apply). */
tg_config *tg_config_new(void);
/* Reads path into cfg (later keys replace earlier ones). Returns false with "FILE:LINE: message" in err. */
bool tg_config_load_file(tg_config *cfg, const char *path, char *err, size_t errlen);
/* Reads path into cfg or, when path is NULL, default_path if that file is readable (if not, cfg keeps the
 * built-in defaults): how every subcommand finds its config. Errors as tg_config_load_file. */
bool tg_config_load_file_or_default(tg_config *cfg, const char *path, const char *default_path, char *err,
                                    size_t errlen);
/* Applies "key=value,key=value" (KataGo's -override-config; spaces around keys and values trimmed). */
bool tg_config_apply_overrides(tg_config *cfg, const char *overrides, char *err, size_t errlen);
/* Sets one key as if it came from the command line (used by kata-set-param and tests). */
void tg_config_set(tg_config *cfg, const char *key, const char *value);
/* A separate copy of every key (per-query overrides are laid over it). NULL when out of memory. */
tg_config *tg_config_copy(const tg_config *cfg);
void tg_config_free(tg_config *cfg);

bool tg_config_has(const tg_config *cfg, const char *key);
/* Raw value or NULL. Marks the key as used. */
const char *tg_config_get(const tg_config *cfg, const char *key);

/* Typed getters: when the key is absent *out = def and true is returned. When present but bad, false
 * is returned with "FILE:LINE: key 'K' has value 'V'; expected ..." (or "command line" for overrides). */
bool tg_config_get_bool(const tg_config *cfg, const char *key, bool def, bool *out, char *err, size_t errlen);
bool tg_config_get_int(const tg_config *cfg, const char *key, int64_t def, int64_t min, int64_t max,
                       int64_t *out, char *err, size_t errlen);
bool tg_config_get_double(const tg_config *cfg, const char *key, double def, double min, double max,
                          double *out, char *err, size_t errlen);
/* One of the '|'-separated choices in allowed, compared case-insensitively ("auto|true|false"). */
bool tg_config_get_enum(const tg_config *cfg, const char *key, const char *def, const char *allowed,
                        const char **out, char *err, size_t errlen);

/* Calls warn(msg, ctx) once per key that neither KataGo nor tengen knows, with file and line. */
void tg_config_warn_unknown(const tg_config *cfg, void (*warn)(const char *msg, void *ctx), void *ctx);
/* Whether key is one KataGo or tengen defines (for tests and kata-set-param). */
bool tg_config_key_is_known(const char *key);

#endif
