/* spoolread.c - the flusher's reader of spool segments: list,
 * completeness, whole lines (see spoolread.h). */
#define _GNU_SOURCE	/* memrchr */
#include "spoolread.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spoolfmt.h"
#include "xalloc.h"

#define SPOOLREAD_CHUNK	(256 * 1024)

static int
spoolread_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
spoolread_list(int dirfd, enum spoolfmt_kind kind, char ***names, size_t *n)
{
	struct dirent *de;
	size_t cap = 16;
	DIR *d;
	int fd;

	*n = 0;
	if ((fd = dup(dirfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	*names = xcalloc(cap, sizeof(**names));
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (spoolfmt_segment_kind(de->d_name) != kind)
			continue;
		/* Only regular files: a directory of that name is not ours. */
		if (de->d_type != DT_REG && (de->d_type != DT_UNKNOWN ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode)))
			continue;
		if (*n == cap)
			*names = xrealloc(*names, (cap *= 2) * sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(*names, *n, sizeof(**names), spoolread_cmp);
	return 0;
}

void
spoolread_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
spoolread_open(int dirfd, const char *name, struct spoolread_segment *seg)
{
	memset(seg, 0, sizeof(*seg));
	seg->fd = -1;
	if (strlen(name) >= sizeof(seg->name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(seg->name, name);
	seg->fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (seg->fd == -1)
		return -1;
	if (spoolread_refresh(seg) == -1) {
		int saved = errno;
		spoolread_close(seg);
		errno = saved;
		return -1;
	}
	return 0;
}

void
spoolread_close(struct spoolread_segment *seg)
{
	if (seg->fd != -1)
		close(seg->fd);	/* drops our lock, if held */
	seg->fd = -1;
	seg->complete = 0;
}

void
spoolread_park(struct spoolread_segment *seg)
{
	if (!seg->complete || seg->fd == -1)
		return;
	close(seg->fd);
	seg->fd = -1;
}

int
spoolread_unpark(int dirfd, struct spoolread_segment *seg)
{
	if (seg->fd != -1)
		return 0;
	seg->fd = openat(dirfd, seg->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return seg->fd == -1 ? -1 : 0;
}

int
spoolread_refresh(struct spoolread_segment *seg)
{
	struct stat st;

	if (seg->fd == -1 && seg->complete)
		return 0;		/* parked: it cannot change */

	/* Lock first, then size: once locked nothing can be added, so the
	 * size read after it is final. */
	if (!seg->complete && flock(seg->fd, LOCK_EX | LOCK_NB) == 0)
		seg->complete = 1;
	else if (!seg->complete && errno != EWOULDBLOCK)
		return -1;
	if (fstat(seg->fd, &st) == -1)
		return -1;
	seg->size = st.st_size;
	return 0;
}

ssize_t
spoolread_lines(const struct spoolread_segment *seg, off_t offset, size_t max,
    struct buf *out)
{
	size_t start = out->len, taken;
	char chunk[SPOOLREAD_CHUNK];
	char *nl;
	ssize_t r = 0;
	off_t at = offset;

	for (;;) {
		size_t room = out->limit - out->len;

		if (room == 0)
			break;
		r = pread(seg->fd, chunk, room < sizeof(chunk) ? room :
		    sizeof(chunk), at);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || buf_append(out, chunk, (size_t)r) == -1)
			break;
		at += r;
		/* Stop once past max with at least one whole line. */
		if (out->len - start >= max &&
		    memchr(out->data + start, '\n', out->len - start) != NULL)
			break;
	}
	if (r == -1)
		return -1;
	taken = out->len - start;
	if (taken > max) {
		/* Keep whole lines up to max, or the first line if longer. */
		nl = memrchr(out->data + start, '\n', max);
		if (nl == NULL)
			nl = memchr(out->data + start, '\n', taken);
	} else
		nl = taken ? memrchr(out->data + start, '\n', taken) : NULL;
	taken = nl == NULL ? 0 : (size_t)(nl - (out->data + start)) + 1;
	out->len = start + taken;
	if (out->data != NULL)
		out->data[out->len] = '\0';
	return (ssize_t)taken;
}

int
spoolread_torn_tail(const struct spoolread_segment *seg, off_t offset)
{
	char chunk[SPOOLREAD_CHUNK];
	ssize_t r;

	if (!seg->complete || offset >= seg->size)
		return 0;
	while (offset < seg->size) {
		r = pread(seg->fd, chunk, sizeof(chunk), offset);
		if (r <= 0)
			return 0;
		if (memchr(chunk, '\n', (size_t)r) != NULL)
			return 0;
		offset += r;
	}
	return 1;
}
