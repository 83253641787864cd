#!/usr/bin/env bash
# run.sh - run the whole stack in the foreground: nginx (page + /chat), the
# chat-fcgi pool, the span flusher (restarted if it dies) and, when no
# model is configured, the offline recipe model.
# Ctrl-C or SIGTERM stops every process it started. Usage: run.sh BUILD_DIR
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$BUILD/bin

CHAT_PORT=${CHAT_PORT:-8000}
CHAT_ADDR=${CHAT_ADDR:-127.0.0.1}
RUN_DIR=${RUN_DIR:-$BUILD/run}
SPOOL_DIR=${SPOOL_DIR:-$RUN_DIR/spool}
LLM_TIMEOUT_S=${LLM_TIMEOUT_S:-120}
CHAT_MAX_BODY=${CHAT_MAX_BODY:-1048576}
# Per-client limits on /chat (docs/reliability.md). make run listens on
# loopback, where every client is this machine: it is exempt unless
# CHAT_LIMIT_EXEMPT says otherwise ("none" exempts nobody).
CHAT_RATE_PER_S=${CHAT_RATE_PER_S:-10}
CHAT_RATE_BURST=${CHAT_RATE_BURST:-40}
CHAT_CONN_PER_CLIENT=${CHAT_CONN_PER_CLIENT:-32}
CHAT_LIMIT_EXEMPT=${CHAT_LIMIT_EXEMPT:-127.0.0.1 ::1}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
HTDOCS=${HTDOCS:-$BUILD/htdocs}

die() { echo "run.sh: $*" >&2; exit 1; }

case $CHAT_PORT in ''|*[!0-9]*) die "CHAT_PORT must be a port number";; esac
for v in CHAT_RATE_PER_S CHAT_RATE_BURST CHAT_CONN_PER_CLIENT; do
	case ${!v} in ''|*[!0-9]*|0) die "$v must be a whole number above 0";; esac
done
[ -x "$BIN/chat-fcgi" ] || die "$BIN/chat-fcgi is missing: build first"
[ -x "$NGINX" ] || die "nginx not found (apt-get install nginx-light)"
mkdir -p "$RUN_DIR/nginx-tmp" "$SPOOL_DIR"
export SPOOL_DIR LLM_TIMEOUT_S CHAT_MAX_BODY

# With no model configured, serve the offline recipe model so the default
# path exercises the same client, timeouts and traceparent as a provider.
OFFLINE=0
if [ -z "${MODEL_NAME:-}" ] && [ -z "${OPENAI_API_KEY:-}" ] &&
   [ -z "${OPENAI_BASE_URL:-}" ]; then
	OFFLINE=1
	OFFLINE_PORT=${OFFLINE_PORT:-$((CHAT_PORT + 1))}
	export MODEL_NAME=offline-recipe-model
	export OPENAI_BASE_URL=http://127.0.0.1:$OFFLINE_PORT/v1
fi

export CHAT_LISTEN=${CHAT_LISTEN:-$RUN_DIR/chat.sock}
OFFLINE_LISTEN=${OFFLINE_LISTEN:-$RUN_DIR/offline.sock}

