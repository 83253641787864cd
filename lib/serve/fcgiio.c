/* fcgiio.c - FastCGI parameters, bounded body reading and responses. */
#include "fcgiio.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

const char *
fcgiio_param(const FCGX_Request *req, const char *name)
{
	return FCGX_GetParam(name, req->envp);
}

int
fcgiio_param_count(const FCGX_Request *req, const char *name)
{
	size_t len = strlen(name);
	int n = 0;

	for (char **e = req->envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			n++;
	return n;
}

const char *
fcgiio_param_join(const FCGX_Request *req, const char *name, char *out,
    size_t outlen)
{
	size_t len = strlen(name), used = 0, vlen;
	const char *v;
	int found = 0;

	if (outlen == 0)
		return NULL;
	out[0] = '\0';
	for (char **e = req->envp; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, name, len) != 0 || (*e)[len] != '=')
			continue;
		v = *e + len + 1;
		vlen = strlen(v);
		if (used + (found ? 2 : 0) + vlen + 1 > outlen)
			continue;
		if (found) {
			memcpy(out + used, ", ", 2);
			used += 2;
		}
		memcpy(out + used, v, vlen + 1);
		used += vlen;
		found = 1;
	}
	return found ? out : NULL;
}

static int
fcgiio_fail(int *http_status, int status, char *err, size_t errlen,
    const char *msg)
{
	*http_status = status;
	snprintf(err, errlen, "%s", msg);
	return -1;
}

int
fcgiio_read_body(FCGX_Request *req, struct buf *out, int *http_status,
    char *err, size_t errlen)
{
	const char *cl = fcgiio_param(req, "CONTENT_LENGTH");
	char chunk[16384];
	long long want;
	int n;

	if (cl == NULL || *cl == '\0')
		want = 0;
	else if (config_parse_int(cl, 0, (long long)1 << 40, &want) == -1)
		return fcgiio_fail(http_status, 411, err, errlen,
		    "invalid Content-Length");
	if ((unsigned long long)want > out->limit) {
		snprintf(err, errlen, "request body is larger than %zu bytes",
		    out->limit);
		*http_status = 413;
		return -1;
	}
	while (want > 0) {
		n = FCGX_GetStr(chunk, want < (long long)sizeof(chunk) ?
		    (int)want : (int)sizeof(chunk), req->in);
		if (n <= 0)
			return fcgiio_fail(http_status, 400, err, errlen,
			    "request body ended early");
		if (buf_append(out, chunk, (size_t)n) == -1)
			return fcgiio_fail(http_status, 413, err, errlen,
			    "request body too large");
		want -= n;
	}
	if (out->data == NULL && buf_append(out, "", 0) == -1)
		return -1;
	return 0;
}

const char *
fcgiio_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

void
fcgiio_respond(FCGX_Request *req, int status, const char *content_type,
    const char *extra_headers, const char *body, size_t len)
{
	char head[1024];
	int n;

	/* libfcgi's own printf knows no %zu: format here. */
	n = snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%s\r\n", status, fcgiio_status_text(status),
	    content_type, len, extra_headers != NULL ? extra_headers : "");
	if (n < 0 || (size_t)n >= sizeof(head)) {
		/* Headers that do not fit are a bug here: answer 500 alone. */
		n = snprintf(head, sizeof(head), "Status: 500 %s\r\n"
		    "Content-Length: 0\r\n\r\n", fcgiio_status_text(500));
		FCGX_PutStr(head, n, req->out);
		return;
	}
	FCGX_PutStr(head, n, req->out);
	if (len > 0)
		FCGX_PutStr(body, (int)len, req->out);
}
