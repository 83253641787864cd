/* test_ckpt.c - the flusher's shipped offsets: load, edit, durable save,
 * damaged records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsynccount.h"
#include "ckpt.h"
#include "spoolfmt.h"
#include "testutil.h"

#define SEG_A	"spans-1700000000000-41-0.jsonl"
#define SEG_B	"spans-1700000000001-7-0.jsonl"
#define SEG_C	"spans-1700000000002-7-1.jsonl"
#define PATH_LEN	256

struct fx {
	char	top[64];		/* mkdtemp */
	char	dir[96];		/* top/state, made by ckpt_load */
	char	file[128];		/* dir/offsets */
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (testutil_mkdtemp(fx->top, sizeof(fx->top), "test_ckpt") == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->dir, sizeof(fx->dir), "%s/state", fx->top);
	snprintf(fx->file, sizeof(fx->file), "%s/" SPOOLFMT_OFFSETS_FILE,
	    fx->dir);
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

static void
load_ok(const struct fx *fx, struct ckpt *c)
{
	char err[256] = "";

	if (ckpt_load(c, fx->dir, err, sizeof(err)) == -1)
		fail_msg("ckpt_load: %s", err);
}

static void
write_record(const struct fx *fx, const char *text)
{
	FILE *fp;

	if (mkdir(fx->dir, 0750) == -1)
		assert_int_equal(errno, EEXIST);
	assert_non_null(fp = fopen(fx->file, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static char *
read_record(const struct fx *fx)
{
	static char text[4096];
	FILE *fp = fopen(fx->file, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	return text;
}

static const char *
damaged_path(const struct fx *fx)
{
	static char p[PATH_LEN];

	snprintf(p, sizeof(p), "%s/" SPOOLFMT_OFFSETS_FILE ".damaged", fx->dir);
	return p;
}

static char *
read_damaged(const struct fx *fx)
{
	static char text[4096];
	FILE *fp = fopen(damaged_path(fx), "r");
	size_t n;

	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	return text;
}

/* Entries in dir, "." and ".." aside. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
test_load_creates_dir(void **state)
{
	struct fx *fx = *state;
	struct ckpt c;
	struct stat st;

	assert_int_equal(stat(fx->dir, &st), -1);
	load_ok(fx, &c);
	assert_int_equal(stat(fx->dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(c.n, 0);
	assert_int_equal(c.dirty, 0);
	assert_int_equal(ckpt_get(&c, SEG_A), 0);
	/* Nothing changed: nothing written. */
	assert_int_equal(ckpt_save(&c), 0);
	assert_int_equal(stat(fx->file, &st), -1);
	ckpt_cleanup(&c);
	assert_int_equal(c.dirfd, -1);
}

static void
test_load_parent_missing(void **state)
{
	struct fx *fx = *state;
	char dir[PATH_LEN], err[256] = "";
	struct ckpt c;

	snprintf(dir, sizeof(dir), "%s/no/such", fx->top);
	assert_int_equal(ckpt_load(&c, dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, dir));
	assert_non_null(strstr(err, strerror(ENOENT)));
	ckpt_cleanup(&c);
}

static void
test_set_get_remove(void **state)
{
	struct fx *fx = *state;
	struct ckpt c;
	char name[64];

	load_ok(fx, &c);
	ckpt_set(&c, SEG_A, 100);
	assert_int_equal(c.dirty, 1);
	ckpt_set(&c, SEG_B, 200);
	assert_int_equal(ckpt_get(&c, SEG_A), 100);
	assert_int_equal(ckpt_get(&c, SEG_B), 200);
	assert_int_equal(ckpt_get(&c, SEG_C), 0);
	ckpt_set(&c, SEG_A, 150);
	assert_int_equal(ckpt_get(&c, SEG_A), 150);
	assert_int_equal(c.n, 2);

	ckpt_remove(&c, SEG_A);
	assert_int_equal(ckpt_get(&c, SEG_A), 0);
	assert_int_equal(ckpt_get(&c, SEG_B), 200);
	assert_int_equal(c.n, 1);
	ckpt_remove(&c, SEG_C);		/* not there: nothing happens */
	assert_int_equal(c.n, 1);

	/* Past the first allocation. */
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "spans-%d-1-0.jsonl", i);
		ckpt_set(&c, name, i + 1);
	}
	assert_int_equal(c.n, 101);
	assert_int_equal(ckpt_get(&c, "spans-77-1-0.jsonl"), 78);
	assert_int_equal(ckpt_get(&c, SEG_B), 200);
	ckpt_cleanup(&c);
}

static void
test_set_same_not_dirty(void **state)
{
	struct fx *fx = *state;
	struct ckpt c;

	load_ok(fx, &c);
	ckpt_set(&c, SEG_A, 10);
	assert_int_equal(ckpt_save(&c), 0);
	assert_int_equal(c.dirty, 0);
	ckpt_set(&c, SEG_A, 10);
	assert_int_equal(c.dirty, 0);
	ckpt_set(&c, SEG_A, 11);
	assert_int_equal(c.dirty, 1);
	ckpt_cleanup(&c);
}

static void
test_save_load_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct ckpt c, d;

	load_ok(fx, &c);
	ckpt_set(&c, SEG_A, 0);
	ckpt_set(&c, SEG_B, 4096);
	ckpt_set(&c, SEG_C, (off_t)1 << 40);
	ckpt_set(&c, "spans-x.jsonl", 1);
	ckpt_remove(&c, "spans-x.jsonl");
	assert_int_equal(ckpt_save(&c), 0);
	assert_int_equal(c.dirty, 0);
	ckpt_cleanup(&c);

	load_ok(fx, &d);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.dirty, 0);
	assert_int_equal(ckpt_get(&d, SEG_A), 0);
	assert_int_equal(ckpt_get(&d, SEG_B), 4096);
	assert_int_equal(ckpt_get(&d, SEG_C), (off_t)1 << 40);
	assert_int_equal(ckpt_get(&d, "spans-x.jsonl"), 0);
	ckpt_cleanup(&d);
}

