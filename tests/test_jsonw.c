/* test_jsonw.c - JSON strings and integers written into a buf: every
 * escape, runs of plain bytes, UTF-8 kept, limits, and the text read back
 * by the strict reader (jsonval) to the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jsonval.h"
#include "jsonw.h"

static const char *
str(struct buf *b, const char *s, size_t len)
{
	buf_reset(b);
	assert_int_equal(jsonw_string(b, s, len), 0);
	return b->data;
}

static void
test_escapes(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_string_equal(str(&b, "", 0), "\"\"");
	assert_string_equal(str(&b, "plain text", 10), "\"plain text\"");
	assert_string_equal(str(&b, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(str(&b, "\b\f\n\r\t", 5), "\"\\b\\f\\n\\r\\t\"");
	assert_string_equal(str(&b, "\x01\x1f", 2), "\"\\u0001\\u001f\"");
	assert_string_equal(str(&b, "x\0y", 3), "\"x\\u0000y\"");
	/* '/', DEL and UTF-8 go as they are. */
	assert_string_equal(str(&b, "a/b\x7f", 4), "\"a/b\x7f\"");
	assert_string_equal(str(&b, "caf\xc3\xa9 \xf0\x9f\x91\x8d", 10),
	    "\"caf\xc3\xa9 \xf0\x9f\x91\x8d\"");
	buf_reset(&b);
	assert_int_equal(jsonw_cstring(&b, NULL), 0);
	assert_string_equal(b.data, "\"\"");
	buf_cleanup(&b);
}

/* Every ASCII byte but NUL, in one string, reads back through the strict
 * reader as the bytes written. */
static void
test_round_trip(void **state)
{
	char in[127];
	json_object *o = NULL;
	char why[JSONVAL_ERR_MAX];
	size_t at, i;
	struct buf b;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i + 1);
	buf_init(&b, 4096);
	assert_int_equal(jsonw_string(&b, in, sizeof(in)), 0);
	assert_int_equal(jsonval_parse(b.data, b.len, 8, &o, why, sizeof(why),
	    &at), 0);
	assert_int_equal(json_object_get_string_len(o), sizeof(in));
	assert_memory_equal(json_object_get_string(o), in, sizeof(in));
	json_object_put(o);
	buf_cleanup(&b);
}

/* Strings are looked at eight bytes at a time: a byte that needs an
 * escape is found at every position of a word, and every byte of a long
 * run reads back unchanged. */
static void
test_every_position(void **state)
{
	static const char special[] = { '"', '\\', '\n', '\x01', '\x1f' };
	char in[40], why[JSONVAL_ERR_MAX];
	json_object *o;
	struct buf b;
	size_t at, u;

	(void)state;
	buf_init(&b, 4096);
	for (size_t k = 0; k < sizeof(special); k++)
		for (size_t pos = 0; pos < sizeof(in); pos++) {
			memset(in, 'x', sizeof(in));
			in[pos] = special[k];
			u = (pos + 13) % (sizeof(in) - 1);	/* UTF-8 é */
			if (u == pos || u + 1 == pos)
				continue;
			in[u] = '\xc3';
			in[u + 1] = '\xa9';
			buf_reset(&b);
			assert_int_equal(jsonw_string(&b, in, sizeof(in)), 0);
			o = NULL;
			if (jsonval_parse(b.data, b.len, 8, &o, why,
			    sizeof(why), &at) == -1)
				fail_msg("0x%02x at %zu: %s in %s",
				    (unsigned char)special[k], pos, why, b.data);
			assert_int_equal(json_object_get_string_len(o),
			    sizeof(in));
			assert_memory_equal(json_object_get_string(o), in,
			    sizeof(in));
			json_object_put(o);
		}
	buf_cleanup(&b);
}

static void
test_integers(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(jsonw_uint(&b, 0, 0), 0);
	assert_int_equal(jsonw_uint(&b, UINT64_MAX, 1), 0);
	assert_int_equal(jsonw_int(&b, INT64_MIN, 1), 0);
	assert_int_equal(jsonw_int(&b, -7, 0), 0);
	assert_int_equal(jsonw_int(&b, 42, 1), 0);
	assert_string_equal(b.data, "0\"18446744073709551615\""
	    "\"-9223372036854775808\"-7\"42\"");
	buf_cleanup(&b);
}

/* Past the limit: -1, and the caller drops the text. */
static void
test_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(jsonw_string(&b, "abcdefgh", 8), -1);
	buf_cleanup(&b);
	buf_init(&b, 8);
	assert_int_equal(jsonw_string(&b, "\n\n\n\n", 4), -1);
	buf_cleanup(&b);
	buf_init(&b, 4);
	assert_int_equal(jsonw_uint(&b, 123456, 0), -1);
	assert_int_equal(jsonw_int(&b, -123, 1), -1);
	buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_position),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
