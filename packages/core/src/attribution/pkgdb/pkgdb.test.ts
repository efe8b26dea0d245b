import { describe, expect, it } from 'vitest';
import { parseApkInstalled } from './apk.js';
import { MAX_PACKAGES_PER_DB, PkgdbError } from './errors.js';
import { parseNpmManifest, parsePackageLock } from './npm.js';
import { readRpmBdb } from './rpm-bdb.js';
import { parseRpmHeader, rpmEvr } from './rpm-header.js';
import { readRpmNdb } from './rpm-ndb.js';
import { isSqlite, loadSqlite, readRpmSqlite } from './rpm-sqlite.js';
import { readRpmDatabase, rpmDbFormat } from './rpmdb.js';
import { bdbFile, rpmHeaderBlob, simpleRpm } from './testing.js';
import { parseOsRelease } from './collect.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof PkgdbError) return e.code;
    throw e;
  }
};

describe('rpm header', () => {
  it('reads names, EVR, SIZE and files joined from BASENAMES/DIRNAMES/DIRINDEXES', () => {
    const p = parseRpmHeader(simpleRpm('hello', [['/usr/bin/hello', 100, 0o100755], ['/usr/share/doc/hello/README', 7]], 107));
    expect([p.name, rpmEvr(p), p.sizeTag]).toEqual(['hello', '1.0-1', 107]);
    expect(p.files.map((f) => [f.path, f.size, f.mode])).toEqual([
      ['/usr/bin/hello', 100, 0o100755],
      ['/usr/share/doc/hello/README', 7, 0o100644],
    ]);
    expect(rpmEvr({ version: '2', release: '3', epoch: 1 })).toBe('1:2-3');
  });

  it('rejects counts and offsets past the end of the blob (regression: counts past its end)', () => {
    const good = simpleRpm('x', [['/a/b', 1]]);
    const longer = Buffer.from(good);
    longer.writeUInt32BE(0xffff, 0); // il past the blob
    expect(codeOf(() => parseRpmHeader(longer))).toBe('E_RPM_HEADER');
    const huge = Buffer.from(good);
    huge.writeUInt32BE(0xffffffff, 0);
    expect(codeOf(() => parseRpmHeader(huge))).toBe('E_RPM_HEADER');
    // FILESIZES (index entry 4) claiming 2^30 values.
    const count = Buffer.from(good);
    count.writeUInt32BE(1 << 30, 8 + 4 * 16 + 12);
    expect(codeOf(() => parseRpmHeader(count))).toBe('E_RPM_HEADER');
    // A string array whose strings run off the end.
    const strs = rpmHeaderBlob([
      { tag: 1000, type: 'string', value: 'x' },
      { tag: 1117, type: 'strings', value: ['a', 'b'] },
    ]);
    strs.writeUInt32BE(1000, 8 + 16 + 12);
    expect(codeOf(() => parseRpmHeader(strs))).toBe('E_RPM_HEADER');
    // DIRINDEXES pointing past DIRNAMES.
    const di = rpmHeaderBlob([
      { tag: 1000, type: 'string', value: 'x' },
      { tag: 1028, type: 'int32', value: [1] },
      { tag: 1030, type: 'int16', value: [0o100644] },
      { tag: 1116, type: 'int32', value: [5] },
      { tag: 1117, type: 'strings', value: ['f'] },
      { tag: 1118, type: 'strings', value: ['/d/'] },
    ]);
    expect(codeOf(() => parseRpmHeader(di))).toBe('E_RPM_HEADER');
    expect(codeOf(() => parseRpmHeader(Buffer.alloc(3)))).toBe('E_RPM_HEADER');
    expect(codeOf(() => parseRpmHeader(rpmHeaderBlob([{ tag: 1001, type: 'string', value: '1' }])))).toBe('E_RPM_HEADER');
  });
});

