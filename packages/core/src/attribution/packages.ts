/**
 * Package attribution: which dpkg / apk / rpm / pip / conda / npm package owns each visible byte,
 * from the package managers' own records captured during the scan (see metadata-paths.ts; the
 * apk, rpm and npm readers are in pkgdb/).
 *
 * - Only records visible in the FINAL filesystem describe the installed set (a later layer's dpkg
 *   status overrides an earlier one); a package's `layer` is the first layer whose records list it.
 * - Listed paths are resolved against the image's own symlinks (merged /usr: `/bin/bash` in
 *   bash.list is the file usr/bin/bash); the last component is not followed.
 * - A file listed by several packages belongs to the first by manager priority
 *   pip > conda > npm > dpkg / apk / rpm; a Python distribution whose RECORD (an npm package whose
 *   package.json) an OS package lists is that OS package's (Debian ships dist-info for python3-*
 *   packages, Alpine's npm package ships node_modules), not a pip / npm install.
 * - Missing, truncated or corrupt records become warnings, never errors.
 */
import { z } from 'zod';
import type { SqlJsStatic } from 'sql.js';
import type { CapturedFile, LoadedImage } from '../model.js';
import { lookupNode, nodePath, resolveNode, VisibleFile, type FsNode, type HiddenFile, type OverlayResult } from '../overlay.js';
import { baseName, cleanPath, joinPath, parentPath } from '../paths.js';
import type { PackageReport, PackagesReport } from '../report-schema.js';
import { collectApk, collectNpm, collectRpm, readOsRelease, type CodedWarning, type OsRelease } from './pkgdb/collect.js';
import { loadedSqlite } from './pkgdb/rpm-sqlite.js';
import { runSteps, STEP_MASK, type Steps } from '../steps.js';

export type PackageManager = 'dpkg' | 'pip' | 'conda' | 'apk' | 'rpm' | 'npm';

/** OS package managers: their files in later layers are the "OS packages" category. */
export const OS_PACKAGE_MANAGERS: readonly PackageManager[] = ['dpkg', 'apk', 'rpm'];

/** Manager priority when two packages list the same file (lower wins). */
const PRIORITY: Record<PackageManager, number> = { pip: 0, conda: 1, npm: 2, dpkg: 3, apk: 3, rpm: 3 };

/** A package found in the final filesystem, with the paths its records list (clean, unresolved). */
export interface PackageRecord {
  manager: PackageManager;
  name: string;
  version: string | undefined;
  /** Clean directory of the database (site-packages dir, conda prefix, '' for dpkg). */
  location: string;
  /** Key identifying the package across layers (for `layer`). */
  key: string;
  paths: string[];
  /** pip: the RECORD / installed-files.txt that describes it; npm: its package.json. */
  recordPath?: string | undefined;
  /** The package's own size record (rpm SIZE, apk I:), bytes. */
  sizeTag?: number | undefined;
  /** npm: only needed for development. */
  dev?: boolean | undefined;
  /** dpkg: relations and apt's auto-installed mark (see `DpkgRelations`). */
  relations?: DpkgRelations | undefined;
}

/**
 * A dpkg package's relations, as `imgsize fix` needs them to tell what apt would not install (or
 * would autoremove) without a package: or-groups of package names (`a | b`, version constraints
 * and `:any`-style qualifiers dropped), and apt's `Auto-Installed` mark when
 * /var/lib/apt/extended_states is in the image (undefined otherwise).
 */
export interface DpkgRelations {
  /** Depends and Pre-Depends. */
  depends?: string[] | undefined;
  recommends?: string[] | undefined;
  provides?: string[] | undefined;
  autoInstalled?: boolean | undefined;
}

