// The demo page: pick an avatar and a voice, submit text, follow each job live, cancel it, play
// its video. Errors about the form (a bad key, empty text, a server that is down) are shown by
// the form; each job shows its own state. The jobs submitted here are kept in localStorage.
import { request, subscribe } from '/static/gql-client.js';

const $ = (id) => document.getElementById(id);
const key = () => $('key').value.trim();
const bearer = (apiKey) => ({ Authorization: `Bearer ${apiKey}` });

const JOB_FIELDS = 'id status progress videoUrl creditCost duration error { code message }';
const CATALOG = 'query Catalog { catalog { avatars { id name portraitUrl } voices { id name language } } }';
const GENERATE = `mutation GenerateAvatar($input: AvatarGenerationInput!) {
  generateAvatar(input: $input) { ${JOB_FIELDS} }
}`;
const CANCEL = `mutation Cancel($id: ID!) { cancelGeneration(id: $id) { ${JOB_FIELDS} } }`;
const WATCH = `subscription Watch($id: ID!) { generationUpdated(id: $id) { ${JOB_FIELDS} } }`;
const FINAL = new Set(['completed', 'failed', 'cancelled', 'unknown']);  // unknown: the mock forgot it
const STORED = 'doitong-demo:jobs';
const KEEP = 20;
const INSPECTOR = '/_mock/ui/';

const avatars = new Map();  // id -> {id, name, portraitUrl}
const jobs = new Map();     // id -> {id, key, text, avatarId, ...the job's fields, element}

// ---- errors ---------------------------------------------------------------------------------

function describe(error) {
  if (error.network) return `${error.message[0].toUpperCase()}${error.message.slice(1)}. Is the mock server running?`;
  if (error.extensions) {
    const { code, field, creditsRequired, creditsAvailable } = error.extensions;
    let hint = code === 'UNAUTHENTICATED' ? ' Check the API key.' : '';
    if (code === 'INSUFFICIENT_CREDITS' && creditsRequired !== undefined) {
      hint = ` This job needs ${credits(creditsRequired)}; the account has ${credits(creditsAvailable)} available.`;
    }
    return `${code}${field ? ` (${field})` : ''}: ${error.message}.${hint}`.replace('..', '.');
  }
  return error.message || String(error);
}

const credits = (n) => `${Number(n).toLocaleString('en-US')} credit${n === 1 ? '' : 's'}`;

function showFormError(error, retry) {
  $('form-error-text').textContent = describe(error);
  $('form-error').hidden = false;
  $('form-error-retry').hidden = !retry;
  $('form-error-retry').onclick = retry ? () => { clearFormError(); retry(); } : null;
}

function clearFormError() {
  $('form-error').hidden = true;
}

// One GraphQL call: its data, or a throw of the first error (or of the transport's failure).
async function call(query, variables, operationName, apiKey = key()) {
  const result = await request(query, variables, bearer(apiKey), operationName);
  if (result.errors && result.errors.length) throw result.errors[0];
  return result.data;
}

// ---- catalog and portraits ------------------------------------------------------------------

async function loadCatalog() {
  let catalog;
  try {
    ({ catalog } = await call(CATALOG, {}, 'Catalog'));
  } catch (error) {
    showFormError(error, loadCatalog);
    return;
  }
  const chosen = $('avatar').value;
  avatars.clear();
  for (const avatar of catalog.avatars) avatars.set(avatar.id, avatar);
  $('avatar').innerHTML = catalog.avatars.map((a) => `<option value="${a.id}">${a.name} (${a.id})</option>`).join('');
  $('voice').innerHTML = catalog.voices.map((v) => `<option value="${v.id}">${v.name} (${v.language})</option>`).join('');
  if (chosen && avatars.has(chosen)) $('avatar').value = chosen;
  $('avatars').replaceChildren(...catalog.avatars.map((a) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'portrait';
    button.dataset.id = a.id;
    button.title = `${a.name} (${a.id})`;
    button.innerHTML = `<img src="${a.portraitUrl}" alt="" width="64" height="64"><span></span>`;
    button.querySelector('span').textContent = a.name;
    button.onclick = () => { $('avatar').value = a.id; markSelected(); };
    return button;
  }));
  markSelected();
  restoreJobs();
}

