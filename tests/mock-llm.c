/* mock-llm.c - an OpenAI-compatible chat completions server for tests:
 * answers "mock reply to: <last user message>", logs each request as a JSON
 * line, and misbehaves on request (MOCK_* words in the last user message). */
#define _GNU_SOURCE
#include <json-c/json.h>

#include "log.h"
#include "testhttp.h"
#include "xalloc.h"

#include <ctype.h>
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

static int log_fd = -1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: mock-llm --listen ADDR:PORT [--port-file F] "
	    "[--log F]\n  port 0 picks a free port, written to the port "
	    "file\n");
}

static int
respond(const struct testhttp_request *rq, int status, const char *body,
    size_t len)
{
	return testhttp_respond(rq, status, "application/json", NULL, body,
	    len);
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

static int
answer_json(const struct testhttp_request *rq, int status, char *body)
{
	int rc = body != NULL ? respond(rq, status, body, strlen(body)) : -1;

	free(body);
	return rc;
}

static int
answer_error(const struct testhttp_request *rq, int status, const char *message)
{
	char *q = json_quote(message), *body;

	if (asprintf(&body, "{\"error\":{\"message\":%s,\"type\":"
	    "\"server_error\"}}", q) == -1)
		body = NULL;
	free(q);
	return answer_json(rq, status, body);
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

static int
answer_reply(const struct testhttp_request *rq, const char *last, int words)
{
	char *reply, *q, *body;
	int rwords;

	if (asprintf(&reply, "mock reply to: %s", last) == -1)
		return -1;
	rwords = count_words(reply);
	q = json_quote(reply);
	if (asprintf(&body, "{\"id\":\"chatcmpl-mock\",\"object\":"
	    "\"chat.completion\",\"created\":%lld,\"model\":\"mock-model\","
	    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
	    "\"content\":%s},\"finish_reason\":\"stop\"}],\"usage\":{"
	    "\"prompt_tokens\":%d,\"completion_tokens\":%d,"
	    "\"total_tokens\":%d}}", (long long)time(NULL), q, words, rwords,
	    words + rwords) == -1)
		body = NULL;
	free(q);
	free(reply);
	return answer_json(rq, 200, body);
}

/* Returns -1 when the connection must close. */
static int
serve_chat(const struct testhttp_request *rq, json_object *body)
{
	const char *last, *p;
	char msg[600];
	int words;

	if (body == NULL)
		return answer_error(rq, 400, "request body is not JSON");
	last = scan_messages(body, &words);
	if ((p = strstr(last, "MOCK_DELAY=")) != NULL) {
		long ms = strtol(p + 11, NULL, 10);

		if (ms > 0 && ms <= MOCK_MAX_DELAY)
			usleep((useconds_t)ms * 1000);
	}
	if (strstr(last, "MOCK_CLOSE") != NULL)
		return -1;
	if ((p = strstr(last, "MOCK_STATUS=")) != NULL) {
		int status = atoi(p + 12);

		return answer_error(rq, status >= 100 && status <= 599 ?
		    status : 500, "mock failure");
	}
	if (strstr(last, "MOCK_ECHO_AUTH") != NULL) {
		snprintf(msg, sizeof(msg), "invalid credentials: %s",
		    has_auth(rq) ? testhttp_header(rq, "authorization") :
		    "(none)");
		return answer_error(rq, 401, msg);
	}
	if (strstr(last, "MOCK_GARBAGE") != NULL)
		return respond(rq, 200, "<html>not json</html>", 21);
	if (strstr(last, "MOCK_HUGE") != NULL)
		return answer_huge(rq);
	return answer_reply(rq, last, words);
}

static int
serve_one(struct testhttp_request *rq, void *arg)
{
	json_object *body = json_tokener_parse(rq->body);
	int rc;

	(void)arg;
	log_request(rq, body);
	if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path, "/healthz") == 0)
		rc = respond(rq, 200, "ok", 2);
	else if (strcmp(rq->method, "POST") == 0 &&
	    (strcmp(rq->path, "/v1/chat/completions") == 0 ||
	    strcmp(rq->path, "/chat/completions") == 0))
		rc = serve_chat(rq, body);
	else
		rc = answer_error(rq, 404, "no such endpoint");
	json_object_put(body);
	return rc;
}

int
main(int argc, char **argv)
{
	struct testhttp_server srv = { .max_body = MOCK_MAX_BODY,
	    .handler = serve_one };
	const char *listen_spec = NULL, *port_file = NULL, *log_path = NULL;

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
		else {
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
