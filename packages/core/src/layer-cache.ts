/**
 * On-disk cache of layer scans, keyed by a layer digest (blob digest or diffID: both name the
 * content, so a scan never goes stale). One gzip'd JSON file per layer and scan variant under
 * `$XDG_CACHE_HOME/imgsize/layers/v3/` (default `~/.cache/imgsize`), named
 * `<hex>.<variant>.<sha256 of the file>.json.gz`. Nothing read back is trusted (issue 16): the
 * file's digest must match its name, the entry must parse (zod), name the key and variant asked
 * for, and hold together (contentBytes = the sum of the file sizes, the entry count, tarBytes no
 * less than the headers and payloads need, captured files match their entries). An entry that
 * fails is reported (W_CACHE_CORRUPT), deleted, and the layer scanned again. Writes are atomic
 * (temp file + rename), so concurrent imgsize runs never see half an entry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { z } from 'zod';
import type { LayerScanOptions } from './layer-scan.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import type { BlobCompression, CapturedFile, LayerScan } from './model.js';
import { EntryTable } from './entry-table.js';
import type { BlobScan, LayerBlobs } from './sources/assemble.js';
import type { TarEntryType } from './tar/types.js';
import { GPU_WARNING_CODES } from './gpu/fatbin.js';
import { VERSION } from './version.js';
import { warning, WARNING_CODES, type ImgsizeWarning } from './warnings.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Bumped whenever the meaning of a cached scan changes; old entries are then ignored. (2: typed warnings, blobSize; 3: integrity; 4: apk, rpm, npm and os-release captured; 5: apt's extended_states captured) */
export const LAYER_CACHE_VERSION = 5;
const KEY_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const MAX_ENTRY_FILE = 1 << 30;

/** One cached layer: its scan plus the digests it was recorded under. */
export interface CachedLayer {
  /** Digest the entry is stored under (blob digest or diffID). */
  key: string;
  diffId?: string | undefined;
  /** Size of the blob as stored (compressed or not). */
  blobSize?: number | undefined;
  /** How the blob was stored. */
  compression?: BlobCompression | undefined;
  scan: LayerScan;
}

/** A cache of layer scans. */
export interface LayerCache {
  readonly dir: string;
  /**
   * Returns the cached scan for `key` (a sha256/sha512 digest) and scan variant, or undefined.
   * An entry that fails its integrity check is dropped, and `onCorrupt` told why.
   */
  get(key: string, variant?: string, onCorrupt?: (why: string) => void): Promise<CachedLayer | undefined>;
  /** Stores a scan; failures to write are swallowed (a cache must never break analysis). */
  put(entry: CachedLayer, variant?: string): Promise<void>;
}

