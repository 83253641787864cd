// feedback.test.mjs - the 👍/👎 under each answer, in headless Chromium.
// Most tests fake /chat and /feedback with page.route() to check the exact
// requests, the pressed state, inline errors and the layout; the tests
// against the real stack run only with REAL_CHAT=1 (it_browser.sh then
// checks that the vote reaches the Phoenix stand-in as an annotation).
//
//   BASE_URL=http://127.0.0.1:8080 [REAL_CHAT=1 SPOOL_DIR=...] \
//     node --test tests/browser/feedback.test.mjs

import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const REAL_CHAT = process.env.REAL_CHAT === '1';
const SPOOL_DIR = process.env.SPOOL_DIR || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SESSION_RE = /^session_\d{13}_[a-z0-9]+$/;
const SYSTEM_PROMPT = 'You are a friendly recipe assistant.';
const TEST_TIMEOUT = 30000;
const UP = 'button[aria-label="Good answer"]';
const DOWN = 'button[aria-label="Bad answer"]';

let context;
let userDataDir;
let page;
let pageErrors;
let badFeedback;

before(async () => {
	assert.ok(BASE_URL, 'set BASE_URL, e.g. http://127.0.0.1:8080');
	userDataDir = mkdtempSync(join(tmpdir(), 'feedback-test-chromium-'));
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
	badFeedback = [];
	page = await context.newPage();
	page.on('pageerror', (e) => pageErrors.push(String(e)));
});

afterEach(async () => {
	await page.close();
	assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
	assert.deepEqual(badFeedback, [], 'malformed POST /feedback');
});

// Ids the fake /chat gives its n-th answer (from 1).
function traceId(n) { return n.toString(16).padStart(32, 'a'); }
function spanId(n) { return n.toString(16).padStart(16, 'b'); }

// Fakes POST /chat as the server answers it, naming the new answer's span
// unless opts.ids is false (or gives ids to use). Returns the bodies.
async function fakeChat(opts = {}) {
	const bodies = [];
	await page.route('**/chat', async (route) => {
		const body = route.request().postDataJSON();
		bodies.push(body);
		const n = bodies.length;
		const history = body.messages[0]?.role === 'system' ?
		    body.messages :
		    [{ role: 'system', content: SYSTEM_PROMPT }, ...body.messages];
		const reply = { messages: [...history,
		    { role: 'assistant', content: 'Answer ' + n + '.' }],
		    session_id: opts.sessionId ?? body.session_id };
		if (opts.ids !== false) {
			reply.trace_id = opts.ids?.trace_id ?? traceId(n);
			reply.span_id = opts.ids?.span_id ?? spanId(n);
		}
		await route.fulfill({ status: 200,
		    contentType: 'application/json',
		    body: JSON.stringify(reply) });
	});
	return bodies;
}

// Fakes POST /feedback: `plan` is a list of answers {status?, detail?,
// gate?}, one per request, the last one repeating; 202 {"id"} by default.
// Returns the request bodies.
async function fakeFeedback(plan = [{}]) {
	const bodies = [];
	await page.route('**/feedback', async (route) => {
		const req = route.request();
		const type = req.headers()['content-type'] || '';
		if (req.method() !== 'POST' || !/^application\/json/.test(type))
			badFeedback.push(req.method() + ' ' + type);
		const body = req.postDataJSON();
		bodies.push(body);
		const a = plan[Math.min(bodies.length - 1, plan.length - 1)];
		if (a.gate)
			await a.gate;
		const status = a.status ?? 202;
		await route.fulfill({ status: status,
		    contentType: 'application/json',
		    body: JSON.stringify(status === 202 ?
		    { id: 'fb-' + body.span_id } : { detail: a.detail }) });
	});
	return bodies;
}

async function open() {
	await page.goto(BASE_URL + '/');
	await page.waitForSelector('#session-id:not(:empty)');
}

async function say(text) {
	await page.fill('#input', text);
	await page.press('#input', 'Enter');
}

async function waitAnswers(n) {
	await page.waitForFunction((c) =>
	    document.querySelectorAll('#messages .msg.assistant').length === c,
	    n, { timeout: 10000 });
}

// The n-th answer (from 0) and the parts of its feedback controls.
function answer(n) {
	const li = page.locator('#messages .msg.assistant').nth(n);
	return {
		li: li,
		up: li.locator(UP),
		down: li.locator(DOWN),
		status: li.locator('.fb-status'),
		retry: li.locator('.fb-retry'),
		comment: li.locator('textarea'),
		count: li.locator('.fb-count'),
		send: li.locator('button.fb-send'),
	};
}

