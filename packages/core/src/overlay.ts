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
import { EntryTable, FILE_TYPE_CODE, DIR_TYPE_CODE } from './entry-table.js';
import type { TarEntryType } from './tar/types.js';
import type { ShippedFile } from './attribution/analyzed-image.js';
import type { PackageReport } from './report-schema.js';
import { priorCsizeIn } from './attribution/compressed-size.js';
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

/** A visible file's category and owner; one object per distinct pair (files share them). */
export interface FileAttr {
  readonly category: string;
  readonly owner: PackageReport | undefined;
}

/** Interns FileAttr pairs for one overlay. */
export class FileAttrs {
  private readonly byOwner = new Map<PackageReport | undefined, Map<string, FileAttr>>();

  get(owner: PackageReport | undefined, category: string): FileAttr {
    let m = this.byOwner.get(owner);
    if (m === undefined) this.byOwner.set(owner, (m = new Map()));
    let a = m.get(category);
    if (a === undefined) m.set(category, (a = { category, owner }));
    return a;
  }
}

/**
 * What the nodes of one layer share: the layer's index and entry table (undefined for directories
 * only implied by deeper paths), the overlay's FileAttrs, and the scale attribution gives the
 * layer's compressed-size estimates.
 */
export class LayerRef {
  /** Scales raw compressed-size estimates to the layer blob (set by attribution). */
  scale: number | undefined = undefined;

  constructor(
    readonly layer: number,
    readonly table: EntryTable | undefined,
    readonly attrs: FileAttrs,
  ) {}
}

/**
 * A node of the merged filesystem tree. The entry that defines it stays in its layer's table
 * (`table`, `index`): no copy per node. A node holds its parent, its layer's LayerRef and its
 * entry index; directories (`DirNode`) add their name and children, visible files their
 * category and owner (interned), and other nodes read their name from the table (memory per
 * entry, issue 16).
 */
export abstract class FsNode {
  constructor(
    /** The layer (and table) of the entry that defines this node, or of the first layer that implied the directory. */
    public ref: LayerRef,
    /** The entry's index in `table` (-1 without one). */
    public index: number,
  ) {}

  /** Layer that wrote the entry (or first implied the directory). */
  get layer(): number {
    return this.ref.layer;
  }

  /** Table of the entry that defines this node; undefined for directories only implied by deeper paths. */
  get table(): EntryTable | undefined {
    return this.ref.table;
  }

  /**
   * The directory holding this node (undefined for the root). A visible file does not keep it
   * (8 bytes a file): its path comes from its entry, and the overlay knows the parent it removes
   * a file from.
   */
  abstract get parent(): FsNode | undefined;

  /** Last segment of the node's path ("" for the root). */
  abstract get name(): string;

  /** Children by name: a Map for directories, undefined for everything else. */
  abstract get children(): Map<string, FsNode> | undefined;

  /** The defining entry's type; undefined for implied directories. */
  get entryType(): TarEntryType | undefined {
    return this.ref.table?.type(this.index);
  }

  /** The defining entry's payload bytes (0 for everything but regular files, and without an entry). */
  get entrySize(): number {
    const t = this.ref.table;
    return t === undefined ? 0 : t.sizes[this.index]!;
  }

  get isFileEntry(): boolean {
    const t = this.ref.table;
    return t !== undefined && t.typeCodes[this.index] === FILE_TYPE_CODE;
  }

  get linkTarget(): string | undefined {
    return this.ref.table?.linkTarget(this.index);
  }

  /** The entry's raw compressed-size estimate (ScannedEntry.csize). */
  get rawCsize(): number | undefined {
    return this.ref.table?.csize(this.index);
  }

  /** Clean path of the node ("" for the root): its entry's path, which is where the node sits. */
  get path(): string {
    const t = this.ref.table;
    return t !== undefined ? t.path(this.index) : nodePath(this);
  }
}

/** A directory: the root, a directory entry, or a directory only implied by deeper paths. */
export class DirNode extends FsNode {
  readonly kids = new Map<string, FsNode>();

