// Tracemark station page. Plain JavaScript, no build step, no library: everything it does is a
// call to the public API (/api/v1) with the operator's session token. Values from the server
// are only ever set as text (textContent), never as markup.
'use strict';

const $ = (id) => document.getElementById(id);
const GS = '\u001d';
/// What the scan field shows for GS (Ctrl+]), so that the operator sees where it is.
const GS_SHOWN = '\u241d';

const state = {
  token: sessionStorage.getItem('tracemark.token'),
  session: JSON.parse(sessionStorage.getItem('tracemark.session') || 'null'),
  station: null,          // GET /stations/{id}
  live: false,            // the event stream is connected
  lastEventId: null,
  streamAbort: null,
  queue: [],              // scans waiting to be sent, in order
  sending: false,
  jobs: new Map(),        // this station's print jobs, by id: {id, state, reference}
  drawn: new Set(),       // scan-log ids whose outcome this page drew (and reloaded the station for)
  writes: 0,              // this page's requests that change something, not answered yet
  eventCard: null,        // another device's scan waiting to be drawn (onScanEvent)
  printers: [],
  audio: null,
};

// MARK: The API

class APIError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || ('HTTP ' + status));
    this.status = status;
    this.code = problem.code || '';
    // A task command the station refused: its outcome, shown as a scan's would be.
    this.outcome = problem.outcome || null;
  }
}

/// A network failure (no answer at all), as opposed to an answer that refuses.
function isNetworkError(error) { return !(error instanceof APIError); }

/// An answer that says "not now" rather than "no": the station is still being taken over by
/// this service after a restart, the database is unavailable, the first try of the same scan is
/// still running. The scan waits and goes again; it is not thrown away.
function isTransient(error) {
  return error instanceof APIError && (error.status === 503 || error.status === 429
    || (error.status === 409 && (error.code === 'station-elsewhere' || error.code === 'request-in-progress')));
}

async function api(method, path, body, headers) {
  const fields = Object.assign({ Accept: 'application/json' }, headers || {});
  if (state.token) fields.Authorization = 'Bearer ' + state.token;
  if (body !== undefined) fields['Content-Type'] = 'application/json';
  // A scan this page sends may come back on the event feed before its answer: the feed waits
  // for the answer to draw it (onScanEvent), so that a scan is drawn and beeps once.
  const writes = method !== 'GET';
  if (writes) state.writes++;
  let response;
  try {
    response = await fetch('/api/v1' + path, {
      method, headers: fields, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } finally {
    if (writes) state.writes--;
  }
  const type = response.headers.get('content-type') || '';
  if (!response.ok) {
    let problem = {};
    try { problem = type.includes('json') ? await response.json() : { detail: await response.text() }; } catch (_) { /* empty body */ }
    if (response.status === 401 && state.token && path !== '/sessions') endSession('Your session has ended: sign in again.');
    throw new APIError(response.status, problem);
  }
  if (type.includes('json')) return response.json();
  return response.blob();
}

/// An idempotency key: a retry after a lost answer is answered from the first attempt.
function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const enc = encodeURIComponent;

// MARK: Small DOM helpers (text only)

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/// Replaces a node's children, leaving out the absent ones (null, false, '').
function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false && child !== ''));
}

function setError(id, error) { $(id).textContent = error ? (error.message || String(error)) : ''; }

const words = (code) => String(code || '').replace(/-/g, ' ');
const actions = {
  'looked-up': 'Looked up', 'added-to-receipt': 'Added to the receipt', 'receipt-posted': 'Receipt posted',
  'added-to-issue': 'Added to the pick', 'issue-posted': 'Pick posted', 'issue-opened': 'Pick opened',
  'task-cancelled': 'Task cancelled', 'line-removed': 'Line removed', 'quantity-set': 'Quantity set', 'confirmed': 'Confirmed',
  'operator-signed-in': 'Operator signed in', 'run-started': 'Run started', 'run-closed': 'Run closed', 'none': 'Nothing done',
};
const printerWords = {
  ready: 'ready', printing: 'printing', offline: 'off or unreachable', 'no-answer': 'not answering (out of paper or ribbon, or head open?)',
  'paper-out': 'paper out', 'ribbon-out': 'ribbon out', 'head-open': 'head open', paused: 'paused', 'buffer-full': 'buffer full',
  'queue-stopped': 'queue stopped', 'queue-rejecting': 'queue rejects jobs', unknown: 'not asked yet',
};
const jobWords = { queued: 'queued', sending: 'sending', printing: 'printing', done: 'printed', failed: 'failed, will retry', held: 'held', cancelled: 'cancelled' };

// MARK: Session

function saveSession(token, session) {
  state.token = token;
  state.session = session;
  if (token) {
    sessionStorage.setItem('tracemark.token', token);
    sessionStorage.setItem('tracemark.session', JSON.stringify(session));
    localStorage.setItem('tracemark.station', session.station);
  } else {
    sessionStorage.removeItem('tracemark.token');
    sessionStorage.removeItem('tracemark.session');
  }
}

function endSession(message) {
  if (state.streamAbort) state.streamAbort.abort();
  saveSession(null, null);
  state.station = null;
  state.jobs.clear();
  renderJobs();
  const card = $('verdict');
  card.className = 'verdict none';
  delete card.dataset.scan;
  delete card.dataset.verdict;
  fill(card, el('h2', {}, 'Ready'), el('p', {}, 'Scan a label.'));
  $('confirm-form').hidden = true;
  setLive(false);
  location.hash = '#signin';
  route();
  if (message) $('signin-error').textContent = message;
}

async function signIn(event) {
  event.preventDefault();
  setError('signin-error', null);
  const station = $('signin-station').value.trim(), badge = $('signin-badge').value.trim(), pin = $('signin-pin').value;
  if (!station) { setError('signin-error', 'Give the station this screen belongs to.'); return; }
  if (!badge && !pin) { setError('signin-error', 'Scan your badge or type your PIN.'); return; }
  const body = badge ? { station, badge } : { station, pin };
  try {
    const answer = await api('POST', '/sessions', body);
    $('signin-badge').value = '';
    $('signin-pin').value = '';
    saveSession(answer.token, answer.session);
    location.hash = '#station';
    await start();
  } catch (error) {
    setError('signin-error', isNetworkError(error) ? 'The server does not answer: check the network.' : error);
  }
}

