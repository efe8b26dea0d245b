import { describe, expect, it } from 'vitest';
import { makeReport } from '../../../../test/diff/make-report.js';
import { isImgsizeError } from '../errors.js';
import { BudgetResultSchema, type Budgets, type BudgetsInput } from './budget-schema.js';
import { evaluateBudgets } from './evaluate.js';
import { checkBudgetCategoryIds } from './category-ids.js';
import { parseBudgets, validateBudgets } from './parse-budgets.js';

/** dive's numbers for its own test image (/work/shared/conformance/dive/EXPECTED.md). */
const DIVE_FIXTURE = { efficiency: 0.9844212134184309, wastedBytes: 32025, userWastedPercent: 0.4834911001404049, imageSizeBytes: 1220598, userSizeBytes: 66237 };

const report = makeReport({
  layers: [
    { diffId: 'sha256:a', bytes: 1_000_000, compressed: 400_000 },
    { diffId: 'sha256:b', bytes: 500_000, compressed: 100_000 },
  ],
  files: [
    ['/usr/bin/gcc', 300_000, 300_000],
    ['/root/.cache/pip/x.whl', 200_000, 0],
    ['/app/main.py', 1_000_000, 1_000_000],
  ],
  categories: [
    { id: 'build-tools', bytes: 300_000 },
    { id: 'pip-cache', bytes: 200_000, visible: 0 },
    { id: 'app', bytes: 1_000_000 },
  ],
  dive: DIVE_FIXTURE,
});

function evalOne(input: BudgetsInput, baseline?: Parameters<typeof evaluateBudgets>[2]) {
  const r = evaluateBudgets(report, validateBudgets(input), baseline);
  expect(BudgetResultSchema.safeParse(r).success).toBe(true);
  return r;
}

function statuses(input: BudgetsInput, baseline?: Parameters<typeof evaluateBudgets>[2]): Record<string, string> {
  return Object.fromEntries(evalOne(input, baseline).rules.map((r) => [r.id, r.status]));
}

