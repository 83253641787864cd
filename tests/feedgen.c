/* feedgen.c - appends one feedback line to a spool for the tests, exactly
 * as /feedback writes it (feedrec_line) in a feedback segment of its own
 * (spoolfmt_segment_name). Usage:
 *	feedgen DIR TRACE_ID SPAN_ID SESSION up|down [COMMENT]
 * Each call writes a new segment; the vote's time is now. The segment is
 * written whole under a hidden name and then renamed, so a flusher running
 * beside never sees it empty (an unlocked segment is a finished one). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "feedrec.h"
#include "fileio.h"
#include "span.h"
#include "spoolfmt.h"

int
main(int argc, char *argv[])
{
	static unsigned seq;
	struct feedrec r;
	struct buf b;
	char name[256], path[4096], tmp[4096];
	uint64_t now = span_now_ns();
	int fd, rc = 1;

	if (argc < 6 || argc > 7 || (strcmp(argv[5], "up") != 0 &&
	    strcmp(argv[5], "down") != 0)) {
		fprintf(stderr, "usage: feedgen DIR TRACE_ID SPAN_ID SESSION "
		    "up|down [COMMENT]\n");
		return 2;
	}
	memset(&r, 0, sizeof(r));
	snprintf(r.trace_id, sizeof(r.trace_id), "%s", argv[2]);
	snprintf(r.span_id, sizeof(r.span_id), "%s", argv[3]);
	snprintf(r.session_id, sizeof(r.session_id), "%s", argv[4]);
	r.up = strcmp(argv[5], "up") == 0;
	r.comment = argc == 7 ? strdup(argv[6]) : NULL;
	r.time_unix_nano = (long long)now;
	feedrec_set_identifier(&r);
	buf_init(&b, 1 << 20);
	if (feedrec_line(&b, &r) == -1 ||
	    spoolfmt_segment_name(name, sizeof(name), SPOOLFMT_KIND_FEEDBACK,
	    (long long)(now / 1000000), (long)getpid(), "feed0000", seq++) == -1)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", argv[1], name);
	snprintf(tmp, sizeof(tmp), "%s/.%s", argv[1], name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0640)) == -1)
		goto out;
	if (fileio_write_all(fd, b.data, b.len) == 0 && rename(tmp, path) == 0)
		rc = 0;
	close(fd);
out:
	if (rc != 0)
		fprintf(stderr, "feedgen: cannot write the line\n");
	buf_cleanup(&b);
	feedrec_clear(&r);
	return rc;
}
