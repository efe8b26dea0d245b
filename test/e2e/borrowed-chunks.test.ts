/**
 * The stream reader's chunks are borrowed (fd-reader.ts reuses one buffer; TarVisitor.data): once
 * the next chunk is asked for, the previous one's memory is overwritten. This source does that on
 * purpose, poisoning the buffer before refilling it, so anything in the stream path that keeps a
 * chunk (JSON documents, the sniffed head, decompressor input, sampled bytes, captured package
 * databases, the fast path's reused read window) without copying it changes the report.
 */
import { mkdtempSync, openSync, closeSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage, openDockerArchive, type Report } from '@imgsize/core';
import { naiveMlImage, writeDockerArchive, type WriteOptions } from '../../fixtures/images/index.js';

let dir: string;
const CASES: Array<[string, WriteOptions]> = [
  ['legacy, plain layers', { layout: 'legacy' }],
  ['oci, gzip layers', { layout: 'oci', layerCompression: 'gzip' }],
  ['oci, zstd layers', { layout: 'oci', layerCompression: 'zstd' }],
  ['legacy, whole archive gzip', { layout: 'legacy', wholeCompression: 'gzip' }],
];
const archives = new Map<string, string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-borrowed-'));
  for (const [name, opts] of CASES) {
    const path = join(dir, `${archives.size}.tar`);
    await writeDockerArchive(naiveMlImage({ scale: 1000 }), path, opts);
    archives.set(name, path);
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Reads `path` into one reused buffer, poisoning it before each refill. Chunk sizes are mostly
 * under a tar block, so blobs, headers and JSON documents start and end at every kind of
 * boundary, with an occasional big chunk (a deterministic sequence: failures reproduce).
 */
function poisoningReader(path: string): AsyncIterable<Buffer> & { chunks: number } {
  let x = 12345;
  const nextSize = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return 1 + (x % 8 === 0 ? (x >>> 3) % 131_072 : (x >>> 3) % 700);
  };
  const self = {
    chunks: 0,
    async *[Symbol.asyncIterator]() {
      const buf = Buffer.alloc(1 << 17);
      const fd = openSync(path, 'r');
      try {
        for (let i = 0; ; i++) {
          buf.fill(0xa5); // whatever kept the previous chunk now sees garbage
          const n = readSync(fd, buf, 0, nextSize(), null);
          if (n === 0) return;
          self.chunks++;
          yield buf.subarray(0, n);
          // let pending thread-pool work (deflate, inflate) run while the chunk is poisoned next
          if (i % 64 === 0) await new Promise((r) => setImmediate(r));
        }
      } finally {
        closeSync(fd);
      }
    },
  };
  return self;
}

/** Copies every chunk before handing it on: the reference reading. */
async function* copyingReader(path: string): AsyncGenerator<Buffer> {
  for await (const c of poisoningReader(path)) yield Buffer.from(c);
}

const comparable = (r: Report): unknown => ({ ...r, generatedAt: '', image: { ...r.image, ref: '', source: { ...r.image.source, ref: '' } } });

describe('borrowed input chunks', () => {
  for (const [name] of CASES) {
    it(`${name}: a reader that reuses its buffer gives the report of one that does not`, async () => {
      const path = archives.get(name)!;
      const poisoning = poisoningReader(path);
      const borrowed = await analyzeImage(openDockerArchive(poisoning, { name: 'x' }));
      const copied = await analyzeImage(openDockerArchive(copyingReader(path), { name: 'x' }));
      expect(poisoning.chunks).toBeGreaterThan(100);
      expect(borrowed.layers.length).toBeGreaterThan(2);
      expect(comparable(borrowed)).toEqual(comparable(copied));
    }, 120_000);
  }

  it('the fast path (reused read window) agrees with the stream path', async () => {
    const path = archives.get('legacy, plain layers')!;
    expect(statSync(path).size).toBeGreaterThan(1e6);
    const fast = await analyzeImage(openDockerArchive(path));
    const stream = await analyzeImage(openDockerArchive(poisoningReader(path), { name: path }));
    const noSource = (r: Report): unknown => {
      const c = comparable(r) as Report;
      return { ...c, image: { ...c.image, source: { ...c.image.source, inputCompression: undefined } } };
    };
    expect(noSource(stream)).toEqual(noSource(fast));
  }, 120_000);
});
