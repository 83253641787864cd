/* test_tailview.c - spool-tail's views: the span line (layout, cuts,
 * colours), durations and times, traces as trees, and votes beside their
 * turns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "tailview.h"

#define T0		1764000000000000000ULL	/* 2025-11-24T16:00:00Z */
#define MS		1000000ULL
#define TRACE_A		"4bf92f3577b34da6a3ce929d0e0e4736"
#define TRACE_B		"0af7651916cd43dd8448eb211c80319c"

static struct spanscan_str
str(const char *s)
{
	return (struct spanscan_str){ s, s == NULL ? 0 : strlen(s) };
}

static void
span_init(struct spanscan_span *s)
{
	memset(s, 0, sizeof(*s));
	s->tokens_prompt = s->tokens_completion = s->tokens_total = -1;
}

/* A chat_turn as the pool writes it: AGENT, root, session, OK. */
static void
chat_turn(struct spanscan_span *s, const char *trace, const char *id,
    uint64_t start, uint64_t end)
{
	span_init(s);
	s->trace_id = str(trace);
	s->span_id = str(id);
	s->name = str("chat_turn");
	s->kind = 2;
	s->oi_kind = str("AGENT");
	s->start_ns = start;
	s->end_ns = end;
	s->status_code = 1;
	s->session_id = str("sess-1");
	s->input = str("How do I make pancakes?");
	s->output = str("Mix flour, eggs and milk.");
}

