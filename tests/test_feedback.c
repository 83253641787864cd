/* test_feedback.c - the POST /feedback contract: table cases from
 * $RC_TEST_DATA/feedback_requests.test for feedback_parse, the comment's
 * limit in characters, then feedback_handle against a real spool in a
 * temp dir: every answer, the line it appends, and that an error appends
 * nothing. json-c: every tree parsed here is put by its test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "feedback.h"
#include "log.h"
#include "testutil.h"
#include "xalloc.h"

#define ERRLEN	256
#define TID	"4bf92f3577b34da6a3ce929d0e0e4736"
#define SID	"00f067aa0ba902b7"
#define GOOD	"{\"trace_id\":\"" TID "\",\"span_id\":\"" SID "\"," \
		"\"session_id\":\"s-1\",\"label\":\"thumbs_down\"," \
		"\"comment\":\"too salty\"}"

struct fx {
	char			 top[64];
	char			 dir[96];
	struct spool		*spool;
	struct feedback_output	 out;
	json_object		*body;	/* parsed out.body */
};

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char err[256];

	if (testutil_mkdtemp(fx->top, sizeof(fx->top), "test_feedback") ==
	    NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/spool", fx->top);
	if ((fx->spool = spool_open(fx->dir, NULL, err, sizeof(err))) == NULL)
		return -1;
	log_init("test_feedback", LOG_LVL_ERROR);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	json_object_put(fx->body);
	free(fx->out.body);
	spool_close(fx->spool);
	testutil_rmtree(fx->top);
	free(fx);
	return 0;
}

/* Code points in UTF-8 text s: the bytes that do not continue one. */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* One table line; returns 0 when the outcome matches, else says why. */
static int
run_case(const char *file, int lineno, char **f, int nf)
{
	struct feedrec r;
	char err[ERRLEN] = "", want[ERRLEN], got[ERRLEN];
	int status = -1, rc;

	if (nf != 3) {
		print_error("%s:%d: want status<TAB>expect<TAB>body\n", file,
		    lineno);
		return -1;
	}
	rc = feedback_parse(f[2], strlen(f[2]), &r, &status, err,
	    sizeof(err));
	snprintf(want, sizeof(want), "%s", f[1]);
	if (rc == 0) {
		snprintf(got, sizeof(got), "%s %s %s", feedrec_label(r.up),
		    r.span_id, r.comment == NULL ? "-" : "");
		if (r.comment != NULL)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
			    "%zu", chars(r.comment));
		rc = atoi(f[0]) == 0 && strcmp(got, want) == 0 && status == 0 &&
		    strcmp(r.trace_id, TID) == 0 && r.time_unix_nano > 0 &&
		    strcmp(r.identifier + 3, r.span_id) == 0 ? 0 : -1;
	} else
		rc = status == atoi(f[0]) && strstr(err, want) != NULL &&
		    r.comment == NULL ? 0 : -1;
	if (rc == -1)
		print_error("%s:%d: want %s \"%s\", got status %d \"%s\" %s\n",
		    file, lineno, f[0], want, status, err,
		    status == 0 ? got : "");
	feedrec_clear(&r);
	return rc;
}

static void
test_table(void **state)
{
	struct testutil_table t;
	char *f[3];
	int nf, cases = 0, failed = 0;

	(void)state;
	testutil_table_open(&t, "feedback_requests.test");
	while ((nf = testutil_next_case(&t, f, 3)) > 0) {
		cases++;
		if (run_case(t.path, t.lineno, f, nf) == -1)
			failed++;
	}
	testutil_table_close(&t);
	assert_int_equal(failed, 0);
	assert_true(cases >= 50);
}

