/** `imgsize analyze <source>`: parse options → core analyzeImage (or a saved report) → render. */
import { checkBudgetCategoryIds, evaluateBudgets, loadCategoryRules, locateFindings, parseBudgets, parseGpuTarget, type BudgetResult, type Report } from '@imgsize/core';
import { renderAnalyzeTerminal } from '../render/terminal.js';
import { renderBudgetsTerminal } from '../render/budget.js';
import { renderAnalyzeMarkdown } from '../render/markdown.js';
import { renderAnalyzeHtml } from '../render/html/index.js';
import { EXIT_BUDGET, EXIT_OK, UsageError } from '../cli-error.js';
import { stringifyReport } from '../format.js';
import { createStyle } from '../style.js';
import { limitsFrom, SOURCE_HELP, SOURCE_OPTIONS, sourceOptionsFrom } from '../source-options.js';
import { defineCommand, type CommandContext } from './command.js';
import { PULL_PROFILE_OPTIONS, resolvePullProfile } from '../pull-profile.js';
import { readDockerfileOption } from './fix.js';
import { loadReportInput, OUTPUT_OPTIONS, outputTargets, parseBandwidthOption, parseTop, readTextFile, writeOutput, type OutputTarget } from './shared.js';

export const analyzeCommand = defineCommand({
  name: 'analyze',
  summary: 'analyze one image (or re-render a saved JSON report)',
  usage: 'imgsize analyze <source> [options]',
  description: `<source> is an image (see Sources below) or a saved report (imgsize analyze --json > report.json),
which is re-rendered in the formats asked for.`,
  options: {
    ...OUTPUT_OPTIONS,
    ...PULL_PROFILE_OPTIONS,
    rules: { type: 'string', arg: '<file>', help: 'extra category rules (JSON; see docs/categories.md), tried before the defaults' },
    gpu: {
      type: 'string',
      arg: '<list>',
      help: 'GPUs the image is deployed on: architectures (sm_80, 8.6) or products (a100, h100, l4),\ncomma-separated, or none (CPU only): GPU kernels only other GPUs use become a finding',
    },
    'include-files': { type: 'boolean', help: "add per-path data to the JSON report, for a later 'imgsize diff'" },
    'no-estimate': { type: 'boolean', help: 'skip the compressed-size estimate (faster; compressed sizes then\nonly where the source stores them exactly)' },
    budget: { type: 'string', arg: '<file>', help: "check budgets (JSON budgets or dive's .dive-ci; docs/BUDGETS.md):\nexit 1 when a rule fails" },
    baseline: { type: 'string', arg: '<report>', help: "saved report (or image) the budget's regression rules compare to" },
    dockerfile: { type: 'string', arg: '<file>', help: 'the Dockerfile the image was built from: every finding points at Dockerfile:LINE' },
    base: { type: 'string', arg: '<image>', help: "the base image (any source): the layers it shares with this image\nare the 'base-image' category (default: the first layer, a guess)" },
    ...SOURCE_OPTIONS,
  },
  footer: SOURCE_HELP,
  async run({ values, positionals }, ctx) {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'analyze needs a <source>' : `analyze takes exactly one <source>, got ${positionals.length}`);
    const ref = positionals[0]!;
    const targets = outputTargets(values);
    const top = values.top === undefined ? undefined : parseTop(values.top, 10);
    // --bandwidth wins over the profile's own; without it the profile's bandwidth (1 Gbps by default) is used.
    const pullProfile = resolvePullProfile(values['pull-profile'], values.bandwidth === undefined ? undefined : parseBandwidthOption(values.bandwidth), ctx.env);
    const bandwidth = pullProfile.bandwidthBitsPerSecond;
    const gpu = values.gpu === undefined ? undefined : parseGpuTarget(values.gpu);
    const budgetPath = values.budget;
    const baselineRef = values.baseline;
    if (baselineRef !== undefined && budgetPath === undefined) throw new UsageError('--baseline is only used with --budget');
    if (baselineRef === '-' && ref === '-') throw new UsageError("the source and --baseline cannot both be '-' (stdin)");
    if (values.base === '-') throw new UsageError("--base cannot read stdin: name an image source");
    const wantsHtml = targets.some((t) => t.format === 'html');
    if (wantsHtml && values['metadata-only']) {
      throw new UsageError('--html draws the image’s files, which --metadata-only does not read: drop one of them');
    }

    // Budgets, rules, baseline and Dockerfile first: a bad file should fail before a long analysis.
    const dockerfile = values.dockerfile === undefined ? undefined : await readDockerfileOption(values.dockerfile);
    const rules = values.rules === undefined ? undefined : loadCategoryRules(await readTextFile(values.rules, 'category rules'));
    const customIds = (rules ?? []).map((r) => r.category);
    const budgets = budgetPath === undefined ? undefined : parseBudgets(await readTextFile(budgetPath, 'budgets'), budgetPath);
    if (budgets) checkBudgetCategoryIds(budgets.budgets, customIds, budgetPath);
    const sourceOptions = await sourceOptionsFrom(values, ctx, [ref, baselineRef ?? '', values.base ?? '']);
    const baseline = baselineRef === undefined ? undefined : await loadReportInput(baselineRef, ctx, { bandwidth, includeFiles: false, label: 'baseline', sourceOptions });

    const input = await loadReportInput(ref, ctx, {
      image: values.image,
      bandwidth,
      pullProfile,
      sourceOptions,
      // The HTML report's treemap is drawn from the per-path rows.
      includeFiles: Boolean(values['include-files']) || wantsHtml,
      rules,
      limits: limitsFrom(values),
      gpu,
      base: values.base,
      dockerfile,
      estimate: !values['no-estimate'],
    });
    let report: Report = dockerfile ? locateFindings(input.report, dockerfile.text, dockerfile.path).report : input.report;
    let result: BudgetResult | undefined;
    if (budgets) {
      result = evaluateBudgets(report, budgets.budgets, baseline?.report, { source: budgetPath, warnings: budgets.warnings, categoryIds: customIds });
      report = { ...report, budgets: result };
    }
    const withoutFiles: Report = values['include-files'] || input.origin === 'saved-report' ? report : { ...report, files: undefined };
    for (const t of targets) await writeOutput(t, render(t, t.format === 'html' ? report : withoutFiles, result, top, ctx), ctx);
    return result && !result.pass ? EXIT_BUDGET : EXIT_OK;
  },
});

function render(t: OutputTarget, report: Report, result: BudgetResult | undefined, top: number | undefined, ctx: CommandContext): string {
  switch (t.format) {
    case 'json':
      return stringifyReport(report);
    case 'markdown':
      return renderAnalyzeMarkdown(report, { top: top ?? 25 });
    case 'html':
      return renderAnalyzeHtml(report);
    case 'terminal': {
      // A file gets no colour codes; stdout follows the colour decision.
      const style = t.path === undefined ? ctx.style : createStyle(false);
      const width = ctx.width;
      const text = renderAnalyzeTerminal(report, { width, style, top: top ?? 10 });
      return result ? text + renderBudgetsTerminal(result, { width, style }) : text;
    }
  }
}
