/**
 * The treemap's data: the per-path rows of a report (or the path changes of a diff) folded into a
 * directory tree, with small files and folders grouped into "N small files" leaves so the page
 * stays small for images with millions of files. Pure: rows in, compact JSON-ready tree out; the
 * page lays it out (squarified) in the browser.
 */
import type { FileList, PathDelta } from '@imgsize/core';

/** At most this many single files in the tree; smaller ones are grouped per folder and category. */
export const MAX_TREE_FILES = 10_000;
/**
 * At most this many folders hold groups; smaller folders appear only on the way to a file shown
 * on its own, and their small files join the groups of the nearest folder above.
 */
export const MAX_TREE_DIRS = 3_000;

/** A folder: [parent index (-1 for the root), name]. */
export type DirNode = [parent: number, name: string];
/**
 * A leaf of an analyze tree: [parent, name ('' for a group), category index, files in the group
 * (0 for a single file), visible bytes as [layer, bytes, …] pairs, hidden bytes as [layer, bytes,
 * hiddenBy] triples for a file or [layer, bytes] pairs for a group]. Layer -1 = unknown (old rows).
 */
export type AnalyzeLeaf = [parent: number, name: string, category: number, count: number, visible: number[], hidden?: number[]];
/** A leaf of a diff tree: [parent, name, category, count, grown bytes, shrunk bytes, before, after] (shipped, uncompressed). */
export type DiffLeaf = [parent: number, name: string, category: number, count: number, grew: number, shrank: number, before: number, after: number];

export interface HtmlTree<L> {
  /** Files of at most this many bytes are grouped (0: every file with bytes is shown on its own). */
  threshold: number;
  /**
   * Groups live in the nearest folder above this many bytes (0: in the file's own folder); smaller
   * folders are drawn only on the way to a file shown on its own.
   */
  dirThreshold: number;
  /** Category ids the leaves index into. */
  cats: string[];
  /** Preorder: every node after its parent; node 0 is the root folder. */
  nodes: Array<DirNode | L>;
  /** Paths in the input / shown as single files / folded into groups. */
  paths: number;
  shownFiles: number;
  groupedFiles: number;
  /** True when every visible copy's layer is known (rows with the layer column). */
  hasLayers: boolean;
}

interface Dir<P> {
  name: string;
  dirs: Map<string, Dir<P>>;
  files: Array<{ name: string; cat: string; weight: number; payload: P }>;
  weight: number;
  /** Weight of the heaviest file below. */
  maxFile: number;
}

interface Folding<P, G, L> {
  weight(p: P): number;
  /** Adds a file to a group accumulator (created on first use). */
  add(g: G | undefined, p: P): G;
  file(parent: number, name: string, cat: number, p: P): L;
  group(parent: number, cat: number, count: number, g: G): L | undefined;
}

function newDir<P>(name: string): Dir<P> {
  return { name, dirs: new Map(), files: [], weight: 0, maxFile: 0 };
}

/** The k-th largest value (0-based), or 0 when there are at most k: keeping values above it keeps at most k. */
function kth(values: number[], k: number): number {
  return values.length <= k ? 0 : values.sort((x, y) => y - x)[k]!;
}

