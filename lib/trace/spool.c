/* spool.c - append-only segments under SPOOL_DIR, spans and feedback; the
 * only writer there. Each process writes its own locked segment of each
 * kind; the format, lock protocol and durability are in
 * docs/spool-format.md.
 * json-c objects built here are put before each function returns. */
#define _GNU_SOURCE	/* renameat2 */
#include "spool.h"
#include "spoolfmt.h"
#include "feedrec.h"
#include "hex.h"
#include "buf.h"
#include "fileio.h"
#include "tracectx.h"
#include "log.h"
#include "xalloc.h"

#include <sys/file.h>
#include <dirent.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SPOOL_SDK_NAME		"recipe-chat"
#define SPOOL_NAME_TRIES	8	/* name collisions before giving up */
#define SPOOL_JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | \
    JSON_C_TO_STRING_NOSLASHESCAPE)

/* The active segment of one kind, and its full-disk state. */
struct spool_seg {
	enum spoolfmt_kind kind;
	int		 fd;		/* active segment, locked; or -1 */
	off_t		 size;		/* bytes in the active segment */
	char		 name[SPOOLFMT_NAME_MAX];
	int		 dropping;	/* the last append found no space */
	long long	 drop_logged_ms; /* monotonic */
	unsigned long long unlogged;	/* lines dropped since that log */
};

struct spool {
	pthread_mutex_t	 mu;		/* guards everything below */
	int		 dirfd;
	char		*dir;
	char		*prefix;	/* the line up to the spans array */
	size_t		 prefixlen;
	pid_t		 pid;		/* the process that opened it */
	struct spool_seg spans;		/* SPOOLFMT_KIND_SPANS */
	struct spool_seg feedback;	/* SPOOLFMT_KIND_FEEDBACK */
	unsigned int	 seq;		/* shared by both kinds */
	char		 tag[9];	/* random: tells apart writers that
					 * share a pid (containers) */
	long long	 max_bytes;	/* 0: no limit */
	off_t		 seg_bytes;	/* rotate past this */
	struct spool_stats st;
};

/* Append {"key":key,"value":{kind:val}} to arr; takes val. */
static void
spool_kv_add(json_object *arr, const char *key, const char *kind,
    json_object *val)
{
	json_object *kv = json_object_new_object();
	json_object *v = json_object_new_object();

	json_object_object_add(v, kind, val);
	json_object_object_add(kv, "key", json_object_new_string(key));
	json_object_object_add(kv, "value", v);
	json_object_array_add(arr, kv);
}

static void
spool_kv_str(json_object *arr, const char *key, const char *val)
{
	spool_kv_add(arr, key, "stringValue", json_object_new_string(val));
}

static json_object *
spool_resource_json(const struct spool_resource *res)
{
	json_object *r = json_object_new_object();
	json_object *a = json_object_new_array();
	char pid[24];

	spool_kv_str(a, "service.name",
	    res->service_name != NULL ? res->service_name : SPOOL_SDK_NAME);
	if (res->project_name != NULL)
		spool_kv_str(a, "openinference.project.name", res->project_name);
	spool_kv_str(a, "telemetry.sdk.name", SPOOL_SDK_NAME);
	spool_kv_str(a, "telemetry.sdk.language", "c");
	spool_kv_str(a, "telemetry.sdk.version", RC_VERSION);
	/* OTLP/JSON writes 64-bit integers as decimal strings. */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	spool_kv_add(a, "process.pid", "intValue", json_object_new_string(pid));
	json_object_object_add(r, "attributes", a);
	return r;
}

static json_object *
spool_scope_json(const struct spool_resource *res)
{
	json_object *sc = json_object_new_object();

	json_object_object_add(sc, "name", json_object_new_string(
	    res->scope_name != NULL ? res->scope_name : SPOOL_SDK_NAME));
	if (res->scope_version != NULL)
		json_object_object_add(sc, "version",
		    json_object_new_string(res->scope_version));
	return sc;
}

/* The text every line starts with, built once: the envelope up to the
 * spans array (spoolfmt.h). Caller frees. */
