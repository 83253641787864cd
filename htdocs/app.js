/* app.js - the chat page: conversation state, POST /chat, the 👍/👎 on
 * each answer (POST /feedback), and rendering. Assistant replies are
 * Markdown (marked) sanitized by DOMPurify; without both libraries they are
 * shown as plain text. See docs/frontend.md. */
'use strict';

const CHAT_URL = 'chat';
const FEEDBACK_URL = 'feedback';
const REQUEST_TIMEOUT_MS = 120000;
const FEEDBACK_TIMEOUT_MS = 15000;
const SESSION_RANDOM_LEN = 9;
const SESSION_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/* The server's limit, in characters (code points), not UTF-16 units. */
const COMMENT_MAX = 2000;
/* Per tab: a reload keeps the conversation, another tab starts its own. */
const STORE_KEY = 'recipe-chat.v1';
const SESSION_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const TRACE_ID_RE = /^[0-9a-f]{32}$/;
const SPAN_ID_RE = /^[0-9a-f]{16}$/;
/* The word beside the emoji keeps the buttons readable without an emoji
 * font; the accessible name contains it. */
const VOTES = [
	{ label: 'thumbs_up', emoji: '\u{1F44D}', word: 'Good',
	    name: 'Good answer' },
	{ label: 'thumbs_down', emoji: '\u{1F44E}', word: 'Bad',
	    name: 'Bad answer' },
];

/* The server's id replaces ours after the first answer; see send(). */
let sessionId = generateSessionId();
/* Exactly what the server last returned (system prompt included). */
let chatHistory = [];
/* Feedback state of the answers that name their span, by their index in
 * chatHistory; see feedbackTurn(). */
let turns = new Map();
/* Aborts the request in flight; null when idle. */
let inflight = null;

const ui = {
	chat: document.getElementById('chat'),
	messages: document.getElementById('messages'),
	welcome: document.getElementById('welcome'),
	typing: document.getElementById('typing'),
	form: document.getElementById('composer'),
	input: document.getElementById('input'),
	send: document.getElementById('send'),
	newChat: document.getElementById('new-chat'),
	session: document.getElementById('session-id'),
};

function
generateSessionId()
{
	/* 252 = 7 * 36: rejecting bytes above it keeps every letter equally
	 * likely. */
	const out = [];
	const bytes = new Uint8Array(32);
	while (out.length < SESSION_RANDOM_LEN) {
		crypto.getRandomValues(bytes);
		for (const b of bytes) {
			if (b < 252 && out.length < SESSION_RANDOM_LEN)
				out.push(SESSION_ALPHABET[b % 36]);
		}
	}
	return 'session_' + Date.now() + '_' + out.join('');
}

/* --- rendering --- */

function
markdownAvailable()
{
	return typeof window.marked === 'object' &&
	    typeof window.marked.parse === 'function' &&
	    typeof window.DOMPurify === 'function' &&
	    typeof window.DOMPurify.sanitize === 'function' &&
	    window.DOMPurify.isSupported;
}

function
setupMarkdown()
{
	if (!markdownAvailable())
		return;
	window.marked.use({ gfm: true, breaks: true, async: false });
	/* Links in replies open in a new tab and leak nothing to the target. */
	window.DOMPurify.addHook('afterSanitizeAttributes', (node) => {
		if (node.tagName === 'A' && node.hasAttribute('href')) {
			node.setAttribute('target', '_blank');
			node.setAttribute('rel', 'noopener noreferrer');
		}
	});
}

/* The page fetches nothing from other sites (the CSP blocks it anyway), so
 * an image from elsewhere becomes its alt text. */
function
dropForeignImages(frag)
{
	for (const img of frag.querySelectorAll('img')) {
		const url = new URL(img.getAttribute('src') || '', location.href);
		if (url.origin === location.origin || url.protocol === 'data:')
			continue;
		const alt = img.getAttribute('alt') || '';
		img.replaceWith(document.createTextNode(alt ? '[' + alt + ']' : ''));
	}
}

/* Markdown -> sanitized DOM fragment, or null to fall back to text. */
function
renderMarkdown(text)
{
	if (!markdownAvailable())
		return null;
	try {
		const html = window.marked.parse(text);
		const frag = window.DOMPurify.sanitize(html, {
			RETURN_DOM_FRAGMENT: true,
			FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea'],
			FORBID_ATTR: ['style'],
		});
		dropForeignImages(frag);
		return frag;
	} catch (e) {
		console.warn('markdown rendering failed, showing text', e);
		return null;
	}
}