// Resolves with the next /feedback response the page gets.
function nextFeedback() {
	return page.waitForResponse((r) =>
	    new URL(r.url()).pathname.endsWith('/feedback'));
}

async function pressed(loc) {
	return await loc.getAttribute('aria-pressed');
}

async function box(loc) {
	const b = await loc.boundingBox();
	assert.ok(b, 'element has a box');
	return b;
}

async function waitStatus(a, re) {
	await page.waitForFunction(([el, src]) =>
	    new RegExp(src).test(el.textContent),
	    [await a.status.elementHandle(), re.source], { timeout: 10000 });
}

test('👎 sends the turn\'s ids at once; the comment and a changed vote ' +
    're-send them', { timeout: TEST_TIMEOUT }, async () => {
	await fakeChat({ sessionId: 'srv-fb' });
	const sent = await fakeFeedback();
	await open();
	await say('soup?');
	await waitAnswers(1);
	const a = answer(0);
	assert.equal(await pressed(a.up), 'false');
	assert.equal(await pressed(a.down), 'false');
	assert.equal(await a.comment.isVisible(), false);
	const prev = page.locator('#messages .msg.user').first();
	const before = await box(prev);
	const answerBefore = await box(a.li);

	let res = nextFeedback();
	await a.down.click();
	assert.equal((await res).status(), 202);
	assert.deepEqual(sent[0], { trace_id: traceId(1), span_id: spanId(1),
	    session_id: 'srv-fb', label: 'thumbs_down' });
	await waitStatus(a, /^Thanks! Vote sent\.$/);
	assert.equal(await pressed(a.down), 'true');
	assert.equal(await pressed(a.up), 'false');
	// Nothing moved: the controls had their space from the start.
	assert.deepEqual(await box(prev), before);
	assert.deepEqual(await box(a.li), answerBefore);

	assert.equal(await a.comment.isVisible(), true);
	assert.equal(await a.comment.getAttribute('maxlength'), '2000');
	await a.comment.fill('too salty');
	assert.equal((await a.count.textContent()).trim(), '9 / 2000');
	res = nextFeedback();
	await a.send.click();
	assert.equal((await res).status(), 202);
	assert.deepEqual(sent[1], { ...sent[0], comment: 'too salty' });
	await waitStatus(a, /^Thanks! Vote and comment sent\.$/);

	res = nextFeedback();
	await a.up.click();
	assert.equal((await (await res).json()).id, 'fb-' + spanId(1));
	assert.deepEqual(sent[2], { ...sent[1], label: 'thumbs_up' });
	assert.equal(await pressed(a.up), 'true');
	assert.equal(await pressed(a.down), 'false');
	assert.deepEqual(await box(prev), before);
	assert.deepEqual(await box(a.li), answerBefore);
	assert.equal(sent.length, 3);
});

test('a refused vote stays on screen as not sent, with the server\'s ' +
    'detail, and Retry sends it again', { timeout: TEST_TIMEOUT },
    async () => {
	await fakeChat();
	const sent = await fakeFeedback([
		{ status: 422, detail: 'session_id: not a session id' },
		{ status: 429, detail: 'too many requests from this client' },
		{}]);
	await open();
	await say('one');
	await waitAnswers(1);
	await say('two');
	await waitAnswers(2);
	const a = answer(1);
	const prev = page.locator('#messages .msg').nth(2);
	const before = await box(prev);
	assert.equal(await a.retry.isVisible(), false);

	let res = nextFeedback();
	await a.up.click();
	assert.equal((await res).status(), 422);
	await waitStatus(a, /^Not sent: session_id: not a session id$/);
	assert.equal(await a.status.getAttribute('role'), 'status');
	assert.equal(await pressed(a.up), 'true');
	assert.equal(await a.retry.isVisible(), true);
	assert.deepEqual(await box(prev), before);

	res = nextFeedback();
	await a.retry.click();
	assert.equal((await res).status(), 429);
	await waitStatus(a, /^Not sent: too many requests from this client$/);

	res = nextFeedback();
	await a.retry.focus();
	await page.keyboard.press('Enter');
	assert.equal((await res).status(), 202);
	await waitStatus(a, /^Thanks! Vote sent\.$/);
	assert.equal(await a.retry.isVisible(), false);
	// Retry went away under the focus: it moves to the chosen vote.
	assert.equal(await a.up.evaluate((e) => e === document.activeElement),
	    true);
	assert.equal(sent.length, 3);
	for (const b of sent)
		assert.deepEqual(b, { trace_id: traceId(2), span_id: spanId(2),
		    session_id: sent[0].session_id, label: 'thumbs_up' });
	assert.match(sent[0].session_id, SESSION_RE);
	assert.deepEqual(await box(prev), before);
	// The earlier answer was not touched.
	assert.equal(await pressed(answer(0).up), 'false');
});

