#!/bin/sh
# it_two_flushers.sh - a running flusher and `span-flusher --once` on the
# same spool: the second gives way (exit 3, with a message naming the lock),
# nothing is shipped twice, and every span arrives.
. "$SRC_DIR/tests/lib.sh"

FLUSHER=$BUILD_DIR/bin/span-flusher
once() {	# once LOG: span-flusher --once on the stack's spool
	env SPOOL_DIR="$SPOOL" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" \
	    "$FLUSHER" --once >"$1" 2>&1
}

start_receiver
start_stack
# Load, and --once again and again beside the stack's own flusher.
chat_load 300 8 two > "$T/load" &
load=$!
i=0; codes=""
while kill -0 "$load" 2>/dev/null || [ "$i" -lt 3 ]; do
	once "$T/once.$i"; codes="$codes $?"
	i=$((i + 1))
done
wait "$load"
eq "every turn answered 200" 300 "$(grep -c '^200 ' "$T/load")"
eq "each --once beside the daemon exits 3" "" "$(echo "$codes" | tr ' ' '\n' | grep -v '^$' | grep -v '^3$' | sort -u)"
check "more than one --once ran ($i)" [ "$i" -gt 1 ]
check "saying another flusher holds the lock" grep -q "another span-flusher is shipping this spool (it holds .flusher/lock)" "$T/once.0"
eq "one line, nothing else" 1 "$(wc -l < "$T/once.0")"

n=$(spool_unique)
echo "# $i runs of --once beside the daemon during 300 turns ($n spans)"
check "every span arrives ($n)" wait_for 30 has_received "$n"
ok_trace_ids "$T/load" > "$T/ok.ids"
check "every turn answered 200 has its chat_turn at the collector" turns_delivered "$T/ok.ids"
eq "no span was sent twice (collector healthy)" "$(received_unique)" "$(received_count)"
eq "no other span arrived" "$n" "$(received_unique)"

# Once the daemon is done, --once takes the lock and finds nothing to ship.
stop_stack
once "$T/once.after"
eq "--once after the daemon exits 0" 0 "$?"
eq "and sends nothing again" "$n" "$(received_count)"
finish
