import { describe, expect, it } from 'vitest';
import { applyOverlay } from '../overlay.js';
import type { LoadedImage } from '../model.js';
import { attributePackages, parseDpkgStatus, parseRecord } from './packages.js';
import { makeImage, type SpecImage } from './testing.js';

function run(spec: SpecImage | LoadedImage) {
  const img = 'layers' in spec && 'config' in spec ? spec : makeImage(spec as SpecImage);
  const ov = applyOverlay(img.layers.map((l) => l.scan.entries));
  return attributePackages(img, ov, (e) => e.size / 2);
}

const pkg = (r: ReturnType<typeof run>, manager: string, name: string) => r.report.packages.find((p) => p.manager === manager && p.name === name);

const stanza = (name: string, version: string, extra = '', status = 'install ok installed'): string =>
  `Package: ${name}\nStatus: ${status}\nPriority: optional\nArchitecture: amd64\n${extra}Version: ${version}\nDescription: ${name}\n multi-line\n description\n`;

describe('dpkg', () => {
  const base = {
    createdBy: 'ADD rootfs.tar /',
    entries: [
      { path: '/bin', link: 'usr/bin' },
      { path: '/lib', link: 'usr/lib' },
      '/usr/bin/bash:1000',
      { path: '/usr/bin/sh', link: 'bash' },
      '/usr/lib/x86_64-linux-gnu/libc.so.6:2000',
      '/usr/share/doc/bash/copyright:10',
      '/etc/hostname:5',
      { path: '/var/lib/dpkg/status', content: [stanza('bash', '5.2-1'), stanza('libc6', '2.36-9', 'Multi-Arch: same\n'), stanza('oldpkg', '1.0', '', 'deinstall ok config-files')].join('\n') },
      // merged-usr: dpkg lists /bin/bash, the file lives in /usr/bin (through the image's own /bin symlink)
      { path: '/var/lib/dpkg/info/bash.list', content: '/.\n/bin\n/bin/bash\n/bin/sh\n/usr/share/doc/bash/copyright\n/bin/bash\n' },
      { path: '/var/lib/dpkg/info/libc6:amd64.list', content: '/.\n/lib/x86_64-linux-gnu/libc.so.6\n' },
    ],
  };

  it('resolves listed paths through merged-/usr symlinks and counts each file once', () => {
    const r = run({ layers: [base] });
    expect(pkg(r, 'dpkg', 'bash')).toMatchObject({ version: '5.2-1', layer: 0, visibleBytes: 1010, files: 2, wastedBytes: 0, location: '/', compressedBytes: 505 });
    expect(pkg(r, 'dpkg', 'libc6')).toMatchObject({ visibleBytes: 2000, files: 1 });
    expect(pkg(r, 'dpkg', 'oldpkg')).toBeUndefined();
    // status and .list files themselves, /etc/hostname: unowned
    const total = r.report.packages.reduce((s, p) => s + p.visibleBytes, 0);
    expect(r.report.unownedBytes + total).toBe(1000 + 2000 + 10 + 5 + base.entries.filter((e) => typeof e === 'object' && 'content' in e).reduce((s, e) => s + Buffer.byteLength((e as { content: string }).content), 0));
    expect(r.report.managers.dpkg).toEqual({ packages: 2, visibleBytes: 3010 });
    expect(r.warnings).toEqual([]);
  });

  it('a dist-info that a dpkg package ships stays that package’s (Debian python3-pip), not a second pip install', () => {
    const dp = '/usr/lib/python3/dist-packages';
    const r = run({
      layers: [
        {
          entries: [
            `${dp}/pip/__init__.py:300`,
            `${dp}/pip-23.0.1.dist-info/METADATA:40`,
            { path: `${dp}/pip-23.0.1.dist-info/RECORD`, content: 'pip/__init__.py,,300\npip-23.0.1.dist-info/METADATA,,40\npip-23.0.1.dist-info/RECORD,,\n' },
            { path: '/var/lib/dpkg/status', content: stanza('python3-pip', '23.0.1+dfsg-1') },
            {
              path: '/var/lib/dpkg/info/python3-pip.list',
              content: `/.\n${dp}/pip/__init__.py\n${dp}/pip-23.0.1.dist-info/METADATA\n${dp}/pip-23.0.1.dist-info/RECORD\n`,
            },
          ],
        },
      ],
    });
    expect(r.report.packages.filter((p) => p.manager === 'pip')).toEqual([]);
    const recordBytes = Buffer.byteLength('pip/__init__.py,,300\npip-23.0.1.dist-info/METADATA,,40\npip-23.0.1.dist-info/RECORD,,\n');
    expect(pkg(r, 'dpkg', 'python3-pip')).toMatchObject({ visibleBytes: 300 + 40 + recordBytes, files: 3 });
  });

  it('uses the database visible at the end: a later status overrides, hidden files are wasted, layer is where it was first listed', () => {
    const upgrade = {
      entries: [
        '/usr/bin/bash:1100',
        '/usr/bin/gcc-12:500',
        { path: '/var/lib/dpkg/status', content: [stanza('bash', '5.2-2'), stanza('libc6', '2.36-9', 'Multi-Arch: same\n'), stanza('gcc-12', '12.2.0-14')].join('\n') },
        { path: '/var/lib/dpkg/info/bash.list', content: '/.\n/bin/bash\n/usr/share/doc/bash/copyright\n' },
        { path: '/var/lib/dpkg/info/gcc-12.list', content: '/usr/bin/gcc-12\n' },
      ],
    };
    const r = run({ layers: [base, upgrade] });
    expect(pkg(r, 'dpkg', 'bash')).toMatchObject({ version: '5.2-2', layer: 0, visibleBytes: 1110, files: 2, wastedBytes: 1000 });
    expect(pkg(r, 'dpkg', 'gcc-12')).toMatchObject({ layer: 1, visibleBytes: 500 });
  });

  it('warns about packages without a file list, stanzas without a name, and truncated records', () => {
    const img = makeImage({
      layers: [{ entries: ['/usr/bin/x:10', { path: '/var/lib/dpkg/status', content: `${stanza('nolist', '1')}\nVersion: 2\nStatus: install ok installed\n` }] }],
    });
    img.layers[0]!.scan.captured[0]!.truncated = true;
    const r = run(img);
    expect(pkg(r, 'dpkg', 'nolist')).toMatchObject({ visibleBytes: 0, files: 0 });
    expect(r.warnings.join('\n')).toMatch(/1 installed package\(s\) have no file list.*nolist/);
    expect(r.warnings.join('\n')).toMatch(/1 stanza\(s\) .* no Package field/);
    expect(r.warnings.join('\n')).toMatch(/status is truncated/);
  });

  it('falls back to the file lists when the status file is gone', () => {
    const r = run({ layers: [{ entries: ['/usr/bin/x:10', { path: '/var/lib/dpkg/info/xpkg.list', content: '/usr/bin/x\n' }] }] });
    expect(pkg(r, 'dpkg', 'xpkg')).toMatchObject({ visibleBytes: 10, layer: null });
    expect(pkg(r, 'dpkg', 'xpkg')!.version).toBeUndefined();
    expect(r.warnings.join()).toMatch(/status is missing but 1 file list/);
  });

  it("reads distroless status.d stanzas and their md5sums", () => {
    const r = run({
      layers: [
        {
          entries: [
            '/usr/lib/x86_64-linux-gnu/libssl.so.3:300',
            { path: '/var/lib/dpkg/status.d/libssl3', content: 'Package: libssl3\nVersion: 3.0.11-1\nArchitecture: amd64\n' },
            { path: '/var/lib/dpkg/status.d/libssl3.md5sums', content: '0123456789abcdef0123456789abcdef  usr/lib/x86_64-linux-gnu/libssl.so.3\n' },
            { path: '/var/lib/dpkg/status.d/tzdata', content: 'Package: tzdata\nVersion: 2024a\n' },
          ],
        },
      ],
    });
    expect(pkg(r, 'dpkg', 'libssl3')).toMatchObject({ version: '3.0.11-1', visibleBytes: 300, layer: 0 });
    expect(r.warnings.join()).toMatch(/status.d\/tzdata has no md5sums/);
  });

  it("keeps dpkg relations and apt's auto-installed marks (imgsize fix's dependency closure)", () => {
    const status = [
      stanza('uuid-dev', '2.38', 'Depends: libc6-dev | libc-dev, libuuid1 (= 2.38.1-5+b1)\nRecommends: foo [amd64]\n'),
      stanza('libc6-dev', '2.36', 'Pre-Depends: libc6 (>= 2.36)\nDepends: libc-dev-bin (= 2.36-9), python3:any\nProvides: libc-dev, libc6-dev-x (= 1)\n'),
    ].join('\n');
    const layer = { entries: [{ path: '/var/lib/dpkg/status', content: status }, { path: '/var/lib/apt/extended_states', content: 'Package: libc6-dev\nArchitecture: amd64\nAuto-Installed: 1\n\nPackage: uuid-dev\nArchitecture: amd64\nAuto-Installed: 0\n' }] };
    const r = run({ layers: [layer] });
    expect(pkg(r, 'dpkg', 'uuid-dev')).toMatchObject({ depends: ['libc6-dev | libc-dev', 'libuuid1'], recommends: ['foo'], autoInstalled: false });
    expect(pkg(r, 'dpkg', 'libc6-dev')).toMatchObject({ depends: ['libc6', 'libc-dev-bin', 'python3'], provides: ['libc-dev', 'libc6-dev-x'], autoInstalled: true });
    // without apt's file, the mark is unknown (absent), not false
    expect(pkg(run({ layers: [{ entries: [layer.entries[0]!] }] }), 'dpkg', 'uuid-dev')!.autoInstalled).toBeUndefined();
  });

  it('parses status stanzas', () => {
    const { stanzas, bad } = parseDpkgStatus(`${stanza('a', '1')}\n\n${stanza('b', '2', '', 'install ok unpacked')}\n${stanza('c', '3', '', 'purge ok not-installed')}\nFoo: bar\n`);
    expect(stanzas.map((s) => [s.name, s.installed])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
    ]);
    expect(bad).toBe(1);
  });
});

