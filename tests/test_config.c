/* test_config.c - the environment config table: every type, defaults,
 * empty values, integer and boolean parsing, checks, errors and --help. */
#define _GNU_SOURCE	/* memmem, open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define V_URL	"RC_TEST_URL"
#define V_NAME	"RC_TEST_NAME"
#define V_OPT	"RC_TEST_OPT"
#define V_INT	"RC_TEST_INT"
#define V_BOOL	"RC_TEST_BOOL"

struct vals {
	const char	*url, *name, *opt;
	long long	 num;
	int		 flag;
};

static struct vals v;

static const struct config_entry table[] = {
	{ V_URL, "http://127.0.0.1:6006", CONFIG_STR, 0, 0, &v.url,
	    "collector base URL", config_check_url },
	{ V_NAME, "recipes", CONFIG_STR, 0, 0, &v.name, "project name", NULL },
	{ V_OPT, NULL, CONFIG_STR, 0, 0, &v.opt, "optional value", NULL },
	{ V_INT, "8", CONFIG_INT, 1, 64, &v.num, "worker count", NULL },
	{ V_BOOL, "false", CONFIG_BOOL, 0, 0, &v.flag, "trust gateway", NULL },
};
#define NTABLE	(sizeof(table) / sizeof(table[0]))

static int
setup(void **state)
{
	(void)state;
	unsetenv(V_URL);
	unsetenv(V_NAME);
	unsetenv(V_OPT);
	unsetenv(V_INT);
	unsetenv(V_BOOL);
	v.url = v.name = "sentinel";
	v.opt = "sentinel";
	v.num = -7;
	v.flag = -7;
	return 0;
}

static void
test_defaults(void **state)
{
	char err[128] = "";

	(void)state;
	assert_int_equal(config_load(table, NTABLE, err, sizeof(err)), 0);
	assert_string_equal(v.url, "http://127.0.0.1:6006");
	assert_string_equal(v.name, "recipes");
	assert_null(v.opt);
	assert_int_equal(v.num, 8);
	assert_int_equal(v.flag, 0);
}

static void
test_environment_wins(void **state)
{
	char err[128] = "";

	(void)state;
	setenv(V_URL, "https://phoenix.internal/base", 1);
	setenv(V_NAME, "soups", 1);
	setenv(V_OPT, "given", 1);
	setenv(V_INT, "64", 1);
	setenv(V_BOOL, "YES", 1);
	assert_int_equal(config_load(table, NTABLE, err, sizeof(err)), 0);
	assert_string_equal(v.url, "https://phoenix.internal/base");
	assert_string_equal(v.name, "soups");
	assert_string_equal(v.opt, "given");
	assert_int_equal(v.num, 64);
	assert_int_equal(v.flag, 1);
}

static void
test_empty_is_unset(void **state)
{
	char err[128] = "";

	(void)state;
	setenv(V_URL, "", 1);
	setenv(V_NAME, "", 1);
	setenv(V_OPT, "", 1);
	setenv(V_INT, "", 1);
	setenv(V_BOOL, "", 1);
	assert_int_equal(config_load(table, NTABLE, err, sizeof(err)), 0);
	assert_string_equal(v.url, "http://127.0.0.1:6006");
	assert_string_equal(v.name, "recipes");
	assert_null(v.opt);
	assert_int_equal(v.num, 8);
	assert_int_equal(v.flag, 0);
}

static void
test_unset_without_default_leaves_int_and_bool(void **state)
{
	static long long n = 99;
	static int b = 5;
	const struct config_entry t[] = {
		{ V_INT, NULL, CONFIG_INT, 0, 10, &n, "n", NULL },
		{ V_BOOL, NULL, CONFIG_BOOL, 0, 0, &b, "b", NULL },
	};
	char err[64] = "";

	(void)state;
	assert_int_equal(config_load(t, 2, err, sizeof(err)), 0);
	assert_int_equal(n, 99);
	assert_int_equal(b, 5);
}