static void
completion(struct spanscan_span *s, const char *trace, const char *id,
    const char *parent, uint64_t start, uint64_t end)
{
	span_init(s);
	s->trace_id = str(trace);
	s->span_id = str(id);
	s->parent_span_id = str(parent);
	s->name = str("completion");
	s->kind = 3;
	s->oi_kind = str("LLM");
	s->start_ns = start;
	s->end_ns = end;
	s->status_code = 1;
	s->session_id = str("sess-1");
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

/* The line of s; the caller frees. */
static char *
line_of(const struct spanscan_span *s, const struct tailview_opts *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	tailview_line(fp, s, o);
	assert_int_equal(fclose(fp), 0);
	return text;
}

static char *
trees_of(const struct tailview_trees *t, const struct tailview_opts *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	tailview_trees_print(fp, t, o);
	assert_int_equal(fclose(fp), 0);
	return text;
}

/* Columns of a line without its '\n' and without escape sequences. */
static int
visible_cols(const char *line)
{
	char plain[8192];
	size_t n = 0;

	for (const char *p = line; *p && *p != '\n' && n < sizeof(plain) - 1;
	    p++) {
		if (*p == '\033') {
			while (*p && *p != 'm')
				p++;
			continue;
		}
		plain[n++] = *p;
	}
	return tailview_cols(plain, n);
}

/* 1 when s is well-formed UTF-8. */
static int
utf8_valid(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		int n = *u < 0x80 ? 0 : (*u & 0xe0) == 0xc0 ? 1 :
		    (*u & 0xf0) == 0xe0 ? 2 : (*u & 0xf8) == 0xf0 ? 3 : -1;

		if (n < 0)
			return 0;
		for (u++; n > 0; n--, u++)
			if ((*u & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* ---- Small helpers ---------------------------------------------------- */

static void
test_opts_terminal(void **state)
{
	struct tailview_opts o;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	setenv("COLUMNS", "77", 1);
	unsetenv("NO_COLOR");
	tailview_opts_terminal(&o, fds[1]);
	assert_int_equal(o.color, 0);		/* not a terminal */
	assert_int_equal(o.width, 77);
	assert_int_equal(o.utc, 0);
	setenv("COLUMNS", "5", 1);		/* too narrow to be meant */
	tailview_opts_terminal(&o, fds[1]);
	assert_int_equal(o.width, TAILVIEW_WIDTH_TERMINAL);
	setenv("COLUMNS", "wide", 1);
	tailview_opts_terminal(&o, fds[1]);
	assert_int_equal(o.width, TAILVIEW_WIDTH_TERMINAL);
	unsetenv("COLUMNS");
	tailview_opts_terminal(&o, fds[1]);
	assert_int_equal(o.width, TAILVIEW_WIDTH_TERMINAL);
	close(fds[0]);
	close(fds[1]);
}

static void
test_kind_name(void **state)
{
	(void)state;
	assert_string_equal(tailview_kind_name(0), "UNSPECIFIED");
	assert_string_equal(tailview_kind_name(1), "INTERNAL");
	assert_string_equal(tailview_kind_name(2), "SERVER");
	assert_string_equal(tailview_kind_name(3), "CLIENT");
	assert_string_equal(tailview_kind_name(4), "PRODUCER");
	assert_string_equal(tailview_kind_name(5), "CONSUMER");
	assert_string_equal(tailview_kind_name(6), "UNKNOWN");
	assert_string_equal(tailview_kind_name(-1), "UNKNOWN");
}

static void
test_duration(void **state)
{
	static const struct { uint64_t ns; const char *want; } cases[] = {
		{ 0, "0ns" }, { 850, "850ns" }, { 999, "999ns" },
		{ 1000, "1µs" }, { 850000, "850µs" }, { 999499, "999µs" },
		{ 999500, "1.00ms" }, { 1234567, "1.23ms" },
		{ 9996000, "10.0ms" }, { 12345678, "12.3ms" },
		{ 99960000, "100ms" }, { 123456789, "123ms" },
		{ 999600000, "1.00s" }, { 1240000000, "1.24s" },
		{ 12300000000ULL, "12.3s" }, { 59940000000ULL, "59.9s" },
		{ 59960000000ULL, "1m00s" }, { 123000000000ULL, "2m03s" },
		{ 3599400000000ULL, "59m59s" }, { 3600000000000ULL, "1h00m" },
		{ 3723000000000ULL, "1h02m" }, { 90061000000000ULL, "25h01m" },
	};
	char buf[TAILVIEW_DUR_LEN], tiny[4];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(tailview_duration(cases[i].ns, buf,
		    sizeof(buf)), cases[i].want);
	/* A short buffer is cut, never overrun. */
	assert_string_equal(tailview_duration(1240000000, tiny, sizeof(tiny)),
	    "1.2");
}

static void
test_time(void **state)
{
	struct tailview_opts o = opts(0, 100);
	char buf[TAILVIEW_TIME_LEN];

	(void)state;
	assert_string_equal(tailview_time(T0 + 1240 * MS, &o, 0, buf,
	    sizeof(buf)), "16:00:01.240");
	assert_string_equal(tailview_time(T0 + 999999999, &o, 1, buf,
	    sizeof(buf)), "2025-11-24 16:00:00");
	/* Local time follows TZ (POSIX form: two hours east of UTC). */
	o.utc = 0;
	setenv("TZ", "XYZ-2", 1);
	tzset();
	assert_string_equal(tailview_time(T0 + 5 * MS, &o, 0, buf,
	    sizeof(buf)), "18:00:00.005");
	setenv("TZ", "UTC", 1);
	tzset();
}

static void
test_cols_and_cell(void **state)
{
	struct tailview_opts o = opts(0, 100);
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_int_equal(tailview_cols("abc", 3), 3);
	assert_int_equal(tailview_cols("héllo", strlen("héllo")), 5);
	assert_int_equal(tailview_cols("日本", strlen("日本")), 4);
	assert_int_equal(tailview_cols("e\xcc\x81", 3), 1);	/* e + U+0301 */
	assert_int_equal(tailview_cols("\xff\xfe", 2), 2);	/* malformed */
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	assert_int_equal(tailview_cell(fp, &o, TAILVIEW_RED, "ab", 4, 0), 4);
	assert_int_equal(tailview_cell(fp, &o, NULL, "ab", 4, 1), 4);
	assert_int_equal(tailview_cell(fp, &o, NULL, "abcdef", 4, 0), 4);
	assert_int_equal(tailview_cell(fp, &o, NULL, "日本語", 4, 0), 4);
	assert_int_equal(tailview_cell(fp, &o, NULL, "x", 0, 0), 0);
	assert_int_equal(fclose(fp), 0);
	assert_string_equal(text, "ab    ababc…日… ");
	free(text);
}

static void
test_text(void **state)
{
	char buf[16], big[TAILVIEW_TEXT_MAX];

	(void)state;
	assert_int_equal(tailview_text(str(NULL), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	tailview_text(str("  a\\n\\n b\\t\\u00e9  "), buf, sizeof(buf));
	assert_string_equal(buf, "a b é");
	/* Cut on a character boundary, marked. */
	tailview_text(str("0123456789ab\\u00e9z"), buf, sizeof(buf));
	assert_string_equal(buf, "0123456789ab…");
	assert_int_equal(tailview_text(str("short"), big, sizeof(big)), 5);
}

/* ---- The span line ------------------------------------------------------ */

/* An LLM span shows its model and tokens, not the conversation's JSON. */
static void
test_line_llm(void **state)
{
	struct tailview_opts o = opts(0, 120);
	struct spanscan_span s;
	char *line;

	(void)state;
	completion(&s, TRACE_A, "b7ad6b7169203331", "00f067aa0ba902b7",
	    T0, T0 + 800 * MS);
	s.input = str("[{\\\"role\\\":\\\"system\\\"}]");
	s.output = str("Pancakes.");
	s.model = str("gpt-4o-mini");
	s.tokens_total = 420;
	line = line_of(&s, &o);
	assert_non_null(strstr(line, "gpt-4o-mini, 420 tokens → Pancakes."));
	assert_null(strstr(line, "role"));
	free(line);
	/* Without a model there is nothing better than the input. */
	s.model = str(NULL);
	line = line_of(&s, &o);
	assert_non_null(strstr(line, "role"));
	free(line);
}

static void
test_line_ok(void **state)
{
	struct tailview_opts o = opts(0, 120);
	struct spanscan_span s;
	char *line;

	(void)state;
	chat_turn(&s, TRACE_A, "00f067aa0ba902b7", T0, T0 + 1240 * MS);
	line = line_of(&s, &o);
	assert_string_equal(line, "16:00:01.240 4bf92f35 AGENT  chat_turn     "
	    "1.24s OK    sess-1 How do I make pancakes? → Mix flour, eggs "
	    "and milk.\n");
	free(line);

	/* At 100 columns both texts are long: each gets about half. */
	o.width = 100;
	line = line_of(&s, &o);
	assert_string_equal(line, "16:00:01.240 4bf92f35 AGENT  chat_turn     "
	    "1.24s OK    sess-1 How do I make pa… → Mix flour, eggs a…\n");
	assert_int_equal(visible_cols(line), 100);
	free(line);

	/* The OTel kind without an OpenInference one; no session, no
	 * input/output: nothing after the session column. */
	completion(&s, TRACE_A, "b7ad6b7169203331", "00f067aa0ba902b7",
	    T0 + 100 * MS, T0 + 100 * MS + 850000);
	s.oi_kind = str(NULL);
	s.session_id = str(NULL);
	s.status_code = 0;
	line = line_of(&s, &o);
	assert_string_equal(line, "16:00:00.100 4bf92f35 CLIENT completion    "
	    "850µs -     -\n");
	free(line);

	/* Output only. */
	s.output = str("Hello");
	line = line_of(&s, &o);
	assert_string_equal(line, "16:00:00.100 4bf92f35 CLIENT completion    "
	    "850µs -     - → Hello\n");
	free(line);
}

static void
test_line_error(void **state)
{
	struct tailview_opts o = opts(0, 120);
	struct spanscan_span s;
	char *line;

	(void)state;
	chat_turn(&s, TRACE_A, "00f067aa0ba902b7", T0, T0 + 30 * MS);
	s.status_code = 2;
	s.status_message = str("LLM failed");
	s.exception_type = str("LLMError");
	s.exception_message = str("upstream returned 503");
	line = line_of(&s, &o);
	assert_string_equal(line, "16:00:00.030 4bf92f35 AGENT  chat_turn    "
	    "30.0ms ERROR sess-1 How do I make pancakes? → LLMError: "
	    "upstream returned 503\n");
	assert_null(strstr(line, "Mix flour"));
	free(line);

	/* Without the exception event, the status message. */
	s.exception_type = s.exception_message = str(NULL);
	line = line_of(&s, &o);
	assert_non_null(strstr(line, "ERROR sess-1 How do I make pancakes? → "
	    "LLM failed\n"));
	free(line);

	s.status_message = str(NULL);
	line = line_of(&s, &o);
	assert_non_null(strstr(line, "→ (no message)\n"));
	free(line);

	/* The exception's type alone. */
	s.exception_type = str("LLMError");
	line = line_of(&s, &o);
	assert_non_null(strstr(line, "pancakes? → LLMError\n"));
	free(line);
}

static void
test_line_cut_to_width(void **state)
{
	struct tailview_opts o = opts(0, 90);
	struct spanscan_span s;
	char *line;

	(void)state;
	chat_turn(&s, TRACE_A, "00f067aa0ba902b7", T0, T0 + 1240 * MS);
	s.input = str("I have flour, eggs, milk, butter, sugar and a lot of "
	    "patience; what should I bake this weekend for my family?");
	s.output = str("Pancakes.");
	line = line_of(&s, &o);
	/* A short output is kept whole, the input cut to what is left. */
	assert_string_equal(line, "16:00:01.240 4bf92f35 AGENT  chat_turn     "
	    "1.24s OK    sess-1 I have flour, e… → Pancakes.\n");
	assert_int_equal(visible_cols(line), 90);
	free(line);

	/* Less room: the input keeps half of it. */
	o.width = 80;
	line = line_of(&s, &o);
	assert_string_equal(line, "16:00:01.240 4bf92f35 AGENT  chat_turn     "
	    "1.24s OK    sess-1 I have… → Pancake…\n");
	assert_int_equal(visible_cols(line), 80);
	free(line);

	/* Both long: each gets about half. */
	s.output = str("Try a tall stack of fluffy buttermilk pancakes with "
	    "maple syrup and berries.");
	o.width = 120;
	line = line_of(&s, &o);
	assert_int_equal(visible_cols(line), 120);
	assert_non_null(strstr(line, "sess-1 I have flour, eggs, milk, … "
	    "→ Try a tall stack of fluffy …\n"));
	free(line);

	/* Narrower than the fixed columns: cut anywhere, still fits. */
	o.width = 30;
	line = line_of(&s, &o);
	assert_string_equal(line, "16:00:01.240 4bf92f35 AGENT  …\n");
	free(line);

	/* Width 0 means the default. */
	o.width = 0;
	line = line_of(&s, &o);
	assert_int_equal(visible_cols(line), TAILVIEW_WIDTH_DEFAULT);
	free(line);
}

static void
test_line_unicode_cut(void **state)
{
	struct tailview_opts o = opts(0, 81);
	struct spanscan_span s;
	char *line;

	(void)state;
	chat_turn(&s, TRACE_A, "00f067aa0ba902b7", T0, T0 + 1240 * MS);
	s.output = str(NULL);
	/* Escaped and raw multi-byte text, wide characters. */
	s.input = str("cr\\u00e8me br\\u00fbl\\u00e9e \xe3\x81\xa8 "
	    "\xe6\x8a\xb9\xe8\x8c\xb6\xe3\x83\x97\xe3\x83\xaa\xe3\x83\xb3");
	line = line_of(&s, &o);
	assert_true(utf8_valid(line));
	assert_int_equal(visible_cols(line), 81);
	assert_string_equal(line, "16:00:01.240 4bf92f35 AGENT  chat_turn     "
	    "1.24s OK    sess-1 crème brûlée と 抹…\n");
	free(line);

	/* A wide character that does not fit leaves a column free. */
	o.width = 82;
	line = line_of(&s, &o);
	assert_true(utf8_valid(line));
	assert_string_equal(line, "16:00:01.240 4bf92f35 AGENT  chat_turn     "
	    "1.24s OK    sess-1 crème brûlée と 抹… \n");
	free(line);

	/* Cut inside a two-byte character: never half of one. */
	o.width = 66;
	line = line_of(&s, &o);
	assert_true(utf8_valid(line));
	assert_string_equal(line, "16:00:01.240 4bf92f35 AGENT  chat_turn     "
	    "1.24s OK    sess-1 crè…\n");
	free(line);
}

static void
test_line_flattened(void **state)
{
	struct tailview_opts o = opts(0, 100);
	struct spanscan_span s;
	char *line;

	(void)state;
	chat_turn(&s, TRACE_A, "00f067aa0ba902b7", T0, T0 + 1240 * MS);
	s.input = str("line one\\n\\nline two\\r\\n\\tthree");
	s.output = str("a\nb");	/* a raw control character, even */
	line = line_of(&s, &o);
	assert_non_null(strstr(line, "sess-1 line one line two three → a b\n"));
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	assert_null(strchr(line, '\t'));
	assert_null(strchr(line, '\r'));
	free(line);
}

static void
test_line_long_session(void **state)
{
	struct tailview_opts o = opts(0, 100);
	struct spanscan_span s;
	char *line;

	(void)state;
	chat_turn(&s, TRACE_A, "00f067aa0ba902b7", T0, T0 + 1240 * MS);
	s.session_id = str("3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f");
	s.input = s.output = str(NULL);
	line = line_of(&s, &o);
	/* Cut in the middle: ids differ at either end. */
	assert_string_equal(line, "16:00:01.240 4bf92f35 AGENT  chat_turn     "
	    "1.24s OK    3f2b8c1e-5d4…a2b3c4d5e6f\n");
	free(line);
	s.session_id = str("session_1732440000000_ab12cd");
	line = line_of(&s, &o);
	assert_non_null(strstr(line, " session_1732…0000_ab12cd\n"));
	assert_int_equal(visible_cols(strstr(line, " session_")), 25);
	free(line);
}

static void
test_line_color(void **state)
{
	struct tailview_opts on = opts(1, 100), off = opts(0, 100);
	struct spanscan_span s, c;
	char *line, *plain;

	(void)state;
	chat_turn(&s, TRACE_A, "00f067aa0ba902b7", T0, T0 + 1240 * MS);
	line = line_of(&s, &on);
	assert_non_null(strstr(line,
	    TAILVIEW_DIM "16:00:01.240" TAILVIEW_RESET));
	assert_non_null(strstr(line, TAILVIEW_CYAN "4bf92f35" TAILVIEW_RESET));
	assert_non_null(strstr(line, TAILVIEW_MAGENTA "AGENT"));
	assert_non_null(strstr(line, TAILVIEW_GREEN "OK"));
	plain = line_of(&s, &off);
	/* The same columns, escapes aside. */
	assert_int_equal(visible_cols(line), visible_cols(plain));
	assert_int_equal(visible_cols(line), tailview_cols(plain,
	    strlen(plain) - 1));
	free(plain);
	free(line);

	completion(&c, TRACE_A, "b7ad6b7169203331", "00f067aa0ba902b7",
	    T0, T0 + MS);
	c.status_code = 2;
	c.exception_message = str("boom");
	line = line_of(&c, &on);
	assert_non_null(strstr(line, TAILVIEW_YELLOW "LLM"));
	assert_non_null(strstr(line, TAILVIEW_RED "ERROR"));
	assert_non_null(strstr(line, TAILVIEW_RED "boom" TAILVIEW_RESET));
	free(line);

	/* Colour off: not one escape, whatever the span. */
	line = line_of(&c, &off);
	assert_null(strchr(line, '\033'));
	free(line);
	line = line_of(&s, &off);
	assert_null(strchr(line, '\033'));
	free(line);
}

/* ---- Trees -------------------------------------------------------------- */

static void
test_tree_order(void **state)
{
	struct tailview_opts o = opts(0, 120);
	struct tailview_trees *t = tailview_trees_new();
	struct spanscan_span s;
	char *text;

	(void)state;
	/* Children before parents, the later trace first. */
	completion(&s, TRACE_A, "00000000000000a3", "00000000000000a1",
	    T0 + 60 * MS, T0 + 90 * MS);
	s.name = str("second");
	tailview_trees_add(t, &s);
	completion(&s, TRACE_A, "00000000000000a2", "00000000000000a1",
	    T0 + 10 * MS, T0 + 50 * MS);
	s.name = str("first");
	tailview_trees_add(t, &s);
	completion(&s, TRACE_A, "00000000000000a4", "00000000000000a2",
	    T0 + 20 * MS, T0 + 40 * MS);
	s.name = str("grandchild");
	s.kind = 1;
	s.oi_kind = str(NULL);
	tailview_trees_add(t, &s);
	chat_turn(&s, TRACE_A, "00000000000000a1", T0, T0 + 100 * MS);
	tailview_trees_add(t, &s);
	chat_turn(&s, TRACE_B, "00000000000000b1", T0 - 1000 * MS,
	    T0 - 900 * MS);
	s.session_id = str(NULL);
	s.input = str("hi");
	s.output = str("hello");
	tailview_trees_add(t, &s);
	assert_int_equal(tailview_trees_count(t), 5);

	text = trees_of(t, &o);
	assert_string_equal(text,
	    "trace " TRACE_B " 15:59:59.000 100ms 1 span\n"
	    "  chat_turn                  AGENT      100ms OK    "
	    "|##############################| hi → hello\n"
	    "\n"
	    "trace " TRACE_A " 16:00:00.000 100ms 4 spans session sess-1\n"
	    "  chat_turn                  AGENT      100ms OK    "
	    "|##############################| How do I make p… → Mix flour, "
	    "eggs…\n"
	    "    first                    LLM       40.0ms OK    "
	    "|   ############               |\n"
	    "      grandchild             INTERNAL  20.0ms OK    "
	    "|      ######                  |\n"
	    "    second                   LLM       30.0ms OK    "
	    "|                  #########   |\n");
	free(text);
	tailview_trees_free(t);
}

static void
test_tree_bar_half(void **state)
{
	struct tailview_opts o = opts(0, 100);
	struct tailview_trees *t = tailview_trees_new();
	struct spanscan_span s;
	char *text, *child;

	(void)state;
	chat_turn(&s, TRACE_A, "00000000000000a1", T0, T0 + 100 * MS);
	s.input = s.output = str(NULL);
	tailview_trees_add(t, &s);
	completion(&s, TRACE_A, "00000000000000a2", "00000000000000a1",
	    T0 + 50 * MS, T0 + 100 * MS);
	tailview_trees_add(t, &s);
	/* A span shorter than a cell still shows as one. */
	completion(&s, TRACE_A, "00000000000000a3", "00000000000000a1",
	    T0 + 10 * MS, T0 + 10 * MS + 1000);
	s.name = str("tiny");
	tailview_trees_add(t, &s);
	text = trees_of(t, &o);
	child = strstr(text, "completion");
	assert_non_null(child);
	assert_non_null(strstr(child, "|               ###############|\n"));
	child = strstr(text, "tiny");
	assert_non_null(child);
	assert_non_null(strstr(child, "|   #                          |\n"));
	free(text);

	/* With colour: block characters in the same cells. */
	o.color = 1;
	text = trees_of(t, &o);
	assert_non_null(strstr(text, "|               "
	    "███████████████|"));
	/* The root fills all 30 cells. */
	assert_non_null(strstr(text, "|██████████████████████████████|"));
	assert_null(strchr(text, '#'));
	free(text);
	tailview_trees_free(t);
}

static void
test_tree_orphan_error_dup(void **state)
{
	struct tailview_opts o = opts(0, 100);
	struct tailview_trees *t = tailview_trees_new();
	struct spanscan_span s;
	char *text;

	(void)state;
	completion(&s, TRACE_A, "00000000000000a2", "ffffffffffffffff",
	    T0, T0 + 10 * MS);
	s.status_code = 2;
	s.exception_type = str("Timeout");
	s.exception_message = str("no reply in 30 s");
	tailview_trees_add(t, &s);
	tailview_trees_add(t, &s);	/* at-least-once: a second copy */
	assert_int_equal(tailview_trees_count(t), 1);
	text = trees_of(t, &o);
	assert_string_equal(text,
	    "trace " TRACE_A " 16:00:00.000 10.0ms 1 span ERROR: 1 error "
	    "session sess-1\n"
	    "  completion                 LLM       10.0ms ERROR "
	    "|##############################| (parent not in…\n");
	free(text);

	o.width = 160;
	text = trees_of(t, &o);
	assert_non_null(strstr(text, "(parent not in spool) error: Timeout: "
	    "no reply in 30 s\n"));
	free(text);

	o.color = 1;
	text = trees_of(t, &o);
	assert_non_null(strstr(text, TAILVIEW_RED "✗" TAILVIEW_RESET));
	assert_non_null(strstr(text, TAILVIEW_RED "ERROR"));
	free(text);
	tailview_trees_free(t);
}

static void
test_tree_loop(void **state)
{
	struct tailview_opts o = opts(0, 120);
	struct tailview_trees *t = tailview_trees_new();
	struct spanscan_span s;
	char *text;

	(void)state;
	/* Each the other's parent, and one its own: none is lost. */
	completion(&s, TRACE_A, "00000000000000a1", "00000000000000a2",
	    T0, T0 + 10 * MS);
	s.name = str("one");
	tailview_trees_add(t, &s);
	completion(&s, TRACE_A, "00000000000000a2", "00000000000000a1",
	    T0 + 1 * MS, T0 + 5 * MS);
	s.name = str("two");
	tailview_trees_add(t, &s);
	completion(&s, TRACE_A, "00000000000000a3", "00000000000000a3",
	    T0 + 2 * MS, T0 + 3 * MS);
	s.name = str("self");
	tailview_trees_add(t, &s);
	text = trees_of(t, &o);
	assert_non_null(strstr(text, "3 spans"));
	assert_non_null(strstr(text, "\n  one "));
	assert_non_null(strstr(text, "\n    two "));
	assert_non_null(strstr(text, "\n  self "));
	assert_non_null(strstr(text, "(parent loop)"));
	assert_non_null(strstr(text, "(parent not in spool)"));	/* self */
	free(text);
	tailview_trees_free(t);
}

static void
test_tree_many(void **state)
{
	struct tailview_opts o = opts(0, 100);
	struct tailview_trees *t = tailview_trees_new();
	char trace[33], id[17], parent[17];
	struct spanscan_span s;
	size_t lines = 0, len = 0;
	char *text = NULL;
	FILE *fp;

	(void)state;
	for (unsigned i = 0; i < 100000; i++) {
		unsigned tr = i / 10;

		snprintf(trace, sizeof(trace), "%032x", tr + 1);
		snprintf(id, sizeof(id), "%016x", i + 1);
		snprintf(parent, sizeof(parent), "%016x", tr * 10 + 1);
		completion(&s, trace, id, i % 10 ? parent : NULL,
		    T0 + tr * MS + i % 10, T0 + tr * MS + 100);
		tailview_trees_add(t, &s);
	}
	assert_int_equal(tailview_trees_count(t), 100000);
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	tailview_trees_print(fp, t, &o);
	assert_int_equal(fclose(fp), 0);
	for (char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	/* Spans, a header per trace, blank lines between traces. */
	assert_int_equal(lines, 100000 + 10000 + 9999);
	assert_null(strstr(text, "parent not in spool"));
	free(text);
	tailview_trees_free(t);
	tailview_trees_free(NULL);
}

/* ---- Votes ------------------------------------------------------------ */

#define SPAN_TURN	"00f067aa0ba902b7"
#define SPAN_LLM	"53995c3f42cd8ad8"

/* Add a vote on span (of TRACE_A, session sess-1) to x, as the spool has
 * it: one line from feedrec_line. */
static void
vote(struct feedidx *x, const char *span, int up, long long t,
    const char *comment)
{
	struct feedrec r;
	struct buf b;

	memset(&r, 0, sizeof(r));
	strcpy(r.trace_id, TRACE_A);
	strcpy(r.span_id, span);
	strcpy(r.session_id, "sess-1");
	r.up = up;
	r.comment = comment != NULL ? strdup(comment) : NULL;
	r.time_unix_nano = t;
	feedrec_set_identifier(&r);
	buf_init(&b, 1 << 16);
	assert_int_equal(feedrec_line(&b, &r), 0);
	feedrec_clear(&r);
	assert_int_equal(feedidx_add(x, b.data, b.len - 1, NULL, 0), 1);
	buf_cleanup(&b);
}

static char *
vote_line_of(const struct feedrec *r, const struct tailview_opts *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	tailview_vote_line(fp, r, o);
	assert_int_equal(fclose(fp), 0);
	return text;
}

static void
test_utf8_locale(void **state)
{
	struct tailview_opts o;
	int fds[2];

	(void)state;
	unsetenv("LC_ALL");
	unsetenv("LC_CTYPE");
	unsetenv("LANG");
	assert_int_equal(tailview_utf8_locale(), 0);	/* the C locale */
	setenv("LANG", "en_US.UTF-8", 1);
	assert_int_equal(tailview_utf8_locale(), 1);
	setenv("LANG", "de_DE.utf8", 1);
	assert_int_equal(tailview_utf8_locale(), 1);
	setenv("LC_CTYPE", "POSIX", 1);		/* before LANG */
	assert_int_equal(tailview_utf8_locale(), 0);
	setenv("LC_ALL", "C.UTF-8", 1);		/* before both */
	assert_int_equal(tailview_utf8_locale(), 1);
	setenv("LC_ALL", "", 1);		/* empty: not set */
	assert_int_equal(tailview_utf8_locale(), 0);
	assert_int_equal(pipe(fds), 0);
	tailview_opts_terminal(&o, fds[1]);
	assert_int_equal(o.ascii, 1);
	assert_null(o.votes);
	setenv("LC_CTYPE", "en_GB.UTF-8", 1);
	tailview_opts_terminal(&o, fds[1]);
	assert_int_equal(o.ascii, 0);
	unsetenv("LC_ALL");
	unsetenv("LC_CTYPE");
	unsetenv("LANG");
	close(fds[0]);
	close(fds[1]);
}

static void
test_vote_mark_and_lookup(void **state)
{
	struct tailview_opts o = opts(0, 100);
	struct feedidx *x = feedidx_new();
	const struct feedrec *r;

	(void)state;
	assert_string_equal(tailview_vote_mark(1, &o), "👍");
	assert_string_equal(tailview_vote_mark(0, &o), "👎");
	o.ascii = 1;
	assert_string_equal(tailview_vote_mark(1, &o), "+1");
	assert_string_equal(tailview_vote_mark(0, &o), "-1");
	assert_null(tailview_vote_of(&o, str(SPAN_TURN)));	/* no votes */
	o.votes = x;
	vote(x, SPAN_TURN, 1, 100, NULL);
	vote(x, SPAN_TURN, 0, 200, "too salty");	/* changed */
	assert_non_null(r = tailview_vote_of(&o, str(SPAN_TURN)));
	assert_int_equal(r->up, 0);
	assert_string_equal(r->comment, "too salty");
	assert_null(tailview_vote_of(&o, str(SPAN_LLM)));
	assert_null(tailview_vote_of(&o, str("00f067aa")));
	assert_null(tailview_vote_of(&o, str(NULL)));
	feedidx_free(x);
}

/* The vote sits after the session, before input -> output; only on the
 * span voted on. */
static void
test_line_vote(void **state)
{
	struct tailview_opts o = opts(0, 160);
	struct feedidx *x = feedidx_new();
	struct spanscan_span s;
	char *text;

	(void)state;
	vote(x, SPAN_TURN, 0, 100, "too\tsalty\n\n and  cold");
	o.votes = x;
	chat_turn(&s, TRACE_A, SPAN_TURN, T0, T0 + 1234 * MS);
	text = line_of(&s, &o);
	assert_non_null(strstr(text, "sess-1 👎 \"too salty and cold\" "
	    "How do I make pancakes? → Mix flour"));
	assert_true(visible_cols(text) <= 160);
	free(text);
	o.ascii = 1;
	text = line_of(&s, &o);
	assert_non_null(strstr(text, "sess-1 -1 \"too salty and cold\" How"));
	free(text);
	completion(&s, TRACE_A, SPAN_LLM, SPAN_TURN, T0, T0 + MS);
	text = line_of(&s, &o);
	assert_null(strstr(text, " -1 "));
	assert_null(strstr(text, "salty"));
	free(text);
	/* Without a comment, the mark alone. */
	vote(x, SPAN_TURN, 1, 200, NULL);
	chat_turn(&s, TRACE_A, SPAN_TURN, T0, T0 + 1234 * MS);
	text = line_of(&s, &o);
	assert_non_null(strstr(text, "sess-1 +1 How do I"));
	free(text);
	feedidx_free(x);
}

/* A long comment is cut to a third of the room, the quotes kept; every
 * line stays within the width. */
static void
test_line_vote_long(void **state)
{
	static const int widths[] = { 60, 80, 100, 200, 1000 };
	struct tailview_opts o = opts(0, 100);
	struct feedidx *x = feedidx_new();
	struct spanscan_span s;
	char comment[3001], *text, *q;

	(void)state;
	/* FEEDREC_COMMENT_MAX characters, 3000 bytes. */
	for (size_t i = 0; i < 1000; i++)
		memcpy(comment + 3 * i, "é.", 3);
	comment[3000] = '\0';
	vote(x, SPAN_TURN, 0, 100, comment);
	o.votes = x;
	chat_turn(&s, TRACE_A, SPAN_TURN, T0, T0 + 1234 * MS);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		o.width = widths[i];
		text = line_of(&s, &o);
		assert_true(utf8_valid(text));
		assert_true(visible_cols(text) <= widths[i]);
		if (widths[i] >= 80) {	/* 60: no room left for it */
			assert_non_null(q = strstr(text, "👎 \"é.é"));
			assert_non_null(strstr(q, "…\""));
		}
		free(text);
	}
	o.color = 1;
	text = line_of(&s, &o);
	assert_non_null(strstr(text, TAILVIEW_RED "👎" TAILVIEW_RESET));
	free(text);
	feedidx_free(x);
}

static void
test_tree_vote(void **state)
{
	struct tailview_opts o = opts(0, 160);
	struct tailview_trees *t = tailview_trees_new();
	struct feedidx *x = feedidx_new();
	struct spanscan_span s;
	char *text, *turn, *llm;

	(void)state;
	vote(x, SPAN_TURN, 1, 100, "great pancakes");
	o.votes = x;
	chat_turn(&s, TRACE_A, SPAN_TURN, T0, T0 + 1000 * MS);
	tailview_trees_add(t, &s);
	completion(&s, TRACE_A, SPAN_LLM, SPAN_TURN, T0 + 10 * MS,
	    T0 + 900 * MS);
	tailview_trees_add(t, &s);
	text = trees_of(t, &o);
	assert_non_null(turn = strstr(text, "  chat_turn"));
	assert_non_null(llm = strstr(text, "    completion"));
	/* On the turn's row, after the bar, before input -> output. */
	assert_non_null(strstr(turn, "| 👍 \"great pancakes\" How do I"));
	assert_true(strstr(turn, "👍") < llm);
	assert_null(strstr(llm, "👍"));
	for (char *l = text; *l; l = strchr(l, '\n') + 1)
		assert_true(visible_cols(l) <= 160);
	free(text);
	o.ascii = 1;
	text = trees_of(t, &o);
	assert_non_null(strstr(text, "| +1 \"great pancakes\""));
	free(text);
	tailview_trees_free(t);
	feedidx_free(x);
}

static void
test_vote_line(void **state)
{
	struct tailview_opts o = opts(0, 80);
	struct feedidx *x = feedidx_new();
	const struct feedrec *r;
	char *text;

	(void)state;
	vote(x, SPAN_TURN, 0, (long long)(T0 + 5 * MS), "too salty");
	o.votes = x;
	r = tailview_vote_of(&o, str(SPAN_TURN));
	text = vote_line_of(r, &o);
	assert_string_equal(text, "16:00:00.005 4bf92f35 VOTE   👎 sess-1 "
	    "\"too salty\"\n");
	free(text);
	o.ascii = 1;
	o.width = 40;
	vote(x, SPAN_TURN, 1, (long long)(T0 + 6 * MS),
	    "a much longer comment than fits");
	r = tailview_vote_of(&o, str(SPAN_TURN));
	text = vote_line_of(r, &o);
	assert_string_equal(text, "16:00:00.006 4bf92f35 VOTE   +1 sess-1\n");
	free(text);
	o.width = 60;
	text = vote_line_of(r, &o);
	assert_string_equal(text, "16:00:00.006 4bf92f35 VOTE   +1 sess-1 "
	    "\"a much longer comm…\"\n");
	free(text);
	feedidx_free(x);
}

static void
test_seen(void **state)
{
	struct tailview_seen *seen = tailview_seen_new();
	struct spanscan_span s;
	char id[17];

	(void)state;
	assert_int_equal(tailview_seen_has(seen, SPAN_TURN), 0);
	completion(&s, TRACE_A, SPAN_LLM, SPAN_TURN, T0, T0 + MS);
	tailview_seen_add(seen, &s);
	/* The printed span and the turn it belongs to. */
	assert_int_equal(tailview_seen_has(seen, SPAN_LLM), 1);
	assert_int_equal(tailview_seen_has(seen, SPAN_TURN), 1);
	assert_int_equal(tailview_seen_has(seen, "0000000000000001"), 0);
	assert_int_equal(tailview_seen_has(seen, "not hex at all!!"), 0);
	assert_int_equal(tailview_seen_has(seen, ""), 0);
	/* Memory stays the same: many later spans push old ones out. */
	for (unsigned i = 1; i <= 4 * TAILVIEW_SEEN_SLOTS; i++) {
		snprintf(id, sizeof(id), "%016x", i);
		chat_turn(&s, TRACE_A, id, T0, T0 + MS);
		tailview_seen_add(seen, &s);
	}
	assert_int_equal(tailview_seen_has(seen, id), 1);
	assert_int_equal(tailview_seen_has(seen, SPAN_LLM), 0);
	tailview_seen_free(seen);
	tailview_seen_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_terminal),
		cmocka_unit_test(test_kind_name),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_cols_and_cell),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_line_ok),
		cmocka_unit_test(test_line_llm),
		cmocka_unit_test(test_line_error),
		cmocka_unit_test(test_line_cut_to_width),
		cmocka_unit_test(test_line_unicode_cut),
		cmocka_unit_test(test_line_flattened),
		cmocka_unit_test(test_line_long_session),
		cmocka_unit_test(test_line_color),
		cmocka_unit_test(test_tree_order),
		cmocka_unit_test(test_tree_bar_half),
		cmocka_unit_test(test_tree_orphan_error_dup),
		cmocka_unit_test(test_tree_loop),
		cmocka_unit_test(test_tree_many),
		cmocka_unit_test(test_utf8_locale),
		cmocka_unit_test(test_vote_mark_and_lookup),
		cmocka_unit_test(test_line_vote),
		cmocka_unit_test(test_line_vote_long),
		cmocka_unit_test(test_tree_vote),
		cmocka_unit_test(test_vote_line),
		cmocka_unit_test(test_seen),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
