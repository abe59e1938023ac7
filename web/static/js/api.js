// api.js: the one place the UI talks to the server. JSON in and out, the CSRF token on every write,
// errors turned into ApiError with the server's {"error":{"code","message","field"}}.

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `request failed with status ${status}`);
    this.status = status;
    this.code = e.code || 'error';
    this.field = e.field || '';
  }
}

let csrfToken = sessionStorage.getItem('csrf') || '';
const listeners = { offline: [], unauthorized: [] };

export function setCsrf(token) {
  csrfToken = token || '';
  if (token) sessionStorage.setItem('csrf', token); else sessionStorage.removeItem('csrf');
}

export function on(event, fn) { listeners[event].push(fn); }

export async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  let payload;
  if (body instanceof FormData || body instanceof Blob) payload = body;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch('/api/v1' + path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    listeners.offline.forEach((fn) => fn(e));
    const err = new ApiError(0, { error: { code: 'offline', message: 'the server cannot be reached; your work is kept in this browser' } });
    throw err;
  }
  if (opts.raw) {
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    return res;
  }
  const text = await res.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = null; } }
  if (!res.ok) {
    if (res.status === 401) listeners.unauthorized.forEach((fn) => fn());
    throw new ApiError(res.status, data);
  }
  return { data, res };
}

export const api = {
  get: async (p, o) => (await request('GET', p, undefined, o)).data,
  post: async (p, b, o) => (await request('POST', p, b, o)).data,
  put: async (p, b, o) => (await request('PUT', p, b, o)).data,
  patch: async (p, b, o) => (await request('PATCH', p, b, o)).data,
  del: async (p, o) => (await request('DELETE', p, undefined, o)).data,
  request,
};

// Upload with progress (fetch has no upload progress): XMLHttpRequest, still JSON errors.
export function upload(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1' + path);
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError(0, { error: { code: 'offline', message: 'upload failed: the server cannot be reached' } }));
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data); else reject(new ApiError(xhr.status, data));
    };
    xhr.send(formData);
  });
}
