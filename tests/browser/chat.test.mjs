// chat.test.mjs - drives the chat page in headless Chromium. /chat is faked
// with page.route() so the page logic is tested without a model; the one
// test against the real server runs only with REAL_CHAT=1.
//
//   BASE_URL=http://127.0.0.1:8080 [REAL_CHAT=1] [SCREENSHOT=out.png] \
//     node --test tests/browser/chat.test.mjs

import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const REAL_CHAT = process.env.REAL_CHAT === '1';
const SCREENSHOT = process.env.SCREENSHOT || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SESSION_RE = /^session_\d{13}_[a-z0-9]+$/;
const SYSTEM_PROMPT = 'You are a friendly recipe assistant. SECRET-SYSTEM-TEXT';
const TEST_TIMEOUT = 30000;

const RECIPE = [
	'## Creamy Vegan Pasta',
	'',
	'A quick weeknight dinner for two, ready in **20 minutes**.',
	'',
	'### Ingredients',
	'- 200 g spaghetti',
	'- 1 cup cashews, soaked',
	'- 2 cloves garlic',
	'- Juice of half a lemon',
	'',
	'### Steps',
	'1. Cook the pasta in salted water.',
	'2. Blend cashews, garlic, lemon and `1/2 cup` pasta water.',
	'3. Toss together and season to taste.',
	'',
	'More ideas: [pasta guide](https://example.org/pasta)',
].join('\n');

let context;
let userDataDir;
let page;
let pageErrors;
let foreignRequests;
let badChatRequests;

before(async () => {
	assert.ok(BASE_URL, 'set BASE_URL, e.g. http://127.0.0.1:8080');
	userDataDir = mkdtempSync(join(tmpdir(), 'chat-test-chromium-'));
	context = await chromium.launchPersistentContext(userDataDir, {
		executablePath: CHROMIUM,
		headless: true,
		viewport: { width: 1000, height: 860 },
		args: ['--headless', '--no-sandbox', '--disable-gpu',
		    '--disable-quic', '--no-first-run',
		    '--disable-background-networking',
		    '--disable-component-update', '--disable-sync'],
	});
});

after(async () => {
	if (context)
		await context.close();
	if (userDataDir)
		rmSync(userDataDir, { recursive: true, force: true });
});

beforeEach(async () => {
	pageErrors = [];
	foreignRequests = [];
	badChatRequests = [];
	page = await context.newPage();
	page.on('pageerror', (e) => pageErrors.push(String(e)));
	// The page must load nothing from anywhere but its own origin.
	const origin = new URL(BASE_URL).origin;
	page.on('request', (r) => {
		const u = r.url();
		if (!u.startsWith('data:') && new URL(u).origin !== origin)
			foreignRequests.push(u);
	});
});

afterEach(async () => {
	await page.close();
	assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
	assert.deepEqual(foreignRequests, [], 'requests outside the origin');
	assert.deepEqual(badChatRequests, [], 'malformed POST /chat');
});

// Fakes POST /chat the way the server answers: the system prompt first,
// then the request's messages, then the reply. `plan` is a list of
// answers, one per request: {reply, sessionId?, status?, detail?, body?,
// abort?, delayMs?, gate?}; the last one repeats. A gate is a promise the
// answer waits for. Returns the request bodies; bodies.settled[i] resolves
// once the answer to request i was given (or found nobody to take it).
async function fakeChat(plan) {
	const bodies = [];
	bodies.settled = [];
	await page.route('**/chat', async (route) => {
		let done;
		bodies.settled.push(new Promise((r) => { done = r; }));
		await answerChat(route, plan, bodies);
		done();
	});
	return bodies;
}

// One fake answer to the request route holds (see fakeChat).
async function answerChat(route, plan, bodies) {
	const req = route.request();
	const type = req.headers()['content-type'] || '';
	if (req.method() !== 'POST' || !/^application\/json/.test(type))
		badChatRequests.push(req.method() + ' ' + type);
	const body = req.postDataJSON();
	bodies.push(body);
	const a = plan[Math.min(bodies.length - 1, plan.length - 1)];
	if (a.delayMs)
		await new Promise((r) => setTimeout(r, a.delayMs));
	if (a.gate)
		await a.gate;
	// A request cancelled by "New chat" can no longer be answered.
	const ignoreGone = () => {};
	if (a.abort)
		return route.abort('connectionrefused').catch(ignoreGone);
	if (a.status && a.status !== 200)
		return route.fulfill({ status: a.status,
		    contentType: a.body ? 'text/html' : 'application/json',
		    body: a.body ?? JSON.stringify({ detail: a.detail }) })
		    .catch(ignoreGone);
	const history = body.messages[0]?.role === 'system' ?
	    body.messages :
	    [{ role: 'system', content: SYSTEM_PROMPT }, ...body.messages];
	return route.fulfill({ status: 200,
	    contentType: 'application/json',
	    body: JSON.stringify({
		messages: [...history,
		    { role: 'assistant', content: a.reply }],
		session_id: a.sessionId ?? body.session_id,
	    }) }).catch(ignoreGone);
}

