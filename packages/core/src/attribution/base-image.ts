/**
 * Which layers are the base image's: the `base-image` category covers them. In order of trust:
 * the base image's own diffIDs (`--base IMAGE`, or the Dockerfile's final `FROM` resolved by its
 * caller) matched as a prefix of the image's diffIDs; else the OCI annotations
 * `org.opencontainers.image.base.name` / `.digest` (manifest annotations or config labels) name
 * the base, but not its layers; else the first layer, labelled a guess.
 */
import type { LoadedImage } from '../model.js';

export const BASE_NAME_ANNOTATION = 'org.opencontainers.image.base.name';
export const BASE_DIGEST_ANNOTATION = 'org.opencontainers.image.base.digest';

/** What a caller knows of the base image (from `--base IMAGE`, or a Dockerfile's final FROM). */
export interface BaseImageHint {
  /** The base image's diffIDs, base first. */
  diffIds: readonly string[];
  name?: string | undefined;
  digest?: string | undefined;
  /** How the caller found it (default 'option'). */
  method?: 'option' | 'dockerfile' | undefined;
}

/** How the base image's layers were identified. */
export type BaseImageMethod = 'option' | 'dockerfile' | 'annotation' | 'first-layer-guess';

/** The base image of an analyzed image. */
export interface BaseImageInfo {
  /** Layers 0 … layers-1 are the base image's. */
  layers: number;
  method: BaseImageMethod;
  /** True when `layers` is not known but assumed (the first layer). */
  guessed: boolean;
  name?: string | undefined;
  digest?: string | undefined;
  /** Why the result is less certain than the method suggests. */
  note?: string | undefined;
}

/** Identifies the base image's layers of `image` (pure). */
export function detectBaseImage(image: LoadedImage, hint?: BaseImageHint): BaseImageInfo {
  const n = image.layers.length;
  const ann = { ...image.config.labels, ...image.annotations };
  const annName = ann[BASE_NAME_ANNOTATION];
  const annDigest = ann[BASE_DIGEST_ANNOTATION];
  const named = {
    ...(annName !== undefined && { name: annName }),
    ...(annDigest !== undefined && { digest: annDigest }),
  };
  const guess = Math.min(1, n);
  if (hint) {
    const ids = image.layers.map((l) => l.diffId);
    let k = 0;
    while (k < hint.diffIds.length && k < ids.length && ids[k] === hint.diffIds[k]) k++;
    const method = hint.method ?? 'option';
    const name = hint.name ?? annName;
    const digest = hint.digest ?? annDigest;
    const who = { ...(name !== undefined && { name }), ...(digest !== undefined && { digest }) };
    if (k === hint.diffIds.length && k > 0) return { layers: k, method, guessed: false, ...who };
    if (k > 0) {
      return { layers: k, method, guessed: false, ...who, note: `only the first ${k} of the base image's ${hint.diffIds.length} layers match this image (rebuilt or a different tag?)` };
    }
    return {
      layers: guess,
      method: 'first-layer-guess',
      guessed: true,
      ...who,
      note: `the given base image${name ? ` ${name}` : ''} shares no leading layer with this image; the first layer is assumed to be the base`,
    };
  }
  if (annName !== undefined || annDigest !== undefined) {
    return { layers: guess, method: 'annotation', guessed: true, ...named, note: 'the annotations name the base image but not its layers; the first layer is assumed (pass --base to match its layers)' };
  }
  return { layers: guess, method: 'first-layer-guess', guessed: true };
}
