/**
 * Walks OCI image indexes (and Docker manifest lists) down to one image manifest, choosing by
 * `org.opencontainers.image.ref.name` and platform. Shared by every source that sees an index.
 */
import { ImgsizeError } from './errors.js';
import { ImageIndex, ImageManifest, MEDIA_TYPES, type Descriptor, type Platform } from './image-schemas.js';
import { parseJsonDocument } from './image-config.js';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
const MAX_INDEX_DEPTH = 4;

/** The platform this process runs on, in OCI terms (linux/amd64, linux/arm64, ...). */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

/** Parses "os/arch[/variant]". */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new ImgsizeError('E_USAGE', `platform "${s}" is not of the form os/arch[/variant]`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MEDIA_TYPES.ociIndex || mt === MEDIA_TYPES.dockerList;
}

/** True when a parsed JSON document is an index (has `manifests`) rather than a manifest. */
export function looksLikeIndex(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && Array.isArray((doc as { manifests?: unknown }).manifests);
}

export interface SelectedManifest {
  manifest: ImageManifest;
  manifestDigest: string;
  refName?: string | undefined;
}

/**
 * From an index, picks the manifest for `image` (a ref name; matched exactly or as the tag part
 * of `name:tag`) and `platform` (default: host platform when the index is multi-platform).
 */
export async function selectFromIndex(
  index: ImageIndex,
  readBlob: (d: Descriptor) => Promise<Buffer>,
  opts: { image?: string | undefined; platform?: Platform | undefined; what: string; maxJsonBytes?: number | undefined },
  depth = 0,
): Promise<SelectedManifest> {
  if (depth > MAX_INDEX_DEPTH) throw new ImgsizeError('E_BAD_MANIFEST', `${opts.what}: indexes nested deeper than ${MAX_INDEX_DEPTH}`);
  let candidates = index.manifests;
  if (candidates.length === 0) throw new ImgsizeError('E_BAD_MANIFEST', `${opts.what}: the index lists no manifest`);
  if (depth === 0 && opts.image !== undefined) {
    const want = opts.image;
    const named = candidates.filter((d) => {
      const n = d.annotations?.[REF_NAME_ANNOTATION];
      return n !== undefined && (n === want || want.endsWith(`:${n}`) || n.endsWith(`:${want}`) || d.digest === want);
    });
    if (named.length === 0) {
      const names = candidates.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter(Boolean);
      throw new ImgsizeError('E_IMAGE_NOT_FOUND', `${opts.what}: no image named "${want}"`, {
        hint: names.length > 0 ? `images here: ${names.join(', ')}` : undefined,
      });
    }
    candidates = named;
  }
  const withPlatform = candidates.filter((d) => d.platform);
  if (withPlatform.length > 0 && candidates.length > 1) {
    const want = opts.platform ?? hostPlatform();
    const match = withPlatform.filter(
      (d) => d.platform!.os === want.os && d.platform!.architecture === want.architecture && (!want.variant || d.platform!.variant === want.variant),
    );
    if (match.length === 0) {
      throw new ImgsizeError('E_PLATFORM', `${opts.what}: no manifest for platform ${formatPlatform(want)}`, {
        hint: `available: ${withPlatform.map((d) => formatPlatform(d.platform)).join(', ')} (use --platform)`,
      });
    }
    candidates = match;
  } else if (opts.platform && withPlatform.length > 0) {
    const p = opts.platform;
    if (!withPlatform.some((d) => d.platform!.os === p.os && d.platform!.architecture === p.architecture)) {
      throw new ImgsizeError('E_PLATFORM', `${opts.what}: no manifest for platform ${formatPlatform(p)}`, {
        hint: `available: ${withPlatform.map((d) => formatPlatform(d.platform)).join(', ')}`,
      });
    }
  }
  // Skip attestation manifests (buildx adds them with platform unknown/unknown).
  const real = candidates.filter((d) => d.platform?.architecture !== 'unknown');
  if (real.length > 1 && depth === 0 && opts.image === undefined && !real.some((d) => d.platform)) {
    const names = real.map((d) => d.annotations?.[REF_NAME_ANNOTATION] ?? d.digest);
    throw new ImgsizeError('E_IMAGE_AMBIGUOUS', `${opts.what} holds ${real.length} images`, { hint: `choose one with --image: ${names.join(', ')}` });
  }
  const chosen = (real[0] ?? candidates[0])!;
  const bytes = await readBlob(chosen);
  const refName = chosen.annotations?.[REF_NAME_ANNOTATION];
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    doc = undefined;
  }
  if (isIndexMediaType(chosen.mediaType) || looksLikeIndex(doc)) {
    const inner = parseJsonDocument(ImageIndex, bytes, `${opts.what}: index ${chosen.digest}`, opts.maxJsonBytes);
    const sel = await selectFromIndex(inner, readBlob, opts, depth + 1);
    return { ...sel, refName: sel.refName ?? refName };
  }
  const manifest = parseJsonDocument(ImageManifest, bytes, `${opts.what}: manifest ${chosen.digest}`, opts.maxJsonBytes);
  return { manifest, manifestDigest: chosen.digest, refName };
}

/** Blob compression implied by a layer media type; 'auto' when the type does not say. */
export function compressionOfMediaType(mt: string | undefined): 'none' | 'gzip' | 'zstd' | 'auto' {
  if (!mt) return 'auto';
  if (mt.endsWith('+gzip') || mt.endsWith('.tar.gzip') || mt === 'application/vnd.docker.image.rootfs.diff.tar.gzip') return 'gzip';
  if (mt.endsWith('+zstd')) return 'zstd';
  if (mt.endsWith('.tar') || mt === 'application/vnd.docker.image.rootfs.diff.tar') return 'none';
  return 'auto';
}
