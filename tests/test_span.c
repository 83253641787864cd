/* test_span.c - span limits, UTF-8 handling and the OTLP/JSON form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "span.h"
#include "hex.h"

/* The span's JSON, kept in *state and put by the teardown. */
static json_object *
to_json(void **state, const struct span *s)
{
	struct buf b;

	json_object_put(*state);
	buf_init(&b, 1 << 20);
	assert_int_equal(span_write_json(s, &b), 0);
	*state = json_tokener_parse(b.data);
	if (*state == NULL)
		fail_msg("not JSON: %s", b.data);
	buf_cleanup(&b);
	return *state;
}

static int
teardown_json(void **state)
{
	json_object_put(*state);
	*state = NULL;
	return 0;
}

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *
getstr(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_non_null(v);
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

/* The "value" object of attribute key in o's attributes, or NULL. */
static json_object *
attr(json_object *o, const char *key)
{
	json_object *arr = get(o, "attributes"), *kv;
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < json_object_array_length(arr); i++) {
		kv = json_object_array_get_idx(arr, i);
		if (strcmp(getstr(kv, "key"), key) == 0)
			return get(kv, "value");
	}
	return NULL;
}

static int64_t
getint(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_non_null(v);
	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

static void
test_attribute_types(void **state)
{
	struct span *s = span_start("t", SPAN_KIND_INTERNAL, NULL);
	json_object *j;

	span_set_str(s, "s", "hello/world");
	span_set_int(s, "i", INT64_MIN);
	span_set_int(s, "n", 42);
	j = to_json(state, s);
	assert_string_equal(getstr(attr(j, "s"), "stringValue"), "hello/world");
	assert_string_equal(getstr(attr(j, "i"), "intValue"),
	    "-9223372036854775808");
	assert_string_equal(getstr(attr(j, "n"), "intValue"), "42");
	assert_int_equal(json_object_array_length(get(j, "attributes")), 3);
	assert_null(get(j, "droppedAttributesCount"));
	span_free(s);
}

/* How OTLP/JSON writes a double (otlp.c's JSON form of a request). */
static void
test_json_double(void **state)
{
	json_object *v;

	(void)state;
	v = span_json_double(0.1);
	assert_true(json_object_is_type(v, json_type_double));
	assert_string_equal(json_object_to_json_string(v), "0.1");
	json_object_put(v);
	v = span_json_double(NAN);
	assert_string_equal(json_object_get_string(v), "NaN");
	json_object_put(v);
	v = span_json_double(-INFINITY);
	assert_string_equal(json_object_get_string(v), "-Infinity");
	json_object_put(v);
	v = span_json_double(INFINITY);
	assert_string_equal(json_object_get_string(v), "Infinity");
	json_object_put(v);
}

static void
test_replace(void **state)
{
	struct span *s = span_start("t", SPAN_KIND_INTERNAL, NULL);
	json_object *j;

	span_set_str(s, "k", "first");
	span_set_int(s, "other", 1);
	span_set_str(s, "k", "second");
	span_set_int(s, "other", 2);
	span_set_int(s, "k", 7);
	j = to_json(state, s);
	assert_int_equal(json_object_array_length(get(j, "attributes")), 2);
	assert_string_equal(getstr(attr(j, "k"), "intValue"), "7");
	assert_null(get(attr(j, "k"), "stringValue"));
	assert_string_equal(getstr(attr(j, "other"), "intValue"), "2");
	assert_null(get(j, "droppedAttributesCount"));
	span_free(s);
}

static void
test_attribute_cap(void **state)
{
	struct span *s = span_start("t", SPAN_KIND_INTERNAL, NULL);
	json_object *j;
	char key[32];
	int i;

	for (i = 0; i < SPAN_MAX_ATTRIBUTES + 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		span_set_int(s, key, i);
	}
	/* Replacing an existing key still works at the cap. */
	span_set_int(s, "k0", 1000);
	span_set_str(s, "", "empty keys are dropped");
	span_set_str(s, NULL, "so are NULL keys");
	j = to_json(state, s);
	assert_int_equal(json_object_array_length(get(j, "attributes")),
	    SPAN_MAX_ATTRIBUTES);
	assert_int_equal(getint(j, "droppedAttributesCount"), 5 + 2);
	assert_string_equal(getstr(attr(j, "k0"), "intValue"), "1000");
	assert_null(attr(j, "k128"));
	span_free(s);
}

static void
test_value_cut_utf8(void **state)
{
	struct span *s = span_start("t", SPAN_KIND_INTERNAL, NULL);
	size_t n = SPAN_MAX_VALUE_LEN + 10;
	char *big = malloc(n + 1);
	json_object *j;
	const char *v;

	assert_non_null(big);
	/* "é" (2 bytes) straddles the limit: the cut falls before it. */
	memset(big, 'a', n);
	memcpy(big + SPAN_MAX_VALUE_LEN - 1, "\xc3\xa9", 2);
	big[n] = '\0';
	span_set_str(s, "cut", big);
	memset(big, 'b', SPAN_MAX_VALUE_LEN);
	span_set_strn(s, "exact", big, SPAN_MAX_VALUE_LEN);
	j = to_json(state, s);
	v = getstr(attr(j, "cut"), "stringValue");
	assert_int_equal(strlen(v), SPAN_MAX_VALUE_LEN - 1);
	assert_int_equal(v[SPAN_MAX_VALUE_LEN - 2], 'a');
	assert_int_equal(strlen(getstr(attr(j, "exact"), "stringValue")),
	    SPAN_MAX_VALUE_LEN);
	assert_int_equal(getint(j, "droppedAttributesCount"), 1);
	free(big);
	span_free(s);
}

static void
test_invalid_utf8(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "a\xff" "b", "a\xef\xbf\xbd" "b" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "x\xe2\x82", "x\xef\xbf\xbd\xef\xbf\xbd" },	/* cut short */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd\xef\xbf\xbd" },		/* > U+10FFFF */
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\x95",
		    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\x95" },
	};
	struct span *s;
	json_object *j;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = span_start(cases[i].in, SPAN_KIND_INTERNAL, NULL);
		span_set_str(s, "v", cases[i].in);
		span_set_status(s, SPAN_STATUS_ERROR, cases[i].in);
		j = to_json(state, s);
		assert_string_equal(getstr(attr(j, "v"), "stringValue"),
		    cases[i].out);
		assert_string_equal(getstr(j, "name"), cases[i].out);
		assert_string_equal(getstr(get(j, "status"), "message"),
		    cases[i].out);
		assert_null(get(j, "droppedAttributesCount"));
		span_free(s);
	}
}

