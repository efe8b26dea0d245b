import { describe, expect, it } from 'vitest';
import { handProfile } from './testing.js';
import { buildReport } from '../analyze.js';
import type { Report } from '../report-schema.js';
import { diffColdStart } from './diff.js';

const P = handProfile({ writeBytesPerSecond: 1e12 });

/** A report with layers of the given [diffId, compressed, tar bytes]. */
function report(layers: Array<[string, number, number]>): Report {
  const r = buildReport({
    source: { kind: 'docker-archive', format: 'docker-archive-oci', ref: 'x' },
    repoTags: [],
    config: { os: 'linux', architecture: 'amd64', history: [], entrypoint: null, cmd: null, env: [], labels: {} },
    layers: [],
    warnings: [],
  } as never);
  return {
    ...r,
    summary: { ...r.summary, contentBytes: layers.reduce((s, l) => s + l[2], 0), compressedBytes: layers.reduce((s, l) => s + l[1], 0) },
    layers: layers.map(([diffId, c, u], index) => ({
      index, diffId, compression: 'gzip', compressedBytes: c, compressedBytesExact: true, historyIndex: null, instruction: null,
      empty: false, contentBytes: u, tarBytes: u, entries: 0, files: 0, visibleBytes: u, hiddenBytes: 0, hidBytes: 0,
    })),
  };
}

describe('diffColdStart', () => {
  it('the update is the new image’s layers the old one lacks, modelled on their own', () => {
    const before = report([['a', 100, 100], ['b', 200, 300]]);
    const after = report([['a', 100, 100], ['c', 300, 200]]);
    const d = diffColdStart(before, after, P);
    // Before: #0 fetched 1 s, inflated [1, 2]; #1 fetched 3 s, inflated [3, 6] → 6 s.
    expect(d.before.coldStartSeconds).toBe(6);
    // After: #0 [1, 2]; #1 fetched at 4 s, inflated [4, 6] → 6 s.
    expect(d.after.coldStartSeconds).toBe(6);
    // Update: only "c": 300 B fetched in 3 s, inflated 2 s → 5 s; pull (fetch only) 3 s.
    expect(d.update).toEqual({ matchedBy: 'diffId', layers: 1, compressedBytes: 300, uncompressedBytes: 200, pullSeconds: 3, coldStartSeconds: 5 });
    expect(d.after.pullSeconds).toBe(4);
  });
});
