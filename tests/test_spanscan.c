/* test_spanscan.c - spanscan: the table in tests/data/spanscan.test, torn
 * lines, deep nesting, unescaping, and lines from the real writer
 * (span.c + spool.c) checked field by field against json-c. With
 * SPANSCAN_BENCH=1 it also prints the scanning speed on realistic lines. */
#define _GNU_SOURCE	/* asprintf, memrchr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "span.h"
#include "spanscan.h"
#include "spool.h"
#include "testspan.h"
#include "spoolagree.h"
#include "testutil.h"
#include "tracectx.h"

#define MAX_SPANS	64
#define MAX_CHECKS	64
#define MAX_DEFINES	8
#define TEST_TRACE	"5b8efff798038103d269b633813fc60c"
#define TEST_SPAN	"eee19b7ec3c1b174"
#define TEST_PARENT	"eee19b7ec3c1b173"
#define BENCH_BYTES	(200u * 1024 * 1024)
#define BENCH_JSONC	(20u * 1024 * 1024)

struct got {
	struct spanscan_span	 s[MAX_SPANS];
	int			 n;
	int			 stop_at;	/* stop here; 0 never */
};

struct fx {
	char	 top[64];	/* mkdtemp */
	char	 dir[96];	/* top/spool */
	char	*text;		/* the spool's lines */
	size_t	 len;
};

static const struct spool_resource res = {
	.service_name = "recipe-chat-test",
	.project_name = "recipes",
	.scope_name = "recipe-chat/test",
	.scope_version = "1.2.3",
};

enum ftype { F_STR, F_INT, F_U64, F_I64 };

static const struct field {
	const char	*name;
	size_t		 off;
	enum ftype	 type;
} fields[] = {
#define F(f, t)	{ #f, offsetof(struct spanscan_span, f), t }
	F(trace_id, F_STR), F(span_id, F_STR), F(parent_span_id, F_STR),
	F(name, F_STR), F(kind, F_INT), F(start_ns, F_U64),
	F(end_ns, F_U64), F(status_code, F_INT), F(status_message, F_STR),
	F(oi_kind, F_STR), F(session_id, F_STR), F(user_id, F_STR),
	F(input, F_STR), F(output, F_STR), F(model, F_STR),
	F(have_tokens, F_INT), F(tokens_prompt, F_I64),
	F(tokens_completion, F_I64), F(tokens_total, F_I64),
	F(exception_type, F_STR), F(exception_message, F_STR),
	F(raw, F_STR), F(raw_resource, F_STR), F(raw_scope, F_STR),
	F(service_name, F_STR),
#undef F
};

static int
collect(const struct spanscan_span *s, void *arg)
{
	struct got *g = arg;

	if (g->n < MAX_SPANS)
		g->s[g->n] = *s;
	g->n++;
	return g->stop_at != 0 && g->n >= g->stop_at ? -1 : 0;
}

static struct spanscan_str
str_of(const char *p, size_t n)
{
	struct spanscan_str s = { p, n };

	return s;
}

/* ---- the table ---- */

/* Copy of in with @T @S @P replaced. Caller frees. */
static char *
subst(const char *in)
{
	char *out = malloc(strlen(in) * 16 + 1), *o = out;

	assert_non_null(out);
	for (; *in != '\0'; in++) {
		const char *r = NULL;

		if (in[0] == '@' && in[1] == 'T')
			r = TEST_TRACE;
		else if (in[0] == '@' && in[1] == 'S')
			r = TEST_SPAN;
		else if (in[0] == '@' && in[1] == 'P')
			r = TEST_PARENT;
		if (r == NULL) {
			*o++ = *in;
			continue;
		}
		o = stpcpy(o, r);
		in++;
	}
	*o = '\0';
	return out;
}

/* "x:<hex>" as bytes, or the text itself; *n gets the length. Caller
 * frees. */
static char *
bytes_of(const char *text, size_t *n)
{
	char *out = strdup(text);
	unsigned int b;

	assert_non_null(out);
	*n = strlen(text);
	if (strncmp(text, "x:", 2) != 0)
		return out;
	for (*n = 0; sscanf(text + 2 + 2 * *n, "%2x", &b) == 1; (*n)++)
		out[*n] = (char)b;
	out[*n] = '\0';
	return out;
}

