/* httpc.c - the project's only libcurl user: global init, one keep-alive
 * easy handle per client, the bounded body, Retry-After, error classes,
 * and the secrets that no message may show. */
#define _GNU_SOURCE	/* memmem, memrchr, explicit_bzero, asprintf */
#include "httpc.h"
#include "buf.h"
#include "xalloc.h"

#include <curl/curl.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTPC_TEXT_MAX	((size_t)-1 / 2)	/* messages built in memory */
#define HTTPC_BODY_KEEP	(64 * 1024)	/* answer buffer kept between posts */

struct httpc {
	CURL			*curl;
	char			*url;
	char			*user_agent;
	struct curl_slist	*headers;	/* sent with every request */
	char			**secrets;	/* in the order registered */
	size_t			 nsecrets;
	int			 body_truncate;
	struct buf		 body;		/* limit: the config's body_max */
	int			 truncated;
	char			 retry_after[HTTPC_RETRY_AFTER_MAX];
	char			 errbuf[CURL_ERROR_SIZE];
};

int
httpc_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
httpc_global_cleanup(void)
{
	curl_global_cleanup();
}

int
httpc_check_key(const char *val, char *err, size_t errlen)
{
	for (const unsigned char *p = (const unsigned char *)val; *p; p++)
		if (*p <= ' ' || *p >= 0x7f) {
			snprintf(err, errlen, "contains white space, control "
			    "or non-ASCII characters");
			return -1;
		}
	return 0;
}

/* Redaction. */

static void
httpc_append(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) == -1)
		abort();	/* HTTPC_TEXT_MAX: only out of address space */
}

static void
httpc_wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
httpc_redact(struct buf *b, const char *secret)
{
	size_t slen = secret != NULL ? strlen(secret) : 0;
	const char *p, *end, *hit;
	struct buf out;

	if (slen == 0 || b->len == 0)
		return;
	buf_init(&out, HTTPC_TEXT_MAX);
	p = b->data;
	end = b->data + b->len;
	while ((hit = memmem(p, (size_t)(end - p), secret, slen)) != NULL) {
		httpc_append(&out, p, (size_t)(hit - p));
		httpc_append(&out, HTTPC_REDACTED, strlen(HTTPC_REDACTED));
		p = hit + slen;
	}
	httpc_append(&out, p, (size_t)(end - p));
	explicit_bzero(b->data, b->len);
	out.limit = b->limit;
	buf_cleanup(b);
	*b = out;
}

void
httpc_scrub(char *s, size_t size, const char *secret)
{
	struct buf b;

	if (size == 0)
		return;
	buf_init(&b, HTTPC_TEXT_MAX);
	httpc_append(&b, s, strlen(s));
	httpc_redact(&b, secret);
	/* What no longer fits is dropped whole, the secret is already gone. */
	snprintf(s, size, "%s", b.data != NULL ? b.data : "");
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_cleanup(&b);
}

void
httpc_redact_secrets(const struct httpc *c, struct buf *b)
{
	for (size_t i = 0; i < c->nsecrets; i++)
		if (strlen(c->secrets[i]) >= HTTPC_SECRET_MIN)
			httpc_redact(b, c->secrets[i]);
}

size_t
httpc_secret_max(const struct httpc *c)
{
	size_t max = 0;

	for (size_t i = 0; i < c->nsecrets; i++)
		if (strlen(c->secrets[i]) > max)
			max = strlen(c->secrets[i]);
	return max;
}

int
httpc_parse_date(const char *s, time_t *t)
{
	return (*t = curl_getdate(s, NULL)) == -1 ? -1 : 0;
}

/* Where user:password sits in url, or NULL; its length goes to *len. */
static const char *
httpc_userinfo(const char *url, size_t *len)
{
	const char *auth = strstr(url, "://"), *at;

	if (auth == NULL)
		return NULL;
	auth += 3;
	if ((at = memrchr(auth, '@', strcspn(auth, "/?#"))) == NULL)
		return NULL;
	*len = (size_t)(at - auth);
	return auth;
}

char *
httpc_url_for_log(const char *url)
{
	const char *ui;
	size_t len;
	char *out;

	if ((ui = httpc_userinfo(url, &len)) == NULL)
		return xstrdup(url);
	if (asprintf(&out, "%.*s" HTTPC_REDACTED "%s", (int)(ui - url), url,
	    ui + len) == -1)
		abort();
	return out;
}

