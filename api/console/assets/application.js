// One application: the form as the applicant wrote it, the validation result, the links and
// their downloads, the timeline of its events, and exactly the commands this caller may give
// in this state (the API's `commands`). Opening the page reads personal data, which the server
// records as a disclosure before it answers.
import { allEvents, ApiError, call, command } from './api.js';
import { formatTime, h, labelled, notice, replace } from './dom.js';
import { channelLabel, commandLabel, reasonCodes, reasonLabel, stateLabel, t } from './i18n.js';

function fields(pairs) {
  return h('dl', { class: 'fields' }, pairs.flatMap(([label, value, id]) => [h('dt', {}, t(label)), h('dd', { id }, value)]));
}

const reasonRequired = new Set(['withdraw', 'revoke_url', 'erase', 'hold', 'release_hold']);

function commandForm(application, offered, version, reload) {
  const name = offered.name;
  // One Idempotency-Key per form as drawn: a second click on the same form is the same command,
  // and the button waits while it runs.
  const key = crypto.randomUUID();
  const run = async (args) => {
    for (const button of document.querySelectorAll('#actions button')) button.disabled = true;
    try {
      await command(application, name, version, args, key);
      await reload();
      notice(`${commandLabel(name)}: ${t('command_done')}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        await reload();
        notice(t('stale'), true);
      } else {
        notice(error instanceof ApiError ? error.explanation : String(error), true);
      }
      for (const button of document.querySelectorAll('#actions button')) button.disabled = false;
    }
  };
  if (offered.needs_supervisor) {
    return h('div', { class: 'controls' }, h('button', { type: 'button', disabled: true, id: `command-${name}` }, commandLabel(name)),
      h('span', { class: 'muted' }, ` ${t('needs_supervisor')}`));
  }
  if (name === 'assign') {
    const assignee = h('input', { type: 'text', id: 'assignee-input', size: 14 });
    return h('form', { class: 'controls', onsubmit: (event) => { event.preventDefault(); run({ assignee: assignee.value.trim() }); } },
      labelled(t('assignee_name'), assignee), h('button', { type: 'submit', id: 'command-assign' }, commandLabel(name)));
  }
  // Commands that record why: the reason is required (reissue_url: optional) and goes into the
  // event, so the log says why a link was revoked, data erased or a hold placed.
  if (reasonRequired.has(name) || name === 'reissue_url') {
    const reason = h('input', { type: 'text', id: `reason-${name}`, size: 28, required: name !== 'reissue_url' });
    return h('form', { class: 'controls', onsubmit: (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      run(text ? { reason: text } : {});
    } },
    labelled(t('reason'), reason), h('button', { type: 'submit', id: `command-${name}` }, commandLabel(name)));
  }
  if (name === 'reject' || name === 'request_correction') {
    const boxes = reasonCodes.map((code) => h('input', { type: 'checkbox', value: code, 'data-code': code }));
    return h('form', { class: 'controls', onsubmit: (event) => {
      event.preventDefault();
      run({ codes: boxes.filter((box) => box.checked).map((box) => box.value) });
    } },
    h('fieldset', {}, h('legend', {}, `${commandLabel(name)} — ${t('reject_codes')}`),
      boxes.map((box) => labelled(reasonLabel(box.value), box))),
    h('button', { type: 'submit', id: `command-${name}` }, commandLabel(name)));
  }
  return h('div', { class: 'controls' }, h('button', { type: 'button', id: `command-${name}`, onclick: () => run({}) }, commandLabel(name)));
}

// The mails of an application from its events: the applicant's mails in, and each mail the
// outbox sent (or is still trying to send) with its delivery status.
function mailRows(events) {
  const rows = [];
  const outgoing = new Map();
  for (const event of events) {
    const p = event.payload || {};
    if (event.type === 'FormMailReceived') rows.push([t('incoming'), t('form_mail'), event.at, p.message_id]);
    if (event.type === 'PasswordMailReceived') rows.push([t('incoming'), t('password_mail'), event.at, p.message_id]);
    if (event.type === 'PasswordRejected') rows.push([t('incoming'), t('password_mail'), event.at, t('password_rejected')]);
    if (event.type === 'MailQueued') {
      const row = [t('outgoing'), t(`template_${p.template}`), event.at, t('mail_waiting')];
      outgoing.set(p.mail_id, row);
      rows.push(row);
    }
    const queued = outgoing.get(p.mail_id);
    if (queued && event.type === 'MailSent') queued[3] = `${t('mail_sent')} ${formatTime(event.at)}`;
    if (queued && event.type === 'MailFailed') {
      queued[3] = p.final ? `${t('mail_failed')}: ${p.error}`
        : `${t('mail_retry')} ${formatTime(p.next_attempt_at)}: ${p.error}`;
    }
  }
  return rows;
}

export async function applicationPage(container, application, me) {
  const reload = () => applicationPage(container, application, me);
  const reply = await call('GET', `/v1/applications/${encodeURIComponent(application)}`);
  const record = reply.body;
  const version = record.version;
  const events = { items: await allEvents(application) };
  const contact = record.contact || {};
  const shown = (value) => (value === '[erased]' ? t('erased') : value);
  replace(container,
    h('p', {}, h('a', { href: '#/queue' }, `← ${t('back')}`)),
    h('h1', {}, `${t('application')} ${application}`),
    fields([
      ['state', h('span', { class: `badge ${record.state === 'rejected' ? 'bad' : record.state === 'validated' ? 'good' : ''}` }, stateLabel(record.state)), 'state'],
      ['version', String(version)],
      ['assignee', record.assignee || t('unassigned'), 'assignee'],
      ['legal_hold', record.legal_hold ? h('span', { class: 'badge bad' }, `${t('held')}: ${record.legal_hold.reason}`) : t('no'), 'legal-hold'],
      ['received_at', formatTime(record.received_at)],
      ['paired_at', formatTime(record.paired_at)],
      ['sla_due_date', record.sla_due_date],
    ]),
    h('h2', {}, t('form')),
    fields([
      ['application_date', record.application_date || '—', 'application-date'],
      ['organization', shown(contact.organization), 'organization'],
      ['contact_email', shown(contact.contact_email), 'contact-email'],
      ['sender', shown(contact.sender)],
      ['sender_name', shown(contact.sender_name)],
      ['filename', shown(contact.filename)],
      ['usage_channels', record.usage_channels.map(channelLabel).join('、'), 'usage-channels'],
      ['usage_other', shown(contact.usage_other) || '—'],
      ['unrecognized_usages', record.unrecognized_usages.join('、')],
      ['remarks', shown(contact.remarks) || '—', 'remarks'],
      ['consent', record.consent || '—', 'consent'],
      ['reasons', record.reasons.length ? h('ul', { id: 'reasons' }, record.reasons.map((code) => h('li', {}, `${reasonLabel(code)} (${code})`))) : '—'],
      ['warnings', record.warnings.join('、') || '—'],
    ]),
    h('h2', {}, t('links')),
    record.urls.length ? h('table', { id: 'links' },
      h('thead', {}, h('tr', {}, ['issued_at', 'expires_at', 'downloads', 'revoked', 'expired'].map((key) => h('th', {}, t(key))))),
      h('tbody', {}, record.urls.map((url) => h('tr', {},
        h('td', {}, formatTime(url.issued_at)), h('td', {}, formatTime(url.expires_at)), h('td', {}, String(url.downloads)),
        h('td', {}, url.revoked ? t('yes') : t('no')), h('td', {}, url.expired ? t('yes') : t('no')))))) : h('p', { class: 'muted' }, '—'),
    record.commands.length ? h('section', { id: 'actions', 'aria-label': t('actions') },
      h('h2', {}, t('actions')), record.commands.map((offered) => commandForm(application, offered, version, reload))) : null,
    h('h2', {}, t('mails')),
    h('table', { id: 'mails' },
      h('thead', {}, h('tr', {}, ['direction', 'mail_kind', 'at', 'mail_status'].map((key) => h('th', {}, t(key))))),
      h('tbody', {}, mailRows(events.items).map(([direction, kind, at, status]) => h('tr', {},
        h('td', {}, direction), h('td', {}, kind), h('td', {}, formatTime(at)), h('td', {}, status))))),
    h('h2', {}, t('timeline')),
    h('table', { id: 'timeline' },
      h('thead', {}, h('tr', {}, h('th', {}, 'seq'), h('th', {}, t('event_at')), h('th', {}, t('event_type')), h('th', {}, t('event_actor')))),
      h('tbody', {}, events.items.map((event) => h('tr', {},
        h('td', {}, String(event.seq)), h('td', {}, formatTime(event.at)), h('td', {}, event.type), h('td', {}, event.actor))))));
}
