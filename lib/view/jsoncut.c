/* jsoncut.c - prefixes of raw JSON string text that end between escapes. */
#include "jsoncut.h"

size_t
jsoncut_prefix(const char *p, size_t len, size_t n)
{
	size_t i = 0, step;

	if (n > len)
		n = len;
	while (i < n) {
		step = p[i] != '\\' ? 1 : (i + 1 < len && p[i + 1] == 'u') ?
		    6 : 2;
		if (i + step > n)
			break;
		i += step;
	}
	return i;
}
