// Reviewer: champion vs challenger, alias history, approve or reject a promotion.
'use strict';
(() => {
  const $ = id => document.getElementById(id);
  const { el, clear, api, fmtNum, fmtTime } = Vigil;
  let overview = null;

  function status(msg, kind) {
    $('status').textContent = msg;
    $('status').className = 'status' + (kind ? ' ' + kind : '');
  }

  async function load() {
    overview = await api('GET', '/api/models');
    $('model-name').textContent = overview.modelName;
    $('registry-state').textContent = !overview.registryConfigured ? 'No model registry is configured.'
      : (overview.registryError || '');
    const ch = overview.champion, cl = overview.challenger;
    $('champ-head').textContent = ch ? 'champion v' + ch.version : 'champion (none)';
    $('chall-head').textContent = cl ? 'challenger v' + cl.version : 'challenger (none)';
    const keys = new Set([...Object.keys(ch ? ch.metrics : {}), ...Object.keys(cl ? cl.metrics : {})]);
    const tb = clear($('metrics'));
    for (const k of Array.from(keys).sort()) {
      const a = ch ? ch.metrics[k] : undefined, b = cl ? cl.metrics[k] : undefined;
      const d = (a !== undefined && b !== undefined) ? b - a : undefined;
      tb.appendChild(el('tr', {}, el('td', { text: k }), el('td', { text: fmtNum(a, 4) }),
        el('td', { text: fmtNum(b, 4) }),
        el('td', { class: d === undefined ? '' : (d >= 0 ? 'up' : 'down'), text: d === undefined ? '–' : (d >= 0 ? '+' : '') + d.toFixed(4) })));
    }
    $('decide').hidden = !cl || (ch && ch.version === cl.version);
    const h = clear($('history'));
    for (const e of overview.history) {
      h.appendChild(el('tr', {}, el('td', { text: fmtTime(e.timestamp) }), el('td', { text: e.alias }),
        el('td', { text: e.version }), el('td', { text: e.previousVersion || '–' }),
        el('td', { text: e.actor }), el('td', { text: e.reason || '' })));
    }
    const ds = clear($('decisions'));
    for (const d of overview.decisions) {
      ds.appendChild(el('tr', {}, el('td', { text: fmtTime(d.decidedAt) }), el('td', { text: d.version }),
        el('td', { text: d.decision.toLowerCase() }), el('td', { text: d.actor }), el('td', { text: d.reason })));
    }
  }

  async function decide(decision) {
    const reason = $('reason').value.trim();
    if (!reason) { status('Give a reason first.', 'error'); return; }
    try {
      const d = await api('POST', '/api/models/decision',
        { version: overview.challenger.version, decision, reason });
      status('Promotion of v' + d.version + ' ' + d.decision.toLowerCase(), 'ok');
      $('reason').value = '';
      await load();
    } catch (e) { status(e.message, 'error'); }
  }

  document.addEventListener('DOMContentLoaded', async () => {
    $('approve').addEventListener('click', () => decide('approve'));
    $('reject').addEventListener('click', () => decide('reject'));
    await Vigil.init('models');
    await load();
    document.body.setAttribute('data-ready', 'true');
  });
})();
