/**
 * Walks OCI image indexes (and Docker manifest lists) down to one image manifest, choosing by
 * `org.opencontainers.image.ref.name` and platform. Shared by every source that sees an index.
 */
import { ImgsizeError } from './errors.js';
import { ImageIndex, ImageManifest, MEDIA_TYPES, type Descriptor, type Platform } from './image-schemas.js';
import { parseJsonDocument } from './image-config.js';
import { sameImageName } from './sources/registry-ref.js';

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
      if (d.digest === want) return true;
      // Docker 25+ saves carry the full name in containerd's annotation, the tag in the OCI one.
      const full = d.annotations?.[CONTAINERD_NAME_ANNOTATION];
      if (full !== undefined && sameImageName(full, want)) return true;
      const n = d.annotations?.[REF_NAME_ANNOTATION];
      return n !== undefined && (sameImageName(n, want) || want.endsWith(`:${n}`) || n.endsWith(`:${want}`));
    });
    if (named.length === 0) {
      const names = candidates.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter(Boolean);
      throw new ImgsizeError('E_IMAGE_NOT_FOUND', `${opts.what}: no image named "${want}"`, {
        hint: names.length > 0 ? `images here: ${names.join(', ')}` : undefined,
      });
    }
    const digests = [...new Set(named.map((d) => d.digest))];
    if (digests.length > 1 && !named.some((d) => d.platform)) {
      throw new ImgsizeError('E_IMAGE_AMBIGUOUS', `${opts.what}: "${want}" names ${digests.length} different images`, {
        hint: `choose one by digest with --image: ${digests.join(', ')}`,
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
        hint: `available: ${platformList(withPlatform)} (use --platform)`,
      });
    }
    candidates = match;
  } else if (opts.platform && withPlatform.length > 0) {
    const p = opts.platform;
    if (!withPlatform.some((d) => d.platform!.os === p.os && d.platform!.architecture === p.architecture)) {
      throw new ImgsizeError('E_PLATFORM', `${opts.what}: no manifest for platform ${formatPlatform(p)}`, {
        hint: `available: ${platformList(withPlatform)}`,
      });
    }
  }
  // Skip attestation manifests (buildx adds them with platform unknown/unknown).
  const real = candidates.filter((d) => !isAttestation(d));
  // Several entries may reference one image (one per tag): count images by digest.
  const images = new Map<string, string[]>();
  for (const d of real) {
    const names = images.get(d.digest) ?? [];
    const n = d.annotations?.[CONTAINERD_NAME_ANNOTATION] ?? d.annotations?.[REF_NAME_ANNOTATION];
    if (n !== undefined) names.push(n);
    images.set(d.digest, names);
  }
  if (images.size > 1 && depth === 0 && opts.image === undefined && !real.some((d) => d.platform)) {
    const names = [...images].map(([digest, ns]) => (ns.length > 0 ? ns.join(' = ') : digest));
    throw new ImgsizeError('E_IMAGE_AMBIGUOUS', `${opts.what} holds ${images.size} images (${real.length} references)`, {
      hint: `choose one with --image: ${names.join('; ')}`,
    });
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
  const manifest = parseImageManifest(bytes, `${opts.what}: manifest ${chosen.digest}`, opts.maxJsonBytes);
  return { manifest, manifestDigest: chosen.digest, refName };
}

/** containerd's (and Docker 25+ `docker save`'s) full image name annotation. */
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';

/** buildx attestation manifests: platform unknown/unknown, or the docker reference-type annotation. */
function isAttestation(d: Descriptor): boolean {
  return d.platform?.architecture === 'unknown' || d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
}

/** The platforms of an index for a hint, attestation entries left out (and counted). */
function platformList(ds: readonly Descriptor[]): string {
  const att = ds.filter(isAttestation).length;
  const list = ds.filter((d) => !isAttestation(d)).map((d) => formatPlatform(d.platform));
  return `${list.join(', ') || 'none'}${att > 0 ? ` (and ${att} attestation manifest${att === 1 ? '' : 's'}, which are not images)` : ''}`;
}

const IMAGE_CONFIG_TYPES = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);
const SCHEMA1_TYPES = /^application\/vnd\.docker\.distribution\.manifest\.v1\+(?:pretty)?jws$|^application\/vnd\.docker\.distribution\.manifest\.v1\+json$/;

/** What an OCI artifact manifest holds, for the message, or undefined for a container image. */
function artifactKind(m: ImageManifest, artifactType: unknown): string | undefined {
  const cfg = m.config.mediaType;
  const layerTypes = m.layers.map((l) => l.mediaType ?? '');
  if (cfg === 'application/vnd.cncf.helm.config.v1+json') return 'a Helm chart';
  if (layerTypes.some((t) => t === 'application/vnd.in-toto+json')) return 'an in-toto attestation (build provenance or SBOM)';
  if (layerTypes.some((t) => t === 'application/vnd.dev.cosign.simplesigning.v1+json')) return 'a cosign signature';
  if (typeof artifactType === 'string' && artifactType !== '') return `an OCI artifact of type ${artifactType}`;
  if (cfg !== undefined && !IMAGE_CONFIG_TYPES.has(cfg)) return `an OCI artifact (config media type ${cfg})`;
  return undefined;
}

/**
 * Parses an image manifest, with a clear E_UNSUPPORTED for what is not a container image: Docker
 * schema1 manifests, and OCI artifacts (Helm charts, attestations, signatures) — OCI image-spec
 * manifest.md, "Guidelines for Artifact Usage".
 */
export function parseImageManifest(bytes: Buffer, what: string, maxJsonBytes?: number): ImageManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    raw = undefined; // parseJsonDocument names the JSON error
  }
  const o = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  if (o.schemaVersion === 1 || (typeof o.mediaType === 'string' && SCHEMA1_TYPES.test(o.mediaType))) {
    throw new ImgsizeError('E_UNSUPPORTED', `${what} is a Docker schema1 manifest, a format deprecated since Docker 1.10`, {
      hint: 'convert it to schema2/OCI, e.g. `skopeo copy --format v2s2 SRC DEST`, or pull and push it with a current Docker',
    });
  }
  const manifest = parseJsonDocument(ImageManifest, bytes, what, maxJsonBytes);
  const kind = artifactKind(manifest, o.artifactType);
  if (kind !== undefined) {
    throw new ImgsizeError('E_UNSUPPORTED', `${what} is ${kind}, not a container image`, {
      hint: 'imgsize analyzes container images: name the image (tag or digest) itself',
    });
  }
  return manifest;
}

/** Blob compression implied by a layer media type; 'auto' when the type does not say. */
export function compressionOfMediaType(mt: string | undefined): 'none' | 'gzip' | 'zstd' | 'auto' {
  if (!mt) return 'auto';
  if (mt.endsWith('+gzip') || mt.endsWith('.tar.gzip') || mt === 'application/vnd.docker.image.rootfs.diff.tar.gzip') return 'gzip';
  if (mt.endsWith('+zstd')) return 'zstd';
  if (mt.endsWith('.tar') || mt === 'application/vnd.docker.image.rootfs.diff.tar') return 'none';
  return 'auto';
}
