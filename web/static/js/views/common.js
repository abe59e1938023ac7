// common.js: small helpers shared by views.
import { h } from '../dom.js';

// The API answers lists either as an array or as {"<key>": [...], "next": ...}; accept both.
export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  if (data && Array.isArray(data.data)) return data.data;
  return [];
}

export function progressBar(done, total) {
  const pct = total ? Math.round((100 * done) / total) : 0;
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct,
    'aria-label': `${done} of ${total} tasks done` }, h('span', { style: { width: pct + '%' } }));
}

export function taskCounts(project) {
  const c = project.counts || {};
  const byState = (c.tasks && typeof c.tasks === 'object') ? c.tasks : {};
  const total = Object.values(byState).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0);
  const done = byState.done || 0;
  return { total, done, byState };
}

export function parseSchema(text) {
  try { return { schema: JSON.parse(text) }; } catch (e) { return { error: e.message }; }
}

// Hotkey string ("shift+n") for a KeyboardEvent, normalised like the server's label_hotkey_normalise.
export function eventKey(e) {
  const parts = [];
  if (e.ctrlKey) parts.push('ctrl');
  if (e.altKey) parts.push('alt');
  if (e.shiftKey && e.key.length > 1) parts.push('shift');
  let k = e.key.length === 1 ? e.key.toLowerCase() : e.key.toLowerCase();
  if (e.shiftKey && e.key.length === 1 && e.key.toLowerCase() !== e.key.toUpperCase()) parts.push('shift');
  parts.push(k);
  return parts.join('+');
}

export function colorOf(label, i) {
  const palette = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324', '#469990', '#800000'];
  return (label && label.color) || palette[i % palette.length];
}
