/* test_spoolwalk.c - reading a spool as a viewer: every line once, new
 * lines on poll, files followed across a move to sent/, deletions, and
 * partial last lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spoolwalk.h"
#include "testutil.h"

struct fx {
	char	dir[64];
	char	got[8192];	/* lines seen, each followed by '|' */
	int	nlines;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(testutil_mkdtemp(fx->dir, sizeof(fx->dir),
	    "rc-spoolwalk"));
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

static void
put(struct fx *fx, const char *rel, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, rel);
	assert_non_null(fp = fopen(path, "a"));
	fputs(text, fp);
	fclose(fp);
}

static int
collect(const char *line, size_t len, void *arg)
{
	struct fx *fx = arg;

	strncat(fx->got, line, len);
	strcat(fx->got, "|");
	fx->nlines++;
	return 0;
}

static struct spoolwalk *
walk_open(struct fx *fx)
{
	char err[256];
	struct spoolwalk *w = spoolwalk_open(fx->dir,
	    SPOOLFMT_KIND_SPANS, err, sizeof(err));

	assert_non_null(w);
	return w;
}

/* Cuts the file to nothing while its first line is handed out. */
static int
truncate_on_first(const char *line, size_t len, void *arg)
{
	struct fx *fx = arg;
	char path[256];

	(void)line;
	(void)len;
	if (fx->nlines++ == 0) {
		snprintf(path, sizeof(path), "%s/spans-1000-1-aa-0.jsonl",
		    fx->dir);
		assert_int_equal(truncate(path, 0), 0);
	}
	return 0;
}

/* A file truncated under the walk (by hand, or a writer's cut-back):
 * reading stops where the file now ends, no SIGBUS (a mapping would
 * fault on the pages past the new end). */
static void
test_truncated_under_walk(void **state)
{
	struct fx *fx = *state;
	struct spoolwalk *w;
	char *text;
	size_t n = 4 << 20;

	text = malloc(n + 1);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		text[i] = i % 100 == 99 ? '\n' : 'x';
	text[n] = '\0';
	put(fx, "spans-1000-1-aa-0.jsonl", text);
	free(text);
	w = walk_open(fx);
	assert_int_equal(spoolwalk_read_all(w, truncate_on_first, fx), 0);
	assert_true(fx->nlines >= 1 && fx->nlines < (int)(n / 100));
	/* The file grows again: new lines are read from where it ends. */
	fx->nlines = 0;
	fx->got[0] = '\0';
	put(fx, "spans-1000-1-aa-0.jsonl", "again\n");
	assert_int_equal(spoolwalk_poll(w, collect, fx), 0);
	spoolwalk_free(w);
}

static void
test_reads_all_oldest_first(void **state)
{
	struct fx *fx = *state;
	struct spoolwalk *w;

	assert_int_equal(mkdir(strcat(strcpy(fx->got, fx->dir), "/sent"), 0750), 0);
	fx->got[0] = '\0';
	put(fx, "spans-2000-1-aa-0.jsonl", "c\nd\n");
	put(fx, "sent/spans-1000-1-aa-0.jsonl", "a\nb\n");
	put(fx, "notes.txt", "ignored\n");
	put(fx, ".spans-3000-1-aa-0.jsonl", "hidden\n");
	w = walk_open(fx);
	assert_int_equal(spoolwalk_read_all(w, collect, fx), 0);
	assert_string_equal(fx->got, "a|b|c|d|");
	assert_int_equal(spoolwalk_stats(w)->lines, 4);
	assert_int_equal(spoolwalk_stats(w)->files, 2);
	/* Nothing new: a poll hands out nothing. */
	fx->got[0] = '\0';
	assert_int_equal(spoolwalk_poll(w, collect, fx), 0);
	assert_string_equal(fx->got, "");
	spoolwalk_free(w);
}

static void
test_poll_new_lines_and_files(void **state)
{
	struct fx *fx = *state;
	struct spoolwalk *w;

	put(fx, "spans-1000-1-aa-0.jsonl", "a\npart");
	w = walk_open(fx);
	assert_int_equal(spoolwalk_read_all(w, collect, fx), 0);
	assert_string_equal(fx->got, "a|");
	assert_int_equal(spoolwalk_partial_bytes(w), 4);
	fx->got[0] = '\0';
	put(fx, "spans-1000-1-aa-0.jsonl", "ial\nb\n");
	put(fx, "spans-2000-2-bb-0.jsonl", "new\n");
	assert_int_equal(spoolwalk_poll(w, collect, fx), 0);
	assert_string_equal(fx->got, "partial|b|new|");
	assert_int_equal(spoolwalk_partial_bytes(w), 0);
	spoolwalk_free(w);
}

