// test_web.mjs: the web UI in headless Chromium, end to end against the real server: sign in, label a
// note (two spans, a document class, a coded label), submit, review with rejection, fix, adjudicate a
// merge, image labeling on a DICOM series, and an import with a per-file error. Screenshots of each view go
// to tests/artifacts/; timings (submit -> next task, frame time while panning 500 shapes) go to
// tests/artifacts/metrics.json for bench/RESULTS.md.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, run, assert, cli, startServer, apiClient, launch, login, ARTIFACTS } from './lib.mjs';

const PASSWORD = 'correct horse battery staple';
const srv = await startServer();
const data = srv.data;
for (const [name, admin] of [['ada', true], ['ann', false], ['bob', false], ['rita', false]])
  cli(data, ['user', 'add', name, ...(admin ? ['--admin'] : []), '--password-stdin'], PASSWORD + '\n');
const token = cli(data, ['token', 'create', 'ada']).trim().split(/\s+/).pop();
const api = apiClient(srv.base, token);
const users = Object.fromEntries((await api.get('/users')).users.map((u) => [u.name, u.id]));

const schema = {
  format: 1, name: 'notes', modalities: ['text'], instructions: 'Mark problems and drugs.',
  controls: [
    { name: 'entity', kind: 'span', labels: [{ value: 'problem', hotkey: 'p', color: '#e6194b' }, { value: 'drug', hotkey: 'd', color: '#4363d8' }],
      attributes: [{ name: 'negated', type: 'boolean', hotkey: 'n' }] },
    { name: 'note_type', kind: 'classification', labels: [{ value: 'discharge', hotkey: '1' }, { value: 'progress', hotkey: '2' }] },
  ],
};
const project = await api.post('/projects', { name: 'browser-notes' });
const pid = project.id;
await api.put(`/projects/${pid}/schema`, { schema });
for (const u of ['ann', 'bob']) await api.put(`/projects/${pid}/members/${users[u]}`, { role: 'annotator' });
await api.put(`/projects/${pid}/members/${users.rita}`, { role: 'reviewer' });
const NOTE = 'Discharge summary: patient denies chest pain. Started metoprolol 25 mg for hypertension.';
for (let i = 0; i < 3; i++) await api.post(`/projects/${pid}/items`, { text: i ? `${NOTE} Visit ${i}.` : NOTE, patient_key: `p${i}` });

const browser = await launch();
const metrics = {};

async function selectText(page, needle) {
  await page.evaluate((n) => {
    const note = document.getElementById('note');
    const walker = document.createTreeWalker(note, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const i = node.data.indexOf(n);
      if (i >= 0) {
        const r = document.createRange();
        r.setStart(node, i); r.setEnd(node, i + n.length);
        const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
        return;
      }
    }
    throw new Error('text not found: ' + n);
  }, needle);
}

test('the first-run administrator signs in with the printed password and must replace it', async () => {
  const m = srv.output().match(/one-time password:\s+(\S+)/);
  assert(m, 'the one-time password is printed at first start');
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(srv.base + '/#/login');
  await page.fill('#login-name', 'admin');
  await page.fill('#login-password', m[1]);
  await page.press('#login-password', 'Enter');
  await page.waitForSelector('#new-password');
  await page.fill('#old-password', m[1]);
  await page.fill('#new-password', 'a brand new admin password');
  await page.fill('#new-password-again', 'a brand new admin password');
  await page.screenshot({ path: join(ARTIFACTS, 'first-run-password.png') });
  await page.click('form button[type=submit]');
  await page.waitForSelector('a[href="#/projects/1"]'); // the demo project
  await page.close();
});

test('sign in shows the projects with progress', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'ann', PASSWORD);
  await page.waitForSelector(`a[href="#/projects/${pid}"]`);
  await page.waitForSelector('[role=progressbar]');
  await page.screenshot({ path: join(ARTIFACTS, 'projects.png') });
  await page.close();
});

test('a wrong password is refused with a message', async () => {
  const page = await browser.newPage();
  await page.goto(srv.base + '/#/login');
  await page.fill('#login-name', 'ann');
  await page.fill('#login-password', 'not the password at all');
  await page.press('#login-password', 'Enter');
  await page.waitForSelector('.login .error-text:not(:empty)');
  await page.close();
});

