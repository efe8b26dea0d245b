/**
 * Progress, event-loop stalls and aborts on a large generated archive (issue 11, "Library
 * consumers"): regression for "one event at 1,536 bytes, then nothing, no totalBytes for .gz, no
 * final event; the event loop stalls up to 984 ms; an abort fired mid-run is ignored". Timings
 * are asserted loosely (the machine is shared) and printed; medians are in BENCHMARKS.md
 * (bench/progress.mjs).
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage, openDockerArchive, type Progress } from '@imgsize/core';
import { writeBigArchive } from './big-archive.js';

let dir: string;
let big: string;
let bigSize: number;
let gz: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-progress-'));
  big = join(dir, 'big.tar');
  bigSize = writeBigArchive(big, 6); // ~250 MB
  const small = join(dir, 'small.tar');
  writeBigArchive(small, 2);
  gz = join(dir, 'small.tar.gz');
  await pipeline(createReadStream(small), createGzip({ level: 1 }), createWriteStream(gz));
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Longest time the event loop did not run a 5 ms timer, from start() to stop(). */
function stallMonitor(): { stop: () => number } {
  let prev = performance.now();
  let max = 0;
  const iv = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - prev - 5);
    prev = now;
  }, 5);
  return {
    stop() {
      clearInterval(iv);
      return Math.max(max, performance.now() - prev - 5);
    },
  };
}

interface Timed extends Progress {
  t: number;
}

async function run(path: string, onEvent?: (p: Timed) => void, signal?: AbortSignal): Promise<{ events: Timed[]; loadStall: number; maxGap: number }> {
  const events: Timed[] = [];
  const t0 = performance.now();
  const mon = stallMonitor();
  let loadStall = -1;
  try {
    await analyzeImage(openDockerArchive(path), {
      signal,
      onProgress(p) {
        const e = { ...p, t: performance.now() - t0 };
        // The loading phases end at the first `analyze` event: their stall is measured apart.
        if (p.phase === 'analyze' && loadStall < 0) loadStall = mon.stop();
        events.push(e);
        onEvent?.(e);
      },
    });
  } finally {
    const s = mon.stop();
    if (loadStall < 0) loadStall = s;
  }
  let maxGap = events[0]?.t ?? 0;
  for (let i = 1; i < events.length; i++) maxGap = Math.max(maxGap, events[i]!.t - events[i - 1]!.t);
  return { events, loadStall, maxGap };
}

describe('progress, stalls and abort on a large archive (issue 11)', () => {
  it('fast path: events every <1 s of wall time with totals, bounded stalls, one final done event', async () => {
    const { events, loadStall, maxGap } = await run(big);
    const analyzeStart = events.find((e) => e.phase === 'analyze')!.t;
    const end = events.at(-1)!.t;
    const loadGap = Math.max(...events.filter((e) => e.t <= analyzeStart).map((e, i, a) => e.t - (a[i - 1]?.t ?? 0)));
    console.log(
      `fast path ${(bigSize / 1e6).toFixed(0)} MB: ${events.length} events, max gap while loading ${loadGap.toFixed(0)} ms (overall ${maxGap.toFixed(0)} ms), ` +
        `max event-loop stall while loading ${loadStall.toFixed(0)} ms, analyze phase ${(end - analyzeStart).toFixed(0)} ms`,
    );
    expect(events.length).toBeGreaterThan(10);
    expect(loadGap).toBeLessThan(1000);
    expect(loadStall).toBeLessThan(1000);
    const phases = new Set(events.map((e) => e.phase));
    expect([...phases]).toEqual(expect.arrayContaining(['read', 'scan', 'analyze', 'done']));
    for (const e of events) {
      expect(e.totalBytes).toBe(bigSize);
      expect(e.bytes).toBeLessThanOrEqual(bigSize);
    }
    // `scan` counts layer bytes monotonically up to about the archive size.
    const scans = events.filter((e) => e.phase === 'scan').map((e) => e.bytes);
    expect(scans).toEqual([...scans].sort((a, b) => a - b));
    expect(scans.at(-1)!).toBeGreaterThan(bigSize * 0.95);
    expect(events.filter((e) => e.phase === 'done')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ phase: 'done', bytes: bigSize, totalBytes: bigSize });
  }, 120_000);

  it('an abort fired mid-scan ends the run with E_ABORTED promptly', async () => {
    const ac = new AbortController();
    let abortedAt = 0;
    const t0 = performance.now();
    const err = await run(
      big,
      (e) => {
        if (!abortedAt && e.phase === 'scan' && e.bytes > bigSize / 3) {
          abortedAt = performance.now();
          ac.abort();
        }
      },
      ac.signal,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    const latency = performance.now() - abortedAt;
    console.log(`abort at ${(abortedAt - t0).toFixed(0)} ms into the run: rejected ${latency.toFixed(1)} ms later`);
    expect(abortedAt).toBeGreaterThan(0);
    expect(err).toMatchObject({ code: 'E_ABORTED' });
    expect(latency).toBeLessThan(1000);
  }, 120_000);

  it('the report stages yield: progress while the report is built, and an abort there ends the run', async () => {
    // Regression: the overlay and the attribution ran as single synchronous stages, so an abort
    // (or a progress event) waited for a whole stage. Now they pause every ~20 ms of work.
    const { events } = await run(big);
    const analyzing = events.filter((e) => e.phase === 'analyze');
    const span = events.at(-1)!.t - analyzing[0]!.t;
    console.log(`analyze phase ${span.toFixed(0)} ms: ${analyzing.length} analyze events`);
    // Before: one event at the start and one after each of the two stages.
    expect(analyzing.length).toBeGreaterThan(3);

    const ac = new AbortController();
    let abortedAt = 0;
    let seen = 0;
    const err = await run(
      big,
      (e) => {
        // The second `analyze` event comes from inside the report's stages.
        if (e.phase === 'analyze' && ++seen === 2) {
          abortedAt = performance.now();
          ac.abort();
        }
      },
      ac.signal,
    ).then(
      (r) => r,
      (e: unknown) => e,
    );
    const latency = performance.now() - abortedAt;
    console.log(`abort during the report's stages: rejected ${latency.toFixed(1)} ms later`);
    expect(abortedAt).toBeGreaterThan(0);
    expect(err).toMatchObject({ code: 'E_ABORTED' });
    expect(latency).toBeLessThan(1000);
  }, 180_000);

  it('a .gz file: read progress in compressed bytes against the file size, and a final event', async () => {
    const gzSize = statSync(gz).size;
    const { events, maxGap } = await run(gz);
    const reads = events.filter((e) => e.phase === 'read');
    console.log(`.gz ${(gzSize / 1e6).toFixed(0)} MB: ${events.length} events (${reads.length} read), max gap ${maxGap.toFixed(0)} ms`);
    expect(reads.length).toBeGreaterThan(3);
    for (const e of reads) expect(e.totalBytes).toBe(gzSize);
    expect(reads.at(-1)!.bytes).toBe(gzSize);
    expect(events.at(-1)).toMatchObject({ phase: 'done', bytes: gzSize, totalBytes: gzSize });
    expect(maxGap).toBeLessThan(2000);
  }, 120_000);
});
