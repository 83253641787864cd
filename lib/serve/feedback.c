/* feedback.c - the POST /feedback contract: body validation, the feedback
 * record, its append to the spool, and the answers (feedback.h,
 * README "Feedback"). json-c: the request tree is built and put inside
 * feedback_parse. */
#include "feedback.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "chat.h"
#include "hex.h"
#include "jsonval.h"
#include "log.h"
#include "utf8.h"
#include "xalloc.h"

#define FEEDBACK_JSON_DEPTH	4	/* ours needs 1 */

static int feedback_fail(int *, int, char *, size_t, const char *, ...)
	__attribute__((format(printf, 5, 6)));

/* Report a client error; always returns -1. */
static int
feedback_fail(int *http_status, int status, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;

	*http_status = status;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Field key of o as a string in *out: 1 when it is one, 0 when it is
 * absent or null, -1 when it is another type or holds a NUL (which C
 * strings would silently cut at). */
static int
feedback_str(json_object *o, const char *key, const char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v))
		return -1;
	*out = json_object_get_string(v);
	return 1;
}

/* s as nbytes of id in lowercase hex into out (2 * nbytes + 1): either
 * case is taken, all zeros is not an id (W3C Trace Context). Returns 0 or
 * -1. */
static int
feedback_hex_id(const char *s, size_t nbytes, char *out)
{
	uint8_t id[16];
	uint8_t any = 0;

	if (s == NULL || nbytes > sizeof(id) || strlen(s) != 2 * nbytes ||
	    hex_decode(s, nbytes, id) == -1)
		return -1;
	for (size_t i = 0; i < nbytes; i++)
		any |= id[i];
	if (any == 0)
		return -1;
	hex_encode(id, nbytes, out);
	return 0;
}

/* The number of characters (code points) of strict UTF-8 text s. */
static size_t
feedback_chars(const char *s)
{
	size_t len = strlen(s), n = 0, k;

	for (size_t i = 0; i < len; i += k ? k : 1, n++)
		k = utf8_seqlen((const unsigned char *)s + i, len - i);
	return n;
}

/* Parse exactly len bytes as one JSON object. Returns 0, or -1 with 413
 * (too many values, counted before a tree is built), 400 or 422. */
static int
feedback_tokenize(const char *body, size_t len, json_object **root,
    int *http_status, char *err, size_t errlen)
{
	struct jsonval_shape shape;
	char why[JSONVAL_ERR_MAX];

	*root = NULL;
	if (len < INT_MAX)
		jsonval_shape(body, len, FEEDBACK_MAX_JSON_VALUES,
		    FEEDBACK_JSON_DEPTH, &shape);
	if (len >= INT_MAX || shape.values > FEEDBACK_MAX_JSON_VALUES)
		return feedback_fail(http_status, 413, err, errlen, "body "
		    "holds more than %d JSON values", FEEDBACK_MAX_JSON_VALUES);
	if (jsonval_parse(body, len, FEEDBACK_JSON_DEPTH, root, why,
	    sizeof(why), NULL) == -1)
		return feedback_fail(http_status, 400, err, errlen,
		    "malformed JSON: %s", why);
	if (!json_object_is_type(*root, json_type_object))
		return feedback_fail(http_status, 422, err, errlen,
		    "body must be a JSON object");
	return 0;
}

/* Every required field is there (null is not): the first missing one is
 * named. */
static int
feedback_required(json_object *o, int *http_status, char *err,
    size_t errlen)
{
	static const char *const keys[] = { "trace_id", "span_id",
	    "session_id", "label" };
	json_object *v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_object_get_ex(o, keys[i], &v) || v == NULL)
			return feedback_fail(http_status, 422, err, errlen,
			    "%s is required", keys[i]);
	return 0;
}

