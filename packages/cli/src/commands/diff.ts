/**
 * `imgsize diff <before> <after>`: each side is an image source (analysed now, with per-path data)
 * or a saved analyze report (`.json`, recognised by its content) → core diffReports → render.
 * Also home of the input helpers `analyze --baseline/--budget` share: reading a saved report or
 * analysing a source, and reading text files with clear errors.
 */
import { open, readFile, writeFile } from 'node:fs/promises';
import {
  analyzeImage,
  diffReports,
  ImgsizeError,
  looksLikeJson,
  openDockerArchive,
  parseSavedReport,
  createMemoryLayerCache,
  type ImageSource,
  type LayerCache,
  type CategoryRule,
  type GpuTarget,
  type Limits,
  type OpenSourceOptions,
  type Report,
} from '@imgsize/core';
import { EXIT_OK, UsageError } from '../cli-error.js';
import { formatBytes, parseBandwidth } from '../format.js';
import { openInput } from '../open-input.js';
import { limitsFrom, SOURCE_HELP, SOURCE_OPTIONS, sourceOptionsFrom } from '../source-options.js';
import { createProgress } from '../progress.js';
import { renderDiffTerminal } from '../render/diff-terminal.js';
import { renderDiffMarkdown } from '../render/markdown.js';
import { renderDiffHtml } from '../render/html/index.js';
import { createStyle } from '../style.js';
import type { CommandContext } from './context.js';

export const DIFF_HELP = `Usage: imgsize diff <before> <after> [options]

Compares two builds of an image. Each side is an image source (a docker-save archive, '-' for
stdin on at most one side) or a saved analyze report (imgsize analyze --json --include-files >
before.json). Saved reports without --include-files data give every section but path changes.

Options:
  --json                 print the diff report (schema: @imgsize/core DiffReportSchema)
  --format <f>           terminal (default) | json | markdown (GitHub comment, < 64 KB)
  --image <repo:tag>     pick one image from archives holding several (both sides)
  --top <n>              rows per list (default 10 terminal, 25 markdown)
  --bandwidth <bw>       for pull-time estimates, e.g. 1Gbps (default), 200Mbps, 50MB/s
  --html <file>          also write a self-contained HTML report (category bars, treemap of changes)
  --quiet                no progress on stderr
  --debug                stack traces for errors

${SOURCE_HELP}`;

export async function runDiff(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = ctx.parse(args, {
    json: { type: 'boolean' },
    format: { type: 'string' },
    image: { type: 'string' },
    top: { type: 'string' },
    bandwidth: { type: 'string' },
    html: { type: 'string' },
    ...SOURCE_OPTIONS,
  });
  if (positionals.length !== 2) throw new UsageError('diff takes exactly two arguments: <before> <after>');
  const [beforeRef, afterRef] = positionals as [string, string];
  if (beforeRef === '-' && afterRef === '-') throw new UsageError("only one side of a diff can be '-' (stdin)");
  const format = values.json ? 'json' : ((values.format as string | undefined) ?? 'terminal');
  if (!['terminal', 'json', 'markdown'].includes(format)) throw new UsageError(`unknown --format "${format}" (terminal, json, markdown)`);
  const top = parseTop(values.top, format === 'markdown' ? 25 : 10);
  const bandwidth = values.bandwidth === undefined ? undefined : parseBandwidthOption(values.bandwidth as string);
  const sourceOptions = await sourceOptionsFrom(values, ctx, [beforeRef, afterRef]);
  const common = { image: values.image as string | undefined, bandwidth, includeFiles: true, sourceOptions, layerCache: createMemoryLayerCache(), limits: limitsFrom(values) };
  const before = await loadReportInput(beforeRef, ctx, { ...common, label: 'before' });
  const after = await loadReportInput(afterRef, ctx, { ...common, label: 'after' });
  const diff = diffReports(before.report, after.report, {
    bandwidthBitsPerSecond: bandwidth,
    before: { ref: beforeRef === '-' ? 'stdin' : beforeRef, origin: before.origin },
    after: { ref: afterRef === '-' ? 'stdin' : afterRef, origin: after.origin },
  });
  if (values.html !== undefined) await writeHtmlReport(values.html as string, renderDiffHtml(diff, before.report, after.report), ctx);
  if (format === 'json') ctx.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
  else if (format === 'markdown') ctx.stdout.write(renderDiffMarkdown(diff, { top }));
  else ctx.stdout.write(renderDiffTerminal(diff, { width: ctx.width, style: createStyle(ctx.stdout as NodeJS.WriteStream), top }));
  return EXIT_OK;
}

/** `--top` as a whole number ≥ 1. */
export function parseTop(v: unknown, fallback: number): number {
  const top = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(top) || top < 1) throw new UsageError('--top takes a whole number ≥ 1');
  return top;
}

export function parseBandwidthOption(v: string): number {
  try {
    return parseBandwidth(v);
  } catch (e) {
    throw new UsageError((e as Error).message);
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
}

/** Reads `ref` as a saved analyze report when its content is JSON, else analyses it as an image source. */
export async function loadReportInput(ref: string, ctx: CommandContext, o: ReportInputOptions): Promise<ReportInput> {
  if (ref === '-') {
    const { head, rest } = await peek(ctx.stdin as unknown as AsyncIterable<Buffer>);
    if (looksLikeJson(head)) {
      const chunks: Buffer[] = [];
      for await (const c of rest) chunks.push(Buffer.from(c));
      return { report: parseSavedReport(Buffer.concat(chunks).toString('utf8'), 'stdin'), origin: 'saved-report' };
    }
    return { report: await analyzeSource(openDockerArchive(rest, { name: 'stdin' }), ctx, o), origin: 'analyzed' };
  }
  const head = await readHead(ref);
  if (head && looksLikeJson(head)) return { report: parseSavedReport(await readTextFile(ref, 'report'), ref), origin: 'saved-report' };
  return { report: await analyzeSource(openInput(ref, ctx, o.sourceOptions), ctx, o), origin: 'analyzed' };
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
      ...(o.bandwidth !== undefined && { bandwidthBitsPerSecond: o.bandwidth }),
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

/** Writes an HTML report to `path` (E_IO naming it when that fails) and says so on stderr. */
export async function writeHtmlReport(path: string, html: string, ctx: CommandContext): Promise<void> {
  try {
    await writeFile(path, html, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ImgsizeError('E_IO', `writing HTML report ${path}: ${why}`, { cause: e });
  }
  if (!ctx.quiet) ctx.stderr.write(`imgsize: wrote ${path} (${formatBytes(Buffer.byteLength(html))})\n`);
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
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield Buffer.from(n.value);
      }
    } finally {
      await it.return?.();
    }
  }
  return { head, rest: rest() };
}
