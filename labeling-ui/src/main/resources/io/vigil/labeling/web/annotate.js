// The annotator screen: one task at a time, decided with the keyboard.
'use strict';
(() => {
  const $ = id => document.getElementById(id);
  const state = { task: null, key: null, picked: new Set(), busy: false, charts: [] };
  const REASONS = {
    UNCERTAIN: 'uncertain', DRIFT: 'drift', DISAGREEMENT: 'disagreement', AUDIT: 'audit',
    INCIDENT_FOLLOW_UP: 'incident follow-up — still happening?', OTHER: 'other',
  };
  const MAX_CHARTS = 6;

  function status(msg, kind) {
    const s = $('status');
    s.textContent = msg;
    s.className = 'status' + (kind ? ' ' + kind : '');
  }

  async function loadNext() {
    const r = await Vigil.api('GET', '/api/next');
    render(r.task);
    refreshSide();
  }

  function render(task) {
    state.task = task;
    state.key = Vigil.key();
    state.picked = new Set();
    for (const c of state.charts) c.destroy();
    state.charts = [];
    $('note').value = '';
    $('empty').hidden = !!task;
    $('task-body').hidden = !task;
    $('task-body').setAttribute('data-sample', task ? task.sampleId : '');
    if (!task) return;
    $('reason').textContent = REASONS[task.reason] || task.reason;
    $('reason').className = 'reason r-' + task.reason.toLowerCase();
    $('entity').textContent = task.entity;
    $('window').textContent = Vigil.fmtTime(task.windowStart) + ' → ' + Vigil.fmtTime(task.windowEnd);
    const tag = $('incident-tag');
    tag.hidden = !task.incidentId;
    tag.textContent = task.incidentId ? 'incident ' + task.incidentId : '';
    const m = task.model;
    $('score').textContent = m ? Vigil.fmtNum(m.score) : '–';
    $('uncertainty').textContent = m ? Vigil.fmtNum(m.uncertainty) : '–';
    $('threshold').textContent = m ? Vigil.fmtNum(m.threshold) : '–';
    $('model-name').textContent = m ? m.name + ' v' + m.version : 'no prediction';
    renderAttributions();
    renderCharts(task);
  }

  function candidates() {
    const t = state.task;
    const names = t.attributions.map(a => a.metric);
    for (const n of Object.keys(t.series.metrics)) if (!names.includes(n)) names.push(n);
    return names.slice(0, 9);
  }

  function renderAttributions() {
    const ol = Vigil.clear($('attributions'));
    const shares = new Map(state.task.attributions.map(a => [a.metric, a.share]));
    candidates().forEach((name, i) => {
      const li = Vigil.el('li', { class: state.picked.has(name) ? 'picked' : '', 'data-metric': name },
        Vigil.el('kbd', { text: String(i + 1) }), ' ',
        Vigil.el('span', { class: 'metric', text: name }),
        shares.has(name) ? Vigil.el('span', { class: 'share', text: (shares.get(name) * 100).toFixed(0) + '%' }) : null,
        state.picked.has(name) ? Vigil.el('span', { class: 'mark', text: 'root cause' }) : null);
      li.addEventListener('click', () => toggle(i));
      ol.appendChild(li);
    });
  }

  function toggle(i) {
    const name = candidates()[i];
    if (!name) return;
    if (state.picked.has(name)) state.picked.delete(name); else state.picked.add(name);
    renderAttributions();
  }

  function renderCharts(task) {
    const box = Vigil.clear($('charts'));
    const s = task.series;
    if (!s.times.length) {
      box.appendChild(Vigil.el('p', { class: 'muted', text: 'No raw metrics came with this request.' }));
      return;
    }
    const xs = s.times.map(t => t / 1000);
    let w0 = null, w1 = null;
    s.inWindow.forEach((inw, i) => { if (inw) { if (w0 === null) w0 = xs[i]; w1 = xs[i]; } });
    if (w0 === null) { w0 = task.windowStart / 1000; w1 = task.windowEnd / 1000; }
    const highlight = {
      hooks: {
        drawClear: [u => {
          const a = u.valToPos(w0, 'x', true), b = u.valToPos(w1, 'x', true);
          u.ctx.save();
          u.ctx.fillStyle = 'rgba(245, 158, 11, 0.20)';
          u.ctx.fillRect(a, u.bbox.top, Math.max(b - a, 2), u.bbox.height);
          u.ctx.restore();
        }],
      },
    };
    const blamed = new Set(task.attributions.map(a => a.metric));
    const width = Math.max(320, box.clientWidth - 8);
    Object.entries(s.metrics).slice(0, MAX_CHARTS).forEach(([name, values]) => {
      const holder = Vigil.el('div', { class: 'chart' + (blamed.has(name) ? ' blamed' : '') });
      box.appendChild(holder);
      const opts = {
        title: name, width, height: 120, plugins: [highlight],
        tzDate: ts => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
        legend: { show: false }, cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{ size: 28 }, { size: 50 }],
        series: [{}, { label: name, stroke: blamed.has(name) ? '#dc2626' : '#2563eb', width: 1.5, spanGaps: false }],
      };
      state.charts.push(new uPlot(opts, [xs, values], holder));
    });
  }

  async function submit(label) {
    if (!state.task || state.busy) return;
    state.busy = true;
    const task = state.task;
    try {
      const r = await Vigil.api('POST', '/api/tasks/' + encodeURIComponent(task.sampleId) + '/label', {
        label, rootCauses: Array.from(state.picked), note: $('note').value || null, idempotencyKey: state.key,
      });
      const l = r.label;
      let msg = 'Labeled ' + l.label.toLowerCase() + ' · ' + task.entity;
      if (l.incidentAction === 'OPENED') msg += ' · incident opened';
      if (l.incidentAction === 'CONTINUED') msg += ' · incident continues';
      if (l.incidentAction === 'CLOSED') msg += ' · incident closed';
      status(msg, 'ok');
      await loadNext();
    } catch (e) {
      status(e.message, 'error');
      if (e.code === 'LEASE_EXPIRED' || e.code === 'FORBIDDEN') await loadNext();
    } finally {
      state.busy = false;
    }
  }

  async function undo() {
    if (state.busy) return;
    state.busy = true;
    try {
      const r = await Vigil.api('POST', '/api/undo', { idempotencyKey: Vigil.key() });
      status('Undone: ' + r.label.label.toLowerCase() + ' on ' + r.label.entity + ' — label it again', 'ok');
      await loadNext();
    } catch (e) {
      status(e.message, 'error');
    } finally {
      state.busy = false;
    }
  }

  async function refreshSide() {
    const p = await Vigil.api('GET', '/api/progress');
    $('done-today').textContent = String(p.doneToday);
    $('left').textContent = String(p.leftInQueue);
    document.body.setAttribute('data-done-today', String(p.doneToday));
    const r = await Vigil.api('GET', '/api/incidents?status=open');
    const ul = Vigil.clear($('incidents'));
    if (!r.incidents.length) ul.appendChild(Vigil.el('li', { class: 'muted', text: 'none' }));
    for (const inc of r.incidents) {
      const follow = inc.followUps.filter(f => f.status === 'OPEN').length;
      const input = Vigil.el('input', { placeholder: 'resolution note', maxLength: 2000, class: 'resolution' });
      const btn = Vigil.el('button', { type: 'button', text: 'Close' });
      btn.addEventListener('click', async () => {
        try {
          await Vigil.api('POST', '/api/incidents/' + encodeURIComponent(inc.incidentId) + '/close',
            { resolution: input.value, idempotencyKey: Vigil.key() });
          status('Incident on ' + inc.entity + ' closed', 'ok');
          refreshSide();
        } catch (e) { status(e.message, 'error'); }
      });
      ul.appendChild(Vigil.el('li', { 'data-incident': inc.incidentId },
        Vigil.el('strong', { text: inc.entity }), ' since ' + Vigil.fmtTime(inc.openedAt) + ' by ' + inc.openedBy,
        Vigil.el('div', { class: 'muted', text: follow + ' follow-up request(s) waiting ("still happening?")' }),
        Vigil.el('div', { class: 'close-row' }, input, btn)));
    }
  }

  document.addEventListener('keydown', (ev) => {
    const inField = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement;
    if (inField) {
      if (ev.key === 'Escape' || (ev.key === 'Enter' && ev.target.id === 'note')) {
        ev.preventDefault();
        ev.target.blur();
      }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key.toLowerCase();
    const map = { a: 'ANOMALY', n: 'NORMAL', u: 'UNSURE', s: 'SKIP' };
    if (map[k]) { ev.preventDefault(); submit(map[k]); }
    else if (k === 'z') { ev.preventDefault(); undo(); }
    else if (k === '/') { ev.preventDefault(); $('note').focus(); }
    else if (/^[1-9]$/.test(k) && state.task) { ev.preventDefault(); toggle(Number(k) - 1); }
  });

  document.addEventListener('DOMContentLoaded', async () => {
    for (const b of document.querySelectorAll('button[data-label]')) {
      b.addEventListener('click', () => submit(b.getAttribute('data-label')));
    }
    $('undo').addEventListener('click', undo);
    await Vigil.init('annotate');
    await loadNext();
    document.body.setAttribute('data-ready', 'true');
  });
})();
