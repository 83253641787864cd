/* test_otlp.c - OTLP/JSON lines to protobuf and back: the table in
 * tests/data/otlp_lines.test, wire bytes computed by hand, round trips of
 * lines written by the real spool, batches, and ExportTraceServiceResponse. */
#define _GNU_SOURCE	/* getline */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "otlp.h"
#include "otlpjson.h"
#include "span.h"
#include "spool.h"
#include "testspan.h"
#include "testutil.h"

#define HEX_T	"0102030405060708090a0b0c0d0e0f10"
#define HEX_S	"1112131415161718"
#define HEX_P	"2122232425262728"
#define BYTES_T	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, \
		0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10
#define BYTES_S	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18
#define BYTES_P	0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28
#define MIN_SPAN "{\"traceId\":\"" HEX_T "\",\"spanId\":\"" HEX_S "\""
#define WRAP_PRE "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
#define WRAP_POST "]}]}]}"
#define MANY_LINES	1000

/* Parse JSON text; the test fails on bad JSON. Caller puts. */
static json_object *
must_parse(const char *text, const char *what, int lineno)
{
	json_object *j = json_tokener_parse(text);

	if (j == NULL)
		fail_msg("%s:%d: bad JSON: %s", what, lineno, text);
	return j;
}

static void
assert_json_equal(const char *got, const char *want, const char *what,
    int lineno)
{
	json_object *g = must_parse(got, what, lineno);
	json_object *w = must_parse(want, what, lineno);

	if (!json_object_equal(g, w))
		fail_msg("%s:%d: differs\n got  %s\n want %s", what, lineno,
		    json_object_to_json_string_ext(g, JSON_C_TO_STRING_PLAIN),
		    json_object_to_json_string_ext(w, JSON_C_TO_STRING_PLAIN));
	json_object_put(g);
	json_object_put(w);
}

/* Line -> batch -> protobuf -> JSON; fails the test if rejected. */
static char *
convert(const char *line, size_t *nspans, uint8_t **pb, size_t *pblen)
{
	struct otlp_batch *b = otlp_batch_new();
	char err[OTLP_ERR_MAX], *json;
	size_t n = 0, back = 0;

	if (otlp_batch_add_line(b, line, strlen(line), &n, err,
	    sizeof(err)) != 0)
		fail_msg("rejected: %s\n  %s", err, line);
	*pb = otlp_batch_pack(b, pblen);
	assert_int_equal(*pblen, otlp_batch_packed_size(b));
	assert_int_equal(n, otlp_batch_span_count(b));
	json = otlpjson_request(*pb, *pblen, &back, err, sizeof(err));
	if (json == NULL)
		fail_msg("cannot decode what was packed: %s", err);
	assert_int_equal(back, n);
	if (nspans != NULL)
		*nspans = n;
	otlp_batch_free(b);
	return json;
}

/* Replace @T, @S, @P by the hex ids. Caller frees. */
static char *
subst(const char *in)
{
	char *out = malloc(strlen(in) * 16 + 1), *o = out;

	assert_non_null(out);
	while (*in != '\0') {
		if (in[0] == '@' && strchr("TSP", in[1]) != NULL) {
			strcpy(o, in[1] == 'T' ? HEX_T : in[1] == 'S' ? HEX_S :
			    HEX_P);
			o += strlen(o);
			in += 2;
		} else
			*o++ = *in++;
	}
	*o = '\0';
	return out;
}

/* The whole line for a table row of the given kind. Caller frees. */
static char *
row_line(const char *kind, const char *in)
{
	char *line = malloc(strlen(in) + 256);

	assert_non_null(line);
	if (strcmp(kind, "line") == 0)
		strcpy(line, in);
	else if (strcmp(kind, "span") == 0)
		sprintf(line, WRAP_PRE "%s" WRAP_POST, in);
	else if (strcmp(kind, "value") == 0)
		sprintf(line, WRAP_PRE MIN_SPAN ",\"attributes\":[{"
		    "\"key\":\"k\",\"value\":%s}]}" WRAP_POST, in);
	else
		fail_msg("otlp_lines.test: unknown kind %s", kind);
	return line;
}

/* The part of the rendering a row of this kind compares. */
static json_object *
row_part(const char *kind, json_object *all)
{
	json_object *j = all;

	if (strcmp(kind, "line") == 0)
		return all;
	j = json_object_object_get(j, "resourceSpans");
	j = json_object_object_get(json_object_array_get_idx(j, 0),
	    "scopeSpans");
	j = json_object_object_get(json_object_array_get_idx(j, 0), "spans");
	j = json_object_array_get_idx(j, 0);
	if (strcmp(kind, "value") == 0) {
		j = json_object_object_get(j, "attributes");
		j = json_object_object_get(json_object_array_get_idx(j, 0),
		    "value");
	}
	assert_non_null(j);
	return j;
}

