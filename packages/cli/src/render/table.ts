/** The only module that knows cli-table3: plain, borderless, width-aware tables. */
import Table from 'cli-table3';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Columns marked flexible share whatever width is left after the fixed ones. */
  flex?: boolean;
}

const CHARS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '  ',
};

/** Renders rows as an aligned table no wider than `width` (flex columns are truncated to fit). */
export function renderTable(columns: Column[], rows: string[][], width: number, headerStyle: (s: string) => string = (s) => s): string {
  const natural = columns.map((c, i) => Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const sep = 2 * (columns.length - 1);
  const fixed = natural.reduce((s, w, i) => (columns[i]!.flex ? s : s + w), 0);
  const flexCols = columns.map((c, i) => (c.flex ? i : -1)).filter((i) => i >= 0);
  const widths = [...natural];
  if (flexCols.length > 0) {
    const avail = Math.max(flexCols.length * 12, width - fixed - sep);
    const each = Math.floor(avail / flexCols.length);
    for (const i of flexCols) widths[i] = Math.min(natural[i]!, each);
  }
  const cut = (s: string, w: number): string => (visibleLength(s) <= w ? s : `${stripAnsi(s).slice(0, Math.max(0, w - 1))}…`);
  const t = new Table({
    head: columns.map((c) => headerStyle(c.header)),
    chars: CHARS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colAligns: columns.map((c) => c.align ?? 'left'),
    colWidths: widths,
    wordWrap: false,
  });
  for (const r of rows) t.push(r.map((cell, i) => cut(cell, widths[i]!)));
  return t
    .toString()
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}
function visibleLength(s: string): number {
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
