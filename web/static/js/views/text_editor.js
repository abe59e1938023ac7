// text_editor.js: span, relation, classification and coded labels on a clinical note.
// Offsets in results are Unicode code points (the server's unit everywhere); JavaScript strings count
// UTF-16 units, so the editor converts at its edges with a prefix table built once per note.
import { api } from '../api.js';
import { h, replace, announce } from '../dom.js';
import { colorOf } from './common.js';

function newId() { return 'r' + Math.random().toString(36).slice(2, 10); }

// The ontology a coding names (schema codings say "HPO" or "ICD-10-CM", optionally with a version); the
// API addresses ontologies by id, so resolve once per page.
let ontologyList = null;
async function ontologyFor(coding) {
  if (!ontologyList) ontologyList = api.get('/ontologies').then((d) => d.ontologies || []).catch(() => []);
  const all = await ontologyList;
  const named = all.filter((o) => o.name === coding.system || o.system === coding.system);
  return named.find((o) => !coding.version || o.version === coding.version) || null;
}

// u16 offset of each code point, plus the end.
function cpTable(text) {
  const table = [];
  let u = 0;
  for (const ch of text) { table.push(u); u += ch.length; }
  table.push(u);
  return table;
}
function u16ToCp(table, u) {
  let lo = 0, hi = table.length - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (table[mid] < u) lo = mid + 1; else hi = mid; }
  return lo;
}

