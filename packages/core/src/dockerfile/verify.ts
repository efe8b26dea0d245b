/**
 * `imgsize fix --verify`: proves a fix by rebuilding. The original Dockerfile is built, then the
 * Dockerfile after hunk 1, after hunks 1–2, … (each build reuses the engine's layer cache), every
 * image is analyzed, and each hunk's realized savings are the difference between consecutive
 * builds (uncompressed content bytes and compressed bytes). Builds go through dockerode's build
 * API (the Engine's POST /build) with the Dockerfile's directory as context, filtered by the
 * `.dockerignore` in effect at that step. A failed build names the hunk that was just added.
 */
import { readdir, readFile, lstat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join, relative, sep } from 'node:path';
import type Docker from 'dockerode';
import { analyzeImage } from '../analyze.js';
import { ImgsizeError, throwIfAborted } from '../errors.js';
import type { Report } from '../report-schema.js';
import { daemonError, openDaemon, resolveDaemonEndpoint } from '../sources/daemon.js';
import type { FixPlan } from './patch.js';

const loadDockerode = async (): Promise<typeof Docker> => (await import('dockerode')).default;
const loadTar = async () => await import('tar');

/** Compiled `.dockerignore`: `matches(path)` says whether a context path is left out. */
export interface DockerIgnore {
  excluded(path: string): boolean;
}

