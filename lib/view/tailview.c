/* tailview.c - spool-tail's terminal views: the one-line span view, traces
 * as trees with a waterfall bar (walked by spantree), votes beside their
 * turns, and the cells, durations and times. */
#include "tailview.h"

#include <sys/ioctl.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "hex.h"
#include "spantree.h"
#include "xalloc.h"

#define NS_PER_SEC	1000000000ULL
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define LEFT		TAILVIEW_ALIGN_LEFT
#define RIGHT		TAILVIEW_ALIGN_RIGHT
#define ELLIPSIS	"…"

#define LINE_KIND_MIN	6	/* kind column: at least, at most */
#define LINE_KIND_MAX	11
#define LINE_NAME_MIN	12
#define LINE_NAME_MAX	24
#define LINE_DUR_COLS	6
#define LINE_STATUS_COLS 5
#define LINE_SESSION_MAX 24

#define TREE_NAME_COLS	28	/* indent + name */
#define TREE_KIND_COLS	9
#define TREE_INDENT_MAX	10	/* deeper spans are indented no further */
#define TREE_NAME_MAX	64	/* bytes shown of a name, kind, session id */

/* ---- Small formatting helpers --------------------------------------- */

void
tailview_opts_init(struct tailview_opts *o)
{
	o->color = 0;
	o->width = TAILVIEW_WIDTH_DEFAULT;
	o->utc = 0;
	o->ascii = 0;
	o->votes = NULL;
}

static int
tailview_terminal_width(int fd)
{
	struct winsize ws;
	long long cols;
	const char *env = getenv("COLUMNS");

	if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	if (env != NULL && config_parse_int(env, 20, 1000, &cols) == 0)
		return (int)cols;
	return TAILVIEW_WIDTH_TERMINAL;
}

void
tailview_opts_terminal(struct tailview_opts *o, int fd)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	tailview_opts_init(o);
	o->color = isatty(fd) && (nc == NULL || *nc == '\0') &&
	    (term == NULL || strcmp(term, "dumb") != 0);
	o->width = tailview_terminal_width(fd);
	o->ascii = !tailview_utf8_locale();
}

/* s contains "utf-8" or "utf8", in any case. */
static int
tailview_names_utf8(const char *s)
{
	for (; *s != '\0'; s++)
		if (strncasecmp(s, "utf-8", 5) == 0 ||
		    strncasecmp(s, "utf8", 4) == 0)
			return 1;
	return 0;
}

int
tailview_utf8_locale(void)
{
	/* The order setlocale(3) gives them for LC_CTYPE. */
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
	const char *v;

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if ((v = getenv(vars[i])) != NULL && *v != '\0')
			return tailview_names_utf8(v);
	return 0;
}

const char *
tailview_kind_name(int otel_kind)
{
	static const char *const names[] = { "UNSPECIFIED", "INTERNAL",
	    "SERVER", "CLIENT", "PRODUCER", "CONSUMER" };

	if (otel_kind < 0 || otel_kind > 5)
		return "UNKNOWN";
	return names[otel_kind];
}

/* ns / unit, rounded to nearest. */
static uint64_t
tailview_div_round(uint64_t ns, uint64_t unit)
{
	return ns / unit + (ns % unit >= unit - unit / 2 ? 1 : 0);
}

static void
tailview_duration_long(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = tailview_div_round(ns, NS_PER_SEC), m;

	if (s < 3600) {
		snprintf(buf, len, "%um%02us", (unsigned)(s / 60),
		    (unsigned)(s % 60));
		return;
	}
	m = tailview_div_round(ns, 60 * NS_PER_SEC);
	snprintf(buf, len, "%lluh%02um", (unsigned long long)(m / 60),
	    (unsigned)(m % 60));
}

char *
tailview_duration(uint64_t ns, char *buf, size_t len)
{
	/* Each range is tried with the value rounded to its own precision,
	 * so 9.996ms becomes 10.0ms, not 10.00ms. */
	static const struct {
		uint64_t	 unit, scale, below;
		const char	*sfx;
	} r[] = {
		{ 1000, 1, 1000, "µs" }, { 10000, 100, 1000, "ms" },
		{ 100000, 10, 1000, "ms" }, { 1000000, 1, 1000, "ms" },
		{ 10000000, 100, 1000, "s" }, { 100000000, 10, 600, "s" },
	};
	uint64_t v;

	if (ns < 1000) {
		snprintf(buf, len, "%uns", (unsigned)ns);
		return buf;
	}
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if ((v = tailview_div_round(ns, r[i].unit)) >= r[i].below)
			continue;
		if (r[i].scale == 1)
			snprintf(buf, len, "%u%s", (unsigned)v, r[i].sfx);
		else
			snprintf(buf, len, "%u.%0*u%s",
			    (unsigned)(v / r[i].scale), r[i].scale == 100 ? 2 :
			    1,
			    (unsigned)(v % r[i].scale), r[i].sfx);
		return buf;
	}
	tailview_duration_long(ns, buf, len);
	return buf;
}

