/* feedship.c - the feedback shipper (see feedship.h and docs/flusher.md):
 * feedback segments read through spoolread, lines through feedrec, shipped
 * offsets in their own ckpt record, the ordering after the spans through
 * the span flusher's mark, answers classed by the exporter. */
#include "feedship.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ckpt.h"
#include "hex.h"
#include "log.h"
#include "spoolfmt.h"
#include "spoolread.h"
#include "xalloc.h"

struct feedship_seg {
	struct spoolread_segment seg;
	off_t			 offset;	/* shipped up to here */
	int			 listed;
};

struct feedship_item {			/* one record of the batch */
	struct feedrec	r;
	size_t		off, len;	/* its line in feedship.lines */
	size_t		order;		/* as read, for a stable sort */
	char		seg[NAME_MAX + 1];
};

struct feedship_cover {			/* the batch takes seg up to end */
	char	name[NAME_MAX + 1];
	off_t	end;
};

struct feedship_range {			/* items [lo, hi) still to send */
	size_t	lo, hi;
};

/* The newest vote shipped per span, so an older vote read later (from
 * another writer's segment, or after a split batch) never overwrites it
 * in Phoenix, which keeps the last annotation posted for an identifier.
 * Open addressing on the span id's 64 bits; 0 marks a free slot (span ids
 * are never all zeros). Past FEEDSHIP_SEEN_MAX spans it is forgotten at
 * once and starts again: votes change within minutes of their turn. */
struct feedship_seen {
	uint64_t	span;
	long long	t;
};
#define FEEDSHIP_SEEN_MAX	65536
#define FEEDSHIP_SEEN_SLOTS	(2 * FEEDSHIP_SEEN_MAX)

struct feedship {
	struct feedship_config	 cfg;
	struct flusher		*fl;
	struct exporter		*ex;		/* NULL: no base URL */
	char			*url;
	struct ckpt		 ckpt;
	struct feedship_seg	*segs;
	size_t			 nsegs, capsegs;
	/* The batch: made once, kept until every part is answered. */
	int			 pending;
	struct feedship_item	*items;
	size_t			 nitems;
	struct buf		 lines;
	struct feedship_cover	*covers;
	size_t			 ncovers;
	struct flusher_mark	 mark;
	struct feedship_range	*split;		/* parts left, next on top */
	size_t			 nsplit, capsplit;
	time_t			 missing_since;	/* a 404 for a missing span */
	unsigned int		 attempt;
	int			 down, config_down, told_no_base, told_wait;
	struct feedship_seen	*seen;		/* FEEDSHIP_SEEN_SLOTS */
	size_t			 nseen;
	struct feedship_stats	 st;
};

/* ---- The request body ------------------------------------------------ */

static json_object *
feedship_json_item(const struct feedrec *r)
{
	json_object *o = json_object_new_object();
	json_object *res = json_object_new_object();
	json_object *md = json_object_new_object();

	json_object_object_add(o, "span_id", json_object_new_string(r->span_id));
	json_object_object_add(o, "name", json_object_new_string(FEEDREC_NAME));
	json_object_object_add(o, "annotator_kind",
	    json_object_new_string("HUMAN"));
	json_object_object_add(res, "label",
	    json_object_new_string(feedrec_label(r->up)));
	json_object_object_add(res, "score", json_object_new_int(r->up));
	if (r->comment != NULL)
		json_object_object_add(res, "explanation",
		    json_object_new_string(r->comment));
	json_object_object_add(o, "result", res);
	json_object_object_add(o, "identifier",
	    json_object_new_string(r->identifier));
	json_object_object_add(md, "session_id",
	    json_object_new_string(r->session_id));
	json_object_object_add(md, "trace_id",
	    json_object_new_string(r->trace_id));
	json_object_object_add(o, "metadata", md);
	return o;
}

