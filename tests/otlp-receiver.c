/* otlp-receiver.c - an OTLP/HTTP trace receiver for tests that answers as
 * Phoenix does, logs each accepted request as a JSON line, and misbehaves on
 * request (POST /control); --encode turns OTLP/JSON lines into a request.
 * /stats counts every POST /v1/traces as a request; accepted ones are those
 * answered 200 (and logged), spans the spans in them. Like Phoenix under
 * uvicorn it closes keep-alive connections idle for 5 s, and with --api-key
 * it answers 401 without the key, as Phoenix with auth on. POST
 * /v1/span_annotations is Phoenix's too (validation, answers, upserts), with
 * a mode of its own; accepted annotations go to --annotations F. */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <zlib.h>

#include "buf.h"
#include "log.h"
#include "otlp.h"
#include "otlpcheck.h"
#include "otlpjson.h"
#include "testhttp.h"

#include <ctype.h>
#include <fcntl.h>
#include <strings.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECV_MAX_BODY		(64 * 1024 * 1024)	/* as sent */
#define RECV_MAX_INFLATED	(128 * 1024 * 1024)	/* after inflate */
#define RECV_MAX_CONTROL	256
#define RECV_HOLD_POLL		50	/* ms between checks while silent */
#define RECV_IDLE_MS		5000	/* uvicorn's timeout_keep_alive */
#define RECV_MAX_IDLE_MS	3600000

enum mode { MODE_OK, MODE_503, MODE_429, MODE_400, MODE_SILENCE,
    MODE_PARTIAL, MODE_FAIL_NEXT, MODE_REFUSE };

#define RECV_MARKER_MAX	64

/* Control words; arguments are checked against [min, max]. */
static const struct mode_word {
	const char	*word;
	enum mode	 mode;
	int		 nargs;
	long		 min[2], max[2];
} mode_words[] = {
	{ "ok",		MODE_OK,	0, { 0 }, { 0 } },
	{ "503",	MODE_503,	0, { 0 }, { 0 } },
	{ "400",	MODE_400,	0, { 0 }, { 0 } },
	{ "silence",	MODE_SILENCE,	0, { 0 }, { 0 } },
	{ "429",	MODE_429,	1, { 0 }, { 86400 } },
	{ "partial",	MODE_PARTIAL,	1, { 0 }, { 1000000000 } },
	{ "fail-next",	MODE_FAIL_NEXT,	2, { 1, 400 }, { 1000000, 599 } },
	/* "refuse TEXT": 422 for a request holding TEXT, others accepted. */
	{ "refuse",	MODE_REFUSE,	0, { 0 }, { 0 } },
};

struct control {
	const struct mode_word	*w;
	long			 arg[2];	/* fail-next: left, status */
	char			 marker[RECV_MARKER_MAX]; /* refuse */
};

/* Everything requests share, under lock. */
static struct {
	pthread_mutex_t	 lock;
	struct control	 ctl;
	unsigned	 gen;		/* bumped by each POST /control */
	long		 requests, accepted, spans;
	long		 unauthorized, idle_closed, disagreements;
	int		 log_fd;
	const char	*api_key;	/* or NULL: no auth, as Phoenix's default */
	const char	*dump_dir;	/* or NULL: accepted bodies not kept */
} st = { .lock = PTHREAD_MUTEX_INITIALIZER, .ctl = { mode_words, { 0 } },
    .log_fd = -1 };

/* POST /v1/span_annotations (below): its rows, mode and known spans. */
#define ANNOT_MAX_KEYS	(1 << 20)

struct annot {				/* one (name, span_id, identifier) */
	char	*name, *span_id, *identifier;
	long	 id;			/* the row id Phoenix would give */
};

static struct {
	struct control	 ctl;
	unsigned	 gen;
	long		 requests, accepted, unauthorized, rows;
	struct annot	*v;
	size_t		 n;
	char		**spans;	/* span ids accepted on /v1/traces */
	size_t		 nspans, capspans;
	int		 log_fd;
} an = { .ctl = { mode_words, { 0 } }, .log_fd = -1 };

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: otlp-receiver --listen ADDR:PORT [--port-file F] "
	    "[--log F] [--down-file F]\n"
	    "           [--idle-timeout MS] [--api-key KEY] [--dump DIR]\n"
	    "           [--datasets-log F] [--annotations F]\n"
	    "       otlp-receiver --encode < otlp.jsonl > request.pb\n"
	    "  POST /v1/traces as Phoenix; POST /control with ok | 503 | "
	    "429 SECS | 400 |\n  silence | partial N | fail-next K STATUS | "
	    "refuse TEXT; "
	    "GET /stats\n"
	    "  --idle-timeout MS  close keep-alive connections idle MS ms "
	    "(default 5000,\n                     uvicorn's; 0: never)\n"
	    "  --api-key KEY      /v1/traces answers 401 without "
	    "\"Authorization: Bearer KEY\"\n"
	    "  --dump DIR         keep each accepted request's protobuf "
	    "as DIR/N.pb\n"
	    "  --annotations F    log each accepted span annotation as a "
	    "JSON line in F\n"
	    "  POST /v1/span_annotations[?sync=true] as Phoenix 20.26.1; its "
	    "own mode\n  through POST /control/annotations (same words)\n"
	    "  POST /v1/datasets/upload (JSON) as Phoenix; --datasets-log F "
	    "logs each\n  accepted upload as a JSON line\n");
}

static int
answer_text(const struct testhttp_request *rq, int status, const char *extra,
    const char *text)
{
	/* Phoenix's handler for HTTP errors answers the detail as plain
	 * text, with no newline. */
	return testhttp_respond(rq, status, "text/plain; charset=utf-8", extra,
	    text, strlen(text));
}

/* Strict decimal in [min, max]. */
static int
parse_num(const char *s, long min, long max, long *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	*out = strtol(s, &end, 10);
	return *end == '\0' && *out >= min && *out <= max ? 0 : -1;
}

/* Parse a control text such as "fail-next 2 503". Returns 0 or -1. */
static int
parse_control(char *text, struct control *c)
{
	char *tok[3], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(text, " \t\r\n", &save); t != NULL;
	    t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == 3)
			return -1;
		tok[n++] = t;
	}
	if (n == 0)
		return -1;
	if (strcmp(tok[0], "refuse") == 0) {	/* its argument is text */
		if (n != 2 || strlen(tok[1]) >= sizeof(c->marker))
			return -1;
		snprintf(c->marker, sizeof(c->marker), "%s", tok[1]);
		c->w = &mode_words[sizeof(mode_words) / sizeof(mode_words[0]) - 1];
		return 0;
	}
	for (size_t i = 0; i < sizeof(mode_words) / sizeof(mode_words[0]);
	    i++) {
		const struct mode_word *w = &mode_words[i];

		if (strcmp(tok[0], w->word) != 0 || n != w->nargs + 1)
			continue;
		for (int a = 0; a < w->nargs; a++)
			if (parse_num(tok[a + 1], w->min[a], w->max[a],
			    &c->arg[a]) == -1)
				return -1;
		c->w = w;
		return 0;
	}
	return -1;
}

