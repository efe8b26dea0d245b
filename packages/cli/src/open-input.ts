/** Turns the user's <source> argument into a core ImageSource (all the forms `openSource` knows). */
import { openSource, type ImageSource, type OpenSourceOptions } from '@imgsize/core';
import { UsageError } from './cli-error.js';
import type { CommandContext } from './commands/command.js';

/** True for the spellings of "read the archive from stdin". */
export function isStdinRef(ref: string): boolean {
  return ref === '-' || ref === 'docker-archive:-';
}

/** stdin as a byte stream; a terminal on stdin is refused (waiting on it would look like a hang). */
export function stdinBytes(ctx: CommandContext): AsyncIterable<Buffer> {
  if (ctx.stdin.isTTY) {
    throw new UsageError("'-' reads an image archive (or a saved JSON report) from stdin, but stdin is a terminal", 'pipe one in, e.g. docker save app:1 | imgsize analyze -');
  }
  return ctx.stdin as AsyncIterable<Buffer>;
}

/** The source `ref` names; `-` reads the context's stdin (refused when it is a terminal). */
export function openInput(ref: string, ctx: CommandContext, options: OpenSourceOptions = {}): ImageSource {
  return openSource(ref, isStdinRef(ref) ? { ...options, stdin: stdinBytes(ctx) } : options);
}
