/**
 * Conformance: every package-database fixture of shared/conformance/packages (syft, trivy and
 * go-rpmdb test data; EXPECTED.md) is read, and every number EXPECTED.md lists is asserted:
 * package counts, names, versions, SIZE tags and per-file sizes. Fixtures are located beside the
 * repository (../shared); a missing one skips, and fails under CI=true.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { parseApkInstalled } from '../../packages/core/src/attribution/pkgdb/apk.js';
import { parseNpmManifest, parsePackageLock, type NpmLockEntry } from '../../packages/core/src/attribution/pkgdb/npm.js';
import { readRpmDatabase } from '../../packages/core/src/attribution/pkgdb/rpmdb.js';
import { S_IFLNK, S_IFMT, S_IFREG, type RpmPackage } from '../../packages/core/src/attribution/pkgdb/rpm-header.js';
import { loadSqlite } from '../../packages/core/src/attribution/pkgdb/rpm-sqlite.js';
import { parseDpkgStatus, parseRecord } from '../../packages/core/src/attribution/packages.js';
import type { PkgdbWarning } from '../../packages/core/src/attribution/pkgdb/errors.js';

const ROOT = fileURLToPath(new URL('../../../shared/conformance/packages/', import.meta.url));
const present = existsSync(`${ROOT}EXPECTED.md`);
if (!present && process.env.CI === 'true') throw new Error(`CI=true but the package fixtures are missing: ${ROOT}`);
const d = present ? describe : describe.skip;
const read = (p: string): Buffer => readFileSync(`${ROOT}${p}`);

let sqlite: SqlJsStatic;
beforeAll(async () => {
  sqlite = await loadSqlite();
});

/** Σ FILESIZES once per (device, inode), over the entries `keep` accepts. */
function sizeOnce(p: RpmPackage, keep: (mode: number) => boolean): number {
  const seen = new Set<string>();
  let s = 0;
  p.files.forEach((f, i) => {
    if (!keep(f.mode)) return;
    const k = f.inode ?? `#${i}`;
    if (seen.has(k)) return;
    seen.add(k);
    s += f.size;
  });
  return s;
}
const isReg = (m: number): boolean => (m & S_IFMT) === S_IFREG;
const files = (p: RpmPackage): Array<[string, number, number]> => p.files.map((f) => [f.path, f.mode, f.size]);

d('rpm sqlite: go-rpmdb cbl-mariner-2.0/rpmdb.sqlite', () => {
  it('reads 129 packages, curl exactly as asserted, and the computed totals', () => {
    const r = readRpmDatabase(read('rpm-sqlite/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite'), sqlite);
    expect(r.format).toBe('sqlite');
    expect(r.warnings).toEqual([]);
    expect(r.packages).toHaveLength(129);
    const curl = r.packages.find((p) => p.name === 'curl')!;
    expect({ v: curl.version, r: curl.release, a: curl.arch, s: curl.sizeTag, src: curl.sourceRpm }).toEqual({
      v: '7.76.0',
      r: '6.cm2',
      a: 'x86_64',
      s: 326023,
      src: 'curl-7.76.0-6.cm2.src.rpm',
    });
    expect(files(curl)).toEqual([
      ['/usr/bin/curl', 0x81ed, 267672],
      ['/usr/bin/curl-config', 0x81ed, 7515],
      ['/usr/share/licenses/curl', 0x41ed, 0],
      ['/usr/share/licenses/curl/COPYING', 0x81a4, 1088],
      ['/usr/share/man/man1/curl-config.1.gz', 0x81a4, 1763],
      ['/usr/share/man/man1/curl.1.gz', 0x81a4, 47985],
    ]);
    expect(curl.files.map((f) => f.flags)).toEqual([0, 0, 0, 128, 2, 2]);
    expect(curl.files.reduce((s, f) => s + f.size, 0)).toBe(326023);
    expect(r.packages.reduce((s, p) => s + (p.sizeTag ?? 0), 0)).toBe(201943247);
    expect(r.packages.reduce((s, p) => s + p.files.length, 0)).toBe(7269);
    const by = (n: string): RpmPackage => r.packages.find((p) => p.name === n)!;
    expect(r.packages[0]!.name).toBe('mariner-release');
    expect(r.packages[0]!.sizeTag).toBe(608);
    expect([by('filesystem').version, by('filesystem').release, by('filesystem').sizeTag, by('filesystem').files.length]).toEqual(['1.1', '8.cm2', 7506, 118]);
    expect([by('glibc').version, by('glibc').release, by('glibc').sizeTag, by('glibc').files.length]).toEqual(['2.34', '2.cm2', 9867459, 84]);
    expect([by('bash').version, by('bash').release, by('bash').sizeTag, by('bash').files.length]).toEqual(['5.1.8', '1.cm2', 3565139, 67]);
    expect([r.packages.at(-1)!.name, r.packages.at(-1)!.sizeTag]).toEqual(['sqlite', 1582413]);
    // This DB's SIZE convention: every entry once per inode (symlinks count their target length).
    expect(r.packages.filter((p) => sizeOnce(p, () => true) === p.sizeTag)).toHaveLength(129);
    expect(r.packages.filter((p) => sizeOnce(p, isReg) === p.sizeTag)).toHaveLength(40);
  });
});

