#!/bin/sh
# it_feedback_ship.sh - span-flusher ships users' votes (feedback lines in
# the spool) to the Phoenix stand-in as span annotations: each identifier
# arrives once on its span, a changed vote ends as the newer one, nothing
# goes before its span, settings errors keep everything, refusals are set
# aside alone, kill -9 loses nothing, and a plain collector without
# PHOENIX_ENDPOINT leaves feedback waiting.
. "$SRC_DIR/tests/lib.sh"

FLUSHER=$BUILD_DIR/bin/span-flusher
FEEDGEN=$TESTS_BIN/feedgen
TRACE=5b8efff798038103d269b633813fc60c
ANNOT=$T/annot.log
RECV_ARGS="--annotations $ANNOT"
start_receiver

sid() { printf '%016x' "$((0xa0000 + $1))"; }

# spans DIR FIRST LAST: one spans line with chat_turn spans FIRST..LAST,
# in a segment written whole under a hidden name and then renamed: the
# flusher beside must never see it empty and unlocked (finished).
spans() {
	i=$2 sep="" seg=spans-$((1700000000000 + $2))-1-00000000-0.jsonl
	{
		printf '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"recipe-chat"}}]},"scopeSpans":[{"scope":{"name":"t"},"spans":['
		while [ "$i" -le "$3" ]; do
			printf '%s{"traceId":"%s","spanId":"%s","name":"chat_turn","kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000000000001","status":{}}' \
			    "$sep" "$TRACE" "$(sid "$i")"
			sep=,
			i=$((i + 1))
		done
		printf ']}]}]}\n'
	} > "$1/.$seg"
	mv "$1/.$seg" "$1/$seg"
}

# vote DIR N up|down [COMMENT]: one vote on span N, in a segment of its
# own, as /feedback writes it (tests/feedgen).
vote() { "$FEEDGEN" "$1" "$TRACE" "$(sid "$2")" "sess-$2" "$3" ${4+"$4"}; }

# flush DIR [VAR=value...] [args]: the flusher on DIR against the receiver.
flush() {
	d=$1; shift
	env SPOOL_DIR="$d" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" LOG_LEVEL=info \
	    OTEL_EXPORTER_OTLP_TIMEOUT=$((10000 * SLOW)) "$@" >>"$T/flush.log" 2>&1
}

# start_flush DIR [VAR=value...]: the flusher on DIR in the background,
# its own pid in FPID (kill -9 must reach the flusher itself).
start_flush() {
	d=$1; shift
	env SPOOL_DIR="$d" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" LOG_LEVEL=info \
	    OTEL_EXPORTER_OTLP_TIMEOUT=$((10000 * SLOW)) "$@" "$FLUSHER" \
	    >>"$T/flush.log" 2>&1 &
	FPID=$!
}

stat_of() { curl -fsS "$RECV_URL/stats" | jq -r ".$1"; }
annot_mode() { curl -fsS -o /dev/null -d "$1" "$RECV_URL/control/annotations"; }
# Distinct identifiers that arrived, and arrivals of one identifier.
idents() { jq -r .identifier "$ANNOT" | sort -u | wc -l; }
arrivals() { jq -r "select(.identifier == \"$1\") | .identifier" "$ANNOT" | wc -l; }
last_of() { jq -r "select(.identifier == \"$1\") | $2" "$ANNOT" | tail -n 1; }
has_idents() { [ "$(idents)" -ge "$1" ]; }
spool_dir() { mkdir -p "$T/$1"; echo "$T/$1"; }

# ---- Each vote once, on its span; a changed vote ends as the newer ----
d=$(spool_dir basic)
spans "$d" 1 3
vote "$d" 1 down "too salty"
vote "$d" 2 up
vote "$d" 1 up "fine after all"
flush "$d" "$FLUSHER" --once
eq "--once ships spans and feedback: exit 0" 0 "$?"
eq "two identifiers arrived" 2 "$(idents)"
eq "each identifier is one row (upserts)" 2 "$(stat_of annotations_distinct)"
eq "span 1's annotation is the newer vote" "thumbs_up 1 fine after all" \
    "$(last_of "fb-$(sid 1)" '"\(.result.label) \(.result.score) \(.result.explanation)"')"
eq "on span 1" "$(sid 1)" "$(last_of "fb-$(sid 1)" .span_id)"
eq "span 2: thumbs_up, no explanation" "thumbs_up 1 null" \
    "$(last_of "fb-$(sid 2)" '"\(.result.label) \(.result.score) \(.result.explanation)"')"
eq "name, kind and metadata as Phoenix wants them" \
    "user_feedback HUMAN sess-2 $TRACE" \
    "$(last_of "fb-$(sid 2)" '"\(.name) \(.annotator_kind) \(.metadata.session_id) \(.metadata.trace_id)"')"
eq "every annotation's span had arrived before it" 0 \
    "$(jq -r 'select(.span_known != true) | 1' "$ANNOT" | wc -l)"
eq "feedback segments moved to sent/" 3 "$(ls "$d"/sent/feedback-* | wc -l)"
eq "none left in the spool" 0 "$(ls "$d"/feedback-* 2>/dev/null | wc -l)"
check "feedback offsets in their own record" test -f "$d/.flusher/feedback-offsets"
n=$(wc -l < "$ANNOT")
flush "$d" "$FLUSHER" --once
eq "a second run sends nothing again" "$n" "$(wc -l < "$ANNOT")"

