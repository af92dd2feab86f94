// The work queue: every application as the queue projection has it (no personal data in the
// rows, so listing them discloses nothing), filtered, searched, sorted and paged in the browser;
// CSV of the current view; bulk assign and approve, each application its own command with its
// own If-Match, failures shown row by row.
// Organisation names are personal data: staff see them only for the rows on screen (and in a
// CSV, for the rows exported) and find rows by a name through the server's search, each answer
// recorded as a disclosure by the server (docs/api.md "Organisation names").
import { ApiError, command, get, queueInPages } from './api.js';
import { downloadCsv, formatTime, h, labelled, notice, replace, tokyoTime } from './dom.js';
import { reasonLabel, stateLabel, stateNames, t } from './i18n.js';

const pageRows = 100;
const namesPerRequest = 1000;  // the server's kMaxPageLimit

// `text` is what a cell shows; sorting compares the raw values (ISO times sort as text), which
// keeps a sort of 100k rows within a frame or two.
const columns = [
  { key: 'application', label: 'col_application', text: (row) => row.application },
  { key: 'state', label: 'col_state', text: (row) => stateLabel(row.state) },
  { key: 'sla_due_date', label: 'col_sla', text: (row) => row.sla_due_date },
  { key: 'assignee', label: 'col_assignee', text: (row) => row.assignee },
  { key: 'received_at', label: 'col_received', text: (row) => formatTime(row.received_at) },
  { key: 'reasons', label: 'col_reasons', text: (row) => row.reasons.map(reasonLabel).join('、') },
  { key: 'possible_duplicate_of', label: 'col_duplicate', text: (row) => row.possible_duplicate_of.join(' ') },
];

