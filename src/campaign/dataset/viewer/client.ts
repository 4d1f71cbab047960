/**
 * The viewer's script, inlined in report.html (and allowed by its hash in the page's Content-Security-Policy). It
 * loads viewer/index.js, then each conversation's file when it is opened, with `<script>` elements: those run from
 * a page opened as a file, where fetch() is refused. Every text from the files goes into the page as a text node
 * (textContent), never as markup: conversation text is untrusted model output. The view (filters, page, the open
 * conversation, the compared pair or cell) lives in the URL's fragment, so a reload or a shared link shows the same.
 * Plain ES2017, no libraries; written as a string (no template placeholders, no backticks inside).
 */
export const VIEWER_SCRIPT = String.raw`
(function () {
  'use strict';
  var PAGE_ROWS = 100;
  var ITEM = /^[0-9a-f]{12}$/;
  var FILTERS = ['q', 'state', 'end', 'flag', 'seed', 'pair', 'cell'];
  var doc = document;
  var byId = function (id) { return doc.getElementById(id); };
  var field = function (f) { return byId(f === 'q' ? 'filter' : 'f-' + f); };
  var index = null;
  var rowsByItem = {};
  var filtered = [];
  var view = { page: 0, open: null, vs: null, filters: {} };
  var conversations = {};
  var waiting = {};

  function el(tag, attrs, children) {
    var node = doc.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'class') node.className = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === '') return;
      node.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
    });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function int(n) { return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function usd(n) { return '$' + n.toFixed(4); }
  function relative(href) { return typeof href === 'string' && !/^[a-z][a-z0-9+.-]*:|^\/\//i.test(href) ? href : undefined; }
  function variantOf(row) { return row.pair + '.' + row.cell; }
  function variantLabel(key) {
    var parts = key.split('.');
    var pair = index.pairs.filter(function (p) { return String(p.index) === parts[0]; })[0];
    var cell = index.cells[Number(parts[1])];
    return 'pair ' + (pair ? pair.label : parts[0]) + ' · ' + (cell ? cell.label : '');
  }

  // --- the fragment: #q=…&state=…&open=<item>&vs=<pair.cell>
  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ''));
    view.filters = {};
    FILTERS.forEach(function (f) { var v = params.get(f); if (v) view.filters[f] = v; });
    view.page = Math.max(0, Number(params.get('page')) || 0);
    var open = params.get('open');
    view.open = open && rowsByItem[open] ? open : null;
    view.vs = view.open ? params.get('vs') : null;
  }
  function writeHash() {
    var params = new URLSearchParams();
    FILTERS.forEach(function (f) { if (view.filters[f]) params.set(f, view.filters[f]); });
    if (view.page) params.set('page', String(view.page));
    if (view.open) params.set('open', view.open);
    if (view.open && view.vs) params.set('vs', view.vs);
    var hash = params.toString();
    history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search);
  }

  // --- filters
  function matches(row) {
    var f = view.filters;
    if (f.state && row.state !== f.state) return false;
    if (f.end && row.end !== f.end) return false;
    if (f.flag && row.flags.indexOf(f.flag) < 0) return false;
    if (f.seed && row.seed !== f.seed) return false;
    if (f.pair && String(row.pair) !== f.pair) return false;
    if (f.cell && String(row.cell) !== f.cell) return false;
    if (f.q) {
      var text = [row.index, row.seed, row.item, row.state, row.end, row.flags.join(' '),
        index.cells[row.cell] ? index.cells[row.cell].label : ''].join(' ').toLowerCase();
      if (text.indexOf(f.q.toLowerCase()) < 0) return false;
    }
    return true;
  }
  function options(select, values, label) {
    values.forEach(function (v) { select.appendChild(el('option', { value: v[0], text: label ? label(v) : v[1] })); });
  }
  function distinct(key) {
    var seen = {};
    index.rows.forEach(function (r) { if (r[key] !== '') seen[r[key]] = true; });
    return Object.keys(seen).sort();
  }
  function buildFilters() {
    options(byId('f-state'), distinct('state').map(function (s) { return [s, s]; }));
    options(byId('f-end'), distinct('end').map(function (s) { return [s, s]; }));
    var flags = {};
    index.rows.forEach(function (r) { r.flags.forEach(function (f) { flags[f] = (flags[f] || 0) + 1; }); });
    options(byId('f-flag'), Object.keys(flags).map(function (f) { return [f, f + ' (' + int(flags[f]) + ')']; }));
    options(byId('f-pair'), index.pairs.map(function (p) { return [String(p.index), p.label]; }));
    options(byId('f-cell'), index.cells.map(function (c, i) { return [String(i), c.label]; }));
    var seeds = distinct('seed');
    if (seeds.length <= 2000) options(byId('f-seeds'), seeds.map(function (s) { return [s, s]; }));
    FILTERS.forEach(function (f) {
      var input = field(f);
      input.addEventListener(input.tagName === 'SELECT' ? 'change' : 'input', function () {
        if (input.value) view.filters[f] = input.value; else delete view.filters[f];
        view.page = 0;
        refilter();
        render();
      });
    });
  }
  function showFilters() {
    FILTERS.forEach(function (f) { field(f).value = view.filters[f] || ''; });
  }
  function refilter() { filtered = index.rows.filter(matches); }

  // --- the table, a page at a time
  function flagChips(flags) {
    return el('span', { class: 'flags' }, flags.map(function (f) { return el('span', { class: 'flag', text: f }); }));
  }
  function link(href, text) { var h = relative(href); return h ? el('a', { href: h, text: text }) : null; }
  function rowOf(r) {
    var cell = index.cells[r.cell];
    return el('tr', { 'data-item': r.item, class: view.open === r.item ? 'current' : null, title: r.note }, [
      el('td', {}, [el('button', { type: 'button', class: 'open', 'data-open': r.item, text: String(r.index),
        title: 'open this conversation' })]),
      el('td', {}, [el('button', { type: 'button', class: 'seed', 'data-seed': r.seed, text: r.seed,
        title: 'show only this seed' })]),
      el('td', { class: 'num', text: r.pair }),
      el('td', { text: cell ? cell.label : '' }),
      el('td', { class: 'num', text: r.repeat }),
      el('td', {}, [el('span', { class: 'state ' + r.state, text: r.state })]),
      el('td', { text: r.end }),
      el('td', { class: 'num', text: r.turns === null ? '' : int(r.turns) }),
      el('td', { class: 'num', text: r.tokens === null ? '' : int(r.tokens) }),
      el('td', { class: 'num', text: r.costUsd === null ? '' : usd(r.costUsd) }),
      el('td', {}, [flagChips(r.flags)]),
      el('td', { class: 'num', text: r.judge === undefined ? '' : r.judge === null ? '–' : r.judge }),
      el('td', {}, [link(r.csv, 'csv'), r.csv && r.jsonl ? ' ' : '', link(r.jsonl, 'jsonl')]),
    ]);
  }
  function pages() { return Math.max(1, Math.ceil(filtered.length / PAGE_ROWS)); }
  function renderTable() {
    view.page = Math.min(view.page, pages() - 1);
    var body = clear(byId('items').tBodies[0]);
    filtered.slice(view.page * PAGE_ROWS, (view.page + 1) * PAGE_ROWS).forEach(function (r) { body.appendChild(rowOf(r)); });
    byId('shown').textContent = int(filtered.length) + ' of ' + int(index.rows.length) + ' conversations';
    byId('page-of').textContent = 'page ' + int(view.page + 1) + ' of ' + int(pages());
    byId('page-prev').disabled = view.page === 0;
    byId('page-next').disabled = view.page >= pages() - 1;
  }

  // --- a conversation as a chat
  function load(item, done) {
    if (!ITEM.test(item)) return;
    if (conversations[item]) { if (done) done(); return; }
    if (waiting[item]) { if (done) waiting[item].push(done); return; }
    waiting[item] = done ? [done] : [];
    var script = el('script', { src: 'viewer/conversations/' + item + '.js' });
    script.onerror = function () { conversations[item] = { missing: true }; finish(item); };
    script.onload = function () { script.remove(); if (!conversations[item]) { conversations[item] = { missing: true }; finish(item); } };
    doc.head.appendChild(script);
  }
  function finish(item) { var cbs = waiting[item] || []; delete waiting[item]; cbs.forEach(function (cb) { cb(); }); }

  function meta(text, cls) { return el('span', { class: cls || 'meta', text: text }); }
  function bubble(side, label, reply, turn) {
    var facts = [];
    if (reply) {
      facts.push(int(reply.latencyMs) + ' ms' + (reply.batch ? ' (batch)' : ''));
      facts.push(int(reply.inputTokens) + ' in / ' + int(reply.outputTokens) + ' out tokens');
      if (reply.resamples) facts.push('resampled ×' + reply.resamples);
    }
    return el('div', { class: 'msg ' + side, 'data-turn': turn, 'data-side': side }, [
      el('div', { class: 'head' }, [
        el('b', { text: 'turn ' + turn }), ' · ', label,
        reply ? ' · ' + reply.model : '',
        facts.length ? meta(' · ' + facts.join(' · ')) : null,
        reply ? flagChips(reply.flags) : null,
      ]),
      el('div', { class: 'text', text: reply ? reply.text : '' }),
    ]);
  }
  function chat(conv) {
    var nodes = [];
    conv.turns.forEach(function (t, i) {
      var previous = conv.turns[i - 1];
      if (!previous || previous.local.text !== t.query) {
        var q = bubble(i === 0 ? 'seed' : 'local', i === 0 ? 'seed' : 'query', null, t.turn);
        q.lastChild.textContent = t.query;
        nodes.push(q);
      }
      nodes.push(bubble('cloud', 'cloud answers', t.cloud, t.turn));
      nodes.push(bubble('local', i === conv.turns.length - 1 ? 'local asks (not answered)' : 'local asks', t.local, t.turn));
    });
    return el('div', { class: 'chat' }, nodes);
  }
  function summary(r) {
    var cell = index.cells[r.cell];
    var parts = [
      el('b', { text: '#' + r.index + ' ' + r.seed }),
      ' · pair ' + (index.pairs.filter(function (p) { return p.index === r.pair; })[0] || { label: r.pair }).label,
      ' · ' + (cell ? cell.label : ''),
      ' · repeat ' + r.repeat + ' · ',
      el('span', { class: 'state ' + r.state, text: r.state }),
      r.end ? ' · ' + r.end : '',
      r.turns === null ? '' : ' · ' + int(r.turns) + ' turns',
      r.tokens === null ? '' : ' · ' + int(r.tokens) + ' tokens',
      r.costUsd === null ? '' : ' · ' + usd(r.costUsd),
      r.judge === undefined ? '' : el('span', { class: 'judge', 'data-judge': r.judge === null ? '' : r.judge,
        text: ' · judge ' + (r.judge === null ? 'no score' : r.judge + '/10') }),
      ' ', flagChips(r.flags),
      r.nearDuplicateOf ? meta(' near-duplicate of ' + r.nearDuplicateOf) : null,
      r.droppedBy ? meta(' dropped by ' + r.droppedBy.join(', ')) : null,
    ];
    var m = r.measures;
    var fixed = function (v) { return v === null || v === undefined ? '–' : v.toFixed(2); };
    var links = [link(r.csv, 'csv'), link(r.jsonl, 'jsonl')].filter(Boolean);
    return el('div', { class: 'summary' }, [
      el('div', {}, parts),
      r.note ? el('div', { class: 'note', text: r.note }) : null,
      m ? el('div', { class: 'meta measures', text: 'distinct-1 ' + fixed(m.distinct1) + ' · distinct-2 ' + fixed(m.distinct2) +
        ' · consecutive-turn overlap cloud ' + fixed(m.turnOverlap && m.turnOverlap.cloud) + ', local ' +
        fixed(m.turnOverlap && m.turnOverlap.local) + ' · max repetition ' + fixed(m.maxRepetition) }) : null,
      links.length ? el('div', { class: 'meta' }, ['transcript: '].concat(links.reduce(function (a, l) { return a.concat(a.length ? [' ', l] : [l]); }, []))) : null,
    ]);
  }
  function pane(r) {
    var node = el('section', { class: 'pane', 'data-item': r.item }, [summary(r)]);
    if (!r.transcript) {
      node.appendChild(el('p', { class: 'none', text: 'No transcript: this conversation said nothing (' + r.state + ').' }));
      return node;
    }
    var conv = conversations[r.item];
    if (!conv) {
      node.appendChild(el('p', { class: 'none', text: 'loading…' }));
      load(r.item, function () { if (view.open) renderViewer(); });
    } else if (conv.missing) {
      node.appendChild(el('p', { class: 'warn', text: 'viewer/conversations/' + r.item + '.js could not be loaded' }));
    } else {
      node.appendChild(chat(conv));
    }
    return node;
  }
  function partner(r) {
    if (!view.vs) return undefined;
    return index.rows.filter(function (o) {
      return o.seed === r.seed && o.repeat === r.repeat && variantOf(o) === view.vs;
    })[0];
  }
  function variantsOf(r) {
    var keys = {};
    index.rows.forEach(function (o) { if (o.seed === r.seed && o.repeat === r.repeat) keys[variantOf(o)] = true; });
    delete keys[variantOf(r)];
    return Object.keys(keys);
  }
  function position() {
    for (var i = 0; i < filtered.length; i++) if (filtered[i].item === view.open) return i;
    return -1;
  }
  function renderViewer() {
    var box = byId('viewer');
    if (!view.open) { box.hidden = true; doc.body.classList.remove('viewing'); return; }
    var r = rowsByItem[view.open];
    var at = position();
    box.hidden = false;
    doc.body.classList.add('viewing');
    byId('viewer-position').textContent = at < 0
      ? 'not in the filtered rows'
      : int(at + 1) + ' of ' + int(filtered.length) + (filtered.length < index.rows.length ? ' (filtered)' : '');
    byId('viewer-prev').disabled = !neighbour(-1);
    byId('viewer-next').disabled = !neighbour(1);
    var vs = byId('viewer-vs');
    clear(vs);
    var others = variantsOf(r);
    vs.appendChild(el('option', { value: '', text: others.length ? 'compare with…' : 'no other pair or cell ran this seed' }));
    others.forEach(function (k) { vs.appendChild(el('option', { value: k, text: variantLabel(k) })); });
    vs.disabled = others.length === 0;
    vs.value = view.vs && others.indexOf(view.vs) >= 0 ? view.vs : '';
    var other = partner(r);
    var panes = clear(byId('panes'));
    panes.className = other ? 'panes compare' : 'panes';
    box.setAttribute('data-mode', other ? 'compare' : 'single');
    panes.appendChild(pane(r));
    if (other) panes.appendChild(pane(other));
    else if (view.vs) panes.appendChild(el('p', { class: 'none', text: variantLabel(view.vs) + ' did not run this seed and repeat' }));
    var next = neighbour(1);
    if (next && next.transcript) load(next.item);
  }
  function render() { renderTable(); renderViewer(); writeHash(); }
  function open(item) { view.open = item; showOpenPage(); render(); byId('viewer').focus(); }
  function showOpenPage() { var at = position(); if (at >= 0) view.page = Math.floor(at / PAGE_ROWS); }
  function close() {
    var item = view.open;
    view.open = null; view.vs = null; render();
    var button = doc.querySelector('#items button[data-open="' + item + '"]');
    if (button) button.focus();
  }
  // In a comparison, the rows of the compared pair or cell are skipped: they are the other side.
  function neighbour(by) {
    var at = position();
    if (at < 0) return undefined;
    for (var i = at + by; i >= 0 && i < filtered.length; i += by) {
      if (!view.vs || variantOf(filtered[i]) !== view.vs) return filtered[i];
    }
    return undefined;
  }
  function step(by) {
    var next = neighbour(by);
    if (!next) return;
    view.open = next.item;
    showOpenPage();
    render();
    byId('panes').scrollTop = 0;
  }
  function compare() {
    var r = rowsByItem[view.open];
    if (!r) return;
    var others = variantsOf(r);
    view.vs = view.vs ? null : others[0] || null;
    render();
  }

  // --- events
  function wire() {
    byId('items').addEventListener('click', function (e) {
      var target = e.target;
      if (target.closest('a')) return;
      var seed = target.closest('button[data-seed]');
      if (seed) { view.filters.seed = seed.getAttribute('data-seed'); view.page = 0; showFilters(); refilter(); render(); return; }
      var row = target.closest('tr[data-item]');
      if (row) open(row.getAttribute('data-item'));
    });
    byId('page-prev').addEventListener('click', function () { view.page--; render(); });
    byId('page-next').addEventListener('click', function () { view.page++; render(); });
    byId('viewer-prev').addEventListener('click', function () { step(-1); });
    byId('viewer-next').addEventListener('click', function () { step(1); });
    byId('viewer-close').addEventListener('click', close);
    byId('viewer-compare').addEventListener('click', compare);
    byId('viewer-vs').addEventListener('change', function (e) { view.vs = e.target.value || null; render(); });
    doc.addEventListener('keydown', function (e) {
      if (!view.open || e.altKey || e.ctrlKey || e.metaKey) return;
      if (/^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) { if (e.key === 'Escape') e.target.blur(); return; }
      var keys = { ArrowRight: 1, j: 1, n: 1, ArrowLeft: -1, k: -1, p: -1 };
      if (keys[e.key]) { e.preventDefault(); step(keys[e.key]); }
      else if (e.key === 'Escape') { e.preventDefault(); close(); }
      else if (e.key === 'c') { e.preventDefault(); compare(); }
    });
    window.addEventListener('hashchange', function () { readHash(); showFilters(); refilter(); render(); });
  }

  // A live page reloads itself, but not under a reader: never while a conversation is open or a field has focus.
  var refresh = Number(doc.body.getAttribute('data-refresh'));
  if (refresh > 0) {
    var tick = function () {
      if (view.open || (doc.activeElement && /^(INPUT|SELECT)$/.test(doc.activeElement.tagName))) setTimeout(tick, refresh * 1000);
      else location.reload();
    };
    setTimeout(tick, refresh * 1000);
  }

  window.reportViewer = {
    index: function (data) {
      index = data;
      index.rows.forEach(function (r) { rowsByItem[r.item] = r; });
      buildFilters();
      readHash();
      showFilters();
      refilter();
      wire();
      byId('conversations').setAttribute('data-ready', '');
      render();
    },
    conversation: function (conv) {
      if (!conv || !ITEM.test(conv.item)) return;
      conversations[conv.item] = conv;
      finish(conv.item);
    },
  };
  var script = el('script', { src: 'viewer/index.js' });
  script.onerror = function () {
    byId('shown').textContent = 'viewer/index.js could not be loaded: the table needs it (it is written with this page)';
    byId('shown').className = 'warn';
  };
  doc.body.appendChild(script);
})();
`;
