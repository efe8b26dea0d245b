/**
 * The bearer-token flow of the distribution token spec against a real registry: this suite runs
 * its own docker-registry with `auth: token` and a small token server (the authorization service
 * is a separate party in that spec; the registry itself is the real one). Anonymous pulls get a
 * pull-only token; credentials go to the token server only (Basic, or the OAuth2 refresh-token
 * form for identity tokens); wrong ones are E_AUTH; no secret or token appears in errors.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { openRegistry, type RegistrySourceOptions } from '../../packages/core/src/sources/registry.js';
import { describeServices } from '../services/services.js';
import { conformanceImage, writeDockerArchive } from './fixture-image.js';
import { makeTmp, normalForm, skopeoCopy } from './helpers.js';

const pexec = promisify(execFile);
const SERVICE = 'imgsize-registry';
const ISSUER = 'imgsize-test-issuer';
const USER = 'tokenuser';
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const REFRESH = `refresh-${randomBytes(8).toString('hex')}`;

interface TokenRequest {
  method: string;
  query: URLSearchParams;
  form: URLSearchParams | undefined;
  headers: IncomingHttpHeaders;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describeServices('registry source: bearer token flow (distribution token auth)', () => {
  let tmp: Awaited<ReturnType<typeof makeTmp>>;
  let registry: ChildProcess | undefined;
  let tokenServer: http.Server;
  let host = '';
  const tokenRequests: TokenRequest[] = [];
  const issued: string[] = [];
  const repo = 'imgsize-test/token';
  const none: RegistrySourceOptions = { noCache: true, dockerConfig: false, retry: { maxAttempts: 2, baseDelayMs: 10 } };

  beforeAll(async () => {
    tmp = await makeTmp('token');
    const key = join(tmp.dir, 'key.pem');
    const cert = join(tmp.dir, 'cert.pem');
    await pexec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=imgsize-token-issuer'], { timeout: 60_000 });
    const keyPem = await readFile(key, 'utf8');
    const certDer = new X509Certificate(await readFile(cert)).raw;

    const sign = (sub: string, access: { type: string; name: string; actions: string[] }[]): string => {
      const now = Math.floor(Date.now() / 1000);
      const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] }));
      const claims = b64url(JSON.stringify({ iss: ISSUER, sub, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }));
      const sig = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(keyPem);
      const token = `${header}.${claims}.${b64url(sig)}`;
      issued.push(token);
      return token;
    };
    tokenServer = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = req.method === 'POST' ? new URLSearchParams(body) : undefined;
        tokenRequests.push({ method: req.method ?? 'GET', query: url.searchParams, form, headers: req.headers });
        const scope = form?.get('scope') ?? url.searchParams.get('scope') ?? '';
        const [type, name, actions] = scope.split(':') as [string, string, string];
        let user = '';
        const authz = req.headers.authorization;
        if (form) {
          if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== REFRESH) return void res.writeHead(401).end('{"error":"invalid_grant"}');
          user = USER;
        } else if (authz) {
          const [u, p] = Buffer.from(authz.replace(/^Basic /, ''), 'base64').toString().split(':');
          if (u !== USER || p !== PASSWORD) return void res.writeHead(401).end('{"details":"bad credentials"}');
          user = USER;
        }
        // Anonymous users may pull public repositories only.
        const granted = user ? (actions ?? '').split(',') : name?.startsWith('private/') ? [] : (actions ?? '').split(',').filter((a) => a === 'pull');
        const token = sign(user, type && name ? [{ type, name, actions: granted }] : []);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(form ? { access_token: token, expires_in: 300 } : { token, expires_in: 300 }));
      });
    });
    await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
    const tokenPort = (tokenServer.address() as AddressInfo).port;
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    const config = [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(tmp.dir, 'data')}`,
      'http:',
      `  addr: ${host}`,
      '  secret: imgsize-token-test',
      'auth:',
      '  token:',
      `    realm: http://127.0.0.1:${tokenPort}/token`,
      `    service: ${SERVICE}`,
      `    issuer: ${ISSUER}`,
      `    rootcertbundle: ${cert}`,
    ].join('\n');
    await writeFile(join(tmp.dir, 'config.yml'), config);
    registry = spawn('docker-registry', ['serve', join(tmp.dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    registry.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://${host}/v2/`).then((r) => r.status === 401, () => false);
      if (ok) break;
      if (i > 80 || registry.exitCode !== null) throw new Error(`token-auth registry did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const archive = join(tmp.dir, 'image.tar');
    await writeDockerArchive(archive, conformanceImage(`${repo}:v1`));
    await skopeoCopy(`docker-archive:${archive}`, `docker://${host}/${repo}:v1`, ['--dest-creds', `${USER}:${PASSWORD}`]);
    await skopeoCopy(`docker-archive:${archive}`, `docker://${host}/private/${repo}:v1`, ['--dest-creds', `${USER}:${PASSWORD}`]);
  });
  afterAll(async () => {
    if (registry?.pid !== undefined && registry.exitCode === null) {
      registry.kill('SIGTERM');
      await new Promise((r) => registry!.once('exit', r));
    }
    await new Promise<void>((r) => (tokenServer ? tokenServer.close(() => r()) : r()));
    await tmp?.cleanup();
  });
  beforeEach(() => {
    tokenRequests.length = 0;
  });

  it('pulls anonymously with a token from the WWW-Authenticate realm', async () => {
    const img = await openRegistry(`registry://${host}/${repo}:v1`, none).load();
    expect(img.layers).toHaveLength(3);
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.query.get('service')).toBe(SERVICE);
    expect(tokenRequests[0]!.query.get('scope')).toBe(`repository:${repo}:pull`);
    expect(tokenRequests[0]!.headers.authorization).toBeUndefined();
  });

  it('sends credentials to the token server (Basic) and gets the same image', async () => {
    const anon = await openRegistry(`registry://${host}/${repo}:v1`, none).load();
    const withCreds = await openRegistry(`registry://${host}/${repo}:v1`, { ...none, username: USER, password: PASSWORD }).load();
    expect(normalForm(withCreds)).toEqual(normalForm(anon));
    expect(tokenRequests.at(-1)!.headers.authorization).toMatch(/^Basic /);
  });

  it('uses an identity token from config.json with the OAuth2 refresh-token grant', async () => {
    const cfg = join(tmp.dir, 'config.json');
    await writeFile(cfg, JSON.stringify({ auths: { [host]: { auth: Buffer.from('<token>:').toString('base64'), identitytoken: REFRESH } } }));
    const img = await openRegistry(`registry://${host}/private/${repo}:v1`, { ...none, dockerConfig: cfg }).load();
    expect(img.layers).toHaveLength(3);
    const post = tokenRequests.find((r) => r.method === 'POST');
    expect(post?.form?.get('grant_type')).toBe('refresh_token');
    expect(post?.form?.get('scope')).toBe(`repository:private/${repo}:pull`);
  });

  it('a private repository without credentials is E_AUTH', async () => {
    const e = await openRegistry(`registry://${host}/private/${repo}:v1`, none).load().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('requires authentication') });
  });

  it('wrong credentials are E_AUTH, and no password or token shows up in the error', async () => {
    const wrong = `${PASSWORD}-wrong`;
    const e = await openRegistry(`registry://${host}/${repo}:v1`, { ...none, username: USER, password: wrong }).load().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('rejected the credentials from the given username/password') });
    const text = inspect(e, { depth: 20, showHidden: true });
    for (const s of [wrong, PASSWORD, Buffer.from(`${USER}:${wrong}`).toString('base64')]) expect(text).not.toContain(s);
    // A later failure with a valid token in use does not show the token either.
    const nf = await openRegistry(`registry://${host}/${repo}:missing`, { ...none, username: USER, password: PASSWORD }).load().catch((x: unknown) => x);
    expect(nf).toMatchObject({ code: 'E_IMAGE_NOT_FOUND' });
    const nfText = inspect(nf, { depth: 20, showHidden: true });
    for (const t of [...issued, PASSWORD]) expect(nfText).not.toContain(t);
  });
});
