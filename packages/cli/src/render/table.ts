/**
 * The only module that knows cli-table3: plain, borderless tables that fit the terminal width.
 * Numbers are never cut: when a table is too wide, flexible (text) columns shrink first, then
 * optional columns are dropped (highest `drop` first), and `wrap` columns wrap onto more lines.
 */
import Table from 'cli-table3';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Columns marked flexible share whatever width is left after the fixed ones (cut with …). */
  flex?: boolean;
  /** A flexible column whose text wraps onto more lines instead of being cut. */
  wrap?: boolean;
  /** May be left out when the table does not fit; higher numbers go first. */
  drop?: number;
}

const CHARS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '  ',
};

/** A flexible column is never squeezed below this (or its natural width, when smaller). */
const FLEX_MIN = 16;
const GAP = 2;

/** Which columns of a table fit in `width`, and how wide each is (indexes into the columns). */
export function layoutColumns(columns: Column[], rows: string[][], width: number): { keep: number[]; widths: number[] } {
  const natural = columns.map((c, i) => Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  let keep = columns.map((_, i) => i);
  const flexible = (i: number) => columns[i]!.flex === true || columns[i]!.wrap === true;
  const minWidth = (ks: number[]) =>
    ks.reduce((s, i) => s + (flexible(i) ? Math.min(natural[i]!, FLEX_MIN) : natural[i]!), 0) + GAP * (ks.length - 1);
  while (minWidth(keep) > width) {
    const droppable = keep.filter((i) => columns[i]!.drop !== undefined);
    if (droppable.length === 0) break;
    const worst = droppable.reduce((a, b) => (columns[b]!.drop! > columns[a]!.drop! ? b : a));
    keep = keep.filter((i) => i !== worst);
  }
  const widths = [...natural];
  const flexCols = keep.filter(flexible);
  if (flexCols.length > 0) {
    const fixed = keep.reduce((s, i) => (flexible(i) ? s : s + natural[i]!), 0);
    let avail = Math.max(0, width - fixed - GAP * (keep.length - 1));
    // Columns narrower than their share keep their natural width; the rest split what remains.
    const pending = [...flexCols].sort((a, b) => natural[a]! - natural[b]!);
    while (pending.length > 0) {
      const share = Math.floor(avail / pending.length);
      const i = pending[0]!;
      if (natural[i]! <= share) {
        widths[i] = natural[i]!;
        avail -= natural[i]!;
        pending.shift();
        continue;
      }
      for (const j of pending) widths[j] = Math.max(Math.min(natural[j]!, FLEX_MIN), share);
      break;
    }
  }
  return { keep, widths: keep.map((i) => widths[i]!) };
}

/** Renders rows as an aligned table no wider than `width` whenever its fixed columns allow it. */
export function renderTable(columns: Column[], rows: string[][], width: number, headerStyle: (s: string) => string = (s) => s): string {
  const { keep, widths } = layoutColumns(columns, rows, width);
  const cols = keep.map((i) => columns[i]!);
  const cut = (s: string, w: number): string => (visibleLength(s) <= w ? s : `${stripAnsi(s).slice(0, Math.max(0, w - 1))}…`);
  const t = new Table({
    head: cols.map((c) => headerStyle(c.header)),
    chars: CHARS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colAligns: cols.map((c) => c.align ?? 'left'),
    colWidths: widths,
    wordWrap: false,
  });
  for (const r of rows) {
    const cells = keep.map((i, k) => {
      const cell = r[i] ?? '';
      return cols[k]!.wrap ? wrapText(stripAnsi(cell), widths[k]!).join('\n') : cut(cell, widths[k]!);
    });
    t.push(cells);
  }
  return t
    .toString()
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n');
}

/** Breaks `text` into lines of at most `width` columns, at spaces where it can. */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  let rest = text;
  while (rest.length > w) {
    let at = rest.lastIndexOf(' ', w);
    if (at <= 0) at = w;
    out.push(rest.slice(0, at).replace(/\s+$/, ''));
    rest = rest.slice(at).replace(/^ /, '');
  }
  out.push(rest);
  return out;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
/** `s` without SGR colour sequences. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}
/** Terminal columns `s` takes (colour sequences take none). */
export function visibleLength(s: string): number {
  return stripAnsi(s).length;
}

/** A proportional bar of `width` cells. */
export function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.floor(f * width);
  const rest = f * width - full;
  const partial = rest >= 0.5 ? '▌' : '';
  return ('█'.repeat(full) + partial).padEnd(width, ' ');
}