char *
tailview_time(uint64_t ns, const struct tailview_opts *o, int with_date,
    char *buf, size_t len)
{
	time_t sec = (time_t)(ns / NS_PER_SEC);
	struct tm tm;
	size_t n;

	if ((o->utc ? gmtime_r(&sec, &tm) : localtime_r(&sec, &tm)) == NULL ||
	    (n = strftime(buf, len, with_date ? "%Y-%m-%d %H:%M:%S" :
	    "%H:%M:%S", &tm)) == 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (!with_date)
		snprintf(buf + n, len - n, ".%03u",
		    (unsigned)(ns / 1000000 % 1000));
	return buf;
}

/* ---- UTF-8 text in terminal columns --------------------------------- */

/* Decode one character; a malformed byte is taken alone as U+FFFD. */
static uint32_t
tailview_u8_next(const unsigned char *s, size_t len, size_t *adv)
{
	uint32_t c = s[0];
	size_t n = c < 0x80 ? 1 : c >= 0xf0 && c < 0xf5 ? 4 :
	    c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;

	*adv = 1;
	if (n == 1)
		return c;
	if (n == 0 || n > len)
		return 0xfffd;
	c &= 0x3f >> (n - 1);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		c = c << 6 | (s[i] & 0x3f);
	}
	*adv = n;
	return c;
}

static int
tailview_u8_cols(uint32_t c)
{
	if ((c >= 0x300 && c < 0x370) || (c >= 0x200b && c < 0x2010) ||
	    (c >= 0x20d0 && c < 0x2100) || (c >= 0xfe00 && c < 0xfe10))
		return 0;
	if ((c >= 0x1100 && c < 0x1160) || (c >= 0x2e80 && c < 0xa4d0) ||
	    (c >= 0xac00 && c < 0xd7a4) || (c >= 0xf900 && c < 0xfb00) ||
	    (c >= 0xfe30 && c < 0xfe50) || (c >= 0xff00 && c < 0xff61) ||
	    (c >= 0xffe0 && c < 0xffe7) || (c >= 0x1f300 && c < 0x1f650) ||
	    (c >= 0x1f900 && c < 0x1fa00) || (c >= 0x20000 && c < 0x3fffe))
		return 2;
	return 1;
}

/* Bytes of the longest prefix of s fitting maxcols; *cols gets its width. */
static size_t
tailview_u8_fit(const char *s, size_t len, int maxcols, int *cols)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, adv;
	int w = 0, cw;

	while (i < len) {
		cw = tailview_u8_cols(tailview_u8_next(u + i, len - i, &adv));
		if (w + cw > maxcols)
			break;
		w += cw;
		i += adv;
	}
	*cols = w;
	return i;
}

int
tailview_cols(const char *s, size_t len)
{
	int cols;

	(void)tailview_u8_fit(s, len, 1 << 30, &cols);
	return cols;
}

static void
tailview_put_spaces(FILE *out, int n)
{
	for (; n > 0; n--)
		fputc(' ', out);
}

/* Byte offset of the shortest suffix of s that is at most maxcols wide
 * (starting on a character). */
static size_t
tailview_u8_tail(const char *s, size_t len, int maxcols)
{
	const unsigned char *u = (const unsigned char *)s;
	int left = tailview_cols(s, len);
	size_t i = 0, adv;

	while (i < len && left > maxcols) {
		left -= tailview_u8_cols(tailview_u8_next(u + i, len - i,
		    &adv));
		i += adv;
	}
	return i;
}

/* How s goes into cols columns: s[0, *head), then when it had to be cut
 * "…" and s[*tail, len). Returns the columns that takes. */
