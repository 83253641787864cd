/* flusher.c - the spool shipper (see flusher.h and docs/flusher.md). The
 * only remover of spool segments; the writers (spool.c) only append. The
 * spool's layout and line kinds come from spoolfmt.h, its segments are
 * read through spoolread.h. */
#include "flusher.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ckpt.h"
#include "fileio.h"
#include "log.h"
#include "otlp.h"
#include "spoolfmt.h"
#include "spoolread.h"
#include "xalloc.h"

/* Segments kept open: the oldest few, which the next batches read, and
 * every one still being written (its lock tells when it is complete).
 * The rest are parked (spoolread_park) and opened when reached. */
#define FLUSHER_OPEN_MAX	32

/* What became of one line offered to the batch. */
enum flusher_take {
	FLUSHER_TAKE_ERROR = -1,	/* disk error setting it aside */
	FLUSHER_TAKE_FULL,		/* would pass the span limit: left */
	FLUSHER_TAKE_KEPT,		/* in the batch */
	FLUSHER_TAKE_ASIDE,		/* not a spans line: in rejected/ */
};

/* Where filling a batch from one segment stopped. */
enum flusher_fill {
	FLUSHER_FILL_ERROR = -1,	/* disk error */
	FLUSHER_FILL_MORE,		/* room left: go on to the next */
	FLUSHER_FILL_FULL,		/* the batch is full */
};

/* What making a batch left. */
enum flusher_batch {
	FLUSHER_BATCH_ERROR = -1,
	FLUSHER_BATCH_NONE,		/* nothing to send */
	FLUSHER_BATCH_READY,		/* a batch waits to be sent */
};

struct flusher_seg {
	struct spoolread_segment seg;
	off_t			 offset;	/* shipped up to here (in ckpt) */
	int			 listed;	/* seen in the last listing */
};

struct flusher_cover {			/* a batch takes a segment up to end */
	char	name[NAME_MAX + 1];
	off_t	end;
};

struct flusher_range {			/* whole lines of the pending batch */
	size_t	off, len;		/* in flusher.lines */
};

struct flusher {
	struct flusher_config	 cfg;
	struct exporter		*ex;
	int			 dirfd, sentfd, rejfd, lockfd;
	struct ckpt		 ckpt;
	long long		 synced_ms;	/* offsets last fsynced */
	struct flusher_seg	*segs;
	size_t			 nsegs, capsegs;
	struct otlp_batch	*batch, *probe;
	/* The batch being sent; kept as it is until the collector takes it. */
	int			 pending;
	uint8_t			*packed;
	size_t			 packed_len, pending_spans;
	struct buf		 lines;
	struct flusher_cover	*covers;
	size_t			 ncovers;
	/* A refused batch is halved until the refused lines are alone: the
	 * parts still to send, the next on top. Empty: send it whole. */
	struct flusher_range	*split;
	size_t			 nsplit, capsplit;
	uint64_t		 refused_lines, refused_spans; /* this batch */
	char			 refused_msg[EXPORTER_MSG_MAX];
	unsigned int		 attempt;
	time_t			 down_since;	/* 0 while the collector is up */
	int			 config_down;	/* it refuses our settings */
	long long		 logged_backlog;
	struct flusher_stats	 st;
};

static long long
flusher_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int flusher_save_offsets(struct flusher *);

static int
flusher_subdir(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0750) == -1 && errno != EEXIST)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* One flusher per spool: two would ship every span twice and race on
 * the offsets. The lock is the kernel's, so a flusher that dies frees it. */
