/**
 * dive-compatible metrics (github.com/wagoodman/dive, filetree/efficiency.go), reproduced exactly
 * so a team can switch from dive without changing CI thresholds. These are NOT imgsize's own
 * definition of waste (see overlay.ts): dive counts every copy of a path seen twice, including the
 * copy that is kept (its issue #684), and does not charge `rm -rf` of a whole directory.
 */
import type { LayerScan } from './model.js';
import { classifyWhiteout, lookupNode, nodesBelow, type FsNode, type OverlayObserver } from './overlay.js';
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

/** A path seen more than once: its cumulative and smallest size and how often it was seen. */
interface PathData {
  cumulative: number;
  min: number;
  count: number;
}

/**
 * dive's metrics as an overlay observer, so a caller that stacks the layers anyway gets them in
 * the same pass: dive sizes a directory whiteout against the stack of LOWER layers, which is
 * exactly the tree the observer sees before each layer is applied. Runs in steps (steps.ts).
 */
export function createDiveObserver(layers: readonly LayerScan[]): { observer: OverlayObserver; finish(): Steps<DiveMetrics> } {
  // A path seen once maps to its size (a number: no object per entry); a PathData from the second time on.
  const data = new Map<string, number | PathData>();
  const observer: OverlayObserver = {
    *beforeLayer(li, root) {
      const leaves = yield* leavesOf(layers[li]!);
      // Whiteouts of directories are sized against the lower layers first (in steps); then one
      // allocation-free pass over the leaves (Map.forEach: no iterator result per entry).
      const whiteoutSize = new Map<string, number>();
      for (const w of [...leaves.values()].filter((x): x is WhiteoutLeaf => typeof x !== 'number')) {
        const lower = lookupNode(root, w.whiteoutTarget);
        whiteoutSize.set(w.whiteoutTarget, lower && lower.children !== undefined ? yield* sizeUnder(lower) : 0);
      }
      yield;
      leaves.forEach((leaf, path) => {
        const size = typeof leaf === 'number' ? leaf : whiteoutSize.get(leaf.whiteoutTarget)!;
        const d = data.get(path);
        if (d === undefined) data.set(path, size);
        else if (typeof d === 'number') data.set(path, { cumulative: d + size, min: Math.min(d, size), count: 2 });
        else {
          d.cumulative += size;
          d.min = Math.min(d.min, size);
          d.count++;
        }
      });
    },
  };
  const finish = function* (): Steps<DiveMetrics> {
    let minSum = 0;
    let cumSum = 0;
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

/** A directory whiteout's leaf: sized against the lower layers when the observer sees them. */
interface WhiteoutLeaf {
  whiteoutTarget: string;
}

/**
 * Leaf nodes of one layer's own tree, keyed by dive's node path (whiteout prefix stripped): a
 * plain entry maps to its size, a whiteout to the path it deletes.
 */
function* leavesOf(layer: LayerScan): Steps<Map<string, number | WhiteoutLeaf>> {
  const nodes = new Map<string, number | WhiteoutLeaf>();
  const parents = new Set<string>();
  const entries = layer.entries;
  for (let i = 0; i < entries.length; i++) {
    if ((i & STEP_MASK) === STEP_MASK) yield;
    const e = entries[i]!;
    if (e.path === '') continue;
    const w = classifyWhiteout(e.path);
    if (w.kind === 'opaque') continue; // dive never adds opaque markers to its tree
    // every ancestor is a non-leaf in this layer's tree (walk up until one is already known)
    for (let j = e.path.lastIndexOf('/'); j > 0; j = e.path.lastIndexOf('/', j - 1)) {
      const p = e.path.slice(0, j);
      if (parents.has(p)) break;
      parents.add(p);
    }
    if (w.kind === 'whiteout') nodes.set(w.target, { whiteoutTarget: w.target });
    else nodes.set(e.path, e.size);
  }
  parents.forEach((p) => nodes.delete(p));
  return nodes;
}

function* sizeUnder(n: FsNode): Steps<number> {
  let s = 0;
  const nodes = nodesBelow(n);
  for (let i = 0; i < nodes.length; i++) {
    if ((i & STEP_MASK) === STEP_MASK) yield;
    s += nodes[i]!.entry?.size ?? 0;
  }
  return s;
}
