/**
 * Registry source against the real registries: basic auth from options, config.json `auths`,
 * `credHelpers` and `credsStore` (a helper script on PATH); E_AUTH, E_IMAGE_NOT_FOUND, E_PLATFORM
 * and E_NETWORK; and the rule that credentials never appear in errors or reports.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildReport } from '../../packages/core/src/analyze.js';
import type { LoadedImage } from '../../packages/core/src/model.js';
import { openRegistry, type RegistrySourceOptions } from '../../packages/core/src/sources/registry.js';
import { describeServices } from '../services/services.js';
import { conformanceImage, writeDockerArchive } from './fixture-image.js';
import { makeTmp, manifestDescriptor, normalForm, putIndex, skopeoCopy, uniqueRepo } from './helpers.js';

/** Everything an error could show: message, hint, causes, inspect output. */
function everythingIn(e: unknown): string {
  const parts: string[] = [inspect(e, { depth: 20, showHidden: true })];
  let c: unknown = e;
  for (let i = 0; c && i < 20; i++) {
    const err = c as { message?: string; hint?: string; stack?: string; cause?: unknown };
    parts.push(String(err.message), String(err.hint), String(err.stack));
    c = err.cause;
  }
  return parts.join('\n');
}

describeServices('registry source: auth, not found, platforms', (svc) => {
  let tmp: Awaited<ReturnType<typeof makeTmp>>;
  let baseline: LoadedImage;
  const repo = uniqueRepo('imgsize-test/auth');
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const secrets = (): string[] => [svc.password, b64(`${svc.user}:${svc.password}`)];
  const none: RegistrySourceOptions = { noCache: true, dockerConfig: false, retry: { maxAttempts: 2, baseDelayMs: 10 } };
  const auth = (opts: RegistrySourceOptions = {}, ref = `${repo}:v1`) => openRegistry(`registry://${svc.authRegistry}/${ref}`, { ...none, ...opts });

  beforeAll(async () => {
    tmp = await makeTmp('auth');
    const amd = join(tmp.dir, 'amd64.tar');
    const arm = join(tmp.dir, 'arm64.tar');
    await writeDockerArchive(amd, conformanceImage(`${repo}:v1`, { architecture: 'amd64' }));
    await writeDockerArchive(arm, conformanceImage(`${repo}:arm`, { architecture: 'arm64' }));
    const creds = ['--dest-creds', `${svc.user}:${svc.password}`];
    await Promise.all([
      skopeoCopy(`docker-archive:${amd}`, `docker://${svc.authRegistry}/${repo}:v1`, creds),
      skopeoCopy(`docker-archive:${amd}`, `docker://${svc.registry}/${repo}:amd64`, ['--format', 'oci']),
      skopeoCopy(`docker-archive:${arm}`, `docker://${svc.registry}/${repo}:arm64`, ['--format', 'oci']),
    ]);
    const [a, r] = await Promise.all([manifestDescriptor(svc.registry, repo, 'amd64'), manifestDescriptor(svc.registry, repo, 'arm64')]);
    await putIndex(svc.registry, repo, 'multi', [
      { ...a, platform: { os: 'linux', architecture: 'amd64' } },
      { ...r, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    baseline = await auth({ username: svc.user, password: svc.password }).load();
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('explicit username/password (basic auth challenge)', async () => {
    expect(baseline.config.architecture).toBe('amd64');
    expect(baseline.layers).toHaveLength(3);
    expect(baseline.layers.every((l) => l.scan.entries.length > 0)).toBe(true);
  });

  it('no credentials: E_AUTH saying how to log in', async () => {
    const e = await auth().load().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_AUTH', message: expect.stringContaining(svc.authRegistry), hint: expect.stringContaining('docker login') });
  });

  it('wrong password: E_AUTH naming where credentials came from, never the secret', async () => {
    const wrong = `wrong-${svc.password}-pw`;
    const e = await auth({ username: svc.user, password: wrong }).load().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('the given username/password') });
    const all = everythingIn(e);
    for (const s of [wrong, b64(`${svc.user}:${wrong}`), ...secrets()]) expect(all).not.toContain(s);
  });

  it('config.json auths (base64 user:password), by path and through DOCKER_CONFIG', async () => {
    const dir = join(tmp.dir, 'docker-config');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [`http://${svc.authRegistry}`]: { auth: b64(`${svc.user}:${svc.password}`) } } }));
    const a = await auth({ dockerConfig: join(dir, 'config.json') }).load();
    expect(normalForm(a)).toEqual(normalForm(baseline));
    const b = await auth({ dockerConfig: undefined, env: { ...process.env, DOCKER_CONFIG: dir } }).load();
    expect(normalForm(b)).toEqual(normalForm(baseline));
  });

  it('credHelpers and credsStore run docker-credential-<helper> get', async () => {
    const bin = join(tmp.dir, 'bin');
    await mkdir(bin, { recursive: true });
    const log = join(tmp.dir, 'helper.log');
    // A real helper per the docker-credential-helpers protocol: server URL on stdin, JSON out.
    const script = `#!/bin/sh
[ "$1" = get ] || exit 1
read -r server
echo "$server" >> ${log}
if [ "$server" = "${svc.authRegistry}" ]; then
  printf '{"ServerURL":"%s","Username":"${svc.user}","Secret":"${svc.password}"}' "$server"
else
  echo "credentials not found in native keychain"; exit 1
fi
`;
    await writeFile(join(bin, 'docker-credential-imgsizetest'), script);
    await chmod(join(bin, 'docker-credential-imgsizetest'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    const helperCfg = join(tmp.dir, 'helper-config.json');
    await writeFile(helperCfg, JSON.stringify({ credHelpers: { [svc.authRegistry]: 'imgsizetest' } }));
    const a = await auth({ dockerConfig: helperCfg, env }).load();
    expect(normalForm(a)).toEqual(normalForm(baseline));
    const storeCfg = join(tmp.dir, 'store-config.json');
    await writeFile(storeCfg, JSON.stringify({ credsStore: 'imgsizetest' }));
    const b = await auth({ dockerConfig: storeCfg, env }).load();
    expect(normalForm(b)).toEqual(normalForm(baseline));
    // A helper that is not installed is a clear E_AUTH.
    await writeFile(storeCfg, JSON.stringify({ credsStore: 'not-installed-helper' }));
    await expect(auth({ dockerConfig: storeCfg, env }).load()).rejects.toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('docker-credential-not-installed-helper') });
  });

  it('credentials never reach the report', async () => {
    const report = buildReport(baseline);
    const text = JSON.stringify(report);
    for (const s of secrets()) expect(text).not.toContain(s);
    expect(report.image.source.kind).toBe('registry');
  });

  it('unknown tag and unknown repository: E_IMAGE_NOT_FOUND', async () => {
    const open = (ref: string) => openRegistry(`registry://${svc.registry}/${ref}`, none);
    await expect(open(`${repo}:no-such-tag`).load()).rejects.toMatchObject({ code: 'E_IMAGE_NOT_FOUND', message: expect.stringContaining('no-such-tag') });
    await expect(open('imgsize-test/no-such-repo:v1').load()).rejects.toMatchObject({ code: 'E_IMAGE_NOT_FOUND' });
    await expect(open(`${repo}@sha256:${'0'.repeat(64)}`).load()).rejects.toMatchObject({ code: 'E_IMAGE_NOT_FOUND' });
    const e = await auth({ username: svc.user, password: svc.password }, `${repo}:nope`).load().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_IMAGE_NOT_FOUND' });
    for (const s of secrets()) expect(everythingIn(e)).not.toContain(s);
  });

  it('multi-platform index: host platform by default, --platform to choose, E_PLATFORM listing the rest', async () => {
    const open = (platform?: string) => openRegistry(`registry://${svc.registry}/${repo}:multi`, { ...none, platform });
    const host = await open('linux/amd64').load();
    expect(host.config.architecture).toBe('amd64');
    const arm = await open('linux/arm64').load();
    expect(arm.config.architecture).toBe('arm64');
    expect(arm.manifestDigest).toBe((await manifestDescriptor(svc.registry, repo, 'arm64')).digest);
    if (process.arch === 'x64') expect((await open().load()).config.architecture).toBe('amd64');
    const e = await open('linux/s390x').load().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_PLATFORM', hint: expect.stringMatching(/linux\/amd64.*linux\/arm64\/v8/) });
    // A single-platform image is read as it is, with a warning when another platform was asked for.
    const single = await openRegistry(`registry://${svc.registry}/${repo}:amd64`, { ...none, platform: 'linux/arm64' }).load();
    expect(single.warnings.map((w) => w.message).join('\n')).toMatch(/platform linux\/arm64 was asked for.*linux\/amd64/);
  });

  it('by digest', async () => {
    const d = await manifestDescriptor(svc.registry, repo, 'amd64');
    const img = await openRegistry(`registry://${svc.registry}/${repo}@${d.digest}`, none).load();
    expect(img.manifestDigest).toBe(d.digest);
    expect(img.repoTags).toEqual([]);
  });

  it('unreachable registry: E_NETWORK after bounded retries', async () => {
    const t0 = Date.now();
    await expect(openRegistry('registry://127.0.0.1:1/x/y:z', { ...none, retry: { maxAttempts: 3, baseDelayMs: 10 } }).load()).rejects.toMatchObject({
      code: 'E_NETWORK',
      message: expect.stringMatching(/connection refused; gave up after 3 attempts/),
    });
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});
