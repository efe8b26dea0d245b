/**
 * The GPU kernels section end to end, on a hand-built CUDA/torch image: the same numbers on the
 * fast path (positional reads) and the stream path (gzip'd archive), roll-ups by architecture,
 * package, category and layer, the torch build variant, the `--gpu` findings (target archs and
 * none), the host-driver finding, a malformed fatbin as a coded warning, and every renderer.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage, openDockerArchive, ReportSchema, type Report } from '../../packages/core/src/index.js';
import { buildElf, buildFatbinContainer, type FatbinEntrySpec } from '../../packages/core/src/gpu/testing.js';
import { makeDockerSave, makeTar } from '../helpers/tar.js';
import { runCliInProcess } from '../helpers/cli.js';

const SP = 'usr/local/lib/python3.11/site-packages';
const fill = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff));
const sass = (sm: number, n: number): FatbinEntrySpec => ({ kind: 'sass', sm, payload: fill(n, sm) });

// libtorch_cuda: SASS for sm_50…sm_90 and PTX for sm_90, in two containers.
const TORCH_ENTRIES: FatbinEntrySpec[][] = [
  [sass(50, 40_000), sass(60, 40_000), sass(70, 48_000), sass(75, 48_000), sass(80, 56_000), sass(86, 56_000), sass(90, 64_000), { kind: 'ptx', sm: 90, payload: fill(30_000, 1), compression: 'lz4', uncompressedBytes: 120_000, headerBytes: 72 }],
  [sass(80, 8_000), sass(90, 8_000)],
];
const CUBLAS_ENTRIES: FatbinEntrySpec[][] = [[sass(70, 20_000), sass(80, 24_000), sass(90, 24_000), sass(100, 24_000), { kind: 'ptx', sm: 70, payload: fill(9_000, 2) }, { kind: 'ptx', sm: 90, payload: fill(9_000, 3) }]];
const elfWith = (containers: FatbinEntrySpec[][]): Buffer =>
  buildElf([
    { name: '.text', data: fill(20_000, 9) },
    { name: '.nv_fatbin', data: Buffer.concat(containers.map(buildFatbinContainer)) },
  ]);
/** Entry bytes (header + padded payload) of the planted entries matching `pick`. */
const planted = (containers: FatbinEntrySpec[][], pick: (e: FatbinEntrySpec) => boolean): number =>
  containers.flat().filter(pick).reduce((n, e) => n + (e.headerBytes ?? 64) + Math.ceil(e.payload.length / 8) * 8, 0);

const record = (files: string[]): string => files.map((f) => `${f.slice(SP.length + 1)},,\n`).join('');

async function buildImage(): Promise<Buffer> {
  const torchFiles = [`${SP}/torch/lib/libtorch_cuda.so`, `${SP}/torch/version.py`, `${SP}/torch-2.1.0+cu121.dist-info/METADATA`];
  const cublasFiles = [`${SP}/nvidia/cublas/lib/libcublas.so.12`, `${SP}/nvidia_cublas_cu12-12.1.3.1.dist-info/METADATA`];
  const bad = elfWith(TORCH_ENTRIES);
  // Corrupt the second entry's version in the first container of the copy.
  const at = bad.indexOf(Buffer.from([0x50, 0xed, 0x55, 0xba])) + 16 + 64 + 40_000 + 2;
  bad.writeUInt16LE(0x0909, at);
  const layer0 = await makeTar([
    { name: `${SP}/torch/lib/libtorch_cuda.so`, content: elfWith(TORCH_ENTRIES) },
    { name: `${SP}/torch/version.py`, content: "__version__ = '2.1.0+cu121'\ndebug = False\ncuda: Optional[str] = '12.1'\ngit_version = 'abc'\nhip: Optional[str] = None\n" },
    { name: `${SP}/torch-2.1.0+cu121.dist-info/METADATA`, content: 'Metadata-Version: 2.1\nName: torch\nVersion: 2.1.0+cu121\n' },
    { name: `${SP}/torch-2.1.0+cu121.dist-info/RECORD`, content: record([...torchFiles, `${SP}/torch-2.1.0+cu121.dist-info/RECORD`]) },
    { name: `${SP}/nvidia/cublas/lib/libcublas.so.12`, content: elfWith(CUBLAS_ENTRIES) },
    { name: `${SP}/nvidia_cublas_cu12-12.1.3.1.dist-info/METADATA`, content: 'Metadata-Version: 2.1\nName: nvidia-cublas-cu12\nVersion: 12.1.3.1\n' },
    { name: `${SP}/nvidia_cublas_cu12-12.1.3.1.dist-info/RECORD`, content: record([...cublasFiles, `${SP}/nvidia_cublas_cu12-12.1.3.1.dist-info/RECORD`]) },
    { name: 'usr/bin/not-elf', content: fill(10_000, 5) },
  ]);
  const layer1 = await makeTar([
    { name: 'lib/modules/6.1.0-18-amd64/updates/dkms/nvidia.ko', content: fill(900_000, 6) },
    { name: 'usr/src/nvidia-535.104.05/nvidia/nv.c', content: fill(300_000, 7) },
    { name: 'usr/src/linux-headers-6.1.0-18-amd64/Makefile', content: fill(200_000, 8) },
    { name: 'opt/app/libbroken.so', content: bad },
  ]);
  return makeDockerSave([{ tag: 'gpu:test', layers: [layer0, layer1] }]);
}

