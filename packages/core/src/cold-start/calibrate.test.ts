import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrate, SERIAL_BELOW_CORES } from './calibrate.js';
import { BUILTIN_PULL_PROFILES, parsePullProfile } from './profile.js';

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
    // The engines' inflate is GNU gzip's rate where the command exists (it does on Debian), else zlib's.
    if (m.gzipCommandBytesPerSecond !== null) {
      expect(m.gzipCommandBytesPerSecond).toBeGreaterThan(1e5);
      expect(r.profile.inflateBytesPerSecond.gzip).toBe(m.gzipCommandBytesPerSecond);
      expect(r.profile.source).toMatch(/gzip -t \d+ MB\/s \(zlib \d+ MB\/s\)/);
    } else expect(r.profile.inflateBytesPerSecond.gzip).toBe(m.gzipInflateBytesPerSecond);
    expect(m.gzipRatio).toBeGreaterThan(0.1);
    expect(m.gzipRatio).toBeLessThan(0.9);
    // Writes include the engines' digest (sha256sum's rate where the command exists): the
    // composed rate is below each part.
    const digest = m.sha256sumBytesPerSecond ?? m.sha256BytesPerSecond;
    if (m.sha256sumBytesPerSecond !== null) expect(m.sha256sumBytesPerSecond).toBeGreaterThan(1e5);
    expect(r.profile.writeBytesPerSecond).toBeLessThan(digest);
    expect(r.profile.writeBytesPerSecond).toBeLessThan(m.fileWriteBytesPerSecond);
    expect(r.profile.writeBytesPerSecond).toBeCloseTo(1 / (1 / digest + 1 / m.fileWriteBytesPerSecond), 0);
    expect(m.perEntrySeconds).toBeGreaterThan(0);
    // The blob ingest digests and writes the compressed stream: measured, and stored in the profile.
    expect(m.ingestBytesPerSecond).toBeGreaterThan(1e5);
    expect(m.ingestBytesPerSecond).toBeLessThan(digest);
    expect(m.ingestBytesPerSecond).toBeLessThan(m.blobWriteBytesPerSecond);
    expect(r.profile.ingestBytesPerSecond).toBe(m.ingestBytesPerSecond);
    expect(r.profile.source).toMatch(/blob ingest \d+ MB\/s/);
    // Stages overlap only on free cores: below 3, inflate and unpack take turns.
    const serial = cpus().length < SERIAL_BELOW_CORES;
    expect(r.profile.decompressConcurrent).toEqual(serial ? { gzip: false, zstd: false } : BUILTIN_PULL_PROFILES.docker!.decompressConcurrent);
    expect(r.profile.source).toMatch(/imgsize calibrate/);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);
});
