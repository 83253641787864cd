/* test_spantree.c - spans into traces and trees: order of traces and of
 * spans, at-least-once copies, orphans, parent loops, ids from another
 * trace, and a hundred thousand spans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spantree.h"

#define T0		1764000000000000000ULL
#define MS		1000000ULL
#define TRACE_A		"4bf92f3577b34da6a3ce929d0e0e4736"
#define TRACE_B		"0af7651916cd43dd8448eb211c80319c"

static struct spanscan_str
str(const char *s)
{
	return (struct spanscan_str){ s, s == NULL ? 0 : strlen(s) };
}

static struct spanscan_span
span(const char *trace, const char *id, const char *parent, uint64_t start,
    uint64_t end)
{
	struct spanscan_span s;

	memset(&s, 0, sizeof(s));
	s.trace_id = str(trace);
	s.span_id = str(id);
	s.parent_span_id = str(parent);
	s.start_ns = start;
	s.end_ns = end;
	return s;
}

/* Add s and label its node (the label is the node's data). */
static void
add(struct spantree *t, const struct spanscan_span *s, const char *label)
{
	struct spantree_node *n = spantree_add(t, s);

	assert_non_null(n);
	assert_null(n->data);
	n->data = strdup(label);
}

/* What a walk handed out, as text: "T<index> <id> <n>" per trace and
 * "<depth><top> <label>" per span, one a line. */
struct rec {
	char	text[4096];
	size_t	len, spans, traces;
};

static void
rec_trace(const struct spantree_trace *tr, void *arg)
{
	struct rec *r = arg;

	assert_int_equal(tr->index, r->traces);
	for (size_t i = 1; i < tr->n; i++)
		assert_true(tr->spans[i - 1]->start <= tr->spans[i]->start);
	for (size_t i = 0; i < tr->n; i++) {
		assert_string_equal(tr->spans[i]->trace, tr->id);
		assert_true(tr->spans[i]->start >= tr->start);
		assert_true(tr->spans[i]->end <= tr->end);
	}
	r->traces++;
	if (r->len < sizeof(r->text))
		r->len += (size_t)snprintf(r->text + r->len,
		    sizeof(r->text) - r->len, "T%zu %s %zu\n", tr->index,
		    tr->id, tr->n);
}

static void
rec_span(const struct spantree_trace *tr, const struct spantree_node *n,
    int depth, enum spantree_top top, void *arg)
{
	static const char tops[] = "crol";	/* child root orphan loop */
	struct rec *r = arg;

	assert_string_equal(n->trace, tr->id);
	r->spans++;
	if (r->len < sizeof(r->text))
		r->len += (size_t)snprintf(r->text + r->len,
		    sizeof(r->text) - r->len, "%d%c %s\n", depth, tops[top],
		    (const char *)n->data);
}

static void
walk(const struct spantree *t, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	spantree_walk(t, rec_trace, rec_span, r);
}

static void
test_order(void **state)
{
	struct spantree *t = spantree_new();
	struct spanscan_span s;
	struct rec r;

	(void)state;
	/* Children before parents, the later trace first. */
	s = span(TRACE_A, "00000000000000a3", "00000000000000a1",
	    T0 + 60 * MS, T0 + 90 * MS);
	add(t, &s, "second");
	s = span(TRACE_A, "00000000000000a2", "00000000000000a1",
	    T0 + 10 * MS, T0 + 50 * MS);
	add(t, &s, "first");
	s = span(TRACE_A, "00000000000000a4", "00000000000000a2",
	    T0 + 20 * MS, T0 + 40 * MS);
	add(t, &s, "grandchild");
	s = span(TRACE_A, "00000000000000a1", NULL, T0, T0 + 100 * MS);
	add(t, &s, "root");
	s = span(TRACE_B, "00000000000000b1", NULL, T0 - 1000 * MS,
	    T0 - 900 * MS);
	add(t, &s, "other");
	assert_int_equal(spantree_count(t), 5);
	walk(t, &r);
	assert_string_equal(r.text,
	    "T0 " TRACE_B " 1\n"
	    "0r other\n"
	    "T1 " TRACE_A " 4\n"
	    "0r root\n"
	    "1c first\n"
	    "2c grandchild\n"
	    "1c second\n");
	spantree_free(t);
}

static void
test_times(void **state)
{
	struct spantree *t = spantree_new();
	struct spanscan_span s;
	struct spantree_node *n;

	(void)state;
	/* An end before the start is taken as the start; ids are cut. */
	s = span(TRACE_A "ffff", "00000000000000a1ffffffffffffffffffff", NULL,
	    T0, T0 - 5);
	n = spantree_add(t, &s);
	assert_non_null(n);
	assert_true(n->start == T0 && n->end == T0);
	assert_string_equal(n->trace, TRACE_A);
	assert_int_equal(strlen(n->id), SPANTREE_ID_MAX);
	assert_string_equal(n->parent, "");
	spantree_free(t);
}