d('rpm ndb: go-rpmdb sle15-bci/Packages.db', () => {
  it('reads the 35 packages in DB order with the asserted SIZE tags', () => {
    const r = readRpmDatabase(read('rpm-ndb/go-rpmdb/sle15-bci/Packages.db'), undefined);
    expect(r.format).toBe('ndb');
    expect(r.warnings).toEqual([]);
    expect(r.packages).toHaveLength(35);
    const q = (p: RpmPackage): string => `${p.name} ${p.version} ${p.release} ${p.sizeTag}`;
    expect(q(r.packages[0]!)).toBe('system-user-root 20190513 3.3.1 186');
    expect(q(r.packages[1]!)).toBe('filesystem 15.0 11.3.2 535');
    expect(q(r.packages.find((p) => p.name === 'glibc')!)).toBe('glibc 2.31 9.3.2 6183407');
    expect(q(r.packages.find((p) => p.name === 'bash')!)).toBe('bash 4.4 19.6.1 1114706');
    expect(q(r.packages.find((p) => p.name === 'coreutils')!)).toBe('coreutils 8.32 3.2.1 6488992');
    expect(q(r.packages.at(-1)!)).toBe('rpm-ndb 4.14.3 40.1 3132579');
    expect(r.packages.reduce((s, p) => s + (p.sizeTag ?? 0), 0)).toBe(39681521);
    expect(r.packages.reduce((s, p) => s + p.files.length, 0)).toBe(2837);
    const n = (name: string): RpmPackage => r.packages.find((p) => p.name === name)!;
    expect([n('glibc').files.length, n('coreutils').files.length, n('filesystem').files.length]).toEqual([67, 145, 788]);
    expect(sizeOnce(n('filesystem'), isReg)).toBe(535);
    // This DB's SIZE convention: regular files only, once per inode.
    expect(r.packages.filter((p) => sizeOnce(p, isReg) === p.sizeTag)).toHaveLength(35);
    expect(r.packages.filter((p) => sizeOnce(p, () => true) === p.sizeTag)).toHaveLength(7);
  });
});