describe('evaluateBudgets: one pass and one fail per rule kind', () => {
  it('maxTotalBytes (shipped, uncompressed)', () => {
    expect(statuses({ maxTotalBytes: '1.5MB' })).toEqual({ maxTotalBytes: 'pass' });
    expect(statuses({ maxTotalBytes: '1.4MB' })).toEqual({ maxTotalBytes: 'fail' });
    expect(statuses({ maxTotalBytes: 1_500_000 })).toEqual({ maxTotalBytes: 'pass' });
  });

  it('maxCompressedBytes', () => {
    expect(statuses({ maxCompressedBytes: '500kB' })).toEqual({ maxCompressedBytes: 'pass' });
    expect(statuses({ maxCompressedBytes: '488KiB' })).toEqual({ maxCompressedBytes: 'fail' });
  });

  it('maxWastedBytes', () => {
    expect(statuses({ maxWastedBytes: '200kB' })).toEqual({ maxWastedBytes: 'pass' });
    expect(statuses({ maxWastedBytes: '199999' })).toEqual({ maxWastedBytes: 'fail' });
  });

  it('a category id typo ("buildtools") is an error naming the valid ids, not a silent 0-byte pass', () => {
    let err: unknown;
    try {
      evaluateBudgets(report, validateBudgets({ categories: { buildtools: 0 } }), undefined, { source: 'budgets.json' });
    } catch (e) {
      err = e;
    }
    expect(isImgsizeError(err, 'E_BAD_CONFIG')).toBe(true);
    expect((err as Error).message).toBe('reading budgets budgets.json: unknown category id "buildtools" (did you mean "build-tools"?)');
    expect((err as { hint?: string }).hint).toMatch(/category ids are: cuda-libs, .*build-tools.*pip-cache/);
    // ids from custom rules (or the report's own categories) are valid
    expect(() => evaluateBudgets(report, validateBudgets({ categories: { vendor: 0 } }), undefined, { categoryIds: ['vendor'] })).not.toThrow();
    expect(() => checkBudgetCategoryIds(validateBudgets({ categories: { 'cuda-devel': 0, vendr: 1 } }), ['vendor'])).toThrow(/unknown category id "vendr" \(did you mean "vendor"\?\)/);
  });

  it('categories', () => {
    expect(statuses({ categories: { 'build-tools': 0, 'pip-cache': '50MB' } })).toEqual({
      'categories.build-tools': 'fail',
      'categories.pip-cache': 'pass',
    });
    const r = evalOne({ categories: { 'cuda-devel': 0 } });
    expect(r.rules[0]).toMatchObject({ status: 'pass', measured: 0 });
    expect(r.rules[0]!.message).toMatch(/no category "cuda-devel"/);
  });

  it('maxRegression (bytes and percent) against a baseline', () => {
    const baseline = makeReport({ layers: [{ diffId: 'sha256:a', bytes: 1_400_000, compressed: 450_000 }] });
    // 1.5 MB now vs 1.4 MB: +100 kB, +7.14%
    expect(statuses({ maxRegression: { bytes: '100kB', percent: 7.2 } }, baseline)).toEqual({ 'maxRegression.bytes': 'pass', 'maxRegression.percent': 'pass' });
    expect(statuses({ maxRegression: { bytes: '99kB', percent: 7 } }, baseline)).toEqual({ 'maxRegression.bytes': 'fail', 'maxRegression.percent': 'fail' });
    const r = evalOne({ maxRegression: { percent: 7 } }, baseline);
    expect(r.rules[0]!.measured).toBeCloseTo(100 / 14, 10);
    expect(r.baseline).toBe('image.tar');
    // compressed: 500 kB vs 450 kB = +50 kB, +11.1%
    expect(statuses({ maxCompressedRegression: { bytes: '50kB', percent: 12 } }, baseline)).toEqual({ 'maxCompressedRegression.bytes': 'pass', 'maxCompressedRegression.percent': 'pass' });
    expect(statuses({ maxCompressedRegression: { bytes: '49kB', percent: 11 } }, baseline)).toEqual({ 'maxCompressedRegression.bytes': 'fail', 'maxCompressedRegression.percent': 'fail' });
  });

  it('a shrinking image never fails a regression rule', () => {
    const bigger = makeReport({ layers: [{ diffId: 'sha256:z', bytes: 9_000_000, compressed: 9_000_000 }] });
    expect(statuses({ maxRegression: { bytes: 0, percent: 0 } }, bigger)).toEqual({ 'maxRegression.bytes': 'pass', 'maxRegression.percent': 'pass' });
  });

  it('minEfficiency (dive score) and minVisibleRatio', () => {
    expect(statuses({ minEfficiency: 0.98 })).toEqual({ minEfficiency: 'pass' });
    expect(statuses({ minEfficiency: 0.99 })).toEqual({ minEfficiency: 'fail' });
    // visible 1.3 MB of 1.5 MB shipped = 0.8667
    expect(statuses({ minVisibleRatio: 0.85 })).toEqual({ minVisibleRatio: 'pass' });
    expect(statuses({ minVisibleRatio: 0.9 })).toEqual({ minVisibleRatio: 'fail' });
  });

  it('a limit equal to the measured value passes (max and min)', () => {
    expect(statuses({ maxTotalBytes: 1_500_000, minVisibleRatio: 1_300_000 / 1_500_000 })).toEqual({ maxTotalBytes: 'pass', minVisibleRatio: 'pass' });
  });
});

describe('evaluateBudgets: skips instead of silently passing', () => {
  it('skips regression rules without a baseline', () => {
    const r = evalOne({ maxRegression: { bytes: '1MB' } });
    expect(r.rules[0]).toMatchObject({ status: 'skip', measured: null });
    expect(r.rules[0]!.message).toMatch(/baseline/);
    expect(r.pass).toBe(true);
  });

  it('skips category rules when the report has no categories', () => {
    const bare = makeReport({ layers: [{ diffId: 'sha256:a', bytes: 10 }] });
    const r = evaluateBudgets(bare, validateBudgets({ categories: { 'build-tools': 0 }, maxCompressedBytes: '1GB' }));
    expect(r.rules.map((x) => x.status)).toEqual(['skip', 'skip']);
    expect(r.counts).toEqual({ pass: 0, fail: 0, skip: 2 });
  });

  it('fails a percent regression over a 0-byte baseline', () => {
    const empty = makeReport({ layers: [{ diffId: 'sha256:e', bytes: 0, compressed: 0 }] });
    const r = evalOne({ maxRegression: { percent: 1000 } }, empty);
    expect(r.rules[0]).toMatchObject({ status: 'fail', measured: null });
  });
});

