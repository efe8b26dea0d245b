/**
 * `imgsize diff <before> <after>`: each side is an image source (analysed now, with per-path data)
 * or a saved analyze report (`.json`, recognised by its content) → core diffReports → render.
 */
import { checkBudgetCategoryIds, createMemoryLayerCache, diffReports, evaluateBudgets, parseBudgets, type BudgetResult, type DiffReport, type Report } from '@imgsize/core';
import { EXIT_BUDGET, EXIT_OK, UsageError } from '../cli-error.js';
import { renderBudgetsTerminal } from '../render/budget.js';
import { renderDiffTerminal } from '../render/diff-terminal.js';
import { renderDiffMarkdown } from '../render/markdown.js';
import { renderDiffHtml } from '../render/html/index.js';
import { limitsFrom, SOURCE_HELP, SOURCE_OPTIONS, sourceOptionsFrom } from '../source-options.js';
import { createStyle } from '../style.js';
import { defineCommand, type CommandContext } from './command.js';
import { loadReportInput, OUTPUT_OPTIONS, outputTargets, parseBandwidthOption, parseTop, readTextFile, writeOutput, type OutputTarget } from './shared.js';

export const diffCommand = defineCommand({
  name: 'diff',
  summary: 'compare two builds (images or saved reports)',
  usage: 'imgsize diff <before> <after> [options]',
  description: `Compares two builds of an image. Each side is an image source (a docker-save archive, '-' for
stdin on at most one side) or a saved analyze report (imgsize analyze --json --include-files >
before.json). Saved reports without --include-files data give every section but path changes.`,
  options: {
    ...OUTPUT_OPTIONS,
    budget: { type: 'string', arg: '<file>', help: 'check the after image against budgets (before is the baseline of the\nregression rules; docs/BUDGETS.md): exit 1 when a rule fails' },
    ...SOURCE_OPTIONS,
  },
  footer: SOURCE_HELP,
  async run({ values, positionals }, ctx) {
    if (positionals.length !== 2) throw new UsageError('diff takes exactly two arguments: <before> <after>');
    const [beforeRef, afterRef] = [positionals[0]!, positionals[1]!];
    if (beforeRef === '-' && afterRef === '-') throw new UsageError("only one side of a diff can be '-' (stdin)");
    const targets = outputTargets(values);
    const top = values.top === undefined ? undefined : parseTop(values.top, 10);
    const bandwidth = values.bandwidth === undefined ? undefined : parseBandwidthOption(values.bandwidth);
    const budgetPath = values.budget;
    const budgets = budgetPath === undefined ? undefined : parseBudgets(await readTextFile(budgetPath, 'budgets'), budgetPath);
    if (budgets) checkBudgetCategoryIds(budgets.budgets, [], budgetPath);
    const sourceOptions = await sourceOptionsFrom(values, ctx, [beforeRef, afterRef]);
    const common = { image: values.image, bandwidth, includeFiles: true, sourceOptions, layerCache: createMemoryLayerCache(), limits: limitsFrom(values) };
    const before = await loadReportInput(beforeRef, ctx, { ...common, label: 'before' });
    const after = await loadReportInput(afterRef, ctx, { ...common, label: 'after' });
    const diffOnly = diffReports(before.report, after.report, {
      bandwidthBitsPerSecond: bandwidth,
      before: { ref: beforeRef === '-' ? 'stdin' : beforeRef, origin: before.origin },
      after: { ref: afterRef === '-' ? 'stdin' : afterRef, origin: after.origin },
    });
    const result: BudgetResult | undefined = budgets
      ? evaluateBudgets(after.report, budgets.budgets, before.report, { source: budgetPath, warnings: budgets.warnings, categoryIds: before.report.categories?.map((c) => c.id) })
      : undefined;
    const diff: DiffReport = result ? { ...diffOnly, budgets: result } : diffOnly;
    for (const t of targets) await writeOutput(t, render(t, diff, before.report, after.report, top, ctx), ctx);
    return result && !result.pass ? EXIT_BUDGET : EXIT_OK;
  },
});

function render(t: OutputTarget, diff: DiffReport, before: Report, after: Report, top: number | undefined, ctx: CommandContext): string {
  switch (t.format) {
    case 'json':
      return `${JSON.stringify(diff, null, 2)}\n`;
    case 'markdown':
      return renderDiffMarkdown(diff, { top: top ?? 25, budgets: diff.budgets });
    case 'html':
      return renderDiffHtml(diff, before, after);
    case 'terminal': {
      const style = t.path === undefined ? ctx.style : createStyle(false);
      const text = renderDiffTerminal(diff, { width: ctx.width, style, top: top ?? 10 });
      return diff.budgets ? text + renderBudgetsTerminal(diff.budgets, { width: ctx.width, style }) : text;
    }
  }
}
