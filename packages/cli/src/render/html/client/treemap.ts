/**
 * The treemap: a squarified layout (Bruls/Huizing/van Wijk 2000) of the report's path tree, drawn
 * as SVG, with zoom, keyboard navigation (roving tabindex), tooltips, a side list and a legend.
 */
import type { LayerReport } from '@imgsize/core';
import type { AnalyzeLeaf, DiffLeaf, HtmlTree } from '../tree.js';
import type { TreeNodeRow } from './data.js';
import { add, clear, h, s, type Child } from './dom.js';
import { cleanInstruction, clip, fmtBytes, fmtCount, fmtPct } from './format.js';
import { catLabel, root, section, styleOf, swatch, textOn } from './ui.js';

/** A box to lay out: a node (folder or leaf) and which part of its bytes it shows. */
export interface Item {
  node: TmNode;
  part: string;
  value: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** The folder a click zooms to (the end of a single-folder chain). */
  target?: TmNode;
}

export interface TmNode {
  id: number;
  raw: TreeNodeRow;
  parent: TmNode | null;
  name: string;
  dir: boolean;
  children: TmNode[];
  cat: string | null;
  count: number;
  value: number;
  a: number;
  b: number;
  files: number;
  cats: Map<string | null, number>;
}

export interface TreemapState {
  layer: number;
  wasted: boolean;
  mode: 'grew' | 'shrank';
}

export interface TreemapApi {
  state: TreemapState;
  set(p: Partial<TreemapState>): void;
  zoomTo(n: TmNode | null, focusNode?: TmNode): void;
  root(): TmNode;
  zoom(): TmNode;
  items(): Item[];
  pathOf(n: TmNode): string;
  render(keepFocus: boolean): void;
}

type Kind = 'analyze' | 'diff';

interface TreemapOptions {
  tree: HtmlTree<AnalyzeLeaf> | HtmlTree<DiffLeaf>;
  kind: Kind;
  host: HTMLElement;
  info: HTMLElement;
  side?: HTMLElement;
  legend?: HTMLElement;
  crumbs?: HTMLElement;
  live?: HTMLElement;
  label?: string;
  layers?: readonly LayerReport[];
  height?: () => number;
  status?: (api: TreemapApi) => void;
  emptyText?: (st: TreemapState) => string;
  onRender?: (api: TreemapApi) => void;
}

