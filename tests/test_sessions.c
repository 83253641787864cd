/* test_sessions.c - Phoenix's Sessions view from spool spans: turns, first
 * input and last output by start time, tokens, errors, votes, the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "sessions.h"

#define T0	1764000000000000000ULL	/* 2025-11-24T16:00:00Z */
#define MS	1000000ULL
#define SEC	1000000000ULL

struct fx {
	struct sessions	*ss;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx->ss = sessions_new();
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	sessions_free(fx->ss);
	free(fx);
	return 0;
}

static struct spanscan_str
str(const char *s)
{
	return (struct spanscan_str){ s, s == NULL ? 0 : strlen(s) };
}

/* A chat_turn root span of trace in session. */
static void
root(struct spanscan_span *s, const char *session, const char *trace,
    uint64_t start, uint64_t end, const char *in, const char *out)
{
	memset(s, 0, sizeof(*s));
	s->tokens_prompt = s->tokens_completion = s->tokens_total = -1;
	s->trace_id = str(trace);
	s->span_id = str("00000000000000a1");
	s->name = str("chat_turn");
	s->kind = 2;
	s->oi_kind = str("AGENT");
	s->start_ns = start;
	s->end_ns = end;
	s->status_code = 1;
	s->session_id = str(session);
	s->input = str(in);
	s->output = str(out);
}

/* Its completion child with token counts (-1: absent). */
static void
llm(struct spanscan_span *s, const char *session, const char *trace,
    uint64_t start, int64_t prompt, int64_t compl, int64_t total)
{
	root(s, session, trace, start, start + 10 * MS, "[{\"role\":\"user\"}]",
	    "child output");
	s->span_id = str("00000000000000a2");
	s->parent_span_id = str("00000000000000a1");
	s->name = str("completion");
	s->kind = 3;
	s->oi_kind = str("LLM");
	s->have_tokens = prompt >= 0 || compl >= 0 || total >= 0;
	s->tokens_prompt = prompt;
	s->tokens_completion = compl;
	s->tokens_total = total;
}

static struct sessions_row
row_of(const struct sessions *ss, const char *id)
{
	struct sessions_row r;

	if (sessions_get(ss, id, &r) == -1)
		fail_msg("no session %s", id);
	return r;
}

static char *
table_of(const struct sessions *ss, const struct tailview_opts *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	sessions_print(fp, ss, o);
	assert_int_equal(fclose(fp), 0);
	return text;
}

static struct tailview_opts
opts(int color, int width)
{
	struct tailview_opts o;

	tailview_opts_init(&o);
	o.color = color;
	o.width = width;
	o.utc = 1;
	return o;
}

static void
test_turns(void **state)
{
	struct fx *fx = *state;
	struct spanscan_span s;
	const char *tr[] = { "11111111111111111111111111111111",
	    "22222222222222222222222222222222",
	    "33333333333333333333333333333333" };

	for (int i = 0; i < 3; i++) {
		root(&s, "sess-a", tr[i], T0 + (uint64_t)i * SEC,
		    T0 + (uint64_t)i * SEC + MS, "q", "a");
		sessions_add(fx->ss, &s);
		llm(&s, "sess-a", tr[i], T0 + (uint64_t)i * SEC, 1, 1, 2);
		sessions_add(fx->ss, &s);
	}
	/* The same root again (a second copy in the spool): still 3. */
	root(&s, "sess-a", tr[1], T0 + SEC, T0 + SEC + MS, "q", "a");
	sessions_add(fx->ss, &s);
	/* A trace whose root is not in the spool is not a turn. */
	llm(&s, "sess-a", "44444444444444444444444444444444", T0 + 5 * SEC,
	    1, 1, 2);
	sessions_add(fx->ss, &s);
	/* A trace id that is not 32 hex digits still counts, once. */
	root(&s, "sess-a", "not-hex", T0 + 6 * SEC, T0 + 6 * SEC, "q", "a");
	sessions_add(fx->ss, &s);
	sessions_add(fx->ss, &s);
	assert_int_equal(sessions_count(fx->ss), 1);
	assert_int_equal(row_of(fx->ss, "sess-a").turns, 4);
	/* The same trace's root in another session counts where it was
	 * first seen. */
	root(&s, "sess-b", tr[0], T0, T0 + MS, "q", "a");
	sessions_add(fx->ss, &s);
	assert_int_equal(row_of(fx->ss, "sess-b").turns, 0);
	assert_int_equal(sessions_count(fx->ss), 2);
}

