/* test_pool.c - the pre-forked worker pool end to end: a forked child runs
 * pool_run on a temp socket and tests/fcgi_client.c drives it (echo, both
 * workers serving, concurrency cap, respawn, SIGTERM drain and stop
 * timeout, start-up failures, TCP, one worker stopped on its own). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fcgi_client.h"
#include "log.h"
#include "pool.h"
#include "testutil.h"

#define POOL_WORKERS	2
#define POOL_THREADS	4
#define MAX_JOBS	16
#define MAX_PIDS	16
#define ADDR_LEN	160
#define REPLY_LIMIT	(512 * 1024)
#define BODY_LIMIT	(512 * 1024)
#define CLIENT_TIMEOUT_MS 5000
#define IO_TIMEOUT_S	1	/* the pool's FastCGI read timeout here */
#define INIT_FAIL_ENV	"POOLTEST_INIT_FAIL"
#define REPLY_HEAD	"Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n"

struct fx {
	char	 dir[64];	/* mkdtemp */
	char	 addr[ADDR_LEN];/* what the pool listens on */
	pid_t	 master;	/* child in pool_run, until reaped */
	pid_t	 pgid;		/* its process group, shared with the workers */
	int	 stop_timeout_s;
};

/* One client request, run on its own thread. */
struct job {
	const char	*addr;
	char		 body[32];
	char		 sleep_ms[16];
	int		 note;	/* ask the handler to mark its start */
	char		 barrier[16];	/* starts to wait for, in the handler */
	struct buf	 out;
	int		 rc;
	int		 err;	/* errno when rc is -1 */
	pthread_t	 tid;
};

/* Where the hooks leave their marks; set before the pool is forked. */
static char hook_dir[64];

/* ---- hooks, run in the workers ---- */

static void
mark(const char *name, const char *text)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", hook_dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)) == -1)
		return;
	if (write(fd, text, strlen(text)) == -1)
		log_warn("%s: write", __func__);
	close(fd);
}

static void
mark_pid(const char *name)
{
	char line[32];

	snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	mark(name, line);
}

static int
hook_worker_init(void *arg)
{
	(void)arg;
	mark_pid("workers");
	return getenv(INIT_FAIL_ENV) != NULL ? -1 : 0;
}

static void
hook_worker_cleanup(void *arg)
{
	(void)arg;
	mark_pid("cleaned");
}

static void *
hook_thread_init(void *arg)
{
	(void)arg;
	return calloc(1, sizeof(int));
}

