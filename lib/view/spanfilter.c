/* spanfilter.c - spool-tail's span selection (see spanfilter.h). */
#include "spanfilter.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tailview.h"
#include "timearg.h"

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

bool
spanfilter_vote_wanted(const struct spanfilter *f, const struct feedrec *r)
{
	return f->feedback != 0 && (f->feedback > 0) == (r->up != 0) &&
	    (f->session == NULL || strcmp(f->session, r->session_id) == 0) &&
	    (f->trace == NULL || strncasecmp(r->trace_id, f->trace,
	    strlen(f->trace)) == 0);
}

/* --feedback's argument: 1 for up, -1 for down, 0 for anything else. */
static int
spanfilter_feedback_arg(const char *arg)
{
	if (strcmp(arg, "up") == 0)
		return 1;
	if (strcmp(arg, "down") == 0)
		return -1;
	return 0;
}

int
spanfilter_option(struct spanfilter *f, const char *name, const char *value,
    uint64_t now_ns, char *err, size_t errlen)
{
	if (strcmp(name, "session") == 0)
		f->session = value;
	else if (strcmp(name, "trace") == 0)
		f->trace = value;
	else if (strcmp(name, "kind") == 0)
		f->kind = value;
	else if (strcmp(name, "errors") == 0)
		f->errors = 1;
	else if (strcmp(name, "feedback") == 0) {
		if ((f->feedback = spanfilter_feedback_arg(value)) == 0)
			goto bad;
	} else if (strcmp(name, "since") == 0) {
		if (timearg_parse(value, now_ns, &f->since_ns) == -1)
			goto bad;
	} else {
		snprintf(err, errlen, "not a filter option");
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "'%s' is neither %s", value,
	    strcmp(name, "feedback") == 0 ? "up nor down" : "a duration "
	    "(10m, 2h, 1d) nor a time (2026-11-24T10:00:00Z)");
	return -1;
}
