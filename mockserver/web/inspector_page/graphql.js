// A GraphQL request as the journal kept it: its query laid out, its variables and operation name.

import { tryJSON } from './dom.js';

/** {query, variables, operationName} from a POST body or a GET query string, or null. */
export function graphqlRequest(entry) {
  if (entry.method === 'GET' && entry.query) {
    const params = new URLSearchParams(entry.query);
    if (!params.has('query')) return null;
    return {
      query: params.get('query'),
      variables: tryJSON(params.get('variables') || '') ?? null,
      operationName: params.get('operationName'),
    };
  }
  const body = tryJSON(entry.body);
  if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.query !== 'string') return null;
  return { query: body.query, variables: body.variables ?? null, operationName: body.operationName ?? null };
}

/**
 * The query laid out one selection a line, two spaces a level. A query already written on
 * several lines is kept as written (only its common indentation removed).
 */
export function formatQuery(query) {
  const text = query.replace(/\r\n?/g, '\n').trim();
  if (text.includes('\n')) return dedent(text);
  let out = '';
  let depth = 0; // selection sets open
  let parens = 0; // inside arguments or variable definitions: all on one line
  let i = 0;
  const newline = () => {
    out = out.replace(/[ ]+$/, '') + '\n' + '  '.repeat(depth);
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const block = text.startsWith('"""', i);
      const end = block ? text.indexOf('"""', i + 3) : stringEnd(text, i);
      const stop = end < 0 ? text.length : end + (block ? 3 : 1);
      out += text.slice(i, stop);
      i = stop;
      continue;
    }
    if (parens > 0 || (c !== '{' && c !== '}' && c !== ',' && !/\s/.test(c))) {
      if (c === '(') parens += 1;
      else if (c === ')') parens = Math.max(parens - 1, 0);
      if (/\s/.test(c)) {
        if (!/[\s(]$/.test(out)) out += ' ';
      } else {
        if (c === ')' || c === ',' || c === ':') out = out.replace(/ $/, '');
        out += c;
        if (c === ',' || c === ':') out += ' ';
      }
      i += 1;
      continue;
    }
    if (c === '{') {
      out = out.replace(/[ ]*$/, out ? ' ' : '') + '{';
      depth += 1;
      newline();
    } else if (c === '}') {
      depth = Math.max(depth - 1, 0);
      newline();
      out += '}';
      const next = text.slice(i + 1).trimStart()[0];
      if (next && next !== '}') {
        newline();
        if (depth === 0) out += '\n';
      }
    } else if (c === ',') {
      if (depth > 0) newline();
    } else {
      // whitespace between selections: a new line; elsewhere one space
      const rest = text.slice(i).trimStart();
      i = text.length - rest.length;
      if (!rest.length) break;
      if (depth > 0 && /[_A-Za-z.]/.test(rest[0]) && !/[\s{:(]$/.test(out) && !/^on\b/.test(rest) &&
          !/\.\.\.(\s*on)?\s*$/.test(out)) {
        newline();
      } else if (!/[\s]$/.test(out) && rest[0] !== ':' && rest[0] !== '(') {
        out += ' ';
      }
      continue;
    }
    i += 1;
  }
  return out.replace(/[ ]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

function stringEnd(text, start) {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === '"') return i;
  }
  return -1;
}

function dedent(text) {
  const lines = text.split('\n');
  const indents = lines.slice(1).filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return [lines[0], ...lines.slice(1).map((l) => l.slice(Math.min(cut, l.match(/^ */)[0].length)))].join('\n');
}