static void
hook_thread_cleanup(void *tctx)
{
	free(tctx);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The 's' marks in hook_dir/events: how many noted requests started. */
static long
events_started(void)
{
	char path[128];
	long n = 0;
	FILE *f;
	int c;

	snprintf(path, sizeof(path), "%s/events", hook_dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == 's';
	fclose(f);
	return n;
}

/* Wait, up to 4 s (under the client's timeout), until n noted requests
 * have started: they run at the same time. 0, or -1 on time-out. */
static int
barrier_wait(long n)
{
	for (int i = 0; i < 800; i++, sleep_ms(5))
		if (events_started() >= n)
			return 0;
	return -1;
}

static void
hook_handle(FCGX_Request *req, void *tctx)
{
	const char *s, *note = FCGX_GetParam("NOTE", req->envp);
	struct buf body;
	char chunk[4096];
	int n;

	if (note != NULL) {
		mark("started", "x");
		mark("events", "s");
	}
	if ((s = FCGX_GetParam("BARRIER", req->envp)) != NULL &&
	    barrier_wait(atol(s)) == -1) {
		FCGX_PutS("Status: 504 Barrier not met\r\n\r\n", req->out);
		return;
	}
	if ((s = FCGX_GetParam("SLEEP_MS", req->envp)) != NULL)
		sleep_ms(atol(s));
	if (FCGX_GetParam("CRASH", req->envp) != NULL)
		abort();
	buf_init(&body, BODY_LIMIT);
	while ((n = FCGX_GetStr(chunk, sizeof(chunk), req->in)) > 0)
		if (buf_append(&body, chunk, (size_t)n) == -1)
			break;
	if (tctx == NULL) {
		FCGX_PutS("Status: 500 No thread context\r\n\r\n", req->out);
	} else {
		FCGX_PutS(REPLY_HEAD, req->out);
		FCGX_FPrintF(req->out, "pid=%ld body=", (long)getpid());
		FCGX_PutStr(body.data != NULL ? body.data : "", (int)body.len,
		    req->out);
	}
	buf_cleanup(&body);
	if (note != NULL)
		mark("events", "e");
}

static const struct pool_hooks hooks = {
	.worker_init = hook_worker_init,
	.worker_cleanup = hook_worker_cleanup,
	.thread_init = hook_thread_init,
	.thread_cleanup = hook_thread_cleanup,
	.handle = hook_handle,
};

/* ---- fixture and process control ---- */

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (testutil_mkdtemp(fx->dir, sizeof(fx->dir), "test_pool") == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->addr, sizeof(fx->addr), "%s/pool.sock", fx->dir);
	strcpy(hook_dir, fx->dir);
	fx->master = fx->pgid = -1;
	fx->stop_timeout_s = 5;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	/* Whatever is left of the pool: master and workers share a group. */
	if (fx->pgid > 0)
		kill(-fx->pgid, SIGKILL);
	if (fx->master > 0)
		waitpid(fx->master, NULL, 0);
	testutil_rmtree(fx->dir);
	free(fx);
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fork the master; it runs pool_run in a process group of its own. */
static void
fork_pool(struct fx *fx)
{
	struct pool_config cfg = { .listen = fx->addr, .workers = POOL_WORKERS,
	    .threads = POOL_THREADS, .backlog = 64,
	    .stop_timeout_s = fx->stop_timeout_s, .io_timeout_s = IO_TIMEOUT_S };
	pid_t pid = fork();

	assert_true(pid != -1);
	if (pid == 0) {
		setpgid(0, 0);
		log_init("test_pool", LOG_LVL_WARN);
		_exit(pool_run(&cfg, &hooks));
	}
	setpgid(pid, pid);
	fx->master = fx->pgid = pid;
}

/* Wait up to ms for the master to exit; returns its wait status, or -1. */
static int
wait_master(struct fx *fx, int ms)
{
	double end = now_s() + ms / 1000.0;
	int status;
	pid_t r;

	do {
		if ((r = waitpid(fx->master, &status, WNOHANG)) == fx->master) {
			fx->master = -1;
			return status;
		}
		assert_int_equal(r, 0);
		sleep_ms(10);
	} while (now_s() < end);
	return -1;
}

static void
start_pool(struct fx *fx)
{
	double end;
	int fd;

	fork_pool(fx);
	for (end = now_s() + 5; now_s() < end; sleep_ms(20)) {
		if ((fd = fcgi_client_connect(fx->addr, 1000)) != -1) {
			close(fd);
			return;
		}
		if (wait_master(fx, 0) != -1)
			fail_msg("the pool exited before listening");
	}
	fail_msg("%s never accepted a connection", fx->addr);
}

/* The pids in hook_dir/name, one per line; returns how many. */
static int
read_pids(const char *name, pid_t pids[MAX_PIDS])
{
	char path[128];
	FILE *f;
	long v;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", hook_dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (n < MAX_PIDS && fscanf(f, "%ld", &v) == 1)
		pids[n++] = (pid_t)v;
	fclose(f);
	return n;
}

static int
wait_pids(const char *name, int want, pid_t pids[MAX_PIDS], int ms)
{
	double end = now_s() + ms / 1000.0;
	int n;

	while ((n = read_pids(name, pids)) < want && now_s() < end)
		sleep_ms(10);
	return n;
}

static int
file_size(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", hook_dir, name);
	return stat(path, &st) == 0 ? (int)st.st_size : 0;
}

static int
is_gone(pid_t pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH;
}

static int
has_pid(const pid_t *pids, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

/* ---- requests ---- */

static void *
job_main(void *p)
{
	struct job *j = p;
	struct fcgi_client_param params[4] = { { "REQUEST_METHOD", "POST" } };
	size_t n = 1;

	if (j->sleep_ms[0] != '\0')
		params[n++] = (struct fcgi_client_param){ "SLEEP_MS", j->sleep_ms };
	if (j->note)
		params[n++] = (struct fcgi_client_param){ "NOTE", "1" };
	if (j->barrier[0] != '\0')
		params[n++] = (struct fcgi_client_param){ "BARRIER", j->barrier };

	j->rc = fcgi_client_request(j->addr, params, n, j->body,
	    strlen(j->body), &j->out, CLIENT_TIMEOUT_MS);
	j->err = errno;
	return NULL;
}

/* Run n requests at once, each sleeping ms in the handler; with a barrier
 * b > 0 each first waits until b have started, and marks its start and
 * end in hook_dir/events. */
static void
run_jobs(const char *addr, struct job *jobs, int n, int ms, int b)
{
	assert_true(n <= MAX_JOBS);
	for (int i = 0; i < n; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].addr = addr;
		jobs[i].note = b > 0;
		if (b > 0)
			snprintf(jobs[i].barrier, sizeof(jobs[i].barrier),
			    "%d", b);
		snprintf(jobs[i].body, sizeof(jobs[i].body), "job-%d", i);
		snprintf(jobs[i].sleep_ms, sizeof(jobs[i].sleep_ms), "%d", ms);
		buf_init(&jobs[i].out, REPLY_LIMIT);
		assert_int_equal(pthread_create(&jobs[i].tid, NULL, job_main,
		    &jobs[i]), 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(jobs[i].tid, NULL);
}

/* What the noted requests did, in order: 's' a start, 'e' an end. */
static void
read_events(char *out, size_t size)
{
	char path[128];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events", hook_dir);
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(out, 1, size - 1, f);
		fclose(f);
	}
	out[n] = '\0';
	unlink(path);
}

static void
free_jobs(struct job *jobs, int n)
{
	for (int i = 0; i < n; i++)
		buf_cleanup(&jobs[i].out);
}

/* Check a reply is the handler's echo of body; returns the worker pid. */
static pid_t
reply_pid(const struct buf *out, const char *body)
{
	const char *p = out->data != NULL ? out->data : "";
	char *end;
	long pid;

	if (strncmp(p, REPLY_HEAD "pid=", strlen(REPLY_HEAD "pid=")) != 0)
		fail_msg("unexpected reply '%s'", p);
	pid = strtol(p + strlen(REPLY_HEAD "pid="), &end, 10);
	assert_true(pid > 1);
	assert_true(strncmp(end, " body=", 6) == 0);
	assert_string_equal(end + 6, body);
	return (pid_t)pid;
}

/* The distinct worker pids that answered jobs, all of which succeeded. */
static int
job_pids(struct job *jobs, int n, pid_t pids[MAX_PIDS], int have)
{
	pid_t pid;

	for (int i = 0; i < n; i++) {
		assert_int_equal(jobs[i].rc, 0);
		pid = reply_pid(&jobs[i].out, jobs[i].body);
		if (!has_pid(pids, have, pid) && have < MAX_PIDS)
			pids[have++] = pid;
	}
	return have;
}

static pid_t
echo(const char *addr, const char *body)
{
	struct fcgi_client_param p = { "REQUEST_METHOD", "POST" };
	struct buf out;
	pid_t pid;

	buf_init(&out, REPLY_LIMIT);
	if (fcgi_client_request(addr, &p, 1, body, strlen(body), &out,
	    CLIENT_TIMEOUT_MS) == -1)
		fail_msg("request to %s: %s", addr, strerror(errno));
	pid = reply_pid(&out, body);
	buf_cleanup(&out);
	return pid;
}

static int
count_pid(struct job *jobs, int n, pid_t pid)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += reply_pid(&jobs[i].out, jobs[i].body) == pid;
	return c;
}

/* ---- tests ---- */

static void
test_echo(void **state)
{
	struct fx *fx = *state;
	pid_t workers[MAX_PIDS], pid;
	char *big = malloc(200001);

	start_pool(fx);
	pid = echo(fx->addr, "hello pool");
	assert_int_equal(wait_pids("workers", 2, workers, 2000), 2);
	assert_true(has_pid(workers, 2, pid));
	assert_int_not_equal(pid, fx->master);
	/* A body over several STDIN records comes back whole. */
	assert_non_null(big);
	for (int i = 0; i < 200000; i++)
		big[i] = (char)('a' + i % 26);
	big[200000] = '\0';
	assert_true(has_pid(workers, 2, echo(fx->addr, big)));
	free(big);
}

static void
test_both_workers(void **state)
{
	struct fx *fx = *state;
	pid_t workers[MAX_PIDS], seen[MAX_PIDS];
	struct job jobs[8];
	int n = 0;
	pid_t pid;

	start_pool(fx);
	for (int i = 0; i < 40; i++) {
		pid = echo(fx->addr, "sequential");
		if (!has_pid(seen, n, pid))
			seen[n++] = pid;
		assert_true(n <= POOL_WORKERS);
	}
	/* One worker may win every accept when idle; eight slow requests
	 * need more threads than one worker has. */
	run_jobs(fx->addr, jobs, 8, 200, 0);
	n = job_pids(jobs, 8, seen, n);
	free_jobs(jobs, 8);
	assert_int_equal(n, POOL_WORKERS);
	assert_int_equal(read_pids("workers", workers), POOL_WORKERS);
	for (int i = 0; i < n; i++)
		assert_true(has_pid(workers, POOL_WORKERS, seen[i]));
}

static void
test_concurrency(void **state)
{
	struct fx *fx = *state;
	pid_t seen[MAX_PIDS];
	struct job jobs[9];
	char ev[64];

	start_pool(fx);
	/* workers x threads = 8 run at once: all 8 meet at a barrier of 8
	 * (a handler that waits in vain answers 504). */
	run_jobs(fx->addr, jobs, 8, 0, 8);
	assert_int_equal(job_pids(jobs, 8, seen, 0), POOL_WORKERS);
	assert_int_equal(count_pid(jobs, 8, seen[0]), POOL_THREADS);
	assert_int_equal(count_pid(jobs, 8, seen[1]), POOL_THREADS);
	free_jobs(jobs, 8);
	read_events(ev, sizeof(ev));
	/* And no more: the ninth starts only once one of the 8 has ended. */
	run_jobs(fx->addr, jobs, 9, 300, 8);
	assert_int_equal(job_pids(jobs, 9, seen, 0), POOL_WORKERS);
	free_jobs(jobs, 9);
	read_events(ev, sizeof(ev));
	if (strncmp(ev, "sssssssse", 9) != 0)
		fail_msg("9 requests on 8 threads ran as '%s'", ev);
}

static void
test_crash_respawn(void **state)
{
	struct fx *fx = *state;
	struct fcgi_client_param p[2] = { { "REQUEST_METHOD", "POST" },
	    { "CRASH", "1" } };
	pid_t workers[MAX_PIDS], seen[MAX_PIDS], dead, alive;
	struct job jobs[8];
	struct buf out;
	double end;

	start_pool(fx);
	assert_int_equal(wait_pids("workers", 2, workers, 2000), 2);
	buf_init(&out, REPLY_LIMIT);
	assert_int_equal(fcgi_client_request(fx->addr, p, 2, "boom", 4, &out,
	    CLIENT_TIMEOUT_MS), -1);
	assert_int_equal(out.len, 0);
	buf_cleanup(&out);
	/* A third worker_init: the master replaced the dead one. */
	assert_int_equal(wait_pids("workers", 3, workers, 5000), 3);
	for (end = now_s() + 5; now_s() < end; sleep_ms(10))
		if (is_gone(workers[0]) != is_gone(workers[1]))
			break;
	assert_int_not_equal(is_gone(workers[0]), is_gone(workers[1]));
	dead = is_gone(workers[0]) ? workers[0] : workers[1];
	alive = dead == workers[0] ? workers[1] : workers[0];
	assert_int_equal(wait_master(fx, 0), -1);
	/* Both the survivor and the new worker serve. */
	run_jobs(fx->addr, jobs, 8, 200, 0);
	assert_int_equal(job_pids(jobs, 8, seen, 0), POOL_WORKERS);
	free_jobs(jobs, 8);
	assert_true(has_pid(seen, 2, alive));
	assert_true(has_pid(seen, 2, workers[2]));
	assert_false(has_pid(seen, 2, dead));
}

static void
test_sigterm_drains(void **state)
{
	struct fx *fx = *state;
	pid_t workers[MAX_PIDS], cleaned[MAX_PIDS];
	struct job jobs[4];
	double end;
	int status, fd = -1;

	start_pool(fx);
	assert_int_equal(wait_pids("workers", 2, workers, 2000), 2);
	for (int i = 0; i < 4; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].addr = fx->addr;
		jobs[i].note = 1;
		snprintf(jobs[i].body, sizeof(jobs[i].body), "inflight-%d", i);
		strcpy(jobs[i].sleep_ms, "1500");
		buf_init(&jobs[i].out, REPLY_LIMIT);
		assert_int_equal(pthread_create(&jobs[i].tid, NULL, job_main,
		    &jobs[i]), 0);
	}
	for (end = now_s() + 10; file_size("started") < 4 && now_s() < end;)
		sleep_ms(5);
	assert_int_equal(file_size("started"), 4);
	assert_int_equal(kill(fx->master, SIGTERM), 0);
	/* The listening socket closes at once, before the drain ends: no
	 * in-flight request has ended when it does. */
	for (end = now_s() + 10; now_s() < end; sleep_ms(10)) {
		if ((fd = fcgi_client_connect(fx->addr, 500)) == -1)
			break;
		close(fd);
	}
	assert_int_equal(fd, -1);
	assert_int_equal(file_size("events"), 4);
	for (int i = 0; i < 4; i++)
		pthread_join(jobs[i].tid, NULL);
	for (int i = 0; i < 4; i++) {
		if (jobs[i].rc != 0)
			fail_msg("in-flight request %d: %s, got '%s'", i,
			    strerror(jobs[i].err),
			    jobs[i].out.data ? jobs[i].out.data : "");
		assert_true(has_pid(workers, 2, reply_pid(&jobs[i].out,
		    jobs[i].body)));
	}
	free_jobs(jobs, 4);
	status = wait_master(fx, 4000);
	assert_true(status != -1 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(is_gone(workers[0]) && is_gone(workers[1]));
	assert_int_equal(read_pids("cleaned", cleaned), 2);
	assert_true(has_pid(cleaned, 2, workers[0]));
	assert_true(has_pid(cleaned, 2, workers[1]));
	/* The master removes its socket file on the way out. */
	assert_int_equal(fcgi_client_connect(fx->addr, 500), -1);
	assert_true(errno == ENOENT || errno == ECONNREFUSED);
}

/* Sleep until the wall clock is just short of a whole second, where a
 * timeout counted in whole seconds of time(3) would run out at once. */
static void
sleep_to_second_end(void)
{
	struct timespec ts;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		if (ts.tv_nsec >= 850000000L && ts.tv_nsec < 900000000L)
			return;
		sleep_ms(ts.tv_nsec < 850000000L ?
		    (850000000L - ts.tv_nsec) / 1000000L + 1 : 10);
	}
}

/* A request that outlives stop_timeout_s is cut off, no sooner; the stop
 * is still clean. */
static void
test_stop_timeout(void **state)
{
	struct fx *fx = *state;
	pid_t workers[MAX_PIDS];
	struct job jobs[1];
	double t0, t, end;
	int status;

	fx->stop_timeout_s = 1;
	start_pool(fx);
	assert_int_equal(wait_pids("workers", 2, workers, 2000), 2);
	memset(jobs, 0, sizeof(jobs));
	jobs[0].addr = fx->addr;
	jobs[0].note = 1;
	strcpy(jobs[0].body, "too-slow");
	strcpy(jobs[0].sleep_ms, "4000");
	buf_init(&jobs[0].out, REPLY_LIMIT);
	assert_int_equal(pthread_create(&jobs[0].tid, NULL, job_main, jobs), 0);
	for (end = now_s() + 3; file_size("started") < 1 && now_s() < end;)
		sleep_ms(5);
	sleep_to_second_end();
	t0 = now_s();
	assert_int_equal(kill(fx->master, SIGTERM), 0);
	status = wait_master(fx, 3500);
	t = now_s() - t0;
	pthread_join(jobs[0].tid, NULL);
	assert_true(status != -1 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(jobs[0].rc, -1);
	free_jobs(jobs, 1);
	assert_true(is_gone(workers[0]) && is_gone(workers[1]));
	/* The idle worker finished on its own; the busy one was killed. */
	assert_int_equal(read_pids("cleaned", workers), 1);
	if (t < 0.95)
		fail_msg("in-flight request killed %.3f s after SIGTERM, "
		    "before the 1 s stop timeout", t);
}

static void
test_worker_init_fails(void **state)
{
	struct fx *fx = *state;
	pid_t workers[MAX_PIDS];
	int status, n;

	assert_int_equal(setenv(INIT_FAIL_ENV, "1", 1), 0);
	fork_pool(fx);
	unsetenv(INIT_FAIL_ENV);
	status = wait_master(fx, 3000);
	assert_true(status != -1 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	n = read_pids("workers", workers);
	assert_true(n >= 1 && n <= POOL_WORKERS);
	for (int i = 0; i < n; i++)
		assert_true(is_gone(workers[i]));
	assert_int_equal(file_size("cleaned"), 0);
}

static void
test_bad_listen(void **state)
{
	struct fx *fx = *state;
	int status;

	snprintf(fx->addr, sizeof(fx->addr), "%s/missing/pool.sock", fx->dir);
	fork_pool(fx);
	status = wait_master(fx, 3000);
	assert_true(status != -1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		fail_msg("pool_run on %s: wait status 0x%x, want exit 1",
		    fx->addr, status);
	assert_int_equal(file_size("workers"), 0);
}

/* Workers that keep dying (a request that crashes them, sent again and
 * again) are respawned after a backoff; the master never gives up. */
static void
test_crash_loop_backoff(void **state)
{
	struct fx *fx = *state;
	struct fcgi_client_param p[2] = { { "REQUEST_METHOD", "POST" },
	    { "CRASH", "1" } };
	pid_t workers[MAX_PIDS];
	struct buf out;
	int i;

	start_pool(fx);
	assert_int_equal(wait_pids("workers", 2, workers, 2000), 2);
	/* 20 respawns at once, then 250, 500 and 1000 ms of backoff. */
	for (i = 0; i < 23; i++) {
		buf_init(&out, REPLY_LIMIT);
		assert_int_equal(fcgi_client_request(fx->addr, p, 2, "x", 1,
		    &out, 10000), -1);
		buf_cleanup(&out);
	}
	assert_int_equal(wait_master(fx, 0), -1);
	/* The pool serves again once the backoff has passed. */
	assert_true(echo(fx->addr, "after the crash loop") > 0);
	assert_int_equal(wait_master(fx, 0), -1);
}

/* A peer that sends half a record, or nothing, gets its thread back
 * after the read timeout: all threads pinned that way do not starve the
 * pool. */
static void
test_half_record_times_out(void **state)
{
	struct fx *fx = *state;
	int fds[POOL_WORKERS * POOL_THREADS];
	const char half[] = { 1, 1, 0, 1 };	/* 4 of 8 header bytes */
	size_t i, n = sizeof(fds) / sizeof(fds[0]);
	char c;

	start_pool(fx);
	for (i = 0; i < n; i++) {
		assert_true((fds[i] = fcgi_client_connect(fx->addr,
		    (IO_TIMEOUT_S + 5) * 1000)) >= 0);
		if (i % 2 == 0)
			assert_int_equal(write(fds[i], half, sizeof(half)),
			    (ssize_t)sizeof(half));
	}
	/* Each is closed by the pool once the timeout passes. */
	for (i = 0; i < n; i++) {
		assert_int_equal(read(fds[i], &c, 1), 0);
		close(fds[i]);
	}
	assert_true(echo(fx->addr, "not starved") > 0);
}

static int
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd, port = -1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void
test_tcp(void **state)
{
	struct fx *fx = *state;
	pid_t workers[MAX_PIDS];
	int port = free_port();

	assert_true(port > 0);
	snprintf(fx->addr, sizeof(fx->addr), "127.0.0.1:%d", port);
	start_pool(fx);
	assert_int_equal(wait_pids("workers", 2, workers, 2000), 2);
	assert_true(has_pid(workers, 2, echo(fx->addr, "over tcp")));
}

/* A worker stopped on its own (an operator's kill, the OOM policy of a
 * supervisor) is replaced like a crashed one; the pool keeps serving. */
static void
test_worker_sigterm(void **state)
{
	struct fx *fx = *state;
	pid_t workers[MAX_PIDS], seen[MAX_PIDS];
	struct job jobs[8];

	start_pool(fx);
	assert_int_equal(wait_pids("workers", 2, workers, 2000), 2);
	assert_int_equal(kill(workers[0], SIGTERM), 0);
	assert_int_equal(wait_pids("workers", 3, workers, 5000), 3);
	run_jobs(fx->addr, jobs, 8, 200, 0);
	for (int i = 0; i < 8; i++)
		if (jobs[i].rc != 0)
			fail_msg("request %d after a worker's SIGTERM: %s", i,
			    strerror(jobs[i].err));
	assert_int_equal(job_pids(jobs, 8, seen, 0), POOL_WORKERS);
	free_jobs(jobs, 8);
	assert_true(has_pid(seen, 2, workers[1]));
	assert_true(has_pid(seen, 2, workers[2]));
	assert_int_equal(wait_master(fx, 0), -1);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_echo),
		T(test_both_workers),
		T(test_concurrency),
		T(test_crash_respawn),
		T(test_sigterm_drains),
		T(test_stop_timeout),
		T(test_worker_init_fails),
		T(test_bad_listen),
		T(test_tcp),
		T(test_crash_loop_backoff),
		T(test_half_record_times_out),
		T(test_worker_sigterm),
	};
#undef T

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
