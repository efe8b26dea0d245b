/**
 * The report's "GPU kernels" section and the GPU findings, from the layer scans' fatbin records
 * (plugin.ts) and the attributed files. Pure: analyzed image (and GPU target) in, report out.
 */
import type { Candidate, FindingRule } from '../attribution/findings.js';
import { fmtBytes } from '../attribution/findings.js';
import type { AnalyzedImage, ShippedFile } from '../attribution/analyzed-image.js';
import type { GpuFileRecord } from './plugin.js';
import { gpuNames, sassRunsOn, smName, type GpuTarget } from './gpu-names.js';
import type { GpuReport, TorchBuild } from './schema.js';

/** Category id of kernel modules, DKMS trees and kernel sources (attribution/rules.ts). */
export const HOST_DRIVER_CATEGORY = 'host-driver';
const SP = /(?:^|\/)(?:site|dist)-packages\//;
const NVIDIA_DRIVER_PATH = /(?:^|\/)(?:nvidia[^/]*\.ko(?:\.[a-z]+)?$|dkms\/nvidia|src\/nvidia-|firmware\/nvidia\/)/;

/** A shipped file with fat binaries and its fatbin record. */
export interface GpuFile {
  file: ShippedFile;
  record: GpuFileRecord;
}

/** Every shipped file with a fatbin record, joined to its attribution (visible first). */
export function gpuFilesOf(img: AnalyzedImage): GpuFile[] {
  // The (layer, path) pairs that have records, then one pass over the files for just those
  // (no key string per shipped file). A later file of the same layer and path wins, as it did.
  const wanted = img.image.layers.map((l) => (l.scan?.gpu?.length ? new Map<string, ShippedFile | undefined>() : undefined));
  img.image.layers.forEach((l, layer) => {
    for (const record of l.scan?.gpu ?? []) {
      const t = l.scan?.entries;
      if (t && record.index < t.length) wanted[layer]!.set(t.path(record.index), undefined);
    }
  });
  if (wanted.every((w) => w === undefined)) return [];
  for (const f of img.files) {
    const w = wanted[f.layer];
    if (w === undefined) continue;
    const path = f.path;
    if (w.has(path)) w.set(path, f);
  }
  const out: GpuFile[] = [];
  img.image.layers.forEach((l, layer) => {
    for (const record of l.scan?.gpu ?? []) {
      const t = l.scan?.entries;
      const file = t && record.index < t.length ? wanted[layer]!.get(t.path(record.index)) : undefined;
      if (file) out.push({ file, record });
    }
  });
  return out.sort((a, b) => Number(b.file.visible) - Number(a.file.visible));
}

const kernelBytes = (r: GpuFileRecord): number => r.archs.reduce((n, a) => n + a.bytes, 0);

/**
 * Kernel bytes of one file that only GPUs outside `target` use: SASS none of the target GPUs can
 * run, and PTX that no target GPU needs (every target has runnable SASS, or a newer PTX serves it).
 * The newest PTX is kept as forward compatibility for GPUs newer than the target.
 */
export function otherGpuBytes(r: GpuFileRecord, target: readonly number[]): { other: number; forwardCompat: number } {
  let other = 0;
  let forwardCompat = 0;
  const sass = r.archs.filter((a) => a.kind === 'sass');
  const ptx = r.archs.filter((a) => a.kind === 'ptx');
  const newestPtx = Math.max(-1, ...ptx.map((a) => a.sm));
  for (const a of sass) if (!target.some((t) => sassRunsOn(a.sm, t))) other += a.bytes;
  // Targets without runnable SASS JIT-compile the newest PTX not above them.
  const ptxNeeded = new Set<number>();
  for (const t of target) {
    if (sass.some((a) => sassRunsOn(a.sm, t))) continue;
    const best = Math.max(-1, ...ptx.filter((a) => a.sm <= t).map((a) => a.sm));
    if (best >= 0) ptxNeeded.add(best);
  }
  for (const a of ptx) {
    if (a.sm === newestPtx) forwardCompat += a.bytes;
    else if (!ptxNeeded.has(a.sm)) other += a.bytes;
  }
  return { other, forwardCompat };
}

const pkgName = (f: ShippedFile): string | null => (f.owner ? `${f.owner.manager}:${f.owner.name}` : null);

const TORCH_DIST_INFO = /(?:site|dist)-packages\/torch-[^/]+\.dist-info\/METADATA$/;
const TORCH_LIB = /(?:^|\/)torch\/lib\/lib(?:torch_cuda|torch_hip|c10_cuda|c10_hip|torch_cpu)[^/]*\.so/;

