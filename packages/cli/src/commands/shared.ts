/**
 * Helpers every command shares: the output option table and where each format goes (stdout or a
 * file), `--top`/`--bandwidth` parsing, reading a saved report or analysing a source (`diff` sides,
 * `analyze --baseline`, `analyze report.json`), and reading/writing files with clear errors.
 */
import { open, readFile, writeFile } from 'node:fs/promises';
import {
  analyzeImage,
  dockerfileBaseHint,
  ImgsizeError,
  looksLikeJson,
  openDockerArchive,
  openSource,
  parseSavedReport,
  seekablePath,
  type ImageSource,
  type LoadedImage,
  type LayerCache,
  type CategoryRule,
  type GpuTarget,
  type Limits,
  type OpenSourceOptions,
  type PullProfile,
  type Report,
} from '@imgsize/core';
import { defineOptions } from '../args.js';
import { UsageError } from '../cli-error.js';
import { formatBytes, parseBandwidth } from '../format.js';
import { isStdinRef, openInput, stdinBytes } from '../open-input.js';
import { createProgress } from '../progress.js';
import type { CommandContext } from './command.js';

/** Output formats; `html` only to a file. */
export const FORMATS = ['terminal', 'json', 'markdown', 'html'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** One output of a run: a format and where it goes (`undefined` path: stdout). */
export interface OutputTarget {
  format: OutputFormat;
  path?: string | undefined;
}

/** The output flags `analyze` and `diff` share. */
export const OUTPUT_OPTIONS = defineOptions({
  json: { type: 'boolean', help: 'print the JSON report (same as --format json)' },
  format: { type: 'string', arg: '<f>', help: 'terminal (default) | json | markdown (GitHub comment, < 64 KB)' },
  output: {
    type: 'string',
    short: 'o',
    multiple: true,
    arg: '<f>[=<file>]',
    help: 'write format f to a file (syft style, repeatable): -o json=report.json -o markdown=pr.md;\nwithout =<file> it goes to stdout; f is terminal, json, markdown or html',
  },
  html: { type: 'string', arg: '<file>', help: 'also write a self-contained HTML report (same as -o html=<file>)' },
  top: { type: 'string', arg: '<n>', help: 'rows per list (default 10 terminal, 25 markdown)' },
  bandwidth: { type: 'string', arg: '<bw>', help: 'for pull-time estimates, e.g. 1Gbps (default), 200Mbps, 50MB/s' },
});

function parseFormat(f: string, flag: string): OutputFormat {
  const found = FORMATS.find((x) => x === f);
  if (!found) throw new UsageError(`unknown ${flag} format "${f}" (${FORMATS.join(', ')})`);
  return found;
}

/**
 * Where each requested format goes: `--json`/`--format` (stdout), `-o f[=file]`, `--html file`.
 * Two different formats for stdout (e.g. `--json --format markdown`) are a usage error; no output
 * flag at all means the terminal view on stdout.
 */
export function outputTargets(v: { json?: boolean | undefined; format?: string | undefined; output?: string[] | undefined; html?: string | undefined }): OutputTarget[] {
  const out: OutputTarget[] = [];
  if (v.format !== undefined) {
    const f = parseFormat(v.format, '--format');
    if (f === 'html') throw new UsageError('--format html: html goes to a file (--html <file> or -o html=<file>)');
    if (v.json && f !== 'json') throw new UsageError(`--json and --format ${f} ask for two formats on stdout: keep one (or write one to a file with -o ${f}=<file>)`);
    out.push({ format: f });
  } else if (v.json) out.push({ format: 'json' });
  for (const o of v.output ?? []) {
    const i = o.indexOf('=');
    const format = parseFormat(i < 0 ? o : o.slice(0, i), '-o');
    const path = i < 0 ? undefined : o.slice(i + 1);
    if (path === '') throw new UsageError(`-o ${o}: the file name after = is empty`);
    if (format === 'html' && path === undefined) throw new UsageError('-o html needs a file: -o html=<file>');
    out.push({ format, path: path === '-' ? undefined : path });
  }
  if (v.html !== undefined) out.push({ format: 'html', path: v.html });
  const toStdout = out.filter((t) => t.path === undefined);
  if (toStdout.length > 1 && new Set(toStdout.map((t) => t.format)).size > 1) {
    throw new UsageError(`${toStdout.map((t) => t.format).join(' and ')} would all go to stdout: give all but one a file (-o <f>=<file>)`);
  }
  const unique = out.filter((t, i) => out.findIndex((u) => u.format === t.format && u.path === t.path) === i);
  // `--html` alone is "also": the terminal view still goes to stdout. With -o, only what was asked.
  if (v.format === undefined && !v.json && (v.output ?? []).length === 0) unique.unshift({ format: 'terminal' });
  return unique;
}

/** Writes `text` to an output target: stdout, or the file (E_IO naming it), saying so on stderr. */
export async function writeOutput(t: OutputTarget, text: string, ctx: CommandContext): Promise<void> {
  if (t.path === undefined) {
    ctx.stdout.write(text);
    return;
  }
  await writeOutputFile(t.path, text, `${t.format} report`, ctx);
}

/** `--top` as a whole number ≥ 1. */
export function parseTop(v: unknown, fallback: number): number {
  const top = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(top) || top < 1) throw new UsageError('--top takes a whole number ≥ 1');
  return top;
}

