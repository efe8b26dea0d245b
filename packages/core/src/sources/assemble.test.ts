/**
 * The assembly step's scan pool: with scans side by side, the error reported is the earliest
 * layer's whatever the timing, later layers' scans are stopped, and earlier ones run on.
 */
import { describe, expect, it } from 'vitest';
import { assembleImage, type BlobScan, type LayerBlobs, type LayerDescriptor } from './assemble.js';
import { ImgsizeError, throwIfAborted } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { EntryTable } from '../entry-table.js';

const diffIds = ['a', 'b', 'c', 'd'].map((c) => `sha256:${c.repeat(64)}`);
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, history: [] }));
const ok = (): BlobScan => ({ scan: { entries: new EntryTable().seal(), tarBytes: 1024, contentBytes: 0, captured: [], warnings: [] }, compression: 'none', blobSize: 1024 });
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new ImgsizeError('E_ABORTED', 'aborted'));
    });
  });

/** Runs the assembly with 2 scans at once; `plan[i]` says how long layer i's scan takes and whether it fails. */
async function run(plan: Array<{ ms: number; fails?: string }>): Promise<{ error: unknown; started: number[]; finished: number[] }> {
  const started: number[] = [];
  const finished: number[] = [];
  const blobs: LayerBlobs = {
    async scan(d: LayerDescriptor, _options, signal) {
      started.push(d.index);
      const p = plan[d.index]!;
      await sleep(p.ms, signal);
      throwIfAborted(signal);
      if (p.fails) throw new ImgsizeError('E_BAD_TAR', p.fails);
      finished.push(d.index);
      return ok();
    },
  };
  let error: unknown;
  try {
    await assembleImage({
      manifest: { what: 'manifest.json', layers: plan.map((_, i) => ({ blob: `l${i}`, label: `l${i}` })) },
      config: { what: 'config', read: async () => config },
      blobs,
      load: {},
      limits: { ...DEFAULT_LIMITS },
      concurrency: 2,
      warnings: [],
    });
  } catch (e) {
    error = e;
  }
  return { error, started, finished };
}

describe('assembleImage scan pool', () => {
  it("reports the earliest layer's error when a later layer fails first", async () => {
    const r = await run([{ ms: 60, fails: 'layer 0 is bad' }, { ms: 1, fails: 'layer 1 is bad' }, { ms: 1 }, { ms: 1 }]);
    expect((r.error as Error).message).toMatch(/layer 0 .*layer 0 is bad/);
    expect(r.started).toEqual([0, 1]); // nothing after the failed layer 1 was started
  });

  it('lets earlier layers finish and reports the later failure when they succeed', async () => {
    const r = await run([{ ms: 60 }, { ms: 1, fails: 'layer 1 is bad' }, { ms: 1 }, { ms: 1 }]);
    expect((r.error as Error).message).toMatch(/layer 1 .*layer 1 is bad/);
    expect(r.finished).toEqual([0]);
  });

  it('stops the scans of later layers in flight', async () => {
    const r = await run([{ ms: 1 }, { ms: 1 }, { ms: 5, fails: 'layer 2 is bad' }, { ms: 500 }]);
    expect((r.error as Error).message).toMatch(/layer 2 .*layer 2 is bad/);
    expect(r.started).toEqual([0, 1, 2, 3]);
    expect(r.finished).toEqual([0, 1]); // layer 3 was aborted, not awaited for 500 ms
  });
});
