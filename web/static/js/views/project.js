// project.js: one project: overview, schema editor with live validation and preview, members, import, export.
import { api, upload } from '../api.js';
import { h, replace, announce, fmtTime } from '../dom.js';
import { listOf, progressBar, taskCounts, colorOf } from './common.js';
import { qualityPanel } from './quality.js';

const TABS = [['overview', 'Overview'], ['schema', 'Schema'], ['members', 'Members'], ['import', 'Import'], ['export', 'Export'], ['quality', 'Quality']];

export async function projectView(main, id, tab = 'overview') {
  const project = await api.get(`/projects/${id}`);
  const panel = h('section', { id: 'tab-panel', role: 'tabpanel' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' }, TABS.map(([key, title]) =>
    h('button', { role: 'tab', type: 'button', 'aria-selected': String(key === tab), id: `tab-${key}`,
      onclick: () => { location.hash = `#/projects/${id}/${key}`; } }, title)));
  tabs.addEventListener('keydown', (e) => {
    const i = TABS.findIndex(([k]) => k === tab);
    if (e.key === 'ArrowRight') location.hash = `#/projects/${id}/${TABS[(i + 1) % TABS.length][0]}`;
    if (e.key === 'ArrowLeft') location.hash = `#/projects/${id}/${TABS[(i + TABS.length - 1) % TABS.length][0]}`;
  });
  main.append(h('div', { class: 'row' }, h('h1', { class: 'grow' }, project.name),
    h('a', { class: 'button', href: `#/projects/${id}/review` }, 'Review'),
    h('a', { class: 'button primary', href: `#/projects/${id}/label` }, 'Start labeling')), tabs, panel);
  const views = { overview, schema: schemaTab, members, import: importTab, export: exportTab, quality: qualityPanel };
  await (views[tab] || overview)(panel, id, project);
}

function overview(panel, id, project) {
  const { total, done, byState } = taskCounts(project);
  panel.append(h('div', { class: 'card' }, h('p', null, project.description || h('span', { class: 'muted' }, 'No description.')),
    progressBar(done, total), h('p', null, `${done} of ${total} tasks done`),
    h('table', null, h('tbody', null, Object.entries(byState).filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k.replace(/_/g, ' ')), h('td', null, String(v))))))));
}

// The schema editor validates on the server as the user types (the server's validator is the only one, so
// the editor can never disagree with what saving will do) and previews the label palette.
async function schemaTab(panel, id) {
  let current = '';
  try { const s = await api.get(`/projects/${id}/schema`); current = JSON.stringify(s.schema || s, null, 2); } catch { current = ''; }
  const editor = h('textarea', { class: 'schema-editor', id: 'schema-editor', spellcheck: false, 'aria-label': 'Labeling schema (JSON)',
    'aria-describedby': 'schema-result' }, current);
  const result = h('p', { id: 'schema-result', role: 'status' });
  const preview = h('div', { id: 'schema-preview', class: 'card', 'aria-label': 'Preview' });
  const save = h('button', { class: 'primary', type: 'button', onclick: async () => {
    try {
      const saved = await api.put(`/projects/${id}/schema`, { schema: JSON.parse(editor.value) });
      announce(`Schema saved as version ${saved.version ?? ''}`.trim(), 'ok');
    } catch (e) { showError(e); }
  } }, 'Save schema');
  let timer = null;
  function showError(e) {
    result.className = 'error-text';
    result.textContent = (e.field ? `${e.field}: ` : '') + e.message;
  }
  async function validate() {
    let doc;
    try { doc = JSON.parse(editor.value); } catch (e) { result.className = 'error-text'; result.textContent = 'JSON: ' + e.message; return; }
    try {
      await api.post('/schemas/validate', { schema: doc });
      result.className = 'ok'; result.textContent = 'Valid schema.';
      renderPreview(preview, doc);
    } catch (e) { showError(e); }
  }
  editor.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(validate, 300); });
  panel.append(h('div', { class: 'split' }, h('div', null, editor, result, save), h('div', null, h('h2', null, 'Preview'), preview)));
  if (current) validate();
}

function renderPreview(preview, schema) {
  replace(preview, h('p', { class: 'muted' }, schema.instructions || ''),
    (schema.controls || []).map((c) => h('div', null, h('h2', null, `${c.title || c.name} `, h('span', { class: 'muted' }, `(${c.kind}${c.required ? ', required' : ''})`)),
      h('div', { class: 'palette' }, (c.labels || []).map((l, i) => h('button', { type: 'button', style: { '--c': colorOf(l, i) } },
        l.title || l.value, l.hotkey ? [' ', h('kbd', null, l.hotkey)] : null))))));
}

