/* jsonval.c - exactly one JSON value from outside text. The caller owns
 * (and puts) the returned object. */
#include "jsonval.h"
#include "utf8.h"

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

static size_t
jsonval_digits(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

int
jsonval_number_valid(const char *s, size_t n)
{
	const char *e = s + n;
	size_t d;

	s += s < e && *s == '-';
	if ((d = jsonval_digits(s, (size_t)(e - s))) == 0 ||
	    (*s == '0' && d > 1))
		return 0;
	s += d;
	if (s < e && *s == '.') {
		s++;
		if ((d = jsonval_digits(s, (size_t)(e - s))) == 0)
			return 0;
		s += d;
	}
	if (s < e && (*s == 'e' || *s == 'E')) {
		s++;
		s += s < e && (*s == '+' || *s == '-');
		if ((d = jsonval_digits(s, (size_t)(e - s))) == 0)
			return 0;
		s += d;
	}
	return s == e;
}

/* The number token at i ends at the first byte that cannot be in one. */
static size_t
jsonval_number_end(const char *text, size_t len, size_t i)
{
	while (i < len && ((text[i] >= '0' && text[i] <= '9') ||
	    strchr(".eE+-", text[i]) != NULL))
		i++;
	return i;
}

/* Where the first thing JSON forbids but json-c lets through is, or len:
 * a raw control character (none in strings, only \t \n \r between
 * tokens), a string that is not strict UTF-8 (json-c takes code points
 * past U+10FFFF), or a number not in JSON's form. *why names it. */
static size_t
jsonval_lax_at(const char *text, size_t len, const char **why)
{
	const unsigned char *u = (const unsigned char *)text;
	int in = 0, esc = 0;
	size_t i, k, end;

	for (i = 0; i < len; i++) {
		if (u[i] < 0x20 && (in || (u[i] != '\t' && u[i] != '\n' &&
		    u[i] != '\r'))) {
			*why = "control character";
			return i;
		}
		if (in && u[i] >= 0x80) {
			if ((k = utf8_seqlen(u + i, len - i)) == 0) {
				*why = "invalid utf-8";
				return i;
			}
			i += k - 1;
		} else if (in) {
			if (esc)
				esc = 0;
			else if (u[i] == '\\')
				esc = 1;
			else if (u[i] == '"')
				in = 0;
		} else if (u[i] == '"')
			in = 1;
		else if (u[i] == '-' || (u[i] >= '0' && u[i] <= '9')) {
			end = jsonval_number_end(text, len, i);
			if (!jsonval_number_valid(text + i, end - i)) {
				*why = "malformed number";
				return i;
			}
			i = end - 1;
		}
	}
	return len;
}

int
jsonval_parse(const char *text, size_t len, int depth, json_object **out,
    char *err, size_t errlen, size_t *at)
{
	struct json_tokener *tok;
	enum json_tokener_error e;
	const char *nul, *why = NULL;
	json_object *j;
	size_t end;

	*out = NULL;
	if (len >= INT_MAX)
		return jsonval_fail(err, errlen, at, 0, "too large");
	/* json-c stops quietly at a NUL byte and would ignore what follows. */
	if ((nul = memchr(text, '\0', len)) != NULL)
		return jsonval_fail(err, errlen, at, (size_t)(nul - text),
		    "NUL byte");
	if ((end = jsonval_lax_at(text, len, &why)) < len)
		return jsonval_fail(err, errlen, at, end, why);
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
