/**
 * Cold start in the terminal and Markdown reports (analyze and diff): the estimate with its
 * fetch / inflate / unpack breakdown, the profile that produced it, the what-ifs and the build
 * time per step. Pure: report in, text out; the renderers call these.
 */
import type { BuildTimeReport, ColdStartDiff, ColdStartReport, Report } from '@imgsize/core';
import { cleanInstruction, formatBytes, formatSeconds, safeText } from '../format.js';
import type { Style } from '../style.js';
import { wrapText } from './table.js';

/** Wraps `text` to `width` columns, every line indented by `indent` (continuations by 2 more). */
function wrapped(text: string, width: number, indent = '  '): string[] {
  const lines = wrapText(text, Math.max(20, width - indent.length - 2));
  return lines.map((l, i) => `${indent}${i === 0 ? '' : '  '}${l}`);
}

const STAGE_LABEL = { fetch: 'fetch', decompress: 'inflate', unpack: 'unpack' } as const;

function bandwidth(bps: number): string {
  if (bps >= 1e9) return `${+(bps / 1e9).toFixed(2)} Gbps`;
  if (bps >= 1e6) return `${+(bps / 1e6).toFixed(2)} Mbps`;
  return `${+(bps / 1e3).toFixed(2)} kbps`;
}

/** "docker profile: 1 Gbps, 3 downloads" — what every estimate is labelled with. */
export function profileLabel(c: Pick<ColdStartReport, 'profile'>): string {
  const p = c.profile;
  const dl = p.concurrentDownloads === 0 ? 'unlimited downloads' : `${p.concurrentDownloads} download${p.concurrentDownloads === 1 ? '' : 's'}`;
  return `${safeText(p.name)} profile: ${bandwidth(p.bandwidthBitsPerSecond)}, ${dl}${p.unpackStart === 'after-all-fetched' ? ', unpack after all fetched' : ''}`;
}

/** "2 min 40 s: fetch 67 s, inflate 151 s (bottleneck), unpack 38 s". */
export function coldStartHeadline(c: ColdStartReport): string {
  const stage = (k: keyof typeof STAGE_LABEL, s: number): string => `${STAGE_LABEL[k]} ${formatSeconds(s)}${c.bottleneck === k ? ' (bottleneck)' : ''}`;
  return `${formatSeconds(c.totalSeconds)}: ${stage('fetch', c.fetchSeconds)}, ${stage('decompress', c.decompressSeconds)}, ${stage('unpack', c.unpackSeconds)}`;
}

function shares(c: ColdStartReport): string {
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  return `critical path ${pct(c.shares.fetch)} fetch, ${pct(c.shares.decompress)} inflate, ${pct(c.shares.unpack)} unpack; slowest layer #${c.criticalLayer ?? '-'}`;
}

function whatIfLine(w: ColdStartReport['whatIfs'][number]): string {
  const d = w.deltaSeconds;
  const sign = d < 0 ? '−' : '+';
  return `${safeText(w.title)}: ${formatSeconds(w.totalSeconds)} (${sign}${formatSeconds(Math.abs(d))}; ${formatBytes(w.compressedBytes)} compressed, fetch ${formatSeconds(w.fetchSeconds)}, inflate ${formatSeconds(w.decompressSeconds)})${w.note ? ` — ${safeText(w.note)}` : ''}`;
}

function buildTimeLines(b: BuildTimeReport | undefined, top: number): string[] {
  if (!b) return [];
  if (!b.meaningful) return [`Build time per step: not available (${safeText(b.reason ?? 'timestamps not meaningful')})`];
  return [
    `Build time: ${formatSeconds(b.totalSeconds ?? 0)} from the first to the last step of this build (history timestamps); slowest steps:`,
    ...b.steps.slice(0, top).map((s) => `  ${formatSeconds(s.seconds).padStart(9)}  ${cleanInstruction(s.createdBy).slice(0, 100)}`),
  ];
}

