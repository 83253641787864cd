/* spoolfmt.c - names, kinds and the envelope of spool lines (see
 * spoolfmt.h and docs/spool-format.md). */
#include "spoolfmt.h"

#include <stdio.h>
#include <string.h>

#define SPOOLFMT_SEGMENT_SUFFIX	".jsonl"

/* Each kind's segment name prefix, by enum spoolfmt_kind. */
static const char *const spoolfmt_prefixes[] = {
	[SPOOLFMT_KIND_SPANS] = "spans-",
	[SPOOLFMT_KIND_FEEDBACK] = "feedback-",
};
#define SPOOLFMT_NKINDS	(sizeof(spoolfmt_prefixes) / sizeof(spoolfmt_prefixes[0]))

int
spoolfmt_segment_name(char *out, size_t outlen, enum spoolfmt_kind kind,
    long long ms, long pid, const char *tag, unsigned int seq)
{
	int n;

	if (kind < 0 || (size_t)kind >= SPOOLFMT_NKINDS)
		return -1;
	n = snprintf(out, outlen, "%s%lld-%ld-%s-%u" SPOOLFMT_SEGMENT_SUFFIX,
	    spoolfmt_prefixes[kind], ms, pid, tag, seq);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

enum spoolfmt_kind
spoolfmt_segment_kind(const char *name)
{
	size_t len = strlen(name), sl = strlen(SPOOLFMT_SEGMENT_SUFFIX), k, pl;

	if (strchr(name, '/') != NULL || len <= sl ||
	    strcmp(name + len - sl, SPOOLFMT_SEGMENT_SUFFIX) != 0)
		return SPOOLFMT_KIND_NONE;
	for (k = 0; k < SPOOLFMT_NKINDS; k++) {
		pl = strlen(spoolfmt_prefixes[k]);
		if (len > pl + sl &&
		    strncmp(name, spoolfmt_prefixes[k], pl) == 0)
			return (enum spoolfmt_kind)k;
	}
	return SPOOLFMT_KIND_NONE;
}

/* Past JSON white space from i (no '\n': a line has none). */
static size_t
spoolfmt_ws(const char *line, size_t len, size_t i)
{
	while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	return i;
}

/* Whether the text at i is the JSON string key followed by ':'. */
static int
spoolfmt_key_is(const char *line, size_t len, size_t i, const char *key)
{
	size_t n = strlen(key);

	if (len - i < n + 2 || line[i] != '"' ||
	    memcmp(line + i + 1, key, n) != 0 || line[i + 1 + n] != '"')
		return 0;
	i = spoolfmt_ws(line, len, i + n + 2);
	return i < len && line[i] == ':';
}

enum spoolfmt_kind
spoolfmt_line_kind(const char *line, size_t len)
{
	size_t i = spoolfmt_ws(line, len, 0);

	if (i >= len || line[i++] != '{')
		return SPOOLFMT_KIND_NONE;
	i = spoolfmt_ws(line, len, i);
	/* The OTLP/JSON mapping allows the proto field name too. */
	if (spoolfmt_key_is(line, len, i, "resourceSpans") ||
	    spoolfmt_key_is(line, len, i, "resource_spans"))
		return SPOOLFMT_KIND_SPANS;
	if (spoolfmt_key_is(line, len, i, "feedback"))
		return SPOOLFMT_KIND_FEEDBACK;
	return SPOOLFMT_KIND_NONE;
}

int
spoolfmt_begin(struct buf *b)
{
	return buf_append(b, "{\"resourceSpans\":[", 18);
}

static int
spoolfmt_object(struct buf *b, const char *text, size_t len)
{
	return text != NULL ? buf_append(b, text, len) : buf_append(b, "{}", 2);
}

int
spoolfmt_group_begin(struct buf *b, int first, const char *resource,
    size_t rlen, const char *scope, size_t slen)
{
	if ((!first && buf_append(b, ",", 1) == -1) ||
	    buf_append(b, "{\"resource\":", 12) == -1 ||
	    spoolfmt_object(b, resource, rlen) == -1 ||
	    buf_append(b, ",\"scopeSpans\":[{\"scope\":", 24) == -1 ||
	    spoolfmt_object(b, scope, slen) == -1 ||
	    buf_append(b, ",\"spans\":[", 10) == -1)
		return -1;
	return 0;
}

int
spoolfmt_group_end(struct buf *b)
{
	return buf_append(b, "]}]}", 4);
}

int
spoolfmt_end(struct buf *b)
{
	return buf_append(b, "]}\n", 3);
}
