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

let hpoId;
const schema = {
  format: 1, name: 'notes', modalities: ['text'], instructions: 'Mark problems and drugs.',
  controls: [
    { name: 'entity', kind: 'span', labels: [{ value: 'problem', hotkey: 'p', color: '#e6194b' }, { value: 'drug', hotkey: 'd', color: '#4363d8' }],
      attributes: [{ name: 'negated', type: 'boolean', hotkey: 'n' }] },
    { name: 'note_type', kind: 'classification', labels: [{ value: 'discharge', hotkey: '1' }, { value: 'progress', hotkey: '2' }] },
    { name: 'diagnosis', kind: 'coded', codings: [{ system: 'HPO' }] },
    { name: 'rel', kind: 'relation', between: ['entity'], labels: [{ value: 'treats' }] },
  ],
};
{
  const { writeFileSync: write, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const csv = join(mkdtempSync(join(tmpdir(), 'medlabel-onto-')), 'hpo.csv');
  write(csv, 'code,display,synonyms,parent\nHP:0000118,Phenotypic abnormality,,\nHP:0000822,Hypertension,High blood pressure|HTN,HP:0000118\n' +
    'HP:0100749,Chest pain,Thoracic pain,HP:0000118\nHP:0001250,Seizure,Epileptic seizure,HP:0000118\n');
  hpoId = cli(data, ['ontology', 'load', csv, '--name', 'HPO', '--version', '2024-01']).split('loaded ontology ')[1].split(':')[0];
}
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
  // A relation: with the new span selected, R then click the other span.
  await page.keyboard.press('r');
  await page.click('#note mark:has-text("chest pain")');
  await page.keyboard.press('1');
  // A coded label from the ontology popup, typed with a typo and picked with the keyboard.
  await page.click('#doc-labels .code-search');
  await page.keyboard.type('hypertenion');
  await page.waitForSelector('#code-results li');
  await page.screenshot({ path: join(ARTIFACTS, 'label-text-ontology.png') });
  await page.keyboard.press('Enter');
  await page.waitForSelector('#doc-labels .chip');
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
  const rel = results.find((r) => r.control === 'rel');
  const drug = results.find((r) => r.label === 'drug');
  assert(rel && rel.from === drug.id && rel.to === pain.id && rel.label === 'treats', 'relation stored: ' + JSON.stringify(rel));
  const coded = results.find((r) => r.control === 'diagnosis');
  assert(coded && coded.codes[0].code === 'HP:0000822' && coded.codes[0].system === 'HPO', 'coded label stored: ' + JSON.stringify(coded));
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

test('an adjudicator merges two annotators\' versions', async () => {
  const adj = await api.post('/projects', { name: 'browser-adjudication' });
  await api.patch(`/projects/${adj.id}`, { settings: { overlap: 2 } });
  await api.put(`/projects/${adj.id}/schema`, { schema });
  for (const u of ['ann', 'bob']) await api.put(`/projects/${adj.id}/members/${users[u]}`, { role: 'annotator' });
  await api.put(`/projects/${adj.id}/members/${users.rita}`, { role: 'reviewer' });
  await api.post(`/projects/${adj.id}/items`, { text: NOTE });
  const at = (s) => NOTE.indexOf(s);
  const span = (id, label, s) => ({ id, control: 'entity', label, start: at(s), end: at(s) + s.length, text: s });
  const versions = {
    ann: [span('a1', 'problem', 'chest pain'), span('a2', 'drug', 'metoprolol')],
    bob: [span('b1', 'problem', 'chest pain'), span('b2', 'problem', 'hypertension')],
  };
  let taskId;
  for (const u of ['ann', 'bob']) {
    const tok = cli(data, ['token', 'create', u]).trim().split(/\s+/).pop();
    const c = apiClient(srv.base, tok);
    const next = await c.get(`/projects/${adj.id}/next`);
    taskId = next.task.id;
    await c.post(`/projects/${adj.id}/tasks/${taskId}/annotations`, { body: { results: versions[u] } });
  }
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await login(page, srv.base, 'rita', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${adj.id}/review`);
  await page.click(`#review-tasks button:has-text("Task ${taskId}")`);
  await page.waitForSelector('#review-versions [data-annotation]');
  const cols = await page.$$('#review-versions [data-annotation]');
  assert(cols.length === 2, 'both versions side by side');
  assert(await page.$('#review-versions li.diff-add'), 'differences are highlighted');
  // Pick: chest pain (from ann), metoprolol (ann) and hypertension (bob).
  await page.check('#review-versions [data-annotation]:nth-child(1) li:nth-child(1) input');
  await page.check('#review-versions [data-annotation]:nth-child(1) li:nth-child(2) input');
  await page.check('#review-versions [data-annotation]:nth-child(2) li:nth-child(2) input');
  await page.screenshot({ path: join(ARTIFACTS, 'adjudication.png') });
  await page.click('#merge');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Merged'));
  await page.close();
  const anns = (await api.get(`/projects/${adj.id}/tasks/${taskId}/annotations`)).annotations;
  const merged = anns.find((a) => a.kind === 'adjudicated');
  assert(merged, 'an adjudicated version exists: ' + JSON.stringify(anns.map((a) => a.kind)));
  const body = typeof merged.body === 'string' ? JSON.parse(merged.body) : merged.body;
  assert(body.results.length === 3 && body.results.some((r) => r.text === 'hypertension'), 'the merge holds the picked results');
  const task = await api.get(`/projects/${adj.id}/tasks/${taskId}`);
  assert((task.task || task).state === 'done', 'the task is done');
});

test('dictionary pre-annotations appear as suggestions; accepted ones become labels', async () => {
  const tp = await api.post('/projects', { name: 'browser-tagged' });
  await api.put(`/projects/${tp.id}/schema`, { schema: { format: 1, name: 'tagged', modalities: ['text'], controls: [
    { name: 'phenotype', kind: 'span', labels: [{ value: 'finding', hotkey: 'f' }], codings: [{ system: 'HPO' }],
      attributes: [{ name: 'negated', type: 'boolean' }, { name: 'uncertain', type: 'boolean' }, { name: 'historical', type: 'boolean' }, { name: 'family', type: 'boolean' }] }] } });
  await api.put(`/projects/${tp.id}/members/${users.ann}`, { role: 'annotator' });
  await api.post(`/projects/${tp.id}/items`, { text: 'No seizures overnight. Known hypertension, on lisinopril.' });
  const out = cli(data, ['tag', String(tp.id), '--ontology', hpoId]);
  assert(/predict|tagged|\d/.test(out), 'tagger ran: ' + out);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'ann', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${tp.id}/label`);
  await page.waitForSelector('#predictions li');
  const sugg = await page.$$eval('#predictions li', (els) => els.map((e) => e.textContent));
  assert(sugg.length === 2 && sugg.some((s) => s.includes('seizures')) && sugg.some((s) => s.includes('hypertension')), 'suggestions: ' + sugg);
  await page.screenshot({ path: join(ARTIFACTS, 'label-suggestions.png') });
  await page.click('#accept-all');
  await page.waitForFunction(() => document.querySelectorAll('#span-list li').length === 2);
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Submitted'));
  await page.close();
  const task = (await api.get(`/projects/${tp.id}/tasks?state=submitted`)).tasks[0];
  const ann = (await api.get(`/projects/${tp.id}/tasks/${task.id}/annotations`)).annotations.find((a) => !a.model);
  const results = (typeof ann.body === 'string' ? JSON.parse(ann.body) : ann.body).results;
  const seiz = results.find((r) => r.text === 'seizures');
  assert(seiz && seiz.attributes && seiz.attributes.negated === true, 'negation kept: ' + JSON.stringify(seiz));
  assert(seiz.codes && seiz.codes[0].code === 'HP:0001250', 'code kept');
});

test('a conflicting edit and a lost connection are explained and nothing typed is lost', async () => {
  const cp = await api.post('/projects', { name: 'browser-conflict' });
  await api.put(`/projects/${cp.id}/schema`, { schema });
  await api.put(`/projects/${cp.id}/members/${users.bob}`, { role: 'annotator' });
  await api.put(`/projects/${cp.id}/members/${users.rita}`, { role: 'reviewer' });
  await api.post(`/projects/${cp.id}/items`, { text: NOTE });
  const bob = apiClient(srv.base, cli(data, ['token', 'create', 'bob']).trim().split(/\s+/).pop());
  const rita = apiClient(srv.base, cli(data, ['token', 'create', 'rita']).trim().split(/\s+/).pop());
  const t = (await bob.get(`/projects/${cp.id}/next`)).task;
  const at = (x) => ({ id: 'x' + x.length, control: 'entity', label: 'problem', start: NOTE.indexOf(x), end: NOTE.indexOf(x) + x.length, text: x });
  const created = await bob.post(`/projects/${cp.id}/tasks/${t.id}/annotations`, { body: { results: [at('chest pain')] } });
  await rita.post(`/projects/${cp.id}/annotations/${created.id}/reviews`, { decision: 'reject', comment: 'add the diagnosis' });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'bob', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${cp.id}/label`);
  await page.waitForSelector('#review-feedback');
  // Someone else saves a new version while bob works.
  await api.put(`/projects/${cp.id}/annotations/${created.id}`, { body: { results: [at('chest pain'), at('hypertension')] } }, { 'If-Match': '"1"' });
  await selectText(page, 'metoprolol');
  await page.keyboard.press('d');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('label-banner').textContent.includes('changed this annotation'));
  await page.screenshot({ path: join(ARTIFACTS, 'label-conflict.png') });
  await page.click('#label-banner button');
  await page.waitForFunction(() => document.getElementById('label-banner').textContent.includes('Now based on version 2'));
  // The connection drops: the submit fails, is explained, and the labels stay.
  await page.context().setOffline(true);
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('label-banner').textContent.includes('cannot be reached'));
  const spans = await page.$$eval('#span-list li', (els) => els.map((e) => e.textContent).join(' | '));
  assert(spans.includes('metoprolol'), 'nothing typed is lost: ' + spans);
  await page.context().setOffline(false);
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Submitted'));
  await page.close();
  const final = await api.get(`/projects/${cp.id}/annotations/${created.id}`);
  const a = final.annotation || final;
  assert(a.version === 3, 'saved over the other version: v' + a.version);
  const results = (typeof a.body === 'string' ? JSON.parse(a.body) : a.body).results;
  assert(results.some((r) => r.text === 'metoprolol'), 'bob\'s label saved');
});

