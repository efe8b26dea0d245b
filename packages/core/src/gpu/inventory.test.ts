import { describe, expect, it } from 'vitest';
import { ElfStreamInspector, inspectElfAt, summarizeInventory, UNNAMED_FATBIN_SECTION, type ElfGpuInventory } from './inventory.js';
import { parseElfHeader } from './elf.js';
import { parseEntryHeader } from './fatbin.js';
import { buildElf, buildFatbinContainer, bufferReader, type FatbinEntrySpec } from './testing.js';

const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff));

const C1: FatbinEntrySpec[] = [
  { kind: 'sass', sm: 80, payload: bytes(1000, 1) },
  { kind: 'sass', sm: 90, payload: bytes(1203, 2) },
  { kind: 'ptx', sm: 90, payload: bytes(517, 3), compression: 'lz4', uncompressedBytes: 4096, headerBytes: 72 },
];
const C2: FatbinEntrySpec[] = [
  { kind: 'sass', sm: 100, payload: bytes(2048, 4), compression: 'zstd', uncompressedBytes: 9999, headerBytes: 112 },
  { kind: 'ptx', sm: 120, payload: bytes(300, 5), headerBytes: 80 },
  { kind: 'sass', sm: 80, payload: bytes(16, 6) },
];
// .text holds a stray container magic (libcudart's code compares against it).
const TEXT = Buffer.concat([bytes(3000, 9), Buffer.from([0x50, 0xed, 0x55, 0xba, 1, 0, 16, 0]), bytes(900, 8)]);
const REL = buildFatbinContainer([{ kind: 'sass', sm: 75, payload: bytes(777, 7) }]);

function sample(options: { shstrtabFirst?: boolean; pad?: number } = {}): Buffer {
  return buildElf(
    [
      { name: '.text', data: TEXT },
      { name: '.nv_fatbin', data: Buffer.concat([buildFatbinContainer(C1), buildFatbinContainer(C2)]) },
      { name: '.data', data: bytes(5000, 10) },
      { name: '__nv_relfatbin', data: REL },
      { name: '.bss', data: Buffer.alloc(0), type: 8 },
    ],
    options,
  );
}

/** Feeds `file` to a stream inspector in chunks of the given sizes (cycled). */
function streamed(file: Buffer, sizes: number[]): ElfGpuInventory | null {
  const s = new ElfStreamInspector(file.length);
  let k = 0;
  for (let o = 0; o < file.length; ) {
    const n = sizes[k++ % sizes.length]!;
    s.data(o, file.subarray(o, o + n));
    o += n;
  }
  return s.end();
}

describe('fatbin inventory of one ELF file', () => {
  it('finds every entry of every container of both fatbin sections, with kind, sm, sizes and compression', () => {
    const file = sample();
    const inv = inspectElfAt(bufferReader(file), file.length)!;
    expect(inv.problems).toEqual([]);
    expect(inv.containers).toBe(3);
    expect(inv.sections.map((s) => s.name)).toEqual(['.nv_fatbin', '__nv_relfatbin']);
    expect(inv.sections[0]!.size).toBe(buildFatbinContainer(C1).length + buildFatbinContainer(C2).length);
    expect(inv.entries.map((e) => `${e.kind}_${e.sm}`)).toEqual(['sass_80', 'sass_90', 'ptx_90', 'sass_100', 'ptx_120', 'sass_80', 'sass_75']);
    const [e80, , ptx, e100, ptx120] = inv.entries;
    expect(e80).toMatchObject({ headerBytes: 64, payloadBytes: 1000, dataBytes: 1000, compression: 'none', uncompressedBytes: 1000 });
    expect(ptx).toMatchObject({ headerBytes: 72, payloadBytes: 520, dataBytes: 517, compression: 'lz4', uncompressedBytes: 4096 });
    expect(e100).toMatchObject({ headerBytes: 112, payloadBytes: 2048, compression: 'zstd', uncompressedBytes: 9999 });
    expect(ptx120).toMatchObject({ headerBytes: 80, payloadBytes: 304 });
    // The entries tile the section exactly: container headers + entry headers + payloads.
    const total = inv.entries.reduce((n, e) => n + e.headerBytes + e.payloadBytes, 0) + 16 * inv.containers;
    expect(total).toBe(inv.sections[0]!.size + inv.sections[1]!.size);
  });

  it('gives the same inventory from passing bytes, whatever the chunking', () => {
    const file = sample();
    const want = inspectElfAt(bufferReader(file), file.length);
    for (const sizes of [[1], [3, 5, 7], [64], [4096], [file.length], [13, 1, 2000, 17]]) {
      expect(streamed(file, sizes)).toEqual(want);
    }
  });

  it('stream path: names out of the window still find the fatbin sections (by their containers)', () => {
    const file = buildElf(
      [
        { name: '.nv_fatbin', data: buildFatbinContainer(C1) },
        { name: '__nv_relfatbin', data: REL },
        { name: '.debug', data: bytes(70_000, 1) },
      ],
      { shstrtabFirst: true },
    );
    const want = inspectElfAt(bufferReader(file), file.length)!;
    const got = streamed(file, [65536])!;
    expect(got.entries).toEqual(want.entries);
    expect(got.sections.map((s) => s.name)).toEqual([UNNAMED_FATBIN_SECTION, UNNAMED_FATBIN_SECTION]);
    expect(got.sections.map((s) => s.size)).toEqual(want.sections.map((s) => s.size));
  });

  it('rolls entries up by kind and architecture', () => {
    const file = sample();
    const s = summarizeInventory(inspectElfAt(bufferReader(file), file.length)!);
    expect(s.archs.map((a) => [a.kind, a.sm, a.entries, a.bytes, a.compressedEntries])).toEqual([
      ['sass', 75, 1, 64 + 784, 0],
      ['sass', 80, 2, 64 + 1000 + 64 + 16, 0],
      ['sass', 90, 1, 64 + 1208, 0],
      ['sass', 100, 1, 112 + 2048, 1],
      ['ptx', 90, 1, 72 + 520, 1],
      ['ptx', 120, 1, 80 + 304, 0],
    ]);
    expect(s.fatbinBytes).toBe(s.sections.reduce((n, x) => n + x.size, 0));
  });

  it('is null for non-ELF files and ELF files without fatbin sections', () => {
    const plain = bytes(10_000, 1);
    expect(inspectElfAt(bufferReader(plain), plain.length)).toBeNull();
    expect(streamed(plain, [100])).toBeNull();
    const elf = buildElf([{ name: '.text', data: bytes(5000, 2) }]);
    expect(inspectElfAt(bufferReader(elf), elf.length)).toBeNull();
    expect(streamed(elf, [333])).toBeNull();
  });
});

