/**
 * Runs one fuzz input through both archive readers and checks the invariants of issue 6:
 * `analyzeImage` resolves (a schema-valid report whose bytes add up) or rejects with an
 * ImgsizeError that is not E_INTERNAL, within a time bound, and the seekable fast path
 * (`openDockerArchive(path)`) and the single-pass stream (`openDockerArchive(stream)`) agree:
 * the same report, or the same error code.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { analyzeImage } from '../../packages/core/src/analyze.js';
import { ImgsizeError } from '../../packages/core/src/errors.js';
import type { Limits } from '../../packages/core/src/limits.js';
import { ReportSchema } from '../../packages/core/src/report-schema.js';
import { openDockerArchive } from '../../packages/core/src/sources/docker-archive.js';

export type Outcome =
  | { kind: 'report'; report: Record<string, unknown>; ms: number }
  | { kind: 'error'; code: string; message: string; ms: number; error: unknown }
  /** Rejected with something that is not an ImgsizeError (a bug). */
  | { kind: 'foreign'; message: string; ms: number; error: unknown }
  | { kind: 'timeout'; ms: number };

export interface RunOptions {
  /** Directory for the archive file of the fast path. */
  dir: string;
  timeoutMs: number;
  limits?: Partial<Limits> | undefined;
  /** Chunk sizes the stream is cut into (cycled). */
  chunks?: readonly number[] | undefined;
  image?: string | undefined;
}

/** Settles `p` into an Outcome, giving up after `timeoutMs`. */
export async function settle(p: Promise<unknown>, timeoutMs: number): Promise<Outcome> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const r = await Promise.race([p, timeout]);
    const ms = performance.now() - t0;
    if (r === 'timeout') return { kind: 'timeout', ms };
    return { kind: 'report', report: r as Record<string, unknown>, ms };
  } catch (e) {
    const ms = performance.now() - t0;
    if (e instanceof ImgsizeError) return { kind: 'error', code: e.code, message: e.message, ms, error: e };
    return { kind: 'foreign', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e), ms, error: e };
  } finally {
    clearTimeout(timer);
    p.catch(() => undefined);
  }
}

/** Cuts `buf` into a stream of chunks of the given sizes (cycled). */
export function chunkedStream(buf: Buffer, sizes: readonly number[] = [65536]): Readable {
  const chunks: Buffer[] = [];
  let i = 0;
  for (let off = 0; off < buf.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    chunks.push(buf.subarray(off, off + n));
    off += n;
  }
  return Readable.from(chunks, { objectMode: false });
}

let fileSeq = 0;

/** Analyzes `bytes` on both paths. */
export async function runBoth(bytes: Buffer, o: RunOptions): Promise<{ file: Outcome; stream: Outcome; path: string }> {
  const path = join(o.dir, `case-${process.pid}-${fileSeq++ % 64}.tar`);
  writeFileSync(path, bytes);
  const opts = { limits: o.limits, image: o.image };
  const file = await settle(analyzeImage(openDockerArchive(path, { name: 'fuzz' }), opts), o.timeoutMs);
  const stream = await settle(analyzeImage(openDockerArchive(chunkedStream(bytes, o.chunks), { name: 'fuzz' }), opts), o.timeoutMs);
  return { file, stream, path };
}

/** The report minus what legitimately differs between the two readers. */
export function normalizeReport(r: Record<string, unknown>): unknown {
  const copy = JSON.parse(JSON.stringify(r)) as { image?: { source?: Record<string, unknown> } };
  if (copy.image?.source) delete copy.image.source.inputCompression;
  return copy;
}

/** Returns the invariant violations of one outcome (empty when fine). */
export function outcomeProblems(o: Outcome, label: string): string[] {
  switch (o.kind) {
    case 'timeout':
      return [`${label}: did not settle within the time bound`];
    case 'foreign':
      return [`${label}: rejected with a non-ImgsizeError: ${o.message}\n${(o.error as Error)?.stack ?? ''}`];
    case 'error':
      return o.code === 'E_INTERNAL' ? [`${label}: E_INTERNAL: ${o.message}\n${(o.error as Error)?.stack ?? ''}`] : [];
    case 'report': {
      const out: string[] = [];
      const parsed = ReportSchema.safeParse(o.report);
      if (!parsed.success) out.push(`${label}: report does not match ReportSchema: ${parsed.error.issues[0]?.message} at ${parsed.error.issues[0]?.path.join('.')}`);
      const s = o.report.summary as { contentBytes: number; visibleBytes: number; overwrittenBytes: number; deletedBytes: number };
      if (s.contentBytes !== s.visibleBytes + s.overwrittenBytes + s.deletedBytes) out.push(`${label}: shipped != visible + overwritten + deleted`);
      return out;
    }
  }
}

/** All invariant violations of a pair of outcomes, including disagreement between the paths. */
export function pairProblems(file: Outcome, stream: Outcome): string[] {
  const out = [...outcomeProblems(file, 'fast path'), ...outcomeProblems(stream, 'stream')];
  if (out.length > 0) return out;
  if (file.kind !== stream.kind) {
    out.push(`paths disagree: fast path ${describe(file)}, stream ${describe(stream)}`);
  } else if (file.kind === 'error' && stream.kind === 'error' && file.code !== stream.code) {
    out.push(`paths disagree: fast path ${describe(file)}, stream ${describe(stream)}`);
  } else if (file.kind === 'report' && stream.kind === 'report') {
    const a = JSON.stringify(normalizeReport(file.report));
    const b = JSON.stringify(normalizeReport(stream.report));
    if (a !== b) out.push(`paths give different reports:\n  fast:   ${firstDiff(a, b)}\n  stream: ${firstDiff(b, a)}`);
  }
  return out;
}

export function describe(o: Outcome): string {
  switch (o.kind) {
    case 'report':
      return 'a report';
    case 'error':
      return `${o.code} (${o.message})`;
    case 'foreign':
      return `non-ImgsizeError ${o.message}`;
    case 'timeout':
      return 'timeout';
  }
}

function firstDiff(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `…${a.slice(Math.max(0, i - 80), i + 120)}…`;
}
