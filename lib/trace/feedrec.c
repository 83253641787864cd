/* feedrec.c - the feedback record's spool line (see feedrec.h and
 * docs/spool-format.md). */
#include "feedrec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "chat.h"
#include "jsonval.h"
#include "spoolfmt.h"
#include "xalloc.h"

#define FEEDREC_ID_PREFIX	"fb-"
#define FEEDREC_JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | \
    JSON_C_TO_STRING_NOSLASHESCAPE)

const char *
feedrec_label(int up)
{
	return up ? "thumbs_up" : "thumbs_down";
}

int
feedrec_label_parse(const char *label)
{
	if (label == NULL)
		return -1;
	if (strcmp(label, "thumbs_up") == 0)
		return 1;
	if (strcmp(label, "thumbs_down") == 0)
		return 0;
	return -1;
}

void
feedrec_set_identifier(struct feedrec *r)
{
	snprintf(r->identifier, sizeof(r->identifier), FEEDREC_ID_PREFIX "%s",
	    r->span_id);
}

/* 1 when s is n lowercase hex digits, not all zeros. */
static int
feedrec_hex_id(const char *s, size_t n)
{
	size_t i;
	int nonzero = 0;

	if (s == NULL || strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
		nonzero |= s[i] != '0';
	}
	return nonzero;
}

/* The number of code points in valid UTF-8 text s. */
static size_t
feedrec_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int
feedrec_line(struct buf *b, const struct feedrec *r)
{
	json_object *root, *o;
	const char *text;
	char ns[24];
	int rc;

	o = json_object_new_object();
	json_object_object_add(o, "traceId", json_object_new_string(r->trace_id));
	json_object_object_add(o, "spanId", json_object_new_string(r->span_id));
	json_object_object_add(o, "sessionId",
	    json_object_new_string(r->session_id));
	json_object_object_add(o, "label",
	    json_object_new_string(feedrec_label(r->up)));
	json_object_object_add(o, "score", json_object_new_int(r->up ? 1 : 0));
	if (r->comment != NULL)
		json_object_object_add(o, "comment",
		    json_object_new_string(r->comment));
	json_object_object_add(o, "identifier",
	    json_object_new_string(r->identifier));
	snprintf(ns, sizeof(ns), "%lld", r->time_unix_nano);
	json_object_object_add(o, "timeUnixNano", json_object_new_string(ns));
	root = json_object_new_object();
	json_object_object_add(root, "feedback", o);
	text = json_object_to_json_string_ext(root, FEEDREC_JSON_FLAGS);
	rc = buf_append(b, text, strlen(text)) == -1 ||
	    buf_append(b, "\n", 1) == -1 ? -1 : 0;
	json_object_put(root);
	return rc;
}

/* The string field key of o, or NULL when it is missing or not a string. */
static const char *
feedrec_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	/* A NUL inside the string would cut it short: refuse it. */
	if (strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v))
		return NULL;
	return json_object_get_string(v);
}

static int
feedrec_fail(struct feedrec *r, json_object *root, char *err, size_t errlen,
    const char *why)
{
	snprintf(err, errlen, "%s", why);
	json_object_put(root);
	feedrec_clear(r);
	return -1;
}

/* Read "timeUnixNano", a decimal string of a non-negative 64-bit integer. */
static int
feedrec_time(json_object *o, long long *out)
{
	const char *s = feedrec_str(o, "timeUnixNano");
	char *end;
	long long v;

	if (s == NULL || s[0] < '0' || s[0] > '9' ||
	    (s[0] == '0' && s[1] != '\0') || strlen(s) > 19)
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 0)
		return -1;
	*out = v;
	return 0;
}

int
feedrec_parse(const char *line, size_t len, struct feedrec *r, char *err,
    size_t errlen)
{
	json_object *root = NULL, *o, *v;
	const char *s;
	char why[JSONVAL_ERR_MAX];
	int64_t score;

	memset(r, 0, sizeof(*r));
	if (spoolfmt_line_kind(line, len) != SPOOLFMT_KIND_FEEDBACK)
		return feedrec_fail(r, NULL, err, errlen,
		    "not a feedback line");
	if (jsonval_parse(line, len, SPOOLFMT_DEPTH_MAX, &root, why,
	    sizeof(why), NULL) == -1) {
		snprintf(err, errlen, "not JSON: %s", why);
		return -1;
	}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "feedback", &o) ||
	    !json_object_is_type(o, json_type_object))
		return feedrec_fail(r, root, err, errlen,
		    "\"feedback\" is not an object");
	if (!feedrec_hex_id(s = feedrec_str(o, "traceId"), 32))
		return feedrec_fail(r, root, err, errlen,
		    "traceId is not 32 lowercase hex digits");
	memcpy(r->trace_id, s, 33);
	if (!feedrec_hex_id(s = feedrec_str(o, "spanId"), 16))
		return feedrec_fail(r, root, err, errlen,
		    "spanId is not 16 lowercase hex digits");
	memcpy(r->span_id, s, 17);
	if ((s = feedrec_str(o, "sessionId")) == NULL ||
	    !chat_session_id_valid(s) || strlen(s) > FEEDREC_SESSION_MAX)
		return feedrec_fail(r, root, err, errlen,
		    "sessionId is not a session id");
	memcpy(r->session_id, s, strlen(s) + 1);
	if ((r->up = feedrec_label_parse(feedrec_str(o, "label"))) == -1)
		return feedrec_fail(r, root, err, errlen,
		    "label is neither thumbs_up nor thumbs_down");
	if (!json_object_object_get_ex(o, "score", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (score = json_object_get_int64(v)) != (r->up ? 1 : 0))
		return feedrec_fail(r, root, err, errlen,
		    "score does not match the label");
	if (json_object_object_get_ex(o, "comment", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if ((s = feedrec_str(o, "comment")) == NULL ||
		    feedrec_chars(s) > FEEDREC_COMMENT_MAX)
			return feedrec_fail(r, root, err, errlen,
			    "comment is not a string of at most 2000 "
			    "characters");
		r->comment = xstrdup(s);
	}
	feedrec_set_identifier(r);
	if ((s = feedrec_str(o, "identifier")) == NULL ||
	    strcmp(s, r->identifier) != 0)
		return feedrec_fail(r, root, err, errlen,
		    "identifier is not the span's");
	if (feedrec_time(o, &r->time_unix_nano) == -1)
		return feedrec_fail(r, root, err, errlen,
		    "timeUnixNano is not a decimal string");
	json_object_put(root);
	return 0;
}

void
feedrec_clear(struct feedrec *r)
{
	free(r->comment);
	memset(r, 0, sizeof(*r));
}
