/* sessions.h - spans grouped by session.id the way Phoenix's Sessions view
 * counts them, and that view as a table. Memory grows with the sessions
 * and root traces, never with the spans. */
#ifndef RC_SESSIONS_H
#define RC_SESSIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "feedidx.h"
#include "spanscan.h"
#include "tailview.h"

/* Bytes kept of a session id (longer ones are told apart by this prefix)
 * and of a first input / last output, which are also cut to
 * SESSIONS_TEXT_COLS columns (Phoenix lists the first 101 characters). */
#define SESSIONS_ID_MAX		256
#define SESSIONS_TEXT_MAX	256
#define SESSIONS_TEXT_COLS	101

/* What the table shows of one session. */
struct sessions_row {
	const char	*id;
	uint64_t	 turns;		/* traces with a root span here */
	uint64_t	 tokens;	/* llm.token_count of LLM spans */
	uint64_t	 errors;	/* spans with status ERROR */
	uint64_t	 up, down;	/* spans whose latest vote is 👍, 👎 */
	uint64_t	 first_seen_ns;	/* earliest span start */
	uint64_t	 last_activity_ns; /* latest span end */
	const char	*first_input;	/* of the earliest root span */
	const char	*last_output;	/* of the latest root span */
};

struct sessions;

/* An empty set. Never fails (abort on OOM); the caller frees it with
 * sessions_free. */
struct sessions *sessions_new(void);
/* Free ss and every string sessions_get handed out; NULL is fine. */
void sessions_free(struct sessions *ss);

/* Count votes from now on: a span added later whose id has a vote in
 * votes counts that vote (👍 or 👎) in its session, once however often
 * the span is added; the table gets a column for each. votes is the
 * caller's and must outlive ss; NULL counts none and drops the columns.
 * Read every vote before adding spans: the vote a span has when it is
 * added is the one counted. Cannot fail. */
void sessions_set_votes(struct sessions *ss, const struct feedidx *votes);

/* Count one span in its session; spans without a session.id are ignored.
 * Never fails (abort on OOM); nothing of s is kept, the strings shown are
 * copied. Allocates only for a new session or a new root trace. A root span is
 * one without parentSpanId; a trace counts once however often its root
 * span is added. Tokens: llm.token_count.total of spans whose
 * openinference.span.kind is LLM, prompt + completion when the total is
 * absent. */
void sessions_add(struct sessions *ss, const struct spanscan_span *s);

/* The number of sessions seen (0 for NULL). Cannot fail. */
size_t sessions_count(const struct sessions *ss);

/* Fill row with session id's figures; the strings belong to ss (valid
 * until sessions_free, their content follows later sessions_add calls).
 * Returns 0, or -1 when there is no such session. */
int sessions_get(const struct sessions *ss, const char *id,
    struct sessions_row *row) __attribute__((warn_unused_result));

/* The table: a header line, then one line per session, the most recent
 * last activity at the bottom (nearest the prompt), columns fitted to
 * o->width: session id, turns, first input, last output, tokens, errors,
 * with votes 👍 and 👎 (UP and DOWN with o->ascii), last activity (local time, or UTC with o->utc). Colours with o->color.
 * Nothing for a NULL ss; never fails (abort on OOM), write errors are
 * out's to report. */
void sessions_print(FILE *out, const struct sessions *ss,
    const struct tailview_opts *o);

#endif
