/* otlp.c - OTLP/JSON TracesData lines to protobuf ExportTraceServiceRequest
 * batches, and the collector's answer. The conversion walks the protobuf-c
 * descriptors (as the protobuf JSON mapping is defined over descriptors),
 * with the OTLP rule on top: hex trace/span ids. Messages built from JSON
 * live in the batch's arena; unpacked ones are freed with
 * protobuf_c_message_free_unpacked. json-c: every object parsed or built
 * here is put before the function that made it returns. */
#include "otlp.h"
#include "hex.h"
#include "jsonval.h"
#include "otlpread.h"
#include "spoolfmt.h"
#include "utf8.h"
#include "xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    ExportRequest;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
    ExportResponse;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans ResourceSpans;

#define COLLECTOR(name)	opentelemetry__proto__collector__trace__v1__##name
#define REQUEST_DESC	(&COLLECTOR(export_trace_service_request__descriptor))
#define RESPONSE_DESC	(&COLLECTOR(export_trace_service_response__descriptor))

#define ARENA_CHUNK	(64 * 1024)	/* bytes per arena chunk, at least */
#define PATH_MAX_LEN	192		/* field path kept for error messages */
#define NAME_MAX_LEN	64		/* a field's lowerCamelCase name */

/* Memory for messages built from JSON: dropped all at once, or rolled
 * back to a mark when a line turns out to be bad. Dropped chunks are kept
 * as spares: the flusher fills and drops a batch many times a second, and
 * fresh memory each time cost page faults and zeroing. Not zeroed. */
struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 used, size;
	max_align_t		 data[];
};

struct arena {
	struct arena_chunk	*head;		/* in use, newest first */
	struct arena_chunk	*spare;
};

struct arena_mark {
	struct arena_chunk	*chunk;
	size_t			 used;
};

struct otlp_batch {
	ExportRequest	 req;		/* resource_spans: xrealloc'ed array */
	size_t		 cap;
	size_t		 nspans;
	struct arena	 arena;		/* everything the array points to */
};

/* One JSON-to-message conversion: where it allocates, where it is. */
struct conv {
	struct arena	*arena;
	char		 path[PATH_MAX_LEN];
	size_t		 plen;
	char		*err;
	size_t		 errlen;
};

/* A chunk for at least n bytes: a spare if the first one is big enough. */
static struct arena_chunk *
otlp_arena_chunk(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->spare;
	size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;

	if (c != NULL && c->size >= n)
		a->spare = c->next;
	else {
		c = xmalloc(sizeof(*c) + size);
		c->size = size;
	}
	c->used = 0;
	return c;
}

static void *
otlp_arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t align = sizeof(max_align_t);
	void *p;

	n = (n + align - 1) / align * align;
	if (c == NULL || c->size - c->used < n) {
		c = otlp_arena_chunk(a, n);
		c->next = a->head;
		a->head = c;
	}
	p = (unsigned char *)c->data + c->used;
	c->used += n;
	return p;
}

/* otlp_arena_alloc as otlpread.h's allocator. */
static void *
otlp_arena_alloc_fn(void *arena, size_t n)
{
	return otlp_arena_alloc(arena, n);
}

static char *
otlp_arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = otlp_arena_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static struct arena_mark
otlp_arena_mark(const struct arena *a)
{
	struct arena_mark m = { a->head, a->head != NULL ? a->head->used : 0 };

	return m;
}

/* Drop what was allocated since m; its chunks become spares. */
static void
otlp_arena_rollback(struct arena *a, struct arena_mark m)
{
	struct arena_chunk *c;

	while (a->head != m.chunk) {
		c = a->head;
		a->head = c->next;
		c->next = a->spare;
		a->spare = c;
	}
	if (a->head != NULL)
		a->head->used = m.used;
}

static void
otlp_arena_clear(struct arena *a)
{
	struct arena_mark none = { NULL, 0 };

	otlp_arena_rollback(a, none);
}

static void
otlp_arena_free(struct arena *a)
{
	struct arena_chunk *c;

	otlp_arena_clear(a);
	while ((c = a->spare) != NULL) {
		a->spare = c->next;
		free(c);
	}
}

/* "dropped_attributes_count" -> "droppedAttributesCount" */
static void
otlp_camel(const char *name, char out[NAME_MAX_LEN])
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

