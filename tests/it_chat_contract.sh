#!/bin/sh
# it_chat_contract.sh - the /chat contract through the real nginx and
# chat-fcgi, with the mock model: answers, session ids, every error code.
. "$SRC_DIR/tests/lib.sh"

start_mock_llm
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini LLM_TIMEOUT_S=2

user() { printf '{"messages":[{"role":"user","content":"%s"}]%s}' "$1" "${2:+,\"session_id\":\"$2\"}"; }

eq "a turn answers 200" 200 "$(chat "$(user 'a soup please' session_1700000000000_abc123)" -D "$T/hdr")"
eq "the body names the turn's trace, as X-Trace-Id does" \
    "$(sed -n 's/^[Xx]-[Tt]race-[Ii]d: *\([0-9a-fA-F]*\).*/\1/p' "$T/hdr" | tr 'A-F' 'a-f')" "$(resp .trace_id)"
check "trace_id is 32 hex" sh -c "jq -r .trace_id '$T/resp' | grep -Eqx '[0-9a-f]{32}'"
check "span_id is 16 hex" sh -c "jq -r .span_id '$T/resp' | grep -Eqx '[0-9a-f]{16}'"
TURN_TRACE=$(resp .trace_id) TURN_SPAN=$(resp .span_id)
eq "the body has messages, session_id, trace_id, span_id" "messages session_id span_id trace_id" \
    "$(resp '[keys[]] | join(" ")')"
eq "history is system + user + assistant" "system user assistant" \
    "$(resp '[.messages[].role] | join(" ")')"
eq "the reply is the model's" "mock reply to: a soup please" "$(resp '.messages[2].content')"
eq "the session id comes back" session_1700000000000_abc123 "$(resp .session_id)"
check "the system prompt asks for one Markdown recipe" \
    grep -q '### Ingredients' "$T/resp"
check "span_id is the chat_turn span of that trace in the spool" wait_for 10 sh -c \
    "cat '$SPOOL'/spans-*.jsonl | jq -e -s '[.[].resourceSpans[].scopeSpans[].spans[]
	| select(.name == \"chat_turn\" and .traceId == \"$TURN_TRACE\" and .spanId == \"$TURN_SPAN\")] | length == 1'"

chat "$(user hi)" >/dev/null
check "a missing session id gets a UUID v4" sh -c "jq -r .session_id '$T/resp' |
    grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'"

chat '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"eggs"},{"role":"assistant","content":"Omelette."},{"role":"user","content":"another"}],"session_id":"s-2"}' >/dev/null
eq "a given system message is kept, not doubled" "system user assistant user assistant" \
    "$(resp '[.messages[].role] | join(" ")')"
eq "the model saw the whole history" 4 "$(tail -n 1 "$MOCK_LOG" | jq '.body.messages | length')"

chat '{"messages":[{"role":"user","content":"crème brûlée 🍮 \u00e9"}],"session_id":"u"}' >/dev/null
eq "unicode round-trips" "mock reply to: crème brûlée 🍮 é" "$(resp '.messages[2].content')"

# Errors: {"detail": "..."} with the right status.
eq "malformed JSON is 400" 400 "$(chat '{"messages": [')"
check "400 has a detail" jq -e '.detail | length > 0' "$T/resp"
eq "a JSON array is 422" 422 "$(chat '[1,2]')"
eq "missing messages is 422" 422 "$(chat '{"session_id":"x"}')"
eq "empty messages is 422" 422 "$(chat '{"messages":[]}')"
eq "messages of the wrong type is 422" 422 "$(chat '{"messages":"hi"}')"
eq "content of the wrong type is 422" 422 "$(chat '{"messages":[{"role":"user","content":5}]}')"
eq "an unknown role is 422" 422 "$(chat '{"messages":[{"role":"wizard","content":"x"}]}')"
eq "the unknown role is named" "messages[0].role must be one of system, user, assistant" "$(resp .detail)"
eq "a bad session id is 422" 422 "$(chat "$(user x 'a b')")"
eq "an empty session id is 422" 422 "$(chat '{"messages":[{"role":"user","content":"x"}],"session_id":""}')"
eq "a 128-char session id is fine" 200 "$(chat "$(user x "$(head -c 128 /dev/zero | tr '\0' a)")")"
eq "a 129-char session id is 422" 422 "$(chat "$(user x "$(head -c 129 /dev/zero | tr '\0' a)")")"

{ printf '{"messages":[{"role":"user","content":"'; head -c 1100000 /dev/zero | tr '\0' a; printf '"}]}'; } > "$T/big.json"
eq "a body over 1 MiB is 413" 413 "$(chat @"$T/big.json")"
check "413 is JSON with a detail" jq -e .detail "$T/resp"

eq "GET /chat is 405" 405 "$(curl -sS -o "$T/resp" -w '%{http_code}' "$BASE/chat")"
eq "405 has a detail" "method not allowed: use POST" "$(resp .detail)"

eq "a model endpoint failure is 502" 502 "$(chat "$(user MOCK_STATUS=503)")"
check "502 says what the endpoint answered" grep -q 503 "$T/resp"
eq "a garbled model answer is 502" 502 "$(chat "$(user MOCK_GARBAGE)")"
eq "a model timeout is 504" 504 "$(chat "$(user MOCK_DELAY=4000)")"
check "504 has a detail" jq -e '.detail | test("timed out")' "$T/resp"

eq "the service still answers after errors" 200 "$(chat "$(user 'still there?')")"
eq "GET /healthz is 200" 'ok 0' "$(curl -sS "$BASE/healthz" | jq -r '"\(.status) \(.spool.dropped_turns)"')"
eq "unknown paths are 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/nope")"
eq "POST to the page is refused" 403 "$(curl -s -o /dev/null -w '%{http_code}' -d x "$BASE/")"
eq "dot files are not served" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/.git/config")"

stop_mock
eq "a model endpoint that is down is 502" 502 "$(chat "$(user 'anyone?')")"
finish