async function signOut() {
  try { await api('DELETE', '/sessions/current'); } catch (_) { /* ended anyway */ }
  endSession(null);
}

// MARK: Pages

const pages = ['signin', 'station', 'run', 'lookup', 'labels', 'printers', 'reports', 'recalls'];

function route() {
  let page = (location.hash || '#station').slice(1);
  if (!state.token) page = 'signin';
  if (!pages.includes(page) || (page === 'signin' && state.token)) page = 'station';
  for (const name of pages) $('page-' + name).hidden = name !== page;
  $('nav').hidden = !state.token;
  $('sign-out').hidden = !state.token;
  $('link').hidden = !state.token;
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === '#' + page) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  $('who').textContent = state.session ? `${state.session.name} (${state.session.role}) at ${state.session.station}` : '';
  if (page === 'signin') {
    $('signin-station').value = $('signin-station').value || localStorage.getItem('tracemark.station') || '';
    ($('signin-station').value ? $('signin-badge') : $('signin-station')).focus();
  }
  if (page === 'station') { loadStation(); $('scan-input').focus(); }
  if (page === 'run') loadStation();
  if (page === 'labels') loadPrinters();
  if (page === 'printers') { loadPrinters(); loadJobs(); }
  if (page === 'recalls') loadRecalls();
  if (page === 'reports') loadExpiry();
  document.body.dataset.page = page;
}

// MARK: The live link (/api/v1/events), followed with fetch so that it carries the token

function setLive(live) {
  state.live = live;
  const link = $('link');
  const waiting = state.queue.length;
  link.className = live ? 'live' : 'down';
  link.textContent = live ? 'Live' : (waiting ? `Offline: ${waiting} scan${waiting === 1 ? '' : 's'} waiting` : 'Offline: reconnecting');
  document.body.dataset.live = live ? 'yes' : 'no';
}

async function follow() {
  let delay = 500;
  while (state.token) {
    const controller = new AbortController();
    state.streamAbort = controller;
    let silence;
    try {
      const headers = { Authorization: 'Bearer ' + state.token, Accept: 'text/event-stream' };
      if (state.lastEventId) headers['Last-Event-ID'] = state.lastEventId;
      const response = await fetch('/api/v1/events', { headers, cache: 'no-store', signal: controller.signal });
      if (response.status === 401) { endSession('Your session has ended: sign in again.'); return; }
      if (!response.ok || !response.body) throw new Error('events: HTTP ' + response.status);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      // The server writes at least a heartbeat every 15 s: a longer silence is a dead link.
      const watch = () => { clearTimeout(silence); silence = setTimeout(() => controller.abort(), 40000); };
      watch();
      setLive(true);
      delay = 500;
      flushQueue();
      refreshPage();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        watch();
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          dispatch(block);
        }
      }
    } catch (_) {
      // A dropped or refused connection: say so, and try again.
    }
    clearTimeout(silence);
    if (!state.token) return;
    setLive(false);
    renderQueue();
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 4000);
  }
}

function dispatch(block) {
  let id = null, kind = 'message', data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') kind = value;
    else if (field === 'data') data += (data ? '\n' : '') + value;
  }
  if (id) state.lastEventId = id;
  if (!data) return;
  let event;
  try { event = JSON.parse(data); } catch (_) { return; }
  if (kind === 'job') onJobEvent(event);
  else if (kind === 'scan') onScanEvent(event);
  else if (kind === 'printer') onPrinterEvent(event);
  // The server's logs went back (a backup restored): what the page shows may be gone; reload it.
  else if (kind === 'reset') { state.jobs.clear(); refreshPage(); }
}

let refreshTimer = null;
/// Reloads what the page shows from the API, at most a few times a second.
function refreshPage() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    const page = document.body.dataset.page;
    if (page === 'station' || page === 'run') loadStation();
    if (page === 'printers') { loadPrinters(); loadJobs(); }
  }, 150);
}

function onJobEvent(event) {
  const job = state.jobs.get(event.job);
  if (job) {
    job.state = event.state;
    job.message = event.message;
    job.fromEvent = true;
    renderJobs();
  }
  if (document.body.dataset.page === 'printers') refreshPage();
}

function onScanEvent(event) {
  if (!state.session || event.station !== state.session.station) return;
  for (const id of event.jobs || []) trackJob(id);
  // A scan this page drew has reloaded the station already; another device's needs it.
  if (state.drawn.has(event.scan)) return;
  refreshPage();
  // The station's own scanner (a USB or serial scanner beside the screen), or another client:
  // its verdict is drawn here too, for the operator looks at this screen whichever scanner read
  // the label. A verify scanner's good reads are not (one per unit made: the run page counts them).
  if (event.action === 'unit-verified' && event.verdict === 'ok') return;
  if (!state.eventCard || event.scan > state.eventCard.scan) state.eventCard = event;
  drawEventCard();
}

/// Draws the newest scan of another device once this page's own requests are answered (one of
/// them may be that scan), and only if no newer card is on screen: the feed's catch-up after a
/// reconnection draws its last scan, not each.
function drawEventCard() {
  clearTimeout(state.eventCardTimer);
  state.eventCardTimer = setTimeout(() => {
    if (state.writes > 0 || state.sending) { drawEventCard(); return; }
    const event = state.eventCard;
    state.eventCard = null;
    if (!event || state.drawn.has(event.scan) || document.body.dataset.page !== 'station') return;
    const shown = Number($('verdict').dataset.scan || 0);
    if (shown > event.scan) return;
    showOutcome({ scan: event.scan, station: event.station, verdict: event.verdict, reasons: event.reasons || [],
                  action: event.action, next: event.next, document: event.document, jobs: event.jobs || [],
                  device: event.device }, null);
  }, 100);
}