int
feedship_body(struct buf *b, const struct feedrec *const *r, size_t n)
{
	json_object *root = json_object_new_object();
	json_object *data = json_object_new_array();
	const char *text;
	int rc;

	for (size_t i = 0; i < n; i++)
		json_object_array_add(data, feedship_json_item(r[i]));
	json_object_object_add(root, "data", data);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = buf_append(b, text, strlen(text));
	json_object_put(root);
	return rc;
}

/* ---- Life ------------------------------------------------------------- */

static char *
feedship_url(const char *base)
{
	size_t bl = strlen(base), pl = strlen(FEEDSHIP_PATH);
	char *u = xmalloc(bl + pl + 1);

	memcpy(u, base, bl);
	memcpy(u + bl, FEEDSHIP_PATH, pl + 1);
	return u;
}

struct feedship *
feedship_new(const struct feedship_config *cfg, struct flusher *fl,
    const struct exporter_config *ecfg, char *err, size_t errlen)
{
	struct feedship *fs = xcalloc(1, sizeof(*fs));
	char state[4096];

	fs->cfg = *cfg;
	if (fs->cfg.batch_max == 0)
		fs->cfg.batch_max = FEEDSHIP_BATCH_MAX;
	if (fs->cfg.missing_wait_ms < 0)
		fs->cfg.missing_wait_ms = FEEDSHIP_MISSING_WAIT_MS;
	fs->fl = fl;
	fs->ckpt.dirfd = -1;
	buf_init(&fs->lines, FEEDSHIP_BATCH_BYTES + SPOOLFMT_LINE_MAX);
	if (ecfg->rest_base != NULL) {
		fs->url = feedship_url(ecfg->rest_base);
		if ((fs->ex = exporter_new_json(ecfg, fs->url)) == NULL) {
			snprintf(err, errlen, "cannot set up the HTTP client");
			goto fail;
		}
	}
	snprintf(state, sizeof(state), "%s/%s", cfg->spool_dir,
	    SPOOLFMT_STATE_DIR);
	if (ckpt_load_file(&fs->ckpt, state, SPOOLFMT_FEEDBACK_OFFSETS_FILE,
	    err, errlen) == 0)
		return fs;
fail:
	feedship_free(fs);
	return NULL;
}

static void
feedship_drop_batch(struct feedship *fs)
{
	for (size_t i = 0; i < fs->nitems; i++)
		feedrec_clear(&fs->items[i].r);
	free(fs->items);
	fs->items = NULL;
	fs->nitems = 0;
	fs->ncovers = 0;
	fs->nsplit = 0;
	fs->pending = 0;
	fs->missing_since = 0;
	buf_reset(&fs->lines);
	flusher_mark_clear(&fs->mark);
}

void
feedship_free(struct feedship *fs)
{
	if (fs == NULL)
		return;
	if (fs->ckpt.dirfd != -1 && ckpt_save(&fs->ckpt) == -1)
		log_warn("%s: saving feedback offsets", __func__);
	feedship_drop_batch(fs);
	for (size_t i = 0; i < fs->nsegs; i++)
		spoolread_close(&fs->segs[i].seg);
	free(fs->segs);
	free(fs->covers);
	free(fs->split);
	ckpt_cleanup(&fs->ckpt);
	buf_cleanup(&fs->lines);
	exporter_free(fs->ex);
	free(fs->url);
	free(fs->seen);
	free(fs);
}

int
feedship_waiting(const struct feedship *fs)
{
	return fs->pending && fs->told_wait;
}

const struct feedship_stats *
feedship_stats(const struct feedship *fs)
{
	return &fs->st;
}

/* ---- Segments ----------------------------------------------------------- */

static struct feedship_seg *
feedship_find(struct feedship *fs, const char *name)
{
	for (size_t i = 0; i < fs->nsegs; i++)
		if (strcmp(fs->segs[i].seg.name, name) == 0)
			return &fs->segs[i];
	return NULL;
}

