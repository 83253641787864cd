/* testhttp.h - the HTTP/1.1 server core of the test doubles (mock-llm,
 * otlp-receiver): loopback listener, a thread per connection, keep-alive. */
#ifndef RC_TESTHTTP_H
#define RC_TESTHTTP_H

#include <stddef.h>

#define TESTHTTP_MAX_HEAD	(64 * 1024)	/* request line + headers */
#define TESTHTTP_MAX_HEADERS	100

struct testhttp_header {
	const char	*name;		/* lowercased */
	const char	*value;		/* surrounding blanks removed */
};

/* One request, valid for the duration of the handler call. */
struct testhttp_request {
	char			 method[16];
	char			 path[1024];
	char			 version[16];
	struct testhttp_header	 headers[TESTHTTP_MAX_HEADERS];
	size_t			 nheaders;
	char			*body;		/* NUL-terminated, never NULL */
	size_t			 body_len;
	int			 close;		/* the client wants no keep-alive */
	int			 conn;		/* connection number, from 1 */
	int			 fd;		/* the connection */
	char			*head;		/* storage for the headers */
};

/* Answers one request. Returns 0 to keep the connection open, -1 to close
 * it (with or without having answered). */
typedef int (*testhttp_handler)(struct testhttp_request *, void *);

struct testhttp_server {
	size_t			 max_body;	/* larger bodies get 413 */
	const char		*down_file;	/* while it exists, connections
						 * are closed unanswered; or NULL */
	int			 idle_ms;	/* close a connection idle this
						 * long between requests; 0:
						 * never (uvicorn: 5000) */
	void			(*on_idle_close)(void *);	/* or NULL;
						 * called with arg */
	testhttp_handler	 handler;
	void			*arg;		/* handed to the handler */
	int			 fd;		/* set by testhttp_listen */
	int			 port;
};

/* Listen on spec "IPV4:PORT" (port 0 picks a free one) and write the port
 * to port_file when it is not NULL. Returns 0, or -1 (logged). */
int testhttp_listen(struct testhttp_server *s, const char *spec,
    const char *port_file) __attribute__((warn_unused_result));
/* Serve in background threads until SIGTERM or SIGINT. Call before making
 * other threads: it blocks both signals for all of them. Returns 0 on a
 * signal, -1 when the server cannot start. */
int testhttp_serve(struct testhttp_server *s)
    __attribute__((warn_unused_result));

/* Value of the first header called name (any case), or NULL when absent.
 * Owned by rq. */
const char *testhttp_header(const struct testhttp_request *rq,
    const char *name);
/* Send status, Content-Type ctype, Content-Length len, the lines in extra
 * (each ending in CRLF; NULL for none) and the body. Returns 0, or -1 when
 * the client is gone. */
int testhttp_respond(const struct testhttp_request *rq, int status,
    const char *ctype, const char *extra, const void *body, size_t len)
    __attribute__((warn_unused_result));
/* Write raw bytes to the connection, for answers made by hand. Returns 0,
 * or -1 when the client is gone. */
int testhttp_send(const struct testhttp_request *rq, const void *p,
    size_t n) __attribute__((warn_unused_result));
/* Reason phrase of an HTTP status; "Unknown" for codes it does not know. */
const char *testhttp_reason(int status);

#endif