/// Follows a print job of this station: its state now, then each change the feed brings.
async function trackJob(id, job) {
  if (state.jobs.has(id)) return;
  const entry = { id, state: job ? job.state : 'queued', reference: job ? job.reference : '', fromEvent: false };
  state.jobs.set(id, entry);
  renderJobs();
  if (job) return;
  try {
    const now = await api('GET', '/jobs/' + id);
    // A change the feed brought meanwhile is newer than this answer.
    if (!entry.fromEvent) { entry.state = now.state; entry.reference = now.reference; renderJobs(); }
  } catch (_) { /* the feed still brings its changes */ }
}

function onPrinterEvent(event) {
  if (state.station && event.printer === state.station.printer) loadStationPrinter();
  if (document.body.dataset.page === 'printers') refreshPage();
}

// MARK: Scans

function scanKeydown(event) {
  // A wedge scanner sends GS as Ctrl+]; show it as ␝ and send it as GS.
  if (event.ctrlKey && !event.altKey && (event.key === ']' || event.code === 'BracketRight' || event.key === GS)) {
    event.preventDefault();
    const input = event.target;
    const at = input.selectionStart ?? input.value.length, to = input.selectionEnd ?? at;
    input.value = input.value.slice(0, at) + GS_SHOWN + input.value.slice(to);
    input.setSelectionRange(at + 1, at + 1);
    return;
  }
  if (event.key === 'Enter') {
    event.preventDefault();
    const typed = event.target.value;
    event.target.value = '';
    if (typed.trim()) takeScan(typed);
  }
}

/// What was typed, as the scanner read it: ␝ and the station's substitute back to GS; an AIM
/// symbology identifier (]C1, ]d2, ]Q3…) kept, apart, as the scan's symbology.
function scanData(typed) {
  let raw = typed.split(GS_SHOWN).join(GS);
  const substitute = state.station && state.station.gsSubstitute;
  if (substitute) raw = raw.split(substitute).join(GS);
  let symbologyId = null;
  const aim = /^\][A-Za-z][0-9A-Za-z]/.exec(raw);
  if (aim && raw.length > 3) { symbologyId = aim[0]; raw = raw.slice(3); }
  return { raw, symbologyId };
}

function takeScan(typed) {
  const key = newKey();
  performance.mark('scan-enter:' + key);
  state.queue.push(Object.assign(scanData(typed), { key, typed }));
  saveQueue();
  flushQueue();
}

/// Where the waiting scans are kept: per station and operator, so that scans typed before a
/// session ended are never sent under the next operator's name (they wait for their own).
function queueKey(session) {
  return 'tracemark.queue.' + session.station + '.' + session.badge;
}

function saveQueue() {
  if (state.session) localStorage.setItem(queueKey(state.session), JSON.stringify(state.queue));
  renderQueue();
}

function renderQueue() {
  const list = $('queue');
  fill(list, ...state.queue.map((item) => el('li', {}, item.typed)));
  $('queue-panel').hidden = state.queue.length === 0;
  if (!state.live && state.token) setLive(false);
}

/// Sends the waiting scans in order, each once: while the link is down they wait; a send that
/// gets no answer stays first in line and goes again with the same key.
async function flushQueue() {
  if (state.sending || !state.live || !state.session) { renderQueue(); return; }
  state.sending = true;
  try {
    while (state.queue.length && state.live && state.session) {
      const item = state.queue[0];
      let outcome = null, refused = null;
      try {
        outcome = await api('POST', `/stations/${enc(state.session.station)}/scans`,
                            { raw: item.raw, scanId: item.key, symbologyId: item.symbologyId || undefined },
                            { 'Idempotency-Key': item.key });
      } catch (error) {
        if (isNetworkError(error)) { setLive(false); if (state.streamAbort) state.streamAbort.abort(); break; }
        if (isTransient(error)) {
          // Kept first in line, and sent again with the same key in a moment.
          if (!state.retryTimer) state.retryTimer = setTimeout(() => { state.retryTimer = null; flushQueue(); }, 2000);
          break;
        }
        refused = error;
      }
      // The answer's part of Enter-to-verdict, measured apart from the drawing.
      if (performance.getEntriesByName('scan-enter:' + item.key).length) {
        try { performance.measure('scan-to-answer', 'scan-enter:' + item.key); } catch (_) { /* mark gone */ }
      }
      state.queue.shift();
      saveQueue();
      if (outcome) await showOutcome(outcome, item.key); else showRefusal(refused, item.key);
    }
  } finally {
    state.sending = false;
    renderQueue();
  }
}

function record(outcome) {
  const resolution = outcome.resolution;
  if (!resolution) return null;
  const rows = [];
  const add = (term, value) => { if (value !== undefined && value !== null && value !== '') rows.push(el('dt', {}, term), el('dd', {}, value)); };
  const lot = resolution.lotSerial;
  const scan = resolution.scan || {};
  if (resolution.product) add('Product', `${resolution.product.article}: ${resolution.product.description || ''}`.replace(/: $/, ''));
  add(lot && lot.kind === 'serial' || scan.serial ? 'Serial' : 'Lot', lot ? lot.number : (scan.lot || scan.serial));
  const expiry = lot && lot.expiry ? lot.expiry : scan.expiry;
  if (expiry) {
    const days = resolution.daysToExpiry;
    add('Expiry', days === undefined || days === null ? expiry
      : `${expiry} (${days < 0 ? `expired ${-days} day${days === -1 ? '' : 's'} ago` : `${days} day${days === 1 ? '' : 's'} left`})`);
  }
  if (lot) add('Status', words(lot.status));
  const warehouse = state.station && state.station.warehouse;
  if (resolution.stock && (lot || resolution.stock.length)) {
    const here = resolution.stock.filter((line) => !warehouse || line.warehouse === warehouse);
    const unit = (here[0] && here[0].unit) || (resolution.product && resolution.product.unit) || '';
    const total = here.reduce((sum, line) => sum + Number(line.quantity || 0), 0);
    add(warehouse ? `Stock in ${warehouse}` : 'Stock', `${total} ${unit}`.trim());
  }
  return rows.length ? el('dl', {}, rows) : null;
}

