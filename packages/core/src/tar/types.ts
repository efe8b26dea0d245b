/**
 * Contract between the tar walkers (stream and positional) and their users.
 * Both walkers must call a visitor with exactly the same sequence of entries for the same bytes.
 */
import { DEFAULT_LIMITS, type Limits } from '../limits.js';

/** Entry kinds imgsize distinguishes. */
export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

/** One tar entry, after pax / GNU long-name / long-link records have been applied. */
export interface TarEntryHeader {
  /** Raw entry name as stored (after pax `path` / GNU `L` resolution); not cleaned. */
  name: string;
  type: TarEntryType;
  /**
   * File size in bytes as recorded in the header (pax `size` wins); for a GNU or PAX sparse file,
   * its logical size (as Go's archive/tar and docker see it).
   */
  size: number;
  /** Bytes the entry's payload holds when they differ from `size` (sparse files: data and map). */
  dataSize?: number | undefined;
  /** Link target for symlinks and hardlinks (pax `linkpath` / GNU `K` resolved). */
  linkname: string | undefined;
  mode: number;
  /** Byte offset of this entry's payload from the start of the tar stream. */
  offset: number;
}

/** Half-open byte range [start, end) within an entry's payload. */
export type ByteRange = readonly [number, number];

/**
 * Receives entries from a walker. `entry` returns the payload ranges it wants delivered (sorted,
 * non-overlapping, within [0, size)), or null for none. Returned promises are awaited
 * (backpressure). Throwing aborts the walk with that error.
 */
export interface TarVisitor {
  entry(header: TarEntryHeader): readonly ByteRange[] | null | Promise<readonly ByteRange[] | null>;
  /**
   * Bytes of a wanted range, in order; `offset` is relative to the payload start. `chunk` is
   * borrowed: valid during the call and until its returned promise settles, then reused by the
   * walker (its read window, or the input's buffer: fd-reader.ts). Copy what you keep.
   */
  data?(offset: number, chunk: Buffer): void | Promise<void>;
  /** Called after the last wanted byte of the current entry (also when nothing was wanted). */
  entryEnd?(header: TarEntryHeader): void | Promise<void>;
}

/**
 * Limits every walker enforces; exceeding one throws E_LIMIT naming the matching `Limits` field
 * (limits.ts): maxEntries is `maxEntriesPerLayer`, maxMetaEntryBytes is `maxTarMetaRecordBytes`.
 */
export interface TarLimits {
  /** Max entries in one tar stream. */
  maxEntries: number;
  /** Max bytes of a pax extended header or GNU long name/link payload. */
  maxMetaEntryBytes: number;
  /** Max length of an entry name or link target in bytes. */
  maxPathLength: number;
  /** Max segments of an entry name. */
  maxPathDepth: number;
}

/** The tar part of DEFAULT_LIMITS. */
export const DEFAULT_TAR_LIMITS: TarLimits = tarLimitsOf(DEFAULT_LIMITS);

/** The tar walker limits of a resolved `Limits`. */
export function tarLimitsOf(l: Pick<Limits, 'maxEntriesPerLayer' | 'maxTarMetaRecordBytes' | 'maxPathLength' | 'maxPathDepth'>): TarLimits {
  return { maxEntries: l.maxEntriesPerLayer, maxMetaEntryBytes: l.maxTarMetaRecordBytes, maxPathLength: l.maxPathLength, maxPathDepth: l.maxPathDepth };
}

/** What a walk reports at the end. */
export interface TarWalkResult {
  entries: number;
  /** Total bytes of the tar stream up to and including the end-of-archive marker. */
  tarBytes: number;
  /** Non-fatal oddities (e.g. data after the end-of-archive marker). */
  warnings: string[];
}

/**
 * A push-based byte consumer. `write` may return a promise (backpressure: the caller awaits it
 * before writing again); `end` finishes and returns the consumer's result, or throws (e.g.
 * E_TRUNCATED when the stream stopped mid-entry).
 */
export interface ByteSink<R> {
  write(chunk: Buffer): void | Promise<void>;
  end(): Promise<R>;
  /** Releases resources after a failure elsewhere; must not throw. */
  destroy(error?: Error): void;
}
