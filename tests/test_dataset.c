/* test_dataset.c - turns from spool lines become dataset examples: the
 * conversation without the system prompt, the answer, the vote, the span
 * link; filters, turns the model never saw, the limit; Phoenix's answers
 * to an upload; the base URL as Phoenix's client finds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dataset.h"
#include "spoolfmt.h"
#include "testutil.h"

#define TRACE	"4bf92f3577b34da6a3ce929d0e0e47%02x"
#define T0	"1764000000000000000"

static char linebuf[16384];

/* A string attribute. */
static int
attr(char *out, size_t n, const char *key, const char *val)
{
	return snprintf(out, n, "{\"key\":\"%s\",\"value\":{\"stringValue\":"
	    "\"%s\"}},", key, val);
}

/* One spool line with turn k: its completion span (unless no_llm) and its
 * chat_turn span, answered or (error) failed. */
static const char *
turn_line(unsigned k, int no_llm, int error)
{
	char llm[4096] = "", a[2048];
	size_t n = 0;

	n += attr(a + n, sizeof(a) - n, "openinference.span.kind", "LLM");
	n += attr(a + n, sizeof(a) - n, "session.id", "sess-1");
	n += attr(a + n, sizeof(a) - n, "llm.model_name", "gpt-4o-mini");
	n += attr(a + n, sizeof(a) - n, "llm.input_messages.0.message.role",
	    "system");
	n += attr(a + n, sizeof(a) - n,
	    "llm.input_messages.0.message.content", "You are a chef.");
	/* Out of order on purpose: the index orders them, not the list. */
	n += attr(a + n, sizeof(a) - n,
	    "llm.input_messages.2.message.content", "Sure, which one?");
	n += attr(a + n, sizeof(a) - n, "llm.input_messages.2.message.role",
	    "assistant");
	n += attr(a + n, sizeof(a) - n, "llm.input_messages.1.message.role",
	    "user");
	n += attr(a + n, sizeof(a) - n,
	    "llm.input_messages.1.message.content", "a soup \\\"please\\\"");
	n += attr(a + n, sizeof(a) - n, "llm.input_messages.3.message.role",
	    "user");
	n += attr(a + n, sizeof(a) - n,
	    "llm.input_messages.3.message.content", "lentil");
	a[n - 1] = '\0';
	if (!no_llm)
		snprintf(llm, sizeof(llm), "{\"traceId\":\"" TRACE "\","
		    "\"spanId\":\"00000000000001%02x\",\"parentSpanId\":"
		    "\"00000000000000%02x\",\"name\":\"completion\",\"kind\":3,"
		    "\"startTimeUnixNano\":\"" T0 "\",\"endTimeUnixNano\":\""
		    T0 "\",\"status\":{\"code\":%d},\"attributes\":[%s]},",
		    k, k, k, error ? 2 : 1, a);
	n = attr(a, sizeof(a), "openinference.span.kind", "AGENT");
	n += attr(a + n, sizeof(a) - n, "session.id", "sess-1");
	n += attr(a + n, sizeof(a) - n, "input.value", "lentil");
	if (!error)
		n += attr(a + n, sizeof(a) - n, "output.value", "Lentil soup!");
	a[n - 1] = '\0';
	snprintf(linebuf, sizeof(linebuf), "{\"resourceSpans\":[{\"resource\":"
	    "{\"attributes\":[]},\"scopeSpans\":[{\"scope\":{\"name\":\"t\"},"
	    "\"spans\":[%s{\"traceId\":\"" TRACE "\",\"spanId\":"
	    "\"00000000000000%02x\",\"name\":\"chat_turn\",\"kind\":2,"
	    "\"startTimeUnixNano\":\"" T0 "\",\"endTimeUnixNano\":\"" T0 "\","
	    "\"status\":{\"code\":%d%s},\"attributes\":[%s]}]}]}]}", llm, k, k,
	    error ? 2 : 1, error ? ",\"message\":\"model endpoint timed out\""
	    : "", a);
	return linebuf;
}

static int
add(struct dataset *d, const char *line)
{
	return dataset_line(line, strlen(line), d);
}

