/* xalloc.h - allocation that never returns NULL.
 * Out-of-memory policy for the whole project: abort, as h2o, jq and redis
 * do. A process that cannot allocate a few bytes cannot serve or trace. */
#ifndef RC_XALLOC_H
#define RC_XALLOC_H

#include <stddef.h>

/* Each aborts when memory runs out and never returns NULL; the caller
 * frees the result with free(3). */

/* malloc(3) of n bytes (at least one). */
void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
/* calloc(3); nmemb * size overflowing aborts too. */
void *xcalloc(size_t nmemb, size_t size)
	__attribute__((malloc, returns_nonnull));
/* realloc(3); p is gone once it returns. */
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
/* A copy of s. */
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
/* A copy of the first n bytes of s (which must have them), then a NUL. */
char *xstrndup(const char *s, size_t n)
	__attribute__((malloc, returns_nonnull));

#endif
