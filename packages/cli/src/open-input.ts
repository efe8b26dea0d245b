/** Turns the user's <source> argument into a core ImageSource (all the forms `openSource` knows). */
import { isatty } from 'node:tty';
import { fdChunks, openSource, type ImageSource, type OpenSourceOptions } from '@imgsize/core';
import { UsageError } from './cli-error.js';
import type { CommandContext } from './commands/command.js';

/** True for the spellings of "read the archive from stdin". */
export function isStdinRef(ref: string): boolean {
  return ref === '-' || ref === 'docker-archive:-';
}

const STDIN_IS_TERMINAL = "'-' reads an image archive (or a saved JSON report) from stdin, but stdin is a terminal";
const STDIN_HINT = 'pipe one in, e.g. docker save app:1 | imgsize analyze -';

/**
 * stdin as a byte stream; a terminal on stdin is refused (waiting on it would look like a hang).
 * The process's own stdin is read from its descriptor into a reused buffer (core's fdChunks), not
 * through `process.stdin`, which is not touched: touching it puts a pipe in non-blocking mode.
 */
export function stdinBytes(ctx: CommandContext): AsyncIterable<Buffer> {
  if (ctx.stdinFd !== undefined) {
    if (isatty(ctx.stdinFd)) throw new UsageError(STDIN_IS_TERMINAL, STDIN_HINT);
    return fdChunks(ctx.stdinFd, () => ctx.stdin as AsyncIterable<Buffer>, ctx.signal);
  }
  if (ctx.stdin.isTTY) throw new UsageError(STDIN_IS_TERMINAL, STDIN_HINT);
  return ctx.stdin as AsyncIterable<Buffer>;
}

/** The source `ref` names; `-` reads the context's stdin (refused when it is a terminal). */
export function openInput(ref: string, ctx: CommandContext, options: OpenSourceOptions = {}): ImageSource {
  return openSource(ref, isStdinRef(ref) ? { ...options, stdin: stdinBytes(ctx) } : options);
}
