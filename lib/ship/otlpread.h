/* otlpread.h - the flusher's fast path from an OTLP/JSON line to protobuf-c
 * messages: one strict pass over the text that fills the messages as it
 * reads, without a JSON tree. It takes the common forms only; anything
 * else (an error, and the rare forms it leaves out) it declines, and
 * otlp.c's reference conversion (json-c) decides, with its error text.
 * What it accepts, the reference accepts with the same messages.
 * Also the OTLP/JSON rules both share: hex ids, base64 bytes. */
#ifndef RC_OTLPREAD_H
#define RC_OTLPREAD_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Deepest nesting of arrays and objects read here; deeper lines are
 * declined (the spool's limit, SPOOLFMT_DEPTH_MAX, is larger). */
#define OTLPREAD_DEPTH_MAX	32

/* Memory for the messages: n bytes aligned for any type, not zeroed,
 * owned by ctx; never NULL. */
typedef void *(*otlpread_alloc_fn)(void *ctx, size_t n);

/* A bytes field OTLP/JSON writes as hex of a fixed length. */
struct otlpread_hex {
	const char	*field;
	size_t		 len;
	int		 optional;	/* may be empty (a root's parent) */
};

/* Read text (len bytes: exactly one JSON object, white space after it)
 * as a message of type desc, allocated through alloc(ctx, n). Returns 0
 * with *out set, or -1 when declined: what was allocated is garbage for
 * the caller to roll back, and the reference conversion must decide. */
int otlpread_message(const ProtobufCMessageDescriptor *desc,
    const char *text, size_t len, otlpread_alloc_fn alloc, void *ctx,
    ProtobufCMessage **out) __attribute__((warn_unused_result));
/* The hex rule for bytes field f of desc (trace_id, span_id,
 * parent_span_id of the trace package), or NULL for plain base64.
 * Cannot fail. */
const struct otlpread_hex *otlpread_hex_rule(
    const ProtobufCMessageDescriptor *desc, const ProtobufCFieldDescriptor *f);
/* Bytes one element of repeated field f takes in protobuf-c's C
 * structure (the array stride). Cannot fail. */
size_t otlpread_elem_size(const ProtobufCFieldDescriptor *f);
/* Decode standard or URL-safe base64, padding optional, from s (len
 * bytes, NUL-terminated) into out (room for len * 3 / 4 bytes), *outlen
 * set. Returns 0, or -1 when s is not base64. */
int otlpread_b64_decode(const char *s, size_t len, uint8_t *out,
    size_t *outlen) __attribute__((warn_unused_result));

#endif
