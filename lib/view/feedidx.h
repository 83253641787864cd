/* feedidx.h - the viewers' index of votes: the latest feedback record per
 * chat_turn span, built from the feedback lines a walk of the spool hands
 * out (spoolwalk with SPOOLFMT_KIND_FEEDBACK). Lines are read by feedrec
 * alone. */
#ifndef RC_FEEDIDX_H
#define RC_FEEDIDX_H

#include <stddef.h>
#include <stdint.h>

#include "feedrec.h"

struct feedidx_stats {
	uint64_t	lines;		/* feedback lines taken */
	uint64_t	bad_lines;	/* refused by feedrec_parse */
	uint64_t	spans;		/* spans with a vote */
	uint64_t	up, down;	/* latest votes per span */
};

struct feedidx;

/* An empty index. Cannot fail (out of memory aborts). Free with
 * feedidx_free. */
struct feedidx *feedidx_new(void);
/* Free x and its records. NULL is ignored. */
void feedidx_free(struct feedidx *x);
/* Take one feedback line (without its '\n'): the vote replaces the span's
 * earlier one unless that one is newer (timeUnixNano; on a tie the later
 * line wins). Returns 1 when the span's vote changed, 0 when an older
 * vote was ignored, -1 when the line is not a valid feedback line
 * (counted in bad_lines; the reason in err when err is not NULL). */
int feedidx_add(struct feedidx *x, const char *line, size_t len, char *err,
    size_t errlen);
/* The latest vote on span_id (16 lowercase hex digits), or NULL. Owned by
 * x, valid until the next feedidx_add or feedidx_free. */
const struct feedrec *feedidx_get(const struct feedidx *x,
    const char *span_id);
/* The counters; owned by x. */
const struct feedidx_stats *feedidx_stats(const struct feedidx *x);

#endif
