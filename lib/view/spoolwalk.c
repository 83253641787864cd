/* spoolwalk.c - a viewer's reading of the spool (see spoolwalk.h); the
 * layout comes from spoolfmt.h, the segment listing from spoolread.h. */
#include "spoolwalk.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spoolfmt.h"
#include "spoolread.h"
#include "xalloc.h"

struct spoolwalk_file {
	dev_t	dev;
	ino_t	ino;
	off_t	offset;		/* handed out up to here */
	off_t	size;
	int	missed;		/* listings it was not in */
};

struct spoolwalk {
	int			 dirfd, sentfd;	/* sentfd -1 when absent */
	enum spoolfmt_kind	 kind;	/* of the segments walked */
	struct spoolwalk_file	*files;
	size_t			 n, cap;
	struct spoolwalk_stats	 st;
	char			*rd;	/* read buffer: a line being read */
	size_t			 rdcap;
};

#define SPOOLWALK_CHUNK		(256 * 1024)
/* Bytes without a '\n' past which they are skipped: twice what any
 * writer may write as one line. */
#define SPOOLWALK_READ_MAX	(2 * (size_t)SPOOLFMT_LINE_MAX)

struct spoolwalk *
spoolwalk_open(const char *dir, enum spoolfmt_kind kind, char *err,
    size_t errlen)
{
	struct spoolwalk *w = xcalloc(1, sizeof(*w));

	w->kind = kind;
	if ((w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(w);
		return NULL;
	}
	w->sentfd = openat(w->dirfd, SPOOLFMT_SENT_DIR, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	return w;
}

void
spoolwalk_free(struct spoolwalk *w)
{
	if (w == NULL)
		return;
	close(w->dirfd);
	if (w->sentfd != -1)
		close(w->sentfd);
	free(w->files);
	free(w->rd);
	free(w);
}

const struct spoolwalk_stats *
spoolwalk_stats(const struct spoolwalk *w)
{
	return &w->st;
}

uint64_t
spoolwalk_partial_bytes(const struct spoolwalk *w)
{
	uint64_t n = 0;

	for (size_t i = 0; i < w->n; i++)
		if (w->files[i].missed == 0)
			n += (uint64_t)(w->files[i].size - w->files[i].offset);
	return n;
}

static struct spoolwalk_file *
spoolwalk_find(struct spoolwalk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->files[i].dev == st->st_dev && w->files[i].ino == st->st_ino)
			return &w->files[i];
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 32;
		w->files = xrealloc(w->files, w->cap * sizeof(*w->files));
	}
	w->files[w->n] = (struct spoolwalk_file){ .dev = st->st_dev,
	    .ino = st->st_ino };
	return &w->files[w->n++];
}

/* Grow the read buffer to n bytes (out of memory aborts). */
static void
spoolwalk_room(struct spoolwalk *w, size_t n)
{
	if (n <= w->rdcap)
		return;
	w->rdcap = n;
	w->rd = xrealloc(w->rd, n);
}

/* Hand out the whole lines of fd from f->offset to its size. Read with
 * pread, not mmap: a file truncated under a mapping (a flusher's cut, a
 * writer's cut-back) would raise SIGBUS; pread just reads less. */
static int
spoolwalk_lines(struct spoolwalk *w, int fd, struct spoolwalk_file *f,
    spoolwalk_fn fn, void *arg)
{
	size_t have = 0, want, used;
	const char *p, *end, *nl;
	ssize_t r;
	int rc = 0;

	while (rc == 0 && f->offset + (off_t)have < f->size) {
		want = (size_t)(f->size - f->offset) - have;
		if (want > SPOOLWALK_CHUNK)
			want = SPOOLWALK_CHUNK;
		if (have + want > SPOOLWALK_READ_MAX) {
			f->offset += (off_t)have;	/* no line is this long */
			have = 0;
			continue;
		}
		spoolwalk_room(w, have + want);
		r = pread(fd, w->rd + have, want, f->offset + (off_t)have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;		/* cut short: the rest later */
		have += (size_t)r;
		p = w->rd;
		end = p + have;
		while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			w->st.lines++;
			w->st.bytes += (uint64_t)(nl - p) + 1;
			if (fn != NULL && fn(p, (size_t)(nl - p), arg) == -1)
				rc = -1;
			p = nl + 1;
			if (rc == -1)
				break;
		}
		used = (size_t)(p - w->rd);
		f->offset += (off_t)used;
		memmove(w->rd, p, have - used);
		have -= used;
	}
	return rc;
}

struct spoolwalk_entry {	/* a segment in one of the two directories */
	char	*name;
	int	 dirfd;
};

static int
spoolwalk_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct spoolwalk_entry *)a)->name,
	    ((const struct spoolwalk_entry *)b)->name);
}

/* Both directories' segments, oldest first. */
static struct spoolwalk_entry *
spoolwalk_list(struct spoolwalk *w, size_t *n)
{
	struct spoolwalk_entry *e = NULL;
	char **names;
	size_t k;
	/* The spool before sent/: a segment moving between the two is then
	 * seen twice (one inode, one entry), never missed. */
	int fds[2] = { w->dirfd, w->sentfd };

	*n = 0;
	for (int d = 0; d < 2; d++) {
		if (fds[d] == -1 || spoolread_list(fds[d], w->kind, &names,
		    &k) == -1)
			continue;
		e = xrealloc(e, (*n + k + 1) * sizeof(*e));
		for (size_t i = 0; i < k; i++)
			e[(*n)++] = (struct spoolwalk_entry){ names[i], fds[d] };
		free(names);
	}
	if (*n > 1)
		qsort(e, *n, sizeof(*e), spoolwalk_entry_cmp);
	return e;
}

/* Visit every segment: known ones continue from their offset, new ones
 * start at 0 (or at their end when skip is set); vanished ones go. */
static int
spoolwalk_visit(struct spoolwalk *w, spoolwalk_fn fn, void *arg, int skip)
{
	struct spoolwalk_entry *e;
	struct spoolwalk_file *f;
	struct stat st;
	size_t n, i;
	int fd, rc = 0;

	if (w->sentfd == -1)	/* the flusher may have made it since */
		w->sentfd = openat(w->dirfd, SPOOLFMT_SENT_DIR, O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < w->n; i++)
		w->files[i].missed++;
	e = spoolwalk_list(w, &n);
	for (i = 0; i < n; i++) {
		fd = openat(e[i].dirfd, e[i].name, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW);
		if (fd != -1 && fstat(fd, &st) == 0) {
			f = spoolwalk_find(w, &st);
			f->missed = 0;
			f->size = st.st_size;
			if (skip)
				f->offset = f->size;
			else if (rc == 0)
				rc = spoolwalk_lines(w, fd, f, fn, arg);
		}
		if (fd != -1)
			close(fd);
		free(e[i].name);
	}
	free(e);
	w->st.files = 0;
	/* Forget a file only once two listings missed it: it was deleted. */
	for (i = w->n; i-- > 0;)
		if (w->files[i].missed >= 2)
			w->files[i] = w->files[--w->n];
		else if (w->files[i].missed == 0)
			w->st.files++;
	return rc;
}

int
spoolwalk_read_all(struct spoolwalk *w, spoolwalk_fn fn, void *arg)
{
	return spoolwalk_visit(w, fn, arg, 0);
}

void
spoolwalk_skip_all(struct spoolwalk *w)
{
	(void)spoolwalk_visit(w, NULL, NULL, 1);
}

int
spoolwalk_poll(struct spoolwalk *w, spoolwalk_fn fn, void *arg)
{
	return spoolwalk_visit(w, fn, arg, 0);
}
