/* span.c - one bounded OpenTelemetry span (attributes, events, links,
 * status) and its OTLP/JSON form, written straight as text (jsonw.h).
 * json-c only for span_json_double, whose result the caller puts. */
#include "span.h"
#include "hex.h"
#include "jsonw.h"
#include "utf8.h"
#include "xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SPAN_FLAG_HAS_IS_REMOTE	0x100	/* OTLP SpanFlags */
#define SPAN_FLAG_IS_REMOTE	0x200

/* What the project writes: strings and integers on spans, and the boolean
 * exception.escaped on events. */
enum attr_type { ATTR_STR, ATTR_INT, ATTR_BOOL };

struct attr {
	char		*key;
	enum attr_type	 type;
	union {
		char	*s;
		int64_t	 i;
		int	 b;
	} u;
};

struct attrs {				/* a growable set, keys unique */
	struct attr	*v;
	size_t		 n, cap, max;
	uint32_t	 dropped;
};

struct event {
	uint64_t	 time_ns;
	char		*name;
	struct attrs	 attrs;
};

struct link {
	uint8_t		 trace_id[16];
	uint8_t		 span_id[8];
	uint8_t		 flags;
	char		*tracestate;	/* NULL when empty */
};

struct span {
	char		*name;
	enum span_kind	 kind;
	struct tracectx	 ctx;
	uint8_t		 parent_span_id[8];
	int		 has_parent;
	uint64_t	 start_ns, end_ns;	/* end 0 until span_end */
	struct attrs	 attrs;
	struct event	*events;
	size_t		 nevents, capevents;
	uint32_t	 dropped_events;
	struct link	*links;
	size_t		 nlinks, caplinks;
	uint32_t	 dropped_links;
	enum span_status status;
	char		*status_msg;
};

uint64_t
span_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *
span_clean_str(const char *s)
{
	int cut;

	if (s == NULL)
		s = "";
	return utf8_clean(s, strlen(s), SPAN_MAX_VALUE_LEN, &cut);
}

static void
span_attr_clear(struct attr *a)
{
	if (a->type == ATTR_STR)
		free(a->u.s);
	a->type = ATTR_BOOL;
}

static void
span_attrs_init(struct attrs *as, size_t max)
{
	memset(as, 0, sizeof(*as));
	as->max = max;
}

static void
span_attrs_cleanup(struct attrs *as)
{
	size_t i;

	for (i = 0; i < as->n; i++) {
		span_attr_clear(&as->v[i]);
		free(as->v[i].key);
	}
	free(as->v);
}

/* The slot for key: its old value cleared, or a new one. NULL (counted as
 * dropped) when the set is full or the key is empty. */
static struct attr *
span_attrs_slot(struct attrs *as, const char *key)
{
	struct attr *a;
	char *k;
	size_t i;

	if (key == NULL || key[0] == '\0') {
		as->dropped++;
		return NULL;
	}
	k = span_clean_str(key);
	for (i = 0; i < as->n; i++)
		if (strcmp(as->v[i].key, k) == 0) {
			free(k);
			span_attr_clear(&as->v[i]);
			return &as->v[i];
		}
	if (as->n == as->max) {
		free(k);
		as->dropped++;
		return NULL;
	}
	if (as->n == as->cap) {
		as->cap = as->cap ? as->cap * 2 : 8;
		as->v = xrealloc(as->v, as->cap * sizeof(*as->v));
	}
	a = &as->v[as->n++];
	a->key = k;
	a->type = ATTR_BOOL;
	return a;
}

static void
span_attrs_set_strn(struct attrs *as, const char *key, const char *val,
    size_t len)
{
	struct attr *a;
	int cut;

	if ((a = span_attrs_slot(as, key)) == NULL)
		return;
	a->type = ATTR_STR;
	a->u.s = utf8_clean(val != NULL ? val : "", val != NULL ? len : 0,
	    SPAN_MAX_VALUE_LEN, &cut);
	as->dropped += cut;
}

static void
span_attrs_set_bool(struct attrs *as, const char *key, int val)
{
	struct attr *a;

	if ((a = span_attrs_slot(as, key)) == NULL)
		return;
	a->type = ATTR_BOOL;
	a->u.b = val != 0;
}

