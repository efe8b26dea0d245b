/**
 * Overlay math, in one place: stacks layers the way an overlay filesystem (or `docker run`)
 * would, and accounts for every shipped byte as either visible in the final filesystem or hidden
 * (overwritten by a later entry, or deleted by a whiteout).
 *
 * Rules (OCI image spec, "Representing Changes" / whiteouts):
 * - `.wh.<name>` deletes `<name>` (and everything below it) from LOWER layers only;
 * - `<dir>/.wh..wh..opq` deletes every child of `<dir>` from lower layers, `<dir>` stays;
 * - whiteouts never hide entries of their own layer, so a layer's whiteouts apply before its adds;
 * - a non-directory replacing a directory hides the directory's contents; a directory over a
 *   directory merges; the same path twice in one layer: the later entry wins;
 * - hardlinks carry no bytes, but a visible hardlink keeps its target's bytes visible even when
 *   the target's name is deleted or replaced by a later layer.
 */
import type { ScannedEntry } from './model.js';
import { baseName, cleanPath, parentPath } from './paths.js';
import { runSteps, STEP_MASK, type Steps } from './steps.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/** What a layer entry means for the overlay. */
export type WhiteoutKind =
  | { kind: 'entry' }
  | { kind: 'whiteout'; target: string }
  | { kind: 'opaque'; dir: string };

/** True for whiteout files and opaque markers (their basename starts with `.wh.`). */
export function isWhiteoutPath(path: string): boolean {
  return path.includes(WHITEOUT_PREFIX) && baseName(path).startsWith(WHITEOUT_PREFIX);
}

/** Classifies a clean path as a plain entry, a whiteout (with the path it deletes) or an opaque marker. */
export function classifyWhiteout(path: string): WhiteoutKind {
  const name = baseName(path);
  if (!name.startsWith(WHITEOUT_PREFIX)) return { kind: 'entry' };
  const dir = parentPath(path);
  if (name === OPAQUE_MARKER) return { kind: 'opaque', dir };
  const targetName = name.slice(WHITEOUT_PREFIX.length);
  return { kind: 'whiteout', target: dir === '' ? targetName : `${dir}/${targetName}` };
}

/** A node of the merged filesystem tree. */
export interface FsNode {
  name: string;
  /** The entry that defines this node; undefined for directories only implied by deeper paths. */
  entry: ScannedEntry | undefined;
  /** Layer that wrote `entry` (or first implied the directory). */
  layer: number;
  parent: FsNode | undefined;
  children: Map<string, FsNode> | undefined;
}

/** A regular file shipped in some layer but not visible in the final filesystem. */
export interface HiddenFile {
  path: string;
  size: number;
  csize?: number | undefined;
  /** Layer that shipped the bytes. */
  layer: number;
  /** Layer whose entry hid them. */
  hiddenBy: number;
  reason: 'overwritten' | 'deleted';
}

/**
 * A regular file visible in the final filesystem (in tree order: deterministic for the same
 * layers): its node in the merged tree. A file node always sits at its entry's clean path, so
 * `entry.path` is its path (no per-file copy: memory per entry, issue 16).
 */
export type VisibleFile = FsNode & { readonly entry: ScannedEntry };

export interface OverlayLayerStats {
  /** Regular-file bytes this layer ships. */
  contentBytes: number;
  /** Of those, bytes still visible at the end. */
  visibleBytes: number;
  /** Of those, bytes hidden later (overwritten or deleted). */
  hiddenBytes: number;
  /** Bytes of LOWER layers this layer hid (what its whiteouts/overwrites made invisible). */
  hidBytes: number;
}

/** The merged filesystem plus the accounting of every shipped byte. */
export interface OverlayResult {
  root: FsNode;
  visible: VisibleFile[];
  hidden: HiddenFile[];
  shippedBytes: number;
  visibleBytes: number;
  overwrittenBytes: number;
  deletedBytes: number;
  layers: OverlayLayerStats[];
}

