// Reviewer: agreement figures, and conflicts to resolve.
'use strict';
(() => {
  const $ = id => document.getElementById(id);
  const { el, clear, api, fmtNum, fmtTime } = Vigil;

  function status(msg, kind) {
    $('status').textContent = msg;
    $('status').className = 'status' + (kind ? ' ' + kind : '');
  }

  async function loadQuality() {
    const q = await api('GET', '/api/quality');
    $('fleiss').textContent = 'Fleiss\u2019 κ over ' + q.itemsWithSeveralRatings + ' items with several ratings: '
      + fmtNum(q.fleissKappa) + ' · unresolved conflicts: ' + q.unresolvedConflicts;
    const a = clear($('annotators'));
    for (const r of q.annotators) {
      a.appendChild(el('tr', {}, el('td', { text: r.annotator }), el('td', { text: String(r.items) }),
        el('td', { text: fmtNum(r.kappa) }), el('td', { text: fmtNum(r.percentAgreement * 100, 0) + '%' })));
    }
    const p = clear($('pairs'));
    for (const r of q.pairs) {
      p.appendChild(el('tr', {}, el('td', { text: r.a + ' – ' + r.b }), el('td', { text: String(r.items) }),
        el('td', { text: fmtNum(r.kappa) })));
    }
  }

  async function loadConflicts() {
    const r = await api('GET', '/api/conflicts');
    const ul = clear($('conflicts'));
    $('no-conflicts').hidden = r.conflicts.length > 0;
    for (const c of r.conflicts) {
      const note = el('input', { placeholder: 'why (optional)', maxLength: 2000, class: 'resolution' });
      const li = el('li', { 'data-sample': c.sampleId },
        el('div', {}, el('strong', { text: c.entity }), ' · ', el('code', { text: c.sampleId })),
        el('ul', { class: 'answers' }, ...c.labels.map(l => el('li', {},
          el('span', { class: 'who', text: l.annotator }), ': ',
          el('span', { class: 'lab lab-' + l.label.toLowerCase(), text: l.label.toLowerCase() }),
          l.note ? el('span', { class: 'muted', text: ' — ' + l.note }) : null,
          ' ', el('span', { class: 'muted', text: fmtTime(l.labeledAt) })))));
      const row = el('div', { class: 'close-row' }, note);
      for (const lab of ['ANOMALY', 'NORMAL', 'UNSURE']) {
        row.appendChild(el('button', { type: 'button', class: lab.toLowerCase(), 'data-resolve': lab,
          text: 'Final: ' + lab.toLowerCase(), onclick: async () => {
            try {
              await api('POST', '/api/conflicts/' + encodeURIComponent(c.sampleId) + '/resolve',
                { label: lab, note: note.value || null, idempotencyKey: Vigil.key() });
              status('Resolved ' + c.sampleId + ' as ' + lab.toLowerCase(), 'ok');
              await Promise.all([loadConflicts(), loadQuality()]);
            } catch (e) { status(e.message, 'error'); }
          } }));
      }
      li.appendChild(row);
      ul.appendChild(li);
    }
  }

  document.addEventListener('DOMContentLoaded', async () => {
    await Vigil.init('review');
    await Promise.all([loadQuality(), loadConflicts()]);
    document.body.setAttribute('data-ready', 'true');
  });
})();
