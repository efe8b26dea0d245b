import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportJsonSchema } from './report-schema.js';

describe('report JSON Schema', () => {
  it('the committed schema file matches the zod schema (run `pnpm exec tsx scripts/gen-schemas.ts` after a change)', () => {
    const committed = JSON.parse(readFileSync(new URL('../schema/report.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(reportJsonSchema())));
  });
});
