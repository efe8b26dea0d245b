/**
 * dive-compatible metrics (github.com/wagoodman/dive, filetree/efficiency.go), reproduced exactly
 * so a team can switch from dive without changing CI thresholds. These are NOT imgsize's own
 * definition of waste (see overlay.ts): dive counts every copy of a path seen twice, including the
 * copy that is kept (its issue #684), and does not charge `rm -rf` of a whole directory.
 */
import type { LayerScan } from './model.js';
import { classifyWhiteout, lookupNode, WHITEOUT_PREFIX, nodesBelow, type FsNode, type OverlayObserver } from './overlay.js';
import { sortSteps, STEP_MASK, type Steps } from './steps.js';

export interface DiveInefficiency {
  /** Absolute path as dive prints it. */
  path: string;
  /** How many times the path was seen across layers. */
  count: number;
  cumulativeBytes: number;
}

export interface DiveMetrics {
  efficiency: number;
  /** dive's "wasted bytes" (inefficientBytes). */
  wastedBytes: number;
  /** wastedBytes / userSizeBytes (0 when there are no user bytes). */
  userWastedPercent: number;
  /** Sum of tar entry sizes over all layers. */
  imageSizeBytes: number;
  /** Same, all layers but the first. */
  userSizeBytes: number;
  inefficientFiles: DiveInefficiency[];
}

/** A path dive saw more than once (exact pass): its cumulative and smallest size and how often it was seen. */
interface PathData {
  cumulative: number;
  min: number;
  count: number;
}

/** One layer's leaves as dive sees them, found again by the exact pass. */
interface LayerLeaves {
  /** Directory → base names that are non-leaves (directories above an entry) in this layer. */
  parents: Map<string, Set<string>>;
  /** Whiteout entries that are leaves: entry index → [dir, name, size sized against the lower layers]. */
  whiteouts: Map<number, [string, string, number]>;
}

/** Two independent 32-bit string hashes (FNV-1a and a murmur3-style mix), continued over `s`. */
function hashOn(h1: number, h2: number, s: string): [number, number] {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul((h2 ^ c) + 0x9e3779b9, 0x85ebca6b);
    h2 ^= h2 >>> 13;
  }
  h1 >>>= 0;
  h2 >>>= 0;
  return [h1, h1 === 0 && h2 === 0 ? 1 : h2]; // [0, 0] marks an empty slot of the table
}

const SEED: [number, number] = [0x811c9dc5, 0x27d4eb2f];

/**
 * dive's metrics as an overlay observer, so a caller that stacks the layers anyway gets them in
 * the same pass: dive sizes a directory whiteout against the stack of LOWER layers, which is
 * exactly the tree the observer sees before each layer is applied. Runs in steps (steps.ts).
 *
 * dive counts the leaves of each layer's own tree (an entry with another entry of the same layer
 * below it is not a leaf; a path listed twice in a layer counts once, the later entry). A path
 * listed once adds its size to both of dive's sums, so only paths listed more than once need a
 * record. The first pass keeps a 64-bit hash of every leaf path in an open-addressed typed table
 * (8 bytes a path, off the JS heap, no string: memory per entry, issue 16); a path whose hash was
 * seen before is a candidate, and at the end an exact pass over the candidates (real path
 * strings) gives their numbers. A hash collision can only make a path a candidate, never a wrong
 * number.
 */
