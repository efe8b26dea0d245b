/**
 * What the GPU fatbin inventory costs on the fast path (issue 14: at most +10% of the analysis).
 * Builds (once, cached in $IMGSIZE_REAL_IMAGE_CACHE, default /var/tmp/imgsize-test) a CUDA-like
 * docker-save archive from the real Debian CUDA libraries that test/gpu/fetch-cuda-debs.sh
 * fetches (libcublas, libcufft, libcurand, libcusparse: each copied as apt, pip-wheel and
 * torch/lib copies) plus filler (small text files, large non-ELF blobs, Python files), then times
 * analyzeImage on the file with the default plugins (sampler + GPU inventory) and with the
 * sampler alone, alternating, and prints medians.
 *   npx tsx bench/gpu-inventory.ts [runs=5]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeImage, openDockerArchive, createCompressionSampler, createGpuInventoryPlugin } from '../packages/core/src/index.js';
import type { LayerScanPlugin } from '../packages/core/src/layer-scan.js';

const CACHE = process.env.IMGSIZE_REAL_IMAGE_CACHE ?? '/var/tmp/imgsize-test';
const OUT = join(CACHE, 'gpu-bench-v1.tar');
const RUNS = Number(process.argv[2] ?? 5);

function build(): void {
  const debs = execFileSync('bash', [join(import.meta.dirname, '../test/gpu/fetch-cuda-debs.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;
  const lib = join(debs, 'root/usr/lib/x86_64-linux-gnu');
  const libs = ['libcublas.so.11.11.3.6', 'libcufft.so.10.9.0.58', 'libcurand.so.10.3.0.86', 'libcusparse.so.11.7.5.86', 'libnvrtc.so.11.8.89'];
  const stage = join(CACHE, 'gpu-bench-stage');
  rmSync(stage, { recursive: true, force: true });
  const put = (layer: string, path: string, from: string): void => {
    const to = join(stage, layer, path);
    mkdirSync(join(to, '..'), { recursive: true });
    linkSync(from, to);
  };
  const write = (layer: string, path: string, data: Buffer | string): void => {
    const to = join(stage, layer, path);
    mkdirSync(join(to, '..'), { recursive: true });
    writeFileSync(to, data);
  };
  // Layer 0: an OS-like base: 30,000 small text files and 12 large non-ELF blobs (~0.6 GB).
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 30_000; i++) write('l0', `usr/share/base/d${i % 100}/f${i}.txt`, 'lorem ipsum dolor sit amet '.repeat(1 + Math.floor(rnd() * 600)));
  const blob = Buffer.alloc(25_000_000);
  for (let i = 0; i < blob.length; i += 4) blob.writeUInt32LE((rnd() * 2 ** 32) >>> 0, i);
  for (let i = 0; i < 12; i++) write('l0', `opt/data/blob${i}.bin`, blob);
  // Layer 1: CUDA from apt and from pip wheels (two copies of every library, ~1.4 GB).
  for (const l of libs) {
    put('l1', `usr/local/cuda-11.8/targets/x86_64-linux/lib/${l}`, join(lib, l));
    put('l1', `usr/local/lib/python3.11/site-packages/nvidia/${l.split('.')[0]!.slice(3)}/lib/${l}`, join(lib, l));
  }
  // Layer 2: torch with its bundled copies (two more copies, ~1.4 GB) and 20,000 Python files.
  for (const l of libs) {
    put('l2', `usr/local/lib/python3.11/site-packages/torch/lib/${l.replace('.so', '-0a1b2c3d.so')}`, join(lib, l));
    put('l2', `opt/libtorch/lib/${l}`, join(lib, l));
  }
  for (let i = 0; i < 20_000; i++) write('l2', `usr/local/lib/python3.11/site-packages/torch/m${i % 200}/f${i}.py`, `def f${i}(x):\n    return x + ${i}\n`.repeat(1 + Math.floor(rnd() * 40)));
  const layers = ['l0', 'l1', 'l2'];
  const outer = join(stage, 'outer');
  mkdirSync(outer, { recursive: true });
  for (const l of layers) execFileSync('tar', ['--hard-dereference', '--numeric-owner', '-C', join(stage, l), '-cf', join(outer, `${l}.tar`), '.']);
  const sha = (f: string): string => execFileSync('sha256sum', [f], { encoding: 'utf8' }).split(' ')[0]!;
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${sha(join(outer, `${l}.tar`))}`) },
    history: layers.map((l) => ({ created_by: `RUN build ${l}` })),
  });
  writeFileSync(join(outer, 'config.json'), config);
  writeFileSync(join(outer, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['gpu-bench:v1'], Layers: layers.map((l) => `${l}.tar`) }]));
  execFileSync('tar', ['-C', outer, '-cf', `${OUT}.tmp`, 'manifest.json', 'config.json', ...layers.map((l) => `${l}.tar`)]);
  execFileSync('mv', [`${OUT}.tmp`, OUT]);
  rmSync(stage, { recursive: true, force: true });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The GPU plugin with its own calls timed (the inventory's whole cost, reads included). */