static void
feedship_forget(struct feedship *fs, size_t i)
{
	ckpt_remove(&fs->ckpt, fs->segs[i].seg.name);
	spoolread_close(&fs->segs[i].seg);
	memmove(&fs->segs[i], &fs->segs[i + 1],
	    (fs->nsegs - i - 1) * sizeof(*fs->segs));
	fs->nsegs--;
}

/* Feedback segments are few (one a writer at a time): all stay open. */
static void
feedship_add(struct feedship *fs, int dirfd, const char *name)
{
	struct feedship_seg *s;

	if (fs->nsegs == fs->capsegs) {
		fs->capsegs = fs->capsegs ? fs->capsegs * 2 : 8;
		fs->segs = xrealloc(fs->segs, fs->capsegs * sizeof(*fs->segs));
	}
	s = &fs->segs[fs->nsegs];
	if (spoolread_open(dirfd, name, &s->seg) == -1) {
		if (errno != ENOENT)
			log_warn("%s: %s", __func__, name);
		return;
	}
	s->offset = ckpt_get(&fs->ckpt, name);
	if (s->offset > s->seg.size)
		s->offset = s->seg.size;
	s->listed = 1;
	fs->nsegs++;
}

static int
feedship_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct feedship_seg *)a)->seg.name,
	    ((const struct feedship_seg *)b)->seg.name);
}

static int
feedship_scan(struct feedship *fs)
{
	int dirfd = flusher_dirfd(fs->fl);
	char **names;
	size_t n;

	if (spoolread_list(dirfd, SPOOLFMT_KIND_FEEDBACK, &names, &n) == -1) {
		log_warn("%s: %s", __func__, fs->cfg.spool_dir);
		return -1;
	}
	for (size_t i = 0; i < fs->nsegs; i++)
		fs->segs[i].listed = 0;
	for (size_t i = 0; i < n; i++) {
		struct feedship_seg *s = feedship_find(fs, names[i]);
		if (s != NULL)
			s->listed = 1;
		else
			feedship_add(fs, dirfd, names[i]);
	}
	spoolread_list_free(names, n);
	for (size_t i = fs->nsegs; i-- > 0;)
		if (!fs->segs[i].listed ||
		    spoolread_refresh(&fs->segs[i].seg) == -1)
			feedship_forget(fs, i);
	if (fs->nsegs > 1)
		qsort(fs->segs, fs->nsegs, sizeof(*fs->segs), feedship_name_cmp);
	for (size_t i = fs->ckpt.n; i-- > 0;)
		if (feedship_find(fs, fs->ckpt.e[i].name) == NULL)
			ckpt_remove(&fs->ckpt, fs->ckpt.e[i].name);
	fs->st.backlog_bytes = 0;
	for (size_t i = 0; i < fs->nsegs; i++)
		fs->st.backlog_bytes += fs->segs[i].seg.size -
		    fs->segs[i].offset;
	return 0;
}

/* A complete segment shipped to its end (a torn tail counted and left
 * in it) goes to sent/. */
static void
feedship_retire(struct feedship *fs)
{
	int moved = 0;

	for (size_t i = fs->nsegs; i-- > 0;) {
		struct feedship_seg *s = &fs->segs[i];

		if (!s->seg.complete || (s->offset < s->seg.size &&
		    !spoolread_torn_tail(&s->seg, s->offset)))
			continue;
		if (s->offset < s->seg.size) {
			fs->st.torn_lines++;
			log_warnx("%s: torn last line (%lld bytes) skipped",
			    s->seg.name, (long long)(s->seg.size - s->offset));
		}
		if (flusher_to_sent(fs->fl, s->seg.name) == -1)
			continue;
		feedship_forget(fs, i);
		moved = 1;
	}
	if (moved && ckpt_save(&fs->ckpt) == -1)
		log_warn("%s: saving feedback offsets", __func__);
}

/* ---- Batches ------------------------------------------------------------ */

