import { readSync } from 'node:fs';
/**
 * Tests for TarStreamWalker and walkTarRegion, including the property that both produce the same
 * visitor calls and result (or error) for the same bytes.
 */
import { mkdtemp, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Header, Pax, Parser, type HeaderData } from 'tar';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgsizeError, isImgsizeError } from '../errors.js';
import { walkTarRegion } from './positional-walker.js';
import { TarStreamWalker, walkTarStream, type TarWalkOptions } from './stream-walker.js';
import type { ByteRange, TarEntryHeader, TarVisitor, TarWalkResult } from './types.js';

const GiB = 1024 ** 3;

// ---------------------------------------------------------------------------------------------
// Archive building

type Kind = 'file' | 'dir' | 'symlink' | 'hardlink';
type Variant = 'ustar' | 'pax' | 'gnu';

interface Spec {
  name: string;
  kind: Kind;
  size: number;
  linkname?: string;
  variant: Variant;
  seed: number;
}

/** Deterministic pseudo-random bytes bodies are cut from. */
const POOL = (() => {
  const b = Buffer.alloc(200_000);
  let x = 0x12345678;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
})();

function body(seed: number, size: number): Buffer {
  const start = seed % (POOL.length - size + 1);
  return POOL.subarray(start, start + size);
}

function pad(b: Buffer): Buffer {
  const rem = b.length % 512;
  return rem === 0 ? b : Buffer.concat([b, Buffer.alloc(512 - rem)]);
}

function block(data: HeaderData): Buffer {
  const h = new Header({ mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), ...data });
  h.encode();
  return h.block!;
}

const NODE_TAR_TYPE: Record<Kind, HeaderData['type']> = {
  file: 'File',
  dir: 'Directory',
  symlink: 'SymbolicLink',
  hardlink: 'Link',
};
const TAR_STREAM_TYPE = { file: 'file', dir: 'directory', symlink: 'symlink', hardlink: 'link' } as const;

/** Entry as written by tar-stream (ustar prefix or pax records for long names), minus its end marker. */
async function tarStreamEntry(s: Spec): Promise<Buffer> {
  const pack = tarStream.pack();
  const header = {
    name: s.name,
    type: TAR_STREAM_TYPE[s.kind],
    mode: s.kind === 'dir' ? 0o755 : 0o644,
    mtime: new Date(0),
    linkname: s.linkname,
  };
  if (s.kind === 'file') pack.entry(header, body(s.seed, s.size));
  else (pack.entry(header) as unknown as { end(): void }).end();
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack) parts.push(c as Buffer);
  const all = Buffer.concat(parts);
  return all.subarray(0, all.length - 1024);
}

/** Entry with GNU `L` / `K` records for long names (built with node-tar Header.encode). */
function gnuEntry(s: Spec): Buffer {
  const parts: Buffer[] = [];
  if (Buffer.byteLength(s.name) > 99) {
    const n = Buffer.from(s.name + '\0');
    parts.push(block({ path: '././@LongLink', type: 'NextFileHasLongPath', size: n.length }), pad(n));
  }
  if (s.linkname !== undefined && Buffer.byteLength(s.linkname) > 99) {
    const n = Buffer.from(s.linkname + '\0');
    parts.push(block({ path: '././@LongLink', type: 'NextFileHasLongLinkpath', size: n.length }), pad(n));
  }
  const size = s.kind === 'file' ? s.size : 0;
  parts.push(
    block({
      path: s.name.slice(0, 99),
      type: NODE_TAR_TYPE[s.kind],
      size,
      linkpath: s.linkname?.slice(0, 99),
      mode: s.kind === 'dir' ? 0o755 : 0o644,
    }),
  );
  if (size > 0) parts.push(pad(Buffer.from(body(s.seed, size))));
  return Buffer.concat(parts);
}

type Piece = Spec | { special: 'lone-zero' } | { special: 'global-pax'; text: string } | { special: 'pax-only'; size: number };

