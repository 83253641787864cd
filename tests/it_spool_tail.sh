#!/bin/sh
# it_spool_tail.sh - spool-tail over a spool written by the real pool, with
# shipped segments in sent/ and live ones beside them: the line view,
# follow mode while the flusher moves files, trees, sessions, filters and
# --json, damaged lines, and users' votes from feedback segments beside
# their turns.
. "$SRC_DIR/tests/lib.sh"

TAIL=$BUILD_DIR/bin/spool-tail
[ -x "$TAIL" ] || { echo "$TAIL is missing" >&2; exit 1; }
turn() {	# turn SESSION TEXT [HISTORY-FILE]: one /chat turn; the reply
	# history is kept in $T/hist.SESSION for the next turn
	h=$T/hist.$1
	[ -f "$h" ] || echo '[]' > "$h"
	body=$(jq -c --arg s "$1" --arg m "$2" '{messages: (. + [{role: "user", content: $m}]), session_id: $s}' "$h")
	chat "$body" >/dev/null
	jq -c '.messages' "$T/resp" > "$h"
}

start_receiver
start_stack
turn sess-A "a vegan soup"
turn sess-A "something else"
turn sess-B "gluten-free pancakes"
stop_stack
# Ship what is there: those segments are finished and move to sent/.
env SPOOL_DIR="$SPOOL" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" \
    "$BUILD_DIR/bin/span-flusher" --once 2>>"$T/flush.log"
check "shipped segments are in sent/" sh -c "ls '$SPOOL'/sent/spans-*.jsonl"
start_stack
turn sess-A "and a dessert"
turn sess-B "for 4 people"
chat '{"messages": [' >/dev/null		# a 400: an ERROR span

ST() { "$TAIL" --spool "$SPOOL" --no-follow "$@"; }
ST -n 100 > "$T/lines" 2>"$T/err"
eq "every span is a line (pending and sent/)" 11 "$(wc -l < "$T/lines")"
eq "six agent spans (one is the 400)" 6 "$(grep -c ' AGENT ' "$T/lines")"
eq "five LLM calls" 5 "$(grep -c ' LLM ' "$T/lines")"
check "a line shows the session and input -> output" grep -q 'sess-A.*a vegan soup.*→' "$T/lines"
check "the ERROR span says so" grep -q 'ERROR' "$T/lines"
check "no colour when piped" sh -c "[ -s '$T/lines' ] && ! grep -q \"\$(printf '\\033')\" '$T/lines'"
check "--color forces it" sh -c "ST() { '$TAIL' --spool '$SPOOL' --no-follow --color; }; ST | grep -q \"\$(printf '\\033')\""
ST -n 3 > "$T/three"
eq "-n 3 prints 3 lines" 3 "$(wc -l < "$T/three")"
eq "-n keeps the newest" "$(tail -n 3 "$T/lines")" "$(cat "$T/three")"

# Filters
eq "--session" 6 "$(ST -n 100 --session sess-A | wc -l)"
eq "--kind LLM" 5 "$(ST -n 100 --kind LLM | grep -c ' LLM ')"
eq "--kind llm (any case) selects only LLM spans" 5 "$(ST -n 100 --kind llm | wc -l)"
eq "--errors" 1 "$(ST -n 100 --errors | wc -l)"
eq "--since 1h keeps everything" 11 "$(ST -n 100 --since 1h | wc -l)"
eq "--since a future time keeps nothing" "0 0" \
    "$(ST -n 100 --since 2099-01-01T00:00:00Z | wc -l) $(ST -n 100 --since 2099-01-01T00:00:00Z 2>&1 >/dev/null | wc -l)"
trace=$(spool_spans | jq -r 'select(.name == "chat_turn") | .traceId' | head -n 1)
eq "--trace with a prefix" 2 "$(ST -n 100 --trace "$(echo "$trace" | cut -c1-8)" | wc -l)"

# --json for jq
ST --json --session sess-A > "$T/json"
check "--json lines are OTLP/JSON" jq -n -R -e -f "$SRC_DIR/tests/check-otlp-json.jq" "$T/json"
eq "--json --session selects that session's 6 spans" 6 \
    "$(jq -c '.resourceSpans[].scopeSpans[].spans[]' "$T/json" | wc -l)"
