import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { arbArchive, buildArchive, hasZstd } from './archive-gen.js';
import { runBoth, pairProblems } from './harness.js';
const seed = Number(process.argv[2] ?? 1);
const runs = Number(process.argv[3] ?? 300);
const arb = fc.tuple(arbArchive({ zstd: hasZstd() }), fc.array(fc.integer({ min: 1, max: 70000 }), { minLength: 1, maxLength: 4 }));
const samples = fc.sample(arb, { seed, numRuns: runs });
const sigs = new Map<string, { n: number; idx: number; msg: string }>();
const t0 = Date.now();
const hist = new Map<string, number>();
let i = 0;
for (const [spec, chunks] of samples) {
  const bytes = buildArchive(spec);
  const { file, stream } = await runBoth(bytes, { dir: '/tmp/exp/cases', timeoutMs: 10000, chunks });
  const probs = pairProblems(file, stream);
  const key = file.kind === 'error' ? file.code : file.kind;
  hist.set(key, (hist.get(key) ?? 0) + 1);
  if (probs.length) {
    const sig = probs[0]!.split('\n')[0]!.replace(/\d+/g, 'N').slice(0, 160);
    const s = sigs.get(sig);
    if (s) s.n++; else { sigs.set(sig, { n: 1, idx: i, msg: probs.join('\n').slice(0, 1500) }); writeFileSync(`/tmp/exp/cases/fail-${seed}-${i}.json`, JSON.stringify({spec, chunks}, (k, v) => typeof v === 'bigint' ? `${v}n` : v)); writeFileSync(`/tmp/exp/cases/fail-${seed}-${i}.tar`, bytes); }
  }
  i++;
}
console.log(`seed ${seed}: ${runs} cases in ${Date.now() - t0} ms, ${sigs.size} signatures; outcomes ${JSON.stringify(Object.fromEntries([...hist].sort((a, b) => b[1] - a[1])))}`);
for (const [sig, s] of sigs) console.log(`\n[${s.n}x, first #${s.idx}] ${sig}\n${s.msg}`);
process.exit(0);