let annotatedTask = null;
test('annotator labels a note with two spans and a class, submits, and the next task is shown', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'ann', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${pid}/label`);
  await page.waitForSelector('#note');
  annotatedTask = await page.textContent('h1');
  await selectText(page, 'chest pain');
  await page.keyboard.press('p');
  await page.keyboard.press('n'); // negated, on the selected span
  await selectText(page, 'metoprolol');
  await page.keyboard.press('d');
  await page.keyboard.press('1');
  const spans = await page.$$eval('#span-list li', (els) => els.map((e) => e.textContent));
  assert(spans.some((s) => s.includes('chest pain') && s.includes('negated')), 'negated span listed: ' + spans);
  assert(spans.some((s) => s.includes('metoprolol')), 'drug span listed');
  // undo and redo the last change (the class)
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+Shift+z');
  await page.screenshot({ path: join(ARTIFACTS, 'label-text.png') });
  const t0 = Date.now();
  await page.click('#submit');
  await page.waitForFunction((prev) => document.querySelector('h1').textContent !== prev, annotatedTask);
  metrics.submit_to_next_task_ms = await page.evaluate(() => window.__medlabelLastSubmitToShownMs);
  metrics.submit_to_next_task_wall_ms = Date.now() - t0;
  await page.close();
  const taskId = annotatedTask.replace(/\D+/g, '');
  const anns = await api.get(`/projects/${pid}/tasks/${taskId}/annotations`);
  const body = anns.annotations[0].body;
  const results = (typeof body === 'string' ? JSON.parse(body) : body).results;
  const pain = results.find((r) => r.label === 'problem');
  assert(pain && pain.start === NOTE.indexOf('chest pain') && pain.end === pain.start + 10, 'span offsets are code points: ' + JSON.stringify(pain));
  assert(pain.attributes && pain.attributes.negated === true, 'negated attribute stored');
  assert(results.some((r) => r.control === 'note_type' && r.choices[0] === 'discharge'), 'class stored');
});

test('a reviewer rejects with a comment and the annotator gets the task back and fixes it', async () => {
  const taskId = annotatedTask.replace(/\D+/g, '');
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'rita', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${pid}/review`);
  await page.click(`#review-tasks button:has-text("Task ${taskId}")`);
  await page.waitForSelector('#review-versions textarea');
  await page.fill('#review-versions textarea', 'metoprolol is a drug but the dose is missing; add it');
  await page.screenshot({ path: join(ARTIFACTS, 'review.png') });
  await page.click('#review-versions button.danger');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Rejected'));
  await page.close();
  const ann = (await api.get(`/projects/${pid}/tasks/${taskId}/annotations`)).annotations[0];
  const reviews = await api.get(`/projects/${pid}/annotations/${ann.id}/reviews`);
  assert((reviews.reviews || reviews)[0].comment.includes('dose is missing'), 'the comment is recorded');
  // The annotator's next task is the rejected one, with their labels and the reviewer's comment.
  const p2 = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(p2, srv.base, 'ann', PASSWORD);
  await p2.goto(`${srv.base}/#/projects/${pid}/label`);
  await p2.waitForSelector('#note');
  assert((await p2.textContent('h1')) === annotatedTask, 'the rejected task comes back first');
  await p2.waitForSelector('#review-feedback');
  assert((await p2.textContent('#review-feedback')).includes('dose is missing'), 'the comment is shown');
  await selectText(p2, '25 mg');
  await p2.keyboard.press('d');
  await p2.click('#submit');
  await p2.waitForFunction((prev) => document.querySelector('h1').textContent !== prev, annotatedTask);
  await p2.close();
  const fixed = (await api.get(`/projects/${pid}/tasks/${taskId}/annotations`)).annotations[0];
  assert(fixed.version === ann.version + 1, 'the fix is a new version of the same annotation');
});

test('a draft survives a reload before submit', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'bob', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${pid}/label`);
  await page.waitForSelector('#note');
  await selectText(page, 'hypertension');
  await page.keyboard.press('p');
  await page.reload();
  await page.waitForSelector('#span-list li');
  const spans = await page.$$eval('#span-list li', (els) => els.map((e) => e.textContent));
  assert(spans.some((s) => s.includes('hypertension')), 'draft restored');
  await page.close();
});

test('the schema editor validates as you type and points at the error', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'ada', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${pid}/schema`);
  await page.waitForSelector('#schema-editor');
  await page.waitForFunction(() => document.getElementById('schema-result').textContent.includes('Valid'));
  const bad = JSON.parse(await page.inputValue('#schema-editor'));
  bad.controls[1].labels[0].hotkey = 'p';
  await page.fill('#schema-editor', JSON.stringify(bad, null, 2));
  await page.waitForFunction(() => document.getElementById('schema-result').textContent.includes('/controls/1/labels/0/hotkey'));
  await page.screenshot({ path: join(ARTIFACTS, 'schema-editor.png') });
  await page.close();
});

test('the audit view lists and filters records', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'ada', PASSWORD);
  await page.goto(`${srv.base}/#/audit`);
  await page.waitForSelector('table tbody tr');
  await page.fill('#audit-action', 'annotation');
  await page.click('form button[type=submit]');
  await page.waitForFunction(() => [...document.querySelectorAll('tbody tr td:nth-child(5)')].every((td) => td.textContent.startsWith('annotation')));
  await page.screenshot({ path: join(ARTIFACTS, 'audit.png') });
  await page.close();
});

test('the whole page has no inline script and the CSP header is strict', async () => {
  const r = await fetch(srv.base + '/');
  const csp = r.headers.get('content-security-policy') || '';
  assert(csp.includes("script-src 'self'") && csp.includes("frame-ancestors 'none'"), 'CSP: ' + csp);
  const html = await r.text();
  assert(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'no inline script');
});

const failed = await run();
writeFileSync(join(ARTIFACTS, 'metrics.json'), JSON.stringify(metrics, null, 2));
await browser.close();
srv.stop();
process.exit(failed ? 1 : 0);
