// Re-estimates the rows of bench/cold-start.mjs runs with the current model and profiles, without
// pulling again: the measured times stay, each row's calibration (its profile's `source` line,
// recorded per row) and link rate are reused, each image's layers come from imgsize's analyze
// report of the pushed image (layer cache: fast).
//
//   node bench/cold-start-reestimate.mjs results.json [more.json…] [--sha256sum=433 --blob-write=900]
//   (prints the Markdown table)
//
// IMGSIZE_ROOT points at a built checkout to take the model from (default: this repository).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = process.env.IMGSIZE_ROOT ?? new URL('..', import.meta.url).pathname;
const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const env = Object.fromEntries(
  readFileSync('/tmp/imgsize-services/env', 'utf8')
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const REG = env.IMGSIZE_REGISTRY;

/** Engine → overrides of the calibrated rates (see docs/COLD-START.md, "Profiles"). */
const ENGINE = {
  docker: [],
  ctr: ['concurrency=0', 'unpack-start=after-all-fetched', 'gzip-concurrent=false'],
};

/** The calibrated profile back from its `source` line. */
function profileFrom(source, engine) {
  const mb = (re) => Number(re.exec(source)?.[1]) * 1e6;
  // The engines' inflate: gzip -t's rate (calibrations since it is measured), else zlib's.
  const gzip = mb(/gzip -t (\d+) MB\/s/) || mb(/zlib inflate (\d+) MB\/s/);
  const zstd = mb(/zstd -d (\d+) MB\/s/) || core.BUILTIN_PULL_PROFILES.docker.inflateBytesPerSecond.zstd;
  // The engines' digest rate: sha256sum's (calibrations since it is measured), else --sha256sum
  // (measured separately on the same machine), else OpenSSL's.
  const sha = mb(/sha256sum (\d+) MB\/s/) || ASSUME.sha256sum || mb(/sha256 (\d+) MB\/s/);
  const file = mb(/file writes (\d+) MB\/s/);
  const perEntry = Number(/([\d.]+) µs per entry/.exec(source)?.[1]) / 1e6;
  // Calibrations since the ingest stage record it; older ones leave the fetch unlimited by the store.
  const blobWrite = mb(/blob writes (\d+) MB\/s/) || ASSUME.blobWrite;
  const ingest = blobWrite > 0 ? 1 / (1 / sha + 1 / blobWrite) : mb(/blob ingest (\d+) MB\/s/);
  // As calibrate decides it: inflate and unpack take turns below 3 cores (SERIAL_BELOW_CORES in calibrate.ts).
  const cores = Number(/on (\d+) CPUs/.exec(source)?.[1]);
  const base = {
    ...core.BUILTIN_PULL_PROFILES.docker,
    ...(cores < 3 && { decompressConcurrent: { gzip: false, zstd: false } }),
    name: 'calibrated',
    inflateBytesPerSecond: { gzip, zstd },
    writeBytesPerSecond: 1 / (1 / sha + 1 / file),
    perEntrySeconds: perEntry,
    ...(ingest > 0 && { ingestBytesPerSecond: ingest }),
    source,
  };
  return core.applyProfileOverrides(core.parsePullProfile(base, 'calibration'), ENGINE[engine], { bits: Number, bytes: Number });
}

// For rows calibrated before calibrate measured them: --sha256sum=<MB/s> and --blob-write=<MB/s>
// (measured with the current `imgsize calibrate` on the same machine; the report says so).
const flag = (name) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)) * 1e6 || 0;
const ASSUME = { sha256sum: flag('sha256sum'), blobWrite: flag('blob-write') };

