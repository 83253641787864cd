/* chat.h - the /chat contract of the original app: request parsing and
 * validation, the recipe system prompt, and the response body.
 * json-c ownership: struct chat_request owns its parsed tree (released by
 * chat_request_cleanup); returned strings are the caller's to free(). */
#ifndef RC_CHAT_H
#define RC_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "llm.h"

#define CHAT_SESSION_ID_MAX	128
#define CHAT_MAX_MESSAGES	1000

extern const char chat_system_prompt[];

struct chat_request {
	json_object		*root;		/* parsed body */
	struct llm_message	*messages;	/* system prompt first, then the
						 * request's messages; strings
						 * point into root */
	size_t			 n_messages;
	int			 prompt_added;	/* 1 when we prepended it */
	char			 session_id[CHAT_SESSION_ID_MAX + 1];
	int			 session_given;	/* 0: a new UUID was made */
	const char		*last_user;	/* last user message, or NULL */
};

/* Parse and validate a request body: {"messages": [{"role":
 * "system|user|assistant", "content": str}, ...], "session_id"?: str}.
 * Returns 0, or -1 with *http_status (400 malformed JSON, 422 wrong shape,
 * types, empty messages, unknown role, bad session id) and a message for
 * the client in err. Unknown extra fields are ignored. A missing or null
 * session_id gets a new UUID (libuuid); a given one must be 1-128 chars of
 * [A-Za-z0-9_.:-]. Always call chat_request_cleanup. */
int chat_parse_request(const char *body, size_t len, struct chat_request *req,
    int *http_status, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Put the parsed tree and free the message array; req can be parsed into
 * again. */
void chat_request_cleanup(struct chat_request *req);

/* {"messages": [...all of req->messages..., {"role": "assistant",
 * "content": reply}], "session_id": ...} as compact JSON. Caller frees. */
char *chat_response_json(const struct chat_request *req, const char *reply);
/* {"detail": msg} as compact JSON. Caller frees. */
char *chat_error_json(const char *msg);
/* The request messages as a JSON array [{"role","content"}...], for the
 * LLM span's input.value. Caller frees. */
char *chat_messages_json(const struct llm_message *msgs, size_t n);
/* Whether s (NULL: no) is 1-128 characters of [A-Za-z0-9_.:-]. */
bool chat_session_id_valid(const char *s);

#endif
