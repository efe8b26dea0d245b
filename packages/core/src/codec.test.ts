import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import tarStream from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { createDecompressSink, decompressIterable, peek, sniff, type CompressionKind, type DecompressOptions } from './codec.js';
import { ImgsizeError, isImgsizeError } from './errors.js';
import { TarStreamWalker } from './tar/stream-walker.js';
import type { ByteSink } from './tar/types.js';

const ZSTD = '/usr/bin/zstd';
const MiB = 1024 * 1024;

function zstd(input: Buffer, ...args: string[]): Buffer {
  return execFileSync(ZSTD, ['-q', '-c', ...args], { input, maxBuffer: 1 << 30 });
}

function randomish(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    // compressible but not trivial
    b[i] = (x & 0x0f) + 0x41;
  }
  return b;
}

/** Downstream that collects everything written to it. */
function collector(): ByteSink<Buffer> & { destroyed?: Error | undefined; parts: Buffer[] } {
  const parts: Buffer[] = [];
  const sink = {
    parts,
    destroyed: undefined as Error | undefined,
    write(c: Buffer) {
      parts.push(Buffer.from(c));
    },
    async end() {
      return Buffer.concat(parts);
    },
    destroy(e?: Error) {
      sink.destroyed = e ?? new Error('destroyed');
    },
  };
  return sink;
}

async function pushAll<R>(sink: ByteSink<R>, data: Buffer, chunk: number): Promise<R> {
  for (let off = 0; off < data.length; off += chunk) {
    const p = sink.write(data.subarray(off, off + chunk));
    if (p) await p;
  }
  return sink.end();
}

async function decompressVia(kind: CompressionKind, data: Buffer, chunk: number, options?: DecompressOptions): Promise<Buffer> {
  return pushAll(createDecompressSink(kind, collector(), options), data, chunk);
}

/** Offset of the first block header of a zstd frame. */
function firstBlockHeader(z: Buffer): number {
  const fhd = z[4]!;
  const singleSegment = (fhd >> 5) & 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = [singleSegment, 2, 4, 8][fhd >> 6]!;
  return 5 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isImgsizeError(e)) return e.code;
    throw e;
  }
  return 'ok';
}

async function* iterate(data: Buffer, chunk: number): AsyncGenerator<Buffer> {
  for (let off = 0; off < data.length; off += chunk) yield data.subarray(off, off + chunk);
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

describe('sniff', () => {
  it('recognises gzip, zstd, ustar and v7 tar, json and unknown input', async () => {
    expect(sniff(gzipSync('x'))).toBe('gzip');
    expect(sniff(zstd(Buffer.from('hello')))).toBe('zstd');
    const pack = tarStream.pack();
    pack.entry({ name: 'a' }, 'x');
    pack.finalize();
    const tar = await collect(pack as AsyncIterable<Buffer>);
    expect(sniff(tar.subarray(0, 512))).toBe('tar');
    const v7 = new Header({ path: 'old', size: 3, mode: 0o644, type: 'File' });
    v7.encode();
    const block = v7.block!;
    block.fill(0, 257, 265); // no magic: an old v7 header
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of block) sum += b;
    block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    expect(sniff(block)).toBe('tar');
    block[0] = block[0]! ^ 1;
    expect(sniff(block)).toBe('unknown');
    expect(sniff(Buffer.from(' \n\t{"a":1}'))).toBe('json');
    expect(sniff(Buffer.from('\ufeff{}'))).toBe('json');
    expect(sniff(Buffer.from('[1]'))).toBe('unknown');
    expect(sniff(Buffer.alloc(0))).toBe('unknown');
    expect(sniff(Buffer.alloc(1024))).toBe('unknown');
    expect(sniff(Buffer.from([0x1f]))).toBe('unknown');
  });
});

