/* otlp.h - OTLP/JSON TracesData lines to protobuf ExportTraceServiceRequest
 * batches (protobuf-c), and the collector's ExportTraceServiceResponse.
 * (The way back to JSON, for tests and the test receiver, is
 * tests/otlpjson.c.)
 *
 * Input lines may use everything the OTLP/JSON mapping allows: lowerCamelCase
 * or original proto field names, hex trace/span ids, 64-bit integers as
 * decimal strings or numbers, enums as integers or names, base64 bytes,
 * "NaN"/"Infinity"/"-Infinity" doubles; unknown fields are ignored. JSON
 * numbers past the 64-bit range saturate (json-c reads them that way).
 */
#ifndef RC_OTLP_H
#define RC_OTLP_H

#include <stddef.h>
#include <stdint.h>

/* Room for a conversion error message, with the path to the bad field. */
#define OTLP_ERR_MAX		256

struct otlp_batch;

/* An empty ExportTraceServiceRequest under construction. Never NULL (out of
 * memory aborts). Free with otlp_batch_free. */
struct otlp_batch *otlp_batch_new(void);
/* Release the batch and everything added to it. NULL is ignored. */
void otlp_batch_free(struct otlp_batch *b);
/* Parse one TracesData line (at most SPOOLFMT_LINE_MAX bytes, one JSON value
 * by jsonval_parse) and append its ResourceSpans. Returns 0 and
 * adds the line's span count to *nspans (if not NULL); or -1 with the reason
 * in err, the batch unchanged. */
int otlp_batch_add_line(struct otlp_batch *b, const char *line, size_t len,
    size_t *nspans, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* otlp_batch_add_line by the reference conversion alone (json-c), never
 * the fast path (otlpread.h): for the tests that hold the two to the same
 * results. Same contract. */
int otlp_batch_add_line_ref(struct otlp_batch *b, const char *line,
    size_t len, size_t *nspans, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Spans in the batch so far. Cannot fail. */
size_t otlp_batch_span_count(const struct otlp_batch *b);
/* ResourceSpans in the batch so far. Cannot fail. */
size_t otlp_batch_resource_count(const struct otlp_batch *b);
/* Size in bytes of the packed request. Cannot fail. */
size_t otlp_batch_packed_size(const struct otlp_batch *b);
/* The request as protobuf bytes, *len set. Never NULL; caller frees. */
uint8_t *otlp_batch_pack(const struct otlp_batch *b, size_t *len);
/* Drop everything added; the batch is empty again. Cannot fail. */
void otlp_batch_reset(struct otlp_batch *b);
/* Move everything in src to the end of dst; src is left empty. The packed
 * size of dst grows by exactly src's packed size, so a line can be sized
 * in a small batch first and moved only if it fits. Cannot fail. */
void otlp_batch_move(struct otlp_batch *dst, struct otlp_batch *src);

/* Decode an ExportTraceServiceResponse: *rejected gets partial_success's
 * rejected_spans and msg its error_message (both 0/"" when absent; msg is
 * cut to msglen). Returns 0, or -1 (msg set to the reason) on bad input. */
int otlp_parse_response(const uint8_t *pb, size_t len, int64_t *rejected,
    char *msg, size_t msglen) __attribute__((warn_unused_result));

#endif
