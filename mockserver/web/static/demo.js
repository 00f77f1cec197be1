import { request, subscribe } from '/static/gql-client.js';

const $ = (id) => document.getElementById(id);
const headers = () => ({ Authorization: `Bearer ${$('key').value.trim()}` });

const GENERATE = `mutation GenerateAvatar($input: AvatarGenerationInput!) {
  generateAvatar(input: $input) { id status creditCost }
}`;
const WATCH = `subscription Watch($id: ID!) {
  generationUpdated(id: $id) { id status progress videoUrl error { code message } }
}`;

async function loadCatalog() {
  const result = await request('{ catalog { avatars { id name portraitUrl } voices { id name language } } }', {}, headers());
  if (result.errors) return showError(result.errors[0].message);
  const { avatars, voices } = result.data.catalog;
  $('avatar').innerHTML = avatars.map((a) => `<option value="${a.id}">${a.name} (${a.id})</option>`).join('');
  $('voice').innerHTML = voices.map((v) => `<option value="${v.id}">${v.name} (${v.language})</option>`).join('');
  $('avatars').innerHTML = avatars.map((a) =>
    `<figure data-id="${a.id}"><img src="${a.portraitUrl}" alt="${a.name}"><figcaption>${a.name}</figcaption></figure>`).join('');
  for (const figure of document.querySelectorAll('#avatars figure')) {
    figure.onclick = () => { $('avatar').value = figure.dataset.id; };
  }
}

function showError(message) {
  $('job').hidden = false;
  $('error').hidden = false;
  $('error').textContent = message;
}

function show(job) {
  $('status').textContent = job.status;
  $('progress').value = job.progress ?? 0;
  if (job.error) showError(`${job.error.code}: ${job.error.message}`);
  if (job.status === 'completed' && job.videoUrl) {
    const player = $('player');
    player.hidden = false;
    player.src = job.videoUrl;
    player.play().catch(() => {});
  }
}

$('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('generate').disabled = true;
  $('error').hidden = true;
  $('player').hidden = true;
  try {
    const input = { service: 'hedra', text: $('text').value, avatarId: $('avatar').value, voice: $('voice').value };
    const result = await request(GENERATE, { input }, headers());
    if (result.errors) return showError(`${result.errors[0].extensions.code}: ${result.errors[0].message}`);
    const job = result.data.generateAvatar;
    $('job').hidden = false;
    $('job-id').textContent = job.id;
    $('cost').textContent = `(${job.creditCost} credits)`;
    show({ ...job, progress: 0 });
    for await (const payload of subscribe(WATCH, { id: job.id }, headers())) {
      if (payload.errors) return showError(payload.errors[0].message);
      show(payload.data.generationUpdated);
    }
  } finally {
    $('generate').disabled = false;
  }
});

loadCatalog();
