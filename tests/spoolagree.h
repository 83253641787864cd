/* spoolagree.h - do the spool's two readers agree on a line? The flusher's
 * (otlp_batch_add_line, json-c) and the viewer's (spanscan_line), as
 * docs/spool-format.md "What a reader accepts" puts it: the same JSON
 * texts; every line the flusher takes, the viewer takes with as many
 * spans; the flusher alone checks the OTLP schema of fields the viewer
 * does not read. Shared by the differential fuzz driver and the unit test
 * that replays its corpus. */
#ifndef RC_SPOOLAGREE_H
#define RC_SPOOLAGREE_H

#include <stddef.h>

/* Feed line (len bytes, no '\n') to both readers. Returns 0 when they
 * agree as above, or -1 with what each said in why (the caller's). */
int spoolagree_check(const char *line, size_t len, char *why, size_t whylen);

#endif
