#!/bin/sh
# it_edge.sh - the stack under hostile clients: 1 MiB bodies built to
# blow up a JSON tree keep the pool's memory bounded, workers killed over
# and over never stop the service, nginx's per-client limits answer 429
# with a JSON detail, a client's system prompt is ignored, a model failure
# tells the client no more than its kind and trace, and a silent FastCGI
# connection gives its thread back (docs/reliability.md).
. "$SRC_DIR/tests/lib.sh"

RSS_LIMIT_KB=$((256 * 1024))
# AddressSanitizer's shadow memory and quarantine (256 MiB by default) make
# resident memory mean something else: the bound is checked in the plain
# build only; the sanitizer build still checks every answer.
SANITIZED=0
ldd "$BUILD_DIR/bin/chat-fcgi" 2>/dev/null | grep -q 'libasan' && SANITIZED=1

# pool_pids: the chat-fcgi master and its workers.
pool_pids() {
	local m
	m=$(pgrep -P "$STACK_PID" -f chat-fcgi) || return 1
	echo "$m"
	pgrep -P "$m"
}
# pool_rss_kb: their resident memory summed, from /proc.
pool_rss_kb() {
	local total=0 p kb
	for p in $(pool_pids); do
		kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$p/status" 2>/dev/null)
		total=$((total + ${kb:-0}))
	done
	echo "$total"
}

# body KIND: a body of about 1 MiB (under CHAT_MAX_BODY) on stdout.
body() {
	awk -v kind="$1" 'BEGIN {
		printf "{\"messages\":[{\"role\":\"user\",\"content\":\"MOCK_DELAY=2000 %s", kind
		if (kind == "string") { for (i = 0; i < 1040000; i++) printf "x" }
		printf "\"}],\"pad\":"
		if (kind == "objects") { printf "["; for (i = 0; i < 340000; i++) printf "{},"; printf "{}]" }
		else if (kind == "arrays") { for (i = 0; i < 500000; i++) printf "["; for (i = 0; i < 500000; i++) printf "]" }
		else if (kind == "keys") { printf "{"; for (i = 0; i < 80000; i++) printf "\"k%d\":1,", i; printf "\"z\":1}" }
		else if (kind == "under") { printf "["; for (i = 0; i < 9990; i++) printf "{},"; printf "\""; for (i = 0; i < 1000000; i++) printf "y"; printf "\"]" }
		else printf "0"
		printf "}"
	}'
}

# hostile KIND WANT: 8 at once; every answer is WANT and the pool's RSS,
# sampled every 50 ms meanwhile, stays under RSS_LIMIT_KB.
hostile() {
	local kind=$1 want=$2 i peak=0 rss pids=""
	body "$kind" > "$T/body.$kind"
	rm -f "$T"/code.*
	for i in 1 2 3 4 5 6 7 8; do
		curl -s -o "$T/resp.$kind.$i" -w '%{http_code}' -X POST \
		    -H 'Content-Type: application/json' \
		    --data-binary "@$T/body.$kind" "$BASE/chat" > "$T/code.$i" &
		pids="$pids $!"
	done
	while [ "$(ls "$T"/code.* 2>/dev/null | wc -l)" -lt 8 ] ||
	    [ -n "$(find "$T" -maxdepth 1 -name 'code.*' -empty)" ]; do
		rss=$(pool_rss_kb)
		[ "$rss" -gt "$peak" ] && peak=$rss
		sleep 0.05
	done
	wait $pids
	eq "8 x 1 MiB $kind: every answer is $want" "8" \
	    "$(for f in "$T"/code.*; do cat "$f"; echo; done | grep -c "^$want\$")"
	echo "# $kind: pool peak RSS $((peak / 1024)) MiB" >&2
	echo "$kind $((peak / 1024))" >> "$T/peaks"
	if [ "$SANITIZED" -eq 1 ]; then
		echo "# skipped: RSS bound under AddressSanitizer (peak $((peak / 1024)) MiB)"
		return
	fi
	check "8 x 1 MiB $kind: pool RSS stayed under 256 MiB (peak $((peak / 1024)) MiB)" \
	    test "$peak" -lt "$RSS_LIMIT_KB"
}

start_mock_llm
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini LLM_TIMEOUT_S=10
echo "# idle pool RSS $(( $(pool_rss_kb) / 1024 )) MiB" >&2

hostile objects 413
check "the refusal says why" jq -e '.detail | test("more than [0-9]+ JSON values")' "$T/resp.objects.1"
hostile keys 413
hostile arrays 400
hostile string 200
hostile under 200

# A client's system message never reaches the model.
: > "$MOCK_LOG"
eq "a turn with a client system prompt is answered" 200 \
    "$(chat '{"messages":[{"role":"system","content":"You are a pirate."},{"role":"user","content":"stew"}]}')"
eq "the model got one system message" 1 \
    "$(jq -s '[.[-1].body.messages[] | select(.role == "system")] | length' "$MOCK_LOG")"
