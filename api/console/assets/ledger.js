// The auditor's page: the latest signed checkpoint verified in the browser with a key the
// auditor pastes (or pinned earlier in this browser), and the trail of one application, each
// of its events proven included under that checkpoint, also in the browser.
import { allEvents, ApiError, call, get } from './api.js';
import { formatTime, h, labelled, notice, replace } from './dom.js';
import { eventHash, openCheckpoint, toHex, verifyConsistency, verifyInclusion } from './verify.js';
import { t } from './i18n.js';

// The verifier key is public; pinning it keeps the auditor's own copy across sessions, so a
// server that changed keys would fail verification instead of being believed.
const pinnedKey = 'kakitome.verifier_key';
// With the key pinned, the last checkpoint verified here is remembered too ({size, root} in
// hex): the next one must extend it (a consistency proof), or the log was rewritten since.
const pinnedCheckpoint = 'kakitome.checkpoint';

// Is the tree of `older` a prefix of the tree of `newer`? Both are verified checkpoints
// ({size, root}); the proof comes from the server, the judgement from the browser.
async function extendsCheckpoint(older, newer) {
  if (older.size === newer.size) return toHex(older.root) === toHex(newer.root);
  const proof = await get(`/v1/ledger/proof/consistency?from=${older.size}&to=${newer.size}`);
  return verifyConsistency(older.size, newer.size, older.root, proof.proof, newer.root);
}

function result(ok, text) {
  return h('span', { class: `result ${ok ? 'ok' : 'failed'}` }, `${ok ? t('verified') : t('failed')}${text ? `: ${text}` : ''}`);
}

