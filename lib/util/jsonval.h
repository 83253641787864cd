/* jsonval.h - parse text as exactly one JSON value (json-c): strict JSON,
 * valid UTF-8, no NUL byte, a bounded depth, and nothing but white space
 * after the value. Every parser of outside JSON (the /chat body, model
 * replies, spool lines, the offline model's requests) goes through it. */
#ifndef RC_JSONVAL_H
#define RC_JSONVAL_H

#include <stddef.h>

#include <json-c/json.h>

#define JSONVAL_DEPTH_DEFAULT	32
#define JSONVAL_ERR_MAX		128

/* 1 when all n bytes at s are one JSON number (RFC 8259:
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), else 0. */
int jsonval_number_valid(const char *s, size_t n);
/* What jsonval_shape saw: an upper bound on the values json-c would build. */
struct jsonval_shape {
	size_t	values;		/* objects, arrays, strings (not keys),
				 * numbers and literals */
	int	depth;		/* deepest nesting seen */
};

/* Parse len bytes of text. depth limits nesting (0: the default). Returns
 * What RFC 8259 forbids but json-c lets through is refused first: raw
 * control characters, strings that are not strict UTF-8, numbers such as
 * "007" or "1.". Returns 0 with *out the value (NULL for a literal null; caller puts), or -1 with
 * *out NULL and a short reason in err ("NUL byte", "too large", "cut
 * short", "control character", "invalid utf-8", "malformed number", the
 * tokener's description, or "trailing data after the JSON value"), with the byte offset where it stopped in *at when at is not
 * NULL. */
int jsonval_parse(const char *text, size_t len, int depth,
    json_object **out, char *err, size_t errlen, size_t *at)
	__attribute__((warn_unused_result));

/* Count the values and the nesting of len bytes of text in one pass
 * without allocating, so a caller can refuse a body that would build a
 * huge tree before json-c builds it. It does not validate: malformed text
 * gets some count and jsonval_parse says what is wrong. Stops counting
 * once values exceeds max_values or depth exceeds max_depth (0: no limit),
 * so the cost is bounded by the limits too. Cannot fail. */
void jsonval_shape(const char *text, size_t len, size_t max_values,
    int max_depth, struct jsonval_shape *out);

#endif
