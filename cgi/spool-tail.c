/* spool-tail.c - read the span spool offline the way Phoenix shows it
 * online: follow spans as they are written, traces as trees, a sessions
 * table, or the raw OTLP/JSON of the selected spans. */
#include <sys/ioctl.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "sessions.h"
#include "span.h"
#include "spanscan.h"
#include "spoolwalk.h"
#include "tailview.h"
#include "timearg.h"
#include "xalloc.h"

#define TAIL_POLL_MS		200
#define TAIL_JSON_LIMIT		(64 * 1024 * 1024)

enum tail_mode { MODE_LINES, MODE_TREE, MODE_SESSIONS, MODE_JSON };

struct tail_filter {
	const char	*session, *trace, *kind;
	int		 errors;
	uint64_t	 since_ns;
};

/* A span kept for the line view: the fields a line shows, copied out of
 * the mapped spool (values cut to what a line can show), formatted only if
 * it is still among the newest N at the end. */
struct tail_kept {
	struct spanscan_span	 s;
	char			*store;
	size_t			 cap;
};

struct tail_recent {		/* the newest N spans by end time: a min-heap */
	struct tail_kept	**v;
	size_t			  n, cap;
};

struct tail {
	enum tail_mode		 mode;
	struct tail_filter	 flt;
	int			 follow, live;
	struct tailview_opts	 view;
	struct tail_recent	 recent;
	struct tailview_trees	*trees;
	struct sessions		*sessions;
	/* --json: the selected spans of the current line */
	struct spanscan_span	*selbuf;
	size_t			 nsel, capsel, nspans;
	struct buf		 json;
	uint64_t		 bad_lines, reported_bad;
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- Filters ------------------------------------------------------------ */

static int
tail_match(const struct tail_filter *f, const struct spanscan_span *s)
{
	if (f->errors && s->status_code != 2)
		return 0;
	if (f->since_ns != 0 && s->end_ns < f->since_ns)
		return 0;
	if (f->session != NULL && !spanscan_eq(s->session_id, f->session))
		return 0;
	if (f->trace != NULL && (s->trace_id.ptr == NULL ||
	    s->trace_id.len < strlen(f->trace) ||
	    strncasecmp(s->trace_id.ptr, f->trace, strlen(f->trace)) != 0))
		return 0;
	if (f->kind != NULL) {
		const char *otel = tailview_kind_name(s->kind);
		if (!(s->oi_kind.ptr != NULL && s->oi_kind.len == strlen(f->kind) &&
		    strncasecmp(s->oi_kind.ptr, f->kind, s->oi_kind.len) == 0) &&
		    strcasecmp(otel, f->kind) != 0)
			return 0;
	}
	return 1;
}

/* ---- The newest N lines --------------------------------------------------- */

#define TAIL_KEEP_TEXT	(2 * TAILVIEW_TEXT_MAX)	/* JSON bytes of input/output */
#define TAIL_KEEP_SHORT	512			/* of the other values */

/* The longest prefix of a JSON string's text, at most n bytes, that does
 * not end inside an escape sequence. */
static size_t
json_cut(const char *p, size_t len, size_t n)
{
	size_t i = 0, step;

	while (i < n) {
		step = p[i] != '\\' ? 1 : (i + 1 < len && p[i + 1] == 'u') ? 6 : 2;
		if (i + step > n)
			break;
		i += step;
	}
	return i;
}

static void
keep_str(struct tail_kept *k, size_t *used, struct spanscan_str *dst,
    size_t max)
{
	size_t n;

	if (dst->ptr == NULL)
		return;
	n = dst->len <= max ? dst->len : json_cut(dst->ptr, dst->len, max);
	memcpy(k->store + *used, dst->ptr, n);
	dst->ptr = k->store + *used;
	dst->len = n;
	*used += n;
}

/* Copy what a line shows of s into k; nothing of k points into the spool. */
static void
keep_span(struct tail_kept *k, const struct spanscan_span *s)
{
	struct spanscan_str *shrt[] = { &k->s.trace_id, &k->s.name,
	    &k->s.oi_kind, &k->s.session_id, &k->s.model, &k->s.status_message,
	    &k->s.exception_type, &k->s.exception_message };
	size_t used = 0, need = 2 * TAIL_KEEP_TEXT +
	    sizeof(shrt) / sizeof(shrt[0]) * TAIL_KEEP_SHORT;

	if (k->cap < need) {
		k->store = xrealloc(k->store, need);
		k->cap = need;
	}
	k->s = *s;
	k->s.raw = k->s.raw_resource = k->s.raw_scope = (struct spanscan_str){ 0 };
	k->s.span_id = k->s.parent_span_id = k->s.user_id =
	    k->s.service_name = (struct spanscan_str){ 0 };
	for (size_t i = 0; i < sizeof(shrt) / sizeof(shrt[0]); i++)
		keep_str(k, &used, shrt[i], TAIL_KEEP_SHORT);
	keep_str(k, &used, &k->s.input, TAIL_KEEP_TEXT);
	keep_str(k, &used, &k->s.output, TAIL_KEEP_TEXT);
}

static void
recent_swap(struct tail_recent *r, size_t a, size_t b)
{
	struct tail_kept *k = r->v[a];

	r->v[a] = r->v[b];
	r->v[b] = k;
}

static int
recent_less(const struct tail_recent *r, size_t a, size_t b)
{
	return r->v[a]->s.end_ns < r->v[b]->s.end_ns;
}

static void
recent_sift_down(struct tail_recent *r, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < r->n && recent_less(r, l, m))
			m = l;
		if (l + 1 < r->n && recent_less(r, l + 1, m))
			m = l + 1;
		if (m == i)
			return;
		recent_swap(r, i, m);
		i = m;
	}
}

