#!/bin/sh
# it_browser.sh - the chat page in headless Chromium (tests/browser) against
# the real stack with the offline model. playwright-core is installed at
# build time into $BUILD_DIR/tests/browser (tests/CMakeLists.txt); this
# test writes only to its temp dir.
. "$SRC_DIR/tests/lib.sh"

NPM_DIR=$BUILD_DIR/tests/browser
[ -d "$NPM_DIR/node_modules/playwright-core" ] ||
	{ echo "$NPM_DIR/node_modules is missing: build first" >&2; exit 1; }
mkdir -p "$T/browser"
cp "$SRC_DIR/tests/browser/chat.test.mjs" "$T/browser/"
ln -s "$NPM_DIR/node_modules" "$T/browser/node_modules"

start_stack
if (cd "$T/browser" && BASE_URL=$BASE REAL_CHAT=1 SCREENSHOT=$T/chat.png \
    node --test chat.test.mjs) > "$T/browser.out" 2>&1; then
	ok "the page works in Chromium ($(grep -E '^# pass' "$T/browser.out"))"
else
	cat "$T/browser.out"
	not_ok "the page works in Chromium"
fi
check "no browser test was skipped" grep -Eq '^# skipped 0$' "$T/browser.out"
spool_spans | jq -c 'select(.name == "chat_turn")' > "$T/turns"
check "the page's turn reached the spool with a page session id" \
    grep -Eq '"stringValue":"session_[0-9]{13}_[a-z0-9]+"' "$T/turns"
finish
