import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPlatform, openSource, parseOciRef, podmanHost } from './open-source.js';

describe('openSource', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgsize-open-'));
    await writeFile(join(dir, 'image.tar'), '');
    await mkdir(join(dir, 'layout'));
    await writeFile(join(dir, 'layout', 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await mkdir(join(dir, 'plain-dir'));
    await mkdir(join(dir, 'with:colon'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('dispatches on the prefix', () => {
    expect(openSource('registry://ghcr.io/o/r:v1')).toMatchObject({ kind: 'registry', description: 'registry image ghcr.io/o/r:v1' });
    expect(openSource(`oci:${dir}/layout:v2`)).toMatchObject({ kind: 'oci-layout', description: `OCI layout ${dir}/layout:v2` });
    expect(openSource(`docker-archive:${dir}/image.tar`)).toMatchObject({ kind: 'docker-archive' });
    expect(openSource('docker-daemon:alpine:3')).toMatchObject({ kind: 'daemon', description: 'daemon image alpine:3' });
    // An image may well be called "daemon".
    expect(openSource('daemon:latest')).toMatchObject({ kind: 'daemon', description: 'daemon image daemon:latest' });
  });

  it('skopeo and syft prefixes: docker://, registry:, podman:, oci-archive:', () => {
    expect(openSource('docker://ghcr.io/o/r:v1')).toMatchObject({ kind: 'registry', description: 'registry image ghcr.io/o/r:v1' });
    expect(openSource('docker://alpine')).toMatchObject({ kind: 'registry', description: 'registry image docker.io/library/alpine:latest' });
    expect(openSource('registry:ghcr.io/o/r:v1')).toMatchObject({ kind: 'registry', description: 'registry image ghcr.io/o/r:v1' });
    expect(openSource('registry:alpine:3')).toMatchObject({ kind: 'registry', description: 'registry image docker.io/library/alpine:3' });
    // `registry:2` is the registry image itself (a tag cannot hold / : @), not syft's prefix
    expect(openSource('registry:2')).toMatchObject({ kind: 'daemon', description: 'daemon image registry:2' });
    expect(openSource('podman:alpine:3')).toMatchObject({ kind: 'daemon', description: 'daemon image alpine:3' });
    expect(openSource(`oci-archive:${dir}/image.tar`)).toMatchObject({ kind: 'docker-archive', description: `docker archive ${dir}/image.tar` });
    expect(openSource(`oci-archive:${dir}/image.tar:v1`)).toMatchObject({ kind: 'docker-archive', description: `docker archive ${dir}/image.tar:v1` });
    expect(() => openSource('podman:')).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => openSource('oci-archive:')).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => openSource('docker-daemon:alpine', { metadataOnly: true })).toThrow(expect.objectContaining({ code: 'E_USAGE', hint: 'use registry://alpine' }));
  });

  it('podman: finds Podman\'s socket as podman does', () => {
    expect(podmanHost({ CONTAINER_HOST: 'unix:///x.sock' })).toBe('unix:///x.sock');
    if (process.getuid?.() !== 0) expect(podmanHost({ XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('unix:///run/user/1000/podman/podman.sock');
    expect(podmanHost({})).toBe('unix:///run/podman/podman.sock');
  });

  it('checkPlatform: os/arch[/variant] or E_USAGE', () => {
    expect(checkPlatform('linux/arm/v7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(checkPlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    for (const bad of ['linux', 'linux/', '/amd64', 'linux/amd64/v8/x', 'linux amd64']) {
      expect(() => checkPlatform(bad)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
      expect(() => openSource('alpine', { platform: bad })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    }
  });

  it('paths: - is stdin, files are archives, layout directories are layouts', () => {
    expect(openSource('-')).toMatchObject({ kind: 'docker-archive', description: 'docker archive stdin' });
    expect(openSource(join(dir, 'image.tar'))).toMatchObject({ kind: 'docker-archive' });
    expect(openSource(join(dir, 'layout'))).toMatchObject({ kind: 'oci-layout' });
    expect(() => openSource(join(dir, 'plain-dir'))).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => openSource('./missing.tar')).toThrow(expect.objectContaining({ code: 'E_IO' }));
  });

  it('anything else is an image of the local engine', () => {
    expect(openSource('nginx:1.27')).toMatchObject({ kind: 'daemon', description: 'daemon image nginx:1.27' });
    expect(openSource('ghcr.io/o/r@sha256:' + 'a'.repeat(64))).toMatchObject({ kind: 'daemon' });
  });

  it('rejects empty references', () => {
    expect(() => openSource('')).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => openSource('oci:')).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => openSource('docker-archive:')).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => openSource('registry://')).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });

  it('oci: splits the tag only when the whole is not a directory', () => {
    expect(parseOciRef(`${dir}/layout:v1`)).toEqual({ dir: `${dir}/layout`, tag: 'v1' });
    expect(parseOciRef(`${dir}/with:colon`)).toEqual({ dir: `${dir}/with:colon` });
    expect(parseOciRef('rel/dir')).toEqual({ dir: 'rel/dir' });
    expect(parseOciRef('rel/dir:')).toEqual({ dir: 'rel/dir' });
  });
});
