/* utf8.h - strict UTF-8: no overlong forms, surrogates, code points past
 * U+10FFFF, sequences cut short, or NUL bytes. Protobuf parsers refuse a
 * whole request for one bad string, so everything the project stores or
 * ships is checked or cleaned here. */
#ifndef RC_UTF8_H
#define RC_UTF8_H

#include <stddef.h>

/* Length (1-4) of the valid sequence at s, reading at most n (> 0) bytes;
 * 0 when it is invalid or a NUL. Cannot fail. */
size_t utf8_seqlen(const unsigned char *s, size_t n);
/* 1 when all len bytes of s are strict UTF-8 without NUL, else 0.
 * Cannot fail. */
int utf8_valid(const char *s, size_t len);
/* Copy len bytes of s as strict UTF-8 of at most max bytes (plus a NUL):
 * each invalid byte becomes U+FFFD and the copy is cut on a character
 * boundary. *cut is set to 1 when something did not fit, else 0. Never
 * NULL (out of memory aborts); caller frees. */
char *utf8_clean(const char *s, size_t len, size_t max, int *cut);

#endif
