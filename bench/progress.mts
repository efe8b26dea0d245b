// Progress cadence, event-loop stalls and abort latency on a generated ~250 MB docker-save
// archive (issue 11), as medians of several runs (the machine is shared).
// Usage: npx tsx bench/progress.mts [runs=5]   (NOSAMPLER=1: without the compression sampler)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { analyzeImage } from '../packages/core/src/analyze.js';
import { openDockerArchive } from '../packages/core/src/sources/docker-archive.js';
import { writeBigArchive } from '../test/e2e/big-archive.js';

const runs = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'imgsize-bench-progress-'));
const file = join(dir, 'big.tar');
const size = writeBigArchive(file, 6);
const plugins = process.env.NOSAMPLER ? { plugins: [] } : undefined;
let gcMax = 0;
new PerformanceObserver((l) => l.getEntries().forEach((e) => (gcMax = Math.max(gcMax, e.duration)))).observe({ entryTypes: ['gc'] });
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const rows: Record<string, number[]> = { loadStall: [], loadGap: [], analyzeStall: [], analyzeGap: [], analyzeMs: [], totalMs: [], abortMs: [], abortAnalyzeMs: [], gcMax: [] };
try {
  for (let i = 0; i < runs; i++) {
    let prev = performance.now();
    let stall = 0;
    let analyzeStall = 0;
    let loading = true;
    const iv = setInterval(() => {
      const now = performance.now();
      if (loading) stall = Math.max(stall, now - prev - 5);
      else analyzeStall = Math.max(analyzeStall, now - prev - 5);
      prev = now;
    }, 5);
    gcMax = 0;
    const t0 = performance.now();
    let lastT = t0;
    let gap = 0;
    let analyzeAt = 0;
    let analyzeGap = 0;
    await analyzeImage(openDockerArchive(file), {
      scan: plugins,
      onProgress(p) {
        const now = performance.now();
        if (loading) gap = Math.max(gap, now - lastT);
        else analyzeGap = Math.max(analyzeGap, now - lastT);
        lastT = now;
        if (p.phase === 'analyze' && loading) {
          loading = false;
          analyzeAt = now;
        }
      },
    });
    const end = performance.now();
    clearInterval(iv);
    analyzeStall = Math.max(analyzeStall, end - prev - 5);
    rows.loadStall!.push(stall);
    rows.loadGap!.push(gap);
    rows.analyzeStall!.push(analyzeStall);
    rows.analyzeGap!.push(Math.max(analyzeGap, end - lastT));
    rows.analyzeMs!.push(end - analyzeAt);
    rows.totalMs!.push(end - t0);
    rows.gcMax!.push(gcMax);
    const ac = new AbortController();
    let abortedAt = 0;
    await analyzeImage(openDockerArchive(file), {
      scan: plugins,
      signal: ac.signal,
      onProgress(p) {
        if (!abortedAt && p.phase === 'scan' && p.bytes > size / 3) {
          abortedAt = performance.now();
          ac.abort();
        }
      },
    }).catch((e: { code?: string }) => {
      if (e.code !== 'E_ABORTED') throw e;
    });
    rows.abortMs!.push(performance.now() - abortedAt);
    // Abort in the middle of the report's stages (half the analyze phase measured above).
    const ac2 = new AbortController();
    let abortedAt2 = 0;
    const half = rows.analyzeMs!.at(-1)! / 2;
    await analyzeImage(openDockerArchive(file), {
      scan: plugins,
      signal: ac2.signal,
      onProgress(p) {
        if (p.phase === 'analyze' && !abortedAt2) {
          abortedAt2 = -1;
          setTimeout(() => {
            abortedAt2 = performance.now();
            ac2.abort();
          }, half);
        }
      },
    }).then(
      () => console.log('  (run ended before the abort fired)'),
      (e: { code?: string }) => {
        if (e.code !== 'E_ABORTED') throw e;
      },
    );
    if (abortedAt2 > 0) rows.abortAnalyzeMs!.push(performance.now() - abortedAt2);
  }
  console.log(`archive ${(size / 1e6).toFixed(0)} MB, ${runs} runs${plugins ? ', no sampler' : ''} (median / max, ms):`);
  for (const [k, v] of Object.entries(rows)) console.log(`  ${k.padEnd(10)} ${median(v).toFixed(1).padStart(8)} ${Math.max(...v).toFixed(1).padStart(8)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
