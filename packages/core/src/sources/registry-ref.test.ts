import { describe, expect, it } from 'vitest';
import { formatRegistryRef, isLoopbackHost, parseRegistryRef } from './registry-ref.js';

describe('parseRegistryRef', () => {
  it('host, port, nested repository, tag', () => {
    expect(parseRegistryRef('registry://127.0.0.1:5000/team/app/web:1.2')).toEqual({
      registry: '127.0.0.1:5000',
      apiHost: '127.0.0.1:5000',
      repository: 'team/app/web',
      tag: '1.2',
      digest: undefined,
      reference: '1.2',
    });
  });

  it('digest wins over tag; default tag latest', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseRegistryRef(`ghcr.io/o/r:v1@${d}`)).toMatchObject({ tag: 'v1', digest: d, reference: d });
    expect(parseRegistryRef('ghcr.io/o/r')).toMatchObject({ tag: 'latest', reference: 'latest' });
    expect(parseRegistryRef('localhost/r')).toMatchObject({ registry: 'localhost', repository: 'r' });
  });

  it('Docker Hub normalisation', () => {
    expect(parseRegistryRef('registry://alpine')).toMatchObject({ registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/alpine', tag: 'latest' });
    expect(parseRegistryRef('docker.io/user/app:x')).toMatchObject({ registry: 'docker.io', repository: 'user/app' });
    expect(parseRegistryRef('index.docker.io/nginx')).toMatchObject({ registry: 'docker.io', repository: 'library/nginx' });
  });

  it('rejects what a reference cannot be', () => {
    for (const bad of ['registry://', 'Host.io/UPPER:tag', 'h.io/a//b', `h.io/a@sha256:${'z'.repeat(64)}`, 'h.io/a@md5:abc', 'h.io/a:-bad', 'h.io/../etc']) {
      expect(() => parseRegistryRef(bad), bad).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    }
  });

  it('formats back', () => {
    expect(formatRegistryRef(parseRegistryRef('registry://h:1/a/b:c'))).toBe('h:1/a/b:c');
  });

  it('loopback hosts default to plain HTTP', () => {
    expect(isLoopbackHost('localhost:5000')).toBe(true);
    expect(isLoopbackHost('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackHost('127.8.9.10')).toBe(true);
    expect(isLoopbackHost('[::1]:5000')).toBe(true);
    expect(isLoopbackHost('ghcr.io')).toBe(false);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });
});
