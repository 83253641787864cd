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

struct spool;

/* Open the spool directory for appending (created with mode 0750 if
 * missing). Each process opens its own spool after fork(); one spool is
 * safe to share between that process's threads. Returns NULL with the
 * reason in err on failure. Close with spool_close. */
struct spool *spool_open(const char *dir, const struct spool_resource *res,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Append the n spans as one line (at most SPOOLFMT_LINE_MAX, EMSGSIZE past
 * it): one TracesData with one ResourceSpans
 * and one ScopeSpans. The line is written with one write(2) under a lock,
 * or not at all (a failed write is cut back). Returns 0, or -1 with
 * errno set and the reason logged. Thread-safe. */
int spool_append(struct spool *sp, const struct span *const *spans, size_t n)
	__attribute__((warn_unused_result));
/* Flush to disk and close the current file; free sp. NULL is ignored. */
void spool_close(struct spool *sp);

#endif
