/* test_buf.c - the bounded growing buffer: appends, the limit, reset,
 * take and reuse after cleanup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int
setup(void **state)
{
	struct buf *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return -1;
	buf_init(b, 16);
	*state = b;
	return 0;
}

static int
teardown(void **state)
{
	struct buf *b = *state;

	buf_cleanup(b);
	free(b);
	return 0;
}

static void
test_init_empty(void **state)
{
	struct buf *b = *state;

	assert_null(b->data);
	assert_int_equal(b->len, 0);
	assert_int_equal(b->cap, 0);
	assert_int_equal(b->limit, 16);
}

static void
test_append_and_printf(void **state)
{
	struct buf *b = *state;

	assert_int_equal(buf_append(b, "ab", 2), 0);
	assert_int_equal(buf_printf(b, "-%d-%s", 42, "x"), 0);
	assert_int_equal(b->len, 7);
	assert_string_equal(b->data, "ab-42-x");
	assert_int_equal(b->data[b->len], '\0');
	assert_true(b->cap > b->len);
}

static void
test_nul_terminated_after_binary_append(void **state)
{
	struct buf *b = *state;

	/* The source has no terminator: the buffer must add its own. */
	assert_int_equal(buf_append(b, "xyzzy", 3), 0);
	assert_int_equal(b->len, 3);
	assert_memory_equal(b->data, "xyz", 4);
	assert_int_equal(buf_append(b, "", 0), 0);
	assert_string_equal(b->data, "xyz");
}

static void
test_limit_exact_ok(void **state)
{
	struct buf *b = *state;

	assert_int_equal(buf_append(b, "0123456789", 10), 0);
	assert_int_equal(buf_append(b, "abcdef", 6), 0);
	assert_int_equal(b->len, 16);
	assert_string_equal(b->data, "0123456789abcdef");
}

static void
test_limit_plus_one_fails(void **state)
{
	struct buf *b = *state;

	assert_int_equal(buf_append(b, "0123456789", 10), 0);
	assert_int_equal(buf_append(b, "abcdefg", 7), -1);
	assert_int_equal(b->len, 10);
	assert_string_equal(b->data, "0123456789");
	/* printf past the limit fails the same way. */
	assert_int_equal(buf_printf(b, "%s", "1234567"), -1);
	assert_int_equal(b->len, 10);
	assert_string_equal(b->data, "0123456789");
	assert_int_equal(buf_printf(b, "%06d", 7), 0);
	assert_string_equal(b->data, "0123456789000007");
	assert_int_equal(buf_append(b, "x", 1), -1);
	assert_int_equal(b->len, 16);
}

static void
test_first_append_over_limit(void **state)
{
	struct buf *b = *state;
	char big[17];

	memset(big, 'z', sizeof(big));
	assert_int_equal(buf_append(b, big, sizeof(big)), -1);
	assert_null(b->data);
	assert_int_equal(b->len, 0);
	/* A huge n must not wrap around the limit check. */
	assert_int_equal(buf_append(b, big, SIZE_MAX), -1);
	assert_int_equal(b->len, 0);
}

static void
test_reset_keeps_memory(void **state)
{
	struct buf *b = *state;
	char *mem;
	size_t cap;

	assert_int_equal(buf_append(b, "hello", 5), 0);
	mem = b->data;
	cap = b->cap;
	buf_reset(b);
	assert_ptr_equal(b->data, mem);
	assert_int_equal(b->cap, cap);
	assert_int_equal(b->len, 0);
	assert_string_equal(b->data, "");
	assert_int_equal(buf_append(b, "hi", 2), 0);
	assert_ptr_equal(b->data, mem);
	assert_string_equal(b->data, "hi");
}

static void
test_reset_on_empty(void **state)
{
	struct buf *b = *state;

	buf_reset(b);
	assert_null(b->data);
	assert_int_equal(b->len, 0);
}

static void
test_take_hands_over(void **state)
{
	struct buf *b = *state;
	char *p;

	assert_int_equal(buf_append(b, "take me", 7), 0);
	p = buf_take(b);
	assert_string_equal(p, "take me");
	assert_null(b->data);
	assert_int_equal(b->len, 0);
	assert_int_equal(b->cap, 0);
	assert_int_equal(b->limit, 16);
	free(p);
	/* The emptied buffer is usable again, with the same limit. */
	assert_int_equal(buf_append(b, "again", 5), 0);
	assert_string_equal(b->data, "again");
	assert_int_equal(buf_append(b, "01234567890", 11), 0);
	assert_int_equal(buf_append(b, "!", 1), -1);
}

static void
test_take_empty_returns_owned_empty_string(void **state)
{
	struct buf *b = *state;
	char *p = buf_take(b);

	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);		/* must be heap memory: ASan checks this */
	assert_null(b->data);
}

static void
test_cleanup_then_reuse(void **state)
{
	struct buf *b = *state;

	assert_int_equal(buf_printf(b, "%s", "first"), 0);
	buf_cleanup(b);
	assert_null(b->data);
	assert_int_equal(b->len, 0);
	assert_int_equal(b->cap, 0);
	assert_int_equal(b->limit, 16);
	assert_int_equal(buf_printf(b, "%s", "second"), 0);
	assert_string_equal(b->data, "second");
}

static void
test_growth_keeps_content(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 100000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(buf_printf(&b, "%zu,", i % 10), 0);
	assert_int_equal(b.len, 20000);
	for (i = 0; i < 10000; i++) {
		assert_int_equal(b.data[2 * i], (char)('0' + i % 10));
		assert_int_equal(b.data[2 * i + 1], ',');
	}
	assert_int_equal(b.data[b.len], '\0');
	buf_cleanup(&b);
}

static void
test_zero_limit(void **state)
{
	struct buf b;
	char *p;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_append(&b, "a", 1), -1);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	p = buf_take(&b);
	assert_string_equal(p, "");
	free(p);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_empty),
		T(test_append_and_printf),
		T(test_nul_terminated_after_binary_append),
		T(test_limit_exact_ok),
		T(test_limit_plus_one_fails),
		T(test_first_append_over_limit),
		T(test_reset_keeps_memory),
		T(test_reset_on_empty),
		T(test_take_hands_over),
		T(test_take_empty_returns_owned_empty_string),
		T(test_cleanup_then_reuse),
		cmocka_unit_test(test_growth_keeps_content),
		cmocka_unit_test(test_zero_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
