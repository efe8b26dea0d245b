import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLayerCache, defaultCacheDir, scanVariant, type CachedLayer } from './layer-cache.js';
import { definePlugin } from './layer-scan.js';

const KEY = `sha256:${'ab'.repeat(32)}`;
const DIFF = `sha256:${'cd'.repeat(32)}`;

function sample(): CachedLayer {
  return {
    key: KEY,
    diffId: DIFF,
    blobSize: 1234,
    compression: 'gzip',
    scan: {
      entries: [
        { path: 'etc', type: 'dir', size: 0, mode: 0o755 },
        { path: 'etc/hosts', type: 'file', size: 10, mode: 0o644, csize: 7.5 },
        { path: 'bin/sh', type: 'symlink', size: 0, mode: 0o777, linkTarget: 'busybox' },
      ],
      tarBytes: 10240,
      contentBytes: 10,
      captured: [{ path: 'var/lib/dpkg/status', content: Buffer.from([0, 1, 2, 255]), truncated: false }],
      estimatedCompressedBytes: 999,
      warnings: [{ code: 'W_LAYER_TAR', message: 'a warning' }],
    },
  };
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('layer cache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgsize-cache-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips a scan, captured bytes and estimates included', async () => {
    const c = createLayerCache({ dir });
    expect(await c.get(KEY)).toBeUndefined();
    await c.put(sample());
    expect(await c.get(KEY)).toEqual(sample());
    const written = await files(dir);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/layers\/v2\/sha256\/ab\/(ab){32}\.[0-9a-f]{12}\.json\.gz$/);
  });

  it('keeps scan variants apart', async () => {
    const c = createLayerCache({ dir });
    await c.put(sample(), 'plugins=sampler');
    expect(await c.get(KEY)).toBeUndefined();
    expect((await c.get(KEY, 'plugins=sampler'))?.scan.contentBytes).toBe(10);
  });

  it('ignores corrupt, foreign and mismatched entries; the next put rewrites them', async () => {
    const c = createLayerCache({ dir });
    await c.put(sample());
    const [file] = await files(dir);
    for (const bad of [
      Buffer.from('garbage'),
      gzipSync('{"not":"ours"}'),
      gzipSync(JSON.stringify({ ...JSON.parse((await import('node:zlib')).gunzipSync(await readFile(file!)).toString()), version: 99 })),
      gzipSync(JSON.stringify({ ...JSON.parse((await import('node:zlib')).gunzipSync(await readFile(file!)).toString()), key: `sha256:${'ef'.repeat(32)}` })),
    ]) {
      await writeFile(file!, bad);
      expect(await c.get(KEY)).toBeUndefined();
    }
    await c.put(sample());
    expect(await c.get(KEY)).toEqual(sample());
  });

  it('writes atomically: no temp files are left, and keys that are not digests are never paths', async () => {
    const c = createLayerCache({ dir });
    await Promise.all(Array.from({ length: 8 }, () => c.put(sample())));
    expect((await files(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    await c.put({ ...sample(), key: '../../etc/passwd' });
    expect(await c.get('../../etc/passwd')).toBeUndefined();
    expect(await files(dir)).toHaveLength(1);
  });

  it('a put into an unwritable place is swallowed', async () => {
    const notADir = join(dir, 'file');
    await writeFile(notADir, 'x');
    const c = createLayerCache({ dir: notADir });
    await expect(c.put(sample())).resolves.toBeUndefined();
    expect(await c.get(KEY)).toBeUndefined();
  });

  it('defaults to $XDG_CACHE_HOME/imgsize, else ~/.cache/imgsize', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/imgsize');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(join(homedir(), '.cache', 'imgsize'));
    expect(defaultCacheDir({})).toBe(join(homedir(), '.cache', 'imgsize'));
    expect(createLayerCache({ env: { XDG_CACHE_HOME: '/y' } }).dir).toBe('/y/imgsize');
  });

  it('names scan variants from the scan options and the plugins\' ids and versions', () => {
    expect(scanVariant(undefined)).toBe('default');
    expect(scanVariant({})).toBe('default');
    const plugin = () => ({ want: () => null, data: () => undefined, entryEnd: () => undefined, finish: () => undefined });
    expect(scanVariant({ plugins: [definePlugin('x/sampler', '2', plugin)], maxCaptureBytes: 5 })).toBe('maxCapture=5;plugins=[["x/sampler","2"]]');
    expect(scanVariant({ maxCaptureBytes: 5 })).toBe(scanVariant(undefined, { maxMetadataFileBytes: 5 }));
    // Distinct ids or versions never share a variant; ids cannot be forged by punctuation.
    const variants = [
      [definePlugin('a', '1', plugin)],
      [definePlugin('a', '2', plugin)],
      [definePlugin('b', '1', plugin)],
      [definePlugin('a,b', '1', plugin)],
      [definePlugin('a', '1', plugin), definePlugin('b', '1', plugin)],
    ].map((plugins) => scanVariant({ plugins }));
    expect(new Set(variants).size).toBe(variants.length);
  });

  it('a scan that cannot be named is never cached: anonymous plugins, custom capture functions', () => {
    // Regression: anonymous plugins and the default sampler were both `plugins=anonymous`.
    const plugin = () => ({ want: () => null, data: () => undefined, entryEnd: () => undefined, finish: () => undefined });
    expect(scanVariant({ plugins: [plugin] })).toBeUndefined();
    expect(scanVariant({ plugins: [definePlugin('a', '1', plugin), plugin] })).toBeUndefined();
    expect(scanVariant({ capture: () => true })).toBeUndefined();
  });
});