static int
otlp_conv_fail(struct conv *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "path: reason" into the caller's error buffer. Returns -1. */
static int
otlp_conv_fail(struct conv *c, const char *fmt, ...)
{
	char why[OTLP_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s", c->plen > 0 ? c->path : "line",
	    why);
	return -1;
}

static size_t
otlp_path_push(struct conv *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append to the field path; returns the length to restore with path_pop. */
static size_t
otlp_path_push(struct conv *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen = old + (size_t)n < sizeof(c->path) ?
		    old + (size_t)n : sizeof(c->path) - 1;
	return old;
}

static void
otlp_path_pop(struct conv *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* The field a JSON key names: lowerCamelCase or the proto name. */
static const ProtobufCFieldDescriptor *
otlp_field_by_key(const ProtobufCMessageDescriptor *desc, const char *key,
    unsigned *index)
{
	char name[NAME_MAX_LEN];
	unsigned i;

	for (i = 0; i < desc->n_fields; i++) {
		otlp_camel(desc->fields[i].name, name);
		if (strcmp(key, name) == 0 ||
		    strcmp(key, desc->fields[i].name) == 0) {
			*index = i;
			return &desc->fields[i];
		}
	}
	return NULL;
}

/* Whether s looks like a JSON number (strtod alone also takes hex, "inf"). */
static int
otlp_numeric(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789.eE+-") == strlen(s);
}

/* m * 10^e exactly, or -1 when it is not an integer or passes 64 bits. */
static int
otlp_scale10(uint64_t m, long e, uint64_t *out)
{
	for (; e > 0 && m != 0; e--) {
		if (m > UINT64_MAX / 10)
			return -1;
		m *= 10;
	}
	for (; e < 0 && m != 0; e++) {
		if (m % 10 != 0)
			return -1;
		m /= 10;
	}
	*out = m;
	return 0;
}

/* A decimal string, or exponent notation naming an integer ("1.5e3"),
 * read exactly (a double would round "170.000000000000001" to 170). */
static int
otlp_str_to_u64(const char *s, uint64_t *out)
{
	uint64_t m = 0;
	long scale = 0, zeros = 0, e;
	int frac = 0;

	if (s[0] < '0' || s[0] > '9' || !jsonval_number_valid(s, strlen(s)))
		return -1;
	for (; *s != '\0' && *s != 'e' && *s != 'E'; s++) {
		if (*s == '.') {
			frac = 1;
			continue;
		}
		scale -= frac;
		if (*s == '0') {	/* kept aside: 1.000 is 1 */
			zeros++;
			continue;
		}
		if (otlp_scale10(m, zeros, &m) == -1 ||
		    m > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		zeros = 0;
		m = m * 10 + (uint64_t)(*s - '0');
	}
	e = *s != '\0' ? strtol(s + 1, NULL, 10) : 0;
	if (e > 100000 || e < -100000)	/* past any 64-bit value's scale */
		e = e > 0 ? 100000 : -100000;
	return otlp_scale10(m, zeros + scale + e, out);
}

/* j as an unsigned integer no larger than max: a number or a string. */
static int
otlp_json_to_uint(struct conv *c, json_object *j, uint64_t max, uint64_t *out)
{
	double d;

	switch (json_object_get_type(j)) {
	case json_type_int:
		if (json_object_get_int64(j) < 0)
			return otlp_conv_fail(c, "negative");
		*out = json_object_get_uint64(j);
		break;
	case json_type_double:
		d = json_object_get_double(j);
		if (d < 0)
			return otlp_conv_fail(c, "negative");
		if (!(d < 18446744073709551616.0))
			return otlp_conv_fail(c, "out of range");
		*out = (uint64_t)d;
		if ((double)*out != d)
			return otlp_conv_fail(c, "not an integer");
		break;
	case json_type_string:
		if (otlp_str_to_u64(json_object_get_string(j), out) == -1)
			return otlp_conv_fail(c,
			    "\"%s\" is not an unsigned integer",
			    json_object_get_string(j));
		break;
	default:
		return otlp_conv_fail(c, "want an integer");
	}
	if (*out > max)
		return otlp_conv_fail(c, "%" PRIu64 " out of range", *out);
	return 0;
}

/* A decimal string with an optional '-' as a signed integer. */
static int
otlp_str_to_i64(struct conv *c, const char *s, int64_t *out)
{
	uint64_t u;
	int neg = s[0] == '-';

	if (otlp_str_to_u64(s + neg, &u) == -1)
		return otlp_conv_fail(c, "\"%s\" is not an integer", s);
	if (u > (uint64_t)INT64_MAX + (uint64_t)neg)
		return otlp_conv_fail(c, "%s out of range", s);
	if (!neg)
		*out = (int64_t)u;
	else
		*out = u > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)u;
	return 0;
}

/* j as a signed integer in [min, max]: a number or a string. */
static int
otlp_json_to_int(struct conv *c, json_object *j, int64_t min, int64_t max,
    int64_t *out)
{
	double d;

	switch (json_object_get_type(j)) {
	case json_type_int:
		*out = json_object_get_int64(j);
		if (*out == INT64_MAX && json_object_get_uint64(j) > INT64_MAX)
			return otlp_conv_fail(c, "out of range");
		break;
	case json_type_double:
		d = json_object_get_double(j);
		if (d < -9223372036854775808.0 || !(d < 9223372036854775808.0))
			return otlp_conv_fail(c, "out of range");
		*out = (int64_t)d;
		if ((double)*out != d)
			return otlp_conv_fail(c, "not an integer");
		break;
	case json_type_string:
		if (otlp_str_to_i64(c, json_object_get_string(j), out) == -1)
			return -1;
		break;
	default:
		return otlp_conv_fail(c, "want an integer");
	}
	if (*out < min || *out > max)
		return otlp_conv_fail(c, "%" PRId64 " out of range", *out);
	return 0;
}

/* A number, or the strings "NaN", "Infinity", "-Infinity" or a number. */
static int
otlp_json_to_double(struct conv *c, json_object *j, double *out)
{
	const char *s;
	char *end;

	switch (json_object_get_type(j)) {
	case json_type_int:
	case json_type_double:
		*out = json_object_get_double(j);
		return 0;
	case json_type_string:
		s = json_object_get_string(j);
		if (strcmp(s, "NaN") == 0)
			*out = NAN;
		else if (strcmp(s, "Infinity") == 0)
			*out = INFINITY;
		else if (strcmp(s, "-Infinity") == 0)
			*out = -INFINITY;
		else {
			*out = strtod(s, &end);
			if (!otlp_numeric(s) || *end != '\0' || !isfinite(*out))
				return otlp_conv_fail(c,
				    "\"%s\" is not a number",
				    s);
		}
		return 0;
	default:
		return otlp_conv_fail(c, "want a number");
	}
}

/* A JSON string copied into the arena: strict UTF-8, no NUL inside
 * (protobuf-c strings are C strings). */
static int
otlp_json_to_str(struct conv *c, json_object *j, char **out, size_t *len)
{
	const char *s;

	if (!json_object_is_type(j, json_type_string))
		return otlp_conv_fail(c, "want a string");
	s = json_object_get_string(j);
	*len = (size_t)json_object_get_string_len(j);
	if (strlen(s) != *len)
		return otlp_conv_fail(c, "string contains NUL");
	if (!utf8_valid(s, *len))
		return otlp_conv_fail(c, "invalid UTF-8");
	*out = otlp_arena_strndup(c->arena, s, *len);
	return 0;
}

static int
otlp_json_to_bytes(struct conv *c, json_object *j,
    const struct otlpread_hex *rule, ProtobufCBinaryData *out)
{
	char *s;
	size_t len;

	if (otlp_json_to_str(c, j, &s, &len) == -1)
		return -1;
	out->data = otlp_arena_alloc(c->arena, len + 1);
	if (rule == NULL) {
		if (otlpread_b64_decode(s, len, out->data, &out->len) == -1)
			return otlp_conv_fail(c, "not base64");
		return 0;
	}
	if (len == 0 && rule->optional) {
		out->len = 0;
		return 0;
	}
	if (len != 2 * rule->len || hex_decode(s, rule->len, out->data) == -1)
		return otlp_conv_fail(c, "want %zu hex digits, got \"%.40s\"",
		    2 * rule->len, s);
	out->len = rule->len;
	return 0;
}

/* An enum as its number or its name ("SPAN_KIND_SERVER"). */
static int
otlp_json_to_enum(struct conv *c, const ProtobufCEnumDescriptor *ed,
    json_object *j, int32_t *out)
{
	const ProtobufCEnumValue *ev;
	int64_t v;

	if (json_object_is_type(j, json_type_string)) {
		ev = protobuf_c_enum_descriptor_get_value_by_name(ed,
		    json_object_get_string(j));
		if (ev == NULL)
			return otlp_conv_fail(c, "unknown %s \"%s\"",
			    ed->short_name,
			    json_object_get_string(j));
		*out = ev->value;
		return 0;
	}
	if (!json_object_is_type(j, json_type_int))
		return otlp_conv_fail(c, "want an integer or a name");
	if (otlp_json_to_int(c, j, INT32_MIN, INT32_MAX, &v) == -1)
		return -1;
	*out = (int32_t)v;
	return 0;
}

static int otlp_msg_from_json(struct conv *, const ProtobufCMessageDescriptor *,
    json_object *, ProtobufCMessage **);

/* Integer field types: the C size and the range JSON may give. */
static int
otlp_int_field(struct conv *c, ProtobufCType t, json_object *j, void *dst)
{
	uint64_t u;
	int64_t i;

	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (otlp_json_to_int(c, j, INT32_MIN, INT32_MAX, &i) == -1)
			return -1;
		*(int32_t *)dst = (int32_t)i;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (otlp_json_to_uint(c, j, UINT32_MAX, &u) == -1)
			return -1;
		*(uint32_t *)dst = (uint32_t)u;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return otlp_json_to_int(c, j, INT64_MIN, INT64_MAX, dst);
	default:
		return otlp_json_to_uint(c, j, UINT64_MAX, dst);
	}
}

/* One value of field f of a message desc, into dst (the member, or one
 * element of a repeated member). */
static int
otlp_value_from_json(struct conv *c, const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, json_object *j, void *dst)
{
	size_t len;
	double d = 0;

	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_object_is_type(j, json_type_boolean))
			return otlp_conv_fail(c, "want true or false");
		*(protobuf_c_boolean *)dst = json_object_get_boolean(j);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return otlp_json_to_enum(c, f->descriptor, j, dst);
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		if (otlp_json_to_double(c, j, &d) == -1)
			return -1;
		if (f->type == PROTOBUF_C_TYPE_FLOAT)
			*(float *)dst = (float)d;
		else
			*(double *)dst = d;
		return 0;
	case PROTOBUF_C_TYPE_STRING:
		return otlp_json_to_str(c, j, dst, &len);
	case PROTOBUF_C_TYPE_BYTES:
		return otlp_json_to_bytes(c, j, otlpread_hex_rule(desc, f), dst);
	case PROTOBUF_C_TYPE_MESSAGE:
		return otlp_msg_from_json(c, f->descriptor, j, dst);
	default:
		return otlp_int_field(c, f->type, j, dst);
	}
}

