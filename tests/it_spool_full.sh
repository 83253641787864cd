#!/bin/sh
# it_spool_full.sh - SPOOL_DIR on a 2 MiB tmpfs filled while the collector
# is down: /chat keeps answering 200, the log says so about once a second,
# /healthz counts the dropped turns, and writing resumes by itself once the
# flusher ships and sent/ is pruned. Then fsync and rename failures
# injected with strace into span-flusher --once: reported, offsets do not
# move, a later clean run delivers everything.
. "$SRC_DIR/tests/lib.sh"

FLUSHER=$BUILD_DIR/bin/span-flusher
SPOOL=$T/spool
mkdir -p "$SPOOL"
if ! err=$(mount -t tmpfs -o size=2m,mode=0750 tmpfs "$SPOOL" 2>&1); then
	echo "skipped: cannot mount tmpfs ($err)"
	echo "0 passed, 0 failed, 1 skipped"
	trap - EXIT; rm -rf "$T"
	exit 77
fi
full_cleanup() {
	stop_stack
	rm -f "$T/go"
	[ "$FAILED" -eq 0 ] || cp -a "$SPOOL" "$T/spool.kept" 2>/dev/null
	umount "$SPOOL"
	it_cleanup
}
trap full_cleanup EXIT

dropped() { curl -fsS "$BASE/healthz" | jq .spool.dropped_turns; }
answered() { cat "$T"/load.* | grep -c .; }
not_200() { cat "$T"/load.* | grep -vc '^200 '; }

# The collector fails (503), so unshipped spans fill the disk. One worker,
# so /healthz shows every drop; 512 KiB segments (SPOOL_MAX_BYTES / 8), so
# finished ones can ship and free space.
start_receiver
receiver_mode 503
start_stack POOL_WORKERS=1 SPOOL_MAX_BYTES=4194304
touch "$T/go"
for w in 1 2 3 4; do
	( i=0; while [ -e "$T/go" ]; do
		i=$((i + 1)); chat_load 1 1 "full-$w-$i"
	done ) > "$T/load.$w" 2>/dev/null &
	loads="${loads:-} $!"
done
check "the disk fills: /healthz counts dropped turns" wait_for 45 sh -c "[ \$(curl -fsS '$BASE/healthz' | jq .spool.dropped_turns) -gt 0 ]"
check "the log says why" grep -q "No space left on device: .* turns not spooled" "$T/stack.log"

# A window of at least 3 s on a full disk: count log lines and answers.
lines0=$(wc -l < "$T/stack.log"); t0=$(date +%s); d0=$(dropped); n0=$(answered)
check "turns keep being dropped" wait_for 30 sh -c "[ \$(curl -fsS '$BASE/healthz' | jq .spool.dropped_turns) -ge $((d0 + 100)) ] && [ \$(date +%s) -ge $((t0 + 3)) ]"
lines1=$(wc -l < "$T/stack.log"); t1=$(date +%s); d1=$(dropped); n1=$(answered)
secs=$((t1 - t0)); nlines=$((lines1 - lines0))
echo "# full disk: $((d1 - d0)) turns dropped and $((n1 - n0)) answered in $secs s; $nlines log lines"
check "/chat answered every turn 200 meanwhile" [ "$(not_200)" -eq 0 ]
check "the log said so at most about once a second ($nlines lines in $secs s)" [ "$nlines" -le $((secs + 2)) ]
check "and counts the turns" grep -q "turns not spooled since the last message, [0-9]* in all" "$T/stack.log"

# The collector is back: the flusher ships the finished segments into
# sent/, the writer prunes sent/ on its next ENOSPC, writing resumes.
receiver_mode ok
check "writing resumes by itself" wait_for 45 grep -q "writing again; [0-9]* turns ([0-9]* spans) dropped in all" "$T/stack.log"
rm -f "$T/go"; wait $loads
chat_load 20 4 after > "$T/after"
eq "new turns are answered 200" 20 "$(grep -c '^200 ' "$T/after")"
ok_trace_ids "$T/after" > "$T/after.ids"
check "and reach the collector" wait_for 30 turns_delivered "$T/after.ids"
stop_stack

# strace fault injection into --once: a failed fsync, then a failed rename.
# Each is reported, the offsets stay where they were, and a later clean run
# delivers every span.
if ! command -v strace >/dev/null; then
	echo "skipped: strace is not installed (conf/deps.sh installs it)"
	finish; exit
fi
d=$T/inject
mkdir -p "$d"
i=0
for s in "$SPOOL"/sent/*.jsonl; do
	cp "$s" "$d/spans-$((1700000000000 + i))-1-0.jsonl"; i=$((i + 1))
done
want=$(cat "$d"/*.jsonl | jq -r '.resourceSpans[].scopeSpans[].spans[].spanId' | sort -u | wc -l)
check "segments to ship ($i, $want spans)" [ "$want" -gt 0 ]
for call in fsync rename,renameat,renameat2; do
	stop_receiver; start_receiver
	(cd "$d" && md5sum .flusher/offsets spans-* 2>/dev/null) > "$T/before"
	# LeakSanitizer cannot run under ptrace: no leak check for this one
	# (the clean run below has it).
	env SPOOL_DIR="$d" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -f -qq -o "$T/strace" -e trace=$call -e inject=$call:error=EIO \
	    "$FLUSHER" --once > "$T/once" 2>&1
	rc=$?
	eq "$call failing: --once exits 5, a local error" 5 "$rc"
	check "$call failing: the error is reported" grep -q "Input/output error" "$T/once"
	check "$call failing: the injection happened" grep -q "EIO (Input/output error) (INJECTED)" "$T/strace"
	(cd "$d" && md5sum .flusher/offsets spans-* 2>/dev/null) > "$T/after"
	check "$call failing: offsets and segments as they were" cmp -s "$T/before" "$T/after"
done
reset_received
env SPOOL_DIR="$d" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" "$FLUSHER" --once > "$T/once.clean" 2>&1
eq "a clean --once then exits 0" 0 "$?"
eq "and delivers every span itself" "$want" "$(received_unique)"
eq "every segment is done" "$i" "$(ls "$d/sent" | wc -l)"
finish
