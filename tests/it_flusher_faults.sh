#!/bin/sh
# it_flusher_faults.sh - span-flusher against a misbehaving collector and a
# damaged spool: nothing is lost, refused batches go to rejected/, the size
# cap drops the oldest, torn lines are skipped, sent/ is pruned.
. "$SRC_DIR/tests/lib.sh"

FLUSHER=$BUILD_DIR/bin/span-flusher

# Real spool lines: 600 turns through the stack (the offline model), with
# no collector, then stopped so that every segment is complete.
start_stack POOL_WORKERS=2
seq 1 600 | xargs -P 16 -I{} curl -s -o /dev/null -X POST \
    -H 'Content-Type: application/json' \
    --data-binary '{"messages":[{"role":"user","content":"soup {}"}],"session_id":"fault-{}"}' \
    "$BASE/chat"
stop_stack
cat "$SPOOL"/*.jsonl > "$T/all.jsonl"
eq "600 turns spooled" 600 "$(wc -l < "$T/all.jsonl")"
# The same lines in time order, cut into segments of 100 lines.
jq -c '[(.resourceSpans[0].scopeSpans[0].spans[] | select(.name == "chat_turn")
    | .startTimeUnixNano), .] | @json' "$T/all.jsonl" | jq -r . |
    jq -s -c 'sort_by(.[0]) | .[] | .[1]' > "$T/ordered.jsonl"

# spool NAME LINES_PER_SEGMENT: a fresh spool dir of ordered segments.
spool() {
	d=$T/$1
	mkdir -p "$d"
	split -l "$2" -d -a 3 "$T/ordered.jsonl" "$d/part."
	i=0
	for p in "$d"/part.*; do
		mv "$p" "$d/spans-$((1700000000000 + i))-1-0.jsonl"
		i=$((i + 1))
	done
	echo "$d"
}
span_ids() { cat "$@" | jq -r '.resourceSpans[].scopeSpans[].spans[].spanId' | sort; }
# flush DIR [VAR=value...] [--once]: the flusher on DIR. Its timeout covers
# a full batch answered by a sanitized receiver on busy cores: a request
# that times out after it was accepted is resent, which the exactly-once
# checks of refusals and partial successes below would count.
flush() {
	d=$1; shift
	env SPOOL_DIR="$d" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" LOG_LEVEL=info \
	    OTEL_EXPORTER_OTLP_TIMEOUT=$((10000 * SLOW)) "$@" >>"$T/flush.log" 2>&1
}

# Collector down: --once fails and leaves the spool as it was. The port
# is held bound without listening, so nothing else can answer on it.
hold_port
d=$(spool down 100)
(cd "$d" && md5sum spans-*) > "$T/before"
RECV_URL=http://127.0.0.1:$HELD_PORT flush "$d" "$FLUSHER" --once
eq "--once with no collector exits 1" 1 "$?"
check "after trying to send" grep -q "collector unavailable" "$T/flush.log"
(cd "$d" && md5sum spans-*) > "$T/after"
check "and leaves every segment in place" cmp -s "$T/before" "$T/after"

# kill -9 during export, again and again: nothing is lost. Each kill
# waits until the collector has seen a request from this flusher (or no
# segment is left to send), then lands at a different point of the export.
start_receiver
d=$(spool crash 50)
requests() { curl -s "$RECV_URL/stats" | jq .requests; }
exporting() { [ "$(requests)" -gt "$1" ] || ! ls "$d"/spans-* >/dev/null 2>&1; }
for delay in 0 0.01 0.02 0.05 0.08 0.11 0.15 0.2; do
	r0=$(requests)
	env SPOOL_DIR="$d" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" \
	    "$FLUSHER" >>"$T/flush.log" 2>&1 &
	pid=$!
	check "the flusher exports before kill -9 ($delay s)" wait_for 30 exporting "$r0"
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done
check "after 8 kills, --once finishes the job" flush "$d" "$FLUSHER" --once
span_ids "$T/ordered.jsonl" > "$T/want"
received_spans | jq -r .spanId | sort -u > "$T/got"
check "every span arrived despite kill -9 (duplicates allowed)" cmp -s "$T/want" "$T/got"
eq "no segment is left pending" 0 "$(ls "$d" | grep -c '^spans-')"
eq "all of them are in sent/" 12 "$(ls "$d/sent" | wc -l)"

# A 400 refuses the content: batches are halved down to the refused
# lines, each set aside once; nothing is retried or lost.
stop_receiver; start_receiver; reset_received
receiver_mode 400
d=$(spool rejected 100)
check "--once exits 0 after a refusal" flush "$d" "$FLUSHER" --once
eq "the collector accepted nothing" 0 "$(received_count)"
eq "every line is in rejected/" 600 "$(cat "$d"/rejected/*.jsonl | wc -l)"
check "with the collector's answer beside it" grep -q "400" "$d/rejected/spans-1700000000000-1-0.jsonl.reason"
eq "each refused line was set aside once" 600 "$(cat "$d"/rejected/*.reason | wc -l)"
eq "and no line twice" 600 "$(cat "$d"/rejected/*.jsonl | sort -u | wc -l)"

# One line the collector refuses (422) among 300: the batch is halved until
# that line is alone; everything else ships, only it is set aside.
stop_receiver; start_receiver; reset_received
d=$(spool split 300)
bad=$(sed -n 137p "$T/ordered.jsonl" | jq -r '.resourceSpans[0].scopeSpans[0].spans[0].spanId')
receiver_mode "refuse $bad"
check "--once ships around a refused line" flush "$d" "$FLUSHER" --once
eq "every other span arrived" 1198 "$(received_unique)"
eq "the refused line's spans did not" 0 "$(received_spans | jq -r .spanId | grep -c "^$bad\$")"
eq "only that line is set aside" "$(sed -n 137p "$T/ordered.jsonl")" "$(cat "$d"/rejected/*.jsonl)"

# 503 twice, then fine: retried with backoff, everything arrives once.
stop_receiver; start_receiver; reset_received
receiver_mode "fail-next 2 503"
d=$(spool retry 300)
env SPOOL_DIR="$d" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" "$FLUSHER" >>"$T/flush.log" 2>&1 &
pid=$!
check "every span arrives" wait_for 60 has_received 1200
kill -TERM "$pid"; wait "$pid"
eq "exit 0 on SIGTERM" 0 "$?"
eq "after two 503s every span arrived" 1200 "$(received_unique)"
check "the 503s were retried" sh -c "[ \$(curl -s '$RECV_URL/stats' | jq .requests) -ge \$(( \$(curl -s '$RECV_URL/stats' | jq .accepted) + 2 )) ]"

# A collector that accepts but never answers: the request times out and
# is retried; nothing is lost once it answers again. The timeout must also
# cover a real answer to a full batch from a sanitized receiver on busy
# cores (two busy loops beside the suite), or the same batch is resent
# forever: 5 s, 15 s under ASan.
stop_receiver; start_receiver; reset_received
receiver_mode silence
d=$(spool silent 600)
env SPOOL_DIR="$d" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" OTEL_EXPORTER_OTLP_TIMEOUT=$((5000 * SLOW)) \
    LOG_LEVEL=info "$FLUSHER" >>"$T/silent.log" 2>&1 &
pid=$!
check "a silent collector is a timeout, retried" wait_for 30 grep -q "collector unavailable" "$T/silent.log"
check "the silent collector was sent to" sh -c "[ \$(curl -s '$RECV_URL/stats' | jq .requests) -ge 1 ]"
receiver_mode ok
check "once it answers, every span arrives" wait_for 120 has_received 1200
kill -TERM "$pid"; wait "$pid"
eq "all 1200 of them" 1200 "$(received_unique)"

# A partial success is logged, not retried.
stop_receiver; start_receiver; reset_received
receiver_mode "partial 3"
d=$(spool partial 600)
check "--once ships a partially accepted batch" flush "$d" "$FLUSHER" --once
check "and logs the rejected spans" grep -q "collector rejected 3" "$T/flush.log"
eq "without resending" "$(curl -s "$RECV_URL/stats" | jq .accepted)" "$(curl -s "$RECV_URL/stats" | jq .requests)"

# Over SPOOL_MAX_BYTES the oldest spans are dropped; the newest arrive.
stop_receiver; start_receiver; reset_received
d=$(spool cap 50)
check "--once with a 1 MiB cap" flush "$d" SPOOL_MAX_BYTES=1048576 "$FLUSHER" --once
check "the drop is logged" grep -q "over SPOOL_MAX_BYTES" "$T/flush.log"
got=$(received_spans | jq -r 'select(.name == "chat_turn") | .spanId' | sort -u)
n=$(echo "$got" | wc -l)
check "some but not all turns arrived ($n)" sh -c "[ $n -gt 10 ] && [ $n -lt 600 ]"
tail -n "$n" "$T/ordered.jsonl" | jq -r '.resourceSpans[].scopeSpans[].spans[] | select(.name == "chat_turn") | .spanId' | sort > "$T/newest"
check "they are the newest ones" sh -c "echo '$got' | cmp -s - '$T/newest'"
check "at most 1 MiB of them" sh -c "[ \$(tail -n $n '$T/ordered.jsonl' | wc -c) -le 1048576 ]"

# Torn and garbage lines are skipped and never block what follows.
stop_receiver; start_receiver; reset_received
d=$T/torn
mkdir -p "$d"
sed -n 1,3p "$T/ordered.jsonl" > "$d/spans-1700000000000-1-0.jsonl"
printf '{"resourceSpans":[{"resource":' >> "$d/spans-1700000000000-1-0.jsonl"
{ sed -n 4p "$T/ordered.jsonl"; echo 'this is not json'; sed -n 5p "$T/ordered.jsonl"; } \
    > "$d/spans-1700000000001-1-0.jsonl"
check "--once ships around damage" flush "$d" "$FLUSHER" --once
eq "the 5 good lines arrived" 10 "$(received_unique)"
check "the torn line is counted" grep -q "torn last line" "$T/flush.log"
eq "the garbage line is set aside" "this is not json" "$(cat "$d"/rejected/spans-1700000000001-1-0.jsonl)"
eq "both segments are done" 2 "$(ls "$d/sent" | wc -l)"

# sent/ keeps the newest history within SPOOL_KEEP_SENT_BYTES.
d=$(spool pruned 100)
keep=$(cat "$d/spans-1700000000004-1-0.jsonl" "$d/spans-1700000000005-1-0.jsonl" | wc -c)
check "--once with a small history" flush "$d" SPOOL_KEEP_SENT_BYTES="$keep" "$FLUSHER" --once
eq "sent/ holds the two newest segments" \
    "spans-1700000000004-1-0.jsonl spans-1700000000005-1-0.jsonl" "$(ls "$d/sent" | tr '\n' ' ' | sed 's/ $//')"

check "bad settings stop start-up" sh -c "! SPOOL_DIR='$d' PHOENIX_COLLECTOR_ENDPOINT='http://127.0.0.1:$HELD_PORT' OTEL_EXPORTER_OTLP_COMPRESSION=zip '$FLUSHER' --once 2>'$T/err'"
check "naming the variable" grep -q OTEL_EXPORTER_OTLP_COMPRESSION "$T/err"
finish