static int
otlp_repeated_from_json(struct conv *c, const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, json_object *j, void *msg)
{
	size_t n, i, mark, size = otlpread_elem_size(f);
	unsigned char *v;

	if (!json_object_is_type(j, json_type_array))
		return otlp_conv_fail(c, "want an array");
	n = json_object_array_length(j);
	v = otlp_arena_alloc(c->arena, n * size);
	for (i = 0; i < n; i++) {
		mark = otlp_path_push(c, "[%zu]", i);
		if (otlp_value_from_json(c, desc, f,
		    json_object_array_get_idx(j, i), v + i * size) == -1)
			return -1;
		otlp_path_pop(c, mark);
	}
	*(size_t *)((char *)msg + f->quantifier_offset) = n;
	*(void **)((char *)msg + f->offset) = v;
	return 0;
}

/* Set field f of msg from j. seen tracks fields and oneofs already set. */
static int
otlp_field_from_json(struct conv *c, const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, json_object *j, void *msg)
{
	uint32_t *oneof_case;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return otlp_repeated_from_json(c, desc, f, j, msg);
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		oneof_case = (uint32_t *)((char *)msg + f->quantifier_offset);
		if (*oneof_case != 0)
			return otlp_conv_fail(c, "more than one value");
		*oneof_case = f->id;
	}
	return otlp_value_from_json(c, desc, f, j, (char *)msg + f->offset);
}