function
elem(tag, cls, text)
{
	const e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined)
		e.textContent = text;
	return e;
}

function
addBubble(kind, text)
{
	const li = document.createElement('li');
	li.className = 'msg ' + kind;
	const body = document.createElement('div');
	body.className = 'body';
	const frag = kind === 'assistant' ? renderMarkdown(text) : null;
	if (frag !== null) {
		body.classList.add('markdown');
		body.appendChild(frag);
	} else {
		body.textContent = text;
	}
	li.appendChild(body);
	ui.messages.appendChild(li);
	ui.welcome.hidden = true;
	scrollToEnd();
	return li;
}

/* An answer, with 👍/👎 under it when it names its span (turn not null). */
function
addAnswer(text, turn)
{
	const li = addBubble('assistant', text);
	if (turn) {
		li.classList.add('rated');
		li.appendChild(feedbackControls(turn));
		feedbackRender(turn);
		scrollToEnd();
	}
	return li;
}

function
scrollToEnd()
{
	ui.chat.scrollTop = ui.chat.scrollHeight;
}

function
setBusy(busy)
{
	ui.send.disabled = busy;
	ui.typing.hidden = !busy;
	/* The indicator sits after the list, so keep it in view. */
	if (busy)
		scrollToEnd();
}

function
showSession()
{
	ui.session.textContent = sessionId;
}

function
autoGrow()
{
	ui.input.style.height = 'auto';
	ui.input.style.height = ui.input.scrollHeight + 'px';
}

/* --- talking to the server --- */

/* The human-readable reason of a failed response. */
async function
errorMessage(res)
{
	let detail = null;
	try {
		detail = (await res.json()).detail;
	} catch (e) {
		/* Not JSON (e.g. a proxy's HTML error page). */
	}
	if (typeof detail === 'string' && detail !== '')
		return detail;
	if (Array.isArray(detail) && detail.length > 0)
		return detail.map((d) => (d && d.msg) || String(d)).join('; ');
	return 'HTTP ' + res.status;
}

function
validReply(data)
{
	return data !== null && typeof data === 'object' &&
	    Array.isArray(data.messages) && data.messages.length > 0 &&
	    typeof data.session_id === 'string' && data.session_id !== '';
}

/* The index of the last assistant message, or -1. */
function
lastAssistant(messages)
{
	for (let i = messages.length - 1; i >= 0; i--) {
		const m = messages[i];
		if (m && m.role === 'assistant' && typeof m.content === 'string')
			return i;
	}
	return -1;
}

/* POST the conversation; resolves to the parsed reply or throws an Error
 * whose message is fit to show. */
async function
postChat(messages, ctl)
{
	let res;
	try {
		res = await fetch(CHAT_URL, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ messages: messages,
			    session_id: sessionId }),
			signal: ctl.signal,
		});
	} catch (e) {
		if (ctl.signal.aborted && ctl.timedOut)
			throw new Error('The server took too long to answer. ' +
			    'Please try again.');
		throw new Error('Could not reach the server. Check your ' +
		    'connection and try again.');
	}
	if (!res.ok)
		throw new Error(await errorMessage(res));
	let data = null;
	try {
		data = await res.json();
	} catch (e) {
		/* handled below */
	}
	if (!validReply(data) || lastAssistant(data.messages) < 0)
		throw new Error('The server sent an answer this page does ' +
		    'not understand.');
	return data;
}

async function
send()
{
	const text = ui.input.value.trim();
	if (text === '' || inflight !== null)
		return;
	const outgoing = chatHistory.concat([{ role: 'user', content: text }]);
	const userBubble = addBubble('user', text);
	ui.input.value = '';
	autoGrow();

	const ctl = new AbortController();
	ctl.timedOut = false;
	const timer = setTimeout(() => {
		ctl.timedOut = true;
		ctl.abort();
	}, REQUEST_TIMEOUT_MS);
	inflight = ctl;
	setBusy(true);
	try {
		const data = await postChat(outgoing, ctl);
		if (inflight !== ctl)
			return;		/* "New chat" was pressed meanwhile */
		chatHistory = data.messages;
		sessionId = data.session_id;
		showSession();
		const i = lastAssistant(data.messages);
		const turn = feedbackTurn(data, i);
		if (turn !== null)
			turns.set(i, turn);
		addAnswer(data.messages[i].content, turn);
		storeSave();
	} catch (e) {
		if (inflight !== ctl)
			return;
		/* chatHistory is untouched, so sending again resends the same
		 * conversation. */
		userBubble.classList.add('failed');
		addBubble('error', e.message);
		if (ui.input.value.trim() === '') {
			ui.input.value = text;
			autoGrow();
		}
	} finally {
		clearTimeout(timer);
		if (inflight === ctl) {
			inflight = null;
			setBusy(false);
		}
	}
}

