/* spanscan.c - one-pass, allocation-free reader of spool lines (OTLP/JSON
 * TracesData): checks the JSON structure and hands out span fields as
 * slices of the line. Strings are skipped with memchr, at memory speed. */
#include "spanscan.h"

#include <limits.h>
#include <string.h>

#include "hex.h"
#include "utf8.h"

/* A decoded key; longer than any key the scanner looks for. */
#define SCAN_KEY_MAX	48

struct cur {
	const char	*p, *end;
	int		 depth;		/* open objects and arrays */
};

/* Per-line state: the callback and the enclosing resource and scope. */
struct ctx {
	spanscan_fn		 fn;
	void			*arg;
	int			 count, stopped;
	int			 have_resource, have_scope;
	struct spanscan_str	 raw_resource, raw_scope, service_name;
};

/* An attribute a caller wants: a string goes to str, an integer to num
 * (and then *have, unless NULL, is set). */
struct want {
	const char		*key;
	struct spanscan_str	*str;
	int64_t			*num;
	int			*have;
};

static const char *const kind_names[] = { "SPAN_KIND_UNSPECIFIED",
	"SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT",
	"SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER", NULL };
static const char *const code_names[] = { "STATUS_CODE_UNSET",
	"STATUS_CODE_OK", "STATUS_CODE_ERROR", NULL };

static int spanscan_skip_value(struct cur *);

static void
spanscan_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* The next non-blank byte, or -1 at the end. */
static int
spanscan_peek(struct cur *c)
{
	spanscan_ws(c);
	return c->p < c->end ? (unsigned char)*c->p : -1;
}

static int
spanscan_enter(struct cur *c, char open)
{
	if (spanscan_peek(c) != open || c->depth >= SPANSCAN_MAX_DEPTH)
		return -1;
	c->p++;
	c->depth++;
	return 0;
}

/* Before each item of an object or array: 1 when an item follows, 0 at
 * the closing bracket (consumed), -1 on anything else. */
static int
spanscan_items(struct cur *c, char close, int *n)
{
	int ch = spanscan_peek(c);

	if (ch == close) {
		c->p++;
		c->depth--;
		return 0;
	}
	if (*n > 0) {
		if (ch != ',')
			return -1;
		c->p++;
		if (spanscan_peek(c) == close)	/* trailing comma */
			return -1;
	}
	(*n)++;
	return ch == -1 ? -1 : 1;
}

/* A JSON string's contents as RFC 8259 and the flusher's json-c want
 * them: strict UTF-8, no raw control characters, only the escapes JSON
 * defines. */
static int
spanscan_string_ok(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (u[i] < 0x20)
			return 0;
		if (u[i] >= 0x80) {
			if ((k = utf8_seqlen(u + i, n - i)) == 0)
				return 0;
			i += k;
		} else if (u[i] != '\\')
			i++;
		else if (i + 1 < n && strchr("\"\\/bfnrt", s[i + 1]) != NULL &&
		    s[i + 1] != '\0')
			i += 2;
		else if (i + 5 < n && s[i + 1] == 'u' &&
		    hex_digit(s[i + 2]) >= 0 && hex_digit(s[i + 3]) >= 0 &&
		    hex_digit(s[i + 4]) >= 0 && hex_digit(s[i + 5]) >= 0)
			i += 6;
		else
			return 0;
	}
	return 1;
}

/* At a '"': the contents up to the closing quote, one not preceded by an
 * odd run of backslashes. */
static int
spanscan_string(struct cur *c, struct spanscan_str *out)
{
	const char *s = c->p + 1, *q = s, *b;

	for (;;) {
		if ((q = memchr(q, '"', (size_t)(c->end - q))) == NULL)
			return -1;
		for (b = q; b > s && b[-1] == '\\'; b--)
			;
		if (((q - b) & 1) == 0)
			break;
		q++;
	}
	if (!spanscan_string_ok(s, (size_t)(q - s)))
		return -1;
	if (out != NULL) {
		out->ptr = s;
		out->len = (size_t)(q - s);
	}
	c->p = q + 1;
	return 0;
}

static int
spanscan_digits(struct cur *c)
{
	const char *p = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > p ? 0 : -1;
}

