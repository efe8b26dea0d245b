/**
 * The fast ustar decoder must agree with node-tar's Header on every block it accepts, and decline
 * (undefined) the rest. node-tar is the oracle: random headers it encodes, and random mutations.
 */
import fc from 'fast-check';
import { Header } from 'tar';
import { describe, expect, it } from 'vitest';
import { fastHeader } from './fast-header.js';

const FIELDS = ['nullBlock', 'cksumValid', 'cksum', 'size', 'typeKey', 'type', 'path', 'linkpath', 'mode'] as const;

/** node-tar's reading of the block, or 'throws' when its decoder rejects it. */
function oracle(buf: Buffer, longPath: string | undefined): Record<string, unknown> | 'throws' {
  try {
    const h = longPath === undefined ? new Header(buf, 0) : new Header(buf, 0, { path: longPath });
    return Object.fromEntries(FIELDS.map((f) => [f, h[f]]));
  } catch {
    return 'throws';
  }
}

const segment = fc.stringMatching(/^[a-zA-Z0-9._\-é ]{1,40}$/);
const pathArb = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join('/'));
const headerArb = fc.record({
  path: fc.oneof(pathArb, pathArb.map((p) => `${p}/`)),
  type: fc.constantFrom('File', 'Directory', 'SymbolicLink', 'Link', 'FIFO', 'CharacterDevice', 'ExtendedHeader', 'NextFileHasLongPath'),
  size: fc.oneof(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 8 ** 11 - 1 })),
  mode: fc.integer({ min: 0, max: 0o7777 }),
  linkpath: fc.option(pathArb, { nil: undefined }),
  mtime: fc.constant(new Date(1_700_000_000_000)),
});

function encode(h: ConstructorParameters<typeof Header>[0]): Buffer {
  const buf = Buffer.alloc(512);
  new Header(h as never).encode(buf, 0);
  return buf;
}

describe('fastHeader', () => {
  it('agrees with node-tar on every header node-tar writes (long names use the ustar prefix)', () => {
    fc.assert(
      fc.property(headerArb, fc.option(pathArb, { nil: undefined }), (h, longPath) => {
        const buf = encode(h);
        const fast = fastHeader(buf, 0, longPath);
        if (fast) expect(fast).toEqual(oracle(buf, longPath));
      }),
      { seed: 4242, numRuns: 3000 },
    );
  });

  it('takes the fast path for ordinary headers (so the test above is not vacuous)', () => {
    let taken = 0;
    fc.assert(
      fc.property(headerArb, (h) => {
        if (fastHeader(encode(h), 0, undefined)) taken++;
      }),
      { seed: 7, numRuns: 500 },
    );
    expect(taken).toBeGreaterThan(400);
  });

  it('agrees with node-tar or declines on mutated blocks', () => {
    fc.assert(
      fc.property(
        headerArb,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 511 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (h, flips, fixChecksum) => {
          const buf = encode(h);
          for (const [i, v] of flips) buf[i] = v;
          if (fixChecksum) {
            // recompute a valid checksum so mutations reach the field parsers
            buf.fill(0x20, 148, 156);
            let sum = 0;
            for (const b of buf) sum += b;
            buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
          }
          const fast = fastHeader(buf, 0, undefined);
          if (fast) expect(fast).toEqual(oracle(buf, undefined));
        },
      ),
      { seed: Number(process.env.FH_SEED ?? 99), numRuns: Number(process.env.FH_RUNS ?? 5000) },
    );
  });

  it('gives the same answer wherever the block sits in memory (word-wise and byte-wise checksum)', () => {
    fc.assert(
      fc.property(headerArb, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 511 }), fc.integer({ min: 0, max: 255 }), (h, shift, i, v) => {
        const block = encode(h);
        if (i !== 148) block[i] = v; // a flipped byte must break the checksum the same way in both sums
        const slab = Buffer.alloc(1024 + 8);
        block.copy(slab, shift);
        const at = fastHeader(slab, shift, undefined);
        expect(at).toEqual(fastHeader(block, 0, undefined));
        const o = oracle(block, undefined);
        if (o === 'throws' || !o.cksumValid) expect(at).toBeUndefined();
      }),
      { seed: 11, numRuns: 2000 },
    );
  });

  it('declines what it does not handle: zero blocks, base-256 sizes, GNU magic', () => {
    expect(fastHeader(Buffer.alloc(512), 0, undefined)).toBeUndefined();
    const big = encode({ path: 'big', type: 'File', size: 2 ** 40, mode: 0o644, mtime: new Date(0) } as never);
    expect(big[124]! & 0x80).toBeTruthy();
    expect(fastHeader(big, 0, undefined)).toBeUndefined();
    const gnu = encode({ path: 'a', type: 'File', size: 1, mode: 0o644, mtime: new Date(0) } as never);
    gnu.write('ustar  \0', 257, 'latin1');
    expect(fastHeader(gnu, 0, undefined)).toBeUndefined();
  });
});
