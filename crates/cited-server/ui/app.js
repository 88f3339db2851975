// Cited web UI: plain DOM, no framework, no build step.
//
// Security rules this file keeps (the server's Content-Security-Policy enforces most of them):
// every piece of document or answer text goes into the page as a text node (the `h` helper never
// parses HTML), there are no inline handlers or style attributes, and the bearer token lives in
// sessionStorage only, so it is gone when the tab closes.
'use strict';

const TOKEN_KEY = 'cited.token';

const DOC_TYPE_LABELS = {
  clinical_protocol: 'Clinical protocol',
  payer_policy: 'Payer policy',
};

const STATUS_TEXT = {
  answered: {
    title: 'Answered from the documents',
    detail: 'Every sentence below was checked against the cited passage.',
  },
  needs_review: {
    title: 'Sent to a reviewer — here is the evidence',
    detail:
      'Cited is not confident enough to answer this itself. A reviewer will check it. ' +
      'Until then, read the evidence passages below; they are not an answer.',
  },
  no_answer: {
    title: 'No answer in the documents',
    detail: 'Nothing in the documents in force answers this question.',
  },
};

const state = {
  me: null,
  // The last ask (form values and final answer), so that coming back to #/ask shows it again.
  lastAsk: null,
  // Increments on every route change; an async view renders only if it is still the current one.
  routeSeq: 0,
  // A message for the alert region that must survive the next route change (e.g. "signed out").
  flash: null,
  // The chip that opened the citation panel, to return focus to when it closes.
  panelOpener: null,
  // Increments on every chip click; a slower earlier fetch must not replace a later passage.
  panelSeq: 0,
};

// ---------------------------------------------------------------------------------------------
// DOM helpers

/** Creates an element. Attributes named on* with a function become listeners; children may be
 * strings (always inserted as text), nodes, arrays, or null/false (skipped). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function clear(el) {
  el.replaceChildren();
  return el;
}

/** Replaces the children of `el` (skipping null and false, unlike the DOM's own append). */
function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const $ = (id) => document.getElementById(id);

function showAlert(message) {
  fill($('alert'), h('p', null, message));
}

function clearAlert() {
  clear($('alert'));
}

function docTypeLabel(type) {
  return DOC_TYPE_LABELS[type] || type || '—';
}

function formatTime(text) {
  const date = new Date(text);
  if (!text || Number.isNaN(date.getTime())) return text || '—';
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function statusBadge(status) {
  return h('span', { class: `badge badge-${status || 'unknown'}` }, status || 'unknown');
}

// ---------------------------------------------------------------------------------------------
// Session and API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function authHeaders(extra) {
  return { Authorization: `Bearer ${token()}`, ...extra };
}

/** Turns a non-OK response into an ApiError; a 401 also ends the session. */
async function failure(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): the status alone has to do.
  }
  const error = new ApiError(
    response.status,
    body.code || `http_${response.status}`,
    body.message || `The server answered ${response.status} ${response.statusText}.`,
  );
  if (response.status === 401) {
    signOut('Your sign-in is no longer valid. Paste a token to sign in again.');
  }
  return error;
}

/** GET or POST JSON with the bearer token; resolves with the parsed body or throws ApiError. */
async function api(path, { method = 'GET', body } = {}) {
  const headers = authHeaders(body === undefined ? {} : { 'Content-Type': 'application/json' });
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** What to tell the user about a failed request. */
function errorText(error) {
  if (!(error instanceof ApiError)) return `Could not reach the server (${error.message}).`;
  if (error.status === 503) return 'The server is busy — try again in a moment.';
  if (error.status === 403) return `You are not allowed to do this: ${error.message}`;
  return error.message;
}

function enc(part) {
  return encodeURIComponent(part);
}

function versionPath(docId, version) {
  return `/v1/documents/${enc(docId)}/versions/${enc(version)}`;
}

function isReviewer() {
  const roles = (state.me && state.me.roles) || [];
  return roles.includes('reviewer') || roles.includes('admin');
}

/** Compliance (and admin) may read the audit trail. */
function isCompliance() {
  const roles = (state.me && state.me.roles) || [];
  return roles.includes('compliance') || roles.includes('admin');
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
  state.lastAsk = null;
  state.flash = message || null;
  renderHeader();
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else route();
}

// ---------------------------------------------------------------------------------------------
// Header and routing

function renderHeader() {
  const signedIn = Boolean(state.me);
  $('main-nav').hidden = !signedIn;
  $('user-box').hidden = !signedIn;
  const list = clear($('nav-list'));
  if (!signedIn) return;
  const links = [
    ['#/ask', 'Ask'],
    ['#/documents', 'Documents'],
  ];
  if (isReviewer()) links.push(['#/reviews', 'Reviews']);
  if (isCompliance()) links.push(['#/audit', 'Audit']);
  const current = location.hash.split('?')[0].split('/')[1] || '';
  for (const [href, label] of links) {
    const active = href.split('/')[1] === current || (current === 'compare' && href === '#/documents');
    list.append(h('li', null, h('a', { href, 'aria-current': active ? 'page' : null }, label)));
  }
  const me = state.me;
  const groups = me.groups && me.groups.length ? ` · groups: ${me.groups.join(', ')}` : '';
  fill($('user-name'),
    h('span', { class: 'visually-hidden' }, 'Signed in as '),
    h('strong', null, me.user_id),
    h('span', { class: 'user-roles' }, ` — ${(me.roles || []).join(', ') || 'no roles'}${groups}`),
  );
}

/** `#/documents/NCD%20240.4?x=1` → { parts: ['documents', 'NCD 240.4'], query: URLSearchParams }. */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, search] = raw.split('?');
  let parts;
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    parts = ['not-found'];
  }
  return { parts, query: new URLSearchParams(search || '') };
}

const VIEWS = [
  [['signin'], viewSignIn],
  [['ask'], viewAsk],
  [['documents'], viewDocuments],
  [['documents', '*'], viewDocument],
  [['documents', '*', 'versions', '*'], viewVersion],
  [['compare', '*'], viewCompare],
  [['reviews'], viewReviews],
  [['reviews', '*'], viewReview],
  [['audit'], viewAudit],
];

function matchView(parts) {
  for (const [pattern, view] of VIEWS) {
    if (pattern.length !== parts.length) continue;
    const args = [];
    const ok = pattern.every((p, i) => {
      if (p === '*') {
        args.push(parts[i]);
        return true;
      }
      return p === parts[i];
    });
    if (ok) return { view, args };
  }
  return null;
}

/** A handle for one rendering of a view: `show` replaces the main content only while the route
 * that started the view is still current (a slow fetch must not overwrite a newer view). */
function screen(title) {
  const seq = state.routeSeq;
  return {
    show(...nodes) {
      if (seq !== state.routeSeq) return false;
      document.title = `${title} — Cited`;
      fill($('main'), nodes);
      return true;
    },
  };
}

function route() {
  state.routeSeq += 1;
  clearAlert();
  if (state.flash) {
    showAlert(state.flash);
    state.flash = null;
  }
  if (!token() || !state.me) {
    viewSignIn();
    return;
  }
  const { parts, query } = parseHash();
  if (parts.length === 0 || parts[0] === 'signin') {
    location.replace('#/ask');
    return;
  }
  renderHeader();
  const match = matchView(parts);
  if (!match) {
    notFound(screen('Not found'), 'There is no such page.');
    return;
  }
  match.view(...match.args, query);
}

