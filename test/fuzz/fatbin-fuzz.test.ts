/**
 * Seeded fuzzing of the ELF/fatbin inventory (issue 14): hand-built ELF files with fatbin sections
 * (PTX and SASS entries, 64/72/80/112-byte headers, LZ4/zstd flags), then mutated: header fields
 * overwritten with extreme values, random bytes, truncation. Invariants: neither the positional
 * nor the stream inspector throws; every problem has a code; entries lie inside their sections;
 * and when the stream path could read the section names, both give the same entries and codes.
 * Then a few mutated files go through a whole analysis on both readers: never a failure.
 *   IMGSIZE_FUZZ_RUNS=20000 IMGSIZE_FUZZ_SEED=7 IMGSIZE_SERVICES=off pnpm exec vitest run test/fuzz/fatbin-fuzz.test.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfStreamInspector, inspectElfAt, UNNAMED_FATBIN_SECTION, type ElfGpuInventory } from '../../packages/core/src/gpu/inventory.js';
import { GPU_WARNING_CODES } from '../../packages/core/src/gpu/fatbin.js';
import { buildElf, buildFatbinContainer, bufferReader, type FatbinEntrySpec } from '../../packages/core/src/gpu/testing.js';
import { makeDockerSave, makeTar } from '../helpers/tar.js';
import { outcomeProblems, pairProblems, runBoth } from './harness.js';

const RUNS = Number(process.env.IMGSIZE_FUZZ_RUNS ?? 400);
const SEED = Number(process.env.IMGSIZE_FUZZ_SEED ?? 20_241_204);

const arbEntry: fc.Arbitrary<FatbinEntrySpec> = fc.record({
  kind: fc.constantFrom<'ptx' | 'sass' | number>('ptx', 'sass', 0x10, 0x40),
  sm: fc.constantFrom(35, 50, 60, 70, 75, 80, 86, 89, 90, 100, 120),
  payload: fc.uint8Array({ minLength: 0, maxLength: 600 }).map((a) => Buffer.from(a)),
  compression: fc.constantFrom(undefined, 'lz4' as const, 'zstd' as const),
  headerBytes: fc.constantFrom(undefined, 72, 80, 112),
});

const arbElf = fc.record({
  containers: fc.array(fc.array(arbEntry, { minLength: 0, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
  rel: fc.boolean(),
  shstrtabFirst: fc.boolean(),
  textMagic: fc.boolean(),
});

/** Mutations at offsets worth hitting: ELF header fields, section table, container and entry headers. */const arbMut = fc.oneof(
  fc.record({ kind: fc.constant('u32' as const), pos: fc.nat(), value: fc.constantFrom(0, 1, 0x40, 0xffffffff, 0xba55ed50, 0x7fffffff, 16, 64) }),
  fc.record({ kind: fc.constant('u64' as const), pos: fc.nat(), value: fc.constantFrom(0n, 1n, 0xffffffffffffffffn, 1n << 40n, 4096n, 64n) }),
  fc.record({ kind: fc.constant('byte' as const), pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), pos: fc.nat(), value: fc.constant(0) }),
);
type M = { kind: 'u32' | 'u64' | 'byte' | 'cut'; pos: number; value: number | bigint };

function build(spec: { containers: FatbinEntrySpec[][]; rel: boolean; shstrtabFirst: boolean; textMagic: boolean }): { file: Buffer; hot: number[] } {
  const fat = Buffer.concat(spec.containers.map(buildFatbinContainer));
  const text = Buffer.concat([Buffer.alloc(200, 7), spec.textMagic ? Buffer.from([0x50, 0xed, 0x55, 0xba, 1, 0, 16, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0]) : Buffer.alloc(0), Buffer.alloc(100, 9)]);
  const sections = [{ name: '.text', data: text }, { name: '.nv_fatbin', data: fat }, ...(spec.rel ? [{ name: '__nv_relfatbin', data: buildFatbinContainer(spec.containers[0]!) }] : [])];
  const file = buildElf(sections, { shstrtabFirst: spec.shstrtabFirst });
  // Hot spots: the ELF header, every container magic and what follows it, the section table.
  const hot = [0, 16, 32, 40, 48, 58, 60, 62];
  let i = file.indexOf(Buffer.from([0x50, 0xed, 0x55, 0xba]));
  while (i >= 0) {
    for (let k = 0; k < 16 + 112; k += 4) hot.push(i + k);
    i = file.indexOf(Buffer.from([0x50, 0xed, 0x55, 0xba]), i + 1);
  }
  const shoff = Number(file.readBigUInt64LE(40));
  for (let k = shoff; k < file.length; k += 8) hot.push(k);
  return { file, hot };
}

