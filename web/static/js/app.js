// app.js: the shell: who is signed in, the navigation, and a hash router that mounts one view at a time.
import { api, on, setCsrf } from './api.js';
import { h, replace, announce } from './dom.js';
import { loginView } from './views/login.js';
import { projectsView } from './views/projects.js';
import { projectView } from './views/project.js';
import { labelView } from './views/label.js';
import { reviewView } from './views/review.js';
import { auditView } from './views/audit.js';
import { passwordView } from './views/password.js';
import { discardUserDrafts, purgeExpiredDrafts } from './drafts.js';

export const session = { user: null };
let unmount = null;

const routes = [
  [/^#\/login$/, () => loginView],
  [/^#\/projects$/, () => projectsView],
  [/^#\/projects\/(\d+)\/label$/, () => labelView],
  [/^#\/projects\/(\d+)\/review$/, () => reviewView],
  [/^#\/projects\/(\d+)(?:\/(\w+))?$/, () => projectView],
  [/^#\/audit$/, () => auditView],
  [/^#\/password$/, () => passwordView],
];

export function go(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

function csrfOf(d) { return (d && (d.csrf || d.csrf_token || (d.session && d.session.csrf))) || ''; }
function userOf(d) {
  const u = d && (d.user || (d.name ? d : null));
  if (u && d.must_change_password !== undefined) u.must_change_password = d.must_change_password;
  return u;
}

export async function refreshSession() {
  try {
    const me = await api.get('/me');
    session.user = userOf(me);
    const c = csrfOf(me);
    if (c) setCsrf(c);
  } catch {
    session.user = null;
  }
  renderChrome();
}

export function signedIn(data) {
  session.user = userOf(data);
  setCsrf(csrfOf(data));
  renderChrome();
}

function renderChrome() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!session.user) { replace(nav); replace(who); return; }
  const here = location.hash;
  const link = (href, text) => h('a', { href, 'aria-current': here.startsWith(href) ? 'page' : null }, text);
  replace(nav, link('#/projects', 'Projects'), link('#/audit', 'Audit'));
  replace(who, h('a', { href: '#/password', title: 'Change password' }, session.user.name, session.user.admin ? ' (admin)' : ''),
    h('button', { type: 'button', id: 'sign-out', onclick: signOut, title: 'Unsent drafts on this device are discarded' }, 'Sign out'));
}

async function signOut() {
  try { await api.post('/logout'); } catch { /* the session may already be gone */ }
  // Drafts may hold PHI: none stays on the device once its owner has signed out.
  if (session.user) discardUserDrafts(session.user.id);
  session.user = null;
  setCsrf('');
  renderChrome();
  go('#/login');
}

let generation = 0;

async function route() {
  const mine = ++generation; // a newer navigation supersedes this one while its view is still loading
  if (unmount) { try { unmount(); } catch { /* a view's cleanup must not block navigation */ } unmount = null; }
  const main = document.getElementById('main');
  main.className = '';
  let hash = location.hash || '#/projects';
  if (!session.user && hash !== '#/login') { hash = '#/login'; history.replaceState(null, '', hash); }
  if (session.user && session.user.must_change_password && hash !== '#/password') { hash = '#/password'; history.replaceState(null, '', hash); }
  for (const [re, view] of routes) {
    const m = hash.match(re);
    if (m) {
      renderChrome();
      // Each navigation renders into its own container, so a slower, superseded view can never add
      // itself to the page that replaced it.
      const host = h('div', { class: 'view' });
      replace(main, host);
      let cleanup = null;
      try {
        cleanup = (await view()(host, ...m.slice(1))) || null;
      } catch (e) {
        replace(host, h('div', { class: 'banner error', role: 'alert' }, e.message));
      }
      if (mine !== generation) { if (cleanup) cleanup(); host.remove(); return; }
      unmount = cleanup;
      // Move focus to the new view for screen readers, unless the view focused a field itself.
      if (!main.contains(document.activeElement) || document.activeElement === document.body) main.focus({ preventScroll: true });
      return;
    }
  }
  replace(main, h('h1', null, 'Not found'), h('a', { href: '#/projects' }, 'Back to projects'));
}

on('unauthorized', () => {
  if (session.user) { session.user = null; announce('Your session has ended; sign in again. Your draft is kept.', 'warn'); go('#/login'); }
});
on('offline', () => announce('Connection lost: your work is kept in this browser and will be sent when the server answers.', 'error'));

window.addEventListener('hashchange', route);
purgeExpiredDrafts();
refreshSession().then(route);
