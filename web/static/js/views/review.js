// review.js: review and adjudication. Every annotation of a task side by side, results that not all versions
// share highlighted; accept, reject with a comment, or merge chosen results into an adjudicated version.
import { api } from '../api.js';
import { h, replace, announce } from '../dom.js';
import { listOf } from './common.js';
import { parseBody } from './label.js';

function key(r) {
  const { id, text, ...rest } = r;
  return JSON.stringify(rest, Object.keys(rest).sort());
}
function describe(r) {
  if (r.start !== undefined) return `${r.label}: “${r.text || ''}” [${r.start}, ${r.end})`;
  if (r.choices) return `${r.control}: ${r.choices.join(', ')}`;
  if (r.codes) return `${r.control}: ${r.codes.map((c) => (typeof c === 'string' ? c : c.code)).join(', ')}`;
  if (r.w !== undefined) return `${r.label}: box ${r.x},${r.y} ${r.w}×${r.h}`;
  if (r.points) return `${r.label}: ${r.points.length} points`;
  if (r.from) return `${r.label || 'relation'}: ${r.from} → ${r.to}`;
  return r.control;
}

export async function reviewView(main, pid) {
  main.className = 'wide';
  const states = ['submitted', 'in-review', 'adjudication'];
  const stateSel = h('select', { id: 'review-state', 'aria-label': 'Task state' }, states.map((s) => h('option', { value: s }, s.replace('-', ' '))));
  const list = h('ul', { id: 'review-tasks', class: 'card' });
  const detail = h('section', { id: 'review-detail' });
  main.append(h('div', { class: 'row' }, h('h1', { class: 'grow' }, 'Review'), stateSel), h('div', { class: 'labeler', style: { gridTemplateColumns: '240px 1fr' } }, list, detail));

  const names = new Map(listOf(await api.get(`/projects/${pid}/members`).catch(() => []), 'members').map((m) => [m.user_id, m.name]));

  async function loadList() {
    const tasks = listOf(await api.get(`/projects/${pid}/tasks?state=${stateSel.value}&limit=100`), 'tasks');
    replace(list, tasks.length ? tasks.map((t) => h('li', null, h('button', { type: 'button', onclick: () => openTask(t) }, `Task ${t.id}`))) : h('li', { class: 'muted' }, 'Nothing to review.'));
  }
  stateSel.addEventListener('change', loadList);

  async function openTask(task) {
    const [item, anns] = await Promise.all([api.get(`/projects/${pid}/items/${task.item_id}`), api.get(`/projects/${pid}/tasks/${task.id}/annotations`)]);
    const annotations = listOf(anns, 'annotations');
    const bodies = annotations.map((a) => parseBody(a.body).results || []);
    const counts = new Map();
    bodies.forEach((rs) => new Set(rs.map(key)).forEach((k) => counts.set(k, (counts.get(k) || 0) + 1)));
    const picked = new Set();
    const it = item.item || item;
    replace(detail, h('div', { class: 'card' }, h('h2', null, `Task ${task.id}`), it.text ? h('div', { class: 'note', style: { maxHeight: '30vh' }, dir: 'auto' }, it.text) : null),
      h('div', { class: 'versions', id: 'review-versions' }, annotations.map((a, i) => {
        const comment = h('textarea', { rows: 2, 'aria-label': `Comment for annotation ${a.id}`, style: { width: '100%' } });
        return h('div', { class: 'card', dataset: { annotation: a.id } },
          h('h2', null, names.get(a.user_id) || (a.model ? `${a.model.name || a.model} (model)` : `Annotator ${a.user_id}`), ` · v${a.version}`),
          h('ul', null, bodies[i].map((r) => {
            const shared = counts.get(key(r)) === annotations.length;
            const box = h('input', { type: 'checkbox', 'aria-label': `Use in merge: ${describe(r)}`, onchange: (e) => { if (e.target.checked) picked.add(r); else picked.delete(r); } });
            return h('li', { class: shared ? '' : 'diff-add' }, box, ' ', describe(r));
          })),
          comment,
          h('div', { class: 'row' },
            h('button', { type: 'button', class: 'primary', onclick: () => decide(a, 'accept', comment.value, task) }, 'Accept'),
            h('button', { type: 'button', class: 'danger', onclick: () => { if (!comment.value.trim()) { announce('Say why in the comment before rejecting.', 'warn'); comment.focus(); return; } decide(a, 'reject', comment.value, task); } }, 'Reject')));
      })),
      annotations.length > 1 ? h('div', { class: 'row card' }, h('span', { class: 'grow' }, 'Tick results in any version, then merge them into the adjudicated version.'),
        h('button', { type: 'button', id: 'merge', class: 'primary', onclick: async () => {
          const results = [...picked].map((r, i) => ({ ...r, id: `m${i + 1}` }));
          await api.post(`/projects/${pid}/tasks/${task.id}/adjudication`, { body: { results } });
          announce('Merged version saved.', 'ok');
          loadList();
        } }, 'Merge selected')) : null);
  }

  async function decide(a, decision, comment, task) {
    try {
      await api.post(`/projects/${pid}/annotations/${a.id}/reviews`, { decision, comment });
      announce(decision === 'accept' ? 'Accepted.' : 'Rejected; it goes back to its annotator.', 'ok');
      await loadList();
      replace(detail);
    } catch (e) { announce(e.message, 'error'); }
    return task;
  }
  await loadList();
}