async function showOutcome(outcome, key) {
  const card = $('verdict');
  const titles = { ok: 'OK', warn: 'Check', block: 'Stop' };
  card.className = 'verdict ' + outcome.verdict;
  card.dataset.verdict = outcome.verdict;
  // A confirmation's own log entry, else the scan's: each card has its own.
  card.dataset.scan = outcome.confirmation ?? outcome.scan ?? '';
  for (const id of [outcome.scan, outcome.confirmation]) if (id !== undefined && id !== null) state.drawn.add(id);
  fill(card,
    el('h2', {}, `${titles[outcome.verdict] || outcome.verdict}: ${actions[outcome.action] || words(outcome.action)}`),
    outcome.reasons.length ? el('ul', {}, outcome.reasons.map((reason) => el('li', { 'data-code': reason.code }, reason.message))) : null,
    record(outcome),
    el('p', { class: 'next' }, outcome.verdict === 'block' ? `What to do: ${outcome.next}` : `Next: ${outcome.next}`),
    outcome.replayed ? el('p', {}, 'This scan had been sent before: this is what it did then.') : null,
    outcome.device ? el('p', { class: 'device' }, `Read by ${outcome.device === 'api' ? 'another screen or client' : outcome.device}`) : null,
  );
  if (key) markShown(key);
  beep(outcome.verdict);
  for (const id of outcome.jobs || []) trackJob(id);
  await loadStation();
  // A warn that holds a line back needs a reason: the station's task says which line waits.
  const task = state.station && state.station.task;
  const waiting = outcome.verdict === 'warn' && task && task.lines.some((line) => line.scan === outcome.scan && line.pending);
  $('confirm-form').hidden = !waiting;
  $('confirm-form').dataset.scan = waiting ? outcome.scan : '';
  // The scan field keeps the focus: a keyboard-wedge scanner types the next label into whatever
  // has it, and that label must not become the reason (a QA run saw it confirm the line). The
  // supervisor clicks into the reason to give one.
  if (waiting) { setError('confirm-error', null); $('confirm-reason').value = ''; }
}

let refusals = 0;
function showRefusal(error, key) {
  const card = $('verdict');
  card.className = 'verdict block';
  card.dataset.verdict = 'block';
  card.dataset.scan = 'refused-' + (++refusals);
  fill(card, el('h2', {}, 'Stop: not taken'), el('p', {}, error.message));
  if (key) markShown(key);
  beep('block');
}

/// The time from the scanner's Enter to the verdict painted, as a performance measure.
function markShown(key) {
  const start = 'scan-enter:' + key;
  if (!performance.getEntriesByName(start).length) return;
  requestAnimationFrame(() => setTimeout(() => {
    try { performance.measure('scan-to-verdict', start); } catch (_) { /* mark gone */ }
    performance.clearMarks(start);
  }, 0));
}

async function confirmScan(event) {
  event.preventDefault();
  const scan = $('confirm-form').dataset.scan, reason = $('confirm-reason').value.trim();
  if (!reason) { setError('confirm-error', 'Give the reason: a supervisor confirms with a reason.'); return; }
  try {
    const outcome = await api('POST', `/stations/${enc(state.session.station)}/scans/${enc(scan)}/confirm`, { reason },
                              { 'Idempotency-Key': newKey() });
    $('confirm-form').hidden = true;
    await showOutcome(outcome, null);
    $('scan-input').focus();
  } catch (error) {
    setError('confirm-error', error.status === 403 ? 'A supervisor must confirm this: sign in as one. ' + error.message : error);
  }
}

// MARK: Sounds (Web Audio: nothing to download)

function beep(verdict) {
  if (!$('sound-on').checked) return;
  try {
    state.audio = state.audio || new (window.AudioContext || window.webkitAudioContext)();
    const tones = { ok: [[880, 0.12]], warn: [[620, 0.12], [620, 0.12]], block: [[220, 0.5]] }[verdict] || [];
    let at = state.audio.currentTime;
    for (const [frequency, length] of tones) {
      const oscillator = state.audio.createOscillator(), gain = state.audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.2;
      oscillator.connect(gain).connect(state.audio.destination);
      oscillator.start(at);
      oscillator.stop(at + length);
      at += length + 0.08;
    }
  } catch (_) { /* no audio device */ }
}

// MARK: The station and its task

async function loadStation() {
  if (!state.session) return;
  try {
    state.station = await api('GET', '/stations/' + enc(state.session.station));
  } catch (error) {
    $('task-info').textContent = isNetworkError(error) ? 'The server does not answer.' : error.message;
    return;
  }
  renderTask();
  renderRun();
  renderProposal();
  loadStationPrinter();
}

/// The state of the station's printer, where its labels go: paper out, head open, off…
async function loadStationPrinter() {
  const name = state.station && state.station.printer;
  $('station-printer').textContent = name ? `Printer ${name}: …` : '';
  if (!name) return;
  try {
    const printer = await api('GET', '/printers/' + enc(name));
    $('station-printer').textContent = `Printer ${name}: ${printerWords[printer.state] || words(printer.state)}, ${printer.queued} queued`;
    $('station-printer').dataset.state = printer.state;
  } catch (_) { /* shown again at the next change */ }
}

function renderTask() {
  const station = state.station, task = station.task;
  const kinds = { receipt: 'Receipt', issue: 'Pick', run: 'Production run' };
  $('task-panel').hidden = station.kind === 'lookup';
  $('task-title').textContent = task ? `${kinds[task.kind] || task.kind}${task.partner ? ' for ' + task.partner : ''}` : 'No open task';
  $('task-info').textContent = task ? `Opened ${task.openedAt.slice(0, 16).replace('T', ' ')}${task.operatorName ? ' by ' + task.operatorName : ''}; ${task.lines.length} line${task.lines.length === 1 ? '' : 's'}`
    : ({ receiving: `Scan a supplier's label to start a receipt${station.supplier ? ' from ' + station.supplier : ''}.`,
         picking: 'Open a pick for a customer, then scan the goods.', production: 'Start a run on the production run page.' }[station.kind] || '');
  $('task-open').hidden = !(station.kind === 'picking' && !task);
  $('task-complete').disabled = !task;
  $('task-cancel').disabled = !task;
  const table = $('task-lines');
  const lines = task ? task.lines : [];
  table.hidden = lines.length === 0;
  fill(table.tBodies[0], ...lines.map((line) => el('tr', {},
    el('td', {}, removeButton(line)), el('td', {}, line.product), el('td', {}, line.number || ''), el('td', {}, line.quantity), el('td', {}, line.expiry || ''),
    el('td', {}, line.job ? el('span', { class: 'line-job', 'data-job': String(line.job) }, lineJobText(line.job)) : ''),
    el('td', {}, line.pending ? confirmCell(line) : (line.confirmation || '')))));
}

