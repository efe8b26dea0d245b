/**
 * Turns what the user typed into an ImageSource, with the prefixes skopeo (containers-transports)
 * and syft use:
 * - `registry://host/repo:tag`, `docker://…` (skopeo), `registry:…` (syft) → registry
 * - `oci:<dir>[:tag]` → OCI image layout; `oci-archive:<file>[:tag]` → OCI layout in a tar
 * - `docker-archive:<path>`, `-` (stdin), or an existing file → docker-save archive
 * - an existing directory with an `oci-layout` file → OCI image layout
 * - `docker-daemon:<name>` (skopeo), `podman:<name>` (syft) → that engine only
 * - anything else (`ghcr.io/org/app:1.2`) → the local engine, and when it does not have the image
 *   or cannot be reached, the registry (a report warning and `onNote` say so); straight to the
 *   registry with `metadataOnly`, which only a registry can do.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ImgsizeError, isImgsizeError } from '../errors.js';
import type { ImageSource, LoadedImage, LoadOptions } from '../model.js';
import { formatPlatform } from '../oci-index.js';
import { warning } from '../warnings.js';
import { openDaemon, type DaemonSourceOptions } from './daemon.js';
import { openDockerArchive } from './docker-archive.js';
import { openOciLayout, type OciLayoutOptions } from './oci-layout.js';
import { openRegistry, type RegistrySourceOptions } from './registry.js';
import { formatRegistryRef, parseRegistryRef, type RegistryRef } from './registry-ref.js';

/** Options for every source kind; each source reads the ones it knows. */
export interface OpenSourceOptions extends RegistrySourceOptions, Pick<DaemonSourceOptions, 'dockerHost' | 'inspect'>, Pick<OciLayoutOptions, 'verifyDigests'> {
  /** Told when a source is not the one the reference first names (engine → registry fallback). */
  onNote?: ((message: string) => void) | undefined;
  /**
   * What `-` (and `docker-archive:-`) reads; default file descriptor 0 (fd-reader.ts). Its chunks
   * may be reused once the next one is asked for.
   */
  stdin?: AsyncIterable<Uint8Array> | undefined;
}

function kindOfPath(p: string): 'file' | 'dir' | 'other' | undefined {
  try {
    const st = statSync(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return undefined;
  }
}

/**
 * Splits `oci:<dir>[:tag]` (or `oci-archive:<file>[:tag]`): the whole rest when it names an existing
 * directory (file), else at the last `:`.
 */
export function parseOciRef(rest: string, prefix: 'oci' | 'oci-archive' = 'oci'): { dir: string; tag?: string | undefined } {
  if (rest === '') throw new ImgsizeError('E_USAGE', prefix === 'oci' ? 'oci: needs a directory (oci:<dir>[:tag])' : 'oci-archive: needs a file (oci-archive:<file>[:tag])');
  if (kindOfPath(rest) === (prefix === 'oci' ? 'dir' : 'file')) return { dir: rest };
  const i = rest.lastIndexOf(':');
  if (i > 0 && !rest.slice(i + 1).includes('/')) {
    const tag = rest.slice(i + 1);
    return tag === '' ? { dir: rest.slice(0, i) } : { dir: rest.slice(0, i), tag };
  }
  return { dir: rest };
}

/** Checks an `os/arch[/variant]` platform string; anything else is E_USAGE. */
export function checkPlatform(p: string): { os: string; architecture: string; variant?: string } {
  const m = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9.]+))?$/i.exec(p);
  if (!m) {
    throw new ImgsizeError('E_USAGE', `--platform "${p}" is not of the form os/arch[/variant]`, { hint: 'e.g. linux/amd64, linux/arm64, linux/arm/v7' });
  }
  return m[3] ? { os: m[1]!, architecture: m[2]!, variant: m[3] } : { os: m[1]!, architecture: m[2]! };
}

/** Returns the ImageSource for a user-typed reference (see the module comment for the forms). */
export function openSource(ref: string, opts: OpenSourceOptions = {}): ImageSource {
  if (typeof opts.platform === 'string') checkPlatform(opts.platform);
  const src = openSourceUnchecked(ref, opts);
  return src.kind === 'docker-archive' && opts.platform !== undefined ? withPlatformCheck(src, opts.platform) : src;
}