static void
test_first_last_by_start(void **state)
{
	struct fx *fx = *state;
	struct sessions_row r;
	struct spanscan_span s;

	/* Given out of order: 300, 100, 200 ms. */
	root(&s, "sess-a", "33333333333333333333333333333333", T0 + 300 * MS,
	    T0 + 350 * MS, "third question", "third answer");
	sessions_add(fx->ss, &s);
	root(&s, "sess-a", "11111111111111111111111111111111", T0 + 100 * MS,
	    T0 + 900 * MS, "first question", "first answer");
	sessions_add(fx->ss, &s);
	root(&s, "sess-a", "22222222222222222222222222222222", T0 + 200 * MS,
	    T0 + 250 * MS, "second question", "second answer");
	sessions_add(fx->ss, &s);
	/* A child that starts earliest is no root: no effect on the texts. */
	llm(&s, "sess-a", "11111111111111111111111111111111", T0 + 50 * MS,
	    -1, -1, -1);
	s.input = str("child input");
	sessions_add(fx->ss, &s);
	r = row_of(fx->ss, "sess-a");
	assert_string_equal(r.first_input, "first question");
	assert_string_equal(r.last_output, "third answer");
	assert_true(r.first_seen_ns == T0 + 50 * MS);
	/* Last activity: the latest end, not the latest start. */
	assert_true(r.last_activity_ns == T0 + 900 * MS);
	assert_int_equal(r.turns, 3);
}