function fold<P, G, L>(
  input: Iterable<{ path: string; cat: string; payload: P }>,
  f: Folding<P, G, L>,
  limits: { maxFiles: number; maxDirs: number },
): Omit<HtmlTree<L>, 'hasLayers'> {
  const root = newDir<P>('');
  let paths = 0;
  const fileWeights: number[] = [];
  for (const row of input) {
    const parts = row.path.split('/').filter((s) => s !== '');
    if (parts.length === 0) continue;
    paths++;
    const weight = f.weight(row.payload);
    fileWeights.push(weight);
    let d = root;
    const touch = (x: Dir<P>): void => {
      x.weight += weight;
      if (weight > x.maxFile) x.maxFile = weight;
    };
    touch(d);
    for (const seg of parts.slice(0, -1)) {
      let s = d.dirs.get(seg);
      if (!s) d.dirs.set(seg, (s = newDir(seg)));
      touch(s);
      d = s;
    }
    d.files.push({ name: parts[parts.length - 1]!, cat: row.cat, weight, payload: row.payload });
  }
  const dirWeights: number[] = [];
  const walk = (d: Dir<P>): void => {
    for (const s of d.dirs.values()) {
      dirWeights.push(s.weight);
      walk(s);
    }
  };
  walk(root);
  const threshold = kth(fileWeights, limits.maxFiles);
  const dirThreshold = kth(dirWeights, limits.maxDirs);

  const cats: string[] = [];
  const catIndex = new Map<string, number>();
  const cat = (id: string): number => {
    let i = catIndex.get(id);
    if (i === undefined) catIndex.set(id, (i = cats.push(id) - 1));
    return i;
  };
  const nodes: Array<DirNode | L> = [];
  let shownFiles = 0;
  let groupedFiles = 0;
  type Groups = Map<string, { g: G; count: number }>;
  const fold1 = (groups: Groups, file: { cat: string; payload: P }): void => {
    const e = groups.get(file.cat);
    if (e) {
      e.g = f.add(e.g, file.payload);
      e.count++;
    } else groups.set(file.cat, { g: f.add(undefined, file.payload), count: 1 });
    groupedFiles++;
  };
  const foldAll = (groups: Groups, d: Dir<P>): void => {
    for (const file of d.files) if (file.weight > 0) fold1(groups, file);
    for (const c of d.dirs.values()) if (c.weight > 0) foldAll(groups, c);
  };
  // A "major" folder (above dirThreshold, or the root) holds the groups of its small files and of
  // the small files of every minor folder below it.
  const emit = (d: Dir<P>, parent: number, groups: Groups | undefined): void => {
    const self = nodes.push([parent, d.name]) - 1;
    const own: Groups | undefined = groups ? undefined : new Map();
    const into = (groups ?? own)!;
    for (const file of d.files) {
      if (file.weight > threshold) {
        nodes.push(f.file(self, file.name, cat(file.cat), file.payload));
        shownFiles++;
      } else if (file.weight > 0) fold1(into, file);
    }
    for (const s of d.dirs.values()) {
      if (s.weight <= 0) continue;
      const major = s.weight > dirThreshold;
      if (major || s.maxFile > threshold) emit(s, self, major ? undefined : into);
      else foldAll(into, s);
    }
    if (own) {
      for (const [c, e] of [...own].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        const leaf = f.group(self, cat(c), e.count, e.g);
        if (leaf) nodes.push(leaf);
      }
    }
  };
  emit(root, -1, undefined);
  return { threshold, dirThreshold, cats, nodes, paths, shownFiles, groupedFiles };
}

/** Adds `bytes` at `layer` to a sparse [layer, bytes, …] list. */
function addPair(list: number[], layer: number, bytes: number): void {
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] === layer) {
      list[i + 1]! += bytes;
      return;
    }
  }
  list.push(layer, bytes);
}

interface AnalyzePayload {
  visible: number[];
  hidden: number[];
}

/** Folds an analyze report's per-path rows (old 3-column rows too) into the treemap tree. */
export function buildAnalyzeTree(files: FileList, limits = { maxFiles: MAX_TREE_FILES, maxDirs: MAX_TREE_DIRS }): HtmlTree<AnalyzeLeaf> {
  let hasLayers = files.entries.length > 0;
  const rows = files.entries.map((r) => {
    const [path, shipped, visible] = r;
    const payload: AnalyzePayload = { visible: [], hidden: [] };
    if (r.length === 3) {
      hasLayers = false;
      if (visible > 0) payload.visible.push(-1, visible);
      if (shipped > visible) payload.hidden.push(-1, shipped - visible, -1);
    } else {
      if (visible > 0) payload.visible.push(r[4] ?? -1, visible);
      for (const [l, bytes, by] of r[5] ?? []) if (bytes > 0) payload.hidden.push(l, bytes, by);
    }
    return { path, cat: categoryOf(r), payload };
  });
  const tree = fold<AnalyzePayload, AnalyzePayload, AnalyzeLeaf>(
    rows,
    {
      weight: (p) => sumEvery(p.visible, 2) + sumEvery(p.hidden, 3),
      add: (g, p) => {
        const acc = g ?? { visible: [], hidden: [] };
        for (let i = 0; i < p.visible.length; i += 2) addPair(acc.visible, p.visible[i]!, p.visible[i + 1]!);
        for (let i = 0; i < p.hidden.length; i += 3) addPair(acc.hidden, p.hidden[i]!, p.hidden[i + 1]!);
        return acc;
      },
      file: (parent, name, c, p) => (p.hidden.length > 0 ? [parent, name, c, 0, p.visible, p.hidden] : [parent, name, c, 0, p.visible]),
      group: (parent, c, count, g) => {
        g.visible = sortPairs(g.visible);
        g.hidden = sortPairs(g.hidden);
        return g.hidden.length > 0 ? [parent, '', c, count, g.visible, g.hidden] : [parent, '', c, count, g.visible];
      },
    },
    limits,
  );
  return { ...tree, hasLayers };
}

