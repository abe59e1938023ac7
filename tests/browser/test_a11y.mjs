// test_a11y.mjs: every main view checked with axe-core (WCAG 2.1 A and AA rules, colour contrast included)
// and driven from the keyboard alone: no serious or critical violation may appear.
import { join } from 'node:path';
import { test, run, assert, cli, startServer, launch, login, ROOT, ARTIFACTS } from './lib.mjs';

const PASSWORD = 'correct horse battery staple';
const srv = await startServer();
cli(srv.data, ['user', 'add', 'ada', '--admin', '--password-stdin'], PASSWORD + '\n');
const browser = await launch();
// axe is injected as a script, which the UI's Content-Security-Policy (rightly) forbids: bypass it for
// the checking context only.
const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });

async function audit(page, name) {
  await page.addScriptTag({ path: join(ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
  const res = await page.evaluate(async () => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  await page.screenshot({ path: join(ARTIFACTS, `a11y-${name}.png`) });
  assert(!bad.length, `${name}: ` + bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`).join('; '));
}

test('the sign-in page', async () => {
  const page = await ctx.newPage();
  await page.goto(srv.base + '/#/login');
  await page.waitForSelector('#login-name');
  await audit(page, 'login');
  await page.close();
});

test('signing in and reaching the labeling view with the keyboard only', async () => {
  const page = await ctx.newPage();
  await page.goto(srv.base + '/#/login');
  await page.waitForSelector('#login-name');
  await page.keyboard.type('ada');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForSelector('a[href="#/projects/1"]');
  // Tab to the demo project's Label button and press Enter.
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const href = await page.evaluate(() => document.activeElement && document.activeElement.getAttribute('href'));
    if (href === '#/projects/1/label') break;
  }
  const focused = await page.evaluate(() => { const el = document.activeElement; const s = getComputedStyle(el); return { href: el.getAttribute('href'), outline: s.outlineStyle }; });
  assert(focused.href === '#/projects/1/label', 'the Label button is reachable by Tab');
  assert(focused.outline !== 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#note, #image-canvas');
  await page.close();
});

for (const [name, hash, wait] of [
  ['projects', '#/projects', '[role=progressbar]'],
  ['project', '#/projects/1', '#tab-panel'],
  ['schema', '#/projects/1/schema', '#schema-editor'],
  ['members', '#/projects/1/members', 'table'],
  ['import', '#/projects/1/import', '#import-files'],
  ['export', '#/projects/1/export', '#export-format'],
  ['label', '#/projects/1/label', '#note, #image-canvas'],
  ['review', '#/projects/1/review', '#review-tasks'],
  ['audit', '#/audit', 'table tbody tr'],
  ['quality', '#/projects/1/quality', '#quality-summary'],
]) {
  test(`the ${name} view`, async () => {
    const page = await ctx.newPage();
    await login(page, srv.base, 'ada', PASSWORD);
    await page.goto(srv.base + '/' + hash);
    try {
      await page.waitForSelector(wait);
    } catch (e) {
      await page.screenshot({ path: join(ARTIFACTS, `a11y-${name}-timeout.png`) });
      throw new Error(`${e.message}\nURL ${page.url()}\nmain: ${(await page.textContent('main')).slice(0, 300)}\nstatus: ${await page.textContent('#status')}`);
    }
    await audit(page, name);
    await page.close();
  });
}

const failed = await run();
await browser.close();
srv.stop();
process.exit(failed ? 1 : 0);
