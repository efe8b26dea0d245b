/**
 * dive-style terminal report of an analyze Report. Pure: report in, text out. Every size says
 * whether it is compressed; uncompressed is the default and is labelled in the summary.
 */
import { formatWarning, type Finding, type Report } from '@imgsize/core';
import { cleanInstruction, describeBaseImage, describeOs, dockerfileLabel, formatBytes, formatCount, formatPercent, formatSeconds, safeText, shortDigest } from '../format.js';
import type { Style } from '../style.js';
import { bar, renderTable, wrapText } from './table.js';
import { renderColdStartTerminal } from './cold-start.js';
import { renderGpuTerminal } from './gpu.js';

export interface TerminalOptions {
  /** Terminal columns: no line is wider (numbers are never cut; text columns shrink or go). */
  width: number;
  /** The colour decision, made by the caller (--color, NO_COLOR, FORCE_COLOR): off means no ANSI at all. */
  style: Style;
  /** How many rows of each "top" list to print. */
  top: number;
}

/** The analyze report for a terminal `o.width` columns wide. */
export function renderAnalyzeTerminal(r: Report, o: TerminalOptions): string {
  const s = o.style;
  const out: string[] = [];
  const h = (t: string) => out.push('', ...wrapText(t, o.width).map((l) => s.bold(l)));
  const sm = r.summary;
  const name = r.image.repoTags[0] ?? r.image.ref;
  out.push(titleLine(s, `imgsize: ${safeText(name)}`, `  (${r.image.source.format}, ${safeText(r.image.os)}/${safeText(r.image.architecture)})`, o.width));

  if (r.image.source.metadataOnly) return renderMetadataOnly(r, o, out);

  h('Summary (uncompressed unless marked)');
  const rows: string[][] = [
    ['Layers', `${sm.layers}${sm.emptyLayers > 0 ? ` (${sm.emptyLayers} empty)` : ''}, ${sm.historyEntries} history entries`],
    ...(r.image.osRelease ? [['OS', safeText(describeOs(r.image.osRelease)!)]] : []),
    ...(r.baseImage ? [['Base image', safeText(describeBaseImage(r.baseImage)!)]] : []),
    ['Files', filesLine(r)],
    ['Shipped in layers', formatBytes(sm.contentBytes)],
    ['Visible in final filesystem', formatBytes(sm.visibleBytes)],
    [
      'Wasted (shipped, not visible)',
      `${formatBytes(sm.wastedBytes)} (${formatPercent(sm.contentBytes === 0 ? 0 : sm.wastedBytes / sm.contentBytes)}): overwritten ${formatBytes(sm.overwrittenBytes)}, deleted ${formatBytes(sm.deletedBytes)}`,
    ],
  ];
  if (sm.compressedBytes !== undefined) {
    rows.push(['Compressed (pull size)', `${formatBytes(sm.compressedBytes)} ${sm.compressedBytesExact ? '(exact)' : '(estimated, gzip -6)'}`]);
  }
  if (r.pull) {
    rows.push([
      'Estimated pull time (fetch only)',
      `${formatSeconds(r.pull.seconds)} at ${formatBandwidth(r.pull.bandwidthBitsPerSecond)}; after fixes ${formatSeconds(r.pull.afterFixesSeconds)}`,
    ]);
  }
  if (sm.potentialSavingsBytes !== undefined) {
    rows.push([
      'Potential savings',
      sm.potentialSavingsCompressedBytes === undefined
        ? formatBytes(sm.potentialSavingsBytes)
        : `${formatBytes(sm.potentialSavingsBytes)} (${formatBytes(sm.potentialSavingsCompressedBytes)} compressed, ~${formatSeconds(sm.potentialSavingsPullSeconds ?? 0)} pull)`,
    ]);
  }
  if (sm.compressedEstimate === 'skipped' && sm.compressedBytes === undefined) rows.push(['Compressed (pull size)', 'not estimated (--no-estimate)']);
  rows.push([
    'dive efficiency',
    `${formatPercent(r.dive.efficiency, 2)}, dive wasted ${formatBytes(r.dive.wastedBytes)}, user wasted ${formatPercent(r.dive.userWastedPercent, 2)}`,
  ]);
  out.push(renderTable([{ header: '' }, { header: '', wrap: true }], rows, o.width).replace(/^\s*\n/, ''));
  const cold = renderColdStartTerminal(r, s, o.top, o.width);
  if (cold) out.push(cold.trimEnd());

  h('Layers');
  const maxLayer = Math.max(1, ...r.layers.map((l) => l.contentBytes));
  const hasCompressed = r.layers.some((l) => l.compressedBytes !== undefined);
  const layerRows = r.layers.map((l) => [
    String(l.index),
    shortDigest(l.digest ?? l.diffId),
    l.empty ? s.dim('empty') : formatBytes(l.contentBytes),
    ...(hasCompressed ? [l.compressedBytes === undefined ? '-' : `${formatBytes(l.compressedBytes)}${l.compressedBytesExact ? '' : '~'}`] : []),
    String(l.files),
    l.hiddenBytes > 0 ? formatBytes(l.hiddenBytes) : '',
    bar(l.contentBytes / maxLayer, 10),
    cleanInstruction(l.instruction) || s.dim('(no history)'),
  ]);
  out.push(
    renderTable(
      [
        { header: '#', align: 'right' },
        { header: 'Digest', drop: 4 },
        { header: 'Size', align: 'right' },
        ...(hasCompressed ? [{ header: 'Compressed', align: 'right' as const }] : []),
        { header: 'Files', align: 'right', drop: 2 },
        { header: 'Hidden later', align: 'right', drop: 3 },
        { header: '', drop: 5 },
        { header: 'Instruction', flex: true },
      ],
      layerRows,
      o.width,
      s.dim,
    ),
  );
  if (hasCompressed && r.layers.some((l) => !l.compressedBytesExact)) out.push(s.dim('  ~ estimated compressed size (gzip -6)'));

  if (r.categories && r.categories.length > 0 && r.layers.some((l) => l.categories)) {
    h('Bytes by category (shipped, uncompressed)');
    const cats = r.categories.filter((c) => c.bytes > 0).slice(0, o.top);
    const total = Math.max(1, sm.contentBytes);
    out.push(
      renderTable(
        [
          { header: 'Category', flex: true },
          { header: 'Shipped', align: 'right' },
          { header: 'Visible', align: 'right', drop: 2 },
          { header: 'Wasted', align: 'right', drop: 1 },
          { header: 'Compressed~', align: 'right', drop: 3 },
          { header: '', drop: 5 },
          { header: 'Top layers', flex: true, drop: 4 },
        ],
        cats.map((c) => {
          const perLayer = r.layers
            .map((l) => ({ i: l.index, b: l.categories?.[c.id] ?? 0 }))
            .filter((x) => x.b > 0)
            .sort((a, b) => b.b - a.b)
            .slice(0, 3)
            .map((x) => `#${x.i} ${formatBytes(x.b)}`)
            .join(', ');
          return [safeText(c.label), formatBytes(c.bytes), formatBytes(c.visibleBytes), c.wastedBytes > 0 ? formatBytes(c.wastedBytes) : '', c.compressedBytes === undefined ? '-' : formatBytes(c.compressedBytes), bar(c.bytes / total, 12), perLayer];
        }),
        o.width,
        s.dim,
      ),
    );
  }

  if (r.findings && r.findings.length > 0) {
    h('Findings (largest first)');
    const noEstimate = r.summary.compressedEstimate === 'skipped' && r.summary.compressedBytes === undefined;
    for (const f of r.findings.slice(0, o.top)) out.push(...findingLines(f, o, noEstimate));
    const rest = r.findings.slice(o.top);
    if (rest.length > 0) out.push('', moreFindingsLine(r.findings.length, rest));
  }

  renderGpuTerminal(r, o, out);

  if (r.packages && r.packages.packages.length > 0) {
    h('Biggest packages (visible bytes, uncompressed)');
    const pk = [...r.packages.packages].sort((a, b) => b.visibleBytes - a.visibleBytes).slice(0, o.top);
    out.push(
      renderTable(
        [
          { header: 'Manager', drop: 3 },
          { header: 'Package', flex: true },
          { header: 'Version', flex: true, drop: 1 },
          { header: 'Layer', align: 'right', drop: 2 },
          { header: 'Visible', align: 'right' },
          { header: 'Files', align: 'right', drop: 4 },
        ],
        pk.map((p) => [p.manager, safeText(p.name), safeText(p.version ?? ''), p.layer === null ? '-' : String(p.layer), formatBytes(p.visibleBytes), formatCount(p.files)]),
        o.width,
        s.dim,
      ),
    );
    out.push(s.dim(`  unowned: ${formatBytes(r.packages.unownedBytes)} in ${formatCount(r.packages.unownedFiles)} files`));
  }

  if (r.directories && r.directories.length > 0) {
    h('Biggest directories (visible, uncompressed, rolled up)');
    out.push(
      renderTable(
        [{ header: 'Size', align: 'right' }, { header: 'Files', align: 'right' }, { header: 'Path', flex: true }],
        r.directories.slice(0, o.top).map((d) => [formatBytes(d.visibleBytes), formatCount(d.files), safeText(d.path)]),
        o.width,
        s.dim,
      ),
    );
  }

  if (r.waste.topPaths.length > 0) {
    h(`Top wasted paths (${formatCount(r.waste.hiddenFiles)} hidden files, ${formatBytes(sm.wastedBytes)})`);
    out.push(
      renderTable(
        [{ header: 'Size', align: 'right' }, { header: 'Why', drop: 3 }, { header: 'Shipped by', align: 'right', drop: 2 }, { header: 'Hidden by', align: 'right', drop: 1 }, { header: 'Path', flex: true }],
        r.waste.topPaths.slice(0, o.top).map((w) => [formatBytes(w.bytes), w.reason, `#${w.layer}`, `#${w.hiddenBy}`, safeText(w.path)]),
        o.width,
        s.dim,
      ),
    );
  }

  if (r.warnings.length > 0) {
    h(`Warnings (${r.warnings.length})`);
    for (const w of r.warnings.slice(0, 10)) out.push(s.yellow(`  ${truncateLine(safeText(formatWarning(w)), o.width - 2)}`));
    if (r.warnings.length > 10) out.push(s.dim(`  … ${r.warnings.length - 10} more in --json`));
  }
  return `${out.join('\n')}\n`;
}

