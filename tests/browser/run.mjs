// Browser tests of the Cited web UI: a real `cited serve` over the sample hospital (corpus/) plus the
// test-only documents in tests/browser/fixtures/, driven through headless Chromium. Every scenario
// asserts what a user sees; the API is called directly only for setup (tokens) and for the one search
// check the UI has no view for. One line per check; exit 1 if any check failed.
//
//   node tests/browser/run.mjs        (from the repo root or anywhere)
//   CITED_BIN=path/to/cited           the binary (default target/release/cited)
//   CHROMIUM=path/to/chromium         the browser (default /usr/bin/chromium)
//   CITED_SERVER_UI_DIR=crates/cited-server/ui   serve the UI files from disk instead of the binary

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BIN = path.resolve(ROOT, process.env.CITED_BIN || 'target/release/cited');
const CONFIG = path.join(ROOT, 'config/cited.toml');
const SHOTS = path.join(HERE, 'screenshots');
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 844 };

// Questions the sample hospital routes to review (evals/questions/hospital.jsonl); the first that does
// with the binary under test is used, so a retuned threshold does not break the scenario.
const REVIEW_QUESTIONS = [
  'platelets 38k on the ward, can I still give enoxaparin for VTE prophylaxis?',
  "What's the target urine output in septic shock per our bundle?",
  'Since sepsis antibiotics are due within 3 hours, is it ok to wait for the CT before giving them?',
  'What are the sepsis screening criteria for children in the ED?',
];
const SEPSIS_QUESTION = 'How soon must antibiotics be given in sepsis?';
const ANTIDOTE_QUESTION = 'What antidote is given for anthracycline extravasation?';
const XSS_QUESTION = 'How many witnesses does the XSS drill checklist require?';
// A question naming a patient: the audit trail must keep it with the name replaced by a placeholder,
// never the name itself.
const PLANTED_NAME = 'Jane Roe';
const PLANTED_QUESTION = `pt ${PLANTED_NAME} in bed 4: how soon must antibiotics be given in sepsis?`;
const PLANTED_REDACTED = 'pt [NAME] in bed 4: how soon must antibiotics be given in sepsis?';
const SEPSIS_ID = 'SBH-PROT-001';
// The sample protocol restricted to the oncology group; its id is read from its front matter.
const RESTRICTED_ID = fs.readFileSync(path.join(ROOT, 'corpus/protocols/chemo-extravasation.md'), 'utf8')
  .match(/^id:\s*"([^"]+)"/m)[1];

let failures = 0;

/** Prints one check; a failed check also fails the run. Returns the condition. */
function check(name, ok, detail = '') {
  if (ok) console.log(`ok   ${name}`);
  else {
    failures += 1;
    console.log(`FAIL ${name}${detail ? ` — ${detail}` : ''}`);
  }
  return ok;
}

/** A check the rest of its scenario depends on: on failure the scenario stops. */
function must(name, ok, detail) {
  if (!check(name, ok, detail)) throw new Error(`stopped: ${name}`);
}