describe('pip', () => {
  const site = '/opt/venv/lib/python3.11/site-packages';
  const record = [
    'requests/__init__.py,sha256=abc,100',
    'requests/api.py,sha256=def,200',
    '"requests/we,ird ""name"".py",sha256=ghi,50',
    'requests/__pycache__/api.cpython-311.pyc,,',
    '../../../bin/req,sha256=jkl,30',
    'requests-2.31.0.dist-info/METADATA,,',
    'requests-2.31.0.dist-info/RECORD,,',
    'requests/api.py,sha256=def,200',
  ].join('\n');
  const meta = 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n\nBody: not a header\n';
  const layer = {
    entries: [
      { path: '/opt/venv/lib64', link: 'lib' },
      `${site}/requests/__init__.py:100`,
      `${site}/requests/api.py:200`,
      `${site}/requests/we,ird "name".py:50`,
      `${site}/requests/__pycache__/api.cpython-311.pyc:170`,
      '/opt/venv/bin/req:30',
      { path: `${site}/requests-2.31.0.dist-info/METADATA`, content: meta },
      { path: `${site}/requests-2.31.0.dist-info/RECORD`, content: record },
      `${site}/stray.py:7`,
    ],
  };

  it('resolves RECORD paths against the site-packages dir, including ../../../bin entries and quoted names', () => {
    const r = run({ layers: [{ entries: [] }, layer] });
    const p = pkg(r, 'pip', 'requests')!;
    expect(p).toMatchObject({ version: '2.31.0', layer: 1, location: `${site}`, files: 7 });
    expect(p.visibleBytes).toBe(100 + 200 + 50 + 170 + 30 + Buffer.byteLength(meta) + Buffer.byteLength(record));
    expect(r.report.unownedFiles).toBe(1);
    expect(r.report.unownedBytes).toBe(7);
  });

  it('takes the version from the dist-info name without METADATA, and reads egg-info file lists', () => {
    const r = run({
      layers: [
        {
          entries: [
            `${site}/six.py:30`,
            { path: `${site}/six-1.16.0.dist-info/RECORD`, content: 'six.py,,30\n' },
            `${site}/legacy/__init__.py:40`,
            { path: `${site}/legacy-0.3-py3.11.egg-info/installed-files.txt`, content: '../legacy/__init__.py\nPKG-INFO\n' },
            { path: `${site}/legacy-0.3-py3.11.egg-info/PKG-INFO`, content: 'Name: Legacy-Pkg\nVersion: 0.3.1\n' },
          ],
        },
      ],
    });
    expect(pkg(r, 'pip', 'six')).toMatchObject({ version: '1.16.0', visibleBytes: 30 });
    expect(pkg(r, 'pip', 'Legacy-Pkg')).toMatchObject({ version: '0.3.1', visibleBytes: 40 + 'Name: Legacy-Pkg\nVersion: 0.3.1\n'.length, files: 2 });
  });

  it('warns about malformed rows and dist-info without RECORD, and keeps going', () => {
    const r = run({
      layers: [
        {
          entries: [
            `${site}/a.py:5`,
            { path: `${site}/a-1.dist-info/RECORD`, content: 'a.py,,5\n"broken,,\nnocomma\n' },
            { path: `${site}/b-2.dist-info/METADATA`, content: 'Name: b\nVersion: 2\n' },
          ],
        },
      ],
    });
    expect(pkg(r, 'pip', 'a')).toMatchObject({ visibleBytes: 5 });
    expect(r.warnings.join('\n')).toMatch(/pip: 2 malformed RECORD row/);
    expect(r.warnings.join('\n')).toMatch(/without RECORD.*b-2.dist-info/);
  });

  it('parses RECORD csv', () => {
    expect(parseRecord('a,b,c\n"x,y",,\n"q""r",,1\n\n')).toEqual({ paths: ['a', 'x,y', 'q"r'], bad: 0 });
  });
});