/* A set hex field must have its length; a span or link must have ids. */
static int
otlp_check_ids(struct conv *c, const ProtobufCMessageDescriptor *desc,
    const void *msg)
{
	const struct otlpread_hex *rule;
	const ProtobufCBinaryData *bd;
	char name[NAME_MAX_LEN];
	unsigned i;

	for (i = 0; i < desc->n_fields; i++) {
		if ((rule = otlpread_hex_rule(desc, &desc->fields[i])) == NULL)
			continue;
		bd = (const void *)((const char *)msg + desc->fields[i].offset);
		if (bd->len == 0 && !rule->optional) {
			otlp_camel(desc->fields[i].name, name);
			return otlp_conv_fail(c, "%s missing", name);
		}
	}
	return 0;
}

/* A new message of type desc in the arena, from the JSON object j.
 * Unknown keys are ignored; null means "not set". */
static int
otlp_msg_from_json(struct conv *c, const ProtobufCMessageDescriptor *desc,
    json_object *j, ProtobufCMessage **out)
{
	const ProtobufCFieldDescriptor *f;
	struct json_object_iterator it, end;
	json_object *val;
	const char *key;
	void *msg;
	uint64_t seen = 0;
	unsigned idx;
	size_t mark;

	if (!json_object_is_type(j, json_type_object))
		return otlp_conv_fail(c, "want an object");
	msg = otlp_arena_alloc(c->arena, desc->sizeof_message);
	desc->message_init(msg);
	end = json_object_iter_end(j);
	for (it = json_object_iter_begin(j); !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		val = json_object_iter_peek_value(&it);
		if ((f = otlp_field_by_key(desc, key, &idx)) == NULL ||
		    val == NULL)
			continue;
		mark = otlp_path_push(c, "%s%s", c->plen > 0 ? "." : "", key);
		if (seen & (UINT64_C(1) << idx))
			return otlp_conv_fail(c, "field given twice");
		seen |= UINT64_C(1) << idx;
		if (otlp_field_from_json(c, desc, f, val, msg) == -1)
			return -1;
		otlp_path_pop(c, mark);
	}
	*out = msg;
	return otlp_check_ids(c, desc, msg);
}

