/* test_hex.c - hex encoding and decoding, both cases, bad digits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hex.h"

static void
test_encode(void **state)
{
	const uint8_t b[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[9];

	(void)state;
	hex_encode(b, sizeof(b), out);
	assert_string_equal(out, "000fa5ff");
	hex_encode(b, 0, out);
	assert_string_equal(out, "");
}

static void
test_digit(void **state)
{
	(void)state;
	assert_int_equal(hex_digit('0'), 0);
	assert_int_equal(hex_digit('9'), 9);
	assert_int_equal(hex_digit('a'), 10);
	assert_int_equal(hex_digit('F'), 15);
	assert_int_equal(hex_digit('g'), -1);
	assert_int_equal(hex_digit('/'), -1);
	assert_int_equal(hex_digit('\0'), -1);
}

static void
test_decode(void **state)
{
	uint8_t b[4];

	(void)state;
	assert_int_equal(hex_decode("000fA5fF", 4, b), 0);
	assert_int_equal(b[0], 0x00);
	assert_int_equal(b[1], 0x0f);
	assert_int_equal(b[2], 0xa5);
	assert_int_equal(b[3], 0xff);
	assert_int_equal(hex_decode("0x", 1, b), -1);
	/* A short string ends at its NUL, which is no digit. */
	assert_int_equal(hex_decode("ab", 2, b), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_digit),
		cmocka_unit_test(test_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
