/**
 * dive-compatible metrics (github.com/wagoodman/dive, filetree/efficiency.go), reproduced exactly
 * so a team can switch from dive without changing CI thresholds. These are NOT imgsize's own
 * definition of waste (see overlay.ts): dive counts every copy of a path seen twice, including the
 * copy that is kept (its issue #684), and does not charge `rm -rf` of a whole directory.
 */
import type { LayerScan } from './model.js';
import { applyOverlay, classifyWhiteout, lookupNode, walkNodes, type FsNode, type OverlayObserver } from './overlay.js';

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

interface PathData {
  cumulative: number;
  min: number;
  count: number;
}

/**
 * dive's metrics as an overlay observer, so a caller that stacks the layers anyway gets them in
 * the same pass: dive sizes a directory whiteout against the stack of LOWER layers, which is
 * exactly the tree the observer sees before each layer is applied.
 */
export function createDiveObserver(layers: readonly LayerScan[]): { observer: OverlayObserver; finish(): DiveMetrics } {
  const data = new Map<string, PathData>();
  const observer: OverlayObserver = {
    beforeLayer(li, root) {
      for (const [path, leaf] of leavesOf(layers[li]!)) {
        let size: number;
        if (leaf.whiteoutTarget !== undefined) {
          const lower = lookupNode(root, leaf.whiteoutTarget);
          size = lower && lower.children !== undefined ? sizeUnder(lower) : 0;
        } else {
          size = leaf.size;
        }
        const d = data.get(path);
        if (d) {
          d.cumulative += size;
          d.min = Math.min(d.min, size);
          d.count++;
        } else {
          data.set(path, { cumulative: size, min: size, count: 1 });
        }
      }
    },
  };
  const finish = (): DiveMetrics => {
    let minSum = 0;
    let cumSum = 0;
    const inefficient: DiveInefficiency[] = [];
    for (const [path, d] of data) {
      minSum += d.min;
      cumSum += d.cumulative;
      if (d.count >= 2) inefficient.push({ path: `/${path}`, count: d.count, cumulativeBytes: d.cumulative });
    }
    inefficient.sort((a, b) => b.cumulativeBytes - a.cumulativeBytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
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

interface Leaf {
  size: number;
  whiteoutTarget: string | undefined;
}

/** Leaf nodes of one layer's own tree, keyed by dive's node path (whiteout prefix stripped). */
function leavesOf(layer: LayerScan): Map<string, Leaf> {
  const nodes = new Map<string, Leaf>();
  const parents = new Set<string>();
  for (const e of layer.entries) {
    if (e.path === '') continue;
    const w = classifyWhiteout(e.path);
    if (w.kind === 'opaque') continue; // dive never adds opaque markers to its tree
    // every ancestor is a non-leaf in this layer's tree
    for (let i = e.path.indexOf('/'); i >= 0; i = e.path.indexOf('/', i + 1)) parents.add(e.path.slice(0, i));
    if (w.kind === 'whiteout') nodes.set(w.target, { size: 0, whiteoutTarget: w.target });
    else nodes.set(e.path, { size: e.size, whiteoutTarget: undefined });
  }
  for (const p of parents) nodes.delete(p);
  return nodes;
}

function sizeUnder(n: FsNode): number {
  let s = 0;
  for (const d of walkNodes(n)) s += d.entry?.size ?? 0;
  return s;
}
