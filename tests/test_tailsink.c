/* test_tailsink.c - spool-tail's views fed by line: the newest N of the
 * history then live lines, late votes, --json, trees and sessions, and
 * bad lines counted once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tailsink.h"

#define TRACE	"4bf92f3577b34da6a3ce929d0e0e47%02x"
#define T0	1764000000000000000ULL

static char linebuf[4096];

/* A spool line with one chat_turn span k of session sess, ended at T0+k s. */
static const char *
turn(unsigned k, const char *sess)
{
	unsigned long long end = T0 + k * 1000000000ULL;

	snprintf(linebuf, sizeof(linebuf), "{\"resourceSpans\":[{\"resource\":"
	    "{\"attributes\":[]},\"scopeSpans\":[{\"scope\":{\"name\":\"t\"},"
	    "\"spans\":[{\"traceId\":\"" TRACE "\",\"spanId\":"
	    "\"00000000000000%02x\",\"name\":\"chat_turn\",\"kind\":2,"
	    "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\","
	    "\"status\":{\"code\":1},\"attributes\":[{\"key\":\"session.id\","
	    "\"value\":{\"stringValue\":\"%s\"}},{\"key\":"
	    "\"openinference.span.kind\",\"value\":{\"stringValue\":"
	    "\"AGENT\"}}]}]}]}]}", k, k, end - 1000000, end, sess);
	return linebuf;
}

static int
feed(struct tailsink *ts, const char *line)
{
	return tailsink_line(line, strlen(line), ts);
}

struct out {
	char	*text;
	size_t	 len;
	FILE	*fp;
};

static void
out_open(struct out *o)
{
	memset(o, 0, sizeof(*o));
	assert_non_null(o->fp = open_memstream(&o->text, &o->len));
}

/* What was written so far. */
static const char *
out_text(struct out *o)
{
	fflush(o->fp);
	return o->text;
}

static void
out_close(struct out *o)
{
	fclose(o->fp);
	free(o->text);
}

static struct tailview_opts
plain(void)
{
	struct tailview_opts o;

	tailview_opts_init(&o);
	o.ascii = 1;
	return o;
}

static void
vote(struct feedrec *r, unsigned k, int up)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->trace_id, sizeof(r->trace_id), TRACE, k);
	snprintf(r->span_id, sizeof(r->span_id), "00000000000000%02x", k);
	strcpy(r->session_id, "sess-1");
	r->up = up;
	r->time_unix_nano = 1;
	feedrec_set_identifier(r);
}

static int
count(const char *text, const char *needle)
{
	int n = 0;

	while ((text = strstr(text, needle)) != NULL) {
		n++;
		text++;
	}
	return n;
}

static void
test_lines_history_then_live(void **state)
{
	struct spanfilter f = { 0 };
	struct tailview_opts o = plain();
	struct out out;
	struct tailsink *ts;

	(void)state;
	out_open(&out);
	ts = tailsink_new(TAILSINK_LINES, 1, &f, &o, out.fp);
	assert_int_equal(feed(ts, turn(1, "sess-old")), 0);
	assert_int_equal(feed(ts, turn(2, "sess-new")), 0);
	assert_int_equal(feed(ts, "{\"resourceSpans\":[{"), -1);
	assert_string_equal(out_text(&out), "");	/* history is held */
	assert_true(tailsink_new_bad_lines(ts) == 1);
	assert_true(tailsink_new_bad_lines(ts) == 0);
	tailsink_history_end(ts);
	/* Only the newest of the history (-n 1). */
	assert_int_equal(count(out_text(&out), "chat_turn"), 1);
	assert_int_equal(count(out.text, "sess-new"), 1);
	assert_int_equal(count(out.text, "sess-old"), 0);
	/* Live: each line at once. */
	assert_int_equal(feed(ts, turn(3, "sess-live")), 0);
	assert_int_equal(count(out_text(&out), "chat_turn"), 2);
	assert_int_equal(count(out.text, "sess-live"), 1);
	tailsink_free(ts);
	out_close(&out);
}

static void
test_late_votes(void **state)
{
	struct spanfilter f = { 0 };
	struct tailview_opts o = plain();
	struct out out;
	struct tailsink *ts;
	struct feedrec r;
	size_t n;

	(void)state;
	out_open(&out);
	ts = tailsink_new(TAILSINK_LINES, 10, &f, &o, out.fp);
	tailsink_history_end(ts);
	assert_int_equal(feed(ts, turn(3, "sess-1")), 0);
	n = strlen(out_text(&out));
	assert_true(n > 0);
	/* A vote on a turn shown gets its line; one on a turn not shown, a
	 * NULL (unreadable) one, nothing. */
	vote(&r, 3, 0);
	tailsink_vote(ts, &r);
	assert_non_null(strstr(out_text(&out) + n, "VOTE"));
	assert_non_null(strstr(out.text + n, "-1"));
	n = strlen(out.text);
	vote(&r, 4, 0);
	tailsink_vote(ts, &r);
	tailsink_vote(ts, NULL);
	assert_int_equal(strlen(out_text(&out)), n);
	/* ... unless --feedback asks for that vote. */
	f.feedback = -1;
	tailsink_vote(ts, &r);
	assert_true(strlen(out_text(&out)) > n);
	tailsink_free(ts);
	out_close(&out);
}

static void
test_json(void **state)
{
	struct spanfilter f = { .session = "sess-2" };
	struct tailview_opts o = plain();
	struct out out;
	struct tailsink *ts;
	struct feedrec r;

	(void)state;
	out_open(&out);
	ts = tailsink_new(TAILSINK_JSON, 10, &f, &o, out.fp);
	assert_int_equal(feed(ts, turn(1, "sess-1")), 0);	/* filtered */
	assert_string_equal(out_text(&out), "");
	assert_int_equal(feed(ts, turn(2, "sess-2")), 0);
	assert_non_null(strstr(out_text(&out), "\"spanId\":"
	    "\"0000000000000002\""));
	assert_non_null(strstr(out.text, "resourceSpans"));
	tailsink_history_end(ts);	/* nothing held back */
	vote(&r, 2, 1);
	f.feedback = 1;
	tailsink_vote(ts, &r);		/* votes are lines' only */
	assert_null(strstr(out_text(&out), "VOTE"));
	tailsink_free(ts);
	out_close(&out);
}

static void
test_tree_and_sessions(void **state)
{
	struct spanfilter f = { 0 };
	struct tailview_opts o = plain();
	struct out out;
	struct tailsink *ts;

	(void)state;
	out_open(&out);
	ts = tailsink_new(TAILSINK_TREE, 10, &f, &o, out.fp);
	assert_int_equal(feed(ts, turn(1, "sess-1")), 0);
	assert_string_equal(out_text(&out), "");
	tailsink_history_end(ts);
	assert_non_null(strstr(out_text(&out), "4bf92f35"));
	tailsink_free(ts);
	out_close(&out);

	out_open(&out);
	ts = tailsink_new(TAILSINK_SESSIONS, 10, &f, &o, out.fp);
	assert_int_equal(feed(ts, turn(1, "sess-7")), 0);
	assert_int_equal(feed(ts, turn(2, "sess-7")), 0);
	assert_string_equal(out_text(&out), "");
	tailsink_history_end(ts);
	assert_non_null(strstr(out_text(&out), "sess-7"));
	tailsink_free(ts);
	out_close(&out);
	tailsink_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_history_then_live),
		cmocka_unit_test(test_late_votes),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_tree_and_sessions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