/**
 * `--metadata-only`: only the manifest and config were read, so there are no file-level numbers
 * to show (printing 0 B shipped or 100% efficiency would be a lie): compressed sizes, pull time
 * and the instructions that made each layer.
 */
function renderMetadataOnly(r: Report, o: TerminalOptions, out: string[]): string {
  const s = o.style;
  const h = (t: string) => out.push('', ...wrapText(t, o.width).map((l) => s.bold(l)));
  for (const l of wrapText('metadata only: layer contents were not read; sizes below are the compressed blobs from the manifest.', o.width)) out.push(s.yellow(l));
  for (const l of wrapText('run without --metadata-only for uncompressed sizes, categories, packages, waste and findings', o.width)) out.push(s.dim(l));
  h('Summary');
  const rows: string[][] = [['Layers', `${r.summary.layers}, ${r.summary.historyEntries} history entries`]];
  if (r.summary.compressedBytes !== undefined) rows.push(['Compressed (pull size)', `${formatBytes(r.summary.compressedBytes)} (exact)`]);
  if (r.pull) rows.push(['Estimated pull time (fetch only)', `${formatSeconds(r.pull.seconds)} at ${formatBandwidth(r.pull.bandwidthBitsPerSecond)}`]);
  out.push(renderTable([{ header: '' }, { header: '', wrap: true }], rows, o.width).replace(/^\s*\n/, ''));
  h('Layers (compressed)');
  const max = Math.max(1, ...r.layers.map((l) => l.compressedBytes ?? 0));
  out.push(
    renderTable(
      [{ header: '#', align: 'right' }, { header: 'Digest', drop: 2 }, { header: 'Compressed', align: 'right' }, { header: '', drop: 3 }, { header: 'Instruction', flex: true }],
      r.layers.map((l) => [
        String(l.index),
        shortDigest(l.digest ?? l.diffId),
        l.compressedBytes === undefined ? '-' : formatBytes(l.compressedBytes),
        bar((l.compressedBytes ?? 0) / max, 10),
        cleanInstruction(l.instruction) || s.dim('(no history)'),
      ]),
      o.width,
      s.dim,
    ),
  );
  // The metadata-only view says so itself.
  const others = r.warnings.filter((w) => w.code !== 'W_METADATA_ONLY');
  if (others.length > 0) {
    h(`Warnings (${others.length})`);
    for (const w of others.slice(0, 10)) out.push(s.yellow(`  ${truncateLine(safeText(formatWarning(w)), o.width - 2)}`));
  }
  return `${out.join('\n')}\n`;
}

