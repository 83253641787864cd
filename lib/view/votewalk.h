/* votewalk.h - users' votes in a spool, for the viewers: a walk of its
 * feedback segments (spoolwalk, SPOOLFMT_KIND_FEEDBACK) that keeps an
 * index of the latest vote per span (feedidx) up to date: every vote there
 * when opened, then the new ones on each poll. spool-tail and
 * spool-dataset read votes before spans, so a turn shows its vote. */
#ifndef RC_VOTEWALK_H
#define RC_VOTEWALK_H

#include <stddef.h>
#include <stdint.h>

#include "feedidx.h"
#include "spoolwalk.h"

/* Called on a poll for each new feedback line: with the latest vote on
 * its span (an earlier line's when this one was older; owned by the
 * index, valid during the call), or NULL for a line that is not a valid
 * feedback line. Return 0 to go on, -1 to stop the poll. */
typedef int (*votewalk_fn)(const struct feedrec *latest, void *arg);

struct votewalk;

/* Open the spool at dir and index every vote now in it. Returns NULL with
 * the reason in err when the spool cannot be opened. Free with
 * votewalk_free. */
struct votewalk *votewalk_open(const char *dir, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Free vw, its walk and its index. NULL is ignored. */
void votewalk_free(struct votewalk *vw);
/* The index of votes; owned by vw and valid until votewalk_free. */
const struct feedidx *votewalk_votes(const struct votewalk *vw);
/* Index the feedback lines added since the last call (or the open),
 * handing each to fn (NULL: none). Returns 0, or -1 when fn stopped. */
int votewalk_poll(struct votewalk *vw, votewalk_fn fn, void *arg);
/* Following a spool: the new votes (vfn), then the new span lines of
 * spans (sfn), so that a turn and its vote written in one tick come out
 * as the turn with its vote beside it. Both get arg. Returns 0, or -1
 * when a callback stopped. */
int votewalk_poll_spans(struct votewalk *vw, votewalk_fn vfn,
    struct spoolwalk *spans, spoolwalk_fn sfn, void *arg);
/* Feedback lines found unparsable since the last call (the first call:
 * since the open), for "skipped N lines". Cannot fail. */
uint64_t votewalk_new_bad_lines(struct votewalk *vw);

#endif
