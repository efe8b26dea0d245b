/** Shared building blocks of both pages: category styles, swatches, sections, cards, sortable tables. */
import type { CategoryStyle } from '../palette.js';
import { add, clear, h, s, type Child } from './dom.js';
import { fmtBytes, fmtCount } from './format.js';

let STYLES: Record<string, CategoryStyle> = {};
let ROOT: HTMLElement | null = null;

/** Sets the category styles and the element the sections go into. */
export function initUi(styles: Record<string, CategoryStyle>, root: HTMLElement): void {
  STYLES = styles;
  ROOT = root;
}

/** The `#app` element. */
export function root(): HTMLElement {
  if (!ROOT) throw new Error('initUi was not called');
  return ROOT;
}

export function styleOf(cat: string | null): CategoryStyle {
  return STYLES[cat ?? ''] ?? STYLES[''] ?? { label: cat || 'Uncategorized', color: '#b4bcc6', pattern: 'none' };
}

export function hasStyle(cat: string): boolean {
  return STYLES[cat] !== undefined;
}

export function catLabel(cat: string | null): string {
  return styleOf(cat).label;
}

function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return 1;
  const c = [m[1]!, m[2]!, m[3]!].map((x) => {
    const v = parseInt(x, 16) / 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
}

/** Text colour readable on `hex`. */
export function textOn(hex: string): string {
  return luminance(hex) > 0.33 ? '#111827' : '#ffffff';
}

/** A 14px swatch: the category colour plus its pattern (so it reads without colour). */
export function swatch(cat: string | null, wasted?: boolean): SVGSVGElement {
  const st = styleOf(cat);
  const sv = s('svg', { class: 'sw', viewBox: '0 0 14 14', width: 14, height: 14, 'aria-hidden': 'true' });
  sv.append(s('rect', { width: 14, height: 14, rx: 3, fill: wasted ? '#f6d5d2' : st.color }));
  const pat = wasted ? 'waste' : st.pattern;
  if (pat && pat !== 'none') sv.append(s('rect', { width: 14, height: 14, rx: 3, fill: `url(#pat-${pat})` }));
  return sv;
}

export function section(id: string, title: string, sub?: string): HTMLElement {
  const sec = h('section', { id, 'aria-labelledby': `${id}-h` });
  sec.append(h('h2', { id: `${id}-h` }, title, sub ? h('span', { class: 'sub', text: sub }) : null));
  return sec;
}

export interface CardOptions {
  label: string;
  value: Child;
  small?: string | undefined;
  kind?: 'compressed' | 'uncompressed' | undefined;
  tone?: string | undefined;
  detail?: string | undefined;
}

export function card(o: CardOptions): HTMLDivElement {
  return h(
    'div',
    { class: `card${o.tone ? ` ${o.tone}` : ''}` },
    h('div', { class: 'label', text: o.label }),
    h('div', { class: 'value' }, o.value, o.small ? h('small', { text: ` ${o.small}` }) : null),
    h('div', { class: 'detail' }, o.kind ? h('span', { class: `kind${o.kind === 'compressed' ? ' cmp' : ''}`, text: o.kind }) : null, o.kind ? ' ' : '', o.detail ?? ''),
  );
}

export function deltaSpan(d: number, text: string): HTMLSpanElement {
  return h('span', { class: d < 0 ? 'delta-good' : d > 0 ? 'delta-bad' : '', text });
}

/** A table column: header, how to sort (value) and what to show (cell). */
export interface TableColumn<R> {
  label: string;
  num?: boolean;
  cls?: string;
  value?: (row: R) => string | number | null | undefined;
  cell: (row: R) => Child;
}

export interface TableOptions<R> {
  sortable?: boolean;
  sortCol?: number;
  sortDir?: 'ascending' | 'descending';
  limit?: number;
  cls?: string;
  caption?: string;
  scroll?: boolean;
  filterText?: (row: R) => string;
  filterPlaceholder?: string;
}

/** A table; with `sortable`, every header with a `value` is a button and the sorted column has aria-sort. */
export function dataTable<R>(columns: TableColumn<R>[], rows: readonly R[], o: TableOptions<R> = {}): HTMLDivElement {
  let sortCol = o.sortCol ?? -1;
  let sortDir = o.sortDir ?? 'descending';
  let limit = o.limit ?? Infinity;
  let filter = '';
  const table = h('table', { class: o.cls ?? '' });
  if (o.caption) table.append(h('caption', { class: 'visually-hidden', text: o.caption }));
  const thead = h('thead');
  const tbody = h('tbody');
  const htr = h('tr');
  thead.append(htr);
  table.append(thead, tbody);
  const more = h('div');
  columns.forEach((c, i) => {
    const th = h('th', { scope: 'col', class: c.num ? 'num' : '' });
    if (o.sortable && c.value) {
      th.append(
        h(
          'button',
          {
            type: 'button',
            onclick: () => {
              if (sortCol === i) sortDir = sortDir === 'ascending' ? 'descending' : 'ascending';
              else {
                sortCol = i;
                sortDir = c.num ? 'descending' : 'ascending';
              }
              draw();
            },
          },
          c.label,
          h('span', { class: 'ar', 'aria-hidden': 'true', text: '\u2195' }),
        ),
      );
    } else th.append(c.label);
    htr.append(th);
  });
  function draw(): void {
    Array.prototype.forEach.call(htr.children, (th: Element, i: number) => {
      if (i === sortCol) th.setAttribute('aria-sort', sortDir);
      else th.removeAttribute('aria-sort');
      const ar = th.querySelector('.ar');
      if (ar) ar.textContent = i === sortCol ? (sortDir === 'ascending' ? '\u25b2' : '\u25bc') : '\u2195';
    });
    let list = rows;
    if (filter && o.filterText) {
      const ft = o.filterText;
      list = list.filter((r) => ft(r).toLowerCase().indexOf(filter) >= 0);
    }
    const sc = sortCol >= 0 ? columns[sortCol] : undefined;
    if (sc?.value) {
      const value = sc.value;
      const dir = sortDir === 'ascending' ? 1 : -1;
      list = list.slice().sort((a, b) => {
        const x = value(a);
        const y = value(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * dir;
      });
    }
    clear(tbody);
    for (const r of list.slice(0, limit)) {
      const tr = h('tr');
      for (const c of columns) tr.append(h('td', { class: (c.num ? 'num ' : '') + (c.cls ?? '') }, c.cell(r)));
      tbody.append(tr);
    }
    clear(more);
    if (list.length > limit) {
      more.append(
        h(
          'p',
          { class: 'note' },
          `Showing ${fmtCount(limit)} of ${fmtCount(list.length)} rows. `,
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              onclick: () => {
                limit = Infinity;
                draw();
              },
            },
            'Show all',
          ),
        ),
      );
    }
    if (list.length === 0) tbody.append(h('tr', null, h('td', { colspan: columns.length, class: 'note', text: 'No rows.' })));
  }
  draw();
  const wrap = h('div');
  if (o.filterText) {
    wrap.append(
      h(
        'div',
        { class: 'toolbar' },
        h(
          'label',
          null,
          'Filter ',
          h('input', {
            type: 'search',
            placeholder: o.filterPlaceholder ?? 'name',
            'aria-label': `Filter ${o.caption ?? 'rows'}`,
            oninput: (e: Event) => {
              filter = (e.target as HTMLInputElement).value.trim().toLowerCase();
              draw();
            },
          }),
        ),
      ),
    );
  }
  wrap.append(o.scroll ? h('div', { class: 'scroll' }, table) : table, more);
  return wrap;
}

