/* fuzz_otlp.c - libFuzzer driver for the OTLP/JSON line converter: no
 * crash, the fast path (otlpread.c) and the reference conversion alone
 * give the same answer, error and protobuf, and what it accepts renders
 * to JSON that converts back to the same protobuf once normalised (-0
 * and NaN payloads normalise once). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otlp.h"
#include "otlpjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Line -> protobuf -> JSON. NULL when the line is rejected. */
static char *
cycle(const char *line, size_t len, uint8_t **pb, size_t *pblen)
{
	struct otlp_batch *b = otlp_batch_new();
	char err[OTLP_ERR_MAX], *json = NULL;
	size_t n = 0, back = 0;

	*pb = NULL;
	if (otlp_batch_add_line(b, line, len, &n, err, sizeof(err)) == 0) {
		*pb = otlp_batch_pack(b, pblen);
		json = otlpjson_request(*pb, *pblen, &back, err,
		    sizeof(err));
		if (json == NULL || back != n || n != otlp_batch_span_count(b))
			abort();
	}
	otlp_batch_free(b);
	return json;
}

/* otlp_batch_add_line against otlp_batch_add_line_ref. */
static void
agree(const char *line, size_t len)
{
	struct otlp_batch *a = otlp_batch_new(), *b = otlp_batch_new();
	char ea[OTLP_ERR_MAX] = "", eb[OTLP_ERR_MAX] = "";
	size_t na = 0, nb = 0, la, lb;
	uint8_t *pa, *pb;

	if (otlp_batch_add_line(a, line, len, &na, ea, sizeof(ea)) !=
	    otlp_batch_add_line_ref(b, line, len, &nb, eb, sizeof(eb)) ||
	    na != nb || strcmp(ea, eb) != 0)
		abort();
	pa = otlp_batch_pack(a, &la);
	pb = otlp_batch_pack(b, &lb);
	if (la != lb || memcmp(pa, pb, la) != 0)
		abort();
	free(pa), free(pb);
	otlp_batch_free(a);
	otlp_batch_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	agree((const char *)data, size);
	uint8_t *pb1, *pb2, *pb3;
	size_t l1, l2, l3;
	char *j1, *j2, *j3;

	if ((j1 = cycle((const char *)data, size, &pb1, &l1)) == NULL)
		return 0;
	if ((j2 = cycle(j1, strlen(j1), &pb2, &l2)) == NULL || l2 != l1 ||
	    (j3 = cycle(j2, strlen(j2), &pb3, &l3)) == NULL || l3 != l2 ||
	    memcmp(pb2, pb3, l2) != 0 || strcmp(j2, j3) != 0)
		abort();
	free(j1), free(j2), free(j3);
	free(pb1), free(pb2), free(pb3);
	return 0;
}
