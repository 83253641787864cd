/* otlpjson.c - test-side OTLP: protobuf requests back to OTLP/JSON in the
 * spool writer's conventions, and packed collector answers. Used by the
 * unit tests, the fuzz drivers and otlp-receiver; the programs never need
 * them, so they live here and not in lib/otlp.c. Written apart from
 * otlp.c's reader on purpose: a round trip then checks one against the
 * other. json-c: every object built here is put before its maker returns. */
#include "otlpjson.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hex.h"
#include "otlpread.h"
#include "span.h"
#include "xalloc.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    ExportRequest;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
    ExportResponse;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTracePartialSuccess
    PartialSuccess;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans ResourceSpans;

#define COLLECTOR(name)	opentelemetry__proto__collector__trace__v1__##name
#define REQUEST_DESC	(&COLLECTOR(export_trace_service_request__descriptor))
#define RESPONSE_DESC	(&COLLECTOR(export_trace_service_response__descriptor))
#define PARTIAL_DESC	(&COLLECTOR(export_trace_partial_success__descriptor))
#define TRACE_PACKAGE	"opentelemetry.proto.trace.v1"
#define NAME_MAX_LEN	64		/* a field's lowerCamelCase name */
#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | \
    JSON_C_TO_STRING_NOSLASHESCAPE)

/* Fields written even when zero or empty, as the spool writer does. */
static const struct {
	const char	*message;
	const char	*field;
} otlpjson_always_fields[] = {
	{ "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
	    "resource_spans" },
	{ "opentelemetry.proto.trace.v1.ResourceSpans", "scope_spans" },
	{ "opentelemetry.proto.trace.v1.ScopeSpans", "spans" },
	{ "opentelemetry.proto.trace.v1.Span", "name" },
	{ "opentelemetry.proto.trace.v1.Span", "kind" },
	{ "opentelemetry.proto.trace.v1.Span", "start_time_unix_nano" },
	{ "opentelemetry.proto.trace.v1.Span", "end_time_unix_nano" },
	{ "opentelemetry.proto.trace.v1.Span", "attributes" },
	{ "opentelemetry.proto.trace.v1.Span.Event", "time_unix_nano" },
	{ "opentelemetry.proto.trace.v1.Span.Event", "name" },
	{ "opentelemetry.proto.trace.v1.Span.Event", "attributes" },
	{ "opentelemetry.proto.trace.v1.Status", "code" },
	{ "opentelemetry.proto.resource.v1.Resource", "attributes" },
	{ "opentelemetry.proto.common.v1.InstrumentationScope", "name" },
	{ "opentelemetry.proto.common.v1.KeyValue", "key" },
	{ "opentelemetry.proto.common.v1.ArrayValue", "values" },
	{ "opentelemetry.proto.common.v1.KeyValueList", "values" },
};

static const char otlpjson_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* "dropped_attributes_count" -> "droppedAttributesCount" */
static void
otlpjson_camel(const char *name, char out[NAME_MAX_LEN])
{
	size_t o = 0;
	int up = 0;

	for (; *name != '\0' && o < NAME_MAX_LEN - 1; name++) {
		if (*name == '_') {
			up = 1;
			continue;
		}
		out[o++] = up && *name >= 'a' && *name <= 'z' ?
		    (char)(*name - 'a' + 'A') : *name;
		up = 0;
	}
	out[o] = '\0';
}

/* OTLP/JSON writes trace_id, span_id and parent_span_id as hex. */
static int
otlpjson_hex_rule(const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f)
{
	return f->type == PROTOBUF_C_TYPE_BYTES &&
	    strcmp(desc->package_name, TRACE_PACKAGE) == 0 &&
	    (strcmp(f->name, "trace_id") == 0 ||
	    strcmp(f->name, "span_id") == 0 ||
	    strcmp(f->name, "parent_span_id") == 0);
}

static int
otlpjson_always(const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f)
{
	size_t i, n = sizeof(otlpjson_always_fields) /
	    sizeof(otlpjson_always_fields[0]);

	for (i = 0; i < n; i++)
		if (strcmp(desc->name, otlpjson_always_fields[i].message) == 0 &&
		    strcmp(f->name, otlpjson_always_fields[i].field) == 0)
			return 1;
	return 0;
}

static size_t
otlpjson_count_spans(ResourceSpans *const *rs, size_t n)
{
	size_t i, k, total = 0;

	for (i = 0; i < n; i++)
		for (k = 0; k < rs[i]->n_scope_spans; k++)
			total += rs[i]->scope_spans[k]->n_spans;
	return total;
}

static json_object *
otlpjson_bytes(const ProtobufCBinaryData *bd, int hex)
{
	json_object *j;
	char *s = xmalloc(bd->len * 2 + 4);
	size_t i, o = 0;
	uint32_t acc;

	if (hex)
		hex_encode(bd->data, bd->len, s);
	else {
		for (i = 0; i < bd->len; i += 3) {
			acc = (uint32_t)bd->data[i] << 16;
			if (i + 1 < bd->len)
				acc |= (uint32_t)bd->data[i + 1] << 8;
			if (i + 2 < bd->len)
				acc |= bd->data[i + 2];
			s[o++] = otlpjson_b64[acc >> 18 & 63];
			s[o++] = otlpjson_b64[acc >> 12 & 63];
			s[o++] = i + 1 < bd->len ? otlpjson_b64[acc >> 6 & 63] : '=';
			s[o++] = i + 2 < bd->len ? otlpjson_b64[acc & 63] : '=';
		}
		s[o] = '\0';
	}
	j = json_object_new_string(s);
	free(s);
	return j;
}

