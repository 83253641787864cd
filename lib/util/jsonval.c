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
