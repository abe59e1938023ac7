// audit.js: the audit trail for admins and viewers, filtered by user, object, action and time.
import { api } from '../api.js';
import { h, replace, fmtTime } from '../dom.js';
import { listOf } from './common.js';

export async function auditView(main) {
  const f = {
    user: h('input', { id: 'audit-user', size: 6, placeholder: 'user id' }),
    action: h('input', { id: 'audit-action', placeholder: 'e.g. item.read' }),
    object: h('input', { id: 'audit-object', placeholder: 'e.g. project/3' }),
    since: h('input', { id: 'audit-since', type: 'datetime-local' }),
    until: h('input', { id: 'audit-until', type: 'datetime-local' }),
  };
  const body = h('tbody');
  const more = h('button', { type: 'button' }, 'Load more');
  let after = 0;
  async function load(reset) {
    if (reset) { replace(body); after = 0; }
    const q = new URLSearchParams({ limit: '200' });
    if (f.user.value) q.set('user', f.user.value);
    if (f.action.value) q.set('action', f.action.value);
    if (f.object.value) q.set('object', f.object.value);
    if (f.since.value) q.set('since', new Date(f.since.value).toISOString());
    if (f.until.value) q.set('until', new Date(f.until.value).toISOString());
    if (after) q.set('after', String(after));
    const data = await api.get(`/audit?${q}`);
    const rows = listOf(data, 'records');
    for (const r of rows) {
      body.append(h('tr', null, h('td', null, String(r.seq)), h('td', null, typeof r.at === 'number' ? fmtTime(r.at) : r.at), h('td', null, String(r.user_id || '')),
        h('td', null, r.role || ''), h('td', null, r.action), h('td', null, r.object), h('td', null, r.client || ''), h('td', null, String(r.status))));
      after = r.seq;
    }
    more.hidden = rows.length < 200;
  }
  more.onclick = () => load(false);
  main.append(h('h1', null, 'Audit trail'),
    h('form', { class: 'card row', onsubmit: (e) => { e.preventDefault(); load(true); } },
      ...Object.entries(f).flatMap(([k, el]) => [h('label', { for: el.id }, k), el]), h('button', { class: 'primary', type: 'submit' }, 'Filter')),
    h('table', null, h('thead', null, h('tr', null, ['#', 'Time (UTC)', 'User', 'Role', 'Action', 'Object', 'Client', 'Status'].map((t) => h('th', { scope: 'col' }, t)))), body), more);
  await load(true);
}
