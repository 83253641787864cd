/* segment.c - reading spool segments: list, completeness, whole lines. */
#define _GNU_SOURCE	/* memrchr */
#include "segment.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

#define SEGMENT_READ_CHUNK	(256 * 1024)

int
segment_name_valid(const char *name)
{
	size_t len = strlen(name);

	return strncmp(name, "spans-", 6) == 0 && len > 12 &&
	    strcmp(name + len - 6, ".jsonl") == 0 && strchr(name, '/') == NULL;
}

static int
segment_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
segment_list(int dirfd, char ***names, size_t *n)
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

		if (!segment_name_valid(de->d_name))
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
	qsort(*names, *n, sizeof(**names), segment_cmp);
	return 0;
}

void
segment_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
segment_open(int dirfd, const char *name, struct segment *seg)
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
	if (segment_refresh(seg) == -1) {
		int saved = errno;
		segment_close(seg);
		errno = saved;
		return -1;
	}
	return 0;
}

void
segment_close(struct segment *seg)
{
	if (seg->fd != -1)
		close(seg->fd);	/* drops our lock, if held */
	seg->fd = -1;
	seg->complete = 0;
}

int
segment_refresh(struct segment *seg)
{
	struct stat st;

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
segment_read_lines(const struct segment *seg, off_t offset, size_t max,
    struct buf *out)
{
	size_t start = out->len, taken;
	char chunk[SEGMENT_READ_CHUNK];
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
segment_torn_tail(const struct segment *seg, off_t offset)
{
	char chunk[SEGMENT_READ_CHUNK];
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
