// drafts.js: unsent labeling work kept in this browser's localStorage, so a reload, a crash or a lost
// connection loses nothing. A draft can hold PHI (span text is sliced from the note), so it lives no
// longer than it must: it is removed on submit, all of a user's drafts go when they sign out, and any
// draft older than DRAFT_TTL_MS is purged when the app starts (a shared workstation after a shift).
const PREFIX = 'medlabel:draft:';
export const DRAFT_TTL_MS = 12 * 60 * 60 * 1000;

const key = (uid, pid, tid) => `${PREFIX}${uid}:${pid}:${tid}`;

export function saveDraft(uid, pid, tid, results) {
  try {
    localStorage.setItem(key(uid, pid, tid), JSON.stringify({ results, at: Date.now() }));
  } catch { /* storage full or disabled: the work is still on screen, only the crash safety net is lost */ }
}

// The draft's results, or null when there is none (or it is unreadable).
export function loadDraft(uid, pid, tid) {
  const raw = localStorage.getItem(key(uid, pid, tid));
  if (!raw) return null;
  try {
    const d = JSON.parse(raw);
    return Array.isArray(d.results) ? d.results : null;
  } catch {
    return null;
  }
}

export function removeDraft(uid, pid, tid) {
  localStorage.removeItem(key(uid, pid, tid));
}

// Removes the drafts for which keep(uid, at) is false; returns how many went.
function sweep(keep) {
  const doomed = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (!k || !k.startsWith(PREFIX)) continue;
    const uid = Number(k.slice(PREFIX.length).split(':')[0]);
    let at = 0;
    try { at = Number(JSON.parse(localStorage.getItem(k)).at) || 0; } catch { /* unreadable: at 0, purged */ }
    if (!keep(uid, at)) doomed.push(k);
  }
  doomed.forEach((k) => localStorage.removeItem(k));
  return doomed.length;
}

export function discardUserDrafts(uid) {
  return sweep((u) => u !== uid);
}

export function purgeExpiredDrafts(now = Date.now()) {
  return sweep((_, at) => now - at < DRAFT_TTL_MS);
}
