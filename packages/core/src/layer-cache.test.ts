import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir, homedir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLayerCache, defaultCacheDir, scanVariant, type CachedLayer } from './layer-cache.js';
import { definePlugin } from './layer-scan.js';
import { EntryTable } from './entry-table.js';

const KEY = `sha256:${'ab'.repeat(32)}`;
const DIFF = `sha256:${'cd'.repeat(32)}`;

function sample(): CachedLayer {
  return {
    key: KEY,
    diffId: DIFF,
    blobSize: 1234,
    compression: 'gzip',
    scan: {
      entries: EntryTable.from([
        { path: 'etc', type: 'dir', size: 0, mode: 0o755 },
        { path: 'etc/hosts', type: 'file', size: 10, mode: 0o644, csize: 7.5 },
        { path: 'bin/sh', type: 'symlink', size: 0, mode: 0o777, linkTarget: 'busybox' },
        { path: 'var/lib/dpkg/status', type: 'file', size: 4, mode: 0o644 },
      ]),
      tarBytes: 10240,
      contentBytes: 14,
      captured: [{ path: 'var/lib/dpkg/status', content: Buffer.from([0, 1, 2, 255]), truncated: false }],
      estimatedCompressedBytes: 999,
      warnings: [{ code: 'W_LAYER_TAR', message: 'a warning' }],
    },
  };
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('layer cache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgsize-cache-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips a scan, captured bytes and estimates included', async () => {
    const c = createLayerCache({ dir });
    expect(await c.get(KEY)).toBeUndefined();
    await c.put(sample());
    expect(await c.get(KEY)).toEqual(sample());
    const written = await files(dir);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/layers\/v5\/sha256\/ab\/(ab){32}\.[0-9a-f]{12}\.[0-9a-f]{64}\.json\.gz$/);
    // the name carries the digest of the file
    const raw = await readFile(written[0]!);
    expect(written[0]).toContain(`.${createHash('sha256').update(raw).digest('hex')}.json.gz`);
  });

  it('keeps scan variants apart', async () => {
    const c = createLayerCache({ dir });
    await c.put(sample(), 'plugins=sampler');
    expect(await c.get(KEY)).toBeUndefined();
    expect((await c.get(KEY, 'plugins=sampler'))?.scan.contentBytes).toBe(14);
  });

  /** Rewrites the entry file: new bytes, named by their digest (a forger who knows the format). */
  async function forge(file: string, edit: (json: Record<string, any>) => void): Promise<string> {
    const json = JSON.parse(gunzipSync(await readFile(file)).toString());
    edit(json);
    const body = gzipSync(JSON.stringify(json));
    const named = file.replace(/\.[0-9a-f]{64}\.json\.gz$/, `.${createHash('sha256').update(body).digest('hex')}.json.gz`);
    await rm(file);
    await writeFile(named, body);
    return named;
  }

  it('ignores corrupt, foreign and mismatched entries, says why, and deletes them; the next put rewrites them', async () => {
    const c = createLayerCache({ dir });
    const reasons: string[] = [];
    const bads: [Buffer | ((j: Record<string, any>) => void), RegExp][] = [
      [Buffer.from('garbage'), /does not match the digest in its name/],
      [gzipSync('{"not":"ours"}'), /does not match the digest in its name/],
      [(j) => void (j.version = 99), /not a layer cache entry of this version/],
      [(j) => void (j.key = `sha256:${'ef'.repeat(32)}`), /holds the scan of sha256:(ef){32}/],
    ];
    for (const [bad, why] of bads) {
      await c.put(sample());
      const [file] = await files(dir);
      if (Buffer.isBuffer(bad)) await writeFile(file!, bad);
      else await forge(file!, bad);
      expect(await c.get(KEY, undefined, (w) => reasons.push(w))).toBeUndefined();
      expect(reasons.pop()).toMatch(why);
      expect(await files(dir)).toEqual([]);
    }
    await c.put(sample());
    expect(await c.get(KEY)).toEqual(sample());
  });

  // Regression (issue 16): an entry rewritten as valid gzip JSON with wrong numbers was served.
  it('a forged entry (valid gzip JSON, wrong numbers) is not served: with or without a matching digest name', async () => {
    const c = createLayerCache({ dir });
    const forgeries: [string, (j: Record<string, any>) => void, RegExp][] = [
      ['contentBytes 777', (j) => void (j.scan.contentBytes = 777), /contentBytes is 777 but the file sizes add up to 14/],
      ['one size 10^12', (j) => void ((j.scan.entries[1][2] = 1e12), (j.scan.contentBytes = 1e12 + 4)), /tarBytes is 10240, less than the \d+ bytes/],
      ['10 entries', (j) => void (j.scan.entryCount = 10), /says 10 entries but lists 4/],
      ['a dir with a size', (j) => void (j.scan.entries[0][2] = 5), /"etc" is a dir of 5 bytes/],
      ['a captured file of another size', (j) => void (j.scan.captured[0].content = Buffer.from('xx').toString('base64')), /captured file "var\/lib\/dpkg\/status"/],
      ['an uncompressed blob smaller than its tar', (j) => void ((j.compression = 'none'), (j.blobSize = 100)), /cannot hold 10240 bytes/],
    ];
    for (const [what, edit, why] of forgeries) {
      const entry = sample();
      await c.put(entry);
      expect(await c.get(KEY), what).toEqual(entry);
      const [file] = await files(dir);
      // a careless forger (the name's digest is now wrong) and a careful one
      for (const careful of [false, true]) {
        const json = JSON.parse(gunzipSync(await readFile(file!)).toString());
        edit(json);
        if (careful) await forge(file!, edit);
        else await writeFile(file!, gzipSync(JSON.stringify(json)));
        const reasons: string[] = [];
        expect(await c.get(KEY, undefined, (w) => reasons.push(w)), what).toBeUndefined();
        expect(reasons, what).toHaveLength(1);
        expect(reasons[0], what).toMatch(careful ? why : /does not match the digest in its name/);
        expect(await files(dir), what).toEqual([]);
        await c.put(entry);
      }
      await rm(join(dir, 'layers'), { recursive: true });
    }
  });

  it('a truncated entry is not served', async () => {
    const c = createLayerCache({ dir });
    await c.put(sample());
    const [file] = await files(dir);
    const raw = await readFile(file!);
    for (const n of [raw.length - 1, raw.length >> 1, 10, 0]) {
      await writeFile(file!, raw.subarray(0, n));
      const reasons: string[] = [];
      expect(await c.get(KEY, undefined, (w) => reasons.push(w))).toBeUndefined();
      expect(reasons[0]).toMatch(/truncated or rewritten/);
      await c.put(sample());
    }
  });

  it('swapped entries (one layer\'s file under another\'s name) are not served', async () => {
    const c = createLayerCache({ dir });
    const other = `sha256:${'ac'.repeat(32)}`;
    await c.put(sample());
    await c.put({ ...sample(), key: other, scan: { ...sample().scan, entries: EntryTable.from([]), contentBytes: 0, captured: [] } });
    const all = await files(dir);
    const mine = all.find((f) => f.includes('ab'.repeat(32)))!;
    const theirs = all.find((f) => f.includes('ac'.repeat(32)))!;
    // the other entry's file, digest and all, renamed to this key
    await rm(mine);
    await rename(theirs, join(mine, '..', basename(theirs).replace('ac'.repeat(32), 'ab'.repeat(32))));
    const reasons: string[] = [];
    expect(await c.get(KEY, undefined, (w) => reasons.push(w))).toBeUndefined();
    expect(reasons[0]).toMatch(/holds the scan of sha256:(ac){32}/);
  });

  it('writes atomically: no temp files are left, and keys that are not digests are never paths', async () => {
    const c = createLayerCache({ dir });
    await Promise.all(Array.from({ length: 8 }, () => c.put(sample())));
    expect((await files(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    await c.put({ ...sample(), key: '../../etc/passwd' });
    expect(await c.get('../../etc/passwd')).toBeUndefined();
    expect(await files(dir)).toHaveLength(1);
  });

  it('a new put replaces an older entry of the same key and variant', async () => {
    const c = createLayerCache({ dir });
    await c.put(sample());
    await c.put({ ...sample(), blobSize: 99 });
    expect(await files(dir)).toHaveLength(1);
    expect((await c.get(KEY))?.blobSize).toBe(99);
  });

  it('a put into an unwritable place is swallowed', async () => {
    const notADir = join(dir, 'file');
    await writeFile(notADir, 'x');
    const c = createLayerCache({ dir: notADir });
    await expect(c.put(sample())).resolves.toBeUndefined();
    expect(await c.get(KEY)).toBeUndefined();
  });

  it('defaults to $XDG_CACHE_HOME/imgsize, else ~/.cache/imgsize', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/imgsize');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(join(homedir(), '.cache', 'imgsize'));
    expect(defaultCacheDir({})).toBe(join(homedir(), '.cache', 'imgsize'));
    expect(createLayerCache({ env: { XDG_CACHE_HOME: '/y' } }).dir).toBe('/y/imgsize');
  });

  it('names scan variants from the scan options and the plugins\' ids and versions', () => {
    expect(scanVariant(undefined)).toBe('default');
    expect(scanVariant({})).toBe('default');
    const plugin = () => ({ want: () => null, data: () => undefined, entryEnd: () => undefined, finish: () => undefined });
    expect(scanVariant({ plugins: [definePlugin('x/sampler', '2', plugin)], maxCaptureBytes: 5 })).toBe('maxCapture=5;plugins=[["x/sampler","2"]]');
    expect(scanVariant({ maxCaptureBytes: 5 })).toBe(scanVariant(undefined, { maxMetadataFileBytes: 5 }));
    // Distinct ids or versions never share a variant; ids cannot be forged by punctuation.
    const variants = [
      [definePlugin('a', '1', plugin)],
      [definePlugin('a', '2', plugin)],
      [definePlugin('b', '1', plugin)],
      [definePlugin('a,b', '1', plugin)],
      [definePlugin('a', '1', plugin), definePlugin('b', '1', plugin)],
    ].map((plugins) => scanVariant({ plugins }));
    expect(new Set(variants).size).toBe(variants.length);
  });

  it('a scan that cannot be named is never cached: anonymous plugins, custom capture functions', () => {
    // Regression: anonymous plugins and the default sampler were both `plugins=anonymous`.
    const plugin = () => ({ want: () => null, data: () => undefined, entryEnd: () => undefined, finish: () => undefined });
    expect(scanVariant({ plugins: [plugin] })).toBeUndefined();
    expect(scanVariant({ plugins: [definePlugin('a', '1', plugin), plugin] })).toBeUndefined();
    expect(scanVariant({ capture: () => true })).toBeUndefined();
  });
});
