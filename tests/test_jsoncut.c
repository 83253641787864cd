/* test_jsoncut.c - prefixes of raw JSON string text never end inside an
 * escape, and are as long as they can be. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "jsoncut.h"
#include "spanscan.h"

static size_t
cut(const char *s, size_t n)
{
	return jsoncut_prefix(s, strlen(s), n);
}

static void
test_plain(void **state)
{
	(void)state;
	assert_int_equal(cut("abcdef", 0), 0);
	assert_int_equal(cut("abcdef", 3), 3);
	assert_int_equal(cut("abcdef", 6), 6);
	assert_int_equal(cut("abcdef", 100), 6);	/* n past the end */
	assert_int_equal(jsoncut_prefix("", 0, 5), 0);
}

static void
test_escapes(void **state)
{
	(void)state;
	/* a\"b: the cut goes before the escape, never into it. */
	assert_int_equal(cut("a\\\"b", 1), 1);
	assert_int_equal(cut("a\\\"b", 2), 1);
	assert_int_equal(cut("a\\\"b", 3), 3);
	/* \u00e9 is six bytes, kept whole or not at all. */
	for (size_t n = 1; n < 7; n++)
		assert_int_equal(cut("x\\u00e9y", n), n < 7 ? 1 : 7);
	assert_int_equal(cut("x\\u00e9y", 7), 7);
	assert_int_equal(cut("x\\u00e9y", 8), 8);
	/* An escaped backslash is two bytes; the next quote is its own. */
	assert_int_equal(cut("\\\\\\n", 1), 0);
	assert_int_equal(cut("\\\\\\n", 2), 2);
	assert_int_equal(cut("\\\\\\n", 3), 2);
	assert_int_equal(cut("\\\\\\n", 4), 4);
	/* An escape the text itself cuts short is not kept. */
	assert_int_equal(cut("ab\\", 3), 2);
	assert_int_equal(cut("ab\\u00", 6), 2);
}

/* Every prefix decodes to a prefix of the whole text. */
static void
test_decodes(void **state)
{
	static const char raw[] = "Caf\\u00e9 \\\"\\u4f60\\u597d\\\" \\\\ "
	    "\\ud83c\\udf5d \\n end";
	char whole[128], part[128];
	struct spanscan_str s = { raw, sizeof(raw) - 1 };
	size_t wl, pl, n, pair = (size_t)(strstr(raw, "\\udf5d") - raw);

	(void)state;
	wl = spanscan_unescape(s, whole, sizeof(whole), 0);
	for (n = 0; n <= s.len; n++) {
		struct spanscan_str p = { raw, jsoncut_prefix(raw, s.len, n) };

		assert_true(p.len <= n);
		assert_true(p.len + 6 > n);	/* no escape is longer */
		pl = spanscan_unescape(p, part, sizeof(part), 0);
		assert_true(pl <= wl);
		/* Between the halves of a surrogate pair the high half alone
		 * does not decode as the pair does; anywhere else it agrees. */
		if (p.len != pair)
			assert_memory_equal(part, whole, pl);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_decodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