check "... and nothing else" jq -e -s 'length > 0 and all(.[].resourceSpans[].scopeSpans[].spans[];
    any(.attributes[]; .key == "session.id" and .value.stringValue == "sess-A"))' "$T/json"
eq "--json --kind AGENT cuts lines to the selected spans" 6 \
    "$(ST --json --kind AGENT | jq -c '.resourceSpans[].scopeSpans[].spans[] | select(.name == "chat_turn")' | wc -l)"
check "with their resource" sh -c "ST() { '$TAIL' --spool '$SPOOL' --no-follow \"\$@\"; }; ST --json --kind AGENT | jq -e -s 'length > 0 and all(.[]; .resourceSpans[0].resource.attributes | length > 0)'"

# Sessions agree with what the spans say.
ST --sessions > "$T/sessions"
row() { grep "^$1 " "$T/sessions" || grep "$1" "$T/sessions"; }
check "a row per session" sh -c "grep -q sess-A '$T/sessions' && grep -q sess-B '$T/sessions'"
toks=$(spool_spans | jq -s '[.[] | select(any(.attributes[]; .key == "session.id" and .value.stringValue == "sess-A"))
    | .attributes[] | select(.key == "llm.token_count.total") | .value.intValue | tonumber] | add')
check "sess-A: 3 turns and $toks tokens" sh -c "row() { grep sess-A '$T/sessions'; }; row | grep -Eq '(^|[^0-9])3([^0-9]|$)' && row | grep -q '$toks'"
check "sess-A's first input is its first message" sh -c "grep sess-A '$T/sessions' | grep -q 'a vegan soup'"

# Trees
ST --tree --trace "$trace" > "$T/tree"
check "the tree has the turn and its LLM call" sh -c "grep -q chat_turn '$T/tree' && grep -q completion '$T/tree'"
indent() { grep "$1" "$T/tree" | head -n 1 | sed 's/[^ ].*//' | wc -c; }
check "completion is indented under chat_turn" test "$(indent completion)" -gt "$(indent chat_turn)"

# Follow: a new turn shows within a second (3 under the sanitizers), also
# while the flusher moves files; nothing is printed twice. It has read the
# spool once it prints the newest line.
"$TAIL" --spool "$SPOOL" -n 1 > "$T/follow" 2>"$T/follow.err" &
tailpid=$!
check "follow prints the newest line first" wait_for 10 test -s "$T/follow"
t0=$(date +%s%3N)
turn sess-C "a quick salad"
check "follow shows the new turn" wait_for 5 grep -q sess-C "$T/follow"
ms=$(( $(date +%s%3N) - t0 ))
check "within a second (${ms} ms)" test "$ms" -lt $((1000 * SLOW))
stop_stack				# segments finish ...
env SPOOL_DIR="$SPOOL" PHOENIX_COLLECTOR_ENDPOINT="$RECV_URL" \
    "$BUILD_DIR/bin/span-flusher" --once 2>>"$T/flush.log"	# ... and move
start_stack
turn sess-D "a curry"
check "it keeps following after files moved" wait_for 3 grep -q sess-D "$T/follow"
eq "and prints nothing twice" 0 "$(sort "$T/follow" | uniq -d | wc -l)"
kill -INT "$tailpid"; wait "$tailpid"
eq "Ctrl-C ends it with 0" 0 "$?"

# Each turn's session, trace and span id, for the votes below (before the
# damage, which jq would refuse).
spool_spans | jq -r 'select(.name == "chat_turn" and .parentSpanId == null)
    | (.attributes[] | select(.key == "session.id") | .value.stringValue)
      + " " + .traceId + " " + .spanId' > "$T/turns"

# Damage: unparsable and torn lines are skipped and counted.
seg=$(ls "$SPOOL"/sent/spans-*.jsonl | head -n 1)
echo 'not json at all' >> "$seg"
printf '{"resourceSpans":[{"resou' >> "$seg"
ST -n 100 > "$T/lines2" 2>"$T/err2"
eq "good lines still shown" "$(cat "$T/lines" | wc -l)" "$(ST -n 100 --since 2000-01-01T00:00:00Z 2>/dev/null | grep -vc sess-[CD])"
check "the unparsable line is counted" grep -q "skipped 1 unparsable" "$T/err2"
check "the torn tail is reported" grep -q "not whole lines" "$T/err2"

