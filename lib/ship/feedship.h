/* feedship.h - ships the spool's feedback records (feedrec.h) to Phoenix
 * as span annotations (POST {base}/v1/span_annotations?sync=true), at
 * least once, each only after the span flusher has shipped the spans that
 * were in the spool when it was read; its own shipped offsets, set-aside
 * and answer classes as the span flusher's. docs/flusher.md tells how. */
#ifndef RC_FEEDSHIP_H
#define RC_FEEDSHIP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "exporter.h"
#include "feedrec.h"
#include "flusher.h"

#define FEEDSHIP_BATCH_MAX	100		/* annotations a request */
#define FEEDSHIP_BATCH_BYTES	(1024 * 1024)	/* of feedback lines */
/* The route, synchronous: a 2xx means the annotations are in Phoenix's
 * database (docs/phoenix.md says why not the default queue). */
#define FEEDSHIP_PATH		"/v1/span_annotations?sync=true"
/* How long a 404 "spans do not exist" is waited out (Phoenix inserts
 * spans a moment after it took them) before the annotation is set aside:
 * Phoenix's own queue waits as long (60 retries 10 s apart). */
#define FEEDSHIP_MISSING_WAIT_MS (10 * 60 * 1000)

struct feedship_config {
	const char	*spool_dir;
	size_t		 batch_max;		/* 0: FEEDSHIP_BATCH_MAX */
	long long	 missing_wait_ms;	/* < 0: FEEDSHIP_MISSING_WAIT_MS */
};

struct feedship_stats {
	uint64_t	annotations_sent;	/* taken by Phoenix (2xx) */
	uint64_t	batches_sent;
	uint64_t	refused;	/* set aside after a 400/413/422, or a
					 * span missing too long */
	uint64_t	bad_lines;	/* not feedback lines: to rejected/ */
	uint64_t	torn_lines;
	uint64_t	retries;
	uint64_t	waits;		/* steps that waited for the spans */
	uint64_t	superseded;	/* older than a vote already shipped
					 * for its span: not sent */
	long long	backlog_bytes;	/* unshipped feedback, last step */
};

struct feedship;

/* A shipper of SPOOL_DIR's feedback segments, next to the span flusher fl
 * (which holds the spool's lock and must outlive it), posting to
 * ecfg->rest_base + FEEDSHIP_PATH with ecfg's headers (ecfg must outlive
 * it). With no rest_base, feedback waits in the spool (logged once).
 * Loads STATE_DIR/SPOOLFMT_FEEDBACK_OFFSETS_FILE. Returns NULL with the
 * reason in err. Free with feedship_free. */
struct feedship *feedship_new(const struct feedship_config *cfg,
    struct flusher *fl, const struct exporter_config *ecfg, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/* Save the shipped offsets and release everything; NULL is ignored. */
void feedship_free(struct feedship *fs);
/*
 * One step: pick up feedback segments, make a batch unless one waits,
 * and send it once the spans read with it have left the span flusher.
 * FLUSHER_IDLE: nothing to send now (feedship_waiting says whether a batch
 * waits for the spans); FLUSHER_SENT: a request was answered (or lines
 * set aside); FLUSHER_RETRY: Phoenix unavailable, or a span not in it yet;
 * FLUSHER_CONFIG: settings refused, or no base URL; FLUSHER_ERROR: a disk
 * error (logged). *delay_ms: how long to wait before the next step.
 */
enum flusher_step feedship_step(struct feedship *fs, long *delay_ms);
/* 1 when a batch is made and waits for the span flusher. Cannot fail. */
int feedship_waiting(const struct feedship *fs);
/* The counters so far; owned by fs, valid until feedship_free. */
const struct feedship_stats *feedship_stats(const struct feedship *fs);

/* Append the annotations request body for the n records in r to b:
 *	{"data":[{"span_id":..,"name":"user_feedback",
 *	 "annotator_kind":"HUMAN","result":{"label":..,"score":1|0,
 *	 "explanation":comment (only when there is one)},"identifier":..,
 *	 "metadata":{"session_id":..,"trace_id":..}}, ...]}
 * Returns 0, or -1 at b's limit (b then holds a partial body). */
int feedship_body(struct buf *b, const struct feedrec *const *r, size_t n)
	__attribute__((warn_unused_result));

#endif