struct span *
span_start(const char *name, enum span_kind kind,
    const struct tracectx *parent)
{
	struct span *s = xcalloc(1, sizeof(*s));

	if (parent == NULL) {
		if (tracectx_new_trace(&s->ctx) == -1)
			goto fail;
	} else {
		s->ctx = *parent;
		if (tracectx_new_span(&s->ctx) == -1)
			goto fail;
		memcpy(s->parent_span_id, parent->span_id, 8);
		s->has_parent = 1;
	}
	s->name = span_clean_str(name);
	s->kind = kind;
	s->start_ns = span_now_ns();
	span_attrs_init(&s->attrs, SPAN_MAX_ATTRIBUTES);
	return s;
fail:
	free(s);
	return NULL;
}

void
span_free(struct span *s)
{
	size_t i;

	if (s == NULL)
		return;
	span_attrs_cleanup(&s->attrs);
	for (i = 0; i < s->nevents; i++) {
		free(s->events[i].name);
		span_attrs_cleanup(&s->events[i].attrs);
	}
	free(s->events);
	for (i = 0; i < s->nlinks; i++)
		free(s->links[i].tracestate);
	free(s->links);
	free(s->status_msg);
	free(s->name);
	free(s);
}

const struct tracectx *
span_context(const struct span *s)
{
	return &s->ctx;
}

const char *
span_name(const struct span *s)
{
	return s->name;
}

void
span_set_str(struct span *s, const char *key, const char *val)
{
	span_set_strn(s, key, val, val != NULL ? strlen(val) : 0);
}

void
span_set_strn(struct span *s, const char *key, const char *val, size_t len)
{
	if (s == NULL)		/* not recording: tracing is off */
		return;
	span_attrs_set_strn(&s->attrs, key, val, len);
}

void
span_set_int(struct span *s, const char *key, int64_t val)
{
	struct attr *a;

	if (s == NULL)		/* not recording: tracing is off */
		return;
	if ((a = span_attrs_slot(&s->attrs, key)) == NULL)
		return;
	a->type = ATTR_INT;
	a->u.i = val;
}

void
span_add_link(struct span *s, const struct tracectx *ctx)
{
	struct link *l;

	if (s == NULL)		/* not recording: tracing is off */
		return;
	if (s->nlinks == SPAN_MAX_LINKS) {
		s->dropped_links++;
		return;
	}
	if (s->nlinks == s->caplinks) {
		s->caplinks = s->caplinks ? s->caplinks * 2 : 2;
		s->links = xrealloc(s->links, s->caplinks * sizeof(*s->links));
	}
	l = &s->links[s->nlinks++];
	memcpy(l->trace_id, ctx->trace_id, sizeof(l->trace_id));
	memcpy(l->span_id, ctx->span_id, sizeof(l->span_id));
	l->flags = ctx->flags;
	l->tracestate = ctx->tracestate[0] != '\0' ?
	    xstrndup(ctx->tracestate, TRACECTX_TRACESTATE_MAX) : NULL;
}

void
span_add_exception(struct span *s, const char *type, const char *msg,
    int escaped)
{
	struct event *e;

	if (s == NULL)		/* not recording: tracing is off */
		return;
	if (s->nevents == SPAN_MAX_EVENTS) {
		s->dropped_events++;
		return;
	}
	if (s->nevents == s->capevents) {
		s->capevents = s->capevents ? s->capevents * 2 : 2;
		s->events = xrealloc(s->events,
		    s->capevents * sizeof(*s->events));
	}
	e = &s->events[s->nevents++];
	e->time_ns = span_now_ns();
	e->name = xstrdup("exception");
	span_attrs_init(&e->attrs, SPAN_MAX_EVENT_ATTRIBUTES);
	if (type != NULL)
		span_attrs_set_strn(&e->attrs, "exception.type", type,
		    strlen(type));
	if (msg != NULL)
		span_attrs_set_strn(&e->attrs, "exception.message", msg,
		    strlen(msg));
	span_attrs_set_bool(&e->attrs, "exception.escaped", escaped);
}