/* A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
spanscan_number(struct cur *c, struct spanscan_str *out)
{
	const char *s = c->p;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (spanscan_digits(c) == -1)
		return -1;
	if (c->p < c->end && *c->p == '.' && (c->p++, spanscan_digits(c) == -1))
		return -1;
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (spanscan_digits(c) == -1)
			return -1;
	}
	if (out != NULL) {
		out->ptr = s;
		out->len = (size_t)(c->p - s);
	}
	return 0;
}

static int
spanscan_literal(struct cur *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* At a key: the key, decoded into buf (SCAN_KEY_MAX) when it has escapes,
 * and the ':' after it. buf NULL: the key is only skipped. */
static int
spanscan_key(struct cur *c, char *buf, struct spanscan_str *k)
{
	struct spanscan_str raw;

	if (spanscan_peek(c) != '"' || spanscan_string(c, &raw) == -1 || spanscan_peek(c) != ':')
		return -1;
	c->p++;
	if (buf == NULL)
		return 0;
	*k = raw;
	if (memchr(raw.ptr, '\\', raw.len) != NULL) {
		k->len = spanscan_unescape(raw, buf, SCAN_KEY_MAX, 0);
		k->ptr = buf;
	}
	return 0;
}

static int
spanscan_skip_container(struct cur *c, char open, char close)
{
	int n = 0, r;

	if (spanscan_enter(c, open) == -1)
		return -1;
	while ((r = spanscan_items(c, close, &n)) == 1)
		if ((close == '}' && spanscan_key(c, NULL, NULL) == -1) ||
		    spanscan_skip_value(c) == -1)
			return -1;
	return r;
}

static int
spanscan_skip_value(struct cur *c)
{
	int ch = spanscan_peek(c);

	/* json-c counts a value inside the deepest container as one more
	 * level: so does the flusher's reader, so must the viewer. */
	if (ch != '{' && ch != '[' && c->depth >= SPANSCAN_MAX_DEPTH)
		return -1;
	switch (ch) {
	case '"':
		return spanscan_string(c, NULL);
	case '{':
		return spanscan_skip_container(c, '{', '}');
	case '[':
		return spanscan_skip_container(c, '[', ']');
	case 't':
		return spanscan_literal(c, "true");
	case 'f':
		return spanscan_literal(c, "false");
	case 'n':
		return spanscan_literal(c, "null");
	default:
		return spanscan_number(c, NULL);
	}
}

/* At a value: 1 (and consumed) when it is null, else 0. */
static int
spanscan_null(struct cur *c)
{
	return spanscan_peek(c) == 'n' && spanscan_literal(c, "null") == 0;
}

/* Whether key k is camel or snake (snake may be NULL). */
static int
spanscan_kis(const struct spanscan_str *k, const char *camel, const char *snake)
{
	return spanscan_eq(*k, camel) || (snake != NULL &&
	    spanscan_eq(*k, snake));
}

/* A string value; null leaves *out as it is. */
static int
spanscan_read_str(struct cur *c, struct spanscan_str *out)
{
	if (spanscan_null(c))
		return 0;
	if (spanscan_peek(c) != '"')
		return -1;
	return spanscan_string(c, out);
}

/* Multiply m by 10^e exactly, or fail (overflow, or not an integer). */
static int
spanscan_scale10(uint64_t *m, long e)
{
	for (; e > 0 && *m != 0; e--) {
		if (*m > UINT64_MAX / 10)
			return -1;
		*m *= 10;
	}
	for (; e < 0 && *m != 0; e++) {
		if (*m % 10 != 0)
			return -1;
		*m /= 10;
	}
	return 0;
}

static long
spanscan_exponent(struct cur *c)
{
	long e = 0;
	int neg = 0;

	if (c->p == c->end || (*c->p != 'e' && *c->p != 'E'))
		return 0;
	c->p++;
	if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
		neg = *c->p++ == '-';
	for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++)
		if (e < 100000)
			e = e * 10 + (*c->p - '0');
	return neg ? -e : e;
}

/* The integer a JSON number's text t stands for ("1.5e3" is 1500), as a
 * sign and magnitude; -1 when t is not such a number, not integral, or
 * past 64 bits. */
