/** Computes the report's `coldStart` and `buildTime` sections from a loaded image (pure). */
import type { LoadedImage } from '../model.js';
import type { Finding, LayerReport } from '../report-schema.js';
import { warning, type ImgsizeWarning } from '../warnings.js';
import { buildTimeFromHistory, type BuildTimeReport } from './build-time.js';
import { BUILTIN_PULL_PROFILES, DEFAULT_PULL_PROFILE, type PullProfile } from './profile.js';
import { buildColdStart, type ColdStartReport } from './report.js';

/** The two sections plus the warnings they raise. */
export function coldStartSections(
  image: LoadedImage,
  layers: readonly LayerReport[],
  findings: readonly Finding[],
  historyLayer: readonly (number | null)[],
  options: { pullProfile?: PullProfile | undefined; bandwidthBitsPerSecond?: number | undefined },
): { coldStart: ColdStartReport | undefined; buildTime: BuildTimeReport; warnings: ImgsizeWarning[] } {
  const warnings: ImgsizeWarning[] = [];
  const profile = options.pullProfile ?? {
    ...BUILTIN_PULL_PROFILES[DEFAULT_PULL_PROFILE]!,
    bandwidthBitsPerSecond: options.bandwidthBitsPerSecond ?? BUILTIN_PULL_PROFILES[DEFAULT_PULL_PROFILE]!.bandwidthBitsPerSecond,
  };
  let coldStart: ColdStartReport | undefined;
  if (image.source.metadataOnly) {
    warnings.push(warning('W_COLD_START', 'cold start not estimated: --metadata-only reads no layer contents, so uncompressed sizes are unknown'));
  } else {
    coldStart = buildColdStart(
      layers.map((l, i) => {
        const scan = image.layers[i]?.scan;
        return {
          compression: l.compression,
          compressedBytes: l.compressedBytes,
          tarBytes: l.tarBytes,
          entries: l.entries,
          contentBytes: l.contentBytes,
          zstdBytes: scan?.estimatedZstdBytes,
          estimatedGzipBytes: scan?.estimatedCompressedBytes,
        };
      }),
      profile,
      findings,
    );
    if (!coldStart) warnings.push(warning('W_COLD_START', 'cold start not estimated: a layer has no known or estimated compressed size'));
    else if (!coldStart.whatIfs.some((w) => w.id === 'zstd') && layers.some((l) => l.compression !== 'zstd') && layers.length > 0) {
      warnings.push(warning('W_COLD_START', 'zstd what-if skipped: no zstd compressor (Node ≥ 22.15 or the zstd command) or no sampled bytes'));
    }
  }
  const buildTime = buildTimeFromHistory(image.config.history.map((h, i) => ({ createdBy: h.createdBy, created: h.created, layerIndex: historyLayer[i] ?? null })));
  return { coldStart, buildTime, warnings };
}
