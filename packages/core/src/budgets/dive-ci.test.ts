import { describe, expect, it } from 'vitest';
import { isImgsizeError } from '../errors.js';
import { DIVE_CI_DEFAULTS, parseDiveCi } from './dive-ci.js';
import { parseBudgets } from './parse-budgets.js';

const DIVE_EXAMPLE = `rules:
  # If the efficiency is measured below X%, mark as failed.
  # Expressed as a ratio between 0-1.
  lowestEfficiency: 0.95

  # If the amount of wasted space is at least X or larger than X, mark as failed.
  # Expressed in B, KB, MB, and GB.
  highestWastedBytes: 20MB

  # If the amount of wasted space makes up for X% or more of the image, mark as failed.
  # Note: the base image layer is NOT included in the total image size.
  # Expressed as a ratio between 0-1; fails if the threshold is met or crossed.
  highestUserWastedPercent: 0.20
`;

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('parseDiveCi', () => {
  it("reads dive's README example as-is", () => {
    expect(parseDiveCi(DIVE_EXAMPLE)).toEqual({
      budgets: { dive: { lowestEfficiency: 0.95, highestWastedBytes: 20_000_000, highestUserWastedPercent: 0.2 } },
      warnings: [],
    });
  });

  it("gives missing rules dive's defaults, like dive", () => {
    expect(parseDiveCi('rules:\n  highestWastedBytes: 1024\n').budgets.dive).toEqual({ ...DIVE_CI_DEFAULTS, highestWastedBytes: 1024 });
    expect(parseDiveCi('').budgets.dive).toEqual(DIVE_CI_DEFAULTS);
    expect(parseDiveCi('# nothing\nrules:\n').budgets.dive).toEqual(DIVE_CI_DEFAULTS);
  });

  it('accepts quotes, trailing comments, CRLF, a document marker and "disabled"', () => {
    const text = "---\r\nrules:\r\n    lowestEfficiency: '0.9'   # ratio\r\n    highestWastedBytes: \"disabled\"\r\n    highestUserWastedPercent: disabled\r\n";
    expect(parseDiveCi(text).budgets.dive).toEqual({ lowestEfficiency: 0.9, highestWastedBytes: 'disabled', highestUserWastedPercent: 'disabled' });
  });

  it("reads dive's own .data/.dive-ci (a plugins list, a plugin rule, 20Mb) as dive does", () => {
    // github.com/wagoodman/dive .data/.dive-ci, verbatim
    const text = `---
plugins:
  - plugin1

rules:
  # If the efficiency is measured below X%, mark as failed. (expressed as a percentage between 0-1)
  lowestEfficiency: 0.95

  # If the amount of wasted space is at least X or larger than X, mark as failed. (expressed in B, KB, MB, and GB)
  highestWastedBytes: 20Mb

  # If the amount of wasted space makes up for X% of the image, mark as failed. (fail if the threshold is met or crossed; expressed as a percentage between 0-1)
  highestUserWastedPercent: 0.10

  plugin1/rule1: error
`;
    const r = parseDiveCi(text);
    expect(r.budgets.dive).toEqual({ lowestEfficiency: 0.95, highestWastedBytes: 20_000_000, highestUserWastedPercent: 0.1 });
    expect(r.warnings).toEqual([
      '.dive-ci: line 2: dive ignores top-level key "plugins"; so does imgsize',
      '.dive-ci: line 15: unknown rule "plugin1/rule1" ignored (dive knows lowestEfficiency, highestWastedBytes, highestUserWastedPercent)',
    ]);
    expect(parseBudgets(text, 'ci-rules').format).toBe('dive-ci');
  });

  it('matches keys without regard to case and accepts flow mappings, as viper does', () => {
    expect(parseDiveCi('Rules:\n  LowestEfficiency: 0.5\n').budgets.dive).toEqual({ ...DIVE_CI_DEFAULTS, lowestEfficiency: 0.5 });
    expect(parseDiveCi('rules: {highestWastedBytes: 1KiB, highestUserWastedPercent: disabled}').budgets.dive).toEqual({
      ...DIVE_CI_DEFAULTS,
      highestWastedBytes: 1024,
      highestUserWastedPercent: 'disabled',
    });
  });

  it('a rule without a value, or a file with only other keys, takes dive\'s defaults', () => {
    const r = parseDiveCi('rules:\n  lowestEfficiency:\n');
    expect(r.budgets.dive).toEqual(DIVE_CI_DEFAULTS);
    expect(r.warnings[0]).toMatch(/rule "lowestEfficiency" has no value; dive uses its default \(0\.9\)/);
    expect(parseDiveCi('plugins: [a, b]\n').budgets.dive).toEqual(DIVE_CI_DEFAULTS);
    expect(parseDiveCi('---\n').budgets.dive).toEqual(DIVE_CI_DEFAULTS);
  });

  it('warns about keys dive ignores', () => {
    const r = parseDiveCi('rules:\n  lowestEfficency: 0.5\nplugins:\n  foo: bar\n');
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/unknown rule "lowestEfficency"/);
    expect(r.warnings[1]).toMatch(/top-level key "plugins"/);
  });

  it.each([
    ['rules:\n  lowestEfficiency: 1.1\n', /outside the allowed range/],
    ['rules:\n  highestUserWastedPercent: 10\n', /outside the allowed range/],
    ['rules:\n  highestWastedBytes: 1BB\n', /not a size/],
    ['rules:\n  lowestEfficiency: abc\n', /not a number/],
    ['rules:\n  lowestEfficiency: 0.9\n  lowestEfficiency: 0.8\n', /line 3: invalid YAML: duplicate key/],
    ['rules:\n\tlowestEfficiency: 0.9\n', /line 2: invalid YAML: Tabs are not allowed/],
    ['rules:\n  lowestEfficiency: 0.9\n    highestWastedBytes: 1\n', /invalid YAML: Nested mappings/],
    ['rules: 5\n', /"rules" must be a mapping/],
    ['rules:\n  lowestEfficiency: [0.9]\n', /must be a number, a size or "disabled", not a list/],
    ['rules:\n  lowestEfficiency: true\n', /"true" is not a number/],
    ['rules\n', /expected a mapping with a "rules:" key/],
  ])('rejects %j', (text, msg) => {
    const e = errorOf(() => parseDiveCi(text));
    expect(isImgsizeError(e, 'E_BAD_CONFIG')).toBe(true);
    expect((e as Error).message).toMatch(msg);
  });
});

