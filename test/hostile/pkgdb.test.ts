/**
 * Hostile package databases inside an image (issue 15): a truncated rpmdb.sqlite, BerkeleyDB
 * overflow pages that loop, an rpm header whose counts run past its end, an apk db with 10^5
 * packages, and an rpm database over `maxPackageDatabaseBytes`. Each gives a report with a coded
 * warning and every other package attributed; none hangs or grows memory past a bound.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage } from '../../packages/core/src/analyze.js';
import { openDockerArchive } from '../../packages/core/src/sources/docker-archive.js';
import { loadSqlite } from '../../packages/core/src/attribution/pkgdb/rpm-sqlite.js';
import { bdbFile, simpleRpm } from '../../packages/core/src/attribution/pkgdb/testing.js';
import type { Limits } from '../../packages/core/src/limits.js';
import type { Report } from '../../packages/core/src/report-schema.js';
import { simpleTar, type SimpleEntry } from '../fuzz/raw-tar.js';
import { archiveOf, rssSampler } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-pkgdb-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The apk side of every image: one sound package whose bytes must survive the rpm damage. */
const APK: SimpleEntry[] = [
  { name: 'lib/apk/db/installed', content: 'P:musl\nV:1.2.4-r2\nI:4096\nF:lib\nR:ld-musl-x86_64.so.1\n\n' },
  { name: 'lib/ld-musl-x86_64.so.1', content: Buffer.alloc(12_345, 1) },
];

async function analyze(name: string, entries: SimpleEntry[], limits?: Partial<Limits>): Promise<{ report: Report; ms: number; rss: number }> {
  const file = join(dir, `${name}.tar`);
  writeFileSync(file, archiveOf([simpleTar([...APK, ...entries])]));
  const rss = rssSampler();
  const timer = setInterval(rss.sample, 20);
  const t0 = Date.now();
  try {
    const report = await analyzeImage(openDockerArchive(file), { limits });
    rss.sample();
    return { report, ms: Date.now() - t0, rss: rss.peakDelta() };
  } finally {
    clearInterval(timer);
  }
}

function expectApkIntact(r: Report): void {
  const musl = r.packages!.packages.find((p) => p.manager === 'apk' && p.name === 'musl');
  expect(musl?.visibleBytes).toBe(12_345);
}

describe('hostile package databases', () => {
  it('truncated rpmdb.sqlite: E_RPMDB_SQLITE warning, the rest of the report', async () => {
    const SQL = await loadSqlite();
    const db = new SQL.Database();
    db.run('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    for (let i = 0; i < 300; i++) db.run('INSERT INTO Packages (blob) VALUES (?)', [Buffer.concat([simpleRpm(`p${i}`, [[`/usr/lib/p${i}.so`, 10]]), Buffer.alloc(2000)])]);
    const whole = Buffer.from(db.export());
    db.close();
    const { report, ms } = await analyze('sqlite', [{ name: 'var/lib/rpm/rpmdb.sqlite', content: whole.subarray(0, Math.floor(whole.length / 3)) }]);
    expect(report.warnings.some((w) => w.code === 'W_RPMDB' && w.message.includes('(E_RPMDB_SQLITE)'))).toBe(true);
    expectApkIntact(report);
    expect(ms).toBeLessThan(30_000);
  });

  it('BerkeleyDB overflow pages that loop: E_RPMDB_BDB warning, other rpm packages kept', async () => {
    const big = simpleRpm('looping', Array.from({ length: 500 }, (_, i) => [`/x/f${i}`, i] as [string, number]));
    const packages = bdbFile([simpleRpm('fine', [['/usr/bin/fine', 77]], 77), big], { next: { 4: 3 } });
    const { report, ms } = await analyze('bdb-loop', [
      { name: 'var/lib/rpm/Packages', content: packages },
      { name: 'usr/bin/fine', content: Buffer.alloc(77, 2) },
    ]);
    expect(report.warnings.some((w) => w.code === 'W_RPMDB' && /loop.*\(E_RPMDB_BDB\)/.test(w.message))).toBe(true);
    expect(report.packages!.packages.find((p) => p.manager === 'rpm')).toMatchObject({ name: 'fine', visibleBytes: 77, sizeTag: 77 });
    expectApkIntact(report);
    expect(ms).toBeLessThan(30_000);
  });

  it('an rpm header with counts past its end: E_RPM_HEADER warning, the other headers read', async () => {
    const bad = simpleRpm('bad', [['/usr/bin/bad', 5]]);
    bad.writeUInt32BE(1 << 30, 8 + 4 * 16 + 12); // FILESIZES count
    const { report } = await analyze('header', [
      { name: 'var/lib/rpm/Packages', content: bdbFile([bad, simpleRpm('good', [['/usr/bin/good', 9]], 9)]) },
      { name: 'usr/bin/good', content: Buffer.alloc(9, 3) },
    ]);
    expect(report.warnings.some((w) => w.code === 'W_RPMDB' && w.message.includes('(E_RPM_HEADER)'))).toBe(true);
    expect(report.packages!.packages.filter((p) => p.manager === 'rpm').map((p) => [p.name, p.visibleBytes])).toEqual([['good', 9]]);
    expectApkIntact(report);
  });

  it('an apk db with 10^5 packages: E_PKGDB_LIMIT, bounded time and memory', async () => {
    const db = Array.from({ length: 100_000 }, (_, i) => `P:pkg${i}\nV:1-r0\nI:4096\nF:usr/lib/p${i}\nR:a.so\n`).join('\n');
    const file = join(dir, 'apk-1e5.tar');
    writeFileSync(file, archiveOf([simpleTar([{ name: 'lib/apk/db/installed', content: db }, { name: 'usr/lib/p7/a.so', content: 'x' }])]));
    const rss = rssSampler();
    const timer = setInterval(rss.sample, 20);
    const t0 = Date.now();
    const report = await analyzeImage(openDockerArchive(file)).finally(() => clearInterval(timer));
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(rss.peakDelta()).toBeLessThan(512 << 20);
    expect(report.warnings.some((w) => w.code === 'W_PKGDB_LIMIT' && w.message.includes('(E_PKGDB_LIMIT)'))).toBe(true);
    expect(report.packages!.managers.apk!.packages).toBe(50_000);
    expect(report.packages!.packages.find((p) => p.name === 'pkg7')?.visibleBytes).toBe(1);
  });

  it('an rpm database over maxPackageDatabaseBytes is kept truncated, named in a warning', async () => {
    const packages = bdbFile(Array.from({ length: 40 }, (_, i) => simpleRpm(`p${i}`, [[`/usr/lib/p${i}`, 1]])));
    const { report } = await analyze('over-limit', [{ name: 'var/lib/rpm/Packages', content: packages }], { maxPackageDatabaseBytes: 8192 });
    expect(report.warnings.some((w) => w.code === 'W_CAPTURE_TRUNCATED' && w.message.includes('limit maxPackageDatabaseBytes'))).toBe(true);
    expect(report.warnings.some((w) => w.code === 'W_PACKAGE_DB' && w.message.includes('(E_PKGDB_TRUNCATED)'))).toBe(true);
    expectApkIntact(report);
  });
});
