/* test_spanheap.c - the newest N spans: which are kept, the order they
 * come out in, and copies that owe nothing to the line they came from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spanheap.h"

#define T0	1764000000000000000ULL

static struct spanscan_str
str(const char *s)
{
	return (struct spanscan_str){ s, s == NULL ? 0 : strlen(s) };
}

/* What drain handed out: end times, and a copy of the last span's input. */
struct seen {
	uint64_t	end[64];
	size_t		n;
	char		input[2 * SPANHEAP_TEXT_MAX + 1];
	char		name[SPANHEAP_SHORT_MAX + 1];
};

static void
record(const struct spanscan_span *s, void *arg)
{
	struct seen *r = arg;

	assert_true(r->n < 64);
	r->end[r->n++] = s->end_ns;
	assert_true(s->input.len < sizeof(r->input));
	memcpy(r->input, s->input.ptr ? s->input.ptr : "", s->input.len);
	r->input[s->input.len] = '\0';
	assert_true(s->name.len < sizeof(r->name));
	memcpy(r->name, s->name.ptr ? s->name.ptr : "", s->name.len);
	r->name[s->name.len] = '\0';
	/* What a line does not show is not kept. */
	assert_null(s->raw.ptr);
	assert_null(s->raw_resource.ptr);
	/* The span id is kept: a vote is found by it. */
	assert_int_equal(s->span_id.len, 16);
	assert_memory_equal(s->span_id.ptr, "00f067aa0ba902b7", 16);
	assert_null(s->parent_span_id.ptr);
}

static struct spanscan_span
at(uint64_t end)
{
	struct spanscan_span s;

	memset(&s, 0, sizeof(s));
	s.end_ns = end;
	s.name = str("chat_turn");
	s.span_id = str("00f067aa0ba902b7");
	s.raw = str("{}");
	return s;
}

static void
test_newest(void **state)
{
	/* End times in no order, one repeated. */
	static const uint64_t ends[] = { 5, 1, 9, 3, 7, 9, 2, 8, 6, 4 };
	struct spanheap *h = spanheap_new(4);
	struct spanscan_span s;
	struct seen r = { .n = 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		s = at(T0 + ends[i]);
		spanheap_add(h, &s);
	}
	assert_int_equal(spanheap_count(h), 4);
	spanheap_drain(h, record, &r);
	assert_int_equal(r.n, 4);
	assert_true(r.end[0] == T0 + 7 && r.end[1] == T0 + 8 &&
	    r.end[2] == T0 + 9 && r.end[3] == T0 + 9);
	assert_int_equal(spanheap_count(h), 0);

	/* Drained, it keeps again, up to the same cap. */
	r.n = 0;
	for (uint64_t e = 1; e <= 6; e++) {
		s = at(T0 + 100 - e);
		spanheap_add(h, &s);
	}
	spanheap_drain(h, record, &r);
	assert_int_equal(r.n, 4);
	assert_true(r.end[0] == T0 + 96 && r.end[3] == T0 + 99);
	spanheap_free(h);
	spanheap_free(NULL);
}

static void
test_fewer_and_none(void **state)
{
	struct spanheap *h = spanheap_new(10);
	struct spanscan_span s = at(T0);
	struct seen r = { .n = 0 };

	(void)state;
	spanheap_add(h, &s);
	s = at(T0 - 1);
	spanheap_add(h, &s);
	spanheap_drain(h, record, &r);
	assert_int_equal(r.n, 2);
	assert_true(r.end[0] == T0 - 1 && r.end[1] == T0);
	spanheap_free(h);

	h = spanheap_new(0);		/* -n 0 */
	spanheap_add(h, &s);
	assert_int_equal(spanheap_count(h), 0);
	r.n = 0;
	spanheap_drain(h, record, &r);
	assert_int_equal(r.n, 0);
	spanheap_free(h);
	assert_int_equal(spanheap_count(NULL), 0);
}

static void
test_copies(void **state)
{
	struct spanheap *h = spanheap_new(2);
	char line[64], big[3 * SPANHEAP_TEXT_MAX];
	struct spanscan_span s;
	struct seen r = { .n = 0 };
	size_t n;

	(void)state;
	/* Values that live in a buffer the caller reuses. */
	snprintf(line, sizeof(line), "pancakes");
	s = at(T0);
	s.input = str(line);
	spanheap_add(h, &s);
	memset(line, 'x', 8);
	/* A long input whose cut would fall inside a \u escape. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big + SPANHEAP_TEXT_MAX - 3, "\\u00e9", 6);
	s = at(T0 + 1);
	s.input = str(big);
	spanheap_add(h, &s);
	memset(big, 'z', sizeof(big) - 1);
	spanheap_drain(h, record, &r);
	assert_int_equal(r.n, 2);
	/* The second (newest) one's input: cut before the escape. */
	n = strlen(r.input);
	assert_int_equal(n, SPANHEAP_TEXT_MAX - 3);
	assert_null(strchr(r.input, 'z'));
	assert_string_equal(r.name, "chat_turn");
	spanheap_free(h);

	/* And the first kept its own copy. */
	h = spanheap_new(1);
	snprintf(line, sizeof(line), "pancakes");
	s = at(T0);
	s.input = str(line);
	spanheap_add(h, &s);
	memset(line, 'x', 8);
	r.n = 0;
	spanheap_drain(h, record, &r);
	assert_string_equal(r.input, "pancakes");
	spanheap_free(h);
}

static void
test_short_values_cut(void **state)
{
	struct spanheap *h = spanheap_new(1);
	char name[2 * SPANHEAP_SHORT_MAX];
	struct spanscan_span s = at(T0);
	struct seen r = { .n = 0 };

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	s.name = str(name);
	spanheap_add(h, &s);
	spanheap_drain(h, record, &r);
	assert_int_equal(strlen(r.name), SPANHEAP_SHORT_MAX);
	spanheap_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newest),
		cmocka_unit_test(test_fewer_and_none),
		cmocka_unit_test(test_copies),
		cmocka_unit_test(test_short_values_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