function markSelected() {
  for (const button of $('avatars').children) {
    button.setAttribute('aria-pressed', String(button.dataset.id === $('avatar').value));
  }
}

// ---- jobs -----------------------------------------------------------------------------------

// Which state of the mock a job belongs to: every reset (and every start without a state file)
// begins a new one, and with --seed the new one hands out the same job ids again. A stored job is
// only looked up in the state it was made in, so it never shows another job's data.
async function generation() {
  try {
    const response = await fetch('/healthz', { cache: 'no-store' });
    return (await response.json()).generation || null;
  } catch {
    return null;
  }
}

function save() {
  const kept = [...jobs.values()].slice(-KEEP)
    .map(({ id, key: k, text, avatarId, generation: made }) => ({ id, key: k, text, avatarId, generation: made }));
  localStorage.setItem(STORED, JSON.stringify(kept));
}

function addJob(job) {
  const element = $('job-template').content.firstElementChild.cloneNode(true);
  element.dataset.id = job.id;
  element.querySelector('.job-id').textContent = job.id;
  element.querySelector('.bar').setAttribute('aria-label', `Progress of job ${job.id}`);
  const inspect = element.querySelector('.inspect');
  inspect.href = `${INSPECTOR}#jobs/${encodeURIComponent(job.id)}`;
  inspect.setAttribute('aria-label', `Inspect job ${job.id}: its timeline, requests, credits and webhooks`);
  element.querySelector('.job-text').textContent = job.text;
  const avatar = avatars.get(job.avatarId);
  if (avatar) element.querySelector('.thumb').src = avatar.portraitUrl;
  else element.querySelector('.thumb').hidden = true;
  element.querySelector('.cancel').onclick = () => cancel(job.id);
  element.querySelector('.play').onclick = () => play(job.id);
  element.querySelector('.reconnect').onclick = () => watch(job.id);
  $('jobs').prepend(element);
  $('no-jobs').hidden = true;
  const entry = { ...job, element };
  jobs.set(job.id, entry);
  save();
  return entry;
}

function update(id, changes) {
  const job = jobs.get(id);
  if (!job) return;
  Object.assign(job, changes);
  const el = job.element;
  const final = FINAL.has(job.status);
  el.dataset.status = job.status;
  el.querySelector('.status').textContent = job.connectionLost && !final ? `${job.status}, not live` : job.status;
  const percent = Math.round((job.status === 'completed' ? 1 : job.progress || 0) * 100);
  const bar = el.querySelector('.bar');
  bar.setAttribute('aria-valuenow', String(percent));
  bar.querySelector('span').style.width = `${percent}%`;
  const credits = `${job.creditCost} credit${job.creditCost === 1 ? '' : 's'}`;
  el.querySelector('.cost').textContent = {
    completed: `${credits} charged`,
    failed: `${credits} released, not charged`,
    cancelled: `${credits} released, not charged`,
    unknown: `${credits}, state unknown`,
  }[job.status] || `${credits} held`;
  el.querySelector('.length').textContent = job.duration ? ` · ${job.duration} s of speech` : '';
  const error = el.querySelector('.job-error');
  const problem = job.error ? `${job.error.code}: ${job.error.message}` : job.actionError || (job.connectionLost && !final
    ? 'Live updates stopped: the connection to the mock was lost.' : '');
  error.textContent = problem;
  error.hidden = !problem;
  el.querySelector('.cancel').hidden = final;
  el.querySelector('.cancel').disabled = Boolean(job.cancelling);
  el.querySelector('.play').hidden = !(job.status === 'completed' && job.videoUrl);
  el.querySelector('.reconnect').hidden = final || !job.connectionLost;
}

