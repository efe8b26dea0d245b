/**
 * Seeded, reproducible fuzzing of the docker-archive reader on both paths (issue 6).
 *
 * Every case goes through `analyzeImage(openDockerArchive(path))` (the seekable fast path; the
 * stream reader for a compressed file) and `analyzeImage(openDockerArchive(stream))` (the
 * single-pass reader, fed in random chunk sizes). Invariants (harness.ts): each resolves with a
 * schema-valid report whose bytes add up, or rejects with an ImgsizeError other than E_INTERNAL,
 * within CASE_TIMEOUT_MS; and both agree (same report, or same error code).
 *
 * CI runs a fixed budget with a fixed seed. A long run:
 *   IMGSIZE_FUZZ_RUNS=20000 IMGSIZE_FUZZ_SEED=7 IMGSIZE_SERVICES=off pnpm exec vitest run test/fuzz
 * A failure prints fast-check's seed and path: replay it with IMGSIZE_FUZZ_SEED / IMGSIZE_FUZZ_PATH,
 * then pin it in regressions.test.ts under the name of the bug.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallImage, writeDockerArchive } from '../../fixtures/images/index.js';
import { makeDockerSave, makeTar } from '../helpers/tar.js';
import { arbArchive, arbChunks, arbImageOption, arbMutation, buildArchive, FUZZ_LIMITS, hasZstd, mutate } from './archive-gen.js';
import { pairProblems, runBoth } from './harness.js';

const RUNS = Number(process.env.IMGSIZE_FUZZ_RUNS ?? 600);
const SEED = Number(process.env.IMGSIZE_FUZZ_SEED ?? 20_240_606);
const PATH = process.env.IMGSIZE_FUZZ_PATH;
/** Per case and path; inputs are a few KB, so anything near this is a hang. */
const CASE_TIMEOUT_MS = 10_000;
/** The whole property may take this long per 100 runs (generous for a loaded 2-core CI box). */
const MS_PER_100_RUNS = 20_000;

let dir: string;
/** Outcomes seen (fast path), for the summary line: how deep the cases got. */
const outcomes = new Map<string, number>();
let rssBase = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-fuzz-'));
  rssBase = process.memoryUsage().rss;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
  const hist = [...outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  process.stdout.write(`[fuzz] seed ${SEED}: ${total} cases, 2 readers each; outcomes: ${hist}\n`);
});

const params = (runs: number, salt: number): fc.Parameters<unknown> => ({
  seed: SEED + salt,
  numRuns: runs,
  ...(PATH !== undefined ? { path: PATH } : {}),
  // Shrinking re-runs both readers per step: keep it bounded.
  endOnFailure: false,
  interruptAfterTimeLimit: Math.max(60_000, (runs / 100) * MS_PER_100_RUNS * 3),
  markInterruptAsFailure: true,
});

async function check(bytes: Buffer, chunks: number[], limits?: Record<string, number>, image?: string): Promise<void> {
  const { file, stream } = await runBoth(bytes, { dir, timeoutMs: CASE_TIMEOUT_MS, chunks, limits, image });
  const key = file.kind === 'error' ? file.code : file.kind;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  expect(pairProblems(file, stream)).toEqual([]);
  // Bounded memory: inputs are a few KB; nothing may make the process balloon.
  expect(process.memoryUsage().rss - rssBase).toBeLessThan(768 * 2 ** 20);
}

async function toBuffer(write: (out: NodeJS.WritableStream) => Promise<unknown>): Promise<Buffer> {
  const pass = new PassThrough();
  const chunks: Buffer[] = [];
  pass.on('data', (c: Buffer) => chunks.push(c));
  await write(pass);
  return Buffer.concat(chunks);
}

describe(`fuzz: docker-archive readers, fast path vs stream (seed ${SEED}, ${RUNS} runs)`, () => {
  const zstd = hasZstd();

  it('generated hostile archives', { timeout: (RUNS / 100) * MS_PER_100_RUNS * 4 }, async () => {
    await fc.assert(
      fc.asyncProperty(arbArchive({ zstd }), arbChunks, arbImageOption, async (spec, chunks, image) => check(buildArchive(spec), chunks, undefined, image)),
      params(RUNS, 0),
    );
  });

  it('generated hostile archives under small limits', { timeout: (RUNS / 400) * MS_PER_100_RUNS * 4 + 30_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(arbArchive({ zstd }), arbChunks, fc.constantFrom(...FUZZ_LIMITS), async (spec, chunks, limits) =>
        check(buildArchive(spec), chunks, { ...limits }),
      ),
      params(Math.ceil(RUNS / 4), 1),
    );
  });

  it('byte-level mutations of valid archives (fixtures/images and test/helpers/tar.ts)', { timeout: (RUNS / 200) * MS_PER_100_RUNS * 4 + 30_000 }, async () => {
    const small = smallImage();
    const bases: Buffer[] = [
      await toBuffer((out) => writeDockerArchive(small, out, { layout: 'legacy' })),
      await toBuffer((out) => writeDockerArchive(small, out, { layout: 'oci', layerCompression: 'gzip' })),
      await toBuffer((out) => writeDockerArchive(small, out, { layout: 'legacy', wholeCompression: 'gzip' })),
      await makeDockerSave([
        {
          tag: 'app:1',
          layers: [
            await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/a', content: 'x'.repeat(3000) }, { name: 'var/lib/dpkg/status', content: 'Package: a\n\n' }]),
            await makeTar([{ name: 'etc/.wh.a', content: '' }, { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' }]),
          ],
        },
      ]),
    ];
    if (zstd) bases.push(await toBuffer((out) => writeDockerArchive(small, out, { layout: 'oci', layerCompression: 'zstd' })));
    // Control: every base analyzes on both paths.
    for (const b of bases) await check(b, [4096]);
    await fc.assert(
      fc.asyncProperty(fc.nat(bases.length - 1), fc.array(arbMutation, { minLength: 1, maxLength: 3 }), arbChunks, async (i, muts, chunks) =>
        check(mutate(bases[i]!, muts), chunks),
      ),
      params(Math.ceil(RUNS / 2), 2),
    );
  });
});
