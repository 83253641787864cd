/* test_spool.c - spool segments: lines, locking, rotation, concurrency,
 * failed writes, and tests/check-otlp-json.jq on what we write; feedback
 * records in segments of their own under the same rules (a full disk is
 * made by wrapping fileio_write_all). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "spool.h"
#include "testspan.h"
#include "testutil.h"

#define NTHREADS	8
#define NPROCS		3
#define NAPPENDS	500
#define MAX_SEGMENTS	16
#define PATH_LEN	400

struct fx {
	char	 top[64];	/* mkdtemp */
	char	 dir[96];	/* top/spool, created by spool_open */
};

static const struct spool_resource res = {
	.service_name = "recipe-chat-test",
	.project_name = "recipes",
	.scope_name = "recipe-chat/test",
	.scope_version = "1.2.3",
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	umask(022);
	if (testutil_mkdtemp(fx->top, sizeof(fx->top), "test_spool") == NULL)
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
	free(fx);
	return 0;
}

static struct spool *
open_spool(const struct fx *fx)
{
	char err[256] = "";
	struct spool *sp = spool_open(fx->dir, &res, err, sizeof(err));

	if (sp == NULL)
		fail_msg("spool_open: %s", err);
	return sp;
}

static struct span *
make_span(int i)
{
	struct span *s = span_start("chat_turn", SPAN_KIND_SERVER, NULL);

	assert_non_null(s);
	span_set_str(s, "openinference.span.kind", "AGENT");
	span_set_int(s, "i", i);
	span_end(s);
	return s;
}

static int
append_one(struct spool *sp, int i)
{
	struct span *s = make_span(i);
	const struct span *v[1] = { s };
	int rc = spool_append(sp, v, 1);

	span_free(s);
	return rc;
}

/* fileio_write_all, wrapped: while fail_writes > 0 each call writes half
 * its bytes, then fails with ENOSPC (a disk that fills mid-line). */
static int fail_writes;
int __real_fileio_write_all(int, const void *, size_t);
int __wrap_fileio_write_all(int, const void *, size_t);