static int
tailview_cell_plan(const char *s, size_t len, int cols, int align, size_t *head,
    size_t *tail)
{
	int w, tw = 0;

	*tail = len;
	if ((*head = tailview_u8_fit(s, len, cols, &w)) == len)
		return w;
	if (align != TAILVIEW_CUT_MIDDLE)
		*head = tailview_u8_fit(s, len, cols - 1, &w);
	else {
		*head = tailview_u8_fit(s, len, cols - 1 - (cols - 1) / 2, &w);
		*tail = *head + tailview_u8_tail(s + *head, len - *head, (cols - 1) / 2);
		tw = tailview_cols(s + *tail, len - *tail);
	}
	return w + 1 + tw;
}

int
tailview_cell(FILE *out, const struct tailview_opts *o, const char *color,
    const char *s, int cols, int align)
{
	size_t len = strlen(s), head, tail;
	int w;

	if (cols <= 0)
		return 0;
	w = tailview_cell_plan(s, len, cols, align, &head, &tail);
	if (align == RIGHT)
		tailview_put_spaces(out, cols - w);
	if (color != NULL && o->color)
		fputs(color, out);
	fwrite(s, 1, head, out);
	if (head < len) {
		fputs(ELLIPSIS, out);
		fwrite(s + tail, 1, len - tail, out);
	}
	if (color != NULL && o->color)
		fputs(TAILVIEW_RESET, out);
	if (align != RIGHT)
		tailview_put_spaces(out, cols - w);
	return cols;
}

/* Runs of spaces become one, ends trimmed; returns the new length. */
static size_t
tailview_squeeze(char *s, size_t len)
{
	size_t i, j = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == ' ' && (j == 0 || s[j - 1] == ' '))
			continue;
		s[j++] = s[i];
	}
	if (j > 0 && s[j - 1] == ' ')
		j--;
	s[j] = '\0';
	return j;
}

size_t
tailview_text(struct spanscan_str s, char *out, size_t outlen)
{
	/* Decoded with 8 bytes to spare, so a value that ends is told apart
	 * from one the room cut (no character is longer than 4). */
	char tmp[TAILVIEW_TEXT_MAX + 8];
	size_t cap, n, limited;

	out[0] = '\0';
	if (s.ptr == NULL || outlen < 8)
		return 0;
	if (outlen > TAILVIEW_TEXT_MAX)
		outlen = TAILVIEW_TEXT_MAX;
	cap = outlen - sizeof(ELLIPSIS);	/* room for "…" and the NUL */
	n = spanscan_unescape(s, tmp, cap + 9, 1);
	limited = n > cap + 4;
	n = tailview_squeeze(tmp, n);
	if (n > cap) {
		for (n = cap; ((unsigned char)tmp[n] & 0xc0) == 0x80; n--)
			;
		limited = 1;
	}
	while (limited && n > 0 && tmp[n - 1] == ' ')
		n--;
	memcpy(out, tmp, n);
	if (limited) {
		memcpy(out + n, ELLIPSIS, sizeof(ELLIPSIS));
		return n + sizeof(ELLIPSIS) - 1;
	}
	out[n] = '\0';
	return n;
}

/* ---- A line of cells, kept within the width ------------------------- */

struct tailview_lw {
	FILE				*out;
	const struct tailview_opts	*o;
	int				 col, width;
};

static void
tailview_lw_init(struct tailview_lw *w, FILE *out,
    const struct tailview_opts *o)
{
	w->out = out;
	w->o = o;
	w->col = 0;
	w->width = o->width <= 0 ? TAILVIEW_WIDTH_DEFAULT :
	    o->width > TAILVIEW_WIDTH_MAX ? TAILVIEW_WIDTH_MAX : o->width;
}

static int
tailview_lw_room(const struct tailview_lw *w)
{
	return w->width - w->col;
}

/* A cell of cols columns (fewer if the line ends first), after a space
 * when sep is set; nothing at all when there is no room for it. */
static void
tailview_lw_cell(struct tailview_lw *w, const char *color, const char *s,
    int cols, int align,
    int sep)
{
	if (cols <= 0 || tailview_lw_room(w) < (sep ? 2 : 1))
		return;
	if (sep) {
		fputc(' ', w->out);
		w->col++;
	}
	if (cols > tailview_lw_room(w))
		cols = tailview_lw_room(w);
	w->col += tailview_cell(w->out, w->o, color, s, cols, align);
}

/* A cell as wide as its text, between lo and hi columns. */
static void
tailview_lw_text(struct tailview_lw *w, const char *color, const char *s,
    int lo, int hi,
    int sep)
{
	int cols = tailview_cols(s, strlen(s));

	tailview_lw_cell(w, color, s, cols < lo ? lo : cols > hi ? hi : cols,
	    LEFT, sep);
}

