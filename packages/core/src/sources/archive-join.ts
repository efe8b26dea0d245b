/**
 * The join step of the docker-archive reader: whichever reader walked the archive (seekable or
 * stream), its contents are looked up by path here: `manifest.json` (or an OCI `index.json`),
 * the config, and the layer blobs, which `assembleImage` then scans and checks.
 */
import { ImgsizeError } from '../errors.js';
import { DockerSaveManifest, ImageIndex, type Descriptor } from '../image-schemas.js';
import { parseJsonDocument } from '../image-config.js';
import type { LayerScanOptions } from '../layer-scan.js';
import { limitError, type Limits } from '../limits.js';
import type { LoadedImage, LoadOptions, SourceFormat } from '../model.js';
import { parsePlatform, selectFromIndex } from '../oci-index.js';
import { cleanPath, parentPath } from '../paths.js';
import type { TarEntryHeader } from '../tar/types.js';
import { warning, type ImgsizeWarning } from '../warnings.js';
import { sameImageName } from './registry-ref.js';
import { assembleImage, type AssemblyManifest, type BlobScan, type LayerBlobs } from './assemble.js';

const MAX_LINK_HOPS = 16;

/** The archive's contents as the join step needs them; implemented by both readers. */
export interface ArchiveContents {
  /** Clean path → resolved clean path of a regular file, following archive symlinks/hardlinks. */
  resolve(path: string): string | undefined;
  /** How many entries of the archive have this clean path (the last one counts, as in extraction). */
  occurrences(path: string): number;
  /** Warnings of the outer archive walk (lone zero blocks, data after the end marker, ...). */
  warnings: string[];
  readJson(path: string, what: string): Promise<Buffer>;
  /** Scans a layer blob (a resolved path); its first bytes decide its compression (media types lie). */
  scanLayer(path: string, options: LayerScanOptions, signal: AbortSignal): Promise<BlobScan>;
  /** Layers scanned at once. */
  concurrency: number;
}

/** Where an outer archive file's payload lies. */
export interface OuterEntry {
  offset: number;
  size: number;
}

/**
 * The outer archive's files and links by clean path. A later entry with the same path replaces
 * the earlier one whatever their types, as extracting the archive (what `docker load` does) would.
 */
export class LinkTable {
  readonly files = new Map<string, OuterEntry>();
  readonly links = new Map<string, { target: string; hard: boolean }>();
  readonly counts = new Map<string, number>();

  /** Records an entry; returns its clean path. */
  add(h: TarEntryHeader): string {
    const p = cleanPath(h.name);
    this.counts.set(p, (this.counts.get(p) ?? 0) + 1);
    this.files.delete(p);
    this.links.delete(p);
    if (h.type === 'file') this.files.set(p, { offset: h.offset, size: h.size });
    else if ((h.type === 'symlink' || h.type === 'hardlink') && h.linkname !== undefined) {
      this.links.set(p, { target: h.linkname, hard: h.type === 'hardlink' });
    }
    return p;
  }

  occurrences(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  resolve(path: string): string | undefined {
    let p = cleanPath(path);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      if (this.files.has(p)) return p;
      const l = this.links.get(p);
      if (!l) return undefined;
      p = l.hard || l.target.startsWith('/') ? cleanPath(l.target) : cleanPath(`${parentPath(p)}/${l.target}`);
    }
    return undefined;
  }
}

/** E_LIMIT for a JSON document over maxMetadataFileBytes. */
export function jsonTooBig(what: string, size: number, limits: Limits): ImgsizeError {
  return limitError('maxMetadataFileBytes', limits, `${what} is ${size} bytes, over the limit for JSON documents`);
}

const DIGEST_PATH_RE = /^blobs\/([a-z0-9]+)\/([a-f0-9]{32,})$/;