/// A task line's label job as it is now: a job this page has not followed yet (a line scanned
/// before a reload, or by another device) is asked for, and the cell follows it from then on.
function lineJobText(id) {
  const job = state.jobs.get(id);
  if (!job) { trackJob(id); return `${id}: …`; }
  return `${id}: ${jobWords[job.state] || job.state}`;
}

/// Takes one line off the open receipt or pick (a wrong item or quantity scanned).
function removeButton(line) {
  const button = el('button', { type: 'button', class: 'quiet remove-line', 'aria-label': `Remove ${line.product} ${line.number || ''}`.trim() }, 'Remove');
  button.addEventListener('click', async () => {
    try {
      const outcome = await api('DELETE', `/stations/${enc(state.session.station)}/task/lines/${line.id}`, undefined, { 'Idempotency-Key': newKey() });
      await showOutcome(outcome, null);
    } catch (error) { await showFailure(error); }
  });
  return button;
}

/// A line waiting for a supervisor: what it waits for, and for a supervisor signed in here, the
/// button that opens the confirmation for it (also after the scan's own card has gone).
function confirmCell(line) {
  const text = `Needs a supervisor's confirmation (${words(line.pending)})`;
  if (!state.session || state.session.role !== 'supervisor' || line.scan === undefined || line.scan === null) return text;
  const button = el('button', { type: 'button', class: 'confirm-line' }, 'Confirm');
  button.addEventListener('click', () => {
    $('confirm-form').hidden = false;
    $('confirm-form').dataset.scan = line.scan;
    setError('confirm-error', null);
    $('confirm-reason').value = '';
    $('confirm-reason').focus();
  });
  return el('span', {}, text + ' ', button);
}

/// A pick: for each product on it, the lot or serial the registry's issue order takes next
/// (the class's issue method, the customer's shelf life), after what is on the pick already.
async function renderProposal() {
  const station = state.station, task = station && station.task;
  if (!task || task.kind !== 'issue' || !station.warehouse) { fill($('task-proposal')); return; }
  const picked = new Map(), pickedLots = new Map();
  for (const line of task.lines) {
    picked.set(line.product, (picked.get(line.product) || 0) + Number(line.quantity || 0));
    const lot = line.product + '\u0000' + (line.number || '');
    pickedLots.set(lot, (pickedLots.get(lot) || 0) + Number(line.quantity || 0));
  }
  const items = [];
  for (const [product, quantity] of picked) {
    try {
      // The proposal of one more than the pick holds, less what the pick took of each of its
      // lots: the first lot with some left is the next in issue order, whichever lots were
      // taken (the last of the proposal was shown, which is wrong when the pick took a lot out of
      // order; found by a QA run).
      const proposal = await api('GET', `/products/${enc(product)}/proposal?warehouse=${enc(station.warehouse)}&quantity=${quantity + 1}` +
                                        (task.partner ? '&customer=' + enc(task.partner) : ''));
      const next = proposal.picks.find((pick) => Number(pick.quantity) > (pickedLots.get(product + '\u0000' + pick.number) || 0));
      items.push(el('li', { 'data-product': product }, next
        ? `Next of ${product} to take: ${next.number}${next.expiry ? `, expires ${next.expiry}` : ''}${next.daysLeft !== undefined && next.daysLeft !== null ? ` (${next.daysLeft} days left)` : ''}`
        : `Nothing more of ${product} to take`));
    } catch (error) {
      items.push(el('li', { 'data-product': product }, `${product}: ${error.message}`));
    }
  }
  if (state.station === station) fill($('task-proposal'), items);
}

function renderJobs() {
  const list = $('station-jobs');
  const jobs = [...state.jobs.values()].sort((a, b) => b.id - a.id).slice(0, 20);
  fill(list, ...jobs.map((job) => el('li', { id: 'job-' + job.id, 'data-state': job.state },
    `Label job ${job.id}: `, el('span', { class: 'state ' + job.state }, jobWords[job.state] || job.state),
    job.message && job.state !== 'done' && job.message !== job.state ? ` (${job.message})` : '')));
  if (!jobs.length) fill(list, el('li', { class: 'muted' }, 'None yet.'));
  for (const cell of document.querySelectorAll('.line-job')) cell.textContent = lineJobText(Number(cell.dataset.job));
}

async function taskControl(what) {
  try {
    const outcome = await api('POST', `/stations/${enc(state.session.station)}/task/${what}`, undefined, { 'Idempotency-Key': newKey() });
    await showOutcome(outcome, null);
  } catch (error) { await showFailure(error); }
}

/// A refused task command shows the station's outcome (reasons, what to do next); other failures their message.
async function showFailure(error) {
  if (error instanceof APIError && error.outcome) await showOutcome(error.outcome, null);
  else showRefusal(error, null);
}

async function openPick() {
  const customer = $('pick-customer').value.trim();
  if (!customer) { showRefusal(new Error('Give the customer the goods go to.'), null); return; }
  try {
    await showOutcome(await api('POST', `/stations/${enc(state.session.station)}/task`, { customer }, { 'Idempotency-Key': newKey() }), null);
    $('scan-input').focus();
  } catch (error) { await showFailure(error); }
}

// MARK: Production run

