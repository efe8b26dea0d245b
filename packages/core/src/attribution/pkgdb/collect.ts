/**
 * Package records of apk, rpm and npm, and the OS name, from the metadata captured during the
 * scan; packages.ts attributes bytes to them. Only copies visible in the final filesystem describe
 * what is installed; every layer's copy counts for a package's first layer.
 */
import type { SqlJsStatic } from 'sql.js';
import type { CapturedFile } from '../../model.js';
import { lookupNode, nodePath, type FsNode } from '../../overlay.js';
import { baseName, cleanPath, parentPath } from '../../paths.js';
import { RPM_DB_PATHS } from '../../metadata-paths.js';
import { parseApkInstalled } from './apk.js';
import { PkgdbError, type PkgdbCode, type PkgdbWarning } from './errors.js';
import { isNodeModulesPackageDir, parseNpmManifest, parsePackageLock } from './npm.js';
import { readRpmDatabase } from './rpmdb.js';
import { rpmEvr } from './rpm-header.js';

/** A package-manager warning with its code; `source` names the manager. */
export interface CodedWarning extends PkgdbWarning {
  source: string;
}

/** What the collectors need of the captured files (packages.ts's Captures). */
export interface CaptureIndex {
  readonly byPath: ReadonlyMap<string, ReadonlyArray<{ layer: number; file: CapturedFile }>>;
  visible(root: FsNode, path: string): { layer: number; file: CapturedFile } | undefined;
}

/** A package found by a collector (the fields packages.ts's PackageRecord shares). */
export interface CollectedPackage {
  manager: 'apk' | 'rpm' | 'npm';
  name: string;
  version: string | undefined;
  location: string;
  key: string;
  paths: string[];
  /** The package's own size record (rpm SIZE, apk I:), bytes. */
  sizeTag?: number | undefined;
  /** npm: only needed for development (per the project's lock file or package.json). */
  dev?: boolean | undefined;
  /** npm: the package.json that defines it (an OS package listing it owns it instead). */
  recordPath?: string | undefined;
}

interface Collected {
  packages: CollectedPackage[];
  firstLayer: Map<string, number>;
}

function noteLayer(m: Map<string, number>, key: string, layer: number): void {
  const f = m.get(key);
  if (f === undefined || layer < f) m.set(key, layer);
}

function asWarnings(source: string, ws: readonly PkgdbWarning[], where: string): CodedWarning[] {
  return ws.map((w) => ({ source, code: w.code, message: `${where}: ${w.message}` }));
}

function truncatedWarning(source: string, path: string): CodedWarning {
  return { source, code: 'E_PKGDB_TRUNCATED', message: `/${path} was captured only in part (capture limit): packages past the cut are missing` };
}

// ---------------------------------------------------------------------------------------------
// apk

const APK_DB = 'lib/apk/db/installed';

/** apk packages of `lib/apk/db/installed`. */
export function collectApk(caps: CaptureIndex, root: FsNode, warnings: CodedWarning[]): Collected {
  const firstLayer = new Map<string, number>();
  const packages: CollectedPackage[] = [];
  const v = caps.visible(root, APK_DB);
  for (const c of caps.byPath.get(APK_DB) ?? []) {
    if (c === v) continue;
    for (const p of parseApkInstalled(c.file.content.toString('utf8')).packages) noteLayer(firstLayer, `apk\0${p.name}`, c.layer);
  }
  if (!v) return { packages, firstLayer };
  if (v.file.truncated) warnings.push(truncatedWarning('apk', APK_DB));
  const r = parseApkInstalled(v.file.content.toString('utf8'));
  warnings.push(...asWarnings('apk', r.warnings, `/${APK_DB}`));
  for (const p of r.packages) {
    const key = `apk\0${p.name}`;
    noteLayer(firstLayer, key, v.layer);
    packages.push({ manager: 'apk', name: p.name, version: p.version, location: '', key, paths: p.files.map(cleanPath), sizeTag: p.installedSize });
  }
  return { packages, firstLayer };
}

