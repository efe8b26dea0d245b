import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../cli-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What every command gets: streams, terminal facts, global flags and an argument parser. */
export interface CommandContext {
  stdout: NodeJS.WritableStream & { columns?: number; isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  width: number;
  quiet: boolean;
  debug: boolean;
  signal: AbortSignal;
  parse(args: string[], options: Options): { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
}

/** Global flags every command accepts. */
export const GLOBAL_OPTIONS: Options = {
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export function parseCommandArgs(args: string[], options: Options) {
  try {
    return parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
}