static int
spanscan_int_text(struct spanscan_str t, int *neg, uint64_t *mag)
{
	struct cur c = { t.ptr, t.ptr + t.len, 0 };
	uint64_t m = 0;
	long scale = 0, zeros = 0;
	int frac = 0;

	if (spanscan_number(&c, NULL) == -1 || c.p != c.end)
		return -1;
	c.p = t.ptr;
	if ((*neg = *c.p == '-'))
		c.p++;
	for (; c.p < c.end && *c.p != 'e' && *c.p != 'E'; c.p++) {
		if (*c.p == '.') {
			frac = 1;
			continue;
		}
		scale -= frac;
		if (*c.p == '0') {	/* kept aside: 1.000 is 1 */
			zeros++;
			continue;
		}
		if (spanscan_scale10(&m, zeros) == -1 ||
		    m > (UINT64_MAX - (uint64_t)(*c.p - '0')) / 10)
			return -1;
		zeros = 0;
		m = m * 10 + (uint64_t)(*c.p - '0');
	}
	*mag = m;
	return spanscan_scale10(mag, zeros + scale + spanscan_exponent(&c));
}

/* An integer as a JSON number or a decimal string; null leaves *present
 * at 0. */
static int
spanscan_read_int(struct cur *c, int *neg, uint64_t *mag, int *present)
{
	struct spanscan_str t;

	*present = 0;
	if (spanscan_null(c))
		return 0;
	if (spanscan_peek(c) == '"') {
		if (spanscan_string(c, &t) == -1)
			return -1;
	} else if (spanscan_number(c, &t) == -1)
		return -1;
	*present = 1;
	return spanscan_int_text(t, neg, mag);
}

static int
spanscan_read_u64(struct cur *c, uint64_t *v)
{
	uint64_t m;
	int neg, present;

	if (spanscan_read_int(c, &neg, &m, &present) == -1 || (present && neg &&
	    m != 0))
		return -1;
	if (present)
		*v = m;
	return 0;
}

static int
spanscan_read_i64(struct cur *c, int64_t *v, int64_t lo, int64_t hi)
{
	uint64_t m;
	int neg, present;

	if (spanscan_read_int(c, &neg, &m, &present) == -1)
		return -1;
	if (!present)
		return 0;
	if (neg ? m > (uint64_t)-(lo + 1) + 1 : m > (uint64_t)hi)
		return -1;
	*v = neg ? (int64_t)(0 - m) : (int64_t)m;
	return 0;
}

/* An enum as an integer or by its name in names. */
static int
spanscan_read_enum(struct cur *c, const char *const *names, int *v)
{
	struct spanscan_str t;
	int64_t i;
	int n;

	if (spanscan_peek(c) != '"') {
		i = *v;
		if (spanscan_read_i64(c, &i, INT_MIN, INT_MAX) == -1)
			return -1;
		*v = (int)i;
		return 0;
	}
	if (spanscan_string(c, &t) == -1)
		return -1;
	for (n = 0; names[n] != NULL; n++)
		if (spanscan_eq(t, names[n])) {
			*v = n;
			return 0;
		}
	return -1;
}

/* An AnyValue of an attribute in w: stringValue or intValue. */
static int
spanscan_any_value(struct cur *c, const struct want *w)
{
	struct spanscan_str k;
	char kb[SCAN_KEY_MAX];
	int n = 0, r, got = 0;

	if (spanscan_null(c))
		return 0;
	if (spanscan_enter(c, '{') == -1)
		return -1;
	while ((r = spanscan_items(c, '}', &n)) == 1) {
		if (spanscan_key(c, kb, &k) == -1)
			return -1;
		if (w->str != NULL && spanscan_kis(&k, "stringValue",
		    "string_value"))
			r = spanscan_read_str(c, w->str);
		else if (w->num != NULL && spanscan_kis(&k, "intValue",
		    "int_value"))
			r = (got = !spanscan_null(c)) ? spanscan_read_i64(c,
			    w->num, INT64_MIN,
			    INT64_MAX) : 0;
		else
			r = spanscan_skip_value(c);
		if (r == -1)
			return -1;
	}
	if (r == 0 && got && w->have != NULL)
		*w->have = 1;
	return r;
}

static const struct want *
spanscan_find_want(struct spanscan_str k, const struct want *w, size_t nw)
{
	size_t i;

	for (i = 0; i < nw; i++)
		if (spanscan_eq(k, w[i].key))
			return &w[i];
	return NULL;
}

/* One KeyValue. A value before its key is skipped, then read again once
 * the key says it is wanted. */
