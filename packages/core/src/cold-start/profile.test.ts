import { describe, expect, it } from 'vitest';
import { isImgsizeError } from '../errors.js';
import { applyProfileOverrides, BUILTIN_PULL_PROFILES, parsePullProfile, parseSeconds } from './profile.js';

const rates = { bits: (s: string) => Number(s.replace(/Gbps$/, 'e9').replace(/Mbps$/, 'e6')), bytes: (s: string) => Number(s.replace(/MB\/s$/, 'e6')) };

function codeAndMessage(f: () => unknown): [string, string] {
  try {
    f();
  } catch (e) {
    if (isImgsizeError(e)) return [e.code, e.message];
    throw e;
  }
  throw new Error('did not throw');
}

describe('pull profiles', () => {
  it('every built-in profile is valid and says where its numbers come from', () => {
    for (const [name, p] of Object.entries(BUILTIN_PULL_PROFILES)) {
      expect(parsePullProfile(p, name)).toEqual(p);
      expect(p.source).toMatch(/defaults/);
    }
  });

  it('a zero or negative bandwidth in a profile file is E_BAD_CONFIG naming the field', () => {
    const doc = { ...BUILTIN_PULL_PROFILES.docker, bandwidthBitsPerSecond: 0 };
    const [code, msg] = codeAndMessage(() => parsePullProfile(doc, 'p.json'));
    expect(code).toBe('E_BAD_CONFIG');
    expect(msg).toContain('"bandwidthBitsPerSecond"');
    const [, msg2] = codeAndMessage(() => parsePullProfile({ ...BUILTIN_PULL_PROFILES.docker, inflateBytesPerSecond: { gzip: -1, zstd: 1 } }, 'p.json'));
    expect(msg2).toContain('"inflateBytesPerSecond.gzip"');
    const [, msg3] = codeAndMessage(() => parsePullProfile({ ...BUILTIN_PULL_PROFILES.docker, extra: 1 }, 'p.json'));
    expect(msg3).toMatch(/extra|unrecognized/);
  });

  it('overrides set fields; bad ones are E_USAGE naming the key', () => {
    const p = applyProfileOverrides(BUILTIN_PULL_PROFILES.containerd!, ['bandwidth=10Gbps', 'concurrency=1', 'gzip=250MB/s', 'per-entry=50us', 'gzip-concurrent=true'], rates);
    expect(p.bandwidthBitsPerSecond).toBe(10e9);
    expect(p.concurrentDownloads).toBe(1);
    expect(p.inflateBytesPerSecond.gzip).toBe(250e6);
    expect(p.perEntrySeconds).toBeCloseTo(50e-6, 12);
    expect(p.decompressConcurrent.gzip).toBe(true);
    expect(applyProfileOverrides(BUILTIN_PULL_PROFILES.ctr!, ['ingest=80MB/s'], rates).ingestBytesPerSecond).toBe(80e6);
    expect(BUILTIN_PULL_PROFILES.ctr!.ingestBytesPerSecond).toBeUndefined();
    expect(BUILTIN_PULL_PROFILES.containerd!.decompressConcurrent.gzip).toBe(false);
    for (const [o, key] of [
      ['bandwidth=0Gbps', 'bandwidth'],
      ['bandwidth=-5Mbps', 'bandwidth'],
      ['write=0MB/s', 'write'],
      ['ingest=0MB/s', 'ingest'],
      ['concurrency=-1', 'concurrency'],
      ['colour=red', 'colour'],
      ['gzip', 'gzip'],
    ] as const) {
      const [code, msg] = codeAndMessage(() => applyProfileOverrides(BUILTIN_PULL_PROFILES.docker!, [o], rates));
      expect(code).toBe('E_USAGE');
      expect(msg).toContain(key);
    }
  });

  it('parseSeconds reads us, ms and s', () => {
    expect(parseSeconds('20us')).toBeCloseTo(20e-6, 12);
    expect(parseSeconds('5ms')).toBe(0.005);
    expect(parseSeconds('0.1s')).toBe(0.1);
    expect(parseSeconds('2')).toBe(2);
    expect(parseSeconds('fast')).toBeUndefined();
  });
});