static int
flusher_lock(struct flusher *f, char *err, size_t errlen)
{
	const char *dir = f->cfg.spool_dir;

	if ((f->lockfd = openat(f->dirfd, SPOOLFMT_STATE_DIR "/"
	    SPOOLFMT_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		snprintf(err, errlen, "%s/%s/%s: %s", dir, SPOOLFMT_STATE_DIR,
		    SPOOLFMT_LOCK_FILE, strerror(errno));
		return -1;
	}
	if (flock(f->lockfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK && f->cfg.lock_wait) {
		log_info("another span-flusher ships %s; waiting for its lock",
		    dir);
		if (flock(f->lockfd, LOCK_EX) == 0)
			return 0;
	}
	if (errno == EWOULDBLOCK)
		snprintf(err, errlen, "%s: another span-flusher is shipping "
		    "this spool (it holds %s/%s)", dir, SPOOLFMT_STATE_DIR,
		    SPOOLFMT_LOCK_FILE);
	else
		snprintf(err, errlen, "%s: lock: %s", dir, strerror(errno));
	return -1;
}

static int
flusher_open_dirs(struct flusher *f, char *err, size_t errlen)
{
	const char *dir = f->cfg.spool_dir;

	if ((f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (mkdirat(f->dirfd, SPOOLFMT_STATE_DIR, 0750) == -1 &&
	    errno != EEXIST) ||
	    (f->sentfd = flusher_subdir(f->dirfd, SPOOLFMT_SENT_DIR)) == -1 ||
	    (f->rejfd = flusher_subdir(f->dirfd, SPOOLFMT_REJECTED_DIR)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

struct flusher *
flusher_new(const struct flusher_config *cfg, struct exporter *ex, char *err,
    size_t errlen)
{
	struct flusher *f = xcalloc(1, sizeof(*f));
	char state[4096];
	int saved;

	f->cfg = *cfg;
	f->ex = ex;
	f->dirfd = f->sentfd = f->rejfd = f->lockfd = f->ckpt.dirfd = -1;
	buf_init(&f->lines, cfg->batch_bytes + SPOOLFMT_LINE_MAX);
	f->batch = otlp_batch_new();
	f->probe = otlp_batch_new();
	if (flusher_open_dirs(f, err, errlen) == -1 ||
	    flusher_lock(f, err, errlen) == -1)
		goto fail;
	snprintf(state, sizeof(state), "%s/%s", cfg->spool_dir,
	    SPOOLFMT_STATE_DIR);
	if (ckpt_load(&f->ckpt, state, err, errlen) == 0) {
		f->synced_ms = flusher_now_ms();	/* as loaded: on disk */
		return f;
	}
fail:
	saved = errno;
	flusher_free(f);
	errno = saved;
	return NULL;
}

void
flusher_free(struct flusher *f)
{
	if (f == NULL)
		return;
	if (f->ckpt.dirfd != -1 && ckpt_save(&f->ckpt) == -1)
		log_warn("%s: saving shipped offsets", __func__);
	for (size_t i = 0; i < f->nsegs; i++)
		spoolread_close(&f->segs[i].seg);
	free(f->segs);
	ckpt_cleanup(&f->ckpt);
	otlp_batch_free(f->batch);
	otlp_batch_free(f->probe);
	free(f->packed);
	free(f->covers);
	free(f->split);
	buf_cleanup(&f->lines);
	if (f->dirfd != -1)
		close(f->dirfd);
	if (f->sentfd != -1)
		close(f->sentfd);
	if (f->rejfd != -1)
		close(f->rejfd);
	if (f->lockfd != -1)
		close(f->lockfd);	/* the next flusher may start */
	free(f);
}

int
flusher_dirfd(const struct flusher *f)
{
	return f->dirfd;
}

const struct flusher_stats *
flusher_stats(const struct flusher *f)
{
	return &f->st;
}

/* ---- Segments ------------------------------------------------------ */

static struct flusher_seg *
flusher_find(struct flusher *f, const char *name)
{
	for (size_t i = 0; i < f->nsegs; i++)
		if (strcmp(f->segs[i].seg.name, name) == 0)
			return &f->segs[i];
	return NULL;
}

static void
flusher_forget(struct flusher *f, size_t i)
{
	ckpt_remove(&f->ckpt, f->segs[i].seg.name);
	spoolread_close(&f->segs[i].seg);
	memmove(&f->segs[i], &f->segs[i + 1],
	    (f->nsegs - i - 1) * sizeof(*f->segs));
	f->nsegs--;
}

static void
flusher_add(struct flusher *f, const char *name)
{
	struct flusher_seg *s;

	if (f->nsegs == f->capsegs) {
		f->capsegs = f->capsegs ? f->capsegs * 2 : 16;
		f->segs = xrealloc(f->segs, f->capsegs * sizeof(*f->segs));
	}
	s = &f->segs[f->nsegs];
	if (spoolread_open(f->dirfd, name, &s->seg) == -1) {
		if (errno != ENOENT)
			log_warn("%s: %s", __func__, name);
		return;
	}
	s->offset = ckpt_get(&f->ckpt, name);
	if (s->offset > s->seg.size)	/* a record from a damaged spool */
		s->offset = s->seg.size;
	s->listed = 1;
	if (f->nsegs >= FLUSHER_OPEN_MAX)
		spoolread_park(&s->seg);
	f->nsegs++;
}

/* A parked segment's descriptor, before reading it. */
static int
flusher_ready(struct flusher *f, struct flusher_seg *s)
{
	if (spoolread_unpark(f->dirfd, &s->seg) == -1) {
		if (errno != ENOENT)
			log_warn("%s: %s", __func__, s->seg.name);
		return -1;
	}
	return 0;
}

static int
flusher_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct flusher_seg *)a)->seg.name,
	    ((const struct flusher_seg *)b)->seg.name);
}

/* Forget shipped offsets of segments that are gone (moved or removed
 * while no flusher ran). */
static void
flusher_prune_ckpt(struct flusher *f)
{
	for (size_t i = f->ckpt.n; i-- > 0;)
		if (flusher_find(f, f->ckpt.e[i].name) == NULL)
			ckpt_remove(&f->ckpt, f->ckpt.e[i].name);
}

/* Pick up new segments, drop vanished ones, refresh sizes and locks;
 * oldest first. Returns -1 when the directory cannot be read. */
static int
flusher_scan(struct flusher *f)
{
	char **names;
	size_t n;

	if (spoolread_list(f->dirfd, SPOOLFMT_KIND_SPANS, &names, &n) == -1) {
		log_warn("%s: %s", __func__, f->cfg.spool_dir);
		return -1;
	}
	for (size_t i = 0; i < f->nsegs; i++)
		f->segs[i].listed = 0;
	for (size_t i = 0; i < n; i++) {
		struct flusher_seg *s = flusher_find(f, names[i]);
		if (s != NULL)
			s->listed = 1;
		else
			flusher_add(f, names[i]);
	}
	spoolread_list_free(names, n);
	for (size_t i = f->nsegs; i-- > 0;)
		if (!f->segs[i].listed ||
		    spoolread_refresh(&f->segs[i].seg) == -1)
			flusher_forget(f, i);
	if (f->nsegs > 1)
		qsort(f->segs, f->nsegs, sizeof(*f->segs), flusher_name_cmp);
	for (size_t i = FLUSHER_OPEN_MAX; i < f->nsegs; i++)
		spoolread_park(&f->segs[i].seg);
	flusher_prune_ckpt(f);
	f->st.backlog_bytes = 0;
	for (size_t i = 0; i < f->nsegs; i++)
		f->st.backlog_bytes += f->segs[i].seg.size - f->segs[i].offset;
	return 0;
}

static void
flusher_sync_dir(int fd)
{
	if (fsync(fd) == -1)
		log_warn("%s: fsync", __func__);
}

/* ---- rejected/ and sent/ ------------------------------------------- */

static void flusher_prune_rejected(struct flusher *);

/* Append lines to rejected/<segment> and a line saying why to
 * rejected/<segment>.reason, durably, before their offsets move on. */
static int
flusher_aside(struct flusher *f, const char *seg, const char *lines,
    size_t len, const char *why)
{
	char name[NAME_MAX + 16], note[EXPORTER_MSG_MAX + 64];
	int fd, n, rc = -1;

	snprintf(name, sizeof(name), "%s", seg);
	fd = openat(f->rejfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0640);
	if (fd == -1 || fileio_write_all(fd, lines, len) == -1 ||
	    fsync(fd) == -1)
		goto out;
	close(fd);
	snprintf(name, sizeof(name), "%s.reason", seg);
	fd = openat(f->rejfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0640);
	n = snprintf(note, sizeof(note), "%lld %s\n", (long long)time(NULL), why);
	if (fd == -1 || fileio_write_all(fd, note, (size_t)n) == -1 ||
	    fsync(fd) == -1)
		goto out;
	/* The files' names too, before the offsets move past the lines. */
	if (fsync(f->rejfd) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		log_warn("%s: %s/%s", __func__, SPOOLFMT_REJECTED_DIR, name);
	if (fd != -1)
		close(fd);
	return rc;
}

int
flusher_set_aside(struct flusher *f, const char *seg, const char *lines,
    size_t len, const char *why)
{
	if (flusher_aside(f, seg, lines, len, why) == -1)
		return -1;
	flusher_prune_rejected(f);
	return 0;
}

/* The segment files of every kind in dirfd, oldest first within a kind. */
static int
flusher_list_all(int dirfd, char ***names, size_t *n)
{
	char **a, **b;
	size_t na, nb;

	if (spoolread_list(dirfd, SPOOLFMT_KIND_SPANS, &a, &na) == -1)
		return -1;
	if (spoolread_list(dirfd, SPOOLFMT_KIND_FEEDBACK, &b, &nb) == -1) {
		spoolread_list_free(a, na);
		return -1;
	}
	a = xrealloc(a, (na + nb + 1) * sizeof(*a));
	memcpy(a + na, b, nb * sizeof(*b));
	free(b);
	*names = a;
	*n = na + nb;
	return 0;
}

/* Pruning goes oldest first over both kinds: by the creation time in the
 * name ("<kind>-<ms>-..."). */
static int
flusher_age_cmp(const void *a, const void *b)
{
	const char *x = strchr(*(char *const *)a, '-');
	const char *y = strchr(*(char *const *)b, '-');

	return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

static long long
flusher_dir_bytes(int dirfd, char ***names, size_t *n)
{
	long long total = 0;
	struct stat st;

	if (flusher_list_all(dirfd, names, n) == -1)
		return -1;
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), flusher_age_cmp);
	for (size_t i = 0; i < *n; i++)
		if (fstatat(dirfd, (*names)[i], &st, 0) == 0)
			total += st.st_size;
	return total;
}

/* Keep sent/ within keep_sent_bytes, oldest first. */
static void
flusher_prune_sent(struct flusher *f)
{
	long long total;
	struct stat st;
	char **names;
	size_t n;

	if ((total = flusher_dir_bytes(f->sentfd, &names, &n)) == -1)
		return;
	for (size_t i = 0; i < n && total > f->cfg.keep_sent_bytes; i++) {
		if (fstatat(f->sentfd, names[i], &st, 0) == -1 ||
		    unlinkat(f->sentfd, names[i], 0) == -1)
			continue;
		total -= st.st_size;
		log_debug("pruned %s/%s", SPOOLFMT_SENT_DIR, names[i]);
	}
	spoolread_list_free(names, n);
}

/* Keep rejected/ within rejected_max_bytes: a collector refusing
 * everything must not fill the disk. Oldest first, with its reason. */
static void
flusher_prune_rejected(struct flusher *f)
{
	char reason[NAME_MAX + 16], **names;
	long long total, sz;
	struct stat st;
	size_t n;

	if ((total = flusher_dir_bytes(f->rejfd, &names, &n)) == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(reason, sizeof(reason), "%s.reason", names[i]);
		if (fstatat(f->rejfd, reason, &st, 0) == 0)
			total += st.st_size;
	}
	for (size_t i = 0; i < n && total > f->cfg.rejected_max_bytes; i++) {
		if (fstatat(f->rejfd, names[i], &st, 0) == -1 ||
		    unlinkat(f->rejfd, names[i], 0) == -1)
			continue;
		sz = st.st_size;
		snprintf(reason, sizeof(reason), "%s.reason", names[i]);
		if (fstatat(f->rejfd, reason, &st, 0) == 0 &&
		    unlinkat(f->rejfd, reason, 0) == 0)
			sz += st.st_size;
		total -= sz;
		f->st.pruned_rejected++;
		log_warnx("%s/ over SPOOL_REJECTED_MAX_BYTES (%lld): removed "
		    "the oldest, %s (%lld bytes)", SPOOLFMT_REJECTED_DIR,
		    f->cfg.rejected_max_bytes, names[i], sz);
	}
	spoolread_list_free(names, n);
}

/* Move one rejected/ file back into the spool under a new segment name
 * (a new name sorts after what is there, and is never a live writer's). */
static int
flusher_requeue(struct flusher *f, const char *name, unsigned int seq)
{
	char seg[SPOOLFMT_NAME_MAX], reason[NAME_MAX + 16];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (spoolfmt_segment_name(seg, sizeof(seg),
	    spoolfmt_segment_kind(name),
	    (long long)ts.tv_sec *
	    1000 + ts.tv_nsec / 1000000, (long)getpid(), "00000000",
	    seq) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (renameat(f->rejfd, name, f->dirfd, seg) == -1)
		return -1;
	snprintf(reason, sizeof(reason), "%s.reason", name);
	if (unlinkat(f->rejfd, reason, 0) == -1 && errno != ENOENT)
		log_warn("%s: %s/%s", __func__, SPOOLFMT_REJECTED_DIR, reason);
	log_info("%s/%s queued again as %s", SPOOLFMT_REJECTED_DIR, name, seg);
	return 0;
}

int
flusher_redrive(struct flusher *f)
{
	char **names;
	size_t n;
	int moved = 0;

	if (flusher_list_all(f->rejfd, &names, &n) == -1) {
		log_warn("%s: %s/", __func__, SPOOLFMT_REJECTED_DIR);
		return -1;
	}
	for (size_t i = 0; i < n && moved >= 0; i++) {
		if (flusher_requeue(f, names[i], (unsigned int)i) == 0)
			moved++;
		else {
			log_warn("%s: %s/%s", __func__, SPOOLFMT_REJECTED_DIR,
			    names[i]);
			moved = -1;
		}
	}
	spoolread_list_free(names, n);
	flusher_sync_dir(f->dirfd);
	flusher_sync_dir(f->rejfd);
	return moved;
}

/* A complete segment shipped to its end (a torn tail counted and left
 * in it) moves to sent/. */
static void
flusher_retire(struct flusher *f)
{
	int moved = 0;

	for (size_t i = f->nsegs; i-- > 0;) {
		struct flusher_seg *s = &f->segs[i];

		/* A parked segment's tail is looked at once a batch reaches
		 * it, not here: that would open every one. */
		if (!s->seg.complete || (s->offset < s->seg.size &&
		    (s->seg.fd == -1 ||
		    !spoolread_torn_tail(&s->seg, s->offset))))
			continue;
		if (s->offset < s->seg.size) {
			f->st.torn_lines++;
			log_warnx("%s: torn last line (%lld bytes) skipped",
			    s->seg.name, (long long)(s->seg.size - s->offset));
		}
		if (renameat(f->dirfd, s->seg.name, f->sentfd, s->seg.name) == -1) {
			log_warn("%s: moving %s to %s/", __func__, s->seg.name,
			    SPOOLFMT_SENT_DIR);
			continue;
		}
		flusher_forget(f, i);
		moved = 1;
	}
	if (!moved)
		return;
	flusher_sync_dir(f->sentfd);
	flusher_sync_dir(f->dirfd);
	if (flusher_save_offsets(f) == -1)
		log_warn("%s: saving shipped offsets", __func__);
	flusher_prune_sent(f);
}

int
flusher_to_sent(struct flusher *f, const char *name)
{
	if (renameat(f->dirfd, name, f->sentfd, name) == -1) {
		log_warn("%s: moving %s to %s/", __func__, name,
		    SPOOLFMT_SENT_DIR);
		return -1;
	}
	flusher_sync_dir(f->sentfd);
	flusher_sync_dir(f->dirfd);
	flusher_prune_sent(f);
	return 0;
}

/* ---- The mark: how far the spans were, for what must follow them ---- */

/* The end of the last whole line of the segment name at or before size,
 * looked for back to lo (lines before lo are shipped already); lo when
 * there is none. */
static off_t
flusher_line_end(struct flusher *f, const char *name, off_t size, off_t lo)
{
	char chunk[65536];
	off_t at = size;
	ssize_t r;
	size_t n;
	int fd;

	if ((fd = openat(f->dirfd, name, O_RDONLY | O_CLOEXEC)) == -1)
		return lo;
	while (at > lo) {
		n = at - lo < (off_t)sizeof(chunk) ? (size_t)(at - lo) :
		    sizeof(chunk);
		if ((r = pread(fd, chunk, n, at - (off_t)n)) != (ssize_t)n)
			break;
		for (size_t i = n; i-- > 0;)
			if (chunk[i] == '\n') {
				close(fd);
				return at - (off_t)n + (off_t)i + 1;
			}
		at -= (off_t)n;
	}
	close(fd);
	return lo;
}

int
flusher_mark(struct flusher *f, struct flusher_mark *m)
{
	struct flusher_seg *s;
	struct stat st;
	char **names;
	size_t n;

	m->v = NULL;
	m->n = 0;
	if (spoolread_list(f->dirfd, SPOOLFMT_KIND_SPANS, &names, &n) == -1) {
		log_warn("%s: %s", __func__, f->cfg.spool_dir);
		return -1;
	}
	m->v = xcalloc(n + 1, sizeof(*m->v));
	for (size_t i = 0; i < n; i++) {
		if (fstatat(f->dirfd, names[i], &st, 0) == -1)
			continue;	/* gone since: shipped or dropped */
		s = flusher_find(f, names[i]);
		snprintf(m->v[m->n].name, sizeof(m->v[0].name), "%s", names[i]);
		m->v[m->n++].end = flusher_line_end(f, names[i], st.st_size,
		    s != NULL ? s->offset : 0);
	}
	spoolread_list_free(names, n);
	return 0;
}

void
flusher_mark_clear(struct flusher_mark *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

int
flusher_passed(struct flusher *f, const struct flusher_mark *m)
{
	const struct flusher_seg *s;
	struct stat st;

	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].end == 0)
			continue;
		if ((s = flusher_find(f, m->v[i].name)) != NULL) {
			if (s->offset < m->v[i].end)
				return 0;
		} else if (fstatat(f->dirfd, m->v[i].name, &st, 0) == 0)
			return 0;	/* there, but not scanned yet */
	}
	return 1;
}

/* ---- The size cap ---------------------------------------------------- */

/* The whole lines from `from` that cover at least `want` bytes (fewer at
 * the end of the segment): how many, and where the last of them ends. */
static uint64_t
flusher_oldest_lines(const struct spoolread_segment *seg, off_t from,
    off_t want, off_t *end)
{
	char chunk[65536];
	off_t at = from;
	uint64_t n = 0;
	ssize_t r;

	*end = from;
	while (at < seg->size && *end - from < want) {
		r = pread(seg->fd, chunk, sizeof(chunk), at);
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && *end - from < want; i++)
			if (chunk[i] == '\n') {
				n++;
				*end = at + i + 1;
			}
		at += r;
	}
	return n;
}

static int
flusher_covers(const struct flusher *f, const char *name)
{
	for (size_t i = 0; i < f->ncovers; i++)
		if (strcmp(f->covers[i].name, name) == 0)
			return 1;
	return 0;
}

static void
flusher_drop_pending(struct flusher *f)
{
	free(f->packed);
	f->packed = NULL;
	f->pending = 0;
	f->ncovers = 0;
	f->nsplit = 0;
	f->refused_lines = f->refused_spans = 0;
	buf_reset(&f->lines);
}

/* Over max_bytes of unshipped spans (a long outage), drop just enough of
 * the oldest: /chat keeps serving and the newest spans are kept. */
static void
flusher_enforce_cap(struct flusher *f)
{
	size_t i = 0;

	while (f->st.backlog_bytes > f->cfg.max_bytes && i < f->nsegs) {
		struct flusher_seg *s = &f->segs[i];
		off_t end;
		uint64_t n;

		if (flusher_ready(f, s) == -1) {
			i++;
			continue;
		}
		n = flusher_oldest_lines(&s->seg, s->offset,
		    f->st.backlog_bytes - f->cfg.max_bytes, &end);

		if (n > 0 && flusher_covers(f, s->seg.name))
			flusher_drop_pending(f);
		f->st.dropped_lines += n;
		f->st.backlog_bytes -= end - s->offset;
		if (n > 0)
			log_warnx("spool over SPOOL_MAX_BYTES (%lld): dropped "
			    "the oldest %llu unshipped lines (%lld bytes) of %s",
			    f->cfg.max_bytes, (unsigned long long)n,
			    (long long)(end - s->offset), s->seg.name);
		if (s->seg.complete && (end == s->seg.size ||
		    spoolread_torn_tail(&s->seg, end))) {
			if (unlinkat(f->dirfd, s->seg.name, 0) == -1)
				log_warn("%s: %s", __func__, s->seg.name);
			f->st.backlog_bytes -= s->seg.size - end;
			flusher_forget(f, i);
			continue;
		}
		if (n > 0) {
			s->offset = end;
			ckpt_set(&f->ckpt, s->seg.name, end);
		}
		i++;		/* still being written: try the next one */
	}
	if (flusher_save_offsets(f) == -1)
		log_warn("%s: saving shipped offsets", __func__);
}

/* While the collector is down, say how the backlog grows (each doubling
 * from 1 MiB), not on every retry. */
static void
flusher_log_backlog(struct flusher *f)
{
	long long b = f->st.backlog_bytes;

	if (f->down_since == 0 || b < 1024 * 1024 || b < 2 * f->logged_backlog)
		return;
	log_info("backlog %lld bytes waiting in the spool", b);
	f->logged_backlog = b;
}

/* ---- Batches ----------------------------------------------------------- */

static void
flusher_cover(struct flusher *f, const char *name, off_t end)
{
	if (f->ncovers > 0 &&
	    strcmp(f->covers[f->ncovers - 1].name, name) == 0) {
		f->covers[f->ncovers - 1].end = end;
		return;
	}
	f->covers = xrealloc(f->covers, (f->ncovers + 1) * sizeof(*f->covers));
	snprintf(f->covers[f->ncovers].name, sizeof(f->covers[0].name), "%s",
	    name);
	f->covers[f->ncovers++].end = end;
}

/* Set aside a line that is not OTLP/JSON spans, saying why. */
static enum flusher_take
flusher_take_aside(struct flusher *f, const char *seg, const char *line,
    size_t len, const char *err)
{
	char why[OTLP_ERR_MAX + 32];

	f->st.bad_lines++;
	log_warnx("%s: a line that is not OTLP/JSON set aside in %s/: %s",
	    seg, SPOOLFMT_REJECTED_DIR, err);
	snprintf(why, sizeof(why), "not OTLP/JSON: %s", err);
	return flusher_aside(f, seg, line, len, why) == -1 ?
	    FLUSHER_TAKE_ERROR : FLUSHER_TAKE_ASIDE;
}

/* Offer one line (with its '\n') to the batch. A line of spans whose
 * spans would pass the span limit is left for the next batch (and parsed
 * again then). */
static enum flusher_take
flusher_take_line(struct flusher *f, const char *seg, const char *line,
    size_t len)
{
	char err[OTLP_ERR_MAX];
	size_t n = 0;

	if (spoolfmt_line_kind(line, len - 1) != SPOOLFMT_KIND_SPANS)
		return flusher_take_aside(f, seg, line, len,
		    "line: not a spans line (no resourceSpans first)");
	otlp_batch_reset(f->probe);
	if (otlp_batch_add_line(f->probe, line, len - 1, &n, err,
	    sizeof(err)) == -1)
		return flusher_take_aside(f, seg, line, len, err);
	if (f->pending_spans > 0 && f->pending_spans + n > f->cfg.batch_spans)
		return FLUSHER_TAKE_FULL;
	otlp_batch_move(f->batch, f->probe);
	f->pending_spans += n;
	return FLUSHER_TAKE_KEPT;
}

/* Take whole lines of one segment into the batch, within the budget;
 * lines set aside are consumed but not kept in the batch's text. A
 * segment that cannot be read is logged and skipped. */
static enum flusher_fill
flusher_fill_from(struct flusher *f, struct flusher_seg *s, size_t *budget)
{
	size_t start = f->lines.len, pos, keep, len, consumed;
	enum flusher_take r = FLUSHER_TAKE_KEPT;
	off_t from = s->offset;
	ssize_t got;
	char *nl;

	if (s->offset >= s->seg.size)
		return FLUSHER_FILL_MORE;
	if (flusher_ready(f, s) == -1)
		return FLUSHER_FILL_MORE;
	if ((got = spoolread_lines(&s->seg, from, *budget, &f->lines)) <= 0) {
		if (got == -1)
			log_warn("%s: reading %s", __func__, s->seg.name);
		return FLUSHER_FILL_MORE;
	}
	for (pos = keep = start; pos < start + (size_t)got; pos += len) {
		nl = memchr(f->lines.data + pos, '\n', start + (size_t)got - pos);
		len = (size_t)(nl - (f->lines.data + pos)) + 1;
		/* One line may pass the budget, but only in an empty batch. */
		if (keep > 0 && keep + len > f->cfg.batch_bytes) {
			r = FLUSHER_TAKE_FULL;
			break;
		}
		r = flusher_take_line(f, s->seg.name, f->lines.data + pos, len);
		if (r == FLUSHER_TAKE_KEPT) {
			memmove(f->lines.data + keep, f->lines.data + pos, len);
			keep += len;
		} else if (r != FLUSHER_TAKE_ASIDE)
			break;
	}
	consumed = pos - start;
	f->lines.len = keep;
	f->lines.data[keep] = '\0';
	if (consumed > 0)
		flusher_cover(f, s->seg.name, from + (off_t)consumed);
	*budget = consumed < *budget ? *budget - consumed : 0;
	if (r == FLUSHER_TAKE_ERROR)
		return FLUSHER_FILL_ERROR;
	return r == FLUSHER_TAKE_FULL || *budget == 0 ||
	    f->pending_spans >= f->cfg.batch_spans ?
	    FLUSHER_FILL_FULL : FLUSHER_FILL_MORE;
}

/* The offsets after a batch: written every time, fsynced at most every
 * cfg.sync_ms (then also once idle, flusher_sync_idle, and when the
 * flusher stops). Two fsyncs per batch cost a third of the flusher's CPU
 * under load (docs/performance.md); an offset that a power cut takes back
 * only sends spans again, and what was set aside is in rejected/,
 * fsynced, before its offset moves. */
static int
flusher_save_offsets(struct flusher *f)
{
	long long t = flusher_now_ms();

	if (f->cfg.sync_ms > 0 && t - f->synced_ms < f->cfg.sync_ms)
		return ckpt_write(&f->ckpt);
	if (ckpt_save(&f->ckpt) == -1)
		return -1;
	f->synced_ms = t;
	return 0;
}

/* Idle: offsets written but not fsynced become durable within sync_ms.
 * A failure is logged and tried again a period later; it loses nothing. */
static void
flusher_sync_idle(struct flusher *f)
{
	long long t = flusher_now_ms();

	if (!f->ckpt.unsynced || t - f->synced_ms < f->cfg.sync_ms)
		return;
	f->synced_ms = t;
	if (ckpt_save(&f->ckpt) == -1)
		log_warn("%s: syncing shipped offsets", __func__);
}

static int
flusher_commit(struct flusher *f)
{
	struct flusher_seg *s;

	for (size_t i = 0; i < f->ncovers; i++)
		if ((s = flusher_find(f, f->covers[i].name)) != NULL) {
			s->offset = f->covers[i].end;
			ckpt_set(&f->ckpt, s->seg.name, s->offset);
		}
	flusher_drop_pending(f);
	if (flusher_save_offsets(f) == -1) {
		log_warn("%s: saving shipped offsets", __func__);
		return -1;
	}
	flusher_retire(f);
	return 0;
}

/* Make the next batch from the oldest unshipped lines. */
static enum flusher_batch
flusher_fill(struct flusher *f)
{
	enum flusher_fill r = FLUSHER_FILL_MORE;
	size_t budget = f->cfg.batch_bytes;

	otlp_batch_reset(f->batch);
	flusher_drop_pending(f);
	f->pending_spans = 0;
	for (size_t i = 0; i < f->nsegs && r == FLUSHER_FILL_MORE; i++) {
		r = flusher_fill_from(f, &f->segs[i], &budget);
		if (i >= FLUSHER_OPEN_MAX)	/* its lines are copied */
			spoolread_park(&f->segs[i].seg);
	}
	if (r == FLUSHER_FILL_ERROR)
		return FLUSHER_BATCH_ERROR;
	if (f->pending_spans == 0) {	/* at most lines set aside */
		if (f->ncovers > 0 && flusher_commit(f) == -1)
			return FLUSHER_BATCH_ERROR;
		flusher_sync_idle(f);
		return FLUSHER_BATCH_NONE;
	}
	f->packed = otlp_batch_pack(f->batch, &f->packed_len);
	f->pending = 1;
	f->attempt = 0;
	return FLUSHER_BATCH_READY;
}

/* ---- Sending ----------------------------------------------------------- */

static void
flusher_collector_up(struct flusher *f)
{
	if (f->down_since == 0)
		return;
	log_info("collector %s again after %lld s; backlog %lld bytes",
	    f->config_down ? "accepts our settings" : "reachable",
	    (long long)(time(NULL) - f->down_since), f->st.backlog_bytes);
	f->down_since = 0;
	f->config_down = 0;
	f->logged_backlog = 0;
}

static void
flusher_partial(struct flusher *f, const struct exporter_result *res,
    size_t nspans)
{
	char msg[EXPORTER_MSG_MAX];
	int64_t rejected = 0;

	if (res->body == NULL || res->body_len == 0)
		return;
	if (otlp_parse_response(res->body, res->body_len, &rejected, msg,
	    sizeof(msg)) == -1) {
		log_debug("%s: answer is not an ExportTraceServiceResponse: %s",
		    __func__, msg);
		return;
	}
	if (rejected > 0 || msg[0] != '\0') {
		/* Accepted as a whole: a partial success is not retried. */
		log_warnx("collector rejected %lld of %zu spans: %s",
		    (long long)rejected, nspans, msg);
		f->st.spans_rejected += (uint64_t)(rejected > 0 ? rejected : 0);
	}
}

/* The lines of r in a request of their own, for a part of a split batch.
 * They were parsed when the batch was made, so they parse again. */
static uint8_t *
flusher_pack_range(struct flusher *f, const struct flusher_range *r,
    size_t *len, size_t *nspans)
{
	const char *p = f->lines.data + r->off, *end = p + r->len, *nl;
	char err[OTLP_ERR_MAX];
	size_t n;

	otlp_batch_reset(f->probe);
	*nspans = 0;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = 0;
		if (otlp_batch_add_line(f->probe, p, (size_t)(nl - p), &n, err,
		    sizeof(err)) == -1)
			fatalx("%s: a batch line no longer parses: %s",
			    __func__, err);
		*nspans += n;
	}
	return otlp_batch_pack(f->probe, len);
}

