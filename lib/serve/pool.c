/* pool.c - pre-forked FastCGI worker pool: the master supervises worker
 * processes; each worker serves requests on a fixed set of threads. */
#define _GNU_SOURCE	/* pthread_tryjoin_np */
#include "pool.h"
#include "log.h"
#include "xalloc.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POOL_THREAD_STACK	(512 * 1024)
#define POOL_RESPAWN_WINDOW_S	10	/* crash-loop detection window */
#define POOL_RESPAWN_MAX	20	/* respawns at once per window */
#define POOL_BACKOFF_MIN_MS	250	/* then each respawn waits this, */
#define POOL_BACKOFF_MAX_MS	8000	/* doubling up to this */
#define POOL_EXIT_NOSTART	78	/* a worker that could not start */
#define POOL_ACCEPT_PAUSE_MS	100	/* after accept fails for lack of fds */
#define POOL_WAKE_SIGNAL	SIGUSR2	/* interrupts a thread's accept */

struct pool_thread {
	struct pool_worker_state *ws;
	pthread_t		 tid;
	atomic_int		 accepting;	/* blocked in accept, idle */
};

struct pool_worker_state {
	const struct pool_hooks	*hooks;
	int			 listen_fd;
	int			 io_timeout_s;
	atomic_int		 stopping;
};

struct pool_master {
	const struct pool_config *cfg;
	const struct pool_hooks	*hooks;
	int			 listen_fd;
	pid_t			*pids;		/* one slot per worker */
	int			 stopping;
	const char		*unix_path;	/* removed on exit */
	time_t			 started;
	time_t			 window_start;
	int			 window_respawns;
	int			 backoff_ms;	/* 0: respawn at once */
	long long		 respawn_at;	/* ms; 0: nothing waits */
};

static long long
pool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pool_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Accept a connection ourselves, so that it gets read and send timeouts
 * before libfcgi reads its first record: a peer that sends half a record,
 * or nothing, gives the thread back after io_timeout_s. libfcgi takes the
 * connection as already open (keepConnection keeps FCGX_Accept_r's
 * opening FCGX_Finish_r from closing it). Returns 0, or -1 with errno. */
