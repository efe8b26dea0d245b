/**
 * What a command is: a name, an option table, a help text built from that table, and a run function
 * that gets typed values. `defineCommand` turns that into the untyped shape `main` dispatches on.
 */
import { defineOptions, formatOptionsHelp, parseOptions, type OptionTable, type ParsedArgs } from '../args.js';
import { UsageError } from '../cli-error.js';
import { colorEnabled, createStyle, type Style } from '../style.js';

/** The process's streams and environment (fakes in tests). */
export interface CommandIO {
  stdout: NodeJS.WritableStream & { columns?: number; isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /**
   * The descriptor behind `stdin` when it is the process's own (0): archives on stdin are then read
   * from it directly (open-input.ts), and `stdin` is only touched when something else reads it.
   */
  stdinFd?: number | undefined;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** What every command gets: streams, terminal facts, global flags and the colour decision. */
export interface CommandContext extends CommandIO {
  env: NodeJS.ProcessEnv;
  width: number;
  quiet: boolean;
  debug: boolean;
  /** Whether output on stdout is coloured (--color, FORCE_COLOR, NO_COLOR, TERM, TTY). */
  color: boolean;
  style: Style;
  signal: AbortSignal;
}

/** Global flags every command accepts. */
export const GLOBAL_OPTIONS = defineOptions({
  color: { type: 'string', arg: '<when>', help: 'auto (default) | always | never; NO_COLOR and FORCE_COLOR are honoured' },
  quiet: { type: 'boolean', short: 'q', help: 'no progress or notes on stderr' },
  debug: { type: 'boolean', help: 'stack traces for errors' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
});

type Globals = typeof GLOBAL_OPTIONS;

/** A command as its module declares it. */
export interface CommandSpec<T extends OptionTable> {
  name: string;
  /** One line for `imgsize --help`. */
  summary: string;
  /** `imgsize analyze <source> [options]` */
  usage: string;
  /** Paragraph(s) between usage and options. */
  description?: string;
  options: T;
  /** Text after the options (e.g. the Sources list). */
  footer?: string;
  run(args: ParsedArgs<T & Globals>, ctx: CommandContext): Promise<number>;
}

/** A command as `main` sees it. */
export interface Command {
  name: string;
  summary: string;
  options: OptionTable;
  help(): string;
  run(argv: string[], io: CommandIO, signal: AbortSignal): Promise<number>;
}

/** Wraps a typed command spec: parses argv with its table plus the global flags, builds the context. */
export function defineCommand<const T extends OptionTable>(spec: CommandSpec<T>): Command {
  const table = { ...spec.options, ...GLOBAL_OPTIONS } as T & Globals;
  const help = () =>
    `Usage: ${spec.usage}\n\n${spec.description ? `${spec.description.trimEnd()}\n\n` : ''}${formatOptionsHelp(table)}${spec.footer ? `\n${spec.footer}` : ''}`;
  return {
    name: spec.name,
    summary: spec.summary,
    options: table,
    help,
    async run(argv, io, signal) {
      try {
        return await runParsed(argv, io, signal);
      } catch (e) {
        if (e instanceof UsageError && e.hint === undefined) throw new UsageError(e.message, `run 'imgsize ${spec.name} --help'`);
        throw e;
      }
    },
  };
  async function runParsed(argv: string[], io: CommandIO, signal: AbortSignal): Promise<number> {
    const parsed = parseOptions(argv, table);
    // The global flags, read without the command's generic table type.
    const raw: Record<string, unknown> = parsed.values;
    if (raw.help === true) {
      io.stdout.write(help());
      return 0;
    }
    const ctx = createContext(io, signal, {
      color: typeof raw.color === 'string' ? raw.color : undefined,
      quiet: raw.quiet === true,
      debug: raw.debug === true,
    });
    return spec.run(parsed, ctx);
  }
}

/** Builds the context from the streams and the global flags. */
export function createContext(io: CommandIO, signal: AbortSignal, g: { color?: string | undefined; quiet?: boolean | undefined; debug?: boolean | undefined }): CommandContext {
  const env = io.env ?? process.env;
  const mode = g.color ?? 'auto';
  if (mode !== 'auto' && mode !== 'always' && mode !== 'never') throw new UsageError(`--color takes auto, always or never, got "${mode}"`);
  const color = colorEnabled(mode, io.stdout, env);
  return {
    stdout: io.stdout,
    stderr: io.stderr,
    // Read lazily: `process.stdin`'s getter makes a pipe on fd 0 non-blocking (see stdinFd).
    get stdin() {
      return io.stdin;
    },
    stdinFd: io.stdinFd,
    env,
    width: terminalWidth(io.stdout, env),
    quiet: g.quiet ?? false,
    debug: g.debug ?? false,
    color,
    style: createStyle(color),
    signal,
  };
}

/** COLUMNS, else the terminal's width, else 120. */
export function terminalWidth(out: CommandIO['stdout'], env: NodeJS.ProcessEnv): number {
  const cols = Number(env.COLUMNS);
  if (Number.isInteger(cols) && cols > 20) return cols;
  if (out.isTTY && out.columns) return out.columns;
  return 120;
}
