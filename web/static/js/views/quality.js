// quality.js: the agreement and gold-accuracy dashboard, drawn from GET .../quality (quality_report_json in
// src/quality/quality.h): per control (choice, span, box, mask), per label, per annotator pair with
// confusion matrices, per annotator against the rest, over time; gold accuracy per annotator over time.
// Charts are drawn on a canvas: lines and bars need no chart library.
import { api } from '../api.js';
import { h } from '../dom.js';

const fmt = (v) => (typeof v === 'number' ? v.toFixed(3) : '—');
const ci = (r) => (r && Array.isArray(r.ci95) ? ` [${fmt(r.ci95[0])}, ${fmt(r.ci95[1])}]` : '');

function table(caption, cols, rows) {
  return h('table', { class: 'quality-table' }, h('caption', null, caption),
    h('thead', null, h('tr', null, cols.map(([, t]) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.length ? rows.map((r) => h('tr', null, cols.map(([k]) => h('td', null, typeof k === 'function' ? k(r) : typeof r[k] === 'number' ? fmt(r[k]) : String(r[k] ?? '—')))))
      : h('tr', null, h('td', { colspan: cols.length, class: 'muted' }, 'Not enough overlapping labels yet.'))));
}

// A line chart of values in [0, 1] by day, with the days as accessible text.
function lineChart(points, label) {
  const c = h('canvas', { class: 'chart', width: 800, height: 200, role: 'img',
    'aria-label': `${label}: ` + points.map((p) => `${p.day} ${fmt(p.value)}`).join(', ') });
  const g = c.getContext('2d');
  g.strokeStyle = '#d0d4da';
  for (const y of [0, 0.5, 1]) { g.beginPath(); g.moveTo(30, 180 - y * 160); g.lineTo(790, 180 - y * 160); g.stroke(); }
  g.fillStyle = '#555c66'; g.font = '12px sans-serif';
  g.fillText('1', 10, 24); g.fillText('0', 10, 184);
  g.strokeStyle = '#0b5cad'; g.lineWidth = 2; g.beginPath();
  points.forEach((p, i) => {
    const x = 30 + (i * 760) / Math.max(1, points.length - 1), y = 180 - Math.max(0, Math.min(1, p.value ?? 0)) * 160;
    if (i) g.lineTo(x, y); else g.moveTo(x, y);
  });
  g.stroke();
  return c;
}

function confusion(pair, labels) {
  return h('table', { class: 'confusion' }, h('caption', null, `${pair.a} (rows) × ${pair.b} (columns)`),
    h('thead', null, h('tr', null, h('th', null, ''), labels.map((l) => h('th', { scope: 'col' }, l)))),
    h('tbody', null, pair.confusion.map((row, i) => h('tr', null, h('th', { scope: 'row' }, labels[i]), row.map((n) => h('td', null, String(n)))))));
}

function choiceControl(c) {
  const overall = Object.values(c.overall || {});
  return [
    table('Overall agreement', [['metric', 'Coefficient'], [(r) => fmt(r.value) + ci(r), 'Value [95% CI]'], ['units', 'Units'], ['note', 'Note']], overall),
    c.over_time && c.over_time.length ? h('div', null, h('h3', null, 'Agreement over time (alpha, nominal)'), lineChart(c.over_time.map((d) => ({ day: d.day, value: d.value })), 'Agreement by day')) : null,
    table('Per annotator (Cohen\'s kappa against the majority of the others)', [['annotator', 'Annotator'], [(r) => fmt(r.value) + ci(r), 'Kappa [95% CI]'], ['units', 'Units']], c.per_annotator || []),
    table('Per label (alpha of one label against the rest)', [['label', 'Label'], [(r) => fmt(r.value) + ci(r), 'Alpha [95% CI]'], ['units', 'Units']], c.per_label || []),
    table('Per annotator pair (Cohen\'s kappa)', [['a', 'A'], ['b', 'B'], [(r) => fmt(r.value), 'Kappa'], ['units', 'Units']], c.per_pair || []),
    ...(c.per_pair || []).filter((p) => p.confusion).map((p) => confusion(p, c.labels || [])),
  ];
}

function pairControl(c) {
  if (c.kind === 'span') return table('Span agreement per pair', [['a', 'A'], ['b', 'B'], ['tasks', 'Tasks'], [(r) => fmt(r.exact && r.exact.f1), 'Exact F1'], [(r) => fmt(r.overlap && r.overlap.f1), 'Overlap F1'], [(r) => fmt(r.token && r.token.f1), 'Token F1']], c.per_pair || []);
  if (c.kind === 'box') return table('Boxes per pair (Hungarian matching at IoU ≥ 0.5)', [['a', 'A'], ['b', 'B'], ['tasks', 'Tasks'], ['f1', 'F1'], ['mean_iou', 'Mean IoU']], c.per_pair || []);
  return table('Masks per pair', [['a', 'A'], ['b', 'B'], ['tasks', 'Tasks'], ['mean_dice', 'Mean Dice'], ['mean_hd95', `Mean HD95 (${c.units || 'px'})`]], c.per_pair || []);
}

export async function qualityPanel(panel, id) {
  let q;
  try { q = await api.get(`/projects/${id}/quality?bootstrap=200`); } catch (e) { panel.append(h('p', { class: 'muted' }, `Quality figures are not available: ${e.message}`)); return; }
  const t = q.tasks || {};
  panel.append(h('div', { class: 'card', id: 'quality-summary' }, h('h2', null, 'Tasks'),
    h('p', null, `${t.total ?? 0} tasks, ${t.with_two_or_more_annotators ?? 0} labeled by two or more annotators, ${t.gold ?? 0} gold, ${t.annotators ?? 0} annotators.`)));
  for (const c of q.controls || []) {
    panel.append(h('section', { class: 'card', dataset: { control: c.control } }, h('h2', null, `${c.control} (${c.kind})`),
      c.kind === 'choice' ? choiceControl(c) : pairControl(c)));
  }
  const gold = q.gold_accuracy || [];
  panel.append(h('section', { class: 'card', id: 'quality-gold' }, h('h2', null, 'Accuracy on gold tasks'),
    table('Per annotator', [['annotator', 'Annotator'], ['answers', 'Answers'], ['accuracy', 'Accuracy']], gold),
    gold.map((g) => (g.by_day && g.by_day.length > 1 ? h('div', null, h('h3', null, `${g.annotator} over time`), lineChart(g.by_day.map((d) => ({ day: d.day, value: d.accuracy })), `Gold accuracy of ${g.annotator}`)) : null))));
}
