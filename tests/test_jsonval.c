/* test_jsonval.c - exactly one JSON value: what is accepted, what is
 * refused and the reason given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jsonval.h"

struct jv_case {
	const char	*text;
	size_t		 len;
	int		 rc;
	const char	*why;	/* substring of the reason, when refused */
};

static const struct jv_case jv_cases[] = {
	{ "{}", 2, 0, NULL },
	{ " {\"a\":[1,2]} \r\n\t", 16, 0, NULL },
	{ "42", 2, 0, NULL },		/* a top-level number ends at EOF */
	{ "null", 4, 0, NULL },
	{ "\"\xc3\xa9\"", 4, 0, NULL },
	{ "{} {}", 5, -1, "" },
	{ "{}x", 3, -1, "" },
	{ "{\"a\":1", 6, -1, "" },
	{ "{\"a\":1}\0{", 9, -1, "NUL byte" },
	{ "\"\xff\"", 3, -1, "" },
	{ "", 0, -1, "" },
	/* RFC 8259 forbids these, json-c alone lets them through. */
	{ "[007]", 5, -1, "malformed number" },
	{ "[1.]", 4, -1, "malformed number" },
	{ "[-]", 3, -1, "malformed number" },
	{ "[\"a\tb\"]", 7, -1, "control character" },
	{ "[\"\xf4\x90\x80\x80\"]", 8, -1, "invalid utf-8" },
	{ "[\"-1.5e+3 in a string 007\"]", 27, 0, NULL },
	{ "[-0.5e-3,\n0,\t10]", 16, 0, NULL },
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	    80, -1, "" },		/* deeper than 32 */
};

static void
test_cases(void **state)
{
	char err[JSONVAL_ERR_MAX];
	json_object *j;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(jv_cases) / sizeof(jv_cases[0]); i++) {
		err[0] = '\0';
		rc = jsonval_parse(jv_cases[i].text, jv_cases[i].len, 0, &j,
		    err, sizeof(err), NULL);
		if (rc != jv_cases[i].rc)
			fail_msg("case %zu: rc %d (%s)", i, rc, err);
		if (rc == -1) {
			assert_null(j);
			assert_true(err[0] != '\0');
			if (strstr(err, jv_cases[i].why) == NULL)
				fail_msg("case %zu: reason '%s'", i, err);
		}
		json_object_put(j);
	}
}

static void
test_value_and_offset(void **state)
{
	char err[JSONVAL_ERR_MAX];
	json_object *j;
	size_t at = 0;

	(void)state;
	assert_int_equal(jsonval_parse("{\"k\":\"v\"}", 9, 0, &j, err,
	    sizeof(err), &at), 0);
	assert_string_equal(json_object_get_string(
	    json_object_object_get(j, "k")), "v");
	json_object_put(j);
	assert_int_equal(jsonval_parse("[1] x", 5, 0, &j, err, sizeof(err),
	    &at), -1);
	assert_int_equal(at, 4);
	/* The depth bounds nesting: 4 takes [[1]] but not [[[[[1]]]]]. */
	assert_int_equal(jsonval_parse("[[1]]", 5, 4, &j, err, sizeof(err),
	    NULL), 0);
	json_object_put(j);
	assert_int_equal(jsonval_parse("[[[[[1]]]]]", 11, 4, &j, err, sizeof(err),
	    NULL), -1);
}

static void
test_number_valid(void **state)
{
	static const char *const good[] = { "0", "-0", "12", "1.5", "1e9",
	    "1E+9", "-2.25e-7" };
	static const char *const bad[] = { "", "-", "01", "1.", ".5", "1e",
	    "+1", "1e+", "0x1", "1.2.3" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!jsonval_number_valid(good[i], strlen(good[i])))
			fail_msg("%s refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (jsonval_number_valid(bad[i], strlen(bad[i])))
			fail_msg("%s accepted", bad[i]);
}

/* shape(text): the values jsonval_shape counts with no limits. */
static size_t
shape(const char *text, int *depth)
{
	struct jsonval_shape sh;

	jsonval_shape(text, strlen(text), 0, 0, &sh);
	if (depth != NULL)
		*depth = sh.depth;
	return sh.values;
}

static void
test_shape_counts(void **state)
{
	struct jsonval_shape sh;
	int depth;

	(void)state;
	assert_int_equal(shape("", &depth), 0);
	assert_int_equal(depth, 0);
	assert_int_equal(shape("1", NULL), 1);
	assert_int_equal(shape(" true ", NULL), 1);
	assert_int_equal(shape("[1,2,3]", &depth), 4);
	assert_int_equal(depth, 1);
	/* Keys are not values; values are, whatever their type. */
	assert_int_equal(shape("{\"a\":1,\"b\":\"x\",\"c\":null}", NULL), 4);
	assert_int_equal(shape("[{},{},[]]", &depth), 4);
	assert_int_equal(depth, 2);
	/* A key after a nested value, and strings holding JSON and escaped
	 * quotes, count as JSON does. */
	assert_int_equal(shape("{\"a\":[\"k\",{\"b\":-1.5e3}],\"c\":\"\\\"[{}]\"}",
	    &depth), 6);
	assert_int_equal(depth, 3);
	/* The limits stop the count just past them. */
	jsonval_shape("[1,2,3,4,5,6]", 13, 3, 0, &sh);
	assert_int_equal(sh.values, 4);
	jsonval_shape("[[[[[[1]]]]]]", 13, 0, 2, &sh);
	assert_int_equal(sh.depth, 3);
	/* Malformed text is counted without reading past len. */
	assert_int_equal(shape("[\"unterminated", NULL), 2);
	assert_int_equal(shape("}}]]", &depth), 0);
	jsonval_shape("[1,\"ab", 5, 0, 0, &sh);
	assert_int_equal(sh.values, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_value_and_offset),
		cmocka_unit_test(test_number_valid),
		cmocka_unit_test(test_shape_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
