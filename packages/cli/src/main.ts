#!/usr/bin/env node
/** imgsize CLI entry: one file per command; this file only dispatches and maps errors to exit codes. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VERSION } from '@imgsize/core';
import { ANALYZE_HELP, runAnalyze } from './commands/analyze.js';
import { DIFF_HELP, runDiff } from './commands/diff.js';
import { CALIBRATE_HELP, runCalibrate } from './commands/calibrate.js';
import { parseCommandArgs, type CommandContext } from './commands/context.js';
import { EXIT_INPUT, reportError } from './cli-error.js';

const HELP = `imgsize ${VERSION}: where the bytes of a container image go, and how many you can get rid of.

Usage:
  imgsize analyze <source> [--json] [--image repo:tag] ...   analyze one image
  imgsize analyze <source> --budget budgets.json|.dive-ci     gate CI on size budgets
  imgsize diff <before> <after> [--json|--format markdown]    compare two builds (images or saved reports)
  imgsize calibrate [--dir /var/lib/docker]                   measure this machine for cold-start estimates
  imgsize --version

Run 'imgsize <command> --help' for a command's options.
Exit codes: 0 ok, 1 a budget failed, 2 input or usage error, 3 internal error.
`;

const COMMANDS: Record<string, { run: (args: string[], ctx: CommandContext) => Promise<number>; help: string }> = {
  analyze: { run: runAnalyze, help: ANALYZE_HELP },
  diff: { run: runDiff, help: DIFF_HELP },
  calibrate: { run: runCalibrate, help: CALIBRATE_HELP },
};

export async function main(argv: string[], io: Pick<CommandContext, 'stdout' | 'stderr' | 'stdin'> = process): Promise<number> {
  const debug = argv.includes('--debug');
  const ac = new AbortController();
  const ctx: CommandContext = {
    ...io,
    width: terminalWidth(io.stdout),
    quiet: argv.includes('--quiet') || argv.includes('-q'),
    debug,
    signal: ac.signal,
    parse: parseCommandArgs,
  };
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      io.stdout.write(HELP);
      return cmd === undefined ? EXIT_INPUT : 0;
    }
    if (cmd === '--version' || cmd === '-v') {
      io.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const c = COMMANDS[cmd];
    if (!c) {
      io.stderr.write(`imgsize: unknown command "${cmd}"\nhint: commands: ${Object.keys(COMMANDS).join(', ')}\n`);
      return EXIT_INPUT;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(c.help);
      return 0;
    }
    return await c.run(rest, ctx);
  } catch (e) {
    return reportError(e, debug, io.stderr);
  }
}

function terminalWidth(out: CommandContext['stdout']): number {
  const env = Number(process.env.COLUMNS);
  if (Number.isInteger(env) && env > 20) return env;
  if (out.isTTY && out.columns) return out.columns;
  return 120;
}

function isMainModule(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isMainModule()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportError(e, true);
    },
  );
}
