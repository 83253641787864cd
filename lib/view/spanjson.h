/* spanjson.h - spool-tail --json: the spans of one spool line that a
 * filter selected, written as a TracesData line of their own with their
 * resource and scope. The envelope is spoolfmt's; spans are copied as the
 * line has them. */
#ifndef RC_SPANJSON_H
#define RC_SPANJSON_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "spanscan.h"

/* The longest line spanjson_write builds; a longer one is not written. */
#define SPANJSON_LIMIT	(64 * 1024 * 1024)

/* The selected spans of the current line; embed it, spanjson_init it. */
struct spanjson {
	struct spanscan_span	*sel;	/* slices into the current line */
	size_t			 nsel, cap;
	struct buf		 out;
};

/* Set up an empty selection. Cannot fail; spanjson_cleanup releases what
 * it takes later. */
void spanjson_init(struct spanjson *j);
/* Free what j took (not j itself). */
void spanjson_cleanup(struct spanjson *j);

/* A new line: forget the spans selected of the previous one. Cannot
 * fail. */
void spanjson_reset(struct spanjson *j);
/* Select s, a span of the current line (spanscan_line's callback): its
 * slices are kept, not copied, so the line must stay put until the next
 * spanjson_reset. Never fails (abort on OOM). */
void spanjson_select(struct spanjson *j, const struct spanscan_span *s);

/* Write the selection of the line (len bytes at line, without its '\n',
 * holding nspans spans) to out as one '\n'-ended line: nothing when no
 * span is selected, the line itself when all of them are, else the
 * selected spans in a TracesData of their own (spanjson_build). Returns
 * 0, or -1 when that line would pass SPANJSON_LIMIT: nothing is written.
 * Write errors are out's to report. */
int spanjson_write(struct spanjson *j, FILE *out, const char *line,
    size_t len, size_t nspans) __attribute__((warn_unused_result));

/* Append to b a TracesData line ('\n'-ended) holding the n spans at sel in
 * their order, each with its resource and scope ({} when absent); spans
 * next to each other that share a resource and scope (the same slices of
 * one line) share a ResourceSpans. Returns 0, or -1 when b's limit is
 * reached (b then holds a partial line). */
int spanjson_build(struct buf *b, const struct spanscan_span *sel, size_t n)
	__attribute__((warn_unused_result));

#endif