static void
check_value(const struct field *f, const char *p, const char *check,
    const char *want, int lineno)
{
	const struct spanscan_str *v;
	char got[64];

	switch (f->type) {
	case F_STR:
		v = (const struct spanscan_str *)(const void *)p;
		if (strcmp(want, "@none") == 0 ? v->ptr == NULL :
		    v->ptr != NULL && v->len == strlen(want) &&
		    memcmp(v->ptr, want, v->len) == 0)
			return;
		fail_msg("spanscan.test:%d: %s: got %s%.*s%s", lineno, check,
		    v->ptr ? "\"" : "", v->ptr ? (int)v->len : 6,
		    v->ptr ? v->ptr : "absent", v->ptr ? "\"" : "");
		return;
	case F_INT:
		snprintf(got, sizeof(got), "%d", *(const int *)(const void *)p);
		break;
	case F_U64:
		snprintf(got, sizeof(got), "%" PRIu64,
		    *(const uint64_t *)(const void *)p);
		break;
	case F_I64:
		snprintf(got, sizeof(got), "%" PRId64,
		    *(const int64_t *)(const void *)p);
		break;
	}
	if (strcmp(got, want) != 0)
		fail_msg("spanscan.test:%d: %s: got %s", lineno, check, got);
}

/* check is <field>=<value>, the value with @T @S @P. */
static void
check_field(const struct spanscan_span *s, const char *check, int lineno)
{
	const char *eq = strchr(check, '=');
	char *want;
	size_t i, n = sizeof(fields) / sizeof(fields[0]);

	if (eq == NULL)
		fail_msg("spanscan.test:%d: bad check %s", lineno, check);
	for (i = 0; i < n; i++)
		if (strlen(fields[i].name) == (size_t)(eq - check) &&
		    strncmp(fields[i].name, check, eq - check) == 0)
			break;
	if (i == n)
		fail_msg("spanscan.test:%d: no field %s", lineno, check);
	want = subst(eq + 1);
	check_value(&fields[i], (const char *)s + fields[i].off, check, want,
	    lineno);
	free(want);
}

/* A slice of the line that must be one JSON object, whole. */
static void
assert_object_slice(struct spanscan_str s, const char *line, size_t len,
    int lineno)
{
	json_object *o;
	char *copy;

	if (s.ptr == NULL)
		return;
	if (s.ptr < line || s.ptr + s.len > line + len || s.len < 2 ||
	    s.ptr[0] != '{' || s.ptr[s.len - 1] != '}')
		fail_msg("spanscan.test:%d: raw slice out of place", lineno);
	assert_non_null(copy = strndup(s.ptr, s.len));
	o = json_tokener_parse(copy);
	if (!json_object_is_type(o, json_type_object))
		fail_msg("spanscan.test:%d: raw slice not an object: %s",
		    lineno, copy);
	json_object_put(o);
	free(copy);
}

/* What holds for every accepted line: each proper prefix is torn (-1),
 * trailing garbage is rejected, fn may be NULL, and fn can stop. */
static void
check_accepted(const char *line, size_t len, int n, int lineno)
{
	struct got *g = calloc(1, sizeof(*g));
	const char *last = memrchr(line, '}', len);
	char *buf;
	size_t k;

	assert_non_null(g);
	assert_non_null(last);
	for (k = 0; k <= (size_t)(last - line); k++) {
		/* An exact-size copy: ASan sees reads past it. */
		assert_non_null(buf = malloc(k + 1));
		memcpy(buf, line, k);
		if (spanscan_line(buf, k, NULL, NULL) != -1)
			fail_msg("spanscan.test:%d: prefix of %zu bytes "
			    "accepted", lineno, k);
		free(buf);
	}
	assert_non_null(buf = malloc(len + 3));
	memcpy(buf, line, len);
	memcpy(buf + len, ",{}", 3);
	assert_int_equal(spanscan_line(buf, len + 1, NULL, NULL), -1);
	assert_int_equal(spanscan_line(buf, len + 3, NULL, NULL), -1);
	free(buf);
	assert_int_equal(spanscan_line(line, len, NULL, NULL), n);
	if (n > 1) {
		g->stop_at = 1;
		assert_int_equal(spanscan_line(line, len, collect, g), 1);
		assert_int_equal(g->n, 1);
	}
	free(g);
}

struct define {
	char	*name;
	char	*checks[MAX_CHECKS];
	int	 n;
};

struct table {
	struct define	 defs[MAX_DEFINES];
	int		 ndefs;
	int		 lines, unescapes;
};