static void
flusher_push(struct flusher *f, size_t off, size_t len)
{
	if (f->nsplit == f->capsplit) {
		f->capsplit = f->capsplit ? f->capsplit * 2 : 16;
		f->split = xrealloc(f->split, f->capsplit * sizeof(*f->split));
	}
	f->split[f->nsplit++] = (struct flusher_range){ off, len };
}

/* The part just sent is done with. Once the whole batch is, its offsets
 * move (a refusal's lines are safe in rejected/ by then). */
static enum flusher_step
flusher_part_done(struct flusher *f)
{
	if (f->nsplit > 0 && --f->nsplit > 0)
		return FLUSHER_SENT;
	if (f->refused_lines > 0)
		log_warnx("collector refused %llu lines (%llu spans) of a "
		    "batch (%s); they are in %s/%s, the rest was shipped",
		    (unsigned long long)f->refused_lines,
		    (unsigned long long)f->refused_spans, f->refused_msg,
		    SPOOLFMT_REJECTED_DIR, f->covers[0].name);
	return flusher_commit(f) == -1 ? FLUSHER_ERROR : FLUSHER_SENT;
}

/* The bytes of the first k lines of p (len bytes of whole lines). */
static size_t
flusher_lines_len(const char *p, size_t len, size_t k)
{
	size_t i = 0;

	while (k > 0 && i < len)
		if (p[i++] == '\n')
			k--;
	return i;
}

