/**
 * One entry point over rpm's three database backends: picks the reader by file name and magic,
 * parses every header blob, and turns per-header damage into warnings (one bad header never hides
 * the other packages).
 */
import type { SqlJsStatic } from 'sql.js';
import { PkgdbError, type PkgdbWarning } from './errors.js';
import { readRpmBdb } from './rpm-bdb.js';
import { parseRpmHeader, type RpmPackage } from './rpm-header.js';
import { readRpmNdb } from './rpm-ndb.js';
import { isSqlite, readRpmSqlite } from './rpm-sqlite.js';

/** rpm database backends. */
export type RpmDbFormat = 'sqlite' | 'bdb' | 'ndb';

/** The backend of an rpm database file, from its magic (undefined when none matches). */
export function rpmDbFormat(buf: Buffer): RpmDbFormat | undefined {
  if (isSqlite(buf)) return 'sqlite';
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x506d7052) return 'ndb';
  if (buf.length >= 16 && (buf.readUInt32LE(12) === 0x061561 || buf.readUInt32BE(12) === 0x061561)) return 'bdb';
  return undefined;
}

/**
 * Reads the packages of an rpm database file. `sqlite` is the loaded sql.js module (needed only
 * for rpmdb.sqlite); `withFiles: false` reads names only. Throws PkgdbError when the file cannot be read at all.
 */
export function readRpmDatabase(buf: Buffer, sqlite: SqlJsStatic | undefined, withFiles = true): { format: RpmDbFormat; packages: RpmPackage[]; warnings: PkgdbWarning[] } {
  const format = rpmDbFormat(buf);
  if (format === undefined) throw new PkgdbError('E_RPMDB_BDB', 'not an rpm database (no sqlite, BerkeleyDB hash or ndb magic)');
  let r: { blobs: Buffer[]; warnings: PkgdbWarning[] };
  if (format === 'sqlite') {
    if (!sqlite) throw new PkgdbError('E_RPMDB_SQLITE', 'sql.js is not loaded (call loadSqlite() before building the report)');
    r = readRpmSqlite(buf, sqlite);
  } else r = format === 'ndb' ? readRpmNdb(buf) : readRpmBdb(buf);
  const packages: RpmPackage[] = [];
  const warnings = [...r.warnings];
  let bad = 0;
  let first = '';
  for (const b of r.blobs) {
    try {
      const p = parseRpmHeader(b, withFiles);
      // rpm stores imported signing keys as pseudo-packages without files.
      if (p.name === 'gpg-pubkey') continue;
      packages.push(p);
    } catch (e) {
      if (!(e instanceof PkgdbError)) throw e;
      if (bad++ === 0) first = e.message;
    }
  }
  if (bad > 0) warnings.push({ code: 'E_RPM_HEADER', message: `${bad} package header(s) are malformed and were skipped (first: ${first})` });
  return { format, packages, warnings };
}
