/* test_flusher.c - the spool shipper against a scripted collector:
 * exporter_send is replaced at link time (-Wl,--wrap=exporter_send,
 * tests/unit.cmake) by a double that decodes and records every request and
 * answers as queued with will_return. Spools are real directories in a
 * temp dir, written by lib/spool.c or by hand. json-c: each tree parsed
 * here is put by the function that parsed it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fsynccount.h"
#include "exporter.h"
#include "hex.h"
#include "flusher.h"
#include "otlp.h"
#include "otlpjson.h"
#include "span.h"
#include "spool.h"
#include "spoolfmt.h"
#include "testutil.h"
#include "tracectx.h"
#include "xalloc.h"

int __wrap_exporter_send(struct exporter *ex, const uint8_t *pb, size_t len,
    struct exporter_result *res);

#define MAX_SENDS	64
#define MAX_BATCH_IDS	256
#define PATH_LEN	400
#define LINE_LEN	4096
#define TRACE_HEX	"5b8efff798038103d269b633813fc60c"
#define BIG		((long long)1 << 40)

/* What the collector double answers. */
struct reply {
	enum exporter_outcome	 outcome;
	long			 http_status;
	long			 retry_after_ms;	/* -1: none */
	int64_t			 partial;	/* OK: rejected_spans */
	const char		*msg;	/* REJECT/RETRY: res->msg; OK: partial */
};

static const struct reply r_ok = { EXPORTER_OK, 200, -1, 0, NULL };
static const struct reply r_retry = {
	EXPORTER_RETRY, 503, -1, 0, "HTTP 503: unavailable" };
static const struct reply r_retry_after = {
	EXPORTER_RETRY, 429, 1500, 0, "HTTP 429: slow down" };
static const struct reply r_reject = {
	EXPORTER_REJECT, 400, -1, 0, "HTTP 400: span name must not be empty" };
static const struct reply r_partial = {
	EXPORTER_OK, 200, -1, 3, "3 spans older than the retention" };

/* What the double was sent. */
struct sent {
	uint8_t		*pb;
	size_t		 len, nspans;
	uint64_t	 ids[MAX_BATCH_IDS];
	enum exporter_outcome answered;
};

static struct {
	struct sent	 s[MAX_SENDS];
	size_t		 n;
	uint8_t		*body;		/* the last answer's body */
} sent;

static char dummy_exporter;
#define EX	((struct exporter *)(void *)&dummy_exporter)

static void
sent_reset(void)
{
	for (size_t i = 0; i < sent.n; i++)
		free(sent.s[i].pb);
	free(sent.body);
	memset(&sent, 0, sizeof(sent));
}

/* The span ids of a request, in order. */
static void
decode_ids(struct sent *s)
{
	json_object *j, *rs, *ss, *spans, *id;
	char err[OTLP_ERR_MAX];
	size_t n = 0, total = 0;
	char *text;

	text = otlpjson_request(s->pb, s->len, &total, err, sizeof(err));
	if (text == NULL)
		fail_msg("the flusher sent no ExportTraceServiceRequest: %s",
		    err);
	assert_non_null(j = json_tokener_parse(text));
	assert_true(json_object_object_get_ex(j, "resourceSpans", &rs));
	for (size_t i = 0; i < json_object_array_length(rs); i++) {
		assert_true(json_object_object_get_ex(
		    json_object_array_get_idx(rs, i), "scopeSpans", &ss));
		for (size_t k = 0; k < json_object_array_length(ss); k++) {
			assert_true(json_object_object_get_ex(
			    json_object_array_get_idx(ss, k), "spans", &spans));
			for (size_t m = 0; m < json_object_array_length(spans);
			    m++) {
				assert_true(json_object_object_get_ex(
				    json_object_array_get_idx(spans, m),
				    "spanId", &id));
				assert_true(n < MAX_BATCH_IDS);
				s->ids[n++] = strtoull(
				    json_object_get_string(id), NULL, 16);
			}
		}
	}
	assert_int_equal(n, total);
	s->nspans = n;
	json_object_put(j);
	free(text);
}

int
__wrap_exporter_send(struct exporter *ex, const uint8_t *pb, size_t len,
    struct exporter_result *res)
{
	const struct reply *r = mock_ptr_type(const struct reply *);
	struct sent *s;

	assert_ptr_equal(ex, EX);
	assert_true(len > 0 && len <= EXPORTER_REQUEST_MAX);
	assert_true(sent.n < MAX_SENDS);
	s = &sent.s[sent.n++];
	s->pb = xmalloc(len);
	memcpy(s->pb, pb, len);
	s->len = len;
	s->answered = r->outcome;
	decode_ids(s);

	memset(res, 0, sizeof(*res));
	res->outcome = r->outcome;
	res->http_status = r->http_status;
	res->retry_after_ms = r->retry_after_ms;
	free(sent.body);
	sent.body = NULL;
	if (r->outcome == EXPORTER_OK) {
		if (r->partial != 0 || r->msg != NULL) {
			sent.body = otlpjson_response_pack(r->partial, r->msg,
			    &res->body_len);
			res->body = sent.body;
		}
		return 0;
	}
	snprintf(res->msg, sizeof(res->msg), "%s", r->msg);
	return -1;
}

/* Times span id was sent, in all requests or only in those answered OK. */
static int
times_sent(uint64_t id, int only_ok)
{
	int n = 0;

	for (size_t i = 0; i < sent.n; i++)
		for (size_t k = 0; k < sent.s[i].nspans; k++)
			if (sent.s[i].ids[k] == id && (!only_ok ||
			    sent.s[i].answered == EXPORTER_OK))
				n++;
	return n;
}

static void
assert_same_request(size_t a, size_t b)
{
	assert_true(a < sent.n && b < sent.n);
	assert_int_equal(sent.s[a].len, sent.s[b].len);
	assert_memory_equal(sent.s[a].pb, sent.s[b].pb, sent.s[a].len);
}

/* Request i holds exactly the ids first..last, in order. */
static void
assert_request_ids(size_t i, uint64_t first, uint64_t last)
{
	assert_true(i < sent.n);
	assert_int_equal(sent.s[i].nspans, last - first + 1);
	for (uint64_t id = first; id <= last; id++)
		assert_int_equal(sent.s[i].ids[id - first], id);
}

/* ---- The spool on disk ------------------------------------------------ */

