// Shared helpers. Everything is written to the page with textContent / DOM nodes, never as HTML.
'use strict';

const Vigil = (() => {
  let me = null;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else if (k === 'onclick') e.addEventListener('click', v);
      else e[k] = v;
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function key() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  }

  async function api(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      if (me) headers['X-CSRF-Token'] = me.csrfToken;
    }
    const res = await fetch(path, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401 && !path.startsWith('/api/login')) {
      location.href = '/login';
      throw new Error('signed out');
    }
    const data = res.headers.get('Content-Type')?.includes('json') ? await res.json() : null;
    if (!res.ok) {
      const err = new Error(data && data.message ? data.message : 'HTTP ' + res.status);
      err.code = data && data.error;
      err.status = res.status;
      throw err;
    }
    return data;
  }

  function fmtTime(ms) {
    if (ms === null || ms === undefined) return '';
    return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function fmtNum(v, digits = 3) {
    if (v === null || v === undefined || Number.isNaN(v) || v === 'NaN') return '–';
    return Number(v).toFixed(digits);
  }

  async function init(page) {
    me = await api('GET', '/api/me');
    const who = document.getElementById('who');
    if (who) who.textContent = me.username + ' (' + me.role.toLowerCase() + ')';
    const rank = { ANNOTATOR: 0, REVIEWER: 1, ADMIN: 2 };
    for (const a of document.querySelectorAll('[data-role]')) {
      a.hidden = rank[me.role] < rank[a.getAttribute('data-role')];
    }
    for (const a of document.querySelectorAll('[data-nav]')) {
      if (a.getAttribute('data-nav') === page) a.classList.add('current');
    }
    const logout = document.getElementById('logout');
    if (logout) {
      logout.addEventListener('click', async () => {
        await api('POST', '/api/logout', {});
        location.href = '/login';
      });
    }
    return me;
  }

  return { el, clear, key, api, fmtTime, fmtNum, init, me: () => me };
})();
