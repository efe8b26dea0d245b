// Runs the benchmark side by side in one process tree and prints a Markdown table of medians.
// Usage: pnpm bench   (generates bench/out/bench.tar first if missing; ~9 GB of disk)
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'bench/out');
const archive = join(out, 'bench.tar');
const runs = Number(process.env.BENCH_RUNS ?? 3);
execFileSync('node', [join(root, 'bench/gen.mjs'), out], { stdio: 'inherit' });
const size = statSync(archive).size;
const layers = readdirSync(join(out, 'layers')).map((f) => join(out, 'layers', f));
const cli = join(root, 'packages/cli/dist/main.js');

/** Runs a shell command under GNU time; returns wall seconds and peak RSS (KiB → MB). */
function timed(cmd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'sh', '-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const last = r.stderr.trim().split('\n').pop();
  const [e, m] = last.split(' ').map(Number);
  return { seconds: e, rssMB: (m * 1024) / 1e6 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const probe = join(root, 'bench/probe.mjs');
const walk = join(root, 'bench/walk.mjs');
const cases = [
  ['imgsize, file (fast path)', `node ${cli} analyze ${archive} --json > /dev/null`],
  ['imgsize library, file, no compression sampling', `node ${probe} ${archive} nosample > /dev/null`],
  ['imgsize header walk only (positional walker, every layer)', `node ${walk} ${archive} > /dev/null`],
  ['imgsize, stdin (stream path)', `cat ${archive} | node ${cli} analyze - --json > /dev/null`],
  ['GNU tar -tf over every layer (C floor)', layers.map((l) => `tar -tf ${l} > /dev/null`).join(' && ')],
  ['cat | wc -c (pipe floor)', `cat ${archive} | wc -c > /dev/null`],
];

// warm the page cache once
timed(`cat ${archive} > /dev/null`);
const results = [];
for (const [name, cmd] of cases) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(timed(cmd));
  results.push({ name, seconds: median(samples.map((s) => s.seconds)), rssMB: Math.max(...samples.map((s) => s.rssMB)), all: samples.map((s) => s.seconds) });
}
const byName = Object.fromEntries(results.map((r) => [r.name, r]));
console.log(`\narchive: ${(size / 1e9).toFixed(2)} GB, ${layers.length} layers; ${runs} runs each, medians\n`);
console.log('| case | wall (s, median) | throughput (GB/s) | peak RSS (MB) | runs (s) |');
console.log('|---|---:|---:|---:|---|');
for (const r of results) console.log(`| ${r.name} | ${r.seconds.toFixed(2)} | ${(size / 1e9 / r.seconds).toFixed(2)} | ${r.rssMB.toFixed(0)} | ${r.all.join(', ')} |`);
const fast = byName['imgsize, file (fast path)'];
const walkOnly = byName['imgsize header walk only (positional walker, every layer)'];
const noSample = byName['imgsize library, file, no compression sampling'];
const stream = byName['imgsize, stdin (stream path)'];
const gnu = byName['GNU tar -tf over every layer (C floor)'];
const cat = byName['cat | wc -c (pipe floor)'];
console.log(`\nfast path (full analysis) / GNU tar listing time: ${(fast.seconds / gnu.seconds).toFixed(2)}× (target ≤ 2×)`);
console.log(`fast path without compression sampling / GNU tar: ${(noSample.seconds / gnu.seconds).toFixed(2)}×`);
console.log(`header walk only / GNU tar: ${(walkOnly.seconds / gnu.seconds).toFixed(2)}×`);
console.log(`stream throughput / cat|wc -c throughput: ${(cat.seconds / stream.seconds).toFixed(2)}× (target ≥ 0.5×)`);
