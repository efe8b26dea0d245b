/**
 * Compares two analyze reports. Pure: two reports in (fresh or loaded from saved JSON), one
 * DiffReport out. Sections a side lacks (categories, packages, findings, per-path files) are
 * reported as unavailable with the reason, never as zero.
 */
import type { Finding, LayerReport, PackageReport, Report } from '../report-schema.js';
import { VERSION } from '../version.js';
import {
  DIFF_SCHEMA_VERSION,
  type CategoryDelta,
  type DiffLayer,
  type DiffReport,
  type DiffSide,
  type DirectoryDelta,
  type FindingRef,
  type MetricDelta,
  type OptionalMetricDelta,
  type PackageDelta,
  type PathDelta,
} from './diff-schema.js';

export interface DiffSideInfo {
  /** What the user named for this side (defaults to the report's image ref). */
  ref?: string | undefined;
  origin?: DiffSide['origin'] | undefined;
}

export interface DiffOptions {
  /** Bandwidth for pull-time estimates (default: the after report's, else the before's, else 1 Gbps). */
  bandwidthBitsPerSecond?: number | undefined;
  /** How many path and directory changes to list (default 100). */
  topPaths?: number | undefined;
  /** Directory depth of the path roll-up (default 3: /usr/lib/python3). */
  directoryDepth?: number | undefined;
  before?: DiffSideInfo | undefined;
  after?: DiffSideInfo | undefined;
}

const DEFAULT_BANDWIDTH = 1e9;

/** Returns what changed from `before` to `after`; a report diffed with itself has zero deltas. */
export function diffReports(before: Report, after: Report, options: DiffOptions = {}): DiffReport {
  const warnings: string[] = [];
  const bw = options.bandwidthBitsPerSecond ?? after.pull?.bandwidthBitsPerSecond ?? before.pull?.bandwidthBitsPerSecond ?? DEFAULT_BANDWIDTH;
  if (before.image.os !== after.image.os || before.image.architecture !== after.image.architecture) {
    warnings.push(`comparing different platforms: ${platform(before)} vs ${platform(after)}`);
  }
  const cb = compressed(before);
  const ca = compressed(after);
  if (cb.bytes !== null && ca.bytes !== null && cb.exact !== ca.exact) {
    warnings.push(`compressed sizes compare ${cb.exact ? 'an exact' : 'an estimated'} size (before) with ${ca.exact ? 'an exact' : 'an estimated'} size (after)`);
  }
  const savB = before.summary.potentialSavingsBytes ?? null;
  const savA = after.summary.potentialSavingsBytes ?? null;
  return {
    schemaVersion: DIFF_SCHEMA_VERSION,
    tool: { name: 'imgsize', version: VERSION },
    before: side(before, options.before),
    after: side(after, options.after),
    totals: {
      contentBytes: metric(before.summary.contentBytes, after.summary.contentBytes),
      visibleBytes: metric(before.summary.visibleBytes, after.summary.visibleBytes),
      wastedBytes: metric(before.summary.wastedBytes, after.summary.wastedBytes),
      files: metric(before.summary.files, after.summary.files),
      layers: metric(before.summary.layers, after.summary.layers),
      compressedBytes: { ...optMetric(cb.bytes, ca.bytes), beforeExact: cb.exact, afterExact: ca.exact },
      pullSeconds: optMetric(pullSeconds(before, bw), pullSeconds(after, bw)),
      bandwidthBitsPerSecond: bw,
      diveEfficiency: metric(before.dive.efficiency, after.dive.efficiency),
      potentialSavingsBytes: optMetric(savB, savA),
    },
    layers: diffLayers(before.layers, after.layers),
    categories: diffCategories(before, after),
    packages: diffPackages(before, after),
    paths: diffPaths(before, after, options.topPaths ?? 100, options.directoryDepth ?? 3),
    findings: diffFindings(before, after),
    warnings,
  };
}

function side(r: Report, info: DiffSideInfo | undefined): DiffSide {
  const ref = info?.ref ?? r.image.ref;
  return {
    ref,
    name: r.image.repoTags[0] ?? baseName(ref),
    origin: info?.origin ?? 'analyzed',
    repoTags: r.image.repoTags,
    ...(r.image.configDigest !== undefined && { configDigest: r.image.configDigest }),
    ...(r.image.manifestDigest !== undefined && { manifestDigest: r.image.manifestDigest }),
    platform: platform(r),
    toolVersion: r.tool.version,
  };
}

function platform(r: Report): string {
  return `${r.image.os}/${r.image.architecture}${r.image.variant ? `/${r.image.variant}` : ''}`;
}

