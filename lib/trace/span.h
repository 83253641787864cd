/* span.h - one OpenTelemetry span, bounded in size, and its OTLP/JSON form.
 *
 * Limits follow the OTel SDK defaults (128 attributes, events, links) plus
 * a cap on each string value; what is cut is counted in the span's
 * dropped_attributes_count (a truncated value counts as one), and
 * dropped_events_count / dropped_links_count. A span is used by one thread.
 */
#ifndef RC_SPAN_H
#define RC_SPAN_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "tracectx.h"
#include "buf.h"

#define SPAN_MAX_ATTRIBUTES	128
#define SPAN_MAX_EVENTS		128
#define SPAN_MAX_LINKS		128
#define SPAN_MAX_EVENT_ATTRIBUTES 16
#define SPAN_MAX_VALUE_LEN	(32 * 1024) /* bytes, cut on a UTF-8 boundary */

enum span_kind {			/* OTLP SpanKind */
	SPAN_KIND_UNSPECIFIED = 0,
	SPAN_KIND_INTERNAL = 1,
	SPAN_KIND_SERVER = 2,
	SPAN_KIND_CLIENT = 3,
	SPAN_KIND_PRODUCER = 4,
	SPAN_KIND_CONSUMER = 5,
};

enum span_status {			/* OTLP Status.code */
	SPAN_STATUS_UNSET = 0,
	SPAN_STATUS_OK = 1,
	SPAN_STATUS_ERROR = 2,
};

struct span;

/* Current wall-clock time in ns since the epoch. Cannot fail. */
uint64_t span_now_ns(void);

/* Start a span now. With parent NULL it starts a new trace (root span);
 * otherwise it joins parent's trace as its child (parent_span_id =
 * parent->span_id, flags and tracestate inherited). Returns NULL only if
 * the kernel gave no random bytes. name is copied (cleaned as UTF-8).
 * Caller frees with span_free. */
struct span *span_start(const char *name, enum span_kind kind,
    const struct tracectx *parent) __attribute__((warn_unused_result));
/* Free s and all it holds; NULL is allowed. */
void span_free(struct span *s);

/* The span's own context (trace id, its span id, flags, tracestate):
 * what goes into an outgoing traceparent and what children use as parent.
 * Cannot fail; points into s (not to be freed), valid until span_free. */
const struct tracectx *span_context(const struct span *s);
/* The span's name as stored (valid UTF-8). Cannot fail; points into s,
 * valid until span_free. */
const char *span_name(const struct span *s);

/* Attributes: strings and integers, the only types the project writes.
 * Setting a key again replaces its value. Values longer than
 * SPAN_MAX_VALUE_LEN are cut; attributes past SPAN_MAX_ATTRIBUTES, and
 * empty keys, are dropped; both are counted. Keys and strings should be
 * UTF-8 (invalid bytes and NUL become U+FFFD). None of them can fail
 * (out of memory aborts); key and value are copied.
 * A NULL span is a span not recorded (tracing is off, OTEL_SDK_DISABLED):
 * these setters, span_add_link, span_add_exception, span_set_status and
 * span_end do nothing with it. */

/* Set key to the NUL-terminated string val (NULL: ""). */
void span_set_str(struct span *s, const char *key, const char *val);
/* Set key to the len bytes of val (NULL: ""). */
void span_set_strn(struct span *s, const char *key, const char *val,
    size_t len);
/* Set key to an integer. */
void span_set_int(struct span *s, const char *key, int64_t val);

/* Link to another span context (e.g. an untrusted incoming traceparent),
 * with its tracestate (copied). Past SPAN_MAX_LINKS it is counted as
 * dropped. Cannot fail. */
void span_add_link(struct span *s, const struct tracectx *ctx);
/* Record an OTel "exception" event now, with exception.type,
 * exception.message (each left out when NULL; copied) and
 * exception.escaped (stacktrace omitted). Past SPAN_MAX_EVENTS it is
 * counted as dropped. Cannot fail. */
void span_add_exception(struct span *s, const char *type, const char *msg,
    int escaped);
/* Set status; msg is copied only for SPAN_STATUS_ERROR (may be NULL).
 * Cannot fail. */
void span_set_status(struct span *s, enum span_status code, const char *msg);
/* Set the end time to now (the first call wins). Cannot fail. */
void span_end(struct span *s);

/* A double as OTLP/JSON writes it: the shortest of %.15g / %.17g that
 * reads back exactly; NaN and the infinities as the strings the protobuf
 * JSON mapping uses. Never NULL; caller owns the result
 * (json_object_put). */
json_object *span_json_double(double d);

/* Append the span as an OTLP/JSON Span object to b (lowerCamelCase, hex
 * ids, 64-bit integers as decimal strings, enums as integers; compact,
 * keys in a fixed order); a span not yet ended ends now in it. Written
 * straight as text: a turn's two spans cost no json-c tree. Returns 0, or
 * -1 past b's limit (b then holds part of the span). */
int span_write_json(const struct span *s, struct buf *b)
	__attribute__((warn_unused_result));

#endif
