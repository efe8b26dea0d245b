/**
 * Issue 3's acceptance test, on a REAL image: a Debian bookworm rootfs made with debootstrap from
 * deb.debian.org (no Docker Hub), built on by the test engine (classic builder, host network) with
 * build-essential + python3 + Debian's Python libraries, apt lists left by the install RUN and
 * deleted in a separate, later RUN. Then:
 *  (a) dpkg attribution agrees with an INDEPENDENT computation: the final filesystem exported by
 *      the engine (`docker export`), each package's `/var/lib/dpkg/info/<pkg>[:arch].list` read from
 *      it, every listed path resolved inside the extracted tree (parents through symlinks, the name
 *      not followed), regular files' sizes summed once per package (hardlinks: once per inode);
 *  (b) the findings name the planted mistakes (build tools, late apt-lists cleanup, -dev files);
 *  (c) categories sum to the layer totals;
 *  (d) the compressed-size estimate is within ±10% of the real `gzip -6 -n` size of the image.
 * Both the daemon source and the `docker save` archive are analyzed and must agree.
 *
 * Slow the first time (debootstrap + apt-get install, a few minutes); the rootfs and the saved
 * image are cached in $IMGSIZE_REAL_IMAGE_CACHE (default /var/tmp/imgsize-test), so reruns only
 * load, export and analyze. Skips loudly (one line) when the services, debootstrap or the Debian
 * mirror are unavailable, except under CI=true, where that is a failure.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, afterAll, expect, it } from 'vitest';
import { analyzeImage, openDaemon, openDockerArchive, type Report } from '../../packages/core/src/index.js';
import { describeServices } from '../services/services.js';
import { dockerLoad, dockerOf, followProgress, makeTmp } from '../sources/helpers.js';

const pexec = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const IN_CI = process.env.CI === 'true';
const CACHE = process.env.IMGSIZE_REAL_IMAGE_CACHE ?? '/var/tmp/imgsize-test';

const DOCKERFILE = `FROM scratch
ADD base.tar /
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends build-essential python3 python3-pip python3-six python3-yaml python3-idna
RUN rm -rf /var/lib/apt/lists/*
CMD ["python3"]
`;
const IMAGE_KEY = createHash('sha256').update(`v1\n${DOCKERFILE}`).digest('hex').slice(0, 12);
const TAG = `imgsize-real-debian:${IMAGE_KEY}`;
const SAVED = join(CACHE, `image-${IMAGE_KEY}.tar`);

function say(line: string): void {
  process.stderr.write(`[real-image] ${line}\n`);
}

/** Runs build-base.sh: the rootfs tarball path, or a reason to skip/fail. */
async function baseTarball(): Promise<{ path: string } | { reason: string }> {
  return new Promise((resolve) => {
    execFile('bash', [join(HERE, 'build-base.sh')], { timeout: 1_500_000, env: { ...process.env, IMGSIZE_REAL_IMAGE_CACHE: CACHE } }, (err, stdout, stderr) => {
      if (!err) return resolve({ path: stdout.trim().split('\n').pop()! });
      const code = (err as { code?: number }).code;
      const why = stderr.trim().split('\n').pop() ?? err.message;
      resolve({ reason: code === 4 ? `Debian mirror unreachable: ${why}` : code === 2 ? `debootstrap unavailable: ${why}` : `base rootfs build failed (exit ${code}): ${why}` });
    });
  });
}