static void
httpc_add_secret(struct httpc *c, const char *s, size_t n)
{
	if (n == 0)
		return;
	c->secrets = xrealloc(c->secrets, (c->nsecrets + 1) *
	    sizeof(*c->secrets));
	c->secrets[c->nsecrets++] = xstrndup(s, n);
}

/* The URL's user:password, then the password alone. */
static void
httpc_add_url_secrets(struct httpc *c)
{
	const char *ui, *colon;
	size_t len;

	if ((ui = httpc_userinfo(c->url, &len)) == NULL)
		return;
	httpc_add_secret(c, ui, len);
	if ((colon = memchr(ui, ':', len)) != NULL)
		httpc_add_secret(c, colon + 1, len - (size_t)(colon + 1 - ui));
}

/* The transfer's callbacks. */

static size_t
httpc_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct httpc *c = arg;
	size_t len = size * nmemb, room = c->body.limit - c->body.len;

	if (len > room) {
		c->truncated = 1;
		/* Stopping makes libcurl fail with CURLE_WRITE_ERROR; reading
		 * on keeps a 2xx with a long body a success. */
		if (!c->body_truncate)
			return 0;
		len = room;
	}
	if (len > 0)
		httpc_append(&c->body, p, len);
	return size * nmemb;
}

static void
httpc_trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && strchr(" \t\r\n", (*s)[*n - 1]) != NULL)
		(*n)--;
}

/* Keeps the Retry-After of the last response (a new status line resets
 * it). */
static size_t
httpc_header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	static const char name[] = "retry-after:";
	struct httpc *c = arg;
	size_t len = size * nmemb, nlen = sizeof(name) - 1, vn;
	const char *v;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		c->retry_after[0] = '\0';
	if (len < nlen || strncasecmp(p, name, nlen) != 0)
		return len;
	v = p + nlen;
	vn = len - nlen;
	httpc_trim(&v, &vn);
	if (vn >= sizeof(c->retry_after))
		vn = 0;		/* too long to be valid */
	memcpy(c->retry_after, v, vn);
	c->retry_after[vn] = '\0';
	return len;
}

/* The client. */

static int
httpc_setup(struct httpc *c, const struct httpc_config *cfg)
{
	CURL *h = c->curl;

	if (curl_easy_setopt(h, CURLOPT_URL, c->url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    cfg->connect_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cfg->timeout_ms) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_write_cb) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, c) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, httpc_header_cb) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERDATA, c) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK)
		return -1;
	/* Providers and their proxies may gzip a body; "" asks for every
	 * encoding libcurl decodes, and the body limit holds after decoding. */
	if (curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK)
		return -1;
	if (c->user_agent != NULL && curl_easy_setopt(h, CURLOPT_USERAGENT,
	    c->user_agent) != CURLE_OK)
		return -1;
	return 0;
}

struct httpc *
httpc_new(const struct httpc_config *cfg)
{
	struct httpc *c = xcalloc(1, sizeof(*c));

	c->url = xstrdup(cfg->url);
	c->user_agent = cfg->user_agent != NULL ?
	    xstrdup(cfg->user_agent) : NULL;
	c->body_truncate = cfg->body_truncate;
	buf_init(&c->body, cfg->body_max);
	httpc_add_url_secrets(c);
	if ((c->curl = curl_easy_init()) == NULL ||
	    httpc_setup(c, cfg) == -1) {
		httpc_free(c);
		return NULL;
	}
	return c;
}

void
httpc_free(struct httpc *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	for (size_t i = 0; i < c->nsecrets; i++)
		httpc_wipe_free(c->secrets[i]);
	free(c->secrets);
	httpc_wipe_free(c->url);
	free(c->user_agent);
	buf_cleanup(&c->body);
	free(c);
}

/* Nothing that could end the line or start another. */
static bool
httpc_line_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

static bool
httpc_name_ok(const char *name)
{
	return *name != '\0' && strpbrk(name, ":; \t") == NULL &&
	    httpc_line_ok(name);
}