// Resolves once every image in the page has loaded or failed, so that an
// onerror handler that survived sanitizing would have run.
async function imagesSettled() {
	await page.waitForFunction(() =>
	    [...document.images].every((i) => i.complete));
}

async function open() {
	await page.goto(BASE_URL + '/');
	await page.waitForSelector('#session-id:not(:empty)');
}

async function say(text) {
	await page.fill('#input', text);
	await page.press('#input', 'Enter');
}

// Waits until the conversation shows n bubbles of a kind.
async function waitBubbles(kind, n) {
	await page.waitForFunction(([k, c]) =>
	    document.querySelectorAll('#messages .msg.' + k).length === c,
	    [kind, n], { timeout: 10000 });
}

async function footerSession() {
	return (await page.textContent('#session-id')).trim();
}

async function maybeScreenshot() {
	if (SCREENSHOT)
		await page.screenshot({ path: SCREENSHOT, fullPage: false });
}

test('session id: ours first, then the server\'s', { timeout: TEST_TIMEOUT },
    async () => {
	const bodies = await fakeChat([
		{ reply: 'Hi!', sessionId: 'srv-1234_abc' },
		{ reply: 'Sure.', sessionId: 'srv-1234_abc' }]);
	await open();
	const shown = await footerSession();
	assert.match(shown, SESSION_RE);

	await say('hello');
	await waitBubbles('assistant', 1);
	assert.equal(bodies[0].session_id, shown);
	assert.deepEqual(bodies[0].messages,
	    [{ role: 'user', content: 'hello' }]);
	assert.equal(await footerSession(), 'srv-1234_abc');

	await say('and dessert?');
	await waitBubbles('assistant', 2);
	assert.equal(bodies[1].session_id, 'srv-1234_abc');
	assert.deepEqual(bodies[1].messages, [
		{ role: 'system', content: SYSTEM_PROMPT },
		{ role: 'user', content: 'hello' },
		{ role: 'assistant', content: 'Hi!' },
		{ role: 'user', content: 'and dessert?' }]);
});

test('two pages get different session ids; a reload keeps its own',
    { timeout: TEST_TIMEOUT }, async () => {
	await open();
	const first = await footerSession();
	await page.reload();
	await page.waitForSelector('#session-id:not(:empty)');
	assert.equal(await footerSession(), first);
	const other = await context.newPage();
	try {
		await other.goto(BASE_URL + '/');
		await other.waitForSelector('#session-id:not(:empty)');
		const second = (await other.textContent('#session-id')).trim();
		assert.match(second, SESSION_RE);
		assert.notEqual(first, second);
	} finally {
		await other.close();
	}
});

test('Shift+Enter adds a line, Enter sends', { timeout: TEST_TIMEOUT },
    async () => {
	const bodies = await fakeChat([{ reply: 'ok' }]);
	await open();
	await page.click('#input');
	await page.keyboard.type('line one');
	await page.keyboard.press('Shift+Enter');
	await page.keyboard.type('line two');
	assert.equal(await page.inputValue('#input'), 'line one\nline two');
	assert.equal(bodies.length, 0);
	await page.keyboard.press('Enter');
	await waitBubbles('assistant', 1);
	assert.equal(bodies[0].messages[0].content, 'line one\nline two');
	assert.equal(await page.inputValue('#input'), '');
	// Blank input sends nothing.
	await page.fill('#input', '   \n ');
	await page.click('#send');
	// The next real message is the next request: the blank one sent none.
	await say('line three');
	await waitBubbles('assistant', 2);
	assert.equal(bodies.length, 2);
	assert.equal(bodies[1].messages.at(-1).content, 'line three');
	assert.equal(await page.locator('#messages .msg.user').count(), 2);
});

