/**
 * Pull profiles: the parameters of the cold-start model (docs/COLD-START.md). A profile is a
 * plain JSON object; built-in ones carry documented defaults with their sources, `imgsize
 * calibrate` writes a measured one to the XDG config dir, and `--pull-profile` picks one and
 * overrides fields (`containerd,bandwidth=10Gbps,concurrency=1`).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ImgsizeError } from '../errors.js';

const Rate = z.number().finite().positive();

/** How a layer's unpack may start relative to the fetches (see docs/COLD-START.md). */
export const UNPACK_START = ['after-layer-fetch', 'after-all-fetched'] as const;
export type UnpackStart = (typeof UNPACK_START)[number];

/** A pull profile: link, concurrency and the per-byte / per-entry costs of this machine. */
export const PullProfileSchema = z
  .object({
    /** Name shown next to every estimate ("docker", "containerd", "calibrated", a file name). */
    name: z.string().min(1),
    /** Link bandwidth shared by all downloads, bit/s. */
    bandwidthBitsPerSecond: Rate,
    /** Downloads in flight at once (0 = unlimited). */
    concurrentDownloads: z.number().int().nonnegative(),
    /** Whether a layer unpacks once its own blob is fetched (Docker, CRI) or once every blob is (`ctr pull`). */
    unpackStart: z.enum(UNPACK_START),
    /** Uncompressed bytes per second one decompressor produces, per layer codec. */
    inflateBytesPerSecond: z.object({ gzip: Rate, zstd: Rate }).strict(),
    /**
     * Per codec: whether its decompressor runs beside the unpacker (its own process or threads:
     * unpigz, klauspost zstd) so a layer takes max(decompress, unpack), or in the unpacker's own
     * goroutine (Go compress/gzip) so it takes decompress + unpack.
     */
    decompressConcurrent: z.object({ gzip: z.boolean(), zstd: z.boolean() }).strict(),
    /** Bytes per second the unpacker writes (tar decode + file writes + diffID digest). */
    writeBytesPerSecond: Rate,
    /** Seconds per tar entry (create, chmod, chown, utimes, overlay bookkeeping). */
    perEntrySeconds: z.number().finite().nonnegative(),
    /**
     * Compressed bytes per second the engine can store while it fetches (each blob is digested and
     * written to the content store or a temp file, and fsync'd at commit, before it is unpacked);
     * the fetch cannot outpace it. Absent: not limited (the built-in profiles).
     */
    ingestBytesPerSecond: Rate.optional(),
    /** Fixed seconds per layer (request round trips, snapshot prepare/commit). */
    perLayerSeconds: z.number().finite().nonnegative(),
    /** Where the numbers come from (a measurement and its date, or the sources of the defaults). */
    source: z.string(),
  })
  .strict();

/** The parameters of the cold-start model. */
export type PullProfile = z.infer<typeof PullProfileSchema>;

/**
 * Defaults shared by the built-in profiles. Sources (docs/COLD-START.md): gzip inflate in Go's
 * compress/gzip ≈ 100 MB/s of output on one core (containerd#13559: a 2.7 GiB layer inflates in
 * ~30 s); zstd decoding 5–8× faster than gzip (facebook/zstd README, klauspost/compress); file
 * writes ≈ 400 MB/s to the page cache with ~20 µs of syscalls per entry (containerd#13559: < 10 s
 * of writes and < 2 s of tar decode for 2.7 GiB).
 */
const COMMON = {
  bandwidthBitsPerSecond: 1e9,
  inflateBytesPerSecond: { gzip: 100e6, zstd: 600e6 },
  // containerd archive/compression: gzip.NewReader in the goroutine that applies the tar unless
  // unpigz is on PATH; klauspost zstd decodes on its own goroutines.
  decompressConcurrent: { gzip: false, zstd: true },
  writeBytesPerSecond: 400e6,
  perEntrySeconds: 20e-6,
  perLayerSeconds: 0.02,
} as const;

/** The built-in profiles (`--pull-profile <name>`). */
export const BUILTIN_PULL_PROFILES: Readonly<Record<string, PullProfile>> = {
  // moby distribution/xfer: max-concurrent-downloads 3; each layer registers after its download
  // and its parent (LayerDownloadManager). dockerd inflates (and digests) the blob itself while
  // chrootarchive's re-exec'd `docker-applyLayer` process unpacks the tar from a pipe: two
  // processes, so gzip runs beside the unpack (BENCHMARKS.md "Cold start" measured it).
  docker: {
    name: 'docker',
    ...COMMON,
    decompressConcurrent: { gzip: true, zstd: true },
    concurrentDownloads: 3,
    unpackStart: 'after-layer-fetch',
    source: 'defaults: dockerd max-concurrent-downloads=3, inflate beside the docker-applyLayer unpacker (moby); rates from containerd#13559 (Go gzip ≈ 100 MB/s, writes ≈ 400 MB/s)',
  },
  // CRI plugin (kubelet): max_concurrent_downloads = 3, layers unpacked in order as they arrive.
  containerd: {
    name: 'containerd',
    ...COMMON,
    concurrentDownloads: 3,
    unpackStart: 'after-layer-fetch',
    source: 'defaults: containerd CRI max_concurrent_downloads=3, in-order unpack; rates from containerd#13559',
  },
  // `ctr image pull` (containerd 1.6): content.Fetch with no limit, then Image.Unpack layer by layer.
  ctr: {
    name: 'ctr',
    ...COMMON,
    concurrentDownloads: 0,
    unpackStart: 'after-all-fetched',
    source: 'defaults: ctr image pull fetches every blob (no limit), then unpacks; rates from containerd#13559',
  },
};

