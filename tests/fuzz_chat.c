/* fuzz_chat.c - libFuzzer driver for chat_parse_request and the bodies
 * built from what it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chat_request req;
	char err[256];
	int status = -1;

	if (chat_parse_request((const char *)data, size, &req, &status, err,
	    sizeof(err)) == 0) {
		if (req.n_messages == 0 ||
		    !chat_session_id_valid(req.session_id))
			abort();
		free(chat_response_json(&req, "reply",
		    "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"));
		free(chat_messages_json(req.messages, req.n_messages));
	} else if ((status != 400 && status != 413 && status != 422) ||
	    err[0] == '\0')
		abort();
	free(chat_error_json(err));
	chat_request_cleanup(&req);
	return 0;
}
