/**
 * Checks an analyze report against budgets. Pure: report (+ optional baseline report) in, one
 * PASS/FAIL/SKIP line per rule out. A rule whose input is missing (no categories computed, no
 * baseline, compressed size unknown) is skipped, never silently passed.
 */
import type { Report } from '../report-schema.js';
import type { BudgetResult, BudgetRuleResult, Budgets } from './budget-schema.js';
import { checkBudgetCategoryIds } from './category-ids.js';

export interface EvaluateBudgetsOptions {
  /** Name of the budgets file, copied to the result. */
  source?: string | undefined;
  /** Warnings from parsing the budgets file, copied to the result. */
  warnings?: readonly string[] | undefined;
  /** Category ids besides the built-in ones and the report's (custom `--rules` categories). */
  categoryIds?: Iterable<string> | undefined;
}

type Rule = Omit<BudgetRuleResult, 'status'> & { status?: BudgetRuleResult['status'] };

/** Evaluates every rule of `budgets` on `report` (regression rules against `baseline`). */
export function evaluateBudgets(report: Report, budgets: Budgets, baseline?: Report, options: EvaluateBudgetsOptions = {}): BudgetResult {
  checkBudgetCategoryIds(budgets, [...(report.categories ?? []).map((c) => c.id), ...(options.categoryIds ?? [])], options.source);
  const rules: BudgetRuleResult[] = [];
  const warnings = [...(options.warnings ?? [])];
  // A metadata-only report has exact compressed sizes and nothing else: every other rule would
  // judge zeros, so it is skipped rather than passed.
  const metadataOnly = report.image.source.metadataOnly === true;
  const add = (r: Rule): void => {
    if (metadataOnly && !/compressed/i.test(r.id) && r.status === undefined && r.threshold !== null) {
      rules.push({ ...r, measured: null, status: 'skip', message: 'metadata-only report: layer contents were not read' });
      return;
    }
    rules.push({ ...r, status: r.status ?? judge(r) });
  };
  const sm = report.summary;

  if (budgets.maxTotalBytes !== undefined) {
    add({ id: 'maxTotalBytes', description: 'shipped bytes (uncompressed, all layers)', measured: sm.contentBytes, threshold: budgets.maxTotalBytes, comparison: 'max', unit: 'bytes' });
  }
  if (budgets.maxCompressedBytes !== undefined) {
    const c = compressed(report);
    add({
      id: 'maxCompressedBytes',
      description: `compressed bytes (${c.exact === false ? 'estimated' : 'exact'})`,
      measured: c.bytes,
      threshold: budgets.maxCompressedBytes,
      comparison: 'max',
      unit: 'bytes',
      ...(c.bytes === null && { status: 'skip', message: 'the compressed size of this image is unknown' }),
    });
  }
  if (budgets.maxWastedBytes !== undefined) {
    add({ id: 'maxWastedBytes', description: 'wasted bytes (shipped, not visible in the final filesystem)', measured: sm.wastedBytes, threshold: budgets.maxWastedBytes, comparison: 'max', unit: 'bytes' });
  }
  for (const [id, limit] of Object.entries(budgets.categories ?? {})) {
    const rule: Rule = { id: `categories.${id}`, description: `shipped bytes in category "${id}"`, measured: null, threshold: limit, comparison: 'max', unit: 'bytes' };
    if (!report.categories) {
      add({ ...rule, status: 'skip', message: 'this report has no categories' });
      continue;
    }
    const cat = report.categories.find((c) => c.id === id);
    add({
      ...rule,
      ...(cat && { description: `shipped bytes in category "${cat.label}" (${id})` }),
      measured: cat?.bytes ?? 0,
      ...(!cat && { message: `no category "${id}" in this report (check the id: ${report.categories.map((c) => c.id).join(', ') || 'none'})` }),
    });
  }
  regression(budgets.maxRegression, 'maxRegression', 'shipped bytes', (r) => ({ bytes: r.summary.contentBytes, exact: true }), report, baseline, add);
  regression(budgets.maxCompressedRegression, 'maxCompressedRegression', 'compressed bytes', compressed, report, baseline, add);
  if (budgets.minEfficiency !== undefined) {
    add({ id: 'minEfficiency', description: 'dive efficiency score', measured: report.dive.efficiency, threshold: budgets.minEfficiency, comparison: 'min', unit: 'ratio' });
  }
  if (budgets.minVisibleRatio !== undefined) {
    add({ id: 'minVisibleRatio', description: 'visible / shipped bytes', measured: visibleRatio(report), threshold: budgets.minVisibleRatio, comparison: 'min', unit: 'ratio' });
  }
  const dive = budgets.dive;
  if (dive) {
    // dive's rules, in dive's order (runtime/ci/rule.go); "disabled" is dive's SKIP.
    const d = report.dive;
    diveRule(dive.lowestEfficiency, { id: 'dive.lowestEfficiency', description: 'dive efficiency score', measured: d.efficiency, comparison: 'min', unit: 'ratio' }, add);
    diveRule(dive.highestWastedBytes, { id: 'dive.highestWastedBytes', description: 'dive wasted bytes (files seen 2+ times, cumulative)', measured: d.wastedBytes, comparison: 'max', unit: 'bytes' }, add);
    diveRule(dive.highestUserWastedPercent, { id: 'dive.highestUserWastedPercent', description: 'dive wasted bytes / bytes above the base layer', measured: d.userWastedPercent, comparison: 'max', unit: 'ratio' }, add);
  }
  if (rules.length === 0) warnings.push('the budgets file sets no limits');
  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const r of rules) counts[r.status]++;
  return {
    pass: counts.fail === 0,
    ...(options.source !== undefined && { source: options.source }),
    ...(baseline && { baseline: baseline.image.ref }),
    counts,
    rules,
    warnings,
  };
}

