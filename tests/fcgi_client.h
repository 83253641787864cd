/* fcgi_client.h - a minimal FastCGI client for the tests: one RESPONDER
 * request per connection to a unix socket or a loopback TCP port. */
#ifndef RC_FCGI_CLIENT_H
#define RC_FCGI_CLIENT_H

#include <stddef.h>

#include "buf.h"

struct fcgi_client_param {
	const char	*name;
	const char	*value;
};

/* Connect to addr: "/path/to/sock" or "127.0.0.1:port" (only loopback
 * addresses are accepted). Send and receive time out after timeout_ms.
 * Returns the socket (the caller closes it), or -1 with errno set
 * (ECONNREFUSED, ENOENT, EINVAL for an address that is not allowed). */
int fcgi_client_connect(const char *addr, int timeout_ms)
	__attribute__((warn_unused_result));

/* Send one request (BEGIN_REQUEST with flags 0, the nparams params, then
 * body as STDIN) and read records up to END_REQUEST, appending STDOUT to
 * out (whose limit applies). Returns 0, or -1 when the connection fails,
 * times out, closes early or breaks the protocol; out then holds whatever
 * arrived. The caller owns out. */
int fcgi_client_request(const char *addr, const struct fcgi_client_param *params,
    size_t nparams, const char *body, size_t bodylen, struct buf *out,
    int timeout_ms) __attribute__((warn_unused_result));

#endif
