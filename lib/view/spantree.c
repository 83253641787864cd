/* spantree.c - spans by id in an open-addressing table, then sorted into
 * traces and linked to their parents for a depth-first walk (see
 * spantree.h). */
#define _GNU_SOURCE	/* qsort_r */
#include "spantree.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "xalloc.h"

#define SPANTREE_SLOTS_MIN	1024
#define SPANTREE_NODES_MIN	256

struct spantree {
	struct spantree_node	**nodes;
	size_t			  n, cap;
	uint32_t		 *slots;	/* span id -> node index + 1;
						 * 0 free */
	size_t			  nslots, used;
};

/* ---- Collecting ------------------------------------------------------ */

struct spantree *
spantree_new(void)
{
	struct spantree *t = xcalloc(1, sizeof(*t));

	t->nslots = SPANTREE_SLOTS_MIN;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	return t;
}

size_t
spantree_count(const struct spantree *t)
{
	return t == NULL ? 0 : t->n;
}

void
spantree_free(struct spantree *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i]->data);
		free(t->nodes[i]);
	}
	free(t->nodes);
	free(t->slots);
	free(t);
}

/* The slot holding id, or the free slot where it would go. */
static size_t
spantree_slot(const struct spantree *t, const char *id)
{
	size_t mask = t->nslots - 1;
	size_t i = hash_fnv32(id, strlen(id), HASH_FNV32_INIT) & mask;

	while (t->slots[i] != 0 &&
	    strcmp(t->nodes[t->slots[i] - 1]->id, id) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Node index of span id, or -1. */
static long
spantree_find(const struct spantree *t, const char *id)
{
	size_t i = spantree_slot(t, id);

	return t->slots[i] == 0 ? -1 : (long)t->slots[i] - 1;
}

static void
spantree_grow(struct spantree *t)
{
	uint32_t *old = t->slots;
	size_t oldn = t->nslots;

	t->nslots *= 2;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	for (size_t i = 0; i < oldn; i++)
		if (old[i] != 0)
			t->slots[spantree_slot(t, t->nodes[old[i] - 1]->id)] =
			    old[i];
	free(old);
}

static void
spantree_copy_id(struct spanscan_str s, char *dst)
{
	size_t n = s.ptr == NULL ? 0 : s.len > SPANTREE_ID_MAX ?
	    SPANTREE_ID_MAX : s.len;

	memcpy(dst, s.ptr == NULL ? "" : s.ptr, n);
	dst[n] = '\0';
}

struct spantree_node *
spantree_add(struct spantree *t, const struct spanscan_span *s)
{
	char trace[SPANTREE_ID_MAX + 1], id[SPANTREE_ID_MAX + 1];
	struct spantree_node *n;
	long dup;

	spantree_copy_id(s->trace_id, trace);
	spantree_copy_id(s->span_id, id);
	if (id[0] != '\0' && (dup = spantree_find(t, id)) != -1 &&
	    strcmp(t->nodes[dup]->trace, trace) == 0)
		return NULL;
	n = xcalloc(1, sizeof(*n));
	memcpy(n->trace, trace, sizeof(trace));
	memcpy(n->id, id, sizeof(id));
	spantree_copy_id(s->parent_span_id, n->parent);
	n->start = s->start_ns;
	n->end = s->end_ns < s->start_ns ? s->start_ns : s->end_ns;
	if (t->n == t->cap)
		t->nodes = xrealloc(t->nodes, (t->cap = t->cap ? t->cap * 2 :
		    SPANTREE_NODES_MIN) * sizeof(*t->nodes));
	t->nodes[t->n++] = n;
	if (id[0] == '\0' || spantree_find(t, id) != -1)
		return n;	/* no id, or one another trace has */
	if ((t->used + 1) * 2 > t->nslots)
		spantree_grow(t);
	t->slots[spantree_slot(t, id)] = (uint32_t)t->n;
	t->used++;
	return n;
}

/* ---- Walking ----------------------------------------------------------- */

struct spantree_group {		/* one trace: order[first .. first + n) */
	size_t		 first, n;
	uint64_t	 start, end;
};

struct spantree_frame {
	size_t		 at;
	int		 depth;
	enum spantree_top top;
};

struct spantree_walker {
	const struct spantree		 *t;
	const struct spantree_node	**sorted;	/* by trace, start */
	size_t				 *order;	/* place -> node */
	size_t				 *pos;		/* node -> place */
	long				 *parent; /* place -> parent's, or -1 */
	unsigned char			 *top, *seen;
	size_t				 *coff, *child;	/* children by start */
	struct spantree_group		 *groups;
	size_t				  ngroups;
	struct spantree_frame		 *stack;
};

static int
spantree_node_cmp(const void *a, const void *b, void *arg)
{
	struct spantree_node *const *nodes = arg;
	const struct spantree_node *x = nodes[*(const size_t *)a];
	const struct spantree_node *y = nodes[*(const size_t *)b];
	int c = strcmp(x->trace, y->trace);

	if (c != 0)
		return c;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if ((c = strcmp(x->id, y->id)) != 0)
		return c;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int
spantree_group_cmp(const void *a, const void *b)
{
	const struct spantree_group *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static void
spantree_groups(struct spantree_walker *w)
{
	struct spantree_group *g = NULL;

	for (size_t i = 0; i < w->t->n; i++) {
		const struct spantree_node *s = w->sorted[i];

		if (g == NULL || strcmp(s->trace, w->sorted[g->first]->trace)
		    != 0) {
			g = &w->groups[w->ngroups++];
			g->first = i;
			g->n = 0;
			g->start = s->start;
			g->end = s->end;
		}
		g->n++;
		if (s->end > g->end)
			g->end = s->end;
	}
	qsort(w->groups, w->ngroups, sizeof(*w->groups), spantree_group_cmp);
}

/* The place of the parent of the span at i within its trace, or -1 with
 * w->top[i] saying why. */
static long
spantree_parent(struct spantree_walker *w, size_t i)
{
	const struct spantree_node *s = w->sorted[i];
	long k;

	w->top[i] = SPANTREE_ROOT;
	if (s->parent[0] == '\0')
		return -1;
	w->top[i] = SPANTREE_ORPHAN;
	if ((k = spantree_find(w->t, s->parent)) == -1 ||
	    strcmp(w->t->nodes[k]->trace, s->trace) != 0 ||
	    w->pos[k] == i)
		return -1;
	w->top[i] = SPANTREE_CHILD;
	return (long)w->pos[k];
}

/* Children lists in start order (the order the spans are sorted in). */
static void
spantree_links(struct spantree_walker *w)
{
	size_t n = w->t->n, *fill = xcalloc(n + 1, sizeof(*fill));

	for (size_t i = 0; i < n; i++)
		if ((w->parent[i] = spantree_parent(w, i)) != -1)
			w->coff[w->parent[i] + 1]++;
	for (size_t i = 0; i < n; i++)
		w->coff[i + 1] += w->coff[i];
	for (size_t i = 0; i < n; i++) {
		if (w->parent[i] == -1)
			continue;
		size_t pp = (size_t)w->parent[i];
		w->child[w->coff[pp] + fill[pp]++] = i;
	}
	free(fill);
}

static void
spantree_walker_init(struct spantree_walker *w, const struct spantree *t)
{
	size_t n = t->n;

	w->t = t;
	w->order = xmalloc(n * sizeof(*w->order));
	for (size_t i = 0; i < n; i++)
		w->order[i] = i;
	qsort_r(w->order, n, sizeof(*w->order), spantree_node_cmp, t->nodes);
	w->sorted = xmalloc(n * sizeof(*w->sorted));
	w->pos = xmalloc(n * sizeof(*w->pos));
	for (size_t i = 0; i < n; i++) {
		w->sorted[i] = t->nodes[w->order[i]];
		w->pos[w->order[i]] = i;
	}
	w->parent = xmalloc(n * sizeof(*w->parent));
	w->top = xmalloc(n);
	w->seen = xcalloc(n, 1);
	w->coff = xcalloc(n + 1, sizeof(*w->coff));
	w->child = xmalloc(n * sizeof(*w->child));
	w->groups = xmalloc(n * sizeof(*w->groups));
	w->ngroups = 0;
	w->stack = xmalloc((n + 1) * sizeof(*w->stack));
	spantree_groups(w);
	spantree_links(w);
}

static void
spantree_walker_cleanup(struct spantree_walker *w)
{
	free(w->sorted);
	free(w->order);
	free(w->pos);
	free(w->parent);
	free(w->top);
	free(w->seen);
	free(w->coff);
	free(w->child);
	free(w->groups);
	free(w->stack);
}

/* Depth first from the span at place at; each span is handed out once. */
static void
spantree_descend(struct spantree_walker *w, const struct spantree_trace *tr,
    size_t at, enum spantree_top top, spantree_span_fn on_span, void *arg)
{
	size_t sp = 0;
	struct spantree_frame f;

	w->stack[sp++] = (struct spantree_frame){ at, 0, top };
	while (sp > 0) {
		f = w->stack[--sp];
		if (w->seen[f.at])
			continue;
		w->seen[f.at] = 1;
		on_span(tr, w->sorted[f.at], f.depth, f.top, arg);
		/* Pushed last to first, so the earliest child comes next. */
		for (size_t k = w->coff[f.at + 1]; k > w->coff[f.at]; k--)
			if (!w->seen[w->child[k - 1]])
				w->stack[sp++] = (struct spantree_frame){
				    w->child[k - 1], f.depth + 1,
				    SPANTREE_CHILD };
	}
}

static void
spantree_walk_trace(struct spantree_walker *w, size_t gi,
    spantree_trace_fn on_trace, spantree_span_fn on_span, void *arg)
{
	const struct spantree_group *g = &w->groups[gi];
	size_t end = g->first + g->n;
	struct spantree_trace tr = {
		.id = w->sorted[g->first]->trace, .start = g->start,
		.end = g->end, .spans = w->sorted + g->first, .n = g->n,
		.index = gi,
	};

	on_trace(&tr, arg);
	for (size_t i = g->first; i < end; i++)
		if (w->top[i] != SPANTREE_CHILD)
			spantree_descend(w, &tr, i, w->top[i], on_span, arg);
	/* Spans that are their own ancestors hang from nothing. */
	for (size_t i = g->first; i < end; i++)
		if (!w->seen[i])
			spantree_descend(w, &tr, i, SPANTREE_LOOP, on_span,
			    arg);
}

void
spantree_walk(const struct spantree *t, spantree_trace_fn on_trace,
    spantree_span_fn on_span, void *arg)
{
	struct spantree_walker w;

	if (t == NULL || t->n == 0)
		return;
	spantree_walker_init(&w, t);
	for (size_t i = 0; i < w.ngroups; i++)
		spantree_walk_trace(&w, i, on_trace, on_span, arg);
	spantree_walker_cleanup(&w);
}
