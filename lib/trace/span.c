/* span.c - one bounded OpenTelemetry span (attributes, events, links,
 * status) and its OTLP/JSON form. json-c: span_to_otlp_json hands its
 * result to the caller, who calls json_object_put; nothing else here keeps
 * a json_object. */
#include "span.h"
#include "hex.h"
#include "xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SPAN_FLAG_HAS_IS_REMOTE	0x100	/* OTLP SpanFlags */
#define SPAN_FLAG_IS_REMOTE	0x200

enum attr_type { ATTR_STR, ATTR_INT, ATTR_DOUBLE, ATTR_BOOL, ATTR_ARRAY };

struct attr {
	char		*key;
	enum attr_type	 type;
	union {
		char	*s;
		int64_t	 i;
		double	 d;
		int	 b;
		struct {
			char	**v;
			size_t	  n;
		} arr;
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

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when
 * invalid: overlong forms, surrogates, past U+10FFFF, cut short, NUL. */
static size_t
utf8_seqlen(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0x01 && s[0] <= 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Copy len bytes of s as valid UTF-8 of at most max bytes, invalid bytes
 * replaced by U+FFFD, cut on a character boundary. *cut is set when
 * something did not fit. Caller frees. */
static char *
utf8_clean(const char *s, size_t len, size_t max, int *cut)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc((len > max / 3 ? max : len * 3) + 1);
	size_t i = 0, o = 0, l, w;

	*cut = 0;
	while (i < len) {
		l = utf8_seqlen(p + i, len - i);
		w = l > 0 ? l : 3;
		if (o + w > max) {
			*cut = 1;
			break;
		}
		memcpy(out + o, l > 0 ? s + i : "\xef\xbf\xbd", w);
		o += w;
		i += l > 0 ? l : 1;
	}
	out[o] = '\0';
	return out;
}

static char *
clean_str(const char *s)
{
	int cut;

	if (s == NULL)
		s = "";
	return utf8_clean(s, strlen(s), SPAN_MAX_VALUE_LEN, &cut);
}

static void
attr_clear(struct attr *a)
{
	size_t i;

	if (a->type == ATTR_STR)
		free(a->u.s);
	else if (a->type == ATTR_ARRAY) {
		for (i = 0; i < a->u.arr.n; i++)
			free(a->u.arr.v[i]);
		free(a->u.arr.v);
	}
	a->type = ATTR_BOOL;
}

static void
attrs_init(struct attrs *as, size_t max)
{
	memset(as, 0, sizeof(*as));
	as->max = max;
}

static void
attrs_cleanup(struct attrs *as)
{
	size_t i;

	for (i = 0; i < as->n; i++) {
		attr_clear(&as->v[i]);
		free(as->v[i].key);
	}
	free(as->v);
}

/* The slot for key: its old value cleared, or a new one. NULL (counted as
 * dropped) when the set is full or the key is empty. */
static struct attr *
attrs_slot(struct attrs *as, const char *key)
{
	struct attr *a;
	char *k;
	size_t i;

	if (key == NULL || key[0] == '\0') {
		as->dropped++;
		return NULL;
	}
	k = clean_str(key);
	for (i = 0; i < as->n; i++)
		if (strcmp(as->v[i].key, k) == 0) {
			free(k);
			attr_clear(&as->v[i]);
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
attrs_set_strn(struct attrs *as, const char *key, const char *val,
    size_t len)
{
	struct attr *a;
	int cut;

	if ((a = attrs_slot(as, key)) == NULL)
		return;
	a->type = ATTR_STR;
	a->u.s = utf8_clean(val != NULL ? val : "", val != NULL ? len : 0,
	    SPAN_MAX_VALUE_LEN, &cut);
	as->dropped += cut;
}

static void
attrs_set_bool(struct attrs *as, const char *key, int val)
{
	struct attr *a;

	if ((a = attrs_slot(as, key)) == NULL)
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
	s->name = clean_str(name);
	s->kind = kind;
	s->start_ns = span_now_ns();
	attrs_init(&s->attrs, SPAN_MAX_ATTRIBUTES);
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
	attrs_cleanup(&s->attrs);
	for (i = 0; i < s->nevents; i++) {
		free(s->events[i].name);
		attrs_cleanup(&s->events[i].attrs);
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
	attrs_set_strn(&s->attrs, key, val, len);
}

void
span_set_int(struct span *s, const char *key, int64_t val)
{
	struct attr *a;

	if ((a = attrs_slot(&s->attrs, key)) == NULL)
		return;
	a->type = ATTR_INT;
	a->u.i = val;
}

void
span_set_double(struct span *s, const char *key, double val)
{
	struct attr *a;

	if ((a = attrs_slot(&s->attrs, key)) == NULL)
		return;
	a->type = ATTR_DOUBLE;
	a->u.d = val;
}

void
span_set_bool(struct span *s, const char *key, int val)
{
	attrs_set_bool(&s->attrs, key, val);
}

void
span_set_str_array(struct span *s, const char *key,
    const char *const *vals, size_t n)
{
	struct attr *a;
	size_t i, keep = n < SPAN_MAX_ARRAY_LEN ? n : SPAN_MAX_ARRAY_LEN;
	int cut, anycut = keep < n;
	const char *v;

	if ((a = attrs_slot(&s->attrs, key)) == NULL)
		return;
	a->type = ATTR_ARRAY;
	a->u.arr.v = xcalloc(keep ? keep : 1, sizeof(char *));
	a->u.arr.n = keep;
	for (i = 0; i < keep; i++) {
		v = vals[i] != NULL ? vals[i] : "";
		a->u.arr.v[i] = utf8_clean(v, strlen(v), SPAN_MAX_VALUE_LEN,
		    &cut);
		anycut |= cut;
	}
	s->attrs.dropped += anycut;
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
	attrs_init(&e->attrs, SPAN_MAX_EVENT_ATTRIBUTES);
	if (type != NULL)
		attrs_set_strn(&e->attrs, "exception.type", type, strlen(type));
	if (msg != NULL)
		attrs_set_strn(&e->attrs, "exception.message", msg,
		    strlen(msg));
	attrs_set_bool(&e->attrs, "exception.escaped", escaped);
}

void
span_set_status(struct span *s, enum span_status code, const char *msg)
{
	free(s->status_msg);
	s->status_msg = NULL;
	s->status = code;
	if (code == SPAN_STATUS_ERROR && msg != NULL)
		s->status_msg = clean_str(msg);
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
json_u64(uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return json_object_new_string(num);
}

static json_object *
json_hex(const uint8_t *bytes, size_t n)
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

/* {"values":[{"stringValue":..},...]} */
static json_object *
array_json(const struct attr *a)
{
	json_object *arr = json_object_new_array_ext((int)a->u.arr.n), *el;
	size_t i;

	for (i = 0; i < a->u.arr.n; i++) {
		el = json_object_new_object();
		json_object_object_add(el, "stringValue",
		    json_object_new_string(a->u.arr.v[i]));
		json_object_array_add(arr, el);
	}
	el = json_object_new_object();
	json_object_object_add(el, "values", arr);
	return el;
}

static json_object *
anyvalue_json(const struct attr *a)
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
	case ATTR_DOUBLE:
		json_object_object_add(v, "doubleValue", span_json_double(a->u.d));
		break;
	case ATTR_BOOL:
		json_object_object_add(v, "boolValue",
		    json_object_new_boolean(a->u.b));
		break;
	case ATTR_ARRAY:
		json_object_object_add(v, "arrayValue", array_json(a));
		break;
	}
	return v;
}

/* "attributes" and, when not 0, "droppedAttributesCount" into obj. */
static void
attrs_json(const struct attrs *as, json_object *obj)
{
	json_object *arr = json_object_new_array_ext((int)as->n), *kv;
	size_t i;

	for (i = 0; i < as->n; i++) {
		kv = json_object_new_object();
		json_object_object_add(kv, "key",
		    json_object_new_string(as->v[i].key));
		json_object_object_add(kv, "value", anyvalue_json(&as->v[i]));
		json_object_array_add(arr, kv);
	}
	json_object_object_add(obj, "attributes", arr);
	if (as->dropped > 0)
		json_object_object_add(obj, "droppedAttributesCount",
		    json_object_new_int64(as->dropped));
}

static void
events_json(const struct span *s, json_object *obj)
{
	json_object *arr, *e;
	size_t i;

	if (s->nevents > 0) {
		arr = json_object_new_array_ext((int)s->nevents);
		for (i = 0; i < s->nevents; i++) {
			e = json_object_new_object();
			json_object_object_add(e, "timeUnixNano",
			    json_u64(s->events[i].time_ns));
			json_object_object_add(e, "name",
			    json_object_new_string(s->events[i].name));
			attrs_json(&s->events[i].attrs, e);
			json_object_array_add(arr, e);
		}
		json_object_object_add(obj, "events", arr);
	}
	if (s->dropped_events > 0)
		json_object_object_add(obj, "droppedEventsCount",
		    json_object_new_int64(s->dropped_events));
}

static void
links_json(const struct span *s, json_object *obj)
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
			    json_hex(k->trace_id, 16));
			json_object_object_add(l, "spanId", json_hex(k->span_id, 8));
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
status_json(const struct span *s)
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
	json_object_object_add(o, "traceId", json_hex(s->ctx.trace_id, 16));
	json_object_object_add(o, "spanId", json_hex(s->ctx.span_id, 8));
	if (s->has_parent)
		json_object_object_add(o, "parentSpanId",
		    json_hex(s->parent_span_id, 8));
	if (s->ctx.tracestate[0] != '\0')
		json_object_object_add(o, "traceState",
		    json_object_new_string(s->ctx.tracestate));
	json_object_object_add(o, "flags",
	    json_object_new_int64(s->ctx.flags | SPAN_FLAG_HAS_IS_REMOTE));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "kind", json_object_new_int(s->kind));
	json_object_object_add(o, "startTimeUnixNano", json_u64(s->start_ns));
	json_object_object_add(o, "endTimeUnixNano", json_u64(end));
	attrs_json(&s->attrs, o);
	events_json(s, o);
	links_json(s, o);
	json_object_object_add(o, "status", status_json(s));
	return o;
}