/* The mode as a control text would set it; caller holds the lock. */
static void
mode_text(char *out, size_t outlen)
{
	const struct control *c = &st.ctl;

	if (c->w->nargs == 0)
		snprintf(out, outlen, "%s", c->w->word);
	else if (c->w->nargs == 1)
		snprintf(out, outlen, "%s %ld", c->w->word, c->arg[0]);
	else
		snprintf(out, outlen, "%s %ld %ld", c->w->word, c->arg[0],
		    c->arg[1]);
}

static int
serve_control(const struct testhttp_request *rq)
{
	struct control c = { 0 };
	char text[RECV_MAX_CONTROL];

	if (rq->body_len >= sizeof(text))
		return answer_text(rq, 400, NULL, "control text too long\n");
	memcpy(text, rq->body, rq->body_len + 1);
	if (parse_control(text, &c) == -1)
		return answer_text(rq, 400, NULL, "unknown control\n");
	pthread_mutex_lock(&st.lock);
	st.ctl = c;
	st.gen++;
	pthread_mutex_unlock(&st.lock);
	return answer_text(rq, 200, NULL, "ok\n");
}

static int
serve_stats(const struct testhttp_request *rq)
{
	char mode[64], amode[64], body[640];
	struct control saved;
	int n;

	pthread_mutex_lock(&st.lock);
	mode_text(mode, sizeof(mode));
	saved = st.ctl;
	st.ctl = an.ctl;
	mode_text(amode, sizeof(amode));
	st.ctl = saved;
	n = snprintf(body, sizeof(body), "{\"requests\":%ld,\"accepted\":%ld,"
	    "\"spans\":%ld,\"unauthorized\":%ld,\"idle_closed\":%ld,"
	    "\"disagreements\":%ld,\"mode\":\"%s\","
	    "\"annotation_requests\":%ld,\"annotations\":%ld,"
	    "\"annotations_distinct\":%zu,\"annotation_unauthorized\":%ld,"
	    "\"annotation_mode\":\"%s\"}\n", st.requests,
	    st.accepted, st.spans, st.unauthorized, st.idle_closed,
	    st.disagreements, mode, an.requests, an.accepted, an.n,
	    an.unauthorized, amode);
	pthread_mutex_unlock(&st.lock);
	return testhttp_respond(rq, 200, "application/json", NULL, body,
	    (size_t)n);
}

/* What to do with a /v1/traces request under the current mode. */
struct verdict {
	long		n;		/* the request's number, from 1 */
	enum mode	mode;
	long		arg;		/* seconds, rejected spans, or status */
	unsigned	gen;
	char		marker[RECV_MARKER_MAX];	/* refuse */
};

/* The verdict of control c for a request counted in *requests. */
static void
take_verdict_of(struct control *c, long *requests, struct verdict *v)
{
	pthread_mutex_lock(&st.lock);
	v->n = ++*requests;
	v->mode = c->w->mode;
	v->arg = c->w->mode == MODE_FAIL_NEXT ? c->arg[1] : c->arg[0];
	v->gen = st.gen;
	memcpy(v->marker, c->marker, sizeof(v->marker));
	if (c->w->mode == MODE_FAIL_NEXT && --c->arg[0] == 0)
		c->w = &mode_words[0];		/* back to ok */
	pthread_mutex_unlock(&st.lock);
}

static void
take_verdict(struct verdict *v)
{
	take_verdict_of(&st.ctl, &st.requests, v);
}

/* Hold the request unanswered until the mode changes or the client goes;
 * then close the connection. */
static int
hold(const struct testhttp_request *rq, unsigned gen)
{
	struct pollfd pfd = { .fd = rq->fd, .events = POLLRDHUP };
	unsigned now;

	for (;;) {
		if (poll(&pfd, 1, RECV_HOLD_POLL) == 1 && (pfd.revents &
		    (POLLRDHUP | POLLHUP | POLLERR)) != 0)
			return -1;
		pthread_mutex_lock(&st.lock);
		now = st.gen;
		pthread_mutex_unlock(&st.lock);
		if (now != gen)
			return -1;
	}
}

static int
answer_mode(const struct testhttp_request *rq, const struct verdict *v)
{
	char extra[64];

	switch (v->mode) {
	case MODE_503:
		return answer_text(rq, 503, NULL, "Service Unavailable\n");
	case MODE_429:
		snprintf(extra, sizeof(extra), "Retry-After: %ld\r\n", v->arg);
		return answer_text(rq, 429, extra, "Too Many Requests\n");
	case MODE_400:
		return answer_text(rq, 400, NULL, "bad request from test");
	case MODE_FAIL_NEXT:
		return answer_text(rq, (int)v->arg, NULL,
		    testhttp_reason((int)v->arg));
	case MODE_SILENCE:
		return hold(rq, v->gen);
	default:
		return -1;
	}
}

/* Inflate a gzip (window 15 + 16) or zlib (15) body into out. Returns 0,
 * or the status that refuses it. */
static int
inflate_body(const struct testhttp_request *rq, int window, struct buf *out)
{
	z_stream z = { 0 };
	unsigned char chunk[64 * 1024];
	int zrc = Z_OK, status = 422;

	if (inflateInit2(&z, window) != Z_OK)
		return 500;
	z.next_in = (unsigned char *)rq->body;
	z.avail_in = (uInt)rq->body_len;
	while (zrc == Z_OK) {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zrc = inflate(&z, Z_NO_FLUSH);
		if ((zrc == Z_OK || zrc == Z_STREAM_END) && buf_append(out,
		    chunk, sizeof(chunk) - z.avail_out) == -1) {
			status = 413;
			goto out;
		}
	}
	if (zrc == Z_STREAM_END && z.avail_in == 0)
		status = 0;
out:
	inflateEnd(&z);
	return status;
}

/* The protobuf bytes of the request. Returns 0, or the refusing status
 * with its text in why (whyb holds texts that echo a header, as
 * Phoenix's do). A body that does not inflate is an uncaught exception in
 * Phoenix: a bare 500. */
