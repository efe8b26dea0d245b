/**
 * The layer cache wraps every source's blob store (sources/assemble.ts), not only the registry's.
 * Regression: model.ts promised `layerCache` to every source, but OCI layouts and index.json-only
 * archives ignored it. And scans are cached under their plugins' ids and versions: two plugins
 * never share an entry (they used to, both being `plugins=anonymous`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage, createLayerCache, createMemoryLayerCache, definePlugin, openDockerArchive, openOciLayout, type LayerCache, type LayerScanPlugin, type LoadedImage } from '@imgsize/core';
import { smallImage, writeOciLayout } from '../../fixtures/images/index.js';

const dir = mkdtempSync(join(tmpdir(), 'imgsize-cache-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function counting(inner: LayerCache): LayerCache & { hits: string[]; puts: string[]; variants: Set<string> } {
  const hits: string[] = [];
  const puts: string[] = [];
  const variants = new Set<string>();
  return {
    dir: inner.dir,
    hits,
    puts,
    variants,
    async get(key, variant) {
      const r = await inner.get(key, variant);
      if (r) hits.push(key);
      return r;
    },
    async put(entry, variant) {
      puts.push(entry.key);
      variants.add(variant ?? 'default');
      await inner.put(entry, variant);
    },
  };
}

/** A plugin that marks every scan with its own number (in `estimatedCompressedBytes`). */
function marker(n: number): () => LayerScanPlugin {
  return () => ({ want: () => null, data: () => undefined, entryEnd: () => undefined, finish: (scan) => void (scan.estimatedCompressedBytes = n) });
}

const layoutDir = join(dir, 'layout');
const indexOnly = join(dir, 'index-only.tar');
let layerDigests: string[];

beforeAll(async () => {
  const w = await writeOciLayout(smallImage(), layoutDir, { layerCompression: 'gzip' });
  layerDigests = w.layers.map((l) => l.digest);
  // The same layout as a tar: index.json and blobs, no manifest.json (like skopeo's oci-archive:).
  execFileSync('tar', ['-cf', indexOnly, '-C', layoutDir, '.']);
});

const scansOf = (img: LoadedImage): unknown => img.layers.map((l) => l.scan);

describe('the layer cache serves every source', () => {
  for (const [name, open] of [
    ['OCI layout', () => openOciLayout(layoutDir)],
    ['index.json-only archive', () => openDockerArchive(indexOnly)],
  ] as const) {
    it(`${name}: the second load is served from the cache, by blob digest`, async () => {
      const cache = counting(createMemoryLayerCache());
      const first = await open().load({ layerCache: cache });
      expect(cache.hits).toEqual([]);
      // (OCI layouts scan two layers at once: the order of puts may vary)
      expect([...cache.puts].sort()).toEqual([...layerDigests].sort());
      const second = await open().load({ layerCache: cache });
      expect([...cache.hits].sort()).toEqual([...layerDigests].sort());
      expect(scansOf(second)).toEqual(scansOf(first));
      expect(second.layers.map((l) => [l.compression, l.compressedSize])).toEqual(first.layers.map((l) => [l.compression, l.compressedSize]));
      // and the report is the one made without a cache
      const plain = await analyzeImage(open());
      const cached = await analyzeImage(open(), { layerCache: cache });
      expect(cached).toEqual(plain);
    });
  }

  it('an on-disk cache filled from an OCI layout serves the index.json archive of the same blobs', async () => {
    const disk = counting(createLayerCache({ dir: join(dir, 'disk') }));
    await openOciLayout(layoutDir).load({ layerCache: disk });
    await openDockerArchive(indexOnly).load({ layerCache: disk });
    expect([...disk.hits].sort()).toEqual([...layerDigests].sort());
  });
});

