/* spanheap.c - the newest N spans: a min-heap on end time whose entries
 * own copies of the shown values (see spanheap.h). */
#include "spanheap.h"

#include <stdlib.h>
#include <string.h>

#include "jsoncut.h"
#include "xalloc.h"

/* A kept span: its fields point into store. */
struct spanheap_kept {
	struct spanscan_span	 s;
	char			*store;
	size_t			 cap;
};

struct spanheap {
	struct spanheap_kept	**v;	/* v[0] is the oldest kept */
	size_t			  n, cap;
};

struct spanheap *
spanheap_new(size_t cap)
{
	struct spanheap *h = xcalloc(1, sizeof(*h));

	h->cap = cap;
	h->v = xcalloc(cap + 1, sizeof(*h->v));
	return h;
}

static void
spanheap_release(struct spanheap *h)
{
	for (size_t i = 0; i < h->cap && h->v[i] != NULL; i++) {
		free(h->v[i]->store);
		free(h->v[i]);
		h->v[i] = NULL;
	}
	h->n = 0;
}

void
spanheap_free(struct spanheap *h)
{
	if (h == NULL)
		return;
	spanheap_release(h);
	free(h->v);
	free(h);
}

size_t
spanheap_count(const struct spanheap *h)
{
	return h == NULL ? 0 : h->n;
}

static void
spanheap_keep_str(struct spanheap_kept *k, size_t *used,
    struct spanscan_str *dst, size_t max)
{
	size_t n;

	if (dst->ptr == NULL)
		return;
	n = dst->len <= max ? dst->len : jsoncut_prefix(dst->ptr, dst->len,
	    max);
	memcpy(k->store + *used, dst->ptr, n);
	dst->ptr = k->store + *used;
	dst->len = n;
	*used += n;
}

/* Copy what a line shows of s into k; nothing of k points into the spool. */
static void
spanheap_keep(struct spanheap_kept *k, const struct spanscan_span *s)
{
	struct spanscan_str *shrt[] = { &k->s.trace_id, &k->s.span_id,
	    &k->s.parent_span_id, &k->s.name,
	    &k->s.oi_kind, &k->s.session_id, &k->s.model, &k->s.status_message,
	    &k->s.exception_type, &k->s.exception_message };
	size_t used = 0, nshrt = sizeof(shrt) / sizeof(shrt[0]);
	size_t need = 2 * SPANHEAP_TEXT_MAX + nshrt * SPANHEAP_SHORT_MAX;

	if (k->cap < need) {
		k->store = xrealloc(k->store, need);
		k->cap = need;
	}
	k->s = *s;
	k->s.raw = k->s.raw_resource = k->s.raw_scope =
	    (struct spanscan_str){ 0 };
	k->s.user_id = k->s.service_name = (struct spanscan_str){ 0 };
	for (size_t i = 0; i < nshrt; i++)
		spanheap_keep_str(k, &used, shrt[i], SPANHEAP_SHORT_MAX);
	spanheap_keep_str(k, &used, &k->s.input, SPANHEAP_TEXT_MAX);
	spanheap_keep_str(k, &used, &k->s.output, SPANHEAP_TEXT_MAX);
}

static void
spanheap_swap(struct spanheap *h, size_t a, size_t b)
{
	struct spanheap_kept *k = h->v[a];

	h->v[a] = h->v[b];
	h->v[b] = k;
}

static int
spanheap_less(const struct spanheap *h, size_t a, size_t b)
{
	return h->v[a]->s.end_ns < h->v[b]->s.end_ns;
}

static void
spanheap_sift_down(struct spanheap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < h->n && spanheap_less(h, l, m))
			m = l;
		if (l + 1 < h->n && spanheap_less(h, l + 1, m))
			m = l + 1;
		if (m == i)
			return;
		spanheap_swap(h, i, m);
		i = m;
	}
}

void
spanheap_add(struct spanheap *h, const struct spanscan_span *s)
{
	size_t i;

	if (h->cap == 0 || (h->n == h->cap && s->end_ns <= h->v[0]->s.end_ns))
		return;
	if (h->n < h->cap) {
		i = h->n++;
		if (h->v[i] == NULL)
			h->v[i] = xcalloc(1, sizeof(*h->v[i]));
		spanheap_keep(h->v[i], s);
		for (; i > 0 && spanheap_less(h, i, (i - 1) / 2);
		    i = (i - 1) / 2)
			spanheap_swap(h, i, (i - 1) / 2);
		return;
	}
	spanheap_keep(h->v[0], s);	/* the oldest gives way */
	spanheap_sift_down(h, 0);
}

static int
spanheap_cmp(const void *a, const void *b)
{
	uint64_t x = (*(struct spanheap_kept *const *)a)->s.end_ns;
	uint64_t y = (*(struct spanheap_kept *const *)b)->s.end_ns;

	return x < y ? -1 : x > y;
}

void
spanheap_drain(struct spanheap *h, spanheap_fn fn, void *arg)
{
	qsort(h->v, h->n, sizeof(*h->v), spanheap_cmp);
	for (size_t i = 0; i < h->n; i++)
		fn(&h->v[i]->s, arg);
	spanheap_release(h);
}