static void
test_follows_a_move_to_sent(void **state)
{
	struct fx *fx = *state;
	char from[256], to[256];
	struct spoolwalk *w;

	put(fx, "spans-1000-1-aa-0.jsonl", "a\nb\n");
	w = walk_open(fx);			/* sent/ made later */
	assert_int_equal(spoolwalk_read_all(w, collect, fx), 0);
	snprintf(from, sizeof(from), "%s/spans-1000-1-aa-0.jsonl", fx->dir);
	snprintf(to, sizeof(to), "%s/sent", fx->dir);
	assert_int_equal(mkdir(to, 0750), 0);
	strcat(to, "/spans-1000-1-aa-0.jsonl");
	assert_int_equal(rename(from, to), 0);
	put(fx, "sent/spans-1000-1-aa-0.jsonl", "c\n");
	fx->got[0] = '\0';
	assert_int_equal(spoolwalk_poll(w, collect, fx), 0);
	assert_string_equal(fx->got, "c|");	/* a and b not again */
	spoolwalk_free(w);
}

static void
test_skip_all_and_deletion(void **state)
{
	struct fx *fx = *state;
	char path[256];
	struct spoolwalk *w;

	put(fx, "spans-1000-1-aa-0.jsonl", "old\n");
	w = walk_open(fx);
	spoolwalk_skip_all(w);
	put(fx, "spans-1000-1-aa-0.jsonl", "fresh\n");
	assert_int_equal(spoolwalk_poll(w, collect, fx), 0);
	assert_string_equal(fx->got, "fresh|");
	snprintf(path, sizeof(path), "%s/spans-1000-1-aa-0.jsonl", fx->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(spoolwalk_poll(w, collect, fx), 0);
	assert_int_equal(spoolwalk_poll(w, collect, fx), 0);
	assert_int_equal(spoolwalk_stats(w)->files, 0);
	spoolwalk_free(w);
}

static int
stop_after_one(const char *line, size_t len, void *arg)
{
	collect(line, len, arg);
	return -1;
}

static void
test_callback_stops(void **state)
{
	struct fx *fx = *state;
	struct spoolwalk *w;

	put(fx, "spans-1000-1-aa-0.jsonl", "a\nb\n");
	w = walk_open(fx);
	assert_int_equal(spoolwalk_read_all(w, stop_after_one, fx), -1);
	assert_string_equal(fx->got, "a|");
	/* The rest is still there for the next walk. */
	fx->got[0] = '\0';
	assert_int_equal(spoolwalk_poll(w, collect, fx), 0);
	assert_string_equal(fx->got, "b|");
	spoolwalk_free(w);
}

static void
test_missing_spool(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(spoolwalk_open("/nonexistent/spool",
	    SPOOLFMT_KIND_SPANS, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/spool"));
}

/* A walk reads the segments of its kind only. */
static void
test_one_kind(void **state)
{
	struct fx *fx = *state;
	struct spoolwalk *w;
	char err[256];

	assert_int_equal(mkdir(strcat(strcpy(fx->got, fx->dir), "/sent"), 0750), 0);
	fx->got[0] = '\0';
	put(fx, "spans-2000-1-aa-0.jsonl", "s1\n");
	put(fx, "feedback-1000-1-aa-0.jsonl", "f2\n");
	put(fx, "sent/feedback-0500-1-aa-0.jsonl", "f1\n");
	assert_non_null(w = spoolwalk_open(fx->dir, SPOOLFMT_KIND_FEEDBACK,
	    err, sizeof(err)));
	assert_int_equal(spoolwalk_read_all(w, collect, fx), 0);
	assert_string_equal(fx->got, "f1|f2|");
	spoolwalk_free(w);
	fx->got[0] = '\0';
	w = walk_open(fx);
	assert_int_equal(spoolwalk_read_all(w, collect, fx), 0);
	assert_string_equal(fx->got, "s1|");
	spoolwalk_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_all_oldest_first,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_new_lines_and_files,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_follows_a_move_to_sent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_all_and_deletion,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_stops,
		    setup, teardown),
		cmocka_unit_test(test_missing_spool),
		cmocka_unit_test_setup_teardown(test_one_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_under_walk,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