/** Streams a directory as a tar (the build context). */
function tarOf(dir: string): NodeJS.ReadableStream {
  const p = spawn('tar', ['-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return p.stdout;
}

/** Pipes a stream into `tar -x -C dir`. */
async function untar(stream: NodeJS.ReadableStream, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const p = spawn('tar', ['--numeric-owner', '-x', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<void>((res, rej) => p.on('close', (c) => (c === 0 ? res() : rej(new Error(`tar -x exit ${c}: ${err}`)))));
  await pipeline(stream, p.stdin);
  await done;
}

/**
 * Resolves `rel` (a clean path without the leading /) inside `root` like a chroot would: symlinks
 * in the parent directories are followed (absolute targets from `root`), the last component is not.
 */
async function resolveInRoot(root: string, rel: string): Promise<string | undefined> {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  const name = parts.pop();
  if (name === undefined) return undefined;
  let cur: string[] = [];
  let queue = parts;
  for (let hops = 0; queue.length > 0; ) {
    const c = queue.shift()!;
    if (c === '..') {
      cur.pop();
      continue;
    }
    const p = join(root, ...cur, c);
    let st;
    try {
      st = await lstat(p);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) return undefined;
      const t = await readlink(p);
      const tp = t.split('/').filter((x) => x !== '' && x !== '.');
      if (t.startsWith('/')) cur = [];
      queue = [...tp, ...queue];
    } else if (st.isDirectory()) cur.push(c);
    else return undefined;
  }
  return join(root, ...cur, name);
}

interface Independent {
  bytes: number;
  files: number;
  /** Of those: the bytes / files a pip RECORD also lists (imgsize gives them to pip: pip > dpkg). */
  pipBytes: number;
  pipFiles: number;
}

/** `dev:ino` of the regular file `rel` names inside `root`, with its size; undefined otherwise. */
async function regularFile(root: string, rel: string): Promise<{ id: string; size: number } | undefined> {
  const p = await resolveInRoot(root, rel);
  if (!p) return undefined;
  const st = await lstat(p).catch(() => undefined);
  return st?.isFile() ? { id: `${st.dev}:${st.ino}`, size: st.size } : undefined;
}

/** First CSV field of each RECORD row (the path; "" escapes a quote). */
function recordPaths(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => (l.startsWith('"') ? /^"((?:[^"]|"")*)"/.exec(l)?.[1]?.replace(/""/g, '"') ?? '' : l.split(',')[0]!))
    .filter((p) => p !== '');
}

/**
 * Per dpkg package (list file name without `.list`): the sizes of the regular files it lists,
 * each file once (by inode). Also which of them a pip `*.dist-info/RECORD` lists: Debian ships
 * RECORD files for some python3-* packages, and imgsize's documented priority (pip > conda > dpkg)
 * hands those files to the pip distribution.
 */
async function independentDpkg(root: string): Promise<Map<string, Independent>> {
  const info = join(root, 'var/lib/dpkg/info');
  const lists = new Map<string, string[]>();
  for (const f of (await readdir(info)).filter((x) => x.endsWith('.list')).sort()) {
    lists.set(f.slice(0, -'.list'.length), (await readFile(join(info, f), 'utf8')).split('\n').filter((l) => l !== '' && l !== '/.'));
  }
  // Files that pip RECORDs list (RECORDs anywhere in the final filesystem: find them with find(1)).
  const pipOwned = new Set<string>();
  const { stdout } = await pexec('find', [root, '-path', '*.dist-info/RECORD', '-type', 'f'], { maxBuffer: 16 << 20 });
  for (const rec of stdout.split('\n').filter(Boolean)) {
    const site = dirname(dirname(rec)).slice(root.length + 1);
    for (const p of recordPaths(await readFile(rec, 'utf8'))) {
      const f = await regularFile(root, p.startsWith('/') ? p : `${site}/${p}`);
      if (f) pipOwned.add(f.id);
    }
  }
  const out = new Map<string, Independent>();
  for (const [pkg, paths] of lists) {
    const seen = new Set<string>();
    const acc: Independent = { bytes: 0, files: 0, pipBytes: 0, pipFiles: 0 };
    for (const line of paths) {
      const f = await regularFile(root, line);
      if (!f || seen.has(f.id)) continue;
      seen.add(f.id);
      acc.bytes += f.size;
      acc.files++;
      if (pipOwned.has(f.id)) {
        acc.pipBytes += f.size;
        acc.pipFiles++;
      }
    }
    out.set(pkg, acc);
  }
  return out;
}

/** Real `gzip -6 -n` size of a file. */
async function gzipSize(path: string): Promise<number> {
  const { stdout } = await pexec('sh', ['-c', 'gzip -6 -n -c "$1" | wc -c', 'sh', path], { timeout: 600_000 });
  return Number(stdout.trim());
}

describeServices('real Debian image built with the test engine', (svc) => {
  const docker = dockerOf(svc);
  let skipReason: string | undefined;
  let tmp: { dir: string; cleanup: () => Promise<void> } | undefined;
  let fromDaemon: Report;
  let fromArchive: Report;
  let expected: Map<string, Independent>;
  let realGzip: number[] = [];
  const timings: string[] = [];

  const skipOrFail = (reason: string): void => {
    if (IN_CI) throw new Error(`real-image test cannot run under CI=true: ${reason}`);
    skipReason = reason;
    process.stderr.write(`\n!!! real-image test SKIPPED: ${reason}\n\n`);
  };

  beforeAll(async () => {
    const t0 = Date.now();
    const lap = (what: string, since: number): void => void timings.push(`${what} ${((Date.now() - since) / 1000).toFixed(1)} s`);
    tmp = await makeTmp('real-image');
    const haveImage = await docker
      .getImage(TAG)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (!haveImage && existsSync(SAVED)) {
      const t = Date.now();
      await dockerLoad(docker, SAVED);
      lap('load cached image', t);
    } else if (!haveImage) {
      let t = Date.now();
      const base = await baseTarball();
      if ('reason' in base) return skipOrFail(base.reason);
      lap('base rootfs', t);
      t = Date.now();
      const ctx = join(tmp.dir, 'ctx');
      await mkdir(ctx);
      await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
      await pexec('ln', [base.path, join(ctx, 'base.tar')]).catch(() => pexec('cp', [base.path, join(ctx, 'base.tar')]));
      const opts = { t: TAG, networkmode: 'host', version: '1', rm: true, forcerm: true } as Record<string, unknown>;
      const stream = await docker.buildImage(tarOf(ctx) as never, opts);
      try {
        await followProgress(docker, stream);
      } catch (e) {
        const msg = (e as Error).message;
        if (/Could not resolve|Failed to fetch|Temporary failure|Unable to connect/i.test(msg)) return skipOrFail(`Debian mirror unreachable from the build: ${msg}`);
        throw e;
      }
      lap('docker build', t);
      t = Date.now();
      await mkdir(CACHE, { recursive: true });
      await pipeline(await docker.getImage(TAG).get(), createWriteStream(`${SAVED}.tmp`));
      await rename(`${SAVED}.tmp`, SAVED);
      lap('save to cache', t);
    }
    // An image already in the engine may come from another build than the cached archive: save
    // it again so the daemon and archive sources read the same image.
    if (haveImage || !existsSync(SAVED)) {
      await mkdir(CACHE, { recursive: true });
      await pipeline(await docker.getImage(TAG).get(), createWriteStream(`${SAVED}.tmp`));
      await rename(`${SAVED}.tmp`, SAVED);
    }

    // The final filesystem, exported by the engine, and the layer tars of the saved image.
    let t = Date.now();
    const c = await docker.createContainer({ Image: TAG, Cmd: ['true'], NetworkDisabled: true });
    try {
      await untar(await c.export(), join(tmp.dir, 'rootfs'));
    } finally {
      await c.remove({ force: true });
    }
    expected = await independentDpkg(join(tmp.dir, 'rootfs'));
    lap('export + independent dpkg sums', t);
    t = Date.now();
    const saved = join(tmp.dir, 'saved');
    await untar(createReadStream(SAVED), saved);
    const manifest = JSON.parse(await readFile(join(saved, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
    const gz = Promise.all(manifest[0]!.Layers.map((l) => gzipSize(join(saved, l))));

    const t2 = Date.now();
    fromDaemon = await analyzeImage(openDaemon(TAG, { dockerHost: svc.dockerHost }));
    lap('analyze (daemon)', t2);
    const t3 = Date.now();
    fromArchive = await analyzeImage(openDockerArchive(SAVED));
    lap('analyze (archive)', t3);
    realGzip = await gz;
    lap('gzip layers + analyses', t);
    lap('beforeAll total', t0);
    say(timings.join(', '));
  }, 1_800_000);

  afterAll(async () => {
    await tmp?.cleanup();
  });

  it("dpkg attribution equals the independent sum of each package's .list files", (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    for (const [label, r] of [['daemon', fromDaemon], ['archive', fromArchive]] as const) {
      const dpkg = r.packages!.packages.filter((p) => p.manager === 'dpkg');
      expect(dpkg.length).toBeGreaterThan(100);
      expect(dpkg.length, 'one report package per .list file').toBe(expected.size);
      const mismatches: string[] = [];
      const viaPip: string[] = [];
      const unmatched: string[] = [];
      for (const p of dpkg) {
        const key = expected.has(p.name) ? p.name : [...expected.keys()].find((k) => k.startsWith(`${p.name}:`));
        if (key === undefined) {
          unmatched.push(p.name);
          continue;
        }
        const want = expected.get(key)!;
        // A distribution whose RECORD a dpkg package lists is that package's (python3-pip ships
        // pip's dist-info): every file a .list names counts for the dpkg package.
        const bytes = want.bytes;
        const files = want.files;
        if (p.visibleBytes !== bytes || p.files !== files) {
          mismatches.push(`${key}: imgsize ${p.visibleBytes} B / ${p.files} files, independent ${bytes} B / ${files} files (Δ ${p.visibleBytes - bytes} B; all listed: ${want.bytes} B)`);
        }
        if (want.pipFiles > 0) viaPip.push(`${key} (${want.pipFiles} files, ${want.pipBytes} B of ${want.bytes} B)`);
      }
      if (mismatches.length > 0) say(`dpkg mismatches (${label}):\n  ${mismatches.join('\n  ')}`);
      expect(unmatched, 'report packages without a .list file in the exported filesystem').toEqual([]);
      expect(mismatches).toEqual([]);
      if (label === 'daemon' && viaPip.length > 0) {
        say(`dpkg packages that ship a dist-info RECORD (kept as dpkg's, not double-counted as pip): ${viaPip.join(', ')}`);
      }
      // and no pip "distribution" is reported for them
      expect(r.packages!.packages.filter((p) => p.manager === 'pip' && /^\/usr\/lib\/python3\/dist-packages/.test(p.location ?? ''))).toEqual([]);
    }
    say(`dpkg: ${expected.size} packages, ${[...expected.values()].reduce((s, x) => s + x.bytes, 0)} B listed; all match`);
  });

  it('names the planted mistakes', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    say(`findings: ${fromDaemon.findings!.map((f) => `${f.id} (${f.bytes} B)`).join(', ')}`);
    for (const r of [fromDaemon, fromArchive]) {
      const ids = r.findings!.map((f) => f.id);
      expect(ids).toContain('build-tools');
      // the debootstrap rootfs has no docker-clean apt.conf: the .debs and *.bin stay in the install layer
      expect(ids).toContain('apt-cache');
      expect(ids).toContain('dev-files');
      const late = r.findings!.find((f) => f.id === 'cleanup-in-later-layer');
      expect(late, 'cleanup-in-later-layer finding').toBeDefined();
      expect(late!.title.toLowerCase()).toContain('apt lists');
      expect(late!.evidence.some((e) => e.path.startsWith('/var/lib/apt/lists/') || e.path.startsWith('var/lib/apt/lists/'))).toBe(true);
      expect(late!.instruction ?? '').toContain('apt-get');
      const dev = r.findings!.find((f) => f.id === 'dev-files')!;
      expect(dev.note ?? '').toMatch(/lib[a-z0-9.+-]*-dev/);
    }
  });

  it('categories sum to the layer totals', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    for (const r of [fromDaemon, fromArchive]) {
      for (const l of r.layers) {
        expect(Object.values(l.categories ?? {}).reduce((s, b) => s + b, 0), `layer ${l.index}`).toBe(l.contentBytes);
      }
      const cats = r.categories!;
      expect(cats.reduce((s, c) => s + c.bytes, 0)).toBe(r.summary.contentBytes);
      expect(cats.reduce((s, c) => s + c.visibleBytes, 0)).toBe(r.summary.visibleBytes);
      expect(cats.reduce((s, c) => s + c.wastedBytes, 0)).toBe(r.summary.wastedBytes);
      const lists = cats.find((c) => c.id === 'apt-lists');
      expect(lists?.wastedBytes ?? 0).toBeGreaterThan(1e6);
    }
  });

  it('daemon and archive sources give the same report (sizes, packages, findings)', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const strip = (r: Report): unknown => ({ summary: r.summary, layers: r.layers.map((l) => ({ ...l, digest: undefined, mediaType: undefined })), packages: r.packages, findings: r.findings, categories: r.categories });
    expect(strip(fromDaemon)).toEqual(strip(fromArchive));
  });

  it('estimates compressed sizes within ±10% of gzip -6', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const rows: string[] = [];
    let est = 0;
    let real = 0;
    fromArchive.layers.forEach((l, i) => {
      const g = realGzip[i]!;
      const e = l.compressedBytes ?? 0;
      est += e;
      real += g;
      rows.push(`L${i} est ${e} real ${g} (${g > 0 ? (((e - g) / g) * 100).toFixed(1) : 'n/a'}%)`);
    });
    say(`compression: ${rows.join(' | ')} | total est ${est} real ${real} (${(((est - real) / real) * 100).toFixed(1)}%)`);
    expect(realGzip.length).toBe(fromArchive.layers.length);
    expect(Math.abs(est - real) / real).toBeLessThanOrEqual(0.1);
  });
});
