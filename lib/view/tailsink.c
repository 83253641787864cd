/* tailsink.c - spool-tail's views fed span by span (see tailsink.h). */
#include "tailsink.h"

#include <stdlib.h>

#include "log.h"
#include "sessions.h"
#include "spanheap.h"
#include "spanjson.h"
#include "xalloc.h"

struct tailsink {
	enum tailsink_mode	 mode;
	const struct spanfilter	*flt;
	const struct tailview_opts *view;
	FILE			*out;
	int			 live;		/* the history is shown */
	struct spanheap		*recent;	/* -n newest, then follow */
	struct tailview_trees	*trees;
	struct sessions		*sessions;
	struct spanjson		 json;		/* of the current line */
	struct tailview_seen	*seen;		/* turns printed */
	uint64_t		 bad_lines, reported_bad;
};

struct tailsink *
tailsink_new(enum tailsink_mode mode, size_t keep, const struct spanfilter *f,
    const struct tailview_opts *o, FILE *out)
{
	struct tailsink *ts = xcalloc(1, sizeof(*ts));

	ts->mode = mode;
	ts->flt = f;
	ts->view = o;
	ts->out = out;
	ts->seen = tailview_seen_new();
	ts->recent = spanheap_new(mode == TAILSINK_LINES ? keep : 0);
	spanjson_init(&ts->json);
	ts->trees = mode == TAILSINK_TREE ? tailview_trees_new() : NULL;
	ts->sessions = mode == TAILSINK_SESSIONS ? sessions_new() : NULL;
	if (ts->sessions != NULL)
		sessions_set_votes(ts->sessions, f->votes);
	return ts;
}

void
tailsink_free(struct tailsink *ts)
{
	if (ts == NULL)
		return;
	tailview_trees_free(ts->trees);
	sessions_free(ts->sessions);
	spanheap_free(ts->recent);
	spanjson_cleanup(&ts->json);
	tailview_seen_free(ts->seen);
	free(ts);
}

static void
tailsink_print(const struct spanscan_span *s, void *arg)
{
	struct tailsink *ts = arg;

	tailview_line(ts->out, s, ts->view);
	tailview_seen_add(ts->seen, s);
}

static int
tailsink_span(const struct spanscan_span *s, void *arg)
{
	struct tailsink *ts = arg;

	if (!spanfilter_match(ts->flt, s))
		return 0;
	switch (ts->mode) {
	case TAILSINK_LINES:
		if (ts->live)
			tailsink_print(s, ts);
		else
			spanheap_add(ts->recent, s);
		break;
	case TAILSINK_TREE:
		tailview_trees_add(ts->trees, s);
		break;
	case TAILSINK_SESSIONS:
		sessions_add(ts->sessions, s);
		break;
	case TAILSINK_JSON:
		spanjson_select(&ts->json, s);
		break;
	}
	return 0;
}

int
tailsink_line(const char *line, size_t len, void *arg)
{
	struct tailsink *ts = arg;
	int nspans;

	spanjson_reset(&ts->json);
	if ((nspans = spanscan_line(line, len, tailsink_span, ts)) == -1) {
		ts->bad_lines++;
		return -1;
	}
	if (ts->mode == TAILSINK_JSON && spanjson_write(&ts->json, ts->out,
	    line, len, (size_t)nspans) == -1)
		log_debug("%s: a line too long for --json left out", __func__);
	return 0;
}

void
tailsink_history_end(struct tailsink *ts)
{
	if (ts->mode == TAILSINK_LINES)
		spanheap_drain(ts->recent, tailsink_print, ts);
	else if (ts->mode == TAILSINK_TREE)
		tailview_trees_print(ts->out, ts->trees, ts->view);
	else if (ts->mode == TAILSINK_SESSIONS)
		sessions_print(ts->out, ts->sessions, ts->view);
	ts->live = 1;
}

void
tailsink_vote(struct tailsink *ts, const struct feedrec *v)
{
	if (v != NULL && ts->mode == TAILSINK_LINES &&
	    (spanfilter_vote_wanted(ts->flt, v) ||
	    tailview_seen_has(ts->seen, v->span_id)))
		tailview_vote_line(ts->out, v, ts->view);
}

uint64_t
tailsink_new_bad_lines(struct tailsink *ts)
{
	uint64_t n = ts->bad_lines - ts->reported_bad;

	ts->reported_bad = ts->bad_lines;
	return n;
}
