/* chat.h - the /chat contract of the original app: request parsing and
 * validation, the recipe system prompt, and the response body.
 * json-c ownership: the parsed tree lives only inside chat_parse_request,
 * which copies what a turn needs, so a large body's tree is gone before the
 * model call; returned strings are the caller's to free(). */
#ifndef RC_CHAT_H
#define RC_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "llm.h"

#define CHAT_SESSION_ID_MAX	128
#define CHAT_MAX_MESSAGES	1000
/* JSON values a body may hold (objects, arrays, strings, numbers,
 * literals; keys do not count). A message is 3, so 1000 messages with a
 * few extra fields each fit; a body padded with thousands of {} does not,
 * and is refused before json-c builds a tree for it (each object costs
 * json-c some 700 bytes, 500 times the 3 bytes "{}," it took to send). */
#define CHAT_MAX_JSON_VALUES	10000

extern const char chat_system_prompt[];

struct chat_request {
	struct llm_message	*messages;	/* the recipe system prompt
						 * first, then the request's
						 * user and assistant messages;
						 * contents point into text */
	size_t			 n_messages;
	char			*text;		/* copies of the contents */
	int			 system_ignored; /* client system messages
						 * left out */
	char			 session_id[CHAT_SESSION_ID_MAX + 1];
	int			 session_given;	/* 0: a new UUID was made */
	const char		*last_user;	/* last user message, or NULL */
};

/* Parse and validate a request body: {"messages": [{"role":
 * "system|user|assistant", "content": str}, ...], "session_id"?: str}.
 * Returns 0, or -1 with *http_status (413 more than CHAT_MAX_JSON_VALUES
 * values, counted before any tree is built; 400 malformed JSON, 422 wrong
 * shape, types, empty messages, unknown role, bad session id) and a
 * message for the client in err. Unknown extra fields are ignored. The
 * recipe prompt always comes first: a client's system messages are
 * validated, then left out (counted in system_ignored), so a client that
 * sends the answered history back gets the same prompt. A missing or null
 * session_id gets a new UUID (libuuid); a given one must be 1-128 chars of
 * [A-Za-z0-9_.:-]. Always call chat_request_cleanup. */
int chat_parse_request(const char *body, size_t len, struct chat_request *req,
    int *http_status, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Put the parsed tree and free the message array; req can be parsed into
 * again. */
void chat_request_cleanup(struct chat_request *req);

/* {"messages": [...all of req->messages..., {"role": "assistant",
 * "content": reply}], "session_id": ..., "trace_id": trace_id,
 * "span_id": span_id} as compact JSON: the ids (32 and 16 hex) name the
 * turn's chat_turn span, which POST /feedback votes on; a NULL id (tracing
 * is off) is left out. Caller frees. */
char *chat_response_json(const struct chat_request *req, const char *reply,
    const char *trace_id, const char *span_id);
/* {"detail": msg} as compact JSON. Caller frees. */
char *chat_error_json(const char *msg);
/* The request messages as a JSON array [{"role","content"}...], for the
 * LLM span's input.value. Caller frees. */
char *chat_messages_json(const struct llm_message *msgs, size_t n);
/* Whether s (NULL: no) is 1-128 characters of [A-Za-z0-9_.:-]. */
bool chat_session_id_valid(const char *s);

#endif