static int
spanscan_key_value(struct cur *c, const struct want *w, size_t nw)
{
	const struct want *hit = NULL;
	struct spanscan_str k, name = { NULL, 0 };
	struct cur later = { NULL, NULL, 0 };
	char kb[SCAN_KEY_MAX], nb[SCAN_KEY_MAX];
	int n = 0, r;

	if (spanscan_enter(c, '{') == -1)
		return -1;
	while ((r = spanscan_items(c, '}', &n)) == 1) {
		if (spanscan_key(c, kb, &k) == -1)
			return -1;
		if (spanscan_kis(&k, "key", NULL)) {
			if (spanscan_read_str(c, &name) == -1)
				return -1;
			if (name.ptr != NULL && memchr(name.ptr, '\\',
			    name.len) != NULL)
				name.len = spanscan_unescape(name, nb,
				    sizeof(nb), 0), name.ptr = nb;
			hit = name.ptr != NULL ? spanscan_find_want(name, w,
			    nw) : NULL;
			continue;
		}
		if (spanscan_kis(&k, "value", NULL) && name.ptr == NULL)
			later = *c;
		if (spanscan_kis(&k, "value", NULL) && hit != NULL)
			r = spanscan_any_value(c, hit);
		else
			r = spanscan_skip_value(c);
		if (r == -1)
			return -1;
	}
	if (r == 0 && hit != NULL && later.p != NULL)
		r = spanscan_any_value(&later, hit);
	return r;
}

/* An attributes array, keeping the attributes in w. */
static int
spanscan_attributes(struct cur *c, const struct want *w, size_t nw)
{
	int n = 0, r;

	if (spanscan_null(c))
		return 0;
	if (spanscan_enter(c, '[') == -1)
		return -1;
	while ((r = spanscan_items(c, ']', &n)) == 1)
		if (spanscan_key_value(c, w, nw) == -1)
			return -1;
	return r;
}

static int
spanscan_status(struct cur *c, struct spanscan_span *s)
{
	struct spanscan_str k;
	char kb[SCAN_KEY_MAX];
	int n = 0, r;

	if (spanscan_null(c))
		return 0;
	if (spanscan_enter(c, '{') == -1)
		return -1;
	while ((r = spanscan_items(c, '}', &n)) == 1) {
		if (spanscan_key(c, kb, &k) == -1)
			return -1;
		if (spanscan_kis(&k, "code", NULL))
			r = spanscan_read_enum(c, code_names, &s->status_code);
		else if (spanscan_kis(&k, "message", NULL))
			r = spanscan_read_str(c, &s->status_message);
		else
			r = spanscan_skip_value(c);
		if (r == -1)
			return -1;
	}
	return r;
}

/* One event; the first one named "exception" fills the span's
 * exception fields (*taken then set). */
static int
spanscan_event(struct cur *c, struct spanscan_span *s, int *taken)
{
	struct spanscan_str k, name = { NULL, 0 }, type = { NULL, 0 },
	    msg = { NULL, 0 };
	const struct want w[] = {
		{ "exception.type", &type, NULL, NULL },
		{ "exception.message", &msg, NULL, NULL },
	};
	char kb[SCAN_KEY_MAX], nb[SCAN_KEY_MAX];
	int n = 0, r;

	if (spanscan_enter(c, '{') == -1)
		return -1;
	while ((r = spanscan_items(c, '}', &n)) == 1) {
		if (spanscan_key(c, kb, &k) == -1)
			return -1;
		if (spanscan_kis(&k, "name", NULL))
			r = spanscan_read_str(c, &name);
		else if (spanscan_kis(&k, "attributes", NULL))
			r = spanscan_attributes(c, w, 2);
		else
			r = spanscan_skip_value(c);
		if (r == -1)
			return -1;
	}
	if (name.ptr != NULL && memchr(name.ptr, '\\', name.len) != NULL)
		name.len = spanscan_unescape(name, nb, sizeof(nb), 0),
		    name.ptr = nb;
	if (r == 0 && !*taken && spanscan_eq(name, "exception")) {
		*taken = 1;
		s->exception_type = type;
		s->exception_message = msg;
	}
	return r;
}

static int
spanscan_events(struct cur *c, struct spanscan_span *s)
{
	int n = 0, r, taken = 0;

	if (spanscan_null(c))
		return 0;
	if (spanscan_enter(c, '[') == -1)
		return -1;
	while ((r = spanscan_items(c, ']', &n)) == 1)
		if (spanscan_event(c, s, &taken) == -1)
			return -1;
	return r;
}