  constructor(
    private readonly dirName: string,
    readonly parent: FsNode | undefined,
    ref: LayerRef,
    index: number,
  ) {
    super(ref, index);
  }

  get name(): string {
    return this.dirName;
  }

  get children(): Map<string, FsNode> {
    return this.kids;
  }
}

/** A symlink, hardlink, device or fifo (no bytes, no children). */
export class EntryNode extends FsNode {
  constructor(
    readonly parent: FsNode | undefined,
    ref: LayerRef,
    index: number,
  ) {
    super(ref, index);
  }

  get name(): string {
    return this.ref.table!.names[this.index]!;
  }

  get children(): undefined {
    return undefined;
  }
}

const NO_ATTR: FileAttr = { category: '', owner: undefined };

/**
 * A regular file visible in the final filesystem (in tree order: deterministic for the same
 * layers). It is also the file's ShippedFile: attribution sets its category and owner (one shared
 * FileAttr per pair) and its layer's scale (no per-file row object: issue 16).
 */
export class VisibleFile extends FsNode implements ShippedFile {
  attr: FileAttr = NO_ATTR;

  get parent(): undefined {
    return undefined;
  }

  get name(): string {
    return this.ref.table!.names[this.index]!;
  }

  get children(): undefined {
    return undefined;
  }

  get size(): number {
    return this.ref.table!.sizes[this.index]!;
  }

  get visible(): true {
    return true;
  }

  get category(): string {
    return this.attr.category;
  }

  set category(category: string) {
    this.attr = this.ref.attrs.get(this.attr.owner, category);
  }

  get owner(): PackageReport | undefined {
    return this.attr.owner;
  }

  set owner(owner: PackageReport | undefined) {
    this.attr = this.ref.attrs.get(owner, this.attr.category);
  }

