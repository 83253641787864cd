/* test_feedidx.c - the latest vote per span wins, whatever the order the
 * lines come in; bad lines are counted, not taken; the table grows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedidx.h"

/* A feedback line for span number k, voted at time t. */
static char *
line(unsigned k, int up, long long t, const char *comment)
{
	struct feedrec r;
	struct buf b;

	memset(&r, 0, sizeof(r));
	snprintf(r.trace_id, sizeof(r.trace_id), "%032x", k + 1);
	snprintf(r.span_id, sizeof(r.span_id), "%016x", k + 1);
	strcpy(r.session_id, "s1");
	r.up = up;
	r.comment = comment != NULL ? strdup(comment) : NULL;
	r.time_unix_nano = t;
	feedrec_set_identifier(&r);
	buf_init(&b, 1 << 16);
	assert_int_equal(feedrec_line(&b, &r), 0);
	feedrec_clear(&r);
	b.data[--b.len] = '\0';	/* without its '\n' */
	return buf_take(&b);
}

static int
add(struct feedidx *x, char *l)
{
	int rc = feedidx_add(x, l, strlen(l), NULL, 0);

	free(l);
	return rc;
}

static void
test_latest_wins(void **state)
{
	struct feedidx *x = feedidx_new();
	const struct feedrec *r;

	(void)state;
	assert_int_equal(add(x, line(1, 1, 100, NULL)), 1);
	assert_int_equal(add(x, line(1, 0, 200, "too salty")), 1);
	/* An older vote read later (another writer's segment) is ignored. */
	assert_int_equal(add(x, line(1, 1, 150, NULL)), 0);
	assert_non_null(r = feedidx_get(x, "0000000000000002"));
	assert_int_equal(r->up, 0);
	assert_string_equal(r->comment, "too salty");
	assert_null(feedidx_get(x, "0000000000000003"));
	assert_null(feedidx_get(x, "bad"));
	assert_int_equal(feedidx_stats(x)->spans, 1);
	assert_int_equal(feedidx_stats(x)->down, 1);
	assert_int_equal(feedidx_stats(x)->up, 0);
	assert_int_equal(feedidx_stats(x)->lines, 3);
	/* Same time: the later line wins. */
	assert_int_equal(add(x, line(1, 1, 200, NULL)), 1);
	assert_int_equal(feedidx_get(x, "0000000000000002")->up, 1);
	assert_int_equal(feedidx_stats(x)->up, 1);
	assert_int_equal(feedidx_stats(x)->down, 0);
	feedidx_free(x);
}

static void
test_bad_lines(void **state)
{
	struct feedidx *x = feedidx_new();
	char err[128] = "";
	const char *bad = "{\"feedback\":{\"spanId\":\"0000000000000002\"}}";

	(void)state;
	assert_int_equal(feedidx_add(x, bad, strlen(bad), err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "traceId"));
	assert_int_equal(feedidx_add(x, "{}", 2, NULL, 0), -1);
	assert_int_equal(feedidx_stats(x)->bad_lines, 2);
	assert_int_equal(feedidx_stats(x)->spans, 0);
	feedidx_free(x);
	feedidx_free(NULL);
}

static void
test_grows(void **state)
{
	struct feedidx *x = feedidx_new();
	char id[17];
	unsigned k;

	(void)state;
	for (k = 0; k < 5000; k++)
		assert_int_equal(add(x, line(k, k % 3 == 0, 1, NULL)), 1);
	for (k = 0; k < 5000; k++) {
		snprintf(id, sizeof(id), "%016x", k + 1);
		assert_non_null(feedidx_get(x, id));
		assert_int_equal(feedidx_get(x, id)->up, k % 3 == 0);
	}
	assert_int_equal(feedidx_stats(x)->spans, 5000);
	assert_int_equal(feedidx_stats(x)->up, 1667);
	feedidx_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latest_wins),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