/** Moves focus to the view's heading so that keyboard and screen-reader users start there. */
function focusHeading() {
  const heading = $('main').querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

function notFound(scr, message) {
  scr.show(
    h('h1', null, 'Not found'),
    h('p', { class: 'not-found' }, message),
    h('p', null, h('a', { href: '#/documents' }, 'Back to the documents')),
  );
}

/** Renders a failed load: 404 as "not found" (also what a document the user may not see looks
 * like), anything else in the alert region. */
function loadFailed(scr, error, what) {
  if (error instanceof ApiError && error.status === 401) return;
  if (error instanceof ApiError && error.status === 404) {
    notFound(scr, `${what} was not found, or you do not have access to it.`);
    return;
  }
  scr.show(h('h1', null, 'Something went wrong'), h('p', null, `${what} could not be loaded.`));
  showAlert(errorText(error));
}

// ---------------------------------------------------------------------------------------------
// Sign in

function viewSignIn() {
  renderHeader();
  const scr = screen('Sign in');
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
  });
  const form = h(
    'form',
    { class: 'card signin-form', onsubmit: (e) => submitSignIn(e, input) },
    h('label', { for: 'token' }, 'Access token'),
    h('p', { id: 'token-help', class: 'help' }, 'Paste the bearer token your administrator gave you. ' +
      'It is kept in this browser tab only and forgotten when you close it or sign out.'),
    input,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')),
  );
  scr.show(
    h('h1', null, 'Sign in to Cited'),
    h('p', { class: 'lead' }, 'Answers from the hospital\'s clinical protocols and payer policies, ' +
      'with a citation to the exact document version for every sentence.'),
    form,
  );
  input.focus();
}

async function submitSignIn(event, input) {
  event.preventDefault();
  clearAlert();
  const secret = input.value.trim();
  if (!secret) {
    showAlert('Paste a token first.');
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, secret);
  try {
    state.me = await loadMe();
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    showAlert(error instanceof ApiError && error.status === 401
      ? 'That token was not accepted. Check it and try again.'
      : errorText(error));
    return;
  }
  const wanted = location.hash && !location.hash.startsWith('#/signin') ? location.hash : '#/ask';
  if (location.hash === wanted) route();
  else location.hash = wanted;
}

/** `GET /v1/me` without the sign-out side effect of `api` (a bad token at sign-in is not a session
 * that ended). */
async function loadMe() {
  const response = await fetch('/v1/me', { headers: authHeaders() });
  if (!response.ok) {
    let body = {};
    try {
      body = await response.json();
    } catch {
      // keep the status
    }
    throw new ApiError(response.status, body.code || '', body.message || response.statusText);
  }
  return response.json();
}

// ---------------------------------------------------------------------------------------------
// Ask

function viewAsk() {
  const scr = screen('Ask');
  const last = state.lastAsk || {};
  const question = h('textarea', { id: 'question', name: 'question', rows: 3, required: true },
    last.question || '');
  const docType = h('select', { id: 'doc-type', name: 'doc_type' },
    h('option', { value: '' }, 'Any'),
    Object.entries(DOC_TYPE_LABELS).map(([value, label]) =>
      h('option', { value, selected: last.docType === value }, label)));
  const payer = h('input', { id: 'payer', name: 'payer', type: 'text', value: last.payer || '',
    autocomplete: 'off' });
  const asOf = h('input', { id: 'as-of', name: 'as_of', type: 'date', value: last.asOf || '' });
  const button = h('button', { type: 'submit' }, 'Ask');
  const result = h('section', { id: 'result', class: 'result', 'aria-labelledby': 'result-heading' });
  const panel = citationPanel();
  const fields = { question, docType, payer, asOf, button };
  const form = h('form', { class: 'card ask-form', onsubmit: (e) => submitAsk(e, fields, result, panel) },
    h('label', { for: 'question' }, 'Question'),
    question,
    h('fieldset', { class: 'filters' },
      h('legend', null, 'Filters (optional)'),
      h('div', { class: 'field' }, h('label', { for: 'doc-type' }, 'Document type'), docType),
      h('div', { class: 'field' }, h('label', { for: 'payer' }, 'Payer'), payer),
      h('div', { class: 'field' }, h('label', { for: 'as-of' }, 'As of date'), asOf)),
    h('div', { class: 'actions' }, button));
  // Submitting with Ctrl+Enter from the question box, as in most chat-like tools.
  question.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
  scr.show(
    h('h1', null, 'Ask the documents'),
    form,
    h('div', { class: 'ask-layout' }, result, panel),
  );
  if (last.response) renderFinal(result, panel, last.response);
  fillDocTypes(docType, last.docType);
  focusHeading();
}

/** Adds the document types of the catalog that the fixed list does not name. */
async function fillDocTypes(select, selected) {
  try {
    const docs = await api('/v1/documents');
    const known = new Set([...select.options].map((o) => o.value));
    for (const type of new Set(docs.map((d) => d.doc_type))) {
      if (type && !known.has(type)) {
        select.append(h('option', { value: type, selected: type === selected }, docTypeLabel(type)));
      }
    }
  } catch {
    // The fixed types still work; the documents view reports a failing list.
  }
}

function askBody(fields) {
  const body = { question: fields.question.value.trim() };
  const filters = {};
  if (fields.docType.value) filters.doc_type = fields.docType.value;
  if (fields.payer.value.trim()) filters.payer = fields.payer.value.trim();
  if (Object.keys(filters).length) body.filters = filters;
  if (fields.asOf.value) body.as_of = fields.asOf.value;
  return body;
}

async function submitAsk(event, fields, result, panel) {
  event.preventDefault();
  clearAlert();
  const body = askBody(fields);
  if (!body.question) {
    showAlert('Type a question first.');
    return;
  }
  state.lastAsk = {
    question: body.question,
    docType: fields.docType.value,
    payer: fields.payer.value,
    asOf: fields.asOf.value,
  };
  closePanel(panel);
  fields.button.disabled = true;
  const progress = h('p', { class: 'progress', role: 'status' }, 'Searching the documents…');
  const provisional = h('div', { class: 'provisional', hidden: true },
    h('p', { class: 'provisional-label' }, 'Draft — checking every sentence against the documents…'));
  fill(result, h('h2', { id: 'result-heading', class: 'visually-hidden' }, 'Answer'), progress,
    provisional);
  result.setAttribute('aria-busy', 'true');
  try {
    const final = await ask(body, {
      retrieved(data) {
        const n = (data.passages || []).length;
        progress.textContent = `${n} passage${n === 1 ? '' : 's'} found — drafting and checking…`;
      },
      sentence(data) {
        provisional.hidden = false;
        provisional.append(provisionalSentence(data));
      },
    });
    state.lastAsk.response = final;
    renderFinal(result, panel, final);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    fill(result, h('h2', { id: 'result-heading', class: 'visually-hidden' }, 'Answer'),
      h('p', { class: 'muted' }, 'No answer was shown.'));
    showAlert(errorText(error));
  } finally {
    result.removeAttribute('aria-busy');
    fields.button.disabled = false;
  }
}

/** A sentence as drafted, before verification: never styled or worded as an answer. */
function provisionalSentence(data) {
  const numbers = (data.citations || []).map((c) => `[${typeof c === 'number' ? c : c.n}]`).join('');
  return h('p', { class: 'sentence provisional-sentence' },
    h('span', { class: 'checking' }, 'checking…'), ' ', data.text || '', numbers ? ` ${numbers}` : '');
}

/** POST /v1/ask asking for a stream; resolves with the final answer JSON. A server that answers
 * with plain JSON (an error, or one without streaming) is handled the same way. */