describe('plugins have identity', () => {
  it('two plugins with different ids never share a cache entry', async () => {
    const cache = counting(createMemoryLayerCache());
    const a = definePlugin('test/marker-a', '1', marker(1));
    const b = definePlugin('test/marker-b', '1', marker(2));
    const withA = await openOciLayout(layoutDir).load({ layerCache: cache, scan: { plugins: [a] } });
    expect(withA.layers.map((l) => l.scan?.estimatedCompressedBytes)).toEqual(layerDigests.map(() => 1));
    const withB = await openOciLayout(layoutDir).load({ layerCache: cache, scan: { plugins: [b] } });
    expect(cache.hits).toEqual([]);
    expect(withB.layers.map((l) => l.scan?.estimatedCompressedBytes)).toEqual(layerDigests.map(() => 2));
    // A new version of a plugin is another plugin.
    const a2 = definePlugin('test/marker-a', '2', marker(3));
    const withA2 = await openOciLayout(layoutDir).load({ layerCache: cache, scan: { plugins: [a2] } });
    expect(cache.hits).toEqual([]);
    expect(withA2.layers.map((l) => l.scan?.estimatedCompressedBytes)).toEqual(layerDigests.map(() => 3));
    expect(cache.variants.size).toBe(3);
    // Each is still served its own scans.
    const again = await openOciLayout(layoutDir).load({ layerCache: cache, scan: { plugins: [a] } });
    expect([...cache.hits].sort()).toEqual([...layerDigests].sort());
    expect(again.layers.map((l) => l.scan?.estimatedCompressedBytes)).toEqual(layerDigests.map(() => 1));
  });

  it('a plugin without an id is run but its scans are never cached', async () => {
    const cache = counting(createMemoryLayerCache());
    const img = await openOciLayout(layoutDir).load({ layerCache: cache, scan: { plugins: [marker(7)] } });
    expect(img.layers.map((l) => l.scan?.estimatedCompressedBytes)).toEqual(layerDigests.map(() => 7));
    await openOciLayout(layoutDir).load({ layerCache: cache, scan: { plugins: [marker(8)] } });
    expect(cache.puts).toEqual([]);
    expect(cache.hits).toEqual([]);
  });
});

// Issue 16: a cache entry rewritten as valid gzip JSON with wrong numbers (10 entries,
// contentBytes 777, one size 10^12) was served as a hit, with no warning.
describe('a forged on-disk cache entry', () => {
  it('is reported (W_CACHE_CORRUPT), dropped, and the layer scanned again: the report keeps the true numbers', async () => {
    const cacheDir = join(dir, 'forged');
    const open = (): ReturnType<typeof openOciLayout> => openOciLayout(layoutDir);
    const clean = await analyzeImage(open(), { layerCache: createLayerCache({ dir: cacheDir }) });
    expect(clean.warnings).toEqual([]);
    const files = readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(files).toHaveLength(layerDigests.length);
    // Forge the entry of the last layer, naming the file by its new digest as the cache does.
    const victim = layerDigests.length - 1;
    const file = files.find((f) => JSON.parse(gunzipSync(readFileSync(f)).toString()).key === layerDigests[victim])!;
    const json = JSON.parse(gunzipSync(readFileSync(file)).toString());
    json.scan.entries = Array.from({ length: 10 }, (_, i) => [`forged/${i}`, 'file', i === 0 ? 1e12 : 1, 0o644, null, null]);
    json.scan.entryCount = 10;
    json.scan.contentBytes = 777;
    const body = gzipSync(JSON.stringify(json));
    rmSync(file);
    writeFileSync(file.replace(/[0-9a-f]{64}\.json\.gz$/, `${createHash('sha256').update(body).digest('hex')}.json.gz`), body);

    const after = await analyzeImage(open(), { layerCache: createLayerCache({ dir: cacheDir }) });
    expect(after.warnings).toEqual([{ code: 'W_CACHE_CORRUPT', layer: victim, message: expect.stringMatching(/is not trusted: contentBytes is 777 but the file sizes add up to 1000000000009; it was deleted and the layer scanned again/) }]);
    expect({ ...after, warnings: [] }).toEqual(clean);
    // rewritten: the next run is a clean hit
    const again = await analyzeImage(open(), { layerCache: createLayerCache({ dir: cacheDir }) });
    expect(again).toEqual(clean);
  });
});
