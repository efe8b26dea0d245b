/**
 * The treemap's data: the per-path rows of a report (or the path changes of a diff) folded into a
 * directory tree, with small files and folders grouped into "N small files" leaves so the page
 * stays small for images with millions of files. Pure: rows in, compact JSON-ready tree out; the
 * page lays it out (squarified) in the browser.
 */
import type { FileList, PathDelta } from '@imgsize/core';

/** At most this many single files in the tree; smaller ones are grouped per folder and category. */
export const MAX_TREE_FILES = 10_000;
/** At most this many folders; smaller ones are folded into their parent's groups. */
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
  /** Files and folders of at most this many bytes are grouped (0: every file with bytes is shown). */
  threshold: number;
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
}

interface Folding<P, G, L> {
  weight(p: P): number;
  /** Adds a file to a group accumulator (created on first use). */
  add(g: G | undefined, p: P): G;
  file(parent: number, name: string, cat: number, p: P): L;
  group(parent: number, cat: number, count: number, g: G): L | undefined;
}

function newDir<P>(name: string): Dir<P> {
  return { name, dirs: new Map(), files: [], weight: 0 };
}

/** Returns the bytes above which a file or folder is shown on its own, given the caps. */
function thresholdOf(root: Dir<unknown>, maxFiles: number, maxDirs: number): number {
  const files: number[] = [];
  const dirs: number[] = [];
  const walk = (d: Dir<unknown>): void => {
    for (const f of d.files) files.push(f.weight);
    for (const s of d.dirs.values()) {
      dirs.push(s.weight);
      walk(s);
    }
  };
  walk(root);
  const kth = (a: number[], k: number): number => (a.length <= k ? 0 : a.sort((x, y) => y - x)[k]!);
  return Math.max(kth(files, maxFiles), kth(dirs, maxDirs));
}

function fold<P, G, L>(
  input: Iterable<{ path: string; cat: string; payload: P }>,
  f: Folding<P, G, L>,
  limits: { maxFiles: number; maxDirs: number },
): Omit<HtmlTree<L>, 'hasLayers'> {
  const root = newDir<P>('');
  let paths = 0;
  for (const row of input) {
    const parts = row.path.split('/').filter((s) => s !== '');
    if (parts.length === 0) continue;
    paths++;
    const weight = f.weight(row.payload);
    let d = root;
    d.weight += weight;
    for (const seg of parts.slice(0, -1)) {
      let s = d.dirs.get(seg);
      if (!s) d.dirs.set(seg, (s = newDir(seg)));
      s.weight += weight;
      d = s;
    }
    d.files.push({ name: parts[parts.length - 1]!, cat: row.cat, weight, payload: row.payload });
  }
  const threshold = thresholdOf(root as Dir<unknown>, limits.maxFiles, limits.maxDirs);
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
  const emit = (d: Dir<P>, parent: number): void => {
    const self = nodes.push([parent, d.name]) - 1;
    const groups = new Map<string, { g: G; count: number }>();
    const fold1 = (file: { cat: string; payload: P }): void => {
      const e = groups.get(file.cat);
      if (e) {
        e.g = f.add(e.g, file.payload);
        e.count++;
      } else groups.set(file.cat, { g: f.add(undefined, file.payload), count: 1 });
      groupedFiles++;
    };
    const foldAll = (s: Dir<P>): void => {
      for (const file of s.files) fold1(file);
      for (const c of s.dirs.values()) foldAll(c);
    };
    for (const file of d.files) {
      if (file.weight > threshold) {
        nodes.push(f.file(self, file.name, cat(file.cat), file.payload));
        shownFiles++;
      } else if (file.weight > 0) fold1(file);
    }
    for (const s of d.dirs.values()) {
      if (s.weight > threshold) emit(s, self);
      else if (s.weight > 0) foldAll(s);
    }
    for (const [c, e] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const leaf = f.group(self, cat(c), e.count, e.g);
      if (leaf) nodes.push(leaf);
    }
  };
  emit(root, -1);
  return { threshold, cats, nodes, paths, shownFiles, groupedFiles };
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
    if (r.length >= 5) {
      const layer = r[4];
      if (visible > 0) payload.visible.push(layer ?? -1, visible);
      for (const [l, bytes, by] of r[5] ?? []) if (bytes > 0) payload.hidden.push(l, bytes, by);
    } else {
      hasLayers = false;
      if (visible > 0) payload.visible.push(-1, visible);
      if (shipped > visible) payload.hidden.push(-1, shipped - visible, -1);
    }
    return { path, cat: r.length >= 5 ? r[3] : '', payload };
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
  for (const r of before.entries) rows.set(r[0], { path: r[0], cat: r.length >= 5 ? r[3] : '', payload: { before: r[1], after: 0 } });
  for (const r of after.entries) {
    const e = rows.get(r[0]);
    const c = r.length >= 5 ? r[3] : '';
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
