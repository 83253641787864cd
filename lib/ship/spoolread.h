/* spoolread.h - the flusher's reader of spool segments
 * (docs/spool-format.md): listing them oldest first, telling a complete
 * segment (its writer's lock is gone) from a growing one, and reading whole
 * lines from an offset. Names and layout come from spoolfmt.h. */
#ifndef RC_SPOOLREAD_H
#define RC_SPOOLREAD_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#include "buf.h"
#include "spoolfmt.h"

struct spoolread_segment {
	char	name[NAME_MAX + 1];
	int	fd;		/* read-only; -1 when closed */
	off_t	size;		/* at the last spoolread_refresh */
	int	complete;	/* we hold its lock: it can no longer grow */
};

/* Names of the segments of kind (spans-*.jsonl or feedback-*.jsonl, no
 * hidden files; spoolfmt_segment_kind) in dirfd, oldest first (their names
 * sort by creation time). Returns 0 with *names and *n (the caller frees
 * them with spoolread_list_free), or -1 with errno. */
int spoolread_list(int dirfd, enum spoolfmt_kind kind, char ***names,
    size_t *n)
	__attribute__((warn_unused_result));
/* Free the n names and the array spoolread_list returned. */
void spoolread_list_free(char **names, size_t n);

/* Open a segment for reading into *seg (the caller's). Returns 0, or -1
 * with errno (ENOENT when it has gone) and seg->fd -1. Release with
 * spoolread_close. */
int spoolread_open(int dirfd, const char *name, struct spoolread_segment *seg)
	__attribute__((warn_unused_result));
/* Close seg (dropping its lock, if held); harmless when already closed or
 * never opened. Cannot fail. */
void spoolread_close(struct spoolread_segment *seg);
/* Close a complete segment's descriptor but keep its name, size and
 * completeness: no writer holds it any more, so it cannot change, and a
 * long backlog then costs no descriptors. Nothing for a segment that is
 * not complete. Cannot fail. */
void spoolread_park(struct spoolread_segment *seg);
/* Open a parked segment again; nothing when it is open. Returns 0, or -1
 * with errno (ENOENT when it has gone). */
int spoolread_unpark(int dirfd, struct spoolread_segment *seg)
	__attribute__((warn_unused_result));
/* Update size and, while not complete, try to take the writer's lock
 * without waiting: once taken, the segment is complete. A parked segment
 * is left as it is. Returns 0 or -1. */
int spoolread_refresh(struct spoolread_segment *seg)
	__attribute__((warn_unused_result));

/* Read whole lines from offset: appends at most max bytes (but always at
 * least one whole line if one is there, whatever its length up to
 * out->limit) of text ending in '\n' to out (the caller's buffer).
 * Returns the number of bytes taken (0: no whole line yet), or -1 with
 * errno. */
ssize_t spoolread_lines(const struct spoolread_segment *seg, off_t offset,
    size_t max, struct buf *out) __attribute__((warn_unused_result));
/* 1 when the segment is complete and the bytes from offset to its end
 * hold no '\n': a torn last line that can never be finished. 0 otherwise,
 * and on a read error (the tail is then looked at again later). */
int spoolread_torn_tail(const struct spoolread_segment *seg, off_t offset);

#endif