int
__wrap_fileio_write_all(int fd, const void *p, size_t n)
{
	if (fail_writes == 0)
		return __real_fileio_write_all(fd, p, n);
	fail_writes--;
	if (__real_fileio_write_all(fd, p, n / 2) == -1)
		return -1;
	errno = ENOSPC;
	return -1;
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
is_segment(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return strncmp(d->d_name, "spans-", 6) == 0 && n > 6 &&
	    strcmp(d->d_name + n - 6, ".jsonl") == 0;
}

static int
is_feedback(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return strncmp(d->d_name, "feedback-", 9) == 0 && n > 9 &&
	    strcmp(d->d_name + n - 6, ".jsonl") == 0;
}

static int
is_any(const struct dirent *d)
{
	return d->d_name[0] != '.' || (strcmp(d->d_name, ".") != 0 &&
	    strcmp(d->d_name, "..") != 0);
}

/* Full paths of the files in fx->dir that sel takes, sorted; returns how
 * many. */
static int
scan(const struct fx *fx, int (*sel)(const struct dirent *),
    char paths[MAX_SEGMENTS][PATH_LEN])
{
	struct dirent **list;
	int i, n;

	n = scandir(fx->dir, &list, sel, name_cmp);
	if (n == -1)
		return 0;
	assert_true(n <= MAX_SEGMENTS);
	for (i = 0; i < n; i++) {
		snprintf(paths[i], PATH_LEN, "%s/%s", fx->dir, list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return n;
}

/* The spans segments. */
static int
segments(const struct fx *fx, char paths[MAX_SEGMENTS][PATH_LEN])
{
	return scan(fx, is_segment, paths);
}

/* The feedback segments. */
static int
fb_segments(const struct fx *fx, char paths[MAX_SEGMENTS][PATH_LEN])
{
	return scan(fx, is_feedback, paths);
}

static int
count_entries(const struct fx *fx)
{
	struct dirent **list;
	int i, n = scandir(fx->dir, &list, is_any, NULL);

	for (i = 0; i < n; i++)
		free(list[i]);
	if (n >= 0)
		free(list);
	return n;
}

static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *p;
	int fd = open(path, O_RDONLY);

	assert_true(fd != -1);
	assert_int_equal(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size + 1);
	assert_non_null(p);
	assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
	p[st.st_size] = '\0';
	*len = (size_t)st.st_size;
	close(fd);
	return p;
}

/* Check every line of path is a TracesData; call fn on each span.
 * Returns the number of lines. */
static size_t
check_lines(const char *path, void (*fn)(json_object *span, void *arg),
    void *arg)
{
	size_t len, lines = 0, i;
	char *text = slurp(path, &len), *p = text, *nl;
	json_object *o, *spans;

	assert_true(len == 0 || text[len - 1] == '\n');
	while ((nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		o = json_tokener_parse(p);
		if (o == NULL)
			fail_msg("%s: line %zu is not JSON", path, lines + 1);
		spans = json_object_object_get(json_object_array_get_idx(
		    json_object_object_get(json_object_array_get_idx(
		    json_object_object_get(o, "resourceSpans"), 0),
		    "scopeSpans"), 0), "spans");
		assert_true(json_object_array_length(spans) >= 1);
		for (i = 0; fn != NULL && i < json_object_array_length(spans);
		    i++)
			fn(json_object_array_get_idx(spans, i), arg);
		json_object_put(o);
		lines++;
		p = nl + 1;
	}
	free(text);
	return lines;
}

/* 0 when flock(LOCK_EX|LOCK_NB) on a fresh open of path succeeds. */
static int
try_lock(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	assert_true(fd != -1);
	rc = flock(fd, LOCK_EX | LOCK_NB);
	if (rc == -1)
		assert_int_equal(errno, EWOULDBLOCK);
	close(fd);
	return rc;
}

/* Exit status of the jq checker on path; its messages shown if !quiet. */
static int
run_checker(const char *path, int quiet)
{
	char cmd[1024];
	int st;

	snprintf(cmd, sizeof(cmd), "jq -n -R -e -f '%s/../check-otlp-json.jq' "
	    "'%s' >/dev/null%s", testutil_data_dir(), path,
	    quiet ? " 2>&1" : "");
	st = system(cmd);
	assert_true(st != -1 && WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int
have_jq(void)
{
	return system("jq --version >/dev/null 2>&1") == 0;
}

static json_object *
line_get(json_object *o, const char *path)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && o != NULL;
	    tok = strtok_r(NULL, ".", &save))
		o = tok[0] >= '0' && tok[0] <= '9' ?
		    json_object_array_get_idx(o, (size_t)atoi(tok)) :
		    json_object_object_get(o, tok);
	assert_non_null(o);
	return o;
}

static void
test_append_one_line(void **state)
{
	struct fx *fx = *state;
	char seg[MAX_SEGMENTS][PATH_LEN], want[64];
	struct spool *sp = open_spool(fx);
	json_object *o, *attrs;
	struct stat st;
	size_t len;
	char *text;

	/* Segments are opened lazily. */
	assert_int_equal(count_entries(fx), 0);
	assert_int_equal(append_one(sp, 1), 0);
	assert_int_equal(segments(fx, seg), 1);
	assert_int_equal(count_entries(fx), 1);	/* no temporary left */
	/* spans-<ms>-<pid>-<8 hex tag>-<seq>.jsonl */
	snprintf(want, sizeof(want), "-%ld-", (long)getpid());
	assert_non_null(strstr(seg[0], want));
	assert_int_equal(strlen(strstr(seg[0], want) + strlen(want)),
	    strlen("0123abcd-0.jsonl"));
	assert_non_null(strstr(seg[0], "-0.jsonl"));
	assert_int_equal(stat(seg[0], &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(stat(fx->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
	text = slurp(seg[0], &len);
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_ptr_equal(strchr(text, '\n'), text + len - 1);
	o = json_tokener_parse(text);
	assert_non_null(o);
	attrs = line_get(o, "resourceSpans.0.resource.attributes");
	assert_string_equal(json_object_get_string(line_get(attrs,
	    "0.value.stringValue")), "recipe-chat-test");
	assert_string_equal(json_object_get_string(line_get(attrs, "1.key")),
	    "openinference.project.name");
	assert_string_equal(json_object_get_string(line_get(attrs,
	    "2.value.stringValue")), "recipe-chat");
	assert_string_equal(json_object_get_string(line_get(attrs,
	    "3.value.stringValue")), "c");
	snprintf(want, sizeof(want), "%ld", (long)getpid());
	assert_string_equal(json_object_get_string(line_get(attrs,
	    "5.value.intValue")), want);
	assert_string_equal(json_object_get_string(line_get(o,
	    "resourceSpans.0.scopeSpans.0.scope.name")), "recipe-chat/test");
	assert_string_equal(json_object_get_string(line_get(o,
	    "resourceSpans.0.scopeSpans.0.scope.version")), "1.2.3");
	assert_string_equal(json_object_get_string(line_get(o,
	    "resourceSpans.0.scopeSpans.0.spans.0.name")), "chat_turn");
	json_object_put(o);
	free(text);
	spool_close(sp);
}

static void
test_append_many_spans(void **state)
{
	struct fx *fx = *state;
	char seg[MAX_SEGMENTS][PATH_LEN];
	struct spool *sp = open_spool(fx);
	struct span *s[3];
	const struct span *v[4];
	int i;

	for (i = 0; i < 3; i++)
		v[i] = s[i] = make_span(i);
	assert_int_equal(spool_append(sp, v, 3), 0);
	assert_int_equal(spool_append(sp, v, 0), 0);	/* nothing */
	v[3] = NULL;
	assert_int_equal(spool_append(sp, v, 4), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(append_one(sp, 9), 0);
	assert_int_equal(segments(fx, seg), 1);
	assert_int_equal(check_lines(seg[0], NULL, NULL), 2);
	for (i = 0; i < 3; i++)
		span_free(s[i]);
	spool_close(sp);
}

static void *
thread_main(void *arg)
{
	struct spool *sp = arg;
	intptr_t fails = 0;
	int i;

	for (i = 0; i < NAPPENDS; i++)
		fails += append_one(sp, i) != 0;
	return (void *)fails;
}

static void
collect_id(json_object *span, void *arg)
{
	json_object *all = arg;

	json_object_array_add(all, json_object_get(json_object_object_get(
	    span, "spanId")));
}

static int
strcmp_json(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(json_object *const *)a),
	    json_object_get_string(*(json_object *const *)b));
}

static void
check_all_unique(json_object *ids, size_t want)
{
	size_t i;

	assert_int_equal(json_object_array_length(ids), want);
	json_object_array_sort(ids, strcmp_json);
	for (i = 1; i < want; i++)
		assert_string_not_equal(
		    json_object_get_string(json_object_array_get_idx(ids, i - 1)),
		    json_object_get_string(json_object_array_get_idx(ids, i)));
}

static pid_t
spawn_writer(const struct fx *fx)
{
	char err[256];
	struct spool *sp;
	pid_t pid = fork();
	int i, fails = 0;

	assert_true(pid != -1);
	if (pid > 0)
		return pid;
	if ((sp = spool_open(fx->dir, &res, err, sizeof(err))) == NULL)
		_exit(2);
	for (i = 0; i < NAPPENDS; i++)
		fails += append_one(sp, i) != 0;
	spool_close(sp);
	_exit(fails == 0 ? 0 : 1);
}

static void
test_concurrency(void **state)
{
	struct fx *fx = *state;
	char seg[MAX_SEGMENTS][PATH_LEN];
	pthread_t th[NTHREADS];
	pid_t kids[NPROCS];
	struct spool *sp = open_spool(fx);
	json_object *ids = json_object_new_array();
	size_t lines = 0;
	void *fails;
	int i, n, st;

	for (i = 0; i < NPROCS; i++)
		kids[i] = spawn_writer(fx);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, sp),
		    0);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], &fails), 0);
		assert_null(fails);
	}
	for (i = 0; i < NPROCS; i++) {
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	spool_close(sp);
	n = segments(fx, seg);
	assert_int_equal(n, NPROCS + 1);	/* one per process */
	for (i = 0; i < n; i++) {
		lines += check_lines(seg[i], collect_id, ids);
		if (have_jq())
			assert_int_equal(run_checker(seg[i], 0), 0);
	}
	assert_int_equal(lines, (NTHREADS + NPROCS) * NAPPENDS);
	check_all_unique(ids, (NTHREADS + NPROCS) * NAPPENDS);
	json_object_put(ids);
}

static void
test_lock_held_while_active(void **state)
{
	struct fx *fx = *state;
	char seg[MAX_SEGMENTS][PATH_LEN];
	struct spool *sp = open_spool(fx);

	assert_int_equal(append_one(sp, 1), 0);
	assert_int_equal(segments(fx, seg), 1);
	assert_int_equal(try_lock(seg[0]), -1);
	assert_int_equal(append_one(sp, 2), 0);
	assert_int_equal(try_lock(seg[0]), -1);
	spool_close(sp);
	assert_int_equal(try_lock(seg[0]), 0);
	assert_int_equal(check_lines(seg[0], NULL, NULL), 2);
}

static void
test_rotation(void **state)
{
	struct fx *fx = *state;
	char seg[MAX_SEGMENTS][PATH_LEN], *big;
	struct spool *sp = open_spool(fx);
	struct span *s;
	const struct span *v[1];
	struct stat st;
	size_t lines;
	int i, n;

	big = malloc(SPAN_MAX_VALUE_LEN + 1);
	assert_non_null(big);
	memset(big, 'x', SPAN_MAX_VALUE_LEN);
	big[SPAN_MAX_VALUE_LEN] = '\0';
	s = make_span(0);
	span_set_str(s, "input.value", big);
	span_set_str(s, "output.value", big);
	span_set_str(s, "a", big);
	span_set_str(s, "b", big);
	v[0] = s;
	for (i = 0, n = 1; n < 2 && i < 1000; i++) {
		assert_int_equal(spool_append(sp, v, 1), 0);
		n = segments(fx, seg);
	}
	assert_int_equal(n, 2);
	/* The first segment was rotated: past the limit by under a line,
	 * synced and unlocked, while the spool is still open. */
	assert_int_equal(stat(seg[0], &st), 0);
	assert_true(st.st_size > SPOOL_SEGMENT_BYTES);
	assert_true(st.st_size < SPOOL_SEGMENT_BYTES + 4 * SPAN_MAX_VALUE_LEN +
	    4096);
	assert_int_equal(try_lock(seg[0]), 0);
	assert_int_equal(try_lock(seg[1]), -1);
	assert_non_null(strstr(seg[1], "-1.jsonl"));
	assert_int_equal(spool_append(sp, v, 1), 0);
	spool_close(sp);
	/* The i-th append opened the second segment. */
	lines = check_lines(seg[0], NULL, NULL);
	assert_int_equal(lines, (size_t)i - 1);
	assert_int_equal(check_lines(seg[1], NULL, NULL), 2);
	span_free(s);
	free(big);
}

/* A hand-made finished segment of size bytes (no writer holds it). */
static void
old_segment(const struct fx *fx, const char *name, size_t size)
{
	char p[PATH_LEN], *text = malloc(size);
	int fd;

	assert_non_null(text);
	memset(text, 'x', size);
	text[size - 1] = '\n';
	snprintf(p, sizeof(p), "%s/%s", fx->dir, name);
	assert_true((fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0640)) != -1);
	assert_int_equal(write(fd, text, size), (ssize_t)size);
	close(fd);
	free(text);
}

