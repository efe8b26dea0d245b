/** Test helpers: findings placed on Dockerfile lines without an image. */
import type { Finding } from '../report-schema.js';
import type { FindingPlacement } from './patch.js';
import type { ParsedDockerfile } from './parse.js';

/** A finding with the given id, bytes and evidence (other fields neutral). */
export function fakeFinding(id: string, bytes: number, evidence: Array<{ path: string; bytes: number; layer: number }> = []): Finding {
  return {
    id,
    title: `${id} finding`,
    severity: 'medium',
    confidence: 'certain',
    bytes,
    compressedBytes: Math.round(bytes / 2),
    pullSeconds: 0,
    layers: [...new Set(evidence.map((e) => e.layer))],
    instruction: null,
    evidence,
    fix: '',
    countedInSavings: true,
  };
}

/**
 * Places a finding on instructions by their start lines: `lines[k]` made layer k+1; the first
 * line carries all the bytes (the shipping layer).
 */
export function placeAt(df: ParsedDockerfile, f: Finding, lines: readonly number[]): FindingPlacement {
  const byLayer = new Map<number, number>();
  lines.forEach((line, k) => {
    const ins = df.instructions.find((i) => i.startLine === line);
    if (!ins) throw new Error(`no instruction starts at line ${line}`);
    byLayer.set(k + 1, ins.index);
  });
  return {
    finding: f,
    main: byLayer.get(1),
    byLayer,
    layerBytes: new Map([[1, { bytes: f.bytes, compressedBytes: f.compressedBytes }]]),
  };
}