/** Runs one scenario; an exception fails it without stopping the others. */
async function scenario(name, fn) {
  console.log(`\n# ${name}`);
  try {
    await fn();
  } catch (error) {
    if (!String(error.message).startsWith('stopped:')) {
      failures += 1;
      console.log(`FAIL ${name}: ${error.message.split('\n')[0]}`);
    } else {
      console.log(`     (${name}: rest skipped)`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The server

function cited(dataDir, args, { okCodes = [0] } = {}) {
  try {
    return execFileSync(BIN, ['--config', CONFIG, '--data-dir', dataDir, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    if (okCodes.includes(error.status)) return error.stdout;
    throw new Error(`cited ${args.join(' ')} exited ${error.status}: ${error.stderr}`);
  }
}

function createToken(dataDir, user, roles, groups) {
  const args = ['token', 'create', '--user', user, '--roles', roles];
  if (groups) args.push('--groups', groups);
  return cited(dataDir, args).trim().split('\n').pop().trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(base, child, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`cited serve exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${base}/readyz`);
      if (response.status === 200) return;
    } catch {
      // not listening yet: the model loads before the port opens
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`not ready after ${seconds} s`);
}

// ---------------------------------------------------------------------------------------------
// Browser helpers

/** Things no view may ever do, collected from every page: script errors, dialogs, CSP refusals. */
const incidents = [];

async function newPage(browser, viewport = WIDE) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  page.on('pageerror', (e) => incidents.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    incidents.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) incidents.push(`CSP: ${m.text()}`);
  });
  return page;
}

async function signIn(page, base, secret, user) {
  await page.goto(`${base}/#/ask`);
  await page.fill('#token', secret);
  await page.click('form.signin-form button[type=submit]');
  await page.waitForFunction((u) => document.getElementById('user-name').textContent.includes(u), user);
}

/** Asks through the form; resolves with the status shown and the answer JSON the server sent. */
async function askQuestion(page, question) {
  await page.goto(page.url().replace(/#.*$/, '#/ask'));
  await page.waitForSelector('#question');
  await page.evaluate(() => {
    // Counts drafted sentences shown before the final answer replaced them.
    if (window.__observer) window.__observer.disconnect();
    window.__provisional = 0;
    window.__observer = new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) {
          if (n.classList && n.classList.contains('provisional-sentence')) window.__provisional += 1;
        }
      }
    }).observe(document.getElementById('main'), { childList: true, subtree: true });
  });
  await page.fill('#question', question);
  const responded = page.waitForResponse((r) => r.url().endsWith('/v1/ask'), { timeout: 120_000 });
  await page.click('form.ask-form button[type=submit]');
  const response = await responded;
  await page.waitForSelector('.status-banner', { timeout: 120_000 });
  const status = await page.getAttribute('.status-banner', 'data-status');
  return {
    status,
    answer: parseAnswer(response.headers()['content-type'] || '', await response.text()),
    streamed: (response.request().headers().accept || '').includes('text/event-stream') &&
      (response.headers()['content-type'] || '').includes('text/event-stream'),
    provisional: await page.evaluate(() => window.__provisional),
  };
}

/** The final answer JSON from a plain JSON body or from the `final` event of a stream. */
function parseAnswer(type, body) {
  if (!type.includes('text/event-stream')) return JSON.parse(body);
  for (const block of body.split(/\r?\n\r?\n/)) {
    const lines = block.split(/\r?\n/);
    if (lines.some((l) => l === 'event: final' || l === 'event:final')) {
      return JSON.parse(lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n'));
    }
  }
  throw new Error('the stream had no final event');
}

async function chipTexts(page) {
  return page.$$eval('#result .chip', (chips) => chips.map((c) => c.textContent));
}

/** Runs axe-core on the page. Playwright's evaluate runs through the DevTools protocol, which the
 * page's CSP does not govern, so no CSP bypass is needed. Serious and critical violations fail. */
async function axeCheck(page, view) {
  await page.evaluate(AXE_SOURCE);
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of violations) {
    console.log(`     axe ${view}: ${v.impact} ${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  check(`axe: no serious or critical violation on ${view}`, blocking.length === 0,
    blocking.map((v) => v.id).join(', '));
}

async function noHorizontalScroll(page, view) {
  for (const size of [NARROW, WIDE]) {
    await page.setViewportSize(size);
    const [scrollWidth, innerWidth] = await page.evaluate(() =>
      [document.documentElement.scrollWidth, window.innerWidth]);
    check(`layout: no horizontal scroll on ${view} at ${size.width}px`, scrollWidth <= innerWidth + 1,
      `scrollWidth ${scrollWidth}`);
  }
}

async function screenshots(page, name) {
  for (const size of [WIDE, NARROW]) {
    await page.setViewportSize(size);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${size.width}.png`), fullPage: true });
  }
  await page.setViewportSize(WIDE);
}

