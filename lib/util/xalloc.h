/* xalloc.h - allocation that never returns NULL.
 * Out-of-memory policy for the whole project: abort, as h2o, jq and redis
 * do. A process that cannot allocate a few bytes cannot serve or trace. */
#ifndef RC_XALLOC_H
#define RC_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t nmemb, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));

#endif