static void
run_checks(const struct got *g, char **checks, int n, struct table *t,
    int lineno)
{
	char *end;
	long i;
	int k;

	for (k = 0; k < n; k++) {
		if (checks[k][0] == '@') {
			for (i = 0; i < t->ndefs; i++)
				if (strcmp(t->defs[i].name, checks[k] + 1) == 0)
					run_checks(g, t->defs[i].checks,
					    t->defs[i].n, t, lineno);
			continue;
		}
		i = strtol(checks[k], &end, 10);
		if (*end != '.' || i < 0 || i >= g->n || i >= MAX_SPANS)
			fail_msg("spanscan.test:%d: no span for %s", lineno,
			    checks[k]);
		check_field(&g->s[i], end + 1, lineno);
	}
}

static char *
wrap_spans(const char *spans)
{
	char *line;

	if (asprintf(&line, "{\"resourceSpans\":[{\"resource\":"
	    "{\"attributes\":[{\"key\":\"service.name\",\"value\":"
	    "{\"stringValue\":\"svc\"}}]},\"scopeSpans\":[{\"scope\":"
	    "{\"name\":\"sc\"},\"spans\":[%s]}]}]}", spans) == -1)
		fail();
	return line;
}

static void
row_line(char **f, int nf, struct table *t, int lineno)
{
	struct got *g = calloc(1, sizeof(*g));
	char *in = subst(f[1]), *line;
	size_t len, i;
	int r;

	assert_non_null(g);
	line = strcmp(f[0], "span") == 0 ? wrap_spans(in) : strdup(in);
	len = strlen(line);
	r = spanscan_line(line, len, collect, g);
	if (strcmp(f[2], "!") == 0) {
		if (r != -1)
			fail_msg("spanscan.test:%d: accepted (%d spans)",
			    lineno, r);
	} else {
		if (r != atoi(f[2]) || g->n != r)
			fail_msg("spanscan.test:%d: got %d spans, want %s",
			    lineno, r, f[2]);
		run_checks(g, f + 3, nf - 3, t, lineno);
		for (i = 0; i < (size_t)g->n && i < MAX_SPANS; i++) {
			assert_object_slice(g->s[i].raw, line, len, lineno);
			assert_object_slice(g->s[i].raw_resource, line, len,
			    lineno);
			assert_object_slice(g->s[i].raw_scope, line, len,
			    lineno);
		}
		check_accepted(line, len, r, lineno);
	}
	t->lines++;
	free(line);
	free(in);
	free(g);
}

static void
row_unescape(char **f, int nf, int lineno)
{
	size_t inlen, wantlen, outlen = (size_t)atol(f[2]), n;
	char *in, *want, *out;

	if (nf != 5)
		fail_msg("spanscan.test:%d: want 5 columns", lineno);
	in = bytes_of(f[1], &inlen);
	want = bytes_of(f[4], &wantlen);
	assert_non_null(out = malloc(outlen));	/* ASan: exact size */
	n = spanscan_unescape(str_of(in, inlen), out, outlen, atoi(f[3]));
	if (n != wantlen || memcmp(out, want, n) != 0 || out[n] != '\0')
		fail_msg("spanscan.test:%d: got \"%.*s\" (%zu bytes)", lineno,
		    (int)n, out, n);
	free(in);
	free(want);
	free(out);
}

static void
row_define(char **f, int nf, struct table *t, int lineno)
{
	struct define *d = &t->defs[t->ndefs++];
	int i;

	if (t->ndefs > MAX_DEFINES || nf - 2 > MAX_CHECKS)
		fail_msg("spanscan.test:%d: too many defines", lineno);
	d->name = strdup(f[1]);
	for (i = 2; i < nf; i++)
		d->checks[d->n++] = strdup(f[i]);
}

/* One row split into nf columns f. The caller splits one column further
 * than a row may go, so a row with too many columns shows as nf too big. */
static void
run_row(char **f, int nf, struct table *t, int lineno)
{
	if (nf < 3 || nf > MAX_CHECKS + 3)
		fail_msg("spanscan.test:%d: bad row", lineno);
	if (strcmp(f[0], "define") == 0)
		row_define(f, nf, t, lineno);
	else if (strcmp(f[0], "unescape") == 0) {
		row_unescape(f, nf, lineno);
		t->unescapes++;
	} else if (strcmp(f[0], "line") == 0 || strcmp(f[0], "span") == 0)
		row_line(f, nf, t, lineno);
	else
		fail_msg("spanscan.test:%d: unknown kind %s", lineno, f[0]);
}

