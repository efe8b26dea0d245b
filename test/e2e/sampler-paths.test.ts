/**
 * Regression: the sampler's tail rate follows the layer's tar size (a byte budget), so both readers
 * of a docker-save archive must hand it the same size hint; otherwise the fast path and stdin
 * read different ranges and report different compressed sizes on layers big enough to reach the
 * tail of the schedule (the small fixtures of archive.test.ts never do).
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analyzeImage, openDockerArchive, type Report } from '@imgsize/core';
import { createCompressionSampler } from '../../packages/core/src/attribution/compressed-size.js';
import { naiveMlImage, writeDockerArchive } from '../../fixtures/images/index.js';

let dir: string;
let archive: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-sampler-paths-'));
  archive = join(dir, 'naive.tar');
  await writeDockerArchive(naiveMlImage({ scale: 40 }), archive, { layout: 'legacy' });
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const withoutSource = (r: Report): unknown => ({ ...r, image: { ...r.image, ref: '', source: { ...r.image.source, ref: '', inputCompression: undefined } } });

it('the fast path and stdin give identical reports, compressed estimates included, past the schedule head', async () => {
  // a small tail budget puts this 140 MB layer where a multi-GB layer is with the default
  const scan = { plugins: [() => createCompressionSampler({ tailBudgetBytes: 64 * 1024 })] };
  const fromFile = await analyzeImage(openDockerArchive(archive), { scan });
  const fromStream = await analyzeImage(openDockerArchive(createReadStream(archive, { highWaterMark: 65_521 }), { name: archive }), { scan });
  // at least one layer is large enough that its tail rate comes from the size hint
  expect(Math.max(...fromFile.layers.map((l) => l.tarBytes))).toBeGreaterThan(100e6);
  expect(withoutSource(fromStream)).toEqual(withoutSource(fromFile));
}, 180_000);
