/**
 * Per-path data for diffs (`analyze --include-files`): for every regular-file path any layer
 * ships, its shipped bytes (all copies) and its visible bytes in the final filesystem. Computed
 * from the same overlay the report uses, so the shipped column sums to `summary.contentBytes`.
 */
import type { LoadedImage } from '../model.js';
import { applyOverlay } from '../overlay.js';
import type { FileList, Report } from '../report-schema.js';

/** Returns the per-path file list of a loaded image (pure). */
export function collectFiles(image: LoadedImage): FileList {
  const overlay = applyOverlay(image.layers.map((l) => l.scan.entries));
  const rows = new Map<string, [string, number, number]>();
  const row = (p: string): [string, number, number] => {
    const path = `/${p}`;
    let r = rows.get(path);
    if (!r) rows.set(path, (r = [path, 0, 0]));
    return r;
  };
  for (const v of overlay.visible) {
    const r = row(v.path);
    r[1] += v.entry.size;
    r[2] += v.entry.size;
  }
  for (const h of overlay.hidden) row(h.path)[1] += h.size;
  const entries = [...rows.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { entries };
}

/** Returns `report` with its `files` section filled from `image` (the image the report was built from). */
export function withFiles(report: Report, image: LoadedImage): Report {
  return { ...report, files: collectFiles(image) };
}
