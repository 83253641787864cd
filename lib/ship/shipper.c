/* shipper.c - span-flusher's loop over the span flusher (flusher.c) and
 * the feedback shipper (feedship.c), its --once exit status and its
 * totals lines. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "shipper.h"

#define SHIPPER_TOTALS_MAX	1024

/* Sleep up to ms, waking early when *stop is set (by a signal). */
static void
shipper_nap(const struct shipper_config *cfg, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (!*cfg->stop && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
shipper_once_status(enum flusher_step r)
{
	switch (r) {
	case FLUSHER_IDLE:
		return 0;
	case FLUSHER_CONFIG:
		return SHIPPER_EXIT_SETTINGS;
	case FLUSHER_ERROR:
		return SHIPPER_EXIT_LOCAL;
	default:
		return SHIPPER_EXIT_UNAVAILABLE;
	}
}

/* The feedback shipper's turn, when its own delay has passed (*next, ms
 * on the monotonic clock); until then its last answer stands. With once,
 * a failure stands for good, as it does for spans: --once tries each
 * thing once, so its status does not depend on how long the spans took
 * (a settings error probed again a moment later could pass). */
static enum flusher_step
shipper_feedback(struct feedship *fs, int once, long long *next,
    enum flusher_step *last)
{
	struct timespec ts;
	long long now;
	long delay;

	if (once && *last != FLUSHER_IDLE && *last != FLUSHER_SENT)
		return *last;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now < *next)
		return *last;
	*last = feedship_step(fs, &delay);
	*next = now + (*last == FLUSHER_SENT || *last == FLUSHER_IDLE ? 0 :
	    delay > 0 ? delay : 1000);
	return *last;
}

/* --once is done when both are idle and no feedback waits for spans (a
 * span line written just after the flusher's last look). */
static int
shipper_once_done(enum flusher_step r, enum flusher_step rf,
    struct feedship *fs, int *status)
{
	if (r != FLUSHER_IDLE) {
		*status = shipper_once_status(r);
		return 1;
	}
	if (rf == FLUSHER_IDLE && feedship_waiting(fs))
		return 0;
	*status = shipper_once_status(rf);
	return 1;
}

int
shipper_run(struct flusher *f, struct feedship *fs,
    const struct shipper_config *cfg)
{
	enum flusher_step r, rf, fb_last = FLUSHER_IDLE;
	long long fb_next = 0;
	long delay;
	int status, stuck = 0, waits;

	waits = cfg->once_waits > 0 ? cfg->once_waits : SHIPPER_ONCE_WAITS;
	while (!*cfg->stop) {
		r = flusher_step(f, &delay);
		rf = shipper_feedback(fs, cfg->once, &fb_next, &fb_last);
		if (r == FLUSHER_SENT || rf == FLUSHER_SENT) {
			stuck = 0;
			continue;
		}
		if (cfg->once && shipper_once_done(r, rf, fs, &status))
			return status;
		/* Spans idle yet feedback waiting on them: they were written
		 * after the last look, the next one ships them. */
		if (cfg->once && ++stuck < waits) {
			shipper_nap(cfg, 10);
			continue;
		}
		if (cfg->once)
			return SHIPPER_EXIT_UNAVAILABLE;
		shipper_nap(cfg, r == FLUSHER_IDLE ? cfg->interval_ms :
		    delay > 0 ? delay : 1000);
	}
	return 0;
}

int
shipper_spans_totals(const struct flusher_stats *st, char *out,
    size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "shipped %llu spans in %llu batches; "
	    "rejected %llu, not OTLP/JSON %llu lines, torn %llu, dropped "
	    "%llu lines; backlog %lld bytes",
	    (unsigned long long)st->spans_sent,
	    (unsigned long long)st->batches_sent,
	    (unsigned long long)st->spans_rejected,
	    (unsigned long long)st->bad_lines,
	    (unsigned long long)st->torn_lines,
	    (unsigned long long)st->dropped_lines, st->backlog_bytes);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

int
shipper_feedback_totals(const struct feedship_stats *fb, char *out,
    size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "feedback: shipped %llu annotations in "
	    "%llu requests; refused %llu, not feedback %llu lines, torn "
	    "%llu, retries %llu, older than a vote shipped %llu, waited for "
	    "spans %llu times; backlog %lld bytes",
	    (unsigned long long)fb->annotations_sent,
	    (unsigned long long)fb->batches_sent,
	    (unsigned long long)fb->refused,
	    (unsigned long long)fb->bad_lines,
	    (unsigned long long)fb->torn_lines,
	    (unsigned long long)fb->retries,
	    (unsigned long long)fb->superseded,
	    (unsigned long long)fb->waits, fb->backlog_bytes);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

void
shipper_log_totals(const struct flusher_stats *st,
    const struct feedship_stats *fb)
{
	char line[SHIPPER_TOTALS_MAX];

	/* The buffer fits every count at its widest: never truncated. */
	if (shipper_spans_totals(st, line, sizeof(line)) == -1)
		log_warnx("span totals truncated");
	log_info("%s", line);
	if (shipper_feedback_totals(fb, line, sizeof(line)) == -1)
		log_warnx("feedback totals truncated");
	log_info("%s", line);
}