/** Result of package attribution. */
export interface PackageAttribution {
  report: PackagesReport;
  /** Owning package of each visible regular file, by clean path. */
  owner: Map<string, PackageReport>;
  /** Owning package of hidden (overwritten / deleted) files its records list. */
  hiddenOwner: Map<HiddenFile, PackageReport>;
  warnings: string[];
  /** The apk / rpm / npm warnings, with the readers' codes (see `reportCodeOf`). */
  codedWarnings: CodedWarning[];
  /** The OS named by the final filesystem's os-release, when it has one. */
  osRelease: OsRelease | undefined;
}

/** Options of `attributePackages`. */
export interface PackageAttributionOptions {
  /** The loaded sql.js module (`loadSqlite()`), needed to read an rpmdb.sqlite. Default: the module if already loaded. */
  sqlite?: SqlJsStatic | undefined;
}

/** Compressed-size lookup (scaled estimate) of a shipped regular file. */
export type CsizeOf = (file: FsNode) => number;

// ---------------------------------------------------------------------------------------------
// Captured records

/** Captured metadata files, by path, with the layer of each copy. */
export class Captures {
  readonly byPath = new Map<string, Array<{ layer: number; file: CapturedFile }>>();

  constructor(image: LoadedImage) {
    image.layers.forEach((l, li) => {
      for (const f of l.scan?.captured ?? []) {
        let list = this.byPath.get(f.path);
        if (!list) this.byPath.set(f.path, (list = []));
        list.push({ layer: li, file: f });
      }
    });
  }

  /** The copy of `path` visible in the final filesystem, or undefined. */
  visible(root: FsNode, path: string): { layer: number; file: CapturedFile } | undefined {
    const n = lookupNode(root, path);
    if (!n || !n.isFileEntry) return undefined;
    return this.byPath.get(path)?.find((c) => c.layer === n.layer);
  }
}

function text(f: CapturedFile): string {
  return f.content.toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// dpkg

interface DpkgStanza {
  name: string;
  version: string | undefined;
  arch: string | undefined;
  installed: boolean;
  /** Installed-Size in bytes (the field is KiB; syft's `4KB` form is read as 4000 bytes too). */
  installedSize?: number | undefined;
  relations: DpkgRelations;
}

/** `a (>= 1) | b:any, c` → `['a | b', 'c']`: or-groups of bare package names. */
export function parseDpkgRelation(field: string | undefined): string[] {
  if (!field) return [];
  return field
    .split(',')
    .map((group) =>
      group
        .split('|')
        .map((alt) => alt.trim().replace(/\s*\(.*?\)/g, '').replace(/\s*\[.*?\]/g, '').replace(/\s*<.*?>/g, '').replace(/:[a-z0-9-]+$/, '').trim())
        .filter(Boolean)
        .join(' | '),
    )
    .filter(Boolean);
}

/** Parses apt's /var/lib/apt/extended_states: package name → Auto-Installed. */
export function parseAptExtendedStates(t: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const para of t.split(/\r?\n[ \t]*\r?\n/)) {
    const name = /^Package:\s*(\S+)/im.exec(para)?.[1];
    const auto = /^Auto-Installed:\s*(\d+)/im.exec(para)?.[1];
    if (name && auto !== undefined) out.set(name, auto === '1' || out.get(name) === true);
  }
  return out;
}

/** States in which a package's files are on disk (dpkg(1) "package states"). */
const FILES_PRESENT = new Set(['installed', 'unpacked', 'half-configured', 'triggers-awaited', 'triggers-pending']);

