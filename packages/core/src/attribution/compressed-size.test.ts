import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBytes } from '../../../../fixtures/images/index.js';
import { makeTar, type TarSpec } from '../../../../test/helpers/tar.js';
import { scanLayerRegion, scanLayerStream } from '../layer-scan.js';
import type { LayerScan, ScannedEntry } from '../model.js';
import { EntryTable } from '../entry-table.js';
import { applyOverlay } from '../overlay.js';
import { contentClassOf, createCompressionSampler, sampleRanges, SAMPLING_SCHEDULE } from './compressed-size.js';
import { attribute } from './index.js';

const MiB = 1024 * 1024;
const gen = (seed: string, size: number, kind: 'text' | 'binary' | 'random'): Buffer => Buffer.concat([...generateBytes(seed, size, kind)]);

/** Calls `want` for a sequence of (path, size) the way a layer scan does; returns the bytes asked for. */
function requested(files: Array<[string, number]>): number {
  const p = createCompressionSampler();
  let n = 0;
  files.forEach(([path, size], i) => {
    for (const [a, b] of p.want({ path, type: 'file', size, mode: 0o644 }, i) ?? []) n += b - a;
  });
  return n;
}

describe('sampleRanges', () => {
  it('is a pure function of path, size and rate, with sorted, disjoint, in-bounds ranges', () => {
    for (const size of [1, 100, 65_536, 65_537, 70_000, 200_000, 5 * MiB, 300 * MiB, 3_000 * MiB]) {
      for (const rate of [1, 1 / 4, 1 / 80]) {
        const r = sampleRanges(`lib/x-${size}.so`, size, rate);
        expect(sampleRanges(`lib/x-${size}.so`, size, rate)).toEqual(r);
        let prev = 0;
        for (const [a, b] of r) {
          expect(a).toBeGreaterThanOrEqual(prev);
          expect(b).toBeGreaterThan(a);
          expect(b).toBeLessThanOrEqual(size);
          prev = b;
        }
      }
    }
  });

  it('reads small files whole or not at all, grouped by directory and name stem', () => {
    const a = sampleRanges('lib/python3.11/__pycache__/typing.cpython-311.pyc', 4000, 0.5);
    const b = sampleRanges('lib/python3.11/__pycache__/typing.cpython-311.opt-1.pyc', 4100, 0.5);
    expect(a.length).toBe(b.length);
    if (a.length > 0) expect(a).toEqual([[0, 4000]]);
  });

  it('spreads the units of a big file over all of it, head and tail included', () => {
    const size = 40 * MiB;
    const r = sampleRanges('usr/lib/libbig.so', size, 1 / 4);
    expect(r.length).toBeGreaterThan(100);
    expect(r[0]![0]).toBeLessThan(size / r.length);
    expect(r[r.length - 1]![1]).toBeGreaterThan(size - size / r.length);
  });
});

describe('sampling budget', () => {
  it('reads a small share of a big layer (≤ 3% above 1 GB) and much more of a small one', () => {
    const big: Array<[string, number]> = [];
    for (let i = 0; i < 600; i++) big.push([`usr/lib/x86_64-linux-gnu/lib${i}.so`, 1_500_000]);
    for (let i = 0; i < 100_000; i++) big.push([`opt/venv/lib/python3.11/site-packages/p${i % 900}/m${i}.py`, 3_000]);
    for (let i = 0; i < 3; i++) big.push([`opt/venv/lib/python3.11/site-packages/torch/lib/libtorch${i}.so`, 400 * MiB]);
    const total = big.reduce((s, [, n]) => s + n, 0);
    expect(total).toBeGreaterThan(2e9);
    expect(requested(big) / total).toBeLessThan(0.03);

    const small: Array<[string, number]> = [];
    for (let i = 0; i < 20; i++) small.push([`usr/bin/tool${i}`, 600_000]);
    const st = small.reduce((s, [, n]) => s + n, 0);
    expect(requested(small) / st).toBeGreaterThan(0.15);
  });

  it('stops at the hard per-layer cap', () => {
    const huge: Array<[string, number]> = [];
    for (let i = 0; i < 20_000; i++) huge.push([`data/f${i}.bin`, 1 * MiB]);
    const p = createCompressionSampler({ maxSampleBytesPerLayer: 8 * MiB });
    let n = 0;
    huge.forEach(([path, size], i) => {
      for (const [a, b] of p.want({ path, type: 'file', size, mode: 0o644 }, i) ?? []) n += b - a;
    });
    expect(n).toBeLessThanOrEqual(8 * MiB + 64 * 1024);
    expect(SAMPLING_SCHEDULE.at(-1)![1]).toBeLessThanOrEqual(1 / 40);
  });
});

