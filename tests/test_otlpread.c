/* test_otlpread.c - the fast path from OTLP/JSON lines to protobuf: what
 * it takes and what it declines, the bytes rules, and the same results
 * as otlp.c's reference conversion on every line of the fuzz corpora. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp.h"
#include "otlpread.h"
#include "testutil.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#define REQ_DESC \
    (&opentelemetry__proto__collector__trace__v1__export_trace_service_request__descriptor)
#define T	"0102030405060708090a0b0c0d0e0f10"
#define S	"1112131415161718"
#define PRE	"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{" \
		"\"traceId\":\"" T "\",\"spanId\":\"" S "\""
#define POST	"}]}]}]}"
#define TEST_HEAP	(1 << 20)

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    Req;

/* A bump allocator over one block, for otlpread_message. */
struct heap {
	size_t		 used;
	max_align_t	 mem[TEST_HEAP / sizeof(max_align_t)];
};

static void *
heap_alloc(void *ctx, size_t n)
{
	struct heap *h = ctx;
	void *p;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	    sizeof(max_align_t);
	assert_true(h->used + n <= sizeof(h->mem));
	p = (char *)h->mem + h->used;
	h->used += n;
	return p;
}

static int
fast(struct heap *h, const char *line, Req **out)
{
	h->used = 0;
	return otlpread_message(REQ_DESC, line, strlen(line), heap_alloc, h,
	    (ProtobufCMessage **)out);
}

/* The common form, as the spool writes it, is taken here. */
static void
test_takes(void **state)
{
	static struct heap h;
	Opentelemetry__Proto__Trace__V1__Span *sp;
	Req *r;

	(void)state;
	assert_int_equal(fast(&h, "{\"resourceSpans\":[{\"resource\":{"
	    "\"attributes\":[{\"key\":\"service.name\",\"value\":{"
	    "\"stringValue\":\"x\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":"
	    "\"s\"},\"spans\":[{\"traceId\":\"" T "\",\"spanId\":\"" S "\","
	    "\"parentSpanId\":\"\",\"flags\":259,\"name\":\"a\\\"\\u00e9\\/\","
	    "\"kind\":2,\"startTimeUnixNano\":\"1795731850348137479\","
	    "\"end_time_unix_nano\":\"1795731850348170772\",\"attributes\":["
	    "{\"key\":\"n\",\"value\":{\"intValue\":\"-42\"}},{\"key\":\"d\","
	    "\"value\":{\"doubleValue\":2.5}},{\"key\":\"u\",\"value\":{"
	    "\"stringValue\":\"\\ud83d\\ude00 \xc3\xa9\"}}],\"status\":{"
	    "\"code\":\"STATUS_CODE_OK\"},\"unknown\":[{\"x\":[1,-2.5e3,true,"
	    "null,\"\"]}]}]}]}]}  \n", &r), 0);
	assert_int_equal(r->n_resource_spans, 1);
	sp = r->resource_spans[0]->scope_spans[0]->spans[0];
	assert_int_equal(sp->trace_id.len, 16);
	assert_int_equal(sp->trace_id.data[15], 0x10);
	assert_int_equal(sp->parent_span_id.len, 0);
	assert_int_equal(sp->flags, 259);
	assert_string_equal(sp->name, "a\"\xc3\xa9/");
	assert_int_equal(sp->kind, 2);
	assert_true(sp->end_time_unix_nano == 1795731850348170772ULL);
	assert_int_equal(sp->n_attributes, 3);
	assert_int_equal(sp->attributes[0]->value->int_value, -42);
	assert_true(sp->attributes[1]->value->double_value == 2.5);
	assert_string_equal(sp->attributes[2]->value->string_value,
	    "\xf0\x9f\x98\x80 \xc3\xa9");
	assert_int_equal(sp->status->code, 1);
}

