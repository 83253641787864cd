/* hex.c - lowercase hex of bytes, and back. */
#include "hex.h"

static const char hex_digits[] = "0123456789abcdef";

void
hex_encode(const uint8_t *bytes, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_digits[bytes[i] >> 4];
		out[2 * i + 1] = hex_digits[bytes[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *hex, size_t n, uint8_t *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = hex_digit(hex[2 * i])) == -1 ||
		    (lo = hex_digit(hex[2 * i + 1])) == -1)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
