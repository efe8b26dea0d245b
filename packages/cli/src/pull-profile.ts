/** `--pull-profile <name|file>[,key=value…]`: picks the cold-start profile (docs/COLD-START.md). */
import { existsSync, readFileSync } from 'node:fs';
import {
  applyProfileOverrides,
  BUILTIN_PULL_PROFILES,
  calibratedProfilePath,
  DEFAULT_PULL_PROFILE,
  ImgsizeError,
  parsePullProfile,
  parseSize,
  type PullProfile,
} from '@imgsize/core';
import { parseBandwidth } from './format.js';
import { defineOptions } from './args.js';
import { UsageError } from './cli-error.js';

/** The `--pull-profile` option of analyze and diff. */
export const PULL_PROFILE_OPTIONS = defineOptions({
  'pull-profile': {
    type: 'string',
    arg: '<p>',
    help: "cold-start profile: docker (default), containerd, ctr, calibrated (from 'imgsize calibrate';\nthe default once it exists) or a JSON file, then overrides:\ncontainerd,bandwidth=10Gbps,concurrency=1,gzip=250MB/s (docs/COLD-START.md)",
  },
});

/** Reads a profile file; unreadable is E_IO, invalid E_BAD_CONFIG naming the field. */
export function readPullProfileFile(path: string): PullProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ImgsizeError('E_IO', `reading pull profile ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      cause: e,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ImgsizeError('E_BAD_CONFIG', `invalid pull profile ${path}: not JSON (${(e as Error).message})`, { cause: e });
  }
  return parsePullProfile(doc, path);
}

/** Byte rates such as 250MB/s, 1.5GB/s or a bare number of bytes per second. */
function parseByteRate(s: string): number {
  return parseSize(s.trim().replace(/\/s$/i, ''));
}

/**
 * The profile for `--pull-profile` (undefined: the calibrated one when it exists, else docker),
 * with `--bandwidth` (bit/s) over the profile's own bandwidth when given.
 */
export function resolvePullProfile(spec: string | undefined, bandwidth: number | undefined, env: NodeJS.ProcessEnv = process.env): PullProfile {
  const [head = '', ...overrides] = (spec ?? '').split(',');
  const name = head.trim();
  let profile: PullProfile;
  if (name === '') {
    if (spec !== undefined) throw new UsageError('--pull-profile needs a profile name or file');
    const cal = calibratedProfilePath(env);
    profile = fileExists(cal) ? readPullProfileFile(cal) : BUILTIN_PULL_PROFILES[DEFAULT_PULL_PROFILE]!;
  } else if (name === 'calibrated') {
    const cal = calibratedProfilePath(env);
    if (!fileExists(cal)) throw new ImgsizeError('E_USAGE', `--pull-profile calibrated: no calibrated profile at ${cal}`, { hint: "run 'imgsize calibrate' first" });
    profile = readPullProfileFile(cal);
  } else if (BUILTIN_PULL_PROFILES[name]) profile = BUILTIN_PULL_PROFILES[name]!;
  else if (name.includes('/') || name.endsWith('.json')) profile = readPullProfileFile(name);
  else throw new ImgsizeError('E_USAGE', `--pull-profile: unknown profile "${name}"`, { hint: `profiles: ${[...Object.keys(BUILTIN_PULL_PROFILES), 'calibrated'].join(', ')}, or a .json file` });
  profile = applyProfileOverrides(profile, overrides, {
    bits: parseBandwidth,
    bytes: parseByteRate,
  });
  return bandwidth === undefined ? profile : { ...profile, bandwidthBitsPerSecond: bandwidth };
}

function fileExists(p: string): boolean {
  return existsSync(p);
}
