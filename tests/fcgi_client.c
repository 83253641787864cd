/* fcgi_client.c - a minimal FastCGI client for the tests: the web server's
 * side of one RESPONDER request, over a unix socket or loopback TCP. */
#include "fcgi_client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FCGI_VERSION_1		1
#define FCGI_BEGIN_REQUEST	1
#define FCGI_END_REQUEST	3
#define FCGI_PARAMS		4
#define FCGI_STDIN		5
#define FCGI_STDOUT		6
#define FCGI_STDERR		7
#define FCGI_RESPONDER		1
#define FCGI_REQUEST_ID		1
#define FCGI_HEADER_LEN		8
#define FCGI_RECORD_MAX		65535	/* content bytes in one record */
#define FCGI_CLIENT_PARAMS_LIMIT (1024 * 1024)	/* encoded name-value pairs */

static int
fcgi_client_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, c, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Returns 0, or -1 on error, timeout or end of stream before n bytes. */
static int
fcgi_client_read_full(int fd, void *p, size_t n)
{
	char *c = p;
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = ECONNRESET;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
fcgi_client_record(int fd, int type, const void *content, size_t len)
{
	unsigned char h[FCGI_HEADER_LEN] = { FCGI_VERSION_1, (unsigned char)type,
	    0, FCGI_REQUEST_ID, (unsigned char)(len >> 8),
	    (unsigned char)(len & 0xff), 0, 0 };

	if (fcgi_client_write_all(fd, h, sizeof(h)) == -1)
		return -1;
	return len > 0 ? fcgi_client_write_all(fd, content, len) : 0;
}

/* A whole stream: records of at most FCGI_RECORD_MAX bytes, then the
 * empty record that ends it. */
static int
fcgi_client_stream(int fd, int type, const char *p, size_t len)
{
	size_t n;

	while (len > 0) {
		n = len > FCGI_RECORD_MAX ? FCGI_RECORD_MAX : len;
		if (fcgi_client_record(fd, type, p, n) == -1)
			return -1;
		p += n;
		len -= n;
	}
	return fcgi_client_record(fd, type, NULL, 0);
}

static int
fcgi_client_put_len(struct buf *b, size_t len)
{
	unsigned char l[4] = { (unsigned char)((len >> 24) | 0x80),
	    (unsigned char)(len >> 16), (unsigned char)(len >> 8),
	    (unsigned char)len };

	if (len > 0x7fffffff)
		return -1;
	if (len < 128) {
		l[0] = (unsigned char)len;
		return buf_append(b, l, 1);
	}
	return buf_append(b, l, sizeof(l));
}

static int
fcgi_client_encode(struct buf *b, const struct fcgi_client_param *params,
    size_t nparams)
{
	size_t nl, vl;

	for (size_t i = 0; i < nparams; i++) {
		nl = strlen(params[i].name);
		vl = strlen(params[i].value);
		if (fcgi_client_put_len(b, nl) == -1 ||
		    fcgi_client_put_len(b, vl) == -1 ||
		    buf_append(b, params[i].name, nl) == -1 ||
		    buf_append(b, params[i].value, vl) == -1)
			return -1;
	}
	return 0;
}

static int
fcgi_client_send(int fd, const struct fcgi_client_param *params,
    size_t nparams, const char *body, size_t bodylen)
{
	static const unsigned char begin[8] = { 0, FCGI_RESPONDER, 0 };
	struct buf enc;
	int rc = -1;

	buf_init(&enc, FCGI_CLIENT_PARAMS_LIMIT);
	if (fcgi_client_encode(&enc, params, nparams) == -1) {
		errno = E2BIG;
		goto out;
	}
	if (fcgi_client_record(fd, FCGI_BEGIN_REQUEST, begin, sizeof(begin))
	    == -1 ||
	    fcgi_client_stream(fd, FCGI_PARAMS, enc.data, enc.len) == -1 ||
	    fcgi_client_stream(fd, FCGI_STDIN, body, bodylen) == -1)
		goto out;
	rc = 0;
out:
	buf_cleanup(&enc);
	return rc;
}

/* Read records up to END_REQUEST; STDOUT goes to out, STDERR is dropped. */
static int
fcgi_client_receive(int fd, struct buf *out)
{
	unsigned char h[FCGI_HEADER_LEN];
	char content[FCGI_RECORD_MAX + 255];
	size_t len;

	for (;;) {
		if (fcgi_client_read_full(fd, h, sizeof(h)) == -1)
			return -1;
		if (h[0] != FCGI_VERSION_1) {
			errno = EPROTO;
			return -1;
		}
		len = ((size_t)h[4] << 8 | h[5]) + h[6];
		if (fcgi_client_read_full(fd, content, len) == -1)
			return -1;
		len -= h[6];
		if (h[1] == FCGI_END_REQUEST)
			return 0;
		if (h[1] == FCGI_STDOUT && buf_append(out, content, len) == -1) {
			errno = EFBIG;
			return -1;
		}
	}
}

static int
fcgi_client_sockaddr(const char *addr, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char host[INET_ADDRSTRLEN];
	const char *colon;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (addr[0] == '/') {
		if (strlen(addr) >= sizeof(sun->sun_path))
			goto bad;
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, addr);
		*sslen = sizeof(*sun);
		return 0;
	}
	if ((colon = strrchr(addr, ':')) == NULL ||
	    (size_t)(colon - addr) >= sizeof(host))
		goto bad;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
	    (ntohl(sin->sin_addr.s_addr) >> 24) != 127)
		goto bad;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	*sslen = sizeof(*sin);
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
fcgi_client_connect(const char *addr, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, saved;

	if (fcgi_client_sockaddr(addr, &ss, &sslen) == -1)
		return -1;
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&ss, sslen) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
fcgi_client_request(const char *addr, const struct fcgi_client_param *params,
    size_t nparams, const char *body, size_t bodylen, struct buf *out,
    int timeout_ms)
{
	int fd, rc = -1, saved;

	if ((fd = fcgi_client_connect(addr, timeout_ms)) == -1)
		return -1;
	if (fcgi_client_send(fd, params, nparams, body, bodylen) == -1 ||
	    fcgi_client_receive(fd, out) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
