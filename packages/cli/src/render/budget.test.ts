import { describe, expect, it } from 'vitest';
import { makeReport } from '../../../../test/diff/make-report.js';
import { evaluateBudgets } from '../../../core/src/budgets/evaluate.js';
import { parseBudgets } from '../../../core/src/budgets/parse-budgets.js';
import { createStyle } from '../style.js';
import { budgetComparison, renderBudgetsTerminal } from './budget.js';

const report = makeReport({
  layers: [{ diffId: 'sha256:a', bytes: 1_220_598, compressed: 700_000 }],
  dive: { efficiency: 0.9844212134184309, wastedBytes: 32025, userWastedPercent: 0.4834911001404049 },
});

describe('renderBudgetsTerminal', () => {
  it('one line per rule with measured vs limit, then the verdict', () => {
    const { budgets, warnings } = parseBudgets('rules:\n  lowestEfficiency: 0.9\n  highestWastedBytes: 1B\n  highestUserWastedPercent: disabled\n', '.dive-ci');
    const r = evaluateBudgets(report, budgets, undefined, { source: '.dive-ci', warnings });
    const text = renderBudgetsTerminal(r, { width: 120, style: createStyle(undefined, false) });
    expect(text).toContain('Budgets (.dive-ci)');
    expect(text).toMatch(/PASS\s+dive\.lowestEfficiency\s+98\.44% ≥ 90\.00%/);
    expect(text).toMatch(/FAIL\s+dive\.highestWastedBytes\s+32\.0 kB > 1 B/);
    expect(text).toMatch(/SKIP\s+dive\.highestUserWastedPercent\s+48\.35%\s+.*rule disabled/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('FAIL: 1 failed, 1 passed, 1 skipped');
  });

  it('regression deltas are signed', () => {
    const baseline = makeReport({ layers: [{ diffId: 'sha256:b', bytes: 1_000_000, compressed: 1 }] });
    const r = evaluateBudgets(report, parseBudgets('{"maxRegression": {"bytes": "100kB", "percent": 50}}').budgets, baseline);
    expect(r.rules.map(budgetComparison)).toEqual(['+221 kB > 100 kB', '+22.06% ≤ 50.00%']);
  });

  it.each([60, 80, 120, 200])('fits %i columns, the measured values whole (issue 11)', (w) => {
    const { budgets, warnings } = parseBudgets('rules:\n  lowestEfficiency: 0.9\n  highestWastedBytes: 1B\n  highestUserWastedPercent: disabled\n', '.dive-ci');
    const r = evaluateBudgets(report, budgets, undefined, { source: '/a/rather/long/path/to/the/project/configuration/.dive-ci', warnings: [...warnings, 'a warning long enough to need wrapping at sixty columns, and then some more words'] });
    const text = renderBudgetsTerminal(r, { width: w, style: createStyle(undefined, false) });
    expect(Math.max(...text.split('\n').map((l) => [...l].length))).toBeLessThanOrEqual(w);
    for (const n of ['98.44% ≥ 90.00%', '32.0 kB > 1 B']) expect(text).toContain(n);
  });
});
