/* feedrec.h - the feedback record: a user's 👍/👎 (and comment) on one
 * chat_turn span, as one spool line of kind SPOOLFMT_KIND_FEEDBACK. The
 * only writer and reader of that line: /feedback builds it, the flusher
 * ships it as a Phoenix span annotation, the viewers show it. The line
 * itself: docs/spool-format.md. */
#ifndef RC_FEEDREC_H
#define RC_FEEDREC_H

#include <stddef.h>

#include "buf.h"

/* A comment is at most this many characters (Unicode code points). */
#define FEEDREC_COMMENT_MAX	2000
/* The annotation's name in Phoenix. */
#define FEEDREC_NAME		"user_feedback"
/* Room for an identifier and its NUL: "fb-" and the span id. */
#define FEEDREC_ID_MAX		24
#define FEEDREC_SESSION_MAX	128

struct feedrec {
	char		 trace_id[33];	/* 32 lowercase hex, not all zeros */
	char		 span_id[17];	/* 16 lowercase hex, not all zeros */
	char		 session_id[FEEDREC_SESSION_MAX + 1];
	int		 up;		/* 1 thumbs_up (score 1), 0 thumbs_down
					 * (score 0) */
	char		*comment;	/* NULL: none; owned, NUL-terminated
					 * UTF-8 */
	long long	 time_unix_nano; /* when the user voted */
	char		 identifier[FEEDREC_ID_MAX]; /* stable per span: a
					 * changed vote replaces the first */
};

/* "thumbs_up" or "thumbs_down". Cannot fail. */
const char *feedrec_label(int up);
/* The label's value: 1 for "thumbs_up", 0 for "thumbs_down", -1 for
 * anything else. Cannot fail. */
int feedrec_label_parse(const char *label);
/* Fill r->identifier from r->span_id. Cannot fail. */
void feedrec_set_identifier(struct feedrec *r);
/* Append r as one spool line, '\n' included:
 *	{"feedback":{"traceId":..,"spanId":..,"sessionId":..,
 *	 "label":"thumbs_up","score":1,"comment":..,"identifier":..,
 *	 "timeUnixNano":"<decimal>"}}
 * ("comment" only when r->comment is not NULL). r must be valid (as
 * feedrec_parse would take it). Returns 0, or -1 at b's limit (b then holds
 * a partial line that must not be written). */
int feedrec_line(struct buf *b, const struct feedrec *r)
	__attribute__((warn_unused_result));
/* Read one line (without its '\n') of kind SPOOLFMT_KIND_FEEDBACK into *r:
 * strict JSON (jsonval), every field present with its type and rule (ids
 * as above, session id as /chat takes it, label and score agreeing, a
 * comment of at most FEEDREC_COMMENT_MAX characters, the identifier the
 * one feedrec_set_identifier makes); unknown fields are ignored. Returns 0,
 * or -1 with the reason in err and *r cleared. Free with feedrec_clear. */
int feedrec_parse(const char *line, size_t len, struct feedrec *r, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/* Free r's comment and zero r. Cannot fail. */
void feedrec_clear(struct feedrec *r);

#endif
