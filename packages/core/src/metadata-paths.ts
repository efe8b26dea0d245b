/**
 * Which files a layer scan captures whole: the package managers' own records, which package
 * attribution (attribution/packages.ts) parses later. Kept small on purpose: every captured byte
 * is held in memory.
 *
 * - dpkg: `var/lib/dpkg/status`, `info/<pkg>[:<arch>].list`, and distroless `status.d/<pkg>` with
 *   `status.d/<pkg>.md5sums`; apt's `var/lib/apt/extended_states` (which packages were installed
 *   only as dependencies: `Auto-Installed: 1`, read by `imgsize fix` for what dropping a package frees);
 * - pip: `<name>-<version>.dist-info/{RECORD,METADATA}`, legacy `*.egg-info/{installed-files.txt,PKG-INFO}`;
 * - conda: `<prefix>/conda-meta/<name>-<version>-<build>.json`;
 * - apk: `lib/apk/db/installed`;
 * - rpm: `{var/lib/rpm,usr/lib/sysimage/rpm}/{rpmdb.sqlite,Packages.db,Packages}` (kept up to
 *   `maxPackageDatabaseBytes`, see `captureLimitOf`);
 * - npm: `node_modules/<name>/package.json` and `node_modules/@scope/<name>/package.json` (package
 *   roots only), `node_modules/.package-lock.json`, and the project's own `package.json` /
 *   `package-lock.json` (outside node_modules, at most 5 directories deep);
 * - the OS: `etc/os-release`, `usr/lib/os-release`.
 * - torch: `site-packages/torch/version.py` (its CUDA/ROCm version, gpu/report.ts).
 *
 * Records inside package caches (uv and poetry unpack whole wheels, dist-info included, under
 * `~/.cache`) describe nothing installed and are not captured.
 */
import type { Limits } from './limits.js';

const DPKG_STATUS = /^var\/lib\/dpkg\/status$/;
const DPKG_STATUS_D = /^var\/lib\/dpkg\/status\.d\/[^/]+$/;
const DPKG_LIST = /^var\/lib\/dpkg\/info\/[^/]+\.list$/;
const APT_EXTENDED_STATES = /^var\/lib\/apt\/extended_states$/;
const PY_RECORD = /(?:^|\/)[^/]+\.dist-info\/(?:RECORD|METADATA)$/;
const PY_EGG = /(?:^|\/)[^/]+\.egg-info\/(?:installed-files\.txt|PKG-INFO)$/;
const CONDA_META = /(?:^|\/)conda-meta\/[^/]+\.json$/;
const IN_CACHE = /(?:^|\/)\.cache\//;
const APK_DB = /^lib\/apk\/db\/installed$/;
const RPM_DB = /^(?:var\/lib\/rpm|usr\/lib\/sysimage\/rpm)\/(?:rpmdb\.sqlite|Packages\.db|Packages)$/;
const NPM_PKG = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/.@][^/]*\/package\.json$/;
const NPM_HIDDEN_LOCK = /(?:^|\/)node_modules\/\.package-lock\.json$/;
const NPM_PROJECT = /^(?:[^/]+\/){0,5}package(?:-lock)?\.json$/;
const OS_RELEASE = /^(?:etc|usr\/lib)\/os-release$/;
/** torch's build record (CUDA/ROCm version), read by gpu/report.ts. */
const TORCH_VERSION = /(?:^|\/)(?:site|dist)-packages\/torch\/version\.py$/;

/** Candidate paths of the rpm database, most preferred first (rpm ≥ 4.17 moved it to /usr/lib/sysimage). */
export const RPM_DB_PATHS: readonly string[] = ['usr/lib/sysimage/rpm', 'var/lib/rpm'].flatMap((d) => ['rpmdb.sqlite', 'Packages.db', 'Packages'].map((f) => `${d}/${f}`));

/** True for an rpm database file (sqlite, ndb or BerkeleyDB). */
export function isRpmDatabasePath(path: string): boolean {
  return RPM_DB.test(path);
}

/** True for package-manager records (dpkg, apt's extended_states, pip, conda, apk, rpm, npm) and os-release. */
export function isMetadataPath(path: string): boolean {
  if (DPKG_LIST.test(path) || DPKG_STATUS.test(path) || DPKG_STATUS_D.test(path) || APT_EXTENDED_STATES.test(path)) return true;
  if (path.endsWith('.json')) {
    if (NPM_PKG.test(path) || NPM_HIDDEN_LOCK.test(path)) return !IN_CACHE.test(path);
    if (NPM_PROJECT.test(path) && !path.includes('node_modules/')) return !IN_CACHE.test(path);
  }
  if (APK_DB.test(path) || RPM_DB.test(path) || OS_RELEASE.test(path)) return true;
  if (!(PY_RECORD.test(path) || PY_EGG.test(path) || CONDA_META.test(path) || TORCH_VERSION.test(path))) return false;
  return !IN_CACHE.test(path);
}

/**
 * Max bytes captured of one metadata file: rpm databases (tens of MB on RHEL-family images) up to
 * `maxPackageDatabaseBytes`, everything else up to `maxMetadataFileBytes`.
 */
export function captureLimitOf(path: string, limits: Pick<Limits, 'maxMetadataFileBytes' | 'maxPackageDatabaseBytes'>): number {
  return RPM_DB.test(path) ? limits.maxPackageDatabaseBytes : limits.maxMetadataFileBytes;
}
