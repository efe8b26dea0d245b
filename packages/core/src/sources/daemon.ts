/**
 * daemon source: an image in a Docker (or Podman, through its Docker-compatible API) engine.
 * Like go-containerregistry's `daemon` package it parses nothing itself: it streams the engine's
 * image-save output (`GET /images/{name}/get`) straight into the docker-archive reader, no docker
 * CLI and no temp file. An inspect call first gives a clear "not found" and the image id.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

/**
 * dockerode (and its ssh2/protobuf dependencies) is loaded only when an engine is used: ~30 MB and
 * ~85 ms saved for every other source. It is an optional peer dependency: an archive/registry-only
 * install leaves it out, and reading from an engine then says how to add it.
 */
const loadDockerode = async (): Promise<typeof Docker> => {
  try {
    return (await import('dockerode')).default;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
    throw new ImgsizeError('E_DAEMON', 'reading from a container engine needs the optional package dockerode, which is not installed', {
      cause: e,
      hint: 'npm install dockerode (next to @imgsize/core), or read the image from a file (docker save) or its registry (registry://host/repo:tag)',
    });
  }
};
import { ImgsizeError, isImgsizeError, throwIfAborted, withContext } from '../errors.js';
import type { ImageSource, LoadedImage, LoadOptions } from '../model.js';
import { openDockerArchive } from './docker-archive.js';

