/**
 * Terminal rendering of a DiffReport: a headline ("naive 8.40 GB → 1.18 GB, pull 14 min → 87 s"),
 * a before/after/delta table, then layers, categories, packages, path changes and findings.
 * Pure: diff in, text out. Sizes are uncompressed unless labelled compressed.
 */
import type { DiffReport, MetricDelta, OptionalMetricDelta } from '@imgsize/core';
import { cleanInstruction, formatBytes, formatCount, formatDelta, formatPercent, formatSeconds, safeText, shortDigest } from '../format.js';
import type { Style } from '../style.js';
import { renderTable, visibleLength, wrapText } from './table.js';
import { formatBandwidth } from './terminal.js';

export interface DiffTerminalOptions {
  /** Terminal columns: no line is wider (numbers are never cut; text columns shrink or go). */
  width: number;
  /** The colour decision, made by the caller: off means no ANSI at all. */
  style: Style;
  /** Rows per list. */
  top: number;
}

/** "-86.0%", "+3.2%", "" when before is 0. */
export function formatRelative(before: number | null, after: number | null): string {
  if (before === null || after === null || before === 0) return '';
  const p = ((after - before) / before) * 100;
  const t = Math.abs(p) >= 10 ? p.toFixed(0) : p.toFixed(1);
  return `${p > 0 ? '+' : ''}${t}%`;
}

/** "+87 s" / "-13 min 3 s". */
export function formatSecondsDelta(d: number): string {
  return d > 0 ? `+${formatSeconds(d)}` : d < 0 ? `-${formatSeconds(-d)}` : '0 s';
}

/** "naive 8.40 GB → 1.18 GB (-86%), compressed 3.10 GB → 600 MB (estimated), pull 14 min → 87 s at 1 Gbps". */
export function diffHeadline(d: DiffReport): string {
  const t = d.totals;
  const parts = [`${formatBytes(t.contentBytes.before)} → ${formatBytes(t.contentBytes.after)} (${formatDelta(t.contentBytes.delta)}${pct(t.contentBytes)})`];
  const c = t.compressedBytes;
  if (c.before !== null && c.after !== null) parts.push(`compressed ${formatBytes(c.before)} → ${formatBytes(c.after)}${exactLabel(c.beforeExact, c.afterExact)}`);
  const p = t.pullSeconds;
  if (p.before !== null && p.after !== null) parts.push(`pull ${formatSeconds(p.before)} → ${formatSeconds(p.after)} at ${formatBandwidth(t.bandwidthBitsPerSecond)}`);
  return parts.join(', ');
}

/** "" when both exact, " (estimated)" when both estimated, else which side is which. */
export function exactLabel(before: boolean | null, after: boolean | null): string {
  if (before === true && after === true) return ' (exact)';
  if (before === false && after === false) return ' (estimated)';
  return ` (before ${before ? 'exact' : 'estimated'}, after ${after ? 'exact' : 'estimated'})`;
}

function pct(m: MetricDelta | OptionalMetricDelta): string {
  const r = formatRelative(m.before, m.after);
  return r ? `, ${r}` : '';
}