// ---------------------------------------------------------------------------------------------
// rpm

/** rpm packages of the visible rpm database (sqlite, ndb or BerkeleyDB); `sqlite` is needed for rpmdb.sqlite. */
export function collectRpm(caps: CaptureIndex, root: FsNode, warnings: CodedWarning[], sqlite: SqlJsStatic | undefined): Collected {
  const firstLayer = new Map<string, number>();
  const packages: CollectedPackage[] = [];
  let visible: { path: string; layer: number; file: CapturedFile } | undefined;
  for (const path of RPM_DB_PATHS) {
    const v = caps.visible(root, path);
    if (v) {
      visible = { path, ...v };
      break;
    }
  }
  const read = (path: string, file: CapturedFile, withFiles: boolean): ReturnType<typeof readRpmDatabase> | undefined => {
    try {
      return readRpmDatabase(file.content, sqlite, withFiles);
    } catch (e) {
      if (!(e instanceof PkgdbError)) throw e;
      if (withFiles) warnings.push({ source: 'rpm', code: e.code, message: `/${path}: ${e.message}; its packages are not attributed` });
      return undefined;
    }
  };
  // Earlier layers' databases, names only, for each package's first layer.
  for (const path of RPM_DB_PATHS) {
    for (const c of caps.byPath.get(path) ?? []) {
      if (visible && c.file === visible.file) continue;
      for (const p of read(path, c.file, false)?.packages ?? []) noteLayer(firstLayer, `rpm\0${p.name}\0${p.arch ?? ''}`, c.layer);
    }
  }
  if (!visible) return { packages, firstLayer };
  if (visible.file.truncated) warnings.push(truncatedWarning('rpm', visible.path));
  const r = read(visible.path, visible.file, true);
  if (!r) return { packages, firstLayer };
  warnings.push(...asWarnings('rpm', r.warnings, `/${visible.path}`));
  for (const p of r.packages) {
    const key = `rpm\0${p.name}\0${p.arch ?? ''}`;
    noteLayer(firstLayer, key, visible.layer);
    packages.push({
      manager: 'rpm',
      name: p.name,
      version: rpmEvr(p),
      location: '',
      key,
      paths: p.files.map((f) => cleanPath(f.path)),
      sizeTag: p.sizeTag,
    });
  }
  return { packages, firstLayer };
}

// ---------------------------------------------------------------------------------------------
// npm

const NPM_PKG_JSON = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/]+\/package\.json$/;

/** Clean paths of the regular files below `dir`, not descending into nested `node_modules`. */
function filesBelow(dir: FsNode): string[] {
  const out: string[] = [];
  const stack: FsNode[] = [dir];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const [name, c] of n.children ?? []) {
      if (c.children) {
        if (!(n === dir && name === 'node_modules')) stack.push(c);
      } else if (c.isFileEntry) out.push(nodePath(c));
    }
  }
  return out;
}

/** Which installed packages of a project are dev-only, by install path relative to the project. */
function devPathsOf(caps: CaptureIndex, root: FsNode, project: string, warnings: CodedWarning[]): ((rel: string) => boolean) | undefined {
  const pre = project === '' ? '' : `${project}/`;
  const ws: PkgdbWarning[] = [];
  for (const lockPath of [`${pre}node_modules/.package-lock.json`, `${pre}package-lock.json`]) {
    const v = caps.visible(root, lockPath);
    if (!v) continue;
    const lock = parsePackageLock(v.file.content.toString('utf8'), `/${lockPath}`, ws);
    warnings.push(...ws.map((w) => ({ source: 'npm', ...w })));
    if (!lock) continue;
    const dev = new Set(lock.entries.filter((e) => e.dev).map((e) => e.path));
    return (rel) => dev.has(rel);
  }
  const pj = caps.visible(root, `${pre}package.json`);
  if (!pj) return undefined;
  const m = parseNpmManifest(pj.file.content.toString('utf8'), `/${pre}package.json`, ws);
  warnings.push(...ws.map((w) => ({ source: 'npm', ...w })));
  if (!m || m.devDependencies.length === 0) return undefined;
  const prod = new Set(m.dependencies);
  const dev = new Set(m.devDependencies.filter((n) => !prod.has(n)).map((n) => `node_modules/${n}`));
  return (rel) => dev.has(rel);
}

