/**
 * Saved analyze reports (`imgsize analyze --json > before.json`) coming back in: sniffed, schema
 * version checked, then validated with ReportSchema. Errors are E_BAD_CONFIG with the file name.
 */
import { ImgsizeError } from '../errors.js';
import { REPORT_SCHEMA_VERSION, ReportSchema, type Report } from '../report-schema.js';
import { formatZodIssues } from '../budgets/zod-issues.js';

/** True when `head` (the first bytes of a file) starts like a JSON object, i.e. not a tar archive. */
export function looksLikeJson(head: Uint8Array | string): boolean {
  const s = typeof head === 'string' ? head : Buffer.from(head.subarray(0, 64)).toString('latin1');
  return /^(\uFEFF|\xEF\xBB\xBF)?\s*\{/.test(s);
}

/** Parses and validates the text of a saved analyze report named `name`. */
export function parseSavedReport(text: string, name = 'report'): Report {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ImgsizeError('E_BAD_CONFIG', `reading report ${name}: invalid JSON: ${(e as Error).message}`, { cause: e });
  }
  return validateSavedReport(json, name);
}

/** Validates an already parsed saved report, checking its schemaVersion first. */
export function validateSavedReport(json: unknown, name = 'report'): Report {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ImgsizeError('E_BAD_CONFIG', `reading report ${name}: expected a JSON object`, {
      hint: "save a report with 'imgsize analyze <image> --json --include-files > report.json'",
    });
  }
  const o = json as Record<string, unknown>;
  if (!('schemaVersion' in o)) {
    throw new ImgsizeError('E_BAD_CONFIG', `reading report ${name}: not an imgsize analyze report (no schemaVersion)`, {
      hint: "save a report with 'imgsize analyze <image> --json --include-files > report.json'",
    });
  }
  if ('totals' in o && 'before' in o && 'after' in o) {
    throw new ImgsizeError('E_BAD_CONFIG', `reading report ${name}: this is a diff report, not an analyze report`, {
      hint: "save a report with 'imgsize analyze <image> --json --include-files > report.json'",
    });
  }
  if (o.schemaVersion === 1) return validateSavedReport(upgradeV1(o), name);
  if (o.schemaVersion !== REPORT_SCHEMA_VERSION) {
    const v = o.schemaVersion;
    const newer = typeof v === 'number' && v > REPORT_SCHEMA_VERSION;
    throw new ImgsizeError(
      'E_BAD_CONFIG',
      `reading report ${name}: schemaVersion ${JSON.stringify(v)} is not supported (this imgsize reads ${REPORT_SCHEMA_VERSION})`,
      { hint: newer ? 'the report was written by a newer imgsize; upgrade imgsize' : 'regenerate the report with this imgsize version' },
    );
  }
  const r = ReportSchema.safeParse(json);
  if (!r.success) {
    throw new ImgsizeError('E_BAD_CONFIG', `reading report ${name}: not a valid analyze report: ${formatZodIssues(r.error)}`, {
      cause: r.error,
      hint: 'was it written by `imgsize analyze --json`, and not edited since?',
    });
  }
  return r.data;
}

/**
 * A schemaVersion 1 report in the shape of version 2, so saved CI baselines keep working:
 * warnings were plain text (they become `W_SAVED_TEXT`, the text kept) and the source carried the
 * reader-internal `fastPath` flag (dropped). Everything v2 added is optional.
 */
function upgradeV1(o: Record<string, unknown>): Record<string, unknown> {
  const image = o.image as Record<string, unknown> | undefined;
  const source = image?.source as Record<string, unknown> | undefined;
  const { fastPath: _dropped, ...restSource } = source ?? {};
  const warnings = Array.isArray(o.warnings) ? o.warnings.map((w) => (typeof w === 'string' ? { code: 'W_SAVED_TEXT', message: w } : w)) : o.warnings;
  return {
    ...o,
    schemaVersion: REPORT_SCHEMA_VERSION,
    ...(image && { image: { ...image, ...(source && { source: restSource }) } }),
    warnings,
  };
}