/* Whatever the reference could read otherwise, or refuses, is declined. */
static void
test_declines(void **state)
{
	static const char *const lines[] = {
		PRE ",\"na\\u006de\":\"x\"" POST,	/* escaped key */
		PRE ",\"name\":\"a\\u0000b\"" POST,	/* NUL */
		PRE ",\"name\":\"\\ud800\"" POST,	/* lone surrogate */
		PRE ",\"name\":\"\\udc00\\ud800\"" POST,
		PRE ",\"name\":\"a\x01\"" POST,		/* control char */
		PRE ",\"name\":\"\xed\xa0\x80\"" POST,	/* UTF-8 surrogate */
		PRE ",\"name\":\"\xf4\x90\x80\x80\"" POST, /* past U+10FFFF */
		PRE ",\"kind\":-0" POST,
		PRE ",\"kind\":01" POST,
		PRE ",\"kind\":1." POST,
		PRE ",\"kind\":2.0" POST,		/* a double: refused */
		PRE ",\"kind\":\"SPAN_KIND_NOPE\"" POST,
		PRE ",\"name\":\"a\",\"name\":\"b\"" POST, /* given twice */
		PRE ",\"name\":\"a\",\"name\":null" POST,
		PRE ",\"startTimeUnixNano\":18446744073709551615" POST,
		PRE ",\"startTimeUnixNano\":\"1e3\"" POST,
		PRE ",\"x\":[1,]" POST,			/* trailing comma */
		PRE ",\"x\":tru" POST,
		PRE POST " x",				/* trailing data */
		" " PRE POST,
		PRE POST "\v",
		PRE,					/* cut short */
		"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"spanId\":"
		    "\"" S "\"" POST,			/* id missing */
		"[1]",
	};
	static struct heap h;
	char deep[256];
	Req *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (fast(&h, lines[i], &r) != -1)
			fail_msg("took %s", lines[i]);
	/* Deeper than OTLPREAD_DEPTH_MAX, in an unknown field. */
	snprintf(deep, sizeof(deep), "{\"x\":%.*s1%.*s}",
	    OTLPREAD_DEPTH_MAX, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
	    OTLPREAD_DEPTH_MAX, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	assert_int_equal(fast(&h, deep, &r), -1);
	snprintf(deep, sizeof(deep), "{\"x\":%.*s1%.*s}",
	    OTLPREAD_DEPTH_MAX - 1, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
	    OTLPREAD_DEPTH_MAX - 1, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	assert_int_equal(fast(&h, deep, &r), 0);
}

static void
test_bytes_rules(void **state)
{
	const ProtobufCMessageDescriptor *span =
	    &opentelemetry__proto__trace__v1__span__descriptor;
	const ProtobufCMessageDescriptor *any =
	    &opentelemetry__proto__common__v1__any_value__descriptor;
	const struct otlpread_hex *h;
	uint8_t out[8];
	size_t n;

	(void)state;
	assert_non_null(h = otlpread_hex_rule(span,
	    protobuf_c_message_descriptor_get_field_by_name(span, "trace_id")));
	assert_int_equal(h->len, 16);
	assert_false(h->optional);
	assert_non_null(h = otlpread_hex_rule(span,
	    protobuf_c_message_descriptor_get_field_by_name(span,
	    "parent_span_id")));
	assert_true(h->optional);
	assert_null(otlpread_hex_rule(span,
	    protobuf_c_message_descriptor_get_field_by_name(span, "name")));
	assert_null(otlpread_hex_rule(any,
	    protobuf_c_message_descriptor_get_field_by_name(any,
	    "bytes_value")));
	assert_int_equal(otlpread_b64_decode("AAEC/w==", 8, out, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(out[3], 0xff);
	assert_int_equal(otlpread_b64_decode("AAEC_w", 6, out, &n), 0);
	assert_int_equal(out[3], 0xff);
	assert_int_equal(otlpread_b64_decode("AAECA", 5, out, &n), -1);
	assert_int_equal(otlpread_b64_decode("AA=C", 4, out, &n), -1);
	assert_int_equal(otlpread_b64_decode("AA!C", 4, out, &n), -1);
}

/* The line through otlp_batch_add_line (fast path first) and through the
 * reference alone: the same answer, error text and protobuf. */
static void
agree(const char *name, const char *line, size_t len)
{
	struct otlp_batch *a = otlp_batch_new(), *b = otlp_batch_new();
	char ea[OTLP_ERR_MAX] = "", eb[OTLP_ERR_MAX] = "";
	size_t na = 0, nb = 0, la, lb;
	uint8_t *pa, *pb;
	int ra, rb;

	ra = otlp_batch_add_line(a, line, len, &na, ea, sizeof(ea));
	rb = otlp_batch_add_line_ref(b, line, len, &nb, eb, sizeof(eb));
	if (ra != rb || na != nb || strcmp(ea, eb) != 0)
		fail_msg("%s: %d/%d %zu/%zu \"%s\" / \"%s\"", name, ra, rb,
		    na, nb, ea, eb);
	pa = otlp_batch_pack(a, &la);
	pb = otlp_batch_pack(b, &lb);
	if (la != lb || memcmp(pa, pb, la) != 0)
		fail_msg("%s: protobuf differs", name);
	free(pa);
	free(pb);
	otlp_batch_free(a);
	otlp_batch_free(b);
}

static size_t
agree_dir(const char *sub)
{
	char dir[4096], path[8192], *text;
	struct dirent *de;
	size_t len, files = 0;
	FILE *fp;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/../corpus/%s", testutil_data_dir(),
	    sub);
	assert_non_null(d = opendir(dir));
	assert_non_null(text = malloc(1 << 20));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_non_null(fp = fopen(path, "rb"));
		len = fread(text, 1, 1 << 20, fp);
		fclose(fp);
		agree(de->d_name, text, len);
		files++;
	}
	free(text);
	closedir(d);
	return files;
}

static void
test_corpus_agree(void **state)
{
	(void)state;
	assert_true(agree_dir("fuzz_otlp") >= 100);
	assert_true(agree_dir("fuzz_spoolline") >= 24);
}

/* The declined forms still convert, by the reference, as before. */
static void
test_declined_agree(void **state)
{
	static const char *const lines[] = {
		PRE ",\"na\\u006de\":\"x\"" POST,
		PRE ",\"name\":\"a\",\"name\":\"b\"" POST,
		PRE ",\"name\":\"a\",\"name\":null" POST,
		PRE ",\"kind\":2.0" POST,
		PRE ",\"startTimeUnixNano\":18446744073709551615" POST,
		PRE ",\"startTimeUnixNano\":\"1e3\"" POST,
		PRE ",\"attributes\":[{\"key\":\"k\",\"value\":{\"doubleValue\":"
		    "-0}}]" POST,
		PRE ",\"attributes\":[{\"key\":\"k\",\"value\":{\"doubleValue\":"
		    "1e999}}]" POST,
		PRE ",\"name\":\"\\ud800\"" POST,
		PRE ",\"x\":[1,]" POST,
		PRE,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		agree(lines[i], lines[i], strlen(lines[i]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_takes),
		cmocka_unit_test(test_declines),
		cmocka_unit_test(test_bytes_rules),
		cmocka_unit_test(test_corpus_agree),
		cmocka_unit_test(test_declined_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
