/* spanscan.h - a fast, allocation-free reader of spool lines (OTLP/JSON
 * TracesData) for viewing: it walks a line once, skipping what a view does
 * not need, and hands out each span's fields as slices of the line. json-c
 * builds a whole tree per line, which is too slow for a day of spool
 * (gigabytes: the LLM spans carry whole conversations). */
#ifndef RC_SPANSCAN_H
#define RC_SPANSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "spoolfmt.h"

struct spanscan_str {		/* a JSON string's raw contents (still
				 * escaped), or ptr NULL when absent */
	const char	*ptr;
	size_t		 len;
};

struct spanscan_span {
	struct spanscan_str	trace_id, span_id, parent_span_id, name;
	int			kind;		/* OTLP SpanKind, 0 when absent */
	uint64_t		start_ns, end_ns;
	int			status_code;	/* 0 unset, 1 ok, 2 error */
	struct spanscan_str	status_message;
	/* Attributes a view shows; absent ones have ptr NULL / have_ 0. */
	struct spanscan_str	oi_kind;	/* openinference.span.kind */
	struct spanscan_str	session_id, user_id;
	struct spanscan_str	input, output;	/* input.value, output.value */
	struct spanscan_str	model;		/* llm.model_name */
	int			have_tokens;
	int64_t			tokens_prompt, tokens_completion,
				tokens_total;	/* -1 when absent */
	struct spanscan_str	exception_type;	/* first exception event */
	struct spanscan_str	exception_message;
	/* Raw JSON text of the span object and of its resource and scope,
	 * for re-emitting OTLP/JSON (--json). */
	struct spanscan_str	raw, raw_resource, raw_scope;
	struct spanscan_str	service_name;	/* resource service.name */
};

/* Called for each span of a line; return 0 to go on, -1 to stop. */
typedef int (*spanscan_fn)(const struct spanscan_span *s, void *arg);

/* Nesting deeper than this is an error, as in the flusher's reader. */
#define SPANSCAN_MAX_DEPTH	SPOOLFMT_DEPTH_MAX

/* Walk one line (without its '\n'). Returns the number of spans seen, or
 * -1 when the line is not a well-formed TracesData object (torn, cut,
 * not JSON): fn may already have seen some spans of it. Nested depth is
 * limited to SPANSCAN_MAX_DEPTH. When fn stops the walk, returns the
 * number of spans handed to fn so far. fn may be NULL (count and check).
 * A field the scanner reads that has the wrong JSON type is an error; a
 * null one counts as absent. */
int spanscan_line(const char *line, size_t len, spanscan_fn fn, void *arg);

/* Decode a raw JSON string slice (escapes, \uXXXX with surrogate pairs)
 * into out as UTF-8, at most outlen - 1 bytes, cut on a character
 * boundary, NUL-terminated; control characters become spaces when
 * one_line is set. Returns the number of bytes written into out (the
 * caller's); cannot fail. */
size_t spanscan_unescape(struct spanscan_str s, char *out, size_t outlen,
    int one_line);
/* Compare a slice with a plain C string (no escapes in either): 1 when
 * equal, 0 when not or when s is absent. */
int spanscan_eq(struct spanscan_str s, const char *cstr);

#endif
