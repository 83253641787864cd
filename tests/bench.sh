#!/usr/bin/env bash
# bench.sh - `make bench`: one run, one table. wrk POSTs /chat on loopback
# and every row is read against the one-hop limit measured in the same run
# (wrk -> nginx proxy_pass -> nginx stub), so machines can be compared by
# ratios. Usage: bench.sh BUILD_DIR. Rows (docs/performance.md):
#   hop limit     wrk -> nginx -> an nginx stub answering like a model
#   tracing on    nginx -> chat-fcgi -> the same stub; the flusher ships
#                 to another nginx stub answering 200 like a collector
#   tracing off   the same with OTEL_SDK_DISABLED=true (no span built)
#   keepalive     tracing on, nginx keeping FastCGI connections open
#                 (NGINX_FCGI_KEEPALIVE=16; BENCH_KEEPALIVE=0 skips it)
#   offline model the default `make run` stack (the offline recipe model)
#   slow model    BENCH_SLOW_CONNECTIONS chats in flight, each model call
#                 taking BENCH_SLOW_MS (tests/mock-llm)
# hop, on, off and keepalive run BENCH_ROUNDS times, interleaved; medians
# are shown.
# Then spool-tail over a generated spool of BENCH_SPANS spans. BENCH_ENV
# (VAR=value words) goes to every stack, to measure a setting of one's own.
# The table also goes to BENCH_OUT (default BUILD_DIR/bench.md).
set -eu
BUILD_DIR=$(cd "${1:-build}" && pwd)
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
export BUILD_DIR SRC_DIR
. "$SRC_DIR/tests/lib.sh"

DURATION=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
ROUNDS=${BENCH_ROUNDS:-3}
SLOW_CONNS=${BENCH_SLOW_CONNECTIONS:-1000}
SLOW_MS=${BENCH_SLOW_MS:-2000}
# Requests still in flight when wrk stops are not counted: with 2 s each,
# a run must be long for the rate to mean anything (30 s: about 3 % lost).
SLOW_SECONDS=${BENCH_SLOW_SECONDS:-30}
OUT=${BENCH_OUT:-$BUILD_DIR/bench.md}
HZ=$(getconf CLK_TCK)
BODY='{"messages":[{"role":"user","content":"a quick vegan pasta"}],"session_id":"session_1700000000000_bench"}'
SLOW_BODY="{\"messages\":[{\"role\":\"user\",\"content\":\"MOCK_DELAY=$SLOW_MS a slow soup\"}],\"session_id\":\"session_1700000000000_slow\"}"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v wrk >/dev/null || { echo "bench: wrk is missing (conf/deps.sh installs it)" >&2; exit 1; }

cat > "$T/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_BODY")
LUA

# ---- The stubs: one nginx answering as a model and as a collector. ----
STUB_PORT=$(free_ports 1)
mkdir -p "$T/stub"
cat > "$T/stub/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $T/stub/nginx.pid;
error_log $T/stub/error.log warn;
events { worker_connections 8192; }
http {
	access_log off;
	client_body_temp_path $T/stub;
	server {
		listen 127.0.0.1:$STUB_PORT backlog=4096;
		client_body_buffer_size 1m;
		client_max_body_size 64m;
		keepalive_requests 1000000;
		location = /v1/chat/completions {
			default_type application/json;
			return 200 '{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Try a quick vegan pasta: cook spaghetti, toss with garlic, olive oil, chilli and lemon, finish with parsley."},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150}}';
		}
		location = /v1/traces { return 200; }
		location / { return 404; }
	}
}
EOF
"$NGINX" -p "$T/stub" -c "$T/stub/nginx.conf" -e stderr &
STUB_PID=$!
wait_for 10 curl -fsS -o /dev/null -d '{}' "http://127.0.0.1:$STUB_PORT/v1/chat/completions" ||
	{ echo "bench: the stub nginx did not start" >&2; exit 1; }
STUB_URL=http://127.0.0.1:$STUB_PORT