/* Embedded NULs cannot go on in C strings: they are replaced too. */
static void
test_strn_nul(void **state)
{
	struct span *s = span_start("t", SPAN_KIND_INTERNAL, NULL);

	span_set_strn(s, "v", "a\0b", 3);
	span_set_strn(s, "w", "abcdef", 2);
	assert_string_equal(getstr(attr(to_json(state, s), "v"),
	    "stringValue"), "a\xef\xbf\xbd" "b");
	assert_string_equal(getstr(attr(*state, "w"), "stringValue"), "ab");
	span_free(s);
}

static void
test_ids_parent_child(void **state)
{
	struct span *root = span_start("root", SPAN_KIND_SERVER, NULL);
	struct span *child = span_start("child", SPAN_KIND_CLIENT,
	    span_context(root));
	char hex[33];
	json_object *j;

	assert_non_null(root);
	assert_non_null(child);
	j = to_json(state, root);
	assert_null(get(j, "parentSpanId"));
	assert_null(get(j, "traceState"));
	assert_int_equal(getint(j, "kind"), SPAN_KIND_SERVER);
	assert_int_equal(getint(j, "flags"), 0x100 | 0x03);
	hex_encode(span_context(root)->trace_id, 16, hex);
	assert_string_equal(getstr(j, "traceId"), hex);
	j = to_json(state, child);
	assert_string_equal(getstr(j, "traceId"), hex);
	hex_encode(span_context(root)->span_id, 8, hex);
	assert_string_equal(getstr(j, "parentSpanId"), hex);
	assert_string_not_equal(getstr(j, "spanId"), hex);
	assert_int_equal(strlen(getstr(j, "spanId")), 16);
	assert_string_equal(getstr(j, "name"), "child");
	assert_string_equal(span_name(child), "child");
	assert_int_equal(getint(j, "kind"), SPAN_KIND_CLIENT);
	span_free(child);
	span_free(root);
}

