/**
 * The biggest directories of the final filesystem: visible regular-file bytes rolled up into
 * every ancestor directory, listed down to a depth limit. Symlinked directories are not
 * followed, so no byte is counted under two paths.
 */
import type { FsNode } from '../overlay.js';
import type { DirectoryReport } from '../report-schema.js';
import { runSteps, STEP_MASK, type Steps } from '../steps.js';

export interface DirectoryOptions {
  /** Deepest directory listed (`/usr` is depth 1; default 4). */
  maxDepth?: number | undefined;
  /** How many directories to return (default 25). */
  top?: number | undefined;
}

/**
 * Returns the `top` biggest directories, biggest first (ties by path). Directories with no visible
 * bytes are left out, and a chain of directories that each hold only one directory (and no
 * files) is listed once, as its deepest member (`/opt/venv/lib/python3.11`, not also `/opt`,
 * `/opt/venv`, `/opt/venv/lib` with the same numbers; issue 11). `maxDepth` counts listed levels.
 */
export function biggestDirectories(root: FsNode, options: DirectoryOptions = {}): DirectoryReport[] {
  return runSteps(directoriesSteps(root, options));
}

/** biggestDirectories in steps (steps.ts). */
export function* directoriesSteps(root: FsNode, options: DirectoryOptions = {}): Steps<DirectoryReport[]> {
  const maxDepth = options.maxDepth ?? 4;
  const top = options.top ?? 25;
  const out: DirectoryReport[] = [];
  let work = 0;
  const walk = function* (n: FsNode, path: string, level: number, pathDepth: number): Steps<{ bytes: number; files: number }> {
    let bytes = 0;
    let files = 0;
    const kids = [...n.children!.values()];
    // Only one child, a directory: this one says nothing its child does not, so it is not a level.
    const passThrough = pathDepth >= 1 && kids.length === 1 && kids[0]!.children !== undefined;
    for (let i = 0; i < kids.length; i++) {
      if ((++work & STEP_MASK) === 0) yield;
      const c = kids[i]!;
      if (c.children) {
        const r = yield* walk(c, path === '' ? c.name : `${path}/${c.name}`, passThrough ? level : level + 1, pathDepth + 1);
        bytes += r.bytes;
        files += r.files;
      } else if (c.isFileEntry) {
        bytes += c.entrySize;
        files++;
      }
    }
    if (!passThrough && pathDepth >= 1 && level <= maxDepth && bytes > 0) out.push({ path: `/${path}`, visibleBytes: bytes, files, depth: pathDepth });
    return { bytes, files };
  };
  yield* walk(root, '', 0, 0);
  out.sort((a, b) => b.visibleBytes - a.visibleBytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out.slice(0, top);
}
