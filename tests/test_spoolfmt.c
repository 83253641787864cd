/* test_spoolfmt.c - segment names round trip and which names are
 * segments, line kinds, and the envelope: one group and several, and the
 * limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "spoolfmt.h"

static void
test_segment_names(void **state)
{
	char name[SPOOLFMT_NAME_MAX];

	(void)state;
	assert_int_equal(spoolfmt_segment_name(name, sizeof(name),
	    SPOOLFMT_KIND_SPANS, 1764170000123LL, 4242, "0a1b2c3d", 7), 0);
	assert_string_equal(name,
	    "spans-1764170000123-4242-0a1b2c3d-7.jsonl");
	assert_int_equal(spoolfmt_segment_kind(name), SPOOLFMT_KIND_SPANS);
	assert_int_equal(spoolfmt_segment_name(name, sizeof(name),
	    SPOOLFMT_KIND_FEEDBACK, 1764170000123LL, 4242, "0a1b2c3d", 7), 0);
	assert_string_equal(name,
	    "feedback-1764170000123-4242-0a1b2c3d-7.jsonl");
	assert_int_equal(spoolfmt_segment_kind(name), SPOOLFMT_KIND_FEEDBACK);
	assert_int_equal(spoolfmt_segment_name(name, 10, SPOOLFMT_KIND_SPANS,
	    1, 1, "x", 1), -1);
	assert_int_equal(spoolfmt_segment_name(name, sizeof(name),
	    SPOOLFMT_KIND_NONE, 1, 1, "x", 1), -1);
}

static void
test_is_segment_table(void **state)
{
	static const struct {
		const char	*name;
		int		 valid;
	} cases[] = {
		{ "spans-1700000000000-41-0.jsonl", 1 },
		{ "spans-1-2-3.jsonl", 1 },
		{ "spans-x.jsonl", 1 },
		/* hidden: still being created */
		{ ".spans-1700000000000-41-0.jsonl", 0 },
		{ "spans-.jsonl", 0 },
		{ "spans-1-2-3.json", 0 },
		{ "spans-1-2-3.jsonl.tmp", 0 },
		{ "spans-1-2-3.jsonl.reason", 0 },
		{ "spans-1-2-3.JSONL", 0 },
		{ "span-1-2-3.jsonl", 0 },
		{ "xspans-1-2-3.jsonl", 0 },
		{ "spans-1/2-3.jsonl", 0 },
		{ "sent/spans-1-2-3.jsonl", 0 },
		{ "spans-../x.jsonl", 0 },
		{ "offsets", 0 },
		{ "", 0 },
		{ "feedback-1-2-3.jsonl", 2 },
		{ ".feedback-1-2-3.jsonl", 0 },
		{ "feedback-.jsonl", 0 },
		{ "feedbackx-1.jsonl", 0 },
		{ "feedback-1/2.jsonl", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		/* valid: 0 none, 1 spans, 2 feedback */
		if ((int)spoolfmt_segment_kind(cases[i].name) !=
		    cases[i].valid - 1)
			fail_msg("spoolfmt_segment_kind(\"%s\") != %d",
			    cases[i].name, cases[i].valid - 1);
}

static void
test_line_kind(void **state)
{
	(void)state;
	assert_int_equal(spoolfmt_line_kind("{\"resourceSpans\":[]}", 20),
	    SPOOLFMT_KIND_SPANS);
	assert_int_equal(spoolfmt_line_kind(" { \"resourceSpans\":[]}", 22),
	    SPOOLFMT_KIND_SPANS);
	assert_int_equal(spoolfmt_line_kind("{\"resource\":1}", 14),
	    SPOOLFMT_KIND_NONE);
	assert_int_equal(spoolfmt_line_kind("[]", 2), SPOOLFMT_KIND_NONE);
	assert_int_equal(spoolfmt_line_kind("", 0), SPOOLFMT_KIND_NONE);
	assert_int_equal(spoolfmt_line_kind("{\"resourceSp", 12),
	    SPOOLFMT_KIND_NONE);
	assert_int_equal(spoolfmt_line_kind("{\"resource_spans\" :[]}", 22),
	    SPOOLFMT_KIND_SPANS);
	/* The key, not a longer one that starts like it, nor a value. */
	assert_int_equal(spoolfmt_line_kind("{\"resourceSpansX\":[]}", 21),
	    SPOOLFMT_KIND_NONE);
	assert_int_equal(spoolfmt_line_kind("{\"resourceSpans\"}", 17),
	    SPOOLFMT_KIND_NONE);
	assert_int_equal(spoolfmt_line_kind("{}", 2), SPOOLFMT_KIND_NONE);
	assert_int_equal(spoolfmt_line_kind("{\"feedback\":{}}", 15),
	    SPOOLFMT_KIND_FEEDBACK);
	assert_int_equal(spoolfmt_line_kind("{\"feedbacks\":{}}", 16),
	    SPOOLFMT_KIND_NONE);
	assert_int_equal(spoolfmt_line_kind("{\"a\":1,\"resourceSpans\":[]}",
	    26), SPOOLFMT_KIND_NONE);
}

static void
test_envelope(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(spoolfmt_begin(&b), 0);
	assert_int_equal(spoolfmt_group_begin(&b, 1, "{\"r\":1}", 7, NULL, 0),
	    0);
	assert_int_equal(buf_append(&b, "{\"a\":1},{\"b\":2}", 15), 0);
	assert_int_equal(spoolfmt_group_end(&b), 0);
	assert_int_equal(spoolfmt_group_begin(&b, 0, NULL, 0, "{\"s\":2}", 7),
	    0);
	assert_int_equal(buf_append(&b, "{\"c\":3}", 7), 0);
	assert_int_equal(spoolfmt_group_end(&b), 0);
	assert_int_equal(spoolfmt_end(&b), 0);
	assert_string_equal(b.data, "{\"resourceSpans\":["
	    "{\"resource\":{\"r\":1},\"scopeSpans\":[{\"scope\":{},"
	    "\"spans\":[{\"a\":1},{\"b\":2}]}]},"
	    "{\"resource\":{},\"scopeSpans\":[{\"scope\":{\"s\":2},"
	    "\"spans\":[{\"c\":3}]}]}]}\n");
	assert_int_equal(spoolfmt_line_kind(b.data, b.len - 1),
	    SPOOLFMT_KIND_SPANS);
	buf_cleanup(&b);

	buf_init(&b, 20);
	assert_int_equal(spoolfmt_begin(&b), 0);
	assert_int_equal(spoolfmt_group_begin(&b, 1, NULL, 0, NULL, 0), -1);
	buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_names),
		cmocka_unit_test(test_is_segment_table),
		cmocka_unit_test(test_line_kind),
		cmocka_unit_test(test_envelope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
