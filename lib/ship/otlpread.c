/* otlpread.c - one strict pass from an OTLP/JSON line to protobuf-c
 * messages (the flusher's fast path), and the OTLP/JSON bytes rules it
 * shares with otlp.c. Strict JSON as jsonval.h defines it: RFC 8259,
 * strict UTF-8, no raw control characters, numbers in JSON's form. It
 * declines, rather than decides, whatever the reference conversion could
 * read differently: escaped keys, \u0000, lone surrogates, "-0", a known
 * field given twice, numbers past int64, fractions where integers go,
 * and every error. The caller then runs the reference. */
#include "otlpread.h"
#include "hex.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OTLPREAD_TRACE_PACKAGE	"opentelemetry.proto.trace.v1"

/* One line being read. */
struct otlpread {
	const unsigned char	*p, *end;
	int			 depth;
	otlpread_alloc_fn	 alloc;
	void			*ctx;
};

/* A string token: the bytes between its quotes. */
struct otlpread_str {
	const unsigned char	*s;
	size_t			 len;
	int			 esc;	/* has backslash escapes */
};

static const struct otlpread_hex otlpread_hex_fields[] = {
	{ "trace_id", 16, 0 },
	{ "span_id", 8, 0 },
	{ "parent_span_id", 8, 1 },
};

static const char otlpread_b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int otlpread_object(struct otlpread *,
    const ProtobufCMessageDescriptor *, ProtobufCMessage **);
static int otlpread_skip(struct otlpread *);

const struct otlpread_hex *
otlpread_hex_rule(const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f)
{
	size_t i;

	if (f->type != PROTOBUF_C_TYPE_BYTES ||
	    strcmp(desc->package_name, OTLPREAD_TRACE_PACKAGE) != 0)
		return NULL;
	for (i = 0; i < sizeof(otlpread_hex_fields) /
	    sizeof(otlpread_hex_fields[0]); i++)
		if (strcmp(f->name, otlpread_hex_fields[i].field) == 0)
			return &otlpread_hex_fields[i];
	return NULL;
}

static int
otlpread_b64_value(int ch)
{
	const char *p;

	if (ch == '-')
		return 62;
	if (ch == '_')
		return 63;
	if (ch == '\0' || (p = strchr(otlpread_b64_std, ch)) == NULL)
		return -1;
	return (int)(p - otlpread_b64_std);
}

int
otlpread_b64_decode(const char *s, size_t len, uint8_t *out, size_t *outlen)
{
	uint32_t acc = 0;
	size_t i, n = 0, bits = 0;
	int v;

	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1 || strlen(s) - len > 2)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = otlpread_b64_value((unsigned char)s[i])) == -1)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = n;
	return 0;
}

static void
otlpread_ws(struct otlpread *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
	    *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

/* White space, then c, consumed. */
static int
otlpread_eat(struct otlpread *r, unsigned char c)
{
	otlpread_ws(r);
	if (r->p >= r->end || *r->p != c)
		return -1;
	r->p++;
	return 0;
}

/* The literal word at p, consumed. */
static int
otlpread_lit(struct otlpread *r, const char *word, size_t n)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return -1;
	r->p += n;
	return 0;
}

/* Open an array or object (at p), within the depth limit. */
static int
otlpread_enter(struct otlpread *r)
{
	if (++r->depth > OTLPREAD_DEPTH_MAX)
		return -1;
	r->p++;
	return 0;
}

/* Whether the 8 bytes at p are all printable ASCII, no '"' or '\\'
 * (SWAR: a byte is flagged when below 0x20, at or past 0x80, or equal to
 * either). */
static int
otlpread_plain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t v, q, b;

	memcpy(&v, p, 8);
	q = v ^ (ones * '"');
	b = v ^ (ones * '\\');
	return (((v - ones * 0x20) | (q - ones) | (b - ones) | v) & high) ==
	    0;
}