/* The collector refused the content of r (a 400, 413 or 422): halve it
 * until the refused lines are alone, and set only those aside. */
static enum flusher_step
flusher_refused(struct flusher *f, struct flusher_range r, size_t nspans,
    const struct exporter_result *res, long *delay_ms)
{
	const char *p = f->lines.data + r.off;
	size_t lines = 0, half;

	for (size_t i = 0; i < r.len; i++)
		lines += p[i] == '\n';
	if (lines > 1) {
		if (f->nsplit > 0)
			f->nsplit--;
		half = flusher_lines_len(p, r.len, lines / 2);
		flusher_push(f, r.off + half, r.len - half);
		flusher_push(f, r.off, half);
		log_debug("a refused part of %zu lines is split in two", lines);
		return FLUSHER_SENT;
	}
	if (flusher_aside(f, f->covers[0].name, p, r.len, res->msg) == -1) {
		*delay_ms = EXPORTER_BACKOFF_MAX_MS;
		return FLUSHER_ERROR;
	}
	flusher_prune_rejected(f);
	f->refused_lines++;
	f->refused_spans += nspans;
	f->st.spans_rejected += nspans;
	snprintf(f->refused_msg, sizeof(f->refused_msg), "%s", res->msg);
	return flusher_part_done(f);
}

