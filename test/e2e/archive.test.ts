/**
 * The docker-archive source end to end on generated images: every layout, compression and
 * reader gives the same report, and the numbers equal the facts the generator computes from its
 * own file lists (independently of imgsize).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage, openDockerArchive, ReportSchema, type Report } from '@imgsize/core';
import { expectedFacts, naiveMlImage, writeDockerArchive, type ExpectedFacts } from '../../fixtures/images/index.js';
import { recording } from '../helpers/loaded.js';

const SCALE = 2000;
let dir: string;
let facts: ExpectedFacts;
const files: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-archive-'));
  const image = naiveMlImage({ scale: SCALE });
  facts = expectedFacts(image);
  const variants: Record<string, Parameters<typeof writeDockerArchive>[2]> = {
    legacy: { layout: 'legacy' },
    oci: { layout: 'oci' },
    ociGzipLayers: { layout: 'oci', layerCompression: 'gzip' },
    ociZstdLayers: { layout: 'oci', layerCompression: 'zstd' },
    legacyGz: { layout: 'legacy', wholeCompression: 'gzip' },
  };
  for (const [name, opts] of Object.entries(variants)) {
    files[name] = join(dir, `${name}.tar${opts.wholeCompression === 'gzip' ? '.gz' : ''}`);
    await writeDockerArchive(image, files[name]!, opts);
  }
  execFileSync('sh', ['-c', `zstd -q -3 -o ${join(dir, 'legacy.tar.zst')} ${files.legacy}`]);
  files.legacyZst = join(dir, 'legacy.tar.zst');
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The report minus what legitimately differs between layouts and readers. */
function comparable(r: Report): unknown {
  return {
    ...r,
    image: { ...r.image, ref: '', source: { kind: r.image.source.kind }, configDigest: undefined, manifestDigest: undefined },
    layers: r.layers.map((l) => ({ ...l, digest: undefined, mediaType: undefined, compression: undefined, compressedBytes: undefined, compressedBytesExact: undefined })),
    summary: { ...r.summary, compressedBytes: undefined, compressedBytesExact: undefined, pullSeconds: undefined, potentialSavingsCompressedBytes: undefined, potentialSavingsPullSeconds: undefined },
    // compressed estimates depend on the blob compression when it is exact; drop them everywhere
    categories: r.categories?.map((c) => ({ ...c, compressedBytes: undefined })),
    findings: r.findings?.map((f) => ({
      ...f,
      compressedBytes: undefined,
      pullSeconds: undefined,
      ...('layerBytes' in f && { layerBytes: (f as { layerBytes: object[] }).layerBytes.map((l) => ({ ...l, compressedBytes: undefined })) }),
    })),
    packages: r.packages && { ...r.packages, packages: r.packages.packages.map((p) => ({ ...p, compressedBytes: undefined })) },
    pull: undefined,
    // cold-start times follow each layer's codec and compressed bytes
    coldStart: undefined,
    waste: { ...r.waste, topPaths: r.waste.topPaths.map((w) => ({ ...w, compressedBytes: undefined })) },
  };
}

describe('docker-archive source on the generated naive image', () => {
  it('the legacy file report equals the generator’s facts', async () => {
    const src = recording(openDockerArchive(files.legacy!));
    const r = await analyzeImage(src.source);
    ReportSchema.parse(r);
    expect(r.image.source).toMatchObject({ format: 'docker-archive-legacy' });
    expect(src.loaded().source.fastPath).toBe(true);
    expect(r.image.source).not.toHaveProperty('fastPath');
    expect(r.image.repoTags).toEqual([facts.repoTag]);
    expect(r.summary.layers).toBe(facts.layers.length);
    expect(r.summary.historyEntries).toBe(facts.historyCount);
    expect(r.history.filter((h) => h.emptyLayer)).toHaveLength(facts.emptyLayerCount);
    expect(r.layers.map((l) => l.contentBytes)).toEqual(facts.layers.map((l) => l.contentBytes));
    expect(r.layers.map((l) => l.entries)).toEqual(facts.layers.map((l) => l.entryCount));
    expect(r.layers.map((l) => l.files)).toEqual(facts.layers.map((l) => l.fileCount));
    expect(r.layers.map((l) => l.instruction)).toEqual(facts.layers.map((l) => l.createdBy));
    expect(r.summary.contentBytes).toBe(facts.totals.shipped);
    expect(r.summary.visibleBytes).toBe(facts.totals.visible);
    expect(r.summary.overwrittenBytes).toBe(facts.totals.overwritten);
    expect(r.summary.deletedBytes).toBe(facts.totals.deleted);
    expect(r.summary.wastedBytes).toBe(facts.totals.wasted);
  });

  it.each(['oci', 'ociGzipLayers', 'ociZstdLayers', 'legacyGz', 'legacyZst'])('%s gives the same report as the legacy file', async (name) => {
    const base = await analyzeImage(openDockerArchive(files.legacy!));
    const src = recording(openDockerArchive(files[name]!));
    const r = await analyzeImage(src.source);
    expect(comparable(r)).toEqual(comparable(base));
    if (name.startsWith('oci')) expect(r.image.source.format).toBe('docker-archive-oci');
    if (name === 'ociGzipLayers') {
      expect(r.layers.every((l) => l.compression === 'gzip' && l.compressedBytesExact)).toBe(true);
      expect(r.summary.compressedBytesExact).toBe(true);
    }
    if (name === 'legacyGz') {
      expect(r.image.source).toMatchObject({ inputCompression: 'gzip' });
      expect(src.loaded().source.fastPath).toBe(false);
    }
  });

  it('a stream (stdin) gives the same report as the file, on every layout', async () => {
    for (const name of ['legacy', 'oci', 'ociGzipLayers']) {
      const fromFile = await analyzeImage(openDockerArchive(files[name]!));
      const src = recording(openDockerArchive(createReadStream(files[name]!, { highWaterMark: 7919 }), { name: files[name]! }));
      const fromStream = await analyzeImage(src.source);
      expect(src.loaded().source.fastPath).toBe(false);
      expect(comparable(fromStream)).toEqual(comparable(fromFile));
    }
  });

  it('the CLI prints exactly the library report with --json, from a file and from stdin', () => {
    const cli = join(__dirname, '../../packages/cli/dist/main.js');
    const fromFile = JSON.parse(execFileSync('node', [cli, 'analyze', files.legacy!, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
    const fromStdin = JSON.parse(
      execFileSync('node', [cli, 'analyze', '-', '--json'], { input: readFileSync(files.legacyGz!), encoding: 'utf8', maxBuffer: 64 << 20 }),
    );
    expect(fromFile.summary).toEqual(fromStdin.summary);
    expect(ReportSchema.parse(fromFile).schemaVersion).toBe(2);
  });

  it('writes nothing next to the input and leaves no temp files', async () => {
    const before = execFileSync('ls', ['-A', dir], { encoding: 'utf8' });
    await analyzeImage(openDockerArchive(files.legacyGz!));
    expect(execFileSync('ls', ['-A', dir], { encoding: 'utf8' })).toBe(before);
    writeFileSync(join(dir, 'marker'), '');
  });
});