static int
request_bytes(const struct testhttp_request *rq, struct buf *pb,
    char *whyb, size_t whylen, const char **why)
{
	const char *ct = testhttp_header(rq, "content-type");
	const char *ce = testhttp_header(rq, "content-encoding");
	int status = 0;

	*why = whyb;
	snprintf(whyb, whylen, "Unsupported content type: %s",
	    ct != NULL ? ct : "None");
	if (ct == NULL || strcmp(ct, "application/x-protobuf") != 0)
		return 415;
	snprintf(whyb, whylen, "Unsupported content encoding: %s", ce);
	if (ce == NULL || *ce == '\0')
		return buf_append(pb, rq->body, rq->body_len) == -1 ? 413 : 0;
	if (strcmp(ce, "gzip") == 0)
		status = inflate_body(rq, 15 + 16, pb);
	else if (strcmp(ce, "deflate") == 0)
		status = inflate_body(rq, 15, pb);
	else
		return 415;
	if (status == 422)
		status = 500;
	*why = status == 413 ? "Inflated body too large" :
	    "Internal Server Error";
	return status;
}

/* The log line of an accepted request. Caller frees. */
static char *
log_line(const struct testhttp_request *rq, long n, size_t nspans,
    json_object *traces)
{
	json_object *o = json_object_new_object(), *h = json_object_new_object();
	const char *ce = testhttp_header(rq, "content-encoding");
	const char *auth = testhttp_header(rq, "authorization");
	char *line;

	for (size_t i = 0; i < rq->nheaders; i++)
		if (strncmp(rq->headers[i].name, "x-", 2) == 0)
			json_object_object_add(h, rq->headers[i].name,
			    json_object_new_string(rq->headers[i].value));
	json_object_object_add(o, "n", json_object_new_int64(n));
	json_object_object_add(o, "spans",
	    json_object_new_int64((int64_t)nspans));
	json_object_object_add(o, "content_encoding",
	    ce != NULL ? json_object_new_string(ce) : NULL);
	json_object_object_add(o, "authorization",
	    auth != NULL ? json_object_new_string(auth) : NULL);
	json_object_object_add(o, "headers", h);
	json_object_object_add(o, "traces", traces);
	if (asprintf(&line, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) == -1)
		line = NULL;
	json_object_put(o);
	return line;
}

/* Keep the request's protobuf as DIR/N.pb, for decoders other than ours. */
static void
dump(long n, const struct buf *pb)
{
	char *path;
	int fd;

	if (st.dump_dir == NULL)
		return;
	if (asprintf(&path, "%s/%ld.pb", st.dump_dir, n) == -1)
		return;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || write(fd, pb->data, pb->len) != (ssize_t)pb->len)
		log_warn("%s: %s", __func__, path);
	if (fd != -1)
		close(fd);
	free(path);
}

static void annot_learn_spans(json_object *);

/* Log the request and count it, in one step so /stats and the log agree. */
static void
record(const struct testhttp_request *rq, long n, size_t nspans,
    json_object *traces)
{
	char *line;

	/* Known before the answer, as Phoenix's database would have them
	 * (and before log_line takes traces). */
	pthread_mutex_lock(&st.lock);
	annot_learn_spans(traces);
	pthread_mutex_unlock(&st.lock);
	line = log_line(rq, n, nspans, traces);

	pthread_mutex_lock(&st.lock);
	/* One write per line on an O_APPEND file: readers never see half. */
	if (line != NULL && st.log_fd != -1 &&
	    write(st.log_fd, line, strlen(line)) != (ssize_t)strlen(line))
		log_warn("%s: log", __func__);
	st.accepted++;
	st.spans += (long)nspans;
	pthread_mutex_unlock(&st.lock);
	free(line);
}

static int
answer_accepted(const struct testhttp_request *rq, const struct verdict *v)
{
	uint8_t *pb;
	size_t len;
	int rc;

	if (v->mode == MODE_PARTIAL)
		pb = otlpjson_response_pack(v->arg, "test rejection", &len);
	else
		pb = otlpjson_response_pack(0, NULL, &len);
	rc = testhttp_respond(rq, 200, "application/x-protobuf", NULL, pb,
	    len);
	free(pb);
	return rc;
}

/* The rendering and the generated structures disagree (otlpcheck.c): the
 * request is answered 500 and not logged, so that no test passes on a
 * wrong rendering, and /stats counts it. */
static int
disagree(const struct testhttp_request *rq, const char *where)
{
	char text[OTLPCHECK_WHERE_MAX + 32];

	log_warnx("decoders disagree at %s", where);
	pthread_mutex_lock(&st.lock);
	st.disagreements++;
	pthread_mutex_unlock(&st.lock);
	snprintf(text, sizeof(text), "decoders disagree at %s\n", where);
	return answer_text(rq, 500, NULL, text);
}

/* Decode, log and answer a request the mode lets through. */
static int
accept_traces(const struct testhttp_request *rq, const struct verdict *v)
{
	char err[OTLP_ERR_MAX], where[OTLPCHECK_WHERE_MAX], *json = NULL;
	const char *why;
	char whyb[512];
	json_object *traces;
	struct buf pb;
	size_t nspans = 0;
	int status, rc;

	buf_init(&pb, RECV_MAX_INFLATED);
	if ((status = request_bytes(rq, &pb, whyb, sizeof(whyb), &why)) != 0) {
		rc = answer_text(rq, status, NULL, why);
		goto out;
	}
	json = otlpjson_request((const uint8_t *)pb.data, pb.len, &nspans,
	    err, sizeof(err));
	if (json == NULL) {
		rc = answer_text(rq, 422, NULL,
		    "Request body is invalid ExportTraceServiceRequest");
		goto out;
	}
	if (v->mode == MODE_REFUSE && strstr(json, v->marker) != NULL) {
		rc = answer_text(rq, 422, NULL,
		    "Request body is invalid ExportTraceServiceRequest");
		goto out;
	}
	if ((traces = json_tokener_parse(json)) == NULL) {
		rc = answer_text(rq, 500, NULL, "decoded JSON does not parse\n");
		goto out;
	}
	if (otlpcheck_request((const uint8_t *)pb.data, pb.len, traces, where,
	    sizeof(where)) == -1) {
		json_object_put(traces);
		rc = disagree(rq, where);
		goto out;
	}
	dump(v->n, &pb);
	record(rq, v->n, nspans, traces);
	rc = answer_accepted(rq, v);
out:
	free(json);
	buf_cleanup(&pb);
	return rc;
}

/* Phoenix's BearerTokenAuthBackend: "Bearer" in any case, one space, then
 * the token exactly. */
static int
authorized(const struct testhttp_request *rq)
{
	const char *a = testhttp_header(rq, "authorization"), *sp;

	if (st.api_key == NULL)
		return 1;
	if (a == NULL || (sp = strchr(a, ' ')) == NULL || sp - a != 6 ||
	    strncasecmp(a, "bearer", 6) != 0)
		return 0;
	return strcmp(sp + 1, st.api_key) == 0;
}

