// The console's shell: log in with a token, one menu per role, and a page per hash route
// (#/queue, #/applications/<id>, #/inbox, #/ledger, #/incidents). Every page is a client of the public
// REST API only (docs/console.md).
import { ApiError, forget, get, leavePage, setToken, token } from './api.js';
import { h, labelled, notice, replace } from './dom.js';
import { language, setLanguage, t } from './i18n.js';
import { applicationPage } from './application.js';
import { inboxPage } from './inbox.js';
import { incidentsPage } from './incidents.js';
import { ledgerPage } from './ledger.js';
import { queuePage } from './queue.js';

const menus = {
  operator: ['queue', 'inbox'],
  supervisor: ['queue', 'inbox', 'ledger'],
  auditor: ['queue', 'ledger'],
  responder: ['incidents', 'ledger'],
  admin: [],
};

let me = null;
const main = () => document.getElementById('main');

function loginPage(message) {
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true });
  const form = h('form', { class: 'login', onsubmit: async (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    await start();
  } },
  h('h1', {}, t('login')),
  h('p', {}, t('token_help')),
  h('p', {}, labelled(t('token'), input)),
  h('button', { type: 'submit', id: 'login' }, t('login')));
  replace(main(), form);
  if (message) notice(message, true);
  input.focus();
}

function drawBar() {
  document.title = t('title');
  const nav = document.getElementById('nav');
  const pages = me ? menus[me.role] || [] : [];
  const current = location.hash.split('/')[1] || '';
  replace(nav, pages.map((page) => h('a', {
    href: `#/${page}`, id: `nav-${page}`,
    'aria-current': current === page ? 'page' : undefined,
  }, t(`nav_${page}`))));
  document.getElementById('who').textContent =
    me ? `${t('signed_in_as')}: ${me.display_name || me.principal} (${me.role})` : '';
  const logout = document.getElementById('logout');
  logout.hidden = !me;
  logout.textContent = t('logout');
  document.getElementById('language').textContent = t('language');
}

async function route() {
  if (!me) return;
  leavePage();
  drawBar();
  notice('');
  const [, page, argument] = location.hash.split('/');
  const allowed = menus[me.role] || [];
  try {
    if (page === 'applications' && argument) await applicationPage(main(), decodeURIComponent(argument), me);
    else if (page === 'queue' && allowed.includes('queue')) await queuePage(main(), me);
    else if (page === 'inbox' && allowed.includes('inbox')) await inboxPage(main());
    else if (page === 'ledger' && allowed.includes('ledger')) await ledgerPage(main(), me);
    else if (page === 'incidents' && allowed.includes('incidents')) await incidentsPage(main(), me);
    else if (allowed.length) location.hash = `#/${allowed[0]}`;
    else replace(main(), h('p', {}, t('forbidden')));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return logout(t('login_failed'));
    notice(error instanceof ApiError ? error.explanation : String(error), true);
  }
}

function logout(message) {
  leavePage();
  forget();
  me = null;
  drawBar();
  loginPage(message);
}

async function start() {
  if (!token()) { drawBar(); return loginPage(); }
  try {
    me = await get('/v1/me');
  } catch (error) {
    return logout(error instanceof ApiError && error.status === 401 ? t('login_failed') : error.explanation);
  }
  notice('');
  if (!location.hash || location.hash === '#/') location.hash = `#/${(menus[me.role] || ['queue'])[0]}`;
  else await route();
}

document.getElementById('logout').addEventListener('click', () => { logout(); location.hash = ''; });
document.getElementById('language').addEventListener('click', () => {
  setLanguage(language() === 'ja' ? 'en' : 'ja');
  drawBar();
  if (me) route(); else loginPage();
});
window.addEventListener('hashchange', route);
setLanguage(language());
start();
