/* hash.c - FNV-1a, 32 and 64 bits. */
#include "hash.h"

uint32_t
hash_fnv32(const void *p, size_t len, uint32_t h)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

uint64_t
hash_fnv64(const void *p, size_t len, uint64_t h)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}
