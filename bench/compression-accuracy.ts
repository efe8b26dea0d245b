/**
 * Measures the compression sampler against real `gzip -6`, per layer and per image, for a
 * docker-save archive (uncompressed archive file; layer blobs plain, gzip or zstd):
 *
 *   tsx bench/compression-accuracy.ts image.tar [--zlib] [--json]
 *
 * For every layer it prints the uncompressed tar size, the bytes the sampler read, the estimate,
 * the real gzip -6 size of the uncompressed layer tar (the `gzip` CLI with -6 -n, or Node's zlib at
 * level 6 with --zlib or when no `gzip` is on PATH) and the error; then the image totals.
 * BENCHMARKS.md records its output. Real gzip sizes are cached beside the archive
 * (`<archive>.gzip-sizes.json`, keyed by layer name, size and compressor): gzip -6 over a 15 GB
 * image takes minutes, and the sizes depend only on the bytes.
 */
import { spawn } from 'node:child_process';
import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { decompressIterable, sniff } from '../packages/core/src/codec.js';
import { DockerSaveManifest } from '../packages/core/src/image-schemas.js';
import { parseJsonDocument } from '../packages/core/src/image-config.js';
import type { LayerScanPlugin } from '../packages/core/src/layer-scan.js';
import type { ScannedEntry } from '../packages/core/src/model.js';
import { openDockerArchive } from '../packages/core/src/sources/docker-archive.js';
import { walkTarRegion } from '../packages/core/src/tar/positional-walker.js';
import { cleanPath, parentPath } from '../packages/core/src/paths.js';
import { createCompressionSampler } from '../packages/core/src/attribution/compressed-size.js';

/** Accuracy of one layer. */
export interface LayerAccuracy {
  index: number;
  tarBytes: number;
  contentBytes: number;
  sampledBytes: number;
  estimatedBytes: number;
  gzipBytes: number;
  /** estimated / real − 1. */
  error: number;
}

/** Accuracy of one image: its layers and the totals. */
export interface ImageAccuracy {
  archive: string;
  compressor: 'gzip -6 -n' | 'zlib level 6';
  layers: LayerAccuracy[];
  tarBytes: number;
  contentBytes: number;
  sampledBytes: number;
  estimatedBytes: number;
  gzipBytes: number;
  error: number;
}

interface Member {
  offset: number;
  size: number;
}

/** Lists the archive's members (regular files and symlinks) without reading payloads. */
async function listMembers(fh: FileHandle, size: number): Promise<{ files: Map<string, Member>; links: Map<string, string> }> {
  const files = new Map<string, Member>();
  const links = new Map<string, string>();
  await walkTarRegion(fh, 0, size, {
    entry(h) {
      const p = cleanPath(h.name);
      if (h.type === 'file') files.set(p, { offset: h.offset, size: h.size });
      else if ((h.type === 'symlink' || h.type === 'hardlink') && h.linkname !== undefined) {
        links.set(p, h.type === 'hardlink' || h.linkname.startsWith('/') ? cleanPath(h.linkname) : cleanPath(`${parentPath(p)}/${h.linkname}`));
      }
      return null;
    },
  });
  return { files, links };
}

async function* readRegion(fh: FileHandle, m: Member): AsyncGenerator<Buffer> {
  const chunk = 1 << 20;
  for (let off = 0; off < m.size; off += chunk) {
    const n = Math.min(chunk, m.size - off);
    const buf = Buffer.allocUnsafe(n);
    const { bytesRead } = await fh.read(buf, 0, n, m.offset + off);
    if (bytesRead !== n) throw new Error('unexpected end of archive');
    yield buf;
  }
}

/** Bytes the sampler asks for in a layer: `want` depends only on the entry sequence, so replay it. */
function sampledBytes(entries: readonly ScannedEntry[], tarBytes: number): number {
  const p: LayerScanPlugin = createCompressionSampler();
  p.begin?.({ tarBytes });
  let n = 0;
  entries.forEach((e, i) => {
    if (e.type !== 'file' || e.size === 0) return;
    for (const [a, b] of p.want(e, i) ?? []) n += b - a;
  });
  return n;
}

/** Compressed size of a byte stream with `gzip -6 -n` (or zlib level 6). */
async function gzipSize(source: AsyncIterable<Buffer>, useCli: boolean): Promise<number> {
  if (!useCli) {
    const gz = createGzip({ level: 6 });
    let n = 0;
    gz.on('data', (c: Buffer) => (n += c.length));
    const done = new Promise<void>((resolve, reject) => {
      gz.on('end', resolve);
      gz.on('error', reject);
    });
    for await (const c of source) if (!gz.write(c)) await new Promise((r) => gz.once('drain', r));
    gz.end();
    await done;
    return n;
  }
  const child = spawn('gzip', ['-6', '-n', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let n = 0;
  child.stdout.on('data', (c: Buffer) => (n += c.length));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`gzip exited with ${code}`))));
  });
  child.stdin.on('error', () => undefined);
  for await (const c of source) if (!child.stdin.write(c)) await new Promise((r) => child.stdin.once('drain', r));
  child.stdin.end();
  await exited;
  return n;
}

async function hasGzipCli(): Promise<boolean> {
  return new Promise((resolve) => {
    const c = spawn('gzip', ['--version'], { stdio: 'ignore' });
    c.on('error', () => resolve(false));
    c.on('close', (code) => resolve(code === 0));
  });
}

