// The incident responder's page: report an incident, who saw an application, what a principal
// saw, and the review of a window (every registration, who else saw it, the APPI assessment),
// each as a table with a CSV download.
import { call, get } from './api.js';
import { downloadCsv, formatTime, h, labelled, notice, replace, tokyoTime } from './dom.js';
import { stateLabel, t } from './i18n.js';

// The PPC's deadlines as of now, counted down in the secretariat's business days.
function deadlineTable(deadlines) {
  if (!deadlines.length) return null;
  const countdown = (deadline) => (deadline.overdue ? t('countdown_past') : t('countdown_left'))
    .replace('{business}', Math.abs(deadline.business_days_left))
    .replace('{calendar}', Math.abs(deadline.calendar_days_left));
  return h('table', { id: 'deadlines' },
    h('thead', {}, h('tr', {}, ['deadline', 'due_date', 'obligation', 'countdown'].map((key) => h('th', {}, t(key))))),
    h('tbody', {}, deadlines.map((deadline) => h('tr', { 'data-deadline': deadline.kind },
      h('td', {}, t(deadline.kind)), h('td', {}, deadline.due_date),
      h('td', {}, deadline.mandatory ? h('span', { class: 'badge bad' }, t('mandatory')) : t('voluntary')),
      h('td', { class: 'countdown' }, deadline.overdue || deadline.business_days_left <= 1 ? h('span', { class: 'badge bad' }, countdown(deadline)) : countdown(deadline))))));
}

