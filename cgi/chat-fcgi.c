/* chat-fcgi.c - the recipe chat FastCGI worker pool: POST /chat (one
 * traced turn each, see lib/serve/turn.c), POST /feedback (a vote on a
 * turn, spooled: lib/serve/feedback.c) and GET /healthz, routed by
 * lib/serve/route.c. Its statics take the prefix chatd_, so that none
 * reads like lib/serve/chat.c's. */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "httpc.h"
#include "llm.h"
#include "log.h"
#include "pool.h"
#include "route.h"
#include "spool.h"
#include "turn.h"

static struct {
	const char	*listen;
	long long	 workers, threads, backlog, stop_timeout_s, io_timeout_s;
	long long	 max_body, spool_max_bytes;
	const char	*spool_dir, *project, *service, *log_level;
	int		 trust_traceparent;
	struct llm_config llm;
	char		*invocation_params;
	struct turn_env	 turn;
	struct route_env route;
} chatd;

static const struct config_entry chatd_config[] = {
	{ "CHAT_LISTEN", "127.0.0.1:9000", CONFIG_STR, 0, 0, &chatd.listen,
	    "FastCGI socket: /path/to.sock, :port or host:port", NULL },
	{ "POOL_WORKERS", "2", CONFIG_INT, 1, 256, &chatd.workers,
	    "worker processes", NULL },
	{ "POOL_THREADS", "64", CONFIG_INT, 1, 4096, &chatd.threads,
	    "threads per worker (each holds one request at a time)", NULL },
	{ "POOL_BACKLOG", "1024", CONFIG_INT, 1, 65535, &chatd.backlog,
	    "listen backlog", NULL },
	{ "POOL_STOP_TIMEOUT_S", "150", CONFIG_INT, 1, 3600,
	    &chatd.stop_timeout_s,
	    "on SIGTERM, wait this long for in-flight requests", NULL },
	{ "POOL_IO_TIMEOUT_S", "30", CONFIG_INT, 1, 3600, &chatd.io_timeout_s,
	    "a FastCGI connection silent this long (half a record, an idle "
	    "keep-alive) is closed", NULL },
	{ "CHAT_MAX_BODY", "1048576", CONFIG_INT, 1024, 64 << 20,
	    &chatd.max_body, "largest /chat request body in bytes", NULL },
	{ "SPOOL_DIR", "/var/spool/recipe-chat", CONFIG_STR, 0, 0,
	    &chatd.spool_dir, "where spans are appended (OTLP/JSON lines)",
	    NULL },
	{ "SPOOL_MAX_BYTES", "1073741824", CONFIG_INT, 1 << 20,
	    (long long)1 << 50, &chatd.spool_max_bytes,
	    "spool size past which the oldest finished segments are removed "
	    "(with the flusher's)", NULL },
	{ "PHOENIX_PROJECT_NAME", "recipe-chatbot", CONFIG_STR, 0, 0,
	    &chatd.project, "resource openinference.project.name", NULL },
	{ "OTEL_SERVICE_NAME", "recipe-chatbot", CONFIG_STR, 0, 0,
	    &chatd.service, "resource service.name", NULL },
	{ "TRUST_TRACEPARENT", "0", CONFIG_BOOL, 0, 0, &chatd.trust_traceparent,
	    "1: an incoming traceparent becomes chat_turn's parent (not a "
	    "link)", NULL },
	{ "LOG_LEVEL", "info", CONFIG_STR, 0, 0, &chatd.log_level,
	    "error, warn, info or debug", NULL },
};
#define CHATD_NCONFIG (sizeof(chatd_config) / sizeof(chatd_config[0]))

static void
chatd_usage(FILE *fp)
{
	fprintf(fp, "usage: chat-fcgi [--help]\n\n"
	    "FastCGI worker pool for the recipe chatbot: POST /chat, "
	    "POST /feedback,\nGET /healthz. Spans and feedback go to SPOOL_DIR; "
	    "nothing is sent on the\nrequest path.\n\nEnvironment:\n");
	config_usage(fp, chatd_config, CHATD_NCONFIG);
	fprintf(fp,
	    "  %-28s %s\n  %-28s %s\n  %-28s %s\n  %-28s %s\n",
	    "MODEL_NAME", "litellm-style model (default: gpt-4o-mini)",
	    "OPENAI_BASE_URL", "endpoint for openai/ and bare model names",
	    "OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, TOGETHER_API_KEY",
	    "", "LLM_TIMEOUT_S", "model call timeout in seconds (default: 120)");
	fprintf(fp, "  %-28s %s\n", "OTEL_SDK_DISABLED",
	    "true: no spans built or spooled, /feedback 503 (default: false)");
}

