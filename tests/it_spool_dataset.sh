#!/bin/sh
# it_spool_dataset.sh - spool-dataset over a spool written by the real
# pool, with votes written as /feedback writes them (tests/feedgen.c):
# the request it builds (--dry-run), the selection by vote, errors and
# session, uploads to the test receiver's copy of Phoenix's
# POST /v1/datasets/upload (create, the 409 of a taken name, append, the
# API key), and every exit status. The receiver's own answers are checked
# against Phoenix's rules first.
. "$SRC_DIR/tests/lib.sh"

DS=$BUILD_DIR/bin/spool-dataset
FEEDGEN=$TESTS_BIN/feedgen
[ -x "$DS" ] || { echo "$DS is missing" >&2; exit 1; }

RECV_ARGS="--datasets-log $T/datasets.log"
start_receiver
start_mock_llm
start_stack OPENAI_BASE_URL="$MOCK_URL" OPENAI_API_KEY=sk-test \
    MODEL_NAME=openai/gpt-4o-mini

# --- The receiver answers uploads as Phoenix 20.26.1 does ------------------
# upload BODY [QUERY] [curl args...]: the status; the answer in $T/up.
upload() {
	local body=$1 q=${2-?sync=true}; shift; [ $# -gt 0 ] && shift
	curl -sS -o "$T/up" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' --data-binary "$body" "$@" \
	    "$RECV_URL/v1/datasets/upload$q"
}
eq "a JSON upload is stored" 200 "$(upload '{"name":"probe","inputs":[{"q":1}],"span_ids":["00f067aa0ba902b7"]}')"
eq "the answer names the dataset as a GlobalID" "RGF0YXNldDox 1" \
    "$(jq -r '"\(.data.dataset_id) \(.data.num_created_examples)"' "$T/up")"
eq "the same name again with action create is 409" 409 "$(upload '{"name":"probe","inputs":[{"q":1}]}')"
eq "409 says the name exists" 'A dataset named "probe" already exists.' "$(cat "$T/up")"
eq "append of the same example creates none" 0 \
    "$(upload '{"name":"probe","action":"append","inputs":[{"q":1}]}' >/dev/null; jq .data.num_created_examples "$T/up")"
eq "span_ids of another length is 422" 422 "$(upload '{"name":"x","inputs":[{}],"span_ids":[]}')"
eq "422 says why" "span_ids must have same length as inputs (0 != 1)" "$(cat "$T/up")"
eq "outputs of another length is 422" 422 "$(upload '{"name":"x","inputs":[{}],"outputs":[{},{}]}')"
eq "inputs that are not objects are 422" 422 "$(upload '{"name":"x","inputs":[1]}')"
eq "no name is 422" 422 "$(upload '{"inputs":[{}]}')"
eq "an unknown action is 422" 422 "$(upload '{"name":"x","action":"merge","inputs":[{}]}')"
eq "a span id that is not a string is 422" 422 "$(upload '{"name":"x","inputs":[{}],"span_ids":[7]}')"
eq "without sync the answer is null" "200 null" "$(upload '{"name":"q","inputs":[{}]}' '') $(cat "$T/up")"
eq "a missing content type is 400" 400 "$(curl -sS -o /dev/null -w '%{http_code}' \
    -X POST -H 'Content-Type:' --data-binary '{}' "$RECV_URL/v1/datasets/upload?sync=true")"
: > "$T/datasets.log"

# --- Turns, and votes on them ----------------------------------------------
# turn SESSION TEXT: one /chat turn continuing the session's history;
# prints the chat_turn span id (looked up in the spool by X-Trace-Id).
turn() {
	local h=$T/hist.$1 trace
	[ -f "$h" ] || echo '[]' > "$h"
	trace=$(jq -c --arg s "$1" --arg m "$2" \
	    '{messages: (. + [{role: "user", content: $m}]), session_id: $s}' "$h" |
	    curl -sS -o "$T/resp" -D - -X POST -H 'Content-Type: application/json' \
	    --data-binary @- "$BASE/chat" | tr -d '\r' | sed -n 's/^X-Trace-Id: //Ip')
	jq -c '.messages // []' "$T/resp" > "$h"
	echo "$trace" >> "$T/traces"
	spool_spans | jq -r --arg t "$trace" \
	    'select(.traceId == $t and .name == "chat_turn") | .spanId'
}
s1=$(turn sess-1 "lentil soup")
s2=$(turn sess-1 "less salt please")
s3=$(turn sess-2 "pancakes")
s4=$(turn sess-2 "MOCK_STATUS=500")	# the model call fails
chat '{"messages":[]}' >/dev/null	# 422: the model never sees it
check "four turns are in the spool" test -n "$s1" -a -n "$s2" -a -n "$s3" -a -n "$s4"
trace_of() { spool_spans | jq -r --arg s "$1" 'select(.spanId == $s) | .traceId'; }
"$FEEDGEN" "$SPOOL" "$(trace_of "$s1")" "$s1" sess-1 up
"$FEEDGEN" "$SPOOL" "$(trace_of "$s2")" "$s2" sess-1 up
"$FEEDGEN" "$SPOOL" "$(trace_of "$s2")" "$s2" sess-1 down "too salty"	# changed
"$FEEDGEN" "$SPOOL" "$(trace_of "$s3")" "$s3" sess-2 down
stop_stack

export SPOOL_DIR="$SPOOL"
export PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL/v1/traces"
# ds ARGS...: spool-dataset; stdout in $T/out, stderr in $T/err; the status.
ds() { "$DS" "$@" > "$T/out" 2> "$T/err"; echo $?; }
J() { jq -r "$1" "$T/out"; }

# --- What --dry-run prints ---------------------------------------------------
eq "--dry-run of every turn exits 0" 0 "$(ds --name all --dry-run)"
eq "one example per turn the model saw" "$s1 $s2 $s3 $s4" "$(J '.span_ids | join(" ")')"
check "the turn the model never saw is counted" grep -q "skipped 1 matching turns the model never saw" "$T/err"
eq "action create" create "$(J .action)"
eq "inputs, outputs and metadata are as long as span_ids" "4 4 4" \
    "$(J '"\(.inputs | length) \(.outputs | length) \(.metadata | length)"')"
eq "no system prompt in any input" 0 "$(J '[.inputs[].messages[] | select(.role == "system")] | length')"
eq "the second turn's input is the conversation so far" \
    '[{"role":"user","content":"lentil soup"},{"role":"assistant","content":"mock reply to: lentil soup"},{"role":"user","content":"less salt please"}]' \
    "$(jq -c '.inputs[1].messages' "$T/out")"
eq "the output is the answer" "mock reply to: less salt please" "$(J '.outputs[1].content')"
eq "a failed call has no answer, and says why" "null true" \
    "$(J '"\(.outputs[3].content) \(.outputs[3].error | length > 0)"')"
eq "metadata: session, trace, latest vote, comment, the model that answered" \
    "sess-1 $(trace_of "$s2") thumbs_down too salty mock-model" \
    "$(J '.metadata[1] | "\(.session_id) \(.trace_id) \(.feedback) \(.comment) \(.model)"')"
eq "a turn without a vote has feedback null" null "$(J '.metadata[3].feedback')"
eq "the default description says how the turns were chosen" \
    "spool-dataset: chat turns" "$(J .description)"

eq "--feedback down exits 0" 0 "$(ds --name d --feedback down --dry-run)"
eq "--feedback down: the latest votes down only" "$s2 $s3" "$(J '.span_ids | join(" ")')"
check "the description names the vote" sh -c "jq -r .description '$T/out' | grep -q 'feedback thumbs_down'"
eq "--feedback up: the first turn only" "$s1" \
    "$(ds --name d --feedback up --dry-run >/dev/null; J '.span_ids | join(" ")')"
eq "--errors: the failed turn the model saw" "$s4" \
    "$(ds --name d --errors --dry-run >/dev/null; J '.span_ids | join(" ")')"
eq "--session sess-2 --feedback down" "$s3" \
    "$(ds --name d --session sess-2 --feedback down --dry-run >/dev/null; J '.span_ids | join(" ")')"
eq "--limit 1 keeps the first read" 1 "$(ds --name d --limit 1 --dry-run >/dev/null; J '.span_ids | length')"
check "--limit says what it left out" grep -q "left out 3 matching turns past --limit 1" "$T/err"
eq "--since 7d keeps them all" 4 "$(ds --name d --since 7d --dry-run >/dev/null; J '.span_ids | length')"

# --- Uploads -------------------------------------------------------------------
eq "upload of the disliked turns exits 0" 0 "$(ds --name disliked --feedback down --since 7d)"
check "it says what Phoenix made" grep -q 'uploaded 2 examples to dataset "disliked"' "$T/out"
DL() { tail -n 1 "$T/datasets.log" | jq -r "$1"; }
eq "the receiver stored one dataset of two examples" "disliked create 2 2" \
    "$(DL '"\(.name) \(.action) \(.created) \(.examples)"')"
eq "linked to the chat_turn spans" "$s2 $s3" "$(DL '.request.span_ids | join(" ")')"
eq "with the conversations the model received" "lentil soup|mock reply to: lentil soup|less salt please" \
    "$(DL '.request.inputs[0].messages | map(.content) | join("|")')"
eq "the same name again without --append exits 4" 4 "$(ds --name disliked --feedback down)"
eq "in one line that says what to do" \
    'spool-dataset: a dataset named "disliked" already exists in Phoenix: add to it with --append, or choose another --name' \
    "$(tail -n 1 "$T/err")"
eq "nothing more was stored" 1 "$(wc -l < "$T/datasets.log")"
eq "--append adds to it" 0 "$(ds --name disliked --append --errors)"
eq "the receiver appended one example" "append 1 3" "$(DL '"\(.action) \(.created) \(.examples)"')"

# --- Exit statuses ---------------------------------------------------------------
eq "nothing selected exits 3" 3 "$(ds --name none --session nosuch)"
check "and says so" grep -q "no turn selected" "$T/err"
eq "no --name exits 2" 2 "$(ds --feedback down)"
eq "--feedback sideways exits 2" 2 "$(ds --name x --feedback sideways)"
eq "--since yesterday-ish exits 2" 2 "$(ds --name x --since soon)"
eq "--limit 0 exits 2" 2 "$(ds --name x --limit 0)"
eq "a URL that is not http exits 2" 2 "$(PHOENIX_ENDPOINT=phx:6006 ds --name x)"
eq "a missing spool exits 5" 5 "$(ds --name x --spool "$T/nosuch/spool")"
hold_port
eq "an unreachable Phoenix exits 1" 1 \
    "$(PHOENIX_COLLECTOR_ENDPOINT=http://127.0.0.1:$HELD_PORT ds --name x)"
check "and says where" grep -q "Phoenix at http://127.0.0.1:$HELD_PORT did not answer" "$T/err"
release_port
eq "PHOENIX_ENDPOINT wins over PHOENIX_COLLECTOR_ENDPOINT" 0 \
    "$(PHOENIX_ENDPOINT=$RECV_URL PHOENIX_COLLECTOR_ENDPOINT=http://127.0.0.1:9 ds --name other)"

# --- With Phoenix's auth on ---------------------------------------------------
stop_receiver
RECV_ARGS="--datasets-log $T/datasets.log --api-key sk-phx-test"
start_receiver
export PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL"
eq "without the key: refused, exit 4" 4 "$(ds --name keyed)"
check "with a hint at PHOENIX_API_KEY" grep -q "HTTP 401.*PHOENIX_API_KEY" "$T/err"
eq "with PHOENIX_API_KEY: uploaded" 0 "$(PHOENIX_API_KEY=sk-phx-test ds --name keyed)"
eq "with the key in PHOENIX_CLIENT_HEADERS: uploaded" 0 \
    "$(PHOENIX_CLIENT_HEADERS='authorization=Bearer sk-phx-test' ds --name keyed2)"
check "the key is never printed" sh -c "! grep -q sk-phx-test '$T/out' '$T/err'"

finish