void
span_set_status(struct span *s, enum span_status code, const char *msg)
{
	if (s == NULL)		/* not recording: tracing is off */
		return;
	free(s->status_msg);
	s->status_msg = NULL;
	s->status = code;
	if (code == SPAN_STATUS_ERROR && msg != NULL)
		s->status_msg = span_clean_str(msg);
}

void
span_end(struct span *s)
{
	uint64_t now;

	if (s == NULL)		/* not recording: tracing is off */
		return;
	if (s->end_ns != 0)
		return;
	now = span_now_ns();
	/* The wall clock may step back; a span never ends before it starts. */
	s->end_ns = now > s->start_ns ? now : s->start_ns;
}

json_object *
span_json_double(double d)
{
	char num[32];

	if (isnan(d))
		return json_object_new_string("NaN");
	if (isinf(d))
		return json_object_new_string(d > 0 ? "Infinity" : "-Infinity");
	snprintf(num, sizeof(num), "%.15g", d);
	if (strtod(num, NULL) != d)
		snprintf(num, sizeof(num), "%.17g", d);
	return json_object_new_double_s(d, num);
}

/* The writer below: each helper appends to b and returns 0, or -1 past
 * b's limit; SPAN_W chains them. */
#define SPAN_W(x)	do { if ((x) == -1) return -1; } while (0)

static int
span_w_lit(struct buf *b, const char *lit)
{
	return buf_append(b, lit, strlen(lit));
}

static int
span_w_hex(struct buf *b, const uint8_t *bytes, size_t n)
{
	char hex[35];

	hex[0] = '"';
	hex_encode(bytes, n, hex + 1);
	hex[2 * n + 1] = '"';
	return buf_append(b, hex, 2 * n + 2);
}

static int
span_w_anyvalue(struct buf *b, const struct attr *a)
{
	switch (a->type) {
	case ATTR_STR:
		SPAN_W(span_w_lit(b, "{\"stringValue\":"));
		SPAN_W(jsonw_cstring(b, a->u.s));
		break;
	case ATTR_INT:
		SPAN_W(span_w_lit(b, "{\"intValue\":"));
		SPAN_W(jsonw_int(b, a->u.i, 1));
		break;
	case ATTR_BOOL:
		SPAN_W(span_w_lit(b, a->u.b ? "{\"boolValue\":true" :
		    "{\"boolValue\":false"));
		break;
	}
	return buf_append(b, "}", 1);
}

/* ,"attributes":[...] and, when not 0, ,"droppedAttributesCount":N. */
static int
span_w_attrs(struct buf *b, const struct attrs *as)
{
	size_t i;

	SPAN_W(span_w_lit(b, ",\"attributes\":["));
	for (i = 0; i < as->n; i++) {
		SPAN_W(span_w_lit(b, i > 0 ? ",{\"key\":" : "{\"key\":"));
		SPAN_W(jsonw_cstring(b, as->v[i].key));
		SPAN_W(span_w_lit(b, ",\"value\":"));
		SPAN_W(span_w_anyvalue(b, &as->v[i]));
		SPAN_W(buf_append(b, "}", 1));
	}
	SPAN_W(buf_append(b, "]", 1));
	if (as->dropped > 0) {
		SPAN_W(span_w_lit(b, ",\"droppedAttributesCount\":"));
		SPAN_W(jsonw_uint(b, as->dropped, 0));
	}
	return 0;
}

static int
span_w_events(struct buf *b, const struct span *s)
{
	size_t i;

	if (s->nevents > 0) {
		SPAN_W(span_w_lit(b, ",\"events\":["));
		for (i = 0; i < s->nevents; i++) {
			SPAN_W(span_w_lit(b, i > 0 ? ",{\"timeUnixNano\":" :
			    "{\"timeUnixNano\":"));
			SPAN_W(jsonw_uint(b, s->events[i].time_ns, 1));
			SPAN_W(span_w_lit(b, ",\"name\":"));
			SPAN_W(jsonw_cstring(b, s->events[i].name));
			SPAN_W(span_w_attrs(b, &s->events[i].attrs));
			SPAN_W(buf_append(b, "}", 1));
		}
		SPAN_W(buf_append(b, "]", 1));
	}
	if (s->dropped_events > 0) {
		SPAN_W(span_w_lit(b, ",\"droppedEventsCount\":"));
		SPAN_W(jsonw_uint(b, s->dropped_events, 0));
	}
	return 0;
}