/** A lone zero block is only written when an entry follows it (else it would end the archive). */
async function buildArchive(pieces: Piece[], trailer: Buffer = Buffer.alloc(0)): Promise<Buffer> {
  const out: Buffer[] = [];
  for (const [i, p] of pieces.entries()) {
    if ('special' in p) {
      const next = pieces[i + 1];
      if (p.special === 'lone-zero' && next !== undefined && !('special' in next)) out.push(Buffer.alloc(512));
      else if (p.special === 'global-pax') out.push(new Pax({ comment: p.text }, true).encode());
      continue;
    }
    out.push(p.variant === 'gnu' || (p.variant === 'ustar' && Buffer.byteLength(p.name) <= 99) ? gnuEntry(p) : await tarStreamEntry(p));
  }
  out.push(Buffer.alloc(1024), trailer);
  return Buffer.concat(out);
}

// ---------------------------------------------------------------------------------------------
// Recording visitor

type Event = ['entry', TarEntryHeader] | ['data', number, Buffer[]] | ['end', string];

interface Outcome {
  events: Event[];
  result?: TarWalkResult;
  error?: { code: string; message: string };
}

/** `plan[i]` are fractions cut into ranges for the i-th entry (cycled); `asyncEvery` > 0 makes some calls async. */
function recorder(plan: number[][], asyncEvery = 0): { visitor: TarVisitor; events: Event[] } {
  const events: Event[] = [];
  const dataEnd = new WeakMap<Event, number>();
  let i = 0;
  let calls = 0;
  const maybeAsync = <T>(v: T): T | Promise<T> =>
    asyncEvery > 0 && ++calls % asyncEvery === 0 ? new Promise((r) => setImmediate(() => r(v))) : v;
  const visitor: TarVisitor = {
    entry(h) {
      events.push(['entry', { ...h }]);
      const fr = plan.length === 0 ? [] : (plan[i++ % plan.length] ?? []);
      return maybeAsync(rangesFrom(fr, h.size));
    },
    data(off, chunk) {
      const last = events[events.length - 1];
      const copy = Buffer.from(chunk);
      const end = last?.[0] === 'data' ? dataEnd.get(last) : undefined;
      if (last && end === off) {
        (last[2] as Buffer[]).push(copy);
        dataEnd.set(last, off + copy.length);
      } else {
        const ev: Event = ['data', off, [copy]];
        dataEnd.set(ev, off + copy.length);
        events.push(ev);
      }
      return maybeAsync(undefined);
    },
    entryEnd(h) {
      events.push(['end', h.name]);
      return maybeAsync(undefined);
    },
  };
  return { visitor, events };
}

function rangesFrom(fractions: number[], size: number): ByteRange[] {
  const cuts = fractions.map((f) => Math.floor(f * size)).sort((a, b) => a - b);
  const out: ByteRange[] = [];
  for (let k = 0; k + 1 < cuts.length; k += 2) if (cuts[k]! < cuts[k + 1]!) out.push([cuts[k]!, cuts[k + 1]!]);
  return out;
}

function normalise(events: Event[]): unknown[] {
  return events.map((e) => (e[0] === 'data' ? ['data', e[1], Buffer.concat(e[2]).toString('base64')] : e));
}

async function outcomeOf(run: () => Promise<TarWalkResult>, events: Event[]): Promise<Outcome> {
  try {
    return { events, result: await run() };
  } catch (e) {
    if (!isImgsizeError(e)) throw e;
    return { events, error: { code: e.code, message: e.message } };
  }
}

function* chunked(buf: Buffer, sizes: number[]): Generator<Buffer> {
  let k = 0;
  for (let off = 0; off < buf.length; ) {
    const n = sizes.length === 0 ? buf.length : sizes[k++ % sizes.length]!;
    yield buf.subarray(off, off + n);
    off += n;
  }
}

async function* asyncChunks(buf: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  yield* chunked(buf, sizes);
}

