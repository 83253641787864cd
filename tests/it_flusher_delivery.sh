#!/bin/sh
# it_flusher_delivery.sh - the stack as `make run` starts it, with the
# span-flusher shipping to a Phoenix stand-in: every span arrives once and
# intact, within 2 s, and a collector outage loses nothing.
. "$SRC_DIR/tests/lib.sh"

# The outage below is the receiver's --down-file: its port stays bound.
RECV_ARGS="--down-file $T/down"
start_receiver
LOG_LEVEL=info start_stack
# The flusher is killed once on purpose at the end.
EXPECT_FLUSHER_RESTARTS=1

turn() {	# turn SESSION TEXT: one /chat turn, prints the trace id
	curl -sS -o /dev/null -D - -X POST -H 'Content-Type: application/json' \
	    --data-binary "{\"messages\":[{\"role\":\"user\",\"content\":\"$2\"}],\"session_id\":\"$1\"}" \
	    "$BASE/chat" | tr -d '\r' | sed -n 's/^X-Trace-Id: //Ip'
}
arrived() { grep -q "$1" "$RECV_LOG"; }
now_ms() { date +%s%3N; }

# Latency: each turn's spans reach the collector soon after it answers.
: > "$T/latency"
for i in $(seq 1 20); do
	trace=$(turn "lat-$i" "a quick soup $i")
	t0=$(now_ms)
	wait_for 10 arrived "$trace" || echo "trace $trace never arrived" >&2
	echo $(( $(now_ms) - t0 )) >> "$T/latency"
done
p95=$(sort -n "$T/latency" | sed -n 19p)
check "20 turns all arrived" sh -c "[ \$(wc -l < '$T/latency') -eq 20 ] && [ \$(sort -n '$T/latency' | tail -n 1) -lt 10000 ]"
check "a span reaches the collector within 2 s (p95 ${p95} ms)" test "$p95" -lt $((2000 * SLOW))

# Every span written arrives once, with ids and attributes intact.
check "all 40 spans arrive" wait_for 30 has_received 40
spool_spans | jq -S -c 'del(.resource)' | sort > "$T/written"
received_spans | jq -S -c . | sort > "$T/received"
eq "40 spans written" 40 "$(wc -l < "$T/written")"
eq "each arrives exactly once" 0 "$(received_spans | jq -r .spanId | sort | uniq -d | wc -l)"
check "and arrives byte-for-byte as written" cmp -s "$T/written" "$T/received"
check "the resource arrives with the project name" jq -e -s '
    all(.[]; .traces.resourceSpans[].resource.attributes[]
        | select(.key == "openinference.project.name") | .value.stringValue == "recipe-chatbot")' "$RECV_LOG"
check "requests are protobuf, gzip'd" jq -e -s 'all(.[]; .content_encoding == "gzip")' "$RECV_LOG"

# The collector goes away: turns go on, spans wait, then all arrive.
touch "$T/down"
for i in $(seq 1 10); do turn "down-$i" "soup while down $i" >> "$T/down-traces"; done
check "the flusher notices the outage" wait_for 10 grep -q "collector unavailable" "$T/stack.log"
rm -f "$T/down"
for tr in $(cat "$T/down-traces"); do
	wait_for 40 arrived "$tr" || echo "trace $tr lost" >&2
done
eq "after the outage all 10 turns arrived" 10 \
    "$(for tr in $(cat "$T/down-traces"); do grep -c "$tr" "$RECV_LOG" >/dev/null && echo "$tr"; done | sort -u | wc -l)"
check "the flusher says the collector is back" wait_for 10 grep -q "collector reachable again" "$T/stack.log"

# A flusher that dies is restarted by the run script.
fl=$(pgrep -f "$BUILD_DIR/bin/span-flusher" | while read p; do
	[ "$(ps -o ppid= -p "$p" | tr -d ' ')" != 1 ] && grep -qz "SPOOL_DIR=$SPOOL" /proc/$p/environ 2>/dev/null && echo "$p"; done | head -n 1)
check "the flusher runs under the stack" test -n "$fl"
kill -9 "$fl"
trace=$(turn after-kill "soup after the flusher died")
check "a killed flusher is restarted and ships" wait_for 15 arrived "$trace"
finish
