/**
 * The page's script, inlined into every report: plain modern JS (standard DOM and SVG only, no
 * libraries), kept as a raw string so no bundler is needed. It reads the JSON data island, builds
 * every view with createElement/textContent (data never goes through an HTML parser), and lays
 * the treemap out itself (squarified, Bruls/Huizing/van Wijk 2000).
 *
 * The string must not contain a backtick or a dollar-brace; client.test.ts checks it parses.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
'use strict';
var DATA = JSON.parse(document.getElementById('imgsize-data').textContent);
var STYLES = DATA.styles || {};
var SVGNS = 'http://www.w3.org/2000/svg';
var root = document.getElementById('app');

// ------------------------------------------------------------------------------------------
// Small helpers

function h(tag, props) {
  var e = document.createElement(tag);
  setProps(e, props);
  for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
  return e;
}
function s(tag, props) {
  var e = document.createElementNS(SVGNS, tag);
  setProps(e, props);
  return e;
}
function setProps(e, props) {
  if (!props) return;
  Object.keys(props).forEach(function (k) {
    var v = props[k];
    if (v === undefined || v === null || v === false) return;
    if (k === 'text') e.textContent = String(v);
    else if (k === 'class') e.setAttribute('class', v);
    else if (k === 'style') Object.assign(e.style, v);
    else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  });
}
function add(e, c) {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) { c.forEach(function (x) { add(e, x); }); return; }
  e.append(c instanceof Node ? c : String(c));
}
function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

var UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
function fmtBytes(n) {
  if (n === null || n === undefined || !isFinite(n)) return '?';
  var neg = n < 0, v = Math.abs(n), u = 0;
  while (v >= 1000 && u < UNITS.length - 1) { v /= 1000; u++; }
  var t = u === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return (neg ? '\u2212' : '') + t + '\u00a0' + UNITS[u];
}
function fmtDelta(n) { return n > 0 ? '+' + fmtBytes(n) : fmtBytes(n); }
function fmtSeconds(x) {
  if (x === null || x === undefined || !isFinite(x)) return '?';
  if (x < 0.1) return Math.round(x * 1000) + '\u00a0ms';
  if (x < 10) return x.toFixed(1) + '\u00a0s';
  if (x < 120) return Math.round(x) + '\u00a0s';
  var m = Math.floor(x / 60), r = Math.round(x - m * 60);
  if (m < 120) return r === 0 ? m + '\u00a0min' : m + '\u00a0min ' + r + '\u00a0s';
  return (x / 3600).toFixed(1) + '\u00a0h';
}
function fmtCount(n) { return Number(n).toLocaleString('en-US'); }
function fmtPct(x, d) { return isFinite(x) ? (x * 100).toFixed(d === undefined ? 1 : d) + '%' : '?'; }
function fmtBandwidth(b) {
  if (b >= 1e9) return +(b / 1e9).toFixed(2) + '\u00a0Gbps';
  if (b >= 1e6) return +(b / 1e6).toFixed(2) + '\u00a0Mbps';
  return +(b / 1e3).toFixed(2) + '\u00a0kbps';
}
function relPct(before, after) {
  if (before === null || after === null || before === undefined || after === undefined || before === 0) return '';
  var r = (after - before) / before;
  return (r > 0 ? '+' : r < 0 ? '\u2212' : '') + Math.abs(r * 100).toFixed(1) + '%';
}
/** Docker's created_by without the shell noise, on one line. */
function cleanInstruction(t) {
  if (!t) return '';
  t = String(t).replace(/\s+/g, ' ').trim();
  t = t.replace(/^\/bin\/sh -c #\(nop\)\s*/, '');
  t = t.replace(/^RUN \|\d+ (?:\S+=\S* )*\/bin\/sh -c /, 'RUN ');
  t = t.replace(/^\|\d+ (?:\S+=\S* )*\/bin\/sh -c /, 'RUN ');
  t = t.replace(/^\/bin\/sh -c /, 'RUN ');
  t = t.replace(/^RUN \/bin\/sh -c /, 'RUN ');
  t = t.replace(/ # buildkit$/, '');
  return t;
}
function clip(t, n) { t = String(t); return t.length <= n ? t : t.slice(0, n - 1) + '\u2026'; }
function styleOf(cat) { return STYLES[cat] || STYLES[''] || { label: cat || 'Uncategorized', color: '#b4bcc6', pattern: 'none' }; }
function catLabel(cat) { return styleOf(cat).label; }
function luminance(hex) {
  var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return 1;
  var c = [m[1], m[2], m[3]].map(function (x) { var v = parseInt(x, 16) / 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}
function textOn(hex) { return luminance(hex) > 0.33 ? '#111827' : '#ffffff'; }

/** A 14px swatch: the category colour plus its pattern (so it reads without colour). */
function swatch(cat, wasted) {
  var st = styleOf(cat);
  var sv = s('svg', { class: 'sw', viewBox: '0 0 14 14', width: 14, height: 14, 'aria-hidden': 'true' });
  sv.append(s('rect', { width: 14, height: 14, rx: 3, fill: wasted ? '#f6d5d2' : st.color }));
  var pat = wasted ? 'waste' : st.pattern;
  if (pat && pat !== 'none') sv.append(s('rect', { width: 14, height: 14, rx: 3, fill: 'url(#pat-' + pat + ')' }));
  return sv;
}

function section(id, title, sub) {
  var sec = h('section', { id: id, 'aria-labelledby': id + '-h' });
  sec.append(h('h2', { id: id + '-h' }, title, sub ? h('span', { class: 'sub', text: sub }) : null));
  return sec;
}
function card(o) {
  return h('div', { class: 'card' + (o.tone ? ' ' + o.tone : '') },
    h('div', { class: 'label', text: o.label }),
    h('div', { class: 'value' }, o.value, o.small ? h('small', { text: ' ' + o.small }) : null),
    h('div', { class: 'detail' }, o.kind ? h('span', { class: 'kind' + (o.kind === 'compressed' ? ' cmp' : ''), text: o.kind }) : null, o.kind ? ' ' : '', o.detail || ''));
}
function deltaSpan(d, text) {
  return h('span', { class: d < 0 ? 'delta-good' : d > 0 ? 'delta-bad' : '', text: text });
}

/**
 * A table; columns: {label, num, value(row) for sorting, cell(row) -> node or text}. With
 * sortable, every header is a button and the sorted column has aria-sort.
 */
function dataTable(columns, rows, o) {
  o = o || {};
  var sortCol = o.sortCol === undefined ? -1 : o.sortCol, sortDir = o.sortDir || 'descending';
  var limit = o.limit || Infinity, filter = '';
  var table = h('table', { class: o.cls || '' });
  if (o.caption) table.append(h('caption', { class: 'visually-hidden', text: o.caption }));
  var thead = h('thead'), tbody = h('tbody'), htr = h('tr');
  thead.append(htr);
  table.append(thead, tbody);
  var more = h('div');
  columns.forEach(function (c, i) {
    var th = h('th', { scope: 'col', class: c.num ? 'num' : '' });
    if (o.sortable && c.value) {
      th.append(h('button', { type: 'button', onclick: function () {
        if (sortCol === i) sortDir = sortDir === 'ascending' ? 'descending' : 'ascending';
        else { sortCol = i; sortDir = c.num ? 'descending' : 'ascending'; }
        draw();
      } }, c.label, h('span', { class: 'ar', 'aria-hidden': 'true', text: '\u2195' })));
    } else th.append(c.label);
    htr.append(th);
  });
  function draw() {
    Array.prototype.forEach.call(htr.children, function (th, i) {
      if (i === sortCol) th.setAttribute('aria-sort', sortDir); else th.removeAttribute('aria-sort');
      var ar = th.querySelector('.ar');
      if (ar) ar.textContent = i === sortCol ? (sortDir === 'ascending' ? '\u25b2' : '\u25bc') : '\u2195';
    });
    var list = rows;
    if (filter && o.filterText) list = list.filter(function (r) { return o.filterText(r).toLowerCase().indexOf(filter) >= 0; });
    if (sortCol >= 0) {
      var c = columns[sortCol], dir = sortDir === 'ascending' ? 1 : -1;
      list = list.slice().sort(function (a, b) {
        var x = c.value(a), y = c.value(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * dir;
      });
    }
    clear(tbody);
    list.slice(0, limit).forEach(function (r) {
      var tr = h('tr');
      columns.forEach(function (c) { tr.append(h('td', { class: (c.num ? 'num ' : '') + (c.cls || '') }, c.cell(r))); });
      tbody.append(tr);
    });
    clear(more);
    if (list.length > limit) {
      more.append(h('p', { class: 'note' }, 'Showing ' + fmtCount(limit) + ' of ' + fmtCount(list.length) + ' rows. ',
        h('button', { type: 'button', class: 'btn', onclick: function () { limit = Infinity; draw(); } }, 'Show all')));
    }
    if (list.length === 0) {
      tbody.append(h('tr', null, h('td', { colspan: columns.length, class: 'note', text: 'No rows.' })));
    }
  }
  draw();
  var wrap = h('div');
  if (o.filterText) {
    wrap.append(h('div', { class: 'toolbar' }, h('label', null, 'Filter ', h('input', { type: 'search', placeholder: o.filterPlaceholder || 'name', 'aria-label': 'Filter ' + (o.caption || 'rows'), oninput: function (e) { filter = e.target.value.trim().toLowerCase(); draw(); } }))));
  }
  wrap.append(o.scroll ? h('div', { class: 'scroll' }, table) : table, more);
  return wrap;
}

// ------------------------------------------------------------------------------------------
// Treemap

/** Squarified layout: sets x, y, w, h on items (sorted by value, largest first) to fill the rect. */
function squarify(items, x, y, w, hh) {
  var total = 0;
  for (var i = 0; i < items.length; i++) total += items[i].value;
  if (total <= 0 || w <= 0 || hh <= 0) { items.forEach(function (it) { it.x = x; it.y = y; it.w = 0; it.h = 0; }); return; }
  var scale = (w * hh) / total;
  var start = 0;
  while (start < items.length) {
    var side = Math.min(w, hh);
    var end = start, sum = 0, best = Infinity;
    while (end < items.length) {
      var a = items[end].value * scale;
      var ns = sum + a;
      var mx = items[start].value * scale, mn = a;
      var worst = Math.max((side * side * mx) / (ns * ns), (ns * ns) / (side * side * mn));
      if (end > start && worst > best) break;
      best = worst; sum = ns; end++;
    }
    var last = end >= items.length;
    var thick = side > 0 ? sum / side : 0;
    if (last) thick = w >= hh ? w : hh;
    var off = 0;
    for (var j = start; j < end; j++) {
      var len = j === end - 1 ? side - off : (items[j].value * scale) / thick;
      if (w >= hh) { items[j].x = x; items[j].y = y + off; items[j].w = thick; items[j].h = len; }
      else { items[j].x = x + off; items[j].y = y; items[j].w = len; items[j].h = thick; }
      off += len;
    }
    if (w >= hh) { x += thick; w -= thick; } else { y += thick; hh -= thick; }
    start = end;
  }
}

function createTreemap(o) {
  // o: { tree, kind: 'analyze' | 'diff', host, info, side, legend, crumbs, status, height }
  var tree = o.tree;
  var nodes = tree.nodes.map(function (r, i) {
    var dir = r.length === 2;
    return { id: i, raw: r, parent: null, name: r[1], dir: dir, children: dir ? [] : null, cat: dir ? null : tree.cats[r[2]], count: dir ? 0 : r[3], value: 0, a: 0, b: 0, files: 0, cats: null };
  });
  nodes.forEach(function (n) { if (n.raw[0] >= 0) { n.parent = nodes[n.raw[0]]; n.parent.children.push(n); } });
  var top = nodes[0];
  var state = { layer: -1, wasted: false, mode: 'grew' };
  var zoom = top, items = [], active = 0, hlCat = null;

  // tabindex -1: Chromium would otherwise put the <svg> itself in the tab order before the boxes.
  var svg = s('svg', { class: 'tm', role: 'group', tabindex: '-1', 'aria-roledescription': 'treemap', 'aria-label': o.label || 'Treemap' });
  var layer = s('g'), ringG = s('g');
  var ringOuter = s('rect', { class: 'tm-ring-outer', visibility: 'hidden' }), ring = s('rect', { class: 'tm-ring', visibility: 'hidden' });
  ringG.append(ringOuter, ring);
  svg.append(layer, ringG);
  var empty = h('div', { class: 'tm-empty', hidden: true });
  var tip = h('div', { class: 'tm-tip', hidden: true, role: 'tooltip' });
  o.host.append(svg, empty, tip);

  function leafParts(n) {
    var r = n.raw;
    if (o.kind === 'diff') return state.mode === 'grew' ? [r[4], 0] : [r[5], 0];
    var L = state.layer, vis = 0, hid = 0, v = r[4], i;
    for (i = 0; i < v.length; i += 2) if (L < 0 || v[i] === L) vis += v[i + 1];
    if (state.wasted && r[5]) {
      var st = n.count === 0 ? 3 : 2;
      for (i = 0; i < r[5].length; i += st) if (L < 0 || r[5][i] === L) hid += r[5][i + 1];
    }
    return [vis, hid];
  }
  function compute() {
    for (var i = nodes.length - 1; i >= 0; i--) {
      var n = nodes[i];
      if (n.dir) {
        n.value = 0; n.a = 0; n.b = 0; n.files = 0; n.cats = new Map();
        for (var j = 0; j < n.children.length; j++) {
          var c = n.children[j];
          n.value += c.value; n.a += c.a; n.b += c.b; n.files += c.files;
          if (c.dir) c.cats.forEach(function (b, k) { n.cats.set(k, (n.cats.get(k) || 0) + b); });
          else if (c.value > 0) n.cats.set(c.cat, (n.cats.get(c.cat) || 0) + c.value);
        }
      } else {
        var p = leafParts(n);
        n.a = p[0]; n.b = p[1]; n.value = p[0] + p[1]; n.files = n.value > 0 ? (n.count || 1) : 0;
      }
    }
  }
  function dominant(n) {
    var best = null, bb = -1;
    n.cats.forEach(function (b, k) { if (b > bb) { bb = b; best = k; } });
    return best;
  }
  function partA() { return o.kind === 'diff' ? state.mode : 'visible'; }
  function itemsOf(d) {
    var out = [];
    d.children.forEach(function (c) {
      if (c.dir) { if (c.value > 0) out.push({ node: c, part: 'dir', value: c.value }); }
      else {
        if (c.a > 0) out.push({ node: c, part: partA(), value: c.a });
        if (c.b > 0) out.push({ node: c, part: 'wasted', value: c.b });
      }
    });
    out.sort(function (x, y) { return y.value - x.value || (x.node.id - y.node.id) || (x.part < y.part ? -1 : 1); });
    return out;
  }
  function pathOf(n) {
    var parts = [];
    for (var c = n; c && c.parent; c = c.parent) parts.push(c.name);
    return '/' + parts.reverse().join('/');
  }
  function nameOf(it) {
    var n = it.node;
    if (n.dir) return n.name + '/';
    if (n.count > 0) return fmtCount(n.count) + ' small file' + (n.count === 1 ? '' : 's');
    return n.name;
  }
  function fullName(it) {
    var n = it.node;
    if (n.count > 0) return pathOf(n.parent) + (n.parent.parent ? '/' : '') + '(' + nameOf(it) + ')';
    return pathOf(n) + (n.dir ? '/' : '');
  }
  function partLabel(part) {
    return part === 'visible' ? 'visible, uncompressed' : part === 'wasted' ? 'wasted: shipped, then hidden (uncompressed)'
      : part === 'grew' ? 'grew (shipped, uncompressed)' : part === 'shrank' ? 'shrank (shipped, uncompressed)' : 'uncompressed';
  }
  function layerText(i) {
    if (i < 0) return 'unknown layer';
    var l = (DATA.report && DATA.report.layers || [])[i];
    var ins = l ? cleanInstruction(l.instruction) : '';
    return 'layer ' + i + (ins ? ' (' + clip(ins, 70) + ')' : '');
  }
  /** Lines describing an item: [title, ...details]. */
  function describe(it) {
    var n = it.node, lines = [fullName(it)];
    var share = zoom.value > 0 ? ' \u00b7 ' + fmtPct(it.value / zoom.value) + ' of this view' : '';
    lines.push(fmtBytes(it.value) + ' ' + partLabel(it.part) + share);
    if (n.dir) {
      var dc = dominant(n);
      lines.push(fmtCount(n.files) + ' file' + (n.files === 1 ? '' : 's') + (dc !== null ? ' \u00b7 mostly ' + catLabel(dc) : '') + (n.b > 0 ? ' \u00b7 ' + fmtBytes(n.b) + ' of it wasted' : ''));
    } else {
      lines.push('Category: ' + catLabel(n.cat));
      if (n.count > 0) lines.push('Files of at most ' + fmtBytes(tree.threshold) + ' each in this folder' + (tree.dirThreshold > 0 ? ' and its subfolders of ' + fmtBytes(tree.dirThreshold) + ' or less' : '') + ', grouped to keep the page small');
      if (o.kind === 'analyze' && n.count === 0) {
        var v = n.raw[4], hid = n.raw[5] || [];
        if (it.part === 'visible' && v.length) lines.push('Written by ' + layerText(v[0]));
        if (it.part === 'wasted') {
          for (var i = 0; i < hid.length && i < 9; i += 3) {
            if (state.layer >= 0 && hid[i] !== state.layer) continue;
            lines.push(fmtBytes(hid[i + 1]) + ' shipped by ' + layerText(hid[i]) + ', hidden by ' + layerText(hid[i + 2]));
          }
        }
      }
      if (o.kind === 'diff') lines.push('Shipped before ' + fmtBytes(n.raw[6]) + ' \u2192 after ' + fmtBytes(n.raw[7]));
    }
    return lines;
  }

  var drawn = 0, MAX_DRAWN = 5000, HEAD = 16;
  function fit(t, px) {
    var n = Math.floor(px / 6.4);
    if (n < 3) return '';
    return t.length <= n ? t : t.slice(0, n - 1) + '\u2026';
  }
  function fitLeft(t, px) {
    var n = Math.floor(px / 6.4);
    if (n < 3) return '';
    return t.length <= n ? t : '\u2026' + t.slice(t.length - n + 1);
  }
  function r2(x) { return Math.round(x * 100) / 100; }
  function drawItem(it, depth, parent, topIndex) {
    var n = it.node;
    var g = s('g', { class: 'tm-item' });
    if (depth === 1) {
      g.setAttribute('tabindex', '-1');
      g.setAttribute('role', 'button');
      g.setAttribute('data-top', topIndex);
      g.setAttribute('aria-label', nameOf(it) + ', ' + fmtBytes(it.value) + ' ' + partLabel(it.part) + (n.dir ? ', folder: Enter to zoom in' : ', ' + catLabel(n.cat)));
    }
    var open = n.dir && it.w >= 40 && it.h >= 34 && depth < 6 && drawn < MAX_DRAWN;
    // A chain of folders that each hold just one folder is drawn as one box (opt/venv/lib/).
    var target = n, kids = null, chain = nameOf(it);
    if (n.dir) {
      kids = itemsOf(n);
      while (kids.length === 1 && kids[0].part === 'dir') { target = kids[0].node; chain += target.name + '/'; kids = itemsOf(target); }
    }
    it.target = target;
    var cat = n.dir ? dominant(n) : n.cat;
    var st = styleOf(cat);
    var fill = it.part === 'wasted' ? '#f6d5d2' : st.color;
    var geo = { x: r2(it.x), y: r2(it.y), width: r2(Math.max(0, it.w)), height: r2(Math.max(0, it.h)) };
    var rect = s('rect', Object.assign({
      class: 'tm-node tm-' + it.part + (open ? ' tm-dir-open' : ''),
      'data-id': n.id, 'data-zoom': target.id, 'data-depth': depth, 'data-bytes': it.value, 'data-part': it.part,
    }, geo));
    if (!open) { rect.setAttribute('fill', fill); rect.setAttribute('data-cat', cat === null ? '' : cat); }
    g.append(rect);
    drawn++;
    var pat = it.part === 'wasted' ? 'waste' : open ? 'none' : st.pattern;
    if (pat !== 'none' && it.w > 5 && it.h > 5) g.append(s('rect', Object.assign({ fill: 'url(#pat-' + pat + ')', 'pointer-events': 'none' }, geo)));
    if (open) {
      var labelled = it.w > 44;
      if (labelled) {
        var t = s('text', { class: 'tm-head', x: r2(it.x + 5), y: r2(it.y + 12) });
        var nm = fitLeft(chain, it.w - 10);
        t.textContent = nm;
        var sz = fmtBytes(it.value);
        if ((nm.length + sz.length + 2) * 6.4 < it.w - 10) t.append(s('tspan', { class: 'sz', text: '  ' + sz }));
        g.append(t);
      }
      squarify(kids, it.x + 2, it.y + (labelled ? HEAD : 2), it.w - 4, it.h - (labelled ? HEAD : 2) - 2);
      kids.forEach(function (k) { if (k.w >= 0.5 && k.h >= 0.5 && drawn < MAX_DRAWN) drawItem(k, depth + 1, g, -1); });
    } else if (it.w > 30 && it.h > 14) {
      var col = it.part === 'wasted' ? '#7a1610' : textOn(st.color);
      var label = (n.dir ? chain : nameOf(it)) + (it.part === 'wasted' ? ' (wasted)' : '');
      var l1 = s('text', { class: 'tm-label', x: r2(it.x + 4), y: r2(it.y + 12), fill: col, text: fit(label, it.w - 8) });
      g.append(l1);
      if (it.h > 28) g.append(s('text', { class: 'tm-label sz', x: r2(it.x + 4), y: r2(it.y + 25), fill: col, text: fit(fmtBytes(it.value), it.w - 8) }));
    }
    parent.append(g);
  }

  var width = 0;
  function height() { return o.height ? o.height() : 560; }
  function render(keepFocus) {
    compute();
    width = o.host.clientWidth || 800;
    var H = height();
    clear(layer);
    drawn = 0;
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + H);
    svg.setAttribute('width', width);
    svg.setAttribute('height', H);
    items = itemsOf(zoom);
    var has = zoom.value > 0 && items.length > 0;
    svg.style.display = has ? '' : 'none';
    empty.hidden = has;
    empty.textContent = has ? '' : (o.emptyText ? o.emptyText(state) : 'Nothing to show here.');
    squarify(items, 0, 0, width, H);
    items.forEach(function (it, i) { drawItem(it, 1, layer, i); });
    if (active >= items.length) active = 0;
    setRoving(active, keepFocus);
    if (hlCat !== null) highlight(hlCat);
    updateSide();
    if (o.onRender) o.onRender(api);
  }
  function topG(i) { return layer.querySelector('g[data-top="' + i + '"]'); }
  function setRoving(i, focus) {
    var prev = layer.querySelector('g[tabindex="0"]');
    if (prev) prev.setAttribute('tabindex', '-1');
    active = i;
    var g = topG(i);
    if (!g) { ring.setAttribute('visibility', 'hidden'); ringOuter.setAttribute('visibility', 'hidden'); return; }
    g.setAttribute('tabindex', '0');
    if (focus) g.focus();
  }
  function showRing(it) {
    [ringOuter, ring].forEach(function (r) {
      r.setAttribute('x', r2(it.x + 1.5)); r.setAttribute('y', r2(it.y + 1.5));
      r.setAttribute('width', r2(Math.max(0, it.w - 3))); r.setAttribute('height', r2(Math.max(0, it.h - 3)));
      r.setAttribute('visibility', 'visible');
    });
  }
  function hideRing() { ring.setAttribute('visibility', 'hidden'); ringOuter.setAttribute('visibility', 'hidden'); }
  function showInfo(it) {
    clear(o.info);
    var lines = describe(it);
    o.info.append(h('div', { class: 'p', text: lines[0] }));
    lines.slice(1).forEach(function (l, i) { o.info.append(h('div', { class: i === 0 ? '' : 'l', text: l })); });
  }
  function idleInfo() {
    clear(o.info);
    o.info.append(h('div', { class: 'l', text: 'Hover or focus a box for details. Click a folder (or press Enter) to zoom in; Backspace or Escape zooms out.' }));
  }
  function zoomTo(n, focusNode) {
    if (!n || !n.dir) return;
    zoom = n;
    active = 0;
    render(false);
    if (focusNode) {
      var idx = items.findIndex(function (it) { return it.node === focusNode; });
      if (idx >= 0) active = idx;
    }
    setRoving(active, true);
    updateCrumbs();
    announce();
  }
  function zoomOut() { if (zoom.parent) zoomTo(zoom.parent, zoom); }
  function announce() { if (o.live) o.live.textContent = 'Showing ' + (pathOf(zoom) === '/' ? 'the whole filesystem' : pathOf(zoom)) + ', ' + fmtBytes(zoom.value) + ', ' + items.length + ' boxes'; }
  function move(dx, dy) {
    var cur = items[active];
    if (!cur) return;
    var cx = cur.x + cur.w / 2, cy = cur.y + cur.h / 2, best = -1, bs = Infinity;
    items.forEach(function (it, i) {
      if (i === active || it.w <= 0 || it.h <= 0) return;
      // Distance from the current box's edge to the candidate's near edge, in the direction asked.
      var along = dx > 0 ? it.x - (cur.x + cur.w) : dx < 0 ? cur.x - (it.x + it.w) : dy > 0 ? it.y - (cur.y + cur.h) : cur.y - (it.y + it.h);
      if (along < -0.5) return;
      var ix = it.x + it.w / 2, iy = it.y + it.h / 2;
      var across = dx !== 0 ? Math.max(0, Math.abs(iy - cy) - (it.h + cur.h) / 2) : Math.max(0, Math.abs(ix - cx) - (it.w + cur.w) / 2);
      var centre = dx !== 0 ? Math.abs(iy - cy) : Math.abs(ix - cx);
      var score = Math.max(0, along) * 4 + across * 8 + centre * 0.05;
      if (score < bs) { bs = score; best = i; }
    });
    if (best >= 0) setRoving(best, true);
  }
  svg.addEventListener('keydown', function (e) {
    var k = e.key;
    if (k === 'ArrowRight') move(1, 0);
    else if (k === 'ArrowLeft') move(-1, 0);
    else if (k === 'ArrowDown') move(0, 1);
    else if (k === 'ArrowUp') move(0, -1);
    else if (k === 'Home') setRoving(0, true);
    else if (k === 'End') setRoving(items.length - 1, true);
    else if (k === 'Enter' || k === ' ') { var it = items[active]; if (it && it.node.dir) zoomTo(it.target || it.node); else if (it) showInfo(it); }
    else if (k === 'Backspace' || k === 'Escape') { if (!zoom.parent) return; zoomOut(); }
    else return;
    e.preventDefault();
  });
  svg.addEventListener('focusin', function (e) {
    var g = e.target.closest && e.target.closest('g[data-top]');
    if (!g) return;
    var i = Number(g.getAttribute('data-top'));
    active = i;
    var it = items[i];
    if (it) { showRing(it); showInfo(it); }
  });
  svg.addEventListener('focusout', function () { hideRing(); });
  function itemAt(target) {
    var r = target.closest && target.closest('rect[data-id]');
    if (!r) { var g = target.closest && target.closest('g.tm-item'); r = g && g.querySelector('rect[data-id]'); }
    if (!r) return null;
    var n = nodes[Number(r.getAttribute('data-id'))];
    return { node: n, target: nodes[Number(r.getAttribute('data-zoom'))], part: r.getAttribute('data-part'), value: Number(r.getAttribute('data-bytes')), depth: Number(r.getAttribute('data-depth')) };
  }
  svg.addEventListener('mousemove', function (e) {
    var it = itemAt(e.target);
    if (!it) { tip.hidden = true; return; }
    var lines = describe(it);
    clear(tip);
    tip.append(h('div', { class: 'p', text: lines[0] }));
    lines.slice(1).forEach(function (l) { tip.append(h('div', { class: 'l', text: l })); });
    tip.hidden = false;
    var box = o.host.getBoundingClientRect();
    var x = e.clientX - box.left + 14, y = e.clientY - box.top + 14;
    if (x + tip.offsetWidth > box.width) x = Math.max(0, e.clientX - box.left - tip.offsetWidth - 14);
    if (y + tip.offsetHeight > box.height) y = Math.max(0, e.clientY - box.top - tip.offsetHeight - 14);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  });
  svg.addEventListener('mouseleave', function () { tip.hidden = true; });
  svg.addEventListener('click', function (e) {
    var it = itemAt(e.target);
    if (!it) return;
    var n = it.node;
    if (n.dir && it.part === 'dir') { zoomTo(it.target || n); return; }
    // A file: zoom to its folder (if nested) and focus it.
    if (n.parent && n.parent !== zoom) zoomTo(n.parent, n);
    else {
      var idx = items.findIndex(function (x) { return x.node === n && x.part === it.part; });
      if (idx >= 0) setRoving(idx, true);
    }
  });

  function updateCrumbs() {
    if (!o.crumbs) return;
    clear(o.crumbs);
    var chain = [];
    for (var c = zoom; c; c = c.parent) chain.unshift(c);
    o.crumbs.append(h('button', { type: 'button', class: 'btn', disabled: !zoom.parent, onclick: zoomOut, title: 'Zoom out (Backspace)' }, '\u2191 Up'));
    chain.forEach(function (c, i) {
      var label = i === 0 ? '/' : c.name;
      if (i > 1) o.crumbs.append(h('span', { class: 'sep', 'aria-hidden': 'true', text: '/' }));
      if (c === zoom) o.crumbs.append(h('span', { 'aria-current': 'location', text: label }));
      else o.crumbs.append(h('button', { type: 'button', onclick: function () { zoomTo(c, chain[i + 1]); }, text: label }));
    });
  }
  function highlight(cat) {
    hlCat = cat;
    svg.classList.toggle('tm-hl-on', cat !== null);
    Array.prototype.forEach.call(layer.querySelectorAll('rect[data-cat]'), function (r) {
      r.classList.toggle('tm-hl', cat !== null && (cat === '__wasted' ? r.getAttribute('data-part') === 'wasted' : r.getAttribute('data-cat') === cat));
    });
  }
  function updateSide() {
    if (o.side) {
      clear(o.side);
      items.slice(0, 12).forEach(function (it, i) {
        var c = it.node.dir ? dominant(it.node) : it.node.cat;
        o.side.append(h('li', null, h('button', { type: 'button', title: fullName(it), onclick: function () {
          if (it.node.dir) zoomTo(it.target || it.node); else setRoving(i, true);
        } }, swatch(c, it.part === 'wasted'), h('span', { class: 'nm', text: nameOf(it) + (it.part === 'wasted' ? ' (wasted)' : '') }), h('span', { class: 'sz', text: fmtBytes(it.value) + ' \u00b7 ' + fmtPct(zoom.value ? it.value / zoom.value : 0) }))));
      });
      if (items.length > 12) o.side.append(h('li', { class: 'note', text: '\u2026 and ' + fmtCount(items.length - 12) + ' more' }));
    }
    if (o.legend) {
      clear(o.legend);
      var cats = [];
      if (zoom.cats) zoom.cats.forEach(function (b, k) { cats.push([k, b]); });
      cats.sort(function (x, y) { return y[1] - x[1]; });
      var entries = cats.map(function (c) { return { cat: c[0], bytes: c[1], label: catLabel(c[0]), wasted: false }; });
      if (zoom.b > 0 && o.kind === 'analyze') entries.push({ cat: '__wasted', bytes: zoom.b, label: 'Wasted: shipped, then hidden (red hatch, any category)', wasted: true });
      entries.forEach(function (en) {
        var li = h('li', { tabindex: 0, title: 'Highlight ' + en.label,
          onmouseenter: function () { highlight(en.cat); }, onmouseleave: function () { highlight(null); },
          onfocus: function () { highlight(en.cat); }, onblur: function () { highlight(null); } },
          swatch(en.wasted ? '' : en.cat, en.wasted), h('span', { text: en.label }), h('span', { class: 'sz', text: fmtBytes(en.bytes) }));
        o.legend.append(li);
      });
    }
    if (o.status) o.status(api);
  }
  var api = {
    state: state,
    set: function (p) { Object.assign(state, p); render(false); updateCrumbs(); },
    zoomTo: zoomTo,
    root: function () { return top; },
    zoom: function () { return zoom; },
    items: function () { return items; },
    pathOf: pathOf,
    render: render,
  };
  idleInfo();
  updateCrumbs();
  var pending = false;
  if (typeof ResizeObserver === 'function') {
    var lastW = -1;
    new ResizeObserver(function () {
      var w = o.host.clientWidth;
      if (w === lastW || pending) return;
      lastW = w; pending = true;
      requestAnimationFrame(function () { pending = false; render(false); });
    }).observe(o.host);
  }
  return api;
}

/** The treemap section shared by both pages: toolbar slot, crumbs, map, info, side list, legend. */
function treemapSection(o) {
  var sec = section('treemap', o.title, o.sub);
  if (o.note) sec.append(h('p', { class: 'note', text: o.note }));
  var toolbar = h('div', { class: 'toolbar' });
  sec.append(toolbar);
  var crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Treemap location' });
  var status = h('div', { class: 'status', id: 'tm-status' });
  var host = h('div', { class: 'tm-host', id: 'tm-host' });
  var info = h('div', { class: 'tm-info', 'aria-live': 'polite', id: 'tm-info' });
  var live = h('div', { class: 'visually-hidden', 'aria-live': 'polite' });
  var sideList = h('ol', { id: 'tm-side' });
  var legend = h('ol', { class: 'legend', id: 'tm-legend', 'aria-label': 'Legend: categories in this view' });
  var left = h('div', null, crumbs, status, host, info,
    h('div', { class: 'keyhint' }, 'Keyboard: ', h('kbd', { text: 'Tab' }), ' into the map, ', h('kbd', { text: '\u2190\u2191\u2192\u2193' }), ' move, ', h('kbd', { text: 'Enter' }), ' zoom in, ', h('kbd', { text: 'Backspace' }), ' / ', h('kbd', { text: 'Esc' }), ' zoom out.'),
    live);
  var side = h('div', { class: 'side' }, h('h3', { text: 'Largest here' }), sideList, h('h3', { text: 'Legend' }), legend);
  sec.append(h('div', { class: 'tm-layout' }, left, side));
  var threshold = h('p', { class: 'threshold', id: 'tm-threshold' });
  sec.append(threshold);
  root.append(sec);
  var tm = createTreemap({
    tree: o.tree, kind: o.kind, host: host, info: info, side: sideList, legend: legend, crumbs: crumbs, live: live, label: o.title,
    height: function () { return Math.max(360, Math.min(620, Math.round(host.clientWidth * 0.62))); },
    status: function (api) { clear(status); add(status, o.status(api)); },
    emptyText: o.emptyText,
  });
  var t = o.tree;
  var unit = o.kind === 'diff' ? 'change in shipped bytes' : 'shipped, uncompressed';
  threshold.textContent = t.threshold > 0
    ? 'Grouping threshold: to keep this page small, files of ' + fmtBytes(t.threshold) + ' or less (' + unit + ') are drawn as \u201cN small files\u201d boxes, one per category, in ' +
      (t.dirThreshold > 0 ? 'the nearest folder larger than ' + fmtBytes(t.dirThreshold) : 'their folder') + '. ' + fmtCount(t.shownFiles) + ' files are shown on their own, ' + fmtCount(t.groupedFiles) + ' grouped.'
    : 'Grouping threshold: none \u2014 all ' + fmtCount(t.shownFiles) + (o.kind === 'diff' ? ' changed paths' : ' files with bytes') + ' are drawn on their own.';
  return { tm: tm, toolbar: toolbar, section: sec };
}

// ------------------------------------------------------------------------------------------
// Analyze page

function analyzePage() {
  var r = DATA.report, sm = r.summary;
  var name = (r.image.repoTags && r.image.repoTags[0]) || r.image.ref;
  document.title = 'imgsize: ' + name;
  var toc = [['summary', 'Summary'], ['treemap', 'Treemap'], ['layers', 'Layers'], ['findings', 'Findings'], ['categories', 'Categories'], ['packages', 'Packages']];
  if (r.gpu) toc.splice(5, 0, ['gpu', 'GPU kernels']);
  header(h('h1', { text: name }), [
    ['Platform', r.image.os + '/' + r.image.architecture + (r.image.variant ? '/' + r.image.variant : '')],
    ['Source', r.image.source.format],
    r.image.created ? ['Created', r.image.created] : null,
    r.image.configDigest ? ['Config', r.image.configDigest.replace(/^sha256:/, '').slice(0, 12)] : null,
    ['Layers', String(sm.layers)],
    ['Files', fmtCount(sm.files)],
  ], toc);

  var pull = r.pull;
  var cards = h('div', { class: 'cards', id: 'summary', role: 'region', 'aria-label': 'Summary' },
    card({ label: 'Shipped', kind: 'uncompressed', value: fmtBytes(sm.contentBytes), detail: 'sum of all layers' }),
    card({ label: 'Compressed', kind: 'compressed', value: sm.compressedBytes === undefined ? '?' : fmtBytes(sm.compressedBytes), detail: sm.compressedBytes === undefined ? 'unknown' : sm.compressedBytesExact ? 'exact layer blob sizes' : 'estimated (gzip -6)' }),
    card({ label: 'Visible', kind: 'uncompressed', value: fmtBytes(sm.visibleBytes), detail: 'final filesystem' }),
    card({ label: 'Wasted', kind: 'uncompressed', tone: sm.wastedBytes > 0 ? 'bad' : '', value: fmtBytes(sm.wastedBytes), small: sm.contentBytes ? fmtPct(sm.wastedBytes / sm.contentBytes) : '', detail: 'overwritten ' + fmtBytes(sm.overwrittenBytes) + ', deleted ' + fmtBytes(sm.deletedBytes) }),
    card({ label: 'Est. pull time', kind: 'compressed', value: pull ? fmtSeconds(pull.seconds) : sm.pullSeconds !== undefined ? fmtSeconds(sm.pullSeconds) : '?', detail: pull ? 'at ' + fmtBandwidth(pull.bandwidthBitsPerSecond) + '; after fixes ' + fmtSeconds(pull.afterFixesSeconds) : '' }),
    card({ label: 'Potential savings', kind: 'uncompressed', tone: sm.potentialSavingsBytes ? 'good' : '', value: sm.potentialSavingsBytes === undefined ? '?' : fmtBytes(sm.potentialSavingsBytes), detail: sm.potentialSavingsCompressedBytes !== undefined ? fmtBytes(sm.potentialSavingsCompressedBytes) + ' compressed \u00b7 ' + ((r.findings || []).length) + ' findings' : '' }));
  root.append(cards);

  // Treemap
  if (DATA.tree) {
    var hasLayers = DATA.tree.hasLayers;
    var ts = treemapSection({
      title: 'Where the bytes are', sub: 'final filesystem, uncompressed, coloured by category', kind: 'analyze', tree: DATA.tree,
      status: function (api) {
        var z = api.zoom(), st = api.state;
        var where = api.pathOf(z);
        var parts = [h('b', { text: fmtBytes(z.a) }), ' visible (uncompressed)'];
        if (st.wasted) parts.push(' + ', h('b', { text: fmtBytes(z.b) }), ' wasted');
        parts.push(' in ' + fmtCount(z.files) + ' files' + (where === '/' ? '' : ' under ' + where));
        if (st.layer >= 0) parts.push(' \u2014 only what ', h('b', { text: 'layer ' + st.layer }), ' added');
        return parts;
      },
      emptyText: function (st) { return st.layer >= 0 ? 'Layer ' + st.layer + ' added nothing ' + (st.wasted ? '' : 'still visible ') + 'here.' : 'No file bytes here.'; },
    });
    var tm = ts.tm;
    var sel = h('select', { id: 'tm-layer', disabled: !hasLayers, title: hasLayers ? '' : 'this report\u2019s per-path rows have no layer column' },
      h('option', { value: '-1', text: 'All layers' }),
      r.layers.map(function (l) { return h('option', { value: String(l.index), text: 'Layer ' + l.index + ' \u00b7 ' + fmtBytes(l.contentBytes) + ' \u00b7 ' + clip(cleanInstruction(l.instruction) || '(no history)', 70) }); }));
    sel.addEventListener('change', function () { tm.set({ layer: Number(sel.value) }); });
    var chk = h('input', { type: 'checkbox', id: 'tm-wasted' });
    chk.addEventListener('change', function () { tm.set({ wasted: chk.checked }); });
    ts.toolbar.append(
      h('label', null, 'Added by ', sel),
      h('label', null, chk, 'Show wasted bytes in place (shipped, then hidden by a later layer; red hatch)'));
    window.imgsizeTreemap = { api: tm, layerSelect: sel, wastedToggle: chk };
    tm.render(false);
  } else {
    var sec0 = section('treemap', 'Where the bytes are');
    sec0.append(h('p', { class: 'note', text: 'This report has no per-path data, so there is no treemap (run imgsize analyze with --include-files or --html). The biggest directories instead:' }));
    sec0.append(dataTable([
      { label: 'Directory', cell: function (d) { return h('code', { text: d.path }); } },
      { label: 'Visible (uncompressed)', num: true, cell: function (d) { return fmtBytes(d.visibleBytes); } },
      { label: 'Files', num: true, cell: function (d) { return fmtCount(d.files); } },
    ], r.directories || []));
    root.append(sec0);
  }

  // Layers
  var maxL = Math.max.apply(null, [1].concat(r.layers.map(function (l) { return l.contentBytes; })));
  var secL = section('layers', 'Layers', 'base first; sizes uncompressed unless marked compressed');
  secL.append(dataTable([
    { label: '#', num: true, cell: function (l) { return String(l.index); } },
    { label: 'Instruction', cell: function (l) { var t = cleanInstruction(l.instruction); return h('div', { class: 'instr clip', title: t, text: t || '(no history)' }); } },
    { label: 'Shipped', num: true, cell: function (l) { return l.empty ? 'empty' : fmtBytes(l.contentBytes); } },
    { label: 'By category', cell: function (l) { return catBar(l.categories || {}, l.contentBytes, maxL); } },
    { label: 'Compressed', num: true, cell: function (l) { return l.compressedBytes === undefined ? '\u2013' : fmtBytes(l.compressedBytes) + (l.compressedBytesExact ? '' : ' est.'); } },
    { label: 'Hidden later', num: true, cell: function (l) { return l.hiddenBytes > 0 ? h('span', { class: 'delta-bad', text: fmtBytes(l.hiddenBytes) }) : ''; } },
    { label: 'Files', num: true, cell: function (l) { return fmtCount(l.files); } },
    { label: '', cell: function (l) {
      if (!DATA.tree || !DATA.tree.hasLayers || l.contentBytes === 0) return '';
      return h('button', { type: 'button', class: 'btn', 'aria-label': 'Show what layer ' + l.index + ' added in the treemap', onclick: function () {
        var T = window.imgsizeTreemap; T.layerSelect.value = String(l.index); T.api.set({ layer: l.index });
        document.getElementById('treemap').scrollIntoView({ behavior: 'smooth', block: 'start' });
      } }, 'Treemap');
    } },
  ], r.layers, { caption: 'Layers' }));
  root.append(secL);

  // Findings
  var F = r.findings || [];
  var secF = section('findings', 'Findings', F.length ? 'potential savings ' + fmtBytes(sm.potentialSavingsBytes || 0) + ' uncompressed, ' + fmtBytes(sm.potentialSavingsCompressedBytes || 0) + ' compressed; each byte counted once' : '');
  if (F.length === 0) secF.append(h('p', { class: 'note', text: r.findings ? 'No findings: nothing obvious to remove.' : 'This report has no findings section.' }));
  F.forEach(function (f, i) {
    var box = h('details', { class: 'finding' });
    if (i < 3) box.open = true;
    box.append(h('summary', null,
      h('span', { class: 'pill sev-' + f.severity, text: f.severity }),
      h('span', { class: 'ft', text: f.title }),
      h('span', { class: 'fs' }, h('b', { text: fmtBytes(f.bytes) }), ' uncompressed \u00b7 ' + fmtBytes(f.compressedBytes) + ' compressed')));
    var body = h('div', { class: 'fbody' });
    body.append(h('div', { class: 'saves', text: 'Saves ' + fmtBytes(f.bytes) + ' uncompressed, ' + fmtBytes(f.compressedBytes) + ' compressed, ~' + fmtSeconds(f.pullSeconds) + ' of pull time \u00b7 confidence: ' + f.confidence + (f.countedInSavings ? '' : ' \u00b7 not counted in the savings total (informational, or bytes an earlier finding already counts)') }));
    if (f.instruction || f.layers.length) {
      body.append(h('div', { class: 'fixhead', text: f.layers.length ? 'Introduced by layer ' + f.layers.join(', ') : 'Introduced by' }));
      if (f.instruction) body.append(h('div', { class: 'instr', text: cleanInstruction(f.instruction) }));
    }
    body.append(h('div', { class: 'fixhead', text: 'Fix' }), h('pre', null, h('code', { text: f.fix })));
    if (f.note) body.append(h('p', { class: 'note', text: f.note }));
    if (f.evidence.length) {
      body.append(h('div', { class: 'fixhead', text: 'Evidence (largest paths)' }),
        h('ul', null, f.evidence.map(function (e) { return h('li', null, h('code', { text: e.path }), ' \u2014 ' + fmtBytes(e.bytes) + ' (layer ' + e.layer + ')'); })));
    }
    box.append(body);
    secF.append(box);
  });
  root.append(secF);

  // Categories
  if (r.categories && r.categories.length) {
    var secC = section('categories', 'Categories', 'every shipped file has exactly one category');
    var total = Math.max(1, sm.contentBytes);
    secC.append(dataTable([
      { label: 'Category', value: function (c) { return c.label; }, cell: function (c) { return h('span', { class: 'cat-name', style: { display: 'inline-flex', gap: '8px', alignItems: 'center' } }, swatch(c.id), c.label); } },
      { label: 'Shipped', num: true, value: function (c) { return c.bytes; }, cell: function (c) { return fmtBytes(c.bytes); } },
      { label: 'Share', value: function (c) { return c.bytes; }, cell: function (c) { return h('div', { class: 'bar share', title: fmtPct(c.bytes / total) }, h('span', { style: { width: (100 * c.bytes / total) + '%', background: styleOf(c.id).color } })); } },
      { label: 'Visible', num: true, value: function (c) { return c.visibleBytes; }, cell: function (c) { return fmtBytes(c.visibleBytes); } },
      { label: 'Wasted', num: true, value: function (c) { return c.wastedBytes; }, cell: function (c) { return c.wastedBytes ? fmtBytes(c.wastedBytes) : ''; } },
      { label: 'Compressed (est.)', num: true, value: function (c) { return c.compressedBytes; }, cell: function (c) { return c.compressedBytes === undefined ? '\u2013' : fmtBytes(c.compressedBytes); } },
      { label: 'Files', num: true, value: function (c) { return c.files; }, cell: function (c) { return fmtCount(c.files); } },
    ], r.categories.filter(function (c) { return c.bytes > 0 || c.files > 0; }), { sortable: true, sortCol: 1, caption: 'Categories' }));
    root.append(secC);
  }

  // GPU kernels
  if (r.gpu) root.append(gpuSection(r.gpu));

  // Packages
  var P = r.packages;
  var secP = section('packages', 'Packages', P ? fmtCount(P.packages.length) + ' packages \u00b7 unowned: ' + fmtBytes(P.unownedBytes) + ' in ' + fmtCount(P.unownedFiles) + ' files (visible, uncompressed)' : '');
  if (!P || P.packages.length === 0) secP.append(h('p', { class: 'note', text: P ? 'No package databases (dpkg, pip, conda) found.' : 'This report has no packages section.' }));
  else {
    secP.append(dataTable([
      { label: 'Manager', value: function (p) { return p.manager; }, cell: function (p) { return p.manager; } },
      { label: 'Package', value: function (p) { return p.name.toLowerCase(); }, cell: function (p) { return h('code', { text: p.name }); } },
      { label: 'Version', value: function (p) { return p.version || ''; }, cell: function (p) { return p.version || ''; } },
      { label: 'Layer', num: true, value: function (p) { return p.layer; }, cell: function (p) { return p.layer === null ? '\u2013' : String(p.layer); } },
      { label: 'Visible (uncompressed)', num: true, value: function (p) { return p.visibleBytes; }, cell: function (p) { return fmtBytes(p.visibleBytes); } },
      { label: 'Compressed (est.)', num: true, value: function (p) { return p.compressedBytes; }, cell: function (p) { return p.compressedBytes === undefined ? '\u2013' : fmtBytes(p.compressedBytes); } },
      { label: 'Wasted', num: true, value: function (p) { return p.wastedBytes; }, cell: function (p) { return p.wastedBytes ? fmtBytes(p.wastedBytes) : ''; } },
      { label: 'Files', num: true, value: function (p) { return p.files; }, cell: function (p) { return fmtCount(p.files); } },
    ], P.packages, { sortable: true, sortCol: 4, limit: 100, scroll: true, caption: 'Packages', filterText: function (p) { return p.manager + ' ' + p.name + ' ' + (p.version || ''); }, filterPlaceholder: 'package name' }));
  }
  root.append(secP);

  warnings(r.warnings);
  footer(r.tool.version);
}

function catBar(cats, bytes, max) {
  var keys = Object.keys(cats).filter(function (k) { return cats[k] > 0; }).sort(function (a, b) { return cats[b] - cats[a]; });
  var label = keys.map(function (k) { return catLabel(k) + ' ' + fmtBytes(cats[k]); }).join(', ');
  var bar = h('div', { class: 'bar', role: 'img', 'aria-label': label || 'no files', title: label, style: { width: Math.max(1, 100 * bytes / max) + '%' } });
  keys.forEach(function (k) {
    var st = styleOf(k);
    bar.append(h('span', { style: { width: (100 * cats[k] / Math.max(1, bytes)) + '%', background: st.color } }));
  });
  return h('div', { class: 'barbox' }, bar);
}

// The GPU kernels section: bytes per architecture with GPU names, largest libraries, torch build, target.
function gpuSection(G) {
  var sass = G.archs.filter(function (a) { return a.kind === 'sass'; });
  var range = sass.length === 0 ? 'no SASS' : sass.length === 1 ? sass[0].arch : sass[0].arch + '\u2026' + sass[sass.length - 1].arch;
  var sec = section('gpu', 'GPU kernels', G.files ? fmtBytes(G.fatbinBytes) + ' for ' + range + (G.ptxBytes ? ' + PTX' : '') + ' in ' + fmtCount(G.files) + ' files (uncompressed, as stored in the files)' : 'no CUDA fat binaries');
  var notes = [];
  if (G.torch) {
    var t = G.torch;
    var what = t.variant === 'cuda' ? 'CUDA' + (t.cudaVersion ? ' ' + t.cudaVersion : '') : t.variant === 'rocm' ? 'ROCm' + (t.rocmVersion ? ' ' + t.rocmVersion : '') : 'CPU-only';
    notes.push(what + ' build of torch' + (t.version ? ' ' + t.version : '') + ' (from ' + t.evidence + ')');
  }
  if (G.target) {
    notes.push(G.target.none
      ? 'Target: none (CPU only): all ' + fmtBytes(G.target.otherGpuBytes) + ' of GPU kernels are unused'
      : 'Target: ' + G.target.archs.join(', ') + ': ' + fmtBytes(G.target.otherGpuBytes) + ' only other GPUs use' + (G.target.forwardCompatPtxBytes ? '; ' + fmtBytes(G.target.forwardCompatPtxBytes) + ' of newest-architecture PTX kept for forward compatibility' : ''));
  }
  if (G.wheels.length) notes.push('Wheels: ' + G.wheels.slice(0, 8).map(function (w) { return w.name + ' ' + fmtBytes(w.bytes); }).join(', '));
  if (G.hostDriver) notes.push('Host driver pieces in the image: ' + fmtBytes(G.hostDriver.bytes) + ' (' + G.hostDriver.paths.slice(0, 3).join(', ') + ')');
  if (G.warnings.length) notes.push(G.warnings.length + ' fatbin warning(s), e.g. ' + G.warnings[0].code + ' ' + G.warnings[0].path + ': ' + G.warnings[0].message);
  notes.forEach(function (n) { sec.append(h('p', { class: 'note', text: n })); });
  if (G.archs.length) {
    var max = Math.max.apply(null, G.archs.map(function (a) { return a.bytes; }).concat([1]));
    sec.append(dataTable([
      { label: 'Arch', value: function (a) { return a.sm; }, cell: function (a) { return a.arch; } },
      { label: 'Kind', value: function (a) { return a.kind; }, cell: function (a) { return a.kind === 'sass' ? 'SASS' : a.kind === 'ptx' ? 'PTX' : a.kind; } },
      { label: 'Bytes', num: true, value: function (a) { return a.bytes; }, cell: function (a) { return fmtBytes(a.bytes); } },
      { label: 'Share', value: function (a) { return a.bytes; }, cell: function (a) { return h('div', { class: 'bar share' }, h('span', { style: { width: (100 * a.bytes / max) + '%' } })); } },
      { label: 'Entries', num: true, value: function (a) { return a.entries; }, cell: function (a) { return fmtCount(a.entries); } },
      { label: 'Files', num: true, value: function (a) { return a.files; }, cell: function (a) { return fmtCount(a.files); } },
      { label: 'GPUs', value: function (a) { return a.gpus; }, cell: function (a) { return a.gpus; } },
    ], G.archs, { caption: 'GPU kernel bytes per architecture' }));
  }
  if (G.topFiles.length) {
    sec.append(h('div', { class: 'fixhead', text: 'Largest libraries' }));
    sec.append(dataTable([
      { label: 'Fatbin', num: true, value: function (f) { return f.fatbinBytes; }, cell: function (f) { return fmtBytes(f.fatbinBytes); } },
      { label: 'Package', value: function (f) { return f.package || ''; }, cell: function (f) { return f.package || '\u2013'; } },
      { label: 'Archs', value: function (f) { return f.sass.length; }, cell: function (f) { return f.sass.join(' ') + (f.ptx.length ? ' + PTX ' + f.ptx.join(' ') : ''); } },
      { label: 'Path', value: function (f) { return f.path; }, cell: function (f) { return h('code', { text: f.path }); } },
    ], G.topFiles, { sortable: true, sortCol: 0, caption: 'Largest libraries with GPU kernels' }));
  }
  return sec;
}

function header(title, meta, toc, brand) {
  var m = h('div', { class: 'meta' });
  meta.forEach(function (x) { if (x) m.append(h('span', null, x[0] + ': ', h('b', { text: x[1] }))); });
  var nav = h('nav', { class: 'toc', 'aria-label': 'Sections' }, toc.map(function (t) { return h('a', { href: '#' + t[0], text: t[1] }); }));
  document.body.insertBefore(h('header', { class: 'top' }, h('div', { class: 'wrap' }, h('div', null, h('div', { class: 'brand', text: brand || 'imgsize report' }), title, m), nav)), document.body.firstChild);
}
function warnings(list) {
  if (!list || !list.length) return;
  var sec = section('warnings', 'Warnings', fmtCount(list.length));
  sec.append(h('ul', { class: 'warnings' }, list.slice(0, 50).map(function (w) { return h('li', { text: typeof w === 'string' ? w : (w.layer != null ? 'layer ' + w.layer + ': ' : '') + w.message }); })));
  if (list.length > 50) sec.append(h('p', { class: 'note', text: '\u2026 ' + (list.length - 50) + ' more in the JSON report' }));
  root.append(sec);
}
function footer(version) {
  root.append(h('footer', null, 'Generated by imgsize ' + version + '. Sizes in decimal units (1 MB = 1,000,000 bytes); uncompressed unless marked compressed. This file is self-contained: it loads nothing from the network.'));
}

// ------------------------------------------------------------------------------------------
// Diff page

function diffPage() {
  var d = DATA.diff, t = d.totals;
  document.title = 'imgsize diff: ' + d.before.name + ' \u2192 ' + d.after.name;
  header(h('h1', null, d.before.name, h('span', { class: 'arrow', text: '\u2192' }), d.after.name), [
    ['Before', d.before.platform + ', ' + (d.before.origin === 'saved-report' ? 'saved report' : 'analysed')],
    ['After', d.after.platform + ', ' + (d.after.origin === 'saved-report' ? 'saved report' : 'analysed')],
  ], [['summary', 'Summary'], ['categories', 'Categories'], ['treemap', 'Treemap'], ['layers', 'Layers'], ['packages', 'Packages'], ['findings', 'Findings'], ['paths', 'Paths']], 'imgsize diff');

  function dcard(label, kind, m, fmt, detail) {
    var has = m.before !== null && m.after !== null;
    return card({ label: label, kind: kind, tone: has && m.delta < 0 ? 'good' : has && m.delta > 0 ? 'bad' : '',
      value: has ? (m.delta > 0 ? '+' : '') + (fmt === fmtBytes ? fmtBytes(m.delta) : fmt(m.delta)) : '?',
      small: has ? relPct(m.before, m.after) : '',
      detail: has ? fmt(m.before) + ' \u2192 ' + fmt(m.after) + (detail ? ' \u00b7 ' + detail : '') : 'not known for both sides' });
  }
  var c = t.compressedBytes;
  root.append(h('div', { class: 'cards', id: 'summary', role: 'region', 'aria-label': 'Summary' },
    dcard('Shipped', 'uncompressed', t.contentBytes, fmtBytes),
    dcard('Compressed', 'compressed', c, fmtBytes, c.beforeExact && c.afterExact ? 'exact' : 'estimated'),
    dcard('Visible', 'uncompressed', t.visibleBytes, fmtBytes),
    dcard('Wasted', 'uncompressed', t.wastedBytes, fmtBytes),
    dcard('Est. pull time', 'compressed', t.pullSeconds, fmtSeconds, 'at ' + fmtBandwidth(t.bandwidthBitsPerSecond)),
    card({ label: 'New layers to pull', kind: 'compressed', value: d.layers.addedCompressedBytes === null ? '?' : fmtBytes(d.layers.addedCompressedBytes),
      detail: d.layers.added.length + ' added, ' + d.layers.shared.length + ' shared, ' + d.layers.removed.length + ' removed' })));

  // Categories before/after
  var secC = section('categories', 'Categories, before and after', 'shipped, uncompressed; grey bar = before, coloured bar = after');
  if (!d.categories.available) secC.append(h('p', { class: 'note', text: 'Not available: ' + d.categories.reason }));
  else {
    var ch = d.categories.changes.filter(function (x) { return x.before > 0 || x.after > 0; });
    var max = Math.max.apply(null, [1].concat(ch.map(function (x) { return Math.max(x.before, x.after); })));
    var grid = h('div', { class: 'cat-rows', role: 'list' });
    ch.forEach(function (x) {
      var st = styleOf(x.id);
      var label = (STYLES[x.id] && x.label) || x.label;
      grid.append(h('div', { class: 'name', role: 'listitem' }, swatch(x.id), h('span', { text: label })),
        h('div', { class: 'bars', role: 'img', 'aria-label': label + ': before ' + fmtBytes(x.before) + ', after ' + fmtBytes(x.after) },
          h('div', { class: 'b before', style: { width: (100 * x.before / max) + '%' }, title: 'before ' + fmtBytes(x.before) }),
          h('div', { class: 'b', style: { width: (100 * x.after / max) + '%', background: st.color }, title: 'after ' + fmtBytes(x.after) })),
        h('div', { class: 'nums' }, fmtBytes(x.before) + ' \u2192 ' + fmtBytes(x.after) + ' ', deltaSpan(x.delta, '(' + fmtDelta(x.delta) + ')')));
    });
    secC.append(grid);
  }
  root.append(secC);

  // Treemap of what grew (or shrank)
  if (DATA.tree) {
    var grew = 0, shrank = 0;
    DATA.tree.nodes.forEach(function (n) { if (n.length > 2) { grew += n[4]; shrank += n[5]; } });
    var ts = treemapSection({
      title: 'What changed, by path', sub: 'shipped bytes, uncompressed, coloured by category', kind: 'diff', tree: DATA.tree,
      note: DATA.treeSource === 'top' ? 'Only the ' + fmtCount(d.paths.available ? d.paths.top.length : 0) + ' largest path changes are in the diff report (' + fmtCount(d.paths.available ? d.paths.omitted : 0) + ' more not shown); pass both analyze reports for the full picture.' : '',
      status: function (api) {
        var z = api.zoom();
        return [api.state.mode === 'grew' ? 'Grew by ' : 'Shrank by ', h('b', { text: fmtBytes(z.a) }), ' (shipped, uncompressed) in ' + fmtCount(z.files) + ' paths' + (api.pathOf(z) === '/' ? '' : ' under ' + api.pathOf(z))];
      },
      emptyText: function (st) { return st.mode === 'grew' ? 'Nothing grew here.' : 'Nothing shrank here.'; },
    });
    var mode = grew > 0 || shrank === 0 ? 'grew' : 'shrank';
    var seg = h('div', { class: 'seg', role: 'radiogroup', 'aria-label': 'Which changes' });
    [['grew', 'What grew (' + fmtBytes(grew) + ')'], ['shrank', 'What shrank (' + fmtBytes(shrank) + ')']].forEach(function (m) {
      var inp = h('input', { type: 'radio', name: 'tm-mode', value: m[0], id: 'tm-mode-' + m[0] });
      inp.checked = m[0] === mode;
      inp.addEventListener('change', function () { if (inp.checked) ts.tm.set({ mode: m[0] }); });
      seg.append(h('label', null, inp, m[1]));
    });
    ts.toolbar.append(seg);
    ts.tm.state.mode = mode;
    window.imgsizeTreemap = { api: ts.tm };
    ts.tm.render(false);
  } else {
    var s0 = section('treemap', 'What changed, by path');
    s0.append(h('p', { class: 'note', text: d.paths.available ? 'No path changed.' : 'Not available: ' + d.paths.reason }));
    root.append(s0);
  }

  // Layers
  var L = d.layers;
  var secL = section('layers', 'Layers', L.shared.length + ' shared (' + fmtBytes(L.sharedBytes) + '), ' + L.removed.length + ' removed (' + fmtBytes(L.removedBytes) + '), ' + L.added.length + ' added (' + fmtBytes(L.addedBytes) + '); uncompressed unless marked');
  var rows = [].concat(L.removed.map(function (l) { return ['removed', l]; }), L.added.map(function (l) { return ['added', l]; }), L.shared.map(function (l) { return ['shared', l]; }));
  secL.append(dataTable([
    { label: 'Change', cell: function (x) { return h('span', { class: x[0] === 'added' ? 'chg-added' : x[0] === 'removed' ? 'chg-removed' : '', text: x[0] }); } },
    { label: 'Before #', num: true, cell: function (x) { return x[1].beforeIndex === null ? '' : String(x[1].beforeIndex); } },
    { label: 'After #', num: true, cell: function (x) { return x[1].afterIndex === null ? '' : String(x[1].afterIndex); } },
    { label: 'Shipped', num: true, cell: function (x) { return fmtBytes(x[1].contentBytes); } },
    { label: 'Compressed', num: true, cell: function (x) { return x[1].compressedBytes === null ? '\u2013' : fmtBytes(x[1].compressedBytes) + (x[1].compressedBytesExact ? '' : ' est.'); } },
    { label: 'Instruction', cell: function (x) { var s1 = cleanInstruction(x[1].instruction); return h('div', { class: 'instr clip', title: s1, text: s1 || '(no history)' }); } },
  ], rows, { caption: 'Layers' }));
  root.append(secL);

  // Packages
  var secP = section('packages', 'Packages');
  if (!d.packages.available) secP.append(h('p', { class: 'note', text: 'Not available: ' + d.packages.reason }));
  else {
    var k = d.packages.counts;
    secP.append(h('p', { class: 'note', text: k.added + ' added, ' + k.removed + ' removed, ' + k.versionChanged + ' version changed, ' + k.unchanged + ' unchanged (visible bytes, uncompressed)' }));
    secP.append(dataTable([
      { label: 'Change', value: function (p) { return p.change; }, cell: function (p) { return h('span', { class: p.change === 'added' ? 'chg-added' : p.change === 'removed' ? 'chg-removed' : '', text: p.change }); } },
      { label: 'Manager', value: function (p) { return p.manager; }, cell: function (p) { return p.manager; } },
      { label: 'Package', value: function (p) { return p.name.toLowerCase(); }, cell: function (p) { return h('code', { text: p.name }); } },
      { label: 'Version', value: function (p) { return p.versionAfter || p.versionBefore || ''; }, cell: function (p) { return p.change === 'version-changed' ? (p.versionBefore || '?') + ' \u2192 ' + (p.versionAfter || '?') : (p.versionAfter || p.versionBefore || ''); } },
      { label: 'Before', num: true, value: function (p) { return p.bytesBefore; }, cell: function (p) { return fmtBytes(p.bytesBefore); } },
      { label: 'After', num: true, value: function (p) { return p.bytesAfter; }, cell: function (p) { return fmtBytes(p.bytesAfter); } },
      { label: 'Delta', num: true, value: function (p) { return p.delta; }, cell: function (p) { return deltaSpan(p.delta, fmtDelta(p.delta)); } },
    ], d.packages.changes, { sortable: true, limit: 100, scroll: true, caption: 'Package changes', filterText: function (p) { return p.manager + ' ' + p.name; }, filterPlaceholder: 'package name' }));
  }
  root.append(secP);

  // Findings
  var secF = section('findings', 'Findings');
  if (!d.findings.available) secF.append(h('p', { class: 'note', text: 'Not available: ' + d.findings.reason }));
  else {
    var F = d.findings;
    var list = h('ul', { class: 'findings-diff' });
    F.resolved.forEach(function (f) { list.append(h('li', null, h('span', { class: 'pill sev-low', style: { background: 'var(--good-soft)', color: 'var(--good)' }, text: 'resolved' }), ' ' + f.title + ' (' + fmtBytes(f.bytes) + ')')); });
    F.new.forEach(function (f) { list.append(h('li', null, h('span', { class: 'pill sev-high', text: 'new' }), ' ' + f.title + ' (' + fmtBytes(f.bytes) + ')')); });
    F.persisting.forEach(function (f) { list.append(h('li', null, h('span', { class: 'pill sev-medium', text: 'still open' }), ' ' + f.title + ' (' + fmtBytes(f.bytesBefore) + ' \u2192 ' + fmtBytes(f.bytesAfter) + ')')); });
    secF.append(h('p', { class: 'note', text: F.resolved.length + ' resolved, ' + F.new.length + ' new, ' + F.persisting.length + ' still open' }), list);
  }
  root.append(secF);

  // Paths
  var secPa = section('paths', 'Largest path changes', 'shipped, uncompressed');
  if (!d.paths.available) secPa.append(h('p', { class: 'note', text: 'Not available: ' + d.paths.reason }));
  else {
    var Pk = d.paths.counts;
    secPa.append(h('p', { class: 'note', text: Pk.added + ' added, ' + Pk.removed + ' removed, ' + Pk.grown + ' grown, ' + Pk.shrunk + ' shrunk, ' + Pk.unchanged + ' unchanged' + (d.paths.omitted ? '; ' + d.paths.omitted + ' smaller changes not listed' : '') }));
    secPa.append(dataTable([
      { label: 'Path', value: function (p) { return p.path; }, cell: function (p) { return h('code', { text: p.path }); } },
      { label: 'Change', value: function (p) { return p.change; }, cell: function (p) { return p.change; } },
      { label: 'Before', num: true, value: function (p) { return p.before; }, cell: function (p) { return fmtBytes(p.before); } },
      { label: 'After', num: true, value: function (p) { return p.after; }, cell: function (p) { return fmtBytes(p.after); } },
      { label: 'Delta', num: true, value: function (p) { return p.delta; }, cell: function (p) { return deltaSpan(p.delta, fmtDelta(p.delta)); } },
    ], d.paths.top, { sortable: true, limit: 50, scroll: true, caption: 'Path changes', filterText: function (p) { return p.path; }, filterPlaceholder: 'path' }));
  }
  root.append(secPa);

  warnings(d.warnings);
  footer(d.tool.version);
}

try {
  if (DATA.page === 'diff') diffPage(); else analyzePage();
  document.documentElement.setAttribute('data-ready', 'true');
} catch (err) {
  root.append(h('pre', { class: 'note', text: 'This report could not be displayed: ' + (err && err.message) }));
  throw err;
}
})();
`;