/* ---- Span fields as shown ------------------------------------------- */

static const char *
tailview_kind_color(const char *kind)
{
	if (strcmp(kind, "AGENT") == 0)
		return TAILVIEW_MAGENTA;
	if (strcmp(kind, "LLM") == 0)
		return TAILVIEW_YELLOW;
	return NULL;
}

static const char *
tailview_status_text(int code)
{
	return code == 2 ? "ERROR" : code == 1 ? "OK" : "-";
}

static const char *
tailview_status_color(int code)
{
	return code == 2 ? TAILVIEW_RED : code == 1 ? TAILVIEW_GREEN : NULL;
}

static void
tailview_kind_of(const struct spanscan_span *s, char *buf, size_t len)
{
	if (tailview_text(s->oi_kind, buf, len) == 0)
		snprintf(buf, len, "%s", tailview_kind_name(s->kind));
}

static void
tailview_elapsed(uint64_t start, uint64_t end, char *buf, size_t len)
{
	if (end < start || start == 0)
		snprintf(buf, len, "-");
	else
		tailview_duration(end - start, buf, len);
}

/* "type: message" of the exception event, else the status message. */
static void
tailview_error(const struct spanscan_span *s, char *buf, size_t len)
{
	size_t n = tailview_text(s->exception_type, buf, len);

	if (n > 0) {
		if (n + 2 + 8 > len)
			return;		/* room for the type only */
		memcpy(buf + n, ": ", 3);
		n += 2;
	}
	if (tailview_text(s->exception_message, buf + n, len - n) > 0 ||
	    tailview_text(s->status_message, buf + n, len - n) > 0)
		return;
	if (n > 0)
		buf[n - 2] = '\0';	/* the type alone */
	else
		snprintf(buf, len, "(no message)");
}

/* The first 8 characters of the trace id, '-' filling what is missing. */
static void
tailview_short_trace(struct spanscan_str id, char *buf)
{
	for (size_t i = 0; i < 8; i++)
		buf[i] = id.ptr != NULL && i < id.len &&
		    isalnum((unsigned char)id.ptr[i]) ? id.ptr[i] : '-';
	buf[8] = '\0';
}

/* input → output, the input getting what the output leaves, and at
 * least half when both are long. */
static void
tailview_line_tail(struct tailview_lw *w, const char *in, const char *res,
    const char *rescol)
{
	int room = tailview_lw_room(w) - 1, inw, resw, inb;

	if (!*res) {
		tailview_lw_cell(w, NULL, in, tailview_cols(in, strlen(in)),
		    LEFT, 1);
		return;
	}
	inw = tailview_cols(in, strlen(in));
	resw = tailview_cols(res, strlen(res));
	inb = 0;
	if (*in) {
		inb = room - 3 - resw;
		if (inb < (room - 3) / 2)
			inb = (room - 3) / 2;
		if (inb > inw)
			inb = inw;
		tailview_lw_cell(w, NULL, in, inb, LEFT, 1);
	}
	tailview_lw_cell(w, TAILVIEW_DIM, "→", 1, LEFT, 1);
	tailview_lw_cell(w, rescol, res, resw, LEFT, 1);
}

/* What went in: for an LLM span, whose input is the whole conversation
 * as JSON, the model and its token count say more in one line. */
static void
tailview_line_input(const struct spanscan_span *s, char *in, size_t len)
{
	char model[128];

	if (!spanscan_eq(s->oi_kind, "LLM") || s->model.ptr == NULL) {
		tailview_text(s->input, in, len);
		return;
	}
	tailview_text(s->model, model, sizeof(model));
	if (s->tokens_total >= 0)
		snprintf(in, len, "%s, %lld tokens", model,
		    (long long)s->tokens_total);
	else
		snprintf(in, len, "%s", model);
}

static void
tailview_line_texts(struct tailview_lw *w, const struct spanscan_span *s)
{
	char in[TAILVIEW_TEXT_MAX], res[TAILVIEW_TEXT_MAX];

	tailview_line_input(s, in, sizeof(in));
	if (s->status_code == 2)
		tailview_error(s, res, sizeof(res));
	else
		tailview_text(s->output, res, sizeof(res));
	tailview_line_tail(w, in, res, s->status_code == 2 ? TAILVIEW_RED :
	    NULL);
}

/* ---- Votes ------------------------------------------------------------ */

