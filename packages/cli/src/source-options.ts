/**
 * Options that say how to reach an image (registry, daemon, OCI layout), shared by every command
 * that opens sources. Parsed here, handed to core's `openSource` unchanged.
 */
import { checkPlatform, LIMIT_NAMES, resolveLimits, type Limits, type OpenSourceOptions } from '@imgsize/core';
import { defineOptions, type OptionValues } from './args.js';
import { UsageError } from './cli-error.js';
import type { CommandContext } from './commands/command.js';

/** The source flags (see SOURCE_HELP for the source forms). */
export const SOURCE_OPTIONS = defineOptions({
  image: { type: 'string', arg: '<repo:tag>', help: 'pick one image from an archive holding several' },
  platform: { type: 'string', arg: '<os/arch[/v]>', help: "pick from a multi-platform index (default: this machine's)" },
  'docker-host': { type: 'string', arg: '<url>', help: 'engine socket, e.g. unix:///run/podman/podman.sock (default DOCKER_HOST)' },
  insecure: { type: 'boolean', help: 'plain HTTP to the registry (default only for localhost)' },
  username: { type: 'string', arg: '<u>', help: 'registry user; with --password-stdin reads the password from stdin' },
  'password-stdin': { type: 'boolean', help: '(default credentials: ~/.docker/config.json and its helpers)' },
  'metadata-only': { type: 'boolean', help: 'registry: manifest and config only (sizes per layer, no downloads)' },
  'cache-dir': { type: 'string', arg: '<dir>', help: 'layer cache (default $XDG_CACHE_HOME/imgsize); --no-cache to skip it' },
  'no-cache': { type: 'boolean', help: 'do not read or write the layer cache' },
  limit: { type: 'string', multiple: true, arg: '<name>=<n>', help: 'raise or lower a resource limit (repeatable; docs/RELIABILITY.md)' },
});

type SourceValues = OptionValues<typeof SOURCE_OPTIONS>;

export const SOURCE_HELP = `Sources:
  image.tar | - | docker-archive:<path>    docker save output (plain, .gz, .zst); '-' is stdin
  oci-archive:<path>[:tag]                 OCI image layout in a tar (skopeo/buildah oci-archive)
  oci:<dir>[:tag]                          OCI image layout directory
  registry://host/repo:tag | registry:…    registry, no daemon, nothing written to disk
  docker://host/repo:tag                   same (skopeo's spelling)
  docker-daemon:name:tag | podman:name:tag the local Docker / Podman engine only
  name:tag | ghcr.io/org/app:1.2           the local engine; when it lacks the image (or none is
                                           reachable), the registry (a note on stderr says so)
`;

/** `--limit name=value` flags as core limit overrides (validated by core's resolveLimits). */
export function limitsFrom(values: SourceValues): Partial<Limits> | undefined {
  const raw = values.limit;
  if (raw === undefined) return undefined;
  const out: Partial<Record<keyof Limits, number>> = {};
  for (const item of raw) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(item);
    if (!m) throw new UsageError(`--limit takes name=value with a whole number, got "${item}"`);
    const name = LIMIT_NAMES.find((n) => n === m[1]);
    if (name === undefined) throw new UsageError(`unknown limit "${m[1]}" (limits: ${LIMIT_NAMES.join(', ')})`);
    out[name] = Number(m[2]);
  }
  resolveLimits(out);
  return out;
}

/** Builds core source options from parsed flags; reads the password from stdin when asked. */
export async function sourceOptionsFrom(values: SourceValues, ctx: CommandContext, refs: string[]): Promise<OpenSourceOptions> {
  const o: OpenSourceOptions = {
    onNote: (m) => {
      if (!ctx.quiet) ctx.stderr.write(`imgsize: note: ${m}\n`);
    },
  };
  if (values.platform !== undefined) {
    checkPlatform(values.platform);
    o.platform = values.platform;
  }
  if (values['docker-host'] !== undefined) o.dockerHost = values['docker-host'];
  if (values.insecure) o.insecure = true;
  if (values['metadata-only']) o.metadataOnly = true;
  if (values['cache-dir'] !== undefined) o.cacheDir = values['cache-dir'];
  if (values['no-cache']) o.noCache = true;
  if (values.username !== undefined) o.username = values.username;
  if (values['password-stdin']) {
    if (o.username === undefined) throw new UsageError('--password-stdin needs --username');
    if (refs.includes('-')) throw new UsageError("--password-stdin and a source on stdin ('-') cannot be combined");
    o.password = (await readAll(ctx.stdin)).replace(/\r?\n$/, '');
  }
  return o;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}