static int
pool_accept(const struct pool_worker_state *ws, FCGX_Request *req)
{
	struct timeval tv = { .tv_sec = ws->io_timeout_s };
	int fd, one = 1;

	if ((fd = accept4(ws->listen_fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return -1;
	if (tv.tv_sec > 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == -1)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	req->ipcFd = fd;
	req->keepConnection = 1;
	return 0;
}

/* After accept or FCGX_Accept_r failed with err: 0 to try again, -1 to
 * end the thread (the listening socket was shut down: the pool stops). */
static int
pool_accept_failed(int err)
{
	switch (err) {
	case EINVAL:
		return -1;
	case EINTR:		/* woken to see the stop flag */
	case EBADF:		/* a connection dropped before its request
				 * (timeout, bad record): libfcgi, given no
				 * socket of its own, hands the next back */
	case ECONNABORTED:
		return 0;
	default:		/* EMFILE, ENFILE, ENOBUFS: wait for fds */
		log_warnx("accept: %s", strerror(err));
		pool_sleep_ms(POOL_ACCEPT_PAUSE_MS);
		return 0;
	}
}

static void *
pool_thread_main(void *p)
{
	struct pool_thread *pt = p;
	struct pool_worker_state *ws = pt->ws;
	FCGX_Request req;
	void *tctx = NULL;
	int rc;

	if (ws->hooks->thread_init != NULL)
		tctx = ws->hooks->thread_init(ws->hooks->arg);
	/* No listening socket for libfcgi: pool_accept accepts. An
	 * interrupted accept fails, so a stopping worker can wake its idle
	 * threads without touching the socket other workers share. */
	if (FCGX_InitRequest(&req, -1, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_warnx("%s: FCGX_InitRequest failed", __func__);
		goto out;
	}
	while (!atomic_load(&ws->stopping)) {
		atomic_store(&pt->accepting, 1);
		if (req.ipcFd >= 0 || pool_accept(ws, &req) == 0)
			rc = FCGX_Accept_r(&req);
		else
			rc = -errno;
		atomic_store(&pt->accepting, 0);
		if (rc == 0) {
			ws->hooks->handle(&req, tctx);
			FCGX_Finish_r(&req);
		} else if (pool_accept_failed(-rc) == -1)
			break;
	}
	FCGX_Free(&req, 1);
out:
	if (ws->hooks->thread_cleanup != NULL)
		ws->hooks->thread_cleanup(tctx);
	return NULL;
}

static int
pool_start_threads(struct pool_worker_state *ws, int n, struct pool_thread *pts)
{
	pthread_attr_t attr;
	int i;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, POOL_THREAD_STACK);
	for (i = 0; i < n; i++) {
		pts[i].ws = ws;
		if ((errno = pthread_create(&pts[i].tid, &attr,
		    pool_thread_main, &pts[i])) != 0) {
			log_warn("%s: pthread_create", __func__);
			break;
		}
	}
	pthread_attr_destroy(&attr);
	return i;
}

static void
pool_wake_handler(int sig)
{
	(void)sig;
}

/* Wake the threads idle in accept until all have left; a thread busy
 * with a request finishes it and then sees the stop flag. */
static void
pool_join_threads(struct pool_thread *pts, int n)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	int left;

	do {
		left = 0;
		for (int i = 0; i < n; i++) {
			if (pthread_tryjoin_np(pts[i].tid, NULL) == 0) {
				pts[i].ws = NULL;
				continue;
			}
			if (pts[i].ws == NULL)
				continue;
			left++;
			if (atomic_load(&pts[i].accepting))
				pthread_kill(pts[i].tid, POOL_WAKE_SIGNAL);
		}
		if (left > 0)
			nanosleep(&tick, NULL);
	} while (left > 0);
}

static void __attribute__((noreturn))
pool_worker_main(const struct pool_config *cfg, const struct pool_hooks *hooks,
    int listen_fd)
{
	struct pool_worker_state ws = { .hooks = hooks, .listen_fd = listen_fd,
	    .io_timeout_s = cfg->io_timeout_s };
	struct pool_thread *pts = xcalloc((size_t)cfg->threads, sizeof(*pts));
	struct sigaction sa = { .sa_handler = pool_wake_handler };
	sigset_t set;
	int sig, started;

	/* SIGTERM and SIGINT stay blocked (inherited from the master) in
	 * every thread; this one waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	sigaction(POOL_WAKE_SIGNAL, &sa, NULL);	/* no SA_RESTART */
	if (hooks->worker_init != NULL && hooks->worker_init(hooks->arg) == -1)
		_exit(POOL_EXIT_NOSTART);
	if ((started = pool_start_threads(&ws, cfg->threads, pts)) == 0)
		_exit(POOL_EXIT_NOSTART);
	do {
		sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
	} while (sig != SIGTERM && sig != SIGINT);
	atomic_store(&ws.stopping, 1);
	FCGX_ShutdownPending();
	pool_join_threads(pts, started);
	free(pts);
	if (hooks->worker_cleanup != NULL)
		hooks->worker_cleanup(hooks->arg);
	exit(0);
}

static int
pool_spawn(struct pool_master *m, int slot)
{
	pid_t pid = fork();

	if (pid == -1) {
		log_warn("%s: fork", __func__);
		return -1;
	}
	if (pid == 0)
		pool_worker_main(m->cfg, m->hooks, m->listen_fd);
	m->pids[slot] = pid;
	log_debug("%s: worker %d is pid %ld", __func__, slot, (long)pid);
	return 0;
}

/* Whether a dead worker may be replaced at once. Past POOL_RESPAWN_MAX
 * deaths in a window, replacements wait a backoff that doubles up to
 * POOL_BACKOFF_MAX_MS, so a request that kills workers costs the pool
 * capacity for a while but never the pool itself. A quiet window resets. */
static int
pool_allow_respawn(struct pool_master *m)
{
	time_t now = time(NULL);

	if (now - m->window_start >= POOL_RESPAWN_WINDOW_S) {
		if (m->backoff_ms > 0 && m->window_respawns <= POOL_RESPAWN_MAX)
			log_info("workers stable again; respawning at once");
		if (m->window_respawns <= POOL_RESPAWN_MAX)
			m->backoff_ms = 0;
		m->window_start = now;
		m->window_respawns = 0;
	}
	return ++m->window_respawns > POOL_RESPAWN_MAX ? -1 : 0;
}

/* Plan the respawn of the slots left empty after the backoff. */
static void
pool_defer_respawn(struct pool_master *m)
{
	if (m->respawn_at != 0)
		return;
	m->backoff_ms = m->backoff_ms == 0 ? POOL_BACKOFF_MIN_MS :
	    m->backoff_ms * 2 > POOL_BACKOFF_MAX_MS ? POOL_BACKOFF_MAX_MS :
	    m->backoff_ms * 2;
	m->respawn_at = pool_now_ms() + m->backoff_ms;
	log_warnx("workers keep dying (%d in %d s); respawning in %d ms",
	    m->window_respawns, POOL_RESPAWN_WINDOW_S, m->backoff_ms);
}

static int
pool_slot_of(const struct pool_master *m, pid_t pid)
{
	for (int i = 0; i < m->cfg->workers; i++)
		if (m->pids[i] == pid)
			return i;
	return -1;
}

/* Reap dead workers; respawn them unless stopping, at once or after the
 * backoff. Returns -1 when the pool must give up: a worker could not
 * start in the pool's first window (a setting or the spool is wrong, and
 * the operator should hear it now), or fork failed. */
static int
pool_reap(struct pool_master *m)
{
	int status, slot;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((slot = pool_slot_of(m, pid)) == -1)
			continue;
		m->pids[slot] = -1;
		if (m->stopping)
			continue;
		if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == POOL_EXIT_NOSTART) {
			log_warnx("worker %ld could not start", (long)pid);
			if (time(NULL) - m->started < POOL_RESPAWN_WINDOW_S)
				return -1;
		} else if (WIFSIGNALED(status))
			log_warnx("worker %ld died of signal %d; respawning",
			    (long)pid, WTERMSIG(status));
		else
			log_warnx("worker %ld exited with %d; respawning",
			    (long)pid, WEXITSTATUS(status));
		if (m->respawn_at != 0 || pool_allow_respawn(m) == -1)
			pool_defer_respawn(m);
		else if (pool_spawn(m, slot) == -1)
			return -1;
	}
	return 0;
}

