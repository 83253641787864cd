/* exporter.c - ships packed ExportTraceServiceRequests over OTLP/HTTP
 * (docs/flusher.md): settings, gzip, answer classes and retry timing; the
 * POST itself goes through httpc. */
#define _GNU_SOURCE	/* explicit_bzero, asprintf */
#define ZLIB_CONST
#include "exporter.h"
#include "hex.h"
#include "buf.h"
#include "config.h"
#include "httpc.h"
#include "xalloc.h"

#include <zlib.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXPORTER_STR2(x)	#x
#define EXPORTER_STR(x)		EXPORTER_STR2(x)
#define EXPORTER_RETRY_AFTER_LEN HTTPC_RETRY_AFTER_MAX /* longer: ignored */
#define EXPORTER_TEXT_MAX	((size_t)-1 / 2) /* messages built in memory */

struct exporter {
	const struct exporter_config	*cfg;
	struct httpc			*http;
	int				 gzip, json;
	uint8_t				*gz;
	size_t				 gzcap;
};

/* Headers the exporter writes itself; a configured one would break them. */
static const char *const exporter_reserved[] = {
	"content-type", "content-encoding", "content-length",
	"transfer-encoding", "host", "expect", "connection",
};

static int
exporter_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
exporter_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void
exporter_append(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) == -1)
		abort();	/* EXPORTER_TEXT_MAX: only out of address space */
}

static void
exporter_wipe_free(char *s, size_t n)
{
	if (s == NULL)
		return;
	explicit_bzero(s, n);
	free(s);
}

/* Header lists. */

static void
exporter_trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Percent-decode n bytes into a new string of *outlen bytes (it may hold
 * NUL). NULL on a bad escape. Caller frees. */
static char *
exporter_pct_decode(const char *s, size_t n, size_t *outlen)
{
	char *out = xmalloc(n + 1);
	size_t j = 0;
	int hi, lo;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[j++] = s[i];
			continue;
		}
		if (n - i < 3 || (hi = hex_digit(s[i + 1])) < 0 ||
		    (lo = hex_digit(s[i + 2])) < 0) {
			exporter_wipe_free(out, n + 1);
			return NULL;
		}
		out[j++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[j] = '\0';
	*outlen = j;
	return out;
}

/* RFC 9110 token: the only thing a header name may be. Lowers it too. */
static bool
exporter_token_lower(char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			s[i] = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL)))
			return false;
	}
	return true;
}

/* Field values: no control character but tab, so no header splitting. */
static int
exporter_check_value(const char *v, size_t n, size_t idx, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\r' || c == '\n')
			return exporter_fail(err, errlen, "member %zu: CR or LF "
			    "in the value", idx);
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return exporter_fail(err, errlen, "member %zu: control "
			    "character in the value", idx);
	}
	return 0;
}

static bool
exporter_is_reserved(const char *name)
{
	for (size_t i = 0; i < sizeof(exporter_reserved) /
	    sizeof(exporter_reserved[0]); i++)
		if (strcmp(name, exporter_reserved[i]) == 0)
			return true;
	return false;
}

static struct exporter_header *
exporter_headers_find(const struct exporter_headers *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].name != NULL && strcmp(h->v[i].name, name) == 0)
			return &h->v[i];
	return NULL;
}

/* Add or replace; takes ownership of name and value. */
static void
exporter_headers_set(struct exporter_headers *h, char *name, char *value)
{
	struct exporter_header *e = exporter_headers_find(h, name);

	if (e != NULL) {
		free(e->name);
		exporter_wipe_free(e->value, strlen(e->value));
	} else {
		h->v = xrealloc(h->v, (h->n + 1) * sizeof(*h->v));
		e = &h->v[h->n++];
	}
	e->name = name;
	e->value = value;
}

static int
exporter_parse_member(const char *s, size_t n, size_t idx,
    struct exporter_headers *h, char *err, size_t errlen)
{
	const char *eq = memchr(s, '=', n), *k = s, *v;
	char *name = NULL, *value = NULL;
	size_t kn, vn, dkn = 0, dvn = 0;
	int rc = -1;

