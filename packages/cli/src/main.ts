#!/usr/bin/env node
/** imgsize CLI entry: one module per command; this file only dispatches and maps errors to exit codes. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VERSION } from '@imgsize/core';
import { closest } from './args.js';
import { analyzeCommand } from './commands/analyze.js';
import { diffCommand } from './commands/diff.js';
import { fixCommand } from './commands/fix.js';
import { versionCommand } from './commands/version.js';
import { calibrateCommand } from './commands/calibrate.js';
import type { Command, CommandIO } from './commands/command.js';
import { EXIT_INPUT, EXIT_OK, reportError } from './cli-error.js';

const COMMANDS: readonly Command[] = [analyzeCommand, diffCommand, fixCommand, calibrateCommand, versionCommand];

function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `imgsize ${VERSION}: where the bytes of a container image go, and how many you can get rid of.

Usage: imgsize <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`).join('\n')}

Examples:
  imgsize analyze app.tar                             the terminal report
  imgsize analyze ghcr.io/org/app:1.2 -o json=r.json  engine, else registry; JSON to a file
  imgsize analyze app.tar --budget .dive-ci           gate CI on size budgets (exit 1 on failure)
  imgsize diff before.json after.tar --format markdown
  imgsize calibrate --dir /var/lib/docker             measure this machine for cold-start estimates

Run 'imgsize <command> --help' for a command's options.
Exit codes: 0 ok, 1 a budget failed, 2 input or usage error, 3 internal error.
`;
}

/** Whether a stream error means "the reader went away" (`imgsize … | head`). */
export function isClosedPipe(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

/** The process's own streams; stdin stays untouched until something reads it (CommandIO.stdinFd). */
const PROCESS_IO: CommandIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  get stdin() {
    return process.stdin;
  },
  stdinFd: 0,
  get env() {
    return process.env;
  },
};

/** Runs the CLI with `argv` (without node and script) and returns the exit code; never exits. */
export async function main(argv: string[], io: CommandIO = PROCESS_IO): Promise<number> {
  const debug = argv.includes('--debug');
  const ac = new AbortController();
  // A closed stdout (`imgsize … --json | head -c 10`) stops the work and ends quietly with 0.
  let stdoutClosed = false;
  const onStdoutError = (e: unknown) => {
    if (!isClosedPipe(e)) return;
    stdoutClosed = true;
    ac.abort();
  };
  io.stdout.on('error', onStdoutError);
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      const sub = cmd === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      io.stdout.write(sub ? sub.help() : mainHelp());
      return cmd === undefined ? EXIT_INPUT : EXIT_OK;
    }
    if (cmd === '--version' || cmd === '-v' || cmd === '-V') {
      io.stdout.write(`${VERSION}\n`);
      return EXIT_OK;
    }
    const c = COMMANDS.find((x) => x.name === cmd);
    if (!c) {
      const near = closest(cmd.replace(/^-+/, ''), COMMANDS.map((x) => x.name));
      io.stderr.write(`imgsize: unknown command "${cmd}"${near ? ` (did you mean "${near}"?)` : ''}\nhint: commands: ${COMMANDS.map((x) => x.name).join(', ')}; 'imgsize --help' explains them\n`);
      return EXIT_INPUT;
    }
    const code = await c.run(rest, io, ac.signal);
    return stdoutClosed ? EXIT_OK : code;
  } catch (e) {
    if (stdoutClosed || isClosedPipe(e)) return EXIT_OK;
    return reportError(e, debug, io.stderr);
  } finally {
    // Errors after the run (a late EPIPE) must not become an unhandled 'error' event either.
    io.stdout.off('error', onStdoutError);
    io.stdout.on('error', (e: unknown) => {
      if (!isClosedPipe(e)) throw e;
    });
  }
}

function isMainModule(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isMainModule()) {
  // Once the reader of stdout has gone, nothing more can be said: end now, quietly, with 0.
  process.stdout.on('error', (e: unknown) => {
    if (isClosedPipe(e)) process.exit(EXIT_OK);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportError(e, true);
    },
  );
}
