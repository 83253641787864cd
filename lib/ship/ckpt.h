/* ckpt.h - the flusher's durable record of how far each spool segment has
 * been shipped: one "name offset" line per segment in a state file that is
 * replaced atomically (temp file, fsync, rename, fsync directory). */
#ifndef RC_CKPT_H
#define RC_CKPT_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

struct ckpt_entry {
	char	name[NAME_MAX + 1];
	off_t	offset;
};

#define CKPT_FILE_MAX	64

struct ckpt {
	int			 dirfd;	/* the state directory; -1 closed */
	char			 file[CKPT_FILE_MAX]; /* the record's name */
	struct ckpt_entry	*e;
	size_t			 n, cap;
	int			 dirty;		/* changed since last written */
	int			 unsynced;	/* written, not yet fsynced */
};

/* Load dir/SPOOLFMT_OFFSETS_FILE into *c (the caller's; a missing file is
 * an empty record; dir is created). A damaged, unreadable or oversized
 * record is logged, renamed to "offsets.damaged" and taken as empty (so
 * shipping starts over: at least once). Returns 0, or -1 with the reason
 * in err and c cleaned up (the directory or the record cannot be opened,
 * or a damaged record cannot be moved aside). Release with ckpt_cleanup. */
int ckpt_load(struct ckpt *c, const char *dir, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* ckpt_load with a record of another name in dir (shorter than
 * CKPT_FILE_MAX - 16; e.g. SPOOLFMT_FEEDBACK_OFFSETS_FILE), damaged ones
 * moved to "<file>.damaged". Same returns and release. */
int ckpt_load_file(struct ckpt *c, const char *dir, const char *file,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Release what ckpt_load took (unsaved changes are lost); c->dirfd is -1
 * after. Safe on a c that ckpt_load failed on. Cannot fail. */
void ckpt_cleanup(struct ckpt *c);
/* Shipped offset of a segment; 0 when the record has none. Cannot fail. */
off_t ckpt_get(const struct ckpt *c, const char *name);
/* Record name's shipped offset (name is copied; out of memory aborts).
 * Cannot fail; ckpt_save makes it durable. */
void ckpt_set(struct ckpt *c, const char *name, off_t offset);
/* Forget name's offset (nothing when it has none). Cannot fail. */
void ckpt_remove(struct ckpt *c, const char *name);
/* Make the record durable if it changed, through a temp file of this
 * process's own. Returns 0, or -1 with errno (the record on disk is then
 * the last one saved). */
int ckpt_save(struct ckpt *c) __attribute__((warn_unused_result));
/* Write the record if it changed, as ckpt_save does but without fsync: a
 * crash of the process keeps it (the page cache does), a power cut may
 * bring back an older record, or a damaged one that ckpt_load sets aside.
 * Offsets only ever go back that way, so delivery stays at least once; the
 * caller calls ckpt_save now and then to bound what would be sent again.
 * Returns 0, or -1 with errno as ckpt_save. */
int ckpt_write(struct ckpt *c) __attribute__((warn_unused_result));

#endif
