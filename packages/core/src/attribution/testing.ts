/**
 * Builds a LoadedImage from plain data (no tar I/O), for tests of the pure analysis: regular
 * files with sizes, symlinks, whiteouts, and captured metadata contents.
 */
import { isMetadataPath } from '../metadata-paths.js';
import { EntryTable } from '../entry-table.js';
import type { CapturedFile, LayerScan, LoadedImage, LoadedLayer, ScannedEntry } from '../model.js';
import { cleanPath } from '../paths.js';
import type { TarEntryType } from '../tar/types.js';

/** One entry: `{ path, size }` for a file, `link` for a symlink, `content` for metadata files. */
export interface SpecEntry {
  path: string;
  size?: number;
  type?: TarEntryType;
  /** Symlink target (makes the entry a symlink unless `type` says otherwise). */
  link?: string;
  /** File contents (sets the size); captured when the path is a package-manager record. */
  content?: string | Buffer;
  /** Pre-set compressed-size estimate. */
  csize?: number;
}

export interface SpecLayer {
  createdBy?: string;
  /** Entries, or `"path:size"` shorthands (`"/usr/bin/gcc:1000"`, `"/.wh.tmp"` for a whiteout). */
  entries: Array<SpecEntry | string>;
  compressedSize?: number;
  estimatedCompressedBytes?: number;
}

export interface SpecImage {
  env?: string[];
  workingDir?: string;
  layers: SpecLayer[];
}

function toEntry(e: SpecEntry | string): SpecEntry {
  if (typeof e !== 'string') return e;
  const i = e.lastIndexOf(':');
  return i > 0 && /^\d+$/.test(e.slice(i + 1)) ? { path: e.slice(0, i), size: Number(e.slice(i + 1)) } : { path: e, size: 0 };
}

/** Returns the LoadedImage the spec describes (history: one non-empty entry per layer). */
export function makeImage(spec: SpecImage): LoadedImage {
  const layers: LoadedLayer[] = spec.layers.map((l, index) => {
    const entries: ScannedEntry[] = [];
    const captured: CapturedFile[] = [];
    let contentBytes = 0;
    for (const raw of l.entries) {
      const e = toEntry(raw);
      const path = cleanPath(e.path);
      const type: TarEntryType = e.type ?? (e.link !== undefined ? 'symlink' : 'file');
      const content = e.content === undefined ? undefined : Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content);
      const size = type === 'file' ? (content?.length ?? e.size ?? 0) : 0;
      const entry: ScannedEntry = { path, type, size, mode: type === 'dir' ? 0o755 : 0o644 };
      if (e.link !== undefined) entry.linkTarget = e.link;
      if (e.csize !== undefined) entry.csize = e.csize;
      entries.push(entry);
      contentBytes += size;
      if (type === 'file' && content !== undefined && isMetadataPath(path)) captured.push({ path, content, truncated: false });
    }
    const scan: LayerScan = { entries: EntryTable.from(entries), tarBytes: 0, contentBytes, captured, warnings: [] };
    const layer: LoadedLayer = {
      index,
      diffId: `sha256:${index.toString(16).padStart(64, '0')}`,
      compression: l.compressedSize === undefined ? 'none' : 'gzip',
      scan,
    };
    if (l.compressedSize !== undefined) layer.compressedSize = l.compressedSize;
    if (l.estimatedCompressedBytes !== undefined) scan.estimatedCompressedBytes = l.estimatedCompressedBytes;
    return layer;
  });
  return {
    source: { kind: 'docker-archive', format: 'docker-archive-legacy', ref: 'test' },
    repoTags: [],
    config: {
      os: 'linux',
      architecture: 'amd64',
      env: spec.env ?? [],
      entrypoint: null,
      cmd: null,
      workingDir: spec.workingDir,
      labels: {},
      history: spec.layers.map((l, i) => ({ createdBy: l.createdBy ?? `RUN /bin/sh -c step-${i} # buildkit`, emptyLayer: false })),
      diffIds: layers.map((l) => l.diffId),
    },
    layers,
    warnings: [],
  };
}
