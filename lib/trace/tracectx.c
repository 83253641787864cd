/* tracectx.c - trace and span ids from getrandom(2), and the W3C Trace
 * Context headers (traceparent, tracestate): strict parsing, exact output. */
#include "tracectx.h"
#include "hex.h"

#include <sys/random.h>

#include <errno.h>
#include <string.h>

#define TRACESTATE_MAX_MEMBERS	32
#define TRACESTATE_KEY_MAX	256
#define TRACESTATE_TENANT_MAX	241
#define TRACESTATE_VENDOR_MAX	14
#define TRACESTATE_VALUE_MAX	256

struct member {
	const char	*p;	/* "key=value", white space already trimmed */
	size_t		 len;
	size_t		 keylen;
};


int
tracectx_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Random bytes that are not all zero (an all-zero id is invalid). */
static int
tracectx_random_nonzero(uint8_t *id, size_t n)
{
	do {
		if (tracectx_random(id, n) == -1)
			return -1;
	} while (tracectx_is_zero(id, n));
	return 0;
}

int
tracectx_new_trace(struct tracectx *ctx)
{
	struct tracectx t;

	memset(&t, 0, sizeof(t));
	if (tracectx_random_nonzero(t.trace_id, sizeof(t.trace_id)) == -1 ||
	    tracectx_random_nonzero(t.span_id, sizeof(t.span_id)) == -1)
		return -1;
	t.flags = TRACECTX_FLAG_SAMPLED | TRACECTX_FLAG_RANDOM;
	*ctx = t;
	return 0;
}

int
tracectx_new_span(struct tracectx *ctx)
{
	uint8_t id[sizeof(ctx->span_id)];

	if (tracectx_random_nonzero(id, sizeof(id)) == -1)
		return -1;
	memcpy(ctx->span_id, id, sizeof(id));
	return 0;
}

int
tracectx_is_zero(const uint8_t *bytes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bytes[i] != 0)
			return 0;
	return 1;
}

static int
tracectx_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim spaces and tabs from both ends of [*p, *p + *len). */
static void
tracectx_trim_ows(const char **p, size_t *len)
{
	while (*len > 0 && tracectx_is_ows(**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && tracectx_is_ows((*p)[*len - 1]))
		(*len)--;
}

/* The header fields are lowercase hex only; uppercase is invalid. */
static int
tracectx_lowhex(const char *s, size_t nbytes, uint8_t *out)
{
	size_t i;

	for (i = 0; i < 2 * nbytes; i++)
		if (s[i] >= 'A' && s[i] <= 'F')
			return -1;
	return hex_decode(s, nbytes, out);
}

int
tracectx_parse_traceparent(const char *hdr, struct tracectx *ctx)
{
	uint8_t version, trace[16], span[8], flags;
	const char *s = hdr;
	size_t len;

	if (hdr == NULL)
		return -1;
	len = strlen(s);
	tracectx_trim_ows(&s, &len);
	if (len < TRACECTX_TRACEPARENT_LEN ||
	    tracectx_lowhex(s, 1, &version) == -1 || version == 0xff ||
	    s[2] != '-' || tracectx_lowhex(s + 3, 16, trace) == -1 ||
	    s[35] != '-' || tracectx_lowhex(s + 36, 8, span) == -1 ||
	    s[52] != '-' || tracectx_lowhex(s + 53, 1, &flags) == -1)
		return -1;
	if (version == 0 && len != TRACECTX_TRACEPARENT_LEN)
		return -1;
	if (len > TRACECTX_TRACEPARENT_LEN && s[55] != '-')
		return -1;
	if (tracectx_is_zero(trace, 16) || tracectx_is_zero(span, 8))
		return -1;
	memcpy(ctx->trace_id, trace, sizeof(trace));
	memcpy(ctx->span_id, span, sizeof(span));
	ctx->flags = flags & (TRACECTX_FLAG_SAMPLED | TRACECTX_FLAG_RANDOM);
	ctx->tracestate[0] = '\0';
	return 0;
}

void
tracectx_format_traceparent(const struct tracectx *ctx,
    char out[TRACECTX_TRACEPARENT_LEN + 1])
{
	uint8_t flags = ctx->flags &
	    (TRACECTX_FLAG_SAMPLED | TRACECTX_FLAG_RANDOM);

	memcpy(out, "00-", 3);
	hex_encode(ctx->trace_id, 16, out + 3);
	out[35] = '-';
	hex_encode(ctx->span_id, 8, out + 36);
	out[52] = '-';
	hex_encode(&flags, 1, out + 53);
}

/* [a-z0-9_*\/-]: the characters allowed after the first of a key part. */
static int
tracectx_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-' || c == '*' || c == '/';
}