/* Phoenix checks the key before it reads the body, so this comes first. */
static int
refuse_unauthorized(const struct testhttp_request *rq)
{
	pthread_mutex_lock(&st.lock);
	st.requests++;
	st.unauthorized++;
	pthread_mutex_unlock(&st.lock);
	return answer_text(rq, 401, NULL, "Invalid token");
}

static int
serve_traces(const struct testhttp_request *rq)
{
	struct verdict v;

	if (!authorized(rq))
		return refuse_unauthorized(rq);
	take_verdict(&v);
	if (v.mode == MODE_OK || v.mode == MODE_PARTIAL ||
	    v.mode == MODE_REFUSE)
		return accept_traces(rq, &v);
	return answer_mode(rq, &v);
}

/* ---- POST /v1/span_annotations, as Phoenix 20.26.1 answers it ----------
 * server/api/routers/v1/spans.py annotate_spans and the pydantic models of
 * annotations.py (SpanAnnotationData, AnnotationResult): a body that is not
 * JSON or breaks a model is FastAPI's 422 {"detail":[...]}; empty data is
 * 200 {"data":[]}; a name "note" is 400; with sync=true an unknown span is
 * 404 (both plain text, Phoenix's HTTPException handler); otherwise 200
 * {"data":[{"id":GlobalID}]} (sync) or {"data":[]} (queued). Upserts on
 * (name, span_id, identifier). Its own mode (POST /control/annotations). */

/* Remember the span ids of an accepted request; caller holds st.lock. */
static void
annot_learn_spans(json_object *traces)
{
	json_object *rs, *ss, *sp, *id;

	if (!json_object_object_get_ex(traces, "resourceSpans", &rs))
		return;
	for (size_t i = 0; i < json_object_array_length(rs); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(rs, i),
		    "scopeSpans", &ss))
			continue;
		for (size_t k = 0; k < json_object_array_length(ss); k++) {
			if (!json_object_object_get_ex(
			    json_object_array_get_idx(ss, k), "spans", &sp))
				continue;
			for (size_t m = 0; m < json_object_array_length(sp);
			    m++) {
				if (!json_object_object_get_ex(
				    json_object_array_get_idx(sp, m), "spanId",
				    &id) || an.nspans >= ANNOT_MAX_KEYS)
					continue;
				if (an.nspans == an.capspans) {
					an.capspans = an.capspans ?
					    an.capspans * 2 : 1024;
					an.spans = realloc(an.spans,
					    an.capspans * sizeof(*an.spans));
					if (an.spans == NULL)
						abort();
				}
				an.spans[an.nspans++] = strdup(
				    json_object_get_string(id));
			}
		}
	}
}

/* Caller holds st.lock. */
static int
annot_span_known(const char *span_id)
{
	for (size_t i = an.nspans; i-- > 0;)
		if (strcasecmp(an.spans[i], span_id) == 0)
			return 1;
	return 0;
}

/* FastAPI's 422: {"detail":[{"type","loc":["body",...],"msg"}]}. */
static int
annot_422(const struct testhttp_request *rq, const char *type,
    const char *loc, const char *msg)
{
	char *body;
	int n, rc;

	n = asprintf(&body, "{\"detail\":[{\"type\":\"%s\",\"loc\":[\"body\"%s%s],"
	    "\"msg\":\"%s\"}]}", type, *loc ? "," : "", loc, msg);
	if (n == -1)
		return -1;
	rc = testhttp_respond(rq, 422, "application/json", NULL, body,
	    (size_t)n);
	free(body);
	return rc;
}

/* pydantic's check of one optional str field: 0 ok, else the error. */
static const char *
annot_str(json_object *o, const char *key, int required, int nullable)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return required ? "missing" : NULL;
	if (v == NULL)
		return nullable ? NULL : "string_type";
	return json_object_is_type(v, json_type_string) ? NULL : "string_type";
}

/* One SpanAnnotationData: NULL, or the error type with its field in loc. */
static const char *
annot_check_item(json_object *it, size_t i, char *loc, size_t loclen)
{
	static const char *const top[] = { "name", "span_id" };
	static const char *const res_keys[] = { "label", "explanation" };
	json_object *v, *res;
	const char *e;
	const char *kind;

	snprintf(loc, loclen, "\"data\",%zu", i);
	if (!json_object_is_type(it, json_type_object))
		return "model_attributes_type";
	for (size_t k = 0; k < 2; k++)
		if ((e = annot_str(it, top[k], 1, 0)) != NULL) {
			snprintf(loc, loclen, "\"data\",%zu,\"%s\"", i, top[k]);
			return e;
		}
	snprintf(loc, loclen, "\"data\",%zu,\"annotator_kind\"", i);
	if (!json_object_object_get_ex(it, "annotator_kind", &v))
		return "missing";
	kind = json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
	if (strcmp(kind, "LLM") && strcmp(kind, "CODE") && strcmp(kind, "HUMAN"))
		return "literal_error";
	snprintf(loc, loclen, "\"data\",%zu,\"identifier\"", i);
	if ((e = annot_str(it, "identifier", 0, 0)) != NULL)
		return e;
	snprintf(loc, loclen, "\"data\",%zu,\"metadata\"", i);
	if (json_object_object_get_ex(it, "metadata", &v) && v != NULL &&
	    !json_object_is_type(v, json_type_object))
		return "dict_type";
	snprintf(loc, loclen, "\"data\",%zu,\"result\"", i);
	if (!json_object_object_get_ex(it, "result", &res) || res == NULL)
		return NULL;
	if (!json_object_is_type(res, json_type_object))
		return "model_attributes_type";
	for (size_t k = 0; k < 2; k++)
		if ((e = annot_str(res, res_keys[k], 0, 1)) != NULL) {
			snprintf(loc, loclen, "\"data\",%zu,\"result\",\"%s\"",
			    i, res_keys[k]);
			return e;
		}
	snprintf(loc, loclen, "\"data\",%zu,\"result\",\"score\"", i);
	if (json_object_object_get_ex(res, "score", &v) && v != NULL &&
	    !json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int))
		return "float_parsing";
	return NULL;
}