function baseName(ref: string): string {
  const s = ref.replace(/[\\/]+$/, '');
  const i = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
  return i < 0 ? s : s.slice(i + 1);
}

function metric(before: number, after: number): MetricDelta {
  return { before, after, delta: after - before };
}

function optMetric(before: number | null, after: number | null): OptionalMetricDelta {
  return { before, after, delta: before === null || after === null ? null : after - before };
}

function compressed(r: Report): { bytes: number | null; exact: boolean | null } {
  const bytes = r.pull?.compressedBytes ?? r.summary.compressedBytes;
  if (bytes === undefined) return { bytes: null, exact: null };
  return { bytes, exact: r.pull?.compressedBytesExact ?? r.summary.compressedBytesExact ?? false };
}

/** Pull seconds at `bw`: the report's own estimate rescaled to `bw`, else compressed bytes / bw. */
function pullSeconds(r: Report, bw: number): number | null {
  if (r.pull) return r.pull.seconds === 0 ? 0 : (r.pull.seconds * r.pull.bandwidthBitsPerSecond) / bw;
  const c = compressed(r).bytes;
  return c === null ? null : (c * 8) / bw;
}

function layerOf(l: LayerReport, beforeIndex: number | null, afterIndex: number | null): DiffLayer {
  return {
    diffId: l.diffId,
    beforeIndex,
    afterIndex,
    contentBytes: l.contentBytes,
    compressedBytes: l.compressedBytes ?? null,
    compressedBytesExact: l.compressedBytesExact,
    instruction: l.instruction,
  };
}

/** Matches layers by diffID as multisets (the empty layer's diffID can occur several times). */
function diffLayers(before: LayerReport[], after: LayerReport[]): DiffReport['layers'] {
  const pool = new Map<string, number[]>();
  before.forEach((l, i) => {
    const list = pool.get(l.diffId);
    if (list) list.push(i);
    else pool.set(l.diffId, [i]);
  });
  const shared: DiffLayer[] = [];
  const added: DiffLayer[] = [];
  after.forEach((l, i) => {
    const bi = pool.get(l.diffId)?.shift();
    if (bi === undefined) added.push(layerOf(l, null, i));
    else shared.push(layerOf(l, bi, i));
  });
  const usedBefore = new Set(shared.map((s) => s.beforeIndex));
  const removed = before.filter((_, i) => !usedBefore.has(i)).map((l) => layerOf(l, l.index, null));
  let commonBaseLayers = 0;
  while (commonBaseLayers < Math.min(before.length, after.length) && before[commonBaseLayers]!.diffId === after[commonBaseLayers]!.diffId) {
    commonBaseLayers++;
  }
  const sum = (ls: DiffLayer[]) => ls.reduce((s, l) => s + l.contentBytes, 0);
  return {
    shared,
    removed,
    added,
    commonBaseLayers,
    sharedBytes: sum(shared),
    removedBytes: sum(removed),
    addedBytes: sum(added),
    addedCompressedBytes: added.some((l) => l.compressedBytes === null) ? null : added.reduce((s, l) => s + l.compressedBytes!, 0),
  };
}

function diffCategories(before: Report, after: Report): DiffReport['categories'] {
  const missing = unavailable(before.categories, after.categories, 'categories');
  if (missing) return missing;
  const ids = new Map<string, { label: string; b?: NonNullable<Report['categories']>[number]; a?: NonNullable<Report['categories']>[number] }>();
  for (const c of before.categories!) ids.set(c.id, { label: c.label, b: c });
  for (const c of after.categories!) ids.set(c.id, { ...ids.get(c.id), label: c.label, a: c });
  const changes: CategoryDelta[] = [...ids].map(([id, { label, b, a }]) => ({
    id,
    label,
    before: b?.bytes ?? 0,
    after: a?.bytes ?? 0,
    delta: (a?.bytes ?? 0) - (b?.bytes ?? 0),
    visibleBefore: b?.visibleBytes ?? 0,
    visibleAfter: a?.visibleBytes ?? 0,
  }));
  changes.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || Math.max(y.before, y.after) - Math.max(x.before, x.after) || cmp(x.id, y.id));
  return { available: true, changes };
}

interface PackageGroup {
  manager: PackageReport['manager'];
  name: string;
  versions: string[];
  bytes: number;
}

/** Groups packages by manager and name (one name can sit in several site-packages). */
function groupPackages(list: PackageReport[]): Map<string, PackageGroup> {
  const m = new Map<string, PackageGroup>();
  for (const p of list) {
    const key = `${p.manager}\u0000${p.name}`;
    const g = m.get(key) ?? { manager: p.manager, name: p.name, versions: [], bytes: 0 };
    if (p.version !== undefined && !g.versions.includes(p.version)) g.versions.push(p.version);
    g.bytes += p.visibleBytes;
    m.set(key, g);
  }
  for (const g of m.values()) g.versions.sort();
  return m;
}