/* The code unit of "\uXXXX" at p (6 bytes there), or -1. */
static long
otlpread_u16(const unsigned char *p, const unsigned char *end)
{
	long v = 0;
	int d, i;

	if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		if ((d = hex_digit((char)p[i])) == -1)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* The byte a one-letter escape stands for ("\\n"), or -1. */
static int
otlpread_esc_char(unsigned char c)
{
	switch (c) {
	case '"':
	case '\\':
	case '/':
		return c;
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	default:
		return -1;
	}
}

/* The escape at p: its length in the text and its code point (-1 for a
 * one-letter escape). Declines \u0000 and surrogates not in a pair. */
static size_t
otlpread_escape(const unsigned char *p, const unsigned char *end, long *cp)
{
	long lo;

	if (end - p < 2)
		return 0;
	if (p[1] != 'u') {
		*cp = -1;
		return otlpread_esc_char(p[1]) != -1 ? 2 : 0;
	}
	if ((*cp = otlpread_u16(p, end)) <= 0 || (*cp >= 0xdc00 &&
	    *cp <= 0xdfff))
		return 0;
	if (*cp < 0xd800 || *cp > 0xdbff)
		return 6;
	if ((lo = otlpread_u16(p + 6, end)) < 0xdc00 || lo > 0xdfff)
		return 0;
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	return 12;
}

/* The string token at p (its opening quote), consumed. Printable ASCII
 * other than the quote and backslash, the bulk of any line, is passed
 * over eight bytes at a time. */
static int
otlpread_str_scan(struct otlpread *r, struct otlpread_str *s)
{
	const unsigned char *p = r->p + 1, *end = r->end;
	size_t k;
	long cp;

	s->esc = 0;
	for (;;) {
		while (end - p >= 8 && otlpread_plain8(p))
			p += 8;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (p >= end || *p == '"')
			break;
		if (*p == '\\') {
			if ((k = otlpread_escape(p, end, &cp)) == 0)
				return -1;
			s->esc = 1;
		} else if (*p < 0x20 ||
		    (k = utf8_seqlen(p, (size_t)(end - p))) == 0)
			return -1;
		p += k;
	}
	if (p >= end)
		return -1;
	s->s = r->p + 1;
	s->len = (size_t)(p - s->s);
	r->p = p + 1;
	return 0;
}

static size_t
otlpread_utf8(long cp, char *d)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The scanned (valid) string s with its escapes resolved, into d (room
 * for s->len bytes: escapes only shrink). Returns the length. */
static size_t
otlpread_unescape(const struct otlpread_str *s, char *d)
{
	const unsigned char *p = s->s, *end = s->s + s->len, *bs;
	size_t o = 0, k;
	long cp;

	while (p < end) {
		if ((bs = memchr(p, '\\', (size_t)(end - p))) == NULL)
			bs = end;
		memcpy(d + o, p, (size_t)(bs - p));
		o += (size_t)(bs - p);
		if ((p = bs) >= end)
			break;
		k = otlpread_escape(p, end, &cp);
		if (cp == -1)
			d[o++] = (char)otlpread_esc_char(p[1]);
		else
			o += otlpread_utf8(cp, d + o);
		p += k;
	}
	return o;
}

/* A string token into the caller's memory, NUL-terminated. */
static int
otlpread_string(struct otlpread *r, char **out, size_t *len)
{
	struct otlpread_str s;
	char *d;

	if (r->p >= r->end || *r->p != '"' || otlpread_str_scan(r, &s) == -1)
		return -1;
	d = r->alloc(r->ctx, s.len + 1);
	if (s.esc)
		*len = otlpread_unescape(&s, d);
	else {
		memcpy(d, s.s, s.len);
		*len = s.len;
	}
	d[*len] = '\0';
	*out = d;
	return 0;
}

static const unsigned char *
otlpread_digits(const unsigned char *p, const unsigned char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* The number token at p, in JSON's form, consumed: *s, *len, and whether
 * it is an integer (no fraction, no exponent). Declines "-0". */
static int
otlpread_num_scan(struct otlpread *r, const char **s, size_t *len,
    int *is_int)
{
	const unsigned char *p = r->p, *end = r->end, *d;

	*is_int = 1;
	p += p < end && *p == '-';
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	p = *p == '0' ? p + 1 : otlpread_digits(p, end);
	if (p < end && *p == '.') {
		d = p + 1;
		if ((p = otlpread_digits(d, end)) == d)
			return -1;
		*is_int = 0;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		d = ++p;
		d += d < end && (*d == '+' || *d == '-');
		if ((p = otlpread_digits(d, end)) == d)
			return -1;
		*is_int = 0;
	}
	*s = (const char *)r->p;
	*len = (size_t)(p - r->p);
	r->p = p;
	return *len == 2 && (*s)[0] == '-' && (*s)[1] == '0' ? -1 : 0;
}

/* Plain decimal digits, no leading zero, within 64 bits. */
static int
otlpread_dec_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0, d;
	size_t i;

	if (len == 0 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
otlpread_dec_i64(const char *s, size_t len, int64_t *out)
{
	int neg = len > 0 && s[0] == '-';
	uint64_t u;

	if (otlpread_dec_u64(s + neg, len - (size_t)neg, &u) == -1 ||
	    u > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)u : (int64_t)u;
	return 0;
}

/* The text of an integer: a number token without fraction or exponent,
 * or a string without escapes. */
static int
otlpread_int_text(struct otlpread *r, const char **s, size_t *len)
{
	struct otlpread_str str;
	int is_int;

	if (r->p < r->end && *r->p == '"') {
		if (otlpread_str_scan(r, &str) == -1 || str.esc)
			return -1;
		*s = (const char *)str.s;
		*len = str.len;
		return 0;
	}
	return otlpread_num_scan(r, s, len, &is_int) == -1 || !is_int ?
	    -1 : 0;
}

static int
otlpread_signed(struct otlpread *r, int64_t min, int64_t max, int64_t *out)
{
	const char *s;
	size_t len;

	if (otlpread_int_text(r, &s, &len) == -1 ||
	    otlpread_dec_i64(s, len, out) == -1 || *out < min || *out > max)
		return -1;
	return 0;
}

/* A number token past INT64_MAX is declined: json-c's reading of it is
 * its own. A string may take the whole range. */
static int
otlpread_unsigned(struct otlpread *r, uint64_t max, uint64_t *out)
{
	int quoted = r->p < r->end && *r->p == '"';
	const char *s;
	size_t len;

	if (otlpread_int_text(r, &s, &len) == -1 ||
	    otlpread_dec_u64(s, len, out) == -1 || *out > max ||
	    (!quoted && *out > (uint64_t)INT64_MAX))
		return -1;
	return 0;
}

static int
otlpread_int(struct otlpread *r, ProtobufCType t, void *dst)
{
	uint64_t u;
	int64_t i;

	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (otlpread_signed(r, INT32_MIN, INT32_MAX, &i) == -1)
			return -1;
		*(int32_t *)dst = (int32_t)i;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (otlpread_unsigned(r, UINT32_MAX, &u) == -1)
			return -1;
		*(uint32_t *)dst = (uint32_t)u;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return otlpread_signed(r, INT64_MIN, INT64_MAX, dst);
	default:
		return otlpread_unsigned(r, UINT64_MAX, dst);
	}
}

/* A number, or "NaN", "Infinity", "-Infinity"; an integer token as
 * json-c gives it (the int64 converted), others by strtod. */
static int
otlpread_double(struct otlpread *r, double *out)
{
	struct otlpread_str str;
	const char *s;
	char *end;
	size_t len;
	int64_t i;
	int is_int;

	if (r->p < r->end && *r->p == '"') {
		if (otlpread_str_scan(r, &str) == -1)
			return -1;
		s = (const char *)str.s;
		if (str.len == 3 && memcmp(s, "NaN", 3) == 0)
			*out = NAN;
		else if (str.len == 8 && memcmp(s, "Infinity", 8) == 0)
			*out = INFINITY;
		else if (str.len == 9 && memcmp(s, "-Infinity", 9) == 0)
			*out = -INFINITY;
		else
			return -1;
		return 0;
	}
	if (otlpread_num_scan(r, &s, &len, &is_int) == -1)
		return -1;
	if (is_int) {
		if (otlpread_dec_i64(s, len, &i) == -1)
			return -1;
		*out = (double)i;
		return 0;
	}
	errno = 0;
	*out = strtod(s, &end);
	return end != s + len || errno != 0 || !isfinite(*out) ? -1 : 0;
}

static int
otlpread_enum(struct otlpread *r, const ProtobufCEnumDescriptor *ed,
    int32_t *out)
{
	const ProtobufCEnumValue *ev;
	size_t len;
	int64_t v;
	char *s;

	if (r->p < r->end && *r->p == '"') {
		if (otlpread_string(r, &s, &len) == -1 ||
		    (ev = protobuf_c_enum_descriptor_get_value_by_name(ed,
		    s)) == NULL)
			return -1;
		*out = ev->value;
		return 0;
	}
	if (otlpread_signed(r, INT32_MIN, INT32_MAX, &v) == -1)
		return -1;
	*out = (int32_t)v;
	return 0;
}

static int
otlpread_bytes(struct otlpread *r, const struct otlpread_hex *rule,
    ProtobufCBinaryData *out)
{
	size_t len;
	char *s;

	if (otlpread_string(r, &s, &len) == -1)
		return -1;
	out->data = r->alloc(r->ctx, len + 1);
	if (rule == NULL)
		return otlpread_b64_decode(s, len, out->data, &out->len);
	if (len == 0 && rule->optional) {
		out->len = 0;
		return 0;
	}
	if (len != 2 * rule->len || hex_decode(s, rule->len, out->data) == -1)
		return -1;
	out->len = rule->len;
	return 0;
}

/* One value of field f of a message desc into dst (the member, or one
 * element of a repeated member). */
static int
otlpread_value(struct otlpread *r, const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, void *dst)
{
	double d;
	size_t len;

	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		if (otlpread_lit(r, "true", 4) == 0)
			*(protobuf_c_boolean *)dst = 1;
		else if (otlpread_lit(r, "false", 5) == 0)
			*(protobuf_c_boolean *)dst = 0;
		else
			return -1;
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return otlpread_enum(r, f->descriptor, dst);
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		if (otlpread_double(r, &d) == -1)
			return -1;
		if (f->type == PROTOBUF_C_TYPE_FLOAT)
			*(float *)dst = (float)d;
		else
			*(double *)dst = d;
		return 0;
	case PROTOBUF_C_TYPE_STRING:
		return otlpread_string(r, dst, &len);
	case PROTOBUF_C_TYPE_BYTES:
		return otlpread_bytes(r, otlpread_hex_rule(desc, f), dst);
	case PROTOBUF_C_TYPE_MESSAGE:
		return otlpread_object(r, f->descriptor, dst);
	default:
		return otlpread_int(r, f->type, dst);
	}
}

size_t
otlpread_elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return sizeof(uint64_t);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return sizeof(uint32_t);	/* 32-bit ints, float, enum */
	}
}

