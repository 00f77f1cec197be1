// The control API and the event stream, with the admin token when the server wants one.
//
// The token is asked for once (when a call answers 401) and kept for this tab's session; it is
// sent as X-Admin-Token on every call, the event stream included (read with fetch, because
// EventSource cannot send headers).

const TOKEN_KEY = 'doitong-mock.admin-token';
let token = sessionStorage.getItem(TOKEN_KEY);
let asking = null;
let promptForToken = async () => null;

export class ApiError extends Error {
  constructor(status, body) {
    const first = body && body.errors && body.errors[0];
    super(first ? first.message : `HTTP ${status}`);
    this.status = status;
    this.code = first && first.extensions ? first.extensions.code : null;
  }
}

/** The mock did not answer at all (it is restarting, or gone): said so, instead of the browser's
 * "Failed to fetch". */
export class Unreachable extends Error {
  constructor() {
    super('The mock is not answering (it may be restarting): nothing was changed. The page reconnects by itself.');
  }
}

/** `ask(wasWrong)` resolves to a token, or null to give up. */
export function onTokenNeeded(ask) {
  promptForToken = ask;
}

function headers(extra = {}) {
  return token ? { ...extra, 'X-Admin-Token': token } : extra;
}

async function needToken() {
  if (!asking) {
    const wasWrong = Boolean(token);
    asking = promptForToken(wasWrong).then((given) => {
      asking = null;
      if (!given) throw new ApiError(401, null);
      token = given;
      sessionStorage.setItem(TOKEN_KEY, token);
    });
  }
  return asking;
}

export async function api(method, path, body) {
  for (;;) {
    const init = { method, headers: headers({ Accept: 'application/json' }), cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new Unreachable();
    }
    if (response.status === 401) {
      await needToken();
      continue;
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const STALL_MS = 40_000; // the server sends a comment every 15 s; silence longer than this is a dead stream

/**
 * Follow /_mock/events for as long as the page is open: `onEvent(kind, data)` for each event,
 * `onState('connecting' | 'live' | 'reconnecting')`. Reconnects, with back-off, whenever the
 * stream ends (the server restarted, the network dropped).
 */
export async function follow(onEvent, onState) {
  let backoff = 250;
  for (;;) {
    const controller = new AbortController();
    let stall;
    const watch = () => {
      clearTimeout(stall);
      stall = setTimeout(() => controller.abort(), STALL_MS);
    };
    try {
      const response = await fetch('/_mock/events', {
        headers: headers({ Accept: 'text/event-stream' }), cache: 'no-store', signal: controller.signal,
      });
      if (response.status === 401) {
        await needToken();
        continue;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      watch();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        watch();
        buffer += value.replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parse(block);
          if (!event) continue;
          if (event.kind === 'hello') {
            backoff = 250;
            onState('live');
          }
          onEvent(event.kind, event.data);
        }
      }
    } catch (error) {
      if (error instanceof ApiError) {
        onState('locked');
        await sleep(2000);
      }
    } finally {
      clearTimeout(stall);
    }
    onState('reconnecting');
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 4000);
  }
}

function parse(block) {
  let kind = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') kind = value;
    else if (field === 'data') data.push(value);
  }
  if (!data.length) return null;
  try {
    return { kind, data: JSON.parse(data.join('\n')) };
  } catch {
    return null;
  }
}
