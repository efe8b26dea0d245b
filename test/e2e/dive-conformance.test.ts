/**
 * The dive project's own test image (shared/conformance/dive) must reproduce every number dive's
 * tests assert, on both readers: the seekable fast path and the single-pass stream (stdin).
 */
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeImage, openDockerArchive, type Report } from '@imgsize/core';
import { recording } from '../helpers/loaded.js';

const FIXTURE = fileURLToPath(new URL('../../../shared/conformance/dive/test-docker-image.tar', import.meta.url));

const EXPECTED = {
  layers: 14,
  imageSize: 1220598,
  userSize: 66237,
  efficiency: 0.9844212134184309,
  wasted: 32025,
  userWastedPercent: 0.4834911001404049,
  layerSizes: [1154361, 6405, 0, 6405, 6405, 6405, 6405, 6405, 6405, 0, 2187, 6405, 6405, 6405],
  inefficient: [
    { path: '/root/saved.txt', count: 2, cumulativeBytes: 12810 },
    { path: '/root/example/somefile1.txt', count: 2, cumulativeBytes: 12810 },
    { path: '/root/example/somefile3.txt', count: 2, cumulativeBytes: 6405 },
  ],
};

function checkDive(r: Report): void {
  expect(r.summary.layers).toBe(EXPECTED.layers);
  expect(r.layers.map((l) => l.contentBytes)).toEqual(EXPECTED.layerSizes);
  expect(r.dive.imageSizeBytes).toBe(EXPECTED.imageSize);
  expect(r.dive.userSizeBytes).toBe(EXPECTED.userSize);
  expect(r.dive.efficiency).toBe(EXPECTED.efficiency);
  expect(r.dive.wastedBytes).toBe(EXPECTED.wasted);
  expect(r.dive.userWastedPercent).toBe(EXPECTED.userWastedPercent);
  // dive lists equal cumulative sizes in no fixed order; compare as sets, sizes in order
  expect(r.dive.inefficientFiles.map((f) => f.cumulativeBytes)).toEqual(EXPECTED.inefficient.map((f) => f.cumulativeBytes));
  expect(new Set(r.dive.inefficientFiles.map((f) => JSON.stringify(f)))).toEqual(new Set(EXPECTED.inefficient.map((f) => JSON.stringify(f))));
}

if (!existsSync(FIXTURE) && process.env.CI === 'true') throw new Error(`CI=true but the dive fixture is missing: ${FIXTURE}`);

describe.skipIf(!existsSync(FIXTURE))('dive conformance fixture', () => {
  it('fast path reproduces dive’s numbers', async () => {
    const src = recording(openDockerArchive(FIXTURE));
    const r = await analyzeImage(src.source);
    expect(src.loaded().source.fastPath).toBe(true);
    checkDive(r);
  });

  it('stream path (as from stdin) reproduces the same numbers and the same report', async () => {
    const fast = await analyzeImage(openDockerArchive(FIXTURE));
    const src = recording(openDockerArchive(createReadStream(FIXTURE, { highWaterMark: 64 * 1024 }), { name: FIXTURE }));
    const r = await analyzeImage(src.source);
    expect(src.loaded().source.fastPath).toBe(false);
    checkDive(r);
    const strip = (x: Report) => ({ ...x, image: { ...x.image, source: { ...x.image.source, inputCompression: undefined } } });
    expect(strip(r)).toEqual(strip(fast));
  });

  it('imgsize’s own waste: the bytes really shipped but not visible', async () => {
    const r = await analyzeImage(openDockerArchive(FIXTURE));
    // shipped − visible, split exactly into overwritten + deleted
    expect(r.summary.wastedBytes).toBe(r.summary.contentBytes - r.summary.visibleBytes);
    expect(r.summary.overwrittenBytes + r.summary.deletedBytes).toBe(r.summary.wastedBytes);
    // chmod 444 somefile1 (overwrite), mv somefile3 (delete), rm -rf /root/example (somefile1+2 deleted),
    // chmod +x saved.txt (overwrite): 6405 × 5
    expect(r.summary.wastedBytes).toBe(6405 * 5);
    expect(r.history.filter((h) => !h.emptyLayer)).toHaveLength(14);
    expect(r.layers[1]!.instruction).toContain('ADD');
  });
});