/* An array for repeated field f; its length is known at its end, so the
 * elements grow in the caller's memory by doubling. */
static int
otlpread_repeated(struct otlpread *r, const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, void *msg)
{
	size_t size = otlpread_elem_size(f), n = 0, cap = 0;
	unsigned char *v = NULL, *nv;

	if (r->p >= r->end || *r->p != '[' || otlpread_enter(r) == -1)
		return -1;
	otlpread_ws(r);
	if (r->p < r->end && *r->p == ']')
		r->p++;
	else
		for (;;) {
			if (n == cap) {
				cap = cap > 0 ? cap * 2 : 8;
				nv = r->alloc(r->ctx, cap * size);
				if (n > 0)
					memcpy(nv, v, n * size);
				v = nv;
			}
			otlpread_ws(r);
			if (otlpread_value(r, desc, f, v + n * size) == -1)
				return -1;
			n++;
			if (otlpread_eat(r, ',') == 0)
				continue;
			if (otlpread_eat(r, ']') == -1)
				return -1;
			break;
		}
	r->depth--;
	*(size_t *)((char *)msg + f->quantifier_offset) = n;
	*(void **)((char *)msg + f->offset) = v;
	return 0;
}

/* Set field f of msg from the value at p; null leaves it unset. */
static int
otlpread_field(struct otlpread *r, const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, void *msg)
{
	uint32_t *oneof_case;

	if (otlpread_lit(r, "null", 4) == 0)
		return 0;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return otlpread_repeated(r, desc, f, msg);
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		oneof_case = (uint32_t *)((char *)msg + f->quantifier_offset);
		if (*oneof_case != 0)
			return -1;
		*oneof_case = f->id;
	}
	return otlpread_value(r, desc, f, (char *)msg + f->offset);
}