interface DiffPayload {
  before: number;
  after: number;
}
interface DiffGroup {
  grew: number;
  shrank: number;
  before: number;
  after: number;
}

const diffFolding: Folding<DiffPayload, DiffGroup, DiffLeaf> = {
  weight: (p) => Math.abs(p.after - p.before),
  add: (g, p) => {
    const acc = g ?? { grew: 0, shrank: 0, before: 0, after: 0 };
    acc.grew += Math.max(0, p.after - p.before);
    acc.shrank += Math.max(0, p.before - p.after);
    acc.before += p.before;
    acc.after += p.after;
    return acc;
  },
  file: (parent, name, c, p) => [parent, name, c, 0, Math.max(0, p.after - p.before), Math.max(0, p.before - p.after), p.before, p.after],
  group: (parent, c, count, g) => [parent, '', c, count, g.grew, g.shrank, g.before, g.after],
};

/**
 * Folds the per-path rows of both sides of a diff into a tree of the paths whose shipped bytes
 * changed (a join of the two lists, no analysis); categories come from the after row, else the
 * before row ('' for old rows without one).
 */
export function buildDiffTree(before: FileList, after: FileList, limits = { maxFiles: MAX_TREE_FILES, maxDirs: MAX_TREE_DIRS }): HtmlTree<DiffLeaf> {
  const rows = new Map<string, { path: string; cat: string; payload: DiffPayload }>();
  for (const r of before.entries) rows.set(r[0], { path: r[0], cat: categoryOf(r), payload: { before: r[1], after: 0 } });
  for (const r of after.entries) {
    const e = rows.get(r[0]);
    const c = categoryOf(r);
    if (e) {
      e.payload.after = r[1];
      if (c !== '') e.cat = c;
    } else rows.set(r[0], { path: r[0], cat: c, payload: { before: 0, after: r[1] } });
  }
  const changed = [...rows.values()].filter((r) => r.payload.before !== r.payload.after);
  return { ...fold(changed, diffFolding, limits), hasLayers: false };
}

/** The same tree from a diff's capped list of the largest path changes (when the reports are not at hand). */
export function buildDiffTreeFromTop(top: readonly PathDelta[], limits = { maxFiles: MAX_TREE_FILES, maxDirs: MAX_TREE_DIRS }): HtmlTree<DiffLeaf> {
  const rows = top.map((p) => ({ path: p.path, cat: '', payload: { before: p.before, after: p.after } }));
  return { ...fold(rows, diffFolding, limits), hasLayers: false };
}

/** Category id of a row ('' for old 3-column rows, which have none). */
function categoryOf(r: FileList['entries'][number]): string {
  return r.length === 3 ? '' : r[3];
}

function sumEvery(list: number[], stride: number): number {
  let s = 0;
  for (let i = 1; i < list.length; i += stride) s += list[i]!;
  return s;
}

function sortPairs(list: number[]): number[] {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < list.length; i += 2) pairs.push([list[i]!, list[i + 1]!]);
  return pairs.sort((a, b) => a[0] - b[0]).flat();
}