	if (eq == NULL)
		return exporter_fail(err, errlen, "member %zu has no '='", idx);
	kn = (size_t)(eq - s);
	v = eq + 1;
	vn = n - kn - 1;
	exporter_trim(&k, &kn);
	exporter_trim(&v, &vn);
	if (kn == 0)
		return exporter_fail(err, errlen, "member %zu has an empty name",
		    idx);
	if ((name = exporter_pct_decode(k, kn, &dkn)) == NULL ||
	    (value = exporter_pct_decode(v, vn, &dvn)) == NULL)
		exporter_fail(err, errlen, "member %zu: bad percent escape", idx);
	else if (!exporter_token_lower(name, dkn))
		exporter_fail(err, errlen, "member %zu: the name is not a valid "
		    "header name", idx);
	else if (exporter_is_reserved(name))
		exporter_fail(err, errlen, "member %zu: '%s' is set by the "
		    "exporter", idx, name);
	else if (exporter_check_value(value, dvn, idx, err, errlen) == 0) {
		exporter_headers_set(h, name, value);
		name = value = NULL;
		rc = 0;
	}
	free(name);
	exporter_wipe_free(value, dvn);
	return rc;
}

/* Move every header of from into h, which must stay within the limit. */
static int
exporter_headers_merge(struct exporter_headers *h,
    struct exporter_headers *from, char *err, size_t errlen)
{
	size_t added = 0;

	for (size_t i = 0; i < from->n; i++)
		if (exporter_headers_find(h, from->v[i].name) == NULL)
			added++;
	if (h->n + added > EXPORTER_HEADERS_MAX)
		return exporter_fail(err, errlen, "more than %d headers in all",
		    EXPORTER_HEADERS_MAX);
	for (size_t i = 0; i < from->n; i++) {
		exporter_headers_set(h, from->v[i].name, from->v[i].value);
		from->v[i].name = from->v[i].value = NULL;
	}
	return 0;
}

