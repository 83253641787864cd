/* span-flusher.c - ships the span spool to Phoenix or any OTLP collector
 * (OTLP/HTTP protobuf), and the feedback in it to Phoenix's REST API as
 * span annotations, at least once; see lib/ship/flusher.c,
 * lib/ship/feedship.c and lib/ship/shipper.c (the loop over both). Its
 * statics take the prefix flushd_. */
#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "exporter.h"
#include "feedship.h"
#include "flusher.h"
#include "httpc.h"
#include "log.h"
#include "shipper.h"

static struct {
	const char	*spool_dir, *log_level;
	long long	 max_bytes, keep_sent_bytes, rejected_max_bytes;
	long long	 interval_ms;
} flushd;

static const struct config_entry flushd_config[] = {
	{ "SPOOL_DIR", "/var/spool/recipe-chat", CONFIG_STR, 0, 0,
	    &flushd.spool_dir, "the spool to ship", NULL },
	{ "SPOOL_MAX_BYTES", "1073741824", CONFIG_INT, 1 << 20,
	    (long long)1 << 50, &flushd.max_bytes,
	    "unshipped bytes kept; past it the oldest spans are dropped", NULL },
	{ "SPOOL_KEEP_SENT_BYTES", "268435456", CONFIG_INT, 0,
	    (long long)1 << 50, &flushd.keep_sent_bytes,
	    "shipped segments kept in SPOOL_DIR/sent/", NULL },
	{ "SPOOL_REJECTED_MAX_BYTES", "67108864", CONFIG_INT, 0,
	    (long long)1 << 50, &flushd.rejected_max_bytes,
	    "what the collector refused, kept in SPOOL_DIR/rejected/", NULL },
	{ "FLUSH_INTERVAL_MS", "100", CONFIG_INT, 10, 60000,
	    &flushd.interval_ms,
	    "how often an idle flusher looks for new spans", NULL },
	{ "LOG_LEVEL", "info", CONFIG_STR, 0, 0, &flushd.log_level,
	    "error, warn, info or debug", NULL },
};
#define FLUSHD_NCONFIG (sizeof(flushd_config) / sizeof(flushd_config[0]))

static volatile sig_atomic_t flushd_stop;

static void
flushd_on_signal(int sig)
{
	(void)sig;
	flushd_stop = 1;
}

static void
flushd_usage(FILE *fp)
{
	fprintf(fp, "usage: span-flusher [--once] [--redrive] [--help]\n\n"
	    "Ships the spans in SPOOL_DIR to an OTLP/HTTP collector (Phoenix)\n"
	    "as protobuf, and the users' feedback to Phoenix's REST API as\n"
	    "span annotations (each after its span), at least once; one\n"
	    "flusher per spool. --once ships what is there and exits: 0 when\n"
	    "all was shipped, 1 when the collector (or Phoenix) was\n"
	    "unavailable, 3 at once when another flusher ships the spool, 4\n"
	    "when the collector refuses our settings or feedback has no\n"
	    "Phoenix base URL, 5 on a local error (the disk). Without\n"
	    "--once a second flusher waits for the first. --redrive first\n"
	    "queues what the collector refused (rejected/) again.\n"
	    "Feedback goes to PHOENIX_ENDPOINT, else to\n"
	    "PHOENIX_COLLECTOR_ENDPOINT without /v1/traces; when spans go to\n"
	    "a plain OTLP collector (OTEL_EXPORTER_OTLP_*ENDPOINT) and\n"
	    "PHOENIX_ENDPOINT is unset, feedback waits in the spool.\n"
	    "\nEnvironment:\n");
	config_usage(fp, flushd_config, FLUSHD_NCONFIG);
	exporter_usage(fp);
}

