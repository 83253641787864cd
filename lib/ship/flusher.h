/* flusher.h - ships the spool to an OTLP collector, at least once: whole
 * lines from the oldest segments in batches, offsets made durable only
 * after the collector took a batch (or a refused batch is safe in
 * rejected/), shipped segments kept in sent/, and the spool's size caps.
 * docs/flusher.md tells the whole protocol. */
#ifndef RC_FLUSHER_H
#define RC_FLUSHER_H

#include <sys/types.h>

#include <limits.h>
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
	long		 sync_ms;	/* offsets fsynced at most this often
					 * (written after every batch); 0:
					 * fsynced after every batch */
};

/* The daemon's sync_ms: a power cut can send about a second of spans
 * again, never lose one. --once syncs every batch (0). */
#define FLUSHER_SYNC_MS		1000

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
 * segment of its own kind (spans or feedback) in SPOOL_DIR (renamed, so nothing is copied or lost) and its
 * .reason file goes. Returns the number of files queued, or -1 (logged)
 * when rejected/ cannot be read or a file cannot be moved. */
int flusher_redrive(struct flusher *f) __attribute__((warn_unused_result));
/* Where the span lines in SPOOL_DIR ended at one moment: for each spans
 * segment, the end of its last whole line. */
struct flusher_mark_seg {
	char	name[NAME_MAX + 1];
	off_t	end;
};

struct flusher_mark {
	struct flusher_mark_seg	*v;
	size_t			 n;
};

/* Take the mark now: every spans segment in SPOOL_DIR (listed afresh, so
 * ones the flusher has not seen yet count) and where its last whole line
 * ends. Returns 0, or -1 (logged) when the directory cannot be read; *m
 * is the caller's, freed with flusher_mark_clear. */
int flusher_mark(struct flusher *f, struct flusher_mark *m)
	__attribute__((warn_unused_result));
/* Free what flusher_mark filled in; m is left empty. */
void flusher_mark_clear(struct flusher_mark *m);
/* 1 once every span line within m has left the flusher's hands: shipped
 * (2xx), set aside in rejected/ or dropped under the size cap (its
 * segment's shipped offset reached the mark, or the segment went to
 * sent/ or was removed); 0 while some still wait. Cannot fail. */
int flusher_passed(struct flusher *f, const struct flusher_mark *m);

/* Append lines (whole, '\n' included) of the segment named seg to
 * rejected/<seg>, with why appended to rejected/<seg>.reason, durably;
 * then keep rejected/ within its cap. The file keeps seg's name, so its
 * kind: --redrive queues it again as a segment of that kind. Returns 0,
 * or -1 (logged) on a disk error: the caller must not move past the
 * lines. */
int flusher_set_aside(struct flusher *f, const char *seg, const char *lines,
    size_t len, const char *why) __attribute__((warn_unused_result));
/* Move a shipped segment (any kind) from SPOOL_DIR to sent/, durably, and
 * keep sent/ within its cap. Returns 0, or -1 (logged). */
int flusher_to_sent(struct flusher *f, const char *name)
	__attribute__((warn_unused_result));

/* SPOOL_DIR's descriptor; owned by f, valid until flusher_free. */
int flusher_dirfd(const struct flusher *f);
/* The counters so far; owned by f, valid until flusher_free. */
const struct flusher_stats *flusher_stats(const struct flusher *f);

#endif
