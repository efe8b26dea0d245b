/**
 * Number formatting for the page: the terminal's rules (decimal units, `../../../format.ts`) with
 * typographic touches (no-break spaces, a real minus sign). Instructions are cleaned by the same
 * function as in the terminal and Markdown.
 */
import { formatBytes } from '../../../format.js';

export { cleanInstruction } from '../../../format.js';

const NBSP = '\u00a0';

/** The terminal's `formatBytes` with a no-break space and a real minus sign; '?' when unknown. */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !isFinite(n)) return '?';
  return formatBytes(n).replace(' ', NBSP).replace(/^-/, '\u2212');
}

export function fmtDelta(n: number): string {
  return n > 0 ? `+${fmtBytes(n)}` : fmtBytes(n);
}

export function fmtSeconds(x: number | null | undefined): string {
  if (x === null || x === undefined || !isFinite(x)) return '?';
  if (x < 0.1) return `${Math.round(x * 1000)}${NBSP}ms`;
  if (x < 10) return `${x.toFixed(1)}${NBSP}s`;
  if (x < 120) return `${Math.round(x)}${NBSP}s`;
  const m = Math.floor(x / 60);
  const r = Math.round(x - m * 60);
  if (m < 120) return r === 0 ? `${m}${NBSP}min` : `${m}${NBSP}min ${r}${NBSP}s`;
  return `${(x / 3600).toFixed(1)}${NBSP}h`;
}

export function fmtCount(n: number): string {
  return Number(n).toLocaleString('en-US');
}

export function fmtPct(x: number, d = 1): string {
  return isFinite(x) ? `${(x * 100).toFixed(d)}%` : '?';
}

export function fmtBandwidth(b: number): string {
  if (b >= 1e9) return `${+(b / 1e9).toFixed(2)}${NBSP}Gbps`;
  if (b >= 1e6) return `${+(b / 1e6).toFixed(2)}${NBSP}Mbps`;
  return `${+(b / 1e3).toFixed(2)}${NBSP}kbps`;
}

/** "+12.5%" / "−3.0%" / "" when before is 0 or unknown. */
export function relPct(before: number | null | undefined, after: number | null | undefined): string {
  if (before === null || after === null || before === undefined || after === undefined || before === 0) return '';
  const r = (after - before) / before;
  return (r > 0 ? '+' : r < 0 ? '\u2212' : '') + Math.abs(r * 100).toFixed(1) + '%';
}

export function clip(t: string, n: number): string {
  return t.length <= n ? t : `${t.slice(0, n - 1)}\u2026`;
}
