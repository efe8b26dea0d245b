/**
 * Real rpm databases made by real rpm tooling: Debian's rpmbuild builds three small packages
 * (a hardlink pair, a symlink, %doc and %config files), `rpm --root DIR --dbpath /var/lib/rpm -i`
 * installs them with the sqlite backend, the root goes into an image with the real dockerd
 * (`FROM scratch` + `ADD root.tar /`), and the report's per-package bytes, versions and SIZE
 * tags must equal what `rpm -qa --queryformat` and the files on disk say.
 *
 * Debian's rpm 4.18 is built without the ndb backend (`_db_backend ndb` gives "invalid
 * %_db_backend: ndb"), so the ndb image carries the same rpm-made header blobs repacked by
 * `writeNdb` below into rpm's ndb layout (lib/backend/ndb/rpmpkg.c); the ndb reader's real-world
 * fixture is SUSE's sle15-bci Packages.db in test/pkgdb/conformance.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analyzeImage } from '../../packages/core/src/analyze.js';
import { openDaemon } from '../../packages/core/src/sources/daemon.js';
import { loadSqlite } from '../../packages/core/src/attribution/pkgdb/rpm-sqlite.js';
import type { Report } from '../../packages/core/src/report-schema.js';
import { describeServices } from '../services/services.js';
import { dockerOf, followProgress, uniqueRepo } from '../sources/helpers.js';

const IN_CI = process.env.CI === 'true';

/** Installs rpm/rpmbuild (test/pkgdb/setup-rpm.sh); false (or a throw under CI=true) when impossible. */
function haveRpm(): boolean {
  try {
    execFileSync('bash', [new URL('./setup-rpm.sh', import.meta.url).pathname], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 900_000 });
    return true;
  } catch (e) {
    const why = String((e as { stderr?: Buffer }).stderr ?? e).trim();
    if (IN_CI) throw new Error(`CI=true but rpm/rpmbuild are not available: ${why}`);
    console.warn(`[rpm-real] skipped: ${why}`);
    return false;
  }
}

const SPECS: Record<string, { version: string; release: string; install: string; files: string }> = {
  'imgsize-alpha': {
    version: '1.2',
    release: '3',
    install: [
      'mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/share/doc/imgsize-alpha %{buildroot}/usr/lib/alpha',
      'head -c 20000 /dev/urandom > %{buildroot}/usr/bin/alpha',
      'ln -s alpha %{buildroot}/usr/bin/alpha-link',
      "printf 'alpha docs\\n' > %{buildroot}/usr/share/doc/imgsize-alpha/README",
      'head -c 7000 /dev/urandom > %{buildroot}/usr/lib/alpha/a',
      'ln %{buildroot}/usr/lib/alpha/a %{buildroot}/usr/lib/alpha/b',
    ].join('\n'),
    files: '/usr/bin/alpha\n/usr/bin/alpha-link\n%doc /usr/share/doc/imgsize-alpha/README\n/usr/lib/alpha',
  },
  'imgsize-beta': {
    version: '0.9',
    release: '1.el9',
    install: [
      'mkdir -p %{buildroot}/usr/lib/beta %{buildroot}/etc',
      'head -c 50000 /dev/urandom > %{buildroot}/usr/lib/beta/data.bin',
      "printf 'key=value\\n' > %{buildroot}/etc/beta.conf",
      'touch %{buildroot}/usr/lib/beta/empty',
    ].join('\n'),
    files: '/usr/lib/beta\n%config /etc/beta.conf',
  },
  'imgsize-gamma': {
    version: '2024.1',
    release: '7',
    install: ['mkdir -p %{buildroot}/opt/gamma/sub', 'for i in 1 2 3 4 5; do head -c $((i * 3001)) /dev/urandom > %{buildroot}/opt/gamma/sub/f$i; done'].join('\n'),
    files: '/opt/gamma',
  },
};

