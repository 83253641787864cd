/* mock-llm.c - an OpenAI-compatible chat completions server for tests:
 * answers "mock reply to: <last user message>", logs each request as a JSON
 * line, and misbehaves on request (MOCK_* words in the last user message).
 * It can also answer as real providers and their proxies do: chunked, gzip,
 * a body trickled slowly, 429 with Retry-After, a total_tokens of its own,
 * usage details such as cached or reasoning tokens (options for every
 * request, words for one). */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <zlib.h>

#include "log.h"
#include "testhttp.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MOCK_MAX_BODY	(4 * 1024 * 1024)
#define MOCK_HUGE_SIZE	(20 * 1024 * 1024)
#define MOCK_MAX_DELAY	60000	/* ms */
#define MOCK_PIECES	8	/* a chunked or trickled body comes in these */
#define MOCK_MAX_RETRY	86400	/* s */

/* How to answer: the options set it for every request, MOCK_* words in a
 * request's last user message change it for that request. */
struct mock_mode {
	int	chunked;	/* Transfer-Encoding: chunked */
	int	gzip;		/* Content-Encoding: gzip, asked for or not */
	long	trickle_ms;	/* pause before each piece of the body */
	long	retry_after;	/* answer 429 with this Retry-After; -1: no */
	long	total;		/* usage.total_tokens; -1: the sum; -2: none */
	const char *usage;	/* "k=v,obj.k=v" members set in usage, or NULL */
	size_t	usage_len;
	const char *model;	/* the model the reply names */
	size_t	model_len;
};

static struct mock_mode defaults = { .retry_after = -1, .total = -1,
    .model = "mock-model", .model_len = 10 };

static int log_fd = -1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: mock-llm --listen ADDR:PORT [--port-file F] "
	    "[--log F]\n"
	    "           [--chunked] [--gzip] [--trickle MS] [--rate-limit SECS]"
	    " [--total N|none]\n"
	    "           [--usage SPEC] [--model NAME]\n"
	    "  port 0 picks a free port, written to the port file\n"
	    "  --chunked          bodies go out chunked (Transfer-Encoding)\n"
	    "  --gzip             bodies go out gzipped (Content-Encoding), "
	    "asked for or not\n"
	    "  --trickle MS       bodies go out in %d pieces, MS ms before "
	    "each\n"
	    "  --rate-limit SECS  every completion is a 429 with "
	    "Retry-After: SECS\n"
	    "  --total N|none     usage.total_tokens is N, or absent "
	    "(default: the sum)\n"
	    "  --usage SPEC       set members of usage: KEY=JSON or "
	    "OBJ.KEY=JSON, comma-\n"
	    "                     separated, e.g. prompt_tokens=1200,"
	    "prompt_tokens_details.\n"
	    "                     cached_tokens=1024 (a total not set "
	    "is the new sum)\n"
	    "  --model NAME       the model replies name (default: "
	    "mock-model)\n"
	    "  The last user message may hold, for that request: "
	    "MOCK_CHUNKED, MOCK_GZIP,\n"
	    "  MOCK_TRICKLE=MS, MOCK_429=SECS, MOCK_TOTAL=N|none, "
	    "MOCK_USAGE=SPEC,\n"
	    "  MOCK_MODEL=NAME, MOCK_DELAY=MS, MOCK_CLOSE,"
	    " MOCK_STATUS=CODE, MOCK_ECHO_AUTH, MOCK_GARBAGE, MOCK_HUGE\n",
	    MOCK_PIECES);
}

/* body gzipped (RFC 1952). Caller frees; NULL when zlib fails. */
static unsigned char *
gzip_body(const char *body, size_t len, size_t *outlen)
{
	z_stream z = { 0 };
	unsigned char *out = NULL;
	size_t cap;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, (uLong)len) + 32;
	out = xmalloc(cap);
	z.next_in = (unsigned char *)(uintptr_t)body;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		free(out);
		out = NULL;
	} else
		*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* The body in MOCK_PIECES pieces, each after m->trickle_ms, framed as
 * chunks when m->chunked. Returns 0, or -1 when the client is gone. */
