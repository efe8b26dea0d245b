/**
 * The source conformance suite (ggcr's validate.Image, run against every source): one image,
 * built in code, read through the docker-archive file, a gzip'd stdin-like stream, the Docker
 * engine, OCI layouts (gzip and uncompressed) and the registry (gzip and zstd layers), must give
 * the same config, layers, diffIDs, entries, captured files and numbers; only how the blobs are
 * compressed (and so their sizes) may differ.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDaemon } from '../../packages/core/src/sources/daemon.js';
import { openDockerArchive } from '../../packages/core/src/sources/docker-archive.js';
import { openOciLayout } from '../../packages/core/src/sources/oci-layout.js';
import { openRegistry } from '../../packages/core/src/sources/registry.js';
import { openSource } from '../../packages/core/src/sources/open-source.js';
import type { ImageSource, LoadedImage } from '../../packages/core/src/model.js';
import { describeServices } from '../services/services.js';
import { smallImage, writeDockerArchive as writeFixtureArchive } from '../../fixtures/images/index.js';
import { conformanceImage, writeDockerArchive, type BuiltArchive } from './fixture-image.js';
import { dockerLoad, dockerOf, makeTmp, normalForm, skopeoCopy, uniqueRepo } from './helpers.js';

describeServices('source conformance: archive, stream, daemon, OCI layout, registry', (svc) => {
  let tmp: Awaited<ReturnType<typeof makeTmp>>;
  let archivePath: string;
  let built: BuiltArchive;
  let baseline: LoadedImage;
  const repo = uniqueRepo('imgsize-test/conformance');
  const tag = `${repo}:v1`;
  const sources: { name: string; open: () => ImageSource; compressed: boolean }[] = [];

  beforeAll(async () => {
    tmp = await makeTmp('conformance');
    archivePath = join(tmp.dir, 'image.tar');
    built = await writeDockerArchive(archivePath, conformanceImage(tag));
    baseline = await openDockerArchive(archivePath).load();
    const docker = dockerOf(svc);
    await dockerLoad(docker, archivePath);
    await Promise.all([
      skopeoCopy(`docker-archive:${archivePath}`, `docker://${svc.registry}/${repo}:gzip`),
      skopeoCopy(`docker-archive:${archivePath}`, `oci:${join(tmp.dir, 'oci-gzip')}:v1`),
      // skopeo 1.9 labels these uncompressed blobs +gzip: the source must trust the bytes.
      skopeoCopy(`docker-archive:${archivePath}`, `oci:${join(tmp.dir, 'oci-plain')}:v1`, ['--dest-oci-accept-uncompressed-layers']),
      skopeoCopy(`docker-archive:${archivePath}`, `oci:${join(tmp.dir, 'oci-zstd')}:v1`, ['--dest-compress', '--dest-compress-format', 'zstd']),
    ]);
    // Straight to the registry, skopeo's blob cache would swap the zstd layers for known gzip ones.
    await skopeoCopy(`oci:${join(tmp.dir, 'oci-zstd')}:v1`, `docker://${svc.registry}/${repo}:zstd`, ['--preserve-digests']);
  });
  afterAll(async () => {
    await dockerOf(svc).getImage(tag).remove({ force: true }).catch(() => undefined);
    await tmp?.cleanup();
  });

  sources.push(
    { name: 'docker-archive file', open: () => openDockerArchive(archivePath), compressed: false },
    {
      name: 'gzip stream (stdin-like)',
      open: () => openDockerArchive(createReadStream(archivePath).pipe(createGzip({ level: 1 })), { name: 'stdin' }),
      compressed: false,
    },
    { name: 'daemon', open: () => openDaemon(tag, { dockerHost: svc.dockerHost }), compressed: false },
    { name: 'OCI layout (gzip layers)', open: () => openOciLayout(join(tmp.dir, 'oci-gzip'), { tag: 'v1' }), compressed: true },
    { name: 'OCI layout (zstd layers)', open: () => openOciLayout(join(tmp.dir, 'oci-zstd'), { tag: 'v1' }), compressed: true },
    { name: 'OCI layout (uncompressed layers, positional fast path)', open: () => openOciLayout(join(tmp.dir, 'oci-plain'), { tag: 'v1' }), compressed: false },
    { name: 'registry (gzip layers)', open: () => openRegistry(`registry://${svc.registry}/${repo}:gzip`, { noCache: true }), compressed: true },
    { name: 'registry (zstd layers)', open: () => openRegistry(`registry://${svc.registry}/${repo}:zstd`, { noCache: true }), compressed: true },
    { name: 'openSource dispatch (registry://)', open: () => openSource(`registry://${svc.registry}/${repo}:gzip`, { noCache: true }), compressed: true },
    { name: 'openSource dispatch (oci:dir:tag)', open: () => openSource(`oci:${join(tmp.dir, 'oci-gzip')}:v1`), compressed: true },
  );

  it('the baseline is the image that was built', () => {
    expect(baseline.config.diffIds).toEqual(built.diffIds);
    expect(baseline.layers.map((l) => l.scan.tarBytes)).toEqual(built.layerTars.map((t) => t.length));
    expect(baseline.layers[0]!.scan.captured.map((c) => c.path)).toContain('var/lib/dpkg/status');
    expect(baseline.layers[2]!.scan.entries.map((e) => e.path)).toContain('var/cache/.wh.junk.bin');
  });

  for (const s of sources) {
    it(`${s.name} gives the same image`, async () => {
      const img = await s.open().load();
      expect(normalForm(img)).toEqual(normalForm(baseline));
      if (s.compressed) {
        for (const l of img.layers) {
          expect(l.compression).not.toBe('none');
          expect(l.compressedSize).toBeGreaterThan(0);
          expect(l.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
        }
      }
    });
  }

  it('layer media types and exact compressed sizes come from the descriptors', async () => {
    const z = await openRegistry(`registry://${svc.registry}/${repo}:zstd`, { noCache: true }).load();
    expect(z.layers.every((l) => l.compression === 'zstd' && l.mediaType?.endsWith('+zstd'))).toBe(true);
    const o = await openOciLayout(join(tmp.dir, 'oci-plain'), { tag: 'v1' }).load();
    expect(o.source.fastPath).toBe(true);
    // An uncompressed blob is what a pull of this layout transfers: its size is the pull size.
    expect(o.layers.every((l) => l.compression === 'none' && l.compressedSize !== undefined && l.compressedSize >= l.scan!.tarBytes)).toBe(true);
    expect(o.warnings.map((w) => w.message).join('\n')).toMatch(/says gzip but the blob is an uncompressed tar/);
    const g = await openRegistry(`registry://${svc.registry}/${repo}:gzip`, { noCache: true }).load();
    const og = await openOciLayout(join(tmp.dir, 'oci-gzip'), { tag: 'v1' }).load();
    // skopeo compressed the same tars the same way for both destinations.
    expect(g.layers.map((l) => l.compressedSize)).toEqual(og.layers.map((l) => l.compressedSize));
    expect(g.source).toMatchObject({ kind: 'registry', format: 'registry' });
    expect(g.manifestDigest).toMatch(/^sha256:/);
  });

  it('metadataOnly reads manifest and config only, and says so', async () => {
    const m = await openRegistry(`registry://${svc.registry}/${repo}:gzip`, { noCache: true, metadataOnly: true }).load();
    expect(m.source.metadataOnly).toBe(true);
    expect(m.config.diffIds).toEqual(built.diffIds);
    expect(m.config.history.map((h) => h.createdBy)).toEqual(baseline.config.history.map((h) => h.createdBy));
    expect(m.layers.every((l) => l.scan === undefined && (l.compressedSize ?? 0) > 0)).toBe(true);
    expect(m.warnings.map((w) => w.message).join(' ')).toMatch(/metadata only/);
  });
});

describeServices("source conformance: the fixture generator's archives (fixtures/images/write.ts)", (svc) => {
  let tmp: Awaited<ReturnType<typeof makeTmp>>;
  beforeAll(async () => {
    tmp = await makeTmp('fixture-conformance');
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  for (const layout of ['legacy', 'oci'] as const) {
    it(`${layout} archive: file, docker load + daemon, and registry agree`, async () => {
      const img = smallImage();
      const repo = uniqueRepo('imgsize-test/fixture-small');
      img.repoTag = `${repo}:${layout}`;
      const path = join(tmp.dir, `small-${layout}.tar`);
      await writeFixtureArchive(img, path, { layout, layerCompression: layout === 'oci' ? 'gzip' : undefined });
      const fromFile = await openDockerArchive(path).load();
      const docker = dockerOf(svc);
      await dockerLoad(docker, path);
      try {
        const fromDaemon = await openDaemon(img.repoTag, { dockerHost: svc.dockerHost }).load();
        expect(normalForm(fromDaemon)).toEqual(normalForm(fromFile));
      } finally {
        await docker.getImage(img.repoTag).remove({ force: true }).catch(() => undefined);
      }
      await skopeoCopy(`docker-archive:${path}`, `docker://${svc.registry}/${repo}:${layout}`);
      const fromRegistry = await openRegistry(`registry://${svc.registry}/${repo}:${layout}`, { noCache: true }).load();
      expect(normalForm(fromRegistry)).toEqual(normalForm(fromFile));
    });
  }
});
