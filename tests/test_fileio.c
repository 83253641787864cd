/* test_fileio.c - writing whole buffers: regular files, a full pipe whose
 * writes signals interrupt or cut short, a file size limit that stops a
 * write half way, bad descriptors and empty writes. */
#define _GNU_SOURCE	/* F_SETPIPE_SZ */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "testutil.h"

#define BIG		(4 * 1024 * 1024)	/* many pipe buffers */
#define READ_CHUNK	4096
#define FSIZE_LIMIT	4096
#define READER_DELAY_US	20000	/* the writer meets a full pipe first */

struct fx {
	char	dir[64];	/* mkdtemp */
	char	path[128];	/* dir/out */
	char	*data;		/* BIG bytes of a pattern */
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || (fx->data = malloc(BIG)) == NULL ||
	    testutil_mkdtemp(fx->dir, sizeof(fx->dir), "test_fileio") == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/out", fx->dir);
	for (size_t i = 0; i < BIG; i++)
		fx->data[i] = (char)(i * 7 + i / 251);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	testutil_rmtree(fx->dir);
	free(fx->data);
	free(fx);
	return 0;
}

/* The whole file at path; *len gets its size. Caller frees. */
static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *text;
	int fd;

	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_int_equal(fstat(fd, &st), 0);
	assert_non_null(text = malloc((size_t)st.st_size + 1));
	assert_int_equal(read(fd, text, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return text;
}

static void
test_regular_file(void **state)
{
	struct fx *fx = *state;
	size_t len;
	char *text;
	int fd;

	assert_true((fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	assert_int_equal(fileio_write_all(fd, "head:", 5), 0);
	assert_int_equal(fileio_write_all(fd, fx->data, BIG), 0);
	close(fd);
	text = slurp(fx->path, &len);
	assert_int_equal(len, 5 + BIG);
	assert_memory_equal(text, "head:", 5);
	assert_memory_equal(text + 5, fx->data, BIG);
	free(text);
}

/* ---- a pipe drained slowly while a timer interrupts the writer ---- */

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

struct drain {
	int	 fd;
	char	*got;
	size_t	 len;
};

static void *
drain_pipe(void *arg)
{
	struct drain *d = arg;
	ssize_t r;

	usleep(READER_DELAY_US);
	while ((r = read(d->fd, d->got + d->len, READ_CHUNK)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || d->len + (size_t)r > BIG)
			break;
		d->len += (size_t)r;
		usleep(50);	/* keep the pipe full: writes block */
	}
	return NULL;
}

/* SIGALRM without SA_RESTART, every millisecond, only to this thread. */
static void
start_alarms(void)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	alarms = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void
stop_alarms(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	signal(SIGALRM, SIG_DFL);
}

/* Fill the pipe without blocking; returns how many bytes of data went. */
static size_t
fill_pipe(int fd, const char *data)
{
	size_t k = 0;
	ssize_t w;

	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	while ((w = write(fd, data + k, BIG - k)) > 0)
		k += (size_t)w;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(fcntl(fd, F_SETFL, 0), 0);
	return k;
}

/* The first write(2) waits on a full pipe and a signal interrupts it
 * (EINTR); later ones are cut short by signals after part of the data. */
static void
test_pipe_interrupted(void **state)
{
	struct fx *fx = *state;
	struct drain d = { -1, NULL, 0 };
	sigset_t alrm, old;
	pthread_t th;
	size_t k;
	int p[2];

	assert_int_equal(pipe(p), 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, READ_CHUNK);	/* smallest size */
	k = fill_pipe(p[1], fx->data);
	assert_true(k > 0 && k < BIG);
	assert_non_null(d.got = malloc(BIG));
	d.fd = p[0];
	/* The reader inherits a mask that keeps the alarms for the writer. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &alrm, &old), 0);
	assert_int_equal(pthread_create(&th, NULL, drain_pipe, &d), 0);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	start_alarms();
	assert_int_equal(fileio_write_all(p[1], fx->data + k, BIG - k), 0);
	stop_alarms();
	close(p[1]);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(p[0]);
	/* The write was cut short or interrupted, and still all arrived. */
	assert_true(alarms > 0);
	assert_int_equal(d.len, BIG);
	assert_memory_equal(d.got, fx->data, BIG);
	free(d.got);
}

/* A file size limit makes write(2) take only part of the buffer; the next
 * attempt fails with EFBIG, which must be the answer. */
static void
test_partial_then_error(void **state)
{
	struct fx *fx = *state;
	struct rlimit old, lim;
	size_t len;
	char *text;
	int fd, rc, err;

	assert_true((fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = FSIZE_LIMIT;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = fileio_write_all(fd, fx->data, 3 * FSIZE_LIMIT);
	err = errno;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	close(fd);
	assert_int_equal(rc, -1);
	assert_int_equal(err, EFBIG);
	text = slurp(fx->path, &len);
	assert_int_equal(len, FSIZE_LIMIT);
	assert_memory_equal(text, fx->data, FSIZE_LIMIT);
	free(text);
}

static void
test_bad_descriptors(void **state)
{
	int fd, p[2];

	(void)state;
	errno = 0;
	assert_int_equal(fileio_write_all(-1, "x", 1), -1);
	assert_int_equal(errno, EBADF);
	/* Open, but not for writing. */
	assert_true((fd = open("/dev/null", O_RDONLY)) != -1);
	errno = 0;
	assert_int_equal(fileio_write_all(fd, "x", 1), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
	/* Nobody reads any more. */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	assert_int_equal(fileio_write_all(p[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

/* Nothing to write: success without a system call, whatever fd is. */
static void
test_zero_bytes(void **state)
{
	struct fx *fx = *state;
	struct stat st;
	int fd;

	assert_int_equal(fileio_write_all(-1, "x", 0), 0);
	assert_int_equal(fileio_write_all(-1, NULL, 0), 0);
	assert_true((fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	assert_int_equal(fileio_write_all(fd, fx->data, 0), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	close(fd);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_regular_file),
		T(test_pipe_interrupted),
		T(test_partial_then_error),
		cmocka_unit_test(test_bad_descriptors),
		T(test_zero_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