function globToRegExp(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        // `**/` matches any number of directories (also none); a trailing `**` anything.
        if (p[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i++;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${p.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < p.length) re += `\\${p[++i]}`;
    else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Parses `.dockerignore` as the Docker CLI does (moby/patternmatcher): one pattern per line, `#`
 * comments, leading `/` and `./` dropped, `!` re-includes, the last matching pattern wins, and a
 * pattern matching a directory leaves out everything below it.
 */
export function parseDockerIgnore(text: string | null): DockerIgnore {
  const rules: Array<{ re: RegExp; negate: boolean }> = [];
  for (const raw of (text ?? '').split(/\r?\n/)) {
    let l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const negate = l.startsWith('!');
    if (negate) l = l.slice(1).trim();
    l = l.replace(/^(?:\.\/|\/)+/, '').replace(/\/+$/, '');
    if (l === '' || l === '.') continue;
    rules.push({ re: globToRegExp(l), negate });
  }
  return {
    excluded(path: string): boolean {
      const parts = path.split('/');
      let out = false;
      for (const r of rules) {
        // a rule matches the path or any of its parent directories
        for (let k = 1; k <= parts.length; k++) {
          if (r.re.test(parts.slice(0, k).join('/'))) {
            out = !r.negate;
            break;
          }
        }
      }
      return out;
    },
  };
}

/** Context paths (relative, `/`-separated) of `dir` that `.dockerignore` keeps, sorted. */
export async function contextFiles(dir: string, ignore: DockerIgnore, always: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const name of (await readdir(d)).sort()) {
      const abs = join(d, name);
      const rel = relative(dir, abs).split(sep).join('/');
      const st = await lstat(abs);
      if (ignore.excluded(rel) && !always.includes(rel)) {
        // an excluded directory may still hold a re-included path (`!dir/keep`): look inside
        if (st.isDirectory()) await walk(abs);
        continue;
      }
      if (st.isDirectory()) {
        const before = out.length;
        await walk(abs);
        if (out.length === before) out.push(rel); // keep empty directories
      } else out.push(rel);
    }
  }
  await walk(dir);
  return out;
}

/** Options of verifyFix. */
export interface VerifyOptions {
  /** Directory of the Dockerfile: the build context. */
  contextDir: string;
  dockerHost?: string | undefined;
  /** `buildkit` builds with the Engine's BuildKit (API version=2), `classic` with the classic builder. */
  builder: 'classic' | 'buildkit';
  /** Build network mode (e.g. `host`). */
  network?: string | undefined;
  buildArgs?: Readonly<Record<string, string>> | undefined;
  /** Tag prefix of the images built (`<prefix>:step-N`). */
  tagPrefix?: string | undefined;
  signal?: AbortSignal | undefined;
  bandwidthBitsPerSecond?: number | undefined;
  onProgress?: ((step: string) => void) | undefined;
  /** Keep the images built (default: they are removed once analyzed). */
  keepImages?: boolean | undefined;
}

/** Predicted vs realized savings of one hunk. */
export interface VerifiedHunk {
  n: number;
  family: string;
  findingId: string;
  review: boolean;
  predictedBytes: number;
  predictedCompressedBytes: number;
  realizedBytes: number;
  realizedCompressedBytes: number;
  built: boolean;
}

/** The result of verifyFix. */
export interface VerifyResult {
  before: Report;
  after: Report;
  hunks: VerifiedHunk[];
  /** Tags of the images built, in order (original first); removed unless `keepImages`. */
  tags: string[];
}

/** Raised when the engine is unreachable before any build. */
export async function pingEngine(dockerHost?: string): Promise<void> {
  const endpoint = resolveDaemonEndpoint(dockerHost);
  const Dockerode = await loadDockerode();
  const agent = endpoint.options.protocol === 'https' ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
  try {
    await new Dockerode({ ...endpoint.options, agent, timeout: 10_000 } as Docker.DockerOptions).ping();
  } catch (e) {
    throw daemonError(e, endpoint.display, '', 'checking the engine for --verify');
  } finally {
    agent.destroy();
  }
}

interface BuildOutcome {
  ok: boolean;
  log: string;
}

async function build(docker: Docker, contextDir: string, dockerfileText: string, dockerignoreText: string | null, tag: string, o: VerifyOptions): Promise<BuildOutcome> {
  const tar = await loadTar();
  const name = '.imgsize-fix.Dockerfile';
  const ignore = parseDockerIgnore(dockerignoreText);
  const files = (await contextFiles(contextDir, ignore, [])).filter((f) => f !== name && f !== '.dockerignore');
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const staging = await mkdtemp(join(tmpdir(), 'imgsize-fix-'));
  try {
    // This step's Dockerfile and .dockerignore come first (a small archive of text files whose
    // end-of-archive blocks are cut), then the context files the .dockerignore keeps.
    await writeFile(join(staging, name), dockerfileText);
    if (dockerignoreText !== null) await writeFile(join(staging, '.dockerignore'), dockerignoreText);
    const collect = async (st: NodeJS.ReadableStream): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const c of st as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
      return Buffer.concat(chunks);
    };
    let head = await collect(tar.c({ cwd: staging, portable: true }, [name, ...(dockerignoreText !== null ? ['.dockerignore'] : [])]) as unknown as NodeJS.ReadableStream);
    let end = head.length;
    while (end >= 512 && head.subarray(end - 512, end).every((x) => x === 0)) end -= 512;
    head = head.subarray(0, end);
    const body = files.length > 0 ? await collect(tar.c({ cwd: contextDir, portable: true, noDirRecurse: true }, files) as unknown as NodeJS.ReadableStream) : Buffer.alloc(1024);
    // BuildKit over the plain API reads the context from the request body: one buffer (a stream
    // body was not read before the build started on dockerd 20.10).
    const context = Buffer.concat([head, body]);
    const opts: Record<string, unknown> = { t: tag, dockerfile: name, rm: true, forcerm: true, version: o.builder === 'buildkit' ? '2' : '1' };
    if (o.network) opts.networkmode = o.network;
    if (o.buildArgs) opts.buildargs = o.buildArgs;
    let res: NodeJS.ReadableStream;
    try {
      res = await docker.buildImage(context as never, opts);
    } catch (e) {
      throw daemonError(e, 'the engine', tag, 'starting a build');
    }
    const out = await new Promise<unknown[]>((resolve, reject) => docker.modem.followProgress(res, (err: Error | null, o2: unknown[]) => (err ? reject(err) : resolve(o2 ?? []))));
    const lines: string[] = [];
    let ok = true;
    for (const m of out as Array<{ stream?: string; error?: string; id?: string; aux?: unknown }>) {
      if (m.stream) lines.push(m.stream.trimEnd());
      if (m.error) {
        ok = false;
        lines.push(m.error.trimEnd());
      }
    }
    return { ok, log: lines.filter(Boolean).join('\n') };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Sizes the comparison uses: shipped content bytes (uncompressed) and compressed bytes. */
function sizes(r: Report): { bytes: number; compressed: number } {
  return { bytes: r.summary.contentBytes, compressed: r.summary.compressedBytes ?? r.layers.reduce((s, l) => s + (l.compressedBytes ?? 0), 0) };
}

/**
 * Builds the original and each cumulative step of the fix, analyzes each image, and returns the
 * per-hunk predicted vs realized savings. Throws E_BUILD_FAILED naming the hunk whose step failed
 * (with the engine's last output lines), E_DAEMON when the engine is unreachable.
 */
export async function verifyFix(originalDockerfile: string, originalDockerignore: string | null, plan: FixPlan, o: VerifyOptions): Promise<VerifyResult> {
  const endpoint = resolveDaemonEndpoint(o.dockerHost);
  const Dockerode = await loadDockerode();
  const agent = endpoint.options.protocol === 'https' ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
  const docker = new Dockerode({ ...endpoint.options, agent, timeout: 3_600_000 } as Docker.DockerOptions);
  const prefix = o.tagPrefix ?? `imgsize-fix-verify-${process.pid}`;
  const tags: string[] = [];
  const reports: Report[] = [];
  try {
    const steps = [
      { label: 'original', df: originalDockerfile, ig: originalDockerignore },
      ...plan.hunks.map((h) => ({ label: `hunk ${h.n} (${h.family})`, df: h.dockerfileAfter, ig: h.dockerignoreAfter })),
    ];
    for (let k = 0; k < steps.length; k++) {
      throwIfAborted(o.signal);
      const s = steps[k]!;
      const tag = `${prefix}:step-${k}`;
      o.onProgress?.(`building ${s.label}`);
      const b = await build(docker, o.contextDir, s.df, s.ig, tag, o);
      if (!b.ok) {
        const tail = b.log.split('\n').slice(-15).join('\n');
        if (k === 0) throw new ImgsizeError('E_BUILD_FAILED', `building the original Dockerfile failed: ${tail.split('\n').pop()}`, { hint: `the unpatched Dockerfile must build for --verify; engine output:\n${tail}` });
        const h = plan.hunks[k - 1]!;
        throw new ImgsizeError('E_BUILD_FAILED', `the patched Dockerfile does not build; most likely hunk ${h.n} (${h.family}: ${h.summary}): ${tail.split('\n').pop()}`, {
          hint: `engine output (last lines):\n${tail}\nrerun with --safe-only, or apply the hunks before ${h.n} only`,
        });
      }
      tags.push(tag);
      o.onProgress?.(`analyzing ${s.label}`);
      reports.push(await analyzeImage(openDaemon(tag, { dockerHost: o.dockerHost }), { signal: o.signal, ...(o.bandwidthBitsPerSecond !== undefined && { bandwidthBitsPerSecond: o.bandwidthBitsPerSecond }) }));
    }
  } finally {
    if (!o.keepImages) for (const t of tags) await docker.getImage(t).remove({ force: true }).catch(() => undefined);
    agent.destroy();
  }
  const hunks: VerifiedHunk[] = plan.hunks.map((h, i) => {
    const a = sizes(reports[i]!);
    const b = sizes(reports[i + 1]!);
    return {
      n: h.n,
      family: h.family,
      findingId: h.findingId,
      review: h.review,
      predictedBytes: h.bytes,
      predictedCompressedBytes: h.compressedBytes,
      realizedBytes: a.bytes - b.bytes,
      realizedCompressedBytes: Math.round(a.compressed - b.compressed),
      built: true,
    };
  });
  return { before: reports[0]!, after: reports[reports.length - 1]!, hunks, tags };
}