/* A body with a comment of n copies of the JSON text ch. Caller frees. */
static char *
body_comment(const char *ch, size_t n)
{
	size_t cl = strlen(ch), len = strlen(GOOD) + n * cl + 1;
	char *b = xmalloc(len), *p;

	p = b + sprintf(b, "{\"trace_id\":\"" TID "\",\"span_id\":\"" SID
	    "\",\"session_id\":\"s-1\",\"label\":\"thumbs_up\","
	    "\"comment\":\"");
	for (size_t i = 0; i < n; i++, p += cl)
		memcpy(p, ch, cl);
	strcpy(p, "\"}");
	return b;
}

/* The limit counts characters, not bytes or escapes, and every JSON
 * spelling of the longest comment fits in the body limit. */
static void
test_comment_limit(void **state)
{
	static const char *spell[] = { "a", "\xc3\xa9", "\xf0\x9f\x8d\x9d",
	    "\\u00e9", "\\ud83c\\udf5d" };
	struct feedrec r;
	char err[ERRLEN];
	int status;
	char *b;

	(void)state;
	for (size_t i = 0; i < sizeof(spell) / sizeof(spell[0]); i++) {
		b = body_comment(spell[i], FEEDREC_COMMENT_MAX);
		assert_true(strlen(b) <= FEEDBACK_MAX_BODY);
		assert_int_equal(feedback_parse(b, strlen(b), &r, &status,
		    err, sizeof(err)), 0);
		assert_non_null(r.comment);
		feedrec_clear(&r);
		free(b);
		b = body_comment(spell[i], FEEDREC_COMMENT_MAX + 1);
		assert_int_equal(feedback_parse(b, strlen(b), &r, &status,
		    err, sizeof(err)), -1);
		assert_int_equal(status, 422);
		assert_non_null(strstr(err, "comment"));
		free(b);
	}
}

/* The vote's time is now. */
static void
test_time_is_now(void **state)
{
	struct feedrec r;
	char err[ERRLEN];
	struct timespec ts;
	long long before;
	int status;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &ts);
	before = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	assert_int_equal(feedback_parse(GOOD, strlen(GOOD), &r, &status, err,
	    sizeof(err)), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	assert_true(r.time_unix_nano >= before);
	assert_true(r.time_unix_nano <= (long long)ts.tv_sec * 1000000000LL +
	    ts.tv_nsec);
	assert_string_equal(r.comment, "too salty");
	assert_int_equal(r.up, 0);
	assert_string_equal(r.session_id, "s-1");
	feedrec_clear(&r);
}

/* Serving and reading back. */

static void
handle(struct fx *fx, const char *method, const char *body)
{
	struct feedback_input in = { .method = method, .body = body,
	    .body_len = body != NULL ? strlen(body) : 0 };

	json_object_put(fx->body);
	free(fx->out.body);
	feedback_handle(fx->spool, &in, &fx->out);
	assert_non_null(fx->out.body);
	assert_non_null(fx->body = json_tokener_parse(fx->out.body));
}

static const char *
field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	    json_object_get_string(v) : NULL;
}

/* The feedback lines in the spool, each checked with feedrec_parse; the
 * last one into *last when not NULL (caller clears). */
static int
spool_lines(struct fx *fx, struct feedrec *last)
{
	char path[512], *line = NULL, err[128];
	size_t cap = 0;
	ssize_t n;
	struct dirent *de;
	struct feedrec r;
	int count = 0;
	DIR *d;
	FILE *fp;

	assert_non_null(d = opendir(fx->dir));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "feedback-", 9) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", fx->dir, de->d_name);
		assert_non_null(fp = fopen(path, "r"));
		while ((n = getline(&line, &cap, fp)) > 0) {
			assert_int_equal(line[n - 1], '\n');
			if (feedrec_parse(line, (size_t)n - 1, &r, err,
			    sizeof(err)) == -1)
				fail_msg("%s: %s", path, err);
			if (last != NULL) {
				feedrec_clear(last);
				*last = r;
			} else
				feedrec_clear(&r);
			count++;
		}
		fclose(fp);
	}
	closedir(d);
	free(line);
	return count;
}

