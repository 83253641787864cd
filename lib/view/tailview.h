/* tailview.h - how spool-tail shows spans on a terminal: one line per span,
 * traces as indented trees with a waterfall bar (the trees themselves are
 * spantree's), users' votes beside the turns they are on, and the text
 * cells, durations and times the other views share. Nothing here fails but allocation (abort); write errors are the
 * stream's to report. */
#ifndef RC_TAILVIEW_H
#define RC_TAILVIEW_H

#include <stdint.h>
#include <stdio.h>

#include "feedidx.h"
#include "spanscan.h"

struct tailview_opts {
	int	color;	/* ANSI colours and block characters (UTF-8) */
	int	width;	/* terminal columns; <= 0: TAILVIEW_WIDTH_DEFAULT */
	int	utc;	/* times in UTC instead of local time */
	int	ascii;	/* votes as +1/-1, not 👍/👎 (no UTF-8 locale) */
	/* Votes shown beside the spans they are on; NULL: none. The
	 * caller's. */
	const struct feedidx *votes;
};

#define TAILVIEW_WIDTH_DEFAULT	100
#define TAILVIEW_WIDTH_MAX	1000	/* wider terminals get this many */
#define TAILVIEW_WIDTH_TERMINAL	120	/* a terminal whose width is unknown */
/* Bytes of decoded text a line shows of one value; with the cap on the
 * width, a line from tailview_line stays under TAILVIEW_LINE_MAX bytes. */
#define TAILVIEW_TEXT_MAX	1024
#define TAILVIEW_LINE_MAX	3072
#define TAILVIEW_BAR_CELLS	30	/* waterfall bar of the tree view */

/* Buffer sizes for the formatting helpers below. */
#define TAILVIEW_DUR_LEN	16
#define TAILVIEW_TIME_LEN	32

/* ANSI attributes, used only when opts->color is set. */
#define TAILVIEW_RESET		"\033[0m"
#define TAILVIEW_BOLD		"\033[1m"
#define TAILVIEW_DIM		"\033[2m"
#define TAILVIEW_RED		"\033[31m"
#define TAILVIEW_GREEN		"\033[32m"
#define TAILVIEW_YELLOW		"\033[33m"
#define TAILVIEW_MAGENTA	"\033[35m"
#define TAILVIEW_CYAN		"\033[36m"

/* Set the defaults: no colour, TAILVIEW_WIDTH_DEFAULT columns, local time,
 * votes as emoji, no votes. Cannot fail. */
void tailview_opts_init(struct tailview_opts *o);

/* Set o for output to fd: colour when fd is a terminal, NO_COLOR is unset
 * or empty and TERM is not "dumb"; the terminal's width (when over 20),
 * else COLUMNS (20 to 1000), else TAILVIEW_WIDTH_TERMINAL; local time;
 * ascii unless tailview_utf8_locale(). Cannot fail. */
void tailview_opts_terminal(struct tailview_opts *o, int fd);

/* 1 when the locale's character set is UTF-8: the first non-empty one of
 * LC_ALL, LC_CTYPE and LANG names it ("UTF-8" or "utf8", any case); 0
 * otherwise, also when none is set (the C locale). Cannot fail. */
int tailview_utf8_locale(void);

/* The OTLP SpanKind's name (INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER,
 * UNSPECIFIED for 0); "UNKNOWN" for values outside the enum. A static
 * string: never NULL, not to be freed. */
const char *tailview_kind_name(int otel_kind);

/* Write a duration the way people read it: 850ns, 850µs, 1.23ms, 12.3ms,
 * 123ms, 1.24s, 12.3s, 2m03s, 1h02m (three significant digits, rounded).
 * Returns buf (len >= TAILVIEW_DUR_LEN; shorter buffers get a cut string);
 * cannot fail. */
char *tailview_duration(uint64_t ns, char *buf, size_t len);

/* Write ns since the epoch as HH:MM:SS.mmm, or as YYYY-MM-DD HH:MM:SS
 * when with_date is set, in local time or UTC (o->utc). Returns buf
 * (len >= TAILVIEW_TIME_LEN), or "-" in it for a time localtime or
 * gmtime cannot show. */
char *tailview_time(uint64_t ns, const struct tailview_opts *o,
    int with_date, char *buf, size_t len);

/* Display columns of UTF-8 text (East Asian wide characters and most emoji
 * take two, combining marks none, a malformed byte one). Cannot fail. */
int tailview_cols(const char *s, size_t len);

/* Write s (UTF-8) in exactly cols columns: padded with spaces, or cut on
 * a character boundary with "…" when it is wider: at the end, or in the
 * middle (keeping both ends) with TAILVIEW_CUT_MIDDLE. color (one of the
 * TAILVIEW_ attributes, or NULL) wraps the text when o->color is set.
 * Returns the columns written (cols; 0 when cols <= 0); write errors are
 * out's to report. */