function renderRun() {
  const task = state.station && state.station.task, run = task && task.run;
  const production = state.station && state.station.kind === 'production';
  $('run-start').disabled = !production || !!run;
  $('run-stop').disabled = !run;
  if (!production) { $('run-title').textContent = `Station ${state.station ? state.station.name : ''} is not a production line.`; }
  else $('run-title').textContent = run ? `Run ${run.run}: ${run.product}${run.lot ? ' lot ' + run.lot : ''}, ${run.planned} planned` : 'No run open';
  const planned = run ? Math.max(run.planned, 1) : 1;
  $('run-progress').max = planned;
  $('run-progress').value = run ? Math.min(run.verified, planned) : 0;
  const counts = run ? [['Printed', run.printed], ['Verified', run.verified], ['Missing', run.missing.length], ['Voided', run.voided]] : [];
  fill($('run-counts'), ...counts.map(([name, value]) => el('div', {}, el('strong', {}, value), name)));
}

async function startRun(event) {
  event.preventDefault();
  setError('run-error', null);
  const body = { product: $('run-product').value.trim(), count: Number($('run-count').value) };
  if ($('run-expiry').value) body.expiry = $('run-expiry').value;
  if (!body.product) { setError('run-error', 'Give the product the run makes.'); return; }
  try {
    await api('POST', `/stations/${enc(state.session.station)}/task`, body, { 'Idempotency-Key': newKey() });
    await loadStation();
  } catch (error) { setError('run-error', error); }
}

async function stopRun() {
  setError('run-error', null);
  try {
    await api('POST', `/stations/${enc(state.session.station)}/task/complete`, undefined, { 'Idempotency-Key': newKey() });
    await loadStation();
  } catch (error) { setError('run-error', error); }
}

// MARK: Look-up

async function lookUp(event) {
  event.preventDefault();
  setError('lookup-error', null);
  const { raw } = scanData($('lookup-code').value);
  if (!raw.trim()) return;
  try {
    const resolution = await api('GET', '/resolve?code=' + enc(raw));
    const warnings = resolution.warnings || [];
    const card = $('lookup-card');
    card.className = 'verdict none';
    fill(card,
      el('h2', {}, resolution.subject === 'unknown' ? 'Not known' : words(resolution.subject)),
      warnings.length ? el('ul', {}, warnings.map((w) => el('li', {}, w.message))) : el('p', {}, 'No warnings.'),
      record({ resolution }) || '');
    const lot = resolution.lotSerial;
    if (lot) await showHistory(lot.product, lot.number);
    else { fill($('lookup-history')); fill($('lookup-genealogy'), el('p', { class: 'muted' }, 'No lot or serial.')); }
  } catch (error) { setError('lookup-error', error); }
}

async function showHistory(product, number) {
  const history = await api('GET', `/products/${enc(product)}/lots/${enc(number)}/history`);
  fill($('lookup-history'), ...history.entries.map((entry) => el('li', {},
    el('strong', {}, `${(entry.date || entry.at.slice(0, 10))}: ${words(entry.what)}`),
    ` ${[entry.document, entry.quantity !== undefined && entry.quantity !== null ? `${entry.quantity}` : null, entry.warehouse,
         entry.partner, entry.override, entry.user, entry.note].filter(Boolean).join(' · ')}`)));
  const link = (item) => el('li', {}, `${item.quantity} ${item.unit} ${item.product}${item.number ? ` ${item.number}` : ''} (${item.document}) `,
    item.number ? el('button', { type: 'button', class: 'quiet', onclick: () => showHistory(item.product, item.number) }, `Open ${item.number}`) : '');
  fill($('lookup-genealogy'),
    el('h3', {}, 'Made from'), history.madeFrom.length ? el('ul', { class: 'tree' }, history.madeFrom.map(link)) : el('p', { class: 'muted' }, 'Nothing recorded.'),
    el('h3', {}, 'Went into'), history.usedIn.length ? el('ul', { class: 'tree' }, history.usedIn.map(link)) : el('p', { class: 'muted' }, 'Nothing yet.'),
    history.splitFrom ? el('p', {}, `Split from lot ${history.splitFrom}`) : '');
}

// MARK: Labels

function labelRequest() {
  const body = { product: $('label-product').value.trim() || undefined };
  const number = $('label-number').value.trim();
  if (number) body[$('label-is-serial').checked ? 'serial' : 'lot'] = number;
  return body;
}

async function preview() {
  setError('label-error', null);
  try {
    const png = await api('POST', `/templates/${enc($('label-template').value.trim())}/preview`, labelRequest());
    const image = $('label-image');
    if (image.src) URL.revokeObjectURL(image.src);
    image.src = URL.createObjectURL(png);
    image.hidden = false;
  } catch (error) { setError('label-error', error); }
}

async function printLabel(event) {
  event.preventDefault();
  setError('label-error', null);
  const body = Object.assign(labelRequest(), { template: $('label-template').value.trim(), printer: $('label-printer').value,
                                               copies: Number($('label-copies').value) || 1, reason: 'printed from the station page' });
  try {
    const job = await api('POST', '/jobs', body, { 'Idempotency-Key': newKey() });
    trackJob(job.id, job);
    $('label-result').textContent = `Job ${job.id} queued on ${job.printer}.`;
  } catch (error) { setError('label-error', error); }
}

async function reprint(event) {
  event.preventDefault();
  setError('reprint-error', null);
  const id = $('reprint-job').value.trim(), reason = $('reprint-reason').value.trim();
  if (!/^\d+$/.test(id)) { setError('reprint-error', 'Give the number of the job to print again.'); return; }
  if (!reason) { setError('reprint-error', 'Give the reason for the reprint (a damaged label, say).'); return; }
  try {
    const job = await api('POST', `/jobs/${id}/reprint`, { reason }, { 'Idempotency-Key': newKey() });
    trackJob(job.id, job);
    $('label-result').textContent = `Reprint queued as job ${job.id}.`;
  } catch (error) { setError('reprint-error', error); }
}

// MARK: Printers and jobs

