/* utf8.c - strict UTF-8 validation and cleaning. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

#include "xalloc.h"

size_t
utf8_seqlen(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0x01 && s[0] <= 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	uint64_t w;

	while (i < len) {
		/* Most text is ASCII: skip it eight bytes at a time (a NUL
		 * byte has no high bit, so look for it separately). */
		while (len - i >= 8) {
			memcpy(&w, p + i, sizeof(w));
			if ((w & UINT64_C(0x8080808080808080)) != 0 ||
			    ((w - UINT64_C(0x0101010101010101)) & ~w &
			    UINT64_C(0x8080808080808080)) != 0)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		if ((l = utf8_seqlen(p + i, len - i)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

char *
utf8_clean(const char *s, size_t len, size_t max, int *cut)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out;
	size_t i = 0, o = 0, l, w;

	*cut = 0;
	/* Most values are valid and short: one exact copy. */
	if (len <= max && utf8_valid(s, len)) {
		out = xmalloc(len + 1);
		memcpy(out, s, len);
		out[len] = '\0';
		return out;
	}
	out = xmalloc((len > max / 3 ? max : len * 3) + 1);
	while (i < len) {
		l = utf8_seqlen(p + i, len - i);
		w = l > 0 ? l : 3;
		if (o + w > max) {
			*cut = 1;
			break;
		}
		memcpy(out + o, l > 0 ? s + i : "\xef\xbf\xbd", w);
		o += w;
		i += l > 0 ? l : 1;
	}
	out[o] = '\0';
	return out;
}
