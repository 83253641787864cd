/* spool-dataset.c - chosen chat turns from the spool become a Phoenix
 * dataset: spool-tail's filters plus the user's vote select the turns,
 * and one POST /v1/datasets/upload sends them. The selection, the body
 * and the answers are lib/view/dataset.c; this is options and wiring. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "dataset.h"
#include "httpc.h"
#include "log.h"
#include "span.h"
#include "spanfilter.h"
#include "votewalk.h"

struct ds {
	const char		*dir, *name, *description;
	int			 append, dry_run;
	long long		 limit;
	struct spanfilter	 flt;
	struct dataset		*set;
};

static void
ds_usage(FILE *fp)
{
	fprintf(fp,
"usage: spool-dataset --name NAME [--append] [--description TEXT]\n"
"                     [--feedback up|down] [--session ID] [--trace ID]\n"
"                     [--errors] [--since 10m|2h|7d|ISO-TIME]\n"
"                     [--limit N] [--spool DIR] [--dry-run] [--help]\n\n"
"Selects chat turns from the span spool (SPOOL_DIR and SPOOL_DIR/sent/)\n"
"and uploads them to Phoenix as a dataset (POST /v1/datasets/upload):\n"
"one example per turn, its input the conversation the model received\n"
"(without the system prompt), its output the answer, its metadata the\n"
"session, trace, the user's vote and comment and the model, linked to\n"
"the turn's chat_turn span.\n\n"
"  --name NAME         the dataset (required)\n"
"  --append            add to the dataset NAME; without it a dataset of\n"
"                      that name must not exist yet\n"
"  --description TEXT  default: how the turns were selected\n"
"  --feedback up|down  turns whose latest vote is thumbs up / down\n"
"  --session ID, --trace ID (a prefix is enough), --errors, --since T\n"
"                      as spool-tail's; they combine\n"
"  --limit N           keep the first N turns selected, oldest first\n"
"                      (default %d)\n"
"  --spool DIR         default $SPOOL_DIR, else /var/spool/recipe-chat\n"
"  --dry-run           print the request's JSON to stdout; send nothing\n\n"
"Phoenix's REST API as span-flusher reaches it for feedback:\n"
"PHOENIX_ENDPOINT, else (when no OTEL_EXPORTER_OTLP_* endpoint is set)\n"
"PHOENIX_COLLECTOR_ENDPOINT without a trailing /v1/traces, else\n"
"http://127.0.0.1:6006; PHOENIX_API_KEY, PHOENIX_CLIENT_HEADERS.\n\n"
"Exit status: 0 uploaded (or printed), 1 Phoenix unreachable or failing\n"
"(5xx, 429), 2 usage or settings, 3 no turn selected (nothing sent),\n"
"4 refused by Phoenix (4xx: a taken name without --append, a bad key),\n"
"5 the spool cannot be read.\n", DATASET_LIMIT_DEFAULT);
}

static void
ds_bad(const char *opt, const char *why, const char *arg)
{
	fprintf(stderr, "spool-dataset: %s: '%s' %s\n", opt, arg, why);
	exit(DATASET_EXIT_USAGE);
}

/* A filter option: as spool-tail's, so in spanfilter. */
static void
ds_filter_option(struct ds *d, const char *name, const char *value)
{
	char err[256];

	if (spanfilter_option(&d->flt, name, value, span_now_ns(), err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "spool-dataset: --%s: %s\n", name, err);
		exit(DATASET_EXIT_USAGE);
	}
}