static void
test_int_edges(void **state)
{
	long long out = 0;

	(void)state;
	assert_int_equal(config_parse_int("1", 1, 64, &out), 0);
	assert_int_equal(out, 1);
	assert_int_equal(config_parse_int("64", 1, 64, &out), 0);
	assert_int_equal(out, 64);
	assert_int_equal(config_parse_int("-5", -5, 5, &out), 0);
	assert_int_equal(out, -5);
	out = 123;
	assert_int_equal(config_parse_int("0", 1, 64, &out), -1);
	assert_int_equal(config_parse_int("65", 1, 64, &out), -1);
	assert_int_equal(config_parse_int("-6", -5, 5, &out), -1);
	assert_int_equal(out, 123);
	assert_int_equal(config_parse_int("9223372036854775807", 0, LLONG_MAX,
	    &out), 0);
	assert_true(out == LLONG_MAX);
	assert_int_equal(config_parse_int("-9223372036854775808", LLONG_MIN,
	    0, &out), 0);
	assert_true(out == LLONG_MIN);
}

static void
test_int_garbage(void **state)
{
	static const char *const bad[] = {
		"12x", "", "x12", "1.5", "0x10", "99999999999999999999",
		"-99999999999999999999", "12 ", "-", "+",
	};
	long long out = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (config_parse_int(bad[i], LLONG_MIN, LLONG_MAX, &out) != -1)
			fail_msg("'%s' was accepted as an integer", bad[i]);
		assert_int_equal(out, 77);
	}
}

static void
test_int_error_names_variable(void **state)
{
	char err[160] = "";

	(void)state;
	setenv(V_INT, "12x", 1);
	assert_int_equal(config_load(table, NTABLE, err, sizeof(err)), -1);
	assert_non_null(strstr(err, V_INT ":"));
	assert_non_null(strstr(err, "12x"));
	assert_non_null(strstr(err, "1 to 64"));
	assert_int_equal(v.num, -7);
	setenv(V_INT, "65", 1);
	assert_int_equal(config_load(table, NTABLE, err, sizeof(err)), -1);
	assert_non_null(strstr(err, V_INT));
}

static void
test_bool_words(void **state)
{
	static const struct { const char *s; int want; } ok[] = {
		{ "1", 1 }, { "true", 1 }, { "TRUE", 1 }, { "yes", 1 },
		{ "Yes", 1 }, { "on", 1 }, { "ON", 1 },
		{ "0", 0 }, { "false", 0 }, { "False", 0 }, { "no", 0 },
		{ "NO", 0 }, { "off", 0 }, { "oFf", 0 },
	};
	static const char *const bad[] = {
		"", "2", "y", "n", "enabled", "truex", " true", "yes ", "-1",
	};
	int out;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		out = -1;
		if (config_parse_bool(ok[i].s, &out) != 0 || out != ok[i].want)
			fail_msg("'%s' gave %d", ok[i].s, out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = 42;
		if (config_parse_bool(bad[i], &out) != -1 || out != 42)
			fail_msg("'%s' was accepted as a boolean", bad[i]);
	}
}

/* OTEL_SDK_DISABLED and its kind: only "true" (any case) is true; a word
 * the specification does not define is false and reported. */
static void
test_otel_bool(void **state)
{
	static const struct { const char *s; int want, unknown; } cases[] = {
		{ "true", 1, 0 }, { "TRUE", 1, 0 }, { "True", 1, 0 },
		{ "false", 0, 0 }, { "FALSE", 0, 0 }, { "", 0, 0 },
		{ NULL, 0, 0 }, { "1", 0, 1 }, { "yes", 0, 1 },
		{ "on", 0, 1 }, { " true", 0, 1 }, { "truex", 0, 1 },
	};
	int unknown;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unknown = 42;
		if (config_otel_bool(cases[i].s, &unknown) != cases[i].want ||
		    unknown != cases[i].unknown)
			fail_msg("'%s' read wrong", cases[i].s ? cases[i].s :
			    "(unset)");
	}
}