/** Joins the walked archive into a LoadedImage: manifest.json (else index.json) → config → layers. */
export async function joinArchive(contents: ArchiveContents, description: string, options: LoadOptions, limits: Limits): Promise<LoadedImage> {
  const isOci = contents.resolve('oci-layout') !== undefined || contents.resolve('index.json') !== undefined;
  const format: SourceFormat = isOci ? 'docker-archive-oci' : 'docker-archive-legacy';
  const warnings: ImgsizeWarning[] = contents.warnings.map((w) => warning('W_ARCHIVE_TAR', `archive: ${w}`));
  const noted = new Set<string>();
  /** Warns about duplicate entries of `path` (and of the link `via` that led to it), once each. */
  const noteDuplicate = (path: string, what: string, via?: string): void => {
    for (const p of via === undefined ? [path] : [cleanPath(via), path]) {
      const n = contents.occurrences(p);
      if (n > 1 && !noted.has(p)) {
        noted.add(p);
        warnings.push(warning('W_ARCHIVE_DUPLICATE', `archive: ${n} entries are named ${JSON.stringify(p)} (${what}); the last one is used, as extracting the archive would`));
      }
    }
  };
  const blobs: LayerBlobs = {
    scan(d, scanOptions, signal) {
      if (d.blob.startsWith('\0')) throw new ImgsizeError('E_LAYER_MISSING', `the archive has no such file`);
      return contents.scanLayer(d.blob, scanOptions, signal);
    },
  };
  const manifestPath = contents.resolve('manifest.json');
  if (manifestPath === undefined) {
    const indexPath = contents.resolve('index.json');
    if (indexPath === undefined && contents.resolve('repositories') !== undefined) {
      throw new ImgsizeError('E_UNSUPPORTED', 'the archive is a pre-1.10 `docker save` (a `repositories` file, no manifest.json): its layers are not content-addressed', {
        hint: 'load it into a current Docker and save it again: docker load -i OLD.tar && docker save IMAGE -o NEW.tar',
      });
    }
    if (indexPath === undefined) {
      throw new ImgsizeError('E_NO_MANIFEST', 'the archive has no manifest.json (nor an OCI index.json)', {
        hint: 'is this a `docker save` archive? a single layer tar is not an image',
      });
    }
    // An OCI image layout tar without manifest.json (`skopeo copy … oci-archive:`).
    const blobPath = (d: Descriptor): string => {
      const [alg, hex] = d.digest.split(':');
      return `blobs/${alg}/${hex}`;
    };
    const readBlob = async (d: Descriptor): Promise<Buffer> => {
      const p = contents.resolve(blobPath(d));
      if (p === undefined) throw new ImgsizeError('E_LAYER_MISSING', `blob ${d.digest} is not in the archive`);
      return contents.readJson(p, `blob ${d.digest}`);
    };
    noteDuplicate(indexPath, 'index.json', 'index.json');
    const index = parseJsonDocument(ImageIndex, await contents.readJson(indexPath, 'index.json'), 'index.json', limits.maxMetadataFileBytes);
    const platform = options.platform === undefined ? undefined : parsePlatform(options.platform);
    const sel = await selectFromIndex(index, readBlob, { image: options.image, platform, what: 'index.json', maxJsonBytes: limits.maxMetadataFileBytes });
    const manifest: AssemblyManifest = {
      what: 'the image manifest',
      layers: sel.manifest.layers.map((d, i) => {
        const p = contents.resolve(blobPath(d));
        if (p !== undefined) noteDuplicate(p, `layer ${i}`);
        return { blob: p ?? `\0${d.digest}`, digest: d.digest, mediaType: d.mediaType, size: d.size, label: d.digest };
      }),
    };
    const a = await assembleImage({
      manifest,
      config: { what: `image config ${sel.manifest.config.digest}`, read: () => readBlob(sel.manifest.config) },
      blobs,
      load: options,
      limits,
      concurrency: contents.concurrency,
      warnings,
    });
    const declared = sel.manifest.config.digest;
    if (declared.startsWith('sha256:') && declared !== a.configDigest) {
      a.warnings.push(warning('W_CONFIG_DIGEST', `the image manifest names config ${declared}, but the config in the archive hashes to ${a.configDigest} (reported)`));
    }
    return {
      source: { kind: 'docker-archive', format: 'docker-archive-oci', ref: description },
      repoTags: sel.refName ? [sel.refName] : [],
      config: a.config,
      configDigest: declared.startsWith('sha256:') ? a.configDigest : declared,
      manifestDigest: sel.manifestDigest,
      ...(sel.manifest.annotations && { annotations: sel.manifest.annotations }),
      layers: a.layers,
      warnings: a.warnings,
    };
  }
  noteDuplicate(manifestPath, 'manifest.json', 'manifest.json');
  const saved = parseJsonDocument(DockerSaveManifest, await contents.readJson(manifestPath, 'manifest.json'), 'manifest.json', limits.maxMetadataFileBytes);
  const entry = chooseImage(saved, options.image);
  const configPath = contents.resolve(entry.Config);
  if (configPath !== undefined) noteDuplicate(configPath, 'the image config', entry.Config);
  const manifest: AssemblyManifest = {
    what: 'manifest.json',
    deriveMediaTypes: true,
    layers: entry.Layers.map((name, i) => {
      const p = contents.resolve(name);
      if (p !== undefined) noteDuplicate(p, `layer ${i}`, name);
      const m = p === undefined ? null : DIGEST_PATH_RE.exec(p);
      return { blob: p ?? `\0${name}`, digest: m ? `${m[1]}:${m[2]}` : undefined, label: JSON.stringify(name) };
    }),
  };
  const a = await assembleImage({
    manifest,
    config: {
      what: `image config ${JSON.stringify(entry.Config)}`,
      read: async () => {
        if (configPath === undefined) throw new ImgsizeError('E_LAYER_MISSING', `manifest.json names config ${JSON.stringify(entry.Config)}, which is not in the archive`);
        return contents.readJson(configPath, 'image config');
      },
    },
    blobs,
    load: options,
    limits,
    concurrency: contents.concurrency,
    warnings,
  });
  return {
    source: { kind: 'docker-archive', format, ref: description },
    repoTags: entry.RepoTags ?? [],
    config: a.config,
    // From the bytes, not the member name: kaniko and buildah name it `sha256:<hex>`, and a
    // repeated member name means the last entry is the one read.
    configDigest: a.configDigest,
    layers: a.layers,
    warnings: a.warnings,
  };
}