/** The torch build variant from torch/version.py, the dist-info name, or the libraries present. */
export function detectTorch(img: AnalyzedImage): TorchBuild | undefined {
  // One pass over the visible files (they are every shipped file of the image).
  let distInfo: ShippedFile | undefined;
  let versionPy: ShippedFile | undefined;
  const libs: ShippedFile[] = [];
  for (let i = 0; i < img.files.length; i++) {
    const f = img.files[i]!;
    if (!f.visible || !f.path.includes('torch')) continue;
    if (!distInfo && TORCH_DIST_INFO.test(f.path)) distInfo = f;
    if (!versionPy && f.path.endsWith('/torch/version.py') && SP.test(f.path)) versionPy = f;
    if (TORCH_LIB.test(f.path)) libs.push(f);
  }
  if (!distInfo && !versionPy && libs.length === 0) return undefined;
  const torchPkg = img.packages.find((p) => p.manager === 'pip' && p.name.toLowerCase() === 'torch');
  const bytes = torchPkg?.visibleBytes;
  const base = (evidence: TorchBuild['evidence'], path: string): Pick<TorchBuild, 'evidence' | 'path' | 'bytes'> => ({ evidence, path: `/${path}`, ...(bytes !== undefined && { bytes }) });
  if (versionPy) {
    const text = capturedText(img, versionPy);
    if (text !== undefined) {
      const field = (name: string): string | null | undefined => {
        const m = new RegExp(`^${name}\\s*(?::[^=]*)?=\\s*(?:'([^']*)'|"([^"]*)"|(None))`, 'm').exec(text);
        if (!m) return undefined;
        return m[3] ? null : (m[1] ?? m[2] ?? null);
      };
      const version = field('__version__') ?? undefined;
      const cuda = field('cuda');
      const hip = field('hip');
      if (cuda !== undefined || hip !== undefined) {
        const variant = hip ? 'rocm' : cuda ? 'cuda' : 'cpu';
        return {
          variant,
          ...(version && { version }),
          ...(cuda && { cudaVersion: cuda }),
          ...(hip && { rocmVersion: hip }),
          ...base('version.py', versionPy.path),
        };
      }
    }
  }
  if (distInfo) {
    const version = /torch-([^/]+)\.dist-info\//.exec(distInfo.path)![1]!;
    const local = /\+(.+)$/.exec(version)?.[1];
    const cu = local && /^cu(\d+)(\d)$/.exec(local);
    const rocm = local && /^rocm(.+)$/.exec(local);
    if (local === 'cpu' || (local && local.startsWith('cpu'))) return { variant: 'cpu', version, ...base('dist-info', distInfo.path) };
    if (cu) return { variant: 'cuda', version, cudaVersion: `${cu[1]}.${cu[2]}`, ...base('dist-info', distInfo.path) };
    if (rocm) return { variant: 'rocm', version, rocmVersion: rocm[1]!, ...base('dist-info', distInfo.path) };
  }
  const lib = libs.find((f) => /torch_cuda|c10_cuda/.test(f.path)) ?? libs.find((f) => /hip/.test(f.path)) ?? libs[0] ?? distInfo!;
  const variant = /cuda/.test(lib.path) ? 'cuda' : /hip/.test(lib.path) ? 'rocm' : 'cpu';
  const version = distInfo ? /torch-([^/]+)\.dist-info\//.exec(distInfo.path)![1]! : undefined;
  return { variant, ...(version && { version }), ...base('libraries', lib.path) };
}

/** The captured bytes of a (small) file as text, from the layer that shipped it. */
function capturedText(img: AnalyzedImage, f: ShippedFile): string | undefined {
  const c = img.image.layers[f.layer]?.scan?.captured.find((x) => x.path === f.path);
  return c?.content.toString('utf8');
}

const isGpuWheel = (name: string): boolean => /^nvidia-/.test(name) || /^(?:pytorch-)?triton(?:-rocm)?$/.test(name);

