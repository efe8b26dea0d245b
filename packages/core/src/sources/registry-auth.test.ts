import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDockerConfigPath, lookupDockerCredentials, parseWwwAuthenticate, runCredentialHelper, secretsOf } from './registry-auth.js';

describe('parseWwwAuthenticate', () => {
  it('Bearer with quoted params (Docker Hub style)', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } },
    ]);
  });

  it('commas inside quotes, escapes, several challenges, token values', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://x/t",scope="repository:a:pull,push", Basic realm=simple')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://x/t', scope: 'repository:a:pull,push' } },
      { scheme: 'basic', params: { realm: 'simple' } },
    ]);
    expect(parseWwwAuthenticate('Basic realm="a \\"quoted\\" realm"')).toEqual([{ scheme: 'basic', params: { realm: 'a "quoted" realm' } }]);
    expect(parseWwwAuthenticate('')).toEqual([]);
  });
});

describe('docker config credentials', () => {
  let dir: string;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgsize-auth-'));
    await writeFile(
      join(dir, 'docker-credential-fake'),
      `#!/bin/sh
read -r server
case "$server" in
  reg.example:5000) echo '{"ServerURL":"reg.example:5000","Username":"helperuser","Secret":"helper-secret"}' ;;
  tok.example) echo '{"ServerURL":"tok.example","Username":"<token>","Secret":"refresh-tok"}' ;;
  broken.example) echo 'not json' ;;
  https://index.docker.io/v1/) echo '{"Username":"hubuser","Secret":"hub-secret"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`,
    );
    await chmod(join(dir, 'docker-credential-fake'), 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cfg = async (name: string, doc: unknown): Promise<string> => {
    const p = join(dir, name);
    await writeFile(p, JSON.stringify(doc));
    return p;
  };

  it('auths: base64 auth, keys with scheme and path, Docker Hub aliases', async () => {
    const p = await cfg('a.json', {
      auths: {
        'https://reg.example:5000': { auth: Buffer.from('u:p:with:colons').toString('base64') },
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') },
        'plain.example': { username: 'x', password: 'y' },
      },
    });
    expect(await lookupDockerCredentials('reg.example:5000', { dockerConfig: p })).toEqual({ credentials: { username: 'u', password: 'p:with:colons' }, origin: p });
    expect((await lookupDockerCredentials('docker.io', { dockerConfig: p }))?.credentials).toEqual({ username: 'hub', password: 'pw' });
    expect((await lookupDockerCredentials('plain.example', { dockerConfig: p }))?.credentials).toEqual({ username: 'x', password: 'y' });
    expect(await lookupDockerCredentials('other.example', { dockerConfig: p })).toBeUndefined();
  });

  it('a missing config means no credentials; a broken one is E_BAD_CONFIG without its content', async () => {
    expect(await lookupDockerCredentials('x', { dockerConfig: join(dir, 'none.json') })).toBeUndefined();
    const p = join(dir, 'broken.json');
    await writeFile(p, '{"auths": {"x": {"auth": "c2VjcmV0LXZhbHVl"}}, oops');
    const e = await lookupDockerCredentials('x', { dockerConfig: p }).then(() => undefined, (x: unknown) => x as Error);
    expect(e).toMatchObject({ code: 'E_BAD_CONFIG' });
    expect(String(e?.message)).not.toContain('c2VjcmV0');
  });

  it('credHelpers win over auths; credsStore is used for the rest; "not found" means none', async () => {
    const p = await cfg('h.json', {
      credHelpers: { 'reg.example:5000': 'fake' },
      credsStore: 'fake',
      auths: { 'reg.example:5000': { auth: Buffer.from('a:b').toString('base64') } },
    });
    expect(await lookupDockerCredentials('reg.example:5000', { dockerConfig: p, env: env() })).toEqual({
      credentials: { username: 'helperuser', password: 'helper-secret' },
      origin: 'credential helper docker-credential-fake',
    });
    expect((await lookupDockerCredentials('docker.io', { dockerConfig: p, env: env() }))?.credentials).toEqual({ username: 'hubuser', password: 'hub-secret' });
    expect(await lookupDockerCredentials('unknown.example', { dockerConfig: p, env: env() })).toBeUndefined();
  });

  it('<token> user name marks an identity token', async () => {
    expect(await runCredentialHelper('fake', 'tok.example', { env: env() })).toEqual({ identityToken: 'refresh-tok' });
  });

  it('helper failures are E_AUTH; a helper name cannot smuggle a path', async () => {
    await expect(runCredentialHelper('fake', 'broken.example', { env: env() })).rejects.toMatchObject({ code: 'E_AUTH' });
    await expect(runCredentialHelper('missing-helper', 'x', { env: env() })).rejects.toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('not installed') });
    await expect(runCredentialHelper('../../bin/sh', 'x', { env: env() })).rejects.toMatchObject({ code: 'E_BAD_CONFIG' });
  });

  it('an unusable credsStore does not hide inline auths', async () => {
    const p = await cfg('s.json', { credsStore: 'desktop-not-here', auths: { 'r.example': { auth: Buffer.from('u:p').toString('base64') } } });
    expect((await lookupDockerCredentials('r.example', { dockerConfig: p, env: env() }))?.credentials).toEqual({ username: 'u', password: 'p' });
  });

  it('DOCKER_CONFIG picks the directory; secretsOf lists what to scrub', () => {
    expect(defaultDockerConfigPath({ DOCKER_CONFIG: '/etc/dc' })).toBe('/etc/dc/config.json');
    expect(secretsOf({ username: 'u', password: 'p', identityToken: 't' })).toEqual(['p', 't', Buffer.from('u:p').toString('base64')]);
  });
});