test('keyboard: Tab reaches 👍, Space votes, Enter sends the comment',
    { timeout: TEST_TIMEOUT }, async () => {
	await fakeChat();
	const sent = await fakeFeedback();
	await open();
	await say('plain answer please');
	await waitAnswers(1);
	const a = answer(0);
	await page.focus('#new-chat');
	await page.keyboard.press('Tab');
	assert.equal(await a.up.evaluate((e) => e === document.activeElement),
	    true);
	let res = nextFeedback();
	await page.keyboard.press('Space');
	await res;
	assert.equal(await pressed(a.up), 'true');
	await page.keyboard.press('Tab');
	res = nextFeedback();
	await page.keyboard.press('Enter');
	await res;
	assert.equal(await pressed(a.down), 'true');
	assert.equal(await pressed(a.up), 'false');
	// Past the status (not focusable) and the hidden Retry, the comment.
	await page.keyboard.press('Tab');
	assert.equal(await a.comment.evaluate((e) =>
	    e === document.activeElement), true);
	await page.keyboard.type('needs salt');
	await page.keyboard.press('Shift+Enter');
	await page.keyboard.type('and pepper');
	res = nextFeedback();
	await page.keyboard.press('Enter');
	await res;
	assert.deepEqual(sent.map((b) => [b.label, b.comment]), [
		['thumbs_up', undefined], ['thumbs_down', undefined],
		['thumbs_down', 'needs salt\nand pepper']]);
	assert.equal(await a.comment.evaluate((e) =>
	    e === document.activeElement), true);
});

test('the comment is limited to 2,000 characters, not UTF-16 units',
    { timeout: TEST_TIMEOUT }, async () => {
	await fakeChat();
	const sent = await fakeFeedback();
	await open();
	await say('x');
	await waitAnswers(1);
	const a = answer(0);
	let res = nextFeedback();
	await a.down.click();
	await res;
	await a.comment.fill('\u{1F345}'.repeat(2001));
	assert.equal((await a.count.textContent()).trim(), '2000 / 2000');
	res = nextFeedback();
	await a.send.click();
	await res;
	assert.equal(Array.from(sent[1].comment).length, 2000);
	assert.equal(sent[1].comment, '\u{1F345}'.repeat(2000));
});

test('answers that do not name their span get no buttons',
    { timeout: TEST_TIMEOUT }, async () => {
	await fakeChat({ ids: false });
	await open();
	await say('a');
	await waitAnswers(1);
	assert.equal(await page.locator('.feedback').count(), 0);
	await page.unroute('**/chat');
	await fakeChat({ ids: { trace_id: traceId(1).toUpperCase(),
	    span_id: spanId(1) } });
	await say('b');
	await waitAnswers(2);
	await page.unroute('**/chat');
	await fakeChat({ ids: { trace_id: traceId(1), span_id: 'b1' } });
	await say('c');
	await waitAnswers(3);
	assert.equal(await page.locator('.feedback, .fb-vote').count(), 0);
});

test('a reload keeps the session, the conversation and the votes',
    { timeout: TEST_TIMEOUT }, async () => {
	const chats = await fakeChat({ sessionId: 'srv-keep' });
	const sent = await fakeFeedback();
	await open();
	await say('first');
	await waitAnswers(1);
	let res = nextFeedback();
	await answer(0).down.click();
	await res;

	await page.reload();
	await page.waitForSelector('#session-id:not(:empty)');
	assert.equal((await page.textContent('#session-id')).trim(),
	    'srv-keep');
	await waitAnswers(1);
	assert.equal(await pressed(answer(0).down), 'true');
	await waitStatus(answer(0), /^Thanks! Vote sent\.$/);

	await say('second');
	await waitAnswers(2);
	assert.equal(chats[1].session_id, 'srv-keep');
	assert.deepEqual(chats[1].messages.map((m) => m.content),
	    [SYSTEM_PROMPT, 'first', 'Answer 1.', 'second']);
	// The restored answer still votes for its own span.
	res = nextFeedback();
	await answer(0).up.click();
	await res;
	assert.equal(sent[1].span_id, spanId(1));
	assert.equal(sent[1].session_id, 'srv-keep');

	// New chat starts a session that the next reload keeps.
	await page.click('#new-chat');
	const fresh = (await page.textContent('#session-id')).trim();
	assert.match(fresh, SESSION_RE);
	await page.reload();
	await page.waitForSelector('#session-id:not(:empty)');
	assert.equal((await page.textContent('#session-id')).trim(), fresh);
	assert.equal(await page.locator('#messages .msg').count(), 0);
});

