/* fuzz_feedback.c - libFuzzer driver for the two readers of a vote: the
 * POST /feedback body (feedback_parse) and the spool's feedback line
 * (feedrec_parse). Whatever the first takes, feedrec_line must write as a
 * line the second reads back to the same record; whatever the second
 * takes, it must read back again from its own line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "feedback.h"
#include "feedrec.h"
#include "spoolfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_same(const struct feedrec *a, const struct feedrec *b)
{
	return strcmp(a->trace_id, b->trace_id) == 0 &&
	    strcmp(a->span_id, b->span_id) == 0 &&
	    strcmp(a->session_id, b->session_id) == 0 && a->up == b->up &&
	    strcmp(a->identifier, b->identifier) == 0 &&
	    a->time_unix_nano == b->time_unix_nano &&
	    ((a->comment == NULL && b->comment == NULL) ||
	    (a->comment != NULL && b->comment != NULL &&
	    strcmp(a->comment, b->comment) == 0));
}

/* Write r as a line and read it back: the same record, or abort. */
static void
fuzz_round_trip(const struct feedrec *r)
{
	struct feedrec back;
	struct buf b;
	char err[256];

	buf_init(&b, SPOOLFMT_LINE_MAX);
	if (feedrec_line(&b, r) != 0 || b.len == 0 ||
	    memchr(b.data, '\n', b.len - 1) != NULL ||
	    feedrec_parse(b.data, b.len - 1, &back, err, sizeof(err)) != 0 ||
	    !fuzz_same(r, &back))
		abort();
	feedrec_clear(&back);
	buf_cleanup(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feedrec r;
	char err[256];
	int status = -1;

	if (feedback_parse((const char *)data, size, &r, &status, err,
	    sizeof(err)) == 0) {
		if (strcmp(r.identifier, "") == 0 ||
		    strncmp(r.identifier + 3, r.span_id, 16) != 0)
			abort();
		fuzz_round_trip(&r);
		feedrec_clear(&r);
	} else if ((status != 400 && status != 413 && status != 422) ||
	    err[0] == '\0')
		abort();
	if (feedrec_parse((const char *)data, size, &r, err,
	    sizeof(err)) == 0)
		fuzz_round_trip(&r);
	feedrec_clear(&r);
	return 0;
}
