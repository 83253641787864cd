#!/bin/sh
# it_browser.sh - the chat page in headless Chromium (tests/browser) against
# the real stack with the offline model. playwright-core is installed from
# npm into the build directory, never into the source tree.
. "$SRC_DIR/tests/lib.sh"

NPM_DIR=$BUILD_DIR/browser-tests
mkdir -p "$NPM_DIR"
for f in package.json package-lock.json chat.test.mjs; do
	cp "$SRC_DIR/tests/browser/$f" "$NPM_DIR/$f"
done
if ! cmp -s "$NPM_DIR/package-lock.json" "$NPM_DIR/node_modules/.installed-lock" 2>/dev/null; then
	(cd "$NPM_DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) ||
	    { echo "npm ci failed" >&2; exit 1; }
	cp "$NPM_DIR/package-lock.json" "$NPM_DIR/node_modules/.installed-lock"
fi

unset OPENAI_API_KEY OPENAI_BASE_URL MODEL_NAME
start_stack
if (cd "$NPM_DIR" && BASE_URL=$BASE REAL_CHAT=1 SCREENSHOT=$BUILD_DIR/chat.png \
    node --test chat.test.mjs) > "$T/browser.out" 2>&1; then
	ok "the page works in Chromium ($(grep -E '^# pass' "$T/browser.out"))"
else
	cat "$T/browser.out"
	not_ok "the page works in Chromium"
fi
spool_spans | jq -c 'select(.name == "chat_turn")' > "$T/turns"
check "the page's turn reached the spool with a page session id" \
    grep -Eq '"stringValue":"session_[0-9]{13}_[a-z0-9]+"' "$T/turns"
finish
