/**
 * Budget category ids are checked against the ids that exist (the built-in ones, the `--rules`
 * ones, the report's): a typo such as `"buildtools": 0` would otherwise measure 0 bytes and pass.
 */
import { CATEGORY_IDS } from '../attribution/rules.js';
import { ImgsizeError } from '../errors.js';
import type { Budgets } from './budget-schema.js';

/**
 * Throws E_BAD_CONFIG naming the valid ids when `budgets.categories` uses an id that is neither
 * built in nor in `extraIds` (custom rule categories, the report's own categories).
 */
export function checkBudgetCategoryIds(budgets: Budgets, extraIds: Iterable<string> = [], name = 'budgets'): void {
  const known = new Set<string>([...CATEGORY_IDS, ...extraIds]);
  const unknown = Object.keys(budgets.categories ?? {}).filter((id) => !known.has(id));
  if (unknown.length === 0) return;
  const valid = [...known];
  const parts = unknown.map((id) => {
    const near = nearest(id, valid);
    return `"${id}"${near ? ` (did you mean "${near}"?)` : ''}`;
  });
  throw new ImgsizeError('E_BAD_CONFIG', `reading budgets ${name}: unknown category id${unknown.length > 1 ? 's' : ''} ${parts.join(', ')}`, {
    hint: `category ids are: ${valid.join(', ')} (custom ones come from --rules)`,
  });
}

function nearest(word: string, candidates: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = squash(c) === squash(word) ? 0 : distance(word.toLowerCase(), c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