# Votes: a feedback segment beside the spans, its lines as feedrec_line
# writes them (docs/spool-format.md, "Feedback lines").
turn_of() {	# turn_of SESSION N: "TRACE SPAN" of SESSION's Nth turn
	grep "^$1 " "$T/turns" | sed -n "$2p" | cut -d' ' -f2-
}
FB=$SPOOL/feedback-$(date +%s%3N)-$$-0badcafe-0.jsonl
# Written as a pool worker writes its segment: created under a hidden
# name, locked, then renamed, and locked while it grows, so the stack's
# flusher ships its votes but leaves the file where it is.
: > "$SPOOL/.fb.tmp"
exec 8>>"$SPOOL/.fb.tmp"
flock -x 8
mv "$SPOOL/.fb.tmp" "$FB"
fb_vote() {	# fb_vote SESSION "TRACE SPAN" up|down [COMMENT]: append a vote
	set -- "$1" "${2% *}" "${2#* }" "$3" "${4-}"
	jq -nc --arg s "$1" --arg t "$2" --arg sp "$3" --arg v "$4" \
	    --arg c "$5" --arg ns "$(date +%s%N)" \
	    '{feedback: ({traceId: $t, spanId: $sp, sessionId: $s,
	      label: (if $v == "up" then "thumbs_up" else "thumbs_down" end),
	      score: (if $v == "up" then 1 else 0 end), comment: $c,
	      identifier: ("fb-" + $sp), timeUnixNano: $ns}
	      | if $c == "" then del(.comment) else . end)}' > "$T/vote"
	cat "$T/vote" >> "$FB"		# one write: a whole line
}
a1=$(turn_of sess-A 1); a2=$(turn_of sess-A 2); b1=$(turn_of sess-B 1)
b2=$(turn_of sess-B 2)
check "the turns to vote on are distinct" test -n "$a1" -a -n "$a2" \
    -a -n "$b1" -a -n "$b2" -a "$a1" != "$a2" -a "$b1" != "$b2"
short() { echo "$1" | cut -c1-8; }
fb_vote sess-A "$a1" up
fb_vote sess-A "$a1" down "too salty"	# changed: the latest counts
fb_vote sess-A "$a2" up
fb_vote sess-B "$b1" down "needs
more syrup"
U8() { LANG=C.UTF-8 LC_ALL= LC_CTYPE= "$@"; }
C() { LANG=C LC_ALL= LC_CTYPE= "$@"; }
U8 ST -n 100 > "$T/vlines"
eq "the voted turn shows its latest vote and comment" 1 \
    "$(grep "$(short "$a1") .*chat_turn.* 👎 \"too salty\" " "$T/vlines" | wc -l)"
eq "... once, on the turn alone (not its LLM call)" 1 "$(grep -c '👎 "too salty"' "$T/vlines")"
check "a comment is one line" grep -q "$(short "$b1") .*chat_turn.*👎 \"needs more syrup\"" "$T/vlines"
check "a vote without a comment is the mark alone" grep -q "$(short "$a2") .*chat_turn.* 👍 [a-z]" "$T/vlines"
eq "still a line per span" 11 "$(grep -vc 'sess-[CD]' "$T/vlines")"
C ST -n 100 > "$T/alines"
check "without a UTF-8 locale: +1/-1" sh -c "grep -q '$(short "$a1") .*chat_turn.* -1 \"too salty\"' '$T/alines' && ! grep -q '👎' '$T/alines'"
check "--ascii forces it" sh -c "LANG=C.UTF-8 '$TAIL' --spool '$SPOOL' --no-follow -n 100 --ascii | grep -q ' +1 a vegan soup\| +1 something else'"
U8 ST --tree --trace "$(short "$a1")" > "$T/vtree"
check "the tree shows the vote on the turn's row" grep -q "^  chat_turn .*| 👎 \"too salty\"" "$T/vtree"
check "... not on its children" sh -c "! grep completion '$T/vtree' | grep -q '👎'"
C ST --sessions > "$T/vsessions"
check "--sessions has UP and DOWN columns" grep -q "ERRORS   UP DOWN LAST ACTIVITY" "$T/vsessions"
votes_of() { grep "^$1 " "$T/vsessions" | awk '{ print $(NF-3), $(NF-2) }'; }
eq "sess-A: 1 up, 1 down (a changed vote counts as its latest)" "1 1" "$(votes_of sess-A)"
eq "sess-B: 0 up, 1 down" "0 1" "$(votes_of sess-B)"
check "👍 and 👎 headers in UTF-8" sh -c "LANG=C.UTF-8 '$TAIL' --spool '$SPOOL' --sessions | grep -q '   👍   👎 LAST'"
ST -n 100 --feedback down > "$T/down"
eq "--feedback down: the disliked turns and their LLM calls" 4 "$(wc -l < "$T/down")"
eq "... of those two turns only" 0 \
    "$(grep -vc "^[^ ]* \($(short "$a1")\|$(short "$b1")\) " "$T/down")"