static void
row_rejected(const char *line, const char *want, int lineno)
{
	struct otlp_batch *b = otlp_batch_new();
	char err[OTLP_ERR_MAX] = "";
	size_t n = 7;

	if (otlp_batch_add_line(b, line, strlen(line), &n, err,
	    sizeof(err)) != -1)
		fail_msg("otlp_lines.test:%d: accepted %s", lineno, line);
	if (strstr(err, want) == NULL)
		fail_msg("otlp_lines.test:%d: error \"%s\", want \"%s\"",
		    lineno, err, want);
	assert_int_equal(n, 7);
	assert_int_equal(otlp_batch_span_count(b), 0);
	assert_int_equal(otlp_batch_resource_count(b), 0);
	assert_int_equal(otlp_batch_packed_size(b), 0);
	otlp_batch_free(b);
}

/* Accepted: the rendering matches, and converting the rendering again
 * gives the same protobuf bytes. */
static void
row_accepted(const char *kind, const char *line, const char *want,
    int lineno)
{
	json_object *all, *w;
	char *json, *again;
	uint8_t *pb, *pb2;
	size_t len, len2;

	json = convert(line, NULL, &pb, &len);
	all = must_parse(json, "otlp_lines.test", lineno);
	w = must_parse(want, "otlp_lines.test", lineno);
	if (!json_object_equal(row_part(kind, all), w))
		fail_msg("otlp_lines.test:%d:\n got  %s\n want %s", lineno,
		    json_object_to_json_string_ext(row_part(kind, all),
		    JSON_C_TO_STRING_PLAIN), want);
	again = convert(json, NULL, &pb2, &len2);
	if (len2 != len || memcmp(pb, pb2, len) != 0)
		fail_msg("otlp_lines.test:%d: rendering converts differently",
		    lineno);
	json_object_put(all);
	json_object_put(w);
	free(json);
	free(again);
	free(pb);
	free(pb2);
}

static void
test_table(void **state)
{
	struct testutil_table t;
	char *f[4], *in, *want, *line;
	int nf, cases = 0;

	(void)state;
	testutil_table_open(&t, "otlp_lines.test");
	while ((nf = testutil_next_case(&t, f, 4)) > 0) {
		if (nf != 3)
			fail_msg("otlp_lines.test:%d: want 3 columns",
			    t.lineno);
		in = subst(f[1]);
		want = subst(f[2]);
		line = row_line(f[0], in);
		if (want[0] == '!')
			row_rejected(line, want + 1, t.lineno);
		else
			row_accepted(f[0], line, want, t.lineno);
		free(in);
		free(want);
		free(line);
		cases++;
	}
	testutil_table_close(&t);
	assert_true(cases >= 120);
}

static void
assert_packs_to(const char *line, const uint8_t *want, size_t wantlen)
{
	struct otlp_batch *b = otlp_batch_new();
	char err[OTLP_ERR_MAX];
	uint8_t *pb;
	size_t len, i;

	if (otlp_batch_add_line(b, line, strlen(line), NULL, err,
	    sizeof(err)) != 0)
		fail_msg("rejected: %s", err);
	pb = otlp_batch_pack(b, &len);
	for (i = 0; i < len && i < wantlen; i++)
		if (pb[i] != want[i])
			fail_msg("byte %zu: got 0x%02x, want 0x%02x", i, pb[i],
			    want[i]);
	assert_int_equal(len, wantlen);
	free(pb);
	otlp_batch_free(b);
}

/* Span{trace_id=1, span_id=2, name=5} inside ScopeSpans.spans=2,
 * ResourceSpans.scope_spans=2, ExportTraceServiceRequest.resource_spans=1. */
static void
test_wire_minimal_span(void **state)
{
	static const uint8_t want[] = {
		0x0a, 0x23,			/* resource_spans, 35 bytes */
		0x12, 0x21,			/* scope_spans, 33 */
		0x12, 0x1f,			/* spans, 31 */
		0x0a, 0x10, BYTES_T,		/* trace_id */
		0x12, 0x08, BYTES_S,		/* span_id */
		0x2a, 0x01, 'x',		/* name */
	};

	(void)state;
	assert_packs_to(WRAP_PRE MIN_SPAN ",\"name\":\"x\"}" WRAP_POST, want,
	    sizeof(want));
}

/* kind=6, times=7/8 fixed64, attributes=9, status=15 {message=2, code=3},
 * flags=16 fixed32 (tag 0x85 0x01); an int_value 0 still on the wire. */
static void
test_wire_scalars(void **state)
{
	static const uint8_t want[] = {
		0x0a, 0x4d, 0x12, 0x4b, 0x12, 0x49,
		0x0a, 0x10, BYTES_T, 0x12, 0x08, BYTES_S,
		0x2a, 0x01, 'x',
		0x30, 0x02,					/* kind */
		0x39, 0x01, 0, 0, 0, 0, 0, 0, 0,		/* start */
		0x41, 0x02, 0, 0, 0, 0, 0, 0, 0,		/* end */
		0x4a, 0x07, 0x0a, 0x01, 'k', 0x12, 0x02, 0x18, 0x00,
		0x7a, 0x05, 0x12, 0x01, 'e', 0x18, 0x02,	/* status */
		0x85, 0x01, 0x01, 0x01, 0x00, 0x00,		/* flags */
	};

	(void)state;
	assert_packs_to(WRAP_PRE MIN_SPAN ",\"name\":\"x\",\"kind\":2,"
	    "\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":2,"
	    "\"attributes\":[{\"key\":\"k\",\"value\":{\"intValue\":\"0\"}}],"
	    "\"status\":{\"code\":2,\"message\":\"e\"},\"flags\":257}"
	    WRAP_POST, want, sizeof(want));
}