const char *
tailview_vote_mark(int up, const struct tailview_opts *o)
{
	if (o->ascii)
		return up ? "+1" : "-1";
	return up ? "👍" : "👎";
}

const struct feedrec *
tailview_vote_of(const struct tailview_opts *o, struct spanscan_str span_id)
{
	char id[17];

	if (o->votes == NULL || span_id.ptr == NULL || span_id.len != 16)
		return NULL;
	spanscan_unescape(span_id, id, sizeof(id), 0);
	return feedidx_get(o->votes, id);
}

/* The comment on one line: control characters (C0, DEL, C1: a terminal
 * would act on them) made spaces, runs of spaces one, ends trimmed; at
 * most outlen - 1 bytes, cut on a character (*cut set then). Returns its
 * length. */
static size_t
tailview_comment_line(const char *c, char *out, size_t outlen, int *cut)
{
	const unsigned char *u = (const unsigned char *)c;
	size_t i = 0, j = 0, adv, len = strlen(c);
	uint32_t cp;

	*cut = 0;
	while (i < len) {
		cp = tailview_u8_next(u + i, len - i, &adv);
		if ((*cut = j + adv >= outlen))
			break;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			out[j++] = ' ';
		else {
			memcpy(out + j, c + i, adv);
			j += adv;
		}
		i += adv;
	}
	out[j] = '\0';
	return tailview_squeeze(out, j);
}

/* The comment in quotes, in at most cols columns ("…" before the closing
 * quote when it had to be cut); "" when there is no comment or cols < 4. */
static void
tailview_comment(const char *c, int cols, char *out, size_t outlen)
{
	char text[TAILVIEW_TEXT_MAX];
	size_t len, head;
	int w, cut;

	out[0] = '\0';
	if (c == NULL || cols < 4 || outlen < sizeof(text) + 8 ||
	    (len = tailview_comment_line(c, text, sizeof(text), &cut)) == 0)
		return;
	if (cols > TAILVIEW_WIDTH_MAX)
		cols = TAILVIEW_WIDTH_MAX;
	if (!cut && tailview_u8_fit(text, len, cols - 2, &w) == len) {
		snprintf(out, outlen, "\"%s\"", text);
		return;
	}
	head = tailview_u8_fit(text, len, cols - 3, &w);
	while (head > 0 && text[head - 1] == ' ')
		head--;
	snprintf(out, outlen, "\"%.*s%s\"", (int)head, text, ELLIPSIS);
}

/* The comment in quotes, in at most maxcols columns; nothing without. */
static void
tailview_lw_comment(struct tailview_lw *w, const char *comment, int maxcols)
{
	char q[TAILVIEW_TEXT_MAX + 16];

	tailview_comment(comment, maxcols, q, sizeof(q));
	if (q[0] != '\0')
		tailview_lw_text(w, NULL, q, 1, maxcols, 1);
}

static void
tailview_lw_mark(struct tailview_lw *w, int up)
{
	tailview_lw_text(w, up ? TAILVIEW_GREEN : TAILVIEW_RED,
	    tailview_vote_mark(up, w->o), 2, 2, 1);
}

/* The vote's mark, then its comment in at most maxcols columns. */
static void
tailview_lw_vote(struct tailview_lw *w, const struct feedrec *r,
    int maxcols)
{
	tailview_lw_mark(w, r->up);
	tailview_lw_comment(w, r->comment, maxcols);
}

void
tailview_vote_line(FILE *out, const struct feedrec *r,
    const struct tailview_opts *o)
{
	char buf[TAILVIEW_TIME_LEN], trace[9];
	struct tailview_lw w;

	tailview_lw_init(&w, out, o);
	tailview_time(r->time_unix_nano > 0 ? (uint64_t)r->time_unix_nano : 0,
	    o, 0, buf, sizeof(buf));
	tailview_lw_cell(&w, TAILVIEW_DIM, buf, 12, LEFT, 0);
	tailview_short_trace((struct spanscan_str){ r->trace_id,
	    strlen(r->trace_id) }, trace);
	tailview_lw_cell(&w, TAILVIEW_CYAN, trace, 8, LEFT, 1);
	tailview_lw_text(&w, TAILVIEW_BOLD, "VOTE", LINE_KIND_MIN,
	    LINE_KIND_MAX, 1);
	tailview_lw_mark(&w, r->up);
	tailview_lw_cell(&w, NULL, r->session_id, MIN(tailview_cols(
	    r->session_id, strlen(r->session_id)), LINE_SESSION_MAX),
	    TAILVIEW_CUT_MIDDLE, 1);
	tailview_lw_comment(&w, r->comment, tailview_lw_room(&w) - 1);
	fputc('\n', out);
}

