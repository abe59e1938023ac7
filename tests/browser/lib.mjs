// lib.mjs: helpers for browser tests: a medlabel server in a temporary folder, users made with the CLI,
// an API client for setup, and headless Debian Chromium through playwright-core.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

export const ROOT = process.env.MEDLABEL_ROOT || join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.MEDLABEL_BIN || join(ROOT, 'build', 'medlabel');
export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

let passed = 0, failed = 0;
const cases = [];
export function test(name, fn) { cases.push([name, fn]); }
export async function run() {
  for (const [name, fn] of cases) {
    try { await fn(); console.log(`ok - ${name}`); passed++; }
    catch (e) { console.log(`not ok - ${name}`); for (const l of String(e && e.stack || e).split('\n')) console.log('#   ' + l); failed++; }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed;
}

export function assert(cond, msg) { if (!cond) throw new Error('assertion failed: ' + msg); }

export function cli(data, args, input) {
  const r = spawnSync(BIN, ['--data', data, ...args], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`medlabel ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

async function freePort() {
  return new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
}

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'medlabel-browser-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const proc = spawn(BIN, ['--data', data, 'serve', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try { const r = await fetch(base + '/api/v1/health'); if (r.ok) break; } catch { /* not up yet */ }
    if (proc.exitCode !== null) throw new Error('server exited: ' + out);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { base, data, proc, output: () => out, stop() { proc.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); } };
}

// A JSON API client with a Bearer token, for setting up fixtures quickly.
export function apiClient(base, token) {
  const call = async (method, path, body, headers = {}) => {
    const r = await fetch(base + '/api/v1' + path, { method, headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers }, body: body !== undefined ? JSON.stringify(body) : undefined });
    const text = await r.text();
    const data = text ? JSON.parse(text) : null;
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return data;
  };
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b), put: (p, b, h) => call('PUT', p, b, h), patch: (p, b) => call('PATCH', p, b), raw: call };
}

// Waits get 60 s: a CI machine's two cores may be busy with the rest of the suite. Nothing here measures time.
const WAIT_MS = 60000;

export async function launch() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const newPage = browser.newPage.bind(browser), newContext = browser.newContext.bind(browser);
  browser.newPage = async (...a) => { const p = await newPage(...a); p.setDefaultTimeout(WAIT_MS); return p; };
  browser.newContext = async (...a) => { const c = await newContext(...a); c.setDefaultTimeout(WAIT_MS); return c; };
  return browser;
}

export async function login(page, base, name, password) {
  await page.goto(base + '/#/login');
  await page.fill('#login-name', name);
  await page.fill('#login-password', password);
  await page.press('#login-password', 'Enter');
  // Signed in once the app has moved on from the sign-in page (to the projects, or to a password change).
  await page.waitForFunction(() => location.hash !== '#/login' && document.querySelector('#nav a'));
}