describe('conda', () => {
  const meta = (name: string, version: string, files: string[] | undefined, pathsData?: string[]) =>
    JSON.stringify({ name, version, build: 'h0', ...(files && { files }), ...(pathsData && { paths_data: { paths: pathsData.map((p) => ({ _path: p, size_in_bytes: 1 })) } }) });

  it('attributes files relative to the prefix, from files[] or paths_data, plus the record itself', () => {
    const zlibMeta = meta('zlib', '1.2.13', ['lib/libz.so.1.2.13', 'include/zlib.h']);
    const ffMeta = meta('ffmpeg', '6.1.1', undefined, ['bin/ffmpeg', 'lib/libavcodec.so.60']);
    const r = run({
      layers: [
        {
          entries: [
            '/opt/conda/lib/libz.so.1.2.13:100',
            '/opt/conda/include/zlib.h:20',
            '/opt/conda/bin/ffmpeg:300',
            '/opt/conda/lib/libavcodec.so.60:400',
            { path: '/opt/conda/conda-meta/zlib-1.2.13-h0.json', content: zlibMeta },
            { path: '/opt/conda/conda-meta/ffmpeg-6.1.1-h0.json', content: ffMeta },
          ],
        },
      ],
    });
    expect(pkg(r, 'conda', 'zlib')).toMatchObject({ version: '1.2.13', visibleBytes: 120 + zlibMeta.length, files: 3, location: '/opt/conda', layer: 0 });
    expect(pkg(r, 'conda', 'ffmpeg')).toMatchObject({ visibleBytes: 700 + ffMeta.length, files: 3 });
  });

  it('warns about corrupt records instead of failing', () => {
    const img = makeImage({
      layers: [
        {
          entries: [
            { path: '/opt/conda/conda-meta/bad-1-0.json', content: '{"name": "bad", "files": [' },
            { path: '/opt/conda/conda-meta/wrong-1-0.json', content: '{"files": 3}' },
          ],
        },
      ],
    });
    const r = run(img);
    expect(r.report.packages).toEqual([]);
    expect(r.warnings.join()).toMatch(/conda: 2 conda-meta record\(s\) are not valid package JSON/);
  });
});