static void
flushd_load_config(struct exporter_config *ecfg)
{
	enum log_level level;
	char err[512];

	if (config_load(flushd_config, FLUSHD_NCONFIG, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (log_parse_level(flushd.log_level, &level) == -1)
		fatalx("LOG_LEVEL: '%s' is not error, warn, info or debug",
		    flushd.log_level);
	log_init("span-flusher", level);
	if (exporter_config_from_env(ecfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
}

static void
flushd_describe_feedback(const struct exporter_config *ecfg)
{
	char *url;

	if (ecfg->rest_base == NULL) {
		log_info("feedback waits in the spool: spans go to a plain OTLP "
		    "collector and PHOENIX_ENDPOINT (Phoenix's base URL) is "
		    "unset");
		return;
	}
	url = httpc_url_for_log(ecfg->rest_base);
	log_info("feedback to %s%s (%s)", url, FEEDSHIP_PATH, ecfg->rest_from);
	free(url);
}

/* Raise the soft descriptor limit to the hard one: a spool full of
 * segments must not starve the HTTP client of sockets. */
static void
flushd_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit RLIMIT_NOFILE");
}

/* Open the spool under its lock: --once gives way to a running flusher,
 * a daemon waits for it (and a signal ends the wait). */
static struct flusher *
flushd_open(struct flusher_config *fc, struct exporter *ex, int once)
{
	struct flusher *f;
	char err[512];

	fc->lock_wait = !once;
	fc->sync_ms = once ? 0 : FLUSHER_SYNC_MS;
	if ((f = flusher_new(fc, ex, err, sizeof(err))) != NULL)
		return f;
	if (errno == EWOULDBLOCK) {
		log_warnx("%s; exiting with status %d", err,
		    SHIPPER_EXIT_LOCKED);
		exit(SHIPPER_EXIT_LOCKED);
	}
	if (errno == EINTR && flushd_stop)
		exit(0);
	fatalx("spool %s", err);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "redrive", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct flusher_config fc = { .batch_spans = FLUSHER_BATCH_SPANS,
	    .batch_bytes = FLUSHER_BATCH_BYTES };
	struct sigaction sa = { .sa_handler = flushd_on_signal };
	struct exporter_config ecfg;
	struct exporter *ex;
	struct flusher *f;
	struct feedship *fs;
	struct feedship_config fbc = { .missing_wait_ms = -1 };
	struct shipper_config sc = { .stop = &flushd_stop };
	int ch, once = 0, redrive = 0, rc;
	char err[512];
	char desc[1024];

	while ((ch = getopt_long(argc, argv, "orh", opts, NULL)) != -1) {
		if (ch == 'o')
			once = 1;
		else if (ch == 'r')
			redrive = 1;
		else if (ch == 'h') {
			flushd_usage(stdout);
			return 0;
		} else {
			flushd_usage(stderr);
			return 2;
		}
	}
	log_init("span-flusher", LOG_LVL_INFO);
	flushd_load_config(&ecfg);
	flushd_raise_nofile();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (httpc_global_init() == -1 || (ex = exporter_new(&ecfg)) == NULL)
		fatalx("curl initialisation failed");
	fc.spool_dir = flushd.spool_dir;
	fc.max_bytes = flushd.max_bytes;
	fc.keep_sent_bytes = flushd.keep_sent_bytes;
	fc.rejected_max_bytes = flushd.rejected_max_bytes;
	f = flushd_open(&fc, ex, once);
	if (redrive && flusher_redrive(f) == -1)
		fatalx("--redrive: %s/rejected could not all be queued again",
		    flushd.spool_dir);
	fbc.spool_dir = flushd.spool_dir;
	if ((fs = feedship_new(&fbc, f, &ecfg, err, sizeof(err))) == NULL)
		fatalx("feedback: %s", err);
	exporter_config_describe(&ecfg, desc, sizeof(desc));
	log_info("shipping %s to %s", flushd.spool_dir, desc);
	flushd_describe_feedback(&ecfg);
	sc.once = once;
	sc.interval_ms = flushd.interval_ms;
	rc = shipper_run(f, fs, &sc);
	shipper_log_totals(flusher_stats(f), feedship_stats(fs));
	feedship_free(fs);
	flusher_free(f);
	exporter_free(ex);
	exporter_config_cleanup(&ecfg);
	httpc_global_cleanup();
	return rc;
}
