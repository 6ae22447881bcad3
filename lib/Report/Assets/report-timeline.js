// One tenant's timeline: every run in the period, newest first, with the source of each file it compiled beside it.

function runMarks(run) {
  const marks = el('span');
  if (run.rot !== undefined) marks.appendChild(el('span', 'badge rot', 'key rotation' + (str(run.rot) ? ': ' + str(run.rot) : '')));
  if (run.kc) marks.appendChild(el('span', 'badge key', 'signing key changed'));
  if (run.dry) marks.appendChild(el('span', 'badge', 'dry run'));
  if (!run.ok) marks.appendChild(el('span', 'badge bad', 'failed verification'));
  return marks;
}

function sourceBlock(subject) {
  const [name, sha, version, state] = subject;
  const box = el('div', 'panel');
  box.appendChild(el('div', 'mono', str(name) + '  ' + (str(version) || '(no version)') + '  sha256 ' + str(sha)));
  if (state === 'a') {
    const original = $('src-' + str(sha));
    const text = original ? original.querySelector('pre') : null;
    const pre = el('pre', 'src', text ? text.textContent : '');
    box.appendChild(pre);
  } else {
    box.appendChild(el('div', state === 'd' ? 'fail' : 'i', SOURCE[state]));
  }
  return box;
}

function runDetail(run) {
  const cell = el('td');
  cell.colSpan = 8;
  if (!run.ok) cell.appendChild(el('div', 'fail', 'This file failed verification: ' + str(run.why)));
  if (str(run.e)) cell.appendChild(el('div', 'fail', 'error: ' + str(run.e)));
  for (const reason of run.inc || []) cell.appendChild(el('div', 'i', 'incomplete: ' + str(reason)));
  if (run.p && run.p.length) cell.appendChild(el('div', 'mono', 'parameters: ' + run.p.map(p => str(p[0]) + '=' + str(p[1])).join(' ')));
  const steps = table(['step', 'status', 'duration', 'detail']);
  for (const s of run.s) steps.appendChild(tr([str(s[0]), str(s[1]), duration(s[2]), str(s[3])], str(s[1])));
  cell.appendChild(steps);
  if (run.x.length) {
    const checks = table(['store', 'test', 'section', 'status', 'result', 'detail']);
    for (const x of run.x) checks.appendChild(tr([str(x[0]), str(x[1]), str(x[5]), str(x[3]), str(x[2]), str(x[4])], str(x[3])));
    cell.appendChild(el('div', null, 'Checks that did not pass:'));
    cell.appendChild(checks);
  }
  cell.appendChild(el('div', null, 'Source beside evidence (every file this run compiled):'));
  for (const subject of run.u) cell.appendChild(sourceBlock(subject));
  const row = el('tr', 'detail');
  row.appendChild(cell);
  return row;
}

function showTenant(t, openFile) {
  const tenant = D.tenants[t], panel = $('tenant');
  panel.textContent = '';
  panel.appendChild(el('h2', null, 'Timeline: tenant ' + tenant.id));
  const runs = table(['started (UTC)', 'runbook', 'version', 'result', 'duration', 'checks p/f/s/i', 'evidence', '']);
  let open = null;
  for (let i = tenant.runs[0] + tenant.runs[1] - 1; i >= tenant.runs[0]; i--) {
    const run = D.runs[i];
    const row = tr([run.t.replace('T', ' ').slice(0, 19), str(run.rb), str(run.v), run.o, duration(run.d), run.c.join('/'),
      run.f.slice(run.f.lastIndexOf('/') + 1) + ' ' + run.h.slice(0, 12), runMarks(run)], 'run ' + run.o);
    row.title = 'click for steps, checks and the source that ran';
    row.addEventListener('click', () => {
      const next = row.nextSibling;
      if (next && next.className === 'detail') next.remove(); else row.after(runDetail(run));
    });
    runs.appendChild(row);
    if (openFile && run.f.endsWith('/' + openFile)) open = row;
  }
  panel.appendChild(runs);
  panel.hidden = false;
  if (open) { open.click(); open.scrollIntoView(); } else panel.scrollIntoView();
}

window.addEventListener('hashchange', route);
applyFilters();
route();
