/* llm.h - OpenAI-compatible chat completions client: provider resolution,
 * the request body and the reply; the transfer goes through httpc. One
 * struct llm_client per thread (its httpc client keeps the connection
 * alive). The API key never leaves this module: not in spans, logs or
 * error messages. */
#ifndef RC_LLM_H
#define RC_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The hard limit on a model reply's body: a longer one is an error. */
#define LLM_MAX_RESPONSE	(8 * 1024 * 1024)
/* A token count above this is not believed: it is taken as not reported.
 * Far above any context window, and the sum of a few stays exact in the
 * doubles that JSON readers (Phoenix's UI, jq) turn it into. */
#define LLM_MAX_TOKENS		INT64_C(1000000000000)

struct llm_config {
	char	*model;		/* the name sent to the provider ("gpt-4o-mini") */
	char	*model_spec;	/* as configured ("openai/gpt-4o-mini") */
	char	*provider;	/* llm.provider: openai, anthropic, google, ... */
	char	*system;	/* llm.system: openai, anthropic, vertexai, ... */
	char	*base_url;	/* without trailing '/'; "/chat/completions" appended */
	char	*api_key;	/* NULL when none: no Authorization header */
	long	 timeout_s;	/* total; connect timeout is min(10, timeout_s) */
	size_t	 max_response;	/* bytes */
};

/* Resolve MODEL_NAME (litellm form: "openai/x", "anthropic/x", "gemini/x",
 * "together_ai/x", "ollama/x", or a bare name), the provider's base URL and
 * key variable (OPENAI_BASE_URL for openai and bare names), LLM_TIMEOUT_S
 * from the environment; the key must pass httpc_check_key. Returns 0, or
 * -1 with a message in err that never contains the key. cfg owns its
 * strings: release with llm_config_cleanup, also after a failure. */
int llm_config_from_env(struct llm_config *cfg, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Free and zero what llm_config_from_env filled in. */
void llm_config_cleanup(struct llm_config *cfg);

struct llm_client;

/* A client for one thread; cfg must outlive it. httpc_global_init must
 * have run. Returns NULL when the HTTP client cannot be set up. Free with
 * llm_client_free. */
struct llm_client *llm_client_new(const struct llm_config *cfg);
/* Free the client; NULL does nothing. */
void llm_client_free(struct llm_client *c);

struct llm_message {
	const char	*role;
	const char	*content;
};

enum llm_error {
	LLM_OK = 0,
	LLM_ERR_TIMEOUT,	/* connect or total timeout: /chat answers 504 */
	LLM_ERR_CONNECT,	/* could not reach the endpoint: 502 */
	LLM_ERR_HTTP,		/* non-2xx answer: 502 */
	LLM_ERR_RESPONSE,	/* unparsable or oversized answer: 502 */
};

struct llm_result {
	enum llm_error	 error;
	long		 http_status;	/* 0 when no answer */
	char		*content;	/* reply text (owned) */
	char		*finish_reason;	/* owned, NULL if absent */
	char		*model;		/* model the endpoint reports, or NULL */
	int64_t		 prompt_tokens;	/* -1 when the endpoint gave none */
	int64_t		 completion_tokens;
	int64_t		 total_tokens;
	/* Parts of prompt_tokens and completion_tokens as the endpoint
	 * reported them (docs/spans.md); -1 when it did not, never 0 for
	 * unknown. prompt_tokens stays the whole prompt, cached included. */
	int64_t		 cache_read_tokens;	/* prompt, read from cache */
	int64_t		 cache_write_tokens;	/* prompt, written to cache */
	int64_t		 prompt_audio_tokens;
	int64_t		 reasoning_tokens;	/* completion */
	int64_t		 completion_audio_tokens;
	char		 errmsg[256];	/* for logs, spans and the 502 detail */
};

/* POST {base_url}/chat/completions with {"model", "messages"} and the
 * headers Content-Type, Authorization (when a key is set) and traceparent
 * (when not NULL). Returns 0 when a reply was parsed, else -1 with
 * res->error and res->errmsg set. res owns its strings: always call
 * llm_result_cleanup. */
int llm_complete(struct llm_client *c, const struct llm_message *msgs,
    size_t n, const char *traceparent, struct llm_result *res)
	__attribute__((warn_unused_result));
/* Free the strings of res; it can be filled again. */
void llm_result_cleanup(struct llm_result *res);

/* JSON text of the request parameters except messages and key, for the
 * llm.invocation_parameters attribute. Caller frees. */
char *llm_invocation_parameters(const struct llm_config *cfg);

/* Functions below are the pure parts of llm_complete, exposed for tests. */

/* The largest JSON text built from messages: above any /chat body
 * (CHAT_MAX_BODY is at most 64 MiB) with every byte escaped. */
#define LLM_BODY_MAX	((size_t)1 << 30)

/* Append {"role":role,"content":content} to b (both valid UTF-8; NULL
 * writes ""): the one writer of a chat message, for the model request,
 * the /chat answer and the LLM span's input.value. Returns 0, or -1 past
 * b's limit. */
int llm_message_write(struct buf *b, const char *role, const char *content)
	__attribute__((warn_unused_result));
/* The request body {"model", "messages"} as JSON text. Caller frees. */
char *llm_request_body(const struct llm_config *cfg,
    const struct llm_message *msgs, size_t n);
/* Empty result: no strings, token counts (details too) -1. */
void llm_result_init(struct llm_result *res);
/* Fill an initialised res from an HTTP answer: 2xx with a chat.completion
 * body (exactly one JSON value, jsonval_parse) gives 0; else -1 with
 * LLM_ERR_HTTP or LLM_ERR_RESPONSE and errmsg, from which every occurrence
 * of secret (may be NULL) was removed. Token counts come from usage:
 * OpenAI's prompt_tokens_details/completion_tokens_details and Anthropic's
 * cache_read_input_tokens/cache_creation_input_tokens; a count that is not
 * an integer in [0, LLM_MAX_TOKENS] is taken as not reported. res owns
 * what it holds: call llm_result_cleanup. */
int llm_parse_reply(long status, const char *body, size_t len,
    const char *secret, struct llm_result *res)
	__attribute__((warn_unused_result));

#endif
