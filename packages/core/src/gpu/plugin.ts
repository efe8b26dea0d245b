/**
 * The layer-scan plugin that takes the fatbin inventory of every ELF file of a layer: with
 * positional reads when the walker offers them (fast path), else from the passing bytes.
 */
import type { LayerScan, ScannedEntry } from '../model.js';
import { definePlugin, type LayerScanPlugin, type LayerScanPluginFactory, type PayloadAccess } from '../layer-scan.js';
import { warning } from '../warnings.js';
import { contentClassOf } from '../attribution/compressed-size.js';
import { ElfStreamInspector, inspectElfAt, summarizeInventory, type ElfGpuInventory, type GpuFileSummary, type GpuInspectOptions } from './inventory.js';

/** Files smaller than this are not looked at (a fatbin-bearing ELF is far larger). */
export const MIN_GPU_ELF_BYTES = 4096;
/** Cache identity of the plugin: bump `version` when what it records changes. */
export const GPU_PLUGIN_ID = 'imgsize/gpu-fatbin';
export const GPU_PLUGIN_VERSION = '1';

/** One file of a layer with fat binaries: its index in `LayerScan.entries` and its summary. */
export interface GpuFileRecord extends GpuFileSummary {
  index: number;
}

/** True for files that may be ELF objects with fat binaries (by name and size only). */
export function isGpuCandidate(entry: ScannedEntry): boolean {
  if (entry.type !== 'file' || entry.size < MIN_GPU_ELF_BYTES) return false;
  const cls = contentClassOf(entry.path);
  return cls === 'elf' || cls === 'other';
}

/** Creates the plugin; it fills `scan.gpu` and adds one layer warning per fatbin problem. */
export function createGpuInventoryPlugin(options: GpuInspectOptions = {}): LayerScanPlugin {
  const records: GpuFileRecord[] = [];
  const warnings: ReturnType<typeof warning>[] = [];
  const streams = new Map<number, { path: string; inspector: ElfStreamInspector }>();
  const record = (index: number, path: string, inv: ElfGpuInventory | null): void => {
    if (!inv) return;
    const s = summarizeInventory(inv);
    if (s.archs.length === 0 && !s.problems) return;
    records.push({ index, ...s });
    for (const p of inv.problems) warnings.push(warning(p.code, `${JSON.stringify(`/${path}`)}: ${p.message}`));
  };
  return {
    want(entry: ScannedEntry, index: number, access?: PayloadAccess) {
      if (!isGpuCandidate(entry)) return null;
      if (access) {
        record(index, entry.path, inspectElfAt(access.read, entry.size, options));
        return null;
      }
      streams.set(index, { path: entry.path, inspector: new ElfStreamInspector(entry.size, options) });
      return [[0, entry.size]];
    },
    data(index, offset, chunk) {
      streams.get(index)?.inspector.data(offset, chunk);
    },
    entryEnd(index) {
      const s = streams.get(index);
      if (!s) return;
      streams.delete(index);
      record(index, s.path, s.inspector.end());
    },
    finish(scan: LayerScan) {
      if (records.length > 0) scan.gpu = records;
      scan.warnings.push(...warnings);
    },
  };
}

/** The GPU inventory as a scan plugin factory with its cache identity (a default plugin of analyzeImage). */
export const GPU_INVENTORY: LayerScanPluginFactory = definePlugin(GPU_PLUGIN_ID, GPU_PLUGIN_VERSION, () => createGpuInventoryPlugin());
