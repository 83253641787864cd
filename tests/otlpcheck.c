/* otlpcheck.c - a second reading of an OTLP request for otlp-receiver:
 * protobuf-c's generated structures, read field by field by their names,
 * against the OTLP/JSON otlpjson.c rendered by walking descriptors. The
 * two share only protobuf-c's unpacking, so a slip in either rendering (a
 * field left out, a oneof misread, an id not in hex) shows up as a
 * disagreement. json-c: nothing is built here; the caller owns traces. */
#include "otlpcheck.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "xalloc.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    ExportRequest;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans ResourceSpans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans ScopeSpans;
typedef Opentelemetry__Proto__Trace__V1__Span Span;
typedef Opentelemetry__Proto__Trace__V1__Span__Event Event;
typedef Opentelemetry__Proto__Trace__V1__Span__Link Link;
typedef Opentelemetry__Proto__Trace__V1__Status Status;
typedef Opentelemetry__Proto__Resource__V1__Resource Resource;
typedef Opentelemetry__Proto__Common__V1__InstrumentationScope Scope;
typedef Opentelemetry__Proto__Common__V1__KeyValue KeyValue;
typedef Opentelemetry__Proto__Common__V1__AnyValue AnyValue;

#define ANY(c)	OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_##c
#define REQUEST_DESC	(&opentelemetry__proto__collector__trace__v1__\
export_trace_service_request__descriptor)

/* Where the comparison is, as a JSON path, and the first disagreement. */
struct otlpcheck_ctx {
	char	 path[OTLPCHECK_WHERE_MAX];
	size_t	 len;
	char	*where;
	size_t	 wherelen;
};

static const char otlpcheck_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
otlpcheck_fail(struct otlpcheck_ctx *c, const char *what)
{
	snprintf(c->where, c->wherelen, "%s: %s", c->len > 0 ? c->path : ".",
	    what);
	return -1;
}

/* Append to the path; returns the length to go back to. */
static size_t
otlpcheck_push(struct otlpcheck_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t
otlpcheck_push(struct otlpcheck_ctx *c, const char *fmt, ...)
{
	size_t was = c->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + c->len, sizeof(c->path) - c->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->len += (size_t)n < sizeof(c->path) - c->len ? (size_t)n :
		    sizeof(c->path) - c->len - 1;
	return was;
}

static void
otlpcheck_pop(struct otlpcheck_ctx *c, size_t was)
{
	c->len = was;
	c->path[was] = '\0';
}

static json_object *
otlpcheck_get(json_object *o, const char *key)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A string member; absent stands for "". */
static int
otlpcheck_str(struct otlpcheck_ctx *c, json_object *o, const char *key,
    const char *want)
{
	json_object *v = otlpcheck_get(o, key);
	size_t was = otlpcheck_push(c, ".%s", key);
	int rc = 0;

	if (want == NULL)
		want = "";
	if (v == NULL ? *want != '\0' : !json_object_is_type(v,
	    json_type_string) || strcmp(json_object_get_string(v), want) != 0)
		rc = otlpcheck_fail(c, want);
	otlpcheck_pop(c, was);
	return rc;
}

/* Bytes as OTLP/JSON writes them: ids in hex, other bytes in base64. */
static int
otlpcheck_bytes(struct otlpcheck_ctx *c, json_object *o, const char *key,
    const ProtobufCBinaryData *bd, int hex)
{
	char *s = xmalloc(bd->len * 2 + 4);
	size_t o_ = 0;
	uint32_t acc;
	int rc;

	if (hex)
		hex_encode(bd->data, bd->len, s);
	else {
		for (size_t i = 0; i < bd->len; i += 3) {
			acc = (uint32_t)bd->data[i] << 16 |
			    (i + 1 < bd->len ? (uint32_t)bd->data[i + 1] << 8 : 0) |
			    (i + 2 < bd->len ? bd->data[i + 2] : 0);
			s[o_++] = otlpcheck_b64[acc >> 18 & 63];
			s[o_++] = otlpcheck_b64[acc >> 12 & 63];
			s[o_++] = i + 1 < bd->len ? otlpcheck_b64[acc >> 6 & 63] : '=';
			s[o_++] = i + 2 < bd->len ? otlpcheck_b64[acc & 63] : '=';
		}
		s[o_] = '\0';
	}
	rc = otlpcheck_str(c, o, key, s);
	free(s);
	return rc;
}

/* A 64-bit integer: a decimal string in OTLP/JSON; absent stands for 0. */
static int
otlpcheck_i64(struct otlpcheck_ctx *c, json_object *o, const char *key,
    int64_t v, int is_unsigned)
{
	char num[24];

	if (is_unsigned)
		snprintf(num, sizeof(num), "%" PRIu64, (uint64_t)v);
	else
		snprintf(num, sizeof(num), "%" PRId64, v);
	if (v == 0 && otlpcheck_get(o, key) == NULL)
		return 0;
	return otlpcheck_str(c, o, key, num);
}

/* A 32-bit integer or enum: a JSON number; absent stands for 0. */
static int
otlpcheck_i32(struct otlpcheck_ctx *c, json_object *o, const char *key,
    int64_t want)
{
	json_object *v = otlpcheck_get(o, key);
	size_t was = otlpcheck_push(c, ".%s", key);
	int rc = 0;

	if (v == NULL ? want != 0 : !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != want)
		rc = otlpcheck_fail(c, "32-bit integer differs");
	otlpcheck_pop(c, was);
	return rc;
}

/* The array member key with n elements (absent when n is 0) in *arr. */
static int
otlpcheck_array(struct otlpcheck_ctx *c, json_object *o, const char *key,
    size_t n, json_object **arr)
{
	size_t was = otlpcheck_push(c, ".%s", key);
	int rc = 0;

	*arr = otlpcheck_get(o, key);
	if (*arr == NULL ? n != 0 : !json_object_is_type(*arr,
	    json_type_array) || json_object_array_length(*arr) != n)
		rc = otlpcheck_fail(c, "element count differs");
	otlpcheck_pop(c, was);
	return rc;
}

static int otlpcheck_kvs(struct otlpcheck_ctx *, json_object *, const char *,
    KeyValue **, size_t);

static int
otlpcheck_double(struct otlpcheck_ctx *c, json_object *v, double d)
{
	const char *s;
	double got;

	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (strcmp(s, "NaN") == 0)
			got = NAN;
		else if (strcmp(s, "Infinity") == 0)
			got = INFINITY;
		else if (strcmp(s, "-Infinity") == 0)
			got = -INFINITY;
		else
			return otlpcheck_fail(c, "doubleValue is a bad string");
	} else if (json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int))
		got = json_object_get_double(v);
	else
		return otlpcheck_fail(c, "doubleValue is not a number");
	if (isnan(d) ? !isnan(got) : got != d)
		return otlpcheck_fail(c, "doubleValue differs");
	return 0;
}