static void
test_bool_error_names_variable(void **state)
{
	char err[160] = "";

	(void)state;
	setenv(V_BOOL, "maybe", 1);
	assert_int_equal(config_load(table, NTABLE, err, sizeof(err)), -1);
	assert_non_null(strstr(err, V_BOOL ":"));
	assert_non_null(strstr(err, "maybe"));
	assert_int_equal(v.flag, -7);
}

static void
test_check_url(void **state)
{
	static const char *const good[] = {
		"http://127.0.0.1:6006", "https://phoenix.example",
		"http://localhost/v1/traces", "https://h:1/p?q=1",
	};
	static const struct { const char *val, *why; } bad[] = {
		{ "ftp://host", "http://" },
		{ "127.0.0.1:6006", "http://" },
		{ "", "http://" },
		{ "http:/host", "http://" },
		{ "http://", "no host" },
		{ "https://", "no host" },
		{ "http:///v1/traces", "no host" },
		{ "http://host name", "white space" },
		{ "http://host/a b", "white space" },
		{ "http://host\t", "white space" },
		{ "https://host/\n", "white space" },
	};
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		if (config_check_url(good[i], err, sizeof(err)) != 0)
			fail_msg("'%s' rejected: %s", good[i], err);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (config_check_url(bad[i].val, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i].val);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].val, err,
			    bad[i].why);
	}
}

static void
test_check_error_names_variable(void **state)
{
	char err[160] = "";

	(void)state;
	setenv(V_URL, "http://", 1);
	assert_int_equal(config_load(table, NTABLE, err, sizeof(err)), -1);
	assert_string_equal(err, V_URL ": has no host");
	assert_string_equal(v.url, "sentinel");
}

static void
test_check_applies_to_default(void **state)
{
	static const char *dst;
	const struct config_entry t[] = {
		{ V_URL, "localhost:6006", CONFIG_STR, 0, 0, &dst, "url",
		    config_check_url },
	};
	char err[160] = "";

	(void)state;
	assert_int_equal(config_load(t, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, V_URL ": must start with"));
}

static void
test_first_error_stops(void **state)
{
	char err[160] = "";

	(void)state;
	setenv(V_NAME, "later-not-read", 1);
	setenv(V_URL, "gopher://x", 1);
	assert_int_equal(config_load(table, NTABLE, err, sizeof(err)), -1);
	assert_non_null(strstr(err, V_URL));
	/* The table is read in order: nothing after the bad entry is set. */
	assert_string_equal(v.name, "sentinel");
}

static void
test_usage_lists_names_and_defaults(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	config_usage(fp, table, NTABLE);
	fclose(fp);
	assert_non_null(strstr(text, V_URL));
	assert_non_null(strstr(text, "collector base URL"));
	assert_non_null(strstr(text, "(default: http://127.0.0.1:6006)"));
	assert_non_null(strstr(text, "(default: recipes)"));
	assert_non_null(strstr(text, "(default: 8)"));
	assert_non_null(strstr(text, "(default: false)"));
	/* One line per entry; the entry without a default shows none. */
	{
		const char *line = strstr(text, V_OPT);
		const char *eol;
		size_t lines = 0;

		assert_non_null(line);
		eol = strchr(line, '\n');
		assert_non_null(eol);
		assert_null(memmem(line, (size_t)(eol - line), "default", 7));
		for (const char *p = text; *p != '\0'; p++)
			lines += *p == '\n';
		assert_int_equal(lines, NTABLE);
	}
	free(text);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_environment_wins),
		T(test_empty_is_unset),
		T(test_unset_without_default_leaves_int_and_bool),
		T(test_int_edges),
		T(test_int_garbage),
		T(test_int_error_names_variable),
		T(test_bool_words),
		T(test_bool_error_names_variable),
		T(test_otel_bool),
		T(test_check_url),
		T(test_check_error_names_variable),
		T(test_check_applies_to_default),
		T(test_first_error_stops),
		T(test_usage_lists_names_and_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