async function streamOutcome(buf: Buffer, sizes: number[], plan: number[][], asyncEvery = 0, options: TarWalkOptions = {}) {
  const { visitor, events } = recorder(plan, asyncEvery);
  return outcomeOf(() => walkTarStream(asyncChunks(buf, sizes), visitor, options), events);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgsize-tar-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCounter = 0;
async function withFile<T>(contents: Buffer, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
  const path = join(dir, `a${fileCounter++}.tar`);
  await writeFile(path, contents);
  const fh = await open(path, 'r');
  try {
    return await fn(fh);
  } finally {
    await fh.close();
    await rm(path);
  }
}

async function regionOutcome(fh: FileHandle, start: number, length: number, plan: number[][], asyncEvery = 0, options: TarWalkOptions = {}) {
  const { visitor, events } = recorder(plan, asyncEvery);
  return outcomeOf(() => walkTarRegion(fh, start, length, visitor, options), events);
}

function expectSame(a: Outcome, b: Outcome): void {
  expect(normalise(b.events)).toEqual(normalise(a.events));
  expect(b.result).toEqual(a.result);
  expect(b.error).toEqual(a.error);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const nameArb = fc
  .tuple(
    fc.array(fc.stringMatching(/^[a-z0-9._-]{1,30}$/), { minLength: 1, maxLength: 9 }),
    fc.boolean(), // make it long (> 100 chars)
  )
  .map(([segs, long]) => {
    let n = segs.join('/');
    if (long) n = `${n}/${'long-'.repeat(22)}${segs[0]}`;
    return n;
  });

const specArb: fc.Arbitrary<Spec> = fc
  .record({
    name: nameArb,
    kind: fc.constantFrom<Kind>('file', 'file', 'file', 'dir', 'symlink', 'hardlink'),
    size: fc.oneof(fc.integer({ min: 0, max: 1100 }), fc.noBias(fc.integer({ min: 0, max: 70_000 }))),
    link: nameArb,
    variant: fc.constantFrom<Variant>('ustar', 'pax', 'gnu'),
    seed: fc.nat(),
  })
  .map(({ name, kind, size, link, variant, seed }) => ({
    name: kind === 'dir' ? `${name}/` : name,
    kind,
    size: kind === 'file' ? size : 0,
    linkname: kind === 'symlink' || kind === 'hardlink' ? link : undefined,
    variant,
    seed,
  }));

const pieceArb: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 20, arbitrary: specArb },
  { weight: 1, arbitrary: fc.constant<Piece>({ special: 'lone-zero' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 50 }).map((text): Piece => ({ special: 'global-pax', text: text || 'x' })) },
);

const fractionArb = fc.noBias(fc.integer({ min: 0, max: 1_000_000 })).map((n) => n / 1_000_000);
const planArb = fc.array(fc.array(fractionArb, { maxLength: 6 }), { minLength: 1, maxLength: 5 });

// ---------------------------------------------------------------------------------------------

describe('stream and positional walkers agree', () => {
  it('on random archives, complete and truncated, any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(pieceArb, { minLength: 1, maxLength: 14 }),
        planArb,
        fc.array(fc.oneof(fc.integer({ min: 1, max: 600 }), fc.noBias(fc.integer({ min: 1, max: 80_000 }))), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.oneof(fc.constant(-1), fractionArb), // truncation point
        fc.constantFrom(0, 0, 3),
        fc.noBias(fc.integer({ min: 0, max: 3000 })), // region start inside the file
        fc.constantFrom('', 'zeros', 'garbage'),
        async (pieces, plan, sizes, cutAt, asyncEvery, start, trailerKind) => {
          const trailer = trailerKind === 'zeros' ? Buffer.alloc(9000) : trailerKind === 'garbage' ? Buffer.from('garbage!') : undefined;
          const archive = await buildArchive(pieces, trailer);
          const length = cutAt < 0 ? archive.length : Math.floor(cutAt * archive.length);
          const bytes = archive.subarray(0, length);
          const s = await streamOutcome(bytes, sizes, plan, asyncEvery);
          const file = Buffer.concat([Buffer.alloc(start, 0xaa), archive, Buffer.alloc(100, 0xbb)]);
          const p = await withFile(file, (fh) => regionOutcome(fh, start, length, plan, asyncEvery));
          expectSame(s, p);
          if (cutAt < 0) {
            expect(s.error).toBeUndefined();
            const entries = pieces.filter((x): x is Spec => !('special' in x));
            expect(s.result!.entries).toBe(entries.length);
            expect(s.result!.tarBytes).toBe(archive.length - (trailer?.length ?? 0));
            expect(s.result!.warnings.some((w) => w.includes('non-zero data after'))).toBe(trailerKind === 'garbage');
            const seen = s.events.filter((e) => e[0] === 'entry').map((e) => e[1] as TarEntryHeader);
            expect(seen.map((h) => [h.name, h.type, h.size, h.linkname])).toEqual(
              entries.map((x) => [x.name, x.kind, x.size, x.linkname]),
            );
          } else if (s.error) {
            expect(['E_TRUNCATED', 'E_NOT_AN_ARCHIVE']).toContain(s.error.code);
          }
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it('agrees with node-tar on names, types and sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: 10 }), async (specs) => {
        const archive = await buildArchive(specs);
        const s = await streamOutcome(archive, [4096], []);
        const ours = s.events.filter((e) => e[0] === 'entry').map((e) => e[1] as TarEntryHeader);
        const theirs: [string, number, string][] = [];
        const parser = new Parser({
          onReadEntry: (entry) => {
            theirs.push([entry.path, entry.size, entry.type]);
            entry.resume();
          },
        });
        const ended = new Promise((r) => parser.on('end', r));
        parser.end(archive);
        await ended;
        expect(ours.map((h) => [h.name, h.size])).toEqual(theirs.map(([n, sz]) => [n, sz]));
      }),
      { numRuns: 40 },
    );
  });
});