static void
chatd_handle(FCGX_Request *req, void *tctx)
{
	route_handle(req, &chatd.route, tctx);
}

static int
chatd_worker_init(void *arg)
{
	struct spool_resource res = {
		.service_name = chatd.service,
		.project_name = chatd.project,
		.scope_name = "recipe-chat",
		.scope_version = RC_VERSION,
	};
	char err[256];

	(void)arg;
	if (httpc_global_init() == -1) {
		log_warnx("curl initialisation failed");
		return -1;
	}
	if ((chatd.turn.spool = spool_open(chatd.spool_dir, &res, err,
	    sizeof(err))) == NULL) {
		log_warnx("spool %s: %s", chatd.spool_dir, err);
		return -1;
	}
	spool_set_max_bytes(chatd.turn.spool, chatd.spool_max_bytes);
	return 0;
}

static void
chatd_worker_cleanup(void *arg)
{
	(void)arg;
	spool_close(chatd.turn.spool);
	httpc_global_cleanup();
}

static void *
chatd_thread_init(void *arg)
{
	struct llm_client *c;

	(void)arg;
	if ((c = llm_client_new(&chatd.llm)) == NULL)
		fatalx("cannot create a model client");
	return c;
}

static void
chatd_thread_cleanup(void *tctx)
{
	llm_client_free(tctx);
}

/* Fail at start-up, not on the first request, when the spool is unusable. */
static void
chatd_check_spool_dir(const char *dir)
{
	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		fatal("SPOOL_DIR %s", dir);
	if (access(dir, W_OK | X_OK) == -1)
		fatal("SPOOL_DIR %s is not writable", dir);
}

static void
chatd_load_config(void)
{
	enum log_level level;
	char err[256];
	int unknown;

	if (config_load(chatd_config, CHATD_NCONFIG, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (log_parse_level(chatd.log_level, &level) == -1)
		fatalx("LOG_LEVEL: '%s' is not error, warn, info or debug",
		    chatd.log_level);
	log_init("chat-fcgi", level);
	if (llm_config_from_env(&chatd.llm, err, sizeof(err)) == -1)
		fatalx("%s", err);
	chatd.turn.llm = &chatd.llm;
	chatd.invocation_params = llm_invocation_parameters(&chatd.llm);
	chatd.turn.invocation_params = chatd.invocation_params;
	chatd.turn.trust_traceparent = chatd.trust_traceparent;
	chatd.turn.tracing = !config_otel_bool(getenv("OTEL_SDK_DISABLED"),
	    &unknown);
	if (unknown)
		log_warnx("OTEL_SDK_DISABLED: '%s' is not true or false; "
		    "tracing stays on", getenv("OTEL_SDK_DISABLED"));
	if (!chatd.turn.tracing)
		log_info("tracing is off (OTEL_SDK_DISABLED): no spans are "
		    "built or spooled");
	chatd.route.turn = &chatd.turn;
	chatd.route.chat_max_body = (size_t)chatd.max_body;
	chatd_check_spool_dir(chatd.spool_dir);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pool_hooks hooks = {
		.worker_init = chatd_worker_init,
		.worker_cleanup = chatd_worker_cleanup,
		.thread_init = chatd_thread_init,
		.thread_cleanup = chatd_thread_cleanup,
		.handle = chatd_handle,
	};
	struct pool_config pc;
	char *url;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			chatd_usage(stdout);
			return 0;
		}
		chatd_usage(stderr);
		return 2;
	}
	log_init("chat-fcgi", LOG_LVL_INFO);
	chatd_load_config();
	url = httpc_url_for_log(chatd.llm.base_url);
	log_info("model %s via %s (%s)", chatd.llm.model_spec, url,
	    chatd.llm.api_key != NULL ? "with key" : "no key");
	free(url);
	pc = (struct pool_config){ .listen = chatd.listen,
	    .workers = (int)chatd.workers, .threads = (int)chatd.threads,
	    .backlog = (int)chatd.backlog,
	    .stop_timeout_s = (int)chatd.stop_timeout_s,
	    .io_timeout_s = (int)chatd.io_timeout_s };
	rc = pool_run(&pc, &hooks);
	free(chatd.invocation_params);
	llm_config_cleanup(&chatd.llm);
	return rc;
}