static int
spanscan_span_attributes(struct cur *c, struct spanscan_span *s)
{
	const struct want w[] = {
		{ "openinference.span.kind", &s->oi_kind, NULL, NULL },
		{ "session.id", &s->session_id, NULL, NULL },
		{ "user.id", &s->user_id, NULL, NULL },
		{ "input.value", &s->input, NULL, NULL },
		{ "output.value", &s->output, NULL, NULL },
		{ "llm.model_name", &s->model, NULL, NULL },
		{ "llm.token_count.prompt", NULL, &s->tokens_prompt,
		    &s->have_tokens },
		{ "llm.token_count.completion", NULL, &s->tokens_completion,
		    &s->have_tokens },
		{ "llm.token_count.total", NULL, &s->tokens_total,
		    &s->have_tokens },
	};

	return spanscan_attributes(c, w, sizeof(w) / sizeof(w[0]));
}

static int
spanscan_span_member(struct cur *c, const struct spanscan_str *k,
    struct spanscan_span *s)
{
	if (spanscan_kis(k, "traceId", "trace_id"))
		return spanscan_read_str(c, &s->trace_id);
	if (spanscan_kis(k, "spanId", "span_id"))
		return spanscan_read_str(c, &s->span_id);
	if (spanscan_kis(k, "parentSpanId", "parent_span_id"))
		return spanscan_read_str(c, &s->parent_span_id);
	if (spanscan_kis(k, "name", NULL))
		return spanscan_read_str(c, &s->name);
	if (spanscan_kis(k, "kind", NULL))
		return spanscan_read_enum(c, kind_names, &s->kind);
	if (spanscan_kis(k, "startTimeUnixNano", "start_time_unix_nano"))
		return spanscan_read_u64(c, &s->start_ns);
	if (spanscan_kis(k, "endTimeUnixNano", "end_time_unix_nano"))
		return spanscan_read_u64(c, &s->end_ns);
	if (spanscan_kis(k, "status", NULL))
		return spanscan_status(c, s);
	if (spanscan_kis(k, "attributes", NULL))
		return spanscan_span_attributes(c, s);
	if (spanscan_kis(k, "events", NULL))
		return spanscan_events(c, s);
	return spanscan_skip_value(c);
}

/* One span, handed to the callback once complete. Stopping by the
 * callback is reported as -1 with x->stopped set. */
static int
spanscan_one_span(struct cur *c, struct ctx *x)
{
	struct spanscan_span s;
	struct spanscan_str k;
	char kb[SCAN_KEY_MAX];
	const char *start;
	int n = 0, r;

	memset(&s, 0, sizeof(s));
	s.tokens_prompt = s.tokens_completion = s.tokens_total = -1;
	if (spanscan_enter(c, '{') == -1)
		return -1;
	start = c->p - 1;
	while ((r = spanscan_items(c, '}', &n)) == 1)
		if (spanscan_key(c, kb, &k) == -1 ||
		    spanscan_span_member(c, &k, &s) == -1)
			return -1;
	if (r == -1 || x->count == INT_MAX)
		return -1;
	s.raw.ptr = start;
	s.raw.len = (size_t)(c->p - start);
	s.raw_resource = x->raw_resource;
	s.raw_scope = x->raw_scope;
	s.service_name = x->service_name;
	x->count++;
	if (x->fn != NULL && x->fn(&s, x->arg) != 0) {
		x->stopped = 1;
		return -1;
	}
	return 0;
}

/* An array of objects, each read by fn; null is an empty array. */
static int
spanscan_array_of(struct cur *c, struct ctx *x, int (*fn)(struct cur *,
    struct ctx *))
{
	int n = 0, r;

	if (spanscan_null(c))
		return 0;
	if (spanscan_enter(c, '[') == -1)
		return -1;
	while ((r = spanscan_items(c, ']', &n)) == 1)
		if (fn(c, x) == -1)
			return -1;
	return r;
}

/* From the value at c, find key among the rest of the object's members:
 * 1 with *la at its value, 0 when absent, -1 when the rest is not
 * well-formed. */
static int
spanscan_look_ahead(const struct cur *c, const char *camel, const char *snake,
    struct cur *la)
{
	struct spanscan_str k;
	char kb[SCAN_KEY_MAX];
	int n = 1, r;