describe('TarStreamWalker', () => {
  const specs: Spec[] = [
    { name: 'etc/', kind: 'dir', size: 0, variant: 'ustar', seed: 0 },
    { name: 'etc/passwd', kind: 'file', size: 1500, variant: 'ustar', seed: 1 },
    { name: `usr/${'x'.repeat(150)}/lib.so`, kind: 'file', size: 70_000, variant: 'pax', seed: 2 },
    { name: `opt/${'g'.repeat(140)}`, kind: 'symlink', size: 0, linkname: `t/${'k'.repeat(200)}`, variant: 'gnu', seed: 3 },
    { name: `opt/${'h'.repeat(140)}`, kind: 'hardlink', size: 0, linkname: 'etc/passwd', variant: 'gnu', seed: 4 },
    { name: `var/${'v'.repeat(120)}`, kind: 'file', size: 513, variant: 'gnu', seed: 5 },
    { name: 'empty', kind: 'file', size: 0, variant: 'ustar', seed: 6 },
  ];
  const plan = [[], [0, 1], [0.1, 0.2, 0.5, 0.9], [0.3, 0.30001]];

  it('gives the same calls for 1-byte chunks, odd chunks and one chunk', async () => {
    const archive = await buildArchive(specs);
    const whole = await streamOutcome(archive, [], plan);
    expect(whole.error).toBeUndefined();
    expect(whole.result).toEqual({ entries: 7, tarBytes: archive.length, warnings: [] });
    expectSame(whole, await streamOutcome(archive, [1], plan));
    expectSame(whole, await streamOutcome(archive, [511, 1, 513, 7, 1024], plan, 2));
    const names = whole.events.filter((e) => e[0] === 'entry').map((e) => (e[1] as TarEntryHeader).name);
    expect(names).toEqual(specs.map((s) => s.name));
    const gnuLink = whole.events.find((e) => e[0] === 'entry' && (e[1] as TarEntryHeader).type === 'symlink')!;
    expect((gnuLink[1] as TarEntryHeader).linkname).toBe(specs[3]!.linkname);
    // full payload of entry 2 (ranges [0, size)) is delivered intact
    const data = whole.events.filter((e) => e[0] === 'data');
    expect(Buffer.concat(data[0]![2] as Buffer[]).equals(body(1, 1500))).toBe(true);
  });

  it('delivers sub-slices of the written chunks without copying', async () => {
    const archive = await buildArchive([{ name: 'f', kind: 'file', size: 100_000, variant: 'ustar', seed: 9 }]);
    const seen: Buffer[] = [];
    const w = new TarStreamWalker({ entry: () => [[0, 100_000]], data: (_o, c) => void seen.push(c) });
    w.write(archive);
    await w.end();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.buffer).toBe(archive.buffer);
    expect(seen[0]!.byteOffset).toBe(archive.byteOffset + 512);
  });

  it('awaits visitor promises (backpressure) and keeps writes synchronous otherwise', async () => {
    const archive = await buildArchive([
      { name: 'a', kind: 'file', size: 3000, variant: 'ustar', seed: 1 },
      { name: 'b', kind: 'file', size: 10, variant: 'ustar', seed: 2 },
    ]);
    const log: string[] = [];
    let pending = 0;
    const w = new TarStreamWalker({
      entry: async (h) => {
        log.push(`entry ${h.name}`);
        return [[0, h.size]];
      },
      data: (off, c) => {
        expect(pending).toBe(0);
        pending++;
        log.push(`data ${off}+${c.length}`);
        return new Promise((r) => setTimeout(() => (pending--, r()), 1));
      },
      entryEnd: (h) => void log.push(`end ${h.name}`),
    });
    for (const c of chunked(archive, [1000])) {
      const p = w.write(c);
      if (p) await p;
    }
    expect((await w.end()).entries).toBe(2);
    expect(log).toEqual(['entry a', 'data 0+488', 'data 488+1000', 'data 1488+1000', 'data 2488+512', 'end a', 'entry b', 'data 0+10', 'end b']);
    const sync = new TarStreamWalker({ entry: () => null });
    for (const c of chunked(archive, [100])) expect(sync.write(c)).toBeUndefined();
  });

  it('reports empty input, clean empty archives and missing end markers', async () => {
    expect((await streamOutcome(Buffer.alloc(0), [], [])).error?.code).toBe('E_NOT_AN_ARCHIVE');
    expect((await streamOutcome(Buffer.alloc(1024), [7], [])).result).toEqual({ entries: 0, tarBytes: 1024, warnings: [] });
    const one = await buildArchive([{ name: 'a', kind: 'file', size: 1, variant: 'ustar', seed: 0 }]);
    expect((await streamOutcome(one.subarray(0, 1024), [], [])).error).toEqual({
      code: 'E_TRUNCATED',
      message: 'unexpected end of archive at offset 1024 (no end-of-archive marker)',
    });
    expect((await streamOutcome(one.subarray(0, 1536), [], [])).error?.message).toMatch(/after a single zero block at offset 1024/);
    expect((await streamOutcome(one.subarray(0, 700), [], [])).error?.message).toMatch(/inside the data of "a"|inside block padding/);
  });

  it('continues after a lone zero block with a warning, and ignores trailing data', async () => {
    const archive = await buildArchive(
      [
        { name: 'a', kind: 'file', size: 5, variant: 'ustar', seed: 0 },
        { special: 'lone-zero' },
        { name: 'b', kind: 'file', size: 5, variant: 'ustar', seed: 0 },
      ],
      Buffer.concat([Buffer.alloc(5000), Buffer.from('junk'), Buffer.alloc(30_000)]),
    );
    const r = await streamOutcome(archive, [333], []);
    expect(r.result).toEqual({
      entries: 2,
      tarBytes: 512 * 7,
      warnings: [
        'a lone zero block at offset 1024; continuing with the header at offset 1536',
        'ignoring non-zero data after the end-of-archive marker at offset 3584',
      ],
    });
    const late = Buffer.concat([Buffer.alloc(1024 + 20_000), Buffer.from('late junk')]);
    expect((await streamOutcome(late, [4096], [])).result?.warnings).toEqual([]);
  });

  it('fails with E_BAD_TAR on a corrupt header, with the visitor error when the visitor throws, and on abort', async () => {
    const archive = await buildArchive([
      { name: 'a', kind: 'file', size: 600, variant: 'ustar', seed: 0 },
      { name: 'b', kind: 'file', size: 5, variant: 'ustar', seed: 0 },
    ]);
    const bad = Buffer.from(archive);
    bad[1536 + 3] = bad[1536 + 3]! ^ 0x40;
    const r = await streamOutcome(bad, [100], []);
    expect(r.error).toEqual({ code: 'E_BAD_TAR', message: 'tar header at offset 1536: checksum mismatch' });
    await withFile(bad, async (fh) => expectSame(r, await regionOutcome(fh, 0, bad.length, [])));

    const boom = new Error('visitor says no');
    await expect(walkTarStream(asyncChunks(archive, [100]), { entry: () => { throw boom; } })).rejects.toBe(boom);
    await withFile(archive, async (fh) => {
      await expect(walkTarRegion(fh, 0, archive.length, { entry: async () => { throw boom; } })).rejects.toBe(boom);
    });

    await expect(walkTarStream(asyncChunks(archive, [100]), { entry: () => [[5, 3]] })).rejects.toMatchObject({ code: 'E_INTERNAL' });
    await expect(walkTarStream(asyncChunks(archive, [100]), { entry: () => [[0, 601]], data: () => {} })).rejects.toMatchObject({
      code: 'E_INTERNAL',
    });

    const ac = new AbortController();
    const w = new TarStreamWalker({ entry: () => (ac.abort(), null) }, { signal: ac.signal });
    w.write(archive.subarray(0, 1024));
    expect(() => w.write(archive.subarray(1024))).toThrow(ImgsizeError);
    await expect(w.end()).rejects.toMatchObject({ code: 'E_ABORTED' });
    await withFile(archive, async (fh) => {
      await expect(walkTarRegion(fh, 0, archive.length, { entry: () => null }, { signal: AbortSignal.abort() })).rejects.toMatchObject({
        code: 'E_ABORTED',
      });
    });
  });

  it('stops at destroy() even while a visitor promise is pending', async () => {
    const archive = await buildArchive([
      { name: 'a', kind: 'file', size: 10, variant: 'ustar', seed: 0 },
      { name: 'b', kind: 'file', size: 10, variant: 'ustar', seed: 0 },
    ]);
    let resolve!: (r: ByteRange[]) => void;
    const calls: string[] = [];
    const w = new TarStreamWalker({
      entry: (h) => (calls.push(h.name), new Promise<ByteRange[]>((r) => (resolve = r))),
      data: () => void calls.push('data'),
    });
    const p = w.write(archive);
    expect(p).toBeInstanceOf(Promise);
    const stop = new ImgsizeError('E_IO', 'upstream failed');
    w.destroy(stop);
    resolve([[0, 10]]);
    await expect(p).rejects.toBe(stop);
    await expect(w.end()).rejects.toBe(stop);
    expect(calls).toEqual(['a']);
  });

  it('enforces limits from options', async () => {
    const archive = await buildArchive([
      { name: 'a'.repeat(300), kind: 'file', size: 1, variant: 'pax', seed: 0 },
      { name: 'b', kind: 'file', size: 1, variant: 'ustar', seed: 0 },
    ]);
    expect((await streamOutcome(archive, [64], [], 0, { limits: { maxPathLength: 200 } })).error?.code).toBe('E_LIMIT');
    expect((await streamOutcome(archive, [64], [], 0, { limits: { maxMetaEntryBytes: 100 } })).error?.code).toBe('E_LIMIT');
    expect((await streamOutcome(archive, [64], [], 0, { limits: { maxEntries: 1 } })).error?.message).toMatch(/more than 1 entries/);
  });
});

