/* fuzz_spoolline.c - differential libFuzzer driver for spool lines: the
 * flusher's reader (otlp.c, json-c) and the viewer's scanner (spanscan.c)
 * must accept the same lines with the same span counts. Found cases go to
 * tests/corpus/fuzz_spoolline/, which test_spanscan replays without clang. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "spoolagree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[512];

	if (spoolagree_check((const char *)data, size, why, sizeof(why)) ==
	    -1) {
		fprintf(stderr, "readers disagree: %s\n", why);
		abort();
	}
	return 0;
}
