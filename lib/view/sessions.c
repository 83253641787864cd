/* sessions.c - per session.id figures as Phoenix's Sessions view shows
 * them (turns, first input, last output, tokens, errors, last activity)
 * and the users' votes, kept in open-addressing tables: sessions, root
 * traces seen, and voted spans counted. */
#include "sessions.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "hex.h"
#include "xalloc.h"

#define SLOTS_MIN	1024	/* initial size of either table */
/* 2^64 / the golden ratio: the FNV start of the low half of a hashed trace
 * id, and the multiplier that spreads trace keys over the slots. */
#define SESSIONS_PHI64	0x9e3779b97f4a7c15ULL
#define LEFT		TAILVIEW_ALIGN_LEFT
#define RIGHT		TAILVIEW_ALIGN_RIGHT
#define COL_SESSION_MIN	24	/* the id column gets more only when the */
#define COL_SESSION_MAX	64	/* text columns are already full */
#define COL_TURNS	5
#define COL_TOKENS	8
#define COL_ERRORS	6
#define COL_TIME	19	/* YYYY-MM-DD HH:MM:SS */
#define COL_TEXT_MIN	8
#define COLS_FIXED	(COL_TURNS + COL_TOKENS + COL_ERRORS + COL_TIME + 6)
#define COL_VOTES	4	/* each of 👍 and 👎, with the votes */

struct sess {
	uint64_t	 turns, tokens, errors;
	uint64_t	 up, down;	/* latest votes on its spans */
	uint64_t	 first_seen, last_activity;
	uint64_t	 first_root, last_root;	/* start times; turns > 0 */
	int		 have_root;
	uint32_t	 hash;
	char		 first_input[SESSIONS_TEXT_MAX];
	char		 last_output[SESSIONS_TEXT_MAX];
	char		 id[];
};

struct tkey {			/* a trace id; 0, 0 marks a free slot */
	uint64_t	 hi, lo;
};

struct tset {			/* a set of keys */
	struct tkey	*slots;
	size_t		 nslots, n;
};

struct sessions {
	struct sess	**slots;
	size_t		  nslots, n;
	struct tset	  traces;	/* traces whose root was counted */
	struct tset	  voted;	/* spans whose vote was counted: the
					 * span id as hi, lo 0 */
	const struct feedidx *votes;
};

struct sessions *
sessions_new(void)
{
	struct sessions *ss = xcalloc(1, sizeof(*ss));

	ss->nslots = ss->traces.nslots = ss->voted.nslots = SLOTS_MIN;
	ss->slots = xcalloc(ss->nslots, sizeof(*ss->slots));
	ss->traces.slots = xcalloc(SLOTS_MIN, sizeof(struct tkey));
	ss->voted.slots = xcalloc(SLOTS_MIN, sizeof(struct tkey));
	return ss;
}

void
sessions_free(struct sessions *ss)
{
	if (ss == NULL)
		return;
	for (size_t i = 0; i < ss->nslots; i++)
		free(ss->slots[i]);
	free(ss->slots);
	free(ss->traces.slots);
	free(ss->voted.slots);
	free(ss);
}

size_t
sessions_count(const struct sessions *ss)
{
	return ss == NULL ? 0 : ss->n;
}

/* ---- The session table ------------------------------------------------ */

/* The slot holding id, or the free slot where it would go. */
static size_t
sessions_slot(struct sess *const *slots, size_t nslots, const char *id,
    size_t len, uint32_t hash)
{
	size_t mask = nslots - 1, i = hash & mask;

	while (slots[i] != NULL && (slots[i]->hash != hash ||
	    strncmp(slots[i]->id, id, len) != 0 || slots[i]->id[len] != '\0'))
		i = (i + 1) & mask;
	return i;
}

static void
sessions_grow(struct sessions *ss)
{
	size_t n = ss->nslots * 2;
	struct sess **slots = xcalloc(n, sizeof(*slots));

	for (size_t i = 0; i < ss->nslots; i++) {
		struct sess *se = ss->slots[i];

		if (se != NULL)
			slots[sessions_slot(slots, n, se->id, strlen(se->id),
			    se->hash)] = se;
	}
	free(ss->slots);
	ss->slots = slots;
	ss->nslots = n;
}