/** The terminal section of an analyze report (empty when the report has no cold start). */
export function renderColdStartTerminal(r: Report, style: Style, top: number, width = 120): string {
  const c = r.coldStart;
  const out: string[] = [];
  if (c) {
    out.push('', style.bold(width >= 70 ? 'Cold start (estimate: fetch + decompress + unpack on an empty node)' : 'Cold start (estimate)'));
    out.push(...wrapped(coldStartHeadline(c), width));
    out.push(...wrapped(`${profileLabel(c)}; ${shares(c)}`, width).map((l) => style.dim(l)));
    if (c.assumedCodec) out.push(...wrapped('layers are uncompressed in this archive: modelled as the gzip blobs a push would make', width).map((l) => style.dim(l)));
    for (const w of c.whatIfs) out.push(...wrapped(`• ${whatIfLine(w)}`, width));
    out.push(...wrapped(`rates: ${safeText(c.profile.source)}`, width).map((l) => style.dim(l)));
  }
  const b = buildTimeLines(r.buildTime, top);
  if (b.length > 0) out.push('', ...b.flatMap((l, i) => wrapped(l.trim(), width, i === 0 ? '' : '  ').map((x) => (i === 0 ? style.bold(x) : x))));
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** The Markdown section of an analyze report (empty when the report has no cold start). */
export function renderColdStartMarkdown(r: Report, top: number): string {
  const c = r.coldStart;
  const out: string[] = [];
  if (c) {
    out.push('', '#### Cold start (estimate)', '');
    out.push(`**${coldStartHeadline(c)}** — ${profileLabel(c)}; ${shares(c)}.`);
    out.push('', '| Stage | Busy time | Share of the critical path |', '|---|---:|---:|');
    out.push(`| Fetch (compressed bytes over the link) | ${formatSeconds(c.fetchSeconds)} | ${Math.round(c.shares.fetch * 100)}% |`);
    out.push(`| Inflate (${c.assumedCodec ? 'gzip, as pushed' : 'layer codecs'}) | ${formatSeconds(c.decompressSeconds)} | ${Math.round(c.shares.decompress * 100)}% |`);
    out.push(`| Unpack (writes, per-entry cost) | ${formatSeconds(c.unpackSeconds)} | ${Math.round(c.shares.unpack * 100)}% |`);
    if (c.whatIfs.length > 0) out.push('', ...c.whatIfs.map((w) => `- ${whatIfLine(w)}`));
    out.push('', `<sub>Rates: ${safeText(c.profile.source)}. Model: docs/COLD-START.md.</sub>`);
  }
  const b = buildTimeLines(r.buildTime, top);
  if (b.length > 0) out.push('', b[0]!, ...(b.length > 1 ? ['', '```', ...b.slice(1).map((l) => l.trim()), '```'] : []));
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

function sideRows(d: ColdStartDiff): string[][] {
  const sec = (s: number | null): string => (s === null ? '-' : formatSeconds(s));
  const bytes = (b: number | null): string => (b === null ? '-' : formatBytes(b));
  return [
    ['Image size (uncompressed)', formatBytes(d.before.imageBytes), formatBytes(d.after.imageBytes)],
    ['Compressed', bytes(d.before.compressedBytes), bytes(d.after.compressedBytes)],
    [`Pull, fetch only (${bandwidth(d.profile.bandwidthBitsPerSecond)})`, sec(d.before.pullSeconds), sec(d.after.pullSeconds)],
    ['Cold start (estimate)', sec(d.before.coldStartSeconds), sec(d.after.coldStartSeconds)],
  ];
}

function updateLine(d: ColdStartDiff): string {
  const u = d.update;
  const sec = (s: number | null): string => (s === null ? '?' : formatSeconds(s));
  return `a node holding the before image pulls ${u.layers} new layer${u.layers === 1 ? '' : 's'} (matched by ${u.matchedBy}): ${u.compressedBytes === null ? '?' : formatBytes(u.compressedBytes)} compressed, fetch ${sec(u.pullSeconds)}, ready in ${sec(u.coldStartSeconds)} (estimate)`;
}

/** The diff's cold-start table for the terminal. */
export function renderColdStartDiffTerminal(d: ColdStartDiff | undefined, style: Style, width = 120): string {
  if (!d) return '';
  const rows = sideRows(d).map((r) => (width < 80 ? [r[0]!.replace(/ \(.*\)$/, ''), r[1]!, r[2]!] : r));
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(6, ...rows.map((r) => r[1]!.length));
  const out = ['', style.bold('Cold start (estimates)'), `  ${''.padEnd(w0)}  ${'before'.padStart(w1)}  after`];
  for (const r of rows) out.push(`  ${r[0]!.padEnd(w0)}  ${r[1]!.padStart(w1)}  ${r[2]}`);
  out.push(...wrapped(updateLine(d), width), ...wrapped(profileLabel(d), width).map((l) => style.dim(l)));
  return `${out.join('\n')}\n`;
}

/** The diff's cold-start table in Markdown. */
export function renderColdStartDiffMarkdown(d: ColdStartDiff | undefined): string {
  if (!d) return '';
  const out = ['', '#### Cold start (estimates)', '', '| | Before | After |', '|---|---:|---:|'];
  for (const r of sideRows(d)) out.push(`| ${r[0]} | ${r[1]} | ${r[2]} |`);
  out.push('', `${updateLine(d)}. <sub>${profileLabel(d)}.</sub>`);
  return `${out.join('\n')}\n`;
}