/** A horizontal bar split by category, `bytes` long relative to `max`. */
export function catBar(cats: Record<string, number>, bytes: number, max: number): HTMLDivElement {
  const keys = Object.keys(cats)
    .filter((k) => cats[k]! > 0)
    .sort((a, b) => cats[b]! - cats[a]!);
  const label = keys.map((k) => `${catLabel(k)} ${fmtBytes(cats[k])}`).join(', ');
  const bar = h('div', { class: 'bar', role: 'img', 'aria-label': label || 'no files', title: label, style: { width: `${Math.max(1, (100 * bytes) / max)}%` } });
  for (const k of keys) bar.append(h('span', { style: { width: `${(100 * cats[k]!) / Math.max(1, bytes)}%`, background: styleOf(k).color } }));
  return h('div', { class: 'barbox' }, bar);
}

/** The page header: brand, title, metadata pairs and the table of contents. */
export function header(title: Child, meta: Array<[string, string] | null>, toc: Array<[string, string]>, brand?: string): void {
  const m = h('div', { class: 'meta' });
  for (const x of meta) if (x) m.append(h('span', null, `${x[0]}: `, h('b', { text: x[1] })));
  const nav = h('nav', { class: 'toc', 'aria-label': 'Sections' }, toc.map((t) => h('a', { href: `#${t[0]}`, text: t[1] })));
  document.body.insertBefore(h('header', { class: 'top' }, h('div', { class: 'wrap' }, h('div', null, h('div', { class: 'brand', text: brand ?? 'imgsize report' }), title, m), nav)), document.body.firstChild);
}

/** A report warning (typed: code, message, layer) or a diff's plain-text warning. */
export type PageWarning = string | { message: string; layer?: number | undefined };

/** As core's formatWarning: "layer 2: message" (core itself is not bundled into the page). */
export function warningText(w: PageWarning): string {
  return typeof w === 'string' ? w : w.layer === undefined || w.layer === null ? w.message : `layer ${w.layer}: ${w.message}`;
}

export function warnings(list: readonly PageWarning[] | undefined): void {
  if (!list || !list.length) return;
  const sec = section('warnings', 'Warnings', fmtCount(list.length));
  sec.append(h('ul', { class: 'warnings' }, list.slice(0, 50).map((w) => h('li', { text: warningText(w) }))));
  if (list.length > 50) sec.append(h('p', { class: 'note', text: `\u2026 ${list.length - 50} more in the JSON report` }));
  root().append(sec);
}

export function footer(version: string): void {
  root().append(
    h('footer', null, `Generated by imgsize ${version}. Sizes in decimal units (1 MB = 1,000,000 bytes); uncompressed unless marked compressed. This file is self-contained: it loads nothing from the network.`),
  );
}

export { add };