static struct sess *
sessions_intern(struct sessions *ss, const char *id, size_t len)
{
	uint32_t hash = (uint32_t)hash_fnv64(id, len, HASH_FNV64_INIT);
	size_t i = sessions_slot(ss->slots, ss->nslots, id, len, hash);
	struct sess *se;

	if (ss->slots[i] != NULL)
		return ss->slots[i];
	se = xcalloc(1, sizeof(*se) + len + 1);
	memcpy(se->id, id, len);
	se->hash = hash;
	se->first_seen = UINT64_MAX;
	ss->slots[i] = se;
	if (++ss->n * 2 > ss->nslots)
		sessions_grow(ss);
	return se;
}

/* ---- Root traces -------------------------------------------------------- */

/* 32 hex digits as they are; anything else hashed to 128 bits. */
static struct tkey
sessions_trace_key(struct spanscan_str id)
{
	struct tkey k = { 0, 0 };
	size_t i;
	int v = 0;

	for (i = 0; id.ptr != NULL && id.len == 32 && i < 32; i++) {
		if ((v = hex_digit(id.ptr[i])) == -1)
			break;
		if (i < 16)
			k.hi = k.hi << 4 | (uint64_t)v;
		else
			k.lo = k.lo << 4 | (uint64_t)v;
	}
	if (i < 32 || v == -1) {
		k.hi = hash_fnv64(id.ptr ? id.ptr : "", id.ptr ? id.len : 0,
		    HASH_FNV64_INIT);
		k.lo = hash_fnv64(id.ptr ? id.ptr : "", id.ptr ? id.len : 0,
		    SESSIONS_PHI64);
	}
	if (k.hi == 0 && k.lo == 0)
		k.lo = 1;
	return k;
}

static size_t
sessions_trace_slot(const struct tkey *slots, size_t nslots,
    struct tkey k)
{
	size_t mask = nslots - 1, i = (size_t)((k.hi ^ k.lo) *
	    SESSIONS_PHI64 >> 32) & mask;

	while ((slots[i].hi != 0 || slots[i].lo != 0) &&
	    (slots[i].hi != k.hi || slots[i].lo != k.lo))
		i = (i + 1) & mask;
	return i;
}

/* Remember k in set; returns 1 when it is new. */
static int
sessions_trace_add(struct tset *set, struct tkey k)
{
	size_t i = sessions_trace_slot(set->slots, set->nslots, k), n;
	struct tkey *t;

	if (set->slots[i].hi != 0 || set->slots[i].lo != 0)
		return 0;
	set->slots[i] = k;
	if (++set->n * 2 <= set->nslots)
		return 1;
	n = set->nslots * 2;
	t = xcalloc(n, sizeof(*t));
	for (i = 0; i < set->nslots; i++)
		if (set->slots[i].hi != 0 || set->slots[i].lo != 0)
			t[sessions_trace_slot(t, n, set->slots[i])] =
			    set->slots[i];
	free(set->slots);
	set->slots = t;
	set->nslots = n;
	return 1;
}

/* ---- Adding spans ------------------------------------------------------- */

static int
sessions_is_llm(struct spanscan_str kind)
{
	return kind.ptr != NULL && kind.len == 3 &&
	    memcmp(kind.ptr, "LLM", 3) == 0;
}

static uint64_t
sessions_tokens(const struct spanscan_span *s)
{
	if (!s->have_tokens || !sessions_is_llm(s->oi_kind))
		return 0;
	if (s->tokens_total >= 0)
		return (uint64_t)s->tokens_total;
	return (uint64_t)(s->tokens_prompt > 0 ? s->tokens_prompt : 0) +
	    (uint64_t)(s->tokens_completion > 0 ? s->tokens_completion : 0);
}

static void
sessions_root(struct sessions *ss, struct sess *se,
    const struct spanscan_span *s)
{
	if (sessions_trace_add(&ss->traces, sessions_trace_key(s->trace_id)))
		se->turns++;
	/* By start time, not by the order the spool gives them in. */
	if (!se->have_root || s->start_ns < se->first_root) {
		se->first_root = s->start_ns;
		tailview_text(s->input, se->first_input, SESSIONS_TEXT_MAX);
	}
	if (!se->have_root || s->start_ns > se->last_root) {
		se->last_root = s->start_ns;
		tailview_text(s->output, se->last_output, SESSIONS_TEXT_MAX);
	}
	se->have_root = 1;
}

