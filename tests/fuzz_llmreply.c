/* fuzz_llmreply.c - libFuzzer driver for llm_parse_reply, the parser of
 * what a model endpoint answers: the first byte picks the HTTP status,
 * the rest is the body. A secret planted in the body must never survive
 * into errmsg, and a success must carry a reply. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm.h"

#define FUZZ_SECRET	"sk-fuzz-secret-0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 201, 204, 400, 401, 404, 429,
	    500, 502, 503 };
	struct llm_result res;
	long status;
	int rc;

	if (size == 0)
		return 0;
	status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	llm_result_init(&res);
	rc = llm_parse_reply(status, (const char *)data + 1, size - 1,
	    FUZZ_SECRET, &res);
	if (rc == 0 && (res.content == NULL || status < 200 || status > 299))
		abort();
	if (rc == -1 && (res.errmsg[0] == '\0' ||
	    (res.error != LLM_ERR_HTTP && res.error != LLM_ERR_RESPONSE)))
		abort();
	if (strstr(res.errmsg, FUZZ_SECRET) != NULL)
		abort();
	llm_result_cleanup(&res);
	return 0;
}
