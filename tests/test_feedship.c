/* test_feedship.c - the feedback shipper against a scripted Phoenix:
 * exporter_send is replaced at link time (tests/unit.cmake) by a double
 * that answers span requests (protobuf) as the span collector's script
 * says and annotation requests (JSON) as queued with will_return, and
 * keeps every annotation request's body. Spools are real directories in a
 * temp dir; feedback lines are written by feedrec_line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "exporter.h"
#include "feedrec.h"
#include "feedship.h"
#include "flusher.h"
#include "spoolfmt.h"
#include "testutil.h"
#include "xalloc.h"

int __wrap_exporter_send(struct exporter *ex, const uint8_t *pb, size_t len,
    struct exporter_result *res);

#define MAX_SENDS	64
#define PATH_LEN	400

struct reply {
	enum exporter_outcome	 outcome;
	long			 status;
	const char		*body;
};

static const struct reply r_ok = { EXPORTER_OK, 200, "{\"data\":[]}" };
static const struct reply r_503 = { EXPORTER_RETRY, 503, "" };
static const struct reply r_401 = { EXPORTER_CONFIG, 401, "Invalid token" };
static const struct reply r_route = { EXPORTER_CONFIG, 404,
    "{\"detail\":\"Not Found\"}" };
static const struct reply r_missing = { EXPORTER_CONFIG, 404,
    "{\"detail\":\"Spans with IDs 00000000000000aa do not exist.\"}" };

static struct {
	char		*body[MAX_SENDS];	/* annotation requests */
	size_t		 n, spans_requests;
	enum exporter_outcome spans_answer;	/* for span requests */
	const char	*refuse;	/* 422 for a body holding it */
} dbl;

int
__wrap_exporter_send(struct exporter *ex, const uint8_t *pb, size_t len,
    struct exporter_result *res)
{
	const struct reply *r;

	(void)ex;
	memset(res, 0, sizeof(*res));
	res->retry_after_ms = -1;
	if (len == 0 || pb[0] != '{') {		/* spans, protobuf */
		dbl.spans_requests++;
		res->outcome = dbl.spans_answer;
		res->http_status = dbl.spans_answer == EXPORTER_OK ? 200 : 503;
		snprintf(res->msg, sizeof(res->msg), "spans");
		return dbl.spans_answer == EXPORTER_OK ? 0 : -1;
	}
	assert_true(dbl.n < MAX_SENDS);
	dbl.body[dbl.n] = xmalloc(len + 1);
	memcpy(dbl.body[dbl.n], pb, len);
	dbl.body[dbl.n++][len] = '\0';
	if (dbl.refuse != NULL && strstr(dbl.body[dbl.n - 1], dbl.refuse)) {
		res->outcome = EXPORTER_REJECT;
		res->http_status = 422;
		snprintf(res->msg, sizeof(res->msg), "HTTP 422: refused");
		return -1;
	}
	r = mock_ptr_type(const struct reply *);
	res->outcome = r->outcome;
	res->http_status = r->status;
	res->body = (const uint8_t *)r->body;
	res->body_len = strlen(r->body);
	snprintf(res->msg, sizeof(res->msg), "HTTP %ld", r->status);
	return r->outcome == EXPORTER_OK ? 0 : -1;
}

/* ---- The spool -------------------------------------------------------- */

struct fx {
	char			 dir[PATH_LEN];
	struct exporter_config	 ecfg;
	struct exporter		*ex;
	struct flusher		*fl;
	struct feedship		*fs;
};

static void
fx_open(struct fx *fx, const char *base, long long missing_wait_ms)
{
	struct flusher_config fc = { .spool_dir = fx->dir,
	    .max_bytes = (long long)1 << 40, .keep_sent_bytes = 1 << 30,
	    .rejected_max_bytes = 1 << 30, .batch_spans = 512,
	    .batch_bytes = 1 << 20 };
	struct feedship_config cfg = { .spool_dir = fx->dir,
	    .missing_wait_ms = missing_wait_ms };
	char err[256];

	memset(&fx->ecfg, 0, sizeof(fx->ecfg));
	fx->ecfg.url = xstrdup("http://127.0.0.1:9/v1/traces");
	fx->ecfg.timeout_ms = 1000;
	fx->ecfg.rest_base = base != NULL ? xstrdup(base) : NULL;
	assert_non_null(fx->ex = exporter_new(&fx->ecfg));
	if ((fx->fl = flusher_new(&fc, fx->ex, err, sizeof(err))) == NULL)
		fail_msg("flusher_new: %s", err);
	if ((fx->fs = feedship_new(&cfg, fx->fl, &fx->ecfg, err,
	    sizeof(err))) == NULL)
		fail_msg("feedship_new: %s", err);
}