/* The request body as a json-c tree; caller puts. */
static json_object *
request(struct dataset *d, int append)
{
	char *s = dataset_request_json(d, "disliked", "why", append);
	json_object *o = json_tokener_parse(s);

	free(s);
	assert_non_null(o);
	return o;
}

static const char *
member(json_object *o, const char *key)
{
	return json_object_get_string(json_object_object_get(o, key));
}

static const char *
path(json_object *o, const char *a, int i, const char *b)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, a, &v));
	v = json_object_array_get_idx(v, (size_t)i);
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

static void
test_example(void **state)
{
	struct dataset *d = dataset_new(&(struct spanfilter){ 0 }, NULL, 0);
	json_object *o, *msgs;

	(void)state;
	assert_int_equal(add(d, turn_line(1, 0, 0)), 0);
	assert_int_equal(dataset_stats(d)->turns, 1);
	assert_int_equal(dataset_stats(d)->selected, 1);
	o = request(d, 0);
	assert_string_equal(member(o, "action"), "create");
	assert_string_equal(member(o, "name"), "disliked");
	assert_string_equal(member(o, "description"), "why");
	msgs = json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(o, "inputs"), 0), "messages");
	/* The system prompt is left out; the rest keeps its order. */
	assert_int_equal(json_object_array_length(msgs), 3);
	assert_string_equal(json_object_to_json_string_ext(msgs,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "[{\"role\":\"user\",\"content\":\"a soup \\\"please\\\"\"},"
	    "{\"role\":\"assistant\",\"content\":\"Sure, which one?\"},"
	    "{\"role\":\"user\",\"content\":\"lentil\"}]");
	assert_string_equal(path(o, "outputs", 0, "content"), "Lentil soup!");
	assert_string_equal(path(o, "metadata", 0, "session_id"), "sess-1");
	assert_string_equal(path(o, "metadata", 0, "trace_id"),
	    "4bf92f3577b34da6a3ce929d0e0e4701");
	assert_string_equal(path(o, "metadata", 0, "model"), "gpt-4o-mini");
	assert_null(path(o, "metadata", 0, "feedback"));
	assert_string_equal(path(o, "span_ids", 0, NULL), "0000000000000001");
	json_object_put(o);
	o = request(d, 1);
	assert_string_equal(member(o, "action"), "append");
	json_object_put(o);
	dataset_free(d);
}

/* A feedback line as /feedback writes it. */
static void
vote(struct feedidx *x, unsigned k, int up, const char *comment)
{
	struct feedrec r;
	struct buf b;

	memset(&r, 0, sizeof(r));
	snprintf(r.trace_id, sizeof(r.trace_id), TRACE, k);
	snprintf(r.span_id, sizeof(r.span_id), "00000000000000%02x", k);
	strcpy(r.session_id, "sess-1");
	r.up = up;
	r.comment = comment != NULL ? strdup(comment) : NULL;
	r.time_unix_nano = 1;
	feedrec_set_identifier(&r);
	buf_init(&b, 1 << 16);
	assert_int_equal(feedrec_line(&b, &r), 0);
	assert_int_equal(feedidx_add(x, b.data, b.len - 1, NULL, 0), 1);
	buf_cleanup(&b);
	feedrec_clear(&r);
}

static void
test_feedback(void **state)
{
	struct feedidx *x = feedidx_new();
	struct spanfilter f = { .feedback = -1, .votes = x };
	struct dataset *d = dataset_new(&f, x, 0);
	json_object *o;
	unsigned k;

	(void)state;
	vote(x, 2, 0, "too salty");
	vote(x, 3, 1, NULL);
	for (k = 1; k <= 3; k++)
		assert_int_equal(add(d, turn_line(k, 0, 0)), 0);
	assert_int_equal(dataset_stats(d)->turns, 3);
	assert_int_equal(dataset_stats(d)->selected, 1);
	o = request(d, 0);
	assert_string_equal(path(o, "span_ids", 0, NULL), "0000000000000002");
	assert_string_equal(path(o, "metadata", 0, "feedback"), "thumbs_down");
	assert_string_equal(path(o, "metadata", 0, "comment"), "too salty");
	json_object_put(o);
	dataset_free(d);
	feedidx_free(x);
}