let dir = '';
let plain = '';
let gz = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgsize-gpu-image-'));
  const archive = await buildImage();
  plain = join(dir, 'gpu.tar');
  gz = join(dir, 'gpu.tar.gz');
  await writeFile(plain, archive);
  await writeFile(gz, gzipSync(archive));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('GPU kernels section', () => {
  let fast: Report;
  let stream: Report;
  beforeAll(async () => {
    fast = await analyzeImage(openDockerArchive(plain));
    stream = await analyzeImage(openDockerArchive(gz));
  });

  it('is the same on the fast path and the stream path, and the report validates', async () => {
    // The report does not say which path ran: ask the source.
    expect((await openDockerArchive(plain).load()).source.fastPath).toBe(true);
    expect((await openDockerArchive(gz).load()).source.fastPath).toBe(false);
    expect(stream.gpu).toEqual(fast.gpu);
    ReportSchema.parse(fast);
  });

  it('rolls kernel bytes up by architecture, kind, file, package, category and layer', () => {
    const g = fast.gpu!;
    expect(g.files).toBe(3);
    const sassOf = (sm: number): number =>
      planted(TORCH_ENTRIES, (e) => e.kind === 'sass' && e.sm === sm) + planted(CUBLAS_ENTRIES, (e) => e.kind === 'sass' && e.sm === sm);
    const sm80 = g.archs.find((a) => a.arch === 'sm_80' && a.kind === 'sass')!;
    // The broken copy keeps the entries before its bad one (sm_50) and its second container.
    expect(sm80.bytes).toBe(sassOf(80) + planted([TORCH_ENTRIES[1]!], (e) => e.sm === 80));
    expect(sm80.gpus).toContain('A100');
    expect(g.archs.find((a) => a.arch === 'sm_100')!.gpus).toContain('B200');
    expect(g.archs.filter((a) => a.kind === 'ptx').map((a) => a.arch)).toEqual(['sm_70', 'sm_90']);
    // The broken copy has the same fatbin section size: ties are ordered by path.
    expect(g.topFiles.map((f) => f.path)).toEqual(['/opt/app/libbroken.so', `/${SP}/torch/lib/libtorch_cuda.so`, `/${SP}/nvidia/cublas/lib/libcublas.so.12`]);
    expect(g.topFiles[1]!.package).toBe('pip:torch');
    expect(g.topFiles[1]!.sass).toEqual(['sm_50', 'sm_60', 'sm_70', 'sm_75', 'sm_80', 'sm_86', 'sm_90']);
    expect(g.packages.map((p) => p.package)).toEqual(['(no package)', 'pip:torch', 'pip:nvidia-cublas-cu12']);
    expect(g.categories.map((c) => c.category).sort()).toEqual(['app', 'cuda-libs', 'torch']);
    expect(g.layers.map((l) => l.layer)).toEqual([0, 1]);
    expect(g.fatbinBytes).toBe(g.packages.reduce((n, p) => n + p.bytes, 0));
    expect(g.sassBytes + g.ptxBytes).toBe(g.archs.reduce((n, a) => n + a.bytes, 0));
  });

  it('reads the torch build variant from torch/version.py and lists the nvidia wheels', () => {
    expect(fast.gpu!.torch).toMatchObject({ variant: 'cuda', cudaVersion: '12.1', version: '2.1.0+cu121', evidence: 'version.py' });
    expect(fast.gpu!.wheels.map((w) => w.name)).toEqual(['nvidia-cublas-cu12']);
  });

  it('a malformed fatbin is a coded warning, not a failure', () => {
    const w = fast.gpu!.warnings;
    expect(w.map((x) => [x.code, x.path])).toEqual([['W_FATBIN_MALFORMED', '/opt/app/libbroken.so']]);
    expect(fast.warnings.some((x) => x.code === 'W_FATBIN_MALFORMED' && x.layer === 1 && x.message.includes('libbroken.so'))).toBe(true);
  });

  it('flags the driver pieces the host provides, with the kernel headers, as their own finding', () => {
    const f = fast.findings!.find((x) => x.id === 'host-driver')!;
    expect(f.bytes).toBe(900_000 + 300_000 + 200_000);
    expect(f.title).toMatch(/NVIDIA driver/);
    expect(fast.findings!.some((x) => x.id === 'build-tools' && x.evidence.some((e) => e.path.startsWith('/usr/src/')))).toBe(false);
    expect(fast.gpu!.hostDriver).toMatchObject({ bytes: 1_400_000, nvidia: true });
  });

  it('without --gpu says what the image targets and adds no GPU target finding', () => {
    expect(fast.gpu!.target).toBeUndefined();
    expect(fast.findings!.some((x) => x.id.startsWith('gpu-'))).toBe(false);
  });
});

