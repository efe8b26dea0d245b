/**
 * The daemon source against a real Docker engine: an image built through the Engine API
 * (`FROM scratch` + `ADD` of generated rootfs tarballs, no network) is read by streaming
 * `GET /images/{name}/get` into the archive reader, and matches the same image pushed to a
 * registry through the Engine API and saved to a file. Plus the errors: engine unreachable
 * (E_DAEMON naming the socket), image not found (E_IMAGE_NOT_FOUND pointing at registry://),
 * permission denied.
 */
import { createWriteStream } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedImage } from '../../packages/core/src/model.js';
import { daemonError, openDaemon, resolveDaemonEndpoint } from '../../packages/core/src/sources/daemon.js';
import { openDockerArchive } from '../../packages/core/src/sources/docker-archive.js';
import { openRegistry } from '../../packages/core/src/sources/registry.js';
import { describeServices } from '../services/services.js';
import { layerTar } from './fixture-image.js';
import { dockerOf, followProgress, makeTmp, normalForm, uniqueRepo } from './helpers.js';

describe('daemon source without an engine', () => {
  it('unreachable socket: E_DAEMON naming the socket it tried', async () => {
    const e = await openDaemon('alpine:3', { dockerHost: 'unix:///tmp/imgsize-no-such-engine.sock' }).load().catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: 'E_DAEMON',
      message: expect.stringContaining('unix:///tmp/imgsize-no-such-engine.sock: no such socket'),
      hint: expect.stringContaining('DOCKER_HOST'),
    });
  });

  it('DOCKER_HOST is honoured (unix:// and tcp://)', async () => {
    const e = await openDaemon('alpine:3', { env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } }).load().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_DAEMON', message: expect.stringContaining('tcp://127.0.0.1:1: connection refused') });
    expect(resolveDaemonEndpoint(undefined, { DOCKER_HOST: 'unix:///run/user/1000/podman/podman.sock' }).display).toBe('unix:///run/user/1000/podman/podman.sock');
    expect(resolveDaemonEndpoint('tcp://10.0.0.5:2376', {}).options).toMatchObject({ host: '10.0.0.5', port: '2376', protocol: 'https' });
    expect(resolveDaemonEndpoint('unix:///explicit.sock', { DOCKER_HOST: 'unix:///env.sock' }).display).toBe('unix:///explicit.sock');
    expect(() => resolveDaemonEndpoint('ssh://me@host', {})).toThrow(/only unix:\/\/ and tcp:\/\//);
  });

  it('a socket that is not an engine: E_DAEMON', async () => {
    const { dir, cleanup } = await makeTmp('notengine');
    const sock = join(dir, 'fake.sock');
    const silent = join(dir, 'silent.sock');
    const server: Server = createServer((s) => s.once('data', () => s.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope')));
    const never: Server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(sock, r));
    await new Promise<void>((r) => never.listen(silent, r));
    try {
      await expect(openDaemon('x:y', { dockerHost: `unix://${sock}` }).load()).rejects.toMatchObject({ code: 'E_DAEMON', message: expect.stringContaining('HTTP 500') });
      // An engine that accepts and never answers is given up on, not waited for forever.
      await expect(openDaemon('x:y', { dockerHost: `unix://${silent}`, timeoutMs: 300 }).load()).rejects.toMatchObject({ code: 'E_DAEMON' });
    } finally {
      never.close();
      await new Promise<void>((r) => server.close(() => r()));
      await cleanup();
    }
  });

  it('permission denied on the socket: E_DAEMON with the docker-group hint', async () => {
    const mapped = daemonError(Object.assign(new Error('connect EACCES /var/run/docker.sock'), { code: 'EACCES' }), 'unix:///var/run/docker.sock', 'x', 'inspecting');
    expect(mapped).toMatchObject({ code: 'E_DAEMON', message: expect.stringContaining('permission denied'), hint: expect.stringContaining('docker group') });
    if (process.getuid?.() === 0) return; // root connects to any socket: the real case needs an unprivileged user
    const { dir, cleanup } = await makeTmp('eacces');
    const sock = join(dir, 'locked.sock');
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(sock, r));
    await chmod(sock, 0);
    try {
      await expect(openDaemon('x:y', { dockerHost: `unix://${sock}` }).load()).rejects.toMatchObject({ code: 'E_DAEMON', message: expect.stringContaining('permission denied') });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      await cleanup();
    }
  });
});