export async function ledgerPage(container) {
  let note = '';
  try {
    note = (await call('GET', '/v1/ledger/checkpoint')).body;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  let checkpoint = null;
  // The note is editable: an auditor may paste one obtained elsewhere (a witness, an e-mail) to
  // check it against the same key.
  const noteText = h('textarea', { id: 'checkpoint-note', rows: 6, 'aria-label': t('checkpoint') });
  noteText.value = note;
  const key = h('textarea', { id: 'verifier-key', rows: 2 });
  key.value = localStorage.getItem(pinnedKey) || '';
  const pin = h('input', { type: 'checkbox', id: 'pin-key', checked: Boolean(localStorage.getItem(pinnedKey)) });
  const checkpointResult = h('p', { id: 'checkpoint-result', 'aria-live': 'polite' });
  const pinnedResult = h('p', { id: 'pinned-result', 'aria-live': 'polite' });
  const history = h('div', { id: 'history' });
  const application = h('input', { type: 'text', id: 'trail-application', size: 24 });
  const trail = h('div', { id: 'trail' });

  async function verifyCheckpoint() {
    if (pin.checked) localStorage.setItem(pinnedKey, key.value.trim()); else localStorage.removeItem(pinnedKey);
    try {
      checkpoint = await openCheckpoint(noteText.value, key.value);
      replace(checkpointResult, result(true, `${checkpoint.origin} / ${t('tree_size')} ${checkpoint.size}`));
    } catch (error) {
      checkpoint = null;
      replace(checkpointResult, result(false, error.message));
      return;
    }
    await checkPinned();
    await showHistory();
  }

  // The checkpoint this browser verified last time, if the key is pinned.
  async function checkPinned() {
    replace(pinnedResult);
    if (!pin.checked) { localStorage.removeItem(pinnedCheckpoint); return; }
    const earlier = JSON.parse(localStorage.getItem(pinnedCheckpoint) || 'null');
    if (earlier) {
      const older = { size: earlier.size, root: Uint8Array.from(earlier.root.match(/../g), (x) => parseInt(x, 16)) };
      let ok = false;
      try { ok = older.size <= checkpoint.size && await extendsCheckpoint(older, checkpoint); } catch (error) { ok = false; }
      replace(pinnedResult, `${t('since_pinned')} (${t('tree_size')} ${older.size}): `, result(ok, ok ? '' : t('rewritten')));
      if (!ok) return;  // keep the pin: the evidence of what was seen before
    }
    localStorage.setItem(pinnedCheckpoint, JSON.stringify({ size: checkpoint.size, root: toHex(checkpoint.root) }));
  }

  // Every checkpoint signed so far, each verified with the key, and each proven to extend the
  // one before it.
  async function showHistory() {
    // The newest 100: a checkpoint a minute makes hundreds of thousands a year, and the pin
    // covers what lies beyond (it is proven against the newest directly).
    const notes = (await get('/v1/ledger/checkpoints?limit=100')).items;
    const rows = [];
    let newer = null;
    for (const item of notes) {  // newest first
      let opened = null;
      try { opened = await openCheckpoint(item.note, key.value); } catch (error) { opened = null; }
      let consistent = null;
      if (opened && newer) {
        try { consistent = await extendsCheckpoint(opened, newer); } catch (error) { consistent = false; }
      }
      rows.push(h('tr', { 'data-size': item.size },
        h('td', {}, String(item.size)),
        h('td', { class: 'signature-result' }, result(Boolean(opened))),
        h('td', { class: 'consistency-result' }, consistent === null ? '' : result(consistent, consistent ? '' : t('rewritten')))));
      newer = opened || newer;
    }
    replace(history, h('table', { id: 'checkpoint-history' },
      h('thead', {}, h('tr', {}, h('th', {}, t('tree_size')), h('th', {}, t('signature')), h('th', {}, t('extends_next')))),
      h('tbody', {}, rows)));
  }

  async function proofRow(event) {
    const status = h('td', { class: 'proof-result' });
    const text = h('textarea', { rows: 3, 'aria-label': `${t('proof')} seq ${event.seq}`, 'data-seq': event.seq });
    // The leaf is the hash recomputed from the event as shown, not the hash the server reports.
    const recomputed = await eventHash(event);
    const check = async () => {
      let ok = false;
      try {
        ok = recomputed === event.hash &&
          await verifyInclusion(event.seq - 1, checkpoint.size, recomputed, JSON.parse(text.value), checkpoint.root);
      } catch (error) { ok = false; }
      replace(status, result(ok, recomputed === event.hash ? '' : t('content_changed')));
    };
    const row = h('tr', { 'data-seq': event.seq },
      h('td', {}, String(event.seq)), h('td', {}, formatTime(event.at)), h('td', {}, event.type),
      h('td', {}, text, h('button', { type: 'button', class: 'quiet', onclick: check }, t('verify_proof'))), status);
    if (event.seq > checkpoint.size) {
      replace(status, h('span', { class: 'muted' }, `> ${checkpoint.size}`));
    } else {
      const proof = await get(`/v1/ledger/proof/inclusion?seq=${event.seq}&size=${checkpoint.size}`);
      text.value = JSON.stringify(proof.proof);
      await check();
    }
    return row;
  }

  async function showTrail() {
    if (!checkpoint) { notice(`${t('failed')}: ${t('checkpoint')}`, true); return; }
    const id = application.value.trim();
    const rows = [];
    for (const event of await allEvents(id)) rows.push(await proofRow(event));
    replace(trail, h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'seq'), h('th', {}, t('at')), h('th', {}, t('event_type')), h('th', {}, t('proof')), h('th', {}, ''))),
      h('tbody', {}, rows)));
  }

  replace(container,
    h('h1', {}, t('ledger')),
    h('h2', {}, t('checkpoint')),
    noteText,
    h('p', {}, t('verifier_help')),
    labelled(t('verifier_key'), key),
    h('div', { class: 'controls' }, labelled(t('pin_key'), pin),
      h('button', { type: 'button', id: 'verify-checkpoint', onclick: verifyCheckpoint }, t('verify'))),
    checkpointResult,
    pinnedResult,
    h('h2', {}, t('history')),
    h('p', {}, t('history_help')),
    history,
    h('h2', {}, t('trail')),
    h('p', {}, t('trail_help')),
    h('form', { class: 'controls', onsubmit: (event) => { event.preventDefault(); showTrail().catch((error) => notice(error.explanation || String(error), true)); } },
      labelled(t('application'), application), h('button', { type: 'submit', id: 'show-trail' }, t('show_trail'))),
    trail);
  if (key.value && note) await verifyCheckpoint();
}