void
sessions_set_votes(struct sessions *ss, const struct feedidx *votes)
{
	ss->votes = votes;
}

/* Count the latest vote on s, once however often s is added. */
static void
sessions_vote(struct sessions *ss, struct sess *se,
    const struct spanscan_span *s)
{
	const struct feedrec *r;
	struct tkey k = { 0, 0 };
	char id[17];
	int v;

	if (ss->votes == NULL || s->span_id.ptr == NULL ||
	    s->span_id.len != 16)
		return;
	spanscan_unescape(s->span_id, id, sizeof(id), 0);
	if ((r = feedidx_get(ss->votes, id)) == NULL)
		return;
	for (size_t i = 0; i < 16 && (v = hex_digit(id[i])) != -1; i++)
		k.hi = k.hi << 4 | (uint64_t)v;
	if (k.hi != 0 && sessions_trace_add(&ss->voted, k)) {
		se->up += r->up != 0;
		se->down += r->up == 0;
	}
}

void
sessions_add(struct sessions *ss, const struct spanscan_span *s)
{
	char id[SESSIONS_ID_MAX];
	uint64_t end = s->end_ns > s->start_ns ? s->end_ns : s->start_ns;
	struct sess *se;
	size_t len;

	if (s->session_id.ptr == NULL || s->session_id.len == 0 ||
	    (len = spanscan_unescape(s->session_id, id, sizeof(id), 1)) == 0)
		return;
	se = sessions_intern(ss, id, len);
	if (s->start_ns < se->first_seen)
		se->first_seen = s->start_ns;
	if (end > se->last_activity)
		se->last_activity = end;
	se->errors += s->status_code == 2;
	se->tokens += sessions_tokens(s);
	sessions_vote(ss, se, s);
	if (s->parent_span_id.ptr == NULL || s->parent_span_id.len == 0)
		sessions_root(ss, se, s);
}

int
sessions_get(const struct sessions *ss, const char *id,
    struct sessions_row *row)
{
	size_t len = strlen(id);
	uint32_t hash = (uint32_t)hash_fnv64(id, len, HASH_FNV64_INIT);
	const struct sess *se;

	se = ss->slots[sessions_slot(ss->slots, ss->nslots, id, len, hash)];
	if (se == NULL)
		return -1;
	row->id = se->id;
	row->turns = se->turns;
	row->tokens = se->tokens;
	row->errors = se->errors;
	row->up = se->up;
	row->down = se->down;
	row->first_seen_ns = se->first_seen;
	row->last_activity_ns = se->last_activity;
	row->first_input = se->first_input;
	row->last_output = se->last_output;
	return 0;
}

/* ---- The table ---------------------------------------------------------- */

struct layout {
	int	session, text;	/* columns of the id and of each text */
	int	votes;		/* show the vote columns */
};