/** The default profile name when nothing was calibrated. */
export const DEFAULT_PULL_PROFILE = 'docker';

/** Where `imgsize calibrate` stores its profile: `$XDG_CONFIG_HOME/imgsize/pull-profile.json`. */
export function calibratedProfilePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'imgsize', 'pull-profile.json');
}

/**
 * Validates a parsed profile document; throws E_BAD_CONFIG naming the first bad field
 * (`where` says which file or option it came from).
 */
export function parsePullProfile(doc: unknown, where: string): PullProfile {
  const r = PullProfileSchema.safeParse(doc);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(profile)';
  throw new ImgsizeError('E_BAD_CONFIG', `invalid pull profile ${where}: field "${field}": ${issue.message.toLowerCase()}`, {
    hint: 'see docs/COLD-START.md for the profile fields',
  });
}

/** Override keys accepted after the profile name, and the profile field each sets. */
const OVERRIDE_KEYS = ['bandwidth', 'concurrency', 'unpack-start', 'gzip', 'zstd', 'gzip-concurrent', 'zstd-concurrent', 'write', 'ingest', 'per-entry', 'per-layer'] as const;

/**
 * Applies `key=value` overrides to a profile (`--pull-profile docker,gzip=250MB/s`). Byte rates
 * and bandwidths are parsed by `parseRate` (bit/s for bandwidth, byte/s for the others);
 * per-entry and per-layer are seconds (`20us`, `0.05s`, `5ms`). Throws E_USAGE naming the key.
 */
export function applyProfileOverrides(
  profile: PullProfile,
  overrides: readonly string[],
  parseRate: { bits: (s: string) => number; bytes: (s: string) => number },
): PullProfile {
  const p: PullProfile = { ...profile, inflateBytesPerSecond: { ...profile.inflateBytesPerSecond }, decompressConcurrent: { ...profile.decompressConcurrent } };
  for (const o of overrides) {
    const eq = o.indexOf('=');
    const key = (eq < 0 ? o : o.slice(0, eq)).trim();
    const value = eq < 0 ? '' : o.slice(eq + 1).trim();
    const bad = (why: string): ImgsizeError =>
      new ImgsizeError('E_USAGE', `--pull-profile: ${key || '(empty)'}: ${why}`, { hint: `override keys: ${OVERRIDE_KEYS.join(', ')}` });
    if (eq < 0 || value === '') throw bad('expected key=value');
    const num = (f: () => number): number => {
      let n: number;
      try {
        n = f();
      } catch (e) {
        throw bad(e instanceof Error ? e.message : String(e));
      }
      if (!Number.isFinite(n) || n <= 0) throw bad(`must be a positive value, got "${value}"`);
      return n;
    };
    switch (key) {
      case 'bandwidth':
        p.bandwidthBitsPerSecond = num(() => parseRate.bits(value));
        break;
      case 'concurrency': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) throw bad(`must be a whole number ≥ 0 (0 = unlimited), got "${value}"`);
        p.concurrentDownloads = n;
        break;
      }
      case 'unpack-start':
        if (!(UNPACK_START as readonly string[]).includes(value)) throw bad(`must be one of ${UNPACK_START.join(', ')}`);
        p.unpackStart = value as UnpackStart;
        break;
      case 'gzip':
      case 'zstd':
        p.inflateBytesPerSecond[key] = num(() => parseRate.bytes(value));
        break;
      case 'gzip-concurrent':
      case 'zstd-concurrent':
        if (value !== 'true' && value !== 'false') throw bad('must be true or false');
        p.decompressConcurrent[key === 'gzip-concurrent' ? 'gzip' : 'zstd'] = value === 'true';
        break;
      case 'write':
        p.writeBytesPerSecond = num(() => parseRate.bytes(value));
        break;
      case 'ingest':
        p.ingestBytesPerSecond = num(() => parseRate.bytes(value));
        break;
      case 'per-entry':
      case 'per-layer': {
        const s = parseSeconds(value);
        if (s === undefined || s < 0) throw bad(`must be a duration ≥ 0 such as 20us, 5ms or 0.1s, got "${value}"`);
        if (key === 'per-entry') p.perEntrySeconds = s;
        else p.perLayerSeconds = s;
        break;
      }
      default:
        throw bad('unknown override key');
    }
  }
  if (overrides.length > 0) p.name = `${profile.name}+${overrides.map((o) => o.split('=')[0]).join('+')}`;
  return p;
}

/** Parses `20us`, `5ms`, `0.1s` or a bare number of seconds. */
export function parseSeconds(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s)?$/.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 's' ? n : unit === 'ms' ? n / 1e3 : n / 1e6;
}
