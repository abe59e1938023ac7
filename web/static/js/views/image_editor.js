// image_editor.js: images, DICOM frames and series. Zoom (Ctrl+wheel or +/-), pan (drag with the pan tool,
// Space held, or the middle button), window/level (right-drag, or presets), slice scrolling (wheel, arrow
// keys), boxes, polygons, keypoints, and brush/eraser masks. Coordinates in results are image pixels.
// Drawing happens in one requestAnimationFrame when something changed, so hundreds of shapes stay fluid.
import { h, replace, announce } from '../dom.js';
import { colorOf } from './common.js';

export const PRESETS = { lung: [-600, 1500], mediastinum: [50, 350], bone: [500, 2000], brain: [40, 80], abdomen: [50, 400] };
function newId() { return 'r' + Math.random().toString(36).slice(2, 10); }

// Frames are 1-based in URLs (as DICOM numbers them) and 0-based in annotations ("frame": 0 is the first).
export function frameUrl(pid, itemId, n, fmt) { return `/api/v1/projects/${pid}/items/${itemId}/frames/${n + 1}${fmt ? `?format=${fmt}` : ''}`; }

// A frame either as raw 16-bit values (windowed here) or as an already-rendered image.
async function loadFrame(pid, item, n) {
  if (item.modality === 'image') {
    const img = new Image();
    img.src = `/api/v1/projects/${pid}/items/${item.id}/media`;
    await img.decode();
    return { kind: 'image', img, width: img.naturalWidth, height: img.naturalHeight };
  }
  const res = await fetch(frameUrl(pid, item.id, n, 'raw'), { credentials: 'same-origin' });
  if (res.ok && (res.headers.get('Content-Type') || '').includes('octet-stream')) {
    const width = +res.headers.get('X-Columns'), height = +res.headers.get('X-Rows');
    const slope = +(res.headers.get('X-Rescale-Slope') || 1), intercept = +(res.headers.get('X-Rescale-Intercept') || 0);
    const signed = res.headers.get('X-Pixel-Signed') === '1';
    const buf = await res.arrayBuffer();
    const raw = signed ? new Int16Array(buf) : new Uint16Array(buf);
    const values = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) values[i] = raw[i] * slope + intercept;
    return { kind: 'raw', values, width, height, wc: +(res.headers.get('X-Window-Center') || 40), ww: +(res.headers.get('X-Window-Width') || 400) };
  }
  const img = new Image();
  img.src = frameUrl(pid, item.id, n, 'png');
  await img.decode();
  return { kind: 'image', img, width: img.naturalWidth, height: img.naturalHeight };
}

