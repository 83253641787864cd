#!/bin/sh
# it_feedback.sh - POST /feedback through the real nginx and chat-fcgi: a
# vote on a turn from a real /chat answer, every answer and its detail,
# the line in SPOOL_DIR/feedback-*.jsonl (written before the 202: a
# worker killed right after keeps it), nothing written for a 4xx, and
# nginx's per-client limit (429) in a zone of its own.
. "$SRC_DIR/tests/lib.sh"

start_mock_llm
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini POOL_WORKERS=1

# vote BODY [curl args...]: POST /feedback; body to $T/resp, status printed.
vote() {
	local body=$1; shift
	curl -sS -o "$T/resp" -X POST -H 'Content-Type: application/json' \
	    --data-binary "$body" -w '%{http_code}' "$@" "$BASE/feedback"
}
# fb TRACE SPAN SESSION LABEL [COMMENT]: a request body.
fb() {
	jq -cn --arg t "$1" --arg s "$2" --arg u "$3" --arg l "$4" --arg c "${5-}" \
	    '{trace_id: $t, span_id: $s, session_id: $u, label: $l}
	    + (if $c == "" then {} else {comment: $c} end)'
}
# The feedback lines in the spool, one compact object each.
fb_lines() { cat "$SPOOL"/feedback-*.jsonl 2>/dev/null; }
fb_count() { fb_lines | grep -c . ; }

# A real turn names itself; the vote names it back.
eq "a turn answers 200" 200 "$(chat '{"messages":[{"role":"user","content":"a soup please"}],"session_id":"fb-session-1"}')"
TRACE=$(resp .trace_id) SPAN=$(resp .span_id)
eq "a 👎 with a comment is 202" 202 "$(vote "$(fb "$TRACE" "$SPAN" fb-session-1 thumbs_down 'too salty 🧂')" -D "$T/hdr")"
eq "the id is fb- and the span id" "fb-$SPAN" "$(resp .id)"
eq "the answer is JSON with the id alone" id "$(resp 'keys | join(" ")')"
check "with a JSON content type" grep -qi '^content-type: application/json' "$T/hdr"
check "and the status line says Accepted" grep -q '^HTTP/1.1 202 Accepted' "$T/hdr"
eq "the line is in a feedback segment" 1 "$(fb_count)"
check "spans and feedback have segments of their own" sh -c \
    "! grep -l '\"feedback\"' '$SPOOL'/spans-*.jsonl && ! grep -l resourceSpans '$SPOOL'/feedback-*.jsonl"
fb_lines | tail -n 1 > "$T/line"
eq "the line holds the vote" "$TRACE $SPAN fb-session-1 thumbs_down 0 too salty 🧂 fb-$SPAN" \
    "$(jq -r '.feedback | "\(.traceId) \(.spanId) \(.sessionId) \(.label) \(.score) \(.comment) \(.identifier)"' "$T/line")"
check "the line's first key is feedback, its time a decimal string near now" jq -e --arg now "$(date +%s)" \
    '(keys_unsorted[0] == "feedback") and (.feedback.timeUnixNano | test("^[1-9][0-9]*$"))
    and ((.feedback.timeUnixNano | .[0:10] | tonumber) - ($now | tonumber) | fabs < 60)' "$T/line"