/* An AnyValue: exactly the member its oneof case names. */
static int
otlpcheck_any(struct otlpcheck_ctx *c, json_object *j, const AnyValue *a)
{
	static const char *const names[] = { NULL, "stringValue", "boolValue",
	    "intValue", "doubleValue", "arrayValue", "kvlistValue",
	    "bytesValue" };
	int kase = a != NULL ? (int)a->value_case : 0;
	json_object *v, *arr;
	size_t n;

	if (j != NULL && !json_object_is_type(j, json_type_object))
		return otlpcheck_fail(c, "value is not an object");
	if ((j != NULL ? (size_t)json_object_object_length(j) : 0) !=
	    (kase != 0 ? 1u : 0u))
		return otlpcheck_fail(c, "value has other members than its case");
	if (kase == 0)
		return 0;
	if (kase < 0 || kase > 7 || (v = otlpcheck_get(j, names[kase])) == NULL)
		return otlpcheck_fail(c, "value case differs");
	switch (a->value_case) {
	case ANY(STRING_VALUE):
		return otlpcheck_str(c, j, "stringValue", a->string_value);
	case ANY(BOOL_VALUE):
		return json_object_is_type(v, json_type_boolean) &&
		    json_object_get_boolean(v) == (a->bool_value != 0) ? 0 :
		    otlpcheck_fail(c, "boolValue differs");
	case ANY(INT_VALUE):
		return otlpcheck_i64(c, j, "intValue", a->int_value, 0);
	case ANY(DOUBLE_VALUE):
		return otlpcheck_double(c, v, a->double_value);
	case ANY(BYTES_VALUE):
		return otlpcheck_bytes(c, j, "bytesValue", &a->bytes_value, 0);
	case ANY(ARRAY_VALUE):
		n = a->array_value != NULL ? a->array_value->n_values : 0;
		if (otlpcheck_array(c, v, "values", n, &arr) == -1)
			return -1;
		for (size_t i = 0; i < n; i++) {
			size_t was = otlpcheck_push(c, ".arrayValue.values[%zu]", i);

			if (otlpcheck_any(c, json_object_array_get_idx(arr, i),
			    a->array_value->values[i]) == -1)
				return -1;
			otlpcheck_pop(c, was);
		}
		return 0;
	default:
		return otlpcheck_kvs(c, v, "values", a->kvlist_value != NULL ?
		    a->kvlist_value->values : NULL, a->kvlist_value != NULL ?
		    a->kvlist_value->n_values : 0);
	}
}