describe('ownership across managers', () => {
  it('gives a file listed by several packages to pip, then conda, then dpkg, and warns once', () => {
    const site = 'opt/conda/lib/python3.11/site-packages';
    const r = run({
      layers: [
        {
          entries: [
            `/${site}/numpy/core.so:1000`,
            `/${site}/numpy/__init__.py:10`,
            '/usr/lib/python3/dist-packages/yaml/__init__.py:50',
            { path: '/opt/conda/conda-meta/numpy-1.26-py.json', content: JSON.stringify({ name: 'numpy', version: '1.26', files: [`lib/python3.11/site-packages/numpy/core.so`, `lib/python3.11/site-packages/numpy/__init__.py`] }) },
            { path: `/${site}/numpy-1.26.dist-info/RECORD`, content: 'numpy/core.so,,1000\nnumpy/__init__.py,,10\n' },
            { path: '/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD', content: 'yaml/__init__.py,,50\n' },
            { path: '/var/lib/dpkg/status', content: stanza('python3-yaml', '6.0-3') },
            { path: '/var/lib/dpkg/info/python3-yaml.list', content: '/usr/lib/python3/dist-packages/yaml/__init__.py\n' },
          ],
        },
      ],
    });
    expect(pkg(r, 'pip', 'numpy')!.visibleBytes).toBe(1010);
    expect(pkg(r, 'conda', 'numpy')!.files).toBe(1); // only its own conda-meta record
    expect(pkg(r, 'pip', 'PyYAML')!.visibleBytes).toBeGreaterThanOrEqual(50);
    expect(pkg(r, 'dpkg', 'python3-yaml')!.visibleBytes).toBe(0);
    const w = r.warnings.filter((x) => /listed by more than one package/.test(x));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/3 file\(s\).*pip\/conda: 2.*pip\/dpkg: 1.*pip > conda > npm > dpkg\/apk\/rpm/);
  });

  it('warns when a database file was not captured during the scan', () => {
    const img = makeImage({ layers: [{ entries: ['/var/lib/dpkg/status:500'] }] });
    const r = run(img);
    expect(r.warnings.join()).toMatch(/1 package database file\(s\) were not captured/);
  });
});

describe('metadata capture', () => {
  it('skips package records inside caches (uv unpacks whole wheels there)', async () => {
    const { isMetadataPath } = await import('../metadata-paths.js');
    expect(isMetadataPath('opt/venv/lib/python3.11/site-packages/torch-2.2.0.dist-info/RECORD')).toBe(true);
    expect(isMetadataPath('root/.cache/uv/archive-v0/abc/torch-2.2.0.dist-info/RECORD')).toBe(false);
    expect(isMetadataPath('var/lib/dpkg/status.d/libssl3.md5sums')).toBe(true);
    expect(isMetadataPath('opt/conda/conda-meta/zlib-1.2.13-h0.json')).toBe(true);
    expect(isMetadataPath('opt/conda/conda-meta/history')).toBe(false);
  });
});