/* The ids, the session and the label, into r. */
static int
feedback_fields(json_object *o, struct feedrec *r, int *http_status,
    char *err, size_t errlen)
{
	const char *s;

	if (feedback_required(o, http_status, err, errlen) == -1)
		return -1;
	if (feedback_str(o, "trace_id", &s) != 1 ||
	    feedback_hex_id(s, 16, r->trace_id) == -1)
		return feedback_fail(http_status, 422, err, errlen,
		    "trace_id must be 32 hex digits, not all zeros");
	if (feedback_str(o, "span_id", &s) != 1 ||
	    feedback_hex_id(s, 8, r->span_id) == -1)
		return feedback_fail(http_status, 422, err, errlen,
		    "span_id must be 16 hex digits, not all zeros");
	if (feedback_str(o, "session_id", &s) != 1 ||
	    !chat_session_id_valid(s) || strlen(s) > FEEDREC_SESSION_MAX)
		return feedback_fail(http_status, 422, err, errlen,
		    "session_id must be 1-128 characters of "
		    "A-Z a-z 0-9 _ . : -");
	memcpy(r->session_id, s, strlen(s) + 1);
	if (feedback_str(o, "label", &s) != 1 ||
	    (r->up = feedrec_label_parse(s)) == -1)
		return feedback_fail(http_status, 422, err, errlen,
		    "label must be thumbs_up or thumbs_down");
	return 0;
}

/* The optional comment: absent, null or "" is none. */
static int
feedback_comment(json_object *o, struct feedrec *r, int *http_status,
    char *err, size_t errlen)
{
	const char *s;
	int rc;

	if ((rc = feedback_str(o, "comment", &s)) == -1 ||
	    (rc == 1 && feedback_chars(s) > FEEDREC_COMMENT_MAX))
		return feedback_fail(http_status, 422, err, errlen,
		    "comment must be a string of at most %d characters",
		    FEEDREC_COMMENT_MAX);
	if (rc == 1 && s[0] != '\0')
		r->comment = xstrdup(s);
	return 0;
}

static long long
feedback_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
feedback_parse(const char *body, size_t len, struct feedrec *r,
    int *http_status, char *err, size_t errlen)
{
	json_object *root = NULL;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	*http_status = 0;
	err[0] = '\0';
	if (feedback_tokenize(body, len, &root, http_status, err,
	    errlen) == -1 ||
	    feedback_fields(root, r, http_status, err, errlen) == -1 ||
	    feedback_comment(root, r, http_status, err, errlen) == -1)
		goto out;
	r->time_unix_nano = feedback_now_ns();
	feedrec_set_identifier(r);
	rc = 0;
out:
	json_object_put(root);
	if (rc == -1)
		feedrec_clear(r);
	return rc;
}

/* An answer: {"detail": detail} for an error, {"id": id} for 202. */
static void
feedback_answer(struct feedback_output *out, int status, const char *text)
{
	json_object *o;

	out->status = status;
	if (status != 202) {
		out->body = chat_error_json(text);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(text));
	out->body = xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* Append the record: 202, or 503 when the spool failed. */
static void
feedback_store(struct spool *sp, const struct feedrec *r,
    struct feedback_output *out)
{
	char detail[160];
	int saved;

	if (spool_append_feedback(sp, r) == 0) {
		feedback_answer(out, 202, r->identifier);
		return;
	}
	saved = errno;
	snprintf(detail, sizeof(detail), "feedback not stored (%s); try "
	    "again later", strerror(saved));
	log_warnx("feedback on span %s of trace %s not stored: %s",
	    r->span_id, r->trace_id, strerror(saved));
	feedback_answer(out, 503, detail);
}

void
feedback_handle(struct spool *sp, const struct feedback_input *in,
    struct feedback_output *out)
{
	struct feedrec r;
	char err[160];
	int status;

	memset(out, 0, sizeof(*out));
	if (in->method == NULL || strcmp(in->method, "POST") != 0) {
		out->headers = "Allow: POST\r\n";
		feedback_answer(out, 405, "method not allowed: use POST");
		return;
	}
	if (in->body == NULL) {
		feedback_answer(out, in->body_status ? in->body_status : 400,
		    in->body_error ? in->body_error : "no request body");
		return;
	}
	if (feedback_parse(in->body, in->body_len, &r, &status, err,
	    sizeof(err)) == -1) {
		feedback_answer(out, status, err);
		return;
	}
	feedback_store(sp, &r, out);
	feedrec_clear(&r);
}