describeServices('daemon source against a Docker engine', (svc) => {
  let tmp: Awaited<ReturnType<typeof makeTmp>>;
  const repo = uniqueRepo('imgsize-test/built');
  const tag = `${repo}:v1`;
  const pushed = `${svc.authRegistry}/${repo}:v1`;
  let fromDaemon: LoadedImage;

  beforeAll(async () => {
    tmp = await makeTmp('daemon');
    const docker = dockerOf(svc);
    const salt = `${process.pid}-${Date.now()}`;
    const rootfs1 = await layerTar([
      { path: 'bin/', type: 'dir' },
      { path: 'bin/app', size: 50_000, mode: 0o755 },
      { path: 'bin/sh-link', type: 'symlink', linkTarget: 'app' },
      { path: 'etc/', type: 'dir' },
      { path: 'etc/salt', content: salt },
      { path: 'var/', type: 'dir' },
      { path: 'var/lib/', type: 'dir' },
      { path: 'var/lib/dpkg/', type: 'dir' },
      { path: 'var/lib/dpkg/status', content: 'Package: app\nStatus: install ok installed\nVersion: 1\n\n' },
    ]);
    const rootfs2 = await layerTar([
      { path: 'opt/', type: 'dir' },
      { path: 'opt/data.bin', size: 300_000 },
      { path: 'opt/notes.txt', size: 40_000, fill: 'text' },
    ]);
    const ctx = pack();
    const dockerfile = 'FROM scratch\nADD rootfs1.tar /\nADD rootfs2.tar /\nENV APP_MODE=test\nCMD ["/bin/app"]\n';
    ctx.entry({ name: 'Dockerfile' }, dockerfile);
    ctx.entry({ name: 'rootfs1.tar' }, rootfs1);
    ctx.entry({ name: 'rootfs2.tar' }, rootfs2);
    ctx.finalize();
    await followProgress(docker, await docker.buildImage(ctx as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true }));
    fromDaemon = await openDaemon(tag, { dockerHost: svc.dockerHost }).load();
    // Engine API push (the engine treats 127.0.0.0/8 registries as plain HTTP).
    await docker.getImage(tag).tag({ repo: `${svc.authRegistry}/${repo}`, tag: 'v1' });
    const push = await docker.getImage(pushed).push({ authconfig: { username: svc.user, password: svc.password, serveraddress: svc.authRegistry } });
    await followProgress(docker, push);
  });
  afterAll(async () => {
    const docker = dockerOf(svc);
    for (const t of [tag, pushed]) await docker.getImage(t).remove({ force: true }).catch(() => undefined);
    await tmp?.cleanup();
  });

  it('reads a built image by streaming the engine export', () => {
    expect(fromDaemon.source).toEqual({ kind: 'daemon', format: 'daemon', ref: tag });
    expect(fromDaemon.repoTags).toContain(tag);
    expect(fromDaemon.configDigest).toMatch(/^sha256:/);
    expect(fromDaemon.config.env).toContain('APP_MODE=test');
    expect(fromDaemon.layers).toHaveLength(2);
    const paths = fromDaemon.layers.flatMap((l) => l.scan.entries.map((e) => e.path));
    expect(paths).toEqual(expect.arrayContaining(['bin/app', 'bin/sh-link', 'opt/data.bin', 'var/lib/dpkg/status']));
    expect(fromDaemon.layers[0]!.scan.captured.map((c) => c.path)).toContain('var/lib/dpkg/status');
  });

  it('the same image via Engine API push to a registry and via a saved file is identical', async () => {
    const reg = await openRegistry(`registry://${pushed}`, { noCache: true, username: svc.user, password: svc.password }).load();
    expect(normalForm(reg)).toEqual(normalForm(fromDaemon));
    const file = join(tmp.dir, 'saved.tar');
    await pipeline((await dockerOf(svc).getImage(tag).get()) as unknown as NodeJS.ReadableStream, createWriteStream(file));
    expect(normalForm(await openDockerArchive(file).load())).toEqual(normalForm(fromDaemon));
  });

  it('DOCKER_HOST from the environment', async () => {
    const img = await openDaemon(tag, { env: { DOCKER_HOST: svc.dockerHost } }).load();
    expect(normalForm(img)).toEqual(normalForm(fromDaemon));
  });

  it('unknown image: E_IMAGE_NOT_FOUND pointing at registry://', async () => {
    for (const inspect of [true, false]) {
      const e = await openDaemon('imgsize-test/no-such-image:v9', { dockerHost: svc.dockerHost, inspect }).load().catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'E_IMAGE_NOT_FOUND', message: expect.stringContaining(svc.dockerHost), hint: expect.stringContaining('registry://') });
    }
  });

  it('aborts the export', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(openDaemon(tag, { dockerHost: svc.dockerHost }).load({ signal: ac.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});
