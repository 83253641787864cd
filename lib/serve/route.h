/* route.h - chat-fcgi's requests to their handlers: POST /chat (one traced
 * turn, turn.h), POST /feedback (feedback.h), GET /healthz (the worker's
 * spool drops) and 404/405 for the rest; each body read under its route's
 * limit and the answer written over FastCGI. */
#ifndef RC_ROUTE_H
#define RC_ROUTE_H

#include <stddef.h>

#include <fcgiapp.h>

#include "llm.h"
#include "spool.h"
#include "turn.h"

/* After a turn whose body was this large, give freed memory back: glibc
 * keeps each thread arena's free pages otherwise, and 128 threads that
 * each once held a large tree would keep the pool's RSS at the peak. */
#define ROUTE_TRIM_AFTER	(256 * 1024)

struct route_env {			/* per process, shared by threads */
	const struct turn_env	*turn;	/* its spool takes /feedback too */
	size_t			 chat_max_body;	/* CHAT_MAX_BODY */
};

enum route_id {
	ROUTE_NOT_FOUND = 0,
	ROUTE_CHAT,			/* /chat */
	ROUTE_FEEDBACK,			/* /feedback */
	ROUTE_HEALTHZ,			/* /healthz */
};

/* The route of a DOCUMENT_URI (exact match; NULL is not found). Cannot
 * fail. */
enum route_id route_find(const char *uri);
/* /healthz's body for these spool counters into out: {"status":"ok",
 * "tracing":true|false, "spool":{"dropped_turns","dropped_spans",
 * "dropped_feedback","capped_segments"}}. Returns its length, or -1 when
 * out is too small. */
int route_healthz_body(const struct spool_stats *st, int tracing, char *out,
    size_t outlen) __attribute__((warn_unused_result));
/* Serve one request and answer it: /chat with llm (the thread's client),
 * /feedback into env's spool (503 when tracing is off), /healthz for GET or HEAD (405 with
 * "Allow: GET" otherwise), 404 {"detail":"not found"} for any other
 * path. Errors are answers; nothing is returned and nothing kept. */
void route_handle(FCGX_Request *req, const struct route_env *env,
    struct llm_client *llm);

#endif
