/* spoolgen.c - writes a large realistic spool for benchmarks (make bench):
 * chat turns as the pool writes them (chat_turn + completion, the system
 * prompt and a growing conversation on the LLM span), through the real
 * span and spool code. Usage: spoolgen DIR TURNS [TURNS_PER_SESSION] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "config.h"
#include "span.h"
#include "spool.h"

#define GEN_MAX_TURNS_PER_SESSION 8

static const char *const asks[] = {
	"a quick vegan pasta for two", "something with chickpeas",
	"gluten-free pancakes please", "a dessert without dairy",
	"a spicy lentil soup", "what can I make with eggs and spinach",
};

static void
gen_llm_span(struct span *s, const char *session, int turn,
    const char *reply)
{
	char key[64];
	int i = 0;

	span_set_str(s, "openinference.span.kind", "LLM");
	span_set_str(s, "session.id", session);
	span_set_str(s, "llm.model_name", "offline-recipe-model");
	span_set_str(s, "llm.provider", "openai");
	span_set_str(s, "llm.system", "openai");
	span_set_str(s, "llm.invocation_parameters",
	    "{\"model\":\"offline-recipe-model\"}");
	span_set_str(s, "llm.input_messages.0.message.role", "system");
	span_set_str(s, "llm.input_messages.0.message.content",
	    chat_system_prompt);
	for (i = 0; i < turn * 2 + 1; i++) {
		snprintf(key, sizeof(key), "llm.input_messages.%d.message.role",
		    i + 1);
		span_set_str(s, key, i % 2 ? "assistant" : "user");
		snprintf(key, sizeof(key),
		    "llm.input_messages.%d.message.content", i + 1);
		span_set_str(s, key, i % 2 ? reply : asks[i / 2 % 6]);
	}
	span_set_str(s, "input.value", chat_system_prompt);
	span_set_str(s, "input.mime_type", "application/json");
	span_set_str(s, "output.value", reply);
	span_set_int(s, "llm.token_count.prompt", 300 + 40 * turn);
	span_set_int(s, "llm.token_count.completion", 120);
	span_set_int(s, "llm.token_count.total", 420 + 40 * turn);
	span_set_status(s, SPAN_STATUS_OK, NULL);
}

static int
gen_turn(struct spool *sp, const char *session, int turn, const char *reply)
{
	const struct span *spans[2];
	struct span *t, *l;
	int rc;

	if ((t = span_start("chat_turn", SPAN_KIND_SERVER, NULL)) == NULL ||
	    (l = span_start("completion", SPAN_KIND_CLIENT,
	    span_context(t))) == NULL)
		return -1;
	span_set_str(t, "openinference.span.kind", "AGENT");
	span_set_str(t, "session.id", session);
	span_set_str(t, "input.value", asks[turn % 6]);
	gen_llm_span(l, session, turn, reply);
	span_end(l);
	span_set_str(t, "output.value", reply);
	span_set_status(t, SPAN_STATUS_OK, NULL);
	span_end(t);
	spans[0] = l;
	spans[1] = t;
	rc = spool_append(sp, spans, 2);
	span_free(l);
	span_free(t);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const char reply[] = "## Chickpea Curry\n\nA warming one-pot "
	    "curry.\n\n### Ingredients\n- 1 can chickpeas\n- 1 onion\n- 2 tbsp "
	    "curry paste\n\n### Instructions\n1. Fry the onion 5 minutes.\n"
	    "2. Add the rest and simmer 15 minutes.\n";
	struct spool_resource res = { "recipe-chatbot", "recipe-chatbot",
	    "recipe-chat", "bench" };
	long long turns, per = 4;
	struct spool *sp;
	char err[256], session[64];

	if (argc < 3 || config_parse_int(argv[2], 1, 100000000, &turns) == -1 ||
	    (argc > 3 && config_parse_int(argv[3], 1,
	    GEN_MAX_TURNS_PER_SESSION, &per) == -1)) {
		fprintf(stderr, "usage: spoolgen DIR TURNS [TURNS_PER_SESSION]\n");
		return 2;
	}
	if ((sp = spool_open(argv[1], &res, err, sizeof(err))) == NULL) {
		fprintf(stderr, "spoolgen: %s\n", err);
		return 1;
	}
	for (long long i = 0; i < turns; i++) {
		snprintf(session, sizeof(session), "session_%lld_bench",
		    1700000000000LL + i / per);
		if (gen_turn(sp, session, (int)(i % per), reply) == -1) {
			fprintf(stderr, "spoolgen: writing turn %lld failed\n", i);
			spool_close(sp);
			return 1;
		}
	}
	spool_close(sp);
	return 0;
}