static int
send_pieces(const struct testhttp_request *rq, const struct mock_mode *m,
    const unsigned char *body, size_t len)
{
	size_t step = len / MOCK_PIECES + 1, n;
	char frame[32];
	int fl;

	for (size_t off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (m->trickle_ms > 0)
			usleep((useconds_t)m->trickle_ms * 1000);
		fl = snprintf(frame, sizeof(frame), "%zx\r\n", n);
		if ((m->chunked && testhttp_send(rq, frame, (size_t)fl) == -1) ||
		    testhttp_send(rq, body + off, n) == -1 ||
		    (m->chunked && testhttp_send(rq, "\r\n", 2) == -1))
			return -1;
	}
	return m->chunked ? testhttp_send(rq, "0\r\n\r\n", 5) : 0;
}

/* Answer with status, the header lines in extra (or NULL) and the JSON
 * body, framed and encoded as m says. Returns 0, or -1 when the client is
 * gone. */
static int
respond(const struct testhttp_request *rq, const struct mock_mode *m,
    int status, const char *extra, const char *body, size_t len)
{
	const unsigned char *p = (const unsigned char *)body;
	unsigned char *gz = NULL;
	char *head, length[48];
	int n, rc = -1;

	if (!m->gzip && !m->chunked && m->trickle_ms == 0)
		return testhttp_respond(rq, status, "application/json", extra,
		    body, len);
	if (m->gzip && (p = gz = gzip_body(body, len, &len)) == NULL)
		return -1;
	if (m->chunked)
		snprintf(length, sizeof(length), "Transfer-Encoding: chunked");
	else
		snprintf(length, sizeof(length), "Content-Length: %zu", len);
	n = asprintf(&head, "HTTP/1.1 %d %s\r\nContent-Type: application/json"
	    "\r\n%s\r\n%s%s%s\r\n", status, testhttp_reason(status), length,
	    m->gzip ? "Content-Encoding: gzip\r\n" : "",
	    rq->close ? "Connection: close\r\n" : "",
	    extra != NULL ? extra : "");
	if (n != -1) {
		rc = testhttp_send(rq, head, (size_t)n);
		free(head);
	}
	if (rc == 0)
		rc = send_pieces(rq, m, p, len);
	free(gz);
	return rc;
}

static int
has_auth(const struct testhttp_request *rq)
{
	const char *a = testhttp_header(rq, "authorization");

	return a != NULL && *a != '\0';
}

static void
log_request(const struct testhttp_request *rq, json_object *body)
{
	json_object *o = json_object_new_object();
	const char *s, *tp = testhttp_header(rq, "traceparent");
	char *line;

	json_object_object_add(o, "conn", json_object_new_int(rq->conn));
	json_object_object_add(o, "method", json_object_new_string(rq->method));
	json_object_object_add(o, "path", json_object_new_string(rq->path));
	json_object_object_add(o, "traceparent", tp != NULL && *tp != '\0' ?
	    json_object_new_string(tp) : NULL);
	json_object_object_add(o, "authorization_present",
	    json_object_new_boolean(has_auth(rq)));
	json_object_object_add(o, "body", json_object_get(body));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (asprintf(&line, "%s\n", s) != -1) {
		pthread_mutex_lock(&log_lock);
		if (log_fd != -1 && write(log_fd, line, strlen(line)) == -1)
			log_warn("%s: log", __func__);
		pthread_mutex_unlock(&log_lock);
		free(line);
	}
	json_object_put(o);
}

static int
count_words(const char *s)
{
	int n = 0, in = 0;

	for (; *s; s++) {
		if (isspace((unsigned char)*s))
			in = 0;
		else if (!in && ++n)
			in = 1;
	}
	return n;
}

/* Last user message and the word count of all messages. */
static const char *
scan_messages(json_object *body, int *words)
{
	json_object *msgs, *m, *v;
	const char *last = "";

	*words = 0;
	if (!json_object_object_get_ex(body, "messages", &msgs))
		return last;
	for (size_t i = 0; i < json_object_array_length(msgs); i++) {
		m = json_object_array_get_idx(msgs, i);
		if (!json_object_object_get_ex(m, "content", &v))
			continue;
		*words += count_words(json_object_get_string(v));
		if (json_object_object_get_ex(m, "role", &v) &&
		    strcmp(json_object_get_string(v), "user") == 0 &&
		    json_object_object_get_ex(m, "content", &v))
			last = json_object_get_string(v);
	}
	return last;
}

