# lib.sh - shared by the integration tests (tests/it_*.sh): a temp dir,
# free loopback ports, the real stack started through conf/run.sh, the mock
# model endpoint, and assertions that end with "N passed, N failed".
# Sourced with BUILD_DIR and SRC_DIR set (ctest sets both).

set -u
: "${BUILD_DIR:?BUILD_DIR must name the build directory}"

# Hermetic: nothing the caller exported may reach a real model or collector
# or change the stack's settings. Tests pass what they need explicitly.
# PHOENIX_E2E is the suite's own switch (tests/phoenix.sh), not a setting.
for v in $(env | sed -n 's/^\(OTEL_[A-Za-z0-9_]*\|PHOENIX_[A-Za-z0-9_]*\)=.*/\1/p'); do
	[ "$v" = PHOENIX_E2E ] || unset "$v"
done
unset OPENAI_API_KEY OPENAI_BASE_URL ANTHROPIC_API_KEY GEMINI_API_KEY \
    TOGETHER_API_KEY OLLAMA_API_BASE MODEL_NAME LLM_TIMEOUT_S \
    TRUST_TRACEPARENT SPOOL_DIR SPOOL_MAX_BYTES SPOOL_KEEP_SENT_BYTES \
    FLUSH_INTERVAL_MS POOL_WORKERS POOL_THREADS POOL_BACKLOG \
    POOL_STOP_TIMEOUT_S CHAT_LISTEN CHAT_MAX_BODY OFFLINE_LISTEN \
    OFFLINE_WORKERS OFFLINE_THREADS RECIPES_FILE LOG_LEVEL 2>/dev/null
: "${SRC_DIR:=$(pwd)}"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
TESTS_BIN=$BUILD_DIR/tests
T=$(mktemp -d "${TMPDIR:-/tmp}/rc-it.XXXXXX")
IT_NAME=$(basename "$0" .sh)
# Everything a test starts writes its temp files under $T, never elsewhere.
export TMPDIR=$T
PASSED=0
FAILED=0
STACK_PID=""
MOCK_PID=""
RECV_PID=""
HOLD_PID=""

# Sanitizers: under the ASan build (tests/CMakeLists.txt sets RC_SANITIZE=1)
# every process a test starts writes its ASan, LSan and UBSan reports into
# $T/san instead of a stderr nobody reads; finish fails the test when one
# exists. A worker that aborts is respawned and a flusher restarted, so
# the reports are the only sure sign.
if [ "${RC_SANITIZE:-0}" = 1 ]; then
	mkdir -p "$T/san"
	export ASAN_OPTIONS="log_path=$T/san/$IT_NAME.asan:halt_on_error=1:abort_on_error=1:disable_coredump=1:detect_leaks=1"
	export UBSAN_OPTIONS="log_path=$T/san/$IT_NAME.ubsan:halt_on_error=1:abort_on_error=1:print_stacktrace=1"
	export LSAN_OPTIONS="log_path=$T/san/$IT_NAME.lsan"
else
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi
# A time bound that must stay in an assertion gets this factor under the
# sanitizers (at least 3x headroom on two busy cores).
SLOW=1
[ "${RC_SANITIZE:-0}" = 1 ] && SLOW=3
# Respawns and restarts a test causes on purpose; any other is a failure.
EXPECT_RESPAWNS=0
# A worker's death as the pool logs it (not its backoff lines).
IT_RESPAWN_RE='worker [0-9]* \(died of signal\|exited with\) .*; respawning'
EXPECT_FLUSHER_RESTARTS=0
EXPECT_STACK_EXITS=0

it_stop_all() {
	stop_stack
	stop_mock
	stop_receiver
	release_port
}

it_cleanup() {
	it_stop_all
	if [ "$FAILED" -eq 0 ]; then rm -rf "$T"; else echo "kept $T" >&2; fi
}
trap it_cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$what"; else not_ok "$what"; fi
}