function diffPackages(before: Report, after: Report): DiffReport['packages'] {
  const missing = unavailable(before.packages, after.packages, 'packages');
  if (missing) return missing;
  const b = groupPackages(before.packages!.packages);
  const a = groupPackages(after.packages!.packages);
  const changes: PackageDelta[] = [];
  const counts = { added: 0, removed: 0, versionChanged: 0, unchanged: 0 };
  const version = (g: PackageGroup | undefined) => (g && g.versions.length > 0 ? g.versions.join(', ') : null);
  for (const key of new Set([...b.keys(), ...a.keys()])) {
    const pb = b.get(key);
    const pa = a.get(key);
    const g = (pa ?? pb)!;
    const change: PackageDelta['change'] | undefined = !pb ? 'added' : !pa ? 'removed' : version(pb) !== version(pa) ? 'version-changed' : undefined;
    if (!change) {
      counts.unchanged++;
      continue;
    }
    counts[change === 'version-changed' ? 'versionChanged' : change]++;
    changes.push({
      manager: g.manager,
      name: g.name,
      change,
      versionBefore: version(pb),
      versionAfter: version(pa),
      bytesBefore: pb?.bytes ?? 0,
      bytesAfter: pa?.bytes ?? 0,
      delta: (pa?.bytes ?? 0) - (pb?.bytes ?? 0),
    });
  }
  changes.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || cmp(x.manager, y.manager) || cmp(x.name, y.name));
  const managers: Record<string, { packages: MetricDelta; visibleBytes: MetricDelta }> = {};
  const mb = before.packages!.managers;
  const ma = after.packages!.managers;
  for (const m of [...new Set([...Object.keys(mb), ...Object.keys(ma)])].sort()) {
    managers[m] = {
      packages: metric(mb[m]?.packages ?? 0, ma[m]?.packages ?? 0),
      visibleBytes: metric(mb[m]?.visibleBytes ?? 0, ma[m]?.visibleBytes ?? 0),
    };
  }
  return { available: true, changes, counts, managers, unownedBytes: metric(before.packages!.unownedBytes, after.packages!.unownedBytes) };
}

function diffPaths(before: Report, after: Report, top: number, depth: number): DiffReport['paths'] {
  if (!before.files || !after.files) {
    const which = !before.files && !after.files ? 'neither report has' : !before.files ? 'the before report has no' : 'the after report has no';
    return { available: false, reason: `${which} per-path data (re-run analyze with --include-files, or diff the images themselves)` };
  }
  const b = new Map<string, [number, number]>();
  for (const [p, shipped, visible] of before.files.entries) b.set(p, [shipped, visible]);
  const changed: PathDelta[] = [];
  const counts = { added: 0, removed: 0, grown: 0, shrunk: 0, unchanged: 0 };
  const bytes = { added: 0, removed: 0, grown: 0, shrunk: 0 };
  const record = (path: string, sb: number, vb: number, sa: number, va: number, inBefore: boolean, inAfter: boolean): void => {
    const delta = sa - sb;
    const change: PathDelta['change'] | undefined = !inBefore ? 'added' : !inAfter ? 'removed' : delta > 0 ? 'grown' : delta < 0 ? 'shrunk' : undefined;
    if (!change) {
      counts.unchanged++;
      return;
    }
    counts[change]++;
    bytes[change] += Math.abs(delta);
    changed.push({ path, change, before: sb, after: sa, delta, visibleBefore: vb, visibleAfter: va });
  };
  for (const [p, sa, va] of after.files.entries) {
    const prev = b.get(p);
    if (prev) b.delete(p);
    record(p, prev?.[0] ?? 0, prev?.[1] ?? 0, sa, va, prev !== undefined, true);
  }
  for (const [p, [sb, vb]] of b) record(p, sb, vb, 0, 0, true, false);

  const byDelta = (x: { delta: number; path: string }, y: { delta: number; path: string }) => Math.abs(y.delta) - Math.abs(x.delta) || cmp(x.path, y.path);
  const dirs = new Map<string, DirectoryDelta>();
  for (const c of changed) {
    const d = ancestor(c.path, depth);
    const e = dirs.get(d) ?? { path: d, before: 0, after: 0, delta: 0, files: 0 };
    e.before += c.before;
    e.after += c.after;
    e.delta += c.delta;
    e.files++;
    dirs.set(d, e);
  }
  changed.sort(byDelta);
  const directories = [...dirs.values()].filter((d) => d.delta !== 0).sort(byDelta).slice(0, top);
  return {
    available: true,
    counts,
    bytes,
    top: changed.slice(0, top),
    omitted: Math.max(0, changed.length - top),
    directoryDepth: depth,
    directories,
  };
}

