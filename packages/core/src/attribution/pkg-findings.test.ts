import { describe, expect, it } from 'vitest';
import { applyOverlay } from '../overlay.js';
import { attribute } from './index.js';
import { detectBaseImage } from './base-image.js';
import { bdbFile, simpleRpm } from './pkgdb/testing.js';
import { makeImage, type SpecImage } from './testing.js';

const run = (spec: SpecImage, opts: Parameters<typeof attribute>[2] = {}) => {
  const image = makeImage(spec);
  return { image, a: attribute(image, applyOverlay(image.layers.map((l) => l.scan.entries)), { minFindingBytes: 1, ...opts }) };
};

describe('OS packages and base image', () => {
  const spec: SpecImage = {
    layers: [
      {
        entries: [
          { path: '/lib/apk/db/installed', content: 'P:musl\nV:1.2-r0\nI:8192\nF:lib\nR:libc.so\n\n' },
          '/lib/libc.so:5000',
          { path: '/etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' },
        ],
      },
      {
        entries: [
          { path: '/lib/apk/db/installed', content: 'P:musl\nV:1.2-r0\nI:8192\nF:lib\nR:libc.so\n\nP:curl\nV:8.5-r0\nI:4096\nF:usr/bin\nR:curl\nF:usr/share/man/man1\nR:curl.1\n\n' },
          '/usr/bin/curl:3000',
          '/usr/share/man/man1/curl.1:700',
          '/var/cache/apk/APKINDEX.abc.tar.gz:900',
        ],
      },
      {
        entries: [
          { path: '/var/lib/rpm/Packages', content: bdbFile([simpleRpm('tool', [['/opt/tool/bin', 400], ['/usr/share/doc/tool/README', 60]], 460)]) },
          '/opt/tool/bin:400',
          '/usr/share/doc/tool/README:60',
          '/var/cache/dnf/repo.solv:2500',
          '/root/.npm/_cacache/index-v5/aa:1200',
        ],
      },
    ],
  };

  it('splits the first layer (base image, a guess) from OS packages installed later, with versions, SIZE tags and the OS', () => {
    const { image, a } = run(spec);
    expect(a.baseImage).toEqual({ layers: 1, method: 'first-layer-guess', guessed: true });
    expect(a.layerCategories[0]).toMatchObject({ 'base-image': expect.any(Number) });
    expect(a.layerCategories[1]).toMatchObject({ 'os-packages': 3000 + image.layers[1]!.scan.captured[0]!.content.length, docs: 700, 'apt-cache': 900 });
    expect(a.categories.find((c) => c.id === 'base-image')!.label).toBe('Base image (first layer, a guess)');
    const pk = Object.fromEntries(a.packages.packages.map((p) => [`${p.manager}:${p.name}`, [p.version, p.visibleBytes, p.sizeTag, p.layer]]));
    expect(pk).toEqual({ 'apk:musl': ['1.2-r0', 5000, 8192, 0], 'apk:curl': ['8.5-r0', 3700, 4096, 1], 'rpm:tool': ['1.0-1', 460, 460, 2] });
    expect(a.osRelease).toMatchObject({ id: 'alpine', versionId: '3.19.1', prettyName: 'Alpine Linux v3.19' });
  });

  it('finds the apk, dnf and npm caches and rpm docs, each with its own fix', () => {
    const { a } = run(spec);
    const f = Object.fromEntries(a.findings.map((x) => [x.id, x]));
    expect(f['apk-cache']).toMatchObject({ bytes: 900, countedInSavings: true });
    expect(f['apk-cache']!.fix).toContain('apk add --no-cache');
    expect(f['dnf-cache']).toMatchObject({ bytes: 2500 });
    expect(f['dnf-cache']!.fix).toMatch(/dnf clean all[\s\S]*keepcache=0|keepcache=0[\s\S]*dnf clean all/);
    expect(f['rpm-docs']).toMatchObject({ bytes: 60 });
    expect(f['rpm-docs']!.fix).toContain('--nodocs');
    expect(f['npm-cache']).toMatchObject({ bytes: 1200 });
    // apk's man page is not rpm's: it stays with the generic docs finding.
    expect(f.docs).toMatchObject({ bytes: 700 });
    expect(f['apt-cache']).toBeUndefined();
  });

  it('--base: the layers whose diffIDs the base image shares are the base image', () => {
    const { image, a } = run(spec, { baseImage: { diffIds: [makeImage(spec).layers[0]!.diffId, makeImage(spec).layers[1]!.diffId], name: 'alpine:3.19' } });
    expect(a.baseImage).toMatchObject({ layers: 2, method: 'option', guessed: false, name: 'alpine:3.19' });
    expect(a.layerCategories[1]).toMatchObject({ 'base-image': expect.any(Number) });
    expect(a.layerCategories[1]!['os-packages']).toBeUndefined();
    expect(a.categories.find((c) => c.id === 'base-image')!.label).toBe('Base image');
    // A base that shares no layer falls back to the guess, and says so.
    expect(detectBaseImage(image, { diffIds: ['sha256:ff'] })).toMatchObject({ layers: 1, method: 'first-layer-guess', guessed: true, note: expect.stringContaining('shares no leading layer') });
    // Annotations name the base but not its layers.
    const annotated = { ...image, config: { ...image.config, labels: { 'org.opencontainers.image.base.name': 'docker.io/library/alpine:3.19' } } };
    expect(detectBaseImage(annotated)).toMatchObject({ method: 'annotation', name: 'docker.io/library/alpine:3.19', guessed: true });
  });

  it('npm: a package owns its directory except nested node_modules; the lock file marks dev packages', () => {
    const { a } = run({
      layers: [
        { entries: ['/bin/sh:10'] },
        {
          entries: [
            { path: '/app/package.json', content: '{"name":"app","dependencies":{"a":"1"},"devDependencies":{"jest":"1"}}' },
            { path: '/app/node_modules/.package-lock.json', content: JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/a': { version: '1.0.0' }, 'node_modules/jest': { version: '29.0.0', dev: true }, 'node_modules/jest-util': { version: '29.0.0', dev: true } } }) },
            { path: '/app/node_modules/a/package.json', content: '{"name":"a","version":"1.0.0"}' },
            '/app/node_modules/a/index.js:100',
            { path: '/app/node_modules/a/node_modules/@s/b/package.json', content: '{"name":"@s/b","version":"2.0.0"}' },
            '/app/node_modules/a/node_modules/@s/b/lib/b.js:50',
            { path: '/app/node_modules/jest/package.json', content: '{"name":"jest","version":"29.0.0"}' },
            '/app/node_modules/jest/build/index.js:5000',
            { path: '/app/node_modules/jest-util/package.json', content: '{"name":"jest-util","version":"29.0.0"}' },
            '/app/node_modules/jest-util/build/index.js:3000',
          ],
        },
      ],
    });
    const npm = Object.fromEntries(a.packages.packages.filter((p) => p.manager === 'npm').map((p) => [p.name, [p.version, p.files, p.visibleBytes, p.dev ?? false]]));
    expect(npm).toEqual({
      a: ['1.0.0', 2, 100 + '{"name":"a","version":"1.0.0"}'.length, false],
      '@s/b': ['2.0.0', 2, 50 + '{"name":"@s/b","version":"2.0.0"}'.length, false],
      jest: ['29.0.0', 2, 5000 + '{"name":"jest","version":"29.0.0"}'.length, true],
      'jest-util': ['29.0.0', 2, 3000 + '{"name":"jest-util","version":"29.0.0"}'.length, true],
    });
    const dev = a.findings.find((f) => f.id === 'npm-dev-dependencies')!;
    expect(dev.title).toBe('2 npm devDependencies installed in node_modules');
    expect(dev.bytes).toBe(npm.jest![2]! as number + (npm['jest-util']![2]! as number));
  });
});
