#!/bin/sh
# it_chat_spans.sh - what a turn leaves in the spool: chat_turn and its
# completion child, OpenInference attributes, session ids, the traceparent
# the model endpoint receives, incoming contexts, and no API key anywhere.
. "$SRC_DIR/tests/lib.sh"

KEY=sk-test-DO-NOT-LEAK-4242
start_mock_llm
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=openai/gpt-4o-mini \
    OPENAI_API_KEY="$KEY" LLM_TIMEOUT_S=2

sid=session_1700000000000_spans
eq "a turn answers" 200 "$(chat "{\"messages\":[{\"role\":\"user\",\"content\":\"lentil soup\"}],\"session_id\":\"$sid\"}")"
trace=$(curl -s -o /dev/null -D - -X POST \
    -H 'Content-Type: application/json' \
    --data-binary "$(jq -c '.messages += [{"role":"user","content":"second turn"}]' "$T/resp")" \
    "$BASE/chat" | tr -d '\r' | sed -n 's/^X-Trace-Id: //Ip')

spool_spans > "$T/spans"
jq -c "select(any(.attributes[]; .key == \"session.id\" and .value.stringValue == \"$sid\"))" \
    "$T/spans" > "$T/session"
eq "two turns leave four spans with the session id" 4 "$(wc -l < "$T/session")"
jq -c "select(.traceId == \"$trace\")" "$T/spans" > "$T/trace"
eq "the X-Trace-Id header names the turn's trace" 2 "$(wc -l < "$T/trace")"
jq -c 'select(.name == "chat_turn")' "$T/trace" > "$T/turn"
jq -c 'select(.name == "completion")' "$T/trace" > "$T/llm"
turn=$(cat "$T/turn")
llm=$(cat "$T/llm")
a() { printf "%s\n" "$1" | jq -r "$ATTR attr(\"$2\")"; }

eq "chat_turn is a SERVER span" 2 "$(printf "%s\n" "$turn" | jq .kind)"
eq "chat_turn is an AGENT" AGENT "$(a "$turn" openinference.span.kind)"
check "chat_turn is a root span" jq -e '(.parentSpanId // "") == ""' "$T/turn"
eq "chat_turn input is the last user message" "second turn" "$(a "$turn" input.value)"
eq "chat_turn input is text" text/plain "$(a "$turn" input.mime_type)"
eq "chat_turn output is the reply" "mock reply to: second turn" "$(a "$turn" output.value)"
eq "chat_turn status is OK" 1 "$(printf "%s\n" "$turn" | jq .status.code)"
eq "completion is a CLIENT span" 3 "$(printf "%s\n" "$llm" | jq .kind)"
eq "completion is the child of chat_turn" "$(printf "%s\n" "$turn" | jq -r .spanId)" \
    "$(printf "%s\n" "$llm" | jq -r .parentSpanId)"
eq "completion is an LLM span" LLM "$(a "$llm" openinference.span.kind)"
eq "completion carries the session id" "$sid" "$(a "$llm" session.id)"
eq "llm.model_name is the reported model" mock-model "$(a "$llm" llm.model_name)"
eq "llm.provider" openai "$(a "$llm" llm.provider)"
eq "llm.system" openai "$(a "$llm" llm.system)"
eq "llm.invocation_parameters is JSON without messages" gpt-4o-mini \
    "$(a "$llm" llm.invocation_parameters | jq -r .model)"
eq "input message 0 is the system prompt" system "$(a "$llm" llm.input_messages.0.message.role)"
eq "input message 1 is the first user turn" "lentil soup" "$(a "$llm" llm.input_messages.1.message.content)"
eq "input message 3 is the new user turn" "second turn" "$(a "$llm" llm.input_messages.3.message.content)"
eq "output message role" assistant "$(a "$llm" llm.output_messages.0.message.role)"
eq "output message content" "mock reply to: second turn" "$(a "$llm" llm.output_messages.0.message.content)"
eq "finish reason" stop "$(a "$llm" llm.finish_reason)"
check "token counts are integers" jq -e '[.attributes[] | select(.key | startswith("llm.token_count")) | .value.intValue | strings | tonumber] | length == 3' "$T/llm"
eq "total = prompt + completion" "$(( $(a "$llm" llm.token_count.prompt) + $(a "$llm" llm.token_count.completion) ))" \
    "$(a "$llm" llm.token_count.total)"
