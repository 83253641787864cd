/* spool-tail.c - read the span spool offline the way Phoenix shows it
 * online: follow spans as they are written, traces as trees, a sessions
 * table, or the raw OTLP/JSON of the selected spans, with users' votes
 * beside their turns. The views (tailsink), the filter and the votes'
 * walk are in lib/view; this is options and the loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "span.h"
#include "spanfilter.h"
#include "spoolwalk.h"
#include "tailsink.h"
#include "tailview.h"
#include "votewalk.h"

#define TAIL_POLL_MS		200

struct tail {
	enum tailsink_mode	 mode;
	struct spanfilter	 flt;
	int			 follow;
	size_t			 keep;		/* -n */
	struct tailview_opts	 view;
	struct tailsink		*sink;
	struct votewalk		*votes;		/* read before the spans */
};

static volatile sig_atomic_t stop_requested;

static void
tail_on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- Per line, per late vote -------------------------------------------- */

static int
tail_line(const char *line, size_t len, void *arg)
{
	struct tail *t = arg;

	(void)tailsink_line(line, len, t->sink);
	return stop_requested ? -1 : 0;
}

static int
tail_vote(const struct feedrec *v, void *arg)
{
	struct tail *t = arg;

	tailsink_vote(t->sink, v);
	return stop_requested ? -1 : 0;
}

static void
tail_report(struct tail *t, struct spoolwalk *w, int final)
{
	uint64_t partial, bad = votewalk_new_bad_lines(t->votes);

	if (bad > 0)
		fprintf(stderr, "spool-tail: skipped %llu unparsable feedback "
		    "line%s\n", (unsigned long long)bad, bad == 1 ? "" : "s");
	if ((bad = tailsink_new_bad_lines(t->sink)) > 0)
		fprintf(stderr, "spool-tail: skipped %llu unparsable or torn "
		    "line%s\n", (unsigned long long)bad, bad == 1 ? "" : "s");
	if (final && (partial = spoolwalk_partial_bytes(w)) > 0)
		fprintf(stderr, "spool-tail: %llu bytes at the ends of segments "
		    "are not whole lines (being written, or torn)\n",
		    (unsigned long long)partial);
}

/* ---- Options and the main loop ---------------------------------------- */

static void
tail_usage(FILE *fp)
{
	fprintf(fp,
"usage: spool-tail [--spool DIR] [-n N] [--tree | --sessions | --json]\n"
"                  [--session ID] [--trace ID] [--kind KIND] [--errors]\n"
"                  [--since 10m|2h|ISO-TIME] [--feedback up|down]\n"
"                  [--no-follow] [--color | --no-color] [--ascii] [--help]\n\n"
"Reads the span spool (SPOOL_DIR and SPOOL_DIR/sent/) the way Phoenix shows\n"
"it online. By default it prints one line per span, the last N (-n, default\n"
"10) and then new ones as they are written, until Ctrl-C. Users' votes show\n"
"beside their turns (👍/👎 and the comment); a vote that comes later gets\n"
"its own line.\n\n"
"  --tree        traces as trees with a waterfall of where each span sits\n"
"  --sessions    one line per session: turns, first input, last output,\n"
"                tokens, errors, 👍 and 👎, last activity (Phoenix's\n"
"                Sessions tab)\n"
"  --json        the selected spans as OTLP/JSON lines, for jq (follows\n"
"                unless --no-follow)\n"
"  --session ID, --trace ID (a prefix is enough), --kind LLM|AGENT|...,\n"
"  --errors, --since T   select spans; they combine with every mode\n"
"  --feedback up|down    only turns whose latest vote is 👍 or 👎, with\n"
"                their LLM calls; combines like the others\n"
"  --no-follow   print what is there and exit\n\n"
"Colours on a terminal; none when piped, with NO_COLOR or --no-color.\n"
"Votes as +1/-1 (UP/DOWN in --sessions) with --ascii, or when the first\n"
"of LC_ALL, LC_CTYPE and LANG that is set does not name UTF-8.\n"
"Unparsable and torn lines are skipped and counted on stderr.\n");
}

/* A filter option (-e is --errors): as spool-dataset's, so in spanfilter. */
static void
tail_filter_option(struct tail *t, const char *name, const char *value)
{
	char err[256];

	if (spanfilter_option(&t->flt, name, value, span_now_ns(), err,
	    sizeof(err)) == -1)
		fatalx("--%s: %s", name, err);
}