/** `--bandwidth` in bits per second; a malformed value is a usage error. */
export function parseBandwidthOption(v: string): number {
  try {
    return parseBandwidth(v);
  } catch (e) {
    throw new ImgsizeError('E_USAGE', `--bandwidth: ${(e as Error).message}`, { hint: 'a positive rate such as 1Gbps, 200Mbps or 50MB/s' });
  }
}

export interface ReportInput {
  report: Report;
  origin: 'analyzed' | 'saved-report';
}

export interface ReportInputOptions {
  image?: string | undefined;
  bandwidth?: number | undefined;
  /** Add per-path data (`files`) when analysing a source. */
  includeFiles: boolean;
  /** False skips compressed-size sampling (--no-estimate). */
  estimate?: boolean | undefined;
  /** Shown in progress ("before", "baseline"). */
  label?: string | undefined;
  /** How to reach registry / daemon / OCI sources. */
  sourceOptions?: OpenSourceOptions | undefined;
  /** Shared between the two sides of a diff so a common base layer is scanned once. */
  layerCache?: LayerCache | undefined;
  /** Category rules (--rules), default DEFAULT_CATEGORY_RULES. */
  rules?: CategoryRule[] | undefined;
  /** GPU target (--gpu), parsed. */
  gpu?: GpuTarget | undefined;
  /** Resource limit overrides (--limit). */
  limits?: Partial<Limits> | undefined;
  /** Cold-start profile (--pull-profile). */
  pullProfile?: PullProfile | undefined;
  /** The base image (--base): any source; its diffIDs mark the base-image layers. */
  base?: string | undefined;
  /** Without --base: the Dockerfile (--dockerfile) whose FROM names the base image's layers. */
  dockerfile?: { text: string; path: string } | undefined;
}

/** Reads `ref` as a saved analyze report when its content is JSON, else analyses it as an image source. */
export async function loadReportInput(ref: string, ctx: CommandContext, o: ReportInputOptions): Promise<ReportInput> {
  if (!isStdinRef(ref)) return loadFileInput(ref, { name: ref, what: 'report' }, () => openInput(ref, ctx, o.sourceOptions), ctx, o);
  // A regular file on stdin (`- < image.tar`) is read like the file: positionally, the fast path.
  const path = ctx.stdinFd === undefined ? undefined : seekablePath(ctx.stdinFd);
  if (path !== undefined) return loadFileInput(path, { name: 'stdin', what: 'report on stdin' }, () => openDockerArchive(path, { name: 'stdin' }), ctx, o);
  const { head, rest } = await peek(stdinBytes(ctx));
  if (looksLikeJson(head)) {
    const chunks: Buffer[] = [];
    for await (const c of rest) chunks.push(Buffer.from(c));
    return { report: parseSavedReport(Buffer.concat(chunks).toString('utf8'), 'stdin'), origin: 'saved-report' };
  }
  return { report: await analyzeSource(openSource('-', { ...o.sourceOptions, stdin: rest }), ctx, o), origin: 'analyzed' };
}

