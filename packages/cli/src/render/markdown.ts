/**
 * GitHub-flavoured Markdown for PR comments and job summaries: a summary table up front, details
 * in collapsible `<details>` sections, every size labelled compressed or uncompressed. The output
 * always fits GitHub's comment limit (65,536 characters): lists are cut to fewer rows ("… N more")
 * until it fits, and as a last resort the text is cut and closed cleanly. Pure: data in, text out.
 */
import { renderColdStartDiffMarkdown, renderColdStartMarkdown } from './cold-start.js';
import { formatWarning, type BudgetResult, type DiffReport, type MetricDelta, type Report } from '@imgsize/core';
import { cleanInstruction, describeBaseImage, describeOs, dockerfileLabel, formatBytes, formatCount, formatDelta, formatPercent, formatSeconds, safeText, shortDigest, truncate } from '../format.js';
import { budgetComparison, budgetVerdict } from './budget.js';
import { exactLabel, formatRelative, formatSecondsDelta } from './diff-terminal.js';
import { filesLine, formatBandwidth, moreFindingsLine } from './terminal.js';
import { gpuHeadline, renderGpuMarkdown } from './gpu.js';

/** GitHub rejects comments over 65,536 characters; bytes ≥ characters, so bytes are checked. */
export const MARKDOWN_LIMIT_BYTES = 64 * 1024;

export interface MarkdownOptions {
  /** Rows per list before shrinking to fit (default 25). */
  top?: number | undefined;
  /** Size the output must stay under, in UTF-8 bytes (default 65,536). */
  maxBytes?: number | undefined;
  budgets?: BudgetResult | undefined;
}

/** Markdown of an analyze report (plus its budget results, when given). */
export function renderAnalyzeMarkdown(r: Report, o: MarkdownOptions = {}): string {
  return fit((top) => analyzeMarkdown(r, top, o.budgets ?? r.budgets), o.top ?? 25, o.maxBytes ?? MARKDOWN_LIMIT_BYTES);
}

/** Markdown of a diff report. */
export function renderDiffMarkdown(d: DiffReport, o: MarkdownOptions = {}): string {
  return fit((top) => diffMarkdown(d, top, o.budgets), o.top ?? 25, o.maxBytes ?? MARKDOWN_LIMIT_BYTES);
}

// ---------------------------------------------------------------------------------------------
// Size guarantee

function fit(render: (top: number) => string, top: number, maxBytes: number): string {
  const tries = [top, 25, 10, 5, 3, 1, 0].filter((t, i, a) => t <= top && a.indexOf(t) === i);
  let md = '';
  for (const t of tries) {
    md = render(t);
    if (Buffer.byteLength(md) < maxBytes) return md;
  }
  return hardCut(md, maxBytes);
}

/** Cuts at a line boundary, closes open `<details>` and says so. */
function hardCut(md: string, maxBytes: number): string {
  const note = '\n\n_… output cut to fit the 64 KB comment limit; run with `--json` for everything._\n';
  const budget = maxBytes - Buffer.byteLength(note) - 64;
  const lines = md.split('\n');
  const kept: string[] = [];
  let size = 0;
  for (const l of lines) {
    const n = Buffer.byteLength(l) + 1;
    if (size + n > budget) break;
    kept.push(l);
    size += n;
  }
  const text = kept.join('\n');
  const open = (text.match(/<details[\s>]/g) ?? []).length - (text.match(/<\/details>/g) ?? []).length;
  return `${text}${'\n\n</details>'.repeat(Math.max(0, open))}${note}`;
}

// ---------------------------------------------------------------------------------------------
// Escaping