describe('truncation', () => {
  it('every 97 bytes is E_TRUNCATED for both walkers, never a hang or a partial success', async () => {
    const archive = await buildArchive([
      { name: 'etc/', kind: 'dir', size: 0, variant: 'ustar', seed: 0 },
      { name: `a/${'p'.repeat(130)}`, kind: 'file', size: 20_000, variant: 'pax', seed: 1 },
      { name: `b/${'g'.repeat(130)}`, kind: 'file', size: 700, variant: 'gnu', seed: 2 },
      { name: `c/${'l'.repeat(130)}`, kind: 'symlink', size: 0, linkname: 'z'.repeat(150), variant: 'gnu', seed: 3 },
      { special: 'global-pax', text: 'hello' },
      { name: 'small', kind: 'file', size: 3, variant: 'ustar', seed: 4 },
      { name: 'big', kind: 'file', size: 60_000, variant: 'ustar', seed: 5 },
    ]);
    const plan = [[0, 1], [0.5, 0.7]];
    let cuts = 0;
    await withFile(archive, async (fh) => {
      for (let cut = 97; cut < archive.length; cut += 97) {
        const part = archive.subarray(0, cut);
        const s = await streamOutcome(part, [4000], plan);
        expect(s.error?.code, `cut at ${cut}`).toBe('E_TRUNCATED');
        const p = await regionOutcome(fh, 0, cut, plan);
        expectSame(s, p);
        cuts++;
      }
    });
    expect(cuts).toBeGreaterThan(800);
  }, 30_000);
});