static void
feedship_cover(struct feedship *fs, const char *name, off_t end)
{
	if (fs->ncovers > 0 &&
	    strcmp(fs->covers[fs->ncovers - 1].name, name) == 0) {
		fs->covers[fs->ncovers - 1].end = end;
		return;
	}
	fs->covers = xrealloc(fs->covers, (fs->ncovers + 1) *
	    sizeof(*fs->covers));
	snprintf(fs->covers[fs->ncovers].name, sizeof(fs->covers[0].name),
	    "%s", name);
	fs->covers[fs->ncovers++].end = end;
}

static uint64_t
feedship_span_key(const char *span_id)
{
	uint8_t b[8];
	uint64_t k = 0;

	if (hex_decode(span_id, 8, b) == -1)
		return 0;
	for (int i = 0; i < 8; i++)
		k = k << 8 | b[i];
	return k;
}

static struct feedship_seen *
feedship_seen_slot(struct feedship *fs, uint64_t k)
{
	size_t i;

	if (fs->seen == NULL)
		fs->seen = xcalloc(FEEDSHIP_SEEN_SLOTS, sizeof(*fs->seen));
	for (i = k % FEEDSHIP_SEEN_SLOTS;; i = (i + 1) % FEEDSHIP_SEEN_SLOTS)
		if (fs->seen[i].span == 0 || fs->seen[i].span == k)
			return &fs->seen[i];
}

/* Remember that span's vote of time t went out (the newest counts). */
static void
feedship_seen_put(struct feedship *fs, const char *span_id, long long t)
{
	struct feedship_seen *e;
	uint64_t k = feedship_span_key(span_id);

	if (k == 0)
		return;
	if (fs->nseen >= FEEDSHIP_SEEN_MAX) {
		memset(fs->seen, 0, FEEDSHIP_SEEN_SLOTS * sizeof(*fs->seen));
		fs->nseen = 0;
	}
	e = feedship_seen_slot(fs, k);
	if (e->span == 0) {
		e->span = k;
		e->t = t;
		fs->nseen++;
	} else if (t > e->t)
		e->t = t;
}

/* 1 when a newer vote on r's span already went out. */
static int
feedship_superseded(struct feedship *fs, const struct feedrec *r)
{
	uint64_t k = feedship_span_key(r->span_id);
	struct feedship_seen *e;

	if (k == 0)
		return 0;
	e = feedship_seen_slot(fs, k);
	return e->span == k && e->t > r->time_unix_nano;
}

/* A line that is not a feedback record goes to rejected/ with why. */
static int
feedship_bad_line(struct feedship *fs, const char *seg, const char *line,
    size_t len, const char *err)
{
	char why[512];

	fs->st.bad_lines++;
	log_warnx("%s: a line that is not a feedback record set aside in "
	    "%s/: %s", seg, SPOOLFMT_REJECTED_DIR, err);
	snprintf(why, sizeof(why), "not a feedback record: %s", err);
	return flusher_set_aside(fs->fl, seg, line, len, why);
}

/* Offer one line (with its '\n'): 1 kept in the batch, 0 set aside,
 * -1 on a disk error. */
static int
feedship_take(struct feedship *fs, const char *seg, size_t off, size_t len)
{
	const char *line = fs->lines.data + off;
	struct feedship_item *it;
	struct feedrec r;
	char err[256];

	if (spoolfmt_line_kind(line, len - 1) != SPOOLFMT_KIND_FEEDBACK)
		return feedship_bad_line(fs, seg, line, len,
		    "no \"feedback\" first") == -1 ? -1 : 0;
	if (feedrec_parse(line, len - 1, &r, err, sizeof(err)) == -1)
		return feedship_bad_line(fs, seg, line, len, err) == -1 ?
		    -1 : 0;
	if (feedship_superseded(fs, &r)) {
		fs->st.superseded++;
		feedrec_clear(&r);
		return 0;
	}
	fs->items = xrealloc(fs->items, (fs->nitems + 1) * sizeof(*fs->items));
	it = &fs->items[fs->nitems];
	it->r = r;
	it->off = off;
	it->len = len;
	it->order = fs->nitems++;
	snprintf(it->seg, sizeof(it->seg), "%s", seg);
	return 1;
}

