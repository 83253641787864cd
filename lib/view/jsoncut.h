/* jsoncut.h - cutting the raw text of a JSON string (still escaped, as
 * spanscan hands it out) without splitting an escape sequence, so that
 * what is kept still decodes. */
#ifndef RC_JSONCUT_H
#define RC_JSONCUT_H

#include <stddef.h>

/* The length of the longest prefix of the len bytes at p, at most n, that
 * does not end inside an escape sequence ("\x" or "\uXXXX"); an n past len
 * is taken as len. Cannot fail; nothing is allocated. */
size_t jsoncut_prefix(const char *p, size_t len, size_t n);

#endif