/* s as a JSON string literal. Caller frees. */
static char *
json_quote(const char *s)
{
	json_object *o = json_object_new_string(s);
	char *q = xstrdup(json_object_to_json_string(o));

	json_object_put(o);
	return q;
}

/* Send body (freed here) with status and the header lines in extra. */
static int
answer_json(const struct testhttp_request *rq, const struct mock_mode *m,
    int status, const char *extra, char *body)
{
	int rc = body != NULL ? respond(rq, m, status, extra, body,
	    strlen(body)) : -1;

	free(body);
	return rc;
}

static int
answer_error(const struct testhttp_request *rq, const struct mock_mode *m,
    int status, const char *message)
{
	char *q = json_quote(message), *body;

	if (asprintf(&body, "{\"error\":{\"message\":%s,\"type\":"
	    "\"server_error\"}}", q) == -1)
		body = NULL;
	free(q);
	return answer_json(rq, m, status, NULL, body);
}

/* OpenAI's rate limit answer: 429, Retry-After, its error object. */
static int
answer_rate_limited(const struct testhttp_request *rq,
    const struct mock_mode *m)
{
	char extra[64];

	snprintf(extra, sizeof(extra), "Retry-After: %ld\r\n",
	    m->retry_after);
	return answer_json(rq, m, 429, extra, xstrdup("{\"error\":{"
	    "\"message\":\"Rate limit reached for requests\",\"type\":"
	    "\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}"));
}

static int
answer_huge(const struct testhttp_request *rq)
{
	char chunk[64 * 1024], head[128];
	int n;

	memset(chunk, 'x', sizeof(chunk));
	n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nContent-Length: %d\r\n\r\n", MOCK_HUGE_SIZE);
	if (testhttp_send(rq, head, (size_t)n) == -1)
		return -1;
	for (size_t sent = 0; sent < MOCK_HUGE_SIZE; sent += sizeof(chunk))
		if (testhttp_send(rq, chunk, sizeof(chunk)) == -1)
			return -1;
	return 0;
}

/* One "KEY=JSON" or "OBJ.KEY=JSON" of a usage spec into usage (an
 * object made where OBJ is missing or not one). Returns 0, or -1 when
 * item is not of that form. */
static int
usage_set(json_object *usage, char *item)
{
	char *eq = strchr(item, '='), *dot;
	json_object *v = NULL, *obj = usage, *sub;

	if (eq == NULL || eq == item)
		return -1;
	*eq++ = '\0';
	if (strcmp(eq, "null") != 0 && (v = json_tokener_parse(eq)) == NULL)
		return -1;
	if ((dot = strchr(item, '.')) != NULL) {
		*dot++ = '\0';
		if (!json_object_object_get_ex(usage, item, &sub) ||
		    !json_object_is_type(sub, json_type_object)) {
			sub = json_object_new_object();
			json_object_object_add(usage, item, sub);
		}
		obj = sub;
		item = dot;
	}
	json_object_object_add(obj, item, v);
	return 0;
}

/* Set the members the spec (len bytes) names in usage. Returns 0, or -1
 * when the spec is not a list of KEY=JSON or OBJ.KEY=JSON. */
static int
usage_apply(json_object *usage, const char *spec, size_t len)
{
	char *copy = strndup(spec, len), *save = NULL, *item;
	int rc = 0;

	if (copy == NULL)
		return -1;
	for (item = strtok_r(copy, ",", &save); item != NULL && rc == 0;
	    item = strtok_r(NULL, ",", &save))
		rc = usage_set(usage, item);
	free(copy);
	return rc;
}

/* The usage object: word counts, the spec's members over them, then a
 * total_tokens (m->total, or the sum of what usage now says) unless the
 * spec set one or m->total is none. Caller puts it. */
