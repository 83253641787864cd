/* spanheap.h - the newest N spans by end time, for spool-tail's line view
 * of what is already in the spool: a min-heap of copies of what a line
 * shows, values cut on escape boundaries, so that nothing points into the
 * mapped spool and only the N that survive are ever formatted. */
#ifndef RC_SPANHEAP_H
#define RC_SPANHEAP_H

#include <stddef.h>

#include "spanscan.h"
#include "tailview.h"

/* Raw (escaped) JSON bytes kept of input.value and output.value: twice
 * what a line shows, so that escapes do not eat into it. */
#define SPANHEAP_TEXT_MAX	(2 * TAILVIEW_TEXT_MAX)
/* Of the other values a line shows: ids, name, kinds, model, errors. */
#define SPANHEAP_SHORT_MAX	512

struct spanheap;

/* An empty heap that keeps at most cap spans (0: none). Never fails (abort
 * on OOM); the caller frees it with spanheap_free. */
struct spanheap *spanheap_new(size_t cap);

/* Free h and every span it kept; NULL is fine. */
void spanheap_free(struct spanheap *h);

/* Keep a copy of s when it is among the cap newest by end time seen so
 * far (a span no newer than all kept ones is dropped once h is full).
 * The copy holds what tailview_line shows: trace id, name, kinds, session
 * id, model, status and exception texts, and the span and parent ids a
 * vote is found by (at most SPANHEAP_SHORT_MAX bytes each), input and
 * output (SPANHEAP_TEXT_MAX), times, kind, status and token counts; the
 * user id, service name and the raw JSON slices are absent. Nothing of s is kept. Never fails (abort on OOM). */
void spanheap_add(struct spanheap *h, const struct spanscan_span *s);

/* The spans kept (0 for NULL). Cannot fail. */
size_t spanheap_count(const struct spanheap *h);

/* Called for each kept span by spanheap_drain. s is valid during the call
 * only. */
typedef void (*spanheap_fn)(const struct spanscan_span *s, void *arg);

/* Hand every kept span to fn, oldest end time first, then free them: h is
 * empty again (and keeps its cap). Never fails. */
void spanheap_drain(struct spanheap *h, spanheap_fn fn, void *arg);

#endif