test('the quality dashboard shows agreement per annotator, per label and the confusion matrix', async () => {
  const qp = await api.post('/projects', { name: 'browser-quality' });
  await api.patch(`/projects/${qp.id}`, { settings: { overlap: 2 } });
  await api.put(`/projects/${qp.id}/schema`, { schema });
  for (const u of ['ann', 'bob']) await api.put(`/projects/${qp.id}/members/${users[u]}`, { role: 'annotator' });
  for (let i = 0; i < 4; i++) await api.post(`/projects/${qp.id}/items`, { text: `${NOTE} (${i})` });
  const votes = { ann: ['discharge', 'discharge', 'progress', 'progress'], bob: ['discharge', 'progress', 'progress', 'progress'] };
  for (const u of ['ann', 'bob']) {
    const c = apiClient(srv.base, cli(data, ['token', 'create', u]).trim().split(/\s+/).pop());
    for (let i = 0; i < 4; i++) {
      const t = (await c.get(`/projects/${qp.id}/next`)).task;
      const k = (t.id - 1) % 4;
      void k;
      const item = await c.get(`/projects/${qp.id}/items/${t.item_id}`);
      const idx = Number((item.text || '').match(/\((\d)\)$/)[1]);
      await c.post(`/projects/${qp.id}/tasks/${t.id}/annotations`, { body: { results: [{ id: 'c', control: 'note_type', choices: [votes[u][idx]] }] } });
    }
  }
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(page, srv.base, 'ada', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${qp.id}/quality`);
  await page.waitForSelector('[data-control="note_type"] table');
  const text = await page.textContent('[data-control="note_type"]');
  assert(text.includes('ann') && text.includes('bob') && /alpha/i.test(text), 'per annotator and coefficients shown');
  assert(await page.$('[data-control="note_type"] table.confusion'), 'a confusion matrix');
  await page.screenshot({ path: join(ARTIFACTS, 'quality-dashboard.png'), fullPage: true });
  await page.close();
});

test('a 100 KB note opens, labels and scrolls (measured, not asserted)', async () => {
  const lp = await api.post('/projects', { name: 'browser-long' });
  await api.put(`/projects/${lp.id}/schema`, { schema });
  await api.put(`/projects/${lp.id}/members/${users.ann}`, { role: 'annotator' });
  let text = '';
  // Lines as in a real note (a line feed every few sentences), with CJK for the code point conversions.
  for (let i = 0; text.length < 100000; i++) text += `Day ${text.length}: patient denies chest pain; continues metoprolol 25 mg; blood pressure 128/76. 病人无胸痛。${i % 4 === 3 ? '\n' : ' '}`;
  await api.post(`/projects/${lp.id}/items`, { text });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'ann', PASSWORD);
  const t0 = Date.now();
  await page.goto(`${srv.base}/#/projects/${lp.id}/label`);
  await page.waitForSelector('#note');
  metrics.long_note_open_ms = Date.now() - t0;
  // Label and scroll: time a relabel (a full re-render of the note) and a scroll through it.
  metrics.long_note_label_ms = await page.evaluate(async () => {
    const note = document.getElementById('note');
    const walker = document.createTreeWalker(note, NodeFilter.SHOW_TEXT);
    const node = walker.nextNode();
    const r = document.createRange(); r.setStart(node, 0); r.setEnd(node, 3);
    const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
    const t = performance.now();
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'p', bubbles: true }));
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    return performance.now() - t;
  });
  // A second label near the end of the note: only the block holding it is redrawn.
  metrics.long_note_label_end_ms = await page.evaluate(async () => {
    const note = document.getElementById('note');
    const walker = document.createTreeWalker(note, NodeFilter.SHOW_TEXT);
    let node, last = null;
    while ((node = walker.nextNode())) if (node.data.length > 20) last = node;
    const r = document.createRange(); r.setStart(last, 0); r.setEnd(last, 3);
    const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
    const t = performance.now();
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'd', bubbles: true }));
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    return performance.now() - t;
  });
  const marks = await page.$$eval('#note mark', (ms) => ms.map((m) => m.textContent));
  assert(marks.length === 2 && marks[0] === 'Day', `two marks drawn, the first on 'Day': ${JSON.stringify(marks)}`);
  const shown = await page.$eval('#note', (n) => n.textContent);
  assert(shown === text, 'the drawn note is exactly the text, in order');
  metrics.long_note_scroll_frame_ms = await page.evaluate(async () => {
    const note = document.getElementById('note');
    const gaps = [];
    let last = performance.now();
    for (let i = 0; i < 60; i++) {
      note.scrollTop += 400;
      const now = await new Promise((r) => requestAnimationFrame(r));
      gaps.push(now - last); last = now;
    }
    gaps.sort((a, b) => a - b);
    return gaps[30];
  });
  assert(await page.$('#span-list li'), 'the label was applied');
  await page.close();
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