static void
tail_parse_args(int argc, char *argv[], struct tail *t, const char **dir)
{
	enum { O_SPOOL = 256, O_SESSION, O_TRACE, O_KIND, O_SINCE, O_COLOR,
	    O_NOCOLOR, O_NOFOLLOW, O_FEEDBACK, O_ASCII };
	static const struct option opts[] = {
		{ "spool", required_argument, NULL, O_SPOOL },
		{ "tree", no_argument, NULL, 't' },
		{ "sessions", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "session", required_argument, NULL, O_SESSION },
		{ "trace", required_argument, NULL, O_TRACE },
		{ "kind", required_argument, NULL, O_KIND },
		{ "errors", no_argument, NULL, 'e' },
		{ "since", required_argument, NULL, O_SINCE },
		{ "feedback", required_argument, NULL, O_FEEDBACK },
		{ "ascii", no_argument, NULL, O_ASCII },
		{ "no-follow", no_argument, NULL, O_NOFOLLOW },
		{ "color", no_argument, NULL, O_COLOR },
		{ "no-color", no_argument, NULL, O_NOCOLOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long n;
	int ch, i;

	tailview_opts_terminal(&t->view, STDOUT_FILENO);
	t->keep = 10;
	t->follow = 1;
	while ((ch = getopt_long(argc, argv, "n:tsjeh", opts, &i)) != -1) {
		switch (ch) {
		case O_SPOOL: *dir = optarg; break;
		case 't': t->mode = TAILSINK_TREE; break;
		case 's': t->mode = TAILSINK_SESSIONS; break;
		case 'j': t->mode = TAILSINK_JSON; break;
		case 'e':
		case O_SESSION: case O_TRACE: case O_KIND: case O_SINCE:
		case O_FEEDBACK:
			tail_filter_option(t, ch == 'e' ? "errors" :
			    opts[i].name, optarg);
			break;
		case O_NOFOLLOW: t->follow = 0; break;
		case O_COLOR: t->view.color = 1; break;
		case O_NOCOLOR: t->view.color = 0; break;
		case O_ASCII: t->view.ascii = 1; break;
		case 'n':
			if (config_parse_int(optarg, 0, 1000000, &n) == -1)
				fatalx("-n: '%s' is not a number from 0 to "
				    "1000000", optarg);
			t->keep = (size_t)n;
			break;
		case 'h':
			tail_usage(stdout);
			exit(0);
		default:
			tail_usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		tail_usage(stderr);
		exit(2);
	}
	if (t->mode == TAILSINK_TREE || t->mode == TAILSINK_SESSIONS)
		t->follow = 0;		/* snapshots */
}

/* After the history, print new spans (and votes) as they arrive, until
 * a signal. */
static void
tail_follow(struct tail *t, struct spoolwalk *w)
{
	struct timespec tick = { 0, TAIL_POLL_MS * 1000000L };

	while (!stop_requested) {
		nanosleep(&tick, NULL);
		if (votewalk_poll_spans(t->votes, tail_vote, w, tail_line,
		    t) == 0)
			fflush(stdout);
		tail_report(t, w, 0);
	}
}

/* Both walks of the spool, and every vote already there. */
static struct spoolwalk *
tail_open(struct tail *t, const char *dir)
{
	struct spoolwalk *w;
	char err[512];

	if ((w = spoolwalk_open(dir, SPOOLFMT_KIND_SPANS, err,
	    sizeof(err))) == NULL ||
	    (t->votes = votewalk_open(dir, err, sizeof(err))) == NULL)
		fatalx("spool %s", err);
	t->view.votes = t->flt.votes = votewalk_votes(t->votes);
	return w;
}

int
main(int argc, char *argv[])
{
	struct tail t = { 0 };
	struct sigaction sa = { .sa_handler = tail_on_signal };
	const char *dir = getenv("SPOOL_DIR");
	struct spoolwalk *w;

	log_init("spool-tail", LOG_LVL_INFO);
	if (dir == NULL || *dir == '\0')
		dir = "/var/spool/recipe-chat";
	tail_parse_args(argc, argv, &t, &dir);
	w = tail_open(&t, dir);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);	/* | head ends us quietly */
	t.sink = tailsink_new(t.mode, t.keep, &t.flt, &t.view, stdout);
	if (t.mode == TAILSINK_LINES && t.keep == 0)
		spoolwalk_skip_all(w);
	else
		(void)spoolwalk_read_all(w, tail_line, &t);
	tailsink_history_end(t.sink);
	fflush(stdout);
	tail_report(&t, w, !t.follow);
	if (t.follow)
		tail_follow(&t, w);
	tailsink_free(t.sink);
	spoolwalk_free(w);
	votewalk_free(t.votes);
	return 0;
}
