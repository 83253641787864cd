/* testhttp.c - the HTTP/1.1 server core of the test doubles: reads requests
 * (Content-Length bodies only), hands each to a handler, writes answers;
 * closes connections left idle too long. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "log.h"
#include "testhttp.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* One connection: bytes received past the current request wait in pending. */
struct conn {
	struct testhttp_server	*srv;
	int			 fd;
	int			 num;
	int			 served;	/* requests answered */
	size_t			 plen;
	char			 pending[TESTHTTP_MAX_HEAD];
};

static atomic_int conn_seq;

static const struct {
	int		 status;
	const char	*reason;
} reasons[] = {
	{ 100, "Continue" }, { 200, "OK" }, { 204, "No Content" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 408, "Request Timeout" }, { 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" }, { 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" }, { 507, "Insufficient Storage" },
};

const char *
testhttp_reason(int status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

static int
send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
testhttp_send(const struct testhttp_request *rq, const void *p, size_t n)
{
	return send_all(rq->fd, p, n);
}

int
testhttp_respond(const struct testhttp_request *rq, int status,
    const char *ctype, const char *extra, const void *body, size_t len)
{
	char *head;
	int n, rc;

	n = asprintf(&head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%s%s\r\n", status, testhttp_reason(status),
	    ctype, len, rq->close ? "Connection: close\r\n" : "",
	    extra != NULL ? extra : "");
	if (n == -1)
		return -1;
	rc = send_all(rq->fd, head, (size_t)n);
	free(head);
	if (rc == 0 && len > 0)
		rc = send_all(rq->fd, body, len);
	return rc;
}

const char *
testhttp_header(const struct testhttp_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->nheaders; i++)
		if (strcasecmp(rq->headers[i].name, name) == 0)
			return rq->headers[i].value;
	return NULL;
}

/* Split "Name: value" in place; returns -1 when it is not a header. */
static int
parse_header(char *line, struct testhttp_header *h)
{
	char *colon = strchr(line, ':'), *v, *end;

	if (colon == NULL || colon == line)
		return -1;
	for (char *p = line; p < colon; p++) {
		if (!isgraph((unsigned char)*p))
			return -1;
		*p = (char)tolower((unsigned char)*p);
	}
	*colon = '\0';
	v = colon + 1 + strspn(colon + 1, " \t");
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	h->name = line;
	h->value = v;
	return 0;
}

/* Returns 0, or the HTTP status that refuses the head. */
static int
parse_head(struct testhttp_request *rq)
{
	char *line, *save;

	if ((line = strtok_r(rq->head, "\r\n", &save)) == NULL ||
	    sscanf(line, "%15s %1023s %15s", rq->method, rq->path,
	    rq->version) != 3 || strncmp(rq->version, "HTTP/1.", 7) != 0)
		return 400;
	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
		if (rq->nheaders == TESTHTTP_MAX_HEADERS)
			return 431;
		if (parse_header(line, &rq->headers[rq->nheaders++]) == -1)
			return 400;
	}
	return 0;
}

/* Returns 0, or the HTTP status that refuses the framing. */
static int
body_length(const struct testhttp_request *rq, size_t max, size_t *len)
{
	const char *cl = NULL, *v;
	char *end;

	if (testhttp_header(rq, "transfer-encoding") != NULL)
		return 501;
	for (size_t i = 0; i < rq->nheaders; i++) {
		if (strcmp(rq->headers[i].name, "content-length") != 0)
			continue;
		v = rq->headers[i].value;
		if (cl != NULL && strcmp(cl, v) != 0)
			return 400;
		cl = v;
	}
	*len = 0;
	if (cl == NULL)
		return 0;
	errno = 0;
	*len = strtoull(cl, &end, 10);
	if (!isdigit((unsigned char)*cl) || *end != '\0' || errno != 0)
		return 400;
	return *len > max ? 413 : 0;
}

static int
wants_close(const struct testhttp_request *rq)
{
	const char *c = testhttp_header(rq, "connection");

	if (strcmp(rq->version, "HTTP/1.0") == 0)
		return 1;
	return c != NULL && strcasecmp(c, "close") == 0;
}

/* Whether the connection stays idle (no byte of a next request) for the
 * server's idle_ms after an answer: then it is closed unanswered, as
 * uvicorn closes a keep-alive connection after timeout_keep_alive. */
static int
idle_expired(const struct conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	int r;

	if (c->srv->idle_ms <= 0 || c->served == 0 || c->plen > 0)
		return 0;
	while ((r = poll(&pfd, 1, c->srv->idle_ms)) == -1 && errno == EINTR)
		;
	if (r != 0)
		return 0;
	if (c->srv->on_idle_close != NULL)
		c->srv->on_idle_close(c->srv->arg);
	return 1;
}

/* Receive up to the blank line. Returns the head length with its blank
 * line, 0 when the client went away or stayed idle too long, or -431 when
 * the head is too long. */
