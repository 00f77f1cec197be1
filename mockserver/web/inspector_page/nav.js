// The address of what is shown: #<tab>[/<item>][?<filters>], e.g. #requests/42,
// #jobs/9rn9fsfzbxba, #webhooks/dlv_…, #accounts/YOUR_API_KEY, #jobs?account=test-pro&status=failed.
// Opening something pushes an entry (the back button goes back to what was open before); moving
// through a list with the arrow keys and typing in a filter replace the current one.

export const TABS = ['requests', 'jobs', 'webhooks', 'accounts', 'faults'];

/** {tab, id, params} of a hash (the current one by default); an unknown tab is null. */
export function parse(hash = location.hash) {
  const raw = hash.replace(/^#/, '');
  const mark = raw.indexOf('?');
  const path = mark < 0 ? raw : raw.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? '' : raw.slice(mark + 1));
  const slash = path.indexOf('/');
  const tab = slash < 0 ? path : path.slice(0, slash);
  let id = slash < 0 ? null : path.slice(slash + 1);
  try {
    id = id ? decodeURIComponent(id) : null;
  } catch {
    id = null;
  }
  return { tab: TABS.includes(tab) ? tab : null, id, params };
}

export function format({ tab, id = null, params = null }) {
  const query = params && [...params.keys()].length ? `?${params}` : '';
  return `#${tab}${id !== null && id !== undefined ? `/${encodeURIComponent(id)}` : ''}${query}`;
}

/** The link to one thing, for `href`s. */
export const linkTo = (tab, id, params) => format({ tab, id, params });

let shown = null; // the hash this page shows, so its own changes are not applied twice

/** Put `route` in the address: 'push' a new history entry, or 'replace' the current one. */
export function go(route, mode = 'push') {
  const hash = format(route);
  shown = hash;
  if (hash === location.hash) return;
  if (mode === 'push') history.pushState(null, '', hash);
  else history.replaceState(null, '', hash);
}

/** `apply(route)` whenever the address changes from outside: typed, a link, back or forward. */
export function follow(apply) {
  const changed = () => {
    if (location.hash === shown) return;
    shown = location.hash;
    apply(parse());
  };
  window.addEventListener('popstate', changed);
  window.addEventListener('hashchange', changed);
}

export function current() {
  return parse();
}