describe('rpm BerkeleyDB', () => {
  it('reads headers spread over overflow chains; in-page key data is skipped', () => {
    const big = simpleRpm('big', Array.from({ length: 600 }, (_, i) => [`/usr/share/big/file-${i}`, i] as [string, number]));
    expect(big.length).toBeGreaterThan(8000);
    const r = readRpmDatabase(bdbFile([simpleRpm('one'), big]), undefined);
    expect(r.format).toBe('bdb');
    expect(r.warnings).toEqual([]);
    expect(r.packages.map((p) => [p.name, p.files.length])).toEqual([
      ['one', 0],
      ['big', 600],
    ]);
  });

  it('stops a looping overflow chain with a coded warning and keeps the other packages (regression: pages with loops)', () => {
    const big = simpleRpm('loop', Array.from({ length: 400 }, (_, i) => [`/x/f${i}`, i] as [string, number]));
    // pages: 2 = 'ok', 3.. = 'loop' chain; point the chain's second page back at its first.
    const file = bdbFile([simpleRpm('ok'), big], { next: { 4: 3 } });
    const t0 = Date.now();
    const r = readRpmDatabase(file, undefined);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r.packages.map((p) => p.name)).toEqual(['ok']);
    expect(r.warnings.map((w) => w.code)).toEqual(['E_RPMDB_BDB']);
    expect(r.warnings[0]!.message).toMatch(/loop/);
  });

  it('bounds the walk when many entries share one long chain', () => {
    const big = simpleRpm('shared', Array.from({ length: 2000 }, (_, i) => [`/x/f${i}`, i] as [string, number]));
    const one = bdbFile([big]);
    const pages = one.length / 4096 - 2;
    const file = bdbFile([big], { pointAt: Array.from({ length: 150 }, () => 2) });
    const t0 = Date.now();
    const r = readRpmBdb(file);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.blobs.length).toBeLessThanOrEqual(Math.ceil((2 * (pages + 2) + 16) / pages));
    expect(r.warnings.map((w) => w.code)).toContain('E_RPMDB_BDB');
  });

  it('rejects what is not a hash database, and clamps a last-page number past the file', () => {
    expect(codeOf(() => readRpmBdb(Buffer.alloc(4096)))).toBe('E_RPMDB_BDB');
    expect(codeOf(() => readRpmBdb(Buffer.alloc(10)))).toBe('E_RPMDB_BDB');
    const f = bdbFile([simpleRpm('a')]);
    f.writeUInt32LE(1_000_000, 32);
    const r = readRpmBdb(f);
    expect(r.blobs).toHaveLength(1);
    expect(r.warnings[0]!.code).toBe('E_RPMDB_BDB');
  });
});

describe('rpm ndb', () => {
  const ndb = (blobs: Buffer[]): Buffer => {
    const slots = Buffer.alloc(4096);
    slots.writeUInt32LE(0x506d7052, 0);
    slots.writeUInt32LE(1, 12);
    const parts: Buffer[] = [];
    let blk = 256;
    blobs.forEach((b, i) => {
      const n = Math.ceil((32 + b.length) / 16);
      slots.write('Slot', 32 + i * 16, 'latin1');
      slots.writeUInt32LE(i + 1, 36 + i * 16);
      slots.writeUInt32LE(blk, 40 + i * 16);
      slots.writeUInt32LE(n, 44 + i * 16);
      const blob = Buffer.alloc(n * 16);
      blob.write('BlbS', 0, 'latin1');
      blob.writeUInt32LE(i + 1, 4);
      blob.writeUInt32LE(b.length, 12);
      b.copy(blob, 16);
      parts.push(blob);
      blk += n;
    });
    for (let o = 32 + blobs.length * 16; o < 4096; o += 16) slots.write('Slot', o, 'latin1');
    return Buffer.concat([slots, ...parts]);
  };
  it('reads blobs in slot order; a malformed header is a warning, the rest still read', () => {
    const bad = simpleRpm('bad', [['/a', 1]]);
    bad.writeUInt32BE(0xfff, 0);
    const r = readRpmDatabase(ndb([simpleRpm('a'), bad, simpleRpm('c')]), undefined);
    expect(r.format).toBe('ndb');
    expect(r.packages.map((p) => p.name)).toEqual(['a', 'c']);
    expect(r.warnings.map((w) => w.code)).toEqual(['E_RPM_HEADER']);
  });
  it('skips slots pointing past the file or at a shared blob; rejects a bad magic', () => {
    const f = ndb([simpleRpm('a'), simpleRpm('b')]);
    f.writeUInt32LE(0x7fffffff, 40 + 16); // slot 2 → far past the end
    const r = readRpmNdb(f);
    expect(r.blobs).toHaveLength(1);
    const g = ndb([simpleRpm('a'), simpleRpm('b')]);
    g.writeUInt32LE(g.readUInt32LE(40), 40 + 16); // slot 2 → slot 1's blob (its pkgidx differs: foreign)
    expect(readRpmNdb(g).blobs).toHaveLength(1);
    expect(codeOf(() => readRpmNdb(Buffer.alloc(64)))).toBe('E_RPMDB_NDB');
    expect(rpmDbFormat(Buffer.from('nothing at all here'))).toBeUndefined();
  });
});