function truncateLine(t: string, w: number): string {
  const width = Math.max(8, w);
  return t.length <= width ? t : `${t.slice(0, width - 1)}…`;
}

/** The bold title plus a dim detail, the detail dropped and then the title cut when too wide. */
function titleLine(s: Style, title: string, detail: string, width: number): string {
  if (title.length + detail.length <= width) return s.bold(title) + s.dim(detail);
  return s.bold(truncateLine(title, width));
}

/**
 * "1,639 shipped in layers (each copy counted), 2,630 entries": `summary.files`, the one file count
 * every renderer shows, said the same way (regular files in all layers, hidden copies included).
 */
export function filesLine(r: Report): string {
  return `${formatCount(r.summary.files)} shipped in layers (each copy counted), ${formatCount(r.summary.entries)} entries`;
}

/** "3 more findings (12.0 MB uncompressed): --top 13 or --json" for the findings `--top` left out. */
export function moreFindingsLine(total: number, rest: readonly Finding[]): string {
  const bytes = rest.reduce((n, f) => n + (f.countedInSavings ? f.bytes : 0), 0);
  return `  ${rest.length} more finding${rest.length === 1 ? '' : 's'} (${formatBytes(bytes)} uncompressed): --top ${total} or --json`;
}

const IND = '         ';

