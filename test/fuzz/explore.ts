/**
 * Exploratory fuzzing without shrinking: runs `runs` generated archives of seed `seed` through both
 * readers, groups every invariant violation by signature, and saves the first input of each group
 * (spec as JSON and the archive bytes) under `$TMPDIR/imgsize-explore/`. Prints the outcome counts.
 *
 *   pnpm exec tsx test/fuzz/explore.ts <seed> <runs>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { arbArchive, arbChunks, buildArchive, hasZstd } from './archive-gen.js';
import { pairProblems, runBoth } from './harness.js';

const seed = Number(process.argv[2] ?? 1);
const runs = Number(process.argv[3] ?? 300);
const out = join(tmpdir(), 'imgsize-explore');
mkdirSync(out, { recursive: true });

const samples = fc.sample(fc.tuple(arbArchive({ zstd: hasZstd() }), arbChunks), { seed, numRuns: runs });
const groups = new Map<string, { n: number; first: number; detail: string }>();
const outcomes = new Map<string, number>();
const t0 = Date.now();
for (const [i, [spec, chunks]] of samples.entries()) {
  const bytes = buildArchive(spec);
  const { file, stream } = await runBoth(bytes, { dir: out, timeoutMs: 10_000, chunks });
  const key = file.kind === 'error' ? file.code : file.kind;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  const problems = pairProblems(file, stream);
  if (problems.length === 0) continue;
  const sig = problems[0]!.split('\n')[0]!.replace(/\d+/g, 'N').slice(0, 160);
  const g = groups.get(sig);
  if (g) {
    g.n++;
    continue;
  }
  groups.set(sig, { n: 1, first: i, detail: problems.join('\n').slice(0, 1500) });
  writeFileSync(join(out, `fail-${seed}-${i}.json`), JSON.stringify({ spec, chunks }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
  writeFileSync(join(out, `fail-${seed}-${i}.tar`), bytes);
}
const hist = Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1]));
console.log(`seed ${seed}: ${runs} cases in ${Date.now() - t0} ms, ${groups.size} failure signatures; outcomes ${JSON.stringify(hist)}`);
for (const [sig, g] of groups) console.log(`\n[${g.n}x, first #${g.first}, saved in ${out}] ${sig}\n${g.detail}`);
process.exit(groups.size === 0 ? 0 : 1);
