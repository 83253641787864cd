#!/bin/sh
# fcgi-healthz.sh - container health check: GET /healthz over FastCGI to
# chat-fcgi or offline-llm, healthy when the answer is 200 {"status":"ok"}.
# Usage: fcgi-healthz HOST:PORT
set -eu
if [ $# -ne 1 ]; then
	echo "usage: fcgi-healthz HOST:PORT" >&2
	exit 2
fi
# env -i: cgi-fcgi sends every variable it has as a FastCGI parameter, and
# the container's environment holds the API keys.
out=$(env -i REQUEST_METHOD=GET REQUEST_URI=/healthz DOCUMENT_URI=/healthz \
    SCRIPT_NAME=/healthz QUERY_STRING= SERVER_PROTOCOL=HTTP/1.1 \
    GATEWAY_INTERFACE=CGI/1.1 cgi-fcgi -bind -connect "$1" </dev/null) ||
	exit 1
case $out in
Status:\ 200*'{"status":"ok"'*)
	exit 0 ;;
esac
echo "fcgi-healthz: unexpected answer from $1: $out" >&2
exit 1