static void
test_save_atomic(void **state)
{
	struct fx *fx = *state;
	char tmp[PATH_LEN];
	struct stat before, after;
	struct ckpt c;

	write_record(fx, SEG_A " 5\n");
	assert_int_equal(stat(fx->file, &before), 0);
	load_ok(fx, &c);
	assert_int_equal(ckpt_get(&c, SEG_A), 5);
	ckpt_set(&c, SEG_A, 77);
	assert_int_equal(ckpt_save(&c), 0);
	ckpt_cleanup(&c);

	/* Replaced by rename: a new file in the old one's place. */
	assert_int_equal(stat(fx->file, &after), 0);
	assert_true(after.st_ino != before.st_ino);
	assert_string_equal(read_record(fx), SEG_A " 77\n");
	/* The temp file is this process's own, and gone after. */
	snprintf(tmp, sizeof(tmp), "%s/.offsets.%ld.tmp", fx->dir,
	    (long)getpid());
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_entries(fx->dir), 1);
}

static void
test_save_empty_record(void **state)
{
	struct fx *fx = *state;
	struct ckpt c;

	write_record(fx, SEG_A " 5\n");
	load_ok(fx, &c);
	ckpt_remove(&c, SEG_A);
	assert_int_equal(ckpt_save(&c), 0);
	ckpt_cleanup(&c);
	assert_string_equal(read_record(fx), "");
	load_ok(fx, &c);
	assert_int_equal(c.n, 0);
	ckpt_cleanup(&c);
}

static void
test_load_empty_file(void **state)
{
	struct fx *fx = *state;
	struct ckpt c;

	write_record(fx, "");
	load_ok(fx, &c);
	assert_int_equal(c.n, 0);
	assert_int_equal(ckpt_get(&c, SEG_A), 0);
	ckpt_set(&c, SEG_A, 3);
	assert_int_equal(ckpt_save(&c), 0);
	ckpt_cleanup(&c);
	assert_string_equal(read_record(fx), SEG_A " 3\n");
}

