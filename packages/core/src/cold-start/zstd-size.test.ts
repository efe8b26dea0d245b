import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateBytes } from '../../../../fixtures/images/index.js';
import { makeTar } from '../../../../test/helpers/tar.js';
import { scanLayerStream } from '../layer-scan.js';
import { createCompressionSampler } from '../attribution/compressed-size.js';
import { createZstdRatioSampler, zstdCompressedLength, zstdCompressedLengthAsync } from './zstd-size.js';

const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;
const gen = (seed: string, size: number, kind: 'text' | 'binary' | 'random'): Buffer => Buffer.concat([...generateBytes(seed, size, kind)]);

describe.skipIf(!hasZstdCli && process.env.CI !== 'true')('zstd what-if size (oracle: the zstd command)', () => {
  it('zstdCompressedLength is the length of `zstd -3` output', () => {
    const b = gen('zl', 300_000, 'text');
    const cli = spawnSync('zstd', ['-3', '-q', '-c'], { input: b }).stdout.length;
    expect(zstdCompressedLength(b, 3)).toBe(cli);
  });

  it('zstdCompressedLengthAsync gives the same length off the event loop', async () => {
    const b = gen('zla', 300_000, 'binary');
    const cli = spawnSync('zstd', ['-3', '-q', '-c'], { input: b }).stdout.length;
    expect(await zstdCompressedLengthAsync(b, 3)).toBe(cli);
  });

  it('concurrent requests to the one zstd helper come back framed and in order, at each level', async () => {
    // Sizes that straddle pipe buffers (64 KiB) and a 1-byte request; levels differ per request.
    const bufs = [1, 65_535, 65_536, 700_001, 3, 250_000].map((n, i) => gen(`c${i}`, n, i % 2 ? 'text' : 'binary'));
    const levels = [3, 1, 19, 3, 5, 9];
    const cli = bufs.map((b, i) => spawnSync('zstd', [`-${levels[i]}`, '-q', '-c'], { input: b }).stdout.length);
    const got = await Promise.all(bufs.map((b, i) => zstdCompressedLengthAsync(b, levels[i])));
    expect(got).toEqual(cli);
    const empty = spawnSync('zstd', ['-3', '-q', '-c'], { input: Buffer.alloc(0) }).stdout.length;
    expect(await zstdCompressedLengthAsync(Buffer.alloc(0), 3)).toBe(empty);
  });

  it('the ratio sampler keeps a bounded systematic subsample, and its ratio is `zstd -3` ÷ deflate of it', async () => {
    const s = createZstdRatioSampler(64 * 1024);
    expect(s.sample()).toBeUndefined();
    expect(await s.ratioAsync(6)).toBeUndefined();
    const pieces = Array.from({ length: 100 }, (_, i) => gen(`p${i}`, 8 * 1024, i % 2 ? 'text' : 'binary'));
    for (const p of pieces) s.add(p);
    const kept = s.sample()!;
    expect(kept.length).toBeLessThanOrEqual(64 * 1024);
    // every 16th piece (the stride doubled four times): a systematic subsample, not the first bytes
    expect(kept).toEqual(Buffer.concat(pieces.filter((_, i) => i % 16 === 0)));
    const oracle = spawnSync('zstd', ['-3', '-q', '-c'], { input: kept }).stdout.length / deflateRawSync(kept, { level: 6 }).length;
    const r = (await s.ratioAsync(6))!;
    expect(r).toBe(oracle);
    expect(r).toBeGreaterThan(0.5);
    expect(r).toBeLessThan(1.5);
  });

  it('a zstd helper killed in the middle of a request is replaced, and the request answered', async () => {
    const warm = gen('restart', 100_000, 'text');
    expect(await zstdCompressedLengthAsync(warm, 3)).toBe(spawnSync('zstd', ['-3', '-q', '-c'], { input: warm }).stdout.length);
    const helperPid = (): number | undefined => {
      const ps = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).stdout;
      const line = ps.split('\n').find((l) => l.includes('while read -r n l'));
      return line === undefined ? undefined : Number(line.trim().split(/\s+/)[0]);
    };
    const pid = helperPid();
    if (pid === undefined) return; // this Node compresses zstd in-process: no helper to kill
    // a request that takes a while (zstd -19 of 2 MB), and the helper killed while it runs
    const big = gen('restart-big', 2_000_000, 'binary');
    const pending = zstdCompressedLengthAsync(big, 19);
    await new Promise((r) => setTimeout(r, 50));
    process.kill(pid, 'SIGKILL');
    expect(await pending).toBe(spawnSync('zstd', ['-19', '-q', '-c'], { input: big, maxBuffer: 8 << 20 }).stdout.length);
    expect(helperPid()).not.toBe(pid);
    // and zstd is still available afterwards
    expect(await zstdCompressedLengthAsync(warm, 3)).toBeGreaterThan(0);
  });

  it('a layer’s estimated zstd size is within 6% of `zstd -3` of the layer tar', async () => {
    const files = [
      ...Array.from({ length: 60 }, (_, i) => ({ path: `usr/lib/python3/m${i}.py`, content: gen(`t${i}`, 20_000 + i * 300, 'text') })),
      ...Array.from({ length: 6 }, (_, i) => ({ path: `usr/lib/libx${i}.so.1`, content: gen(`b${i}`, 1_500_000, 'binary') })),
      { path: 'opt/model.safetensors', content: gen('w', 3_000_000, 'random') },
    ];
    const tar = await makeTar(files.map((f) => ({ name: f.path, content: f.content })));
    const scan = await scanLayerStream(Readable.from([tar]), 'none', { plugins: [() => createCompressionSampler()] });
    const actual = spawnSync('zstd', ['-3', '-q', '-c'], { input: tar, maxBuffer: 64 << 20 }).stdout.length;
    expect(scan.estimatedZstdBytes).toBeDefined();
    expect(Math.abs(scan.estimatedZstdBytes! / actual - 1)).toBeLessThan(0.06);
    // And it is not just the gzip size relabelled: on this content zstd -3 and gzip -6 differ.
    const gz = gzipSync(tar, { level: 6 }).length;
    expect(Math.abs(scan.estimatedZstdBytes! / gz - actual / gz)).toBeLessThan(0.06);
  });
});