eq "--feedback up" 2 "$(ST -n 100 --feedback up | grep -c "$(short "$a2")")"
eq "--feedback down --session sess-B" 2 "$(ST -n 100 --feedback down --session sess-B | wc -l)"
eq "--feedback down --tree" 2 "$(ST --tree --feedback down | grep -c '^trace')"
eq "--json --feedback down: those spans" 4 \
    "$(ST --json --feedback down | jq -c '.resourceSpans[].scopeSpans[].spans[]' | wc -l)"
check "a bad --feedback is refused" sh -c "! '$TAIL' --spool '$SPOOL' --no-follow --feedback sideways 2>'$T/e'"
check "with a message" grep -q "feedback: 'sideways' is neither up nor down" "$T/e"

# Follow: a vote on a turn already printed comes as its own line, and so
# does a changed one; with --feedback down, a new dislike as it comes.
U8env="env LANG=C.UTF-8 LC_ALL= LC_CTYPE="	# exec'd: $! is spool-tail
$U8env "$TAIL" --spool "$SPOOL" -n 100 > "$T/vfollow" 2>/dev/null &
vpid=$!
$U8env "$TAIL" --spool "$SPOOL" -n 1 --feedback down > "$T/vdown" 2>/dev/null &
dpid=$!
# Each has read the spool once it prints its first screen.
check "follow has printed the turns" wait_for 10 grep -q "$(short "$b2") .*chat_turn" "$T/vfollow"
check "--feedback down has printed the newest dislike" wait_for 10 test -s "$T/vdown"
fb_vote sess-B "$b2" down "arrived late"
check "a late vote prints a line naming the turn" wait_for 5 grep -q "$(short "$b2") VOTE   👎 sess-B \"arrived late\"" "$T/vfollow"
check "--feedback down follows the new dislike" wait_for 5 grep -q "$(short "$b2") VOTE   👎 sess-B" "$T/vdown"
fb_vote sess-B "$b2" up
check "a changed vote too" wait_for 5 grep -q "$(short "$b2") VOTE   👍 sess-B" "$T/vfollow"
kill -INT "$vpid" "$dpid"; wait "$vpid"; wait "$dpid"
eq "each vote printed once" 2 "$(grep -c ' VOTE ' "$T/vfollow")"

echo '{"feedback":"not a vote"}' >> "$FB"
ST -n 1 > /dev/null 2>"$T/verr"
check "a bad feedback line is skipped and counted" grep -q "skipped 1 unparsable feedback line" "$T/verr"

check "--help" sh -c "'$TAIL' --help | grep -q -- --sessions"
check "--help names --feedback and --ascii" sh -c "'$TAIL' --help | grep -q -- '--feedback up|down' && '$TAIL' --help | grep -q -- --ascii"
check "a bad --since is refused" sh -c "! '$TAIL' --spool '$SPOOL' --since yesterday 2>'$T/e'"
check "with a message" grep -q "since" "$T/e"
check "a missing spool is refused" sh -c "! '$TAIL' --spool '$T/nope' --no-follow 2>/dev/null"
finish
