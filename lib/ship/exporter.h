/* exporter.h - OTLP/HTTP trace export: configuration from the environment,
 * gzip, answer classification and retry timing over one keep-alive httpc
 * client. Header values (the API key among them) never appear in any
 * message. */
#ifndef RC_EXPORTER_H
#define RC_EXPORTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define EXPORTER_DEFAULT_ENDPOINT	"http://127.0.0.1:6006"
#define EXPORTER_TRACES_PATH		"/v1/traces"
#define EXPORTER_NVARS			9	/* variables read */
#define EXPORTER_DEFAULT_TIMEOUT_MS	10000
#define EXPORTER_MAX_TIMEOUT_MS		600000
#define EXPORTER_CONNECT_TIMEOUT_MS	5000
#define EXPORTER_HEADERS_MAX		64		/* configured headers */
#define EXPORTER_REQUEST_MAX		(64 * 1024 * 1024) /* body, before gzip */
#define EXPORTER_RESPONSE_MAX		(1024 * 1024)	/* captured answer */
#define EXPORTER_EXCERPT_MAX		300	/* answer bytes in a message */
#define EXPORTER_MSG_MAX		512
#define EXPORTER_RETRY_AFTER_MAX_MS	(5 * 60 * 1000)
#define EXPORTER_BACKOFF_BASE_MS	500
#define EXPORTER_BACKOFF_MAX_MS		30000
#define EXPORTER_PROBE_MAX_MS		60000	/* settings refused: probe */

struct exporter_header {
	char	*name;		/* lower case HTTP token */
	char	*value;		/* percent-decoded, may be empty */
};

struct exporter_headers {
	struct exporter_header	*v;
	size_t			 n;
};

struct exporter_config {
	char			*url;		/* full traces URL */
	const char		*url_from;	/* variable it came from, or "default" */
	/* Phoenix's REST base URL (no trailing '/'), for feedback; NULL when
	 * spans go to a plain OTLP collector and PHOENIX_ENDPOINT is unset. */
	char			*rest_base;
	const char		*rest_from;	/* variable it came from */
	int			 gzip;
	long			 timeout_ms;
	struct exporter_headers	 headers;
};

/*
 * Read the exporter settings from the environment (empty counts as unset).
 * Endpoint precedence: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as-is) >
 * OTEL_EXPORTER_OTLP_ENDPOINT > PHOENIX_COLLECTOR_ENDPOINT > the default;
 * a base URL gets "/v1/traces" appended. Only the winner is validated.
 * Phoenix's REST base URL (rest_base), as Phoenix's own client finds it:
 * PHOENIX_ENDPOINT when set; else, when neither OTEL_ endpoint is set,
 * PHOENIX_COLLECTOR_ENDPOINT (or the default) without a trailing
 * "/v1/traces"; else none.
 * Headers: OTEL_EXPORTER_OTLP_HEADERS, then PHOENIX_CLIENT_HEADERS (wins on
 * the same name), then PHOENIX_API_KEY as "authorization: Bearer <key>"
 * (wins over both). Returns 0, or -1 with "VARIABLE: reason" in err (never a
 * header value or the key). Release with exporter_config_cleanup, also
 * after a failure.
 */
