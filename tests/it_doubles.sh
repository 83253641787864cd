#!/bin/sh
# it_doubles.sh - the test doubles as the world is: the receiver decodes
# requests no encoder of ours made as Google's protobuf does, closes idle
# keep-alive connections and checks an API key as Phoenix does; and the
# stack copes with a model endpoint that answers chunked, gzipped, slowly,
# with 429 and with a total_tokens of its own.
. "$SRC_DIR/tests/lib.sh"

WIRE=$SRC_DIR/tests/data/otlp-wire
REQ_TYPE=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest
# Google's protobuf: protoc, or protoc-c (the build needs it anyway), which
# carries the same --encode/--decode.
PROTOC=$(command -v protoc || command -v protoc-c || true)
if [ -z "$PROTOC" ]; then
	not_ok "protoc or protoc-c is needed to decode independently"
	finish; exit
fi
google() {	# google encode|decode: text format <-> protobuf on stdin/stdout
	(cd "$SRC_DIR/proto" && "$PROTOC" --"$1=$REQ_TYPE" \
	    opentelemetry/proto/collector/trace/v1/trace_service.proto)
}
post() {	# post FILE [curl args...]: POST to /v1/traces, prints the status
	local f=$1; shift
	curl -sS -o "$T/out" -w '%{http_code}' \
	    -H 'Content-Type: application/x-protobuf' "$@" \
	    --data-binary @"$f" "$RECV_URL/v1/traces"
}
stats() { curl -sS "$RECV_URL/stats" | jq -r ".$1"; }
# logged N: the traces of the receiver's Nth log line, keys sorted.
logged() { sed -n "${1}p" "$RECV_LOG" | jq -cS .traces; }
unhex() { perl -ne 's/#.*//; s/\s+//g; print pack("H*", $_)'; }

mkdir "$T/dump"
RECV_ARGS="--api-key k-42 --idle-timeout 300 --dump $T/dump"
start_receiver
auth="Authorization: Bearer k-42"

# 1. Requests no encoder of ours made: packed by hand from the wire format,
# and packed by Google's protobuf from text format.
unhex < "$WIRE/handpacked.hex" > "$T/handpacked.pb"
check "Google's protobuf reads the hand-packed bytes" \
    sh -c "cd '$SRC_DIR/proto' && '$PROTOC' --decode=$REQ_TYPE \
    opentelemetry/proto/collector/trace/v1/trace_service.proto \
    < '$T/handpacked.pb' | grep -q '^      100: 1$'"
eq "a hand-packed request is accepted" 200 "$(post "$T/handpacked.pb" -H "$auth")"
eq "it decodes as written by hand" "$(jq -cS . "$WIRE/handpacked.json")" "$(logged 1)"
sed 's/#.*//' "$WIRE/handwritten.txtpb" | google encode > "$T/handwritten.pb"
eq "a request packed by Google's protobuf is accepted" 200 "$(post "$T/handwritten.pb" -H "$auth")"
eq "every kind of field decodes as written by hand" \
    "$(jq -cS . "$WIRE/handwritten.json")" "$(logged 2)"
check "bodies are kept for other decoders" cmp "$T/dump/2.pb" "$T/handwritten.pb"

# 2. The API key, as Phoenix checks it: before the body is looked at.
eq "no key is 401" 401 "$(post "$T/handpacked.pb")"
eq "as Phoenix words it (plain text)" 'Invalid token' "$(cat "$T/out")"
eq "a wrong key is 401" 401 "$(post "$T/handpacked.pb" -H 'Authorization: Bearer k-4')"
eq "another scheme is 401" 401 "$(post "$T/handpacked.pb" -H 'Authorization: Basic k-42')"
eq "the key comes before the content type" 401 \
    "$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary x "$RECV_URL/v1/traces")"
eq "the scheme in any case" 200 "$(post "$T/handpacked.pb" -H 'Authorization: bearer k-42')"
eq "refusals are counted, not logged" "7 3 4" \
    "$(stats requests) $(stats accepted) $(stats unauthorized)"

