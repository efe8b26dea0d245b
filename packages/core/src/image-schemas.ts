/**
 * zod schemas for the JSON documents imgsize reads from images (validated where they enter).
 * Docker `manifest.json`, OCI image index and manifest (also Docker schema2 and manifest lists),
 * and the image config. Unknown fields pass through; required ones are checked.
 */
import { z } from 'zod';

const Digest = z.string().regex(/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, 'not a digest');

const SAVE_KEYS = ['Config', 'RepoTags', 'Layers', 'LayerSources'] as const;

/**
 * Go's encoding/json matches object keys to fields case-insensitively (an exact match wins), and
 * `docker load` reads manifest.json with it: jib's `buildTar` writes `config`/`repoTags`/`layers`.
 */
function foldSaveKeys(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = { ...o };
  for (const k of SAVE_KEYS) {
    if (k in o) continue;
    const alt = Object.keys(o).find((x) => x.toLowerCase() === k.toLowerCase());
    if (alt !== undefined) out[k] = o[alt];
  }
  return out;
}

/** One image of a docker-save `manifest.json` (keys matched as Go's encoding/json does). */
export const DockerSaveManifestEntry = z.preprocess(
  foldSaveKeys,
  z.object({
    Config: z.string().min(1),
    RepoTags: z.array(z.string()).nullish(),
    Layers: z.array(z.string().min(1)),
    LayerSources: z.record(z.string(), z.unknown()).nullish(),
  }),
);
export const DockerSaveManifest = z.array(DockerSaveManifestEntry).min(1, 'manifest.json lists no image');
export type DockerSaveManifest = z.infer<typeof DockerSaveManifest>;
export type DockerSaveManifestEntry = z.infer<typeof DockerSaveManifestEntry>;

export const Platform = z.object({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
});
export type Platform = z.infer<typeof Platform>;

export const Descriptor = z.object({
  mediaType: z.string().optional(),
  digest: Digest,
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).nullish(),
  platform: Platform.optional(),
  urls: z.array(z.string()).nullish(),
});
export type Descriptor = z.infer<typeof Descriptor>;

/** OCI image index or Docker manifest list. */
export const ImageIndex = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(Descriptor),
  annotations: z.record(z.string(), z.string()).nullish(),
});
export type ImageIndex = z.infer<typeof ImageIndex>;

/** OCI image manifest or Docker schema2 manifest. */
export const ImageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
  annotations: z.record(z.string(), z.string()).nullish(),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

const HistoryItem = z.object({
  created: z.string().optional(),
  created_by: z.string().optional(),
  author: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
});

const StringList = z.array(z.string()).nullish();

/** Image config (OCI image-spec config.md; Docker adds fields we ignore). */
export const ImageConfig = z.object({
  architecture: z.string().default('unknown'),
  os: z.string().default('unknown'),
  variant: z.string().optional(),
  created: z.string().optional(),
  config: z
    .object({
      Env: StringList,
      Entrypoint: StringList,
      Cmd: StringList,
      WorkingDir: z.string().nullish(),
      User: z.string().nullish(),
      Labels: z.record(z.string(), z.string()).nullish(),
    })
    .nullish(),
  history: z.array(HistoryItem).nullish(),
  rootfs: z.object({
    type: z.string(),
    diff_ids: z.array(Digest),
  }),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