static json_object *
usage_object(const struct mock_mode *m, int words, int rwords)
{
	json_object *u = json_object_new_object(), *p, *c;
	int64_t sum = words + rwords;

	json_object_object_add(u, "prompt_tokens", json_object_new_int(words));
	json_object_object_add(u, "completion_tokens",
	    json_object_new_int(rwords));
	if (m->usage != NULL && usage_apply(u, m->usage, m->usage_len) == -1)
		log_warnx("%s: bad usage spec, partly applied", __func__);
	if (json_object_object_get_ex(u, "prompt_tokens", &p) &&
	    json_object_object_get_ex(u, "completion_tokens", &c) &&
	    json_object_is_type(p, json_type_int) &&
	    json_object_is_type(c, json_type_int))
		sum = json_object_get_int64(p) + json_object_get_int64(c);
	/* Providers count cached or reasoning tokens into the total too, so
	 * it need not be the sum. */
	if (m->total != -2 && !json_object_object_get_ex(u, "total_tokens",
	    NULL))
		json_object_object_add(u, "total_tokens", json_object_new_int64(
		    m->total >= 0 ? m->total : sum));
	return u;
}

static int
answer_reply(const struct testhttp_request *rq, const struct mock_mode *m,
    const char *last, int words)
{
	char *reply, *q, *mq, *body, *model;
	json_object *usage;
	int rwords;

	if (asprintf(&reply, "mock reply to: %s", last) == -1)
		return -1;
	rwords = count_words(reply);
	q = json_quote(reply);
	usage = usage_object(m, words, rwords);
	model = strndup(m->model, m->model_len);
	mq = json_quote(model != NULL ? model : "");
	if (asprintf(&body, "{\"id\":\"chatcmpl-mock\",\"object\":"
	    "\"chat.completion\",\"created\":%lld,\"model\":%s,"
	    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
	    "\"content\":%s},\"finish_reason\":\"stop\"}],\"usage\":%s}",
	    (long long)time(NULL), mq, q, json_object_to_json_string_ext(usage,
	    JSON_C_TO_STRING_PLAIN)) == -1)
		body = NULL;
	free(mq);
	free(model);
	json_object_put(usage);
	free(q);
	free(reply);
	return answer_json(rq, m, 200, NULL, body);
}

/* Whether spec applies cleanly, for the option. */
static int
usage_valid(const char *spec)
{
	json_object *u = json_object_new_object();
	int ok = usage_apply(u, spec, strlen(spec)) == 0;

	json_object_put(u);
	return ok;
}

/* "none" or a count in [0, INT32_MAX]; -2 for none, -1 when neither. */
static long
parse_total(const char *s, size_t len)
{
	char *end;
	long n;

	if (len == 4 && strncmp(s, "none", 4) == 0)
		return -2;
	n = strtol(s, &end, 10);
	return end != s && (size_t)(end - s) == len && n >= 0 &&
	    n <= INT32_MAX ? n : -1;
}

/* The MOCK_* words of the last user message over the defaults. */
static void
mode_from_words(const char *last, struct mock_mode *m)
{
	const char *p;
	long v;

	*m = defaults;
	if (strstr(last, "MOCK_CHUNKED") != NULL)
		m->chunked = 1;
	if (strstr(last, "MOCK_GZIP") != NULL)
		m->gzip = 1;
	if ((p = strstr(last, "MOCK_TRICKLE=")) != NULL &&
	    (v = strtol(p + 13, NULL, 10)) > 0 && v <= MOCK_MAX_DELAY)
		m->trickle_ms = v;
	if ((p = strstr(last, "MOCK_429=")) != NULL &&
	    (v = strtol(p + 9, NULL, 10)) >= 0 && v <= MOCK_MAX_RETRY)
		m->retry_after = v;
	if ((p = strstr(last, "MOCK_TOTAL=")) != NULL &&
	    (v = parse_total(p + 11, strcspn(p + 11, " \t\r\n"))) != -1)
		m->total = v;
	if ((p = strstr(last, "MOCK_MODEL=")) != NULL) {
		m->model = p + 11;
		m->model_len = strcspn(m->model, " \t\r\n");
	}
	if ((p = strstr(last, "MOCK_USAGE=")) != NULL) {
		m->usage = p + 11;
		m->usage_len = strcspn(m->usage, " \t\r\n");
	}
}