/* Respawn the slots that waited out the backoff. */
static int
pool_respawn_due(struct pool_master *m)
{
	if (m->respawn_at == 0 || pool_now_ms() < m->respawn_at)
		return 0;
	m->respawn_at = 0;
	for (int i = 0; i < m->cfg->workers; i++)
		if (m->pids[i] <= 0) {
			m->window_respawns++;
			if (pool_spawn(m, i) == -1)
				return -1;
		}
	return 0;
}

static int
pool_alive(const struct pool_master *m)
{
	int n = 0;

	for (int i = 0; i < m->cfg->workers; i++)
		n += m->pids[i] > 0;
	return n;
}

static void
pool_signal_all(const struct pool_master *m, int sig)
{
	for (int i = 0; i < m->cfg->workers; i++)
		if (m->pids[i] > 0)
			kill(m->pids[i], sig);
}

/* Tell workers to finish in-flight requests; kill them after the stop
 * timeout. Shutting the shared socket down wakes every idle thread of
 * every worker at once. */
static void
pool_stop(struct pool_master *m, sigset_t *set)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	long long deadline = pool_now_ms() + m->cfg->stop_timeout_s * 1000LL;
	int killed = 0;

	m->stopping = 1;
	shutdown(m->listen_fd, SHUT_RDWR);
	pool_signal_all(m, SIGTERM);
	while (pool_alive(m) > 0) {
		if (!killed && pool_now_ms() >= deadline) {
			log_warnx("workers still busy after %d s; killing",
			    m->cfg->stop_timeout_s);
			pool_signal_all(m, SIGKILL);
			killed = 1;
		}
		sigtimedwait(set, NULL, &tick);
		(void)pool_reap(m);
	}
}

