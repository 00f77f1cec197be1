// Small DOM helpers. Everything the page shows that came from a client (paths, bodies, headers)
// goes into the DOM as text, never as HTML.

export const $ = (id) => document.getElementById(id);

/** h('td.mono', {title: 'x'}, 'text', child, ...) */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key === 'class') el.className += (el.className ? ' ' : '') + value;
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else if (key === 'value') el.value = value;
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

// Time on the mock's clock: ISO strings in UTC, shown as UTC times of day.

export function timeOfDay(iso, millis = true) {
  if (!iso) return '–';
  const t = iso.slice(11, 19);
  if (!millis) return t;
  const fraction = iso.slice(19).match(/^\.(\d{1,3})/);
  return `${t}.${fraction ? fraction[1].padEnd(3, '0') : '000'}`;
}

export function dateTime(iso) {
  return iso ? `${iso.slice(0, 10)} ${timeOfDay(iso)} UTC` : '–';
}

export const seconds = (iso) => (iso ? Date.parse(iso) / 1000 : null);

/** "4.2 s", "42 s", "3 min 5 s", "13 min", "2 h 10 min", "3 d 2 h": each unit rounded once, so
 * never "12 min 60 s". */
export function span(s) {
  const a = Math.abs(s);
  if (a < 9.95) return `${a.toFixed(1)} s`;
  const whole = Math.round(a);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return join(Math.floor(whole / 60), 'min', whole % 60, 's');
  const minutes = Math.round(a / 60);
  if (minutes < 1440) return join(Math.floor(minutes / 60), 'h', minutes % 60, 'min');
  const hours = Math.round(a / 3600);
  return join(Math.floor(hours / 24), 'd', hours % 24, 'h');
}

function join(big, bigUnit, small, smallUnit) {
  return small ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
}

export function ago(s) {
  return s < 0.05 ? 'now' : `${span(s)} ago`;
}

export function until(s) {
  return s <= 0.05 ? 'due now' : `in ${span(s)}`;
}

export const number = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));

/** "+1,000", "−340" (a real minus sign), "0". */
export function signed(n) {
  if (!n) return '0';
  return `${n > 0 ? '+' : '\u2212'}${number(Math.abs(n))}`;
}

