/* test_feedrec.c - the feedback line round trips, and every field's rule
 * refuses what it must (table), the comment's limit counted in
 * characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedrec.h"
#include "spoolfmt.h"

#define TID	"4bf92f3577b34da6a3ce929d0e0e4736"
#define SID	"00f067aa0ba902b7"

static void
fill(struct feedrec *r, int up, const char *comment)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->trace_id, TID, 33);
	memcpy(r->span_id, SID, 17);
	strcpy(r->session_id, "session_1764170000123_ab12cd");
	r->up = up;
	r->comment = comment != NULL ? strdup(comment) : NULL;
	r->time_unix_nano = 1764170000123456789LL;
	feedrec_set_identifier(r);
}

static void
test_round_trip(void **state)
{
	struct feedrec r, back;
	struct buf b;
	char err[128];

	(void)state;
	buf_init(&b, 1 << 20);
	fill(&r, 0, "too salty \"really\"\n\xc3\xa9");
	assert_int_equal(feedrec_line(&b, &r), 0);
	assert_int_equal(b.data[b.len - 1], '\n');
	assert_null(memchr(b.data, '\n', b.len - 1));
	assert_int_equal(spoolfmt_line_kind(b.data, b.len - 1),
	    SPOOLFMT_KIND_FEEDBACK);
	assert_int_equal(feedrec_parse(b.data, b.len - 1, &back, err,
	    sizeof(err)), 0);
	assert_string_equal(back.trace_id, TID);
	assert_string_equal(back.span_id, SID);
	assert_string_equal(back.session_id, r.session_id);
	assert_int_equal(back.up, 0);
	assert_string_equal(back.comment, r.comment);
	assert_string_equal(back.identifier, "fb-" SID);
	assert_true(back.time_unix_nano == r.time_unix_nano);
	assert_string_equal(feedrec_label(back.up), "thumbs_down");
	feedrec_clear(&back);
	feedrec_clear(&r);

	/* Without a comment the key is absent. */
	buf_reset(&b);
	fill(&r, 1, NULL);
	assert_int_equal(feedrec_line(&b, &r), 0);
	assert_null(strstr(b.data, "comment"));
	assert_int_equal(feedrec_parse(b.data, b.len - 1, &back, err,
	    sizeof(err)), 0);
	assert_int_equal(back.up, 1);
	assert_null(back.comment);
	feedrec_clear(&back);
	feedrec_clear(&r);

	/* At b's limit nothing whole is claimed. */
	buf_cleanup(&b);
	buf_init(&b, 40);
	fill(&r, 1, NULL);
	assert_int_equal(feedrec_line(&b, &r), -1);
	feedrec_clear(&r);
	buf_cleanup(&b);
}

static void
test_comment_limit(void **state)
{
	struct feedrec r, back;
	struct buf b;
	char err[128], *c;
	size_t i;

	(void)state;
	/* 2,000 two-byte characters: 4,000 bytes, within the limit. */
	c = malloc(2 * (FEEDREC_COMMENT_MAX + 1) + 1);
	for (i = 0; i < FEEDREC_COMMENT_MAX; i++)
		memcpy(c + 2 * i, "\xc3\xa9", 2);
	c[2 * i] = '\0';
	buf_init(&b, 1 << 20);
	fill(&r, 1, c);
	assert_int_equal(feedrec_line(&b, &r), 0);
	assert_int_equal(feedrec_parse(b.data, b.len - 1, &back, err,
	    sizeof(err)), 0);
	feedrec_clear(&back);
	feedrec_clear(&r);
	/* One more is too many. */
	memcpy(c + 2 * i, "\xc3\xa9", 3);
	buf_reset(&b);
	fill(&r, 1, c);
	assert_int_equal(feedrec_line(&b, &r), 0);
	assert_int_equal(feedrec_parse(b.data, b.len - 1, &back, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "comment"));
	assert_null(back.comment);
	feedrec_clear(&r);
	buf_cleanup(&b);
	free(c);
}

#define F(rest)	"{\"feedback\":{\"traceId\":\"" TID "\",\"spanId\":\"" SID \
	"\",\"sessionId\":\"s1\"," rest "}}"