describe('estimates on generated layers', () => {
  let dir: string;
  const layers: Array<{ name: string; tar: Buffer; real: number }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgsize-cs-'));
    const specs: Record<string, TarSpec[]> = {
      binaries: [
        ...[0, 1, 2, 3].map((i): TarSpec => ({ name: `usr/lib/x86_64-linux-gnu/libbig${i}.so.1`, content: gen(`b${i}`, 5 * MiB + i * 333_333, 'binary') })),
        ...Array.from({ length: 40 }, (_, i): TarSpec => ({ name: `usr/lib/x86_64-linux-gnu/libmid${i}.so`, content: gen(`m${i}`, 90_000 + i * 7_001, 'binary') })),
      ],
      'python-text': [
        ...Array.from({ length: 1500 }, (_, i): TarSpec => ({ name: `site-packages/pkg${i % 40}/mod${i}.py`, content: gen(`t${i}`, 1_000 + ((i * 7_919) % 14_000), 'text') })),
        ...Array.from({ length: 30 }, (_, i): TarSpec => ({ name: `site-packages/pkg${i}/big${i}.py`, content: gen(`tb${i}`, 150_000 + i * 9_000, 'text') })),
      ],
      weights: [
        { name: 'app/models/model.safetensors', content: gen('w', 12 * MiB, 'random') },
        { name: 'app/models/config.json', content: gen('cfg', 3_000, 'text') },
      ],
      mixed: [
        { name: 'opt/app/bin/server', content: gen('srv', 7 * MiB, 'binary') },
        { name: 'opt/app/data.whl', content: gen('whl', 3 * MiB, 'random') },
        ...Array.from({ length: 400 }, (_, i): TarSpec => ({ name: `opt/app/share/doc${i % 9}/f${i}.txt`, content: gen(`d${i}`, 500 + ((i * 3_331) % 9_000), 'text') })),
        ...Array.from({ length: 200 }, (_, i): TarSpec => ({ name: `opt/app/empty${i}`, content: '' })),
      ],
    };
    for (const [name, entries] of Object.entries(specs)) {
      const tar = await makeTar(entries);
      layers.push({ name, tar, real: gzipSync(tar, { level: 6 }).length });
    }
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const streamScan = (tar: Buffer): Promise<LayerScan> => scanLayerStream(Readable.from([tar.subarray(0, 1000), tar.subarray(1000)]), 'none', { plugins: [() => createCompressionSampler()] });

  it('estimates every layer within 5% of gzip -6 (zlib), and the whole image within 3%', async () => {
    let est = 0;
    let real = 0;
    for (const l of layers) {
      const scan = await streamScan(l.tar);
      const e = scan.estimatedCompressedBytes!;
      expect(Math.abs(e / l.real - 1), `${l.name}: estimate ${e} vs ${l.real}`).toBeLessThan(0.05);
      est += e;
      real += l.real;
      for (const x of scan.entries) if (x.type === 'file') expect(x.csize, x.path).toBeGreaterThan(0);
    }
    expect(Math.abs(est / real - 1)).toBeLessThan(0.03);
  });

  it('gives the same estimate from the stream walker and the positional walker', async () => {
    for (const l of layers) {
      const file = join(dir, `${l.name}.tar`);
      await writeFile(file, l.tar);
      const fh = await open(file, 'r');
      try {
        const positional = await scanLayerRegion(fh, 0, l.tar.length, { plugins: [() => createCompressionSampler()] });
        const stream = await streamScan(l.tar);
        expect(positional.estimatedCompressedBytes).toBe(stream.estimatedCompressedBytes);
        expect(positional.entries.toArray().map((e) => e.csize)).toEqual(stream.entries.toArray().map((e) => e.csize));
      } finally {
        await fh.close();
      }
    }
  });

  it('scales per-file estimates so categories add up to an exact blob size', async () => {
    const l = layers.find((x) => x.name === 'mixed')!;
    const scan = await streamScan(l.tar);
    const exact = 1_234_567;
    const image = {
      source: { kind: 'docker-archive' as const, format: 'docker-archive-legacy' as const, ref: 't' },
      repoTags: [],
      config: { os: 'linux', architecture: 'amd64', env: [], entrypoint: null, cmd: null, labels: {}, history: [], diffIds: ['sha256:x'] },
      layers: [{ index: 0, diffId: 'sha256:x', compression: 'gzip' as const, compressedSize: exact, scan }],
      warnings: [],
    };
    const a = attribute(image, applyOverlay([scan.entries]));
    const sum = a.categories.reduce((s, c) => s + (c.compressedBytes ?? 0), 0);
    expect(Math.abs(sum - exact)).toBeLessThanOrEqual(a.categories.length);
    expect(a.pull).toMatchObject({ compressedBytes: exact, compressedBytesExact: true });
  });
});

describe('content classes', () => {
  it.each([
    ['usr/lib/x86_64-linux-gnu/libcublas.so.12.1.3.1', 'elf'],
    ['usr/lib/python3.11/__pycache__/os.cpython-311.pyc', 'pyc'],
    ['app/models/model.safetensors', 'weights'],
    ['root/.cache/pip/wheels/ab/torch-2.2.0-cp311-linux_x86_64.whl', 'compressed'],
    ['usr/share/doc/bash/changelog.Debian.gz', 'compressed'],
    ['usr/include/stdio.h', 'text'],
    ['var/lib/dpkg/status', 'text'],
    ['usr/bin/python3.11', 'elf'],
    ['etc/ld.so.cache', 'other'],
  ])('%s is %s', (path, cls) => {
    expect(contentClassOf(path)).toBe(cls);
  });

  it('fills csize for zero-size and whiteout files too', async () => {
    const p = createCompressionSampler();
    const entries: ScannedEntry[] = [
      { path: 'a', type: 'file', size: 0, mode: 0 },
      { path: '.wh.b', type: 'file', size: 0, mode: 0 },
      { path: 'd', type: 'dir', size: 0, mode: 0 },
    ];
    const scan: LayerScan = { entries: EntryTable.from(entries), tarBytes: 2048, contentBytes: 0, captured: [], warnings: [] };
    await p.finish(scan);
    expect(scan.entries.csize(0)).toBeGreaterThan(0);
    expect(scan.entries.csize(1)).toBeGreaterThan(0);
    expect(scan.entries.csize(2)).toBeUndefined();
    expect(scan.estimatedCompressedBytes).toBeGreaterThan(0);
  });
});