/* With no flusher, SPOOL_MAX_BYTES still holds: the oldest finished
 * segments go (counted), one in use (locked) stays. */
static void
test_max_bytes(void **state)
{
	struct fx *fx = *state;
	struct spool *sp = open_spool(fx);
	struct spool_stats st;
	char p[PATH_LEN];
	int held;

	old_segment(fx, "spans-1000000000000-1-aaaaaaaa-0.jsonl", 400000);
	old_segment(fx, "spans-1000000000001-1-aaaaaaaa-0.jsonl", 400000);
	old_segment(fx, "spans-1000000000002-1-aaaaaaaa-0.jsonl", 400000);
	old_segment(fx, "spans-1000000000003-1-aaaaaaaa-0.jsonl", 400000);
	snprintf(p, sizeof(p), "%s/spans-1000000000001-1-aaaaaaaa-0.jsonl",
	    fx->dir);
	assert_true((held = open(p, O_RDONLY)) != -1);
	assert_int_equal(flock(held, LOCK_EX), 0);
	spool_set_max_bytes(sp, 1 << 20);
	assert_int_equal(append_one(sp, 1), 0);
	spool_get_stats(sp, &st);
	assert_int_equal(st.capped_segments, 2);
	assert_int_equal(st.capped_bytes, 800000);
	assert_int_equal(st.dropped_turns, 0);
	assert_int_equal(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/spans-1000000000000-1-aaaaaaaa-0.jsonl",
	    fx->dir);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/spans-1000000000002-1-aaaaaaaa-0.jsonl",
	    fx->dir);
	assert_int_equal(access(p, F_OK), -1);
	close(held);
	spool_close(sp);
}

