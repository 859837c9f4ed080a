'use strict';
(() => {
  const { el, clear, api, fmtTime } = Vigil;
  document.addEventListener('DOMContentLoaded', async () => {
    await Vigil.init('audit');
    const r = await api('GET', '/api/audit?limit=500');
    const tb = clear(document.getElementById('entries'));
    for (const e of r.entries) {
      tb.appendChild(el('tr', {}, el('td', { text: String(e.id) }), el('td', { text: fmtTime(e.at) }),
        el('td', { text: e.actor }), el('td', { text: e.action }), el('td', { text: e.target }),
        el('td', { text: e.detail })));
    }
    document.body.setAttribute('data-ready', 'true');
  });
})();