describe("dive's .dive-ci rules (dive's own evaluator cases, runtime/ci/evaluator_test.go)", () => {
  const dive = (eff: string, wasted: string, pct: string) =>
    parseBudgets(`rules:\n  lowestEfficiency: ${eff}\n  highestWastedBytes: ${wasted}\n  highestUserWastedPercent: ${pct}\n`, '.dive-ci');
  const run = (b: Budgets) => evaluateBudgets(report, b);

  it('allFail: 0.99 / 1B / 0.01', () => {
    const r = run(dive('0.99', '1B', '0.01').budgets);
    expect(r.rules.map((x) => [x.id, x.status])).toEqual([
      ['dive.lowestEfficiency', 'fail'],
      ['dive.highestWastedBytes', 'fail'],
      ['dive.highestUserWastedPercent', 'fail'],
    ]);
    expect(r.pass).toBe(false);
  });

  it('allPass: 0.9 / 50kB / 0.5', () => {
    const r = run(dive('0.9', '50kB', '0.5').budgets);
    expect(r.rules.map((x) => x.status)).toEqual(['pass', 'pass', 'pass']);
    expect(r.pass).toBe(true);
    expect(r.rules[1]).toMatchObject({ measured: 32025, threshold: 50_000, unit: 'bytes' });
  });

  it('only highestWastedBytes fails: 0.9 / 1B / 0.5', () => {
    const r = run(dive('0.9', '1B', '0.5').budgets);
    expect(r.rules.map((x) => x.status)).toEqual(['pass', 'fail', 'pass']);
    expect(r.pass).toBe(false);
  });

  it('allDisabled: every rule is SKIP and the gate passes', () => {
    const r = run(dive('disabled', 'disabled', 'disabled').budgets);
    expect(r.rules.map((x) => x.status)).toEqual(['skip', 'skip', 'skip']);
    expect(r.rules[0]).toMatchObject({ threshold: null, measured: DIVE_FIXTURE.efficiency });
    expect(r.pass).toBe(true);
  });

  it.each([
    ['misconfiguredHigh', '1.1', '1BB', '10'],
    ['misconfiguredLow', '-9', '-1BB', '-0.1'],
  ])('%s is an E_BAD_CONFIG error', (_name, eff, wasted, pct) => {
    expect(() => dive(eff, wasted, pct)).toThrow(/line 2/);
    let err: unknown;
    try {
      dive(eff, wasted, pct);
    } catch (e) {
      err = e;
    }
    expect(isImgsizeError(err, 'E_BAD_CONFIG')).toBe(true);
  });
});

describe('metadata-only reports', () => {
  it('skips every rule that needs layer contents and still judges compressed sizes', () => {
    const meta = { ...report, image: { ...report.image, source: { ...report.image.source, metadataOnly: true } } };
    const input = validateBudgets({ maxTotalBytes: '1GB', maxWastedBytes: 0, minEfficiency: 0.99, maxCompressedBytes: 1 });
    const r = evaluateBudgets(meta, input);
    const by = Object.fromEntries(r.rules.map((x) => [x.id, x]));
    expect(by.maxTotalBytes).toMatchObject({ status: 'skip', measured: null, message: expect.stringMatching(/metadata-only/) });
    expect(by.maxWastedBytes!.status).toBe('skip');
    expect(by.minEfficiency!.status).toBe('skip');
    expect(by.maxCompressedBytes!.status).toBe(report.summary.compressedBytes === undefined && !report.pull ? 'skip' : 'fail');
  });
});
