/**
 * How the CLI ends: a known ImgsizeError becomes one line plus a hint and exit code 2 (input or
 * usage problem); anything else is a bug and prints its stack. Exit 1 is reserved for budgets.
 */
import { isImgsizeError } from '@imgsize/core';

export const EXIT_OK = 0;
export const EXIT_BUDGET = 1;
export const EXIT_INPUT = 2;
export const EXIT_INTERNAL = 3;

/** Raised by argument parsing and option checks; `hint` replaces the default "run --help" hint. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function reportError(e: unknown, debug: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  if (e instanceof UsageError) {
    stderr.write(`imgsize: ${e.message}\nhint: ${e.hint ?? "run 'imgsize --help' (or 'imgsize <command> --help')"}\n`);
    return EXIT_INPUT;
  }
  if (isImgsizeError(e) && e.code !== 'E_INTERNAL') {
    stderr.write(`imgsize: error ${e.code}: ${oneLine(e.message)}\n`);
    if (e.hint) stderr.write(`hint: ${oneLine(e.hint)}\n`);
    if (debug && e.stack) stderr.write(`${e.stack}\n${causeChain(e)}`);
    return EXIT_INPUT;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  stderr.write(`imgsize: internal error: ${oneLine(err.message)}\n${err.stack ?? ''}\n${causeChain(err)}`);
  stderr.write('this is a bug in imgsize; please report it with the command you ran\n');
  return EXIT_INTERNAL;
}

function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\r\n]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '?');
}

function causeChain(e: Error): string {
  let out = '';
  let c: unknown = e.cause;
  for (let i = 0; c instanceof Error && i < 5; i++, c = c.cause) out += `caused by: ${c.stack ?? c.message}\n`;
  return out;
}
