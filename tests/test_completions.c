/* test_completions.c - the chat completions server side: the request table
 * in tests/data/completions_requests.test, and the bodies answered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "completions.h"
#include "hash.h"
#include "testutil.h"

static json_object *
parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

/* The string at a dotted path of object keys ("error.type"). */
static const char *
str_at(json_object *o, const char *path)
{
	char key[64];
	const char *dot;
	size_t n;

	while (o != NULL && *path != '\0') {
		dot = strchr(path, '.');
		n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		assert_true(n < sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_object_get(o, key);
		path += n + (dot != NULL);
	}
	return o != NULL ? json_object_get_string(o) : NULL;
}

static void
test_request_table(void **state)
{
	struct testutil_table t;
	struct completions_request req;
	char *f[3], err[COMPLETIONS_ERR_MAX];
	int rc, rows = 0;

	(void)state;
	testutil_table_open(&t, "completions_requests.test");
	while (testutil_next_case(&t, f, 3) > 0) {
		rc = completions_parse_request(f[2], strlen(f[2]), &req, err,
		    sizeof(err));
		if (atoi(f[0]) == 0) {
			if (rc != 0)
				fail_msg("line %d: refused: %s", t.lineno, err);
			if (req.n != (size_t)atoi(f[1]))
				fail_msg("line %d: %zu messages", t.lineno,
				    req.n);
			assert_non_null(req.msgs[req.n - 1].role);
			assert_non_null(req.msgs[req.n - 1].content);
		} else {
			if (rc != -1)
				fail_msg("line %d: accepted", t.lineno);
			if (strcmp(err, f[1]) != 0)
				fail_msg("line %d: '%s'", t.lineno, err);
		}
		completions_request_cleanup(&req);
		rows++;
	}
	testutil_table_close(&t);
	assert_int_equal(rows, 37);	/* every row of the file ran */
}

/* Messages point into the parsed body, duplicate keys: the last wins. */
static void
test_request_messages(void **state)
{
	static const char body[] = "{\"messages\":[{\"role\":\"system\","
	    "\"content\":\"Be terse.\"},{\"role\":\"user\",\"content\":"
	    "\"caf\\u00e9\"}]}";
	struct completions_request req;
	char err[COMPLETIONS_ERR_MAX];

	(void)state;
	assert_int_equal(completions_parse_request(body, sizeof(body) - 1,
	    &req, err, sizeof(err)), 0);
	assert_int_equal(req.n, 2);
	assert_string_equal(req.msgs[0].role, "system");
	assert_string_equal(req.msgs[0].content, "Be terse.");
	assert_string_equal(req.msgs[1].role, "user");
	assert_string_equal(req.msgs[1].content, "caf\xc3\xa9");
	completions_request_cleanup(&req);
	completions_request_cleanup(&req);	/* twice is harmless */
}

/* The body length is what counts: a NUL inside it is refused, and a body
 * of NULL is an empty one. */
static void
test_request_bytes(void **state)
{
	static const char body[] = "{\"messages\":[{\"role\":\"user\","
	    "\"content\":\"x\"}]}\0{}";
	struct completions_request req;
	char err[COMPLETIONS_ERR_MAX];

	(void)state;
	assert_int_equal(completions_parse_request(body, sizeof(body) - 1,
	    &req, err, sizeof(err)), -1);
	assert_string_equal(err, "the request body is not valid JSON");
	completions_request_cleanup(&req);
	assert_int_equal(completions_parse_request(NULL, 0, &req, err,
	    sizeof(err)), -1);
	completions_request_cleanup(&req);
	assert_int_equal(completions_parse_request(body, strlen(body), &req,
	    err, sizeof(err)), 0);
	completions_request_cleanup(&req);
}

static void
test_reply_json(void **state)
{
	static const char body[] = "{\"messages\":[{\"role\":\"user\","
	    "\"content\":\"a quick vegan pasta\"}]}";
	struct completions_request req;
	char err[COMPLETIONS_ERR_MAX], id[64], *text;
	json_object *o, *usage, *choice;

	(void)state;
	assert_int_equal(completions_parse_request(body, sizeof(body) - 1,
	    &req, err, sizeof(err)), 0);
	text = completions_reply_json(body, sizeof(body) - 1, &req,
	    "## Pasta\n\nBoil it.", 1700000000);
	o = parse(text);
	snprintf(id, sizeof(id), "chatcmpl-offline-%016llx",
	    (unsigned long long)hash_fnv64(body, sizeof(body) - 1,
	    HASH_FNV64_INIT));
	assert_string_equal(str_at(o, "id"), id);
	assert_string_equal(str_at(o, "object"), "chat.completion");
	assert_string_equal(str_at(o, "model"), COMPLETIONS_MODEL);
	assert_int_equal(json_object_get_int64(json_object_object_get(o,
	    "created")), 1700000000);
	choice = json_object_array_get_idx(json_object_object_get(o,
	    "choices"), 0);
	assert_int_equal(json_object_array_length(json_object_object_get(o,
	    "choices")), 1);
	assert_string_equal(str_at(choice, "message.role"), "assistant");
	assert_string_equal(str_at(choice, "message.content"),
	    "## Pasta\n\nBoil it.");
	assert_string_equal(str_at(choice, "finish_reason"), "stop");
	assert_int_equal(json_object_get_int(json_object_object_get(choice,
	    "index")), 0);
	usage = json_object_object_get(o, "usage");
	assert_int_equal(json_object_get_int(json_object_object_get(usage,
	    "prompt_tokens")), 4);
	assert_int_equal(json_object_get_int(json_object_object_get(usage,
	    "completion_tokens")), 4);
	assert_int_equal(json_object_get_int(json_object_object_get(usage,
	    "total_tokens")), 8);
	/* Slashes stay as they are: the reply is Markdown. */
	free(text);
	json_object_put(o);
	text = completions_reply_json(body, sizeof(body) - 1, &req, "1/2 cup",
	    0);
	assert_non_null(strstr(text, "\"1/2 cup\""));
	free(text);
	completions_request_cleanup(&req);
}

static void
test_error_json(void **state)
{
	json_object *o;
	char *text;

	(void)state;
	text = completions_error_json(400, "bad \"thing\"");
	assert_string_equal(text, "{\"error\":{\"message\":\"bad \\\"thing\\\"\","
	    "\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
	free(text);
	text = completions_error_json(500, "the reply is too large");
	o = parse(text);
	assert_string_equal(str_at(o, "error.type"), "server_error");
	assert_string_equal(str_at(o, "error.message"),
	    "the reply is too large");
	json_object_put(o);
	free(text);
	text = completions_error_json(499, "x");
	o = parse(text);
	assert_string_equal(str_at(o, "error.type"), "invalid_request_error");
	json_object_put(o);
	free(text);
}

static void
test_models_json(void **state)
{
	char *text;

	(void)state;
	text = completions_models_json();
	assert_string_equal(text, "{\"object\":\"list\",\"data\":[{\"id\":"
	    "\"offline-recipe-model\",\"object\":\"model\",\"created\":0,"
	    "\"owned_by\":\"recipe-chat\"}]}");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_table),
		cmocka_unit_test(test_request_messages),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_reply_json),
		cmocka_unit_test(test_error_json),
		cmocka_unit_test(test_models_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
