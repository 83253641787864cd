/* spoolfmt.h - the spool's on-disk format, owned here alone: the layout of
 * SPOOL_DIR, segment file names, the record kinds a line can hold, the
 * OTLP/JSON envelope of a line and the longest line. Writers (spool.c,
 * spool-tail --json) and readers (the flusher, the viewers) all go
 * through this module. The format itself: docs/spool-format.md. */
#ifndef RC_SPOOLFMT_H
#define RC_SPOOLFMT_H

#include <stddef.h>

#include "buf.h"

/* The longest line, '\n' included: writers refuse longer ones, readers
 * set them aside. */
#define SPOOLFMT_LINE_MAX	(32 * 1024 * 1024)

/* The deepest nesting of objects and arrays in a line that readers take
 * (the writers' lines nest about 12 deep). */
#define SPOOLFMT_DEPTH_MAX	64

/* SPOOL_DIR's layout. Segments being written or waiting to be shipped sit
 * in SPOOL_DIR itself; the flusher moves shipped ones to SENT_DIR, keeps
 * what the collector refused in REJECTED_DIR and its shipped offsets in
 * STATE_DIR/OFFSETS_FILE. Hidden files (".name") are never segments. */
#define SPOOLFMT_SENT_DIR	"sent"
#define SPOOLFMT_REJECTED_DIR	"rejected"
#define SPOOLFMT_STATE_DIR	".flusher"
#define SPOOLFMT_OFFSETS_FILE	"offsets"
/* In STATE_DIR: the shipped offsets of feedback segments, kept apart from
 * the spans' (each kind is shipped to its own place, at its own pace). */
#define SPOOLFMT_FEEDBACK_OFFSETS_FILE	"feedback-offsets"
/* In STATE_DIR: the flusher's exclusive lock (flock), one flusher per
 * spool. */
#define SPOOLFMT_LOCK_FILE	"lock"

/* Room for a segment name and its NUL. */
#define SPOOLFMT_NAME_MAX	96

/* What a line holds, told by its first key: writers put the key that
 * names the kind first. A line whose first key names no kind is not a
 * spool line (readers set it aside). Each kind has segments of its own,
 * told by their name's prefix ("spans-", "feedback-"): a segment holds
 * lines of its kind only. */
enum spoolfmt_kind {
	SPOOLFMT_KIND_NONE = -1,	/* not a line of any known kind */
	SPOOLFMT_KIND_SPANS = 0,	/* an OTLP/JSON TracesData */
	SPOOLFMT_KIND_FEEDBACK = 1,	/* a user's vote on a turn (feedrec.h) */
};

/* Write the name of a new segment of kind (SPANS or FEEDBACK) into out:
 * "<kind>-<ms>-<pid>-<tag>-<seq>.jsonl", which sorts by creation time
 * within a kind (ms since the epoch, 13 digits until the year 2286). tag
 * tells apart writers that share a pid (8 hex chars). Returns 0, or -1
 * when out is too small or kind is NONE. */
int spoolfmt_segment_name(char *out, size_t outlen, enum spoolfmt_kind kind,
    long long ms, long pid, const char *tag, unsigned int seq)
	__attribute__((warn_unused_result));
/* The kind of the segment named name (not hidden, no '/', the kind's
 * prefix and ".jsonl"), or SPOOLFMT_KIND_NONE when name is not a
 * segment's. Cannot fail. */
enum spoolfmt_kind spoolfmt_segment_kind(const char *name);

/* The kind of a line (without its '\n'), from its first key alone
 * ("resourceSpans", or its proto name "resource_spans"; "feedback"; then
 * ':'); the
 * rest is not checked here. Cannot fail: SPOOLFMT_KIND_NONE for anything
 * else. */
enum spoolfmt_kind spoolfmt_line_kind(const char *line, size_t len);

/*
 * The envelope of a spans line, one TracesData:
 *	{"resourceSpans":[ GROUP , GROUP ... ]}\n
 * where each GROUP is one ResourceSpans with one ScopeSpans,
 *	{"resource":R,"scopeSpans":[{"scope":S,"spans":[ SPAN , ... ]}]}
 * Call spoolfmt_begin, then for each group spoolfmt_group_begin, the spans
 * (comma separated, appended by the caller), spoolfmt_group_end, and
 * finally spoolfmt_end. Each returns 0, or -1 when b's limit is reached
 * (b then holds a partial line that must not be written). b is the
 * caller's.
 */
int spoolfmt_begin(struct buf *b) __attribute__((warn_unused_result));
/* Open a group: resource and scope are JSON object texts of rlen and slen
 * bytes (copied); NULL writes {}. first is 1 for the first group of the
 * line. Returns 0, or -1 at b's limit. */
int spoolfmt_group_begin(struct buf *b, int first, const char *resource,
    size_t rlen, const char *scope, size_t slen)
	__attribute__((warn_unused_result));
/* Close a group's spans array. Returns 0, or -1 at b's limit. */
int spoolfmt_group_end(struct buf *b) __attribute__((warn_unused_result));
/* Close the line, '\n' included. Returns 0, or -1 at b's limit. */
int spoolfmt_end(struct buf *b) __attribute__((warn_unused_result));

#endif