test('drafts (which may hold PHI) leave the device at sign-out and expire after a shift', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'bob', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${pid}/label`);
  await page.waitForSelector('#note');
  await selectText(page, 'metoprolol');
  await page.keyboard.press('d');
  const drafts = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('medlabel:draft:')));
  assert((await drafts()).length >= 1, 'a draft is saved while labeling');
  // Someone else's draft of 13 hours ago, left on a shared workstation, and a fresh one of theirs.
  await page.evaluate(() => {
    localStorage.setItem('medlabel:draft:999:1:1', JSON.stringify({ results: [], at: Date.now() - 13 * 3600e3 }));
    localStorage.setItem('medlabel:draft:998:1:1', JSON.stringify({ results: [], at: Date.now() }));
  });
  await page.click('#sign-out');
  await page.waitForSelector('#login-name');
  const left = await drafts();
  assert(!left.some((k) => k.startsWith(`medlabel:draft:${users.bob}:`)), `bob's drafts are gone: ${left}`);
  assert(left.includes('medlabel:draft:998:1:1'), 'another user\'s fresh draft is kept until it expires');
  await page.reload();
  await page.waitForSelector('#login-name');
  const after = await drafts();
  assert(!after.includes('medlabel:draft:999:1:1'), 'an expired draft is purged when the app starts');
  assert(after.includes('medlabel:draft:998:1:1'), 'a fresh draft survives the start-up purge');
  await page.close();
});

