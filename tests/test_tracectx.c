/* test_tracectx.c - ids, traceparent and tracestate (tables in tests/data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "hex.h"
#include "tracectx.h"

#define NIDS		2000

static void
traceparent_case(const char *in, const char *exp, int lineno)
{
	struct tracectx ctx, before;
	char out[TRACECTX_TRACEPARENT_LEN + 1];
	int rc;

	memset(&ctx, 0x5a, sizeof(ctx));
	strcpy(ctx.tracestate, "k=v");
	before = ctx;
	rc = tracectx_parse_traceparent(in, &ctx);
	if (strcmp(exp, "invalid") == 0) {
		if (rc != -1)
			fail_msg("traceparent.test:%d: accepted \"%s\"", lineno,
			    in);
		assert_memory_equal(&ctx, &before, sizeof(ctx));
		return;
	}
	if (rc != 0)
		fail_msg("traceparent.test:%d: rejected \"%s\"", lineno, in);
	tracectx_format_traceparent(&ctx, out);
	if (strcmp(out, exp) != 0)
		fail_msg("traceparent.test:%d: got %s, want %s", lineno, out,
		    exp);
	assert_string_equal(ctx.tracestate, "");
	assert_true((ctx.flags & ~0x03) == 0);
}

static void
test_traceparent_table(void **state)
{
	(void)state;
	assert_true(testutil_run_pairs("traceparent.test", traceparent_case) >=
	    60);
}

static void
tracestate_case(const char *in, const char *exp, int lineno)
{
	struct tracectx ctx;
	int rc;

	strcpy(ctx.tracestate, "old=1");
	rc = tracectx_parse_tracestate(in, &ctx);
	if (strcmp(exp, "invalid") == 0) {
		if (rc != -1)
			fail_msg("tracestate.test:%d: accepted \"%s\"", lineno,
			    in);
		assert_string_equal(ctx.tracestate, "");
		return;
	}
	if (rc != 0)
		fail_msg("tracestate.test:%d: rejected \"%s\"", lineno, in);
	if (strcmp(ctx.tracestate, exp) != 0)
		fail_msg("tracestate.test:%d: got \"%s\", want \"%s\"", lineno,
		    ctx.tracestate, exp);
}

static void
test_tracestate_table(void **state)
{
	(void)state;
	assert_true(testutil_run_pairs("tracestate.test", tracestate_case) >=
	    40);
}

/* n copies of c and a NUL into dst. */
static char *
rep(char *dst, char c, size_t n)
{
	memset(dst, c, n);
	dst[n] = '\0';
	return dst;
}

static int
parse_ts(const char *hdr, char *out)
{
	struct tracectx ctx;
	int rc = tracectx_parse_tracestate(hdr, &ctx);

	strcpy(out, ctx.tracestate);
	return rc;
}

static void
test_tracestate_key_limits(void **state)
{
	char a[300], b[300], hdr[700], out[TRACECTX_TRACESTATE_MAX + 1];

	(void)state;
	snprintf(hdr, sizeof(hdr), "%s=v", rep(a, 'k', 256));
	assert_int_equal(parse_ts(hdr, out), 0);
	assert_string_equal(out, hdr);
	snprintf(hdr, sizeof(hdr), "%s=v", rep(a, 'k', 257));
	assert_int_equal(parse_ts(hdr, out), -1);
	snprintf(hdr, sizeof(hdr), "%s@%s=v", rep(a, 't', 241),
	    rep(b, 'v', 14));
	assert_int_equal(parse_ts(hdr, out), 0);
	assert_string_equal(out, hdr);
	snprintf(hdr, sizeof(hdr), "%s@%s=v", rep(a, 't', 242),
	    rep(b, 'v', 1));
	assert_int_equal(parse_ts(hdr, out), -1);
	snprintf(hdr, sizeof(hdr), "t@%s=v", rep(b, 'v', 15));
	assert_int_equal(parse_ts(hdr, out), -1);
}

static void
test_tracestate_value_limits(void **state)
{
	char a[300], hdr[700], out[TRACECTX_TRACESTATE_MAX + 1];

	(void)state;
	snprintf(hdr, sizeof(hdr), "k=%s", rep(a, 'x', 256));
	assert_int_equal(parse_ts(hdr, out), 0);
	assert_string_equal(out, hdr);
	snprintf(hdr, sizeof(hdr), "k=%s", rep(a, 'x', 257));
	assert_int_equal(parse_ts(hdr, out), -1);
	assert_string_equal(out, "");
}

/* n members "mNN=<pad>" of mlen chars each, with an empty member between
 * each pair when empties is set. */
static void
members(char *hdr, size_t n, size_t mlen, int empties)
{
	char pad[300];
	size_t i;

	hdr[0] = '\0';
	for (i = 0; i < n; i++)
		sprintf(hdr + strlen(hdr), "%s%sm%02zu=%s", i ? "," : "",
		    i && empties ? " ," : "", i, rep(pad, 'p', mlen - 4));
}

static void
test_tracestate_member_count(void **state)
{
	char hdr[8192], out[TRACECTX_TRACESTATE_MAX + 1];

	(void)state;
	members(hdr, 32, 6, 0);
	assert_int_equal(parse_ts(hdr, out), 0);
	assert_string_equal(out, hdr);
	members(hdr, 32, 6, 1);
	assert_int_equal(parse_ts(hdr, out), 0);
	assert_int_equal(strlen(out), 32 * 6 + 31);
	members(hdr, 33, 6, 0);
	assert_int_equal(parse_ts(hdr, out), -1);
	assert_string_equal(out, "");
}