static void
test_table(void **state)
{
	struct testutil_table tt;
	struct table t;
	char *f[MAX_CHECKS + 4];
	int nf, i, k;

	(void)state;
	memset(&t, 0, sizeof(t));
	testutil_table_open(&tt, "spanscan.test");
	while ((nf = testutil_next_case(&tt, f, MAX_CHECKS + 4)) > 0)
		run_row(f, nf, &t, tt.lineno);
	testutil_table_close(&tt);
	for (i = 0; i < t.ndefs; i++) {
		for (k = 0; k < t.defs[i].n; k++)
			free(t.defs[i].checks[k]);
		free(t.defs[i].name);
	}
	assert_true(t.lines >= 140);
	assert_true(t.unescapes >= 40);
}

/* ---- cases easier in code ---- */

static void
test_depth(void **state)
{
	char line[2 * SPANSCAN_MAX_DEPTH + 16];
	int d, n;

	(void)state;
	/* The object itself is one level; d arrays inside it. */
	for (d = SPANSCAN_MAX_DEPTH - 1; d <= SPANSCAN_MAX_DEPTH; d++) {
		n = sprintf(line, "{\"x\":");
		memset(line + n, '[', d);
		memset(line + n + d, ']', d);
		n += 2 * d;
		line[n++] = '}';
		assert_int_equal(spanscan_line(line, n, NULL, NULL),
		    d < SPANSCAN_MAX_DEPTH ? 0 : -1);
	}
	assert_int_equal(spanscan_line(NULL, 0, NULL, NULL), -1);
}

/* Every outlen gives the longest prefix of the whole output that ends on
 * a character boundary and fits in outlen - 1 bytes. */
static void
test_unescape_cut(void **state)
{
	static const char raw[] = "a\\u00e9\xe2\x82\xac\\ud83d\\ude00b\xc3\xa9"
	    "\\n\xf0\x9f\x8d\xb2";
	char full[64], out[64];
	size_t whole, outlen, n, next;

	(void)state;
	whole = spanscan_unescape(str_of(raw, strlen(raw)), full,
	    sizeof(full), 0);
	assert_int_equal(whole, 1 + 2 + 3 + 4 + 1 + 2 + 1 + 4);
	for (outlen = 1; outlen <= whole + 2; outlen++) {
		n = spanscan_unescape(str_of(raw, strlen(raw)), out, outlen,
		    0);
		assert_true(n <= outlen - 1);
		assert_memory_equal(out, full, n);
		assert_int_equal(out[n], '\0');
		assert_true(n == whole || (full[n] & 0xc0) != 0x80);
		for (next = n + 1; next < whole &&
		    (full[next] & 0xc0) == 0x80; next++)
			;
		assert_true(n == whole || next > outlen - 1);
	}
	memset(out, 'z', sizeof(out));
	assert_int_equal(spanscan_unescape(str_of(raw, 3), out, 0, 0), 0);
	assert_int_equal(out[0], 'z');
	assert_int_equal(spanscan_unescape(str_of(NULL, 0), out, 8, 1), 0);
	assert_string_equal(out, "");
}

static void
test_eq(void **state)
{
	(void)state;
	assert_int_equal(spanscan_eq(str_of("abc", 3), "abc"), 1);
	assert_int_equal(spanscan_eq(str_of("abc", 2), "abc"), 0);
	assert_int_equal(spanscan_eq(str_of("abc", 3), "ab"), 0);
	assert_int_equal(spanscan_eq(str_of("", 0), ""), 1);
	assert_int_equal(spanscan_eq(str_of(NULL, 0), ""), 0);
}

/* ---- lines from the real writer ---- */

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (testutil_mkdtemp(fx->top, sizeof(fx->top),
	    "test_spanscan") == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/spool", fx->top);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	testutil_rmtree(fx->top);
	free(fx->text);
	free(fx);
	return 0;
}