test('DICOM: box and polygon on a frame, window/level, slice scrolling, 500 shapes panned', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'medlabel-ct-'));
  cli(data, ['dicom', 'synth', dir, '--kind', 'ct', '--count', '30', '--rows', '128', '--cols', '128', '--patients', '1']);
  const ct = await api.post('/projects', { name: 'browser-ct' });
  await api.put(`/projects/${ct.id}/schema`, { schema: { format: 1, name: 'ct', modalities: ['dicom-series'], controls: [
    { name: 'lesion', kind: 'box', labels: [{ value: 'nodule', hotkey: 'q', color: '#e6194b' }] },
    { name: 'organ', kind: 'polygon', labels: [{ value: 'liver', hotkey: 'l', color: '#3cb44b' }] },
    { name: 'seg', kind: 'mask', labels: [{ value: 'lesion', mask_value: 1, color: '#4363d8' }] }] } });
  await api.put(`/projects/${ct.id}/members/${users.ann}`, { role: 'annotator' });
  cli(data, ['import', String(ct.id), '--format', 'dicom', dir]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await login(page, srv.base, 'ann', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${ct.id}/label`);
  await page.waitForFunction(() => window.__medlabelImage && window.__medlabelImage.state().scale > 0);
  const box = await page.locator('#image-canvas').boundingBox();
  const at = (fx, fy) => [box.x + box.width * fx, box.y + box.height * fy];
  // Window/level: a preset, then a right-button drag.
  await page.click('#preset-lung');
  let st = await page.evaluate(() => window.__medlabelImage.state());
  assert(st.wc === -600 && st.ww === 1500, 'lung preset: ' + JSON.stringify(st));
  await page.mouse.move(...at(0.5, 0.5));
  await page.mouse.down({ button: 'right' });
  await page.mouse.move(...at(0.6, 0.55), { steps: 4 });
  await page.mouse.up({ button: 'right' });
  st = await page.evaluate(() => window.__medlabelImage.state());
  assert(st.ww !== 1500 && st.wc !== -600, 'dragging changes window/level: ' + JSON.stringify(st));
  // Scroll to the third slice, draw a box there.
  await page.click('#image-canvas');
  await page.keyboard.press('Escape');
  await page.mouse.move(...at(0.5, 0.5));
  await page.mouse.wheel(0, 100);
  await page.mouse.wheel(0, 100);
  await page.waitForFunction(() => window.__medlabelImage.state().frame === 2);
  await page.keyboard.press('b');
  await page.mouse.move(...at(0.4, 0.4));
  await page.mouse.down();
  await page.mouse.move(...at(0.55, 0.5), { steps: 5 });
  await page.mouse.up();
  // A polygon on the same slice.
  await page.selectOption('#shape-label', 'organ/liver');
  await page.keyboard.press('p');
  for (const [fx, fy] of [[0.3, 0.6], [0.45, 0.62], [0.4, 0.75]]) await page.mouse.click(...at(fx, fy));
  await page.keyboard.press('Enter');
  // Brush a mask, then erase part of it.
  await page.selectOption('#shape-label', 'seg/lesion');
  await page.keyboard.press('n');
  await page.mouse.move(...at(0.6, 0.3));
  await page.mouse.down();
  await page.mouse.move(...at(0.75, 0.3), { steps: 8 });
  await page.mouse.up();
  await page.keyboard.press('e');
  await page.mouse.move(...at(0.74, 0.3));
  await page.mouse.down();
  await page.mouse.move(...at(0.76, 0.3), { steps: 2 });
  await page.mouse.up();
  await page.screenshot({ path: join(ARTIFACTS, 'label-dicom.png') });
  // Frame time while panning with 500 shapes (measured, not asserted: headless has no GPU).
  await page.evaluate(() => window.__medlabelImage.addShapes(500));
  metrics.pan_500_shapes = await page.evaluate(async () => {
    // Pan a little every frame for 120 frames: the draw time of each frame, and the interval between
    // frames (16.7 ms is 60 fps; longer means frames were dropped).
    const draw = [], interval = [];
    let last = performance.now();
    for (let i = 0; i < 120; i++) {
      window.__medlabelImage.pan(3, 2);
      const now = await new Promise((r) => requestAnimationFrame(r));
      draw.push(window.__medlabelLastFrameMs);
      interval.push(now - last);
      last = now;
    }
    const med = (v) => v.slice().sort((a, b) => a - b)[v.length >> 1];
    const p95 = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length * 0.95)];
    return { draw_ms_median: med(draw), draw_ms_p95: p95(draw), frame_interval_ms_median: med(interval.slice(1)), frame_interval_ms_p95: p95(interval.slice(1)) };
  });
  await page.screenshot({ path: join(ARTIFACTS, 'label-dicom-500-shapes.png') });
  await page.evaluate(() => { document.querySelectorAll('#shape-list li').length; });
  // Remove the 500 test shapes again (undo), then submit the two drawn ones.
  await page.keyboard.press('Control+z');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Submitted'));
  await page.close();
  const tasks = (await api.get(`/projects/${ct.id}/tasks?state=submitted`)).tasks;
  assert(tasks.length === 1, 'one submitted task');
  const ann = (await api.get(`/projects/${ct.id}/tasks/${tasks[0].id}/annotations`)).annotations[0];
  const results = (typeof ann.body === 'string' ? JSON.parse(ann.body) : ann.body).results;
  const b = results.find((r) => r.control === 'lesion');
  const poly = results.find((r) => r.control === 'organ');
  const mask = results.find((r) => r.control === 'seg');
  assert(results.length === 3 && b && poly && mask, 'a box, a polygon and a mask: ' + JSON.stringify(results).slice(0, 300));
  const on = mask.rle.counts.filter((_, i) => i % 2 === 1).reduce((a, c) => a + c, 0);
  assert(mask.rle.size[0] === 128 && mask.rle.size[1] === 128 && on > 50 && mask.frame === 2, 'the brushed mask: ' + on + ' pixels');
  assert(b.frame === 2 && poly.frame === 2 && poly.points.length === 3, 'on the third slice');
  assert(b.x > 30 && b.x < 70 && b.w > 10 && b.w < 40, 'box in pixel coordinates: ' + JSON.stringify(b));
});

test('an import upload shows each file\'s result, with the bad file\'s line', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'ada', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${pid}/import`);
  await page.setInputFiles('#import-files', [
    { name: 'good.jsonl', mimeType: 'application/json', buffer: Buffer.from('{"text":"first note"}\n{"text":"second note","meta":{"ward":"4B"}}\n') },
    { name: 'bad.jsonl', mimeType: 'application/json', buffer: Buffer.from('{"text":"fine"}\n{"text": 42}\n') },
  ]);
  await page.click('#import-start');
  await page.waitForFunction(() => document.querySelectorAll('#import-report tbody tr').length === 2 &&
    ![...document.querySelectorAll('#import-report tbody td')].some((td) => td.textContent.includes('uploading')));
  const rows = await page.$$eval('#import-report tbody tr', (trs) => trs.map((tr) => tr.textContent));
  await page.screenshot({ path: join(ARTIFACTS, 'import.png') });
  await page.close();
  assert(rows[0].includes('2 items imported'), 'good file: ' + rows[0]);
  assert(rows[1].includes('bad.jsonl') && rows[1].includes('line 2'), 'bad file names itself and its line: ' + rows[1]);
  const items = await api.get(`/projects/${pid}/items?limit=100`);
  const texts = (items.items || []).map((i) => i.text || '');
  assert(!JSON.stringify(items).includes('"fine"'), 'nothing of the bad file was imported');
  void texts;
});

