/**
 * `imgsize calibrate`: measures this machine's rates for the cold-start model and returns them
 * as a pull profile (the CLI stores it in the XDG config dir). I/O, not pure: it reads sample
 * files from /usr, runs zlib and the `zstd` command, and writes files under `dir`.
 *
 * - gzip: GNU `gzip -t` of a gzip -6 stream of the sample (its start-up subtracted), uncompressed
 *   bytes out per second: the stand-in for the engines' Go compress/gzip, which has no SIMD and
 *   inflates at less than half of Node's zlib (BENCHMARKS.md §7); zlib's own rate where the
 *   command is missing.
 * - zstd: `zstd -d` of a zstd -3 stream of the sample (the command's own start-up subtracted).
 * - write: an unpacker's serial work per byte: sha256 (the diffID check; `sha256sum`'s rate, as
 *   the engines' Go < 1.21 digests use no SHA-NI) + writing files of the sample's sizes into `dir`; per entry: creating, chmod-ing and timestamping small files (the
 *   best of 8 batches).
 * - ingest: a blob stored while it is fetched: its digest + its write to one file in `dir`, fsync'd.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync, chmodSync, utimesSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ImgsizeError } from '../errors.js';
import { BUILTIN_PULL_PROFILES, type PullProfile } from './profile.js';
import { BUILDKIT_ZSTD_LEVEL } from './zstd-size.js';

/** Options of a calibration run. */
export interface CalibrateOptions {
  /** Directory to measure file writes in (the disk images unpack to; default the OS temp dir). */
  dir: string;
  /** Bytes of sample content (default 64 MiB). */
  sampleBytes?: number | undefined;
  /** Small files created for the per-entry cost (default 4000). */
  entries?: number | undefined;
  /** Base profile for the fields calibration does not measure (default `docker`). */
  base?: PullProfile | undefined;
  /** Where the sample is read from (default /usr/lib, /usr/share, /usr/bin). */
  sampleRoots?: readonly string[] | undefined;
  onProgress?: ((step: string) => void) | undefined;
}

/** The measured rates, next to the profile built from them. */
export interface CalibrationResult {
  profile: PullProfile;
  measured: {
    /** Node's zlib (SIMD inflate), in 1 MiB members. */
    gzipInflateBytesPerSecond: number;
    /** GNU `gzip -t`: the rate used for the engines' Go inflate; null without the command. */
    gzipCommandBytesPerSecond: number | null;
    zstdDecompressBytesPerSecond: number | null;
    sha256BytesPerSecond: number;
    fileWriteBytesPerSecond: number;
    /** sha256sum (coreutils, no SHA-NI): the digest rate used for the engines; null without the command. */
    sha256sumBytesPerSecond: number | null;
    /** Compressed bytes per second written to one fsync'd file (a blob into a store). */
    blobWriteBytesPerSecond: number;
    /** The blob write and its digest together: the store's rate while fetching. */
    ingestBytesPerSecond: number;
    perEntrySeconds: number;
    sampleBytes: number;
    gzipRatio: number;
  };
}

const MiB = 1024 * 1024;

/** Below this many cores, a calibrated profile runs each layer's inflate and unpack in turn (see calibrate()). */
export const SERIAL_BELOW_CORES = 3;

/** Reads up to `limit` bytes of real files (libraries, binaries, text) as a representative layer sample. */
export function collectSample(roots: readonly string[], limit: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  const walk = (dir: string, depth: number, cap: number): void => {
    if (total >= cap || depth > 6) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (total >= cap) return;
      const p = join(dir, n);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p, depth + 1, cap);
      else if (st.isFile() && st.size > 0 && st.size <= 16 * MiB) {
        try {
          const b = readFileSync(p);
          const take = b.subarray(0, Math.min(b.length, cap - total));
          parts.push(take);
          total += take.length;
        } catch {
          // unreadable: skip
        }
      }
    }
  };
  // An equal share from each root, so the sample mixes machine code and text.
  const per = Math.ceil(limit / Math.max(1, roots.length));
  for (const r of roots) walk(r, 0, Math.min(limit, total + per));
  if (total < limit) walk('/usr', 0, limit);
  return Buffer.concat(parts, total);
}

/** Best of `n` timings of `f` (seconds): the machine's rate, not its noise. */
function best(n: number, f: () => void): number {
  let b = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    b = Math.min(b, (performance.now() - t0) / 1000);
  }
  return b;
}

/**
 * Bytes per second a command processes `input` at (`cmd ...args file`, best of 3), its start-up
 * (the same on `empty`) subtracted; null when the command is missing, fails on `empty`, or its
 * output there fails `check`. The files live in `work` only while timed.
 */
