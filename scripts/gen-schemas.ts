/** Regenerates the committed JSON Schema files from the zod schemas: `pnpm exec tsx scripts/gen-schemas.ts`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reportJsonSchema } from '../packages/core/src/report-schema.js';

const out = fileURLToPath(new URL('../packages/core/schema/report.schema.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out}`);
