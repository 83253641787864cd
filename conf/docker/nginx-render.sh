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

for v in "CHAT_MAX_BODY=$max_body" "LLM_TIMEOUT_S=$llm_timeout"; do
	case ${v#*=} in
	''|*[!0-9]*|0*)
		echo "$0: ${v%%=*} must be a whole number, not '${v#*=}'" >&2
		exit 1 ;;
	esac
done
# The pool answers a slow model with 504 and a span; nginx must not give
# up first.
sed -e "s|@MAX_BODY@|$max_body|g" \
    -e "s|@READ_TIMEOUT@|$((llm_timeout + 30))|g" "$in" > "$out.tmp"
mv "$out.tmp" "$out"
