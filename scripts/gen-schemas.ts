/** Regenerates the committed JSON Schema files from the zod schemas: `pnpm exec tsx scripts/gen-schemas.ts`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reportJsonSchema } from '../packages/core/src/report-schema.js';
import { diffReportJsonSchema } from '../packages/core/src/diff/diff-schema.js';

for (const [name, schema] of [
  ['report.schema.json', reportJsonSchema()],
  ['diff-report.schema.json', diffReportJsonSchema()],
] as const) {
  const out = fileURLToPath(new URL(`../packages/core/schema/${name}`, import.meta.url));
  writeFileSync(out, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${out}`);
}