static void
test_load_damaged(void **state)
{
	static const char *bad[] = {
		"garbage\n",
		SEG_A " 10\nno offset here\n",
		SEG_A "\n",
		"notasegment 10\n",
		".spans-1-2-3.jsonl 10\n",
		"spans-1-2-3.json 10\n",
		SEG_A " -1\n",
		SEG_A " ten\n",
		SEG_A " 10x\n",
		SEG_A " \n",
		SEG_A "  10\n",
		SEG_A " 99999999999999999999999\n",
	};
	struct fx *fx = *state;
	char err[256];
	struct ckpt c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_record(fx, bad[i]);
		err[0] = '\0';
		/* Loaded as empty (shipping starts over), never a failure
		 * that a restart would meet again. */
		if (ckpt_load(&c, fx->dir, err, sizeof(err)) != 0)
			fail_msg("record \"%s\" stops the flusher: %s", bad[i],
			    err);
		assert_int_equal(c.n, 0);
		assert_int_equal(ckpt_get(&c, SEG_A), 0);
		if (strstr(err, SPOOLFMT_OFFSETS_FILE) == NULL ||
		    strstr(err, "damaged") == NULL)
			fail_msg("record \"%s\": unclear reason \"%s\"", bad[i],
			    err);
		/* Kept for a person, out of the way. */
		assert_int_equal(access(fx->file, F_OK), -1);
		assert_string_equal(read_damaged(fx), bad[i]);
		ckpt_set(&c, SEG_A, 9);
		assert_int_equal(ckpt_save(&c), 0);
		assert_string_equal(read_record(fx), SEG_A " 9\n");
		ckpt_cleanup(&c);
		unlink(damaged_path(fx));
	}
}