async function ask(body, handlers) {
  const response = await fetch('/v1/ask', {
    method: 'POST',
    headers: authHeaders({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  const type = response.headers.get('content-type') || '';
  if (!type.includes('text/event-stream')) return response.json();
  let final = null;
  await readEventStream(response, (name, data) => {
    if (name === 'final') final = data;
    else if (name === 'error') {
      const status = data.code === 'busy' ? 503 : 500;
      throw new ApiError(status, data.code || 'error', data.message || 'The answer failed.');
    }
    else if (handlers[name]) handlers[name](data);
  });
  if (!final) throw new ApiError(0, 'stream_ended', 'The answer stream ended early. Try again.');
  return final;
}

/** Reads `event: NAME\ndata: JSON\n\n` blocks from a fetch response body as they arrive. */
async function readEventStream(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const flush = (block) => {
    let name = 'message';
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) onEvent(name, JSON.parse(data.join('\n')));
  };
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      flush(block);
    }
    if (done) break;
  }
  if (buffer.trim()) flush(buffer);
}

function renderFinal(result, panel, answer) {
  const status = STATUS_TEXT[answer.status] ? answer.status : 'no_answer';
  const byNumber = new Map((answer.citations || []).map((c, i) => [c.n ?? i + 1, c]));
  const open = (citation) => openCitation(panel, citation);
  fill(result,
    h('h2', { id: 'result-heading', class: 'visually-hidden' }, 'Answer'),
    statusBanner(answer, status),
    corrections(answer.corrections),
    noteList('Please note', answer.notices, 'notices'),
    status === 'answered' ? null : noteList('Why', answer.reasons, 'reasons'),
    status === 'answered' ? answerBody(answer, byNumber, open) : evidence(answer.citations, status, open),
  );
}

function statusBanner(answer, status) {
  const text = STATUS_TEXT[status];
  const icon = { answered: '✓', needs_review: '!', no_answer: '∅' }[status];
  const details = [h('p', null, text.detail)];
  if (status === 'answered' && answer.reviewed_by) {
    details.unshift(h('p', { class: 'reviewed' }, `Reviewed answer (approved by ${answer.reviewed_by})`));
  }
  if (status === 'needs_review' && answer.review_id) {
    details.push(h('p', { class: 'muted' }, `Review item ${answer.review_id}`));
  }
  if (typeof answer.confidence === 'number') {
    details.push(h('p', { class: 'muted' }, `Confidence ${answer.confidence.toFixed(2)}`));
  }
  return h('div', { class: `status-banner status-${status}`, role: 'status', 'data-status': status },
    h('span', { class: 'status-icon', 'aria-hidden': 'true' }, icon),
    h('div', null, h('p', { class: 'status-title' }, text.title), details));
}

function corrections(list) {
  if (!list || !list.length) return null;
  return h('p', { class: 'muted corrections' }, 'Read ',
    list.map((c, i) => [i ? ', ' : '', `“${c.from}” as “${c.to}”`]), '.');
}

function noteList(title, items, className, level = 'h3') {
  if (!items || !items.length) return null;
  return h('div', { class: `note-list ${className}` },
    h(level, null, title),
    h('ul', null, items.map((item) => h('li', null, item))));
}

function citationLabel(c) {
  const section = c.section ? ` § ${c.section}` : '';
  const page = c.page ? `, p. ${c.page}` : '';
  return `[${c.n}] ${c.title} v${c.version}${section}${page}`;
}

function chip(citation, open) {
  return h('button', { type: 'button', class: 'chip', onclick: () => open(citation) }, citationLabel(citation));
}

function answerBody(answer, byNumber, open) {
  const sentences = answer.sentences || [];
  return h('div', { class: 'answer' },
    sentences.map((s) => h('p', { class: 'sentence' },
      h('span', { class: 'sentence-text' }, s.text), ' ',
      h('span', { class: 'chips' }, (s.citations || [])
        .map((n) => byNumber.get(n))
        .filter(Boolean)
        .map((c) => chip(c, open))))));
}

/** The passages behind a needs_review or no_answer: shown as evidence to read, never as an answer. */
function evidence(citations, status, open) {
  if (!citations || !citations.length) return null;
  const title = status === 'needs_review' ? 'Evidence for the reviewer' : 'Closest passages (they do not answer it)';
  return h('div', { class: 'evidence' },
    h('h3', null, title),
    h('ul', { class: 'evidence-list' }, citations.map((c) => h('li', null,
      chip(c, open),
      h('blockquote', { class: 'quote' }, excerpt(c.quote || '', 240))))));
}

function excerpt(text, max) {
  return text.length > max ? `${text.slice(0, max).trimEnd()}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Citation panel

function citationPanel() {
  const panel = h('aside', { id: 'citation-panel', class: 'citation-panel', 'aria-label': 'Cited passage',
    hidden: true });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !panel.hidden) closePanel(panel, true);
  });
  return panel;
}

function closePanel(panel, restoreFocus) {
  panel.hidden = true;
  clear(panel);
  if (restoreFocus && state.panelOpener && state.panelOpener.isConnected) state.panelOpener.focus();
}

async function openCitation(panel, citation) {
  const seq = ++state.panelSeq;
  state.panelOpener = document.activeElement;
  panel.hidden = false;
  fill(panel, h('p', { class: 'progress', role: 'status' }, 'Opening the passage…'));
  let version;
  try {
    version = await api(versionPath(citation.doc_id, citation.version));
  } catch (error) {
    if (seq !== state.panelSeq || (error instanceof ApiError && error.status === 401)) return;
    fill(panel, h('p', null, 'The cited version could not be opened: ', errorText(error)));
    return;
  }
  if (seq !== state.panelSeq) return;
  citation = withUtf16Span(version.text || '', citation);
  const heading = h('h2', { id: 'cite-heading', tabindex: '-1' }, `Source [${citation.n}]`);
  fill(panel,
    h('div', { class: 'panel-head' }, heading,
      h('button', { type: 'button', class: 'button-quiet', onclick: () => closePanel(panel, true) }, 'Close')),
    versionFacts(version, citation.section),
    hashWarning(version, citation),
    h('div', { class: 'passage' }, passageAround(version, citation)),
    h('p', null, h('a', {
      href: `#/documents/${enc(citation.doc_id)}/versions/${enc(citation.version)}` +
        `?hl=${citation.utf16_start}-${citation.utf16_end}`,
    }, 'Open full version')),
  );
  heading.focus({ preventScroll: true });
  panel.scrollIntoView({ block: 'nearest' });
}

/** Title, version, dates and status of a version, as a description list. */
function versionFacts(v, section) {
  const rows = [
    ['Document', h('span', { class: 'cite-title' }, v.title)],
    ['Id', v.doc_id],
    ['Version', h('span', { class: 'cite-version' }, v.version)],
    ['Effective', v.effective_date || 'from the start'],
    v.end_date ? ['Ends', v.end_date] : null,
    ['Status', h('span', { class: 'cite-status' }, statusBadge(v.status))],
    section ? ['Section', section] : null,
  ].filter(Boolean);
  return h('div', null,
    v.status && v.status !== 'active' ? h('p', { class: 'warning' },
      `This version is ${v.status}: it is not the one in force today.`) : null,
    h('dl', { class: 'facts' }, rows.map(([k, value]) => [h('dt', null, k), h('dd', null, value)])));
}

function hashWarning(version, citation) {
  if (!citation.content_hash || !version.content_hash || citation.content_hash === version.content_hash) return null;
  return h('p', { class: 'warning' }, 'This version\'s text has changed since the answer cited it.');
}

/** A citation with UTF-8 byte offsets only (the audit trail keeps bytes) gets the UTF-16 offsets JS
 * strings index: the text's bytes up to an offset, decoded, are that many UTF-16 units long. */
function withUtf16Span(text, c) {
  if (Number.isInteger(c.utf16_start) && Number.isInteger(c.utf16_end)) return c;
  if (!Number.isInteger(c.start) || !Number.isInteger(c.end)) return c;
  const bytes = new TextEncoder().encode(text);
  if (c.start < 0 || c.end <= c.start || c.end > bytes.length) return c;
  const decoder = new TextDecoder();
  const units = (n) => decoder.decode(bytes.subarray(0, n)).length;
  return { ...c, utf16_start: units(c.start), utf16_end: units(c.end) };
}

/** The cited span as [start, end) in UTF-16 units (what JS strings index), or null if unusable.
 * The byte offsets `start`/`end` are UTF-8 and must not be used to slice a JS string. */
function spanOf(text, c) {
  const start = c.utf16_start;
  const end = c.utf16_end;
  if (Number.isInteger(start) && Number.isInteger(end) && end > start && end <= text.length) {
    return [start, end];
  }
  return null;
}

/** The section of the version that holds the citation, with the quote in <mark>; without section
 * data, about 600 characters around the quote. */
function passageAround(version, citation) {
  const text = version.text || '';
  const span = spanOf(text, citation);
  if (!span) return h('p', { class: 'warning' }, 'The cited span could not be located in this version.');
  const [start, end] = span;
  const section = (version.sections || []).find((s) => s.utf16_start <= start && end <= s.utf16_end);
  let from = section ? section.utf16_start : Math.max(0, start - 300);
  let to = section ? section.utf16_end : Math.min(text.length, end + 300);
  // A very long section is cut to the neighbourhood of the quote.
  if (to - from > 2400) {
    from = Math.max(from, start - 600);
    to = Math.min(to, end + 600);
  }
  return h('div', { class: 'doc-text' },
    from > 0 ? '… ' : '',
    text.slice(from, start),
    h('mark', null, text.slice(start, end)),
    text.slice(end, to),
    to < text.length ? ' …' : '');
}

