/**
 * rpm's sqlite backend (`rpmdb.sqlite`, rpm ≥ 4.16: Fedora 33+, RHEL/UBI 9, Rocky 9, CBL-Mariner):
 * table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`, one rpm header per row.
 *
 * Read with sql.js (SQLite compiled to WebAssembly, maintained by the sql.js project, already a
 * core dependency): real SQLite, so every page format, overflow chain and freelist quirk is read
 * as sqlite itself reads it and a corrupt file fails with SQLite's own "malformed" error; no
 * native build, runs on any Node ≥ 20. Its ~0.5 s start-up is paid only when an image has an
 * rpmdb.sqlite (`loadSqlite` is called lazily). It reads the main file only: pages still in a
 * `-wal` file next to it are not seen (rpm checkpoints on close, so installed images rarely have any).
 */
import type { SqlJsStatic } from 'sql.js';
import { MAX_PACKAGES_PER_DB, PkgdbError, type PkgdbWarning } from './errors.js';

let loaded: SqlJsStatic | undefined;
let loading: Promise<SqlJsStatic> | undefined;

/** Loads (once) and returns the sql.js module. */
export function loadSqlite(): Promise<SqlJsStatic> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= import('sql.js').then(async (m) => {
    const init = (m as unknown as { default: (o?: object) => Promise<SqlJsStatic> }).default;
    loaded = await init();
    return loaded;
  });
  return loading;
}

/** The sql.js module if `loadSqlite` has completed, else undefined (readers stay synchronous). */
export function loadedSqlite(): SqlJsStatic | undefined {
  return loaded;
}

/** SQLite files start with this 16-byte string. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** True when `buf` starts like an SQLite database file. */
export function isSqlite(buf: Buffer): boolean {
  return buf.length >= 16 && buf.subarray(0, 16).equals(SQLITE_MAGIC);
}

/** Returns the header blobs of an rpmdb.sqlite, in hnum order; PkgdbError (E_RPMDB_SQLITE) when it cannot be read. */
export function readRpmSqlite(buf: Buffer, SQL: SqlJsStatic): { blobs: Buffer[]; warnings: PkgdbWarning[] } {
  if (!isSqlite(buf)) throw new PkgdbError('E_RPMDB_SQLITE', 'not an SQLite database (magic "SQLite format 3" missing)');
  let db: InstanceType<SqlJsStatic['Database']> | undefined;
  const warnings: PkgdbWarning[] = [];
  const blobs: Buffer[] = [];
  try {
    db = new SQL.Database(buf);
    const st = db.prepare('SELECT blob FROM Packages ORDER BY hnum');
    try {
      while (st.step()) {
        const v = st.get()[0];
        if (v instanceof Uint8Array) blobs.push(Buffer.from(v));
        if (blobs.length >= MAX_PACKAGES_PER_DB) {
          warnings.push({ code: 'E_PKGDB_LIMIT', message: `more than ${MAX_PACKAGES_PER_DB} packages: the rest are not read` });
          break;
        }
      }
    } finally {
      st.free();
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // Rows read before SQLite hit the damage are kept; the damage is a warning.
    if (blobs.length === 0) throw new PkgdbError('E_RPMDB_SQLITE', `sqlite: ${msg}`);
    warnings.push({ code: 'E_RPMDB_SQLITE', message: `sqlite: ${msg} after ${blobs.length} package(s); the rest are not read` });
  } finally {
    db?.close();
  }
  return { blobs, warnings };
}