/** Hook to observe the merged tree just before each layer is applied (dive's efficiency needs it); runs in steps. */
export interface OverlayObserver {
  beforeLayer?(layer: number, root: FsNode): Steps<void>;
}

function newDir(name: string, parent: FsNode | undefined, layer: number): FsNode {
  return { name, entry: undefined, layer, parent, children: new Map() };
}

function isDirNode(n: FsNode): boolean {
  return n.children !== undefined;
}

/** Path of a node ("" for the root). */
export function nodePath(n: FsNode): string {
  const parts: string[] = [];
  for (let c: FsNode | undefined = n; c && c.parent; c = c.parent) parts.push(c.name);
  return parts.reverse().join('/');
}

/** Looks a clean path up without following symlinks. */
export function lookupNode(root: FsNode, path: string): FsNode | undefined {
  if (path === '') return root;
  let n: FsNode | undefined = root;
  for (const seg of path.split('/')) {
    n = n?.children?.get(seg);
    if (!n) return undefined;
  }
  return n;
}

/**
 * Every node below `n` (and `n`), depth first, children (in insertion order) before the node
 * itself. Iterative and allocation-light (an array, no generator per node or level): the overlay's
 * walks touch every entry of the image (issue 16).
 */
export function nodesBelow(n: FsNode): FsNode[] {
  const out: FsNode[] = [];
  if (!n.children) {
    out.push(n);
    return out;
  }
  const dirs: FsNode[] = [n];
  const kids: FsNode[][] = [[...n.children.values()]];
  const next: number[] = [0];
  while (dirs.length > 0) {
    const top = dirs.length - 1;
    const list = kids[top]!;
    const i = next[top]!;
    if (i < list.length) {
      next[top] = i + 1;
      const c = list[i]!;
      if (c.children) {
        dirs.push(c);
        kids.push([...c.children.values()]);
        next.push(0);
      } else {
        out.push(c);
      }
      continue;
    }
    kids.pop();
    next.pop();
    out.push(dirs.pop()!);
  }
  return out;
}

/** Stacks the layers' entries (base first) and accounts for every byte. */
export function applyOverlay(layers: ReadonlyArray<readonly ScannedEntry[]>, observer?: OverlayObserver): OverlayResult {
  return runSteps(overlaySteps(layers, observer));
}

