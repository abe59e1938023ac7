// login.js: sign in with a name and password.
import { api } from '../api.js';
import { h } from '../dom.js';
import { signedIn, go } from '../app.js';

export function loginView(main) {
  const name = h('input', { id: 'login-name', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error-text', role: 'alert' });
  const submit = h('button', { class: 'primary', type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'card login', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      const data = await api.post('/login', { name: name.value, password: password.value });
      signedIn(data);
      go(data.must_change_password ? '#/password' : '#/projects');
    } catch (err) {
      error.textContent = err.status === 429 ? 'Too many attempts; wait a minute and try again.' : err.message;
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
    }
  } },
  h('h1', null, 'Sign in to medlabel'),
  h('label', { for: 'login-name' }, 'User name'), name,
  h('label', { for: 'login-password' }, 'Password'), password,
  error, h('div', { class: 'row' }, submit));
  main.appendChild(form);
  name.focus();
}