int exporter_config_from_env(struct exporter_config *cfg, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/* Free and wipe what exporter_config_from_env filled in. */
void exporter_config_cleanup(struct exporter_config *cfg);
/* "endpoint URL (from VAR), gzip, timeout N ms, headers: a, b (values not
 * shown)"; user:password in the URL is shown as [redacted]. Truncates to
 * outlen. */
void exporter_config_describe(const struct exporter_config *cfg, char *out,
    size_t outlen);
/* Print the variables this module reads, for --help. Cannot fail. */
void exporter_usage(FILE *fp);

/*
 * Parse a "k=v,k2=v2" header list (OTEL_EXPORTER_OTLP_HEADERS form) into h:
 * names and values have spaces and tabs around them trimmed, then are
 * percent-decoded; names are lowered and must be HTTP tokens; values must
 * hold no control character but tab; empty members are skipped. A name
 * already in h (or earlier in the list) is replaced. Names the exporter sets
 * itself (content-type, content-encoding, content-length, ...) are refused.
 * Returns 0, or -1 with a reason naming the member number in err and h
 * unchanged. Free with exporter_headers_cleanup.
 */
int exporter_headers_parse(const char *list, struct exporter_headers *h,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Free h's names and values (values wiped first); h is left empty. */
void exporter_headers_cleanup(struct exporter_headers *h);

/*
 * Retry-After value (delta-seconds or an HTTP-date, relative to now) in
 * milliseconds, capped at EXPORTER_RETRY_AFTER_MAX_MS; a date in the past
 * gives 0. Returns -1 for anything else (negative, garbage, empty).
 */
long exporter_parse_retry_after(const char *val, time_t now);

/* A source of uniformly random 32-bit numbers; NULL means arc4random. */
typedef uint32_t (*exporter_random_fn)(void *arg);

/* Exponential backoff with full jitter: uniform in [0, min(max_ms,
 * base_ms * 2^attempt)], attempt counting from 0. */
long exporter_backoff_ms(unsigned int attempt, long base_ms, long max_ms,
    exporter_random_fn rnd, void *arg);
/* Delay before retry number attempt (from 0): retry_after_ms when it is
 * >= 0 (capped at EXPORTER_RETRY_AFTER_MAX_MS), else the backoff with
 * EXPORTER_BACKOFF_BASE_MS and EXPORTER_BACKOFF_MAX_MS. */
long exporter_retry_delay_ms(unsigned int attempt, long retry_after_ms,
    exporter_random_fn rnd, void *arg);

/* What an answer means for the batch (docs/flusher.md has the table). */
enum exporter_outcome {
	EXPORTER_OK = 0,	/* 2xx */
	EXPORTER_RETRY,		/* 408, 429, 5xx, timeout, no connection: the
				 * collector is unavailable; send it again */
	EXPORTER_REJECT,	/* 400, 413, 422, or too large to send: the
				 * collector refuses this content */
	EXPORTER_CONFIG,	/* 3xx, 401, 403, 404, 405, 415 and any other
				 * 4xx: our settings are wrong; keep the
				 * batch, send it again once they are fixed */
};

struct exporter_result {
	enum exporter_outcome	 outcome;
	long			 http_status;	/* 0 when no answer came */
	long			 retry_after_ms; /* RETRY with Retry-After, else -1 */
	/* The answer body (an ExportTraceServiceResponse on OK, for
	 * otlp_parse_response); owned by the exporter, valid until the next
	 * exporter_send or exporter_free. NULL when empty. */
	const uint8_t		*body;
	size_t			 body_len;
	int			 body_truncated; /* longer than EXPORTER_RESPONSE_MAX */
	char			 msg[EXPORTER_MSG_MAX]; /* for the log; "" on OK */
	/* CONFIG: the settings to check, for the log line; else NULL. */
	const char		*check;
};

struct exporter;

/* One exporter per thread; cfg must outlive it. Call httpc_global_init
 * once before. Returns NULL when the HTTP client cannot be set up. Free
 * with exporter_free. */
struct exporter *exporter_new(const struct exporter_config *cfg);
/* An exporter that posts JSON (application/json, never gzip'd) to url
 * (copied) with cfg's headers and timeouts: Phoenix's REST API. Same
 * answer classes as exporter_send's. Returns NULL when the HTTP client
 * cannot be set up. Free with exporter_free. */
struct exporter *exporter_new_json(const struct exporter_config *cfg,
    const char *url);
/* Free the exporter and its buffers; NULL does nothing. */
void exporter_free(struct exporter *ex);

/*
 * POST one packed ExportTraceServiceRequest (len > 0, at most
 * EXPORTER_REQUEST_MAX) to the configured URL, gzip'd unless configured
 * otherwise. Returns 0 on OK, else -1 with res->outcome RETRY, REJECT or
 * CONFIG and res->msg set (the HTTP status and a cleaned excerpt of the
 * answer; res->check too for CONFIG).
 */
int exporter_send(struct exporter *ex, const uint8_t *pb, size_t len,
    struct exporter_result *res) __attribute__((warn_unused_result));

#endif
