/**
 * Parsing of image JSON documents at the boundary, and the mapping of config history entries to
 * layers (history has one entry per Dockerfile instruction; only those without `empty_layer`
 * produced a layer).
 */
import type { z } from 'zod';
import { ImgsizeError } from './errors.js';
import { ImageConfig } from './image-schemas.js';
import { DEFAULT_LIMITS, limitError } from './limits.js';
import type { HistoryEntry, ImageConfigInfo } from './model.js';

/** Largest JSON document (manifest, index, config) imgsize parses by default (`DEFAULT_LIMITS.maxMetadataFileBytes`). */
export const MAX_JSON_BYTES = DEFAULT_LIMITS.maxMetadataFileBytes;

/**
 * Parses and validates a JSON document; E_BAD_MANIFEST with the first problem otherwise, E_LIMIT
 * (maxMetadataFileBytes) when it is longer than `maxBytes`.
 */
export function parseJsonDocument<S extends z.ZodType>(schema: S, bytes: Buffer | string, what: string, maxBytes: number = MAX_JSON_BYTES): z.infer<S> {
  if (bytes.length > maxBytes) {
    throw limitError('maxMetadataFileBytes', maxBytes, `${what} is ${bytes.length} bytes, over the ${maxBytes}-byte limit for JSON documents`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    throw new ImgsizeError('E_BAD_MANIFEST', `${what} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new ImgsizeError('E_BAD_MANIFEST', `${what} is not a valid document${at}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** Parses an image config blob into the model's ImageConfigInfo. */
export function parseImageConfig(bytes: Buffer | string, what = 'image config', maxBytes: number = MAX_JSON_BYTES): ImageConfigInfo {
  const c = parseJsonDocument(ImageConfig, bytes, what, maxBytes);
  const history: HistoryEntry[] = (c.history ?? []).map((h) => ({
    created: h.created,
    createdBy: h.created_by ?? '',
    comment: h.comment,
    emptyLayer: h.empty_layer === true,
  }));
  return {
    os: c.os,
    architecture: c.architecture,
    variant: c.variant,
    created: c.created,
    env: c.config?.Env ?? [],
    entrypoint: c.config?.Entrypoint ?? null,
    cmd: c.config?.Cmd ?? null,
    workingDir: c.config?.WorkingDir ?? undefined,
    user: c.config?.User ?? undefined,
    labels: c.config?.Labels ?? {},
    history,
    diffIds: c.rootfs.diff_ids,
  };
}

/** For each layer, the index of the history entry that created it (or null when unknown). */
export interface HistoryMapping {
  layerHistory: (number | null)[];
  /** For each history entry, the layer it created (null for empty layers). */
  historyLayer: (number | null)[];
  warnings: string[];
}

/**
 * Maps history entries to layers: the i-th non-empty history entry made the i-th layer.
 * When the counts disagree (squashed or hand-made images), the mapping aligns the LAST entries
 * with the last layers (base-image history is the part most often missing) and warns.
 */
export function mapHistoryToLayers(history: readonly HistoryEntry[], layerCount: number): HistoryMapping {
  const nonEmpty: number[] = [];
  history.forEach((h, i) => {
    if (!h.emptyLayer) nonEmpty.push(i);
  });
  const layerHistory: (number | null)[] = new Array(layerCount).fill(null);
  const historyLayer: (number | null)[] = history.map(() => null);
  const warnings: string[] = [];
  if (history.length > 0 && nonEmpty.length !== layerCount) {
    warnings.push(
      `image history has ${nonEmpty.length} non-empty entries for ${layerCount} layers; instructions are matched from the top layer down`,
    );
  }
  const offset = layerCount - nonEmpty.length;
  nonEmpty.forEach((hi, k) => {
    const li = k + offset;
    if (li >= 0 && li < layerCount) {
      layerHistory[li] = hi;
      historyLayer[hi] = li;
    }
  });
  return { layerHistory, historyLayer, warnings };
}
