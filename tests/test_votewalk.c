/* test_votewalk.c - the viewers' votes: every vote at open, new ones on a
 * poll handed out as the latest on their span, bad lines counted once,
 * and votes polled before spans. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "votewalk.h"
#include "testutil.h"

#define TRACE_A	"4bf92f3577b34da6a3ce929d0e0e4736"
#define SPAN_A	"00f067aa0ba902b7"
#define SPAN_B	"00f067aa0ba902b8"

struct fx {
	char	dir[64];
	char	got[1024];	/* what the callbacks saw, in order */
	int	stop_after;	/* votes handed out before stopping; 0: never */
	int	nvotes;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(testutil_mkdtemp(fx->dir, sizeof(fx->dir),
	    "rc-votewalk"));
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(testutil_rmtree(fx->dir), 0);
	free(fx);
	return 0;
}

/* Append text to the segment of kind with sequence number seq. */
static void
put(struct fx *fx, enum spoolfmt_kind kind, unsigned seq, const char *text)
{
	char name[128], path[256];
	FILE *fp;

	assert_int_equal(spoolfmt_segment_name(name, sizeof(name), kind,
	    1764000000000LL, 42, "0000abcd", seq), 0);
	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	assert_non_null(fp = fopen(path, "a"));
	fputs(text, fp);
	fclose(fp);
}

/* A vote on span_id at t, as /feedback spools it. */
static void
put_vote(struct fx *fx, const char *span_id, int up, long long t)
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
	put(fx, SPOOLFMT_KIND_FEEDBACK, 1, b.data);
	buf_cleanup(&b);
}

static int
on_vote(const struct feedrec *v, void *arg)
{
	struct fx *fx = arg;

	if (v == NULL)
		strcat(fx->got, "bad|");
	else {
		strcat(fx->got, v->span_id);
		strcat(fx->got, v->up ? ":up|" : ":down|");
	}
	fx->nvotes++;
	return fx->stop_after != 0 && fx->nvotes >= fx->stop_after ? -1 : 0;
}

static int
on_span(const char *line, size_t len, void *arg)
{
	struct fx *fx = arg;

	strcat(fx->got, "span:");
	strncat(fx->got, line, len);
	strcat(fx->got, "|");
	return 0;
}

static struct votewalk *
open_walk(struct fx *fx)
{
	char err[256];
	struct votewalk *vw = votewalk_open(fx->dir, err, sizeof(err));

	assert_non_null(vw);
	return vw;
}

static void
test_open_reads_all(void **state)
{
	struct fx *fx = *state;
	struct votewalk *vw;
	const struct feedrec *r;

	put_vote(fx, SPAN_A, 1, 1);
	put_vote(fx, SPAN_A, 0, 2);		/* changed: the latest counts */
	put_vote(fx, SPAN_B, 1, 3);
	put(fx, SPOOLFMT_KIND_FEEDBACK, 1, "{\"feedback\":{}}\n");
	vw = open_walk(fx);
	assert_non_null(r = feedidx_get(votewalk_votes(vw), SPAN_A));
	assert_int_equal(r->up, 0);
	assert_non_null(r = feedidx_get(votewalk_votes(vw), SPAN_B));
	assert_int_equal(r->up, 1);
	assert_true(feedidx_stats(votewalk_votes(vw))->lines == 3);
	/* Bad lines are told once. */
	assert_true(votewalk_new_bad_lines(vw) == 1);
	assert_true(votewalk_new_bad_lines(vw) == 0);
	/* Nothing new: a poll hands out nothing. */
	assert_int_equal(votewalk_poll(vw, on_vote, fx), 0);
	assert_string_equal(fx->got, "");
	votewalk_free(vw);
}

static void
test_poll_hands_out_latest(void **state)
{
	struct fx *fx = *state;
	struct votewalk *vw;

	vw = open_walk(fx);
	put_vote(fx, SPAN_A, 0, 5);
	put_vote(fx, SPAN_A, 1, 4);	/* older: the latest is still down */
	put(fx, SPOOLFMT_KIND_FEEDBACK, 1, "not json\n");
	assert_int_equal(votewalk_poll(vw, on_vote, fx), 0);
	assert_string_equal(fx->got, SPAN_A ":down|" SPAN_A ":down|bad|");
	assert_true(votewalk_new_bad_lines(vw) == 1);
	/* A NULL fn only indexes. */
	put_vote(fx, SPAN_A, 1, 6);
	assert_int_equal(votewalk_poll(vw, NULL, NULL), 0);
	assert_int_equal(feedidx_get(votewalk_votes(vw), SPAN_A)->up, 1);
	votewalk_free(vw);
}

static void
test_votes_before_spans(void **state)
{
	struct fx *fx = *state;
	struct votewalk *vw;
	struct spoolwalk *spans;
	char err[256];

	assert_non_null(spans = spoolwalk_open(fx->dir, SPOOLFMT_KIND_SPANS,
	    err, sizeof(err)));
	vw = open_walk(fx);
	put(fx, SPOOLFMT_KIND_SPANS, 1, "s1\n");
	put_vote(fx, SPAN_B, 0, 1);
	assert_int_equal(votewalk_poll_spans(vw, on_vote, spans, on_span, fx),
	    0);
	assert_string_equal(fx->got, SPAN_B ":down|span:s1|");
	/* A vote callback that stops leaves the spans for the next tick. */
	fx->got[0] = '\0';
	fx->stop_after = fx->nvotes + 1;
	put(fx, SPOOLFMT_KIND_SPANS, 1, "s2\n");
	put_vote(fx, SPAN_A, 1, 2);
	assert_int_equal(votewalk_poll_spans(vw, on_vote, spans, on_span, fx),
	    -1);
	assert_string_equal(fx->got, SPAN_A ":up|");
	fx->stop_after = 0;
	assert_int_equal(votewalk_poll_spans(vw, on_vote, spans, on_span, fx),
	    0);
	assert_string_equal(fx->got, SPAN_A ":up|span:s2|");
	spoolwalk_free(spans);
	votewalk_free(vw);
}

static void
test_open_fails(void **state)
{
	struct fx *fx = *state;
	char dir[128], err[256];

	snprintf(dir, sizeof(dir), "%s/missing", fx->dir);
	err[0] = '\0';
	assert_null(votewalk_open(dir, err, sizeof(err)));
	assert_true(err[0] != '\0');
	votewalk_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_reads_all, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_poll_hands_out_latest,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_votes_before_spans, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_fails, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