export async function imageEditor(stage, ctx) {
  const { schema, item, pid } = ctx;
  const controls = (schema.controls || []).filter((c) => ['box', 'polygon', 'keypoints', 'mask', 'object3d', 'polyline', 'ellipse'].includes(c.kind));
  const frames = Math.max(1, +(item.frames || (item.meta && (item.meta.frames || (item.meta.dicom && item.meta.dicom.frames))) || 1));
  let results = ctx.getResults();
  let frame = 0, tool = 'select', active = null, scale = 1, tx = 0, ty = 0, wc = 40, ww = 400;
  let img = null, selected = null, drag = null, poly = null, dirty = true, raf = 0, brush = 12, spaceDown = false;
  const frameCache = new Map();
  const colors = new Map();
  controls.forEach((c, ci) => (c.labels || []).forEach((l, i) => colors.set(`${c.name}/${l.value}`, colorOf(l, i + ci * 3))));

  const canvas = h('canvas', { id: 'image-canvas', tabindex: 0, 'aria-label': 'Image. Use the tools to draw; arrow keys change slice.' });
  const wrap = h('div', { class: 'canvas-wrap' }, canvas);
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Tools' });
  const info = h('span', { class: 'muted', id: 'image-info' });
  const list = h('ul', { id: 'shape-list' });
  stage.append(h('div', { class: 'labeler' }, h('div', null, toolbar, wrap, info),
    h('aside', { class: 'side' }, h('div', { class: 'card' }, h('h2', null, 'Shapes'), list))));
  const g = canvas.getContext('2d');
  const view = document.createElement('canvas');

  const tools = [['select', 'Select', 'v'], ['pan', 'Pan', 'h'], ['wl', 'Window/level', 'w'], ['box', 'Box', 'b'], ['polygon', 'Polygon', 'p'], ['keypoint', 'Keypoint', 'k'], ['brush', 'Brush', 'n'], ['eraser', 'Eraser', 'e']];
  const toolButtons = tools.map(([key, title, hk]) => h('button', { type: 'button', id: `tool-${key}`, 'aria-pressed': String(key === tool), onclick: () => setTool(key) }, title, ' ', h('kbd', null, hk)));
  const labelSelect = h('select', { id: 'shape-label', 'aria-label': 'Label for new shapes' }, controls.flatMap((c) => (c.labels || []).map((l) => h('option', { value: `${c.name}/${l.value}` }, `${c.title || c.name}: ${l.title || l.value}`))));
  const presetButtons = item.modality === 'image' ? [] : Object.keys(PRESETS).map((p) => h('button', { type: 'button', id: `preset-${p}`, onclick: () => { [wc, ww] = PRESETS[p]; rewindow(); } }, p));
  toolbar.append(...toolButtons, labelSelect, ...presetButtons);

  function setTool(t) { tool = t; poly = null; toolButtons.forEach((b, i) => b.setAttribute('aria-pressed', String(tools[i][0] === t))); invalidate(); }
  function currentLabel() { const [c, l] = labelSelect.value.split('/'); return { control: controls.find((x) => x.name === c), label: l }; }
  function commit(next) { results = next; ctx.onChange(results); renderList(); invalidate(); }
  function invalidate() { dirty = true; if (!raf) raf = requestAnimationFrame(draw); }

  function rewindow() {
    if (!img || img.kind !== 'raw') { invalidate(); return; }
    view.width = img.width; view.height = img.height;
    const vctx = view.getContext('2d');
    const out = vctx.createImageData(img.width, img.height);
    const lo = wc - ww / 2, span = ww || 1, v = img.values, d = out.data;
    for (let i = 0, j = 0; i < v.length; i++, j += 4) {
      let x = ((v[i] - lo) / span) * 255;
      x = x < 0 ? 0 : x > 255 ? 255 : x;
      d[j] = d[j + 1] = d[j + 2] = x; d[j + 3] = 255;
    }
    vctx.putImageData(out, 0, 0);
    info.textContent = `Slice ${frame + 1}/${frames} · W ${Math.round(ww)} L ${Math.round(wc)} · zoom ${scale.toFixed(2)}`;
    invalidate();
  }

  async function showFrame(n) {
    frame = Math.max(0, Math.min(frames - 1, n));
    if (!frameCache.has(frame)) frameCache.set(frame, loadFrame(pid, item, frame));
    const f = await frameCache.get(frame);
    const first = !img;
    img = f;
    if (f.kind === 'raw') { if (first) { wc = f.wc; ww = f.ww; } rewindow(); }
    else { view.width = f.width; view.height = f.height; view.getContext('2d').drawImage(f.img, 0, 0); info.textContent = `Slice ${frame + 1}/${frames}`; }
    if (first) fit();
    for (const k of [frame + 1, frame - 1]) if (k >= 0 && k < frames && !frameCache.has(k)) frameCache.set(k, loadFrame(pid, item, k).catch(() => null));
    document.dispatchEvent(new CustomEvent('medlabel:frame', { detail: { frame } }));
    invalidate();
  }

  function fit() {
    const r = wrap.getBoundingClientRect();
    canvas.width = r.width * devicePixelRatio; canvas.height = r.height * devicePixelRatio;
    scale = Math.min(canvas.width / img.width, canvas.height / img.height);
    tx = (canvas.width - img.width * scale) / 2; ty = (canvas.height - img.height * scale) / 2;
  }
  const toImage = (ev) => { const r = canvas.getBoundingClientRect(); return [((ev.clientX - r.left) * devicePixelRatio - tx) / scale, ((ev.clientY - r.top) * devicePixelRatio - ty) / scale]; };

  const maskCanvases = new Map(); // result id -> canvas with the mask drawn in its colour
  function maskCanvas(r) {
    let c = maskCanvases.get(r.id);
    if (c && c._rle === r.rle) return c;
    c = document.createElement('canvas'); c.width = img.width; c.height = img.height; c._rle = r.rle;
    const ictx = c.getContext('2d'), data = ictx.createImageData(img.width, img.height);
    const col = hexRgb(colors.get(`${r.control}/${r.label}`) || '#ff0000');
    const bits = rleDecode(r.rle, img.width * img.height);
    for (let i = 0; i < bits.length; i++) if (bits[i]) { data.data.set(col, i * 4); data.data[i * 4 + 3] = 110; }
    ictx.putImageData(data, 0, 0);
    maskCanvases.set(r.id, c);
    return c;
  }

  function draw() {
    raf = 0;
    if (!dirty || !img) return;
    dirty = false;
    const t0 = performance.now();
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = '#000'; g.fillRect(0, 0, canvas.width, canvas.height);
    g.setTransform(scale, 0, 0, scale, tx, ty);
    g.imageSmoothingEnabled = scale < 1;
    g.drawImage(view, 0, 0);
    g.lineWidth = 2 / scale;
    for (const r of results) {
      if ((r.frame || 0) !== frame) continue;
      const col = colors.get(`${r.control}/${r.label}`) || '#ff0';
      g.strokeStyle = col; g.fillStyle = col;
      if (r.id === selected) g.lineWidth = 4 / scale;
      if (r.w !== undefined) g.strokeRect(r.x, r.y, r.w, r.h);
      else if (r.rle) g.drawImage(maskCanvas(r), 0, 0);
      else if (r.keypoints) { for (const k of r.keypoints) { g.beginPath(); g.arc(k.x, k.y, 4 / scale, 0, Math.PI * 2); g.fill(); } }
      else if (r.points && r.points.length) {
        const pts = r.points;
        { g.beginPath(); g.moveTo(pts[0][0], pts[0][1]); for (const [x, y] of pts.slice(1)) g.lineTo(x, y); if (!controls.some((c) => c.name === r.control && c.kind === 'polyline')) g.closePath(); g.stroke(); }
      }
      g.lineWidth = 2 / scale;
    }
    if (drag && drag.kind === 'box') { g.strokeStyle = '#fff'; g.setLineDash([4 / scale]); g.strokeRect(drag.x0, drag.y0, drag.x1 - drag.x0, drag.y1 - drag.y0); g.setLineDash([]); }
    if (poly && poly.length) { g.strokeStyle = '#fff'; g.beginPath(); g.moveTo(poly[0][0], poly[0][1]); for (const [x, y] of poly.slice(1)) g.lineTo(x, y); g.stroke(); }
    window.__medlabelLastFrameMs = performance.now() - t0;
  }

  function hit(x, y) {
    for (let i = results.length - 1; i >= 0; i--) {
      const r = results[i];
      if ((r.frame || 0) !== frame) continue;
      if (r.w !== undefined && x >= r.x && y >= r.y && x <= r.x + r.w && y <= r.y + r.h) return r;
      if (r.points && r.points.length > 2 && inside(r.points, x, y)) return r;
      if (r.keypoints && r.keypoints.some((k) => Math.hypot(k.x - x, k.y - y) < 8 / scale)) return r;
    }
    return null;
  }

  let brushTarget = null;
  function paint(x, y, value) {
    const { control, label } = currentLabel();
    if (!brushTarget) {
      brushTarget = results.find((r) => r.rle && r.frame === frame && r.label === label && r.control === (control && control.name));
      brushTarget = brushTarget ? { ...brushTarget, bits: rleDecode(brushTarget.rle, img.width * img.height) }
        : { id: newId(), control: control && control.name, label, frame, bits: new Uint8Array(img.width * img.height) };
    }
    const rad = brush, b = brushTarget.bits, W = img.width, H = img.height;
    for (let yy = Math.max(0, Math.floor(y - rad)); yy < Math.min(H, Math.ceil(y + rad)); yy++)
      for (let xx = Math.max(0, Math.floor(x - rad)); xx < Math.min(W, Math.ceil(x + rad)); xx++)
        if ((xx - x) ** 2 + (yy - y) ** 2 <= rad * rad) b[yy * W + xx] = value;
    const r = { id: brushTarget.id, control: brushTarget.control, label: brushTarget.label, frame, rle: rleEncode(b, img.height, img.width) };
    results = [...results.filter((x0) => x0.id !== r.id), r];
    invalidate();
  }

  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    const [x, y] = toImage(e);
    if (e.button === 2 || tool === 'wl') { drag = { kind: 'wl', sx: e.clientX, sy: e.clientY, wc, ww }; return; }
    if (e.button === 1 || tool === 'pan' || spaceDown) { drag = { kind: 'pan', sx: e.clientX, sy: e.clientY, tx, ty }; return; }
    if (tool === 'box') { drag = { kind: 'box', x0: x, y0: y, x1: x, y1: y }; return; }
    if (tool === 'brush' || tool === 'eraser') { drag = { kind: 'paint' }; paint(x, y, tool === 'brush' ? 1 : 0); return; }
    if (tool === 'polygon') { poly = [...(poly || []), [x, y]]; invalidate(); return; }
    if (tool === 'keypoint') { placeKeypoint(x, y); return; }
    const r = hit(x, y); selected = r ? r.id : null; renderList(); invalidate();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drag) return;
    if (drag.kind === 'pan') { tx = drag.tx + (e.clientX - drag.sx) * devicePixelRatio; ty = drag.ty + (e.clientY - drag.sy) * devicePixelRatio; invalidate(); }
    else if (drag.kind === 'wl') { ww = Math.max(1, drag.ww + (e.clientX - drag.sx) * 4); wc = drag.wc + (e.clientY - drag.sy) * 2; rewindow(); }
    else if (drag.kind === 'box') { [drag.x1, drag.y1] = toImage(e); invalidate(); }
    else if (drag.kind === 'paint') { const [x, y] = toImage(e); paint(x, y, tool === 'brush' ? 1 : 0); }
  });
  canvas.addEventListener('pointerup', () => {
    if (drag && drag.kind === 'box') {
      const x = Math.min(drag.x0, drag.x1), y = Math.min(drag.y0, drag.y1), w = Math.abs(drag.x1 - drag.x0), hh = Math.abs(drag.y1 - drag.y0);
      if (w > 2 && hh > 2) { const { control, label } = currentLabel(); commit([...results, { id: newId(), control: control && control.name, label, frame, x: round(x), y: round(y), w: round(w), h: round(hh) }]); }
    }
    if (drag && drag.kind === 'paint') { brushTarget = null; commit(results); }
    drag = null; invalidate();
  });
  canvas.addEventListener('dblclick', () => closePolygon());
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    if (e.ctrlKey || frames === 1) {
      const r = canvas.getBoundingClientRect();
      const mx = (e.clientX - r.left) * devicePixelRatio, my = (e.clientY - r.top) * devicePixelRatio;
      const f = Math.exp(-e.deltaY * 0.0015);
      tx = mx - (mx - tx) * f; ty = my - (my - ty) * f; scale *= f;
      invalidate();
    } else showFrame(frame + Math.sign(e.deltaY));
  }, { passive: false });

  // Keypoints fill the control's named points in order; the next click after the last starts a new instance.
  function placeKeypoint(x, y) {
    const control = controls.find((c) => c.kind === 'keypoints');
    if (!control) { announce('This schema has no keypoints control.', 'warn'); return; }
    const names = control.points || [];
    const last = results.filter((r) => r.control === control.name && (r.frame || 0) === frame).pop();
    if (last && last.keypoints.length < names.length) {
      const kp = [...last.keypoints, { name: names[last.keypoints.length], x: round(x), y: round(y) }];
      commit(results.map((r) => (r === last ? { ...r, keypoints: kp } : r)));
    } else {
      const lab = (control.labels || [])[0];
      commit([...results, { id: newId(), control: control.name, ...(lab ? { label: lab.value } : {}), frame, keypoints: [{ name: names[0], x: round(x), y: round(y) }] }]);
    }
    const cur = results.filter((r) => r.control === control.name).pop();
    if (cur && cur.keypoints.length < names.length) announce(`Next point: ${names[cur.keypoints.length]}`);
  }

  function closePolygon() {
    if (!poly || poly.length < 3) return;
    const { control, label } = currentLabel();
    commit([...results, { id: newId(), control: control && control.name, label, frame, points: poly.map(([x, y]) => [round(x), round(y)]) }]);
    poly = null;
  }

  function renderList() {
    replace(list, results.filter((r) => r.control).map((r) => h('li', { 'aria-current': r.id === selected ? 'true' : null },
      h('span', { class: 'chip', style: { '--c': colors.get(`${r.control}/${r.label}`) } }, r.label || r.control),
      h('span', { class: 'muted' }, r.w !== undefined ? 'box' : r.rle ? 'mask' : r.keypoints ? 'keypoints' : r.points ? 'polygon' : ''),
      frames > 1 ? h('button', { type: 'button', onclick: () => showFrame(r.frame || 0) }, `slice ${(r.frame || 0) + 1}`) : null,
      h('button', { type: 'button', 'aria-label': 'Delete shape', onclick: () => commit(results.filter((x) => x.id !== r.id)) }, '×'))));
  }

  const onKeyUp = (e) => { if (e.key === ' ') spaceDown = false; };
  window.addEventListener('keyup', onKeyUp);
  const ro = new ResizeObserver(() => { if (img) { const r = wrap.getBoundingClientRect(); canvas.width = r.width * devicePixelRatio; canvas.height = r.height * devicePixelRatio; invalidate(); } });
  ro.observe(wrap);
  renderList();
  try { await showFrame(0); } catch (e) { replace(wrap, h('div', { class: 'banner error' }, `This image cannot be shown: ${e.message || 'decoding failed'}`)); }

  // Test and measurement hooks: pan by a delta, add many shapes.
  window.__medlabelImage = {
    pan(dx, dy) { tx += dx; ty += dy; invalidate(); },
    addShapes(n) { const extra = []; for (let i = 0; i < n; i++) extra.push({ id: newId(), control: controls[0] && controls[0].name, label: controls[0] && controls[0].labels[0].value, frame, x: (i * 37) % (img.width - 20), y: (i * 53) % (img.height - 20), w: 12, h: 12 }); commit([...results, ...extra]); },
    state: () => ({ frame, wc, ww, scale, shapes: results.length }),
  };

  return {
    refresh(r) { results = r; maskCanvases.clear(); renderList(); invalidate(); },
    destroy() { ro.disconnect(); window.removeEventListener('keyup', onKeyUp); cancelAnimationFrame(raf); delete window.__medlabelImage; },
    handleKey(e, key) {
      const t = tools.find((x) => x[2] === key);
      if (t) { setTool(t[0]); return true; }
      if (key === ' ') { spaceDown = true; return true; }
      if (key === 'arrowdown' || key === 'pagedown') { showFrame(frame + 1); return true; }
      if (key === 'arrowup' || key === 'pageup') { showFrame(frame - 1); return true; }
      if (key === 'enter') { closePolygon(); return true; }
      if (key === 'escape') { poly = null; selected = null; invalidate(); return true; }
      if (key === '+' || key === '=') { scale *= 1.2; invalidate(); return true; }
      if (key === '-') { scale /= 1.2; invalidate(); return true; }
      if (key === '[') { brush = Math.max(1, brush - 2); announce(`Brush ${brush}px`); return true; }
      if (key === ']') { brush += 2; announce(`Brush ${brush}px`); return true; }
      if ((key === 'delete' || key === 'backspace') && selected) { commit(results.filter((x) => x.id !== selected)); selected = null; return true; }
      const n = Number(key);
      if (key.length === 1 && n >= 1 && n <= Object.keys(PRESETS).length && item.modality !== 'image') { [wc, ww] = Object.values(PRESETS)[n - 1]; rewindow(); return true; }
      return false;
    },
  };
}

function round(v) { return Math.round(v * 10) / 10; }
function inside(pts, x, y) {
  let c = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i], [xj, yj] = pts[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}
function hexRgb(hex) { const n = parseInt(hex.slice(1), 16); return [n >> 16, (n >> 8) & 255, n & 255]; }

// Masks as run lengths in row-major order, background first (docs/SCHEMA.md, `mask`):
// {size: [height, width], counts: [background, foreground, background, ...]}.
export function rleEncode(bits, height, width) {
  const counts = [];
  let prev = 0, run = 0;
  for (let i = 0; i < height * width; i++) {
    const v = bits[i] ? 1 : 0;
    if (v !== prev) { counts.push(run); run = 0; prev = v; }
    run++;
  }
  counts.push(run);
  return { size: [height, width], counts };
}
export function rleDecode(rle, n) {
  const out = new Uint8Array(n);
  if (!rle || !rle.counts) return out;
  let pos = 0, v = 0;
  for (const c of rle.counts) {
    if (v) out.fill(1, pos, Math.min(n, pos + c));
    pos += c; v ^= 1;
  }
  return out;
}
