/* spantree.h - spans gathered into traces and trees: kept by span id (an
 * at-least-once copy is dropped), then walked trace by trace, oldest first,
 * each depth first from its top spans with children in start order. It
 * knows nothing of how a span is shown: each node carries its owner's
 * data. tailview's tree view is built on it. */
#ifndef RC_SPANTREE_H
#define RC_SPANTREE_H

#include <stddef.h>
#include <stdint.h>

#include "spanscan.h"

#define SPANTREE_ID_MAX	32	/* characters kept of a trace or span id */

struct spantree_node {
	uint64_t	 start, end;	/* end is never before start */
	char		 trace[SPANTREE_ID_MAX + 1];	/* "" when absent */
	char		 id[SPANTREE_ID_MAX + 1];
	char		 parent[SPANTREE_ID_MAX + 1];
	void		*data;	/* the caller's; spantree_free free(3)s it */
};

/* How a span came to be where the walk found it. */
enum spantree_top {
	SPANTREE_CHILD = 0,	/* under its parent */
	SPANTREE_ROOT,		/* at the top: it has no parent */
	SPANTREE_ORPHAN,	/* at the top: its parent is not in the tree,
				 * or is in another trace, or is itself */
	SPANTREE_LOOP,		/* at the top: its ancestors form a cycle */
};

/* One trace as the walk hands it out. */
struct spantree_trace {
	const char				 *id;
	uint64_t				  start, end;	/* of all */
	const struct spantree_node *const	 *spans;	/* by start */
	size_t					  n;
	size_t					  index;	/* 0, 1, ... */
};

struct spantree;

/* An empty tree. Never fails (abort on OOM); the caller frees it with
 * spantree_free. */
struct spantree *spantree_new(void);

/* Free t, its nodes and each node's data (with free(3)); NULL is fine. */
void spantree_free(struct spantree *t);

/* Add s: its ids (cut to SPANTREE_ID_MAX) and times are copied, nothing of
 * s is kept. Returns the new node, whose data (NULL) the caller may set;
 * or NULL, adding nothing, when a span with the same id was already added
 * to the same trace (an at-least-once copy). Never fails otherwise (abort
 * on OOM). The node belongs to t. */
struct spantree_node *spantree_add(struct spantree *t,
    const struct spanscan_span *s);

/* The number of nodes (0 for NULL). Cannot fail. */
size_t spantree_count(const struct spantree *t);

/* Called for each trace, oldest start first, before its spans. */
typedef void (*spantree_trace_fn)(const struct spantree_trace *tr,
    void *arg);
/* Called for each span of tr, parents before their children, depth 0 for
 * a span at the top; each span exactly once. */
typedef void (*spantree_span_fn)(const struct spantree_trace *tr,
    const struct spantree_node *n, int depth, enum spantree_top top,
    void *arg);

/* Walk every trace of t (nothing for NULL or an empty t): on_trace, then
 * on_span for its spans: from each top span in start order (roots and
 * orphans), depth first with children by start time; then spans caught in
 * parent loops, as tops. Never fails (abort on OOM); t is not changed. */
void spantree_walk(const struct spantree *t, spantree_trace_fn on_trace,
    spantree_span_fn on_span, void *arg);

#endif
