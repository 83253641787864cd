#!/bin/sh
# it_otlp_receiver.sh - the Phoenix stand-in the flusher tests ship to: what
# it accepts and refuses on /v1/traces, its log, its control modes, /stats,
# --down-file, keep-alive and 100-continue, and --encode.
. "$SRC_DIR/tests/lib.sh"

RECV=$TESTS_BIN/otlp-receiver
RECV_ARGS="--down-file $T/down"
# post FILE [curl args...]: POST FILE to /v1/traces with Content-Type $CT
# (default application/x-protobuf; empty: none); prints the status, the
# answer goes to $T/out and its headers to $T/hdr.
post() {
	local f=$1 ct=${CT-application/x-protobuf}; shift
	curl -sS -o "$T/out" -D "$T/hdr" -w '%{http_code}' \
	    -H "Content-Type:${ct:+ $ct}" "$@" \
	    --data-binary @"$f" "$RECV_URL/v1/traces"
}
control() { curl -sS -o /dev/null -w '%{http_code}' --data-binary "$1" "$RECV_URL/control"; }
stats() { curl -sS "$RECV_URL/stats" | jq -r ".$1"; }
header() { tr -d '\r' < "$T/hdr" | sed -n "s/^$1: //Ip"; }

# Three spans over two lines, as the spool holds them.
cat > "$T/spans.jsonl" <<'EOF'
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"recipe-chat"}}]},"scopeSpans":[{"scope":{"name":"rc"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"chat_turn","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000","attributes":[{"key":"openinference.span.kind","value":{"stringValue":"AGENT"}}],"status":{"code":1}},{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b8","parentSpanId":"00f067aa0ba902b7","name":"completion","kind":3,"startTimeUnixNano":"1700000000100000000","endTimeUnixNano":"1700000000900000000","attributes":[{"key":"llm.token_count.total","value":{"intValue":"42"}}]}]}]}]}

{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"other","kind":1,"startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}
EOF
check "--encode packs OTLP/JSON lines" sh -c "'$RECV' --encode < '$T/spans.jsonl' > '$T/req.pb' && test -s '$T/req.pb'"
echo '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}' > "$T/bad.jsonl"
check "--encode refuses a bad line" sh -c "! '$RECV' --encode < '$T/bad.jsonl' > /dev/null 2>&1"
gzip -c < "$T/req.pb" > "$T/req.gz"
perl -MCompress::Zlib -e 'local $/; binmode STDIN; binmode STDOUT; print compress(<STDIN>)' \
    < "$T/req.pb" > "$T/req.zz"
printf 'not a protobuf request \377\377' > "$T/junk"
: > "$T/empty"

start_receiver

# Accepted: plain, gzip, deflate; the answer is an empty response message.
eq "a protobuf request is accepted" 200 "$(post "$T/req.pb" -H 'X-Project-Name: recipes' -H 'Authorization: Bearer k-1' -H 'X-Other: 1')"
eq "the answer is protobuf" application/x-protobuf "$(header Content-Type)"
eq "an empty ExportTraceServiceResponse" 0 "$(wc -c < "$T/out")"
eq "gzip is accepted" 200 "$(post "$T/req.gz" -H 'Content-Encoding: gzip')"
eq "deflate is accepted" 200 "$(post "$T/req.zz" -H 'Content-Encoding: deflate')"
eq "an empty request is valid" 200 "$(post "$T/empty")"

# The log: one line per accepted request.
eq "four log lines" 4 "$(jq -c . "$RECV_LOG" | wc -l)"
l1=$(sed -n 1p "$RECV_LOG")
eq "n counts requests" "1 2 3 4" "$(jq -r .n "$RECV_LOG" | tr '\n' ' ' | sed 's/ $//')"
eq "spans of the first" 3 "$(printf '%s' "$l1" | jq .spans)"
eq "its span ids" "00f067aa0ba902b7 00f067aa0ba902b8 b7ad6b7169203331" \
    "$(printf '%s' "$l1" | jq -r '[.traces.resourceSpans[].scopeSpans[].spans[].spanId] | join(" ")')"
eq "the parent survives" 00f067aa0ba902b7 \
    "$(printf '%s' "$l1" | jq -r '.traces.resourceSpans[0].scopeSpans[0].spans[1].parentSpanId')"
eq "the authorization header" "Bearer k-1" "$(printf '%s' "$l1" | jq -r .authorization)"
eq "x- headers, names lowercased" '{"x-other":"1","x-project-name":"recipes"}' \
    "$(printf '%s' "$l1" | jq -c '.headers | to_entries | sort_by(.key) | from_entries')"
eq "no encoding is null" null "$(printf '%s' "$l1" | jq .content_encoding)"
eq "no authorization is null" null "$(sed -n 2p "$RECV_LOG" | jq .authorization)"
eq "encodings are logged" "gzip deflate" "$(sed -n '2,3p' "$RECV_LOG" | jq -r .content_encoding | tr '\n' ' ' | sed 's/ $//')"
eq "the gzip body decodes the same" "$(printf '%s' "$l1" | jq -c .traces)" "$(sed -n 2p "$RECV_LOG" | jq -c .traces)"

# Refused as Phoenix refuses.
eq "application/json is 415" 415 "$(CT=application/json post "$T/req.pb")"
eq "a charset parameter is 415" 415 "$(CT='application/x-protobuf; charset=utf-8' post "$T/req.pb")"
eq "another case is 415" 415 "$(CT=Application/x-protobuf post "$T/req.pb")"
eq "no content type is 415" 415 "$(CT= post "$T/req.pb")"
eq "br is 415" 415 "$(post "$T/req.pb" -H 'Content-Encoding: br')"
eq "a body that is not a request is 422" 422 "$(post "$T/junk")"
# Where Phoenix 20.26.1 answers oddly, the receiver answers as it does
# (docs/phoenix.md): a body that does not inflate is an uncaught exception,
# GET on the route is the UI's page, any other POST is 405.
eq "gzip that does not inflate is 500, as in Phoenix" 500 "$(post "$T/req.pb" -H 'Content-Encoding: gzip')"
eq "GET /v1/traces is the UI's page" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$RECV_URL/v1/traces")"
eq "a POST to another path is 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-protobuf' --data-binary @"$T/req.pb" "$RECV_URL/v1/metrics")"
eq "a 415 echoes the content type" "Unsupported content type: application/json" \
    "$(curl -s -H 'Content-Type: application/json' --data-binary @"$T/req.pb" "$RECV_URL/v1/traces")"
eq "refusals are not logged" 4 "$(wc -l < "$RECV_LOG")"
eq "stats count every request" 4/12/9 "$(stats accepted)/$(stats requests)/$(stats spans)"

# Control modes.
eq "control 503" 200 "$(control 503)"
eq "the mode shows in /stats" 503 "$(stats mode)"
eq "503 mode answers 503" 503 "$(post "$T/req.pb")"
eq "control 429 7" 200 "$(control '429 7')"
eq "429 mode answers 429" 429 "$(post "$T/req.pb")"
eq "with Retry-After" 7 "$(header Retry-After)"
control 400 >/dev/null
eq "400 mode answers 400" 400 "$(post "$T/req.pb")"
eq "with its text" "bad request from test" "$(cat "$T/out")"
eq "control partial 2" 200 "$(control 'partial 2')"
eq "partial mode answers 200" 200 "$(post "$T/req.pb")"
eq "with partial_success: rejected_spans=2, the message" \
    "0a 12 08 02 12 0e" "$(od -An -tx1 -N6 "$T/out" | sed 's/^ *//')"
check "the message is test rejection" grep -q "test rejection" "$T/out"
eq "partial requests are logged" 5 "$(wc -l < "$RECV_LOG")"
eq "control fail-next 2 502" 200 "$(control 'fail-next 2 502')"
eq "fail-next mode shows what is left" "fail-next 2 502" "$(stats mode)"
eq "the next two fail" "502 502" "$(post "$T/req.pb") $(post "$T/req.pb")"
eq "then back to ok" "200 ok" "$(post "$T/req.pb") $(stats mode)"
for bad in bogus '' 'fail-next 0 503' 'fail-next 1 200' '429' '429 x' 'partial -1' 'ok 1' '503 1 2 3'; do
	eq "control '$bad' is refused" 400 "$(control "$bad")"
done
eq "a refused control changes nothing" ok "$(stats mode)"

# silence: the request is read, never answered, and held until the mode
# changes (then the connection closes) or the client gives up.
control silence >/dev/null
eq "a silent receiver times the client out" 000 "$(post "$T/req.pb" --max-time 1 2>/dev/null)"
start=$(date +%s)
r0=$(stats requests)
post "$T/req.pb" --max-time 20 > "$T/held" 2>/dev/null &
held=$!
check "the held request has arrived" wait_for 10 sh -c "[ \$(curl -sS '$RECV_URL/stats' | jq .requests) -gt $r0 ]"
control ok >/dev/null
wait "$held"
eq "a held request ends unanswered when the mode changes" 000 "$(cat "$T/held")"
check "and promptly" test $(( $(date +%s) - start )) -lt 5
eq "then requests are answered again" 200 "$(post "$T/req.pb")"

# Keep-alive, and 100-continue answered at once.
eq "keep-alive: two requests, one connection" "1 0" "$(curl -s -o /dev/null -o /dev/null \
    -w '%{num_connects} ' "$RECV_URL/stats" "$RECV_URL/stats" | sed 's/ $//')"
start=$(date +%s)
eq "Expect: 100-continue is honoured" 200 "$(post "$T/req.pb" -H 'Expect: 100-continue' --expect100-timeout 10)"
check "without waiting for the client's timeout" test $(( $(date +%s) - start )) -lt 5

# The HTTP core (testhttp.c) on raw connections: stdin goes out on one
# connection, half-closed; prints the status of each answer.
raw() {
	perl -MIO::Socket::INET -e '
	    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]")
	        or die "connect: $!";
	    binmode STDIN; local $/; print $s scalar <STDIN>; shutdown($s, 1);
	    my $r = <$s> // "";
	    print join(" ", $r =~ m{^HTTP/1\.1 (\d{3})}mg), "\n";' \
	    "$(cat "$T/recv.port")"
}
eq "pipelined requests are answered in turn" "200 200 404" \
    "$(printf 'GET /stats HTTP/1.1\r\n\r\nPOST /control HTTP/1.1\r\nContent-Length: 2\r\n\r\nokGET /x HTTP/1.1\r\n\r\n' | raw)"
eq "Connection: close ends the connection" 200 \
    "$(printf 'GET /stats HTTP/1.1\r\nConnection: close\r\n\r\nGET /stats HTTP/1.1\r\n\r\n' | raw)"
eq "so does HTTP/1.0" 200 \
    "$(printf 'GET /stats HTTP/1.0\r\n\r\nGET /stats HTTP/1.1\r\n\r\n' | raw)"
eq "header names are case-insensitive" 200 \
    "$(printf 'POST /control HTTP/1.1\r\ncOnTeNt-LeNgTh: 2\r\n\r\nok' | raw)"
eq "a bad request line is 400" 400 "$(printf 'GARBAGE\r\n\r\n' | raw)"
eq "a bad header line is 400" 400 "$(printf 'GET /stats HTTP/1.1\r\nno colon\r\n\r\n' | raw)"
eq "a bad Content-Length is 400" 400 "$(printf 'POST /control HTTP/1.1\r\nContent-Length: -1\r\n\r\n' | raw)"
eq "two different Content-Lengths are 400" 400 \
    "$(printf 'POST /control HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok' | raw)"
eq "a body past the limit is 413" 413 \
    "$(printf 'POST /v1/traces HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n' | raw)"
eq "chunked bodies are 501" 501 \
    "$(printf 'POST /v1/traces HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' | raw)"
eq "a head past 64 KiB is 431" 431 \
    "$(perl -e 'print "GET /stats HTTP/1.1\r\nX: ", "a" x (65536 - 24)' | raw)"
eq "the receiver still serves" ok "$(stats mode)"

# --down-file: connections close unanswered while it exists.
touch "$T/down"
eq "down: no answer" 000 "$(post "$T/req.pb" 2>/dev/null)"
rm -f "$T/down"
eq "up again" 200 "$(post "$T/req.pb")"

eq "its second reading agreed with every log line" 0 "$(stats disagreements)"
check "every log line is one JSON object" sh -c "jq -n -R -e '[inputs | fromjson] | length == $(stats accepted)' '$RECV_LOG'"
kill -TERM "$RECV_PID"
wait "$RECV_PID"
eq "SIGTERM exits 0" 0 "$?"
RECV_PID=""
finish