static void
test_text_decoded_and_bounded(void **state)
{
	struct fx *fx = *state;
	struct sessions_row r;
	struct spanscan_span s;
	char big[4000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	root(&s, "sess-\\u00e9", "11111111111111111111111111111111", T0,
	    T0 + MS, "line one\\nline two", big);
	sessions_add(fx->ss, &s);
	r = row_of(fx->ss, "sess-é");
	assert_string_equal(r.first_input, "line one line two");
	assert_true(strlen(r.last_output) < SESSIONS_TEXT_MAX);
	assert_non_null(strstr(r.last_output, "…"));
	assert_int_equal(sessions_get(fx->ss, "sess-\\u00e9", &r), -1);
}

static void
test_tokens(void **state)
{
	struct fx *fx = *state;
	struct spanscan_span s;
	const char *tr = "11111111111111111111111111111111";

	llm(&s, "sess-a", tr, T0, 10, 20, 30);
	sessions_add(fx->ss, &s);
	llm(&s, "sess-a", tr, T0, 10, 5, -1);	/* total absent */
	sessions_add(fx->ss, &s);
	llm(&s, "sess-a", tr, T0, 7, -1, -1);	/* only the prompt */
	sessions_add(fx->ss, &s);
	llm(&s, "sess-a", tr, T0, 100, 100, 50);	/* the total wins */
	sessions_add(fx->ss, &s);
	llm(&s, "sess-a", tr, T0, -1, -1, -1);	/* no counts at all */
	sessions_add(fx->ss, &s);
	/* Counts on a span that is not LLM are not Phoenix's tokens. */
	llm(&s, "sess-a", tr, T0, 1000, 1000, 2000);
	s.oi_kind = str("CHAIN");
	sessions_add(fx->ss, &s);
	llm(&s, "sess-a", tr, T0, 1000, 1000, 2000);
	s.oi_kind = str(NULL);
	sessions_add(fx->ss, &s);
	assert_int_equal(row_of(fx->ss, "sess-a").tokens, 30 + 15 + 7 + 50);
}

static void
test_errors_and_ignored(void **state)
{
	struct fx *fx = *state;
	struct spanscan_span s;
	const char *tr = "11111111111111111111111111111111";

	root(&s, "sess-a", tr, T0, T0 + MS, "q", NULL);
	s.status_code = 2;
	sessions_add(fx->ss, &s);
	llm(&s, "sess-a", tr, T0, 1, 1, 2);
	s.status_code = 2;
	sessions_add(fx->ss, &s);
	llm(&s, "sess-a", tr, T0, 1, 1, 2);
	s.status_code = 0;	/* unset is no error */
	sessions_add(fx->ss, &s);
	assert_int_equal(row_of(fx->ss, "sess-a").errors, 2);
	assert_string_equal(row_of(fx->ss, "sess-a").last_output, "");

	/* No session.id, or an empty one: ignored, errors and all. */
	root(&s, NULL, tr, T0, T0 + 10 * SEC, "q", "a");
	s.status_code = 2;
	sessions_add(fx->ss, &s);
	root(&s, "", tr, T0, T0 + 10 * SEC, "q", "a");
	sessions_add(fx->ss, &s);
	assert_int_equal(sessions_count(fx->ss), 1);
	assert_int_equal(row_of(fx->ss, "sess-a").errors, 2);
	assert_true(row_of(fx->ss, "sess-a").last_activity_ns ==
	    T0 + 10 * MS);
	assert_int_equal(sessions_get(fx->ss, "", &(struct sessions_row){ 0 }),
	    -1);
	assert_int_equal(sessions_count(NULL), 0);
}

static void
test_many(void **state)
{
	struct fx *fx = *state;
	char id[32], tr[33];
	struct spanscan_span s;
	struct sessions_row r;
#ifndef __SANITIZE_ADDRESS__
	struct mallinfo2 before = mallinfo2(), after;
#endif

	/* 200k sessions, 5 spans each: a million spans. */
	for (unsigned i = 0; i < 200000; i++) {
		snprintf(id, sizeof(id), "session-%06u", i);
		for (unsigned t = 0; t < 2; t++) {
			snprintf(tr, sizeof(tr), "%024x%08x", i, t);
			root(&s, id, tr, T0 + (i * 2 + t) * MS,
			    T0 + (i * 2 + t + 1) * MS, "a question about "
			    "pancakes and how long to rest the batter",
			    "an answer of a reasonable length, as the model "
			    "gives them, with some detail about the batter");
			sessions_add(fx->ss, &s);
			llm(&s, id, tr, T0 + (i * 2 + t) * MS, 100, 20, -1);
			sessions_add(fx->ss, &s);
		}
		llm(&s, id, tr, T0, -1, -1, -1);
		s.status_code = i % 7 == 0 ? 2 : 1;
		sessions_add(fx->ss, &s);
	}
	assert_int_equal(sessions_count(fx->ss), 200000);
	r = row_of(fx->ss, "session-123456");
	assert_int_equal(r.turns, 2);
	assert_int_equal(r.tokens, 240);
	assert_int_equal(r.errors, 123456 % 7 == 0);
	assert_true(r.last_activity_ns == T0 + (123456 * 2 + 1 + 10) * MS);
	r = row_of(fx->ss, "session-000007");
	assert_int_equal(r.errors, 1);
	assert_int_equal(sessions_get(fx->ss, "session-200000", &r), -1);
#ifndef __SANITIZE_ADDRESS__
	/* O(sessions + traces): well under 200 MB for 1M spans. */
	after = mallinfo2();
	assert_true(after.uordblks - before.uordblks < 200u * 1024 * 1024);
	assert_true((after.uordblks - before.uordblks) / 200000 < 1024);
#endif
}

static void
add_session(struct sessions *ss, const char *id, uint64_t end,
    const char *in, const char *out)
{
	struct spanscan_span s;
	char tr[33];

	snprintf(tr, sizeof(tr), "%032llx", (unsigned long long)end);
	root(&s, id, tr, end - 2 * SEC, end, in, out);
	sessions_add(ss, &s);
	llm(&s, id, tr, end - SEC, 1000, 234, -1);
	sessions_add(ss, &s);
}

static void
test_print_sorted(void **state)
{
	struct fx *fx = *state;
	struct tailview_opts o = opts(0, 100);
	char *text, *a, *b, *c;

	add_session(fx->ss, "sess-middle", T0 + 60 * SEC, "hello", "hi there");
	add_session(fx->ss, "sess-newest", T0 + 3600 * SEC, "pancakes?",
	    "Mix flour, eggs and milk, then rest the batter for ten minutes.");
	add_session(fx->ss, "sess-oldest", T0, "first", "reply");
	text = table_of(fx->ss, &o);
	/* The header, then oldest to newest: the newest at the bottom. */
	assert_int_equal(strncmp(text, "SESSION     TURNS FIRST INPUT", 29), 0);
	a = strstr(text, "sess-oldest");
	b = strstr(text, "sess-middle");
	c = strstr(text, "sess-newest");
	assert_non_null(a);
	assert_true(a < b && b < c);
	assert_string_equal(strchr(text, '\n') + 1,
	    "sess-oldest     1 first                  reply                 "
	    "     1234      0 2025-11-24 16:00:00\n"
	    "sess-middle     1 hello                  hi there              "
	    "     1234      0 2025-11-24 16:01:00\n"
	    "sess-newest     1 pancakes?              Mix flour, eggs and m…"
	    "     1234      0 2025-11-24 17:00:00\n");
	assert_null(strchr(text, '\033'));
	free(text);

	o.color = 1;
	text = table_of(fx->ss, &o);
	assert_non_null(strstr(text, TAILVIEW_CYAN "sess-newest"));
	assert_non_null(strstr(text, TAILVIEW_BOLD "SESSION"));
	free(text);
}

/* Every line fits the width; the text columns take what is left. */
static void
test_print_widths(void **state)
{
	static const int widths[] = { 80, 100, 160, 250, 400 };
	struct fx *fx = *state;
	struct spanscan_span s;
	char *text, *line, *save;

	add_session(fx->ss, "3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f", T0,
	    "a long question about pancakes, waffles and crêpes, and which of "
	    "them takes the least time on a busy Sunday morning with guests",
	    "日本語の答え、とても長い答え、幅を取る文字");
	root(&s, "sess-err", "55555555555555555555555555555555", T0, T0 + SEC,
	    NULL, NULL);
	s.status_code = 2;
	sessions_add(fx->ss, &s);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		struct tailview_opts o = opts(0, widths[i]);
		int n = 0;

		text = table_of(fx->ss, &o);
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save), n++)
			assert_true(tailview_cols(line, strlen(line)) <=
			    widths[i]);
		assert_int_equal(n, 3);
		free(text);
	}
	/* At 100 columns the id is cut to 24; at 400 it is whole. */
	{
		struct tailview_opts o = opts(0, 100);

		text = table_of(fx->ss, &o);
		/* cut in the middle: both ends stay */
		assert_non_null(strstr(text,
		    "\n3f2b8c1e-5d4…a2b3c4d5e6f     1 "));
		free(text);
		o.width = 400;
		text = table_of(fx->ss, &o);
		assert_non_null(strstr(text,
		    "\n3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f     1 a long"));
		/* ... and a text column stops at Phoenix's 101 characters. */
		assert_non_null(strstr(text, "least time on a busy… "));
		assert_null(strstr(text, "guests"));
		free(text);
	}
}

