// quality.js: the agreement and gold-accuracy dashboard: per annotator, per label, over time, with charts
// drawn on a canvas (no chart library needed for lines and bars).
import { api } from '../api.js';
import { h } from '../dom.js';

export async function qualityPanel(panel, id) {
  let q;
  try { q = await api.get(`/projects/${id}/quality`); } catch (e) { panel.append(h('p', { class: 'muted' }, `Quality figures are not available: ${e.message}`)); return; }
  const num = (v) => (typeof v === 'number' ? v.toFixed(3) : '—');
  const section = (title, rows, cols) => h('div', { class: 'card' }, h('h2', null, title), h('table', null,
    h('thead', null, h('tr', null, cols.map(([, t]) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.map((r) => h('tr', null, cols.map(([k]) => h('td', null, typeof r[k] === 'number' ? num(r[k]) : String(r[k] ?? '—'))))))));
  panel.append(h('div', { class: 'card' }, h('h2', null, 'Project agreement'), h('p', null, `Metric ${q.metric || ''}: ${num(q.value ?? (q.project && q.project.value))}`)));
  if (q.over_time && q.over_time.length) panel.append(h('div', { class: 'card' }, h('h2', null, 'Agreement over time'), lineChart(q.over_time.map((p) => p.value))));
  if (q.per_annotator) panel.append(section('Per annotator', q.per_annotator, [['annotator', 'Annotator'], ['agreement', 'Agreement with the rest'], ['gold_accuracy', 'Gold accuracy'], ['n', 'Items']]));
  if (q.per_label) panel.append(section('Per label', q.per_label, [['label', 'Label'], ['value', 'Agreement'], ['n', 'Items']]));
}

function lineChart(values) {
  const c = h('canvas', { class: 'chart', width: 800, height: 200, role: 'img', 'aria-label': `Agreement over time, from ${values[0]?.toFixed?.(2)} to ${values[values.length - 1]?.toFixed?.(2)}` });
  const g = c.getContext('2d');
  g.strokeStyle = '#0b5cad'; g.lineWidth = 2; g.beginPath();
  values.forEach((v, i) => { const x = 20 + (i * 760) / Math.max(1, values.length - 1), y = 180 - Math.max(0, Math.min(1, v)) * 160; if (i) g.lineTo(x, y); else g.moveTo(x, y); });
  g.stroke();
  return c;
}
