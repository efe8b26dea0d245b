/** The GPU kernels section: bytes per architecture with GPU names, largest libraries, torch build, target. */
import type { GpuReport } from '@imgsize/core';
import { h } from './dom.js';
import { fmtBytes, fmtCount } from './format.js';
import { dataTable, section } from './ui.js';

export function gpuSection(g: GpuReport): HTMLElement {
  const sass = g.archs.filter((a) => a.kind === 'sass');
  const range = sass.length === 0 ? 'no SASS' : sass.length === 1 ? sass[0]!.arch : `${sass[0]!.arch}\u2026${sass[sass.length - 1]!.arch}`;
  const sec = section('gpu', 'GPU kernels', g.files ? `${fmtBytes(g.fatbinBytes)} for ${range}${g.ptxBytes ? ' + PTX' : ''} in ${fmtCount(g.files)} files (uncompressed, as stored in the files)` : 'no CUDA fat binaries');
  const notes: string[] = [];
  const t = g.torch;
  if (t) {
    const what = t.variant === 'cuda' ? `CUDA${t.cudaVersion ? ` ${t.cudaVersion}` : ''}` : t.variant === 'rocm' ? `ROCm${t.rocmVersion ? ` ${t.rocmVersion}` : ''}` : 'CPU-only';
    notes.push(`${what} build of torch${t.version ? ` ${t.version}` : ''} (from ${t.evidence})`);
  }
  if (g.target) {
    notes.push(
      g.target.none
        ? `Target: none (CPU only): all ${fmtBytes(g.target.otherGpuBytes)} of GPU kernels are unused`
        : `Target: ${g.target.archs.join(', ')}: ${fmtBytes(g.target.otherGpuBytes)} only other GPUs use${g.target.forwardCompatPtxBytes ? `; ${fmtBytes(g.target.forwardCompatPtxBytes)} of newest-architecture PTX kept for forward compatibility` : ''}`,
    );
  }
  if (g.wheels.length) notes.push(`Wheels: ${g.wheels.slice(0, 8).map((w) => `${w.name} ${fmtBytes(w.bytes)}`).join(', ')}`);
  if (g.hostDriver) notes.push(`Host driver pieces in the image: ${fmtBytes(g.hostDriver.bytes)} (${g.hostDriver.paths.slice(0, 3).join(', ')})`);
  if (g.warnings.length) notes.push(`${g.warnings.length} fatbin warning(s), e.g. ${g.warnings[0]!.code} ${g.warnings[0]!.path}: ${g.warnings[0]!.message}`);
  for (const n of notes) sec.append(h('p', { class: 'note', text: n }));
  if (g.archs.length) {
    sec.append(
      dataTable<GpuReport['archs'][number]>(
        [
          { label: 'Arch', value: (a) => a.sm, cell: (a) => a.arch },
          { label: 'Kind', value: (a) => a.kind, cell: (a) => (a.kind === 'sass' ? 'SASS' : a.kind === 'ptx' ? 'PTX' : a.kind) },
          { label: 'Bytes', num: true, value: (a) => a.bytes, cell: (a) => fmtBytes(a.bytes) },
          { label: 'Entries', num: true, value: (a) => a.entries, cell: (a) => fmtCount(a.entries) },
          { label: 'Files', num: true, value: (a) => a.files, cell: (a) => fmtCount(a.files) },
          { label: 'GPUs', value: (a) => a.gpus, cell: (a) => a.gpus },
        ],
        g.archs,
        { caption: 'GPU kernel bytes per architecture' },
      ),
    );
  }
  if (g.topFiles.length) {
    sec.append(
      dataTable<GpuReport['topFiles'][number]>(
        [
          { label: 'Fatbin', num: true, value: (f) => f.fatbinBytes, cell: (f) => fmtBytes(f.fatbinBytes) },
          { label: 'Package', value: (f) => f.package ?? '', cell: (f) => f.package ?? '\u2013' },
          { label: 'Archs', value: (f) => f.sass.length, cell: (f) => f.sass.join(' ') + (f.ptx.length ? ` + PTX ${f.ptx.join(' ')}` : '') },
          { label: 'Path', value: (f) => f.path, cell: (f) => h('code', { text: f.path }) },
        ],
        g.topFiles,
        { sortable: true, sortCol: 0, caption: 'Largest libraries with GPU kernels' },
      ),
    );
  }
  return sec;
}