	*la = *c;
	if (spanscan_skip_value(la) == -1)
		return -1;
	while ((r = spanscan_items(la, '}', &n)) == 1) {
		if (spanscan_key(la, kb, &k) == -1)
			return -1;
		if (spanscan_kis(&k, camel, snake))
			return 1;
		if (spanscan_skip_value(la) == -1)
			return -1;
	}
	return r;
}

/* An object or null, kept as raw text (ptr NULL for null). */
static int
spanscan_raw_object(struct cur *c, struct spanscan_str *raw)
{
	const char *start;

	raw->ptr = NULL;
	raw->len = 0;
	if (spanscan_null(c))
		return 0;
	start = c->p;
	if (spanscan_peek(c) != '{' || spanscan_skip_value(c) == -1)
		return -1;
	raw->ptr = start;
	raw->len = (size_t)(c->p - start);
	return 0;
}

static int
spanscan_scope(struct cur *c, struct ctx *x)
{
	x->have_scope = 1;
	return spanscan_raw_object(c, &x->raw_scope);
}

static int
spanscan_scope_spans(struct cur *c, struct ctx *x)
{
	struct spanscan_str k;
	struct cur la;
	char kb[SCAN_KEY_MAX];
	int n = 0, r;

	x->have_scope = 0;
	x->raw_scope.ptr = NULL;
	if (spanscan_enter(c, '{') == -1)
		return -1;
	while ((r = spanscan_items(c, '}', &n)) == 1) {
		if (spanscan_key(c, kb, &k) == -1)
			return -1;
		if (spanscan_kis(&k, "scope", NULL))
			r = spanscan_scope(c, x);
		else if (!spanscan_kis(&k, "spans", NULL))
			r = spanscan_skip_value(c);
		else if (!x->have_scope && (r = spanscan_look_ahead(c, "scope",
		    NULL,
		    &la)) != 0 && (r == -1 || spanscan_scope(&la, x) == -1))
			r = -1;
		else
			r = spanscan_array_of(c, x, spanscan_one_span);
		if (r == -1)
			return -1;
	}
	return r;
}

/* The resource: its raw text and its service.name. */
static int
spanscan_resource(struct cur *c, struct ctx *x)
{
	const struct want w[] = {
		{ "service.name", &x->service_name, NULL, NULL },
	};
	struct spanscan_str k;
	char kb[SCAN_KEY_MAX];
	const char *start;
	int n = 0, r;

	x->have_resource = 1;
	x->raw_resource.ptr = x->service_name.ptr = NULL;
	if (spanscan_null(c))
		return 0;
	if (spanscan_enter(c, '{') == -1)
		return -1;
	start = c->p - 1;
	while ((r = spanscan_items(c, '}', &n)) == 1) {
		if (spanscan_key(c, kb, &k) == -1)
			return -1;
		if ((spanscan_kis(&k, "attributes", NULL) ?
		    spanscan_attributes(c, w, 1) :
		    spanscan_skip_value(c)) == -1)
			return -1;
	}
	x->raw_resource.ptr = start;
	x->raw_resource.len = (size_t)(c->p - start);
	return r;
}

static int
spanscan_resource_spans(struct cur *c, struct ctx *x)
{
	struct spanscan_str k;
	struct cur la;
	char kb[SCAN_KEY_MAX];
	int n = 0, r;

	x->have_resource = 0;
	x->raw_resource.ptr = x->service_name.ptr = NULL;
	if (spanscan_enter(c, '{') == -1)
		return -1;
	while ((r = spanscan_items(c, '}', &n)) == 1) {
		if (spanscan_key(c, kb, &k) == -1)
			return -1;
		if (spanscan_kis(&k, "resource", NULL))
			r = spanscan_resource(c, x);
		else if (!spanscan_kis(&k, "scopeSpans", "scope_spans"))
			r = spanscan_skip_value(c);
		else if (!x->have_resource && (r = spanscan_look_ahead(c,
		    "resource",
		    NULL, &la)) != 0 && (r == -1 || spanscan_resource(&la,
		    x) == -1))
			r = -1;
		else
			r = spanscan_array_of(c, x, spanscan_scope_spans);
		if (r == -1)
			return -1;
	}
	return r;
}

