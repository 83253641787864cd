/* ckpt.c - durable shipped offsets of spool segments (see ckpt.h); the
 * file's name and place come from spoolfmt.h. */
#include "ckpt.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "spoolfmt.h"
#include "xalloc.h"

#define CKPT_DAMAGED	".damaged"
#define CKPT_MAX_BYTES	(4 * 1024 * 1024)

static struct ckpt_entry *
ckpt_find(const struct ckpt *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].name, name) == 0)
			return &c->e[i];
	return NULL;
}

off_t
ckpt_get(const struct ckpt *c, const char *name)
{
	const struct ckpt_entry *e = ckpt_find(c, name);

	return e != NULL ? e->offset : 0;
}

void
ckpt_set(struct ckpt *c, const char *name, off_t offset)
{
	struct ckpt_entry *e = ckpt_find(c, name);

	if (e == NULL) {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->e = xrealloc(c->e, c->cap * sizeof(*c->e));
		}
		e = &c->e[c->n++];
		snprintf(e->name, sizeof(e->name), "%s", name);
	} else if (e->offset == offset)
		return;
	e->offset = offset;
	c->dirty = 1;
}

void
ckpt_remove(struct ckpt *c, const char *name)
{
	struct ckpt_entry *e = ckpt_find(c, name);

	if (e == NULL)
		return;
	*e = c->e[--c->n];
	c->dirty = 1;
}

/* One "name offset" line; anything else is a damaged record. */
static int
ckpt_parse_line(struct ckpt *c, char *line)
{
	char *sp = strchr(line, ' ');
	long long off;

	if (sp == NULL)
		return -1;
	*sp = '\0';
	if (spoolfmt_segment_kind(line) == SPOOLFMT_KIND_NONE ||
	    config_parse_int(sp + 1, 0, (long long)1 << 50, &off) == -1)
		return -1;
	ckpt_set(c, line, (off_t)off);
	return 0;
}

/* Read the record: 0, -1 when it cannot be opened (err says why), or
 * CKPT_DAMAGED_RC when it is unreadable, too large or damaged. */
#define CKPT_DAMAGED_RC	(-2)

static int
ckpt_read(struct ckpt *c, char *err, size_t errlen)
{
	char chunk[8192], *line, *save;
	struct buf b;
	ssize_t r;
	int fd, rc = -1;

	if ((fd = openat(c->dirfd, c->file, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", c->file, strerror(errno));
		return -1;
	}
	buf_init(&b, CKPT_MAX_BYTES);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)r) == -1)
			break;
	if (r != 0) {
		snprintf(err, errlen, "%s: unreadable or too large", c->file);
		rc = CKPT_DAMAGED_RC;
		goto out;
	}
	if (b.data == NULL) {		/* an empty record */
		rc = 0;
		goto out;
	}
	for (line = strtok_r(b.data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (ckpt_parse_line(c, line) == -1) {
			snprintf(err, errlen, "%s: damaged line '%.80s'",
			    c->file, line);
			rc = CKPT_DAMAGED_RC;
			goto out;
		}
	rc = 0;
out:
	buf_cleanup(&b);
	close(fd);
	c->dirty = 0;
	return rc;
}

/* A damaged record must not stop the flusher for good (a restart would
 * find it again): keep it for a person, forget every offset and ship
 * from the start of each segment. Spans may be sent twice; none is lost. */
static int
ckpt_set_aside(struct ckpt *c, const char *dir, char *err, size_t errlen)
{
	char damaged[CKPT_FILE_MAX + sizeof(CKPT_DAMAGED)];

	snprintf(damaged, sizeof(damaged), "%s" CKPT_DAMAGED, c->file);
	log_warnx("%s/%s; moved aside to %s, shipping starts again from the "
	    "start of every segment (records may arrive twice)", dir, err,
	    damaged);
	c->n = 0;
	if (renameat(c->dirfd, c->file, c->dirfd, damaged) == -1 ||
	    fsync(c->dirfd) == -1) {
		snprintf(err, errlen, "%s/%s: cannot move it aside: %s", dir,
		    c->file, strerror(errno));
		ckpt_cleanup(c);
		return -1;
	}
	c->dirty = 0;
	return 0;
}

int
ckpt_load(struct ckpt *c, const char *dir, char *err, size_t errlen)
{
	return ckpt_load_file(c, dir, SPOOLFMT_OFFSETS_FILE, err, errlen);
}

int
ckpt_load_file(struct ckpt *c, const char *dir, const char *file, char *err,
    size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->dirfd = -1;
	if (strlen(file) >= sizeof(c->file) - 16 || strchr(file, '/') != NULL) {
		snprintf(err, errlen, "%s: not a record name", file);
		errno = EINVAL;
		return -1;
	}
	snprintf(c->file, sizeof(c->file), "%s", file);
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	switch (ckpt_read(c, err, errlen)) {
	case 0:
		return 0;
	case CKPT_DAMAGED_RC:
		return ckpt_set_aside(c, dir, err, errlen);
	default:
		ckpt_cleanup(c);
		return -1;
	}
}

void
ckpt_cleanup(struct ckpt *c)
{
	if (c->dirfd != -1)
		close(c->dirfd);
	free(c->e);
	memset(c, 0, sizeof(*c));
	c->dirfd = -1;
}

/* The record through a temp file and a rename; with sync, both the file
 * and the directory are fsynced first and after. */
static int
ckpt_store(struct ckpt *c, int sync)
{
	char tmp[CKPT_FILE_MAX + 32];
	struct buf b;
	int fd = -1, rc = -1, saved;

	/* Per process: a second flusher (which the lock keeps out) must
	 * never write into this one's temp file. */
	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", c->file, (long)getpid());
	buf_init(&b, CKPT_MAX_BYTES);
	for (size_t i = 0; i < c->n; i++)
		if (buf_printf(&b, "%s %lld\n", c->e[i].name,
		    (long long)c->e[i].offset) == -1) {
			errno = EFBIG;
			goto out;
		}
	fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0640);
	if (fd == -1 ||
	    fileio_write_all(fd, b.data ? b.data : "", b.len) == -1 ||
	    (sync && fsync(fd) == -1) ||
	    renameat(c->dirfd, tmp, c->dirfd, c->file) == -1 ||
	    (sync && fsync(c->dirfd) == -1))
		goto out;
	c->dirty = 0;
	c->unsynced = !sync;
	rc = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (rc == -1 && fd != -1)
		unlinkat(c->dirfd, tmp, 0);	/* no litter on a full disk */
	buf_cleanup(&b);
	errno = saved;
	return rc;
}

int
ckpt_save(struct ckpt *c)
{
	if (!c->dirty && !c->unsynced)
		return 0;
	return ckpt_store(c, 1);
}

int
ckpt_write(struct ckpt *c)
{
	if (!c->dirty)
		return 0;
	return ckpt_store(c, 0);
}