/* Whether key is the proto name or its lowerCamelCase ("span_id",
 * "spanId"), compared without building either. */
static int
otlpread_name_is(const char *name, const unsigned char *key, size_t klen)
{
	const char *n = name;
	size_t o = 0;
	int up = 0;
	char c;

	/* Both spellings start alike unless the name starts with '_'. */
	if (name[0] != '_' && (klen == 0 || (unsigned char)name[0] != key[0]))
		return 0;
	for (; *n != '\0'; n++) {
		if (*n == '_') {
			up = 1;
			continue;
		}
		c = up && *n >= 'a' && *n <= 'z' ? (char)(*n - 'a' + 'A') : *n;
		up = 0;
		if (o >= klen || key[o] != (unsigned char)c)
			break;
		o++;
	}
	if (*n == '\0' && o == klen)
		return 1;
	return strncmp(name, (const char *)key, klen) == 0 &&
	    name[klen] == '\0';
}

static const ProtobufCFieldDescriptor *
otlpread_field_by_key(const ProtobufCMessageDescriptor *desc,
    const struct otlpread_str *key, unsigned *index)
{
	unsigned i;

	for (i = 0; i < desc->n_fields; i++)
		if (otlpread_name_is(desc->fields[i].name, key->s, key->len)) {
			*index = i;
			return &desc->fields[i];
		}
	return NULL;
}