/** Squarified layout: sets x, y, w, h on items (sorted by value, largest first) to fill the rect. */
export function squarify(items: Item[], x: number, y: number, w: number, hh: number): void {
  let total = 0;
  for (const it of items) total += it.value;
  if (total <= 0 || w <= 0 || hh <= 0) {
    for (const it of items) {
      it.x = x;
      it.y = y;
      it.w = 0;
      it.h = 0;
    }
    return;
  }
  const scale = (w * hh) / total;
  let start = 0;
  while (start < items.length) {
    const side = Math.min(w, hh);
    let end = start;
    let sum = 0;
    let best = Infinity;
    while (end < items.length) {
      const a = items[end]!.value * scale;
      const ns = sum + a;
      const mx = items[start]!.value * scale;
      const mn = a;
      const worst = Math.max((side * side * mx) / (ns * ns), (ns * ns) / (side * side * mn));
      if (end > start && worst > best) break;
      best = worst;
      sum = ns;
      end++;
    }
    const last = end >= items.length;
    let thick = side > 0 ? sum / side : 0;
    if (last) thick = w >= hh ? w : hh;
    let off = 0;
    for (let j = start; j < end; j++) {
      const it = items[j]!;
      const len = j === end - 1 ? side - off : (it.value * scale) / thick;
      if (w >= hh) {
        it.x = x;
        it.y = y + off;
        it.w = thick;
        it.h = len;
      } else {
        it.x = x + off;
        it.y = y;
        it.w = len;
        it.h = thick;
      }
      off += len;
    }
    if (w >= hh) {
      x += thick;
      w -= thick;
    } else {
      y += thick;
      hh -= thick;
    }
    start = end;
  }
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

export function createTreemap(o: TreemapOptions): TreemapApi {
  const tree = o.tree;
  const nodes: TmNode[] = tree.nodes.map((r: TreeNodeRow, i: number) => {
    const dir = r.length === 2;
    return {
      id: i,
      raw: r,
      parent: null,
      name: r[1],
      dir,
      children: [],
      cat: dir ? null : (tree.cats[(r as AnalyzeLeaf)[2]] ?? null),
      count: dir ? 0 : (r as AnalyzeLeaf)[3],
      value: 0,
      a: 0,
      b: 0,
      files: 0,
      cats: new Map(),
    };
  });
  for (const n of nodes) {
    if (n.raw[0] >= 0) {
      n.parent = nodes[n.raw[0]]!;
      n.parent.children.push(n);
    }
  }
  const top = nodes[0]!;
  const state: TreemapState = { layer: -1, wasted: false, mode: 'grew' };
  let zoom = top;
  let items: Item[] = [];
  let active = 0;
  let hlCat: string | null = null;

  // tabindex -1: Chromium would otherwise put the <svg> itself in the tab order before the boxes.
  const svg = s('svg', { class: 'tm', role: 'group', tabindex: '-1', 'aria-roledescription': 'treemap', 'aria-label': o.label ?? 'Treemap' });
  const layer = s('g');
  const ringG = s('g');
  const ringOuter = s('rect', { class: 'tm-ring-outer', visibility: 'hidden' });
  const ring = s('rect', { class: 'tm-ring', visibility: 'hidden' });
  ringG.append(ringOuter, ring);
  svg.append(layer, ringG);
  const empty = h('div', { class: 'tm-empty', hidden: true });
  const tip = h('div', { class: 'tm-tip', hidden: true, role: 'tooltip' });
  o.host.append(svg, empty, tip);

  function leafParts(n: TmNode): [number, number] {
    if (o.kind === 'diff') {
      const r = n.raw as DiffLeaf;
      return state.mode === 'grew' ? [r[4], 0] : [r[5], 0];
    }
    const r = n.raw as AnalyzeLeaf;
    const L = state.layer;
    let vis = 0;
    let hid = 0;
    const v = r[4];
    for (let i = 0; i < v.length; i += 2) if (L < 0 || v[i] === L) vis += v[i + 1]!;
    const hidden = r[5];
    if (state.wasted && hidden) {
      const st = n.count === 0 ? 3 : 2;
      for (let i = 0; i < hidden.length; i += st) if (L < 0 || hidden[i] === L) hid += hidden[i + 1]!;
    }
    return [vis, hid];
  }
  function compute(): void {
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i]!;
      if (n.dir) {
        n.value = 0;
        n.a = 0;
        n.b = 0;
        n.files = 0;
        n.cats = new Map();
        for (const c of n.children) {
          n.value += c.value;
          n.a += c.a;
          n.b += c.b;
          n.files += c.files;
          if (c.dir) c.cats.forEach((b, k) => n.cats.set(k, (n.cats.get(k) ?? 0) + b));
          else if (c.value > 0) n.cats.set(c.cat, (n.cats.get(c.cat) ?? 0) + c.value);
        }
      } else {
        const p = leafParts(n);
        n.a = p[0];
        n.b = p[1];
        n.value = p[0] + p[1];
        n.files = n.value > 0 ? n.count || 1 : 0;
      }
    }
  }
  function dominant(n: TmNode): string | null {
    let best: string | null = null;
    let bb = -1;
    n.cats.forEach((b, k) => {
      if (b > bb) {
        bb = b;
        best = k;
      }
    });
    return best;
  }
  function partA(): string {
    return o.kind === 'diff' ? state.mode : 'visible';
  }
  function itemsOf(d: TmNode): Item[] {
    const out: Item[] = [];
    const it = (node: TmNode, part: string, value: number): Item => ({ node, part, value, x: 0, y: 0, w: 0, h: 0 });
    for (const c of d.children) {
      if (c.dir) {
        if (c.value > 0) out.push(it(c, 'dir', c.value));
      } else {
        if (c.a > 0) out.push(it(c, partA(), c.a));
        if (c.b > 0) out.push(it(c, 'wasted', c.b));
      }
    }
    out.sort((x, y) => y.value - x.value || x.node.id - y.node.id || (x.part < y.part ? -1 : 1));
    return out;
  }
  function pathOf(n: TmNode): string {
    const parts: string[] = [];
    for (let c: TmNode | null = n; c && c.parent; c = c.parent) parts.push(c.name);
    return `/${parts.reverse().join('/')}`;
  }
  function nameOf(it: Item): string {
    const n = it.node;
    if (n.dir) return `${n.name}/`;
    if (n.count > 0) return `${fmtCount(n.count)} small file${n.count === 1 ? '' : 's'}`;
    return n.name;
  }
  function fullName(it: Item): string {
    const n = it.node;
    if (n.count > 0 && n.parent) return `${pathOf(n.parent)}${n.parent.parent ? '/' : ''}(${nameOf(it)})`;
    return pathOf(n) + (n.dir ? '/' : '');
  }
  function partLabel(part: string): string {
    return part === 'visible'
      ? 'visible, uncompressed'
      : part === 'wasted'
        ? 'wasted: shipped, then hidden (uncompressed)'
        : part === 'grew'
          ? 'grew (shipped, uncompressed)'
          : part === 'shrank'
            ? 'shrank (shipped, uncompressed)'
            : 'uncompressed';
  }
  function layerText(i: number): string {
    if (i < 0) return 'unknown layer';
    const l = (o.layers ?? [])[i];
    const ins = l ? cleanInstruction(l.instruction) : '';
    return `layer ${i}${ins ? ` (${clip(ins, 70)})` : ''}`;
  }
  /** Lines describing an item: [title, ...details]. */
  function describe(it: Item): string[] {
    const n = it.node;
    const lines = [fullName(it)];
    const share = zoom.value > 0 ? ` \u00b7 ${fmtPct(it.value / zoom.value)} of this view` : '';
    lines.push(`${fmtBytes(it.value)} ${partLabel(it.part)}${share}`);
    if (n.dir) {
      const dc = dominant(n);
      lines.push(`${fmtCount(n.files)} file${n.files === 1 ? '' : 's'}${dc !== null ? ` \u00b7 mostly ${catLabel(dc)}` : ''}${n.b > 0 ? ` \u00b7 ${fmtBytes(n.b)} of it wasted` : ''}`);
    } else {
      lines.push(`Category: ${catLabel(n.cat)}`);
      if (n.count > 0) {
        lines.push(
          `Files of at most ${fmtBytes(tree.threshold)} each in this folder${tree.dirThreshold > 0 ? ` and its subfolders of ${fmtBytes(tree.dirThreshold)} or less` : ''}, grouped to keep the page small`,
        );
      }
      if (o.kind === 'analyze' && n.count === 0) {
        const r = n.raw as AnalyzeLeaf;
        const v = r[4];
        const hid = r[5] ?? [];
        if (it.part === 'visible' && v.length) lines.push(`Written by ${layerText(v[0]!)}`);
        if (it.part === 'wasted') {
          for (let i = 0; i < hid.length && i < 9; i += 3) {
            if (state.layer >= 0 && hid[i] !== state.layer) continue;
            lines.push(`${fmtBytes(hid[i + 1])} shipped by ${layerText(hid[i]!)}, hidden by ${layerText(hid[i + 2]!)}`);
          }
        }
      }
      if (o.kind === 'diff') {
        const r = n.raw as DiffLeaf;
        lines.push(`Shipped before ${fmtBytes(r[6])} \u2192 after ${fmtBytes(r[7])}`);
      }
    }
    return lines;
  }

  let drawn = 0;
  const MAX_DRAWN = 5000;
  const HEAD = 16;
  function fit(t: string, px: number): string {
    const n = Math.floor(px / 6.4);
    if (n < 3) return '';
    return t.length <= n ? t : `${t.slice(0, n - 1)}\u2026`;
  }
  function fitLeft(t: string, px: number): string {
    const n = Math.floor(px / 6.4);
    if (n < 3) return '';
    return t.length <= n ? t : `\u2026${t.slice(t.length - n + 1)}`;
  }
  function drawItem(it: Item, depth: number, parent: SVGElement, topIndex: number): void {
    const n = it.node;
    const g = s('g', { class: 'tm-item' });
    if (depth === 1) {
      g.setAttribute('tabindex', '-1');
      g.setAttribute('role', 'button');
      g.setAttribute('data-top', String(topIndex));
      g.setAttribute('aria-label', `${nameOf(it)}, ${fmtBytes(it.value)} ${partLabel(it.part)}${n.dir ? ', folder: Enter to zoom in' : `, ${catLabel(n.cat)}`}`);
    }
    const open = n.dir && it.w >= 40 && it.h >= 34 && depth < 6 && drawn < MAX_DRAWN;
    // A chain of folders that each hold just one folder is drawn as one box (opt/venv/lib/).
    let target = n;
    let kids: Item[] = [];
    let chain = nameOf(it);
    if (n.dir) {
      kids = itemsOf(n);
      while (kids.length === 1 && kids[0]!.part === 'dir') {
        target = kids[0]!.node;
        chain += `${target.name}/`;
        kids = itemsOf(target);
      }
    }
    it.target = target;
    const cat = n.dir ? dominant(n) : n.cat;
    const st = styleOf(cat);
    const fill = it.part === 'wasted' ? '#f6d5d2' : st.color;
    const geo = { x: r2(it.x), y: r2(it.y), width: r2(Math.max(0, it.w)), height: r2(Math.max(0, it.h)) };
    const rect = s('rect', {
      class: `tm-node tm-${it.part}${open ? ' tm-dir-open' : ''}`,
      'data-id': n.id,
      'data-zoom': target.id,
      'data-depth': depth,
      'data-bytes': it.value,
      'data-part': it.part,
      ...geo,
    });
    if (!open) {
      rect.setAttribute('fill', fill);
      rect.setAttribute('data-cat', cat === null ? '' : cat);
    }
    g.append(rect);
    drawn++;
    const pat = it.part === 'wasted' ? 'waste' : open ? 'none' : st.pattern;
    if (pat !== 'none' && it.w > 5 && it.h > 5) g.append(s('rect', { fill: `url(#pat-${pat})`, 'pointer-events': 'none', ...geo }));
    if (open) {
      const labelled = it.w > 44;
      if (labelled) {
        const t = s('text', { class: 'tm-head', x: r2(it.x + 5), y: r2(it.y + 12) });
        const nm = fitLeft(chain, it.w - 10);
        t.textContent = nm;
        const sz = fmtBytes(it.value);
        if ((nm.length + sz.length + 2) * 6.4 < it.w - 10) t.append(s('tspan', { class: 'sz', text: `  ${sz}` }));
        g.append(t);
      }
      squarify(kids, it.x + 2, it.y + (labelled ? HEAD : 2), it.w - 4, it.h - (labelled ? HEAD : 2) - 2);
      for (const k of kids) if (k.w >= 0.5 && k.h >= 0.5 && drawn < MAX_DRAWN) drawItem(k, depth + 1, g, -1);
    } else if (it.w > 30 && it.h > 14) {
      const col = it.part === 'wasted' ? '#7a1610' : textOn(st.color);
      const label = (n.dir ? chain : nameOf(it)) + (it.part === 'wasted' ? ' (wasted)' : '');
      g.append(s('text', { class: 'tm-label', x: r2(it.x + 4), y: r2(it.y + 12), fill: col, text: fit(label, it.w - 8) }));
      if (it.h > 28) g.append(s('text', { class: 'tm-label sz', x: r2(it.x + 4), y: r2(it.y + 25), fill: col, text: fit(fmtBytes(it.value), it.w - 8) }));
    }
    parent.append(g);
  }

  function height(): number {
    return o.height ? o.height() : 560;
  }
  function render(keepFocus: boolean): void {
    compute();
    const width = o.host.clientWidth || 800;
    const H = height();
    clear(layer);
    drawn = 0;
    svg.setAttribute('viewBox', `0 0 ${width} ${H}`);
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(H));
    items = itemsOf(zoom);
    const has = zoom.value > 0 && items.length > 0;
    svg.style.display = has ? '' : 'none';
    empty.hidden = has;
    empty.textContent = has ? '' : o.emptyText ? o.emptyText(state) : 'Nothing to show here.';
    squarify(items, 0, 0, width, H);
    items.forEach((it, i) => drawItem(it, 1, layer, i));
    if (active >= items.length) active = 0;
    setRoving(active, keepFocus);
    if (hlCat !== null) highlight(hlCat);
    updateSide();
    if (o.onRender) o.onRender(api);
  }
  function topG(i: number): SVGGElement | null {
    return layer.querySelector(`g[data-top="${i}"]`);
  }
  function setRoving(i: number, focus: boolean): void {
    const prev = layer.querySelector('g[tabindex="0"]');
    if (prev) prev.setAttribute('tabindex', '-1');
    active = i;
    const g = topG(i);
    if (!g) {
      hideRing();
      return;
    }
    g.setAttribute('tabindex', '0');
    if (focus) g.focus();
  }
  function showRing(it: Item): void {
    for (const r of [ringOuter, ring]) {
      r.setAttribute('x', String(r2(it.x + 1.5)));
      r.setAttribute('y', String(r2(it.y + 1.5)));
      r.setAttribute('width', String(r2(Math.max(0, it.w - 3))));
      r.setAttribute('height', String(r2(Math.max(0, it.h - 3))));
      r.setAttribute('visibility', 'visible');
    }
  }
  function hideRing(): void {
    ring.setAttribute('visibility', 'hidden');
    ringOuter.setAttribute('visibility', 'hidden');
  }
  function showInfo(it: Item): void {
    clear(o.info);
    const lines = describe(it);
    o.info.append(h('div', { class: 'p', text: lines[0] }));
    lines.slice(1).forEach((l, i) => o.info.append(h('div', { class: i === 0 ? '' : 'l', text: l })));
  }
  function idleInfo(): void {
    clear(o.info);
    o.info.append(h('div', { class: 'l', text: 'Hover or focus a box for details. Click a folder (or press Enter) to zoom in; Backspace or Escape zooms out.' }));
  }
  function zoomTo(n: TmNode | null, focusNode?: TmNode): void {
    if (!n || !n.dir) return;
    zoom = n;
    active = 0;
    render(false);
    if (focusNode) {
      const idx = items.findIndex((it) => it.node === focusNode);
      if (idx >= 0) active = idx;
    }
    setRoving(active, true);
    updateCrumbs();
    announce();
  }
  function zoomOut(): void {
    if (zoom.parent) zoomTo(zoom.parent, zoom);
  }
  function announce(): void {
    if (o.live) o.live.textContent = `Showing ${pathOf(zoom) === '/' ? 'the whole filesystem' : pathOf(zoom)}, ${fmtBytes(zoom.value)}, ${items.length} boxes`;
  }
  function move(dx: number, dy: number): void {
    const cur = items[active];
    if (!cur) return;
    const cx = cur.x + cur.w / 2;
    const cy = cur.y + cur.h / 2;
    let best = -1;
    let bs = Infinity;
    items.forEach((it, i) => {
      if (i === active || it.w <= 0 || it.h <= 0) return;
      // Distance from the current box's edge to the candidate's near edge, in the direction asked.
      const along = dx > 0 ? it.x - (cur.x + cur.w) : dx < 0 ? cur.x - (it.x + it.w) : dy > 0 ? it.y - (cur.y + cur.h) : cur.y - (it.y + it.h);
      if (along < -0.5) return;
      const ix = it.x + it.w / 2;
      const iy = it.y + it.h / 2;
      const across = dx !== 0 ? Math.max(0, Math.abs(iy - cy) - (it.h + cur.h) / 2) : Math.max(0, Math.abs(ix - cx) - (it.w + cur.w) / 2);
      const centre = dx !== 0 ? Math.abs(iy - cy) : Math.abs(ix - cx);
      const score = Math.max(0, along) * 4 + across * 8 + centre * 0.05;
      if (score < bs) {
        bs = score;
        best = i;
      }
    });
    if (best >= 0) setRoving(best, true);
  }
  svg.addEventListener('keydown', (e: KeyboardEvent) => {
    const k = e.key;
    if (k === 'ArrowRight') move(1, 0);
    else if (k === 'ArrowLeft') move(-1, 0);
    else if (k === 'ArrowDown') move(0, 1);
    else if (k === 'ArrowUp') move(0, -1);
    else if (k === 'Home') setRoving(0, true);
    else if (k === 'End') setRoving(items.length - 1, true);
    else if (k === 'Enter' || k === ' ') {
      const it = items[active];
      if (it && it.node.dir) zoomTo(it.target ?? it.node);
      else if (it) showInfo(it);
    } else if (k === 'Backspace' || k === 'Escape') {
      if (!zoom.parent) return;
      zoomOut();
    } else return;
    e.preventDefault();
  });
  svg.addEventListener('focusin', (e: FocusEvent) => {
    const g = (e.target as Element | null)?.closest?.('g[data-top]');
    if (!g) return;
    const i = Number(g.getAttribute('data-top'));
    active = i;
    const it = items[i];
    if (it) {
      showRing(it);
      showInfo(it);
    }
  });
  svg.addEventListener('focusout', () => hideRing());
  interface Hit {
    node: TmNode;
    target: TmNode | undefined;
    part: string;
    value: number;
    depth: number;
  }
  function itemAt(target: EventTarget | null): Hit | null {
    const el = target as Element | null;
    let r = el?.closest?.('rect[data-id]') ?? null;
    if (!r) {
      const g = el?.closest?.('g.tm-item');
      r = g ? g.querySelector('rect[data-id]') : null;
    }
    if (!r) return null;
    const n = nodes[Number(r.getAttribute('data-id'))]!;
    return { node: n, target: nodes[Number(r.getAttribute('data-zoom'))], part: r.getAttribute('data-part') ?? '', value: Number(r.getAttribute('data-bytes')), depth: Number(r.getAttribute('data-depth')) };
  }
  svg.addEventListener('mousemove', (e: MouseEvent) => {
    const hit = itemAt(e.target);
    if (!hit) {
      tip.hidden = true;
      return;
    }
    const lines = describe({ ...hit, x: 0, y: 0, w: 0, h: 0 });
    clear(tip);
    tip.append(h('div', { class: 'p', text: lines[0] }));
    for (const l of lines.slice(1)) tip.append(h('div', { class: 'l', text: l }));
    tip.hidden = false;
    const box = o.host.getBoundingClientRect();
    let x = e.clientX - box.left + 14;
    let y = e.clientY - box.top + 14;
    if (x + tip.offsetWidth > box.width) x = Math.max(0, e.clientX - box.left - tip.offsetWidth - 14);
    if (y + tip.offsetHeight > box.height) y = Math.max(0, e.clientY - box.top - tip.offsetHeight - 14);
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  });
  svg.addEventListener('mouseleave', () => {
    tip.hidden = true;
  });
  svg.addEventListener('click', (e: MouseEvent) => {
    const hit = itemAt(e.target);
    if (!hit) return;
    const n = hit.node;
    if (n.dir && hit.part === 'dir') {
      zoomTo(hit.target ?? n);
      return;
    }
    // A file: zoom to its folder (if nested) and focus it.
    if (n.parent && n.parent !== zoom) zoomTo(n.parent, n);
    else {
      const idx = items.findIndex((x) => x.node === n && x.part === hit.part);
      if (idx >= 0) setRoving(idx, true);
    }
  });

  function updateCrumbs(): void {
    const crumbs = o.crumbs;
    if (!crumbs) return;
    clear(crumbs);
    const chain: TmNode[] = [];
    for (let c: TmNode | null = zoom; c; c = c.parent) chain.unshift(c);
    crumbs.append(h('button', { type: 'button', class: 'btn', disabled: !zoom.parent, onclick: zoomOut, title: 'Zoom out (Backspace)' }, '\u2191 Up'));
    chain.forEach((c, i) => {
      const label = i === 0 ? '/' : c.name;
      if (i > 1) crumbs.append(h('span', { class: 'sep', 'aria-hidden': 'true', text: '/' }));
      if (c === zoom) crumbs.append(h('span', { 'aria-current': 'location', text: label }));
      else crumbs.append(h('button', { type: 'button', onclick: () => zoomTo(c, chain[i + 1]), text: label }));
    });
  }
  function highlight(cat: string | null): void {
    hlCat = cat;
    svg.classList.toggle('tm-hl-on', cat !== null);
    layer.querySelectorAll('rect[data-cat]').forEach((r) => {
      r.classList.toggle('tm-hl', cat !== null && (cat === '__wasted' ? r.getAttribute('data-part') === 'wasted' : r.getAttribute('data-cat') === cat));
    });
  }
  function updateSide(): void {
    const side = o.side;
    if (side) {
      clear(side);
      items.slice(0, 12).forEach((it, i) => {
        const c = it.node.dir ? dominant(it.node) : it.node.cat;
        side.append(
          h(
            'li',
            null,
            h(
              'button',
              {
                type: 'button',
                title: fullName(it),
                onclick: () => {
                  if (it.node.dir) zoomTo(it.target ?? it.node);
                  else setRoving(i, true);
                },
              },
              swatch(c, it.part === 'wasted'),
              h('span', { class: 'nm', text: nameOf(it) + (it.part === 'wasted' ? ' (wasted)' : '') }),
              h('span', { class: 'sz', text: `${fmtBytes(it.value)} \u00b7 ${fmtPct(zoom.value ? it.value / zoom.value : 0)}` }),
            ),
          ),
        );
      });
      if (items.length > 12) side.append(h('li', { class: 'note', text: `\u2026 and ${fmtCount(items.length - 12)} more` }));
    }
    const legend = o.legend;
    if (legend) {
      clear(legend);
      const cats: Array<[string | null, number]> = [];
      zoom.cats.forEach((b, k) => cats.push([k, b]));
      cats.sort((x, y) => y[1] - x[1]);
      const entries = cats.map((c) => ({ cat: c[0], bytes: c[1], label: catLabel(c[0]), wasted: false }));
      if (zoom.b > 0 && o.kind === 'analyze') entries.push({ cat: '__wasted', bytes: zoom.b, label: 'Wasted: shipped, then hidden (red hatch, any category)', wasted: true });
      for (const en of entries) {
        legend.append(
          h(
            'li',
            {
              tabindex: 0,
              title: `Highlight ${en.label}`,
              onmouseenter: () => highlight(en.cat),
              onmouseleave: () => highlight(null),
              onfocus: () => highlight(en.cat),
              onblur: () => highlight(null),
            },
            swatch(en.wasted ? '' : en.cat, en.wasted),
            h('span', { text: en.label }),
            h('span', { class: 'sz', text: fmtBytes(en.bytes) }),
          ),
        );
      }
    }
    if (o.status) o.status(api);
  }
  const api: TreemapApi = {
    state,
    set: (p) => {
      Object.assign(state, p);
      render(false);
      updateCrumbs();
    },
    zoomTo,
    root: () => top,
    zoom: () => zoom,
    items: () => items,
    pathOf,
    render,
  };
  idleInfo();
  updateCrumbs();
  let pending = false;
  if (typeof ResizeObserver === 'function') {
    let lastW = -1;
    new ResizeObserver(() => {
      const w = o.host.clientWidth;
      if (w === lastW || pending) return;
      lastW = w;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        render(false);
      });
    }).observe(o.host);
  }
  return api;
}

