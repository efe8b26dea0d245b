/**
 * Reads a budgets file: imgsize's JSON budgets, or dive's `.dive-ci` (sniffed by content, so the
 * file name does not matter). Pure: text in, validated Budgets out; errors are E_BAD_CONFIG.
 */
import { ImgsizeError } from '../errors.js';
import { BudgetsSchema, type Budgets } from './budget-schema.js';
import { looksLikeDiveCi, parseDiveCi } from './dive-ci.js';
import { formatZodIssues } from './zod-issues.js';

export interface ParsedBudgets {
  budgets: Budgets;
  /** Which format the file was in. */
  format: 'json' | 'dive-ci';
  /** Non-fatal oddities (keys dive ignores). */
  warnings: string[];
}

/** Parses budgets from the text of a JSON budgets file or a `.dive-ci` file named `name`. */
export function parseBudgets(text: string, name = 'budgets'): ParsedBudgets {
  const body = text.replace(/^\uFEFF/, '');
  const isJson = /^\s*\{/.test(body);
  if (!isJson) {
    if (looksLikeDiveCi(body) || /(^|[\\/])\.dive-ci$|\.ya?ml$/i.test(name)) {
      const { budgets, warnings } = parseDiveCi(body, name);
      return { budgets, format: 'dive-ci', warnings };
    }
    const what = body.trim() === '' ? 'the file is empty' : 'neither a JSON object nor a .dive-ci file';
    throw new ImgsizeError('E_BAD_CONFIG', `reading budgets ${name}: ${what}`, {
      hint: 'budgets are JSON like {"maxTotalBytes": "2GB"} or dive\'s .dive-ci ("rules:" then indented rules)',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw new ImgsizeError('E_BAD_CONFIG', `reading budgets ${name}: invalid JSON: ${(e as Error).message}`, { cause: e });
  }
  return { budgets: validateBudgets(json, name), format: 'json', warnings: [] };
}

/** Validates an already parsed budgets object (JSON budgets format). */
export function validateBudgets(json: unknown, name = 'budgets'): Budgets {
  const r = BudgetsSchema.safeParse(json);
  if (!r.success) {
    throw new ImgsizeError('E_BAD_CONFIG', `reading budgets ${name}: ${formatZodIssues(r.error)}`, {
      cause: r.error,
      hint: 'see docs/BUDGETS.md for the budget keys and size syntax',
    });
  }
  return r.data;
}