function specText(name: string): string {
  const s = SPECS[name]!;
  return [
    `Name: ${name}`,
    `Version: ${s.version}`,
    `Release: ${s.release}`,
    'Summary: imgsize test package',
    'License: MIT',
    'BuildArch: noarch',
    '%global debug_package %{nil}',
    '%global __os_install_post %{nil}',
    '%description',
    'imgsize test package',
    '%install',
    s.install,
    '%files',
    s.files,
    '',
  ].join('\n');
}

/** Repacks rpm header blobs into an ndb Packages.db (rpm's lib/backend/ndb/rpmpkg.c layout). */
function writeNdb(blobs: Buffer[]): Buffer {
  const SLOT_PAGES = 1;
  const parts: Buffer[] = [];
  const slots = Buffer.alloc(SLOT_PAGES * 4096);
  slots.writeUInt32LE(0x506d7052, 0); // RpmP
  slots.writeUInt32LE(0, 4); // version
  slots.writeUInt32LE(1, 8); // generation
  slots.writeUInt32LE(SLOT_PAGES, 12);
  let blk = (SLOT_PAGES * 4096) / 16;
  blobs.forEach((b, i) => {
    const len = 16 + b.length + 16; // head, blob, tail
    const count = Math.ceil(len / 16);
    const o = 32 + i * 16;
    slots.write('Slot', o, 'latin1');
    slots.writeUInt32LE(i + 1, o + 4);
    slots.writeUInt32LE(blk, o + 8);
    slots.writeUInt32LE(count, o + 12);
    const block = Buffer.alloc(count * 16);
    block.write('BlbS', 0, 'latin1');
    block.writeUInt32LE(i + 1, 4);
    block.writeUInt32LE(0, 8);
    block.writeUInt32LE(b.length, 12);
    b.copy(block, 16);
    parts.push(block);
    blk += count;
  });
  // Free slots carry the slot magic with pkgidx 0.
  for (let o = 32 + blobs.length * 16; o + 16 <= slots.length; o += 16) slots.write('Slot', o, 'latin1');
  return Buffer.concat([slots, ...parts]);
}

interface Truth {
  version: string;
  size: number;
  bytes: number;
  files: number;
}

/** What rpm itself and the disk say: SIZE, EVR, and Σ sizes of the listed regular files, once per inode. */
function rpmTruth(root: string): Map<string, Truth> {
  const out = new Map<string, Truth>();
  const q = execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-qa', '--queryformat', '%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{SIZE}\\n[%{FILENAMES}\\n]--\\n'], { encoding: 'utf8' });
  for (const block of q.split('--\n')) {
    const lines = block.split('\n').filter((l) => l !== '');
    if (lines.length === 0) continue;
    const [name, version, size] = lines[0]!.split('\t') as [string, string, string];
    const seen = new Set<number>();
    let bytes = 0;
    let files = 0;
    for (const f of lines.slice(1)) {
      const st = lstatSync(join(root, f), { throwIfNoEntry: false });
      if (!st?.isFile() || seen.has(st.ino)) continue;
      seen.add(st.ino);
      bytes += st.size;
      files++;
    }
    out.set(name, { version, size: Number(size), bytes, files });
  }
  return out;
}