async function loadPrinters() {
  try { state.printers = await api('GET', '/printers'); } catch (_) { return; }
  fill($('printers').tBodies[0], ...state.printers.map((printer) => el('tr', { 'data-printer': printer.name },
    el('td', {}, el('strong', {}, printer.name), el('br'), el('span', { class: 'muted mono' }, printer.uri)),
    el('td', {}, el('span', { class: 'state ' + printer.state }, printerWords[printer.state] || words(printer.state)), el('br'), printer.stateMessage),
    el('td', {}, `${printer.queued} queued${printer.held ? `, ${printer.held} held` : ''}`))));
  for (const id of ['label-printer', 'jobs-printer', 'jobs-move-to']) {
    const select = $(id), chosen = select.value;
    const options = state.printers.map((printer) => el('option', { value: printer.name }, printer.name));
    if (id === 'jobs-printer') options.unshift(el('option', { value: '' }, 'All printers'));
    fill(select, ...options);
    if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
    else if (id === 'label-printer' && state.station && state.station.printer) select.value = state.station.printer;
  }
}

async function loadJobs() {
  const printer = $('jobs-printer').value;
  let jobs;
  try { jobs = await api('GET', '/jobs?limit=50' + (printer ? '&printer=' + enc(printer) : '')); } catch (error) { setError('jobs-error', error); return; }
  const act = (label, path, body, quiet) => el('button', { type: 'button', class: quiet ? 'quiet' : '', onclick: () => jobAction(path, body) }, label);
  fill($('jobs').tBodies[0], ...jobs.map((job) => el('tr', { 'data-job': job.id },
    el('td', {}, String(job.id)),
    el('td', {}, `${job.reference || job.template || ''} on ${job.printer}`, job.reprintOf ? ` (reprint of ${job.reprintOf})` : '',
       job.error ? el('div', { class: 'error' }, job.error) : ''),
    el('td', {}, el('span', { class: 'state ' + job.state }, jobWords[job.state] || job.state)),
    el('td', { class: 'actions' },
       ['held', 'failed', 'cancelled'].includes(job.state) ? act('Retry', `/jobs/${job.id}/retry`) : '',
       ['queued', 'held', 'failed'].includes(job.state) ? act('Cancel', `/jobs/${job.id}/cancel`, undefined, true) : '',
       ['queued', 'held', 'failed'].includes(job.state) ? el('button', { type: 'button', class: 'quiet',
         onclick: () => jobAction(`/jobs/${job.id}/move`, { printer: $('jobs-move-to').value }) }, 'Move') : '',
       el('button', { type: 'button', class: 'quiet', onclick: () => jobHistory(job.id) }, 'History')))));
}

async function jobAction(path, body) {
  setError('jobs-error', null);
  try { await api('POST', path, body, { 'Idempotency-Key': newKey() }); } catch (error) { setError('jobs-error', error); }
  loadJobs();
  loadPrinters();
}

async function jobHistory(id) {
  try {
    const steps = await api('GET', `/jobs/${id}/history`);
    $('job-history-title').textContent = `Job ${id} history`;
    fill($('job-history'), ...steps.map((step) => el('li', {},
      el('strong', {}, `${step.at.slice(0, 19).replace('T', ' ')}: ${jobWords[step.state] || step.state}`), ` ${step.message}`)));
  } catch (error) { setError('jobs-error', error); }
}

// MARK: The expiry report

async function loadExpiry(event) {
  if (event) event.preventDefault();
  setError('expiry-error', null);
  const within = Number($('expiry-within').value);
  if (!Number.isInteger(within) || within < 0 || within > 36500) { setError('expiry-error', 'Within is a number of days from 0 to 36500.'); return; }
  const product = $('expiry-product').value.trim();
  let report;
  try {
    report = await api('GET', `/reports/expiry?within=${within}${product ? '&product=' + enc(product) : ''}&includeSold=${$('expiry-sold').checked}`);
  } catch (error) { setError('expiry-error', error); return; }
  $('expiry-today').textContent = `Today ${report.today}; stock and deliveries of lots that expire within ${report.within} days.`;
  // Weeks left: expired, then 0–6 days, 7–13 days … up to the window's end.
  const weeks = Math.floor(report.within / 7) + 1;
  const buckets = Array.from({ length: weeks + 1 }, (_, index) => ({
    label: index === 0 ? 'Expired' : (index === 1 ? 'This week' : `In ${index - 1} week${index === 2 ? '' : 's'}`), stock: 0, sold: 0 }));
  const bucket = (daysLeft) => (daysLeft < 0 ? 0 : Math.min(weeks, Math.floor(daysLeft / 7) + 1));
  const units = new Set(report.stock.map((line) => line.unit));
  for (const line of report.stock) buckets[bucket(line.daysLeft)].stock += Number(line.quantity);
  for (const line of report.sold || []) buckets[bucket(line.daysLeft)].sold += Number(line.quantity);
  const largest = Math.max(1, ...buckets.map((b) => b.stock + b.sold));
  const unit = units.size === 1 ? ' ' + [...units][0] : '';
  fill($('expiry-chart'), buckets.map((b, index) => el('li', { class: index === 0 ? 'expired' : '' },
    el('span', {}, b.label),
    el('meter', { min: 0, max: largest, value: b.stock + b.sold, 'aria-label': `${b.label}: ${b.stock}${unit} in stock, ${b.sold} at customers` }),
    el('span', { class: 'amount' }, `${b.stock}${unit}${b.sold ? ` +${b.sold}` : ''}`))));
  fill($('expiry-stock').tBodies[0], report.stock.map((line) => el('tr', { class: line.expired ? 'expired' : '' },
    el('td', {}, `${line.expiry} (${line.expired ? `expired ${-line.daysLeft} d ago` : `${line.daysLeft} d`})`),
    el('td', {}, `${line.product} ${line.number}`),
    el('td', {}, `${line.quantity} ${line.unit} in ${line.warehouse}`))));
  fill($('expiry-sold-list'), report.sold && report.sold.length
    ? report.sold.map((line) => el('li', {}, `${customerText(line)}: ${line.quantity} of ${line.product} ${line.number} (${line.document}), expires ${line.expiry}`))
    : [el('li', { class: 'muted' }, report.sold ? 'None.' : 'Not asked for.')]);
}