/** With the registry prefix removed (`registry://`, `docker://`, syft's `registry:`), or undefined. */
function registryPart(ref: string): string | undefined {
  for (const p of ['registry://', 'docker://']) if (ref.startsWith(p)) return ref.slice(p.length);
  // `registry:2` is the registry image itself: syft's `registry:` only when what follows cannot be a tag.
  if (ref.startsWith('registry:') && /[/:@]/.test(ref.slice('registry:'.length))) return ref.slice('registry:'.length);
  return undefined;
}

function daemonOptions(opts: OpenSourceOptions, dockerHost = opts.dockerHost): DaemonSourceOptions {
  return { dockerHost, inspect: opts.inspect, env: opts.env };
}

/** Podman's API socket: CONTAINER_HOST, else rootless `$XDG_RUNTIME_DIR/podman/podman.sock`, else rootful. */
export function podmanHost(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONTAINER_HOST) return env.CONTAINER_HOST;
  const rootless = typeof process.getuid === 'function' && process.getuid() !== 0 && env.XDG_RUNTIME_DIR;
  return rootless ? `unix://${env.XDG_RUNTIME_DIR}/podman/podman.sock` : 'unix:///run/podman/podman.sock';
}

function openSourceUnchecked(ref: string, opts: OpenSourceOptions): ImageSource {
  if (ref === '') throw new ImgsizeError('E_USAGE', 'no image given');
  const reg = registryPart(ref);
  if (reg !== undefined) return openRegistry(`registry://${reg}`, opts);
  if (ref.startsWith('oci-archive:')) {
    const { dir: path, tag } = parseOciRef(ref.slice('oci-archive:'.length), 'oci-archive');
    const archive = openDockerArchive(path);
    if (tag === undefined) return archive;
    return { kind: archive.kind, description: `${archive.description}:${tag}`, load: (o: LoadOptions = {}) => archive.load({ ...o, image: o.image ?? tag }) };
  }
  if (ref.startsWith('oci:')) {
    const { dir, tag } = parseOciRef(ref.slice('oci:'.length));
    return openOciLayout(dir, { tag, platform: opts.platform, verifyDigests: opts.verifyDigests });
  }
  if (ref.startsWith('docker-archive:')) {
    const path = ref.slice('docker-archive:'.length);
    if (path === '') throw new ImgsizeError('E_USAGE', 'docker-archive: needs a path (or - for stdin)');
    return path === '-' ? openStdin(opts) : openDockerArchive(path);
  }
  // Not `daemon:`: `daemon:latest` is a valid image name.
  for (const [prefix, engine] of [
    ['docker-daemon:', 'docker-daemon'],
    ['podman:', 'podman'],
  ] as const) {
    if (!ref.startsWith(prefix)) continue;
    const name = ref.slice(prefix.length);
    if (name === '') throw new ImgsizeError('E_USAGE', `${prefix} needs an image name (${prefix}name:tag)`);
    if (opts.metadataOnly) {
      throw new ImgsizeError('E_USAGE', `--metadata-only reads manifests from a registry, not from ${engine === 'podman' ? 'Podman' : 'the engine'}`, {
        hint: `use registry://${name}`,
      });
    }
    return openDaemon(name, daemonOptions(opts, engine === 'podman' ? (opts.dockerHost ?? podmanHost(opts.env)) : opts.dockerHost));
  }
  if (ref === '-') return openStdin(opts);
  const kind = kindOfPath(ref);
  if (kind === 'file' || kind === 'other') return openDockerArchive(ref);
  if (kind === 'dir') {
    if (kindOfPath(join(ref, 'oci-layout')) === 'file' || kindOfPath(join(ref, 'index.json')) === 'file') {
      return openOciLayout(ref, { platform: opts.platform, verifyDigests: opts.verifyDigests });
    }
    throw new ImgsizeError('E_USAGE', `${ref} is a directory but not an OCI image layout (no oci-layout or index.json)`, {
      hint: 'give a docker-save archive, oci:<dir>[:tag], registry://host/repo:tag, or an image name of the local engine',
    });
  }
  if (/^(\.{0,2}\/|~\/)/.test(ref) || /\.(tar|tgz|tar\.gz|tar\.zst|tzst)$/.test(ref)) {
    throw new ImgsizeError('E_IO', `cannot open ${ref}: no such file`, {
      hint: 'to read an image of the local engine, give its name (or docker-daemon:<name>); from a registry, registry://host/repo:tag',
    });
  }
  return engineThenRegistry(ref, opts);
}

