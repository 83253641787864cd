/* feedback.h - the POST /feedback contract: a user's 👍/👎 (and comment) on
 * one turn, validated, then appended to the spool as a feedback record
 * before the answer. Nothing goes over the network here: the flusher
 * ships the record. Transport-free, so the FastCGI program only moves
 * bytes. json-c: every tree is built and put inside feedback_parse;
 * answer bodies are the caller's to free(). */
#ifndef RC_FEEDBACK_H
#define RC_FEEDBACK_H

#include <stddef.h>

#include "feedrec.h"
#include "spool.h"

/* The largest body taken (nginx's client_max_body_size for /feedback is
 * the same): any JSON spelling of a comment of FEEDREC_COMMENT_MAX
 * characters fits, even one escaping each as a surrogate pair (12 bytes,
 * 24,000 in all), with the ids and room to spare. */
#define FEEDBACK_MAX_BODY	(32 * 1024)
/* JSON values a body may hold, counted before json-c builds a tree: the
 * five fields need five; a few unknown ones are ignored. */
#define FEEDBACK_MAX_JSON_VALUES	64

struct feedback_input {
	const char	*method;
	const char	*body;		/* NULL when reading it failed */
	size_t		 body_len;
	int		 body_status;	/* HTTP status of a failed read, or 0 */
	const char	*body_error;	/* its message */
};

struct feedback_output {
	int		 status;	/* 202, 400, 405, 411, 413, 422, 503 */
	char		*body;		/* JSON: {"id"} or {"detail"}; caller
					 * frees */
	const char	*headers;	/* extra header lines ("Allow: POST\r\n")
					 * or NULL; static */
};

/* Parse and validate a body: {"trace_id": 32 hex, "span_id": 16 hex,
 * "session_id": as /chat takes it, "label": "thumbs_up"|"thumbs_down",
 * "comment"?: string}. Hex ids of either case are taken and written in
 * lowercase; all zeros is refused. A comment that is absent, null or ""
 * means none; otherwise at most FEEDREC_COMMENT_MAX characters (code
 * points), kept verbatim. Unknown fields are ignored. Fills *r (its time
 * is now, its identifier the span's) and returns 0; or returns -1 with
 * *http_status (413 more than FEEDBACK_MAX_JSON_VALUES values, 400
 * malformed JSON, 422 a missing or bad field, named in err) and a message
 * for the client in err, *r cleared. Free r with feedrec_clear. */
int feedback_parse(const char *body, size_t len, struct feedrec *r,
    int *http_status, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Serve one request: 405 for a method other than POST, the read error of
 * in (411, 413, 400), the parse errors above, then the record appended
 * with spool_append_feedback and 202 {"id": identifier}. An append that
 * fails (not a full disk's counted drop) is 503. Always fills out; cannot
 * fail otherwise. */
void feedback_handle(struct spool *sp, const struct feedback_input *in,
    struct feedback_output *out);

#endif