#define OKTAIL	"\"identifier\":\"fb-" SID "\",\"timeUnixNano\":\"5\""

static void
test_parse_table(void **state)
{
	static const struct {
		const char	*line;
		const char	*err;	/* NULL: taken */
	} cases[] = {
		{ F("\"label\":\"thumbs_up\",\"score\":1," OKTAIL), NULL },
		{ F("\"label\":\"thumbs_down\",\"score\":0," OKTAIL), NULL },
		{ F("\"label\":\"thumbs_down\",\"score\":0,\"comment\":null,"
		    "\"x\":[1]," OKTAIL), NULL },
		{ F("\"label\":\"thumbs_up\",\"score\":0," OKTAIL), "score" },
		{ F("\"label\":\"thumbs_up\",\"score\":\"1\"," OKTAIL), "score" },
		{ F("\"label\":\"up\",\"score\":1," OKTAIL), "label" },
		{ F("\"score\":1," OKTAIL), "label" },
		{ F("\"label\":\"thumbs_up\",\"score\":1,\"comment\":3,"
		    OKTAIL), "comment" },
		{ F("\"label\":\"thumbs_up\",\"score\":1,"
		    "\"identifier\":\"fb-0\",\"timeUnixNano\":\"5\""),
		    "identifier" },
		{ F("\"label\":\"thumbs_up\",\"score\":1,"
		    "\"identifier\":\"fb-" SID "\",\"timeUnixNano\":5"),
		    "timeUnixNano" },
		{ F("\"label\":\"thumbs_up\",\"score\":1,"
		    "\"identifier\":\"fb-" SID "\",\"timeUnixNano\":\"05\""),
		    "timeUnixNano" },
		{ "{\"feedback\":{\"traceId\":\"" TID "\",\"spanId\":"
		    "\"00F067AA0BA902B7\",\"sessionId\":\"s1\",\"label\":"
		    "\"thumbs_up\",\"score\":1," OKTAIL "}}", "spanId" },
		{ "{\"feedback\":{\"traceId\":\"00000000000000000000000000000000"
		    "\",\"spanId\":\"" SID "\",\"sessionId\":\"s1\",\"label\":"
		    "\"thumbs_up\",\"score\":1," OKTAIL "}}", "traceId" },
		{ "{\"feedback\":{\"traceId\":\"" TID "\",\"spanId\":\"" SID
		    "\",\"sessionId\":\"a b\",\"label\":\"thumbs_up\","
		    "\"score\":1," OKTAIL "}}", "sessionId" },
		{ "{\"feedback\":[]}", "object" },
		{ "{\"feedback\":{}} x", "not JSON" },
		{ "{\"resourceSpans\":[]}", "not a feedback line" },
		{ "{\"feedback\":{\"traceId\":\"" TID "\",\"spanId\":\"" SID
		    "\",\"sessionId\":\"s\\u0000\",\"label\":\"thumbs_up\","
		    "\"score\":1," OKTAIL "}}", "sessionId" },
	};
	struct feedrec r;
	char err[128];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		rc = feedrec_parse(cases[i].line, strlen(cases[i].line), &r,
		    err, sizeof(err));
		if (cases[i].err == NULL && rc != 0)
			fail_msg("case %zu refused: %s", i, err);
		if (cases[i].err != NULL && (rc != -1 ||
		    strstr(err, cases[i].err) == NULL))
			fail_msg("case %zu: rc %d, err \"%s\", want \"%s\"",
			    i, rc, err, cases[i].err);
		feedrec_clear(&r);
	}
}

static void
test_labels(void **state)
{
	(void)state;
	assert_int_equal(feedrec_label_parse("thumbs_up"), 1);
	assert_int_equal(feedrec_label_parse("thumbs_down"), 0);
	assert_int_equal(feedrec_label_parse("Thumbs_up"), -1);
	assert_int_equal(feedrec_label_parse(NULL), -1);
	assert_string_equal(feedrec_label(1), "thumbs_up");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_comment_limit),
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
