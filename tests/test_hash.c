/* test_hash.c - FNV-1a against the published test vectors, and chaining. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hash.h"

static void
test_vectors(void **state)
{
	(void)state;
	/* From the FNV reference (draft-eastlake-fnv). */
	assert_int_equal(hash_fnv32("", 0, HASH_FNV32_INIT), 0x811c9dc5u);
	assert_int_equal(hash_fnv32("a", 1, HASH_FNV32_INIT), 0xe40c292cu);
	assert_int_equal(hash_fnv32("foobar", 6, HASH_FNV32_INIT),
	    0xbf9cf968u);
	assert_true(hash_fnv64("", 0, HASH_FNV64_INIT) ==
	    0xcbf29ce484222325ULL);
	assert_true(hash_fnv64("a", 1, HASH_FNV64_INIT) ==
	    0xaf63dc4c8601ec8cULL);
	assert_true(hash_fnv64("foobar", 6, HASH_FNV64_INIT) ==
	    0x85944171f73967e8ULL);
}

static void
test_chaining(void **state)
{
	(void)state;
	assert_int_equal(hash_fnv32("bar", 3, hash_fnv32("foo", 3,
	    HASH_FNV32_INIT)), hash_fnv32("foobar", 6, HASH_FNV32_INIT));
	assert_true(hash_fnv64("bar", 3, hash_fnv64("foo", 3,
	    HASH_FNV64_INIT)) == hash_fnv64("foobar", 6, HASH_FNV64_INIT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_chaining),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