/* A write cut short by RLIMIT_FSIZE is cut back: no torn line stays. */
static void
test_failed_write_leaves_no_torn_line(void **state)
{
	struct fx *fx = *state;
	char seg[MAX_SEGMENTS][PATH_LEN];
	struct spool *sp = open_spool(fx);
	struct rlimit old, lim;
	void (*oldsig)(int);
	struct stat st;
	off_t size;

	assert_int_equal(append_one(sp, 1), 0);
	assert_int_equal(append_one(sp, 2), 0);
	assert_int_equal(segments(fx, seg), 1);
	assert_int_equal(stat(seg[0], &st), 0);
	size = st.st_size;
	assert_true(size > 400);
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)size + 100;	/* mid-line */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	errno = 0;
	assert_int_equal(append_one(sp, 3), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(stat(seg[0], &st), 0);
	assert_int_equal(st.st_size, size);
	/* The segment stays active and usable. */
	assert_int_equal(append_one(sp, 4), 0);
	assert_int_equal(try_lock(seg[0]), -1);
	spool_close(sp);
	assert_int_equal(segments(fx, seg), 1);
	assert_int_equal(check_lines(seg[0], NULL, NULL), 3);
}

static void
test_open_errors(void **state)
{
	struct fx *fx = *state;
	char err[256] = "", path[PATH_LEN];
	struct spool *sp;
	int fd;

	snprintf(path, sizeof(path), "%s/missing/spool", fx->top);
	assert_null(spool_open(path, &res, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "parent"));
	snprintf(path, sizeof(path), "%s/file", fx->top);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd != -1);
	close(fd);
	err[0] = '\0';
	assert_null(spool_open(path, &res, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_null(spool_open("", &res, err, sizeof(err)));
	/* An existing directory is fine, and so are default resources. */
	sp = open_spool(fx);
	spool_close(sp);
	assert_non_null(sp = spool_open(fx->dir, NULL, err, sizeof(err)));
	assert_int_equal(append_one(sp, 1), 0);
	spool_close(sp);
	spool_close(NULL);
}

/* A child that forked after spool_open must open its own spool. */
static void
test_forked_child_refused(void **state)
{
	struct fx *fx = *state;
	struct spool *sp = open_spool(fx);
	pid_t pid;
	int st;

	assert_int_equal(append_one(sp, 1), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		_exit(append_one(sp, 2) == -1 && errno == EINVAL ? 0 : 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	spool_close(sp);
}

/* A line with every field the spool writes. Caller frees the path. */
static void
write_rich_line(const struct fx *fx, char *path)
{
	const char *tags[] = { "a", "b" };
	char seg[MAX_SEGMENTS][PATH_LEN];
	struct spool *sp = open_spool(fx);
	struct span *root, *child;
	const struct span *v[2];
	struct tracectx remote;

	root = span_start("chat_turn", SPAN_KIND_SERVER, NULL);
	assert_int_equal(tracectx_parse_traceparent(
	    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	    &remote), 0);
	assert_int_equal(tracectx_parse_tracestate("rojo=1", &remote), 0);
	span_add_link(root, &remote);
	span_set_str(root, "input.value", "caf\xc3\xa9 \xff");
	span_set_int(root, "n", -5);
	testspan_set_double(root, "d", 1.5);
	testspan_set_bool(root, "b", 0);
	testspan_set_str_array(root, "tag.tags", tags, 2);
	child = span_start("completion", SPAN_KIND_CLIENT, span_context(root));
	span_set_int(child, "llm.token_count.total", 42);
	span_add_exception(child, "HTTPError", "502 from upstream", 1);
	span_set_status(child, SPAN_STATUS_ERROR, "upstream failed");
	span_end(child);
	span_end(root);
	v[0] = child;
	v[1] = root;
	assert_int_equal(spool_append(sp, v, 2), 0);
	spool_close(sp);
	span_free(child);
	span_free(root);
	assert_int_equal(segments(fx, seg), 1);
	strcpy(path, seg[0]);
}

typedef void (*mutate_fn)(json_object *line, json_object *span);

static void
m_upper_trace(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_add(s, "traceId",
	    json_object_new_string("0AF7651916CD43DD8448EB211C80319C"));
}

static void
m_zero_span(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_add(s, "spanId",
	    json_object_new_string("0000000000000000"));
}

static void
m_short_parent(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_add(s, "parentSpanId", json_object_new_string("ab"));
}

static void
m_kind(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_add(s, "kind", json_object_new_int(6));
}

static void
m_no_name(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_del(s, "name");
}

static void
m_numeric_start(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_add(s, "startTimeUnixNano",
	    json_object_new_int64(1));
}

static void
m_end_before_start(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_add(s, "endTimeUnixNano",
	    json_object_new_string("999"));
}

static void
m_int_number(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_add(line_get(s, "attributes.0.value"), "intValue",
	    json_object_new_int(1));
}

static void
m_two_values(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_add(line_get(s, "attributes.0.value"), "boolValue",
	    json_object_new_boolean(1));
}

static void
m_status_string(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_add(line_get(s, "status"), "code",
	    json_object_new_string("2"));
}

static void
m_event_time(json_object *l, json_object *s)
{
	(void)l;
	json_object_object_del(line_get(s, "events.0"), "timeUnixNano");
}

static void
m_no_scope(json_object *l, json_object *s)
{
	(void)s;
	json_object_object_del(line_get(l, "resourceSpans.0.scopeSpans.0"),
	    "scope");
}

static void
m_no_resource_spans(json_object *l, json_object *s)
{
	(void)s;
	json_object_object_add(l, "resourceSpans", json_object_new_array());
}

static void
m_no_service_name(json_object *l, json_object *s)
{
	(void)s;
	json_object_array_del_idx(line_get(l,
	    "resourceSpans.0.resource.attributes"), 0, 1);
}

static void
write_file(const char *path, const char *a, const char *b)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fprintf(fp, "%s%s", a, b);
	assert_int_equal(fclose(fp), 0);
}

/* A valid feedback record on span number i (never 0). */
static void
fb_fill(struct feedrec *r, unsigned int i, int up, const char *comment)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736", 33);
	snprintf(r->span_id, sizeof(r->span_id), "%016x", i + 1);
	strcpy(r->session_id, "session_1764170000123_ab12cd");
	r->up = up;
	r->comment = comment != NULL ? strdup(comment) : NULL;
	r->time_unix_nano = 1764170000123456789LL;
	feedrec_set_identifier(r);
}

static int
fb_append(struct spool *sp, unsigned int i, int up, const char *comment)
{
	struct feedrec r;
	int rc;

	fb_fill(&r, i, up, comment);
	rc = spool_append_feedback(sp, &r);
	feedrec_clear(&r);
	return rc;
}

/* Check every line of path with feedrec_parse; the last one into *last
 * (when not NULL, caller clears). Returns the number of lines. */
static size_t
fb_lines(const char *path, struct feedrec *last)
{
	size_t len, lines = 0;
	char *text = slurp(path, &len), *p = text, *nl, err[128];
	struct feedrec r;

	assert_true(len == 0 || text[len - 1] == '\n');
	while ((nl = strchr(p, '\n')) != NULL) {
		if (feedrec_parse(p, (size_t)(nl - p), &r, err,
		    sizeof(err)) == -1)
			fail_msg("%s: line %zu: %s", path, lines + 1, err);
		if (last != NULL) {
			feedrec_clear(last);
			*last = r;
		} else
			feedrec_clear(&r);
		lines++;
		p = nl + 1;
	}
	free(text);
	return lines;
}

/* Feedback goes to a segment of its own, named like the spans one, locked
 * while active, and every line is one feedrec_parse takes. */
static void
test_feedback_own_segment(void **state)
{
	struct fx *fx = *state;
	char seg[MAX_SEGMENTS][PATH_LEN], fb[MAX_SEGMENTS][PATH_LEN];
	char want[64], *tag;
	struct spool *sp = open_spool(fx);
	struct feedrec last = { 0 };
	struct stat st;

	assert_int_equal(fb_append(sp, 7, 0, "too salty"), 0);
	assert_int_equal(count_entries(fx), 1);	/* no temporary left */
	assert_int_equal(segments(fx, seg), 0);	/* no spans yet */
	assert_int_equal(append_one(sp, 1), 0);
	assert_int_equal(fb_append(sp, 7, 1, NULL), 0);	/* a changed vote */
	assert_int_equal(segments(fx, seg), 1);
	assert_int_equal(fb_segments(fx, fb), 1);
	assert_int_equal(count_entries(fx), 2);
	/* feedback-<ms>-<pid>-<the spool's tag>-<seq>.jsonl */
	snprintf(want, sizeof(want), "-%ld-", (long)getpid());
	assert_non_null(tag = strstr(fb[0], want));
	assert_int_equal(strncmp(strstr(seg[0], want), tag,
	    strlen(want) + 8), 0);
	assert_int_equal(stat(fb[0], &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(try_lock(fb[0]), -1);
	assert_int_equal(try_lock(seg[0]), -1);
	spool_close(sp);
	assert_int_equal(try_lock(fb[0]), 0);
	assert_int_equal(fb_lines(fb[0], &last), 2);
	assert_string_equal(last.identifier, "fb-0000000000000008");
	assert_int_equal(last.up, 1);
	assert_null(last.comment);
	feedrec_clear(&last);
	assert_int_equal(check_lines(seg[0], NULL, NULL), 1);
	if (have_jq())
		assert_int_equal(run_checker(seg[0], 0), 0);
}

/* A record the reader would refuse is never written, nor is one from a
 * forked child. */
static void
test_feedback_refused(void **state)
{
	struct fx *fx = *state;
	struct spool *sp = open_spool(fx);
	char *longc = malloc(FEEDREC_COMMENT_MAX + 2);
	struct feedrec r;
	pid_t pid;
	int st;

	assert_non_null(longc);
	memset(longc, 'x', FEEDREC_COMMENT_MAX + 1);
	longc[FEEDREC_COMMENT_MAX + 1] = '\0';
	assert_int_equal(fb_append(sp, 1, 0, longc), -1);
	assert_int_equal(errno, EINVAL);
	longc[FEEDREC_COMMENT_MAX] = '\0';
	fb_fill(&r, 1, 0, NULL);
	r.trace_id[0] = 'A';		/* uppercase */
	assert_int_equal(spool_append_feedback(sp, &r), -1);
	assert_int_equal(errno, EINVAL);
	fb_fill(&r, 1, 0, NULL);
	r.identifier[3] = 'f';		/* not the span's */
	assert_int_equal(spool_append_feedback(sp, &r), -1);
	fb_fill(&r, 1, 0, NULL);
	memset(r.span_id, '0', 16);
	assert_int_equal(spool_append_feedback(sp, &r), -1);
	assert_int_equal(spool_append_feedback(sp, NULL), -1);
	assert_int_equal(count_entries(fx), 0);
	/* Exactly FEEDREC_COMMENT_MAX characters is fine. */
	assert_int_equal(fb_append(sp, 1, 0, longc), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		_exit(fb_append(sp, 2, 1, NULL) == -1 && errno == EINVAL ?
		    0 : 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	spool_close(sp);
	free(longc);
}

/* Feedback segments rotate at the same size as spans ones. */
static void
test_feedback_rotation(void **state)
{
	struct fx *fx = *state;
	char fb[MAX_SEGMENTS][PATH_LEN], *c = malloc(FEEDREC_COMMENT_MAX + 1);
	struct spool *sp = open_spool(fx);
	struct stat st;
	int i, n;

	assert_non_null(c);
	memset(c, 'y', FEEDREC_COMMENT_MAX);
	c[FEEDREC_COMMENT_MAX] = '\0';
	spool_set_max_bytes(sp, 1 << 20);	/* segments of 128 KiB */
	for (i = 0, n = 0; n < 2 && i < 1000; i++) {
		assert_int_equal(fb_append(sp, (unsigned int)i, i % 2, c), 0);
		n = fb_segments(fx, fb);
	}
	assert_int_equal(n, 2);
	assert_int_equal(stat(fb[0], &st), 0);
	assert_true(st.st_size > (1 << 20) / 8);
	assert_true(st.st_size < (1 << 20) / 8 + 4096);
	assert_int_equal(try_lock(fb[0]), 0);
	assert_int_equal(try_lock(fb[1]), -1);
	spool_close(sp);
	assert_int_equal(fb_lines(fb[0], NULL) + fb_lines(fb[1], NULL),
	    (size_t)i);
	assert_int_equal(segments(fx, fb), 0);
	free(c);
}

/* SPOOL_MAX_BYTES counts both kinds, and the oldest go first whatever
 * their kind. */
static void
test_max_bytes_both_kinds(void **state)
{
	static const char *names[] = {
		"feedback-1000000000000-1-aaaaaaaa-0.jsonl",
		"spans-1000000000001-1-aaaaaaaa-1.jsonl",
		"feedback-1000000000002-1-aaaaaaaa-2.jsonl",
		"spans-1000000000003-1-aaaaaaaa-3.jsonl",
	};
	struct fx *fx = *state;
	struct spool *sp = open_spool(fx);
	struct spool_stats st;
	char p[PATH_LEN];
	int i;

	for (i = 0; i < 4; i++)
		old_segment(fx, names[i], 400000);
	spool_set_max_bytes(sp, 1 << 20);
	assert_int_equal(fb_append(sp, 1, 1, NULL), 0);
	spool_get_stats(sp, &st);
	assert_int_equal(st.capped_segments, 2);
	assert_int_equal(st.capped_bytes, 800000);
	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", fx->dir, names[i]);
		assert_int_equal(access(p, F_OK), i < 2 ? -1 : 0);
	}
	spool_close(sp);
}

/* With no space, a feedback line goes after sent/; failing that it is
 * dropped and counted apart from turns, with no torn line, and writing
 * resumes. */
static void
test_feedback_full_disk(void **state)
{
	struct fx *fx = *state;
	char fb[MAX_SEGMENTS][PATH_LEN], p[PATH_LEN];
	struct spool *sp = open_spool(fx);
	struct spool_stats st;
	struct stat sb;
	off_t size;

	assert_int_equal(fb_append(sp, 1, 1, "fine"), 0);
	assert_int_equal(fb_segments(fx, fb), 1);
	assert_int_equal(stat(fb[0], &sb), 0);
	size = sb.st_size;
	fail_writes = 1;	/* no sent/ to prune: dropped */
	assert_int_equal(fb_append(sp, 2, 0, "lost"), 0);
	assert_int_equal(fail_writes, 0);
	spool_get_stats(sp, &st);
	assert_int_equal(st.dropped_feedback, 1);
	assert_int_equal(st.dropped_turns, 0);
	assert_int_equal(stat(fb[0], &sb), 0);
	assert_int_equal(sb.st_size, size);	/* cut back */
	fail_writes = 1;
	assert_int_equal(append_one(sp, 1), 0);
	spool_get_stats(sp, &st);
	assert_int_equal(st.dropped_turns, 1);
	assert_int_equal(st.dropped_spans, 1);
	assert_int_equal(st.dropped_feedback, 1);
	/* Shipped history makes room: the line is written after all. */
	snprintf(p, sizeof(p), "%s/sent", fx->dir);
	assert_int_equal(mkdir(p, 0750), 0);
	snprintf(p, sizeof(p), "%s/sent/feedback-1-1-aaaaaaaa-0.jsonl",
	    fx->dir);
	write_file(p, "x", "\n");
	fail_writes = 1;
	assert_int_equal(fb_append(sp, 3, 0, "kept"), 0);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(fb_append(sp, 4, 1, NULL), 0);
	spool_get_stats(sp, &st);
	assert_int_equal(st.dropped_feedback, 1);
	spool_close(sp);
	assert_int_equal(fb_lines(fb[0], NULL), 3);
}

static void
test_checker(void **state)
{
	static const mutate_fn muts[] = {
		m_upper_trace, m_zero_span, m_short_parent, m_kind, m_no_name,
		m_numeric_start, m_end_before_start, m_int_number,
		m_two_values, m_status_string, m_event_time, m_no_scope,
		m_no_resource_spans, m_no_service_name,
	};
	struct fx *fx = *state;
	char seg[PATH_LEN], bad[PATH_LEN], *good, *text;
	json_object *o;
	size_t len, i;

	if (!have_jq())	/* a declared dependency (conf/deps.sh) */
		fail_msg("jq is missing: apt-get install jq");
	write_rich_line(fx, seg);
	assert_int_equal(run_checker(seg, 0), 0);
	good = slurp(seg, &len);
	snprintf(bad, sizeof(bad), "%s/bad.jsonl", fx->top);
	for (i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		o = json_tokener_parse(good);
		muts[i](o, line_get(o, "resourceSpans.0.scopeSpans.0.spans.0"));
		text = strdup(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		write_file(bad, good, text);
		if (run_checker(bad, 1) == 0)
			fail_msg("checker accepted mutation %zu: %s", i, text);
		free(text);
	}
	/* A torn line, an empty line, two objects on a line, no lines. */
	write_file(bad, good, "{\"resourceSpans\":[{\"res");
	assert_int_not_equal(run_checker(bad, 1), 0);
	write_file(bad, "\n", good);
	assert_int_not_equal(run_checker(bad, 1), 0);
	good[len - 1] = ' ';
	write_file(bad, good, "{}\n");
	assert_int_not_equal(run_checker(bad, 1), 0);
	write_file(bad, "", "");
	assert_int_not_equal(run_checker(bad, 1), 0);
	free(good);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_append_one_line),
		T(test_append_many_spans),
		T(test_concurrency),
		T(test_lock_held_while_active),
		T(test_rotation),
		T(test_max_bytes),
		T(test_failed_write_leaves_no_torn_line),
		T(test_open_errors),
		T(test_forked_child_refused),
		T(test_checker),
		T(test_feedback_own_segment),
		T(test_feedback_refused),
		T(test_feedback_rotation),
		T(test_max_bytes_both_kinds),
		T(test_feedback_full_disk),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
