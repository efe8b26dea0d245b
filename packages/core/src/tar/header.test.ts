import { Header, Pax, type HeaderData } from 'tar';
import { describe, expect, it } from 'vitest';
import { isImgsizeError } from '../errors.js';
import {
  BLOCK_END,
  BLOCK_ENTRY,
  BLOCK_META,
  BLOCK_ZERO,
  mapEntryType,
  padded,
  TarHeaderState,
  TRAILING_CHECK_BYTES,
} from './header.js';
import { DEFAULT_TAR_LIMITS, type TarLimits } from './types.js';

const GiB = 1024 ** 3;

/** One header block encoded by node-tar. */
function block(data: HeaderData): Buffer {
  const h = new Header({ mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), ...data });
  h.encode();
  return h.block!;
}

function expectCode(fn: () => unknown, code: string, msg?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isImgsizeError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    if (msg) expect((e as Error).message).toMatch(msg);
    return;
  }
  throw new Error(`expected ${code}`);
}

/** Feeds a sequence of [block, metaPayload?] to a state at consecutive offsets. */
class Feeder {
  readonly s: TarHeaderState;
  off = 0;
  constructor(limits: Partial<TarLimits> = {}) {
    this.s = new TarHeaderState({ ...DEFAULT_TAR_LIMITS, ...limits });
  }
  block(b: Buffer): number {
    const r = this.s.block(b, 0, this.off);
    this.off += 512;
    return r;
  }
  meta(b: Buffer, payload: string | Buffer): void {
    expect(this.block(b)).toBe(BLOCK_META);
    const p = Buffer.from(payload);
    expect(this.s.metaSize).toBe(p.length);
    this.s.meta(p);
    this.off += padded(p.length);
  }
  entry(b: Buffer) {
    expect(this.block(b)).toBe(BLOCK_ENTRY);
    const e = this.s.entry!;
    this.off += padded(e.size);
    return e;
  }
}

function paxRecords(fields: Record<string, string>): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len++;
    out += `${len}${body}`;
  }
  return out;
}