/* All segments of the closed spool, one after the other, into fx->text. */
static void
read_spool(struct fx *fx)
{
	char path[512], *chunk = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	FILE *fp;

	assert_non_null(d = opendir(fx->dir));
	fp = open_memstream(&fx->text, &fx->len);
	while ((de = readdir(d)) != NULL) {
		FILE *in;

		if (strncmp(de->d_name, "spans-", 6) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", fx->dir, de->d_name);
		assert_non_null(in = fopen(path, "r"));
		while (getline(&chunk, &n, in) != -1)
			fputs(chunk, fp);
		fclose(in);
	}
	closedir(d);
	free(chunk);
	fclose(fp);
}

/* A random string full of what JSON must escape: quotes, backslashes,
 * controls, slashes, multi-byte UTF-8, and some invalid bytes. */
static char *
random_text(unsigned int *seed, size_t maxlen)
{
	static const char *const bits[] = { "\"", "\\", "/", "\n", "\t",
	    "\r", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "\xff", "\xc3", "\\u0041",
	    "</script>", "soup", " ", "{\"role\":\"user\"}" };
	size_t len = (size_t)rand_r(seed) % maxlen, n = 0;
	char *s = malloc(len + 32);

	assert_non_null(s);
	while (n < len) {
		const char *b = bits[rand_r(seed) %
		    (sizeof(bits) / sizeof(bits[0]))];

		memcpy(s + n, b, strlen(b));
		n += strlen(b);
	}
	s[n] = '\0';
	return s;
}

static void
set_random(struct span *s, const char *key, unsigned int *seed,
    size_t maxlen)
{
	char *v = random_text(seed, maxlen);

	span_set_str(s, key, v);
	free(v);
}

/* A traced turn like turn.c writes: the AGENT root and its LLM child. */
static void
make_turn(struct span **out, unsigned int *seed)
{
	static const char *const tags[] = { "a", "b\"c" };
	struct tracectx link;
	struct span *root, *llm;

	assert_non_null(root = span_start("chat_turn", SPAN_KIND_SERVER,
	    NULL));
	assert_non_null(llm = span_start("completion", SPAN_KIND_CLIENT,
	    span_context(root)));
	span_set_str(root, "openinference.span.kind", "AGENT");
	set_random(root, "session.id", seed, 40);
	set_random(root, "user.id", seed, 20);
	set_random(root, "input.value", seed, 400);
	set_random(root, "output.value", seed, rand_r(seed) % 8 ? 400 : 40000);
	testspan_set_str_array(root, "tag.tags", tags, 2);
	assert_int_equal(tracectx_new_trace(&link), 0);
	span_add_link(root, &link);
	span_set_str(llm, "openinference.span.kind", "LLM");
	set_random(llm, "llm.model_name", seed, 20);
	set_random(llm, "input.value", seed, 2000);
	set_random(llm, "llm.input_messages.0.message.content", seed, 2000);
	testspan_set_double(llm, "llm.invocation_parameters.temperature", 0.5);
	span_set_int(llm, "llm.token_count.prompt", rand_r(seed));
	if (rand_r(seed) % 2)
		span_set_int(llm, "llm.token_count.total", -rand_r(seed));
	if (rand_r(seed) % 2) {
		char *t = random_text(seed, 30), *m = random_text(seed, 200);

		span_add_exception(llm, t, m, 1);
		span_set_status(llm, SPAN_STATUS_ERROR, m);
		free(t);
		free(m);
	}
	span_end(llm);
	span_end(root);
	out[0] = llm;
	out[1] = root;
}

/* got decoded equals json-c's string (or both absent). */
static void
assert_str_jsonc(struct spanscan_str got, json_object *want)
{
	char *buf;
	size_t n;

	if (want == NULL) {
		assert_null(got.ptr);
		return;
	}
	assert_non_null(got.ptr);
	assert_non_null(buf = malloc(got.len + 1));
	n = spanscan_unescape(got, buf, got.len + 1, 0);
	assert_int_equal(n, (size_t)json_object_get_string_len(want));
	assert_memory_equal(buf, json_object_get_string(want), n);
	free(buf);
}

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The value object of attribute key in attrs, or NULL. */
static json_object *
attr(json_object *attrs, const char *key)
{
	size_t i;

	for (i = 0; attrs != NULL && i < json_object_array_length(attrs);
	    i++) {
		json_object *kv = json_object_array_get_idx(attrs, i);

		if (strcmp(json_object_get_string(get(kv, "key")), key) == 0)
			return get(kv, "value");
	}
	return NULL;
}

static void
assert_tokens_jsonc(int64_t got, json_object *attrs, const char *key)
{
	json_object *v = get(attr(attrs, key), "intValue");

	assert_true(got == (v == NULL ? -1 :
	    strtoll(json_object_get_string(v), NULL, 10)));
}

static void
assert_slice_jsonc(struct spanscan_str got, json_object *want)
{
	json_object *o;
	char *copy;

	assert_non_null(copy = strndup(got.ptr, got.len));
	assert_non_null(o = json_tokener_parse(copy));
	assert_true(json_object_equal(o, want));
	json_object_put(o);
	free(copy);
}

static json_object *
first_exception(json_object *events)
{
	size_t i;

	for (i = 0; events != NULL && i < json_object_array_length(events);
	    i++) {
		json_object *e = json_object_array_get_idx(events, i);

		if (strcmp(json_object_get_string(get(e, "name")),
		    "exception") == 0)
			return get(e, "attributes");
	}
	return NULL;
}

static void
assert_span_jsonc(const struct spanscan_span *s, json_object *sp)
{
	json_object *a = get(sp, "attributes"), *st = get(sp, "status"),
	    *ex = first_exception(get(sp, "events"));

	assert_str_jsonc(s->trace_id, get(sp, "traceId"));
	assert_str_jsonc(s->span_id, get(sp, "spanId"));
	assert_str_jsonc(s->parent_span_id, get(sp, "parentSpanId"));
	assert_str_jsonc(s->name, get(sp, "name"));
	assert_int_equal(s->kind, json_object_get_int(get(sp, "kind")));
	assert_true(s->start_ns == strtoull(json_object_get_string(
	    get(sp, "startTimeUnixNano")), NULL, 10));
	assert_true(s->end_ns == strtoull(json_object_get_string(
	    get(sp, "endTimeUnixNano")), NULL, 10));
	assert_int_equal(s->status_code, json_object_get_int(get(st, "code")));
	assert_str_jsonc(s->status_message, get(st, "message"));
	assert_str_jsonc(s->oi_kind, get(attr(a, "openinference.span.kind"),
	    "stringValue"));
	assert_str_jsonc(s->session_id, get(attr(a, "session.id"),
	    "stringValue"));
	assert_str_jsonc(s->user_id, get(attr(a, "user.id"), "stringValue"));
	assert_str_jsonc(s->input, get(attr(a, "input.value"),
	    "stringValue"));
	assert_str_jsonc(s->output, get(attr(a, "output.value"),
	    "stringValue"));
	assert_str_jsonc(s->model, get(attr(a, "llm.model_name"),
	    "stringValue"));
	assert_tokens_jsonc(s->tokens_prompt, a, "llm.token_count.prompt");
	assert_tokens_jsonc(s->tokens_completion, a,
	    "llm.token_count.completion");
	assert_tokens_jsonc(s->tokens_total, a, "llm.token_count.total");
	assert_int_equal(s->have_tokens, s->tokens_prompt != -1 ||
	    s->tokens_total != -1);
	assert_str_jsonc(s->exception_type, get(attr(ex, "exception.type"),
	    "stringValue"));
	assert_str_jsonc(s->exception_message, get(attr(ex,
	    "exception.message"), "stringValue"));
	assert_slice_jsonc(s->raw, sp);
}

/* Every span of the line, in order, against json-c's reading of it. */
static void
assert_line_jsonc(const struct got *g, const char *line)
{
	json_object *top = json_tokener_parse(line), *rs, *r, *ss, *spans;
	size_t i, j, k;
	int n = 0;

	assert_non_null(top);
	rs = get(top, "resourceSpans");
	for (i = 0; i < json_object_array_length(rs); i++) {
		r = json_object_array_get_idx(rs, i);
		ss = get(r, "scopeSpans");
		for (j = 0; j < json_object_array_length(ss); j++) {
			spans = get(json_object_array_get_idx(ss, j), "spans");
			for (k = 0; k < json_object_array_length(spans); k++) {
				const struct spanscan_span *s = &g->s[n++];

				assert_span_jsonc(s,
				    json_object_array_get_idx(spans, k));
				assert_slice_jsonc(s->raw_resource,
				    get(r, "resource"));
				assert_slice_jsonc(s->raw_scope, get(
				    json_object_array_get_idx(ss, j), "scope"));
				assert_str_jsonc(s->service_name, get(attr(get(
				    get(r, "resource"), "attributes"),
				    "service.name"), "stringValue"));
			}
		}
	}
	assert_int_equal(n, g->n);
	json_object_put(top);
}

static void
write_turns(struct fx *fx, int turns, unsigned int seed)
{
	struct spool *sp;
	struct span *s[3];
	char err[256];
	int i;

	if ((sp = spool_open(fx->dir, &res, err, sizeof(err))) == NULL)
		fail_msg("spool_open: %s", err);
	for (i = 0; i < turns; i++) {
		make_turn(s, &seed);
		assert_non_null(s[2] = span_start("bare", SPAN_KIND_INTERNAL,
		    NULL));
		span_end(s[2]);
		assert_int_equal(spool_append(sp,
		    (const struct span *const *)s, 1 + i % 3), 0);
		span_free(s[0]);
		span_free(s[1]);
		span_free(s[2]);
	}
	spool_close(sp);
	read_spool(fx);
}

/* Cut anywhere (every 7th byte, and each of the last 64), a line is torn.
 * Each cut is an exact-size copy, so ASan sees any read past it. */
static void
assert_torn(const char *line, size_t len)
{
	size_t k;
	char *buf;

	for (k = 0; k < len; k += k + 64 < len ? 7 : 1) {
		assert_non_null(buf = malloc(k + 1));
		memcpy(buf, line, k);
		if (spanscan_line(buf, k, NULL, NULL) != -1)
			fail_msg("cut at %zu of %zu accepted", k, len);
		free(buf);
	}
}

static void
test_writer_vs_jsonc(void **state)
{
	struct fx *fx = *state;
	struct got *g = calloc(1, sizeof(*g));
	char *line, *p, *nl;
	int lines = 0, spans = 0, r;

	assert_non_null(g);
	write_turns(fx, 300, 12345);
	for (p = fx->text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		g->n = 0;
		assert_non_null(line = strdup(p));	/* ASan: exact size */
		r = spanscan_line(line, strlen(line), collect, g);
		assert_int_equal(r, g->n);
		assert_line_jsonc(g, line);
		if (lines < 12)
			assert_torn(line, strlen(line));
		free(line);
		spans += g->n;
		lines++;
	}
	assert_int_equal(lines, 300);
	assert_int_equal(spans, 100 * (1 + 2 + 3));
	free(g);
}

/* ---- benchmark ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A conversation of about 6 KB: the LLM span's input.value (JSON of the
 * messages) and its llm.input_messages.* attributes, as the writer logs
 * them. */
static void
add_conversation(struct span *llm, struct span *root, unsigned int *seed)
{
	static const char *const words[] = { "onion", "garlic", "simmer",
	    "the", "for", "minutes,", "then", "add", "salt", "crème",
	    "fraîche", "\"al dente\"", "stock;", "stir", "until", "golden.\n",
	    "2 tbsp", "olive oil", "(optional)", "— 180°C" };
	json_object *msgs = json_object_new_array(), *m;
	char key[64], text[1200];
	size_t n;
	int i;

	for (i = 0; i < 8; i++) {
		for (n = 0; n < 700;)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    "%s ", words[rand_r(seed) % 20]);
		m = json_object_new_object();
		json_object_object_add(m, "role", json_object_new_string(
		    i == 0 ? "system" : i % 2 ? "user" : "assistant"));
		json_object_object_add(m, "content",
		    json_object_new_string(text));
		json_object_array_add(msgs, m);
		snprintf(key, sizeof(key), "llm.input_messages.%d.message.role",
		    i);
		span_set_str(llm, key, i == 0 ? "system" : i % 2 ? "user" :
		    "assistant");
		snprintf(key, sizeof(key),
		    "llm.input_messages.%d.message.content", i);
		span_set_str(llm, key, text);
	}
	span_set_str(llm, "input.value", json_object_to_json_string_ext(msgs,
	    JSON_C_TO_STRING_PLAIN));
	span_set_str(llm, "output.value", text);
	span_set_str(root, "input.value", text);
	span_set_str(root, "output.value", text);
	json_object_put(msgs);
}

