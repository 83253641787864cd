/* shipper.h - span-flusher's loop: the span flusher and the feedback
 * shipper taking turns until told to stop (or, once, until both are
 * idle), neither's delay holding up the other; the exit status that ends
 * a --once run, and the totals logged at exit. */
#ifndef RC_SHIPPER_H
#define RC_SHIPPER_H

#include <signal.h>
#include <stddef.h>

#include "feedship.h"
#include "flusher.h"

/* span-flusher's exit statuses, besides 0 (all shipped) and 2 (usage). */
#define SHIPPER_EXIT_UNAVAILABLE 1	/* --once: the collector (or Phoenix,
					 * for feedback) is down */
#define SHIPPER_EXIT_LOCKED	3	/* another flusher ships this spool */
#define SHIPPER_EXIT_SETTINGS	4	/* --once: the collector refuses our
					 * settings (401, 404, ...), or
					 * feedback has no Phoenix base URL */
#define SHIPPER_EXIT_LOCAL	5	/* --once: a local error (disk) */
/* --once: steps that may find feedback waiting for spans that are not
 * shipped yet, idle as the flusher is, before it gives up. */
#define SHIPPER_ONCE_WAITS	500

struct shipper_config {
	int			 once;	/* stop when both are idle */
	long			 interval_ms;	/* an idle daemon's nap */
	int			 once_waits;	/* 0: SHIPPER_ONCE_WAITS */
	volatile sig_atomic_t	*stop;	/* set (by a signal): stop, waking
					 * from a nap; never NULL */
};

/* Ship with f and fs, taking turns, until *cfg->stop (returns 0) or, with
 * cfg->once, until there is nothing left to do now: returns 0 when both
 * are idle and no feedback waits for spans, else the status of the step
 * that ended it (shipper_once_status), or SHIPPER_EXIT_UNAVAILABLE when
 * feedback still waits for its spans after once_waits tries. Errors are
 * the steps' own (logged there); nothing is kept. */
int shipper_run(struct flusher *f, struct feedship *fs,
    const struct shipper_config *cfg);
/* --once's exit status for the step that ended it: 0 for FLUSHER_IDLE,
 * SHIPPER_EXIT_SETTINGS for FLUSHER_CONFIG, SHIPPER_EXIT_LOCAL for
 * FLUSHER_ERROR, SHIPPER_EXIT_UNAVAILABLE otherwise. Cannot fail. */
int shipper_once_status(enum flusher_step r);
/* The spans' totals line ("shipped N spans in N batches; ...") into out.
 * Returns its length, or -1 when out is too small (out then holds a
 * truncated line). */
int shipper_spans_totals(const struct flusher_stats *st, char *out,
    size_t outlen) __attribute__((warn_unused_result));
/* The feedback's totals line ("feedback: shipped N annotations in N
 * requests; ...") into out; returns as shipper_spans_totals. */
int shipper_feedback_totals(const struct feedship_stats *fb, char *out,
    size_t outlen) __attribute__((warn_unused_result));
/* Log both totals lines at info level. Cannot fail. */
void shipper_log_totals(const struct flusher_stats *st,
    const struct feedship_stats *fb);

#endif
