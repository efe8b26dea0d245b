import { describe, expect, it } from 'vitest';
import { makeReport } from '../../../../test/diff/make-report.js';
import { isImgsizeError } from '../errors.js';
import { diffReports } from './diff.js';
import { looksLikeJson, parseSavedReport } from './saved-report.js';

function errorOf(f: () => unknown): Error & { code?: string; hint?: string } {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

const report = makeReport({ layers: [{ diffId: 'sha256:a', bytes: 10 }], files: [['/a', 10, 10]] });

describe('saved reports', () => {
  it('round-trips through JSON unchanged', () => {
    const text = JSON.stringify(report, null, 2);
    expect(parseSavedReport(text, 'r.json')).toEqual(report);
    expect(parseSavedReport(`\uFEFF${text}`, 'r.json')).toEqual(report);
  });

  it('sniffs JSON against tar and gzip heads', () => {
    expect(looksLikeJson('  \n{"schemaVersion":1}')).toBe(true);
    expect(looksLikeJson(Buffer.from('{"a"'))).toBe(true);
    expect(looksLikeJson(Buffer.from([0xef, 0xbb, 0xbf, 0x7b]))).toBe(true);
    expect(looksLikeJson(Buffer.from([0x1f, 0x8b, 0x08, 0x00]))).toBe(false);
    expect(looksLikeJson(Buffer.from('manifest.json\0\0\0'))).toBe(false);
    expect(looksLikeJson('[1,2]')).toBe(false);
  });

  it.each([
    ['{', /invalid JSON/],
    ['[]', /expected a JSON object/],
    ['null', /expected a JSON object/],
    ['{"a": 1}', /no schemaVersion/],
    ['{"schemaVersion": 3}', /schemaVersion 3 is not supported \(this imgsize reads 2\)/],
    ['{"schemaVersion": "1"}', /schemaVersion "1" is not supported/],
    ['{"schemaVersion": 1, "before": {}, "after": {}, "totals": {}}', /this is a diff report/],
  ])('rejects %j with E_BAD_CONFIG', (text, msg) => {
    const e = errorOf(() => parseSavedReport(text, 'r.json'));
    expect(isImgsizeError(e, 'E_BAD_CONFIG')).toBe(true);
    expect(e.message).toMatch(/^reading report r\.json: /);
    expect(e.message).toMatch(msg);
  });

  it('a schemaVersion 1 report (text warnings, fastPath) is read as version 2: saved CI baselines keep working', () => {
    const v1 = JSON.parse(JSON.stringify(report));
    v1.schemaVersion = 1;
    v1.warnings = ['layer 0: a lone zero block at offset 1024', 'image history has 2 non-empty entries for 1 layers'];
    v1.image.source = { ...v1.image.source, fastPath: true };
    const r = parseSavedReport(JSON.stringify(v1), 'old.json');
    expect(r.schemaVersion).toBe(2);
    expect(r.warnings).toEqual(v1.warnings.map((message: string) => ({ code: 'W_SAVED_TEXT', message })));
    expect(r.image.source).not.toHaveProperty('fastPath');
    expect({ ...r, warnings: [] }).toEqual({ ...report, warnings: [] });
    expect(diffReports(r, report).totals).toEqual(diffReports(report, report).totals);
  });

  it('a newer schemaVersion hints at upgrading imgsize', () => {
    expect(errorOf(() => parseSavedReport('{"schemaVersion": 9}')).hint).toMatch(/newer imgsize/);
  });

  it('names the first bad fields of an invalid report', () => {
    const bad = JSON.parse(JSON.stringify(report));
    bad.summary.contentBytes = -1;
    delete bad.layers[0].diffId;
    const e = errorOf(() => parseSavedReport(JSON.stringify(bad), 'r.json'));
    expect(e.message).toMatch(/summary\.contentBytes: /);
    expect(e.message).toMatch(/layers\[0\]\.diffId: /);
  });

  it('a saved report diffs like the fresh one', () => {
    const saved = parseSavedReport(JSON.stringify(report));
    expect(diffReports(saved, report)).toEqual(diffReports(report, report));
  });
});