/** Runs the sampler on every layer of the archive and compares it with real gzip -6. */
export async function measureCompressionAccuracy(archive: string, opts: { zlib?: boolean } = {}): Promise<ImageAccuracy> {
  const useCli = !opts.zlib && (await hasGzipCli());
  const image = await openDockerArchive(archive).load({ scan: { plugins: [() => createCompressionSampler()] } });
  const fh = await open(archive, 'r');
  try {
    const st = await fh.stat();
    const head = Buffer.alloc(Math.min(512, st.size));
    await fh.read(head, 0, head.length, 0);
    if (sniff(head) !== 'tar') throw new Error(`${archive}: give an uncompressed docker-save archive (gunzip it first)`);
    const { files, links } = await listMembers(fh, st.size);
    const resolve = (p: string): Member | undefined => {
      let q = cleanPath(p);
      for (let hop = 0; hop < 16; hop++) {
        const f = files.get(q);
        if (f) return f;
        const l = links.get(q);
        if (l === undefined) return undefined;
        q = l;
      }
      return undefined;
    };
    const manifestMember = resolve('manifest.json');
    if (!manifestMember) throw new Error(`${archive}: no manifest.json`);
    const manifestBytes: Buffer[] = [];
    for await (const c of readRegion(fh, manifestMember)) manifestBytes.push(c);
    const manifest = parseJsonDocument(DockerSaveManifest, Buffer.concat(manifestBytes), 'manifest.json');
    const entry = manifest[0]!;
    const layers: LayerAccuracy[] = [];
    const cacheFile = `${archive}.gzip-sizes.json`;
    const cache: Record<string, number> = await readFile(cacheFile, 'utf8').then((t) => JSON.parse(t) as Record<string, number>, () => ({}));
    // A layer scanned several times (the same blob listed twice) reuses the first layer's plugin.
    for (const [i, name] of entry.Layers.entries()) {
      const m = resolve(name);
      if (!m) throw new Error(`${archive}: layer ${name} not found`);
      const blobHead = Buffer.alloc(Math.min(512, m.size));
      await fh.read(blobHead, 0, blobHead.length, m.offset);
      const kind = sniff(blobHead);
      const key = `${name} ${m.size} ${useCli ? 'gzip -6 -n' : 'zlib 6'}`;
      let gz = cache[key];
      if (gz === undefined) {
        const raw = readRegion(fh, m);
        const tarStream = kind === 'gzip' || kind === 'zstd' ? decompressIterable(raw, kind) : raw;
        gz = cache[key] = await gzipSize(tarStream, useCli);
        await writeFile(cacheFile, JSON.stringify(cache, null, 1));
      }
      const scan = image.layers[i]!.scan;
      const est = scan.estimatedCompressedBytes ?? 0;
      layers.push({
        index: i,
        tarBytes: scan.tarBytes,
        contentBytes: scan.contentBytes,
        sampledBytes: sampledBytes(scan.entries, m.size),
        estimatedBytes: Math.round(est),
        gzipBytes: gz,
        error: gz > 0 ? est / gz - 1 : 0,
      });
    }
    const sum = (f: (l: LayerAccuracy) => number): number => layers.reduce((s, l) => s + f(l), 0);
    const gzipBytes = sum((l) => l.gzipBytes);
    const estimatedBytes = sum((l) => l.estimatedBytes);
    return {
      archive,
      compressor: useCli ? 'gzip -6 -n' : 'zlib level 6',
      layers,
      tarBytes: sum((l) => l.tarBytes),
      contentBytes: sum((l) => l.contentBytes),
      sampledBytes: sum((l) => l.sampledBytes),
      estimatedBytes,
      gzipBytes,
      error: gzipBytes > 0 ? estimatedBytes / gzipBytes - 1 : 0,
    };
  } finally {
    await fh.close();
  }
}

/** Renders the result as a plain-text table. */
export function formatAccuracy(a: ImageAccuracy): string {
  const mb = (n: number): string => (n / 1e6).toFixed(2);
  const pct = (n: number): string => `${n >= 0 ? '+' : ''}${(n * 100).toFixed(2)}%`;
  const rows = [['layer', 'tar MB', 'read % of content', 'estimate MB', `${a.compressor} MB`, 'error']];
  for (const l of a.layers) {
    rows.push([String(l.index), mb(l.tarBytes), ((l.sampledBytes / Math.max(1, l.contentBytes)) * 100).toFixed(2), mb(l.estimatedBytes), mb(l.gzipBytes), pct(l.error)]);
  }
  rows.push(['image', mb(a.tarBytes), ((a.sampledBytes / Math.max(1, a.contentBytes)) * 100).toFixed(2), mb(a.estimatedBytes), mb(a.gzipBytes), pct(a.error)]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return [`${a.archive}`, ...rows.map((r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '))].join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { zlib: { type: 'boolean' }, json: { type: 'boolean' } } });
  if (positionals.length === 0) {
    process.stderr.write('usage: tsx bench/compression-accuracy.ts <docker-save.tar>... [--zlib] [--json]\n');
    process.exitCode = 2;
    return;
  }
  const results: ImageAccuracy[] = [];
  for (const p of positionals) results.push(await measureCompressionAccuracy(p, { zlib: values.zlib === true }));
  if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else process.stdout.write(`${results.map(formatAccuracy).join('\n\n')}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
