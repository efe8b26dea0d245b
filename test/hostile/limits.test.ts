/**
 * Resource limits (packages/core/src/limits.ts): one documented `Limits` object with safe
 * defaults; every limit trips with E_LIMIT naming it and saying how to raise it, on both archive
 * readers, and raising it lets the same input through. Decompression bombs (10 GB of zeros as
 * gzip, as a whole gzip'd archive, and as zstd RLE blocks), generated on the fly and never
 * stored, end with E_LIMIT in seconds with bounded memory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage } from '../../packages/core/src/analyze.js';
import { DEFAULT_LIMITS, LIMIT_NAMES, resolveLimits, type Limits } from '../../packages/core/src/limits.js';
import { openDockerArchive } from '../../packages/core/src/sources/docker-archive.js';
import { pairProblems, runBoth } from '../fuzz/harness.js';
import { endMarker, entry, headerBlock, padding, paxEntry, paxRecord, simpleTar } from '../fuzz/raw-tar.js';
import { archiveOf, archiveStreamAround, codeOf, errorOf, gzipZerosLayer, gzipZerosStream, rssSampler, zstdRleBomb } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-limits-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** Both readers: same outcome; returns the fast path's error (or undefined when it resolved). */
async function bothWith(bytes: Buffer, limits: Partial<Limits>): Promise<{ code?: string; message?: string; hint?: string; report?: Record<string, unknown> }> {
  const { file, stream } = await runBoth(bytes, { dir, timeoutMs: 20_000, limits, chunks: [4096] });
  expect(pairProblems(file, stream)).toEqual([]);
  if (file.kind === 'report') return { report: file.report };
  if (file.kind !== 'error') throw new Error(file.kind);
  return { code: file.code, message: file.message, hint: (file.error as { hint?: string }).hint };
}

/** Asserts E_LIMIT naming `name` (message and hint) with `tight`, and a report with `loose`. */
async function tripsAndPasses(bytes: Buffer, name: keyof Limits, tight: number, loose = DEFAULT_LIMITS[name]): Promise<void> {
  const e = await bothWith(bytes, { [name]: tight });
  expect(e.code, `${name}=${tight}: ${e.message}`).toBe('E_LIMIT');
  expect(e.message).toContain(`limit ${name} = ${tight}`);
  expect(e.hint).toContain(`limits: { ${name}: `);
  const ok = await bothWith(bytes, { [name]: loose });
  expect(ok.report, `${name}=${loose}: ${ok.message}`).toBeDefined();
}

