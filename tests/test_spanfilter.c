/* test_spanfilter.c - spool-tail's filters, alone and combined. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "spanfilter.h"

#define T0	1764000000000000000ULL
#define TRACE_A	"4bf92f3577b34da6a3ce929d0e0e4736"

static struct spanscan_str
str(const char *s)
{
	return (struct spanscan_str){ s, s == NULL ? 0 : strlen(s) };
}

static struct spanscan_span
llm_span(void)
{
	struct spanscan_span s;

	memset(&s, 0, sizeof(s));
	s.trace_id = str(TRACE_A);
	s.kind = 3;			/* CLIENT */
	s.oi_kind = str("LLM");
	s.session_id = str("sess-1");
	s.end_ns = T0;
	s.status_code = 1;
	return s;
}

static void
test_empty_passes_all(void **state)
{
	struct spanfilter f = { 0 };
	struct spanscan_span s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_true(spanfilter_match(&f, &s));
	s = llm_span();
	assert_true(spanfilter_match(&f, &s));
}

static void
test_session(void **state)
{
	struct spanfilter f = { .session = "sess-1" };
	struct spanscan_span s = llm_span();

	(void)state;
	assert_true(spanfilter_match(&f, &s));
	f.session = "sess-10";
	assert_false(spanfilter_match(&f, &s));
	f.session = "sess-";		/* exactly, not a prefix */
	assert_false(spanfilter_match(&f, &s));
	f.session = "SESS-1";		/* and in its case */
	assert_false(spanfilter_match(&f, &s));
	s.session_id = str(NULL);
	f.session = "sess-1";
	assert_false(spanfilter_match(&f, &s));
}

static void
test_trace(void **state)
{
	struct spanfilter f = { .trace = "4bf92f35" };
	struct spanscan_span s = llm_span();

	(void)state;
	assert_true(spanfilter_match(&f, &s));
	f.trace = "4BF92F35";		/* any case */
	assert_true(spanfilter_match(&f, &s));
	f.trace = TRACE_A;
	assert_true(spanfilter_match(&f, &s));
	f.trace = TRACE_A "0";		/* longer than the id */
	assert_false(spanfilter_match(&f, &s));
	f.trace = "bf92";		/* a prefix, not a substring */
	assert_false(spanfilter_match(&f, &s));
	s.trace_id = str(NULL);
	f.trace = "4b";
	assert_false(spanfilter_match(&f, &s));
}

static void
test_kind(void **state)
{
	struct spanfilter f = { .kind = "LLM" };
	struct spanscan_span s = llm_span();

	(void)state;
	assert_true(spanfilter_match(&f, &s));
	f.kind = "llm";
	assert_true(spanfilter_match(&f, &s));
	f.kind = "client";		/* the OTel kind counts too */
	assert_true(spanfilter_match(&f, &s));
	f.kind = "LL";
	assert_false(spanfilter_match(&f, &s));
	f.kind = "AGENT";
	assert_false(spanfilter_match(&f, &s));
	s.oi_kind = str(NULL);
	f.kind = "CLIENT";
	assert_true(spanfilter_match(&f, &s));
	s.kind = 0;
	f.kind = "unspecified";
	assert_true(spanfilter_match(&f, &s));
}

static void
test_errors_and_since(void **state)
{
	struct spanfilter f = { .errors = 1 };
	struct spanscan_span s = llm_span();

	(void)state;
	assert_false(spanfilter_match(&f, &s));
	s.status_code = 2;
	assert_true(spanfilter_match(&f, &s));
	f.errors = 0;
	f.since_ns = T0;		/* ended at that moment: kept */
	assert_true(spanfilter_match(&f, &s));
	f.since_ns = T0 + 1;
	assert_false(spanfilter_match(&f, &s));
}

static void
test_combined(void **state)
{
	struct spanfilter f = { .session = "sess-1", .trace = "4bf9",
	    .kind = "llm", .errors = 1, .since_ns = T0 - 1 };
	struct spanscan_span s = llm_span();

	(void)state;
	s.status_code = 2;
	assert_true(spanfilter_match(&f, &s));
	/* Each condition alone can refuse. */
	s.session_id = str("other");
	assert_false(spanfilter_match(&f, &s));
	s = llm_span();
	assert_false(spanfilter_match(&f, &s));	/* not an error */
	s.status_code = 2;
	s.end_ns = T0 - 2;
	assert_false(spanfilter_match(&f, &s));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_passes_all),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_errors_and_since),
		cmocka_unit_test(test_combined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