d('rpm BerkeleyDB', () => {
  it('go-rpmdb libuuid/Packages: 1 package, asserted fields and files', () => {
    const buf = read('rpm-bdb/go-rpmdb/libuuid/Packages');
    expect(buf.length).toBe(94208);
    const r = readRpmDatabase(buf, undefined);
    expect(r.format).toBe('bdb');
    expect(r.warnings).toEqual([]);
    expect(r.packages).toHaveLength(1);
    const p = r.packages[0]!;
    expect([p.name, p.version, p.release, p.arch, p.sizeTag, p.sourceRpm, p.vendor]).toEqual([
      'libuuid',
      '2.32.1',
      '42.el8_8',
      'x86_64',
      35104,
      'util-linux-2.32.1-42.el8_8.src.rpm',
      'Red Hat, Inc.',
    ]);
    expect(files(p)).toEqual([
      ['/usr/lib/.build-id', 0x41ed, 0],
      ['/usr/lib/.build-id/df/ef6a880adac817216ab9866779a0725e017647', 0xa1ff, 38],
      ['/usr/lib64/libuuid.so.1', 0xa1ff, 16],
      ['/usr/lib64/libuuid.so.1.3.0', 0x81ed, 33496],
      ['/usr/share/licenses/libuuid', 0x41ed, 0],
      ['/usr/share/licenses/libuuid/COPYING', 0x81a4, 217],
      ['/usr/share/licenses/libuuid/COPYING.BSD-3', 0x81a4, 1391],
    ]);
    expect(sizeOnce(p, isReg)).toBe(35104);
    expect(p.files.reduce((s, f) => s + f.size, 0)).toBe(35158);
    expect(p.files.filter((f) => (f.mode & S_IFMT) === S_IFLNK).map((f) => f.size)).toEqual([38, 16]);
  });

  it('syft Packages: exactly 1 package, dive 0.9.2-1 with its one file', () => {
    const buf = read('rpm-bdb/syft/Packages');
    expect(buf.length).toBe(16384);
    const r = readRpmDatabase(buf, undefined);
    expect(r.packages).toHaveLength(1);
    const p = r.packages[0]!;
    expect([p.name, `${p.version}-${p.release}`, p.arch, p.release, p.version, p.sourceRpm, p.sizeTag]).toEqual([
      'dive',
      '0.9.2-1',
      'x86_64',
      '1',
      '0.9.2',
      'dive-0.9.2-1.src.rpm',
      12406784,
    ]);
    expect(files(p)).toEqual([['/usr/local/bin/dive', 33261, 12406784]]);
  });
});

