/**
 * The analyzed image the findings rules read: every shipped regular file with its category,
 * owner and (scaled) compressed size, plus the history mapping. Built once by `attribute`.
 */
import type { LoadedImage } from '../model.js';
import type { PackageReport } from '../report-schema.js';
import type { CategoryInfo } from './rules.js';

/** One regular file shipped by one layer: visible at the end, or hidden by a later layer. */
export interface ShippedFile {
  /** Clean path (no leading `/`). */
  path: string;
  layer: number;
  size: number;
  /** Compressed bytes this file costs in its layer blob (exact-scaled when the blob size is known). */
  csize: number;
  visible: boolean;
  /** Layer that hid the file, and how (hidden files only). */
  hiddenBy?: number | undefined;
  reason?: 'overwritten' | 'deleted' | undefined;
  /** Category id (see rules.ts). */
  category: string;
  owner?: PackageReport | undefined;
}

/** Everything a findings rule may look at. */
export interface AnalyzedImage {
  image: LoadedImage;
  /** Every shipped regular file: the visible ones in path order, then the hidden ones in overlay order. */
  files: readonly ShippedFile[];
  /** The same files grouped by category id (same order). */
  byCategory: ReadonlyMap<string, readonly ShippedFile[]>;
  categories: readonly CategoryInfo[];
  packages: readonly PackageReport[];
  /** History instruction (`created_by`) of each layer, when known. */
  instructions: ReadonlyArray<string | null>;
  /** Image environment (`KEY` → value). */
  env: ReadonlyMap<string, string>;
  /** How many layers, from the bottom, are the base image's (default 1). */
  baseLayers?: number | undefined;
}
