/* turn.h - one /chat turn end to end: the chat_turn AGENT span, the
 * request contract, the model call under its own LLM span with the W3C
 * traceparent, and both spans appended to the spool. Transport-free, so
 * the FastCGI program only moves bytes. */
#ifndef RC_TURN_H
#define RC_TURN_H

#include <stddef.h>

#include "llm.h"
#include "spool.h"

struct turn_env {			/* per process, shared by threads */
	const struct llm_config	*llm;
	const char		*invocation_params; /* JSON, made once at
						 * start-up (llm.c) */
	struct spool		*spool;
	int			 trust_traceparent; /* parent, not link */
	int			 tracing;	/* 0: OTEL_SDK_DISABLED, no
						 * span built or spooled */
};

struct turn_input {
	const char	*method;
	const char	*body;		/* NULL when reading it failed */
	size_t		 body_len;
	int		 body_status;	/* HTTP status of a failed read, or 0 */
	const char	*body_error;	/* its message */
	const char	*traceparent;	/* incoming header, or NULL */
	int		 traceparent_count; /* 2+ makes it invalid */
	const char	*tracestate;
};

struct turn_output {
	int	 status;		/* HTTP status */
	char	*body;			/* JSON; caller frees */
	char	 trace_id[33];		/* hex, for an X-Trace-Id header;
					 * "" when tracing is off */
	char	 span_id[17];		/* chat_turn's, hex; or "" */
};

/* Serve one turn; always fills out (a 5xx on internal failure). Spans
 * are appended to env->spool; a spool failure is logged, never fatal.
 * With env->tracing 0 the turn is the same without spans: no traceparent
 * to the model, no ids in the answer, nothing spooled. */
void turn_run(const struct turn_env *env, struct llm_client *llm,
    const struct turn_input *in, struct turn_output *out);

#endif
