/**
 * Registry credentials and the challenge/response flow of the distribution spec's token auth
 * (https://distribution.github.io/distribution/spec/auth/token/): parse `WWW-Authenticate`,
 * find credentials (explicit options, then the Docker config file: `credHelpers`, `credsStore`,
 * `auths`), and fetch bearer tokens. Secrets never leave this module except as request headers:
 * every message built here names where credentials came from, never what they are.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ImgsizeError } from '../errors.js';
import { DOCKER_HUB } from './registry-ref.js';

/** Credentials for one registry. `identityToken` is an OAuth2 refresh token (`docker login` to some registries). */
export interface RegistryCredentials {
  username?: string | undefined;
  password?: string | undefined;
  identityToken?: string | undefined;
  /** A bearer token to send as is (`registrytoken` in config.json). */
  registryToken?: string | undefined;
}

/** Credentials plus where they were found (for messages; never the values). */
export interface ResolvedCredentials {
  credentials: RegistryCredentials;
  origin: string;
}

/** One challenge of a `WWW-Authenticate` header. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header (RFC 7235): `Bearer realm="…",service="…",scope="…"`,
 * possibly several challenges separated by commas.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t' || header[i] === ',')) i++;
  };
  const token = (): string => {
    const s = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i]!)) i++;
    return header.slice(s, i);
  };
  let current: AuthChallenge | undefined;
  while (i < n) {
    skipWs();
    if (i >= n) break;
    const start = i;
    const name = token();
    if (name === '') {
      i++;
      continue;
    }
    let j = i;
    while (j < n && header[j] === ' ') j++;
    if (header[j] === '=') {
      // auth-param of the current challenge
      i = j + 1;
      while (i < n && header[i] === ' ') i++;
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const vs = i;
        while (i < n && header[i] !== ',') i++;
        value = header.slice(vs, i).trim();
      }
      if (current) current.params[name.toLowerCase()] = value;
    } else {
      current = { scheme: header.slice(start, i).toLowerCase(), params: {} };
      out.push(current);
      i = j;
    }
  }
  return out;
}

const DockerAuthEntry = z.object({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
  registrytoken: z.string().optional(),
});

const DockerConfigFile = z.object({
  auths: z.record(z.string(), DockerAuthEntry).optional(),
  credsStore: z.string().optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
});
type DockerConfigFile = z.infer<typeof DockerConfigFile>;

/** Path of the Docker client config: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
export function defaultDockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/** Host part of an `auths` key (`https://index.docker.io/v1/` → `index.docker.io`). */
function keyHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

/** The host names a registry may be stored under in config.json. */
function hostAliases(registry: string): string[] {
  const r = registry.toLowerCase();
  return r === DOCKER_HUB ? ['index.docker.io', 'docker.io', 'registry-1.docker.io'] : [r];
}

/** The server URL `docker login` stores for a registry (what credential helpers are keyed by). */
function serverUrl(registry: string): string {
  return registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
}