// Picking the scope from the queue (its rows hold no personal data): the applications received
// before the window's end, each with a checkbox; the chosen ids join the scope list.
async function pickFromQueue(target, windowEnd, scopeList) {
  const rows = [];
  let after = null;
  do {
    const page = await get(`/v1/queue?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    rows.push(...page.items);
    after = page.next;
  } while (after);
  const end = windowEnd ? Date.parse(windowEnd) : Infinity;
  const candidates = rows.filter((row) => Date.parse(row.received_at) < end)
    .sort((a, b) => (a.received_at < b.received_at ? -1 : 1));
  const chosen = new Set(scopeList.value.split(/\s+/).filter(Boolean));
  replace(target,
    h('p', {}, `${candidates.length} ${t('rows')}`),
    h('table', { id: 'scope-picker' },
      h('thead', {}, h('tr', {}, ['col_select', 'application', 'state', 'received_at'].map((key) => h('th', {}, t(key))))),
      h('tbody', {}, candidates.map((row) => h('tr', { 'data-application': row.application },
        h('td', {}, h('input', { type: 'checkbox', 'aria-label': `${t('select_row')} ${row.application}`,
          checked: chosen.has(row.application),
          onchange: (event) => {
            if (event.target.checked) chosen.add(row.application); else chosen.delete(row.application);
            scopeList.value = [...chosen].join('\n');
          } })),
        h('td', {}, row.application), h('td', {}, stateLabel(row.state)), h('td', {}, formatTime(row.received_at)))))));
}

function disclosureTable(id, records) {
  const header = ['at', 'viewer', 'role', 'request_id', 'endpoint', 'remote', 'fields'];
  const cells = (record) => [formatTime(record.at), record.principal, record.role, record.request_id,
    record.endpoint, record.remote, record.fields.join(' ')];
  return h('div', {},
    h('button', { type: 'button', class: 'quiet', onclick: () => downloadCsv(`kakitome-${id}.csv`, [header.map(t), ...records.map(cells)]) }, 'CSV'),
    h('table', { id },
      h('thead', {}, h('tr', {}, header.map((key) => h('th', {}, t(key))))),
      h('tbody', {}, records.map((record) => h('tr', {}, cells(record).map((cell) => h('td', {}, cell)))))));
}

export async function incidentsPage(container) {
  const application = h('input', { type: 'text', id: 'who-saw-application', size: 24 });
  const principal = h('input', { type: 'text', id: 'saw-what-principal', size: 20 });
  const from = h('input', { type: 'datetime-local', id: 'review-from' });
  const to = h('input', { type: 'datetime-local', id: 'review-to' });
  const description = h('input', { type: 'text', id: 'incident-description', size: 40 });
  const incident = h('input', { type: 'text', id: 'incident-id', size: 28 });
  const scopeList = h('textarea', { id: 'scope-applications', rows: 3 });
  const steps = (step) => `/v1/incidents/${encodeURIComponent(incident.value.trim())}/steps/${step}`;
  const answers = h('div', { id: 'answers' });
  const list = h('div', { id: 'incident-list' });
  // Every incident reported, newest first; choosing one takes its id and window into the forms.
  const showIncidents = async () => {
    const reply = await get('/v1/incidents');
    if (!reply.items.length) return replace(list, h('p', { class: 'muted' }, t('no_incidents')));
    const localTime = (text) => {
      const at = new Date(Date.parse(text) + 9 * 3600 * 1000).toISOString();
      return at.slice(0, 16);  // datetime-local in Tokyo time
    };
    replace(list, h('table', { id: 'incidents' },
      h('thead', {}, h('tr', {}, ['incident_id', 'reported_at', 'description', 'window_from', 'window_to', 'scope', 'notified', 'state', ''].map((key) => h('th', {}, key ? t(key) : '')))),
      h('tbody', {}, reply.items.map((item) => h('tr', { 'data-incident': item.incident },
        h('td', {}, item.incident), h('td', {}, formatTime(item.reported_at)), h('td', {}, item.description),
        h('td', {}, formatTime(item.window_from)), h('td', {}, formatTime(item.window_to)),
        h('td', {}, typeof item.scope === 'number' ? `${item.scope} ${t('rows')}` : t('scope_whole_window')),
        h('td', {}, String(item.notified)),
        h('td', {}, item.closed ? t('closed') : t('open_incident')),
        h('td', {}, h('button', { type: 'button', class: 'quiet', 'data-choose': item.incident, onclick: () => {
          incident.value = item.incident;
          from.value = localTime(item.window_from);
          to.value = localTime(item.window_to);
          notice(`${t('chosen')}: ${item.incident}`);
        } }, t('choose'))))))));
  };
  const picker = h('div', { id: 'picker' });
  const guard = (work) => (event) => { event.preventDefault(); work().catch((error) => notice(error.explanation || String(error), true)); };

  const whoSaw = async () => {
    const reply = await get(`/v1/incidents/who-saw/${encodeURIComponent(application.value.trim())}`);
    replace(answers, h('h2', {}, `${t('who_saw')}: ${reply.application}`), disclosureTable('who-saw', reply.disclosures));
  };
  const sawWhat = async () => {
    const reply = await get(`/v1/incidents/saw-what/${encodeURIComponent(principal.value.trim())}`);
    replace(answers, h('h2', {}, `${t('saw_what')}: ${reply.principal}`), disclosureTable('saw-what', reply.disclosures));
  };
  // An affected applicant: open the contact (recorded as a disclosure by the server) and mark
  // them notified once told.
  const actionsFor = (row) => {
    const cell = h('td', {});
    const contact = h('button', { type: 'button', class: 'quiet', 'data-contact': row.application, onclick: guard(async () => {
      const contact = await get(`/v1/incidents/${encodeURIComponent(incident.value.trim())}/contacts/${encodeURIComponent(row.application)}`);
      replace(cell, `${contact.organization} <${contact.contact_email}>`);
    }) }, t('open_contact'));
    replace(cell, contact);
    const notify = row.notified ? h('td', {}, t('notified')) : h('td', {}, h('button', { type: 'button', 'data-notify': row.application, onclick: guard(async () => {
      await call('POST', steps('notify'), { json: { application: row.application, channel: 'mail' } });
      await review();
    }) }, t('notify')));
    return [cell, notify];
  };
  const review = async () => {
    const withIncident = incident.value.trim() ? `&incident=${encodeURIComponent(incident.value.trim())}` : '';
    const reply = await get(`/v1/incidents/review?from=${encodeURIComponent(tokyoTime(from.value))}&to=${encodeURIComponent(tokyoTime(to.value))}${withIncident}`);
    const exposed = reply.rows.filter((row) => row.disclosed_to_others);
    const header = ['application', 'owner', 'viewer', 'at', 'request_id', 'notified'];
    const lines = exposed.flatMap((row) => row.viewers.map((viewer) =>
      [row.application, row.owner, viewer.principal, formatTime(viewer.at), viewer.request_id, row.notified ? t('yes') : t('no')]));
    replace(answers,
      h('h2', {}, `${t('review')}: ${formatTime(reply.from)} – ${formatTime(reply.to)}`),
      h('p', { id: 'affected' }, `${t('affected')}: ${reply.affected} / ${reply.rows.length}`),
      h('h2', {}, t('assessment')),
      deadlineTable(reply.deadlines),
      h('ul', { id: 'assessment' }, reply.assessment.map((line) => h('li', {}, line))),
      h('button', { type: 'button', class: 'quiet', onclick: () => downloadCsv('kakitome-review.csv', [header.map(t), ...lines]) }, 'CSV'),
      h('table', { id: 'review' },
        h('thead', {}, h('tr', {}, ['application', 'owner', 'affected', 'viewer', 'notified', 'contact'].map((key) => h('th', {}, t(key))), h('th', {}, ''))),
        h('tbody', {}, reply.rows.map((row) => h('tr', { 'data-application': row.application },
          h('td', {}, row.application), h('td', {}, row.owner),
          h('td', {}, row.disclosed_to_others ? h('span', { class: 'badge bad' }, t('yes')) : t('no')),
          h('td', {}, row.viewers.map((viewer) => `${viewer.principal} ${formatTime(viewer.at)}`).join('、')),
          h('td', { class: 'notified' }, row.notified ? t('yes') : t('no')),
          withIncident ? actionsFor(row) : [h('td', {}), h('td', {})])))));
  };
  const scope = (body) => async () => {
    await call('POST', steps('scope'), { json: body() });
    notice(t('scoped'));
  };
  const report = async () => {
    const reply = await call('POST', '/v1/incidents', { json: { description: description.value, from: tokyoTime(from.value), to: tokyoTime(to.value) } });
    incident.value = reply.body.incident;
    notice(`${t('reported')}: ${reply.body.incident}`);
    // The list follows the log on the server's next pass (within a second).
    setTimeout(() => showIncidents().catch((error) => notice(error.explanation || String(error), true)), 1500);
  };

  replace(container,
    h('h1', {}, t('incidents')),
    h('h2', {}, t('incident_list')),
    list,
    h('form', { class: 'controls', onsubmit: guard(whoSaw) }, labelled(t('who_saw'), application), h('button', { type: 'submit', id: 'who-saw-search' }, t('search'))),
    h('form', { class: 'controls', onsubmit: guard(sawWhat) }, labelled(t('saw_what'), principal), h('button', { type: 'submit', id: 'saw-what-search' }, t('search'))),
    h('h2', {}, t('review')),
    h('form', { class: 'controls', onsubmit: guard(review) },
      labelled(t('review_from'), from), labelled(t('review_to'), to),
      h('button', { type: 'submit', id: 'run-review' }, t('run_review'))),
    h('form', { class: 'controls', onsubmit: guard(report) },
      labelled(t('description'), description), h('button', { type: 'submit', id: 'report-incident' }, t('report_incident'))),
    h('div', { class: 'controls' }, labelled(t('incident_id'), incident)),
    h('h2', {}, t('scope')),
    h('p', {}, t('scope_help')),
    labelled(t('scope'), scopeList),
    h('div', { class: 'controls' },
      h('button', { type: 'button', id: 'scope-pick', class: 'quiet', onclick: guard(() => pickFromQueue(picker, to.value ? tokyoTime(to.value) : '', scopeList)) }, t('scope_pick')),
      h('button', { type: 'button', id: 'scope-set', onclick: guard(scope(() => ({ applications: scopeList.value.split(/\s+/).filter(Boolean) }))) }, t('scope_set')),
      h('button', { type: 'button', id: 'scope-all', onclick: guard(scope(() => ({ registered_before: tokyoTime(to.value) }))) }, t('scope_all'))),
    picker,
    answers);
  await showIncidents();
}