function
newChat()
{
	if (inflight !== null) {
		const ctl = inflight;
		inflight = null;
		ctl.abort();
		setBusy(false);
	}
	chatHistory = [];
	turns = new Map();
	sessionId = generateSessionId();
	storeSave();
	ui.messages.replaceChildren();
	ui.welcome.hidden = false;
	ui.input.value = '';
	autoGrow();
	showSession();
	ui.input.focus();
}

/* --- feedback: 👍/👎 and an optional comment under an answer --- */

/* A turn is one answer's feedback: the ids that name its chat_turn span,
 * the vote chosen (label), the comment, what the server last accepted
 * (sent), and how the last request went (state: idle, sending, sent,
 * failed). */
function
feedbackNew(index, traceId, spanId, sid)
{
	return { index: index, traceId: traceId, spanId: spanId,
	    sessionId: sid, label: null, comment: '', sent: null,
	    state: 'idle', error: '', busy: false, again: false, el: null };
}

/* The turn of the answer at data.messages[index], or null when the reply
 * does not name its span (then the answer gets no buttons). */
function
feedbackTurn(data, index)
{
	if (index !== data.messages.length - 1 ||
	    typeof data.trace_id !== 'string' ||
	    typeof data.span_id !== 'string' ||
	    !TRACE_ID_RE.test(data.trace_id) || !SPAN_ID_RE.test(data.span_id))
		return null;
	return feedbackNew(index, data.trace_id, data.span_id, data.session_id);
}

function
feedbackLabelValid(label)
{
	return VOTES.some((v) => v.label === label);
}

function
feedbackCommentValid(c)
{
	return typeof c === 'string' && Array.from(c).length <= COMMENT_MAX;
}

/* A turn kept by storeSave(), checked again: storage is outside input. */
function
feedbackRestored(raw, history)
{
	if (raw === null || typeof raw !== 'object' ||
	    !Number.isInteger(raw.index) || raw.index < 0 ||
	    raw.index >= history.length ||
	    history[raw.index].role !== 'assistant' ||
	    typeof raw.traceId !== 'string' || !TRACE_ID_RE.test(raw.traceId) ||
	    typeof raw.spanId !== 'string' || !SPAN_ID_RE.test(raw.spanId) ||
	    typeof raw.sessionId !== 'string' || !SESSION_RE.test(raw.sessionId))
		return null;
	const t = feedbackNew(raw.index, raw.traceId, raw.spanId, raw.sessionId);
	if (feedbackLabelValid(raw.label))
		t.label = raw.label;
	if (feedbackCommentValid(raw.comment))
		t.comment = raw.comment;
	const s = raw.sent;
	if (s && feedbackLabelValid(s.label) &&
	    (s.comment === null || feedbackCommentValid(s.comment)))
		t.sent = { label: s.label, comment: s.comment };
	if (t.sent !== null && t.sent.label === t.label)
		t.state = 'sent';
	else if (t.label !== null) {
		/* Chosen before the reload, never accepted. */
		t.state = 'failed';
		t.error = 'the page was reloaded before the server answered.';
	}
	return t;
}

function
feedbackControls(turn)
{
	const box = elem('div', 'feedback');
	box.setAttribute('role', 'group');
	box.setAttribute('aria-label', 'Rate this answer');
	const row = elem('div', 'fb-row');
	const votes = VOTES.map((v) => feedbackVoteButton(turn, v));
	const status = elem('span', 'fb-status');
	status.setAttribute('role', 'status');
	status.setAttribute('aria-live', 'polite');
	const retry = elem('button', 'fb-retry', 'Retry');
	retry.type = 'button';
	retry.addEventListener('click', () => feedbackSend(turn));
	row.append(...votes, retry);
	const c = feedbackCommentBox(turn);
	box.append(row, status, c.wrap);
	turn.el = { box: box, votes: votes, status: status, retry: retry,
	    comment: c.text, count: c.count, send: c.send };
	return box;
}