# ---- The hop limit: a front nginx configured as the stack's, proxying. ----
HOP_PORT=$(free_ports 1)
mkdir -p "$T/hop"
cat > "$T/hop/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile 16384;
daemon off;
pid $T/hop/nginx.pid;
error_log $T/hop/error.log warn;
events { worker_connections 4096; }
http {
	access_log $T/hop/access.log;
	client_body_temp_path $T/hop;
	proxy_temp_path $T/hop;
	server {
		listen 127.0.0.1:$HOP_PORT backlog=4096;
		client_body_buffer_size 16k;
		location = /chat { proxy_pass $STUB_URL/v1/chat/completions; }
	}
}
EOF

bench_stop() {
	[ -n "${HOP_PID:-}" ] && { kill -TERM "$HOP_PID" 2>/dev/null; wait "$HOP_PID" 2>/dev/null || true; }
	kill -TERM "$STUB_PID" 2>/dev/null; wait "$STUB_PID" 2>/dev/null || true
	it_cleanup
}
trap bench_stop EXIT

# ---- Measuring ----

# ticks PID...: user + system clock ticks of these processes.
ticks() {
	local p sum=0 t
	for p in "$@"; do
		t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || t=0
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

# pids_of MASTER: a process and its children.
pids_of() { [ -n "$1" ] && echo "$1" $(pgrep -P "$1" | tr '\n' ' '); }

# The processes of each role in the run under way (ROLE_* set by the run).
role_pids() {
	case $1 in
	pool)	 pids_of "$(stack_comm chat-fcgi | head -1)" ;;
	front)	 pids_of "$FRONT_MASTER" ;;
	stub)	 pids_of "$STUB_PID" ;;
	flusher) stack_comm span-flusher ;;
	model)	 stack_comm offline-llm; [ -n "$MOCK_PID" ] && echo "$MOCK_PID" ;;
	esac
}
stack_comm() { local p; for p in $(stack_pids); do [ "$(cat /proc/$p/comm 2>/dev/null)" = "$1" ] && echo "$p"; done; return 0; }
ROLES="pool front stub flusher model"

snap() { local r; for r in $ROLES; do echo "$r $(ticks $(role_pids "$r"))"; done; }

# ms VALUE: wrk's "1.23ms" / "456.00us" / "1.02s" in milliseconds.
ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
	printf "%.2f", u == "us" ? n / 1000 : u == "s" ? n * 1000 : u == "m" ? n * 60000 : n }'; }