function apply(file: Buffer, hot: number[], muts: M[]): Buffer {
  let f = Buffer.from(file);
  for (const m of muts) {
    const at = hot[m.pos % hot.length]! + (m.kind === 'byte' ? (m.pos >> 8) % 16 : 0);
    if (m.kind === 'cut') {
      f = f.subarray(0, Math.max(0, f.length - 1 - (m.pos % Math.max(1, f.length))));
      continue;
    }
    if (m.kind === 'u32' && at + 4 <= f.length) f.writeUInt32LE(Number(m.value) >>> 0, at);
    else if (m.kind === 'u64' && at + 8 <= f.length) f.writeBigUInt64LE(BigInt(m.value), at);
    else if (m.kind === 'byte' && at < f.length) f[at] = Number(m.value);
  }
  return f;
}

function streamed(file: Buffer, chunk: number): ElfGpuInventory | null {
  const s = new ElfStreamInspector(file.length);
  for (let o = 0; o < file.length; o += chunk) s.data(o, file.subarray(o, o + chunk));
  return s.end();
}

function checkInvariants(file: Buffer, inv: ElfGpuInventory | null): void {
  if (!inv) return;
  for (const p of inv.problems) expect(GPU_WARNING_CODES).toContain(p.code);
  for (const e of inv.entries) {
    const end = e.offset + e.headerBytes + e.payloadBytes;
    // Mutated section tables may overlap: some section must hold the whole entry.
    expect(inv.sections.some((s) => e.offset >= s.offset && end <= Math.min(s.offset + s.size, file.length)), `entry [${e.offset}, ${end}) outside every section`).toBe(true);
    expect(e.headerBytes).toBeGreaterThanOrEqual(64);
  }
}

describe('ELF/fatbin mutations', () => {
  let agreed = 0;
  let total = 0;
  afterAll(() => {
    process.stdout.write(`[fuzz] fatbin seed ${SEED}: ${total} cases, positional and stream agreed on ${agreed} with names readable\n`);
  });

  it('never throws; problems are coded; both paths agree when names are readable', () => {
    fc.assert(
      fc.property(arbElf, fc.array(arbMut, { minLength: 0, maxLength: 4 }), fc.integer({ min: 1, max: 5000 }), (spec, muts, chunk) => {
        const { file, hot } = build(spec);
        const f = apply(file, hot, muts as M[]);
        const a = inspectElfAt(bufferReader(f), f.length);
        const b = streamed(f, chunk);
        checkInvariants(f, a);
        checkInvariants(f, b);
        total++;
        if (b && b.sections.some((s) => s.name === UNNAMED_FATBIN_SECTION)) return;
        agreed++;
        if (process.env.FUZZ_DEBUG && JSON.stringify(a) !== JSON.stringify(b)) console.log(JSON.stringify(a), '\n', JSON.stringify(b), '\n', f.toString('hex'));
        expect(b?.entries ?? null).toEqual(a?.entries ?? null);
        expect(b?.problems.map((p) => p.code) ?? null).toEqual(a?.problems.map((p) => p.code) ?? null);
        expect(b?.sections ?? null).toEqual(a?.sections ?? null);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('mutated CUDA libraries in an image', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'imgsize-fatbin-fuzz-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('analysis never fails and both readers agree', async () => {
    await fc.assert(
      fc.asyncProperty(arbElf, fc.array(arbMut, { minLength: 1, maxLength: 3 }), async (spec, muts) => {
        const { file, hot } = build(spec);
        const lib = Buffer.concat([apply(file, hot, muts as M[]), Buffer.alloc(4096)]);
        const layer = await makeTar([{ name: 'usr/lib/x86_64-linux-gnu/libfuzz.so.1', content: lib }]);
        const archive = await makeDockerSave([{ tag: 'fuzz:1', layers: [layer] }]);
        const { file: a, stream: b } = await runBoth(archive, { dir, timeoutMs: 10_000, chunks: [777, 4096] });
        expect(a.kind).toBe('report');
        expect([...outcomeProblems(a, 'fast path'), ...outcomeProblems(b, 'stream')]).toEqual([]);
        // Section names out of the stream's reach are the one documented difference.
        if (!JSON.stringify(b).includes(UNNAMED_FATBIN_SECTION)) expect(pairProblems(a, b)).toEqual([]);
      }),
      { seed: SEED + 1, numRuns: Math.max(10, Math.floor(RUNS / 20)) },
    );
  }, 300_000);
});
