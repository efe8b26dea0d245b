/** `imgsize calibrate`: measure this machine's inflate / zstd / write rates and save a pull profile. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { BUILTIN_PULL_PROFILES, calibrate, calibratedProfilePath, ImgsizeError, parseSize } from '@imgsize/core';
import { EXIT_OK, UsageError } from '../cli-error.js';
import { defineCommand } from './command.js';

export const calibrateCommand = defineCommand({
  name: 'calibrate',
  summary: 'measure this machine (inflate, zstd, disk) for cold-start estimates',
  usage: 'imgsize calibrate [options]',
  description: `Measures what the cold-start model needs on this machine (docs/COLD-START.md): gzip inflate
(GNU gzip -t, standing in for the engines' Go inflate; Node's zlib recorded too), zstd decompress
(the zstd command), sha256 and file-write rates, the rate a blob is digested and stored while it
is fetched, and the cost per tar entry. Saves them as the "calibrated" pull profile in
$XDG_CONFIG_HOME/imgsize/pull-profile.json (default ~/.config), which 'imgsize analyze' and 'imgsize diff' then use by default. Takes ~10-30 s.`,
  options: {
    dir: { type: 'string', arg: '<d>', help: `where to measure file writes: the disk images unpack to (default: ${tmpdir()})` },
    base: { type: 'string', arg: '<profile>', help: 'concurrency and unpack order to keep: docker (default), containerd, ctr' },
    sample: { type: 'string', arg: '<size>', help: 'bytes of /usr read as sample content (default 64MB)' },
    output: { type: 'string', arg: '<file>', help: 'write the profile there instead (- for stdout)' },
    json: { type: 'boolean', help: 'print the measurements as JSON' },
  },
  async run({ values, positionals }, ctx) {
    if (positionals.length > 0) throw new UsageError('calibrate takes no positional arguments');
    const baseName = values.base ?? 'docker';
    const base = BUILTIN_PULL_PROFILES[baseName];
    if (!base) throw new UsageError(`--base: unknown profile "${baseName}" (${Object.keys(BUILTIN_PULL_PROFILES).join(', ')})`);
    const sampleBytes = values.sample === undefined ? undefined : parseSize(values.sample);
    if (sampleBytes !== undefined && sampleBytes < 1024 * 1024) throw new UsageError('--sample must be at least 1MB');
    const dir = values.dir ?? tmpdir();
    const result = calibrate({
      dir,
      base,
      sampleBytes,
      onProgress: (step) => {
        if (!ctx.quiet) ctx.stderr.write(`imgsize calibrate: ${step}\n`);
      },
    });
    const out = values.output ?? calibratedProfilePath(ctx.env);
    const text = `${JSON.stringify(result.profile, null, 2)}\n`;
    if (out === '-') ctx.stdout.write(text);
    else {
      try {
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, text);
      } catch (e) {
        throw new ImgsizeError('E_IO', `writing pull profile ${out}: ${(e as Error).message}`, { cause: e });
      }
    }
    if (values.json) ctx.stdout.write(`${JSON.stringify({ ...result, path: out === '-' ? null : out }, null, 2)}\n`);
    else if (out !== '-') {
      const m = result.measured;
      const mb = (x: number | null): string => (x === null ? 'n/a' : `${(x / 1e6).toFixed(0)} MB/s`);
      ctx.stdout.write(
        `gzip -t ${mb(m.gzipCommandBytesPerSecond)} (zlib ${mb(m.gzipInflateBytesPerSecond)}), zstd -d ${mb(m.zstdDecompressBytesPerSecond)}, sha256 ${mb(m.sha256BytesPerSecond)}, sha256sum ${mb(m.sha256sumBytesPerSecond)}, ` +
          `file writes ${mb(m.fileWriteBytesPerSecond)}, blob ingest ${mb(m.ingestBytesPerSecond)}, ${(m.perEntrySeconds * 1e6).toFixed(1)} µs per entry\n` +
          `saved the "calibrated" pull profile to ${out}\n`,
      );
    }
    return EXIT_OK;
  },
});
