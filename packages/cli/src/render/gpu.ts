/**
 * The "GPU kernels" section, shared by the terminal and Markdown renderers (pure: report in,
 * lines out): bytes per architecture with GPU names, the largest libraries, the torch build and
 * the `--gpu` target.
 */
import type { GpuReport, Report } from '@imgsize/core';
import { formatBytes, safeText } from '../format.js';
import type { Style } from '../style.js';
import { bar, renderTable } from './table.js';

/** "6.1 GB for sm_50…sm_90 + PTX" — the one-line summary of the GPU kernels. */
export function gpuHeadline(g: GpuReport): string {
  const sass = g.archs.filter((a) => a.kind === 'sass').map((a) => a.sm);
  const range = sass.length === 0 ? 'no SASS' : sass.length === 1 ? `sm_${sass[0]}` : `sm_${sass[0]}…sm_${sass[sass.length - 1]}`;
  const ptx = g.ptxBytes > 0 ? ' + PTX' : '';
  return `${formatBytes(g.fatbinBytes)} for ${range}${ptx} in ${g.files} file${g.files === 1 ? '' : 's'}`;
}

/** The torch build in words ("CUDA 12.1 build of torch 2.1.0+cu121"). */
export function torchLine(t: NonNullable<GpuReport['torch']>): string {
  const what = t.variant === 'cuda' ? `CUDA${t.cudaVersion ? ` ${t.cudaVersion}` : ''}` : t.variant === 'rocm' ? `ROCm${t.rocmVersion ? ` ${t.rocmVersion}` : ''}` : 'CPU-only';
  return `${what} build of torch${t.version ? ` ${t.version}` : ''} (from ${t.evidence === 'version.py' ? 'torch/version.py' : t.evidence === 'dist-info' ? 'its dist-info' : 'its libraries'})`;
}

function targetLine(t: NonNullable<GpuReport['target']>): string {
  if (t.none) return `target: none (CPU only): all ${formatBytes(t.otherGpuBytes)} of GPU kernels are unused`;
  const fc = t.forwardCompatPtxBytes > 0 ? `; ${formatBytes(t.forwardCompatPtxBytes)} of newest-architecture PTX kept for forward compatibility` : '';
  return `target: ${t.archs.join(', ')}: ${formatBytes(t.otherGpuBytes)} only other GPUs use${fc}`;
}

/** Appends the terminal section to `out` (nothing when the report has no GPU section). */
export function renderGpuTerminal(r: Report, o: { width: number; style: Style; top: number }, out: string[]): void {
  const g = r.gpu;
  if (!g) return;
  const s = o.style;
  const cut = (t: string): string => (t.length <= o.width ? t : `${t.slice(0, Math.max(0, o.width - 1))}…`);
  const push = (t: string, style: (x: string) => string = (x) => x): void => {
    out.push(style(cut(t)));
  };
  push('GPU kernels (CUDA fat binaries, uncompressed as stored in the files)', s.bold);
  out.splice(out.length - 1, 0, '');
  push(`  ${g.files > 0 ? gpuHeadline(g) : 'no CUDA fat binaries'}`);
  if (g.torch) push(`  ${torchLine(g.torch)}`);
  if (g.target) push(`  ${targetLine(g.target)}`);
  if (g.archs.length > 0) {
    const max = Math.max(1, ...g.archs.map((a) => a.bytes));
    out.push(
      renderTable(
        [{ header: 'Arch' }, { header: 'Kind' }, { header: 'Bytes', align: 'right' }, { header: 'Entries', align: 'right' }, { header: 'Files', align: 'right' }, { header: '' }, { header: 'GPUs', flex: true }],
        g.archs.map((a) => [a.arch, a.kind === 'sass' ? 'SASS' : a.kind === 'ptx' ? 'PTX' : a.kind, formatBytes(a.bytes), String(a.entries), String(a.files), bar(a.bytes / max, 10), a.gpus]),
        o.width,
        s.dim,
      ),
    );
  }
  if (g.topFiles.length > 0) {
    push('  largest libraries:', s.dim);
    out.push(
      renderTable(
        [{ header: 'Fatbin', align: 'right' }, { header: 'Package' }, { header: 'Archs' }, { header: 'Path', flex: true }],
        g.topFiles.slice(0, o.top).map((f) => [formatBytes(f.fatbinBytes), safeText(f.package ?? '-'), archList(f.sass, f.ptx), safeText(f.path)]),
        o.width,
        s.dim,
      ),
    );
  }
  if (g.wheels.length > 0) push(`  wheels: ${g.wheels.slice(0, 8).map((w) => `${safeText(w.name)} ${formatBytes(w.bytes)}`).join(', ')}`);
  if (g.hostDriver) push(`  host driver pieces in the image: ${formatBytes(g.hostDriver.bytes)} (${g.hostDriver.paths.slice(0, 3).map((p) => safeText(p)).join(', ')})`);
  if (g.warnings.length > 0) push(`  ${g.warnings.length} fatbin warning(s), e.g. ${g.warnings[0]!.code} ${safeText(g.warnings[0]!.path)}: ${safeText(g.warnings[0]!.message)}`, s.yellow);
}