static void
test_print_empty(void **state)
{
	struct fx *fx = *state;
	struct tailview_opts o = opts(0, 100);
	char *text = table_of(fx->ss, &o);

	assert_non_null(strstr(text, "SESSION"));
	assert_null(strchr(strchr(text, '\n') + 1, '\n'));
	free(text);
}

/* A vote on span as the spool has it (feedrec_line's line), into x. */
static void
vote(struct feedidx *x, const char *span, const char *session, int up,
    long long t)
{
	struct feedrec r;
	struct buf b;

	memset(&r, 0, sizeof(r));
	snprintf(r.trace_id, sizeof(r.trace_id), "%032x", 7);
	snprintf(r.span_id, sizeof(r.span_id), "%s", span);
	snprintf(r.session_id, sizeof(r.session_id), "%s", session);
	r.up = up;
	r.time_unix_nano = t;
	feedrec_set_identifier(&r);
	buf_init(&b, 1 << 16);
	assert_int_equal(feedrec_line(&b, &r), 0);
	feedrec_clear(&r);
	assert_int_equal(feedidx_add(x, b.data, b.len - 1, NULL, 0), 1);
	buf_cleanup(&b);
}

/* A root span with its own span id. */
static void
voted_root(struct sessions *ss, const char *session, const char *trace,
    const char *span, uint64_t start)
{
	struct spanscan_span s;

	root(&s, session, trace, start, start + SEC, "q", "a");
	s.span_id = str(span);
	sessions_add(ss, &s);
}

/* The latest vote per span counts once, in the span's session; spans
 * without a vote and votes without a span count nothing. */
