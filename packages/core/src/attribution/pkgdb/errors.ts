/**
 * Errors and warnings of the package-database readers. A reader throws `PkgdbError` for a database
 * it cannot read at all; attribution turns it into a report warning with the same code (the rest of
 * the report is unaffected). Damage a reader can step over (one bad header, a page loop) is a
 * `PkgdbWarning` next to the packages it did read.
 */

/** Stable codes of package-database problems (report warnings carry them). */
export type PkgdbCode =
  | 'E_RPM_HEADER' // an rpm header blob is malformed (counts or offsets past its end, missing NAME)
  | 'E_RPMDB_SQLITE' // rpmdb.sqlite cannot be opened or queried (truncated, corrupt, not sqlite)
  | 'E_RPMDB_BDB' // a BerkeleyDB Packages file is malformed (bad magic, page size, page loop)
  | 'E_RPMDB_NDB' // an ndb Packages.db is malformed (bad magic, slot or blob past the end)
  | 'E_APK_DB' // lib/apk/db/installed is malformed (a stanza without P: or V:)
  | 'E_NPM_PACKAGE' // a node_modules package.json is not valid JSON or names no package
  | 'E_PKGDB_TRUNCATED' // the database was captured only in part (capture limit)
  | 'E_PKGDB_LIMIT'; // the database holds more entries than the reader accepts

/** A package-database problem a reader stepped over. */
export interface PkgdbWarning {
  code: PkgdbCode;
  message: string;
}

/** A package database that cannot be read; `code` says why. */
export class PkgdbError extends Error {
  override readonly name = 'PkgdbError';
  constructor(
    readonly code: PkgdbCode,
    message: string,
  ) {
    super(message);
  }
}

/** Max packages one database may describe (far above any real image: a Fedora workstation has ≈ 2 500 rpms, a big node_modules ≈ 3 000 packages). */
export const MAX_PACKAGES_PER_DB = 50_000;
