/* jsonw.h - JSON text written straight into a buf: strings escaped as
 * RFC 8259 wants, integers in decimal. For hot paths that would otherwise
 * build a json-c tree only to print it (a turn's spans). */
#ifndef RC_JSONW_H
#define RC_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append the len bytes of s as a quoted JSON string: '"' and '\\'
 * escaped, control characters as \b \f \n \r \t or \u00XX, everything
 * else as it is (s must be valid UTF-8, which every reader of the spool
 * insists on). Returns 0, or -1 past b's limit (b then holds part of the
 * string: the caller drops the whole text). */
int jsonw_string(struct buf *b, const char *s, size_t len)
	__attribute__((warn_unused_result));
/* The NUL-terminated s (NULL: "") the same way. */
int jsonw_cstring(struct buf *b, const char *s)
	__attribute__((warn_unused_result));
/* Append v in decimal; with quoted set, inside quotes (OTLP/JSON writes
 * 64-bit integers as strings). Returns 0, or -1 past b's limit. */
int jsonw_uint(struct buf *b, uint64_t v, int quoted)
	__attribute__((warn_unused_result));
/* The same for a signed value. */
int jsonw_int(struct buf *b, int64_t v, int quoted)
	__attribute__((warn_unused_result));

#endif