d('apk installed databases', () => {
  const one = (path: string): ReturnType<typeof parseApkInstalled> => parseApkInstalled(read(path).toString('utf8'));
  it('syft single / base / empty-deps-and-provides / extra-file-attributes', () => {
    const cases: Array<[string, string, string, number | undefined, number | undefined, number, number]> = [
      ['apk/syft/single', 'musl-utils', '1.1.24-r2', 37944, 151552, 3, 5],
      ['apk/syft/base', 'alpine-baselayout', '3.2.0-r6', 19917, 409600, 69, 27],
      ['apk/syft/empty-deps-and-provides', 'alpine-baselayout-data', '3.4.0-r0', 11664, 77824, 1, 15],
      ['apk/syft/extra-file-attributes', 'openjdk8-jre', '8.212.04-r0', 359029, 970752, 5, 1],
    ];
    for (const [path, name, version, S, I, dirs, rfiles] of cases) {
      const r = one(path);
      expect(r.packages, path).toHaveLength(1);
      const p = r.packages[0]!;
      expect([p.name, p.version, p.packageSize, p.installedSize, p.dirs.length, p.files.length], path).toEqual([name, version, S, I, dirs, rfiles]);
    }
    expect(one('apk/syft/single').packages[0]!.files.map((f) => `/${f}`).sort()).toEqual(
      ['/sbin/ldconfig', '/usr/bin/iconv', '/usr/bin/ldd', '/usr/bin/getconf', '/usr/bin/getent'].sort(),
    );
    expect(one('apk/syft/extra-file-attributes').packages[0]!.files).toEqual(['usr/lib/jvm/java-1.8-openjdk/bin/policytool']);
  });

  it('syft multiple-1 and multiple-2', () => {
    const m1 = one('apk/syft/multiple-1/lib/apk/db/installed').packages;
    expect(m1.map((p) => [p.name, p.version, p.packageSize, p.installedSize, p.files.length])).toEqual([
      ['bash', '5.2.21-r0', 448728, 1396736, 0],
      ['busybox-binsh', '1.36.1-r15', 1543, 8192, 1],
      ['musl', '1.2.4_git20230717-r4', 407278, 667648, 2],
      ['readline', '8.2.1-r2', 119878, 303104, 2],
    ]);
    expect(m1.reduce((s, p) => s + p.installedSize!, 0)).toBe(2375680);
    const m2 = one('apk/syft/multiple-2/lib/apk/db/installed').packages;
    expect(m2).toHaveLength(14);
    expect(m2.reduce((s, p) => s + p.installedSize!, 0)).toBe(6393856);
    expect(m2.reduce((s, p) => s + p.files.length, 0)).toBe(105);
    const by = (n: string): (typeof m2)[number] => m2.find((p) => p.name === n)!;
    expect([by('libcrypto1.1').version, by('libcrypto1.1').installedSize, by('libcrypto1.1').files.length]).toEqual(['1.1.1q-r0', 2772992, 12]);
    expect([by('busybox').version, by('busybox').installedSize]).toEqual(['1.35.0-r17', 962560]);
    expect([by('musl').version, by('musl').installedSize]).toEqual(['1.2.3-r0', 622592]);
    expect([by('libc-utils').installedSize, by('libc-utils').files.length]).toEqual([4096, 0]);
  });

  it('trivy apk: 15 packages (the version-less stanza dropped with a coded warning), 76 files', () => {
    const r = one('apk/trivy/apk');
    expect(r.packages).toHaveLength(15);
    expect(r.warnings.map((w) => w.code)).toEqual(['E_APK_DB']);
    expect(r.packages.reduce((s, p) => s + p.files.length, 0)).toBe(76);
    const by = (n: string): (typeof r.packages)[number] => r.packages.find((p) => p.name === n)!;
    expect(by('musl').files).toEqual(['lib/libc.musl-x86_64.so.1', 'lib/ld-musl-x86_64.so.1']);
    expect(by('musl').version).toBe('1.1.14-r10');
    expect([by('alpine-baselayout').version, by('alpine-baselayout').files.length]).toEqual(['3.0.3-r0', 25]);
    expect([by('libcrypto1.0').version, by('libcrypto1.0').files.length]).toEqual(['1.0.2h-r1', 15]);
    expect([by('alpine-keys').version, by('alpine-keys').files.length]).toEqual(['1.1-r0', 5]);
    expect([by('libc-utils').version, by('libc-utils').files.length]).toEqual(['0.7-r0', 0]);
    const I: Record<string, number> = {
      musl: 569344, busybox: 909312, 'alpine-baselayout': 401408, 'alpine-keys': 36864, zlib: 98304, 'libcrypto1.0': 2527232,
      'libssl1.0': 442368, 'apk-tools': 253952, scanelf: 90112, 'musl-utils': 110592, 'libc-utils': 4096, pkgconf: 143360,
      'sqlite-libs': 917504, test: 618496, 'ada-libs': 491520,
    };
    expect(Object.fromEntries(r.packages.map((p) => [p.name, p.installedSize]))).toEqual(I);
    expect(r.packages.reduce((s, p) => s + p.installedSize!, 0)).toBe(7614464);
  });
});

