// The inbox: the mails intake could not route to an application (refused, another subject),
// newest first, with the reason and what became of the automatic answer. It calls
// GET /v1/inbox only; the rows hold no personal data, so reading them discloses nothing.
import { get } from './api.js';
import { downloadCsv, formatTime, h, labelled, notice, replace } from './dom.js';
import { reasonLabel, t } from './i18n.js';

const kinds = ['refused', 'unrelated', 'message_id_reused'];

async function allMail(kind) {
  const items = [];
  let after = null;
  do {
    const query = new URLSearchParams({ limit: '1000' });
    if (kind) query.set('kind', kind);
    if (after) query.set('after', after);
    const page = await get(`/v1/inbox?${query}`);
    items.push(...page.items);
    after = page.next;
  } while (after);
  return items;
}

const answerLabel = (answer) => t(`answer_${answer || 'none'}`);

export async function inboxPage(container) {
  const kind = h('select', { id: 'inbox-kind' },
    h('option', { value: '' }, t('filter_all')),
    kinds.map((name) => h('option', { value: name }, t(`kind_${name}`))));
  const table = h('div', { id: 'inbox-table' }, t('loading'));
  const header = ['received_at', 'inbox_kind', 'col_reasons', 'inbox_answer', 'inbox_source', 'inbox_size'];
  const cells = (mail) => [formatTime(mail.received_at), t(`kind_${mail.kind}`),
    mail.reason ? reasonLabel(mail.reason) : '', answerLabel(mail.answer), mail.source,
    `${Math.ceil(mail.size / 1024)} KB`];
  let shown = [];
  const draw = async () => {
    shown = await allMail(kind.value);
    if (!shown.length) return replace(table, h('p', {}, t('inbox_empty')));
    replace(table,
      h('p', {}, `${shown.length} ${t('rows')}`),
      h('table', { id: 'inbox' },
        h('thead', {}, h('tr', {}, header.map((key) => h('th', { scope: 'col' }, t(key))))),
        h('tbody', {}, shown.map((mail) => h('tr', { 'data-mail': mail.id, 'data-answer': mail.answer },
          cells(mail).map((cell, index) => h('td', index === 3 && ['failed', 'retrying'].includes(mail.answer)
            ? { class: 'bad' } : {}, cell)))))));
  };
  kind.addEventListener('change', () => draw().catch((error) => notice(error.explanation || String(error), true)));
  replace(container,
    h('h1', {}, t('inbox')),
    h('p', {}, t('inbox_help')),
    h('div', { class: 'controls' }, labelled(t('inbox_kind'), kind),
      h('button', { type: 'button', id: 'inbox-csv', class: 'quiet',
        onclick: () => downloadCsv('kakitome-inbox.csv', [header.map(t), ...shown.map(cells)]) }, t('csv'))),
    table);
  await draw();
}
