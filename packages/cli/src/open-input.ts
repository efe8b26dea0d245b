/** Turns the user's <source> argument into a core ImageSource (all the forms `openSource` knows). */
import { openDockerArchive, openSource, type ImageSource, type OpenSourceOptions } from '@imgsize/core';
import type { CommandContext } from './commands/context.js';

export function openInput(ref: string, ctx: CommandContext, options: OpenSourceOptions = {}): ImageSource {
  if (ref === '-' || ref === 'docker-archive:-') return openDockerArchive(ctx.stdin as unknown as AsyncIterable<Buffer>, { name: 'stdin' });
  return openSource(ref, options);
}
