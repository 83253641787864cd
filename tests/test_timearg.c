/* test_timearg.c - --since arguments: durations back from now, ISO-8601
 * times with and without a zone, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include "timearg.h"

#define T0		1764000000000000000ULL	/* 2025-11-24T16:00:00Z */
#define MS		1000000ULL

static void
test_relative(void **state)
{
	static const struct { const char *arg; uint64_t back_s; } cases[] = {
		{ "30s", 30 }, { "10m", 600 }, { "2h", 7200 }, { "1d", 86400 },
		{ "0s", 0 }, { "90m", 5400 },
	};
	uint64_t out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(timearg_parse(cases[i].arg, T0, &out),
		    0);
		assert_true(out == T0 - cases[i].back_s * 1000000000ULL);
	}
	/* Further back than the epoch: everything. */
	assert_int_equal(timearg_parse("999999999999d", T0, &out), 0);
	assert_true(out == 0);
}

static void
test_absolute(void **state)
{
	static const struct { const char *arg; uint64_t ns; } cases[] = {
		{ "2025-11-24T16:00:00Z", T0 },
		{ "2025-11-24T16:00Z", T0 },
		{ "2025-11-24T16:00:00.25Z", T0 + 250 * MS },
		{ "2025-11-24T18:00:00+02:00", T0 },
		{ "2025-11-24T15:30:00-0030", T0 },
		{ "2025-11-24 16:00:00z", T0 },
		{ "2024-02-29T00:00:00Z", 1709164800000000000ULL },
	};
	uint64_t out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = 0;
		assert_int_equal(timearg_parse(cases[i].arg, 0, &out),
		    0);
		assert_true(out == cases[i].ns);
	}
}

static void
test_local(void **state)
{
	uint64_t out;

	(void)state;
	setenv("TZ", "XYZ-2", 1);	/* two hours east of UTC */
	tzset();
	assert_int_equal(timearg_parse("2025-11-24T18:00:00", 0, &out),
	    0);
	assert_true(out == T0);
	assert_int_equal(timearg_parse("2025-11-24 18:00", 0, &out), 0);
	assert_true(out == T0);
	assert_int_equal(timearg_parse("2025-11-25", 0, &out), 0);
	assert_true(out == T0 + 6 * 3600 * 1000000000ULL);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {
		"", "10", "m", "10x", "10m5", "-5m", "+5m", " 10m", "10m ",
		"10 m", "1e3s", "10M", "1000000000000s", "abc",
		"2025-13-01", "2025-02-29", "2025-04-31", "2025-11-24T24:00",
		"2025-11-24T10:60", "2025-11-24T10", "2025-11-24T10:00:61Z",
		"2025-11-24T10:00:00Q", "2025-11-24T10:00:00.Z",
		"2025-11-24T10:00:00+25:00", "2025-11-24T10:00:00+02:",
		"2025-11-24T10:00:00Z junk", "25-11-24", "2025/11/24",
		"1969-12-31T00:00:00Z", "2025-11-24x",
	};
	uint64_t out = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (timearg_parse(bad[i], T0, &out) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(out == 42);
	}
	assert_int_equal(timearg_parse(NULL, T0, &out), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_absolute),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_garbage),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