export interface LayerCacheOptions {
  /** Cache directory (default `$XDG_CACHE_HOME/imgsize` or `~/.cache/imgsize`). */
  dir?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

/** The default cache directory: `$XDG_CACHE_HOME/imgsize`, else `~/.cache/imgsize`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'imgsize');
}

/**
 * Names the scan configuration a cached scan was made with, so a scan made with other capture
 * limits or plugins is never served: plugins are named by their `id` and `version`. Returns
 * undefined when the scan cannot be named, and so must not be cached: a plugin without an id or
 * version, or a custom `capture` function (functions have no identity).
 */
export function scanVariant(options: LayerScanOptions | undefined, limits?: Pick<Limits, 'maxMetadataFileBytes'>): string | undefined {
  if (options?.capture) return undefined;
  const parts: string[] = [];
  const maxCapture = options?.maxCaptureBytes ?? limits?.maxMetadataFileBytes;
  if (maxCapture !== undefined && maxCapture !== DEFAULT_LIMITS.maxMetadataFileBytes) parts.push(`maxCapture=${maxCapture}`);
  if (options?.maxCaptureTotal !== undefined) parts.push(`maxCaptureTotal=${options.maxCaptureTotal}`);
  const plugins = options?.plugins ?? [];
  if (plugins.some((p) => !p.id || !p.version)) return undefined;
  if (plugins.length > 0) parts.push(`plugins=${JSON.stringify(plugins.map((p) => [p.id, p.version]))}`);
  if (options?.limits) parts.push(`limits=${JSON.stringify(options.limits)}`);
  return parts.length === 0 ? 'default' : parts.join(';');
}

/**
 * Wraps a source's blob store with a layer cache (go-containerregistry's `cache.Image` shape):
 * a scan is looked up before the blob is read and stored after. The key names the blob's content:
 * its digest, or for a blob known only by path (legacy `docker save`) its diffID, which is the
 * digest of the blob only when the blob is an uncompressed tar: only such entries are used there.
 */
export function cachedBlobs(blobs: LayerBlobs, cache: LayerCache, variant: string, warnings: ImgsizeWarning[]): LayerBlobs {
  return {
    async scan(d, options, signal): Promise<BlobScan> {
      const key = d.digest ?? d.diffId;
      const byDiffId = d.digest === undefined;
      const hit = await cache.get(key, variant, (why) => warnings.push(warning('W_CACHE_CORRUPT', why, d.index)));
      if (hit && hit.compression !== undefined && (hit.diffId === undefined || hit.diffId === d.diffId) && (!byDiffId || hit.compression === 'none')) {
        return { scan: hit.scan, compression: hit.compression, blobSize: hit.blobSize ?? hit.scan.tarBytes };
      }
      const b = await blobs.scan(d, options, signal);
      if (!byDiffId || b.compression === 'none') {
        await cache.put({ key, diffId: d.diffId, blobSize: b.blobSize, compression: b.compression, scan: b.scan }, variant);
      }
      return b;
    },
  };
}

/** A cache that reads `first`, then `second` (copying hits into `first`), and writes both. */
export function chainLayerCaches(first: LayerCache, second: LayerCache): LayerCache {
  return {
    dir: `${first.dir}+${second.dir}`,
    async get(key, variant, onCorrupt) {
      const a = await first.get(key, variant, onCorrupt);
      if (a) return a;
      const b = await second.get(key, variant, onCorrupt);
      if (b) await first.put(b, variant);
      return b;
    },
    async put(entry, variant) {
      await Promise.all([first.put(entry, variant), second.put(entry, variant)]);
    },
  };
}

const ENTRY_TYPES = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo', 'other'] as const satisfies readonly TarEntryType[];

/** [path, type, size, mode, linkTarget|null, csize|null] — compact, most layers have 10^4..10^5 entries. */
const EntryTuple = z.tuple([z.string(), z.enum(ENTRY_TYPES), z.number().int().nonnegative(), z.number().int().nonnegative(), z.string().nullable(), z.number().nonnegative().nullable()]);

const GpuFileRecordSchema = z.object({
  index: z.number().int().nonnegative(),
  fatbinBytes: z.number().int().nonnegative(),
  sections: z.array(z.object({ name: z.string(), size: z.number().int().nonnegative() })),
  archs: z.array(
    z.object({
      kind: z.enum(['sass', 'ptx', 'other']),
      sm: z.number().int().nonnegative(),
      entries: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      uncompressedBytes: z.number().int().nonnegative(),
      compressedEntries: z.number().int().nonnegative(),
    }),
  ),
  problems: z.array(z.object({ code: z.enum(GPU_WARNING_CODES), message: z.string() })).optional(),
});

const CacheFile = z.object({
  format: z.literal('imgsize-layer-cache'),
  version: z.literal(LAYER_CACHE_VERSION),
  imgsize: z.string(),
  key: z.string().regex(KEY_RE),
  variant: z.string(),
  diffId: z.string().regex(KEY_RE).nullable(),
  blobSize: z.number().int().nonnegative().nullable(),
  compression: z.enum(['none', 'gzip', 'zstd']).nullable(),
  scan: z.object({
    tarBytes: z.number().int().nonnegative(),
    contentBytes: z.number().int().nonnegative(),
    estimatedCompressedBytes: z.number().nonnegative().nullable(),
    estimatedZstdBytes: z.number().nonnegative().optional(),
    entryCount: z.number().int().nonnegative(),
    warnings: z.array(z.object({ code: z.enum(WARNING_CODES), message: z.string() })),
    entries: z.array(EntryTuple),
    captured: z.array(z.object({ path: z.string(), content: z.base64(), truncated: z.boolean() })),
    gpu: z.array(GpuFileRecordSchema).optional(),
  }),
});
type CacheFile = z.infer<typeof CacheFile>;

function encode(entry: CachedLayer, variant: string): CacheFile {
  const s = entry.scan;
  return {
    format: 'imgsize-layer-cache',
    version: LAYER_CACHE_VERSION,
    imgsize: VERSION,
    key: entry.key,
    variant,
    diffId: entry.diffId ?? null,
    blobSize: entry.blobSize ?? null,
    compression: entry.compression ?? null,
    scan: {
      tarBytes: s.tarBytes,
      contentBytes: s.contentBytes,
      estimatedCompressedBytes: s.estimatedCompressedBytes ?? null,
      ...(s.estimatedZstdBytes !== undefined && { estimatedZstdBytes: s.estimatedZstdBytes }),
      entryCount: s.entries.length,
      warnings: s.warnings.map((w) => ({ code: w.code, message: w.message })),
      entries: Array.from({ length: s.entries.length }, (_, i) => {
        const t = s.entries;
        return [t.path(i), t.type(i), t.size(i), t.mode(i), t.linkTarget(i) ?? null, t.csize(i) ?? null];
      }),
      captured: s.captured.map((c) => ({ path: c.path, content: c.content.toString('base64'), truncated: c.truncated })),
      ...(s.gpu && { gpu: s.gpu }),
    },
  };
}

function decode(f: CacheFile): CachedLayer {
  const entries = new EntryTable();
  for (const [path, type, size, mode, link, csize] of f.scan.entries) entries.push(path, type, size, mode, link ?? undefined, csize ?? undefined);
  entries.seal();
  const captured: CapturedFile[] = f.scan.captured.map((c) => ({ path: c.path, content: Buffer.from(c.content, 'base64'), truncated: c.truncated }));
  const warnings: ImgsizeWarning[] = f.scan.warnings.map((w) => ({ code: w.code, message: w.message }));
  const scan: LayerScan = { entries, tarBytes: f.scan.tarBytes, contentBytes: f.scan.contentBytes, captured, warnings };
  if (f.scan.estimatedCompressedBytes !== null) scan.estimatedCompressedBytes = f.scan.estimatedCompressedBytes;
  if (f.scan.estimatedZstdBytes !== undefined) scan.estimatedZstdBytes = f.scan.estimatedZstdBytes;
  if (f.scan.gpu) scan.gpu = f.scan.gpu;
  return {
    key: f.key,
    diffId: f.diffId ?? undefined,
    blobSize: f.blobSize ?? undefined,
    compression: f.compression ?? undefined,
    scan,
  };
}

/**
 * Why a parsed entry cannot be a scan of any layer, or undefined when it holds together. A tar
 * spends at least one 512-byte header per entry and pads payloads to 512 bytes.
 */
function inconsistency(f: CacheFile): string | undefined {
  const s = f.scan;
  if (s.entryCount !== s.entries.length) return `it says ${s.entryCount} entries but lists ${s.entries.length}`;
  let content = 0;
  let minTar = 0;
  const fileSizes = new Map<string, number[]>();
  for (const [path, type, size] of s.entries) {
    if (type !== 'file' && size !== 0) return `${JSON.stringify(path)} is a ${type} of ${size} bytes`;
    content += size;
    minTar += 512 + Math.ceil(size / 512) * 512;
    if (type === 'file') {
      const l = fileSizes.get(path);
      if (l) l.push(size);
      else fileSizes.set(path, [size]);
    }
  }
  if (!Number.isSafeInteger(content) || content !== s.contentBytes) return `contentBytes is ${s.contentBytes} but the file sizes add up to ${content}`;
  if (s.tarBytes < minTar) return `tarBytes is ${s.tarBytes}, less than the ${minTar} bytes its entries take`;
  for (const c of s.captured) {
    const len = Buffer.byteLength(c.content, 'base64');
    const ok = (fileSizes.get(c.path) ?? []).some((size) => (c.truncated ? len < size : len === size));
    if (!ok) return `captured file ${JSON.stringify(c.path)} (${len} bytes${c.truncated ? ', truncated' : ''}) matches no file entry`;
  }
  if (f.compression === 'none' && f.blobSize !== null && f.blobSize < s.tarBytes) return `an uncompressed blob of ${f.blobSize} bytes cannot hold ${s.tarBytes} bytes of tar`;
  return undefined;
}

const sha256hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Opens (lazily creates) the layer cache at `dir`. */
export function createLayerCache(options: LayerCacheOptions = {}): LayerCache {
  const dir = options.dir ?? defaultCacheDir(options.env);
  const root = join(dir, 'layers', `v${LAYER_CACHE_VERSION}`);
  /** The entry's directory and the prefix of its file names (`<hex>.<variant>.`). */
  const placeOf = (key: string, variant: string): { dir: string; prefix: string } | undefined => {
    if (!KEY_RE.test(key)) return undefined;
    const [alg, hex] = key.split(':') as [string, string];
    const v = sha256hex(Buffer.from(variant)).slice(0, 12);
    return { dir: join(root, alg, hex.slice(0, 2)), prefix: `${hex}.${v}.` };
  };
  /** The entry in `raw` (the file `name`), or why it cannot be trusted. */
  const check = async (raw: Buffer, name: string, key: string, variant: string, prefix: string): Promise<CachedLayer | string> => {
    if (raw.length > MAX_ENTRY_FILE) return `it is ${raw.length} bytes`;
    const named = name.slice(prefix.length, -'.json.gz'.length);
    if (named !== sha256hex(raw)) return 'its content does not match the digest in its name (truncated or rewritten)';
    let json: unknown;
    try {
      json = JSON.parse((await gunzipAsync(raw)).toString('utf8'));
    } catch {
      return 'it is not gzip\'d JSON';
    }
    const parsed = CacheFile.safeParse(json);
    if (!parsed.success) return 'it is not a layer cache entry of this version';
    if (parsed.data.key !== key) return `it holds the scan of ${parsed.data.key}`;
    if (parsed.data.variant !== variant) return 'it holds a scan made with other options';
    const why = inconsistency(parsed.data);
    return why ?? decode(parsed.data);
  };
  return {
    dir,
    async get(key, variant = 'default', onCorrupt) {
      const place = placeOf(key, variant);
      if (!place) return undefined;
      let names: string[];
      try {
        names = (await readdir(place.dir)).filter((n) => n.startsWith(place.prefix) && n.endsWith('.json.gz'));
      } catch {
        return undefined;
      }
      for (const name of names) {
        const file = join(place.dir, name);
        let raw: Buffer;
        try {
          raw = await readFile(file);
        } catch {
          continue;
        }
        const r = await check(raw, name, key, variant, place.prefix);
        if (typeof r !== 'string') return r;
        onCorrupt?.(`layer cache entry ${key} (${file}) is not trusted: ${r}; it was deleted and the layer scanned again`);
        await rm(file, { force: true }).catch(() => undefined);
      }
      return undefined;
    },
    async put(entry, variant = 'default') {
      const place = placeOf(entry.key, variant);
      if (!place) return;
      let tmp: string | undefined;
      try {
        const body = await gzipAsync(Buffer.from(JSON.stringify(encode(entry, variant))), { level: 1 });
        const name = `${place.prefix}${sha256hex(body)}.json.gz`;
        await mkdir(place.dir, { recursive: true });
        tmp = join(place.dir, `${name}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
        await writeFile(tmp, body, { mode: 0o644 });
        await rename(tmp, join(place.dir, name));
        tmp = undefined;
        // Older entries for the same key and variant (another imgsize version wrote them) go.
        for (const old of await readdir(place.dir)) {
          if (old !== name && old.startsWith(place.prefix) && old.endsWith('.json.gz')) await rm(join(place.dir, old), { force: true });
        }
      } catch {
        if (tmp) await rm(tmp, { force: true }).catch(() => undefined);
      }
    },
  };
}

/** An in-process LayerCache (a Map): shares scans between the analyses of one run, writes nothing. */
export function createMemoryLayerCache(): LayerCache {
  const m = new Map<string, CachedLayer>();
  return {
    dir: ':memory:',
    async get(key, variant = 'default') {
      return m.get(`${variant}\u0000${key}`);
    },
    async put(entry, variant = 'default') {
      m.set(`${variant}\u0000${entry.key}`, entry);
    },
  };
}
