/* spanfilter.c - spool-tail's span selection (see spanfilter.h). */
#include "spanfilter.h"

#include <string.h>
#include <strings.h>

#include "tailview.h"

/* The trace id starts with prefix, in any case. */
static bool
spanfilter_trace(struct spanscan_str id, const char *prefix)
{
	size_t n = strlen(prefix);

	return id.ptr != NULL && id.len >= n &&
	    strncasecmp(id.ptr, prefix, n) == 0;
}

/* The OpenInference kind, or else the OTel kind's name, is kind. */
static bool
spanfilter_kind(const struct spanscan_span *s, const char *kind)
{
	if (s->oi_kind.ptr != NULL && s->oi_kind.len == strlen(kind) &&
	    strncasecmp(s->oi_kind.ptr, kind, s->oi_kind.len) == 0)
		return true;
	return strcasecmp(tailview_kind_name(s->kind), kind) == 0;
}

/* The latest vote on s's turn: on s itself, or on its parent (a turn's
 * LLM span is a child of the voted chat_turn span). */
static const struct feedrec *
spanfilter_vote(const struct feedidx *votes, const struct spanscan_span *s)
{
	const struct feedrec *r = NULL;
	char id[17];

	if (votes == NULL)
		return NULL;
	if (s->span_id.len == 16) {
		spanscan_unescape(s->span_id, id, sizeof(id), 0);
		r = feedidx_get(votes, id);
	}
	if (r == NULL && s->parent_span_id.len == 16) {
		spanscan_unescape(s->parent_span_id, id, sizeof(id), 0);
		r = feedidx_get(votes, id);
	}
	return r;
}

bool
spanfilter_match(const struct spanfilter *f, const struct spanscan_span *s)
{
	if (f->errors && s->status_code != 2)
		return false;
	if (f->since_ns != 0 && s->end_ns < f->since_ns)
		return false;
	if (f->session != NULL && !spanscan_eq(s->session_id, f->session))
		return false;
	if (f->trace != NULL && !spanfilter_trace(s->trace_id, f->trace))
		return false;
	if (f->kind != NULL && !spanfilter_kind(s, f->kind))
		return false;
	if (f->feedback != 0) {
		const struct feedrec *r = spanfilter_vote(f->votes, s);

		if (r == NULL || r->up != (f->feedback > 0))
			return false;
	}
	return true;
}
