/**
 * Options that say how to reach an image (registry, daemon, OCI layout), shared by every command
 * that opens sources. Parsed here, handed to core's `openSource` unchanged.
 */
import { LIMIT_NAMES, resolveLimits, type Limits, type OpenSourceOptions } from '@imgsize/core';
import { UsageError } from './cli-error.js';
import type { CommandContext } from './commands/context.js';

export const SOURCE_OPTIONS = {
  platform: { type: 'string' },
  'docker-host': { type: 'string' },
  insecure: { type: 'boolean' },
  username: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'metadata-only': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
  limit: { type: 'string', multiple: true },
} as const;

export const SOURCE_HELP = `Sources:
  image.tar | - | docker-archive:<path>   docker save output (plain, .gz, .zst); '-' is stdin
  oci:<dir>[:tag]                          OCI image layout directory
  registry://host/repo:tag | @sha256:…     registry, no daemon, nothing written to disk
  name:tag | docker-daemon:name:tag        image of the local Docker/Podman engine (DOCKER_HOST)
Source options:
  --platform <os/arch[/v]>   pick from a multi-platform index (default: this machine's)
  --docker-host <url>        engine socket, e.g. unix:///run/podman/podman.sock (default DOCKER_HOST)
  --insecure                 plain HTTP to the registry (default only for localhost)
  --username <u>             registry user; with --password-stdin reads the password from stdin
  --password-stdin           (default credentials: ~/.docker/config.json and its helpers)
  --metadata-only            registry: manifest and config only (sizes per layer, no downloads)
  --cache-dir <dir>          layer cache (default $XDG_CACHE_HOME/imgsize); --no-cache to skip it
  --limit <name>=<n>         raise or lower a resource limit (repeatable; docs/RELIABILITY.md)
`;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** `--limit name=value` flags as core limit overrides (validated by core's resolveLimits). */
export function limitsFrom(values: Values): Partial<Limits> | undefined {
  const raw = values.limit;
  if (raw === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const item of (Array.isArray(raw) ? raw : [raw]).map(String)) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(item);
    if (!m) throw new UsageError(`--limit takes name=value with a whole number, got "${item}"`);
    if (!(LIMIT_NAMES as string[]).includes(m[1]!)) throw new UsageError(`unknown limit "${m[1]}" (limits: ${LIMIT_NAMES.join(', ')})`);
    out[m[1]!] = Number(m[2]);
  }
  resolveLimits(out as Partial<Limits>);
  return out as Partial<Limits>;
}

/** Builds core source options from parsed flags; reads the password from stdin when asked. */
export async function sourceOptionsFrom(values: Values, ctx: CommandContext, refs: string[]): Promise<OpenSourceOptions> {
  const o: OpenSourceOptions = {};
  if (typeof values.platform === 'string') o.platform = values.platform;
  if (typeof values['docker-host'] === 'string') o.dockerHost = values['docker-host'];
  if (values.insecure) o.insecure = true;
  if (values['metadata-only']) o.metadataOnly = true;
  if (typeof values['cache-dir'] === 'string') o.cacheDir = values['cache-dir'];
  if (values['no-cache']) o.noCache = true;
  if (typeof values.username === 'string') o.username = values.username;
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
