/** Runs the CLI's `main` in this process with fake streams (so a test can claim stderr is a TTY). */
import { PassThrough } from 'node:stream';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliInProcess(args: string[], opts: { stderrIsTTY?: boolean } = {}): Promise<CliRun> {
  const { main } = await import('../../packages/cli/src/main.js');
  const stdout = Object.assign(new PassThrough(), { isTTY: false });
  const stderr = Object.assign(new PassThrough(), { isTTY: opts.stderrIsTTY ?? false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(args, { stdout, stderr, stdin: new PassThrough() });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