export interface TreemapSectionOptions {
  title: string;
  sub?: string;
  note?: string;
  kind: Kind;
  tree: HtmlTree<AnalyzeLeaf> | HtmlTree<DiffLeaf>;
  layers?: readonly LayerReport[];
  status: (api: TreemapApi) => Child;
  emptyText: (st: TreemapState) => string;
  /** The sentence saying what the treemap's file counts count (issue 11: one file count everywhere). */
  countNote?: string;
}

/** The treemap section shared by both pages: toolbar slot, crumbs, map, info, side list, legend. */
export function treemapSection(o: TreemapSectionOptions): { tm: TreemapApi; toolbar: HTMLElement; section: HTMLElement } {
  const sec = section('treemap', o.title, o.sub);
  if (o.note) sec.append(h('p', { class: 'note', text: o.note }));
  const toolbar = h('div', { class: 'toolbar' });
  sec.append(toolbar);
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Treemap location' });
  const status = h('div', { class: 'status', id: 'tm-status' });
  const host = h('div', { class: 'tm-host', id: 'tm-host' });
  const info = h('div', { class: 'tm-info', 'aria-live': 'polite', id: 'tm-info' });
  const live = h('div', { class: 'visually-hidden', 'aria-live': 'polite' });
  const sideList = h('ol', { id: 'tm-side' });
  const legend = h('ol', { class: 'legend', id: 'tm-legend', 'aria-label': 'Legend: categories in this view' });
  const left = h(
    'div',
    null,
    crumbs,
    status,
    host,
    info,
    h('div', { class: 'keyhint' }, 'Keyboard: ', h('kbd', { text: 'Tab' }), ' into the map, ', h('kbd', { text: '\u2190\u2191\u2192\u2193' }), ' move, ', h('kbd', { text: 'Enter' }), ' zoom in, ', h('kbd', { text: 'Backspace' }), ' / ', h('kbd', { text: 'Esc' }), ' zoom out.'),
    live,
  );
  const side = h('div', { class: 'side' }, h('h3', { text: 'Largest here' }), sideList, h('h3', { text: 'Legend' }), legend);
  sec.append(h('div', { class: 'tm-layout' }, left, side));
  const threshold = h('p', { class: 'threshold', id: 'tm-threshold' });
  sec.append(threshold);
  root().append(sec);
  const tm = createTreemap({
    tree: o.tree,
    kind: o.kind,
    host,
    info,
    side: sideList,
    legend,
    crumbs,
    live,
    label: o.title,
    ...(o.layers && { layers: o.layers }),
    height: () => Math.max(360, Math.min(620, Math.round(host.clientWidth * 0.62))),
    status: (api) => {
      clear(status);
      add(status, o.status(api));
    },
    emptyText: o.emptyText,
  });
  const t = o.tree;
  const unit = o.kind === 'diff' ? 'change in shipped bytes' : 'shipped, uncompressed';
  // Paths, not copies: the analyze tree holds every path with shipped bytes, visible or hidden later.
  const what = o.kind === 'diff' ? 'changed paths' : 'paths with shipped bytes (visible or hidden later)';
  threshold.textContent =
    (t.threshold > 0
      ? `Grouping threshold: to keep this page small, files of ${fmtBytes(t.threshold)} or less (${unit}) are drawn as \u201cN small files\u201d boxes, one per category, in ${
          t.dirThreshold > 0 ? `the nearest folder larger than ${fmtBytes(t.dirThreshold)}` : 'their folder'
        }. Of the ${fmtCount(t.shownFiles + t.groupedFiles)} ${what}, ${fmtCount(t.shownFiles)} are drawn on their own, ${fmtCount(t.groupedFiles)} grouped.`
      : `Grouping threshold: none \u2014 all ${fmtCount(t.shownFiles)} ${what} are drawn on their own.`) + (o.countNote ? ` ${o.countNote}` : '');
  return { tm, toolbar, section: sec };
}