static void
write_bench_turns(struct fx *fx, int turns)
{
	unsigned int seed = 7;
	struct spool *sp;
	struct span *s[2];
	char err[256], sid[32];
	int i;

	assert_non_null(sp = spool_open(fx->dir, &res, err, sizeof(err)));
	for (i = 0; i < turns; i++) {
		make_turn(s, &seed);
		snprintf(sid, sizeof(sid), "session-%d", i % 5);
		span_set_str(s[1], "session.id", sid);
		span_set_str(s[0], "session.id", sid);
		add_conversation(s[0], s[1], &seed);
		assert_int_equal(spool_append(sp,
		    (const struct span *const *)s, 2), 0);
		span_free(s[0]);
		span_free(s[1]);
	}
	spool_close(sp);
	read_spool(fx);
}

struct tally {
	uint64_t	spans, tokens, bytes;
};

/* What --sessions does per span: look at the session and the counts. */
static int
tally(const struct spanscan_span *s, void *arg)
{
	struct tally *t = arg;

	t->spans++;
	t->bytes += s->session_id.len + s->input.len;
	if (s->have_tokens && s->tokens_prompt > 0)
		t->tokens += (uint64_t)s->tokens_prompt;
	return 0;
}

/* Copies of the spool's lines until BENCH_BYTES. Caller frees. */
static char *
bench_buffer(const struct fx *fx, size_t *len)
{
	char *buf = malloc(BENCH_BYTES + fx->len);
	size_t n = 0;

	assert_non_null(buf);
	for (; n < BENCH_BYTES; n += fx->len)
		memcpy(buf + n, fx->text, fx->len);
	*len = n;
	return buf;
}

