import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrate } from './calibrate.js';
import { parsePullProfile } from './profile.js';

describe('calibrate (real measurements on this machine)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imgsize-cal-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns a valid profile with plausible measured rates and leaves nothing behind', () => {
    const r = calibrate({ dir, sampleBytes: 8 * 1024 * 1024, entries: 300 });
    expect(parsePullProfile(r.profile, 'calibrated')).toEqual(r.profile);
    const m = r.measured;
    expect(m.sampleBytes).toBe(8 * 1024 * 1024);
    // Wall-clock rates: a loaded shared machine gives a few MB/s, an idle one GB/s; never 0 or ∞.
    // gzip -6 of /usr shrinks it.
    expect(m.gzipInflateBytesPerSecond).toBeGreaterThan(1e5);
    expect(m.gzipInflateBytesPerSecond).toBeLessThan(20e9);
    expect(m.gzipRatio).toBeGreaterThan(0.1);
    expect(m.gzipRatio).toBeLessThan(0.9);
    // Writes include the hash: the composed rate is below each part.
    expect(r.profile.writeBytesPerSecond).toBeLessThan(m.sha256BytesPerSecond);
    expect(r.profile.writeBytesPerSecond).toBeLessThan(m.fileWriteBytesPerSecond);
    expect(m.perEntrySeconds).toBeGreaterThan(0);
    expect(r.profile.source).toMatch(/imgsize calibrate/);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);
});
