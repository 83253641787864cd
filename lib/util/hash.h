/* hash.h - FNV-1a, the one non-cryptographic hash of the project: hash
 * tables keyed by session ids, recipe names and trace ids. Not for
 * anything an attacker should not be able to collide. */
#ifndef RC_HASH_H
#define RC_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV32_INIT	2166136261u
#define HASH_FNV64_INIT	14695981039346656037ULL

/* 32-bit FNV-1a of len bytes of p, continuing from h (HASH_FNV32_INIT to
 * start). Cannot fail. */
uint32_t hash_fnv32(const void *p, size_t len, uint32_t h);
/* 64-bit FNV-1a of len bytes of p, continuing from h (HASH_FNV64_INIT to
 * start). Cannot fail. */
uint64_t hash_fnv64(const void *p, size_t len, uint64_t h);

#endif