#define TAILVIEW_ALIGN_LEFT	0
#define TAILVIEW_ALIGN_RIGHT	1
#define TAILVIEW_CUT_MIDDLE	2	/* left-aligned */
int tailview_cell(FILE *out, const struct tailview_opts *o, const char *color,
    const char *s, int cols, int align);

/* Decode a JSON string slice for one-line display into out: escapes
 * decoded, control characters and runs of spaces made one space, ends
 * trimmed; cut on a character boundary to fit outlen (>= 8; at most
 * TAILVIEW_TEXT_MAX is used) with "…" when the value was longer.
 * Returns the bytes written before the NUL (0 for an absent value, or when
 * outlen < 8). Cannot fail. */
size_t tailview_text(struct spanscan_str s, char *out, size_t outlen);

/* One line for a finished span: end time, the first 8 hex digits of the
 * trace id, kind (OpenInference kind, else the OTel kind), name, duration,
 * status (OK, ERROR, -), session id, the vote on the span when o->votes
 * has one (mark and quoted comment, the comment cut to a third of what is
 * left) and the start of input → output (the error for a failed span),
 * all fitted to o->width columns. No escape
 * codes unless o->color. Nothing of s is kept; never fails, write errors
 * are out's to report. */
void tailview_line(FILE *out, const struct spanscan_span *s,
    const struct tailview_opts *o);

/* The mark of a vote: "👍" or "👎", or "+1" or "-1" with o->ascii. A
 * static string: never NULL, not to be freed. */
const char *tailview_vote_mark(int up, const struct tailview_opts *o);

/* The latest vote in o->votes on the span whose id is span_id (a raw
 * slice; the vote is on that span, not on its parent), or NULL (also
 * when o->votes is NULL). Owned by o->votes. Cannot fail. */
const struct feedrec *tailview_vote_of(const struct tailview_opts *o,
    struct spanscan_str span_id);

/* A vote that arrived after its turn was shown, as its own line: when the
 * user voted, the first 8 hex digits of the trace id, VOTE, the mark, the
 * session id and the comment in quotes (one line, cut to o->width).
 * Never fails; write errors are out's to report. */
void tailview_vote_line(FILE *out, const struct feedrec *r,
    const struct tailview_opts *o);

/* The turns follow mode has shown, so that a vote arriving later can be
 * told from one on a turn the view left out: the span ids (and parent
 * ids) of recently printed spans, in a fixed table where a newer id can
 * push out an older one (TAILVIEW_SEEN_SLOTS; memory stays constant). */
#define TAILVIEW_SEEN_SLOTS	16384
struct tailview_seen;
/* An empty set. Never fails (abort on OOM); free with tailview_seen_free. */
struct tailview_seen *tailview_seen_new(void);
/* Free seen; NULL is fine. */
void tailview_seen_free(struct tailview_seen *seen);
/* Remember s's span id and parent span id (16 hex digits; others are
 * ignored). Cannot fail. */
void tailview_seen_add(struct tailview_seen *seen,
    const struct spanscan_span *s);
/* 1 when span_id (16 hex digits, NUL-terminated) was added and not pushed
 * out since, else 0. Cannot fail. */
int tailview_seen_has(const struct tailview_seen *seen, const char *span_id);

/* Collected spans for the tree view: a spantree whose nodes carry what
 * the tree shows. */
#define TAILVIEW_TREE_TEXT	120
struct tailview_trees;
/* An empty collection. Never fails (abort on OOM); the caller frees it
 * with tailview_trees_free. */
struct tailview_trees *tailview_trees_new(void);
/* Copy what the tree shows of s (ids, names, kinds, times, status, session
 * id, at most TAILVIEW_TREE_TEXT bytes of input and output or error); a
 * span whose id was already added to the same trace is ignored
 * (at-least-once copies). Never fails (abort on OOM); nothing of s is
 * kept. */
void tailview_trees_add(struct tailview_trees *t,
    const struct spanscan_span *s);
/* The spans collected (0 for NULL). Cannot fail. */
size_t tailview_trees_count(const struct tailview_trees *t);
/* Free t and all it copied; NULL is fine. */
void tailview_trees_free(struct tailview_trees *t);

/* Print every trace, oldest start first: a header (trace id, start time,
 * total duration, span count, session id, error mark), then its spans as
 * a tree (children under parents, siblings by start time; a span whose
 * parent is not in the spool at the top, marked so) with name, kind,
 * duration, status and a TAILVIEW_BAR_CELLS waterfall bar ('#' without
 * colour, '█' with it), and after the bar the vote on the span when
 * o->votes has one. Traces are separated by an empty line. Nothing
 * for a NULL or empty t; never fails (abort on OOM). */
void tailview_trees_print(FILE *out, const struct tailview_trees *t,
    const struct tailview_opts *o);

#endif
