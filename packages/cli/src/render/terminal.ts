/**
 * dive-style terminal report of an analyze Report. Pure: report in, text out. Every size says
 * whether it is compressed; uncompressed is the default and is labelled in the summary.
 */
import { formatWarning, type Report } from '@imgsize/core';
import { cleanInstruction, formatBytes, formatPercent, formatSeconds, safeText, shortDigest } from '../format.js';
import type { Style } from '../style.js';
import { bar, renderTable } from './table.js';
import { renderGpuTerminal } from './gpu.js';

export interface TerminalOptions {
  width: number;
  style: Style;
  /** How many rows of each "top" list to print. */
  top: number;
}

export function renderAnalyzeTerminal(r: Report, o: TerminalOptions): string {
  const s = o.style;
  const out: string[] = [];
  const h = (t: string) => out.push('', s.bold(t));
  const sm = r.summary;
  const name = r.image.repoTags[0] ?? r.image.ref;
  out.push(s.bold(`imgsize: ${safeText(name)}`) + s.dim(`  (${r.image.source.format}, ${safeText(r.image.os)}/${safeText(r.image.architecture)})`));

  if (r.image.source.metadataOnly) return renderMetadataOnly(r, o, out);

  h('Summary (uncompressed unless marked)');
  const rows: string[][] = [
    ['Layers', `${sm.layers}${sm.emptyLayers > 0 ? ` (${sm.emptyLayers} empty)` : ''}, ${sm.historyEntries} history entries`],
    ['Files', `${sm.files} files, ${sm.entries} entries`],
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
      'Estimated pull time',
      `${formatSeconds(r.pull.seconds)} at ${formatBandwidth(r.pull.bandwidthBitsPerSecond)}; after fixes ${formatSeconds(r.pull.afterFixesSeconds)}`,
    ]);
  }
  if (sm.potentialSavingsBytes !== undefined) {
    rows.push([
      'Potential savings',
      `${formatBytes(sm.potentialSavingsBytes)} (${formatBytes(sm.potentialSavingsCompressedBytes ?? 0)} compressed, ~${formatSeconds(sm.potentialSavingsPullSeconds ?? 0)} pull)`,
    ]);
  }
  rows.push([
    'dive efficiency',
    `${formatPercent(r.dive.efficiency, 2)}, dive wasted ${formatBytes(r.dive.wastedBytes)}, user wasted ${formatPercent(r.dive.userWastedPercent, 2)}`,
  ]);
  out.push(renderTable([{ header: '' }, { header: '', flex: true }], rows, o.width).replace(/^\s*\n/, ''));

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
        { header: 'Digest' },
        { header: 'Size', align: 'right' },
        ...(hasCompressed ? [{ header: 'Compressed', align: 'right' as const }] : []),
        { header: 'Files', align: 'right' },
        { header: 'Hidden later', align: 'right' },
        { header: '' },
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
        [{ header: 'Category' }, { header: 'Shipped', align: 'right' }, { header: 'Visible', align: 'right' }, { header: 'Wasted', align: 'right' }, { header: 'Compressed~', align: 'right' }, { header: '' }, { header: 'Top layers', flex: true }],
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
    for (const f of r.findings.slice(0, o.top)) {
      const sev = f.severity === 'high' ? s.red(f.severity) : f.severity === 'medium' ? s.yellow(f.severity) : s.dim(f.severity);
      const layers = f.layers.length > 0 ? `layer ${f.layers.join(', ')}` : '';
      out.push(
        `  ${sev.padEnd(6)} ${s.bold(safeText(f.title))}  ${formatBytes(f.bytes)} (${formatBytes(f.compressedBytes)} compressed, ~${formatSeconds(f.pullSeconds)} pull)${f.countedInSavings ? '' : s.dim(' [not counted]')}`,
      );
      if (layers || f.instruction) out.push(s.dim(`         ${layers}${f.instruction ? `: ${truncateLine(cleanInstruction(f.instruction), o.width - 20)}` : ''}`));
      for (const e of f.evidence.slice(0, 3)) out.push(s.dim(`         ${truncateLine(safeText(e.path), o.width - 30)}  ${formatBytes(e.bytes)}  (layer ${e.layer})`));
      out.push(`         fix: ${truncateLine(safeText(f.fix.split('\n')[0] ?? ''), o.width - 15)}`);
      if (f.note) out.push(s.dim(`         note: ${truncateLine(safeText(f.note), o.width - 16)}`));
    }
  }

  renderGpuTerminal(r, o, out);

  if (r.packages && r.packages.packages.length > 0) {
    h('Biggest packages (visible bytes, uncompressed)');
    const pk = [...r.packages.packages].sort((a, b) => b.visibleBytes - a.visibleBytes).slice(0, o.top);
    out.push(
      renderTable(
        [{ header: 'Manager' }, { header: 'Package', flex: true }, { header: 'Version' }, { header: 'Layer', align: 'right' }, { header: 'Visible', align: 'right' }, { header: 'Files', align: 'right' }],
        pk.map((p) => [p.manager, safeText(p.name), safeText(p.version ?? ''), p.layer === null ? '-' : String(p.layer), formatBytes(p.visibleBytes), String(p.files)]),
        o.width,
        s.dim,
      ),
    );
    out.push(s.dim(`  unowned: ${formatBytes(r.packages.unownedBytes)} in ${r.packages.unownedFiles} files`));
  }

  if (r.directories && r.directories.length > 0) {
    h('Biggest directories (visible, uncompressed, rolled up)');
    out.push(
      renderTable(
        [{ header: 'Size', align: 'right' }, { header: 'Files', align: 'right' }, { header: 'Path', flex: true }],
        r.directories.slice(0, o.top).map((d) => [formatBytes(d.visibleBytes), String(d.files), safeText(d.path)]),
        o.width,
        s.dim,
      ),
    );
  }

  if (r.waste.topPaths.length > 0) {
    h(`Top wasted paths (${r.waste.hiddenFiles} hidden files, ${formatBytes(sm.wastedBytes)})`);
    out.push(
      renderTable(
        [{ header: 'Size', align: 'right' }, { header: 'Why' }, { header: 'Shipped by', align: 'right' }, { header: 'Hidden by', align: 'right' }, { header: 'Path', flex: true }],
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
  const h = (t: string) => out.push('', s.bold(t));
  out.push(s.yellow('metadata only: layer contents were not read; sizes below are the compressed blobs from the manifest.'));
  out.push(s.dim('run without --metadata-only for uncompressed sizes, categories, packages, waste and findings'));
  h('Summary');
  const rows: string[][] = [['Layers', `${r.summary.layers}, ${r.summary.historyEntries} history entries`]];
  if (r.summary.compressedBytes !== undefined) rows.push(['Compressed (pull size)', `${formatBytes(r.summary.compressedBytes)} (exact)`]);
  if (r.pull) rows.push(['Estimated pull time', `${formatSeconds(r.pull.seconds)} at ${formatBandwidth(r.pull.bandwidthBitsPerSecond)}`]);
  out.push(renderTable([{ header: '' }, { header: '', flex: true }], rows, o.width).replace(/^\s*\n/, ''));
  h('Layers (compressed)');
  const max = Math.max(1, ...r.layers.map((l) => l.compressedBytes ?? 0));
  out.push(
    renderTable(
      [{ header: '#', align: 'right' }, { header: 'Digest' }, { header: 'Compressed', align: 'right' }, { header: '' }, { header: 'Instruction', flex: true }],
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
  const width = Math.max(20, w);
  return t.length <= width ? t : `${t.slice(0, width - 1)}…`;
}

export function formatBandwidth(bps: number): string {
  if (bps >= 1e9) return `${+(bps / 1e9).toFixed(2)} Gbps`;
  if (bps >= 1e6) return `${+(bps / 1e6).toFixed(2)} Mbps`;
  return `${+(bps / 1e3).toFixed(2)} kbps`;
}