  /** Compressed bytes in the layer blob: the raw estimate (or the prior) scaled by attribution (0 before). */
  get csize(): number {
    const scale = this.ref.scale;
    if (scale === undefined) return 0;
    const t = this.ref.table!;
    const raw = t.csizes[this.index]!;
    return (Number.isNaN(raw) ? priorCsizeIn(t.dirs[t.dirOf[this.index]!]!, t.names[this.index]!, this.size) : raw) * scale;
  }
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

function newDir(name: string, parent: FsNode | undefined, ref: LayerRef): FsNode {
  return new DirNode(name, parent, ref, -1);
}

/** Path of a node ("" for the root). */
export function nodePath(n: FsNode): string {
  const parts: string[] = [];
  if (n instanceof VisibleFile) return n.path;
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

/**
 * The nodes below `n` (and `n`) in nodesBelow's order, one at a time: no array of every node of
 * the image. The tree must not change during the walk.
 */
export class NodeWalk {
  private readonly dirs: FsNode[] = [];
  private readonly its: Array<Iterator<FsNode>> = [];
  private single: FsNode | undefined;

  constructor(n: FsNode) {
    const kids = n.children;
    if (kids) {
      this.dirs.push(n);
      this.its.push(kids.values());
    } else this.single = n;
  }

  next(): FsNode | undefined {
    if (this.single !== undefined) {
      const s = this.single;
      this.single = undefined;
      return s;
    }
    while (this.dirs.length > 0) {
      const r = this.its[this.its.length - 1]!.next();
      if (r.done) {
        this.its.pop();
        return this.dirs.pop();
      }
      const c = r.value;
      const kids = c.children;
      if (kids === undefined) return c;
      this.dirs.push(c);
      this.its.push(kids.values());
    }
    return undefined;
  }
}

/** Stacks the layers' entries (base first) and accounts for every byte. */
export function applyOverlay(layers: ReadonlyArray<EntryTable | readonly ScannedEntry[]>, observer?: OverlayObserver): OverlayResult {
  return runSteps(overlaySteps(layers.map((l) => (l instanceof EntryTable ? l : EntryTable.from(l))), observer));
}

/** applyOverlay in steps (steps.ts): pauses every few hundred entries, and inside large hides. */
export function* overlaySteps(layers: readonly EntryTable[], observer?: OverlayObserver): Steps<OverlayResult> {
  const attrs = new FileAttrs();
  const root = newDir('', undefined, new LayerRef(-1, undefined, attrs));
  const hidden: HiddenFile[] = [];
  const stats: OverlayLayerStats[] = layers.map(() => ({ contentBytes: 0, visibleBytes: 0, hiddenBytes: 0, hidBytes: 0 }));
  let work = 0;

  const hide = function* (n: FsNode, by: number, reason: HiddenFile['reason']): Steps<void> {
    const nodes = nodesBelow(n);
    for (let i = 0; i < nodes.length; i++) {
      if ((++work & STEP_MASK) === 0) yield;
      const d = nodes[i]!;
      if (d instanceof VisibleFile) liveFiles--;
      const t = d.ref.table;
      if (t !== undefined && t.typeCodes[d.index] === FILE_TYPE_CODE) {
        const size = t.sizes[d.index]!;
        hidden.push({ path: t.path(d.index), size, csize: t.csize(d.index), layer: d.layer, hiddenBy: by, reason });
        stats[d.layer]!.hiddenBytes += size;
        stats[by]!.hidBytes += size;
      }
    }
  };
  // Regular files in the tree: the visible list is allocated once, at its length.
  let liveFiles = 0;
  // The parent directory of the last entry placed, and its path (see the insertion loop).
  let cachedDir: FsNode | undefined;
  let cachedSrc = '';
  const detach = (parent: FsNode, n: FsNode): void => {
    parent.children?.delete(n.name);
    cachedDir = undefined;
  };

  for (let li = 0; li < layers.length; li++) {
    const t = layers[li]!;
    const names = t.names;
    const ref = new LayerRef(li, t, attrs);
    const implied = new LayerRef(li, undefined, attrs);
    cachedDir = undefined;
    if (observer?.beforeLayer) yield* observer.beforeLayer(li, root);
    // Whiteouts first: they only ever apply to lower layers.
    for (let ei = 0; ei < t.length; ei++) {
      if ((++work & STEP_MASK) === 0) yield;
      if (!names[ei]!.startsWith(WHITEOUT_PREFIX)) continue;
      const w = classifyWhiteout(t.path(ei));
      if (w.kind === 'whiteout') {
        const parent = lookupNode(root, parentPath(w.target));
        const n = parent?.children?.get(baseName(w.target));
        if (parent && n) {
          yield* hide(n, li, 'deleted');
          detach(parent, n);
        }
      } else if (w.kind === 'opaque') {
        const d = lookupNode(root, w.dir);
        if (d?.children) {
          for (const c of [...d.children.values()]) {
            yield* hide(c, li, 'deleted');
            detach(d, c);
          }
        }
      }
    }
    for (let ei = 0; ei < t.length; ei++) {
      if ((++work & STEP_MASK) === 0) yield;
      const name = names[ei]!;
      const code = t.typeCodes[ei]!;
      const dirPath = t.dir(ei);
      if (name === '') {
        // the root entry ("./")
        if (code === DIR_TYPE_CODE) {
          root.ref = ref;
          root.index = ei;
        }
        continue;
      }
      if (name.startsWith(WHITEOUT_PREFIX)) continue; // whiteouts and opaque markers, applied above
      if (code === FILE_TYPE_CODE) stats[li]!.contentBytes += t.sizes[ei]!;
      let dir: FsNode = root;
      if (cachedDir !== undefined && dirPath === cachedSrc) {
        dir = cachedDir; // the common case: the same directory as the last entry
      } else {
        // Entries of a directory are usually consecutive in a tar, and consecutive entries share
        // most of their parent path: the walk starts from the parent found for the last entry,
        // climbs to the deepest directory the two paths share and descends only through the new
        // segments (no split and no segment strings for the shared part: the per-entry garbage of
        // issue 16). The cached node is dropped whenever a node is detached, so its ancestors are
        // always live.
        const slash = dirPath === '' ? -1 : dirPath.length;
        let from = 0;
        if (cachedDir !== undefined) {
          const prev = cachedSrc;
          const plen = prev.length;
          const lim = Math.min(slash < 0 ? 0 : slash, plen);
          let i = 0;
          while (i < lim && dirPath.charCodeAt(i) === prev.charCodeAt(i)) i++;
          // k: length of the longest shared directory prefix (a segment boundary in both paths)
          let k = i;
          const boundary = (k === plen || prev.charCodeAt(k) === 47) && (k === slash || dirPath.charCodeAt(k) === 47);
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
        while (slash >= 0 && from <= slash) {
          let to = dirPath.indexOf('/', from);
          if (to < 0) to = slash;
          const seg = dirPath.slice(from, to);
          from = to + 1;
          let next = dir.children!.get(seg);
          if (next && next.children === undefined) {
            // A path goes through a non-directory: the new tree replaces it.
            yield* hide(next, li, 'overwritten');
            detach(dir, next);
            next = undefined;
          }
          if (!next) {
            next = newDir(seg, dir, implied);
            dir.children!.set(seg, next);
          }
          dir = next;
        }
      }
      cachedDir = dir;
      cachedSrc = dirPath;
      const existing = dir.children!.get(name);
      if (existing && existing.children !== undefined && code === DIR_TYPE_CODE) {
        existing.ref = ref;
        existing.index = ei;
        continue;
      }
      if (existing) {
        yield* hide(existing, li, 'overwritten');
        detach(dir, existing);
      }
      if (code === FILE_TYPE_CODE) liveFiles++;
      const node =
        code === DIR_TYPE_CODE ? new DirNode(name, dir, ref, ei) : code === FILE_TYPE_CODE ? new VisibleFile(ref, ei) : new EntryNode(dir, ref, ei);
      dir.children!.set(name, node);
    }
  }

  const visible = new Array<VisibleFile>(liveFiles);
  let nv = 0;
  let visibleBytes = 0;
  const links: FsNode[] = [];
  const walk = new NodeWalk(root);
  for (let n = walk.next(); n !== undefined; n = walk.next()) {
    if ((++work & STEP_MASK) === 0) yield;
    if (n instanceof VisibleFile) {
      const size = n.size;
      visible[nv++] = n;
      visibleBytes += size;
      stats[n.layer]!.visibleBytes += size;
    } else if (n.entryType === 'hardlink') {
      links.push(n);
    }
  }
  if (nv !== liveFiles) throw new Error(`overlay: ${nv} visible files, counted ${liveFiles}`);
  // A hardlink that stays visible keeps its target's bytes on disk even when the target's NAME was
  // deleted or replaced later (`conda install` hardlinks pkgs/ into the env, a later RUN removes
  // pkgs/): those bytes are visible under the link's path, not waste. Tar hardlinks name an
  // earlier entry of the same layer.
  if (links.length > 0 && hidden.length > 0) {
    const hiddenAt = new Map<string, number>();
    hidden.forEach((h, i) => hiddenAt.set(`${h.layer}\0${h.path}`, i));
    const rescued = new Set<number>();
    const rescuedEntries = new EntryTable();
    const rescuedRefs = new Map<number, LayerRef>();
    for (const n of links) {
      const i = hiddenAt.get(`${n.layer}\0${cleanPath(n.linkTarget ?? '')}`);
      if (i === undefined || rescued.has(i)) continue;
      rescued.add(i);
      const h = hidden[i]!;
      const at = rescuedEntries.push(n.path, 'file', h.size, n.table!.mode(n.index), undefined, h.csize);
      let r = rescuedRefs.get(n.layer);
      if (r === undefined) rescuedRefs.set(n.layer, (r = new LayerRef(n.layer, rescuedEntries, attrs)));
      visible.push(new VisibleFile(r, at));
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
      if (child.entryType === 'symlink' && (!last || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) return undefined;
        const target = child.linkTarget ?? '';
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