describe('parseBudgets', () => {
  it('sniffs JSON and .dive-ci by content, whatever the name', () => {
    expect(parseBudgets('{"maxTotalBytes": "1.5GB", "categories": {"build-tools": 0, "pip-cache": "50MB"}}', 'x.txt')).toEqual({
      budgets: { maxTotalBytes: 1_500_000_000, categories: { 'build-tools': 0, 'pip-cache': 50_000_000 } },
      format: 'json',
      warnings: [],
    });
    expect(parseBudgets(DIVE_EXAMPLE, 'ci.conf').format).toBe('dive-ci');
    expect(parseBudgets('', '.dive-ci').format).toBe('dive-ci');
  });

  it('accepts a dive section in JSON budgets (no defaults added)', () => {
    expect(parseBudgets('{"dive": {"highestWastedBytes": "20MB"}}').budgets).toEqual({ dive: { highestWastedBytes: 20_000_000 } });
  });

  it.each([
    ['{"maxTotalByte": 5}', /maxTotalByte/],
    ['{"maxTotalBytes": "5 MBs"}', /maxTotalBytes: "5 MBs" is not a size/],
    ['{"categories": {"pip-cache": "lots"}}', /categories\.pip-cache: "lots" is not a size/],
    ['{"maxRegression": {}}', /maxRegression: give "bytes", "percent" or both/],
    ['{"minEfficiency": 2}', /minEfficiency/],
    ['{"maxWastedBytes": -1}', /maxWastedBytes/],
    ['{"maxTotalBytes": ', /invalid JSON/],
    ['hello world', /neither a JSON object nor a .dive-ci file/],
    ['', /the file is empty/],
  ])('rejects %j', (text, msg) => {
    const e = errorOf(() => parseBudgets(text, 'budgets.json'));
    expect(isImgsizeError(e, 'E_BAD_CONFIG')).toBe(true);
    expect((e as Error).message).toMatch(msg);
    expect((e as Error).message).toMatch(/^reading budgets budgets\.json: /);
  });
});