// ---------------------------------------------------------------------------------------------
// Documents

async function viewDocuments() {
  const scr = screen('Documents');
  let docs;
  try {
    docs = await api('/v1/documents');
  } catch (error) {
    loadFailed(scr, error, 'The document list');
    return;
  }
  const rows = docs.map((d) => h('tr', null,
    h('td', { 'data-label': 'Title' }, h('a', { href: `#/documents/${enc(d.doc_id)}` }, d.title)),
    h('td', { 'data-label': 'Id' }, d.doc_id),
    h('td', { 'data-label': 'Type' }, docTypeLabel(d.doc_type)),
    h('td', { 'data-label': 'In force' }, d.active_version ? `v${d.active_version}` : 'none'),
    h('td', { 'data-label': 'Versions' }, String(d.versions))));
  scr.show(
    h('h1', null, 'Documents'),
    h('p', { class: 'lead' }, `${docs.length} document${docs.length === 1 ? '' : 's'} you can see.`),
    h('table', { class: 'table' },
      h('caption', { class: 'visually-hidden' }, 'Documents with the version in force today'),
      h('thead', null, h('tr', null, ['Title', 'Id', 'Type', 'In force', 'Versions']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows)),
  );
  focusHeading();
}

/** The versions of a document, oldest first (by effective date; a version without one is in force
 * from the start). The list's `history` when the server sends it; an older server only names the
 * version in force. */
function versionHistory(doc) {
  if (!Array.isArray(doc.history)) {
    return doc.active_version ? [{ version: doc.active_version, status: 'active' }] : [];
  }
  return [...doc.history].sort((a, b) => (a.effective_date || '').localeCompare(b.effective_date || ''));
}

async function viewDocument(docId) {
  const scr = screen('Document');
  let doc;
  try {
    doc = (await api('/v1/documents')).find((d) => d.doc_id === docId);
  } catch (error) {
    loadFailed(scr, error, 'The document');
    return;
  }
  if (!doc) {
    notFound(scr, 'This document was not found, or you do not have access to it.');
    return;
  }
  const history = versionHistory(doc);
  const rows = history.map((v) => h('tr', { class: v.status === 'superseded' ? 'row-superseded' : null },
    h('td', { 'data-label': 'Version' },
      h('a', { href: `#/documents/${enc(doc.doc_id)}/versions/${enc(v.version)}` }, `Version ${v.version}`)),
    h('td', { 'data-label': 'Effective' }, v.effective_date || 'from the start'),
    h('td', { 'data-label': 'Ends' }, v.end_date || '—'),
    h('td', { 'data-label': 'Status' }, statusBadge(v.status))));
  scr.show(
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/documents' }, 'Documents')),
    h('h1', null, doc.title),
    h('dl', { class: 'facts' },
      h('dt', null, 'Id'), h('dd', null, doc.doc_id),
      h('dt', null, 'Type'), h('dd', null, docTypeLabel(doc.doc_type)),
      h('dt', null, 'In force today'), h('dd', null, doc.active_version ? `Version ${doc.active_version}` : 'No version')),
    h('h2', null, 'Versions'),
    Array.isArray(doc.history) ? null
      : h('p', { class: 'muted' }, `This server lists only the version in force (${doc.versions} in all).`),
    h('table', { class: 'table' },
      h('caption', { class: 'visually-hidden' }, 'Versions, oldest first'),
      h('thead', null, h('tr', null, ['Version', 'Effective', 'Ends', 'Status']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows)),
    history.length > 1 ? compareForm(doc, history) : null,
  );
  focusHeading();
}

function compareForm(doc, history) {
  const options = (selected) => history.map((v) =>
    h('option', { value: v.version, selected: v.version === selected }, `Version ${v.version}`));
  const from = h('select', { id: 'compare-from' }, options(history[history.length - 2].version));
  const to = h('select', { id: 'compare-to' }, options(history[history.length - 1].version));
  const submit = (e) => {
    e.preventDefault();
    location.hash = `#/compare/${enc(doc.doc_id)}?from=${enc(from.value)}&to=${enc(to.value)}`;
  };
  return h('form', { class: 'card compare-form', onsubmit: submit },
    h('h2', null, 'Compare versions'),
    h('div', { class: 'field-row' },
      h('div', { class: 'field' }, h('label', { for: 'compare-from' }, 'From'), from),
      h('div', { class: 'field' }, h('label', { for: 'compare-to' }, 'To'), to),
      h('button', { type: 'submit' }, 'Compare')));
}

async function viewVersion(docId, version, query) {
  const scr = screen(`${docId} version ${version}`);
  let v;
  try {
    v = await api(versionPath(docId, version));
  } catch (error) {
    loadFailed(scr, error, 'This document version');
    return;
  }
  const text = v.text || '';
  const [start, end] = (query.get('hl') || '').split('-').map(Number);
  const highlight = Number.isInteger(start) && Number.isInteger(end) && end > start && end <= text.length;
  const body = highlight
    ? h('div', { class: 'doc-text full' }, text.slice(0, start), h('mark', null, text.slice(start, end)), text.slice(end))
    : h('div', { class: 'doc-text full' }, text);
  const shown = scr.show(
    h('p', { class: 'breadcrumb' },
      h('a', { href: '#/documents' }, 'Documents'), ' › ',
      h('a', { href: `#/documents/${enc(v.doc_id)}` }, v.title)),
    h('h1', null, `${v.title} — version ${v.version}`),
    versionFacts(v, null),
    h('h2', null, 'Text'),
    body,
  );
  if (!shown) return;
  focusHeading();
  const mark = body.querySelector('mark');
  if (mark) mark.scrollIntoView({ block: 'center' });
}

// ---------------------------------------------------------------------------------------------
// Compare

/** Equal runs longer than this are cut to their ends, with a button to show the rest. */
const EQUAL_RUN_MAX = 500;
const EQUAL_RUN_CONTEXT = 160;

async function viewCompare(docId, query) {
  const scr = screen('Compare versions');
  const from = query.get('from') || '';
  const to = query.get('to') || '';
  let cmp;
  try {
    cmp = await api(`/v1/documents/${enc(docId)}/compare?from=${enc(from)}&to=${enc(to)}`);
  } catch (error) {
    loadFailed(scr, error, 'This comparison');
    return;
  }
  const label = (v) => `version ${v.version}${v.effective_date ? ` (effective ${v.effective_date})` : ''}`;
  const changed = (cmp.sections || []).filter((s) => s.change !== 'unchanged');
  scr.show(
    h('p', { class: 'breadcrumb' },
      h('a', { href: '#/documents' }, 'Documents'), ' › ',
      h('a', { href: `#/documents/${enc(cmp.doc_id)}` }, cmp.title)),
    h('h1', null, `${cmp.title}: what changed`),
    h('p', { class: 'lead' }, `From ${label(cmp.from)} to ${label(cmp.to)}.`,
      typeof cmp.words_added === 'number'
        ? ` ${cmp.words_added} words added, ${cmp.words_removed} removed.` : ''),
    h('h2', null, 'Changed sections'),
    changed.length
      ? h('ul', { class: 'section-changes' }, changed.map((s) => h('li', null,
        h('span', { class: `badge badge-${s.change}` }, s.change), ' ', s.section)))
      : h('p', null, 'No section changed.'),
    h('h2', null, 'Word changes'),
    h('p', { class: 'muted legend' }, 'Added text is ', h('ins', null, 'underlined'),
      '; removed text is ', h('del', null, 'struck through'), '.'),
    h('div', { class: 'doc-text diff' }, mergeChanges(cmp.diff || []).map(diffPart)),
  );
  focusHeading();
}

/** Joins word-level runs into readable changes: "3" → "1", " ", "hours" → "hour" becomes
 * "3 hours" → "1 hour". Whitespace between two changes goes to the side(s) already changing. */
function mergeChanges(parts) {
  const merged = [];
  let removed = '';
  let added = '';
  const flush = () => {
    if (removed) merged.push({ op: 'delete', text: removed });
    if (added) merged.push({ op: 'insert', text: added });
    removed = '';
    added = '';
  };
  parts.forEach((part, i) => {
    const next = parts[i + 1];
    if (part.op === 'delete') removed += part.text;
    else if (part.op === 'insert') added += part.text;
    else if ((removed || added) && /^\s+$/.test(part.text) && next && next.op !== 'equal') {
      if (removed) removed += part.text;
      if (added) added += part.text;
    } else {
      flush();
      merged.push(part);
    }
  });
  flush();
  return merged;
}

function diffPart(part) {
  if (part.op === 'insert') return h('ins', null, h('span', { class: 'visually-hidden' }, '[added: '), part.text,
    h('span', { class: 'visually-hidden' }, ']'));
  if (part.op === 'delete') return h('del', null, h('span', { class: 'visually-hidden' }, '[removed: '), part.text,
    h('span', { class: 'visually-hidden' }, ']'));
  return equalRun(part.text);
}

/** A long unchanged run keeps a little context on both sides (cut between words) and hides the rest
 * behind a button. */
function equalRun(text) {
  if (text.length <= EQUAL_RUN_MAX) return document.createTextNode(text);
  const headEnd = Math.max(text.lastIndexOf(' ', EQUAL_RUN_CONTEXT), 1);
  const tailStart = text.indexOf(' ', text.length - EQUAL_RUN_CONTEXT);
  const cut = tailStart > headEnd ? tailStart : text.length - EQUAL_RUN_CONTEXT;
  const hidden = text.slice(headEnd, cut);
  const expand = h('button', { type: 'button', class: 'button-quiet collapsed' },
    `Show ${hidden.length} unchanged characters`);
  expand.addEventListener('click', () => expand.replaceWith(document.createTextNode(hidden)));
  return h('span', { class: 'equal-run' }, text.slice(0, headEnd), expand, text.slice(cut));
}

// ---------------------------------------------------------------------------------------------
// Reviews

const REVIEW_STATES = ['pending', 'approved', 'rejected'];

async function viewReviews(query) {
  const scr = screen('Reviews');
  const wanted = REVIEW_STATES.includes(query.get('state')) ? query.get('state') : 'pending';
  let items;
  try {
    items = await api(`/v1/reviews?state=${wanted}`);
  } catch (error) {
    loadFailed(scr, error, 'The review queue');
    return;
  }
  const tabs = h('nav', { 'aria-label': 'Review states' }, h('ul', { class: 'tabs' },
    REVIEW_STATES.map((s) => h('li', null,
      h('a', { href: `#/reviews?state=${s}`, 'aria-current': s === wanted ? 'page' : null }, s)))));
  const rows = items.map((r) => h('tr', null,
    h('td', { 'data-label': 'Question' }, h('a', { href: `#/reviews/${enc(r.review_id)}` }, r.question)),
    h('td', { 'data-label': 'Asked' }, formatTime(r.created_at)),
    h('td', { 'data-label': 'Confidence' }, Number(r.confidence).toFixed(2)),
    h('td', { 'data-label': 'Why' }, reasonsText(r.reasons)),
    h('td', { 'data-label': 'State' }, statusBadge(r.state))));
  scr.show(
    h('h1', null, 'Review queue'),
    tabs,
    items.length
      ? h('table', { class: 'table' },
        h('caption', { class: 'visually-hidden' }, `${wanted} review items, newest first`),
        h('thead', null, h('tr', null, ['Question', 'Asked', 'Confidence', 'Why', 'State']
          .map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, rows))
      : h('p', null, `No ${wanted} items.`),
  );
  focusHeading();
}

function reasonsText(reasons) {
  return Array.isArray(reasons) && reasons.length ? reasons.join('; ') : '—';
}

async function viewReview(id) {
  const scr = screen('Review item');
  let item;
  try {
    item = await api(`/v1/reviews/${enc(id)}`);
  } catch (error) {
    loadFailed(scr, error, 'This review item');
    return;
  }
  renderReview(scr, item);
}

/** Renders a review item; `notice` confirms a decision just made. */
function renderReview(scr, item, notice) {
  const draft = item.draft || {};
  const panel = citationPanel();
  const open = (c) => openCitation(panel, c);
  const byNumber = new Map((draft.citations || []).map((c) => [c.n, c]));
  const shown = scr.show(
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/reviews' }, 'Review queue')),
    h('h1', null, 'Review: ', h('q', null, item.question)),
    notice ? h('p', { class: 'success', role: 'status' }, notice) : null,
    h('dl', { class: 'facts' },
      h('dt', null, 'State'), h('dd', null, statusBadge(item.state)),
      h('dt', null, 'Asked'), h('dd', null, formatTime(item.created_at)),
      h('dt', null, 'Confidence'), h('dd', null, Number(item.confidence).toFixed(2)),
      item.reviewer ? [h('dt', null, 'Decided by'), h('dd', null, item.reviewer)] : null),
    noteList('Why it needs review', Array.isArray(item.reasons) ? item.reasons : [], 'reasons', 'h2'),
    h('div', { class: 'ask-layout' },
      h('div', null,
        h('h2', null, 'Draft answer'),
        (draft.sentences || []).length
          ? answerBody({ sentences: draft.sentences }, byNumber, open)
          : h('p', { class: 'muted' }, 'No drafted sentence passed verification. Write the answer below.'),
        removedSentences(draft.removed),
        item.answer ? approvedAnswer(item.answer, open) : null,
        h('h2', null, 'Evidence'),
        h('p', { class: 'muted' }, 'An edited answer cites these numbers.'),
        h('ul', { class: 'evidence-list' }, (draft.evidence || []).map((c) => h('li', null,
          chip(c, open), h('blockquote', { class: 'quote' }, excerpt(c.quote || '', 400))))),
        item.state === 'pending' ? decisionForms(item) : null,
        traceDetails(item.trace),
        history(item.events)),
      panel),
  );
  if (shown) focusHeading();
}

function removedSentences(removed) {
  if (!removed || !removed.length) return null;
  return h('details', { class: 'removed' },
    h('summary', null, `${removed.length} drafted sentence${removed.length === 1 ? '' : 's'} removed by verification`),
    h('ul', null, removed.map((r) => h('li', null, h('q', null, r.text), ' — ', r.reason))));
}

function approvedAnswer(answer, open) {
  const byNumber = new Map((answer.citations || []).map((c) => [c.n, c]));
  return h('div', { class: 'approved' },
    h('h2', null, 'Approved answer'),
    answerBody({ sentences: answer.sentences || [] }, byNumber, open));
}

/** The draft as `[n]`-marked text that cites evidence numbers (what an edit must cite). A draft
 * citation is renumbered to the evidence passage that contains its span. */
function draftAsMarkedText(draft) {
  const evidence = draft.evidence || [];
  const toEvidence = (c) => {
    const e = evidence.find((p) => p.doc_id === c.doc_id && p.version === c.version &&
      p.start <= c.start && c.end <= p.end);
    return e ? e.n : null;
  };
  const byNumber = new Map((draft.citations || []).map((c) => [c.n, c]));
  return (draft.sentences || []).map((s) => {
    const marks = (s.citations || [])
      .map((n) => byNumber.get(n))
      .map((c) => (c ? toEvidence(c) : null))
      .filter((n) => n !== null)
      .map((n) => `[${n}]`)
      .join('');
    return marks ? `${s.text.trim()} ${marks}` : s.text.trim();
  }).join(' ');
}

function decisionForms(item) {
  const draft = item.draft || {};
  const answer = h('textarea', { id: 'edit-answer', rows: 5, 'aria-describedby': 'edit-help edit-error' },
    draftAsMarkedText(draft));
  const editNote = h('input', { id: 'edit-note', type: 'text', autocomplete: 'off' });
  const editError = h('div', { id: 'edit-error', class: 'field-error', role: 'alert' });
  const rejectNote = h('input', { id: 'reject-note', type: 'text', required: true, autocomplete: 'off' });
  const rejectError = h('div', { id: 'reject-error', class: 'field-error', role: 'alert' });
  const approveError = h('div', { class: 'field-error', role: 'alert' });

  const decide = async (body, errorBox, done) => {
    clear(errorBox);
    try {
      const updated = await api(`/v1/reviews/${enc(item.review_id)}/decision`, { method: 'POST', body });
      renderReview(screen('Review item'), updated, done);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      errorBox.append(h('p', null, errorText(error)));
    }
  };
  const approve = h('button', { type: 'button', onclick: () => decide({ decision: 'approve' }, approveError,
    'Approved: this draft is now the answer to this question.') }, 'Approve draft');
  if (!(draft.sentences || []).length) approve.disabled = true;

  return h('section', { class: 'decision', 'aria-labelledby': 'decision-heading' },
    h('h2', { id: 'decision-heading' }, 'Decision'),
    h('div', { class: 'card' }, approve, approveError),
    h('form', {
      class: 'card', onsubmit: (e) => {
        e.preventDefault();
        decide({ decision: 'edit', answer: answer.value, note: editNote.value.trim() || undefined }, editError,
          'Approved with your edit.');
      },
    },
    h('h3', null, 'Edit and approve'),
    h('label', { for: 'edit-answer' }, 'Answer'),
    h('p', { id: 'edit-help', class: 'help' }, 'Each sentence must cite evidence with [n] markers; ' +
      'it is verified like any draft.'),
    answer, editError,
    h('label', { for: 'edit-note' }, 'Note (optional)'), editNote,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Approve edited answer'))),
    h('form', {
      class: 'card', onsubmit: (e) => {
        e.preventDefault();
        if (!rejectNote.value.trim()) {
          fill(rejectError, h('p', null, 'Say why you reject it.'));
          return;
        }
        decide({ decision: 'reject', note: rejectNote.value.trim() }, rejectError, 'Rejected.');
      },
    },
    h('h3', null, 'Reject'),
    h('label', { for: 'reject-note' }, 'Reason (required)'), rejectNote, rejectError,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button-danger' }, 'Reject'))));
}

function traceDetails(trace) {
  if (!trace) return null;
  const score = (x) => (typeof x === 'number' ? x.toFixed(3) : '—');
  return h('details', { class: 'trace' },
    h('summary', null, 'How the draft came about (trace)'),
    h('p', null, `Route: ${trace.route || '—'}; answerer: ${trace.answerer || '—'}`),
    h('h3', null, 'Retrieval candidates'),
    h('div', { class: 'table-scroll' }, h('table', { class: 'table compact' },
      h('thead', null, h('tr', null, ['Document', 'Version', 'BM25', 'Dense', 'Fused']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, (trace.candidates || []).map((c) => h('tr', null,
        h('td', { 'data-label': 'Document' }, c.doc_id),
        h('td', { 'data-label': 'Version' }, c.version),
        h('td', { 'data-label': 'BM25' }, c.bm25_rank ? `#${c.bm25_rank} (${score(c.bm25_score)})` : '—'),
        h('td', { 'data-label': 'Dense' }, c.dense_rank ? `#${c.dense_rank} (${score(c.dense_score)})` : '—'),
        h('td', { 'data-label': 'Fused' }, score(c.fused_score))))))),
    h('h3', null, 'Passages given to the answerer'),
    h('ul', null, (trace.passages || []).map((p) =>
      h('li', null, `[${p.n}] ${p.doc_id} v${p.version}, bytes ${p.start}–${p.end}`))),
    h('h3', null, 'Drafted sentences'),
    h('ul', null, (trace.drafted || []).map((s) => h('li', null,
      statusBadge(s.verdict), ' ', s.text, ' ', (s.citations || []).map((n) => `[${n}]`).join(''),
      s.reason ? h('span', { class: 'muted' }, ` — ${s.reason}`) : null))));
}

function history(events) {
  if (!events || !events.length) return null;
  return h('section', { class: 'history', 'aria-labelledby': 'history-heading' },
    h('h2', { id: 'history-heading' }, 'History'),
    h('ol', null, events.map((e) => h('li', null,
      h('strong', null, e.kind), ` by ${e.actor}, ${formatTime(e.at)}`,
      e.note ? h('span', null, ' — ', h('q', null, e.note)) : null))));
}

// ---------------------------------------------------------------------------------------------
// Audit trail (compliance and admin)

const AUDIT_ACTIONS = ['ask', 'search', 'review.approve', 'review.edit', 'review.reject', 'ingest', 'upload',
  'token.create', 'token.revoke', 'audit.export'];
const AUDIT_STATUSES = ['answered', 'needs_review', 'no_answer', 'accepted', 'done', 'failed'];
/** The filters, as the hash's and the API's query parameters. */
const AUDIT_FILTERS = ['doc', 'version', 'user', 'action', 'status', 'from', 'to'];
/** Most records one search shows (the API's default). */
const AUDIT_LIMIT = 1000;
/** Documents named in a row of the table before "and N more". */
const AUDIT_DOCS_SHOWN = 4;

const AUDIT_LABELS = {
  seq: 'Position (seq)',
  redacted: 'Identifiers redacted before storing',
  record_id: 'Record id',
  at: 'Time (UTC)',
  user_id: 'User',
  roles: 'User\u2019s roles',
  request_id: 'Request id',
  action: 'Action',
  status: 'Status',
  question: 'Question (patient identifiers redacted)',
  question_chars: 'Question length (characters)',
  query: 'Search text (patient identifiers redacted)',
  mode: 'Search mode',
  k: 'Results asked for (k)',
  filters: 'Filters',
  as_of: 'As of',
  answer: 'Answer given',
  confidence: 'Confidence',
  citations: 'Citations',
  review_id: 'Review item',
  reviewed_by: 'Reviewed by',
  answerer: 'Answerer',
  model: 'Model',
  prompt_template_hash: 'Prompt template hash',
  passages: 'Passages given to the answerer',
  verdicts: 'Verdicts on the drafted sentences',
  retrieved: 'Retrieved candidates',
  hits: 'Hits',
  note: 'Reviewer note (patient identifiers redacted)',
  token_id: 'Token id',
  for_user: 'Token for user',
  groups: 'Groups',
  job_id: 'Job id',
  file: 'File',
  paths: 'Paths',
  source: 'Source',
  report: 'Report',
  error: 'Error',
  filter: 'Filter used',
  records: 'Records read',
  prev_leaf: 'Previous record\u2019s leaf hash (chain)',
};
const AUDIT_ORDER = Object.keys(AUDIT_LABELS);

const PRIVACY_NOTE = 'Questions, search text and reviewer notes are kept with patient identifiers replaced by ' +
  'placeholders such as [NAME], [MRN], [DATE], [PHONE] and [SSN] (patient privacy); the length of the question ' +
  'as typed is kept too.';
/** The fields that hold text as typed, stored redacted: shown as plain text, never as a hash. */
const REDACTED_KEYS = ['question', 'query', 'note'];

/** The filters in the hash → the API's query string (`to` is a whole day: the API's is exclusive). */
function auditQueryString(values) {
  const params = new URLSearchParams();
  for (const key of AUDIT_FILTERS) {
    const value = (values[key] || '').trim();
    if (!value) continue;
    params.set(key, key === 'to' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? nextDay(value) : value);
  }
  params.set('limit', String(AUDIT_LIMIT));
  return params.toString();
}

function nextDay(date) {
  const day = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(day.getTime())) return date;
  day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

/** `2026-11-30T08:36:17.123456Z` → `2026-11-30 08:36:17 UTC`: exact, and in the zone the filters use. */
function utcTime(text) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|\+00:00)$/.exec(text || '');
  return m ? `${m[1]} ${m[2]} UTC` : (text || '—');
}

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function notAllowed(scr, title) {
  const shown = scr.show(
    h('h1', null, title),
    h('p', { class: 'not-allowed' }, 'You are not allowed to see the audit trail: it needs the compliance or ' +
      'admin role. Ask your administrator if you need it.'),
  );
  if (shown) focusHeading();
}

function viewAudit(query) {
  const scr = screen('Audit trail');
  if (!isCompliance()) {
    notAllowed(scr, 'Audit trail');
    return;
  }
  const values = Object.fromEntries(AUDIT_FILTERS.map((k) => [k, query.get(k) || '']));
  const searched = query.get('search') === '1';
  const results = h('section', { class: 'audit-results', 'aria-labelledby': 'records-heading' });
  const shown = scr.show(
    h('h1', null, 'Audit trail'),
    h('p', { class: 'lead' }, 'Every ask, search, review decision, ingest, upload, token change and audit ' +
      'export, in log order. Each record is chained to the one before it and the log is a Merkle tree, so ' +
      'an edit, deletion or reordering shows. Reading the trail is itself recorded.'),
    h('p', { class: 'privacy-note' }, PRIVACY_NOTE),
    integrityCard(),
    auditForm(values),
    results,
  );
  if (!shown) return;
  focusHeading();
  if (searched) loadAuditRecords(values, results);
  else {
    fill(results, h('h2', { id: 'records-heading' }, 'Records'),
      h('p', { class: 'muted' }, 'Choose filters (or none) and press Search.'));
  }
}

function auditForm(values) {
  const input = (key, label, type = 'text') => h('div', { class: 'field' },
    h('label', { for: `audit-${key}` }, label),
    h('input', { id: `audit-${key}`, name: key, type, value: values[key], autocomplete: 'off',
      spellcheck: type === 'text' ? 'false' : null, 'aria-describedby': type === 'date' ? 'audit-help' : null }));
  const select = (key, label, options) => h('div', { class: 'field' },
    h('label', { for: `audit-${key}` }, label),
    h('select', { id: `audit-${key}`, name: key },
      h('option', { value: '' }, 'Any'),
      options.map((o) => h('option', { value: o, selected: values[key] === o }, o))));
  const form = h('form', { class: 'card audit-form', 'aria-labelledby': 'audit-form-heading' },
    h('h2', { id: 'audit-form-heading' }, 'Find records'),
    h('div', { class: 'audit-fields' },
      input('doc', 'Document id'),
      input('version', 'Version'),
      input('user', 'User'),
      select('action', 'Action', AUDIT_ACTIONS),
      select('status', 'Status', AUDIT_STATUSES),
      input('from', 'From date', 'date'),
      input('to', 'To date', 'date')),
    h('p', { class: 'help', id: 'audit-help' }, 'Dates are UTC days; "To date" includes the whole day. ' +
      'A document filter finds the records that cite it (or, for a search, found it); a version needs a ' +
      'document.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (form.elements.version.value.trim() && !form.elements.doc.value.trim()) {
      showAlert('A version filter needs a document id.');
      form.elements.doc.focus();
      return;
    }
    const params = new URLSearchParams();
    for (const key of AUDIT_FILTERS) {
      const value = form.elements[key].value.trim();
      if (value) params.set(key, value);
    }
    params.set('search', '1');
    const hash = `#/audit?${params}`;
    if (location.hash === hash) route();
    else location.hash = hash;
  });
  return form;
}

async function loadAuditRecords(values, results) {
  const seq = state.routeSeq;
  fill(results, h('h2', { id: 'records-heading' }, 'Records'),
    h('p', { class: 'progress', role: 'status' }, 'Reading the audit trail…'));
  let records;
  try {
    records = await api(`/v1/audit?${auditQueryString(values)}`);
  } catch (error) {
    if (seq !== state.routeSeq || (error instanceof ApiError && error.status === 401)) return;
    if (error instanceof ApiError && error.status === 403) {
      fill(results, h('h2', { id: 'records-heading' }, 'Records'),
        h('p', { class: 'not-allowed' }, 'You are not allowed to see the audit trail.'));
      return;
    }
    fill(results, h('h2', { id: 'records-heading' }, 'Records'),
      h('div', { class: 'field-error', role: 'alert' }, h('p', null, errorText(error))));
    return;
  }
  if (seq !== state.routeSeq) return;
  const detail = h('section', { class: 'audit-record', 'aria-labelledby': 'record-heading', hidden: true });
  const open = (record, button) => {
    for (const row of results.querySelectorAll('tbody tr')) row.removeAttribute('aria-current');
    button.closest('tr').setAttribute('aria-current', 'true');
    renderAuditRecord(detail, record);
  };
  const heading = h('h2', { id: 'records-heading', tabindex: '-1' }, 'Records');
  fill(results,
    heading,
    h('p', { role: 'status', class: 'record-count' },
      records.length ? `${plural(records.length, 'record')} found, oldest first.` : 'No record matches these filters.',
      records.length >= AUDIT_LIMIT ? ` Only the first ${AUDIT_LIMIT} are shown: narrow the filters or the ` +
        'dates to see later ones.' : ''),
    records.length ? auditTable(records, open) : null,
    detail);
  heading.focus({ preventScroll: true });
}

/** Documents (and versions) a record cites, or a search found. */
function auditDocs(record) {
  const list = Array.isArray(record.citations) && record.citations.length ? record.citations
    : (Array.isArray(record.hits) ? record.hits : []);
  const seen = [];
  for (const c of list) {
    if (!c || !c.doc_id) continue;
    const label = c.version ? `${c.doc_id} v${c.version}` : c.doc_id;
    if (!seen.includes(label)) seen.push(label);
  }
  return seen;
}

function auditTable(records, open) {
  const rows = records.map((r) => {
    const docs = auditDocs(r);
    const more = docs.length - AUDIT_DOCS_SHOWN;
    const button = h('button', { type: 'button', class: 'button-quiet seq-button' },
      h('span', { class: 'visually-hidden' }, 'Open record '), `#${r.seq}`);
    button.addEventListener('click', () => open(r, button));
    return h('tr', { 'data-seq': r.seq, 'data-action': r.action },
      h('td', { 'data-label': 'Seq' }, button),
      h('td', { 'data-label': 'Time (UTC)' }, h('time', { datetime: r.at }, utcTime(r.at))),
      h('td', { 'data-label': 'User' }, r.user_id || '—'),
      h('td', { 'data-label': 'Action' }, r.action || '—'),
      h('td', { 'data-label': 'Status' }, r.status ? statusBadge(r.status) : '—'),
      h('td', { 'data-label': 'Documents' }, docs.length
        ? [docs.slice(0, AUDIT_DOCS_SHOWN).join(', '), more > 0 ? ` and ${more} more` : '']
        : '—'));
  });
  return h('div', { class: 'table-scroll' }, h('table', { class: 'table compact audit-table' },
    h('caption', { class: 'visually-hidden' }, 'Audit records, oldest first; open one with its Seq button'),
    h('thead', null, h('tr', null, ['Seq', 'Time (UTC)', 'User', 'Action', 'Status', 'Documents cited']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows)));
}

/** The record beside the panel its citation chips open (the panel takes a column only while open). */
function renderAuditRecord(detail, record) {
  const panel = citationPanel();
  const heading = h('h2', { id: 'record-heading', tabindex: '-1' },
    `Record #${record.seq}: ${record.action || 'unknown action'}`);
  const keys = Object.keys(record);
  const ordered = [...AUDIT_ORDER.filter((k) => keys.includes(k)),
    ...keys.filter((k) => !AUDIT_ORDER.includes(k)).sort()];
  const redacted = ('question' in record || 'query' in record) && record.redacted !== false;
  const typed = ('question' in record || 'query' in record) && record.redacted === false;
  detail.hidden = false;
  fill(detail, heading, h('div', { class: 'ask-layout audit-layout' }, h('div', { class: 'record-body' },
    redacted ? h('p', { class: 'privacy-note' }, 'question' in record
      ? 'Patient identifiers in the question were replaced by placeholders such as [NAME] before it was stored.'
      : 'Patient identifiers in the search text were replaced by placeholders such as [NAME] before it was stored.')
      : null,
    typed ? h('p', { class: 'privacy-note' }, 'Stored as typed: redaction of the audit trail was turned off (redaction.audit) when this was recorded.') : null,
    h('dl', { class: 'facts record-facts' }, ordered.map((key) => [
      h('dt', null, AUDIT_LABELS[key] || key, ' ', h('code', { class: 'field-key' }, key)),
      h('dd', { 'data-key': key }, auditValue(key, record[key], panel)),
    ])),
    h('details', { class: 'raw' },
      h('summary', null, 'The record as JSON'),
      h('pre', { class: 'raw-json', tabindex: '0' }, JSON.stringify(record, null, 2)))),
  panel));
  heading.focus({ preventScroll: true });
  heading.scrollIntoView({ block: 'start' });
}

const HEX_RE = /^[0-9a-f]{16,}$/i;

function hex(text) {
  return h('code', { class: 'hex' }, text);
}

function none() {
  return h('span', { class: 'muted' }, 'none');
}

function score(x) {
  return typeof x === 'number' ? x.toFixed(3) : '—';
}

/** One field of a record, readable: citations as chips, lists as lists, hashes in monospace. */
function auditValue(key, value, panel) {
  if (key === 'prev_leaf' && value === '') return h('span', { class: 'muted' }, 'none (the first record)');
  if (value === null || value === undefined || value === '') return none();
  if (key === 'status') return statusBadge(value);
  if (key === 'at') return h('time', { datetime: value }, utcTime(value), ' ', h('span', { class: 'muted' }, `(${value})`));
  if (key === 'confidence' && typeof value === 'number') return value.toFixed(3);
  if (key === 'review_id' && typeof value === 'string') {
    return isReviewer() ? h('a', { href: `#/reviews/${enc(value)}` }, value) : hex(value);
  }
  if (key === 'answer' && typeof value === 'string') return h('blockquote', { class: 'quote answer-text' }, value);
  if (REDACTED_KEYS.includes(key) && typeof value === 'string') return h('span', { class: 'redacted-text' }, value);
  if (key === 'citations' && Array.isArray(value)) return auditCitations(value, panel);
  if (key === 'retrieved' && Array.isArray(value)) return retrievedTable(value);
  if (key === 'verdicts' && Array.isArray(value)) {
    if (!value.length) return none();
    return h('ol', { class: 'plain-list' }, value.map((v) => h('li', null,
      statusBadge(v.verdict), v.reason ? ` ${v.reason}` : '')));
  }
  if (key === 'passages' && Array.isArray(value)) {
    if (!value.length) return none();
    return h('ul', { class: 'plain-list' }, value.map((p) => h('li', null, `[${p.n}] `, hex(String(p.chunk_id)))));
  }
  if (key === 'hits' && Array.isArray(value)) {
    if (!value.length) return none();
    return h('ul', { class: 'plain-list' }, value.map((x) => h('li', null,
      `${x.doc_id} v${x.version}, score ${score(x.score)}, chunk `, hex(String(x.chunk_id)))));
  }
  if (key === 'filters' && Array.isArray(value)) {
    if (!value.length) return none();
    if (value.every((f) => f && typeof f === 'object' && 'key' in f)) {
      return h('ul', { class: 'plain-list' }, value.map((f) => h('li', null, `${f.key} = ${f.value}`)));
    }
  }
  if (typeof value === 'string') return HEX_RE.test(value) ? hex(value) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (!value.length) return none();
    if (value.every((v) => typeof v !== 'object' || v === null)) return value.join(', ');
  }
  return h('code', { class: 'json' }, JSON.stringify(value));
}

function auditCitations(citations, panel) {
  if (!citations.length) return none();
  const open = (c) => openCitation(panel, c);
  return h('ul', { class: 'evidence-list audit-citations' }, citations.map((c) => {
    const button = h('button', { type: 'button', class: 'chip' },
      `[${c.n}] ${c.doc_id} v${c.version}`,
      h('span', { class: 'chip-detail' }, ` · bytes ${c.start}–${c.end}`));
    button.addEventListener('click', () => open(c));
    return h('li', null, button,
      c.content_hash ? h('span', { class: 'muted content-hash' }, ' content ', hex(c.content_hash)) : null);
  }));
}

function retrievedTable(list) {
  if (!list.length) return none();
  return h('div', { class: 'table-scroll' }, h('table', { class: 'table compact retrieved-table' },
    h('caption', { class: 'visually-hidden' }, 'Retrieved candidates with their scores'),
    h('thead', null, h('tr', null, ['Document', 'Version', 'Fused', 'BM25', 'Dense', 'Chunk']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, list.map((c) => h('tr', null,
      h('td', { 'data-label': 'Document' }, c.doc_id),
      h('td', { 'data-label': 'Version' }, c.version),
      h('td', { 'data-label': 'Fused' }, score(c.fused)),
      h('td', { 'data-label': 'BM25' }, score(c.bm25)),
      h('td', { 'data-label': 'Dense' }, score(c.dense)),
      h('td', { 'data-label': 'Chunk' }, hex(String(c.chunk_id))))))));
}

// Integrity: verification of the whole log and a freshly signed head.

function integrityCard() {
  const verifyOut = h('div', { class: 'integrity-out', id: 'verify-out', 'aria-live': 'polite' });
  const headOut = h('div', { class: 'integrity-out', id: 'head-out', 'aria-live': 'polite' });
  const verify = h('button', { type: 'button', id: 'audit-verify' }, 'Verify the log');
  const head = h('button', { type: 'button', id: 'audit-head' }, 'Current signed head');
  verify.addEventListener('click', () => runVerify(verify, verifyOut));
  head.addEventListener('click', () => runHead(head, headOut));
  return h('section', { class: 'card integrity', 'aria-labelledby': 'integrity-heading' },
    h('h2', { id: 'integrity-heading' }, 'Integrity'),
    h('p', { class: 'help' }, 'Verifying recomputes every record\u2019s hash, the chain and the tree, and checks ' +
      'every signed head kept beside the log.'),
    h('div', { class: 'integrity-actions' }, verify, head),
    verifyOut,
    headOut);
}

async function runVerify(button, out) {
  button.disabled = true;
  fill(out, h('p', { class: 'progress' }, 'Recomputing the whole log…'));
  try {
    const report = await api('/v1/audit/verify');
    const problems = Array.isArray(report.problems) ? report.problems : [];
    if (!problems.length) {
      fill(out, h('p', { class: 'success verify-ok' },
        h('strong', null, 'Intact: '),
        `${plural(report.size, 'record')}, root `, hex(report.root_hash),
        `, ${plural(report.heads_checked, 'head')} checked.`));
    } else {
      fill(out, h('div', { class: 'verify-problems', role: 'alert' },
        h('p', { class: 'verify-title' },
          `Not intact: ${plural(problems.length, 'problem')} in a log of ${plural(report.size, 'record')} ` +
          `(${plural(report.heads_checked, 'head')} checked).`),
        h('ul', null, problems.map((p) => h('li', null, p))),
        h('p', null, 'Root of the log as it is now: ', hex(report.root_hash))));
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    fill(out, h('div', { class: 'field-error', role: 'alert' },
      h('p', null, 'The log could not be verified: ', errorText(error))));
  } finally {
    button.disabled = false;
  }
}

async function runHead(button, out) {
  button.disabled = true;
  fill(out, h('p', { class: 'progress' }, 'Signing the current head…'));
  try {
    const head = await api('/v1/audit/head');
    fill(out, h('div', { class: 'signed-head' },
      h('h3', null, 'Current signed head'),
      h('dl', { class: 'facts head-facts' },
        h('dt', null, 'Log'), h('dd', null, head.log),
        h('dt', null, 'Size'), h('dd', { class: 'head-size' }, plural(head.size, 'record')),
        h('dt', null, 'Root hash'), h('dd', { class: 'head-root' }, hex(head.root_hash)),
        h('dt', null, 'Timestamp'), h('dd', null, h('time', { datetime: head.timestamp }, head.timestamp)),
        h('dt', null, 'Public key'), h('dd', null, hex(head.public_key)),
        h('dt', null, 'Signature'), h('dd', null, hex(head.signature))),
      h('p', { class: 'note' }, 'Store this head elsewhere; ',
        h('code', null, 'cited audit verify --against HEAD'), ' proves the log still extends it.'),
      h('details', { class: 'raw' },
        h('summary', null, 'The head as JSON (save it as the HEAD file)'),
        h('pre', { class: 'raw-json', tabindex: '0' }, JSON.stringify(head, null, 2)))));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    fill(out, h('div', { class: 'field-error', role: 'alert' },
      h('p', null, 'No head could be signed: ', errorText(error))));
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Start

async function start() {
  $('sign-out').addEventListener('click', () => signOut());
  // The skip link must not change the hash: the hash is the route.
  $('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    $('main').focus();
  });
  window.addEventListener('hashchange', route);
  if (token()) {
    try {
      state.me = await loadMe();
    } catch (error) {
      sessionStorage.removeItem(TOKEN_KEY);
      if (!(error instanceof ApiError && error.status === 401)) showAlert(errorText(error));
    }
  }
  route();
}

start();
