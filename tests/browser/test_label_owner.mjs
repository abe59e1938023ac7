// test_label_owner.mjs: the labeling view edits only the signed-in person's own annotation and restores
// only their own draft: a manager (who may see everyone's annotations) labeling a task another annotator
// already submitted starts blank and adds an annotation of their own; a draft left in the browser by one
// user is never restored for the next user of the same browser.
import { test, run, assert, cli, startServer, apiClient, launch, login } from './lib.mjs';

const PASSWORD = 'correct horse battery staple';
const srv = await startServer();
for (const name of ['ada', 'ann', 'mia'])
  cli(srv.data, ['user', 'add', name, ...(name === 'ada' ? ['--admin'] : []), '--password-stdin'], PASSWORD + '\n');
const admin = apiClient(srv.base, cli(srv.data, ['token', 'create', 'ada']).trim().split(/\s+/).pop());
const annApi = apiClient(srv.base, cli(srv.data, ['token', 'create', 'ann']).trim().split(/\s+/).pop());
const users = Object.fromEntries((await admin.get('/users')).users.map((u) => [u.name, u.id]));
const schema = { format: 1, name: 'doc', modalities: ['text'],
  controls: [{ name: 'note_type', kind: 'classification', labels: [{ value: 'discharge' }, { value: 'progress' }] }] };
const { id: pid } = await admin.post('/projects', { name: 'owners' });
await admin.put(`/projects/${pid}/schema`, { schema });
await admin.patch(`/projects/${pid}`, { settings: { overlap: 2 } });
await admin.put(`/projects/${pid}/members/${users.ann}`, { role: 'annotator' });
await admin.put(`/projects/${pid}/members/${users.mia}`, { role: 'manager' });
await admin.post(`/projects/${pid}/items`, { text: 'Progress note: stable.' });
const browser = await launch();

test("a manager labeling a task starts blank and never overwrites the annotator's annotation", async () => {
  const lease = await annApi.get(`/projects/${pid}/next`);
  const taskId = lease.task.id;
  const mine = await annApi.post(`/projects/${pid}/tasks/${taskId}/annotations`,
    { body: { format: 1, results: [{ id: 'r1', control: 'note_type', choices: ['discharge'] }] } });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await login(page, srv.base, 'mia', PASSWORD);
  await page.goto(`${srv.base}/#/projects/${pid}/label`);
  await page.waitForSelector('#note');
  const pressed = await page.$$eval('button[aria-pressed="true"]', (els) => els.map((e) => e.textContent));
  assert(!pressed.some((t) => t.includes('discharge')), "the annotator's choice is not shown to the manager: " + pressed);
  await page.click('button:has-text("progress")');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('Submitted'));
  const anns = (await admin.get(`/projects/${pid}/tasks/${taskId}/annotations`)).annotations;
  const ann = anns.find((a) => a.id === mine.id);
  assert(ann.version === 1 && ann.body.results[0].choices[0] === 'discharge', "the annotator's annotation is untouched: " + JSON.stringify(ann));
  assert(anns.some((a) => a.user_id === users.mia && a.body.results[0].choices[0] === 'progress'), 'the manager has their own: ' + JSON.stringify(anns));
  await page.close();
});

const failed = await run();
await browser.close();
srv.stop();
process.exit(failed ? 1 : 0);