/* ---- Turns already shown ---------------------------------------------- */

struct tailview_seen {
	uint64_t	ids[TAILVIEW_SEEN_SLOTS];	/* 0: free */
};

/* A span id's 64 bits, or 0 for anything but 16 hex digits. */
static uint64_t
tailview_seen_key(const char *hex, size_t len)
{
	uint8_t b[8];
	uint64_t k = 0;

	if (len != 16 || hex_decode(hex, 8, b) == -1)
		return 0;
	for (size_t i = 0; i < 8; i++)
		k = k << 8 | b[i];
	return k;
}

struct tailview_seen *
tailview_seen_new(void)
{
	return xcalloc(1, sizeof(struct tailview_seen));
}

void
tailview_seen_free(struct tailview_seen *seen)
{
	free(seen);
}

static void
tailview_seen_put(struct tailview_seen *seen, struct spanscan_str id)
{
	uint64_t k;

	/* Span ids are random: their low bits pick the slot. */
	if (id.ptr != NULL && (k = tailview_seen_key(id.ptr, id.len)) != 0)
		seen->ids[k % TAILVIEW_SEEN_SLOTS] = k;
}

void
tailview_seen_add(struct tailview_seen *seen, const struct spanscan_span *s)
{
	tailview_seen_put(seen, s->span_id);
	tailview_seen_put(seen, s->parent_span_id);
}

int
tailview_seen_has(const struct tailview_seen *seen, const char *span_id)
{
	uint64_t k = tailview_seen_key(span_id, strlen(span_id));

	return k != 0 && seen->ids[k % TAILVIEW_SEEN_SLOTS] == k;
}

void
tailview_line(FILE *out, const struct spanscan_span *s,
    const struct tailview_opts *o)
{
	char buf[TAILVIEW_TEXT_MAX], trace[9];
	const struct feedrec *r;
	struct tailview_lw w;

	tailview_lw_init(&w, out, o);
	tailview_time(s->end_ns ? s->end_ns : s->start_ns, o, 0, buf,
	    sizeof(buf));
	tailview_lw_cell(&w, TAILVIEW_DIM, buf, 12, LEFT, 0);
	tailview_short_trace(s->trace_id, trace);
	tailview_lw_cell(&w, TAILVIEW_CYAN, trace, 8, LEFT, 1);
	tailview_kind_of(s, buf, TREE_NAME_MAX);
	tailview_lw_text(&w, tailview_kind_color(buf), buf, LINE_KIND_MIN,
	    LINE_KIND_MAX, 1);
	tailview_text(s->name, buf, sizeof(buf));
	tailview_lw_text(&w, NULL, buf, LINE_NAME_MIN, LINE_NAME_MAX, 1);
	tailview_elapsed(s->start_ns, s->end_ns, buf, sizeof(buf));
	tailview_lw_cell(&w, NULL, buf, LINE_DUR_COLS, RIGHT, 1);
	tailview_lw_cell(&w, tailview_status_color(s->status_code),
	    tailview_status_text(s->status_code),
	    LINE_STATUS_COLS, LEFT, 1);
	if (tailview_text(s->session_id, buf, sizeof(buf)) == 0)
		strcpy(buf, "-");
	/* Ids often share a prefix and differ at the end: keep both. */
	tailview_lw_cell(&w, NULL, buf, MIN(tailview_cols(buf, strlen(buf)),
	    LINE_SESSION_MAX), TAILVIEW_CUT_MIDDLE, 1);
	if ((r = tailview_vote_of(o, s->span_id)) != NULL)
		tailview_lw_vote(&w, r, tailview_lw_room(&w) / 3);
	tailview_line_texts(&w, s);
	fputc('\n', out);
}

/* ---- Trees ------------------------------------------------------------ */

/* What the tree shows of a span, decoded once: a spantree node's data. */
struct tailview_shown {
	int		 otel_kind, status;
	char		*name, *kind, *session, *in, *res;	/* in text[] */
	char		 text[];
};

struct tailview_trees {
	struct spantree	*tree;
};

struct tailview_trees *
tailview_trees_new(void)
{
	struct tailview_trees *t = xcalloc(1, sizeof(*t));

	t->tree = spantree_new();
	return t;
}