/* Parse the line into *out (caller puts): exactly one JSON value
 * (jsonval.h), nothing but white space after it. Returns 0, or -1 with
 * the reason in err. */
static int
otlp_parse_line(const char *line, size_t len, json_object **out, char *err,
    size_t errlen)
{
	char why[JSONVAL_ERR_MAX];
	size_t at = 0;

	if (jsonval_parse(line, len, SPOOLFMT_DEPTH_MAX, out, why,
	    sizeof(why), &at) == -1) {
		/* Stopped at the end: a torn line, whatever json-c calls it. */
		snprintf(err, errlen, "line: not JSON (%s at byte %zu)",
		    at >= len ? "cut short" : why, at);
		return -1;
	}
	return 0;
}

/* The reference conversion: json-c's tree, walked. It decides every line
 * the fast path declines, and words the errors. */
static int
otlp_convert_ref(struct otlp_batch *b, const char *line, size_t len,
    ProtobufCMessage **m, char *err, size_t errlen)
{
	struct conv c = { .arena = &b->arena, .err = err, .errlen = errlen };
	json_object *j = NULL;
	int rc;

	if (otlp_parse_line(line, len, &j, err, errlen) == -1)
		return -1;
	rc = otlp_msg_from_json(&c, REQUEST_DESC, j, m);
	json_object_put(j);
	return rc;
}

static size_t
otlp_count_spans(ResourceSpans *const *rs, size_t n)
{
	size_t i, k, total = 0;

	for (i = 0; i < n; i++)
		for (k = 0; k < rs[i]->n_scope_spans; k++)
			total += rs[i]->scope_spans[k]->n_spans;
	return total;
}

struct otlp_batch *
otlp_batch_new(void)
{
	struct otlp_batch *b = xcalloc(1, sizeof(*b));

	REQUEST_DESC->message_init(&b->req.base);
	return b;
}

void
otlp_batch_free(struct otlp_batch *b)
{
	if (b == NULL)
		return;
	otlp_arena_free(&b->arena);
	free(b->req.resource_spans);
	free(b);
}

static void
otlp_append(struct otlp_batch *b, ResourceSpans **rs, size_t n)
{
	if (n == 0)
		return;
	if (b->req.n_resource_spans + n > b->cap) {
		b->cap = (b->cap ? b->cap * 2 : 16) + n;
		b->req.resource_spans = xrealloc(b->req.resource_spans,
		    b->cap * sizeof(*b->req.resource_spans));
	}
	memcpy(b->req.resource_spans + b->req.n_resource_spans, rs,
	    n * sizeof(*rs));
	b->req.n_resource_spans += n;
}