/* Take whole lines of one segment while the batch has room. Returns 0,
 * or -1 on a disk error. */
static int
feedship_fill_from(struct feedship *fs, struct feedship_seg *s)
{
	size_t start = fs->lines.len, pos, keep, len;
	ssize_t got;
	char *nl;
	int r = 1;

	if (s->offset >= s->seg.size || fs->nitems >= fs->cfg.batch_max ||
	    start >= FEEDSHIP_BATCH_BYTES)
		return 0;
	got = spoolread_lines(&s->seg, s->offset, FEEDSHIP_BATCH_BYTES - start,
	    &fs->lines);
	if (got <= 0) {
		if (got == -1)
			log_warn("%s: reading %s", __func__, s->seg.name);
		return 0;
	}
	for (pos = keep = start; pos < start + (size_t)got &&
	    fs->nitems < fs->cfg.batch_max; pos += len) {
		nl = memchr(fs->lines.data + pos, '\n',
		    start + (size_t)got - pos);
		len = (size_t)(nl - (fs->lines.data + pos)) + 1;
		memmove(fs->lines.data + keep, fs->lines.data + pos, len);
		if ((r = feedship_take(fs, s->seg.name, keep, len)) == -1)
			break;
		keep += r == 1 ? len : 0;
	}
	fs->lines.len = keep;
	if (pos > start)
		feedship_cover(fs, s->seg.name, s->offset + (off_t)(pos - start));
	return r == -1 ? -1 : 0;
}

/* Newer votes last, whichever writer's segment holds them: Phoenix keeps
 * the last annotation posted for an identifier. */