/* One key part: first char from the first class, then keychar, 1..max. */
static int
tracectx_valid_keypart(const char *k, size_t len, size_t max, int alpha_first)
{
	size_t i;

	if (len == 0 || len > max)
		return 0;
	if (!(k[0] >= 'a' && k[0] <= 'z') &&
	    (alpha_first || !(k[0] >= '0' && k[0] <= '9')))
		return 0;
	for (i = 1; i < len; i++)
		if (!tracectx_keychar(k[i]))
			return 0;
	return 1;
}

/* simple-key, or tenant "@" vendor (the multi-tenant form). */
static int
tracectx_valid_key(const char *k, size_t len)
{
	const char *at = memchr(k, '@', len);
	size_t tlen;

	if (at == NULL)
		return tracectx_valid_keypart(k, len, TRACESTATE_KEY_MAX, 0);
	tlen = (size_t)(at - k);
	return tracectx_valid_keypart(k, tlen, TRACESTATE_TENANT_MAX, 0) &&
	    tracectx_valid_keypart(at + 1, len - tlen - 1,
	    TRACESTATE_VENDOR_MAX, 1);
}

/* 1-256 printable ASCII except ',' and '=', not ending in a space. */
static int
tracectx_valid_value(const char *v, size_t len)
{
	size_t i;

	if (len == 0 || len > TRACESTATE_VALUE_MAX || v[len - 1] == ' ')
		return 0;
	for (i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e || v[i] == ',' || v[i] == '=')
			return 0;
	return 1;
}

/* Check one trimmed, non-empty member and record it in m[*n]. */
static int
tracectx_add_member(struct member *m, size_t *n, const char *p, size_t len)
{
	const char *eq = memchr(p, '=', len);
	size_t i, klen;

	if (eq == NULL || *n == TRACESTATE_MAX_MEMBERS)
		return -1;
	klen = (size_t)(eq - p);
	if (!tracectx_valid_key(p, klen) ||
	    !tracectx_valid_value(eq + 1, len - klen - 1))
		return -1;
	for (i = 0; i < *n; i++)
		if (m[i].keylen == klen && memcmp(m[i].p, p, klen) == 0)
			return -1;
	m[*n].p = p;
	m[*n].len = len;
	m[*n].keylen = klen;
	(*n)++;
	return 0;
}

static int
tracectx_split_members(const char *hdr, struct member *m, size_t *n)
{
	const char *p = hdr, *comma;
	size_t len;

	*n = 0;
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		tracectx_trim_ows(&p, &len);
		if (len > 0 && tracectx_add_member(m, n, p, len) == -1)
			return -1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

int
tracectx_parse_tracestate(const char *hdr, struct tracectx *ctx)
{
	struct member m[TRACESTATE_MAX_MEMBERS];
	size_t i, n, total, keep;
	char *out = ctx->tracestate;

	out[0] = '\0';
	if (hdr == NULL || tracectx_split_members(hdr, m, &n) == -1)
		return -1;
	/* Keep the longest prefix of whole members that fits in 512. */
	total = 0;
	for (keep = 0; keep < n; keep++) {
		if (total + (keep > 0) + m[keep].len > TRACECTX_TRACESTATE_MAX)
			break;
		total += (keep > 0) + m[keep].len;
	}
	for (i = 0; i < keep; i++) {
		if (i > 0)
			*out++ = ',';
		memcpy(out, m[i].p, m[i].len);
		out += m[i].len;
	}
	*out = '\0';
	return 0;
}
