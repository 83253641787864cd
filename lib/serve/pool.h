/* pool.h - pre-forked FastCGI worker pool: a master forks N worker
 * processes, each serving M threads over one shared listening socket; the
 * master respawns a worker that dies (after a capped backoff when they
 * keep dying: it never gives up on them) and, on SIGTERM or SIGINT, stops
 * accepting, lets in-flight requests finish and exits 0. */
#ifndef RC_POOL_H
#define RC_POOL_H

#include <fcgiapp.h>

struct pool_config {
	const char	*listen;	/* "/path/sock", ":port" or "host:port" */
	int		 workers;	/* processes */
	int		 threads;	/* per process */
	int		 backlog;
	int		 stop_timeout_s;/* after SIGTERM, kill what still runs */
	int		 io_timeout_s;	/* read/send timeout on each FastCGI
					 * connection; 0: none */
};

struct pool_hooks {
	/* In each worker after fork, before its threads start; -1 ends the
	 * worker. In the pool's first 10 s the master then gives up
	 * (pool_run returns 1: a setting is wrong); later such a worker is
	 * respawned like one that died. */
	int	(*worker_init)(void *arg);
	void	(*worker_cleanup)(void *arg);
	/* Per thread; the returned pointer is passed to handle. */
	void	*(*thread_init)(void *arg);
	void	(*thread_cleanup)(void *tctx);
	/* Serve one accepted request (write the whole response). */
	void	(*handle)(FCGX_Request *req, void *tctx);
	void	*arg;
};

/* Open the socket (a unix socket another process listens on is an error;
 * a stale one is replaced), fork the workers and supervise them until SIGTERM or
 * SIGINT. Returns the process exit status (0 after a clean stop). Called
 * from main; does not return in the workers. */
int pool_run(const struct pool_config *cfg, const struct pool_hooks *hooks)
	__attribute__((warn_unused_result));

#endif
