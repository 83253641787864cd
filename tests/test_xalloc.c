/* test_xalloc.c - the allocation wrappers: copies, zeroing, growth.
 * The abort on out-of-memory is not exercised (it needs a failing malloc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void
test_xstrndup_prefix(void **state)
{
	char *p;

	(void)state;
	p = xstrndup("recipe-chat", 6);
	assert_string_equal(p, "recipe");
	assert_int_equal(p[6], '\0');
	free(p);
}

static void
test_xstrndup_unterminated_source(void **state)
{
	const char src[4] = { 'a', 'b', 'c', 'd' };	/* no NUL */
	char *p;

	(void)state;
	p = xstrndup(src, sizeof(src));
	assert_int_equal(strlen(p), 4);
	assert_memory_equal(p, "abcd", 5);
	free(p);
}

static void
test_xstrndup_zero(void **state)
{
	char *p;

	(void)state;
	p = xstrndup("abc", 0);
	assert_string_equal(p, "");
	free(p);
}

static void
test_xstrdup_copies(void **state)
{
	char src[] = "tomato soup";
	char *p;

	(void)state;
	p = xstrdup(src);
	assert_ptr_not_equal(p, src);
	src[0] = 'X';
	assert_string_equal(p, "tomato soup");
	free(p);
	p = xstrdup("");
	assert_string_equal(p, "");
	free(p);
}

static void
test_xcalloc_zeroes(void **state)
{
	unsigned char *p;
	size_t i;

	(void)state;
	/* Dirty some heap first so a non-zeroing allocator would show. */
	p = xmalloc(4096);
	memset(p, 0xa5, 4096);
	free(p);
	p = xcalloc(512, 8);
	for (i = 0; i < 4096; i++)
		assert_int_equal(p[i], 0);
	free(p);
}

static void
test_zero_sizes_give_memory(void **state)
{
	void *p, *q;

	(void)state;
	p = xmalloc(0);
	assert_non_null(p);
	q = xcalloc(0, 0);
	assert_non_null(q);
	free(q);
	p = xrealloc(p, 0);
	assert_non_null(p);
	free(p);
}

static void
test_xrealloc_keeps_content(void **state)
{
	char *p;
	size_t i;

	(void)state;
	p = xrealloc(NULL, 10);
	memcpy(p, "0123456789", 10);
	p = xrealloc(p, 1 << 20);
	assert_memory_equal(p, "0123456789", 10);
	for (i = 10; i < 1 << 20; i++)
		p[i] = (char)i;
	p = xrealloc(p, 4);
	assert_memory_equal(p, "0123", 4);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xstrndup_prefix),
		cmocka_unit_test(test_xstrndup_unterminated_source),
		cmocka_unit_test(test_xstrndup_zero),
		cmocka_unit_test(test_xstrdup_copies),
		cmocka_unit_test(test_xcalloc_zeroes),
		cmocka_unit_test(test_zero_sizes_give_memory),
		cmocka_unit_test(test_xrealloc_keeps_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