int
httpc_header(struct httpc *c, const char *name, const char *value,
    int flags)
{
	struct curl_slist *t;
	const char *sp;
	char *line;

	if (!httpc_name_ok(name) || (value != NULL && !httpc_line_ok(value)))
		return -1;
	/* "name;" is how libcurl sends a header with an empty value. */
	if (asprintf(&line, value == NULL ? "%s:" : *value ? "%s: %s" : "%s;",
	    name, value != NULL ? value : "") == -1)
		abort();
	t = curl_slist_append(c->headers, line);
	httpc_wipe_free(line);
	if (t == NULL)
		return -1;
	c->headers = t;
	if ((flags & HTTPC_SECRET) && value != NULL) {
		httpc_add_secret(c, value, strlen(value));
		if ((sp = strrchr(value, ' ')) != NULL)
			httpc_add_secret(c, sp + 1, strlen(sp + 1));
	}
	return 0;
}

static enum httpc_error
httpc_class(CURLcode cc)
{
	switch (cc) {
	case CURLE_OK:
		return HTTPC_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTPC_ERR_TIMEOUT;
	case CURLE_WRITE_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_FILESIZE_EXCEEDED:
		return HTTPC_ERR_RESPONSE;
	default:
		/* Resolve, connect, TLS, send/receive, empty reply. */
		return HTTPC_ERR_CONNECT;
	}
}

/* res->errmsg from libcurl's reason, every secret removed before the cut
 * so that no part of one survives it. */
static int
httpc_fail(const struct httpc *c, enum httpc_error e, const char *why,
    struct httpc_response *res)
{
	struct buf b;

	res->error = e;
	buf_init(&b, HTTPC_TEXT_MAX);
	httpc_append(&b, why, strlen(why));
	httpc_redact_secrets(c, &b);
	snprintf(res->errmsg, sizeof(res->errmsg), "%s",
	    b.data != NULL ? b.data : "");
	buf_cleanup(&b);
	return -1;
}

static int
httpc_perform(struct httpc *c, const struct httpc_request *req,
    struct curl_slist *headers, struct httpc_response *res)
{
	char why[64];
	CURLcode cc;
	long status = 0;

	if (curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req->body) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)req->len) != CURLE_OK)
		return httpc_fail(c, HTTPC_ERR_SETUP, "cannot set up the "
		    "request", res);
	cc = curl_easy_perform(c->curl);
	(void)curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	res->status = status;
	res->body = c->body.data != NULL ? c->body.data : "";
	res->body_len = c->body.len;
	res->truncated = c->truncated;
	memcpy(res->retry_after, c->retry_after, sizeof(res->retry_after));
	if (cc == CURLE_OK)
		return 0;
	if (cc == CURLE_WRITE_ERROR && c->truncated) {
		snprintf(why, sizeof(why), "response larger than %zu bytes",
		    c->body.limit);
		return httpc_fail(c, HTTPC_ERR_RESPONSE, why, res);
	}
	return httpc_fail(c, httpc_class(cc), c->errbuf[0] ? c->errbuf :
	    curl_easy_strerror(cc), res);
}

int
httpc_post(struct httpc *c, const struct httpc_request *req,
    struct httpc_response *res)
{
	struct curl_slist extra[HTTPC_EXTRA_MAX], *list = c->headers;
	size_t n = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	res->body = "";
	/* A client lives as long as its thread: give a large answer's
	 * memory back rather than keep it for every later request. */
	if (c->body.cap > HTTPC_BODY_KEEP)
		buf_cleanup(&c->body);		/* keeps the limit */
	else
		buf_reset(&c->body);
	c->truncated = 0;
	c->errbuf[0] = '\0';
	c->retry_after[0] = '\0';
	/* Nodes in front of the client's list, freed here: libcurl reads the
	 * list only during the transfer. */
	for (size_t i = 0; i < req->nheaders && i < HTTPC_EXTRA_MAX; i++)
		if (req->headers[i] != NULL && httpc_line_ok(req->headers[i])) {
			extra[n].data = xstrdup(req->headers[i]);
			extra[n].next = list;
			list = &extra[n++];
		}
	rc = httpc_perform(c, req, list, res);
	/* The transfer is over; leave no pointer to this frame behind. */
	(void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	(void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)0);
	(void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
	while (n > 0)
		free(extra[--n].data);
	return rc;
}