const reports = new Map();
function layersOf(image, codec) {
  const key = `${image}:${codec}`;
  if (!reports.has(key)) {
    const r = JSON.parse(execFileSync('node', [CLI, 'analyze', `registry://${REG}/coldstart/${key}`, '--json', '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 30 }));
    reports.set(key, r);
  }
  return reports.get(key);
}

const rows = process.argv.slice(2).filter((a) => !a.startsWith('--')).flatMap((f) => JSON.parse(readFileSync(f, 'utf8')));
const fmt = (s) => (s === null || s === undefined ? '—' : s < 10 ? s.toFixed(2) : s.toFixed(1));
const out = [
  '| image | layers | engine | link (rate used) | compressed GB | tar GB | fetch only s | estimate s | bottleneck (critical path: fetch/inflate/unpack %) | measured s | error |',
  '|---|---|---|---|---:|---:|---:|---:|---|---:|---:|',
];
const errors = [];
for (const r of rows) {
  if (r.measuredSeconds === null) {
    out.push(`| ${r.image} | ${r.codec} | ${r.engine} | ${r.link} | | | | | | not supported | ${r.error.slice(0, 80)} |`);
    continue;
  }
  const report = layersOf(r.image, r.codec);
  const profile = { ...profileFrom(r.calibration, r.engine), bandwidthBitsPerSecond: r.bandwidthBitsPerSecond };
  const e = core.buildColdStart(report.layers, profile);
  const err = (e.totalSeconds - r.measuredSeconds) / r.measuredSeconds;
  errors.push({ ...r, estimate: e.totalSeconds, err });
  const pct = (x) => Math.round(x * 100);
  out.push(
    `| ${r.image} | ${r.codec} | ${r.engine} | ${r.link} (${(r.bandwidthBitsPerSecond / 1e9).toFixed(2)} Gbps) | ${(report.summary.compressedBytes / 1e9).toFixed(2)} | ${(report.summary.tarBytes / 1e9).toFixed(2)} | ${fmt((report.summary.compressedBytes * 8) / r.bandwidthBitsPerSecond)} | ${fmt(e.totalSeconds)} | ${e.bottleneck} (${pct(e.shares.fetch)}/${pct(e.shares.decompress)}/${pct(e.shares.unpack)}) | ${fmt(r.measuredSeconds)} | ${err > 0 ? '+' : ''}${Math.round(err * 100)}% |`,
  );
}
process.stdout.write(`${out.join('\n')}\n`);
const within = errors.filter((x) => Math.abs(x.err) <= 0.2).length;
process.stdout.write(`\n${within} of ${errors.length} measured pulls within ±20%.\n`);
for (const eng of ['docker', 'ctr']) {
  const xs = errors.filter((x) => x.engine === eng).map((x) => x.err).sort((a, b) => a - b);
  if (xs.length) process.stdout.write(`${eng}: median error ${Math.round(xs[Math.floor(xs.length / 2)] * 100)}%, range ${Math.round(xs[0] * 100)}% … ${Math.round(xs[xs.length - 1] * 100)}%\n`);
}

// Measured stages (rows from runs that recorded them): per pull, when the last blob was fetched
// (docker: the last "Download complete"; ctr: its "unpacking" line, i.e. every blob committed to
// the content store), the unpack (docker: per layer from max(own download, previous layer applied)
// to "Pull complete"; ctr: containerd's "diff applied" durations), and CPU seconds, against the
// model's fetch end and per-layer unpack segments.
const staged = errors.filter((r) => r.measuredStages);
if (staged.length) {
  const s2 = (x) => (x === null || x === undefined ? '—' : x.toFixed(2));
  const st = [
    '',
    '| image | layers | engine | link | fetched: measured / model s | unpack after fetch: measured / model s | per-layer unpack measured s (model) | CPU s: engine daemon / CLI / registry / proxy / machine busy of 2 cores |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of staged) {
    const report = layersOf(r.image, r.codec);
    const profile = { ...profileFrom(r.calibration, r.engine), bandwidthBitsPerSecond: r.bandwidthBitsPerSecond };
    const e = core.estimateColdStart(
      report.layers.map((l) => ({ compressedBytes: l.compressedBytes, uncompressedBytes: l.tarBytes, entries: l.entries, codec: l.compression === 'none' ? 'gzip' : l.compression })),
      profile,
    );
    const m = r.measuredStages;
    let fetched;
    let perLayer;
    if (r.engine === 'docker') {
      fetched = Math.max(...m.layers.map((l) => l.downloaded ?? 0));
      let prev = 0;
      perLayer = m.layers.map((l) => {
        const start = Math.max(prev, l.downloaded ?? 0);
        const d = (l.applied ?? start) - start;
        prev = l.applied ?? prev;
        return d;
      });
    } else {
      fetched = m.fetchedAt;
      perLayer = m.layers.map((l) => l.applySeconds ?? 0);
    }
    const modelPer = e.layers.map((l) => l.unpackEnd - l.unpackStart);
    const big = perLayer.map((d, i) => [d, i]).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([d, i]) => `#${i} ${s2(d)} (${s2(modelPer[i])})`).join(', ');
    const c = r.cpuSeconds ?? {};
    const daemon = r.engine === 'docker' ? c.dockerd : c.containerd;
    st.push(
      `| ${r.image} | ${r.codec} | ${r.engine} | ${r.link} | ${s2(fetched)} / ${s2(e.fetchSeconds)} | ${s2(r.measuredSeconds - fetched)} / ${s2(e.totalSeconds - e.fetchSeconds)} | ${big} | ${s2(daemon)} / ${s2(c.cli)} / ${s2(c.registry)} / ${s2(c.proxy)} / ${s2(c.machineBusy)} |`,
    );
  }
  process.stdout.write(`${st.join('\n')}\n`);
}
