'use strict';
document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('login-form');
  const error = document.getElementById('login-error');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      await Vigil.api('POST', '/api/login', {
        username: document.getElementById('username').value,
        password: document.getElementById('password').value,
      });
      location.href = '/annotate';
    } catch (e) {
      error.textContent = e.message;
    }
  });
});