test('assistant Markdown is rendered', { timeout: TEST_TIMEOUT }, async () => {
	await fakeChat([
		{ reply: '## Pasta\n\n### Ingredients\n- 1 cup x' },
		{ reply: RECIPE }]);
	await open();
	await say('pasta please');
	await waitBubbles('assistant', 1);
	const a = page.locator('#messages .msg.assistant').first();
	assert.equal(await a.locator('h2').textContent(), 'Pasta');
	assert.equal(await a.locator('h3').textContent(), 'Ingredients');
	assert.equal(await a.locator('li').textContent(), '1 cup x');
	assert.doesNotMatch(await a.textContent(), /##/);

	await say('something vegan for two');
	await waitBubbles('assistant', 2);
	const b = page.locator('#messages .msg.assistant').nth(1);
	assert.equal(await b.locator('ol > li').count(), 3);
	const link = b.locator('a');
	assert.equal(await link.getAttribute('target'), '_blank');
	assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
	await maybeScreenshot();
});

test('replies are sanitized, user text is plain text',
    { timeout: TEST_TIMEOUT }, async () => {
	await fakeChat([{ reply: 'Enjoy!\n\n' +
	    '<img src=x onerror="window.__xss=1">\n\n' +
	    '<script>window.__xss=2</script>\n\n' +
	    '[click](javascript:window.__xss=3) ' +
	    '<a href="#" onclick="window.__xss=4">here</a>\n\n' +
	    '![tracker](https://example.org/pixel.png)' }]);
	await open();
	await say('<b>bold?</b><img src=y onerror="window.__xss=5">');
	await waitBubbles('assistant', 1);
	await imagesSettled();	// a broken image has fired onerror
	const u = page.locator('#messages .msg.user');
	assert.equal(await u.textContent(),
	    '<b>bold?</b><img src=y onerror="window.__xss=5">');
	assert.equal(await u.locator('b, img').count(), 0);
	const a = page.locator('#messages .msg.assistant');
	await a.locator('a', { hasText: 'click' }).click();
	await a.locator('a', { hasText: 'here' }).click();
	assert.equal(await page.evaluate(() => window.__xss), undefined);
	assert.equal(await page.locator('#messages script').count(), 0);
	assert.equal(await page.locator('[onerror], [onclick]').count(), 0);
	// The user's text shows the markup escaped; the reply has none of it.
	assert.doesNotMatch(await a.innerHTML(),
	    /onerror|onclick|<script|javascript:/i);
	assert.match(await a.textContent(), /Enjoy!/);
	// Images from other sites are dropped, their alt text kept.
	assert.equal(await a.locator('img[src*="example.org"]').count(), 0);
	assert.match(await a.textContent(), /\[tracker\]/);
});

test('system messages are never shown', { timeout: TEST_TIMEOUT },
    async () => {
	const bodies = await fakeChat([{ reply: 'First.' },
	    { reply: 'Second.' }]);
	await open();
	await say('one');
	await waitBubbles('assistant', 1);
	await say('two');
	await waitBubbles('assistant', 2);
	assert.equal(bodies[1].messages[0].role, 'system');
	assert.equal(await page.locator('#messages .msg').count(), 4);
	assert.doesNotMatch(await page.textContent('#messages'),
	    /SECRET-SYSTEM-TEXT/);
	const shown = await page.locator('#messages .msg .body')
	    .allTextContents();
	assert.deepEqual(shown.map((t) => t.trim()),
	    ['one', 'First.', 'two', 'Second.']);
});

test('an error keeps the history so a retry resends it',
    { timeout: TEST_TIMEOUT }, async () => {
	const bodies = await fakeChat([
		{ reply: 'Hello there.', sessionId: 'srv-err' },
		{ status: 422, detail: 'messages[1].role: unknown role' },
		{ reply: 'Recovered.', sessionId: 'srv-err' }]);
	await open();
	await say('hi');
	await waitBubbles('assistant', 1);
	await say('soup?');
	await waitBubbles('error', 1);
	assert.match(await page.textContent('#messages .msg.error'),
	    /messages\[1\]\.role: unknown role/);
	// The failed message stays visible and is back in the input.
	assert.equal(await page.locator('#messages .msg.user').count(), 2);
	assert.equal(await page.inputValue('#input'), 'soup?');
	assert.equal(await page.isEnabled('#send'), true);

	await page.click('#send');
	await waitBubbles('assistant', 2);
	assert.deepEqual(bodies[2], bodies[1]);
	assert.deepEqual(bodies[2].messages.map((m) => m.content),
	    [SYSTEM_PROMPT, 'hi', 'Hello there.', 'soup?']);
	assert.equal(bodies[2].session_id, 'srv-err');
});

test('errors without detail and network failures are shown',
    { timeout: TEST_TIMEOUT }, async () => {
	const bodies = await fakeChat([
		{ status: 502, body: '<html>Bad Gateway</html>' },
		{ abort: true },
		{ status: 500, detail: '' },
		{ reply: 'Finally.' }]);
	await open();
	await say('a');
	await waitBubbles('error', 1);
	await page.click('#send');
	await waitBubbles('error', 2);
	await page.click('#send');
	await waitBubbles('error', 3);
	assert.deepEqual(
	    await page.locator('#messages .msg.error .body').allTextContents(),
	    ['HTTP 502', 'Could not reach the server. Check your connection ' +
	    'and try again.', 'HTTP 500']);
	await page.click('#send');
	await waitBubbles('assistant', 1);
	assert.equal(bodies.length, 4);
	for (const b of bodies)
		assert.deepEqual(b.messages, [{ role: 'user', content: 'a' }]);
});

test('an unusable 200 answer is an error', { timeout: TEST_TIMEOUT },
    async () => {
	await page.route('**/chat', (route) => route.fulfill({ status: 200,
	    contentType: 'application/json', body: '{"messages": "nope"}' }));
	await open();
	await say('x');
	await waitBubbles('error', 1);
	assert.equal(await page.evaluate(() => chatHistory.length), 0);
	assert.equal(await page.inputValue('#input'), 'x');
});

test('New chat resets history and session id', { timeout: TEST_TIMEOUT },
    async () => {
	const bodies = await fakeChat([{ reply: 'Hi!', sessionId: 'srv-old' }]);
	await open();
	await say('hello');
	await waitBubbles('assistant', 1);
	assert.equal(await footerSession(), 'srv-old');

	await page.click('#new-chat');
	assert.equal(await page.locator('#messages .msg').count(), 0);
	assert.equal(await page.isVisible('#welcome'), true);
	const fresh = await footerSession();
	assert.match(fresh, SESSION_RE);

	await say('new topic');
	await waitBubbles('assistant', 1);
	assert.equal(bodies[1].session_id, fresh);
	assert.deepEqual(bodies[1].messages,
	    [{ role: 'user', content: 'new topic' }]);
});

test('New chat during a request drops the late reply',
    { timeout: TEST_TIMEOUT }, async () => {
	const bodies = await fakeChat([{ reply: 'LATE', sessionId: 'srv-late',
	    delayMs: 800 }, { reply: 'NEXT' }]);
	await open();
	await say('slow one');
	await page.waitForSelector('#typing', { state: 'visible' });
	await page.click('#new-chat');
	const fresh = await footerSession();
	assert.equal(await page.isHidden('#typing'), true);
	// The late answer has been given; one more round trip orders the
	// page's handling of it before the next reply.
	await bodies.settled[0];
	await say('after');
	await waitBubbles('assistant', 1);
	const shown = await page.locator('#messages .msg').allTextContents();
	assert.deepEqual(shown.map((t) => t.trim()), ['after', 'NEXT']);
	assert.equal(await footerSession(), fresh);
	assert.equal(await page.isEnabled('#send'), true);
});

test('typing indicator while waiting', { timeout: TEST_TIMEOUT }, async () => {
	let release;
	const gate = new Promise((r) => { release = r; });
	await fakeChat([{ reply: 'Done.', gate }]);
	await open();
	assert.equal(await page.isHidden('#typing'), true);
	await say('wait for it');
	// The answer is held until the indicator has been seen.
	await page.waitForSelector('#typing', { state: 'visible' });
	assert.equal(await page.isDisabled('#send'), true);
	// A second Enter while waiting sends nothing more.
	await say('impatient');
	release();
	await waitBubbles('assistant', 1);
	assert.equal(await page.isHidden('#typing'), true);
	assert.equal(await page.isEnabled('#send'), true);
	assert.equal(await page.locator('#messages .msg.user').count(), 1);
	assert.equal(await page.inputValue('#input'), 'impatient');
});

test('without the vendor libraries replies are plain text',
    { timeout: TEST_TIMEOUT }, async () => {
	await page.route('**/vendor/**', (route) => route.abort());
	await fakeChat([{ reply: '## Pasta\n<img src=x onerror="window.__xss=1">' }]);
	await open();
	await say('pasta');
	await waitBubbles('assistant', 1);
	await imagesSettled();
	const a = page.locator('#messages .msg.assistant');
	assert.equal(await a.textContent(),
	    '## Pasta\n<img src=x onerror="window.__xss=1">');
	assert.equal(await a.locator('h2, img').count(), 0);
	assert.equal(await page.evaluate(() => window.__xss), undefined);
});

test('real server answers with a recipe', {
	timeout: 60000,
	skip: REAL_CHAT ? false : 'set REAL_CHAT=1 to talk to the real /chat',
}, async () => {
	await open();
	await say('vegan pasta');
	await page.waitForSelector('#messages .msg.assistant h2',
	    { timeout: 15000 });
	assert.equal(await page.locator('#messages .msg.error').count(), 0);
	assert.notEqual(await footerSession(), '');
	await maybeScreenshot();
});