static long
recv_head(struct conn *c)
{
	char *end;
	ssize_t r;

	while ((end = memmem(c->pending, c->plen, "\r\n\r\n", 4)) == NULL) {
		if (c->plen == sizeof(c->pending))
			return -431;
		if (idle_expired(c))
			return 0;
		r = recv(c->fd, c->pending + c->plen,
		    sizeof(c->pending) - c->plen, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		c->plen += (size_t)r;
	}
	return end - c->pending + 4;
}

/* Move the body out of pending and receive the rest of it. */
static int
recv_body(struct conn *c, struct testhttp_request *rq, size_t len)
{
	size_t have = c->plen < len ? c->plen : len;
	ssize_t r;

	rq->body = xmalloc(len + 1);
	rq->body_len = len;
	if (have < len && testhttp_header(rq, "expect") != NULL &&
	    strcasecmp(testhttp_header(rq, "expect"), "100-continue") == 0 &&
	    send_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) == -1)
		return -1;
	memcpy(rq->body, c->pending, have);
	memmove(c->pending, c->pending + have, c->plen - have);
	c->plen -= have;
	while (have < len) {
		r = recv(c->fd, rq->body + have, len - have, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	rq->body[len] = '\0';
	return 0;
}

/* Read the next request into rq. Returns 0, -1 when the connection ends
 * quietly, or an HTTP status to answer before closing. */
static int
read_request(struct conn *c, struct testhttp_request *rq)
{
	size_t len;
	long hlen;
	int status;

	memset(rq, 0, sizeof(*rq));
	rq->fd = c->fd;
	rq->conn = c->num;
	rq->close = 1;
	if ((hlen = recv_head(c)) <= 0)
		return hlen == 0 ? -1 : (int)-hlen;
	rq->head = xstrndup(c->pending, (size_t)hlen - 4);
	memmove(c->pending, c->pending + hlen, c->plen - (size_t)hlen);
	c->plen -= (size_t)hlen;
	if ((status = parse_head(rq)) != 0 ||
	    (status = body_length(rq, c->srv->max_body, &len)) != 0)
		return status;
	rq->close = wants_close(rq);
	return recv_body(c, rq, len);
}

static void
request_cleanup(struct testhttp_request *rq)
{
	free(rq->head);
	free(rq->body);
	rq->head = rq->body = NULL;
}

static int
is_down(const struct testhttp_server *s)
{
	return s->down_file != NULL && access(s->down_file, F_OK) == 0;
}

/* Answer a request that could not be read, then close. */
static void
refuse(struct testhttp_request *rq, int status)
{
	char body[64];
	int n;

	n = snprintf(body, sizeof(body), "%s\n", testhttp_reason(status));
	rq->close = 1;
	if (testhttp_respond(rq, status, "text/plain", NULL, body,
	    (size_t)n) == -1)
		log_debug("%s: client gone before the %d", __func__, status);
}

static void *
connection(void *arg)
{
	struct conn *c = arg;
	struct testhttp_request rq;
	int rc;

	for (;;) {
		if ((rc = read_request(c, &rq)) > 0)
			refuse(&rq, rc);
		if (rc != 0 || is_down(c->srv))
			break;
		rc = c->srv->handler(&rq, c->srv->arg);
		c->served++;
		if (rc == -1 || rq.close)
			break;
		request_cleanup(&rq);
	}
	request_cleanup(&rq);
	close(c->fd);
	free(c);
	return NULL;
}

static void *
acceptor(void *arg)
{
	struct testhttp_server *s = arg;
	struct conn *c;
	pthread_t t;
	int fd;

	for (;;) {
		if ((fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		if (is_down(s)) {
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->srv = s;
		c->fd = fd;
		c->num = atomic_fetch_add(&conn_seq, 1) + 1;
		if (pthread_create(&t, NULL, connection, c) != 0) {
			close(fd);
			free(c);
		} else
			pthread_detach(t);
	}
	return NULL;
}

/* Write through a temporary name so that a reader never sees half. */
static int
write_port_file(const char *path, int port)
{
	char *tmp;
	FILE *fp;
	int rc = -1;

	if (asprintf(&tmp, "%s.tmp", path) == -1)
		return -1;
	if ((fp = fopen(tmp, "w")) == NULL)
		goto out;
	if (fprintf(fp, "%d\n", port) < 0) {
		fclose(fp);
		goto out;
	}
	if (fclose(fp) == 0 && rename(tmp, path) == 0)
		rc = 0;
out:
	if (rc == -1)
		log_warn("%s: %s", __func__, path);
	free(tmp);
	return rc;
}

/* A pool of 1,000 threads connects at once in `make bench`: a short
 * queue drops SYNs, and each retry costs a second of latency. */
#define TESTHTTP_BACKLOG	4096

static int
bind_listen(struct sockaddr_in *sin)
{
	socklen_t slen = sizeof(*sin);
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    listen(fd, TESTHTTP_BACKLOG) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &slen) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
testhttp_listen(struct testhttp_server *s, const char *spec,
    const char *port_file)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char host[64];
	int port;

	if (sscanf(spec, "%63[^:]:%d", host, &port) != 2 ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1 || port < 0 ||
	    port > 65535) {
		log_warnx("--listen wants IPV4:PORT, not %s", spec);
		return -1;
	}
	sin.sin_port = htons((uint16_t)port);
	if ((s->fd = bind_listen(&sin)) == -1) {
		log_warn("%s: listen on %s", __func__, spec);
		return -1;
	}
	s->port = ntohs(sin.sin_port);
	if (port_file != NULL && write_port_file(port_file, s->port) == -1) {
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

int
testhttp_serve(struct testhttp_server *s)
{
	sigset_t set;
	pthread_t t;
	int sig;

	/* Every thread inherits the mask; only sigwait below sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&t, NULL, acceptor, s) != 0) {
		log_warnx("%s: cannot start the acceptor", __func__);
		return -1;
	}
	pthread_detach(t);
	sigwait(&set, &sig);
	return 0;
}