/* An array of KeyValue under key. */
static int
otlpcheck_kvs(struct otlpcheck_ctx *c, json_object *o, const char *key,
    KeyValue **kv, size_t n)
{
	json_object *arr, *e;
	size_t was;

	if (otlpcheck_array(c, o, key, n, &arr) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		was = otlpcheck_push(c, ".%s[%zu]", key, i);
		e = json_object_array_get_idx(arr, i);
		if (otlpcheck_str(c, e, "key", kv[i]->key) == -1)
			return -1;
		otlpcheck_push(c, ".value");
		if (otlpcheck_any(c, otlpcheck_get(e, "value"), kv[i]->value) == -1)
			return -1;
		otlpcheck_pop(c, was);
	}
	return 0;
}

static int
otlpcheck_event(struct otlpcheck_ctx *c, json_object *j, const Event *e)
{
	if (otlpcheck_i64(c, j, "timeUnixNano", (int64_t)e->time_unix_nano,
	    1) == -1 || otlpcheck_str(c, j, "name", e->name) == -1 ||
	    otlpcheck_kvs(c, j, "attributes", e->attributes,
	    e->n_attributes) == -1)
		return -1;
	return otlpcheck_i32(c, j, "droppedAttributesCount",
	    e->dropped_attributes_count);
}

static int
otlpcheck_link(struct otlpcheck_ctx *c, json_object *j, const Link *l)
{
	if (otlpcheck_bytes(c, j, "traceId", &l->trace_id, 1) == -1 ||
	    otlpcheck_bytes(c, j, "spanId", &l->span_id, 1) == -1 ||
	    otlpcheck_str(c, j, "traceState", l->trace_state) == -1 ||
	    otlpcheck_kvs(c, j, "attributes", l->attributes,
	    l->n_attributes) == -1 ||
	    otlpcheck_i32(c, j, "droppedAttributesCount",
	    l->dropped_attributes_count) == -1)
		return -1;
	return otlpcheck_i32(c, j, "flags", l->flags);
}

/* Events or links: an array of messages under key. */
static int
otlpcheck_each(struct otlpcheck_ctx *c, json_object *o, const char *key,
    void **items, size_t n,
    int (*one)(struct otlpcheck_ctx *, json_object *, const void *))
{
	json_object *arr;
	size_t was;

	if (otlpcheck_array(c, o, key, n, &arr) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		was = otlpcheck_push(c, ".%s[%zu]", key, i);
		if (one(c, json_object_array_get_idx(arr, i), items[i]) == -1)
			return -1;
		otlpcheck_pop(c, was);
	}
	return 0;
}

static int
otlpcheck_event_v(struct otlpcheck_ctx *c, json_object *j, const void *e)
{
	return otlpcheck_event(c, j, e);
}

static int
otlpcheck_link_v(struct otlpcheck_ctx *c, json_object *j, const void *l)
{
	return otlpcheck_link(c, j, l);
}

/* A message member: absent on the wire, absent (or empty) in JSON. */
static int
otlpcheck_status(struct otlpcheck_ctx *c, json_object *span, const Status *st)
{
	json_object *j = otlpcheck_get(span, "status");
	size_t was = otlpcheck_push(c, ".status");

	if (st == NULL && j != NULL && json_object_object_length(j) != 0)
		return otlpcheck_fail(c, "present, but not on the wire");
	if (st != NULL && (otlpcheck_str(c, j, "message", st->message) == -1 ||
	    otlpcheck_i32(c, j, "code", st->code) == -1))
		return -1;
	otlpcheck_pop(c, was);
	return 0;
}

