/* otlpcheck.h - a second reading of an OTLP request for otlp-receiver:
 * protobuf-c's generated structures, field by field and by name, against
 * the OTLP/JSON that otlpjson rendered from the same bytes. */
#ifndef RC_OTLPCHECK_H
#define RC_OTLPCHECK_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define OTLPCHECK_WHERE_MAX	256

/* Unpack pb as an ExportTraceServiceRequest and compare every field with
 * traces (a TracesData object: absent means zero or empty, as OTLP/JSON
 * allows). Returns 0 when they agree, or -1 with the JSON path of the first
 * disagreement (or why pb does not unpack) in where. traces stays the
 * caller's. */
int otlpcheck_request(const uint8_t *pb, size_t len, json_object *traces,
    char *where, size_t wherelen) __attribute__((warn_unused_result));

#endif
