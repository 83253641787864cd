/* span.c - one bounded OpenTelemetry span (attributes, events, links,
 * status) and its OTLP/JSON form. json-c: span_to_otlp_json hands its
 * result to the caller, who calls json_object_put; nothing else here keeps
 * a json_object. */
#include "span.h"
#include "hex.h"
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
	span_attrs_set_strn(&s->attrs, key, val, len);
}

void
span_set_int(struct span *s, const char *key, int64_t val)
{
	struct attr *a;

	if ((a = span_attrs_slot(&s->attrs, key)) == NULL)
		return;
	a->type = ATTR_INT;
	a->u.i = val;
}

void
span_add_link(struct span *s, const struct tracectx *ctx)
{
	struct link *l;

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

	if (s->end_ns != 0)
		return;
	now = span_now_ns();
	/* The wall clock may step back; a span never ends before it starts. */
	s->end_ns = now > s->start_ns ? now : s->start_ns;
}

/* json-c helpers: a 64-bit integer as a decimal string (OTLP/JSON). */
static json_object *
span_json_u64(uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return json_object_new_string(num);
}

static json_object *
span_json_hex(const uint8_t *bytes, size_t n)
{
	char hex[33];

	hex_encode(bytes, n, hex);
	return json_object_new_string(hex);
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

static json_object *
span_anyvalue_json(const struct attr *a)
{
	json_object *v = json_object_new_object();
	char num[24];

	switch (a->type) {
	case ATTR_STR:
		json_object_object_add(v, "stringValue",
		    json_object_new_string(a->u.s));
		break;
	case ATTR_INT:
		snprintf(num, sizeof(num), "%" PRId64, a->u.i);
		json_object_object_add(v, "intValue",
		    json_object_new_string(num));
		break;
	case ATTR_BOOL:
		json_object_object_add(v, "boolValue",
		    json_object_new_boolean(a->u.b));
		break;
	}
	return v;
}

/* "attributes" and, when not 0, "droppedAttributesCount" into obj. */
static void
span_attrs_json(const struct attrs *as, json_object *obj)
{
	json_object *arr = json_object_new_array_ext((int)as->n), *kv;
	size_t i;

	for (i = 0; i < as->n; i++) {
		kv = json_object_new_object();
		json_object_object_add(kv, "key",
		    json_object_new_string(as->v[i].key));
		json_object_object_add(kv, "value",
		    span_anyvalue_json(&as->v[i]));
		json_object_array_add(arr, kv);
	}
	json_object_object_add(obj, "attributes", arr);
	if (as->dropped > 0)
		json_object_object_add(obj, "droppedAttributesCount",
		    json_object_new_int64(as->dropped));
}

static void
span_events_json(const struct span *s, json_object *obj)
{
	json_object *arr, *e;
	size_t i;

	if (s->nevents > 0) {
		arr = json_object_new_array_ext((int)s->nevents);
		for (i = 0; i < s->nevents; i++) {
			e = json_object_new_object();
			json_object_object_add(e, "timeUnixNano",
			    span_json_u64(s->events[i].time_ns));
			json_object_object_add(e, "name",
			    json_object_new_string(s->events[i].name));
			span_attrs_json(&s->events[i].attrs, e);
			json_object_array_add(arr, e);
		}
		json_object_object_add(obj, "events", arr);
	}
	if (s->dropped_events > 0)
		json_object_object_add(obj, "droppedEventsCount",
		    json_object_new_int64(s->dropped_events));
}

static void
span_links_json(const struct span *s, json_object *obj)
{
	json_object *arr, *l;
	const struct link *k;
	size_t i;

	if (s->nlinks > 0) {
		arr = json_object_new_array_ext((int)s->nlinks);
		for (i = 0; i < s->nlinks; i++) {
			k = &s->links[i];
			l = json_object_new_object();
			json_object_object_add(l, "traceId",
			    span_json_hex(k->trace_id, 16));
			json_object_object_add(l, "spanId",
			    span_json_hex(k->span_id, 8));
			if (k->tracestate != NULL)
				json_object_object_add(l, "traceState",
				    json_object_new_string(k->tracestate));
			json_object_object_add(l, "flags", json_object_new_int64(
			    k->flags | SPAN_FLAG_HAS_IS_REMOTE |
			    SPAN_FLAG_IS_REMOTE));
			json_object_array_add(arr, l);
		}
		json_object_object_add(obj, "links", arr);
	}
	if (s->dropped_links > 0)
		json_object_object_add(obj, "droppedLinksCount",
		    json_object_new_int64(s->dropped_links));
}

static json_object *
span_status_json(const struct span *s)
{
	json_object *st = json_object_new_object();

	json_object_object_add(st, "code", json_object_new_int(s->status));
	if (s->status_msg != NULL)
		json_object_object_add(st, "message",
		    json_object_new_string(s->status_msg));
	return st;
}

/* A span not yet ended is written as ending now. */
json_object *
span_to_otlp_json(const struct span *s)
{
	json_object *o = json_object_new_object();
	uint64_t end = s->end_ns != 0 ? s->end_ns : span_now_ns();

	if (end < s->start_ns)
		end = s->start_ns;
	json_object_object_add(o, "traceId",
	    span_json_hex(s->ctx.trace_id, 16));
	json_object_object_add(o, "spanId", span_json_hex(s->ctx.span_id, 8));
	if (s->has_parent)
		json_object_object_add(o, "parentSpanId",
		    span_json_hex(s->parent_span_id, 8));
	if (s->ctx.tracestate[0] != '\0')
		json_object_object_add(o, "traceState",
		    json_object_new_string(s->ctx.tracestate));
	json_object_object_add(o, "flags",
	    json_object_new_int64(s->ctx.flags | SPAN_FLAG_HAS_IS_REMOTE));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "kind", json_object_new_int(s->kind));
	json_object_object_add(o, "startTimeUnixNano",
	    span_json_u64(s->start_ns));
	json_object_object_add(o, "endTimeUnixNano", span_json_u64(end));
	span_attrs_json(&s->attrs, o);
	span_events_json(s, o);
	span_links_json(s, o);
	json_object_object_add(o, "status", span_status_json(s));
	return o;
}
