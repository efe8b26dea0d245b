/**
 * Archives and layouts as other tools write them (issue 11, "Reading what other tools write"):
 * jib's lowercase manifest keys, Docker's name normalization for --image, config digests from
 * the bytes, GNU/PAX sparse files (made by GNU tar itself), lossless eStargz TOCs, uncompressed
 * OCI layers, and a clear message for each format imgsize does not read.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage } from '../../packages/core/src/analyze.js';
import type { ImgsizeError } from '../../packages/core/src/errors.js';
import { openDockerArchive } from '../../packages/core/src/sources/docker-archive.js';
import { openOciLayout } from '../../packages/core/src/sources/oci-layout.js';
import { makeTar, type TarSpec } from '../helpers/tar.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgsize-other-tools-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function errorOf(p: Promise<unknown>): Promise<ImgsizeError> {
  try {
    await p;
  } catch (e) {
    return e as ImgsizeError;
  }
  throw new Error('expected a rejection');
}

function configOf(layers: Buffer[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    history: layers.map((_, i) => ({ created_by: `RUN step ${i}` })),
    rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${sha(l)}`) },
    ...extra,
  });
}

async function fileLayer(name: string, bytes: number): Promise<Buffer> {
  return makeTar([{ name, content: Buffer.alloc(bytes, 7) }]);
}

async function writeArchive(name: string, entries: TarSpec[]): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, await makeTar(entries));
  return p;
}

describe('docker-save archives written by other tools', () => {
  it('jib buildTar: lowercase config/repoTags/layers keys are read as docker load reads them', async () => {
    const layer = await fileLayer('app/app.jar', 5000);
    const cfg = configOf([layer]);
    const entries = (keys: [string, string, string]): TarSpec[] => [
      { name: `${sha(layer)}.tar.gz`, content: gzipSync(layer) },
      { name: 'config.json', content: cfg },
      { name: 'manifest.json', content: JSON.stringify([{ [keys[0]]: 'config.json', [keys[1]]: ['jib/app:1'], [keys[2]]: [`${sha(layer)}.tar.gz`] }]) },
    ];
    const lower = await analyzeImage(openDockerArchive(await writeArchive('jib.tar', entries(['config', 'repoTags', 'layers']))));
    const upper = await analyzeImage(openDockerArchive(await writeArchive('docker.tar', entries(['Config', 'RepoTags', 'Layers']))));
    expect(lower.image.repoTags).toEqual(['jib/app:1']);
    expect(lower.summary.contentBytes).toBe(5000);
    expect({ ...lower, image: upper.image }).toEqual(upper);
    expect(lower.image.source.ref).toMatch(/jib\.tar$/);
  });

  it('--image matches names as Docker normalizes them', async () => {
    const a = await fileLayer('a', 100);
    const b = await fileLayer('b', 200);
    const ca = configOf([a]);
    const cb = configOf([b], { author: 'b' });
    const p = await writeArchive('two.tar', [
      { name: 'a/layer.tar', content: a },
      { name: 'b/layer.tar', content: b },
      { name: `${sha(ca)}.json`, content: ca },
      { name: `${sha(cb)}.json`, content: cb },
      {
        name: 'manifest.json',
        content: JSON.stringify([
          { Config: `${sha(ca)}.json`, RepoTags: ['test_image_1:latest'], Layers: ['a/layer.tar'] },
          { Config: `${sha(cb)}.json`, RepoTags: ['ghcr.io/org/other:2'], Layers: ['b/layer.tar'] },
        ]),
      },
    ]);
    for (const name of ['test_image_1', 'test_image_1:latest', 'docker.io/library/test_image_1', 'index.docker.io/library/test_image_1:latest', 'library/test_image_1']) {
      const r = await analyzeImage(openDockerArchive(p), { image: name });
      expect(r.summary.contentBytes, name).toBe(100);
    }
    expect((await analyzeImage(openDockerArchive(p), { image: 'ghcr.io/org/other:2' })).summary.contentBytes).toBe(200);
    expect((await analyzeImage(openDockerArchive(p), { image: sha(cb).slice(0, 12) })).summary.contentBytes).toBe(200);
    expect((await errorOf(analyzeImage(openDockerArchive(p), { image: 'test_image_1:2' }))).code).toBe('E_IMAGE_NOT_FOUND');
  });

  it('configDigest is the digest of the config bytes analysed: kaniko/buildah `sha256:<hex>` members and repeated names', async () => {
    const layer = await fileLayer('f', 10);
    const cfg = configOf([layer]);
    const kaniko = await writeArchive('kaniko.tar', [
      { name: `sha256:${sha(cfg)}`, content: cfg },
      { name: `${sha(layer)}.tar`, content: layer },
      { name: 'manifest.json', content: JSON.stringify([{ Config: `sha256:${sha(cfg)}`, RepoTags: ['k:1'], Layers: [`${sha(layer)}.tar`] }]) },
    ]);
    expect((await analyzeImage(openDockerArchive(kaniko))).image.configDigest).toBe(`sha256:${sha(cfg)}`);
    // Two members named config.json: extraction keeps the last, and so does the digest.
    const stale = configOf([layer], { author: 'stale' });
    const dup = await writeArchive('dup.tar', [
      { name: 'config.json', content: stale },
      { name: 'l.tar', content: layer },
      { name: 'config.json', content: cfg },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'config.json', RepoTags: ['d:1'], Layers: ['l.tar'] }]) },
    ]);
    const r = await analyzeImage(openDockerArchive(dup));
    expect(r.image.configDigest).toBe(`sha256:${sha(cfg)}`);
    expect(r.warnings.map((w) => w.code)).toContain('W_ARCHIVE_DUPLICATE');
  });

  it('a pre-1.10 save (repositories only) is a clear E_UNSUPPORTED', async () => {
    const p = await writeArchive('old.tar', [
      { name: 'repositories', content: JSON.stringify({ busybox: { latest: 'abc' } }) },
      { name: 'abc/layer.tar', content: await fileLayer('x', 1) },
      { name: 'abc/json', content: '{}' },
    ]);
    const e = await errorOf(analyzeImage(openDockerArchive(p)));
    expect(e.code).toBe('E_UNSUPPORTED');
    expect(e.message).toMatch(/pre-1\.10/);
    expect(e.hint).toMatch(/docker save/);
  });

  it('xz and bzip2 archives (and layers) are a clear E_UNSUPPORTED naming the codec', async () => {
    const layer = await fileLayer('f', 10);
    const cfg = configOf([layer]);
    const plain = await writeArchive('plain.tar', [
      { name: 'l.tar', content: layer },
      { name: 'c.json', content: cfg },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l.tar'] }]) },
    ]);
    for (const [tool, kind] of [
      ['xz', 'xz'],
      ['bzip2', 'bzip2'],
    ] as const) {
      const out = join(dir, `plain.tar.${kind}`);
      await writeFile(out, execFileSync(tool, ['-c', plain]));
      for (const input of [out, Readable.from([await readFile(out)])]) {
        const e = await errorOf(analyzeImage(openDockerArchive(input)));
        expect(e.code, kind).toBe('E_UNSUPPORTED');
        expect(e.message).toContain(`${kind}-compressed`);
      }
      // The same codec on a layer blob inside a plain archive.
      const inner = await writeArchive(`inner-${kind}.tar`, [
        { name: 'l.tar', content: execFileSync(tool, ['-c'], { input: layer }) },
        { name: 'c.json', content: cfg },
        { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l.tar'] }]) },
      ]);
      for (const input of [inner, Readable.from([await readFile(inner)])]) {
        const e = await errorOf(analyzeImage(openDockerArchive(input)));
        expect(e.code, `${kind} layer`).toBe('E_UNSUPPORTED');
      }
    }
  });
});

describe('sparse files, as GNU tar writes them (old GNU and PAX 0.0, 0.1, 1.0)', () => {
  const formats: Array<[string, string[]]> = [
    ['gnu', ['--format=gnu']],
    ['pax00', ['--format=posix', '--sparse-version=0.0']],
    ['pax01', ['--format=posix', '--sparse-version=0.1']],
    ['pax10', ['--format=posix', '--sparse-version=1.0']],
  ];
  let tree: string;
  beforeAll(async () => {
    tree = join(dir, 'sparse-tree');
    await mkdir(join(tree, 'opt'), { recursive: true });
    // 5 MB with two 5-byte islands; 3 MB with 30 islands (old GNU needs extension blocks for > 4).
    await writeFile(join(tree, 'opt/holes.bin'), '');
    await truncate(join(tree, 'opt/holes.bin'), 5_242_880);
    const fh = await open(join(tree, 'opt/holes.bin'), 'r+');
    await fh.write(Buffer.from('hello'), 0, 5, 1_000_000);
    await fh.write(Buffer.from('world'), 0, 5, 4_000_000);
    await fh.close();
    const many = await open(join(tree, 'opt/many.bin'), 'w');
    for (let i = 1; i <= 30; i++) await many.write(Buffer.from('x'), 0, 1, i * 100_000);
    await many.close();
    await writeFile(join(tree, 'opt/plain.txt'), 'plain file\n');
  });

  for (const [name, flags] of formats) {
    it(`${name}: the real path and the logical size; stored bytes in a W_SPARSE warning; fast = stream`, async () => {
      const layer = execFileSync('tar', ['--sparse', ...flags, '-C', tree, '-cf', '-', 'opt'], { maxBuffer: 64 << 20 });
      const cfg = configOf([layer]);
      const p = await writeArchive(`sparse-${name}.tar`, [
        { name: 'l.tar', content: layer },
        { name: 'c.json', content: cfg },
        { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: ['s:1'], Layers: ['l.tar'] }]) },
      ]);
      const fast = await analyzeImage(openDockerArchive(p), { includeFiles: true });
      const stream = await analyzeImage(openDockerArchive(Readable.from([await readFile(p)])), { includeFiles: true });
      const rows = new Map(fast.files!.entries.map((r) => [r[0], r[1]]));
      expect(rows.get('/opt/holes.bin')).toBe(5_242_880);
      expect(rows.get('/opt/many.bin')).toBe(3_000_001);
      expect(rows.get('/opt/plain.txt')).toBe(11);
      expect([...rows.keys()].some((k) => k.includes('GNUSparseFile'))).toBe(false);
      expect(fast.summary.contentBytes).toBe(5_242_880 + 3_000_001 + 11);
      const w = fast.warnings.find((x) => x.code === 'W_SPARSE');
      expect(w?.message).toMatch(/^2 sparse files: counted at 8242881 bytes .* stores \d+ bytes/);
      expect(Number(/stores (\d+) bytes/.exec(w!.message)![1])).toBeLessThan(200_000);
      expect({ ...stream, image: fast.image }).toEqual(fast);
    });
  }
});

describe('eStargz written losslessly: the TOC after the end-of-archive marker is known', () => {
  it('no W_LAYER_TAR warning for the TOC; other trailing data still warns', async () => {
    const original = await makeTar([{ name: 'usr/bin/tool', content: Buffer.alloc(3000, 1) }]);
    const toc = await makeTar([{ name: 'stargz.index.json', content: JSON.stringify({ version: 1, entries: [] }) }]);
    // Footer (estargz.md): an empty gzip member whose extra field holds "%016xSTARGZ" (TOC offset).
    const tocOffset = gzipSync(original).length;
    const extra = Buffer.concat([Buffer.from('SG'), Buffer.from([22, 0]), Buffer.from(`${tocOffset.toString(16).padStart(16, '0')}STARGZ`)]);
    const footer = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff]),
      Buffer.from([extra.length, 0]),
      extra,
      Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]),
      Buffer.alloc(8),
    ]);
    expect(footer.length).toBe(51);
    const blob = Buffer.concat([gzipSync(original), gzipSync(toc), footer]);
    const diff = Buffer.concat([original, toc]);
    const archive = async (layerBlob: Buffer, diffTar: Buffer, name: string): Promise<string> =>
      writeArchive(name, [
        { name: 'l.tar.gz', content: layerBlob },
        { name: 'c.json', content: configOf([diffTar]) },
        { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: ['e:1'], Layers: ['l.tar.gz'] }]) },
      ]);
    const r = await analyzeImage(openDockerArchive(await archive(blob, diff, 'estargz.tar')));
    expect(r.warnings.filter((w) => w.code === 'W_LAYER_TAR')).toEqual([]);
    expect(r.summary.contentBytes).toBe(3000);
    expect(r.summary.files).toBe(1);
    const junk = Buffer.concat([original, Buffer.from('garbage after the end')]);
    const r2 = await analyzeImage(openDockerArchive(await archive(gzipSync(junk), junk, 'junk.tar')));
    expect(r2.warnings.filter((w) => w.code === 'W_LAYER_TAR').map((w) => w.message).join()).toMatch(/non-zero data after the end-of-archive marker/);
  });
});

/** A minimal OCI layout written by hand. */
class Layout {
  constructor(readonly root: string) {}
  static async create(name: string): Promise<Layout> {
    const l = new Layout(join(dir, name));
    await mkdir(join(l.root, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(l.root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    return l;
  }
  async blob(mediaType: string, body: Buffer | string, write = true): Promise<{ mediaType: string; digest: string; size: number }> {
    const b = Buffer.from(body);
    if (write) await writeFile(join(this.root, 'blobs', 'sha256', sha(b)), b);
    return { mediaType, digest: `sha256:${sha(b)}`, size: b.length };
  }
  async index(manifests: unknown[]): Promise<void> {
    await writeFile(join(this.root, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  }
  async image(
    layers: Array<{ tar: Buffer; mediaType?: string; missing?: boolean; body?: Buffer }>,
    configMediaType = 'application/vnd.oci.image.config.v1+json',
    annotations?: Record<string, string>,
  ) {
    const descs = [];
    for (const l of layers) descs.push(await this.blob(l.mediaType ?? 'application/vnd.oci.image.layer.v1.tar+gzip', l.body ?? gzipSync(l.tar), !l.missing));
    const config = await this.blob(configMediaType, configOf(layers.map((l) => l.tar)));
    return this.blob('application/vnd.oci.image.manifest.v1+json', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: descs, ...(annotations && { annotations }) }));
  }
}

describe('OCI layouts written by other tools', () => {
  it('an uncompressed OCI layer: the pull size is the blob size (exact), not a gzip estimate', async () => {
    const tar = await fileLayer('usr/lib/big.so', 50_000);
    const l = await Layout.create('plain-layer');
    await l.index([await l.image([{ tar, mediaType: 'application/vnd.oci.image.layer.v1.tar', body: tar }])]);
    const r = await analyzeImage(openOciLayout(l.root));
    expect(r.layers[0]!.compressedBytes).toBe(tar.length);
    expect(r.layers[0]!.compressedBytesExact).toBe(true);
    expect(r.summary.compressedBytes).toBe(tar.length);
  });

  it('a missing non-distributable (foreign) layer: the rest is analysed, with a W_FOREIGN_LAYER warning', async () => {
    const base = await fileLayer('Windows/System32/kernel.dll', 1000);
    const app = await fileLayer('app/app.exe', 700);
    const l = await Layout.create('foreign');
    await l.index([
      await l.image([
        { tar: base, mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', missing: true },
        { tar: app },
      ]),
    ]);
    const r = await analyzeImage(openOciLayout(l.root));
    expect(r.summary.contentBytes).toBe(700);
    expect(r.warnings.find((w) => w.code === 'W_FOREIGN_LAYER')).toMatchObject({ layer: 0 });
  });

  it('manifest annotations reach the report: org.opencontainers.image.base.name names the base image (issue 15)', async () => {
    const l = await Layout.create('annotated');
    const ann = { 'org.opencontainers.image.base.name': 'docker.io/library/debian:bookworm', 'org.opencontainers.image.base.digest': `sha256:${'b'.repeat(64)}` };
    await l.index([await l.image([{ tar: await fileLayer('etc/os', 10) }, { tar: await fileLayer('app/a', 20) }], undefined, ann)]);
    const r = await analyzeImage(openOciLayout(l.root));
    expect(r.baseImage).toMatchObject({ method: 'annotation', name: 'docker.io/library/debian:bookworm' });
  });

  it('a missing ordinary layer is still E_LAYER_MISSING', async () => {
    const l = await Layout.create('missing');
    await l.index([await l.image([{ tar: await fileLayer('a', 1), missing: true }])]);
    expect((await errorOf(analyzeImage(openOciLayout(l.root)))).code).toBe('E_LAYER_MISSING');
  });

  it('a Helm chart, an attestation and a schema1 manifest are E_UNSUPPORTED, each named', async () => {
    const helm = await Layout.create('helm');
    const chart = await helm.blob('application/vnd.cncf.helm.chart.content.v1.tar+gzip', gzipSync(Buffer.from('chart')));
    const hcfg = await helm.blob('application/vnd.cncf.helm.config.v1+json', '{"name":"c","version":"1.0.0"}');
    await helm.index([await helm.blob('application/vnd.oci.image.manifest.v1+json', JSON.stringify({ schemaVersion: 2, config: hcfg, layers: [chart] }))]);
    const e1 = await errorOf(analyzeImage(openOciLayout(helm.root)));
    expect([e1.code, e1.message]).toEqual(['E_UNSUPPORTED', expect.stringMatching(/Helm chart, not a container image/)]);

    const att = await Layout.create('attestation');
    const stmt = await att.blob('application/vnd.in-toto+json', '{"_type":"https://in-toto.io/Statement/v0.1"}');
    const acfg = await att.blob('application/vnd.oci.image.config.v1+json', configOf([]));
    await att.index([await att.blob('application/vnd.oci.image.manifest.v1+json', JSON.stringify({ schemaVersion: 2, config: acfg, layers: [stmt] }))]);
    expect((await errorOf(analyzeImage(openOciLayout(att.root)))).message).toMatch(/in-toto attestation/);

    const s1 = await Layout.create('schema1');
    const m1 = await s1.blob('application/vnd.docker.distribution.manifest.v1+prettyjws', JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [], history: [] }));
    await s1.index([m1]);
    const e3 = await errorOf(analyzeImage(openOciLayout(s1.root)));
    expect([e3.code, e3.message]).toEqual(['E_UNSUPPORTED', expect.stringMatching(/schema1/)]);
  });

  it('index.json: images are counted by digest; a tag on two digests is named; attestations are not platforms', async () => {
    const l = await Layout.create('refs');
    const a = await l.image([{ tar: await fileLayer('a', 10) }]);
    const b = await l.image([{ tar: await fileLayer('b', 20) }]);
    const ref = (d: typeof a, name: string) => ({ ...d, annotations: { 'org.opencontainers.image.ref.name': name } });
    // Two references to one image: not ambiguous.
    await l.index([ref(a, '1.0'), ref(a, 'latest')]);
    expect((await analyzeImage(openOciLayout(l.root))).summary.contentBytes).toBe(10);
    // Two images: ambiguous, counted as images and references.
    await l.index([ref(a, '1.0'), ref(a, 'latest'), ref(b, '2.0')]);
    const e = await errorOf(analyzeImage(openOciLayout(l.root)));
    expect([e.code, e.message]).toEqual(['E_IMAGE_AMBIGUOUS', expect.stringMatching(/holds 2 images \(3 references\)/)]);
    // One tag on two digests.
    await l.index([ref(a, 'latest'), ref(b, 'latest')]);
    const e2 = await errorOf(analyzeImage(openOciLayout(l.root), { image: 'latest' }));
    expect(e2.code).toBe('E_IMAGE_AMBIGUOUS');
    expect(e2.message).toMatch(/names 2 different images/);
    expect(e2.hint).toContain(a.digest);
    // A multi-platform index with a buildx attestation: the hint lists real platforms only.
    const att = await l.blob('application/vnd.oci.image.manifest.v1+json', '{}', false);
    await l.index([
      { ...a, platform: { os: 'linux', architecture: 'amd64' } },
      { ...b, platform: { os: 'linux', architecture: 'arm64' } },
      { ...att, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    ]);
    const e3 = await errorOf(analyzeImage(openOciLayout(l.root, { platform: 'linux/s390x' } as never)));
    expect(e3.code).toBe('E_PLATFORM');
    expect(e3.hint).toMatch(/linux\/amd64, linux\/arm64 \(and 1 attestation manifest, which are not images\)/);
    expect(e3.hint).not.toMatch(/unknown/);
  });
});