eq "input.value is the request messages as JSON" 4 "$(a "$llm" input.value | jq length)"
eq "input.mime_type is JSON" application/json "$(a "$llm" input.mime_type)"
eq "resource names the project" recipe-chatbot \
    "$(printf "%s\n" "$turn" | jq -r '.resource.attributes[] | select(.key == "openinference.project.name") | .value.stringValue')"

# The model endpoint received the LLM span's context.
eq "the model got traceparent 00-<trace>-<llm span>-<flags>" \
    "00-$trace-$(jq -r .spanId "$T/llm")-$(printf %02x $(( $(jq .flags "$T/llm") & 255 )))" \
    "$(tail -n 1 "$MOCK_LOG" | jq -r .traceparent)"
eq "the model got the key" true "$(tail -n 1 "$MOCK_LOG" | jq -r .authorization_present)"

# An incoming traceparent is a link by default: chat_turn stays a root.
in_trace=4bf92f3577b34da6a3ce929d0e0e4736
in_span=00f067aa0ba902b7
chat '{"messages":[{"role":"user","content":"linked"}]}' \
    -H "traceparent: 00-$in_trace-$in_span-01" -H "tracestate: vendor=abc" >/dev/null
turn_with() { spool_spans | jq -c "$ATTR"' select(.name == "chat_turn" and attr("input.value") == $in)' --arg in "$1"; }
turn_with linked > "$T/linked"
eq "one turn said 'linked'" 1 "$(wc -l < "$T/linked")"
check "an incoming context does not become the parent" jq -e '(.parentSpanId // "") == ""' "$T/linked"
check "it starts a new trace" jq -e ".traceId != \"$in_trace\"" "$T/linked"
eq "it is linked" "$in_trace $in_span vendor=abc" \
    "$(jq -r '.links[0] | "\(.traceId) \(.spanId) \(.traceState)"' "$T/linked")"

chat '{"messages":[{"role":"user","content":"two states"}]}' \
    -H "traceparent: 00-$in_trace-$in_span-01" -H "tracestate: a=1" -H "tracestate: b=2" >/dev/null
eq "two tracestate headers make one list" "a=1,b=2" \
    "$(turn_with "two states" | jq -r '.links[0].traceState')"
chat '{"messages":[{"role":"user","content":"bad parent"}]}' -H "traceparent: 00-$in_trace-0000000000000000-01" >/dev/null
turn_with "bad parent" > "$T/bad"
check "an invalid traceparent is ignored" jq -e -s 'length == 1 and (.[0].links // []) == []' "$T/bad"
chat '{"messages":[{"role":"user","content":"two parents"}]}' \
    -H "traceparent: 00-$in_trace-$in_span-01" -H "traceparent: 00-$in_trace-$in_span-01" >/dev/null
turn_with "two parents" > "$T/two"
check "two traceparent headers are ignored" jq -e -s 'length == 1 and (.[0].links // []) == []' "$T/two"

# Usage details become the OpenInference counts Phoenix prices by; the
# prompt count stays the whole prompt. Without details (the turns above)
# none is written, not even 0.
details="llm.token_count.prompt_details.cache_read llm.token_count.prompt_details.cache_write
    llm.token_count.prompt_details.audio llm.token_count.completion_details.reasoning
    llm.token_count.completion_details.audio"
for k in $details; do
	eq "no $k without usage details" "" "$(a "$llm" "$k")"
done
u=prompt_tokens=1200,prompt_tokens_details.cached_tokens=1024,prompt_tokens_details.audio_tokens=0
u=$u,completion_tokens_details.reasoning_tokens=64,completion_tokens_details.audio_tokens=null
u=$u,cache_creation_input_tokens=-5
eq "a turn with usage details answers" 200 \
    "$(chat "{\"messages\":[{\"role\":\"user\",\"content\":\"cached MOCK_USAGE=$u\"}]}")"
cached_turn=$(turn_with "cached MOCK_USAGE=$u" | jq -r .spanId)
spool_spans | jq -c --arg p "$cached_turn" 'select(.parentSpanId == $p)' > "$T/cached"
cached=$(cat "$T/cached")
eq "the prompt count is the whole prompt" 1200 "$(a "$cached" llm.token_count.prompt)"
eq "cached tokens are prompt_details.cache_read" 1024 "$(a "$cached" llm.token_count.prompt_details.cache_read)"
eq "a reported 0 is written" 0 "$(a "$cached" llm.token_count.prompt_details.audio)"
eq "reasoning tokens are completion_details.reasoning" 64 \
    "$(a "$cached" llm.token_count.completion_details.reasoning)"