static void
test_votes(void **state)
{
	struct fx *fx = *state;
	struct feedidx *x = feedidx_new();
	struct spanscan_span s;

	vote(x, "00000000000000b1", "sess-a", 1, 100);
	vote(x, "00000000000000b1", "sess-a", 0, 200);	/* changed */
	vote(x, "00000000000000b2", "sess-a", 1, 100);
	vote(x, "00000000000000c1", "sess-b", 0, 100);
	vote(x, "00000000000000ff", "sess-b", 1, 100);	/* not in spool */
	sessions_set_votes(fx->ss, x);
	voted_root(fx->ss, "sess-a", "11111111111111111111111111111111",
	    "00000000000000b1", T0);
	/* An at-least-once copy of the voted span. */
	voted_root(fx->ss, "sess-a", "11111111111111111111111111111111",
	    "00000000000000b1", T0);
	llm(&s, "sess-a", "11111111111111111111111111111111", T0, 1, 2, 3);
	sessions_add(fx->ss, &s);
	voted_root(fx->ss, "sess-a", "22222222222222222222222222222222",
	    "00000000000000b2", T0 + SEC);
	voted_root(fx->ss, "sess-b", "33333333333333333333333333333333",
	    "00000000000000c1", T0);
	voted_root(fx->ss, "sess-c", "44444444444444444444444444444444",
	    "00000000000000d1", T0);
	assert_int_equal(row_of(fx->ss, "sess-a").up, 1);
	assert_int_equal(row_of(fx->ss, "sess-a").down, 1);
	assert_int_equal(row_of(fx->ss, "sess-a").turns, 2);
	assert_int_equal(row_of(fx->ss, "sess-b").up, 0);
	assert_int_equal(row_of(fx->ss, "sess-b").down, 1);
	assert_int_equal(row_of(fx->ss, "sess-c").up, 0);
	assert_int_equal(row_of(fx->ss, "sess-c").down, 0);
	sessions_free(fx->ss);
	fx->ss = sessions_new();
	feedidx_free(x);
}

/* With votes the table has a column for each; UP and DOWN in ASCII. */
static void
test_print_votes(void **state)
{
	static const int widths[] = { 80, 100, 160, 400 };
	struct fx *fx = *state;
	struct feedidx *x = feedidx_new();
	struct tailview_opts o = opts(0, 100);
	char *text, *line, *save;

	vote(x, "00000000000000b1", "sess-a", 0, 100);
	vote(x, "00000000000000b2", "sess-a", 1, 100);
	vote(x, "00000000000000b3", "sess-a", 1, 100);
	sessions_set_votes(fx->ss, x);
	voted_root(fx->ss, "sess-a", "11111111111111111111111111111111",
	    "00000000000000b1", T0);
	voted_root(fx->ss, "sess-a", "22222222222222222222222222222222",
	    "00000000000000b2", T0 + SEC);
	voted_root(fx->ss, "sess-a", "33333333333333333333333333333333",
	    "00000000000000b3", T0 + 2 * SEC);
	text = table_of(fx->ss, &o);
	assert_non_null(strstr(text, "TOKENS ERRORS   👍   👎 LAST ACTIVITY\n"));
	assert_non_null(strstr(text, "      0      0    2    1 2025-11-24 "
	    "16:00:03\n"));
	free(text);
	o.ascii = 1;
	text = table_of(fx->ss, &o);
	assert_non_null(strstr(text, "TOKENS ERRORS   UP DOWN LAST ACTIVITY\n"));
	free(text);
	o.color = 1;
	text = table_of(fx->ss, &o);
	assert_non_null(strstr(text, "   " TAILVIEW_GREEN "2" TAILVIEW_RESET));
	assert_non_null(strstr(text, "   " TAILVIEW_RED "1" TAILVIEW_RESET));
	free(text);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		o = opts(0, widths[i]);
		text = table_of(fx->ss, &o);
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			assert_true(tailview_cols(line, strlen(line)) <=
			    widths[i]);
		free(text);
	}
	sessions_free(fx->ss);
	fx->ss = sessions_new();
	feedidx_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_turns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_last_by_start,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_decoded_and_bounded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_and_ignored,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_sorted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_print_widths, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_votes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_votes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_print_empty, setup,
		    teardown),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
