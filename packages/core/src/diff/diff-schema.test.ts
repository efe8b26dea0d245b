/**
 * The committed JSON Schema must match the zod schema. After changing diff-schema.ts, regenerate:
 *   UPDATE_SCHEMA=1 pnpm exec vitest run packages/core/src/diff/diff-schema.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIFF_SCHEMA_VERSION, diffReportJsonSchema } from './diff-schema.js';

const FILE = fileURLToPath(new URL('../../schema/diff-report.schema.json', import.meta.url));

describe('diff-report.schema.json', () => {
  const generated = `${JSON.stringify(diffReportJsonSchema(), null, 2)}\n`;
  if (process.env.UPDATE_SCHEMA) writeFileSync(FILE, generated);

  it('is up to date with DiffReportSchema (UPDATE_SCHEMA=1 regenerates it)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(generated);
  });

  it('pins the schema version', () => {
    const s = JSON.parse(generated) as { properties: { schemaVersion: { const: number } } };
    expect(s.properties.schemaVersion.const).toBe(DIFF_SCHEMA_VERSION);
  });
});
