/* testspan.h - attribute types the project never writes (doubles,
 * booleans, string arrays), put on spans by tests only, so that spool
 * lines and OTLP requests with every AnyValue kind can still be made from
 * real spans. They are kept beside the span and appended, in the order
 * set, to the attributes of its OTLP/JSON form: a test using them links
 * with -Wl,--wrap=span_write_json -Wl,--wrap=span_free (tests/unit.cmake).
 * No limits apply and a key set twice appears twice; keep to what the
 * tests need. */
#ifndef RC_TESTSPAN_H
#define RC_TESTSPAN_H

#include <stddef.h>

#include "span.h"

#define TESTSPAN_MAX_EXTRAS	256	/* over all live spans */

/* Add the attribute {"key": key, "value": {"doubleValue": val}} to s's
 * JSON. Fails the test past TESTSPAN_MAX_EXTRAS. */
void testspan_set_double(struct span *s, const char *key, double val);
/* The same with {"boolValue": val != 0}. */
void testspan_set_bool(struct span *s, const char *key, int val);
/* The same with {"arrayValue": {"values": [{"stringValue"}, ...]}} of the
 * n strings (NULL counts as ""). */
void testspan_set_str_array(struct span *s, const char *key,
    const char *const *vals, size_t n);

#endif