static json_object *otlpjson_msg(const ProtobufCMessage *);

/* One value of field f (member or repeated element at p) as JSON. */
static json_object *
otlpjson_value(const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, const void *p)
{
	char num[24];

	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		return json_object_new_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return json_object_new_int(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_object_new_int64(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(num, sizeof(num), "%" PRId64, *(const int64_t *)p);
		return json_object_new_string(num);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(num, sizeof(num), "%" PRIu64, *(const uint64_t *)p);
		return json_object_new_string(num);
	case PROTOBUF_C_TYPE_FLOAT:
		return span_json_double(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return span_json_double(*(const double *)p);
	case PROTOBUF_C_TYPE_STRING:
		return json_object_new_string(*(char *const *)p != NULL ?
		    *(char *const *)p : "");
	case PROTOBUF_C_TYPE_BYTES:
		return otlpjson_bytes(p, otlpjson_hex_rule(desc, f));
	default:
		return otlpjson_msg(*(ProtobufCMessage *const *)p);
	}
}

/* Whether field f of msg is at its zero value (proto3 omits those). */
static int
otlpjson_is_zero(const ProtobufCFieldDescriptor *f, const void *msg)
{
	const unsigned char *p = (const unsigned char *)msg + f->offset;
	size_t i, size = otlpread_elem_size(f);

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)((const char *)msg +
		    f->quantifier_offset) == 0;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)((const char *)msg +
		    f->quantifier_offset) != f->id;
	if (f->type == PROTOBUF_C_TYPE_STRING)
		return *(char *const *)p == NULL || **(char *const *)p == '\0';
	if (f->type == PROTOBUF_C_TYPE_BYTES)
		return ((const ProtobufCBinaryData *)p)->len == 0;
	for (i = 0; i < size; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static json_object *
otlpjson_field(const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, const void *msg)
{
	const unsigned char *p = (const unsigned char *)msg + f->offset;
	size_t i, n, size = otlpread_elem_size(f);
	json_object *arr;

	if (f->label != PROTOBUF_C_LABEL_REPEATED)
		return otlpjson_value(desc, f, p);
	n = *(const size_t *)((const char *)msg + f->quantifier_offset);
	arr = json_object_new_array_ext((int)n);
	p = *(const unsigned char *const *)p;
	for (i = 0; i < n; i++)
		json_object_array_add(arr, otlpjson_value(desc, f, p + i * size));
	return arr;
}

/* A message as OTLP/JSON: set fields, plus those the spool always writes
 * (a message field absent on the wire stays absent). */
static json_object *
otlpjson_msg(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *desc = m->descriptor;
	const ProtobufCFieldDescriptor *f;
	json_object *o = json_object_new_object();
	char name[NAME_MAX_LEN];
	unsigned i;

	for (i = 0; i < desc->n_fields; i++) {
		f = &desc->fields[i];
		if (otlpjson_is_zero(f, m) && (!otlpjson_always(desc, f) ||
		    (f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    f->label != PROTOBUF_C_LABEL_REPEATED)))
			continue;
		otlpjson_camel(f->name, name);
		json_object_object_add(o, name, otlpjson_field(desc, f, m));
	}
	return o;
}

char *
otlpjson_request(const uint8_t *pb, size_t len, size_t *nspans,
    char *err, size_t errlen)
{
	ExportRequest *r;
	json_object *j;
	char *out;

	r = (ExportRequest *)protobuf_c_message_unpack(REQUEST_DESC, NULL, len,
	    pb);
	if (r == NULL) {
		snprintf(err, errlen,
		    "not a protobuf ExportTraceServiceRequest");
		return NULL;
	}
	j = otlpjson_msg(&r->base);
	out = xstrdup(json_object_to_json_string_ext(j, JSON_FLAGS));
	if (nspans != NULL)
		*nspans = otlpjson_count_spans(r->resource_spans,
		    r->n_resource_spans);
	json_object_put(j);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return out;
}

uint8_t *
otlpjson_response_pack(int64_t rejected, const char *msg, size_t *len)
{
	ExportResponse r;
	PartialSuccess ps;
	uint8_t *out;

	RESPONSE_DESC->message_init(&r.base);
	PARTIAL_DESC->message_init(&ps.base);
	if (rejected != 0 || (msg != NULL && msg[0] != '\0')) {
		ps.rejected_spans = rejected;
		ps.error_message = (char *)(uintptr_t)(msg != NULL ? msg : "");
		r.partial_success = &ps;
	}
	out = xmalloc(protobuf_c_message_get_packed_size(&r.base) + 1);
	*len = protobuf_c_message_pack(&r.base, out);
	return out;
}