static void
ds_parse_args(int argc, char *argv[], struct ds *d)
{
	enum { O_SPOOL = 256, O_NAME, O_DESC, O_APPEND, O_FEEDBACK,
	    O_SESSION, O_TRACE, O_ERRORS, O_SINCE, O_LIMIT, O_DRY };
	static const struct option opts[] = {
		{ "spool", required_argument, NULL, O_SPOOL },
		{ "name", required_argument, NULL, O_NAME },
		{ "description", required_argument, NULL, O_DESC },
		{ "append", no_argument, NULL, O_APPEND },
		{ "feedback", required_argument, NULL, O_FEEDBACK },
		{ "session", required_argument, NULL, O_SESSION },
		{ "trace", required_argument, NULL, O_TRACE },
		{ "errors", no_argument, NULL, O_ERRORS },
		{ "since", required_argument, NULL, O_SINCE },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, i;

	while ((ch = getopt_long(argc, argv, "h", opts, &i)) != -1) {
		switch (ch) {
		case O_SPOOL: d->dir = optarg; break;
		case O_NAME: d->name = optarg; break;
		case O_DESC: d->description = optarg; break;
		case O_APPEND: d->append = 1; break;
		case O_FEEDBACK: case O_SESSION: case O_TRACE: case O_ERRORS:
		case O_SINCE:
			ds_filter_option(d, opts[i].name, optarg);
			break;
		case O_DRY: d->dry_run = 1; break;
		case O_LIMIT:
			if (config_parse_int(optarg, 1, DATASET_LIMIT_MAX,
			    &d->limit) == -1)
				ds_bad("--limit", "is not a number from 1 to "
				    "1000000", optarg);
			break;
		case 'h':
			ds_usage(stdout);
			exit(0);
		default:
			ds_usage(stderr);
			exit(DATASET_EXIT_USAGE);
		}
	}
	if (optind < argc || d->name == NULL || *d->name == '\0') {
		if (optind >= argc)
			fprintf(stderr, "spool-dataset: --name is required\n");
		ds_usage(stderr);
		exit(DATASET_EXIT_USAGE);
	}
}

/* ---- Reading the spool -------------------------------------------------- */

/* Every vote in the spool, read first; then the turns they select. */
static struct votewalk *
ds_select(struct ds *d)
{
	struct votewalk *votes;
	uint64_t bad;
	char err[512];

	if ((votes = votewalk_open(d->dir, err, sizeof(err))) == NULL)
		goto fail;
	if ((bad = votewalk_new_bad_lines(votes)) > 0)
		fprintf(stderr, "spool-dataset: skipped %llu unreadable "
		    "feedback lines\n", (unsigned long long)bad);
	d->flt.votes = votewalk_votes(votes);
	d->set = dataset_new(&d->flt, d->flt.votes, (size_t)d->limit);
	if (dataset_read_spool(d->set, d->dir, stderr, err, sizeof(err)) == -1)
		goto fail;
	dataset_report(stderr, d->set);
	return votes;
fail:
	fprintf(stderr, "spool-dataset: spool %s\n", err);
	exit(DATASET_EXIT_LOCAL);
}

/* ---- Sending ----------------------------------------------------------- */

static int
ds_send(const struct ds *d, const char *body)
{
	struct exporter_config cfg;
	struct dataset_result r;
	char err[256];
	int rc;

	if (exporter_config_from_env(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "spool-dataset: %s\n", err);
		exporter_config_cleanup(&cfg);
		return DATASET_EXIT_USAGE;
	}
	if (cfg.rest_base == NULL) {
		fprintf(stderr, "spool-dataset: spans go to a plain OTLP "
		    "collector (OTEL_EXPORTER_OTLP_*); set PHOENIX_ENDPOINT to "
		    "Phoenix's base URL\n");
		exporter_config_cleanup(&cfg);
		return DATASET_EXIT_USAGE;
	}
	rc = dataset_upload(&cfg, body, d->name, &r);
	exporter_config_cleanup(&cfg);
	if (rc == DATASET_UPLOADED)
		printf("uploaded %llu examples to %s\n", (unsigned long long)
		    dataset_stats(d->set)->selected, r.msg);
	else
		fprintf(stderr, "spool-dataset: %s\n", r.msg);
	return dataset_exit_status(rc);
}

int
main(int argc, char *argv[])
{
	struct ds d = { .limit = DATASET_LIMIT_DEFAULT };
	struct votewalk *votes;
	char desc[1024], *body;
	int rc;

	log_init("spool-dataset", LOG_LVL_WARN);
	if ((d.dir = getenv("SPOOL_DIR")) == NULL || *d.dir == '\0')
		d.dir = "/var/spool/recipe-chat";
	ds_parse_args(argc, argv, &d);
	signal(SIGPIPE, SIG_DFL);	/* --dry-run | head ends us quietly */
	votes = ds_select(&d);
	if (dataset_stats(d.set)->selected == 0) {
		fprintf(stderr, "spool-dataset: no turn selected; nothing "
		    "sent\n");
		rc = DATASET_EXIT_NOTHING;
		goto out;
	}
	dataset_describe(&d.flt, desc, sizeof(desc));
	body = dataset_request_json(d.set, d.name, d.description != NULL ?
	    d.description : desc, d.append);
	if (d.dry_run) {
		rc = puts(body) == EOF || fflush(stdout) != 0 ?
		    DATASET_EXIT_LOCAL : 0;
	} else if (httpc_global_init() == -1) {
		fprintf(stderr, "spool-dataset: libcurl cannot start\n");
		rc = DATASET_EXIT_LOCAL;
	} else {
		rc = ds_send(&d, body);
		httpc_global_cleanup();
	}
	free(body);
out:
	dataset_free(d.set);
	votewalk_free(votes);
	return rc;
}
