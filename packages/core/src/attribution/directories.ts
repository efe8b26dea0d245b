/**
 * The biggest directories of the final filesystem: visible regular-file bytes rolled up into
 * every ancestor directory, listed down to a depth limit. Symlinked directories are not
 * followed, so no byte is counted under two paths.
 */
import type { FsNode } from '../overlay.js';
import type { DirectoryReport } from '../report-schema.js';

export interface DirectoryOptions {
  /** Deepest directory listed (`/usr` is depth 1; default 4). */
  maxDepth?: number | undefined;
  /** How many directories to return (default 25). */
  top?: number | undefined;
}

/** Returns the `top` biggest directories down to `maxDepth`, biggest first (ties by path). */
export function biggestDirectories(root: FsNode, options: DirectoryOptions = {}): DirectoryReport[] {
  const maxDepth = options.maxDepth ?? 4;
  const top = options.top ?? 25;
  const out: DirectoryReport[] = [];
  const walk = (n: FsNode, path: string, depth: number): { bytes: number; files: number } => {
    let bytes = 0;
    let files = 0;
    for (const c of n.children!.values()) {
      if (c.children) {
        const r = walk(c, path === '' ? c.name : `${path}/${c.name}`, depth + 1);
        bytes += r.bytes;
        files += r.files;
      } else if (c.entry?.type === 'file') {
        bytes += c.entry.size;
        files++;
      }
    }
    if (depth >= 1 && depth <= maxDepth) out.push({ path: `/${path}`, visibleBytes: bytes, files, depth });
    return { bytes, files };
  };
  walk(root, '', 0);
  out.sort((a, b) => b.visibleBytes - a.visibleBytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out.slice(0, top);
}
