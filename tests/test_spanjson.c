/* test_spanjson.c - selected spans re-emitted as a TracesData line: the
 * envelope, groups by resource and scope, the line passed through when
 * all of it is selected, and the limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spanjson.h"

/* Two resources; the second has two scopes. */
static const char line[] =
    "{\"resourceSpans\":["
    "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
    "{\"stringValue\":\"r1\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":"
    "\"s1\"},\"spans\":["
    "{\"traceId\":\"aa\",\"spanId\":\"a1\",\"name\":\"one\"},"
    "{\"traceId\":\"aa\",\"spanId\":\"a2\",\"name\":\"two\"}]}]},"
    "{\"resource\":{},\"scopeSpans\":["
    "{\"scope\":{\"name\":\"s2\"},\"spans\":["
    "{\"traceId\":\"bb\",\"spanId\":\"b1\",\"name\":\"three\"}]},"
    "{\"scope\":{\"name\":\"s3\"},\"spans\":["
    "{\"traceId\":\"bb\",\"spanId\":\"b2\",\"name\":\"four\"}]}]}]}";

struct pick {
	struct spanjson	*j;
	const char	*names;	/* span names to select, space separated */
};

static int
pick_span(const struct spanscan_span *s, void *arg)
{
	struct pick *p = arg;
	char name[32], want[64];

	spanscan_unescape(s->name, name, sizeof(name), 0);
	snprintf(want, sizeof(want), " %s ", name);
	if (strstr(p->names, want) != NULL)
		spanjson_select(p->j, s);
	return 0;
}

/* What spanjson_write makes of line when the spans named are selected;
 * the caller frees. */
static char *
write_of(const char *names, int *rc)
{
	struct spanjson j;
	struct pick p = { &j, names };
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int n;

	assert_non_null(fp);
	spanjson_init(&j);
	spanjson_reset(&j);
	n = spanscan_line(line, strlen(line), pick_span, &p);
	assert_int_equal(n, 4);
	*rc = spanjson_write(&j, fp, line, strlen(line), (size_t)n);
	assert_int_equal(fclose(fp), 0);
	spanjson_cleanup(&j);
	return text;
}

static void
test_subsets(void **state)
{
	char *text;
	int rc;

	(void)state;
	text = write_of(" one three four ", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(text,
	    "{\"resourceSpans\":["
	    "{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
	    "\"value\":{\"stringValue\":\"r1\"}}]},\"scopeSpans\":[{\"scope\":"
	    "{\"name\":\"s1\"},\"spans\":["
	    "{\"traceId\":\"aa\",\"spanId\":\"a1\",\"name\":\"one\"}]}]},"
	    "{\"resource\":{},\"scopeSpans\":[{\"scope\":{\"name\":\"s2\"},"
	    "\"spans\":["
	    "{\"traceId\":\"bb\",\"spanId\":\"b1\",\"name\":\"three\"}]}]},"
	    "{\"resource\":{},\"scopeSpans\":[{\"scope\":{\"name\":\"s3\"},"
	    "\"spans\":["
	    "{\"traceId\":\"bb\",\"spanId\":\"b2\",\"name\":\"four\"}]}]}"
	    "]}\n");
	free(text);

	/* Two of one group stay together. */
	text = write_of(" one two four ", &rc);
	assert_non_null(strstr(text, "\"name\":\"one\"},{\"traceId\":\"aa\","
	    "\"spanId\":\"a2\",\"name\":\"two\"}]}]},{\"resource\""));
	assert_int_equal(spanscan_line(text, strlen(text) - 1, NULL, NULL),
	    3);
	free(text);
}

static void
test_all_or_none(void **state)
{
	char *text;
	int rc;

	(void)state;
	text = write_of(" one two three four ", &rc);
	assert_int_equal(rc, 0);
	assert_memory_equal(text, line, strlen(line));	/* as it was */
	assert_string_equal(text + strlen(line), "\n");
	free(text);
	text = write_of(" none ", &rc);
	assert_int_equal(rc, 0);
	assert_true(text == NULL || text[0] == '\0');
	free(text);
}

/* The built line reads back with each span's own resource and scope. */
struct back {
	char	names[128];
};

static int
read_back(const struct spanscan_span *s, void *arg)
{
	struct back *b = arg;
	char name[32];
	size_t n = strlen(b->names);

	spanscan_unescape(s->name, name, sizeof(name), 0);
	snprintf(b->names + n, sizeof(b->names) - n, "%s/%.*s ", name,
	    (int)s->raw_scope.len, s->raw_scope.ptr);
	return 0;
}

static void
test_build_reads_back(void **state)
{
	struct spanjson j;
	struct pick p = { &j, " two four " };
	struct back b = { "" };
	struct buf out;

	(void)state;
	spanjson_init(&j);
	assert_int_equal(spanscan_line(line, strlen(line), pick_span, &p), 4);
	buf_init(&out, SPANJSON_LIMIT);
	assert_int_equal(spanjson_build(&out, j.sel, j.nsel), 0);
	assert_true(out.len > 0 && out.data[out.len - 1] == '\n');
	assert_int_equal(spanscan_line(out.data, out.len - 1, read_back, &b),
	    2);
	assert_string_equal(b.names, "two/{\"name\":\"s1\"} "
	    "four/{\"name\":\"s3\"} ");

	/* No spans: an empty TracesData. */
	buf_reset(&out);
	assert_int_equal(spanjson_build(&out, NULL, 0), 0);
	assert_string_equal(out.data, "{\"resourceSpans\":[]}\n");
	buf_cleanup(&out);
	spanjson_cleanup(&j);
}

static void
test_limit(void **state)
{
	struct spanjson j;
	struct pick p = { &j, " one " };
	struct buf out;

	(void)state;
	spanjson_init(&j);
	assert_int_equal(spanscan_line(line, strlen(line), pick_span, &p), 4);
	for (size_t lim = 0; lim < 200; lim++) {
		buf_init(&out, lim);
		if (spanjson_build(&out, j.sel, j.nsel) == 0) {
			/* Only once the whole line fits. */
			assert_true(out.data[out.len - 1] == '\n');
			assert_true(lim >= out.len);
		}
		buf_cleanup(&out);
	}
	buf_init(&out, 10000);
	assert_int_equal(spanjson_build(&out, j.sel, j.nsel), 0);
	buf_cleanup(&out);
	spanjson_cleanup(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subsets),
		cmocka_unit_test(test_all_or_none),
		cmocka_unit_test(test_build_reads_back),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