static int
span_w_links(struct buf *b, const struct span *s)
{
	const struct link *k;
	size_t i;

	if (s->nlinks > 0) {
		SPAN_W(span_w_lit(b, ",\"links\":["));
		for (i = 0; i < s->nlinks; i++) {
			k = &s->links[i];
			SPAN_W(span_w_lit(b, i > 0 ? ",{\"traceId\":" :
			    "{\"traceId\":"));
			SPAN_W(span_w_hex(b, k->trace_id, 16));
			SPAN_W(span_w_lit(b, ",\"spanId\":"));
			SPAN_W(span_w_hex(b, k->span_id, 8));
			if (k->tracestate != NULL) {
				SPAN_W(span_w_lit(b, ",\"traceState\":"));
				SPAN_W(jsonw_cstring(b, k->tracestate));
			}
			SPAN_W(span_w_lit(b, ",\"flags\":"));
			SPAN_W(jsonw_uint(b, k->flags | SPAN_FLAG_HAS_IS_REMOTE |
			    SPAN_FLAG_IS_REMOTE, 0));
			SPAN_W(buf_append(b, "}", 1));
		}
		SPAN_W(buf_append(b, "]", 1));
	}
	if (s->dropped_links > 0) {
		SPAN_W(span_w_lit(b, ",\"droppedLinksCount\":"));
		SPAN_W(jsonw_uint(b, s->dropped_links, 0));
	}
	return 0;
}

static int
span_w_status(struct buf *b, const struct span *s)
{
	SPAN_W(span_w_lit(b, ",\"status\":{\"code\":"));
	SPAN_W(jsonw_uint(b, (uint64_t)s->status, 0));
	if (s->status_msg != NULL) {
		SPAN_W(span_w_lit(b, ",\"message\":"));
		SPAN_W(jsonw_cstring(b, s->status_msg));
	}
	return buf_append(b, "}", 1);
}

/* A span not yet ended is written as ending now. */
int
span_write_json(const struct span *s, struct buf *b)
{
	uint64_t end = s->end_ns != 0 ? s->end_ns : span_now_ns();

	if (end < s->start_ns)
		end = s->start_ns;
	SPAN_W(span_w_lit(b, "{\"traceId\":"));
	SPAN_W(span_w_hex(b, s->ctx.trace_id, 16));
	SPAN_W(span_w_lit(b, ",\"spanId\":"));
	SPAN_W(span_w_hex(b, s->ctx.span_id, 8));
	if (s->has_parent) {
		SPAN_W(span_w_lit(b, ",\"parentSpanId\":"));
		SPAN_W(span_w_hex(b, s->parent_span_id, 8));
	}
	if (s->ctx.tracestate[0] != '\0') {
		SPAN_W(span_w_lit(b, ",\"traceState\":"));
		SPAN_W(jsonw_cstring(b, s->ctx.tracestate));
	}
	SPAN_W(span_w_lit(b, ",\"flags\":"));
	SPAN_W(jsonw_uint(b, s->ctx.flags | SPAN_FLAG_HAS_IS_REMOTE, 0));
	SPAN_W(span_w_lit(b, ",\"name\":"));
	SPAN_W(jsonw_cstring(b, s->name));
	SPAN_W(span_w_lit(b, ",\"kind\":"));
	SPAN_W(jsonw_uint(b, (uint64_t)s->kind, 0));
	SPAN_W(span_w_lit(b, ",\"startTimeUnixNano\":"));
	SPAN_W(jsonw_uint(b, s->start_ns, 1));
	SPAN_W(span_w_lit(b, ",\"endTimeUnixNano\":"));
	SPAN_W(jsonw_uint(b, end, 1));
	SPAN_W(span_w_attrs(b, &s->attrs));
	SPAN_W(span_w_events(b, s));
	SPAN_W(span_w_links(b, s));
	SPAN_W(span_w_status(b, s));
	return buf_append(b, "}", 1);
}
