/* fuzz_tracectx.c - libFuzzer driver for the traceparent and tracestate
 * parsers: no crash, and what they accept must read back unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tracectx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), tp[TRACECTX_TRACEPARENT_LEN + 1];
	struct tracectx ctx, back;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (tracectx_parse_traceparent(s, &ctx) == 0) {
		tracectx_format_traceparent(&ctx, tp);
		if (tracectx_parse_traceparent(tp, &back) != 0 ||
		    memcmp(back.trace_id, ctx.trace_id, 16) != 0 ||
		    memcmp(back.span_id, ctx.span_id, 8) != 0 ||
		    back.flags != ctx.flags || (ctx.flags & ~3) != 0)
			abort();
	}
	if (tracectx_parse_tracestate(s, &ctx) == 0 &&
	    (strlen(ctx.tracestate) > TRACECTX_TRACESTATE_MAX ||
	    tracectx_parse_tracestate(ctx.tracestate, &back) != 0 ||
	    strcmp(back.tracestate, ctx.tracestate) != 0))
		abort();
	free(s);
	return 0;
}
