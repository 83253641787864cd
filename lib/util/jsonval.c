/* jsonval.c - exactly one JSON value from outside text. The caller owns
 * (and puts) the returned object. */
#include "jsonval.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
jsonval_fail(char *err, size_t errlen, size_t *at, size_t pos,
    const char *why)
{
	snprintf(err, errlen, "%s", why);
	if (at != NULL)
		*at = pos;
	return -1;
}

int
jsonval_parse(const char *text, size_t len, int depth, json_object **out,
    char *err, size_t errlen, size_t *at)
{
	struct json_tokener *tok;
	enum json_tokener_error e;
	const char *nul;
	json_object *j;
	size_t end;

	*out = NULL;
	if (len >= INT_MAX)
		return jsonval_fail(err, errlen, at, 0, "too large");
	/* json-c stops quietly at a NUL byte and would ignore what follows. */
	if ((nul = memchr(text, '\0', len)) != NULL)
		return jsonval_fail(err, errlen, at, (size_t)(nul - text),
		    "NUL byte");
	if ((tok = json_tokener_new_ex(depth > 0 ? depth :
	    JSONVAL_DEPTH_DEFAULT)) == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	j = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	/* A top-level number or literal ends only at a terminator. */
	if ((e = json_tokener_get_error(tok)) == json_tokener_continue) {
		j = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
	}
	json_tokener_free(tok);
	if (e != json_tokener_success)
		return jsonval_fail(err, errlen, at, end,
		    e == json_tokener_continue ? "cut short" :
		    json_tokener_error_desc(e));
	while (end < len && strchr(" \t\r\n", text[end]) != NULL)
		end++;
	if (end < len) {
		json_object_put(j);
		return jsonval_fail(err, errlen, at, end,
		    "trailing data after the JSON value");
	}
	*out = j;
	return 0;
}

/* The end of the string whose opening quote is at text[i]: the index just
 * past its closing quote, or len when it is cut short. */
static size_t
jsonval_skip_string(const char *text, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (text[i] == '\\')
			i++;
		else if (text[i] == '"')
			return i + 1;
	}
	return len;
}

/* Whether c ends a bare scalar (number or literal). */
static int
jsonval_is_delim(char c)
{
	return strchr(" \t\r\n,:]}[{\"", c) != NULL;
}

#define JSONVAL_SHAPE_STACK	64	/* object/array bits kept for keys */

void
jsonval_shape(const char *text, size_t len, size_t max_values,
    int max_depth, struct jsonval_shape *out)
{
	unsigned char in_object[JSONVAL_SHAPE_STACK] = { 0 };
	int depth = 0, want_key = 0;
	size_t i = 0;
	char c;

	memset(out, 0, sizeof(*out));
	while (i < len) {
		if ((max_values > 0 && out->values > max_values) ||
		    (max_depth > 0 && out->depth > max_depth))
			return;
		c = text[i];
		if (c == '"') {
			/* A string right after '{' or ',' in an object is a key. */
			if (!want_key)
				out->values++;
			want_key = 0;
			i = jsonval_skip_string(text, len, i);
			continue;
		}
		if (c == '{' || c == '[') {
			out->values++;
			if (++depth > out->depth)
				out->depth = depth;
			if (depth <= JSONVAL_SHAPE_STACK)
				in_object[depth - 1] = c == '{';
			want_key = c == '{';
		} else if (c == '}' || c == ']') {
			if (depth > 0)
				depth--;
			want_key = 0;
		} else if (c == ',') {
			want_key = depth > 0 && depth <= JSONVAL_SHAPE_STACK &&
			    in_object[depth - 1];
		} else if (!jsonval_is_delim(c)) {
			out->values++;
			while (i < len && !jsonval_is_delim(text[i]))
				i++;
			continue;
		}
		i++;
	}
}