function timedGpuPlugin(clock: { ms: number }): LayerScanPlugin {
  const p = createGpuInventoryPlugin();
  const time = <T>(f: () => T): T => {
    const t = performance.now();
    try {
      return f();
    } finally {
      clock.ms += performance.now() - t;
    }
  };
  return {
    id: p.id,
    version: p.version,
    want: (e, i, a) => time(() => p.want(e, i, a)),
    data: (i, o, c) => time(() => p.data(i, o, c)),
    entryEnd: (i) => time(() => p.entryEnd(i)),
    finish: (s) => time(() => p.finish(s)),
  };
}

async function main(): Promise<void> {
  if (!existsSync(OUT)) build();
  const size = statSync(OUT).size;
  const rows: Array<{ gpu: boolean; wall: number; cpu: number; plugin: number }> = [];
  let report;
  for (let i = 0; i < RUNS + 1; i++) {
    for (const gpu of [true, false]) {
      const clock = { ms: 0 };
      const sampler = function compressionSampler() { return createCompressionSampler(); };
      const plugins = gpu ? [sampler, function gpuInventory() { return timedGpuPlugin(clock); }] : [sampler];
      const c0 = process.cpuUsage();
      const t = performance.now();
      const r = await analyzeImage(openDockerArchive(OUT), { scan: { plugins } });
      const wall = (performance.now() - t) / 1000;
      const c = process.cpuUsage(c0);
      if (i === 0) continue; // warm-up (page cache, JIT)
      rows.push({ gpu, wall, cpu: (c.user + c.system) / 1e6, plugin: clock.ms / 1000 });
      if (gpu) report = r;
    }
  }
  const g = report!.gpu!;
  const on = rows.filter((r) => r.gpu);
  const off = rows.filter((r) => !r.gpu);
  const fmt = (xs: number[]): string => `${median(xs).toFixed(2)} s (${xs.map((x) => x.toFixed(2)).join(', ')})`;
  console.log(`archive ${(size / 1e9).toFixed(2)} GB, ${report!.summary.files} files; GPU: ${g.files} files, ${(g.fatbinBytes / 1e9).toFixed(2)} GB of fatbins, ${g.archs.length} arch/kind rows`);
  console.log(`with GPU inventory: wall ${fmt(on.map((r) => r.wall))}; CPU ${fmt(on.map((r) => r.cpu))}`);
  console.log(`sampler only:       wall ${fmt(off.map((r) => r.wall))}; CPU ${fmt(off.map((r) => r.cpu))}`);
  console.log(`inside the GPU plugin (its reads included): ${fmt(on.map((r) => r.plugin))} = ${((100 * median(on.map((r) => r.plugin))) / median(on.map((r) => r.wall))).toFixed(2)}% of the analysis wall time`);
  console.log(`CPU overhead (medians): ${(((median(on.map((r) => r.cpu)) - median(off.map((r) => r.cpu))) / median(off.map((r) => r.cpu))) * 100).toFixed(1)}%`);
}

await main();
