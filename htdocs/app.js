/* app.js - the chat page: conversation state, POST /chat, and rendering.
 * Assistant replies are Markdown (marked) sanitized by DOMPurify; without
 * both libraries they are shown as plain text. See docs/frontend.md. */
'use strict';

const CHAT_URL = 'chat';
const REQUEST_TIMEOUT_MS = 120000;
const SESSION_RANDOM_LEN = 9;
const SESSION_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/* The server's id replaces ours after the first answer; see send(). */
let sessionId = generateSessionId();
/* Exactly what the server last returned (system prompt included). */
let chatHistory = [];
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

function
lastAssistant(messages)
{
	for (let i = messages.length - 1; i >= 0; i--) {
		const m = messages[i];
		if (m && m.role === 'assistant' && typeof m.content === 'string')
			return m.content;
	}
	return null;
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
	if (!validReply(data) || lastAssistant(data.messages) === null)
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
		addBubble('assistant', lastAssistant(data.messages));
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
	sessionId = generateSessionId();
	ui.messages.replaceChildren();
	ui.welcome.hidden = false;
	ui.input.value = '';
	autoGrow();
	showSession();
	ui.input.focus();
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