static void
test_accepted(void **state)
{
	struct fx *fx = *state;
	struct feedrec last = { 0 };

	handle(fx, "POST", GOOD);
	assert_int_equal(fx->out.status, 202);
	assert_null(fx->out.headers);
	assert_string_equal(field(fx->body, "id"), "fb-" SID);
	assert_int_equal(json_object_object_length(fx->body), 1);
	assert_int_equal(spool_lines(fx, &last), 1);
	assert_string_equal(last.trace_id, TID);
	assert_string_equal(last.span_id, SID);
	assert_string_equal(last.session_id, "s-1");
	assert_int_equal(last.up, 0);
	assert_string_equal(last.comment, "too salty");
	feedrec_clear(&last);
	/* A changed vote: the same id, a second line that supersedes. */
	handle(fx, "POST", "{\"trace_id\":\"" TID "\",\"span_id\":\"00F067AA"
	    "0BA902B7\",\"session_id\":\"s-1\",\"label\":\"thumbs_up\"}");
	assert_int_equal(fx->out.status, 202);
	assert_string_equal(field(fx->body, "id"), "fb-" SID);
	assert_int_equal(spool_lines(fx, &last), 2);
	assert_int_equal(last.up, 1);
	assert_null(last.comment);
	feedrec_clear(&last);
}

/* Every error answers {"detail"} and appends nothing. */
static void
test_errors_write_nothing(void **state)
{
	static const struct {
		const char	*method, *body;
		int		 status;
		const char	*detail;
	} cases[] = {
		{ "GET", NULL, 405, "method not allowed: use POST" },
		{ NULL, NULL, 405, "method not allowed: use POST" },
		{ "PUT", GOOD, 405, "method not allowed: use POST" },
		{ "POST", "{\"trace_id\":", 400, "malformed JSON" },
		{ "POST", "{}", 422, "trace_id is required" },
		{ "POST", "{\"trace_id\":\"" TID "\",\"span_id\":\"" SID "\","
		    "\"session_id\":\"s-1\",\"label\":\"meh\"}", 422,
		    "label must be thumbs_up or thumbs_down" },
		{ "POST", NULL, 400, "no request body" },
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		handle(fx, cases[i].method, cases[i].body);
		assert_int_equal(fx->out.status, cases[i].status);
		assert_non_null(field(fx->body, "detail"));
		assert_non_null(strstr(field(fx->body, "detail"),
		    cases[i].detail));
		if (cases[i].status == 405)
			assert_string_equal(fx->out.headers, "Allow: POST\r\n");
		else
			assert_null(fx->out.headers);
	}
	assert_int_equal(spool_lines(fx, NULL), 0);
}

/* A failed body read keeps its status and message. */
static void
test_read_error_passed_on(void **state)
{
	struct fx *fx = *state;
	struct feedback_input in = { .method = "POST", .body_status = 413,
	    .body_error = "body too large" };

	feedback_handle(fx->spool, &in, &fx->out);
	assert_int_equal(fx->out.status, 413);
	assert_non_null(fx->body = json_tokener_parse(fx->out.body));
	assert_string_equal(field(fx->body, "detail"), "body too large");
	assert_int_equal(spool_lines(fx, NULL), 0);
}

/* A spool that cannot take the line answers 503, not 202. */
static void
test_spool_failure_is_503(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(rmdir(fx->dir), 0);	/* gone under the writer */
	handle(fx, "POST", GOOD);
	assert_int_equal(fx->out.status, 503);
	assert_non_null(strstr(field(fx->body, "detail"),
	    "feedback not stored"));
	assert_int_equal(mkdir(fx->dir, 0750), 0);	/* for teardown */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_comment_limit),
		cmocka_unit_test(test_time_is_now),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_accepted),
		T(test_errors_write_nothing),
		T(test_read_error_passed_on),
		T(test_spool_failure_is_503),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