/** One finding: severity and title, what it saves, where, evidence, the whole fix as a code block, the note. */
function findingLines(f: Finding, o: TerminalOptions, noEstimate = false): string[] {
  const s = o.style;
  const w = o.width;
  const out: string[] = [];
  const sevWord = f.severity.padEnd(6);
  const sev = f.severity === 'high' ? s.red(sevWord) : f.severity === 'medium' ? s.yellow(sevWord) : s.dim(sevWord);
  const saves = noEstimate ? formatBytes(f.bytes) : `${formatBytes(f.bytes)} (${formatBytes(f.compressedBytes)} compressed, ~${formatSeconds(f.pullSeconds)} pull)`;
  const notCounted = f.countedInSavings ? '' : ' [not counted]';
  const title = safeText(f.title);
  if (2 + 7 + title.length + 2 + saves.length + notCounted.length <= w) {
    out.push(`  ${sev} ${s.bold(title)}  ${saves}${s.dim(notCounted)}`);
  } else {
    const lines = wrapText(title, w - IND.length);
    out.push(`  ${sev} ${s.bold(lines[0]!)}`, ...lines.slice(1).map((l) => IND + s.bold(l)));
    for (const l of wrapText(`saves ${saves}${notCounted}`, w - IND.length)) out.push(IND + l);
  }
  const at = dockerfileLabel(f.dockerfile);
  if (at) out.push(`${IND}${s.bold(at)}`);
  const layers = f.layers.length > 0 ? `layer ${f.layers.join(', ')}` : '';
  if (layers || f.instruction) out.push(s.dim(truncateLine(`${IND}${layers}${f.instruction ? `${layers ? ': ' : ''}${cleanInstruction(f.instruction)}` : ''}`, w)));
  for (const e of f.evidence.slice(0, 3)) {
    const tail = `  ${formatBytes(e.bytes)}  (layer ${e.layer})`;
    out.push(s.dim(`${IND}${truncateLine(safeText(e.path), w - IND.length - tail.length)}${tail}`));
  }
  out.push(`${IND}fix:`);
  for (const l of codeBlock(f.fix, w - IND.length - 2)) out.push(`${IND}  ${s.cyan(l)}`);
  if (f.note) for (const l of wrapText(`note: ${safeText(f.note)}`, w - IND.length)) out.push(s.dim(IND + l));
  return out;
}

/**
 * A fix as code lines no wider than `width`: every line kept; a line too long breaks at a space
 * (or at the width) and continues Dockerfile-style, with ` \` (or `# ` for a comment) (issue 11).
 */
export function codeBlock(code: string, width: number): string[] {
  const w = Math.max(16, width);
  const out: string[] = [];
  for (const raw of code.split(/\r?\n/)) {
    const line = safeText(raw.replace(/\s+$/, ''));
    if (line.length <= w) {
      out.push(line);
      continue;
    }
    const comment = /^\s*#/.test(line);
    const lead = comment ? '# ' : '    ';
    let rest = line;
    let first = true;
    while ((first ? 0 : lead.length) + rest.length > w) {
      const room = w - (first ? 0 : lead.length) - (comment ? 0 : 2);
      let at = rest.lastIndexOf(' ', room);
      if (at <= (first ? 0 : 1)) at = room;
      out.push(`${first ? '' : lead}${rest.slice(0, at).replace(/\s+$/, '')}${comment ? '' : ' \\'}`);
      rest = rest.slice(at).replace(/^\s+/, '');
      first = false;
    }
    out.push(`${first ? '' : lead}${rest}`);
  }
  return out;
}

export function formatBandwidth(bps: number): string {
  if (bps >= 1e9) return `${+(bps / 1e9).toFixed(2)} Gbps`;
  if (bps >= 1e6) return `${+(bps / 1e6).toFixed(2)} Mbps`;
  return `${+(bps / 1e3).toFixed(2)} kbps`;
}
