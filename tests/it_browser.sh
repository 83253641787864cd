#!/bin/sh
# it_browser.sh - the chat page in headless Chromium (tests/browser) against
# the real stack with the offline model: the conversation (chat.test.mjs)
# and the 👍/👎 under each answer (feedback.test.mjs). playwright-core is
# installed at build time into $BUILD_DIR/tests/browser
# (tests/CMakeLists.txt); this test writes only to its temp dir.
. "$SRC_DIR/tests/lib.sh"

NPM_DIR=$BUILD_DIR/tests/browser
TESTS="chat.test.mjs feedback.test.mjs"
[ -d "$NPM_DIR/node_modules/playwright-core" ] ||
	{ echo "$NPM_DIR/node_modules is missing: build first" >&2; exit 1; }
mkdir -p "$T/browser"
for f in $TESTS; do cp "$SRC_DIR/tests/browser/$f" "$T/browser/"; done
ln -s "$NPM_DIR/node_modules" "$T/browser/node_modules"

ANNOT=$T/annot.log
RECV_ARGS="--annotations $ANNOT"
start_receiver
start_stack
if (cd "$T/browser" && BASE_URL=$BASE REAL_CHAT=1 SPOOL_DIR=$SPOOL \
    SCREENSHOT=$T/chat.png node --test $TESTS) > "$T/browser.out" 2>&1; then
	ok "the page works in Chromium ($(grep -E '^# pass' "$T/browser.out"))"
else
	cat "$T/browser.out"
	not_ok "the page works in Chromium"
fi
check "no browser test skipped" grep -Eq "^# skipped 0\$" "$T/browser.out"
spool_spans | jq -c 'select(.name == "chat_turn")' > "$T/turns"
check "the page's turn reached the spool with a page session id" \
    grep -Eq '"stringValue":"session_[0-9]{13}_[a-z0-9]+"' "$T/turns"
# The page's 👎 with its comment, as the flusher ships it: one annotation
# on the turn's chat_turn span, after that span reached the collector.
jq -c 'select(.feedback.comment == "too salty, 🧂 less please") | .feedback' \
    "$SPOOL"/feedback-*.jsonl "$SPOOL"/sent/feedback-*.jsonl 2>/dev/null |
    tail -n 1 > "$T/vote"
span=$(jq -r .spanId "$T/vote")
check "the page's vote is in the spool" [ -n "$span" ]
voted() {
	jq -e --arg s "$span" 'select(.span_id == $s and .result.label ==
	    "thumbs_down" and .result.explanation == "too salty, 🧂 less please")' \
	    "$ANNOT" >/dev/null
}
check "it reaches the collector as an annotation on the turn's span" \
    wait_for 30 voted
check "named user_feedback, by a HUMAN, score 0, with the session" jq -e \
    --arg s "$span" --arg sess "$(jq -r .sessionId "$T/vote")" \
    'select(.span_id == $s) | select(.name == "user_feedback" and
    .annotator_kind == "HUMAN" and .result.score == 0 and
    .metadata.session_id == $sess)' "$ANNOT"
check "after its span was accepted" jq -e --arg s "$span" \
    'select(.span_id == $s) | .span_known' "$ANNOT"
has_received_span() { received_spans | jq -r .spanId | grep -qx "$span"; }
check "and the span itself is at the collector" has_received_span
finish