/** Options of the daemon source. */
export interface DaemonSourceOptions {
  /** Engine endpoint, `unix:///path.sock` or `tcp://host:port` (default `$DOCKER_HOST`, then the usual sockets). */
  dockerHost?: string | undefined;
  /** Inspect the image before saving it (default true): a clean E_IMAGE_NOT_FOUND and the image id. */
  inspect?: boolean | undefined;
  /** Max time the engine may stay silent on a request (default 60 s). */
  timeoutMs?: number | undefined;
  /** Max silence during the image export stream (default 5 min: the engine may prepare a while). */
  exportIdleTimeoutMs?: number | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

/** How to connect to the engine (the subset of dockerode's options imgsize sets; no dockerode types in the public API). */
export interface EngineConnection {
  socketPath?: string;
  host?: string;
  port?: string;
  protocol?: 'http' | 'https';
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Where the engine is, and how to say so in messages. */
export interface DaemonEndpoint {
  /** `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2375`. */
  display: string;
  options: EngineConnection;
}

/** Sockets tried, in order, when neither `dockerHost` nor DOCKER_HOST says where the engine is. */
export function defaultDaemonSockets(env: NodeJS.ProcessEnv = process.env): string[] {
  const out = ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock')];
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock'), join(env.XDG_RUNTIME_DIR, 'docker.sock'));
  out.push('/run/podman/podman.sock');
  return out;
}

/** Resolves the engine endpoint from the option, DOCKER_HOST, or the first existing default socket. */
export function resolveDaemonEndpoint(dockerHost: string | undefined, env: NodeJS.ProcessEnv = process.env): DaemonEndpoint {
  const spec = dockerHost ?? env.DOCKER_HOST;
  if (spec === undefined || spec === '') {
    const found = defaultDaemonSockets(env).find((p) => existsSync(p)) ?? '/var/run/docker.sock';
    return { display: `unix://${found}`, options: { socketPath: found } };
  }
  if (spec.startsWith('unix://')) {
    const p = spec.slice('unix://'.length) || '/var/run/docker.sock';
    return { display: `unix://${p}`, options: { socketPath: p } };
  }
  if (spec.startsWith('/')) return { display: `unix://${spec}`, options: { socketPath: spec } };
  const withScheme = spec.includes('://') ? spec : `tcp://${spec}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ImgsizeError('E_USAGE', `docker host "${spec}" is not unix:///path or tcp://host:port`);
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ImgsizeError('E_USAGE', `docker host "${spec}": only unix:// and tcp:// endpoints are supported`, {
      hint: 'for ssh://, forward the socket (ssh -L) and use unix:// or tcp://',
    });
  }
  const tls = url.protocol === 'https:' || env.DOCKER_TLS_VERIFY === '1' || url.port === '2376';
  const port = url.port || (tls ? '2376' : '2375');
  const options: EngineConnection = { host: url.hostname.replace(/^\[|\]$/g, ''), port, protocol: tls ? 'https' : 'http' };
  if (tls) {
    const dir = env.DOCKER_CERT_PATH ?? join(homedir(), '.docker');
    for (const [k, f] of [['ca', 'ca.pem'], ['cert', 'cert.pem'], ['key', 'key.pem']] as const) {
      const p = join(dir, f);
      if (existsSync(p)) options[k] = readFileSync(p);
    }
  }
  return { display: `tcp://${url.host || `${url.hostname}:${port}`}`, options };
}

/** Turns a dockerode/docker-modem failure into E_DAEMON / E_IMAGE_NOT_FOUND with the endpoint named. */
export function daemonError(e: unknown, endpoint: string, image: string, doing: string): ImgsizeError {
  if (e instanceof ImgsizeError) return e;
  const err = e as { code?: string; statusCode?: number; message?: string; json?: { message?: string } | null };
  const msg = err.json?.message ?? err.message ?? String(e);
  switch (err.code) {
    case 'ENOENT':
      return new ImgsizeError('E_DAEMON', `cannot reach the container engine at ${endpoint}: no such socket`, {
        cause: e,
        hint: 'is Docker or Podman running? point DOCKER_HOST (or --docker-host) at its socket',
      });
    case 'ECONNREFUSED':
      return new ImgsizeError('E_DAEMON', `cannot reach the container engine at ${endpoint}: connection refused`, {
        cause: e,
        hint: 'is Docker or Podman running? point DOCKER_HOST (or --docker-host) at its socket',
      });
    case 'EACCES':
    case 'EPERM':
      return new ImgsizeError('E_DAEMON', `cannot reach the container engine at ${endpoint}: permission denied`, {
        cause: e,
        hint: 'add your user to the docker group (then log in again), or use rootless Podman: DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock',
      });
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new ImgsizeError('E_DAEMON', `the container engine at ${endpoint} did not answer in time while ${doing}`, { cause: e });
  }
  if (err.statusCode === 404) {
    return new ImgsizeError('E_IMAGE_NOT_FOUND', `the container engine at ${endpoint} has no image "${image}"`, {
      cause: e,
      hint: `pull it first, or read it from its registry: imgsize analyze registry://<registry>/${image.replace(/^docker\.io\//, '')}`,
    });
  }
  const status = err.statusCode ? `HTTP ${err.statusCode}: ` : '';
  return new ImgsizeError('E_DAEMON', `container engine at ${endpoint} failed while ${doing}: ${status}${msg.trim()}`, { cause: e });
}

/** Opens an image of the local Docker/Podman engine (by name, name:tag, or id) as an ImageSource. */
export function openDaemon(image: string, options: DaemonSourceOptions = {}): ImageSource {
  return {
    kind: 'daemon',
    description: `daemon image ${image}`,
    load: (loadOptions: LoadOptions = {}) => loadDaemon(image, options, loadOptions),
  };
}

async function loadDaemon(image: string, opts: DaemonSourceOptions, load: LoadOptions): Promise<LoadedImage> {
  const endpoint = resolveDaemonEndpoint(opts.dockerHost, opts.env);
  // Our own agent, without keep-alive, destroyed at the end: node's global agent would keep the
  // engine connections of every load open (found by test/load: 20 loads, 20 sockets left).
  const agent = endpoint.options.protocol === 'https' ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
  try {
    return await loadWith(image, opts, load, endpoint, agent);
  } finally {
    agent.destroy();
  }
}

async function loadWith(image: string, opts: DaemonSourceOptions, load: LoadOptions, endpoint: DaemonEndpoint, agent: http.Agent): Promise<LoadedImage> {
  const Dockerode = await loadDockerode();
  // docker-modem takes `agent` (modem.js), @types/dockerode does not list it.
  const docker = new Dockerode({ ...endpoint.options, agent, timeout: opts.timeoutMs ?? 60_000 } as Docker.DockerOptions);
  const handle = docker.getImage(image);
  let inspect: Docker.ImageInspectInfo | undefined;
  throwIfAborted(load.signal);
  if (opts.inspect !== false) {
    try {
      inspect = await handle.inspect();
    } catch (e) {
      throw daemonError(e, endpoint.display, image, 'inspecting the image');
    }
  }
  let stream: Readable;
  try {
    // docker-modem's `timeout` is a socket idle timeout: the export gets a longer one.
    const saver = new Dockerode({ ...endpoint.options, agent, timeout: opts.exportIdleTimeoutMs ?? 300_000 } as Docker.DockerOptions);
    stream = (await saver.getImage(image).get()) as unknown as Readable;
  } catch (e) {
    throw daemonError(e, endpoint.display, image, 'starting the image export');
  }
  const onAbort = (): void => {
    stream.destroy(new ImgsizeError('E_ABORTED', 'aborted', { cause: load.signal?.reason }));
  };
  load.signal?.addEventListener('abort', onAbort, { once: true });
  let loaded: LoadedImage;
  let broke: unknown;
  // The export stream failing or ending early means the engine failed (or died): E_DAEMON, not
  // the E_IO / E_TRUNCATED an archive file would get.
  async function* exported(): AsyncGenerator<Buffer, void, undefined> {
    try {
      for await (const c of stream as AsyncIterable<Buffer>) yield c;
    } catch (e) {
      broke = e;
      throw e;
    }
  }
  try {
    loaded = await openDockerArchive(exported(), { name: 'the export stream' }).load({ ...load, image: undefined });
  } catch (e) {
    const doing = `exporting ${image} from the container engine at ${endpoint.display}`;
    if (isImgsizeError(e, 'E_ABORTED')) throw e.wrap(doing);
    if (broke !== undefined && !isImgsizeError(broke)) {
      throw new ImgsizeError('E_DAEMON', `${doing}: the export stream broke off (${(broke as Error)?.message ?? String(broke)}); did the engine stop?`, { cause: e });
    }
    if (isImgsizeError(e, 'E_TRUNCATED') || isImgsizeError(e, 'E_NOT_AN_ARCHIVE')) {
      throw new ImgsizeError('E_DAEMON', `${doing}: the export stream ended early; did the engine stop? (${e.message})`, { cause: e });
    }
    throw withContext(e, doing, 'E_DAEMON');
  } finally {
    load.signal?.removeEventListener('abort', onAbort);
    if (!stream.destroyed) stream.destroy();
  }
  const tags = inspect?.RepoTags?.filter((t) => t !== '<none>:<none>') ?? [];
  return {
    ...loaded,
    source: { kind: 'daemon', format: 'daemon', ref: image },
    repoTags: loaded.repoTags.length > 0 ? loaded.repoTags : tags,
    configDigest: loaded.configDigest ?? (inspect?.Id?.startsWith('sha256:') ? inspect.Id : undefined),
  };
}
