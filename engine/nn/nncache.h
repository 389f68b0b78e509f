/* The neural-network result cache, in the manner of KataGo's NNCacheTable (cpp/neuralnet/nneval.cpp):
 * a fixed table of 2^size_pow2 slots indexed by the low bits of a 128-bit key, one slot per index
 * (a newer result replaces an older one), guarded by a pool of 2^mutex_pow2 mutexes.
 *
 * Memory. A slot is a pointer (8 bytes), so the table itself costs 8 MiB at the GTP default
 * (2^20). Results are stored only when put and only as large as the board needs: the policy
 * (area + 1 floats) and, when present, the ownership (area floats) plus the scalars, about 2.9 KiB
 * for 19x19 and 0.7 KiB for 9x9. A table filled completely at 19x19 would hold about 3 GiB;
 * filling 2^20 slots takes a million distinct network evaluations, which a CPU backend needs hours
 * for. Lower nnCacheSizePowerOfTwo where memory is short. */
#ifndef TENGEN_NN_NNCACHE_H
#define TENGEN_NN_NNCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "postprocess.h"

typedef struct tg_nncache tg_nncache;

typedef struct tg_nncache_key {
    uint64_t hash0, hash1; /* hash0's low bits choose the slot; both must match for a hit */
} tg_nncache_key;

/* size_pow2 in 0..48, mutex_pow2 >= 0 (clamped to size_pow2, as KataGo does). NULL when the table
 * cannot be allocated. */
tg_nncache *tg_nncache_new(int size_pow2, int mutex_pow2);
void tg_nncache_free(tg_nncache *c);

/* Copies the stored result for key into out (the whole tg_nn_result, as it was put). */
bool tg_nncache_get(tg_nncache *c, tg_nncache_key key, tg_nn_result *out);
/* Stores r under key, replacing whatever held the slot. Silently does nothing when out of memory. */
void tg_nncache_put(tg_nncache *c, tg_nncache_key key, const tg_nn_result *r);
/* Empties every slot and releases the stored results. */
void tg_nncache_clear(tg_nncache *c);
/* How many slots hold a result (walks the table; for tests and statistics). */
uint64_t tg_nncache_count(tg_nncache *c);

#endif
