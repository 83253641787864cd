/* dataset.h - chat turns chosen from the spool as a Phoenix dataset:
 * selecting chat_turn spans with spool-tail's filter, one example per turn
 * from the turn's spans (the conversation the model received, the answer,
 * the vote) read from a walk of the spool with progress, the body of
 * Phoenix's POST /v1/datasets/upload, its answers and the exit status
 * spool-dataset makes of them (docs/spool-dataset.md). The example trees
 * are json-c objects this module owns and puts. */
#ifndef RC_DATASET_H
#define RC_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exporter.h"
#include "feedidx.h"
#include "spanfilter.h"

#define DATASET_LIMIT_DEFAULT	10000	/* examples kept (--limit) */
#define DATASET_LIMIT_MAX	1000000
#define DATASET_UPLOAD_PATH	"/v1/datasets/upload?sync=true"
#define DATASET_RESPONSE_MAX	(1024 * 1024)
#define DATASET_TIMEOUT_MS	120000	/* a sync upload of 10,000 rows */
#define DATASET_MSG_MAX		512
#define DATASET_PROGRESS_EVERY	1000	/* turns between progress lines */

/* spool-dataset's exit statuses (--help, docs/spool-dataset.md). */
#define DATASET_EXIT_UNAVAILABLE 1	/* no answer, time-out, 5xx, 429 */
#define DATASET_EXIT_USAGE	2	/* options or settings */
#define DATASET_EXIT_NOTHING	3	/* no turn selected: nothing sent */
#define DATASET_EXIT_REFUSED	4	/* 4xx, the 409 of a taken name too */
#define DATASET_EXIT_LOCAL	5	/* the spool cannot be read */

struct dataset_stats {
	uint64_t	lines;		/* spool lines read */
	uint64_t	bad_lines;	/* unparsable or torn */
	uint64_t	turns;		/* chat_turn spans seen */
	uint64_t	matched;	/* chat_turn spans the filter passed */
	uint64_t	selected;	/* examples kept (at most the limit) */
	uint64_t	no_llm;		/* matched, but the model never saw
					 * the turn (no LLM span): skipped */
	uint64_t	over_limit;	/* matched past the limit: dropped */
};

struct dataset;

/* An empty selection of at most limit examples (0: DATASET_LIMIT_DEFAULT)
 * of the chat_turn spans f passes: the first ones read (segments are read
 * oldest first, so about the oldest turns). votes (or NULL) gives each example its
 * feedback metadata. f and votes stay the caller's and must outlive d.
 * Cannot fail (out of memory aborts). Free with dataset_free. */
struct dataset *dataset_new(const struct spanfilter *f,
    const struct feedidx *votes, size_t limit);
/* Free d and its examples. NULL is ignored. */
void dataset_free(struct dataset *d);
/* Take one spool line of spans (without its '\n'): each chat_turn span the
 * filter passes becomes an example, with the conversation from its LLM
 * child span in the same line (a turn's spans are written together).
 * Returns 0, or -1 for a line that does not parse (counted). Never stops a
 * walk: the signature is spoolwalk_fn's. */
int dataset_line(const char *line, size_t len, void *d);
/* The counters; owned by d. */
const struct dataset_stats *dataset_stats(const struct dataset *d);
/* Feed every span line of the spool at dir to d (dataset_line), oldest
 * segment first. Progress goes to progress (NULL: nowhere): "spool-dataset:
 * so far N of M turns" every DATASET_PROGRESS_EVERY chat_turn spans, and
 * "spool-dataset: selected N of M turns" at the end. Returns 0, or -1 with
 * the reason in err when the spool cannot be opened. */
int dataset_read_spool(struct dataset *d, const char *dir, FILE *progress,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* What the selection left out, a line each on fp: unparsable lines, turns
 * the model never saw, turns past the limit. Nothing when nothing was.
 * Cannot fail. */
void dataset_report(FILE *fp, const struct dataset *d);
/* The upload body: {"action","name","description","inputs","outputs",
 * "metadata","span_ids"} with action "append" when append is set, else
 * "create"; the examples oldest turn first (d's are sorted so). Caller
 * frees. Cannot fail. */
char *dataset_request_json(struct dataset *d, const char *name,
    const char *description, int append);
/* Say how f selects, for the default description ("spool-dataset: turns
 * with feedback thumbs_down, since 2026-11-24T10:00:00Z"). Truncates to
 * outlen. Cannot fail. */
void dataset_describe(const struct spanfilter *f, char *out, size_t outlen);


enum dataset_outcome {
	DATASET_UPLOADED = 0,	/* 200 with the dataset and version ids */
	DATASET_UNAVAILABLE,	/* no answer, a time-out, 5xx, 429 */
	DATASET_EXISTS,		/* 409: the name exists and action=create */
	DATASET_REFUSED,	/* any other 4xx: the request or the key */
	DATASET_BAD_ANSWER,	/* 2xx without the ids */
};

struct dataset_result {
	char		dataset_id[128], version_id[128];
	long		created, updated, deleted;
	char		msg[DATASET_MSG_MAX]; /* what to tell the user */
};

/* Read Phoenix's answer to an upload (status, body of len bytes) into r.
 * Cannot fail: the outcome says what the answer was. */
enum dataset_outcome dataset_answer(long status, const char *body,
    size_t len, const char *name, struct dataset_result *r);
/* POST body to cfg->rest_base (not NULL) + DATASET_UPLOAD_PATH as JSON
 * with cfg's headers: Phoenix's REST API as the flusher's feedback
 * shipping reaches it (exporter_config_from_env). Read the answer into r.
 * Returns the outcome, or -1 with the reason in r->msg when the request
 * cannot be set up. */
int dataset_upload(const struct exporter_config *cfg, const char *body,
    const char *name, struct dataset_result *r)
	__attribute__((warn_unused_result));
/* spool-dataset's exit status for what dataset_upload returned: 0 when
 * uploaded, DATASET_EXIT_UNAVAILABLE for no answer or one without the
 * ids, DATASET_EXIT_REFUSED for a 4xx (409 included), DATASET_EXIT_USAGE
 * for a request that could not be set up. Cannot fail. */
int dataset_exit_status(int outcome);

#endif