/** A size in bytes as people read it: "812 bytes", "16 KiB", "1.4 MiB". */
export function bytes(n) {
  if (n < 1024) return `${number(n)} bytes`;
  if (n < 1024 * 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${+(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function latency(ms) {
  if (ms === null || ms === undefined) return '–';
  return ms < 10 ? `${ms.toFixed(1)} ms` : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function statusClass(code) {
  if (!code) return 'status-none';
  return `status-${String(code)[0]}xx`;
}

export function badge(text, kind) {
  return h(`span.badge.${kind}`, null, text);
}

// JSON shown pretty and coloured, built as text nodes.

export function tryJSON(text) {
  if (typeof text !== 'string' || !/^\s*[[{"0-9tfn-]/.test(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const TOKEN = /("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

export function jsonBlock(value, label) {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  const pre = h('pre.code', { tabindex: 0, 'aria-label': label });
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (m.index > last) pre.append(text.slice(last, m.index));
    if (m[1]) {
      pre.append(h(m[2] ? 'span.j-key' : 'span.j-str', null, m[1]));
      if (m[2]) pre.append(m[2]);
    } else if (m[3]) pre.append(h('span.j-lit', null, m[3]));
    else pre.append(h('span.j-num', null, m[4]));
    last = m.index + m[0].length;
  }
  pre.append(text.slice(last));
  return pre;
}

/** A body as received: pretty JSON when it is JSON, else the text itself. */
export function bodyBlock(text, label) {
  if (!text) return h('p.muted', null, '(empty)');
  const parsed = tryJSON(text);
  return parsed === undefined ? h('pre.code', { tabindex: 0, 'aria-label': label }, text) : jsonBlock(parsed, label);
}

export function headersTable(pairs, caption, highlight = () => false) {
  if (!pairs || !pairs.length) return h('p.muted', null, '(none)');
  return h('table.kv', null,
    h('caption.visually-hidden', null, caption),
    h('tbody', null, pairs.map(([name, value]) =>
      h('tr', { class: highlight(name) ? 'hl' : undefined },
        h('th', { scope: 'row' }, name), h('td.mono', null, value)))));
}

export function facts(rows) {
  return h('dl.facts', null, rows.filter(Boolean).map(([term, value]) => [h('dt', null, term), h('dd', null, value)]));
}

// Toasts

export function toast(message, kind = 'info') {
  const box = $('toasts');
  const el = h(`div.toast.${kind}`, null, message);
  box.append(el);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 3500);
}

// The one dialog: a question, optional fields, Cancel or Confirm.

/**
 * ask({title, text, fields: [{name, label, type, value, options, list, min, required}], confirm, danger})
 * resolves to the fields' values (an object) or null when cancelled. A question without fields
 * that does something destructive starts on Cancel, so Enter never does it by accident. Focus
 * goes back to what had it when the dialog closes (see `returnFocus` for a button disabled
 * meanwhile).
 */
export function ask({ title, text, fields = [], confirm = 'OK', danger = false }) {
  const dialog = $('dialog');
  const opener = document.activeElement;
  $('dialog-title').textContent = title;
  const body = $('dialog-body');
  body.replaceChildren();
  if (text) body.append(h('p', null, text));
  for (const field of fields) {
    let input;
    if (field.options) {
      input = h('select', { name: field.name }, field.options.map(([value, label]) =>
        h('option', { value, selected: value === field.value ? true : undefined }, label)));
    } else {
      input = h('input', {
        name: field.name, type: field.type || 'text', value: field.value ?? '', list: field.list,
        min: field.min, step: field.step, required: field.required, autocomplete: 'off', spellcheck: 'false',
      });
    }
    body.append(h('label.field', null, field.label, input));
  }
  const button = $('dialog-confirm');
  button.textContent = confirm;
  button.className = danger ? 'danger' : '';
  dialog.returnValue = '';
  dialog.showModal();
  const first = body.querySelector('input, select');
  (first || (danger ? $('dialog-cancel') : button)).focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (opener && opener.isConnected && !opener.disabled && typeof opener.focus === 'function') opener.focus();
      if (dialog.returnValue !== 'confirm') return resolve(null);
      const values = {};
      for (const el of body.querySelectorAll('input, select')) values[el.name] = el.value;
      resolve(values);
    }, { once: true });
  });
}

/** After an action that `el` started: focus back on it, or on its row (or the row that now
 * stands for the same thing) when the action replaced it, unless focus went somewhere on purpose. */
export function returnFocus(el, rowKey) {
  const active = document.activeElement;
  // A dialog that closed leaves focus on its field until the browser notices: lost as well.
  const lost = !active || active === document.body || Boolean(active.closest('dialog:not([open])'));
  if (!lost || document.querySelector('dialog[open]')) return;
  if (el.isConnected && !el.disabled) {
    el.focus();
    return;
  }
  const row = rowKey ? document.querySelector(`tr[data-key="${CSS.escape(rowKey)}"]`) : null;
  if (row) row.focus();
}

/** Put text on the clipboard (a hidden textarea where the Clipboard API is not allowed). */
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { 'aria-hidden': 'true', class: 'offscreen' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}

// Rows of a list kept in place: a row is rebuilt only when its item changed (its `_v`), so
// focus and scrolling survive live updates.

export function syncRows(tbody, items, keyOf, build) {
  const old = new Map();
  for (const row of tbody.children) old.set(row.dataset.key, row);
  const active = document.activeElement;
  const focused = tbody.contains(active) ? active.closest('tr[data-key]') : null;
  const action = focused && active !== focused ? active.dataset.action : null;
  let cursor = tbody.firstElementChild;
  for (const item of items) {
    const key = String(keyOf(item));
    let row = old.get(key);
    if (!row || row._version !== item._v) {
      const fresh = build(item);
      fresh.dataset.key = key;
      fresh._version = item._v;
      fresh.tabIndex = -1;
      if (row) {
        if (row === cursor) cursor = fresh;
        row.replaceWith(fresh);
      }
      row = fresh;
    }
    if (row === cursor) cursor = cursor.nextElementSibling;
    else tbody.insertBefore(row, cursor);
  }
  while (cursor) {
    const next = cursor.nextElementSibling;
    cursor.remove();
    cursor = next;
  }
  // Focus stays with the row (or its button) it was on, rebuilt or moved.
  if (focused && !tbody.contains(document.activeElement)) {
    const row = [...tbody.children].find((r) => r.dataset.key === focused.dataset.key);
    if (row) refocus(row, action);
  }
}

function refocus(row, action) {
  const target = action ? row.querySelector(`[data-action="${action}"]`) : null;
  (target && !target.disabled ? target : row).focus({ preventScroll: true });
}
