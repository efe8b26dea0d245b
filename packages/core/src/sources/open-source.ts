/**
 * Turns what the user typed into an ImageSource:
 * - `registry://host/repo:tag` or `…@sha256:…` → registry
 * - `oci:<dir>[:tag]` → OCI image layout
 * - `docker-archive:<path>`, `-` (stdin), or an existing file → docker-save archive
 * - an existing directory with an `oci-layout` file → OCI image layout
 * - `docker-daemon:<name>` (skopeo's spelling), or anything else → an image of the local engine.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ImgsizeError } from '../errors.js';
import type { ImageSource } from '../model.js';
import { openDaemon, type DaemonSourceOptions } from './daemon.js';
import { openDockerArchive } from './docker-archive.js';
import { openOciLayout, type OciLayoutOptions } from './oci-layout.js';
import { openRegistry, type RegistrySourceOptions } from './registry.js';

/** Options for every source kind; each source reads the ones it knows. */
export interface OpenSourceOptions extends RegistrySourceOptions, Pick<DaemonSourceOptions, 'dockerHost' | 'inspect'>, Pick<OciLayoutOptions, 'verifyDigests'> {}

function kindOfPath(p: string): 'file' | 'dir' | 'other' | undefined {
  try {
    const st = statSync(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return undefined;
  }
}

/** Splits `oci:<dir>[:tag]`: the whole rest when it names a directory, else at the last `:`. */
export function parseOciRef(rest: string): { dir: string; tag?: string | undefined } {
  if (rest === '') throw new ImgsizeError('E_USAGE', 'oci: needs a directory (oci:<dir>[:tag])');
  if (kindOfPath(rest) === 'dir') return { dir: rest };
  const i = rest.lastIndexOf(':');
  if (i > 0 && !rest.slice(i + 1).includes('/')) {
    const tag = rest.slice(i + 1);
    return tag === '' ? { dir: rest.slice(0, i) } : { dir: rest.slice(0, i), tag };
  }
  return { dir: rest };
}

/** Returns the ImageSource for a user-typed reference (see the module comment for the forms). */
export function openSource(ref: string, opts: OpenSourceOptions = {}): ImageSource {
  if (ref === '') throw new ImgsizeError('E_USAGE', 'no image given');
  if (ref.startsWith('registry://')) return openRegistry(ref, opts);
  if (ref.startsWith('oci:')) {
    const { dir, tag } = parseOciRef(ref.slice('oci:'.length));
    return openOciLayout(dir, { tag, platform: opts.platform, verifyDigests: opts.verifyDigests });
  }
  if (ref.startsWith('docker-archive:')) {
    const path = ref.slice('docker-archive:'.length);
    if (path === '') throw new ImgsizeError('E_USAGE', 'docker-archive: needs a path (or - for stdin)');
    return openDockerArchive(path);
  }
  // Not `daemon:`: `daemon:latest` is a valid image name.
  if (ref.startsWith('docker-daemon:')) {
    return openDaemon(ref.slice('docker-daemon:'.length), { dockerHost: opts.dockerHost, inspect: opts.inspect, env: opts.env });
  }
  if (ref === '-') return openDockerArchive('-');
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
    throw new ImgsizeError('E_IO', `cannot open ${ref}: no such file`, { hint: 'to read an image of the local engine, give its name (or docker-daemon:<name>)' });
  }
  return openDaemon(ref, { dockerHost: opts.dockerHost, inspect: opts.inspect, env: opts.env });
}
