/* spool.h - append-only segments under SPOOL_DIR: OTLP/JSON spans and
 * feedback records, each kind in segments of its own; the only writer
 * there. Format and durability: docs/spool-format.md. */
#ifndef RC_SPOOL_H
#define RC_SPOOL_H

#include <stddef.h>

#include "feedrec.h"
#include "span.h"

/* A segment past this size is synced, unlocked and replaced by a new one. */
#define SPOOL_SEGMENT_BYTES	(16 * 1024 * 1024)

struct spool_resource {
	const char	*service_name;	/* resource service.name */
	const char	*project_name;	/* openinference.project.name */
	const char	*scope_name;	/* instrumentation scope name */
	const char	*scope_version;
};

/* What the spool could not keep: visible in the log and in /healthz. */
struct spool_stats {
	unsigned long long	dropped_turns;	/* lines not written: no space */
	unsigned long long	dropped_spans;
	unsigned long long	dropped_feedback; /* feedback lines not
						   * written: no space */
	unsigned long long	capped_segments; /* finished segments removed
						  * over max_bytes */
	unsigned long long	capped_bytes;
};

struct spool;

/* Open the spool directory for appending (created with mode 0750 if
 * missing). Each process opens its own spool after fork(); one spool is
 * safe to share between that process's threads. Returns NULL with the
 * reason in err on failure. Close with spool_close. */
struct spool *spool_open(const char *dir, const struct spool_resource *res,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Keep the spool (its segments, not sent/ or rejected/) within max_bytes
 * even when no flusher runs: on each new segment the oldest finished ones
 * past it are removed and counted. Segments are made smaller than
 * max_bytes / 8 so the check comes often enough. 0 means no limit (the
 * default). Cannot fail. */
void spool_set_max_bytes(struct spool *sp, long long max_bytes);
/* Append the n spans as one line (at most SPOOLFMT_LINE_MAX, EMSGSIZE past
 * it): one TracesData with one ResourceSpans
 * and one ScopeSpans. The line is written with one write(2) under a lock,
 * or not at all (a failed write is cut back). With no space left (ENOSPC,
 * EDQUOT) the oldest of sent/ is removed and the write tried once more;
 * if it still fails the turn is dropped and counted, logged at most once
 * a second, 0 is returned (the request path goes on) and the next append
 * tries again. Returns 0, or -1 with errno set and the reason logged for
 * any other failure. Thread-safe. */
int spool_append(struct spool *sp, const struct span *const *spans, size_t n)
	__attribute__((warn_unused_result));
/* Append feedback record r as one line (feedrec_line) to this process's
 * active feedback segment, a segment of its own beside the spans one:
 * the same lock protocol, hidden-name creation, write-or-cut-back,
 * rotation, SPOOL_MAX_BYTES cap (which counts both kinds) and full-disk
 * rule as spool_append, the drop counted in dropped_feedback and logged
 * at most once a second. A record feedrec_parse would refuse is not
 * written. Returns 0 when the line was handed to the kernel or dropped
 * for lack of space, or -1 with errno set (EINVAL: r is not a valid
 * record, or sp belongs to another process) and the reason logged.
 * Thread-safe; r stays the caller's. */
int spool_append_feedback(struct spool *sp, const struct feedrec *r)
	__attribute__((warn_unused_result));
/* Copy the counters into *st. Thread-safe; cannot fail. */
void spool_get_stats(struct spool *sp, struct spool_stats *st);
/* Flush to disk and close the current file; free sp. NULL is ignored. */
void spool_close(struct spool *sp);

#endif