function
feedbackVoteButton(turn, v)
{
	const b = elem('button', 'fb-vote');
	b.append(elem('span', 'fb-emoji', v.emoji), ' ' + v.word);
	b.type = 'button';
	b.dataset.label = v.label;
	b.title = v.name;
	b.setAttribute('aria-label', v.name);
	b.setAttribute('aria-pressed', 'false');
	b.addEventListener('click', () => {
		turn.label = v.label;
		feedbackSend(turn);
	});
	return b;
}

/* The comment row exists from the start and is only made visible on a
 * vote, so choosing never moves the transcript. */
function
feedbackCommentBox(turn)
{
	const wrap = elem('div', 'fb-comment');
	const id = 'fb-comment-' + turn.spanId;
	const label = elem('label', 'visually-hidden',
	    'Comment on this answer (optional)');
	label.htmlFor = id;
	const text = elem('textarea', 'fb-text');
	text.id = id;
	text.rows = 1;
	text.maxLength = COMMENT_MAX;
	text.placeholder = 'Add a comment (optional)';
	text.value = turn.comment;
	const count = elem('span', 'fb-count');
	count.id = id + '-count';
	text.setAttribute('aria-describedby', count.id);
	const send = elem('button', 'fb-send secondary', 'Send');
	send.type = 'button';
	send.setAttribute('aria-label', 'Send comment');
	text.addEventListener('beforeinput', (ev) => feedbackCommentRoom(ev));
	text.addEventListener('input', () => feedbackCommentInput(turn));
	text.addEventListener('keydown', (ev) => {
		if (ev.key !== 'Enter' || ev.shiftKey || ev.isComposing)
			return;
		ev.preventDefault();
		feedbackSend(turn);
	});
	send.addEventListener('click', () => feedbackSend(turn));
	wrap.append(label, text, count, send);
	return { wrap: wrap, text: text, count: count, send: send };
}

/* Characters outside the BMP: one more UTF-16 unit each. */
function
feedbackAstral(s)
{
	return s.length - Array.from(s).length;
}

/* maxlength counts UTF-16 units, the server characters (code points):
 * before an insertion, allow one more unit per character outside the BMP
 * in the text and in what comes, so 2,000 emoji fit as 2,000 letters do. */
function
feedbackCommentRoom(ev)
{
	const text = ev.target;
	const add = ev.data ?? ev.dataTransfer?.getData('text/plain') ?? '';
	text.maxLength = COMMENT_MAX + feedbackAstral(text.value) +
	    feedbackAstral(add);
}

/* Cuts what the room above let through (a replaced selection counted
 * twice) to COMMENT_MAX characters. */
function
feedbackCommentInput(turn)
{
	const text = turn.el.comment;
	const chars = Array.from(text.value);
	if (chars.length > COMMENT_MAX)
		text.value = chars.slice(0, COMMENT_MAX).join('');
	text.maxLength = COMMENT_MAX + feedbackAstral(text.value);
	turn.comment = text.value;
	feedbackRender(turn);
}

function
feedbackStatusText(turn)
{
	switch (turn.state) {
	case 'sending':
		return 'Sending\u2026';
	case 'sent':
		return turn.sent.comment !== null ?
		    'Thanks! Vote and comment sent.' : 'Thanks! Vote sent.';
	case 'failed':
		return 'Not sent: ' + turn.error;
	default:
		return '';
	}
}

function
feedbackRender(turn)
{
	const el = turn.el;
	if (el === null)
		return;
	const hadRetryFocus = document.activeElement === el.retry;
	VOTES.forEach((v, i) => el.votes[i].setAttribute('aria-pressed',
	    String(turn.label === v.label)));
	el.box.classList.toggle('voted', turn.label !== null);
	el.box.classList.toggle('failed', turn.state === 'failed');
	el.status.textContent = feedbackStatusText(turn);
	el.count.textContent = Array.from(el.comment.value).length + ' / ' +
	    COMMENT_MAX;
	/* A hidden Retry would drop the focus to the page. */
	if (hadRetryFocus && turn.state !== 'failed')
		el.votes[VOTES.findIndex((v) => v.label === turn.label)].focus();
}

