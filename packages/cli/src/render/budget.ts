/**
 * Budget results for the terminal, dive-style: one PASS/FAIL/SKIP line per rule with the measured
 * value and the limit, then a one-line verdict. Pure: result in, text out.
 */
import type { BudgetResult, BudgetRuleResult } from '@imgsize/core';
import { formatBytes, formatDelta, formatPercent, safeText } from '../format.js';
import type { Style } from '../style.js';
import { renderTable, wrapText } from './table.js';

/** Formats a rule's value in its unit: bytes ("8.40 GB"), ratio ("98.44%"), percent ("+7.1%"). */
export function formatBudgetValue(r: Pick<BudgetRuleResult, 'unit' | 'id'>, v: number | null, signed = true): string {
  if (v === null) return '-';
  const growth = signed && isGrowth(r.id);
  if (r.unit === 'bytes') return growth ? formatDelta(v) : formatBytes(v);
  if (r.unit === 'ratio') return formatPercent(v, 2);
  return `${v > 0 && growth ? '+' : ''}${v.toFixed(2)}%`;
}

/** "8.40 GB > 2.00 GB" (fail) or "0 B ≤ 0 B" (pass): the comparison the verdict rests on. */
export function budgetComparison(r: BudgetRuleResult): string {
  if (r.measured === null || r.threshold === null) return r.measured === null ? '' : formatBudgetValue(r, r.measured);
  const failed = r.status === 'fail';
  const op = r.comparison === 'max' ? (failed ? '>' : '≤') : failed ? '<' : '≥';
  return `${formatBudgetValue(r, r.measured)} ${op} ${formatBudgetValue(r, r.threshold, false)}`;
}

/** "FAIL: 1 failed, 5 passed, 1 skipped". */
export function budgetVerdict(b: BudgetResult): string {
  const parts = [`${b.counts.fail} failed`, `${b.counts.pass} passed`];
  if (b.counts.skip > 0) parts.push(`${b.counts.skip} skipped`);
  return `${b.pass ? 'PASS' : 'FAIL'}: ${parts.join(', ')}`;
}

/** Budget results for a terminal `o.width` columns wide (the colour decision is the caller's `o.style`). */
export function renderBudgetsTerminal(b: BudgetResult, o: { width: number; style: Style }): string {
  const s = o.style;
  const status = (r: BudgetRuleResult) => (r.status === 'fail' ? s.red('FAIL') : r.status === 'pass' ? s.green('PASS') : s.dim('SKIP'));
  const title = `Budgets${b.source ? ` (${safeText(b.source)})` : ''}${b.baseline ? `, baseline ${safeText(b.baseline)}` : ''}`;
  const out: string[] = ['', ...wrapText(title, o.width).map((l) => s.bold(l))];
  if (b.rules.length > 0) {
    out.push(
      renderTable(
        [{ header: '' }, { header: 'Rule', flex: true }, { header: 'Measured vs limit', align: 'right' }, { header: 'What', wrap: true }],
        b.rules.map((r) => [status(r), safeText(r.id), budgetComparison(r), safeText(r.message ? `${r.description}: ${r.message}` : r.description)]),
        o.width,
        s.dim,
      ),
    );
  }
  for (const w of b.warnings) for (const l of wrapText(`warning: ${safeText(w)}`, o.width - 2)) out.push(s.yellow(`  ${l}`));
  const verdict = budgetVerdict(b);
  out.push(b.pass ? s.green(s.bold(verdict)) : s.red(s.bold(verdict)));
  return `${out.join('\n')}\n`;
}

function isGrowth(id: string): boolean {
  return id.startsWith('maxRegression.') || id.startsWith('maxCompressedRegression.');
}