/* trace_state=3, parent_span_id=4, dropped counts 10/12/14, events=11
 * {time=1, name=2, dropped=4}, links=13 {trace_id=1, span_id=2,
 * trace_state=3, attributes=4, dropped=5, flags=6}. */
static void
test_wire_events_links(void **state)
{
	static const uint8_t want[] = {
		0x0a, 0x79, 0x12, 0x77, 0x12, 0x75,
		0x0a, 0x10, BYTES_T, 0x12, 0x08, BYTES_S,
		0x1a, 0x01, 't', /* trace_state */
		0x22, 0x08, BYTES_P,				/* parent */
		0x2a, 0x01, 'x',
		0x50, 0x03, /* dropped attrs */
		0x5a, 0x0e,					/* event */
		0x09, 0x01, 0, 0, 0, 0, 0, 0, 0,
		0x12, 0x01, 'e', 0x20, 0x01,
		0x60, 0x04, /* dropped events */
		0x6a, 0x31,					/* link */
		0x0a, 0x10, BYTES_T, 0x12, 0x08, BYTES_S,
		0x1a, 0x03, 'a', '=', 'b',
		0x22, 0x07, 0x0a, 0x01, 'k', 0x12, 0x02, 0x10, 0x00,
		0x28, 0x02,
		0x35, 0x01, 0x03, 0x00, 0x00,
		0x70, 0x05, /* dropped links */
	};

	(void)state;
	assert_packs_to(WRAP_PRE MIN_SPAN ",\"traceState\":\"t\","
	    "\"parentSpanId\":\"" HEX_P "\",\"name\":\"x\","
	    "\"droppedAttributesCount\":3,\"events\":[{\"timeUnixNano\":\"1\","
	    "\"name\":\"e\",\"droppedAttributesCount\":1}],"
	    "\"droppedEventsCount\":4,\"links\":[{\"traceId\":\"" HEX_T "\","
	    "\"spanId\":\"" HEX_S "\",\"traceState\":\"a=b\",\"attributes\":"
	    "[{\"key\":\"k\",\"value\":{\"boolValue\":false}}],"
	    "\"droppedAttributesCount\":2,\"flags\":769}],"
	    "\"droppedLinksCount\":5}" WRAP_POST, want, sizeof(want));
}

/* Resource {attributes=1, dropped=2}, ResourceSpans.schema_url=3,
 * ScopeSpans {scope=1, schema_url=3}, scope {name=1, version=2,
 * attributes=3, dropped=4}; string_value "" and double_value on the wire. */
static void
test_wire_resource_scope(void **state)
{
	static const uint8_t want[] = {
		0x0a, 0x2f,
		0x0a, 0x0b,					/* resource */
		0x0a, 0x07, 0x0a, 0x01, 'r', 0x12, 0x02, 0x0a, 0x00,
		0x10, 0x01,
		0x12, 0x1d, /* scope_spans */
		0x0a, 0x18,					/* scope */
		0x0a, 0x01, 'n', 0x12, 0x01, 'v',
		0x1a, 0x0e, 0x0a, 0x01, 's', 0x12, 0x09,
		0x21, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f,		/* 1.5 */
		0x20, 0x02,
		0x1a, 0x01, 's',				/* schema_url */
		0x1a, 0x01, 'u',				/* schema_url */
	};

	(void)state;
	assert_packs_to("{\"resourceSpans\":[{\"resource\":{"
	    "\"attributes\":[{\"key\":\"r\",\"value\":{\"stringValue\":"
	    "\"\"}}],\"droppedAttributesCount\":1},\"scopeSpans\":[{"
	    "\"scope\":{\"name\":\"n\",\"version\":\"v\",\"attributes\":"
	    "[{\"key\":\"s\",\"value\":{\"doubleValue\":1.5}}],"
	    "\"droppedAttributesCount\":2},\"schemaUrl\":\"s\"}],"
	    "\"schemaUrl\":\"u\"}]}", want, sizeof(want));
}

/* Line for a span with one attribute "k" holding the AnyValue json, and
 * the protobuf bytes expected for it given the AnyValue's own bytes. */