static void
test_remote_parent(void **state)
{
	struct tracectx remote;
	struct span *s;
	json_object *j;

	assert_int_equal(tracectx_parse_traceparent(
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
	    &remote), 0);
	assert_int_equal(tracectx_parse_tracestate("vendor=x", &remote), 0);
	s = span_start("srv", SPAN_KIND_SERVER, &remote);
	j = to_json(state, s);
	assert_string_equal(getstr(j, "traceId"),
	    "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_string_equal(getstr(j, "parentSpanId"), "00f067aa0ba902b7");
	assert_string_equal(getstr(j, "traceState"), "vendor=x");
	assert_int_equal(getint(j, "flags"), 0x100);
	assert_string_equal(span_context(s)->tracestate, "vendor=x");
	span_free(s);
}

static void
test_times(void **state)
{
	struct span *s = span_start("t", SPAN_KIND_INTERNAL, NULL);
	uint64_t before = span_now_ns(), start, end;
	json_object *j;
	char first[32];

	span_end(s);
	j = to_json(state, s);
	start = strtoull(getstr(j, "startTimeUnixNano"), NULL, 10);
	end = strtoull(getstr(j, "endTimeUnixNano"), NULL, 10);
	assert_true(start > 1600000000ull * 1000000000ull);
	assert_true(start <= before);
	assert_true(end >= start);
	snprintf(first, sizeof(first), "%s", getstr(j, "endTimeUnixNano"));
	span_end(s);		/* the first call wins */
	assert_string_equal(getstr(to_json(state, s), "endTimeUnixNano"),
	    first);
	span_free(s);
}

static void
test_status(void **state)
{
	struct span *s = span_start("t", SPAN_KIND_INTERNAL, NULL);
	json_object *st;

	st = get(to_json(state, s), "status");
	assert_int_equal(getint(st, "code"), 0);
	assert_null(get(st, "message"));
	span_set_status(s, SPAN_STATUS_OK, "ignored for OK");
	st = get(to_json(state, s), "status");
	assert_int_equal(getint(st, "code"), 1);
	assert_null(get(st, "message"));
	span_set_status(s, SPAN_STATUS_ERROR, "upstream timed out");
	st = get(to_json(state, s), "status");
	assert_int_equal(getint(st, "code"), 2);
	assert_string_equal(getstr(st, "message"), "upstream timed out");
	span_set_status(s, SPAN_STATUS_ERROR, NULL);
	assert_null(get(get(to_json(state, s), "status"), "message"));
	span_free(s);
}

static void
test_exception_events(void **state)
{
	struct span *s = span_start("t", SPAN_KIND_INTERNAL, NULL);
	json_object *j, *evs, *e;
	int i;

	span_add_exception(s, "TimeoutError", "no reply in 30 s", 1);
	span_add_exception(s, NULL, "message only", 0);
	for (i = 2; i < SPAN_MAX_EVENTS + 4; i++)
		span_add_exception(s, "E", "m", 0);
	j = to_json(state, s);
	evs = get(j, "events");
	assert_int_equal(json_object_array_length(evs), SPAN_MAX_EVENTS);
	assert_int_equal(getint(j, "droppedEventsCount"), 4);
	e = json_object_array_get_idx(evs, 0);
	assert_string_equal(getstr(e, "name"), "exception");
	assert_true(strtoull(getstr(e, "timeUnixNano"), NULL, 10) > 0);
	assert_string_equal(getstr(attr(e, "exception.type"), "stringValue"),
	    "TimeoutError");
	assert_string_equal(getstr(attr(e, "exception.message"),
	    "stringValue"), "no reply in 30 s");
	assert_true(json_object_get_boolean(get(attr(e, "exception.escaped"),
	    "boolValue")));
	e = json_object_array_get_idx(evs, 1);
	assert_null(attr(e, "exception.type"));
	assert_false(json_object_get_boolean(get(attr(e, "exception.escaped"),
	    "boolValue")));
	span_free(s);
}

static void
test_links(void **state)
{
	struct span *s = span_start("t", SPAN_KIND_SERVER, NULL);
	struct tracectx remote;
	json_object *j, *l;
	int i;

	assert_int_equal(tracectx_parse_traceparent(
	    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	    &remote), 0);
	assert_int_equal(tracectx_parse_tracestate("rojo=1,congo=2", &remote),
	    0);
	span_add_link(s, &remote);
	remote.tracestate[0] = '\0';
	for (i = 1; i < SPAN_MAX_LINKS + 2; i++)
		span_add_link(s, &remote);
	j = to_json(state, s);
	assert_int_equal(json_object_array_length(get(j, "links")),
	    SPAN_MAX_LINKS);
	assert_int_equal(getint(j, "droppedLinksCount"), 2);
	l = json_object_array_get_idx(get(j, "links"), 0);
	assert_string_equal(getstr(l, "traceId"),
	    "0af7651916cd43dd8448eb211c80319c");
	assert_string_equal(getstr(l, "spanId"), "b7ad6b7169203331");
	assert_string_equal(getstr(l, "traceState"), "rojo=1,congo=2");
	assert_int_equal(getint(l, "flags"), 0x301);
	assert_null(get(json_object_array_get_idx(get(j, "links"), 1),
	    "traceState"));
	span_free(s);
}

/* The serialised form uses the plain, no-slash-escape json-c flags. */
static void
test_plain_text(void **state)
{
	struct span *s = span_start("a/b", SPAN_KIND_INTERNAL, NULL);
	const char *text;

	span_set_str(s, "url", "http://127.0.0.1/x");
	text = json_object_to_json_string_ext(to_json(state, s),
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	assert_non_null(strstr(text, "\"name\":\"a/b\""));
	assert_non_null(strstr(text, "\"stringValue\":\"http://127.0.0.1/x\""));
	assert_null(strchr(text, '\n'));
	assert_null(get(*state, "events"));
	assert_null(get(*state, "links"));
	span_free(s);
}

/* A NULL span is not recorded: every setter takes it and does nothing
 * (the pool with OTEL_SDK_DISABLED=true). */
static void
test_null_span_not_recording(void **state)
{
	struct tracectx ctx;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	span_set_str(NULL, "k", "v");
	span_set_strn(NULL, "k", "v", 1);
	span_set_int(NULL, "k", 1);
	span_add_link(NULL, &ctx);
	span_add_exception(NULL, "T", "m", 1);
	span_set_status(NULL, SPAN_STATUS_ERROR, "m");
	span_end(NULL);
	span_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, teardown_json)
		T(test_attribute_types),
		cmocka_unit_test(test_json_double),
		T(test_replace),
		T(test_attribute_cap),
		T(test_value_cut_utf8),
		T(test_invalid_utf8),
		T(test_strn_nul),
		T(test_ids_parent_child),
		T(test_remote_parent),
		T(test_times),
		T(test_status),
		T(test_exception_events),
		T(test_links),
		T(test_plain_text),
		cmocka_unit_test(test_null_span_not_recording),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