static void
fx_close(struct fx *fx)
{
	feedship_free(fx->fs);
	flusher_free(fx->fl);
	exporter_free(fx->ex);
	exporter_config_cleanup(&fx->ecfg);
	fx->fs = NULL;
	fx->fl = NULL;
}

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	memset(&dbl, 0, sizeof(dbl));
	dbl.spans_answer = EXPORTER_OK;
	assert_non_null(testutil_mkdtemp(fx->dir, sizeof(fx->dir), "feedship"));
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->fs != NULL)
		fx_close(fx);
	for (size_t i = 0; i < dbl.n; i++)
		free(dbl.body[i]);
	testutil_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* Append a vote on span id (16 hex) to DIR/sub/name. */
static void
vote(const char *dir, const char *name, const char *span, int up,
    const char *comment, long long t)
{
	struct feedrec r = { .up = up, .time_unix_nano = t };
	char path[PATH_LEN + 128];
	struct buf b;
	FILE *fp;

	snprintf(r.trace_id, sizeof(r.trace_id), "%s", "5b8efff798038103d269b633813fc60c");
	snprintf(r.span_id, sizeof(r.span_id), "%s", span);
	snprintf(r.session_id, sizeof(r.session_id), "%s", "sess-1");
	r.comment = comment != NULL ? xstrdup(comment) : NULL;
	feedrec_set_identifier(&r);
	buf_init(&b, 1 << 20);
	assert_int_equal(feedrec_line(&b, &r), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "a"));
	assert_int_equal(fwrite(b.data, 1, b.len, fp), b.len);
	fclose(fp);
	buf_cleanup(&b);
	free(r.comment);
}

static void
append(const char *dir, const char *name, const char *text)
{
	char path[PATH_LEN + 128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "a"));
	fputs(text, fp);
	fclose(fp);
}

#define FB1	"feedback-1700000000000-1-00000000-0.jsonl"
#define FB2	"feedback-1700000000001-1-00000000-0.jsonl"
#define SP1	"spans-1700000000000-1-00000000-0.jsonl"
#define SPANS_LINE "{\"resourceSpans\":[{\"resource\":{},\"scopeSpans\":" \
	"[{\"scope\":{},\"spans\":[{\"traceId\":" \
	"\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"00000000000000aa\"," \
	"\"name\":\"chat_turn\",\"kind\":1,\"startTimeUnixNano\":\"1\"," \
	"\"endTimeUnixNano\":\"2\"}]}]}]}\n"

static int
exists(const char *dir, const char *sub, const char *name)
{
	char path[PATH_LEN + 256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s%s%s", dir, sub, *sub ? "/" : "",
	    name);
	return stat(path, &st) == 0;
}

/* The annotations of request i, parsed (put by the caller). */
static json_object *
request_data(size_t i)
{
	json_object *root, *data;

	assert_true(i < dbl.n);
	assert_non_null(root = json_tokener_parse(dbl.body[i]));
	assert_true(json_object_object_get_ex(root, "data", &data));
	json_object_get(data);
	json_object_put(root);
	return data;
}

