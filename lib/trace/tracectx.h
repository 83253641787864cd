/* tracectx.h - trace and span ids from the kernel CSPRNG, and the W3C Trace
 * Context headers (traceparent, tracestate) parsed and formatted exactly. */
#ifndef RC_TRACECTX_H
#define RC_TRACECTX_H

#include <stddef.h>
#include <stdint.h>

#define TRACECTX_TRACEPARENT_LEN	55	/* version 00, without NUL */
#define TRACECTX_TRACESTATE_MAX		512	/* what we keep and propagate */
#define TRACECTX_FLAG_SAMPLED		0x01
#define TRACECTX_FLAG_RANDOM		0x02

struct tracectx {
	uint8_t	trace_id[16];
	uint8_t	span_id[8];
	uint8_t	flags;			/* W3C trace flags, bits 0-1 only */
	char	tracestate[TRACECTX_TRACESTATE_MAX + 1]; /* "" when none */
};

/* Fill buf with n random bytes from getrandom(2). Returns 0 or -1. */
int tracectx_random(void *buf, size_t n) __attribute__((warn_unused_result));
/* New random non-zero trace id and span id; flags sampled|random;
 * tracestate empty. Returns 0 or -1 (getrandom failed). */
int tracectx_new_trace(struct tracectx *ctx) __attribute__((warn_unused_result));
/* New random non-zero span id, keeping trace id, flags and tracestate.
 * Returns 0 or -1 (getrandom failed: ctx's span id is then unchanged). */
int tracectx_new_span(struct tracectx *ctx) __attribute__((warn_unused_result));

/* Parse a traceparent header value (surrounding spaces/tabs allowed; any
 * version but ff; a version above 00 may carry more '-' fields). On success
 * fills trace_id, span_id (the caller's parent) and flags (bits 0-1 kept),
 * clears tracestate and returns 0. Returns -1 for anything invalid, with
 * ctx untouched. */
int tracectx_parse_traceparent(const char *hdr, struct tracectx *ctx)
	__attribute__((warn_unused_result));
/* Write "00-<trace>-<span>-<flags>" and a NUL into out (56 bytes).
 * Cannot fail. */
void tracectx_format_traceparent(const struct tracectx *ctx,
    char out[TRACECTX_TRACEPARENT_LEN + 1]);
/* Validate a tracestate header value and store its members in
 * ctx->tracestate, normalised (optional white space around members
 * removed), dropping whole members from the end to stay within 512 chars.
 * Returns 0, or -1 (tracestate left empty) when the list is invalid: more
 * than 32 members, a bad key or value, or a duplicate key. */
int tracectx_parse_tracestate(const char *hdr, struct tracectx *ctx)
	__attribute__((warn_unused_result));
/* 1 when all n bytes are zero (an invalid id), else 0. Cannot fail. */
int tracectx_is_zero(const uint8_t *bytes, size_t n);

#endif
