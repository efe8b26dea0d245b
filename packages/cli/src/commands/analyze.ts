/** `imgsize analyze <source>`: parse options → core analyzeImage → render. */
import { evaluateBudgets, loadCategoryRules, parseBudgets, parseGpuTarget, type BudgetResult, type Report } from '@imgsize/core';
import { renderAnalyzeTerminal } from '../render/terminal.js';
import { renderBudgetsTerminal } from '../render/budget.js';
import { renderAnalyzeMarkdown } from '../render/markdown.js';
import { renderAnalyzeHtml } from '../render/html/index.js';
import { createStyle } from '../style.js';
import { EXIT_BUDGET, EXIT_OK, UsageError } from '../cli-error.js';
import { openInput } from '../open-input.js';
import { limitsFrom, SOURCE_HELP, SOURCE_OPTIONS, sourceOptionsFrom } from '../source-options.js';
import { analyzeSource, loadReportInput, parseBandwidthOption, parseTop, readTextFile, writeHtmlReport } from './diff.js';
import type { CommandContext } from './context.js';

export const ANALYZE_HELP = `Usage: imgsize analyze <source> [options]

<source>: see Sources below.

Options:
  --json                 print the JSON report (schema: @imgsize/core ReportSchema)
  --format <f>           terminal (default) | json | markdown (GitHub comment, < 64 KB)
  --image <repo:tag>     pick one image from an archive holding several
  --top <n>              rows per list (default 10 terminal, 25 markdown)
  --bandwidth <bw>       for pull-time estimates, e.g. 1Gbps (default), 200Mbps, 50MB/s
  --rules <file>         extra category rules (JSON; see docs/categories.md), tried before the defaults
  --gpu <list>           GPUs the image is deployed on: architectures (sm_80, 8.6) or products
                         (a100, h100, l4), comma-separated, or none (CPU only): GPU kernels
                         only other GPUs use become a finding
  --include-files        add per-path data to the JSON report, for a later 'imgsize diff'
  --html <file>          also write a self-contained HTML report (treemap, layers, findings)
  --budget <file>        check budgets (JSON budgets or dive's .dive-ci; docs/BUDGETS.md):
                         exit 1 when a rule fails
  --baseline <report>    saved report (or image) the budget's regression rules compare to
  --quiet                no progress on stderr
  --debug                stack traces for errors

${SOURCE_HELP}`;

export async function runAnalyze(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = ctx.parse(args, {
    json: { type: 'boolean' },
    format: { type: 'string' },
    image: { type: 'string' },
    top: { type: 'string' },
    bandwidth: { type: 'string' },
    'include-files': { type: 'boolean' },
    html: { type: 'string' },
    budget: { type: 'string' },
    baseline: { type: 'string' },
    rules: { type: 'string' },
    gpu: { type: 'string' },
    ...SOURCE_OPTIONS,
  });
  if (positionals.length !== 1) throw new UsageError('analyze takes exactly one <source>');
  const format = values.json ? 'json' : ((values.format as string | undefined) ?? 'terminal');
  if (!['terminal', 'json', 'markdown'].includes(format)) throw new UsageError(`unknown --format "${format}" (terminal, json, markdown)`);
  const top = parseTop(values.top, format === 'markdown' ? 25 : 10);
  const bandwidth = values.bandwidth === undefined ? 1e9 : parseBandwidthOption(values.bandwidth as string);
  const gpu = values.gpu === undefined ? undefined : parseGpuTarget(values.gpu as string);
  const budgetPath = values.budget as string | undefined;
  const baselineRef = values.baseline as string | undefined;
  if (baselineRef !== undefined && budgetPath === undefined) throw new UsageError('--baseline is only used with --budget');
  if (baselineRef === '-' && positionals[0] === '-') throw new UsageError("the source and --baseline cannot both be '-' (stdin)");

  // Budgets and baseline first: a bad file should fail before a long analysis.
  const budgets = budgetPath === undefined ? undefined : parseBudgets(await readTextFile(budgetPath, 'budgets'), budgetPath);
  const baseline = baselineRef === undefined ? undefined : await loadReportInput(baselineRef, ctx, { bandwidth, includeFiles: false, label: 'baseline' });

  if (values.html !== undefined && values['metadata-only']) {
    throw new UsageError('--html draws the image’s files, which --metadata-only does not read: drop one of them');
  }
  const sourceOptions = await sourceOptionsFrom(values, ctx, [positionals[0]!, baselineRef ?? '']);
  let report: Report = await analyzeSource(openInput(positionals[0]!, ctx, sourceOptions), ctx, {
    image: values.image as string | undefined,
    bandwidth,
    // The HTML report's treemap is drawn from the per-path rows.
    includeFiles: Boolean(values['include-files']) || values.html !== undefined,
    rules: values.rules === undefined ? undefined : loadCategoryRules(await readTextFile(values.rules as string, 'category rules')),
    limits: limitsFrom(values),
    gpu,
  });
  let result: BudgetResult | undefined;
  if (budgets) {
    result = evaluateBudgets(report, budgets.budgets, baseline?.report, { source: budgetPath, warnings: budgets.warnings });
    report = { ...report, budgets: result };
  }
  if (values.html !== undefined) {
    await writeHtmlReport(values.html as string, renderAnalyzeHtml(report), ctx);
    if (!values['include-files']) report = { ...report, files: undefined };
  }
  if (format === 'json') ctx.stdout.write(stringifyReport(report));
  else if (format === 'markdown') ctx.stdout.write(renderAnalyzeMarkdown(report, { top }));
  else {
    const style = createStyle(ctx.stdout as NodeJS.WriteStream);
    ctx.stdout.write(renderAnalyzeTerminal(report, { width: ctx.width, style, top }));
    if (result) ctx.stdout.write(renderBudgetsTerminal(result, { width: ctx.width, style }));
  }
  return result && !result.pass ? EXIT_BUDGET : EXIT_OK;
}

/**
 * The report as indented JSON, except `files.entries`: one `[path, shipped, visible, …]` row per line,
 * which keeps `--include-files` output compact (JSON.stringify would spread each row over 5 lines).
 */
export function stringifyReport(report: Report): string {
  if (!report.files) return `${JSON.stringify(report, null, 2)}\n`;
  const token = `@@imgsize-files-${Math.random().toString(36).slice(2)}@@`;
  const text = JSON.stringify({ ...report, files: { ...report.files, entries: token } }, null, 2);
  const rows = report.files.entries;
  const body = rows.length === 0 ? '[]' : `[\n${rows.map((r) => `      ${JSON.stringify(r)}`).join(',\n')}\n    ]`;
  return `${text.replace(`"${token}"`, () => body)}\n`;
}