/* FastAPI's bool query parameter: 1 true, 0 false (or absent), -1 bad. */
static int
annot_sync(const char *path)
{
	static const char *const yes[] = { "1", "true", "on", "yes", "t", "y" };
	static const char *const no[] = { "0", "false", "off", "no", "f", "n" };
	const char *q = strchr(path, '?'), *p;
	char val[32];
	size_t n;

	if (q == NULL || (p = strstr(q, "sync=")) == NULL ||
	    (p[-1] != '?' && p[-1] != '&'))
		return 0;
	p += 5;
	n = strcspn(p, "&#");
	if (n >= sizeof(val))
		return -1;
	memcpy(val, p, n);
	val[n] = '\0';
	for (size_t i = 0; i < 6; i++) {
		if (strcasecmp(val, yes[i]) == 0)
			return 1;
		if (strcasecmp(val, no[i]) == 0)
			return 0;
	}
	return -1;
}

static const char *
annot_get(json_object *o, const char *a, const char *b)
{
	json_object *v;

	if (!json_object_object_get_ex(o, a, &v) || v == NULL)
		return NULL;
	if (b != NULL && (!json_object_object_get_ex(v, b, &v) || v == NULL))
		return NULL;
	return json_object_get_string(v);
}

/* Insert or update the row; caller holds st.lock. Returns its id. */
static long
annot_upsert(json_object *it)
{
	const char *name = annot_get(it, "name", NULL);
	const char *span = annot_get(it, "span_id", NULL);
	const char *ident = annot_get(it, "identifier", NULL);
	struct annot *a;

	if (ident == NULL)
		ident = "";
	for (size_t i = 0; i < an.n; i++)
		if (strcmp(an.v[i].name, name) == 0 &&
		    strcmp(an.v[i].span_id, span) == 0 &&
		    strcmp(an.v[i].identifier, ident) == 0)
			return an.v[i].id;
	if ((an.v = realloc(an.v, (an.n + 1) * sizeof(*an.v))) == NULL)
		abort();
	a = &an.v[an.n++];
	a->name = strdup(name);
	a->span_id = strdup(span);
	a->identifier = strdup(ident);
	a->id = ++an.rows;
	return a->id;
}

/* Log one accepted annotation; caller holds st.lock. */
static void
annot_log(json_object *it, long id, long req, int known)
{
	json_object *o = json_object_new_object(), *v;
	const char *text;

	json_object_object_add(o, "request", json_object_new_int64(req));
	json_object_object_add(o, "row", json_object_new_int64(id));
	json_object_object_add(o, "span_known", json_object_new_boolean(known));
	json_object_object_add(o, "spans_accepted",
	    json_object_new_int64((int64_t)an.nspans));
	json_object_object_foreach(it, k, val)
		json_object_object_add(o, k, json_object_get(val));
	if (!json_object_object_get_ex(it, "identifier", &v))
		json_object_object_add(o, "identifier",
		    json_object_new_string(""));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (an.log_fd != -1 && (write(an.log_fd, text, strlen(text)) == -1 ||
	    write(an.log_fd, "\n", 1) == -1))
		log_warn("%s", __func__);
	json_object_put(o);
}

static void ds_global_id(const char *, long, char *, size_t);

/* Check the whole batch, then (sync) every span, then insert them all. */
static int
annot_accept(const struct testhttp_request *rq, json_object *data, int sync,
    long req)
{
	size_t n = json_object_array_length(data);
	struct buf out;
	char gid[96];
	int rc;

	pthread_mutex_lock(&st.lock);
	for (size_t i = 0; sync && i < n; i++) {
		const char *span = annot_get(json_object_array_get_idx(data, i),
		    "span_id", NULL);
		if (!annot_span_known(span)) {
			pthread_mutex_unlock(&st.lock);
			snprintf(gid, sizeof(gid), "Spans with IDs %.40s do not "
			    "exist.", span);
			return answer_text(rq, 404, NULL, gid);
		}
	}
	buf_init(&out, 1 << 24);
	if (buf_printf(&out, "{\"data\":[") == -1)
		abort();
	for (size_t i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(data, i);
		const char *span = annot_get(it, "span_id", NULL);
		long id = annot_upsert(it);

		annot_log(it, id, req, annot_span_known(span));
		an.accepted++;
		ds_global_id("SpanAnnotation", id, gid, sizeof(gid));
		if (sync && buf_printf(&out, "%s{\"id\":\"%s\"}", i ? "," : "",
		    gid) == -1)
			abort();
	}
	pthread_mutex_unlock(&st.lock);
	if (buf_printf(&out, "]}") == -1)
		abort();
	rc = testhttp_respond(rq, 200, "application/json", NULL, out.data,
	    out.len);
	buf_cleanup(&out);
	return rc;
}

static int
annot_validate(const struct testhttp_request *rq, const struct verdict *v)
{
	static const char bad_sync[] = "{\"detail\":[{\"type\":"
	    "\"bool_parsing\",\"loc\":[\"query\",\"sync\"],\"msg\":\"Input "
	    "should be a valid boolean, unable to interpret input\"}]}";
	json_object *root, *data;
	const char *e, *name;
	char loc[160];
	int sync = annot_sync(rq->path), rc;

	if (sync == -1)
		return testhttp_respond(rq, 422, "application/json", NULL,
		    bad_sync, sizeof(bad_sync) - 1);
	if ((root = json_tokener_parse(rq->body)) == NULL)
		return annot_422(rq, "json_invalid", "0", "JSON decode error");
	if (!json_object_is_type(root, json_type_object))
		rc = annot_422(rq, "model_attributes_type", "",
		    "Input should be a valid dictionary or object");
	else if (!json_object_object_get_ex(root, "data", &data))
		rc = annot_422(rq, "missing", "\"data\"", "Field required");
	else if (!json_object_is_type(data, json_type_array))
		rc = annot_422(rq, "list_type", "\"data\"",
		    "Input should be a valid list");
	else {
		rc = 0;
		for (size_t i = 0; i < json_object_array_length(data); i++)
			if ((e = annot_check_item(json_object_array_get_idx(data,
			    i), i, loc, sizeof(loc))) != NULL) {
				rc = annot_422(rq, e, loc, "Invalid input");
				goto out;
			}
		if (json_object_array_length(data) == 0)
			rc = testhttp_respond(rq, 200, "application/json", NULL,
			    "{\"data\":[]}", 11);
		else if (v->mode == MODE_REFUSE && strstr(rq->body, v->marker))
			rc = annot_422(rq, "value_error", "\"data\"",
			    "refused by the test");
		else {
			for (size_t i = 0; i < json_object_array_length(data);
			    i++) {
				name = annot_get(json_object_array_get_idx(data,
				    i), "name", NULL);
				if (strcmp(name, "note") == 0) {
					rc = answer_text(rq, 400, NULL, "The name "
					    "'note' is reserved for trace and span "
					    "notes. Use POST /v1/span_notes "
					    "instead.");
					goto out;
				}
			}
			rc = annot_accept(rq, data, sync, v->n);
		}
	}
out:
	json_object_put(root);
	return rc;
}