function
feedbackBody(turn)
{
	const body = { trace_id: turn.traceId, span_id: turn.spanId,
	    session_id: turn.sessionId, label: turn.label };
	const comment = turn.comment.trim();
	if (comment !== '')
		body.comment = comment;
	return body;
}

/* POST one vote; resolves on 2xx, else throws an Error fit to show. */
async function
feedbackPost(body)
{
	const ctl = new AbortController();
	const timer = setTimeout(() => ctl.abort(), FEEDBACK_TIMEOUT_MS);
	let res;
	try {
		res = await fetch(FEEDBACK_URL, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify(body),
			signal: ctl.signal,
		});
	} catch (e) {
		throw new Error(ctl.signal.aborted ?
		    'the server took too long to answer.' :
		    'could not reach the server.');
	} finally {
		clearTimeout(timer);
	}
	if (!res.ok)
		throw new Error(await errorMessage(res));
}

/* Sends the turn's vote and comment as they are now. One request per
 * answer at a time, the latest state last, so the last line the server
 * writes is the user's last choice. */
async function
feedbackSend(turn)
{
	if (turn.label === null)
		return;
	if (turn.busy) {
		turn.again = true;
		feedbackRender(turn);
		return;
	}
	turn.busy = true;
	do {
		turn.again = false;
		const body = feedbackBody(turn);
		turn.state = 'sending';
		feedbackRender(turn);
		try {
			await feedbackPost(body);
			turn.sent = { label: body.label,
			    comment: body.comment ?? null };
			turn.state = 'sent';
		} catch (e) {
			turn.state = 'failed';
			turn.error = e.message;
		}
		feedbackRender(turn);
	} while (turn.again);
	turn.busy = false;
	storeSave();
}

/* --- the conversation across reloads (sessionStorage, per tab) --- */

function
storeSave()
{
	const saved = [];
	for (const t of turns.values())
		saved.push({ index: t.index, traceId: t.traceId,
		    spanId: t.spanId, sessionId: t.sessionId, label: t.label,
		    comment: t.comment, sent: t.sent });
	try {
		sessionStorage.setItem(STORE_KEY, JSON.stringify({
		    sessionId: sessionId, history: chatHistory, turns: saved }));
		return;
	} catch (e) {
		/* Over the quota: keep at least the session id. */
	}
	try {
		sessionStorage.setItem(STORE_KEY, JSON.stringify({
		    sessionId: sessionId, history: [], turns: [] }));
	} catch (e) {
		console.warn('no session storage: a reload starts a new session');
	}
}

function
storeLoad()
{
	let st = null;
	try {
		st = JSON.parse(sessionStorage.getItem(STORE_KEY));
	} catch (e) {
		return null;
	}
	if (st === null || typeof st !== 'object' ||
	    typeof st.sessionId !== 'string' || !SESSION_RE.test(st.sessionId) ||
	    !Array.isArray(st.history) ||
	    !st.history.every((m) => m !== null && typeof m === 'object' &&
	    typeof m.role === 'string'))
		return null;
	return st;
}

/* Shows the conversation this tab had before a reload. */
function
restore()
{
	const st = storeLoad();
	if (st === null)
		return;
	sessionId = st.sessionId;
	chatHistory = st.history;
	for (const raw of Array.isArray(st.turns) ? st.turns : []) {
		const t = feedbackRestored(raw, chatHistory);
		if (t !== null)
			turns.set(t.index, t);
	}
	chatHistory.forEach((m, i) => {
		if (typeof m.content !== 'string')
			return;
		if (m.role === 'user')
			addBubble('user', m.content);
		else if (m.role === 'assistant')
			addAnswer(m.content, turns.get(i));
	});
}

/* --- wiring --- */

function
onKeyDown(ev)
{
	if (ev.key !== 'Enter' || ev.shiftKey || ev.isComposing)
		return;
	ev.preventDefault();
	send();
}

function
init()
{
	setupMarkdown();
	restore();
	/* A fresh id is kept too, so a reload before the first answer sends
	 * the same one. */
	storeSave();
	showSession();
	ui.form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		send();
	});
	ui.input.addEventListener('keydown', onKeyDown);
	ui.input.addEventListener('input', autoGrow);
	ui.newChat.addEventListener('click', newChat);
	ui.input.focus();
}

init();