static int
pool_supervise(struct pool_master *m, sigset_t *set)
{
	struct timespec wait;
	long long left;
	int sig;

	for (;;) {
		if (m->respawn_at != 0) {
			left = m->respawn_at - pool_now_ms();
			left = left < 0 ? 0 : left;
			wait.tv_sec = left / 1000;
			wait.tv_nsec = (left % 1000) * 1000000L;
			sig = sigtimedwait(set, NULL, &wait);
		} else
			sig = sigwaitinfo(set, NULL);
		if (pool_respawn_due(m) == -1) {
			pool_stop(m, set);
			return 1;
		}
		if (sig == -1)
			continue;
		if (sig == SIGCHLD) {
			if (pool_reap(m) == -1) {
				pool_stop(m, set);
				return 1;
			}
			continue;
		}
		log_info("signal %d: finishing in-flight requests", sig);
		pool_stop(m, set);
		return 0;
	}
}

/* "/path" (unix socket), "host:port" or ":port" (all interfaces). A unix
 * socket another process still listens on is an error, not taken over. */
static int
pool_listen_unix(const char *path, int backlog)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		errno = EADDRINUSE;
		return -1;
	}
	if (errno == ECONNREFUSED)
		unlink(path);		/* stale socket of a dead pool */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, backlog) == -1) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
pool_listen_tcp(const char *addr, int backlog)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	const char *colon = strrchr(addr, ':');
	struct addrinfo *res = NULL;
	char host[256];
	int fd = -1, one = 1, saved;

	if (colon == NULL || (size_t)(colon - addr) >= sizeof(host)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	if (getaddrinfo(*host ? host : NULL, colon + 1, &hints, &res) != 0) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd != -1 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, backlog) == -1)) {
		saved = errno;
		close(fd);
		fd = -1;
		errno = saved;
	}
	freeaddrinfo(res);
	return fd;
}

int
pool_run(const struct pool_config *cfg, const struct pool_hooks *hooks)
{
	struct pool_master m = { .cfg = cfg, .hooks = hooks };
	sigset_t set, old;
	int rc = 1;

	if (FCGX_Init() != 0) {
		log_warnx("%s: FCGX_Init failed", __func__);
		return 1;
	}
	m.listen_fd = cfg->listen[0] == '/' ?
	    pool_listen_unix(cfg->listen, cfg->backlog) :
	    pool_listen_tcp(cfg->listen, cfg->backlog);
	if (m.listen_fd == -1) {
		log_warn("cannot listen on %s", cfg->listen);
		return 1;
	}
	if (cfg->listen[0] == '/')
		m.unix_path = cfg->listen;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	m.pids = xcalloc((size_t)cfg->workers, sizeof(*m.pids));
	m.window_start = m.started = time(NULL);
	log_info("listening on %s: %d workers x %d threads", cfg->listen,
	    cfg->workers, cfg->threads);
	for (int i = 0; i < cfg->workers; i++)
		if (pool_spawn(&m, i) == -1) {
			pool_stop(&m, &set);
			goto out;
		}
	rc = pool_supervise(&m, &set);
out:
	close(m.listen_fd);
	if (m.unix_path != NULL)
		unlink(m.unix_path);
	free(m.pids);
	sigprocmask(SIG_SETMASK, &old, NULL);
	log_info("stopped");
	return rc;
}