async function members(panel, id) {
  const body = h('tbody');
  panel.append(h('table', null, h('thead', null, h('tr', null, h('th', null, 'User'), h('th', null, 'Role'), h('th', null, ''))), body));
  const roles = ['viewer', 'annotator', 'reviewer', 'manager'];
  async function load() {
    replace(body);
    for (const m of listOf(await api.get(`/projects/${id}/members`), 'members')) {
      const sel = h('select', { 'aria-label': `Role of ${m.name || m.user_name}` }, roles.map((r) => h('option', { value: r, selected: r === m.role }, r)));
      sel.addEventListener('change', async () => { await api.put(`/projects/${id}/members/${m.user_id}`, { role: sel.value }); announce('Role changed', 'ok'); });
      body.append(h('tr', null, h('td', null, m.name || m.user_name), h('td', null, sel),
        h('td', null, h('button', { class: 'danger', type: 'button', onclick: async () => { await api.del(`/projects/${id}/members/${m.user_id}`); load(); } }, 'Remove'))));
    }
  }
  const userId = h('input', { id: 'member-user', placeholder: 'user id', size: 8, 'aria-label': 'User id' });
  const role = h('select', { 'aria-label': 'Role' }, roles.map((r) => h('option', { value: r }, r)));
  panel.append(h('form', { class: 'row card', onsubmit: async (e) => {
    e.preventDefault();
    try { await api.put(`/projects/${id}/members/${encodeURIComponent(userId.value)}`, { role: role.value }); load(); } catch (err) { announce(err.message, 'error'); }
  } }, h('label', { for: 'member-user' }, 'Add member'), userId, role, h('button', { type: 'submit' }, 'Add')));
  await load();
}

// Each file is sent on its own, so one bad file never hides the others' results.
function importTab(panel, id) {
  const files = h('input', { type: 'file', id: 'import-files', multiple: true });
  const bar = h('progress', { max: 100, value: 0, id: 'import-progress', 'aria-label': 'Upload progress' });
  const body = h('tbody');
  const report = h('table', { id: 'import-report', hidden: true }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'File'), h('th', { scope: 'col' }, 'Result'))), body);
  const start = h('button', { class: 'primary', type: 'button', id: 'import-start', onclick: async () => {
    const list = [...files.files];
    if (!list.length) return;
    start.disabled = true;
    replace(body);
    report.hidden = false;
    const total = list.reduce((a, f) => a + f.size, 0) || 1;
    let sent = 0;
    for (const f of list) {
      const cell = h('td', null, 'uploading…');
      body.append(h('tr', null, h('td', null, f.name), cell));
      const fd = new FormData();
      fd.append('file', f, f.name);
      try {
        const res = await upload(`/projects/${id}/import`, fd, (p) => { bar.value = Math.round(((sent + p * f.size) / total) * 100); });
        replace(cell, `${res.imported} items imported (${res.format})`);
      } catch (e) {
        cell.className = 'error-text';
        replace(cell, (e.field ? `${e.field}: ` : '') + e.message);
      }
      sent += f.size;
    }
    bar.value = 100;
    start.disabled = false;
    announce('Import finished.', 'ok');
  } }, 'Import');
  panel.append(h('div', { class: 'card' }, h('label', { for: 'import-files' }, 'Files (JSONL, text, CSV, FHIR JSON/NDJSON, DICOM)'), files,
    h('div', { class: 'row' }, start, bar), report));
}

function exportTab(panel, id) {
  // Formats that stream; folder formats (NIfTI, DICOM SEG, YOLO, VOC, BRAT) are exported with `medlabel export --out`.
  const formats = ['jsonl', 'conll', 'spacy', 'fhir', 'survey-csv', 'coco', 'measurements-csv'];
  const fmt = h('select', { id: 'export-format' }, formats.map((f) => h('option', { value: f }, f)));
  const snapshot = h('input', { id: 'export-snapshot', placeholder: 'optional snapshot name' });
  const link = h('a', { class: 'button primary', id: 'export-download', href: '#', download: '' }, 'Download');
  const update = () => {
    const q = new URLSearchParams({ format: fmt.value });
    if (snapshot.value.trim()) q.set('snapshot', snapshot.value.trim());
    link.href = `/api/v1/projects/${id}/export?${q}`;
  };
  fmt.addEventListener('change', update);
  snapshot.addEventListener('input', update);
  update();
  panel.append(h('div', { class: 'card' }, h('label', { for: 'export-format' }, 'Format'), fmt,
    h('label', { for: 'export-snapshot' }, 'Snapshot (pins exactly these annotation versions)'), snapshot,
    h('p', null, link), h('p', { class: 'muted' }, `Exports stream from the server and carry a manifest. ${fmtTime(Date.now())}`)));
}
