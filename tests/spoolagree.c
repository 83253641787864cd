/* spoolagree.c - the spool's two readers side by side (see spoolagree.h). */
#include "spoolagree.h"

#include <stdio.h>
#include <string.h>

#include "otlp.h"
#include "spanscan.h"

int
spoolagree_check(const char *line, size_t len, char *why, size_t whylen)
{
	struct otlp_batch *b = otlp_batch_new();
	char err[OTLP_ERR_MAX] = "";
	size_t n = 0;
	int json, scan, rc = 0;

	json = otlp_batch_add_line(b, line, len, &n, err, sizeof(err));
	scan = spanscan_line(line, len, NULL, NULL);
	/* Refused for a field's schema, not for the text: the viewer need
	 * not see it (the flusher's errors name the field's path). */
	if (json == -1 && scan >= 0 && strncmp(err, "line: ", 6) != 0)
		json = scan = -1;
	if ((json == 0) != (scan >= 0) || (json == 0 && (size_t)scan != n)) {
		snprintf(why, whylen, "otlp: %s (%zu spans); spanscan: %d",
		    json == 0 ? "accepted" : err, n, scan);
		rc = -1;
	}
	otlp_batch_free(b);
	return rc;
}