/** Builds the report's GPU section; undefined when the image has nothing GPU-related and no target was given. */
export function buildGpuReport(img: AnalyzedImage, target?: GpuTarget, topN = 15): GpuReport | undefined {
  const all = gpuFilesOf(img);
  const visible = all.filter((g) => g.file.visible);
  const torch = detectTorch(img);
  const wheels = img.packages
    .filter((p) => p.manager === 'pip' && isGpuWheel(p.name.toLowerCase()))
    .map((p) => ({ name: p.name, ...(p.version !== undefined && { version: p.version }), bytes: p.visibleBytes }))
    .sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1));
  const driverFiles = (img.byCategory.get(HOST_DRIVER_CATEGORY) ?? []).filter((f) => f.visible);
  if (all.length === 0 && !torch && wheels.length === 0 && driverFiles.length === 0 && !target) return undefined;

  const archs = new Map<string, GpuReport['archs'][number]>();
  const packages = new Map<string, { bytes: number; files: number }>();
  const categories = new Map<string, number>();
  const layers = new Map<number, number>();
  let fatbinBytes = 0;
  let sassBytes = 0;
  let ptxBytes = 0;
  let otherBytes = 0;
  let forwardCompat = 0;
  for (const { file, record } of visible) {
    fatbinBytes += record.fatbinBytes;
    for (const a of record.archs) {
      const key = `${a.kind}:${a.sm}`;
      let t = archs.get(key);
      if (!t) archs.set(key, (t = { arch: smName(a.sm), sm: a.sm, kind: a.kind, gpus: gpuNames(a.sm), entries: 0, bytes: 0, uncompressedBytes: 0, files: 0 }));
      t.entries += a.entries;
      t.bytes += a.bytes;
      t.uncompressedBytes += a.uncompressedBytes;
      t.files++;
      if (a.kind === 'sass') sassBytes += a.bytes;
      else if (a.kind === 'ptx') ptxBytes += a.bytes;
    }
    const pkg = pkgName(file) ?? '(no package)';
    const p = packages.get(pkg) ?? { bytes: 0, files: 0 };
    p.bytes += record.fatbinBytes;
    p.files++;
    packages.set(pkg, p);
    categories.set(file.category, (categories.get(file.category) ?? 0) + record.fatbinBytes);
    layers.set(file.layer, (layers.get(file.layer) ?? 0) + record.fatbinBytes);
    if (target) {
      const o = target.none ? { other: kernelBytes(record), forwardCompat: 0 } : otherGpuBytes(record, target.archs);
      otherBytes += o.other;
      forwardCompat += o.forwardCompat;
    }
  }
  const order = { sass: 0, ptx: 1, other: 2 } as const;
  const warnings: GpuReport['warnings'] = [];
  for (const { file, record } of all) {
    for (const p of record.problems ?? []) warnings.push({ code: p.code, path: `/${file.path}`, layer: file.layer, message: p.message });
  }
  return {
    files: visible.length,
    fatbinBytes,
    hiddenFatbinBytes: all.filter((g) => !g.file.visible).reduce((n, g) => n + g.record.fatbinBytes, 0),
    sassBytes,
    ptxBytes,
    archs: [...archs.values()].sort((a, b) => order[a.kind] - order[b.kind] || a.sm - b.sm),
    topFiles: [...visible]
      .sort((a, b) => b.record.fatbinBytes - a.record.fatbinBytes || (a.file.path < b.file.path ? -1 : 1))
      .slice(0, topN)
      .map(({ file, record }) => ({
        path: `/${file.path}`,
        layer: file.layer,
        fatbinBytes: record.fatbinBytes,
        fileBytes: file.size,
        package: pkgName(file),
        category: file.category,
        sass: record.archs.filter((a) => a.kind === 'sass').map((a) => smName(a.sm)),
        ptx: record.archs.filter((a) => a.kind === 'ptx').map((a) => smName(a.sm)),
      })),
    packages: [...packages].map(([pkg, v]) => ({ package: pkg, ...v })).sort((a, b) => b.bytes - a.bytes || (a.package < b.package ? -1 : 1)),
    categories: [...categories].map(([category, bytes]) => ({ category, bytes })).sort((a, b) => b.bytes - a.bytes),
    layers: [...layers].map(([layer, bytes]) => ({ layer, bytes })).sort((a, b) => a.layer - b.layer),
    ...(target && {
      target: { spec: target.spec, none: target.none, archs: target.archs.map(smName), otherGpuBytes: otherBytes, forwardCompatPtxBytes: forwardCompat },
    }),
    ...(torch && { torch }),
    wheels,
    ...(driverFiles.length > 0 && {
      hostDriver: {
        bytes: driverFiles.reduce((n, f) => n + f.size, 0),
        files: driverFiles.length,
        nvidia: driverFiles.some((f) => NVIDIA_DRIVER_PATH.test(f.path)),
        paths: [...new Set(driverFiles.map((f) => `/${f.path.split('/').slice(0, 4).join('/')}`))].slice(0, 10),
      },
    }),
    warnings,
  };
}

const FIX_ARCHS =
  'Ship libraries built only for the GPUs you deploy on: a wheel or base image built for fewer architectures; ' +
  'when building from source, TORCH_CUDA_ARCH_LIST="{list}" (PyTorch and its extensions) or CMAKE_CUDA_ARCHITECTURES="{cmake}" (CMake projects); ' +
  'or a newer CUDA major, which dropped old architectures (CUDA 12 dropped sm_35/sm_37, CUDA 13 dropped sm_50 to sm_72).';

