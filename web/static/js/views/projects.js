// projects.js: the projects the user belongs to, with progress.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { session } from '../app.js';
import { listOf, progressBar, taskCounts } from './common.js';

export async function projectsView(main) {
  const body = h('tbody');
  const table = h('table', null, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Project'),
    h('th', { scope: 'col' }, 'Progress'), h('th', { scope: 'col' }, 'Tasks'), h('th', { scope: 'col' }, ''))), body);
  main.append(h('div', { class: 'row' }, h('h1', { class: 'grow' }, 'Projects'),
    session.user && session.user.admin ? newProjectForm() : null), table);
  const projects = listOf(await api.get('/projects'), 'projects');
  if (!projects.length) body.append(h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'No projects yet.')));
  for (const p of projects) {
    const row = h('tr', null, h('td', null, h('a', { href: `#/projects/${p.id}` }, p.name), h('div', { class: 'muted' }, p.description || '')),
      h('td', null, '…'), h('td', null, ''), h('td', null, h('a', { class: 'button primary', href: `#/projects/${p.id}/label` }, 'Label')));
    body.append(row);
    api.get(`/projects/${p.id}`).then((full) => {
      const { total, done } = taskCounts(full);
      replace(row.children[1], progressBar(done, total));
      replace(row.children[2], `${done} / ${total} done`);
    }).catch(() => replace(row.children[1], ''));
  }
}

function newProjectForm() {
  const name = h('input', { id: 'new-project-name', placeholder: 'New project name', 'aria-label': 'New project name' });
  return h('form', { class: 'row', onsubmit: async (e) => {
    e.preventDefault();
    if (!name.value.trim()) return;
    const p = await api.post('/projects', { name: name.value.trim() });
    location.hash = `#/projects/${p.id}/schema`;
  } }, name, h('button', { type: 'submit' }, 'Create'));
}