test('survey: a patient\'s responses in time order, an answer coded', async () => {
  const { writeFileSync: write, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'medlabel-survey-'));
  const qr = (id, month, answer) => ({ resource: { resourceType: 'QuestionnaireResponse', id, status: 'completed',
    subject: { reference: 'Patient/pt-7' }, authored: `2026-0${month}-01T09:00:00Z`,
    item: [{ linkId: 'sob', text: 'Any shortness of breath?', answer: [{ valueString: answer }] }] } });
  const bundle = { resourceType: 'Bundle', type: 'collection', entry: [
    { resource: { resourceType: 'Patient', id: 'pt-7', name: [{ family: 'Secret' }] } },
    qr('r3', 3, 'only on stairs now'), qr('r1', 1, 'short of breath walking to the car'), qr('r2', 2, 'a bit better')] };
  const file = join(dir, 'trial.fhir.json');
  write(file, JSON.stringify(bundle));
  const sp = await api.post('/projects', { name: 'browser-survey' });
  await api.put(`/projects/${sp.id}/schema`, { schema: { format: 1, name: 'survey', modalities: ['survey'], controls: [
    { name: 'symptom', kind: 'survey_code', questions: ['sob'], labels: [{ value: 'dyspnoea-exertion' }, { value: 'none' }] }] } });
  cli(data, ['import', String(sp.id), '--format', 'fhir', file]);
  await api.put(`/projects/${sp.id}/members/${users.ann}`, { role: 'annotator' });
  // An annotator (who may not list the project's items) sees the patient's trajectory.
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'ann', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${sp.id}/label`);
  await page.waitForSelector('#survey-form .card');
  const answer = await page.textContent('#survey-form .card');
  assert(answer.includes('Any shortness of breath?') && answer.includes('walking to the car'), 'first response by time: ' + answer);
  await page.waitForFunction(() => document.querySelectorAll('#survey-timeline li').length === 3);
  const timeline = await page.$$eval('#survey-timeline li', (els) => els.map((e) => e.textContent));
  assert(timeline[0].startsWith('2026-01') && timeline[2].startsWith('2026-03') && timeline[0].includes('this response'), 'timeline: ' + timeline);
  await page.click('#survey-form button:has-text("dyspnoea-exertion")');
  await page.screenshot({ path: join(ARTIFACTS, 'label-survey.png') });
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Submitted'));
  await page.close();
  const task = (await api.get(`/projects/${sp.id}/tasks?state=submitted`)).tasks[0];
  const ann = (await api.get(`/projects/${sp.id}/tasks/${task.id}/annotations`)).annotations[0];
  const r = (typeof ann.body === 'string' ? JSON.parse(ann.body) : ann.body).results[0];
  assert(r.control === 'symptom' && r.question === 'sob' && r.choices[0] === 'dyspnoea-exertion', 'coded answer: ' + JSON.stringify(r));
  const exported = cli(data, ['export', String(sp.id), '--format', 'jsonl']);
  assert(!exported.includes('Secret'), 'demographics never imported');
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
