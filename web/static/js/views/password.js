// password.js: change one's password; the first-run administrator must do this before anything else.
import { api } from '../api.js';
import { h, announce } from '../dom.js';
import { session, go, refreshSession } from '../app.js';

export function passwordView(main) {
  const forced = session.user && session.user.must_change_password;
  const oldp = h('input', { id: 'old-password', type: 'password', autocomplete: 'current-password', required: true });
  const newp = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', minlength: 12, required: true });
  const again = h('input', { id: 'new-password-again', type: 'password', autocomplete: 'new-password', minlength: 12, required: true });
  const error = h('p', { class: 'error-text', role: 'alert' });
  main.append(h('form', { class: 'card login', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (newp.value !== again.value) { error.textContent = 'The two new passwords differ.'; again.focus(); return; }
    try {
      await api.post('/me/password', { old_password: oldp.value, new_password: newp.value });
      await refreshSession();
      announce('Password changed.', 'ok');
      go('#/projects');
    } catch (err) { error.textContent = (err.field ? `${err.field}: ` : '') + err.message; }
  } },
  h('h1', null, forced ? 'Choose your own password' : 'Change password'),
  forced ? h('p', null, 'The one-time password printed at first start must be replaced before you continue.') : null,
  h('label', { for: 'old-password' }, 'Current password'), oldp,
  h('label', { for: 'new-password' }, 'New password (12 characters or more)'), newp,
  h('label', { for: 'new-password-again' }, 'New password again'), again,
  error, h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Change password'))));
  oldp.focus();
}
