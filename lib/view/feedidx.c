/* feedidx.c - the latest vote per span (see feedidx.h): an open-addressing
 * table keyed by the span id's 64 bits. */
#include "feedidx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "xalloc.h"

struct feedidx {
	struct feedrec	*recs;	/* span_id[0] == '\0': a free slot */
	size_t		 cap, n; /* cap is a power of two */
	struct feedidx_stats st;
};

struct feedidx *
feedidx_new(void)
{
	struct feedidx *x = xcalloc(1, sizeof(*x));

	x->cap = 64;
	x->recs = xcalloc(x->cap, sizeof(*x->recs));
	return x;
}

void
feedidx_free(struct feedidx *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->cap; i++)
		feedrec_clear(&x->recs[i]);
	free(x->recs);
	free(x);
}

/* The slot of span_id: its record, or the free slot where it would go. */
static struct feedrec *
feedidx_slot(const struct feedidx *x, const char *span_id)
{
	uint8_t b[8];
	uint64_t h = 0;
	size_t i;

	if (hex_decode(span_id, 8, b) == 0)
		for (i = 0; i < 8; i++)
			h = h << 8 | b[i];
	/* Span ids are random: their bits are already spread. */
	for (i = (size_t)h & (x->cap - 1);; i = (i + 1) & (x->cap - 1))
		if (x->recs[i].span_id[0] == '\0' ||
		    strcmp(x->recs[i].span_id, span_id) == 0)
			return &x->recs[i];
}

/* Double the table once it is half full. */
static void
feedidx_grow(struct feedidx *x)
{
	struct feedrec *old = x->recs;
	size_t i, cap = x->cap;

	if (2 * (x->n + 1) <= x->cap)
		return;
	x->cap *= 2;
	x->recs = xcalloc(x->cap, sizeof(*x->recs));
	for (i = 0; i < cap; i++)
		if (old[i].span_id[0] != '\0')
			*feedidx_slot(x, old[i].span_id) = old[i];
	free(old);
}

int
feedidx_add(struct feedidx *x, const char *line, size_t len, char *err,
    size_t errlen)
{
	struct feedrec r, *slot;
	char why[128];

	if (feedrec_parse(line, len, &r, why, sizeof(why)) == -1) {
		x->st.bad_lines++;
		if (err != NULL)
			snprintf(err, errlen, "%s", why);
		return -1;
	}
	x->st.lines++;
	feedidx_grow(x);
	slot = feedidx_slot(x, r.span_id);
	if (slot->span_id[0] != '\0' &&
	    slot->time_unix_nano > r.time_unix_nano) {
		feedrec_clear(&r);
		return 0;
	}
	if (slot->span_id[0] == '\0') {
		x->n++;
		x->st.spans++;
	} else if (slot->up)
		x->st.up--;
	else
		x->st.down--;
	if (r.up)
		x->st.up++;
	else
		x->st.down++;
	feedrec_clear(slot);
	*slot = r;
	return 1;
}

const struct feedrec *
feedidx_get(const struct feedidx *x, const char *span_id)
{
	const struct feedrec *r;

	if (span_id == NULL || strlen(span_id) != 16)
		return NULL;
	r = feedidx_slot(x, span_id);
	return r->span_id[0] != '\0' ? r : NULL;
}

const struct feedidx_stats *
feedidx_stats(const struct feedidx *x)
{
	return &x->st;
}
