/**
 * Shared plumbing of the source suites: talking to the test services (Engine API through
 * dockerode, skopeo for copies), temp dirs, and the normal form two loaded images are compared in.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import type { LoadedImage } from '../../packages/core/src/model.js';
import type { Services } from '../services/services.js';

const pexec = promisify(execFile);
// dockerode is a dependency of @imgsize/core, not of the workspace root: resolve it from there.
const requireFromCore = createRequire(new URL('../../packages/core/package.json', import.meta.url));
const DockerCtor = requireFromCore('dockerode') as typeof Docker;

/** A dockerode client for the test engine. */
export function dockerOf(svc: Services): Docker {
  return new DockerCtor({ socketPath: svc.dockerHost.replace(/^unix:\/\//, '') });
}

/** Waits for a JSON-lines progress stream of the Engine API and fails on its error lines. */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: unknown[]) => {
      if (err) return reject(err);
      const bad = (out ?? []).find((o) => (o as { error?: string }).error);
      if (bad) return reject(new Error(String((bad as { error: string }).error)));
      resolve(out ?? []);
    });
  });
}

/** `docker load` through the Engine API. */
export async function dockerLoad(docker: Docker, archivePath: string): Promise<void> {
  const stream = await docker.loadImage(createReadStream(archivePath), { quiet: true });
  await followProgress(docker, stream);
}

/** Runs skopeo with a time limit; returns stdout. */
export async function skopeo(args: string[]): Promise<string> {
  const { stdout } = await pexec('skopeo', ['--insecure-policy', ...args], { timeout: 120_000, maxBuffer: 16 << 20 });
  return stdout;
}

/** `skopeo copy src dest` against the plain-HTTP test registries. */
export async function skopeoCopy(src: string, dest: string, extra: string[] = []): Promise<void> {
  await skopeo(['copy', '--quiet', '--dest-tls-verify=false', '--src-tls-verify=false', ...extra, src, dest]);
}

export async function makeTmp(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `imgsize-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A repository name unique to this run and file (tests in parallel forks never collide). */
export function uniqueRepo(base: string): string {
  return `${base}-${process.pid}-${Date.now().toString(36)}`;
}

/** What must be identical whichever source an image came from (compressed sizes aside). */
export function normalForm(img: LoadedImage): unknown {
  return {
    os: img.config.os,
    architecture: img.config.architecture,
    diffIds: img.config.diffIds,
    history: img.config.history,
    env: img.config.env,
    cmd: img.config.cmd,
    labels: img.config.labels,
    layers: img.layers.map((l) => ({
      index: l.index,
      diffId: l.diffId,
      tarBytes: l.scan.tarBytes,
      contentBytes: l.scan.contentBytes,
      entries: l.scan.entries.map((e) => ({ path: e.path, type: e.type, size: e.size, mode: e.mode, linkTarget: e.linkTarget })),
      captured: l.scan.captured.map((c) => ({ path: c.path, truncated: c.truncated, sha256: createHash('sha256').update(c.content).digest('hex') })),
      warnings: l.scan.warnings,
    })),
  };
}

/** Reads a manifest's digest, size and media type from a plain-HTTP registry (test setup only). */
export async function manifestDescriptor(registry: string, repo: string, tag: string): Promise<{ digest: string; size: number; mediaType: string }> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  if (!res.ok) throw new Error(`manifest ${repo}:${tag}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  return {
    digest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
    size: body.length,
    mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!,
  };
}

/** Pushes an OCI index made of already pushed manifests (how buildx publishes multi-arch images). */
export async function putIndex(
  registry: string,
  repo: string,
  tag: string,
  manifests: { digest: string; size: number; mediaType: string; platform: { os: string; architecture: string; variant?: string } }[],
): Promise<void> {
  const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests });
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
    body,
  });
  if (res.status !== 201) throw new Error(`PUT index ${repo}:${tag}: HTTP ${res.status} ${await res.text()}`);
}