function commandRate(
  work: string,
  cmd: string,
  args: readonly string[],
  input: Buffer,
  empty: Buffer,
  bytes: number,
  check: (stdout: string) => boolean = () => true,
): number | null {
  const inFile = join(work, `${cmd}.in`);
  const emptyFile = join(work, `${cmd}.empty`);
  writeFileSync(inFile, input);
  writeFileSync(emptyFile, empty);
  try {
    const probe = spawnSync(cmd, [...args, emptyFile], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0 || !check(probe.stdout)) return null;
    const run = (f: string) => () => spawnSync(cmd, [...args, f], { stdio: 'ignore' });
    const t = best(3, run(inFile)) - best(3, run(emptyFile));
    return t > 0 ? bytes / t : null;
  } finally {
    rmSync(inFile);
    rmSync(emptyFile);
  }
}

/** Measures this machine and returns a calibrated profile (see the module comment). */
export function calibrate(options: CalibrateOptions): CalibrationResult {
  const limit = options.sampleBytes ?? 64 * MiB;
  const progress = options.onProgress ?? (() => {});
  const base = options.base ?? BUILTIN_PULL_PROFILES.docker!;
  progress('reading a sample of /usr');
  const sample = collectSample(options.sampleRoots ?? ['/usr/lib', '/usr/share', '/usr/bin'], limit);
  if (sample.length < MiB) throw new ImgsizeError('E_IO', `calibrate: could only read ${sample.length} bytes of sample files`);

  progress('gzip inflate (zlib)');
  // In 1 MiB members: one gunzipSync of the whole sample times page faults too, as an output over
  // glibc's 32 MiB mmap ceiling is fresh memory on every call (157 against 450 MB/s for the same
  // content here, BENCHMARKS.md §7). An engine inflates into small reused buffers.
  const members: Buffer[] = [];
  for (let off = 0; off < sample.length; off += MiB) members.push(gzipSync(sample.subarray(off, off + MiB), { level: 6 }));
  const tGzip = best(3, () => {
    for (const m of members) gunzipSync(m);
  });
  // The members back to back are one gzip stream (RFC 1952 allows many): the blob and gzip -t input.
  const gz = Buffer.concat(members);

  let zstdRate: number | null = null;
  const work = mkdtempSync(join(options.dir, 'imgsize-calibrate-'));
  try {
    // dockerd and containerd inflate with Go's compress/gzip (unless unpigz is on PATH): 2-2.5×
    // slower than Node's zlib here. GNU gzip has no SIMD either: its rate stands in (-t inflates
    // and checks without writing; its start-up, timed on an empty stream, subtracted).
    progress("gzip -t (the engines' inflate)");
    const gzipCommandRate = commandRate(work, 'gzip', ['-t', '-q'], gz, gzipSync(Buffer.alloc(0)), sample.length);

    progress('zstd decompress');
    const c = spawnSync('zstd', [`-${BUILDKIT_ZSTD_LEVEL}`, '-q', '-c', '--no-progress'], { input: sample, maxBuffer: sample.length * 2 });
    if (!c.error && c.status === 0) {
      // -t decompresses (and checks) without writing: the decoder's own rate.
      const empty = spawnSync('zstd', ['-q', '-c'], { input: Buffer.alloc(0) }).stdout;
      zstdRate = commandRate(work, 'zstd', ['-t', '-q'], c.stdout, empty, sample.length);
    }

    progress('sha256 (diffID check)');
    const tSha = best(3, () => createHash('sha256').update(sample).digest());

    // The engines hash with Go's crypto/sha256, which uses SHA-NI only from Go 1.21; dockerd 20.10
    // and containerd 1.6 as distributions ship them are older. OpenSSL (above) uses SHA-NI where
    // the CPU has it, 3-4× faster (BENCHMARKS.md §7). coreutils' sha256sum is plain C: where it is
    // on PATH (and not linked to OpenSSL) its rate stands in for the engines' digests.
    progress('sha256 without SHA-NI (sha256sum)');
    // The probe of the empty input must print the known digest (a stand-in that is not sha256sum is no use).
    const sumRate = commandRate(work, 'sha256sum', [], sample, Buffer.alloc(0), sample.length, (out) =>
      out.startsWith('e3b0c44298fc1c149afbf4c8996fb924'),
    );

    progress(`blob writes in ${options.dir}`);
    // What an engine does with each blob while fetching it: append it to one file in its store
    // (containerd's content store, dockerd's temp file), fsync'd at commit, and digest it (the
    // rate above). The gzip stream of the sample stands in for a blob; the best of 3.
    const blob = join(work, 'blob');
    const tBlob = best(3, () => {
      const fd = openSync(blob, 'w');
      for (let off = 0; off < gz.length; off += MiB) writeSync(fd, gz, off, Math.min(MiB, gz.length - off));
      fsyncSync(fd);
      closeSync(fd);
      rmSync(blob);
    });

    progress(`file writes in ${options.dir}`);
    // Write the sample as files of the sizes a layer holds (1 MiB pieces), then fsync each, as
    // the kernel must eventually write them; the best of 2 rounds.
    const files = join(work, 'files');
    const tWrite = best(2, () => {
      rmSync(files, { recursive: true, force: true });
      mkdirSync(files);
      const fds: number[] = [];
      for (let off = 0, i = 0; off < sample.length; off += MiB, i++) {
        const fd = openSync(join(files, `f${i}`), 'w');
        writeSync(fd, sample, off, Math.min(MiB, sample.length - off));
        fds.push(fd);
      }
      for (const fd of fds) {
        fsyncSync(fd);
        closeSync(fd);
      }
    });

    progress('per-entry cost');
    // Small batches, the best one: a single long run averages in the file system's stalls
    // (BENCHMARKS.md §7: 40 µs to 1 ms per entry within minutes on one machine; the cause, e.g. an
    // earlier mass deletion still being processed, is not established).
    const n = options.entries ?? 4000;
    const batches = 8;
    const perBatch = Math.max(1, Math.ceil(n / batches));
    const small = Buffer.alloc(1);
    const entriesDir = join(work, 'entries');
    const when = new Date('2024-01-01T00:00:00Z');
    let batchBest = Infinity;
    for (let b = 0; b < batches; b++) {
      rmSync(entriesDir, { recursive: true, force: true });
      mkdirSync(entriesDir);
      const t0 = performance.now();
      for (let d = 0; d < perBatch / 100; d++) mkdirSync(join(entriesDir, `d${d}`));
      for (let i = 0; i < perBatch; i++) {
        const p = join(entriesDir, `d${Math.floor(i / 100)}`, `f${i}`);
        writeFileSync(p, small);
        chmodSync(p, 0o644);
        utimesSync(p, when, when);
      }
      batchBest = Math.min(batchBest, (performance.now() - t0) / 1000);
    }
    const tEntries = batchBest;

    const zlibRate = sample.length / tGzip;
    const gzipRate = gzipCommandRate ?? zlibRate;
    const shaRate = sample.length / tSha;
    const fileRate = sample.length / tWrite;
    const perEntry = tEntries / perBatch;
    const blobRate = gz.length / tBlob;
    // The engines' digest: sha256sum's rate where measured, else OpenSSL's (then the rates are high).
    const digestRate = sumRate ?? shaRate;
    const ingestRate = 1 / (1 / digestRate + 1 / blobRate);
    // The unpacker's serial work per byte: hash it, then write it.
    const writeRate = 1 / (1 / digestRate + 1 / fileRate);
    // Stages overlap only on free cores. A pull keeps three busy at once: the downloads with their
    // digests and store writes, the inflate → diffID digest (→ dockerd's tar-split) chain, and the
    // tar apply (dockerd's docker-applyLayer process, klauspost zstd's goroutines). With fewer
    // cores they take turns: on 2 cores dockerd applied each big layer no faster than
    // containerd's serial apply (BENCHMARKS.md §7), so the inflate adds to the unpack.
    const cores = cpus().length;
    const decompressConcurrent = cores >= SERIAL_BELOW_CORES ? base.decompressConcurrent : { gzip: false, zstd: false };
    const mb = (x: number): string => `${(x / 1e6).toFixed(0)} MB/s`;
    const profile: PullProfile = {
      ...base,
      name: 'calibrated',
      inflateBytesPerSecond: { gzip: gzipRate, zstd: zstdRate ?? base.inflateBytesPerSecond.zstd },
      decompressConcurrent,
      writeBytesPerSecond: writeRate,
      ingestBytesPerSecond: ingestRate,
      perEntrySeconds: perEntry,
      source:
        `imgsize calibrate ${new Date().toISOString().slice(0, 10)} on this machine: ` +
        (gzipCommandRate === null ? `zlib inflate ${mb(zlibRate)} (no gzip command), ` : `gzip -t ${mb(gzipCommandRate)} (zlib ${mb(zlibRate)}), `) +
        `zstd -d ${zstdRate === null ? 'not measured (no zstd command; default kept)' : mb(zstdRate)}, sha256 ${mb(shaRate)}, ` +
        `sha256sum ${sumRate === null ? 'not measured (the OpenSSL rate used for digests)' : mb(sumRate)}, ` +
        `file writes ${mb(fileRate)} in ${options.dir}, blob writes ${mb(blobRate)}, blob ingest ${mb(ingestRate)}, ${(perEntry * 1e6).toFixed(1)} µs per entry; ` +
        `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs (wall-clock rates: contention lowers them); ` +
        `concurrency and unpack order from the ${base.name} profile` +
        (cores >= SERIAL_BELOW_CORES ? '' : `; inflate and unpack in turn (fewer than ${SERIAL_BELOW_CORES} cores)`),
    };
    return {
      profile,
      measured: {
        gzipInflateBytesPerSecond: zlibRate,
        gzipCommandBytesPerSecond: gzipCommandRate,
        zstdDecompressBytesPerSecond: zstdRate,
        sha256BytesPerSecond: shaRate,
        fileWriteBytesPerSecond: fileRate,
        sha256sumBytesPerSecond: sumRate,
        blobWriteBytesPerSecond: blobRate,
        ingestBytesPerSecond: ingestRate,
        perEntrySeconds: perEntry,
        sampleBytes: sample.length,
        gzipRatio: gz.length / sample.length,
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
