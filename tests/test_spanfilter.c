/* test_spanfilter.c - spool-tail's filters, alone and combined. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
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

/* A vote on span id k (hex), voted at t. */
static void
vote(struct feedidx *x, const char *span_id, int up, long long t)
{
	struct feedrec r;
	struct buf b;

	memset(&r, 0, sizeof(r));
	strcpy(r.trace_id, TRACE_A);
	strcpy(r.span_id, span_id);
	strcpy(r.session_id, "sess-1");
	r.up = up;
	r.time_unix_nano = t;
	feedrec_set_identifier(&r);
	buf_init(&b, 4096);
	assert_int_equal(feedrec_line(&b, &r), 0);
	assert_int_equal(feedidx_add(x, b.data, b.len - 1, NULL, 0), 1);
	buf_cleanup(&b);
}

static void
test_feedback(void **state)
{
	struct feedidx *x = feedidx_new();
	struct spanfilter f = { .feedback = -1, .votes = x };
	struct spanscan_span turn = llm_span(), child = llm_span(),
	    other = llm_span();

	(void)state;
	turn.span_id = str("00f067aa0ba902b7");
	child.span_id = str("00f067aa0ba902b8");
	child.parent_span_id = str("00f067aa0ba902b7");
	other.span_id = str("00f067aa0ba902b9");
	/* No votes yet: a feedback filter lets nothing through. */
	assert_false(spanfilter_match(&f, &turn));
	vote(x, "00f067aa0ba902b7", 0, 1);
	assert_true(spanfilter_match(&f, &turn));
	assert_true(spanfilter_match(&f, &child));	/* the turn's LLM span */
	assert_false(spanfilter_match(&f, &other));
	f.feedback = 1;
	assert_false(spanfilter_match(&f, &turn));
	/* The vote changed: the latest counts. */
	vote(x, "00f067aa0ba902b7", 1, 2);
	assert_true(spanfilter_match(&f, &turn));
	f.votes = NULL;
	assert_false(spanfilter_match(&f, &turn));
	feedidx_free(x);
}

static void
test_vote_wanted(void **state)
{
	struct spanfilter f = { 0 };
	struct feedrec r;

	(void)state;
	memset(&r, 0, sizeof(r));
	strcpy(r.trace_id, TRACE_A);
	strcpy(r.span_id, "00f067aa0ba902b7");
	strcpy(r.session_id, "sess-1");
	r.up = 0;
	/* Without --feedback no vote is wanted for itself. */
	assert_false(spanfilter_vote_wanted(&f, &r));
	f.feedback = -1;
	assert_true(spanfilter_vote_wanted(&f, &r));
	f.feedback = 1;
	assert_false(spanfilter_vote_wanted(&f, &r));
	r.up = 1;
	assert_true(spanfilter_vote_wanted(&f, &r));
	f.session = "sess-2";
	assert_false(spanfilter_vote_wanted(&f, &r));
	f.session = "sess-1";
	f.trace = "4BF92F";		/* a prefix, any case */
	assert_true(spanfilter_vote_wanted(&f, &r));
	f.trace = "4bf93";
	assert_false(spanfilter_vote_wanted(&f, &r));
}

static void
test_option(void **state)
{
	struct spanfilter f = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(spanfilter_option(&f, "session", "s-1", T0, err,
	    sizeof(err)), 0);
	assert_string_equal(f.session, "s-1");
	assert_int_equal(spanfilter_option(&f, "trace", "4bf9", T0, err,
	    sizeof(err)), 0);
	assert_string_equal(f.trace, "4bf9");
	assert_int_equal(spanfilter_option(&f, "kind", "LLM", T0, err,
	    sizeof(err)), 0);
	assert_string_equal(f.kind, "LLM");
	assert_int_equal(spanfilter_option(&f, "errors", NULL, T0, err,
	    sizeof(err)), 0);
	assert_int_equal(f.errors, 1);
	assert_int_equal(spanfilter_option(&f, "feedback", "up", T0, err,
	    sizeof(err)), 0);
	assert_int_equal(f.feedback, 1);
	assert_int_equal(spanfilter_option(&f, "feedback", "down", T0, err,
	    sizeof(err)), 0);
	assert_int_equal(f.feedback, -1);
	assert_int_equal(spanfilter_option(&f, "since", "10m", T0, err,
	    sizeof(err)), 0);
	assert_true(f.since_ns == T0 - 600ULL * 1000000000ULL);

	assert_int_equal(spanfilter_option(&f, "feedback", "sideways", T0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "'sideways' is neither up nor down");
	assert_int_equal(spanfilter_option(&f, "since", "soon", T0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "'soon' is neither a duration (10m, 2h, 1d) "
	    "nor a time (2026-11-24T10:00:00Z)");
	assert_true(f.since_ns == T0 - 600ULL * 1000000000ULL);
	assert_int_equal(spanfilter_option(&f, "limit", "3", T0, err,
	    sizeof(err)), -1);
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
		cmocka_unit_test(test_feedback),
		cmocka_unit_test(test_combined),
		cmocka_unit_test(test_vote_wanted),
		cmocka_unit_test(test_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