static const char *
str_at(json_object *o, const char *a, const char *b)
{
	json_object *v;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

static enum flusher_step
step(struct fx *fx)
{
	long delay;

	return feedship_step(fx->fs, &delay);
}

/* ---- Tests ------------------------------------------------------------ */

/* The body is Phoenix's AnnotateSpansRequestBody, field by field. */
static void
test_body(void **state)
{
	char salty[] = "too salty \"really\"";
	struct feedrec a = { .up = 0, .comment = salty };
	struct feedrec b = { .up = 1 };
	const struct feedrec *v[] = { &a, &b };
	json_object *root, *data, *it;
	struct buf out;

	(void)state;
	snprintf(a.span_id, sizeof(a.span_id), "00000000000000aa");
	snprintf(a.trace_id, sizeof(a.trace_id), "%032x", 7);
	snprintf(a.session_id, sizeof(a.session_id), "s1");
	feedrec_set_identifier(&a);
	b = a;
	b.up = 1;
	b.comment = NULL;
	buf_init(&out, 1 << 20);
	assert_int_equal(feedship_body(&out, v, 2), 0);
	assert_non_null(root = json_tokener_parse(out.data));
	assert_true(json_object_object_get_ex(root, "data", &data));
	assert_int_equal(json_object_array_length(data), 2);
	it = json_object_array_get_idx(data, 0);
	assert_string_equal(str_at(it, "span_id", NULL), "00000000000000aa");
	assert_string_equal(str_at(it, "name", NULL), "user_feedback");
	assert_string_equal(str_at(it, "annotator_kind", NULL), "HUMAN");
	assert_string_equal(str_at(it, "result", "label"), "thumbs_down");
	assert_string_equal(str_at(it, "result", "score"), "0");
	assert_string_equal(str_at(it, "result", "explanation"),
	    "too salty \"really\"");
	assert_string_equal(str_at(it, "identifier", NULL),
	    "fb-00000000000000aa");
	assert_string_equal(str_at(it, "metadata", "session_id"), "s1");
	assert_string_equal(str_at(it, "metadata", "trace_id"), a.trace_id);
	it = json_object_array_get_idx(data, 1);
	assert_string_equal(str_at(it, "result", "label"), "thumbs_up");
	assert_string_equal(str_at(it, "result", "score"), "1");
	assert_null(str_at(it, "result", "explanation"));
	json_object_put(root);
	buf_cleanup(&out);
}

/* Three votes, one request; the segment then goes to sent/ and nothing
 * is sent again, even by a new shipper. */
static void
test_ships_once(void **state)
{
	struct fx *fx = *state;
	json_object *data;

	vote(fx->dir, FB1, "00000000000000a1", 1, NULL, 1);
	vote(fx->dir, FB1, "00000000000000a2", 0, "meh", 2);
	vote(fx->dir, FB1, "00000000000000a3", 0, NULL, 3);
	fx_open(fx, "http://127.0.0.1:9", -1);
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_int_equal(step(fx), FLUSHER_IDLE);
	assert_int_equal(dbl.n, 1);
	data = request_data(0);
	assert_int_equal(json_object_array_length(data), 3);
	json_object_put(data);
	assert_int_equal(feedship_stats(fx->fs)->annotations_sent, 3);
	assert_false(exists(fx->dir, "", FB1));
	assert_true(exists(fx->dir, "sent", FB1));
	fx_close(fx);
	fx_open(fx, "http://127.0.0.1:9", -1);
	assert_int_equal(step(fx), FLUSHER_IDLE);
	assert_int_equal(dbl.n, 1);
}

/* Offsets survive a restart: only what was not taken is sent again. */
static void
test_restart_resumes(void **state)
{
	struct fx *fx = *state;
	json_object *data;
	char path[PATH_LEN + 64];
	int fd;

	/* A writer still holds the segment: it stays, growing. */
	vote(fx->dir, FB1, "00000000000000a1", 1, NULL, 1);
	snprintf(path, sizeof(path), "%s/" FB1, fx->dir);
	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_int_equal(flock(fd, LOCK_SH), 0);
	fx_open(fx, "http://127.0.0.1:9", -1);
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_SENT);
	fx_close(fx);
	vote(fx->dir, FB1, "00000000000000a2", 0, NULL, 2);
	fx_open(fx, "http://127.0.0.1:9", -1);
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_int_equal(dbl.n, 2);
	data = request_data(1);
	assert_int_equal(json_object_array_length(data), 1);
	assert_string_equal(str_at(json_object_array_get_idx(data, 0),
	    "span_id", NULL), "00000000000000a2");
	json_object_put(data);
	assert_true(exists(fx->dir, "", FB1));
	close(fd);
}

/* While the spans read before a vote cannot be shipped, the vote waits;
 * it goes once they are. */
static void
test_waits_for_spans(void **state)
{
	struct fx *fx = *state;
	long delay;

	append(fx->dir, SP1, SPANS_LINE);
	vote(fx->dir, FB1, "00000000000000aa", 0, NULL, 1);
	fx_open(fx, "http://127.0.0.1:9", -1);
	dbl.spans_answer = EXPORTER_RETRY;
	assert_int_equal(flusher_step(fx->fl, &delay), FLUSHER_RETRY);
	assert_int_equal(step(fx), FLUSHER_IDLE);
	assert_true(feedship_waiting(fx->fs));
	assert_int_equal(step(fx), FLUSHER_IDLE);
	assert_int_equal(dbl.n, 0);
	dbl.spans_answer = EXPORTER_OK;
	assert_int_equal(flusher_step(fx->fl, &delay), FLUSHER_SENT);
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_int_equal(dbl.n, 1);
	assert_false(feedship_waiting(fx->fs));
}