/** Plain text for a table cell or paragraph: Markdown and HTML punctuation escaped. */
export function mdText(s: string): string {
  return safeText(s).replace(/[\\`*_[\]<>|#&~]/g, (c) => `\\${c}`);
}

/** Inline code for a table cell (`|` escaped the GFM-table way), cut to `max` characters. */
export function mdCode(s: string, max = 100): string {
  const t = truncate(safeText(s), max).replace(/\|/g, '\\|');
  if (t === '') return '';
  return t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
}

/** Text inside `<summary>`: HTML-escaped, no Markdown. */
function html(s: string): string {
  return safeText(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A fenced code block holding `code` verbatim (escaped), with a fence longer than any backtick run in it. */
export function codeFence(code: string, lang = 'dockerfile'): string {
  const body = code
    .split(/\r?\n/)
    .map((l) => safeText(l))
    .join('\n');
  const runs = body.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
  return `${fence}${lang}\n${body}\n${fence}`;
}

function table(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`;
  return [line(header), `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`, ...rows.map(line)].join('\n');
}

function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

function moreLine(n: number, what = 'more'): string {
  return n > 0 ? `\n\n… ${n} ${what} (see \`--json\`)` : '';
}

function footer(version: string): string {
  return `<sub>imgsize ${html(version)} · sizes in decimal units (1 MB = 1,000,000 bytes); uncompressed unless marked compressed</sub>`;
}

// ---------------------------------------------------------------------------------------------
// Budgets

const STATUS = { pass: '✅ pass', fail: '❌ **FAIL**', skip: '➖ skip' } as const;

function budgetsMarkdown(b: BudgetResult, top: number): string {
  const title = `${b.pass ? '✅' : '❌'} **Budgets ${budgetVerdict(b)}**${b.source ? ` (${mdCode(b.source, 60)})` : ''}`;
  // Failures first, so they survive any cut.
  const order = { fail: 0, pass: 1, skip: 2 } as const;
  const rules = [...b.rules].sort((x, y) => order[x.status] - order[y.status]);
  const shown = rules.slice(0, Math.max(top, b.counts.fail, 1));
  const body = table(
    ['', 'Rule', 'Measured vs limit', 'What'],
    ['l', 'l', 'r', 'l'],
    shown.map((r) => [STATUS[r.status], mdCode(r.id, 60), mdText(budgetComparison(r)), mdText(truncate(r.message ? `${r.description}: ${r.message}` : r.description, 160))]),
  );
  const warn = b.warnings.slice(0, 5).map((w) => `\n\n⚠️ ${mdText(truncate(w, 200))}`).join('');
  return `${title}\n\n${body}${moreLine(rules.length - shown.length, 'more rules')}${warn}`;
}

// ---------------------------------------------------------------------------------------------
// Analyze

function analyzeMarkdown(r: Report, top: number, budgets: BudgetResult | undefined): string {
  const sm = r.summary;
  const name = r.image.repoTags[0] ?? r.image.ref;
  const out: string[] = [`### imgsize: ${mdCode(name, 120)}`];
  if (r.image.source.metadataOnly) {
    // Only manifest and config were read: no file-level numbers exist to show.
    const c = sm.compressedBytes === undefined ? '' : ` · **${formatBytes(sm.compressedBytes)}** compressed (exact)`;
    const pull = r.pull ? ` · pull **${formatSeconds(r.pull.seconds)}** at ${formatBandwidth(r.pull.bandwidthBitsPerSecond)}` : '';
    out.push(`_Metadata only: layer contents were not read._ ${sm.layers} layers${c}${pull}`, '', '| # | Compressed | Instruction |', '|---:|---:|---|');
    for (const l of r.layers) out.push(`| ${l.index} | ${l.compressedBytes === undefined ? '-' : formatBytes(l.compressedBytes)} | ${mdCode(cleanInstruction(l.instruction), 100)} |`);
    return `${out.join('\n')}\n`;
  }
  const head = [`**${formatBytes(sm.contentBytes)}** shipped (uncompressed)`];
  if (sm.compressedBytes !== undefined) head.push(`**${formatBytes(sm.compressedBytes)}** compressed${sm.compressedBytesExact ? '' : ' (estimated)'}`);
  if (r.coldStart) head.push(`cold start **${formatSeconds(r.coldStart.totalSeconds)}** (estimate)`);
  if (r.pull) head.push(`pull (fetch only) **${formatSeconds(r.pull.seconds)}** at ${formatBandwidth(r.pull.bandwidthBitsPerSecond)}`);
  head.push(`**${formatBytes(sm.wastedBytes)}** wasted (${formatPercent(sm.contentBytes === 0 ? 0 : sm.wastedBytes / sm.contentBytes)})`);
  out.push(head.join(' · '));

  const rows: string[][] = [
    ['Shipped in layers (uncompressed)', formatBytes(sm.contentBytes)],
    ['Visible in final filesystem (uncompressed)', formatBytes(sm.visibleBytes)],
    ['Wasted: shipped, not visible (uncompressed)', `${formatBytes(sm.wastedBytes)}: overwritten ${formatBytes(sm.overwrittenBytes)}, deleted ${formatBytes(sm.deletedBytes)}`],
  ];
  if (sm.compressedBytes !== undefined) rows.push([`Compressed (${sm.compressedBytesExact ? 'exact' : 'estimated, gzip -6'})`, formatBytes(sm.compressedBytes)]);
  if (r.pull) rows.push([`Estimated pull time (fetch only) at ${formatBandwidth(r.pull.bandwidthBitsPerSecond)}`, `${formatSeconds(r.pull.seconds)}; after fixes ${formatSeconds(r.pull.afterFixesSeconds)}`]);
  if (sm.potentialSavingsBytes !== undefined) {
    rows.push([
      'Potential savings',
      sm.potentialSavingsCompressedBytes === undefined
        ? `${formatBytes(sm.potentialSavingsBytes)} uncompressed`
        : `${formatBytes(sm.potentialSavingsBytes)} uncompressed, ${formatBytes(sm.potentialSavingsCompressedBytes)} compressed`,
    ]);
  }
  rows.push(['Layers', `${sm.layers}${sm.emptyLayers > 0 ? ` (${sm.emptyLayers} empty)` : ''}`]);
  const os = describeOs(r.image.osRelease);
  if (os) rows.push(['OS', mdText(os)]);
  const base = describeBaseImage(r.baseImage);
  if (base) rows.push(['Base image', mdText(base)]);
  rows.push(['Files', filesLine(r).replace(/, [\d,]+ entries$/, '')]);
  rows.push(['dive efficiency', `${formatPercent(r.dive.efficiency, 2)} (dive wasted ${formatBytes(r.dive.wastedBytes)}, user wasted ${formatPercent(r.dive.userWastedPercent, 2)})`]);
  out.push(table(['', ''], ['l', 'r'], rows));
  const cold = renderColdStartMarkdown(r, top).trim();
  if (cold) out.push(cold);

  if (budgets) out.push(budgetsMarkdown(budgets, top));

  if (r.findings && r.findings.length > 0) {
    const list = r.findings.slice(0, top);
    const rest = r.findings.slice(list.length);
    const overview = table(
      ['Severity', 'Finding', 'Saves (uncompressed)', 'Saves (compressed)', 'Layers'],
      ['l', 'l', 'r', 'r', 'l'],
      list.map((f, i) => [f.severity, `${i + 1}. ${mdText(truncate(f.title, 100))}`, formatBytes(f.bytes), r.summary.compressedEstimate === 'skipped' && r.summary.compressedBytes === undefined ? 'not estimated' : formatBytes(f.compressedBytes), `${f.dockerfile ? `${mdCode(dockerfileLabel(f.dockerfile), 60)} ` : ''}${f.layers.map((l) => `#${l}`).join(', ')}`]),
    );
    // Each fix whole, as a code block (issue 11: cutting at the first line inverted the advice).
    const fixes = list.map((f, i) => `**${i + 1}. ${mdText(truncate(f.title, 100))}**${f.countedInSavings ? '' : ' _(not counted in savings)_'}\n\n${codeFence(f.fix)}${f.note ? `\n\n${mdText(truncate(f.note, 400))}` : ''}`);
    const more = rest.length > 0 ? `\n\n${mdText(moreFindingsLine(r.findings.length, rest).trim())}` : '';
    out.push(details(`Findings (${r.findings.length})`, `${overview}${more}\n\n${fixes.join('\n\n')}`, true));
  }

  if (r.gpu) out.push(details(`GPU kernels: ${r.gpu.files > 0 ? gpuHeadline(r.gpu) : 'none'}`, renderGpuMarkdown(r, top, mdText).join('\n'), true));

  const layers = r.layers.slice(0, Math.max(top, 10));
  const hasCompressed = r.layers.some((l) => l.compressedBytes !== undefined);
  out.push(
    details(
      `Layers (${r.layers.length})`,
      table(
        ['#', 'Size (uncompressed)', ...(hasCompressed ? ['Compressed'] : []), 'Hidden later', 'Instruction'],
        ['r', 'r', ...(hasCompressed ? (['r'] as const) : []), 'r', 'l'],
        layers.map((l) => [
          String(l.index),
          l.empty ? 'empty' : formatBytes(l.contentBytes),
          ...(hasCompressed ? [l.compressedBytes === undefined ? '-' : `${formatBytes(l.compressedBytes)}${l.compressedBytesExact ? '' : ' (est.)'}`] : []),
          l.hiddenBytes > 0 ? formatBytes(l.hiddenBytes) : '',
          mdCode(cleanInstruction(l.instruction), 100),
        ]),
      ) + moreLine(r.layers.length - layers.length),
    ),
  );

  if (r.categories && r.categories.some((c) => c.bytes > 0)) {
    const cats = r.categories.filter((c) => c.bytes > 0);
    const list = cats.slice(0, top);
    out.push(
      details(
        'Bytes by category',
        table(
          ['Category', 'Shipped (uncompressed)', 'Visible', 'Wasted', 'Compressed (est.)'],
          ['l', 'r', 'r', 'r', 'r'],
          list.map((c) => [mdText(c.label), formatBytes(c.bytes), formatBytes(c.visibleBytes), c.wastedBytes > 0 ? formatBytes(c.wastedBytes) : '', c.compressedBytes === undefined ? '-' : formatBytes(c.compressedBytes)]),
        ) + moreLine(cats.length - list.length),
      ),
    );
  }

  if (r.packages && r.packages.packages.length > 0) {
    const all = [...r.packages.packages].sort((a, b) => b.visibleBytes - a.visibleBytes);
    const list = all.slice(0, top);
    out.push(
      details(
        `Biggest packages (${all.length})`,
        table(
          ['Manager', 'Package', 'Version', 'Visible (uncompressed)', 'Files'],
          ['l', 'l', 'l', 'r', 'r'],
          list.map((p) => [p.manager, mdCode(p.name, 60), mdText(truncate(p.version ?? '', 40)), formatBytes(p.visibleBytes), formatCount(p.files)]),
        ) + moreLine(all.length - list.length),
      ),
    );
  }

  if (r.directories && r.directories.length > 0) {
    const list = r.directories.slice(0, top);
    out.push(
      details(
        'Biggest directories (visible, uncompressed)',
        table(['Directory', 'Size', 'Files'], ['l', 'r', 'r'], list.map((d) => [mdCode(d.path, 100), formatBytes(d.visibleBytes), formatCount(d.files)])) +
          moreLine(r.directories.length - list.length),
      ),
    );
  }

  if (r.waste.topPaths.length > 0) {
    const list = r.waste.topPaths.slice(0, top);
    out.push(
      details(
        `Top wasted paths (${r.waste.hiddenFiles} hidden files, ${formatBytes(sm.wastedBytes)} uncompressed)`,
        table(
          ['Path', 'Size', 'Why', 'Shipped by', 'Hidden by'],
          ['l', 'r', 'l', 'r', 'r'],
          list.map((w) => [mdCode(w.path, 100), formatBytes(w.bytes), w.reason, `#${w.layer}`, `#${w.hiddenBy}`]),
        ) + moreLine(r.waste.hiddenFiles - list.length),
      ),
    );
  }

  if (r.warnings.length > 0) {
    const list = r.warnings.slice(0, Math.min(top, 10));
    out.push(details(`Warnings (${r.warnings.length})`, list.map((w) => `- ${mdText(truncate(formatWarning(w), 200))}`).join('\n') + moreLine(r.warnings.length - list.length)));
  }
  out.push(footer(r.tool.version));
  return `${out.join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Diff

function diffMarkdown(d: DiffReport, top: number, budgets: BudgetResult | undefined): string {
  const t = d.totals;
  const out: string[] = [`### imgsize diff: ${mdCode(d.before.name, 80)} → ${mdCode(d.after.name, 80)}`];
  const head = [`**${formatBytes(t.contentBytes.before)} → ${formatBytes(t.contentBytes.after)}** shipped (uncompressed, ${formatDelta(t.contentBytes.delta)}${relative(t.contentBytes.before, t.contentBytes.after)})`];
  const hc = t.compressedBytes;
  if (hc.before !== null && hc.after !== null) head.push(`**${formatBytes(hc.before)} → ${formatBytes(hc.after)}** compressed${exactLabel(hc.beforeExact, hc.afterExact)}`);
  const hp = t.pullSeconds;
  if (hp.before !== null && hp.after !== null) head.push(`pull **${formatSeconds(hp.before)} → ${formatSeconds(hp.after)}** at ${formatBandwidth(t.bandwidthBitsPerSecond)}`);
  out.push(head.join(' · '));
  for (const w of d.warnings.slice(0, 5)) out.push(`⚠️ ${mdText(truncate(w, 200))}`);

  const bytesRow = (label: string, m: MetricDelta): string[] => [label, formatBytes(m.before), formatBytes(m.after), bold(m.delta, formatDelta(m.delta)), formatRelative(m.before, m.after)];
  const rows: string[][] = [
    bytesRow('Shipped in layers (uncompressed)', t.contentBytes),
    bytesRow('Visible in final filesystem (uncompressed)', t.visibleBytes),
    bytesRow('Wasted: shipped, not visible (uncompressed)', t.wastedBytes),
  ];
  const c = t.compressedBytes;
  if (c.before !== null || c.after !== null) {
    rows.push([
      `Compressed${exactLabel(c.beforeExact, c.afterExact)}`,
      c.before === null ? '-' : formatBytes(c.before),
      c.after === null ? '-' : formatBytes(c.after),
      c.delta === null ? '-' : bold(c.delta, formatDelta(c.delta)),
      formatRelative(c.before, c.after),
    ]);
  }
  const p = t.pullSeconds;
  if (p.before !== null || p.after !== null) {
    rows.push([
      `Estimated pull time at ${formatBandwidth(t.bandwidthBitsPerSecond)}`,
      p.before === null ? '-' : formatSeconds(p.before),
      p.after === null ? '-' : formatSeconds(p.after),
      p.delta === null ? '-' : formatSecondsDelta(p.delta),
      formatRelative(p.before, p.after),
    ]);
  }
  rows.push(['Layers', String(t.layers.before), String(t.layers.after), signedCount(t.layers.delta), '']);
  rows.push(['Files', formatCount(t.files.before), formatCount(t.files.after), signedCount(t.files.delta), '']);
  rows.push(['dive efficiency', formatPercent(t.diveEfficiency.before, 2), formatPercent(t.diveEfficiency.after, 2), `${t.diveEfficiency.delta >= 0 ? '+' : ''}${(t.diveEfficiency.delta * 100).toFixed(2)} pt`, '']);
  out.push(table(['', 'Before', 'After', 'Delta', ''], ['l', 'r', 'r', 'r', 'r'], rows));

  if (budgets) out.push(budgetsMarkdown(budgets, top));

  const L = d.layers;
  const layerRows = [
    ...L.removed.map((l) => ['removed', l] as const),
    ...L.added.map((l) => ['added', l] as const),
    ...L.shared.map((l) => ['shared', l] as const),
  ];
  const shownLayers = layerRows.slice(0, Math.max(top, 10));
  const pullNote =
    L.addedCompressedBytes !== null && L.added.length > 0 ? `A host that already has the before image pulls ${formatBytes(L.addedCompressedBytes)} (compressed) of new layers.\n\n` : '';
  out.push(
    details(
      html(`Layers: ${L.shared.length} shared, ${L.removed.length} removed, ${L.added.length} added`),
      pullNote +
        table(
          ['Change', 'Before #', 'After #', 'Digest', 'Size (uncompressed)', 'Compressed', 'Instruction'],
          ['l', 'r', 'r', 'l', 'r', 'r', 'l'],
          shownLayers.map(([kind, l]) => [
            kind,
            l.beforeIndex === null ? '' : String(l.beforeIndex),
            l.afterIndex === null ? '' : String(l.afterIndex),
            mdCode(shortDigest(l.diffId)),
            formatBytes(l.contentBytes),
            l.compressedBytes === null ? '-' : `${formatBytes(l.compressedBytes)}${l.compressedBytesExact ? '' : ' (est.)'}`,
            mdCode(cleanInstruction(l.instruction), 80),
          ]),
        ) +
        moreLine(layerRows.length - shownLayers.length, 'more layers'),
    ),
  );

  if (d.categories.available) {
    const cats = d.categories.changes.filter((x) => x.delta !== 0);
    const list = cats.slice(0, top);
    out.push(
      details(
        html(`Categories: ${cats.length} changed (shipped, uncompressed)`),
        cats.length === 0
          ? 'No category changed.'
          : table(['Category', 'Before', 'After', 'Delta'], ['l', 'r', 'r', 'r'], list.map((x) => [mdText(x.label), formatBytes(x.before), formatBytes(x.after), bold(x.delta, formatDelta(x.delta))])) +
              moreLine(cats.length - list.length),
        true,
      ),
    );
  } else out.push(unavailableLine('Categories', d.categories.reason));

  if (d.packages.available) {
    const k = d.packages.counts;
    const list = d.packages.changes.slice(0, top);
    out.push(
      details(
        html(`Packages: ${k.added} added, ${k.removed} removed, ${k.versionChanged} version changed`),
        d.packages.changes.length === 0
          ? 'No package added, removed or changed version.'
          : table(
              ['Change', 'Manager', 'Package', 'Version', 'Visible before', 'Visible after', 'Delta'],
              ['l', 'l', 'l', 'l', 'r', 'r', 'r'],
              list.map((x) => [
                x.change,
                x.manager,
                mdCode(x.name, 60),
                mdText(truncate(x.change === 'version-changed' ? `${x.versionBefore ?? '?'} → ${x.versionAfter ?? '?'}` : (x.versionAfter ?? x.versionBefore ?? ''), 60)),
                formatBytes(x.bytesBefore),
                formatBytes(x.bytesAfter),
                formatDelta(x.delta),
              ]),
            ) + moreLine(d.packages.changes.length - list.length),
      ),
    );
  } else out.push(unavailableLine('Packages', d.packages.reason));

  if (d.paths.available) {
    const P = d.paths;
    const k = P.counts;
    const dirs = P.directories.slice(0, top);
    const files = P.top.slice(0, top);
    const body: string[] = [];
    if (dirs.length > 0) {
      body.push(
        `By directory (depth ≤ ${P.directoryDepth}):\n\n` +
          table(['Directory', 'Before', 'After', 'Delta', 'Files changed'], ['l', 'r', 'r', 'r', 'r'], dirs.map((x) => [mdCode(x.path, 100), formatBytes(x.before), formatBytes(x.after), bold(x.delta, formatDelta(x.delta)), formatCount(x.files)])) +
          moreLine(P.directories.length - dirs.length, 'more directories'),
      );
    }
    if (files.length > 0) {
      body.push(
        'By file:\n\n' +
          table(['Path', 'Change', 'Before', 'After', 'Delta'], ['l', 'l', 'r', 'r', 'r'], files.map((x) => [mdCode(x.path, 100), x.change, formatBytes(x.before), formatBytes(x.after), formatDelta(x.delta)])) +
          moreLine(P.top.length - files.length + P.omitted, 'more paths'),
      );
    }
    out.push(
      details(
        html(`Path changes (shipped, uncompressed): ${k.added} added, ${k.removed} removed, ${k.grown} grown, ${k.shrunk} shrunk`),
        body.length === 0 ? 'No path changed.' : body.join('\n\n'),
      ),
    );
  } else out.push(unavailableLine('Path changes', d.paths.reason));

  if (d.findings.available) {
    const F = d.findings;
    const lines: string[] = [];
    for (const f of F.resolved.slice(0, top)) lines.push(`- ✅ resolved: ${mdText(truncate(f.title, 120))} (${formatBytes(f.bytes)})`);
    for (const f of F.new.slice(0, top)) lines.push(`- ⚠️ new: ${mdText(truncate(f.title, 120))} (${formatBytes(f.bytes)})`);
    const changed = F.persisting.filter((x) => x.delta !== 0);
    for (const f of changed.slice(0, top)) lines.push(`- still open: ${mdText(truncate(f.title, 120))} (${formatBytes(f.bytesBefore)} → ${formatBytes(f.bytesAfter)})`);
    const hidden = Math.max(0, F.resolved.length - top) + Math.max(0, F.new.length - top) + Math.max(0, changed.length - top);
    out.push(
      details(
        html(`Findings: ${F.resolved.length} resolved, ${F.new.length} new, ${F.persisting.length} still open`),
        (lines.length === 0 ? 'No finding resolved or new.' : lines.join('\n')) + moreLine(hidden),
      ),
    );
  } else out.push(unavailableLine('Findings', d.findings.reason));
  const cold = renderColdStartDiffMarkdown(d.coldStart).trim();
  if (cold) out.push(cold);

  out.push(footer(d.tool.version));
  return `${out.join('\n\n')}\n`;
}

function relative(before: number, after: number): string {
  const r = formatRelative(before, after);
  return r ? `, ${r}` : '';
}

function bold(delta: number, text: string): string {
  return delta === 0 ? text : `**${text}**`;
}

function signedCount(n: number): string {
  return n > 0 ? `+${formatCount(n)}` : formatCount(n);
}

function unavailableLine(what: string, reason: string): string {
  return `_${what}: not available (${mdText(reason)})._`;
}