/* Keep s if it is among the cap newest by end time. */
static void
recent_add(struct tail *t, const struct spanscan_span *s)
{
	struct tail_recent *r = &t->recent;
	size_t i;

	if (r->cap == 0 || (r->n == r->cap && s->end_ns <= r->v[0]->s.end_ns))
		return;
	if (r->n < r->cap) {
		i = r->n++;
		if (r->v[i] == NULL)
			r->v[i] = xcalloc(1, sizeof(*r->v[i]));
		keep_span(r->v[i], s);
		for (; i > 0 && recent_less(r, i, (i - 1) / 2); i = (i - 1) / 2)
			recent_swap(r, i, (i - 1) / 2);
		return;
	}
	keep_span(r->v[0], s);
	recent_sift_down(r, 0);
}

static int
kept_cmp(const void *a, const void *b)
{
	uint64_t x = (*(struct tail_kept *const *)a)->s.end_ns;
	uint64_t y = (*(struct tail_kept *const *)b)->s.end_ns;

	return x < y ? -1 : x > y;
}

/* Print the kept spans oldest first and free them. */
static void
recent_flush(struct tail *t)
{
	struct tail_recent *r = &t->recent;

	qsort(r->v, r->n, sizeof(*r->v), kept_cmp);
	for (size_t i = 0; i < r->n; i++)
		tailview_line(stdout, &r->v[i]->s, &t->view);
	for (size_t i = 0; i < r->cap && r->v[i] != NULL; i++) {
		free(r->v[i]->store);
		free(r->v[i]);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* ---- Per span and per line ------------------------------------------------ */

static int
tail_span(const struct spanscan_span *s, void *arg)
{
	struct tail *t = arg;

	t->nspans++;
	if (!tail_match(&t->flt, s))
		return 0;
	switch (t->mode) {
	case MODE_LINES:
		if (t->live)
			tailview_line(stdout, s, &t->view);
		else
			recent_add(t, s);
		break;
	case MODE_TREE:
		tailview_trees_add(t->trees, s);
		break;
	case MODE_SESSIONS:
		sessions_add(t->sessions, s);
		break;
	case MODE_JSON:
		if (t->nsel == t->capsel) {
			t->capsel = t->capsel ? t->capsel * 2 : 16;
			t->selbuf = xrealloc(t->selbuf,
			    t->capsel * sizeof(*t->selbuf));
		}
		t->selbuf[t->nsel++] = *s;
		break;
	}
	return 0;
}

static int
json_put(struct buf *b, struct spanscan_str s)
{
	return buf_append(b, s.ptr, s.len);
}

/* The selected spans of one line as a TracesData of their own, spans that
 * share a resource and scope kept together. */
static void
tail_emit_json(struct tail *t, const char *line, size_t len)
{
	struct buf *b = &t->json;
	const struct spanscan_span *s, *prev = NULL;
	int bad = 0;

	if (t->nsel == 0)
		return;
	if (t->nsel == t->nspans) {		/* all of it: the line itself */
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		return;
	}
	buf_reset(b);
	bad |= buf_printf(b, "{\"resourceSpans\":[");
	for (size_t i = 0; i < t->nsel; i++) {
		s = &t->selbuf[i];
		if (prev == NULL || prev->raw_resource.ptr != s->raw_resource.ptr ||
		    prev->raw_scope.ptr != s->raw_scope.ptr) {
			if (prev != NULL)
				bad |= buf_printf(b, "]}]},");
			bad |= buf_printf(b, "{\"resource\":");
			bad |= s->raw_resource.ptr ? json_put(b, s->raw_resource) :
			    buf_printf(b, "{}");
			bad |= buf_printf(b, ",\"scopeSpans\":[{\"scope\":");
			bad |= s->raw_scope.ptr ? json_put(b, s->raw_scope) :
			    buf_printf(b, "{}");
			bad |= buf_printf(b, ",\"spans\":[");
		} else
			bad |= buf_printf(b, ",");
		bad |= json_put(b, s->raw);
		prev = s;
	}
	bad |= buf_printf(b, "]}]}]}\n");
	if (bad == 0)
		fwrite(b->data, 1, b->len, stdout);
}

static int
tail_line(const char *line, size_t len, void *arg)
{
	struct tail *t = arg;

	t->nsel = t->nspans = 0;
	if (spanscan_line(line, len, tail_span, t) == -1) {
		t->bad_lines++;
		return stop_requested ? -1 : 0;
	}
	if (t->mode == MODE_JSON)
		tail_emit_json(t, line, len);
	return stop_requested ? -1 : 0;
}

static void
tail_report(struct tail *t, struct spoolwalk *w, int final)
{
	uint64_t partial;

	if (t->bad_lines > t->reported_bad) {
		fprintf(stderr, "spool-tail: skipped %llu unparsable or torn "
		    "line%s\n", (unsigned long long)(t->bad_lines -
		    t->reported_bad), t->bad_lines - t->reported_bad == 1 ?
		    "" : "s");
		t->reported_bad = t->bad_lines;
	}
	if (final && (partial = spoolwalk_partial_bytes(w)) > 0)
		fprintf(stderr, "spool-tail: %llu bytes at the ends of segments "
		    "are not whole lines (being written, or torn)\n",
		    (unsigned long long)partial);
}

/* ---- Options and the main loop ---------------------------------------- */

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: spool-tail [--spool DIR] [-n N] [--tree | --sessions | --json]\n"
"                  [--session ID] [--trace ID] [--kind KIND] [--errors]\n"
"                  [--since 10m|2h|ISO-TIME] [--no-follow]\n"
"                  [--color | --no-color] [--help]\n\n"
"Reads the span spool (SPOOL_DIR and SPOOL_DIR/sent/) the way Phoenix shows\n"
"it online. By default it prints one line per span, the last N (-n, default\n"
"10) and then new ones as they are written, until Ctrl-C.\n\n"
"  --tree        traces as trees with a waterfall of where each span sits\n"
"  --sessions    one line per session: turns, first input, last output,\n"
"                tokens, errors, last activity (Phoenix's Sessions tab)\n"
"  --json        the selected spans as OTLP/JSON lines, for jq (follows\n"
"                unless --no-follow)\n"
"  --session ID, --trace ID (a prefix is enough), --kind LLM|AGENT|...,\n"
"  --errors, --since T   select spans; they combine with every mode\n"
"  --no-follow   print what is there and exit\n\n"
"Colours on a terminal; none when piped, with NO_COLOR or --no-color.\n"
"Unparsable and torn lines are skipped and counted on stderr.\n");
}

