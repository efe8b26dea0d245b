/**
 * Alpine's installed-package database, `lib/apk/db/installed`: stanzas separated by blank lines,
 * one `X:value` field per line (apk-tools src/database.c, apk_db_index_read / apk-spec "installed").
 * `P:` name, `V:` version, `A:` arch, `S:` package file size, `I:` installed size (bytes), `F:` a
 * directory (relative, no leading slash), each following `R:` a file in that directory.
 */
import { MAX_PACKAGES_PER_DB, type PkgdbWarning } from './errors.js';

/** One installed apk package. */
export interface ApkPackage {
  name: string;
  version: string;
  arch?: string | undefined;
  /** `S:`: size of the .apk file. */
  packageSize?: number | undefined;
  /** `I:`: installed size as apk reports it (a sum of 4 KiB-rounded sizes in recent apk-tools). */
  installedSize?: number | undefined;
  /** `F:` directories (clean, relative). */
  dirs: string[];
  /** Files from `R:` lines joined to their `F:` directory (clean, relative). */
  files: string[];
}

/** Parses `lib/apk/db/installed`; stanzas without P: or V: are skipped with an E_APK_DB warning. */
export function parseApkInstalled(text: string): { packages: ApkPackage[]; warnings: PkgdbWarning[] } {
  const packages: ApkPackage[] = [];
  const warnings: PkgdbWarning[] = [];
  let skipped = 0;
  let over = false;
  let cur: Partial<ApkPackage> & { dirs: string[]; files: string[] } = { dirs: [], files: [] };
  let dir = '';
  let lines = 0;
  const flush = (): void => {
    if (lines > 0) {
      if (cur.name && cur.version !== undefined) {
        if (packages.length >= MAX_PACKAGES_PER_DB) over = true;
        else packages.push(cur as ApkPackage);
      } else skipped++;
    }
    cur = { dirs: [], files: [] };
    dir = '';
    lines = 0;
  };
  let start = 0;
  while (start <= text.length && !over) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') {
      flush();
      continue;
    }
    lines++;
    if (line.length < 2 || line[1] !== ':') continue;
    const v = line.slice(2);
    switch (line[0]) {
      case 'P':
        cur.name = v;
        break;
      case 'V':
        cur.version = v;
        break;
      case 'A':
        cur.arch = v;
        break;
      case 'S':
        cur.packageSize = toInt(v);
        break;
      case 'I':
        cur.installedSize = toInt(v);
        break;
      case 'F':
        dir = v.replace(/^\/+|\/+$/g, '');
        cur.dirs.push(dir);
        break;
      case 'R':
        cur.files.push(dir === '' ? v : `${dir}/${v}`);
        break;
    }
  }
  if (!over) flush();
  if (over) warnings.push({ code: 'E_PKGDB_LIMIT', message: `more than ${MAX_PACKAGES_PER_DB} packages: the rest are not read` });
  if (skipped > 0) warnings.push({ code: 'E_APK_DB', message: `${skipped} stanza(s) without a P: name or V: version were skipped` });
  return { packages, warnings };
}

function toInt(v: string): number | undefined {
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
