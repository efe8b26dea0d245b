/**
 * Budgets: the file a CI job gates an image on, and the result of evaluating it. Both are zod
 * schemas; sizes in the file may be human strings ("50MB", "1.5GiB") and are bytes once parsed.
 * The result is part of the analyze JSON under `budgets`. See docs/BUDGETS.md.
 */
import { z } from 'zod';
import { tryParseSize } from '../sizes.js';

/** A byte size: a number of bytes or a human string; parsed to whole bytes. */
export const SizeInputSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = tryParseSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a size (e.g. 50MB, 1.5GB, 200MiB, 1024)` });
    return z.NEVER;
  }
  return n;
});

const Ratio = z.number().min(0).max(1);
const Disabled = z.literal('disabled');

const RegressionSchema = z
  .strictObject({
    /** Largest allowed growth over the baseline, in bytes. */
    bytes: SizeInputSchema.optional(),
    /** Largest allowed growth over the baseline, in percent of the baseline (5 = 5%). */
    percent: z.number().nonnegative().optional(),
  })
  .refine((r) => r.bytes !== undefined || r.percent !== undefined, { message: 'give "bytes", "percent" or both' });

/** dive's three CI rules, with dive's semantics; `"disabled"` skips a rule. */
export const DiveRulesSchema = z.strictObject({
  /** Fails when dive's efficiency score < this (0..1). */
  lowestEfficiency: z.union([Disabled, Ratio]).optional(),
  /** Fails when dive's wasted bytes > this. */
  highestWastedBytes: z.union([Disabled, SizeInputSchema]).optional(),
  /** Fails when dive's user wasted ratio (wasted / bytes above the base layer) > this (0..1). */
  highestUserWastedPercent: z.union([Disabled, Ratio]).optional(),
});

/** The budgets file (JSON). Every limit is optional; only the ones given are checked. */
export const BudgetsSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Max shipped bytes (uncompressed sum of every layer's files, what `docker images` shows). */
  maxTotalBytes: SizeInputSchema.optional(),
  /** Max compressed bytes of all layer blobs (the pull size; estimated when the source is uncompressed). */
  maxCompressedBytes: SizeInputSchema.optional(),
  /** Max bytes shipped but not visible in the final filesystem (overwritten or deleted later). */
  maxWastedBytes: SizeInputSchema.optional(),
  /** Max shipped bytes per category id, e.g. {"build-tools": 0, "pip-cache": "50MB"}. */
  categories: z.record(z.string(), SizeInputSchema).optional(),
  /** Max growth of shipped (uncompressed) bytes over the --baseline report. */
  maxRegression: RegressionSchema.optional(),
  /** Max growth of compressed bytes over the --baseline report. */
  maxCompressedRegression: RegressionSchema.optional(),
  /** Min dive efficiency score (0..1). */
  minEfficiency: Ratio.optional(),
  /** Min visible / shipped bytes (0..1): 1 means nothing shipped is hidden later. */
  minVisibleRatio: Ratio.optional(),
  /** dive's `.dive-ci` rules. */
  dive: DiveRulesSchema.optional(),
});

/** A parsed budgets file: every size is whole bytes. */
export type Budgets = z.output<typeof BudgetsSchema>;
/** A budgets file as written (sizes may be strings). */
export type BudgetsInput = z.input<typeof BudgetsSchema>;

export const BudgetRuleResultSchema = z.object({
  /** Stable rule id: `maxTotalBytes`, `categories.pip-cache`, `maxRegression.percent`, `dive.lowestEfficiency`, ... */
  id: z.string(),
  description: z.string(),
  status: z.enum(['pass', 'fail', 'skip']),
  /** The image's value; null when it could not be measured (rule skipped). */
  measured: z.number().nullable(),
  /** The limit; null when the rule is disabled. */
  threshold: z.number().nullable(),
  /** `max`: fails when measured > threshold; `min`: fails when measured < threshold. */
  comparison: z.enum(['max', 'min']),
  unit: z.enum(['bytes', 'ratio', 'percent']),
  /** Why a rule failed or was skipped. */
  message: z.string().optional(),
});

export const BudgetResultSchema = z.object({
  /** True when no rule failed (skipped rules do not fail). */
  pass: z.boolean(),
  /** Budgets file the rules came from, when read from a file. */
  source: z.string().optional(),
  /** Reference of the baseline report, when one was given. */
  baseline: z.string().optional(),
  counts: z.object({ pass: z.number().int(), fail: z.number().int(), skip: z.number().int() }),
  rules: z.array(BudgetRuleResultSchema),
  warnings: z.array(z.string()),
});

export type BudgetRuleResult = z.infer<typeof BudgetRuleResultSchema>;
export type BudgetResult = z.infer<typeof BudgetResultSchema>;
