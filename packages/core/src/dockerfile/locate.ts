/**
 * Joins a report with its Dockerfile: maps history and layers to instructions, gives every finding
 * its Dockerfile location (the instruction of the layer holding most of its bytes, or the FROM
 * line for base-image bytes) and the placements `planFix` needs. Pure: report and text in.
 */
import type { BaseImageHint } from '../attribution/base-image.js';
import { mapHistoryToLayers } from '../image-config.js';
import type { LoadedImage } from '../model.js';
import type { DockerfileLocation, Finding, Report } from '../report-schema.js';
import { warning } from '../warnings.js';
import { mapHistoryToDockerfile, type DockerfileMapping } from './map-history.js';
import type { FindingPlacement } from './patch.js';
import { parseDockerfile, type DockerfileInstruction, type ParsedDockerfile } from './parse.js';

/** A report joined with its Dockerfile. */
export interface LocatedReport {
  /** The report with `findings[].dockerfile` set and the mapping warnings appended to `warnings`. */
  report: Report;
  dockerfile: ParsedDockerfile;
  mapping: DockerfileMapping;
  /** Per finding (same order as `report.findings`), where its layers come from. */
  placements: FindingPlacement[];
}

/** Main layer of a finding: the one with most of its bytes. */
function mainLayer(f: Finding, report: Report): number | undefined {
  if (f.layerBytes && f.layerBytes.length > 0) return f.layerBytes[0]!.layer;
  // Reports saved before layerBytes existed: the layer whose instruction the finding names.
  return f.layers.find((l) => report.layers[l]?.instruction === f.instruction) ?? f.layers[0];
}

function locationOf(path: string, ins: DockerfileInstruction, base: boolean): DockerfileLocation {
  return { path, line: ins.startLine, endLine: ins.endLine, stage: ins.stage, keyword: ins.keyword, base };
}

/**
 * Locates a report's findings in a Dockerfile. Throws E_DOCKERFILE_SYNTAX / E_DOCKERFILE_MISMATCH.
 * `path` is how locations name the file (`Dockerfile:12`).
 */
export function locateFindings(report: Report, dockerfileText: string, path: string, buildArgs?: Readonly<Record<string, string>>): LocatedReport {
  const df = parseDockerfile(dockerfileText, { path, buildArgs });
  const mapping = mapHistoryToDockerfile(
    df,
    report.history.map((h) => ({ createdBy: h.createdBy, emptyLayer: h.emptyLayer, comment: h.comment, layerIndex: h.layerIndex })),
    report.layers.length,
  );
  const placements: FindingPlacement[] = [];
  const findings = (report.findings ?? []).map((f) => {
    const byLayer = new Map<number, number>();
    for (const l of f.layers) {
      const loc = mapping.layers[l];
      if (loc?.kind === 'instruction' && loc.instruction) byLayer.set(l, loc.instruction.index);
    }
    const main = mainLayer(f, report);
    const mainLoc = main === undefined ? null : mapping.layers[main];
    const layerBytes = new Map((f.layerBytes ?? []).map((b) => [b.layer, { bytes: b.bytes, compressedBytes: b.compressedBytes }] as const));
    if (layerBytes.size === 0 && main !== undefined) layerBytes.set(main, { bytes: f.bytes, compressedBytes: f.compressedBytes });
    placements.push({ finding: f, main: mainLoc?.kind === 'instruction' ? mainLoc.instruction!.index : undefined, byLayer, layerBytes });
    if (!mainLoc || mainLoc.kind === 'unmatched' || !mainLoc.instruction) return f;
    return { ...f, dockerfile: locationOf(path, mainLoc.instruction, mainLoc.kind === 'base') };
  });
  const warnings = [...report.warnings, ...mapping.warnings.map((w) => warning(w.code, w.message, w.historyIndex === undefined ? undefined : (report.history[w.historyIndex]?.layerIndex ?? undefined)))];
  return { report: { ...report, ...(report.findings && { findings }), warnings }, dockerfile: df, mapping, placements };
}

/**
 * The base image a Dockerfile names, as a base-image hint for `analyzeImage`: the layers whose
 * history entries come before the final stage's own instructions (the `FROM` chain's external
 * image). Undefined when no layer maps to the base image. Throws like `locateFindings`.
 */
export function dockerfileBaseHint(image: LoadedImage, dockerfileText: string, path: string, buildArgs?: Readonly<Record<string, string>>): BaseImageHint | undefined {
  const df = parseDockerfile(dockerfileText, { path, buildArgs });
  const { historyLayer } = mapHistoryToLayers(image.config.history, image.layers.length);
  const mapping = mapHistoryToDockerfile(
    df,
    image.config.history.map((h, i) => ({ createdBy: h.createdBy, emptyLayer: h.emptyLayer, comment: h.comment, layerIndex: historyLayer[i] ?? null })),
    image.layers.length,
  );
  let k = 0;
  while (k < mapping.layers.length && mapping.layers[k]?.kind === 'base') k++;
  if (k === 0) return undefined;
  const finalStage = df.stages[df.stages.length - 1];
  let stage = finalStage;
  while (stage && stage.parentStage !== null) stage = df.stages[stage.parentStage];
  return { diffIds: image.layers.slice(0, k).map((l) => l.diffId), ...(stage && { name: stage.baseImage }), method: 'dockerfile' };
}