describe('--gpu target', () => {
  it('sm_80,sm_90: kernels only other GPUs use are a counted finding; the newest PTX is forward compatibility', async () => {
    const base = await analyzeImage(openDockerArchive(plain));
    const r = await analyzeImage(openDockerArchive(plain), { gpu: 'a100,sm_90' });
    const f = r.findings!.find((x) => x.id === 'gpu-other-archs')!;
    // libtorch_cuda: sm_50/60/70/75/86 SASS; libcublas: sm_70, sm_100 SASS and sm_70 PTX (sm_80/90 SASS cover both targets).
    const torchOther = planted(TORCH_ENTRIES, (e) => e.kind === 'sass' && [50, 60, 70, 75, 86].includes(e.sm));
    const cublasOther = planted(CUBLAS_ENTRIES, (e) => (e.kind === 'sass' && [70, 100].includes(e.sm)) || (e.kind === 'ptx' && e.sm === 70));
    const brokenOther = planted([TORCH_ENTRIES[0]!.slice(0, 1)], () => true); // its sm_50 entry
    expect(f.bytes).toBe(torchOther + cublasOther + brokenOther);
    expect(r.gpu!.target).toMatchObject({ archs: ['sm_80', 'sm_90'], otherGpuBytes: f.bytes });
    expect(r.gpu!.target!.forwardCompatPtxBytes).toBe(planted(TORCH_ENTRIES, (e) => e.kind === 'ptx') * 1 + planted(CUBLAS_ENTRIES, (e) => e.kind === 'ptx' && e.sm === 90));
    expect(f.countedInSavings).toBe(true);
    expect(f.fix).toMatch(/TORCH_CUDA_ARCH_LIST="8\.0;9\.0"/);
    expect(f.fix).toMatch(/CMAKE_CUDA_ARCHITECTURES="80;90"/);
    expect(f.note).toMatch(/pip:torch/);
    expect(r.summary.potentialSavingsBytes).toBe(base.summary.potentialSavingsBytes! + f.bytes);
  });

  it('none: the CUDA stack of a CPU-only deployment, with the CPU wheel index as the fix', async () => {
    const r = await analyzeImage(openDockerArchive(plain), { gpu: 'none' });
    const f = r.findings!.find((x) => x.id === 'gpu-none-cuda-stack')!;
    expect(f.title).toMatch(/CUDA build of torch \(CUDA 12\.1\)/);
    expect(f.fix).toMatch(/download\.pytorch\.org\/whl\/cpu/);
    expect(f.evidence.map((e) => e.path)).toContain(`/${SP}/torch/lib/libtorch_cuda.so`);
    expect(r.gpu!.target).toMatchObject({ none: true, otherGpuBytes: r.gpu!.sassBytes + r.gpu!.ptxBytes });
  });

  it('rejects an unknown GPU with E_USAGE', async () => {
    await expect(analyzeImage(openDockerArchive(plain), { gpu: 'sm_80,quantum9000' })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});

describe('renderers', () => {
  it('terminal, markdown, JSON and HTML all carry the GPU kernels section', async () => {
    const term = await runCliInProcess(['analyze', plain, '--gpu', 'h100']);
    expect(term.code).toBe(0);
    expect(term.stdout).toMatch(/GPU kernels/);
    expect(term.stdout).toMatch(/sm_80 +SASS/);
    expect(term.stdout).toMatch(/A100, A30/);
    expect(term.stdout).toMatch(/CUDA 12\.1 build of torch 2\.1\.0\+cu121/);
    expect(term.stdout).toMatch(/target: sm_90: .* only other GPUs use/);
    const md = await runCliInProcess(['analyze', plain, '--format', 'markdown']);
    expect(md.stdout).toMatch(/GPU kernels: .* for sm_50…sm_100 \+ PTX in 3 files/);
    expect(md.stdout).toMatch(/\| sm_90 \| SASS \|/);
    const json = await runCliInProcess(['analyze', plain, '--json', '--gpu', 'none']);
    const parsed = ReportSchema.parse(JSON.parse(json.stdout));
    expect(parsed.gpu!.target!.none).toBe(true);
    const html = join(dir, 'r.html');
    const h = await runCliInProcess(['analyze', plain, '--html', html, '--quiet']);
    expect(h.code).toBe(0);
    const page = await (await import('node:fs/promises')).readFile(html, 'utf8');
    expect(page).toMatch(/"gpu":\{"files":3/);
    expect(page).toContain('GPU kernel bytes per architecture');
    const bad = await runCliInProcess(['analyze', plain, '--gpu', 'sm_80,none']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/E_USAGE/);
  });
});
