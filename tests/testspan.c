/* testspan.c - test-only span attributes (doubles, booleans, string
 * arrays), added to a span's OTLP/JSON by wrapping span_write_json;
 * span_free is wrapped too, so that a span's extras die with it. json-c:
 * each extra owns its value until span_free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "testspan.h"

int __real_span_write_json(const struct span *s, struct buf *b);
int __wrap_span_write_json(const struct span *s, struct buf *b);
void __real_span_free(struct span *s);
void __wrap_span_free(struct span *s);

struct testspan_extra {
	const struct span	*span;
	char			*key;
	json_object		*value;	/* an AnyValue */
};

static struct testspan_extra	testspan_extras[TESTSPAN_MAX_EXTRAS];
static size_t			testspan_n;

static void
testspan_add(struct span *s, const char *key, const char *kind,
    json_object *v)
{
	struct testspan_extra *e;
	json_object *any = json_object_new_object();

	if (testspan_n == TESTSPAN_MAX_EXTRAS)
		fail_msg("testspan: more than %d attributes",
		    TESTSPAN_MAX_EXTRAS);
	json_object_object_add(any, kind, v);
	e = &testspan_extras[testspan_n++];
	e->span = s;
	assert_non_null(e->key = strdup(key));
	e->value = any;
}

void
testspan_set_double(struct span *s, const char *key, double val)
{
	testspan_add(s, key, "doubleValue", span_json_double(val));
}

void
testspan_set_bool(struct span *s, const char *key, int val)
{
	testspan_add(s, key, "boolValue", json_object_new_boolean(val != 0));
}

void
testspan_set_str_array(struct span *s, const char *key,
    const char *const *vals, size_t n)
{
	json_object *arr = json_object_new_array(), *el, *o;
	size_t i;

	for (i = 0; i < n; i++) {
		el = json_object_new_object();
		json_object_object_add(el, "stringValue",
		    json_object_new_string(vals[i] != NULL ? vals[i] : ""));
		json_object_array_add(arr, el);
	}
	o = json_object_new_object();
	json_object_object_add(o, "values", arr);
	testspan_add(s, key, "arrayValue", o);
}

/* The real text, read back, the extras appended to its attributes and
 * written again: test code, so a tree is fine here. */
int
__wrap_span_write_json(const struct span *s, struct buf *b)
{
	json_object *o, *attrs, *kv;
	struct buf own;
	const char *text;
	size_t i;
	int rc;

	buf_init(&own, b->limit);
	if (__real_span_write_json(s, &own) == -1) {
		buf_cleanup(&own);
		return -1;
	}
	if ((o = json_tokener_parse(own.data)) == NULL ||
	    !json_object_object_get_ex(o, "attributes", &attrs))
		fail_msg("testspan: not a span with attributes: %s", own.data);
	buf_cleanup(&own);
	for (i = 0; i < testspan_n; i++) {
		if (testspan_extras[i].span != s)
			continue;
		kv = json_object_new_object();
		json_object_object_add(kv, "key",
		    json_object_new_string(testspan_extras[i].key));
		json_object_object_add(kv, "value",
		    json_object_get(testspan_extras[i].value));
		json_object_array_add(attrs, kv);
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = buf_append(b, text, strlen(text));
	json_object_put(o);
	return rc;
}

void
__wrap_span_free(struct span *s)
{
	size_t i, keep = 0;

	for (i = 0; i < testspan_n; i++) {
		if (testspan_extras[i].span == s && s != NULL) {
			free(testspan_extras[i].key);
			json_object_put(testspan_extras[i].value);
		} else
			testspan_extras[keep++] = testspan_extras[i];
	}
	testspan_n = keep;
	__real_span_free(s);
}