static void
bench_jsonc(const char *buf, size_t len)
{
	json_tokener *tok = json_tokener_new();
	const char *p, *nl, *end;
	json_object *o;
	double t0 = now_s(), dt;

	end = buf + (len < BENCH_JSONC ? len : BENCH_JSONC);
	for (p = buf; p < end && (nl = memchr(p, '\n', end - p)); p = nl + 1) {
		json_tokener_reset(tok);
		assert_non_null(o = json_tokener_parse_ex(tok, p, nl - p));
		json_object_put(o);
	}
	dt = now_s() - t0;
	print_message("json-c:   %.0f MB in %.3f s: %.0f MB/s\n",
	    (p - buf) / 1e6, dt, (p - buf) / 1e6 / dt);
	json_tokener_free(tok);
}

static void
test_bench(void **state)
{
	struct fx *fx = *state;
	struct tally t = { 0, 0, 0 };
	const char *p, *nl;
	size_t len, lines = 0;
	char *buf;
	double t0, dt;

	if (getenv("SPANSCAN_BENCH") == NULL ||
	    strcmp(getenv("SPANSCAN_BENCH"), "1") != 0)
		skip();
	write_bench_turns(fx, 64);
	buf = bench_buffer(fx, &len);
	t0 = now_s();
	for (p = buf; (nl = memchr(p, '\n', buf + len - p)) != NULL;
	    p = nl + 1, lines++)
		if (spanscan_line(p, (size_t)(nl - p), tally, &t) != 2)
			fail_msg("line %zu not scanned", lines);
	dt = now_s() - t0;
	assert_int_equal(t.spans, 2 * lines);
	print_message("spanscan: %zu lines of %zu bytes on average, "
	    "%.0f MB in %.3f s: %.0f MB/s, %.0f spans/s\n", lines,
	    len / lines, len / 1e6, dt, len / 1e6 / dt, t.spans / dt);
	bench_jsonc(buf, len);
	free(buf);
}

/* The flusher's reader and this one agree (spoolagree.h) on every line of
 * tests/corpus/fuzz_spoolline: seeds from real spools and otlp_lines.test, and
 * the disagreements fuzz_spoolline found, fixed since. */
static void
test_corpus_agree(void **state)
{
	char dir[4096], path[8192], why[512], *text;
	struct dirent *de;
	size_t len, files = 0;
	FILE *fp;
	DIR *d;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/../corpus/fuzz_spoolline",
	    testutil_data_dir());
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_non_null(fp = fopen(path, "rb"));
		assert_non_null(text = malloc(1 << 20));
		len = fread(text, 1, 1 << 20, fp);
		fclose(fp);
		if (spoolagree_check(text, len, why, sizeof(why)) == -1)
			fail_msg("%s: readers disagree: %s", de->d_name, why);
		free(text);
		files++;
	}
	closedir(d);
	assert_true(files >= 24);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_unescape_cut),
		cmocka_unit_test(test_eq),
		cmocka_unit_test(test_corpus_agree),
		cmocka_unit_test_setup_teardown(test_writer_vs_jsonc, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bench, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
