/**
 * `--no-estimate` / `AnalyzeOptions.estimate: false`: no compressed-size sampling, a labelled
 * report with no invented compressed figures, every uncompressed number unchanged, and renderers
 * that never print a compressed size they do not have.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage, openDockerArchive, ReportSchema, type Report } from '@imgsize/core';
import { naiveMlImage, writeDockerArchive } from '../../fixtures/images/index.js';
import { runCliInProcess } from '../helpers/cli.js';

let dir: string;
let archive: string;
let full: Report;
let skipped: Report;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-noest-'));
  archive = join(dir, 'naive.tar');
  await writeDockerArchive(naiveMlImage({ scale: 2000 }), archive, { layout: 'legacy' });
  full = await analyzeImage(openDockerArchive(archive));
  skipped = await analyzeImage(openDockerArchive(archive), { estimate: false });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analysis without the compressed-size estimate', () => {
  it('is labelled and carries no estimated compressed figure', () => {
    ReportSchema.parse(skipped);
    expect(full.summary.compressedEstimate).toBeUndefined();
    expect(full.summary.compressedBytes).toBeGreaterThan(0);
    expect(skipped.summary.compressedEstimate).toBe('skipped');
    expect(skipped.summary.compressedBytes).toBeUndefined();
    expect(skipped.summary.potentialSavingsCompressedBytes).toBeUndefined();
    expect(skipped.pull).toBeUndefined();
    for (const l of skipped.layers) expect(l.compressedBytes).toBeUndefined();
    for (const c of skipped.categories ?? []) expect(c.compressedBytes).toBeUndefined();
    for (const p of skipped.waste.topPaths) expect(p.compressedBytes).toBeUndefined();
  });

  it('leaves every uncompressed number as the full analysis has it', () => {
    const un = (r: Report): unknown => ({
      contentBytes: r.summary.contentBytes,
      visibleBytes: r.summary.visibleBytes,
      wastedBytes: r.summary.wastedBytes,
      entries: r.summary.entries,
      potentialSavingsBytes: r.summary.potentialSavingsBytes,
      layers: r.layers.map((l) => [l.contentBytes, l.tarBytes, l.visibleBytes, l.entries]),
      categories: r.categories?.map((c) => [c.id, c.bytes, c.visibleBytes, c.wastedBytes]),
      findings: r.findings?.map((f) => [f.id, f.bytes]),
      dive: r.dive,
    });
    expect(un(skipped)).toEqual(un(full));
  });

  it('the CLI flag gives the labelled report, and no renderer shows a compressed size', async () => {
    const json = await runCliInProcess(['analyze', archive, '--no-estimate', '--json']);
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout) as Report;
    expect(r.summary.compressedEstimate).toBe('skipped');
    for (const format of ['terminal', 'markdown']) {
      const out = await runCliInProcess(['analyze', archive, '--no-estimate', '--format', format]);
      expect(out.code).toBe(0);
      expect(out.stdout).not.toMatch(/\b0 B compressed/);
      expect(out.stdout).not.toMatch(/[\d.]+ [kMG]?B\)? compressed/);
      expect(out.stdout).toMatch(/not estimated/);
    }
    const normal = await runCliInProcess(['analyze', archive, '--format', 'terminal']);
    expect(normal.stdout).toMatch(/[\d.]+ [kMG]?B compressed/);
  }, 60_000);
});
