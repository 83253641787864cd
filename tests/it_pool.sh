#!/bin/sh
# it_pool.sh - the chat-fcgi worker pool behind nginx: concurrency, a
# crashed worker respawned, SIGTERM finishing in-flight requests, and
# start-up errors.
. "$SRC_DIR/tests/lib.sh"

CHAT=$BUILD_DIR/bin/chat-fcgi
# Start-up errors on a socket of our own, never the default 127.0.0.1:9000,
# and each must fail for the reason it names.
export CHAT_LISTEN=$T/chat.sock
check "--help lists the settings" sh -c "'$CHAT' --help | grep -q POOL_THREADS"
check "a bad setting stops start-up" sh -c "! POOL_WORKERS=zero SPOOL_DIR='$T/s' '$CHAT' 2>'$T/err'"
check "and says which" grep -q "POOL_WORKERS: 'zero'" "$T/err"
check "an unknown model prefix stops start-up" sh -c "! MODEL_NAME=nope/x SPOOL_DIR='$T/s' '$CHAT' 2>'$T/err'"
check "and says why" grep -q "MODEL_NAME: unknown provider prefix" "$T/err"
check "an unwritable spool stops start-up" sh -c "! SPOOL_DIR=/proc/nope '$CHAT' 2>'$T/err'"
check "and names it" grep -q "SPOOL_DIR /proc/nope" "$T/err"
unset CHAT_LISTEN
# One worker is killed below, and the SIGTERM case takes the stack down.
EXPECT_RESPAWNS=1
EXPECT_STACK_EXITS=1

start_mock_llm
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini \
    POOL_WORKERS=2 POOL_THREADS=32 POOL_STOP_TIMEOUT_S=20
master=$(pgrep -P "$STACK_PID" -f chat-fcgi)
check "the pool master runs" test -n "$master"
eq "it forked two workers" 2 "$(pgrep -P "$master" | wc -l)"

# 50 concurrent slow turns (300 ms each at the model) all answered.
seq 1 50 | xargs -P 50 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    -X POST -H 'Content-Type: application/json' \
    --data-binary '{"messages":[{"role":"user","content":"MOCK_DELAY=300 turn {}"}],"session_id":"conc-{}"}' \
    "$BASE/chat" > "$T/codes"
eq "50 concurrent requests all answered 200" "50" "$(grep -c '^200$' "$T/codes")"
eq "each left its two spans" 100 "$(spool_spans | jq -r "$ATTR"' attr("session.id")' | grep -c '^conc-')"

# A worker that crashes is replaced; the pool keeps serving.
victim=$(pgrep -P "$master" | head -n 1)
kill -9 "$victim"
check "a killed worker is respawned" \
    wait_for 5 sh -c "[ \$(pgrep -P $master | wc -l) -eq 2 ] && ! kill -0 $victim"
eq "the pool still answers" 200 "$(chat '{"messages":[{"role":"user","content":"after crash"}]}')"

# SIGTERM: requests in flight finish, then the pool exits 0.
cpids=""
for i in 1 2 3 4 5; do
	curl -s -o "$T/inflight.$i" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	    --data-binary "{\"messages\":[{\"role\":\"user\",\"content\":\"MOCK_DELAY=1500 in flight $i\"}]}" \
	    "$BASE/chat" > "$T/inflight.$i.code" &
	cpids="$cpids $!"
done
check "the model saw all five" \
    wait_for 5 sh -c "[ \$(grep -c 'in flight' '$MOCK_LOG') -ge 5 ]"
workers=$(pgrep -P "$master" | tr '\n' ' ')
kill -TERM "$master"
wait $cpids
for i in 1 2 3 4 5; do
	eq "in-flight request $i finished with 200" 200 "$(cat "$T/inflight.$i.code")"
done
check "the in-flight replies are whole" sh -c "cat '$T'/inflight.[1-5] | jq -s -e 'length == 5 and all(.messages | length == 3)'"
check "the pool master has exited" wait_for 10 sh -c "! kill -0 $master"
check "with status 0" wait_for 5 grep -q "a process exited (0)" "$T/stack.log"
for w in $workers; do
	check "worker $w is gone" sh -c "! kill -0 $w"
done
finish
