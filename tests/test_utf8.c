/* test_utf8.c - strict UTF-8: the boundary cases of every sequence length,
 * the fast ASCII path, and cleaning with U+FFFD and a byte cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

struct utf8_case {
	const char	*s;
	size_t		 len;
	int		 valid;
};

static const struct utf8_case utf8_cases[] = {
	{ "", 0, 1 },
	{ "plain ascii, longer than eight bytes", 36, 1 },
	{ "\xc3\xa9", 2, 1 },			/* é */
	{ "\xe2\x82\xac", 3, 1 },		/* € */
	{ "\xf0\x9f\x8d\xb2", 4, 1 },		/* 🍲 */
	{ "\xf4\x8f\xbf\xbf", 4, 1 },		/* U+10FFFF */
	{ "\xc0\xaf", 2, 0 },			/* overlong / */
	{ "\xc1\xbf", 2, 0 },
	{ "\xe0\x9f\xbf", 3, 0 },		/* overlong */
	{ "\xed\xa0\x80", 3, 0 },		/* surrogate */
	{ "\xf0\x8f\xbf\xbf", 4, 0 },		/* overlong */
	{ "\xf4\x90\x80\x80", 4, 0 },		/* past U+10FFFF */
	{ "\xf5\x80\x80\x80", 4, 0 },
	{ "\xe2\x82", 2, 0 },			/* cut short */
	{ "\x80", 1, 0 },			/* lone continuation */
	{ "abc\0def", 7, 0 },			/* NUL */
	{ "abcdefgh\0ijklmnop", 17, 0 },	/* NUL in the fast path */
	{ "abcdefgh\xc3\xa9ijklmnop", 18, 1 },
	{ "abcdefghijklmno\xff", 16, 0 },
};

static void
test_valid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		if (utf8_valid(utf8_cases[i].s, utf8_cases[i].len) !=
		    utf8_cases[i].valid)
			fail_msg("case %zu: want %d", i, utf8_cases[i].valid);
	}
}

static void
test_seqlen(void **state)
{
	(void)state;
	assert_int_equal(utf8_seqlen((const unsigned char *)"a", 1), 1);
	assert_int_equal(utf8_seqlen((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(utf8_seqlen((const unsigned char *)"\xc3\xa9", 1), 0);
	assert_int_equal(utf8_seqlen((const unsigned char *)"\0", 1), 0);
}

static void
test_clean(void **state)
{
	char *out;
	int cut;

	(void)state;
	out = utf8_clean("a\xff" "b", 3, 100, &cut);
	assert_string_equal(out, "a\xef\xbf\xbd" "b");
	assert_int_equal(cut, 0);
	free(out);
	/* Cut on a character boundary: é does not fit in the last byte. */
	out = utf8_clean("ab\xc3\xa9", 4, 3, &cut);
	assert_string_equal(out, "ab");
	assert_int_equal(cut, 1);
	free(out);
	out = utf8_clean("x\0y", 3, 100, &cut);
	assert_string_equal(out, "x\xef\xbf\xbdy");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_seqlen),
		cmocka_unit_test(test_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
