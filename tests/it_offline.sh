#!/bin/sh
# it_offline.sh - the stack as `make run` starts it with no key and no base
# URL: the offline recipe model behind nginx, the page and its assets.
. "$SRC_DIR/tests/lib.sh"

unset OPENAI_API_KEY OPENAI_BASE_URL MODEL_NAME
start_stack

eq "the page is served" 200 "$(curl -s -o "$T/page" -w '%{http_code}' "$BASE/")"
check "it makes session ids" grep -rq "generateSessionId" "$T/page" "$BUILD_DIR/htdocs"
for f in $(grep -o 'src="[^"]*"' "$T/page" | sed 's/src="//; s/"$//'); do
	eq "asset $f is served" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/$f")"
done

eq "a turn answers with no key" 200 "$(chat '{"messages":[{"role":"user","content":"a quick vegan pasta"}],"session_id":"session_1_offline"}')"
resp '.messages[-1].content' > "$T/reply"
check "the reply is a Markdown recipe" grep -q '^## ' "$T/reply"
check "with ingredients" grep -q '^### Ingredients' "$T/reply"
check "and numbered instructions" grep -q '^1\. ' "$T/reply"
eq "the same question gets the same answer" "$(cat "$T/reply")" \
    "$(chat '{"messages":[{"role":"user","content":"a quick vegan pasta"}]}' >/dev/null; resp '.messages[-1].content')"

spool_spans | jq -c 'select(.name == "completion")' | tail -n 1 > "$T/llm"
eq "the LLM span names the offline model" offline-recipe-model \
    "$(jq -r "$ATTR"' attr("llm.model_name")' "$T/llm")"
check "with token counts" jq -e "$ATTR"' attr("llm.token_count.total") > 0' "$T/llm"
check "the offline endpoint is on loopback only" \
    grep -q "listen 127.0.0.1:" "$T/run/nginx.conf"

# SIGTERM to the run script stops every process it started.
kids=$(pgrep -P "$STACK_PID" | tr '\n' ' ')
check "the stack runs its processes" test -n "$kids"
stop_stack
for p in $kids; do
	check "process $p is gone after SIGTERM" sh -c "! kill -0 $p 2>/dev/null"
done
none_left() { ! pgrep -f "$T/run" >/dev/null; }	# nginx -p $T/run ...
check "nothing of the stack is left" none_left
finish