int
exporter_headers_parse(const char *list, struct exporter_headers *h,
    char *err, size_t errlen)
{
	struct exporter_headers tmp = { NULL, 0 };
	const char *p = list, *comma, *m;
	size_t idx = 0, n;
	int rc = -1;

	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		m = p;
		exporter_trim(&m, &n);
		idx++;
		if (n > 0 && exporter_parse_member(m, n, idx, &tmp, err,
		    errlen) == -1)
			goto out;
		if (tmp.n > EXPORTER_HEADERS_MAX) {
			exporter_fail(err, errlen, "more than %d headers",
			    EXPORTER_HEADERS_MAX);
			goto out;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	rc = exporter_headers_merge(h, &tmp, err, errlen);
out:
	exporter_headers_cleanup(&tmp);
	return rc;
}

void
exporter_headers_cleanup(struct exporter_headers *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		if (h->v[i].value != NULL)
			exporter_wipe_free(h->v[i].value,
			    strlen(h->v[i].value));
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* Settings from the environment. */

struct exporter_env {
	const char	*traces_ep, *otlp_ep, *phoenix_ep, *api_key, *rest_ep;
	const char	*otlp_headers, *phoenix_headers, *compression;
	long long	 timeout_ms;
};

static int
exporter_check_compression(const char *val, char *err, size_t errlen)
{
	if (strcasecmp(val, "gzip") == 0 || strcasecmp(val, "none") == 0)
		return 0;
	return exporter_fail(err, errlen, "must be gzip or none");
}

static void
exporter_table(struct exporter_env *e, struct config_entry *t)
{
	const struct config_entry table[EXPORTER_NVARS] = {
	    { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", NULL, CONFIG_STR, 0, 0,
		&e->traces_ep, "traces URL, used as-is; beats the next two",
		NULL },
	    { "OTEL_EXPORTER_OTLP_ENDPOINT", NULL, CONFIG_STR, 0, 0,
		&e->otlp_ep, "collector base URL (+/v1/traces); beats the "
		"next one", NULL },
	    { "PHOENIX_COLLECTOR_ENDPOINT", EXPORTER_DEFAULT_ENDPOINT,
		CONFIG_STR, 0, 0, &e->phoenix_ep, "Phoenix base URL "
		"(+/v1/traces)", NULL },
	    { "PHOENIX_API_KEY", NULL, CONFIG_STR, 0, 0, &e->api_key,
		"sent as Authorization: Bearer <key>", httpc_check_key },
	    { "OTEL_EXPORTER_OTLP_HEADERS", NULL, CONFIG_STR, 0, 0,
		&e->otlp_headers, "extra headers k=v,k2=v2 (percent-encoded)",
		NULL },
	    { "PHOENIX_CLIENT_HEADERS", NULL, CONFIG_STR, 0, 0,
		&e->phoenix_headers, "extra headers k=v,...; beat the ones "
		"above", NULL },
	    { "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", CONFIG_STR, 0, 0,
		&e->compression, "gzip or none", exporter_check_compression },
	    { "PHOENIX_ENDPOINT", NULL, CONFIG_STR, 0, 0, &e->rest_ep,
		"Phoenix base URL for its REST API (feedback annotations); "
		"needed when spans go to a plain OTLP collector", NULL },
	    { "OTEL_EXPORTER_OTLP_TIMEOUT",
		EXPORTER_STR(EXPORTER_DEFAULT_TIMEOUT_MS), CONFIG_INT, 1,
		EXPORTER_MAX_TIMEOUT_MS, &e->timeout_ms, "request timeout, ms",
		NULL },
	};

	memcpy(t, table, sizeof(table));
}

static int
exporter_check_endpoint(const char *val, int base, char *err, size_t errlen)
{
	if (config_check_url(val, err, errlen) == -1)
		return -1;
	if (strchr(val, '#') != NULL)
		return exporter_fail(err, errlen, "has a fragment");
	if (base && strchr(val, '?') != NULL)
		return exporter_fail(err, errlen, "a base URL cannot have a "
		    "query");
	return 0;
}

/* base without its trailing slashes, then "/v1/traces". Caller frees. */
static char *
exporter_join(const char *base)
{
	size_t len = strlen(base), plen = strlen(EXPORTER_TRACES_PATH);
	char *out;

	while (len > 0 && base[len - 1] == '/')
		len--;
	out = xmalloc(len + plen + 1);
	memcpy(out, base, len);
	memcpy(out + len, EXPORTER_TRACES_PATH, plen + 1);
	return out;
}

static int
exporter_resolve_url(struct exporter_config *cfg,
    const struct exporter_env *e, char *err, size_t errlen)
{
	const struct { const char *name, *val; int base; } c[] = {
		{ "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", e->traces_ep, 0 },
		{ "OTEL_EXPORTER_OTLP_ENDPOINT", e->otlp_ep, 1 },
		{ "PHOENIX_COLLECTOR_ENDPOINT", e->phoenix_ep, 1 },
	};
	const char *env;
	char why[160];
	size_t i;

	for (i = 0; i < 2 && c[i].val == NULL; i++)
		;
	if (exporter_check_endpoint(c[i].val, c[i].base, why,
	    sizeof(why)) == -1)
		return exporter_fail(err, errlen, "%s: %s", c[i].name, why);
	cfg->url = c[i].base ? exporter_join(c[i].val) : xstrdup(c[i].val);
	env = getenv(c[i].name);
	cfg->url_from = env != NULL && *env != '\0' ? c[i].name : "default";
	return 0;
}

/* Phoenix's client (phoenix/client/utils/config.py) strips "/v1/traces"
 * (and any slashes before it, one after it) from a collector URL to get
 * the REST base; trailing slashes go too. Caller frees. */
static char *
exporter_rest_strip(const char *url)
{
	size_t len = strlen(url), plen = strlen(EXPORTER_TRACES_PATH);
	char *out;

	while (len > 0 && url[len - 1] == '/')
		len--;
	if (len >= plen && strncmp(url + len - plen, EXPORTER_TRACES_PATH,
	    plen) == 0)
		len -= plen;
	while (len > 0 && url[len - 1] == '/')
		len--;
	out = xmalloc(len + 1);
	memcpy(out, url, len);
	out[len] = '\0';
	return out;
}

static int
exporter_resolve_rest(struct exporter_config *cfg,
    const struct exporter_env *e, char *err, size_t errlen)
{
	const char *env;
	char why[160];

	if (e->rest_ep != NULL) {
		if (exporter_check_endpoint(e->rest_ep, 1, why,
		    sizeof(why)) == -1)
			return exporter_fail(err, errlen, "PHOENIX_ENDPOINT: %s",
			    why);
		cfg->rest_base = exporter_rest_strip(e->rest_ep);
		cfg->rest_from = "PHOENIX_ENDPOINT";
		return 0;
	}
	if (e->traces_ep != NULL || e->otlp_ep != NULL)
		return 0;	/* a plain collector: no REST API known */
	cfg->rest_base = exporter_rest_strip(e->phoenix_ep);
	env = getenv("PHOENIX_COLLECTOR_ENDPOINT");
	cfg->rest_from = env != NULL && *env != '\0' ?
	    "PHOENIX_COLLECTOR_ENDPOINT" : "default";
	return 0;
}

static int
exporter_set_api_key(struct exporter_headers *h, const char *key,
    char *err, size_t errlen)
{
	char *value;

	if (exporter_headers_find(h, "authorization") == NULL &&
	    h->n >= EXPORTER_HEADERS_MAX)
		return exporter_fail(err, errlen, "PHOENIX_API_KEY: more than "
		    "%d headers in all", EXPORTER_HEADERS_MAX);
	if (asprintf(&value, "Bearer %s", key) == -1)
		abort();
	exporter_headers_set(h, xstrdup("authorization"), value);
	return 0;
}

static int
exporter_load_headers(struct exporter_config *cfg,
    const struct exporter_env *e, char *err, size_t errlen)
{
	const struct { const char *name, *val; } lists[] = {
		{ "OTEL_EXPORTER_OTLP_HEADERS", e->otlp_headers },
		{ "PHOENIX_CLIENT_HEADERS", e->phoenix_headers },
	};
	char why[160];

	for (size_t i = 0; i < 2; i++)
		if (lists[i].val != NULL && exporter_headers_parse(lists[i].val,
		    &cfg->headers, why, sizeof(why)) == -1)
			return exporter_fail(err, errlen, "%s: %s",
			    lists[i].name, why);
	if (e->api_key != NULL)
		return exporter_set_api_key(&cfg->headers, e->api_key, err,
		    errlen);
	return 0;
}

int
exporter_config_from_env(struct exporter_config *cfg, char *err,
    size_t errlen)
{
	struct exporter_env e = { .timeout_ms = EXPORTER_DEFAULT_TIMEOUT_MS };
	struct config_entry t[EXPORTER_NVARS];

	memset(cfg, 0, sizeof(*cfg));
	exporter_table(&e, t);
	if (config_load(t, EXPORTER_NVARS, err, errlen) == -1 ||
	    exporter_resolve_url(cfg, &e, err, errlen) == -1 ||
	    exporter_resolve_rest(cfg, &e, err, errlen) == -1 ||
	    exporter_load_headers(cfg, &e, err, errlen) == -1)
		return -1;
	cfg->gzip = strcasecmp(e.compression, "gzip") == 0;
	cfg->timeout_ms = (long)e.timeout_ms;
	return 0;
}

void
exporter_config_cleanup(struct exporter_config *cfg)
{
	free(cfg->url);
	free(cfg->rest_base);
	exporter_headers_cleanup(&cfg->headers);
	memset(cfg, 0, sizeof(*cfg));
}

void
exporter_config_describe(const struct exporter_config *cfg, char *out,
    size_t outlen)
{
	char *url = httpc_url_for_log(cfg->url != NULL ? cfg->url : "");
	struct buf b;

	buf_init(&b, EXPORTER_TEXT_MAX);
	if (buf_printf(&b, "endpoint %s (%s), %s, timeout %ld ms, headers: ",
	    url, cfg->url_from != NULL ? cfg->url_from : "unset",
	    cfg->gzip ? "gzip" : "no compression", cfg->timeout_ms) == -1)
		abort();
	for (size_t i = 0; i < cfg->headers.n; i++)
		if (buf_printf(&b, "%s%s", i > 0 ? ", " : "",
		    cfg->headers.v[i].name) == -1)
			abort();
	if (buf_printf(&b, "%s", cfg->headers.n == 0 ? "none" :
	    " (values not shown)") == -1)
		abort();
	if (outlen > 0)
		snprintf(out, outlen, "%s", b.data);
	buf_cleanup(&b);
	free(url);
}

void
exporter_usage(FILE *fp)
{
	struct exporter_env e;
	struct config_entry t[EXPORTER_NVARS];

	exporter_table(&e, t);
	config_usage(fp, t, EXPORTER_NVARS);
}

/* Retry timing. */

static long
exporter_ms_from_s(unsigned long long s)
{
	if (s > EXPORTER_RETRY_AFTER_MAX_MS / 1000)
		return EXPORTER_RETRY_AFTER_MAX_MS;
	return (long)s * 1000;
}

long
exporter_parse_retry_after(const char *val, time_t now)
{
	char tmp[EXPORTER_RETRY_AFTER_LEN];
	unsigned long long s = 0;
	size_t n = strlen(val);
	time_t t;

	exporter_trim(&val, &n);
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, val, n);
	tmp[n] = '\0';
	if (strspn(tmp, "0123456789") == n) {
		for (size_t i = 0; i < n && s <= EXPORTER_RETRY_AFTER_MAX_MS;
		    i++)
			s = s * 10 + (unsigned long long)(tmp[i] - '0');
		return exporter_ms_from_s(s);
	}
	/* Every HTTP-date form starts with the day name; this also keeps
	 * "-5" and "1.5" away from the lenient date parser. */
	if (!((tmp[0] >= 'A' && tmp[0] <= 'Z') || (tmp[0] >= 'a' &&
	    tmp[0] <= 'z')) || httpc_parse_date(tmp, &t) == -1)
		return -1;
	return t <= now ? 0 : exporter_ms_from_s((unsigned long long)(t - now));
}

long
exporter_backoff_ms(unsigned int attempt, long base_ms, long max_ms,
    exporter_random_fn rnd, void *arg)
{
	uint64_t cap = base_ms > 0 ? (uint64_t)base_ms : 0;
	uint64_t max = max_ms > 0 ? (uint64_t)max_ms : 0;
	uint32_t r;

	for (unsigned int i = 0; i < attempt && cap != 0 && cap < max; i++)
		cap *= 2;
	if (cap > max)
		cap = max;
	r = rnd != NULL ? rnd(arg) : arc4random();
	/* Uniform in [0, cap]: r / 2^32 scaled to cap + 1 buckets. */
	return (long)(((uint64_t)r * (cap + 1)) >> 32);
}

long
exporter_retry_delay_ms(unsigned int attempt, long retry_after_ms,
    exporter_random_fn rnd, void *arg)
{
	if (retry_after_ms >= 0)
		return retry_after_ms < EXPORTER_RETRY_AFTER_MAX_MS ?
		    retry_after_ms : EXPORTER_RETRY_AFTER_MAX_MS;
	return exporter_backoff_ms(attempt, EXPORTER_BACKOFF_BASE_MS,
	    EXPORTER_BACKOFF_MAX_MS, rnd, arg);
}

/* The client. */

/* The exporter's own headers, then the configured ones, every configured
 * value a secret. */
static int
exporter_headers(struct exporter *ex)
{
	const struct exporter_config *cfg = ex->cfg;

	if (httpc_header(ex->http, "Content-Type", ex->json ?
	    "application/json" : "application/x-protobuf", 0) ||
	    httpc_header(ex->http, "Expect", NULL, 0) ||
	    (ex->gzip && httpc_header(ex->http, "Content-Encoding", "gzip",
	    0)))
		return -1;
	for (size_t i = 0; i < cfg->headers.n; i++)
		if (httpc_header(ex->http, cfg->headers.v[i].name,
		    cfg->headers.v[i].value, HTTPC_SECRET) == -1)
			return -1;
	return 0;
}

/* A client for url: the traces URL (protobuf) or a REST route (json). */
static struct exporter *
exporter_open(const struct exporter_config *cfg, const char *url, int json)
{
	struct exporter *ex = xcalloc(1, sizeof(*ex));
	const struct httpc_config hc = {
		.url = url,
		.connect_timeout_ms = cfg->timeout_ms <
		    EXPORTER_CONNECT_TIMEOUT_MS ? cfg->timeout_ms :
		    EXPORTER_CONNECT_TIMEOUT_MS,
		.timeout_ms = cfg->timeout_ms,
		.body_max = EXPORTER_RESPONSE_MAX,
		/* A 2xx with a long body is a success all the same. */
		.body_truncate = 1,
		.user_agent = "recipe-chat-exporter/" RC_VERSION,
	};

	ex->cfg = cfg;
	ex->json = json;
	ex->gzip = json ? 0 : cfg->gzip;
	if ((ex->http = httpc_new(&hc)) == NULL ||
	    exporter_headers(ex) == -1) {
		exporter_free(ex);
		return NULL;
	}
	return ex;
}

struct exporter *
exporter_new(const struct exporter_config *cfg)
{
	return exporter_open(cfg, cfg->url, 0);
}

struct exporter *
exporter_new_json(const struct exporter_config *cfg, const char *url)
{
	return exporter_open(cfg, url, 1);
}

void
exporter_free(struct exporter *ex)
{
	if (ex == NULL)
		return;
	httpc_free(ex->http);
	free(ex->gz);
	free(ex);
}

static int
exporter_gzip(struct exporter *ex, const uint8_t *in, size_t len,
    size_t *outlen)
{
	z_stream zs;
	uLong bound;
	int rc = -1;

	memset(&zs, 0, sizeof(zs));
	/* windowBits 15 + 16: a gzip wrapper rather than zlib's. The fastest
	 * level: the flusher shares the machine's cores with the pool, and
	 * spans (repeated prompts, hex ids) compress well at any level. */
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&zs, (uLong)len);
	if (bound > ex->gzcap) {
		ex->gz = xrealloc(ex->gz, bound);
		ex->gzcap = bound;
	}
	zs.next_in = in;
	zs.avail_in = (uInt)len;
	zs.next_out = ex->gz;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		goto out;
	*outlen = zs.total_out;
	rc = 0;
out:
	deflateEnd(&zs);
	return rc;
}