# run_wrk NAME CONNS BODY URL: warm-up, then the measured run. Appends to
# $T/runs: name rps p50 p99 errors requests cpu(role=us/req...) and the
# flusher's share of a core.
run_wrk() {
	local name=$1 c=$2 body=$3 url=$4 timeout=${5:-5s} warm=${6:-2} d=${7:-$DURATION}
	local out=$T/wrk.out req rps p50 p99 err r
	# The warm-up opens the connections (pool threads to the model too).
	BENCH_BODY=$body wrk -t2 -c"$c" -d"${warm}s" --timeout "$timeout" -s "$T/post.lua" "$url" >/dev/null
	snap > "$T/cpu0"
	BENCH_BODY=$body wrk -t2 -c"$c" -d"${d}s" --timeout "$timeout" --latency \
	    -s "$T/post.lua" "$url" > "$out"
	snap > "$T/cpu1"
	req=$(awk '/requests in/ { print $1 }' "$out")
	rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$out")
	p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	err=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
	    END { print n + 0 }' "$out")
	r=$(join "$T/cpu0" "$T/cpu1" | awk -v n="$req" -v hz="$HZ" -v d="$d" '
	    { us = ($3 - $2) * 1e6 / hz / n; printf "%s=%.0f ", $1, us
	      if ($1 == "flusher") fl = ($3 - $2) / hz / d * 100 }
	    END { printf "flusher%%=%.1f", fl }')
	echo "$name $rps $p50 $p99 $err $req $r" >> "$T/runs"
	printf '   %-12s c=%-4s %6s req/s  p50 %6s ms  p99 %6s ms  errors %s  %s\n' \
	    "$name" "$c" "$rps" "$p50" "$p99" "$err" "$r"
}

# backlog: bytes of span segments the flusher has not shipped yet.
backlog() {
	local f size off sum=0
	for f in "$SPOOL"/spans-*.jsonl; do
		[ -e "$f" ] || continue
		size=$(stat -c %s "$f")
		off=$(awk -v n="${f##*/}" '$1 == n { print $2 }' "$SPOOL/.flusher/offsets" 2>/dev/null)
		sum=$((sum + size - ${off:-0}))
	done
	echo "$sum"
}

backlog_empty() { [ "$(backlog)" -eq 0 ]; }

run_hop() {
	"$NGINX" -p "$T/hop" -c "$T/hop/nginx.conf" -e stderr &
	HOP_PID=$!
	wait_for 10 curl -fsS -o /dev/null -d '{}' "http://127.0.0.1:$HOP_PORT/chat"
	FRONT_MASTER=$HOP_PID
	run_wrk hop "$CONNS" "$BODY" "http://127.0.0.1:$HOP_PORT/chat"
	kill -TERM "$HOP_PID"; wait "$HOP_PID" 2>/dev/null || true
	HOP_PID=""
}

# run_stack NAME CONNS BODY [VAR=value...]: the stack, one wrk run; the
# slow run samples the pool's RSS meanwhile.
run_stack() {
	local name=$1 c=$2 body=$3 left rss=""
	shift 3
	rm -rf "$T/spool" "$T/run"
	# shellcheck disable=SC2086 # BENCH_ENV is a list of VAR=value words
	start_stack LOG_LEVEL=error NGINX_WORKERS=auto "$@" ${BENCH_ENV:-}
	FRONT_MASTER=$(cat "$T/run/nginx.pid")
	if [ "$name" = slow ]; then
		rss_watch "$T/rss" &
		rss=$!
	fi
	if [ "$name" = slow ]; then
		run_wrk "$name" "$c" "$body" "$BASE/chat" 30s \
		    $((SLOW_MS * 3 / 1000 + 2)) "$SLOW_SECONDS"
	else
		run_wrk "$name" "$c" "$body" "$BASE/chat"
	fi
	[ -z "$rss" ] || { kill "$rss"; wait "$rss" 2>/dev/null || true; }
	if [ "$name" = on ]; then
		left=$(backlog)
		local t0=$(date +%s%N)
		wait_for 120 backlog_empty || true
		echo "$name backlog $left $(( ($(date +%s%N) - t0) / 1000000 ))" >> "$T/drain"
		echo "   flusher backlog when the load stopped: $left bytes; shipped within $(tail -n 1 "$T/drain" | cut -d' ' -f4) ms"
	fi
	stop_stack
}

rss_watch() {	# rss_watch FILE: the pool's RSS (KiB), sampled until killed
	local m
	while kill -0 "$STACK_PID" 2>/dev/null; do
		m=$(stack_comm chat-fcgi | head -1)
		[ -n "$m" ] && ps -o rss= -p "$(pids_of "$m" | tr ' ' ',' | sed 's/,$//')" 2>/dev/null |
		    awk '{ s += $1 } END { print s + 0 }' >> "$1"
		sleep 0.5
	done
}

echo "== make bench: $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC'), wrk -t2 -c$CONNS -d${DURATION}s, $ROUNDS rounds"
: > "$T/runs"
: > "$T/drain"
unset OPENAI_API_KEY OPENAI_BASE_URL MODEL_NAME
for round in $(seq 1 "$ROUNDS"); do
	echo "-- round $round"
	run_hop
	run_stack on "$CONNS" "$BODY" OPENAI_BASE_URL="$STUB_URL/v1" MODEL_NAME=gpt-4o-mini \
	    PHOENIX_COLLECTOR_ENDPOINT="$STUB_URL"
	run_stack off "$CONNS" "$BODY" OPENAI_BASE_URL="$STUB_URL/v1" MODEL_NAME=gpt-4o-mini \
	    PHOENIX_COLLECTOR_ENDPOINT="$STUB_URL" OTEL_SDK_DISABLED=true
	[ "${BENCH_KEEPALIVE:-1}" = 0 ] ||
	run_stack keepalive "$CONNS" "$BODY" OPENAI_BASE_URL="$STUB_URL/v1" MODEL_NAME=gpt-4o-mini \
	    PHOENIX_COLLECTOR_ENDPOINT="$STUB_URL" NGINX_FCGI_KEEPALIVE=16
done
echo "-- the offline model (the default make run)"
run_stack offline "$CONNS" "$BODY" PHOENIX_COLLECTOR_ENDPOINT="$STUB_URL"
: > "$T/rss"
if [ "$SLOW_CONNS" -gt 0 ]; then
echo "-- $SLOW_CONNS chats in flight, the model taking $SLOW_MS ms"
start_mock_llm
run_stack slow "$SLOW_CONNS" "$SLOW_BODY" OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini \
    PHOENIX_COLLECTOR_ENDPOINT="$STUB_URL" POOL_WORKERS=4 POOL_THREADS=256 \
    CHAT_CONN_PER_CLIENT=4096
stop_mock
fi
RSS_MIB=$(sort -n "$T/rss" | tail -n 1 | awk '{ printf "%.0f", $1 / 1024 }')

# ---- The table: medians per row, ratios to the hop limit's median. ----
median() {	# median NAME FIELD
	awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$T/runs" | sort -g |
	    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
cpu_of() {	# cpu_of NAME ROLE: median us/req
	awk -v n="$1" -v r="$2" '$1 == n { for (i = 7; i <= NF; i++) { split($i, kv, "=");
	    if (kv[1] == r) print kv[2] } }' "$T/runs" | sort -g |
	    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
HOP=$(median hop 2)
{
echo "| run | connections | req/s | p50 ms | p99 ms | x hop limit | errors | CPU us/req: pool / front nginx / stub / flusher / model |"
echo "|---|---|---|---|---|---|---|---|"
for row in "hop|hop limit (wrk -> nginx -> nginx stub)|$CONNS" \
    "on|tracing on (pool -> stub model, flusher -> stub collector)|$CONNS" \
    "off|tracing off (OTEL_SDK_DISABLED=true)|$CONNS" \
    "keepalive|tracing on, nginx keeps 16 FastCGI connections per worker|$CONNS" \
    "offline|offline model (the make run default)|$CONNS" \
    "slow|model taking $SLOW_MS ms, 4 x 256 threads|$SLOW_CONNS"; do
	IFS='|' read -r key label c <<<"$row"
	rps=$(median "$key" 2)
	[ -n "$rps" ] || continue
	printf '| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s / %s / %s |\n' "$label" "$c" "$rps" \
	    "$(median "$key" 3)" "$(median "$key" 4)" \
	    "$(awk -v a="$rps" -v b="${HOP:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
	    "$(median "$key" 5)" "$(cpu_of "$key" pool)" "$(cpu_of "$key" front)" \
	    "$(cpu_of "$key" stub)" "$(cpu_of "$key" flusher)" "$(cpu_of "$key" model)"
done
ON=$(median on 2); OFF=$(median off 2)
echo
if [ -n "$HOP" ]; then
	echo "- tracing's cost (on vs off, medians): throughput $(awk -v a="$ON" -v b="$OFF" 'BEGIN { printf "%+.1f %%", (a - b) / b * 100 }'), p99 $(awk -v a="$(median on 4)" -v b="$(median off 4)" 'BEGIN { printf "%+.2f ms", a - b }'); targets: at most -5 % and +1 ms"
	echo "- tracing on: $(awk -v a="$ON" -v b="$HOP" 'BEGIN { printf "%.2f", a / b }') x the hop limit at c=$CONNS, p99 $(median on 4) ms; targets: at least 0.25 x, p99 at most 10 ms"
	echo "- the flusher at full load: $(cpu_of on flusher%) % of one core (target at most 15 %); backlog when the load stopped, median $(awk '{ print $3 }' "$T/drain" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') bytes, shipped within $(awk '{ print $4 }' "$T/drain" | sort -g | tail -n 1) ms"
fi
[ "$SLOW_CONNS" -eq 0 ] || echo "- $SLOW_CONNS in flight against a $SLOW_MS ms model: $(median slow 2) req/s, $(median slow 5) errors, pool RSS peak $RSS_MIB MiB; targets: at least 450 req/s, 0 errors, at most 256 MiB"
echo "- machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r), $("$NGINX" -v 2>&1 | sed 's|.*/||'), $(date -u '+%Y-%m-%d'); every process shares the cores"
} > "$OUT"
echo
cat "$OUT"

# ---- spool-tail over a day of spool ----
spans=${BENCH_SPANS:-1000000}
[ "$spans" -gt 0 ] || { FAILED=0; exit 0; }
big=$T/bigspool
"$TESTS_BIN/spoolgen" "$big" $((spans / 4)) 4 &
"$TESTS_BIN/spoolgen" "$big" $((spans / 4)) 4
wait $!
echo
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