describe('walkTarRegion', () => {
  it('handles a > 8 GiB entry (pax size and base-256 size) in a sparse file without reading it', async () => {
    for (const variant of ['pax', 'base256'] as const) {
      const size = 9 * GiB + 123;
      const head =
        variant === 'pax'
          ? Buffer.concat([new Pax({ path: 'huge.bin', size }).encode(), block({ path: 'huge.bin', size: 0 })])
          : block({ path: 'huge.bin', size });
      const path = join(dir, `sparse-${variant}.tar`);
      const fh = await open(path, 'w+');
      try {
        await fh.write(head, 0, head.length, 0);
        const dataEnd = head.length + size + (512 - (size % 512));
        await fh.write(block({ path: 'after', size: 4 }), 0, 512, dataEnd);
        await fh.write(Buffer.from('tail'), 0, 4, dataEnd + 512);
        await fh.truncate(dataEnd + 1024 + 1024);
        let bytesRead = 0;
        const pread = (b: Buffer, o: number, l: number, p: number) => {
          const n = readSync(fh.fd, b, o, l, p);
          bytesRead += n;
          return n;
        };
        const { visitor, events } = recorder([[0, 0.5e-9], [0, 1]]);
        const res = await walkTarRegion(fh, 0, dataEnd + 2048, visitor, { pread });
        expect(res).toEqual({ entries: 2, tarBytes: dataEnd + 2048, warnings: [] });
        expect(events[0]).toEqual(['entry', { name: 'huge.bin', type: 'file', size, linkname: undefined, mode: 0o644, offset: head.length }]);
        expect(events[1]![0]).toBe('data');
        expect(events.at(-2)).toEqual(['data', 0, [Buffer.from('tail')]]);
        expect(bytesRead).toBeLessThan(2 * 1024 * 1024);
        // the stream walker sees the same header and fails cleanly on the missing payload
        const s = await streamOutcome(head, [100], []);
        expect(s.events[0]).toEqual(events[0]);
        expect(s.error?.code).toBe('E_TRUNCATED');
      } finally {
        await fh.close();
        await rm(path);
      }
    }
  });

  /** Walks the whole file wanting no payload; counts the reads and the bytes they return. */
  async function walkCountingReads(fh: FileHandle, length: number) {
    let reads = 0;
    let bytesRead = 0;
    const pread = (b: Buffer, o: number, l: number, p: number) => {
      reads++;
      const n = readSync(fh.fd, b, o, l, p);
      bytesRead += n;
      return n;
    };
    const res = await walkTarRegion(fh, 0, length, { entry: () => null }, { pread });
    return { res, reads, bytesRead };
  }

  it('reads many small entries with few reads and jumps over unwanted payloads', async () => {
    const small: Spec[] = Array.from({ length: 2000 }, (_, i) => ({ name: `f${i}`, kind: 'file', size: 100, variant: 'ustar', seed: i }));
    const big: Spec = { name: 'big', kind: 'file', size: 20 * 1024 * 1024, variant: 'ustar', seed: 0 };
    // body() cannot make 20 MiB: build that entry by hand
    const archive = Buffer.concat([
      await buildArchive(small).then((b) => b.subarray(0, b.length - 1024)),
      block({ path: big.name, size: big.size }),
      Buffer.alloc(big.size, 1),
      await buildArchive(small.slice(0, 10)),
    ]);
    await withFile(archive, async (fh) => {
      const { res, reads, bytesRead } = await walkCountingReads(fh, archive.length);
      expect(res.entries).toBe(2011);
      expect(reads).toBeLessThan(100); // 2 MiB of small entries in windows of several headers, not 2000 header reads
      expect(bytesRead).toBeLessThan(3 * 1024 * 1024); // the 20 MiB payload is skipped
    });
  });

  it('reads little more than the headers when entries are far apart (read-ahead follows their spacing)', async () => {
    // 120 entries of 300 KiB: a window spanning several headers would copy 300 KiB per header
    const specs: Spec[] = Array.from({ length: 120 }, (_, i) => ({ name: `m${i}`, kind: 'file', size: 300 * 1024, variant: 'ustar', seed: i }));
    const archive = Buffer.concat([
      ...specs.flatMap((sp) => [block({ path: sp.name, size: sp.size }), Buffer.alloc(sp.size, 7)]),
      Buffer.alloc(1024),
    ]);
    await withFile(archive, async (fh) => {
      const { res, reads, bytesRead } = await walkCountingReads(fh, archive.length);
      expect(res.entries).toBe(120);
      expect(reads).toBeLessThanOrEqual(121);
      // the first few windows are wide (the spacing is not known yet), then one KiB a header
      expect(bytesRead).toBeLessThan(120 * 1024 + 3 * 1024 * 1024);
      expect(bytesRead).toBeLessThan(archive.length / 8);
    });
  });
});