size_t
tailview_trees_count(const struct tailview_trees *t)
{
	return t == NULL ? 0 : spantree_count(t->tree);
}

void
tailview_trees_free(struct tailview_trees *t)
{
	if (t == NULL)
		return;
	spantree_free(t->tree);
	free(t);
}

/* Decode the shown strings of s into one allocation. */
static struct tailview_shown *
tailview_shown_new(const struct spanscan_span *s)
{
	char name[TREE_NAME_MAX], kind[TREE_NAME_MAX], sess[TREE_NAME_MAX],
	    in[TAILVIEW_TREE_TEXT + 1], res[TAILVIEW_TREE_TEXT + 1];
	size_t ln, lk, ls, li, lr;
	struct tailview_shown *n;

	ln = tailview_text(s->name, name, sizeof(name)) + 1;
	lk = tailview_text(s->oi_kind, kind, sizeof(kind)) + 1;
	ls = tailview_text(s->session_id, sess, sizeof(sess)) + 1;
	li = tailview_text(s->input, in, sizeof(in)) + 1;
	if (s->status_code == 2)
		tailview_error(s, res, sizeof(res));
	else
		tailview_text(s->output, res, sizeof(res));
	lr = strlen(res) + 1;
	n = xmalloc(sizeof(*n) + ln + lk + ls + li + lr);
	n->otel_kind = s->kind;
	n->status = s->status_code;
	n->name = memcpy(n->text, name, ln);
	n->kind = memcpy(n->name + ln, kind, lk);
	n->session = memcpy(n->kind + lk, sess, ls);
	n->in = memcpy(n->session + ls, in, li);
	n->res = memcpy(n->in + li, res, lr);
	return n;
}

void
tailview_trees_add(struct tailview_trees *t, const struct spanscan_span *s)
{
	struct spantree_node *n;

	if ((n = spantree_add(t->tree, s)) != NULL)
		n->data = tailview_shown_new(s);
}

/* '|' + cells + '|': where n sits in its trace's time. */
static void
tailview_bar(const struct spantree_trace *tr, const struct spantree_node *n,
    int blocks, char *buf, size_t len)
{
	uint64_t total = tr->end - tr->start;
	int c0 = 0, c1 = TAILVIEW_BAR_CELLS;
	size_t k = 0;
	double x;

	if (total > 0) {
		c0 = (int)((double)(n->start - tr->start) *
		    TAILVIEW_BAR_CELLS / (double)total);
		x = (double)(n->end - tr->start) * TAILVIEW_BAR_CELLS /
		    (double)total;
		c1 = (int)x + ((double)(int)x < x);
		if (c0 >= TAILVIEW_BAR_CELLS)
			c0 = TAILVIEW_BAR_CELLS - 1;
		if (c1 <= c0)
			c1 = c0 + 1;	/* a short span still shows */
	}
	buf[k++] = '|';
	for (int c = 0; c < TAILVIEW_BAR_CELLS && k + 3 + 2 <= len; c++) {
		if (c < c0 || c >= c1)
			buf[k++] = ' ';
		else if (!blocks)
			buf[k++] = '#';
		else {
			memcpy(buf + k, "█", 3);
			k += 3;
		}
	}
	buf[k++] = '|';
	buf[k] = '\0';
}

static void
tailview_tree_suffix(struct tailview_lw *w, const struct tailview_shown *s,
    enum spantree_top top)
{
	if (top == SPANTREE_ORPHAN)
		tailview_lw_text(w, TAILVIEW_DIM, "(parent not in spool)", 1,
		    w->width, 1);
	else if (top == SPANTREE_LOOP)
		tailview_lw_text(w, TAILVIEW_DIM, "(parent loop)", 1, w->width,
		    1);
	if (s->status == 2) {
		tailview_lw_text(w, TAILVIEW_RED, w->o->color ? "✗" : "error:",
		    1,
		    w->width, 1);
		tailview_lw_text(w, TAILVIEW_RED, s->res, 1, w->width, 1);
	} else if (top != SPANTREE_CHILD)
		tailview_line_tail(w, s->in, s->res, NULL);
}

/* Where the tree view prints, for the spantree_walk callbacks. */
struct tailview_treeout {
	FILE				*out;
	const struct tailview_opts	*o;
};

