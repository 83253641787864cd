/* jsonw.c - JSON strings and integers appended to a buf (see jsonw.h). */
#include "jsonw.h"

#include <string.h>

/* What each byte below 0x80 becomes inside a JSON string: 0 as it is,
 * a letter for a two-character escape, 'u' for \u00XX. */
static const char jsonw_esc[128] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static int
jsonw_escape(struct buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', jsonw_esc[c], '0', '0', 0, 0 };

	if (e[1] != 'u')
		return buf_append(b, e, 2);
	e[4] = hex[c >> 4];
	e[5] = hex[c & 0xf];
	return buf_append(b, e, 6);
}

#define JSONW_ONES	UINT64_C(0x0101010101010101)
#define JSONW_HIGHS	UINT64_C(0x8080808080808080)

/* Whether one of the eight bytes in w may need an escape: below 0x20, '"'
 * or '\\' (a false alarm only costs the byte-by-byte look). */
static int
jsonw_word_special(uint64_t w)
{
	uint64_t q = w ^ (JSONW_ONES * '"'), bs = w ^ (JSONW_ONES * '\\');

	/* != 0: the flags are the words' high bits, past an int's. */
	return ((((w - JSONW_ONES * 0x20) & ~w) | ((q - JSONW_ONES) & ~q) |
	    ((bs - JSONW_ONES) & ~bs)) & JSONW_HIGHS) != 0;
}

/* The end of the run of bytes from i that go as they are: eight at a time
 * while no byte may need an escape, then one at a time. */
static size_t
jsonw_plain_run(const unsigned char *p, size_t i, size_t len)
{
	uint64_t w;

	while (len - i >= 8) {
		memcpy(&w, p + i, sizeof(w));
		if (jsonw_word_special(w))
			break;
		i += 8;
	}
	while (i < len && (p[i] >= 0x80 || jsonw_esc[p[i]] == 0))
		i++;
	return i;
}

int
jsonw_string(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;

	if (buf_append(b, "\"", 1) == -1)
		return -1;
	while (i < len) {
		/* The bytes that go as they are, copied as one run. */
		run = jsonw_plain_run(p, i, len);
		if (run > i && buf_append(b, s + i, run - i) == -1)
			return -1;
		if (run == len)
			break;
		if (jsonw_escape(b, p[run]) == -1)
			return -1;
		i = run + 1;
	}
	return buf_append(b, "\"", 1);
}

int
jsonw_cstring(struct buf *b, const char *s)
{
	if (s == NULL)
		s = "";
	return jsonw_string(b, s, strlen(s));
}

int
jsonw_uint(struct buf *b, uint64_t v, int quoted)
{
	char num[24];
	size_t i = sizeof(num);

	if (quoted)
		num[--i] = '"';
	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (quoted)
		num[--i] = '"';
	return buf_append(b, num + i, sizeof(num) - i);
}

int
jsonw_int(struct buf *b, int64_t v, int quoted)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	if (v >= 0)
		return jsonw_uint(b, mag, quoted);
	if (buf_append(b, quoted ? "\"-" : "-", quoted ? 2 : 1) == -1)
		return -1;
	if (!quoted)
		return jsonw_uint(b, mag, 0);
	return jsonw_uint(b, mag, 0) == -1 ? -1 : buf_append(b, "\"", 1);
}
