/**
 * Typed argument parsing: each command declares one option table (name → type, help line), and
 * node's built-in `util.parseArgs` does the parsing. The table types the parsed values (a string
 * option is `string | undefined`, a repeatable one `string[] | undefined`), gives `--help` its
 * option list and gives "did you mean" its candidates, so adding a flag is one table entry.
 * `util.parseArgs` is used rather than a third-party parser: it ships with Node ≥ 18.3, is strict
 * (unknown flags and missing values are errors), and needs no dependency.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './cli-error.js';

/** One option: its type, an optional one-letter alias, a value placeholder and a help line. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** Repeatable: the values are collected into an array. */
  readonly multiple?: boolean;
  readonly short?: string;
  /** Placeholder shown in help, e.g. `<file>` (string options). */
  readonly arg?: string;
  /** Help text; `\n` starts a continuation line. */
  readonly help: string;
}

/** Option name (without `--`) → spec. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean'
  ? S extends { multiple: true }
    ? boolean[]
    : boolean
  : S extends { multiple: true }
    ? string[]
    : string;

/** Parsed values typed by the table: absent options are `undefined`. */
export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T]?: ValueOf<T[K]> };

/** Parsed command line. */
export interface ParsedArgs<T extends OptionTable> {
  values: OptionValues<T>;
  positionals: string[];
}

/** Keeps the literal types of an option table (`as const` without losing the OptionSpec check). */
export function defineOptions<const T extends OptionTable>(table: T): T {
  return table;
}

/**
 * Parses `args` against `table`; unknown options, missing values and values given to boolean flags
 * are a UsageError, with "did you mean --x" when a known option is close.
 */
export function parseOptions<T extends OptionTable>(args: string[], table: T): ParsedArgs<T> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, s] of Object.entries(table)) {
    options[name] = { type: s.type, ...(s.multiple && { multiple: true }), ...(s.short && { short: s.short }) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageErrorFrom(e, table);
  }
  const values: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(parsed.values)) if (v !== undefined) values[name] = v;
  // parseArgs checked every value against the same table, so the values have the table's types.
  return { values: values as OptionValues<T>, positionals: parsed.positionals };
}

function usageErrorFrom(e: unknown, table: OptionTable): UsageError {
  const err = e as NodeJS.ErrnoException;
  const message = String(err.message ?? e).replace(/\. To specify a positional argument.*$/s, '');
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /option '(-{1,2}[^'=]+)/i.exec(message);
    const given = m?.[1] ?? '';
    const near = given.startsWith('--') ? closest(given.slice(2), Object.keys(table)) : undefined;
    const flag = given || message;
    return new UsageError(`unknown option ${flag}${near ? ` (did you mean --${near}?)` : ''}`);
  }
  return new UsageError(message.replace(/^Option/, 'option'));
}

/** The candidate nearest to `word` (edit distance ≤ 2, or ≤ a third of its length), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const max = Math.max(2, Math.floor(word.length / 3));
  if (best !== undefined && (bestD <= max || (word.length >= 3 && best.startsWith(word)))) return best;
  return undefined;
}

function editDistance(a: string, b: string): number {
  // Damerau-Levenshtein (optimal string alignment): a swapped pair of letters counts as one edit.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The "Options:" block of a command's help, one entry per table row, help text aligned. */
export function formatOptionsHelp(table: OptionTable, title = 'Options:'): string {
  const rows = Object.entries(table).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ` ${s.arg ?? '<value>'}` : ''}`;
    return { flag, help: s.help.split('\n') };
  });
  const w = Math.min(30, Math.max(...rows.map((r) => r.flag.length))) + 2;
  const lines = rows.flatMap((r) => {
    const first = r.flag.length + 2 > w ? [`  ${r.flag}`, `  ${' '.repeat(w)}${r.help[0]}`] : [`  ${r.flag.padEnd(w)}${r.help[0]}`];
    return [...first, ...r.help.slice(1).map((h) => `  ${' '.repeat(w)}${h}`)];
  });
  return `${title}\n${lines.join('\n')}\n`;
}