/* 503 then 200: the same body again, counted once. */
static void
test_retry_same_batch(void **state)
{
	struct fx *fx = *state;

	vote(fx->dir, FB1, "00000000000000a1", 1, NULL, 1);
	fx_open(fx, "http://127.0.0.1:9", -1);
	will_return(__wrap_exporter_send, &r_503);
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_RETRY);
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_int_equal(dbl.n, 2);
	assert_string_equal(dbl.body[0], dbl.body[1]);
	assert_int_equal(feedship_stats(fx->fs)->annotations_sent, 1);
	assert_int_equal(feedship_stats(fx->fs)->retries, 1);
}

/* 401 and a missing route: settings, nothing set aside, all kept. */
static void
test_config_keeps(void **state)
{
	struct fx *fx = *state;

	vote(fx->dir, FB1, "00000000000000a1", 1, NULL, 1);
	fx_open(fx, "http://127.0.0.1:9", -1);
	will_return(__wrap_exporter_send, &r_401);
	will_return(__wrap_exporter_send, &r_route);
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_CONFIG);
	assert_int_equal(step(fx), FLUSHER_CONFIG);
	assert_false(exists(fx->dir, "rejected", FB1));
	assert_true(exists(fx->dir, "", FB1));
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_true(exists(fx->dir, "sent", FB1));
}

/* A 422 for one record: halved until it is alone, only it set aside
 * (under the feedback segment's name, with a reason). */
static void
test_refused_alone(void **state)
{
	struct fx *fx = *state;
	char path[PATH_LEN + 64];
	FILE *fp;
	char line[4096];
	int n = 0;

	vote(fx->dir, FB1, "00000000000000a1", 1, NULL, 1);
	vote(fx->dir, FB1, "00000000000000a2", 1, NULL, 2);
	vote(fx->dir, FB1, "00000000000000a3", 0, NULL, 3);
	vote(fx->dir, FB1, "00000000000000a4", 0, NULL, 4);
	fx_open(fx, "http://127.0.0.1:9", -1);
	dbl.refuse = "00000000000000a3";
	/* [0,4) refused, [0,2) taken, [2,4) refused, [2,3) refused and
	 * set aside, [3,4) taken: two answers from the script. */
	will_return(__wrap_exporter_send, &r_ok);
	will_return(__wrap_exporter_send, &r_ok);
	while (step(fx) == FLUSHER_SENT && n++ < 20)
		;
	assert_int_equal(dbl.n, 5);
	assert_int_equal(feedship_stats(fx->fs)->refused, 1);
	assert_int_equal(feedship_stats(fx->fs)->annotations_sent, 3);
	snprintf(path, sizeof(path), "%s/rejected/" FB1, fx->dir);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, "00000000000000a3"));
	assert_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_true(exists(fx->dir, "rejected", FB1 ".reason"));
	assert_true(exists(fx->dir, "sent", FB1));
}

/* A span Phoenix does not have: waited out, then set aside. */
static void
test_missing_span(void **state)
{
	struct fx *fx = *state;

	vote(fx->dir, FB1, "00000000000000aa", 0, NULL, 1);
	fx_open(fx, "http://127.0.0.1:9", 3600 * 1000);
	will_return(__wrap_exporter_send, &r_missing);
	assert_int_equal(step(fx), FLUSHER_RETRY);
	assert_false(exists(fx->dir, "rejected", FB1));
	fx_close(fx);
	fx_open(fx, "http://127.0.0.1:9", 0);
	will_return(__wrap_exporter_send, &r_missing);
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_true(exists(fx->dir, "rejected", FB1));
	assert_int_equal(feedship_stats(fx->fs)->refused, 1);
}

/* Lines that are not feedback records go aside; the rest ships. */
static void
test_bad_lines(void **state)
{
	struct fx *fx = *state;
	json_object *data;

	append(fx->dir, FB1, "{\"feedback\":{\"spanId\":\"zz\"}}\n");
	append(fx->dir, FB1, SPANS_LINE);
	vote(fx->dir, FB1, "00000000000000a1", 1, NULL, 1);
	fx_open(fx, "http://127.0.0.1:9", -1);
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_int_equal(feedship_stats(fx->fs)->bad_lines, 2);
	data = request_data(0);
	assert_int_equal(json_object_array_length(data), 1);
	json_object_put(data);
	assert_true(exists(fx->dir, "rejected", FB1));
}

