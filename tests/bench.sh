#!/bin/sh
# bench.sh - `make bench`: /chat throughput and latency through nginx and
# the pool with wrk, on loopback only, bounded in time. Usage: bench.sh BUILD
#   1. the offline recipe model (the default stack): the whole path's cost;
#   2. a mock model that takes 1 s per call: many slow LLM calls at once;
#   3. (2) again with nginx upstream keep-alive, to compare;
# then the pool's memory (RSS) under load, how fast span-flusher ships
# what the offline run spooled, and spool-tail --sessions over a generated
# spool of 1 million spans (BENCH_SPANS).
set -eu
BUILD_DIR=$(cd "${1:-build}" && pwd)
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
export BUILD_DIR SRC_DIR
. "$SRC_DIR/tests/lib.sh"
DURATION=${BENCH_SECONDS:-10}

cat > "$T/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local body = os.getenv("BENCH_BODY")
request = function()
	return wrk.format(nil, "/chat", nil, body)
end
LUA

pool_rss_mb() {
	master=$(pgrep -P "$STACK_PID" -f chat-fcgi)
	ps -o rss= -p "$master,$(pgrep -P "$master" | paste -sd,)" |
	    awk '{ s += $1 } END { printf "%.1f", s / 1024 }'
}

run_wrk() {	# run_wrk LABEL CONNECTIONS BODY
	echo "== $1: wrk -t2 -c$2 -d${DURATION}s POST /chat"
	# A short warm-up opens the pool threads' model connections first.
	BENCH_BODY=$3 wrk -t2 -c"$2" -d2s --timeout 5s -s "$T/post.lua" "$BASE" >/dev/null
	BENCH_BODY=$3 wrk -t2 -c"$2" -d"${DURATION}s" --timeout 5s --latency -s "$T/post.lua" \
	    "$BASE" | grep -E 'Requests/sec|Latency |50%|99%|Non-2xx|Socket errors'
	echo "   pool RSS (master + workers): $(pool_rss_mb) MiB"
}

unset OPENAI_API_KEY OPENAI_BASE_URL MODEL_NAME
start_stack LOG_LEVEL=error
run_wrk "offline model" 32 '{"messages":[{"role":"user","content":"a quick vegan pasta"}],"session_id":"bench"}'
echo "   spans in the spool: $(cat "$SPOOL"/spans-*.jsonl | wc -l) lines, $(du -sh "$SPOOL" | cut -f1)"
stop_stack

# The flusher against a receiver that decodes every request (same 2 cores).
lines=$(cat "$SPOOL"/spans-*.jsonl | wc -l)
"$TESTS_BIN/otlp-receiver" --listen 127.0.0.1:0 --port-file "$T/fl.port" --log /dev/null &
fl_recv=$!
wait_for 10 test -s "$T/fl.port"
SPOOL_DIR=$SPOOL PHOENIX_COLLECTOR_ENDPOINT=http://127.0.0.1:$(cat "$T/fl.port") \
    LOG_LEVEL=warn bash -c 'TIMEFORMAT="%R %U %S"; time "$0" --once' \
    "$BUILD_DIR/bin/span-flusher" 2> "$T/fl.time"
read -r wall user sys < "$T/fl.time"
kill "$fl_recv"; wait "$fl_recv" 2>/dev/null
spans=$((lines * 2))
echo "== span-flusher --once: $spans spans in ${wall} s wall (the receiver decodes on the same cores):" \
    "$(echo "$spans $wall" | awk '{ printf "%d", $1 / $2 }') spans/s;" \
    "flusher CPU ${user}+${sys} s: $(echo "$spans $user $sys" | awk '{ printf "%d", $1 / ($2 + $3) }') spans per CPU-second;" \
    "the pool at full load wrote $(( spans / DURATION )) spans/s"

start_mock_llm
slow='{"messages":[{"role":"user","content":"MOCK_DELAY=1000 slow model"}],"session_id":"bench"}'
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini LOG_LEVEL=error \
    POOL_WORKERS=4 POOL_THREADS=128
run_wrk "1 s model, 4x128 threads, no upstream keep-alive" 400 "$slow"
stop_stack
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini LOG_LEVEL=error \
    POOL_WORKERS=4 POOL_THREADS=128 NGINX_FCGI_KEEPALIVE=16
run_wrk "1 s model, 4x128 threads, keep-alive 16" 400 "$slow"
stop_stack
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini LOG_LEVEL=error
run_wrk "offline-speed mock, no keep-alive" 32 '{"messages":[{"role":"user","content":"fast"}]}'
stop_stack
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini LOG_LEVEL=error NGINX_FCGI_KEEPALIVE=16
run_wrk "offline-speed mock, keep-alive 16" 32 '{"messages":[{"role":"user","content":"fast"}]}'
stop_stack
stop_mock

# spool-tail over a day of spool: BENCH_SPANS spans written by spoolgen
# (two writers, like two workers), then --sessions and a filtered --json.
spans=${BENCH_SPANS:-1000000}
big=$T/bigspool
"$TESTS_BIN/spoolgen" "$big" $((spans / 4)) 4 &
"$TESTS_BIN/spoolgen" "$big" $((spans / 4)) 4
wait
echo "== spool-tail over $spans spans ($(du -sh "$big" | cut -f1) in $(ls "$big" | wc -l) segments)"
for args in "--sessions" "--json --no-follow --session session_1700000000000_bench" \
    "--no-follow -n 10 --errors" "--no-follow -n 10"; do
	bash -c 'TIMEFORMAT="%R s wall, %U s user, %S s sys"; time "$0" --spool "$1" $2 >/dev/null' \
	    "$BUILD_DIR/bin/spool-tail" "$big" "$args" 2> "$T/st.time"
	echo "   spool-tail $args: $(cat "$T/st.time")"
done
/usr/bin/time -f "   --sessions peak RSS: %M KiB" "$BUILD_DIR/bin/spool-tail" \
    --spool "$big" --sessions >/dev/null
FAILED=0
