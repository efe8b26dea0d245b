/**
 * Reads dive's `.dive-ci` file as dive does, without a YAML library: the file is the small YAML
 * subset dive documents (a `rules:` mapping of three scalars, comments, optional quotes). Keys
 * missing from the file take dive's defaults (lowestEfficiency 0.9, highestWastedBytes disabled,
 * highestUserWastedPercent 0.1), and out-of-range values are errors, like dive's "misconfigured".
 * Source of the semantics: github.com/wagoodman/dive runtime/ci/rule.go.
 */
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

/** Returns the budgets a `.dive-ci` file describes (only its `dive` rules) plus warnings for keys dive ignores. */
export function parseDiveCi(text: string, name = '.dive-ci'): { budgets: Budgets; warnings: string[] } {
  const warnings: string[] = [];
  const raw = new Map<RuleKey, { value: string; line: number }>();
  let section: 'rules' | 'other' | undefined;
  let rulesIndent: number | undefined;
  let seenRules = false;
  const fail = (line: number, msg: string): never => {
    throw new ImgsizeError('E_BAD_CONFIG', `reading ${name}: line ${line}: ${msg}`, {
      hint: 'a .dive-ci file looks like "rules:" then indented "lowestEfficiency: 0.95" lines (see docs/BUDGETS.md)',
    });
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((full, i) => {
    const ln = i + 1;
    const line = stripComment(full);
    if (line.trim() === '' || (/^(---|\.\.\.)\s*$/.test(line) && ln === 1)) return;
    if (/^\t/.test(line) || /^ *\t/.test(line)) fail(ln, 'tabs are not allowed for indentation in YAML');
    const indent = line.length - line.trimStart().length;
    const m = /^\s*("[^"]*"|'[^']*'|[^:\s][^:]*?)\s*:(?:\s+(.*?)|)\s*$/.exec(line);
    if (!m) fail(ln, `expected "key: value", got ${JSON.stringify(full.trim())}`);
    const key = unquote(m![1]!);
    const value = m![2] === undefined || m![2] === '' ? undefined : m![2];
    if (indent === 0) {
      if (key === 'rules') {
        if (value !== undefined && value !== '{}') fail(ln, '"rules:" must be followed by indented rules on the next lines');
        if (seenRules) fail(ln, 'duplicate "rules" key');
        seenRules = true;
        section = 'rules';
        rulesIndent = undefined;
      } else {
        section = 'other';
        warnings.push(`${name}: line ${ln}: dive ignores top-level key "${key}"; so does imgsize`);
      }
      return;
    }
    if (section === undefined) fail(ln, 'indented line before any key');
    if (section === 'other') return;
    rulesIndent ??= indent;
    if (indent !== rulesIndent) fail(ln, `inconsistent indentation (expected ${rulesIndent} spaces)`);
    if (!(RULE_KEYS as readonly string[]).includes(key)) {
      warnings.push(`${name}: line ${ln}: unknown rule "${key}" ignored (dive knows ${RULE_KEYS.join(', ')})`);
      return;
    }
    if (raw.has(key as RuleKey)) fail(ln, `duplicate rule "${key}"`);
    if (value === undefined) fail(ln, `rule "${key}" has no value (give a number or "disabled")`);
    raw.set(key as RuleKey, { value: unquote(value!), line: ln });
  });

  const dive: Required<DiveRules> = { ...DIVE_CI_DEFAULTS };
  for (const [key, { value, line }] of raw) {
    if (value === 'disabled') {
      dive[key] = 'disabled';
      continue;
    }
    if (key === 'highestWastedBytes') {
      const n = tryParseSize(value);
      if (n === undefined) fail(line, `highestWastedBytes ${JSON.stringify(value)} is not a size (e.g. 20MB, 1024) or "disabled"`);
      dive.highestWastedBytes = n!;
      continue;
    }
    const x = parseFloatStrict(value);
    if (x === undefined) fail(line, `${key} ${JSON.stringify(value)} is not a number or "disabled"`);
    if (x! < 0 || x! > 1) fail(line, `${key} ${value} is outside the allowed range 0..1 (it is a ratio: 0.1 means 10%)`);
    dive[key] = x!;
  }
  return { budgets: { dive }, warnings };
}

/** True when the text looks like a `.dive-ci` file rather than JSON. */
export function looksLikeDiveCi(text: string): boolean {
  return /^\s*rules\s*:/m.test(text) && !/^\s*[{[]/.test(text.replace(/^\uFEFF/, ''));
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1);
  return t;
}

function parseFloatStrict(s: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s.trim())) return undefined;
  return Number(s);
}
