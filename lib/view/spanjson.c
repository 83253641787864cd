/* spanjson.c - selected spans of a spool line re-emitted as OTLP/JSON
 * through spoolfmt's envelope (see spanjson.h). */
#include "spanjson.h"

#include <stdlib.h>

#include "spoolfmt.h"
#include "xalloc.h"

#define SPANJSON_SEL_MIN	16

void
spanjson_init(struct spanjson *j)
{
	j->sel = NULL;
	j->nsel = j->cap = 0;
	buf_init(&j->out, SPANJSON_LIMIT);
}

void
spanjson_cleanup(struct spanjson *j)
{
	free(j->sel);
	j->sel = NULL;
	j->nsel = j->cap = 0;
	buf_cleanup(&j->out);
}

void
spanjson_reset(struct spanjson *j)
{
	j->nsel = 0;
}

void
spanjson_select(struct spanjson *j, const struct spanscan_span *s)
{
	if (j->nsel == j->cap) {
		j->cap = j->cap ? j->cap * 2 : SPANJSON_SEL_MIN;
		j->sel = xrealloc(j->sel, j->cap * sizeof(*j->sel));
	}
	j->sel[j->nsel++] = *s;
}

/* 1 when a and b came from the same resource and scope of a line. */
static int
spanjson_same_group(const struct spanscan_span *a,
    const struct spanscan_span *b)
{
	return a->raw_resource.ptr == b->raw_resource.ptr &&
	    a->raw_scope.ptr == b->raw_scope.ptr;
}

int
spanjson_build(struct buf *b, const struct spanscan_span *sel, size_t n)
{
	const struct spanscan_span *s, *prev = NULL;

	if (spoolfmt_begin(b) == -1)
		return -1;
	for (size_t i = 0; i < n; i++, prev = s) {
		s = &sel[i];
		if (prev != NULL && spanjson_same_group(prev, s)) {
			if (buf_append(b, ",", 1) == -1)
				return -1;
		} else if ((prev != NULL && spoolfmt_group_end(b) == -1) ||
		    spoolfmt_group_begin(b, prev == NULL, s->raw_resource.ptr,
		    s->raw_resource.len, s->raw_scope.ptr,
		    s->raw_scope.len) == -1)
			return -1;
		if (buf_append(b, s->raw.ptr, s->raw.len) == -1)
			return -1;
	}
	if ((prev != NULL && spoolfmt_group_end(b) == -1) ||
	    spoolfmt_end(b) == -1)
		return -1;
	return 0;
}

int
spanjson_write(struct spanjson *j, FILE *out, const char *line, size_t len,
    size_t nspans)
{
	if (j->nsel == 0)
		return 0;
	if (j->nsel == nspans) {		/* all of it: the line itself */
		fwrite(line, 1, len, out);
		fputc('\n', out);
		return 0;
	}
	buf_reset(&j->out);
	if (spanjson_build(&j->out, j->sel, j->nsel) == -1)
		return -1;
	fwrite(j->out.data, 1, j->out.len, out);
	return 0;
}
