#!/bin/sh
# nginx-render.sh - writes nginx.conf from conf/docker/nginx.conf.in with a
# body limit and read timeout that follow the pool's CHAT_MAX_BODY and
# LLM_TIMEOUT_S, as conf/run.sh does. The web image runs it from
# /docker-entrypoint.d before nginx starts.
# Usage: nginx-render.sh [TEMPLATE [OUTPUT]]
set -eu
in=${1:-/etc/nginx/recipe-chat/nginx.conf.in}
out=${2:-/etc/nginx/nginx.conf}
max_body=${CHAT_MAX_BODY:-1048576}
llm_timeout=${LLM_TIMEOUT_S:-120}
# Per-client limits on /chat (docs/reliability.md). Behind Docker's
# port publishing every client may share the gateway's address: raise
# these, or publish with host networking, when that is so.
rate=${CHAT_RATE_PER_S:-10}
burst=${CHAT_RATE_BURST:-40}
conn=${CHAT_CONN_PER_CLIENT:-32}
exempt=${CHAT_LIMIT_EXEMPT:-none}
nofile=${NGINX_NOFILE:-16384}

for v in "CHAT_MAX_BODY=$max_body" "LLM_TIMEOUT_S=$llm_timeout" \
    "CHAT_RATE_PER_S=$rate" "CHAT_RATE_BURST=$burst" \
    "CHAT_CONN_PER_CLIENT=$conn" "NGINX_NOFILE=$nofile"; do
	case ${v#*=} in
	''|*[!0-9]*|0*)
		echo "$0: ${v%%=*} must be a whole number, not '${v#*=}'" >&2
		exit 1 ;;
	esac
done
# The pool answers a slow model with 504 and a span; nginx must not give
# up first.
lines=""
if [ "$exempt" != none ]; then
	for a in $exempt; do
		case $a in *[!0-9a-fA-F.:/]*)
			echo "$0: CHAT_LIMIT_EXEMPT: '$a' is not an address" >&2
			exit 1 ;;
		esac
		lines="$lines		$a 1;\\n"
	done
fi
sed -e "s|@MAX_BODY@|$max_body|g" \
    -e "s|@READ_TIMEOUT@|$((llm_timeout + 30))|g" \
    -e "s|@RATE@|$rate|g" -e "s|@BURST@|$burst|g" -e "s|@CONN@|$conn|g" \
    -e "s|@NOFILE@|$nofile|g" -e "s|@LIMIT_EXEMPT@|$lines|" "$in" > "$out.tmp"
mv "$out.tmp" "$out"