async function bodyText(page) {
  return page.evaluate(() => document.body.innerText);
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async function signInScenario(browser, base, tokens) {
  const page = await newPage(browser);
  await page.goto(`${base}/`);
  await page.waitForSelector('#token');
  await axeCheck(page, 'sign-in');
  await screenshots(page, 'sign-in');
  await page.fill('#token', 'not-a-real-token');
  await page.click('form.signin-form button[type=submit]');
  await page.waitForSelector('#alert p');
  check('a bad token shows an error', /not accepted/i.test(await page.textContent('#alert')));
  check('a bad token stays on the sign-in view', await page.isVisible('#token'));
  await signIn(page, base, tokens.clinician, 'ui-clinician');
  const header = await page.textContent('#user-name');
  check('the clinician sees their user and role in the header', header.includes('ui-clinician') && header.includes('clinician'));
  const nav = await page.textContent('#main-nav');
  check('a clinician has no Reviews link', nav.includes('Ask') && nav.includes('Documents') && !nav.includes('Reviews'));
  await page.click('#sign-out');
  await page.waitForSelector('#token');
  check('sign-out returns to sign-in and forgets the token',
    (await page.evaluate(() => sessionStorage.length)) === 0);
  await page.context().close();
}

async function askScenario(browser, base, tokens) {
  const page = await newPage(browser);
  await signIn(page, base, tokens.clinician, 'ui-clinician');
  const asked = await askQuestion(page, SEPSIS_QUESTION);
  must('the sepsis question is answered', asked.status === 'answered', `status ${asked.status}`);
  check('the answer was streamed (Accept and Content-Type text/event-stream)', asked.streamed);
  console.log(`     ${asked.provisional} provisional sentence(s) shown before the final answer`);
  const chips = await chipTexts(page);
  must('the answer has at least one citation chip', chips.length > 0);
  const n = Number(chips[0].match(/^\[(\d+)\]/)[1]);
  const citation = asked.answer.citations.find((c) => c.n === n);
  must('the first chip names a citation of the answer', Boolean(citation));

  await page.click('#result .chip >> nth=0');
  await page.waitForSelector('#citation-panel mark');
  check('the passage highlights exactly the cited quote',
    (await page.textContent('#citation-panel mark')) === citation.quote,
    `mark ≠ quote ${JSON.stringify(citation.quote)}`);
  check('the panel names the document', (await page.textContent('#citation-panel .cite-title')) === 'Adult Sepsis Bundle');
  check('the panel names version 2', (await page.textContent('#citation-panel .cite-version')) === '2');
  check('the panel says the version is active', (await page.textContent('#citation-panel .cite-status')).trim() === 'active');
  await axeCheck(page, 'ask with an answer and an open citation');
  await noHorizontalScroll(page, 'the ask view with an answer');
  // The README picture at 1280x800: the question, the verdict and the opened passage side by side.
  await page.evaluate(() => window.scrollTo(0, document.querySelector('.ask-form').offsetTop - 8));
  await page.screenshot({ path: path.join(SHOTS, 'answer-with-citation.png') });
  await screenshots(page, 'ask-answered');

  await page.click('#citation-panel a:has-text("Open full version")');
  await page.waitForSelector('.doc-text.full mark');
  check('the full version highlights the same quote', (await page.textContent('.doc-text.full mark')) === citation.quote);
  check('the highlighted quote is scrolled into view', await page.evaluate(() => {
    const box = document.querySelector('.doc-text.full mark').getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  }));
  await axeCheck(page, 'full version');
  await screenshots(page, 'version');

  // For the audit scenario: a question with a patient's name in it.
  const planted = await askQuestion(page, PLANTED_QUESTION);
  console.log(`     the question naming a patient: ${planted.status}`);
  await page.context().close();
}

/** Edit text the verifier accepts: a whole sentence of an evidence passage, citing it. */
async function sentenceFromEvidence(page) {
  const items = await page.$$eval('.evidence-list li', (lis) => lis.map((li) => ({
    label: li.querySelector('.chip').textContent,
    quote: li.querySelector('.quote').textContent,
  })));
  for (const item of items) {
    const n = item.label.match(/^\[(\d+)\]/)[1];
    const sentence = item.quote.replace(/\s+/g, ' ').split(/(?<=\.) /)
      .find((s) => s.endsWith('.') && s.split(' ').length >= 6 && !s.includes('…'));
    if (sentence) return `${sentence} [${n}]`;
  }
  return null;
}

async function reviewScenario(browser, base, tokens) {
  const clinician = await newPage(browser);
  await signIn(clinician, base, tokens.clinician, 'ui-clinician');
  let question = null;
  for (const q of REVIEW_QUESTIONS) {
    const asked = await askQuestion(clinician, q);
    console.log(`     "${q}" → ${asked.status}`);
    if (asked.status === 'needs_review') {
      question = q;
      break;
    }
  }
  must('a sample question goes to review', question !== null);
  const banner = await clinician.textContent('.status-banner');
  check('the needs-review banner says it went to a reviewer', banner.includes('Sent to a reviewer — here is the evidence'));
  check('the banner is a status region', (await clinician.getAttribute('.status-banner', 'role')) === 'status');
  check('no answer text is presented', (await clinician.$$('#result .answer, #result .sentence')).length === 0);
  check('the evidence is shown as citation chips', (await chipTexts(clinician)).length > 0);
  await screenshots(clinician, 'ask-needs-review');

  const reviewer = await newPage(browser);
  await signIn(reviewer, base, tokens.reviewer, 'ui-reviewer');
  await reviewer.click('#main-nav a:has-text("Reviews")');
  await reviewer.waitForSelector('h1:has-text("Review queue")');
  const row = reviewer.locator('tbody a', { hasText: question });
  must('the reviewer finds the question in the pending queue', (await row.count()) > 0);
  await axeCheck(reviewer, 'review queue');
  await screenshots(reviewer, 'reviews');
  await row.first().click();
  await reviewer.waitForSelector('#edit-answer');
  check('the item shows the question', (await reviewer.textContent('h1')).includes(question));
  await reviewer.click('details.trace summary');
  await axeCheck(reviewer, 'review item');
  await screenshots(reviewer, 'review-item');

  const approve = reviewer.locator('button:has-text("Approve draft")');
  let decided = false;
  if (await approve.isEnabled()) {
    await approve.click();
    await reviewer.waitForSelector('.success, .decision .field-error p');
    decided = await reviewer.isVisible('.success');
    console.log(`     approve draft: ${decided ? 'accepted' : await reviewer.textContent('.decision .field-error')}`);
  }
  if (!decided) {
    const edited = await sentenceFromEvidence(reviewer);
    must('an evidence sentence to approve as an edit', Boolean(edited));
    await reviewer.fill('#edit-answer', edited);
    await reviewer.fill('#edit-note', 'Browser test: approved from the evidence.');
    await reviewer.click('button:has-text("Approve edited answer")');
    await reviewer.waitForSelector('.success, #edit-error p');
    decided = await reviewer.isVisible('.success');
    if (!decided) console.log(`     edit refused: ${await reviewer.textContent('#edit-error')}`);
  }
  must('the reviewer approves the item', decided);
  check('the item now shows approved', (await reviewer.textContent('.facts')).toLowerCase().includes('approved'));

  const again = await askQuestion(clinician, question);
  check('asked again, the question is answered', again.status === 'answered', `status ${again.status}`);
  check('the answer says it was reviewed', /Reviewed answer \(approved by ui-reviewer\)/.test(await clinician.textContent('.status-banner')));
  await reviewer.context().close();
  await clinician.context().close();
}

async function compareScenario(browser, base, tokens) {
  const page = await newPage(browser);
  await signIn(page, base, tokens.clinician, 'ui-clinician');
  await page.click('#main-nav a:has-text("Documents")');
  await page.waitForSelector('table');
  await axeCheck(page, 'documents');
  await screenshots(page, 'documents');
  await page.click('tbody a:has-text("Adult Sepsis Bundle")');
  await page.waitForSelector('h1:has-text("Adult Sepsis Bundle")');
  check('the document page marks version 1 superseded',
    (await page.textContent('tbody tr:has-text("Version 1")')).toLowerCase().includes('superseded'));
  must('the document page has a compare form', await page.isVisible('#compare-from'));
  await axeCheck(page, 'document');
  await screenshots(page, 'document');
  await page.selectOption('#compare-from', '1');
  await page.selectOption('#compare-to', '2');
  await page.click('.compare-form button[type=submit]');
  await page.waitForSelector('.diff');
  check('the URL names the comparison', page.url().includes('#/compare/SBH-PROT-001?from=1&to=2'));
  check('the changed sections list is not empty', (await page.$$('.section-changes li')).length > 0);
  const inserted = await page.$$eval('.diff ins', (els) => els.map((e) => e.textContent));
  check('an insertion contains "1 hour"', inserted.some((t) => t.includes('1 hour')), JSON.stringify(inserted.slice(0, 5)));
  const deleted = await page.$$eval('.diff del', (els) => els.map((e) => e.textContent));
  check('a deletion contains "3 hours"', deleted.some((t) => t.includes('3 hours')));
  await axeCheck(page, 'compare');
  await noHorizontalScroll(page, 'the compare view');
  await screenshots(page, 'compare');
  await page.context().close();
}

async function accessScenario(browser, base, tokens) {
  const outsider = await newPage(browser);
  await signIn(outsider, base, tokens.clinician, 'ui-clinician');
  await outsider.goto(`${base}/#/documents`);
  await outsider.waitForSelector('table');
  check('without the group the list has no Chemotherapy Extravasation',
    !(await bodyText(outsider)).includes('Chemotherapy Extravasation'));
  const asked = await askQuestion(outsider, ANTIDOTE_QUESTION);
  console.log(`     without the group: ${asked.status}`);
  check('without the group no chip cites it',
    !(await chipTexts(outsider)).some((t) => t.includes('Chemotherapy Extravasation')));
  check('without the group the page never shows "dexrazoxane"',
    !(await bodyText(outsider)).toLowerCase().includes('dexrazoxane'));
  const id = encodeURIComponent(RESTRICTED_ID);
  for (const hash of [`#/documents/${id}`, `#/documents/${id}/versions/1`, `#/compare/${id}?from=1&to=1`]) {
    // A fresh load, as when a link is opened (sessionStorage keeps the sign-in within the tab).
    await outsider.goto('about:blank');
    await outsider.goto(`${base}/${hash}`);
    await outsider.waitForSelector('main .not-found', { timeout: 15_000 }).catch(() => null);
    const text = await outsider.textContent('main');
    check(`without the group ${hash} shows not found`, /not found/i.test(text) && !/dexrazoxane/i.test(text));
  }
  // The UI has no search view: this one check calls the API from the page with the page's token.
  const hits = await outsider.evaluate(async () => {
    const response = await fetch('/v1/search?q=dexrazoxane', {
      headers: { Authorization: `Bearer ${sessionStorage.getItem('cited.token')}` },
    });
    return (await response.json()).hits.map((h) => h.doc_id);
  });
  check(`without the group a search finds nothing of ${RESTRICTED_ID}`, !hits.includes(RESTRICTED_ID));
  await outsider.context().close();

  const oncology = await newPage(browser);
  await signIn(oncology, base, tokens.oncology, 'ui-oncology');
  await oncology.goto(`${base}/#/documents`);
  await oncology.waitForSelector('table');
  check('the oncology clinician sees Chemotherapy Extravasation',
    (await bodyText(oncology)).includes('Chemotherapy Extravasation Management'));
  const answered = await askQuestion(oncology, ANTIDOTE_QUESTION);
  check('the oncology clinician gets an answer', answered.status === 'answered', `status ${answered.status}`);
  check('the answer cites Chemotherapy Extravasation',
    (await chipTexts(oncology)).some((t) => t.includes('Chemotherapy Extravasation')));
  await oncology.context().close();
}

async function xssScenario(browser, base, tokens) {
  const page = await newPage(browser);
  const before = incidents.length;
  const safe = async (where) => {
    const found = await page.evaluate(() => ({
      xss: window.__xss,
      images: document.querySelectorAll('img[src="x"]').length,
    }));
    check(`XSS: nothing ran on ${where}`, found.xss === undefined && found.images === 0, JSON.stringify(found));
  };
  await signIn(page, base, tokens.clinician, 'ui-clinician');
  const asked = await askQuestion(page, XSS_QUESTION);
  console.log(`     the drill question: ${asked.status}`);
  const chips = await chipTexts(page);
  const index = chips.findIndex((t) => t.includes('XSS Drill Protocol'));
  must('the drill question cites the XSS fixture', index >= 0, JSON.stringify(chips));
  check('the title markup is shown as text in the chip', chips[index].includes('<img src=x onerror="window.__xss=1">'));
  await safe('the answer');
  await page.click(`#result .chip >> nth=${index}`);
  await page.waitForSelector('#citation-panel mark');
  await safe('the citation panel');
  await page.click('#citation-panel a:has-text("Open full version")');
  await page.waitForSelector('.doc-text.full');
  await safe('the full version');
  const script = page.locator('.doc-text.full', { hasText: '<script>window.__xss=2</script>' });
  check('the literal <script> is visible as text', await script.isVisible());
  await page.goto(`${base}/#/documents`);
  await page.waitForSelector('table');
  await safe('the documents list');
  check('the list shows the title markup as text', (await bodyText(page)).includes('<img src=x onerror="window.__xss=1">'));
  await page.click('tbody a:has-text("XSS Drill Protocol")');
  await page.waitForSelector('h1:has-text("XSS Drill Protocol")');
  await safe('the document page');
  check('XSS: no dialog, script error or CSP refusal', incidents.length === before, incidents.slice(before).join('; '));
  await page.context().close();
}

/** Searches the audit page with `filters` ({doc, user, action, ...}); resolves with the rows shown. */
async function auditSearch(page, filters) {
  for (const key of ['doc', 'version', 'user', 'from', 'to']) await page.fill(`#audit-${key}`, filters[key] || '');
  for (const key of ['action', 'status']) await page.selectOption(`#audit-${key}`, filters[key] || '');
  // The results of an earlier search are marked, to wait for the new ones.
  await page.evaluate(() => {
    const old = document.querySelector('.record-count');
    if (old) old.dataset.stale = 'yes';
  });
  await page.click('.audit-form button[type=submit]');
  await page.waitForSelector('.record-count:not([data-stale])');
  return page.$$eval('.audit-table tbody tr', (trs) => trs.map((tr) => ({
    seq: tr.dataset.seq,
    action: tr.dataset.action,
    user: tr.querySelector('td[data-label="User"]').textContent,
    status: tr.querySelector('td[data-label="Status"]').textContent.trim().toLowerCase(),
    docs: tr.querySelector('td[data-label="Documents"]').textContent,
  })));
}

/** Opens the record with `seq` from the keyboard (focus its button, press Enter). */
async function openRecord(page, seq) {
  const button = page.locator(`.audit-table tr[data-seq="${seq}"] .seq-button`);
  await button.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((s) => {
    const heading = document.getElementById('record-heading');
    return heading && heading.textContent.startsWith(`Record #${s}:`);
  }, seq);
}

async function pageText(page) {
  return page.evaluate(() => document.body.textContent);
}

async function auditScenario(browser, base, tokens) {
  const page = await newPage(browser);
  await signIn(page, base, tokens.compliance, 'ui-compliance');
  check('compliance has an Audit link', (await page.textContent('#main-nav')).includes('Audit'));
  await page.click('#main-nav a:has-text("Audit")');
  await page.waitForSelector('h1:has-text("Audit trail")');
  check('the page says questions are kept with patient identifiers replaced by placeholders',
    (await page.textContent('main')).includes('patient identifiers replaced by placeholders'));
  for (const id of ['audit-doc', 'audit-version', 'audit-user', 'audit-action', 'audit-status', 'audit-from', 'audit-to']) {
    check(`the filter #${id} has a label`, (await page.$$(`label[for="${id}"]`)).length === 1);
  }

  const rows = await auditSearch(page, { doc: SEPSIS_ID });
  console.log(`     ${rows.length} record(s) cite ${SEPSIS_ID}`);
  check(`every row found cites ${SEPSIS_ID}`, rows.length > 0 && rows.every((r) => r.docs.includes(SEPSIS_ID)));
  const asks = rows.filter((r) => r.action === 'ask' && r.user === 'ui-clinician');
  must('an ask record by the clinician cites the sepsis bundle', asks.length > 0);
  const ask = asks.find((r) => r.status === 'answered') || asks[0];
  await openRecord(page, ask.seq);
  check('the record shows who asked', (await page.textContent('.record-facts dd[data-key="user_id"]')) === 'ui-clinician');
  check('the record shows the question (redacted)',
    (await page.$$('.record-facts dd[data-key="question"]')).length === 1 &&
    (await page.textContent('.record-facts dd[data-key="question"]')).trim().length > 0);
  check('the record says patient identifiers were replaced by placeholders',
    (await page.textContent('.audit-record .privacy-note')).includes('placeholders'));
  const chips = await page.$$eval('.audit-citations .chip', (els) => els.map((e) => e.textContent));
  const index = chips.findIndex((t) => t.includes(SEPSIS_ID));
  must('the record has a citation chip of the sepsis bundle', index >= 0, JSON.stringify(chips));
  const [, version, start, end] = chips[index].match(/ v(\S+) · bytes (\d+)–(\d+)/);
  await page.click(`.audit-citations .chip >> nth=${index}`);
  await page.waitForSelector('#citation-panel mark');
  const mark = await page.textContent('#citation-panel mark');
  const text = await page.evaluate(async (p) => {
    const response = await fetch(p, { headers: { Authorization: `Bearer ${sessionStorage.getItem('cited.token')}` } });
    return (await response.json()).text;
  }, `/v1/documents/${encodeURIComponent(SEPSIS_ID)}/versions/${encodeURIComponent(version)}`);
  check('the cited passage is highlighted (non-empty <mark>)', mark.trim().length > 0);
  check('the highlight appears in the version text', text.includes(mark));
  check('the highlight is exactly the cited bytes',
    mark === Buffer.from(text, 'utf8').subarray(Number(start), Number(end)).toString('utf8'),
    `mark ${JSON.stringify(mark.slice(0, 80))}`);
  check('the panel names the version', (await page.textContent('#citation-panel .cite-version')) === version);
  await page.click('.audit-record details.raw summary');
  check('the raw JSON is shown', (await page.textContent('.audit-record .raw-json')).includes('"question"'));
  check(`the audit page never shows "${PLANTED_NAME}"`, !(await pageText(page)).includes(PLANTED_NAME));
  await axeCheck(page, 'audit with a record and a passage open');
  await noHorizontalScroll(page, 'the audit page with a record open');
  await screenshots(page, 'audit-record');

  // The planted question is in the trail with the patient's name replaced by [NAME].
  const clinicianAsks = await auditSearch(page, { user: 'ui-clinician', action: 'ask' });
  check('the user and action filters narrow the rows',
    clinicianAsks.length > 0 && clinicianAsks.every((r) => r.user === 'ui-clinician' && r.action === 'ask'));
  let planted = false;
  for (const row of clinicianAsks) {
    await openRecord(page, row.seq);
    if (!(await page.$('.record-facts dd[data-key="question"]'))) continue;
    const shown = (await page.textContent('.record-facts dd[data-key="question"]')).trim();
    if (shown === PLANTED_REDACTED) {
      planted = true;
      check('the planted question\'s record shows [NAME] in place of the name', shown.includes('[NAME]'));
      check('the planted question\'s record says identifiers were replaced by placeholders',
        (await page.textContent('.audit-record .privacy-note')).includes('placeholders'));
      check('the planted question\'s length (as typed) is recorded',
        (await page.textContent('.record-facts dd[data-key="question_chars"]')).trim() === String(PLANTED_QUESTION.length));
      break;
    }
  }
  check('the question naming a patient is recorded with the name redacted', planted,
    `no ask record by ui-clinician has the question ${JSON.stringify(PLANTED_REDACTED)}`);
  check(`still no "${PLANTED_NAME}" anywhere on the audit page`, !(await pageText(page)).includes(PLANTED_NAME));

  await page.click('#audit-verify');
  await page.waitForSelector('#verify-out .verify-ok, #verify-out .verify-problems, #verify-out .field-error');
  const verdict = await page.textContent('#verify-out');
  check('Verify says the log is intact', /^Intact: \d+ records?, root [0-9a-f]{64}, \d+ heads? checked\.$/.test(verdict.trim()),
    verdict);
  await page.click('#audit-head');
  await page.waitForSelector('#head-out .head-root, #head-out .field-error');
  const root = (await page.textContent('#head-out')).includes('Root hash')
    ? (await page.textContent('#head-out .head-root')).trim() : '';
  check('the signed head shows a 64-hex root', /^[0-9a-f]{64}$/.test(root), await page.textContent('#head-out'));
  check('the head says to store it elsewhere',
    (await page.textContent('#head-out .note')).includes('cited audit verify --against HEAD'));
  await page.click('#audit-verify');
  await page.waitForFunction(() => !document.getElementById('audit-verify').disabled &&
    document.querySelector('#verify-out .verify-ok, #verify-out .verify-problems, #verify-out .field-error'));
  check('after signing a head, Verify checks it too',
    /[1-9]\d* heads? checked/.test(await page.textContent('#verify-out')), await page.textContent('#verify-out'));
  await axeCheck(page, 'audit with verification and head');
  await noHorizontalScroll(page, 'the audit page with the head');
  await screenshots(page, 'audit-integrity');
  await page.context().close();

  const clinician = await newPage(browser);
  await signIn(clinician, base, tokens.clinician, 'ui-clinician');
  check('a clinician has no Audit link', !(await clinician.textContent('#main-nav')).includes('Audit'));
  await clinician.goto(`${base}/#/audit`);
  await clinician.waitForSelector('main .not-allowed');
  check('a clinician opening #/audit is told it is not allowed', /not allowed/i.test(await clinician.textContent('main')));
  check('a clinician sees no audit form', (await clinician.$$('#audit-doc')).length === 0);
  await clinician.context().close();

  const admin = await newPage(browser);
  await signIn(admin, base, tokens.admin, 'ui-admin');
  check('an admin has an Audit link', (await admin.textContent('#main-nav')).includes('Audit'));
  await admin.context().close();
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  if (!fs.existsSync(BIN)) throw new Error(`no binary at ${BIN} (make build, or set CITED_BIN)`);
  fs.mkdirSync(SHOTS, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cited-browser-'));
  // The audit signing key lives outside the data directory (the server refuses one inside it).
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cited-browser-key-'));
  const keyPath = path.join(keyDir, 'audit.key');
  let server = null;
  let browser = null;
  const stop = () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
  };
  process.on('exit', stop);
  try {
    cited(dataDir, ['ingest', 'corpus/', 'tests/browser/fixtures/'], { okCodes: [0, 3] });
    const tokens = {
      clinician: createToken(dataDir, 'ui-clinician', 'clinician'),
      oncology: createToken(dataDir, 'ui-oncology', 'clinician', 'oncology'),
      reviewer: createToken(dataDir, 'ui-reviewer', 'reviewer,clinician'),
      admin: createToken(dataDir, 'ui-admin', 'admin'),
      compliance: createToken(dataDir, 'ui-compliance', 'compliance'),
    };
    cited(dataDir, ['audit', 'keygen', '--out', keyPath]);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const log = fs.openSync(path.join(dataDir, 'serve.log'), 'w');
    server = spawn(BIN, ['--config', CONFIG, '--data-dir', dataDir, 'serve', '--addr', `127.0.0.1:${port}`],
      { cwd: ROOT, stdio: ['ignore', log, log], env: { ...process.env, CITED_AUDIT_SIGNING_KEY: keyPath } });
    await waitReady(base, server, 120);
    console.log(`cited serving ${base} (data ${dataDir})`);

    const headers = await fetch(`${base}/`).then((r) => r.headers);
    check('the UI is served with a Content-Security-Policy', (headers.get('content-security-policy') || '').includes("script-src 'self'"));

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox'],
    });
    await scenario('1. sign in', () => signInScenario(browser, base, tokens));
    await scenario('2. ask, stream, open a citation', () => askScenario(browser, base, tokens));
    await scenario('3. needs review, approve, reuse', () => reviewScenario(browser, base, tokens));
    await scenario('4. compare versions', () => compareScenario(browser, base, tokens));
    await scenario('5. per-document access', () => accessScenario(browser, base, tokens));
    await scenario('6. hostile document text', () => xssScenario(browser, base, tokens));
    await scenario('7. audit trail', () => auditScenario(browser, base, tokens));
    console.log('\n# every view');
    check('no script error, dialog or CSP refusal on any page', incidents.length === 0, incidents.join('; '));
  } finally {
    if (browser) await browser.close();
    stop();
    if (failures > 0 && fs.existsSync(path.join(dataDir, 'serve.log'))) {
      const lines = fs.readFileSync(path.join(dataDir, 'serve.log'), 'utf8').trim().split('\n');
      console.log(`\nlast lines of the server log:\n${lines.slice(-20).join('\n')}`);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(keyDir, { recursive: true, force: true });
  }
}

main().then(
  () => {
    console.log(failures ? `\n${failures} check(s) failed` : '\nall browser checks passed');
    process.exit(failures ? 1 : 0);
  },
  (error) => {
    console.log(`FAIL ${error.message}`);
    process.exit(1);
  },
);