describeServices('rpm databases made by rpm, in images built by dockerd', (svc) => {
  let ok = false;
  let tmp: string;
  let root: string;
  const tags: string[] = [];
  const reports = new Map<string, Report>();
  let truth: Map<string, Truth>;

  async function buildImage(name: string, rootDir: string): Promise<Report> {
    const ctx = join(tmp, `ctx-${name}`);
    mkdirSync(ctx);
    execFileSync('tar', ['-C', rootDir, '--numeric-owner', '-cf', join(ctx, 'root.tar'), '.']);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nADD root.tar /\n');
    const tag = `${uniqueRepo(`imgsize-test/rpm-${name}`)}:v1`;
    tags.push(tag);
    const docker = dockerOf(svc);
    const tarball = execFileSync('tar', ['-C', ctx, '-cf', '-', '.'], { maxBuffer: 1 << 28 });
    const { Readable } = await import('node:stream');
    await followProgress(docker, await docker.buildImage(Readable.from([tarball]) as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true }));
    return analyzeImage(openDaemon(tag, { dockerHost: svc.dockerHost }));
  }

  beforeAll(async () => {
    ok = haveRpm();
    if (!ok) return;
    tmp = mkdtempSync(join(tmpdir(), 'imgsize-rpm-'));
    const top = join(tmp, 'top');
    for (const name of Object.keys(SPECS)) {
      const spec = join(tmp, `${name}.spec`);
      writeFileSync(spec, specText(name));
      execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '-bb', spec], { stdio: 'ignore' });
    }
    const rpms = readdirSync(join(top, 'RPMS', 'noarch')).map((f) => join(top, 'RPMS', 'noarch', f));
    expect(rpms).toHaveLength(3);
    root = join(tmp, 'root-sqlite');
    mkdirSync(root);
    const db = ['--root', root, '--dbpath', '/var/lib/rpm', '--define', '_db_backend sqlite'];
    execFileSync('rpm', [...db, '--initdb'], { stdio: 'ignore' });
    execFileSync('rpm', [...db, '-i', '--nodeps', '--noscripts', ...rpms], { stdio: 'ignore' });
    truth = rpmTruth(root);
    reports.set('sqlite', await buildImage('sqlite', root));
    // The same installed files, with the database repacked as ndb (see the header comment).
    const SQL = await loadSqlite();
    const sdb = new SQL.Database(readFileSync(join(root, 'var/lib/rpm/rpmdb.sqlite')));
    const st = sdb.prepare('SELECT blob FROM Packages ORDER BY hnum');
    const blobs: Buffer[] = [];
    while (st.step()) blobs.push(Buffer.from(st.get()[0] as Uint8Array));
    st.free();
    sdb.close();
    const ndbRoot = join(tmp, 'root-ndb');
    execFileSync('cp', ['-a', root, ndbRoot]);
    for (const f of ['rpmdb.sqlite', 'rpmdb.sqlite-shm', 'rpmdb.sqlite-wal']) rmSync(join(ndbRoot, 'var/lib/rpm', f), { force: true });
    writeFileSync(join(ndbRoot, 'var/lib/rpm/Packages.db'), writeNdb(blobs));
    reports.set('ndb', await buildImage('ndb', ndbRoot));
  }, 600_000);

  afterAll(async () => {
    if (!ok) return;
    const docker = dockerOf(svc);
    for (const t of tags) await docker.getImage(t).remove({ force: true }).catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  });

  it.each(['sqlite', 'ndb'])('%s: every package with rpm\'s version and SIZE, and the bytes on disk', (backend) => {
    if (!ok) return;
    const r = reports.get(backend)!;
    const rpmPkgs = r.packages!.packages.filter((p) => p.manager === 'rpm');
    expect(rpmPkgs.map((p) => p.name).sort()).toEqual([...truth.keys()].sort());
    for (const [name, t] of truth) {
      const p = rpmPkgs.find((x) => x.name === name)!;
      expect({ name, version: p.version, sizeTag: p.sizeTag, bytes: p.visibleBytes, files: p.files }).toEqual({ name, version: t.version, sizeTag: t.size, bytes: t.bytes, files: t.files });
    }
    // The hardlink pair counts once; the symlink counts 0 bytes but its target length in SIZE.
    const alpha = truth.get('imgsize-alpha')!;
    expect(alpha.bytes).toBe(20000 + 7000 + 'alpha docs\n'.length);
    expect(alpha.size).not.toBe(alpha.bytes);
    expect(r.packages!.managers.rpm).toEqual({ packages: 3, visibleBytes: [...truth.values()].reduce((s, t) => s + t.bytes, 0) });
    expect(r.warnings.filter((w) => /rpm/.test(w.message))).toEqual([]);
    // Everything shipped by the single FROM-scratch layer is the base image (a first-layer guess).
    expect(r.baseImage).toMatchObject({ layers: 1, method: 'first-layer-guess', guessed: true });
  });
});