# ---- Nothing goes before its span: spans down, feedback waits ----------
d=$(spool_dir order)
spans "$d" 10 10
vote "$d" 10 down "cold"
receiver_mode 503
before=$(stat_of annotation_requests)
start_flush "$d"
wait_for 30 sh -c "[ \$(curl -fsS $RECV_URL/stats | jq .requests) -ge 3 ]"
check "spans were tried (503)" [ "$(stat_of requests)" -ge 3 ]
eq "no annotation request while its span is not shipped" "$before" \
    "$(stat_of annotation_requests)"
receiver_mode ok
check "then it arrives" wait_for 60 has_idents 3
eq "once" 1 "$(arrivals "fb-$(sid 10)")"
eq "after its span" true "$(last_of "fb-$(sid 10)" .span_known)"

# ---- 503 then ok: retried, delivered once ------------------------------
annot_mode "fail-next 2 503"
d2=$d
# In the pool's order: the turn's spans, then (after the answer) its vote.
spans "$d2" 11 11
vote "$d2" 11 up
check "after two 503s it arrives" wait_for 60 has_idents 4
eq "once" 1 "$(arrivals "fb-$(sid 11)")"
check "the retries were logged" grep -q "Phoenix unavailable for annotations" "$T/flush.log"
kill -TERM "$FPID"; wait "$FPID"

# ---- 401 (settings): nothing set aside; fixed, everything ships --------
d=$(spool_dir auth)
spans "$d" 20 20
vote "$d" 20 down
annot_mode "fail-next 1 401"
flush "$d" "$FLUSHER" --once
eq "--once with annotations refused 401 exits 4" 4 "$?"
check "and says to check the key" grep -q "refuses our settings for annotations" "$T/flush.log"
eq "nothing in rejected/" 0 "$(ls "$d"/rejected/ | wc -l)"
eq "the vote is still in the spool" 1 "$(ls "$d"/feedback-* | wc -l)"
flush "$d" "$FLUSHER" --once
eq "fixed: exit 0" 0 "$?"
eq "it arrived" 1 "$(arrivals "fb-$(sid 20)")"

# ---- A refused (422) record goes aside alone; the rest arrive ----------
d=$(spool_dir refuse)
spans "$d" 30 35
vote "$d" 30 up
for i in 31 32 33 34 35; do vote "$d" "$i" down; done
annot_mode "refuse $(sid 33)"
flush "$d" "$FLUSHER" --once
eq "--once after a refusal: exit 0" 0 "$?"
annot_mode ok
for i in 30 31 32 34 35; do
	eq "span $i's vote arrived once" 1 "$(arrivals "fb-$(sid "$i")")"
done
eq "the refused one did not" 0 "$(arrivals "fb-$(sid 33)")"
eq "it alone is in rejected/, under a feedback segment's name" "$(sid 33)" \
    "$(cat "$d"/rejected/feedback-*.jsonl | jq -r .feedback.spanId)"
check "with its reason" grep -q "HTTP 422" "$d"/rejected/feedback-*.jsonl.reason
flush "$d" "$FLUSHER" --once --redrive
eq "--redrive ships it as feedback" 1 "$(arrivals "fb-$(sid 33)")"

# ---- kill -9 mid-way loses nothing --------------------------------------
# 300 votes (3 batches of 100); the flusher is killed while Phoenix holds a
# request unanswered, then while it answers 503.
d=$(spool_dir kill)
spans "$d" 100 399
i=100
while [ "$i" -le 399 ]; do
	vote "$d" "$i" up
	i=$((i + 1))
done
base=$(idents)
# more_requests N: the receiver has seen more than N annotation requests.
more_requests() { [ "$(stat_of annotation_requests)" -gt "$1" ]; }
annot_mode silence
n=$(stat_of annotation_requests)
start_flush "$d"
check "a request is held" wait_for 60 more_requests "$n"
kill -KILL "$FPID"; wait "$FPID" 2>/dev/null
annot_mode "503"
n=$(stat_of annotation_requests)
start_flush "$d"
check "a request is answered 503" wait_for 60 more_requests "$n"
kill -KILL "$FPID"; wait "$FPID" 2>/dev/null
annot_mode ok
flush "$d" "$FLUSHER" --once
eq "after kill -9: --once exits 0" 0 "$?"
eq "all 300 votes arrived" $((base + 300)) "$(idents)"
eq "none left behind" 0 "$(ls "$d"/feedback-* 2>/dev/null | wc -l)"

# ---- A plain OTLP collector without PHOENIX_ENDPOINT: feedback waits ----
d=$(spool_dir plain)
spans "$d" 500 500
vote "$d" 500 down
flush "$d" OTEL_EXPORTER_OTLP_ENDPOINT="$RECV_URL" "$FLUSHER" --once
eq "--once: exit 4 (feedback has no Phoenix base URL)" 4 "$?"
check "the log names PHOENIX_ENDPOINT" grep -q "PHOENIX_ENDPOINT.*is unset" "$T/flush.log"
eq "the vote waits in the spool" 1 "$(ls "$d"/feedback-* | wc -l)"
eq "nothing sent for it" 0 "$(arrivals "fb-$(sid 500)")"
flush "$d" OTEL_EXPORTER_OTLP_ENDPOINT="$RECV_URL" PHOENIX_ENDPOINT="$RECV_URL/" "$FLUSHER" --once
eq "with PHOENIX_ENDPOINT: exit 0" 0 "$?"
eq "it arrived" 1 "$(arrivals "fb-$(sid 500)")"

finish
