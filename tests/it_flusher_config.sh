#!/bin/sh
# it_flusher_config.sh - the stack's flusher against a collector that
# refuses our settings (401, 404) or is failing (500) for a while under
# load: nothing is set aside, ONE log line names the setting to check, and
# every span ships once the collector accepts. A restart with the setting
# fixed ships everything; `--once` against a 401 exits 4, spool untouched.
. "$SRC_DIR/tests/lib.sh"

FLUSHER=$BUILD_DIR/bin/span-flusher
requests() { curl -s "$RECV_URL/stats" | jq .requests; }
rejected_files() { find "$SPOOL/rejected" -type f 2>/dev/null | wc -l; }

# window STATUS TAG LINE HINT: the collector answers STATUS while 150 turns
# are served and until it has been probed 3 times more; then 200.
window() {
	local st=$1 tag=$2 line=$3 hint=$4 before r acc
	before=$(grep -c "$line" "$T/stack.log")
	acc=$(received_count)
	receiver_mode "fail-next 1000000 $st"
	r=$(requests)
	chat_load 150 8 "$tag" > "$T/load.$tag"
	eq "$st: every turn answered 200" 150 "$(grep -c '^200 ' "$T/load.$tag")"
	check "$st: probed again and again" wait_for 30 sh -c "[ \$(curl -s '$RECV_URL/stats' | jq .requests) -ge $((r + 4)) ]"
	eq "$st: nothing accepted meanwhile" "$acc" "$(received_count)"
	eq "$st: one log line, not one per probe" $((before + 1)) "$(grep -c "$line" "$T/stack.log")"
	check "$st: naming $hint" sh -c "grep '$line' '$T/stack.log' | tail -n 1 | grep -q '$hint'"
	r=$(($(requests) - r)); t=$(date +%s)
	receiver_mode ok
	ok_trace_ids "$T/load.$tag" > "$T/ok.$tag"
	check "$st then 200: every turn answered 200 is delivered" wait_for 60 turns_delivered "$T/ok.$tag"
	echo "# $st: $r requests refused, one log line; $(wc -l < "$T/ok.$tag") turns delivered $(($(date +%s) - t)) s after the first 200"
	eq "$st: nothing set aside in rejected/" 0 "$(rejected_files)"
}

start_receiver
start_stack
window 401 auth "collector refuses our settings (HTTP 401" PHOENIX_API_KEY
window 404 endpoint "collector refuses our settings (HTTP 404" OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
window 500 failing "collector unavailable (HTTP 500" "spans wait in the spool"
n=$(spool_unique)
check "every span in the spool arrived ($n)" wait_for 30 has_received "$n"
stop_stack

# A wrong endpoint (404 from the receiver's router), then a restart with
# the right one: everything ships.
reset_received
start_stack OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="$RECV_URL/v1/wrong"
chat_load 100 8 wrong > "$T/load.wrong"
eq "wrong endpoint: every turn answered 200" 100 "$(grep -c '^200 ' "$T/load.wrong")"
check "the flusher says the endpoint is wrong" wait_for 30 grep -q "refuses our settings (HTTP 404.*check the endpoint" "$T/stack.log"
stop_stack
eq "nothing reached the collector" 0 "$(received_count)"
eq "nothing set aside" 0 "$(rejected_files)"

# --once against a 401 exits 4 and leaves the spool as it was.
receiver_mode "fail-next 1000000 401"
(cd "$SPOOL" && md5sum spans-* .flusher/offsets 2>/dev/null) > "$T/before"
env SPOOL_DIR="$SPOOL" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" "$FLUSHER" --once >"$T/once.log" 2>&1
eq "--once against a 401 exits 4" 4 "$?"
check "naming the API key" grep -q PHOENIX_API_KEY "$T/once.log"
(cd "$SPOOL" && md5sum spans-* .flusher/offsets 2>/dev/null) > "$T/after"
check "and leaves the spool in place" cmp -s "$T/before" "$T/after"
eq "nothing set aside" 0 "$(rejected_files)"

receiver_mode ok
start_stack
ok_trace_ids "$T/load.wrong" > "$T/ok.wrong"
check "restarted with the right endpoint: every turn is delivered" wait_for 60 turns_delivered "$T/ok.wrong"
m=$(($(spool_unique) - n))
check "every span of those turns arrived ($m)" wait_for 30 has_received "$m"
finish
