/* segment.h - the reading side of spool segments (docs/spool-format.md):
 * listing them oldest first, telling a complete segment (its writer's lock
 * is gone) from a growing one, and reading whole lines from an offset. */
#ifndef RC_SEGMENT_H
#define RC_SEGMENT_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#include "buf.h"

struct segment {
	char	name[NAME_MAX + 1];
	int	fd;		/* read-only; -1 when closed */
	off_t	size;		/* at the last segment_refresh */
	int	complete;	/* we hold its lock: it can no longer grow */
};

/* Names of the segments (spans-*.jsonl, no hidden files) in dirfd, oldest
 * first (their names sort by creation time). Returns 0 with *names (free
 * each and the array) and *n, or -1 with errno. */
int segment_list(int dirfd, char ***names, size_t *n)
	__attribute__((warn_unused_result));
void segment_list_free(char **names, size_t n);
/* 1 when name is a segment file name. */
int segment_name_valid(const char *name);

/* Open a segment for reading. Returns 0, or -1 with errno (ENOENT when it
 * has gone). */
int segment_open(int dirfd, const char *name, struct segment *seg)
	__attribute__((warn_unused_result));
void segment_close(struct segment *seg);
/* Update size and, while not complete, try to take the writer's lock
 * without waiting: once taken, the segment is complete. Returns 0 or -1. */
int segment_refresh(struct segment *seg) __attribute__((warn_unused_result));

/* Read whole lines from offset: appends at most max bytes (but always at
 * least one whole line if one is there, whatever its length up to
 * out->limit) of text ending in '\n' to out. Returns the number of bytes
 * taken (0: no whole line yet), or -1 with errno. */
ssize_t segment_read_lines(const struct segment *seg, off_t offset,
    size_t max, struct buf *out) __attribute__((warn_unused_result));
/* 1 when the segment is complete and the bytes from offset to its end
 * hold no '\n': a torn last line that can never be finished. */
int segment_torn_tail(const struct segment *seg, off_t offset);

#endif