static void
test_duplicates(void **state)
{
	struct spantree *t = spantree_new();
	struct spanscan_span s;
	struct rec r;

	(void)state;
	s = span(TRACE_A, "00000000000000a1", NULL, T0, T0 + MS);
	add(t, &s, "one");
	assert_null(spantree_add(t, &s));	/* at-least-once: a copy */
	/* The same span id in another trace is another span ... */
	s = span(TRACE_B, "00000000000000a1", NULL, T0 + MS, T0 + 2 * MS);
	add(t, &s, "same id, trace B");
	/* ... and so are spans without an id, however many. */
	s = span(TRACE_A, NULL, NULL, T0 + 2 * MS, T0 + 3 * MS);
	add(t, &s, "no id");
	add(t, &s, "no id again");
	assert_int_equal(spantree_count(t), 4);
	walk(t, &r);
	assert_string_equal(r.text,
	    "T0 " TRACE_A " 3\n"
	    "0r one\n"
	    "0r no id\n"
	    "0r no id again\n"
	    "T1 " TRACE_B " 1\n"
	    "0r same id, trace B\n");
	spantree_free(t);
}

static void
test_orphans(void **state)
{
	struct spantree *t = spantree_new();
	struct spanscan_span s;
	struct rec r;

	(void)state;
	s = span(TRACE_A, "00000000000000a2", "ffffffffffffffff", T0,
	    T0 + 10 * MS);
	add(t, &s, "parent not in the tree");
	s = span(TRACE_B, "00000000000000b1", NULL, T0 + MS, T0 + 2 * MS);
	add(t, &s, "root of B");
	s = span(TRACE_A, "00000000000000a3", "00000000000000b1",
	    T0 + 2 * MS, T0 + 3 * MS);
	add(t, &s, "parent in another trace");
	s = span(TRACE_A, "00000000000000a4", "00000000000000a4",
	    T0 + 3 * MS, T0 + 4 * MS);
	add(t, &s, "its own parent");
	walk(t, &r);
	assert_string_equal(r.text,
	    "T0 " TRACE_A " 3\n"
	    "0o parent not in the tree\n"
	    "0o parent in another trace\n"
	    "0o its own parent\n"
	    "T1 " TRACE_B " 1\n"
	    "0r root of B\n");
	spantree_free(t);
}

static void
test_loop(void **state)
{
	struct spantree *t = spantree_new();
	struct spanscan_span s;
	struct rec r;

	(void)state;
	/* Each the other's parent, with a child: none is lost. */
	s = span(TRACE_A, "00000000000000a1", "00000000000000a2", T0,
	    T0 + 10 * MS);
	add(t, &s, "one");
	s = span(TRACE_A, "00000000000000a2", "00000000000000a1", T0 + MS,
	    T0 + 5 * MS);
	add(t, &s, "two");
	s = span(TRACE_A, "00000000000000a3", "00000000000000a2",
	    T0 + 2 * MS, T0 + 3 * MS);
	add(t, &s, "child of two");
	walk(t, &r);
	assert_string_equal(r.text,
	    "T0 " TRACE_A " 3\n"
	    "0l one\n"
	    "1c two\n"
	    "2c child of two\n");
	spantree_free(t);
}

static void
test_empty(void **state)
{
	struct spantree *t = spantree_new();
	struct rec r;

	(void)state;
	walk(t, &r);
	assert_int_equal(r.traces + r.spans, 0);
	walk(NULL, &r);
	assert_int_equal(r.traces + r.spans, 0);
	assert_int_equal(spantree_count(NULL), 0);
	spantree_free(t);
	spantree_free(NULL);
}

static void
count_trace(const struct spantree_trace *tr, void *arg)
{
	struct rec *r = arg;

	(void)tr;
	r->traces++;
}

static void
count_span(const struct spantree_trace *tr, const struct spantree_node *n,
    int depth, enum spantree_top top, void *arg)
{
	struct rec *r = arg;

	(void)tr;
	(void)n;
	r->spans++;
	/* Each trace is a root with nine children. */
	assert_true((top == SPANTREE_ROOT && depth == 0) ||
	    (top == SPANTREE_CHILD && depth == 1));
}

static void
test_many(void **state)
{
	struct spantree *t = spantree_new();
	char trace[33], id[17], parent[17];
	struct spanscan_span s;
	struct rec r = { .len = 0 };

	(void)state;
	for (unsigned i = 0; i < 100000; i++) {
		unsigned tr = i / 10;

		snprintf(trace, sizeof(trace), "%032x", tr + 1);
		snprintf(id, sizeof(id), "%016x", i + 1);
		snprintf(parent, sizeof(parent), "%016x", tr * 10 + 1);
		s = span(trace, id, i % 10 ? parent : NULL,
		    T0 + tr * MS + i % 10, T0 + tr * MS + 100);
		assert_non_null(spantree_add(t, &s));
	}
	assert_int_equal(spantree_count(t), 100000);
	spantree_walk(t, count_trace, count_span, &r);
	assert_int_equal(r.traces, 10000);
	assert_int_equal(r.spans, 100000);
	spantree_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_orphans),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
