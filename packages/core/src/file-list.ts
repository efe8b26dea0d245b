/**
 * Per-path rows for diffs and the HTML report (`analyze --include-files`): for every regular-file
 * path any layer ships, its shipped bytes (all copies), its visible bytes in the final filesystem,
 * its category, the layer that wrote the visible copy and the hidden copies. Built by `buildReport`
 * from the same attribution pass as the rest of the report, so the shipped column sums to
 * `summary.contentBytes`.
 */
import type { ShippedFile } from './attribution/analyzed-image.js';
import type { FileList, FileRow, HiddenCopy } from './report-schema.js';
import { runSteps, sortSteps, STEP_MASK, type Steps } from './steps.js';

interface Row {
  path: string;
  shipped: number;
  visible: number;
  category: string | undefined;
  layer: number | null;
  hidden: HiddenCopy[];
  /** Layer of the copy `category` came from (visible copy wins, else the highest layer). */
  categoryLayer: number;
}

/** Returns the per-path file list of the shipped files of an attributed image (pure). */
export function fileListOf(files: readonly ShippedFile[]): FileList {
  return runSteps(fileListSteps(files));
}

/** fileListOf in steps (steps.ts). */
export function* fileListSteps(files: readonly ShippedFile[]): Steps<FileList> {
  const rows = new Map<string, Row>();
  let i = 0;
  for (const f of files) {
    if ((++i & STEP_MASK) === 0) yield;
    let r = rows.get(f.path);
    if (!r) rows.set(f.path, (r = { path: `/${f.path}`, shipped: 0, visible: 0, category: undefined, layer: null, hidden: [], categoryLayer: -1 }));
    r.shipped += f.size;
    if (f.visible) {
      r.visible += f.size;
      r.layer = f.layer;
      r.category = f.category;
      r.categoryLayer = Number.POSITIVE_INFINITY;
    } else {
      r.hidden.push([f.layer, f.size, f.hiddenBy ?? f.layer]);
      if (f.layer >= r.categoryLayer) {
        r.category = f.category;
        r.categoryLayer = f.layer;
      }
    }
  }
  const sorted = [...rows.values()];
  rows.clear();
  yield* sortSteps(sorted, (a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const entries: FileRow[] = [];
  for (const r of sorted) {
    if ((++i & STEP_MASK) === 0) yield;
    if (r.hidden.length === 0) entries.push([r.path, r.shipped, r.visible, r.category ?? 'other', r.layer]);
    else {
      r.hidden.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
      entries.push([r.path, r.shipped, r.visible, r.category ?? 'other', r.layer, r.hidden]);
    }
  }
  return { entries };
}