d('npm lock files (syft pkg-lock)', () => {
  /** syft's default selection: non-dev entries, one per name@version; v2+ include the root project. */
  const selected = (e: NpmLockEntry[], v: number): string[] => [
    ...new Set(e.filter((x) => !x.dev && (x.path !== '' || v >= 2)).map((x) => `${x.name}@${x.version}`)),
  ];
  const lock = (p: string): { lockfileVersion: number; entries: NpmLockEntry[] } => {
    const w: PkgdbWarning[] = [];
    const r = parsePackageLock(read(p).toString('utf8'), p, w)!;
    expect(w).toEqual([]);
    return r;
  };
  it('v1: 11 packages, dev async excluded', () => {
    const r = lock('npm/syft/pkg-lock/package-lock.json');
    expect(selected(r.entries, r.lockfileVersion).sort()).toEqual(
      [
        '@actions/core@1.6.0', 'ansi-regex@3.0.0', 'cowsay@1.4.0', 'get-stdin@5.0.1', 'is-fullwidth-code-point@2.0.0', 'minimist@0.0.10',
        'optimist@0.6.1', 'string-width@2.1.1', 'strip-ansi@4.0.0', 'strip-eof@1.0.0', 'wordwrap@0.0.3',
      ].sort(),
    );
    // The fixture spells this v1 key as "node_modules/async"; it is dev-only either way.
    expect(r.entries.find((e) => e.name === 'node_modules/async')?.dev).toBe(true);
  });
  it('v2 and v3: 5 packages each, root included, dev async excluded', () => {
    const v2 = lock('npm/syft/pkg-lock/package-lock-2.json');
    expect(selected(v2.entries, v2.lockfileVersion).sort()).toEqual(
      ['npm@6.14.6', '@types/prop-types@15.7.5', '@types/react@18.0.17', '@types/scheduler@0.16.2', 'csstype@3.1.0'].sort(),
    );
    expect(v2.entries.some((e) => e.name === 'async' && e.version === '3.2.4' && e.dev)).toBe(true);
    const v3 = lock('npm/syft/pkg-lock/package-lock-3.json');
    expect(v3.lockfileVersion).toBe(3);
    expect(selected(v3.entries, v3.lockfileVersion).sort()).toEqual(
      ['lock-v3-fixture@1.0.0', '@types/prop-types@15.7.5', '@types/react@18.0.20', '@types/scheduler@0.16.2', 'csstype@3.1.1'].sort(),
    );
  });
  it('v1 nested: 6 packages at their on-disk paths, the dev-only tree excluded', () => {
    const r = lock('npm/syft/pkg-lock/nested-package-lock-1.json');
    expect(selected(r.entries, r.lockfileVersion).sort()).toEqual(
      ['duplicate@1.0.0', 'middle@1.0.0', 'parent@1.0.0', 'shared@0.5.0', 'shared@1.0.0', 'shared@2.0.0'].sort(),
    );
    const shared = r.entries.filter((e) => e.name === 'shared' && !e.dev).map((e) => e.path).sort();
    expect(shared).toEqual(['node_modules/parent/node_modules/middle/node_modules/shared', 'node_modules/parent/node_modules/shared', 'node_modules/shared']);
    expect(r.entries.filter((e) => e.name.startsWith('dev-')).every((e) => e.dev)).toBe(true);
  });
  it('node_modules package.json files name their packages', () => {
    const w: PkgdbWarning[] = [];
    expect(parseNpmManifest(read('npm/syft/pkg-lock/node_modules/@actions/core/package.json').toString(), 'x', w)?.name).toBe('@actions/core');
    expect(parseNpmManifest(read('npm/syft/pkg-lock/node_modules/cowsay/package.json').toString(), 'x', w)?.name).toBe('cowsay');
    expect(w).toEqual([]);
  });
});

