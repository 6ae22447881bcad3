// The tenants x checks matrix: rows are rendered only while they are in view, so 1,000 tenants x 50 checks
// stays as fast as 10 (the row height is fixed, the body's height is set, and a scroll redraws the visible slice).
const ROW_H = 24;
const grid = $('grid'), head = $('grid-head'), body = $('grid-body');
let cols = [], rows = [], searchText = [];

function cellStatus(t, c) { return D.tenants[t].cells.charAt(c) || '-'; }

function buildHeader() {
  head.textContent = '';
  const stores = el('div', 'hrow'), tests = el('div', 'hrow');
  stores.appendChild(el('div', 'corner', rows.length + ' of ' + D.tenants.length + ' tenants'));
  tests.appendChild(el('div', 'corner', 'tenant'));
  let i = 0;
  while (i < cols.length) {
    const store = D.columns[cols[i]].store;
    let n = 0;
    while (i + n < cols.length && D.columns[cols[i + n]].store === store) n++;
    const s = el('div', 'hstore', store);
    s.style.width = (n * 24) + 'px';
    s.title = store;
    stores.appendChild(s);
    i += n;
  }
  for (const c of cols) {
    const col = D.columns[c];
    const h = el('div', 'htest', col.test);
    h.title = col.store + ' ' + col.test + ' (' + col.section + ')';
    tests.appendChild(h);
  }
  head.appendChild(stores);
  head.appendChild(tests);
}

function renderRows() {
  const first = Math.max(0, Math.floor(grid.scrollTop / ROW_H) - 10);
  const last = Math.min(rows.length, Math.ceil((grid.scrollTop + grid.clientHeight) / ROW_H) + 10);
  const frag = document.createDocumentFragment();
  const width = (180 + cols.length * 24) + 'px';
  for (let r = first; r < last; r++) {
    const t = rows[r], tenant = D.tenants[t];
    const row = el('div', 'row');
    row.style.top = (r * ROW_H) + 'px';
    row.style.width = width;
    const name = el('div', 'tn' + (tenant.bad ? ' bad' : ''), (tenant.bad ? '\u26a0 ' : '') + tenant.id);
    name.title = tenant.bad ? 'latest verify failed verification: ' + str(tenant.why) : (tenant.latest < 0 ? 'no verify run' : 'show timeline');
    name.dataset.t = t;
    row.appendChild(name);
    for (const c of cols) {
      const st = cellStatus(t, c);
      const cell = el('div', 'c ' + (tenant.bad && st !== '-' ? 'x ' : '') + st, GLYPH[st]);
      const col = D.columns[c];
      cell.title = col.store + ' ' + col.test + ': ' + STATUS[st] + (st === '-' ? '' : ' (' + str(tenant.r[c]) + ') ' + str(tenant.dt[c]));
      cell.dataset.t = t;
      cell.dataset.c = c;
      row.appendChild(cell);
    }
    frag.appendChild(row);
  }
  body.textContent = '';
  body.appendChild(frag);
}

function rowText(t) {
  if (searchText[t] === undefined) {
    const tenant = D.tenants[t], parts = [tenant.id];
    for (let c = 0; c < D.columns.length; c++) {
      if (cellStatus(t, c) === '-') continue;
      parts.push(D.columns[c].store, D.columns[c].test, str(tenant.r[c]), str(tenant.dt[c]), STATUS[cellStatus(t, c)]);
    }
    searchText[t] = parts.join('\n').toLowerCase();
  }
  return searchText[t];
}

function applyFilters() {
  const store = $('f-store').value, status = $('f-status').value;
  const who = $('f-tenant').value.trim().toLowerCase(), q = $('f-search').value.trim().toLowerCase();
  cols = [];
  for (let c = 0; c < D.columns.length; c++) if (!store || D.columns[c].store === store) cols.push(c);
  rows = [];
  for (let t = 0; t < D.tenants.length; t++) {
    const tenant = D.tenants[t];
    if (who && tenant.id.indexOf(who) < 0) continue;
    if (status === 'problem' && !(tenant.bad || tenant.latest < 0 || cols.some(c => 'fi'.indexOf(cellStatus(t, c)) >= 0))) continue;
    if (status && status !== 'problem' && !cols.some(c => cellStatus(t, c) === status)) continue;
    if (q && rowText(t).indexOf(q) < 0) continue;
    rows.push(t);
  }
  body.style.height = (rows.length * ROW_H) + 'px';
  $('f-count').textContent = rows.length + ' of ' + D.tenants.length + ' tenants, ' + cols.length + ' of ' + D.columns.length + ' checks';
  buildHeader();
  renderRows();
}

function showCell(t, c) {
  const tenant = D.tenants[t], col = D.columns[c], st = cellStatus(t, c), box = $('cell-detail');
  box.textContent = '';
  box.appendChild(el('strong', null, tenant.id + ' \u00b7 ' + col.store + ' ' + col.test + ' (' + col.section + ')'));
  box.appendChild(el('div', 'c-status ' + STATUS[st], STATUS[st] + (st === '-' ? '' : ': ' + str(tenant.r[c]))));
  if (st !== '-') box.appendChild(el('div', 'mono', str(tenant.dt[c])));
  if (tenant.latest >= 0) {
    const run = D.runs[tenant.latest];
    box.appendChild(el('div', 'muted', 'evidence ' + run.f + ' sha256 ' + run.h + (run.ok ? ' (verified)' : ' (FAILED VERIFICATION: ' + str(run.why) + ')')));
  }
  box.hidden = false;
}

let pending = 0, timer = 0;
grid.addEventListener('scroll', () => { if (!pending) pending = requestAnimationFrame(() => { pending = 0; renderRows(); }); });
grid.addEventListener('click', (e) => {
  const target = e.target;
  if (!(target instanceof HTMLElement) || target.dataset.t === undefined) return;
  if (target.dataset.c !== undefined) showCell(+target.dataset.t, +target.dataset.c);
  else location.hash = 'tenant=' + encodeURIComponent(D.tenants[+target.dataset.t].id);
});
for (const id of ['f-store', 'f-status']) $(id).addEventListener('change', applyFilters);
for (const id of ['f-tenant', 'f-search']) $(id).addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(applyFilters, 120); });
for (const s of D.stores) $('f-store').appendChild(el('option', null, s));
