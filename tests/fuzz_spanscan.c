/* fuzz_spanscan.c - libFuzzer driver for the spool line scanner: no crash,
 * the same count with and without a callback, raw slices are objects
 * inside the line, and unescaped text is valid UTF-8 that fits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spanscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Valid UTF-8 of exactly n bytes; with one_line, no C0 controls or DEL. */
static int
valid(const unsigned char *p, size_t n, int one_line)
{
	size_t i, j, k;

	for (i = 0; i < n; i += k) {
		k = p[i] < 0x80 ? 1 : p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : 2;
		if (p[i] == 0 || (one_line && (p[i] < 0x20 || p[i] == 0x7f)) ||
		    (p[i] >= 0x80 && p[i] < 0xc2) || p[i] > 0xf4 || i + k > n)
			return 0;
		for (j = 1; j < k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
	}
	return p[n] == '\0';
}

static void
check_str(struct spanscan_str s, int one_line)
{
	char out[24];
	size_t n = spanscan_unescape(s, out, sizeof(out), one_line);

	if (n >= sizeof(out) || !valid((const unsigned char *)out, n, one_line))
		abort();
}

static int
check(const struct spanscan_span *s, void *arg)
{
	const char *const *line = arg;

	if (s->raw.ptr < line[0] || s->raw.ptr + s->raw.len > line[1] ||
	    s->raw.len < 2 || s->raw.ptr[0] != '{' ||
	    s->raw.ptr[s->raw.len - 1] != '}')
		abort();
	check_str(s->name, 1);
	check_str(s->input, 0);
	check_str(s->session_id, 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line[2] = { (const char *)data, (const char *)data + size };
	struct spanscan_str all = { line[0], size };

	if (spanscan_line(line[0], size, check, line) !=
	    spanscan_line(line[0], size, NULL, NULL))
		abort();
	check_str(all, (int)(size & 1));
	return 0;
}
