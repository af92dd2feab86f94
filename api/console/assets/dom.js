// Building the page without HTML strings: every text goes in through textContent, so nothing an
// applicant wrote can become markup, and no inline handler or style is ever needed (the CSP
// forbids both).

// h('td', {class: 'x', onclick: f}, 'text', child, ...)
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'checked' || name === 'value' || name === 'selected') element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function replace(container, ...children) {
  container.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined));
}

export function notice(text, isError = false) {
  const box = document.getElementById('notice');
  box.textContent = text || '';
  box.className = isError ? 'error' : '';
}

// A labelled control: <label>text <input></label>, so every control has its name.
export function labelled(text, control) { return h('label', {}, text, control); }

// A CSV file of `rows` (arrays of cells) downloaded as `name`: UTF-8 with a BOM so Excel opens
// it as Japanese text; cells quoted, a leading = + - @ neutralised (no formula injection).
export function downloadCsv(name, rows) {
  const cell = (value) => {
    let text = value === null || value === undefined ? '' : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return `"${text.replaceAll('"', '""')}"`;
  };
  const text = '\ufeff' + rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
  const link = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' })), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

// <input type=datetime-local> is Tokyo wall time ("2026-11-26T09:00"); the API takes RFC 3339.
export const tokyoTime = (value) => (value.length === 16 ? `${value}:00+09:00` : `${value}+09:00`);

export function formatTime(text) {
  if (!text) return '';
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return text;
  return date.toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo', hour12: false });
}
