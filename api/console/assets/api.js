// Every datum the console shows comes through here: the public REST API, with the user's own
// token (kept in sessionStorage only: gone when the tab closes or the user logs out; never a
// cookie, never localStorage). Errors come back as ApiError with the problem's type and a
// Japanese message for staff.
import { t } from './i18n.js';

const tokenKey = 'kakitome.token';

export function token() { return sessionStorage.getItem(tokenKey); }
export function setToken(value) { sessionStorage.setItem(tokenKey, value); }
export function forget() { sessionStorage.clear(); }

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.type = (problem.type || '').split('/').pop();
    this.problem = problem;
  }
  // What a member of staff reads.
  get explanation() {
    if (this.status === 0) return t('network');
    if (this.status === 403) return `${t('forbidden')} ${this.problem.detail || this.problem.title || ''}`;
    if (this.status === 404) return `${t('not_found')} ${this.problem.title || ''}`;
    // A server that has just started folds its read models first (docs/api.md "Operations").
    if (this.type === 'catching_up') return `${t('catching_up')} (${this.problem.detail || ''})`;
    return `${t('error')} ${this.status}: ${this.problem.title || ''} ${this.problem.detail || ''}`.trim();
  }
}

// The reads of the page on screen. Leaving the page aborts them (a queue of 100k rows loads
// 100 pages in the background, for a page nobody is looking at any more); an aborted read
// never settles, so no stale page draws, and no error is shown for it. Writes are never
// aborted: a command the user gave runs to its answer.
let pageReads = new AbortController();
export function leavePage() {
  pageReads.abort();
  pageReads = new AbortController();
}
const never = () => new Promise(() => {});

// One call. `options.headers` add to the bearer token; a JSON body is sent as JSON.
// Returns {status, headers, body} with body parsed when JSON, text otherwise.
export async function call(method, path, options = {}) {
  const headers = { Authorization: `Bearer ${token()}`, ...(options.headers || {}) };
  let body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const signal = method === 'GET' ? pageReads.signal : undefined;
  let response, parsed;
  try {
    response = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit', signal });
    const type = response.headers.get('Content-Type') || '';
    parsed = type.includes('json') ? await response.json() : await response.text();
  } catch (error) {
    if (signal?.aborted) return never();
    throw new ApiError(0, { title: String(error) });
  }
  if (!response.ok) throw new ApiError(response.status, typeof parsed === 'object' ? parsed : { title: parsed });
  return { status: response.status, headers: response.headers, body: parsed };
}

export const get = (path) => call('GET', path).then((reply) => reply.body);

// Every event of an application, page by page (a stream may hold more than one page).
export async function allEvents(application) {
  const items = [];
  let from = 1;
  for (;;) {
    const page = await get(`/v1/applications/${encodeURIComponent(application)}/events?from=${from}&limit=1000`);
    items.push(...page.items);
    if (page.next === null || page.next === undefined) return items;
    from = page.next;
  }
}

// The first page of the queue, and a promise of the rest (handed to `onPage` page by page).
export async function queueInPages(onPage) {
  const first = await get('/v1/queue?limit=1000');
  const rest = (async () => {
    let after = first.next;
    while (after) {
      const page = await get(`/v1/queue?limit=1000&after=${encodeURIComponent(after)}`);
      onPage(page.items);
      after = page.next;
    }
  })();
  return { first: first.items, total: first.total, rest };
}

// A command with If-Match (the version the user decided on) and a fresh Idempotency-Key, so a
// retried click is the same command and never a second one.
export function command(application, name, version, args = {}, key = crypto.randomUUID()) {
  return call('POST', `/v1/applications/${encodeURIComponent(application)}/commands/${name}`, {
    headers: { 'If-Match': `"v${version}"`, 'Idempotency-Key': key },
    json: args,
  });
}
