/* votewalk.c - the votes of a spool kept indexed (see votewalk.h). */
#include "votewalk.h"

#include <stdlib.h>

#include "log.h"
#include "xalloc.h"

struct votewalk {
	struct spoolwalk	*walk;
	struct feedidx		*votes;
	votewalk_fn		 fn;		/* of the current poll */
	void			*arg;
	uint64_t		 reported_bad;
};

/* One feedback line: indexed, then fn told the latest vote on its span. */
static int
votewalk_line(const char *line, size_t len, void *arg)
{
	struct votewalk *vw = arg;
	const struct feedrec *latest = NULL;
	struct feedrec r;
	char err[256];

	if (feedidx_add(vw->votes, line, len, err, sizeof(err)) == -1)
		log_debug("%s: %s", __func__, err);
	else if (vw->fn != NULL &&
	    feedrec_parse(line, len, &r, err, sizeof(err)) == 0) {
		latest = feedidx_get(vw->votes, r.span_id);
		feedrec_clear(&r);
	}
	return vw->fn != NULL ? vw->fn(latest, vw->arg) : 0;
}

struct votewalk *
votewalk_open(const char *dir, char *err, size_t errlen)
{
	struct votewalk *vw;
	struct spoolwalk *w;

	if ((w = spoolwalk_open(dir, SPOOLFMT_KIND_FEEDBACK, err,
	    errlen)) == NULL)
		return NULL;
	vw = xcalloc(1, sizeof(*vw));
	vw->walk = w;
	vw->votes = feedidx_new();
	(void)spoolwalk_read_all(vw->walk, votewalk_line, vw);
	return vw;
}

void
votewalk_free(struct votewalk *vw)
{
	if (vw == NULL)
		return;
	spoolwalk_free(vw->walk);
	feedidx_free(vw->votes);
	free(vw);
}

const struct feedidx *
votewalk_votes(const struct votewalk *vw)
{
	return vw->votes;
}

int
votewalk_poll(struct votewalk *vw, votewalk_fn fn, void *arg)
{
	int rc;

	vw->fn = fn;
	vw->arg = arg;
	rc = spoolwalk_poll(vw->walk, votewalk_line, vw);
	vw->fn = NULL;
	vw->arg = NULL;
	return rc;
}

int
votewalk_poll_spans(struct votewalk *vw, votewalk_fn vfn,
    struct spoolwalk *spans, spoolwalk_fn sfn, void *arg)
{
	if (votewalk_poll(vw, vfn, arg) == -1)
		return -1;
	return spoolwalk_poll(spans, sfn, arg);
}

uint64_t
votewalk_new_bad_lines(struct votewalk *vw)
{
	uint64_t bad = feedidx_stats(vw->votes)->bad_lines;
	uint64_t n = bad - vw->reported_bad;

	vw->reported_bad = bad;
	return n;
}
