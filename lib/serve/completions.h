/* completions.h - the server side of OpenAI's chat completions API, as the
 * offline model speaks it: reading a request's messages and parameters,
 * and the chat.completion, model list and error bodies it answers with.
 * Transport-free; offline-llm moves the bytes. */
#ifndef RC_COMPLETIONS_H
#define RC_COMPLETIONS_H

#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "llm.h"

#define COMPLETIONS_MODEL	"offline-recipe-model"
#define COMPLETIONS_MAX_MESSAGES 1000
#define COMPLETIONS_ERR_MAX	128

/* A parsed request. json-c: root is the request body's tree, put by
 * completions_request_cleanup; the messages' strings point into it. */
struct completions_request {
	json_object		*root;
	struct llm_message	*msgs;
	size_t			 n;
};

/* Parse len bytes of body as exactly one JSON value (jsonval_parse) and
 * validate it as {"model"?: string, "messages": [1 to 1000 {"role",
 * "content"} objects], "stream"?: false}; other members are ignored.
 * Returns 0 with req filled, or -1 with the message of a 400 answer in
 * err. Either way release req with completions_request_cleanup. */
int completions_parse_request(const char *body, size_t len,
    struct completions_request *req, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Release what completions_parse_request took; req may be all zero. */
void completions_request_cleanup(struct completions_request *req);

/* The chat.completion object answering req with reply: its id is derived
 * from the len bytes of body (the same request, the same id), created is
 * the time to report, and usage counts words as tokens. Never NULL (out
 * of memory aborts); caller frees. */
char *completions_reply_json(const char *body, size_t len,
    const struct completions_request *req, const char *reply,
    time_t created);
/* {"error": {"message", "type", "param": null, "code": null}}, the type
 * "server_error" for a status of 500 or more, else
 * "invalid_request_error". Never NULL; caller frees. */
char *completions_error_json(int status, const char *msg);
/* The GET /v1/models list: the one offline model. Never NULL; caller
 * frees. */
char *completions_models_json(void);

#endif
