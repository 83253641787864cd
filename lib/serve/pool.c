/* pool.c - pre-forked FastCGI worker pool: the master supervises worker
 * processes; each worker serves requests on a fixed set of threads. */
#define _GNU_SOURCE	/* pthread_tryjoin_np */
#include "pool.h"
#include "log.h"
#include "xalloc.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netdb.h>

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
#define POOL_RESPAWN_MAX	20	/* respawns allowed per window */
#define POOL_EXIT_NOSTART	78	/* a worker that could not start */
#define POOL_WAKE_SIGNAL	SIGUSR2	/* interrupts a thread's accept */

struct pool_thread {
	struct pool_worker_state *ws;
	pthread_t		 tid;
	atomic_int		 accepting;	/* blocked in accept, idle */
};

struct pool_worker_state {
	const struct pool_hooks	*hooks;
	int			 listen_fd;
	atomic_int		 stopping;
};

struct pool_master {
	const struct pool_config *cfg;
	const struct pool_hooks	*hooks;
	int			 listen_fd;
	pid_t			*pids;		/* one slot per worker */
	int			 stopping;
	const char		*unix_path;	/* removed on exit */
	time_t			 window_start;
	int			 window_respawns;
};

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
	/* An interrupted accept fails, so a stopping worker can wake its
	 * idle threads without touching the socket other workers share. */
	if (FCGX_InitRequest(&req, ws->listen_fd,
	    FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_warnx("%s: FCGX_InitRequest failed", __func__);
		goto out;
	}
	while (!atomic_load(&ws->stopping)) {
		atomic_store(&pt->accepting, 1);
		rc = FCGX_Accept_r(&req);
		atomic_store(&pt->accepting, 0);
		if (rc != 0)
			break;
		ws->hooks->handle(&req, tctx);
		FCGX_Finish_r(&req);
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
	struct pool_worker_state ws = { .hooks = hooks, .listen_fd = listen_fd };
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

/* Returns -1 when workers die faster than a pool can usefully restart. */
static int
pool_allow_respawn(struct pool_master *m)
{
	time_t now = time(NULL);

	if (now - m->window_start >= POOL_RESPAWN_WINDOW_S) {
		m->window_start = now;
		m->window_respawns = 0;
	}
	return ++m->window_respawns > POOL_RESPAWN_MAX ? -1 : 0;
}

static int
pool_slot_of(const struct pool_master *m, pid_t pid)
{
	for (int i = 0; i < m->cfg->workers; i++)
		if (m->pids[i] == pid)
			return i;
	return -1;
}

/* Reap dead workers; respawn them unless stopping. Returns -1 when the
 * pool must give up (a worker failed to start, or a crash loop). */
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
			return -1;
		}
		if (WIFSIGNALED(status))
			log_warnx("worker %ld died of signal %d; respawning",
			    (long)pid, WTERMSIG(status));
		else
			log_warnx("worker %ld exited with %d; respawning",
			    (long)pid, WEXITSTATUS(status));
		if (pool_allow_respawn(m) == -1) {
			log_warnx("workers keep dying; giving up");
			return -1;
		}
		if (pool_spawn(m, slot) == -1)
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

static long long
pool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	int sig;

	for (;;) {
		sig = sigwaitinfo(set, NULL);
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
	m.window_start = time(NULL);
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
