// survey_editor.js: a patient's questionnaire responses over time, with codes per answer. The item being
// coded is highlighted among the patient's other responses so the coder sees the trajectory.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { colorOf, listOf } from './common.js';

function newId() { return 'r' + Math.random().toString(36).slice(2, 10); }

function answersOf(item) {
  const meta = item.meta || {};
  const qr = meta.questionnaire_response || meta.survey || meta;
  return (qr.answers || qr.items || qr.item || []).map((a) => ({
    question: a.linkId || a.question || a.id, text: a.text || a.question_text || a.linkId || '',
    answer: a.answer !== undefined ? (Array.isArray(a.answer) ? a.answer.map((x) => x.valueString ?? x.valueInteger ?? x.valueCoding?.display ?? JSON.stringify(x)).join('; ') : String(a.answer)) : (a.value ?? ''),
  }));
}

export async function surveyEditor(stage, ctx) {
  const { schema, item, pid } = ctx;
  const controls = (schema.controls || []).filter((c) => c.kind === 'survey_code');
  let results = ctx.getResults();
  const timeline = h('ol', { id: 'survey-timeline', class: 'card' });
  const form = h('div', { id: 'survey-form' });
  stage.append(h('div', { class: 'labeler' }, form, h('aside', { class: 'side' }, h('div', { class: 'card' }, h('h2', null, 'This patient over time'), timeline))));

  function commit(r) { results = r; ctx.onChange(results); render(); }
  function toggle(control, question, value) {
    const existing = results.find((r) => r.control === control.name && r.question === question);
    let choices = existing ? [...existing.choices] : [];
    choices = choices.includes(value) ? choices.filter((c) => c !== value) : control.multiple ? [...choices, value] : [value];
    const rest = results.filter((r) => r !== existing);
    commit(choices.length ? [...rest, { id: existing ? existing.id : newId(), control: control.name, question, choices }] : rest);
  }
  function render() {
    replace(form, answersOf(item).map((a) => h('div', { class: 'card' }, h('h2', null, a.text), h('p', { dir: 'auto' }, a.answer),
      controls.filter((c) => !c.questions || !c.questions.length || c.questions.includes(a.question)).map((c) => h('div', { class: 'palette', role: 'group', 'aria-label': `${c.title || c.name} for ${a.text}` },
        (c.labels || []).map((l, i) => {
          const r = results.find((x) => x.control === c.name && x.question === a.question);
          return h('button', { type: 'button', 'aria-pressed': String(!!(r && r.choices.includes(l.value))), style: { '--c': colorOf(l, i) }, onclick: () => toggle(c, a.question, l.value) }, l.title || l.value);
        }))))));
  }
  render();
  if (item.patient_key) {
    api.get(`/projects/${pid}/items/${item.id}/history`).then((d) => {
      const when = (x) => String(((x.meta || {}).survey || {}).authored || (x.meta || {}).authored || x.created_at || '');
      const items = listOf(d, 'items').filter((x) => x.modality === 'survey').sort((a, b) => when(a).localeCompare(when(b)));
      replace(timeline, items.map((x) => h('li', { 'aria-current': x.id === item.id ? 'true' : null }, when(x).slice(0, 10),
        x.id === item.id ? ' (this response)' : ` — ${answersOf(x).map((a) => a.answer).join('; ')}`)));
    }).catch(() => replace(timeline, h('li', { class: 'muted' }, 'Other responses are not available.')));
  }
  return { refresh(r) { results = r; render(); }, destroy() {}, handleKey() { return false; } };
}