static void
test_skips_and_limit(void **state)
{
	struct spanfilter f = { 0 };
	struct dataset *d = dataset_new(&f, NULL, 2);
	json_object *o;

	(void)state;
	assert_int_equal(add(d, turn_line(1, 1, 1)), 0);	/* no LLM span */
	assert_int_equal(add(d, turn_line(2, 0, 1)), 0);	/* failed call */
	assert_int_equal(add(d, turn_line(3, 0, 0)), 0);
	assert_int_equal(add(d, turn_line(4, 0, 0)), 0);	/* past limit */
	assert_int_equal(add(d, "{\"resourceSpans\":[{"), -1);
	assert_int_equal(dataset_stats(d)->turns, 4);
	assert_int_equal(dataset_stats(d)->matched, 4);
	assert_int_equal(dataset_stats(d)->no_llm, 1);
	assert_int_equal(dataset_stats(d)->selected, 2);
	assert_int_equal(dataset_stats(d)->over_limit, 1);
	assert_int_equal(dataset_stats(d)->bad_lines, 1);
	o = request(d, 0);
	assert_string_equal(path(o, "span_ids", 0, NULL), "0000000000000002");
	assert_null(path(o, "outputs", 0, "content"));
	assert_string_equal(path(o, "outputs", 0, "error"),
	    "model endpoint timed out");
	assert_string_equal(path(o, "span_ids", 1, NULL), "0000000000000003");
	json_object_put(o);
	dataset_free(d);
	/* --errors: only the failed turn that reached the model. */
	f.errors = 1;
	d = dataset_new(&f, NULL, 0);
	for (unsigned k = 1; k <= 3; k++)
		assert_int_equal(add(d, turn_line(k, k == 1, k < 3)), 0);
	assert_int_equal(dataset_stats(d)->matched, 2);
	assert_int_equal(dataset_stats(d)->selected, 1);
	dataset_free(d);
}

static void
test_describe(void **state)
{
	struct spanfilter f = { .feedback = -1, .since_ns =
	    1764000000000000000ULL, .session = "s1" };
	char out[256];

	(void)state;
	dataset_describe(&f, out, sizeof(out));
	assert_string_equal(out, "spool-dataset: chat turns of session s1 "
	    "with feedback thumbs_down since 2025-11-24T16:00:00Z");
	dataset_describe(&(struct spanfilter){ 0 }, out, sizeof(out));
	assert_string_equal(out, "spool-dataset: chat turns");
}

static void
test_answers(void **state)
{
	struct dataset_result r;
	const char *ok = "{\"data\":{\"dataset_id\":\"RGF0YXNldDox\","
	    "\"version_id\":\"RGF0YXNldFZlcnNpb246MQ==\","
	    "\"num_created_examples\":2,\"num_updated_examples\":0,"
	    "\"num_deleted_examples\":0}}";

	(void)state;
	assert_int_equal(dataset_answer(200, ok, strlen(ok), "d", &r),
	    DATASET_UPLOADED);
	assert_string_equal(r.dataset_id, "RGF0YXNldDox");
	assert_int_equal(r.created, 2);
	assert_int_equal(dataset_answer(200, "null", 4, "d", &r),
	    DATASET_BAD_ANSWER);
	assert_int_equal(dataset_answer(409, "A dataset named \"d\" already "
	    "exists.", 33, "d", &r), DATASET_EXISTS);
	assert_non_null(strstr(r.msg, "--append"));
	assert_int_equal(dataset_answer(422, "span_ids must be a list", 23,
	    "d", &r), DATASET_REFUSED);
	assert_non_null(strstr(r.msg, "refused the upload (HTTP 422): span_ids must be a list"));
	assert_int_equal(dataset_answer(401, "Invalid token", 13, "d", &r),
	    DATASET_REFUSED);
	assert_non_null(strstr(r.msg, "PHOENIX_API_KEY"));
	assert_int_equal(dataset_answer(503, "", 0, "d", &r),
	    DATASET_UNAVAILABLE);
	assert_int_equal(dataset_answer(429, "", 0, "d", &r),
	    DATASET_UNAVAILABLE);
}