# eq DESCRIPTION EXPECTED ACTUAL
eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected '$2', got '$3'"; fi
}

# it_sanitizer_reports: every report file in $T/san is a failure, shown.
it_sanitizer_reports() {
	local f
	[ -d "$T/san" ] || return 0
	for f in "$T"/san/*; do
		[ -e "$f" ] || continue
		cat "$f" >&2
		not_ok "no sanitizer report (${f##*/})"
	done
}

# it_log_count PATTERN: lines matching PATTERN in the logs the test keeps.
it_log_count() {
	cat "$T"/*.log "$T"/*.err 2>/dev/null | grep -c -- "$1"
}

# it_unexpected_exits: a worker respawn, a flusher restart or a process
# that took the stack down, beyond what the test declared, is a failure.
it_unexpected_exits() {
	eq "worker respawns are the $EXPECT_RESPAWNS expected" \
	    "$EXPECT_RESPAWNS" "$(it_log_count "$IT_RESPAWN_RE")"
	eq "flusher restarts are the $EXPECT_FLUSHER_RESTARTS expected" \
	    "$EXPECT_FLUSHER_RESTARTS" "$(it_log_count 'span-flusher exited')"
	eq "stack exits are the $EXPECT_STACK_EXITS expected" \
	    "$EXPECT_STACK_EXITS" "$(it_log_count 'run.sh: a process exited')"
}

# finish: stop what the test started (so that leak reports are written),
# check for sanitizer reports and unexpected exits, print the tally.
finish() {
	it_stop_all
	it_unexpected_exits
	it_sanitizer_reports
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

free_ports() { "$TESTS_BIN/freeport" "$1"; }

# hold_port: a loopback port bound by a helper that never listens, so a
# connection to it is refused and no other process can take it meanwhile;
# sets HELD_PORT. release_port frees it.
hold_port() {
	rm -f "$T/held.port"
	"$TESTS_BIN/freeport" --hold 1 > "$T/held.port" &
	HOLD_PID=$!
	wait_for 10 test -s "$T/held.port" || { echo "freeport --hold failed" >&2; exit 1; }
	HELD_PORT=$(cat "$T/held.port")
}

release_port() {
	[ -n "$HOLD_PID" ] || return 0
	kill -TERM "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null
	HOLD_PID=""
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds; 1 on time-out.
# SECONDS is multiplied by $SLOW under the sanitizers.
wait_for() {
	local deadline=$(( $(date +%s) + $1 * SLOW )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# start_mock_llm: the OpenAI-compatible test double; sets MOCK_URL, MOCK_LOG.
start_mock_llm() {
	MOCK_LOG=$T/mock.log
	: > "$MOCK_LOG"
	rm -f "$T/mock.port"
	"$TESTS_BIN/mock-llm" --listen 127.0.0.1:0 --port-file "$T/mock.port" \
	    --log "$MOCK_LOG" 2>>"$T/mock.err" &
	MOCK_PID=$!
	wait_for 10 test -s "$T/mock.port" || { echo "mock-llm did not start" >&2; exit 1; }
	MOCK_URL=http://127.0.0.1:$(cat "$T/mock.port")/v1
}

stop_mock() {
	[ -n "$MOCK_PID" ] || return 0
	kill -TERM "$MOCK_PID" 2>/dev/null; wait "$MOCK_PID" 2>/dev/null
	MOCK_PID=""
}

# start_receiver [PORT]: the Phoenix stand-in (tests/otlp-receiver.c); sets
# RECV_URL, RECV_PORT and RECV_LOG (one JSON line per accepted request).
# RECV_ARGS adds options.
start_receiver() {
	RECV_LOG=$T/recv.log
	rm -f "$T/recv.port"
	touch "$RECV_LOG"
	"$TESTS_BIN/otlp-receiver" --listen "127.0.0.1:${1:-0}" \
	    --port-file "$T/recv.port" --log "$RECV_LOG" ${RECV_ARGS:-} 2>>"$T/recv.err" &
	RECV_PID=$!
	wait_for 10 test -s "$T/recv.port" || { echo "otlp-receiver did not start" >&2; exit 1; }
	RECV_PORT=$(cat "$T/recv.port")
	RECV_URL=http://127.0.0.1:$RECV_PORT
}

stop_receiver() {
	[ -n "$RECV_PID" ] || return 0
	kill -TERM "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null
	RECV_PID=""
}

# Forget what the receiver has logged so far.
reset_received() { : > "$RECV_LOG"; }

# receiver_mode TEXT: ok | 503 | 429 SECS | 400 | silence | partial N | ...
receiver_mode() { curl -fsS -o /dev/null -d "$1" "$RECV_URL/control"; }

# Every span the receiver accepted, one compact JSON object per line.
received_spans() {
	jq -c '.traces.resourceSpans[] | .scopeSpans[] | .spans[]' "$RECV_LOG"
}
received_count() { received_spans | wc -l; }
# Distinct span ids the receiver accepted: delivery is at least once, so
# waits and checks count these, never received_count.
received_unique() { received_spans | jq -r .spanId | sort -u | wc -l; }
# has_received N: at least N distinct spans arrived (for wait_for).
has_received() { [ "$(received_unique)" -ge "$1" ]; }

# start_stack [VAR=value...]: conf/run.sh on free ports in $T/run; sets
# BASE (http://127.0.0.1:port) and SPOOL. Extra variables go to the stack.
# Its output is appended to $T/stack.log. freeport releases the ports
# before nginx binds them, so another process may take one meanwhile:
# a bind failure is retried on new ports.
start_stack() {
	local try
	for try in 1 2 3 4 5; do
		it_try_stack "$@" && return 0
		[ $? -eq 2 ] || break
		echo "start_stack: a port was taken; retrying" >&2
	done
	cat "$T/stack.log" >&2
	exit 1
}

# it_try_stack [VAR=value...]: one start; 0 up, 2 a port was taken, 1 else.
it_try_stack() {
	local ports off
	ports=$(free_ports 2)
	CHAT_PORT=$(echo "$ports" | sed -n 1p)
	SPOOL=$T/spool
	touch "$T/stack.log"
	off=$(wc -c < "$T/stack.log")
	IT_STACK_OFF=$off
	env CHAT_PORT="$CHAT_PORT" OFFLINE_PORT="$(echo "$ports" | sed -n 2p)" \
	    RUN_DIR="$T/run" SPOOL_DIR="$SPOOL" NGINX_WORKERS=1 \
	    PHOENIX_COLLECTOR_ENDPOINT="${RECV_URL:-http://127.0.0.1:9}" \
	    LOG_LEVEL="${LOG_LEVEL:-warn}" "$@" \
	    bash "$SRC_DIR/conf/run.sh" "$BUILD_DIR" >>"$T/stack.log" 2>&1 &
	STACK_PID=$!
	BASE=http://127.0.0.1:$CHAT_PORT
	wait_for 30 it_stack_settled || true
	curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && return 0
	stop_stack
	if tail -c +"$((off + 1))" "$T/stack.log" | grep -q "Address already in use"; then
		# The failed attempt's lines are not the test's business.
		head -c "$off" "$T/stack.log" > "$T/stack.log.tmp"
		mv "$T/stack.log.tmp" "$T/stack.log"
		return 2
	fi
	return 1
}

# The stack says it is ready (run.sh prints its banner once /healthz and,
# offline, the model answer), or its run script has ended.
it_stack_settled() {
	tail -c +"$((IT_STACK_OFF + 1))" "$T/stack.log" | grep -q '^Recipe chatbot: ' ||
	    ! kill -0 "$STACK_PID"
}

stop_stack() {
	[ -n "$STACK_PID" ] || return 0
	kill -TERM "$STACK_PID" 2>/dev/null; wait "$STACK_PID" 2>/dev/null
	STACK_PID=""
}

# chat BODY [curl args...]: POST /chat; the response body goes to
# $T/resp, the status is printed. resp FILTER runs jq on the last response.
chat() {
	local body=$1; shift
	curl -sS -o "$T/resp" -X POST -H 'Content-Type: application/json' \
	    --data-binary "$body" -w '%{http_code}' "$@" "$BASE/chat"
}
resp() { jq -r "$1" "$T/resp"; }

# All spans in the spool (pending and sent/), one compact OTLP/JSON span per line, each with
# its resource flattened in as "resource".
spool_spans() {
	cat "$SPOOL"/spans-*.jsonl "$SPOOL"/sent/spans-*.jsonl 2>/dev/null | jq -c '.resourceSpans[] | .resource as $r
	    | .scopeSpans[] | .spans[] | . + {resource: $r}'
}

# attr NAME: a jq filter giving attribute NAME's value as plain JSON.
ATTR='def attr($k): (.attributes[] | select(.key == $k) | .value
    | (.stringValue // .boolValue // .doubleValue // (.intValue | tonumber? // .)
       // .arrayValue));'

# ---- Fault drills (it_flusher_config, it_two_flushers,
# it_spool_full, it_crash_restart) ----------------------------------------

# chat_load N PARALLEL TAG: N /chat turns, PARALLEL at once; prints
# "STATUS TRACE_ID" for each (the trace id from X-Trace-Id).
chat_load() {
	seq 1 "$1" | xargs -P "$2" -I{} curl -s -o /dev/null -X POST \
	    -H 'Content-Type: application/json' --max-time 30 \
	    --data-binary "{\"messages\":[{\"role\":\"user\",\"content\":\"soup $3 {}\"}],\"session_id\":\"$3-{}\"}" \
	    -w '%{http_code} %header{x-trace-id}\n' "$BASE/chat"
}

# ok_trace_ids FILE...: the trace ids of the turns answered 200, sorted.
ok_trace_ids() { awk '$1 == 200 && $2 != "" { print tolower($2) }' "$@" | sort -u; }

# missing_turns IDS_FILE: how many of those trace ids have no chat_turn
# span at the receiver yet. turns_delivered IDS_FILE: none is missing.
missing_turns() {
	received_spans | jq -r 'select(.name == "chat_turn") | .traceId' |
	    tr 'A-F' 'a-f' | sort -u > "$T/arrived.ids"
	comm -23 "$1" "$T/arrived.ids" | wc -l
}
turns_delivered() { [ "$(missing_turns "$1")" -eq 0 ]; }

# Distinct span ids in the spool (pending and sent/).
spool_unique() { spool_spans | jq -r .spanId | sort -u | wc -l; }

# stack_pids: every process of the running stack (run.sh and all it
# started, at any depth), one pid a line.
stack_pids() {
	[ -n "$STACK_PID" ] || return 0
	ps -e -o pid= -o ppid= | awk -v root="$STACK_PID" '
	    { parent[$1] = $2 }
	    END { want[root] = 1; n = 1
		while (n > 0) { n = 0
			for (p in parent) if (!(p in want) && (parent[p] in want)) { want[p] = 1; n++ } }
		for (p in want) print p }' | sort -n
}

# kill_stack: SIGKILL every process of the stack at once, as a power cut
# would. They are stopped first so none can start another in between.
kill_stack() {
	local pids n=0
	while [ "$n" -lt 20 ]; do
		pids=$(stack_pids)
		kill -STOP $pids 2>/dev/null
		[ "$pids" = "$(stack_pids)" ] && break
		n=$((n + 1))
	done
	kill -KILL $pids 2>/dev/null
	wait "$STACK_PID" 2>/dev/null
	STACK_PID=""
}