static void
test_load_unreadable(void **state)
{
	struct fx *fx = *state;
	char err[256] = "", keep[PATH_LEN + 8];
	struct ckpt c;

	/* offsets as a directory: it opens but cannot be read. */
	assert_int_equal(mkdir(fx->dir, 0750), 0);
	assert_int_equal(mkdir(fx->file, 0750), 0);
	assert_int_equal(ckpt_load(&c, fx->dir, err, sizeof(err)), 0);
	assert_non_null(strstr(err, SPOOLFMT_OFFSETS_FILE));
	assert_int_equal(c.n, 0);
	assert_int_equal(access(damaged_path(fx), F_OK), 0);
	ckpt_cleanup(&c);
	/* A record that cannot even be moved aside does stop it. */
	assert_int_equal(rmdir(damaged_path(fx)), 0);
	assert_int_equal(mkdir(damaged_path(fx), 0750), 0);
	snprintf(keep, sizeof(keep), "%s/keep", damaged_path(fx));
	assert_int_equal(close(open(keep, O_WRONLY | O_CREAT, 0640)), 0);
	write_record(fx, "x");
	assert_int_equal(ckpt_load(&c, fx->dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot move it aside"));
	ckpt_cleanup(&c);
}

static void
test_save_not_dirty_keeps_file(void **state)
{
	struct fx *fx = *state;
	struct stat a, b;
	struct ckpt c;

	load_ok(fx, &c);
	ckpt_set(&c, SEG_B, 42);
	assert_int_equal(ckpt_save(&c), 0);
	assert_int_equal(stat(fx->file, &a), 0);
	usleep(20 * 1000);		/* a rewrite would show in mtime */
	assert_int_equal(ckpt_save(&c), 0);
	ckpt_set(&c, SEG_B, 42);	/* the same value: still clean */
	assert_int_equal(ckpt_save(&c), 0);
	assert_int_equal(stat(fx->file, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	ckpt_cleanup(&c);

	/* Nor does a freshly loaded record. */
	load_ok(fx, &c);
	assert_int_equal(ckpt_save(&c), 0);
	ckpt_cleanup(&c);
	assert_int_equal(stat(fx->file, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
}

/* A record of another name (the feedback shipper's) lives beside the
 * spans' and never touches it; a damaged one is moved aside under its own
 * name; a name with a '/' is refused. */
static void
test_named_record(void **state)
{
	struct fx *fx = *state;
	const char *seg = "feedback-1700000000000-1-00000000-0.jsonl";
	struct ckpt a, b;
	char err[256] = "", p[200];
	struct stat st;
	FILE *fp;

	load_ok(fx, &a);
	ckpt_set(&a, "spans-1700000000000-1-00000000-0.jsonl", 5);
	assert_int_equal(ckpt_save(&a), 0);
	assert_int_equal(ckpt_load_file(&b, fx->dir,
	    SPOOLFMT_FEEDBACK_OFFSETS_FILE, err, sizeof(err)), 0);
	assert_int_equal(b.n, 0);
	ckpt_set(&b, seg, 42);
	assert_int_equal(ckpt_save(&b), 0);
	ckpt_cleanup(&b);
	ckpt_cleanup(&a);
	assert_int_equal(ckpt_load_file(&b, fx->dir,
	    SPOOLFMT_FEEDBACK_OFFSETS_FILE, err, sizeof(err)), 0);
	assert_int_equal(ckpt_get(&b, seg), 42);
	ckpt_cleanup(&b);
	load_ok(fx, &a);
	assert_int_equal(a.n, 1);
	assert_int_equal(ckpt_get(&a, seg), 0);
	ckpt_cleanup(&a);
	snprintf(p, sizeof(p), "%s/" SPOOLFMT_FEEDBACK_OFFSETS_FILE, fx->dir);
	assert_non_null(fp = fopen(p, "w"));
	fputs("garbage\n", fp);
	fclose(fp);
	assert_int_equal(ckpt_load_file(&b, fx->dir,
	    SPOOLFMT_FEEDBACK_OFFSETS_FILE, err, sizeof(err)), 0);
	assert_int_equal(b.n, 0);
	ckpt_cleanup(&b);
	snprintf(p, sizeof(p), "%s/" SPOOLFMT_FEEDBACK_OFFSETS_FILE ".damaged",
	    fx->dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(stat(fx->file, &st), 0);
	assert_int_equal(ckpt_load_file(&b, fx->dir, "a/b", err, sizeof(err)),
	    -1);
}

/* ckpt_write puts the record on disk without fsync; the next ckpt_save
 * fsyncs it even though nothing changed since; then nothing is left to
 * do. */
static void
test_write_then_save(void **state)
{
	struct fx *fx = *state;
	struct ckpt c, d;

	load_ok(fx, &c);
	ckpt_set(&c, SEG_A, 100);
	fsynccount_calls = 0;
	assert_int_equal(ckpt_write(&c), 0);
	assert_int_equal(fsynccount_calls, 0);
	assert_int_equal(c.dirty, 0);
	assert_int_equal(c.unsynced, 1);
	load_ok(fx, &d);
	assert_int_equal(ckpt_get(&d, SEG_A), 100);
	ckpt_cleanup(&d);
	/* Unchanged: ckpt_write has nothing to do. */
	assert_int_equal(ckpt_write(&c), 0);
	assert_int_equal(fsynccount_calls, 0);
	assert_int_equal(ckpt_save(&c), 0);
	assert_int_equal(fsynccount_calls, 2);		/* the file and its directory */
	assert_int_equal(c.unsynced, 0);
	assert_int_equal(ckpt_save(&c), 0);
	assert_int_equal(fsynccount_calls, 2);
	assert_string_equal(read_record(fx), SEG_A " 100\n");
	ckpt_cleanup(&c);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_load_creates_dir),
		T(test_named_record),
		T(test_load_parent_missing),
		T(test_set_get_remove),
		T(test_set_same_not_dirty),
		T(test_save_load_roundtrip),
		T(test_save_atomic),
		T(test_save_empty_record),
		T(test_load_empty_file),
		T(test_load_damaged),
		T(test_load_unreadable),
		T(test_save_not_dirty_keeps_file),
		T(test_write_then_save),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