check "the voted span is the turn's chat_turn in the spool" sh -c \
    "cat '$SPOOL'/spans-*.jsonl | jq -e -s '[.[].resourceSpans[].scopeSpans[].spans[]
	| select(.name == \"chat_turn\" and .spanId == \"$SPAN\" and .traceId == \"$TRACE\")] | length == 1'"

# A changed vote: the same id, a new line that supersedes the first.
eq "a changed vote is 202" 202 "$(vote "$(fb "$TRACE" "$SPAN" fb-session-1 thumbs_up)")"
eq "with the same id" "fb-$SPAN" "$(resp .id)"
eq "two lines for the span, one identifier" "2 fb-$SPAN" \
    "$(fb_lines | jq -r --arg s "$SPAN" 'select(.feedback.spanId == $s) | .feedback.identifier' | uniq -c | awk '{ print $1, $2 }')"
eq "the last says 👍, score 1, no comment" "thumbs_up 1 null" \
    "$(fb_lines | tail -n 1 | jq -r '.feedback | "\(.label) \(.score) \(.comment)"')"
eq "uppercase ids are taken, stored lowercase" 202 \
    "$(vote "$(fb "$(echo "$TRACE" | tr a-f A-F)" "$(echo "$SPAN" | tr a-f A-F)" fb-session-1 thumbs_up)")"
eq "and get the same id" "fb-$SPAN" "$(resp .id)"
eq "a null comment is none" 202 "$(vote "{\"trace_id\":\"$TRACE\",\"span_id\":\"$SPAN\",\"session_id\":\"s\",\"label\":\"thumbs_up\",\"comment\":null}")"
fb_lines | tail -n 1 > "$T/line"
check "no comment in its line" jq -e '.feedback | has("comment") | not' "$T/line"
n_ok=$(fb_count)

# Errors: {"detail"} with the status; none writes a line.
T32=4bf92f3577b34da6a3ce929d0e0e4736 S16=00f067aa0ba902b7
errcase() { # STATUS DETAIL-REGEX DESCRIPTION BODY
	eq "$3 is $1" "$1" "$(vote "$4")"
	check "$3: the detail says $2" jq -e --arg re "$2" '.detail | test($re)' "$T/resp"
}
errcase 400 '^malformed JSON' "malformed JSON" '{"trace_id":'
errcase 400 '^malformed JSON' "trailing data" "$(fb $T32 $S16 s thumbs_up) x"
errcase 400 '^malformed JSON' "an empty body" ''
errcase 422 'JSON object' "an array" '[1]'
errcase 422 '^trace_id is required' "a missing trace_id" "{\"span_id\":\"$S16\",\"session_id\":\"s\",\"label\":\"thumbs_up\"}"
errcase 422 '^span_id is required' "a missing span_id" "{\"trace_id\":\"$T32\",\"session_id\":\"s\",\"label\":\"thumbs_up\"}"
errcase 422 '^session_id is required' "a missing session_id" "{\"trace_id\":\"$T32\",\"span_id\":\"$S16\",\"label\":\"thumbs_up\"}"
errcase 422 '^label is required' "a missing label" "{\"trace_id\":\"$T32\",\"span_id\":\"$S16\",\"session_id\":\"s\"}"
errcase 422 '^trace_id must be 32 hex' "a short trace_id" "$(fb 4bf92f $S16 s thumbs_up)"
errcase 422 '^trace_id must be 32 hex' "a zero trace_id" "$(fb 00000000000000000000000000000000 $S16 s thumbs_up)"
errcase 422 '^span_id must be 16 hex' "a non-hex span_id" "$(fb $T32 00f067aa0ba902bz s thumbs_up)"
errcase 422 '^session_id must be' "a bad session_id" "$(fb $T32 $S16 'a b' thumbs_up)"
errcase 422 '^label must be thumbs_up or thumbs_down' "a bad label" "$(fb $T32 $S16 s like)"
errcase 422 '^comment must be a string of at most 2000' "a numeric comment" \
    "{\"trace_id\":\"$T32\",\"span_id\":\"$S16\",\"session_id\":\"s\",\"label\":\"thumbs_up\",\"comment\":5}"
eq "a comment of 2000 characters is 202" 202 "$(vote "$(fb $T32 $S16 s thumbs_down "$(printf 'é%.0s' $(seq 1 2000))")")"
n_ok=$((n_ok + 1))
errcase 422 'comment must be a string of at most 2000 characters' "a comment of 2001" \
    "$(fb $T32 $S16 s thumbs_down "$(head -c 2001 /dev/zero | tr '\0' x)")"
errcase 413 'more than 64 JSON values' "a body of many values" \
    "{\"pad\":[$(seq 1 100 | tr '\n' ',' | sed 's/,$//')]}"

# The body limit: 32 KiB, the same at nginx and in the pool.
{ fb $T32 $S16 s thumbs_up | tr -d '\n'; head -c $((32768 - $(fb $T32 $S16 s thumbs_up | tr -d '\n' | wc -c))) /dev/zero | tr '\0' ' '; } > "$T/max.json"
eq "a body of 32768 bytes is taken" "32768 202" "$(wc -c < "$T/max.json") $(vote @"$T/max.json")"
n_ok=$((n_ok + 1))
printf ' ' >> "$T/max.json"
errcase 413 'larger than 32768 bytes' "a body of 32769 bytes" @"$T/max.json"
{ printf '{"comment":"'; head -c 200000 /dev/zero | tr '\0' a; printf '"}'; } > "$T/big.json"
errcase 413 'larger than 32768 bytes' "a body of 200 kB" @"$T/big.json"

for m in GET PUT DELETE; do
	eq "$m /feedback is 405" 405 "$(curl -sS -o "$T/resp" -D "$T/hdr" -w '%{http_code}' -X $m "$BASE/feedback")"
	eq "$m: the detail says use POST" "method not allowed: use POST" "$(resp .detail)"
	check "$m: with Allow: POST" grep -qi '^allow: POST' "$T/hdr"
done
eq "no error wrote a line" "$n_ok" "$(fb_count)"
eq "/healthz counts no dropped feedback" "ok 0" "$(curl -sS "$BASE/healthz" | jq -r '"\(.status) \(.spool.dropped_feedback)"')"

# Durable before the answer: the worker killed right after a 202 keeps
# the line, and its segment is then complete (its lock free).
eq "a last vote is 202" 202 "$(vote "$(fb "$TRACE" "$SPAN" fb-session-1 thumbs_down 'last word')")"
master=$(pgrep -P "$STACK_PID" -f chat-fcgi)
worker=$(pgrep -P "$master")
kill -9 $worker
EXPECT_RESPAWNS=1
check "the killed worker is replaced" wait_for 10 sh -c "[ \$(pgrep -P $master | wc -l) -eq 1 ] && ! kill -0 $worker"
eq "its line is there" "last word" "$(fb_lines | tail -n 1 | jq -r .feedback.comment)"
seg=$(grep -l 'last word' "$SPOOL"/feedback-*.jsonl "$SPOOL"/sent/feedback-*.jsonl 2>/dev/null | head -n 1)
# Complete: no writer holds its lock any more. The stack's flusher may
# hold it itself, having found the segment complete (docs/spool-format.md).
lock_holders() {	# pids holding a lock on file $1 (/proc/locks)
	awk -v ino="$(stat -c %i "$1")" '{ n = split($6, a, ":");
	    if (a[n] == ino) print $5 }' /proc/locks
}
flusher=$(for p in $(stack_pids); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = span-flusher ] && echo "$p"
done)
only_flusher_locks() { ! lock_holders "$seg" | grep -vqx "${flusher:-none}"; }
check "its segment's lock is free, or the flusher's" wait_for 10 only_flusher_locks
check "the new worker takes votes" wait_for 10 sh -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary '$(fb "$TRACE" "$SPAN" fb-session-1 thumbs_up)' '$BASE/feedback')\" = 202 ]"
check "into a segment of its own" test "$(ls "$SPOOL"/feedback-*.jsonl | wc -l)" -eq 2
check "every line is complete JSON" sh -c "cat '$SPOOL'/feedback-*.jsonl | jq -e -s 'length > 0'"
stop_stack

# nginx's per-client limit, loopback not exempt: one a second, a burst of
# 2; votes spend their own allowance, not /chat's.
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini \
    CHAT_LIMIT_EXEMPT=none CHAT_RATE_PER_S=1 CHAT_RATE_BURST=2
for i in 1 2 3 4 5 6; do
	code=$(vote "$(fb $T32 $S16 s thumbs_up)" -D "$T/hdr")
done
eq "past the burst a client gets 429" 429 "$code"
check "the 429 has a JSON detail" jq -e '.detail | test("too many requests")' "$T/resp"
check "and a Retry-After" grep -qi '^retry-after: 1' "$T/hdr"
eq "/chat still answers that client" 200 "$(chat '{"messages":[{"role":"user","content":"soup"}]}')"
finish