static void
assert_value_packs_to(const char *json, const uint8_t *v, size_t vlen)
{
	uint8_t want[128], kv[64];
	char line[512];
	size_t kvlen, n = 0;

	assert_true(vlen < 48);
	kvlen = 5 + vlen;
	memcpy(kv, "\x0a\x01k\x12", 4);
	kv[4] = (uint8_t)vlen;
	memcpy(kv + 5, v, vlen);
	/* request, resource_spans, scope_spans, spans; 30 = 2+16 + 2+8 + 2 */
	want[n++] = 0x0a, want[n++] = (uint8_t)(kvlen + 34);
	want[n++] = 0x12, want[n++] = (uint8_t)(kvlen + 32);
	want[n++] = 0x12, want[n++] = (uint8_t)(kvlen + 30);
	memcpy(want + n, "\x0a\x10\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"
	    "\x0b\x0c\x0d\x0e\x0f\x10\x12\x08\x11\x12\x13\x14\x15\x16\x17\x18",
	    28);
	n += 28;
	want[n++] = 0x4a, want[n++] = (uint8_t)kvlen;
	memcpy(want + n, kv, kvlen);
	n += kvlen;
	snprintf(line, sizeof(line), WRAP_PRE MIN_SPAN ",\"attributes\":[{"
	    "\"key\":\"k\",\"value\":%s}]}" WRAP_POST, json);
	assert_packs_to(line, want, n);
}

/* A set oneof member is on the wire even at 0, "" or false; tags 0x0a
 * string, 0x10 bool, 0x18 int, 0x21 double, 0x2a array, 0x32 kvlist,
 * 0x3a bytes. An AnyValue with nothing set is an empty message. */