static void
test_tracestate_truncation(void **state)
{
	char hdr[8192], want[8192], out[TRACECTX_TRACESTATE_MAX + 1];
	char a[300], b[300];

	(void)state;
	/* 10 members of 60: 8 fit (8 * 60 + 7 = 487), the 9th would not. */
	members(hdr, 10, 60, 0);
	members(want, 8, 60, 0);
	assert_int_equal(parse_ts(hdr, out), 0);
	assert_string_equal(out, want);
	/* Exactly 512 is kept whole. */
	snprintf(hdr, sizeof(hdr), "%s=%s", rep(a, 'k', 255), rep(b, 'v', 256));
	assert_int_equal(strlen(hdr), 512);
	assert_int_equal(parse_ts(hdr, out), 0);
	assert_string_equal(out, hdr);
	/* A single 513-char member is dropped whole: valid, but empty. */
	snprintf(hdr, sizeof(hdr), "%s=%s", rep(a, 'k', 256), rep(b, 'v', 256));
	assert_int_equal(parse_ts(hdr, out), 0);
	assert_string_equal(out, "");
	/* Dropping stops at the first member that does not fit. */
	snprintf(hdr, sizeof(hdr), "a=1,%s=%s,b=2", rep(a, 'k', 256),
	    rep(b, 'v', 256));
	assert_int_equal(parse_ts(hdr, out), 0);
	assert_string_equal(out, "a=1");
}

static void
test_tracestate_null(void **state)
{
	struct tracectx ctx;

	(void)state;
	strcpy(ctx.tracestate, "x=1");
	assert_int_equal(tracectx_parse_tracestate(NULL, &ctx), -1);
	assert_string_equal(ctx.tracestate, "");
	assert_int_equal(tracectx_parse_traceparent(NULL, &ctx), -1);
}

static int
cmp_ids(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void
test_random_ids(void **state)
{
	static uint8_t ids[NIDS][16];
	struct tracectx ctx;
	size_t i;

	(void)state;
	for (i = 0; i < NIDS; i++) {
		assert_int_equal(tracectx_new_trace(&ctx), 0);
		assert_false(tracectx_is_zero(ctx.trace_id, 16));
		assert_false(tracectx_is_zero(ctx.span_id, 8));
		assert_int_equal(ctx.flags, TRACECTX_FLAG_SAMPLED |
		    TRACECTX_FLAG_RANDOM);
		assert_string_equal(ctx.tracestate, "");
		memcpy(ids[i], ctx.trace_id, 16);
	}
	qsort(ids, NIDS, 16, cmp_ids);
	for (i = 1; i < NIDS; i++)
		assert_true(memcmp(ids[i - 1], ids[i], 16) != 0);
}

static void
test_new_span(void **state)
{
	struct tracectx ctx, prev;
	int i;

	(void)state;
	assert_int_equal(tracectx_new_trace(&ctx), 0);
	strcpy(ctx.tracestate, "a=b");
	for (i = 0; i < 100; i++) {
		prev = ctx;
		assert_int_equal(tracectx_new_span(&ctx), 0);
		assert_memory_equal(ctx.trace_id, prev.trace_id, 16);
		assert_memory_not_equal(ctx.span_id, prev.span_id, 8);
		assert_false(tracectx_is_zero(ctx.span_id, 8));
		assert_int_equal(ctx.flags, prev.flags);
		assert_string_equal(ctx.tracestate, "a=b");
	}
}

static void
test_format_roundtrip(void **state)
{
	struct tracectx ctx, back;
	char tp[TRACECTX_TRACEPARENT_LEN + 1];

	(void)state;
	assert_int_equal(tracectx_new_trace(&ctx), 0);
	ctx.flags = TRACECTX_FLAG_SAMPLED;
	memset(tp, 'X', sizeof(tp));
	tracectx_format_traceparent(&ctx, tp);
	assert_int_equal(strlen(tp), TRACECTX_TRACEPARENT_LEN);
	assert_memory_equal(tp, "00-", 3);
	assert_string_equal(tp + 53, "01");
	assert_int_equal(tracectx_parse_traceparent(tp, &back), 0);
	assert_memory_equal(back.trace_id, ctx.trace_id, 16);
	assert_memory_equal(back.span_id, ctx.span_id, 8);
	assert_int_equal(back.flags, TRACECTX_FLAG_SAMPLED);
}

static void
test_hex(void **state)
{
	const uint8_t bytes[4] = { 0x00, 0xab, 0x7f, 0xff };
	uint8_t out[4], zero[3] = { 0, 0, 0 };
	char hex[9];

	(void)state;
	hex_encode(bytes, 4, hex);
	assert_string_equal(hex, "00ab7fff");
	assert_int_equal(hex_decode("00AB7fFf", 4, out), 0);
	assert_memory_equal(out, bytes, 4);
	assert_int_equal(hex_decode("00ab7fg0", 4, out), -1);
	assert_int_equal(hex_decode("0 ab7ff0", 4, out), -1);
	assert_int_equal(hex_decode("00ab7f", 4, out), -1);
	assert_true(tracectx_is_zero(zero, 3));
	assert_false(tracectx_is_zero(bytes, 2));
	assert_true(tracectx_is_zero(bytes, 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traceparent_table),
		cmocka_unit_test(test_tracestate_table),
		cmocka_unit_test(test_tracestate_key_limits),
		cmocka_unit_test(test_tracestate_value_limits),
		cmocka_unit_test(test_tracestate_member_count),
		cmocka_unit_test(test_tracestate_truncation),
		cmocka_unit_test(test_tracestate_null),
		cmocka_unit_test(test_random_ids),
		cmocka_unit_test(test_new_span),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