/** Fails a `max` rule when measured > threshold and a `min` rule when measured < threshold. */
function judge(r: Rule): BudgetRuleResult['status'] {
  if (r.measured === null || r.threshold === null) return 'skip';
  return (r.comparison === 'max' ? r.measured > r.threshold : r.measured < r.threshold) ? 'fail' : 'pass';
}

function compressed(r: Report): { bytes: number | null; exact: boolean | null } {
  const bytes = r.pull?.compressedBytes ?? r.summary.compressedBytes;
  if (bytes === undefined) return { bytes: null, exact: null };
  return { bytes, exact: r.pull?.compressedBytesExact ?? r.summary.compressedBytesExact ?? false };
}

function visibleRatio(r: Report): number {
  const s = r.summary;
  return s.contentBytes === 0 ? 1 : s.visibleBytes / s.contentBytes;
}

function regression(
  limit: Budgets['maxRegression'],
  id: string,
  what: string,
  measure: (r: Report) => { bytes: number | null; exact: boolean | null },
  report: Report,
  baseline: Report | undefined,
  add: (r: Rule) => void,
): void {
  if (!limit) return;
  const now = measure(report);
  const base = baseline ? measure(baseline) : undefined;
  const skip = !baseline
    ? 'no baseline report given (--baseline)'
    : now.bytes === null || base?.bytes === null
      ? `the ${what} of ${now.bytes === null ? 'this image' : 'the baseline'} is unknown`
      : undefined;
  const mixed = !skip && now.exact !== base?.exact ? `compares ${now.exact ? 'exact' : 'estimated'} with ${base?.exact ? 'exact' : 'estimated'} (baseline) sizes` : undefined;
  const delta = skip ? null : now.bytes! - base!.bytes!;
  if (limit.bytes !== undefined) {
    add({
      id: `${id}.bytes`,
      description: `growth of ${what} over the baseline`,
      measured: delta,
      threshold: limit.bytes,
      comparison: 'max',
      unit: 'bytes',
      ...(skip ? { status: 'skip' as const, message: skip } : mixed && { message: mixed }),
    });
  }
  if (limit.percent !== undefined) {
    const b = base?.bytes ?? null;
    let percent: number | null = null;
    let message = skip ?? mixed;
    let status: BudgetRuleResult['status'] | undefined = skip ? 'skip' : undefined;
    if (delta !== null && b !== null) {
      if (b > 0) percent = (delta / b) * 100;
      else if (delta <= 0) percent = 0;
      else {
        status = 'fail';
        message = 'the baseline is 0 bytes, so any growth is an infinite percentage';
      }
    }
    add({
      id: `${id}.percent`,
      description: `growth of ${what} over the baseline, in percent`,
      measured: percent,
      threshold: limit.percent,
      comparison: 'max',
      unit: 'percent',
      ...(status && { status }),
      ...(message !== undefined && { message }),
    });
  }
}

function diveRule(
  limit: number | 'disabled' | undefined,
  rule: Omit<Rule, 'threshold'>,
  add: (r: Rule) => void,
): void {
  if (limit === undefined) return;
  if (limit === 'disabled') add({ ...rule, threshold: null, status: 'skip', message: 'rule disabled' });
  else add({ ...rule, threshold: limit });
}