function chooseImage(manifest: DockerSaveManifest, want: string | undefined): DockerSaveManifest[number] {
  const label = (m: DockerSaveManifest[number]): string => (m.RepoTags && m.RepoTags.length > 0 ? m.RepoTags.join(', ') : m.Config);
  if (want === undefined) {
    if (manifest.length === 1) return manifest[0]!;
    throw new ImgsizeError('E_IMAGE_AMBIGUOUS', `the archive holds ${manifest.length} images`, {
      hint: `choose one with --image: ${manifest.map(label).join('; ')}`,
    });
  }
  const idPrefix = want.replace(/^sha256:/, '');
  const withLatest = want.includes(':') ? want : `${want}:latest`;
  const exact = manifest.filter(
    (m) =>
      (m.RepoTags ?? []).some((t) => sameImageName(t, want)) ||
      (/^[a-f0-9]{4,64}$/.test(idPrefix) && m.Config.replace(/^blobs\/sha256\//, '').replace(/^sha256:/, '').replace(/\.json$/, '').startsWith(idPrefix)),
  );
  // Else a unique repository-suffix match (`app:1` for `ghcr.io/org/app:1`), as before.
  const hits = exact.length > 0 ? exact : manifest.filter((m) => (m.RepoTags ?? []).some((t) => t.endsWith(`/${withLatest}`)));
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) {
    throw new ImgsizeError('E_IMAGE_NOT_FOUND', `the archive has no image "${want}"`, { hint: `images here: ${manifest.map(label).join('; ')}` });
  }
  throw new ImgsizeError('E_IMAGE_AMBIGUOUS', `"${want}" matches ${hits.length} images`, { hint: hits.map(label).join('; ') });
}
