/* test_spoolread.c - the flusher's reader of spool segments: listing,
 * completeness by the writer's flock, whole lines, torn tails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "spoolread.h"
#include "testutil.h"

#define SEG_A	"spans-1700000000000-41-0.jsonl"
#define SEG_B	"spans-1700000000001-7-0.jsonl"
#define SEG_C	"spans-1700000000001-7-1.jsonl"
#define LINE10	"aaaaaaaaa\n"	/* ten bytes */

struct fx {
	char	dir[64];	/* mkdtemp */
	int	dirfd;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (testutil_mkdtemp(fx->dir, sizeof(fx->dir),
	    "test_spoolread") == NULL ||
	    (fx->dirfd = open(fx->dir, O_RDONLY | O_DIRECTORY)) == -1) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	close(fx->dirfd);
	testutil_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void
put_file(const struct fx *fx, const char *name, const char *text)
{
	int fd = openat(fx->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	size_t len = strlen(text);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void
add_text(const struct fx *fx, const char *name, const char *text)
{
	int fd = openat(fx->dirfd, name, O_WRONLY | O_APPEND);
	size_t len = strlen(text);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* A writer's lock, taken through an open file description of our own. */
static int
writer_lock(const struct fx *fx, const char *name)
{
	int fd = openat(fx->dirfd, name, O_RDONLY);

	assert_true(fd != -1);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	return fd;
}

static void
open_seg(const struct fx *fx, const char *name, struct spoolread_segment *seg)
{
	assert_int_equal(spoolread_open(fx->dirfd, name, seg), 0);
	assert_true(seg->fd != -1);
	assert_string_equal(seg->name, name);
}

static void
test_list_sorted(void **state)
{
	struct fx *fx = *state;
	char **names = NULL;
	size_t n = 99;

	assert_int_equal(spoolread_list(fx->dirfd, SPOOLFMT_KIND_SPANS, &names, &n), 0);
	assert_int_equal(n, 0);
	spoolread_list_free(names, n);

	/* Created newest first, so directory order is not the answer. */
	put_file(fx, SEG_C, "");
	put_file(fx, SEG_B, LINE10);
	put_file(fx, SEG_A, LINE10);
	put_file(fx, ".spans-1600000000000-1-0.jsonl", "");
	put_file(fx, "spans-1600000000000-1-0.json", "");
	put_file(fx, "notes.txt", "");
	put_file(fx, SEG_A ".reason", "");
	assert_int_equal(mkdirat(fx->dirfd, "sent", 0750), 0);
	assert_int_equal(mkdirat(fx->dirfd, "rejected", 0750), 0);
	assert_int_equal(mkdirat(fx->dirfd, ".flusher", 0750), 0);
	put_file(fx, "sent/spans-1500000000000-1-0.jsonl", LINE10);

	assert_int_equal(spoolread_list(fx->dirfd, SPOOLFMT_KIND_SPANS, &names, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], SEG_A);
	assert_string_equal(names[1], SEG_B);
	assert_string_equal(names[2], SEG_C);
	spoolread_list_free(names, n);

	/* A second listing through the same descriptor sees the same. */
	assert_int_equal(spoolread_list(fx->dirfd, SPOOLFMT_KIND_SPANS, &names, &n), 0);
	assert_int_equal(n, 3);
	spoolread_list_free(names, n);
}

/* A directory that happens to have a segment's name is no segment: a
 * reader that took it would fail on every read of it. */
static void
test_list_skips_directory(void **state)
{
	struct fx *fx = *state;
	char **names = NULL, first[NAME_MAX + 1] = "";
	size_t n = 0;

	put_file(fx, SEG_B, LINE10);
	assert_int_equal(mkdirat(fx->dirfd, SEG_A, 0750), 0);
	assert_int_equal(spoolread_list(fx->dirfd, SPOOLFMT_KIND_SPANS, &names, &n), 0);
	if (n > 0)
		snprintf(first, sizeof(first), "%s", names[0]);
	spoolread_list_free(names, n);
	assert_int_equal(n, 1);
	assert_string_equal(first, SEG_B);
}

static void
test_list_bad_dirfd(void **state)
{
	char **names = NULL;
	size_t n = 0;

	(void)state;
	errno = 0;
	assert_int_equal(spoolread_list(-1, SPOOLFMT_KIND_SPANS, &names, &n), -1);
	assert_int_equal(errno, EBADF);
}

static void
test_open_missing(void **state)
{
	struct fx *fx = *state;
	struct spoolread_segment seg;

	errno = 0;
	assert_int_equal(spoolread_open(fx->dirfd, SEG_A, &seg), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(seg.fd, -1);
	spoolread_close(&seg);		/* harmless on a failed open */
}

static void
test_complete_after_writer_unlocks(void **state)
{
	struct fx *fx = *state;
	struct spoolread_segment seg;
	int wfd, third;

	put_file(fx, SEG_A, LINE10);
	wfd = writer_lock(fx, SEG_A);
	open_seg(fx, SEG_A, &seg);
	assert_int_equal(seg.complete, 0);
	assert_int_equal(seg.size, 10);

	add_text(fx, SEG_A, LINE10);
	assert_int_equal(spoolread_refresh(&seg), 0);
	assert_int_equal(seg.complete, 0);
	assert_int_equal(seg.size, 20);

	close(wfd);			/* the writer is done with it */
	assert_int_equal(spoolread_refresh(&seg), 0);
	assert_int_equal(seg.complete, 1);
	assert_int_equal(seg.size, 20);

	/* Now the reader holds the lock: no writer can take it again. */
	third = openat(fx->dirfd, SEG_A, O_RDONLY);
	assert_true(third != -1);
	assert_int_equal(flock(third, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_int_equal(spoolread_refresh(&seg), 0);
	assert_int_equal(seg.complete, 1);

	spoolread_close(&seg);
	assert_int_equal(seg.fd, -1);
	assert_int_equal(seg.complete, 0);
	assert_int_equal(flock(third, LOCK_EX | LOCK_NB), 0);
	close(third);
}

static void
test_complete_at_open(void **state)
{
	struct fx *fx = *state;
	struct spoolread_segment seg;

	put_file(fx, SEG_A, LINE10 LINE10 LINE10);
	open_seg(fx, SEG_A, &seg);
	assert_int_equal(seg.complete, 1);
	assert_int_equal(seg.size, 30);
	spoolread_close(&seg);
}

/* Read into a fresh buffer with the given limit. */
static ssize_t
read_lines(const struct spoolread_segment *seg, off_t off, size_t max, size_t limit,
    struct buf *out)
{
	buf_init(out, limit);
	return spoolread_lines(seg, off, max, out);
}

static void
test_read_whole_lines_only(void **state)
{
	struct fx *fx = *state;
	struct spoolread_segment seg;
	struct buf b;
	int wfd;

	put_file(fx, SEG_A, "l1\nline2\npart");
	wfd = writer_lock(fx, SEG_A);
	open_seg(fx, SEG_A, &seg);
	assert_int_equal(read_lines(&seg, 0, 1000, 4096, &b), 9);
	assert_int_equal(b.len, 9);
	assert_string_equal(b.data, "l1\nline2\n");
	buf_cleanup(&b);

	/* From the partial line on: nothing whole yet. */
	assert_int_equal(read_lines(&seg, 9, 1000, 4096, &b), 0);
	assert_int_equal(b.len, 0);
	buf_cleanup(&b);

	/* The writer finishes the line. */
	add_text(fx, SEG_A, "ial\n");
	assert_int_equal(read_lines(&seg, 9, 1000, 4096, &b), 8);
	assert_string_equal(b.data, "partial\n");
	buf_cleanup(&b);
	spoolread_close(&seg);
	close(wfd);
}

static void
test_read_budget(void **state)
{
	struct fx *fx = *state;
	struct spoolread_segment seg;
	struct buf b;

	put_file(fx, SEG_A, "0-------\n" "1-------\n" "2-------\n"
	    "3-------\n" "4-------\n");	/* five lines of 9 bytes */
	open_seg(fx, SEG_A, &seg);

	assert_int_equal(read_lines(&seg, 0, 25, 4096, &b), 18);
	assert_string_equal(b.data, "0-------\n1-------\n");
	buf_cleanup(&b);
	assert_int_equal(read_lines(&seg, 0, 27, 4096, &b), 27);
	buf_cleanup(&b);
	assert_int_equal(read_lines(&seg, 0, 45, 4096, &b), 45);
	buf_cleanup(&b);
	assert_int_equal(read_lines(&seg, 0, 1 << 20, 4096, &b), 45);
	buf_cleanup(&b);
	/* Less than one line: still the first whole line. */
	assert_int_equal(read_lines(&seg, 0, 4, 4096, &b), 9);
	assert_string_equal(b.data, "0-------\n");
	buf_cleanup(&b);
	assert_int_equal(read_lines(&seg, 0, 0, 4096, &b), 9);
	buf_cleanup(&b);

	/* From the middle of the file, on a line boundary. */
	assert_int_equal(read_lines(&seg, 27, 1000, 4096, &b), 18);
	assert_string_equal(b.data, "3-------\n4-------\n");
	buf_cleanup(&b);
	assert_int_equal(read_lines(&seg, 18, 10, 4096, &b), 9);
	assert_string_equal(b.data, "2-------\n");
	buf_cleanup(&b);
	/* At the end: nothing. */
	assert_int_equal(read_lines(&seg, 45, 1000, 4096, &b), 0);
	buf_cleanup(&b);
	spoolread_close(&seg);
}

static void
test_read_long_line(void **state)
{
	struct fx *fx = *state;
	struct spoolread_segment seg;
	char *text = malloc(600 * 1024 + 16);
	size_t big = 600 * 1024;	/* more than one read chunk */
	struct buf b;

	assert_non_null(text);
	memset(text, 'x', big);
	text[big - 1] = '\n';
	strcpy(text + big, "short\n");
	put_file(fx, SEG_A, text);
	open_seg(fx, SEG_A, &seg);
	assert_int_equal(read_lines(&seg, 0, 100, 1 << 21, &b), (ssize_t)big);
	assert_int_equal(b.len, big);
	assert_memory_equal(b.data, text, big);
	buf_cleanup(&b);
	assert_int_equal(read_lines(&seg, 0, big + 6, 1 << 21, &b),
	    (ssize_t)big + 6);
	buf_cleanup(&b);
	assert_int_equal(read_lines(&seg, (off_t)big, 1, 1 << 21, &b), 6);
	assert_string_equal(b.data, "short\n");
	buf_cleanup(&b);
	spoolread_close(&seg);
	free(text);
}

static void
test_read_empty(void **state)
{
	struct fx *fx = *state;
	struct spoolread_segment seg;
	struct buf b;

	put_file(fx, SEG_A, "");
	open_seg(fx, SEG_A, &seg);
	assert_int_equal(seg.size, 0);
	assert_int_equal(read_lines(&seg, 0, 1000, 4096, &b), 0);
	assert_int_equal(b.len, 0);
	buf_cleanup(&b);
	spoolread_close(&seg);
}

/* Lines go after what the buffer already holds; its content is kept. */
static void
test_read_appends(void **state)
{
	struct fx *fx = *state;
	struct spoolread_segment seg;
	struct buf b;

	put_file(fx, SEG_A, "one\ntwo\ntail");
	open_seg(fx, SEG_A, &seg);
	buf_init(&b, 4096);
	assert_int_equal(buf_append(&b, "kept|", 5), 0);
	assert_int_equal(spoolread_lines(&seg, 0, 1000, &b), 8);
	assert_int_equal(b.len, 13);
	assert_string_equal(b.data, "kept|one\ntwo\n");
	buf_cleanup(&b);
	spoolread_close(&seg);
}

/* The buffer never grows past its limit, and whole lines that fit are
 * still returned. */
static void
test_read_buffer_limit(void **state)
{
	struct fx *fx = *state;
	struct spoolread_segment seg;
	struct buf b;
	ssize_t r;
	size_t len;

	put_file(fx, SEG_A, LINE10 LINE10 LINE10 LINE10 LINE10);
	open_seg(fx, SEG_A, &seg);
	r = read_lines(&seg, 0, 1000, 25, &b);
	len = b.len;
	buf_cleanup(&b);
	spoolread_close(&seg);
	assert_true(len <= 25);
	assert_int_equal(r, 20);
	assert_int_equal(len, 20);
}

static void
test_read_bad_fd(void **state)
{
	struct spoolread_segment seg = { .fd = -1 };
	struct buf b;

	(void)state;
	errno = 0;
	assert_int_equal(read_lines(&seg, 0, 1000, 4096, &b), -1);
	assert_int_equal(errno, EBADF);
	buf_cleanup(&b);
}

static void
test_torn_tail(void **state)
{
	struct fx *fx = *state;
	struct spoolread_segment seg;
	int wfd;

	put_file(fx, SEG_A, "one\ntwo\n");
	put_file(fx, SEG_B, "one\ntwo\nhalf a li");
	put_file(fx, SEG_C, "one\ntwo\nhalf a li");

	open_seg(fx, SEG_A, &seg);	/* ends in '\n' */
	assert_int_equal(spoolread_torn_tail(&seg, 0), 0);
	assert_int_equal(spoolread_torn_tail(&seg, 4), 0);
	assert_int_equal(spoolread_torn_tail(&seg, 8), 0);
	spoolread_close(&seg);

	open_seg(fx, SEG_B, &seg);	/* complete, with a tail */
	assert_int_equal(seg.complete, 1);
	assert_int_equal(spoolread_torn_tail(&seg, 8), 1);
	assert_int_equal(spoolread_torn_tail(&seg, 12), 1);
	assert_int_equal(spoolread_torn_tail(&seg, 4), 0);	/* "two\n" first */
	assert_int_equal(spoolread_torn_tail(&seg, seg.size), 0);
	spoolread_close(&seg);

	wfd = writer_lock(fx, SEG_C);	/* still being written */
	open_seg(fx, SEG_C, &seg);
	assert_int_equal(seg.complete, 0);
	assert_int_equal(spoolread_torn_tail(&seg, 8), 0);
	close(wfd);
	assert_int_equal(spoolread_refresh(&seg), 0);
	assert_int_equal(spoolread_torn_tail(&seg, 8), 1);
	spoolread_close(&seg);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_list_sorted),
		T(test_list_skips_directory),
		cmocka_unit_test(test_list_bad_dirfd),
		T(test_open_missing),
		T(test_complete_after_writer_unlocks),
		T(test_complete_at_open),
		T(test_read_whole_lines_only),
		T(test_read_budget),
		T(test_read_long_line),
		T(test_read_empty),
		T(test_read_appends),
		T(test_read_buffer_limit),
		cmocka_unit_test(test_read_bad_fd),
		T(test_torn_tail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