upstream() { case $1 in /*) echo "unix:$1";; *) echo "$1";; esac; }

# The geo lines for CHAT_LIMIT_EXEMPT: "ADDR 1;" each, none for "none".
exempt_lines() {
	local a
	[ "$CHAT_LIMIT_EXEMPT" = none ] && return 0
	for a in $CHAT_LIMIT_EXEMPT; do
		case $a in *[!0-9a-fA-F.:/]*) die "CHAT_LIMIT_EXEMPT: '$a' is not an address";; esac
		printf '\t\t%s 1;\\n' "$a"
	done
}

# Descriptors for nginx workers: plenty, within the hard limit.
nofile() {
	local hard
	hard=$(ulimit -Hn)
	if [ "$hard" = unlimited ] || [ "$hard" -gt 16384 ]; then echo 16384; else echo "$hard"; fi
}

render() {
	local user_line="" offline_server="" keepalive="" keep_conn=""
	# Root keeps its workers as root so they can use the sockets made here.
	[ "$(id -u)" -eq 0 ] && user_line="user root;"
	# NGINX_FCGI_KEEPALIVE=N keeps N idle connections per nginx worker;
	# each pins one pool thread.
	if [ "${NGINX_FCGI_KEEPALIVE:-0}" -gt 0 ]; then
		keepalive="		keepalive ${NGINX_FCGI_KEEPALIVE};"
		keep_conn="fastcgi_keep_conn on;"
	fi
	if [ $OFFLINE -eq 1 ]; then
		offline_server=$(sed -e "s|@OFFLINE_UPSTREAM@|$(upstream "$OFFLINE_LISTEN")|g" \
		    -e "s|@OFFLINE_PORT@|$OFFLINE_PORT|g" \
		    -e "s|@CONF_DIR@|$SRC/conf|g" "$SRC/conf/offline-server.conf.in")
	fi
	awk -v block="$offline_server" '{ if ($0 == "@OFFLINE_SERVER@") print block; else print }' \
	    "$SRC/conf/nginx.conf.in" | sed \
	    -e "s|@USER_LINE@|$user_line|" \
	    -e "s|@KEEPALIVE@|$keepalive|" \
	    -e "s|@KEEP_CONN@|$keep_conn|" \
	    -e "s|@NGINX_WORKERS@|${NGINX_WORKERS:-auto}|" \
	    -e "s|@RUN_DIR@|$RUN_DIR|g" \
	    -e "s|@HTDOCS@|$HTDOCS|g" \
	    -e "s|@CONF_DIR@|$SRC/conf|g" \
	    -e "s|@CHAT_ADDR@|$CHAT_ADDR|g" \
	    -e "s|@CHAT_PORT@|$CHAT_PORT|g" \
	    -e "s|@CHAT_UPSTREAM@|$(upstream "$CHAT_LISTEN")|g" \
	    -e "s|@MAX_BODY@|$CHAT_MAX_BODY|g" \
	    -e "s|@RATE@|$CHAT_RATE_PER_S|g" \
	    -e "s|@BURST@|$CHAT_RATE_BURST|g" \
	    -e "s|@CONN@|$CHAT_CONN_PER_CLIENT|g" \
	    -e "s|@NOFILE@|$(nofile)|g" \
	    -e "s|@LIMIT_EXEMPT@|$(exempt_lines)|" \
	    -e "s|@READ_TIMEOUT@|$((LLM_TIMEOUT_S + 30))|g" \
	    > "$RUN_DIR/nginx.conf"
}

pids=()
stopping=0
stop_all() {
	stopping=1
	trap - INT TERM
	[ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null || true
	wait || true
}
trap 'stop_all; exit 0' INT TERM

start() {
	"$@" &
	pids+=($!)
}

# Each process gets only the secrets it needs: the pool no collector key,
# the flusher no model key.
MODEL_KEYS=(-u OPENAI_API_KEY -u ANTHROPIC_API_KEY -u GEMINI_API_KEY -u TOGETHER_API_KEY)
COLLECTOR_KEYS=(-u PHOENIX_API_KEY -u OTEL_EXPORTER_OTLP_HEADERS -u OTEL_EXPORTER_OTLP_TRACES_HEADERS)

# A URL for the terminal, its user:password (if any) shown as [redacted].
url_for_log() { sed -E 's|^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@|\1[redacted]@|' <<<"$1"; }

# The flusher is restarted when it dies: spans wait in the spool meanwhile.
supervise_flusher() {
	local child=""
	trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait; exit 0' TERM INT
	while :; do
		env "${MODEL_KEYS[@]}" "$BIN/span-flusher" &
		child=$!
		wait "$child" && exit 0
		echo "run.sh: span-flusher exited ($?); restarting in 1 s" >&2
		sleep 1
	done
}

wait_http() {
	local url=$1 i
	for i in $(seq 1 100); do
		curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

render
"$NGINX" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr ||
	die "nginx rejected $RUN_DIR/nginx.conf"

if [ $OFFLINE -eq 1 ]; then
	OFFLINE_LISTEN=$OFFLINE_LISTEN start "$BIN/offline-llm"
fi
start env "${COLLECTOR_KEYS[@]}" "$BIN/chat-fcgi"
start supervise_flusher
start "$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr

if ! wait_http "http://$CHAT_ADDR:$CHAT_PORT/healthz"; then
	stop_all
	die "the stack did not come up; see $RUN_DIR/nginx-error.log"
fi
# Ready means a chat can be answered: the offline model too (it loads its
# recipe book after nginx is up; a first turn before that got a 502).
if [ $OFFLINE -eq 1 ] && ! wait_http "http://127.0.0.1:$OFFLINE_PORT/healthz"; then
	stop_all
	die "the offline model did not come up; see $RUN_DIR/nginx-error.log"
fi
cat <<EOF
Recipe chatbot: http://$CHAT_ADDR:$CHAT_PORT/
  model:  ${MODEL_NAME:-gpt-4o-mini}$([ $OFFLINE -eq 1 ] && echo " (offline, $OPENAI_BASE_URL)")
  spool:  $SPOOL_DIR   (tail -f $SPOOL_DIR/*.jsonl)
  traces: shipped to $(url_for_log "${OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:-${OTEL_EXPORTER_OTLP_ENDPOINT:-${PHOENIX_COLLECTOR_ENDPOINT:-http://127.0.0.1:6006}}}")
Ctrl-C stops everything.
EOF

# Any process that ends takes the stack down with it.
set +e
wait -n "${pids[@]}"
rc=$?
# On Ctrl-C every process gets SIGINT at once and one may exit before our
# own trap runs: give the trap a moment before calling it a crash.
sleep 0.5
if [ $stopping -eq 0 ]; then
	echo "run.sh: a process exited ($rc); stopping" >&2
	stop_all
	exit 1
fi