/* A spool of n turns (limit 2) and a torn line: progress every
 * DATASET_PROGRESS_EVERY turns and at the end, then what was left out. */
static void
test_read_spool(void **state)
{
	struct dataset *d = dataset_new(&(struct spanfilter){ 0 }, NULL, 2);
	char dir[64], name[128], path[256], err[256], *out = NULL;
	size_t outlen = 0;
	FILE *fp;
	unsigned k;

	(void)state;
	assert_non_null(testutil_mkdtemp(dir, sizeof(dir), "rc-dataset"));
	assert_int_equal(spoolfmt_segment_name(name, sizeof(name),
	    SPOOLFMT_KIND_SPANS, 1764000000000LL, 42, "0000abcd", 1), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	for (k = 0; k < DATASET_PROGRESS_EVERY + 1; k++)
		fprintf(fp, "%s\n", turn_line(k % 200 + 1, 0, 0));
	fputs("{\"resourceSpans\":[{\n", fp);
	fclose(fp);
	assert_non_null(fp = open_memstream(&out, &outlen));
	assert_int_equal(dataset_read_spool(d, dir, fp, err, sizeof(err)), 0);
	dataset_report(fp, d);
	fclose(fp);
	assert_string_equal(out, "spool-dataset: so far 2 of 1000 turns\n"
	    "spool-dataset: selected 2 of 1001 turns\n"
	    "spool-dataset: skipped 1 unparsable or torn lines\n"
	    "spool-dataset: left out 999 matching turns past --limit 2\n");
	free(out);
	dataset_free(d);
	/* No progress asked for; a spool that is not there. */
	d = dataset_new(&(struct spanfilter){ 0 }, NULL, 0);
	assert_int_equal(dataset_read_spool(d, dir, NULL, err, sizeof(err)),
	    0);
	assert_int_equal(dataset_stats(d)->turns, 1001);
	assert_int_equal(testutil_rmtree(dir), 0);
	err[0] = '\0';
	assert_int_equal(dataset_read_spool(d, dir, NULL, err, sizeof(err)),
	    -1);
	assert_true(err[0] != '\0');
	dataset_free(d);
}

static void
test_report_nothing_left_out(void **state)
{
	struct dataset *d = dataset_new(&(struct spanfilter){ 0 }, NULL, 0);
	char *out = NULL;
	size_t outlen = 0;
	FILE *fp;

	(void)state;
	assert_int_equal(add(d, turn_line(1, 0, 0)), 0);
	assert_non_null(fp = open_memstream(&out, &outlen));
	dataset_report(fp, d);
	fclose(fp);
	assert_string_equal(out, "");
	free(out);
	dataset_free(d);
}

static void
test_exit_status(void **state)
{
	(void)state;
	assert_int_equal(dataset_exit_status(DATASET_UPLOADED), 0);
	assert_int_equal(dataset_exit_status(DATASET_UNAVAILABLE),
	    DATASET_EXIT_UNAVAILABLE);
	assert_int_equal(dataset_exit_status(DATASET_BAD_ANSWER),
	    DATASET_EXIT_UNAVAILABLE);
	assert_int_equal(dataset_exit_status(DATASET_EXISTS),
	    DATASET_EXIT_REFUSED);
	assert_int_equal(dataset_exit_status(DATASET_REFUSED),
	    DATASET_EXIT_REFUSED);
	assert_int_equal(dataset_exit_status(-1), DATASET_EXIT_USAGE);
	/* The documented numbers (--help, docs/spool-dataset.md). */
	assert_int_equal(DATASET_EXIT_UNAVAILABLE, 1);
	assert_int_equal(DATASET_EXIT_USAGE, 2);
	assert_int_equal(DATASET_EXIT_NOTHING, 3);
	assert_int_equal(DATASET_EXIT_REFUSED, 4);
	assert_int_equal(DATASET_EXIT_LOCAL, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_feedback),
		cmocka_unit_test(test_skips_and_limit),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_read_spool),
		cmocka_unit_test(test_report_nothing_left_out),
		cmocka_unit_test(test_exit_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