static enum flusher_step
flusher_unavailable(struct flusher *f, const struct exporter_result *res,
    long *delay_ms)
{
	if (f->down_since == 0) {
		f->down_since = time(NULL);
		log_warnx("collector unavailable (%s); spans wait in the spool "
		    "(backlog %lld bytes)", res->msg, f->st.backlog_bytes);
	}
	*delay_ms = exporter_retry_delay_ms(f->attempt++, res->retry_after_ms,
	    NULL, NULL);
	f->st.retries++;
	return FLUSHER_RETRY;
}

/* 401, 404 and the like: our settings are wrong, not the spans. Say so
 * once, keep everything, and probe until someone fixes them. */
static enum flusher_step
flusher_misconfigured(struct flusher *f, const struct exporter_result *res,
    long *delay_ms)
{
	if (!f->config_down) {
		if (f->down_since == 0)
			f->down_since = time(NULL);
		f->config_down = 1;
		log_warnx("collector refuses our settings (%s): check %s; "
		    "nothing is set aside, spans wait in the spool (backlog "
		    "%lld bytes) and are shipped once it accepts them",
		    res->msg, res->check ? res->check : "the endpoint",
		    f->st.backlog_bytes);
	}
	*delay_ms = exporter_backoff_ms(f->attempt++, EXPORTER_BACKOFF_BASE_MS,
	    EXPORTER_PROBE_MAX_MS, NULL, NULL);
	f->st.retries++;
	return FLUSHER_CONFIG;
}