describe('TarHeaderState', () => {
  it('decodes a ustar header with a prefix, mode and payload offset', () => {
    const f = new Feeder();
    const name = `${'d'.repeat(60)}/${'e'.repeat(60)}/file.txt`;
    const b = block({ path: name, size: 1234, type: 'File', mode: 0o755 });
    expect(b.readUInt8(345)).not.toBe(0); // really uses the prefix field
    f.off = 1024;
    const e = f.entry(b);
    expect(e).toEqual({ name, type: 'file', size: 1234, linkname: undefined, mode: 0o755, offset: 1536 });
    expect(f.s.entries).toBe(1);
  });

  it('maps node-tar type names', () => {
    const cases: [string, string][] = [
      ['File', 'file'],
      ['OldFile', 'file'],
      ['ContiguousFile', 'file'],
      ['Directory', 'dir'],
      ['SymbolicLink', 'symlink'],
      ['Link', 'hardlink'],
      ['CharacterDevice', 'char'],
      ['BlockDevice', 'block'],
      ['FIFO', 'fifo'],
      ['SparseFile', 'other'],
      ['GNUDumpDir', 'other'],
      ['Unsupported', 'other'],
    ];
    for (const [n, t] of cases) expect(mapEntryType(n)).toBe(t);
    const f = new Feeder();
    expect(f.entry(block({ path: 'l', type: 'SymbolicLink', linkpath: 'target' }))).toMatchObject({ type: 'symlink', linkname: 'target' });
    expect(f.entry(block({ path: 'h', type: 'Link', linkpath: 'l' }))).toMatchObject({ type: 'hardlink', linkname: 'l' });
    expect(f.entry(block({ path: 'c', type: 'CharacterDevice' }))).toMatchObject({ type: 'char', linkname: undefined });
    expect(f.entry(block({ path: 'p', type: 'FIFO' }))).toMatchObject({ type: 'fifo' });
    const raw = block({ path: 'weird', size: 3 });
    raw[156] = 'Z'.charCodeAt(0);
    fixChecksum(raw);
    expect(f.entry(raw)).toMatchObject({ type: 'other', size: 3 });
  });

  it('reports directories and hardlinks with size 0 and treats a regular file ending in / as a directory', () => {
    const f = new Feeder();
    expect(f.entry(block({ path: 'dir/', type: 'Directory', size: 4096 }))).toMatchObject({ type: 'dir', size: 0 });
    expect(f.entry(block({ path: 'h', type: 'Link', linkpath: 'x', size: 4096 }))).toMatchObject({ type: 'hardlink', size: 0 });
    expect(f.entry(block({ path: 's', type: 'SymbolicLink', linkpath: 'x', size: 512 }))).toMatchObject({ type: 'symlink', size: 512 });
    expect(f.entry(block({ path: 'old/', type: 'File', size: 0 }))).toMatchObject({ type: 'dir', size: 0 });
  });

  it('applies a pax record (path, linkpath, size > 8 GiB) to the next entry only', () => {
    const f = new Feeder();
    const long = 'p/'.repeat(80) + 'x'.repeat(150);
    const size = 9 * GiB + 7;
    f.meta(block({ path: 'PaxHeader/x', type: 'ExtendedHeader', size: 0 }), ''); // empty record
    const text = paxRecords({ path: long, size: String(size), mtime: '1.5' });
    f.meta(block({ path: 'PaxHeader/x', type: 'ExtendedHeader', size: Buffer.byteLength(text) }), text);
    const at = f.off;
    const e = f.entry(block({ path: 'truncated', type: 'File', size: 0 }));
    expect(e).toMatchObject({ name: long, size, type: 'file' });
    expect(e.offset).toBe(at + 512);
    const next = f.entry(block({ path: 'plain', size: 5 }));
    expect(next).toMatchObject({ name: 'plain', size: 5 });
    const lt = paxRecords({ linkpath: 'L'.repeat(300) });
    f.meta(block({ path: 'PaxHeader/y', type: 'ExtendedHeader', size: lt.length }), lt);
    expect(f.entry(block({ path: 'sym', type: 'SymbolicLink', linkpath: 'short' }))).toMatchObject({ linkname: 'L'.repeat(300) });
  });

  it('merges several pax records, later keys winning, and uses node-tar Pax.parse', () => {
    const f = new Feeder();
    const a = paxRecords({ path: 'first', size: '10' });
    const b = paxRecords({ path: 'second' });
    f.meta(block({ path: 'P', type: 'ExtendedHeader', size: a.length }), a);
    f.meta(block({ path: 'P', type: 'ExtendedHeader', size: b.length }), b);
    expect(f.entry(block({ path: 'x', size: 3 }))).toMatchObject({ name: 'second', size: 10 });
    // node-tar's own pax encoder round-trips
    const name = 'from/node-tar/' + 'n'.repeat(200);
    const pax = new Pax({ path: name, size: 8 * GiB + 1 }).encode();
    expect(f.block(pax.subarray(0, 512))).toBe(BLOCK_META);
    f.s.meta(pax.subarray(512, 512 + f.s.metaSize));
    expect(f.entry(block({ path: 'short', size: 0 }))).toMatchObject({ name, size: 8 * GiB + 1 });
  });

  it('keeps global pax records but does not apply their path or size', () => {
    const f = new Feeder();
    const g = paxRecords({ path: 'global-name', size: '999', comment: 'hi' });
    f.meta(block({ path: 'G', type: 'GlobalExtendedHeader', size: g.length }), g);
    expect(f.entry(block({ path: 'local', size: 2 }))).toMatchObject({ name: 'local', size: 2 });
    expect(f.s.globalPax?.comment).toBe('hi');
  });

  it('applies GNU long name (L) and long link (K) records; pax wins over them', () => {
    const f = new Feeder();
    const long = 'gnu/'.repeat(40) + 'name';
    f.meta(block({ path: '././@LongLink', type: 'NextFileHasLongPath', size: long.length + 1 }), long + '\0');
    const link = 'target/'.repeat(30);
    f.meta(block({ path: '././@LongLink', type: 'NextFileHasLongLinkpath', size: link.length + 1 }), link + '\0');
    expect(f.entry(block({ path: long.slice(0, 99), type: 'SymbolicLink', linkpath: link.slice(0, 99) }))).toMatchObject({
      name: long,
      linkname: link,
      type: 'symlink',
    });
    // GNU L then pax path: pax wins; and the other way round too.
    const p = paxRecords({ path: 'pax-name' });
    f.meta(block({ path: 'L', type: 'NextFileHasLongPath', size: 4 }), 'gnu\0');
    f.meta(block({ path: 'P', type: 'ExtendedHeader', size: p.length }), p);
    expect(f.entry(block({ path: 'hdr' }))).toMatchObject({ name: 'pax-name' });
    f.meta(block({ path: 'P', type: 'ExtendedHeader', size: p.length }), p);
    f.meta(block({ path: 'L', type: 'NextFileHasLongPath', size: 4 }), 'gnu\0');
    expect(f.entry(block({ path: 'hdr' }))).toMatchObject({ name: 'pax-name' });
    // a pax size does not apply to an intervening L record
    const ps = paxRecords({ size: '100000' });
    f.meta(block({ path: 'P', type: 'ExtendedHeader', size: ps.length }), ps);
    expect(f.block(block({ path: 'L', type: 'NextFileHasLongPath', size: 6 }))).toBe(BLOCK_META);
    expect(f.s.metaSize).toBe(6);
  });

  it('decodes base-256 sizes (> 8 GiB) from the header itself', () => {
    const f = new Feeder();
    const b = block({ path: 'big', size: 12 * GiB + 3 });
    expect(b[124]).toBe(0x80);
    expect(f.entry(b)).toMatchObject({ size: 12 * GiB + 3 });
  });

  it('rejects negative, NaN and invalid pax sizes; accepts a blank size field as 0', () => {
    const neg = block({ path: 'neg', size: 1 });
    neg.fill(0xff, 124, 136); // base-256 -1
    fixChecksum(neg);
    expectCode(() => new Feeder().block(neg), 'E_BAD_TAR', /size/);
    const nan = block({ path: 'nan', size: 1 });
    nan.write('zzzzzzzzzzz\0', 124, 'latin1');
    fixChecksum(nan);
    expectCode(() => new Feeder().block(nan), 'E_BAD_TAR', /size/);
    const bad256 = block({ path: 'b', size: 1 });
    bad256[124] = 0x90;
    fixChecksum(bad256);
    expectCode(() => new Feeder().block(bad256), 'E_BAD_TAR');
    const blank = block({ path: 'blank', size: 1 });
    blank.fill(0, 124, 136);
    fixChecksum(blank);
    expect(new Feeder().entry(blank)).toMatchObject({ size: 0 });
    for (const v of ['-5', 'abc', '1.5', '99999999999999999999']) {
      const f = new Feeder();
      const t = paxRecords({ size: v });
      expect(f.block(block({ path: 'P', type: 'ExtendedHeader', size: t.length }))).toBe(BLOCK_META);
      expectCode(() => f.s.meta(Buffer.from(t)), 'E_BAD_TAR', /pax header at offset 0: invalid size/);
    }
  });

  it('rejects bad checksums (E_NOT_AN_ARCHIVE for a first block that is not tar at all)', () => {
    const b = block({ path: 'x', size: 1 });
    b[0] = b[0]! ^ 1;
    const f = new Feeder();
    f.off = 512 * 7;
    expectCode(() => f.block(b), 'E_BAD_TAR', /tar header at offset 3584: checksum mismatch/);
    expectCode(() => new Feeder().block(b), 'E_BAD_TAR'); // has ustar magic: a damaged tar
    const junk = Buffer.alloc(512, 'hello world ');
    expectCode(() => new Feeder().block(junk), 'E_NOT_AN_ARCHIVE');
    const binary = Buffer.alloc(512, 0x9c); // node-tar cannot even decode its numbers
    expectCode(() => new Feeder().block(binary), 'E_NOT_AN_ARCHIVE');
    const f2 = new Feeder();
    f2.off = 512;
    expectCode(() => f2.block(binary), 'E_BAD_TAR');
  });

  it('accepts historic signed-byte checksums', () => {
    const b = block({ path: 'caf\u00e9-\u00ff', size: 0 });
    let signed = 8 * 32;
    for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) signed += (b[i]! << 24) >> 24;
    b.write(signed.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    expect(new Feeder().entry(b)).toMatchObject({ name: 'caf\u00e9-\u00ff' });
  });

  it('enforces limits', () => {
    const text = paxRecords({ path: 'x'.repeat(2000) });
    expectCode(
      () => new Feeder({ maxMetaEntryBytes: 1000 }).block(block({ path: 'P', type: 'ExtendedHeader', size: text.length })),
      'E_LIMIT',
      /metadata record/,
    );
    expectCode(
      () => new Feeder({ maxMetaEntryBytes: 100 }).block(block({ path: 'L', type: 'NextFileHasLongPath', size: 101 })),
      'E_LIMIT',
    );
    const f = new Feeder({ maxPathLength: 1000 });
    f.meta(block({ path: 'P', type: 'ExtendedHeader', size: text.length }), text);
    expectCode(() => f.block(block({ path: 'x' })), 'E_LIMIT', /name longer than 1000 bytes/);
    const multi = new Feeder({ maxPathLength: 10 });
    expectCode(() => multi.block(block({ path: '\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9' })), 'E_LIMIT'); // 12 UTF-8 bytes
    const g = new Feeder({ maxEntries: 2 });
    g.entry(block({ path: 'a' }));
    g.entry(block({ path: 'b' }));
    expectCode(() => g.block(block({ path: 'c' })), 'E_LIMIT', /more than 2 entries/);
  });

  it('treats a block that is zero except for its checksum field as a zero block', () => {
    const z = Buffer.alloc(512);
    z.write('0000000\0', 148, 'latin1');
    const f = new Feeder();
    expect(f.block(z)).toBe(BLOCK_ZERO);
    expect(f.block(Buffer.alloc(512))).toBe(BLOCK_END);
  });

  it('handles zero blocks: end marker, lone zero block (warning, continue), trailing data', () => {
    const zero = Buffer.alloc(512);
    const f = new Feeder();
    f.entry(block({ path: 'a', size: 0 }));
    expect(f.block(zero)).toBe(BLOCK_ZERO);
    expect(f.s.afterZeroBlock).toBe(true);
    expect(f.entry(block({ path: 'b', size: 0 }))).toMatchObject({ name: 'b' });
    expect(f.s.warnings).toEqual(['a lone zero block at offset 512; continuing with the header at offset 1024']);
    expect(f.block(zero)).toBe(BLOCK_ZERO);
    expect(f.block(zero)).toBe(BLOCK_END);
    expect(f.s.tarBytes).toBe(2560);
    expect(f.s.entries).toBe(2);
    const tail = Buffer.alloc(TRAILING_CHECK_BYTES + 100);
    f.s.trailing(tail, 0, 100);
    expect(f.s.warnings).toHaveLength(1);
    tail[TRAILING_CHECK_BYTES + 50] = 1; // beyond the checked window
    f.s.trailing(tail, 100, tail.length);
    expect(f.s.warnings).toHaveLength(1);
    expect(f.s.trailingWanted).toBe(0);
    const g = new Feeder();
    g.block(zero);
    g.block(zero);
    g.s.trailing(Buffer.from([0, 0, 7]), 0, 3);
    expect(g.s.warnings).toEqual(['ignoring non-zero data after the end-of-archive marker at offset 1024']);
  });

  it('warns about a metadata record that no entry follows', () => {
    const f = new Feeder();
    f.meta(block({ path: 'L', type: 'NextFileHasLongPath', size: 2 }), 'a\0');
    f.block(Buffer.alloc(512));
    expect(f.block(Buffer.alloc(512))).toBe(BLOCK_END);
    expect(f.s.warnings[0]).toMatch(/metadata record at offset 0/);
  });
});

function fixChecksum(b: Buffer): void {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i]!;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}