eq "a null count is left out" "" "$(a "$cached" llm.token_count.completion_details.audio)"
eq "a negative count is left out" "" "$(a "$cached" llm.token_count.prompt_details.cache_write)"
check "the details are integers" jq -e '[.attributes[] | select(.key | test("_details\\."))
    | .value.intValue | strings | tonumber] | length == 3' "$T/cached"

# Errors leave an ERROR span with an exception event.
chat '{"messages":[]}' >/dev/null
chat '{"messages":[{"role":"user","content":"MOCK_STATUS=500"}]}' >/dev/null
spool_spans > "$T/spans"
check "a 422 turn is an ERROR span with an exception" jq -e -s '
    map(select(.name == "chat_turn" and .status.code == 2 and
        any(.events[]?; .name == "exception" and
            any(.attributes[]; .key == "exception.message" and
                (.value.stringValue | test("empty")))))) | length == 1' "$T/spans"
check "a 502 turn has an ERROR LLM span too" jq -e -s '
    map(select(.name == "completion" and .status.code == 2 and
        any(.events[]?; .name == "exception"))) | length == 1' "$T/spans"

check "every spool line is valid OTLP/JSON" sh -c "jq -n -R -e -f '$SRC_DIR/tests/check-otlp-json.jq' '$SPOOL'/*.jsonl"
check "the key is nowhere in the spool" sh -c "! grep -rq -- '$KEY' '$SPOOL'"
check "the key is nowhere in the logs" sh -c "! grep -rq -- '$KEY' '$T/stack.log' '$T/run'"
stop_stack

# Behind a trusted gateway the incoming context becomes the parent.
# (and the resource names what PHOENIX_PROJECT_NAME and OTEL_SERVICE_NAME say).
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini TRUST_TRACEPARENT=1 \
    PHOENIX_PROJECT_NAME=proj-under-test OTEL_SERVICE_NAME=svc-under-test
chat '{"messages":[{"role":"user","content":"trusted"}]}' -H "traceparent: 00-$in_trace-$in_span-01" >/dev/null
turn_with trusted > "$T/trusted"
eq "TRUST_TRACEPARENT=1 joins the incoming trace" "$in_trace $in_span" \
    "$(jq -r '"\(.traceId) \(.parentSpanId)"' "$T/trusted")"
res() { jq -r --arg k "$1" '.resource.attributes[] | select(.key == $k) | .value.stringValue' "$T/trusted"; }
eq "PHOENIX_PROJECT_NAME names the project" proj-under-test "$(res openinference.project.name)"
eq "OTEL_SERVICE_NAME names the service" svc-under-test "$(res service.name)"
stop_stack

# OTEL_SDK_DISABLED=true: tracing off. The same answers, no span built or
# spooled, no traceparent to the model, no ids in the answer, and votes
# refused (there is no span to annotate).
rm -rf "$SPOOL"
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini OTEL_SDK_DISABLED=true
: > "$MOCK_LOG"
eq "tracing off: /chat still answers 200" 200 \
    "$(chat '{"messages":[{"role":"user","content":"untraced"}],"session_id":"s-off"}' -D "$T/off.h")"
eq "tracing off: the answer is the whole history" "user assistant" \
    "$(resp '[.messages[1:][].role] | join(" ")')"
eq "tracing off: the answer names no trace or span" "null null" \
    "$(resp '"\(.trace_id) \(.span_id)"')"
check "tracing off: no X-Trace-Id header" sh -c "! grep -qi '^x-trace-id' '$T/off.h'"
eq "tracing off: the model got no traceparent" null "$(tail -n 1 "$MOCK_LOG" | jq -r .traceparent)"
eq "tracing off: nothing in the spool" 0 "$(spool_spans | wc -l)"
eq "tracing off: /healthz says so" false \
    "$(curl -fsS "$BASE/healthz" | jq -r .tracing)"
eq "tracing off: /feedback is 503" 503 "$(curl -s -o "$T/fb" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary \
    '{"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","session_id":"s-off","label":"thumbs_up"}' \
    "$BASE/feedback")"
check "tracing off: the 503 names the setting" grep -q OTEL_SDK_DISABLED "$T/fb"
stop_stack
# A value OpenTelemetry does not define leaves tracing on, with a warning.
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini OTEL_SDK_DISABLED=yes
eq "OTEL_SDK_DISABLED=yes: tracing stays on" true "$(curl -fsS "$BASE/healthz" | jq -r .tracing)"
check "OTEL_SDK_DISABLED=yes: the log says why" grep -q "OTEL_SDK_DISABLED: 'yes' is not true or false" "$T/stack.log"
finish
