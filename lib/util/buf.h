/* buf.h - a growing byte buffer with a hard limit, always NUL-terminated. */
#ifndef RC_BUF_H
#define RC_BUF_H

#include <stddef.h>

struct buf {
	char	*data;	/* NUL-terminated; NULL until the first append */
	size_t	 len;
	size_t	 cap;
	size_t	 limit;	/* appends that would pass this fail */
};

/* Named limits for buffers that grow from outside input and have no owner
 * module of their own (the model reply's is LLM_MAX_RESPONSE, llm.h). */
#define BUF_LIMIT_REQUEST_BODY	(1024 * 1024)		/* default /chat body */

/* An empty buffer that will hold at most limit bytes; allocates nothing,
 * cannot fail. Release with buf_cleanup. */
void buf_init(struct buf *b, size_t limit);
/* Release what the buffer holds; it can be used again after buf_init. */
void buf_cleanup(struct buf *b);
/* Append n bytes. Returns 0, or -1 (nothing appended) past the limit;
 * out of memory aborts (xalloc). */
int buf_append(struct buf *b, const void *p, size_t n)
	__attribute__((warn_unused_result));
/* Append printf-formatted text. Returns 0, or -1 (nothing appended) when
 * the text would pass the limit or cannot be formatted. The buffer keeps
 * ownership; out of memory aborts (xalloc). */
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), warn_unused_result));
/* Forget the content, keep the memory. */
void buf_reset(struct buf *b);
/* Hand the content to the caller (free() it); the buffer is left empty. */
char *buf_take(struct buf *b);

#endif