/** applyOverlay in steps (steps.ts): pauses every few hundred entries, and inside large hides. */
export function* overlaySteps(
  layers: ReadonlyArray<readonly ScannedEntry[]>,
  observer?: OverlayObserver,
  /** Tests only: find every parent by a walk from the root (the reference for the cached walk). */
  walkFromRoot = false,
): Steps<OverlayResult> {
  const root = newDir('', undefined, -1);
  const hidden: HiddenFile[] = [];
  const stats: OverlayLayerStats[] = layers.map(() => ({ contentBytes: 0, visibleBytes: 0, hiddenBytes: 0, hidBytes: 0 }));
  let work = 0;

  const hide = function* (n: FsNode, by: number, reason: HiddenFile['reason']): Steps<void> {
    const nodes = nodesBelow(n);
    for (let i = 0; i < nodes.length; i++) {
      if ((++work & STEP_MASK) === 0) yield;
      const d = nodes[i]!;
      const e = d.entry;
      if (e && e.type === 'file') {
        hidden.push({ path: e.path, size: e.size, csize: e.csize, layer: d.layer, hiddenBy: by, reason });
        stats[d.layer]!.hiddenBytes += e.size;
        stats[by]!.hidBytes += e.size;
      }
    }
  };
  // The parent directory of the last entry placed, and its path (see the insertion loop).
  let cachedDir: FsNode | undefined;
  let cachedSrc = '';
  let cachedLen = 0;
  const detach = (n: FsNode): void => {
    n.parent?.children?.delete(n.name);
    cachedDir = undefined;
  };

  for (let li = 0; li < layers.length; li++) {
    const entries = layers[li]!;
    cachedDir = undefined;
    if (observer?.beforeLayer) yield* observer.beforeLayer(li, root);
    // Whiteouts first: they only ever apply to lower layers.
    for (let ei = 0; ei < entries.length; ei++) {
      if ((++work & STEP_MASK) === 0) yield;
      const e = entries[ei]!;
      if (!e.path.includes(WHITEOUT_PREFIX)) continue;
      const w = classifyWhiteout(e.path);
      if (w.kind === 'whiteout') {
        const n = lookupNode(root, w.target);
        if (n && n !== root) {
          yield* hide(n, li, 'deleted');
          detach(n);
        }
      } else if (w.kind === 'opaque') {
        const d = lookupNode(root, w.dir);
        if (d?.children) {
          for (const c of [...d.children.values()]) {
            yield* hide(c, li, 'deleted');
            detach(c);
          }
        }
      }
    }
    for (let ei = 0; ei < entries.length; ei++) {
      if ((++work & STEP_MASK) === 0) yield;
      const e = entries[ei]!;
      if (e.path === '') {
        if (e.type === 'dir') {
          root.entry = e;
          root.layer = li;
        }
        continue;
      }
      if (e.path.includes(WHITEOUT_PREFIX) && classifyWhiteout(e.path).kind !== 'entry') continue;
      if (e.type === 'file') stats[li]!.contentBytes += e.size;
      // Entries of a directory are usually consecutive in a tar, and consecutive entries share most
      // of their parent path: the walk starts from the parent found for the last entry, climbs to
      // the deepest directory the two paths share and descends only through the new segments (no
      // split and no segment strings for the shared part: the per-entry garbage of issue 16). The
      // cached node is dropped whenever a node is detached, so its ancestors are always live.
      const slash = e.path.lastIndexOf('/');
      let dir: FsNode = root;
      let from = 0;
      if (cachedDir !== undefined && !walkFromRoot) {
        // The last parent's path is the first `plen` characters of `prev` (no substring kept).
        const prev = cachedSrc;
        const plen = cachedLen;
        const lim = Math.min(slash < 0 ? 0 : slash, plen);
        let i = 0;
        while (i < lim && e.path.charCodeAt(i) === prev.charCodeAt(i)) i++;
        // k: length of the longest shared directory prefix (a segment boundary in both paths)
        let k = i;
        const boundary = (k === plen || prev.charCodeAt(k) === 47) && (k === slash || e.path.charCodeAt(k) === 47);
        if (!boundary) k = k === 0 ? 0 : Math.max(0, prev.lastIndexOf('/', k - 1));
        if (slash < 0) k = 0;
        dir = cachedDir;
        if (k < plen) {
          // climb one level per segment of the last parent's path beyond k
          let ups = k === 0 && plen > 0 ? 1 : 0;
          for (let j = k === 0 ? 0 : k; j < plen; j++) if (prev.charCodeAt(j) === 47) ups++;
          for (; ups > 0; ups--) dir = dir.parent!;
        }
        from = k === 0 ? 0 : k + 1;
      }
      while (from <= slash && slash >= 0) {
        const to = e.path.indexOf('/', from);
        const seg = e.path.slice(from, to);
        from = to + 1;
        let next = dir.children!.get(seg);
        if (next && !isDirNode(next)) {
          // A path goes through a non-directory: the new tree replaces it.
          yield* hide(next, li, 'overwritten');
          detach(next);
          next = undefined;
        }
        if (!next) {
          next = newDir(seg, dir, li);
          dir.children!.set(seg, next);
        }
        dir = next;
      }
      cachedDir = dir;
      cachedSrc = e.path;
      cachedLen = slash < 0 ? 0 : slash;
      const name = slash < 0 ? e.path : e.path.slice(slash + 1);
      const existing = dir.children!.get(name);
      if (existing && isDirNode(existing) && e.type === 'dir') {
        existing.entry = e;
        existing.layer = li;
        continue;
      }
      if (existing) {
        yield* hide(existing, li, 'overwritten');
        detach(existing);
      }
      const node: FsNode =
        e.type === 'dir'
          ? { name, entry: e, layer: li, parent: dir, children: new Map() }
          : { name, entry: e, layer: li, parent: dir, children: undefined };
      dir.children!.set(name, node);
    }
  }

  const visible: VisibleFile[] = [];
  let visibleBytes = 0;
  const links: FsNode[] = [];
  const all = nodesBelow(root);
  for (let i = 0; i < all.length; i++) {
    if ((++work & STEP_MASK) === 0) yield;
    const n = all[i]!;
    const e = n.entry;
    if (e && e.type === 'file') {
      visible.push(n as VisibleFile);
      visibleBytes += e.size;
      stats[n.layer]!.visibleBytes += e.size;
    } else if (e && e.type === 'hardlink') {
      links.push(n);
    }
  }
  // A hardlink that stays visible keeps its target's bytes on disk even when the target's NAME was
  // deleted or replaced later (`conda install` hardlinks pkgs/ into the env, a later RUN removes
  // pkgs/): those bytes are visible under the link's path, not waste. Tar hardlinks name an
  // earlier entry of the same layer.
  if (links.length > 0 && hidden.length > 0) {
    const hiddenAt = new Map<string, number>();
    hidden.forEach((h, i) => hiddenAt.set(`${h.layer}\0${h.path}`, i));
    const rescued = new Set<number>();
    for (const n of links) {
      const e = n.entry!;
      const i = hiddenAt.get(`${n.layer}\0${cleanPath(e.linkTarget ?? '')}`);
      if (i === undefined || rescued.has(i)) continue;
      rescued.add(i);
      const h = hidden[i]!;
      const entry: ScannedEntry = { path: e.path, type: 'file', size: h.size, mode: e.mode, linkTarget: undefined, csize: h.csize };
      visible.push({ name: n.name, entry, layer: n.layer, parent: n.parent, children: undefined });
      visibleBytes += h.size;
      stats[h.layer]!.visibleBytes += h.size;
      stats[h.layer]!.hiddenBytes -= h.size;
      stats[h.hiddenBy]!.hidBytes -= h.size;
    }
    if (rescued.size > 0) {
      const kept = hidden.filter((_, i) => !rescued.has(i));
      hidden.length = 0;
      hidden.push(...kept);
    }
  }
  let overwrittenBytes = 0;
  let deletedBytes = 0;
  for (const h of hidden) {
    if (h.reason === 'overwritten') overwrittenBytes += h.size;
    else deletedBytes += h.size;
  }
  const shippedBytes = stats.reduce((s, l) => s + l.contentBytes, 0);
  return { root, visible, hidden, shippedBytes, visibleBytes, overwrittenBytes, deletedBytes, layers: stats };
}

const MAX_SYMLINK_HOPS = 40;

/**
 * Resolves a clean path in the merged tree, following symlinks in every component (and in the
 * last one when `followLast`). Returns undefined for dangling paths or symlink loops.
 */
export function resolveNode(root: FsNode, path: string, followLast = true): FsNode | undefined {
  let hops = 0;
  const walk = (start: FsNode, segs: string[]): FsNode | undefined => {
    let n: FsNode | undefined = start;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      if (!n) return undefined;
      if (seg === '' || seg === '.') continue;
      if (seg === '..') {
        n = n.parent ?? root;
        continue;
      }
      const child: FsNode | undefined = n.children?.get(seg);
      if (!child) return undefined;
      const last = i === segs.length - 1;
      if (child.entry?.type === 'symlink' && (!last || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) return undefined;
        const target = child.entry.linkTarget ?? '';
        const base = target.startsWith('/') ? root : n;
        n = walk(base, target.split('/'));
      } else {
        n = child;
      }
    }
    return n;
  };
  return walk(root, path === '' ? [] : path.split('/'));
}
