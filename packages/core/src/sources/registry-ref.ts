/**
 * Image references for the registry source: `host[:port]/repo[:tag][@digest]`, optionally prefixed
 * with `registry://`. A first component without `.`/`:` (and not `localhost`) means Docker Hub,
 * where single-name repositories live under `library/` (distribution/reference's normalisation).
 */
import { ImgsizeError } from '../errors.js';

/** A parsed registry reference. */
export interface RegistryRef {
  /** Registry host as written, with port (`127.0.0.1:5000`, `ghcr.io`, `docker.io`). */
  registry: string;
  /** Host to talk to (`registry-1.docker.io` for Docker Hub). */
  apiHost: string;
  repository: string;
  tag?: string | undefined;
  digest?: string | undefined;
  /** `tag` or `digest`, whichever selects the manifest (the digest wins). */
  reference: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';

// distribution/reference grammar (reference.go): path components and tags.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
/** Digests imgsize can verify; anything else would be unverifiable and is refused. */
export const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Parses `[registry://]host/repo[:tag][@digest]`; the tag defaults to `latest`. */
export function parseRegistryRef(input: string): RegistryRef {
  const raw = input.startsWith('registry://') ? input.slice('registry://'.length) : input;
  const bad = (why: string): ImgsizeError =>
    new ImgsizeError('E_USAGE', `"${input}" is not a valid image reference: ${why}`, {
      hint: 'expected registry://host[:port]/repository[:tag|@sha256:digest]',
    });
  if (raw === '') throw bad('it is empty');
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw bad(`digest "${digest}" is not sha256:<64 hex> or sha512:<128 hex>`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag "${tag}" has characters a tag cannot have`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || /^\[[0-9a-f:]+\]/.test(first))) {
    registry = first;
    parts.shift();
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const p of parts) {
    if (!PATH_COMPONENT.test(p)) throw bad(p === '' ? 'it has an empty path component' : `"${p}" is not a valid repository path component`);
  }
  if (!/^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/.test(registry)) throw bad(`"${registry}" is not a host[:port]`);
  if (digest === undefined && tag === undefined) tag = 'latest';
  return {
    registry,
    apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry,
    repository: parts.join('/'),
    tag,
    digest,
    reference: digest ?? tag!,
  };
}

/** Formats a reference back (`host/repo:tag@digest`). */
export function formatRegistryRef(r: RegistryRef): string {
  return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** True for hosts where plain HTTP is the default (loopback), like the Docker engine's own rule. */
export function isLoopbackHost(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The name Docker stores for a reference (`test_image_1` → `docker.io/library/test_image_1:latest`),
 * so `--image` matches however a tag is written; undefined for what is not a reference.
 */
export function normalizeImageName(name: string): string | undefined {
  try {
    const r = parseRegistryRef(name);
    return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
  } catch {
    return undefined;
  }
}

/** True when two image names are the same once normalized as Docker does (exact text otherwise). */
export function sameImageName(a: string, b: string): boolean {
  if (a === b) return true;
  const na = normalizeImageName(a);
  return na !== undefined && na === normalizeImageName(b);
}