export interface CredentialLookupOptions {
  /** Path to a Docker config.json (default: `defaultDockerConfigPath()`). */
  dockerConfig?: string | undefined;
  /** Max time for a credential helper (default 15 s). */
  helperTimeoutMs?: number | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

/**
 * Finds credentials for `registry` in the Docker config file: `credHelpers[registry]`, then
 * `credsStore`, then `auths` (base64 `auth`, or username/password, or identity token).
 * Returns undefined when there are none; a missing or unreadable config file means none.
 */
export async function lookupDockerCredentials(registry: string, opts: CredentialLookupOptions = {}): Promise<ResolvedCredentials | undefined> {
  const path = opts.dockerConfig ?? defaultDockerConfigPath(opts.env);
  let cfg: DockerConfigFile;
  try {
    const text = await readFile(path, 'utf8');
    const parsed = DockerConfigFile.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error('not a docker config');
    cfg = parsed.data;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A broken config must not stop anonymous pulls; the message names the file only.
    throw new ImgsizeError('E_BAD_CONFIG', `reading docker credentials from ${path}: the file is not valid JSON of the expected shape`);
  }
  const aliases = hostAliases(registry);
  const helper = Object.entries(cfg.credHelpers ?? {}).find(([k]) => aliases.includes(keyHost(k)))?.[1];
  if (helper) {
    const c = await runCredentialHelper(helper, serverUrl(registry), opts);
    if (c) return { credentials: c, origin: `credential helper docker-credential-${helper}` };
  }
  const auth = Object.entries(cfg.auths ?? {}).find(([k]) => aliases.includes(keyHost(k)))?.[1];
  // Docker itself consults credsStore first and falls back to auths only when it has no store.
  if (cfg.credsStore && !helper) {
    const c = await runCredentialHelper(cfg.credsStore, serverUrl(registry), opts).catch((e: unknown) => {
      // An unusable store (docker-desktop's helper on a server) with inline auths still works.
      if (auth) return undefined;
      throw e;
    });
    if (c) return { credentials: c, origin: `credential store docker-credential-${cfg.credsStore}` };
  }
  if (!auth) return undefined;
  const creds: RegistryCredentials = {};
  if (auth.auth) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new ImgsizeError('E_BAD_CONFIG', `the "auth" entry for ${registry} in ${path} is not base64 of user:password`);
    creds.username = decoded.slice(0, colon);
    creds.password = decoded.slice(colon + 1);
  } else {
    creds.username = auth.username;
    creds.password = auth.password;
  }
  if (auth.identitytoken) creds.identityToken = auth.identitytoken;
  if (auth.registrytoken) creds.registryToken = auth.registrytoken;
  if (!creds.username && !creds.password && !creds.identityToken && !creds.registryToken) return undefined;
  return { credentials: creds, origin: path };
}

const HelperOutput = z.object({ Username: z.string().optional(), Secret: z.string() });

/**
 * Runs `docker-credential-<helper> get` with the server URL on stdin (docker-credential-helpers
 * protocol). Returns undefined when the helper has no credentials for the server.
 */
export async function runCredentialHelper(helper: string, server: string, opts: CredentialLookupOptions = {}): Promise<RegistryCredentials | undefined> {
  if (!/^[a-zA-Z0-9._-]+$/.test(helper)) throw new ImgsizeError('E_BAD_CONFIG', `credential helper name "${helper}" is not valid`);
  const bin = `docker-credential-${helper}`;
  const timeoutMs = opts.helperTimeoutMs ?? 15_000;
  const { code, stdout, stderr, error } = await new Promise<{ code: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException }>(
    (resolve) => {
      const child = spawn(bin, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
      let out = '';
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (out.length < 1 << 20) out += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (err.length < 4096) err += d;
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ code: null, stdout: '', stderr: '', error: e });
      });
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, stdout: out, stderr: err });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(server);
    },
  );
  if (error) {
    const why = error.code === 'ENOENT' ? 'is not installed (not on PATH)' : 'could not be started';
    throw new ImgsizeError('E_AUTH', `credential helper ${bin} ${why}`, { hint: 'install it, or remove it from ~/.docker/config.json' });
  }
  if (code !== 0) {
    // The protocol's "not found" answer: no credentials for this server.
    if (/credentials not found/i.test(stdout + stderr)) return undefined;
    const first = (stdout || stderr).split('\n')[0]!.slice(0, 200);
    throw new ImgsizeError('E_AUTH', `credential helper ${bin} failed (exit ${code ?? 'killed'})${first ? `: ${first}` : ''}`);
  }
  let parsed: z.infer<typeof HelperOutput>;
  try {
    parsed = HelperOutput.parse(JSON.parse(stdout));
  } catch {
    throw new ImgsizeError('E_AUTH', `credential helper ${bin} printed something that is not its JSON answer`);
  }
  // `<token>` as user name marks an identity (refresh) token (docker/cli credentials store).
  if (parsed.Username === '<token>') return { identityToken: parsed.Secret };
  return { username: parsed.Username ?? '', password: parsed.Secret };
}

/** Every secret string in the credentials, for scrubbing messages. */
export function secretsOf(c: RegistryCredentials | undefined): string[] {
  if (!c) return [];
  const out: string[] = [];
  for (const s of [c.password, c.identityToken, c.registryToken]) if (s) out.push(s);
  if (c.username !== undefined && c.password !== undefined) out.push(Buffer.from(`${c.username}:${c.password}`).toString('base64'));
  return out;
}

/** `Authorization: Basic …` value. */
export function basicAuthorization(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
}