static int
otlpcheck_span(struct otlpcheck_ctx *c, json_object *j, const void *p)
{
	const Span *s = p;

	if (otlpcheck_bytes(c, j, "traceId", &s->trace_id, 1) == -1 ||
	    otlpcheck_bytes(c, j, "spanId", &s->span_id, 1) == -1 ||
	    otlpcheck_str(c, j, "traceState", s->trace_state) == -1 ||
	    otlpcheck_bytes(c, j, "parentSpanId", &s->parent_span_id, 1) == -1 ||
	    otlpcheck_i32(c, j, "flags", s->flags) == -1 ||
	    otlpcheck_str(c, j, "name", s->name) == -1 ||
	    otlpcheck_i32(c, j, "kind", s->kind) == -1 ||
	    otlpcheck_i64(c, j, "startTimeUnixNano",
	    (int64_t)s->start_time_unix_nano, 1) == -1 ||
	    otlpcheck_i64(c, j, "endTimeUnixNano",
	    (int64_t)s->end_time_unix_nano, 1) == -1 ||
	    otlpcheck_kvs(c, j, "attributes", s->attributes,
	    s->n_attributes) == -1 ||
	    otlpcheck_i32(c, j, "droppedAttributesCount",
	    s->dropped_attributes_count) == -1 ||
	    otlpcheck_each(c, j, "events", (void **)s->events, s->n_events,
	    otlpcheck_event_v) == -1 ||
	    otlpcheck_i32(c, j, "droppedEventsCount",
	    s->dropped_events_count) == -1 ||
	    otlpcheck_each(c, j, "links", (void **)s->links, s->n_links,
	    otlpcheck_link_v) == -1 ||
	    otlpcheck_i32(c, j, "droppedLinksCount",
	    s->dropped_links_count) == -1)
		return -1;
	return otlpcheck_status(c, j, s->status);
}

static int
otlpcheck_scope(struct otlpcheck_ctx *c, json_object *ss, const Scope *sc)
{
	json_object *j = otlpcheck_get(ss, "scope");
	size_t was = otlpcheck_push(c, ".scope");

	if (sc == NULL && j != NULL && json_object_object_length(j) != 0)
		return otlpcheck_fail(c, "present, but not on the wire");
	if (sc != NULL && (otlpcheck_str(c, j, "name", sc->name) == -1 ||
	    otlpcheck_str(c, j, "version", sc->version) == -1 ||
	    otlpcheck_kvs(c, j, "attributes", sc->attributes,
	    sc->n_attributes) == -1 ||
	    otlpcheck_i32(c, j, "droppedAttributesCount",
	    sc->dropped_attributes_count) == -1))
		return -1;
	otlpcheck_pop(c, was);
	return 0;
}

static int
otlpcheck_scope_spans(struct otlpcheck_ctx *c, json_object *j, const void *p)
{
	const ScopeSpans *ss = p;

	if (otlpcheck_scope(c, j, ss->scope) == -1 ||
	    otlpcheck_each(c, j, "spans", (void **)ss->spans, ss->n_spans,
	    otlpcheck_span) == -1)
		return -1;
	return otlpcheck_str(c, j, "schemaUrl", ss->schema_url);
}

static int
otlpcheck_resource(struct otlpcheck_ctx *c, json_object *rs, const Resource *r)
{
	json_object *j = otlpcheck_get(rs, "resource");
	size_t was = otlpcheck_push(c, ".resource");

	if (r == NULL && j != NULL && json_object_object_length(j) != 0)
		return otlpcheck_fail(c, "present, but not on the wire");
	if (r != NULL && (otlpcheck_kvs(c, j, "attributes", r->attributes,
	    r->n_attributes) == -1 || otlpcheck_i32(c, j,
	    "droppedAttributesCount", r->dropped_attributes_count) == -1))
		return -1;
	otlpcheck_pop(c, was);
	return 0;
}

static int
otlpcheck_resource_spans(struct otlpcheck_ctx *c, json_object *j,
    const void *p)
{
	const ResourceSpans *rs = p;

	if (otlpcheck_resource(c, j, rs->resource) == -1 ||
	    otlpcheck_each(c, j, "scopeSpans", (void **)rs->scope_spans,
	    rs->n_scope_spans, otlpcheck_scope_spans) == -1)
		return -1;
	return otlpcheck_str(c, j, "schemaUrl", rs->schema_url);
}

int
otlpcheck_request(const uint8_t *pb, size_t len, json_object *traces,
    char *where, size_t wherelen)
{
	struct otlpcheck_ctx c = { .where = where, .wherelen = wherelen };
	ExportRequest *r;
	int rc;

	r = (ExportRequest *)protobuf_c_message_unpack(REQUEST_DESC, NULL, len,
	    pb);
	if (r == NULL) {
		snprintf(where, wherelen, "not a protobuf request");
		return -1;
	}
	rc = otlpcheck_each(&c, traces, "resourceSpans",
	    (void **)r->resource_spans, r->n_resource_spans,
	    otlpcheck_resource_spans);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}