/* No base URL (a plain collector, no PHOENIX_ENDPOINT): feedback waits. */
static void
test_no_base_waits(void **state)
{
	struct fx *fx = *state;
	char path[PATH_LEN + 64];

	vote(fx->dir, FB1, "00000000000000a1", 1, NULL, 1);
	fx_open(fx, NULL, -1);
	assert_int_equal(step(fx), FLUSHER_CONFIG);
	assert_int_equal(step(fx), FLUSHER_CONFIG);
	assert_int_equal(dbl.n, 0);
	assert_true(exists(fx->dir, "", FB1));
	fx_close(fx);
	/* Nothing to ship: idle, not a settings error. */
	snprintf(path, sizeof(path), "%s/" FB1, fx->dir);
	assert_int_equal(unlink(path), 0);
	fx_open(fx, NULL, -1);
	assert_int_equal(step(fx), FLUSHER_IDLE);
}

/* A changed vote in an older writer's segment still ends last. */
static void
test_newest_last(void **state)
{
	struct fx *fx = *state;
	json_object *data;

	vote(fx->dir, FB1, "00000000000000aa", 1, NULL, 20);
	vote(fx->dir, FB2, "00000000000000aa", 0, NULL, 10);
	fx_open(fx, "http://127.0.0.1:9", -1);
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_SENT);
	data = request_data(0);
	assert_int_equal(json_object_array_length(data), 2);
	assert_string_equal(str_at(json_object_array_get_idx(data, 1),
	    "result", "label"), "thumbs_up");
	json_object_put(data);
}

/* An older vote read after a newer one went out (another writer's
 * segment, read later) is not sent: it would overwrite the newer one. */
static void
test_older_after_newer(void **state)
{
	struct fx *fx = *state;

	vote(fx->dir, FB1, "00000000000000aa", 0, "late", 20);
	vote(fx->dir, FB1, "00000000000000ab", 1, NULL, 5);
	fx_open(fx, "http://127.0.0.1:9", -1);
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_int_equal(dbl.n, 1);
	vote(fx->dir, FB2, "00000000000000aa", 1, NULL, 10);
	vote(fx->dir, FB2, "00000000000000ab", 0, NULL, 30);
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_int_equal(step(fx), FLUSHER_IDLE);
	assert_int_equal(dbl.n, 2);
	/* Only ab's newer vote went out the second time. */
	assert_non_null(strstr(dbl.body[1], "00000000000000ab"));
	assert_null(strstr(dbl.body[1], "00000000000000aa"));
	assert_int_equal(feedship_stats(fx->fs)->superseded, 1);
	assert_int_equal(feedship_stats(fx->fs)->annotations_sent, 3);
}

/* --redrive queues a refused feedback file again as feedback. */
static void
test_redrive_feedback(void **state)
{
	struct fx *fx = *state;
	struct dirent *de;
	int feedback = 0, spans = 0;
	DIR *d;

	vote(fx->dir, FB1, "00000000000000a3", 0, NULL, 3);
	fx_open(fx, "http://127.0.0.1:9", -1);
	dbl.refuse = "00000000000000a3";
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_true(exists(fx->dir, "rejected", FB1));
	assert_int_equal(flusher_redrive(fx->fl), 1);
	assert_false(exists(fx->dir, "rejected", FB1));
	assert_non_null(d = opendir(fx->dir));
	while ((de = readdir(d)) != NULL) {
		feedback += spoolfmt_segment_kind(de->d_name) ==
		    SPOOLFMT_KIND_FEEDBACK;
		spans += spoolfmt_segment_kind(de->d_name) ==
		    SPOOLFMT_KIND_SPANS;
	}
	closedir(d);
	assert_int_equal(feedback, 1);
	assert_int_equal(spans, 0);
	dbl.refuse = NULL;
	will_return(__wrap_exporter_send, &r_ok);
	assert_int_equal(step(fx), FLUSHER_SENT);
	assert_int_equal(feedship_stats(fx->fs)->annotations_sent, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body),
		cmocka_unit_test_setup_teardown(test_ships_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_resumes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_spans, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retry_same_batch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_config_keeps, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_alone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_span, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_base_waits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_newest_last, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_older_after_newer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_redrive_feedback, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