struct fx {
	char			 top[64];	/* mkdtemp */
	char			 dir[96];	/* top/spool */
	struct flusher_config	 cfg;
	size_t			 line_len;	/* of a one-span line */
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (testutil_mkdtemp(fx->top, sizeof(fx->top),
	    "test_flusher") == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/spool", fx->top);
	if (mkdir(fx->dir, 0750) == -1)
		return -1;
	fx->cfg = (struct flusher_config){ .spool_dir = fx->dir,
	    .max_bytes = BIG, .keep_sent_bytes = BIG, .rejected_max_bytes = BIG,
	    .batch_spans = 100,
	    .batch_bytes = FLUSHER_BATCH_BYTES };
	sent_reset();
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	testutil_rmtree(fx->top);
	sent_reset();
	free(fx);
	return 0;
}

static const char *
seg_name(int i)
{
	static char names[8][64];
	static int next;
	char *n = names[next++ % 8];

	snprintf(n, 64, "spans-17000000000%02d-1-0.jsonl", i);
	return n;
}

static const char *
path(const struct fx *fx, const char *sub, const char *name)
{
	static char paths[4][PATH_LEN];
	static int next;
	char *p = paths[next++ % 4];

	if (sub != NULL)
		snprintf(p, PATH_LEN, "%s/%s/%s", fx->dir, sub, name);
	else
		snprintf(p, PATH_LEN, "%s/%s", fx->dir, name);
	return p;
}

/* One OTLP/JSON line with the k spans first..first+k-1; all lines with the
 * same k have the same length. */
static size_t
make_line(char *out, size_t cap, uint64_t first, int k)
{
	size_t len;

	len = (size_t)snprintf(out, cap, "{\"resourceSpans\":[{\"resource\":"
	    "{\"attributes\":[{\"key\":\"service.name\",\"value\":"
	    "{\"stringValue\":\"test\"}}]},\"scopeSpans\":[{\"scope\":"
	    "{\"name\":\"test\"},\"spans\":[");
	for (int i = 0; i < k; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s{\"traceId\":"
		    "\"" TRACE_HEX "\",\"spanId\":\"%016llx\",\"name\":\"s\","
		    "\"kind\":1,\"startTimeUnixNano\":\"1700000000000000000\","
		    "\"endTimeUnixNano\":\"1700000000000000001\","
		    "\"status\":{}}", i ? "," : "",
		    (unsigned long long)(first + (uint64_t)i));
	len += (size_t)snprintf(out + len, cap - len, "]}]}]}\n");
	assert_true(len < cap);
	return len;
}

static void
append_text(const struct fx *fx, const char *name, const char *text,
    size_t len)
{
	int fd = open(path(fx, NULL, name), O_WRONLY | O_CREAT | O_APPEND,
	    0640);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Append n lines of k spans, ids from first on; returns the next id. */
static uint64_t
add_lines(const struct fx *fx, const char *name, uint64_t first, int n,
    int k)
{
	char line[LINE_LEN];
	size_t len;

	for (int i = 0; i < n; i++, first += (uint64_t)k) {
		len = make_line(line, sizeof(line), first, k);
		append_text(fx, name, line, len);
	}
	return first;
}

static size_t
one_span_line_len(void)
{
	char line[LINE_LEN];

	return make_line(line, sizeof(line), 1, 1);
}

/* A writer still appending: its lock, through our own descriptor. */
static int
writer_lock(const struct fx *fx, const char *name)
{
	int fd = open(path(fx, NULL, name), O_RDONLY);

	assert_true(fd != -1);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	return fd;
}

/* Descriptors this process holds. */
static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static int
exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static off_t
file_size(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

/* The whole file; caller frees. */
static char *
slurp(const char *p)
{
	FILE *fp = fopen(p, "r");
	char *text;
	long n;

	if (fp == NULL)
		fail_msg("%s: %s", p, strerror(errno));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = xmalloc((size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	text[n] = '\0';
	fclose(fp);
	return text;
}

static int
is_segment(const struct dirent *d)
{
	return strncmp(d->d_name, "spans-", 6) == 0;
}

/* How many spans-* files dir/sub holds; the oldest name into first (if
 * not NULL). */
static int
list_segments(const char *dir, const char *sub, char first[NAME_MAX + 1])
{
	char p[PATH_LEN];
	struct dirent **v;
	int n;

	snprintf(p, sizeof(p), "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
	assert_true((n = scandir(p, &v, is_segment, alphasort)) >= 0);
	if (n > 0 && first != NULL)
		snprintf(first, NAME_MAX + 1, "%s", v[0]->d_name);
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return n;
}

/* The shipped offsets as recorded on disk ("" when none yet). */
static char *
offsets(const struct fx *fx)
{
	const char *p = path(fx, ".flusher", "offsets");

	return exists(p) ? slurp(p) : xstrdup("");
}

static struct flusher *
new_flusher(const struct fx *fx)
{
	char err[256] = "";
	struct flusher *f = flusher_new(&fx->cfg, EX, err, sizeof(err));

	if (f == NULL)
		fail_msg("flusher_new: %s", err);
	return f;
}

static long
step(struct flusher *f, enum flusher_step want)
{
	long delay = -1;
	enum flusher_step got = flusher_step(f, &delay);

	if (got != want)
		fail_msg("flusher_step: %d, wanted %d", got, want);
	assert_true(delay >= 0);
	return delay;
}

/* Queue one answer, then step. */
static long
step_with(struct flusher *f, const struct reply *r, enum flusher_step want)
{
	will_return(__wrap_exporter_send, r);
	return step(f, want);
}

/* Answer OK until there is nothing left; returns the batches sent. */
static int
drain(struct flusher *f, int expect)
{
	for (int i = 0; i < expect; i++)
		step_with(f, &r_ok, FLUSHER_SENT);
	step(f, FLUSHER_IDLE);
	return expect;
}

/* ---- Tests -------------------------------------------------------------- */

static void
test_new_missing_dir(void **state)
{
	struct fx *fx = *state;
	struct flusher_config cfg = fx->cfg;
	char missing[PATH_LEN], err[256] = "";

	snprintf(missing, sizeof(missing), "%s/nope", fx->top);
	cfg.spool_dir = missing;
	assert_null(flusher_new(&cfg, EX, err, sizeof(err)));
	assert_non_null(strstr(err, missing));
	flusher_free(NULL);
}

/* A damaged record is moved aside and shipping starts over: it never
 * stops the flusher (a restart would meet it again). */
static void
test_new_damaged_offsets(void **state)
{
	struct fx *fx = *state;
	struct flusher *f;
	char *text;

	add_lines(fx, seg_name(0), 1, 3, 1);
	assert_int_equal(mkdir(path(fx, NULL, ".flusher"), 0750), 0);
	append_text(fx, ".flusher/offsets", "garbage\n", 8);
	f = new_flusher(fx);
	drain(f, 1);
	assert_request_ids(0, 1, 3);
	text = slurp(path(fx, ".flusher", "offsets.damaged"));
	assert_string_equal(text, "garbage\n");
	free(text);
	flusher_free(f);
}

static void
test_empty_spool_idle(void **state)
{
	struct fx *fx = *state;
	struct flusher *f = new_flusher(fx);

	step(f, FLUSHER_IDLE);
	step(f, FLUSHER_IDLE);
	assert_true(exists(path(fx, NULL, "sent")));
	assert_true(exists(path(fx, NULL, "rejected")));
	assert_int_equal(flusher_stats(f)->batches_sent, 0);
	assert_int_equal(flusher_stats(f)->backlog_bytes, 0);
	flusher_free(f);
	assert_int_equal(sent.n, 0);
}

/* Lines written by lib/spool.c, two spans each, in batches of at most 5
 * spans: whole lines only, so 4 per batch. */
static void
test_ship_spool_lines(void **state)
{
	static const struct spool_resource res = { .service_name = "rc-test",
	    .scope_name = "rc-test", .scope_version = "0.0.1" };
	enum { NLINES = 11 };
	struct fx *fx = *state;
	uint64_t ids[2 * NLINES];
	char err[256] = "", hex[17], seg[NAME_MAX + 1], *o;
	const struct flusher_stats *st;
	struct flusher *f;
	struct spool *sp;
	size_t total = 0;
	off_t size;

	assert_non_null(sp = spool_open(fx->dir, &res, err, sizeof(err)));
	for (int i = 0; i < NLINES; i++) {
		struct span *root = span_start("chat_turn", SPAN_KIND_SERVER,
		    NULL);
		struct span *child = span_start("completion", SPAN_KIND_CLIENT,
		    span_context(root));
		const struct span *v[2] = { child, root };

		span_end(child);
		span_end(root);
		assert_int_equal(spool_append(sp, v, 2), 0);
		for (int k = 0; k < 2; k++) {
			hex_encode(span_context(v[k])->span_id, 8, hex);
			ids[2 * i + k] = strtoull(hex, NULL, 16);
		}
		span_free(child);
		span_free(root);
	}
	spool_close(sp);
	assert_int_equal(list_segments(fx->dir, NULL, seg), 1);
	size = file_size(path(fx, NULL, seg));

	fx->cfg.batch_spans = 5;
	f = new_flusher(fx);
	drain(f, 6);			/* 4+4+4+4+4+2 */
	for (size_t i = 0; i < sent.n; i++) {
		assert_true(sent.s[i].nspans <= 5);
		assert_int_equal(sent.s[i].nspans % 2, 0);
		total += sent.s[i].nspans;
	}
	assert_int_equal(total, 2 * NLINES);
	for (int i = 0; i < 2 * NLINES; i++)
		if (times_sent(ids[i], 0) != 1)
			fail_msg("span %d sent %d times", i, times_sent(ids[i],
			    0));

	st = flusher_stats(f);
	assert_int_equal(st->spans_sent, 2 * NLINES);
	assert_int_equal(st->batches_sent, 6);
	assert_int_equal(st->spans_rejected + st->bad_lines + st->torn_lines +
	    st->dropped_lines + st->retries, 0);
	assert_int_equal(st->backlog_bytes, 0);
	flusher_free(f);

	/* The one segment moved whole to sent/; no offsets left. */
	assert_int_equal(list_segments(fx->dir, NULL, NULL), 0);
	assert_false(exists(path(fx, NULL, seg)));
	assert_int_equal(file_size(path(fx, "sent", seg)), size);
	o = offsets(fx);
	assert_string_equal(o, "");
	free(o);
	assert_int_equal(file_size(path(fx, ".flusher", "offsets")), 0);
}

/* Batches never pass batch_bytes of lines, also when they take lines from
 * more than one segment. */
static void
test_batch_bytes(void **state)
{
	struct fx *fx = *state;
	size_t L = one_span_line_len(), total = 0;
	uint64_t next = 1;
	struct flusher *f;

	for (int i = 0; i < 3; i++)
		next = add_lines(fx, seg_name(i), next, 3, 1);
	fx->cfg.batch_bytes = 2 * L + L / 2;
	f = new_flusher(fx);
	for (int i = 0; i < 8 && total < 9; i++) {
		step_with(f, &r_ok, FLUSHER_SENT);
		total += sent.s[sent.n - 1].nspans;
	}
	step(f, FLUSHER_IDLE);
	for (size_t i = 0; i < sent.n; i++)
		if (sent.s[i].nspans * L > fx->cfg.batch_bytes)
			fail_msg("batch %zu: %zu lines of %zu bytes, limit %zu",
			    i, sent.s[i].nspans, L, fx->cfg.batch_bytes);
	for (uint64_t id = 1; id < next; id++)
		assert_int_equal(times_sent(id, 1), 1);
	for (int i = 0; i < 3; i++)
		assert_true(exists(path(fx, "sent", seg_name(i))));
	flusher_free(f);
}

/* One segment in batches of 2 lines (by bytes), in order. */
static void
test_batch_bytes_one_segment(void **state)
{
	struct fx *fx = *state;
	size_t L = one_span_line_len();
	struct flusher *f;

	add_lines(fx, seg_name(0), 1, 6, 1);
	fx->cfg.batch_bytes = 2 * L + L / 2;
	f = new_flusher(fx);
	drain(f, 3);
	assert_request_ids(0, 1, 2);
	assert_request_ids(1, 3, 4);
	assert_request_ids(2, 5, 6);
	assert_int_equal(flusher_stats(f)->batches_sent, 3);
	flusher_free(f);
}

static void
test_retry_resends_same(void **state)
{
	struct fx *fx = *state;
	struct flusher *f;
	long delay;
	char *o;

	add_lines(fx, seg_name(0), 1, 3, 1);
	f = new_flusher(fx);
	delay = step_with(f, &r_retry_after, FLUSHER_RETRY);
	assert_int_equal(delay, 1500);
	assert_request_ids(0, 1, 3);

	/* New spans while the collector is down do not change the batch. */
	add_lines(fx, seg_name(1), 4, 2, 1);
	delay = step_with(f, &r_retry, FLUSHER_RETRY);
	assert_true(delay <= 2 * EXPORTER_BACKOFF_BASE_MS);
	assert_same_request(0, 1);
	delay = step_with(f, &r_retry, FLUSHER_RETRY);
	assert_true(delay <= 4 * EXPORTER_BACKOFF_BASE_MS);
	assert_same_request(0, 2);

	/* Nothing moved or recorded before the collector took it. */
	assert_true(exists(path(fx, NULL, seg_name(0))));
	assert_false(exists(path(fx, "sent", seg_name(0))));
	o = offsets(fx);
	assert_null(strstr(o, seg_name(0)));
	free(o);
	assert_int_equal(flusher_stats(f)->retries, 3);
	assert_int_equal(flusher_stats(f)->spans_sent, 0);

	step_with(f, &r_ok, FLUSHER_SENT);
	assert_same_request(0, 3);
	assert_true(exists(path(fx, "sent", seg_name(0))));
	assert_false(exists(path(fx, NULL, seg_name(0))));
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_request_ids(4, 4, 5);
	step(f, FLUSHER_IDLE);
	assert_int_equal(flusher_stats(f)->spans_sent, 5);
	assert_int_equal(flusher_stats(f)->batches_sent, 2);
	flusher_free(f);
}

static const char *
reason_path(const struct fx *fx, const char *seg)
{
	static char p[PATH_LEN];

	snprintf(p, sizeof(p), "%s/rejected/%s.reason", fx->dir, seg);
	return p;
}

static int
count_lines(const char *text)
{
	int n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* n one-span lines, ids from first on, into buf; returns the length. */
static size_t
lines_text(char *buf, size_t cap, uint64_t first, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += make_line(buf + len, cap - len, first + (uint64_t)i, 1);
	return len;
}

/* Every line refused: the batch is halved down to single lines, each set
 * aside once with its reason, none sent again after. */
static void
test_reject(void **state)
{
	struct fx *fx = *state;
	char lines[3 * LINE_LEN], *text;
	const struct flusher_stats *st;
	struct flusher *f;
	size_t len;

	len = lines_text(lines, sizeof(lines), 1, 3);
	append_text(fx, seg_name(0), lines, len);
	f = new_flusher(fx);
	step_with(f, &r_reject, FLUSHER_SENT);		/* 1-3: halve */
	assert_request_ids(0, 1, 3);
	step_with(f, &r_reject, FLUSHER_SENT);		/* 1: aside */
	assert_request_ids(1, 1, 1);
	step_with(f, &r_reject, FLUSHER_SENT);		/* 2-3: halve */
	assert_request_ids(2, 2, 3);
	step_with(f, &r_reject, FLUSHER_SENT);		/* 2 */
	step_with(f, &r_reject, FLUSHER_SENT);		/* 3: done */
	assert_request_ids(4, 3, 3);

	text = slurp(path(fx, "rejected", seg_name(0)));
	assert_string_equal(text, lines);
	free(text);
	text = slurp(reason_path(fx, seg_name(0)));
	assert_non_null(strstr(text, r_reject.msg));
	assert_int_equal(count_lines(text), 3);
	free(text);

	/* Never resent: the double has no answer queued. */
	step(f, FLUSHER_IDLE);
	step(f, FLUSHER_IDLE);
	assert_int_equal(sent.n, 5);
	st = flusher_stats(f);
	assert_int_equal(st->spans_rejected, 3);
	assert_int_equal(st->spans_sent, 0);
	assert_int_equal(st->retries, 0);
	assert_false(exists(path(fx, NULL, seg_name(0))));
	text = offsets(fx);
	assert_string_equal(text, "");
	free(text);
	flusher_free(f);
}

/* One refused line among five: the split isolates it, the other four are
 * shipped, only it is set aside; a 503 meanwhile resends the same part. */
static void
test_reject_isolates_line(void **state)
{
	struct fx *fx = *state;
	char want[LINE_LEN], *text;
	const struct flusher_stats *st;
	struct flusher *f;

	add_lines(fx, seg_name(0), 1, 5, 1);
	make_line(want, sizeof(want), 4, 1);
	f = new_flusher(fx);
	step_with(f, &r_reject, FLUSHER_SENT);		/* 1-5 */
	step_with(f, &r_ok, FLUSHER_SENT);		/* 1-2 */
	assert_request_ids(1, 1, 2);
	step_with(f, &r_reject, FLUSHER_SENT);		/* 3-5 */
	assert_request_ids(2, 3, 5);
	step_with(f, &r_ok, FLUSHER_SENT);		/* 3 */
	assert_request_ids(3, 3, 3);
	step_with(f, &r_retry, FLUSHER_RETRY);		/* 4-5, unavailable */
	step_with(f, &r_reject, FLUSHER_SENT);		/* 4-5 again */
	assert_same_request(4, 5);
	assert_request_ids(5, 4, 5);
	/* Nothing moves before the whole batch is done. */
	text = offsets(fx);
	assert_string_equal(text, "");
	free(text);
	step_with(f, &r_reject, FLUSHER_SENT);		/* 4: aside */
	assert_request_ids(6, 4, 4);
	step_with(f, &r_ok, FLUSHER_SENT);		/* 5 */
	assert_request_ids(7, 5, 5);
	step(f, FLUSHER_IDLE);
	for (uint64_t id = 1; id <= 5; id++)
		assert_int_equal(times_sent(id, 1), id == 4 ? 0 : 1);
	text = slurp(path(fx, "rejected", seg_name(0)));
	assert_string_equal(text, want);
	free(text);
	st = flusher_stats(f);
	assert_int_equal(st->spans_sent, 4);
	assert_int_equal(st->spans_rejected, 1);
	assert_true(exists(path(fx, "sent", seg_name(0))));
	flusher_free(f);
}

/* 401 and the like: nothing set aside, probing with a capped backoff,
 * everything shipped once the collector takes our settings. */
static void
test_config_error_keeps_spans(void **state)
{
	static const struct reply r_auth = { EXPORTER_CONFIG, 401, -1, 0,
	    "HTTP 401: unauthorized" };
	struct fx *fx = *state;
	struct flusher *f;
	long delay;

	add_lines(fx, seg_name(0), 1, 3, 1);
	f = new_flusher(fx);
	for (int i = 0; i < 12; i++) {
		delay = step_with(f, &r_auth, FLUSHER_CONFIG);
		assert_true(delay <= EXPORTER_PROBE_MAX_MS);
	}
	for (size_t i = 1; i < sent.n; i++)
		assert_same_request(0, i);
	assert_false(exists(path(fx, "rejected", seg_name(0))));
	assert_int_equal(flusher_stats(f)->spans_rejected, 0);
	drain(f, 1);
	for (uint64_t id = 1; id <= 3; id++)
		assert_int_equal(times_sent(id, 1), 1);
	assert_true(exists(path(fx, "sent", seg_name(0))));
	flusher_free(f);
}

/* rejected/ is kept under its own cap, oldest first with its reason. */
static void
test_rejected_cap(void **state)
{
	struct fx *fx = *state;
	struct flusher *f;

	fx->cfg.rejected_max_bytes = (long long)one_span_line_len() + 200;
	add_lines(fx, seg_name(0), 1, 1, 1);
	add_lines(fx, seg_name(1), 2, 1, 1);
	fx->cfg.batch_spans = 1;
	f = new_flusher(fx);
	step_with(f, &r_reject, FLUSHER_SENT);
	step_with(f, &r_reject, FLUSHER_SENT);
	step(f, FLUSHER_IDLE);
	assert_false(exists(path(fx, "rejected", seg_name(0))));
	assert_false(exists(reason_path(fx, seg_name(0))));
	assert_true(exists(path(fx, "rejected", seg_name(1))));
	assert_true(exists(reason_path(fx, seg_name(1))));
	assert_int_equal(flusher_stats(f)->pruned_rejected, 1);
	flusher_free(f);
}

/* --redrive: rejected/ goes back into the spool and ships. */
static void
test_redrive(void **state)
{
	struct fx *fx = *state;
	struct flusher *f;

	add_lines(fx, seg_name(0), 1, 1, 1);
	f = new_flusher(fx);
	step_with(f, &r_reject, FLUSHER_SENT);
	step(f, FLUSHER_IDLE);
	assert_int_equal(flusher_redrive(f), 1);
	assert_int_equal(list_segments(fx->dir, "rejected", NULL), 0);
	assert_false(exists(reason_path(fx, seg_name(0))));
	assert_int_equal(list_segments(fx->dir, NULL, NULL), 1);
	drain(f, 1);
	assert_int_equal(times_sent(1, 1), 1);
	assert_int_equal(list_segments(fx->dir, NULL, NULL), 0);
	assert_int_equal(flusher_redrive(f), 0);
	flusher_free(f);
}

/* The mark: each span segment's last whole line, passed once the flusher
 * has shipped up to it; a segment it has not scanned yet holds it back,
 * a partial last line does not. */
static void
test_mark_passed(void **state)
{
	struct fx *fx = *state;
	struct flusher_mark m, m2;
	struct flusher *f;

	add_lines(fx, seg_name(0), 1, 2, 1);
	append_text(fx, seg_name(0), "{\"resourceSp", 13);
	f = new_flusher(fx);
	assert_int_equal(flusher_mark(f, &m), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.v[0].end, (off_t)(2 * one_span_line_len()));
	assert_false(flusher_passed(f, &m));
	step_with(f, &r_retry, FLUSHER_RETRY);
	assert_false(flusher_passed(f, &m));
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_true(flusher_passed(f, &m));
	/* Complete with a torn tail: it went to sent/, and stays passed. */
	assert_true(exists(path(fx, "sent", seg_name(0))));
	assert_true(flusher_passed(f, &m));
	add_lines(fx, seg_name(1), 3, 1, 1);
	assert_int_equal(flusher_mark(f, &m2), 0);
	assert_int_equal(m2.n, 1);
	assert_false(flusher_passed(f, &m2));
	drain(f, 1);
	assert_true(flusher_passed(f, &m2));
	assert_true(flusher_passed(f, &m));
	flusher_mark_clear(&m);
	flusher_mark_clear(&m2);
	assert_null(m.v);
	flusher_free(f);
}

/* Spans refused and set aside have left the flusher's hands too. */
static void
test_mark_refused(void **state)
{
	struct fx *fx = *state;
	struct flusher_mark m;
	struct flusher *f;

	add_lines(fx, seg_name(0), 1, 1, 1);
	f = new_flusher(fx);
	assert_int_equal(flusher_mark(f, &m), 0);
	step_with(f, &r_reject, FLUSHER_SENT);
	assert_true(flusher_passed(f, &m));
	flusher_mark_clear(&m);
	flusher_free(f);
}

/* rejected/ holds both kinds; --redrive gives each its own kind back. */
static void
test_redrive_kinds(void **state)
{
	struct fx *fx = *state;
	const char *fb = "feedback-1700000000000-1-00000000-0.jsonl";
	struct dirent *de;
	int spans = 0, feedback = 0;
	struct flusher *f;
	DIR *d;

	add_lines(fx, seg_name(0), 1, 1, 1);
	f = new_flusher(fx);
	step_with(f, &r_reject, FLUSHER_SENT);
	step(f, FLUSHER_IDLE);
	append_text(fx, "rejected/feedback-1700000000000-1-00000000-0.jsonl",
	    "{\"feedback\":{}}\n", 15);
	assert_true(exists(path(fx, "rejected", fb)));
	assert_int_equal(flusher_redrive(f), 2);
	assert_non_null(d = opendir(fx->dir));
	while ((de = readdir(d)) != NULL) {
		spans += spoolfmt_segment_kind(de->d_name) ==
		    SPOOLFMT_KIND_SPANS;
		feedback += spoolfmt_segment_kind(de->d_name) ==
		    SPOOLFMT_KIND_FEEDBACK;
	}
	closedir(d);
	assert_int_equal(spans, 1);
	assert_int_equal(feedback, 1);
	flusher_free(f);
}

/* sent/ and rejected/ caps count feedback files too, oldest first. */
static void
test_caps_count_feedback(void **state)
{
	struct fx *fx = *state;
	const char *fb = "feedback-1600000000000-1-00000000-0.jsonl";
	size_t S = one_span_line_len();
	char big[4096];
	struct flusher *f;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(mkdir(path(fx, NULL, "sent"), 0750), 0);
	append_text(fx, "sent/feedback-1600000000000-1-00000000-0.jsonl", big,
	    sizeof(big));
	add_lines(fx, seg_name(1), 1, 1, 1);
	fx->cfg.keep_sent_bytes = (long long)(S + 1);
	f = new_flusher(fx);
	drain(f, 1);
	assert_false(exists(path(fx, "sent", fb)));
	assert_true(exists(path(fx, "sent", seg_name(1))));
	assert_int_equal(flusher_to_sent(f, "nope"), -1);
	flusher_free(f);
}

/* One flusher per spool: a second one is refused (or would wait). */
static void
test_lock(void **state)
{
	struct fx *fx = *state;
	struct flusher *f = new_flusher(fx), *g;
	char err[256] = "";

	assert_null(g = flusher_new(&fx->cfg, EX, err, sizeof(err)));
	assert_int_equal(errno, EWOULDBLOCK);
	assert_non_null(strstr(err, "another span-flusher"));
	flusher_free(f);
	g = new_flusher(fx);
	flusher_free(g);
}

/* A long backlog of finished segments does not hold a descriptor each. */
static void
test_many_segments_few_fds(void **state)
{
	enum { NSEG = 200 };
	struct fx *fx = *state;
	char name[64];
	struct flusher *f;
	int before, during;

	for (int i = 0; i < NSEG; i++) {
		snprintf(name, sizeof(name), "spans-1700000%06d-1-0.jsonl", i);
		add_lines(fx, name, (uint64_t)i + 1, 1, 1);
	}
	fx->cfg.batch_spans = 64;
	before = open_fds();
	f = new_flusher(fx);
	step_with(f, &r_ok, FLUSHER_SENT);
	during = open_fds();
	if (during - before >= 48)
		fail_msg("%d descriptors open", during - before);
	while (sent.n < 4)
		step_with(f, &r_ok, FLUSHER_SENT);
	step(f, FLUSHER_IDLE);
	for (uint64_t id = 1; id <= NSEG; id++)
		assert_int_equal(times_sent(id, 1), 1);
	assert_int_equal(list_segments(fx->dir, "sent", NULL), NSEG);
	flusher_free(f);
}

/* A refused batch that came after a line set aside as not OTLP/JSON:
 * rejected/ holds each line once. */
static void
test_reject_after_bad_line(void **state)
{
	static const char bad[] = "not json at all\n";
	struct fx *fx = *state;
	char good[2 * LINE_LEN], want[3 * LINE_LEN], *text;
	struct flusher *f;
	size_t len;

	append_text(fx, seg_name(0), bad, strlen(bad));
	len = lines_text(good, sizeof(good), 1, 2);
	append_text(fx, seg_name(0), good, len);
	f = new_flusher(fx);
	step_with(f, &r_reject, FLUSHER_SENT);
	assert_request_ids(0, 1, 2);
	step_with(f, &r_reject, FLUSHER_SENT);	/* each line alone */
	step_with(f, &r_reject, FLUSHER_SENT);
	step(f, FLUSHER_IDLE);

	snprintf(want, sizeof(want), "%s%s", bad, good);
	text = slurp(path(fx, "rejected", seg_name(0)));
	if (count_lines(text) != 3)
		fail_msg("rejected/ holds %d lines, wanted the 3 lines once "
		    "each", count_lines(text));
	assert_string_equal(text, want);
	free(text);
	text = slurp(reason_path(fx, seg_name(0)));
	assert_int_equal(count_lines(text), 3);
	assert_non_null(strstr(text, "not OTLP/JSON"));
	assert_non_null(strstr(text, r_reject.msg));
	free(text);
	assert_int_equal(flusher_stats(f)->bad_lines, 1);
	assert_int_equal(flusher_stats(f)->spans_rejected, 2);
	flusher_free(f);
}

static void
test_partial_success(void **state)
{
	static const struct reply warn = { EXPORTER_OK, 200, -1, 0,
	    "attribute dropped" };
	struct fx *fx = *state;
	const struct flusher_stats *st;
	struct flusher *f;

	add_lines(fx, seg_name(0), 1, 4, 1);
	f = new_flusher(fx);
	step_with(f, &r_partial, FLUSHER_SENT);
	assert_request_ids(0, 1, 4);
	step(f, FLUSHER_IDLE);		/* not resent */
	st = flusher_stats(f);
	assert_int_equal(st->spans_rejected, 3);
	assert_int_equal(st->batches_sent, 1);
	assert_false(exists(path(fx, "rejected", seg_name(0))));
	assert_true(exists(path(fx, "sent", seg_name(0))));

	/* A message without rejected spans counts nothing. */
	add_lines(fx, seg_name(1), 5, 1, 1);
	step_with(f, &warn, FLUSHER_SENT);
	assert_request_ids(1, 5, 5);
	step(f, FLUSHER_IDLE);
	assert_int_equal(st->spans_rejected, 3);
	assert_int_equal(st->batches_sent, 2);
	flusher_free(f);
}

static void
test_bad_lines_set_aside(void **state)
{
	static const char bad1[] = "not json at all\n";
	static const char bad2[] = "{\"resourceSpans\":[{\"scopeSpans\":[{"
	    "\"spans\":[{\"traceId\":\"not-hex\",\"spanId\":\"0000000000000009\","
	    "\"name\":\"s\"}]}]}]}\n";
	struct fx *fx = *state;
	char want[sizeof(bad1) + sizeof(bad2)], *text;
	const struct flusher_stats *st;
	struct flusher *f;

	add_lines(fx, seg_name(0), 1, 1, 1);
	append_text(fx, seg_name(0), bad1, strlen(bad1));
	add_lines(fx, seg_name(0), 2, 1, 1);
	append_text(fx, seg_name(0), bad2, strlen(bad2));
	add_lines(fx, seg_name(0), 3, 1, 1);
	f = new_flusher(fx);
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_request_ids(0, 1, 3);
	step(f, FLUSHER_IDLE);

	snprintf(want, sizeof(want), "%s%s", bad1, bad2);
	text = slurp(path(fx, "rejected", seg_name(0)));
	assert_string_equal(text, want);
	free(text);
	text = slurp(reason_path(fx, seg_name(0)));
	assert_int_equal(count_lines(text), 2);
	assert_non_null(strstr(text, "not OTLP/JSON"));
	free(text);
	st = flusher_stats(f);
	assert_int_equal(st->bad_lines, 2);
	assert_int_equal(st->spans_sent, 3);
	assert_int_equal(st->spans_rejected, 0);
	assert_true(exists(path(fx, "sent", seg_name(0))));
	flusher_free(f);
}

/* A segment of nothing but bad lines: set aside, segment retired. */
static void
test_only_bad_lines(void **state)
{
	static const char bad[] = "[1,2,3]\n{}x\n";
	struct fx *fx = *state;
	struct flusher *f;
	char *text;

	append_text(fx, seg_name(0), bad, strlen(bad));
	f = new_flusher(fx);
	step(f, FLUSHER_IDLE);
	step(f, FLUSHER_IDLE);
	assert_int_equal(sent.n, 0);
	assert_int_equal(flusher_stats(f)->bad_lines, 2);
	text = slurp(path(fx, "rejected", seg_name(0)));
	assert_string_equal(text, bad);
	free(text);
	assert_true(exists(path(fx, "sent", seg_name(0))));
	flusher_free(f);
}

static void
test_torn_tail(void **state)
{
	static const char tail[] = "{\"resourceSpans\":[{\"reso";
	struct fx *fx = *state;
	struct flusher *f;
	off_t size;

	add_lines(fx, seg_name(0), 1, 2, 1);
	append_text(fx, seg_name(0), tail, strlen(tail));
	size = file_size(path(fx, NULL, seg_name(0)));
	f = new_flusher(fx);
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_request_ids(0, 1, 2);
	step(f, FLUSHER_IDLE);
	step(f, FLUSHER_IDLE);
	assert_int_equal(flusher_stats(f)->torn_lines, 1);
	assert_int_equal(flusher_stats(f)->bad_lines, 0);
	assert_false(exists(path(fx, NULL, seg_name(0))));
	assert_int_equal(file_size(path(fx, "sent", seg_name(0))), size);
	assert_false(exists(path(fx, "rejected", seg_name(0))));
	flusher_free(f);
}

/* A segment still being written: its whole lines go out, the line being
 * written waits (no torn line), and it stays until its writer is done. */
static void
test_incomplete_segment(void **state)
{
	struct fx *fx = *state;
	char line[LINE_LEN], want[64], *text;
	size_t L, half;
	struct flusher *f;
	int wfd;

	add_lines(fx, seg_name(0), 1, 2, 1);
	wfd = writer_lock(fx, seg_name(0));
	L = make_line(line, sizeof(line), 3, 1);
	half = L / 2;
	append_text(fx, seg_name(0), line, half);

	f = new_flusher(fx);
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_request_ids(0, 1, 2);
	step(f, FLUSHER_IDLE);
	step(f, FLUSHER_IDLE);
	assert_true(exists(path(fx, NULL, seg_name(0))));
	assert_int_equal(flusher_stats(f)->torn_lines, 0);
	assert_int_equal(flusher_stats(f)->backlog_bytes, (long long)half);
	snprintf(want, sizeof(want), "%s %zu\n", seg_name(0), 2 * L);
	text = offsets(fx);
	assert_string_equal(text, want);
	free(text);

	/* The writer finishes the line and closes the segment. */
	append_text(fx, seg_name(0), line + half, L - half);
	close(wfd);
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_request_ids(1, 3, 3);
	step(f, FLUSHER_IDLE);
	assert_false(exists(path(fx, NULL, seg_name(0))));
	assert_int_equal(file_size(path(fx, "sent", seg_name(0))),
	    (off_t)(3 * L));
	assert_int_equal(flusher_stats(f)->torn_lines, 0);
	assert_int_equal(flusher_stats(f)->spans_sent, 3);
	text = offsets(fx);
	assert_string_equal(text, "");
	free(text);
	flusher_free(f);
}

/* Offsets are durable once a batch is taken: a new flusher sends only
 * what the old one had not shipped. */
static void
test_restart(void **state)
{
	struct fx *fx = *state;
	size_t L = one_span_line_len();
	struct flusher *f;
	char want[64], *text;

	add_lines(fx, seg_name(0), 1, 6, 1);
	fx->cfg.batch_spans = 2;
	f = new_flusher(fx);
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_request_ids(0, 1, 2);
	snprintf(want, sizeof(want), "%s %zu\n", seg_name(0), 2 * L);
	text = offsets(fx);		/* on disk before flusher_free */
	assert_string_equal(text, want);
	free(text);
	step_with(f, &r_retry, FLUSHER_RETRY);
	assert_request_ids(1, 3, 4);
	flusher_free(f);
	text = offsets(fx);
	assert_string_equal(text, want);
	free(text);

	f = new_flusher(fx);
	drain(f, 2);
	assert_request_ids(2, 3, 4);
	assert_request_ids(3, 5, 6);
	for (uint64_t id = 1; id <= 6; id++)
		assert_int_equal(times_sent(id, 1), 1);
	assert_int_equal(flusher_stats(f)->spans_sent, 4);
	assert_true(exists(path(fx, "sent", seg_name(0))));
	flusher_free(f);
	text = offsets(fx);
	assert_string_equal(text, "");
	free(text);
}

/* With sync_ms (the daemon), the offsets are written after every batch,
 * so a restarted flusher resumes there, but fsynced only at the period
 * and when the flusher stops; with 0 (--once) after every batch. */
static void
test_offsets_synced_lazily(void **state)
{
	struct fx *fx = *state;
	size_t L = one_span_line_len();
	struct flusher *f;
	char want[64], *text;

	add_lines(fx, seg_name(0), 1, 6, 1);
	fx->cfg.batch_spans = 2;
	fx->cfg.sync_ms = 60000;
	f = new_flusher(fx);
	fsynccount_calls = 0;
	step_with(f, &r_ok, FLUSHER_SENT);
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_int_equal(fsynccount_calls, 0);
	snprintf(want, sizeof(want), "%s %zu\n", seg_name(0), 4 * L);
	text = offsets(fx);
	assert_string_equal(text, want);
	free(text);
	flusher_free(f);
	assert_true(fsynccount_calls >= 2);		/* the record and its directory */

	fx->cfg.sync_ms = 0;
	f = new_flusher(fx);
	fsynccount_calls = 0;
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_true(fsynccount_calls >= 2);
	flusher_free(f);
}

/* Over max_bytes while the collector is down: the oldest lines go, the
 * waiting batch is remade from what is kept. */
static void
test_max_bytes_drops_oldest(void **state)
{
	struct fx *fx = *state;
	size_t L = one_span_line_len();
	const struct flusher_stats *st;
	struct flusher *f;

	add_lines(fx, seg_name(0), 1, 4, 1);
	fx->cfg.max_bytes = (long long)(6 * L + L / 2);
	f = new_flusher(fx);
	st = flusher_stats(f);
	step_with(f, &r_retry, FLUSHER_RETRY);
	assert_request_ids(0, 1, 4);
	assert_int_equal(st->dropped_lines, 0);

	add_lines(fx, seg_name(1), 5, 4, 1);
	step_with(f, &r_retry, FLUSHER_RETRY);
	assert_int_equal(st->dropped_lines, 2);
	assert_request_ids(1, 3, 8);
	assert_true(st->backlog_bytes <= fx->cfg.max_bytes);

	step_with(f, &r_ok, FLUSHER_SENT);
	assert_same_request(1, 2);
	step(f, FLUSHER_IDLE);
	for (uint64_t id = 1; id <= 8; id++)
		assert_int_equal(times_sent(id, 1), id <= 2 ? 0 : 1);
	assert_int_equal(st->spans_sent, 6);
	assert_true(exists(path(fx, "sent", seg_name(0))));
	assert_true(exists(path(fx, "sent", seg_name(1))));
	assert_int_equal(st->backlog_bytes, 0);
	flusher_free(f);
}

/* Whole complete segments over the cap are removed. */
static void
test_max_bytes_whole_segments(void **state)
{
	struct fx *fx = *state;
	size_t L = one_span_line_len();
	const struct flusher_stats *st;
	struct flusher *f;

	for (int i = 0; i < 3; i++)
		add_lines(fx, seg_name(i), (uint64_t)(2 * i + 1), 2, 1);
	fx->cfg.max_bytes = (long long)(2 * L + L / 2);
	f = new_flusher(fx);
	st = flusher_stats(f);
	step_with(f, &r_retry, FLUSHER_RETRY);
	assert_request_ids(0, 5, 6);
	assert_int_equal(st->dropped_lines, 4);
	for (int i = 0; i < 2; i++) {
		assert_false(exists(path(fx, NULL, seg_name(i))));
		assert_false(exists(path(fx, "sent", seg_name(i))));
	}
	step_with(f, &r_ok, FLUSHER_SENT);
	step(f, FLUSHER_IDLE);
	assert_int_equal(st->spans_sent, 2);
	assert_true(exists(path(fx, "sent", seg_name(2))));
	flusher_free(f);
}

/* The oldest segment is still being written (an idle worker's); the cap
 * must still reach the complete segments after it. */
static void
test_max_bytes_past_growing_segment(void **state)
{
	struct fx *fx = *state;
	size_t L = one_span_line_len();
	const struct flusher_stats *st;
	struct flusher *f;
	int wfd;

	add_lines(fx, seg_name(0), 1, 1, 1);
	wfd = writer_lock(fx, seg_name(0));
	add_lines(fx, seg_name(1), 2, 3, 1);
	add_lines(fx, seg_name(2), 5, 3, 1);
	fx->cfg.max_bytes = (long long)(2 * L + L / 2);
	f = new_flusher(fx);
	st = flusher_stats(f);
	step_with(f, &r_retry, FLUSHER_RETRY);
	if (st->backlog_bytes > fx->cfg.max_bytes)
		fail_msg("backlog %lld over max_bytes %lld after the cap "
		    "(dropped %llu lines)", st->backlog_bytes,
		    fx->cfg.max_bytes, (unsigned long long)st->dropped_lines);
	assert_int_equal(st->dropped_lines, 5);
	assert_request_ids(0, 6, 7);
	close(wfd);
	step_with(f, &r_ok, FLUSHER_SENT);
	step(f, FLUSHER_IDLE);
	for (uint64_t id = 1; id <= 7; id++)
		assert_int_equal(times_sent(id, 1), id <= 5 ? 0 : 1);
	flusher_free(f);
}

static void
test_keep_sent_bytes(void **state)
{
	struct fx *fx = *state;
	size_t S = 2 * one_span_line_len();
	const char *old = "spans-1600000000000-1-0.jsonl";
	char text[2 * LINE_LEN];
	struct flusher *f;

	assert_int_equal(mkdir(path(fx, NULL, "sent"), 0750), 0);
	append_text(fx, "sent/README", "history\n", 8);
	lines_text(text, sizeof(text), 100, 2);
	append_text(fx, "sent/spans-1600000000000-1-0.jsonl", text, S);
	for (int i = 1; i <= 4; i++)
		add_lines(fx, seg_name(i), (uint64_t)(2 * i), 2, 1);
	fx->cfg.keep_sent_bytes = (long long)(2 * S + S / 2);
	f = new_flusher(fx);
	drain(f, 1);
	assert_int_equal(sent.s[0].nspans, 8);
	assert_false(exists(path(fx, "sent", old)));
	assert_false(exists(path(fx, "sent", seg_name(1))));
	assert_false(exists(path(fx, "sent", seg_name(2))));
	assert_true(exists(path(fx, "sent", seg_name(3))));
	assert_true(exists(path(fx, "sent", seg_name(4))));
	assert_true(exists(path(fx, "sent", "README")));
	for (int i = 1; i <= 4; i++)
		assert_false(exists(path(fx, NULL, seg_name(i))));
	flusher_free(f);
}

/* Segments come and go between steps. */
static void
test_segments_come_and_go(void **state)
{
	static const char hidden[] = ".spans-1700000000090-1-0.jsonl";
	struct fx *fx = *state;
	char *text, real[PATH_LEN];
	struct flusher *f;
	int wfd;

	fx->cfg.batch_spans = 1;
	add_lines(fx, seg_name(0), 1, 1, 1);
	add_lines(fx, hidden, 90, 1, 1);	/* a writer's, not ready */
	f = new_flusher(fx);
	drain(f, 1);
	assert_request_ids(0, 1, 1);

	add_lines(fx, seg_name(1), 2, 1, 1);
	drain(f, 1);
	assert_request_ids(1, 2, 2);

	/* Renamed into place, it is a segment like any other. */
	snprintf(real, sizeof(real), "%s", path(fx, NULL, hidden + 1));
	assert_int_equal(rename(path(fx, NULL, hidden), real), 0);
	drain(f, 1);
	assert_request_ids(2, 90, 90);

	/* Gone while its batch waits: resent once, then forgotten. */
	add_lines(fx, seg_name(2), 3, 2, 1);
	step_with(f, &r_retry, FLUSHER_RETRY);
	assert_request_ids(3, 3, 3);
	assert_int_equal(unlink(path(fx, NULL, seg_name(2))), 0);
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_same_request(3, 4);
	step(f, FLUSHER_IDLE);

	/* Gone while still being written. */
	add_lines(fx, seg_name(3), 5, 1, 1);
	wfd = writer_lock(fx, seg_name(3));
	drain(f, 1);
	assert_request_ids(5, 5, 5);
	text = offsets(fx);
	assert_non_null(strstr(text, seg_name(3)));
	free(text);
	assert_int_equal(unlink(path(fx, NULL, seg_name(3))), 0);
	close(wfd);
	step(f, FLUSHER_IDLE);
	step(f, FLUSHER_IDLE);
	text = offsets(fx);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(sent.n, 6);
	assert_int_equal(flusher_stats(f)->backlog_bytes, 0);
	flusher_free(f);
}

/* Something under a segment's name that cannot be read as one does not
 * hold up the real segments. */
static void
test_unreadable_segment_name(void **state)
{
	struct fx *fx = *state;
	struct flusher *f;

	assert_int_equal(mkdir(path(fx, NULL, seg_name(0)), 0750), 0);
	add_lines(fx, seg_name(1), 1, 2, 1);
	f = new_flusher(fx);
	step_with(f, &r_ok, FLUSHER_SENT);
	assert_request_ids(0, 1, 2);
	step(f, FLUSHER_IDLE);
	assert_true(exists(path(fx, "sent", seg_name(1))));
	flusher_free(f);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_new_missing_dir),
		T(test_new_damaged_offsets),
		T(test_empty_spool_idle),
		T(test_ship_spool_lines),
		T(test_batch_bytes),
		T(test_batch_bytes_one_segment),
		T(test_retry_resends_same),
		T(test_reject),
		T(test_reject_after_bad_line),
		T(test_reject_isolates_line),
		T(test_config_error_keeps_spans),
		T(test_rejected_cap),
		T(test_redrive),
		T(test_mark_passed),
		T(test_mark_refused),
		T(test_redrive_kinds),
		T(test_caps_count_feedback),
		T(test_lock),
		T(test_many_segments_few_fds),
		T(test_partial_success),
		T(test_bad_lines_set_aside),
		T(test_only_bad_lines),
		T(test_torn_tail),
		T(test_incomplete_segment),
		T(test_restart),
		T(test_offsets_synced_lazily),
		T(test_max_bytes_drops_oldest),
		T(test_max_bytes_whole_segments),
		T(test_max_bytes_past_growing_segment),
		T(test_keep_sent_bytes),
		T(test_segments_come_and_go),
		T(test_unreadable_segment_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
