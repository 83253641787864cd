/* hex.h - lowercase hex of bytes, and back: the one copy of the hex
 * helpers (trace ids, span ids, random tags). */
#ifndef RC_HEX_H
#define RC_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Write the lowercase hex of n bytes and a NUL into out (2n + 1 bytes).
 * Cannot fail. */
void hex_encode(const uint8_t *bytes, size_t n, char *out);
/* The value of one hex digit (either case), or -1 when c is not one. */
int hex_digit(char c);
/* Parse exactly 2n hex chars (either case) into n bytes of out. Returns 0,
 * or -1 at the first non-hex char (out then partly written). */
int hex_decode(const char *hex, size_t n, uint8_t *out)
	__attribute__((warn_unused_result));

#endif