/** The diff for a terminal `o.width` columns wide. */
export function renderDiffTerminal(d: DiffReport, o: DiffTerminalOptions): string {
  const s = o.style;
  const out: string[] = [];
  const h = (t: string) => out.push('', ...wrapText(t, o.width).map((l) => s.bold(l)));
  const signed = (n: number, text: string) => (n < 0 ? s.green(text) : n > 0 ? s.red(text) : s.dim(text));
  const t = d.totals;
  for (const l of wrapText(`imgsize diff: ${safeText(d.before.name)} → ${safeText(d.after.name)}`, o.width)) out.push(s.bold(l));
  for (const l of wrapText(diffHeadline(d), o.width - 2)) out.push(`  ${l}`);
  for (const w of d.warnings) for (const l of wrapText(`warning: ${safeText(w)}`, o.width - 2)) out.push(s.yellow(`  ${l}`));

  h('Totals (uncompressed unless marked)');
  const bytesRow = (label: string, m: MetricDelta): string[] => [label, formatBytes(m.before), formatBytes(m.after), signed(m.delta, formatDelta(m.delta)), formatRelative(m.before, m.after)];
  const rows: string[][] = [
    bytesRow('Shipped in layers', t.contentBytes),
    bytesRow('Visible in final filesystem', t.visibleBytes),
    bytesRow('Wasted (shipped, not visible)', t.wastedBytes),
  ];
  const c = t.compressedBytes;
  if (c.before !== null || c.after !== null) {
    rows.push([
      `Compressed${exactLabel(c.beforeExact, c.afterExact)}`,
      c.before === null ? '-' : formatBytes(c.before),
      c.after === null ? '-' : formatBytes(c.after),
      c.delta === null ? '-' : signed(c.delta, formatDelta(c.delta)),
      formatRelative(c.before, c.after),
    ]);
  }
  const p = t.pullSeconds;
  if (p.before !== null || p.after !== null) {
    rows.push([
      `Pull time at ${formatBandwidth(t.bandwidthBitsPerSecond)}`,
      p.before === null ? '-' : formatSeconds(p.before),
      p.after === null ? '-' : formatSeconds(p.after),
      p.delta === null ? '-' : signed(p.delta, formatSecondsDelta(p.delta)),
      formatRelative(p.before, p.after),
    ]);
  }
  const countRow = (label: string, m: MetricDelta): string[] => [label, formatCount(m.before), formatCount(m.after), signed(m.delta, m.delta > 0 ? `+${formatCount(m.delta)}` : formatCount(m.delta)), ''];
  rows.push(countRow('Layers', t.layers), countRow('Files', t.files));
  rows.push(['dive efficiency', formatPercent(t.diveEfficiency.before, 2), formatPercent(t.diveEfficiency.after, 2), `${t.diveEfficiency.delta >= 0 ? '+' : ''}${(t.diveEfficiency.delta * 100).toFixed(2)} pt`, '']);
  // The image names head the columns when they fit; otherwise "Before" and "After" (the title names them).
  const totals = (before: string, after: string) =>
    renderTable(
      [{ header: '', flex: true }, { header: before, align: 'right' }, { header: after, align: 'right' }, { header: 'Delta', align: 'right' }, { header: '', align: 'right', drop: 1 }],
      rows,
      o.width,
      s.dim,
    );
  const named = totals(safeText(d.before.name), safeText(d.after.name));
  out.push(Math.max(...named.split('\n').map(visibleLength)) <= o.width ? named : totals('Before', 'After'));

  const L = d.layers;
  h(`Layers: ${L.shared.length} shared (${formatBytes(L.sharedBytes)}), ${L.removed.length} removed (${formatBytes(L.removedBytes)}), ${L.added.length} added (${formatBytes(L.addedBytes)})`);
  if (L.addedCompressedBytes !== null && L.added.length > 0) {
    for (const l of wrapText(`a host that has ${safeText(d.before.name)} pulls ${formatBytes(L.addedCompressedBytes)} compressed for ${safeText(d.after.name)}`, o.width - 2)) out.push(s.dim(`  ${l}`));
  }
  const layerRows = [
    ...L.shared.map((l) => ({ l, tag: s.dim('shared') })),
    ...L.removed.map((l) => ({ l, tag: s.green('removed') })),
    ...L.added.map((l) => ({ l, tag: s.red('added') })),
  ];
  const shownLayers = layerRows.slice(0, Math.max(o.top * 2, 20));
  out.push(
    renderTable(
      [
        { header: '' },
        { header: 'Before', align: 'right', drop: 2 },
        { header: 'After', align: 'right', drop: 1 },
        { header: 'Digest', drop: 3 },
        { header: 'Size', align: 'right' },
        { header: 'Compressed', align: 'right' },
        { header: 'Instruction', flex: true },
      ],
      shownLayers.map(({ l, tag }) => [
        tag,
        l.beforeIndex === null ? '' : `#${l.beforeIndex}`,
        l.afterIndex === null ? '' : `#${l.afterIndex}`,
        shortDigest(l.diffId),
        formatBytes(l.contentBytes),
        l.compressedBytes === null ? '-' : `${formatBytes(l.compressedBytes)}${l.compressedBytesExact ? '' : '~'}`,
        cleanInstruction(l.instruction) || s.dim('(no history)'),
      ]),
      o.width,
      s.dim,
    ),
  );
  more(out, s, layerRows.length - shownLayers.length);

  if (d.categories.available) {
    const cats = d.categories.changes.filter((x) => x.delta !== 0);
    h(`Categories (shipped, uncompressed)${cats.length === 0 ? ': no change' : ''}`);
    if (cats.length > 0) {
      out.push(
        renderTable(
          [{ header: 'Category', flex: true }, { header: 'Before', align: 'right' }, { header: 'After', align: 'right' }, { header: 'Delta', align: 'right' }],
          cats.slice(0, o.top).map((x) => [safeText(x.label), formatBytes(x.before), formatBytes(x.after), signed(x.delta, formatDelta(x.delta))]),
          o.width,
          s.dim,
        ),
      );
      more(out, s, cats.length - o.top);
    }
  } else unavailable(out, s, 'Categories', d.categories.reason);

  if (d.packages.available) {
    const k = d.packages.counts;
    h(`Packages: ${k.added} added, ${k.removed} removed, ${k.versionChanged} version changed, ${k.unchanged} unchanged (visible bytes)`);
    const list = d.packages.changes;
    if (list.length > 0) {
      out.push(
        renderTable(
          [
            { header: '' },
            { header: 'Manager', drop: 2 },
            { header: 'Package', flex: true },
            { header: 'Version', flex: true, drop: 3 },
            { header: 'Before', align: 'right', drop: 1 },
            { header: 'After', align: 'right' },
            { header: 'Delta', align: 'right' },
          ],
          list.slice(0, o.top).map((x) => [
            x.change === 'added' ? s.red('+') : x.change === 'removed' ? s.green('-') : s.yellow('~'),
            x.manager,
            safeText(x.name),
            safeText(x.change === 'version-changed' ? `${x.versionBefore ?? '?'} → ${x.versionAfter ?? '?'}` : (x.versionAfter ?? x.versionBefore ?? '')),
            formatBytes(x.bytesBefore),
            formatBytes(x.bytesAfter),
            signed(x.delta, formatDelta(x.delta)),
          ]),
          o.width,
          s.dim,
        ),
      );
      more(out, s, list.length - o.top);
    }
  } else unavailable(out, s, 'Packages', d.packages.reason);

  if (d.paths.available) {
    const P = d.paths;
    const k = P.counts;
    h(`Path changes (shipped bytes): ${k.added} added, ${k.removed} removed, ${k.grown} grown, ${k.shrunk} shrunk`);
    if (P.directories.length > 0) {
      out.push(s.dim(`  by directory (depth ≤ ${P.directoryDepth})`));
      out.push(
        renderTable(
          [{ header: 'Delta', align: 'right' }, { header: 'Before', align: 'right', drop: 2 }, { header: 'After', align: 'right', drop: 1 }, { header: 'Files', align: 'right', drop: 3 }, { header: 'Directory', flex: true }],
          P.directories.slice(0, o.top).map((x) => [signed(x.delta, formatDelta(x.delta)), formatBytes(x.before), formatBytes(x.after), String(x.files), safeText(x.path)]),
          o.width,
          s.dim,
        ),
      );
    }
    if (P.top.length > 0) {
      out.push(s.dim('  by file'));
      out.push(
        renderTable(
          [{ header: 'Delta', align: 'right' }, { header: 'Change', drop: 3 }, { header: 'Before', align: 'right', drop: 2 }, { header: 'After', align: 'right', drop: 1 }, { header: 'Path', flex: true }],
          P.top.slice(0, o.top).map((x) => [
            signed(x.delta, formatDelta(x.delta)),
            x.change,
            formatBytes(x.before),
            formatBytes(x.after),
            safeText(x.path) + (x.visibleBefore < x.before || x.visibleAfter < x.after ? s.dim(' (partly hidden)') : ''),
          ]),
          o.width,
          s.dim,
        ),
      );
      more(out, s, Math.max(0, P.top.length - o.top) + P.omitted);
    }
  } else unavailable(out, s, 'Path changes', d.paths.reason);

  if (d.findings.available) {
    const F = d.findings;
    h(`Findings: ${F.resolved.length} resolved, ${F.new.length} new, ${F.persisting.length} still open`);
    const line = (tag: string, title: string, size: string) => {
      const room = o.width - 12 - size.length - 2;
      return `  ${tag}${safeText(title).length > room ? `${safeText(title).slice(0, Math.max(8, room) - 1)}…` : safeText(title)}  ${size}`;
    };
    for (const f of F.resolved.slice(0, o.top)) out.push(line(`${s.green('resolved')}  `, f.title, formatBytes(f.bytes)));
    for (const f of F.new.slice(0, o.top)) out.push(line(`${s.red('new')}       `, f.title, formatBytes(f.bytes)));
    for (const f of F.persisting.filter((x) => x.delta !== 0).slice(0, o.top)) {
      out.push(line(`${s.dim('open')}      `, f.title, `${formatBytes(f.bytesBefore)} → ${formatBytes(f.bytesAfter)}`));
    }
  } else unavailable(out, s, 'Findings', d.findings.reason);
  return `${out.join('\n')}\n`;
}

function more(out: string[], s: Style, n: number): void {
  if (n > 0) out.push(s.dim(`  … ${n} more in --json`));
}

function unavailable(out: string[], s: Style, what: string, reason: string): void {
  out.push('', `${s.bold(what)}${s.dim(`: not available (${safeText(reason)})`)}`);
}
