/* testsrv.h - a scripted HTTP/1.1 server for the unit tests of the HTTP
 * clients (httpc, exporter): a thread on a free 127.0.0.1 port, one request
 * per connection, answered as the test scripted it, the last request kept
 * for the test to look at. Failures here fail the calling test. */
#ifndef RC_TESTSRV_H
#define RC_TESTSRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum testsrv_mode {
	TESTSRV_ANSWER,	/* the scripted answer */
	TESTSRV_SILENT,	/* read the request, say nothing until the client goes */
	TESTSRV_CLOSE,	/* read the request, close without a word */
};

struct testsrv {
	int		 fd;		/* the listening socket */
	int		 port;
	char		 url[96];	/* http://127.0.0.1:<port><path> */
	pthread_t	 th;
	atomic_int	 stop;
	pthread_mutex_t	 mu;		/* guards the script and the record */
	/* script */
	enum testsrv_mode mode;
	int		 status;
	char		 extra[256];	/* more response header lines */
	char		*body;
	size_t		 body_len;
	/* record of the last request; read it once the client has its
	 * answer (or has given up) */
	int		 nreq;		/* requests read so far */
	char		*req;		/* head and body, NUL-terminated */
	size_t		 req_len;
	char		*head;		/* request line and headers, each with
					 * its CRLF, NUL-terminated */
	uint8_t		*req_body;	/* into req */
	size_t		 req_body_len;
};

/* Start a server answering 200 with an empty body; url gets path (such as
 * "/v1/x", or "") after the address. Fails the test when it cannot. Stop
 * and free it with testsrv_stop. */
struct testsrv *testsrv_start(const char *path);
/* Stop the thread, close the socket and free s with the request kept. */
void testsrv_stop(struct testsrv *s);

/* Answer from now on with status, the header lines extra (each ending in
 * "\r\n", or ""), and len bytes of body (copied). Fails the test when
 * out of memory. */
void testsrv_answer(struct testsrv *s, int status, const char *extra,
    const void *body, size_t len);
/* Switch to mode, keeping the scripted answer. */
void testsrv_mode(struct testsrv *s, enum testsrv_mode mode);

/* Whether the last request's head holds this exact line (under 250
 * bytes). */
int testsrv_got_line(struct testsrv *s, const char *line);
/* Whether the last request's head has a header named name (any case). */
int testsrv_got_name(struct testsrv *s, const char *name);
/* The value of the last request's first header named name (any case),
 * without leading blanks, or NULL when there is none. Caller frees. */
char *testsrv_header(struct testsrv *s, const char *name);

/* Unset every proxy variable libcurl reads, so that nothing a test sends
 * leaves 127.0.0.1. */
void testsrv_no_proxy(void);

/* A socket bound to a free 127.0.0.1 port, listening when asked; the port
 * goes to *port. Bound but not listening, it refuses connections and keeps
 * the port from any other process until closed. Fails the test when it
 * cannot. The caller closes the socket. */
int testsrv_bind_free_port(int *port, int listening);

#endif