/* Convert the line, by the fast path unless ref, and append its
 * ResourceSpans. A TracesData line has the shape of an
 * ExportTraceServiceRequest (field resource_spans = 1), so it is read as
 * one and its ResourceSpans moved. */
static int
otlp_add(struct otlp_batch *b, const char *line, size_t len, int ref,
    size_t *nspans, char *err, size_t errlen)
{
	struct arena_mark mark = otlp_arena_mark(&b->arena);
	ProtobufCMessage *m = NULL;
	ExportRequest *r;
	size_t n;

	if (len > SPOOLFMT_LINE_MAX) {
		snprintf(err, errlen, "line: longer than %d bytes",
		    SPOOLFMT_LINE_MAX);
		return -1;
	}
	if (ref || otlpread_message(REQUEST_DESC, line, len,
	    otlp_arena_alloc_fn, &b->arena, &m) == -1) {
		otlp_arena_rollback(&b->arena, mark);
		if (otlp_convert_ref(b, line, len, &m, err, errlen) == -1) {
			otlp_arena_rollback(&b->arena, mark);
			return -1;
		}
	}
	r = (ExportRequest *)m;
	otlp_append(b, r->resource_spans, r->n_resource_spans);
	n = otlp_count_spans(r->resource_spans, r->n_resource_spans);
	b->nspans += n;
	if (nspans != NULL)
		*nspans += n;
	return 0;
}

int
otlp_batch_add_line(struct otlp_batch *b, const char *line, size_t len,
    size_t *nspans, char *err, size_t errlen)
{
	return otlp_add(b, line, len, 0, nspans, err, errlen);
}

int
otlp_batch_add_line_ref(struct otlp_batch *b, const char *line, size_t len,
    size_t *nspans, char *err, size_t errlen)
{
	return otlp_add(b, line, len, 1, nspans, err, errlen);
}

size_t
otlp_batch_span_count(const struct otlp_batch *b)
{
	return b->nspans;
}

size_t
otlp_batch_resource_count(const struct otlp_batch *b)
{
	return b->req.n_resource_spans;
}

size_t
otlp_batch_packed_size(const struct otlp_batch *b)
{
	return protobuf_c_message_get_packed_size(&b->req.base);
}

uint8_t *
otlp_batch_pack(const struct otlp_batch *b, size_t *len)
{
	size_t n = otlp_batch_packed_size(b);
	uint8_t *out = xmalloc(n > 0 ? n : 1);

	*len = protobuf_c_message_pack(&b->req.base, out);
	return out;
}

void
otlp_batch_reset(struct otlp_batch *b)
{
	otlp_arena_clear(&b->arena);
	b->req.n_resource_spans = 0;
	b->nspans = 0;
}

void
otlp_batch_move(struct otlp_batch *dst, struct otlp_batch *src)
{
	struct arena_chunk **tail = &src->arena.head, *spare;

	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = dst->arena.head;
	dst->arena.head = src->arena.head;
	src->arena.head = NULL;
	/* A spare for src's next line, so that chunks go round and round. */
	if ((spare = dst->arena.spare) != NULL && src->arena.spare == NULL) {
		dst->arena.spare = spare->next;
		spare->next = NULL;
		src->arena.spare = spare;
	}
	otlp_append(dst, src->req.resource_spans, src->req.n_resource_spans);
	dst->nspans += src->nspans;
	src->req.n_resource_spans = 0;
	src->nspans = 0;
}

int
otlp_parse_response(const uint8_t *pb, size_t len, int64_t *rejected,
    char *msg, size_t msglen)
{
	ExportResponse *r;

	r = (ExportResponse *)protobuf_c_message_unpack(RESPONSE_DESC, NULL,
	    len, pb);
	if (r == NULL) {
		snprintf(msg, msglen,
		    "not a protobuf ExportTraceServiceResponse");
		return -1;
	}
	*rejected = 0;
	if (msglen > 0)
		msg[0] = '\0';
	if (r->partial_success != NULL) {
		*rejected = r->partial_success->rejected_spans;
		if (r->partial_success->error_message != NULL)
			snprintf(msg, msglen, "%s",
			    r->partial_success->error_message);
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return 0;
}
