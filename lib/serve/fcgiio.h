/* fcgiio.h - FastCGI request helpers shared by the programs: parameters,
 * the request body under a limit, and whole responses. */
#ifndef RC_FCGIIO_H
#define RC_FCGIIO_H

#include <stddef.h>

#include <fcgiapp.h>

#include "buf.h"

/* A request parameter, or NULL when absent. Points into req's
 * environment (not to be freed), valid until the request is finished. */
const char *fcgiio_param(const FCGX_Request *req, const char *name);
/* How many times a parameter appears (a header sent twice); 0 when
 * absent. Cannot fail. */
int fcgiio_param_count(const FCGX_Request *req, const char *name);
/* All values of a parameter sent more than once, joined with ", " into
 * out (as HTTP combines repeated headers); NULL when absent. Values that
 * do not fit are left out whole. Returns out (the caller's buffer), or
 * NULL when absent. */
const char *fcgiio_param_join(const FCGX_Request *req, const char *name,
    char *out, size_t outlen);
/* Read the body (CONTENT_LENGTH bytes) into out, whose limit applies.
 * Returns 0, or -1 with *http_status 413 (over the limit: nothing read),
 * 411 (a body without a valid CONTENT_LENGTH) or 400 (the body ended
 * early) and a message in err. */
int fcgiio_read_body(FCGX_Request *req, struct buf *out, int *http_status,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Write a whole response: status line, Content-Type, optional extra
 * header lines (each ending in "\r\n", or NULL), then the len bytes of
 * body. Headers too long for its buffer are a caller's bug: a bare 500
 * goes out instead. Write errors are libfcgi's (the client has gone), so
 * nothing is returned; nothing is kept. */
void fcgiio_respond(FCGX_Request *req, int status, const char *content_type,
    const char *extra_headers, const char *body, size_t len);
/* "OK", "Not Found", ... for the statuses the programs use; a status it
 * does not know gets a generic text, never NULL. Static storage. */
const char *fcgiio_status_text(int status);

#endif
