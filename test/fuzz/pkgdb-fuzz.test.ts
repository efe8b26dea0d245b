/**
 * Fuzzing the package-database readers with mutations of the real fixtures in
 * shared/conformance/packages: bit flips, byte runs, truncations and splices. Each reader must
 * return (packages plus coded warnings) or throw a PkgdbError; any other exception, or a slow
 * input, fails. Deterministic: a seeded PRNG, the seed in the failure message.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { parseApkInstalled } from '../../packages/core/src/attribution/pkgdb/apk.js';
import { PkgdbError } from '../../packages/core/src/attribution/pkgdb/errors.js';
import { parsePackageLock } from '../../packages/core/src/attribution/pkgdb/npm.js';
import { parseRpmHeader } from '../../packages/core/src/attribution/pkgdb/rpm-header.js';
import { loadSqlite } from '../../packages/core/src/attribution/pkgdb/rpm-sqlite.js';
import { readRpmDatabase } from '../../packages/core/src/attribution/pkgdb/rpmdb.js';

const ROOT = fileURLToPath(new URL('../../../shared/conformance/packages/', import.meta.url));
const present = existsSync(ROOT);
if (!present && process.env.CI === 'true') throw new Error(`CI=true but the package fixtures are missing: ${ROOT}`);
const ITERATIONS = Number(process.env.IMGSIZE_FUZZ_ITERATIONS ?? 150);

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function mutate(src: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(src);
  const kind = Math.floor(rnd() * 4);
  if (kind === 0) {
    for (let i = 0, n = 1 + Math.floor(rnd() * 16); i < n; i++) b[Math.floor(rnd() * b.length)]! ^= 1 << Math.floor(rnd() * 8);
    return b;
  }
  if (kind === 1) {
    const at = Math.floor(rnd() * b.length);
    b.fill([0x00, 0xff, 0x7f][Math.floor(rnd() * 3)]!, at, Math.min(b.length, at + 1 + Math.floor(rnd() * 64)));
    return b;
  }
  if (kind === 2) return b.subarray(0, Math.floor(rnd() * b.length));
  const from = Math.floor(rnd() * b.length);
  const to = Math.floor(rnd() * b.length);
  const len = Math.floor(rnd() * 4096);
  b.copy(b, to, from, Math.min(b.length, from + len));
  return b;
}

function check(what: string, seed: number, f: () => unknown): void {
  const t0 = Date.now();
  try {
    f();
  } catch (e) {
    if (!(e instanceof PkgdbError)) throw new Error(`${what} seed ${seed}: ${(e as Error).stack}`);
  }
  expect(Date.now() - t0, `${what} seed ${seed}`).toBeLessThan(5000);
}

describe.skipIf(!present)('package-database readers under mutation', () => {
  let sqlite: SqlJsStatic;
  beforeAll(async () => {
    sqlite = await loadSqlite();
  });
  const rpmDbs = ['rpm-bdb/go-rpmdb/libuuid/Packages', 'rpm-bdb/syft/Packages', 'rpm-ndb/go-rpmdb/sle15-bci/Packages.db', 'rpm-sqlite/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite'];
  it.each(rpmDbs)('%s', (path) => {
    const src = readFileSync(`${ROOT}${path}`);
    const n = path.endsWith('.sqlite') ? Math.ceil(ITERATIONS / 5) : ITERATIONS;
    for (let seed = 1; seed <= n; seed++) check(path, seed, () => readRpmDatabase(mutate(src, prng(seed)), sqlite));
  });
  it('single rpm headers from the ndb fixture', () => {
    const blobs = readRpmDatabase(readFileSync(`${ROOT}rpm-ndb/go-rpmdb/sle15-bci/Packages.db`), undefined);
    expect(blobs.packages.length).toBe(35);
    // Re-extract raw blobs through the ndb layout: slot 2 onwards.
    const buf = readFileSync(`${ROOT}rpm-ndb/go-rpmdb/sle15-bci/Packages.db`);
    const raw: Buffer[] = [];
    for (let o = 32; o + 16 <= 4096 * buf.readUInt32LE(12) && raw.length < 35; o += 16) {
      if (buf.readUInt32LE(o + 4) === 0) continue;
      const at = buf.readUInt32LE(o + 8) * 16;
      raw.push(buf.subarray(at + 16, at + 16 + buf.readUInt32LE(at + 12)));
    }
    for (let seed = 1; seed <= ITERATIONS * 2; seed++) {
      const blob = raw[seed % raw.length]!;
      check('rpm header', seed, () => parseRpmHeader(mutate(blob, prng(seed))));
    }
  });
  it('apk installed dbs and npm lock files', () => {
    for (const path of ['apk/trivy/apk', 'apk/syft/multiple-2/lib/apk/db/installed']) {
      const src = readFileSync(`${ROOT}${path}`);
      for (let seed = 1; seed <= ITERATIONS; seed++) check(path, seed, () => parseApkInstalled(mutate(src, prng(seed)).toString('utf8')));
    }
    const lock = readFileSync(`${ROOT}npm/syft/pkg-lock/nested-package-lock-1.json`);
    for (let seed = 1; seed <= ITERATIONS; seed++) check('lock', seed, () => parsePackageLock(mutate(lock, prng(seed)).toString('utf8'), 'x', []));
  });
});
