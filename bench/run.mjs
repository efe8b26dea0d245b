// Runs the benchmark side by side in one process tree and prints Markdown tables of medians.
//
//   pnpm bench                      # the generated 4.4 GB image and the CUDA-shaped 13.8 GB image
//   BENCH_IMAGES=gen pnpm bench     # one of them
//   BENCH_BEFORE=/path/to/old/checkout pnpm bench   # also time an older build, interleaved
//   BENCH_RUNS=5 BENCH_RUNS_CUDA=3 pnpm bench        # rounds (default 3), per image if given
//
// Images are generated once (bench/gen.mjs, bench/gen-cuda.mjs) under BENCH_DIR (default
// bench/out; ~9 GB for gen, ~28 GB for cuda, archive plus extracted layers). BENCH_BEFORE names a
// checkout with built packages/{core,cli}/dist and bench/probe.mjs (its own node_modules): each
// case then runs once per build in every round, so both builds see the same machine load.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = process.env.BENCH_DIR ?? join(root, 'bench/out');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const before = process.env.BENCH_BEFORE;
const images = (process.env.BENCH_IMAGES ?? 'gen,cuda').split(',');
const GENERATORS = {
  gen: { script: 'bench/gen.mjs', archive: 'bench.tar' },
  cuda: { script: 'bench/gen-cuda.mjs', archive: 'cuda.tar' },
};

/** Runs a shell command under GNU time; returns wall seconds and peak RSS (KiB → MB). */
function timed(cmd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'sh', '-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const last = r.stderr.trim().split('\n').pop();
  const [e, m] = last.split(' ').map(Number);
  return { seconds: e, rssMB: (m * 1024) / 1e6 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The cases of one build (`base` is a checkout root with built dists); `old` builds lack --no-estimate. */
function buildCases(base, archive, old) {
  const cli = join(base, 'packages/cli/dist/main.js');
  return [
    ['fast path, full analysis', `node ${cli} analyze ${archive} --json > /dev/null`],
    old
      ? ['fast path, no estimate', `node ${join(base, 'bench/probe.mjs')} ${archive} nosample > /dev/null`]
      : ['fast path, no estimate', `node ${cli} analyze ${archive} --no-estimate --json > /dev/null`],
    ['stream path (stdin), full analysis', `cat ${archive} | node ${cli} analyze - --json > /dev/null`],
  ];
}

const report = [];
for (const name of images) {
  const g = GENERATORS[name];
  if (!g) throw new Error(`unknown image ${name} (${Object.keys(GENERATORS).join(', ')})`);
  const out = join(dir, name);
  execFileSync('node', [join(root, g.script), out], { stdio: 'inherit' });
  const archive = join(out, g.archive);
  const size = statSync(archive).size;
  const layers = readdirSync(join(out, 'layers')).map((f) => join(out, 'layers', f));
  const builds = [['after', buildCases(root, archive, false)]];
  if (before) {
    // builds from before `--no-estimate` time the library without its sampler (bench/probe.mjs)
    const old = !readFileSync(join(before, 'packages/cli/dist/commands/analyze.js'), 'utf8').includes('no-estimate');
    builds.unshift(['before', buildCases(before, archive, old)]);
  }
  const floors = [
    ['GNU tar -tf over every layer', layers.map((l) => `tar -tf ${l} > /dev/null`).join(' && ')],
    ['header walk only (positional walker)', `node ${join(root, 'bench/walk.mjs')} ${archive} > /dev/null`],
    ['cat \\| wc -c', `cat ${archive} | wc -c > /dev/null`],
  ];
  const n = Number(process.env[`BENCH_RUNS_${name.toUpperCase()}`] ?? runs);
  // Every case runs on a warm page cache of the files it reads: the archive and the extracted
  // layers together (27 GB for cuda) do not fit in this machine's cache, so without re-warming
  // each case would read part of its input from disk, and the ratios would measure the disk.
  const warmArchive = `cat ${archive} > /dev/null`;
  const warmLayers = `cat ${layers.join(' ')} > /dev/null`;
  const warmFor = (label) => (label.startsWith('GNU tar') ? warmLayers : warmArchive);
  const samples = new Map();
  const add = (key, s) => samples.set(key, [...(samples.get(key) ?? []), s]);
  const timedWarm = (label, cmd) => {
    timed(warmFor(label));
    return timed(cmd);
  };
  for (let i = 0; i < n; i++) {
    for (const [label, cmd] of floors) add(label, timedWarm(label, cmd));
    for (let c = 0; c < builds[0][1].length; c++) for (const [b, cases] of builds) add(`${b}|${cases[c][0]}`, timedWarm(cases[c][0], cases[c][1]));
  }
  const stat = (key) => {
    const xs = samples.get(key);
    return { seconds: median(xs.map((s) => s.seconds)), rssMB: Math.max(...xs.map((s) => s.rssMB)), all: xs.map((s) => s.seconds) };
  };
  const tar = stat(floors[0][0]);
  const cat = stat(floors[2][0]);
  report.push(`\n### ${name}: ${(size / 1e9).toFixed(2)} GB, ${layers.length} layers (${n} runs each, medians; RSS = max)\n`);
  report.push(`| case | ${builds.map(([b]) => `${b} s | ${b} RSS MB | ${b} vs floor`).join(' | ')} | runs (s) |`);
  report.push(`|---|${builds.map(() => '---:|---:|---:').join('|')}|---|`);
  for (const [label] of builds[0][1]) {
    const cells = builds.map(([b]) => {
      const s = stat(`${b}|${label}`);
      const vs = label.startsWith('stream') ? `${(cat.seconds / s.seconds).toFixed(2)}× cat` : `${(s.seconds / tar.seconds).toFixed(2)}× tar`;
      return `${s.seconds.toFixed(2)} | ${s.rssMB.toFixed(0)} | ${vs}`;
    });
    const all = builds.map(([b]) => `${b}: ${stat(`${b}|${label}`).all.join(', ')}`).join('; ');
    report.push(`| ${label} | ${cells.join(' | ')} | ${all} |`);
  }
  for (const [label] of floors) {
    const s = stat(label);
    report.push(`| ${label} | ${s.seconds.toFixed(2)} | ${s.rssMB.toFixed(0)} | ${builds.length > 1 ? ' | | |' : ''} | ${s.all.join(', ')} |`);
  }
  report.push(`\ntargets: fast path ≤ 3× tar (full), ≤ 2× tar (no estimate); stream ≥ 0.6× cat; RSS ≤ 250 MB`);
  console.log(report.slice(-builds[0][1].length - floors.length - 4).join('\n'));
}
console.log(`\n${report.join('\n')}`);