/** npm packages: every visible `node_modules/<name>/package.json` (and `@scope/<name>`). */
export function collectNpm(caps: CaptureIndex, root: FsNode, warnings: CodedWarning[]): Collected {
  const firstLayer = new Map<string, number>();
  const packages: CollectedPackage[] = [];
  const devOf = new Map<string, ((rel: string) => boolean) | undefined>();
  const bad: PkgdbWarning[] = [];
  for (const [path, copies] of caps.byPath) {
    if (!path.endsWith('/package.json') || !NPM_PKG_JSON.test(path)) continue;
    const dir = parentPath(path);
    if (!isNodeModulesPackageDir(dir)) continue;
    const key = `npm\0${dir}`;
    for (const c of copies) noteLayer(firstLayer, key, c.layer);
    const v = caps.visible(root, path);
    if (!v) continue;
    const m = parseNpmManifest(v.file.content.toString('utf8'), `/${path}`, bad);
    const node = lookupNode(root, dir);
    if (!node || !node.children) continue;
    const cut = dir.lastIndexOf('node_modules/');
    const project = cut === 0 ? '' : dir.slice(0, cut - 1);
    if (!devOf.has(project)) devOf.set(project, devPathsOf(caps, root, project, warnings));
    const isDev = devOf.get(project);
    const rel = dir.slice(project === '' ? 0 : project.length + 1);
    const scoped = /(?:^|\/)node_modules\/(@[^/]+\/[^/]+)$/.exec(dir);
    packages.push({
      manager: 'npm',
      name: m?.name ?? (scoped ? scoped[1]! : baseName(dir)),
      version: m?.version,
      location: dir,
      key,
      paths: filesBelow(node),
      ...(isDev?.(rel) && { dev: true }),
      recordPath: path,
    });
  }
  if (bad.length > 0) {
    warnings.push({ source: 'npm', code: 'E_NPM_PACKAGE', message: `${bad.length} package.json file(s) in node_modules are not valid: ${bad[0]!.message}${bad.length > 1 ? ', …' : ''}; named after their directory` });
  }
  return { packages, firstLayer };
}

// ---------------------------------------------------------------------------------------------
// os-release

/** The OS named by os-release(5). */
export interface OsRelease {
  id: string;
  versionId?: string | undefined;
  name?: string | undefined;
  prettyName?: string | undefined;
  /** The file it was read from (`/etc/os-release` or `/usr/lib/os-release`). */
  path: string;
}

/** Parses os-release(5) text (KEY=value, shell-style quoting); undefined without an ID or NAME. */
export function parseOsRelease(text: string, path: string): OsRelease | undefined {
  const f = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if ((v.startsWith('"') && v.endsWith('"') && v.length >= 2) || (v.startsWith("'") && v.endsWith("'") && v.length >= 2)) {
      v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    }
    f.set(m[1]!, v);
  }
  const id = f.get('ID') ?? f.get('NAME')?.toLowerCase();
  if (!id) return undefined;
  return {
    id,
    ...(f.has('VERSION_ID') && { versionId: f.get('VERSION_ID') }),
    ...(f.has('NAME') && { name: f.get('NAME') }),
    ...(f.has('PRETTY_NAME') && { prettyName: f.get('PRETTY_NAME') }),
    path: `/${path}`,
  };
}

/** The OS of the final filesystem: `/etc/os-release`, else `/usr/lib/os-release` (its usual symlink target). */
export function readOsRelease(caps: CaptureIndex, root: FsNode): OsRelease | undefined {
  for (const path of ['etc/os-release', 'usr/lib/os-release']) {
    const v = caps.visible(root, path);
    if (v) return parseOsRelease(v.file.content.toString('utf8'), path);
  }
  return undefined;
}

export type { PkgdbCode };
