// label.js: the labeling loop. Leases the next task, shows the editor for its modality, autosaves a draft
// in this browser on every change, submits, and has the following task already loaded so moving on is
// instant. Undo/redo, a timer, skip, and explanations for conflicts, expired leases and lost connections.
import { api, ApiError } from '../api.js';
import { h, replace, announce } from '../dom.js';
import { eventKey } from './common.js';
import { textEditor } from './text_editor.js';
import { imageEditor } from './image_editor.js';
import { surveyEditor } from './survey_editor.js';
import { session } from '../app.js';
import { saveDraft, loadDraft, removeDraft } from '../drafts.js';

// Per user: on a shared workstation one person's draft must never be restored into another's task (blind
// labeling), and managers, who see everyone's annotations, must edit only their own.
const me = () => (session.user ? session.user.id : 0);
const mine = (a) => !a.model && a.user_id === me();

async function loadTask(pid) {
  let task;
  try {
    const d = await api.get(`/projects/${pid}/next`);
    task = d.task || d;
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
  const [item, anns, preds] = await Promise.all([
    api.get(`/projects/${pid}/items/${task.item_id}`),
    api.get(`/projects/${pid}/tasks/${task.id}/annotations`).catch(() => []),
    api.get(`/projects/${pid}/tasks/${task.id}/predictions`).catch(() => []),
  ]);
  const list = (x, k) => (Array.isArray(x) ? x : (x && x[k]) || []);
  const annotations = list(anns, 'annotations');
  const own = annotations.find(mine);
  const reviews = own ? list(await api.get(`/projects/${pid}/annotations/${own.id}/reviews`).catch(() => []), 'reviews') : [];
  return { task, item: item.item || item, annotations, predictions: list(preds, 'predictions'), reviews };
}

export async function labelView(main, pid) {
  main.className = 'wide';
  const schemaDoc = await api.get(`/projects/${pid}/schema`).catch(() => null);
  const schema = (schemaDoc && (schemaDoc.schema || schemaDoc)) || { controls: [] };
  const banner = h('div', { id: 'label-banner', role: 'alert' });
  const timerEl = h('span', { class: 'timer', id: 'timer', 'aria-label': 'Time on this task' }, '0:00');
  const stage = h('div', { id: 'stage' });
  const submitBtn = h('button', { class: 'primary', type: 'button', id: 'submit', title: 'Submit (Ctrl+Enter)' }, 'Submit');
  const skipBtn = h('button', { type: 'button', id: 'skip' }, 'Skip');
  const undoBtn = h('button', { type: 'button', id: 'undo', title: 'Undo (Ctrl+Z)' }, 'Undo');
  const redoBtn = h('button', { type: 'button', id: 'redo', title: 'Redo (Ctrl+Shift+Z)' }, 'Redo');
  const title = h('h1', { class: 'grow' }, 'Labeling');
  main.append(h('div', { class: 'toolbar' }, title, timerEl, undoBtn, redoBtn, skipBtn, submitBtn), banner, stage);

  let current = null, next = null, editor = null, started = 0, tick = null;
  let undo = [], redo = [], results = [], annotation = null, busy = false;

  const nextPromise = () => { next = loadTask(pid).catch(() => null); };

  function setResults(r, record = true) {
    if (record) { undo.push(JSON.stringify(results)); redo = []; }
    results = r;
    saveDraft(me(), pid, current.task.id, results);
    undoBtn.disabled = !undo.length; redoBtn.disabled = !redo.length;
  }

  async function show(loaded) {
    if (editor) editor.destroy();
    replace(banner);
    current = loaded;
    if (!current) {
      title.textContent = 'Labeling';
      replace(stage, h('div', { class: 'card' }, h('h2', null, 'No more tasks for you in this project.'), h('a', { href: `#/projects/${pid}` }, 'Back to the project')));
      submitBtn.disabled = skipBtn.disabled = true;
      return;
    }
    submitBtn.disabled = skipBtn.disabled = false;
    title.textContent = `Task ${current.task.id}`;
    const rejected = (current.reviews || []).filter((r) => r.decision === 'reject').pop();
    if (rejected) replace(banner, h('div', { class: 'banner warn', id: 'review-feedback' }, 'A reviewer sent this back: ', h('q', null, rejected.comment || '')));
    annotation = current.annotations.find(mine) || null;
    const body = annotation ? parseBody(annotation.body) : { results: [] };
    results = body.results || [];
    const draft = loadDraft(me(), pid, current.task.id);
    if (draft) { results = draft; announce('Restored your unsaved draft of this task.', 'info'); }
    undo = []; redo = [];
    undoBtn.disabled = redoBtn.disabled = true;
    const ctx = { pid, item: current.item, schema, results, predictions: current.predictions,
      onChange: (r) => setResults(r), getResults: () => results };
    const modality = current.item.modality || 'text';
    const make = modality === 'text' ? textEditor : modality === 'survey' ? surveyEditor : imageEditor;
    replace(stage);
    editor = await make(stage, ctx);
    started = performance.now();
    clearInterval(tick);
    tick = setInterval(() => {
      const s = Math.floor((performance.now() - started) / 1000);
      timerEl.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }, 1000);
    window.__medlabelShownAt = performance.now();
    document.dispatchEvent(new CustomEvent('medlabel:task-shown', { detail: { task: current.task.id } }));
    nextPromise();
  }

  async function submit() {
    if (!current || busy) return;
    busy = true; submitBtn.disabled = true;
    const seconds = (performance.now() - started) / 1000;
    const body = { results };
    const t0 = performance.now();
    try {
      if (annotation) {
        await api.put(`/projects/${pid}/annotations/${annotation.id}`, { body, seconds_spent: seconds },
          { headers: { 'If-Match': `"${annotation.version}"` } });
      } else {
        await api.post(`/projects/${pid}/tasks/${current.task.id}/annotations`, { body, seconds_spent: seconds });
      }
      removeDraft(me(), pid, current.task.id);
      announce('Submitted.', 'ok');
      const loaded = await next;
      await show(loaded && loaded.task.id !== current.task.id ? loaded : await loadTask(pid));
      window.__medlabelLastSubmitToShownMs = performance.now() - t0;
    } catch (e) {
      explain(e);
    } finally {
      busy = false;
      if (current) submitBtn.disabled = false;
    }
  }

  function explain(e) {
    if (!(e instanceof ApiError)) { replace(banner, h('div', { class: 'banner error' }, e.message)); return; }
    if (e.status === 409) {
      replace(banner, h('div', { class: 'banner warn' },
        'Someone changed this annotation since you opened it. Your version is kept in this browser. ',
        h('button', { type: 'button', onclick: async () => {
          const fresh = await api.get(`/projects/${pid}/annotations/${annotation.id}`);
          annotation = fresh.annotation || fresh;
          replace(banner, h('div', { class: 'banner warn' }, `Now based on version ${annotation.version}; submit again to save your labels over it.`));
        } }, 'Keep mine and save over theirs')));
    } else if (e.status === 410 || e.code === 'lease_expired' || (e.status === 403 && /lease/i.test(e.message))) {
      replace(banner, h('div', { class: 'banner warn' }, 'Your lease on this task expired and it may have gone to someone else. Your labels are kept in this browser; submit again to try to save them.'));
    } else if (e.status === 0) {
      replace(banner, h('div', { class: 'banner error' }, 'The server cannot be reached. Nothing is lost: your labels are saved in this browser. Submit again when the connection is back.'));
    } else {
      replace(banner, h('div', { class: 'banner error' }, (e.field ? `${e.field}: ` : '') + e.message));
    }
  }

  async function skip() {
    if (!current) return;
    try { await api.post(`/projects/${pid}/tasks/${current.task.id}/skip`); } catch { /* skipping is best effort */ }
    const loaded = await next;
    await show(loaded && loaded.task.id !== current.task.id ? loaded : null);
  }

  function doUndo() { if (!undo.length) return; redo.push(JSON.stringify(results)); setResults(JSON.parse(undo.pop()), false); editor.refresh(results); }
  function doRedo() { if (!redo.length) return; undo.push(JSON.stringify(results)); setResults(JSON.parse(redo.pop()), false); editor.refresh(results); }

  submitBtn.onclick = submit; skipBtn.onclick = skip; undoBtn.onclick = doUndo; redoBtn.onclick = doRedo;
  const onKey = (e) => {
    const k = eventKey(e);
    if (k === 'ctrl+enter') { e.preventDefault(); submit(); return; }
    if (k === 'ctrl+z') { e.preventDefault(); doUndo(); return; }
    if (k === 'ctrl+shift+z' || k === 'ctrl+y') { e.preventDefault(); doRedo(); return; }
    if (e.target.closest && e.target.closest('input, textarea, select')) return;
    if (editor && editor.handleKey(e, k)) e.preventDefault();
  };
  document.addEventListener('keydown', onKey);
  const onBeforeUnload = () => { if (current) saveDraft(me(), pid, current.task.id, results); };
  window.addEventListener('beforeunload', onBeforeUnload);

  try { await show(await loadTask(pid)); } catch (e) { explain(e); }
  return () => {
    document.removeEventListener('keydown', onKey);
    window.removeEventListener('beforeunload', onBeforeUnload);
    clearInterval(tick);
    if (editor) editor.destroy();
  };
}

export function parseBody(b) {
  if (!b) return { results: [] };
  if (typeof b === 'string') { try { return JSON.parse(b); } catch { return { results: [] }; } }
  return b;
}
