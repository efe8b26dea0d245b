/**
 * The image model every source produces and every analysis consumes.
 * Layers are ordered base first. A source reads and scans each layer once; analysis is pure.
 */
import type { TarEntryType } from './tar/types.js';
import type { EntryTable } from './entry-table.js';
import type { ImgsizeWarning } from './warnings.js';

/** One history entry of the image config (`created_by` is the Dockerfile instruction). */
export interface HistoryEntry {
  created?: string | undefined;
  createdBy: string;
  comment?: string | undefined;
  emptyLayer: boolean;
}

/** The parts of an image config imgsize uses. */
export interface ImageConfigInfo {
  os: string;
  architecture: string;
  variant?: string | undefined;
  created?: string | undefined;
  env: string[];
  entrypoint: string[] | null;
  cmd: string[] | null;
  workingDir?: string | undefined;
  user?: string | undefined;
  labels: Record<string, string>;
  history: HistoryEntry[];
  /** rootfs.diff_ids, base first. */
  diffIds: string[];
}

/** A file-system entry of one layer, path cleaned (see paths.ts). Whiteouts keep their `.wh.` names. */
export interface ScannedEntry {
  path: string;
  type: TarEntryType;
  /** Payload bytes; 0 for everything but regular files. */
  size: number;
  linkTarget?: string | undefined;
  mode: number;
  /**
   * Estimated gzip-compressed bytes this entry contributes to the layer blob (regular files only;
   * filled by the compression sampler, scaled to the real blob size when that is known).
   */
  csize?: number | undefined;
}

/** A metadata file captured whole during the scan (dpkg status, *.list, RECORD, conda-meta, ...). */
export interface CapturedFile {
  path: string;
  content: Buffer;
  /** True when the file was larger than the capture limit and `content` holds only its start. */
  truncated: boolean;
}

/** Everything imgsize keeps about one layer's contents. Depends only on the layer bytes. */
export interface LayerScan {
  /** The layer's entries in tar order, by column (entry-table.ts; `at(i)` gives a ScannedEntry). */
  entries: EntryTable;
  /** Length of the uncompressed layer tar stream. */
  tarBytes: number;
  /** Sum of regular-file sizes (dive's and `docker history`'s layer size). */
  contentBytes: number;
  captured: CapturedFile[];
  /** Estimated gzip -6 size of the layer tar; undefined when no sampler ran. */
  estimatedCompressedBytes?: number | undefined;
  /** Estimated zstd -3 size of the layer tar (the "recompress with zstd" what-if); undefined when not estimated. */
  estimatedZstdBytes?: number | undefined;
  /** Files with CUDA fat binaries (gpu/plugin.ts); undefined when that plugin did not run. */
  gpu?: import('./gpu/plugin.js').GpuFileRecord[] | undefined;
  /** Oddities of this layer's tar (no `layer` set: the scan does not know its index). */
  warnings: ImgsizeWarning[];
}

/** How a layer blob is stored at its source. */
export type BlobCompression = 'none' | 'gzip' | 'zstd';

/** One layer of a loaded image, with where it came from and its scan. */
export interface LoadedLayer {
  index: number;
  /** sha256 of the uncompressed tar (config rootfs.diff_ids). */
  diffId: string;
  /** Digest of the blob as stored at the source (compressed digest for registries). */
  digest?: string | undefined;
  mediaType?: string | undefined;
  compression: BlobCompression;
  /** Exact compressed blob size when the source stores compressed blobs. */
  compressedSize?: number | undefined;
  /** The layer's contents; absent when they were not read (`SourceInfo.metadataOnly`). */
  scan?: LayerScan | undefined;
}

export type SourceKind = 'docker-archive' | 'oci-layout' | 'registry' | 'daemon' | 'report';

/** Archive layout / transport the image was read from. */
export type SourceFormat =
  | 'docker-archive-legacy'
  | 'docker-archive-oci'
  | 'oci-layout'
  | 'registry'
  | 'daemon';

export interface SourceInfo {
  kind: SourceKind;
  format: SourceFormat;
  /** What the user named (path, `-`, reference). */
  ref: string;
  /** Whole-input compression, for archives (`docker save | gzip`). */
  inputCompression?: BlobCompression | undefined;
  /** True when a layer was walked positionally (the seekable fast path). Diagnostic: not in the report. */
  fastPath?: boolean | undefined;
  /**
   * True when only manifest and config were read (registry `metadataOnly`): layers carry digests,
   * sizes and history, but no scan, so file-level numbers are not known.
   */
  metadataOnly?: boolean | undefined;
}

/** An image read from a source: config plus scanned layers. */
export interface LoadedImage {
  source: SourceInfo;
  repoTags: string[];
  config: ImageConfigInfo;
  configDigest?: string | undefined;
  manifestDigest?: string | undefined;
  layers: LoadedLayer[];
  /** Manifest annotations, when the source has them (`org.opencontainers.image.base.name/digest` name the base image). */
  annotations?: Record<string, string> | undefined;
  warnings: ImgsizeWarning[];
}

/**
 * Progress events for long work; sources call `onProgress` with these, at least every 250 ms of
 * work. `read`: the archive itself (its index on the fast path; the bytes of the file, compressed
 * when it is, on the stream path); `scan`: layer contents; `analyze`: the report is being built;
 * `done`: the one final event of `analyzeImage`, with `bytes === totalBytes` when a total is known.
 */
export interface Progress {
  phase: 'read' | 'scan' | 'download' | 'analyze' | 'done';
  /** Bytes processed so far in this phase, and the phase's total when known (input bytes: compressed for a .gz/.zst file). */
  bytes: number;
  totalBytes?: number | undefined;
  /** Layer currently being worked on, if any. */
  layer?: string | undefined;
}

/** Options every source's `load` accepts. */
export interface LoadOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
  /** Select one image when the source holds several (repo:tag or image id prefix). */
  image?: string | undefined;
  scan?: import('./layer-scan.js').LayerScanOptions | undefined;
  /** Resource limits over DEFAULT_LIMITS (limits.ts); exceeding one is E_LIMIT naming it. */
  limits?: Partial<import('./limits.js').Limits> | undefined;
  /**
   * Layer scans to reuse, keyed by diffID (archives) or blob digest (registries): diffing two
   * builds that share base layers then scans each shared layer once.
   */
  layerCache?: import('./layer-cache.js').LayerCache | undefined;
  /**
   * `os/arch[/variant]` to pick from an OCI `index.json` inside an archive (default: the host's).
   * Registries and OCI layouts take their platform when opened.
   */
  platform?: string | undefined;
}

/** An image input: a docker-save archive, OCI layout, daemon or registry. */
export interface ImageSource {
  readonly kind: SourceKind;
  /** Short description for messages ("docker archive naive.tar"). */
  readonly description: string;
  load(options?: LoadOptions): Promise<LoadedImage>;
}
