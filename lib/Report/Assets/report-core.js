// Shared by the report's scripts (concatenated into one inline script, inside one function scope).
// Every value from the evidence reaches the page through textContent, title or a class chosen from a fixed list:
// never innerHTML, never a URL.
const D = JSON.parse(document.getElementById('report-data').textContent);
const S = D.strings;
const $ = (id) => document.getElementById(id);
const STATUS = { p: 'pass', f: 'fail', s: 'skipped', i: 'incomplete', '-': 'no check' };
const GLYPH = { p: '\u2713', f: '\u2717', s: '\u2013', i: '?', '-': '' };
const SOURCE = { a: 'source shown', d: 'source differs from what ran', n: 'source not available', x: 'not shown: evidence failed verification' };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function str(i) { return (i === undefined || i === null) ? '' : S[i]; }

function tr(cells, cls) {
  const row = el('tr', cls);
  for (const c of cells) {
    const td = el('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? '' : String(c);
    row.appendChild(td);
  }
  return row;
}

function table(headers) {
  const t = el('table', 't');
  const head = el('tr');
  for (const h of headers) head.appendChild(el('th', null, h));
  t.appendChild(head);
  return t;
}

function duration(ms) {
  if (ms === null || ms === undefined) return '';
  return ms < 1000 ? Math.round(ms) + ' ms' : (ms / 1000).toFixed(1) + ' s';
}

function tenantIndex(id) {
  for (let i = 0; i < D.tenants.length; i++) if (D.tenants[i].id === id) return i;
  return -1;
}

// #tenant=<id>&run=<evidence file name>: a link an auditor can paste into a ticket.
function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  const t = tenantIndex(params.get('tenant') || '');
  if (t >= 0) showTenant(t, params.get('run'));
}