static void
tailview_tree_span(const struct spantree_trace *tr,
    const struct spantree_node *n, int depth, enum spantree_top top,
    void *arg)
{
	const struct tailview_treeout *p = arg;
	const struct tailview_shown *s = n->data;
	const char *kind = s->kind[0] ? s->kind :
	    tailview_kind_name(s->otel_kind);
	char buf[TAILVIEW_BAR_CELLS * 3 + 3];
	int indent = 2 * (1 + (depth > TREE_INDENT_MAX ? TREE_INDENT_MAX :
	    depth));
	const struct feedrec *r;
	struct tailview_lw w;

	tailview_lw_init(&w, p->out, p->o);
	tailview_lw_cell(&w, NULL, "", indent, LEFT, 0);
	tailview_lw_cell(&w, NULL, s->name, TREE_NAME_COLS - indent, LEFT, 0);
	tailview_lw_cell(&w, tailview_kind_color(kind), kind, TREE_KIND_COLS,
	    LEFT, 1);
	tailview_elapsed(n->start, n->end, buf, sizeof(buf));
	tailview_lw_cell(&w, NULL, buf, LINE_DUR_COLS, RIGHT, 1);
	tailview_lw_cell(&w, tailview_status_color(s->status),
	    tailview_status_text(s->status),
	    LINE_STATUS_COLS, LEFT, 1);
	tailview_bar(tr, n, p->o->color, buf, sizeof(buf));
	tailview_lw_cell(&w, s->status == 2 ? TAILVIEW_RED :
	    tailview_kind_color(kind), buf,
	    TAILVIEW_BAR_CELLS + 2, LEFT, 1);
	if ((r = tailview_vote_of(p->o, (struct spanscan_str){ n->id,
	    strlen(n->id) })) != NULL)
		tailview_lw_vote(&w, r, tailview_lw_room(&w) / 2);
	tailview_tree_suffix(&w, s, top);
	fputc('\n', p->out);
}

/* The errors of a trace and its first session id (by start), or NULL. */
static size_t
tailview_tree_errors(const struct spantree_trace *tr, const char **session)
{
	size_t errors = 0;

	*session = NULL;
	for (size_t i = 0; i < tr->n; i++) {
		const struct tailview_shown *s = tr->spans[i]->data;

		errors += s->status == 2;
		if (*session == NULL && s->session[0] != '\0')
			*session = s->session;
	}
	return errors;
}

static void
tailview_tree_header(const struct spantree_trace *tr, void *arg)
{
	const struct tailview_treeout *p = arg;
	char buf[TAILVIEW_TIME_LEN + TAILVIEW_DUR_LEN];
	const char *session;
	size_t errors = tailview_tree_errors(tr, &session);
	struct tailview_lw w;

	if (tr->index > 0)
		fputc('\n', p->out);
	tailview_lw_init(&w, p->out, p->o);
	tailview_lw_cell(&w, TAILVIEW_BOLD, "trace", 5, LEFT, 0);
	tailview_lw_text(&w, TAILVIEW_CYAN, tr->id[0] ? tr->id : "-", 1,
	    w.width, 1);
	tailview_lw_text(&w, TAILVIEW_DIM, tailview_time(tr->start, p->o, 0,
	    buf,
	    sizeof(buf)), 1, w.width, 1);
	tailview_elapsed(tr->start, tr->end, buf, sizeof(buf));
	tailview_lw_text(&w, NULL, buf, 1, w.width, 1);
	snprintf(buf, sizeof(buf), "%zu span%s", tr->n, tr->n == 1 ? "" : "s");
	tailview_lw_text(&w, NULL, buf, 1, w.width, 1);
	if (errors > 0) {
		tailview_lw_text(&w, TAILVIEW_RED, p->o->color ? "✗" : "ERROR:",
		    1,
		    w.width, 1);
		snprintf(buf, sizeof(buf), "%zu error%s", errors,
		    errors == 1 ? "" : "s");
		tailview_lw_text(&w, TAILVIEW_RED, buf, 1, w.width, 1);
	}
	if (session != NULL) {	/* last: the one to cut */
		tailview_lw_text(&w, NULL, "session", 1, w.width, 1);
		tailview_lw_text(&w, NULL, session, 1, w.width, 1);
	}
	fputc('\n', p->out);
}

void
tailview_trees_print(FILE *out, const struct tailview_trees *t,
    const struct tailview_opts *o)
{
	struct tailview_treeout p = { out, o };

	if (t != NULL)
		spantree_walk(t->tree, tailview_tree_header, tailview_tree_span,
		    &p);
}