static int
serve_annotations(const struct testhttp_request *rq)
{
	struct verdict v;

	if (!authorized(rq)) {
		pthread_mutex_lock(&st.lock);
		an.requests++;
		an.unauthorized++;
		pthread_mutex_unlock(&st.lock);
		return answer_text(rq, 401, NULL, "Invalid token");
	}
	take_verdict_of(&an.ctl, &an.requests, &v);
	if (v.mode == MODE_OK || v.mode == MODE_PARTIAL ||
	    v.mode == MODE_REFUSE)
		return annot_validate(rq, &v);
	return answer_mode(rq, &v);
}

static int
serve_annot_control(const struct testhttp_request *rq)
{
	struct control c = { 0 };
	char text[RECV_MAX_CONTROL];

	if (rq->body_len >= sizeof(text))
		return answer_text(rq, 400, NULL, "control text too long\n");
	memcpy(text, rq->body, rq->body_len + 1);
	if (parse_control(text, &c) == -1)
		return answer_text(rq, 400, NULL, "unknown control\n");
	pthread_mutex_lock(&st.lock);
	an.ctl = c;
	st.gen++;
	pthread_mutex_unlock(&st.lock);
	return answer_text(rq, 200, NULL, "ok\n");
}

/* ---- POST /v1/datasets/upload, as Phoenix 20.26.1 answers it
 * (server/api/routers/v1/datasets.py upload_dataset and _process_json,
 * db/insertion/dataset.py add_dataset_examples). JSON bodies only; each
 * accepted upload is one line of --datasets-log. Examples are matched by
 * their input, output and metadata text, as Phoenix matches by a hash of
 * them: an append of the same example creates nothing. */

#define DS_MAX_DATASETS	256

static struct {
	struct ds_set {
		char	*name;
		long	 id, version;
		char	**hashes;	/* the latest version's examples */
		size_t	 n;
	}		 v[DS_MAX_DATASETS];
	size_t		 n;
	long		 next_version;
	int		 log_fd;
} ds = { .log_fd = -1 };

/* Python's truthiness of a JSON value, as `if v` tests it. */
static int
ds_truthy(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:	return 0;
	case json_type_boolean:	return json_object_get_boolean(v);
	case json_type_int:	return json_object_get_int64(v) != 0;
	case json_type_double:	return json_object_get_double(v) != 0;
	case json_type_string:	return json_object_get_string_len(v) != 0;
	case json_type_array:	return json_object_array_length(v) != 0;
	default:		return json_object_object_length(v) != 0;
	}
}

/* Python's type name of a JSON value, for Phoenix's messages. */
static const char *
ds_type(json_object *v)
{
	static const char *names[] = { "NoneType", "bool", "float", "int",
	    "dict", "list", "str" };

	return names[json_object_get_type(v)];
}

static int
ds_all_dict(json_object *a)
{
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i),
		    json_type_object))
			return 0;
	return 1;
}

/* splits and span_ids: absent, or a list as long as inputs. */
static int
ds_check_list(json_object *o, const char *key, size_t n, char *why,
    size_t whylen)
{
	json_object *v = json_object_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return snprintf(why, whylen, "%s must be a list", key), -1;
	if (json_object_array_length(v) != n)
		return snprintf(why, whylen, "%s must have same length as "
		    "inputs (%zu != %zu)", key, json_object_array_length(v),
		    n), -1;
	return 0;
}