static char *
spool_line_prefix(const struct spool_resource *res, size_t *len)
{
	json_object *r = spool_resource_json(res), *sc = spool_scope_json(res);
	const char *rt, *st;
	struct buf b;

	buf_init(&b, SPOOLFMT_LINE_MAX);
	rt = json_object_to_json_string_ext(r, SPOOL_JSON_FLAGS);
	st = json_object_to_json_string_ext(sc, SPOOL_JSON_FLAGS);
	if (spoolfmt_begin(&b) == -1 ||
	    spoolfmt_group_begin(&b, 1, rt, strlen(rt), st, strlen(st)) == -1)
		fatalx("%s: resource too large", __func__);
	json_object_put(r);
	json_object_put(sc);
	*len = b.len;
	return buf_take(&b);
}

/* mkdir -p for the last component only: the parent must exist. */
static int
spool_open_dir(const char *dir, char *err, size_t errlen)
{
	int fd;

	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "spool: mkdir %s: %s%s", dir,
		    strerror(errno), errno == ENOENT ?
		    " (its parent directory must exist)" : "");
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		snprintf(err, errlen, "spool: open %s: %s", dir,
		    strerror(errno));
	return fd;
}

static void
spool_make_tag(struct spool *sp)
{
	uint8_t r[4];

	if (tracectx_random(r, sizeof(r)) == -1)
		memset(r, 0, sizeof(r));	/* pid and time still differ */
	hex_encode(r, sizeof(r), sp->tag);
}

struct spool *
spool_open(const char *dir, const struct spool_resource *res, char *err,
    size_t errlen)
{
	static const struct spool_resource none;
	struct spool *sp;
	int dirfd;

	if (dir == NULL || dir[0] == '\0') {
		snprintf(err, errlen, "spool: no directory given");
		return NULL;
	}
	if ((dirfd = spool_open_dir(dir, err, errlen)) == -1)
		return NULL;
	sp = xcalloc(1, sizeof(*sp));
	pthread_mutex_init(&sp->mu, NULL);
	sp->dirfd = dirfd;
	sp->dir = xstrdup(dir);
	sp->prefix = spool_line_prefix(res != NULL ? res : &none,
	    &sp->prefixlen);
	sp->pid = getpid();
	spool_make_tag(sp);
	sp->spans = (struct spool_seg){ .kind = SPOOLFMT_KIND_SPANS, .fd = -1 };
	sp->feedback = (struct spool_seg){ .kind = SPOOLFMT_KIND_FEEDBACK,
	    .fd = -1 };
	sp->seg_bytes = SPOOL_SEGMENT_BYTES;
	return sp;
}

void
spool_set_max_bytes(struct spool *sp, long long max_bytes)
{
	pthread_mutex_lock(&sp->mu);
	sp->max_bytes = max_bytes > 0 ? max_bytes : 0;
	sp->seg_bytes = SPOOL_SEGMENT_BYTES;
	if (sp->max_bytes > 0 && sp->max_bytes / 8 < sp->seg_bytes)
		sp->seg_bytes = (off_t)(sp->max_bytes / 8);
	pthread_mutex_unlock(&sp->mu);
}

void
spool_get_stats(struct spool *sp, struct spool_stats *st)
{
	pthread_mutex_lock(&sp->mu);
	*st = sp->st;
	pthread_mutex_unlock(&sp->mu);
}

static int
spool_no_space(int err)
{
	return err == ENOSPC || err == EDQUOT;
}

/* Oldest first across kinds: segment names sort by creation time after
 * their kind's prefix ("spans-", "feedback-"), so compare from there. */
static int
spool_name_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	const char *tx = strchr(x, '-'), *ty = strchr(y, '-');
	int c;

	if (tx != NULL && ty != NULL && (c = strcmp(tx, ty)) != 0)
		return c;
	return strcmp(x, y);
}

/* The segments of dirfd, oldest first, with their total size. Caller
 * frees names and the array. Returns -1 when it cannot be read. */
static long long
spool_list(int dirfd, char ***names, size_t *n)
{
	long long total = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	*names = NULL;
	*n = 0;
	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (spoolfmt_segment_kind(de->d_name) == SPOOLFMT_KIND_NONE ||
		    fstatat(dirfd,
		    de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		*names = xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
		total += st.st_size;
	}
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), spool_name_cmp);
	return total;
}

static void
spool_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Remove a finished segment (its lock is free: its writer is gone and no
 * flusher holds it). Returns its size, or -1 when it is in use. */
static off_t
spool_remove_finished(int dirfd, const char *name)
{
	struct stat st;
	off_t size = -1;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 &&
	    unlinkat(dirfd, name, 0) == 0)
		size = st.st_size;
	close(fd);
	return size;
}

