/**
 * `imgsize fix <source> --dockerfile <file>`: analyze → locate findings in the Dockerfile → a
 * unified diff (one hunk per rewrite) on stdout; `--write` applies it (a .bak beside each file),
 * `--verify` rebuilds before and after with the engine and prints predicted vs realized savings.
 */
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ImgsizeError, locateFindings, parseDockerfile, planFix, pingEngine, verifyFix, type FixPlan, type VerifyResult } from '@imgsize/core';
import { EXIT_OK, UsageError } from '../cli-error.js';
import { formatBytes } from '../format.js';
import { SOURCE_HELP, SOURCE_OPTIONS, limitsFrom, sourceOptionsFrom } from '../source-options.js';
import { defineCommand, type CommandContext } from './command.js';
import { loadReportInput, parseBandwidthOption } from './shared.js';

/** A Dockerfile given on the command line: its text, parsed once to fail early on a syntax error. */
export interface DockerfileInput {
  path: string;
  text: string;
  dir: string;
}

/** Reads `--dockerfile`: E_IO when it is missing or a directory, E_DOCKERFILE_SYNTAX when it does not parse. */
export async function readDockerfileOption(path: string, buildArgs?: Record<string, string>): Promise<DockerfileInput> {
  let text: string;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new ImgsizeError('E_IO', `reading Dockerfile ${path}: is a directory`, { hint: `pass the file: --dockerfile ${join(path, 'Dockerfile')}` });
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof ImgsizeError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImgsizeError('E_IO', `reading Dockerfile ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { cause: e });
  }
  parseDockerfile(text, { path, buildArgs });
  return { path, text, dir: dirname(resolve(path)) };
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ImgsizeError('E_IO', `reading ${path}: ${(e as Error).message}`, { cause: e });
  }
}

function parseBuildArgs(list: readonly string[] | undefined): Record<string, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const a of list) {
    const i = a.indexOf('=');
    if (i <= 0) throw new UsageError(`--build-arg ${a}: expected NAME=value`);
    out[a.slice(0, i)] = a.slice(i + 1);
  }
  return out;
}

/** The table printed after --verify. */
export function renderVerifyTable(v: VerifyResult): string {
  const rows = v.hunks.map((h) => {
    const pct = h.predictedBytes > 0 ? `${(((h.realizedBytes - h.predictedBytes) / h.predictedBytes) * 100).toFixed(1)}%` : '-';
    return `  ${String(h.n).padStart(2)}  ${(h.family + (h.review ? ' [review]' : '')).padEnd(30)} ${formatBytes(h.predictedBytes).padStart(9)} ${formatBytes(h.realizedBytes).padStart(9)} ${pct.padStart(7)}   ${formatBytes(h.predictedCompressedBytes).padStart(9)} ${formatBytes(h.realizedCompressedBytes).padStart(9)}`;
  });
  const total = (k: 'predictedBytes' | 'realizedBytes' | 'predictedCompressedBytes' | 'realizedCompressedBytes') => v.hunks.reduce((s, h) => s + h[k], 0);
  return [
    'Verified by rebuilding (uncompressed | compressed; realized = size before the hunk − size after it):',
    '   #  rewrite                        predicted  realized   error   predicted  realized',
    ...rows,
    `      ${'total'.padEnd(30)} ${formatBytes(total('predictedBytes')).padStart(9)} ${formatBytes(total('realizedBytes')).padStart(9)}           ${formatBytes(total('predictedCompressedBytes')).padStart(9)} ${formatBytes(total('realizedCompressedBytes')).padStart(9)}`,
    `  image: ${formatBytes(v.before.summary.contentBytes)} → ${formatBytes(v.after.summary.contentBytes)} uncompressed; every build succeeded`,
    '',
  ].join('\n');
}

export const fixCommand = defineCommand({
  name: 'fix',
  summary: 'turn findings into a patch of the Dockerfile (and prove it with --verify)',
  usage: 'imgsize fix <source> --dockerfile <file> [options]',
  description: `Prints a unified diff of the Dockerfile (and its .dockerignore), one hunk per fix, each preceded by
a comment naming the finding and its predicted savings. Apply it with 'git apply' or 'patch -p0' from
the current directory, or with --write.`,
  options: {
    dockerfile: { type: 'string', arg: '<file>', help: 'the Dockerfile the image was built from (required)' },
    write: { type: 'boolean', help: 'apply the patch in place (the original is kept as <file>.bak)' },
    'safe-only': { type: 'boolean', help: 'leave out "review" hunks (changes that may alter behaviour)' },
    verify: { type: 'boolean', help: 'build the original and the patched Dockerfile with the engine and print\npredicted vs realized savings per hunk' },
    'build-arg': { type: 'string', multiple: true, arg: '<k=v>', help: 'build argument for ARG expansion and --verify builds (repeatable)' },
    network: { type: 'string', arg: '<mode>', help: 'network mode of --verify builds (e.g. host)' },
    builder: { type: 'string', arg: '<b>', help: 'classic | buildkit for --verify builds (default: the one that built the image)' },
    json: { type: 'boolean', help: 'print the plan (and verification) as JSON instead of the patch' },
    bandwidth: { type: 'string', arg: '<bw>', help: 'for pull-time estimates, e.g. 1Gbps (default)' },
    ...SOURCE_OPTIONS,
  },
  footer: SOURCE_HELP,
  async run({ values, positionals }, ctx) {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'fix needs a <source> (the image built from the Dockerfile)' : `fix takes exactly one <source>, got ${positionals.length}`);
    if (values.dockerfile === undefined) throw new UsageError('fix needs --dockerfile <file>');
    if (values.builder !== undefined && values.builder !== 'classic' && values.builder !== 'buildkit') throw new UsageError('--builder takes classic or buildkit');
    const buildArgs = parseBuildArgs(values['build-arg']);
    const df = await readDockerfileOption(values.dockerfile, buildArgs);
    const sourceOptions = await sourceOptionsFrom(values, ctx, [positionals[0]!]);
    // No engine, no proof: say so before a long analysis.
    if (values.verify) await pingEngine(sourceOptions.dockerHost);
    const bandwidth = values.bandwidth === undefined ? 1e9 : parseBandwidthOption(values.bandwidth);
    const input = await loadReportInput(positionals[0]!, ctx, { image: values.image, bandwidth, sourceOptions, includeFiles: false, limits: limitsFrom(values) });
    const located = locateFindings(input.report, df.text, df.path, buildArgs);
    if (!ctx.quiet) for (const w of located.mapping.warnings) ctx.stderr.write(`imgsize: warning ${w.code}: ${w.message}\n`);
    const ignorePath = join(df.dir, '.dockerignore');
    const rel = (p: string) => {
      const r = relative(process.cwd(), p);
      return r === '' || isAbsolute(r) ? p : r.split('\\').join('/');
    };
    const plan: FixPlan = planFix({
      dockerfileText: df.text,
      patchPath: rel(resolve(df.path)),
      dockerignorePath: rel(ignorePath),
      dockerignoreText: await readOptional(ignorePath),
      placements: located.placements,
      builder: located.mapping.builder,
      packages: input.report.packages?.packages,
      safeOnly: values['safe-only'],
      buildArgs,
    });
    if (!ctx.quiet && !values.json) for (const d of plan.declined) ctx.stderr.write(`imgsize: no ${d.family} hunk for ${d.findingId}: ${d.reason}\n`);
    let verified: VerifyResult | undefined;
    if (values.verify) {
      const builder = (values.builder as 'classic' | 'buildkit' | undefined) ?? (located.mapping.builder === 'buildkit' ? 'buildkit' : 'classic');
      try {
        verified = await verifyFix(df.text, await readOptional(ignorePath), plan, {
          contextDir: df.dir,
          dockerHost: sourceOptions.dockerHost,
          builder,
          network: values.network,
          buildArgs,
          signal: ctx.signal,
          bandwidthBitsPerSecond: bandwidth,
          onProgress: ctx.quiet ? undefined : (s) => ctx.stderr.write(`imgsize: ${s}\n`),
        });
      } catch (e) {
        if (e instanceof ImgsizeError && e.code === 'E_BUILD_FAILED' && e.hint) {
          ctx.stderr.write(`${e.hint}\n`);
          throw new ImgsizeError(e.code, e.message, { cause: e });
        }
        throw e;
      }
    }
    if (values.json) {
      const out = {
        dockerfile: df.path,
        builder: located.mapping.builder,
        warnings: located.mapping.warnings,
        hunks: plan.hunks.map(({ dockerfileAfter: _a, dockerignoreAfter: _b, ...h }) => h),
        declined: plan.declined,
        patch: plan.patch,
        ...(verified && { verify: { hunks: verified.hunks, beforeBytes: verified.before.summary.contentBytes, afterBytes: verified.after.summary.contentBytes } }),
      };
      ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      ctx.stdout.write(plan.patch);
      if (!ctx.quiet && plan.hunks.length === 0) ctx.stderr.write('imgsize: no rewrite applies: nothing to patch\n');
    }
    if (verified) ctx.stderr.write(renderVerifyTable(verified));
    if (values.write && plan.hunks.length > 0) await writeFixed(df, ignorePath, plan, ctx);
    return EXIT_OK;
  },
});

async function writeFixed(df: DockerfileInput, ignorePath: string, plan: FixPlan, ctx: CommandContext): Promise<void> {
  const dfPath = resolve(df.path);
  try {
    if (plan.dockerfile !== df.text) {
      await copyFile(dfPath, `${dfPath}.bak`);
      await writeFile(dfPath, plan.dockerfile);
      if (!ctx.quiet) ctx.stderr.write(`imgsize: wrote ${df.path} (original: ${df.path}.bak)\n`);
    }
    const before = await readOptional(ignorePath);
    if (plan.dockerignore !== null && plan.dockerignore !== before) {
      if (before !== null) await copyFile(ignorePath, `${ignorePath}.bak`);
      await writeFile(ignorePath, plan.dockerignore);
      if (!ctx.quiet) ctx.stderr.write(`imgsize: wrote ${ignorePath}${before !== null ? ` (original: ${ignorePath}.bak)` : ''}\n`);
    }
  } catch (e) {
    throw new ImgsizeError('E_IO', `writing the fixed files: ${(e as Error).message}`, { cause: e });
  }
}