export async function textEditor(stage, ctx) {
  const { schema, item } = ctx;
  const text = item.text || '';
  const cps = cpTable(text);
  const controls = schema.controls || [];
  const spanControls = controls.filter((c) => c.kind === 'span');
  const relationControl = controls.find((c) => c.kind === 'relation');
  const docControls = controls.filter((c) => (c.kind === 'classification' || c.kind === 'coded' || c.kind === 'text') && !c.target);
  const colors = new Map();
  spanControls.forEach((c, ci) => (c.labels || []).forEach((l, i) => colors.set(`${c.name}/${l.value}`, colorOf(l, i + ci * 3))));
  const hotkeys = new Map();
  for (const c of controls) for (const l of c.labels || []) if (l.hotkey) hotkeys.set(l.hotkey.toLowerCase(), { control: c, label: l });
  const attrKeys = new Map();
  for (const c of spanControls) for (const a of c.attributes || []) if (a.hotkey) attrKeys.set(a.hotkey.toLowerCase(), { control: c, attr: a });

  let results = ctx.getResults();
  let predictions = (ctx.predictions || []).flatMap((p) => {
    const body = typeof p.body === 'string' ? JSON.parse(p.body) : (p.body || {});
    return (body.results || []).map((r) => ({ ...r, _pred: true, _model: p.model && (p.model.name || p.model) }));
  });
  let selected = null, dragFrom = null, activeLabel = null, relationPending = false;

  const note = h('div', { class: 'note', id: 'note', tabindex: 0, 'aria-label': 'Note text. Select text, then press a label key.', dir: 'auto' });
  const palette = h('div', { class: 'palette', role: 'toolbar', 'aria-label': 'Span labels' });
  const spanList = h('ul', { id: 'span-list' });
  const predBox = h('div', { id: 'predictions' });
  const docBox = h('div', { id: 'doc-labels' });
  const detail = h('div', { id: 'span-detail' });
  stage.append(h('div', { class: 'labeler' },
    h('div', null, h('div', { class: 'toolbar' }, palette), note),
    h('aside', { class: 'side', 'aria-label': 'Labels' }, predBox, docBox, h('div', { class: 'card' }, h('h2', null, 'Spans'), spanList), detail)));

  for (const c of spanControls) {
    (c.labels || []).forEach((l) => {
      palette.append(h('button', { type: 'button', style: { '--c': colors.get(`${c.name}/${l.value}`) }, 'aria-pressed': 'false',
        onclick: () => applyLabel(c, l) }, l.title || l.value, l.hotkey ? [' ', h('kbd', null, l.hotkey)] : null));
    });
  }

  function commit(next) { results = next; ctx.onChange(results); render(); }
  function spans() { return results.filter((r) => r.start !== undefined && r.end !== undefined); }

  function selectionCp() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!note.contains(range.startContainer) || !note.contains(range.endContainer)) return null;
    const pre = document.createRange();
    pre.selectNodeContents(note);
    pre.setEnd(range.startContainer, range.startOffset);
    let s = pre.toString().length;
    let e = s + range.toString().length;
    // Trim whitespace the way annotators expect (double-click selects a trailing space).
    while (s < e && /\s/.test(text[s])) s++;
    while (e > s && /\s/.test(text[e - 1])) e--;
    if (s >= e) return null;
    return { start: u16ToCp(cps, s), end: u16ToCp(cps, e) };
  }

  function sliceCp(s, e) { return text.slice(cps[s], cps[e]); }

  function applyLabel(control, label) {
    const range = selectionCp();
    if (control.kind === 'span' && range) {
      const overlapping = spans().some((r) => r.control === control.name && r.start < range.end && range.start < r.end);
      if (overlapping && !control.overlap) { announce(`'${control.title || control.name}' spans may not overlap here.`, 'warn'); return true; }
      const r = { id: newId(), control: control.name, label: label.value, start: range.start, end: range.end, text: sliceCp(range.start, range.end) };
      window.getSelection().removeAllRanges();
      selected = r.id;
      commit([...results, r]);
      return true;
    }
    if (control.kind === 'span' && selected) {
      commit(results.map((r) => (r.id === selected ? { ...r, label: label.value } : r)));
      return true;
    }
    if (control.kind === 'classification' && !control.target) { toggleChoice(control, label.value); return true; }
    activeLabel = { control, label };
    return false;
  }

  function toggleChoice(control, value) {
    const existing = results.find((r) => r.control === control.name);
    let choices = existing ? [...(existing.choices || [])] : [];
    if (choices.includes(value)) choices = choices.filter((v) => v !== value);
    else choices = control.multiple ? [...choices, value] : [value];
    const rest = results.filter((r) => r.control !== control.name);
    commit(choices.length ? [...rest, { id: existing ? existing.id : newId(), control: control.name, choices }] : rest);
  }

  function toggleAttr(attr) {
    if (!selected) return;
    commit(results.map((r) => {
      if (r.id !== selected) return r;
      const attributes = { ...(r.attributes || {}) };
      attributes[attr.name] = !(attributes[attr.name] === true);
      return { ...r, attributes };
    }));
  }

  function removeResult(id) {
    commit(results.filter((r) => r.id !== id && r.from !== id && r.to !== id));
    if (selected === id) selected = null;
  }

  function addRelation(from, to) {
    if (!relationControl || from === to) return;
    const label = (relationControl.labels || [])[0];
    commit([...results, { id: newId(), control: relationControl.name, label: label ? label.value : undefined, from, to }]);
    announce('Relation added.', 'ok');
  }

  function acceptPrediction(p) {
    const { _pred, _model, ...r } = p;
    predictions = predictions.filter((x) => x !== p);
    commit([...results, { ...r, id: newId() }]);
  }
  function rejectPrediction(p) { predictions = predictions.filter((x) => x !== p); render(); }

  // The note is drawn in blocks of whole lines (about BLOCK_CPS code points each), and a change redraws only
  // the blocks whose marks changed: labeling a 100 KB note must not rebuild and re-lay out all of it.
  // A block ends just after a line feed, so it can be a CSS block without changing how the text wraps.
  const BLOCK_CPS = 2000;
  const blocks = [];
  {
    let s = 0, cp = 0;
    for (const ch of text) {
      cp++;
      if (ch === '\n' && cp - s >= BLOCK_CPS) { blocks.push({ start: s, end: cp, el: null, sig: null }); s = cp; }
    }
    if (cp > s || !blocks.length) blocks.push({ start: s, end: cp, el: null, sig: null });
  }
  for (const b of blocks) {
    b.el = h('span', { class: text[cps[b.end] - 1] === '\n' ? 'blk line' : 'blk' });
    note.append(b.el);
  }
  function blockOf(cp) {
    let lo = 0, hi = blocks.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (blocks[mid].start <= cp) lo = mid; else hi = mid - 1; }
    return lo;
  }

  function renderNote() {
    const all = [...spans().map((r) => ({ ...r, _pred: false })), ...predictions.filter((p) => p.start !== undefined)];
    const per = blocks.map(() => []);
    for (const r of all) {
      if (!(r.start >= 0 && r.end > r.start && r.end <= cps.length - 1)) continue;
      for (let b = blockOf(r.start); b < blocks.length && blocks[b].start < r.end; b++) per[b].push(r);
    }
    blocks.forEach((b, i) => {
      const sig = per[i].map((r) => [r.id, r.start, r.end, r.control, r.label, r._pred, r.id === selected,
        !!(r.attributes && r.attributes.negated)].join('|')).join(';');
      if (sig === b.sig) return;
      b.sig = sig;
      replace(b.el, drawBlock(b, per[i]));
    });
  }

  // Segments between every span boundary inside the block; each is wrapped in a mark for its innermost span.
  function drawBlock(b, marks) {
    const bounds = new Set([b.start, b.end]);
    for (const r of marks) { bounds.add(Math.max(r.start, b.start)); bounds.add(Math.min(r.end, b.end)); }
    const points = [...bounds].sort((x, y) => x - y);
    const frag = document.createDocumentFragment();
    for (let i = 0; i + 1 < points.length; i++) {
      const s = points[i], e = points[i + 1];
      const covering = marks.filter((r) => r.start <= s && r.end >= e);
      const segText = text.slice(cps[s], cps[e]);
      if (!covering.length) { frag.append(segText); continue; }
      const top = covering.reduce((a, c) => (c.end - c.start < a.end - a.start ? c : a));
      const classes = [top._pred ? 'pred' : '', top.id === selected ? 'selected' : '', top.attributes && top.attributes.negated ? 'negated' : ''].join(' ').trim();
      const m = h('mark', { class: classes, style: { '--c': colors.get(`${top.control}/${top.label}`) || '#888' }, dataset: { id: top.id || '' },
        title: `${top.label}${top._pred ? ' (suggestion)' : ''}` }, segText);
      const id = top.id, pred = top._pred;
      m.addEventListener('mousedown', (ev) => { if (!pred && ev.altKey) dragFrom = id; });
      m.addEventListener('mouseup', () => { if (dragFrom && dragFrom !== id && !pred) addRelation(dragFrom, id); dragFrom = null; });
      m.addEventListener('click', () => {
        if (pred || !window.getSelection().isCollapsed) return;
        if (relationPending) { relationPending = false; if (selected) addRelation(selected, id); return; }
        selected = id;
        render();
      });
      frag.append(m);
    }
    return frag;
  }

  function renderSide() {
    replace(spanList, spans().sort((a, b) => a.start - b.start).map((r) => h('li', { 'aria-current': r.id === selected ? 'true' : null },
      h('span', { class: 'chip', style: { '--c': colors.get(`${r.control}/${r.label}`) } }, r.label),
      h('button', { type: 'button', class: 'link', onclick: () => { selected = r.id; render(); } }, `“${r.text || sliceCp(r.start, r.end)}”`),
      ...Object.entries(r.attributes || {}).filter(([, v]) => v).map(([k]) => h('span', { class: 'muted' }, k)),
      ...(r.codes || []).map((c) => h('span', { class: 'chip' }, `${c.system}:${c.code}`)),
      h('button', { type: 'button', 'aria-label': 'Delete span', onclick: () => removeResult(r.id) }, '×'))));
    const rels = results.filter((r) => r.from && r.to);
    if (rels.length) spanList.append(h('li', null, h('strong', null, 'Relations')), ...rels.map((r) => {
      const a = results.find((x) => x.id === r.from), b = results.find((x) => x.id === r.to);
      return h('li', null, `${a ? a.text : '?'} → ${b ? b.text : '?'}`, h('span', { class: 'chip' }, r.label || ''),
        h('button', { type: 'button', 'aria-label': 'Delete relation', onclick: () => removeResult(r.id) }, '×'));
    }));
    replace(predBox, predictions.length ? h('div', { class: 'card' }, h('h2', null, `Suggestions (${predictions.length})`),
      h('div', { class: 'row' }, h('button', { type: 'button', id: 'accept-all', onclick: () => { const all = predictions; predictions = []; commit([...results, ...all.map(({ _pred, _model, ...r }) => ({ ...r, id: newId() }))]); } }, 'Accept all'),
        h('button', { type: 'button', onclick: () => { predictions = []; render(); } }, 'Reject all')),
      h('ul', null, predictions.map((p) => h('li', null, h('span', { class: 'chip' }, p.label || p.control), `“${p.text || ''}”`,
        h('button', { type: 'button', onclick: () => acceptPrediction(p) }, 'Accept'), h('button', { type: 'button', onclick: () => rejectPrediction(p) }, 'Reject'))))) : null);
    replace(docBox, docControls.map((c) => h('div', { class: 'card' }, h('h2', null, c.title || c.name, c.required ? ' *' : ''),
      c.kind === 'classification' ? h('div', { class: 'palette', role: 'group', 'aria-label': c.title || c.name }, (c.labels || []).map((l, i) => {
        const r = results.find((x) => x.control === c.name);
        const on = !!(r && (r.choices || []).includes(l.value));
        return h('button', { type: 'button', 'aria-pressed': String(on), style: { '--c': colorOf(l, i) }, onclick: () => toggleChoice(c, l.value) }, l.title || l.value, l.hotkey ? [' ', h('kbd', null, l.hotkey)] : null);
      })) : c.kind === 'coded' ? codedField(c, null) : freeText(c))));
    const sel = results.find((r) => r.id === selected);
    const ctl = sel && spanControls.find((c) => c.name === sel.control);
    replace(detail, sel && ctl ? h('div', { class: 'card' }, h('h2', null, 'Selected span'),
      (ctl.attributes || []).map((a) => h('label', null, h('input', { type: 'checkbox', checked: !!(sel.attributes && sel.attributes[a.name]), onchange: () => toggleAttr(a) }), ' ', a.title || a.name, a.hotkey ? [' ', h('kbd', null, a.hotkey)] : null)),
      (ctl.codings && ctl.codings.length) ? codedField(ctl, sel) : null,
      relationControl ? h('p', { class: 'muted' }, 'Alt-drag from this span to another to relate them, or press ', h('kbd', null, 'r'), ' then click the target.') : null) : null);
  }

  function freeText(c) {
    const r = results.find((x) => x.control === c.name);
    const ta = h('textarea', { 'aria-label': c.title || c.name, rows: 3, style: { width: '100%' } }, r ? r.text || '' : '');
    ta.addEventListener('change', () => {
      const rest = results.filter((x) => x.control !== c.name);
      commit(ta.value ? [...rest, { id: r ? r.id : newId(), control: c.name, text: ta.value }] : rest);
    });
    return ta;
  }

  // The ontology popup: searches as the user types, arrows to move, Enter to pick.
  function codedField(c, span) {
    const coding = (c.codings || [])[0] || {};
    const target = span || results.find((x) => x.control === c.name);
    const codes = (target && target.codes) || [];
    const btn = h('button', { type: 'button', class: 'code-search', onclick: () => openPopup(btn, c, coding, span) }, 'Search codes…');
    return h('div', null, codes.map((k) => h('span', { class: 'chip' }, `${k.code} ${k.display || ''}`)), ' ', btn);
  }

  function openPopup(anchor, c, coding, span) {
    const input = h('input', { type: 'search', 'aria-label': `Search ${coding.system || 'codes'}`, style: { width: '100%' }, role: 'combobox', 'aria-expanded': 'true', 'aria-controls': 'code-results' });
    const list = h('ul', { id: 'code-results', role: 'listbox' });
    const pop = h('div', { class: 'popup', role: 'dialog', 'aria-label': 'Code search' }, input, list);
    const rect = anchor.getBoundingClientRect();
    pop.style.left = Math.min(rect.left, innerWidth - 380) + 'px';
    pop.style.top = Math.min(rect.bottom + 4, innerHeight - 320) + 'px';
    document.body.append(pop);
    input.focus();
    let hits = [], active = 0, seq = 0;
    const close = () => { pop.remove(); anchor.focus(); };
    const pick = (hit) => {
      const code = { system: coding.system, code: hit.code, ...((hit.version || coding.version) ? { version: hit.version || coding.version } : {}), display: hit.display };
      if (span) commit(results.map((r) => (r.id === span.id ? { ...r, codes: [...(r.codes || []).filter((x) => x.code !== code.code), code] } : r)));
      else {
        const existing = results.find((x) => x.control === c.name);
        const rest = results.filter((x) => x.control !== c.name);
        commit([...rest, { id: existing ? existing.id : newId(), control: c.name, codes: c.multiple && existing ? [...existing.codes, code] : [code] }]);
      }
      close();
    };
    const draw = () => replace(list, hits.map((hit, i) => h('li', { role: 'option', 'aria-selected': String(i === active), onclick: () => pick(hit) },
      h('strong', null, hit.code), ' ', hit.display || hit.name || '')));
    input.addEventListener('input', async () => {
      const my = ++seq;
      const q = input.value.trim();
      if (!q) { hits = []; draw(); return; }
      try {
        const onto = await ontologyFor(coding);
        if (!onto) throw new Error(`the ontology '${coding.system}' is not loaded`);
        const res = await api.get(`/ontologies/${onto.id}/search?q=${encodeURIComponent(q)}&limit=20`);
        if (my !== seq) return;
        hits = Array.isArray(res) ? res : res.results || res.hits || [];
        active = 0; draw();
      } catch (e) { replace(list, h('li', null, e.message)); }
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') { active = Math.min(active + 1, hits.length - 1); draw(); e.preventDefault(); }
      else if (e.key === 'ArrowUp') { active = Math.max(active - 1, 0); draw(); e.preventDefault(); }
      else if (e.key === 'Enter' && hits[active]) { pick(hits[active]); e.preventDefault(); }
      else if (e.key === 'Escape') { close(); e.preventDefault(); }
      e.stopPropagation();
    });
  }

  function render() { renderNote(); renderSide(); }
  render();

  return {
    refresh(r) { results = r; render(); },
    destroy() { document.querySelectorAll('.popup').forEach((p) => p.remove()); },
    handleKey(e, key) {
      if (key === 'escape') { selected = null; render(); return true; }
      if ((key === 'delete' || key === 'backspace') && selected) { removeResult(selected); return true; }
      if (key === 'r' && selected && relationControl) { relationPending = true; announce('Click the span to relate to.', 'info'); return true; }
      if (key === 'c' && selected) { const ctl = spanControls.find((c) => c.name === (results.find((r) => r.id === selected) || {}).control); if (ctl && ctl.codings && ctl.codings.length) { openPopup(detail.querySelector('.code-search') || note, ctl, ctl.codings[0], results.find((r) => r.id === selected)); return true; } }
      const a = attrKeys.get(key);
      if (a && selected) { toggleAttr(a.attr); return true; }
      const hk = hotkeys.get(key);
      if (hk) return applyLabel(hk.control, hk.label) !== false;
      return false;
    },
  };
}
