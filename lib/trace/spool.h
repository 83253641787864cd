/* spool.h - append-only OTLP/JSON span files under SPOOL_DIR; the only
 * writer there. Format and durability: docs/spool-format.md. */
#ifndef RC_SPOOL_H
#define RC_SPOOL_H

#include <stddef.h>

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
/* Copy the counters into *st. Thread-safe; cannot fail. */
void spool_get_stats(struct spool *sp, struct spool_stats *st);
/* Flush to disk and close the current file; free sp. NULL is ignored. */
void spool_close(struct spool *sp);

#endif