d('dpkg and python fixtures (existing readers)', () => {
  const status = (p: string, d = false): ReturnType<typeof parseDpkgStatus> => parseDpkgStatus(read(p).toString('utf8'), d);
  const txtar = (p: string): Map<string, string> => {
    const out = new Map<string, string>();
    const parts = read(p).toString('utf8').split(/^-- (.+) --$/m);
    for (let i = 1; i < parts.length; i += 2) out.set(parts[i]!, parts[i + 1]!.replace(/^\n/, ''));
    return out;
  };
  it('syft status.d files, image-dpkg and distroless', () => {
    expect(status('dpkg/syft/var/lib/dpkg/status.d/single', true).stanzas.map((s) => [s.name, s.version, s.installedSize])).toEqual([['apt', '1.8.2', 4064 * 1024]]);
    // syft reads `Installed-Size: 4KB` as 4000.
    expect(status('dpkg/syft/var/lib/dpkg/status.d/installed-size-4KB', true).stanzas.map((s) => [s.name, s.installedSize])).toEqual([['apt', 4000]]);
    const m = status('dpkg/syft/var/lib/dpkg/status.d/multiple', true);
    expect(m.stanzas.map((s) => [s.name, s.version, s.installedSize])).toEqual([
      ['no-version', undefined, undefined],
      ['tzdata', '2020a-0+deb10u1', 3036 * 1024],
      ['util-linux', '2.33.1-0.1', 4327 * 1024],
    ]);
    expect(status('dpkg/syft/image-dpkg/var/lib/dpkg/status').stanzas.map((s) => [s.name, s.version, s.installed, s.installedSize])).toEqual([['libpam-runtime', '1.1.8-3.6', true, 1016 * 1024]]);
    expect(read('dpkg/syft/image-dpkg/var/lib/dpkg/info/libpam-runtime.md5sums').toString().trim().split('\n')).toHaveLength(4);
    expect(status('dpkg/syft/image-distroless-deb/var/lib/dpkg/status.d/libsqlite3-0', true).stanzas.map((s) => [s.name, s.version, s.arch])).toEqual([
      ['libsqlite3-0', '3.34.1-3', 'arm64'],
    ]);
    expect(status('dpkg/syft/image-distroless-deb/var/lib/dpkg/status.d/libsqlite3-0', true).stanzas[0]!.installedSize).toBe(1490 * 1024);
    expect(read('dpkg/syft/image-distroless-deb/var/lib/dpkg/status.d/libsqlite3-0.md5sums').toString().trim().split('\n')).toHaveLength(6);
  });
  it('trivy valid.txtar: 90 installed of 91 stanzas; md5sums.txtar: tar with 13 files', () => {
    const files = txtar('dpkg/trivy/valid.txtar');
    const s = parseDpkgStatus(files.get('var/lib/dpkg/status')!);
    expect(s.stanzas).toHaveLength(91);
    const inst = s.stanzas.filter((x) => x.installed);
    expect(inst).toHaveLength(90);
    expect(inst.reduce((a, x) => a + x.installedSize!, 0)).toBe(84221 * 1024);
    expect(inst.find((x) => x.name === 'libc6')).toMatchObject({ version: '2.27-3ubuntu1', installedSize: 11877 * 1024 });
    expect(inst.find((x) => x.name === 'coreutils')).toMatchObject({ version: '8.28-1ubuntu1', installedSize: 6560 * 1024 });
    expect(inst.find((x) => x.name === 'bash')).toMatchObject({ version: '4.4.18-2ubuntu1', installedSize: 1588 * 1024 });
    expect(inst.find((x) => x.name === 'apt')!.installedSize).toBe(3806 * 1024);
    expect(s.stanzas.find((x) => x.name === 'git')!.installedSize).toBe(35396 * 1024);
    expect(s.stanzas.find((x) => !x.installed)?.name).toBe('git');
    expect(inst.some((x) => x.name === 'adduser' && x.version === '3.116ubuntu1')).toBe(true);
    expect(inst.some((x) => x.name === 'apt' && x.version === '1.6.3ubuntu0.1')).toBe(true);
    const md = txtar('dpkg/trivy/md5sums.txtar');
    expect(parseDpkgStatus(md.get('var/lib/dpkg/status')!).stanzas.find((x) => x.name === 'tar')).toMatchObject({ version: '1.29b-2', installedSize: 864 * 1024 });
    const sums = md.get('var/lib/dpkg/info/tar.md5sums')!.trim().split('\n');
    expect(sums).toHaveLength(13);
    expect(sums[0]).toMatch(/ usr\/bin\/tar$/);
  });
  it('syft site-packages/nested: RECORD rows and sizes', () => {
    const sized = (p: string): number =>
      read(p)
        .toString()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => Number(l.split(',')[2] || 0))
        .reduce((a, b) => a + b, 0);
    expect(parseRecord(read('python/syft/site-packages/nested/dist-name/dist-info/RECORD').toString()).paths).toHaveLength(7);
    expect(parseRecord(read('python/syft/site-packages/nested/egg-name/egg-info/RECORD').toString()).paths).toHaveLength(6);
    expect(sized('python/syft/site-packages/nested/dist-name/dist-info/RECORD')).toBe(38674);
    expect(sized('python/syft/site-packages/nested/egg-name/egg-info/RECORD')).toBe(34410);
  });
});
