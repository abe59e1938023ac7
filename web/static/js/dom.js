// dom.js: building elements without innerHTML. Every string becomes a text node, so data from the
// server (note text, names, comments) can never become markup.

// h('div', {class: 'x', onclick: fn, 'aria-label': 'y'}, child, [children], 'text')
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'style' && typeof v === 'object') {
        // Through the CSSOM, which the Content-Security-Policy allows (style attributes it would not).
        for (const [p, val] of Object.entries(v)) { if (p.startsWith('--')) el.style.setProperty(p, val); else el.style[p] = val; }
      }
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// A polite status line for screen readers and sighted users alike.
export function announce(msg, kind = 'info') {
  const bar = document.getElementById('status');
  if (!bar) return;
  bar.className = 'status ' + kind;
  bar.textContent = msg;
  if (kind !== 'error') {
    clearTimeout(announce.t);
    announce.t = setTimeout(() => { if (bar.textContent === msg) bar.textContent = ''; }, 4000);
  }
}

export function fmtTime(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  return d.toISOString().replace('T', ' ').slice(0, 16);
}