// MARK: Recalls

/// A delivery's customer: code and name, or that the issue named none (the goods still left).
function customerText(row) {
  if (row.customer == null) return 'no customer recorded';
  return `${row.customer}${row.customerName ? ': ' + row.customerName : ''}`;
}

let shownRecall = null;

async function loadRecalls() {
  let recalls;
  try { recalls = await api('GET', '/recalls'); } catch (error) { setError('recall-error', error); return; }
  fill($('recalls').tBodies[0], recalls.map((recall) => el('tr', { 'data-recall': recall.id },
    el('td', {}, String(recall.id)), el('td', {}, el('span', { class: 'state ' + recall.state }, recall.state)), el('td', {}, recall.reason),
    el('td', {}, el('button', { type: 'button', class: 'quiet', onclick: () => showRecall(recall.id) }, `Show ${recall.id}`)))));
  if (shownRecall) showRecall(shownRecall);
}

async function showRecall(id) {
  let report;
  try { report = await api('GET', '/recalls/' + id); } catch (error) { setError('recall-error', error); return; }
  shownRecall = id;
  const recall = report.recall;
  $('recall-panel').dataset.recall = id;
  $('recall-panel').dataset.state = recall.state;
  $('recall-title').textContent = `Recall ${recall.id} (${recall.state}): ${recall.reason}`;
  $('recall-info').textContent = [`opened ${recall.openedAt.slice(0, 16).replace('T', ' ')} by ${recall.openedBy}`,
    recall.heldAt ? `held ${recall.heldAt.slice(0, 16).replace('T', ' ')} by ${recall.heldBy}` : null,
    recall.closedAt ? `closed by ${recall.closedBy}: ${recall.note}` : null].filter(Boolean).join('; ');
  $('recall-hold').disabled = recall.state === 'closed';
  $('recall-close').disabled = recall.state === 'closed';
  fill($('recall-lots'), recall.lots.map((lot) => el('li', { 'data-status': lot.status },
    `${lot.product} ${lot.kind} ${lot.number}: ${words(lot.status)}${lot.seed ? ' (named)' : ` (made from it, level ${lot.depth})`}`)));
  fill($('recall-stock'), report.stock.length ? report.stock.map((line) =>
    el('li', {}, `${line.quantity} ${line.unit} of ${line.product} ${line.number} in ${line.warehouse}: ${words(line.status)}`))
    : [el('li', { class: 'muted' }, 'Nothing in stock.')]);
  fill($('recall-holdings'), report.holdings.length ? report.holdings.map((row) =>
    el('li', {}, `${customerText(row)} holds ${row.quantity} of ${row.product} ${row.number}`
      + ([row.contact, row.phone, row.email].some(Boolean) ? ` (${[row.contact, row.phone, row.email].filter(Boolean).join(', ')})` : '')))
    : [el('li', { class: 'muted' }, 'No customer holds any.')]);
  fill($('recall-exposure').tBodies[0], report.exposure.map((row) => el('tr', {},
    el('td', {}, customerText(row)),
    el('td', {}, `${row.quantity} of ${row.product} ${row.number}, ${row.document}${row.date ? ' on ' + row.date : ''}`),
    el('td', {}, [row.contact, row.phone, row.email].filter(Boolean).join(', ')))));
}

async function openRecall(event) {
  event.preventDefault();
  setError('recall-error', null);
  const body = { product: $('recall-product').value.trim(), numbers: $('recall-numbers').value.split(',').map((n) => n.trim()).filter(Boolean),
                 reason: $('recall-reason').value.trim() };
  if (!body.product || !body.numbers.length || !body.reason) { setError('recall-error', 'Give the product, its lots or serials, and the reason.'); return; }
  try {
    const recall = await api('POST', '/recalls', body, { 'Idempotency-Key': newKey() });
    shownRecall = recall.id;
    await loadRecalls();
  } catch (error) { setError('recall-error', error); }
}

async function recallStep(step, body) {
  setError('recall-error', null);
  try { await api('POST', `/recalls/${shownRecall}/${step}`, body, { 'Idempotency-Key': newKey() }); } catch (error) { setError('recall-error', error); }
  await loadRecalls();
}

// MARK: Start

async function start() {
  if (!state.token) { route(); return; }
  state.queue = JSON.parse(localStorage.getItem(queueKey(state.session)) || '[]');
  setLive(false);
  route();
  follow();
}

document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  $('scan-form').addEventListener('submit', (event) => event.preventDefault());
  $('scan-input').addEventListener('keydown', scanKeydown);
  $('lookup-code').addEventListener('keydown', (event) => {
    if (event.ctrlKey && (event.key === ']' || event.code === 'BracketRight')) scanKeydown(event);
  });
  $('sound-on').checked = localStorage.getItem('tracemark.sounds') !== 'off';
  $('sound-on').addEventListener('change', () => localStorage.setItem('tracemark.sounds', $('sound-on').checked ? 'on' : 'off'));
  $('confirm-form').addEventListener('submit', confirmScan);
  $('task-complete').addEventListener('click', () => taskControl('complete'));
  $('task-cancel').addEventListener('click', () => taskControl('cancel'));
  $('pick-open').addEventListener('click', openPick);
  $('run-form').addEventListener('submit', startRun);
  $('run-stop').addEventListener('click', stopRun);
  $('lookup-form').addEventListener('submit', lookUp);
  $('label-preview').addEventListener('click', preview);
  $('label-form').addEventListener('submit', printLabel);
  $('reprint-form').addEventListener('submit', reprint);
  $('jobs-printer').addEventListener('change', loadJobs);
  $('recall-form').addEventListener('submit', openRecall);
  $('expiry-form').addEventListener('submit', loadExpiry);
  $('recall-hold').addEventListener('click', () => recallStep('hold'));
  $('recall-close').addEventListener('click', () => {
    if (!$('recall-note').value.trim()) { setError('recall-error', 'Say what was done before closing the recall.'); return; }
    recallStep('close', { note: $('recall-note').value.trim() });
  });
  window.addEventListener('hashchange', route);
  start();
});