/** The directory of `path` cut to at most `depth` components ("/usr/lib/python3" for depth 3). */
function ancestor(path: string, depth: number): string {
  const parts = path.split('/').filter((s) => s !== '');
  parts.pop();
  return `/${parts.slice(0, depth).join('/')}`;
}

/** What a finding concerns, to recognise it on the other side: its paths, their folders, its layers. */
interface FindingSubject {
  f: Finding;
  paths: Set<string>;
  dirs: Set<string>;
  layers: Set<string>;
}

function subjects(r: Report): FindingSubject[] {
  return r.findings!.map((f) => {
    const dirs = new Set<string>();
    for (const e of f.evidence) {
      const parts = e.path.split('/').filter((x) => x !== '');
      // Folders 2 to 4 deep: /root/.cache/pip matches across rebuilds whose file names (hashes) differ.
      for (let d = 2; d < parts.length && d <= 4; d++) dirs.add(`/${parts.slice(0, d).join('/')}`);
    }
    return {
      f,
      paths: new Set(f.evidence.map((e) => e.path)),
      dirs,
      layers: new Set(f.layers.map((i) => r.layers[i]?.diffId ?? `#${i}`)),
    };
  });
}

function overlap(a: Set<string>, b: Set<string>): number {
  let n = 0;
  for (const x of a) if (b.has(x)) n++;
  return n;
}

/** How alike two findings of one rule are: shared paths weigh most, then shared layers, folders, the same title. */
function likeness(x: FindingSubject, y: FindingSubject): number {
  return 8 * overlap(x.paths, y.paths) + 4 * overlap(x.layers, y.layers) + 2 * overlap(x.dirs, y.dirs) + (x.f.title === y.f.title ? 1 : 0);
}

const ref = (f: Finding): FindingRef => ({ id: f.id, title: f.title, severity: f.severity, bytes: f.bytes, compressedBytes: f.compressedBytes });

/**
 * Findings resolved, new and still open. A rule can report several findings (one per layer pair,
 * per cache…), so findings are matched by rule and by the paths and layers they concern, most
 * alike first; each keeps its own title and bytes (issue 11: merging by rule id showed "resolved
 * Apt cache … 143 kB" for a 99.4 kB finding).
 */
function diffFindings(before: Report, after: Report): DiffReport['findings'] {
  const missing = unavailable(before.findings, after.findings, 'findings');
  if (missing) return missing;
  const b = subjects(before);
  const a = subjects(after);
  const pairs: { i: number; j: number; score: number }[] = [];
  b.forEach((x, i) =>
    a.forEach((y, j) => {
      if (x.f.id !== y.f.id) return;
      const score = likeness(x, y);
      if (score > 0) pairs.push({ i, j, score });
    }),
  );
  pairs.sort((p, q) => q.score - p.score || p.i - q.i || p.j - q.j);
  const matchB = new Map<number, number>();
  const takenA = new Set<number>();
  for (const p of pairs) {
    if (matchB.has(p.i) || takenA.has(p.j)) continue;
    matchB.set(p.i, p.j);
    takenA.add(p.j);
  }
  const bySize = (x: FindingRef, y: FindingRef) => y.bytes - x.bytes || cmp(x.id, y.id) || cmp(x.title, y.title);
  return {
    available: true,
    resolved: b.filter((_, i) => !matchB.has(i)).map((x) => ref(x.f)).sort(bySize),
    new: a.filter((_, j) => !takenA.has(j)).map((y) => ref(y.f)).sort(bySize),
    persisting: [...matchB]
      .map(([i, j]) => {
        const fb = b[i]!.f;
        const fa = a[j]!.f;
        return { id: fa.id, title: fa.title, bytesBefore: fb.bytes, bytesAfter: fa.bytes, delta: fa.bytes - fb.bytes };
      })
      .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || cmp(x.id, y.id) || cmp(x.title, y.title)),
  };
}

function unavailable(b: unknown, a: unknown, what: string): { available: false; reason: string } | undefined {
  if (b !== undefined && a !== undefined) return undefined;
  const which = b === undefined && a === undefined ? 'neither report has' : b === undefined ? 'the before report has no' : 'the after report has no';
  return { available: false, reason: `${which} ${what}` };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
