/** `imgsize version`: the CLI and core versions and the report schema versions. */
import { DIFF_SCHEMA_VERSION, REPORT_SCHEMA_VERSION, VERSION } from '@imgsize/core';
import { EXIT_OK, UsageError } from '../cli-error.js';
import { defineCommand } from './command.js';

export const versionCommand = defineCommand({
  name: 'version',
  summary: 'print the version (--json for the schema versions too)',
  usage: 'imgsize version [--json]',
  options: { json: { type: 'boolean', help: 'as JSON: {version, reportSchemaVersion, diffSchemaVersion, node}' } },
  async run({ values, positionals }, ctx) {
    if (positionals.length > 0) throw new UsageError('version takes no arguments');
    if (values.json) {
      const v = { version: VERSION, reportSchemaVersion: REPORT_SCHEMA_VERSION, diffSchemaVersion: DIFF_SCHEMA_VERSION, node: process.versions.node };
      ctx.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
    } else {
      ctx.stdout.write(`imgsize ${VERSION} (report schema ${REPORT_SCHEMA_VERSION}, diff schema ${DIFF_SCHEMA_VERSION}, node ${process.versions.node})\n`);
    }
    return EXIT_OK;
  },
});
