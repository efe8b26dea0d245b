/**
 * Regression tests for the bugs the fuzz suite (and the probing around it) found in the archive
 * readers, each named after its bug and checked on both paths with several chunkings. The seeds
 * are those of `pnpm exec tsx test/fuzz/explore.ts <seed> <runs>`; docs/RELIABILITY.md lists them.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeOutcome, pairProblems, runBoth, type Outcome } from './harness.js';
import { endMarker, entry, paxEntry, simpleTar, type SimpleEntry } from './raw-tar.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-regress-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const CHUNKINGS = [[1 << 20], [7], [512], [4096, 13], [100_000]];

/** A legacy docker-save archive of uncompressed layer tars (blobs may be any bytes). */
function archive(layers: Buffer[], opts: { diffIds?: string[]; before?: SimpleEntry[]; after?: SimpleEntry[] } = {}): SimpleEntry[] {
  const cfg = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    history: layers.map((_, i) => ({ created_by: `RUN step ${i}` })),
    rootfs: { type: 'layers', diff_ids: opts.diffIds ?? layers.map((l) => `sha256:${sha(l)}`) },
  });
  return [
    ...(opts.before ?? []),
    ...layers.map((l, i) => ({ name: `l${i}/layer.tar`, content: l })),
    { name: 'c.json', content: cfg },
    { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: ['r:1'], Layers: layers.map((_, i) => `l${i}/layer.tar`) }]) },
    ...(opts.after ?? []),
  ];
}

/** Runs both readers over every chunking; fails on any invariant violation; returns the fast-path outcome. */
async function both(bytes: Buffer): Promise<Outcome> {
  let first: Outcome | undefined;
  for (const chunks of CHUNKINGS) {
    const { file, stream } = await runBoth(bytes, { dir, timeoutMs: 10_000, chunks });
    expect(pairProblems(file, stream), `chunks ${chunks.join(',')}`).toEqual([]);
    if (first === undefined) first = file;
    else expect(describeOutcome(file)).toBe(describeOutcome(first));
  }
  return first!;
}

function code(o: Outcome): string {
  return o.kind === 'error' ? o.code : o.kind;
}

/** The report, its typed warnings as `layer N: message` lines. */
function report(o: Outcome): { warnings: string[]; layers: { entries: number }[] } & Record<string, unknown> {
  if (o.kind !== 'report') throw new Error(`expected a report, got ${describeOutcome(o)}`);
  const r = o.report as { warnings: { message: string; layer?: number }[] };
  return { ...r, warnings: r.warnings.map((w) => (w.layer === undefined ? w.message : `layer ${w.layer}: ${w.message}`)) } as never;
}

const layerA = simpleTar([{ name: 'a.txt', content: 'from layer A' }]);
const layerB = simpleTar([{ name: 'b.txt', content: 'from layer B' }, { name: 'b2.txt', content: 'B again' }]);