/** Parses dpkg status text (RFC 822-style stanzas); `bad` counts stanzas without a Package field. */
export function parseDpkgStatus(t: string, defaultInstalled = false): { stanzas: DpkgStanza[]; bad: number } {
  const stanzas: DpkgStanza[] = [];
  let bad = 0;
  for (const para of t.split(/\r?\n[ \t]*\r?\n/)) {
    if (para.trim() === '') continue;
    const fields = new Map<string, string>();
    for (const line of para.split(/\r?\n/)) {
      if (line === '' || line[0] === ' ' || line[0] === '\t' || line[0] === '#') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      fields.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    const name = fields.get('package');
    if (!name) {
      bad++;
      continue;
    }
    const status = fields.get('status');
    const words = status?.split(/\s+/) ?? [];
    const installed = status === undefined ? defaultInstalled : words[1] === 'ok' && FILES_PRESENT.has(words[2] ?? '');
    const isz = /^(\d+)\s*(KB)?$/i.exec(fields.get('installed-size') ?? '');
    const installedSize = isz ? Number(isz[1]) * (isz[2] ? 1000 : 1024) : undefined;
    const depends = [...parseDpkgRelation(fields.get('pre-depends')), ...parseDpkgRelation(fields.get('depends'))];
    const recommends = parseDpkgRelation(fields.get('recommends'));
    const provides = parseDpkgRelation(fields.get('provides'));
    const relations: DpkgRelations = { ...(depends.length > 0 && { depends }), ...(recommends.length > 0 && { recommends }), ...(provides.length > 0 && { provides }) };
    stanzas.push({ name, version: fields.get('version'), arch: fields.get('architecture'), installed, ...(installedSize !== undefined && { installedSize }), relations });
  }
  return { stanzas, bad };
}

function dpkgKey(name: string, arch: string | undefined): string {
  return `dpkg\0${name}\0${arch ?? ''}`;
}

function collectDpkg(caps: Captures, root: FsNode, warnings: string[]): { packages: PackageRecord[]; firstLayer: Map<string, number> } {
  const STATUS = 'var/lib/dpkg/status';
  const INFO = 'var/lib/dpkg/info/';
  const STATUS_D = 'var/lib/dpkg/status.d/';
  const firstLayer = new Map<string, number>();
  const noteLayer = (key: string, layer: number): void => {
    const f = firstLayer.get(key);
    if (f === undefined || layer < f) firstLayer.set(key, layer);
  };
  // Every layer's copy of the database counts for `layer` (the first that lists a package).
  for (const c of caps.byPath.get(STATUS) ?? []) {
    for (const s of parseDpkgStatus(text(c.file)).stanzas) if (s.installed) noteLayer(dpkgKey(s.name, s.arch), c.layer);
  }
  const packages: PackageRecord[] = [];
  const status = caps.visible(root, STATUS);
  const listFor = (name: string, arch: string | undefined): { layer: number; file: CapturedFile } | undefined =>
    (arch ? caps.visible(root, `${INFO}${name}:${arch}.list`) : undefined) ?? caps.visible(root, `${INFO}${name}.list`);
  const missingLists: string[] = [];
  // apt's marks: a package it lists with Auto-Installed: 1 came in only as a dependency; one it
  // does not list was asked for (or came with the base system). Unknown without the file.
  const ext = caps.visible(root, 'var/lib/apt/extended_states');
  const autoMarks = ext && !ext.file.truncated ? parseAptExtendedStates(text(ext.file)) : undefined;
  if (ext?.file.truncated) warnings.push('dpkg: /var/lib/apt/extended_states is truncated; apt auto-installed marks are not used');
  if (status) {
    if (status.file.truncated) warnings.push(`dpkg: /${STATUS} is truncated; packages after the cut are not attributed`);
    const { stanzas, bad } = parseDpkgStatus(text(status.file));
    if (bad > 0) warnings.push(`dpkg: ${bad} stanza(s) of /${STATUS} have no Package field and were skipped`);
    for (const s of stanzas) {
      if (!s.installed) continue;
      const list = listFor(s.name, s.arch);
      if (!list) missingLists.push(s.name);
      else if (list.file.truncated) warnings.push(`dpkg: file list of ${s.name} is truncated`);
      packages.push({
        manager: 'dpkg',
        name: s.name,
        version: s.version,
        location: '',
        key: dpkgKey(s.name, s.arch),
        paths: list ? splitLines(text(list.file)) : [],
        sizeTag: s.installedSize,
        relations: { ...s.relations, ...(autoMarks && { autoInstalled: autoMarks.get(s.name) === true }) },
      });
    }
  } else {
    const lists = [...caps.byPath.keys()].filter((p) => p.startsWith(INFO) && p.endsWith('.list') && caps.visible(root, p));
    if (lists.length > 0) {
      warnings.push(`dpkg: /${STATUS} is missing but ${lists.length} file list(s) exist; packages are attributed without versions`);
      for (const p of lists.sort()) {
        const file = baseName(p).slice(0, -'.list'.length);
        const [name, arch] = file.split(':');
        packages.push({ manager: 'dpkg', name: name!, version: undefined, location: '', key: dpkgKey(name!, arch), paths: splitLines(text(caps.visible(root, p)!.file)) });
      }
    }
  }
  if (missingLists.length > 0) {
    warnings.push(`dpkg: ${missingLists.length} installed package(s) have no file list in /${INFO}: ${preview(missingLists)}`);
  }
  // Distroless images: one stanza per file in status.d/, file lists in status.d/<pkg>.md5sums.
  const dFiles = [...caps.byPath.keys()].filter((p) => p.startsWith(STATUS_D) && !p.slice(STATUS_D.length).includes('/')).sort();
  for (const p of dFiles) {
    if (p.endsWith('.md5sums')) continue;
    for (const c of caps.byPath.get(p)!) {
      for (const s of parseDpkgStatus(text(c.file), true).stanzas) noteLayer(dpkgKey(s.name, s.arch), c.layer);
    }
    const v = caps.visible(root, p);
    if (!v) continue;
    const sums = caps.visible(root, `${p}.md5sums`);
    for (const s of parseDpkgStatus(text(v.file), true).stanzas) {
      if (!sums) warnings.push(`dpkg: /${p} has no md5sums file; its files are not attributed`);
      const paths = sums
        ? splitLines(text(sums.file)).map((l) => {
            const m = /^[0-9a-fA-F]{32}\s+(.+)$/.exec(l);
            return m ? m[1]! : l;
          })
        : [];
      packages.push({ manager: 'dpkg', name: s.name, version: s.version, location: '', key: dpkgKey(s.name, s.arch), paths, sizeTag: s.installedSize, relations: s.relations });
    }
  }
  return { packages, firstLayer };
}

function splitLines(t: string): string[] {
  return t.split(/\r?\n/).filter((l) => l !== '' && l !== '/.');
}

function preview(names: readonly string[], n = 5): string {
  return names.length <= n ? names.join(', ') : `${names.slice(0, n).join(', ')}, …`;
}

// ---------------------------------------------------------------------------------------------
// pip

const DIST_INFO = /^(.*?)\/?([^/]+)\.dist-info\/RECORD$/;
const EGG_INFO = /^(.*?)\/?([^/]+)\.egg-info\/installed-files\.txt$/;

/** Parses the header fields of METADATA / PKG-INFO (Name, Version). */
function parseMetadata(t: string): { name?: string; version?: string } {
  const out: { name?: string; version?: string } = {};
  for (const line of t.split(/\r?\n/)) {
    if (line === '') break;
    const m = /^(Name|Version):\s*(.+?)\s*$/i.exec(line);
    if (m) out[m[1]!.toLowerCase() as 'name' | 'version'] = m[2]!;
  }
  return out;
}

/** Splits `name-version[-pyX.Y]` of a dist-info / egg-info directory name. */
function splitDistName(dir: string): { name: string; version: string | undefined } {
  const m = /^(.+?)-(\d[^-]*)(?:-.*)?$/.exec(dir);
  return m ? { name: m[1]!, version: m[2]! } : { name: dir, version: undefined };
}

/** Normalized distribution name (PEP 503) for matching across layers. */
function normalizeDist(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Parses a RECORD file (CSV: path,hash,size); returns the paths and the count of malformed rows. */
export function parseRecord(t: string): { paths: string[]; bad: number } {
  const paths: string[] = [];
  let bad = 0;
  for (const line of t.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let path: string;
    if (line.startsWith('"')) {
      // Quoted field: "" is an escaped quote.
      let i = 1;
      let out = '';
      let closed = false;
      while (i < line.length) {
        const c = line[i]!;
        if (c === '"') {
          if (line[i + 1] === '"') {
            out += '"';
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        out += c;
        i++;
      }
      if (!closed || (i < line.length && line[i] !== ',')) {
        bad++;
        continue;
      }
      path = out;
    } else {
      const comma = line.indexOf(',');
      path = comma < 0 ? line : line.slice(0, comma);
      if (comma < 0) bad++;
    }
    if (path === '') {
      bad++;
      continue;
    }
    paths.push(path);
  }
  return { paths, bad };
}

function collectPip(caps: Captures, root: FsNode, warnings: string[]): { packages: PackageRecord[]; firstLayer: Map<string, number> } {
  const firstLayer = new Map<string, number>();
  const packages: PackageRecord[] = [];
  let badRows = 0;
  const badFiles: string[] = [];
  const truncated: string[] = [];
  const noRecord: string[] = [];
  for (const [path, copies] of caps.byPath) {
    const rec = DIST_INFO.exec(path);
    const egg = rec ? null : EGG_INFO.exec(path);
    const m = rec ?? egg;
    if (!m) continue;
    const site = m[1]!;
    // Unpacked wheels in a uv / poetry cache are not installed packages.
    if (/(?:^|\/)\.cache(?:\/|$)/.test(site)) continue;
    const dirName = m[2]!;
    const infoDir = path.slice(0, path.lastIndexOf('/'));
    const metaFile = caps.visible(root, `${infoDir}/${rec ? 'METADATA' : 'PKG-INFO'}`);
    const meta = metaFile ? parseMetadata(text(metaFile.file)) : {};
    const fromDir = splitDistName(dirName);
    const name = meta.name ?? fromDir.name;
    const key = `pip\0${site}\0${normalizeDist(name)}`;
    for (const c of copies) {
      const f = firstLayer.get(key);
      if (f === undefined || c.layer < f) firstLayer.set(key, c.layer);
    }
    const v = caps.visible(root, path);
    if (!v) continue;
    if (v.file.truncated) truncated.push(`/${path}`);
    let paths: string[];
    if (rec) {
      const r = parseRecord(text(v.file));
      if (r.bad > 0) {
        badRows += r.bad;
        badFiles.push(`/${path}`);
      }
      paths = r.paths.map((p) => (p.startsWith('/') ? cleanPath(p) : cleanPath(joinPath(site, p))));
    } else {
      paths = splitLines(text(v.file)).map((p) => (p.startsWith('/') ? cleanPath(p) : cleanPath(joinPath(infoDir, p))));
    }
    packages.push({ manager: 'pip', name, version: meta.version ?? fromDir.version, location: site, key, paths, recordPath: path });
  }
  // dist-info directories with METADATA but no RECORD: their files cannot be attributed.
  for (const path of caps.byPath.keys()) {
    if (!path.endsWith('.dist-info/METADATA') || path.includes('/dist-packages/')) continue;
    const infoDir = parentPath(path);
    if (!caps.visible(root, path) || caps.visible(root, `${infoDir}/RECORD`)) continue;
    if (lookupNode(root, `${infoDir}/RECORD`)) continue; // present but not captured: warned by the capture check
    noRecord.push(`/${infoDir}`);
  }
  if (badRows > 0) warnings.push(`pip: ${badRows} malformed RECORD row(s) skipped in ${preview(badFiles, 3)}`);
  if (truncated.length > 0) warnings.push(`pip: ${truncated.length} RECORD file(s) truncated: ${preview(truncated, 3)}`);
  if (noRecord.length > 0) warnings.push(`pip: ${noRecord.length} dist-info director(ies) without RECORD; their files are unowned: ${preview(noRecord, 3)}`);
  return { packages, firstLayer };
}

// ---------------------------------------------------------------------------------------------
// conda

const CondaMeta = z.looseObject({
  name: z.string().min(1),
  version: z.union([z.string(), z.number()]).optional(),
  files: z.array(z.string()).optional(),
  paths_data: z.looseObject({ paths: z.array(z.looseObject({ _path: z.string() })) }).optional(),
});

const CONDA_META = /^(.*?)\/?conda-meta\/([^/]+)\.json$/;

function parseCondaMeta(f: CapturedFile): z.infer<typeof CondaMeta> | undefined {
  try {
    const r = CondaMeta.safeParse(JSON.parse(text(f)));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function collectConda(caps: Captures, root: FsNode, warnings: string[]): { packages: PackageRecord[]; firstLayer: Map<string, number> } {
  const firstLayer = new Map<string, number>();
  const packages: PackageRecord[] = [];
  const bad: string[] = [];
  for (const [path, copies] of caps.byPath) {
    const m = CONDA_META.exec(path);
    if (!m) continue;
    const prefix = m[1]!;
    const fileName = m[2]!.replace(/-[^-]+-[^-]+$/, '');
    const v = caps.visible(root, path);
    let visibleMeta: z.infer<typeof CondaMeta> | undefined;
    for (const c of copies) {
      const meta = parseCondaMeta(c.file);
      if (c === v) visibleMeta = meta;
      const key = `conda\0${prefix}\0${meta?.name ?? fileName}`;
      const f = firstLayer.get(key);
      if (f === undefined || c.layer < f) firstLayer.set(key, c.layer);
    }
    if (!v) continue;
    const meta = visibleMeta;
    if (!meta) {
      bad.push(`/${path}${v.file.truncated ? ' (truncated)' : ''}`);
      continue;
    }
    const key = `conda\0${prefix}\0${meta.name}`;
    const rel = meta.files ?? meta.paths_data?.paths.map((p) => p._path) ?? [];
    packages.push({
      manager: 'conda',
      name: meta.name,
      version: meta.version === undefined ? undefined : String(meta.version),
      location: prefix,
      key,
      // The package's own conda-meta record belongs to it, like a dist-info RECORD does.
      paths: [...rel.map((p) => cleanPath(joinPath(prefix, cleanPath(p)))), path],
    });
  }
  if (bad.length > 0) warnings.push(`conda: ${bad.length} conda-meta record(s) are not valid package JSON and were skipped: ${preview(bad, 3)}`);
  return { packages, firstLayer };
}

// ---------------------------------------------------------------------------------------------
// Attribution

/** Resolves listed paths against the final tree: symlinked parents followed, the name not. */
class PathResolver {
  private readonly dirs = new Map<string, { node: FsNode; path: string } | null>();
  constructor(private readonly root: FsNode) {}

  /** Returns the node the path names (not following a final symlink) and its canonical path. */
  resolve(path: string): { node: FsNode | undefined; canon: string } {
    if (path === '') return { node: undefined, canon: '' };
    const dir = parentPath(path);
    const name = baseName(path);
    let d = this.dirs.get(dir);
    if (d === undefined) {
      const n = resolveNode(this.root, dir, true);
      d = n && n.children ? { node: n, path: nodePath(n) } : null;
      this.dirs.set(dir, d);
    }
    if (!d) return { node: undefined, canon: path };
    return { node: d.node.children!.get(name), canon: joinPath(d.path, name) };
  }
}

/**
 * Attributes visible bytes to packages. `csizeOf` gives the (scaled) compressed size of a
 * shipped regular file, when known.
 */
export function attributePackages(image: LoadedImage, overlay: OverlayResult, csizeOf: CsizeOf, options: PackageAttributionOptions = {}): PackageAttribution {
  return runSteps(attributePackagesSteps(image, overlay, csizeOf, options));
}

/** attributePackages in steps (steps.ts): pauses in the per-file loops and between package databases. */
export function* attributePackagesSteps(image: LoadedImage, overlay: OverlayResult, csizeOf: CsizeOf, options: PackageAttributionOptions = {}): Steps<PackageAttribution> {
  const warnings: string[] = [];
  const caps = new Captures(image);
  const root = overlay.root;
  let work = 0;
  // Visible metadata files whose content was not captured (e.g. over the capture limit).
  let uncaptured = 0;
  const visible = overlay.visible;
  for (let i = 0; i < visible.length; i++) {
    if ((++work & STEP_MASK) === 0) yield;
    const v = visible[i]!;
    if (v.size === 0 || !mayBeRecord(v.name)) continue;
    const path = v.path;
    if (isRecordPath(path) && !caps.byPath.get(path)?.some((c) => c.layer === v.layer)) uncaptured++;
  }
  if (uncaptured > 0) warnings.push(`${uncaptured} package database file(s) were not captured during the scan; their packages are not attributed`);

  const coded: CodedWarning[] = [];
  const sources: Array<{ packages: PackageRecord[]; firstLayer: Map<string, number> }> = [];
  const collectors = [
    () => collectPip(caps, root, warnings),
    () => collectConda(caps, root, warnings),
    () => collectDpkg(caps, root, warnings),
    () => collectApk(caps, root, coded),
    () => collectRpm(caps, root, coded, options.sqlite ?? loadedSqlite()),
    () => collectNpm(caps, root, coded),
  ];
  for (const collect of collectors) {
    sources.push(collect());
    yield;
  }
  // Debian's python3-* packages ship a dist-info RECORD of their own (python3-pip, python3-yaml),
  // Alpine's and Fedora's npm packages a node_modules tree: a distribution whose record an OS
  // package lists was installed by that package, so its files stay the OS package's rather than
  // being counted again as a pip / npm install.
  const osListed = new Set(sources.flatMap((s) => s.packages.filter((r) => OS_PACKAGE_MANAGERS.includes(r.manager)).flatMap((r) => r.paths.map(cleanPath))));
  const records = sources
    .flatMap((s) => s.packages)
    .filter((r) => !((r.manager === 'pip' || r.manager === 'npm') && r.recordPath !== undefined && osListed.has(r.recordPath)));
  records.sort(
    (a, b) => PRIORITY[a.manager] - PRIORITY[b.manager] || cmp(a.location, b.location) || cmp(a.name, b.name) || cmp(a.version ?? '', b.version ?? ''),
  );
  const firstLayer = new Map<string, number>();
  for (const s of sources) for (const [k, v] of s.firstLayer) firstLayer.set(k, v);

  const hiddenByPath = new Map<string, HiddenFile[]>();
  for (let i = 0; i < overlay.hidden.length; i++) {
    if ((++work & STEP_MASK) === 0) yield;
    const h = overlay.hidden[i]!;
    let l = hiddenByPath.get(h.path);
    if (!l) hiddenByPath.set(h.path, (l = []));
    l.push(h);
  }
  const resolver = new PathResolver(root);
  const owner = new Map<string, PackageReport>();
  const ownerNode = new Map<FsNode, PackageRecord>();
  const ownerHidden = new Map<HiddenFile, PackageRecord>();
  const hiddenOwner = new Map<HiddenFile, PackageReport>();
  const conflicts = new Map<string, number>();
  const conflict = (a: PackageRecord, b: PackageRecord): void => {
    const k = `${a.manager}/${b.manager}`;
    conflicts.set(k, (conflicts.get(k) ?? 0) + 1);
  };
  const reports: PackageReport[] = [];
  const managers: Record<string, { packages: number; visibleBytes: number }> = {};
  for (const rec of records) {
    const rep: PackageReport = {
      manager: rec.manager,
      name: rec.name,
      ...(rec.version !== undefined && { version: rec.version }),
      layer: firstLayer.get(rec.key) ?? null,
      location: `/${rec.location}`,
      ...(rec.sizeTag !== undefined && { sizeTag: rec.sizeTag }),
      ...(rec.dev === true && { dev: true }),
      ...rec.relations,
      visibleBytes: 0,
      files: 0,
      wastedBytes: 0,
    };
    let csize = 0;
    for (let ri = 0; ri < rec.paths.length; ri++) {
      if ((++work & STEP_MASK) === 0) yield;
      const path = cleanPath(rec.paths[ri]!);
      const { node, canon } = resolver.resolve(path);
      if (node && node.isFileEntry) {
        const prev = ownerNode.get(node);
        if (prev === undefined) {
          ownerNode.set(node, rec);
          if (node instanceof VisibleFile) node.owner = rep;
          rep.visibleBytes += node.entrySize;
          rep.files++;
          csize += csizeOf(node);
          owner.set(canon, rep);
        } else if (prev !== rec) conflict(prev, rec);
      }
      for (const p of canon === path ? [path] : [canon, path]) {
        for (const h of hiddenByPath.get(p) ?? []) {
          const prev = ownerHidden.get(h);
          if (prev === undefined) {
            ownerHidden.set(h, rec);
            hiddenOwner.set(h, rep);
            rep.wastedBytes += h.size;
          } else if (prev !== rec) conflict(prev, rec);
        }
      }
    }
    rep.compressedBytes = Math.round(csize);
    const m = (managers[rec.manager] ??= { packages: 0, visibleBytes: 0 });
    m.packages++;
    m.visibleBytes += rep.visibleBytes;
    reports.push(rep);
  }
  if (conflicts.size > 0) {
    const total = [...conflicts.values()].reduce((s, n) => s + n, 0);
    const detail = [...conflicts].map(([k, n]) => `${k}: ${n}`).join(', ');
    warnings.push(`${total} file(s) are listed by more than one package (${detail}); each is attributed once, by priority pip > conda > npm > dpkg/apk/rpm`);
  }
  let unownedBytes = 0;
  let unownedFiles = 0;
  for (let i = 0; i < visible.length; i++) {
    if ((++work & STEP_MASK) === 0) yield;
    const v = visible[i]!;
    if (!ownerNode.has(v)) {
      unownedBytes += v.size;
      unownedFiles++;
    }
  }
  reports.sort((a, b) => b.visibleBytes - a.visibleBytes || cmp(a.manager, b.manager) || cmp(a.name, b.name) || cmp(a.location ?? '', b.location ?? ''));
  const osRelease = readOsRelease(caps, root);
  return { report: { packages: reports, unownedBytes, unownedFiles, managers }, owner, hiddenOwner, warnings, codedWarnings: coded, osRelease };
}

const RECORD_PATH =
  /(?:^|\/)(?:var\/lib\/dpkg\/(?:status|info\/[^/]+\.list)|[^/]+\.dist-info\/RECORD|[^/]+\.egg-info\/installed-files\.txt|conda-meta\/[^/]+\.json)$|^lib\/apk\/db\/installed$|^(?:var\/lib\/rpm|usr\/lib\/sysimage\/rpm)\/(?:rpmdb\.sqlite|Packages\.db|Packages)$/;

/** Cheap test of a file's base name before the RECORD_PATH regex (it runs on every visible file). */
function mayBeRecord(name: string): boolean {
  return (
    name === 'status' ||
    name.endsWith('.list') ||
    name === 'RECORD' ||
    name.endsWith('-files.txt') ||
    name.endsWith('.json') ||
    name === 'installed' ||
    name === 'Packages' ||
    name.endsWith('.db') ||
    name.endsWith('.sqlite')
  );
}

function isRecordPath(path: string): boolean {
  return RECORD_PATH.test(path);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