static int
feedship_time_cmp(const void *a, const void *b)
{
	const struct feedship_item *x = a, *y = b;

	if (x->r.time_unix_nano != y->r.time_unix_nano)
		return x->r.time_unix_nano < y->r.time_unix_nano ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
feedship_commit(struct feedship *fs)
{
	struct feedship_seg *s;

	for (size_t i = 0; i < fs->nitems; i++)
		feedship_seen_put(fs, fs->items[i].r.span_id,
		    fs->items[i].r.time_unix_nano);
	for (size_t i = 0; i < fs->ncovers; i++)
		if ((s = feedship_find(fs, fs->covers[i].name)) != NULL) {
			s->offset = fs->covers[i].end;
			ckpt_set(&fs->ckpt, s->seg.name, s->offset);
		}
	feedship_drop_batch(fs);
	if (ckpt_save(&fs->ckpt) == -1) {
		log_warn("%s: saving feedback offsets", __func__);
		return -1;
	}
	feedship_retire(fs);
	return 0;
}

/* Make the next batch: 1 made, 0 nothing to send, -1 a disk error. The
 * spans' mark is taken after the lines are read: every span a record
 * names was written before its record, so before the mark. */
static int
feedship_fill(struct feedship *fs)
{
	feedship_drop_batch(fs);
	for (size_t i = 0; i < fs->nsegs; i++)
		if (feedship_fill_from(fs, &fs->segs[i]) == -1)
			return -1;
	if (fs->nitems == 0) {
		if (fs->ncovers > 0 && feedship_commit(fs) == -1)
			return -1;
		return 0;
	}
	qsort(fs->items, fs->nitems, sizeof(*fs->items), feedship_time_cmp);
	if (flusher_mark(fs->fl, &fs->mark) == -1)
		return -1;
	fs->pending = 1;
	fs->attempt = 0;
	fs->told_wait = 0;
	return 1;
}

/* ---- Sending ------------------------------------------------------------ */

static void
feedship_push(struct feedship *fs, size_t lo, size_t hi)
{
	if (fs->nsplit == fs->capsplit) {
		fs->capsplit = fs->capsplit ? fs->capsplit * 2 : 8;
		fs->split = xrealloc(fs->split, fs->capsplit * sizeof(*fs->split));
	}
	fs->split[fs->nsplit++] = (struct feedship_range){ lo, hi };
}

/* The part just sent is done with; once the whole batch is, its offsets
 * move (refused records are safe in rejected/ by then). */
static enum flusher_step
feedship_part_done(struct feedship *fs)
{
	if (fs->nsplit > 0 && --fs->nsplit > 0)
		return FLUSHER_SENT;
	return feedship_commit(fs) == -1 ? FLUSHER_ERROR : FLUSHER_SENT;
}

/* Phoenix refused the records of r (400, 413, 422, or a span that never
 * came): halve until the refused ones are alone, set only those aside. */
static enum flusher_step
feedship_refused(struct feedship *fs, struct feedship_range r,
    const char *why, long *delay_ms)
{
	const struct feedship_item *it = &fs->items[r.lo];
	size_t half;

	if (r.hi - r.lo > 1) {
		if (fs->nsplit > 0)
			fs->nsplit--;
		half = r.lo + (r.hi - r.lo) / 2;
		feedship_push(fs, half, r.hi);
		feedship_push(fs, r.lo, half);
		return FLUSHER_SENT;
	}
	if (flusher_set_aside(fs->fl, it->seg, fs->lines.data + it->off,
	    it->len, why) == -1) {
		*delay_ms = EXPORTER_BACKOFF_MAX_MS;
		return FLUSHER_ERROR;
	}
	fs->st.refused++;
	log_warnx("Phoenix refused the annotation %s on span %s (%s); it is "
	    "in %s/%s", it->r.identifier, it->r.span_id, why,
	    SPOOLFMT_REJECTED_DIR, it->seg);
	return feedship_part_done(fs);
}

static void
feedship_up(struct feedship *fs)
{
	if (fs->down || fs->config_down)
		log_info("Phoenix takes annotations again");
	fs->down = fs->config_down = 0;
	fs->attempt = 0;
}

static enum flusher_step
feedship_unavailable(struct feedship *fs, const struct exporter_result *res,
    long *delay_ms)
{
	if (!fs->down)
		log_warnx("Phoenix unavailable for annotations (%s); feedback "
		    "waits in the spool", res->msg);
	fs->down = 1;
	*delay_ms = exporter_retry_delay_ms(fs->attempt++, res->retry_after_ms,
	    NULL, NULL);
	fs->st.retries++;
	return FLUSHER_RETRY;
}

static enum flusher_step
feedship_misconfigured(struct feedship *fs,
    const struct exporter_result *res, long *delay_ms)
{
	if (!fs->config_down)
		log_warnx("Phoenix refuses our settings for annotations (%s): "
		    "check %s; nothing is set aside, feedback waits in the "
		    "spool", res->msg, res->check ? res->check : "the endpoint");
	fs->config_down = 1;
	*delay_ms = exporter_backoff_ms(fs->attempt++, EXPORTER_BACKOFF_BASE_MS,
	    EXPORTER_PROBE_MAX_MS, NULL, NULL);
	fs->st.retries++;
	return FLUSHER_CONFIG;
}

/* Phoenix's sync route answers 404 "Spans with IDs ... do not exist."
 * for a span it has not inserted yet (its own insertion is queued); a
 * missing route answers {"detail":"Not Found"}. */
static int
feedship_span_missing(const struct exporter_result *res)
{
	char text[512];
	size_t n;

	if (res->http_status != 404 || res->body == NULL)
		return 0;
	n = res->body_len < sizeof(text) - 1 ? res->body_len : sizeof(text) - 1;
	memcpy(text, res->body, n);
	text[n] = '\0';
	return strstr(text, "Spans with IDs") != NULL &&
	    strstr(text, "do not exist") != NULL;
}

/* The span was shipped but Phoenix has not got it (yet): wait as long as
 * Phoenix's own queue would, then set the record aside with the reason. */
static enum flusher_step
feedship_missing(struct feedship *fs, struct feedship_range r,
    const struct exporter_result *res, long *delay_ms)
{
	char why[EXPORTER_MSG_MAX + 64];
	time_t now = time(NULL);

	if (fs->missing_since == 0) {
		fs->missing_since = now;
		log_info("Phoenix does not have a span yet (%s); the "
		    "annotations wait", res->msg);
	}
	if ((now - fs->missing_since) * 1000LL < fs->cfg.missing_wait_ms) {
		*delay_ms = exporter_backoff_ms(fs->attempt++,
		    EXPORTER_BACKOFF_BASE_MS, EXPORTER_BACKOFF_MAX_MS, NULL,
		    NULL);
		fs->st.retries++;
		return FLUSHER_RETRY;
	}
	snprintf(why, sizeof(why), "span not in Phoenix after %lld s: %s",
	    (long long)(now - fs->missing_since), res->msg);
	return feedship_refused(fs, r, why, delay_ms);
}

static enum flusher_step
feedship_send(struct feedship *fs, long *delay_ms)
{
	struct feedship_range r = { 0, fs->nitems };
	const struct feedrec **recs;
	struct exporter_result res;
	struct buf body;
	int rc;

	if (fs->nsplit > 0)
		r = fs->split[fs->nsplit - 1];
	recs = xcalloc(r.hi - r.lo, sizeof(*recs));
	for (size_t i = r.lo; i < r.hi; i++)
		recs[i - r.lo] = &fs->items[i].r;
	buf_init(&body, EXPORTER_REQUEST_MAX);
	/* Past the limit, an empty body: the exporter refuses to send it,
	 * which halves the part as any refusal does. */
	if (feedship_body(&body, recs, r.hi - r.lo) == -1)
		buf_reset(&body);
	rc = exporter_send(fs->ex, (const uint8_t *)body.data, body.len, &res);
	buf_cleanup(&body);
	free(recs);
	if (rc == 0) {
		feedship_up(fs);
		fs->st.annotations_sent += r.hi - r.lo;
		fs->st.batches_sent++;
		return feedship_part_done(fs);
	}
	if (res.outcome == EXPORTER_CONFIG && feedship_span_missing(&res))
		return feedship_missing(fs, r, &res, delay_ms);
	if (res.outcome == EXPORTER_CONFIG)
		return feedship_misconfigured(fs, &res, delay_ms);
	if (res.outcome == EXPORTER_REJECT) {
		feedship_up(fs);
		return feedship_refused(fs, r, res.msg, delay_ms);
	}
	return feedship_unavailable(fs, &res, delay_ms);
}

/* No base URL: feedback stays where it is, said once. */
static enum flusher_step
feedship_no_base(struct feedship *fs, long *delay_ms)
{
	if (!fs->told_no_base)
		log_warnx("feedback waits in the spool: spans go to a plain "
		    "OTLP collector (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or "
		    "OTEL_EXPORTER_OTLP_ENDPOINT) and PHOENIX_ENDPOINT, "
		    "Phoenix's base URL for annotations, is unset");
	fs->told_no_base = 1;
	*delay_ms = EXPORTER_PROBE_MAX_MS;
	return FLUSHER_CONFIG;
}

enum flusher_step
feedship_step(struct feedship *fs, long *delay_ms)
{
	*delay_ms = 0;
	if (feedship_scan(fs) == -1)
		return FLUSHER_ERROR;
	if (!fs->pending) {
		switch (feedship_fill(fs)) {
		case -1:
			return FLUSHER_ERROR;
		case 0:
			feedship_retire(fs);
			return FLUSHER_IDLE;
		}
	}
	if (fs->ex == NULL)
		return feedship_no_base(fs, delay_ms);
	if (!flusher_passed(fs->fl, &fs->mark)) {
		if (!fs->told_wait)
			log_debug("%zu annotations wait for their spans to be "
			    "shipped", fs->nitems);
		fs->told_wait = 1;
		fs->st.waits++;
		return FLUSHER_IDLE;
	}
	fs->told_wait = 0;
	return feedship_send(fs, delay_ms);
}