describe('regressions (fuzz suite)', () => {
  it('duplicate-manifest-stream-used-stale-entry: the stream reader used an earlier manifest.json shadowed by a later one that was not JSON (seed 1, case 196)', async () => {
    const entries = archive([layerA]);
    const good = entries.find((e) => e.name === 'manifest.json')!;
    // valid first, `null` last: the last one counts (as extracting the archive would) on both readers
    const validFirst = simpleTar([...entries, { name: 'manifest.json', content: 'null' }]);
    expect(code(await both(validFirst))).toBe('E_BAD_MANIFEST');
    // `null` first, valid last: a report, with a warning about the duplicate
    const validLast = simpleTar([{ name: 'manifest.json', content: 'null' }, ...entries.filter((e) => e !== good), good]);
    const r = report(await both(validLast));
    expect(r.warnings).toContainEqual(expect.stringMatching(/2 entries are named "manifest.json".*the last one is used/));
  });

  it('decompress-error-depended-on-chunking: a corrupt gzip archive was E_DECOMPRESS or E_BAD_TAR depending on chunk sizes (seed 4, case 839)', async () => {
    // Stored (level 0) deflate: a flipped byte changes the output without breaking the deflate
    // structure, so the tar reader sees a bad header long before the CRC check at the end fails.
    const tar = simpleTar(archive([simpleTar([{ name: 'x', content: 'y'.repeat(200_000) }])]));
    const gz = gzipSync(tar, { level: 0 });
    const at = gz.indexOf(Buffer.from('l0/layer.tar')) + 3;
    const broken = Buffer.from(gz);
    broken[at] = broken[at]! ^ 0x20;
    expect(code(await both(broken))).toBe('E_DECOMPRESS');
    // The same inside a layer blob.
    const layerGz = Buffer.from(gzipSync(simpleTar([{ name: 'file', content: 'z'.repeat(300_000) }]), { level: 0 }));
    layerGz[layerGz.indexOf(Buffer.from('file')) + 1] ^= 0x20;
    expect(code(await both(simpleTar(archive([layerGz], { diffIds: [`sha256:${'0'.repeat(64)}`] }))))).toBe('E_DECOMPRESS');
  });

  it('limit-or-corruption-depended-on-chunking: a corrupt gzip archive under a small maxDecompressedBytes was E_LIMIT or E_DECOMPRESS depending on chunk sizes (seed 32, long run)', async () => {
    // zlib is now fed fixed 64 KiB input pieces and the limits counted as it produces output.
    for (const level of [0, 6]) {
      const tar = simpleTar(archive([simpleTar([{ name: 'x', content: 'y'.repeat(400_000) }])]));
      const gz = Buffer.from(gzipSync(tar, { level }));
      gz[Math.floor(gz.length * 0.7)] ^= 0x01;
      for (const max of [2048, 100_000, 300_000]) {
        let first: string | undefined;
        for (const chunks of CHUNKINGS) {
          const { file, stream } = await runBoth(gz, { dir, timeoutMs: 10_000, chunks, limits: { maxDecompressedBytes: max } });
          expect(pairProblems(file, stream), `level ${level}, max ${max}, chunks ${chunks.join(',')}`).toEqual([]);
          first ??= code(file);
          expect(code(file), `level ${level}, max ${max}, chunks ${chunks.join(',')}`).toBe(first);
        }
      }
    }
  });

  it('pax-name-nul-cut-silently: node-tar cut a pax path at a NUL, reporting another name (Go refuses it)', async () => {
    const layer = Buffer.concat([paxEntry('26 path=nul\u0000inside/secret\n'), entry({ name: 'x' }, 'x'), endMarker()]);
    const o = await both(simpleTar(archive([layer])));
    expect(code(o)).toBe('E_BAD_TAR');
    expect((o as { message: string }).message).toMatch(/path contains a NUL byte/);
  });

  it('layer-starting-with-bracket-taken-for-json: a layer whose first entry is named "[" was kept as JSON, not scanned, by the stream reader only (seed 41, long run)', async () => {
    for (const name of ['[', '{"a":1}', '  [x']) {
      const layer = simpleTar([{ name, content: 'x' }]);
      const r = report(await both(simpleTar(archive([layer]))));
      expect(r.layers[0]!.entries, name).toBe(1);
    }
  });

  it('json-documents-that-look-like-something-else: "ustar" at byte 257 of manifest.json, or 600 bytes of whitespace before it, made the stream reader drop it', async () => {
    const entries = archive([layerA]);
    const m = entries.find((e) => e.name === 'manifest.json')!;
    const text = String(m.content);
    // a JSON string member placed so that "ustar" lands at byte 257
    const withUstar = `[{"Pad":"${'p'.repeat(257 - 9)}ustar",${text.slice(2)}`;
    expect(withUstar.indexOf('ustar')).toBe(257);
    for (const content of [withUstar, `${' '.repeat(600)}${text}`]) {
      const r = report(await both(simpleTar(entries.map((e) => (e === m ? { ...m, content } : e)))));
      expect(r.layers).toHaveLength(1);
    }
    // the same for the config, an object (which `sniff` checked for tar magic before JSON)
    const c = entries.find((e) => e.name === 'c.json')!;
    const cfg = String(c.content);
    const cfgUstar = `{"Pad":"${'p'.repeat(257 - 8)}ustar",${cfg.slice(1)}`;
    expect(cfgUstar.indexOf('ustar')).toBe(257);
    const r = report(await both(simpleTar(entries.map((e) => (e === c ? { ...c, content: cfgUstar } : e)))));
    expect(r.layers).toHaveLength(1);
  });

  it('octal-garbage-size-read-as-zero: a size field like "0000000x123" was parsed as its octal prefix, misframing the layer silently', async () => {
    const layer = Buffer.concat([entry({ name: 'a', size: '0000000x123\0' }, ''), entry({ name: 'b' }, 'b'), endMarker()]);
    const o = await both(simpleTar(archive([layer])));
    expect(code(o)).toBe('E_BAD_TAR');
    expect((o as { message: string }).message).toMatch(/invalid size field "0000000x123/);
    // Spaces and NULs around the digits are fine (old tars write them).
    const spaced = Buffer.concat([entry({ name: 'a', size: '     3 \0    ' }, 'abc'), endMarker()]);
    expect(report(await both(simpleTar(archive([spaced])))).layers[0]!.entries).toBe(1);
  });

  it('malformed-pax-record-dropped-silently: a pax record with an absurd or wrong length was ignored, and with it the name it set', async () => {
    for (const records of ['99999999999999 path=absurd\n', '0 path=zero\n', '3 path=short\n', '12 path=no-newline', 'garbage\n', '30 path=off-by-some\n']) {
      const layer = Buffer.concat([paxEntry(records), entry({ name: 'ustar-name' }, 'x'), endMarker()]);
      const o = await both(simpleTar(archive([layer])));
      expect(code(o), records).toBe('E_BAD_TAR');
      expect((o as { message: string }).message).toMatch(/pax header at offset 0: malformed record/);
    }
  });

  it('later-link-did-not-replace-earlier-file: an archive entry replaced by a later symlink of the same path still resolved to the first', async () => {
    const entries = archive([layerA]);
    const bytes = simpleTar([
      ...entries.filter((e) => e.name !== 'manifest.json'),
      { name: 'other/layer.tar', content: layerB },
      { name: 'l0/layer.tar', type: 'symlink', linkname: '../other/layer.tar' },
      entries.find((e) => e.name === 'manifest.json')!,
    ]);
    // diff_ids name layer A, so the count matches; the entries must be layer B's.
    const r = report(await both(bytes));
    expect(r.layers[0]!.entries).toBe(2);
    expect(r.warnings).toContainEqual(expect.stringMatching(/2 entries are named "l0\/layer.tar"/));
  });

  it('outer-archive-warnings-dropped: data after the end-of-archive marker of the archive itself was ignored without a word', async () => {
    const bytes = Buffer.concat([simpleTar(archive([layerA])), simpleTar([{ name: 'manifest.json', content: 'null' }])]);
    const r = report(await both(bytes));
    expect(r.warnings).toContainEqual(expect.stringMatching(/^archive: ignoring non-zero data after the end-of-archive marker/));
  });

  it('oci-archive-media-type-decided-compression-on-fast-path: an index-only OCI archive whose media type says gzip for a plain tar failed on one reader only', async () => {
    const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layerA)}`] } });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(cfg)}`, size: cfg.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(layerA)}`, size: layerA.length }],
    });
    const index = JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(manifest)}`, size: manifest.length }] });
    const bytes = simpleTar([
      { name: `blobs/sha256/${sha(layerA)}`, content: layerA },
      { name: `blobs/sha256/${sha(cfg)}`, content: cfg },
      { name: `blobs/sha256/${sha(manifest)}`, content: manifest },
      { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', content: index },
    ]);
    const r = report(await both(bytes));
    expect(r.warnings).toContainEqual(expect.stringMatching(/media type .*\+gzip" says gzip but the blob is an uncompressed tar/));
  });
});