/* A set hex field must have its length; a span or link must have ids. */
static int
otlpread_check_ids(const ProtobufCMessageDescriptor *desc, const void *msg)
{
	const struct otlpread_hex *rule;
	const ProtobufCBinaryData *bd;
	unsigned i;

	if (strcmp(desc->package_name, OTLPREAD_TRACE_PACKAGE) != 0)
		return 0;
	for (i = 0; i < desc->n_fields; i++) {
		if ((rule = otlpread_hex_rule(desc, &desc->fields[i])) == NULL)
			continue;
		bd = (const void *)((const char *)msg + desc->fields[i].offset);
		if (bd->len == 0 && !rule->optional)
			return -1;
	}
	return 0;
}

/* One "key": value member of an object being read as desc's message. */
static int
otlpread_member(struct otlpread *r, const ProtobufCMessageDescriptor *desc,
    void *msg, uint64_t *seen)
{
	const ProtobufCFieldDescriptor *f;
	struct otlpread_str key;
	unsigned idx;

	otlpread_ws(r);
	if (r->p >= r->end || *r->p != '"' || otlpread_str_scan(r, &key) == -1 ||
	    key.esc || otlpread_eat(r, ':') == -1)
		return -1;
	otlpread_ws(r);
	if ((f = otlpread_field_by_key(desc, &key, &idx)) == NULL)
		return otlpread_skip(r);
	if (*seen & (UINT64_C(1) << idx))
		return -1;
	*seen |= UINT64_C(1) << idx;
	return otlpread_field(r, desc, f, msg);
}

static int
otlpread_object(struct otlpread *r, const ProtobufCMessageDescriptor *desc,
    ProtobufCMessage **out)
{
	uint64_t seen = 0;
	void *msg;

	if (r->p >= r->end || *r->p != '{' || desc->n_fields > 64 ||
	    otlpread_enter(r) == -1)
		return -1;
	msg = r->alloc(r->ctx, desc->sizeof_message);
	desc->message_init(msg);
	otlpread_ws(r);
	if (r->p < r->end && *r->p == '}')
		r->p++;
	else
		for (;;) {
			if (otlpread_member(r, desc, msg, &seen) == -1)
				return -1;
			if (otlpread_eat(r, ',') == 0)
				continue;
			if (otlpread_eat(r, '}') == -1)
				return -1;
			break;
		}
	r->depth--;
	*out = msg;
	return otlpread_check_ids(desc, msg);
}

/* Any value, checked and passed over (an unknown field's). */
static int
otlpread_skip_list(struct otlpread *r, unsigned char close, int object)
{
	struct otlpread_str key;

	if (otlpread_enter(r) == -1)
		return -1;
	otlpread_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		otlpread_ws(r);
		if (object && (r->p >= r->end || *r->p != '"' ||
		    otlpread_str_scan(r, &key) == -1 ||
		    otlpread_eat(r, ':') == -1))
			return -1;
		otlpread_ws(r);
		if (otlpread_skip(r) == -1)
			return -1;
		if (otlpread_eat(r, ',') == 0)
			continue;
		if (otlpread_eat(r, close) == -1)
			return -1;
		r->depth--;
		return 0;
	}
}

static int
otlpread_skip(struct otlpread *r)
{
	struct otlpread_str s;
	const char *num;
	size_t len;
	int is_int;

	if (r->p >= r->end)
		return -1;
	switch (*r->p) {
	case '"':
		return otlpread_str_scan(r, &s);
	case '{':
		return otlpread_skip_list(r, '}', 1);
	case '[':
		return otlpread_skip_list(r, ']', 0);
	case 't':
		return otlpread_lit(r, "true", 4);
	case 'f':
		return otlpread_lit(r, "false", 5);
	case 'n':
		return otlpread_lit(r, "null", 4);
	default:
		return otlpread_num_scan(r, &num, &len, &is_int);
	}
}

int
otlpread_message(const ProtobufCMessageDescriptor *desc, const char *text,
    size_t len, otlpread_alloc_fn alloc, void *ctx, ProtobufCMessage **out)
{
	struct otlpread r = { (const unsigned char *)text,
	    (const unsigned char *)text + len, 0, alloc, ctx };

	if (otlpread_object(&r, desc, out) == -1)
		return -1;
	otlpread_ws(&r);
	return r.p == r.end ? 0 : -1;
}