// `source`: rows of the queue as of a past moment (time travel), shown read-only.
export async function queuePage(container, me, source = null, asOf = '') {
  let loading = null;
  let rows;
  if (source) {
    rows = source;
  } else {
    // The first page is drawn at once; the rest arrive in the background and are added as they
    // come, so the first paint does not wait for 100k rows.
    // Rows move in the queue's order while pages load (a cursor is a position), so a row may
    // come twice: each application is kept once, its latest row winning.
    const seen = new Map();
    const add = (items) => {
      for (const row of items) {
        const at = seen.get(row.application);
        if (at === undefined) { seen.set(row.application, rows.length); rows.push(row); } else rows[at] = row;
      }
    };
    const pages = await queueInPages((items) => {
      add(items);
      scheduleDraw();
    });
    rows = [];
    add(pages.first);
    loading = pages.rest;
  }
  const travels = !source && (me.role === 'supervisor' || me.role === 'auditor');
  const moment = h('input', { type: 'datetime-local', id: 'as-of-time' });
  const showAsOf = async (event) => {
    event.preventDefault();
    try {
      const then = await get(`/v1/queue/as-of?at=${encodeURIComponent(tokyoTime(moment.value))}`);
      await queuePage(container, me, then.items, `${formatTime(then.at)} (seq ${then.seq})`);
    } catch (error) {
      notice(error instanceof ApiError ? error.explanation : String(error), true);
    }
  };
  const staff = !source && (me.role === 'operator' || me.role === 'supervisor');
  const view = { state: '', overdue: false, assignee: '', search: '', sort: 'sla_due_date', ascending: true, page: 0 };
  const selected = new Set();
  const outcome = new Map();  // application -> text of its bulk result
  // Organisation names the server has disclosed to this page, by application; `asked` keeps a
  // redraw from asking again for a name already on its way.
  const names = new Map();
  const asked = new Set();
  let organizationMatches = null;  // the ids the organisation search found, or null
  async function fetchNames(ids) {
    const wanted = ids.filter((id) => !names.has(id) && !asked.has(id));
    for (let at = 0; at < wanted.length; at += namesPerRequest) {
      const chunk = wanted.slice(at, at + namesPerRequest);
      chunk.forEach((id) => asked.add(id));
      const reply = await get(`/v1/queue/organizations?applications=${chunk.map(encodeURIComponent).join(',')}`);
      for (const item of reply.items) names.set(item.application, item.organization);
    }
    return wanted.length > 0;
  }
  const showNames = (ids) => fetchNames(ids)
    .then((fetched) => { if (fetched) drawNames(); })
    .catch((error) => notice(error instanceof ApiError ? error.explanation : String(error), true));

  const stateSelect = h('select', { id: 'filter-state', onchange: () => { view.state = stateSelect.value; view.page = 0; draw(); } },
    h('option', { value: '' }, t('filter_all')),
    stateNames.filter((state) => state !== 'none').map((state) => h('option', { value: state }, stateLabel(state))));
  const assigneeSelect = h('select', { id: 'filter-assignee', onchange: () => { view.assignee = assigneeSelect.value; view.page = 0; draw(); } });
  const fillAssignees = () => {
    const assignees = [...new Set(rows.map((row) => row.assignee))].sort();
    replace(assigneeSelect, h('option', { value: '' }, t('filter_all')),
      assignees.map((name) => h('option', { value: name || '-', selected: view.assignee === (name || '-') }, name || t('unassigned'))));
  };
  fillAssignees();
  const overdue = h('input', { type: 'checkbox', id: 'filter-overdue', onchange: () => { view.overdue = overdue.checked; view.page = 0; draw(); } });
  const search = h('input', { type: 'search', id: 'filter-search', oninput: () => { view.search = search.value.trim().toLowerCase(); view.page = 0; draw(); } });
  const organization = h('input', { type: 'search', id: 'filter-organization', size: 16 });
  const organizationCount = h('span', { id: 'organization-count', class: 'muted' });
  const searchOrganization = async (event) => {
    event.preventDefault();
    const text = organization.value.trim();
    if (!text) {
      organizationMatches = null;
      organizationCount.textContent = '';
    } else {
      const reply = await get(`/v1/queue/organizations?search=${encodeURIComponent(text)}`);
      for (const item of reply.items) names.set(item.application, item.organization);
      organizationMatches = new Set(reply.items.map((item) => item.application));
      organizationCount.textContent = reply.total > reply.items.length
        ? `${reply.total} ${t('rows')} (${t('organization_too_many')})` : '';
    }
    view.page = 0;
    draw();
  };
  const assigneeName = h('input', { type: 'text', id: 'bulk-assignee', size: 12 });
  const count = h('span', { id: 'row-count', class: 'muted' });
  const table = h('table', { id: 'queue' });
  const pager = h('div', { class: 'controls' });

  function visible() {
    const chosen = rows.filter((row) =>
      (!view.state || row.state === view.state) &&
      (!view.overdue || row.overdue) &&
      (!view.assignee || (view.assignee === '-' ? !row.assignee : row.assignee === view.assignee)) &&
      (!view.search || row.application.toLowerCase().includes(view.search)) &&
      (!organizationMatches || organizationMatches.has(row.application)));
    const key = (row) => {
      const value = row[view.sort];
      return Array.isArray(value) ? value.join(' ') : String(value ?? '');
    };
    const direction = view.ascending ? 1 : -1;
    chosen.sort((a, b) => {
      const x = key(a), y = key(b);
      return x < y ? -direction : x > y ? direction : 0;
    });
    return chosen;
  }

  function header() {
    return h('thead', {}, h('tr', {},
      staff ? h('th', {}, t('col_select')) : null,
      columns.map((column) => h('th', { 'aria-sort': view.sort === column.key ? (view.ascending ? 'ascending' : 'descending') : undefined },
        h('button', { type: 'button', 'data-sort': column.key, onclick: () => {
          view.ascending = view.sort === column.key ? !view.ascending : true;
          view.sort = column.key;
          draw();
        } }, t(column.label), view.sort === column.key ? (view.ascending ? ' ▲' : ' ▼') : ''))),
      // Not sortable: sorting by it would need, and disclose, every name.
      staff ? h('th', {}, t('organization')) : null,
      staff ? h('th', {}, '') : null));
  }

  function line(row) {
    return h('tr', { 'data-application': row.application },
      staff ? h('td', {}, h('input', { type: 'checkbox', 'aria-label': `${t('select_row')} ${row.application}`,
        checked: selected.has(row.application),
        onchange: (event) => { if (event.target.checked) selected.add(row.application); else selected.delete(row.application); } })) : null,
      h('td', {}, h('a', { href: `#/applications/${encodeURIComponent(row.application)}` }, row.application)),
      h('td', {}, stateLabel(row.state)),
      h('td', {}, row.sla_due_date, row.overdue ? h('span', { class: 'badge overdue' }, ` ${t('overdue')}`) : null),
      h('td', {}, row.assignee || h('span', { class: 'muted' }, t('unassigned'))),
      h('td', {}, formatTime(row.received_at)),
      h('td', {}, row.reasons.map(reasonLabel).join('、')),
      h('td', {}, row.possible_duplicate_of.length ? h('span', { class: 'badge warn' }, row.possible_duplicate_of.join(' ')) : ''),
      staff ? h('td', { class: 'organization' }, names.get(row.application) ?? '') : null,
      staff ? h('td', { class: outcome.has(row.application) && outcome.get(row.application) !== t('command_done') ? 'rows-failed' : 'muted', 'data-outcome': '' }, outcome.get(row.application) || '') : null);
  }

  function draw() {
    const chosen = visible();
    const pages = Math.max(1, Math.ceil(chosen.length / pageRows));
    view.page = Math.min(view.page, pages - 1);
    const shown = chosen.slice(view.page * pageRows, (view.page + 1) * pageRows);
    count.textContent = `${chosen.length} ${t('rows')}${loading ? ` (${t('loading')})` : ''}`;
    replace(table, header(), h('tbody', {}, shown.map(line)));
    if (!chosen.length) table.append(h('caption', {}, t('none_found')));
    if (staff) showNames(shown.map((row) => row.application));
    replace(pager,
      h('button', { type: 'button', class: 'quiet', id: 'page-previous', disabled: view.page === 0, onclick: () => { view.page -= 1; draw(); } }, '←'),
      h('span', {}, ` ${view.page + 1} / ${pages} `),
      h('button', { type: 'button', class: 'quiet', id: 'page-next', disabled: view.page >= pages - 1, onclick: () => { view.page += 1; draw(); } }, '→'));
  }

  // Names that arrived after the rows were drawn go into their cells, without a redraw.
  function drawNames() {
    for (const line of table.querySelectorAll('tbody tr')) {
      const cell = line.querySelector('td.organization');
      if (cell) cell.textContent = names.get(line.dataset.application) ?? '';
    }
  }

  // While pages arrive, the view is redrawn at most every half second: each draw sorts every
  // row loaded so far, and a hundred of them back to back would starve the page.
  let drawPending = false;
  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    setTimeout(() => { drawPending = false; draw(); }, loading ? 500 : 0);
  }

  // A bulk command acts on the selected rows the user can see (the current filter's view); the
  // buttons wait until every page is in.
  async function bulk(name, args) {
    const chosen = visible().filter((row) => selected.has(row.application));
    for (const button of container.querySelectorAll('#bulk-assign, #bulk-approve')) button.disabled = true;
    let done = 0, failed = 0;
    for (const row of chosen) {
      try {
        const reply = await command(row.application, name, row.version, args);
        row.version = reply.body.version;
        row.state = reply.body.state;
        if (name === 'assign') row.assignee = args.assignee;
        outcome.set(row.application, t('command_done'));
        done += 1;
      } catch (error) {
        outcome.set(row.application, error instanceof ApiError ? error.explanation : String(error));
        failed += 1;
      }
    }
    selected.clear();
    for (const button of container.querySelectorAll('#bulk-assign, #bulk-approve')) button.disabled = false;
    notice(`${done} ${t('bulk_done')}${failed ? ` / ${failed} ${t('bulk_failed')}` : ''}`, failed > 0);
    draw();
  }

  // A CSV holds no personal data unless the member of staff asks for the organisations (「団体名を
  // 含める」): then the names of every exported row are asked for, and so recorded, first. A
  // file of up to 100k names is a different thing to keep than a work list.
  const withNames = h('input', { type: 'checkbox', id: 'csv-with-organizations' });
  const csv = async () => {
    const chosen = visible();
    const named = staff && withNames.checked;
    if (named) await fetchNames(chosen.map((row) => row.application));
    downloadCsv('kakitome-queue.csv', [
      columns.map((column) => t(column.label)).concat([t('overdue')], named ? [t('organization')] : []),
      ...chosen.map((row) => columns.map((column) => column.text(row))
        .concat([row.overdue ? t('yes') : t('no')], named ? [names.get(row.application) ?? ''] : [])),
    ]);
  };

  replace(container,
    h('h1', {}, source ? `${t('as_of')}: ${asOf}` : t('queue')),
    source ? h('p', {}, h('a', { href: '#/queue', id: 'back-to-now', onclick: (event) => { event.preventDefault(); queuePage(container, me); } }, `← ${t('back')}`)) : null,
    travels ? h('form', { class: 'controls', id: 'as-of', onsubmit: showAsOf },
      h('span', { class: 'muted' }, t('as_of_help')), labelled(t('as_of'), moment),
      h('button', { type: 'submit', id: 'show-as-of' }, t('show_as_of'))) : null,
    h('div', { class: 'controls' },
      labelled(t('filter_state'), stateSelect),
      labelled(t('filter_assignee'), assigneeSelect),
      labelled(t('filter_overdue'), overdue),
      labelled(t('filter_search'), search),
      count,
      h('button', { type: 'button', class: 'quiet', id: 'csv', onclick: () => csv().catch((error) => notice(error instanceof ApiError ? error.explanation : String(error), true)) }, t('csv')),
      staff ? labelled(t('csv_with_organizations'), withNames) : null),
    staff ? h('form', { class: 'controls', id: 'organization-search', onsubmit: (event) => searchOrganization(event).catch((error) => notice(error instanceof ApiError ? error.explanation : String(error), true)) },
      labelled(t('filter_organization'), organization),
      h('button', { type: 'submit', id: 'organization-search-button' }, t('search')),
      h('span', { class: 'muted' }, t('organization_search_help')), organizationCount) : null,
    staff ? h('div', { class: 'controls' },
      labelled(t('assignee_name'), assigneeName),
      h('button', { type: 'button', id: 'bulk-assign', onclick: () => bulk('assign', { assignee: assigneeName.value.trim() }) }, t('bulk_assign')),
      h('button', { type: 'button', id: 'bulk-approve', onclick: () => bulk('approve', {}) }, t('bulk_approve'))) : null,
    table, pager);
  draw();
  if (loading) {
    loading.then(() => { loading = null; fillAssignees(); scheduleDraw(); })
      .catch((error) => notice(error instanceof ApiError ? error.explanation : String(error), true));
  }
}