# 3. Idle keep-alive connections close, as uvicorn closes them, and only
# once idle: a connection answers, then reaches end of file.
idle_conn() {
	perl -MIO::Socket::INET -e '
	    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]")
	        or die "connect: $!";
	    $SIG{ALRM} = sub { print "still open\n"; exit };
	    alarm 30;
	    print $s "GET /stats HTTP/1.1\r\n\r\n";
	    my ($all, $b) = ("");
	    while (sysread($s, $b, 4096)) { $all .= $b; }
	    print $all =~ m{^HTTP/1\.1 200 } ? "answered, closed\n" : "no answer\n";' \
	    "$RECV_PORT"
}
check "a bad --idle-timeout is refused" sh -c \
    "! timeout 10 '$TESTS_BIN/otlp-receiver' --listen 127.0.0.1:0 --idle-timeout -1 2>/dev/null"
check "an empty --api-key is refused" sh -c \
    "! timeout 10 '$TESTS_BIN/otlp-receiver' --listen 127.0.0.1:0 --api-key '' 2>/dev/null"
eq "an idle connection is closed after its answer" "answered, closed" "$(idle_conn)"
check "and counted" test "$(stats idle_closed)" -ge 1

# 4. The stack: the flusher ships with the key across idle closes; the
# model endpoint answers as providers do.
start_mock_llm
start_stack OPENAI_BASE_URL="$MOCK_URL" MODEL_NAME=gpt-4o-mini \
    LLM_TIMEOUT_S=3 PHOENIX_API_KEY=k-42
# turn TEXT: one /chat turn; prints the status, its headers go to $T/hdr.
turn() {
	curl -sS -o "$T/resp" -D "$T/hdr" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' \
	    --data-binary "{\"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]}" \
	    "$BASE/chat"
}
trace_id() { tr -d '\r' < "$T/hdr" | sed -n 's/^X-Trace-Id: //Ip'; }
# llm_span FILTER: jq FILTER on the last turn's completion span.
llm_span() {
	spool_spans | jq -r "$ATTR select(.traceId == \"$(trace_id)\" and
	    .name == \"completion\") | $1"
}
# llm_attr NAME: an attribute of the last turn's completion span.
llm_attr() { llm_span "attr(\"$1\")"; }
# end_mock: stop this test's mock-llm (and only it).
end_mock() {
	kill -TERM "$MOCK_PID" 2>/dev/null; wait "$MOCK_PID" 2>/dev/null
	MOCK_PID=""
}
reset_received
eq "a turn" 200 "$(turn 'first')"
check "reaches the receiver with the key" wait_for 30 has_received 2
check "the flusher's connection goes idle and is closed" \
    wait_for 30 sh -c "[ \$(curl -sS '$RECV_URL/stats' | jq .idle_closed) -ge 2 ]"
eq "another turn" 200 "$(turn 'second')"
check "is shipped over a new connection" wait_for 30 has_received 4
eq "the flusher was never refused" 4 "$(stats unauthorized)"
check "nothing was set aside" sh -c "! ls '$SPOOL'/rejected/* 2>/dev/null | grep -q ."

# Google's protobuf reads the flusher's own bytes as ours does: decoded to
# text and packed again by it, they log the same traces.
n=$(jq -s 'map(select(.spans > 0)) | last | .n' "$RECV_LOG")
google decode < "$T/dump/$n.pb" | google encode > "$T/google.pb"
eq "the flusher's request, packed again by Google" 200 "$(post "$T/google.pb" -H "$auth")"
eq "logs the same traces" "$(jq -cS "select(.n == $n) | .traces" "$RECV_LOG")" \
    "$(tail -n 1 "$RECV_LOG" | jq -cS .traces)"

eq "chunked: /chat answers" 200 "$(turn 'soup MOCK_CHUNKED')"
eq "with the whole reply" "mock reply to: soup MOCK_CHUNKED" "$(resp '.messages[-1].content')"
eq "gzip: /chat answers" 200 "$(turn 'stew MOCK_GZIP')"
eq "with the reply inflated" "mock reply to: stew MOCK_GZIP" "$(resp '.messages[-1].content')"
eq "a body trickled within LLM_TIMEOUT_S: /chat answers" 200 "$(turn 'tea MOCK_TRICKLE=50')"
eq "with the whole reply" "mock reply to: tea MOCK_TRICKLE=50" "$(resp '.messages[-1].content')"
eq "a body trickled past LLM_TIMEOUT_S is 504" 504 "$(turn 'slow MOCK_TRICKLE=1500')"
eq "429 with Retry-After is 502" 502 "$(turn 'busy MOCK_429=7')"
eq "the detail names the status and the trace, as on main" \
    "model endpoint answered HTTP 429 (trace $(trace_id))" "$(resp .detail)"
