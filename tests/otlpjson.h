/* otlpjson.h - test-side OTLP (see otlpjson.c): protobuf requests back to
 * OTLP/JSON, and packed collector answers. Not part of lib/: only tests,
 * fuzz drivers and otlp-receiver use them. */
#ifndef RC_OTLPJSON_H
#define RC_OTLPJSON_H

#include <stddef.h>
#include <stdint.h>

/* Decode a protobuf ExportTraceServiceRequest and render it as one
 * OTLP/JSON TracesData line (no newline) in the spool writer's conventions:
 * lowerCamelCase, hex ids, 64-bit integers as strings, zero and empty
 * optional fields omitted as span_write_json omits them. *nspans (if not
 * NULL) gets the span count. Caller frees; NULL with err on bad input. */
char *otlpjson_request(const uint8_t *pb, size_t len, size_t *nspans,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* A packed ExportTraceServiceResponse: empty (0 bytes) when rejected is 0
 * and msg NULL or "", else with partial_success. Never NULL (out of memory
 * aborts); caller frees. */
uint8_t *otlpjson_response_pack(int64_t rejected, const char *msg,
    size_t *len);

#endif