describe('createDecompressSink', () => {
  const data = randomish(3 * MiB + 17);

  it('decompresses gzip, including concatenated members, from chunks of any size', async () => {
    const gz = gzipSync(data);
    expect((await decompressVia('gzip', gz, 64 * 1024)).equals(data)).toBe(true);
    expect((await decompressVia('gzip', gz.subarray(0, 5000), 1).catch((e) => e)).code).toBe('E_TRUNCATED');
    const two = Buffer.concat([gzipSync('hello '), gzipSync(''), gzipSync('world')]);
    expect((await decompressVia('gzip', two, 3)).toString()).toBe('hello world');
  });

  // Regression (issue 16): a zstd stream that starts with a skippable frame (RFC 8878 3.1.2) was
  // not taken for zstd: E_NOT_AN_ARCHIVE.
  it('a zstd stream may start with a skippable frame: sniffed as zstd and decompressed', async () => {
    const skippableFrame = (nibble: number, payload: Buffer): Buffer => {
      const h = Buffer.alloc(8);
      h.writeUInt32LE(0x184d2a50 + nibble, 0);
      h.writeUInt32LE(payload.length, 4);
      return Buffer.concat([h, payload]);
    };
    const data = randomish(100_000, 9);
    const body = zstd(data, '-3');
    for (const nibble of [0, 7, 15]) {
      for (const size of [0, 3, 100, 70_000]) {
        const blob = Buffer.concat([skippableFrame(nibble, randomish(size, size + 1)), body]);
        // the reference decoder agrees that this is one valid zstd stream
        expect(execFileSync(ZSTD, ['-q', '-d', '-c'], { input: blob, maxBuffer: 1 << 30 }).equals(data)).toBe(true);
        expect(sniff(blob.subarray(0, 512)), `magic 0x184d2a5${nibble.toString(16)}, ${size} bytes`).toBe('zstd');
        for (const chunk of size === 3 ? [1, 5, 7777, MiB] : size <= 100 ? [5, 7777] : [4096, MiB]) {
          expect((await decompressVia('zstd', blob, chunk)).equals(data), `nibble ${nibble}, ${size} bytes, chunks of ${chunk}`).toBe(true);
        }
      }
    }
    // two skippable frames in a row, then the data; and only skippable frames (empty output)
    const two = Buffer.concat([skippableFrame(1, Buffer.from('a')), skippableFrame(2, Buffer.alloc(20)), body]);
    expect((await decompressVia('zstd', two, 3)).equals(data)).toBe(true);
    expect((await decompressVia('zstd', skippableFrame(0, Buffer.alloc(30)), 7)).length).toBe(0);
    // 0x184d2a4f and 0x184d2a60 are not skippable frames
    for (const m of [0x184d2a4f, 0x184d2a60]) {
      const b = Buffer.alloc(16);
      b.writeUInt32LE(m, 0);
      expect(sniff(b)).toBe('unknown');
    }
  });

  it('decompresses zstd (CLI-made, multi-frame, skippable frame) and rejects bad zstd', async () => {
    const z = zstd(data, '-3');
    expect((await decompressVia('zstd', z, 7777)).equals(data)).toBe(true);
    expect((await decompressVia('zstd', z, MiB)).equals(data)).toBe(true);
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]);
    const multi = Buffer.concat([zstd(Buffer.from('abc')), skippable, zstd(Buffer.from('def'), '--no-check')]);
    expect((await decompressVia('zstd', multi, 5)).toString()).toBe('abcdef');
    for (const cut of [1, 4, 10, Math.floor(z.length / 2), z.length - 1]) {
      expect(await codeOf(decompressVia('zstd', z.subarray(0, cut), 4096)), `cut ${cut}`).toBe('E_TRUNCATED');
    }
    // fzstd does not verify content checksums: random corruption is detected only when it breaks
    // the format; here the first block gets the reserved block type.
    const bad = Buffer.from(z);
    const bh = firstBlockHeader(bad);
    bad[bh] = bad[bh]! | 0b110;
    expect(await codeOf(decompressVia('zstd', bad, 4096))).toBe('E_DECOMPRESS');
    expect(await codeOf(decompressVia('zstd', Buffer.from('not zstd at all'), 4096))).toBe('E_DECOMPRESS');
    expect(await codeOf(decompressVia('zstd', Buffer.alloc(0), 1))).toBe('E_TRUNCATED');
  });

  it('reports corrupt gzip as E_DECOMPRESS and truncated gzip as E_TRUNCATED, never hanging', async () => {
    const gz = gzipSync(randomish(200_000));
    const corrupt = Buffer.from(gz);
    corrupt.fill(0xff, 1000, 1100);
    expect(await codeOf(decompressVia('gzip', corrupt, 512))).toBe('E_DECOMPRESS');
    expect(await codeOf(decompressVia('gzip', Buffer.from('definitely not gzip'), 4))).toBe('E_DECOMPRESS');
    const badTrailer = Buffer.from(gz);
    badTrailer[badTrailer.length - 6] = badTrailer[badTrailer.length - 6]! ^ 0xff; // CRC
    expect(await codeOf(decompressVia('gzip', badTrailer, 4096))).toBe('E_DECOMPRESS');
    const err = await decompressVia('gzip', gz.subarray(0, 10_000), 4096).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImgsizeError);
    expect((err as ImgsizeError).code).toBe('E_TRUNCATED');
    expect((err as ImgsizeError).message).toBe('gzip stream ends early (unexpected end of compressed data)');
    for (let cut = 0; cut < gz.length; cut += Math.max(1, Math.floor(gz.length / 60))) {
      expect(await codeOf(decompressVia('gzip', gz.subarray(0, cut), 1000)), `cut ${cut}`).toBe('E_TRUNCATED');
    }
  });

  it('enforces maxOutputBytes and maxRatio (decompression bomb)', async () => {
    const zeros = gzipSync(Buffer.alloc(20 * MiB));
    const e = await decompressVia('gzip', zeros, 64 * 1024, { maxOutputBytes: 5 * MiB }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_LIMIT' });
    expect((e as Error).message).toMatch(/decompression bomb/);
    expect((await decompressVia('gzip', zeros, 64 * 1024, { maxOutputBytes: 20 * MiB })).length).toBe(20 * MiB);
    // the ratio applies once output > ratioCheckMinBytes (default 1 GiB); zstd reaches such ratios easily
    const bomb = execFileSync('sh', ['-c', `head -c ${300 * MiB} /dev/zero | ${ZSTD} -q -c -1`], { maxBuffer: 1 << 26 });
    expect(bomb.length).toBeLessThan(100_000);
    let written = 0;
    const counting: ByteSink<number> = {
      write: (c) => void (written += c.length),
      end: async () => written,
      destroy: () => {},
    };
    const err = await pushAll(createDecompressSink('zstd', counting, { maxRatio: 2000, ratioCheckMinBytes: 256 * MiB }), bomb, 64 * 1024).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'E_LIMIT' });
    expect((err as Error).message).toMatch(/expands more than 2000:1.*decompression bomb.*limit maxCompressionRatio = 2000/);
    expect(written).toBeLessThanOrEqual(300 * MiB);
  });

  it('applies backpressure: writes wait while downstream is busy', async () => {
    const gz = gzipSync(randomish(4 * MiB, 3));
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    let received = 0;
    const slow: ByteSink<number> = {
      write: async (c) => {
        received += c.length;
        await gate;
      },
      end: async () => received,
      destroy: () => {},
    };
    const sink = createDecompressSink('gzip', slow);
    let accepted = 0;
    const writer = (async () => {
      for (let off = 0; off < gz.length; off += 16 * 1024) {
        await sink.write(gz.subarray(off, off + 16 * 1024));
        accepted += 16 * 1024;
      }
      return sink.end();
    })();
    await new Promise((r) => setTimeout(r, 50));
    expect(accepted).toBeLessThan(gz.length / 2); // blocked behind the downstream
    expect(received).toBeLessThan(2 * MiB);
    release();
    gate = Promise.resolve();
    expect(await writer).toBe(4 * MiB);
  });

  it('reports downstream errors and destroys downstream on decompression errors', async () => {
    const gz = gzipSync(randomish(MiB));
    const boom = new ImgsizeError('E_BAD_TAR', 'bad header');
    const failing: ByteSink<void> = { write: () => Promise.reject(boom), end: async () => {}, destroy: () => {} };
    await expect(pushAll(createDecompressSink('gzip', failing), gz, 4096)).rejects.toBe(boom);

    const c = collector();
    const corrupt = Buffer.from(gz);
    corrupt.fill(0, 50, 400);
    await expect(pushAll(createDecompressSink('gzip', c), corrupt, 4096)).rejects.toMatchObject({ code: 'E_DECOMPRESS' });
    expect(c.destroyed).toMatchObject({ code: 'E_DECOMPRESS' });

    const d = collector();
    const sink = createDecompressSink('gzip', d);
    await sink.write(gz.subarray(0, 1000));
    sink.destroy();
    expect(d.destroyed).toBeDefined();
    await expect(sink.write(gz.subarray(1000, 2000))).rejects.toMatchObject({ code: 'E_ABORTED' });
    await expect(sink.end()).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('feeds a tar walker (gzip-compressed layer)', async () => {
    const pack = tarStream.pack();
    pack.entry({ name: 'etc/hostname' }, 'box\n');
    pack.entry({ name: `usr/${'x'.repeat(120)}` }, randomish(100_000));
    pack.finalize();
    const tar = await collect(pack as AsyncIterable<Buffer>);
    const names: string[] = [];
    const walker = new TarStreamWalker({ entry: (h) => (names.push(h.name), null) });
    const res = await pushAll(createDecompressSink('gzip', walker), gzipSync(tar), 1000);
    expect(res.entries).toBe(2);
    expect(names[0]).toBe('etc/hostname');
    const zres = await pushAll(createDecompressSink('zstd', new TarStreamWalker({ entry: () => null })), zstd(tar), 333);
    expect(zres).toEqual(res);
  });
});

