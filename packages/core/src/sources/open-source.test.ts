import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource, parseOciRef } from './open-source.js';

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