function openStdin(opts: OpenSourceOptions): ImageSource {
  return opts.stdin ? openDockerArchive(opts.stdin as AsyncIterable<Buffer>, { name: 'stdin' }) : openDockerArchive('-');
}

/** Errors after which the registry is worth a try: the engine lacks the image, or cannot be reached. */
function engineMiss(e: unknown): string | undefined {
  if (isImgsizeError(e, 'E_IMAGE_NOT_FOUND')) return 'the container engine does not have it';
  if (!isImgsizeError(e, 'E_DAEMON')) return undefined;
  const code = (e.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'no container engine client (the optional dockerode package) is installed';
  return code && ['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM'].includes(code) ? 'no container engine is reachable' : undefined;
}

/** A bare name: the local engine, and when that misses, the registry the name points at. */
function engineThenRegistry(ref: string, opts: OpenSourceOptions): ImageSource {
  let regRef: RegistryRef | undefined;
  try {
    regRef = parseRegistryRef(ref);
  } catch {
    regRef = undefined; // not a valid registry reference: the engine only (it may know a short id)
  }
  if (opts.metadataOnly && regRef) {
    const note = `${ref}: --metadata-only reads the registry, not the engine: reading registry://${formatRegistryRef(regRef)}`;
    return withNote(openRegistry(regRef, opts), note, opts);
  }
  const daemon = openDaemon(ref, daemonOptions(opts));
  if (!regRef) return daemon;
  const registryRef = regRef;
  return {
    kind: daemon.kind,
    description: daemon.description,
    async load(o?: LoadOptions): Promise<LoadedImage> {
      try {
        return await daemon.load(o);
      } catch (e) {
        const why = engineMiss(e);
        if (why === undefined) throw e;
        const note = `${ref}: ${why} (${(e as Error).message}); reading registry://${formatRegistryRef(registryRef)} instead`;
        try {
          return await withNote(openRegistry(registryRef, opts), note, opts).load(o);
        } catch (e2) {
          if (isImgsizeError(e2) && isImgsizeError(e)) {
            throw new ImgsizeError(e2.code, `${e2.message} (tried after the engine: ${e.message})`, {
              cause: e2,
              hint: e2.hint ?? 'give registry://host/repo:tag for a registry, or docker-daemon:name for the engine only',
            });
          }
          throw e2;
        }
      }
    },
  };
}

/** Loads `src`, calls onNote before and adds the note as the report's first warning. */
function withNote(src: ImageSource, note: string, opts: OpenSourceOptions): ImageSource {
  return {
    kind: src.kind,
    description: src.description,
    async load(o?: LoadOptions): Promise<LoadedImage> {
      opts.onNote?.(note);
      const img = await src.load(o);
      return { ...img, warnings: [warning('W_SOURCE_FALLBACK', note), ...img.warnings] };
    },
  };
}

/**
 * `--platform` on an archive: picked from its OCI index when it has one; an image of another
 * platform is an error, not a silent mismatch.
 */
function withPlatformCheck(src: ImageSource, platform: NonNullable<OpenSourceOptions['platform']>): ImageSource {
  const want = typeof platform === 'string' ? checkPlatform(platform) : platform;
  return {
    kind: src.kind,
    description: src.description,
    async load(o?: LoadOptions): Promise<LoadedImage> {
      // An archive holding an OCI index picks this platform from it; any other holds one image.
      const img = await src.load({ ...o, platform: formatPlatform(want) });
      const c = img.config;
      if (c.os !== want.os || c.architecture !== want.architecture || (want.variant !== undefined && c.variant !== want.variant)) {
        const have = formatPlatform({ os: c.os, architecture: c.architecture, variant: c.variant });
        throw new ImgsizeError('E_PLATFORM', `${src.description} holds a ${have} image, not ${formatPlatform(want)}`, {
          hint: `drop --platform, or save the ${formatPlatform(want)} image (docker save --platform ${formatPlatform(want)} …)`,
        });
      }
      return img;
    },
  };
}