describe('decompressIterable', () => {
  it('decompresses whole streams and passes source errors through unchanged', async () => {
    const data = randomish(MiB, 5);
    expect((await collect(decompressIterable(iterate(gzipSync(data), 10_000), 'gzip'))).equals(data)).toBe(true);
    expect((await collect(decompressIterable(iterate(zstd(data), 10_000), 'zstd'))).equals(data)).toBe(true);
    const ioError = new Error('disk on fire');
    async function* failing(compressed: Buffer): AsyncGenerator<Buffer> {
      yield compressed.subarray(0, 1000);
      throw ioError;
    }
    await expect(collect(decompressIterable(failing(gzipSync(data)), 'gzip'))).rejects.toBe(ioError);
    await expect(collect(decompressIterable(failing(zstd(data)), 'zstd'))).rejects.toBe(ioError);
    await expect(collect(decompressIterable(iterate(Buffer.alloc(0), 1), 'gzip'))).rejects.toMatchObject({ code: 'E_TRUNCATED' });
    await expect(collect(decompressIterable(iterate(gzipSync(data).subarray(0, 999), 100), 'gzip'))).rejects.toMatchObject({
      code: 'E_TRUNCATED',
    });
  });

  it('stops cleanly when the consumer stops early', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        const gz = gzipSync(randomish(8 * MiB, 7));
        for (let off = 0; off < gz.length; off += 4096) yield gz.subarray(off, off + 4096);
      } finally {
        closed = true;
      }
    }
    for await (const chunk of decompressIterable(source(), 'gzip')) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
  });
});

describe('peek', () => {
  it('returns the first bytes and replays the whole stream', async () => {
    const data = randomish(10_000);
    const { head, rest } = await peek(iterate(data, 300), 512);
    expect(head.equals(data.subarray(0, 512))).toBe(true);
    expect((await collect(rest)).equals(data)).toBe(true);
    const short = await peek(iterate(Buffer.from('abc'), 1), 512);
    expect(short.head.toString()).toBe('abc');
    expect((await collect(short.rest)).toString()).toBe('abc');
    const empty = await peek(iterate(Buffer.alloc(0), 1), 512);
    expect(empty.head.length).toBe(0);
    expect((await collect(empty.rest)).length).toBe(0);
    const one = await peek(iterate(data, 10_000), 4);
    expect(one.head.length).toBe(4);
    expect((await collect(one.rest)).length).toBe(10_000);
    await expect(collect(one.rest)).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });

  it('closes the source when the replay is abandoned', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        for (let i = 0; i < 100; i++) yield Buffer.alloc(100, i);
      } finally {
        closed = true;
      }
    }
    const { rest } = await peek(source(), 150);
    for await (const c of rest) {
      expect(c[0]).toBe(0);
      break;
    }
    expect(closed).toBe(true);
  });
});