static int
sessions_cmp(const void *a, const void *b)
{
	const struct sess *x = *(struct sess *const *)a;
	const struct sess *y = *(struct sess *const *)b;

	if (x->last_activity != y->last_activity)
		return x->last_activity < y->last_activity ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The id column as wide as the ids, up to COL_SESSION_MIN while the text
 * columns are narrower than SESSIONS_TEXT_COLS (less when they would get
 * under COL_TEXT_MIN); the texts share the rest. Below about 75 columns
 * lines are wider than the terminal. */
static void
sessions_layout(struct layout *l, struct sess *const *rows, size_t n,
    int ss_votes, const struct tailview_opts *o)
{
	int width = o->width <= 0 ? TAILVIEW_WIDTH_DEFAULT :
	    o->width > TAILVIEW_WIDTH_MAX ? TAILVIEW_WIDTH_MAX : o->width;
	int longest = 7, cap, w;	/* "SESSION" */

	l->votes = ss_votes;
	if (l->votes)
		width -= 2 * (COL_VOTES + 1);
	for (size_t i = 0; i < n; i++)
		if ((w = tailview_cols(rows[i]->id, strlen(rows[i]->id))) >
		    longest)
			longest = w;
	cap = width - COLS_FIXED - 2 * SESSIONS_TEXT_COLS;
	cap = cap < COL_SESSION_MIN ? COL_SESSION_MIN :
	    cap > COL_SESSION_MAX ? COL_SESSION_MAX : cap;
	l->session = longest < cap ? longest : cap;
	if (width - COLS_FIXED - l->session < 2 * COL_TEXT_MIN)
		l->session = width - COLS_FIXED - 2 * COL_TEXT_MIN;
	if (l->session < 7)
		l->session = 7;	/* narrower terminals wrap */
	l->text = (width - COLS_FIXED - l->session) / 2;
	if (l->text > SESSIONS_TEXT_COLS)
		l->text = SESSIONS_TEXT_COLS;
	if (l->text < COL_TEXT_MIN)
		l->text = COL_TEXT_MIN;
}

static void
sessions_print_header(FILE *out, const struct layout *l,
    const struct tailview_opts *o)
{
	const char *b = TAILVIEW_BOLD;

	tailview_cell(out, o, b, "SESSION", l->session, LEFT);
	fputc(' ', out);
	tailview_cell(out, o, b, "TURNS", COL_TURNS, RIGHT);
	fputc(' ', out);
	tailview_cell(out, o, b, "FIRST INPUT", l->text, LEFT);
	fputc(' ', out);
	tailview_cell(out, o, b, "LAST OUTPUT", l->text, LEFT);
	fputc(' ', out);
	tailview_cell(out, o, b, "TOKENS", COL_TOKENS, RIGHT);
	fputc(' ', out);
	tailview_cell(out, o, b, "ERRORS", COL_ERRORS, RIGHT);
	fputc(' ', out);
	if (l->votes) {
		tailview_cell(out, o, b, o->ascii ? "UP" :
		    tailview_vote_mark(1, o), COL_VOTES, RIGHT);
		fputc(' ', out);
		tailview_cell(out, o, b, o->ascii ? "DOWN" :
		    tailview_vote_mark(0, o), COL_VOTES, RIGHT);
		fputc(' ', out);
	}
	tailview_cell(out, o, b, "LAST ACTIVITY", 13, LEFT);
	fputc('\n', out);
}

static void
sessions_print_number(FILE *out, const struct tailview_opts *o,
    const char *color, uint64_t v, int cols)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	fputc(' ', out);
	tailview_cell(out, o, color, num, cols, RIGHT);
}

static void
sessions_print_row(FILE *out, const struct sess *se, const struct layout *l,
    const struct tailview_opts *o)
{
	char when[TAILVIEW_TIME_LEN];

	tailview_cell(out, o, TAILVIEW_CYAN, se->id, l->session,
	    TAILVIEW_CUT_MIDDLE);
	sessions_print_number(out, o, NULL, se->turns, COL_TURNS);
	fputc(' ', out);
	tailview_cell(out, o, NULL, se->first_input, l->text, LEFT);
	fputc(' ', out);
	tailview_cell(out, o, NULL, se->last_output, l->text, LEFT);
	sessions_print_number(out, o, NULL, se->tokens, COL_TOKENS);
	sessions_print_number(out, o, se->errors > 0 ? TAILVIEW_RED : NULL,
	    se->errors, COL_ERRORS);
	if (l->votes) {
		sessions_print_number(out, o, se->up > 0 ? TAILVIEW_GREEN :
		    NULL, se->up, COL_VOTES);
		sessions_print_number(out, o, se->down > 0 ? TAILVIEW_RED :
		    NULL, se->down, COL_VOTES);
	}
	fputc(' ', out);
	tailview_time(se->last_activity, o, 1, when, sizeof(when));
	tailview_cell(out, o, TAILVIEW_DIM, when,
	    tailview_cols(when, strlen(when)), LEFT);
	fputc('\n', out);
}

void
sessions_print(FILE *out, const struct sessions *ss,
    const struct tailview_opts *o)
{
	struct sess **rows;
	struct layout l;
	size_t n = 0;

	if (ss == NULL)
		return;
	rows = xmalloc((ss->n + 1) * sizeof(*rows));
	for (size_t i = 0; i < ss->nslots; i++)
		if (ss->slots[i] != NULL)
			rows[n++] = ss->slots[i];
	qsort(rows, n, sizeof(*rows), sessions_cmp);
	sessions_layout(&l, rows, n, ss->votes != NULL, o);
	sessions_print_header(out, &l, o);
	for (size_t i = 0; i < n; i++)
		sessions_print_row(out, rows[i], &l, o);
	free(rows);
}