static void
test_wire_anyvalue(void **state)
{
	static const uint8_t zero8[9] = { 0x21 };

	(void)state;
	assert_value_packs_to("{\"stringValue\":\"\"}",
	    (const uint8_t *)"\x0a\x00", 2);
	assert_value_packs_to("{\"boolValue\":false}",
	    (const uint8_t *)"\x10\x00", 2);
	assert_value_packs_to("{\"intValue\":\"0\"}",
	    (const uint8_t *)"\x18\x00", 2);
	assert_value_packs_to("{\"intValue\":0}",
	    (const uint8_t *)"\x18\x00", 2);
	assert_value_packs_to("{\"doubleValue\":0}", zero8, 9);
	assert_value_packs_to("{\"bytesValue\":\"\"}",
	    (const uint8_t *)"\x3a\x00", 2);
	assert_value_packs_to("{\"arrayValue\":{}}",
	    (const uint8_t *)"\x2a\x00", 2);
	assert_value_packs_to("{\"kvlistValue\":{}}",
	    (const uint8_t *)"\x32\x00", 2);
	assert_value_packs_to("{}", (const uint8_t *)"", 0);
	assert_value_packs_to("{\"stringValue\":\"hi\"}",
	    (const uint8_t *)"\x0a\x02hi", 4);
	assert_value_packs_to("{\"boolValue\":true}",
	    (const uint8_t *)"\x10\x01", 2);
	assert_value_packs_to("{\"intValue\":\"-1\"}", (const uint8_t *)
	    "\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
	assert_value_packs_to("{\"intValue\":300}",
	    (const uint8_t *)"\x18\xac\x02", 3);
	assert_value_packs_to("{\"bytesValue\":\"AP8=\"}",
	    (const uint8_t *)"\x3a\x02\x00\xff", 4);
	assert_value_packs_to("{\"arrayValue\":{\"values\":[{\"boolValue\":"
	    "true},{}]}}", (const uint8_t *)"\x2a\x06\x0a\x02\x10\x01\x0a\x00",
	    8);
	assert_value_packs_to("{\"kvlistValue\":{\"values\":[{\"key\":\"a\","
	    "\"value\":{\"intValue\":\"1\"}}]}}",
	    (const uint8_t *)"\x32\x09\x0a\x07\x0a\x01" "a\x12\x02\x18\x01",
	    11);
}

struct fx {
	char	dir[64];	/* mkdtemp: the spool directory */
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (testutil_mkdtemp(fx->dir, sizeof(fx->dir), "test_otlp") == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	testutil_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* A span with every attribute type, an exception event, links with and
 * without tracestate, and an error status. */
static struct span *
rich_span(void)
{
	static const char *const tags[] = { "a", "", "\xc3\xbc", "x\"y\\z" };
	struct tracectx lc;
	struct span *s;

	assert_non_null(s = span_start("chat_turn", SPAN_KIND_SERVER, NULL));
	span_set_str(s, "openinference.span.kind", "AGENT");
	span_set_str(s, "input.value", "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e "
	    "\"q\"\n\t/ \xf0\x9f\x8d\xb0");
	span_set_str(s, "empty", "");
	span_set_int(s, "i.zero", 0);
	span_set_int(s, "i.min", INT64_MIN);
	span_set_int(s, "i.max", INT64_MAX);
	testspan_set_double(s, "d.tenth", 0.1);
	testspan_set_double(s, "d.big", -1e300);
	testspan_set_double(s, "d.int", 3.0);
	testspan_set_double(s, "d.zero", 0.0);
	testspan_set_double(s, "d.nan", NAN);
	testspan_set_double(s, "d.inf", INFINITY);
	testspan_set_double(s, "d.ninf", -INFINITY);
	testspan_set_bool(s, "b.true", 1);
	testspan_set_bool(s, "b.false", 0);
	testspan_set_str_array(s, "tag.tags", tags, 4);
	testspan_set_str_array(s, "empty.array", tags, 0);
	assert_int_equal(tracectx_new_trace(&lc), 0);
	strcpy(lc.tracestate, "vendor=abc,other=1");
	span_add_link(s, &lc);
	assert_int_equal(tracectx_new_trace(&lc), 0);
	span_add_link(s, &lc);
	span_add_exception(s, "TimeoutError", "model timed out", 1);
	span_add_exception(s, NULL, NULL, 0);
	span_set_status(s, SPAN_STATUS_ERROR, "model timed out");
	span_end(s);
	return s;
}

/* Past every limit: dropped attribute, event and link counts. */
static struct span *
full_span(const struct span *parent)
{
	struct span *s;
	char key[32];
	int i;

	assert_non_null(s = span_start("completion", SPAN_KIND_CLIENT,
	    span_context(parent)));
	for (i = 0; i < SPAN_MAX_ATTRIBUTES + 3; i++) {
		snprintf(key, sizeof(key), "attr.%d", i);
		span_set_int(s, key, i);
	}
	for (i = 0; i < SPAN_MAX_EVENTS + 2; i++)
		span_add_exception(s, "E", "m", i % 2);
	for (i = 0; i < SPAN_MAX_LINKS + 4; i++)
		span_add_link(s, span_context(parent));
	span_set_status(s, SPAN_STATUS_OK, NULL);
	span_end(s);
	return s;
}

/* The lines of the spool's segment files, in one array. Caller puts. */
static json_object *
read_spool(const char *dir, size_t *nlines)
{
	json_object *lines = json_object_new_array();
	char path[512], *text = NULL;
	struct dirent *de;
	size_t cap = 0;
	FILE *fp;
	DIR *d;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "spans-", 6) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_non_null(fp = fopen(path, "r"));
		while (getline(&text, &cap, fp) != -1)
			json_object_array_add(lines,
			    json_object_new_string(text));
		fclose(fp);
	}
	closedir(d);
	free(text);
	*nlines = json_object_array_length(lines);
	return lines;
}

/* Lines the real spool writer wrote, through a batch and back, are the
 * same JSON; one batch of all of them holds all their ResourceSpans. */
static void
test_roundtrip_spool(void **state)
{
	static const struct spool_resource res = { "recipe-chat-test",
	    "recipes", "recipe-chat/test", "1.2.3" };
	struct fx *fx = *state;
	struct span *sp[4];
	struct spool *spool;
	struct otlp_batch *b = otlp_batch_new();
	json_object *lines, *all = json_object_new_array(), *o, *parsed;
	char err[OTLP_ERR_MAX], *json;
	const char *line;
	uint8_t *pb;
	size_t i, n, nlines, len, total = 0;

	sp[0] = rich_span();
	sp[1] = full_span(sp[0]);
	assert_non_null(sp[2] = span_start("", SPAN_KIND_UNSPECIFIED, NULL));
	assert_non_null(sp[3] = span_start("tool", SPAN_KIND_INTERNAL,
	    span_context(sp[1])));
	assert_non_null(spool = spool_open(fx->dir, &res, err, sizeof(err)));
	assert_int_equal(spool_append(spool, (const struct span *const *)sp,
	    2), 0);
	assert_int_equal(spool_append(spool, (const struct span *const *)sp +
	    2, 1), 0);
	assert_int_equal(spool_append(spool, (const struct span *const *)sp +
	    3, 1), 0);
	spool_close(spool);
	lines = read_spool(fx->dir, &nlines);
	assert_int_equal(nlines, 3);
	for (i = 0; i < nlines; i++) {
		line = json_object_get_string(json_object_array_get_idx(lines,
		    i));
		json = convert(line, &n, &pb, &len);
		assert_json_equal(json, line, "spool line", (int)i);
		free(json);
		free(pb);
		total += n;
		assert_int_equal(otlp_batch_add_line(b, line, strlen(line),
		    NULL, err, sizeof(err)), 0);
		parsed = must_parse(line, "spool", (int)i);
		o = json_object_object_get(parsed, "resourceSpans");
		assert_int_equal(json_object_array_length(o), 1);
		json_object_array_add(all, json_object_get(
		    json_object_array_get_idx(o, 0)));
		json_object_put(parsed);
	}
	assert_int_equal(total, 4);
	assert_int_equal(otlp_batch_span_count(b), 4);
	assert_int_equal(otlp_batch_resource_count(b), 3);
	o = json_object_new_object();
	json_object_object_add(o, "resourceSpans", all);
	pb = otlp_batch_pack(b, &len);
	assert_non_null(json = otlpjson_request(pb, len, &n, err,
	    sizeof(err)));
	assert_int_equal(n, 4);
	assert_json_equal(json, json_object_to_json_string(o), "batch", 0);
	free(json);
	free(pb);
	json_object_put(o);
	json_object_put(lines);
	otlp_batch_free(b);
	for (i = 0; i < 4; i++)
		span_free(sp[i]);
}

/* A line of nspans spans with an attribute each; with bad_last the last
 * span id is 3 hex digits, so the line fails only at its very end. */
static char *
line_with_spans(size_t nspans, int bad_last)
{
	char *line = malloc(64 + nspans * 200), *p = line, id[17];
	size_t i;

	assert_non_null(line);
	p += sprintf(p, WRAP_PRE);
	for (i = 0; i < nspans; i++) {
		snprintf(id, sizeof(id), "%016zx", i + 1);
		p += sprintf(p, "%s{\"traceId\":\"" HEX_T "\",\"spanId\":"
		    "\"%s\",\"name\":\"s%zu\",\"attributes\":[{\"key\":\"a\","
		    "\"value\":{\"intValue\":%zu}}]}", i ? "," : "",
		    bad_last && i == nspans - 1 ? "123" : id, i, i);
	}
	strcpy(p, WRAP_POST);
	return line;
}

static void
test_batch_many_and_reset(void **state)
{
	struct otlp_batch *b = otlp_batch_new(), *one = otlp_batch_new();
	char err[OTLP_ERR_MAX], *line = line_with_spans(3, 0), *json;
	uint8_t *pb, *pb1;
	size_t i, n = 0, len, len1;
	json_object *j;

	(void)state;
	for (i = 0; i < MANY_LINES; i++)
		assert_int_equal(otlp_batch_add_line(b, line, strlen(line), &n,
		    err, sizeof(err)), 0);
	assert_int_equal(n, 3 * MANY_LINES);
	assert_int_equal(otlp_batch_span_count(b), 3 * MANY_LINES);
	assert_int_equal(otlp_batch_resource_count(b), MANY_LINES);
	pb = otlp_batch_pack(b, &len);
	assert_int_equal(len, otlp_batch_packed_size(b));
	assert_non_null(json = otlpjson_request(pb, len, &n, err,
	    sizeof(err)));
	assert_int_equal(n, 3 * MANY_LINES);
	j = must_parse(json, "many", 0);
	assert_int_equal(json_object_array_length(json_object_object_get(j,
	    "resourceSpans")), MANY_LINES);
	json_object_put(j);
	free(json);
	free(pb);

	otlp_batch_reset(b);
	assert_int_equal(otlp_batch_span_count(b), 0);
	assert_int_equal(otlp_batch_resource_count(b), 0);
	assert_int_equal(otlp_batch_packed_size(b), 0);
	pb = otlp_batch_pack(b, &len);
	assert_int_equal(len, 0);
	free(pb);
	assert_int_equal(otlp_batch_add_line(b, line, strlen(line), NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(otlp_batch_add_line(one, line, strlen(line), NULL, err,
	    sizeof(err)), 0);
	pb = otlp_batch_pack(b, &len);
	pb1 = otlp_batch_pack(one, &len1);
	assert_int_equal(len, len1);
	assert_memory_equal(pb, pb1, len);
	free(pb);
	free(pb1);
	free(line);
	otlp_batch_free(b);
	otlp_batch_free(one);
	otlp_batch_free(NULL);
}

/* A line sized alone and then moved: sizes add up exactly, and the result
 * is the batch the lines would have made directly. */
static void
test_batch_move(void **state)
{
	struct otlp_batch *dst = otlp_batch_new(), *src = otlp_batch_new(),
	    *ref = otlp_batch_new();
	char err[OTLP_ERR_MAX], *l1 = line_with_spans(2, 0),
	    *l2 = line_with_spans(300, 0);
	uint8_t *pb, *want;
	size_t len, wantlen, before;

	(void)state;
	assert_int_equal(otlp_batch_add_line(dst, l1, strlen(l1), NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(otlp_batch_add_line(src, l2, strlen(l2), NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(otlp_batch_add_line(src, l1, strlen(l1), NULL, err,
	    sizeof(err)), 0);
	before = otlp_batch_packed_size(dst);
	len = otlp_batch_packed_size(src);
	otlp_batch_move(dst, src);
	assert_int_equal(otlp_batch_packed_size(dst), before + len);
	assert_int_equal(otlp_batch_span_count(dst), 304);
	assert_int_equal(otlp_batch_resource_count(dst), 3);
	assert_int_equal(otlp_batch_span_count(src), 0);
	assert_int_equal(otlp_batch_packed_size(src), 0);
	otlp_batch_move(dst, src);	/* moving an empty batch: no change */
	assert_int_equal(otlp_batch_packed_size(dst), before + len);
	/* src goes on working, and dst still takes lines */
	assert_int_equal(otlp_batch_add_line(src, l1, strlen(l1), NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(otlp_batch_add_line(dst, l1, strlen(l1), NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(otlp_batch_add_line(ref, l1, strlen(l1), NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(otlp_batch_add_line(ref, l2, strlen(l2), NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(otlp_batch_add_line(ref, l1, strlen(l1), NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(otlp_batch_add_line(ref, l1, strlen(l1), NULL, err,
	    sizeof(err)), 0);
	pb = otlp_batch_pack(dst, &len);
	want = otlp_batch_pack(ref, &wantlen);
	assert_int_equal(len, wantlen);
	assert_memory_equal(pb, want, len);
	free(pb);
	free(want);
	free(l1);
	free(l2);
	otlp_batch_free(dst);
	otlp_batch_free(src);
	otlp_batch_free(ref);
}

/* A line that fails late, after much was allocated, leaves the batch as
 * it was; the batch goes on working. */
static void
test_bad_line_no_partial_effect(void **state)
{
	struct otlp_batch *b = otlp_batch_new(), *ref = otlp_batch_new();
	char err[OTLP_ERR_MAX], *good = line_with_spans(2, 0),
	    *bad = line_with_spans(2000, 1);
	uint8_t *pb, *before;
	size_t n = 0, len, blen;

	(void)state;
	assert_int_equal(otlp_batch_add_line(b, good, strlen(good), &n, err,
	    sizeof(err)), 0);
	before = otlp_batch_pack(b, &blen);
	assert_int_equal(otlp_batch_add_line(b, bad, strlen(bad), &n, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "spans[1999].spanId: want 16 hex digits"));
	assert_int_equal(n, 2);
	assert_int_equal(otlp_batch_span_count(b), 2);
	assert_int_equal(otlp_batch_resource_count(b), 1);
	pb = otlp_batch_pack(b, &len);
	assert_int_equal(len, blen);
	assert_memory_equal(pb, before, len);
	free(pb);
	/* and again, then a good line: the same as two good lines */
	assert_int_equal(otlp_batch_add_line(b, bad, strlen(bad), &n, err,
	    sizeof(err)), -1);
	assert_int_equal(otlp_batch_add_line(b, good, strlen(good), &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(otlp_batch_add_line(ref, good, strlen(good), NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(otlp_batch_add_line(ref, good, strlen(good), NULL, err,
	    sizeof(err)), 0);
	free(before);
	before = otlp_batch_pack(ref, &blen);
	pb = otlp_batch_pack(b, &len);
	assert_int_equal(len, blen);
	assert_memory_equal(pb, before, len);
	free(pb);
	free(before);
	free(good);
	free(bad);
	otlp_batch_free(b);
	otlp_batch_free(ref);
}

static int
add(const char *line, size_t len, char *err)
{
	struct otlp_batch *b = otlp_batch_new();
	int rc;

	err[0] = '\0';
	rc = otlp_batch_add_line(b, line, len, NULL, err, OTLP_ERR_MAX);
	if (rc == -1)
		assert_int_equal(otlp_batch_packed_size(b), 0);
	otlp_batch_free(b);
	return rc;
}

/* What a text table cannot hold: line ends, raw bytes, lengths. */
static void
test_line_bytes(void **state)
{
	static const char nul[] = "{\"resourceSpans\":[]}\0{}";
	static const char nul2[] = "{\"resourceSpans\":[\0]}";
	char err[OTLP_ERR_MAX], line[256];
	struct otlp_batch *b;

	(void)state;
	assert_int_equal(add("{}\n", 3, err), 0);
	assert_int_equal(add("{}\r\n", 4, err), 0);
	assert_int_equal(add("{} \t\n", 5, err), 0);
	assert_int_equal(add("{}x", 2, err), 0);	/* len counts */
	assert_int_equal(add("{\"resourceSpans\":[]}", 10, err), -1);
	assert_non_null(strstr(err, "cut short"));
	assert_int_equal(add(nul, sizeof(nul) - 1, err), -1);
	assert_non_null(strstr(err, "not JSON"));
	assert_int_equal(add(nul2, sizeof(nul2) - 1, err), -1);
	assert_non_null(strstr(err, "not JSON"));
	assert_int_equal(add("\n", 1, err), -1);
	snprintf(line, sizeof(line), WRAP_PRE MIN_SPAN ",\"name\":\"%s\"}"
	    WRAP_POST, "bad \xff byte");
	assert_int_equal(add(line, strlen(line), err), -1);
	assert_non_null(strstr(err, "not JSON"));
	snprintf(line, sizeof(line), WRAP_PRE MIN_SPAN ",\"name\":\"%s\"}"
	    WRAP_POST, "overlong \xc0\xaf");
	assert_int_equal(add(line, strlen(line), err), -1);
	snprintf(line, sizeof(line), WRAP_PRE MIN_SPAN ",\"name\":\"%s\"}"
	    WRAP_POST, "surrogate \xed\xa0\x80");
	assert_int_equal(add(line, strlen(line), err), -1);
	snprintf(line, sizeof(line), WRAP_PRE MIN_SPAN ",\"name\":\"%s\"}"
	    WRAP_POST, "past U+10FFFF \xf4\x90\x80\x80");
	assert_int_equal(add(line, strlen(line), err), -1);
	snprintf(line, sizeof(line), WRAP_PRE MIN_SPAN ",\"name\":\"%s\"}"
	    WRAP_POST, "cut \xe2\x82");
	assert_int_equal(add(line, strlen(line), err), -1);
	snprintf(line, sizeof(line), WRAP_PRE MIN_SPAN ",\"name\":\"%s\"}"
	    WRAP_POST, "fine \xe2\x82\xac");
	assert_int_equal(add(line, strlen(line), err), 0);
	/* a small error buffer is cut, not overrun */
	b = otlp_batch_new();
	err[5] = 'X';
	assert_int_equal(otlp_batch_add_line(b, "[", 1, NULL, err, 5), -1);
	assert_int_equal(strlen(err), 4);
	assert_int_equal(err[5], 'X');
	otlp_batch_free(b);
}

static void
test_request_to_json_bad_input(void **state)
{
	static const uint8_t cut[] = { 0x0a, 0x05, 0x12, 0x03 };
	static const uint8_t wiretype[] = { 0x08, 0x01 };
	static const uint8_t unknown[] = { 0x10, 0x01 };
	static const uint8_t badspan[] = { 0x0a, 0x04, 0x12, 0x02, 0x12, 0x05 };
	char err[OTLP_ERR_MAX], *json;
	size_t n = 9;

	(void)state;
	err[0] = '\0';
	assert_null(otlpjson_request(cut, sizeof(cut), &n, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "ExportTraceServiceRequest"));
	assert_int_equal(n, 9);
	assert_null(otlpjson_request(wiretype, sizeof(wiretype), NULL, err,
	    sizeof(err)));
	assert_null(otlpjson_request(badspan, sizeof(badspan), NULL, err,
	    sizeof(err)));
	assert_non_null(json = otlpjson_request(cut, 0, &n, err,
	    sizeof(err)));
	assert_string_equal(json, "{\"resourceSpans\":[]}");
	assert_int_equal(n, 0);
	free(json);
	assert_non_null(json = otlpjson_request(unknown, sizeof(unknown),
	    NULL, err, sizeof(err)));
	assert_string_equal(json, "{\"resourceSpans\":[]}");
	free(json);
}

static void
test_response(void **state)
{
	static const uint8_t partial[] = { 0x0a, 0x05, 0x08, 0x03, 0x12, 0x01,
	    'x' };
	static const uint8_t empty_ps[] = { 0x0a, 0x00 };
	static const uint8_t cut[] = { 0x0a, 0x05, 0x08 };
	static const uint8_t want[] = { 0x0a, 0x07, 0x08, 0x07, 0x12, 0x03, 'b',
	    'a', 'd' };
	char msg[64];
	int64_t rej = 99;
	uint8_t *pb;
	size_t len;

	(void)state;
	assert_int_equal(otlp_parse_response(partial, sizeof(partial), &rej,
	    msg, sizeof(msg)), 0);
	assert_int_equal(rej, 3);
	assert_string_equal(msg, "x");
	assert_int_equal(otlp_parse_response(partial, 0, &rej, msg,
	    sizeof(msg)), 0);
	assert_int_equal(rej, 0);
	assert_string_equal(msg, "");
	rej = 5;
	assert_int_equal(otlp_parse_response(empty_ps, sizeof(empty_ps), &rej,
	    msg, sizeof(msg)), 0);
	assert_int_equal(rej, 0);
	assert_string_equal(msg, "");
	assert_int_equal(otlp_parse_response(cut, sizeof(cut), &rej, msg,
	    sizeof(msg)), -1);
	assert_non_null(strstr(msg, "ExportTraceServiceResponse"));

	pb = otlpjson_response_pack(0, NULL, &len);
	assert_int_equal(len, 0);
	free(pb);
	pb = otlpjson_response_pack(0, "", &len);
	assert_int_equal(len, 0);
	free(pb);
	pb = otlpjson_response_pack(7, "bad", &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(pb, want, len);
	free(pb);
	pb = otlpjson_response_pack(-1, "a longer message", &len);
	assert_int_equal(len, 2 + 11 + 18);
	assert_int_equal(otlp_parse_response(pb, len, &rej, msg, 5), 0);
	assert_int_equal(rej, -1);
	assert_string_equal(msg, "a lo");
	free(pb);
	pb = otlpjson_response_pack(0, "only", &len);
	assert_int_equal(otlp_parse_response(pb, len, &rej, msg, sizeof(msg)),
	    0);
	assert_int_equal(rej, 0);
	assert_string_equal(msg, "only");
	free(pb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_wire_minimal_span),
		cmocka_unit_test(test_wire_scalars),
		cmocka_unit_test(test_wire_events_links),
		cmocka_unit_test(test_wire_resource_scope),
		cmocka_unit_test(test_wire_anyvalue),
		cmocka_unit_test_setup_teardown(test_roundtrip_spool, setup,
		    teardown),
		cmocka_unit_test(test_batch_many_and_reset),
		cmocka_unit_test(test_batch_move),
		cmocka_unit_test(test_bad_line_no_partial_effect),
		cmocka_unit_test(test_line_bytes),
		cmocka_unit_test(test_request_to_json_bad_input),
		cmocka_unit_test(test_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
