/* spoolwalk.h - reading a spool as a viewer: every whole line of its
 * segments of one kind (SPOOL_DIR and SPOOL_DIR/sent/, oldest segment
 * first), then, on
 * each poll, only what was added. Files are followed by inode, so a
 * segment the flusher moves to sent/ keeps its place and one it deletes is
 * forgotten. Takes no locks: viewing never gets in the flusher's way. */
#ifndef RC_SPOOLWALK_H
#define RC_SPOOLWALK_H

#include <stddef.h>
#include <stdint.h>

#include "spoolfmt.h"

struct spoolwalk_stats {
	uint64_t	lines;		/* whole lines handed out */
	uint64_t	bytes;
	uint64_t	files;
};

/* Called with each whole line, without its '\n' (valid during the call).
 * Return 0 to go on, -1 to stop the walk. */
typedef int (*spoolwalk_fn)(const char *line, size_t len, void *arg);

struct spoolwalk;

/* Open the spool at dir (SPOOLFMT_SENT_DIR may be missing) to walk the
 * segments of one kind (SPOOLFMT_KIND_SPANS or SPOOLFMT_KIND_FEEDBACK;
 * spoolfmt.h). Returns NULL with the reason in err. Free with
 * spoolwalk_free. */
struct spoolwalk *spoolwalk_open(const char *dir, enum spoolfmt_kind kind,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Close the spool and free w. NULL is ignored. */
void spoolwalk_free(struct spoolwalk *w);
/* Hand every whole line now in the spool to fn and remember where each
 * file ends. Returns 0, or -1 if fn stopped the walk. */
int spoolwalk_read_all(struct spoolwalk *w, spoolwalk_fn fn, void *arg);
/* Skip what is there now: later polls hand out only new lines. Cannot
 * fail (an unreadable file is looked at again on the next poll). */
void spoolwalk_skip_all(struct spoolwalk *w);
/* Hand lines added since the last call to fn: new files from their
 * start, known files from where they were. Returns 0 or -1 as above. */
int spoolwalk_poll(struct spoolwalk *w, spoolwalk_fn fn, void *arg);
/* Bytes at the ends of files that are not (yet) whole lines: a line being
 * written, or torn by a writer that died. Cannot fail. */
uint64_t spoolwalk_partial_bytes(const struct spoolwalk *w);
/* The counters so far; owned by w, valid until spoolwalk_free. */
const struct spoolwalk_stats *spoolwalk_stats(const struct spoolwalk *w);

#endif
