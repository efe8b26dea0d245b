/** Runs the CLI's `main` in this process with fake streams (so a test can claim stderr is a TTY). */
import { PassThrough } from 'node:stream';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  stderrIsTTY?: boolean;
  stdoutIsTTY?: boolean;
  stdinIsTTY?: boolean;
  /** Bytes on stdin (ended); without it stdin stays open and empty. */
  stdin?: Buffer | string;
  /** Replaces process.env for the run. */
  env?: NodeJS.ProcessEnv;
}

export async function runCliInProcess(args: string[], opts: InProcessOptions = {}): Promise<CliRun> {
  const { main } = await import('../../packages/cli/src/main.js');
  const stdout = Object.assign(new PassThrough(), { isTTY: opts.stdoutIsTTY ?? false, columns: 120 });
  const stderr = Object.assign(new PassThrough(), { isTTY: opts.stderrIsTTY ?? false });
  const stdin = Object.assign(new PassThrough(), { isTTY: opts.stdinIsTTY ?? false });
  if (opts.stdin !== undefined) stdin.end(opts.stdin);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(args, { stdout, stderr, stdin, ...(opts.env && { env: opts.env }) });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