static int
terminal_width(void)
{
	struct winsize ws;
	long long cols;
	const char *env = getenv("COLUMNS");

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 20)
		return ws.ws_col;
	if (env != NULL && config_parse_int(env, 20, 1000, &cols) == 0)
		return (int)cols;
	return 120;
}

static void
parse_args(int argc, char *argv[], struct tail *t, const char **dir)
{
	enum { O_SPOOL = 256, O_SESSION, O_TRACE, O_KIND, O_SINCE, O_COLOR,
	    O_NOCOLOR, O_NOFOLLOW };
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
		{ "no-follow", no_argument, NULL, O_NOFOLLOW },
		{ "color", no_argument, NULL, O_COLOR },
		{ "no-color", no_argument, NULL, O_NOCOLOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	long long n;
	int ch;

	t->view.color = isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0') &&
	    (term == NULL || strcmp(term, "dumb") != 0);
	t->view.width = terminal_width();
	t->recent.cap = 10;
	t->follow = 1;
	while ((ch = getopt_long(argc, argv, "n:tsjeh", opts, NULL)) != -1) {
		switch (ch) {
		case O_SPOOL: *dir = optarg; break;
		case 't': t->mode = MODE_TREE; break;
		case 's': t->mode = MODE_SESSIONS; break;
		case 'j': t->mode = MODE_JSON; break;
		case O_SESSION: t->flt.session = optarg; break;
		case O_TRACE: t->flt.trace = optarg; break;
		case O_KIND: t->flt.kind = optarg; break;
		case 'e': t->flt.errors = 1; break;
		case O_NOFOLLOW: t->follow = 0; break;
		case O_COLOR: t->view.color = 1; break;
		case O_NOCOLOR: t->view.color = 0; break;
		case 'n':
			if (config_parse_int(optarg, 0, 1000000, &n) == -1)
				fatalx("-n: '%s' is not a number from 0 to "
				    "1000000", optarg);
			t->recent.cap = (size_t)n;
			break;
		case O_SINCE:
			if (timearg_parse(optarg, span_now_ns(),
			    &t->flt.since_ns) == -1)
				fatalx("--since: '%s' is neither a duration "
				    "(10m, 2h, 1d) nor a time "
				    "(2026-11-24T10:00:00Z)", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
	if (t->mode == MODE_TREE || t->mode == MODE_SESSIONS)
		t->follow = 0;		/* snapshots */
}

/* After the history, print new spans as they arrive, until a signal. */
static void
tail_follow(struct tail *t, struct spoolwalk *w)
{
	struct timespec tick = { 0, TAIL_POLL_MS * 1000000L };

	t->live = 1;
	while (!stop_requested) {
		nanosleep(&tick, NULL);
		if (spoolwalk_poll(w, tail_line, t) == 0)
			fflush(stdout);
		tail_report(t, w, 0);
	}
}

int
main(int argc, char *argv[])
{
	struct tail t = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	const char *dir = getenv("SPOOL_DIR");
	struct spoolwalk *w;
	char err[512];

	log_init("spool-tail", LOG_LVL_INFO);
	if (dir == NULL || *dir == '\0')
		dir = "/var/spool/recipe-chat";
	parse_args(argc, argv, &t, &dir);
	if ((w = spoolwalk_open(dir, err, sizeof(err))) == NULL)
		fatalx("spool %s", err);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);	/* | head ends us quietly */
	t.recent.v = xcalloc(t.recent.cap + 1, sizeof(*t.recent.v));
	buf_init(&t.json, TAIL_JSON_LIMIT);
	if (t.mode == MODE_TREE)
		t.trees = tailview_trees_new();
	if (t.mode == MODE_SESSIONS)
		t.sessions = sessions_new();
	if (t.mode == MODE_LINES && t.recent.cap == 0)
		spoolwalk_skip_all(w);
	else
		(void)spoolwalk_read_all(w, tail_line, &t);
	if (t.mode == MODE_LINES)
		recent_flush(&t);
	else if (t.mode == MODE_TREE)
		tailview_trees_print(stdout, t.trees, &t.view);
	else if (t.mode == MODE_SESSIONS)
		sessions_print(stdout, t.sessions, &t.view);
	fflush(stdout);
	tail_report(&t, w, !t.follow);
	if (t.follow)
		tail_follow(&t, w);
	tailview_trees_free(t.trees);
	sessions_free(t.sessions);
	if (t.recent.v != NULL)
		recent_flush(&t);	/* modes that kept none: frees */
	free(t.selbuf);
	buf_cleanup(&t.json);
	spoolwalk_free(w);
	return 0;
}