/* Returns -1 when the connection must close. */
static int
serve_chat(const struct testhttp_request *rq, json_object *body)
{
	struct mock_mode mode, *m = &mode;
	const char *last, *p;
	char msg[600];
	int words;

	mode = defaults;
	if (body == NULL)
		return answer_error(rq, m, 400, "request body is not JSON");
	last = scan_messages(body, &words);
	mode_from_words(last, m);
	if ((p = strstr(last, "MOCK_DELAY=")) != NULL) {
		long ms = strtol(p + 11, NULL, 10);

		if (ms > 0 && ms <= MOCK_MAX_DELAY)
			usleep((useconds_t)ms * 1000);
	}
	if (strstr(last, "MOCK_CLOSE") != NULL)
		return -1;
	if ((p = strstr(last, "MOCK_STATUS=")) != NULL) {
		int status = atoi(p + 12);

		return answer_error(rq, m, status >= 100 && status <= 599 ?
		    status : 500, "mock failure");
	}
	if (strstr(last, "MOCK_ECHO_AUTH") != NULL) {
		snprintf(msg, sizeof(msg), "invalid credentials: %s",
		    has_auth(rq) ? testhttp_header(rq, "authorization") :
		    "(none)");
		return answer_error(rq, m, 401, msg);
	}
	if (m->retry_after >= 0)
		return answer_rate_limited(rq, m);
	if (strstr(last, "MOCK_GARBAGE") != NULL)
		return respond(rq, m, 200, NULL, "<html>not json</html>", 21);
	if (strstr(last, "MOCK_HUGE") != NULL)
		return answer_huge(rq);
	return answer_reply(rq, m, last, words);
}

static int
serve_one(struct testhttp_request *rq, void *arg)
{
	json_object *body = json_tokener_parse(rq->body);
	int rc;

	(void)arg;
	log_request(rq, body);
	if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path, "/healthz") == 0)
		rc = respond(rq, &defaults, 200, NULL, "ok", 2);
	else if (strcmp(rq->method, "POST") == 0 &&
	    (strcmp(rq->path, "/v1/chat/completions") == 0 ||
	    strcmp(rq->path, "/chat/completions") == 0))
		rc = serve_chat(rq, body);
	else
		rc = answer_error(rq, &defaults, 404, "no such endpoint");
	json_object_put(body);
	return rc;
}

int
main(int argc, char **argv)
{
	struct testhttp_server srv = { .max_body = MOCK_MAX_BODY,
	    .handler = serve_one };
	const char *listen_spec = NULL, *port_file = NULL, *log_path = NULL;
	char *end;

	log_init("mock-llm", LOG_LVL_WARN);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (i + 1 < argc && strcmp(argv[i], "--listen") == 0)
			listen_spec = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--port-file") == 0)
			port_file = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--log") == 0)
			log_path = argv[++i];
		else if (strcmp(argv[i], "--chunked") == 0)
			defaults.chunked = 1;
		else if (strcmp(argv[i], "--gzip") == 0)
			defaults.gzip = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--trickle") == 0 &&
		    (defaults.trickle_ms = strtol(argv[i + 1], &end, 10)) > 0 &&
		    *end == '\0' && defaults.trickle_ms <= MOCK_MAX_DELAY)
			i++;
		else if (i + 1 < argc && strcmp(argv[i], "--rate-limit") == 0 &&
		    (defaults.retry_after = strtol(argv[i + 1], &end, 10)) >= 0 &&
		    *end == '\0' && defaults.retry_after <= MOCK_MAX_RETRY)
			i++;
		else if (i + 1 < argc && strcmp(argv[i], "--total") == 0 &&
		    (defaults.total = parse_total(argv[i + 1],
		    strlen(argv[i + 1]))) != -1)
			i++;
		else if (i + 1 < argc && strcmp(argv[i], "--usage") == 0 &&
		    usage_valid(argv[i + 1])) {
			defaults.usage = argv[++i];
			defaults.usage_len = strlen(defaults.usage);
		} else if (i + 1 < argc && strcmp(argv[i], "--model") == 0 &&
		    argv[i + 1][0] != '\0') {
			defaults.model = argv[++i];
			defaults.model_len = strlen(defaults.model);
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (listen_spec == NULL) {
		usage(stderr);
		return 2;
	}
	if (log_path != NULL && (log_fd = open(log_path, O_WRONLY | O_CREAT |
	    O_APPEND | O_CLOEXEC, 0644)) == -1) {
		log_warn("%s", log_path);
		return 1;
	}
	if (testhttp_listen(&srv, listen_spec, port_file) == -1 ||
	    testhttp_serve(&srv) == -1)
		return 1;
	return 0;
}
