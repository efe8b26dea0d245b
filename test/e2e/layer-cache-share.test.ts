/**
 * Diffing two builds that share base layers scans each shared layer once: the second analysis
 * takes the shared layer's scan from the layer cache, keyed by diffID.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeImage, createMemoryLayerCache, openDockerArchive, type LayerCache } from '@imgsize/core';
import { naiveMlImage, optimizedMlImage, writeDockerArchive } from '../../fixtures/images/index.js';

const dir = mkdtempSync(join(tmpdir(), 'imgsize-share-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function counting(inner: LayerCache): LayerCache & { hits: string[]; puts: string[] } {
  const hits: string[] = [];
  const puts: string[] = [];
  return {
    dir: inner.dir,
    hits,
    puts,
    async get(key, variant) {
      const r = await inner.get(key, variant);
      if (r) hits.push(key);
      return r;
    },
    async put(entry, variant) {
      puts.push(entry.key);
      await inner.put(entry, variant);
    },
  };
}

describe('layer scans shared between analyses', () => {
  it('the base layer common to the naive and optimized images is scanned once', async () => {
    const a = join(dir, 'naive.tar');
    const b = join(dir, 'optimized.tar');
    const wa = await writeDockerArchive(naiveMlImage({ scale: 4000 }), a, { layout: 'legacy' });
    const wb = await writeDockerArchive(optimizedMlImage({ scale: 4000 }), b, { layout: 'oci' });
    const ida = wa.layers.map((l) => l.diffId);
    const idb = wb.layers.map((l) => l.diffId);
    const shared = ida.filter((d) => idb.includes(d));
    expect(shared.length).toBeGreaterThan(0);
    const cache = counting(createMemoryLayerCache());
    const ra = await analyzeImage(openDockerArchive(a), { layerCache: cache });
    expect(cache.hits).toEqual([]);
    const rb = await analyzeImage(openDockerArchive(b), { layerCache: cache });
    expect(cache.hits).toEqual(shared);
    expect(cache.puts.filter((k) => shared.includes(k))).toHaveLength(shared.length);
    // and the numbers are the same as without the cache
    const plain = await analyzeImage(openDockerArchive(b));
    expect(rb.summary).toEqual(plain.summary);
    expect(rb.layers.map((l) => l.contentBytes)).toEqual(plain.layers.map((l) => l.contentBytes));
    expect(ra.layers[0]!.diffId).toBe(shared[0]);
  });
});