static int
exporter_outcome(struct exporter_result *res, enum exporter_outcome o,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
exporter_outcome(struct exporter_result *res, enum exporter_outcome o,
    const char *fmt, ...)
{
	va_list ap;

	res->outcome = o;
	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
	return o == EXPORTER_OK ? 0 : -1;
}

static char
exporter_printable(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c >= ' ' && c < 0x7f)
		return ch;
	return c == '\t' || c == '\r' || c == '\n' ? ' ' : '.';
}

/* The start of the answer for a log line: the client's secrets (every
 * configured header value, and the token of an "Authorization: Scheme
 * token") redacted before the cut, so no part of one survives; then only
 * printable ASCII. */
static void
exporter_excerpt(const struct exporter *ex, const struct httpc_response *hr,
    char *out, size_t outlen)
{
	size_t win = hr->body_len, n, o = 0;
	size_t smax = httpc_secret_max(ex->http);
	struct buf b;

	if (win > EXPORTER_EXCERPT_MAX + smax)
		win = EXPORTER_EXCERPT_MAX + smax;
	buf_init(&b, EXPORTER_TEXT_MAX);
	exporter_append(&b, hr->body, win);
	httpc_redact_secrets(ex->http, &b);
	n = b.len < EXPORTER_EXCERPT_MAX ? b.len : EXPORTER_EXCERPT_MAX;
	for (size_t i = 0; i < n && o + 4 < outlen; i++)
		out[o++] = exporter_printable(b.data[i]);
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if ((n < b.len || win < hr->body_len || hr->truncated) &&
	    o + 4 <= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_cleanup(&b);
}

/* Which answers are worth sending the same bytes again: OTLP/HTTP's
 * retryable codes, plus 500 and 507 (a collector's database trouble
 * passes, e.g. Phoenix's). */
static bool
exporter_is_retryable(long status)
{
	return status == 408 || status == 429 || (status >= 500 &&
	    status <= 599 && status != 501 && status != 505);
}

/* Answers that refuse the content itself: only these may set spans aside. */
static bool
exporter_is_refusal(long status)
{
	return status == 400 || status == 413 || status == 422;
}

/* For an answer that says our settings are wrong, the settings to check. */
static const char *
exporter_check_hint(long status, int json)
{
	if (json && status != 401 && status != 403)
		return "Phoenix's base URL (PHOENIX_ENDPOINT, else "
		    "PHOENIX_COLLECTOR_ENDPOINT) and the headers";
	if (status == 401 || status == 403)
		return "PHOENIX_API_KEY and the headers "
		    "(OTEL_EXPORTER_OTLP_HEADERS, PHOENIX_CLIENT_HEADERS)";
	if (status == 415)
		return "the endpoint: it is not an OTLP/HTTP protobuf "
		    "receiver (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "
		    "OTEL_EXPORTER_OTLP_ENDPOINT, PHOENIX_COLLECTOR_ENDPOINT)";
	return "the endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "
	    "OTEL_EXPORTER_OTLP_ENDPOINT, PHOENIX_COLLECTOR_ENDPOINT) and "
	    "the headers";
}

static int
exporter_classify(const struct exporter *ex, const struct httpc_response *hr,
    struct exporter_result *res)
{
	char excerpt[EXPORTER_EXCERPT_MAX + 8], ra[48] = "";
	long status = hr->status;

	res->http_status = status;
	if (status >= 200 && status <= 299)
		return exporter_outcome(res, EXPORTER_OK, "%s", "");
	exporter_excerpt(ex, hr, excerpt, sizeof(excerpt));
	if (exporter_is_retryable(status)) {
		if (hr->retry_after[0] != '\0')
			res->retry_after_ms = exporter_parse_retry_after(
			    hr->retry_after, time(NULL));
		if (res->retry_after_ms >= 0)
			snprintf(ra, sizeof(ra), " (Retry-After %ld ms)",
			    res->retry_after_ms);
		return exporter_outcome(res, EXPORTER_RETRY, "HTTP %ld%s%s%s",
		    status, ra, *excerpt ? ": " : "", excerpt);
	}
	if (exporter_is_refusal(status))
		return exporter_outcome(res, EXPORTER_REJECT, "HTTP %ld%s%s",
		    status, *excerpt ? ": " : "", excerpt);
	res->check = exporter_check_hint(status, ex->json);
	return exporter_outcome(res, EXPORTER_CONFIG, "HTTP %ld%s%s", status,
	    *excerpt ? ": " : "", excerpt);
}

/* No answer: every transport failure may pass, so all are retried. */
static int
exporter_transport_fail(const struct exporter *ex,
    const struct httpc_response *hr, struct exporter_result *res)
{
	res->http_status = hr->status;
	if (hr->error == HTTPC_ERR_SETUP)
		return exporter_outcome(res, EXPORTER_RETRY,
		    "cannot set up the request");
	if (hr->error == HTTPC_ERR_TIMEOUT)
		return exporter_outcome(res, EXPORTER_RETRY, "no answer within "
		    "%ld ms: %s", ex->cfg->timeout_ms, hr->errmsg);
	return exporter_outcome(res, EXPORTER_RETRY, "transport failure: %s",
	    hr->errmsg);
}

static int
exporter_perform(struct exporter *ex, const uint8_t *body, size_t len,
    struct exporter_result *res)
{
	const struct httpc_request req = { .body = body, .len = len };
	struct httpc_response hr;
	int rc;

	rc = httpc_post(ex->http, &req, &hr);
	res->body = hr.body_len > 0 ? (const uint8_t *)hr.body : NULL;
	res->body_len = hr.body_len;
	res->body_truncated = hr.truncated;
	if (rc == -1)
		return exporter_transport_fail(ex, &hr, res);
	return exporter_classify(ex, &hr, res);
}

int
exporter_send(struct exporter *ex, const uint8_t *pb, size_t len,
    struct exporter_result *res)
{
	size_t gzlen;

	memset(res, 0, sizeof(*res));
	res->retry_after_ms = -1;
	if (len == 0 || len > EXPORTER_REQUEST_MAX)
		return exporter_outcome(res, EXPORTER_REJECT, "request of %zu "
		    "bytes not sent (1 to %d allowed)", len,
		    EXPORTER_REQUEST_MAX);
	if (!ex->gzip)
		return exporter_perform(ex, pb, len, res);
	if (exporter_gzip(ex, pb, len, &gzlen) == -1)
		return exporter_outcome(res, EXPORTER_RETRY, "cannot gzip the "
		    "request");
	return exporter_perform(ex, ex->gz, gzlen, res);
}