/** "sm_50…sm_90 (6) + PTX sm_90". */
function archList(sass: readonly string[], ptx: readonly string[]): string {
  const a = sass.length === 0 ? '' : sass.length <= 3 ? sass.join(' ') : `${sass[0]}…${sass[sass.length - 1]} (${sass.length})`;
  const p = ptx.length === 0 ? '' : `PTX ${ptx.join(' ')}`;
  return [a, p].filter(Boolean).join(' + ');
}

/** The body of the Markdown section, lines (empty when the report has no GPU section); `esc` escapes text. */
export function renderGpuMarkdown(r: Report, top: number, esc: (s: string) => string): string[] {
  const g = r.gpu;
  if (!g) return [];
  const out: string[] = [];
  out.push(`${g.files > 0 ? gpuHeadline(g) : 'No CUDA fat binaries.'} (uncompressed, as stored in the files)`);
  if (g.torch) out.push('', `- ${torchLine(g.torch)}`);
  if (g.target) out.push(`${g.torch ? '' : '\n'}- ${targetLine(g.target)}`);
  if (g.archs.length > 0) {
    out.push('', '| Arch | Kind | Bytes | Entries | Files | GPUs |', '|---|---|--:|--:|--:|---|');
    for (const a of g.archs) out.push(`| ${a.arch} | ${a.kind === 'sass' ? 'SASS' : a.kind === 'ptx' ? 'PTX' : a.kind} | ${formatBytes(a.bytes)} | ${a.entries} | ${a.files} | ${esc(a.gpus)} |`);
  }
  if (g.topFiles.length > 0) {
    out.push('', '| Fatbin | Package | Archs | Path |', '|--:|---|---|---|');
    for (const f of g.topFiles.slice(0, top)) out.push(`| ${formatBytes(f.fatbinBytes)} | ${esc(f.package ?? '-')} | ${archList(f.sass, f.ptx)} | ${esc(f.path)} |`);
  }
  if (g.wheels.length > 0) out.push('', `Wheels: ${g.wheels.slice(0, 8).map((w) => `${esc(w.name)} ${formatBytes(w.bytes)}`).join(', ')}`);
  if (g.hostDriver) out.push('', `Host driver pieces in the image: ${formatBytes(g.hostDriver.bytes)} (${g.hostDriver.paths.slice(0, 3).map(esc).join(', ')})`);
  if (g.warnings.length > 0) out.push('', `${g.warnings.length} fatbin warning(s), e.g. ${g.warnings[0]!.code} ${esc(g.warnings[0]!.path)}: ${esc(g.warnings[0]!.message)}`);
  return out;
}