export function createDiveObserver(
  layers: readonly LayerScan[],
  /** Tests only: the path hash (a poor one shows that collisions cost time, never numbers). */
  hash: typeof hashOn = hashOn,
): { observer: OverlayObserver; finish(): Steps<DiveMetrics> } {
  const total = layers.reduce((n, l) => n + l.entries.length, 0);
  // slot k: [h1, h2]; [0, 0] is empty (hashOn never returns it)
  const cap = Math.max(16, Math.ceil(total * 1.5));
  let table: Uint32Array | undefined = new Uint32Array(cap * 2);
  const candidates = new Set<string>();
  const seen: LayerLeaves[] = [];
  let listed = 0; // sum of the sizes of every leaf listing
  /** Records a leaf's hash; a hash seen before (an earlier layer, or earlier in this layer) makes it a candidate. */
  const record = (h1: number, h2: number): void => {
    const tab = table!;
    for (let k = h1 % cap; ; k = k + 1 === cap ? 0 : k + 1) {
      const a = tab[2 * k]!;
      const b = tab[2 * k + 1]!;
      if (a === 0 && b === 0) {
        tab[2 * k] = h1;
        tab[2 * k + 1] = h2;
        return;
      }
      if (a === h1 && b === h2) {
        candidates.add(`${h1}:${h2}`);
        return;
      }
    }
  };

  /** Calls `visit` for each of layer li's leaves: its directory, base name, size and path hash. */
  const forEachLeaf = function* (li: number, leaves: LayerLeaves, visit: (dir: string, name: string, size: number, h1: number, h2: number) => void): Steps<void> {
    const t = layers[li]!.entries;
    const { parents, whiteouts } = leaves;
    // the hash state after "<dir>/" for each of the table's directories
    const dirH1 = new Uint32Array(t.dirs.length);
    const dirH2 = new Uint32Array(t.dirs.length);
    /** The hash state after "<dir>/" ("" for the root: nothing before the name). */
    const dirState = (d: string): [number, number] => (d === '' ? SEED : hash(...hash(SEED[0], SEED[1], d), '/'));
    t.dirs.forEach((d, i) => {
      const [a, b] = dirState(d);
      dirH1[i] = a;
      dirH2[i] = b;
    });
    for (let i = 0; i < t.length; i++) {
      if ((i & STEP_MASK) === STEP_MASK) yield;
      const name = t.names[i]!;
      if (name === '') continue; // the root entry
      if (name.startsWith(WHITEOUT_PREFIX)) {
        const w = whiteouts.get(i);
        if (w === undefined) continue; // an opaque marker, or a whiteout of a non-leaf
        const [d, n, size] = w;
        const [h1, h2] = hash(...dirState(d), n);
        visit(d, n, size, h1, h2);
        continue;
      }
      const dir = t.dir(i);
      if (parents.get(dir)?.has(name) === true) continue;
      const di = t.dirOf[i]!;
      const [h1, h2] = hash(dirH1[di]!, dirH2[di]!, name);
      visit(dir, name, t.sizes[i]!, h1, h2);
    }
  };

  const observer: OverlayObserver = {
    *beforeLayer(li, root) {
      const t = layers[li]!.entries;
      // This layer's non-leaves (every directory above an entry), and its whiteouts.
      const parents = new Map<string, Set<string>>();
      const whiteoutList: Array<[number, string]> = [];
      let lastDir: string | undefined;
      for (let i = 0; i < t.length; i++) {
        if ((i & STEP_MASK) === STEP_MASK) yield;
        const name = t.name(i);
        if (name === '') continue; // the root entry
        const dir = t.dir(i);
        if (name.startsWith(WHITEOUT_PREFIX)) {
          const w = classifyWhiteout(t.path(i));
          if (w.kind === 'opaque') continue; // dive never adds opaque markers to its tree
          if (w.kind === 'whiteout') whiteoutList.push([i, w.target]);
        }
        if (dir === lastDir) continue;
        lastDir = dir;
        // every ancestor is a non-leaf (walk up until one is already known)
        for (let p = dir; p !== ''; ) {
          const [d, n] = splitPath(p);
          let names = parents.get(d);
          if (names === undefined) parents.set(d, (names = new Set()));
          if (names.has(n)) break;
          names.add(n);
          p = d;
        }
      }
      // Whiteouts of directories are sized against the lower layers (in steps).
      const whiteouts = new Map<number, [string, string, number]>();
      for (const [i, target] of whiteoutList) {
        const [d, n] = splitPath(target);
        if (parents.get(d)?.has(n) === true) continue;
        const lower = lookupNode(root, target);
        whiteouts.set(i, [d, n, lower && lower.children !== undefined ? yield* sizeUnder(lower) : 0]);
      }
      const leaves: LayerLeaves = { parents, whiteouts };
      seen[li] = leaves;
      yield;
      yield* forEachLeaf(li, leaves, (_d, _n, size, h1, h2) => {
        listed += size;
        record(h1, h2);
      });
    },
  };
  const finish = function* (): Steps<DiveMetrics> {
    table = undefined; // the hash table is not needed past here
    // Exact pass over the candidates: real paths, the later entry of a layer wins.
    const data = new Map<string, PathData | number>();
    let candidateListed = 0;
    if (candidates.size > 0) {
      for (let li = 0; li < seen.length; li++) {
        const leaves = seen[li];
        if (leaves === undefined) continue;
        const fresh = new Map<string, number>(); // this layer's candidate paths → size (the later entry wins)
        yield* forEachLeaf(li, leaves, (dir, name, size, h1, h2) => {
          if (!candidates.has(`${h1}:${h2}`)) return;
          candidateListed += size;
          fresh.set(dir === '' ? name : `${dir}/${name}`, size);
        });
        fresh.forEach((size, path) => {
          const d = data.get(path);
          if (d === undefined) data.set(path, size);
          else if (typeof d === 'number') data.set(path, { cumulative: d + size, min: Math.min(d, size), count: 2 });
          else {
            d.cumulative += size;
            d.min = Math.min(d.min, size);
            d.count++;
          }
        });
      }
    }
    // Every listing outside the candidates is a path seen once: its size adds to both sums.
    let minSum = listed - candidateListed;
    let cumSum = listed - candidateListed;
    const inefficient: DiveInefficiency[] = [];
    data.forEach((d, path) => {
      if (typeof d === 'number') {
        minSum += d;
        cumSum += d;
        return;
      }
      minSum += d.min;
      cumSum += d.cumulative;
      inefficient.push({ path: `/${path}`, count: d.count, cumulativeBytes: d.cumulative });
    });
    yield;
    yield* sortSteps(inefficient, (a, b) => b.cumulativeBytes - a.cumulativeBytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const wastedBytes = inefficient.reduce((s, f) => s + f.cumulativeBytes, 0);
    const imageSizeBytes = layers.reduce((s, l) => s + l.contentBytes, 0);
    const userSizeBytes = imageSizeBytes - (layers[0]?.contentBytes ?? 0);
    return {
      efficiency: cumSum === 0 ? 1 : minSum / cumSum,
      wastedBytes,
      userWastedPercent: userSizeBytes === 0 ? 0 : wastedBytes / userSizeBytes,
      imageSizeBytes,
      userSizeBytes,
      inefficientFiles: inefficient,
    };
  };
  return { observer, finish };
}

/** Directory and base name of a clean path. */
function splitPath(p: string): [string, string] {
  const i = p.lastIndexOf('/');
  return i < 0 ? ['', p] : [p.slice(0, i), p.slice(i + 1)];
}

function* sizeUnder(n: FsNode): Steps<number> {
  let s = 0;
  const nodes = nodesBelow(n);
  for (let i = 0; i < nodes.length; i++) {
    if ((i & STEP_MASK) === STEP_MASK) yield;
    s += nodes[i]!.entrySize;
  }
  return s;
}
