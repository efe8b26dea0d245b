/**
 * Reads dive's `.dive-ci` file as dive does: YAML (parsed with the `yaml` package, as dive's viper
 * parses it with yaml.v3), keys matched without regard to case (viper lowercases them), only the
 * three `rules.*` keys read, every other key (e.g. dive's own `plugins:` list) ignored with a
 * warning. Rules missing from the file, or given no value, take dive's defaults (lowestEfficiency
 * 0.9, highestWastedBytes disabled, highestUserWastedPercent 0.1), so an empty file checks dive's
 * defaults; values dive calls misconfigured are errors. Source of the semantics:
 * github.com/wagoodman/dive runtime/ci/rule.go and evaluator.go.
 */
import type * as Yaml from 'yaml';
import type { Node } from 'yaml';
import { lazyRequire } from '../lazy-require.js';
import { ImgsizeError } from '../errors.js';
import { tryParseSize } from '../sizes.js';
import type { Budgets } from './budget-schema.js';

export type DiveRules = NonNullable<Budgets['dive']>;

/** dive's defaults for rules the file does not mention. */
export const DIVE_CI_DEFAULTS: Readonly<Required<DiveRules>> = {
  lowestEfficiency: 0.9,
  highestWastedBytes: 'disabled',
  highestUserWastedPercent: 0.1,
};

const RULE_KEYS = ['lowestEfficiency', 'highestWastedBytes', 'highestUserWastedPercent'] as const;
type RuleKey = (typeof RULE_KEYS)[number];

const yaml = lazyRequire<typeof Yaml>('yaml');

const HINT = 'a .dive-ci file is YAML: "rules:" then indented "lowestEfficiency: 0.95" lines (see docs/BUDGETS.md)';

/** Returns the budgets a `.dive-ci` file describes (only its `dive` rules) plus warnings for keys dive ignores. */
export function parseDiveCi(text: string, name = '.dive-ci'): { budgets: Budgets; warnings: string[] } {
  const warnings: string[] = [];
  const { isMap, isScalar, LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (n: Node | null | undefined): number => (n?.range ? lineCounter.linePos(n.range[0]).line : 1);
  const fail = (line: number, msg: string): never => {
    throw new ImgsizeError('E_BAD_CONFIG', `reading ${name}: line ${line}: ${msg}`, { hint: HINT });
  };
  const err = doc.errors[0];
  if (err) {
    const what = err.code === 'DUPLICATE_KEY' ? 'duplicate key (each rule may appear once)' : err.message.split('\n')[0]!;
    fail(lineCounter.linePos(err.pos[0]).line, `invalid YAML: ${what}`);
  }

  const dive: Required<DiveRules> = { ...DIVE_CI_DEFAULTS };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { budgets: { dive }, warnings };
  if (!isMap(root)) fail(lineOf(root), 'expected a mapping with a "rules:" key at the top level');
  const seen = new Set<RuleKey>();
  for (const top of (root as import('yaml').YAMLMap<unknown, unknown>).items) {
    const key = keyText(top.key);
    const line = lineOf(top.key as Node);
    if (key.toLowerCase() !== 'rules') {
      warnings.push(`${name}: line ${line}: dive ignores top-level key "${key}"; so does imgsize`);
      continue;
    }
    const rules = top.value as Node | null;
    if (rules === null || (isScalar(rules) && rules.value === null)) continue;
    if (!isMap(rules)) fail(lineOf(rules), '"rules" must be a mapping of rules (indented "lowestEfficiency: 0.95" lines)');
    for (const item of (rules as import('yaml').YAMLMap<unknown, unknown>).items) {
      const k = keyText(item.key);
      const ln = lineOf(item.key as Node);
      const rule = RULE_KEYS.find((r) => r.toLowerCase() === k.toLowerCase());
      if (rule === undefined) {
        warnings.push(`${name}: line ${ln}: unknown rule "${k}" ignored (dive knows ${RULE_KEYS.join(', ')})`);
        continue;
      }
      if (seen.has(rule)) fail(ln, `duplicate rule "${rule}"`);
      seen.add(rule);
      const v = item.value as Node | null;
      if (v === null || (isScalar(v) && v.value === null)) {
        warnings.push(`${name}: line ${ln}: rule "${rule}" has no value; dive uses its default (${String(DIVE_CI_DEFAULTS[rule])})`);
        continue;
      }
      if (!isScalar(v)) fail(ln, `rule "${rule}" must be a number, a size or "disabled", not a list or mapping`);
      dive[rule] = ruleValue(rule, String((v as import('yaml').Scalar).value).trim(), ln, fail);
    }
  }
  return { budgets: { dive }, warnings };
}

function ruleValue(key: RuleKey, value: string, line: number, fail: (line: number, msg: string) => never): number | 'disabled' {
  if (value === 'disabled') return 'disabled';
  if (key === 'highestWastedBytes') {
    const n = tryParseSize(value);
    return n ?? fail(line, `highestWastedBytes ${JSON.stringify(value)} is not a size (e.g. 20MB, 1024) or "disabled"`);
  }
  const x = parseFloatStrict(value) ?? fail(line, `${key} ${JSON.stringify(value)} is not a number or "disabled"`);
  if (x < 0 || x > 1) fail(line, `${key} ${value} is outside the allowed range 0..1 (it is a ratio: 0.1 means 10%)`);
  return x;
}

function keyText(k: unknown): string {
  return yaml().isScalar(k) ? String(k.value) : String(k);
}

/** True when the text looks like a `.dive-ci` file rather than JSON. */
export function looksLikeDiveCi(text: string): boolean {
  return /^\s*rules\s*:/im.test(text) && !/^\s*[{[]/.test(text.replace(/^\uFEFF/, ''));
}

function parseFloatStrict(s: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s.trim())) return undefined;
  return Number(s);
}