/** A file (or what stdin redirects from): a saved report when it starts like JSON, else the source `open` makes. */
async function loadFileInput(path: string, label: { name: string; what: string }, open: () => ImageSource, ctx: CommandContext, o: ReportInputOptions): Promise<ReportInput> {
  const head = await readHead(path);
  if (head && looksLikeJson(head)) return { report: parseSavedReport(await readTextFile(path, label.what), label.name), origin: 'saved-report' };
  return { report: await analyzeSource(open(), ctx, o), origin: 'analyzed' };
}

/** Analyses a source with progress on stderr; `includeFiles` adds the per-path rows in the same pass. */
export async function analyzeSource(source: ImageSource, ctx: CommandContext, o: ReportInputOptions): Promise<Report> {
  const progress = createProgress(ctx);
  const label = o.label;
  try {
    return await analyzeImage(source, {
      signal: ctx.signal,
      onProgress: label ? (p) => progress.update({ ...p, layer: `${label}${p.layer ? ` ${p.layer}` : ''}` }) : progress.update,
      image: o.image,
      layerCache: o.layerCache,
      rules: o.rules,
      limits: o.limits,
      includeFiles: o.includeFiles,
      gpu: o.gpu,
      ...(o.base !== undefined
        ? { base: openInput(o.base, ctx, o.sourceOptions) }
        : o.dockerfile !== undefined && { base: (img: LoadedImage) => dockerfileBaseHint(img, o.dockerfile!.text, o.dockerfile!.path) }),
      ...(o.estimate === false && { estimate: false }),
      ...(o.bandwidth !== undefined && { bandwidthBitsPerSecond: o.bandwidth }),
      ...(o.pullProfile !== undefined && { pullProfile: o.pullProfile }),
    });
  } finally {
    progress.done();
  }
}

/** Reads a whole text file; a missing or unreadable file is E_IO naming what it was for. */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ImgsizeError('E_IO', `reading ${what} ${path}: ${why}`, { cause: e });
  }
}

/** Writes a report file (E_IO naming it when that fails) and says so on stderr. */
export async function writeOutputFile(path: string, text: string, what: string, ctx: CommandContext): Promise<void> {
  try {
    await writeFile(path, text, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ImgsizeError('E_IO', `writing ${what} ${path}: ${why}`, { cause: e });
  }
  if (!ctx.quiet) ctx.stderr.write(`imgsize: wrote ${path} (${formatBytes(Buffer.byteLength(text))})\n`);
}

/** First bytes of a regular file, or undefined when it cannot be opened (the source opener reports that). */
async function readHead(path: string): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
    if (!(await fh.stat()).isFile()) return undefined;
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fh.read(buf, 0, 64, 0);
    return buf.subarray(0, bytesRead);
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}

/** Reads the first chunk of a stream and gives back a stream that replays it. */
async function peek(stream: AsyncIterable<Buffer>): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : asBuffer(first.value);
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield asBuffer(n.value);
      }
    } finally {
      await it.return?.();
    }
  }
  return { head, rest: rest() };
}

/**
 * A stream chunk as a Buffer, without copying it: `Buffer.from(buffer)` copies, and on the stream
 * path that copy of every stdin chunk cost more than the whole analysis (28% of the CPU profile,
 * and the fresh allocations' page faults most of the system time; BENCHMARKS.md §4).
 */
function asBuffer(v: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  return typeof v === 'string' ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
