/* httpc.h - the one HTTP client (libcurl) under the model calls and the
 * OTLP export: process-wide init, one keep-alive handle per client, the
 * bounded response body, timeouts, headers, error classes, and keeping
 * secrets (header values marked secret, URL user:password) out of every
 * message. No other module calls libcurl. */
#ifndef RC_HTTPC_H
#define RC_HTTPC_H

#include <stddef.h>
#include <time.h>

struct buf;

#define HTTPC_ERR_MAX		256	/* errmsg, with its NUL */
#define HTTPC_RETRY_AFTER_MAX	64	/* longer Retry-After values: dropped */
#define HTTPC_EXTRA_MAX		4	/* per-request header lines */
#define HTTPC_SECRET_MIN	4	/* shorter secrets would mangle text */
#define HTTPC_REDACTED		"[redacted]"

/* Call once per process before threads start (curl_global_init). Returns 0,
 * or -1 when libcurl cannot start. */
int httpc_global_init(void) __attribute__((warn_unused_result));
/* Undo httpc_global_init, after every client is freed. */
void httpc_global_cleanup(void);

/* The check for an API key that goes into a header value: visible ASCII
 * only (no space, control character, CR, LF or byte above 0x7e). Returns
 * 0, or -1 with a reason that never quotes the key in err. The signature
 * is config_entry's check. */
int httpc_check_key(const char *val, char *err, size_t errlen);

struct httpc_config {
	const char	*url;		/* the one URL this client posts to */
	long		 connect_timeout_ms;
	long		 timeout_ms;	/* the whole transfer */
	size_t		 body_max;	/* response bytes kept */
	int		 body_truncate;	/* past body_max: 1 read the rest
					 * away and set truncated, 0 stop
					 * the transfer (HTTPC_ERR_RESPONSE) */
	const char	*user_agent;	/* NULL: no User-Agent header */
};

enum httpc_error {
	HTTPC_OK = 0,		/* an answer came, whatever its status */
	HTTPC_ERR_TIMEOUT,	/* connect or total timeout */
	HTTPC_ERR_CONNECT,	/* resolve, connect, TLS, send/receive, no answer */
	HTTPC_ERR_RESPONSE,	/* an unreadable answer, or past body_max */
	HTTPC_ERR_SETUP,	/* the request could not be set up */
};

struct httpc_request {
	const void	*body;
	size_t		 len;
	/* "Name: value" lines for this request only, sent after the
	 * client's own; a line with a control character is not sent. */
	const char	*headers[HTTPC_EXTRA_MAX];
	size_t		 nheaders;
};

struct httpc_response {
	enum httpc_error	 error;
	long			 status;	/* 0 when no answer came */
	/* The answer body, NUL-terminated; owned by the client and valid
	 * until the next httpc_post or httpc_free. Never NULL. */
	const char		*body;
	size_t			 body_len;
	int			 truncated;	/* longer than body_max */
	char			 retry_after[HTTPC_RETRY_AFTER_MAX]; /* or "" */
	/* Why there was no answer (libcurl's words), with every secret of
	 * the client redacted; "" on HTTPC_OK. */
	char			 errmsg[HTTPC_ERR_MAX];
};

struct httpc;

/* A client for one thread, posting to cfg->url over one kept-alive
 * connection; cfg is copied (url and user_agent too). The URL's
 * user:password, if any, becomes a secret. Returns NULL when libcurl
 * cannot be set up. Free with httpc_free. */
struct httpc *httpc_new(const struct httpc_config *cfg);
/* Free the client, wiping its secrets; NULL does nothing. */
void httpc_free(struct httpc *c);

#define HTTPC_SECRET	0x1	/* httpc_header: the value is a secret */

/* Send "name: value" with every request. A NULL value removes a header
 * libcurl would add ("Expect"); "" sends it empty. With HTTPC_SECRET in
 * flags the value, and the token of a "Scheme token" value, are redacted
 * from every message. Returns 0, or -1 when the name or value holds a
 * control character, CR or LF, or on libcurl's out of memory. */
int httpc_header(struct httpc *c, const char *name, const char *value,
    int flags) __attribute__((warn_unused_result));

/* POST req->body to the client's URL. Returns 0 when an answer came (res
 * holds its status, body and Retry-After), else -1 with res->error and
 * res->errmsg set. res->body belongs to the client. */
int httpc_post(struct httpc *c, const struct httpc_request *req,
    struct httpc_response *res) __attribute__((warn_unused_result));

/* Replace every registered secret of at least HTTPC_SECRET_MIN bytes in
 * b's bytes with HTTPC_REDACTED, longest context first (a header's value,
 * then its token). Aborts only when out of memory. */
void httpc_redact_secrets(const struct httpc *c, struct buf *b);
/* The length of the longest registered secret, 0 when none. */
size_t httpc_secret_max(const struct httpc *c);

/* Replace every occurrence of secret (NULL or "" do nothing) in b's bytes
 * with HTTPC_REDACTED; the old bytes are wiped. */
void httpc_redact(struct buf *b, const char *secret);
/* The same for the string s in a buffer of size bytes; what no longer
 * fits is cut, and no part of the secret survives the cut. */
void httpc_scrub(char *s, size_t size, const char *secret);
/* Parse an HTTP-date (libcurl's curl_getdate, which is lenient: check
 * the form first) into *t. Returns 0, or -1 when it is not a date. */
int httpc_parse_date(const char *s, time_t *t)
	__attribute__((warn_unused_result));
/* A copy of url with any user:password shown as HTTPC_REDACTED, for logs.
 * Caller frees. */
char *httpc_url_for_log(const char *url);

#endif