/* Past max_bytes (a flusher dead or far behind), drop the oldest finished
 * segments so the spool cannot fill the disk. Called with sp->mu held,
 * before a new segment is made. */
static void
spool_enforce_cap(struct spool *sp)
{
	long long total;
	char **names;
	size_t n;
	off_t sz;

	if (sp->max_bytes == 0 ||
	    (total = spool_list(sp->dirfd, &names, &n)) == -1)
		return;
	for (size_t i = 0; i < n && total > sp->max_bytes; i++) {
		if ((sz = spool_remove_finished(sp->dirfd, names[i])) == -1)
			continue;
		total -= sz;
		sp->st.capped_segments++;
		sp->st.capped_bytes += (unsigned long long)sz;
		log_warnx("spool %s over SPOOL_MAX_BYTES (%lld): removed the "
		    "oldest finished segment %s (%lld bytes, unshipped)",
		    sp->dir, sp->max_bytes, names[i], (long long)sz);
	}
	spool_list_free(names, n);
}

/* Out of space: shipped history goes first, oldest first, until at least
 * need bytes are freed. Returns 1 when something was removed. */
static int
spool_prune_sent(struct spool *sp, size_t need)
{
	unsigned long long freed = 0;
	struct stat st;
	char **names;
	size_t n;
	int fd;

	if ((fd = openat(sp->dirfd, SPOOLFMT_SENT_DIR, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return 0;
	if (spool_list(fd, &names, &n) == -1)
		n = 0;
	for (size_t i = 0; i < n && freed < need; i++)
		if (fstatat(fd, names[i], &st, 0) == 0 &&
		    unlinkat(fd, names[i], 0) == 0)
			freed += (unsigned long long)st.st_size;
	if (n > 0)
		spool_list_free(names, n);
	close(fd);
	if (freed > 0)
		log_info("spool %s: no space left: removed %llu bytes of "
		    "shipped history from %s/", sp->dir, freed,
		    SPOOLFMT_SENT_DIR);
	return freed > 0;
}

static long long
spool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The kind's name in the log: "turns" or "feedback records". */
static const char *
spool_seg_what(const struct spool_seg *seg)
{
	return seg->kind == SPOOLFMT_KIND_SPANS ? "turns" : "feedback records";
}

/* A line not written for lack of space: counted, and said at most once
 * a second per kind (a full disk must not flood the log too). */
static void
spool_drop(struct spool *sp, struct spool_seg *seg, size_t nspans, int err)
{
	long long now = spool_now_ms();
	unsigned long long all;

	if (seg->kind == SPOOLFMT_KIND_SPANS) {
		sp->st.dropped_turns++;
		sp->st.dropped_spans += nspans;
		all = sp->st.dropped_turns;
	} else
		all = ++sp->st.dropped_feedback;
	seg->unlogged++;
	if (seg->dropping && now - seg->drop_logged_ms < 1000)
		return;
	log_warnx("spool %s: %s: %llu %s not spooled since the last "
	    "message, %llu in all; writing resumes as soon as space frees",
	    sp->dir, strerror(err), seg->unlogged, spool_seg_what(seg), all);
	seg->drop_logged_ms = now;
	seg->unlogged = 0;
	seg->dropping = 1;
}

static void
spool_resumed(struct spool *sp, struct spool_seg *seg)
{
	if (!seg->dropping)
		return;
	if (seg->kind == SPOOLFMT_KIND_SPANS)
		log_warnx("spool %s: writing again; %llu turns (%llu spans) "
		    "dropped in all", sp->dir, sp->st.dropped_turns,
		    sp->st.dropped_spans);
	else
		log_warnx("spool %s: writing feedback again; %llu feedback "
		    "records dropped in all", sp->dir,
		    sp->st.dropped_feedback);
	seg->dropping = 0;
	seg->unlogged = 0;
}

/* Give the locked temporary file its segment name, durably. */
static int
spool_publish(struct spool *sp, const char *tmp, const char *name)
{
	if (renameat2(sp->dirfd, tmp, sp->dirfd, name,
	    RENAME_NOREPLACE) == -1) {
		if (errno != EINVAL || renameat(sp->dirfd, tmp, sp->dirfd,
		    name) == -1)
			return -1;
	}
	if (fsync(sp->dirfd) == -1)
		log_warn("%s: fsync %s", __func__, sp->dir);
	return 0;
}

/* Create a new segment of seg's kind under a hidden name. Returns its
 * descriptor, or -1 with errno set and tmp holding the name tried. */
static int
spool_segment_create(struct spool *sp, struct spool_seg *seg, char *tmp,
    size_t tmplen)
{
	struct timespec ts;
	int fd = -1, tries;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (tries = 0; tries < SPOOL_NAME_TRIES; tries++) {
		if (spoolfmt_segment_name(seg->name, sizeof(seg->name),
		    seg->kind, (long long)ts.tv_sec * 1000 +
		    ts.tv_nsec / 1000000, (long)sp->pid, sp->tag,
		    sp->seq++) == -1) {
			errno = ENAMETOOLONG;
			return -1;
		}
		snprintf(tmp, tmplen, ".%s", seg->name);
		fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_APPEND | O_CLOEXEC, 0640);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	return fd;
}

/* Create and lock a new segment. It is locked under a hidden name first,
 * so a reader never finds a live segment it can lock. */
static int
spool_segment_open(struct spool *sp, struct spool_seg *seg)
{
	char tmp[sizeof(seg->name) + 1] = "";
	int fd, saved;

	spool_enforce_cap(sp);
	if ((fd = spool_segment_create(sp, seg, tmp, sizeof(tmp))) == -1) {
		if (!spool_no_space(errno))	/* that one: spool_drop */
			log_warn("%s: create %s/%s", __func__, sp->dir, tmp);
		return -1;
	}
	if (flock(fd, LOCK_EX) == -1 || spool_publish(sp, tmp,
	    seg->name) == -1) {
		saved = errno;
		if (!spool_no_space(saved))
			log_warn("%s: lock or rename %s/%s", __func__, sp->dir,
			    tmp);
		unlinkat(sp->dirfd, tmp, 0);
		close(fd);
		errno = saved;
		return -1;
	}
	seg->fd = fd;
	seg->size = 0;
	return 0;
}

/* A full segment taken off the writer under sp->mu, synced and closed by
 * spool_retired_close after it: the fdatasync of 16 MiB took tens of ms,
 * and every thread of the process waited on the mutex meanwhile (the
 * benchmark's p99). It stays locked, so readers take it as live, until
 * then. */
struct spool_retired {
	int	fd;			/* -1: none */
	char	name[SPOOLFMT_NAME_MAX];
};

static void
spool_segment_retire(struct spool_seg *seg, struct spool_retired *ret)
{
	ret->fd = seg->fd;
	memcpy(ret->name, seg->name, sizeof(ret->name));
	seg->fd = -1;
}

static void
spool_retired_close(const struct spool *sp, struct spool_retired *ret)
{
	if (ret->fd == -1)
		return;
	if (fdatasync(ret->fd) == -1)
		log_warn("%s: fdatasync %s/%s", __func__, sp->dir, ret->name);
	close(ret->fd);
	ret->fd = -1;
}

/* Sync and close the active segment now; closing drops its lock. */
static void
spool_segment_close(struct spool *sp, struct spool_seg *seg)
{
	struct spool_retired ret = { .fd = -1 };

	if (seg->fd == -1)
		return;
	spool_segment_retire(seg, &ret);
	spool_retired_close(sp, &ret);
}

/* Called with sp->mu held. A failed write is cut back so no torn line
 * stays; if even that fails the segment is given up (readers skip a torn
 * last line of a segment they can lock). */
static int
spool_try_write(struct spool *sp, struct spool_seg *seg, const char *line,
    size_t len, struct spool_retired *ret)
{
	int saved;

	if (seg->fd == -1 && spool_segment_open(sp, seg) == -1)
		return -1;
	if (fileio_write_all(seg->fd, line, len) == -1) {
		saved = errno;
		if (!spool_no_space(saved))
			log_warn("%s: write %s/%s", __func__, sp->dir,
			    seg->name);
		if (ftruncate(seg->fd, seg->size) == -1) {
			log_warn("%s: ftruncate %s/%s", __func__, sp->dir,
			    seg->name);
			spool_segment_close(sp, seg);
		}
		errno = saved;
		return -1;
	}
	seg->size += (off_t)len;
	if (seg->size > sp->seg_bytes)
		spool_segment_retire(seg, ret);
	return 0;
}

/* Called with sp->mu held. No space: sent/ goes first, then the line. */
static int
spool_write_line(struct spool *sp, struct spool_seg *seg, const char *line,
    size_t len, size_t nspans, struct spool_retired *ret)
{
	int err;

	if (spool_try_write(sp, seg, line, len, ret) == 0)
		goto written;
	if (!spool_no_space(err = errno))
		return -1;
	if (spool_prune_sent(sp, len)) {
		if (spool_try_write(sp, seg, line, len, ret) == 0)
			goto written;
		if (!spool_no_space(err = errno))
			return -1;
	}
	spool_drop(sp, seg, nspans, err);
	return 0;
written:
	spool_resumed(sp, seg);
	return 0;
}

static int
spool_build_line(const struct spool *sp, const struct span *const *spans,
    size_t n, struct buf *b)
{
	size_t i;

	if (buf_append(b, sp->prefix, sp->prefixlen) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if ((i > 0 && buf_append(b, ",", 1) == -1) ||
		    span_write_json(spans[i], b) == -1)
			return -1;
	if (spoolfmt_group_end(b) == -1 || spoolfmt_end(b) == -1)
		return -1;
	return 0;
}

/* A forked child shares the parent's segments and locks. */
static int
spool_check_owner(const struct spool *sp, const char *fn)
{
	if (getpid() == sp->pid)
		return 0;
	log_warnx("%s: spool opened by pid %ld", fn, (long)sp->pid);
	errno = EINVAL;
	return -1;
}

int
spool_append(struct spool *sp, const struct span *const *spans, size_t n)
{
	struct spool_retired ret = { .fd = -1 };
	struct buf b;
	size_t i;
	int rc = -1, saved;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (spans[i] == NULL) {
			log_warnx("%s: NULL span", __func__);
			errno = EINVAL;
			return -1;
		}
	if (spool_check_owner(sp, __func__) == -1)
		return -1;
	buf_init(&b, SPOOLFMT_LINE_MAX);
	if (spool_build_line(sp, spans, n, &b) == -1) {
		log_warnx("%s: line over %d bytes, %zu spans not written",
		    __func__, SPOOLFMT_LINE_MAX, n);
		errno = EMSGSIZE;
		goto out;
	}
	pthread_mutex_lock(&sp->mu);
	rc = spool_write_line(sp, &sp->spans, b.data, b.len, n, &ret);
	pthread_mutex_unlock(&sp->mu);
	saved = errno;
	spool_retired_close(sp, &ret);
	errno = saved;
out:
	saved = errno;
	buf_cleanup(&b);
	errno = saved;
	return rc;
}

/* r's line into b, checked with the one reader: a record it would refuse
 * is never written. Returns 0, or -1 with errno EINVAL. */
static int
spool_feedback_line(const struct feedrec *r, struct buf *b)
{
	struct feedrec back;
	char why[128];

	if (feedrec_line(b, r) == -1) {
		log_warnx("%s: feedback line over %d bytes", __func__,
		    SPOOLFMT_LINE_MAX);
		errno = EINVAL;
		return -1;
	}
	if (feedrec_parse(b->data, b->len - 1, &back, why,
	    sizeof(why)) == -1) {
		log_warnx("%s: feedback on span %.16s not written: %s",
		    __func__, r->span_id, why);
		errno = EINVAL;
		return -1;
	}
	feedrec_clear(&back);
	return 0;
}

int
spool_append_feedback(struct spool *sp, const struct feedrec *r)
{
	struct spool_retired ret = { .fd = -1 };
	struct buf b;
	int rc = -1, saved;

	if (r == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (spool_check_owner(sp, __func__) == -1)
		return -1;
	buf_init(&b, SPOOLFMT_LINE_MAX);
	if (spool_feedback_line(r, &b) == -1)
		goto out;
	pthread_mutex_lock(&sp->mu);
	rc = spool_write_line(sp, &sp->feedback, b.data, b.len, 0, &ret);
	pthread_mutex_unlock(&sp->mu);
	saved = errno;
	spool_retired_close(sp, &ret);
	errno = saved;
out:
	saved = errno;
	buf_cleanup(&b);
	errno = saved;
	return rc;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	pthread_mutex_lock(&sp->mu);
	spool_segment_close(sp, &sp->spans);
	spool_segment_close(sp, &sp->feedback);
	pthread_mutex_unlock(&sp->mu);
	pthread_mutex_destroy(&sp->mu);
	close(sp->dirfd);
	free(sp->prefix);
	free(sp->dir);
	free(sp);
}