describe('Limits', () => {
  it('has one documented default per limit, and rejects unknown names and bad values', () => {
    expect(LIMIT_NAMES).toEqual([
      'maxDecompressedBytes',
      'maxCompressionRatio',
      'ratioCheckMinBytes',
      'maxEntriesPerLayer',
      'maxEntriesTotal',
      'maxPathLength',
      'maxPathDepth',
      'maxTarMetaRecordBytes',
      'maxMetadataFileBytes',
      'maxPackageDatabaseBytes',
      'maxMetadataBytesTotal',
      'maxLayers',
      'maxManifestBytes',
      'maxRedirects',
    ]);
    // gzip cannot expand more than ~1032:1, so a ratio limit above that would never trip on gzip.
    expect(DEFAULT_LIMITS.maxCompressionRatio).toBeLessThan(1032);
    expect(resolveLimits({ maxLayers: 3 })).toEqual({ ...DEFAULT_LIMITS, maxLayers: 3 });
    expect(resolveLimits({ maxLayers: Infinity }).maxLayers).toBe(Infinity);
    expect(() => resolveLimits({ maxLayerz: 3 } as never)).toThrow(expect.objectContaining({ code: 'E_USAGE', message: 'unknown limit "maxLayerz"' }));
    for (const bad of [-1, 1.5, Number.NaN, '3']) {
      expect(() => resolveLimits({ maxLayers: bad as number })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    }
  });

  it('a bad limit is E_USAGE from analyzeImage', async () => {
    expect(await codeOf(analyzeImage(openDockerArchive(join(dir, 'none.tar')), { limits: { maxLayers: -1 } }))).toBe('E_USAGE');
  });

  it('maxEntriesPerLayer', async () => {
    const layer = simpleTar(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, content: 'x' })));
    await tripsAndPasses(archiveOf([layer]), 'maxEntriesPerLayer', 5);
  });

  it('maxEntriesTotal (all layers of the image together)', async () => {
    const l1 = simpleTar(Array.from({ length: 4 }, (_, i) => ({ name: `a${i}`, content: 'x' })));
    const l2 = simpleTar(Array.from({ length: 4 }, (_, i) => ({ name: `b${i}`, content: 'y' })));
    await tripsAndPasses(archiveOf([l1, l2]), 'maxEntriesTotal', 7);
  });

  it('maxPathLength (names and link targets)', async () => {
    await tripsAndPasses(archiveOf([simpleTar([{ name: `dir/${'n'.repeat(300)}`, content: 'x' }])]), 'maxPathLength', 200);
    await tripsAndPasses(archiveOf([simpleTar([{ name: 'link', type: 'symlink', linkname: `/${'t'.repeat(300)}` }])]), 'maxPathLength', 200);
  });

  it('maxPathDepth', async () => {
    await tripsAndPasses(archiveOf([simpleTar([{ name: `${'d/'.repeat(40)}leaf`, content: 'x' }])]), 'maxPathDepth', 30);
    // The default is generous, and a 3000-deep name is refused before the overlay walks it recursively.
    const deep = await bothWith(archiveOf([simpleTar([{ name: `${'d/'.repeat(3000)}leaf`, content: 'x' }])]), {});
    expect(deep.code).toBe('E_LIMIT');
    expect(deep.message).toContain('limit maxPathDepth = 1024');
  });

  it('deep-path-overflowed-the-stack: a 10,000-deep name (20 KB, under the old 64 KiB name limit) crashed the overlay walk with a RangeError', async () => {
    const deep = await bothWith(archiveOf([simpleTar([{ name: `${'d/'.repeat(10_000)}leaf`, content: 'x' }])]), {});
    expect(deep.code).toBe('E_LIMIT');
  });

  it('maxTarMetaRecordBytes (pax and GNU long-name records)', async () => {
    const layer = Buffer.concat([paxEntry(paxRecord('path', 'p'.repeat(3000))), entry({ name: 'x' }, 'x'), endMarker()]);
    await tripsAndPasses(archiveOf([layer]), 'maxTarMetaRecordBytes', 1000);
  });

  it('maxMetadataFileBytes: JSON documents over it are E_LIMIT; metadata files are kept truncated, with a warning', async () => {
    const status = `Package: big\nStatus: install ok installed\nVersion: 1\nDescription: ${'d'.repeat(5000)}\n\n`;
    const bytes = archiveOf([simpleTar([{ name: 'var/lib/dpkg/status', content: status }])]);
    const r = await bothWith(bytes, { maxMetadataFileBytes: 2000 });
    expect(r.report).toBeDefined();
    expect((r.report as { warnings: unknown[] }).warnings).toContainEqual(
      expect.objectContaining({ code: 'W_CAPTURE_TRUNCATED', message: expect.stringMatching(/metadata file "\/var\/lib\/dpkg\/status" truncated to 2000 of \d+ bytes \(limit maxMetadataFileBytes\)/) }),
    );
    const configBig = archiveOf([simpleTar([{ name: 'a', content: 'a' }])], { config: { config: { Env: ['X='.padEnd(4000, 'x')] } } });
    const e = await bothWith(configBig, { maxMetadataFileBytes: 2000 });
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toMatch(/image config .* bytes, over the limit for JSON documents \(limit maxMetadataFileBytes = 2000\)/);
  });

  it('maxMetadataBytesTotal: metadata files past it are skipped with a warning', async () => {
    const status = (n: string): string => `Package: ${n}\nStatus: install ok installed\nVersion: 1\nDescription: ${'d'.repeat(3000)}\n\n`;
    const bytes = archiveOf([simpleTar([{ name: 'var/lib/dpkg/status', content: status('a') }]), simpleTar([{ name: 'var/lib/dpkg/status', content: status('b') }])]);
    const r = await bothWith(bytes, { maxMetadataBytesTotal: 5000 });
    expect((r.report as { warnings: unknown[] }).warnings).toContainEqual({
      code: 'W_CAPTURE_SKIPPED',
      layer: 1,
      message: expect.stringMatching(/^metadata file "\/var\/lib\/dpkg\/status" not read: .* \(limit maxMetadataBytesTotal\)/),
    });
  });

  it('maxLayers', async () => {
    const layers = [1, 2, 3].map((i) => simpleTar([{ name: `f${i}`, content: String(i) }]));
    await tripsAndPasses(archiveOf(layers), 'maxLayers', 2);
  });

  it('maxDecompressedBytes (a gzip layer, and a gzip archive)', async () => {
    const layer = gzipSync(simpleTar([{ name: 'big', content: Buffer.alloc(300_000, 7) }]));
    await tripsAndPasses(archiveOf([layer]), 'maxDecompressedBytes', 100_000);
    const whole = gzipSync(archiveOf([simpleTar([{ name: 'big', content: Buffer.alloc(300_000, 7) }])]));
    const e = await bothWith(whole, { maxDecompressedBytes: 100_000 });
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toMatch(/gzip stream decompresses to more than 100000 bytes .*limit maxDecompressedBytes = 100000/);
  });

  it('maxCompressionRatio applies from ratioCheckMinBytes on', async () => {
    const layer = gzipSync(simpleTar([{ name: 'zeros', content: Buffer.alloc(4 * MiB) }]));
    expect((await bothWith(archiveOf([layer]), { maxCompressionRatio: 10 })).report).toBeDefined(); // under the 1 GiB floor
    const e = await bothWith(archiveOf([layer]), { maxCompressionRatio: 10, ratioCheckMinBytes: MiB });
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toMatch(/expands more than 10:1 .*limit maxCompressionRatio = 10/);
  });
});