/* DatasetAction(data.get("action") or "create"), into out. */
static int
ds_action(json_object *o, char *out, size_t outlen, char *why, size_t whylen)
{
	json_object *a = json_object_object_get(o, "action");
	const char *s = ds_truthy(a) ? json_object_get_string(a) : "create";
	size_t i;

	snprintf(out, outlen, "%s", s);
	for (i = 0; out[i] != '\0'; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	if (json_object_is_type(a, json_type_string) || a == NULL ||
	    !ds_truthy(a))
		if (strcmp(out, "create") == 0 || strcmp(out, "append") == 0 ||
		    strcmp(out, "update") == 0)
			return 0;
	snprintf(why, whylen, "%s%s%s is not a valid DatasetAction",
	    json_object_is_type(a, json_type_string) ? "'" : "", s,
	    json_object_is_type(a, json_type_string) ? "'" : "");
	return -1;
}

/* _process_json's checks. Returns 0, or the status with why. */
static int
ds_validate(json_object *o, char *action, size_t actlen, char *why,
    size_t whylen)
{
	static const char *const buckets[] = { "outputs", "metadata" };
	json_object *in, *v;
	size_t n, i;

	if (!json_object_is_type(o, json_type_object))
		return snprintf(why, whylen, "Internal Server Error"), 500;
	if (!ds_truthy(json_object_object_get(o, "name")))
		return snprintf(why, whylen, "Dataset name is required"), 422;
	if (!json_object_is_type(json_object_object_get(o, "name"),
	    json_type_string))	/* the database refuses it */
		return snprintf(why, whylen, "Internal Server Error"), 500;
	if ((in = json_object_object_get(o, "inputs")) == NULL)
		return snprintf(why, whylen, "input is required"), 422;
	if (!json_object_is_type(in, json_type_array) || !ds_all_dict(in))
		return snprintf(why, whylen, "Input should be a list containing "
		    "only dictionary objects"), 422;
	n = json_object_array_length(in);
	for (i = 0; i < 2; i++) {
		v = json_object_object_get(o, buckets[i]);
		if (ds_truthy(v) && !(json_object_is_type(v, json_type_array) &&
		    json_object_array_length(v) == n && ds_all_dict(v)))
			return snprintf(why, whylen, "%s should be a list of same "
			    "length as input containing only dictionary objects",
			    buckets[i]), 422;
	}
	if (ds_check_list(o, "splits", n, why, whylen) == -1 ||
	    ds_check_list(o, "span_ids", n, why, whylen) == -1 ||
	    ds_check_list(o, "example_ids", n, why, whylen) == -1)
		return 422;
	v = json_object_object_get(o, "span_ids");
	for (i = 0; ds_truthy(v) && i < n; i++) {
		json_object *id = json_object_array_get_idx(v, i);

		if (id != NULL && !json_object_is_type(id, json_type_string))
			return snprintf(why, whylen, "Span ID must be a string or "
			    "None, got %s", ds_type(id)), 422;
	}
	return ds_action(o, action, actlen, why, whylen) == -1 ? 422 : 0;
}

/* Example i's {"input","metadata","output"} text, its identity here. */
static char *
ds_hash(json_object *o, size_t i)
{
	json_object *e = json_object_new_object(), *b;
	static const char *const keys[][2] = { { "inputs", "input" },
	    { "metadata", "metadata" }, { "outputs", "output" } };
	char *s;

	for (size_t k = 0; k < 3; k++) {
		b = json_object_object_get(o, keys[k][0]);
		b = ds_truthy(b) ? json_object_array_get_idx(b, i) : NULL;
		json_object_object_add(e, keys[k][1], b != NULL ?
		    json_object_get(b) : json_object_new_object());
	}
	s = strdup(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
	json_object_put(e);
	return s;
}

/* A GlobalID as Phoenix makes it: base64 of "Type:id". */
static void
ds_global_id(const char *type, long id, char *out, size_t outlen)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char in[96];
	size_t n = (size_t)snprintf(in, sizeof(in), "%s:%ld", type, id), i, o;

	for (i = 0, o = 0; i < n && o + 5 < outlen; i += 3) {
		unsigned v = (unsigned char)in[i] << 16 | (i + 1 < n ?
		    (unsigned char)in[i + 1] << 8 : 0) | (i + 2 < n ?
		    (unsigned char)in[i + 2] : 0);

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

struct ds_counts {
	long	created, deleted;
};

/* Diff the upload against the set's latest version: matched examples are
 * unchanged, unmatched ones created, unmatched old ones deleted (not on
 * append). The set then holds the new version's examples. */
static void
ds_apply(struct ds_set *set, json_object *o, const char *action,
    struct ds_counts *c)
{
	size_t n = json_object_array_length(json_object_object_get(o,
	    "inputs")), i, j, keep = 0;
	char **hashes = calloc(set->n + n + 1, sizeof(*hashes));
	char *used = calloc(set->n + 1, 1), *h;

	for (i = 0; i < n; i++) {
		h = ds_hash(o, i);
		for (j = 0; j < set->n; j++)
			if (!used[j] && strcmp(set->hashes[j], h) == 0)
				break;
		if (j < set->n)
			used[j] = 1;
		else
			c->created++;
		hashes[keep++] = h;
	}
	for (j = 0; j < set->n; j++) {
		if (!used[j] && strcmp(action, "append") == 0)
			hashes[keep++] = set->hashes[j];
		else {
			c->deleted += !used[j];
			free(set->hashes[j]);
		}
	}
	if (c->created > 0 || c->deleted > 0 || set->version == 0)
		set->version = ++ds.next_version;
	free(set->hashes);
	free(used);
	set->hashes = hashes;
	set->n = keep;
}

/* The set named name, made when missing; NULL when it exists and action
 * is create (409), or when the table is full. */
static struct ds_set *
ds_find(const char *name, const char *action, int *exists)
{
	size_t i;

	*exists = 0;
	for (i = 0; i < ds.n; i++)
		if (strcmp(ds.v[i].name, name) == 0) {
			*exists = strcmp(action, "create") == 0;
			return *exists ? NULL : &ds.v[i];
		}
	if (ds.n == DS_MAX_DATASETS)
		return NULL;
	ds.v[ds.n].name = strdup(name);
	ds.v[ds.n].id = (long)ds.n + 1;
	return &ds.v[ds.n++];
}

/* One line of --datasets-log: what was accepted and the request. */
static void
ds_record(json_object *o, const struct ds_set *set, const char *action,
    const struct ds_counts *c)
{
	json_object *l = json_object_new_object();
	const char *text;

	json_object_object_add(l, "name", json_object_new_string(set->name));
	json_object_object_add(l, "action", json_object_new_string(action));
	json_object_object_add(l, "dataset", json_object_new_int64(set->id));
	json_object_object_add(l, "version",
	    json_object_new_int64(set->version));
	json_object_object_add(l, "created", json_object_new_int64(c->created));
	json_object_object_add(l, "examples",
	    json_object_new_int64((int64_t)set->n));
	json_object_object_add(l, "request", json_object_get(o));
	text = json_object_to_json_string_ext(l, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (ds.log_fd != -1 && (write(ds.log_fd, text, strlen(text)) == -1 ||
	    write(ds.log_fd, "\n", 1) == -1))
		log_warn("%s", __func__);
	json_object_put(l);
}

static int
ds_answer_json(const struct testhttp_request *rq, int status,
    const char *body)
{
	return testhttp_respond(rq, status, "application/json", NULL, body,
	    strlen(body));
}

/* Store the upload. With sync=true the answer is the dataset, the
 * version and the counts (or 409); without, Phoenix queues the work and
 * answers null at once, so a taken name fails unseen. */
static int
ds_store(const struct testhttp_request *rq, json_object *o,
    const char *action, int sync)
{
	const char *name = json_object_get_string(json_object_object_get(o,
	    "name"));
	struct ds_counts c = { 0, 0 };
	struct ds_set *set;
	char why[512], did[64], vid[64], body[512];
	int exists;

	pthread_mutex_lock(&st.lock);
	if ((set = ds_find(name, action, &exists)) == NULL) {
		pthread_mutex_unlock(&st.lock);
		if (!sync)
			return ds_answer_json(rq, 200, "null");
		snprintf(why, sizeof(why), exists ? "A dataset named \"%s\" "
		    "already exists." : "too many datasets", name);
		return answer_text(rq, exists ? 409 : 500, NULL, why);
	}
	ds_apply(set, o, action, &c);
	ds_record(o, set, action, &c);
	ds_global_id("Dataset", set->id, did, sizeof(did));
	ds_global_id("DatasetVersion", set->version, vid, sizeof(vid));
	pthread_mutex_unlock(&st.lock);
	if (!sync)
		return ds_answer_json(rq, 200, "null");
	snprintf(body, sizeof(body), "{\"data\":{\"dataset_id\":\"%s\","
	    "\"version_id\":\"%s\",\"num_created_examples\":%ld,"
	    "\"num_updated_examples\":0,\"num_deleted_examples\":%ld}}",
	    did, vid, c.created, c.deleted);
	return ds_answer_json(rq, 200, body);
}

/* FastAPI's bool query value: 1 true, 0 false or absent, -1 neither. */
static int
ds_sync(const char *path)
{
	static const char *const yes[] = { "1", "true", "t", "yes", "y", "on" };
	static const char *const no[] = { "0", "false", "f", "no", "n", "off" };
	const char *q = strstr(path, "?sync="), *e;
	char v[8];
	size_t i, n;

	if (q == NULL && (q = strstr(path, "&sync=")) == NULL)
		return 0;
	q += 6;
	n = (e = strchr(q, '&')) != NULL ? (size_t)(e - q) : strlen(q);
	if (n >= sizeof(v))
		return -1;
	for (i = 0; i < n; i++)
		v[i] = (char)tolower((unsigned char)q[i]);
	v[n] = '\0';
	for (i = 0; i < 6; i++) {
		if (strcmp(v, yes[i]) == 0)
			return 1;
		if (strcmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

static int
serve_datasets_upload(const struct testhttp_request *rq)
{
	const char *ct = testhttp_header(rq, "content-type");
	char why[512], action[64];
	json_object *o;
	int status, sync;

	if (strcmp(rq->method, "POST") != 0)
		return answer_text(rq, 405, "Allow: POST\r\n",
		    "Method Not Allowed");
	if (!authorized(rq))
		return answer_text(rq, 401, NULL, "Invalid token");
	if ((sync = ds_sync(rq->path)) == -1)
		return ds_answer_json(rq, 422, "{\"detail\":[{\"type\":"
		    "\"bool_parsing\",\"loc\":[\"query\",\"sync\"],\"msg\":"
		    "\"Input should be a valid boolean, unable to interpret "
		    "input\"}]}");
	if (ct == NULL || *ct == '\0')
		return answer_text(rq, 400, NULL, "Missing content-type header");
	if (strncmp(ct, "application/json", 16) != 0)
		return answer_text(rq, 422, NULL, strncmp(ct,
		    "multipart/form-data", 19) == 0 ? "multipart uploads: not "
		    "in this test double" : "Invalid request Content-Type");
	if ((o = json_tokener_parse(rq->body)) == NULL)
		return answer_text(rq, 422, NULL,
		    "Expecting value: line 1 column 1 (char 0)");
	if ((status = ds_validate(o, action, sizeof(action), why,
	    sizeof(why))) != 0)
		status = answer_text(rq, status, NULL, why);
	else
		status = ds_store(rq, o, action, sync);
	json_object_put(o);
	return status;
}

static int
handle(struct testhttp_request *rq, void *arg)
{
	static const struct {
		const char	*method, *path;
		int		 (*serve)(const struct testhttp_request *);
	} routes[] = {
		{ "POST", "/v1/traces", serve_traces },
		{ "POST", "/v1/span_annotations", serve_annotations },
		{ "POST", "/control", serve_control },
		{ "POST", "/control/annotations", serve_annot_control },
		{ "GET", "/stats", serve_stats },
	};
	char allow[32];

	(void)arg;
	if (strncmp(rq->path, "/v1/datasets/upload", 19) == 0 &&
	    (rq->path[19] == '\0' || rq->path[19] == '?'))
		return serve_datasets_upload(rq);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		/* Routes match without the query, as FastAPI's do. */
		if (strncmp(rq->path, routes[i].path, strcspn(rq->path, "?")) ||
		    strlen(routes[i].path) != strcspn(rq->path, "?"))
			continue;
		if (strcmp(rq->method, routes[i].method) == 0)
			return routes[i].serve(rq);
		snprintf(allow, sizeof(allow), "Allow: %s\r\n",
		    routes[i].method);
		if (strcmp(rq->method, "GET") == 0)	/* the UI's page */
			return testhttp_respond(rq, 200, "text/html", NULL,
			    "<!doctype html>", 15);
		return answer_text(rq, 405, allow, "Method Not Allowed");
	}
	/* Phoenix routes every other path to its UI, which takes GET only. */
	if (strcmp(rq->method, "GET") != 0)
		return answer_text(rq, 405, "Allow: GET\r\n",
		    "Method Not Allowed");
	return answer_text(rq, 404, NULL, "Not Found");
}

/* --encode: OTLP/JSON lines on stdin to one packed request on stdout. */
static int
encode(void)
{
	struct otlp_batch *b = otlp_batch_new();
	char err[OTLP_ERR_MAX], *line = NULL;
	uint8_t *pb = NULL;
	size_t cap = 0, len, lineno = 0;
	ssize_t n;
	int rc = -1;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		if (otlp_batch_add_line(b, line, (size_t)n, NULL, err,
		    sizeof(err)) == -1) {
			log_warnx("stdin line %zu: %s", lineno, err);
			goto out;
		}
	}
	pb = otlp_batch_pack(b, &len);
	if (fwrite(pb, 1, len, stdout) != len || fflush(stdout) != 0) {
		log_warn("%s: stdout", __func__);
		goto out;
	}
	rc = 0;
out:
	free(pb);
	free(line);
	otlp_batch_free(b);
	return rc;
}

static void
count_idle_close(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&st.lock);
	st.idle_closed++;
	pthread_mutex_unlock(&st.lock);
}

int
main(int argc, char **argv)
{
	struct testhttp_server srv = { .max_body = RECV_MAX_BODY,
	    .handler = handle, .idle_ms = RECV_IDLE_MS,
	    .on_idle_close = count_idle_close };
	const char *listen_spec = NULL, *port_file = NULL, *log_path = NULL;
	const char *annot_path = NULL;
	long idle;

	log_init("otlp-receiver", LOG_LVL_WARN);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--encode") == 0 && argc == 2)
			return encode() == 0 ? 0 : 1;
		else if (i + 1 < argc && strcmp(argv[i], "--listen") == 0)
			listen_spec = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--port-file") == 0)
			port_file = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--log") == 0)
			log_path = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--down-file") == 0)
			srv.down_file = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--api-key") == 0 &&
		    *argv[i + 1] != '\0')
			st.api_key = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--dump") == 0)
			st.dump_dir = argv[++i];
		else if (i + 1 < argc &&
		    strcmp(argv[i], "--annotations") == 0)
			annot_path = argv[++i];
		else if (i + 1 < argc &&
		    strcmp(argv[i], "--datasets-log") == 0) {
			if ((ds.log_fd = open(argv[++i], O_WRONLY | O_CREAT |
			    O_APPEND | O_CLOEXEC, 0644)) == -1) {
				log_warn("%s", argv[i]);
				return 1;
			}
		}
		else if (i + 1 < argc &&
		    strcmp(argv[i], "--idle-timeout") == 0 &&
		    parse_num(argv[i + 1], 0, RECV_MAX_IDLE_MS, &idle) == 0) {
			srv.idle_ms = (int)idle;
			i++;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (listen_spec == NULL) {
		usage(stderr);
		return 2;
	}
	if (log_path != NULL && (st.log_fd = open(log_path, O_WRONLY |
	    O_CREAT | O_APPEND | O_CLOEXEC, 0644)) == -1) {
		log_warn("%s", log_path);
		return 1;
	}
	if (annot_path != NULL && (an.log_fd = open(annot_path, O_WRONLY |
	    O_CREAT | O_APPEND | O_CLOEXEC, 0644)) == -1) {
		log_warn("%s", annot_path);
		return 1;
	}
	if (testhttp_listen(&srv, listen_spec, port_file) == -1 ||
	    testhttp_serve(&srv) == -1)
		return 1;
	return 0;
}