static int
spanscan_traces_data(struct cur *c, struct ctx *x)
{
	struct spanscan_str k;
	char kb[SCAN_KEY_MAX];
	int n = 0, r;

	if (spanscan_enter(c, '{') == -1)
		return -1;
	while ((r = spanscan_items(c, '}', &n)) == 1) {
		if (spanscan_key(c, kb, &k) == -1)
			return -1;
		if (spanscan_kis(&k, "resourceSpans", "resource_spans"))
			r = spanscan_array_of(c, x, spanscan_resource_spans);
		else
			r = spanscan_skip_value(c);
		if (r == -1)
			return -1;
	}
	return r;
}

int
spanscan_line(const char *line, size_t len, spanscan_fn fn, void *arg)
{
	struct cur c;
	struct ctx x;

	if (line == NULL)
		return -1;
	c.p = line;
	c.end = line + len;
	c.depth = 0;
	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	if (spanscan_traces_data(&c, &x) == -1)
		return x.stopped ? x.count : -1;
	spanscan_ws(&c);
	return c.p == c.end ? x.count : -1;
}

/* Encode cp as UTF-8 into u; NUL, and with one_line the control
 * characters (C0, DEL, C1), become U+FFFD or a space. Returns the length. */
static size_t
spanscan_utf8_put(uint32_t cp, char *u, int one_line)
{
	if (one_line && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)))
		cp = ' ';
	else if (cp == 0)	/* would end the C string early */
		cp = 0xfffd;
	if (cp < 0x80) {
		u[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (char)(0xf0 | cp >> 18);
	u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
spanscan_hex4(const char *p, const char *e, uint32_t *v)
{
	int i, d;

	if (e - p < 4)
		return -1;
	for (*v = 0, i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')
			d = (p[i] | 0x20) - 'a' + 10;
		else
			return -1;
		*v = *v << 4 | (uint32_t)d;
	}
	return 0;
}

/* At a backslash: the code point it stands for, consumed. A lone
 * surrogate or a bad escape is U+FFFD. */
static uint32_t
spanscan_escape(const char **pp, const char *e)
{
	const char *p = *pp;
	uint32_t hi, lo;

	*pp = e - p < 2 ? e : p + 2;
	if (e - p < 2)
		return 0xfffd;
	switch (p[1]) {
	case '"': case '\\': case '/':
		return (uint32_t)p[1];
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'u': break;
	default: return 0xfffd;
	}
	if (spanscan_hex4(p + 2, e, &hi) == -1)
		return 0xfffd;
	*pp = p + 6;
	if (hi < 0xd800 || hi > 0xdfff)
		return hi;
	if (hi > 0xdbff || e - *pp < 6 || (*pp)[0] != '\\' ||
	    (*pp)[1] != 'u' || spanscan_hex4(*pp + 2, e, &lo) == -1 ||
	    lo < 0xdc00 || lo > 0xdfff)
		return 0xfffd;
	*pp += 6;
	return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
}

/* One raw UTF-8 character, consumed; an invalid byte is U+FFFD. */
static uint32_t
spanscan_raw_char(const char **pp, const char *e)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	const unsigned char *p = (const unsigned char *)*pp;
	uint32_t cp;
	size_t n, i;

	*pp += 1;
	if (p[0] < 0x80)
		return p[0];
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0xfffd;
	if ((size_t)(e - *pp) < n - 1)
		return 0xfffd;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0xfffd;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0xfffd;
	*pp += n - 1;
	return cp;
}

static int
spanscan_plain(char ch)
{
	return ch >= 0x20 && ch < 0x7f && ch != '\\';
}

size_t
spanscan_unescape(struct spanscan_str s, char *out, size_t outlen,
    int one_line)
{
	const char *p = s.ptr, *e = s.ptr == NULL ? NULL : s.ptr + s.len;
	char u[4];
	size_t o = 0, n;

	if (outlen == 0)
		return 0;
	while (p < e) {
		/* Look no further than the room left: values can be long. */
		for (n = 0; p + n < e && n < outlen - 1 - o &&
		    spanscan_plain(p[n]); n++)
			;
		memcpy(out + o, p, n);
		o += n;
		p += n;
		if (p == e || o == outlen - 1)
			break;
		n = spanscan_utf8_put(*p == '\\' ? spanscan_escape(&p, e) :
		    spanscan_raw_char(&p, e), u, one_line);
		if (n > outlen - 1 - o)
			break;
		memcpy(out + o, u, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}

int
spanscan_eq(struct spanscan_str s, const char *cstr)
{
	size_t n = strlen(cstr);

	return s.ptr != NULL && s.len == n && memcmp(s.ptr, cstr, n) == 0;
}
