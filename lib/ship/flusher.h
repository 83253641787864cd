/* flusher.h - ships the spool to an OTLP collector, at least once: whole
 * lines from the oldest segments in batches, offsets made durable only
 * after the collector took a batch (or a refused batch is safe in
 * rejected/), shipped segments kept in sent/, and the spool's size caps.
 * docs/flusher.md tells the whole protocol. */
#ifndef RC_FLUSHER_H
#define RC_FLUSHER_H

#include <stddef.h>
#include <stdint.h>

#include "exporter.h"

#define FLUSHER_BATCH_SPANS	512
#define FLUSHER_BATCH_BYTES	(4 * 1024 * 1024)	/* of OTLP/JSON lines */

struct flusher_config {
	const char	*spool_dir;
	long long	 max_bytes;	/* unshipped bytes; past it, oldest dropped */
	long long	 keep_sent_bytes; /* sent/ history; oldest pruned */
	long long	 rejected_max_bytes; /* rejected/; oldest pruned */
	int		 lock_wait;	/* spool locked by another flusher:
					 * 1 waits for it, 0 fails */
	size_t		 batch_spans;
	size_t		 batch_bytes;
};

struct flusher_stats {
	uint64_t	spans_sent;
	uint64_t	batches_sent;
	uint64_t	spans_rejected;	/* refused by the collector */
	uint64_t	bad_lines;	/* not OTLP/JSON: to rejected/ */
	uint64_t	torn_lines;
	uint64_t	dropped_lines;	/* over max_bytes */
	uint64_t	pruned_rejected; /* rejected/ files over their cap */
	uint64_t	retries;
	long long	backlog_bytes;	/* unshipped, at the last step */
};

enum flusher_step {
	FLUSHER_IDLE = 0,	/* nothing (more) to ship now */
	FLUSHER_SENT,		/* a batch went out (or was set aside) */
	FLUSHER_RETRY,		/* the collector is unavailable: wait, then
				 * step again (the same batch is resent) */
	FLUSHER_ERROR,		/* local failure (disk); logged */
	FLUSHER_CONFIG,		/* the collector refuses our settings (401,
				 * 404, ...; logged once): wait, then step
				 * again; nothing is set aside */
};

struct flusher;

/* Open SPOOL_DIR with its sent/ and rejected/, take the spool's flusher
 * lock (waiting for it when cfg->lock_wait) and load the shipped offsets
 * (names from spoolfmt.h; a damaged record is moved aside, see ckpt.h).
 * ex must outlive the flusher. Returns NULL with the reason in err and
 * errno: EWOULDBLOCK when another flusher holds the lock, EINTR when a
 * signal ended the wait. Free with flusher_free (which drops the lock). */
struct flusher *flusher_new(const struct flusher_config *cfg,
    struct exporter *ex, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Save what was shipped and release everything. NULL is ignored. */
void flusher_free(struct flusher *f);
/* Do one step: enforce the caps, make a batch unless one is waiting, send
 * it once. With FLUSHER_RETRY, *delay_ms says how long to wait; a local
 * failure is FLUSHER_ERROR (logged). */
enum flusher_step flusher_step(struct flusher *f, long *delay_ms);
/* Queue what rejected/ holds again: each of its files becomes a new
 * segment in SPOOL_DIR (renamed, so nothing is copied or lost) and its
 * .reason file goes. Returns the number of files queued, or -1 (logged)
 * when rejected/ cannot be read or a file cannot be moved. */
int flusher_redrive(struct flusher *f) __attribute__((warn_unused_result));
/* The counters so far; owned by f, valid until flusher_free. */
const struct flusher_stats *flusher_stats(const struct flusher *f);

#endif
