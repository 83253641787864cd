/* tailsink.h - where spool-tail's selected spans go, by mode: the newest
 * N lines of the history and then each span as it comes, trees, the
 * sessions table or OTLP/JSON lines; and the vote lines that come while
 * following. It takes spool lines (a spoolwalk_fn) and writes the views
 * of lib/view to one stream. */
#ifndef RC_TAILSINK_H
#define RC_TAILSINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "feedrec.h"
#include "spanfilter.h"
#include "tailview.h"

enum tailsink_mode {
	TAILSINK_LINES = 0,	/* a line per span (tailview_line) */
	TAILSINK_TREE,		/* traces as trees (tailview_trees) */
	TAILSINK_SESSIONS,	/* the sessions table (sessions) */
	TAILSINK_JSON,		/* the spans as OTLP/JSON lines (spanjson) */
};

struct tailsink;

/* A sink of mode for the spans f passes, written to out with o (votes
 * beside turns from o->votes; TAILSINK_SESSIONS counts f->votes). keep is
 * how many of the history's newest spans TAILSINK_LINES shows. f, o and
 * out stay the caller's and must outlive ts. Cannot fail (out of memory
 * aborts). Free with tailsink_free. */
struct tailsink *tailsink_new(enum tailsink_mode mode, size_t keep,
    const struct spanfilter *f, const struct tailview_opts *o, FILE *out);
/* Free ts and what it gathered. NULL is ignored. */
void tailsink_free(struct tailsink *ts);
/* Take one spool line of spans (without its '\n'): the spans f passes go
 * to the mode's view; TAILSINK_JSON writes the line's selected spans at
 * once, TAILSINK_LINES after tailsink_history_end at once. Returns 0, or
 * -1 for a line that does not parse (counted; the walk goes on either
 * way, the signature is spoolwalk_fn's). */
int tailsink_line(const char *line, size_t len, void *ts);
/* The history is read: print it (the newest keep lines, the trees or the
 * sessions table; nothing for TAILSINK_JSON), and from now on show lines
 * as they come. Write errors are out's to report. */
void tailsink_history_end(struct tailsink *ts);
/* A vote that came while following (TAILSINK_LINES only, v not NULL):
 * its own line when its turn was shown, or when it is one f's --feedback
 * asks for (the turn shown before anyone voted on it). */
void tailsink_vote(struct tailsink *ts, const struct feedrec *v);
/* Span lines found unparsable or torn since the last call. Cannot fail. */
uint64_t tailsink_new_bad_lines(struct tailsink *ts);

#endif
