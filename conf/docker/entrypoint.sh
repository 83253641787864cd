#!/bin/sh
# entrypoint.sh - entry point of the runtime image: with no model configured,
# chat-fcgi talks to the offline recipe model at OFFLINE_BASE_URL, the same
# choice conf/run.sh makes; then it execs the command.
set -eu
if [ "${1:-}" = chat-fcgi ] && [ -n "${OFFLINE_BASE_URL:-}" ] &&
   [ -z "${MODEL_NAME:-}" ] && [ -z "${OPENAI_API_KEY:-}" ] &&
   [ -z "${OPENAI_BASE_URL:-}" ]; then
	MODEL_NAME=offline-recipe-model
	OPENAI_BASE_URL=$OFFLINE_BASE_URL
	export MODEL_NAME OPENAI_BASE_URL
	echo "entrypoint: no model configured; offline recipe model at" \
	    "$OPENAI_BASE_URL" >&2
fi
exec "$@"