describe('rpm sqlite', () => {
  it('fails a truncated or foreign file with E_RPMDB_SQLITE (regression: truncated sqlite)', async () => {
    const SQL = await loadSqlite();
    const db = new SQL.Database();
    db.run('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const pad = Buffer.alloc(3000, 1);
    for (let i = 0; i < 200; i++) db.run('INSERT INTO Packages (blob) VALUES (?)', [Buffer.concat([simpleRpm(`p${i}`, [[`/usr/lib/p${i}/f`, i]]), pad])]);
    const whole = Buffer.from(db.export());
    db.close();
    expect(isSqlite(whole)).toBe(true);
    const ok = readRpmDatabase(whole, SQL);
    expect(ok.packages).toHaveLength(200);
    for (const cut of [100, 4096, Math.floor(whole.length / 2), whole.length - 4096]) {
      let code: string | undefined;
      let n = -1;
      try {
        const r = readRpmSqlite(whole.subarray(0, cut), SQL);
        n = r.blobs.length;
        code = r.warnings[0]?.code;
      } catch (e) {
        code = (e as PkgdbError).code;
      }
      expect(code, `cut at ${cut}`).toBe('E_RPMDB_SQLITE');
      expect(n).toBeLessThan(200);
    }
    expect(codeOf(() => readRpmSqlite(Buffer.from('not sqlite'), SQL))).toBe('E_RPMDB_SQLITE');
    expect(codeOf(() => readRpmDatabase(whole, undefined))).toBe('E_RPMDB_SQLITE');
  });
});

describe('apk installed', () => {
  it('stops at the package limit with E_PKGDB_LIMIT (regression: an apk db with 10^5 packages)', () => {
    const text = Array.from({ length: 100_000 }, (_, i) => `P:pkg${i}\nV:1.0-r${i}\nI:4096\nF:usr/lib/pkg${i}\nR:lib.so\n`).join('\n');
    const t0 = Date.now();
    const r = parseApkInstalled(text);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.packages).toHaveLength(MAX_PACKAGES_PER_DB);
    expect(r.warnings.map((w) => w.code)).toEqual(['E_PKGDB_LIMIT']);
    expect(r.packages[1]!.files).toEqual(['usr/lib/pkg1/lib.so']);
  });
  it('joins R: lines to the current F: directory, CRLF and missing trailing newline included', () => {
    const r = parseApkInstalled('P:a\r\nV:1\r\nR:top\r\nF:usr/bin\r\nR:x\r\nF:/etc/\r\nR:y');
    expect(r.packages[0]!.files).toEqual(['top', 'usr/bin/x', 'etc/y']);
  });
});

describe('npm and os-release', () => {
  it('warns on invalid package.json and reads lock files', () => {
    const w: Parameters<typeof parseNpmManifest>[2] = [];
    expect(parseNpmManifest('{"name": ', 'p', w)).toBeUndefined();
    expect(parseNpmManifest('[1]', 'p', w)).toBeUndefined();
    expect(w.map((x) => x.code)).toEqual(['E_NPM_PACKAGE', 'E_NPM_PACKAGE']);
    const l = parsePackageLock(JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'r' }, 'node_modules/a': { version: '1', dev: true }, 'node_modules/@s/b': { version: '2' } } }), 'l', w)!;
    expect(l.entries.map((e) => [e.path, e.name, e.dev])).toEqual([
      ['', 'r', false],
      ['node_modules/a', 'a', true],
      ['node_modules/@s/b', '@s/b', false],
    ]);
  });
  it('parses os-release quoting', () => {
    expect(parseOsRelease('NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n# c\nPRETTY_NAME=\'RHEL 9\'\n', 'etc/os-release')).toEqual({
      id: 'rhel',
      versionId: '9.4',
      name: 'Red Hat Enterprise Linux',
      prettyName: 'RHEL 9',
      path: '/etc/os-release',
    });
    expect(parseOsRelease('garbage', 'x')).toBeUndefined();
  });
});