/** The finding for a `--gpu` list of architectures: kernel bytes only other GPUs use. */
function otherArchsRule(target: GpuTarget): FindingRule {
  return (img) => {
    const partial = new Map<ShippedFile, number>();
    const pkgs = new Map<string, number>();
    let forward = 0;
    for (const { file, record } of gpuFilesOf(img)) {
      if (!file.visible) continue;
      const o = otherGpuBytes(record, target.archs);
      forward += o.forwardCompat;
      if (o.other <= 0) continue;
      partial.set(file, o.other);
      const p = pkgName(file) ?? '(no package)';
      pkgs.set(p, (pkgs.get(p) ?? 0) + o.other);
    }
    if (partial.size === 0) return [];
    const total = [...partial.values()].reduce((a, b) => a + b, 0);
    const list = target.archs.map((a) => `${Math.floor(a / 10)}.${a % 10}`).join(';');
    const topPkgs = [...pkgs].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([p, b]) => `${p} ${fmtBytes(b)}`).join(', ');
    const c: Candidate = {
      id: 'gpu-other-archs',
      title: `${fmtBytes(total)} of GPU kernels only other GPUs use (target ${target.archs.map(smName).join(', ')})`,
      confidence: 'likely',
      files: [...partial.keys()],
      partial,
      fix: FIX_ARCHS.replace('{list}', list).replace('{cmake}', target.archs.join(';')),
      note: `In: ${topPkgs}.${forward > 0 ? ` ${fmtBytes(forward)} of PTX for each library's newest architecture is kept as forward compatibility (GPUs newer than the target JIT-compile it), not counted.` : ''}`,
    };
    return [c];
  };
}

/** The finding for `--gpu none`: the CUDA stack of a CPU-only deployment. */
function cpuOnlyRule(): FindingRule {
  return (img) => {
    const gpu = new Set(gpuFilesOf(img).filter((g) => g.file.visible).map((g) => g.file));
    const torch = detectTorch(img);
    const files = img.files.filter(
      (f) =>
        f.visible &&
        (gpu.has(f) || f.category === 'cuda-libs' || f.category === 'cuda-devel' || (f.owner?.manager === 'pip' && isGpuWheel(f.owner.name.toLowerCase()))),
    );
    if (files.length === 0) return [];
    const total = files.reduce((n, f) => n + f.size, 0);
    const cudaTorch = torch?.variant === 'cuda';
    return [
      {
        id: 'gpu-none-cuda-stack',
        title: cudaTorch
          ? `CUDA build of torch${torch.cudaVersion ? ` (CUDA ${torch.cudaVersion})` : ''} on a CPU-only deployment: ${fmtBytes(total)} of CUDA libraries and kernels`
          : `${fmtBytes(total)} of CUDA libraries and GPU kernels on a CPU-only deployment`,
        confidence: 'likely',
        files,
        fix: cudaTorch
          ? 'Install the CPU build of torch: pip install torch --index-url https://download.pytorch.org/whl/cpu (no nvidia-* wheels, no triton); use a non-CUDA base image.'
          : 'Use a base image and wheels without CUDA (e.g. a plain OS or python image, CPU builds of the ML libraries).',
        note: 'Counts the CUDA libraries, the nvidia-* and triton wheels and every library with GPU kernels; the CPU builds that replace them are smaller but not empty.',
      },
    ];
  };
}

/** Kernel modules, DKMS trees and kernel headers: the host provides the driver. */
export const hostDriverRule: FindingRule = (img) => {
  const files = (img.byCategory.get(HOST_DRIVER_CATEGORY) ?? []).filter((f) => f.visible);
  if (files.length === 0) return [];
  const nvidia = files.some((f) => NVIDIA_DRIVER_PATH.test(f.path));
  return [
    {
      id: 'host-driver',
      title: nvidia ? 'NVIDIA driver pieces (kernel modules, DKMS, sources) and kernel headers the host provides' : 'Kernel modules, DKMS trees or kernel headers the host provides',
      confidence: 'likely',
      files,
      fix: 'Do not install the driver or kernel headers in the image: the host runs the kernel driver and the NVIDIA container toolkit mounts its user-space libraries into the container (install nvidia-container-toolkit on the host; run with --gpus).',
    },
  ];
};

/** The GPU findings rules to run after the default ones, for a target (or none given). */
export function gpuFindingRules(target?: GpuTarget): FindingRule[] {
  const rules: FindingRule[] = [hostDriverRule];
  if (target?.none) rules.push(cpuOnlyRule());
  else if (target) rules.push(otherArchsRule(target));
  return rules;
}
