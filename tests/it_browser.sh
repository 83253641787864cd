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

start_stack
# A build whose server does not route POST /feedback (nginx refuses it
# with 403) skips the one test that needs it, and says so.
fb=$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' -d '{}' "$BASE/feedback")
skips=0
case $fb in
403|404|405)
	skips=1
	echo "# POST /feedback answers $fb: the stack feedback test is skipped" ;;
esac
if (cd "$T/browser" && BASE_URL=$BASE REAL_CHAT=1 SPOOL_DIR=$SPOOL \
    SCREENSHOT=$T/chat.png node --test $TESTS) > "$T/browser.out" 2>&1; then
	ok "the page works in Chromium ($(grep -E '^# pass' "$T/browser.out"))"
else
	cat "$T/browser.out"
	not_ok "the page works in Chromium"
fi
check "$skips browser test(s) skipped" \
    grep -Eq "^# skipped $skips\$" "$T/browser.out"
spool_spans | jq -c 'select(.name == "chat_turn")' > "$T/turns"
check "the page's turn reached the spool with a page session id" \
    grep -Eq '"stringValue":"session_[0-9]{13}_[a-z0-9]+"' "$T/turns"
finish