describe('malformed fat binaries are warnings with a code, on both paths', () => {
  function corrupt(mutate: (fatbin: Buffer) => void): Buffer {
    const fat = Buffer.concat([buildFatbinContainer(C1), buildFatbinContainer(C2)]);
    mutate(fat);
    return buildElf([{ name: '.text', data: bytes(4000, 3) }, { name: '.nv_fatbin', data: fat }]);
  }
  const both = (file: Buffer): [ElfGpuInventory | null, ElfGpuInventory | null] => [inspectElfAt(bufferReader(file), file.length), streamed(file, [1000])];

  it('a bad entry version keeps the entries before it and goes on with the next container', () => {
    const c1 = buildFatbinContainer(C1).length;
    const file = corrupt((f) => f.writeUInt16LE(0x0202, 16 + 64 + 1000 + 2)); // 2nd entry of container 1
    for (const inv of both(file)) {
      expect(inv!.problems.map((p) => p.code)).toEqual(['W_FATBIN_MALFORMED']);
      expect(inv!.entries.map((e) => e.sm)).toEqual([80, 100, 120, 80]);
    }
    expect(c1).toBeGreaterThan(0);
  });

  it('a container claiming more bytes than its section is W_FATBIN_TRUNCATED', () => {
    const c1 = buildFatbinContainer(C1).length;
    const file = corrupt((f) => f.writeBigUInt64LE(BigInt(f.length), c1 + 8));
    for (const inv of both(file)) expect(inv!.problems[0]!.code).toBe('W_FATBIN_TRUNCATED');
  });

  it('a bad container magic is W_FATBIN_MALFORMED', () => {
    const file = corrupt((f) => f.writeUInt32LE(0x12345678, 0));
    for (const inv of both(file)) {
      expect(inv!.problems.map((p) => p.code)).toEqual(['W_FATBIN_MALFORMED']);
      expect(inv!.entries).toEqual([]);
    }
  });

  it('a section table past the end of the file is W_ELF_MALFORMED', () => {
    const file = sample();
    const cut = file.subarray(0, file.length - 100);
    for (const inv of [inspectElfAt(bufferReader(cut), cut.length), streamed(cut, [512])]) {
      expect(inv!.problems.map((p) => p.code)).toEqual(['W_ELF_MALFORMED']);
    }
  });

  it('a fatbin section past the end of the file is W_FATBIN_TRUNCATED', () => {
    const file = sample();
    const h = parseElfHeader(file);
    if (!h || typeof h === 'string') throw new Error('not elf');
    // Section 2 is .nv_fatbin: make it claim 1 GB.
    file.writeBigUInt64LE(1n << 30n, h.shoff + 2 * 64 + 32);
    for (const inv of [inspectElfAt(bufferReader(file), file.length), streamed(file, [4096])]) {
      expect(inv!.problems[0]!.code).toBe('W_FATBIN_TRUNCATED');
    }
  });

  it('entry header sizes out of range and unknown versions are rejected', () => {
    const c = buildFatbinContainer([{ kind: 'sass', sm: 80, payload: bytes(8, 1) }]);
    expect(parseEntryHeader(c, 16, 16)).toMatchObject({ sm: 80 });
    c.writeUInt32LE(8, 16 + 4);
    expect(parseEntryHeader(c, 16, 16)).toMatch(/header size 8/);
  });
});