static enum flusher_step
flusher_send(struct flusher *f, long *delay_ms)
{
	struct flusher_range whole = { 0, f->lines.len }, r = whole;
	size_t len = f->packed_len, nspans = f->pending_spans;
	struct exporter_result res;
	uint8_t *part = NULL;
	int rc;

	if (f->nsplit > 0) {
		r = f->split[f->nsplit - 1];
		part = flusher_pack_range(f, &r, &len, &nspans);
	}
	rc = exporter_send(f->ex, part ? part : f->packed, len, &res);
	free(part);
	if (rc == 0) {
		flusher_collector_up(f);
		flusher_partial(f, &res, nspans);
		f->st.spans_sent += nspans;
		f->st.batches_sent++;
		f->attempt = 0;
		return flusher_part_done(f);
	}
	switch (res.outcome) {
	case EXPORTER_CONFIG:
		return flusher_misconfigured(f, &res, delay_ms);
	case EXPORTER_REJECT:
		flusher_collector_up(f);
		f->attempt = 0;
		return flusher_refused(f, r, nspans, &res, delay_ms);
	default:
		return flusher_unavailable(f, &res, delay_ms);
	}
}

enum flusher_step
flusher_step(struct flusher *f, long *delay_ms)
{
	*delay_ms = 0;
	if (flusher_scan(f) == -1)
		return FLUSHER_ERROR;
	flusher_enforce_cap(f);
	flusher_log_backlog(f);
	if (!f->pending) {
		switch (flusher_fill(f)) {
		case FLUSHER_BATCH_ERROR:
			return FLUSHER_ERROR;
		case FLUSHER_BATCH_NONE:
			flusher_retire(f);
			return FLUSHER_IDLE;
		case FLUSHER_BATCH_READY:
			break;
		}
	}
	return flusher_send(f, delay_ms);
}