eq "the completion span has the status" 429 "$(llm_attr http.response.status_code)"
eq "and the provider's message" \
    "model endpoint answered HTTP 429: Rate limit reached for requests" \
    "$(llm_span .status.message)"
eq "a total that is not the sum: /chat answers" 200 "$(turn 'bread MOCK_TOTAL=999')"
eq "the span keeps the provider's total" 999 "$(llm_attr llm.token_count.total)"
check "and its prompt and completion counts" test "$(llm_attr llm.token_count.completion)" -eq 5
eq "no total: /chat answers" 200 "$(turn 'rice MOCK_TOTAL=none')"
eq "the span's total is the sum" \
    "$(( $(llm_attr llm.token_count.prompt) + $(llm_attr llm.token_count.completion) ))" \
    "$(llm_attr llm.token_count.total)"

# The same modes as options, for every request.
end_mock
"$TESTS_BIN/mock-llm" --listen 127.0.0.1:0 --port-file "$T/mock2.port" \
    --chunked --gzip --trickle 10 --total 11 2>>"$T/mock.err" &
MOCK_PID=$!
wait_for 10 test -s "$T/mock2.port" || not_ok "mock-llm with options did not start"
M2=http://127.0.0.1:$(cat "$T/mock2.port")/v1/chat/completions
curl -sS -D "$T/hdr2" --compressed -o "$T/resp2" \
    -d '{"messages":[{"role":"user","content":"hi"}]}' "$M2"
eq "--chunked --gzip frame and encode the body" "chunked gzip" \
    "$(tr -d '\r' < "$T/hdr2" | sed -n 's/^Transfer-Encoding: //Ip; s/^Content-Encoding: //Ip' | tr '\n' ' ' | sed 's/ $//')"
eq "--total sets usage.total_tokens" 11 "$(jq .usage.total_tokens "$T/resp2")"
end_mock
"$TESTS_BIN/mock-llm" --listen 127.0.0.1:0 --port-file "$T/mock3.port" \
    --rate-limit 3 2>>"$T/mock.err" &
MOCK_PID=$!
wait_for 10 test -s "$T/mock3.port" || not_ok "mock-llm --rate-limit did not start"
eq "--rate-limit answers 429 with Retry-After" "429 3" "$(curl -sS -o /dev/null -D "$T/hdr3" \
    -w '%{http_code}' -d '{"messages":[]}' \
    "http://127.0.0.1:$(cat "$T/mock3.port")/v1/chat/completions") $(tr -d '\r' < "$T/hdr3" | sed -n 's/^Retry-After: //Ip')"
check "mock-llm --help names the modes" sh -c \
    "'$TESTS_BIN/mock-llm' --help | grep -q -- '--rate-limit SECS'"
check "a bad option value is refused" sh -c \
    "! timeout 10 '$TESTS_BIN/mock-llm' --listen 127.0.0.1:0 --trickle x 2>/dev/null"

# 5. A wrong key: Phoenix answers 401, which the flusher takes as a fault
# of its own settings (docs/flusher.md): nothing is set aside, the spans
# wait in the spool, and a flusher with the right key ships them.
stop_stack
end_mock
rm -f "$T/mock.port"	# start_mock_llm waits for it to be written anew
start_mock_llm
before=$(stats unauthorized)
start_stack OPENAI_BASE_URL="$MOCK_URL" PHOENIX_API_KEY=k-wrong
eq "a turn" 200 "$(turn 'pie')"
pie=$(trace_id)
check "a wrong key is refused with 401" \
    wait_for 30 sh -c "[ \$(curl -sS '$RECV_URL/stats' | jq .unauthorized) -gt $before ]"
stop_stack
start_stack OPENAI_BASE_URL="$MOCK_URL" PHOENIX_API_KEY=k-42
# has_trace ID: both spans of the turn with trace ID arrived.
has_trace() {
	[ "$(received_spans | jq -r "select(.traceId == \"$1\") | .spanId" |
	    sort -u | wc -l)" -ge 2 ]
}
check "with the right key, the turn's spans arrive" wait_for 60 has_trace "$pie"
check "and nothing was set aside" sh -c "! ls '$SPOOL'/rejected/* 2>/dev/null | grep -q ."
eq "the receiver's two readings never disagreed" 0 "$(stats disagreements)"
# lib.sh's stop_mock forgets RECV_PID, so the mock goes first, by hand.
end_mock
finish