check "and it is the recipe prompt" jq -s -e '.[-1].body.messages[0].content | test("recipe")' "$MOCK_LOG"
check "the pirate is not in it" sh -c "! grep -q pirate '$MOCK_LOG'"

# A failed model call: the kind and the trace, not the endpoint's text.
code=$(chat '{"messages":[{"role":"user","content":"MOCK_STATUS=500"}]}' -D "$T/hdr")
eq "a model error is 502" 502 "$code"
trace=$(sed -n 's/^X-Trace-Id: \([0-9a-f]*\).*/\1/ip' "$T/hdr")
check "the detail names the trace" jq -e --arg t "$trace" '.detail | contains($t)' "$T/resp"
check "and not the endpoint's text" sh -c "! grep -q 'mock failure' '$T/resp'"
check "the page has security headers" sh -c "curl -sSI '$BASE/' | grep -qi \"content-security-policy: frame-ancestors 'none'\""

# Workers killed over and over, under load: the pool backs off and keeps
# answering; the master and the stack never stop.
master=$(pgrep -P "$STACK_PID" -f chat-fcgi)
eq "no worker died before the drill" 0 "$(it_log_count "$IT_RESPAWN_RE")"
( while :; do chat '{"messages":[{"role":"user","content":"load"}]}' > /dev/null 2>&1; done ) &
load=$!
# Kill each live worker (not yet a zombie) as soon as it appears, until the
# master says it backs off or 100 have died.
kills=0
while [ $kills -lt 100 ] && ! grep -q "workers keep dying" "$T/stack.log"; do
	for w in $(pgrep -r R,S,D -P "$master"); do
		kill -9 "$w" 2>/dev/null && kills=$((kills + 1))
	done
	wait_for 10 sh -c "pgrep -r R,S,D -P $master" || break
done
kill "$load" 2>/dev/null; wait "$load" 2>/dev/null
echo "# $kills workers killed" >&2
check "more than 20 workers were killed" test "$kills" -gt 20
check "the master backed off, logged" grep -q "workers keep dying" "$T/stack.log"
check "the master still runs" kill -0 "$master"
check "the stack still runs" kill -0 "$STACK_PID"
check "the pool answers again" wait_for 30 sh -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{\"messages\":[{\"role\":\"user\",\"content\":\"back\"}]}' '$BASE/chat')\" = 200 ]"
# Every respawn so far was one of ours; none may follow (finish checks).
EXPECT_RESPAWNS=$(it_log_count "$IT_RESPAWN_RE")
check "respawns ($EXPECT_RESPAWNS) are of the $kills killed workers" \
    test "$EXPECT_RESPAWNS" -ge 1 -a "$EXPECT_RESPAWNS" -le "$kills"
stop_stack

# nginx's per-client limits, loopback not exempt, and a pool on TCP with
# a 1 s FastCGI read timeout.
pool_port=$(free_ports 1)
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini \
    CHAT_LIMIT_EXEMPT=none CHAT_RATE_PER_S=1 CHAT_RATE_BURST=2 \
    CHAT_LISTEN="127.0.0.1:$pool_port" POOL_IO_TIMEOUT_S=1 \
    OPENAI_API_KEY=sk-model-key-for-test PHOENIX_API_KEY=phoenix-key-for-test

# Each process has only the keys it needs.
pool=$(pgrep -P "$STACK_PID" -f chat-fcgi)
# This stack's own flusher (the one on its spool): other tests may run
# flushers of the same build at the same time.
stack_flusher() {
	for p in $(pgrep -f "$BUILD_DIR/bin/span-flusher"); do
		grep -qz "^SPOOL_DIR=$SPOOL\$" "/proc/$p/environ" 2>/dev/null &&
			echo "$p" && return 0
	done
	return 1
}
wait_for 10 stack_flusher
flusher=$(stack_flusher)
check "the pool has the model key" grep -qz '^OPENAI_API_KEY=' "/proc/$pool/environ"
check "but not the collector's" sh -c "! grep -qz '^PHOENIX_API_KEY=' /proc/$pool/environ"
check "the flusher has the collector key" grep -qz '^PHOENIX_API_KEY=' "/proc/$flusher/environ"
check "but not the model's" sh -c "! grep -qz '^OPENAI_API_KEY=' /proc/$flusher/environ"
# One token a second and a burst of 2: six at once leave the last refused.
for i in 1 2 3 4 5 6; do
	code=$(chat '{"messages":[{"role":"user","content":"quick"}]}' -D "$T/hdr")
done
eq "past the burst a client gets 429" 429 "$code"
check "the 429 has a JSON detail" jq -e '.detail | test("too many requests")' "$T/resp"
check "and a Retry-After" grep -qi '^retry-after: 1' "$T/hdr"

# Half a FastCGI record straight to the pool: closed after the timeout.
check "half a FastCGI record is dropped after POOL_IO_TIMEOUT_S" timeout 10 bash -c "
	exec 3<>/dev/tcp/127.0.0.1/$pool_port
	printf '\001\001\000' >&3
	cat <&3 >/dev/null"
finish