test('a vote changed while one is in flight is sent after it',
    { timeout: TEST_TIMEOUT }, async () => {
	let release;
	const gate = new Promise((r) => { release = r; });
	await fakeChat();
	const sent = await fakeFeedback([{ gate }, {}]);
	await open();
	await say('x');
	await waitAnswers(1);
	const a = answer(0);
	const first = nextFeedback();
	await a.up.click();
	await page.waitForFunction(() => document.querySelector('.fb-status')
	    .textContent.startsWith('Sending'));
	await a.down.click();
	assert.equal(await pressed(a.down), 'true');
	// The second request waits for the first answer.
	assert.equal(sent.length, 1);
	const second = nextFeedback();
	release();
	await first;
	await second;
	await waitStatus(a, /^Thanks! Vote sent\.$/);
	assert.deepEqual(sent.map((b) => b.label),
	    ['thumbs_up', 'thumbs_down']);
});

// --- against the real stack (it_browser.sh) ---

// The server's answer to a POST /feedback it must refuse; 403, 404 or 405
// mean the route is not there (nginx refuses POST outside its routes).
// The feedback lines in the spool, pending or shipped.
function spoolFeedback() {
	const lines = [];
	for (const dir of [SPOOL_DIR, join(SPOOL_DIR, 'sent')]) {
		let names = [];
		try {
			names = readdirSync(dir);
		} catch (e) {
			continue;
		}
		for (const n of names.filter((f) =>
		    /^feedback-.*\.jsonl$/.test(f)))
			for (const l of readFileSync(join(dir, n), 'utf8')
			    .split('\n'))
				if (l !== '')
					lines.push(JSON.parse(l).feedback);
	}
	return lines;
}

test('real stack: a reload keeps the session for the next /chat', {
	timeout: 60000,
	skip: REAL_CHAT ? false : 'set REAL_CHAT=1 to talk to the real /chat',
}, async () => {
	await open();
	let chat = page.waitForResponse((r) => r.url().endsWith('/chat'));
	await say('vegan pasta');
	const first = await (await chat).json();
	await waitAnswers(1);
	await page.reload();
	await page.waitForSelector('#session-id:not(:empty)');
	chat = page.waitForRequest((r) => r.url().endsWith('/chat'));
	await say('and a dessert?');
	const next = (await chat).postDataJSON();
	assert.equal(next.session_id, first.session_id);
	assert.deepEqual(next.messages.slice(0, -1), first.messages);
	await waitAnswers(2);
});

test('real stack: 👎 with a comment reaches the spool on the turn\'s span', {
	timeout: 60000,
	skip: REAL_CHAT ? false : 'set REAL_CHAT=1 to talk to the real /chat',
}, async () => {
	assert.ok(SPOOL_DIR, 'set SPOOL_DIR to the stack\'s spool');
	await open();
	const chat = page.waitForResponse((r) => r.url().endsWith('/chat'));
	await say('vegan pasta');
	const turn = await (await chat).json();
	assert.match(turn.trace_id, /^[0-9a-f]{32}$/);
	assert.match(turn.span_id, /^[0-9a-f]{16}$/);
	const a = answer(0);
	await a.down.waitFor();
	let res = nextFeedback();
	await a.down.click();
	assert.equal((await res).status(), 202);
	await a.comment.fill('too salty, 🧂 less please');
	res = nextFeedback();
	await a.send.click();
	const r = await res;
	assert.equal(r.status(), 202);
	assert.deepEqual(await r.json(), { id: 'fb-' + turn.span_id });
	await waitStatus(a, /^Thanks! Vote and comment sent\.$/);
	// 202 means the line is in the spool already (same durability as
	// spans), so there is nothing to wait for.
	// Two pool workers may write two segments: order by vote time.
	const mine = spoolFeedback().filter((f) => f.spanId === turn.span_id)
	    .sort((x, y) => Number(BigInt(x.timeUnixNano) -
	    BigInt(y.timeUnixNano)));
	assert.equal(mine.length, 2);
	assert.deepEqual(mine.map((f) => [f.label, f.score, f.comment ?? null]),
	    [['thumbs_down', 0, null],
	    ['thumbs_down', 0, 'too salty, 🧂 less please']]);
	for (const f of mine) {
		assert.equal(f.traceId, turn.trace_id);
		assert.equal(f.sessionId, turn.session_id);
		assert.equal(f.identifier, 'fb-' + turn.span_id);
	}
});