describe('decompression bombs: E_LIMIT quickly, memory bounded, nothing stored', () => {
  const TEN_GB = 150 * 64 * MiB; // 10.07 GB of zeros
  let bomb: ReturnType<typeof gzipZerosLayer>;
  beforeAll(() => {
    bomb = gzipZerosLayer(TEN_GB);
  });

  it('a gzip layer of 10 GB of zeros inside an archive stream (single-pass reader)', async () => {
    expect(bomb.compressedSize).toBeLessThan(12 * MiB);
    const rss = rssSampler();
    const t0 = Date.now();
    const input = archiveStreamAround(() => gzipZerosStream(bomb, rss.sample), bomb.compressedSize);
    const e = await errorOf(analyzeImage(openDockerArchive(input, { name: 'bomb' })));
    const ms = Date.now() - t0;
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toMatch(/gzip stream expands more than 200:1 .*\(limit maxCompressionRatio = 200\)/);
    expect(e.hint).toContain('limits: { maxCompressionRatio:');
    expect(ms).toBeLessThan(20_000);
    expect(rss.peakDelta()).toBeLessThan(300 * MiB);
  });

  it('the same layer on the seekable fast path (the 11 MB compressed blob in a file)', async () => {
    const parts: Buffer[] = [];
    for await (const c of archiveStreamAround(() => gzipZerosStream(bomb), bomb.compressedSize)) parts.push(c);
    const path = join(dir, 'bomb.tar');
    writeFileSync(path, Buffer.concat(parts));
    const t0 = Date.now();
    const e = await errorOf(analyzeImage(openDockerArchive(path)));
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toContain('limit maxCompressionRatio = 200');
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('with the ratio limit off, maxDecompressedBytes stops it', async () => {
    const input = archiveStreamAround(() => gzipZerosStream(bomb), bomb.compressedSize);
    const e = await errorOf(analyzeImage(openDockerArchive(input), { limits: { maxCompressionRatio: Infinity, maxDecompressedBytes: 512 * MiB } }));
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toContain(`limit maxDecompressedBytes = ${512 * MiB}`);
  });

  it('a whole archive that is 10 GB of zeros gzip-compressed (`docker save | gzip` of a bomb)', async () => {
    const rss = rssSampler();
    async function* whole(): AsyncGenerator<Buffer> {
      // an archive whose first entry is a 10 GB file of zeros
      yield gzipSync(Buffer.concat([paxEntry(paxRecord('size', String(TEN_GB))), headerBlock({ name: 'zeros.bin', size: 0 })]));
      for (let i = 0; i < bomb.repeats; i++) {
        rss.sample();
        yield bomb.repeat;
      }
      yield gzipSync(Buffer.concat([padding(TEN_GB), endMarker()]));
    }
    const t0 = Date.now();
    const e = await errorOf(analyzeImage(openDockerArchive(whole())));
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toContain('limit maxCompressionRatio = 200');
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(rss.peakDelta()).toBeLessThan(300 * MiB);
  });

  it('a zstd layer of RLE blocks (32768:1, 10 GB from 320 KB): zstd-rle-bomb-filled-memory', async () => {
    const blocks = TEN_GB / (128 << 10);
    let size = 0;
    for (const c of zstdRleBomb(blocks)) size += c.length;
    expect(size).toBeLessThan(400_000);
    const rss = rssSampler();
    async function* blob(): AsyncGenerator<Buffer> {
      for (const c of zstdRleBomb(blocks)) {
        rss.sample();
        yield c;
      }
    }
    const t0 = Date.now();
    const e = await errorOf(analyzeImage(openDockerArchive(archiveStreamAround(blob, size), { name: 'zbomb' })));
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toMatch(/zstd stream expands more than 200:1 .*limit maxCompressionRatio = 200/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    // fzstd decompressed each 64 KiB slice in one synchronous call: 2 GiB of blocks, 1.1 GB RSS.
    expect(rss.peakDelta()).toBeLessThan(300 * MiB);
  });

  it('ratioCheckMinBytes keeps small, very compressible layers legal (1 GiB floor)', () => {
    expect(DEFAULT_LIMITS.ratioCheckMinBytes).toBe(GiB);
  });
});

