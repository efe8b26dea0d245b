/**
 * The OCI layout source on layouts written in code (no services needed): tag selection by
 * `org.opencontainers.image.ref.name`, nested indexes and platforms, the positional fast path for
 * uncompressed layers, and the guards: digests validated before they become paths, blobs that
 * link outside the layout, size and digest mismatches, missing blobs and index.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobPath, openOciLayout } from '../../packages/core/src/sources/oci-layout.js';
import { layerTar } from './fixture-image.js';
import { makeTmp } from './helpers.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

class LayoutWriter {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  async blob(mediaType: string, body: Buffer | string): Promise<Desc> {
    const b = Buffer.from(body);
    const hex = createHash('sha256').update(b).digest('hex');
    await writeFile(join(this.dir, 'blobs', 'sha256', hex), b);
    return { mediaType, digest: `sha256:${hex}`, size: b.length };
  }

  /** An image: config + layers (each gzip'd unless `plain`). */
  async image(arch: string, files: string[], plain = false): Promise<Desc> {
    const tars = await Promise.all(files.map((f) => layerTar([{ path: 'app/', type: 'dir' }, { path: `app/${f}`, size: 1000 + f.length, fill: 'text' }])));
    const layers: Desc[] = [];
    for (const t of tars) {
      layers.push(plain ? await this.blob('application/vnd.oci.image.layer.v1.tar', t) : await this.blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(t)));
    }
    const config = await this.blob(
      'application/vnd.oci.image.config.v1+json',
      JSON.stringify({
        architecture: arch,
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${createHash('sha256').update(t).digest('hex')}`) },
        history: files.map((f) => ({ created_by: `COPY ${f} /app/` })),
      }),
    );
    return this.blob(OCI_MANIFEST, JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers }));
  }

  async index(manifests: Desc[], file?: 'index.json'): Promise<Desc> {
    const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
    if (file) {
      await writeFile(join(this.dir, file), body);
      return { mediaType: OCI_INDEX, digest: '', size: body.length };
    }
    return this.blob(OCI_INDEX, body);
  }
}

describe('OCI layout source', () => {
  let tmp: Awaited<ReturnType<typeof makeTmp>>;
  let root: string;
  let w: LayoutWriter;
  let v1Amd: Desc;

  beforeAll(async () => {
    tmp = await makeTmp('oci');
    root = join(tmp.dir, 'layout');
    w = new LayoutWriter(root);
    await w.init();
    v1Amd = await w.image('amd64', ['a.txt', 'b.txt']);
    const v1Arm = await w.image('arm64', ['arm.txt']);
    const nested = await w.index([
      { ...v1Amd, platform: { os: 'linux', architecture: 'amd64' } },
      { ...v1Arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    const plain = await w.image('amd64', ['plain.txt'], true);
    await w.index(
      [
        { ...nested, annotations: { 'org.opencontainers.image.ref.name': 'v1' } },
        { ...plain, annotations: { 'org.opencontainers.image.ref.name': 'plain' } },
      ],
      'index.json',
    );
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('picks a tag, then the host platform through a nested index', async () => {
    const img = await openOciLayout(root, { tag: 'v1', platform: 'linux/amd64' }).load();
    expect(img.source).toMatchObject({ kind: 'oci-layout', format: 'oci-layout' });
    expect(img.repoTags).toEqual(['v1']);
    expect(img.manifestDigest).toBe(v1Amd.digest);
    expect(img.layers.map((l) => l.scan.entries.map((e) => e.path))).toEqual([
      ['app', 'app/a.txt'],
      ['app', 'app/b.txt'],
    ]);
    expect(img.layers.every((l) => l.compression === 'gzip' && (l.compressedSize ?? 0) > 0)).toBe(true);
    const arm = await openOciLayout(root, { tag: 'v1', platform: 'linux/arm64' }).load();
    expect(arm.config.architecture).toBe('arm64');
  });

  it('E_PLATFORM lists the platforms there are', async () => {
    await expect(openOciLayout(root, { tag: 'v1', platform: 'linux/riscv64' }).load()).rejects.toMatchObject({
      code: 'E_PLATFORM',
      hint: expect.stringMatching(/linux\/amd64, linux\/arm64\/v8/),
    });
  });

  it('unknown tag: E_IMAGE_NOT_FOUND listing the tags', async () => {
    await expect(openOciLayout(root, { tag: 'v2' }).load()).rejects.toMatchObject({ code: 'E_IMAGE_NOT_FOUND', hint: expect.stringContaining('v1, plain') });
  });

  it('uncompressed layers take the positional fast path', async () => {
    const img = await openOciLayout(root, { tag: 'plain' }).load();
    expect(img.source.fastPath).toBe(true);
    // The blob as stored is what a pull transfers (issue 11: not a gzip estimate).
    expect(img.layers[0]).toMatchObject({ compression: 'none', compressedSize: (await stat(blobPath(root, img.layers[0]!.digest!))).size });
    expect(img.layers[0]!.scan.entries.map((e) => e.path)).toEqual(['app', 'app/plain.txt']);
  });

  it('several images and no tag: E_IMAGE_AMBIGUOUS', async () => {
    await expect(openOciLayout(root).load()).rejects.toMatchObject({ code: 'E_IMAGE_AMBIGUOUS' });
  });

  it('digests are validated before they become paths', () => {
    expect(() => blobPath(root, 'sha256:../../../../etc/passwd')).toThrow(/not a sha256\/sha512 digest/);
    expect(() => blobPath(root, 'sha256:abc')).toThrow(/not a sha256\/sha512 digest/);
    expect(() => blobPath(root, `md5:${'a'.repeat(32)}`)).toThrow(/not a sha256\/sha512 digest/);
    expect(blobPath(root, `sha256:${'a'.repeat(64)}`)).toBe(join(root, 'blobs', 'sha256', 'a'.repeat(64)));
  });

  async function brokenLayout(name: string, mutate: (w: LayoutWriter, m: Desc, layers: Desc[]) => Promise<Desc[] | void>): Promise<string> {
    const dir = join(tmp.dir, name);
    const lw = new LayoutWriter(dir);
    await lw.init();
    const t = await layerTar([{ path: 'x.bin', size: 50_000 }]);
    const layer = await lw.blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(t));
    const config = await lw.blob(
      'application/vnd.oci.image.config.v1+json',
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(t).digest('hex')}`] } }),
    );
    const layers = (await mutate(lw, layer, [layer])) ?? [layer];
    const m = await lw.blob(OCI_MANIFEST, JSON.stringify({ schemaVersion: 2, config, layers }));
    await lw.index([{ ...m, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }], 'index.json');
    return dir;
  }

  it('a blob that links outside the layout is refused', async () => {
    const dir = await brokenLayout('symlink', async (lw, layer) => {
      const p = join(lw.dir, 'blobs', 'sha256', layer.digest.slice(7));
      const outside = join(tmp.dir, 'outside.bin');
      await writeFile(outside, 'x'.repeat(layer.size));
      await rm(p);
      await symlink(outside, p);
    });
    await expect(openOciLayout(dir).load()).rejects.toMatchObject({ code: 'E_BAD_MANIFEST', message: expect.stringContaining('links outside the layout') });
  });

  it('a traversal digest in a manifest is rejected at the boundary', async () => {
    const dir = await brokenLayout('traversal', async (_lw, layer) => [{ ...layer, digest: 'sha256:..%2f..%2fetc' }]);
    await expect(openOciLayout(dir).load()).rejects.toMatchObject({ code: 'E_BAD_MANIFEST' });
  });

  it('size and content mismatches are E_DIGEST_MISMATCH, a missing blob E_LAYER_MISSING', async () => {
    const size = await brokenLayout('size', async (_lw, layer) => [{ ...layer, size: layer.size + 1 }]);
    await expect(openOciLayout(size).load()).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
    const corrupt = await brokenLayout('corrupt', async (lw, layer) => {
      const p = join(lw.dir, 'blobs', 'sha256', layer.digest.slice(7));
      const bytes = Buffer.alloc(layer.size, 0x41);
      bytes[0] = 0x1f;
      bytes[1] = 0x8b;
      await writeFile(p, bytes);
    });
    await expect(openOciLayout(corrupt).load()).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
    const missing = await brokenLayout('missing', async (lw, layer) => {
      await rm(join(lw.dir, 'blobs', 'sha256', layer.digest.slice(7)));
    });
    await expect(openOciLayout(missing).load()).rejects.toMatchObject({ code: 'E_LAYER_MISSING' });
  });

  it('a directory without index.json: E_NO_MANIFEST; a missing directory: E_IO', async () => {
    const empty = join(tmp.dir, 'empty');
    await mkdir(empty);
    await expect(openOciLayout(empty).load()).rejects.toMatchObject({ code: 'E_NO_MANIFEST' });
    await expect(openOciLayout(join(tmp.dir, 'nope')).load()).rejects.toMatchObject({ code: 'E_IO' });
  });
});