async function watch(id) {
  const job = jobs.get(id);
  update(id, { connectionLost: false, actionError: null });
  let ended = false;
  for await (const payload of subscribe(WATCH, { id }, bearer(job.key), 'Watch')) {
    if (payload.errors) {
      const error = payload.errors[0] || {};
      if (error.extensions && error.extensions.code === 'NOT_FOUND') {
        update(id, { status: 'unknown', actionError: 'The mock no longer has this job: it was reset or restarted.' });
        ended = true;
      }
      break;
    }
    const now = payload.data.generationUpdated;
    update(id, now);
    if (FINAL.has(now.status)) {
      ended = true;
      if (now.status === 'completed' && now.videoUrl) play(id, { auto: true });
    }
  }
  const latest = jobs.get(id);
  if (!ended && latest && !FINAL.has(latest.status)) update(id, { connectionLost: true });
}

async function cancel(id) {
  const job = jobs.get(id);
  update(id, { cancelling: true, actionError: null });
  try {
    const { cancelGeneration } = await call(CANCEL, { id }, 'Cancel', job.key);
    update(id, cancelGeneration);
  } catch (error) {
    update(id, { actionError: `Cannot cancel: ${describe(error)}` });
  } finally {
    update(id, { cancelling: false });
  }
}

function play(id, { auto = false } = {}) {
  const job = jobs.get(id);
  const player = $('player');
  if (auto && !player.paused && !player.ended) return;  // do not cut into a video being watched
  for (const other of jobs.values()) other.element.classList.toggle('playing', other.id === id);
  $('viewer').hidden = false;
  $('viewer-caption').textContent = `${job.id}: ${job.text}`;
  player.src = job.videoUrl;
  player.play().catch(() => {});
}

/** The jobs this page stored, as the mock has them now. `body[data-restored]` once done (tests
 * wait for it). */
async function restoreJobs() {
  try {
    await restoreStored();
  } finally {
    document.body.dataset.restored = 'true';
  }
}

async function restoreStored() {
  if (jobs.size) return;
  let stored;
  try { stored = JSON.parse(localStorage.getItem(STORED)) || []; } catch { stored = []; }
  const now = await generation();
  if (now === null) return;  // the mock is not answering: keep them for when it does
  stored = stored.filter((job) => job.generation === now);
  const byKey = new Map();
  for (const job of stored) byKey.set(job.key, [...(byKey.get(job.key) || []), job]);
  for (const [apiKey, list] of byKey) {
    const fields = list.map((job, i) => `j${i}: generation(id: "${job.id.replace(/[^\w-]/g, '')}") { ${JOB_FIELDS} }`);
    let data;
    try {
      data = await call(`query StoredJobs { ${fields.join(' ')} }`, {}, 'StoredJobs', apiKey);
    } catch {
      continue;  // the key or the server is gone: forget nothing, show nothing
    }
    list.forEach((job, i) => {
      const now = data[`j${i}`];
      if (!now) return;  // the mock was reset or restarted since
      addJob(job);
      update(job.id, now);
      if (!FINAL.has(now.status)) watch(job.id);
    });
  }
  save();
}

// ---- the form -------------------------------------------------------------------------------

$('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearFormError();
  const input = { service: 'hedra', text: $('text').value, avatarId: $('avatar').value, voice: $('voice').value };
  const apiKey = key();
  $('generate').disabled = true;
  let job;
  let made;
  try {
    [{ generateAvatar: job }, made] = await Promise.all([call(GENERATE, { input }, 'GenerateAvatar', apiKey), generation()]);
  } catch (error) {
    showFormError(error);
    return;
  } finally {
    $('generate').disabled = false;
  }
  const { element } = addJob({ ...job, key: apiKey, text: input.text, avatarId: input.avatarId, generation: made });
  update(job.id, job);
  if (element.getBoundingClientRect().top > innerHeight) element.scrollIntoView({ block: 'nearest' });  // narrow screens
  watch(job.id);
});

$('avatar').addEventListener('change', markSelected);
$('key').addEventListener('change', () => { clearFormError(); loadCatalog(); });

loadCatalog();
