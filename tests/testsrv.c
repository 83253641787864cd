/* testsrv.c - the scripted HTTP/1.1 server of the HTTP client unit tests
 * (see testsrv.h). */
#define _GNU_SOURCE	/* memmem, strcasestr, strndup */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "testsrv.h"

#define TESTSRV_HEAD_MAX	(64 * 1024)
#define TESTSRV_BODY_MAX	(8 * 1024 * 1024)
#define TESTSRV_REQ_MAX		(TESTSRV_HEAD_MAX + TESTSRV_BODY_MAX)

/* 1 when fd is readable, 0 or -1 once the server is told to stop or poll
 * fails. */
static int
testsrv_wait_readable(struct testsrv *s, int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r;

	while (!atomic_load(&s->stop))
		if ((r = poll(&p, 1, 50)) != 0)
			return r;
	return -1;
}

static size_t
testsrv_content_length(const char *head, size_t hlen)
{
	const char *p = strcasestr(head, "\r\ncontent-length:");

	return p != NULL && (size_t)(p - head) < hlen ?
	    strtoul(p + 17, NULL, 10) : 0;
}

/* Read the head and the body into one buffer sized to fit them, NUL after;
 * *hlen gets the length of the head with its blank line. NULL when the
 * client went away first or the request does not fit. */
static char *
testsrv_read_request(struct testsrv *s, int fd, size_t *len, size_t *hlen)
{
	char *buf = malloc(TESTSRV_REQ_MAX + 1), *end = NULL, *fit;
	size_t want = TESTSRV_REQ_MAX;
	ssize_t n;

	*len = *hlen = 0;
	if (buf == NULL)
		return NULL;
	while (*len < want) {
		if (testsrv_wait_readable(s, fd) <= 0 || (n = read(fd,
		    buf + *len, TESTSRV_REQ_MAX - *len)) <= 0) {
			free(buf);
			return NULL;
		}
		*len += (size_t)n;
		buf[*len] = '\0';
		if (end == NULL && (end = memmem(buf, *len, "\r\n\r\n", 4))) {
			*hlen = (size_t)(end - buf) + 4;
			want = *hlen + testsrv_content_length(buf, *hlen);
		}
	}
	if (end == NULL) {	/* a head larger than the buffer */
		free(buf);
		return NULL;
	}
	/* Exactly the request's size, so that a test reading past it trips
	 * the address sanitizer. */
	return (fit = realloc(buf, *len + 1)) != NULL ? fit : buf;
}

static void
testsrv_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = send(fd, p, n, MSG_NOSIGNAL)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

/* The scripted answer; called with the lock held. */
static void
testsrv_reply(struct testsrv *s, int fd)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d Scripted\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", s->status,
	    s->body_len, s->extra);
	testsrv_write_all(fd, head, (size_t)n);
	testsrv_write_all(fd, s->body != NULL ? s->body : "", s->body_len);
}

/* Keep req and its head as the last request; called with the lock held. */
static void
testsrv_record(struct testsrv *s, char *req, size_t len, char *head,
    size_t hlen)
{
	free(s->req);
	free(s->head);
	s->req = req;
	s->req_len = len;
	s->head = head;
	s->req_body = (uint8_t *)req + hlen;
	s->req_body_len = len - hlen;
	s->nreq++;
}

static void
testsrv_handle(struct testsrv *s, int fd)
{
	size_t len, hlen;
	char *req = testsrv_read_request(s, fd, &len, &hlen), *head, c;
	enum testsrv_mode mode;

	/* No cmocka assertion in this thread: a failure here shows as a
	 * connection closed unanswered. */
	if (req == NULL)
		return;
	/* The last header's CRLF kept, the blank line not. */
	if ((head = strndup(req, hlen - 2)) == NULL) {
		free(req);
		return;
	}
	/* Recorded before the answer goes, so that the test finds it as
	 * soon as its client returns. */
	pthread_mutex_lock(&s->mu);
	testsrv_record(s, req, len, head, hlen);
	if ((mode = s->mode) == TESTSRV_ANSWER)
		testsrv_reply(s, fd);
	pthread_mutex_unlock(&s->mu);
	if (mode == TESTSRV_SILENT)	/* until the client gives up */
		while (testsrv_wait_readable(s, fd) > 0 && read(fd, &c, 1) > 0)
			;
}

static void *
testsrv_main(void *arg)
{
	struct testsrv *s = arg;
	int fd;

	while (testsrv_wait_readable(s, s->fd) > 0) {
		if ((fd = accept(s->fd, NULL, NULL)) == -1)
			continue;
		testsrv_handle(s, fd);
		close(fd);
	}
	return NULL;
}

int
testsrv_bind_free_port(int *port, int listening)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listening)
		assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &slen), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

void
testsrv_no_proxy(void)
{
	static const char *const vars[] = { "http_proxy", "HTTP_PROXY",
	    "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
	    "no_proxy", "NO_PROXY" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

struct testsrv *
testsrv_start(const char *path)
{
	struct testsrv *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->fd = testsrv_bind_free_port(&s->port, 1);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d%s", s->port,
	    path);
	assert_int_equal(pthread_mutex_init(&s->mu, NULL), 0);
	testsrv_answer(s, 200, "", "", 0);
	assert_int_equal(pthread_create(&s->th, NULL, testsrv_main, s), 0);
	return s;
}

void
testsrv_stop(struct testsrv *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->th, NULL);
	close(s->fd);
	pthread_mutex_destroy(&s->mu);
	free(s->req);
	free(s->head);
	free(s->body);
	free(s);
}

void
testsrv_answer(struct testsrv *s, int status, const char *extra,
    const void *body, size_t len)
{
	pthread_mutex_lock(&s->mu);
	s->mode = TESTSRV_ANSWER;
	s->status = status;
	snprintf(s->extra, sizeof(s->extra), "%s", extra);
	free(s->body);
	s->body = malloc(len + 1);
	assert_non_null(s->body);
	memcpy(s->body, body, len);
	s->body_len = len;
	pthread_mutex_unlock(&s->mu);
}

void
testsrv_mode(struct testsrv *s, enum testsrv_mode mode)
{
	pthread_mutex_lock(&s->mu);
	s->mode = mode;
	pthread_mutex_unlock(&s->mu);
}

int
testsrv_got_line(struct testsrv *s, const char *line)
{
	char want[256];
	int found;

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	pthread_mutex_lock(&s->mu);
	found = s->head != NULL && strstr(s->head, want) != NULL;
	pthread_mutex_unlock(&s->mu);
	return found;
}

int
testsrv_got_name(struct testsrv *s, const char *name)
{
	char *v = testsrv_header(s, name);
	int found = v != NULL;

	free(v);
	return found;
}

char *
testsrv_header(struct testsrv *s, const char *name)
{
	size_t nlen = strlen(name);
	char *line, *v = NULL;

	pthread_mutex_lock(&s->mu);
	for (line = s->head != NULL ? strstr(s->head, "\r\n") : NULL;
	    line != NULL; line = strstr(line + 2, "\r\n"))
		if (strncasecmp(line + 2, name, nlen) == 0 &&
		    line[2 + nlen] == ':') {
			v = line + 3 + nlen;
			v = strndup(v + strspn(v, " "), strcspn(v, "\r") -
			    strspn(v, " "));
			assert_non_null(v);
			break;
		}
	pthread_mutex_unlock(&s->mu);
	return v;
}
